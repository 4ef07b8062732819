//! The asset registry over HTTP (M4.2): a member registers what it runs — one by one,
//! by CSV, or as an SBOM's components — and sees which catalogue entries affect it.
//! Assets are private: every endpoint reads and writes the caller's own member only;
//! the coordinator sees anonymised counts ("37 members run product X"), never who.

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;
use tsunagu_core::asset::{self, AffectedAsset, AssetForm, AssetSpec, Candidate, ProductCriteria};
use tsunagu_core::ids::MemberId;
use tsunagu_core::member::SpecialRole;
use tsunagu_core::sbom;
use tsunagu_core::user::Viewer;
use tsunagu_store::{AssetRow, KevStatus, SbomRow};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiJson, ApiQuery, Auth};
use crate::{AppState, audit_by};

/// Largest CSV or SBOM upload.
const UPLOAD_LIMIT: usize = 32 * 1024 * 1024;

/// A registered asset, as its member sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssetView {
    /// Identifier.
    pub id: String,
    /// Vendor.
    pub vendor: String,
    /// Product.
    pub product: String,
    /// Version.
    pub version: String,
    /// Model number.
    pub model: String,
    /// CPE 2.3 name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpe: Option<String>,
    /// The CPE was built from vendor, product and version.
    pub cpe_derived: bool,
    /// Package URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// The SBOM it is a component of.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sbom_id: Option<String>,
    /// Sector service.
    pub sector_service: String,
    /// Internet-facing.
    pub internet_facing: bool,
    /// Registered.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

impl From<AssetRow> for AssetView {
    fn from(r: AssetRow) -> Self {
        Self {
            id: r.id,
            vendor: r.vendor,
            product: r.product,
            version: r.version,
            model: r.model,
            cpe: r.cpe,
            cpe_derived: r.cpe_derived,
            purl: r.purl,
            sbom_id: r.sbom,
            sector_service: r.sector_service,
            internet_facing: r.internet_facing,
            created_at: r.created_at,
        }
    }
}

fn row(member: MemberId, sbom: Option<&str>, spec: AssetSpec, now: OffsetDateTime) -> AssetRow {
    AssetRow {
        id: Uuid::now_v7().to_string(),
        member,
        sbom: sbom.map(str::to_owned),
        cpe_key: spec.cpe_key(),
        purl_key: spec.purl_key(),
        version_key: spec.version_key(),
        cpe: spec.cpe.as_ref().map(ToString::to_string),
        cpe_derived: spec.cpe_derived,
        purl: spec.purl.as_ref().map(ToString::to_string),
        vendor: spec.vendor,
        product: spec.product,
        version: spec.version,
        model: spec.model,
        sector_service: spec.sector_service,
        internet_facing: spec.internet_facing,
        created_at: now,
    }
}

/// Stores a member's new assets (and the SBOM they came from) in one transaction.
///
/// # Errors
/// On database failure.
pub(crate) async fn register(
    state: &AppState,
    v: &Viewer,
    sbom: Option<&SbomRow>,
    specs: Vec<AssetSpec>,
    action: &str,
) -> ApiResult<Vec<AssetRow>> {
    let now = OffsetDateTime::now_utc();
    let rows: Vec<AssetRow> = specs
        .into_iter()
        .map(|s| row(v.member.id, sbom.map(|s| s.id.as_str()), s, now))
        .collect();
    let mut tx = state.store.begin().await?;
    if rows.len() > 100_000 {
        tx.bulk(32).await?;
    }
    if let Some(s) = sbom {
        tx.add_sbom(s).await?;
    }
    tx.add_assets(&rows).await?;
    let target = sbom.map_or_else(|| v.member.id.to_string(), |s| s.id.clone());
    tx.audit(&audit_by(
        Some(v),
        action,
        if sbom.is_some() { "sbom" } else { "asset" },
        &target,
        json!({ "assets": rows.len() }),
    ))
    .await?;
    tx.commit().await?;
    Ok(rows)
}

/// A page of assets.
#[derive(Debug, Deserialize, IntoParams)]
pub struct AssetQuery {
    /// Only the components of this SBOM.
    pub sbom: Option<String>,
    /// Skip this many (default 0).
    #[serde(default)]
    pub offset: i64,
    /// At most this many (default 100, at most 1000).
    pub limit: Option<i64>,
}

/// The caller's assets.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssetPage {
    /// How many the member registered in all.
    pub total: i64,
    /// This page.
    pub assets: Vec<AssetView>,
}

/// The caller's own assets and SBOM components, a page at a time.
#[utoipa::path(get, path = "/api/v1/assets", tag = "assets", params(AssetQuery), security(("bearer" = [])),
    responses((status = 200, body = AssetPage)))]
