//! Delivery workers: drain the outbox of alert deliveries over signed webhooks, with
//! retries (exponential backoff with jitter), a dead-letter state, an idempotency key
//! per delivery and a per-channel limit on deliveries in flight.
//!
//! A fan-out is bounded by its writes, so the worker claims due rows in batches (each
//! claim reads about as many rows as it takes), loads each alert once per batch, and
//! records finished deliveries with group commit: one transaction for whatever finished
//! while the previous one was committing.
//!
//! Webhooks are signed like the well-known payment and code-hosting webhooks:
//! `Tsunagu-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
//! Receivers recompute the HMAC, compare in constant time, reject old timestamps, and
//! drop duplicates by `Tsunagu-Delivery` (the idempotency key).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use rand::RngExt;
use serde::Serialize;
use sha2::Sha256;
use time::OffsetDateTime;
use tokio::sync::{Notify, Semaphore, mpsc};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tsunagu_core::alert::{Alert, AlertStatus, AlertView, alert_view};
use tsunagu_core::clearance::Clearance;
use tsunagu_core::feedback::owes_feedback;
use tsunagu_core::ids::AlertId;
use tsunagu_core::item::Item;
use tsunagu_core::item::ItemStatus;
use tsunagu_core::member::Member;
use tsunagu_core::user::Viewer;
use tsunagu_core::view::ItemView;
use tsunagu_core::view::{holds_clearance_for, view};
use tsunagu_store::{Channel, Delivery, Notice, NoticeKind, Subject};

use crate::AppState;
use crate::observations::{IndicatorHit, indicator_hits};

/// Settings of the delivery workers.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// Attempts before a delivery is dead-lettered.
    pub max_attempts: i64,
    /// First retry delay; doubled each attempt, with jitter.
    pub backoff_base: Duration,
    /// Longest retry delay.
    pub backoff_max: Duration,
    /// How long a claimed delivery stays with its worker before others may retry it.
    pub lease: Duration,
    /// Timeout of one webhook request.
    pub timeout: Duration,
    /// Deliveries in flight at once, over all channels.
    pub concurrency: usize,
    /// How often idle workers look for due deliveries (they are also woken at once
    /// when this process publishes).
    pub poll: Duration,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            backoff_base: Duration::from_secs(2),
            backoff_max: Duration::from_secs(600),
            lease: Duration::from_secs(60),
            timeout: Duration::from_secs(10),
            concurrency: 256,
            poll: Duration::from_millis(500),
        }
    }
}

/// Computes the signature header value for `body` at `timestamp`.
#[must_use]
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

/// What a webhook receives for an alert.
#[derive(Debug, Serialize)]
pub struct WebhookPayload {
    /// The delivery id: the idempotency key.
    pub delivery_id: String,
    /// `alert.published`, `alert.updated` or `alert.withdrawn`.
    pub event: &'static str,
    /// The alert as this recipient may see it.
    pub alert: AlertView,
}

/// What a webhook receives for a notice.
#[derive(Debug, Serialize)]
pub struct NoticePayload {
    /// The delivery id: the idempotency key.
    pub delivery_id: String,
    /// `feedback.reminder`, `feedback.unanswered` or `constituency.indicator`.
    pub event: &'static str,
    /// The feedback deadline, RFC 3339 (feedback notices).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline: Option<String>,
    /// The item as this recipient may see it.
    pub item: ItemView,
    /// The item's indicators inside the recipient's constituency
    /// (`constituency.indicator`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub matches: Vec<IndicatorHit>,
}

/// What a notice says, built from the recipient's view at sending time.
pub struct NoticeMessage {
    /// The item as the recipient may see it.
    pub item: ItemView,
    /// The feedback deadline, RFC 3339 (feedback notices).
    pub deadline: Option<String>,
    /// The indicators inside the recipient's constituency (indicator notices).
    pub matches: Vec<IndicatorHit>,
}

