//! The REST API under `/api/v1`.

pub mod advisories;
pub mod alerts;
pub mod assets;
pub mod audit;
pub mod clearances;
pub mod constituency;
pub mod consultations;
pub mod feedback;
pub mod governance;
pub mod incidents;
pub mod interop;
pub mod items;
pub mod kev;
pub mod members;
pub mod observations;
pub mod partners;
pub mod vendor;

use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use tsunagu_core::member::Sector;
use utoipa::ToSchema;

use crate::AppState;

/// A sector with its names.
#[derive(Debug, Serialize, ToSchema)]
pub struct SectorInfo {
    /// Identifier used in the API.
    pub id: Sector,
    /// Japanese name.
    pub name_ja: &'static str,
    /// English name.
    pub name_en: &'static str,
    /// One of the 13 critical-infrastructure sectors.
    pub critical_infrastructure: bool,
}

/// The sectors members can belong to.
#[utoipa::path(get, path = "/api/v1/sectors", tag = "members", security(()),
    responses((status = 200, body = Vec<SectorInfo>)))]
pub async fn sectors() -> Json<Vec<SectorInfo>> {
    Json(
        Sector::ALL
            .iter()
            .map(|s| SectorInfo {
                id: *s,
                name_ja: s.name_ja(),
                name_en: s.name_en(),
                critical_infrastructure: s.is_critical_infrastructure(),
            })
            .collect(),
    )
}

/// Every API route.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/sectors", get(sectors))
        .merge(members::router())
        .merge(audit::router())
        .merge(clearances::router())
        .merge(partners::router())
        .merge(items::router())
        .merge(feedback::router())
        .merge(governance::router())
        .merge(alerts::router())
        .merge(incidents::router())
        .merge(crate::stream::router())
        .merge(consultations::router())
        .merge(interop::router())
        .merge(kev::router())
        .merge(vendor::router())
        .merge(assets::router())
        .merge(advisories::router())
        .merge(constituency::router())
        .merge(observations::router())
        .merge(crate::auth::router())
}
