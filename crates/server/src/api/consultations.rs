//! Consultations over HTTP (M2.6): any member asks the class-1 group privately, class-1
//! task-force members and the coordinator reply, the asker closes it or turns it into
//! a shared item.
//!
//! Every consultation that leaves here has passed through
//! [`tsunagu_core::consultation::consultation_view`]; one the caller may not see
//! answers exactly like an id that does not exist.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;
use tsunagu_core::consultation::{
    Consultation, ConsultationForm, ConsultationStatus, ConsultationView, ReplyForm,
    consultation_view, ensure_asker, sees_others_consultations,
};
use tsunagu_core::ids::ConsultationId;
use tsunagu_core::item::ItemDraft;
use tsunagu_core::user::Viewer;
use tsunagu_core::view::ItemView;
use tsunagu_store::{ConsultationQuery, StoredConsultation};
use utoipa::ToSchema;

use crate::api::items::share_item;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiJson, ApiQuery, Auth};
use crate::{AppState, audit_by};

fn parse_id(s: &str) -> ApiResult<ConsultationId> {
    s.parse().map_err(|_| ApiError::NotFound)
}

fn view_of(stored: &StoredConsultation, v: &Viewer) -> Option<ConsultationView> {
    consultation_view(&stored.consultation, &stored.replies, v)
}

/// Loads a consultation for `v` with the view it gets; 404 when it may not see it.
async fn load_for(
    state: &AppState,
    v: &Viewer,
    id: ConsultationId,
) -> ApiResult<(StoredConsultation, ConsultationView)> {
    let stored = state
        .store
        .consultation(id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let shown = view_of(&stored, v).ok_or(ApiError::NotFound)?;
    Ok((stored, shown))
}

/// Asks the class-1 group, privately: free text, optional indicators. The asker's
/// name never reaches them; the coordinator relays.
#[utoipa::path(post, path = "/api/v1/consultations", tag = "consultation", request_body = ConsultationForm, security(("bearer" = [])),
    responses((status = 201, body = ConsultationView), (status = 400, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn open(
    State(state): State<AppState>,
    Auth(v): Auth,
    ApiJson(form): ApiJson<ConsultationForm>,
) -> ApiResult<(StatusCode, Json<ConsultationView>)> {
    v.ensure_can_act()?;
    let question = form.parse()?;
    let c = Consultation::open(v.member.id, question, OffsetDateTime::now_utc());
    let mut tx = state.store.begin().await?;
    tx.insert_consultation(&c).await?;
    tx.audit(&audit_by(
        Some(&v),
        "consultation.open",
        "consultation",
        &c.id.to_string(),
        json!({ "indicators": c.indicators.len() }),
    ))
    .await?;
    tx.commit().await?;
    let (_, shown) = load_for(&state, &v, c.id).await?;
    Ok((StatusCode::CREATED, Json(shown)))
}

/// Listing parameters.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// Only consultations in this status.
    pub status: Option<ConsultationStatus>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<i64>,
}

/// A page of consultations.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsultationPage {
    /// Consultations, newest first, as the caller may see them.
    pub consultations: Vec<ConsultationView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Most candidates one request examines; the page then ends early with a cursor.
const MAX_SCAN: usize = 2000;

/// The consultations the caller may see, newest first: its own member's, and, for
/// class-1 task-force members and the coordinator, everybody's.
#[utoipa::path(get, path = "/api/v1/consultations", tag = "consultation", security(("bearer" = [])),
    params(("status" = Option<ConsultationStatus>, Query), ("cursor" = Option<String>, Query), ("limit" = Option<i64>, Query)),
    responses((status = 200, body = ConsultationPage), (status = 400, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    Auth(v): Auth,
    ApiQuery(p): ApiQuery<ListParams>,
) -> ApiResult<Json<ConsultationPage>> {
    let limit = p.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::BadRequest(format!(
            "limit: must be between 1 and 200, got {limit}"
        )));
    }
    let mut before = p
        .cursor
        .as_deref()
        .map(|c| {
            c.parse::<i64>().map_err(|_| {
                ApiError::BadRequest("cursor: is not a cursor from a previous page".into())
            })
        })
        .transpose()?;
    let q = ConsultationQuery {
        asker: (!sees_others_consultations(&v)).then_some(v.member.id),
        status: p.status,
    };
    let limit = usize::try_from(limit).unwrap_or(50);
    let batch = (limit * 2).clamp(50, 500);
    let mut out = Vec::new();
    let mut scanned = 0;
    let next = loop {
        let candidates = state
            .store
            .consultations(&q, before, i64::try_from(batch).unwrap_or(500))
            .await?;
        let exhausted = candidates.len() < batch;
        for c in &candidates {
            scanned += 1;
            before = Some(c.seq);
            if let Some(shown) = view_of(c, &v) {
                out.push(shown);
                if out.len() == limit {
                    break;
                }
            }
        }
        if out.len() == limit || (!exhausted && scanned >= MAX_SCAN) {
            break before;
        }
        if exhausted {
            break None;
        }
    };
    Ok(Json(ConsultationPage {
        consultations: out,
        next_cursor: next.map(|n| n.to_string()),
    }))
}

/// One consultation as the caller may see it.
#[utoipa::path(get, path = "/api/v1/consultations/{id}", tag = "consultation", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = ConsultationView), (status = 404, body = Problem)))]
pub async fn get_one(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<ConsultationView>> {
    let (_, shown) = load_for(&state, &v, parse_id(&id)?).await?;
    Ok(Json(shown))
}

/// Replies to a consultation: class-1 task-force members other than the asker, and
/// the coordinator. The asker sees the reply under a pseudonym valid for this
/// consultation only. Returns the consultation as the replier sees it.
#[utoipa::path(post, path = "/api/v1/consultations/{id}/replies", tag = "consultation", request_body = ReplyForm, security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 201, body = ConsultationView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn reply(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
    ApiJson(form): ApiJson<ReplyForm>,
) -> ApiResult<(StatusCode, Json<ConsultationView>)> {
    let id = parse_id(&id)?;
    load_for(&state, &v, id).await?;
    let mut tx = state.store.begin().await?;
    let current = tx.consultation(id).await?.ok_or(ApiError::NotFound)?;
    let reply = form.parse(&current.consultation, &v, OffsetDateTime::now_utc())?;
    tx.add_reply(id, &reply).await?;
    tx.audit(&audit_by(
        Some(&v),
        "consultation.reply",
        "consultation",
        &id.to_string(),
        json!({}),
    ))
    .await?;
    tx.commit().await?;
    let (_, shown) = load_for(&state, &v, id).await?;
    Ok((StatusCode::CREATED, Json(shown)))
}

/// Closes a consultation: the asker only. It takes no more replies.
#[utoipa::path(post, path = "/api/v1/consultations/{id}/close", tag = "consultation", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = ConsultationView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn close(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<ConsultationView>> {
    let id = parse_id(&id)?;
    let (stored, _) = load_for(&state, &v, id).await?;
    ensure_asker(&stored.consultation, &v)?;
    let mut tx = state.store.begin().await?;
    let current = tx.consultation(id).await?.ok_or(ApiError::NotFound)?;
    if current.consultation.status == ConsultationStatus::Closed {
        return Err(ApiError::Conflict(
            "the consultation is already closed".into(),
        ));
    }
    tx.set_consultation_status(id, ConsultationStatus::Closed, OffsetDateTime::now_utc())
        .await?;
    tx.audit(&audit_by(
        Some(&v),
        "consultation.close",
        "consultation",
        &id.to_string(),
        json!({}),
    ))
    .await?;
    tx.commit().await?;
    let (_, shown) = load_for(&state, &v, id).await?;
    Ok(Json(shown))
}