/// A notice's message, built from the recipient's view of its item at sending time;
/// `None` when there is nothing to say any more (the item was answered, retracted, or
/// the recipient may no longer see it, or no longer holds the constituency it hit).
async fn notice_message(
    state: &AppState,
    n: &Notice,
    viewer: &Viewer,
) -> Result<Option<NoticeMessage>, String> {
    let Some(stored) = state.store.item(n.item).await.map_err(|e| e.to_string())? else {
        return Ok(None);
    };
    let item = stored.item;
    let still = match n.kind {
        NoticeKind::FeedbackReminder => {
            owes_feedback(&item, viewer)
                && state
                    .store
                    .feedback_history_len(item.id, n.member)
                    .await
                    .map_err(|e| e.to_string())?
                    == 0
        }
        NoticeKind::FeedbackUnanswered | NoticeKind::ConstituencyIndicator => {
            item.status == ItemStatus::Shared
        }
    };
    if !still {
        return Ok(None);
    }
    let Some(shown) = view(&item, viewer) else {
        return Ok(None);
    };
    if n.kind == NoticeKind::ConstituencyIndicator {
        let table = state
            .routing
            .get(&state.store)
            .await
            .map_err(|e| e.to_string())?;
        let matches = indicator_hits(&table, n.member, &shown.indicators);
        if matches.is_empty() {
            return Ok(None);
        }
        return Ok(Some(NoticeMessage {
            item: shown,
            deadline: None,
            matches,
        }));
    }
    let due = n
        .due_at
        .format(&time::format_description::well_known::Rfc3339)
        .map_err(|e| e.to_string())?;
    Ok(Some(NoticeMessage {
        item: shown,
        deadline: Some(due),
        matches: Vec::new(),
    }))
}

/// The plain-text body of a notice e-mail.
#[must_use]
pub fn notice_email_body(kind: NoticeKind, m: &NoticeMessage) -> String {
    use std::fmt::Write;
    let deadline = m.deadline.as_deref().unwrap_or_default();
    let ask = match kind {
        NoticeKind::FeedbackReminder => format!(
            "Your task-force feedback on this item is due by {deadline}:\n\
             来ている / 来ていない / わからない (seen / not seen / don't know), or your expert opinion."
        ),
        NoticeKind::FeedbackUnanswered => format!(
            "Nobody answered this task-force item by its deadline ({deadline}): please chase the feedback."
        ),
        NoticeKind::ConstituencyIndicator => {
            let mut b = String::from(
                "共有された指標が貴組織の登録範囲に含まれています / \
                 A shared indicator falls inside your registered constituency:",
            );
            for h in &m.matches {
                let _ = write!(
                    b,
                    "\n- {} ({}) — inside your {}",
                    h.indicator.value(),
                    h.indicator.kind().as_str(),
                    h.matched
                );
            }
            b
        }
    };
    format!(
        "{}\n\n{ask}\n\nItem {} — via the coordinator.\n",
        m.item.title, m.item.id
    )
}

/// The event of the delivery of `revision`: what that revision did, not what the alert
/// is now (an update delivered after a later withdrawal is still an update).
fn event_name(alert: &Alert, revision: i64) -> &'static str {
    if alert.status == AlertStatus::Withdrawn && revision == alert.revision {
        "alert.withdrawn"
    } else if revision == 1 {
        "alert.published"
    } else {
        "alert.updated"
    }
}

/// The alert as `viewer` may see it, with the related items passed through the
/// policy view one by one.
///
/// # Errors
/// On database failure.
pub async fn recipient_view(
    state: &AppState,
    alert: &Alert,
    viewer: &Viewer,
) -> Result<Option<AlertView>, tsunagu_store::StoreError> {
    let related = related_items(state, alert).await?;
    Ok(view_with(alert, viewer, &related))
}

/// The alert's related items that still exist, in the alert's order.
async fn related_items(
    state: &AppState,
    alert: &Alert,
) -> Result<Vec<Item>, tsunagu_store::StoreError> {
    let mut related = Vec::new();
    for id in &alert.content.related_items {
        if let Some(stored) = state.store.item(*id).await? {
            related.push(stored.item);
        }
    }
    Ok(related)
}

/// The alert as `viewer` may see it, given its loaded related items.
fn view_with(alert: &Alert, viewer: &Viewer, related: &[Item]) -> Option<AlertView> {
    // An alert about an item that requires clearance is for holders only (M2.8).
    let now = OffsetDateTime::now_utc();
    if !related.iter().all(|i| holds_clearance_for(i, viewer, now)) {
        return None;
    }
    let shown = related.iter().filter_map(|i| view(i, viewer)).collect();
    alert_view(alert, viewer, shown)
}

/// An alert loaded once for the deliveries claimed together, with its related items;
/// or why it could not be (then each of those deliveries fails with that, as when each
/// loaded it alone).
type Loaded = Arc<Result<(Alert, Vec<Item>), String>>;

