//! The catalogue of known-exploited vulnerabilities: entries by CVE, proposed or
//! published.

use sqlx::Row;
use sqlx::any::AnyRow;
use time::OffsetDateTime;
use tsunagu_core::ids::MemberId;
use tsunagu_core::kev::KevEntry;

use crate::{Result, Store, StoreError, Tx, from_ms, parse_id, parse_json, to_ms};

/// Where an entry stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KevStatus {
    /// Waiting for review.
    Proposed,
    /// In the public catalogue.
    Published,
}

impl KevStatus {
    /// The stored name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Proposed => "proposed",
            Self::Published => "published",
        }
    }
}

/// A catalogue entry as stored.
#[derive(Debug, Clone)]
pub struct StoredKev {
    /// The entry.
    pub entry: KevEntry,
    /// Proposed or published.
    pub status: KevStatus,
    /// Who proposed it (none for a feed import).
    pub proposed_by: Option<MemberId>,
    /// Who reviewed it.
    pub reviewed_by: Option<MemberId>,
    /// First stored.
    pub created_at: OffsetDateTime,
    /// Last changed.
    pub updated_at: OffsetDateTime,
}

fn from_row(r: &AnyRow) -> Result<StoredKev> {
    let opt_member = |col: &str| -> Result<Option<MemberId>> {
        r.try_get::<Option<String>, _>(col)?
            .map(|s| parse_id(&s))
            .transpose()
    };
    Ok(StoredKev {
        entry: parse_json(&r.try_get::<String, _>("entry")?)?,
        status: match r.try_get::<String, _>("status")?.as_str() {
            "published" => KevStatus::Published,
            "proposed" => KevStatus::Proposed,
            other => return Err(StoreError::Corrupt(format!("kev status {other:?}"))),
        },
        proposed_by: opt_member("proposed_by")?,
        reviewed_by: opt_member("reviewed_by")?,
        created_at: from_ms(r.try_get("created_at")?)?,
        updated_at: from_ms(r.try_get("updated_at")?)?,
    })
}

impl Store {
    /// Every entry, or those of one status, newest addition first.
    ///
    /// # Errors
    /// On database failure.
    pub async fn kev_entries(&self, status: Option<KevStatus>) -> Result<Vec<StoredKev>> {
        let rows = match status {
            Some(s) => {
                sqlx::query("SELECT * FROM kev_entries WHERE status = $1")
                    .bind(s.as_str())
                    .fetch_all(&self.pool)
                    .await?
            }
            None => {
                sqlx::query("SELECT * FROM kev_entries")
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        let mut out = rows.iter().map(from_row).collect::<Result<Vec<_>>>()?;
        out.sort_by(|a, b| {
            (&b.entry.date_added, &b.entry.cve_id).cmp(&(&a.entry.date_added, &a.entry.cve_id))
        });
        Ok(out)
    }
}

impl Tx {
    /// One entry, read inside the transaction.
    ///
    /// # Errors
    /// On database failure.
    pub async fn kev_entry(&mut self, cve: &str) -> Result<Option<StoredKev>> {
        sqlx::query("SELECT * FROM kev_entries WHERE cve_id = $1")
            .bind(cve)
            .fetch_optional(&mut *self.tx)
            .await?
            .as_ref()
            .map(from_row)
            .transpose()
    }

    /// Stores an entry (new or replacing the one for its CVE).
    ///
    /// # Errors
    /// On database failure.
    pub async fn put_kev(&mut self, k: &StoredKev) -> Result<()> {
        let entry =
            serde_json::to_string(&k.entry).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        sqlx::query(
            "INSERT INTO kev_entries (cve_id, status, entry, proposed_by, reviewed_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (cve_id) DO UPDATE SET status = excluded.status, \
             entry = excluded.entry, proposed_by = excluded.proposed_by, reviewed_by = excluded.reviewed_by, \
             updated_at = excluded.updated_at",
        )
        .bind(&k.entry.cve_id)
        .bind(k.status.as_str())
        .bind(entry)
        .bind(k.proposed_by.map(|m| m.to_string()))
        .bind(k.reviewed_by.map(|m| m.to_string()))
        .bind(to_ms(k.created_at))
        .bind(to_ms(k.updated_at))
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }
}
