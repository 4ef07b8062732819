//! The TAXII 2.1 server at `/taxii2/`: discovery, one API root, collections per
//! audience, objects, manifest, versions, object by id, a writable submissions
//! collection and status resources.
//!
//! Every object served is produced on the fly from the caller's policy view of an item
//! (there is no shared copy of "the STIX" to leak from), in the order items were added
//! or last changed: an item's objects share its `date_added`, and a new revision is
//! added again at the end. Paging is keyset over (date_added, item, object): a page
//! costs about `limit` objects whatever the collection's size, and `next` is a
//! stateless cursor, signed with a key every server sharing the database knows, bound
//! to the caller and the query, and re-authorised on every page.
//!
//! What real clients trip over, handled here: every response (errors too) is
//! `application/taxii+json;version=2.1`; an unversioned `Accept` is served; `next` is
//! present whenever `more` is; the date headers are on every 2xx of objects, manifest,
//! object and versions; status answers with and without its trailing slash; Basic,
//! `Bearer` and `Token` authorisation; what the caller may not see is 404, never 403.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tokio::sync::OnceCell;
use tsunagu_core::member::MemberClass;
use tsunagu_core::user::Viewer;

use crate::AppState;
use crate::auth::{hash_token, random_bytes, verify_password};
use crate::error::ApiError;
use crate::interop::{self, Served, ServedObject};

/// The TAXII 2.1 media type, on every response.
pub const MEDIA_TYPE: &str = "application/taxii+json;version=2.1";
/// The STIX 2.1 media type, in collections and manifests.
pub const STIX_MEDIA_TYPE: &str = "application/stix+json;version=2.1";
/// The one API root.
pub const ROOT: &str = "/taxii2/root/";
/// Objects per page when the client does not say.
const DEFAULT_LIMIT: usize = 100;
/// Most objects per page.
const MAX_LIMIT: usize = 1000;
/// Items read per database round trip while filling a page.
const ITEM_BATCH: i64 = 200;
/// Most items examined for one page: a caller who sees little of a large collection
/// gets a shorter page with `more` and `next` rather than a long wait.
const SCAN_BUDGET: usize = 5000;
/// How long a verified Basic credential is remembered (the stored hash is still
/// compared on every request, so a password change takes effect at once).
const BASIC_CACHE_SECS: u64 = 300;
/// How long status resources are kept.
const STATUS_DAYS: i64 = 7;

/// What the TAXII server keeps between requests: the cursor-signing key (from the
/// database, so every server agrees) and recently verified Basic credentials.
#[derive(Default)]
pub struct TaxiiState {
    cursor_key: OnceCell<Vec<u8>>,
    basic: Mutex<HashMap<[u8; 32], (String, Instant)>>,
    salt: OnceCell<[u8; 32]>,
}

/// A collection: a view of the caller's items, or the submissions inbox.
#[derive(Debug, Clone, Copy)]
pub struct Collection {
    /// Identifier (in the URL).
    pub id: &'static str,
    /// Alias, also accepted in the URL.
    pub alias: &'static str,
    /// Title.
    pub title: &'static str,
    /// Description.
    pub description: &'static str,
    /// Item kinds it holds (`as_str`); empty means every kind.
    pub kinds: &'static [&'static str],
    /// Readable.
    pub can_read: bool,
    /// Writable.
    pub can_write: bool,
}

/// The collections of the API root.
pub const COLLECTIONS: [Collection; 4] = [
    Collection {
        id: "3f1c9d2e-7a41-4b8e-9c55-0d6a2b7e4f10",
        alias: "all",
        title: "Everything you may see",
        description: "Every shared item this member may see, as the policy view shows it to this member.",
        kinds: &[],
        can_read: true,
        can_write: false,
    },
    Collection {
        id: "8b2e6f4a-1d93-4c7b-a8e2-5f0c3d9b6a21",
        alias: "task-force",
        title: "Task-force items",
        description: "Threat information and analyses shared with the task force (feedback asked).",
        kinds: &["threat_information", "analysis"],
        can_read: true,
        can_write: false,
    },
    Collection {
        id: "c47d0a5b-9e26-4f18-b3c1-6a8e2d7f5b32",
        alias: "countermeasures",
        title: "Confirmed countermeasures",
        description: "Countermeasures and best practices: what to do.",
        kinds: &["countermeasure", "best_practice"],
        can_read: true,
        can_write: false,
    },
    Collection {
        id: "e91a3c7f-2b58-4d06-8f4e-7c1b9a0d6e43",
        alias: "submissions",
        title: "Submissions",
        description: "POST STIX objects here: they become items provided by your member, \
                      shared with the task force at TLP:AMBER unless marked otherwise; change the scope later in the API. \
                      A partner council's objects become the partner's items, within its sharing agreement.",
        kinds: &[],
        can_read: false,
        can_write: true,
    },
];

