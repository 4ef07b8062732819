//! Block-list feeds (M6.4) for ISPs and members to block: the confirmed malicious IP
//! addresses, domains and URLs the caller may see, at `/feeds/blocklist.txt` (one
//! value per line), `/feeds/blocklist.rpz` (a DNS response policy zone) and
//! `/feeds/blocklist.json`.
//!
//! Token-authenticated like the MISP feed; each member gets the list its own policy
//! view allows ([`tsunagu_core::blocklist`] says which items contribute). Items are
//! read a page at a time and each passes through [`view`] before anything of it is
//! kept. The feeds are polled, so a fetch is not audited, and every answer carries a
//! strong `ETag` over its bytes and a `Last-Modified`: a poller that sends them back
//! gets `304 Not Modified` until the list changes.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::State;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH,
    LAST_MODIFIED,
};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use time::format_description::FormatItem;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};
use tsunagu_core::blocklist::{BlockList, Document, ValueType};
use tsunagu_core::ids::ItemId;
use tsunagu_core::item::ItemKind;
use tsunagu_core::user::Viewer;
use tsunagu_core::view::view;
use tsunagu_store::KevStatus;

use crate::AppState;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiQuery, Auth};

/// Items read per database round trip; no more of other members' items are held at once.
const PAGE: usize = 500;

/// How long a client may reuse an answer without asking again.
const CACHE_CONTROL_VALUE: &str = "private, max-age=60";

/// The plain-text media type of the list and the zone.
const TEXT: &str = "text/plain; charset=utf-8";

/// The file name an RPZ download is saved under.
const RPZ_DISPOSITION: &str = "attachment; filename=\"tsunagu-blocklist.rpz\"";

/// HTTP's date format (IMF-fixdate, RFC 9110 section 5.6.7), always in GMT.
const HTTP_DATE: &[FormatItem<'static>] = time::macros::format_description!(
    "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
);

/// Collects the block list `v` may see, of `only` one family when given: the
/// countermeasures page by page in change order, then the evidence items of published
/// catalogue entries, a page of ids at a time.
///
/// # Errors
/// On database failure.
pub async fn collect(
    state: &AppState,
    v: &Viewer,
    only: Option<ValueType>,
) -> ApiResult<BlockList> {
    // Each evidence item with the newest update of the published entries listing it.
    let mut evidence: BTreeMap<ItemId, OffsetDateTime> = BTreeMap::new();
    for k in state.store.kev_entries(Some(KevStatus::Published)).await? {
        for id in k.entry.evidence_items {
            let listed = evidence.entry(id).or_insert(k.updated_at);
            *listed = (*listed).max(k.updated_at);
        }
    }
    let mut list = BlockList::new(only);
    let limit = i64::try_from(PAGE).unwrap_or(i64::MAX);
    let mut cursor = (i64::MIN, -1);
    loop {
        let page = state
            .store
            .items_by_change(cursor, &[ItemKind::Countermeasure.as_str()], limit)
            .await?;
        let done = page.len() < PAGE;
        for stored in &page {
            cursor = (
                tsunagu_core::audit::millis(stored.item.updated_at),
                stored.seq,
            );
            if let Some(shown) = view(&stored.item, v) {
                list.add(&shown, evidence.get(&shown.id).copied());
            }
        }
        if done {
            break;
        }
    }
    let ids: Vec<ItemId> = evidence.keys().copied().collect();
    for page in ids.chunks(PAGE) {
        for stored in state.store.items_by_ids(page).await?.values() {
            if let Some(shown) = view(&stored.item, v)
                // Countermeasures were read above.
                && shown.kind != ItemKind::Countermeasure
            {
                list.add(&shown, evidence.get(&shown.id).copied());
            }
        }
    }
    Ok(list)
}

/// `t` as an HTTP date, to the second.
fn http_date(t: OffsetDateTime) -> Option<String> {
    t.to_offset(UtcOffset::UTC).format(HTTP_DATE).ok()
}

/// An HTTP date (IMF-fixdate); `None` when it is not one.
fn parse_http_date(s: &str) -> Option<OffsetDateTime> {
    PrimitiveDateTime::parse(s.trim(), HTTP_DATE)
        .ok()
        .map(PrimitiveDateTime::assume_utc)
}

