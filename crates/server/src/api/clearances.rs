//! Security clearances (M2.8): the coordinator grants, changes and revokes them; a
//! user and its member's admins see the user's own; the coordinator and the secretariat
//! see everyone's. Nobody else learns who holds one.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;
use tsunagu_core::DomainError;
use tsunagu_core::clearance::{Grant, GrantRequest, GrantState};
use tsunagu_core::ids::{ClearanceId, MemberId};
use tsunagu_core::member::SpecialRole;
use tsunagu_core::user::{UserRole, Viewer};
use tsunagu_store::{ClearanceRow, StoreError};
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiJson, ApiQuery, Auth};
use crate::{AppState, audit_by};

/// The council's clearance levels.
#[derive(Debug, Serialize, ToSchema)]
pub struct LevelList {
    /// Level names, lowest first: a higher level covers every lower one.
    pub levels: Vec<String>,
}

/// The configured levels, lowest first (any member's user).
#[utoipa::path(get, path = "/api/v1/clearance-levels", tag = "clearance", security(("bearer" = [])),
    responses((status = 200, body = LevelList)))]
pub async fn levels(State(state): State<AppState>, Auth(_): Auth) -> Json<LevelList> {
    Json(LevelList {
        levels: state.config.clearance_levels.names().to_vec(),
    })
}

/// A grant as its holder, its member's admins, the coordinator and the secretariat see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClearanceInfo {
    /// The grant.
    #[serde(flatten)]
    pub grant: Grant,
    /// The user's login.
    pub login: String,
    /// The user's member.
    pub member: MemberId,
    /// Where it stands now.
    pub state: GrantState,
}

fn info(row: ClearanceRow, now: OffsetDateTime) -> ClearanceInfo {
    ClearanceInfo {
        state: row.grant.state(now),
        grant: row.grant,
        login: row.login,
        member: row.member,
    }
}

fn ensure_coordinator(v: &Viewer) -> ApiResult<()> {
    v.ensure_can_act()?;
    if v.member.is_active() && v.member.has_role(SpecialRole::Coordinator) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "only the coordinator grants, changes and revokes clearances".into(),
        ))
    }
}

/// Which clearances to list.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only those of this member's users (coordinator and secretariat).
    pub member: Option<String>,
}

/// Clearances: every one for the coordinator and the secretariat (optionally of one
/// member), the member's users' for a member admin, one's own for anybody else.
#[utoipa::path(get, path = "/api/v1/clearances", tag = "clearance", security(("bearer" = [])),
    params(("member" = Option<String>, Query)),
    responses((status = 200, body = Vec<ClearanceInfo>)))]
