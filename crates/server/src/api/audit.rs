//! Reading the audit log (coordinator and secretariat).

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tsunagu_core::audit::AuditEntry;
use tsunagu_core::ids::ItemId;
use tsunagu_core::member;
use tsunagu_core::user::Viewer;
use tsunagu_core::view::holds_clearance_for;
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

/// Lists audit entries, newest first. Coordinator and secretariat only; entries about
/// an item that requires a clearance the caller does not hold are left out.
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
    let hidden = hidden_targets(&state, &v, &page.entries).await?;
    Ok(Json(AuditList {
        entries: page
            .entries
            .into_iter()
            .filter(|e| !hidden.contains(&e.target_id))
            .collect(),
        next_before: page.next_before,
    }))
}

/// The targets among `entries` that are, or are about, an item requiring a clearance
/// the viewer does not hold (M2.8): their entries would tell an uncleared auditor that
/// the item exists, so they are left out for it.
async fn hidden_targets(
    state: &AppState,
    v: &Viewer,
    entries: &[AuditEntry],
) -> ApiResult<HashSet<String>> {
    let now = OffsetDateTime::now_utc();
    let mut hidden = HashSet::new();
    let items: Vec<ItemId> = entries
        .iter()
        .filter(|e| e.target_type == "item")
        .filter_map(|e| e.target_id.parse().ok())
        .collect();
    for (id, stored) in state.store.items_by_ids(&items).await? {
        if !holds_clearance_for(&stored.item, v, now) {
            hidden.insert(id.to_string());
        }
    }
    let alerts: HashSet<&str> = entries
        .iter()
        .filter(|e| e.target_type == "alert")
        .map(|e| e.target_id.as_str())
        .collect();
    for id in alerts {
        let Some(alert) = (match id.parse() {
            Ok(id) => state.store.alert(id).await?,
            Err(_) => None,
        }) else {
            continue;
        };
        let related = state
            .store
            .items_by_ids(&alert.content.related_items)
            .await?;
        if related
            .values()
            .any(|s| !holds_clearance_for(&s.item, v, now))
        {
            hidden.insert(id.to_owned());
        }
    }
    Ok(hidden)
}

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/audit", get(list))
}
