//! `/portal/incidents`: the member's incidents with their deadline clocks (what is due
//! when, overdue in red), the quick initial report (速報) with its required fields, and
//! one incident with the reports the user may read — all through the API's handlers,
//! so a report reaches only the secretariat and the regulators of the reporter's
//! sector, everyone else gets 404, and every read by a recipient is audited. The
//! secretariat and the regulators also see what was routed to them and what is overdue.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use serde_json::json;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};
use tsunagu_core::incident::{
    DDOS_TECHNIQUES, Deadline, IncidentForm, IncidentKind, IncidentView, Purpose, Regime,
    ReportForm, ShareRequest, Stage, Tristate,
};
use tsunagu_core::indicator::Tlp;
use tsunagu_core::member::{MemberClass, SpecialRole};
use tsunagu_core::scope::Scope;

use super::i18n::{JST, Lang, jst};
use super::items::checkbox;
use super::layout::{self, csrf, flash};
use super::{FormData, PortalError, PortalResult, Posted, Session, api_message, see_other};
use crate::AppState;
use crate::api::incidents::{
    Consent, consent as api_consent, get_one, list as api_list, open, overdue as api_overdue,
    report as api_report, share as api_share,
};
use crate::error::ApiError;
use crate::extract::{ApiJson, Auth};

fn stage(lang: Lang, s: Stage) -> &'static str {
    lang.t(match s {
        Stage::Initial => "stage_initial",
        Stage::Notification => "stage_notification",
        Stage::Update => "stage_update",
        Stage::Final => "stage_final",
    })
}

fn kind(lang: Lang, k: IncidentKind) -> &'static str {
    lang.t(match k {
        IncidentKind::Ransomware => "incident_ransomware",
        IncidentKind::Ddos => "incident_ddos",
        IncidentKind::Other => "incident_other",
    })
}

fn purpose(lang: Lang, p: Purpose) -> &'static str {
    lang.t(match p {
        Purpose::IncidentResponse => "purpose_incident_response",
        Purpose::Statistics => "purpose_statistics",
        Purpose::Regulatory => "purpose_regulatory",
        Purpose::SharingWithConsent => "purpose_sharing_with_consent",
    })
}

fn tristate(lang: Lang, t: Tristate) -> &'static str {
    lang.t(match t {
        Tristate::Yes => "yes",
        Tristate::No => "no",
        Tristate::Unknown => "unknown",
    })
}

/// One deadline: the stage, when it is due, and whether it came (overdue in red).
fn clock(lang: Lang, d: &Deadline) -> Markup {
    html! {
        li class=[d.overdue.then_some("overdue")] {
            strong { (stage(lang, d.stage)) } " "
            (lang.t("due_at")) " " span.nowrap { (jst(d.due_at)) } " — "
            @if d.overdue {
                span.badge.overdue { (lang.t("overdue")) }
            } @else if let Some(at) = d.submitted_at {
                span.badge.ok { (lang.t("submitted")) } " " span.muted { (jst(at)) }
                @if d.late { " " span.badge.warn { (lang.t("late")) } }
            } @else {
                span.badge { (lang.t("not_yet_due")) }
            }
        }
    }
}

fn table(lang: Lang, id: &str, rows: &[&IncidentView], reporter_column: bool) -> Markup {
    html! {
        div.table-wrap { table id=(id) {
            thead { tr {
                th scope="col" { (lang.t("col_title")) }
                @if reporter_column { th scope="col" { (lang.t("col_reporter")) } }
                th scope="col" { (lang.t("col_kind")) }
                th scope="col" { (lang.t("col_latest_stage")) }
                th scope="col" { (lang.t("col_deadlines")) }
            } }
            tbody {
                @for i in rows {
                    tr class=[i.overdue.then_some("overdue")] {
                        td { a href={ "/portal/incidents/" (i.id) } { (i.title) } }
                        @if reporter_column { td { (i.reporter_name) } }
                        td { (kind(lang, i.kind)) }
                        td { (stage(lang, i.latest_stage)) }
                        td { ul.clocks { @for d in &i.deadlines { (clock(lang, d)) } } }
                    }
                }
            }
        } }
    }
}