pub async fn list(
    State(state): State<AppState>,
    Auth(v): Auth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Vec<ClearanceInfo>>> {
    let now = OffsetDateTime::now_utc();
    let asked: Option<MemberId> = q
        .member
        .as_deref()
        .map(|m| {
            m.parse()
                .map_err(|_| ApiError::BadRequest("member: not a member id".into()))
        })
        .transpose()?;
    let rows = if v.member.sees_real_names() {
        state.store.clearances(asked).await?
    } else if v.user.role == UserRole::Admin {
        state.store.clearances(Some(v.member.id)).await?
    } else {
        state
            .store
            .clearances(Some(v.member.id))
            .await?
            .into_iter()
            .filter(|r| r.grant.user == v.user.id)
            .collect()
    };
    Ok(Json(rows.into_iter().map(|r| info(r, now)).collect()))
}

/// Grants a clearance (coordinator). The user must exist and be enabled; the expiry
/// must lie ahead. Audited with the level, period and basis.
#[utoipa::path(post, path = "/api/v1/clearances", tag = "clearance", security(("bearer" = [])),
    request_body = GrantRequest,
    responses((status = 201, body = ClearanceInfo), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn grant(
    State(state): State<AppState>,
    Auth(v): Auth,
    ApiJson(req): ApiJson<GrantRequest>,
) -> ApiResult<(StatusCode, Json<ClearanceInfo>)> {
    ensure_coordinator(&v)?;
    let now = OffsetDateTime::now_utc();
    let g = req.check(&state.config.clearance_levels, now)?;
    let user = state
        .store
        .user(g.user)
        .await?
        .filter(|u| !u.disabled)
        .ok_or_else(|| DomainError::invalid("user", "no enabled user has this id"))?;
    let mut tx = state.store.begin().await?;
    record_grant(&mut tx, &v, &g, user.member_id).await?;
    tx.commit().await?;
    let row = state
        .store
        .clearance(g.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok((StatusCode::CREATED, Json(info(row, now))))
}

/// Stores a checked grant to a user of `member`, audited as `by`'s decision: every way
/// of granting (the API, the demo) goes through here.
///
/// # Errors
/// On database failure.
pub(crate) async fn record_grant(
    tx: &mut tsunagu_store::Tx,
    by: &Viewer,
    g: &Grant,
    member: MemberId,
) -> ApiResult<()> {
    tx.insert_clearance(g, by.user.id).await?;
    tx.audit(&audit_by(
        Some(by),
        "clearance.grant",
        "clearance",
        &g.id.to_string(),
        json!({ "user": g.user, "member": member, "level": g.level,
                "starts_at": g.starts_at.unix_timestamp(), "expires_at": g.expires_at.unix_timestamp(),
                "basis": g.basis }),
    ))
    .await?;
    Ok(())
}

fn parse_clearance_id(s: &str) -> ApiResult<ClearanceId> {
    s.parse().map_err(|_| ApiError::NotFound)
}

/// A change to a grant: its level, expiry and the basis of the change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClearanceChange {
    /// The level.
    pub level: String,
    /// The new expiry, in the future.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: OffsetDateTime,
    /// The reference of the decision to change it.
    pub basis: String,
}

/// Changes a grant's level or expiry (coordinator); a revoked grant cannot change.
#[utoipa::path(put, path = "/api/v1/clearances/{id}", tag = "clearance", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = ClearanceChange,
    responses((status = 200, body = ClearanceInfo), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn change(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
    ApiJson(c): ApiJson<ClearanceChange>,
) -> ApiResult<Json<ClearanceInfo>> {
    ensure_coordinator(&v)?;
    let id = parse_clearance_id(&id)?;
    let now = OffsetDateTime::now_utc();
    let before = state.store.clearance(id).await?.ok_or(ApiError::NotFound)?;
    if before.grant.revoked_at.is_some() {
        return Err(ApiError::Conflict("the clearance is revoked".into()));
    }
    let checked = GrantRequest {
        user: before.grant.user.to_string(),
        level: c.level,
        starts_at: Some(before.grant.starts_at),
        expires_at: c.expires_at,
        basis: c.basis,
    }
    .check(&state.config.clearance_levels, now)?;
    let after = Grant {
        level: checked.level,
        expires_at: checked.expires_at,
        basis: checked.basis,
        ..before.grant.clone()
    };
    let mut tx = state.store.begin().await?;
    if !tx.change_clearance(&after).await? {
        return Err(ApiError::Conflict("the clearance is revoked".into()));
    }
    tx.audit(&audit_by(
        Some(&v),
        "clearance.change",
        "clearance",
        &id.to_string(),
        json!({ "user": after.user,
                "before": { "level": before.grant.level, "expires_at": before.grant.expires_at.unix_timestamp() },
                "after": { "level": after.level, "expires_at": after.expires_at.unix_timestamp() },
                "basis": after.basis }),
    ))
    .await?;
    tx.commit().await?;
    let row = state.store.clearance(id).await?.ok_or(ApiError::NotFound)?;
    Ok(Json(info(row, now)))
}

/// Why a clearance is revoked.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Revocation {
    /// The reason, recorded and audited.
    pub reason: String,
}

/// Revokes a clearance at once (coordinator): the user's next request no longer sees
/// what it covered.
#[utoipa::path(post, path = "/api/v1/clearances/{id}/revoke", tag = "clearance", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = Revocation,
    responses((status = 200, body = ClearanceInfo), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn revoke(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
    ApiJson(r): ApiJson<Revocation>,
) -> ApiResult<Json<ClearanceInfo>> {
    ensure_coordinator(&v)?;
    let id = parse_clearance_id(&id)?;
    let reason = tsunagu_core::text::required("reason", &r.reason, 500)?;
    let now = OffsetDateTime::now_utc();
    let row = state.store.clearance(id).await?.ok_or(ApiError::NotFound)?;
    let mut tx = state.store.begin().await?;
    if !tx.revoke_clearance(id, v.user.id, &reason, now).await? {
        return Err(ApiError::Conflict(
            "the clearance is already revoked".into(),
        ));
    }
    tx.audit(&audit_by(
        Some(&v),
        "clearance.revoke",
        "clearance",
        &id.to_string(),
        json!({ "user": row.grant.user, "level": row.grant.level, "reason": reason }),
    ))
    .await?;
    tx.commit().await?;
    let row = state.store.clearance(id).await?.ok_or(ApiError::NotFound)?;
    Ok(Json(info(row, now)))
}

/// Writes an audit entry for every grant that expired since the last sweep (access
/// already ended at the expiry itself: the policy view reads the clock). Returns how
/// many.
///
/// # Errors
/// On database failure.
pub async fn audit_expiries(state: &AppState, now: OffsetDateTime) -> Result<usize, StoreError> {
    let mut tx = state.store.begin().await?;
    let expired = tx.take_expired_clearances(now).await?;
    for g in &expired {
        tx.audit(&audit_by(
            None,
            "clearance.expire",
            "clearance",
            &g.id.to_string(),
            json!({ "user": g.user, "level": g.level, "expires_at": g.expires_at.unix_timestamp() }),
        ))
        .await?;
    }
    tx.commit().await?;
    Ok(expired.len())
}

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/clearance-levels", get(levels))
        .route("/api/v1/clearances", get(list).post(grant))
        .route("/api/v1/clearances/{id}", put(change))
        .route("/api/v1/clearances/{id}/revoke", post(revoke))
}
