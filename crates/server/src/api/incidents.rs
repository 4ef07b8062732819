//! Unified incident reporting over HTTP (M5.1–M5.4): a member opens an incident with
//! its initial report and adds notifications, updates and the final report, each one
//! JSON document; every report goes to the secretariat and the regulators of the
//! reporter's sector and to nobody else — anyone else gets 404. Every read by a
//! recipient is audited. Reports are not items: no export, feed or TAXII collection
//! carries them; only `share` turns one into an anonymised item, through the normal
//! sharing path.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;
use tsunagu_core::ids::MemberId;
use tsunagu_core::incident::{
    Incident, IncidentForm, IncidentId, IncidentView, Report, ReportForm, ReportView, ShareRequest,
    anonymised_item, check_next, ensure_may_share, incident_view, report_view, route, routed_to,
};
use tsunagu_core::item::Item;
use tsunagu_core::member::{MemberStatus, SpecialRole};
use tsunagu_core::user::Viewer;
use tsunagu_core::view::{ItemView, view};
use utoipa::ToSchema;

use crate::api::items::share_item;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiJson, Auth};
use crate::{AppState, audit_by};

fn parse_incident_id(s: &str) -> ApiResult<IncidentId> {
    s.parse().map_err(|_| ApiError::NotFound)
}

/// An incident with its reports, and whether `v` reported it; 404 unless `v` is the
/// reporter or received one of its reports.
async fn load(
    state: &AppState,
    v: &Viewer,
    id: IncidentId,
) -> ApiResult<(Incident, Vec<Report>, bool)> {
    let incident = state.store.incident(id).await?.ok_or(ApiError::NotFound)?;
    let reports = state.store.incident_reports(id).await?;
    let reporter = incident.reporter == v.member.id;
    if !reporter && !reports.iter().any(|r| routed_to(r, v.member.id)) {
        return Err(ApiError::NotFound);
    }
    Ok((incident, reports, reporter))
}

/// Only the reporter changes an incident (callers that may not know it got 404).
fn ensure_reporter(reporter: bool, v: &Viewer) -> ApiResult<()> {
    v.ensure_can_act()?;
    if reporter {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "only the reporting member changes its incident".into(),
        ))
    }
}

/// Writes one audit entry about an incident in its own transaction.
async fn audit(
    state: &AppState,
    v: &Viewer,
    action: &str,
    target: &str,
    details: serde_json::Value,
) -> ApiResult<()> {
    let mut tx = state.store.begin().await?;
    tx.audit(&audit_by(Some(v), action, "incident", target, details))
        .await?;
    tx.commit().await?;
    Ok(())
}

/// The incident as `v` sees it, with the reports it may read.
async fn full_view(
    state: &AppState,
    v: &Viewer,
    incident: &Incident,
    reports: &[Report],
) -> ApiResult<IncidentView> {
    let name = state
        .store
        .member(incident.reporter)
        .await?
        .map(|m| m.name)
        .unwrap_or_default();
    incident_view(
        incident,
        &name,
        reports,
        v,
        OffsetDateTime::now_utc(),
        &state.config.incident_clocks,
        true,
    )
    .ok_or(ApiError::NotFound)
}

