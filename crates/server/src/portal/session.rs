//! Portal sessions: login with a password (the API's verification and rate limit),
//! then a TOTP code (RFC 6238) when the user enrolled one; the session cookie; CSRF
//! tokens; logout.
//!
//! A session id is 32 random bytes, sent only in the `tsunagu_session` cookie
//! (HttpOnly, Secure, SameSite=Strict, Path=/portal) and stored only as its SHA-256.
//! A session ends after 30 idle minutes or 12 hours, on logout, when its user is
//! disabled or its member leaves the council. The login form itself carries a
//! double-submit token (cookie and field), since no session exists yet.

use axum::Form;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use hmac::{Hmac, KeyInit, Mac};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::json;
use sha1::Sha1;
use time::{Duration, OffsetDateTime};
use tsunagu_core::ids::UserId;
use tsunagu_core::user::Viewer;
use tsunagu_store::{PortalSession, PortalUser};

use super::i18n::Lang;
use super::layout;
use super::{PortalError, PortalResult, ct_eq, see_other};
use crate::auth::{DUMMY_HASH, SecondFactor, hash_token, random_bytes, verify_password};
use crate::ratelimit::ClientIp;
use crate::{AppState, audit_by};

/// The session cookie.
pub const COOKIE: &str = "tsunagu_session";
/// The login form's double-submit cookie.
pub const LOGIN_COOKIE: &str = "tsunagu_login";
/// A session ends after this long without a request.
pub const IDLE: Duration = Duration::minutes(30);
/// A session ends this long after login, however busy.
pub const ABSOLUTE: Duration = Duration::hours(12);
/// How long the TOTP step may take after the password step.
pub const PENDING: Duration = Duration::minutes(5);
/// Wrong TOTP codes after which a pending login is dropped.
pub const MAX_TOTP_FAILURES: i64 = 5;
/// Seconds per TOTP time step.
pub const TOTP_STEP: i64 = 30;

/// The `Set-Cookie` value that starts a session.
#[must_use]
pub fn session_cookie(id: &str) -> String {
    format!("{COOKIE}={id}; HttpOnly; Secure; SameSite=Strict; Path=/portal")
}

/// The `Set-Cookie` value that ends it in the browser.
#[must_use]
pub fn clear_session_cookie() -> String {
    format!("{COOKIE}=; HttpOnly; Secure; SameSite=Strict; Path=/portal; Max-Age=0")
}

/// The value of cookie `name` in a request.
#[must_use]
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

fn with_cookie(mut resp: Response, cookie: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(cookie) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

/// A logged-in user: the viewer every page is built for, with the session's CSRF
/// token and the user's language.
#[derive(Debug, Clone)]
pub struct Session {
    /// The user and its member.
    pub viewer: Viewer,
    /// The token every form of this session carries.
    pub csrf: String,
    /// The user's language.
    pub lang: Lang,
    /// Whether the user enrolled a second factor.
    pub totp_enabled: bool,
    /// A TOTP secret being enrolled in this session.
    pub totp_pending: Option<String>,
    /// The session's stored key.
    pub id_hash: String,
}

/// A session in either state, with its user, if the request carries a live one.
async fn load(
    parts: &Parts,
    state: &AppState,
) -> PortalResult<Option<(PortalSession, Viewer, PortalUser)>> {
    let Some(id) = cookie(&parts.headers, COOKIE).filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    let id_hash = hash_token(&id);
    let Some(s) = state.store.portal_session(&id_hash).await? else {
        return Ok(None);
    };
    let now = OffsetDateTime::now_utc();
    let limit = if s.second_factor_done {
        s.expires_at
    } else {
        s.expires_at.min(s.created_at + PENDING)
    };
    if now >= limit || now - s.last_seen_at >= IDLE {
        state.store.delete_portal_session(&id_hash).await?;
        return Ok(None);
    }
    let Some(user) = state.store.user(s.user_id).await? else {
        return Ok(None);
    };
    let member = state.store.member(user.member_id).await?;
    let Some(member) = member.filter(|m| m.is_active() && !user.disabled) else {
        state.store.delete_portal_session(&id_hash).await?;
        return Ok(None);
    };
    if now - s.last_seen_at >= Duration::seconds(30) {
        state.store.touch_portal_session(&id_hash, now).await?;
    }
    let pu = state.store.portal_user(user.id).await?;
    tracing::Span::current().record("user", tracing::field::display(user.id));
    let viewer = state.cleared(Viewer::uncleared(user, member)).await?;
    Ok(Some((s, viewer, pu)))
}

impl FromRequestParts<AppState> for Session {
    type Rejection = PortalError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match load(parts, state).await? {
            Some((s, viewer, pu)) if s.second_factor_done => Ok(Self {
                viewer,
                csrf: s.csrf_token,
                lang: Lang::parse(&pu.lang).unwrap_or_default(),
                totp_enabled: pu.totp_secret.is_some(),
                totp_pending: s.totp_pending,
                id_hash: s.id_hash,
            }),
            _ => Err(PortalError::Login),
        }
    }
}

