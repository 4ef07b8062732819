//! Shared items (M2.1–M2.4, M2.7): share, read, search, revise, rescope, retract.
//!
//! Every item that leaves here has passed through [`tsunagu_core::view::view`]; an
//! item the caller may not see answers exactly like an id that does not exist.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;
use tsunagu_core::ids::ItemId;
use tsunagu_core::indicator::{Indicator, IndicatorKind, guess_kind};
use tsunagu_core::item::{Confidence, Item, ItemContent, ItemDraft, ItemKind, ItemStatus};
use tsunagu_core::member::Sector;
use tsunagu_core::scope::{Scope, check_scope_change};
use tsunagu_core::user::Viewer;
use tsunagu_core::view::{Audience, ItemView, view};
use tsunagu_store::{IndicatorMatch, ItemQuery, ItemRead, StoredItem};
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiJson, ApiQuery, Auth};
use crate::{AppState, audit_by};

pub(crate) fn parse_item_id(s: &str) -> ApiResult<ItemId> {
    s.parse().map_err(|_| ApiError::NotFound)
}

/// Records that `viewer` was shown `items`: a read count per class for the provider,
/// and an audit entry for each confidential one (M2.7). Reads by the provider itself
/// are not recorded. Returns once they are committed.
pub(crate) async fn record_reads(
    state: &AppState,
    viewer: &Viewer,
    items: &[&Item],
) -> ApiResult<()> {
    let others: Vec<&Item> = items
        .iter()
        .copied()
        .filter(|i| {
            // Every access to a confidential item is audited (M2.7); other re-reads
            // change no count and are not written again.
            i.provider != viewer.member.id
                && (i.content.tlp.is_confidential()
                    || !state
                        .reads
                        .recorded_lately(viewer.member.id, i.id, i.revision))
        })
        .collect();
    let reads = others
        .iter()
        .map(|i| ItemRead {
            item: i.id,
            member: viewer.member.id,
            class: viewer.member.class,
        })
        .collect();
    let audits = others
        .iter()
        .filter(|i| i.content.tlp.is_confidential())
        .map(|i| {
            audit_by(
                Some(viewer),
                "item.read",
                "item",
                &i.id.to_string(),
                json!({ "tlp": i.content.tlp }),
            )
        })
        .collect();
    state.reads.record(reads, audits).await?;
    state
        .reads
        .remember(viewer.member.id, others.iter().map(|i| (i.id, i.revision)));
    Ok(())
}

/// Loads an item for `viewer` with the audience it gets; 404 when it may not see it.
pub(crate) async fn load_for(
    state: &AppState,
    viewer: &Viewer,
    id: ItemId,
) -> ApiResult<(StoredItem, ItemView)> {
    let stored = state.store.item(id).await?.ok_or(ApiError::NotFound)?;
    let v = view(&stored.item, viewer).ok_or(ApiError::NotFound)?;
    Ok((stored, v))
}

/// Stores `content` in `tx` as a new item provided by the viewer's member, audited, and
/// returns it; the caller commits and answers with the provider's view. Every way of
/// sharing (the API, a consultation, a promotion) goes through here.
///
/// # Errors
/// When the viewer may not act, or on database failure.
pub async fn share_item(
    tx: &mut tsunagu_store::Tx,
    v: &Viewer,
    content: ItemContent,
    sources: &[ItemId],
) -> ApiResult<Item> {
    v.ensure_can_act()?;
    let now = OffsetDateTime::now_utc();
    let item = Item {
        id: ItemId::new(),
        provider: v.member.id,
        provider_sector: v.member.sector,
        content,
        status: ItemStatus::Shared,
        revision: 1,
        created_at: now,
        updated_at: now,
    };
    tx.insert_item(&item, v.user.id).await?;
    tx.audit(&audit_by(
        Some(v),
        "item.create",
        "item",
        &item.id.to_string(),
        json!({ "kind": item.content.kind, "tlp": item.content.tlp, "confidence": item.content.confidence, "scope": item.content.scope, "sources": sources }),
    ))
    .await?;
    if !sources.is_empty() {
        tx.link_sources(item.id, sources).await?;
    }
    Ok(item)
}