/// A strong entity tag over the bytes: the first 128 bits of their SHA-256, quoted.
fn etag_of(body: &[u8]) -> String {
    let digest = hex::encode(Sha256::digest(body));
    format!("\"{}\"", &digest[..32])
}

/// Whether the client's copy is current (RFC 9110 section 13.2.2): with
/// `If-None-Match`, when it lists `etag` (weakly compared, so `W/` tags match too) or
/// is `*`; otherwise with `If-Modified-Since`, when that is not older than
/// `last_modified` (to the second). A list with no `Last-Modified` is never current by
/// date.
fn not_modified(headers: &HeaderMap, etag: &str, last_modified: Option<OffsetDateTime>) -> bool {
    let mut tags = headers
        .get_all(IF_NONE_MATCH)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(','))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .peekable();
    if tags.peek().is_some() {
        return tags.any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == etag);
    }
    let since = headers
        .get(IF_MODIFIED_SINCE)
        .and_then(|h| h.to_str().ok())
        .and_then(parse_http_date);
    match (since, last_modified) {
        (Some(since), Some(modified)) => since.unix_timestamp() >= modified.unix_timestamp(),
        _ => false,
    }
}

/// The answer for a rendered list: 304 when the client's copy is current, else 200
/// with the body; both with the validators and `Cache-Control`.
fn respond(
    headers: &HeaderMap,
    last_modified: Option<OffsetDateTime>,
    content: &[(HeaderName, &'static str)],
    body: Vec<u8>,
) -> Response {
    let etag = etag_of(&body);
    let mut validators = vec![(CACHE_CONTROL, CACHE_CONTROL_VALUE.to_owned())];
    if let Some(date) = last_modified.and_then(http_date) {
        validators.push((LAST_MODIFIED, date));
    }
    let current = not_modified(headers, &etag, last_modified);
    validators.push((ETAG, etag));
    let mut response = if current {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut response = body.into_response();
        for (name, value) in content {
            response
                .headers_mut()
                .insert(name.clone(), HeaderValue::from_static(value));
        }
        response
    };
    for (name, value) in validators {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

/// The query of the plain list.
#[derive(Debug, Deserialize)]
pub struct TextParams {
    /// `ip` (IPv4, IPv6, CIDR), `domain` or `url`; every family when absent.
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// The block list as plain text: `#` comment lines (title, generated time, count),
/// then one value per line, IP addresses and ranges first, then domains, then URLs.
#[utoipa::path(get, path = "/feeds/blocklist.txt", tag = "feeds", security(("bearer" = [])),
    params(("type" = Option<String>, Query, description = "ip (IPv4, IPv6, CIDR), domain or url; every family when absent")),
    responses((status = 200, description = "One value per line after # comments", content_type = "text/plain"),
        (status = 304, description = "The copy named by If-None-Match or If-Modified-Since is current"),
        (status = 400, body = Problem), (status = 401, body = Problem)))]
pub async fn blocklist_txt(
    State(state): State<AppState>,
    Auth(v): Auth,
    ApiQuery(p): ApiQuery<TextParams>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let only = p
        .kind
        .as_deref()
        .map(|t| {
            ValueType::parse(t).ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "type: unknown value {t:?}; expected ip, domain or url"
                ))
            })
        })
        .transpose()?;
    let list = collect(&state, &v, only).await?;
    Ok(respond(
        &headers,
        list.updated_at(),
        &[(CONTENT_TYPE, TEXT)],
        list.to_text().into_bytes(),
    ))
}

/// The block list as a DNS response policy zone for resolvers: each domain and its
/// subdomains and each address and range answer NXDOMAIN; URLs are left out.
#[utoipa::path(get, path = "/feeds/blocklist.rpz", tag = "feeds", security(("bearer" = [])),
    responses((status = 200, description = "An RPZ zone file", content_type = "text/plain"),
        (status = 304, description = "The copy named by If-None-Match or If-Modified-Since is current"),
        (status = 401, body = Problem)))]