/// Opens an incident for `v`'s member with its initial report submitted at `at`,
/// routed to the secretariat and the regulators of the member's sector; audited.
///
/// # Errors
/// When `v` may not act, a field is missing or bad (named), or on database failure.
pub(crate) async fn open_incident(
    state: &AppState,
    v: &Viewer,
    form: IncidentForm,
    at: OffsetDateTime,
) -> ApiResult<(Incident, Vec<Report>)> {
    v.ensure_can_act()?;
    let o = form.parse(at)?;
    let members = state.store.members(Some(MemberStatus::Active)).await?;
    let incident = Incident {
        id: IncidentId::new(),
        reporter: v.member.id,
        reporter_sector: v.member.sector,
        kind: o.kind,
        regime: o.regime,
        title: o.title,
        aware_at: o.aware_at,
        consent_to_share: o.consent_to_share,
        shared_item: None,
        created_at: at,
        updated_at: at,
    };
    let report = Report {
        incident: incident.id,
        version: 1,
        content: o.report,
        submitted_by: v.user.id,
        submitted_at: at,
        routed_to: route(&v.member, &members),
    };
    let mut tx = state.store.begin().await?;
    tx.insert_incident(&incident).await?;
    tx.insert_report(&report).await?;
    tx.audit(&audit_by(
        Some(v),
        "incident.open",
        "incident",
        &incident.id.to_string(),
        json!({ "kind": incident.kind, "regime": incident.regime, "stage": report.content.stage,
                "purpose": report.content.purpose, "consent_to_share": incident.consent_to_share,
                "routed_to": report.routed_to }),
    ))
    .await?;
    tx.commit().await?;
    Ok((incident, vec![report]))
}

/// Adds the next report, submitted at `at`, to an incident of `v`'s member; routed
/// like the first; audited.
///
/// # Errors
/// 404 when `v` may not know the incident, 403 for a recipient, 422 naming a missing
/// or bad field, 409 for a second initial report.
pub(crate) async fn add_report(
    state: &AppState,
    v: &Viewer,
    id: IncidentId,
    form: ReportForm,
    at: OffsetDateTime,
) -> ApiResult<(Incident, Vec<Report>)> {
    let (incident, _, reporter) = load(state, v, id).await?;
    ensure_reporter(reporter, v)?;
    let content = form.parse(incident.kind, at)?;
    let members = state.store.members(Some(MemberStatus::Active)).await?;
    let mut tx = state.store.begin().await?;
    let mut incident = tx.incident(id).await?.ok_or(ApiError::NotFound)?;
    let mut reports = tx.incident_reports(id).await?;
    check_next(&reports, content.stage)?;
    let report = Report {
        incident: id,
        version: reports.last().map_or(1, |r| r.version + 1),
        content,
        submitted_by: v.user.id,
        submitted_at: at,
        routed_to: route(&v.member, &members),
    };
    incident.updated_at = at;
    tx.insert_report(&report).await?;
    tx.update_incident(&incident).await?;
    tx.audit(&audit_by(
        Some(v),
        "incident.report",
        "incident",
        &id.to_string(),
        json!({ "version": report.version, "stage": report.content.stage,
                "purpose": report.content.purpose, "routed_to": report.routed_to }),
    ))
    .await?;
    tx.commit().await?;
    reports.push(report);
    Ok((incident, reports))
}

/// Turns an incident into an anonymised shared item provided by `v`'s member (the
/// reporter, or the coordinator with the reporter's consent), through the normal
/// sharing path; audited.
///
/// # Errors
/// 404 when `v` may not know the incident, 403 when it may not share it, 409 when it
/// was shared already, 422 for a bad scope.
pub(crate) async fn share_incident(
    state: &AppState,
    v: &Viewer,
    id: IncidentId,
    req: ShareRequest,
) -> ApiResult<Item> {
    let incident = state.store.incident(id).await?.ok_or(ApiError::NotFound)?;
    let reports = state.store.incident_reports(id).await?;
    let coordinator_with_consent =
        incident.consent_to_share && v.member.has_role(SpecialRole::Coordinator);
    if incident.reporter != v.member.id
        && !coordinator_with_consent
        && !reports.iter().any(|r| routed_to(r, v.member.id))
    {
        return Err(ApiError::NotFound);
    }
    ensure_may_share(&incident, v)?;
    let reporter = state
        .store
        .member(incident.reporter)
        .await?
        .ok_or(ApiError::NotFound)?;
    let content = anonymised_item(&incident, &reports, &reporter, req)?;
    let mut tx = state.store.begin().await?;
    let mut incident = tx.incident(id).await?.ok_or(ApiError::NotFound)?;
    ensure_may_share(&incident, v)?;
    let item = share_item(&mut tx, v, content, &[]).await?;
    incident.shared_item = Some(item.id);
    incident.updated_at = item.created_at;
    tx.update_incident(&incident).await?;
    tx.audit(&audit_by(
        Some(v),
        "incident.share",
        "incident",
        &id.to_string(),
        json!({ "item": item.id, "scope": item.content.scope, "tlp": item.content.tlp }),
    ))
    .await?;
    tx.commit().await?;
    Ok(item)
}