/// Checks the clearance an item's content requires (M2.8): a configured level that the
/// acting user holds now, or the user could not see its own item.
///
/// # Errors
/// 422 for a level that does not exist, 403 when the user does not hold it; both name
/// the `clearance` field.
pub fn check_clearance(state: &AppState, v: &Viewer, content: &mut ItemContent) -> ApiResult<()> {
    let Some(level) = &content.clearance else {
        return Ok(());
    };
    let level = state.config.clearance_levels.parse("clearance", level)?;
    if !v.clearance.allows(&level, OffsetDateTime::now_utc()) {
        return Err(ApiError::Forbidden(format!(
            "clearance: you do not hold the level {level:?}, so you could not see the item yourself"
        )));
    }
    content.clearance = Some(level);
    Ok(())
}

/// Shares a new item. The caller's member is its provider and sets its scope.
#[utoipa::path(post, path = "/api/v1/items", tag = "items", request_body = ItemDraft, security(("bearer" = [])),
    responses((status = 201, body = ItemView), (status = 400, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    Auth(v): Auth,
    ApiJson(draft): ApiJson<ItemDraft>,
) -> ApiResult<(StatusCode, Json<ItemView>)> {
    v.ensure_can_act()?;
    let mut content = draft.parse()?;
    check_clearance(&state, &v, &mut content)?;
    let mut tx = state.store.begin().await?;
    let item = share_item(&mut tx, &v, content, &[]).await?;
    tx.commit().await?;
    let shown = view(&item, &v).ok_or(ApiError::NotFound)?;
    Ok((StatusCode::CREATED, Json(shown)))
}

/// One item as the caller may see it.
#[utoipa::path(get, path = "/api/v1/items/{id}", tag = "items", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = ItemView), (status = 404, body = Problem)))]
pub async fn get_one(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<ItemView>> {
    let (stored, shown) = load_for(&state, &v, parse_item_id(&id)?).await?;
    record_reads(&state, &v, &[&stored.item]).await?;
    Ok(Json(shown))
}

/// Writes `item` (its revision already incremented) with its audit entries in one
/// transaction, and answers with the caller's view of it.
async fn save_revision(
    state: &AppState,
    v: &Viewer,
    seq: i64,
    mut item: Item,
    audits: &[(&str, serde_json::Value)],
) -> ApiResult<Json<ItemView>> {
    item.updated_at = OffsetDateTime::now_utc();
    let id = item.id.to_string();
    let mut tx = state.store.begin().await?;
    tx.update_item(seq, &item, v.user.id).await?;
    for (action, details) in audits {
        tx.audit(&audit_by(Some(v), action, "item", &id, details.clone()))
            .await?;
    }
    tx.commit().await?;
    view(&item, v).map(Json).ok_or(ApiError::NotFound)
}

/// Only the provider edits an item (callers that cannot see it already got 404).
fn ensure_provider(item: &Item, v: &Viewer) -> ApiResult<()> {
    v.ensure_can_act()?;
    if item.provider == v.member.id {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "only the provider can change the item".into(),
        ))
    }
}

/// Replaces an item's content with a new revision. Provider only; every revision is kept.
#[utoipa::path(put, path = "/api/v1/items/{id}", tag = "items", request_body = ItemDraft, security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = ItemView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
    ApiJson(draft): ApiJson<ItemDraft>,
) -> ApiResult<Json<ItemView>> {
    let (stored, _) = load_for(&state, &v, parse_item_id(&id)?).await?;
    ensure_provider(&stored.item, &v)?;
    let mut content = draft.parse()?;
    check_clearance(&state, &v, &mut content)?;
    let mut item = stored.item.clone();
    let scope_before = item.content.scope.clone();
    content.tearline = item.content.tearline;
    item.content = content;
    item.revision += 1;
    let mut audits = vec![(
        "item.update",
        json!({ "revision": item.revision, "tlp": item.content.tlp, "clearance": item.content.clearance }),
    )];
    if scope_before != item.content.scope {
        audits.push((
            "item.scope",
            json!({ "before": scope_before, "after": item.content.scope }),
        ));
    }
    save_revision(&state, &v, stored.seq, item, &audits).await
}