/// A login between its password and its TOTP step.
#[derive(Debug)]
pub struct Pending {
    session: PortalSession,
    viewer: Viewer,
    secret: String,
    lang: Lang,
}

impl FromRequestParts<AppState> for Pending {
    type Rejection = PortalError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match load(parts, state).await? {
            Some((session, viewer, pu)) if !session.second_factor_done => Ok(Self {
                secret: pu.totp_secret.ok_or(PortalError::Login)?,
                lang: Lang::parse(&pu.lang).unwrap_or_default(),
                session,
                viewer,
            }),
            _ => Err(PortalError::Login),
        }
    }
}

// ---- TOTP (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits) ----

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 without padding, as authenticator apps take secrets.
#[must_use]
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::new();
    let mut buf: u32 = 0;
    let mut bits = 0;
    for &b in bytes {
        buf = (buf << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(BASE32[((buf >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(BASE32[((buf << (5 - bits)) & 31) as usize]));
    }
    out
}

/// Decodes [`base32`] (case and padding ignored).
#[must_use]
pub fn unbase32(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf: u32 = 0;
    let mut bits = 0;
    for c in s.trim_end_matches('=').bytes() {
        let v = BASE32.iter().position(|&x| x == c.to_ascii_uppercase())?;
        buf = (buf << 5) | u32::try_from(v).ok()?;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((buf >> bits) & 0xff).ok()?);
        }
    }
    Some(out)
}

/// A new TOTP secret: 160 random bits, base32.
#[must_use]
pub fn new_totp_secret() -> String {
    base32(&random_bytes::<20>())
}

/// The time step of `t`.
#[must_use]
pub fn totp_step(t: OffsetDateTime) -> i64 {
    t.unix_timestamp().div_euclid(TOTP_STEP)
}

/// The 6-digit code of `secret` at time step `step` (RFC 4226 dynamic truncation).
#[must_use]
pub fn totp_code(secret: &[u8], step: i64) -> String {
    let Ok(mut mac) = <Hmac<Sha1> as KeyInit>::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(&step.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let off = usize::from(h[h.len() - 1] & 0x0f);
    let bin = u32::from_be_bytes([h[off] & 0x7f, h[off + 1], h[off + 2], h[off + 3]]);
    format!("{:06}", bin % 1_000_000)
}

/// The step whose code `code` is, within one step either side of `now`; the caller
/// then takes the step so the code cannot be used again.
#[must_use]
pub fn totp_match(secret_b32: &str, code: &str, now: OffsetDateTime) -> Option<i64> {
    let secret = unbase32(secret_b32)?;
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = totp_step(now);
    let mut found = None;
    for step in [now - 1, now, now + 1] {
        if ct_eq(&totp_code(&secret, step), &code) && found.is_none() {
            found = Some(step);
        }
    }
    found
}

/// The `otpauth://` URI authenticator apps read from the QR code.
#[must_use]
pub fn otpauth_uri(login: &str, secret_b32: &str) -> String {
    let label: String = url::form_urlencoded::byte_serialize(login.as_bytes()).collect();
    format!(
        "otpauth://totp/tsunagu:{label}?secret={secret_b32}&issuer=tsunagu&algorithm=SHA1&digits=6&period=30"
    )
}

// ---- Sessions ----

/// Starts a session for `user` in `tx`: returns its raw id (for the cookie only).
async fn start(
    tx: &mut tsunagu_store::Tx,
    user: UserId,
    second_factor_done: bool,
) -> PortalResult<String> {
    let id = hex::encode(random_bytes::<32>());
    let now = OffsetDateTime::now_utc();
    tx.insert_portal_session(&PortalSession {
        id_hash: hash_token(&id),
        user_id: user,
        csrf_token: hex::encode(random_bytes::<32>()),
        created_at: now,
        last_seen_at: now,
        expires_at: now
            + if second_factor_done {
                ABSOLUTE
            } else {
                PENDING
            },
        second_factor_done,
        totp_pending: None,
        failures: 0,
    })
    .await?;
    Ok(id)
}

/// `?lang=en` on the pages before login.
#[derive(Debug, Default, Deserialize)]
pub struct LangQuery {
    /// `ja` or `en`.
    pub lang: Option<String>,
}

fn query_lang(q: &LangQuery) -> Lang {
    q.lang.as_deref().and_then(Lang::parse).unwrap_or_default()
}

fn login_form(lang: Lang, token: &str, login: &str, error: Option<&str>) -> Markup {
    html! {
        @if let Some(e) = error {
            p.error role="alert" { (e) }
        }
        form.card method="post" action={ "/portal/login?lang=" (lang.as_str()) } {
            input type="hidden" name="_csrf" value=(token);
            p {
                label for="login" { (lang.t("login_name")) }
                input #login type="text" name="login" value=(login) required autocomplete="username" autocapitalize="none" spellcheck="false";
            }
            p {
                label for="password" { (lang.t("password")) }
                input #password type="password" name="password" required autocomplete="current-password";
            }
            p { button.primary type="submit" { (lang.t("login_button")) } }
        }
    }
}

/// The login page, with a fresh double-submit token.
fn login_response(lang: Lang, status: StatusCode, login: &str, error: Option<&str>) -> Response {
    let token = hex::encode(random_bytes::<32>());
    let body = login_form(lang, &token, login, error);
    let mut resp = layout::public_page(lang, lang.t("login_title"), "/portal/login", body);
    *resp.status_mut() = status;
    with_cookie(
        resp,
        &format!(
            "{LOGIN_COOKIE}={token}; HttpOnly; Secure; SameSite=Strict; Path=/portal/login; Max-Age=3600"
        ),
    )
}

/// `GET /portal/login`.
pub async fn login_page(axum::extract::Query(q): axum::extract::Query<LangQuery>) -> Response {
    login_response(query_lang(&q), StatusCode::OK, "", None)
}

/// The login form.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    /// Login name.
    #[serde(default)]
    pub login: String,
    /// Password.
    #[serde(default)]
    pub password: String,
    /// The double-submit token.
    #[serde(default, rename = "_csrf")]
    pub csrf: String,
}

/// `POST /portal/login`: the password step, with the API's password verification
/// (a dummy hash for unknown logins) and its per-address rate limit. Users with a
/// second factor go on to the TOTP step; others get their session at once.
pub async fn login_submit(
    State(state): State<AppState>,
    axum::extract::Query(q): axum::extract::Query<LangQuery>,
    ip: ClientIp,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> PortalResult {
    let lang = query_lang(&q);
    super::check_origin(&headers)?;
    let expected = cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !ct_eq(&f.csrf, &expected) {
        return Err(PortalError::Csrf);
    }
    if state.limits.check(&ip).is_err() {
        return Ok(login_response(
            lang,
            StatusCode::TOO_MANY_REQUESTS,
            &f.login,
            Some(lang.t("too_many_attempts")),
        ));
    }
    let refused = || {
        login_response(
            lang,
            StatusCode::UNAUTHORIZED,
            &f.login,
            Some(lang.t("login_failed")),
        )
    };
    let found = state
        .store
        .user_by_login(&f.login.trim().to_lowercase())
        .await?;
    let Some(found) = found else {
        verify_password(f.password, DUMMY_HASH.clone()).await;
        return Ok(refused());
    };
    if !verify_password(f.password, found.password_hash).await || found.user.disabled {
        return Ok(refused());
    }
    let member = state.store.member(found.user.member_id).await?;
    // Partners use the API and TAXII: the portal is the council's own.
    let Some(member) = member
        .filter(tsunagu_core::member::Member::is_active)
        .filter(|m| m.class != tsunagu_core::member::MemberClass::Partner)
    else {
        return Ok(refused());
    };
    let pu = state.store.portal_user(found.user.id).await?;
    let viewer = Viewer::uncleared(found.user, member);
    let mut tx = state.store.begin().await?;
    let (id, to) = if pu.totp_secret.is_some() {
        (
            start(&mut tx, viewer.user.id, false).await?,
            "/portal/login/totp",
        )
    } else {
        let id = start(&mut tx, viewer.user.id, true).await?;
        tx.audit(&audit_by(
            Some(&viewer),
            "portal.login",
            "user",
            &viewer.user.id.to_string(),
            json!({ "second_factor": false }),
        ))
        .await?;
        (id, "/portal/")
    };
    tx.commit().await?;
    Ok(with_cookie(see_other(to), &session_cookie(&id)))
}

fn totp_form(lang: Lang, csrf: &str, error: Option<&str>) -> Markup {
    html! {
        @if let Some(e) = error {
            p.error role="alert" { (e) }
        }
        form.card method="post" action="/portal/login/totp" {
            input type="hidden" name="_csrf" value=(csrf);
            p.hint #totp-hint { (lang.t("totp_hint")) }
            p {
                label for="code" { (lang.t("totp_code")) }
                input #code type="text" name="code" maxlength="24" required autocomplete="one-time-code" autocapitalize="characters" spellcheck="false" aria-describedby="totp-hint" autofocus;
            }
            p { button.primary type="submit" { (lang.t("totp_button")) } }
        }
    }
}

/// `GET /portal/login/totp`: the second step.
pub async fn totp_page(p: Pending) -> Response {
    let body = totp_form(p.lang, &p.session.csrf_token, None);
    layout::public_page(p.lang, p.lang.t("totp_title"), "/portal/login/totp", body)
}

/// The TOTP form.
#[derive(Debug, Deserialize)]
pub struct CodeForm {
    /// The 6 digits.
    #[serde(default)]
    pub code: String,
    /// The session's CSRF token.
    #[serde(default, rename = "_csrf")]
    pub csrf: String,
}

/// `POST /portal/login/totp`: a code of the user's secret, within a step either side,
/// never one already used; on success the pending session is replaced by a new one
/// (a new id). Five wrong codes drop the pending login.
pub async fn totp_submit(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    p: Pending,
    Form(f): Form<CodeForm>,
) -> PortalResult {
    super::check_origin(&headers)?;
    if !ct_eq(&f.csrf, &p.session.csrf_token) {
        return Err(PortalError::Csrf);
    }
    let lang = p.lang;
    let retry = |status, msg| {
        let body = totp_form(lang, &p.session.csrf_token, Some(msg));
        let mut resp = layout::public_page(lang, lang.t("totp_title"), "/portal/login/totp", body);
        *resp.status_mut() = status;
        resp
    };
    if state.limits.check(&ip).is_err() {
        return Ok(retry(
            StatusCode::TOO_MANY_REQUESTS,
            lang.t("too_many_attempts"),
        ));
    }
    let factor =
        crate::auth::check_second_factor(&state, p.viewer.user.id, &p.secret, &f.code).await?;
    if !matches!(factor, SecondFactor::Totp | SecondFactor::RecoveryCode) {
        let failures = state
            .store
            .portal_session_failed(&p.session.id_hash)
            .await?;
        if failures >= MAX_TOTP_FAILURES {
            state
                .store
                .delete_portal_session(&p.session.id_hash)
                .await?;
            let resp = login_response(
                lang,
                StatusCode::UNAUTHORIZED,
                &p.viewer.user.login,
                Some(lang.t("totp_too_many")),
            );
            return Ok(with_cookie(resp, &clear_session_cookie()));
        }
        return Ok(retry(StatusCode::UNAUTHORIZED, lang.t("totp_wrong")));
    }
    let mut tx = state.store.begin().await?;
    tx.delete_portal_session(&p.session.id_hash).await?;
    let id = start(&mut tx, p.viewer.user.id, true).await?;
    tx.audit(&audit_by(
        Some(&p.viewer),
        "portal.login",
        "user",
        &p.viewer.user.id.to_string(),
        json!({ "second_factor": factor.as_str() }),
    ))
    .await?;
    tx.commit().await?;
    // After a recovery code, the settings say how many are left.
    let to = if factor == SecondFactor::RecoveryCode {
        "/portal/settings?ok=recovery_used"
    } else {
        "/portal/"
    };
    Ok(with_cookie(see_other(to), &session_cookie(&id)))
}

/// `POST /portal/logout`: ends this session.
pub async fn logout(
    State(state): State<AppState>,
    super::Posted(s, _): super::Posted,
) -> PortalResult {
    let mut tx = state.store.begin().await?;
    tx.delete_portal_session(&s.id_hash).await?;
    tx.audit(&audit_by(
        Some(&s.viewer),
        "portal.logout",
        "user",
        &s.viewer.user.id.to_string(),
        json!({ "everywhere": false }),
    ))
    .await?;
    tx.commit().await?;
    Ok(with_cookie(
        see_other("/portal/login"),
        &clear_session_cookie(),
    ))
}

/// Ends every session of the session's user, audited.
///
/// # Errors
/// On database failure.
pub async fn end_all(state: &AppState, s: &Session) -> PortalResult<Response> {
    let mut tx = state.store.begin().await?;
    let n = tx.delete_user_portal_sessions(s.viewer.user.id).await?;
    tx.audit(&audit_by(
        Some(&s.viewer),
        "portal.logout",
        "user",
        &s.viewer.user.id.to_string(),
        json!({ "everywhere": true, "sessions": n }),
    ))
    .await?;
    tx.commit().await?;
    Ok(with_cookie(
        see_other("/portal/login"),
        &clear_session_cookie(),
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_test_vectors() {
        // RFC 6238 appendix B, SHA-1 (8-digit codes there; the last 6 digits here).
        let secret = b"12345678901234567890";
        for (t, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
            (20_000_000_000, "353130"),
        ] {
            assert_eq!(totp_code(secret, t / 30), code, "{t}");
        }
    }

    #[test]
    fn base32_round_trips() {
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(unbase32("MZXW6YTBOI").unwrap(), b"foobar");
        assert_eq!(unbase32("mzxw6ytboi======").unwrap(), b"foobar");
        assert_eq!(unbase32("not base32!"), None);
        let s = new_totp_secret();
        assert_eq!(s.len(), 32);
        assert_eq!(unbase32(&s).unwrap().len(), 20);
    }

    #[test]
    fn codes_match_one_step_either_side() {
        let secret = new_totp_secret();
        let raw = unbase32(&secret).unwrap();
        let now = OffsetDateTime::from_unix_timestamp(1_796_028_000).unwrap();
        let step = totp_step(now);
        for d in [-1, 0, 1] {
            let code = totp_code(&raw, step + d);
            assert!(totp_match(&secret, &code, now).is_some_and(|s| {
                // Another step's code may coincide; then it matched that step.
                totp_code(&raw, s) == code
            }));
        }
        let far = totp_code(&raw, step + 5);
        if (-1..=1).all(|d| totp_code(&raw, step + d) != far) {
            assert_eq!(totp_match(&secret, &far, now), None);
        }
        assert_eq!(totp_match(&secret, "12345", now), None);
        assert_eq!(totp_match(&secret, "abcdef", now), None);
    }

    #[test]
    fn cookies() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; tsunagu_session=abc; b=2"),
        );
        assert_eq!(cookie(&h, COOKIE).as_deref(), Some("abc"));
        assert_eq!(cookie(&h, "c"), None);
        assert_eq!(
            session_cookie("x"),
            "tsunagu_session=x; HttpOnly; Secure; SameSite=Strict; Path=/portal"
        );
        assert_eq!(
            otpauth_uri("soc@example", "ABC"),
            "otpauth://totp/tsunagu:soc%40example?secret=ABC&issuer=tsunagu&algorithm=SHA1&digits=6&period=30"
        );
    }
}
