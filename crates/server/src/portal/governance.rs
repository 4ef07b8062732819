//! `/portal/governance`: the council's governance (M1.5, M1.6) through the API's
//! handlers. Declarations of a large-scale attack (the steering committee proposes,
//! confirms and ends them), requests for information (the coordinator sends them,
//! binding only under a declaration in force; addressees answer; the coordinator sees
//! who has not), and general-assembly votes (the secretariat opens them; each member
//! votes once through an admin and keeps a receipt; the tally and the bulletin board
//! after closing, with a chart).

use std::collections::BTreeSet;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{PreEscaped, html};
use tsunagu_core::governance::{
    AnswerForm, DeclarationForm, DeclarationStatus, RfiForm, RfiTarget, VoteForm,
};
use tsunagu_core::member::{MemberClass, SpecialRole};
use tsunagu_core::trends::bar_chart;
use tsunagu_core::user::UserRole;

use super::alerts::Done;
use super::i18n::jst;
use super::incidents::parse_local;
use super::items::checkbox;
use super::layout::{self, csrf, flash};
use super::{FormData, PortalResult, Posted, Session, api_message, form_refusal, see_other};
use crate::AppState;
use crate::api::governance::{
    BallotForm, BallotReceipt, confirm_declaration, create_answer, create_ballot, create_rfi,
    create_vote, end_declaration, get_rfi, get_vote, list_declarations, list_rfis, list_votes,
    propose_declaration, tracking,
};
use crate::error::ApiError;
use crate::extract::{ApiJson, Auth};

const HERE: &str = "/portal/governance";

fn committee(s: &Session) -> bool {
    s.viewer.member.is_active() && s.viewer.member.has_role(SpecialRole::Committee)
}

fn coordinator(s: &Session) -> bool {
    s.viewer.member.has_role(SpecialRole::Coordinator)
}

fn secretariat(s: &Session) -> bool {
    s.viewer.member.has_role(SpecialRole::Secretariat)
}

/// Which form on the page a refusal belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    Declaration,
    Rfi,
    Vote,
}

fn status_label(lang: super::i18n::Lang, s: DeclarationStatus) -> &'static str {
    lang.t(match s {
        DeclarationStatus::Proposed => "decl_proposed",
        DeclarationStatus::Lapsed => "decl_lapsed",
        DeclarationStatus::Scheduled => "decl_scheduled",
        DeclarationStatus::InForce => "decl_in_force",
        DeclarationStatus::Ended => "decl_ended",
    })
}

