//! Observations over HTTP (M6.2, M6.3): sensors push records (CSV with
//! Shadowserver-style columns, or JSON lines); each member reads only the hits on its
//! own verified constituency — by day, tag and sensor type, as records with the
//! precision stated, and as a daily CSV — and the shared indicators inside it; every
//! member reads the council-wide trends, which name no member.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use tsunagu_core::ids::ItemId;
use tsunagu_core::member::SpecialRole;
use tsunagu_core::observation::{Defaults, Format, Observation, SensorType};
use tsunagu_core::trends::{self, Series, Trends};
use tsunagu_core::user::Viewer;
use tsunagu_core::view::view;
use tsunagu_store::{HitQuery, HitRow, NoticeKind, day_of};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiQuery, Auth};
use crate::observations::{
    self, DIGEST_LIMIT, IndicatorHit, IngestError, IngestSummary, hits_csv, indicator_hits,
    precision,
};

/// Largest observation upload: about a million records.
const UPLOAD_LIMIT: usize = 256 * 1024 * 1024;

/// Who submits observations.
fn ensure_sensor_operator(v: &Viewer) -> ApiResult<()> {
    v.ensure_can_act()?;
    if v.member.has_role(SpecialRole::SensorOperator) || v.member.has_role(SpecialRole::Coordinator)
    {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "only sensor operators and the coordinator submit observations".into(),
        ))
    }
}

/// Values for columns the records lack.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct IngestQuery {
    /// The sensor type of records without a `sensor_type` column.
    pub sensor_type: Option<String>,
    /// The sensor id of records without a `sensor_id` column.
    pub sensor_id: Option<String>,
}

/// Submits observations: a CSV with Shadowserver-style columns (`text/csv`) or JSON
/// lines (`application/x-ndjson`), any size up to 256 MiB — a file by API, or a
/// sensor's continuous push in small batches. All or nothing: a malformed record
/// stores nothing and is named by line and column. Sensor operators and the
/// coordinator only.
#[utoipa::path(post, path = "/api/v1/observations", tag = "observations", params(IngestQuery), security(("bearer" = [])),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 201, body = IngestSummary), (status = 403, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
pub async fn ingest(
    State(state): State<AppState>,
    Auth(v): Auth,
    ApiQuery(q): ApiQuery<IngestQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<IngestSummary>)> {
    ensure_sensor_operator(&v)?;
    let sensor_type = q
        .sensor_type
        .as_deref()
        .map(|s| {
            SensorType::parse(s).ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "sensor_type: must be darknet, honeypot, sinkhole or scan, got {s:?}"
                ))
            })
        })
        .transpose()?;
    let defaults = Defaults {
        sensor_id: q.sensor_id,
        sensor_type,
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|h| h.to_str().ok())
        .map(|h| {
            h.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        });
    let format = match content_type.as_deref() {
        Some("text/csv") => Format::Csv,
        Some("application/x-ndjson" | "application/jsonl" | "application/json-lines") => {
            Format::JsonLines
        }
        Some("application/octet-stream" | "text/plain") | None => Format::detect(&body),
        Some(other) => {
            return Err(ApiError::UnsupportedMediaType(format!(
                "send text/csv or application/x-ndjson, not {other}"
            )));
        }
    };
    let summary = observations::ingest(
        &state,
        &v,
        std::io::Cursor::new(body),
        Some(format),
        defaults,
        "api",
        |_| {},
    )
    .await
    .map_err(|e| match e {
        IngestError::Store(e) => e.into(),
        e => ApiError::Unprocessable(e.to_string()),
    })?;
    Ok((StatusCode::CREATED, Json(summary)))
}

/// A hit on the caller's constituency.
#[derive(Debug, Serialize, ToSchema)]
pub struct HitView {
    /// Position (for paging).
    pub seq: i64,
    /// The record.
    pub observation: Observation,
    /// Which part of the record is the caller's: `source_address`,
    /// `destination_address`, `hostname` or `asn`.
    pub via: String,
    /// The caller's entry it hit.
    pub matched: String,
    /// What the hit means, stated plainly.
    pub precision: String,
}

