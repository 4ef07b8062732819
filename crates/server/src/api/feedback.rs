//! The task-force loop over HTTP (M2.5, M1.4): feedback on items, what each member owes,
//! items nobody answered, and the give-and-take ledger.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use serde_json::json;
use time::OffsetDateTime;
use tsunagu_core::feedback::{
    Answer, FeedbackForm, Standing, Tally, asks_feedback, deadline, owes_feedback,
};
use tsunagu_core::ids::{ItemId, MemberId};
use tsunagu_core::item::Item;
use tsunagu_core::member::{self, MemberClass, MemberStatus};
use tsunagu_core::user::Viewer;
use tsunagu_core::view::{Audience, ItemView, view};
use tsunagu_store::{ItemQuery, StoredFeedback, StoredItem};
use utoipa::ToSchema;

use crate::auth::random_bytes;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiJson, Auth};
use crate::{AppState, audit_by};

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Feedback as stored and shown back: under the responder's per-item pseudonym.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedbackView {
    /// The responder's pseudonym for this item only.
    pub responder: String,
    /// The answer.
    pub answer: Answer,
    /// Comment.
    pub comment: String,
    /// Answered by the deadline.
    pub on_time: bool,
    /// First answered at.
    pub first_at: String,
    /// Last changed at.
    pub updated_at: String,
}

fn feedback_view(f: &StoredFeedback, due: OffsetDateTime) -> FeedbackView {
    FeedbackView {
        responder: f.responder.clone(),
        answer: f.feedback.answer.clone(),
        comment: f.feedback.comment.clone(),
        on_time: f.first_at <= due,
        first_at: rfc3339(f.first_at),
        updated_at: rfc3339(f.updated_at),
    }
}

/// Gives (or replaces) the caller's feedback on a task-force item. Class 2 answers with
/// a sighting, class 1 with an expert opinion; every earlier answer is kept.
#[utoipa::path(post, path = "/api/v1/items/{id}/feedback", tag = "task force", request_body = FeedbackForm, security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 201, body = FeedbackView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn give(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
    ApiJson(form): ApiJson<FeedbackForm>,
) -> ApiResult<(StatusCode, Json<FeedbackView>)> {
    let id: ItemId = id.parse().map_err(|_| ApiError::NotFound)?;
    let stored = state.store.item(id).await?.ok_or(ApiError::NotFound)?;
    view(&stored.item, &v).ok_or(ApiError::NotFound)?;
    let feedback = form.parse(&stored.item, &v)?;
    let now = OffsetDateTime::now_utc();
    let responder = format!("R-{}", hex::encode_upper(random_bytes::<4>()));
    let mut tx = state.store.begin().await?;
    let saved = tx
        .put_feedback(id, v.member.id, &responder, &feedback, now)
        .await?;
    tx.audit(&audit_by(
        Some(&v),
        "item.feedback",
        "item",
        &id.to_string(),
        json!({ "answer": feedback.answer }),
    ))
    .await?;
    tx.commit().await?;
    let due = deadline(&stored.item, state.config.feedback_window);
    Ok((StatusCode::CREATED, Json(feedback_view(&saved, due))))
}

/// The answers to one item, for its provider and the coordinator.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedbackSummary {
    /// When answers are due.
    pub deadline: String,
    /// Whether the deadline passed without a single answer (the coordinator chases it).
    pub unanswered_at_deadline: bool,
    /// How the answers add up.
    pub tally: Tally,
    /// Each answer, under a pseudonym valid for this item only.
    pub answers: Vec<FeedbackView>,
}