#[allow(clippy::too_many_lines)]
async fn render(
    state: &AppState,
    s: &Session,
    form: &FormData,
    refused: Option<(Form, String)>,
    ok: Option<&str>,
    status: StatusCode,
) -> PortalResult<Response> {
    let lang = s.lang;
    let auth = || Auth(s.viewer.clone());
    let Json(declarations) = list_declarations(State(state.clone()), auth()).await?;
    let Json(rfis) = list_rfis(State(state.clone()), auth()).await?;
    let Json(votes) = list_votes(State(state.clone()), auth()).await?;
    let can_act = s.viewer.ensure_can_act().is_ok();
    let error_for = |which: Form| {
        refused
            .as_ref()
            .filter(|(f, _)| *f == which)
            .map(|(_, e)| e.as_str())
    };
    let body = html! {
        @match ok {
            Some("proposed") => (flash(lang.t("decl_proposed_ok"))),
            Some("confirmed") => (flash(lang.t("decl_confirmed_ok"))),
            Some("ended") => (flash(lang.t("decl_ended_ok"))),
            _ => {}
        }
        p.intro { (lang.t("governance_intro")) }
        section aria-labelledby="h-declarations" {
            h2 #h-declarations { (lang.t("declarations_title")) }
            @if declarations.is_empty() {
                p.muted { (lang.t("no_declarations")) }
            } @else {
                div.table-wrap { table #declarations {
                    thead { tr {
                        th scope="col" { (lang.t("decl_reason")) }
                        th scope="col" { (lang.t("col_status")) }
                        th scope="col" { (lang.t("decl_period")) }
                        th.n scope="col" { (lang.t("decl_approvals")) }
                        @if committee(s) && can_act { th scope="col" { span.sr { (lang.t("col_actions")) } } }
                    } }
                    tbody { @for d in &declarations {
                        tr {
                            td { (d.reason) }
                            td { @if d.status == DeclarationStatus::InForce { span.badge.warn { (status_label(lang, d.status)) } } @else { (status_label(lang, d.status)) } }
                            td { (jst(d.starts_at)) " – " @if let Some(e) = d.ends_at { (jst(e)) } @else { (lang.t("decl_until_ended")) } }
                            td.n { (d.approvals) " / " (d.approvals_required) }
                            @if committee(s) && can_act {
                                td {
                                    @if d.status == DeclarationStatus::Proposed {
                                        form.inline method="post" action={ (HERE) "/declarations/" (d.id) "/confirm" } {
                                            (csrf(s)) button.secondary type="submit" { (lang.t("decl_confirm")) }
                                        }
                                    }
                                    @if matches!(d.status, DeclarationStatus::InForce | DeclarationStatus::Scheduled) {
                                        form.inline method="post" action={ (HERE) "/declarations/" (d.id) "/end" } {
                                            (csrf(s)) button.secondary type="submit" { (lang.t("decl_end")) }
                                        }
                                    }
                                }
                            }
                        }
                    } }
                } }
            }
            @if let Some(e) = error_for(Form::Declaration).filter(|_| !(committee(s) && can_act)) {
                p.error role="alert" { (e) }
            }
            @if committee(s) && can_act {
                form.card #propose-declaration method="post" action={ (HERE) "/declarations" } {
                    (csrf(s))
                    h3 { (lang.t("decl_propose")) }
                    @if let Some(e) = error_for(Form::Declaration) { p.error #declaration-error role="alert" { (e) } }
                    p.hint { (lang.t("decl_hint")) }
                    p {
                        label for="reason" { (lang.t("decl_reason")) }
                        textarea #reason name="reason" rows="3" required maxlength="4000" { (form.text("reason")) }
                    }
                    p {
                        label for="ends_at" { (lang.t("decl_ends_at")) }
                        input #ends_at type="datetime-local" name="ends_at" value=(form.text("ends_at"));
                    }
                    p { button.primary type="submit" { (lang.t("decl_propose")) } }
                }
            }
        }
        section aria-labelledby="h-rfis" {
            h2 #h-rfis { (lang.t("rfis_title")) }
            @if rfis.is_empty() {
                p.muted { (lang.t("no_rfis")) }
            } @else {
                div.table-wrap { table #rfis {
                    thead { tr {
                        th scope="col" { (lang.t("rfi_title")) }
                        th scope="col" { (lang.t("rfi_kind")) }
                        th scope="col" { (lang.t("rfi_sent_at")) }
                        th scope="col" { (lang.t("rfi_my_answers")) }
                    } }
                    tbody { @for r in &rfis {
                        tr {
                            td { a href={ (HERE) "/rfis/" (r.id) } { (r.title) } }
                            td { @if r.binding { span.badge.warn { (lang.t("rfi_binding")) } } @else { span.badge { (lang.t("rfi_voluntary")) } } }
                            td { (jst(r.created_at)) }
                            td {
                                @if let Some(n) = r.recipients { (n) " " (lang.t("rfi_recipients")) }
                                @else if r.my_answers.is_empty() { span.badge.warn { (lang.t("rfi_unanswered")) } }
                                @else { (r.my_answers.len()) }
                            }
                        }
                    } }
                } }
            }
            @if coordinator(s) && can_act {
                form.card #send-rfi method="post" action={ (HERE) "/rfis" } {
                    (csrf(s))
                    h3 { (lang.t("rfi_send")) }
                    @if let Some(e) = error_for(Form::Rfi) { p.error #rfi-error role="alert" { (e) } }
                    p {
                        label for="title" { (lang.t("rfi_title")) }
                        input #title type="text" name="title" value=(form.text("title")) required maxlength="200";
                    }
                    p {
                        label for="question" { (lang.t("rfi_question")) }
                        textarea #question name="question" rows="4" required maxlength="8000" { (form.text("question")) }
                    }
                    fieldset.inline-group {
                        legend { (lang.t("rfi_target")) }
                        (checkbox("all", lang.t("rfi_all"), form))
                        @for c in MemberClass::ALL { (checkbox(&format!("class.{}", c.as_str()), lang.class(c), form)) }
                    }
                    p { (checkbox("binding", lang.t("rfi_binding_box"), form)) }
                    p.hint { (lang.t("rfi_binding_hint")) }
                    p { button.primary type="submit" { (lang.t("rfi_send")) } }
                }
            }
        }
        section aria-labelledby="h-votes" {
            h2 #h-votes { (lang.t("votes_title")) }
            @if votes.is_empty() {
                p.muted { (lang.t("no_votes")) }
            } @else {
                div.table-wrap { table #votes {
                    thead { tr {
                        th scope="col" { (lang.t("vote_question")) }
                        th scope="col" { (lang.t("vote_closes")) }
                        th scope="col" { (lang.t("col_status")) }
                    } }
                    tbody { @for vote in &votes {
                        tr {
                            td { a href={ (HERE) "/votes/" (vote.id) } { (vote.question) } }
                            td { (jst(vote.closes_at)) }
                            td {
                                @if vote.closed { (lang.t("vote_closed")) }
                                @else if vote.my_member_voted_at.is_some() { span.badge.ok { (lang.t("vote_voted")) } }
                                @else { span.badge.warn { (lang.t("vote_open")) } }
                            }
                        }
                    } }
                } }
            }
            @if secretariat(s) && can_act {
                form.card #open-vote method="post" action={ (HERE) "/votes" } {
                    (csrf(s))
                    h3 { (lang.t("vote_open_form")) }
                    @if let Some(e) = error_for(Form::Vote) { p.error #vote-error role="alert" { (e) } }
                    p {
                        label for="vote-question" { (lang.t("vote_question")) }
                        input #vote-question type="text" name="question" value=(form.text("question")) required maxlength="500";
                    }
                    p {
                        label for="choices" { (lang.t("vote_choices")) }
                        textarea #choices name="choices" rows="4" required aria-describedby="choices-hint" { (form.text("choices")) }
                        span.hint #choices-hint { (lang.t("vote_choices_hint")) }
                    }
                    p {
                        label for="closes_at" { (lang.t("vote_closes")) }
                        input #closes_at type="datetime-local" name="closes_at" value=(form.text("closes_at")) required;
                    }
                    p { button.primary type="submit" { (lang.t("vote_open_form")) } }
                }
            }
        }
    };
    Ok(layout::page_status(
        s,
        HERE,
        lang.t("governance_title"),
        body,
        status,
    ))
}

