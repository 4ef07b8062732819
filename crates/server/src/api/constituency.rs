//! Constituency registration over HTTP (M6.1): a member states the IP ranges, ASNs
//! and domains it owns; the coordinator verifies each before it takes effect. An
//! entry overlapping another member's is held, not applied, and the coordinator sees
//! with whom it overlaps — the member only that it does. Entries are private to the
//! member and the coordinator.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;
use tsunagu_core::constituency::{Entry, EntryKind, Routing, overlapping};
use tsunagu_core::ids::MemberId;
use tsunagu_core::member::SpecialRole;
use tsunagu_core::text;
use tsunagu_core::user::Viewer;
use tsunagu_store::{ConstituencyRow, ConstituencyStatus, OverlapRef};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiJson, ApiQuery, Auth};
use crate::{AppState, audit_by};

/// A registration.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConstituencyDraft {
    /// `cidr`, `asn` or `domain`.
    pub kind: EntryKind,
    /// The range (`203.0.113.0/24`, `2001:db8::/32`), ASN (`AS64500`) or domain.
    pub value: String,
    /// How the member owns it: the allocation, the registrant, the contract.
    pub ownership: String,
}

/// Another member's entry an entry overlaps (coordinator's view only).
#[derive(Debug, Serialize, ToSchema)]
pub struct OverlapView {
    /// The other member.
    #[schema(value_type = String)]
    pub member_id: MemberId,
    /// Its entry.
    pub value: String,
}

/// A constituency entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConstituencyView {
    /// Identifier.
    pub id: String,
    /// The member that registered it.
    #[schema(value_type = String)]
    pub member_id: MemberId,
    /// `cidr`, `asn` or `domain`.
    pub kind: String,
    /// The canonical entry.
    pub value: String,
    /// How the member owns it.
    pub ownership: String,
    /// `pending`, `held` (overlaps another member's entry), `verified` or `rejected`.
    pub status: String,
    /// In effect: observations and indicators are routed by it.
    pub in_effect: bool,
    /// It overlapped another member's entry when registered.
    pub overlaps_another_member: bool,
    /// With whom (coordinator only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overlaps: Option<Vec<OverlapView>>,
    /// The coordinator's note on its decision.
    pub note: String,
    /// Registered.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    /// Decided.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub decided_at: Option<OffsetDateTime>,
}

fn shown(r: ConstituencyRow, coordinator: bool) -> ConstituencyView {
    ConstituencyView {
        id: r.id,
        member_id: r.member,
        kind: r.kind,
        value: r.value,
        ownership: r.ownership,
        status: r.status.as_str().to_owned(),
        in_effect: r.status == ConstituencyStatus::Verified,
        overlaps_another_member: !r.overlaps.is_empty(),
        overlaps: coordinator.then(|| {
            r.overlaps
                .into_iter()
                .map(|o| OverlapView {
                    member_id: o.member_id,
                    value: o.value,
                })
                .collect()
        }),
        note: r.note,
        created_at: r.created_at,
        decided_at: r.decided_at,
    }
}

fn is_coordinator(v: &Viewer) -> bool {
    v.member.has_role(SpecialRole::Coordinator)
}

fn ensure_coordinator(v: &Viewer) -> ApiResult<()> {
    v.ensure_can_act()?;
    if is_coordinator(v) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "only the coordinator verifies constituencies".into(),
        ))
    }
}

fn parse_row(r: &ConstituencyRow) -> ApiResult<Entry> {
    let kind = EntryKind::parse(&r.kind)
        .ok_or_else(|| ApiError::Internal(format!("constituency kind {:?}", r.kind)))?;
    Entry::parse(kind, &r.value).map_err(|e| ApiError::Internal(e.to_string()))
}