pub async fn blocklist_rpz(
    State(state): State<AppState>,
    Auth(v): Auth,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let list = collect(&state, &v, None).await?;
    Ok(respond(
        &headers,
        list.updated_at(),
        &[(CONTENT_TYPE, TEXT), (CONTENT_DISPOSITION, RPZ_DISPOSITION)],
        list.to_rpz().into_bytes(),
    ))
}

/// The block list as JSON: each value with its type, the items it came from, their
/// most restrictive TLP, and when it was first and last seen.
#[utoipa::path(get, path = "/feeds/blocklist.json", tag = "feeds", security(("bearer" = [])),
    responses((status = 200, body = Document),
        (status = 304, description = "The copy named by If-None-Match or If-Modified-Since is current"),
        (status = 401, body = Problem)))]
pub async fn blocklist_json(
    State(state): State<AppState>,
    Auth(v): Auth,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let list = collect(&state, &v, None).await?;
    let last_modified = list.updated_at();
    let body =
        serde_json::to_vec(&list.into_document()).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(respond(
        &headers,
        last_modified,
        &[(CONTENT_TYPE, "application/json")],
        body,
    ))
}

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/feeds/blocklist.txt", get(blocklist_txt))
        .route("/feeds/blocklist.rpz", get(blocklist_rpz))
        .route("/feeds/blocklist.json", get(blocklist_json))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn headers(pairs: &[(HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.append(name.clone(), HeaderValue::from_str(value).unwrap());
        }
        h
    }

    #[test]
    fn http_dates_round_trip_to_the_second() {
        let t = datetime!(1994-11-06 08:49:37.250 UTC);
        let text = http_date(t).unwrap();
        assert_eq!(text, "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(
            parse_http_date(&text),
            Some(datetime!(1994-11-06 08:49:37 UTC))
        );
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), None);
        assert_eq!(parse_http_date("yesterday"), None);
    }

    #[test]
    fn if_none_match_lists_stars_and_weak_tags_match() {
        let tag = etag_of(b"list");
        assert_eq!(tag.len(), 34);
        assert!(tag.starts_with('"') && tag.ends_with('"'));
        assert_ne!(tag, etag_of(b"list2"));
        let modified = Some(datetime!(2024-01-01 00:00 UTC));
        for inm in [
            tag.clone(),
            format!("W/{tag}"),
            format!("\"other\", {tag}"),
            "*".to_owned(),
        ] {
            assert!(
                not_modified(&headers(&[(IF_NONE_MATCH, &inm)]), &tag, modified),
                "{inm}"
            );
        }
        let two = headers(&[(IF_NONE_MATCH, "\"a\""), (IF_NONE_MATCH, &tag)]);
        assert!(not_modified(&two, &tag, modified));
        // A non-matching If-None-Match wins over a current If-Modified-Since.
        let other = headers(&[
            (IF_NONE_MATCH, "\"other\""),
            (IF_MODIFIED_SINCE, "Mon, 01 Jan 2024 00:00:00 GMT"),
        ]);
        assert!(!not_modified(&other, &tag, modified));
    }

    #[test]
    fn if_modified_since_compares_to_the_second() {
        let tag = etag_of(b"list");
        let modified = Some(datetime!(2024-01-01 00:00:00.900 UTC));
        let since = |s: &str| headers(&[(IF_MODIFIED_SINCE, s)]);
        assert!(not_modified(
            &since("Mon, 01 Jan 2024 00:00:00 GMT"),
            &tag,
            modified
        ));
        assert!(not_modified(
            &since("Tue, 02 Jan 2024 00:00:00 GMT"),
            &tag,
            modified
        ));
        assert!(!not_modified(
            &since("Sun, 31 Dec 2023 23:59:59 GMT"),
            &tag,
            modified
        ));
        assert!(!not_modified(&since("not a date"), &tag, modified));
        assert!(
            !not_modified(&since("Mon, 01 Jan 2024 00:00:00 GMT"), &tag, None),
            "an empty list has no date to compare"
        );
        assert!(!not_modified(&HeaderMap::new(), &tag, modified));
    }
}