/// `GET /portal/governance`.
pub async fn page(
    State(state): State<AppState>,
    s: Session,
    Query(done): Query<Done>,
) -> PortalResult {
    render(
        &state,
        &s,
        &FormData::default(),
        None,
        done.ok.as_deref(),
        StatusCode::OK,
    )
    .await
}

/// Shows a refusal the API gave in the page's form `which`, with the values kept.
async fn refused_in(
    state: &AppState,
    s: &Session,
    f: &FormData,
    which: Form,
    e: ApiError,
) -> PortalResult {
    match form_refusal(&e) {
        Some(status) => render(state, s, f, Some((which, api_message(&e))), None, status).await,
        None => Err(e.into()),
    }
}

/// `POST /portal/governance/declarations`: a committee member proposes one.
pub async fn propose(State(state): State<AppState>, Posted(s, f): Posted) -> PortalResult {
    let ends_at = match f.text("ends_at") {
        "" => None,
        raw => match parse_local(raw) {
            Some(t) => Some(t),
            None => {
                let e = ApiError::Unprocessable("ends_at: a date and time (JST)".into());
                return refused_in(&state, &s, &f, Form::Declaration, e).await;
            }
        },
    };
    let form = DeclarationForm {
        reason: f.text("reason").to_owned(),
        starts_at: None,
        ends_at,
    };
    match propose_declaration(State(state.clone()), Auth(s.viewer.clone()), ApiJson(form)).await {
        Ok(_) => Ok(see_other(&format!("{HERE}?ok=proposed"))),
        Err(e) => refused_in(&state, &s, &f, Form::Declaration, e).await,
    }
}

