//! Notices: what the council tells one member about one item — a reminder that its
//! feedback is owed, or (to the coordinator) that an item went unanswered. Each is
//! written once per kind, member and item, with one outbox delivery per active channel
//! of the member, so several servers sweeping at once still notify each member once.

use std::collections::HashMap;

use time::OffsetDateTime;
use tsunagu_core::ids::{ItemId, MemberId};

use crate::{Backend, Channel, Result, Tx, to_ms};

/// What a notice is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NoticeKind {
    /// The member owes feedback on the item and its deadline is near.
    FeedbackReminder,
    /// The item's feedback deadline passed without any answer (to the coordinator).
    FeedbackUnanswered,
    /// An indicator of the item falls inside the member's verified constituency.
    ConstituencyIndicator,
}

impl NoticeKind {
    /// The event name receivers see (`feedback.reminder`, `feedback.unanswered`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FeedbackReminder => "feedback.reminder",
            Self::FeedbackUnanswered => "feedback.unanswered",
            Self::ConstituencyIndicator => "constituency.indicator",
        }
    }

    /// Parses [`Self::as_str`]'s output.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::FeedbackReminder,
            Self::FeedbackUnanswered,
            Self::ConstituencyIndicator,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// A notice to one member about one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Identifier.
    pub id: String,
    /// What it is about.
    pub kind: NoticeKind,
    /// The recipient.
    pub member: MemberId,
    /// The item.
    pub item: ItemId,
    /// The feedback deadline it concerns.
    pub due_at: OffsetDateTime,
}

impl crate::Store {
    /// A member's notices of one kind, newest first, with when each was written.
    ///
    /// # Errors
    /// On database failure.
    pub async fn notices_of(
        &self,
        member: MemberId,
        kind: NoticeKind,
        limit: i64,
    ) -> Result<Vec<(Notice, OffsetDateTime)>> {
        use sqlx::Row;
        sqlx::query(
            "SELECT id, item_id, due_at, created_at FROM notices WHERE member_id = $1 AND kind = $2 \
             ORDER BY created_at DESC, id DESC LIMIT $3",
        )
        .bind(member.to_string())
        .bind(kind.as_str())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok((
                Notice {
                    id: r.try_get("id")?,
                    kind,
                    member,
                    item: crate::parse_id(&r.try_get::<String, _>("item_id")?)?,
                    due_at: crate::from_ms(r.try_get("due_at")?)?,
                },
                crate::from_ms(r.try_get("created_at")?)?,
            ))
        })
        .collect()
    }
}

impl Tx {
    /// Records the notices not recorded before (same kind, member and item) with a
    /// delivery per active channel of their members; returns the ones recorded now.
    ///
    /// # Errors
    /// On database failure.
    pub async fn add_notices(
        &mut self,
        notices: &[Notice],
        channels: &HashMap<MemberId, Vec<Channel>>,
        now: OffsetDateTime,
    ) -> Result<Vec<Notice>> {
        let mut added = Vec::new();
        for n in notices {
            let inserted: Option<String> = sqlx::query_scalar(
                "INSERT INTO notices (id, kind, member_id, item_id, due_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (kind, member_id, item_id) DO NOTHING RETURNING id",
            )
            .bind(&n.id)
            .bind(n.kind.as_str())
            .bind(n.member.to_string())
            .bind(n.item.to_string())
            .bind(to_ms(n.due_at))
            .bind(to_ms(now))
            .fetch_optional(&mut *self.tx)
            .await?;
            if inserted.is_none() {
                continue;
            }
            for c in channels
                .get(&n.member)
                .into_iter()
                .flatten()
                .filter(|c| c.active)
            {
                sqlx::query(
                    "INSERT INTO deliveries (id, notice_id, revision, member_id, channel_id, status, attempts, next_attempt_at, created_at) \
                     VALUES ($1, $2, 0, $3, $4, 'pending', 0, $5, $5)",
                )
                .bind(uuid::Uuid::now_v7().to_string())
                .bind(&n.id)
                .bind(n.member.to_string())
                .bind(&c.id)
                .bind(to_ms(now))
                .execute(&mut *self.tx)
                .await?;
            }
            added.push(n.clone());
        }
        if !added.is_empty() && self.backend == Backend::Postgres {
            // Wakes the delivery workers of every server at commit.
            sqlx::query("SELECT pg_notify($1, '')")
                .bind(crate::ALERTS_CHANNEL)
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(added)
    }
}
