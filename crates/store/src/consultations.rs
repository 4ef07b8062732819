//! Consultations (M2.6): the question, who asked it, its replies (with who gave them)
//! and the item it became.
//!
//! The store only finds candidates; callers pass every consultation through
//! [`tsunagu_core::consultation::consultation_view`] before any of it leaves.

use std::collections::HashMap;

use sqlx::Row;
use sqlx::any::AnyRow;
use time::OffsetDateTime;
use tsunagu_core::consultation::{Consultation, ConsultationStatus, Reply};
use tsunagu_core::ids::{ConsultationId, ItemId, MemberId};

use crate::{Result, Store, StoreError, Tx, from_ms, parse_enum, parse_id, parse_json, to_ms};

/// A stored consultation with its replies (oldest first) and its position in the
/// order of asking (the keyset cursor).
#[derive(Debug, Clone)]
pub struct StoredConsultation {
    /// Position: larger is newer.
    pub seq: i64,
    /// The consultation.
    pub consultation: Consultation,
    /// Its replies, oldest first.
    pub replies: Vec<Reply>,
}

/// Filters of a consultation listing; all given filters must hold.
#[derive(Debug, Clone, Copy, Default)]
pub struct ConsultationQuery {
    /// Asked by this member.
    pub asker: Option<MemberId>,
    /// In this status.
    pub status: Option<ConsultationStatus>,
}

const COLUMNS: &str =
    "seq, id, asker, subject, text, indicators, status, shared_item, created_at, updated_at";

/// The listing's filter: an empty string binds "any" (static SQL, same on both backends).
const LIST_FILTER: &str = "seq < $1 AND ($2 = '' OR asker = $2) AND ($3 = '' OR status = $3)";

fn consultation_from_row(row: &AnyRow) -> Result<(i64, Consultation)> {
    let shared_item: Option<String> = row.try_get("shared_item")?;
    Ok((
        row.try_get("seq")?,
        Consultation {
            id: parse_id(&row.try_get::<String, _>("id")?)?,
            asker: parse_id(&row.try_get::<String, _>("asker")?)?,
            subject: row.try_get("subject")?,
            text: row.try_get("text")?,
            indicators: parse_json(&row.try_get::<String, _>("indicators")?)?,
            status: parse_enum(
                &row.try_get::<String, _>("status")?,
                ConsultationStatus::parse,
            )?,
            shared_item: shared_item.as_deref().map(parse_id).transpose()?,
            created_at: from_ms(row.try_get("created_at")?)?,
        },
    ))
}

fn reply_from_row(row: &AnyRow) -> Result<(ConsultationId, Reply)> {
    Ok((
        parse_id(&row.try_get::<String, _>("consultation_id")?)?,
        Reply {
            responder: parse_id(&row.try_get::<String, _>("responder")?)?,
            text: row.try_get("text")?,
            at: from_ms(row.try_get("at")?)?,
        },
    ))
}

async fn fetch_one(
    conn: &mut sqlx::AnyConnection,
    id: ConsultationId,
) -> Result<Option<StoredConsultation>> {
    let Some(row) = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM consultations WHERE id = $1"
    )))
    .bind(id.to_string())
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let (seq, consultation) = consultation_from_row(&row)?;
    let rows = sqlx::query(
        "SELECT consultation_id, responder, text, at FROM consultation_replies \
         WHERE consultation_id = $1 ORDER BY seq",
    )
    .bind(id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    let replies = rows
        .iter()
        .map(|r| reply_from_row(r).map(|(_, reply)| reply))
        .collect::<Result<_>>()?;
    Ok(Some(StoredConsultation {
        seq,
        consultation,
        replies,
    }))
}

impl Store {
    /// One consultation with its replies.
    ///
    /// # Errors
    /// On database failure.
    pub async fn consultation(&self, id: ConsultationId) -> Result<Option<StoredConsultation>> {
        let mut conn = self.pool.acquire().await?;
        fetch_one(&mut conn, id).await
    }