pub async fn list(
    State(state): State<AppState>,
    Auth(v): Auth,
    ApiQuery(q): ApiQuery<AssetQuery>,
) -> ApiResult<Json<AssetPage>> {
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let rows = state
        .store
        .assets_of(v.member.id, q.sbom.as_deref(), q.offset.max(0), limit)
        .await?;
    Ok(Json(AssetPage {
        total: state.store.asset_count(v.member.id).await?,
        assets: rows.into_iter().map(AssetView::from).collect(),
    }))
}

/// Registers one asset of the caller's member.
#[utoipa::path(post, path = "/api/v1/assets", tag = "assets", request_body = AssetForm, security(("bearer" = [])),
    responses((status = 201, body = AssetView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn add(
    State(state): State<AppState>,
    Auth(v): Auth,
    ApiJson(form): ApiJson<AssetForm>,
) -> ApiResult<(StatusCode, Json<AssetView>)> {
    v.ensure_can_act()?;
    let spec = form.parse()?;
    let mut rows = register(&state, &v, None, vec![spec], "asset.add").await?;
    let r = rows
        .pop()
        .ok_or_else(|| ApiError::Internal("no asset stored".into()))?;
    Ok((StatusCode::CREATED, Json(r.into())))
}

/// What a bulk registration stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct Registered {
    /// Assets stored.
    pub created: usize,
}

/// Registers assets from CSV (header `vendor,product,version,model,cpe,purl,
/// sector_service,internet_facing`; any order, only the columns used). All or nothing;
/// a bad line is named.
#[utoipa::path(post, path = "/api/v1/assets/import", tag = "assets", security(("bearer" = [])),
    request_body(content = String, description = "CSV with a header line", content_type = "text/csv"),
    responses((status = 201, body = Registered), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn import_csv(
    State(state): State<AppState>,
    Auth(v): Auth,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<Registered>)> {
    v.ensure_can_act()?;
    let text = std::str::from_utf8(&body)
        .map_err(|e| ApiError::Unprocessable(format!("the CSV is not UTF-8: {e}")))?;
    let specs = asset::parse_csv(text)?;
    let rows = register(&state, &v, None, specs, "asset.import").await?;
    Ok((
        StatusCode::CREATED,
        Json(Registered {
            created: rows.len(),
        }),
    ))
}

/// Removes one of the caller's assets.
#[utoipa::path(delete, path = "/api/v1/assets/{id}", tag = "assets", params(("id" = String, Path)),
    security(("bearer" = [])), responses((status = 204), (status = 404, body = Problem)))]
pub async fn remove(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    v.ensure_can_act()?;
    let mut tx = state.store.begin().await?;
    if !tx.delete_asset(v.member.id, &id).await? {
        return Err(ApiError::NotFound);
    }
    tx.audit(&audit_by(Some(&v), "asset.remove", "asset", &id, json!({})))
        .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Where an SBOM's product runs.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct SbomPlacement {
    /// The sector service it supports.
    #[serde(default)]
    pub sector_service: String,
    /// Reachable from the internet.
    #[serde(default)]
    pub internet_facing: bool,
}

