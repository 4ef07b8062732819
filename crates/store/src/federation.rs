//! Federation (M7.2): where this council pushes each partner's view, what each partner
//! was last sent of each item, and the STIX identities partners create objects as.

use std::collections::HashMap;

use sqlx::Row;
use sqlx::any::AnyRow;
use time::OffsetDateTime;
use tsunagu_core::ids::{ItemId, MemberId};

use crate::{Result, Store, from_ms, parse_id, to_ms};

/// A partner's push link and its sync status.
#[derive(Debug, Clone)]
pub struct PartnerLink {
    /// The partner.
    pub partner: MemberId,
    /// The partner's TAXII collection URL (ends with `/`).
    pub url: String,
    /// The token the partner issued to this council.
    pub token: String,
    /// The position in the items (updated_at in ms, seq) up to which the partner's view
    /// was sent.
    pub watermark: (i64, i64),
    /// The last sync attempt.
    pub last_attempt: Option<OffsetDateTime>,
    /// The last sync that sent everything due.
    pub last_success: Option<OffsetDateTime>,
    /// Why the last attempt failed, if it did.
    pub last_error: Option<String>,
    /// Consecutive failed attempts.
    pub failures: i64,
    /// When the next attempt is due (backoff after failures).
    pub next_attempt: OffsetDateTime,
    /// Items waiting to be sent after the last attempt.
    pub backlog: i64,
    /// Item versions and revocations sent so far.
    pub pushed: i64,
    /// Items the partner refused so far.
    pub refused: i64,
}

fn link_from_row(row: &AnyRow) -> Result<PartnerLink> {
    let opt = |name: &str| -> Result<Option<OffsetDateTime>> {
        row.try_get::<Option<i64>, _>(name)?
            .map(from_ms)
            .transpose()
    };
    Ok(PartnerLink {
        partner: parse_id(&row.try_get::<String, _>("partner_id")?)?,
        url: row.try_get("url")?,
        token: row.try_get("token")?,
        watermark: (row.try_get("watermark_at")?, row.try_get("watermark_seq")?),
        last_attempt: opt("last_attempt")?,
        last_success: opt("last_success")?,
        last_error: row.try_get("last_error")?,
        failures: row.try_get("failures")?,
        next_attempt: from_ms(row.try_get("next_attempt")?)?,
        backlog: row.try_get("backlog")?,
        pushed: row.try_get("pushed")?,
        refused: row.try_get("refused")?,
    })
}

/// What a partner was last sent of an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxState {
    /// The item, at the recorded revision.
    Sent,
    /// Its revocation: the partner was told to hide it.
    Revoked,
    /// The partner refused that revision (its agreement does not take it).
    Refused,
}

impl OutboxState {
    fn as_str(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Revoked => "revoked",
            Self::Refused => "refused",
        }
    }
}

/// One entry of a partner's outbox.
#[derive(Debug, Clone)]
pub struct OutboxEntry {
    /// The item's STIX container id as sent.
    pub container: String,
    /// The item revision sent (or refused).
    pub revision: i64,
    /// What was sent.
    pub state: OutboxState,
}

/// What one sync attempt did.
#[derive(Debug, Clone, Copy, Default)]
pub struct SyncCounts {
    /// Items still waiting when it ended.
    pub backlog: i64,
    /// Item versions and revocations the partner took.
    pub pushed: i64,
    /// Items the partner refused.
    pub refused: i64,
}

/// How a sync attempt ended.
#[derive(Debug, Clone)]
pub enum SyncOutcome {
    /// Everything due was sent (or refused by the partner); the watermark moves on.
    Done {
        /// The new watermark.
        watermark: (i64, i64),
        /// Whether the partner was contacted (a push or a link check): only then is
        /// this the last success.
        contacted: bool,
    },
    /// The partner could not be reached or failed; retried at `retry_at`.
    Failed {
        /// Why.
        error: String,
        /// When to try again.
        retry_at: OffsetDateTime,
    },
}

