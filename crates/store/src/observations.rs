//! Constituency registrations and observations: what each member states it owns, the
//! sensor records that hit a member's verified constituency (its private report), and
//! the council-wide daily counts behind the trends.

use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;
use time::OffsetDateTime;
use tsunagu_core::ids::{MemberId, UserId};
use tsunagu_core::observation::{Observation, SensorType, Severity};
use tsunagu_core::trends::Daily;

use crate::{Result, Sql, Store, StoreError, Tx, from_ms, parse_enum, parse_id, to_ms};

/// The meta key counting constituency changes, so routing tables know when to reload.
const VERSION_KEY: &str = "constituency_version";

/// Where a constituency entry stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConstituencyStatus {
    /// Registered, waiting for the coordinator.
    Pending,
    /// Overlaps another member's entry: held for the coordinator, not applied.
    Held,
    /// Verified by the coordinator: in effect.
    Verified,
    /// Refused by the coordinator.
    Rejected,
}

impl ConstituencyStatus {
    /// Every status.
    pub const ALL: [Self; 4] = [Self::Pending, Self::Held, Self::Verified, Self::Rejected];

    /// The stored and API name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Held => "held",
            Self::Verified => "verified",
            Self::Rejected => "rejected",
        }
    }

    /// The status named `s`.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// Still waiting for the coordinator's decision.
    #[must_use]
    pub fn is_open(self) -> bool {
        matches!(self, Self::Pending | Self::Held)
    }
}

/// Another member's entry that a registration overlaps (shown to the coordinator only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverlapRef {
    /// The other member.
    pub member_id: MemberId,
    /// Its entry.
    pub value: String,
}

/// One constituency entry, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConstituencyRow {
    /// Identifier (a UUID).
    pub id: String,
    /// The member that registered it.
    pub member: MemberId,
    /// `cidr`, `asn` or `domain`.
    pub kind: String,
    /// The canonical entry.
    pub value: String,
    /// How the member states it owns it (allocation, registrant, contract).
    pub ownership: String,
    /// Where it stands.
    pub status: ConstituencyStatus,
    /// Other members' entries it overlapped when registered.
    pub overlaps: Vec<OverlapRef>,
    /// The coordinator's note on its decision.
    pub note: String,
    /// Who decided.
    pub decided_by: Option<UserId>,
    /// When.
    pub decided_at: Option<OffsetDateTime>,
    /// Registered.
    pub created_at: OffsetDateTime,
}

/// An ingestion: a file, an API call or a sensor's push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchRow {
    /// Identifier (a UUID).
    pub id: String,
    /// Where it came from (`api`, `cli`, …).
    pub source: String,
    /// The member that submitted it.
    pub submitted_by: MemberId,
    /// Records read.
    pub records: i64,
    /// Hits recorded (a record hitting two members counts twice).
    pub hits: i64,
    /// Earliest record.
    pub first_at: Option<OffsetDateTime>,
    /// Latest record.
    pub last_at: Option<OffsetDateTime>,
    /// Ingested.
    pub created_at: OffsetDateTime,
}

/// A record that hit a member's constituency, with what hit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HitRow {
    /// The member.
    pub member: MemberId,
    /// The record.
    pub observation: Observation,
    /// Which part of the record hit (`source_address`, `destination_address`,
    /// `hostname`, `asn`).
    pub via: String,
    /// The member's entry it hit.
    pub matched: String,
}

/// A stored hit with its position (the keyset cursor).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredHit {
    /// Position: larger is newer.
    pub seq: i64,
    /// The hit.
    pub hit: HitRow,
}

/// A member's hits grouped by day, sensor type and tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HitCount {
    /// `YYYY-MM-DD`.
    pub day: String,
    /// The sensor type.
    pub sensor_type: String,
    /// The tag.
    pub tag: String,
    /// Records.
    pub records: i64,
    /// Packets or events.
    pub packets: i64,
}

/// Filters of a member's hit listing.
#[derive(Debug, Clone, Default)]
pub struct HitQuery {
    /// First day (inclusive, `YYYY-MM-DD`).
    pub from_day: Option<String>,
    /// Last day (inclusive).
    pub to_day: Option<String>,
    /// Only this sensor type.
    pub sensor_type: Option<String>,
    /// Only this tag.
    pub tag: Option<String>,
    /// Only hits after this position.
    pub after: Option<i64>,
}

const CONSTITUENCY_COLUMNS: &str = "id, member_id, kind, value, ownership, status, overlapping, note, decided_by, decided_at, created_at";

