//! Reading the audit log (coordinator and secretariat).

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tsunagu_core::audit::AuditEntry;
use tsunagu_core::member;
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiQuery, Auth};

/// Paging through the audit log.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Only entries with a smaller sequence number (the `next_before` of the last page).
    pub before: Option<i64>,
    /// Page size, 1–500 (default 100).
    pub limit: Option<i64>,
    /// Only entries about this object id.
    pub target: Option<String>,
}

/// A page of the audit log, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditList {
    /// Entries.
    pub entries: Vec<AuditEntry>,
    /// Cursor for the next page, if any.
    pub next_before: Option<i64>,
}

/// Lists audit entries, newest first. Coordinator and secretariat only.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", security(("bearer" = [])),
    params(("before" = Option<i64>, Query), ("limit" = Option<i64>, Query), ("target" = Option<String>, Query)),
    responses((status = 200, body = AuditList), (status = 403, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    Auth(v): Auth,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<AuditList>> {
    member::ensure_administration(&v.member)?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::BadRequest(format!(
            "limit: must be between 1 and 500, got {limit}"
        )));
    }
    let page = state
        .store
        .audit_page(q.before, limit, q.target.as_deref())
        .await?;
    Ok(Json(AuditList {
        entries: page.entries,
        next_before: page.next_before,
    }))
}

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/audit", get(list))
}
