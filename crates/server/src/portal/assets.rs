//! `/portal/assets`: which of the member's assets the catalogue says are affected
//! (the API's exposure), the member's assets and SBOMs (the API's lists), and adding
//! them: one by form, many as CSV, or an SBOM, both pasted (the API's handlers, their
//! refusals shown in the form they came from); removal of one's own.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use tsunagu_core::asset::AssetForm;

use super::i18n::{Lang, jst};
use super::layout::{self, csrf, flash};
use super::{FormData, PortalResult, Posted, Session, api_message, see_other};
use crate::AppState;
use crate::api::assets::{
    AssetQuery, SbomPlacement, add as api_add, exposure, import_csv, list as api_list, list_sboms,
    remove as api_remove, remove_sbom, upload_sbom,
};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, Auth};

const HERE: &str = "/portal/assets";
/// Assets per page.
const PAGE: i64 = 100;
/// The largest pasted CSV or SBOM the portal takes (bigger ones go by API).
pub const PASTE_LIMIT: usize = 16 * 1024 * 1024;

/// `?offset=` and `?ok=`.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Params {
    /// First asset shown.
    #[serde(default)]
    pub offset: i64,
    /// Which action succeeded.
    pub ok: Option<String>,
    /// How many were stored.
    pub n: Option<usize>,
}

/// Which form an error belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Which {
    Add,
    Csv,
    Sbom,
}

fn error_in(failed: Option<(Which, &str)>, which: Which) -> Option<&str> {
    failed.filter(|(w, _)| *w == which).map(|(_, m)| m)
}

fn text_field(f: &FormData, name: &'static str, label: &str, hint: Option<&str>) -> Markup {
    let hint_id = format!("{name}-hint");
    html! {
        p {
            label for=(name) { (label) }
            input id=(name) type="text" name=(name) value=(f.text(name)) maxlength="500" aria-describedby=[hint.map(|_| hint_id.as_str())];
            @if let Some(h) = hint { span.hint id=(hint_id) { (h) } }
        }
    }
}

fn placement(lang: Lang, f: &FormData, prefix: &str) -> Markup {
    let service = format!("{prefix}sector_service");
    let facing = format!("{prefix}internet_facing");
    html! {
        p {
            label for=(service) { (lang.t("sector_service")) }
            input id=(service) type="text" name="sector_service" value=(f.text("sector_service")) maxlength="200";
        }
        p {
            span.check {
                input id=(facing) type="checkbox" name="internet_facing" value="1" checked[f.checked("internet_facing")];
                label for=(facing) { (lang.t("internet_facing")) }
            }
        }
    }
}

