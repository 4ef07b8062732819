//! Early-warning alerts: the list with the member's own receipt, one alert as its
//! recipient view with 確認 and 対応済み (the API's acknowledgement), the delivery
//! progress for its issuer and the coordinator (the API's progress), and the form
//! to issue one (the API's issue handler).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use maud::{PreEscaped, html};
use tsunagu_core::alert::{
    AlertForm, AlertStatus, AlertTarget, AlertView, Severity, ensure_issuer,
};
use tsunagu_core::member::{MemberClass, Sector};
use tsunagu_core::trends::bar_chart;
use tsunagu_store::Receipt;

use super::i18n::{Lang, jst};
use super::layout::{self, csrf, flash};
use super::{PortalError, PortalResult, Posted, Session, api_message, see_other};
use crate::AppState;
use crate::api::alerts::{
    Ack, AlertQuery, ack as api_ack, issue as api_issue, list as api_list, progress,
    withdraw as api_withdraw,
};
use crate::delivery::recipient_view;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, Auth};

const SEVERITIES: [Severity; 4] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
];

/// The member's receipt of an alert.
async fn my_receipt(state: &AppState, s: &Session, a: &AlertView) -> PortalResult<Receipt> {
    Ok(state
        .store
        .receipts(a.id)
        .await?
        .into_iter()
        .find(|r| r.member == s.viewer.member.id)
        .unwrap_or_default())
}

fn receipt_label(lang: Lang, r: &Receipt) -> maud::Markup {
    html! {
        @if r.acted_at.is_some() { span.badge.ok.receipt { (lang.t("receipt_acted")) } }
        @else if r.read_at.is_some() { span.badge.receipt { (lang.t("receipt_read")) } }
        @else { span.badge.warn.receipt { (lang.t("receipt_none")) } }
    }
}

fn severity_badge(lang: Lang, s: Severity) -> maud::Markup {
    html! { span class={ "sev sev-" (s.as_str()) } { (lang.severity(s)) } }
}

/// `?cursor=` of the list.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Page {
    /// The next page's cursor.
    pub cursor: Option<i64>,
}

/// `GET /portal/alerts`: the alerts the member received or issued (the API's list).
pub async fn list(
    State(state): State<AppState>,
    s: Session,
    Query(q): Query<Page>,
) -> PortalResult {
    let lang = s.lang;
    let Json(page) = api_list(
        State(state.clone()),
        Auth(s.viewer.clone()),
        ApiQuery(AlertQuery {
            cursor: q.cursor,
            limit: Some(50),
        }),
    )
    .await?;
    let mut rows = Vec::new();
    for a in page.alerts {
        let r = my_receipt(&state, &s, &a).await?;
        rows.push((a, r));
    }
    let body = html! {
        @if ensure_issuer(&s.viewer).is_ok() {
            p { a.button href="/portal/alerts/new" { (lang.t("new_alert")) } }
        }
        @if rows.is_empty() {
            p.muted { (lang.t("no_alerts")) }
        } @else {
            div.table-wrap { table {
                thead { tr {
                    th scope="col" { (lang.t("col_severity")) }
                    th scope="col" { (lang.t("col_title")) }
                    th scope="col" { (lang.t("col_issued")) }
                    th scope="col" { (lang.t("col_receipt")) }
                } }
                tbody {
                    @for (a, r) in &rows {
                        tr {
                            td { (severity_badge(lang, a.severity)) }
                            td {
                                a href={ "/portal/alerts/" (a.id) } { (a.title) }
                                @if a.status == AlertStatus::Withdrawn { " " span.badge.warn { (lang.t("withdrawn")) } }
                            }
                            td.nowrap { (jst(a.created_at)) }
                            td { (receipt_label(lang, r)) }
                        }
                    }
                }
            } }
            @if let Some(c) = page.next_cursor {
                nav.pager aria-label=(lang.t("next_page")) { a href={ "/portal/alerts?cursor=" (c) } rel="next" { (lang.t("next_page")) } }
            }
        }
    };
    Ok(layout::page(
        &s,
        "/portal/alerts",
        lang.t("alerts_title"),
        body,
    ))
}

