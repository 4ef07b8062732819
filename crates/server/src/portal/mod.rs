//! The web portal under `/portal/`: server-rendered pages (maud), plain CSS, no
//! script, served by the same `tsunagu serve`.
//!
//! Every page is built from what the REST API's handlers return for the logged-in
//! user: items only through [`tsunagu_core::view::view`], alerts through their
//! recipient view. The portal adds sessions (password, then a TOTP second factor),
//! CSRF tokens on every form, two languages and times in JST; it holds no rule of
//! its own about who may see what.

pub mod advisories;
pub mod alerts;
pub mod assets;
pub mod audit;
pub mod channels;
pub mod clearances;
pub mod constituency;
pub mod consultations;
pub mod dashboard;
pub mod governance;
pub mod i18n;
pub mod incidents;
pub mod items;
pub mod kev;
pub mod layout;
pub mod members;
pub mod observations;
pub mod partners;
pub mod session;
pub mod settings;
pub mod tokens;
pub mod users;
pub mod vendors;

use std::sync::LazyLock;

use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Request};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::error::ApiError;
pub use session::Session;

/// The portal's style sheet.
pub const CSS: &str = include_str!("portal.css");

/// Where the style sheet is served: versioned by its hash, so it can be cached for
/// a year.
pub static CSS_PATH: LazyLock<String> = LazyLock::new(|| {
    let h = hex::encode(Sha256::digest(CSS.as_bytes()));
    format!("/portal/static/portal.css?v={}", &h[..12])
});

