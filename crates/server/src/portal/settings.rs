//! `/portal/settings`: the language, the TOTP second factor (enrolment with a QR
//! code), and logging out of every session.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use maud::{Markup, PreEscaped, html};
use qrcode::QrCode;
use qrcode::render::svg;
use serde_json::json;
use time::OffsetDateTime;

use super::i18n::{Lang, jst};
use super::layout::{self, csrf, flash};
use super::session::{self, new_totp_secret, otpauth_uri, totp_match};
use super::{PortalResult, Posted, Session, safe_back, see_other};
use crate::api::members::{Reason, withdraw as api_withdraw};
use crate::auth::{RECOVERY_CODES, new_recovery_codes};
use crate::error::ApiError;
use crate::extract::{ApiJson, Auth};
use crate::{AppState, audit_by};

/// `?ok=` after an action.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Done {
    /// Which action succeeded.
    pub ok: Option<String>,
}

/// `GET /portal/settings`.
pub async fn page(
    State(state): State<AppState>,
    s: Session,
    Query(done): Query<Done>,
) -> PortalResult {
    let lang = s.lang;
    let enabled_at = state
        .store
        .portal_user(s.viewer.user.id)
        .await?
        .totp_enabled_at;
    let clearances = state.store.clearances_of(s.viewer.user.id).await?;
    let codes_left = state.store.recovery_codes_left(s.viewer.user.id).await?;
    let now = time::OffsetDateTime::now_utc();
    let body = html! {
        @match done.ok.as_deref() {
            Some("totp") => (flash(lang.t("totp_enrolled"))),
            Some("recovery_used") => p.warn.flash role="status" { (lang.t("recovery_used")) " " (codes_left) },
            Some("lang") => (flash(lang.t("lang_saved"))),
            _ => {}
        }
        section.card aria-labelledby="h-lang" {
            h2 #h-lang { (lang.t("language")) }
            form method="post" action="/portal/lang" {
                (csrf(&s))
                input type="hidden" name="back" value="/portal/settings?ok=lang";
                p {
                    label for="lang" { (lang.t("language")) }
                    select #lang name="lang" {
                        @for l in [Lang::Ja, Lang::En] {
                            option value=(l.as_str()) selected[l == lang] lang=(l.as_str()) { (l.own_name()) }
                        }
                    }
                }
                p { button.primary type="submit" { (lang.t("save")) } }
            }
        }
        section.card aria-labelledby="h-totp" {
            h2 #h-totp { (lang.t("totp_title")) }
            @if s.totp_enabled {
                p.ok { (lang.t("totp_status_on")) @if let Some(t) = enabled_at { " (" (jst(t)) ")" } }
                p #recovery-left { (lang.t("recovery_left")) ": " strong { (codes_left) } " / " (RECOVERY_CODES) }
                form #new-recovery-codes method="post" action="/portal/settings/recovery-codes" {
                    (csrf(&s))
                    p.hint { (lang.t("recovery_new_hint")) }
                    button.secondary type="submit" { (lang.t("recovery_new")) }
                }
            } @else {
                p.warn { (lang.t("totp_status_off")) }
                p { a.button href="/portal/settings/totp" { (lang.t("totp_setup")) } }
            }
        }
        section.card aria-labelledby="h-clearance" {
            h2 #h-clearance { (lang.t("my_clearances")) }
            @if clearances.is_empty() {
                p.muted { (lang.t("no_clearances")) }
            } @else {
                table #my-clearances {
                    thead { tr {
                        th scope="col" { (lang.t("col_level")) }
                        th scope="col" { (lang.t("col_expires")) }
                        th scope="col" { (lang.t("col_basis")) }
                        th scope="col" { (lang.t("col_status")) }
                    } }
                    tbody { @for g in &clearances {
                        tr {
                            td { (g.level) }
                            td.nowrap { (jst(g.expires_at)) }
                            td { (g.basis) }
                            td { (format!("{:?}", g.state(now)).to_lowercase()) }
                        }
                    } }
                }
            }
        }
        section.card aria-labelledby="h-api" {
            h2 #h-api { (lang.t("settings_api")) }
            ul {
                li { a href="/portal/settings/channels" { (lang.t("channels_title")) } }
                li { a href="/portal/settings/tokens" { (lang.t("tokens_title")) } }
                @if s.viewer.ensure_admin_of(s.viewer.member.id).is_ok() {
                    li { a href="/portal/settings/users" { (lang.t("manage_users")) } }
                }
            }
        }
        section.card aria-labelledby="h-sessions" {
            h2 #h-sessions { (lang.t("sessions")) }
            p #logout-all-help { (lang.t("logout_everywhere_help")) }
            form method="post" action="/portal/settings/logout-everywhere" {
                (csrf(&s))
                button.danger type="submit" aria-describedby="logout-all-help" { (lang.t("logout_everywhere")) }
            }
        }
        @if s.viewer.ensure_admin_of(s.viewer.member.id).is_ok() {
            section.card #withdrawal aria-labelledby="h-withdraw" {
                h2 #h-withdraw { (lang.t("withdraw_member")) }
                p.warn #withdraw-help { (lang.t("withdraw_member_help")) }
                form method="post" action="/portal/settings/withdraw" {
                    (csrf(&s))
                    p {
                        label for="withdraw-reason" { (lang.t("withdraw_reason")) }
                        input #withdraw-reason type="text" name="reason" maxlength="1000";
                    }
                    p { span.check {
                        input #withdraw-confirm type="checkbox" name="confirm" value="1" required;
                        label for="withdraw-confirm" { (lang.t("withdraw_confirm")) }
                    } }
                    button.danger type="submit" aria-describedby="withdraw-help" { (lang.t("withdraw_member")) }
                }
            }
        }
    };
    Ok(layout::page(
        &s,
        "/portal/settings",
        lang.t("settings_title"),
        body,
    ))
}