/// Attaches a releasable version (a tearline) to an item that requires clearance
/// (M2.8): what may go to everyone in its scope without the clearance, for example the
/// indicators and the countermeasure without the source. The tearline is an ordinary
/// new item of the same provider that says nothing of the original; only the cleared
/// original points to it. Provider only; one tearline per item (revise it afterwards).
#[utoipa::path(post, path = "/api/v1/items/{id}/tearline", tag = "items", request_body = ItemDraft, security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 201, body = ItemView), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn tearline(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
    ApiJson(draft): ApiJson<ItemDraft>,
) -> ApiResult<(StatusCode, Json<ItemView>)> {
    let (stored, _) = load_for(&state, &v, parse_item_id(&id)?).await?;
    ensure_provider(&stored.item, &v)?;
    if stored.item.content.clearance.is_none() {
        return Err(ApiError::Conflict(
            "the item requires no clearance: it is releasable as it is".into(),
        ));
    }
    if let Some(existing) = stored.item.content.tearline {
        return Err(ApiError::Conflict(format!(
            "the item has a tearline already ({existing}): revise that item instead"
        )));
    }
    let content = draft.parse()?;
    if content.clearance.is_some() {
        return Err(ApiError::Unprocessable(
            "clearance: a tearline is what may go to everyone in scope; it cannot require clearance".into(),
        ));
    }
    let mut tx = state.store.begin().await?;
    let released = attach_tearline(&mut tx, &v, &stored, content).await?;
    tx.commit().await?;
    let shown = view(&released, &v).ok_or(ApiError::NotFound)?;
    Ok((StatusCode::CREATED, Json(shown)))
}

/// Shares `content` in `tx` as the releasable version of `original` and makes a new
/// revision of the original that points to it; audited. Returns the tearline item.
///
/// # Errors
/// When the viewer may not act, or on database failure.
pub async fn attach_tearline(
    tx: &mut tsunagu_store::Tx,
    v: &Viewer,
    original: &StoredItem,
    content: ItemContent,
) -> ApiResult<Item> {
    let released = share_item(tx, v, content, &[]).await?;
    let mut item = original.item.clone();
    item.content.tearline = Some(released.id);
    item.revision += 1;
    item.updated_at = OffsetDateTime::now_utc();
    tx.update_item(original.seq, &item, v.user.id).await?;
    tx.audit(&audit_by(
        Some(v),
        "item.tearline",
        "item",
        &item.id.to_string(),
        json!({ "revision": item.revision, "tearline": released.id }),
    ))
    .await?;
    Ok(released)
}

/// A new sharing scope.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScopeChange {
    /// The scope.
    pub scope: Scope,
}

/// Changes an item's scope: the provider may set any scope, the coordinator may only
/// narrow it (M2.2). Audited with the scope before and after.
#[utoipa::path(put, path = "/api/v1/items/{id}/scope", tag = "items", request_body = ScopeChange, security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = ItemView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn change_scope(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
    ApiJson(change): ApiJson<ScopeChange>,
) -> ApiResult<Json<ItemView>> {
    v.ensure_can_act()?;
    let (stored, _) = load_for(&state, &v, parse_item_id(&id)?).await?;
    let mut item = stored.item.clone();
    check_scope_change(&item.content.scope, &change.scope, &v.member, item.provider)?;
    let before = std::mem::replace(&mut item.content.scope, change.scope);
    item.revision += 1;
    let audit = json!({ "before": before, "after": item.content.scope });
    save_revision(&state, &v, stored.seq, item, &[("item.scope", audit)]).await
}

/// Retracts an item (provider or coordinator); recipients see it marked retracted.
#[utoipa::path(post, path = "/api/v1/items/{id}/retract", tag = "items", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = ItemView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn retract(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<ItemView>> {
    v.ensure_can_act()?;
    let (stored, shown) = load_for(&state, &v, parse_item_id(&id)?).await?;
    if shown.audience != Audience::Full {
        return Err(ApiError::Forbidden(
            "only the provider or the coordinator can retract the item".into(),
        ));
    }
    if stored.item.status == ItemStatus::Retracted {
        return Err(ApiError::Conflict("the item is already retracted".into()));
    }
    let mut item = stored.item.clone();
    item.status = ItemStatus::Retracted;
    item.revision += 1;
    let audit = json!({ "revision": item.revision });
    save_revision(&state, &v, stored.seq, item, &[("item.retract", audit)]).await
}

