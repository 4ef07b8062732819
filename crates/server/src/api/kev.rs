//! The catalogue of known-exploited vulnerabilities (M4.1) over HTTP: published without
//! login at `/kev/known_exploited_vulnerabilities.json` and `.csv` in exactly CISA KEV's
//! layout; proposed by class-1 members or the coordinator and published after review
//! by someone else; loaded from a KEV feed (CISA's own, for a start) by the coordinator.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use serde_json::{Value, json};
use time::OffsetDateTime;
use tsunagu_core::alert::{Alert, AlertForm, AlertStatus, AlertTarget, Severity};
use tsunagu_core::ids::AlertId;
use tsunagu_core::indicator::CveId;
use tsunagu_core::kev::{self, KevEntry};
use tsunagu_core::member::{MemberClass, MemberStatus, SpecialRole};
use tsunagu_core::user::Viewer;
use tsunagu_core::view::view;
use tsunagu_store::{KevStatus, StoredKev};
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiJson, Auth};
use crate::{AppState, audit_by};

/// The catalogue's title in the published feed.
pub const TITLE: &str = "tsunagu council Catalog of Known Exploited Vulnerabilities";

/// Curators: class-1 members and the coordinator.
pub(crate) fn ensure_curator(v: &Viewer) -> ApiResult<()> {
    v.ensure_can_act()?;
    if v.member.class == MemberClass::Class1 || v.member.has_role(SpecialRole::Coordinator) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "the catalogue is curated by class-1 members and the coordinator".into(),
        ))
    }
}

async fn published(state: &AppState) -> ApiResult<(Vec<KevEntry>, OffsetDateTime)> {
    let rows = state.store.kev_entries(Some(KevStatus::Published)).await?;
    let released = rows
        .iter()
        .map(|r| r.updated_at)
        .max()
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    Ok((rows.into_iter().map(|r| r.entry).collect(), released))
}

/// The public catalogue, in CISA KEV's JSON layout (no login).
#[utoipa::path(get, path = "/kev/known_exploited_vulnerabilities.json", tag = "vulnerabilities", security(()),
    responses((status = 200, description = "The catalogue in KEV's layout")))]
pub async fn public_json(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let (entries, released) = published(&state).await?;
    Ok(Json(kev::catalog_json(TITLE, &entries, released)))
}

/// The public catalogue, in CISA KEV's CSV layout (no login).
#[utoipa::path(get, path = "/kev/known_exploited_vulnerabilities.csv", tag = "vulnerabilities", security(()),
    responses((status = 200, description = "The catalogue in KEV's CSV layout", content_type = "text/csv")))]
pub async fn public_csv(State(state): State<AppState>) -> ApiResult<Response> {
    let (entries, _) = published(&state).await?;
    let csv = kev::catalog_csv(&entries).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(([(CONTENT_TYPE, "text/csv; charset=utf-8")], csv).into_response())
}

/// An entry as a member sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct KevView {
    /// The entry; its evidence items are those the member may see.
    pub entry: KevEntry,
    /// `proposed` or `published`.
    pub status: String,
    /// Where each vendor the council asked stands (M4.3).
    pub vendor_status: Vec<crate::api::vendor::VendorStatusView>,
    /// The CSAF advisories covering the CVE (ids at `/api/v1/advisories/{id}`).
    pub advisories: Vec<String>,
}

/// What entries' views carry besides the entry, loaded once for a whole list.
struct Links {
    vendors: BTreeMap<String, Vec<crate::api::vendor::VendorStatusView>>,
    advisories: BTreeMap<String, Vec<String>>,
}

impl Links {
    /// The links of one entry (`Some`) or of every entry (`None`).
    async fn load(state: &AppState, cve: Option<&str>) -> ApiResult<Self> {
        let mut advisories: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (cve, id) in state.store.advisory_links(cve).await? {
            advisories.entry(cve).or_default().push(id);
        }
        Ok(Self {
            vendors: crate::api::vendor::statuses_by_cve(state, cve).await?,
            advisories,
        })
    }
}

/// What the caller may know of an entry: evidence filtered through the policy view.
async fn view_of(state: &AppState, v: &Viewer, k: StoredKev) -> ApiResult<KevView> {
    let links = Links::load(state, Some(&k.entry.cve_id)).await?;
    view_with(state, v, k, &links).await
}

async fn view_with(
    state: &AppState,
    v: &Viewer,
    k: StoredKev,
    links: &Links,
) -> ApiResult<KevView> {
    let mut entry = k.entry;
    let mut shown = Vec::new();
    for id in entry.evidence_items {
        if let Some(stored) = state.store.item(id).await?
            && view(&stored.item, v).is_some()
        {
            shown.push(id);
        }
    }
    entry.evidence_items = shown;
    Ok(KevView {
        vendor_status: links
            .vendors
            .get(&entry.cve_id)
            .cloned()
            .unwrap_or_default(),
        advisories: links
            .advisories
            .get(&entry.cve_id)
            .cloned()
            .unwrap_or_default(),
        entry,
        status: k.status.as_str().to_owned(),
    })
}