fn constituency_from_row(r: &AnyRow) -> Result<ConstituencyRow> {
    let overlaps: String = r.try_get("overlapping")?;
    Ok(ConstituencyRow {
        id: r.try_get("id")?,
        member: parse_id(&r.try_get::<String, _>("member_id")?)?,
        kind: r.try_get("kind")?,
        value: r.try_get("value")?,
        ownership: r.try_get("ownership")?,
        status: parse_enum(
            &r.try_get::<String, _>("status")?,
            ConstituencyStatus::parse,
        )?,
        overlaps: crate::parse_json(&overlaps)?,
        note: r.try_get("note")?,
        decided_by: r
            .try_get::<Option<String>, _>("decided_by")?
            .map(|s| parse_id(&s))
            .transpose()?,
        decided_at: r
            .try_get::<Option<i64>, _>("decided_at")?
            .map(from_ms)
            .transpose()?,
        created_at: from_ms(r.try_get("created_at")?)?,
    })
}

const HIT_COLUMNS: &str = "seq, member_id, observed_at, sensor_id, sensor_type, src_ip, src_port, \
     dst_ip, dst_port, protocol, asn, hostname, tag, family, severity, count, via, matched";

fn corrupt(what: &str, v: impl std::fmt::Debug) -> StoreError {
    StoreError::Corrupt(format!("{what} {v:?}"))
}

fn opt_port(r: &AnyRow, col: &str) -> Result<Option<u16>> {
    r.try_get::<Option<i64>, _>(col)?
        .map(|p| u16::try_from(p).map_err(|_| corrupt("port", p)))
        .transpose()
}

fn opt_ip(r: &AnyRow, col: &str) -> Result<Option<std::net::IpAddr>> {
    r.try_get::<Option<String>, _>(col)?
        .map(|s| s.parse().map_err(|_| corrupt("address", s)))
        .transpose()
}

fn hit_from_row(r: &AnyRow) -> Result<StoredHit> {
    let count: i64 = r.try_get("count")?;
    Ok(StoredHit {
        seq: r.try_get("seq")?,
        hit: HitRow {
            member: parse_id(&r.try_get::<String, _>("member_id")?)?,
            observation: Observation {
                timestamp: from_ms(r.try_get("observed_at")?)?,
                sensor_id: r.try_get("sensor_id")?,
                sensor_type: parse_enum(
                    &r.try_get::<String, _>("sensor_type")?,
                    SensorType::parse,
                )?,
                src_ip: opt_ip(r, "src_ip")?,
                src_port: opt_port(r, "src_port")?,
                dst_ip: opt_ip(r, "dst_ip")?,
                dst_port: opt_port(r, "dst_port")?,
                protocol: r.try_get("protocol")?,
                asn: r
                    .try_get::<Option<i64>, _>("asn")?
                    .map(|a| u32::try_from(a).map_err(|_| corrupt("asn", a)))
                    .transpose()?,
                hostname: r.try_get("hostname")?,
                tag: r.try_get("tag")?,
                family: r.try_get("family")?,
                severity: parse_enum(&r.try_get::<String, _>("severity")?, Severity::parse)?,
                count: u64::try_from(count).map_err(|_| corrupt("count", count))?,
            },
            via: r.try_get("via")?,
            matched: r.try_get("matched")?,
        },
    })
}

