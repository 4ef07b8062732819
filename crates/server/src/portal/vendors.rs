//! `/portal/vendor-requests`: vendor coordination (M4.3) through the API's handlers.
//! Curators (class-1 members and the coordinator) ask a product vendor about a
//! catalogue entry, see every request and record the answers an outside vendor sends by
//! e-mail; a vendor that is a member sees the requests addressed to it and answers
//! them itself. Each request shows its history; the catalogue shows only the status.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;

use super::alerts::Done;
use super::i18n::jst;
use super::kev::vendor_status;
use super::layout::{self, csrf, flash};
use super::{FormData, PortalResult, Posted, Session, api_message, form_refusal, see_other};
use crate::AppState;
use crate::api::kev::{ensure_curator, list as kev_list};
use crate::api::members::list_members;
use crate::api::vendor::{
    VendorRequestForm, VendorUpdateForm, get_one, list as api_list, open as api_open,
    update as api_update,
};
use crate::extract::{ApiJson, Auth};

const HERE: &str = "/portal/vendor-requests";

/// Whether the navigation offers the page: to the curators (a vendor member finds
/// the requests addressed to it from the catalogue).
#[must_use]
pub fn sees_page(s: &Session) -> bool {
    ensure_curator(&s.viewer).is_ok()
}

async fn render(
    state: &AppState,
    s: &Session,
    f: &FormData,
    error: Option<&str>,
    status: StatusCode,
) -> PortalResult<Response> {
    let lang = s.lang;
    let auth = || Auth(s.viewer.clone());
    let Json(requests) = api_list(State(state.clone()), auth()).await?;
    let curator = ensure_curator(&s.viewer).is_ok();
    let (entries, members) = if curator {
        let Json(k) = kev_list(State(state.clone()), auth()).await?;
        let Json(m) = list_members(State(state.clone()), auth()).await?;
        (k, m)
    } else {
        (Vec::new(), Vec::new())
    };
    let body = html! {
        p.intro { (lang.t(if curator { "vendor_intro_curator" } else { "vendor_intro_vendor" })) }
        @if requests.is_empty() {
            p.muted { (lang.t("no_vendor_requests")) }
        } @else {
            div.table-wrap { table #vendor-requests {
                thead { tr {
                    th scope="col" { "CVE" }
                    th scope="col" { (lang.t("vendor_col")) }
                    th scope="col" { (lang.t("col_status")) }
                    th scope="col" { (lang.t("vendor_updated")) }
                } }
                tbody { @for r in &requests {
                    tr {
                        td { a href={ (HERE) "/" (r.id) } { code { (r.cve) } } }
                        td { (r.vendor_name) " · " (r.product) }
                        td { (vendor_status(lang, &r.status)) }
                        td.nowrap { (jst(r.updated_at)) }
                    }
                } }
            } }
        }
        @if curator {
            section aria-labelledby="h-ask" {
                h2 #h-ask { (lang.t("vendor_ask")) }
                form.card #ask-vendor method="post" action=(HERE) {
                    (csrf(s))
                    @if let Some(e) = error { p.error #vendor-error role="alert" { (e) } }
                    p {
                        label for="cve" { (lang.t("vendor_entry")) }
                        select #cve name="cve" required {
                            @for k in &entries { option value=(k.entry.cve_id) selected[f.text("cve") == k.entry.cve_id] { (k.entry.cve_id) " — " (k.entry.vendor_project) " " (k.entry.product) } }
                        }
                    }
                    p {
                        label for="vendor_member" { (lang.t("vendor_member")) }
                        select #vendor_member name="vendor_member" {
                            option value="" { (lang.t("vendor_outside")) }
                            @for m in &members { option value=(m.id) selected[f.text("vendor_member") == m.id.to_string()] { (m.name.as_deref().unwrap_or(&m.pseudonym)) } }
                        }
                    }
                    p {
                        label for="vendor_name" { (lang.t("vendor_name")) }
                        input #vendor_name type="text" name="vendor_name" value=(f.text("vendor_name")) maxlength="200";
                    }
                    p {
                        label for="contact_email" { (lang.t("vendor_email")) }
                        input #contact_email type="email" name="contact_email" value=(f.text("contact_email"));
                    }
                    p {
                        label for="product" { (lang.t("vendor_product")) }
                        input #product type="text" name="product" value=(f.text("product")) maxlength="200";
                    }
                    p {
                        label for="message" { (lang.t("vendor_message")) }
                        textarea #message name="message" rows="4" required maxlength="10000" { (f.text("message")) }
                    }
                    p { button.primary type="submit" { (lang.t("vendor_ask")) } }
                }
            }
        }
    };
    Ok(layout::page_status(
        s,
        HERE,
        lang.t("vendor_requests_title"),
        body,
        status,
    ))
}

/// `GET /portal/vendor-requests`: the requests the member may see (every one for
/// curators, those addressed to it for a vendor), and the curators' form.
pub async fn list(State(state): State<AppState>, s: Session) -> PortalResult {
    render(&state, &s, &FormData::default(), None, StatusCode::OK).await
}

/// `POST /portal/vendor-requests`: a curator asks a vendor (a member, or an outside
/// vendor by e-mail) about a catalogue entry.
pub async fn open(State(state): State<AppState>, Posted(s, f): Posted) -> PortalResult {
    let opt = |name: &str| Some(f.text(name).trim().to_owned()).filter(|v| !v.is_empty());
    let form = VendorRequestForm {
        vendor_member: opt("vendor_member"),
        vendor_name: opt("vendor_name"),
        contact_email: opt("contact_email"),
        product: opt("product"),
        message: f.text("message").to_owned(),
    };
    match api_open(
        State(state.clone()),
        Auth(s.viewer.clone()),
        Path(f.text("cve").to_owned()),
        ApiJson(form),
    )
    .await
    {
        Ok((_, Json(r))) => Ok(see_other(&format!("{HERE}/{}?ok=opened", r.request.id))),
        Err(e) => match form_refusal(&e) {
            Some(status) => render(&state, &s, &f, Some(&api_message(&e)), status).await,
            None => Err(e.into()),
        },
    }
}

