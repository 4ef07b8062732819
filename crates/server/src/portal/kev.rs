//! `/portal/kev`: the council's catalogue of known exploited vulnerabilities (the
//! API's list: published entries, proposals too for the curators), searchable by CVE,
//! vendor or product, with each entry's national due date and where its vendor
//! stands. Curators (class-1 members and the coordinator) propose entries, and another
//! curator or the coordinator publishes them, through the API's handlers.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use serde_json::json;
use time::OffsetDateTime;
use tsunagu_core::kev::KevEntry;
use tsunagu_core::member::Sector;

use super::i18n::{JST, Lang};
use super::items::checkbox;
use super::layout::{self, csrf, flash};
use super::{FormData, PortalResult, Posted, Session, api_message, see_other};
use crate::AppState;
use crate::api::kev::{
    KevView, approve as api_approve, ensure_curator, list as api_list, propose as api_propose,
};
use crate::error::ApiError;
use crate::extract::{ApiJson, Auth};

/// `?q=` of the search, `?ok=` after an action.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Search {
    /// A CVE, vendor or product (any part, any case).
    pub q: Option<String>,
    /// Which action succeeded.
    pub ok: Option<String>,
}

fn matches(k: &KevView, q: &str) -> bool {
    let q = q.to_lowercase();
    let e = &k.entry;
    [
        &e.cve_id,
        &e.vendor_project,
        &e.product,
        &e.vulnerability_name,
    ]
    .iter()
    .any(|f| f.to_lowercase().contains(&q))
}

/// A vendor request status's name.
pub(super) fn vendor_status(lang: Lang, s: &str) -> &'static str {
    match s {
        "sent" => lang.t("vendor_sent"),
        "acknowledged" => lang.t("vendor_acknowledged"),
        "fix_planned" => lang.t("vendor_fix_planned"),
        "fixed" => lang.t("vendor_fixed"),
        "no_fix" => lang.t("vendor_no_fix"),
        _ => "?",
    }
}

/// `GET /portal/kev`.
pub async fn list(
    State(state): State<AppState>,
    s: Session,
    Query(search): Query<Search>,
) -> PortalResult {
    render(
        &state,
        &s,
        search.q.as_deref().unwrap_or_default(),
        &FormData::default(),
        None,
        search.ok.as_deref(),
        StatusCode::OK,
    )
    .await
}

#[allow(clippy::too_many_lines)]
async fn render(
    state: &AppState,
    s: &Session,
    q: &str,
    f: &FormData,
    error: Option<&str>,
    ok: Option<&str>,
    status: StatusCode,
) -> PortalResult<Response> {
    let lang = s.lang;
    let Json(all) = api_list(State(state.clone()), Auth(s.viewer.clone())).await?;
    let curator = ensure_curator(&s.viewer).is_ok();
    let q = q.trim();
    let shown: Vec<&KevView> = all
        .iter()
        .filter(|k| q.is_empty() || matches(k, q))
        .collect();
    let body = html! {
        @match ok {
            Some("proposed") => (flash(lang.t("kev_proposed_ok"))),
            Some("published") => (flash(lang.t("kev_published_ok"))),
            _ => {}
        }
        form.search.card method="get" action="/portal/kev" role="search" {
            p {
                label for="q" { (lang.t("kev_search")) }
                input #q type="search" name="q" value=(q) aria-describedby="q-hint";
                span.hint #q-hint { (lang.t("kev_search_hint")) }
            }
            p { button.primary type="submit" { (lang.t("search_button")) } }
        }
        p.muted #kev-count {
            (shown.len()) " / " (all.len()) " " (lang.t("kev_entries"))
            " · " a href="/portal/vendor-requests" { (lang.t("vendor_requests_title")) }
        }
        @if shown.is_empty() {
            p.muted { (lang.t("kev_none")) }
        } @else {
            div.table-wrap { table #kev {
                thead { tr {
                    th scope="col" { "CVE" }
                    th scope="col" { (lang.t("col_vendor_product")) }
                    th scope="col" { (lang.t("col_vulnerability")) }
                    th scope="col" { (lang.t("col_date_added")) }
                    th scope="col" { (lang.t("col_due")) }
                    th scope="col" { (lang.t("col_vendor_status")) }
                } }
                tbody {
                    @for k in &shown {
                        @let e = &k.entry;
                        tr {
                            th scope="row" {
                                code { (e.cve_id) }
                                @if k.status != "published" {
                                    " " span.badge.warn { (lang.t("kev_proposed")) }
                                    @if curator {
                                        form.inline method="post" action={ "/portal/kev/" (e.cve_id) "/approve" } {
                                            (csrf(s))
                                            button.secondary type="submit" aria-label={ (lang.t("kev_publish")) " " (e.cve_id) } { (lang.t("kev_publish")) }
                                        }
                                    }
                                }
                            }
                            td { (e.vendor_project) " " (e.product) }
                            td {
                                (e.vulnerability_name)
                                @if e.known_ransomware_campaign_use == "Known" { " " span.badge.warn { (lang.t("ransomware")) } }
                                br;
                                span.muted { (lang.t("required_action")) ": " (e.required_action) }
                            }
                            td.nowrap { (e.date_added) }
                            td.nowrap {
                                @if let Some(d) = &e.national_due_date {
                                    strong { (d) } br; span.muted { (lang.t("national_due")) }
                                } @else {
                                    (e.due_date) br; span.muted { (lang.t("kev_due")) }
                                }
                            }
                            td {
                                @if k.vendor_status.is_empty() { span.muted { "—" } }
                                @for v in &k.vendor_status {
                                    div {
                                        (v.vendor) ": " (vendor_status(lang, &v.status))
                                        @if let Some(d) = &v.planned_fix_date { " (" (d) ")" }
                                        @if let Some(f) = &v.fixed_version { " → " code { (f) } }
                                    }
                                }
                            }
                        }
                    }
                }
            } }
        }
        @if curator { (propose_form(s, f, error)) }
    };
    Ok(layout::page_status(
        s,
        "/portal/kev",
        lang.t("kev_title"),
        body,
        status,
    ))
}

