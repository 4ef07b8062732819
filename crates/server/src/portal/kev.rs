//! `/portal/kev`: the council's catalogue of known exploited vulnerabilities (the
//! API's list: published entries, proposals too for the curators), searchable by CVE,
//! vendor or product, with each entry's national due date and where its vendor
//! stands.

use axum::Json;
use axum::extract::{Query, State};
use maud::html;

use super::i18n::Lang;
use super::layout;
use super::{PortalResult, Session};
use crate::AppState;
use crate::api::kev::{KevView, list as api_list};
use crate::extract::Auth;

/// `?q=` of the search.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Search {
    /// A CVE, vendor or product (any part, any case).
    pub q: Option<String>,
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

fn vendor_status(lang: Lang, s: &str) -> &'static str {
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
    let lang = s.lang;
    let Json(all) = api_list(State(state), Auth(s.viewer.clone())).await?;
    let q = search.q.unwrap_or_default();
    let q = q.trim();
    let shown: Vec<&KevView> = all
        .iter()
        .filter(|k| q.is_empty() || matches(k, q))
        .collect();
    let body = html! {
        form.search.card method="get" action="/portal/kev" role="search" {
            p {
                label for="q" { (lang.t("kev_search")) }
                input #q type="search" name="q" value=(q) aria-describedby="q-hint";
                span.hint #q-hint { (lang.t("kev_search_hint")) }
            }
            p { button.primary type="submit" { (lang.t("search_button")) } }
        }
        p.muted #kev-count { (shown.len()) " / " (all.len()) " " (lang.t("kev_entries")) }
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
                                @if k.status != "published" { " " span.badge.warn { (lang.t("kev_proposed")) } }
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
    };
    Ok(layout::page(&s, "/portal/kev", lang.t("kev_title"), body))
}
