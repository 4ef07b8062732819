//! `/portal/constituency`: the member's own constituency entries (the API's list),
//! registration and removal (the API's handlers, their refusals shown in the form),
//! and for the coordinator the queue of entries waiting for a decision, verify (an
//! overlap accepted explicitly) and reject (with a note), and the overlaps.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use tsunagu_core::constituency::EntryKind;
use tsunagu_core::member::SpecialRole;

use super::i18n::{Lang, jst};
use super::layout::{self, csrf, flash};
use super::{FormData, PortalResult, Posted, Session, api_message, form_refusal, see_other};
use crate::AppState;
use crate::api::constituency::{
    ConstituencyDraft, ConstituencyQuery, ConstituencyView, Decision, OverlapPair,
    list as api_list, overlaps as api_overlaps, register as api_register, reject as api_reject,
    remove as api_remove, verify as api_verify,
};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, Auth};

const HERE: &str = "/portal/constituency";

fn kind_label(lang: Lang, kind: &str) -> &'static str {
    match kind {
        "cidr" => lang.t("kind_cidr"),
        "asn" => lang.t("kind_asn"),
        "domain" => lang.t("kind_domain"),
        _ => "?",
    }
}

fn status_badge(lang: Lang, e: &ConstituencyView) -> Markup {
    html! {
        @match e.status.as_str() {
            "verified" => span.badge.ok { (lang.t("cstatus_verified")) },
            "rejected" => span.badge.warn { (lang.t("cstatus_rejected")) },
            "held" => span.badge.warn { (lang.t("cstatus_held")) },
            _ => span.badge { (lang.t("cstatus_pending")) },
        }
    }
}

/// Where an action failed, to show its message next to it.
enum Failed<'a> {
    Register(&'a str),
    Decide(&'a str, &'a str),
}

/// `?ok=` after an action.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Done {
    /// Which action succeeded.
    pub ok: Option<String>,
}

/// A member's pseudonym for the coordinator's tables.
async fn member_label(state: &AppState, id: tsunagu_core::ids::MemberId) -> PortalResult<String> {
    Ok(state
        .store
        .member(id)
        .await?
        .map_or_else(|| id.to_string(), |m| m.pseudonym))
}

async fn queue(state: &AppState, s: &Session) -> PortalResult<Vec<(ConstituencyView, String)>> {
    let mut out = Vec::new();
    for status in ["held", "pending"] {
        let Json(rows) = api_list(
            State(state.clone()),
            Auth(s.viewer.clone()),
            ApiQuery(ConstituencyQuery {
                status: Some(status.to_owned()),
                member: None,
            }),
        )
        .await?;
        for r in rows {
            let who = member_label(state, r.member_id).await?;
            out.push((r, who));
        }
    }
    Ok(out)
}