/// Every revision of an item, oldest first. The provider and the coordinator only:
/// an earlier revision may have had a wider scope than the provider now allows.
#[utoipa::path(get, path = "/api/v1/items/{id}/revisions", tag = "items", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Vec<ItemView>), (status = 404, body = Problem)))]
pub async fn revisions(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<ItemView>>> {
    let (stored, shown) = load_for(&state, &v, parse_item_id(&id)?).await?;
    if shown.audience != Audience::Full {
        return Err(ApiError::NotFound);
    }
    let all = state.store.item_revisions(&stored.item).await?;
    Ok(Json(all.iter().filter_map(|i| view(i, &v)).collect()))
}

/// How many members of each class read an item: never who.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadSummary {
    /// Class 1 members that read it.
    pub class1: i64,
    /// Class 2 members that read it.
    pub class2: i64,
    /// General members that read it.
    pub general: i64,
    /// Partners (federation) that read it.
    pub partners: i64,
}

/// Read counts per class, for the provider and the coordinator (M2.7).
#[utoipa::path(get, path = "/api/v1/items/{id}/reads", tag = "items", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = ReadSummary), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn reads(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<ReadSummary>> {
    let (stored, shown) = load_for(&state, &v, parse_item_id(&id)?).await?;
    if shown.audience != Audience::Full {
        return Err(ApiError::Forbidden(
            "only the provider and the coordinator see who read an item".into(),
        ));
    }
    let c = state.store.item_read_counts(stored.item.id).await?;
    Ok(Json(ReadSummary {
        class1: c.class1,
        class2: c.class2,
        general: c.general,
        partners: c.partners,
    }))
}

/// Search parameters.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchParams {
    /// An indicator value; its type is guessed unless `indicator_type` is given.
    pub indicator: Option<String>,
    /// The indicator's type.
    pub indicator_type: Option<String>,
    /// A CVE id.
    pub cve: Option<String>,
    /// An ATT&CK technique (matches its sub-techniques too).
    pub technique: Option<String>,
    /// The victim's sector.
    pub sector: Option<String>,
    /// The item kind.
    pub kind: Option<String>,
    /// The confidence.
    pub confidence: Option<String>,
    /// Shared at or after (RFC 3339).
    pub since: Option<String>,
    /// Shared before (RFC 3339).
    pub until: Option<String>,
    /// Only the caller's own items.
    pub mine: Option<bool>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<i64>,
}

/// A page of search results.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemPage {
    /// Items, newest first, as the caller may see them.
    pub items: Vec<ItemView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

fn bad(field: &str, msg: impl std::fmt::Display) -> ApiError {
    ApiError::BadRequest(format!("{field}: {msg}"))
}

/// An optional query parameter naming one of an enum's values.
fn enum_param<T>(
    field: &str,
    value: Option<&str>,
    parse: impl Fn(&str) -> Option<T>,
) -> ApiResult<Option<T>> {
    value
        .map(|v| parse(v).ok_or_else(|| bad(field, format!("unknown value {v:?}"))))
        .transpose()
}

fn parse_time(field: &str, s: &str) -> ApiResult<OffsetDateTime> {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map_err(|e| bad(field, format!("{s:?} is not an RFC 3339 time ({e})")))
}

/// Turns search parameters into a store query.
///
/// # Errors
/// [`ApiError::BadRequest`] naming the bad parameter.
pub fn item_query(p: &SearchParams, v: &Viewer) -> ApiResult<ItemQuery> {
    let indicator = match &p.indicator {
        None => None,
        Some(value) => {
            let kind = match &p.indicator_type {
                Some(t) => IndicatorKind::parse(t)
                    .ok_or_else(|| bad("indicator_type", format!("unknown type {t:?}")))?,
                None => guess_kind(value).ok_or_else(|| {
                    bad(
                        "indicator",
                        format!(
                            "cannot tell what kind of indicator {value:?} is; give indicator_type"
                        ),
                    )
                })?,
            };
            let ind = Indicator::parse(kind, value).map_err(|e| bad("indicator", e))?;
            Some(match ind.ip_net() {
                Some(net) => IndicatorMatch::Net(net),
                None => IndicatorMatch::Value(ind.value().to_owned()),
            })
        }
    };
    Ok(ItemQuery {
        indicator,
        cve: p
            .cve
            .as_deref()
            .map(|c| tsunagu_core::indicator::CveId::parse(c).map(|c| c.as_str().to_owned()))
            .transpose()
            .map_err(|e| bad("cve", e))?,
        technique: p
            .technique
            .as_deref()
            .map(|t| tsunagu_core::indicator::TechniqueId::parse(t).map(|t| t.as_str().to_owned()))
            .transpose()
            .map_err(|e| bad("technique", e))?,
        victim_sector: enum_param("sector", p.sector.as_deref(), Sector::parse)?,
        kind: enum_param("kind", p.kind.as_deref(), ItemKind::parse)?
            .map(|k| k.as_str().to_owned()),
        confidence: enum_param("confidence", p.confidence.as_deref(), Confidence::parse)?
            .map(|c| c.as_str().to_owned()),
        since: p
            .since
            .as_deref()
            .map(|s| parse_time("since", s))
            .transpose()?,
        until: p
            .until
            .as_deref()
            .map(|s| parse_time("until", s))
            .transpose()?,
        provider: p.mine.unwrap_or(false).then_some(v.member.id),
    })
}

