//! Secrets: argon2id password hashes, random API tokens stored as SHA-256 hashes, and
//! the handlers to log in and manage one's own tokens.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};
use tsunagu_core::ids::{MemberId, TokenId, UserId};
use tsunagu_core::member::MemberView;
use tsunagu_core::text;
use tsunagu_core::user::{User, Viewer};
use tsunagu_store::{NewToken, Tx};
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiJson, Auth};
use crate::ratelimit::ClientIp;
use crate::{AppState, audit_by};

/// Prefix of every API token, so leaked tokens are recognisable by secret scanners.
pub const TOKEN_PREFIX: &str = "tsu_";

/// Fills a fresh array with cryptographically secure random bytes.
#[must_use]
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0_u8; N];
    rand::rng().fill_bytes(&mut b);
    b
}

/// A new random API token (256 bits) and its stored hash.
#[must_use]
pub fn new_token_secret() -> (String, String) {
    let secret = format!("{TOKEN_PREFIX}{}", hex::encode(random_bytes::<32>()));
    let hash = hash_token(&secret);
    (secret, hash)
}

/// SHA-256 of a token: tokens carry 256 random bits, so a fast hash is enough and
/// lets a token be found by its hash.
#[must_use]
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Hashes a password with argon2id on a blocking thread.
///
/// # Errors
/// When hashing fails.
pub async fn hash_password(password: String) -> ApiResult<String> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| ApiError::Internal(format!("password hashing failed: {e}")))
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?
}

/// Checks a password against its argon2id hash on a blocking thread.
pub async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
    })
    .await
    .unwrap_or(false)
}

/// A dummy hash to verify against when the login is unknown, so timing does not tell
/// which logins exist.
pub(crate) static DUMMY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    Argon2::default()
        .hash_password(b"tsunagu-dummy-password")
        .map(|h| h.to_string())
        .unwrap_or_default()
});

/// Default lifetime of a token made at login.
pub const DEFAULT_TOKEN_DAYS: i64 = 30;
/// Longest lifetime a token may have.
pub const MAX_TOKEN_DAYS: i64 = 366;

/// Issues a token for `user` inside `tx`, audited; returns the secret (shown once).
///
/// # Errors
/// On database failure.
pub async fn issue_token(
    tx: &mut Tx,
    user: UserId,
    member: MemberId,
    name: &str,
    days: i64,
    actor: Option<&Viewer>,
) -> ApiResult<IssuedToken> {
    let (secret, hash) = new_token_secret();
    let token = NewToken {
        id: TokenId::new(),
        user_id: user,
        member_id: member,
        name: name.to_owned(),
        token_hash: hash,
        expires_at: OffsetDateTime::now_utc() + Duration::days(days),
    };
    tx.insert_token(&token).await?;
    let mut rec = audit_by(
        actor,
        "token.create",
        "token",
        &token.id.to_string(),
        serde_json::json!({ "user": user, "name": name, "expires_at": token.expires_at.unix_timestamp() }),
    );
    if actor.is_none() {
        rec.actor_user = Some(user.to_string());
        rec.actor_member = Some(member.to_string());
    }
    tx.audit(&rec).await?;
    Ok(IssuedToken {
        token_id: token.id,
        token: secret,
        expires_at: token.expires_at,
    })
}

/// A token just issued: the secret is shown this once and never again.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedToken {
    /// Identifier, to list or revoke it later.
    pub token_id: TokenId,
    /// The secret: send it as `Authorization: Bearer <token>`.
    pub token: String,
    /// Expiry.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: OffsetDateTime,
}

/// Login with a password.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Login name.
    pub login: String,
    /// Password.
    pub password: String,
    /// A label for the token (default "login").
    #[serde(default)]
    pub token_name: Option<String>,
    /// Token lifetime in days (default 30, at most 366).
    #[serde(default)]
    pub expires_in_days: Option<i64>,
    /// The current code of the user's second factor (TOTP): required when the user
    /// enrolled one in the portal, so a password alone never yields a token.
    #[serde(default)]
    pub totp: Option<String>,
}

/// How many recovery codes a user gets.
pub const RECOVERY_CODES: usize = 10;

/// New recovery codes (80 random bits each, `XXXX-XXXX-XXXX-XXXX` in base32) and their
/// stored hashes.
#[must_use]
pub fn new_recovery_codes() -> (Vec<String>, Vec<String>) {
    (0..RECOVERY_CODES)
        .map(|_| {
            let raw = crate::portal::session::base32(&random_bytes::<10>());
            let code = raw
                .as_bytes()
                .chunks(4)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect::<Vec<_>>()
                .join("-");
            let hash = recovery_hash(&code);
            (code, hash)
        })
        .unzip()
}