fn collection(id: &str) -> Option<&'static Collection> {
    COLLECTIONS.iter().find(|c| c.id == id || c.alias == id)
}

/// The routes under `/taxii2/`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/taxii2/", get(discovery))
        .route(ROOT, get(api_root))
        .route("/taxii2/root/collections/", get(collections))
        .route("/taxii2/root/collections/{id}/", get(one_collection))
        .route(
            "/taxii2/root/collections/{id}/objects/",
            get(get_objects).post(add_objects),
        )
        .route("/taxii2/root/collections/{id}/manifest/", get(manifest))
        .route(
            "/taxii2/root/collections/{id}/objects/{oid}/",
            get(get_object).delete(delete_object),
        )
        .route(
            "/taxii2/root/collections/{id}/objects/{oid}/versions/",
            get(versions),
        )
        .route("/taxii2/root/status/{id}/", get(status))
        .route("/taxii2/root/status/{id}", get(status))
}

// ---------------------------------------------------------------- errors and bodies

/// An error answered as a TAXII error message.
#[derive(Debug)]
pub struct TaxiiError(pub ApiError);

impl<E: Into<ApiError>> From<E> for TaxiiError {
    fn from(e: E) -> Self {
        Self(e.into())
    }
}

type TaxiiResult<T> = Result<T, TaxiiError>;

fn bad(msg: impl Into<String>) -> TaxiiError {
    TaxiiError(ApiError::BadRequest(msg.into()))
}

/// A TAXII error body for `status`.
#[must_use]
pub fn error_response(status: StatusCode, title: &str, description: &str) -> Response {
    let body = json!({
        "title": title,
        "description": description,
        "http_status": status.as_u16().to_string(),
    });
    let mut resp = (status, body.to_string()).into_response();
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(MEDIA_TYPE));
    if status == StatusCode::UNAUTHORIZED {
        resp.headers_mut().insert(
            WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"tsunagu\", Bearer realm=\"tsunagu\""),
        );
    }
    resp
}

impl IntoResponse for TaxiiError {
    fn into_response(self) -> Response {
        let (status, title) = match &self.0 {
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "Bad request"),
            ApiError::Unprocessable(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "Unprocessable content")
            }
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "Authentication required"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "Forbidden"),
            ApiError::NotFound => (StatusCode::NOT_FOUND, "Not found"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "Conflict"),
            ApiError::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "Too large"),
            ApiError::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "Unsupported media type")
            }
            ApiError::NotAcceptable(_) => (StatusCode::NOT_ACCEPTABLE, "Not acceptable"),
            ApiError::TooManyRequests(_) => (StatusCode::TOO_MANY_REQUESTS, "Too many requests"),
            ApiError::Internal(cause) => {
                tracing::error!(%cause, "TAXII request failed");
                return error_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Internal error",
                    "something failed inside; it was logged",
                );
            }
        };
        let description = match &self.0 {
            ApiError::NotFound => "no such resource".to_owned(),
            other => other.to_string(),
        };
        error_response(status, title, &description)
    }
}

/// A TAXII 2xx body with the TAXII media type and extra headers.
struct Taxii {
    status: StatusCode,
    body: String,
    headers: Vec<(&'static str, String)>,
}

impl Taxii {
    fn ok(body: Value) -> Self {
        Self::raw(body.to_string())
    }

