//! CSAF 2.0 advisories over HTTP (M4.1–M4.2): the curators import vendors' security
//! advisories and VEX documents (validated, every error named by JSON pointer); each
//! is linked to the catalogue entries of its CVEs; each member sees which of its own
//! assets an advisory's known-affected products match, and the coordinator how many
//! members — never which.

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use serde_json::{Value, json};
use time::OffsetDateTime;
use tsunagu_core::asset::{self, AffectedAsset, ProductCriteria};
use tsunagu_core::csaf;
use tsunagu_core::indicator::CveId;
use tsunagu_core::member::SpecialRole;
use tsunagu_core::user::Viewer;
use tsunagu_store::{AdvisoryRow, Store};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::Auth;
use crate::{AppState, audit_by};

/// Largest advisory accepted.
const ADVISORY_LIMIT: usize = 16 * 1024 * 1024;

/// An advisory in lists.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdvisorySummary {
    /// Identifier.
    pub id: String,
    /// `document.tracking.id`.
    pub tracking_id: String,
    /// The publisher.
    pub publisher: String,
    /// Title.
    pub title: String,
    /// `csaf_security_advisory`, `csaf_vex`, …
    pub category: String,
    /// TLP label, if the document has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tlp: Option<String>,
    /// Current release date.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub release_date: OffsetDateTime,
    /// The CVEs it covers.
    pub cves: Vec<String>,
}

impl From<&AdvisoryRow> for AdvisorySummary {
    fn from(a: &AdvisoryRow) -> Self {
        Self {
            id: a.id.clone(),
            tracking_id: a.tracking_id.clone(),
            publisher: a.publisher.clone(),
            title: a.title.clone(),
            category: a.category.clone(),
            tlp: a.tlp.clone(),
            release_date: a.release_date,
            cves: a.cves.clone(),
        }
    }
}

/// What an import did.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdvisoryImport {
    /// The advisory.
    #[serde(flatten)]
    pub advisory: AdvisorySummary,
    /// `created`, `updated` (a newer release) or `unchanged`.
    pub status: String,
    /// The CVEs that are in the council's catalogue: the entries it is linked to.
    pub catalogue: Vec<String>,
    /// How many members run a known-affected product: the coordinator only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub affected_members: Option<usize>,
}

