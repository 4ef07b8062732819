//! `/portal/consultations`: the consultations the member may see (the API's list): its
//! own, and everybody's for class-1 task-force members and the coordinator; one
//! consultation as the API's view gives it, with the reply form for those the API
//! lets reply and closing for the asker; and the form to ask the class-1 group.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;
use tsunagu_core::consultation::{
    ConsultationAudience, ConsultationForm, ConsultationStatus, ReplyForm,
};
use tsunagu_core::indicator::{IndicatorKind, guess_kind};
use tsunagu_core::item::RawIndicator;

use super::i18n::jst;
use super::layout::{self, csrf, flash};
use super::settings::Done;
use super::{
    FormData, PortalError, PortalResult, Posted, Session, api_message, form_refusal, see_other,
};
use crate::AppState;
use crate::api::consultations::{
    ListParams, close as api_close, get_one as api_get, list as api_list, open as api_open,
    reply as api_reply,
};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, Auth};

/// `GET /portal/consultations`.
pub async fn list(State(state): State<AppState>, s: Session) -> PortalResult {
    let lang = s.lang;
    let Json(page) = api_list(
        State(state),
        Auth(s.viewer.clone()),
        ApiQuery(ListParams {
            status: None,
            cursor: None,
            limit: Some(100),
        }),
    )
    .await?;
    let body = html! {
        @if s.viewer.ensure_can_act().is_ok() {
            p { a.button href="/portal/consultations/new" { (lang.t("new_consultation")) } }
        }
        @if page.consultations.is_empty() {
            p.muted { (lang.t("no_consultations")) }
        } @else {
            div.table-wrap { table {
                thead { tr {
                    th scope="col" { (lang.t("col_subject")) }
                    th scope="col" { (lang.t("col_status")) }
                    th scope="col" { (lang.t("col_asked")) }
                    th.n scope="col" { (lang.t("col_replies")) }
                    th scope="col" { (lang.t("col_mine")) }
                } }
                tbody {
                    @for c in &page.consultations {
                        tr {
                            td { a href={ "/portal/consultations/" (c.id) } { (c.subject) } }
                            td { @if c.status == ConsultationStatus::Open { (lang.t("consultation_open")) } @else { (lang.t("consultation_closed")) } }
                            td.nowrap { (jst(c.created_at)) }
                            td.n { (c.replies.len()) }
                            td { @if c.mine { (lang.t("yes")) } @else { (lang.t("no")) } }
                        }
                    }
                }
            } }
        }
    };
    Ok(layout::page(
        &s,
        "/portal/consultations",
        lang.t("consultations_title"),
        body,
    ))
}

async fn render_detail(
    state: &AppState,
    s: &Session,
    id: &str,
    form: &FormData,
    error: Option<&str>,
    ok: Option<&str>,
    status: StatusCode,
) -> PortalResult<Response> {
    let lang = s.lang;
    let Json(c) = api_get(
        State(state.clone()),
        Auth(s.viewer.clone()),
        Path(id.to_owned()),
    )
    .await?;
    let asker = match c.asker {
        Some(m) if c.audience == ConsultationAudience::Coordinator => Some(
            state
                .store
                .member(m)
                .await?
                .map_or_else(|| m.to_string(), |m| m.pseudonym),
        ),
        _ => None,
    };
    let open = c.status == ConsultationStatus::Open;
    let can_act = s.viewer.ensure_can_act().is_ok();
    let may_reply = open && can_act && !c.mine && c.audience != ConsultationAudience::Asker;
    let here = format!("/portal/consultations/{}", c.id);
    let body = html! {
        @match ok {
            Some("asked") => (flash(lang.t("consultation_asked"))),
            Some("replied") => (flash(lang.t("consultation_replied"))),
            Some("closed") => (flash(lang.t("consultation_closed_ok"))),
            _ => {}
        }
        p.meta {
            @if open { span.badge.ok { (lang.t("consultation_open")) } } @else { span.badge { (lang.t("consultation_closed")) } }
            " · " (lang.t("col_asked")) ": " (jst(c.created_at))
            " · " (lang.t("consultation_via"))
            @if let Some(a) = &asker { " · " (lang.t("consultation_asker")) ": " (a) }
            @if c.mine { " · " (lang.t("consultation_mine")) }
        }
        section.card aria-labelledby="h-question" {
            h2 #h-question { (lang.t("consultation_question")) }
            p.text { (c.text) }
        }
        @if !c.indicators.is_empty() {
            section aria-labelledby="h-iocs" {
                h2 #h-iocs { (lang.t("indicators")) }
                div.table-wrap { table {
                    thead { tr { th scope="col" { (lang.t("indicator_type")) } th scope="col" { (lang.t("indicator_value")) } } }
                    tbody { @for i in &c.indicators { tr { td { (i.kind().as_str()) } td { code.ioc { (i.value()) } } } } }
                } }
            }
        }
        section aria-labelledby="h-replies" {
            h2 #h-replies { (lang.t("col_replies")) " " span.count { (c.replies.len()) } }
            @if c.replies.is_empty() {
                p.muted { (lang.t("no_replies")) }
            }
            @for r in &c.replies {
                article.card.reply {
                    p.meta {
                        strong { (r.responder) }
                        @if r.mine { " · " (lang.t("consultation_mine")) }
                        " · " (jst(r.at))
                    }
                    p.text { (r.text) }
                }
            }
        }
        @if may_reply {
            section aria-labelledby="h-reply" {
                h2 #h-reply { (lang.t("reply_title")) }
                form.card #reply method="post" action={ (here) "/reply" } {
                    (csrf(s))
                    @if let Some(e) = error { p.error #reply-error role="alert" { (e) } }
                    p {
                        label for="text" { (lang.t("reply_text")) }
                        textarea #text name="text" rows="5" required maxlength="20000" aria-describedby="reply-hint" aria-invalid=[error.map(|_| "true")] { (form.text("text")) }
                        span.hint #reply-hint { (lang.t("reply_hint")) }
                    }
                    p { button.primary type="submit" { (lang.t("reply_button")) } }
                }
            }
        } @else if let Some(e) = error {
            p.error role="alert" { (e) }
        }
        @if c.mine && open && can_act {
            form method="post" action={ (here) "/close" } {
                (csrf(s))
                button.secondary type="submit" { (lang.t("close_consultation")) }
            }
        }
        p { a href="/portal/consultations" { (lang.t("back_to_consultations")) } }
    };
    Ok(layout::page_status(s, &here, &c.subject, body, status))
}