async fn load_alert(state: &AppState, id: AlertId) -> Result<(Alert, Vec<Item>), String> {
    let alert = state
        .store
        .alert(id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("alert is gone")?;
    let related = related_items(state, &alert)
        .await
        .map_err(|e| e.to_string())?;
    Ok((alert, related))
}

/// A delivery that went through, to be recorded with others in one transaction.
struct Done {
    delivery: Delivery,
    at: OffsetDateTime,
}

/// Most completions recorded in one transaction.
const DONE_GROUP: usize = 512;

/// Records completed deliveries with group commit: whatever finished while the previous
/// commit ran goes into the next one, so a fan-out does not pay a commit per delivery.
/// A delivery whose recording fails stays claimed until its lease expires and is then
/// sent again (at least once), as when it was recorded alone.
async fn record_done(
    state: AppState,
    mut rx: mpsc::Receiver<Done>,
    writing: Arc<tokio::sync::Mutex<()>>,
) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![(first.delivery, first.at)];
        while batch.len() < DONE_GROUP {
            match rx.try_recv() {
                Ok(done) => batch.push((done.delivery, done.at)),
                Err(_) => break,
            }
        }
        let result = {
            let _turn = writing.lock().await;
            state.store.delivered(&batch).await
        };
        if let Err(e) = result {
            for (d, _) in &batch {
                tracing::error!(delivery = %d.id, error = %e, "recording a delivery outcome failed; the lease will expire and it is retried");
            }
        }
    }
}

/// The running workers' handles.
#[derive(Clone, Default)]
pub struct Workers {
    wake: Arc<Notify>,
    freed: Arc<Notify>,
}

impl Workers {
    /// Wakes the workers now (after publishing).
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

/// Starts the delivery loop; it stops at a safe point (no claim half-done) when
/// `shutdown` is cancelled, after in-flight deliveries finish.
pub fn start(state: AppState, shutdown: CancellationToken) -> TaskTracker {
    let tracker = TaskTracker::new();
    let inner = tracker.clone();
    tracker.spawn(async move {
        let cfg = state.config.delivery.clone();
        let http = reqwest::Client::builder()
            .timeout(cfg.timeout)
            .build()
            .unwrap_or_default();
        let global = Arc::new(Semaphore::new(cfg.concurrency));
        let per_channel: Arc<Mutex<HashMap<String, Arc<Semaphore>>>> = Arc::default();
        // Claims and recorded completions take turns at the database rather than
        // contend for SQLite's write lock (whose busy handler sleeps in coarse steps).
        let writing = Arc::new(tokio::sync::Mutex::new(()));
        let (done, done_rx) = mpsc::channel(cfg.concurrency.max(1));
        inner.spawn(record_done(state.clone(), done_rx, writing.clone()));
        // While deliveries are in flight, claim when at least this many slots are free,
        // not a row at a time as each one finishes: every claim is a commit.
        let claim_at = (CLAIM_BATCH.min(cfg.concurrency) / 2).max(1);
        loop {
            // Claim only what this server can start now, so rows it cannot serve yet stay
            // free for the other servers sharing the database.
            let free = global.available_permits();
            let room = if free >= claim_at || free == cfg.concurrency {
                free.min(CLAIM_BATCH)
            } else {
                0
            };
            let claimed = if room == 0 {
                Vec::new()
            } else {
                let _turn = writing.lock().await;
                match state
                    .store
                    .claim_deliveries(
                        OffsetDateTime::now_utc(),
                        millis(cfg.lease),
                        i64::try_from(room).unwrap_or(1),
                    )
                    .await
                {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::error!(error = %e, "claiming deliveries failed");
                        Vec::new()
                    }
                }
            };
            let busy = !claimed.is_empty();
            // Each alert is loaded once for the deliveries claimed together.
            let mut alerts: HashMap<AlertId, Loaded> = HashMap::new();
            let mut batch = Vec::with_capacity(claimed.len());
            for d in claimed {
                let alert = match &d.subject {
                    Subject::Alert { id, .. } => Some(match alerts.get(id) {
                        Some(a) => a.clone(),
                        None => {
                            let a = Arc::new(load_alert(&state, *id).await);
                            alerts.insert(*id, a.clone());
                            a
                        }
                    }),
                    Subject::Notice(_) => None,
                };
                batch.push((d, alert));
            }
            for (d, alert) in batch {
                let limit = {
                    let mut map = per_channel
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    map.entry(d.channel.id.clone())
                        .or_insert_with(|| {
                            Arc::new(Semaphore::new(
                                usize::try_from(d.channel.max_in_flight.max(1)).unwrap_or(4),
                            ))
                        })
                        .clone()
                };
                let Ok(slot) = limit.try_acquire_owned() else {
                    // The channel is saturated: let the row wait instead of a worker.
                    let _ = state
                        .store
                        .release_delivery(
                            &d,
                            OffsetDateTime::now_utc() + time::Duration::milliseconds(200),
                        )
                        .await;
                    continue;
                };
                let Ok(permit) = global.clone().acquire_owned().await else {
                    return;
                };
                let (state, http, done) = (state.clone(), http.clone(), done.clone());
                inner.spawn(async move {
                    deliver(&state, &http, d, &alert, &done).await;
                    drop((slot, permit));
                    state.workers.freed.notify_one();
                });
            }
            if busy {
                continue;
            }
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = state.workers.wake.notified() => {},
                () = state.workers.freed.notified() => {},
                () = tokio::time::sleep(cfg.poll) => {},
            }
        }
    });
    tracker.close();
    tracker
}