/// `POST /portal/governance/declarations/{id}/confirm`: a second committee member.
pub async fn confirm(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted(s, f): Posted,
) -> PortalResult {
    match confirm_declaration(State(state.clone()), Auth(s.viewer.clone()), Path(id)).await {
        Ok(_) => Ok(see_other(&format!("{HERE}?ok=confirmed"))),
        Err(e) => refused_in(&state, &s, &f, Form::Declaration, e).await,
    }
}

/// `POST /portal/governance/declarations/{id}/end`: the committee ends it early.
pub async fn end(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted(s, f): Posted,
) -> PortalResult {
    match end_declaration(State(state.clone()), Auth(s.viewer.clone()), Path(id)).await {
        Ok(_) => Ok(see_other(&format!("{HERE}?ok=ended"))),
        Err(e) => refused_in(&state, &s, &f, Form::Declaration, e).await,
    }
}

/// `POST /portal/governance/rfis`: the coordinator sends a request.
pub async fn send(State(state): State<AppState>, Posted(s, f): Posted) -> PortalResult {
    let form = RfiForm {
        title: f.text("title").to_owned(),
        question: f.text("question").to_owned(),
        target: RfiTarget {
            all: f.checked("all"),
            classes: MemberClass::ALL
                .into_iter()
                .filter(|c| f.checked(&format!("class.{}", c.as_str())))
                .collect(),
            sectors: BTreeSet::new(),
            members: BTreeSet::new(),
        },
        binding: f.checked("binding"),
    };
    match create_rfi(State(state.clone()), Auth(s.viewer.clone()), ApiJson(form)).await {
        Ok((_, Json(r))) => Ok(see_other(&format!("{HERE}/rfis/{}?ok=sent", r.id))),
        Err(e) => refused_in(&state, &s, &f, Form::Rfi, e).await,
    }
}

/// `POST /portal/governance/votes`: the secretariat opens a vote.
pub async fn open(State(state): State<AppState>, Posted(s, f): Posted) -> PortalResult {
    let Some(closes_at) = parse_local(f.text("closes_at")) else {
        let e = ApiError::Unprocessable("closes_at: a date and time (JST)".into());
        return refused_in(&state, &s, &f, Form::Vote, e).await;
    };
    let form = VoteForm {
        question: f.text("question").to_owned(),
        choices: f
            .text("choices")
            .lines()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect(),
        closes_at,
    };
    match create_vote(State(state.clone()), Auth(s.viewer.clone()), ApiJson(form)).await {
        Ok((_, Json(v))) => Ok(see_other(&format!("{HERE}/votes/{}?ok=opened", v.id))),
        Err(e) => refused_in(&state, &s, &f, Form::Vote, e).await,
    }
}

