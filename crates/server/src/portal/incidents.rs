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
    Deadline, IncidentForm, IncidentKind, IncidentView, Purpose, Regime, Stage, Tristate,
};
use tsunagu_core::member::SpecialRole;

use super::i18n::{JST, Lang, jst};
use super::layout::{self, csrf, flash};
use super::{FormData, PortalError, PortalResult, Posted, Session, api_message, see_other};
use crate::AppState;
use crate::api::incidents::{get_one, list as api_list, open, overdue as api_overdue};
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
    let mut resp = layout::page(s, "/portal/incidents/new", lang.t("new_incident"), body);
    *resp.status_mut() = status;
    resp
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

/// `GET /portal/incidents/{id}`: the incident with the reports the user may read (the
/// API's; 404 for anyone it was not routed to).
#[allow(clippy::too_many_lines)]
pub async fn detail(
    State(state): State<AppState>,
    s: Session,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> PortalResult {
    let lang = s.lang;
    let Json(i) = get_one(State(state), Auth(s.viewer.clone()), Path(id))
        .await
        .map_err(PortalError::from)?;
    let body = html! {
        @if done.ok.as_deref() == Some("opened") { (flash(lang.t("incident_opened"))) }
        dl.pairs {
            dt { (lang.t("col_reporter")) } dd { (i.reporter_name) " · " (lang.sector(i.reporter_sector)) }
            dt { (lang.t("col_kind")) } dd { (kind(lang, i.kind)) }
            dt { (lang.t("regime")) } dd { (i.regime.as_str().to_uppercase()) }
            dt { (lang.t("aware_at")) } dd { (jst(i.aware_at)) }
            dt { (lang.t("col_latest_stage")) } dd { (stage(lang, i.latest_stage)) }
            dt { (lang.t("consent_to_share")) } dd { @if i.consent_to_share { (lang.t("yes")) } @else { (lang.t("no")) } }
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
    };
    Ok(layout::page(
        &s,
        &format!("/portal/incidents/{}", i.id),
        &i.title,
        body,
    ))
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