/// `?ok=` after an action.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Done {
    /// Which action succeeded.
    pub ok: Option<String>,
}

/// `GET /portal/alerts/{id}`: the member's recipient view of the alert; the issuer and
/// the coordinator also see its delivery progress.
pub async fn detail(
    State(state): State<AppState>,
    s: Session,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> PortalResult {
    let lang = s.lang;
    let alert_id = id.parse().map_err(|_| PortalError::NotFound)?;
    let alert = state
        .store
        .alert(alert_id)
        .await?
        .ok_or(PortalError::NotFound)?;
    let a = recipient_view(&state, &alert, &s.viewer)
        .await?
        .ok_or(PortalError::NotFound)?;
    let r = my_receipt(&state, &s, &a).await?;
    let prog = if a.target.is_some() {
        match progress(
            State(state.clone()),
            Auth(s.viewer.clone()),
            Path(id.clone()),
        )
        .await
        {
            Ok(Json(p)) => Some(p),
            Err(ApiError::Forbidden(_)) => None,
            Err(e) => return Err(e.into()),
        }
    } else {
        None
    };
    let action = format!("/portal/alerts/{}/ack", a.id);
    let body = html! {
        @match done.ok.as_deref() {
            Some("issued") => (flash(lang.t("issued_ok"))),
            Some("ack") => (flash(lang.t("acked_ok"))),
            Some("withdrawn") => (flash(lang.t("withdrawn_ok"))),
            _ => {}
        }
        p.badges {
            (severity_badge(lang, a.severity))
            @if a.exercise { " " span.badge.exercise { (lang.t("exercise")) } }
            @if a.status == AlertStatus::Withdrawn { " " span.badge.warn { (lang.t("withdrawn")) } }
            " " (receipt_label(lang, &r))
        }
        p.meta { (lang.t("col_issued")) ": " (jst(a.created_at)) " · " (lang.t("revision")) " " (a.revision) " · " (lang.t("alert_via")) }
        section.card.action aria-labelledby="h-action" {
            h2 #h-action { (lang.t("action_required")) }
            p.text { (a.action_required) }
            @if a.deadline.is_some() || !a.deadline_text.is_empty() {
                p { strong { (lang.t("deadline_text")) ": " } @if let Some(d) = a.deadline { (jst(d)) " " } (a.deadline_text) }
            }
        }
        @if a.status == AlertStatus::Active && r.acted_at.is_none() {
            div.ack-buttons {
                @if r.read_at.is_none() {
                    form.inline method="post" action=(action) {
                        (csrf(&s))
                        input type="hidden" name="acted" value="0";
                        button.primary #ack type="submit" { (lang.t("ack_button")) }
                    }
                }
                form.inline method="post" action=(action) {
                    (csrf(&s))
                    input type="hidden" name="acted" value="1";
                    button.secondary #acted type="submit" { (lang.t("acted_button")) }
                }
            }
        }
        @if !a.body_executive.is_empty() { section { h2 { (lang.t("body_executive")) } p.text { (a.body_executive) } } }
        @if !a.body_analyst.is_empty() { section { h2 { (lang.t("body_analyst")) } p.text { (a.body_analyst) } } }
        @if !a.cves.is_empty() { section { h2 { (lang.t("cves")) } p { @for c in &a.cves { code { (c.as_str()) } " " } } } }
        @if !a.indicators.is_empty() {
            section { h2 { (lang.t("indicators")) } ul { @for i in &a.indicators { li { (i.kind().as_str()) " " code.ioc { (i.value()) } } } } }
        }
        @if !a.related_items.is_empty() {
            section { h2 { (lang.t("related_items")) } ul { @for i in &a.related_items { li { a href={ "/portal/items/" (i.id) } { (i.title) } } } } }
        }
        @if !a.affected_assets.is_empty() {
            section { h2 { (lang.t("affected_assets")) } ul { @for x in &a.affected_assets { li { (x.label) " — " code { (x.matched) } } } } }
        }
        @if let Some(p) = &prog {
            section.card #progress aria-labelledby="h-progress" {
                h2 #h-progress { (lang.t("progress")) }
                figure.chart #progress-chart {
                    (PreEscaped(bar_chart(lang.t("progress"), &[
                        (lang.t("delivered").to_owned(), p.total.delivered),
                        (lang.t("read").to_owned(), p.total.read),
                        (lang.t("acted").to_owned(), p.total.acted),
                    ], Some(p.total.targeted))))
                }
                div.table-wrap { table.counts {
                    thead { tr {
                        th scope="col" { (lang.t("part")) }
                        th.n scope="col" { (lang.t("targeted")) }
                        th.n scope="col" { (lang.t("delivered")) }
                        th.n scope="col" { (lang.t("read")) }
                        th.n scope="col" { (lang.t("acted")) }
                    } }
                    tbody {
                        tr.total { th scope="row" { (lang.t("total")) } td.n.targeted { (p.total.targeted) } td.n.delivered { (p.total.delivered) } td.n.read { (p.total.read) } td.n.acted { (p.total.acted) } }
                        @for (k, st) in &p.by_class {
                            tr { th scope="row" { (MemberClass::parse(k).map_or(k.as_str(), |c| lang.class(c))) } td.n { (st.targeted) } td.n { (st.delivered) } td.n { (st.read) } td.n { (st.acted) } }
                        }
                        @for (k, st) in &p.by_sector {
                            tr { th scope="row" { (Sector::parse(k).map_or(k.as_str(), |x| lang.sector(x))) } td.n { (st.targeted) } td.n { (st.delivered) } td.n { (st.read) } td.n { (st.acted) } }
                        }
                    }
                } }
                @if !p.deliveries.is_empty() {
                    p { strong { (lang.t("deliveries")) ": " } @for (k, n) in &p.deliveries { (k) " " (n) "  " } }
                }
                @if !p.not_reached.is_empty() {
                    p { strong { (lang.t("not_reached")) ": " } @for n in &p.not_reached { code { (n) } " " } }
                }
                @if p.not_reached_by_product > 0 {
                    p { (lang.t("not_reached_by_product")) ": " (p.not_reached_by_product) }
                }
            }
            @if a.status == AlertStatus::Active && s.viewer.ensure_can_act().is_ok() {
                form #withdraw-alert method="post" action={ "/portal/alerts/" (a.id) "/withdraw" } {
                    (csrf(&s))
                    p.hint { (lang.t("withdraw_hint")) }
                    button.danger type="submit" { (lang.t("withdraw_alert")) }
                }
            }
        }
    };
    Ok(layout::page(
        &s,
        &format!("/portal/alerts/{}", a.id),
        &a.title,
        body,
    ))
}