#[allow(clippy::too_many_lines)]
async fn render(
    state: &AppState,
    s: &Session,
    p: &Params,
    f: &FormData,
    failed: Option<(Which, &str)>,
    status: StatusCode,
) -> PortalResult<Response> {
    let lang = s.lang;
    let auth = || Auth(s.viewer.clone());
    let Json(exposed) = exposure(State(state.clone()), auth()).await?;
    let offset = p.offset.max(0);
    let Json(page) = api_list(
        State(state.clone()),
        auth(),
        ApiQuery(AssetQuery {
            sbom: None,
            offset,
            limit: Some(PAGE),
        }),
    )
    .await?;
    let Json(sboms) = list_sboms(State(state.clone()), auth()).await?;
    let can_act = s.viewer.ensure_can_act().is_ok();
    let body = html! {
        @match p.ok.as_deref() {
            Some("added") => (flash(lang.t("asset_added"))),
            Some("imported") => (flash(&format!("{} {}", lang.t("assets_imported"), p.n.unwrap_or(0)))),
            Some("sbom") => (flash(lang.t("sbom_uploaded"))),
            Some("removed") => (flash(lang.t("asset_removed"))),
            _ => {}
        }
        section aria-labelledby="h-exposure" {
            h2 #h-exposure { (lang.t("exposure_title")) " " span.count { (exposed.len()) } }
            @if exposed.is_empty() {
                p.muted { (lang.t("no_exposure")) }
            } @else {
                div.table-wrap { table #exposure {
                    thead { tr {
                        th scope="col" { "CVE" }
                        th scope="col" { (lang.t("col_vulnerability")) }
                        th scope="col" { (lang.t("col_due")) }
                        th scope="col" { (lang.t("affected_assets")) }
                    } }
                    tbody {
                        @for x in &exposed {
                            tr {
                                th scope="row" { a href={ "/portal/kev?q=" (x.cve_id) } { code { (x.cve_id) } } }
                                td { (x.vulnerability_name) br; span.muted { (lang.t("required_action")) ": " (x.required_action) } }
                                td.nowrap { (x.due_date) }
                                td { ul { @for a in &x.assets { li { (a.label) " — " code { (a.matched) } } } } }
                            }
                        }
                    }
                } }
            }
        }
        section aria-labelledby="h-assets" {
            h2 #h-assets { (lang.t("my_assets")) " " span.count { (page.total) } }
            @if page.assets.is_empty() {
                p.muted { (lang.t("no_assets")) }
            } @else {
                div.table-wrap { table #assets {
                    thead { tr {
                        th scope="col" { (lang.t("col_vendor_product")) }
                        th scope="col" { (lang.t("col_version")) }
                        th scope="col" { (lang.t("col_identifier")) }
                        th scope="col" { (lang.t("sector_service")) }
                        th scope="col" { (lang.t("internet_facing")) }
                        @if can_act { th scope="col" { span.sr { (lang.t("remove")) } } }
                    } }
                    tbody {
                        @for a in &page.assets {
                            tr {
                                td { (a.vendor) " " (a.product) @if !a.model.is_empty() { " (" (a.model) ")" } }
                                td { (a.version) }
                                td { @if let Some(c) = &a.cpe { code { (c) } } @if let Some(u) = &a.purl { " " code { (u) } } }
                                td { (a.sector_service) }
                                td { @if a.internet_facing { (lang.t("yes")) } @else { (lang.t("no")) } }
                                @if can_act {
                                    td {
                                        form.inline method="post" action={ "/portal/assets/" (a.id) "/remove" } {
                                            (csrf(s))
                                            button.danger type="submit" aria-label={ (lang.t("remove")) " " (a.vendor) " " (a.product) " " (a.version) } { (lang.t("remove")) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                } }
                nav.pager aria-label=(lang.t("next_page")) {
                    @if offset > 0 { a href={ "/portal/assets?offset=" ((offset - PAGE).max(0)) } rel="prev" { (lang.t("prev_page")) } " " }
                    @if offset + PAGE < page.total { a href={ "/portal/assets?offset=" (offset + PAGE) } rel="next" { (lang.t("next_page")) } }
                }
            }
        }
        @if !sboms.is_empty() {
            section aria-labelledby="h-sboms" {
                h2 #h-sboms { (lang.t("my_sboms")) }
                div.table-wrap { table #sboms {
                    thead { tr {
                        th scope="col" { (lang.t("col_name")) }
                        th scope="col" { (lang.t("col_format")) }
                        th.n scope="col" { (lang.t("col_components")) }
                        th scope="col" { (lang.t("col_registered")) }
                        @if can_act { th scope="col" { span.sr { (lang.t("remove")) } } }
                    } }
                    tbody {
                        @for x in &sboms {
                            tr {
                                td { (x.name) }
                                td { (x.format) " " (x.spec_version) }
                                td.n { (x.components) }
                                td.nowrap { (jst(x.created_at)) }
                                @if can_act {
                                    td {
                                        form.inline method="post" action={ "/portal/assets/sboms/" (x.id) "/remove" } {
                                            (csrf(s))
                                            button.danger type="submit" aria-label={ (lang.t("remove")) " " (x.name) } { (lang.t("remove")) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                } }
            }
        }
        @if can_act {
            section aria-labelledby="h-add" {
                h2 #h-add { (lang.t("add_asset")) }
                form.card #add-asset method="post" action=(HERE) {
                    (csrf(s))
                    @if let Some(e) = error_in(failed, Which::Add) { p.error #add-error role="alert" { (e) } }
                    (text_field(f, "vendor", lang.t("vendor"), None))
                    (text_field(f, "product", lang.t("product"), None))
                    (text_field(f, "version", lang.t("col_version"), None))
                    (text_field(f, "model", lang.t("model"), None))
                    (text_field(f, "cpe", "CPE", Some(lang.t("cpe_hint"))))
                    (text_field(f, "purl", "purl", Some(lang.t("purl_hint"))))
                    (placement(lang, f, "add-"))
                    p { button.primary type="submit" { (lang.t("add_asset_button")) } }
                }
            }
            section aria-labelledby="h-csv" {
                h2 #h-csv { (lang.t("import_csv")) }
                form.card #import-csv method="post" action="/portal/assets/import" enctype="multipart/form-data" {
                    (csrf(s))
                    @if let Some(e) = error_in(failed, Which::Csv) { p.error #csv-error role="alert" { (e) } }
                    p {
                        label for="csv_file" { (lang.t("csv_file")) }
                        input #csv_file type="file" name="csv_file" accept=".csv,text/csv";
                    }
                    p {
                        label for="csv" { (lang.t("csv_text")) }
                        textarea #csv name="csv" rows="6" aria-describedby="csv-hint" spellcheck="false" { (f.text("csv")) }
                        span.hint #csv-hint { (lang.t("csv_hint")) }
                    }
                    p { button.primary type="submit" { (lang.t("import_button")) } }
                }
            }
            section aria-labelledby="h-sbom" {
                h2 #h-sbom { (lang.t("upload_sbom")) }
                form.card #upload-sbom method="post" action="/portal/assets/sbom" enctype="multipart/form-data" {
                    (csrf(s))
                    @if let Some(e) = error_in(failed, Which::Sbom) { p.error #sbom-error role="alert" { (e) } }
                    p {
                        label for="sbom_file" { (lang.t("sbom_file")) }
                        input #sbom_file type="file" name="sbom_file" accept=".json,.xml,.spdx,.cdx,application/json,application/xml";
                    }
                    p {
                        label for="sbom" { (lang.t("sbom_text")) }
                        textarea #sbom name="sbom" rows="6" aria-describedby="sbom-hint" spellcheck="false" { (f.text("sbom")) }
                        span.hint #sbom-hint { (lang.t("sbom_hint")) }
                    }
                    (placement(lang, f, "sbom-"))
                    p { button.primary type="submit" { (lang.t("upload_button")) } }
                }
            }
        }
    };
    Ok(layout::page_status(
        s,
        HERE,
        lang.t("assets_title"),
        body,
        status,
    ))
}

/// `GET /portal/assets`.
pub async fn page(
    State(state): State<AppState>,
    s: Session,
    Query(p): Query<Params>,
) -> PortalResult {
    render(&state, &s, &p, &FormData::default(), None, StatusCode::OK).await
}

/// Shows a refused form again with its message, or passes other errors on.
async fn refused(
    state: &AppState,
    s: &Session,
    f: &FormData,
    which: Which,
    e: ApiError,
) -> PortalResult {
    let status = match &e {
        ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
        ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
        ApiError::Conflict(_) => StatusCode::CONFLICT,
        ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
        _ => return Err(e.into()),
    };
    let msg = api_message(&e);
    render(state, s, &Params::default(), f, Some((which, &msg)), status).await
}

fn optional(f: &FormData, name: &str) -> Option<String> {
    Some(f.text(name).trim().to_owned()).filter(|v| !v.is_empty())
}

/// `POST /portal/assets`: one asset, through the API's handler.
pub async fn add(State(state): State<AppState>, Posted(s, f): Posted) -> PortalResult {
    let form = AssetForm {
        vendor: f.text("vendor").to_owned(),
        product: f.text("product").to_owned(),
        version: f.text("version").to_owned(),
        model: f.text("model").to_owned(),
        cpe: optional(&f, "cpe"),
        purl: optional(&f, "purl"),
        sector_service: f.text("sector_service").to_owned(),
        internet_facing: f.checked("internet_facing"),
    };
    match api_add(State(state.clone()), Auth(s.viewer.clone()), ApiJson(form)).await {
        Ok(_) => Ok(see_other("/portal/assets?ok=added")),
        Err(e) => refused(&state, &s, &f, Which::Add, e).await,
    }
}

/// The chosen file's text, else what was pasted.
fn file_or_text(f: &FormData, file: &str, text: &str) -> String {
    let chosen = f.text(file);
    if chosen.trim().is_empty() {
        f.text(text).to_owned()
    } else {
        chosen.to_owned()
    }
}

/// `POST /portal/assets/import`: a chosen CSV file or pasted CSV, through the API's
/// import.
pub async fn import(State(state): State<AppState>, Posted(s, f): Posted) -> PortalResult {
    let body = Bytes::from(file_or_text(&f, "csv_file", "csv"));
    match import_csv(State(state.clone()), Auth(s.viewer.clone()), body).await {
        Ok((_, Json(r))) => Ok(see_other(&format!(
            "/portal/assets?ok=imported&n={}",
            r.created
        ))),
        Err(e) => refused(&state, &s, &f, Which::Csv, e).await,
    }
}

/// `POST /portal/assets/sbom`: a chosen SBOM file or a pasted one, through the API's
/// upload.
pub async fn sbom(State(state): State<AppState>, Posted(s, f): Posted) -> PortalResult {
    let body = Bytes::from(file_or_text(&f, "sbom_file", "sbom"));
    let place = SbomPlacement {
        sector_service: f.text("sector_service").to_owned(),
        internet_facing: f.checked("internet_facing"),
    };
    match upload_sbom(
        State(state.clone()),
        Auth(s.viewer.clone()),
        ApiQuery(place),
        body,
    )
    .await
    {
        Ok(_) => Ok(see_other("/portal/assets?ok=sbom")),
        Err(e) => refused(&state, &s, &f, Which::Sbom, e).await,
    }
}

/// `POST /portal/assets/{id}/remove`: one of the member's own assets.
pub async fn remove(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted(s, _): Posted,
) -> PortalResult {
    api_remove(State(state), Auth(s.viewer.clone()), Path(id)).await?;
    Ok(see_other("/portal/assets?ok=removed"))
}

/// `POST /portal/assets/sboms/{id}/remove`: one of the member's own SBOMs.
pub async fn remove_sbom_form(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted(s, _): Posted,
) -> PortalResult {
    remove_sbom(State(state), Auth(s.viewer.clone()), Path(id)).await?;
    Ok(see_other("/portal/assets?ok=removed"))
}
