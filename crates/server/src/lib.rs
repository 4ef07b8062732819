//! tsunagu's HTTP server: the REST API, authentication, the council's lifecycle flows,
//! first-start bootstrap and the demo council.
//!
//! Handlers authenticate, parse input into core's types, ask core what is allowed and
//! persist through the store; they hold no business rule of their own.
#![deny(missing_docs)]

pub mod api;
pub mod assets;
pub mod auth;
pub mod bootstrap;
pub mod delivery;
pub mod demo;
mod demo_clearance;
pub mod demo_governance;
pub mod demo_incidents;
pub mod demo_items;
pub mod demo_observations;
mod demo_partners;
pub mod error;
pub mod extract;
pub mod federation;
pub mod feeds;
pub mod interop;
pub mod observations;
pub mod openapi;
pub mod portal;
pub mod ratelimit;
pub mod reads;
pub mod reminders;
pub mod stream;
pub mod taxii;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::request_id::{
    MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tsunagu_core::audit::AuditRecord;
use tsunagu_core::user::Viewer;
use tsunagu_store::Store;
use utoipa::OpenApi;

use crate::error::{ApiError, problem};
use crate::ratelimit::Limits;

/// Settings of a running server.
#[derive(Debug, Clone)]
pub struct Config {
    /// Distinct steering-committee approvals needed to carry an application or class change.
    pub approvals_required: usize,
    /// Requests per minute per address on public endpoints (application, activation, login).
    pub public_rate_per_minute: u32,
    /// Largest accepted request body, in bytes.
    pub body_limit: usize,
    /// How long task-force members have to answer an item.
    pub feedback_window: time::Duration,
    /// How long before the feedback deadline members who still owe an answer are
    /// reminded through their channels.
    pub reminder_lead: time::Duration,
    /// Pause between task-force sweeps (reminders, unanswered items to chase).
    pub sweep_interval: Duration,
    /// How far back the give-and-take ledger looks.
    pub ledger_window: time::Duration,
    /// When a member counts as a free rider.
    pub free_rider: tsunagu_core::feedback::FreeRiderRule,
    /// Alert delivery: retries, leases, timeouts.
    pub delivery: delivery::DeliveryConfig,
    /// Where this server listens, so webhooks cannot point back at it.
    pub listen: Option<SocketAddr>,
    /// The SMTP relay for e-mail deliveries (`smtp://host:port`, `smtps://user:pass@host`);
    /// without it, e-mail deliveries wait (and retry) until one is configured.
    pub smtp_url: Option<String>,
    /// The sender of alert e-mails.
    pub mail_from: String,
    /// The incident-reporting deadline clocks of each regime.
    pub incident_clocks: tsunagu_core::incident::ClockTable,
    /// Pause between observation sweeps (shared indicators inside constituencies,
    /// daily digests).
    pub observation_sweep: Duration,
    /// The council's security-clearance levels, lowest first (M2.8).
    pub clearance_levels: tsunagu_core::clearance::Levels,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            approvals_required: 2,
            public_rate_per_minute: 20,
            body_limit: 2 * 1024 * 1024,
            feedback_window: time::Duration::hours(4),
            reminder_lead: time::Duration::hours(1),
            sweep_interval: reminders::DEFAULT_SWEEP_INTERVAL,
            ledger_window: time::Duration::days(90),
            free_rider: tsunagu_core::feedback::FreeRiderRule::default(),
            delivery: delivery::DeliveryConfig::default(),
            listen: None,
            smtp_url: None,
            mail_from: "tsunagu <alerts@tsunagu.invalid>".into(),
            incident_clocks: tsunagu_core::incident::ClockTable::default(),
            observation_sweep: Duration::from_secs(2),
            clearance_levels: tsunagu_core::clearance::Levels::default(),
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState(Arc<App>);

/// The shared application state.
pub struct App {
    /// The database.
    pub store: Store,
    /// Settings.
    pub config: Config,
    /// Rate limits of public endpoints.
    pub limits: Limits,
    /// Records who was shown which item.
    pub reads: reads::ReadRecorder,
    /// Wakes the delivery workers.
    pub workers: delivery::Workers,
    /// The live stream's hub.
    pub stream: stream::Hub,
    /// The TAXII server's cursor key and credential cache.
    pub taxii: taxii::TaxiiState,
    /// STIX objects recently served, per item revision and kind of viewer.
    pub objects: interop::ObjectCache,
    /// The routing table of the verified constituencies.
    pub routing: observations::RoutingCache,
}

impl std::ops::Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.0
    }
}

