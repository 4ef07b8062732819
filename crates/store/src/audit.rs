//! The hash-chained audit log: appended inside the transaction of the change it records.

use sqlx::Row;
use sqlx::any::AnyRow;
use time::OffsetDateTime;
use tsunagu_core::audit::{AuditEntry, AuditRecord, ChainBreak, Verifier};

use crate::{Result, Store, StoreError, Tx, from_ms, to_ms};

fn entry_from_row(row: &AnyRow) -> Result<AuditEntry> {
    Ok(AuditEntry {
        seq: row.try_get("seq")?,
        at: from_ms(row.try_get("at")?)?,
        actor_user: row.try_get("actor_user")?,
        actor_member: row.try_get("actor_member")?,
        action: row.try_get("action")?,
        target_type: row.try_get("target_type")?,
        target_id: row.try_get("target_id")?,
        details: row.try_get("details")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

/// A page of audit entries, newest first, with the cursor for the next page.
#[derive(Debug, Clone)]
pub struct AuditPage {
    /// The entries.
    pub entries: Vec<AuditEntry>,
    /// Pass as `before` to get the next (older) page.
    pub next_before: Option<i64>,
}

impl Tx {
    /// Appends an entry to the audit chain. The head row was locked by
    /// [`Store::begin`], so no other transaction can chain concurrently.
    ///
    /// # Errors
    /// On database failure.
    pub async fn audit(&mut self, r: &AuditRecord) -> Result<i64> {
        let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(&mut *self.tx)
            .await?;
        let prev_seq: i64 = head.try_get("seq")?;
        let prev_hash: String = head.try_get("hash")?;
        let seq = prev_seq + 1;
        let at = from_ms(to_ms(OffsetDateTime::now_utc()))?;
        let mut e = AuditEntry {
            seq,
            at,
            actor_user: r.actor_user.clone(),
            actor_member: r.actor_member.clone(),
            action: r.action.clone(),
            target_type: r.target_type.clone(),
            target_id: r.target_id.clone(),
            details: r.details.to_string(),
            prev_hash,
            hash: String::new(),
        };
        e.hash = e.compute_hash();
        sqlx::query(
            "INSERT INTO audit_log (seq, at, actor_user, actor_member, action, target_type, target_id, details, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(e.seq)
        .bind(to_ms(e.at))
        .bind(e.actor_user.as_deref())
        .bind(e.actor_member.as_deref())
        .bind(&e.action)
        .bind(&e.target_type)
        .bind(&e.target_id)
        .bind(&e.details)
        .bind(&e.prev_hash)
        .bind(&e.hash)
        .execute(&mut *self.tx)
        .await?;
        sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind(e.seq)
            .bind(&e.hash)
            .execute(&mut *self.tx)
            .await?;
        Ok(seq)
    }
}

impl Store {
    /// Audit entries, newest first, optionally only those about one target.
    ///
    /// # Errors
    /// On database failure.
    pub async fn audit_page(
        &self,
        before: Option<i64>,
        limit: i64,
        target_id: Option<&str>,
    ) -> Result<AuditPage> {
        let rows = sqlx::query(
            "SELECT * FROM audit_log WHERE seq < $1 AND ($2 = '' OR target_id = $2) ORDER BY seq DESC LIMIT $3",
        )
        .bind(before.unwrap_or(i64::MAX))
        .bind(target_id.unwrap_or(""))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let entries = rows
            .iter()
            .map(entry_from_row)
            .collect::<Result<Vec<_>>>()?;
        let next_before = (entries.len() == usize::try_from(limit).unwrap_or(0))
            .then(|| entries.last().map(|e| e.seq))
            .flatten();
        Ok(AuditPage {
            entries,
            next_before,
        })
    }

    /// Walks the whole chain and checks every link; returns the number of entries, or
    /// the first break found (naming the entry).
    ///
    /// # Errors
    /// [`StoreError`] on database failure; the inner result carries a chain break.
    pub async fn verify_audit(&self) -> Result<Result<i64, ChainBreak>> {
        let head: i64 = sqlx::query_scalar("SELECT seq FROM audit_head WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        let mut verifier = Verifier::default();
        let mut after = 0_i64;
        loop {
            let rows =
                sqlx::query("SELECT * FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT 1000")
                    .bind(after)
                    .fetch_all(&self.pool)
                    .await?;
            if rows.is_empty() {
                break;
            }
            for row in &rows {
                let e = entry_from_row(row)?;
                after = e.seq;
                if let Err(b) = verifier.check(&e) {
                    return Ok(Err(b));
                }
            }
        }
        Ok(verifier.finish(head))
    }
}

impl From<ChainBreak> for StoreError {
    fn from(b: ChainBreak) -> Self {
        Self::Corrupt(b.to_string())
    }
}