async fn render_one(
    state: &AppState,
    s: &Session,
    id: &str,
    f: &FormData,
    error: Option<&str>,
    ok: Option<&str>,
    status: StatusCode,
) -> PortalResult<Response> {
    let lang = s.lang;
    let Json(r) = get_one(
        State(state.clone()),
        Auth(s.viewer.clone()),
        Path(id.to_owned()),
    )
    .await?;
    let curator = ensure_curator(&s.viewer).is_ok();
    let vendor = r.vendor_member == Some(s.viewer.member.id);
    // The vendor answers itself; curators record what an outside vendor sent.
    let answers = s.viewer.ensure_can_act().is_ok()
        && !matches!(r.status.as_str(), "fixed" | "no_fix")
        && (vendor || (curator && r.vendor_member.is_none()));
    let here = format!("{HERE}/{}", r.id);
    let body = html! {
        @match ok {
            Some("opened") => (flash(lang.t("vendor_opened"))),
            Some("updated") => (flash(lang.t("vendor_updated_ok"))),
            _ => {}
        }
        dl.pairs {
            dt { "CVE" } dd { code { (r.cve) } }
            dt { (lang.t("vendor_col")) } dd { (r.vendor_name) @if let Some(e) = &r.contact_email { " <" (e) ">" } }
            dt { (lang.t("vendor_product")) } dd { (r.product) }
            dt { (lang.t("col_status")) } dd #vendor-status { (vendor_status(lang, &r.status)) }
            @if let Some(d) = &r.planned_fix_date { dt { (lang.t("vendor_planned")) } dd { (d) } }
            @if let Some(v) = &r.fixed_version { dt { (lang.t("vendor_fixed_version")) } dd { code { (v) } } }
        }
        section.card aria-labelledby="h-message" {
            h2 #h-message { (lang.t("vendor_message")) }
            p.text { (r.message) }
        }
        section aria-labelledby="h-history" {
            h2 #h-history { (lang.t("vendor_history")) }
            ol.history #vendor-history { @for u in &r.history {
                li { span.muted { (jst(u.at)) " · " (u.by) } " — " strong { (vendor_status(lang, &u.status)) } @if !u.text.is_empty() { br; (u.text) } }
            } }
        }
        @if answers {
            section aria-labelledby="h-answer" {
                h2 #h-answer { (lang.t(if vendor { "vendor_answer" } else { "vendor_record" })) }
                form.card #vendor-update method="post" action={ (here) "/updates" } {
                    (csrf(s))
                    @if let Some(e) = error { p.error #update-error role="alert" { (e) } }
                    p {
                        label for="status" { (lang.t("col_status")) }
                        select #status name="status" {
                            @for st in ["acknowledged", "fix_planned", "fixed", "no_fix"] { option value=(st) selected[f.text("status") == st] { (vendor_status(lang, st)) } }
                        }
                    }
                    p {
                        label for="planned_fix_date" { (lang.t("vendor_planned")) }
                        input #planned_fix_date type="date" name="planned_fix_date" value=(f.text("planned_fix_date"));
                    }
                    p {
                        label for="fixed_version" { (lang.t("vendor_fixed_version")) }
                        input #fixed_version type="text" name="fixed_version" value=(f.text("fixed_version")) maxlength="200";
                    }
                    p {
                        label for="text" { (lang.t("vendor_text")) }
                        textarea #text name="text" rows="3" maxlength="10000" { (f.text("text")) }
                    }
                    p { button.primary type="submit" { (lang.t("vendor_send")) } }
                }
            }
        } @else if let Some(e) = error {
            p.error role="alert" { (e) }
        }
        p { a href=(HERE) { (lang.t("back_to_vendor_requests")) } }
    };
    Ok(layout::page_status(
        s,
        &here,
        &format!("{} — {}", r.cve, r.vendor_name),
        body,
        status,
    ))
}

/// `GET /portal/vendor-requests/{id}`.
pub async fn detail(
    State(state): State<AppState>,
    s: Session,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> PortalResult {
    render_one(
        &state,
        &s,
        &id,
        &FormData::default(),
        None,
        done.ok.as_deref(),
        StatusCode::OK,
    )
    .await
}

/// `POST /portal/vendor-requests/{id}/updates`: the vendor's answer, or one a curator
/// received by e-mail.
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted(s, f): Posted,
) -> PortalResult {
    let opt = |name: &str| Some(f.text(name).trim().to_owned()).filter(|v| !v.is_empty());
    let form = VendorUpdateForm {
        status: f.text("status").to_owned(),
        text: f.text("text").to_owned(),
        planned_fix_date: opt("planned_fix_date"),
        fixed_version: opt("fixed_version"),
    };
    match api_update(
        State(state.clone()),
        Auth(s.viewer.clone()),
        Path(id.clone()),
        ApiJson(form),
    )
    .await
    {
        Ok(_) => Ok(see_other(&format!("{HERE}/{id}?ok=updated"))),
        Err(e) => match form_refusal(&e) {
            Some(status) => {
                render_one(&state, &s, &id, &f, Some(&api_message(&e)), None, status).await
            }
            None => Err(e.into()),
        },
    }
}
