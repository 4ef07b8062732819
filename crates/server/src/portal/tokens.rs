//! `/portal/settings/tokens`: the user's API tokens (the API's list), creating one
//! with a name and a lifetime (the API's handler; the secret is shown once, in the
//! answer to the form) and revoking one.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;
use time::OffsetDateTime;

use super::i18n::jst;
use super::layout::{self, csrf, flash};
use super::settings::Done;
use super::{FormData, PortalResult, Posted, Session, api_message, see_other};
use crate::AppState;
use crate::auth::{
    DEFAULT_TOKEN_DAYS, IssuedToken, MAX_TOKEN_DAYS, TokenRequest, create_token as api_create,
    list_tokens as api_list, revoke_token as api_revoke,
};
use crate::error::ApiError;
use crate::extract::{ApiJson, Auth};

const HERE: &str = "/portal/settings/tokens";

async fn render(
    state: &AppState,
    s: &Session,
    form: &FormData,
    error: Option<&str>,
    created: Option<(&str, &IssuedToken)>,
    ok: Option<&str>,
    status: StatusCode,
) -> PortalResult<Response> {
    let lang = s.lang;
    let Json(tokens) = api_list(State(state.clone()), Auth(s.viewer.clone())).await?;
    let now = OffsetDateTime::now_utc();
    let days = if form.text("days").is_empty() {
        DEFAULT_TOKEN_DAYS.to_string()
    } else {
        form.text("days").to_owned()
    };
    let body = html! {
        @if ok == Some("revoked") { (flash(lang.t("token_revoked"))) }
        @if let Some((name, t)) = created {
            section.card #created role="status" aria-labelledby="h-created" {
                h2 #h-created { (lang.t("token_created")) }
                p { (name) " · " (lang.t("col_expires")) " " (jst(t.expires_at)) }
                p.warn { (lang.t("secret_once")) }
                p { (lang.t("token_secret")) ": " code #token-secret { (t.token) } }
            }
        }
        p.intro { (lang.t("tokens_intro")) }
        @if tokens.is_empty() {
            p.muted { (lang.t("no_tokens")) }
        } @else {
            div.table-wrap { table #tokens {
                thead { tr {
                    th scope="col" { (lang.t("col_name")) }
                    th scope="col" { (lang.t("col_created")) }
                    th scope="col" { (lang.t("col_expires")) }
                    th scope="col" { (lang.t("col_status")) }
                    th scope="col" { span.sr { (lang.t("revoke")) } }
                } }
                tbody {
                    @for t in &tokens {
                        tr {
                            td { (t.name) }
                            td.nowrap { (jst(t.created_at)) }
                            td.nowrap { (jst(t.expires_at)) }
                            td {
                                @if t.revoked { span.badge { (lang.t("token_revoked_badge")) } }
                                @else if t.expires_at <= now { span.badge { (lang.t("token_expired")) } }
                                @else { span.badge.ok { (lang.t("active")) } }
                            }
                            td { @if !t.revoked && t.expires_at > now {
                                form.inline method="post" action={ (HERE) "/" (t.id) "/revoke" } {
                                    (csrf(s))
                                    button.danger type="submit" aria-label={ (lang.t("revoke")) " " (t.name) } { (lang.t("revoke")) }
                                }
                            } }
                        }
                    }
                }
            } }
        }
        section aria-labelledby="h-new-token" {
            h2 #h-new-token { (lang.t("new_token")) }
            form.card #new-token method="post" action=(HERE) {
                (csrf(s))
                @if let Some(e) = error { p.error #token-error role="alert" { (e) } }
                p {
                    label for="name" { (lang.t("col_name")) }
                    input #name type="text" name="name" value=(form.text("name")) required maxlength="100" aria-describedby="name-hint" aria-invalid=[error.map(|_| "true")];
                    span.hint #name-hint { (lang.t("token_name_hint")) }
                }
                p {
                    label for="days" { (lang.t("token_days")) }
                    input #days type="number" name="days" value=(days) min="1" max=(MAX_TOKEN_DAYS) required;
                }
                p { button.primary type="submit" { (lang.t("new_token")) } }
            }
        }
    };
    Ok(layout::page_status(
        s,
        HERE,
        lang.t("tokens_title"),
        body,
        status,
    ))
}

/// `GET /portal/settings/tokens`.
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

/// `POST /portal/settings/tokens`: creates through the API's handler; the answer is
/// the page itself, with the secret shown this once.
pub async fn create(State(state): State<AppState>, Posted(s, f): Posted) -> PortalResult {
    let days = match f.text("days").trim() {
        "" => None,
        d => match d.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                let msg = format!("expires_in_days: {d:?} is not a number");
                return render(
                    &state,
                    &s,
                    &f,
                    Some(&msg),
                    None,
                    None,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await;
            }
        },
    };
    let req = TokenRequest {
        name: f.text("name").to_owned(),
        expires_in_days: days,
    };
    match api_create(State(state.clone()), Auth(s.viewer.clone()), ApiJson(req)).await {
        Ok((_, Json(issued))) => {
            let name = f.text("name").trim().to_owned();
            render(
                &state,
                &s,
                &FormData::default(),
                None,
                Some((&name, &issued)),
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

/// `POST /portal/settings/tokens/{id}/revoke`: the API's revocation (the user's own
/// tokens only).
pub async fn revoke(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted(s, _): Posted,
) -> PortalResult {
    api_revoke(State(state), Auth(s.viewer.clone()), Path(id)).await?;
    Ok(see_other("/portal/settings/tokens?ok=revoked"))
}