/// Opens an incident with its initial report (速報): one JSON document. Routed to the
/// secretariat and the regulators of the member's sector.
#[utoipa::path(post, path = "/api/v1/incidents", tag = "incidents", request_body = IncidentForm,
    security(("bearer" = [])),
    responses((status = 201, body = IncidentView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn open(
    State(state): State<AppState>,
    Auth(v): Auth,
    ApiJson(form): ApiJson<IncidentForm>,
) -> ApiResult<(StatusCode, Json<IncidentView>)> {
    let (incident, reports) = open_incident(&state, &v, form, OffsetDateTime::now_utc()).await?;
    let shown = full_view(&state, &v, &incident, &reports).await?;
    Ok((StatusCode::CREATED, Json(shown)))
}

/// Adds a report (notification, update or final) to the caller's incident; every
/// version is kept.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/reports", tag = "incidents", request_body = ReportForm,
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 201, body = IncidentView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn report(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
    ApiJson(form): ApiJson<ReportForm>,
) -> ApiResult<(StatusCode, Json<IncidentView>)> {
    let id = parse_incident_id(&id)?;
    let (incident, reports) = add_report(&state, &v, id, form, OffsetDateTime::now_utc()).await?;
    let shown = full_view(&state, &v, &incident, &reports).await?;
    Ok((StatusCode::CREATED, Json(shown)))
}

/// The incidents the caller may know of, with their deadlines (no report contents).
async fn listing(state: &AppState, v: &Viewer, only_overdue: bool) -> ApiResult<Vec<IncidentView>> {
    let rows = state.store.incidents_for(v.member.id).await?;
    let names: HashMap<MemberId, String> = state
        .store
        .members(None)
        .await?
        .into_iter()
        .map(|m| (m.id, m.name))
        .collect();
    let now = OffsetDateTime::now_utc();
    let shown: Vec<IncidentView> = rows
        .iter()
        .filter_map(|(i, reports)| {
            let name = names.get(&i.reporter).map_or("", String::as_str);
            incident_view(
                i,
                name,
                reports,
                v,
                now,
                &state.config.incident_clocks,
                false,
            )
        })
        .filter(|i| !only_overdue || i.overdue)
        .collect();
    let received: Vec<IncidentId> = shown
        .iter()
        .filter(|i| i.reporter != v.member.id)
        .map(|i| i.id)
        .collect();
    if !received.is_empty() {
        audit(
            state,
            v,
            "incident.list",
            "list",
            json!({ "incidents": received }),
        )
        .await?;
    }
    Ok(shown)
}

/// The incidents the caller reported or received reports of, newest first, with what
/// is due when. Reads by recipients are audited.
#[utoipa::path(get, path = "/api/v1/incidents", tag = "incidents", security(("bearer" = [])),
    responses((status = 200, body = Vec<IncidentView>)))]
pub async fn list(
    State(state): State<AppState>,
    Auth(v): Auth,
) -> ApiResult<Json<Vec<IncidentView>>> {
    Ok(Json(listing(&state, &v, false).await?))
}

/// The incidents with a deadline passed and its report missing: for the secretariat,
/// every one; for others, those they may know of.
#[utoipa::path(get, path = "/api/v1/incidents/overdue", tag = "incidents", security(("bearer" = [])),
    responses((status = 200, body = Vec<IncidentView>)))]
pub async fn overdue(
    State(state): State<AppState>,
    Auth(v): Auth,
) -> ApiResult<Json<Vec<IncidentView>>> {
    Ok(Json(listing(&state, &v, true).await?))
}