#[allow(clippy::too_many_lines)]
async fn render(
    state: &AppState,
    s: &Session,
    form: &FormData,
    failed: Option<Failed<'_>>,
    ok: Option<&str>,
    status: StatusCode,
) -> PortalResult<Response> {
    let lang = s.lang;
    let Json(mine) = api_list(
        State(state.clone()),
        Auth(s.viewer.clone()),
        ApiQuery(ConstituencyQuery {
            status: None,
            member: None,
        }),
    )
    .await?;
    let coordinator = s.viewer.member.has_role(SpecialRole::Coordinator);
    let (waiting, pairs) = if coordinator {
        let Json(pairs) = api_overlaps(State(state.clone()), Auth(s.viewer.clone())).await?;
        let mut named: Vec<(OverlapPair, String, String)> = Vec::new();
        for p in pairs {
            let a = member_label(state, p.a.member_id).await?;
            let b = member_label(state, p.b.member_id).await?;
            named.push((p, a, b));
        }
        (queue(state, s).await?, named)
    } else {
        (Vec::new(), Vec::new())
    };
    let register_error = match &failed {
        Some(Failed::Register(m)) => Some(*m),
        _ => None,
    };
    let can_act = s.viewer.ensure_can_act().is_ok();
    let body = html! {
        @match ok {
            Some("registered") => (flash(lang.t("constituency_registered"))),
            Some("removed") => (flash(lang.t("constituency_removed"))),
            Some("verified") => (flash(lang.t("constituency_verified"))),
            Some("rejected") => (flash(lang.t("constituency_rejected"))),
            _ => {}
        }
        p.intro { (lang.t("constituency_intro")) }
        section aria-labelledby="h-mine" {
            h2 #h-mine { (lang.t("my_entries")) }
            @if mine.is_empty() {
                p.muted { (lang.t("no_entries")) }
            } @else {
                div.table-wrap { table #my-entries {
                    thead { tr {
                        th scope="col" { (lang.t("col_kind")) }
                        th scope="col" { (lang.t("col_value")) }
                        th scope="col" { (lang.t("col_status")) }
                        th scope="col" { (lang.t("col_in_effect")) }
                        th scope="col" { (lang.t("col_registered")) }
                        th scope="col" { (lang.t("col_note")) }
                        @if can_act { th scope="col" { span.sr { (lang.t("remove")) } } }
                    } }
                    tbody {
                        @for e in &mine {
                            tr {
                                td { (kind_label(lang, &e.kind)) }
                                td { code { (e.value) } }
                                td {
                                    (status_badge(lang, e))
                                    @if e.overlaps_another_member { " " span.muted { (lang.t("overlaps_another")) } }
                                }
                                td { @if e.in_effect { (lang.t("yes")) } @else { (lang.t("no")) } }
                                td.nowrap { (jst(e.created_at)) }
                                td { (e.note) }
                                @if can_act {
                                    td {
                                        form.inline method="post" action={ "/portal/constituency/" (e.id) "/remove" } {
                                            (csrf(s))
                                            button.danger type="submit" aria-label={ (lang.t("remove")) " " (e.value) } { (lang.t("remove")) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                } }
            }
        }
        @if can_act {
            section aria-labelledby="h-register" {
                h2 #h-register { (lang.t("register_entry")) }
                form.card #register method="post" action=(HERE) {
                    (csrf(s))
                    @if let Some(e) = register_error { p.error #register-error role="alert" { (e) } }
                    p {
                        label for="kind" { (lang.t("col_kind")) }
                        select #kind name="kind" {
                            @for k in EntryKind::ALL {
                                option value=(k.as_str()) selected[form.text("kind") == k.as_str()] { (kind_label(lang, k.as_str())) }
                            }
                        }
                    }
                    p {
                        label for="value" { (lang.t("col_value")) }
                        input #value type="text" name="value" value=(form.text("value")) required maxlength="300" aria-describedby="value-hint" aria-invalid=[register_error.map(|_| "true")] spellcheck="false" autocapitalize="none";
                        span.hint #value-hint { (lang.t("entry_value_hint")) }
                    }
                    p {
                        label for="ownership" { (lang.t("ownership")) }
                        textarea #ownership name="ownership" rows="2" required maxlength="1000" aria-describedby="ownership-hint" { (form.text("ownership")) }
                        span.hint #ownership-hint { (lang.t("ownership_hint")) }
                    }
                    p { button.primary type="submit" { (lang.t("register_button")) } }
                }
            }
        }
        @if coordinator {
            section aria-labelledby="h-queue" {
                h2 #h-queue { (lang.t("constituency_queue")) " " span.count { (waiting.len()) } }
                @if waiting.is_empty() {
                    p.muted { (lang.t("queue_empty")) }
                }
                @for (e, who) in &waiting {
                    div.card.decision id={ "entry-" (e.id) } {
                        p {
                            strong { (who) } " · " (kind_label(lang, &e.kind)) " " code { (e.value) } " " (status_badge(lang, e))
                            " " span.muted { (jst(e.created_at)) }
                        }
                        p.text { (lang.t("ownership")) ": " (e.ownership) }
                        @if let Some(with) = &e.overlaps {
                            @if !with.is_empty() {
                                p.warn { (lang.t("overlaps_with")) ": "
                                    @for o in with { code { (o.value) } " (" (o.member_id) ") " }
                                }
                            }
                        }
                        @if let Some(Failed::Decide(id, m)) = &failed {
                            @if *id == e.id { p.error role="alert" { (m) } }
                        }
                        div.buttons {
                            form.inline method="post" action={ "/portal/constituency/" (e.id) "/verify" } {
                                (csrf(s))
                                @if e.status == "held" {
                                    span.check {
                                        input id={ "accept-" (e.id) } type="checkbox" name="accept_overlap" value="1";
                                        label for={ "accept-" (e.id) } { (lang.t("accept_overlap")) }
                                    }
                                    " "
                                }
                                button.primary type="submit" { (lang.t("verify_button")) }
                            }
                            form.inline method="post" action={ "/portal/constituency/" (e.id) "/reject" } {
                                (csrf(s))
                                label for={ "note-" (e.id) } { (lang.t("reject_note")) }
                                " "
                                input id={ "note-" (e.id) } type="text" name="note" required maxlength="1000";
                                " "
                                button.danger type="submit" { (lang.t("reject_button")) }
                            }
                        }
                    }
                }
            }
            section aria-labelledby="h-overlaps" {
                h2 #h-overlaps { (lang.t("overlaps_title")) " " span.count { (pairs.len()) } }
                @if pairs.is_empty() {
                    p.muted { (lang.t("no_overlaps")) }
                } @else {
                    div.table-wrap { table #overlaps {
                        thead { tr {
                            th scope="col" { (lang.t("col_member")) }
                            th scope="col" { (lang.t("col_value")) }
                            th scope="col" { (lang.t("col_member")) }
                            th scope="col" { (lang.t("col_value")) }
                        } }
                        tbody {
                            @for (p, a, b) in &pairs {
                                tr {
                                    td { (a) } td { code { (p.a.value) } " " (status_badge(lang, &p.a)) }
                                    td { (b) } td { code { (p.b.value) } " " (status_badge(lang, &p.b)) }
                                }
                            }
                        }
                    } }
                }
            }
        }
    };
    Ok(layout::page_status(
        s,
        HERE,
        lang.t("constituency_title"),
        body,
        status,
    ))
}

/// `GET /portal/constituency`.
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

/// `POST /portal/constituency`: registers through the API's handler; its refusal is
/// shown in the form, the values kept.
pub async fn register(State(state): State<AppState>, Posted(s, f): Posted) -> PortalResult {
    let Some(kind) = EntryKind::parse(f.text("kind")) else {
        let msg = format!("kind: {:?}?", f.text("kind"));
        return render(
            &state,
            &s,
            &f,
            Some(Failed::Register(&msg)),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let draft = ConstituencyDraft {
        kind,
        value: f.text("value").to_owned(),
        ownership: f.text("ownership").to_owned(),
    };
    match api_register(State(state.clone()), Auth(s.viewer.clone()), ApiJson(draft)).await {
        Ok(_) => Ok(see_other("/portal/constituency?ok=registered")),
        Err(e) => match form_refusal(&e) {
            Some(status) => {
                let msg = api_message(&e);
                render(&state, &s, &f, Some(Failed::Register(&msg)), None, status).await
            }
            None => Err(e.into()),
        },
    }
}

/// `POST /portal/constituency/{id}/remove`: the API's removal (only the member's own).
pub async fn remove(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted(s, _): Posted,
) -> PortalResult {
    api_remove(State(state), Auth(s.viewer.clone()), Path(id)).await?;
    Ok(see_other("/portal/constituency?ok=removed"))
}

async fn decided(
    state: AppState,
    s: Session,
    f: FormData,
    id: String,
    result: Result<Json<ConstituencyView>, ApiError>,
    ok: &str,
) -> PortalResult {
    match result {
        Ok(_) => Ok(see_other(&format!("/portal/constituency?ok={ok}"))),
        Err(e) => match form_refusal(&e) {
            Some(status) => {
                let msg = api_message(&e);
                render(
                    &state,
                    &s,
                    &f,
                    Some(Failed::Decide(&id, &msg)),
                    None,
                    status,
                )
                .await
            }
            None => Err(e.into()),
        },
    }
}

/// `POST /portal/constituency/{id}/verify`: the coordinator's verification (the API's;
/// a held entry needs `accept_overlap` ticked).
pub async fn verify(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted(s, f): Posted,
) -> PortalResult {
    let d = Decision {
        note: f.text("note").to_owned(),
        accept_overlap: f.checked("accept_overlap"),
    };
    let r = api_verify(
        State(state.clone()),
        Auth(s.viewer.clone()),
        Path(id.clone()),
        ApiJson(d),
    )
    .await;
    decided(state, s, f, id, r, "verified").await
}

/// `POST /portal/constituency/{id}/reject`: the coordinator's rejection (the API's; a
/// note is required).
pub async fn reject(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted(s, f): Posted,
) -> PortalResult {
    let d = Decision {
        note: f.text("note").to_owned(),
        accept_overlap: false,
    };
    let r = api_reject(
        State(state.clone()),
        Auth(s.viewer.clone()),
        Path(id.clone()),
        ApiJson(d),
    )
    .await;
    decided(state, s, f, id, r, "rejected").await
}