/// Turns a consultation into a shared item (the asker only, once): the body is an
/// item like `POST /api/v1/items` takes, shared exactly as that endpoint shares it,
/// with the asker's member as its provider. Returns the item as its provider sees it.
#[utoipa::path(post, path = "/api/v1/consultations/{id}/share", tag = "consultation", request_body = ItemDraft, security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 201, body = ItemView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn share(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
    ApiJson(draft): ApiJson<ItemDraft>,
) -> ApiResult<(StatusCode, Json<ItemView>)> {
    let id = parse_id(&id)?;
    let (stored, _) = load_for(&state, &v, id).await?;
    ensure_asker(&stored.consultation, &v)?;
    if stored.consultation.shared_item.is_some() {
        return Err(ApiError::Conflict(
            "the consultation was already turned into an item".into(),
        ));
    }
    let content = draft.parse()?;
    // The item and its link commit together: a second share (or a racing one) finds
    // the link taken and rolls its item back.
    let mut tx = state.store.begin().await?;
    let item = share_item(&mut tx, &v, content, &[]).await?;
    if !tx
        .link_consultation_item(id, item.id, OffsetDateTime::now_utc())
        .await?
    {
        return Err(ApiError::Conflict(
            "the consultation was already shared as an item".into(),
        ));
    }
    tx.audit(&audit_by(
        Some(&v),
        "consultation.share",
        "consultation",
        &id.to_string(),
        json!({ "item": item.id }),
    ))
    .await?;
    tx.commit().await?;
    let shown = tsunagu_core::view::view(&item, &v).ok_or(ApiError::NotFound)?;
    Ok((StatusCode::CREATED, Json(shown)))
}

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/consultations", get(list).post(open))
        .route("/api/v1/consultations/{id}", get(get_one))
        .route("/api/v1/consultations/{id}/replies", post(reply))
        .route("/api/v1/consultations/{id}/close", post(close))
        .route("/api/v1/consultations/{id}/share", post(share))
}