impl AppState {
    /// Builds the state over an opened store (starts the read recorder: call it inside
    /// a Tokio runtime).
    #[must_use]
    pub fn new(store: Store, config: Config) -> Self {
        let limits = Limits::new(config.public_rate_per_minute);
        let reads = reads::ReadRecorder::start(store.clone());
        Self(Arc::new(App {
            store,
            config,
            limits,
            reads,
            workers: delivery::Workers::default(),
            stream: stream::Hub::default(),
            taxii: taxii::TaxiiState::default(),
            objects: interop::ObjectCache::default(),
            routing: observations::RoutingCache::default(),
        }))
    }

    /// `v` with the user's clearance loaded (M2.8): every way a user authenticates goes
    /// through here. A viewer that skips it holds no clearance, so it fails closed.
    ///
    /// # Errors
    /// On database failure.
    pub async fn cleared(&self, mut v: Viewer) -> Result<Viewer, tsunagu_store::StoreError> {
        let grants = self.store.clearances_of(v.user.id).await?;
        v.clearance =
            tsunagu_core::clearance::Clearance::of(&grants, &self.config.clearance_levels);
        Ok(v)
    }
}

/// Builds an audit record for an action by `actor` (`None`: the public or the system).
#[must_use]
pub fn audit_by(
    actor: Option<&Viewer>,
    action: &str,
    target_type: &str,
    target_id: &str,
    details: serde_json::Value,
) -> AuditRecord {
    AuditRecord {
        actor_user: actor.map(|v| v.user.id.to_string()),
        actor_member: actor.map(|v| v.member.id.to_string()),
        action: action.to_owned(),
        target_type: target_type.to_owned(),
        target_id: target_id.to_owned(),
        details,
    }
}

async fn healthz() -> &'static str {
    "ok"
}

async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(openapi::ApiDoc::openapi())
}

async fn not_found() -> ApiError {
    ApiError::NotFound
}

/// Turns the framework's own plain-text rejections (wrong method, and any other
/// client error without a body type) into problem+json.
async fn problem_for_bare_errors(req: Request, next: axum::middleware::Next) -> Response {
    let taxii = req.uri().path().starts_with("/taxii2");
    if req.uri().path() == "/" || req.uri().path().starts_with("/portal") {
        // The portal answers with its own HTML pages.
        return next.run(req).await;
    }
    let resp = next.run(req).await;
    let status = resp.status();
    if taxii {
        // TAXII clients expect TAXII error messages, not problem+json.
        let is_taxii = resp
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"application/taxii+json"));
        if (status.is_client_error() || status.is_server_error()) && !is_taxii {
            return taxii::bare_error(status);
        }
        return resp;
    }
    let is_problem = resp
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if (status.is_client_error() || status.is_server_error()) && !is_problem {
        let detail = match status {
            StatusCode::METHOD_NOT_ALLOWED => "this method is not allowed on this path".to_owned(),
            StatusCode::PAYLOAD_TOO_LARGE => "the request body is too large".to_owned(),
            StatusCode::REQUEST_TIMEOUT => "the request took too long".to_owned(),
            s => s.canonical_reason().unwrap_or("error").to_owned(),
        };
        let mut p = problem(status, detail);
        for (k, v) in resp.headers() {
            if k != axum::http::header::CONTENT_TYPE && k != axum::http::header::CONTENT_LENGTH {
                p.headers_mut().insert(k.clone(), v.clone());
            }
        }
        return p;
    }
    resp
}

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/v1/openapi.json", get(openapi_json))
        .merge(api::router())
        .merge(taxii::router())
        .merge(feeds::router())
        .merge(portal::router())
        .fallback(not_found)
        .layer(axum::middleware::from_fn(problem_for_bare_errors))
        .layer(axum::extract::DefaultBodyLimit::max(state.config.body_limit))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(60),
        ))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().on_response(DefaultOnResponse::new().level(tracing::Level::INFO)).make_span_with(|req: &Request| {
            let path = req
                .extensions()
                .get::<MatchedPath>()
                .map_or(req.uri().path(), MatchedPath::as_str);
            let id = req
                .extensions()
                .get::<RequestId>()
                .and_then(|r| r.header_value().to_str().ok())
                .unwrap_or("-");
            tracing::info_span!("request", method = %req.method(), path, request_id = id, user = tracing::field::Empty)
        }))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}

/// Serves `state` on `listener`, with the delivery workers, until `shutdown` is
/// cancelled; in-flight requests and deliveries are allowed to finish.
///
/// # Errors
/// When the listener fails.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let workers = delivery::start(state.clone(), shutdown.clone());
    stream::start(state.clone(), shutdown.clone());
    reminders::start(state.clone(), shutdown.clone());
    observations::start(state.clone(), shutdown.clone());
    federation::start(state.clone(), shutdown.clone());
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await;
    workers.wait().await;
    served
}

/// Resolves when the process gets SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
