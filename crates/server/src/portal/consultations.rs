//! `/portal/consultations`: the consultations the member may see (the API's list): its
//! own, and everybody's for class-1 task-force members and the coordinator.

use axum::Json;
use axum::extract::State;
use maud::html;
use tsunagu_core::consultation::ConsultationStatus;

use super::i18n::jst;
use super::layout;
use super::{PortalResult, Session};
use crate::AppState;
use crate::api::consultations::{ListParams, list as api_list};
use crate::extract::{ApiQuery, Auth};

/// `GET /portal/consultations`.
pub async fn list(State(state): State<AppState>, s: Session) -> PortalResult {
    let lang = s.lang;
    let Json(page) = api_list(
        State(state),
        Auth(s.viewer.clone()),
        ApiQuery(ListParams {
            status: None,
            cursor: None,
            limit: Some(100),
        }),
    )
    .await?;
    let body = html! {
        @if page.consultations.is_empty() {
            p.muted { (lang.t("no_consultations")) }
        } @else {
            div.table-wrap { table {
                thead { tr {
                    th scope="col" { (lang.t("col_subject")) }
                    th scope="col" { (lang.t("col_status")) }
                    th scope="col" { (lang.t("col_asked")) }
                    th.n scope="col" { (lang.t("col_replies")) }
                    th scope="col" { (lang.t("col_mine")) }
                } }
                tbody {
                    @for c in &page.consultations {
                        tr {
                            td { (c.subject) }
                            td { @if c.status == ConsultationStatus::Open { (lang.t("consultation_open")) } @else { (lang.t("consultation_closed")) } }
                            td.nowrap { (jst(c.created_at)) }
                            td.n { (c.replies.len()) }
                            td { @if c.mine { (lang.t("yes")) } @else { (lang.t("no")) } }
                        }
                    }
                }
            } }
        }
    };
    Ok(layout::page(
        &s,
        "/portal/consultations",
        lang.t("consultations_title"),
        body,
    ))
}