/// An uploaded SBOM.
#[derive(Debug, Serialize, ToSchema)]
pub struct SbomView {
    /// Identifier; its components are listed at `/api/v1/assets?sbom={id}`.
    pub id: String,
    /// What it describes.
    pub name: String,
    /// `cyclonedx` or `spdx`.
    pub format: String,
    /// The format's version.
    pub spec_version: String,
    /// Serial number or document namespace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    /// Components registered.
    pub components: i64,
    /// Uploaded.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

impl From<SbomRow> for SbomView {
    fn from(s: SbomRow) -> Self {
        Self {
            id: s.id,
            name: s.name,
            format: s.format,
            spec_version: s.spec_version,
            serial: s.serial,
            components: s.components,
            created_at: s.created_at,
        }
    }
}

/// Uploads an SBOM (CycloneDX 1.5/1.6 JSON or SPDX 2.3 JSON); its components, walked
/// recursively, become the member's assets. A malformed SBOM imports nothing.
#[utoipa::path(post, path = "/api/v1/sboms", tag = "assets", params(SbomPlacement), security(("bearer" = [])),
    request_body(content = String, description = "CycloneDX or SPDX JSON", content_type = "application/json"),
    responses((status = 201, body = SbomView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn upload_sbom(
    State(state): State<AppState>,
    Auth(v): Auth,
    ApiQuery(place): ApiQuery<SbomPlacement>,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<SbomView>)> {
    v.ensure_can_act()?;
    let doc = sbom::parse(&body)?;
    let mut specs = Vec::with_capacity(doc.components.len() + 1);
    for c in doc.subject.iter().chain(&doc.components) {
        specs.push(AssetSpec::from_component(
            c,
            &place.sector_service,
            place.internet_facing,
        )?);
    }
    let row = sbom_row(
        &v,
        &doc,
        specs.len(),
        &place.sector_service,
        place.internet_facing,
    );
    register(&state, &v, Some(&row), specs, "sbom.upload").await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

/// The record of an SBOM about to be registered.
pub(crate) fn sbom_row(
    v: &Viewer,
    doc: &sbom::Sbom,
    components: usize,
    sector_service: &str,
    internet_facing: bool,
) -> SbomRow {
    SbomRow {
        id: Uuid::now_v7().to_string(),
        member: v.member.id,
        name: if doc.name.is_empty() {
            "(unnamed)".into()
        } else {
            doc.name.clone()
        },
        format: match doc.format {
            sbom::SbomFormat::CycloneDx => "cyclonedx".into(),
            sbom::SbomFormat::Spdx => "spdx".into(),
        },
        spec_version: doc.spec_version.clone(),
        serial: doc.serial.clone(),
        components: i64::try_from(components).unwrap_or(i64::MAX),
        sector_service: sector_service.to_owned(),
        internet_facing,
        created_at: OffsetDateTime::now_utc(),
    }
}

/// The caller's SBOMs.
#[utoipa::path(get, path = "/api/v1/sboms", tag = "assets", security(("bearer" = [])),
    responses((status = 200, body = Vec<SbomView>)))]
pub async fn list_sboms(
    State(state): State<AppState>,
    Auth(v): Auth,
) -> ApiResult<Json<Vec<SbomView>>> {
    Ok(Json(
        state
            .store
            .sboms_of(v.member.id)
            .await?
            .into_iter()
            .map(SbomView::from)
            .collect(),
    ))
}

/// Removes one of the caller's SBOMs and its components.
#[utoipa::path(delete, path = "/api/v1/sboms/{id}", tag = "assets", params(("id" = String, Path)),
    security(("bearer" = [])), responses((status = 204), (status = 404, body = Problem)))]
pub async fn remove_sbom(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    v.ensure_can_act()?;
    let mut tx = state.store.begin().await?;
    if !tx.delete_sbom(v.member.id, &id).await? {
        return Err(ApiError::NotFound);
    }
    tx.audit(&audit_by(Some(&v), "sbom.remove", "sbom", &id, json!({})))
        .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A catalogue entry that affects some of the caller's assets.
#[derive(Debug, Serialize, ToSchema)]
pub struct Exposure {
    /// The CVE.
    pub cve_id: String,
    /// Its name in the catalogue.
    pub vulnerability_name: String,
    /// What to do.
    pub required_action: String,
    /// By when: the council's due date, else KEV's.
    pub due_date: String,
    /// The caller's assets it affects.
    pub assets: Vec<AffectedAsset>,
}

/// Which published catalogue entries affect the caller's own assets.
#[utoipa::path(get, path = "/api/v1/assets/exposure", tag = "assets", security(("bearer" = [])),
    responses((status = 200, body = Vec<Exposure>)))]
pub async fn exposure(
    State(state): State<AppState>,
    Auth(v): Auth,
) -> ApiResult<Json<Vec<Exposure>>> {
    let mut mine = Vec::new();
    let mut offset = 0;
    loop {
        let page = state
            .store
            .assets_of(v.member.id, None, offset, 5000)
            .await?;
        offset += 5000;
        let done = page.len() < 5000;
        mine.extend(page);
        if done {
            break;
        }
    }
    let candidates: Vec<(AssetRow, Candidate)> = mine
        .into_iter()
        .map(|r| {
            let c = crate::assets::candidate(&r);
            (r, c)
        })
        .collect();
    let mut out = Vec::new();
    for k in state.store.kev_entries(Some(KevStatus::Published)).await? {
        if k.entry.cpe_match.is_empty() {
            continue;
        }
        let criteria = ProductCriteria {
            cpe: k.entry.cpe_match.clone(),
            purl: Vec::new(),
        };
        let assets: Vec<AffectedAsset> = candidates
            .iter()
            .filter_map(|(r, c)| {
                asset::first_match(&criteria, c)
                    .map(|matched| crate::assets::affected_asset(r, matched))
            })
            .collect();
        if !assets.is_empty() {
            out.push(Exposure {
                due_date: k
                    .entry
                    .national_due_date
                    .clone()
                    .unwrap_or_else(|| k.entry.due_date.clone()),
                cve_id: k.entry.cve_id,
                vulnerability_name: k.entry.vulnerability_name,
                required_action: k.entry.required_action,
                assets,
            });
        }
    }
    Ok(Json(out))
}