/// The tally and each answer of an item (M2.5): the provider can weigh them but not link
/// responders across items.
#[utoipa::path(get, path = "/api/v1/items/{id}/feedback", tag = "task force", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = FeedbackSummary), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn summary(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<FeedbackSummary>> {
    let id: ItemId = id.parse().map_err(|_| ApiError::NotFound)?;
    let stored = state.store.item(id).await?.ok_or(ApiError::NotFound)?;
    let shown = view(&stored.item, &v).ok_or(ApiError::NotFound)?;
    if shown.audience != Audience::Full {
        return Err(ApiError::Forbidden(
            "only the provider and the coordinator see the feedback".into(),
        ));
    }
    let due = deadline(&stored.item, state.config.feedback_window);
    let all = state.store.item_feedback(id).await?;
    let mut tally = Tally::default();
    for f in &all {
        tally.add(&f.feedback.answer);
    }
    let answered_by_deadline = all.iter().any(|f| f.first_at <= due);
    Ok(Json(FeedbackSummary {
        deadline: rfc3339(due),
        unanswered_at_deadline: asks_feedback(&stored.item)
            && OffsetDateTime::now_utc() > due
            && !answered_by_deadline,
        tally,
        answers: all.iter().map(|f| feedback_view(f, due)).collect(),
    }))
}

/// Every item shared within the ledger window, oldest first.
async fn items_in_window(state: &AppState, now: OffsetDateTime) -> ApiResult<Vec<StoredItem>> {
    Ok(items_since(state, now - state.config.ledger_window).await?)
}

/// Every item shared since `since`, oldest first.
pub(crate) async fn items_since(
    state: &AppState,
    since: OffsetDateTime,
) -> Result<Vec<StoredItem>, tsunagu_store::StoreError> {
    let q = ItemQuery {
        since: Some(since),
        ..ItemQuery::default()
    };
    let mut out = Vec::new();
    let mut before = None;
    loop {
        let page = state.store.search_items(&q, before, 1000).await?;
        let done = page.len() < 1000;
        before = page.last().map(|s| s.seq);
        out.extend(page);
        if done {
            break;
        }
    }
    out.reverse();
    Ok(out)
}

/// An item the caller owes feedback on.
#[derive(Debug, Serialize, ToSchema)]
pub struct Owed {
    /// The item, as the caller may see it.
    pub item: ItemView,
    /// When the answer is due.
    pub deadline: String,
    /// The deadline has passed.
    pub overdue: bool,
}

/// What the caller's member still owes: task-force items it can see and has not answered.
#[utoipa::path(get, path = "/api/v1/feedback/owed", tag = "task force", security(("bearer" = [])),
    responses((status = 200, body = Vec<Owed>)))]
pub async fn owed(State(state): State<AppState>, Auth(v): Auth) -> ApiResult<Json<Vec<Owed>>> {
    let now = OffsetDateTime::now_utc();
    let items = items_in_window(&state, now).await?;
    let answered: std::collections::HashSet<ItemId> = state
        .store
        .feedback_since(now - state.config.ledger_window)
        .await?
        .into_iter()
        .filter(|f| f.member == v.member.id)
        .map(|f| f.item)
        .collect();
    let mut out = Vec::new();
    for s in items
        .iter()
        .filter(|s| owes_feedback(&s.item, &v) && !answered.contains(&s.item.id))
    {
        let due = deadline(&s.item, state.config.feedback_window);
        if let Some(shown) = view(&s.item, &v) {
            out.push(Owed {
                item: shown,
                deadline: rfc3339(due),
                overdue: now > due,
            });
        }
    }
    Ok(Json(out))
}

/// Task-force items whose deadline passed without any answer: the coordinator chases them.
#[utoipa::path(get, path = "/api/v1/feedback/unanswered", tag = "task force", security(("bearer" = [])),
    responses((status = 200, body = Vec<ItemView>), (status = 403, body = Problem)))]