    fn raw(body: String) -> Self {
        Self {
            status: StatusCode::OK,
            body,
            headers: Vec::new(),
        }
    }
}

impl IntoResponse for Taxii {
    fn into_response(self) -> Response {
        let mut resp = (self.status, self.body).into_response();
        let h = resp.headers_mut();
        h.insert(CONTENT_TYPE, HeaderValue::from_static(MEDIA_TYPE));
        for (name, value) in self.headers {
            if let Ok(v) = HeaderValue::from_str(&value) {
                h.insert(name, v);
            }
        }
        resp
    }
}

/// Refuses an `Accept` that admits no TAXII 2.1 response (406); a bare
/// `application/taxii+json` means the latest version and is served.
fn check_accept(headers: &HeaderMap) -> TaxiiResult<()> {
    let Some(accept) = headers.get(ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    let fits = accept.split(',').any(|range| {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or_default().to_ascii_lowercase();
        let version = parts
            .filter_map(|p| p.split_once('='))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("version"))
            .map(|(_, v)| v.trim().trim_matches('"').to_owned());
        match media.as_str() {
            "application/taxii+json" => version.is_none_or(|v| v == "2.1"),
            "*/*" | "application/*" | "application/json" => true,
            _ => false,
        }
    });
    if fits {
        Ok(())
    } else {
        Err(TaxiiError(ApiError::NotAcceptable(format!(
            "this server answers {MEDIA_TYPE}; the Accept header {accept:?} admits none of it"
        ))))
    }
}

// ---------------------------------------------------------------- authentication

/// The caller, by HTTP Basic (login:password), `Bearer <token>` or `Token <token>`.
async fn authenticate(state: &AppState, headers: &HeaderMap) -> TaxiiResult<Viewer> {
    let unauthorized = |m: &str| TaxiiError(ApiError::Unauthorized(m.to_owned()));
    let header = headers
        .get(AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .ok_or_else(|| {
            unauthorized("send HTTP Basic (login:password) or Authorization: Bearer <token>")
        })?;
    let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
    let rest = rest.trim();
    let now = OffsetDateTime::now_utc();
    let viewer = if scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token") {
        state
            .store
            .viewer_by_token_hash(&hash_token(rest), now)
            .await?
            .ok_or_else(|| unauthorized("the token is unknown, expired or revoked"))?
    } else if scheme.eq_ignore_ascii_case("basic") {
        basic(state, rest)
            .await?
            .ok_or_else(|| unauthorized("wrong login or password"))?
    } else {
        return Err(unauthorized(
            "the Authorization scheme must be Basic, Bearer or Token",
        ));
    };
    if !viewer.member.is_active() || viewer.user.disabled {
        return Err(unauthorized("the account is disabled or its member left"));
    }
    tracing::Span::current().record("user", tracing::field::display(viewer.user.id));
    Ok(state.cleared(viewer).await?)
}

async fn basic(state: &AppState, encoded: &str) -> TaxiiResult<Option<Viewer>> {
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| TaxiiError(ApiError::Unauthorized("malformed Basic credentials".into())))?;
    let Some((login, password)) = decoded.split_once(':') else {
        return Ok(None);
    };
    let login = login.trim().to_lowercase();
    let Some(found) = state.store.user_by_login(&login).await? else {
        return Ok(None);
    };
    let taxii = &state.taxii;
    let salt = taxii
        .salt
        .get_or_init(|| async { random_bytes::<32>() })
        .await;
    let key: [u8; 32] = Sha256::new()
        .chain_update(salt)
        .chain_update(login.as_bytes())
        .chain_update([0])
        .chain_update(password.as_bytes())
        .finalize()
        .into();
    let remembered = {
        let cache = taxii
            .basic
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        cache.get(&key).is_some_and(|(hash, at)| {
            *hash == found.password_hash && at.elapsed().as_secs() < BASIC_CACHE_SECS
        })
    };
    if !remembered {
        if !verify_password(password.to_owned(), found.password_hash.clone()).await {
            return Ok(None);
        }
        let mut cache = taxii
            .basic
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if cache.len() > 10_000 {
            cache.clear();
        }
        cache.insert(key, (found.password_hash.clone(), Instant::now()));
    }
    // A password is one factor: a user who enrolled a second one uses an API token.
    if state
        .store
        .portal_user(found.user.id)
        .await?
        .totp_secret
        .is_some()
    {
        return Err(TaxiiError(ApiError::Unauthorized(
            "this user has a second factor: use an API token (Authorization: Bearer) instead of Basic".into(),
        )));
    }
    let Some(member) = state.store.member(found.user.member_id).await? else {
        return Ok(None);
    };
    Ok(Some(Viewer::uncleared(found.user, member)))
}

// ---------------------------------------------------------------- discovery, root, collections

async fn discovery(State(state): State<AppState>, headers: HeaderMap) -> TaxiiResult<Taxii> {
    check_accept(&headers)?;
    authenticate(&state, &headers).await?;
    Ok(Taxii::ok(json!({
        "title": "tsunagu",
        "description": "The council's threat-information exchange. Every object is shown as your membership may see it.",
        "default": ROOT,
        "api_roots": [ROOT],
    })))
}

async fn api_root(State(state): State<AppState>, headers: HeaderMap) -> TaxiiResult<Taxii> {
    check_accept(&headers)?;
    authenticate(&state, &headers).await?;
    Ok(Taxii::ok(json!({
        "title": "tsunagu council",
        "description": "Shared items, task-force items, confirmed countermeasures and submissions.",
        "versions": [MEDIA_TYPE],
        "max_content_length": state.config.body_limit,
    })))
}

fn collection_json(c: &Collection) -> Value {
    json!({
        "id": c.id,
        "alias": c.alias,
        "title": c.title,
        "description": c.description,
        "can_read": c.can_read,
        "can_write": c.can_write,
        "media_types": [STIX_MEDIA_TYPE],
    })
}