/// The stored hash of a recovery code as typed: case, spaces and dashes do not count.
#[must_use]
pub fn recovery_hash(code: &str) -> String {
    let norm: String = code
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect();
    hash_token(&format!("recovery:{norm}"))
}

/// What a second-factor code turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecondFactor {
    /// The current TOTP code, not used before.
    Totp,
    /// An unused recovery code (now used up).
    RecoveryCode,
    /// A right TOTP code that was used already.
    Used,
    /// Neither.
    Wrong,
}

impl SecondFactor {
    /// How the audit log names it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Totp => "totp",
            Self::RecoveryCode => "recovery_code",
            Self::Used => "used",
            Self::Wrong => "wrong",
        }
    }
}

/// Checks `code` against `user`'s TOTP secret and then its recovery codes.
///
/// # Errors
/// On database failure.
pub(crate) async fn check_second_factor(
    state: &AppState,
    user: tsunagu_core::ids::UserId,
    secret: &str,
    code: &str,
) -> ApiResult<SecondFactor> {
    let now = OffsetDateTime::now_utc();
    if let Some(step) = crate::portal::session::totp_match(secret, code, now) {
        return Ok(if state.store.use_totp_step(user, step).await? {
            SecondFactor::Totp
        } else {
            SecondFactor::Used
        });
    }
    let alnum = code.chars().filter(char::is_ascii_alphanumeric).count();
    if alnum == 16
        && state
            .store
            .use_recovery_code(user, &recovery_hash(code), now)
            .await?
    {
        return Ok(SecondFactor::RecoveryCode);
    }
    Ok(SecondFactor::Wrong)
}

/// Checks the second factor of a user whose password was right: nothing to do when it
/// enrolled none; else `code` must be the current TOTP code, not used before, or one of
/// its unused recovery codes.
///
/// # Errors
/// [`ApiError::Unauthorized`] when the code is missing, wrong or used.
pub(crate) async fn second_factor(
    state: &AppState,
    user: tsunagu_core::ids::UserId,
    code: Option<&str>,
) -> ApiResult<()> {
    let Some(secret) = state.store.portal_user(user).await?.totp_secret else {
        return Ok(());
    };
    let code = code.ok_or_else(|| {
        ApiError::Unauthorized(
            "this user has a second factor: send its current code (or a recovery code) as \"totp\""
                .into(),
        )
    })?;
    match check_second_factor(state, user, &secret, code).await? {
        SecondFactor::Totp | SecondFactor::RecoveryCode => Ok(()),
        SecondFactor::Used => Err(ApiError::Unauthorized(
            "this code was used already: wait for the next one".into(),
        )),
        SecondFactor::Wrong => Err(ApiError::Unauthorized(
            "wrong login, password or code".into(),
        )),
    }
}

/// A token request by an authenticated user.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// A label, e.g. the script that will use it.
    pub name: String,
    /// Lifetime in days (default 30, at most 366).
    #[serde(default)]
    pub expires_in_days: Option<i64>,
}

/// A token as listed to its owner (never the secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenInfo {
    /// Identifier.
    pub id: TokenId,
    /// Label.
    pub name: String,
    /// Created.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    /// Expiry.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: OffsetDateTime,
    /// Revoked?
    pub revoked: bool,
}

/// Who the caller is.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// The user.
    pub user: User,
    /// Its member, as the member itself sees it.
    pub member: MemberView,
}

fn token_days(days: Option<i64>) -> ApiResult<i64> {
    let d = days.unwrap_or(DEFAULT_TOKEN_DAYS);
    if (1..=MAX_TOKEN_DAYS).contains(&d) {
        Ok(d)
    } else {
        Err(ApiError::Unprocessable(format!(
            "expires_in_days: must be between 1 and {MAX_TOKEN_DAYS}, got {d}"
        )))
    }
}

/// Exchanges a login and password for an API token.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    security(()),
    responses((status = 201, body = IssuedToken), (status = 401, body = Problem), (status = 429, body = Problem)))]
