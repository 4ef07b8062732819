//! `/portal/clearances`: security clearances (M2.8) through the API's handlers. Everyone
//! sees what the API lists for them (their own; a member admin its users'; the
//! coordinator and the secretariat everyone's); the coordinator grants one by login,
//! level, expiry date and basis, and revokes one with a reason.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;
use time::{Date, OffsetDateTime, Time, UtcOffset};
use tsunagu_core::clearance::{GrantRequest, GrantState};
use tsunagu_core::member::SpecialRole;
use tsunagu_core::user::UserRole;

use super::i18n::jst;
use super::layout::{self, csrf, flash};
use super::settings::Done;
use super::{FormData, PortalResult, Posted, Session, api_message, see_other};
use crate::AppState;
use crate::api::clearances::{
    ListQuery, Revocation, grant as api_grant, list as api_list, revoke as api_revoke,
};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, Auth};

const HERE: &str = "/portal/clearances";

/// Whether the navigation offers the page: to those who see others' clearances.
#[must_use]
pub fn sees_page(s: &Session) -> bool {
    s.viewer.member.sees_real_names() || s.viewer.user.role == UserRole::Admin
}

fn is_coordinator(s: &Session) -> bool {
    s.viewer.member.has_role(SpecialRole::Coordinator)
}

async fn render(
    state: &AppState,
    s: &Session,
    form: &FormData,
    error: Option<&str>,
    ok: Option<&str>,
    status: StatusCode,
) -> PortalResult<Response> {
    let lang = s.lang;
    let Json(grants) = api_list(
        State(state.clone()),
        Auth(s.viewer.clone()),
        ApiQuery(ListQuery { member: None }),
    )
    .await?;
    let levels = state.config.clearance_levels.names();
    let body = html! {
        @match ok {
            Some("granted") => (flash(lang.t("clearance_granted"))),
            Some("revoked") => (flash(lang.t("clearance_revoked"))),
            _ => {}
        }
        p.intro { (lang.t("clearances_intro")) }
        @if grants.is_empty() {
            p.muted { (lang.t("no_clearances")) }
        } @else {
            div.table-wrap { table #clearances {
                thead { tr {
                    th scope="col" { (lang.t("login_name")) }
                    th scope="col" { (lang.t("col_level")) }
                    th scope="col" { (lang.t("col_from")) }
                    th scope="col" { (lang.t("col_expires")) }
                    th scope="col" { (lang.t("col_basis")) }
                    th scope="col" { (lang.t("col_status")) }
                    @if is_coordinator(s) { th scope="col" { span.sr { (lang.t("revoke")) } } }
                } }
                tbody { @for g in &grants {
                    tr data-state=(format!("{:?}", g.state).to_lowercase()) {
                        td { code { (g.login) } }
                        td { (g.grant.level) }
                        td.nowrap { (jst(g.grant.starts_at)) }
                        td.nowrap { (jst(g.grant.expires_at)) }
                        td { (g.grant.basis) }
                        td { @match g.state {
                            GrantState::Active => span.badge.ok { (lang.t("active")) },
                            GrantState::Pending => span.badge { (lang.t("clearance_pending")) },
                            GrantState::Expired => span.badge { (lang.t("token_expired")) },
                            GrantState::Revoked => span.badge.warn { (lang.t("token_revoked_badge")) },
                        } }
                        @if is_coordinator(s) {
                            td { @if matches!(g.state, GrantState::Active | GrantState::Pending) {
                                form.inline method="post" action={ (HERE) "/" (g.grant.id) "/revoke" } {
                                    (csrf(s))
                                    label.sr for={ "reason-" (g.grant.id) } { (lang.t("revoke_reason")) }
                                    input id={ "reason-" (g.grant.id) } type="text" name="reason" required maxlength="500" placeholder=(lang.t("revoke_reason"));
                                    " "
                                    button.danger type="submit" aria-label={ (lang.t("revoke")) " " (g.login) } { (lang.t("revoke")) }
                                }
                            } }
                        }
                    }
                } }
            } }
        }
        @if is_coordinator(s) {
            section aria-labelledby="h-grant" {
                h2 #h-grant { (lang.t("grant_clearance")) }
                form.card #grant-clearance method="post" action=(HERE) {
                    (csrf(s))
                    @if let Some(e) = error { p.error #clearance-error role="alert" { (e) } }
                    p {
                        label for="login" { (lang.t("login_name")) }
                        input #login type="text" name="login" value=(form.text("login")) required maxlength="64" autocapitalize="none" spellcheck="false";
                    }
                    p {
                        label for="level" { (lang.t("col_level")) }
                        select #level name="level" {
                            @for l in levels { option value=(l) selected[form.text("level") == l.as_str()] { (l) } }
                        }
                    }
                    p {
                        label for="expires" { (lang.t("col_expires")) }
                        input #expires type="date" name="expires" value=(form.text("expires")) required aria-describedby="expires-hint";
                        span.hint #expires-hint { (lang.t("clearance_expires_hint")) }
                    }
                    p {
                        label for="basis" { (lang.t("col_basis")) }
                        input #basis type="text" name="basis" value=(form.text("basis")) required maxlength="500";
                    }
                    p { button.primary type="submit" { (lang.t("grant_clearance")) } }
                }
            }
        }
    };
    Ok(layout::page_status(
        s,
        HERE,
        lang.t("clearances_title"),
        body,
        status,
    ))
}