fn is_recipient_role(s: &Session) -> bool {
    let m = &s.viewer.member;
    m.has_role(SpecialRole::Secretariat) || m.has_role(SpecialRole::Regulator)
}

/// `GET /portal/incidents`.
pub async fn list(State(state): State<AppState>, s: Session) -> PortalResult {
    let lang = s.lang;
    let Json(all) = api_list(State(state.clone()), Auth(s.viewer.clone())).await?;
    let me = s.viewer.member.id;
    let mine: Vec<&IncidentView> = all.iter().filter(|i| i.reporter == me).collect();
    let received: Vec<&IncidentView> = all.iter().filter(|i| i.reporter != me).collect();
    let overdue = if is_recipient_role(&s) {
        let Json(o) = api_overdue(State(state.clone()), Auth(s.viewer.clone())).await?;
        Some(o)
    } else {
        None
    };
    let body = html! {
        @if s.viewer.ensure_can_act().is_ok() {
            p { a.button href="/portal/incidents/new" { (lang.t("new_incident")) } }
        }
        section aria-labelledby="h-mine" {
            h2 #h-mine { (lang.t("my_incidents")) }
            @if mine.is_empty() {
                p.muted { (lang.t("no_incidents")) }
            } @else {
                (table(lang, "my-incidents", &mine, false))
            }
        }
        @if is_recipient_role(&s) || !received.is_empty() {
            section aria-labelledby="h-received" {
                h2 #h-received { (lang.t("incidents_received")) }
                @if received.is_empty() {
                    p.muted { (lang.t("no_incidents")) }
                } @else {
                    (table(lang, "received-incidents", &received, true))
                }
            }
        }
        @if let Some(o) = &overdue {
            section aria-labelledby="h-overdue" {
                h2 #h-overdue { (lang.t("incidents_overdue")) " " span.count { (o.len()) } }
                @if o.is_empty() {
                    p.muted { (lang.t("no_overdue_incidents")) }
                } @else {
                    (table(lang, "overdue-incidents", &o.iter().collect::<Vec<_>>(), true))
                }
            }
        }
    };
    Ok(layout::page(
        &s,
        "/portal/incidents",
        lang.t("incidents_title"),
        body,
    ))
}

const LOCAL: &[time::format_description::BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]");

/// A `datetime-local` value, read as JST.
pub(super) fn parse_local(s: &str) -> Option<OffsetDateTime> {
    let s = s.trim();
    let s = s.get(..16).unwrap_or(s);
    PrimitiveDateTime::parse(s, LOCAL)
        .ok()
        .map(|t| t.assume_offset(JST))
}

fn local_now() -> String {
    OffsetDateTime::now_utc()
        .to_offset(JST)
        .format(LOCAL)
        .unwrap_or_default()
}