fn hit_view(seq: i64, h: HitRow) -> HitView {
    HitView {
        seq,
        precision: precision(&h),
        observation: h.observation,
        via: h.via,
        matched: h.matched,
    }
}

/// Filters and paging of the caller's hits.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct HitsQuery {
    /// First day, `YYYY-MM-DD` (UTC).
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD`.
    pub to: Option<String>,
    /// Only one sensor type.
    pub sensor_type: Option<String>,
    /// Only one tag.
    pub tag: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<i64>,
    /// Page size, 1–1000 (default 100).
    pub limit: Option<i64>,
}

/// A page of hits.
#[derive(Debug, Serialize, ToSchema)]
pub struct HitPage {
    /// Hits, oldest first.
    pub hits: Vec<HitView>,
    /// Cursor of the next page.
    pub next_cursor: Option<i64>,
}

fn parse_day(field: &str, s: &str) -> ApiResult<Date> {
    Date::parse(s, time::macros::format_description!("[year]-[month]-[day]"))
        .map_err(|_| ApiError::BadRequest(format!("{field}: not a YYYY-MM-DD date: {s:?}")))
}

/// The records that hit the caller's own verified constituency. Nobody else's.
#[utoipa::path(get, path = "/api/v1/observations/hits", tag = "observations", params(HitsQuery), security(("bearer" = [])),
    responses((status = 200, body = HitPage), (status = 400, body = Problem)))]
pub async fn hits(
    State(state): State<AppState>,
    Auth(v): Auth,
    ApiQuery(q): ApiQuery<HitsQuery>,
) -> ApiResult<Json<HitPage>> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::BadRequest(format!(
            "limit: must be between 1 and 1000, got {limit}"
        )));
    }
    let query = HitQuery {
        from_day: q
            .from
            .as_deref()
            .map(|d| parse_day("from", d))
            .transpose()?
            .map(day_text),
        to_day: q
            .to
            .as_deref()
            .map(|d| parse_day("to", d))
            .transpose()?
            .map(day_text),
        sensor_type: q.sensor_type,
        tag: q.tag,
        after: q.cursor,
    };
    let rows = state.store.hits_of(v.member.id, &query, limit).await?;
    let next = (rows.len() == usize::try_from(limit).unwrap_or(0))
        .then(|| rows.last().map(|s| s.seq))
        .flatten();
    Ok(Json(HitPage {
        hits: rows.into_iter().map(|s| hit_view(s.seq, s.hit)).collect(),
        next_cursor: next,
    }))
}

fn day_text(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// The days of a report: `days` days ending today (UTC), oldest first.
fn last_days(days: i64) -> ApiResult<Vec<String>> {
    if !(1..=366).contains(&days) {
        return Err(ApiError::BadRequest(format!(
            "days: must be between 1 and 366, got {days}"
        )));
    }
    let today = OffsetDateTime::now_utc();
    Ok((0..days)
        .rev()
        .map(|back| day_of(today - time::Duration::days(back)))
        .collect())
}

/// How many days a summary or the trends cover.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DaysQuery {
    /// Days ending today (UTC), 1–366 (default 30).
    pub days: Option<i64>,
}

/// The caller's hits counted by day, tag and sensor type.
#[derive(Debug, Serialize, ToSchema)]
pub struct HitSummary {
    /// The days covered, oldest first.
    pub days: Vec<String>,
    /// Records that hit, in all.
    pub records: i64,
    /// Packets or events they stand for.
    pub packets: i64,
    /// Records per day.
    pub by_day: Series,
    /// Records per day of each tag (`(untagged)` for none).
    pub by_tag: Vec<Series>,
    /// Records per day of each sensor type.
    pub by_sensor_type: Vec<Series>,
}

/// The caller's own hits by day, by tag and by sensor type.
#[utoipa::path(get, path = "/api/v1/observations/summary", tag = "observations", params(DaysQuery), security(("bearer" = [])),
    responses((status = 200, body = HitSummary), (status = 400, body = Problem)))]
pub async fn summary(
    State(state): State<AppState>,
    Auth(v): Auth,
    ApiQuery(q): ApiQuery<DaysQuery>,
) -> ApiResult<Json<HitSummary>> {
    let days = last_days(q.days.unwrap_or(30))?;
    let (first, last) = (days[0].clone(), days[days.len() - 1].clone());
    let counts = state.store.hit_counts(v.member.id, &first, &last).await?;
    let index: std::collections::HashMap<&str, usize> = days
        .iter()
        .enumerate()
        .map(|(i, d)| (d.as_str(), i))
        .collect();
    let mut by_day = vec![0_i64; days.len()];
    let mut by_tag: std::collections::BTreeMap<String, Vec<i64>> = Default::default();
    let mut by_type: std::collections::BTreeMap<String, Vec<i64>> = Default::default();
    let (mut records, mut packets) = (0, 0);
    for c in &counts {
        let Some(&i) = index.get(c.day.as_str()) else {
            continue;
        };
        records += c.records;
        packets += c.packets;
        by_day[i] += c.records;
        let tag = if c.tag.is_empty() {
            "(untagged)".to_owned()
        } else {
            c.tag.clone()
        };
        by_tag.entry(tag).or_insert_with(|| vec![0; days.len()])[i] += c.records;
        by_type
            .entry(c.sensor_type.clone())
            .or_insert_with(|| vec![0; days.len()])[i] += c.records;
    }
    let series = |m: std::collections::BTreeMap<String, Vec<i64>>| -> Vec<Series> {
        let mut v: Vec<Series> = m
            .into_iter()
            .map(|(name, values)| Series {
                name,
                total: values.iter().sum(),
                values,
            })
            .collect();
        v.sort_by(|a, b| b.total.cmp(&a.total).then_with(|| a.name.cmp(&b.name)));
        v
    };
    Ok(Json(HitSummary {
        records,
        packets,
        by_day: Series {
            name: "records".into(),
            total: records,
            values: by_day,
        },
        by_tag: series(by_tag),
        by_sensor_type: series(by_type),
        days,
    }))
}

/// Which day's digest.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DigestQuery {
    /// The day, `YYYY-MM-DD` (UTC; default yesterday).
    pub day: Option<String>,
}

/// The caller's hits of one day as CSV (the daily digest, also sent by e-mail):
/// Shadowserver-style columns, then `via`, `matched` and `precision`.
#[utoipa::path(get, path = "/api/v1/observations/digest.csv", tag = "observations", params(DigestQuery), security(("bearer" = [])),
    responses((status = 200, content_type = "text/csv", body = String), (status = 400, body = Problem)))]
pub async fn digest(
    State(state): State<AppState>,
    Auth(v): Auth,
    ApiQuery(q): ApiQuery<DigestQuery>,
) -> ApiResult<Response> {
    let day = match q.day.as_deref() {
        Some(d) => day_text(parse_day("day", d)?),
        None => day_of(OffsetDateTime::now_utc() - time::Duration::days(1)),
    };
    let query = HitQuery {
        from_day: Some(day.clone()),
        to_day: Some(day.clone()),
        ..HitQuery::default()
    };
    let rows: Vec<HitRow> = state
        .store
        .hits_of(v.member.id, &query, DIGEST_LIMIT)
        .await?
        .into_iter()
        .map(|s| s.hit)
        .collect();
    let body = hits_csv(&rows).map_err(|e| ApiError::Internal(e.to_string()))?;
    let disposition = format!("attachment; filename=\"tsunagu-observations-{day}.csv\"");
    let mut resp = (StatusCode::OK, body).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition).map_err(|e| ApiError::Internal(e.to_string()))?,
    );
    Ok(resp)
}

/// A shared item with indicators inside the caller's constituency.
#[derive(Debug, Serialize, ToSchema)]
pub struct IndicatorNotice {
    /// The item.
    #[schema(value_type = String)]
    pub item_id: ItemId,
    /// Its title, as the caller sees it.
    pub title: String,
    /// When the caller was told.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub notified_at: OffsetDateTime,
    /// Its indicators inside the caller's constituency, from the caller's own view.
    pub matches: Vec<IndicatorHit>,
}

/// The shared indicators that fell inside the caller's constituency, newest first,
/// each through the caller's current view of its item.
#[utoipa::path(get, path = "/api/v1/observations/indicator-hits", tag = "observations", security(("bearer" = [])),
    responses((status = 200, body = Vec<IndicatorNotice>)))]
pub async fn indicator_notices(
    State(state): State<AppState>,
    Auth(v): Auth,
) -> ApiResult<Json<Vec<IndicatorNotice>>> {
    let table = state.routing.get(&state.store).await?;
    let notices = state
        .store
        .notices_of(v.member.id, NoticeKind::ConstituencyIndicator, 500)
        .await?;
    let mut out = Vec::new();
    for (n, at) in notices {
        let Some(stored) = state.store.item(n.item).await? else {
            continue;
        };
        let Some(shown) = view(&stored.item, &v) else {
            continue;
        };
        let matches = indicator_hits(&table, v.member.id, &shown.indicators);
        if matches.is_empty() {
            continue;
        }
        out.push(IndicatorNotice {
            item_id: shown.id,
            title: shown.title,
            notified_at: at,
            matches,
        });
    }
    Ok(Json(out))
}

async fn load_trends(state: &AppState, days: i64) -> ApiResult<Trends> {
    let days = last_days(days)?;
    let rows = state
        .store
        .observation_daily(&days[0], &days[days.len() - 1])
        .await?;
    Ok(trends::trends(&rows, days, 10))
}

/// Council-wide observation trends: packets per day, per port, per tag and per sensor
/// type, and new or surging campaigns. They name no member.
#[utoipa::path(get, path = "/api/v1/observations/trends", tag = "observations", params(DaysQuery), security(("bearer" = [])),
    responses((status = 200, body = Trends), (status = 400, body = Problem)))]
pub async fn trends_json(
    State(state): State<AppState>,
    Auth(_): Auth,
    ApiQuery(q): ApiQuery<DaysQuery>,
) -> ApiResult<Json<Trends>> {
    Ok(Json(load_trends(&state, q.days.unwrap_or(30)).await?))
}

fn svg(body: String) -> Response {
    let mut resp = (StatusCode::OK, body).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("image/svg+xml; charset=utf-8"),
    );
    resp
}

/// The busiest ports over time, as an SVG chart.
#[utoipa::path(get, path = "/api/v1/observations/trends/ports.svg", tag = "observations", params(DaysQuery), security(("bearer" = [])),
    responses((status = 200, content_type = "image/svg+xml", body = String)))]
pub async fn ports_svg(
    State(state): State<AppState>,
    Auth(_): Auth,
    ApiQuery(q): ApiQuery<DaysQuery>,
) -> ApiResult<Response> {
    let t = load_trends(&state, q.days.unwrap_or(30)).await?;
    let top: Vec<Series> = t.ports.into_iter().take(8).collect();
    Ok(svg(trends::line_chart(
        "Packets per port / ポート別パケット数",
        &t.days,
        &top,
    )))
}

/// The most frequent tags over time, as an SVG chart.
#[utoipa::path(get, path = "/api/v1/observations/trends/tags.svg", tag = "observations", params(DaysQuery), security(("bearer" = [])),
    responses((status = 200, content_type = "image/svg+xml", body = String)))]
pub async fn tags_svg(
    State(state): State<AppState>,
    Auth(_): Auth,
    ApiQuery(q): ApiQuery<DaysQuery>,
) -> ApiResult<Response> {
    let t = load_trends(&state, q.days.unwrap_or(30)).await?;
    let top: Vec<Series> = t.tags.into_iter().take(8).collect();
    Ok(svg(trends::line_chart(
        "Top tags / タグ別観測数",
        &t.days,
        &top,
    )))
}

/// The observation routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/observations",
            axum::routing::post(ingest).layer(DefaultBodyLimit::max(UPLOAD_LIMIT)),
        )
        .route("/api/v1/observations/hits", get(hits))
        .route("/api/v1/observations/summary", get(summary))
        .route("/api/v1/observations/digest.csv", get(digest))
        .route(
            "/api/v1/observations/indicator-hits",
            get(indicator_notices),
        )
        .route("/api/v1/observations/trends", get(trends_json))
        .route("/api/v1/observations/trends/ports.svg", get(ports_svg))
        .route("/api/v1/observations/trends/tags.svg", get(tags_svg))
}