/// How many members run a product (anonymised).
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductUse {
    /// `vendor:product`, or a purl's `type/namespace/name`.
    pub product: String,
    /// Members that run it.
    pub members: i64,
    /// Assets and components naming it.
    pub assets: i64,
}

/// For the coordinator: how many members run each product ("37 members run product
/// X"), never which.
#[utoipa::path(get, path = "/api/v1/assets/products", tag = "assets", security(("bearer" = [])),
    responses((status = 200, body = Vec<ProductUse>), (status = 403, body = Problem)))]
pub async fn products(
    State(state): State<AppState>,
    Auth(v): Auth,
) -> ApiResult<Json<Vec<ProductUse>>> {
    ensure_coordinator(&v)?;
    Ok(Json(
        state
            .store
            .product_counts(1000)
            .await?
            .into_iter()
            .map(|c| ProductUse {
                product: c.key,
                members: c.members,
                assets: c.assets,
            })
            .collect(),
    ))
}

fn ensure_coordinator(v: &Viewer) -> ApiResult<()> {
    if v.member.has_role(SpecialRole::Coordinator) && v.member.is_active() {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "only the coordinator sees how many members run a product".into(),
        ))
    }
}

/// How many members and assets a criterion reaches.
#[derive(Debug, Serialize, ToSchema)]
pub struct MatchCount {
    /// Members running an affected product.
    pub members: usize,
    /// Their affected assets and components.
    pub assets: usize,
}

/// For the coordinator and alert issuers: how many members a product criterion would
/// reach (before targeting an alert at them), never which.
#[utoipa::path(post, path = "/api/v1/assets/match", tag = "assets", request_body = ProductCriteria,
    security(("bearer" = [])),
    responses((status = 200, body = MatchCount), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn match_count(
    State(state): State<AppState>,
    Auth(v): Auth,
    ApiJson(criteria): ApiJson<ProductCriteria>,
) -> ApiResult<Json<MatchCount>> {
    tsunagu_core::alert::ensure_issuer(&v)?;
    let affected = crate::assets::affected(&state.store, &criteria).await?;
    Ok(Json(MatchCount {
        members: affected.len(),
        assets: affected.values().map(Vec::len).sum(),
    }))
}

/// Which of the caller's own assets run a product a shared item names: through the
/// CVEs it cites (as the caller's view shows them), their published catalogue entries
/// and the advisories covering them.
#[utoipa::path(get, path = "/api/v1/items/{id}/affected-assets", tag = "assets", params(("id" = String, Path)),
    security(("bearer" = [])), responses((status = 200, body = Vec<AffectedAsset>), (status = 404, body = Problem)))]
pub async fn item_affected(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<AffectedAsset>>> {
    let id = crate::api::items::parse_item_id(&id)?;
    let (_, shown) = crate::api::items::load_for(&state, &v, id).await?;
    let from_kev = crate::assets::criteria_of_cves(&state.store, &shown.cves).await?;
    let mut criteria = from_kev.criteria;
    let mut advisories = Vec::new();
    for cve in &shown.cves {
        advisories.extend(state.store.advisories_for_cve(cve.as_str()).await?);
    }
    let (from_csaf, _) =
        crate::api::advisories::criteria_of_advisories(&state.store, &advisories).await?;
    criteria.cpe.extend(from_csaf.cpe);
    criteria.purl.extend(from_csaf.purl);
    let mut affected = crate::assets::affected(&state.store, &criteria).await?;
    Ok(Json(affected.remove(&v.member.id).unwrap_or_default()))
}

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/assets", get(list).post(add))
        .route(
            "/api/v1/assets/import",
            post(import_csv).layer(DefaultBodyLimit::max(UPLOAD_LIMIT)),
        )
        .route("/api/v1/assets/exposure", get(exposure))
        .route("/api/v1/assets/products", get(products))
        .route("/api/v1/assets/match", post(match_count))
        .route("/api/v1/assets/{id}", delete(remove))
        .route("/api/v1/items/{id}/affected-assets", get(item_affected))
        .route(
            "/api/v1/sboms",
            get(list_sboms)
                .post(upload_sbom)
                .layer(DefaultBodyLimit::max(UPLOAD_LIMIT)),
        )
        .route("/api/v1/sboms/{id}", delete(remove_sbom))
}