    /// Candidates for a listing, newest first, with `seq < before`; at most `limit`,
    /// each with its replies. The caller filters them through the consultation view.
    ///
    /// # Errors
    /// On database failure.
    pub async fn consultations(
        &self,
        q: &ConsultationQuery,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<StoredConsultation>> {
        let before = before.unwrap_or(i64::MAX);
        let asker = q.asker.map(|a| a.to_string()).unwrap_or_default();
        let status = q.status.map(ConsultationStatus::as_str).unwrap_or_default();
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM consultations WHERE {LIST_FILTER} ORDER BY seq DESC LIMIT $4"
        )))
        .bind(before)
        .bind(asker.as_str())
        .bind(status)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let found = rows
            .iter()
            .map(consultation_from_row)
            .collect::<Result<Vec<_>>>()?;
        let Some(oldest) = found.last().map(|(seq, _)| *seq) else {
            return Ok(Vec::new());
        };
        let newest = found.first().map_or(oldest, |(seq, _)| *seq);
        let reply_rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT consultation_id, responder, text, at FROM consultation_replies \
             WHERE consultation_id IN (SELECT id FROM consultations WHERE {LIST_FILTER} AND seq >= $4) \
             ORDER BY seq"
        )))
        .bind(newest + 1)
        .bind(asker.as_str())
        .bind(status)
        .bind(oldest)
        .fetch_all(&self.pool)
        .await?;
        let mut replies: HashMap<ConsultationId, Vec<Reply>> = HashMap::new();
        for r in &reply_rows {
            let (id, reply) = reply_from_row(r)?;
            replies.entry(id).or_default().push(reply);
        }
        Ok(found
            .into_iter()
            .map(|(seq, consultation)| StoredConsultation {
                seq,
                replies: replies.remove(&consultation.id).unwrap_or_default(),
                consultation,
            })
            .collect())
    }
}

impl Tx {
    /// One consultation with its replies, read inside the transaction.
    ///
    /// # Errors
    /// On database failure.
    pub async fn consultation(&mut self, id: ConsultationId) -> Result<Option<StoredConsultation>> {
        fetch_one(&mut self.tx, id).await
    }

    /// Stores a new consultation.
    ///
    /// # Errors
    /// On database failure.
    pub async fn insert_consultation(&mut self, c: &Consultation) -> Result<()> {
        let indicators =
            serde_json::to_string(&c.indicators).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        sqlx::query(
            "INSERT INTO consultations (id, asker, subject, text, indicators, status, shared_item, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
        )
        .bind(c.id.to_string())
        .bind(c.asker.to_string())
        .bind(c.subject.as_str())
        .bind(c.text.as_str())
        .bind(indicators)
        .bind(c.status.as_str())
        .bind(c.shared_item.map(|i| i.to_string()))
        .bind(to_ms(c.created_at))
        .execute(&mut *self.tx)
        .await
        .map_err(StoreError::from_write)?;
        Ok(())
    }

    /// Appends a reply to a consultation.
    ///
    /// # Errors
    /// On database failure.
    pub async fn add_reply(&mut self, id: ConsultationId, r: &Reply) -> Result<()> {
        sqlx::query(
            "INSERT INTO consultation_replies (consultation_id, responder, text, at) VALUES ($1, $2, $3, $4)",
        )
        .bind(id.to_string())
        .bind(r.responder.to_string())
        .bind(r.text.as_str())
        .bind(to_ms(r.at))
        .execute(&mut *self.tx)
        .await?;
        sqlx::query("UPDATE consultations SET updated_at = $2 WHERE id = $1")
            .bind(id.to_string())
            .bind(to_ms(r.at))
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Sets a consultation's status.
    ///
    /// # Errors
    /// On database failure.
    pub async fn set_consultation_status(
        &mut self,
        id: ConsultationId,
        status: ConsultationStatus,
        now: OffsetDateTime,
    ) -> Result<()> {
        sqlx::query("UPDATE consultations SET status = $2, updated_at = $3 WHERE id = $1")
            .bind(id.to_string())
            .bind(status.as_str())
            .bind(to_ms(now))
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Links a consultation to the shared item it became, unless it is linked
    /// already; returns whether it linked.
    ///
    /// # Errors
    /// On database failure.
    pub async fn link_consultation_item(
        &mut self,
        id: ConsultationId,
        item: ItemId,
        now: OffsetDateTime,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE consultations SET shared_item = $2, updated_at = $3 WHERE id = $1 AND shared_item IS NULL",
        )
        .bind(id.to_string())
        .bind(item.to_string())
        .bind(to_ms(now))
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