/// Most deliveries claimed at once.
const CLAIM_BATCH: usize = 64;

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// The delay before retry number `attempt` (1-based): base × 2^(attempt-1), capped, with
/// ±20 % jitter so a burst of failures does not retry in lockstep.
#[must_use]
pub fn backoff(cfg: &DeliveryConfig, attempt: i64) -> Duration {
    let exp = u32::try_from(attempt.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
    let raw = cfg
        .backoff_base
        .saturating_mul(2_u32.saturating_pow(exp))
        .min(cfg.backoff_max);
    let jitter = rand::rng().random_range(0.8..1.2);
    raw.mul_f64(jitter)
}

async fn deliver(
    state: &AppState,
    http: &reqwest::Client,
    d: Delivery,
    alert: &Option<Loaded>,
    done: &mpsc::Sender<Done>,
) {
    let result = attempt(state, http, &d, alert).await;
    let now = OffsetDateTime::now_utc();
    match result {
        Ok(()) => {
            let id = d.id.clone();
            // Recorded by the group-commit writer; the delivery's slots are free now.
            if done
                .send(Done {
                    delivery: d,
                    at: now,
                })
                .await
                .is_err()
            {
                tracing::error!(delivery = %id, "the delivery recorder has stopped; the lease will expire and it is retried");
            }
        }
        Err(error) => {
            let retry = (d.attempts < state.config.delivery.max_attempts)
                .then(|| now + backoff(&state.config.delivery, d.attempts));
            if retry.is_none() {
                tracing::warn!(delivery = %d.id, %error, "delivery dead-lettered");
            }
            if let Err(e) = state.store.delivery_failed(&d, &error, retry).await {
                tracing::error!(delivery = %d.id, error = %e, "recording a delivery outcome failed; the lease will expire and it is retried");
            }
        }
    }
}

async fn attempt(
    state: &AppState,
    http: &reqwest::Client,
    d: &Delivery,
    loaded: &Option<Loaded>,
) -> Result<(), String> {
    let member = state
        .store
        .member(d.member)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("member is gone")?;
    let Some(viewer) = channel_viewer(state, &d.channel, member).await? else {
        // A user's own channel whose user is disabled or gone: nothing goes to it.
        return Ok(());
    };
    match (&d.subject, loaded) {
        (Subject::Alert { revision, .. }, Some(loaded)) => {
            let (alert, related) = loaded.as_ref().as_ref().map_err(Clone::clone)?;
            let Some(shown) = view_with(alert, &viewer, related) else {
                // No longer a recipient (withdrew, retargeted): nothing to send.
                return Ok(());
            };
            match d.channel.kind.as_str() {
                "webhook" => {
                    let payload = WebhookPayload {
                        delivery_id: d.id.clone(),
                        event: event_name(alert, *revision),
                        alert: shown,
                    };
                    post_webhook(http, d, payload.event, alert.content.exercise, &payload).await
                }
                "email" => {
                    let subject = format!("[tsunagu] {}", shown.title);
                    let extra = [("X-Tsunagu-Exercise", shown.exercise.to_string())];
                    send_email(state, d, subject, &extra, email_body(&shown)).await
                }
                other => Err(format!("no sender for channel kind {other:?}")),
            }
        }
        (Subject::Notice(n), _) => {
            let Some(m) = notice_message(state, n, &viewer).await? else {
                return Ok(());
            };
            match d.channel.kind.as_str() {
                "webhook" => {
                    let payload = NoticePayload {
                        delivery_id: d.id.clone(),
                        event: n.kind.as_str(),
                        deadline: m.deadline,
                        item: m.item,
                        matches: m.matches,
                    };
                    post_webhook(http, d, payload.event, false, &payload).await
                }
                "email" => {
                    let title = &m.item.title;
                    let subject = match n.kind {
                        NoticeKind::FeedbackReminder => format!(
                            "[tsunagu] Feedback owed by {}: {title}",
                            m.deadline.as_deref().unwrap_or_default()
                        ),
                        NoticeKind::FeedbackUnanswered => {
                            format!("[tsunagu] Unanswered task-force item: {title}")
                        }
                        NoticeKind::ConstituencyIndicator => {
                            format!("[tsunagu] A shared indicator is in your constituency: {title}")
                        }
                    };
                    let body = notice_email_body(n.kind, &m);
                    send_email(state, d, subject, &[], body).await
                }
                other => Err(format!("no sender for channel kind {other:?}")),
            }
        }
        (Subject::Alert { .. }, None) => Err("the alert was not loaded".into()),
    }
}

/// Who a channel receives as (M2.8): a user's own channel as that user, with its
/// clearance; a member-wide channel as the member, uncleared unless the coordinator
/// registered it as cleared. `None` when the channel's user is disabled or gone.
async fn channel_viewer(
    state: &AppState,
    channel: &Channel,
    member: Member,
) -> Result<Option<Viewer>, String> {
    match (&channel.user, &channel.cleared_level) {
        (Some(user), _) => {
            let user = state.store.user(*user).await.map_err(|e| e.to_string())?;
            match user.filter(|u| !u.disabled && u.member_id == member.id) {
                Some(u) => state
                    .cleared(Viewer::uncleared(u, member))
                    .await
                    .map(Some)
                    .map_err(|e| e.to_string()),
                None => Ok(None),
            }
        }
        (None, Some(level)) => {
            let mut v = Viewer::for_member(member);
            v.clearance = Clearance::standing(level, &state.config.clearance_levels);
            Ok(Some(v))
        }
        (None, None) => Ok(Some(Viewer::for_member(member))),
    }
}

/// Posts a signed webhook; any 2xx answer counts as delivered.
async fn post_webhook(
    http: &reqwest::Client,
    d: &Delivery,
    event: &str,
    exercise: bool,
    payload: &impl Serialize,
) -> Result<(), String> {
    let body = serde_json::to_vec(payload).map_err(|e| e.to_string())?;
    let ts = OffsetDateTime::now_utc().unix_timestamp();
    let secret = d.channel.secret.as_deref().unwrap_or_default();
    let resp = http
        .post(&d.channel.address)
        .header("content-type", "application/json")
        .header("tsunagu-signature", sign(secret, ts, &body))
        .header("tsunagu-delivery", &d.id)
        .header("idempotency-key", &d.id)
        .header("tsunagu-event", event)
        .header("tsunagu-exercise", if exercise { "true" } else { "false" })
        .header(
            "user-agent",
            format!(
                "tsunagu/{} (pid {})",
                env!("CARGO_PKG_VERSION"),
                std::process::id()
            ),
        )
        .body(body)
        .send()
        .await
        .map_err(|e| format!("request failed: {e}"))?;
    if resp.status().is_success() {
        Ok(())
    } else {
        Err(format!("receiver answered {}", resp.status()))
    }
}

/// The recipient's own affected assets, as an e-mail lists them (nothing when the
/// alert was not targeted by product).
fn affected_lines(assets: &[tsunagu_core::asset::AffectedAsset]) -> String {
    use std::fmt::Write;
    let mut b = String::new();
    if !assets.is_empty() {
        let _ = writeln!(b, "\nYour affected assets / 影響を受ける貴組織の資産:");
        for x in assets {
            let _ = writeln!(b, "- {} — matched {}", x.label, x.matched);
        }
    }
    b
}

/// The plain-text body of an alert e-mail, built from the recipient's view.
#[must_use]
pub fn email_body(a: &AlertView) -> String {
    use std::fmt::Write;
    let mut b = String::new();
    if a.exercise {
        let _ = writeln!(
            b,
            "{} これは訓練です / THIS IS AN EXERCISE\n",
            tsunagu_core::alert::EXERCISE_MARK
        );
    }
    let _ = writeln!(b, "{}\n", a.title);
    let _ = writeln!(b, "Severity: {}", a.severity.as_str());
    let _ = writeln!(b, "Action required: {}", a.action_required);
    if !a.deadline_text.is_empty() {
        let _ = writeln!(b, "Deadline: {}", a.deadline_text);
    }
    for (label, text) in [
        ("For executives", &a.body_executive),
        ("For analysts", &a.body_analyst),
    ] {
        if !text.is_empty() {
            let _ = writeln!(b, "\n{label}:\n{text}");
        }
    }
    if !a.cves.is_empty() {
        let cves: Vec<&str> = a
            .cves
            .iter()
            .map(tsunagu_core::indicator::CveId::as_str)
            .collect();
        let _ = writeln!(b, "\nCVEs: {}", cves.join(", "));
    }
    for i in &a.indicators {
        let _ = writeln!(b, "Indicator ({}): {}", i.kind().as_str(), i.value());
    }
    for item in &a.related_items {
        let _ = writeln!(b, "Related: {} ({})", item.title, item.id);
    }
    b.push_str(&affected_lines(&a.affected_assets));
    let _ = writeln!(
        b,
        "\nAlert {} revision {} — via the coordinator.",
        a.id, a.revision
    );
    b
}

async fn send_email(
    state: &AppState,
    d: &Delivery,
    subject: String,
    extra_headers: &[(&'static str, String)],
    body: String,
) -> Result<(), String> {
    let to = d.channel.address.as_str();
    use lettre::Message;
    let message = Message::builder()
        .from(mail_from(state)?)
        .to(to.parse().map_err(|e| format!("recipient {to:?}: {e}"))?)
        .subject(subject)
        .header(lettre::message::header::ContentType::TEXT_PLAIN)
        .body(body)
        .map_err(|e| e.to_string())?;
    let mut message = message;
    let headers = message.headers_mut();
    headers.insert_raw(lettre::message::header::HeaderValue::new(
        lettre::message::header::HeaderName::new_from_ascii_str("X-Tsunagu-Delivery"),
        d.id.clone(),
    ));
    for (name, value) in extra_headers {
        headers.insert_raw(lettre::message::header::HeaderValue::new(
            lettre::message::header::HeaderName::new_from_ascii_str(name),
            value.clone(),
        ));
    }
    send_message(state, message).await
}

/// The sender address of the council's e-mails.
///
/// # Errors
/// When the configured address does not parse.
pub(crate) fn mail_from(state: &AppState) -> Result<lettre::message::Mailbox, String> {
    state
        .config
        .mail_from
        .parse()
        .map_err(|e| format!("mail_from: {e}"))
}

/// Sends one e-mail through the configured SMTP relay.
///
/// # Errors
/// When no relay is configured, or it refuses or cannot be reached.
pub(crate) async fn send_message(state: &AppState, message: lettre::Message) -> Result<(), String> {
    use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
    let url = state
        .config
        .smtp_url
        .as_deref()
        .ok_or("no SMTP relay is configured")?;
    let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
        .map_err(|e| format!("SMTP URL: {e}"))?
        .timeout(Some(state.config.delivery.timeout))
        .build();
    transport
        .send(message)
        .await
        .map(|_| ())
        .map_err(|e| format!("SMTP: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_over_timestamp_and_body() {
        // Independent value: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
        assert_eq!(
            sign("whsec_test", 1_700_000_000, br#"{"a":1}"#),
            "t=1700000000,v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789"
        );
    }

    #[test]
    fn an_email_lists_the_recipients_affected_assets() {
        assert_eq!(affected_lines(&[]), "");
        let text = affected_lines(&[tsunagu_core::asset::AffectedAsset {
            asset_id: "a1".into(),
            label: "Fortinet FortiOS 6.0.2 (FortiGate 60F)".into(),
            sbom_id: None,
            matched: "cpe:2.3:o:fortinet:fortios:*:*:*:*:*:*:*:* (versions >= 6.0.0, <= 6.0.4)"
                .into(),
        }]);
        assert!(text.contains("Your affected assets"), "{text}");
        assert!(
            text.contains("- Fortinet FortiOS 6.0.2 (FortiGate 60F) — matched cpe:2.3:o:fortinet"),
            "{text}"
        );
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let cfg = DeliveryConfig::default();
        let first = backoff(&cfg, 1);
        assert!(first >= Duration::from_millis(1600) && first <= Duration::from_millis(2400));
        let fifth = backoff(&cfg, 5);
        assert!(fifth >= Duration::from_millis(25_600) && fifth <= Duration::from_millis(38_400));
        assert!(backoff(&cfg, 40) <= Duration::from_secs(720));
    }
}