/// `YYYY-MM-DD` of a UTC time.
#[must_use]
pub fn day_of(t: OffsetDateTime) -> String {
    let d = t.to_offset(time::UtcOffset::UTC).date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Adds one key's counts to the council-wide daily counts.
const DAILY_UPSERT: &str = "INSERT INTO observation_daily (day, sensor_type, protocol, port, tag, records, packets) \
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (day, sensor_type, protocol, port, tag) \
     DO UPDATE SET records = observation_daily.records + excluded.records, \
     packets = observation_daily.packets + excluded.packets";

/// Hits written per statement (18 parameters each: under SQLite's 32,766).
const HIT_CHUNK: usize = 1000;

impl Store {
    /// A member's constituency entries, newest first.
    ///
    /// # Errors
    /// On database failure.
    pub async fn constituency_of(&self, member: MemberId) -> Result<Vec<ConstituencyRow>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {CONSTITUENCY_COLUMNS} FROM constituency WHERE member_id = $1 ORDER BY created_at DESC, id"
        )))
        .bind(member.to_string())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(constituency_from_row)
        .collect()
    }

    /// Every member's entries, or those with one status, oldest first.
    ///
    /// # Errors
    /// On database failure.
    pub async fn constituency_all(
        &self,
        status: Option<ConstituencyStatus>,
    ) -> Result<Vec<ConstituencyRow>> {
        let rows = match status {
            Some(s) => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {CONSTITUENCY_COLUMNS} FROM constituency WHERE status = $1 ORDER BY created_at, id"
                )))
                .bind(s.as_str())
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {CONSTITUENCY_COLUMNS} FROM constituency ORDER BY created_at, id"
                )))
                .fetch_all(&self.pool)
                .await?
            }
        };
        rows.iter().map(constituency_from_row).collect()
    }

    /// One entry.
    ///
    /// # Errors
    /// On database failure.
    pub async fn constituency_entry(&self, id: &str) -> Result<Option<ConstituencyRow>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {CONSTITUENCY_COLUMNS} FROM constituency WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(constituency_from_row)
        .transpose()
    }

    /// A page of the verified entries after the id `after` (`""` for the first), in id
    /// order: `(id, member, kind, value)` only, so a routing table of hundreds of
    /// thousands of entries is built without holding their rows.
    ///
    /// # Errors
    /// On database failure.
    pub async fn verified_constituency_page(
        &self,
        after: &str,
        limit: i64,
    ) -> Result<Vec<(String, MemberId, String, String)>> {
        sqlx::query(
            "SELECT id, member_id, kind, value FROM constituency \
             WHERE status = 'verified' AND id > $1 ORDER BY id LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.try_get("id")?,
                parse_id(&r.try_get::<String, _>("member_id")?)?,
                r.try_get("kind")?,
                r.try_get("value")?,
            ))
        })
        .collect()
    }

    /// How many times any constituency changed: a routing table built at one version
    /// is current while this stays the same.
    ///
    /// # Errors
    /// On database failure.
    pub async fn constituency_version(&self) -> Result<i64> {
        Ok(self
            .meta(VERSION_KEY)
            .await?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    /// A member's hits, oldest first after `q.after`, at most `limit`.
    ///
    /// # Errors
    /// On database failure.
    pub async fn hits_of(
        &self,
        member: MemberId,
        q: &HitQuery,
        limit: i64,
    ) -> Result<Vec<StoredHit>> {
        let mut sql = Sql::default();
        sql.push("SELECT ")
            .push(HIT_COLUMNS)
            .push(" FROM observation_hits WHERE member_id = ")
            .bind_text(member.to_string());
        if let Some(d) = &q.from_day {
            sql.push(" AND day >= ").bind_text(d.clone());
        }
        if let Some(d) = &q.to_day {
            sql.push(" AND day <= ").bind_text(d.clone());
        }
        if let Some(s) = &q.sensor_type {
            sql.push(" AND sensor_type = ").bind_text(s.clone());
        }
        if let Some(t) = &q.tag {
            sql.push(" AND tag = ").bind_text(t.clone());
        }
        if let Some(a) = q.after {
            sql.push(" AND seq > ").bind_int(a);
        }
        sql.push(" ORDER BY seq LIMIT ").bind_int(limit);
        sql.query()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(hit_from_row)
            .collect()
    }

    /// A member's hits counted by day, sensor type and tag, between two days.
    ///
    /// # Errors
    /// On database failure.
    pub async fn hit_counts(
        &self,
        member: MemberId,
        from_day: &str,
        to_day: &str,
    ) -> Result<Vec<HitCount>> {
        sqlx::query(
            "SELECT day, sensor_type, tag, COUNT(*) AS records, CAST(SUM(count) AS BIGINT) AS packets \
             FROM observation_hits WHERE member_id = $1 AND day >= $2 AND day <= $3 \
             GROUP BY day, sensor_type, tag ORDER BY day, sensor_type, tag",
        )
        .bind(member.to_string())
        .bind(from_day)
        .bind(to_day)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(HitCount {
                day: r.try_get("day")?,
                sensor_type: r.try_get("sensor_type")?,
                tag: r.try_get("tag")?,
                records: r.try_get("records")?,
                packets: r.try_get("packets")?,
            })
        })
        .collect()
    }

    /// The council-wide daily counts between two days.
    ///
    /// # Errors
    /// On database failure.
    pub async fn observation_daily(&self, from_day: &str, to_day: &str) -> Result<Vec<Daily>> {
        sqlx::query(
            "SELECT day, sensor_type, protocol, port, tag, records, packets FROM observation_daily \
             WHERE day >= $1 AND day <= $2 ORDER BY day, sensor_type, protocol, port, tag",
        )
        .bind(from_day)
        .bind(to_day)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(Daily {
                day: r.try_get("day")?,
                sensor_type: r.try_get("sensor_type")?,
                protocol: r.try_get("protocol")?,
                port: r.try_get("port")?,
                tag: r.try_get("tag")?,
                records: r.try_get("records")?,
                packets: r.try_get("packets")?,
            })
        })
        .collect()
    }

    /// The members with hits on `day`, and how many, for the daily digests.
    ///
    /// # Errors
    /// On database failure.
    pub async fn members_hit_on(&self, day: &str) -> Result<Vec<(MemberId, i64)>> {
        sqlx::query(
            "SELECT member_id, COUNT(*) AS n FROM observation_hits WHERE day = $1 \
             GROUP BY member_id ORDER BY member_id",
        )
        .bind(day)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok((
                parse_id(&r.try_get::<String, _>("member_id")?)?,
                r.try_get("n")?,
            ))
        })
        .collect()
    }

    /// Claims the digest of `member` for `day`: true when nobody sent (or is sending) it.
    ///
    /// # Errors
    /// On database failure.
    pub async fn claim_digest(
        &self,
        member: MemberId,
        day: &str,
        hits: i64,
        now: OffsetDateTime,
    ) -> Result<bool> {
        let claimed: Option<String> = sqlx::query_scalar(
            "INSERT INTO observation_digests (member_id, day, hits, sent_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (member_id, day) DO NOTHING RETURNING member_id",
        )
        .bind(member.to_string())
        .bind(day)
        .bind(hits)
        .bind(to_ms(now))
        .fetch_optional(&self.pool)
        .await?;
        Ok(claimed.is_some())
    }

    /// Gives a claimed digest back (its e-mail could not be sent), so a later sweep retries.
    ///
    /// # Errors
    /// On database failure.
    pub async fn release_digest(&self, member: MemberId, day: &str) -> Result<()> {
        sqlx::query("DELETE FROM observation_digests WHERE member_id = $1 AND day = $2")
            .bind(member.to_string())
            .bind(day)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

impl Tx {
    async fn bump_constituency_version(&mut self) -> Result<()> {
        sqlx::query(
            "INSERT INTO meta (key, value) VALUES ($1, '1') \
             ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(meta.value AS BIGINT) + 1 AS TEXT)",
        )
        .bind(VERSION_KEY)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Every member's entries that are in effect or waiting (for overlap checks).
    ///
    /// # Errors
    /// On database failure.
    pub async fn live_constituency(&mut self) -> Result<Vec<ConstituencyRow>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {CONSTITUENCY_COLUMNS} FROM constituency WHERE status <> 'rejected' ORDER BY created_at, id"
        )))
        .fetch_all(&mut *self.tx)
        .await?
        .iter()
        .map(constituency_from_row)
        .collect()
    }

    /// Registers an entry.
    ///
    /// # Errors
    /// [`StoreError::Duplicate`] when the member registered it already; database failure.
    pub async fn insert_constituency(&mut self, r: &ConstituencyRow) -> Result<()> {
        let overlaps =
            serde_json::to_string(&r.overlaps).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        sqlx::query(
            "INSERT INTO constituency (id, member_id, kind, value, ownership, status, overlapping, note, \
             decided_by, decided_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, NULL, $9)",
        )
        .bind(&r.id)
        .bind(r.member.to_string())
        .bind(&r.kind)
        .bind(&r.value)
        .bind(&r.ownership)
        .bind(r.status.as_str())
        .bind(overlaps)
        .bind(&r.note)
        .bind(to_ms(r.created_at))
        .execute(&mut *self.tx)
        .await
        .map_err(StoreError::from_write)?;
        self.bump_constituency_version().await
    }

    /// Records the coordinator's decision on an open entry; false when it was not open.
    ///
    /// # Errors
    /// On database failure.
    pub async fn decide_constituency(
        &mut self,
        id: &str,
        status: ConstituencyStatus,
        note: &str,
        by: UserId,
        at: OffsetDateTime,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE constituency SET status = $1, note = $2, decided_by = $3, decided_at = $4 \
             WHERE id = $5 AND status IN ('pending', 'held')",
        )
        .bind(status.as_str())
        .bind(note)
        .bind(by.to_string())
        .bind(to_ms(at))
        .bind(id)
        .execute(&mut *self.tx)
        .await?
        .rows_affected()
            == 1;
        if done {
            self.bump_constituency_version().await?;
        }
        Ok(done)
    }

    /// Removes one of a member's entries; false when it has no such entry.
    ///
    /// # Errors
    /// On database failure.
    pub async fn delete_constituency(&mut self, member: MemberId, id: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM constituency WHERE id = $1 AND member_id = $2")
            .bind(id)
            .bind(member.to_string())
            .execute(&mut *self.tx)
            .await?
            .rows_affected()
            == 1;
        if done {
            self.bump_constituency_version().await?;
        }
        Ok(done)
    }

    /// Starts an ingestion's batch (its hits follow with [`Tx::insert_hits`], its
    /// figures with [`Tx::finish_batch`]).
    ///
    /// # Errors
    /// On database failure.
    pub async fn insert_batch(&mut self, batch: &BatchRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO observation_batches (id, source, submitted_by, records, hits, first_at, last_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&batch.id)
        .bind(&batch.source)
        .bind(batch.submitted_by.to_string())
        .bind(batch.records)
        .bind(batch.hits)
        .bind(batch.first_at.map(to_ms))
        .bind(batch.last_at.map(to_ms))
        .bind(to_ms(batch.created_at))
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Completes a batch: its figures, and its council-wide daily counts added to those
    /// already there.
    ///
    /// # Errors
    /// On database failure.
    pub async fn finish_batch(&mut self, batch: &BatchRow, daily: &[Daily]) -> Result<()> {
        sqlx::query(
            "UPDATE observation_batches SET records = $1, hits = $2, first_at = $3, last_at = $4 WHERE id = $5",
        )
        .bind(batch.records)
        .bind(batch.hits)
        .bind(batch.first_at.map(to_ms))
        .bind(batch.last_at.map(to_ms))
        .bind(&batch.id)
        .execute(&mut *self.tx)
        .await?;
        for d in daily {
            sqlx::query(DAILY_UPSERT)
                .bind(&d.day)
                .bind(&d.sensor_type)
                .bind(&d.protocol)
                .bind(d.port)
                .bind(&d.tag)
                .bind(d.records)
                .bind(d.packets)
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(())
    }

    /// Writes hits of the batch `batch_id` (any number; written a statement per
    /// thousand).
    ///
    /// # Errors
    /// On database failure.
    pub async fn insert_hits(&mut self, batch_id: &str, hits: &[HitRow]) -> Result<()> {
        for chunk in hits.chunks(HIT_CHUNK) {
            let mut sql = Sql::bulk(self.backend);
            sql.push(
                "INSERT INTO observation_hits (member_id, batch_id, observed_at, day, sensor_id, sensor_type, \
                 src_ip, src_port, dst_ip, dst_port, protocol, asn, hostname, tag, family, severity, count, via, matched) VALUES ",
            );
            for (i, h) in chunk.iter().enumerate() {
                let o = &h.observation;
                sql.push(if i == 0 { "(" } else { ", (" });
                sql.bind_text(h.member.to_string())
                    .push(", ")
                    .bind_text(batch_id)
                    .push(", ")
                    .bind_int(to_ms(o.timestamp))
                    .push(", ")
                    .bind_text(day_of(o.timestamp))
                    .push(", ")
                    .bind_text(o.sensor_id.clone())
                    .push(", ")
                    .bind_text(o.sensor_type.as_str())
                    .push(", ");
                sql.bind_opt_text(o.src_ip.map(|a| a.to_string()).as_deref());
                sql.push(", ");
                sql.bind_opt_int(o.src_port.map(i64::from));
                sql.push(", ");
                sql.bind_opt_text(o.dst_ip.map(|a| a.to_string()).as_deref());
                sql.push(", ");
                sql.bind_opt_int(o.dst_port.map(i64::from));
                sql.push(", ").bind_text(o.protocol.clone()).push(", ");
                sql.bind_opt_int(o.asn.map(i64::from));
                sql.push(", ");
                sql.bind_opt_text(o.hostname.as_deref());
                sql.push(", ")
                    .bind_text(o.tag.clone())
                    .push(", ")
                    .bind_text(o.family.clone())
                    .push(", ")
                    .bind_text(o.severity.as_str())
                    .push(", ")
                    .bind_int(i64::try_from(o.count).unwrap_or(i64::MAX))
                    .push(", ")
                    .bind_text(h.via.clone())
                    .push(", ")
                    .bind_text(h.matched.clone())
                    .push(")");
            }
            sql.query().execute(&mut *self.tx).await?;
        }
        // Upserts one row at a time keep the statement simple on both backends; a
        // batch has a few hundred distinct (day, type, protocol, port, tag) keys.
        Ok(())
    }
}