/// The policy every portal response carries: nothing from elsewhere, no framing, no
/// inline script or style.
pub const CSP: &str =
    "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Every portal route.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/portal/") }))
        .route("/portal", get(|| async { Redirect::to("/portal/") }))
        .route("/portal/static/portal.css", get(css))
        .route(
            "/portal/login",
            get(session::login_page).post(session::login_submit),
        )
        .route(
            "/portal/login/totp",
            get(session::totp_page).post(session::totp_submit),
        )
        .route("/portal/logout", post(session::logout))
        .route("/portal/", get(dashboard::page))
        .route("/portal/items", get(items::list).post(items::submit))
        .route("/portal/items/new", get(items::new_form).post(items::edit))
        .route("/portal/items/preview", post(items::preview))
        .route("/portal/items/{id}", get(items::detail))
        .route("/portal/items/{id}/feedback", post(items::feedback))
        .route("/portal/alerts", get(alerts::list).post(alerts::issue))
        .route("/portal/alerts/new", get(alerts::new_form))
        .route("/portal/alerts/{id}", get(alerts::detail))
        .route("/portal/alerts/{id}/ack", post(alerts::ack))
        .route("/portal/alerts/{id}/withdraw", post(alerts::withdraw))
        .route(
            "/portal/consultations",
            get(consultations::list).post(consultations::ask),
        )
        .route("/portal/consultations/new", get(consultations::new_form))
        .route("/portal/consultations/{id}", get(consultations::detail))
        .route(
            "/portal/consultations/{id}/reply",
            post(consultations::reply),
        )
        .route(
            "/portal/consultations/{id}/close",
            post(consultations::close),
        )
        .route(
            "/portal/constituency",
            get(constituency::page).post(constituency::register),
        )
        .route(
            "/portal/constituency/{id}/remove",
            post(constituency::remove),
        )
        .route(
            "/portal/constituency/{id}/verify",
            post(constituency::verify),
        )
        .route(
            "/portal/constituency/{id}/reject",
            post(constituency::reject),
        )
        .route("/portal/observations", get(observations::page))
        .route("/portal/observations/digest.csv", get(observations::digest))
        .route("/portal/trends", get(observations::trends))
        .route("/portal/kev", get(kev::list).post(kev::propose))
        .route("/portal/kev/{cve}/approve", post(kev::approve))
        .route(
            "/portal/incidents",
            get(incidents::list).post(incidents::submit),
        )
        .route("/portal/incidents/new", get(incidents::new_form))
        .route("/portal/incidents/{id}", get(incidents::detail))
        .route(
            "/portal/incidents/{id}/reports",
            post(incidents::add_report),
        )
        .route("/portal/incidents/{id}/consent", post(incidents::consent))
        .route("/portal/incidents/{id}/share", post(incidents::share))
        .route("/portal/assets", get(assets::page).post(assets::add))
        .route(
            "/portal/assets/import",
            post(assets::import).layer(DefaultBodyLimit::max(assets::PASTE_LIMIT)),
        )
        .route(
            "/portal/assets/sbom",
            post(assets::sbom).layer(DefaultBodyLimit::max(assets::PASTE_LIMIT)),
        )
        .route("/portal/assets/{id}/remove", post(assets::remove))
        .route(
            "/portal/advisories",
            get(advisories::list)
                .post(advisories::upload)
                .layer(DefaultBodyLimit::max(assets::PASTE_LIMIT)),
        )
        .route("/portal/advisories/{id}", get(advisories::detail))
        .route(
            "/portal/assets/sboms/{id}/remove",
            post(assets::remove_sbom_form),
        )
        .route("/portal/settings", get(settings::page))
        .route("/portal/lang", post(settings::set_lang))
        .route(
            "/portal/settings/totp",
            get(settings::totp_form).post(settings::totp_confirm),
        )
        .route(
            "/portal/settings/logout-everywhere",
            post(settings::logout_everywhere),
        )
        .route(
            "/portal/settings/channels",
            get(channels::page).post(channels::add),
        )
        .route(
            "/portal/settings/channels/{id}/deactivate",
            post(channels::deactivate),
        )
        .route(
            "/portal/settings/tokens",
            get(tokens::page).post(tokens::create),
        )
        .route("/portal/settings/tokens/{id}/revoke", post(tokens::revoke))
        .route("/portal/settings/users", get(users::page))
        .route(
            "/portal/settings/users/{id}/reset-second-factor",
            post(users::reset),
        )
        .route("/portal/settings/users/{id}/disable", post(users::disable))
        .route("/portal/audit", get(audit::page))
        .route(
            "/portal/clearances",
            get(clearances::page).post(clearances::grant),
        )
        .route("/portal/clearances/{id}/revoke", post(clearances::revoke))
        .route(
            "/portal/partners",
            get(partners::page).post(partners::register),
        )
        .route("/portal/partners/link", post(partners::link))
        .route("/portal/members/{id}/expel", post(members::expel))
        .route("/portal/members/{id}/task-force", post(members::task_force))
        .route(
            "/portal/members/{id}/task-force-approval",
            post(members::task_force_approve),
        )
        .route("/portal/settings/recovery-codes", post(settings::new_codes))
        .route("/portal/settings/withdraw", post(settings::withdraw))
        .route(
            "/portal/vendor-requests",
            get(vendors::list).post(vendors::open),
        )
        .route("/portal/vendor-requests/{id}", get(vendors::detail))
        .route(
            "/portal/vendor-requests/{id}/updates",
            post(vendors::update),
        )
        .route("/portal/governance", get(governance::page))
        .route("/portal/governance/declarations", post(governance::propose))
        .route(
            "/portal/governance/declarations/{id}/confirm",
            post(governance::confirm),
        )
        .route(
            "/portal/governance/declarations/{id}/end",
            post(governance::end),
        )
        .route("/portal/governance/rfis", post(governance::send))
        .route("/portal/governance/rfis/{id}", get(governance::rfi))
        .route(
            "/portal/governance/rfis/{id}/answer",
            post(governance::answer),
        )
        .route("/portal/governance/votes", post(governance::open))
        .route("/portal/governance/votes/{id}", get(governance::vote))
        .route(
            "/portal/governance/votes/{id}/ballot",
            post(governance::ballot),
        )
        .route("/portal/members", get(members::page))
        .route(
            "/portal/members/applications/{id}/approve",
            post(members::app_approve),
        )
        .route(
            "/portal/members/applications/{id}/reject",
            post(members::app_reject),
        )
        .route(
            "/portal/members/class-requests/{id}/approve",
            post(members::class_approve),
        )
        .route(
            "/portal/members/class-requests/{id}/reject",
            post(members::class_reject),
        )
        .route("/portal/{*rest}", get(not_found).post(not_found))
        .layer(axum::middleware::map_response(security_headers))
}

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        CSS,
    )
        .into_response()
}