/// The catalogue for members: published entries, and proposals for the curators.
#[utoipa::path(get, path = "/api/v1/kev", tag = "vulnerabilities", security(("bearer" = [])),
    responses((status = 200, body = Vec<KevView>)))]
pub async fn list(State(state): State<AppState>, Auth(v): Auth) -> ApiResult<Json<Vec<KevView>>> {
    let curator = ensure_curator(&v).is_ok();
    let rows = state
        .store
        .kev_entries((!curator).then_some(KevStatus::Published))
        .await?;
    let links = Links::load(&state, None).await?;
    let mut out = Vec::with_capacity(rows.len());
    for k in rows {
        out.push(view_with(&state, &v, k, &links).await?);
    }
    Ok(Json(out))
}

/// Proposes an entry (class 1 or the coordinator); it is published once someone else
/// approves it. Evidence items must be items the proposer may see.
#[utoipa::path(post, path = "/api/v1/kev", tag = "vulnerabilities", request_body = KevEntry,
    security(("bearer" = [])),
    responses((status = 201, body = KevView), (status = 403, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
pub async fn propose(
    State(state): State<AppState>,
    Auth(v): Auth,
    ApiJson(entry): ApiJson<KevEntry>,
) -> ApiResult<(StatusCode, Json<KevView>)> {
    ensure_curator(&v)?;
    let entry = entry.parse()?;
    for id in &entry.evidence_items {
        let visible = match state.store.item(*id).await? {
            Some(stored) => view(&stored.item, &v).is_some(),
            None => false,
        };
        if !visible {
            return Err(ApiError::Unprocessable(format!(
                "evidenceItems: no item {id} that you may see"
            )));
        }
    }
    let now = OffsetDateTime::now_utc();
    let mut tx = state.store.begin().await?;
    if let Some(existing) = tx.kev_entry(&entry.cve_id).await? {
        return Err(ApiError::Conflict(format!(
            "{} is already in the catalogue ({})",
            entry.cve_id,
            existing.status.as_str()
        )));
    }
    let stored = StoredKev {
        entry,
        status: KevStatus::Proposed,
        proposed_by: Some(v.member.id),
        reviewed_by: None,
        created_at: now,
        updated_at: now,
    };
    tx.put_kev(&stored).await?;
    tx.audit(&audit_by(
        Some(&v),
        "kev.propose",
        "kev",
        &stored.entry.cve_id,
        json!({}),
    ))
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(view_of(&state, &v, stored).await?),
    ))
}

/// Approves a proposal: a curator other than the proposer (the review), or the
/// coordinator. The entry is then in the public catalogue.
#[utoipa::path(post, path = "/api/v1/kev/{cve}/approve", tag = "vulnerabilities",
    params(("cve" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = KevView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)))]
pub async fn approve(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(cve): Path<String>,
) -> ApiResult<Json<KevView>> {
    ensure_curator(&v)?;
    let mut tx = state.store.begin().await?;
    let mut k = tx
        .kev_entry(&cve.to_uppercase())
        .await?
        .ok_or(ApiError::NotFound)?;
    if k.status == KevStatus::Published {
        return Err(ApiError::Conflict(format!("{cve} is already published")));
    }
    if k.proposed_by == Some(v.member.id) && !v.member.has_role(SpecialRole::Coordinator) {
        return Err(ApiError::Forbidden(
            "a proposal is reviewed by another curator or the coordinator".into(),
        ));
    }
    k.status = KevStatus::Published;
    k.reviewed_by = Some(v.member.id);
    k.updated_at = OffsetDateTime::now_utc();
    tx.put_kev(&k).await?;
    tx.audit(&audit_by(
        Some(&v),
        "kev.publish",
        "kev",
        &k.entry.cve_id,
        json!({}),
    ))
    .await?;
    tx.commit().await?;
    alert_affected(&state, &v, &k.entry).await?;
    Ok(Json(view_of(&state, &v, k).await?))
}

/// What a feed import did.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct KevImport {
    /// Entries new to the catalogue.
    pub created: Vec<String>,
    /// Entries whose KEV fields changed (the council's own fields are kept).
    pub updated: Vec<String>,
    /// Entries already as in the feed.
    pub unchanged: Vec<String>,
}