async fn collections(State(state): State<AppState>, headers: HeaderMap) -> TaxiiResult<Taxii> {
    check_accept(&headers)?;
    let v = authenticate(&state, &headers).await?;
    let list: Vec<Value> = COLLECTIONS
        .iter()
        .filter(|c| c.can_read || v.ensure_can_act().is_ok())
        .map(collection_json)
        .collect();
    Ok(Taxii::ok(json!({ "collections": list })))
}

/// The collection if the caller may use it at all; 404 otherwise.
fn usable(id: &str, v: &Viewer) -> TaxiiResult<&'static Collection> {
    collection(id)
        .filter(|c| c.can_read || v.ensure_can_act().is_ok())
        .ok_or(TaxiiError(ApiError::NotFound))
}

async fn one_collection(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> TaxiiResult<Taxii> {
    check_accept(&headers)?;
    let v = authenticate(&state, &headers).await?;
    Ok(Taxii::ok(collection_json(usable(&id, &v)?)))
}

// ---------------------------------------------------------------- filters and cursors

/// Which versions `match[version]` asks for. Only the current version of an object is
/// served (the policy view is of the item as it is now), so `first`, `last` and `all`
/// all give it; a timestamp gives it when it is that version.
#[derive(Debug, Clone, PartialEq, Eq)]
enum VersionSel {
    Any,
    At(String),
}

/// A request's filters, parsed; malformed ones are a 400.
#[derive(Debug, Default, Clone)]
struct Filters {
    added_after_us: Option<i128>,
    limit: usize,
    next: Option<String>,
    ids: Option<Vec<String>>,
    types: Option<Vec<String>>,
    versions: Option<Vec<VersionSel>>,
    spec_versions: Option<Vec<String>>,
}

fn is_stix_type(t: &str) -> bool {
    (3..=250).contains(&t.len())
        && t.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !t.starts_with('-')
}

fn is_stix_id(id: &str) -> bool {
    id.split_once("--")
        .is_some_and(|(t, u)| is_stix_type(t) && uuid::Uuid::parse_str(u).is_ok() && u.len() == 36)
}

fn parse_time_us(s: &str) -> Option<i128> {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| t.unix_timestamp_nanos() / 1000)
}

impl Filters {
    fn parse(raw: Option<&str>, allow: &[&str]) -> TaxiiResult<Self> {
        let mut f = Self {
            limit: DEFAULT_LIMIT,
            ..Self::default()
        };
        let mut seen = std::collections::HashSet::new();
        for (k, v) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
            let (k, v) = (k.into_owned(), v.into_owned());
            let known = matches!(
                k.as_str(),
                "added_after"
                    | "limit"
                    | "next"
                    | "match[id]"
                    | "match[type]"
                    | "match[version]"
                    | "match[spec_version]"
            );
            if !known {
                // Unknown parameters, and unknown match fields, may be ignored.
                continue;
            }
            if !allow.contains(&k.as_str()) {
                continue;
            }
            if !seen.insert(k.clone()) {
                return Err(bad(format!("{k} is given twice; give each filter once")));
            }
            let list = || -> Vec<String> { v.split(',').map(|s| s.trim().to_owned()).collect() };
            match k.as_str() {
                "added_after" => {
                    f.added_after_us = Some(parse_time_us(&v).ok_or_else(|| {
                        bad(format!("added_after {v:?} is not an RFC 3339 timestamp"))
                    })?);
                }
                "limit" => {
                    let n: usize = v
                        .parse()
                        .map_err(|_| bad(format!("limit {v:?} is not a positive integer")))?;
                    if n == 0 {
                        return Err(bad("limit must be greater than 0"));
                    }
                    f.limit = n.min(MAX_LIMIT);
                }
                "next" => f.next = Some(v),
                "match[id]" => {
                    let ids = list();
                    if let Some(badid) = ids.iter().find(|i| !is_stix_id(i)) {
                        return Err(bad(format!(
                            "match[id]: {badid:?} is not a STIX id (type--UUID)"
                        )));
                    }
                    f.ids = Some(ids);
                }
                "match[type]" => {
                    let types = list();
                    if let Some(t) = types.iter().find(|t| !is_stix_type(t)) {
                        return Err(bad(format!("match[type]: {t:?} is not a STIX type name")));
                    }
                    f.types = Some(types);
                }
                "match[version]" => {
                    let mut out = Vec::new();
                    for s in list() {
                        out.push(match s.as_str() {
                            "first" | "last" | "all" => VersionSel::Any,
                            t if parse_time_us(t).is_some() => VersionSel::At(t.to_owned()),
                            other => {
                                return Err(bad(format!(
                                    "match[version]: {other:?} is not first, last, all or a timestamp"
                                )));
                            }
                        });
                    }
                    f.versions = Some(out);
                }
                "match[spec_version]" => {
                    let specs = list();
                    if let Some(s) = specs.iter().find(|s| {
                        s.split_once('.').is_none_or(|(a, b)| {
                            a.is_empty()
                                || b.is_empty()
                                || !a.bytes().chain(b.bytes()).all(|c| c.is_ascii_digit())
                        })
                    }) {
                        return Err(bad(format!(
                            "match[spec_version]: {s:?} is not a version like 2.1"
                        )));
                    }
                    f.spec_versions = Some(specs);
                }
                _ => {}
            }
        }
        Ok(f)
    }

    /// What a cursor is bound to: the collection and every filter but `limit`/`next`.
    fn fingerprint(&self, collection: &str, object: Option<&str>) -> String {
        let text = format!(
            "{collection}|{object:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
            self.added_after_us, self.ids, self.types, self.versions, self.spec_versions
        );
        hex::encode(&Sha256::digest(text.as_bytes())[..12])
    }

    fn admits(&self, object: &ServedObject) -> bool {
        if let Some(ids) = &self.ids
            && !ids.contains(&object.id)
        {
            return false;
        }
        if let Some(types) = &self.types
            && !types.contains(&object.kind)
        {
            return false;
        }
        if let Some(versions) = &self.versions
            && !versions.iter().any(|v| match v {
                VersionSel::Any => true,
                VersionSel::At(t) => parse_time_us(t) == parse_time_us(&object.version),
            })
        {
            return false;
        }
        if let Some(specs) = &self.spec_versions
            && !specs.contains(&object.spec_version)
        {
            return false;
        }
        true
    }
}

