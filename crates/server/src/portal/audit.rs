//! `/portal/audit`: the audit log for the coordinator, newest first and paged,
//! through the API's handler. The API also serves the secretariat, but the log names
//! items (their ids) that the policy view does not show the secretariat, so the
//! portal offers the page to the coordinator only: stricter than the API, never
//! wider. The API offers no check of the hash chain over HTTP (`tsunagu audit
//! verify` does it), so each entry's hash is shown for comparison instead.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use maud::html;
use tsunagu_core::ids::MemberId;
use tsunagu_core::member::SpecialRole;

use super::i18n::jst;
use super::layout;
use super::{PortalResult, Session};
use crate::AppState;
use crate::api::audit::{AuditQuery, list as api_list};
use crate::error::ApiError;
use crate::extract::{ApiQuery, Auth};

const HERE: &str = "/portal/audit";

/// `?before=&target=`.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Params {
    /// The next page's cursor.
    pub before: Option<i64>,
    /// Only entries about this object id.
    pub target: Option<String>,
}

/// Whether the session's member is the coordinator (the navigation shows the page
/// to it only).
#[must_use]
pub fn is_coordinator(s: &Session) -> bool {
    s.viewer.member.has_role(SpecialRole::Coordinator)
}

/// `GET /portal/audit`.
pub async fn page(
    State(state): State<AppState>,
    s: Session,
    Query(q): Query<Params>,
) -> PortalResult {
    let lang = s.lang;
    if !is_coordinator(&s) {
        return Err(
            ApiError::Forbidden("only the coordinator reads the audit log here".into()).into(),
        );
    }
    let target = q
        .target
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned);
    let Json(page) = api_list(
        State(state.clone()),
        Auth(s.viewer.clone()),
        ApiQuery(AuditQuery {
            before: q.before,
            limit: Some(100),
            target: target.clone(),
        }),
    )
    .await?;
    let mut names: HashMap<String, String> = HashMap::new();
    for e in &page.entries {
        if let Some(m) = &e.actor_member
            && !names.contains_key(m)
        {
            let name = match m.parse::<MemberId>() {
                Ok(id) => state.store.member(id).await?.map(|m| m.pseudonym),
                Err(_) => None,
            };
            names.insert(m.clone(), name.unwrap_or_else(|| m.clone()));
        }
    }
    let next = page.next_before.map(|b| {
        let mut u = url::form_urlencoded::Serializer::new(String::new());
        u.append_pair("before", &b.to_string());
        if let Some(t) = &target {
            u.append_pair("target", t);
        }
        format!("{HERE}?{}", u.finish())
    });
    let body = html! {
        p.intro { (lang.t("audit_intro")) }
        form.filters method="get" action=(HERE) role="search" {
            p {
                label for="target" { (lang.t("audit_target_filter")) }
                input #target type="search" name="target" value=(target.as_deref().unwrap_or("")) spellcheck="false";
            }
            p { button type="submit" { (lang.t("search")) } }
        }
        @if page.entries.is_empty() {
            p.muted { (lang.t("audit_empty")) }
        } @else {
            div.table-wrap { table #audit {
                thead { tr {
                    th.n scope="col" { "#" }
                    th scope="col" { (lang.t("col_time")) }
                    th scope="col" { (lang.t("col_actor")) }
                    th scope="col" { (lang.t("col_action")) }
                    th scope="col" { (lang.t("col_target")) }
                    th scope="col" { (lang.t("col_details")) }
                    th scope="col" { (lang.t("col_hash")) }
                } }
                tbody {
                    @for e in &page.entries {
                        tr {
                            td.n { (e.seq) }
                            td.nowrap { (jst(e.at)) }
                            td {
                                @match &e.actor_member {
                                    Some(m) => { (names.get(m).map_or(m.as_str(), String::as_str)) }
                                    None => { span.muted { (lang.t("audit_system")) } }
                                }
                                @if let Some(u) = &e.actor_user { br; small.muted { (u) } }
                            }
                            td { code { (e.action) } }
                            td { (e.target_type) " " code { (e.target_id) } }
                            td { code.details { (e.details) } }
                            td { code.hash title=(e.hash) { (e.hash.get(..12).unwrap_or(&e.hash)) } }
                        }
                    }
                }
            } }
            @if let Some(n) = &next {
                nav.pager aria-label=(lang.t("next_page")) { a href=(n) rel="next" { (lang.t("next_page")) } }
            }
        }
    };
    Ok(layout::page(&s, HERE, lang.t("audit_title"), body))
}