/// `GET /portal/clearances`.
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

/// The end of the chosen day in Japan: a clearance "until 2027-03-31" lasts that day.
fn end_of_day_jst(date: &str) -> Option<OffsetDateTime> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let day = Date::parse(date.trim(), &format).ok()?;
    let jst = UtcOffset::from_hms(9, 0, 0).ok()?;
    Some(
        day.with_time(Time::from_hms(23, 59, 59).ok()?)
            .assume_offset(jst),
    )
}

/// `POST /portal/clearances`: the coordinator grants one through the API's handler;
/// a refusal is shown in the form with the values kept.
pub async fn grant(State(state): State<AppState>, Posted(s, f): Posted) -> PortalResult {
    let lang = s.lang;
    // Before anything else: nobody else may even learn whether a login exists.
    if !is_coordinator(&s) {
        return Err(ApiError::Forbidden("only the coordinator grants clearances".into()).into());
    }
    let error = match end_of_day_jst(f.text("expires")) {
        None => format!("{}: ?", lang.t("col_expires")),
        Some(expires_at) => {
            let login = f.text("login").trim().to_lowercase();
            match state.store.user_by_login(&login).await? {
                None => format!("{}: {login:?}?", lang.t("login_name")),
                Some(user) => {
                    let req = GrantRequest {
                        user: user.user.id.to_string(),
                        level: f.text("level").to_owned(),
                        starts_at: None,
                        expires_at,
                        basis: f.text("basis").to_owned(),
                    };
                    match api_grant(State(state.clone()), Auth(s.viewer.clone()), ApiJson(req))
                        .await
                    {
                        Ok(_) => return Ok(see_other("/portal/clearances?ok=granted")),
                        Err(e @ ApiError::Unprocessable(_)) => api_message(&e),
                        Err(e) => return Err(e.into()),
                    }
                }
            }
        }
    };
    render(
        &state,
        &s,
        &f,
        Some(&error),
        None,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

/// `POST /portal/clearances/{id}/revoke`: the coordinator revokes one, with a reason.
pub async fn revoke(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted(s, f): Posted,
) -> PortalResult {
    let reason = Revocation {
        reason: f.text("reason").to_owned(),
    };
    let Json(_revoked) = api_revoke(
        State(state),
        Auth(s.viewer.clone()),
        Path(id),
        ApiJson(reason),
    )
    .await?;
    Ok(see_other("/portal/clearances?ok=revoked"))
}