#[allow(clippy::too_many_lines)]
fn new_page(s: &Session, f: &FormData, error: Option<&str>, status: StatusCode) -> Response {
    let lang = s.lang;
    let radio = |name: &'static str, value: &'static str, label: &str| {
        let id = format!("{name}-{value}");
        html! {
            span.check {
                input id=(id) type="radio" name=(name) value=(value) required checked[f.text(name) == value];
                label for=(id) { (label) }
            }
        }
    };
    let body = html! {
        p.intro { (lang.t("new_incident_intro")) }
        @if let Some(e) = error { p.error #incident-error role="alert" { (e) } }
        form.item-form method="post" action="/portal/incidents" {
            (csrf(s))
            fieldset {
                legend { (lang.t("incident_about")) }
                p { label for="title" { (lang.t("title")) } input #title type="text" name="title" value=(f.text("title")) required maxlength="300"; }
                p {
                    label for="kind" { (lang.t("col_kind")) }
                    select #kind name="kind" {
                        @for k in IncidentKind::ALL { option value=(k.as_str()) selected[f.text("kind") == k.as_str()] { (kind(lang, *k)) } }
                    }
                }
                p {
                    label for="regime" { (lang.t("regime")) }
                    select #regime name="regime" {
                        @for r in Regime::ALL { option value=(r.as_str()) selected[f.text("regime") == r.as_str()] { (r.as_str().to_uppercase()) } }
                    }
                }
                p {
                    label for="purpose" { (lang.t("purpose")) }
                    select #purpose name="purpose" {
                        @for p in Purpose::ALL { option value=(p.as_str()) selected[f.text("purpose") == p.as_str()] { (purpose(lang, *p)) } }
                    }
                }
            }
            fieldset {
                legend { (lang.t("initial_report_required")) }
                p {
                    label for="aware_at" { (lang.t("aware_at")) }
                    input #aware_at type="datetime-local" name="aware_at" value=(f.text("aware_at")) required aria-describedby="aware-hint";
                    span.hint #aware-hint { (lang.t("aware_at_hint")) }
                }
                p {
                    label for="affected" { (lang.t("affected")) }
                    textarea #affected name="affected" rows="3" required { (f.text("affected")) }
                }
                fieldset.inline-group {
                    legend { (lang.t("suspected_malicious")) }
                    (radio("suspected_malicious", "yes", lang.t("yes")))
                    (radio("suspected_malicious", "no", lang.t("no")))
                    (radio("suspected_malicious", "unknown", lang.t("unknown")))
                }
                fieldset.inline-group {
                    legend { (lang.t("service_impact")) }
                    (radio("service_impact", "yes", lang.t("yes")))
                    (radio("service_impact", "no", lang.t("no")))
                }
            }
            p {
                span.check {
                    input #consent type="checkbox" name="consent_to_share" value="1" checked[f.checked("consent_to_share")];
                    label for="consent" { (lang.t("consent_to_share")) }
                }
            }
            p.submit { button.primary type="submit" { (lang.t("submit_initial_report")) } }
        }
    };
    layout::page_status(
        s,
        "/portal/incidents/new",
        lang.t("new_incident"),
        body,
        status,
    )
}

/// `GET /portal/incidents/new`.
pub async fn new_form(s: Session) -> PortalResult {
    s.viewer.ensure_can_act().map_err(ApiError::from)?;
    let f = FormData(vec![
        ("aware_at".into(), local_now()),
        ("purpose".into(), "incident_response".into()),
    ]);
    Ok(new_page(&s, &f, None, StatusCode::OK))
}

/// `POST /portal/incidents`: opens the incident with its initial report, through the
/// API's handler; a refusal is shown in the form, the values kept.
pub async fn submit(State(state): State<AppState>, Posted(s, f): Posted) -> PortalResult {
    let refuse = |msg: &str| {
        Ok(new_page(
            &s,
            &f,
            Some(msg),
            StatusCode::UNPROCESSABLE_ENTITY,
        ))
    };
    let Some(aware_at) = parse_local(f.text("aware_at")) else {
        return refuse(&format!("aware_at: {}", s.lang.t("aware_at_hint")));
    };
    let aware_at = aware_at
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let service_impact = match f.text("service_impact") {
        "yes" => json!(true),
        "no" => json!(false),
        _ => json!(null),
    };
    let opt = |name: &str| {
        Some(f.text(name))
            .filter(|v| !v.is_empty())
            .map_or(json!(null), |v| json!(v))
    };
    let form = json!({
        "title": f.text("title"),
        "kind": f.text("kind"),
        "regime": f.text("regime"),
        "consent_to_share": f.checked("consent_to_share"),
        "report": {
            "stage": "initial",
            "purpose": opt("purpose"),
            "aware_at": aware_at,
            "affected": f.text("affected"),
            "suspected_malicious": opt("suspected_malicious"),
            "service_impact": service_impact,
        }
    });
    let form: IncidentForm = match serde_json::from_value(form) {
        Ok(form) => form,
        Err(e) => return refuse(&e.to_string()),
    };
    match open(State(state), Auth(s.viewer.clone()), ApiJson(form)).await {
        Ok((_, Json(i))) => Ok(see_other(&format!("/portal/incidents/{}?ok=opened", i.id))),
        Err(e @ ApiError::Unprocessable(_)) => refuse(&api_message(&e)),
        Err(e) => Err(e.into()),
    }
}

