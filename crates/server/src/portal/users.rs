//! `/portal/settings/users`: a member admin's users (the API's list), with their second
//! factor, and the two things an admin does for them here: reset the second factor of a
//! user who lost its authenticator, and disable a user (its tokens and sessions end).
//! The API decides who may (the member's admins).

use axum::Json;
use axum::extract::{Path, Query, State};
use maud::html;

use super::layout::{self, csrf, flash};
use super::settings::Done;
use super::{PortalResult, Posted, Session, see_other};
use crate::AppState;
use crate::api::members::{disable_user, list_users, reset_second_factor};
use crate::extract::Auth;

const HERE: &str = "/portal/settings/users";

/// `GET /portal/settings/users`.
pub async fn page(
    State(state): State<AppState>,
    s: Session,
    Query(done): Query<Done>,
) -> PortalResult {
    let lang = s.lang;
    let Json(users) = list_users(
        State(state.clone()),
        Auth(s.viewer.clone()),
        Path(s.viewer.member.id.to_string()),
    )
    .await?;
    let mut rows = Vec::with_capacity(users.len());
    for u in users {
        let totp = state.store.portal_user(u.id).await?.totp_secret.is_some();
        rows.push((u, totp));
    }
    let body = html! {
        @match done.ok.as_deref() {
            Some("reset") => (flash(lang.t("second_factor_reset_done"))),
            Some("disabled") => (flash(lang.t("user_disabled_done"))),
            _ => {}
        }
        p.intro { (lang.t("users_intro")) }
        div.table-wrap { table #users {
            thead { tr {
                th scope="col" { (lang.t("login_name")) }
                th scope="col" { (lang.t("col_role")) }
                th scope="col" { (lang.t("totp_title")) }
                th scope="col" { (lang.t("col_status")) }
                th scope="col" { span.sr { (lang.t("actions")) } }
            } }
            tbody { @for (u, totp) in &rows {
                tr data-login=(u.login) {
                    td { code { (u.login) } }
                    td { (u.role.as_str()) }
                    td { @if *totp { span.badge.ok { (lang.t("totp_on")) } } @else { span.badge { (lang.t("totp_off")) } } }
                    td { @if u.disabled { span.badge { (lang.t("inactive")) } } @else { span.badge.ok { (lang.t("active")) } } }
                    td {
                        @if *totp && !u.disabled {
                            form.inline method="post" action={ (HERE) "/" (u.id) "/reset-second-factor" } {
                                (csrf(&s))
                                button type="submit" aria-label={ (lang.t("reset_second_factor")) " " (u.login) } { (lang.t("reset_second_factor")) }
                            }
                        }
                        @if !u.disabled && u.id != s.viewer.user.id {
                            " "
                            form.inline method="post" action={ (HERE) "/" (u.id) "/disable" } {
                                (csrf(&s))
                                button.danger type="submit" aria-label={ (lang.t("disable_user")) " " (u.login) } { (lang.t("disable_user")) }
                            }
                        }
                    }
                }
            } }
        } }
    };
    Ok(layout::page(&s, HERE, lang.t("users_title"), body))
}

/// `POST /portal/settings/users/{id}/reset-second-factor`.
pub async fn reset(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted(s, _): Posted,
) -> PortalResult {
    let Json(_user) = reset_second_factor(State(state), Auth(s.viewer.clone()), Path(id)).await?;
    Ok(see_other("/portal/settings/users?ok=reset"))
}

/// `POST /portal/settings/users/{id}/disable`.
pub async fn disable(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted(s, _): Posted,
) -> PortalResult {
    let Json(_user) = disable_user(State(state), Auth(s.viewer.clone()), Path(id)).await?;
    Ok(see_other("/portal/settings/users?ok=disabled"))
}