/// `POST /portal/alerts/{id}/ack`: 確認 (`acted=0`) or 対応済み (`acted=1`), through the
/// API's acknowledgement.
pub async fn ack(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted(s, f): Posted,
) -> PortalResult {
    let acted = f.text("acted") == "1";
    api_ack(
        State(state),
        Auth(s.viewer.clone()),
        Path(id.clone()),
        ApiJson(Ack { acted }),
    )
    .await?;
    Ok(see_other(&format!("/portal/alerts/{id}?ok=ack")))
}

fn new_page(
    s: &Session,
    f: &super::FormData,
    error: Option<&str>,
    status: StatusCode,
) -> axum::response::Response {
    let lang = s.lang;
    let v = |k: &str| f.text(k).to_owned();
    let check = |name: &str, label: &str| {
        let id = name.replace('.', "-");
        html! { span.check { input #(id) type="checkbox" name=(name) value="1" checked[f.checked(name)]; label for=(id) { (label) } } }
    };
    let body = html! {
        @if let Some(e) = error { p.error role="alert" { (e) } }
        form.item-form method="post" action="/portal/alerts" {
            (csrf(s))
            fieldset {
                legend { (lang.t("content")) }
                p { label for="title" { (lang.t("title")) } input #title type="text" name="title" value=(v("title")) required maxlength="300"; }
                p {
                    label for="severity" { (lang.t("col_severity")) }
                    select #severity name="severity" {
                        @for sev in SEVERITIES { option value=(sev.as_str()) selected[f.text("severity") == sev.as_str()] { (lang.severity(sev)) } }
                    }
                }
                p { label for="action_required" { (lang.t("action_required")) } textarea #action_required name="action_required" rows="3" required { (v("action_required")) } }
                p { label for="deadline_text" { (lang.t("deadline_text")) } input #deadline_text type="text" name="deadline_text" value=(v("deadline_text")) maxlength="200"; }
                p { label for="body_executive" { (lang.t("body_executive")) } textarea #body_executive name="body_executive" rows="3" { (v("body_executive")) } }
                p { label for="body_analyst" { (lang.t("body_analyst")) } textarea #body_analyst name="body_analyst" rows="3" { (v("body_analyst")) } }
                p { (check("exercise", lang.t("exercise_flag"))) }
            }
            fieldset.scope {
                legend { (lang.t("target")) }
                p { (check("target.all", lang.t("target_all"))) }
                fieldset.inline-group {
                    legend { (lang.t("target_classes")) }
                    @for c in MemberClass::ALL { (check(&format!("class.{}", c.as_str()), lang.class(c))) }
                }
                fieldset.inline-group.sectors {
                    legend { (lang.t("target_sectors")) }
                    @for x in Sector::ALL { (check(&format!("sector.{}", x.as_str()), lang.sector(*x))) }
                }
            }
            p.submit { button.primary type="submit" { (lang.t("issue_button")) } }
        }
    };
    layout::page_status(s, "/portal/alerts/new", lang.t("new_alert"), body, status)
}

/// `GET /portal/alerts/new`: the coordinator and designated alert issuers.
pub async fn new_form(s: Session) -> PortalResult {
    if ensure_issuer(&s.viewer).is_err() {
        return Err(ApiError::Forbidden(s.lang.t("only_issuers").to_owned()).into());
    }
    let f = super::FormData(vec![("severity".into(), "high".into())]);
    Ok(new_page(&s, &f, None, StatusCode::OK))
}

/// `POST /portal/alerts`: issues through the API's handler.
pub async fn issue(State(state): State<AppState>, Posted(s, f): Posted) -> PortalResult {
    let severity = SEVERITIES
        .into_iter()
        .find(|x| x.as_str() == f.text("severity"));
    let Some(severity) = severity else {
        return Ok(new_page(
            &s,
            &f,
            Some("severity: ?"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    };
    let form = AlertForm {
        title: f.text("title").to_owned(),
        severity,
        action_required: f.text("action_required").to_owned(),
        deadline: None,
        deadline_text: f.text("deadline_text").to_owned(),
        body_executive: f.text("body_executive").to_owned(),
        body_analyst: f.text("body_analyst").to_owned(),
        related_items: Vec::new(),
        cves: Vec::new(),
        indicators: Vec::new(),
        target: AlertTarget {
            all: f.checked("target.all"),
            classes: MemberClass::ALL
                .into_iter()
                .filter(|c| f.checked(&format!("class.{}", c.as_str())))
                .collect(),
            sectors: Sector::ALL
                .iter()
                .copied()
                .filter(|x| f.checked(&format!("sector.{}", x.as_str())))
                .collect(),
            ..AlertTarget::default()
        },
        exercise: f.checked("exercise"),
    };
    match api_issue(State(state), Auth(s.viewer.clone()), ApiJson(form)).await {
        Ok((_, Json(a))) => Ok(see_other(&format!("/portal/alerts/{}?ok=issued", a.id))),
        Err(e @ ApiError::Unprocessable(_)) => Ok(new_page(
            &s,
            &f,
            Some(&api_message(&e)),
            StatusCode::UNPROCESSABLE_ENTITY,
        )),
        Err(e) => Err(e.into()),
    }
}

/// `POST /portal/alerts/{id}/withdraw`: the issuer (or the coordinator) withdraws the
/// alert; the withdrawal reaches every recipient like the alert did.
pub async fn withdraw(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted(s, _): Posted,
) -> PortalResult {
    let Json(_) = api_withdraw(State(state), Auth(s.viewer.clone()), Path(id.clone())).await?;
    Ok(see_other(&format!("/portal/alerts/{id}?ok=withdrawn")))
}
