//! The task-force sweep: reminds each member of the feedback it owes before the
//! deadline, and tells the coordinator about items whose deadline passed unanswered,
//! through the members' delivery channels (M2.5, guaranteed feedback).
//!
//! Notices are written once per kind, member and item, so a sweep may run as often as
//! wanted and on every server sharing the database; the outbox then delivers them with
//! the same retries, signatures and dead-lettering as alerts.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;
use tsunagu_core::feedback::{asks_feedback, deadline, owes_feedback};
use tsunagu_core::ids::{ItemId, MemberId};
use tsunagu_core::item::ItemStatus;
use tsunagu_core::member::{MemberStatus, SpecialRole};
use tsunagu_core::user::Viewer;
use tsunagu_store::{Notice, NoticeKind, StoreError};

use crate::AppState;
use crate::api::feedback::{items_since, went_unanswered};

/// How far past its deadline an unanswered item is still chased: older ones were
/// chased before (or predate the sweep) and are listed at `/feedback/unanswered`.
const CHASE_HORIZON: time::Duration = time::Duration::days(1);

/// Runs [`sweep`] every `config.sweep_interval` until `shutdown`, and audits the
/// clearances that expired meanwhile.
pub fn start(state: AppState, shutdown: CancellationToken) {
    tokio::spawn(async move {
        let every = state.config.sweep_interval;
        loop {
            match sweep(&state, OffsetDateTime::now_utc()).await {
                Ok(0) => {}
                Ok(n) => {
                    tracing::info!(notices = n, "task-force sweep sent notices");
                    state.workers.wake();
                }
                Err(e) => tracing::error!(error = %e, "task-force sweep failed"),
            }
            if let Err(e) =
                crate::api::clearances::audit_expiries(&state, OffsetDateTime::now_utc()).await
            {
                tracing::error!(error = %e, "auditing expired clearances failed");
            }
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(every) => {},
            }
        }
    });
}

/// Writes the notices due at `now` and their deliveries; returns how many are new.
///
/// # Errors
/// On database failure.
pub async fn sweep(state: &AppState, now: OffsetDateTime) -> Result<usize, StoreError> {
    let window = state.config.feedback_window;
    let items: Vec<_> = items_since(state, now - window - CHASE_HORIZON)
        .await?
        .into_iter()
        .map(|s| s.item)
        .filter(|i| asks_feedback(i) && i.status == ItemStatus::Shared)
        .collect();
    if items.is_empty() {
        return Ok(0);
    }
    let members = state.store.members(Some(MemberStatus::Active)).await?;
    let mut notices = Vec::new();
    for item in &items {
        let due = deadline(item, window);
        if now <= due && now >= due - state.config.reminder_lead {
            let answered: HashSet<MemberId> = state
                .store
                .item_feedback(item.id)
                .await?
                .into_iter()
                .map(|f| f.member)
                .collect();
            for m in &members {
                if answered.contains(&m.id) || !owes_feedback(item, &Viewer::for_member(m.clone()))
                {
                    continue;
                }
                notices.push(notice(NoticeKind::FeedbackReminder, m.id, item.id, due));
            }
        } else if now > due && now - due <= CHASE_HORIZON {
            let first = state
                .store
                .item_feedback(item.id)
                .await?
                .into_iter()
                .map(|f| f.first_at)
                .min();
            if went_unanswered(item, first, window, now) {
                for m in members
                    .iter()
                    .filter(|m| m.has_role(SpecialRole::Coordinator))
                {
                    notices.push(notice(NoticeKind::FeedbackUnanswered, m.id, item.id, due));
                }
            }
        }
    }
    if notices.is_empty() {
        return Ok(0);
    }
    let mut tx = state.store.begin().await?;
    let mut channels: HashMap<MemberId, Vec<_>> = HashMap::new();
    for c in tx.active_channels().await? {
        channels.entry(c.member).or_default().push(c);
    }
    let added = tx.add_notices(&notices, &channels, now).await?;
    tx.commit().await?;
    Ok(added.len())
}

fn notice(kind: NoticeKind, member: MemberId, item: ItemId, due: OffsetDateTime) -> Notice {
    Notice {
        id: uuid::Uuid::now_v7().to_string(),
        kind,
        member,
        item,
        due_at: due,
    }
}

/// Default pause between sweeps.
pub const DEFAULT_SWEEP_INTERVAL: Duration = Duration::from_secs(30);
