//! `/portal/advisories`: vendors' CSAF 2.0 advisories and VEX documents through the
//! API's handlers. Every member lists them and opens one to see which of its own
//! assets run a known-affected product; curators (class-1 members and the coordinator)
//! upload a CSAF file, every validation error named by JSON pointer.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;

use super::alerts::Done;
use super::i18n::jst;
use super::layout::{self, csrf, flash};
use super::{PortalResult, Posted, Session, api_message, see_other};
use crate::AppState;
use crate::api::advisories::{get_one, import_advisory, list as api_list};
use crate::api::kev::ensure_curator;
use crate::error::ApiError;
use crate::extract::Auth;

const HERE: &str = "/portal/advisories";

async fn render(
    state: &AppState,
    s: &Session,
    error: Option<&str>,
    ok: Option<&str>,
    status: StatusCode,
) -> PortalResult<Response> {
    let lang = s.lang;
    let Json(all) = api_list(State(state.clone()), Auth(s.viewer.clone())).await?;
    let curator = ensure_curator(&s.viewer).is_ok();
    let body = html! {
        @match ok {
            Some("created") => (flash(lang.t("advisory_created"))),
            Some("unchanged") => (flash(lang.t("advisory_unchanged"))),
            _ => {}
        }
        p.intro { (lang.t("advisories_intro")) }
        @if all.is_empty() {
            p.muted { (lang.t("no_advisories")) }
        } @else {
            div.table-wrap { table #advisories {
                thead { tr {
                    th scope="col" { (lang.t("advisory_title")) }
                    th scope="col" { (lang.t("advisory_publisher")) }
                    th scope="col" { "CVE" }
                    th scope="col" { (lang.t("advisory_released")) }
                } }
                tbody { @for a in &all {
                    tr {
                        td {
                            a href={ (HERE) "/" (a.id) } { (a.title) }
                            br; span.muted { code { (a.tracking_id) } " · " (a.category) }
                            @if let Some(t) = &a.tlp { " " span.badge { "TLP:" (t) } }
                        }
                        td { (a.publisher) }
                        td { @for c in &a.cves { code { (c) } " " } }
                        td.nowrap { (jst(a.release_date)) }
                    }
                } }
            } }
        }
        @if curator {
            section aria-labelledby="h-upload" {
                h2 #h-upload { (lang.t("advisory_upload")) }
                form.card #upload-advisory method="post" action=(HERE) enctype="multipart/form-data" {
                    (csrf(s))
                    @if let Some(e) = error { p.error #advisory-error role="alert" { (e) } }
                    p {
                        label for="csaf" { (lang.t("advisory_file")) }
                        input #csaf type="file" name="csaf" accept=".json,application/json" required;
                    }
                    p.hint { (lang.t("advisory_hint")) }
                    p { button.primary type="submit" { (lang.t("advisory_upload")) } }
                }
            }
        }
    };
    Ok(layout::page_status(
        s,
        HERE,
        lang.t("advisories_title"),
        body,
        status,
    ))
}

/// `GET /portal/advisories`.
pub async fn list(
    State(state): State<AppState>,
    s: Session,
    Query(done): Query<Done>,
) -> PortalResult {
    render(&state, &s, None, done.ok.as_deref(), StatusCode::OK).await
}

/// `POST /portal/advisories`: a curator uploads a CSAF file; a refusal (every
/// validation error by JSON pointer) is shown in the form.
pub async fn upload(State(state): State<AppState>, Posted(s, f): Posted) -> PortalResult {
    match import_advisory(&state, &s.viewer, f.text("csaf").as_bytes()).await {
        Ok((_, done)) => {
            let ok = if done.status == "unchanged" {
                "unchanged"
            } else {
                "created"
            };
            Ok(see_other(&format!("{HERE}/{}?ok={ok}", done.advisory.id)))
        }
        Err(e @ ApiError::Unprocessable(_)) => {
            render(
                &state,
                &s,
                Some(&api_message(&e)),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /portal/advisories/{id}`: the advisory, its vulnerabilities and which of the
/// member's own assets it affects.
pub async fn detail(
    State(state): State<AppState>,
    s: Session,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> PortalResult {
    let lang = s.lang;
    let Json(a) = get_one(State(state), Auth(s.viewer.clone()), Path(id)).await?;
    let notes = a.document["document"]["notes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n["text"].as_str())
        .collect::<Vec<_>>();
    let vulnerabilities = a.document["vulnerabilities"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let body = html! {
        @match done.ok.as_deref() {
            Some("created") => (flash(lang.t("advisory_created"))),
            Some("unchanged") => (flash(lang.t("advisory_unchanged"))),
            _ => {}
        }
        dl.pairs {
            dt { (lang.t("advisory_publisher")) } dd { (a.advisory.publisher) }
            dt { "ID" } dd { code { (a.advisory.tracking_id) } }
            dt { (lang.t("advisory_released")) } dd { (jst(a.advisory.release_date)) }
            dt { (lang.t("advisory_category")) } dd { (a.advisory.category) }
            @if let Some(t) = &a.advisory.tlp { dt { "TLP" } dd { (t) } }
        }
        section.card #my-affected aria-labelledby="h-affected" {
            h2 #h-affected { (lang.t("advisory_my_assets")) }
            @if a.your_affected_assets.is_empty() {
                p.ok { (lang.t("advisory_none_affected")) }
            } @else {
                ul { @for x in &a.your_affected_assets { li { strong { (x.label) } " — " span.muted { (x.matched) } } } }
            }
        }
        @for n in &notes { p.text { (n) } }
        @if !vulnerabilities.is_empty() {
            section aria-labelledby="h-vulns" {
                h2 #h-vulns { (lang.t("advisory_vulnerabilities")) }
                ul { @for v in &vulnerabilities {
                    li {
                        @if let Some(c) = v["cve"].as_str() { code { (c) } " " }
                        (v["title"].as_str().unwrap_or_default())
                    }
                } }
            }
        }
        p { a href=(HERE) { (lang.t("back_to_advisories")) } }
    };
    Ok(layout::page(
        &s,
        &format!("{HERE}/{}", a.advisory.id),
        &a.advisory.title,
        body,
    ))
}