fn propose_form(s: &Session, f: &FormData, error: Option<&str>) -> Markup {
    let lang = s.lang;
    let field = |name: &'static str, label: &'static str, kind: &'static str, required: bool| {
        html! {
            p {
                label for=(name) { (lang.t(label)) }
                input id=(name) type=(kind) name=(name) value=(f.text(name)) required[required];
            }
        }
    };
    html! {
        section aria-labelledby="h-propose" {
            h2 #h-propose { (lang.t("kev_propose")) }
            form.card.item-form #propose-kev method="post" action="/portal/kev" {
                (csrf(s))
                @if let Some(e) = error { p.error #kev-error role="alert" { (e) } }
                p.hint { (lang.t("kev_propose_hint")) }
                (field("cveID", "kev_cve", "text", true))
                (field("vendorProject", "kev_vendor", "text", true))
                (field("product", "kev_product", "text", true))
                (field("vulnerabilityName", "col_vulnerability", "text", true))
                p {
                    label for="shortDescription" { (lang.t("kev_description")) }
                    textarea #shortDescription name="shortDescription" rows="3" required { (f.text("shortDescription")) }
                }
                (field("requiredAction", "required_action", "text", true))
                (field("dueDate", "kev_due", "date", true))
                (field("nationalDueDate", "national_due", "date", false))
                p {
                    label for="knownRansomwareCampaignUse" { (lang.t("ransomware")) }
                    select #knownRansomwareCampaignUse name="knownRansomwareCampaignUse" {
                        @for v in ["Unknown", "Known"] { option value=(v) selected[f.text("knownRansomwareCampaignUse") == v] { (v) } }
                    }
                }
                p {
                    label for="cpeMatch" { (lang.t("kev_cpe")) }
                    textarea #cpeMatch name="cpeMatch" rows="2" aria-describedby="cpe-hint" { (f.text("cpeMatch")) }
                    span.hint #cpe-hint { (lang.t("kev_cpe_hint")) }
                }
                fieldset.inline-group {
                    legend { (lang.t("kev_sectors")) }
                    @for x in Sector::ALL { (checkbox(&format!("sector.{}", x.as_str()), lang.sector(*x), f)) }
                }
                p {
                    label for="evidenceItems" { (lang.t("kev_evidence")) }
                    textarea #evidenceItems name="evidenceItems" rows="2" aria-describedby="evidence-hint" { (f.text("evidenceItems")) }
                    span.hint #evidence-hint { (lang.t("kev_evidence_hint")) }
                }
                p.submit { button.primary type="submit" { (lang.t("kev_propose")) } }
            }
        }
    }
}

fn lines(f: &FormData, name: &str) -> Vec<String> {
    f.text(name)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `POST /portal/kev`: a curator proposes an entry (added today, JST); a refusal is
/// shown in the form with the values kept.
pub async fn propose(State(state): State<AppState>, Posted(s, f): Posted) -> PortalResult {
    let today = OffsetDateTime::now_utc().to_offset(JST).date();
    let opt = |name: &str| Some(f.text(name).trim()).filter(|v| !v.is_empty());
    let entry = json!({
        "cveID": f.text("cveID").trim(),
        "vendorProject": f.text("vendorProject").trim(),
        "product": f.text("product").trim(),
        "vulnerabilityName": f.text("vulnerabilityName").trim(),
        "dateAdded": today.to_string(),
        "shortDescription": f.text("shortDescription").trim(),
        "requiredAction": f.text("requiredAction").trim(),
        "dueDate": f.text("dueDate").trim(),
        "knownRansomwareCampaignUse": opt("knownRansomwareCampaignUse").unwrap_or("Unknown"),
        "nationalDueDate": opt("nationalDueDate"),
        "cpeMatch": lines(&f, "cpeMatch"),
        "sectorsExploited": Sector::ALL.iter().filter(|x| f.checked(&format!("sector.{}", x.as_str()))).map(|x| x.as_str()).collect::<Vec<_>>(),
        "evidenceItems": lines(&f, "evidenceItems"),
    });
    let refuse = |msg: String, status| {
        let (state, s, f) = (state.clone(), s.clone(), f.clone());
        async move { render(&state, &s, "", &f, Some(&msg), None, status).await }
    };
    let entry: KevEntry = match serde_json::from_value(entry) {
        Ok(e) => e,
        Err(e) => return refuse(e.to_string(), StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    match api_propose(State(state.clone()), Auth(s.viewer.clone()), ApiJson(entry)).await {
        Ok(_) => Ok(see_other("/portal/kev?ok=proposed")),
        Err(e @ (ApiError::Unprocessable(_) | ApiError::Conflict(_))) => {
            let status = if matches!(e, ApiError::Conflict(_)) {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            refuse(api_message(&e), status).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /portal/kev/{cve}/approve`: another curator or the coordinator publishes a
/// proposal.
pub async fn approve(
    State(state): State<AppState>,
    Path(cve): Path<String>,
    Posted(s, _): Posted,
) -> PortalResult {
    let Json(_) = api_approve(State(state), Auth(s.viewer.clone()), Path(cve)).await?;
    Ok(see_other("/portal/kev?ok=published"))
}