/// Where an object sits in a collection: (date_added in ms, item seq, index in item).
/// The preamble (TLP markings, the council's identity) sits at seq 0.
type Pos = (i64, i64, usize);

async fn cursor_key(state: &AppState) -> TaxiiResult<&Vec<u8>> {
    state
        .taxii
        .cursor_key
        .get_or_try_init(|| async {
            let hexkey = state
                .store
                .server_key("taxii-cursor", || hex::encode(random_bytes::<32>()))
                .await?;
            hex::decode(hexkey).map_err(|e| TaxiiError(ApiError::Internal(e.to_string())))
        })
        .await
}

fn cursor_hmac(key: &[u8], body: &str, member: &str) -> Hmac<Sha256> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key");
    mac.update(body.as_bytes());
    mac.update(b"|");
    mac.update(member.as_bytes());
    mac
}

/// Bytes of the HMAC a cursor carries.
const CURSOR_MAC_BYTES: usize = 16;

fn encode_cursor(key: &[u8], pos: Pos, fingerprint: &str, member: &str) -> String {
    let body = format!("{}.{}.{}.{fingerprint}", pos.0, pos.1, pos.2);
    let mac = cursor_hmac(key, &body, member).finalize().into_bytes();
    format!("{body}.{}", hex::encode(&mac[..CURSOR_MAC_BYTES]))
}

fn decode_cursor(key: &[u8], next: &str, fingerprint: &str, member: &str) -> TaxiiResult<Pos> {
    let refused = || bad("next is not a cursor this server issued for this query and caller");
    let (body, mac) = next.rsplit_once('.').ok_or_else(refused)?;
    let mac = hex::decode(mac).map_err(|_| refused())?;
    if mac.len() != CURSOR_MAC_BYTES {
        return Err(refused());
    }
    // Constant-time comparison.
    cursor_hmac(key, body, member)
        .verify_truncated_left(&mac)
        .map_err(|_| refused())?;
    let parts: Vec<&str> = body.split('.').collect();
    let [ms, seq, idx, fp] = parts.as_slice() else {
        return Err(refused());
    };
    if *fp != fingerprint {
        return Err(bad(
            "next belongs to a query with other filters: repeat the same filters with next",
        ));
    }
    Ok((
        ms.parse().map_err(|_| refused())?,
        seq.parse().map_err(|_| refused())?,
        idx.parse().map_err(|_| refused())?,
    ))
}