/// `?ok=` after an action.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Done {
    /// Which action succeeded.
    pub ok: Option<String>,
}

fn pair(label: &str, value: &str) -> Markup {
    html! {
        @if !value.is_empty() { dt { (label) } dd.text { (value) } }
    }
}

/// Which form on the incident's page a refusal belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    Report,
    Share,
}

/// The incident's page: the reports the user may read (the API's; 404 for anyone it
/// was not routed to); for the reporter the next report, its consent and sharing; for
/// the coordinator, sharing once the reporter consented.
#[allow(clippy::too_many_lines)]
async fn render_detail(
    state: &AppState,
    s: &Session,
    id: &str,
    f: &FormData,
    refused: Option<(Form, String)>,
    ok: Option<&str>,
    status: StatusCode,
) -> PortalResult<Response> {
    let lang = s.lang;
    let Json(i) = get_one(
        State(state.clone()),
        Auth(s.viewer.clone()),
        Path(id.to_owned()),
    )
    .await
    .map_err(PortalError::from)?;
    let can_act = s.viewer.ensure_can_act().is_ok();
    let reporter = i.reporter == s.viewer.member.id && can_act;
    let may_share = i.shared_item.is_none()
        && can_act
        && (reporter || (i.consent_to_share && s.viewer.member.has_role(SpecialRole::Coordinator)));
    let error_for = |which: Form| {
        refused
            .as_ref()
            .filter(|(w, _)| *w == which)
            .map(|(_, e)| e.as_str())
    };
    let here = format!("/portal/incidents/{}", i.id);
    let body = html! {
        @match ok {
            Some("opened") => (flash(lang.t("incident_opened"))),
            Some("reported") => (flash(lang.t("incident_reported"))),
            Some("consent") => (flash(lang.t("incident_consent_saved"))),
            _ => {}
        }
        dl.pairs {
            dt { (lang.t("col_reporter")) } dd { (i.reporter_name) " · " (lang.sector(i.reporter_sector)) }
            dt { (lang.t("col_kind")) } dd { (kind(lang, i.kind)) }
            dt { (lang.t("regime")) } dd { (i.regime.as_str().to_uppercase()) }
            dt { (lang.t("aware_at")) } dd { (jst(i.aware_at)) }
            dt { (lang.t("col_latest_stage")) } dd { (stage(lang, i.latest_stage)) }
            dt { (lang.t("consent_to_share")) } dd { @if i.consent_to_share { (lang.t("yes")) } @else { (lang.t("no")) } }
            @if let Some(item) = i.shared_item {
                dt { (lang.t("incident_shared_as")) } dd { a href={ "/portal/items/" (item) } { (lang.t("incident_shared_item")) } }
            }
        }
        @if reporter {
            form.inline #consent-form method="post" action={ (here) "/consent" } {
                (csrf(s))
                input type="hidden" name="consent_to_share" value=(if i.consent_to_share { "0" } else { "1" });
                button.secondary type="submit" { (lang.t(if i.consent_to_share { "consent_withdraw" } else { "consent_give" })) }
            }
        }
        section.card #clocks aria-labelledby="h-clocks" {
            h2 #h-clocks { (lang.t("col_deadlines")) }
            ul.clocks { @for d in &i.deadlines { (clock(lang, d)) } }
        }
        @for r in &i.reports {
            section.card.report id={ "report-" (r.version) } aria-labelledby={ "h-report-" (r.version) } {
                h2 id={ "h-report-" (r.version) } { (stage(lang, r.content.stage)) " (v" (r.version) ")" }
                p.meta {
                    (lang.t("submitted")) " " (jst(r.submitted_at)) " · " (lang.t("routed_to")) ": "
                    @for (n, to) in r.routed_to.iter().enumerate() {
                        @if n > 0 { ", " }
                        (lang.t(if to.role.as_str() == "secretariat" { "role_secretariat" } else { "role_regulator" }))
                    }
                }
                dl.pairs {
                    dt { (lang.t("purpose")) } dd { (purpose(lang, r.content.purpose)) }
                    (pair(lang.t("purpose_text"), &r.content.purpose_text))
                    @if let Some(a) = r.content.aware_at { dt { (lang.t("aware_at")) } dd { (jst(a)) } }
                    (pair(lang.t("affected"), &r.content.affected))
                    @if let Some(m) = r.content.suspected_malicious { dt { (lang.t("suspected_malicious")) } dd { (tristate(lang, m)) } }
                    @if let Some(x) = r.content.service_impact { dt { (lang.t("service_impact")) } dd { @if x { (lang.t("yes")) } @else { (lang.t("no")) } } }
                    @if let Some(m) = r.content.cross_border { dt { (lang.t("cross_border")) } dd { (tristate(lang, m)) } }
                    (pair(lang.t("summary"), &r.content.summary))
                    (pair(lang.t("cause"), &r.content.cause))
                    (pair(lang.t("intrusion_method"), &r.content.intrusion_method))
                    (pair(lang.t("damage"), &r.content.damage))
                    (pair(lang.t("measures"), &r.content.measures))
                    @if !r.content.techniques.is_empty() {
                        dt { (lang.t("techniques")) } dd { @for t in &r.content.techniques { code { (t.as_str()) } " " } }
                    }
                    @if !r.content.indicators.is_empty() {
                        dt { (lang.t("indicators")) } dd { @for x in &r.content.indicators { (x.kind().as_str()) " " code.ioc { (x.value()) } br; } }
                    }
                }
            }
        }
        @if reporter {
            (report_form(s, &i, f, error_for(Form::Report)))
        }
        @if may_share {
            (share_form(s, &i, f, error_for(Form::Share)))
        }
    };
    Ok(layout::page_status(s, &here, &i.title, body, status))
}