pub async fn login(
    State(state): State<AppState>,
    ip: ClientIp,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<(StatusCode, Json<IssuedToken>)> {
    state.limits.check(&ip)?;
    let days = token_days(req.expires_in_days)?;
    let name = text::required(
        "token_name",
        req.token_name.as_deref().unwrap_or("login"),
        100,
    )?;
    let refused = || ApiError::Unauthorized("wrong login or password".into());
    let found = state
        .store
        .user_by_login(&req.login.trim().to_lowercase())
        .await?;
    let Some(found) = found else {
        verify_password(req.password, DUMMY_HASH.clone()).await;
        return Err(refused());
    };
    if !verify_password(req.password, found.password_hash).await || found.user.disabled {
        return Err(refused());
    }
    let member = state
        .store
        .member(found.user.member_id)
        .await?
        .ok_or_else(refused)?;
    if !member.is_active() {
        return Err(refused());
    }
    second_factor(&state, found.user.id, req.totp.as_deref()).await?;
    let mut tx = state.store.begin().await?;
    let issued = issue_token(&mut tx, found.user.id, member.id, &name, days, None).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(issued)))
}

/// The caller's user and member.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = Problem)))]
pub async fn me(Auth(v): Auth) -> ApiResult<Json<Me>> {
    let member =
        tsunagu_core::member::member_view(&v.member, &v.member).ok_or(ApiError::NotFound)?;
    Ok(Json(Me {
        user: v.user,
        member,
    }))
}

/// Creates another token for the caller.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "auth", request_body = TokenRequest, security(("bearer" = [])),
    responses((status = 201, body = IssuedToken), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn create_token(
    State(state): State<AppState>,
    Auth(v): Auth,
    ApiJson(req): ApiJson<TokenRequest>,
) -> ApiResult<(StatusCode, Json<IssuedToken>)> {
    let days = token_days(req.expires_in_days)?;
    let name = text::required("name", &req.name, 100)?;
    let mut tx = state.store.begin().await?;
    let issued = issue_token(&mut tx, v.user.id, v.member.id, &name, days, Some(&v)).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(issued)))
}

/// Lists the caller's tokens.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = Vec<TokenInfo>), (status = 401, body = Problem)))]
pub async fn list_tokens(
    State(state): State<AppState>,
    Auth(v): Auth,
) -> ApiResult<Json<Vec<TokenInfo>>> {
    let rows = state.store.tokens_of(v.user.id).await?;
    Ok(Json(
        rows.into_iter()
            .map(|t| TokenInfo {
                id: t.id,
                name: t.name,
                created_at: t.created_at,
                expires_at: t.expires_at,
                revoked: t.revoked_at.is_some(),
            })
            .collect(),
    ))
}

/// Revokes one of the caller's tokens at once.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "auth", security(("bearer" = [])),
    params(("id" = String, Path, description = "token id")),
    responses((status = 204), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id: TokenId = id.parse().map_err(|_| ApiError::NotFound)?;
    let mut tx = state.store.begin().await?;
    if !tx.revoke_token(id, v.user.id).await? {
        return Err(ApiError::NotFound);
    }
    tx.audit(&audit_by(
        Some(&v),
        "token.revoke",
        "token",
        &id.to_string(),
        serde_json::json!({}),
    ))
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A password change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    /// The current password.
    pub current_password: String,
    /// The new one (12 characters or more).
    pub new_password: String,
}

/// Changes the caller's password (after the one-time password of the first start, say).
#[utoipa::path(post, path = "/api/v1/me/password", tag = "auth", request_body = PasswordChange, security(("bearer" = [])),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn change_password(
    State(state): State<AppState>,
    Auth(v): Auth,
    ApiJson(req): ApiJson<PasswordChange>,
) -> ApiResult<StatusCode> {
    tsunagu_core::user::check_password(&req.new_password)?;
    let found = state
        .store
        .user_by_login(&v.user.login)
        .await?
        .ok_or_else(|| ApiError::Unauthorized("unknown user".into()))?;
    if !verify_password(req.current_password, found.password_hash).await {
        return Err(ApiError::Forbidden("the current password is wrong".into()));
    }
    let hash = hash_password(req.new_password).await?;
    let mut tx = state.store.begin().await?;
    tx.set_password(v.user.id, &hash).await?;
    tx.audit(&audit_by(
        Some(&v),
        "user.password",
        "user",
        &v.user.id.to_string(),
        serde_json::json!({}),
    ))
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/auth/login", post(login))
        .route("/api/v1/me", get(me))
        .route("/api/v1/me/password", post(change_password))
        .route("/api/v1/tokens", get(list_tokens).post(create_token))
        .route("/api/v1/tokens/{id}", delete(revoke_token))
}
