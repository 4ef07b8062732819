//! Partners (federation, M7.2): partner councils, sector ISACs and foreign partners
//! that the coordinator registers, each with a sharing agreement. A partner's user
//! pulls what its view holds over TAXII 2.1 (or `GET /api/v1/items`) with the token
//! issued here; see [`tsunagu_core::federation`] for what may flow.

use std::collections::{BTreeSet, HashMap};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tsunagu_core::federation::Agreement;
use tsunagu_core::ids::MemberId;
use tsunagu_core::member::{Member, MemberClass, MemberStatus, Sector, SpecialRole};
use tsunagu_core::text;
use tsunagu_core::user::{UserRole, Viewer, parse_login};
use utoipa::ToSchema;

use crate::bootstrap::{Founding, found_member, found_user, random_password};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiJson, Auth};
use crate::{AppState, audit_by};
use time::OffsetDateTime;
use tsunagu_store::{PartnerLink, Tx};

/// A partner to register.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PartnerForm {
    /// The partner's name (seen by the coordinator and the secretariat only).
    pub name: String,
    /// Its sector: an ISAC's own sector, `other` for a foreign CERT.
    pub sector: Sector,
    /// The login of the partner's user, which pulls with the token issued now.
    pub login: String,
    /// What may flow to it.
    pub agreement: Agreement,
}

/// A registered partner, with its one-time credentials.
#[derive(Debug, Serialize, ToSchema)]
pub struct PartnerCreated {
    /// The partner.
    #[serde(flatten)]
    pub partner: PartnerInfo,
    /// Its user's login.
    pub login: String,
    /// The user's password, shown once (for HTTP Basic over TAXII).
    pub password: String,
    /// An API token, shown once: `Authorization: Bearer …` on `/taxii2/`.
    pub api_token: String,
}

/// A partner as the coordinator and the secretariat see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PartnerInfo {
    /// Its member id (put it in an item's `scope.members` to name it).
    pub id: MemberId,
    /// Its name.
    pub name: String,
    /// The pseudonym it appears under.
    pub pseudonym: String,
    /// Its sector.
    pub sector: Sector,
    /// Active, or withdrawn.
    pub status: MemberStatus,
    /// What may flow to it.
    pub agreement: Option<Agreement>,
    /// Where its view is pushed and how that goes; absent when it only pulls.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync: Option<SyncStatus>,
}

/// A partner's push link and how its sync goes (the token is never shown again).
#[derive(Debug, Serialize, ToSchema)]
pub struct SyncStatus {
    /// The partner's TAXII collection its view is pushed to.
    pub url: String,
    /// The last attempt.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_attempt: Option<OffsetDateTime>,
    /// The last attempt that sent everything due.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_success: Option<OffsetDateTime>,
    /// Why the last attempt failed, if it did.
    pub last_error: Option<String>,
    /// Consecutive failed attempts (each waits twice as long, up to five minutes).
    pub failures: i64,
    /// When the next attempt is due, while failing.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub next_attempt: Option<OffsetDateTime>,
    /// Items waiting to be sent after the last attempt.
    pub backlog: i64,
    /// Item versions and revocations sent so far.
    pub pushed: i64,
    /// Items the partner refused so far (beyond its side of the agreement).
    pub refused: i64,
}

impl From<PartnerLink> for SyncStatus {
    fn from(l: PartnerLink) -> Self {
        Self {
            url: l.url,
            last_attempt: l.last_attempt,
            last_success: l.last_success,
            last_error: l.last_error,
            failures: l.failures,
            next_attempt: (l.failures > 0).then_some(l.next_attempt),
            backlog: l.backlog,
            pushed: l.pushed,
            refused: l.refused,
        }
    }
}

fn info(m: Member, link: Option<PartnerLink>) -> PartnerInfo {
    PartnerInfo {
        id: m.id,
        name: m.name,
        pseudonym: m.pseudonym,
        sector: m.sector,
        status: m.status,
        agreement: m.agreement,
        sync: link.map(SyncStatus::from),
    }
}