/// Registers an entry of the caller's constituency. It takes effect once the
/// coordinator verifies it; one overlapping another member's entry is held.
#[utoipa::path(post, path = "/api/v1/constituency", tag = "observations", request_body = ConstituencyDraft, security(("bearer" = [])),
    responses((status = 201, body = ConstituencyView), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn register(
    State(state): State<AppState>,
    Auth(v): Auth,
    ApiJson(draft): ApiJson<ConstituencyDraft>,
) -> ApiResult<(StatusCode, Json<ConstituencyView>)> {
    v.ensure_can_act()?;
    let entry = Entry::parse(draft.kind, &draft.value)?;
    let ownership = text::required("ownership", &draft.ownership, 1000)?;
    let mut tx = state.store.begin().await?;
    let live = tx.live_constituency().await?;
    let mut parsed = Vec::with_capacity(live.len());
    for r in &live {
        parsed.push((r.member, parse_row(r)?));
    }
    let overlaps: Vec<OverlapRef> =
        overlapping(&entry, v.member.id, parsed.iter().map(|(m, e)| (*m, e)))
            .into_iter()
            .map(|(member_id, e)| OverlapRef {
                member_id,
                value: e.value(),
            })
            .collect();
    let row = ConstituencyRow {
        id: Uuid::now_v7().to_string(),
        member: v.member.id,
        kind: entry.kind().as_str().to_owned(),
        value: entry.value(),
        ownership,
        status: if overlaps.is_empty() {
            ConstituencyStatus::Pending
        } else {
            ConstituencyStatus::Held
        },
        overlaps,
        note: String::new(),
        decided_by: None,
        decided_at: None,
        created_at: OffsetDateTime::now_utc(),
    };
    tx.insert_constituency(&row).await.map_err(|e| match e {
        tsunagu_store::StoreError::Duplicate => {
            ApiError::Conflict(format!("{} is registered already", row.value))
        }
        e => e.into(),
    })?;
    tx.audit(&audit_by(
        Some(&v),
        "constituency.register",
        "constituency",
        &row.id,
        json!({ "kind": row.kind, "value": row.value, "status": row.status.as_str(), "overlaps": row.overlaps }),
    ))
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(shown(row, is_coordinator(&v)))))
}

/// Which entries to list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ConstituencyQuery {
    /// Coordinator: every member's entries with this status.
    pub status: Option<String>,
    /// Coordinator: this member's entries.
    pub member: Option<String>,
}

/// The caller's constituency; the coordinator may list any member's, or every entry
/// with one status (`?status=held` is its queue).
#[utoipa::path(get, path = "/api/v1/constituency", tag = "observations", params(ConstituencyQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<ConstituencyView>), (status = 403, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    Auth(v): Auth,
    ApiQuery(q): ApiQuery<ConstituencyQuery>,
) -> ApiResult<Json<Vec<ConstituencyView>>> {
    let coordinator = is_coordinator(&v);
    if (q.status.is_some() || q.member.is_some()) && !coordinator {
        return Err(ApiError::Forbidden(
            "only the coordinator lists other members' constituencies".into(),
        ));
    }
    let rows = match (&q.status, &q.member) {
        (Some(s), _) => {
            let status = ConstituencyStatus::parse(s).ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "status: must be pending, held, verified or rejected, got {s:?}"
                ))
            })?;
            let mut rows = state.store.constituency_all(Some(status)).await?;
            if let Some(m) = &q.member {
                let m: MemberId = m
                    .parse()
                    .map_err(|_| ApiError::BadRequest(format!("member: not an id: {m:?}")))?;
                rows.retain(|r| r.member == m);
            }
            rows
        }
        (None, Some(m)) => {
            let m: MemberId = m
                .parse()
                .map_err(|_| ApiError::BadRequest(format!("member: not an id: {m:?}")))?;
            state.store.constituency_of(m).await?
        }
        (None, None) => state.store.constituency_of(v.member.id).await?,
    };
    Ok(Json(
        rows.into_iter().map(|r| shown(r, coordinator)).collect(),
    ))
}

/// Removes one of the caller's entries (it stops routing at once).
#[utoipa::path(delete, path = "/api/v1/constituency/{id}", tag = "observations", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn remove(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    v.ensure_can_act()?;
    let mut tx = state.store.begin().await?;
    if !tx.delete_constituency(v.member.id, &id).await? {
        return Err(ApiError::NotFound);
    }
    tx.audit(&audit_by(
        Some(&v),
        "constituency.remove",
        "constituency",
        &id,
        json!({}),
    ))
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The coordinator's decision.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// Why (required to reject).
    #[serde(default)]
    pub note: String,
    /// Verify an entry that overlaps another member's anyway (both then receive what
    /// falls in the overlap).
    #[serde(default)]
    pub accept_overlap: bool,
}

