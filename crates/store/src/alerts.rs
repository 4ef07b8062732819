//! Alerts and their outbox: the alert, one delivery row per recipient and channel, and
//! the stream event are written in one transaction; workers claim due deliveries with
//! a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL), so several servers share the work
//! and a crash mid-fan-out loses nothing: an expired lease makes the row due again.

use std::collections::{BTreeMap, HashMap};

use sqlx::Row;
use sqlx::any::AnyRow;
use time::OffsetDateTime;
use tsunagu_core::alert::{Alert, AlertContent, AlertStatus};
use tsunagu_core::ids::{AlertId, MemberId, UserId};

use crate::notices::{Notice, NoticeKind};
use crate::{
    Backend, Result, Store, StoreError, Tx, from_ms, parse_enum, parse_id, parse_json, to_ms,
};

/// A delivery channel a member registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel {
    /// Identifier.
    pub id: String,
    /// Owner.
    pub member: MemberId,
    /// `webhook` or `email`.
    pub kind: String,
    /// URL or e-mail address.
    pub address: String,
    /// The webhook's signing secret.
    pub secret: Option<String>,
    /// Most deliveries in flight to it at once.
    pub max_in_flight: i64,
    /// Whether deliveries go to it.
    pub active: bool,
    /// The user whose own address it is: it receives what that user may see, items
    /// requiring clearance included when the user holds it (M2.8). `None`: member-wide.
    pub user: Option<UserId>,
    /// For a member-wide channel, the clearance level the coordinator registered it at.
    pub cleared_level: Option<String>,
}

/// What a delivery carries.
#[derive(Debug, Clone)]
pub enum Subject {
    /// A revision of an alert.
    Alert {
        /// The alert.
        id: AlertId,
        /// Which revision.
        revision: i64,
    },
    /// A notice to one member.
    Notice(Notice),
}

/// A delivery claimed by a worker.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// Identifier: also the idempotency key receivers see.
    pub id: String,
    /// What it carries.
    pub subject: Subject,
    /// The recipient.
    pub member: MemberId,
    /// Through which channel.
    pub channel: Channel,
    /// Attempts so far, this one included.
    pub attempts: i64,
}

/// Where the deliveries of an alert stand.
#[derive(Debug, Clone, Default)]
pub struct Receipt {
    /// Recipient.
    pub member: MemberId,
    /// First delivered through any channel.
    pub delivered_at: Option<OffsetDateTime>,
    /// Read (portal or acknowledgement).
    pub read_at: Option<OffsetDateTime>,
    /// Reported as acted on (対応済み).
    pub acted_at: Option<OffsetDateTime>,
}

fn alert_from_row(row: &AnyRow) -> Result<(i64, Alert)> {
    let content: AlertContent = parse_json(&row.try_get::<String, _>("content")?)?;
    Ok((
        row.try_get("seq")?,
        Alert {
            id: parse_id(&row.try_get::<String, _>("id")?)?,
            issuer: parse_id(&row.try_get::<String, _>("issuer")?)?,
            content,
            status: parse_enum(&row.try_get::<String, _>("status")?, AlertStatus::parse)?,
            revision: row.try_get("revision")?,
            created_at: from_ms(row.try_get("created_at")?)?,
            updated_at: from_ms(row.try_get("updated_at")?)?,
        },
    ))
}

/// The columns of a channel, in [`channel_from_row`]'s order: in its own table…
const CHANNEL_COLUMNS: [&str; 9] = [
    "id",
    "member_id",
    "kind",
    "address",
    "secret",
    "max_in_flight",
    "active",
    "user_id",
    "cleared_level",
];
/// …and as the delivery claim names them.
const CLAIMED_CHANNEL_COLUMNS: [&str; 9] = [
    "c_id",
    "c_member_id",
    "c_kind",
    "c_address",
    "c_secret",
    "c_max_in_flight",
    "c_active",
    "c_user_id",
    "c_cleared_level",
];