/// Inserts a partner with its agreement and its one user, with a token; returns the
/// partner and the token secret. Shared by the API and the demo.
///
/// # Errors
/// On database failure, a duplicate name or a taken login.
pub(crate) async fn insert_partner(
    tx: &mut Tx,
    name: String,
    sector: Sector,
    login: &str,
    agreement: Agreement,
    password_hash: &str,
) -> ApiResult<(Member, String)> {
    let mut m = found_member(
        tx,
        Founding {
            name,
            class: MemberClass::Partner,
            roles: BTreeSet::new(),
            sector,
            category: "partner".into(),
            foreign_affiliated: false,
            regulator_of: BTreeSet::new(),
        },
    )
    .await?;
    m.agreement = Some(agreement);
    tx.update_member(&m).await?;
    let (_, token) = found_user(tx, m.id, login, UserRole::Admin, password_hash).await?;
    Ok((m, token))
}

fn ensure_coordinator(v: &Viewer) -> ApiResult<()> {
    v.ensure_can_act()?;
    if v.member.has_role(SpecialRole::Coordinator) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "only the coordinator registers partners and their agreements".into(),
        ))
    }
}

/// Registers a partner: a member of class `partner` with its agreement, and a user
/// with a password and a token for it (shown once). Coordinator only; audited.
#[utoipa::path(post, path = "/api/v1/partners", tag = "federation", request_body = PartnerForm, security(("bearer" = [])),
    responses((status = 201, body = PartnerCreated), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn register(
    State(state): State<AppState>,
    Auth(v): Auth,
    ApiJson(form): ApiJson<PartnerForm>,
) -> ApiResult<(StatusCode, Json<PartnerCreated>)> {
    ensure_coordinator(&v)?;
    let name = text::required("name", &form.name, 200)?;
    let login = parse_login(&form.login)?;
    form.agreement.validate()?;
    let password = random_password();
    let hash = crate::auth::hash_password(password.clone()).await?;
    let mut tx = state.store.begin().await?;
    let (m, api_token) =
        insert_partner(&mut tx, name, form.sector, &login, form.agreement, &hash).await?;
    tx.audit(&audit_by(
        Some(&v),
        "partner.register",
        "member",
        &m.id.to_string(),
        json!({ "agreement": m.agreement, "login": login }),
    ))
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(PartnerCreated {
            partner: info(m, None),
            login,
            password,
            api_token,
        }),
    ))
}

/// The partners and their agreements: the coordinator and the secretariat.
#[utoipa::path(get, path = "/api/v1/partners", tag = "federation", security(("bearer" = [])),
    responses((status = 200, body = [PartnerInfo]), (status = 403, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    Auth(v): Auth,
) -> ApiResult<Json<Vec<PartnerInfo>>> {
    if !v.member.sees_real_names() {
        return Err(ApiError::Forbidden(
            "only the coordinator and the secretariat see the partners".into(),
        ));
    }
    let mut links: HashMap<MemberId, PartnerLink> = state
        .store
        .partner_links()
        .await?
        .into_iter()
        .map(|l| (l.partner, l))
        .collect();
    Ok(Json(
        state
            .store
            .members(None)
            .await?
            .into_iter()
            .filter(|m| m.class == MemberClass::Partner)
            .map(|m| {
                let link = links.remove(&m.id);
                info(m, link)
            })
            .collect(),
    ))
}

/// Replaces a partner's agreement; what no longer flows disappears from its view at
/// its next request. Coordinator only; audited with the old and the new agreement.
#[utoipa::path(put, path = "/api/v1/partners/{id}/agreement", tag = "federation", request_body = Agreement, security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = PartnerInfo), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn set_agreement(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
    ApiJson(agreement): ApiJson<Agreement>,
) -> ApiResult<Json<PartnerInfo>> {
    ensure_coordinator(&v)?;
    agreement.validate()?;
    let id: MemberId = id.parse().map_err(|_| ApiError::NotFound)?;
    let mut tx = state.store.begin().await?;
    let mut m = tx
        .member(id)
        .await?
        .filter(|m| m.class == MemberClass::Partner)
        .ok_or(ApiError::NotFound)?;
    let before = m.agreement.replace(agreement);
    tx.update_member(&m).await?;
    tx.audit(&audit_by(
        Some(&v),
        "partner.agreement",
        "member",
        &m.id.to_string(),
        json!({ "from": before, "to": m.agreement }),
    ))
    .await?;
    tx.commit().await?;
    // What the partner was pushed is checked again against the new agreement.
    state.store.rewind_partner_link(m.id).await?;
    let link = link_of(&state, m.id).await?;
    Ok(Json(info(m, link)))
}