/// One incident with the reports the caller may read and its deadlines; a read by a
/// recipient is audited.
#[utoipa::path(get, path = "/api/v1/incidents/{id}", tag = "incidents", params(("id" = String, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = IncidentView), (status = 404, body = Problem)))]
pub async fn get_one(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<IncidentView>> {
    let (incident, reports, reporter) = load(&state, &v, parse_incident_id(&id)?).await?;
    let shown = full_view(&state, &v, &incident, &reports).await?;
    if !reporter {
        let versions: Vec<i64> = shown.reports.iter().map(|r| r.version).collect();
        let purposes: Vec<_> = shown.reports.iter().map(|r| r.content.purpose).collect();
        audit(
            &state,
            &v,
            "incident.read",
            &incident.id.to_string(),
            json!({ "versions": versions, "purposes": purposes }),
        )
        .await?;
    }
    Ok(Json(shown))
}

/// One version of an incident's reports; a read by a recipient is audited.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/reports/{version}", tag = "incidents",
    params(("id" = String, Path), ("version" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = ReportView), (status = 404, body = Problem)))]
pub async fn get_report(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path((id, version)): Path<(String, String)>,
) -> ApiResult<Json<ReportView>> {
    let (incident, reports, reporter) = load(&state, &v, parse_incident_id(&id)?).await?;
    let version: i64 = version.parse().map_err(|_| ApiError::NotFound)?;
    let r = reports
        .iter()
        .find(|r| r.version == version && (reporter || routed_to(r, v.member.id)))
        .ok_or(ApiError::NotFound)?;
    if !reporter {
        audit(
            &state,
            &v,
            "incident.report.read",
            &incident.id.to_string(),
            json!({ "version": version, "purpose": r.content.purpose }),
        )
        .await?;
    }
    Ok(Json(report_view(r)))
}

/// The reporter's consent to sharing by the coordinator.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Consent {
    /// Whether the coordinator may turn the incident into an anonymised shared item.
    pub consent_to_share: bool,
}

/// Gives or withdraws the reporter's consent that the coordinator shares the incident,
/// anonymised. Reporter only; audited.
#[utoipa::path(put, path = "/api/v1/incidents/{id}/consent", tag = "incidents", request_body = Consent,
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = IncidentView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn consent(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<Consent>,
) -> ApiResult<Json<IncidentView>> {
    let (mut incident, reports, reporter) = load(&state, &v, parse_incident_id(&id)?).await?;
    ensure_reporter(reporter, &v)?;
    incident.consent_to_share = req.consent_to_share;
    incident.updated_at = OffsetDateTime::now_utc();
    let mut tx = state.store.begin().await?;
    tx.update_incident(&incident).await?;
    tx.audit(&audit_by(
        Some(&v),
        "incident.consent",
        "incident",
        &incident.id.to_string(),
        json!({ "consent_to_share": incident.consent_to_share }),
    ))
    .await?;
    tx.commit().await?;
    Ok(Json(full_view(&state, &v, &incident, &reports).await?))
}

/// Turns the incident into an anonymised shared item (M5.3): the victim is only its
/// sector, the scope is the request's, indicators and techniques are carried over.
/// By the reporter, or by the coordinator with the reporter's consent. The item then
/// reaches members through the normal policy view.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/share", tag = "incidents", request_body = ShareRequest,
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 201, body = ItemView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn share(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ShareRequest>,
) -> ApiResult<(StatusCode, Json<ItemView>)> {
    let item = share_incident(&state, &v, parse_incident_id(&id)?, req).await?;
    let shown = view(&item, &v).ok_or(ApiError::NotFound)?;
    Ok((StatusCode::CREATED, Json(shown)))
}

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/incidents", get(list).post(open))
        .route("/api/v1/incidents/overdue", get(overdue))
        .route("/api/v1/incidents/{id}", get(get_one))
        .route("/api/v1/incidents/{id}/reports", post(report))
        .route("/api/v1/incidents/{id}/reports/{version}", get(get_report))
        .route("/api/v1/incidents/{id}/consent", put(consent))
        .route("/api/v1/incidents/{id}/share", post(share))
}