pub async fn unanswered(
    State(state): State<AppState>,
    Auth(v): Auth,
) -> ApiResult<Json<Vec<ItemView>>> {
    if !v
        .member
        .has_role(tsunagu_core::member::SpecialRole::Coordinator)
    {
        return Err(ApiError::Forbidden(
            "only the coordinator chases unanswered items".into(),
        ));
    }
    let now = OffsetDateTime::now_utc();
    let items = items_in_window(&state, now).await?;
    let feedback = state
        .store
        .feedback_since(now - state.config.ledger_window)
        .await?;
    let mut answered: HashMap<ItemId, OffsetDateTime> = HashMap::new();
    for f in feedback {
        let e = answered.entry(f.item).or_insert(f.first_at);
        *e = (*e).min(f.first_at);
    }
    let out = items
        .iter()
        .filter(|s| {
            went_unanswered(
                &s.item,
                answered.get(&s.item.id).copied(),
                state.config.feedback_window,
                now,
            )
        })
        .filter_map(|s| view(&s.item, &v))
        .collect();
    Ok(Json(out))
}

/// Whether a shared task-force item's deadline passed with no answer given by then
/// (`first_answer`: the earliest answer, if any).
pub(crate) fn went_unanswered(
    item: &Item,
    first_answer: Option<OffsetDateTime>,
    window: time::Duration,
    now: OffsetDateTime,
) -> bool {
    let due = deadline(item, window);
    asks_feedback(item)
        && item.status == tsunagu_core::item::ItemStatus::Shared
        && now > due
        && first_answer.is_none_or(|t| t > due)
}

/// One member's line in the ledger.
#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerLine {
    /// The member.
    pub member: MemberId,
    /// Its pseudonym.
    pub pseudonym: String,
    /// Its class.
    pub class: MemberClass,
    /// Whether it is in the task force now.
    pub in_task_force: bool,
    /// Its give and take.
    pub standing: Standing,
    /// Receives without giving, by the council's rule.
    pub free_rider: bool,
}

fn standings(
    state: &AppState,
    members: &[tsunagu_core::member::Member],
    items: &[StoredItem],
    feedback: &[StoredFeedback],
    now: OffsetDateTime,
) -> Vec<LedgerLine> {
    let mut first: HashMap<(ItemId, MemberId), OffsetDateTime> = HashMap::new();
    for f in feedback {
        first.insert((f.item, f.member), f.first_at);
    }
    members
        .iter()
        .map(|m| {
            let viewer = Viewer::for_member(m.clone());
            let mut s = Standing::default();
            // Items requiring clearance are not counted: a count would tell uncleared
            // users of the member that they exist (M2.8).
            for it in items
                .iter()
                .filter(|it| it.item.content.clearance.is_none())
            {
                let item: &Item = &it.item;
                if item.provider == m.id {
                    s.originals += 1;
                } else if owes_feedback(item, &viewer) {
                    s.count_received(
                        first.get(&(item.id, m.id)).copied(),
                        deadline(item, state.config.feedback_window),
                        now,
                    );
                }
            }
            LedgerLine {
                member: m.id,
                pseudonym: m.pseudonym.clone(),
                class: m.class,
                in_task_force: m.in_task_force(),
                free_rider: s.is_free_rider(&state.config.free_rider),
                standing: s,
            }
        })
        .collect()
}

/// The caller's member's give and take over the ledger window (M1.4).
#[utoipa::path(get, path = "/api/v1/ledger/me", tag = "task force", security(("bearer" = [])),
    responses((status = 200, body = LedgerLine)))]
pub async fn my_standing(
    State(state): State<AppState>,
    Auth(v): Auth,
) -> ApiResult<Json<LedgerLine>> {
    let now = OffsetDateTime::now_utc();
    let items = items_in_window(&state, now).await?;
    let feedback = state
        .store
        .feedback_since(now - state.config.ledger_window)
        .await?;
    standings(
        &state,
        std::slice::from_ref(&v.member),
        &items,
        &feedback,
        now,
    )
    .pop()
    .map(Json)
    .ok_or(ApiError::NotFound)
}

/// Every active member's give and take, free riders flagged. Committee, coordinator,
/// secretariat.
#[utoipa::path(get, path = "/api/v1/ledger", tag = "task force", security(("bearer" = [])),
    responses((status = 200, body = Vec<LedgerLine>), (status = 403, body = Problem)))]