/// `GET /portal/incidents/{id}`.
pub async fn detail(
    State(state): State<AppState>,
    s: Session,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> PortalResult {
    render_detail(
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

fn choice(f: &FormData, name: &'static str, value: &'static str, label: &str) -> Markup {
    let id = format!("{name}-{value}");
    html! {
        span.check {
            input id=(id) type="radio" name=(name) value=(value) checked[f.text(name) == value];
            label for=(id) { (label) }
        }
    }
}

/// The next report: a notification, an update or the final report, with the kind's
/// own part for the final report of a ransomware or DDoS incident.
fn report_form(s: &Session, i: &IncidentView, f: &FormData, error: Option<&str>) -> Markup {
    let lang = s.lang;
    let text = |name: &'static str, rows: u8| {
        html! {
            p {
                label for=(name) { (lang.t(name)) }
                textarea id=(name) name=(name) rows=(rows) { (f.text(name)) }
            }
        }
    };
    html! {
        section aria-labelledby="h-next-report" {
            h2 #h-next-report { (lang.t("next_report")) }
            form.card.item-form #report-form method="post" action={ "/portal/incidents/" (i.id) "/reports" } {
                (csrf(s))
                @if let Some(e) = error { p.error #report-error role="alert" { (e) } }
                p {
                    label for="stage" { (lang.t("report_stage")) }
                    select #stage name="stage" {
                        @for st in &Stage::ALL[1..] { option value=(st.as_str()) selected[f.text("stage") == st.as_str()] { (stage(lang, *st)) } }
                    }
                }
                p {
                    label for="report-purpose" { (lang.t("purpose")) }
                    select #report-purpose name="purpose" {
                        @for p in Purpose::ALL { option value=(p.as_str()) selected[f.text("purpose") == p.as_str()] { (purpose(lang, *p)) } }
                    }
                }
                (text("summary", 4))
                fieldset {
                    legend { (lang.t("final_report_part")) }
                    p.hint { (lang.t("final_report_hint")) }
                    (text("cause", 3))
                    (text("intrusion_method", 2))
                    (text("damage", 3))
                    (text("measures", 3))
                    p {
                        label for="techniques" { (lang.t("techniques")) }
                        input #techniques type="text" name="techniques" value=(f.text("techniques")) placeholder="T1486 T1566.001";
                    }
                    p {
                        label for="report-indicators" { (lang.t("indicators")) }
                        textarea #report-indicators name="indicators" rows="3" aria-describedby="report-ioc-hint" { (f.text("indicators")) }
                        span.hint #report-ioc-hint { (lang.t("indicators_help")) }
                    }
                    fieldset.inline-group {
                        legend { (lang.t("service_level_deviation")) }
                        (choice(f, "service_level_deviation", "yes", lang.t("yes")))
                        (choice(f, "service_level_deviation", "no", lang.t("no")))
                    }
                    @if i.kind == IncidentKind::Ransomware {
                        fieldset {
                            legend { (lang.t("ransomware_part")) }
                            (text("ransom_note", 3))
                            p { label for="encrypted_extension" { (lang.t("encrypted_extension")) } input #encrypted_extension type="text" name="encrypted_extension" value=(f.text("encrypted_extension")); }
                            p { label for="family" { (lang.t("family")) } input #family type="text" name="family" value=(f.text("family")); }
                            p { label for="intrusion_route" { (lang.t("intrusion_route")) } input #intrusion_route type="text" name="intrusion_route" value=(f.text("intrusion_route")); }
                        }
                    }
                    @if i.kind == IncidentKind::Ddos {
                        fieldset {
                            legend { (lang.t("ddos_part")) }
                            p {
                                label for="ddos_technique" { (lang.t("ddos_technique")) }
                                select #ddos_technique name="ddos_technique" {
                                    option value="" { "—" }
                                    @for t in DDOS_TECHNIQUES { option value=(t) selected[f.text("ddos_technique") == *t] { (t) } }
                                }
                            }
                            p { label for="peak_gbps" { (lang.t("peak_gbps")) } input #peak_gbps type="number" step="any" min="0" name="peak_gbps" value=(f.text("peak_gbps")); }
                            p { label for="peak_pps" { (lang.t("peak_pps")) } input #peak_pps type="number" min="0" name="peak_pps" value=(f.text("peak_pps")); }
                            p { label for="duration_minutes" { (lang.t("duration_minutes")) } input #duration_minutes type="number" min="0" name="duration_minutes" value=(f.text("duration_minutes")); }
                        }
                    }
                }
                p.submit { button.primary type="submit" { (lang.t("submit_report")) } }
            }
        }
    }
}

/// Sharing the incident as an anonymised item: the reporter, or the coordinator once
/// the reporter consented.
fn share_form(s: &Session, i: &IncidentView, f: &FormData, error: Option<&str>) -> Markup {
    let lang = s.lang;
    html! {
        section aria-labelledby="h-share-incident" {
            h2 #h-share-incident { (lang.t("share_incident")) }
            form.card #share-form method="post" action={ "/portal/incidents/" (i.id) "/share" } {
                (csrf(s))
                @if let Some(e) = error { p.error #share-error role="alert" { (e) } }
                p.hint { (lang.t("share_incident_hint")) }
                p {
                    label for="share-title" { (lang.t("title")) }
                    input #share-title type="text" name="title" value=(f.text("title")) maxlength="300" placeholder=(lang.t("share_title_default"));
                }
                fieldset.inline-group {
                    legend { (lang.t("scope_classes")) }
                    @for c in MemberClass::ALL { (checkbox(&format!("class.{}", c.as_str()), lang.class(c), f)) }
                }
                p {
                    label for="share-tlp" { (lang.t("tlp")) }
                    select #share-tlp name="tlp" {
                        @for t in &Tlp::ALL[..4] { option value=(t.as_str()) selected[f.text("tlp") == t.as_str() || (f.text("tlp").is_empty() && *t == Tlp::Amber)] { "TLP:" (t.as_str().to_uppercase()) } }
                    }
                }
                p.submit { button.primary type="submit" { (lang.t("share_incident")) } }
            }
        }
    }
}

/// Turns the follow-up form into the API's report: only the fields given, so the API
/// names the first one the stage requires and is missing.
fn report_json(f: &FormData, kind: IncidentKind) -> serde_json::Value {
    let opt = |name: &str| {
        Some(f.text(name).trim())
            .filter(|v| !v.is_empty())
            .map_or(json!(null), |v| json!(v))
    };
    let number = |name: &str| {
        f.text(name)
            .trim()
            .parse::<f64>()
            .ok()
            .map_or(json!(null), |n| json!(n))
    };
    let whole = |name: &str| {
        f.text(name)
            .trim()
            .parse::<u64>()
            .ok()
            .map_or(json!(null), |n| json!(n))
    };
    let indicators: Vec<serde_json::Value> = f
        .text("indicators")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| match line.split_once(char::is_whitespace) {
            Some((t, v)) if tsunagu_core::indicator::IndicatorKind::parse(t).is_some() => {
                json!({"type": t, "value": v.trim()})
            }
            _ => json!({
                "type": tsunagu_core::indicator::guess_kind(line).map_or("", |k| k.as_str()),
                "value": line,
            }),
        })
        .collect();
    let mut report = json!({
        "stage": f.text("stage"),
        "purpose": opt("purpose"),
        "summary": f.text("summary"),
        "cause": f.text("cause"),
        "intrusion_method": f.text("intrusion_method"),
        "damage": f.text("damage"),
        "measures": f.text("measures"),
        "techniques": f.text("techniques").split([' ', ',']).filter(|t| !t.is_empty()).collect::<Vec<_>>(),
        "indicators": indicators,
        "service_level_deviation": match f.text("service_level_deviation") { "yes" => json!(true), "no" => json!(false), _ => json!(null) },
    });
    let part = |names: &[&str]| names.iter().any(|n| !f.text(n).trim().is_empty());
    if kind == IncidentKind::Ransomware
        && part(&[
            "ransom_note",
            "encrypted_extension",
            "family",
            "intrusion_route",
        ])
    {
        report["ransomware"] = json!({
            "ransom_note": f.text("ransom_note"), "encrypted_extension": f.text("encrypted_extension"),
            "family": f.text("family"), "intrusion_route": f.text("intrusion_route"),
        });
    }
    if kind == IncidentKind::Ddos
        && part(&[
            "ddos_technique",
            "peak_gbps",
            "peak_pps",
            "duration_minutes",
        ])
    {
        report["ddos"] = json!({
            "technique": opt("ddos_technique"), "peak_gbps": number("peak_gbps"),
            "peak_pps": whole("peak_pps"), "duration_minutes": whole("duration_minutes"),
        });
    }
    report
}

/// `POST /portal/incidents/{id}/reports`: the reporter's next report through the API;
/// a refusal is shown in the form with the values kept.
pub async fn add_report(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted(s, f): Posted,
) -> PortalResult {
    let Json(i) = get_one(
        State(state.clone()),
        Auth(s.viewer.clone()),
        Path(id.clone()),
    )
    .await?;
    let refuse = |msg: String, status| {
        let (state, s, f, id) = (state.clone(), s.clone(), f.clone(), id.clone());
        async move { render_detail(&state, &s, &id, &f, Some((Form::Report, msg)), None, status).await }
    };
    let form: ReportForm = match serde_json::from_value(report_json(&f, i.kind)) {
        Ok(form) => form,
        Err(e) => return refuse(e.to_string(), StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    match api_report(
        State(state.clone()),
        Auth(s.viewer.clone()),
        Path(id.clone()),
        ApiJson(form),
    )
    .await
    {
        Ok(_) => Ok(see_other(&format!("/portal/incidents/{id}?ok=reported"))),
        Err(e @ (ApiError::Unprocessable(_) | ApiError::Conflict(_) | ApiError::Forbidden(_))) => {
            let status = match e {
                ApiError::Conflict(_) => StatusCode::CONFLICT,
                ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            refuse(api_message(&e), status).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /portal/incidents/{id}/consent`: the reporter gives or withdraws its consent
/// to the coordinator sharing the incident anonymised.
pub async fn consent(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted(s, f): Posted,
) -> PortalResult {
    let req = Consent {
        consent_to_share: f.text("consent_to_share") == "1",
    };
    let Json(_) = api_consent(
        State(state),
        Auth(s.viewer.clone()),
        Path(id.clone()),
        ApiJson(req),
    )
    .await?;
    Ok(see_other(&format!("/portal/incidents/{id}?ok=consent")))
}

/// `POST /portal/incidents/{id}/share`: the incident as an anonymised item, through the
/// normal sharing path; to the new item's page.
pub async fn share(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted(s, f): Posted,
) -> PortalResult {
    let tlp = Tlp::ALL.into_iter().find(|t| t.as_str() == f.text("tlp"));
    let req = ShareRequest {
        scope: Scope {
            classes: MemberClass::ALL
                .into_iter()
                .filter(|c| f.checked(&format!("class.{}", c.as_str())))
                .collect(),
            ..Scope::default()
        },
        tlp,
        confidence: None,
        title: f.text("title").to_owned(),
        summary: String::new(),
    };
    match api_share(
        State(state.clone()),
        Auth(s.viewer.clone()),
        Path(id.clone()),
        ApiJson(req),
    )
    .await
    {
        Ok((_, Json(item))) => Ok(see_other(&format!("/portal/items/{}?ok=shared", item.id))),
        Err(e @ (ApiError::Unprocessable(_) | ApiError::Conflict(_))) => {
            let status = if matches!(e, ApiError::Conflict(_)) {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            render_detail(
                &state,
                &s,
                &id,
                &f,
                Some((Form::Share, api_message(&e))),
                None,
                status,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_stage_kind_and_purpose_has_its_messages() {
        for lang in [Lang::Ja, Lang::En] {
            let names = Stage::ALL
                .iter()
                .map(|s| stage(lang, *s))
                .chain(IncidentKind::ALL.iter().map(|k| kind(lang, *k)))
                .chain(Purpose::ALL.iter().map(|p| purpose(lang, *p)))
                .chain(Tristate::ALL.iter().map(|t| tristate(lang, *t)));
            for n in names {
                assert!(!n.contains('_') && !n.is_empty(), "{n}");
            }
        }
    }

    #[test]
    fn aware_at_is_read_as_jst() {
        let t = parse_local("2026-11-29T09:30").unwrap();
        assert_eq!(t.to_offset(time::UtcOffset::UTC).hour(), 0);
        assert_eq!(
            parse_local("2026-11-29T09:30:15").unwrap().minute(),
            30,
            "seconds, when a browser sends them, are ignored"
        );
        assert_eq!(parse_local("yesterday"), None);
        assert!(parse_local(&local_now()).is_some());
    }
}