fn taxii_time(ms: i64) -> String {
    let t = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

// ---------------------------------------------------------------- the page walker

/// One object on a page, with where it sits.
struct Entry {
    pos: Pos,
    set: Served,
    idx: usize,
}

impl Entry {
    fn object(&self) -> &ServedObject {
        &self.set[self.idx]
    }
}

/// A page: its objects, whether more follow, and where to resume.
struct Page {
    entries: Vec<Entry>,
    more: bool,
    resume: Option<Pos>,
}

/// Walks the collection for `v` from after `after`, keeping objects `filters` admits,
/// until `limit` are found (and one more, to know whether `more` is true), or `budget`
/// items were examined.
async fn walk(
    state: &AppState,
    v: &Viewer,
    coll: &Collection,
    filters: &Filters,
    after: Option<Pos>,
    limit: usize,
    budget: usize,
) -> TaxiiResult<Page> {
    let mut entries = Vec::new();
    let start_ms = filters
        .added_after_us
        .map(|us| i64::try_from(us.div_euclid(1000)).unwrap_or(i64::MAX));
    let preamble_ms = interop::PREAMBLE_MS;
    // Resume strictly after `after`; `added_after` excludes everything at or before it.
    let mut after = after.unwrap_or(match start_ms {
        Some(ms) => (ms, i64::MAX, usize::MAX),
        None => (i64::MIN, -1, 0),
    });
    if let Some(ms) = start_ms
        && after < (ms, i64::MAX, usize::MAX)
    {
        after = (ms, i64::MAX, usize::MAX);
    }
    let mut shown_items = Vec::new();
    // The preamble: markings and the council's identity, before any item.
    if after < (preamble_ms, 0, usize::MAX) {
        let set = interop::served_preamble();
        for (idx, object) in set.iter().enumerate() {
            let pos = (preamble_ms, 0, idx);
            if pos > after && filters.admits(object) {
                entries.push(Entry {
                    pos,
                    set: set.clone(),
                    idx,
                });
            }
        }
    }
    let mut scanned = 0;
    // Items strictly after `cursor`: from the item `after` points into, if any.
    let mut cursor = if after.1 >= 1 && after.1 != i64::MAX {
        (after.0, after.1 - 1)
    } else {
        (after.0, after.1)
    };
    let mut exhausted = false;
    'outer: while entries.len() <= limit {
        let batch = state
            .store
            .item_positions_by_change(cursor, coll.kinds, ITEM_BATCH)
            .await?;
        if batch.is_empty() {
            exhausted = true;
            break;
        }
        let batch_len = batch.len();
        // Items are decoded only as the page reaches them: one at first, then groups
        // that double, so a page from a large item decodes one item, and a scan over
        // many small ones takes few round trips.
        let mut loaded: std::collections::HashMap<_, _> = std::collections::HashMap::new();
        let mut group = 1;
        for (i, (ms, seq, id)) in batch.iter().copied().enumerate() {
            cursor = (ms, seq);
            scanned += 1;
            if !loaded.contains_key(&id) {
                let ids: Vec<_> = batch[i..].iter().take(group).map(|p| p.2).collect();
                loaded = state.store.items_by_ids(&ids).await?;
                group = (group * 2).min(64);
            }
            let Some(stored) = loaded.remove(&id) else {
                continue;
            };
            if tsunagu_core::audit::millis(stored.item.updated_at) != ms {
                // Changed since the batch was read: it is served again at its new place.
                continue;
            }
            if let Some(set) = interop::served_objects(state, v, &stored).await? {
                let mut any = false;
                for (idx, object) in set.iter().enumerate() {
                    let pos = (ms, stored.seq, idx);
                    if pos <= after || !filters.admits(object) {
                        continue;
                    }
                    any = true;
                    entries.push(Entry {
                        pos,
                        set: set.clone(),
                        idx,
                    });
                    if entries.len() > limit {
                        break 'outer;
                    }
                }
                if any {
                    shown_items.push(stored.item);
                }
            }
            if scanned >= budget {
                break 'outer;
            }
        }
        if usize::try_from(ITEM_BATCH).unwrap_or(0) > batch_len {
            exhausted = true;
            break;
        }
    }
    let more_found = entries.len() > limit;
    entries.truncate(limit);
    let more = more_found || (!exhausted && scanned >= budget);
    let resume = if more {
        Some(
            entries
                .last()
                .map_or((cursor.0, cursor.1, usize::MAX), |e| e.pos),
        )
    } else {
        None
    };
    let refs: Vec<&tsunagu_core::item::Item> = shown_items.iter().collect();
    crate::api::items::record_reads(state, v, &refs).await?;
    Ok(Page {
        entries,
        more,
        resume,
    })
}

/// A page read for a request, with its filters and the `next` cursor to hand out.
struct Read {
    page: Page,
    filters: Filters,
    next: String,
}

impl Read {
    /// The response: `items` (the page's entries as serialised members) under `key`,
    /// with `more`, `next` and the date headers.
    fn respond<'a>(
        &'a self,
        key: &str,
        items: impl Iterator<Item = std::borrow::Cow<'a, str>>,
    ) -> Taxii {
        Taxii {
            headers: date_headers(&self.page, &self.filters),
            ..Taxii::raw(envelope(&self.page, &self.next, key, items))
        }
    }
}

