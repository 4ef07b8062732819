//! `/portal/`: what needs the user now — alerts not yet acknowledged, items owed
//! feedback, the member's consultations and its standing in the ledger — each from
//! the API handler that serves the same thing, and a chart of the items and alerts it
//! received over the last 30 days.

use axum::Json;
use axum::extract::State;
use maud::{Markup, PreEscaped, html};
use time::{Date, Duration, OffsetDateTime};
use tsunagu_core::alert::{AlertStatus, AlertView};
use tsunagu_core::consultation::ConsultationStatus;
use tsunagu_core::trends::{Series, line_chart};
use tsunagu_core::view::view;
use tsunagu_store::ItemQuery;

use super::i18n::{JST, jst};
use super::layout;
use super::{PortalResult, Session};
use crate::AppState;
use crate::api::alerts::{AlertQuery, list as list_alerts};
use crate::api::consultations::{ListParams, list as list_consultations};
use crate::api::feedback::{my_standing, owed};
use crate::extract::{ApiQuery, Auth};

/// `GET /portal/`.
pub async fn page(State(state): State<AppState>, s: Session) -> PortalResult {
    let (state, s) = (&state, &s);
    let lang = s.lang;
    let auth = || Auth(s.viewer.clone());
    let Json(alerts) = list_alerts(
        State(state.clone()),
        auth(),
        ApiQuery(AlertQuery {
            cursor: None,
            limit: Some(200),
        }),
    )
    .await?;
    let chart = activity(state, s, &alerts.alerts).await?;
    let mut unacked = Vec::new();
    for a in alerts.alerts {
        if a.status != AlertStatus::Active {
            continue;
        }
        let read = state
            .store
            .receipts(a.id)
            .await?
            .into_iter()
            .any(|r| r.member == s.viewer.member.id && r.read_at.is_some());
        if !read {
            unacked.push(a);
        }
    }
    let Json(owed) = owed(State(state.clone()), auth()).await?;
    let Json(consultations) = list_consultations(
        State(state.clone()),
        auth(),
        ApiQuery(ListParams {
            status: None,
            cursor: None,
            limit: Some(200),
        }),
    )
    .await?;
    let mine: Vec<_> = consultations
        .consultations
        .iter()
        .filter(|c| c.mine)
        .collect();
    let mine_open = mine
        .iter()
        .filter(|c| c.status == ConsultationStatus::Open)
        .count();
    let Json(ledger) = my_standing(State(state.clone()), auth()).await?;
    let st = ledger.standing;
    let body = html! {
        @if !s.totp_enabled {
            div.nag role="alert" {
                p { (lang.t("totp_nag")) " " a href="/portal/settings/totp" { (lang.t("totp_nag_link")) } }
            }
        }
        div.grid {
            section.card aria-labelledby="h-alerts" {
                h2 #h-alerts { (lang.t("new_alerts")) " " span.count { (unacked.len()) } }
                @if unacked.is_empty() {
                    p.muted { (lang.t("no_new_alerts")) }
                } @else {
                    ul.list {
                        @for a in unacked.iter().take(10) {
                            li {
                                span class={ "sev sev-" (a.severity.as_str()) } { (lang.severity(a.severity)) }
                                " "
                                a href={ "/portal/alerts/" (a.id) } { (a.title) }
                                " " span.muted { (jst(a.created_at)) }
                            }
                        }
                    }
                }
            }
            section.card aria-labelledby="h-owed" {
                h2 #h-owed { (lang.t("owed_feedback")) " " span.count { (owed.len()) } }
                @if owed.is_empty() {
                    p.muted { (lang.t("no_owed_feedback")) }
                } @else {
                    ul.list {
                        @for o in owed.iter().take(10) {
                            li {
                                a href={ "/portal/items/" (o.item.id) } { (o.item.title) }
                                " " span.muted { (lang.t("deadline")) ": " (o.deadline_jst()) }
                                @if o.overdue { " " span.badge.warn { (lang.t("overdue")) } }
                            }
                        }
                    }
                }
            }
            section.card aria-labelledby="h-cons" {
                h2 #h-cons { (lang.t("my_consultations")) }
                p.big { (mine_open) " " span.muted { (lang.t("open_consultations")) } }
                p.muted { (mine.len()) " " (lang.t("all_consultations")) }
                p { a href="/portal/consultations" { (lang.t("nav_consultations")) } }
            }
            section.card.wide aria-labelledby="h-activity" {
                h2 #h-activity { (lang.t("activity_title")) }
                figure.chart #activity-chart { (chart) }
            }
            section.card aria-labelledby="h-ledger" {
                h2 #h-ledger { (lang.t("ledger_title")) }
                dl.pairs {
                    dt { (lang.t("ledger_originals")) } dd { (st.originals) }
                    dt { (lang.t("ledger_received")) } dd { (st.tf_items_received) }
                    dt { (lang.t("ledger_on_time")) } dd { (st.feedback_on_time) }
                    dt { (lang.t("ledger_late")) } dd { (st.feedback_late) }
                    dt { (lang.t("ledger_missing")) } dd { (st.feedback_missing) }
                    dt { (lang.t("ledger_owed")) } dd { (st.feedback_owed) }
                }
                @if ledger.free_rider {
                    p.warn { (lang.t("free_rider_warning")) }
                } @else {
                    p.ok { (lang.t("ledger_ok")) }
                }
            }
        }
    };
    Ok(layout::page(s, "/portal/", lang.t("dashboard_title"), body))
}