fn channel_from_row(
    row: &AnyRow,
    [
        id,
        member,
        kind,
        address,
        secret,
        max_in_flight,
        active,
        user,
        cleared_level,
    ]: [&str; 9],
) -> Result<Channel> {
    Ok(Channel {
        id: row.try_get(id)?,
        member: parse_id(&row.try_get::<String, _>(member)?)?,
        kind: row.try_get(kind)?,
        address: row.try_get(address)?,
        secret: row.try_get(secret)?,
        max_in_flight: row.try_get(max_in_flight)?,
        active: row.try_get::<i64, _>(active)? != 0,
        user: row
            .try_get::<Option<String>, _>(user)?
            .as_deref()
            .map(parse_id)
            .transpose()?,
        cleared_level: row.try_get(cleared_level)?,
    })
}

/// Ids per `IN (…)` list.
const IN_CHUNK: usize = 500;
/// Rows per multi-row statement (at most 3 parameters each).
const ROWS_CHUNK: usize = 300;

/// `$first, $first+1, …`: `n` numbered parameters.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn opt_ms(v: Option<i64>) -> Result<Option<OffsetDateTime>> {
    v.map(from_ms).transpose()
}

fn encode(c: &AlertContent) -> Result<String> {
    serde_json::to_string(c).map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl Store {
    /// One alert.
    ///
    /// # Errors
    /// On database failure.
    pub async fn alert(&self, id: AlertId) -> Result<Option<Alert>> {
        sqlx::query("SELECT * FROM alerts WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(|r| alert_from_row(r).map(|(_, a)| a))
            .transpose()
    }

    /// Listens for the alert announcements of every server sharing this PostgreSQL and
    /// calls `on_notify` for each; returns when the connection fails (SQLite: at once,
    /// there is only one server).
    ///
    /// # Errors
    /// When the connection fails.
    pub async fn listen_alerts(&self, on_notify: impl Fn() + Send) -> Result<()> {
        if self.backend != Backend::Postgres {
            return Ok(());
        }
        let mut listener = sqlx::postgres::PgListener::connect(&self.url).await?;
        listener.listen(crate::ALERTS_CHANNEL).await?;
        loop {
            listener.recv().await?;
            on_notify();
        }
    }

    /// An alert as it was at the revision of stream event `seq`.
    ///
    /// # Errors
    /// On database failure.
    pub async fn alert_at(&self, id: AlertId, seq: i64) -> Result<Option<Alert>> {
        let Some(current) = self.alert(id).await? else {
            return Ok(None);
        };
        let row = sqlx::query(
            "SELECT r.revision, r.status, r.content, r.at FROM stream_events e \
             JOIN alert_revisions r ON r.alert_id = e.alert_id AND r.revision = e.revision WHERE e.seq = $1",
        )
        .bind(seq)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(Alert {
                revision: r.try_get("revision")?,
                status: parse_enum(&r.try_get::<String, _>("status")?, AlertStatus::parse)?,
                content: parse_json(&r.try_get::<String, _>("content")?)?,
                updated_at: from_ms(r.try_get("at")?)?,
                ..current
            })
        })
        .transpose()
    }

    /// Alerts, newest first, older than `before` (a sequence number).
    ///
    /// # Errors
    /// On database failure.
    pub async fn alerts(&self, before: Option<i64>, limit: i64) -> Result<Vec<(i64, Alert)>> {
        let rows = sqlx::query("SELECT * FROM alerts WHERE seq < $1 ORDER BY seq DESC LIMIT $2")
            .bind(before.unwrap_or(i64::MAX))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(alert_from_row).collect()
    }

    /// A member's channels.
    ///
    /// # Errors
    /// On database failure.
    pub async fn channels_of(&self, member: MemberId) -> Result<Vec<Channel>> {
        let rows = sqlx::query("SELECT * FROM channels WHERE member_id = $1 ORDER BY created_at")
            .bind(member.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| channel_from_row(r, CHANNEL_COLUMNS))
            .collect()
    }

    /// Stream events after `after`, oldest first: (event sequence, alert, revision).
    ///
    /// # Errors
    /// On database failure.
    pub async fn stream_events(&self, after: i64, limit: i64) -> Result<Vec<(i64, AlertId, i64)>> {
        let rows = sqlx::query("SELECT seq, alert_id, revision FROM stream_events WHERE seq > $1 ORDER BY seq LIMIT $2")
            .bind(after)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("seq")?,
                    parse_id(&r.try_get::<String, _>("alert_id")?)?,
                    r.try_get("revision")?,
                ))
            })
            .collect()
    }

    /// The latest stream event's sequence number (0 when none).
    ///
    /// # Errors
    /// On database failure.
    pub async fn last_stream_event(&self) -> Result<i64> {
        Ok(
            sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(seq) FROM stream_events")
                .fetch_one(&self.pool)
                .await?
                .unwrap_or(0),
        )
    }

    /// The receipts of an alert (one per recipient that got anything).
    ///
    /// # Errors
    /// On database failure.
    pub async fn receipts(&self, alert: AlertId) -> Result<Vec<Receipt>> {
        let rows = sqlx::query("SELECT * FROM alert_receipts WHERE alert_id = $1")
            .bind(alert.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Receipt {
                    member: parse_id(&r.try_get::<String, _>("member_id")?)?,
                    delivered_at: opt_ms(r.try_get("delivered_at")?)?,
                    read_at: opt_ms(r.try_get("read_at")?)?,
                    acted_at: opt_ms(r.try_get("acted_at")?)?,
                })
            })
            .collect()
    }

    /// Counts of deliveries of an alert by status.
    ///
    /// # Errors
    /// On database failure.
    pub async fn delivery_counts(&self, alert: AlertId) -> Result<Vec<(String, i64)>> {
        let rows = sqlx::query("SELECT status, COUNT(*) AS n FROM deliveries WHERE alert_id = $1 GROUP BY status ORDER BY status")
            .bind(alert.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("status")?, r.try_get("n")?)))
            .collect()
    }

    /// Claims up to `limit` due deliveries for `lease` milliseconds. A delivery whose
    /// lease expired (its worker died) is due again.
    ///
    /// # Errors
    /// On database failure.
    pub async fn claim_deliveries(
        &self,
        now: OffsetDateTime,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<Delivery>> {
        let now_ms = to_ms(now);
        let lock = match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        };
        // The earliest due rows among the pending ones and those whose lease expired: each
        // kind is read in index order and stops at the limit, so a claim reads about
        // `limit` rows however long the outbox is (one `OR` would read and sort every due
        // row for every claim). On PostgreSQL each part locks what it read.
        let sql = format!(
            "WITH expired AS (SELECT id, next_attempt_at FROM deliveries \
             WHERE status = 'sending' AND lease_until < $1 ORDER BY next_attempt_at LIMIT $3{lock}), \
             due AS (SELECT id, next_attempt_at FROM deliveries \
             WHERE status = 'pending' AND next_attempt_at <= $1 ORDER BY next_attempt_at LIMIT $3{lock}) \
             UPDATE deliveries SET status = 'sending', lease_until = $2, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM (SELECT id, next_attempt_at FROM expired \
             UNION ALL SELECT id, next_attempt_at FROM due) AS claimable ORDER BY next_attempt_at LIMIT $3) \
             RETURNING id"
        );
        let mut tx = self.pool.begin().await?;
        let ids: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(now_ms)
            .bind(now_ms + lease_ms)
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?;
        // The claimed rows with their channels, a chunk of ids per statement rather than
        // one statement per row.
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(IN_CHUNK) {
            let sql = format!(
                "SELECT d.id, d.alert_id, d.revision, d.member_id, d.attempts, \
                 d.notice_id, n.kind AS n_kind, n.item_id AS n_item_id, n.due_at AS n_due_at, \
                 c.id AS c_id, c.member_id AS c_member_id, c.kind AS c_kind, c.address AS c_address, \
                 c.secret AS c_secret, c.max_in_flight AS c_max_in_flight, c.active AS c_active, \
                 c.user_id AS c_user_id, c.cleared_level AS c_cleared_level \
                 FROM deliveries d JOIN channels c ON c.id = d.channel_id \
                 LEFT JOIN notices n ON n.id = d.notice_id WHERE d.id IN ({})",
                placeholders(1, chunk.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(id);
            }
            let mut found = HashMap::with_capacity(chunk.len());
            for row in q.fetch_all(&mut *tx).await? {
                let member = parse_id(&row.try_get::<String, _>("member_id")?)?;
                let subject = match row.try_get::<Option<String>, _>("notice_id")? {
                    Some(notice) => Subject::Notice(Notice {
                        id: notice,
                        kind: parse_enum(&row.try_get::<String, _>("n_kind")?, NoticeKind::parse)?,
                        member,
                        item: parse_id(&row.try_get::<String, _>("n_item_id")?)?,
                        due_at: from_ms(row.try_get("n_due_at")?)?,
                    }),
                    None => Subject::Alert {
                        id: parse_id(&row.try_get::<String, _>("alert_id")?)?,
                        revision: row.try_get("revision")?,
                    },
                };
                let d = Delivery {
                    id: row.try_get("id")?,
                    subject,
                    member,
                    attempts: row.try_get("attempts")?,
                    channel: channel_from_row(&row, CLAIMED_CHANNEL_COLUMNS)?,
                };
                found.insert(d.id.clone(), d);
            }
            // In the order claimed.
            for id in chunk {
                out.push(found.remove(id).ok_or(sqlx::Error::RowNotFound)?);
            }
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Marks deliveries delivered, each at its own time, and their members' receipts
    /// delivered (a receipt keeps the time of its first delivery), in one transaction:
    /// workers record a burst of completions with one commit.
    ///
    /// # Errors
    /// On database failure; then none of them is recorded.
    pub async fn delivered(&self, done: &[(Delivery, OffsetDateTime)]) -> Result<()> {
        if done.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
        for chunk in done.chunks(ROWS_CHUNK) {
            let values = (0..chunk.len())
                .map(|i| format!("(${}, CAST(${} AS BIGINT))", 2 * i + 1, 2 * i + 2))
                .collect::<Vec<_>>()
                .join(", ");
            // VALUES columns are column1, column2… on both backends.
            let sql = format!(
                "UPDATE deliveries SET status = 'delivered', delivered_at = v.column2, lease_until = NULL, \
                 last_error = NULL FROM (VALUES {values}) AS v WHERE deliveries.id = v.column1"
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (d, at) in chunk {
                q = q.bind(&d.id).bind(to_ms(*at));
            }
            q.execute(&mut *tx).await?;
        }
        // One receipt row per alert and member, at its earliest delivery (a statement
        // must not touch a row twice on PostgreSQL).
        let mut first: BTreeMap<(String, String), i64> = BTreeMap::new();
        for (d, at) in done {
            let Subject::Alert { id: alert, .. } = &d.subject else {
                continue;
            };
            let at = to_ms(*at);
            first
                .entry((alert.to_string(), d.member.to_string()))
                .and_modify(|t| *t = (*t).min(at))
                .or_insert(at);
        }
        let receipts: Vec<_> = first.into_iter().collect();
        for chunk in receipts.chunks(ROWS_CHUNK) {
            let values = (0..chunk.len())
                .map(|i| format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "INSERT INTO alert_receipts (alert_id, member_id, delivered_at) VALUES {values} \
                 ON CONFLICT (alert_id, member_id) DO UPDATE SET delivered_at = COALESCE(alert_receipts.delivered_at, excluded.delivered_at)"
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for ((alert, member), at) in chunk {
                q = q.bind(alert).bind(member).bind(*at);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records a failed attempt: due again at `retry_at`, or dead when `retry_at` is `None`.
    ///
    /// # Errors
    /// On database failure.
    pub async fn delivery_failed(
        &self,
        d: &Delivery,
        error: &str,
        retry_at: Option<OffsetDateTime>,
    ) -> Result<()> {
        let (status, next) = match retry_at {
            Some(t) => ("pending", to_ms(t)),
            None => ("dead", i64::MAX),
        };
        sqlx::query("UPDATE deliveries SET status = $2, next_attempt_at = $3, lease_until = NULL, last_error = $4 WHERE id = $1")
            .bind(&d.id)
            .bind(status)
            .bind(next)
            .bind(error.chars().take(500).collect::<String>())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Puts a claimed delivery back without counting the attempt (the channel is busy).
    ///
    /// # Errors
    /// On database failure.
    pub async fn release_delivery(&self, d: &Delivery, at: OffsetDateTime) -> Result<()> {
        sqlx::query("UPDATE deliveries SET status = 'pending', attempts = attempts - 1, next_attempt_at = $2, lease_until = NULL WHERE id = $1")
            .bind(&d.id)
            .bind(to_ms(at))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records that a member read or acted on an alert.
    ///
    /// # Errors
    /// On database failure.
    pub async fn mark_receipt(
        &self,
        alert: AlertId,
        member: MemberId,
        acted: bool,
        now: OffsetDateTime,
    ) -> Result<()> {
        mark_receipt(&self.pool, alert, member, acted, now).await
    }
}

async fn mark_receipt<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    e: E,
    alert: AlertId,
    member: MemberId,
    acted: bool,
    now: OffsetDateTime,
) -> Result<()> {
    let sql = if acted {
        "INSERT INTO alert_receipts (alert_id, member_id, read_at, acted_at) VALUES ($1, $2, $3, $3) \
         ON CONFLICT (alert_id, member_id) DO UPDATE SET read_at = COALESCE(alert_receipts.read_at, excluded.read_at), \
         acted_at = COALESCE(alert_receipts.acted_at, excluded.acted_at)"
    } else {
        "INSERT INTO alert_receipts (alert_id, member_id, read_at) VALUES ($1, $2, $3) \
         ON CONFLICT (alert_id, member_id) DO UPDATE SET read_at = COALESCE(alert_receipts.read_at, excluded.read_at)"
    };
    sqlx::query(sql)
        .bind(alert.to_string())
        .bind(member.to_string())
        .bind(to_ms(now))
        .execute(e)
        .await?;
    Ok(())
}

impl Tx {
    /// Records a read or acted receipt inside the transaction (see [`Store::mark_receipt`]).
    ///
    /// # Errors
    /// On database failure.
    pub async fn mark_receipt(
        &mut self,
        alert: AlertId,
        member: MemberId,
        acted: bool,
        now: OffsetDateTime,
    ) -> Result<()> {
        mark_receipt(&mut *self.tx, alert, member, acted, now).await
    }

    /// Stores an alert revision (new or updated) with one delivery row per recipient
    /// channel and a stream event, all in this transaction.
    ///
    /// # Errors
    /// On database failure.
    pub async fn publish_alert(
        &mut self,
        alert: &Alert,
        recipients: &[(MemberId, Vec<Channel>)],
        now: OffsetDateTime,
    ) -> Result<()> {
        let content = encode(&alert.content)?;
        if alert.revision == 1 {
            sqlx::query(
                "INSERT INTO alerts (id, issuer, status, revision, content, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(alert.id.to_string())
            .bind(alert.issuer.to_string())
            .bind(alert.status.as_str())
            .bind(alert.revision)
            .bind(&content)
            .bind(to_ms(alert.created_at))
            .bind(to_ms(alert.updated_at))
            .execute(&mut *self.tx)
            .await?;
        } else {
            sqlx::query("UPDATE alerts SET status = $2, revision = $3, content = $4, updated_at = $5 WHERE id = $1")
                .bind(alert.id.to_string())
                .bind(alert.status.as_str())
                .bind(alert.revision)
                .bind(&content)
                .bind(to_ms(alert.updated_at))
                .execute(&mut *self.tx)
                .await?;
        }
        sqlx::query("INSERT INTO alert_revisions (alert_id, revision, status, content, at) VALUES ($1, $2, $3, $4, $5)")
            .bind(alert.id.to_string())
            .bind(alert.revision)
            .bind(alert.status.as_str())
            .bind(&content)
            .bind(to_ms(now))
            .execute(&mut *self.tx)
            .await?;
        let rows: Vec<(MemberId, &Channel)> = recipients
            .iter()
            .flat_map(|(m, chans)| chans.iter().filter(|c| c.active).map(move |c| (*m, c)))
            .collect();
        for chunk in rows.chunks(400) {
            let mut sql = String::from(
                "INSERT INTO deliveries (id, alert_id, revision, member_id, channel_id, status, attempts, next_attempt_at, created_at) VALUES ",
            );
            for i in 0..chunk.len() {
                let b = i * 3;
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!(
                    "(${}, $1, $2, ${}, ${}, 'pending', 0, $3, $3)",
                    b + 4,
                    b + 5,
                    b + 6
                ));
            }
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(alert.id.to_string())
                .bind(alert.revision)
                .bind(to_ms(now));
            for (m, c) in chunk {
                q = q
                    .bind(uuid::Uuid::now_v7().to_string())
                    .bind(m.to_string())
                    .bind(c.id.clone());
            }
            q.execute(&mut *self.tx).await?;
        }
        sqlx::query("INSERT INTO stream_events (alert_id, revision, at) VALUES ($1, $2, $3)")
            .bind(alert.id.to_string())
            .bind(alert.revision)
            .bind(to_ms(now))
            .execute(&mut *self.tx)
            .await?;
        if self.backend == Backend::Postgres {
            // Delivered at commit to every server listening: they wake their stream
            // subscribers and delivery workers.
            sqlx::query("SELECT pg_notify($1, '')")
                .bind(crate::ALERTS_CHANNEL)
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(())
    }

    /// Registers a channel.
    ///
    /// # Errors
    /// On database failure.
    pub async fn insert_channel(&mut self, c: &Channel) -> Result<()> {
        sqlx::query(
            "INSERT INTO channels (id, member_id, kind, address, secret, max_in_flight, active, created_at, user_id, cleared_level) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&c.id)
        .bind(c.member.to_string())
        .bind(&c.kind)
        .bind(&c.address)
        .bind(c.secret.as_deref())
        .bind(c.max_in_flight)
        .bind(i64::from(c.active))
        .bind(to_ms(OffsetDateTime::now_utc()))
        .bind(c.user.map(|u| u.to_string()))
        .bind(c.cleared_level.as_deref())
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Registers an active member-wide channel as cleared at `level`, or withdraws
    /// that (`None`); false when there is no such active member-wide channel.
    ///
    /// # Errors
    /// On database failure.
    pub async fn set_channel_clearance(&mut self, id: &str, level: Option<&str>) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE channels SET cleared_level = $1 WHERE id = $2 AND active = 1 AND user_id IS NULL",
        )
        .bind(level)
        .bind(id)
        .execute(&mut *self.tx)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Deactivates a member's channel; false when it has no such channel.
    ///
    /// # Errors
    /// On database failure.
    pub async fn deactivate_channel(&mut self, member: MemberId, id: &str) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE channels SET active = 0 WHERE id = $1 AND member_id = $2 AND active = 1",
        )
        .bind(id)
        .bind(member.to_string())
        .execute(&mut *self.tx)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Every active channel of the given members, grouped per member.
    ///
    /// # Errors
    /// On database failure.
    pub async fn active_channels(&mut self) -> Result<Vec<Channel>> {
        let rows = sqlx::query(
            "SELECT id, member_id, kind, address, secret, max_in_flight, active, user_id, cleared_level \
             FROM channels WHERE active = 1",
        )
            .fetch_all(&mut *self.tx)
            .await?;
        rows.iter()
            .map(|r| channel_from_row(r, CHANNEL_COLUMNS))
            .collect()
    }
}