/// Runs a read request: authenticates, checks the collection, parses the filters and
/// the cursor, and walks. A request for one object that finds nothing is a 404.
async fn read_page(
    state: &AppState,
    headers: &HeaderMap,
    id: &str,
    object: Option<&str>,
    raw: Option<&str>,
    allow: &[&str],
) -> TaxiiResult<Read> {
    check_accept(headers)?;
    let v = authenticate(state, headers).await?;
    let coll = usable(id, &v)?;
    if !coll.can_read {
        return Err(TaxiiError(ApiError::Forbidden(
            "this collection takes submissions; it cannot be read".into(),
        )));
    }
    let mut filters = Filters::parse(raw, allow)?;
    if let Some(oid) = object {
        if !is_stix_id(oid) {
            return Err(TaxiiError(ApiError::NotFound));
        }
        filters.ids = Some(vec![oid.to_owned()]);
    }
    let fingerprint = filters.fingerprint(coll.id, object);
    let key = cursor_key(state).await?;
    let member = v.member.id.to_string();
    let after = match &filters.next {
        Some(n) => Some(decode_cursor(key, n, &fingerprint, &member)?),
        None => None,
    };
    // An object by id is looked for in the whole collection: "not found" must mean it.
    let budget = if object.is_some() {
        usize::MAX
    } else {
        SCAN_BUDGET
    };
    let page = walk(state, &v, coll, &filters, after, filters.limit, budget).await?;
    if object.is_some() && page.entries.is_empty() && filters.next.is_none() {
        return Err(TaxiiError(ApiError::NotFound));
    }
    let next = page
        .resume
        .map(|pos| encode_cursor(key, pos, &fingerprint, &member))
        .unwrap_or_default();
    Ok(Read {
        page,
        filters,
        next,
    })
}

fn date_headers(page: &Page, filters: &Filters) -> Vec<(&'static str, String)> {
    let (first, last) = match (page.entries.first(), page.entries.last()) {
        (Some(f), Some(l)) => (taxii_time(f.pos.0), taxii_time(l.pos.0)),
        _ => {
            // Nothing on the page: both name where the query started.
            let at = filters
                .added_after_us
                .map_or(0, |us| i64::try_from(us / 1000).unwrap_or(0));
            (taxii_time(at), taxii_time(at))
        }
    };
    vec![
        ("X-TAXII-Date-Added-First", first),
        ("X-TAXII-Date-Added-Last", last),
    ]
}

/// An envelope (or versions list) from already serialised members.
fn envelope<'a>(
    page: &Page,
    next: &str,
    key: &str,
    items: impl Iterator<Item = std::borrow::Cow<'a, str>>,
) -> String {
    let mut body = String::with_capacity(4096);
    body.push_str(if page.more {
        "{\"more\":true"
    } else {
        "{\"more\":false"
    });
    if page.more {
        body.push_str(",\"next\":");
        body.push_str(&Value::String(next.to_owned()).to_string());
    }
    let mut first = true;
    for item in items {
        if first {
            body.push_str(&format!(",\"{key}\":["));
            first = false;
        } else {
            body.push(',');
        }
        body.push_str(&item);
    }
    if !first {
        body.push(']');
    }
    body.push('}');
    body
}

fn raw_objects(page: &Page) -> impl Iterator<Item = std::borrow::Cow<'_, str>> {
    page.entries
        .iter()
        .map(|e| std::borrow::Cow::Borrowed(&*e.object().json))
}

const OBJECT_FILTERS: &[&str] = &[
    "added_after",
    "limit",
    "next",
    "match[id]",
    "match[type]",
    "match[version]",
    "match[spec_version]",
];

async fn get_objects(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> TaxiiResult<Taxii> {
    let read = read_page(&state, &headers, &id, None, raw.as_deref(), OBJECT_FILTERS).await?;
    Ok(read.respond("objects", raw_objects(&read.page)))
}

async fn manifest(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> TaxiiResult<Taxii> {
    let read = read_page(&state, &headers, &id, None, raw.as_deref(), OBJECT_FILTERS).await?;
    let records = read.page.entries.iter().map(|e| {
        std::borrow::Cow::Owned(
            json!({
                "id": e.object().id,
                "date_added": taxii_time(e.pos.0),
                "version": e.object().version,
                "media_type": STIX_MEDIA_TYPE,
            })
            .to_string(),
        )
    });
    Ok(read.respond("objects", records))
}

async fn get_object(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, oid)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> TaxiiResult<Taxii> {
    let allow = &[
        "added_after",
        "limit",
        "next",
        "match[version]",
        "match[spec_version]",
    ];
    let read = read_page(&state, &headers, &id, Some(&oid), raw.as_deref(), allow).await?;
    Ok(read.respond("objects", raw_objects(&read.page)))
}

async fn versions(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, oid)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> TaxiiResult<Taxii> {
    let allow = &["added_after", "limit", "next", "match[spec_version]"];
    let read = read_page(&state, &headers, &id, Some(&oid), raw.as_deref(), allow).await?;
    let list =
        read.page.entries.iter().map(|e| {
            std::borrow::Cow::Owned(Value::String(e.object().version.clone()).to_string())
        });
    Ok(read.respond("versions", list))
}

/// Objects are not deleted over TAXII: items are retracted in the API, which keeps
/// the history. Answered per §5.7: 404 when the caller may neither read nor write the
/// collection, else 403.
async fn delete_object(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, _oid)): Path<(String, String)>,
) -> TaxiiResult<Taxii> {
    check_accept(&headers)?;
    let v = authenticate(&state, &headers).await?;
    usable(&id, &v)?;
    Err(TaxiiError(ApiError::Forbidden(
        "objects are not deleted over TAXII: retract the item in the API (POST /api/v1/items/{id}/retract)".into(),
    )))
}

