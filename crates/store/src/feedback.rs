//! Task-force feedback: the current answer of each member on each item (with a
//! per-item responder pseudonym) and every earlier answer.

use sqlx::Row;
use time::OffsetDateTime;
use tsunagu_core::feedback::Feedback;
use tsunagu_core::ids::{ItemId, MemberId};

use crate::{Result, Store, StoreError, Tx, from_ms, parse_id, parse_json, to_ms};

/// One member's current feedback on an item.
#[derive(Debug, Clone)]
pub struct StoredFeedback {
    /// The item.
    pub item: ItemId,
    /// The member that answered: never shown to the provider.
    pub member: MemberId,
    /// Its pseudonym for this item only.
    pub responder: String,
    /// The answer.
    pub feedback: Feedback,
    /// When it first answered (what the deadline is judged on).
    pub first_at: OffsetDateTime,
    /// When it last changed its answer.
    pub updated_at: OffsetDateTime,
}

fn encode(f: &Feedback) -> Result<String> {
    serde_json::to_string(f).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn from_row(r: &sqlx::any::AnyRow) -> Result<StoredFeedback> {
    Ok(StoredFeedback {
        item: parse_id(&r.try_get::<String, _>("item_id")?)?,
        member: parse_id(&r.try_get::<String, _>("member_id")?)?,
        responder: r.try_get("responder")?,
        feedback: parse_json(&r.try_get::<String, _>("feedback")?)?,
        first_at: from_ms(r.try_get("first_at")?)?,
        updated_at: from_ms(r.try_get("updated_at")?)?,
    })
}

impl Store {
    /// The items `item` was promoted from.
    ///
    /// # Errors
    /// On database failure.
    pub async fn item_sources(&self, item: ItemId) -> Result<Vec<ItemId>> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT source_id FROM item_sources WHERE item_id = $1 ORDER BY source_id",
        )
        .bind(item.to_string())
        .fetch_all(&self.pool)
        .await?;
        ids.iter().map(|s| parse_id(s)).collect()
    }

    /// The current feedback on an item, oldest answer first.
    ///
    /// # Errors
    /// On database failure.
    pub async fn item_feedback(&self, item: ItemId) -> Result<Vec<StoredFeedback>> {
        let rows = sqlx::query("SELECT * FROM item_feedback WHERE item_id = $1 ORDER BY first_at")
            .bind(item.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(from_row).collect()
    }

    /// Every current answer first given at or after `since` (for the ledger).
    ///
    /// # Errors
    /// On database failure.
    pub async fn feedback_since(&self, since: OffsetDateTime) -> Result<Vec<StoredFeedback>> {
        let rows = sqlx::query("SELECT * FROM item_feedback WHERE first_at >= $1")
            .bind(to_ms(since))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(from_row).collect()
    }

    /// How many answers (current and replaced) a member gave on an item.
    ///
    /// # Errors
    /// On database failure.
    pub async fn feedback_history_len(&self, item: ItemId, member: MemberId) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM item_feedback_history WHERE item_id = $1 AND member_id = $2",
        )
        .bind(item.to_string())
        .bind(member.to_string())
        .fetch_one(&self.pool)
        .await?)
    }
}

impl Tx {
    /// Records that `item` was made from `sources` (a promotion to a countermeasure).
    ///
    /// # Errors
    /// On database failure.
    pub async fn link_sources(&mut self, item: ItemId, sources: &[ItemId]) -> Result<()> {
        for s in sources {
            sqlx::query("INSERT INTO item_sources (item_id, source_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(item.to_string())
                .bind(s.to_string())
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(())
    }

    /// Stores a member's feedback on an item, replacing an earlier answer (which stays
    /// in the history). `responder` is used when this is the member's first answer on
    /// the item; returns the stored row.
    ///
    /// # Errors
    /// On database failure.
    pub async fn put_feedback(
        &mut self,
        item: ItemId,
        member: MemberId,
        responder: &str,
        feedback: &Feedback,
        now: OffsetDateTime,
    ) -> Result<StoredFeedback> {
        let json = encode(feedback)?;
        sqlx::query(
            "INSERT INTO item_feedback (item_id, member_id, responder, feedback, first_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) \
             ON CONFLICT (item_id, member_id) DO UPDATE SET feedback = excluded.feedback, updated_at = excluded.updated_at",
        )
        .bind(item.to_string())
        .bind(member.to_string())
        .bind(responder)
        .bind(&json)
        .bind(to_ms(now))
        .execute(&mut *self.tx)
        .await?;
        sqlx::query("INSERT INTO item_feedback_history (item_id, member_id, feedback, at) VALUES ($1, $2, $3, $4)")
            .bind(item.to_string())
            .bind(member.to_string())
            .bind(&json)
            .bind(to_ms(now))
            .execute(&mut *self.tx)
            .await?;
        let row = sqlx::query("SELECT * FROM item_feedback WHERE item_id = $1 AND member_id = $2")
            .bind(item.to_string())
            .bind(member.to_string())
            .fetch_one(&mut *self.tx)
            .await?;
        from_row(&row)
    }
}