/// `GET /portal/consultations/{id}`: the consultation as the API's view gives it to
/// the member (404 when it may not see it).
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

/// `POST /portal/consultations/{id}/reply`: the API's reply handler decides who may.
pub async fn reply(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted(s, f): Posted,
) -> PortalResult {
    let form = ReplyForm {
        text: f.text("text").to_owned(),
    };
    match api_reply(
        State(state.clone()),
        Auth(s.viewer.clone()),
        Path(id.clone()),
        ApiJson(form),
    )
    .await
    {
        Ok((_, Json(c))) => Ok(see_other(&format!(
            "/portal/consultations/{}?ok=replied",
            c.id
        ))),
        Err(e) => match form_refusal(&e) {
            Some(status) => {
                let msg = api_message(&e);
                render_detail(&state, &s, &id, &f, Some(&msg), None, status).await
            }
            None => Err(e.into()),
        },
    }
}

/// `POST /portal/consultations/{id}/close`: the API's close (the asker only).
pub async fn close(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted(s, _): Posted,
) -> PortalResult {
    let Json(c) = api_close(State(state), Auth(s.viewer.clone()), Path(id)).await?;
    Ok(see_other(&format!(
        "/portal/consultations/{}?ok=closed",
        c.id
    )))
}

fn new_page(s: &Session, f: &FormData, errors: &[String], status: StatusCode) -> Response {
    let lang = s.lang;
    let invalid = (!errors.is_empty()).then_some("true");
    let body = html! {
        @if !errors.is_empty() {
            div.error #ask-error role="alert" { ul { @for e in errors { li { (e) } } } }
        }
        p.intro { (lang.t("consultation_intro")) }
        form.card #ask method="post" action="/portal/consultations" {
            (csrf(s))
            p {
                label for="subject" { (lang.t("col_subject")) }
                input #subject type="text" name="subject" value=(f.text("subject")) required maxlength="200" aria-invalid=[invalid];
            }
            p {
                label for="text" { (lang.t("consultation_question")) }
                textarea #text name="text" rows="8" required maxlength="20000" aria-invalid=[invalid] { (f.text("text")) }
            }
            p {
                label for="indicators" { (lang.t("indicators")) }
                textarea #indicators name="indicators" rows="4" aria-describedby="indicators-help" spellcheck="false" { (f.text("indicators")) }
                small.hint #indicators-help { (lang.t("indicators_help")) }
            }
            p { button.primary type="submit" { (lang.t("ask_button")) } }
        }
    };
    layout::page_status(
        s,
        "/portal/consultations/new",
        lang.t("new_consultation"),
        body,
        status,
    )
}

/// `GET /portal/consultations/new`: the form to ask the class-1 group.
pub async fn new_form(s: Session) -> PortalResult {
    s.viewer.ensure_can_act().map_err(ApiError::from)?;
    Ok(new_page(&s, &FormData::default(), &[], StatusCode::OK))
}

/// `POST /portal/consultations`: asks through the API's handler; its refusal is
/// shown in the form, the values kept.
pub async fn ask(State(state): State<AppState>, Posted(s, f): Posted) -> PortalResult {
    let lang = s.lang;
    let mut errors = Vec::new();
    let mut indicators = Vec::new();
    for (n, line) in f.text("indicators").lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let typed = line
            .split_once(char::is_whitespace)
            .filter(|(t, _)| IndicatorKind::parse(t).is_some());
        let raw = match typed {
            Some((t, value)) => Some(RawIndicator {
                kind: t.to_owned(),
                value: value.trim().to_owned(),
            }),
            None => guess_kind(line).map(|k| RawIndicator {
                kind: k.as_str().to_owned(),
                value: line.to_owned(),
            }),
        };
        match raw {
            Some(r) => indicators.push(r),
            None => errors.push(format!(
                "{} {}: {line:?} — {}",
                lang.t("indicators"),
                n + 1,
                lang.t("indicators_help")
            )),
        }
    }
    if !errors.is_empty() {
        return Ok(new_page(&s, &f, &errors, StatusCode::UNPROCESSABLE_ENTITY));
    }
    let form = ConsultationForm {
        subject: f.text("subject").to_owned(),
        text: f.text("text").to_owned(),
        indicators,
    };
    match api_open(State(state), Auth(s.viewer.clone()), ApiJson(form)).await {
        Ok((_, Json(c))) => Ok(see_other(&format!(
            "/portal/consultations/{}?ok=asked",
            c.id
        ))),
        Err(e) => match form_refusal(&e) {
            Some(status) => Ok(new_page(&s, &f, &[api_message(&e)], status)),
            None => Err(PortalError::from(e)),
        },
    }
}
