//! `/portal/observations`: the member's own hits (the API's summary, hits and
//! indicator notices: nobody else's), the daily CSV digest (the API's digest handler,
//! so the same `hits_csv`), and `/portal/trends`: the council-wide trends every member
//! sees (the API's trends, which name no member), drawn by
//! [`tsunagu_core::trends::line_chart`].

use axum::Json;
use axum::extract::{Query, State};
use axum::response::Response;
use maud::{Markup, PreEscaped, html};
use time::OffsetDateTime;
use tsunagu_core::trends::{Series, line_chart};

use super::i18n::{Lang, jst};
use super::layout;
use super::{PortalResult, Session};
use crate::AppState;
use crate::api::observations::{
    DaysQuery, DigestQuery, HitView, HitsQuery, digest as api_digest, hits as api_hits,
    indicator_notices, summary as api_summary, trends_json,
};
use crate::extract::{ApiQuery, Auth};

/// Hits shown in the latest-hits table.
const LATEST: usize = 50;
/// Days back the latest-hits table looks.
const LATEST_DAYS: i64 = 7;

fn day_text(t: OffsetDateTime) -> String {
    let d = t.date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// A chart drawn by `line_chart` (which escapes its own text), in a figure.
fn chart(id: &str, title: &str, days: &[String], series: &[Series]) -> Markup {
    html! {
        figure.chart id=(id) {
            (PreEscaped(line_chart(title, days, series)))
        }
    }
}

/// A sensor type's or tag's name as shown: sensor types and "(untagged)" in the
/// user's language, tags as they are.
fn shown_name(lang: Lang, name: &str) -> String {
    match name {
        "darknet" => lang.t("sensor_darknet").to_owned(),
        "honeypot" => lang.t("sensor_honeypot").to_owned(),
        "sinkhole" => lang.t("sensor_sinkhole").to_owned(),
        "scan" => lang.t("sensor_scan").to_owned(),
        "(untagged)" => lang.t("untagged").to_owned(),
        other => other.to_owned(),
    }
}

/// Series as a table of totals.
fn totals(lang: Lang, id: &str, caption: &str, series: &[Series]) -> Markup {
    html! {
        div.table-wrap { table id=(id) {
            caption { (caption) }
            thead { tr {
                th scope="col" { (lang.t("col_name")) }
                th.n scope="col" { (lang.t("col_records")) }
            } }
            tbody {
                @for x in series {
                    tr { th scope="row" { (shown_name(lang, &x.name)) } td.n { (x.total) } }
                }
            }
        } }
    }
}

/// The member's hits of the last days, newest first: each day's (UTC) hits through
/// the API's hits handler, newest day first, until there are enough.
async fn latest_hits(state: &AppState, s: &Session) -> PortalResult<Vec<HitView>> {
    let now = OffsetDateTime::now_utc();
    let mut out = Vec::new();
    for back in 0..LATEST_DAYS {
        let day = day_text(now - time::Duration::days(back));
        let Json(page) = api_hits(
            State(state.clone()),
            Auth(s.viewer.clone()),
            ApiQuery(HitsQuery {
                from: Some(day.clone()),
                to: Some(day),
                sensor_type: None,
                tag: None,
                cursor: None,
                limit: Some(1000),
            }),
        )
        .await?;
        let mut hits = page.hits;
        hits.sort_by_key(|h| std::cmp::Reverse(h.observation.timestamp));
        out.extend(hits);
        if out.len() >= LATEST {
            break;
        }
    }
    out.truncate(LATEST);
    Ok(out)
}

/// `GET /portal/observations`.
#[allow(clippy::too_many_lines)]
pub async fn page(State(state): State<AppState>, s: Session) -> PortalResult {
    let lang = s.lang;
    let Json(sum) = api_summary(
        State(state.clone()),
        Auth(s.viewer.clone()),
        ApiQuery(DaysQuery { days: Some(30) }),
    )
    .await?;
    let hits = latest_hits(&state, &s).await?;
    let Json(notices) = indicator_notices(State(state.clone()), Auth(s.viewer.clone())).await?;
    let now = OffsetDateTime::now_utc();
    let yesterday = day_text(now - time::Duration::days(1));
    let body = html! {
        p.intro { (lang.t("observations_intro")) " " a href="/portal/constituency" { (lang.t("nav_constituency")) } }
        section aria-labelledby="h-summary" {
            h2 #h-summary { (lang.t("last_30_days")) }
            dl.pairs {
                dt { (lang.t("col_records")) } dd #records { (sum.records) }
                dt { (lang.t("packets")) } dd { (sum.packets) }
            }
            (chart("chart-days", lang.t("records_per_day"), &sum.days, std::slice::from_ref(&sum.by_day)))
            @if !sum.by_tag.is_empty() {
                div.grid {
                    (totals(lang, "by-tag", lang.t("by_tag"), &sum.by_tag))
                    (totals(lang, "by-sensor-type", lang.t("by_sensor_type"), &sum.by_sensor_type))
                }
            }
        }
        section aria-labelledby="h-digest" {
            h2 #h-digest { (lang.t("digest_title")) }
            form.card method="get" action="/portal/observations/digest.csv" {
                p {
                    label for="day" { (lang.t("digest_day")) }
                    input #day type="date" name="day" value=(yesterday) required;
                }
                p { button.primary type="submit" { (lang.t("digest_download")) } }
            }
        }
        section aria-labelledby="h-hits" {
            h2 #h-hits { (lang.t("latest_hits")) }
            @if hits.is_empty() {
                p.muted { (lang.t("no_hits")) }
            } @else {
                div.table-wrap { table #hits {
                    thead { tr {
                        th scope="col" { (lang.t("col_time")) }
                        th scope="col" { (lang.t("col_sensor_type")) }
                        th scope="col" { (lang.t("col_source")) }
                        th scope="col" { (lang.t("col_port")) }
                        th scope="col" { (lang.t("col_tag")) }
                        th scope="col" { (lang.t("col_matched")) }
                        th scope="col" { (lang.t("col_precision")) }
                    } }
                    tbody {
                        @for h in &hits {
                            @let o = &h.observation;
                            tr {
                                td.nowrap { (jst(o.timestamp)) }
                                td { (shown_name(lang, o.sensor_type.as_str())) }
                                td { code { @if let Some(ip) = o.src_ip { (ip) } @else if let Some(hn) = &o.hostname { (hn) } } }
                                td.nowrap { @if let Some(p) = o.dst_port { (p) @if !o.protocol.is_empty() { "/" (o.protocol) } } }
                                td { (o.tag) }
                                td { code { (h.matched) } }
                                td { (crate::observations::precision_of(o, &h.via, &h.matched, lang == Lang::Ja)) }
                            }
                        }
                    }
                } }
            }
        }
        section aria-labelledby="h-indicators" {
            h2 #h-indicators { (lang.t("indicators_in_constituency")) }
            @if notices.is_empty() {
                p.muted { (lang.t("no_indicator_hits")) }
            } @else {
                ul.list #indicator-hits {
                    @for n in &notices {
                        li {
                            a href={ "/portal/items/" (n.item_id) } { (n.title) }
                            " " span.muted { (jst(n.notified_at)) }
                            ul { @for m in &n.matches {
                                li { (m.indicator.kind().as_str()) " " code.ioc { (m.indicator.value()) } " ⊂ " code { (m.matched) } }
                            } }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::page(
        &s,
        "/portal/observations",
        lang.t("observations_title"),
        body,
    ))
}

/// `?day=` of the digest.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Day {
    /// `YYYY-MM-DD` (UTC); yesterday when absent or empty.
    pub day: Option<String>,
}

/// `GET /portal/observations/digest.csv?day=`: the member's hits of one day as CSV,
/// from the API's digest handler.
pub async fn digest(
    State(state): State<AppState>,
    s: Session,
    Query(q): Query<Day>,
) -> PortalResult<Response> {
    let day = q.day.filter(|d| !d.trim().is_empty());
    Ok(api_digest(
        State(state),
        Auth(s.viewer.clone()),
        ApiQuery(DigestQuery { day }),
    )
    .await?)
}

/// `GET /portal/trends`: the council-wide trends.
pub async fn trends(State(state): State<AppState>, s: Session) -> PortalResult {
    let lang = s.lang;
    let Json(t) = trends_json(
        State(state),
        Auth(s.viewer.clone()),
        ApiQuery(DaysQuery { days: Some(30) }),
    )
    .await?;
    let ports: Vec<Series> = t.ports.iter().take(8).cloned().collect();
    let tags: Vec<Series> = t.tags.iter().take(8).cloned().collect();
    let body = html! {
        p.intro { (lang.t("trends_intro")) }
        section aria-labelledby="h-ports" {
            h2 #h-ports { (lang.t("packets_per_port")) }
            (chart("chart-ports", lang.t("packets_per_port"), &t.days, &ports))
        }
        section aria-labelledby="h-tags" {
            h2 #h-tags { (lang.t("top_tags")) }
            (chart("chart-tags", lang.t("top_tags"), &t.days, &tags))
        }
        section aria-labelledby="h-campaigns" {
            h2 #h-campaigns { (lang.t("campaigns")) }
            @if t.campaigns.is_empty() {
                p.muted { (lang.t("no_campaigns")) }
            } @else {
                div.table-wrap { table #campaigns {
                    thead { tr {
                        th scope="col" { (lang.t("col_campaign_kind")) }
                        th scope="col" { (lang.t("col_target")) }
                        th scope="col" { (lang.t("col_first_seen")) }
                        th.n scope="col" { (lang.t("col_recent_packets")) }
                        th.n scope="col" { (lang.t("col_baseline")) }
                    } }
                    tbody {
                        @for c in &t.campaigns {
                            tr {
                                td { @if c.kind == "new" { span.badge.warn { (lang.t("campaign_new")) } } @else { span.badge.warn { (lang.t("campaign_surge")) } } }
                                td { code { (c.target) } }
                                td.nowrap { (c.first_seen) }
                                td.n { (c.recent_packets) }
                                td.n { (c.baseline_per_day) }
                            }
                        }
                    }
                } }
            }
        }
    };
    Ok(layout::page(
        &s,
        "/portal/trends",
        lang.t("trends_title"),
        body,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensor_types_are_named_in_both_languages() {
        for lang in [Lang::Ja, Lang::En] {
            for t in ["darknet", "honeypot", "sinkhole", "scan"] {
                assert_ne!(shown_name(lang, t), t, "{t}");
            }
            assert_eq!(shown_name(lang, "mirai"), "mirai");
        }
        assert_eq!(shown_name(Lang::Ja, "(untagged)"), "（タグなし）");
    }
}