/// Imports a CSAF 2.0 document (curators: class 1 and the coordinator). A newer
/// release of an advisory replaces the older; the same or an older one changes
/// nothing.
///
/// # Errors
/// [`ApiError::Unprocessable`] listing every validation error by JSON pointer; 403
/// for non-curators.
pub async fn import_advisory(
    state: &AppState,
    v: &Viewer,
    bytes: &[u8],
) -> ApiResult<(bool, AdvisoryImport)> {
    crate::api::kev::ensure_curator(v)?;
    let adv = csaf::parse(bytes).map_err(|errors| {
        ApiError::Unprocessable(format!(
            "the CSAF document is invalid: {}",
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        ))
    })?;
    if adv.tlp.as_deref() == Some("RED") {
        return Err(ApiError::Unprocessable(
            "/document/distribution/tlp/label: a TLP:RED advisory is not for the council-wide registry; share it as an item with its audience".into(),
        ));
    }
    let raw: Value =
        serde_json::from_slice(bytes).map_err(|e| ApiError::Unprocessable(e.to_string()))?;
    let namespace = raw["document"]["publisher"]["namespace"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mut cves: Vec<String> = adv
        .vulnerabilities
        .iter()
        .filter_map(|x| x.cve.as_deref())
        .filter_map(|c| CveId::parse(c).ok())
        .map(|c| c.as_str().to_owned())
        .collect();
    cves.sort();
    cves.dedup();
    let now = OffsetDateTime::now_utc();
    let mut tx = state.store.begin().await?;
    let existing = tx.advisory_by_tracking(&namespace, &adv.id).await?;
    let (id, status) = match &existing {
        Some((id, released)) if *released >= adv.current_release_date => (id.clone(), "unchanged"),
        Some((id, _)) => (id.clone(), "updated"),
        None => (Uuid::now_v7().to_string(), "created"),
    };
    let row = AdvisoryRow {
        id: id.clone(),
        publisher_namespace: namespace,
        tracking_id: adv.id.clone(),
        publisher: adv.publisher.clone(),
        title: adv.title.clone(),
        category: adv.category.clone(),
        tlp: adv.tlp.clone(),
        release_date: adv.current_release_date,
        document: String::from_utf8_lossy(bytes).into_owned(),
        cves,
        imported_by: v.member.id,
        created_at: now,
        updated_at: now,
    };
    if status != "unchanged" {
        tx.put_advisory(&row).await?;
        tx.audit(&audit_by(
            Some(v),
            "advisory.import",
            "advisory",
            &id,
            json!({ "tracking_id": row.tracking_id, "status": status, "cves": row.cves }),
        ))
        .await?;
        tx.commit().await?;
    }
    let stored = state
        .store
        .advisory(&id)
        .await?
        .ok_or_else(|| ApiError::Internal("the advisory is gone".into()))?;
    let mut catalogue = Vec::new();
    for k in state.store.kev_entries(None).await? {
        if stored.cves.contains(&k.entry.cve_id) {
            catalogue.push(k.entry.cve_id);
        }
    }
    let affected_members = if v.member.has_role(SpecialRole::Coordinator) {
        Some(
            crate::assets::affected(&state.store, &asset::advisory_criteria(&adv))
                .await?
                .len(),
        )
    } else {
        None
    };
    Ok((
        status != "unchanged",
        AdvisoryImport {
            advisory: AdvisorySummary::from(&stored),
            status: status.to_owned(),
            catalogue,
            affected_members,
        },
    ))
}

/// Imports a CSAF 2.0 advisory (security advisory or VEX profile).
#[utoipa::path(post, path = "/api/v1/advisories", tag = "vulnerabilities", security(("bearer" = [])),
    request_body(content = String, description = "A CSAF 2.0 JSON document", content_type = "application/json"),
    responses((status = 201, body = AdvisoryImport), (status = 200, body = AdvisoryImport, description = "Already imported at this release"),
        (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn import(
    State(state): State<AppState>,
    Auth(v): Auth,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<AdvisoryImport>)> {
    let (changed, out) = import_advisory(&state, &v, &body).await?;
    Ok((
        if changed {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        Json(out),
    ))
}

/// The advisories, newest first (every member).
#[utoipa::path(get, path = "/api/v1/advisories", tag = "vulnerabilities", security(("bearer" = [])),
    responses((status = 200, body = Vec<AdvisorySummary>)))]
pub async fn list(
    State(state): State<AppState>,
    Auth(_v): Auth,
) -> ApiResult<Json<Vec<AdvisorySummary>>> {
    Ok(Json(
        state
            .store
            .advisories()
            .await?
            .iter()
            .map(AdvisorySummary::from)
            .collect(),
    ))
}

/// An advisory with the caller's own affected assets.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdvisoryDetail {
    /// The advisory.
    #[serde(flatten)]
    pub advisory: AdvisorySummary,
    /// The CSAF document as imported.
    #[schema(value_type = Object)]
    pub document: Value,
    /// Which of the caller's own assets run a known-affected product.
    pub your_affected_assets: Vec<AffectedAsset>,
}

/// The criteria of a stored advisory (it was validated on import).
fn criteria_of(a: &AdvisoryRow) -> ProductCriteria {
    csaf::parse(a.document.as_bytes())
        .map(|adv| asset::advisory_criteria(&adv))
        .unwrap_or_default()
}

/// The product criteria of stored advisories, for alerts targeted by advisory; the
/// ids that are not advisories are returned apart.
///
/// # Errors
/// On database failure.
pub async fn criteria_of_advisories(
    store: &Store,
    ids: &[String],
) -> tsunagu_store::Result<(ProductCriteria, Vec<String>)> {
    let mut out = ProductCriteria::default();
    let mut missing = Vec::new();
    for id in ids {
        match store.advisory(id).await? {
            Some(a) => {
                let c = criteria_of(&a);
                out.cpe.extend(c.cpe);
                out.purl.extend(c.purl);
            }
            None => missing.push(id.clone()),
        }
    }
    Ok((out, missing))
}

/// One advisory, with the caller's own affected assets.
#[utoipa::path(get, path = "/api/v1/advisories/{id}", tag = "vulnerabilities", params(("id" = String, Path)),
    security(("bearer" = [])), responses((status = 200, body = AdvisoryDetail), (status = 404, body = Problem)))]
pub async fn get_one(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<AdvisoryDetail>> {
    let a = state.store.advisory(&id).await?.ok_or(ApiError::NotFound)?;
    let mut affected = crate::assets::affected(&state.store, &criteria_of(&a)).await?;
    Ok(Json(AdvisoryDetail {
        advisory: AdvisorySummary::from(&a),
        document: serde_json::from_str(&a.document).unwrap_or(Value::Null),
        your_affected_assets: affected.remove(&v.member.id).unwrap_or_default(),
    }))
}

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/advisories",
            get(list)
                .post(import)
                .layer(DefaultBodyLimit::max(ADVISORY_LIMIT)),
        )
        .route("/api/v1/advisories/{id}", get(get_one))
}