async fn not_found() -> PortalError {
    PortalError::NotFound
}

async fn security_headers(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}

/// What a portal request can fail with; shown as a page in both languages.
#[derive(Debug)]
pub enum PortalError {
    /// No live session: to the login page.
    Login,
    /// A form without its session's CSRF token, or from another origin.
    Csrf,
    /// Nothing here, or nothing the caller may see.
    NotFound,
    /// What an API handler refused, with its reason.
    Api(ApiError),
}

impl From<ApiError> for PortalError {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::NotFound => Self::NotFound,
            other => Self::Api(other),
        }
    }
}

impl From<tsunagu_store::StoreError> for PortalError {
    fn from(e: tsunagu_store::StoreError) -> Self {
        Self::Api(e.into())
    }
}

impl From<tsunagu_core::DomainError> for PortalError {
    fn from(e: tsunagu_core::DomainError) -> Self {
        Self::Api(e.into())
    }
}

/// The status an API error answers with.
#[must_use]
pub fn api_status(e: &ApiError) -> StatusCode {
    match e {
        ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
        ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
        ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
        ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
        ApiError::NotFound => StatusCode::NOT_FOUND,
        ApiError::Conflict(_) => StatusCode::CONFLICT,
        ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
        ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ApiError::NotAcceptable(_) => StatusCode::NOT_ACCEPTABLE,
        ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
        ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The message of an API error fit to show (internal causes are logged, not shown).
#[must_use]
pub fn api_message(e: &ApiError) -> String {
    match e {
        ApiError::Internal(cause) => {
            tracing::error!(%cause, "portal request failed");
            "Something went wrong on our side; it has been logged.".to_owned()
        }
        other => other.to_string(),
    }
}

impl IntoResponse for PortalError {
    fn into_response(self) -> Response {
        match self {
            Self::Login => Redirect::to("/portal/login").into_response(),
            Self::Csrf => layout::error_page(
                StatusCode::FORBIDDEN,
                "フォームの有効期限が切れたか、不正な送信です",
                "The form expired or did not come from this site",
                "Reload the page and try again.",
            ),
            Self::NotFound => layout::error_page(
                StatusCode::NOT_FOUND,
                "見つかりません",
                "Not found",
                "There is nothing here, or nothing you may see.",
            ),
            Self::Api(e) => {
                let status = api_status(&e);
                layout::error_page(status, "エラー", "Error", &api_message(&e))
            }
        }
    }
}

/// The result of a portal handler.
pub type PortalResult<T = Response> = Result<T, PortalError>;

/// A submitted form's fields, in order (a name may repeat).
#[derive(Debug, Clone, Default)]
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    /// The first value of `name`.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of `name`, or "".
    #[must_use]
    pub fn text(&self, name: &str) -> &str {
        self.get(name).unwrap_or("")
    }

    /// Whether a checkbox `name` was ticked.
    #[must_use]
    pub fn checked(&self, name: &str) -> bool {
        self.get(name).is_some_and(|v| !v.is_empty())
    }

    /// The fields other than the CSRF token, to carry through a preview.
    pub fn fields(&self) -> impl Iterator<Item = &(String, String)> {
        self.0.iter().filter(|(k, _)| k != "_csrf")
    }
}

/// Whether two secrets are equal, in time that does not depend on where they differ.
#[must_use]
pub fn ct_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0_u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Refuses a form sent from a page of another origin (when the browser says which).
///
/// # Errors
/// [`PortalError::Csrf`] when `Origin` names another host than `Host`.
pub fn check_origin(headers: &HeaderMap) -> PortalResult<()> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let origin_host = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .map(|(_, rest)| rest);
    if origin_host.is_some_and(|o| !host.is_empty() && o.eq_ignore_ascii_case(host)) {
        Ok(())
    } else {
        Err(PortalError::Csrf)
    }
}

/// A form posted within a live session, its CSRF token checked against the
/// session's (constant time) and its origin checked: every portal `POST` but the
/// login takes one. A `multipart/form-data` form (a file chosen for upload) gives its
/// files as text fields under their input's name; a file that is not UTF-8 text is
/// refused.
#[derive(Debug)]
pub struct Posted(pub Session, pub FormData);

