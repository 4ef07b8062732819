//! The live stream (`GET /api/v1/stream`, Server-Sent Events) of alerts.
//!
//! One hub task per server reads new stream events from the database when this server
//! publishes or, on PostgreSQL, when any server announces one with `NOTIFY` — so a
//! subscriber connected to any process gets alerts published through any other. It
//! loads each alert once and broadcasts it; each subscriber builds its own payload from
//! the policy view. A subscriber that reconnects with `Last-Event-ID` first gets what
//! it missed from the database.
//!
//! PostgreSQL `LISTEN/NOTIFY` was chosen over NATS JetStream: the database is already
//! the source of truth and the outbox, the notification is sent in the same transaction
//! as the alert (no dual write), and a deployment needs nothing more to run.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use tokio::sync::{Notify, broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;
use tsunagu_core::alert::Alert;
use tsunagu_core::user::Viewer;
use tsunagu_store::Backend;

use crate::AppState;
use crate::delivery::recipient_view;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::Auth;

/// One new alert revision.
#[derive(Debug)]
pub struct StreamEvent {
    /// Its position in the stream (the SSE event id).
    pub seq: i64,
    /// The alert at that revision.
    pub alert: Alert,
}

/// The hub's handles: wake it, or subscribe to what it broadcasts.
#[derive(Clone)]
pub struct Hub {
    wake: Arc<Notify>,
    events: broadcast::Sender<Arc<StreamEvent>>,
}

impl Default for Hub {
    fn default() -> Self {
        Self {
            wake: Arc::new(Notify::new()),
            events: broadcast::channel(1024).0,
        }
    }
}

impl Hub {
    /// Tells the hub that this server published something.
    pub fn published(&self) {
        self.wake.notify_one();
    }
}

/// Starts the hub (and, on PostgreSQL, the `LISTEN` that wakes it) for `state`.
pub fn start(state: AppState, shutdown: tokio_util::sync::CancellationToken) {
    if state.store.backend() == Backend::Postgres {
        let (state, shutdown) = (state.clone(), shutdown.clone());
        tokio::spawn(async move { listen(state, shutdown).await });
    }
    tokio::spawn(async move {
        let mut last = state.store.last_stream_event().await.unwrap_or(0);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = state.stream.wake.notified() => {},
                () = tokio::time::sleep(Duration::from_secs(5)) => {},
            }
            match fetch(&state, last).await {
                Ok(events) => {
                    for e in events {
                        last = e.seq;
                        let _ = state.stream.events.send(Arc::new(e));
                    }
                }
                Err(e) => tracing::error!(error = %e, "reading stream events failed"),
            }
        }
    });
}

async fn listen(state: AppState, shutdown: tokio_util::sync::CancellationToken) {
    loop {
        let listener = state.store.listen_alerts(|| {
            state.stream.published();
            state.workers.wake();
        });
        tokio::select! {
            () = shutdown.cancelled() => return,
            r = listener => if let Err(e) = r {
                tracing::warn!(error = %e, "alert notifications lost their connection; reconnecting");
            },
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn fetch(
    state: &AppState,
    after: i64,
) -> Result<Vec<StreamEvent>, tsunagu_store::StoreError> {
    let mut out = Vec::new();
    for (seq, id, _) in state.store.stream_events(after, 500).await? {
        if let Some(alert) = state.store.alert_at(id, seq).await? {
            out.push(StreamEvent { seq, alert });
        }
    }
    Ok(out)
}

async fn to_sse(state: &AppState, e: &StreamEvent, viewer: &Viewer) -> Option<Event> {
    let shown = recipient_view(state, &e.alert, viewer).await.ok()??;
    let kind = if shown.exercise { "exercise" } else { "alert" };
    Event::default()
        .id(e.seq.to_string())
        .event(kind)
        .json_data(&shown)
        .ok()
}

/// How long a stream trusts the clearance it loaded: a revoked clearance stops
/// showing on open streams within this (an expiry, at once: the view reads the clock).
const CLEARANCE_RELOAD: Duration = Duration::from_secs(10);

/// A stream's viewer, its clearance reloaded now and then.
struct Fresh {
    viewer: Viewer,
    loaded: std::time::Instant,
}

impl Fresh {
    fn new(viewer: Viewer) -> Self {
        Self {
            viewer,
            loaded: std::time::Instant::now(),
        }
    }

    /// The viewer; on a failed reload it keeps no clearance (fails closed).
    async fn get(&mut self, state: &AppState) -> &Viewer {
        if self.loaded.elapsed() >= CLEARANCE_RELOAD {
            let stale = self.viewer.clone();
            self.viewer = match state.cleared(stale.clone()).await {
                Ok(v) => v,
                Err(_) => Viewer::uncleared(stale.user, stale.member),
            };
            self.loaded = std::time::Instant::now();
        }
        &self.viewer
    }
}

/// The live stream of alerts for the caller: `alert` events (and `exercise` events for
/// exercises), each with its id; reconnect with `Last-Event-ID` to get what was missed.
#[utoipa::path(get, path = "/api/v1/stream", tag = "alerts", security(("bearer" = [])),
    params(("Last-Event-ID" = Option<String>, Header, description = "resume after this event")),
    responses((status = 200, description = "text/event-stream"), (status = 401, body = Problem)))]
pub async fn stream(
    State(state): State<AppState>,
    Auth(v): Auth,
    headers: HeaderMap,
) -> ApiResult<impl IntoResponse> {
    let resume = match headers.get("last-event-id") {
        Some(h) => Some(
            h.to_str()
                .ok()
                .and_then(|s| s.trim().parse::<i64>().ok())
                .ok_or_else(|| {
                    ApiError::BadRequest("Last-Event-ID: not an event id of this stream".into())
                })?,
        ),
        None => None,
    };
    let mut live = state.stream.events.subscribe();
    let mut last = match resume {
        Some(id) => id,
        None => state.store.last_stream_event().await?,
    };
    let (tx, rx) = mpsc::channel::<Result<Event, Infallible>>(64);
    let mut v = Fresh::new(v);
    tokio::spawn(async move {
        loop {
            // Catch up from the database (after a resume, or after falling behind).
            loop {
                let Ok(missed) = fetch(&state, last).await else {
                    return;
                };
                if missed.is_empty() {
                    break;
                }
                for e in missed {
                    last = e.seq;
                    if let Some(ev) = to_sse(&state, &e, v.get(&state).await).await
                        && tx.send(Ok(ev)).await.is_err()
                    {
                        return;
                    }
                }
            }
            loop {
                match live.recv().await {
                    Ok(e) if e.seq <= last => {}
                    Ok(e) => {
                        last = e.seq;
                        if let Some(ev) = to_sse(&state, &e, v.get(&state).await).await
                            && tx.send(Ok(ev)).await.is_err()
                        {
                            return;
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => break,
                    Err(broadcast::error::RecvError::Closed) => return,
                }
            }
        }
    });
    Ok(Sse::new(ReceiverStream::new(rx))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/stream", get(stream))
}