/// Loads a KEV feed (CISA's, or another council's) into the catalogue as published
/// entries, all or nothing; unknown fields are kept; the council's own fields of
/// existing entries are kept. The coordinator only.
///
/// # Errors
/// [`ApiError::Unprocessable`] naming the first invalid entry; 403 for others.
pub async fn import_feed(state: &AppState, v: &Viewer, text: &str) -> ApiResult<KevImport> {
    v.ensure_can_act()?;
    if !v.member.has_role(SpecialRole::Coordinator) {
        return Err(ApiError::Forbidden(
            "the coordinator loads KEV feeds into the catalogue".into(),
        ));
    }
    let entries = kev::parse_feed(text).map_err(|e| ApiError::Unprocessable(e.to_string()))?;
    let now = OffsetDateTime::now_utc();
    let mut out = KevImport::default();
    let mut newly_matched = Vec::new();
    let mut tx = state.store.begin().await?;
    for entry in entries {
        let cve = entry.cve_id.clone();
        let next = match tx.kev_entry(&cve).await? {
            Some(existing) => {
                let merged = kev::merge_from_feed(&existing.entry, entry);
                if merged == existing.entry && existing.status == KevStatus::Published {
                    out.unchanged.push(cve);
                    continue;
                }
                out.updated.push(cve);
                if merged.cpe_match != existing.entry.cpe_match
                    || existing.status != KevStatus::Published
                {
                    newly_matched.push(merged.clone());
                }
                StoredKev {
                    entry: merged,
                    status: KevStatus::Published,
                    updated_at: now,
                    reviewed_by: Some(v.member.id),
                    ..existing
                }
            }
            None => {
                out.created.push(cve);
                newly_matched.push(entry.clone());
                StoredKev {
                    entry,
                    status: KevStatus::Published,
                    proposed_by: None,
                    reviewed_by: Some(v.member.id),
                    created_at: now,
                    updated_at: now,
                }
            }
        };
        tx.put_kev(&next).await?;
    }
    tx.audit(&audit_by(
        Some(v),
        "kev.import",
        "kev",
        "feed",
        json!({ "created": out.created.len(), "updated": out.updated.len(), "unchanged": out.unchanged.len() }),
    ))
    .await?;
    tx.commit().await?;
    for entry in &newly_matched {
        alert_affected(state, v, entry).await?;
    }
    Ok(out)
}

/// Loads a KEV feed (the body: KEV JSON) into the catalogue; the coordinator only.
#[utoipa::path(post, path = "/api/v1/kev/import", tag = "vulnerabilities", security(("bearer" = [])),
    request_body(content = String, description = "A KEV catalogue (CISA's JSON layout)", content_type = "application/json"),
    responses((status = 201, body = KevImport), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn import(
    State(state): State<AppState>,
    Auth(v): Auth,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<KevImport>)> {
    let text = std::str::from_utf8(&body)
        .map_err(|e| ApiError::Unprocessable(format!("the body is not UTF-8: {e}")))?;
    Ok((
        StatusCode::CREATED,
        Json(import_feed(&state, &v, text).await?),
    ))
}

/// Alerts the members running a product that a newly published (or newly matched)
/// entry affects, in the council's one voice: issued as the coordinator, targeted by
/// the entry, each copy naming the recipient's own affected assets. Nothing is sent
/// when nobody runs an affected version.
///
/// # Errors
/// On database failure.
pub async fn alert_affected(
    state: &AppState,
    v: &Viewer,
    entry: &KevEntry,
) -> ApiResult<Option<AlertId>> {
    if entry.cpe_match.is_empty() {
        return Ok(None);
    }
    let Some(coordinator) = state
        .store
        .members(Some(MemberStatus::Active))
        .await?
        .into_iter()
        .find(|m| m.has_role(SpecialRole::Coordinator))
    else {
        return Ok(None);
    };
    let cve = CveId::parse(&entry.cve_id)?;
    let ransomware = entry.known_ransomware_campaign_use == "Known";
    let due = entry
        .national_due_date
        .as_deref()
        .unwrap_or(&entry.due_date);
    let form = AlertForm {
        title: format!(
            "Exploited: {} — {} {} / 悪用が確認された脆弱性",
            entry.cve_id, entry.vendor_project, entry.product
        ),
        severity: if ransomware {
            Severity::Critical
        } else {
            Severity::High
        },
        action_required: entry.required_action.clone(),
        deadline: None,
        deadline_text: format!("by {due} / {due} までに"),
        body_executive: format!(
            "{} is being exploited{}. Some of your registered assets run an affected version.",
            entry.vulnerability_name,
            if ransomware {
                " in ransomware campaigns"
            } else {
                ""
            }
        ),
        body_analyst: entry.short_description.clone(),
        related_items: Vec::new(),
        cves: vec![entry.cve_id.clone()],
        indicators: Vec::new(),
        target: AlertTarget {
            kev: vec![cve],
            ..AlertTarget::default()
        },
        exercise: false,
    };
    let mut content = form.parse()?;
    crate::api::alerts::resolve_affected(state, &mut content).await?;
    if content.affected.is_empty() {
        return Ok(None);
    }
    let now = OffsetDateTime::now_utc();
    let alert = Alert {
        id: AlertId::new(),
        issuer: coordinator.id,
        content,
        status: AlertStatus::Active,
        revision: 1,
        created_at: now,
        updated_at: now,
    };
    crate::api::alerts::publish(state, v, &alert, "alert.issue").await?;
    Ok(Some(alert.id))
}

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/kev/known_exploited_vulnerabilities.json",
            get(public_json),
        )
        .route("/kev/known_exploited_vulnerabilities.csv", get(public_csv))
        .route("/api/v1/kev", get(list).post(propose))
        .route("/api/v1/kev/import", post(import))
        .route("/api/v1/kev/{cve}/approve", post(approve))
}