async fn render_rfi(
    state: &AppState,
    s: &Session,
    id: &str,
    form: &FormData,
    error: Option<&str>,
    ok: Option<&str>,
    status: StatusCode,
) -> PortalResult<Response> {
    let lang = s.lang;
    let Json(r) = get_rfi(
        State(state.clone()),
        Auth(s.viewer.clone()),
        Path(id.to_owned()),
    )
    .await?;
    let track = if coordinator(s) {
        let Json(t) = tracking(
            State(state.clone()),
            Auth(s.viewer.clone()),
            Path(id.to_owned()),
        )
        .await?;
        Some(t)
    } else {
        None
    };
    let addressee = r.recipients.is_none() || !r.my_answers.is_empty();
    let may_answer = s.viewer.ensure_can_act().is_ok() && !coordinator(s) && addressee;
    let here = format!("{HERE}/rfis/{}", r.id);
    let body = html! {
        @match ok {
            Some("sent") => (flash(lang.t("rfi_sent_ok"))),
            Some("answered") => (flash(lang.t("rfi_answered_ok"))),
            _ => {}
        }
        p.meta {
            @if r.binding { span.badge.warn { (lang.t("rfi_binding")) } } @else { span.badge { (lang.t("rfi_voluntary")) } }
            " · " (lang.t("rfi_sent_at")) ": " (jst(r.created_at))
            @if let Some(reason) = &r.declaration_reason { " · " (lang.t("rfi_under")) ": " (reason) }
        }
        section.card aria-labelledby="h-question" {
            h2 #h-question { (lang.t("rfi_question")) }
            p.text { (r.question) }
        }
        @if !r.my_answers.is_empty() {
            section aria-labelledby="h-mine" {
                h2 #h-mine { (lang.t("rfi_my_answers")) }
                @for a in &r.my_answers {
                    article.card.reply {
                        p.meta { (jst(a.created_at)) @if a.late { " · " span.badge.warn { (lang.t("rfi_late")) } } }
                        p.text { (a.text) }
                    }
                }
            }
        }
        @if let Some(t) = &track {
            section aria-labelledby="h-tracking" {
                h2 #h-tracking { (lang.t("rfi_tracking")) }
                p #rfi-counts { (t.answered.len()) " / " (t.recipients) " " (lang.t("rfi_answered_count")) }
                div.table-wrap { table #rfi-tracking {
                    thead { tr { th scope="col" { (lang.t("col_name")) } th scope="col" { (lang.t("col_status")) } } }
                    tbody {
                        @for a in &t.not_answered { tr.unanswered { td { (a.name) } td { span.badge.warn { (lang.t("rfi_unanswered")) } } } }
                        @for a in &t.answered { tr { td { (a.name) } td { (lang.t("rfi_answered")) " (" (a.answers.len()) ")" } } }
                    }
                } }
            }
        }
        @if may_answer {
            section aria-labelledby="h-answer" {
                h2 #h-answer { (lang.t("rfi_answer")) }
                form.card #answer-rfi method="post" action={ (here) "/answer" } {
                    (csrf(s))
                    @if let Some(e) = error { p.error #answer-error role="alert" { (e) } }
                    p {
                        label for="text" { (lang.t("rfi_answer_text")) }
                        textarea #text name="text" rows="5" required maxlength="8000" aria-invalid=[error.map(|_| "true")] { (form.text("text")) }
                    }
                    p { button.primary type="submit" { (lang.t("rfi_answer")) } }
                }
            }
        } @else if let Some(e) = error {
            p.error role="alert" { (e) }
        }
        p { a href=(HERE) { (lang.t("back_to_governance")) } }
    };
    Ok(layout::page_status(s, &here, &r.title, body, status))
}

