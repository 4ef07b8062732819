//! Extractors: JSON bodies whose rejections are problem+json, and the authenticated
//! viewer behind a bearer token.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use time::OffsetDateTime;
use tsunagu_core::member::MemberClass;
use tsunagu_core::user::Viewer;

use crate::AppState;
use crate::auth::hash_token;
use crate::error::ApiError;

/// A JSON body; malformed JSON, unknown fields and bad enum values become a 4xx
/// problem+json that quotes serde's explanation.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Self(v)),
            Err(rejection) => Err(json_rejection(&rejection)),
        }
    }
}

fn json_rejection(r: &JsonRejection) -> ApiError {
    let text = r.body_text();
    match r.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge(
            "the request body is larger than this endpoint accepts".into(),
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            ApiError::UnsupportedMediaType("send the body as Content-Type: application/json".into())
        }
        StatusCode::UNPROCESSABLE_ENTITY => ApiError::Unprocessable(text),
        _ => ApiError::BadRequest(text),
    }
}

/// Query parameters; a bad one becomes a 400 problem+json.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Self(q.0))
            .map_err(|r: QueryRejection| ApiError::BadRequest(r.body_text()))
    }
}

/// The authenticated caller. Rejects with 401 when the token is missing, malformed,
/// expired or revoked, or when its member is no longer active.
#[derive(Debug, Clone)]
pub struct Auth(pub Viewer);

/// What a partner's token may call in the REST API (federation, M7.2): reading the
/// items its agreement lets out, nothing of the council's own business (members,
/// alerts, consultations, assets, incidents, feeds, …).
fn partner_may_call(parts: &Parts) -> bool {
    let path = parts.uri.path().trim_end_matches('/');
    parts.method == axum::http::Method::GET
        && (matches!(path, "/api/v1/items" | "/api/v1/me" | "/api/v1/export/stix")
            || path
                .strip_prefix("/api/v1/items/")
                .is_some_and(|id| !id.is_empty() && !id.contains('/')))
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(AUTHORIZATION).ok_or_else(|| {
            ApiError::Unauthorized("send an API token as Authorization: Bearer <token>".into())
        })?;
        let token = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::Unauthorized("the Authorization header must be Bearer <token>".into())
            })?;
        let viewer = state
            .store
            .viewer_by_token_hash(&hash_token(token), OffsetDateTime::now_utc())
            .await?
            .filter(|v| v.member.is_active() && !v.user.disabled)
            .ok_or_else(|| {
                ApiError::Unauthorized("the token is unknown, expired or revoked".into())
            })?;
        if viewer.member.class == MemberClass::Partner && !partner_may_call(parts) {
            return Err(ApiError::Forbidden(
                "a partner reads shared items only: GET /api/v1/items, /api/v1/items/{id}, \
                 /api/v1/me, /api/v1/export/stix, and the TAXII collections at /taxii2/"
                    .into(),
            ));
        }
        tracing::Span::current().record("user", tracing::field::display(viewer.user.id));
        Ok(Self(state.cleared(viewer).await?))
    }
}
