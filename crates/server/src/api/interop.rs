//! STIX 2.1 and MISP over HTTP (M7.1): a STIX bundle of everything the caller may see,
//! imports of STIX bundles and MISP events as the caller's own items, and a MISP feed
//! a member's MISP can subscribe to (with an `Authorization: Bearer` header).
//!
//! Every byte written comes from the caller's policy view of each item.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Map, Value};
use tsunagu_core::misp;
use tsunagu_core::stix;
use tsunagu_core::user::Viewer;
use tsunagu_core::view::view;

use crate::AppState;
use crate::api::items::record_reads;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::Auth;
use crate::interop::{self, Exportable, Extras};

/// The STIX 2.1 media type of exported bundles.
pub const STIX_MEDIA_TYPE: &str = "application/stix+json;version=2.1";

/// Everything `v` may see, oldest change first, ready to export with `extras`; the
/// reads are recorded.
///
/// # Errors
/// On database failure.
pub async fn visible(state: &AppState, v: &Viewer, extras: Extras) -> ApiResult<Vec<Exportable>> {
    let mut out = Vec::new();
    let mut shown = Vec::new();
    let mut cursor = (i64::MIN, -1);
    loop {
        let batch = state.store.items_by_change(cursor, &[], 500).await?;
        let done = batch.len() < 500;
        // The STIX originals of the batch in one query, not one per item.
        let mut originals = if extras == Extras::Stix {
            let ids: Vec<_> = batch.iter().map(|s| s.item.id).collect();
            state.store.items_stix(&ids).await?
        } else {
            std::collections::HashMap::new()
        };
        for stored in batch {
            cursor = (
                tsunagu_core::audit::millis(stored.item.updated_at),
                stored.seq,
            );
            let known = originals
                .remove(&stored.item.id)
                .map(|json| serde_json::from_str(&json).ok());
            let known = Some(known.flatten());
            if let Some(e) = interop::exportable(state, v, &stored.item, extras, known).await? {
                out.push(e);
                shown.push(stored.item);
            }
        }
        if done {
            break;
        }
    }
    let refs: Vec<_> = shown.iter().collect();
    record_reads(state, v, &refs).await?;
    Ok(out)
}

/// A STIX 2.1 bundle of every item the caller may see, as it may see it: the
/// provider's own objects under their original ids, everything else anonymised under
/// the council's ids. Deterministic: the same items give the same bytes.
#[utoipa::path(get, path = "/api/v1/export/stix", tag = "interop", security(("bearer" = [])),
    responses((status = 200, description = "A STIX 2.1 bundle", content_type = "application/stix+json;version=2.1")))]
pub async fn export_stix(State(state): State<AppState>, Auth(v): Auth) -> ApiResult<Response> {
    let items = visible(&state, &v, Extras::Stix).await?;
    let mut body = Vec::new();
    stix::write_bundle(items.iter().map(Exportable::as_export), &mut body)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(([(CONTENT_TYPE, STIX_MEDIA_TYPE)], body).into_response())
}

/// Imports a STIX 2.1 bundle as items provided by the caller's member (new ones shared
/// with the task force at the bundle's TLP; a re-import updates them). All or nothing:
/// an invalid object is named in a 422 and nothing changes.
#[utoipa::path(post, path = "/api/v1/import/stix", tag = "interop", security(("bearer" = [])),
    request_body(content = String, description = "A STIX 2.1 bundle", content_type = "application/stix+json"),
    responses((status = 201, description = "What was created, updated, left unchanged and skipped"),
        (status = 422, body = Problem)))]
pub async fn import_stix(
    State(state): State<AppState>,
    Auth(v): Auth,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let summary = interop::import_stix(&state, &v, std::io::Cursor::new(body), |_| {}).await?;
    Ok((StatusCode::CREATED, Json(summary.to_json())))
}

/// Imports MISP events (`{"Event": …}`, a bare event, or a REST search response) as
/// items provided by the caller's member. All or nothing: the key or attribute at
/// fault is named in a 422.
#[utoipa::path(post, path = "/api/v1/import/misp", tag = "interop", security(("bearer" = [])),
    request_body(content = String, description = "MISP event JSON", content_type = "application/json"),
    responses((status = 201, description = "What was created, updated, left unchanged and skipped"),
        (status = 422, body = Problem)))]
pub async fn import_misp(
    State(state): State<AppState>,
    Auth(v): Auth,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let text = String::from_utf8(body.to_vec())
        .map_err(|e| ApiError::Unprocessable(format!("the body is not UTF-8: {e}")))?;
    let summary = interop::import_misp(&state, &v, &[("body".into(), text)]).await?;
    Ok((StatusCode::CREATED, Json(summary.to_json())))
}

/// The caller's MISP feed: `manifest.json`, `hashes.csv` and one `<uuid>.json` per
/// event, each event an item as the caller may see it.
#[utoipa::path(get, path = "/misp/feed/{file}", tag = "interop", security(("bearer" = [])),
    params(("file" = String, Path, description = "manifest.json, hashes.csv or <event uuid>.json")),
    responses((status = 200, description = "The feed file"), (status = 404, body = Problem)))]
pub async fn misp_feed(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(file): Path<String>,
) -> ApiResult<Response> {
    if let Some(id) = file.strip_suffix(".json").filter(|f| *f != "manifest") {
        // An event is its item: one lookup through the policy view.
        let id = id.parse().map_err(|_| ApiError::NotFound)?;
        let stored = state.store.item(id).await?.ok_or(ApiError::NotFound)?;
        let shown = view(&stored.item, &v).ok_or(ApiError::NotFound)?;
        record_reads(&state, &v, &[&stored.item]).await?;
        return Ok(Json(misp::event(&shown)).into_response());
    }
    let items = visible(&state, &v, Extras::None).await?;
    match file.as_str() {
        "manifest.json" => {
            let manifest: Map<String, Value> = items
                .iter()
                .map(|e| misp::manifest_entry(&e.view))
                .collect();
            Ok(Json(Value::Object(manifest)).into_response())
        }
        "hashes.csv" => {
            let mut csv = String::new();
            for e in &items {
                for line in misp::hashes_lines(&e.view) {
                    csv.push_str(&line);
                    csv.push('\n');
                }
            }
            Ok(([(CONTENT_TYPE, "text/csv; charset=utf-8")], csv).into_response())
        }
        _ => Err(ApiError::NotFound),
    }
}

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/export/stix", get(export_stix))
        .route("/api/v1/import/stix", post(import_stix))
        .route("/api/v1/import/misp", post(import_misp))
        .route("/misp/feed/{file}", get(misp_feed))
}