/// `GET /portal/governance/rfis/{id}`: the request, the member's answers and the
/// answer form; the coordinator's tracking of who has not answered.
pub async fn rfi(
    State(state): State<AppState>,
    s: Session,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> PortalResult {
    render_rfi(
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

/// `POST /portal/governance/rfis/{id}/answer`.
pub async fn answer(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted(s, f): Posted,
) -> PortalResult {
    let form = AnswerForm {
        text: f.text("text").to_owned(),
        items: Vec::new(),
    };
    match create_answer(
        State(state.clone()),
        Auth(s.viewer.clone()),
        Path(id.clone()),
        ApiJson(form),
    )
    .await
    {
        Ok(_) => Ok(see_other(&format!("{HERE}/rfis/{id}?ok=answered"))),
        Err(e) => match form_refusal(&e) {
            Some(status) => {
                render_rfi(&state, &s, &id, &f, Some(&api_message(&e)), None, status).await
            }
            None => Err(e.into()),
        },
    }
}

async fn render_vote(
    state: &AppState,
    s: &Session,
    id: &str,
    receipt: Option<&BallotReceipt>,
    error: Option<&str>,
    ok: Option<&str>,
    status: StatusCode,
) -> PortalResult<Response> {
    let lang = s.lang;
    let Json(vote) = get_vote(
        State(state.clone()),
        Auth(s.viewer.clone()),
        Path(id.to_owned()),
    )
    .await?;
    let may_vote = !vote.closed
        && vote.my_member_voted_at.is_none()
        && receipt.is_none()
        && s.viewer.user.role == UserRole::Admin
        && s.viewer.member.is_active();
    let here = format!("{HERE}/votes/{}", vote.id);
    let body = html! {
        @if ok == Some("opened") { (flash(lang.t("vote_opened_ok"))) }
        @if let Some(r) = receipt {
            section.card #ballot-receipt aria-labelledby="h-receipt" {
                h2 #h-receipt { (lang.t("vote_receipt")) }
                p { (lang.t("vote_cast")) ": " strong { (r.choice_text) } }
                p.warn { (lang.t("vote_receipt_once")) }
                dl.pairs {
                    dt { (lang.t("vote_receipt_code")) } dd { code.secret { (r.receipt) } }
                    dt { (lang.t("vote_receipt_hash")) } dd { code { (r.receipt_hash) } }
                }
            }
        }
        p.meta {
            (lang.t("vote_closes")) ": " (jst(vote.closes_at))
            @if let Some(t) = vote.my_member_voted_at { " · " (lang.t("vote_voted_at")) " " (jst(t)) }
        }
        @if may_vote {
            form.card #ballot method="post" action={ (here) "/ballot" } {
                (csrf(s))
                @if let Some(e) = error { p.error #ballot-error role="alert" { (e) } }
                fieldset {
                    legend { (lang.t("vote_choose")) }
                    @for (i, c) in vote.choices.iter().enumerate() {
                        p { label { input type="radio" name="choice" value=(i) required; " " (c) } }
                    }
                }
                p.hint { (lang.t("vote_secret_hint")) }
                p { button.primary type="submit" { (lang.t("vote_cast_button")) } }
            }
        } @else if let Some(e) = error {
            p.error role="alert" { (e) }
        }
        @if let Some(results) = &vote.results {
            section aria-labelledby="h-results" {
                h2 #h-results { (lang.t("vote_results")) }
                p #turnout { (results.ballots) " / " (results.electorate) " " (lang.t("vote_turnout")) }
                figure #results-chart {
                    (PreEscaped(bar_chart(lang.t("vote_results"), &results.counts.iter().map(|c| (c.choice.clone(), i64::try_from(c.count).unwrap_or(i64::MAX))).collect::<Vec<_>>(), Some(i64::try_from(results.ballots).unwrap_or(i64::MAX)))))
                }
                details {
                    summary { (lang.t("vote_board")) " (" (results.board.len()) ")" }
                    p.hint { (lang.t("vote_board_hint")) }
                    ul.board { @for b in &results.board { li { code { (b.receipt_hash) } " → " (vote.choices.get(b.choice as usize).map_or("?", String::as_str)) } } }
                }
            }
        } @else {
            p.muted { (lang.t("vote_results_after")) }
        }
        p { a href=(HERE) { (lang.t("back_to_governance")) } }
    };
    Ok(layout::page_status(s, &here, &vote.question, body, status))
}

/// `GET /portal/governance/votes/{id}`: the ballot form for a member's admin that has
/// not voted, the results and the bulletin board once closed.
pub async fn vote(
    State(state): State<AppState>,
    s: Session,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> PortalResult {
    render_vote(
        &state,
        &s,
        &id,
        None,
        None,
        done.ok.as_deref(),
        StatusCode::OK,
    )
    .await
}

/// `POST /portal/governance/votes/{id}/ballot`: casts the member's vote and shows the
/// receipt once (the council does not keep it).
pub async fn ballot(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted(s, f): Posted,
) -> PortalResult {
    let Ok(choice) = f.text("choice").parse::<u32>() else {
        let msg = api_message(&ApiError::Unprocessable("choice: pick one".into()));
        return render_vote(
            &state,
            &s,
            &id,
            None,
            Some(&msg),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    match create_ballot(
        State(state.clone()),
        Auth(s.viewer.clone()),
        Path(id.clone()),
        ApiJson(BallotForm { choice }),
    )
    .await
    {
        Ok((_, Json(receipt))) => {
            render_vote(
                &state,
                &s,
                &id,
                Some(&receipt),
                None,
                None,
                StatusCode::CREATED,
            )
            .await
        }
        Err(e) => match form_refusal(&e) {
            Some(status) => {
                render_vote(&state, &s, &id, None, Some(&api_message(&e)), None, status).await
            }
            None => Err(e.into()),
        },
    }
}