/// Days the activity chart covers, today (JST) included.
const ACTIVITY_DAYS: i64 = 30;

/// The items the user may see and the alerts it received, per day (JST) over the last
/// [`ACTIVITY_DAYS`], as a server-drawn line chart: counts only, each item through
/// the policy view.
async fn activity(state: &AppState, s: &Session, alerts: &[AlertView]) -> PortalResult<Markup> {
    let lang = s.lang;
    let today = OffsetDateTime::now_utc().to_offset(JST).date();
    let first = today - Duration::days(ACTIVITY_DAYS - 1);
    let days: Vec<Date> = (0..ACTIVITY_DAYS)
        .map(|d| first + Duration::days(d))
        .collect();
    let slot = |t: OffsetDateTime| {
        let d = t.to_offset(JST).date();
        (d >= first && d <= today).then(|| usize::try_from((d - first).whole_days()).unwrap_or(0))
    };
    let query = ItemQuery {
        since: Some(
            first
                .midnight()
                .assume_offset(JST)
                .to_offset(time::UtcOffset::UTC),
        ),
        ..ItemQuery::default()
    };
    let mut items = vec![0_i64; days.len()];
    for stored in state.store.search_items(&query, None, 10_000).await? {
        if view(&stored.item, &s.viewer).is_some()
            && let Some(i) = slot(stored.item.created_at)
        {
            items[i] += 1;
        }
    }
    let mut received = vec![0_i64; days.len()];
    for a in alerts {
        if let Some(i) = slot(a.created_at) {
            received[i] += 1;
        }
    }
    let series = [
        (lang.t("activity_items"), items),
        (lang.t("activity_alerts"), received),
    ]
    .into_iter()
    .map(|(name, values)| Series {
        name: name.to_owned(),
        total: values.iter().sum(),
        values,
    })
    .collect::<Vec<_>>();
    let labels: Vec<String> = days.iter().map(ToString::to_string).collect();
    Ok(PreEscaped(line_chart(
        lang.t("activity_title"),
        &labels,
        &series,
    )))
}

/// Shows a feedback deadline in JST.
trait DeadlineJst {
    fn deadline_jst(&self) -> String;
}

impl DeadlineJst for crate::api::feedback::Owed {
    fn deadline_jst(&self) -> String {
        time::OffsetDateTime::parse(
            &self.deadline,
            &time::format_description::well_known::Rfc3339,
        )
        .map(jst)
        .unwrap_or_else(|_| self.deadline.clone())
    }
}