/// Most candidates one request examines, so a search that the caller can see little
/// of cannot scan the whole database; the page then ends early with a cursor.
const MAX_SCAN: usize = 2000;

/// Runs a search and returns only what the viewer may see, newest first.
///
/// # Errors
/// On database failure.
pub async fn search_visible(
    state: &AppState,
    v: &Viewer,
    q: &ItemQuery,
    cursor: Option<i64>,
    limit: usize,
) -> ApiResult<(Vec<(StoredItem, ItemView)>, Option<i64>)> {
    let batch = (limit * 2).clamp(50, 500);
    let mut out = Vec::new();
    let mut before = cursor;
    let mut scanned = 0;
    loop {
        let candidates = state
            .store
            .search_items(q, before, i64::try_from(batch).unwrap_or(500))
            .await?;
        let exhausted = candidates.len() < batch;
        for c in candidates {
            scanned += 1;
            before = Some(c.seq);
            if let Some(shown) = view(&c.item, v) {
                out.push((c, shown));
                if out.len() == limit {
                    return Ok((out, before));
                }
            }
        }
        if exhausted {
            return Ok((out, None));
        }
        if scanned >= MAX_SCAN {
            return Ok((out, before));
        }
    }
}

/// Searches what the caller may see: by indicator (exact, and IP-in-CIDR both ways),
/// CVE, technique, victim sector, kind, confidence and time; newest first, keyset-paged.
#[utoipa::path(get, path = "/api/v1/items", tag = "items", security(("bearer" = [])),
    params(
        ("indicator" = Option<String>, Query, description = "indicator value: an IP finds ranges containing it, a CIDR finds addresses and ranges inside or around it"),
        ("indicator_type" = Option<String>, Query, description = "ipv4, ipv6, cidr, domain, url, email, email_subject, md5, sha1, sha256"),
        ("cve" = Option<String>, Query), ("technique" = Option<String>, Query),
        ("sector" = Option<String>, Query, description = "victim sector"), ("kind" = Option<String>, Query),
        ("confidence" = Option<String>, Query), ("since" = Option<String>, Query), ("until" = Option<String>, Query),
        ("mine" = Option<bool>, Query), ("cursor" = Option<String>, Query), ("limit" = Option<i64>, Query)),
    responses((status = 200, body = ItemPage), (status = 400, body = Problem)))]
pub async fn search(
    State(state): State<AppState>,
    Auth(v): Auth,
    ApiQuery(p): ApiQuery<SearchParams>,
) -> ApiResult<Json<ItemPage>> {
    let limit = p.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(bad(
            "limit",
            format!("must be between 1 and 200, got {limit}"),
        ));
    }
    let cursor = p
        .cursor
        .as_deref()
        .map(|c| {
            c.parse::<i64>()
                .map_err(|_| bad("cursor", "is not a cursor from a previous page"))
        })
        .transpose()?;
    let q = item_query(&p, &v)?;
    let (found, next) =
        search_visible(&state, &v, &q, cursor, usize::try_from(limit).unwrap_or(50)).await?;
    let items: Vec<&Item> = found.iter().map(|(s, _)| &s.item).collect();
    record_reads(&state, &v, &items).await?;
    Ok(Json(ItemPage {
        items: found.into_iter().map(|(_, shown)| shown).collect(),
        next_cursor: next.map(|n| n.to_string()),
    }))
}

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/items", get(search).post(create))
        .route("/api/v1/items/{id}", get(get_one).put(update))
        .route("/api/v1/items/{id}/scope", put(change_scope))
        .route("/api/v1/items/{id}/retract", post(retract))
        .route("/api/v1/items/{id}/tearline", post(tearline))
        .route("/api/v1/items/{id}/revisions", get(revisions))
        .route("/api/v1/items/{id}/reads", get(reads))
}