pub async fn ledger(
    State(state): State<AppState>,
    Auth(v): Auth,
) -> ApiResult<Json<Vec<LedgerLine>>> {
    if member::ensure_committee(&v.member).is_err()
        && member::ensure_administration(&v.member).is_err()
    {
        return Err(ApiError::Forbidden(
            "only the steering committee and the administration see the ledger".into(),
        ));
    }
    let now = OffsetDateTime::now_utc();
    let members = state.store.members(Some(MemberStatus::Active)).await?;
    let items = items_in_window(&state, now).await?;
    let feedback = state
        .store
        .feedback_since(now - state.config.ledger_window)
        .await?;
    Ok(Json(standings(&state, &members, &items, &feedback, now)))
}

/// A promotion: analyses become a confirmed countermeasure with its own scope.
#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Promotion {
    /// The analyses (and threat information) it comes from.
    pub sources: Vec<String>,
    /// The countermeasure: kind countermeasure or best_practice, confidence confirmed.
    pub item: tsunagu_core::item::ItemDraft,
}

/// Promotes analyses, with their feedback, to a confirmed countermeasure (M2.4). The new
/// item's provider is the promoter's member; its link to the sources is shown to the
/// coordinator only.
#[utoipa::path(post, path = "/api/v1/promotions", tag = "task force", request_body = Promotion, security(("bearer" = [])),
    responses((status = 201, body = ItemView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn promote(
    State(state): State<AppState>,
    Auth(v): Auth,
    ApiJson(p): ApiJson<Promotion>,
) -> ApiResult<(StatusCode, Json<ItemView>)> {
    let content = p.item.parse()?;
    tsunagu_core::feedback::check_promotion(&v, &content, p.sources.len())?;
    let mut sources = Vec::new();
    for (i, s) in p.sources.iter().enumerate() {
        let id: ItemId = s.parse().map_err(|_| ApiError::NotFound)?;
        let stored = state.store.item(id).await?.ok_or(ApiError::NotFound)?;
        view(&stored.item, &v).ok_or(ApiError::NotFound)?;
        if !asks_feedback(&stored.item) {
            return Err(ApiError::Unprocessable(format!(
                "sources: [{i}] is not an analysis or threat information"
            )));
        }
        if !sources.contains(&id) {
            sources.push(id);
        }
    }
    let mut tx = state.store.begin().await?;
    let item = crate::api::items::share_item(&mut tx, &v, content, &sources).await?;
    tx.commit().await?;
    let shown = view(&item, &v).ok_or(ApiError::NotFound)?;
    Ok((StatusCode::CREATED, Json(shown)))
}

/// The items a promoted countermeasure came from: the coordinator only.
#[utoipa::path(get, path = "/api/v1/items/{id}/sources", tag = "task force", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Vec<ItemView>), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn sources(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<ItemView>>> {
    let id: ItemId = id.parse().map_err(|_| ApiError::NotFound)?;
    let stored = state.store.item(id).await?.ok_or(ApiError::NotFound)?;
    view(&stored.item, &v).ok_or(ApiError::NotFound)?;
    if !v
        .member
        .has_role(tsunagu_core::member::SpecialRole::Coordinator)
    {
        return Err(ApiError::Forbidden(
            "only the coordinator sees where a countermeasure came from".into(),
        ));
    }
    let mut out = Vec::new();
    for s in state.store.item_sources(id).await? {
        if let Some(src) = state.store.item(s).await?
            && let Some(shown) = view(&src.item, &v)
        {
            out.push(shown);
        }
    }
    Ok(Json(out))
}

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/items/{id}/feedback", get(summary).post(give))
        .route("/api/v1/feedback/owed", get(owed))
        .route("/api/v1/feedback/unanswered", get(unanswered))
        .route("/api/v1/ledger/me", get(my_standing))
        .route("/api/v1/ledger", get(ledger))
        .route("/api/v1/promotions", axum::routing::post(promote))
        .route("/api/v1/items/{id}/sources", get(sources))
}