impl Store {
    /// Sets (or replaces) where a partner's view is pushed; the next sync sends the
    /// whole view again, checked against what the partner was already sent (at another
    /// address, nothing counts as sent: everything due goes again).
    ///
    /// # Errors
    /// On database failure.
    pub async fn put_partner_link(&self, partner: MemberId, url: &str, token: &str) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "DELETE FROM partner_outbox WHERE partner_id = $1 AND EXISTS \
             (SELECT 1 FROM partner_links WHERE partner_id = $1 AND url <> $2)",
        )
        .bind(partner.to_string())
        .bind(url)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO partner_links (partner_id, url, token) VALUES ($1, $2, $3) \
             ON CONFLICT (partner_id) DO UPDATE SET url = $2, token = $3, watermark_at = 0, \
             watermark_seq = 0, failures = 0, next_attempt = 0, last_error = NULL",
        )
        .bind(partner.to_string())
        .bind(url)
        .bind(token)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Stops pushing to a partner (what it was sent stays recorded).
    ///
    /// # Errors
    /// On database failure.
    pub async fn delete_partner_link(&self, partner: MemberId) -> Result<bool> {
        let done = sqlx::query("DELETE FROM partner_links WHERE partner_id = $1")
            .bind(partner.to_string())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Makes the next sync of a partner re-examine every item (its agreement changed).
    ///
    /// # Errors
    /// On database failure.
    pub async fn rewind_partner_link(&self, partner: MemberId) -> Result<()> {
        sqlx::query(
            "UPDATE partner_links SET watermark_at = 0, watermark_seq = 0, next_attempt = 0 \
             WHERE partner_id = $1",
        )
        .bind(partner.to_string())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Every partner link.
    ///
    /// # Errors
    /// On database failure.
    pub async fn partner_links(&self) -> Result<Vec<PartnerLink>> {
        sqlx::query("SELECT * FROM partner_links ORDER BY partner_id")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(link_from_row)
            .collect()
    }

    /// Takes the right to sync a partner until `until`, when its next attempt is due
    /// and no other server holds it; `true` when taken.
    ///
    /// # Errors
    /// On database failure.
    pub async fn claim_partner_link(
        &self,
        partner: MemberId,
        now: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE partner_links SET lease_until = $3 \
             WHERE partner_id = $1 AND lease_until <= $2 AND next_attempt <= $2",
        )
        .bind(partner.to_string())
        .bind(to_ms(now))
        .bind(to_ms(until))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records how a sync attempt to `url` ended and releases the lease. When the link
    /// was moved to another address meanwhile, only the lease is released: the new
    /// address starts from nothing sent.
    ///
    /// # Errors
    /// On database failure.
    pub async fn record_partner_sync(
        &self,
        partner: MemberId,
        url: &str,
        now: OffsetDateTime,
        outcome: &SyncOutcome,
        counts: SyncCounts,
    ) -> Result<()> {
        let q = match outcome {
            SyncOutcome::Done { watermark, .. } => sqlx::query(
                "UPDATE partner_links SET lease_until = 0, \
                 last_attempt = CASE WHEN $8 = 1 THEN $2 ELSE last_attempt END, \
                 last_success = CASE WHEN $8 = 1 THEN $2 ELSE last_success END, \
                 last_error = NULL, failures = 0, next_attempt = 0, watermark_at = $3, \
                 watermark_seq = $4, backlog = $5, pushed = pushed + $6, refused = refused + $7 \
                 WHERE partner_id = $1 AND url = $9",
            )
            .bind(partner.to_string())
            .bind(to_ms(now))
            .bind(watermark.0)
            .bind(watermark.1),
            SyncOutcome::Failed { error, retry_at } => sqlx::query(
                "UPDATE partner_links SET lease_until = 0, last_error = $2, \
                 failures = failures + 1, next_attempt = $3, backlog = $4, pushed = pushed + $5, \
                 refused = refused + $6, last_attempt = $7 WHERE partner_id = $1 AND url = $8",
            )
            .bind(partner.to_string())
            .bind(error.clone())
            .bind(to_ms(*retry_at)),
        };
        let q = q
            .bind(counts.backlog)
            .bind(counts.pushed)
            .bind(counts.refused);
        let q = match outcome {
            SyncOutcome::Done { contacted, .. } => q.bind(i64::from(*contacted)),
            SyncOutcome::Failed { .. } => q.bind(to_ms(now)),
        };
        q.bind(url).execute(&self.pool).await?;
        sqlx::query("UPDATE partner_links SET lease_until = 0 WHERE partner_id = $1")
            .bind(partner.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// What `partner` was last sent of each of `items` that it was sent anything of.
    ///
    /// # Errors
    /// On database failure.
    pub async fn partner_outbox(
        &self,
        partner: MemberId,
        items: &[ItemId],
    ) -> Result<HashMap<ItemId, OutboxEntry>> {
        let mut out = HashMap::new();
        for chunk in items.chunks(500) {
            let list = (2..=chunk.len() + 1)
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "SELECT item_id, container, revision, state FROM partner_outbox \
                 WHERE partner_id = $1 AND item_id IN ({list})"
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(partner.to_string());
            for id in chunk {
                q = q.bind(id.to_string());
            }
            for row in q.fetch_all(&self.pool).await? {
                let state = match row.try_get::<String, _>("state")?.as_str() {
                    "sent" => OutboxState::Sent,
                    "revoked" => OutboxState::Revoked,
                    _ => OutboxState::Refused,
                };
                out.insert(
                    parse_id(&row.try_get::<String, _>("item_id")?)?,
                    OutboxEntry {
                        container: row.try_get("container")?,
                        revision: row.try_get("revision")?,
                        state,
                    },
                );
            }
        }
        Ok(out)
    }

    /// Records what `partner` was sent of `item` at `url`; nothing when the link was
    /// moved to another address meanwhile.
    ///
    /// # Errors
    /// On database failure.
    pub async fn put_partner_outbox(
        &self,
        partner: MemberId,
        url: &str,
        item: ItemId,
        entry: &OutboxEntry,
        detail: &str,
        at: OffsetDateTime,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO partner_outbox (partner_id, item_id, container, revision, state, detail, at) \
             SELECT $1, $2, $3, $4, $5, $6, $7 WHERE EXISTS \
             (SELECT 1 FROM partner_links WHERE partner_id = $1 AND url = $8) \
             ON CONFLICT (partner_id, item_id) DO UPDATE SET \
             container = $3, revision = $4, state = $5, detail = $6, at = $7",
        )
        .bind(partner.to_string())
        .bind(item.to_string())
        .bind(entry.container.clone())
        .bind(entry.revision)
        .bind(entry.state.as_str())
        .bind(detail)
        .bind(to_ms(at))
        .bind(url)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The partner that creates STIX objects as `identity`, if one was pinned to it.
    ///
    /// # Errors
    /// On database failure.
    pub async fn partner_of_identity(&self, identity: &str) -> Result<Option<MemberId>> {
        sqlx::query_scalar::<_, String>(
            "SELECT partner_id FROM partner_identities WHERE identity = $1",
        )
        .bind(identity)
        .fetch_optional(&self.pool)
        .await?
        .map(|id| parse_id(&id))
        .transpose()
    }

    /// Pins `identity` to `partner` (nothing happens when it is already pinned).
    ///
    /// # Errors
    /// On database failure.
    pub async fn pin_partner_identity(
        &self,
        identity: &str,
        partner: MemberId,
        at: OffsetDateTime,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO partner_identities (identity, partner_id, pinned_at) VALUES ($1, $2, $3) \
             ON CONFLICT (identity) DO NOTHING",
        )
        .bind(identity)
        .bind(partner.to_string())
        .bind(to_ms(at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