async fn link_of(state: &AppState, id: MemberId) -> ApiResult<Option<PartnerLink>> {
    Ok(state
        .store
        .partner_links()
        .await?
        .into_iter()
        .find(|l| l.partner == id))
}

/// Where to push a partner's view.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkForm {
    /// The partner's TAXII 2.1 collection that takes this council's objects, e.g.
    /// `https://partner.example/taxii2/root/collections/submissions/`.
    pub url: String,
    /// The API token the partner issued to this council (kept to present it to the
    /// partner; never shown again).
    pub token: String,
}

/// Checks a partner's collection URL: absolute http(s), no credentials, no query;
/// returned with a trailing `/`.
///
/// # Errors
/// 422 naming `url`.
pub fn parse_collection_url(raw: &str) -> ApiResult<String> {
    let bad = |why: &str| ApiError::Unprocessable(format!("url: {why}"));
    let url = reqwest::Url::parse(raw.trim()).map_err(|e| bad(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad(
            "the partner's TAXII collection is reached over http or https",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("put the credentials in `token`, not in the URL"));
    }
    if url.query().is_some() || url.fragment().is_some() || url.host_str().is_none() {
        return Err(bad("give the collection's URL, without a query"));
    }
    let mut s = url.to_string();
    if !s.ends_with('/') {
        s.push('/');
    }
    Ok(s)
}

/// Pushes a partner's view to its TAXII collection from now on: its whole view at the
/// next sync (within seconds), then every change, retraction and narrowing.
/// Coordinator only; audited (the URL, never the token).
#[utoipa::path(put, path = "/api/v1/partners/{id}/link", tag = "federation", request_body = LinkForm, security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = PartnerInfo), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn set_link(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
    ApiJson(form): ApiJson<LinkForm>,
) -> ApiResult<Json<PartnerInfo>> {
    ensure_coordinator(&v)?;
    let url = parse_collection_url(&form.url)?;
    let token = form.token.trim();
    if token.is_empty() || token.len() > 512 || token.chars().any(char::is_whitespace) {
        return Err(ApiError::Unprocessable(
            "token: the API token the partner issued to this council (no spaces, at most 512 characters)".into(),
        ));
    }
    let m = partner(&state, &id).await?;
    state.store.put_partner_link(m.id, &url, token).await?;
    let mut tx = state.store.begin().await?;
    tx.audit(&audit_by(
        Some(&v),
        "partner.link",
        "member",
        &m.id.to_string(),
        json!({ "url": url }),
    ))
    .await?;
    tx.commit().await?;
    let link = link_of(&state, m.id).await?;
    Ok(Json(info(m, link)))
}

/// Stops pushing to a partner (it can still pull). Coordinator only; audited.
#[utoipa::path(delete, path = "/api/v1/partners/{id}/link", tag = "federation", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn delete_link(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    ensure_coordinator(&v)?;
    let m = partner(&state, &id).await?;
    if !state.store.delete_partner_link(m.id).await? {
        return Err(ApiError::NotFound);
    }
    let mut tx = state.store.begin().await?;
    tx.audit(&audit_by(
        Some(&v),
        "partner.unlink",
        "member",
        &m.id.to_string(),
        json!({}),
    ))
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn partner(state: &AppState, id: &str) -> ApiResult<Member> {
    let id: MemberId = id.parse().map_err(|_| ApiError::NotFound)?;
    state
        .store
        .member(id)
        .await?
        .filter(|m| m.class == MemberClass::Partner)
        .ok_or(ApiError::NotFound)
}

/// Routes of the partner registry.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/partners", get(list).post(register))
        .route("/api/v1/partners/{id}/agreement", put(set_agreement))
        .route(
            "/api/v1/partners/{id}/link",
            put(set_link).delete(delete_link),
        )
}