/// `POST /portal/lang`: stores the user's language and goes back.
pub async fn set_lang(State(state): State<AppState>, Posted(s, f): Posted) -> PortalResult {
    if let Some(l) = Lang::parse(f.text("lang")) {
        state
            .store
            .set_portal_lang(s.viewer.user.id, l.as_str())
            .await?;
    }
    Ok(see_other(safe_back(f.text("back"))))
}

/// The QR code of an `otpauth://` URI as inline SVG (drawn by us from the URI: it
/// holds no markup from anyone).
fn qr_svg(uri: &str) -> Markup {
    let Ok(code) = QrCode::new(uri.as_bytes()) else {
        return html! {};
    };
    let svg = code
        .render::<svg::Color<'_>>()
        .min_dimensions(220, 220)
        .quiet_zone(true)
        .build();
    let svg = match svg.find("<svg") {
        Some(i) => &svg[i..],
        None => "",
    };
    PreEscaped(svg.replacen("<svg", "<svg role=\"img\" aria-label=\"QR code\"", 1))
}

fn enrol_page(
    s: &Session,
    secret: &str,
    error: Option<&str>,
    status: StatusCode,
) -> axum::response::Response {
    let lang = s.lang;
    let uri = otpauth_uri(&s.viewer.user.login, secret);
    let body = html! {
        @if let Some(e) = error { p.error role="alert" { (e) } }
        p { (lang.t("totp_enrol_steps")) }
        div.qr { (qr_svg(&uri)) }
        p { (lang.t("totp_secret_text")) ": " code #totp-secret { (secret) } }
        form.card method="post" action="/portal/settings/totp" {
            (csrf(s))
            p {
                label for="code" { (lang.t("totp_code")) }
                input #code type="text" name="code" inputmode="numeric" pattern="[0-9]{6}" maxlength="6" required autocomplete="one-time-code";
            }
            p { button.primary type="submit" { (lang.t("totp_button")) } }
        }
    };
    layout::page_status(
        s,
        "/portal/settings/totp",
        lang.t("totp_enrol_title"),
        body,
        status,
    )
}

/// `GET /portal/settings/totp`: a new secret for this session (kept until a code
/// confirms it), shown as a QR code and as text.
pub async fn totp_form(State(state): State<AppState>, s: Session) -> PortalResult {
    if s.totp_enabled {
        return Ok(see_other("/portal/settings"));
    }
    let secret = match &s.totp_pending {
        Some(p) => p.clone(),
        None => {
            let p = new_totp_secret();
            state
                .store
                .set_portal_totp_pending(&s.id_hash, Some(&p))
                .await?;
            p
        }
    };
    Ok(enrol_page(&s, &secret, None, StatusCode::OK))
}

/// `POST /portal/settings/totp`: a code of the pending secret enrols it, audited.
pub async fn totp_confirm(State(state): State<AppState>, Posted(s, f): Posted) -> PortalResult {
    if s.totp_enabled {
        return Ok(see_other("/portal/settings"));
    }
    let Some(secret) = s.totp_pending.clone() else {
        return Ok(see_other("/portal/settings/totp"));
    };
    let now = OffsetDateTime::now_utc();
    let Some(step) = totp_match(&secret, f.text("code"), now) else {
        return Ok(enrol_page(
            &s,
            &secret,
            Some(s.lang.t("totp_wrong")),
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    };
    let (codes, hashes) = new_recovery_codes();
    let mut tx = state.store.begin().await?;
    tx.enable_totp(s.viewer.user.id, &secret, step, now).await?;
    tx.set_recovery_codes(s.viewer.user.id, &hashes).await?;
    tx.audit(&audit_by(
        Some(&s.viewer),
        "portal.totp_enrol",
        "user",
        &s.viewer.user.id.to_string(),
        json!({ "recovery_codes": codes.len() }),
    ))
    .await?;
    tx.commit().await?;
    state
        .store
        .set_portal_totp_pending(&s.id_hash, None)
        .await?;
    Ok(codes_page(&s, &codes, "totp_enrolled"))
}

/// The recovery codes, shown once: they are not kept, only their hashes.
fn codes_page(s: &Session, codes: &[String], done: &'static str) -> axum::response::Response {
    let lang = s.lang;
    let body = html! {
        (flash(lang.t(done)))
        section.card #recovery-codes aria-labelledby="h-codes" {
            h2 #h-codes { (lang.t("recovery_title")) }
            p.warn { (lang.t("recovery_once")) }
            ol.codes { @for c in codes { li { code.secret { (c) } } } }
        }
        p { a.button href="/portal/settings" { (lang.t("recovery_saved")) } }
    };
    layout::page(s, "/portal/settings", lang.t("recovery_title"), body)
}

/// `POST /portal/settings/recovery-codes`: ten new recovery codes replace the old ones
/// (all of them stop working), shown once; audited.
pub async fn new_codes(State(state): State<AppState>, Posted(s, _): Posted) -> PortalResult {
    if !s.totp_enabled {
        return Ok(see_other("/portal/settings"));
    }
    let (codes, hashes) = new_recovery_codes();
    let mut tx = state.store.begin().await?;
    tx.set_recovery_codes(s.viewer.user.id, &hashes).await?;
    tx.audit(&audit_by(
        Some(&s.viewer),
        "portal.recovery_codes",
        "user",
        &s.viewer.user.id.to_string(),
        json!({ "recovery_codes": codes.len() }),
    ))
    .await?;
    tx.commit().await?;
    Ok(codes_page(&s, &codes, "recovery_replaced"))
}

/// `POST /portal/settings/logout-everywhere`: ends every session of the user.
pub async fn logout_everywhere(
    State(state): State<AppState>,
    Posted(s, _): Posted,
) -> PortalResult {
    session::end_all(&state, &s).await
}

/// `POST /portal/settings/withdraw`: a member's admin withdraws the member from the
/// council (the box must be checked); every session and token of its users ends at
/// once, this one included.
pub async fn withdraw(State(state): State<AppState>, Posted(s, f): Posted) -> PortalResult {
    if !f.checked("confirm") {
        return Err(ApiError::Unprocessable(
            "confirm: check the box to withdraw the member from the council".into(),
        )
        .into());
    }
    let reason = Reason {
        reason: f.text("reason").to_owned(),
    };
    let id = s.viewer.member.id.to_string();
    let Json(_) = api_withdraw(
        State(state),
        Auth(s.viewer.clone()),
        Path(id),
        ApiJson(reason),
    )
    .await?;
    Ok(see_other("/portal/login"))
}