async fn decide(
    state: &AppState,
    v: &Viewer,
    id: &str,
    status: ConstituencyStatus,
    d: Decision,
) -> ApiResult<Json<ConstituencyView>> {
    ensure_coordinator(v)?;
    let row = state
        .store
        .constituency_entry(id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if !row.status.is_open() {
        return Err(ApiError::Conflict(format!(
            "the entry is {} already",
            row.status.as_str()
        )));
    }
    if status == ConstituencyStatus::Verified
        && row.status == ConstituencyStatus::Held
        && !d.accept_overlap
    {
        let with: Vec<String> = row
            .overlaps
            .iter()
            .map(|o| format!("{} of member {}", o.value, o.member_id))
            .collect();
        return Err(ApiError::Conflict(format!(
            "{} overlaps {}: verify with \"accept_overlap\": true to approve it anyway",
            row.value,
            with.join(", ")
        )));
    }
    let note = if status == ConstituencyStatus::Rejected {
        text::required("note", &d.note, 1000)?
    } else {
        text::optional("note", &d.note, 1000)?
    };
    let now = OffsetDateTime::now_utc();
    let mut tx = state.store.begin().await?;
    if !tx
        .decide_constituency(id, status, &note, v.user.id, now)
        .await?
    {
        return Err(ApiError::Conflict("the entry was decided meanwhile".into()));
    }
    let action = if status == ConstituencyStatus::Verified {
        crate::observations::rewind_indicator_sweep(
            &mut tx,
            &state.store,
            now - crate::observations::REWIND_ON_VERIFY,
        )
        .await?;
        "constituency.verify"
    } else {
        "constituency.reject"
    };
    tx.audit(&audit_by(
        Some(v),
        action,
        "constituency",
        id,
        json!({ "member": row.member, "value": row.value, "note": note, "accept_overlap": d.accept_overlap }),
    ))
    .await?;
    tx.commit().await?;
    let row = state
        .store
        .constituency_entry(id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(shown(row, true)))
}

/// Verifies an entry: it takes effect at once. An entry held for an overlap needs
/// `accept_overlap`.
#[utoipa::path(post, path = "/api/v1/constituency/{id}/verify", tag = "observations", request_body = Decision, params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = ConstituencyView), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn verify(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
    ApiJson(d): ApiJson<Decision>,
) -> ApiResult<Json<ConstituencyView>> {
    decide(&state, &v, &id, ConstituencyStatus::Verified, d).await
}

/// Rejects an entry, with a note the member sees.
#[utoipa::path(post, path = "/api/v1/constituency/{id}/reject", tag = "observations", request_body = Decision, params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = ConstituencyView), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn reject(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
    ApiJson(d): ApiJson<Decision>,
) -> ApiResult<Json<ConstituencyView>> {
    decide(&state, &v, &id, ConstituencyStatus::Rejected, d).await
}

/// Two members' entries that overlap.
#[derive(Debug, Serialize, ToSchema)]
pub struct OverlapPair {
    /// One entry.
    pub a: ConstituencyView,
    /// The other.
    pub b: ConstituencyView,
}

/// Every pair of different members' live (verified or waiting) entries that overlap:
/// what the coordinator must look at. Coordinator only.
#[utoipa::path(get, path = "/api/v1/constituency/overlaps", tag = "observations", security(("bearer" = [])),
    responses((status = 200, body = Vec<OverlapPair>), (status = 403, body = Problem)))]
pub async fn overlaps(
    State(state): State<AppState>,
    Auth(v): Auth,
) -> ApiResult<Json<Vec<OverlapPair>>> {
    ensure_coordinator(&v)?;
    let rows: Vec<ConstituencyRow> = state
        .store
        .constituency_all(None)
        .await?
        .into_iter()
        .filter(|r| r.status != ConstituencyStatus::Rejected)
        .collect();
    let mut entries = Vec::with_capacity(rows.len());
    for r in &rows {
        entries.push(parse_row(r)?);
    }
    // Each entry is looked up in a table of all of them (owned by their index), so
    // finding the overlaps costs a lookup per entry, not a comparison per pair.
    let mut table = Routing::new();
    for (i, e) in entries.iter().enumerate() {
        table.insert(e, i);
    }
    let mut found = std::collections::BTreeSet::new();
    for (i, e) in entries.iter().enumerate() {
        let others: Vec<usize> = match e {
            Entry::Cidr(net) => table
                .owners_of_net(*net)
                .into_iter()
                .map(|(j, _)| j)
                .collect(),
            Entry::Asn(asn) => table.owners_of_asn(*asn).to_vec(),
            Entry::Domain(d) => table
                .owners_of_domain(d)
                .into_iter()
                .map(|(j, _)| j)
                .collect(),
        };
        for j in others {
            if rows[i].member != rows[j].member {
                found.insert((i.min(j), i.max(j)));
            }
        }
    }
    let pairs = found
        .into_iter()
        .map(|(i, j)| OverlapPair {
            a: shown(rows[i].clone(), true),
            b: shown(rows[j].clone(), true),
        })
        .collect();
    Ok(Json(pairs))
}

/// The constituency routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/constituency", get(list).post(register))
        .route("/api/v1/constituency/overlaps", get(overlaps))
        .route("/api/v1/constituency/{id}", delete(remove))
        .route("/api/v1/constituency/{id}/verify", post(verify))
        .route("/api/v1/constituency/{id}/reject", post(reject))
}