// ---------------------------------------------------------------- adding, status

async fn add_objects(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> TaxiiResult<Taxii> {
    check_accept(&headers)?;
    let v = authenticate(&state, &headers).await?;
    let coll = usable(&id, &v)?;
    if !coll.can_write {
        return Err(TaxiiError(ApiError::Forbidden(
            "this collection is read-only: POST to the submissions collection".into(),
        )));
    }
    v.ensure_can_act()?;
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if !content_type.starts_with("application/taxii+json") {
        return Err(TaxiiError(ApiError::UnsupportedMediaType(format!(
            "send the envelope as Content-Type: {MEDIA_TYPE}"
        ))));
    }
    let envelope: Value =
        serde_json::from_slice(&body).map_err(|e| bad(format!("the body is not JSON: {e}")))?;
    let objects = envelope
        .get("objects")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("the body must be an envelope: {\"objects\": [...]}"))?;
    let requested = OffsetDateTime::now_utc();
    let total = objects.len();
    let ids: Vec<(String, String)> = objects
        .iter()
        .map(|o| {
            (
                o.get("id")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                interop::version_of(o),
            )
        })
        .collect();
    let summary = if v.member.class == MemberClass::Partner {
        // A partner council's push: items of the partner, within its agreement.
        crate::federation::receive(&state.store, &v, objects).await?
    } else {
        let bundle = json!({
            "type": "bundle",
            "id": format!("bundle--{}", uuid::Uuid::new_v4()),
            "objects": objects,
        });
        let bytes = serde_json::to_vec(&bundle).map_err(|e| ApiError::Internal(e.to_string()))?;
        interop::import_stix(&state, &v, std::io::Cursor::new(bytes), |_| {}).await?
    };
    let status_id = uuid::Uuid::new_v4().to_string();
    let successes: Vec<Value> = ids
        .iter()
        .map(|(id, version)| json!({"id": id, "version": version}))
        .collect();
    let status = json!({
        "id": status_id,
        "status": "complete",
        "request_timestamp": taxii_time(tsunagu_core::audit::millis(requested)),
        "total_count": total,
        "success_count": total,
        "successes": successes,
        "failure_count": 0,
        "failures": [],
        "pending_count": 0,
        "pendings": [],
        "x_tsunagu_import": summary.to_json(),
    });
    state
        .store
        .put_taxii_status(&status_id, v.member.id, &status.to_string(), requested)
        .await?;
    Ok(Taxii {
        status: StatusCode::ACCEPTED,
        ..Taxii::ok(status)
    })
}

async fn status(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> TaxiiResult<Taxii> {
    check_accept(&headers)?;
    let v = authenticate(&state, &headers).await?;
    let since = OffsetDateTime::now_utc() - time::Duration::days(STATUS_DAYS);
    let body = state
        .store
        .taxii_status(&id, v.member.id, since)
        .await?
        .ok_or(TaxiiError(ApiError::NotFound))?;
    let body: Value = serde_json::from_str(&body).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Taxii::ok(body))
}

/// Turns the framework's bare errors under `/taxii2/` (unknown path, wrong method, body
/// too large) into TAXII error messages.
#[must_use]
pub fn bare_error(status: StatusCode) -> Response {
    let description = match status {
        StatusCode::METHOD_NOT_ALLOWED => "this method is not allowed on this TAXII endpoint",
        StatusCode::PAYLOAD_TOO_LARGE => "the request is larger than max_content_length",
        StatusCode::NOT_FOUND => "no such resource",
        _ => "the request failed",
    };
    error_response(
        status,
        status.canonical_reason().unwrap_or("Error"),
        description,
    )
}
