//! `/portal/settings/channels`: the member's delivery channels for alerts (the API's
//! list), registering a webhook or an e-mail address (the API's handler; a webhook's
//! signing secret is shown once, in the answer to the form) and deactivating one.
//! The API decides who may change them (the member's admins).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;

use super::layout::{self, csrf, flash};
use super::settings::Done;
use super::{FormData, PortalResult, Posted, Session, api_message, see_other};
use crate::AppState;
use crate::api::alerts::{
    ChannelInfo, ChannelQuery, NewChannel, add_channel as api_add, list_channels as api_list,
    remove_channel as api_remove,
};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, Auth};

const HERE: &str = "/portal/settings/channels";

async fn render(
    state: &AppState,
    s: &Session,
    form: &FormData,
    error: Option<&str>,
    created: Option<&ChannelInfo>,
    ok: Option<&str>,
    status: StatusCode,
) -> PortalResult<Response> {
    let lang = s.lang;
    let Json(chans) = api_list(
        State(state.clone()),
        Auth(s.viewer.clone()),
        ApiQuery(ChannelQuery { member: None }),
    )
    .await?;
    let admin = s.viewer.ensure_admin_of(s.viewer.member.id).is_ok();
    let kind = if form.text("kind").is_empty() {
        "webhook"
    } else {
        form.text("kind")
    };
    let body = html! {
        @if ok == Some("removed") { (flash(lang.t("channel_removed"))) }
        @if let Some(c) = created {
            section.card #created role="status" aria-labelledby="h-created" {
                h2 #h-created { (lang.t("channel_added")) }
                p { code { (c.address) } }
                @if let Some(secret) = &c.secret {
                    p.warn { (lang.t("secret_once")) }
                    p { (lang.t("webhook_secret")) ": " code #channel-secret { (secret) } }
                }
            }
        }
        p.intro { (lang.t("channels_intro")) }
        @if chans.is_empty() {
            p.muted { (lang.t("no_channels")) }
        } @else {
            div.table-wrap { table #channels {
                thead { tr {
                    th scope="col" { (lang.t("col_kind")) }
                    th scope="col" { (lang.t("col_address")) }
                    th.n scope="col" { (lang.t("col_in_flight")) }
                    th scope="col" { (lang.t("col_channel_owner")) }
                    th scope="col" { (lang.t("col_status")) }
                    th scope="col" { span.sr { (lang.t("deactivate")) } }
                } }
                tbody {
                    @for c in &chans {
                        tr {
                            td { @if c.kind == "webhook" { (lang.t("kind_webhook")) } @else { (lang.t("kind_email")) } }
                            td { code { (c.address) } }
                            td.n { (c.max_in_flight) }
                            td {
                                @if c.user.is_some() { (lang.t("channel_personal")) } @else { (lang.t("channel_member_wide")) }
                                @if let Some(l) = &c.cleared_level { " " span.badge.warn { (lang.t("cleared_at")) " " (l) } }
                            }
                            td { @if c.active { span.badge.ok { (lang.t("active")) } } @else { span.badge { (lang.t("inactive")) } } }
                            @if admin || c.user == Some(s.viewer.user.id) {
                                td { @if c.active {
                                    form.inline method="post" action={ (HERE) "/" (c.id) "/deactivate" } {
                                        (csrf(s))
                                        button.danger type="submit" aria-label={ (lang.t("deactivate")) " " (c.address) } { (lang.t("deactivate")) }
                                    }
                                } }
                            } @else { td {} }
                        }
                    }
                }
            } }
        }
        section aria-labelledby="h-add-channel" {
                h2 #h-add-channel { (lang.t("add_channel")) }
                form.card #add-channel method="post" action=(HERE) {
                    (csrf(s))
                    @if let Some(e) = error { p.error #channel-error role="alert" { (e) } }
                    p {
                        label for="kind" { (lang.t("col_kind")) }
                        select #kind name="kind" {
                            option value="webhook" selected[kind == "webhook"] { (lang.t("kind_webhook")) }
                            option value="email" selected[kind == "email"] { (lang.t("kind_email")) }
                        }
                    }
                    p {
                        label for="address" { (lang.t("col_address")) }
                        input #address type="text" name="address" value=(form.text("address")) required maxlength="2000" aria-describedby="address-hint" aria-invalid=[error.map(|_| "true")] spellcheck="false" autocapitalize="none";
                        span.hint #address-hint { (lang.t("channel_address_hint")) }
                    }
                    @if admin {
                        p { label { input #personal type="checkbox" name="personal" value="on" checked[form.checked("personal")]; " " (lang.t("channel_personal_box")) } }
                    } @else {
                        p.muted { (lang.t("channels_admin_only")) }
                    }
                    p { button.primary type="submit" { (lang.t("add_channel")) } }
                }
        }
    };
    Ok(layout::page_status(
        s,
        HERE,
        lang.t("channels_title"),
        body,
        status,
    ))
}

/// `GET /portal/settings/channels`.
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
        None,
        done.ok.as_deref(),
        StatusCode::OK,
    )
    .await
}

/// `POST /portal/settings/channels`: registers through the API's handler; the answer
/// is the page itself, with the webhook's secret shown this once.
pub async fn add(State(state): State<AppState>, Posted(s, f): Posted) -> PortalResult {
    let draft = NewChannel {
        kind: f.text("kind").to_owned(),
        address: f.text("address").to_owned(),
        max_in_flight: None,
        personal: f.checked("personal") || s.viewer.ensure_admin_of(s.viewer.member.id).is_err(),
        cleared_level: None,
    };
    match api_add(State(state.clone()), Auth(s.viewer.clone()), ApiJson(draft)).await {
        Ok((_, Json(created))) => {
            render(
                &state,
                &s,
                &FormData::default(),
                None,
                Some(&created),
                None,
                StatusCode::OK,
            )
            .await
        }
        Err(e @ ApiError::Unprocessable(_)) => {
            let msg = api_message(&e);
            render(
                &state,
                &s,
                &f,
                Some(&msg),
                None,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /portal/settings/channels/{id}/deactivate`: the API's removal (the member's
/// own channels only).
pub async fn deactivate(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted(s, _): Posted,
) -> PortalResult {
    api_remove(State(state), Auth(s.viewer.clone()), Path(id)).await?;
    Ok(see_other("/portal/settings/channels?ok=removed"))
}