impl FromRequest<AppState> for Posted {
    type Rejection = PortalError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        check_origin(&parts.headers)?;
        let session = Session::from_request_parts(&mut parts, state).await?;
        let multipart = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|h| h.to_str().ok())
            .is_some_and(|t| t.starts_with("multipart/form-data"));
        let request = Request::from_parts(parts, body);
        let pairs = if multipart {
            multipart_fields(request, state).await?
        } else {
            let Form(pairs) = Form::<Vec<(String, String)>>::from_request(request, state)
                .await
                .map_err(|_| PortalError::Csrf)?;
            pairs
        };
        let form = FormData(pairs);
        if !ct_eq(form.text("_csrf"), &session.csrf) {
            return Err(PortalError::Csrf);
        }
        Ok(Self(session, form))
    }
}

/// The fields of a multipart form, files as text.
async fn multipart_fields(
    request: Request,
    state: &AppState,
) -> Result<Vec<(String, String)>, PortalError> {
    let mut parts = axum::extract::Multipart::from_request(request, state)
        .await
        .map_err(|_| PortalError::Csrf)?;
    let mut pairs = Vec::new();
    loop {
        let field = match parts.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(ApiError::PayloadTooLarge(
                    "the file is larger than the portal takes: upload it through the API".into(),
                )
                .into());
            }
            Err(_) => return Err(PortalError::Csrf),
        };
        let name = field.name().unwrap_or_default().to_owned();
        let file = field.file_name().map(str::to_owned);
        let bytes = field.bytes().await.map_err(|e| {
            PortalError::from(ApiError::PayloadTooLarge(format!("the upload failed: {e}")))
        })?;
        let text = String::from_utf8(bytes.to_vec()).map_err(|_| {
            ApiError::Unprocessable(format!(
                "{name}: {} is not a text file (JSON, XML or CSV)",
                file.as_deref().unwrap_or("the file")
            ))
        })?;
        pairs.push((name, text));
    }
    Ok(pairs)
}

/// The status of an API refusal that a page shows in the form that caused it (the
/// values kept); `None` for the others, which are error pages.
#[must_use]
pub fn form_refusal(e: &ApiError) -> Option<StatusCode> {
    match e {
        ApiError::Unprocessable(_) => Some(StatusCode::UNPROCESSABLE_ENTITY),
        ApiError::Conflict(_) => Some(StatusCode::CONFLICT),
        ApiError::BadRequest(_) => Some(StatusCode::BAD_REQUEST),
        ApiError::Forbidden(_) => Some(StatusCode::FORBIDDEN),
        _ => None,
    }
}

/// A `303 See Other` to `to`.
#[must_use]
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// `back` if it is a portal path of this site, else the dashboard.
#[must_use]
pub fn safe_back(back: &str) -> &str {
    let ok = back.starts_with("/portal/")
        && !back.contains("//")
        && !back.contains('\\')
        && !back.chars().any(char::is_control);
    if ok { back } else { "/portal/" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_compare() {
        assert!(ct_eq("abc", "abc"));
        assert!(!ct_eq("abc", "abd"));
        assert!(!ct_eq("abc", "abcd"));
        assert!(!ct_eq("", "a"));
        assert!(ct_eq("", ""));
    }

    #[test]
    fn only_portal_paths_are_followed_back() {
        assert_eq!(
            safe_back("/portal/items?kind=analysis"),
            "/portal/items?kind=analysis"
        );
        for bad in [
            "https://evil.example/",
            "//evil.example/",
            "/portal//evil",
            "/api/v1/me",
            "/portal/\\evil",
            "",
        ] {
            assert_eq!(safe_back(bad), "/portal/", "{bad}");
        }
    }

    #[test]
    fn origins() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8080"));
        assert!(check_origin(&h).is_ok(), "no Origin: the token decides");
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://127.0.0.1:8080"),
        );
        assert!(check_origin(&h).is_ok());
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        assert!(check_origin(&h).is_err());
        h.insert(header::ORIGIN, HeaderValue::from_static("null"));
        assert!(check_origin(&h).is_err());
    }
}
