//! Vendor coordination (M4.3) over HTTP: curators (class-1 members and the coordinator)
//! ask a product vendor about a catalogue entry, and the vendor's answers are tracked
//! through a status lifecycle. The vendor is a member of the council, which sees the
//! requests addressed to it and answers itself, or an outside contact, which gets the
//! request by e-mail and whose answers the curators record. Requests are not item
//! data: only the curators and the addressed vendor see them; the catalogue shows each
//! vendor's status without the messages.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::{Date, OffsetDateTime};
use tsunagu_core::ids::MemberId;
use tsunagu_core::indicator::CveId;
use tsunagu_core::kev::KevEntry;
use tsunagu_core::member::{Member, MemberClass, SpecialRole};
use tsunagu_core::text;
use tsunagu_core::user::Viewer;
use tsunagu_store::{VendorContact, VendorRequest, VendorStatus, VendorUpdate};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiJson, Auth};
use crate::{AppState, audit_by};

/// Longest request message or answer text, in characters.
const MAX_TEXT: usize = 10_000;
/// Longest vendor name, product or version, in characters.
const MAX_NAME: usize = 200;
/// How an answer the curators record is attributed: it came from the vendor by e-mail.
const BY_EMAIL: &str = "vendor by e-mail";
/// How the council's own entries (the opening, the e-mail's outcome) are attributed.
const BY_COUNCIL: &str = "council";
/// The e-mail outcome when no SMTP relay is configured.
const NO_RELAY: &str = "not_sent: no SMTP relay configured";

/// Curators, who open requests and see them all: class-1 members and the coordinator.
fn is_curator(m: &Member) -> bool {
    m.class == MemberClass::Class1 || m.has_role(SpecialRole::Coordinator)
}

fn addressed_to(r: &VendorRequest, m: MemberId) -> bool {
    r.vendor == VendorContact::Member(m)
}

/// What the council asks a vendor.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VendorRequestForm {
    /// The vendor when it is a member of the council: its member id.
    #[serde(default)]
    pub vendor_member: Option<String>,
    /// The vendor when it is outside the council: its name (with `contact_email`).
    #[serde(default)]
    pub vendor_name: Option<String>,
    /// The outside vendor's e-mail address, where the request is sent.
    #[serde(default)]
    pub contact_email: Option<String>,
    /// The vendor's product concerned (the catalogue entry's product when left out).
    #[serde(default)]
    pub product: Option<String>,
    /// What the council asks.
    pub message: String,
}

/// An answer or update: the vendor member's own, or one a curator received by e-mail.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VendorUpdateForm {
    /// `acknowledged`, `fix_planned` (with `planned_fix_date`), `fixed` or `no_fix`; the
    /// last two are final.
    pub status: String,
    /// What the vendor said.
    #[serde(default)]
    pub text: String,
    /// When the fix is planned (YYYY-MM-DD).
    #[serde(default)]
    pub planned_fix_date: Option<String>,
    /// The version that fixes the vulnerability.
    #[serde(default)]
    pub fixed_version: Option<String>,
}

/// One entry of a request's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct VendorUpdateView {
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// Who: the vendor member's id, `vendor by e-mail` (recorded by a curator) or
    /// `council` (the opening and the e-mail's outcome).
    pub by: String,
    /// The member that recorded it (shown to curators only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recorded_by: Option<MemberId>,
    /// The request's status after this entry.
    pub status: String,
    /// What was said or done.
    pub text: String,
}

/// A vendor request as a curator or the addressed vendor sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct VendorRequestView {
    /// Identifier.
    pub id: String,
    /// The catalogue entry it is about.
    pub cve: String,
    /// The vendor when it is a member of the council.
    pub vendor_member: Option<MemberId>,
    /// The vendor's name (a member vendor's member name).
    pub vendor_name: String,
    /// The outside vendor's e-mail address.
    pub contact_email: Option<String>,
    /// The vendor's product concerned.
    pub product: String,
    /// What the council asks.
    pub message: String,
    /// `sent`, `acknowledged`, `fix_planned`, `fixed` or `no_fix`.
    pub status: String,
    /// When the vendor plans the fix (YYYY-MM-DD).
    pub planned_fix_date: Option<String>,
    /// The version that fixes it.
    pub fixed_version: Option<String>,
    /// Every answer and update, oldest first.
    pub history: Vec<VendorUpdateView>,
    /// The curator's member that opened it (shown to curators only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by: Option<MemberId>,
    /// Opened.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    /// Last changed.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
}

/// A newly opened request and what became of its e-mail.
#[derive(Debug, Serialize, ToSchema)]
pub struct OpenedVendorRequest {
    /// The request.
    #[serde(flatten)]
    pub request: VendorRequestView,
    /// For an outside vendor: `sent`, `not_sent: no SMTP relay configured` or
    /// `failed: …` (the request stands either way); none for a member vendor.
    pub email: Option<String>,
}

/// A vendor's status on a catalogue entry, as every member sees it in the catalogue.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VendorStatusView {
    /// The vendor's name (vendors are named publicly in the catalogue anyway).
    pub vendor: String,
    /// `sent`, `acknowledged`, `fix_planned`, `fixed` or `no_fix`.
    pub status: String,
    /// When the vendor plans the fix (YYYY-MM-DD).
    pub planned_fix_date: Option<String>,
    /// The version that fixes it.
    pub fixed_version: Option<String>,
    /// Last changed.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
}

/// The vendors' statuses on catalogue entry `cve` (on every entry for `None`) by CVE,
/// for [`crate::api::kev::KevView`]: names, statuses, dates and versions, never
/// messages or addresses.
///
/// # Errors
/// On database failure.
pub async fn statuses_by_cve(
    state: &AppState,
    cve: Option<&str>,
) -> ApiResult<BTreeMap<String, Vec<VendorStatusView>>> {
    let mut out: BTreeMap<String, Vec<VendorStatusView>> = BTreeMap::new();
    for (cve, s) in state.store.vendor_statuses(cve).await? {
        out.entry(cve).or_default().push(VendorStatusView {
            vendor: s.vendor,
            status: s.status.as_str().to_owned(),
            planned_fix_date: s.planned_fix_date,
            fixed_version: s.fixed_version,
            updated_at: s.updated_at,
        });
    }
    Ok(out)
}

/// The request as `v` sees it: curators also see who opened and recorded what.
async fn view_of(state: &AppState, v: &Viewer, r: VendorRequest) -> ApiResult<VendorRequestView> {
    let curator = is_curator(&v.member);
    let (vendor_member, vendor_name, contact_email) = match r.vendor {
        VendorContact::Member(m) => {
            let name = state
                .store
                .member(m)
                .await?
                .map(|m| m.name)
                .unwrap_or_default();
            (Some(m), name, None)
        }
        VendorContact::Outside { name, email } => (None, name, Some(email)),
    };
    Ok(VendorRequestView {
        id: r.id.to_string(),
        cve: r.cve,
        vendor_member,
        vendor_name,
        contact_email,
        product: r.product,
        message: r.message,
        status: r.status.as_str().to_owned(),
        planned_fix_date: r.planned_fix_date,
        fixed_version: r.fixed_version,
        history: r
            .history
            .into_iter()
            .map(|u| VendorUpdateView {
                at: u.at,
                by: u.by,
                recorded_by: u.recorded_by.filter(|_| curator),
                status: u.status.as_str().to_owned(),
                text: u.text,
            })
            .collect(),
        created_by: curator.then_some(r.created_by),
        created_at: r.created_at,
        updated_at: r.updated_at,
    })
}

/// An optional one-line text (names, versions: they go into e-mail headers): trimmed,
/// `None` when left out or empty.
fn optional(field: &'static str, value: Option<&str>, max: usize) -> ApiResult<Option<String>> {
    let v = value
        .map(|s| text::optional(field, s, max))
        .transpose()?
        .filter(|s| !s.is_empty());
    if v.as_deref().is_some_and(|s| s.contains(['\n', '\t'])) {
        return Err(ApiError::Unprocessable(format!(
            "{field}: must be a single line"
        )));
    }
    Ok(v)
}

/// The vendor a form names: a member (active), or an outside name and e-mail address.
async fn vendor_of(state: &AppState, form: &VendorRequestForm) -> ApiResult<VendorContact> {
    let member = optional("vendor_member", form.vendor_member.as_deref(), MAX_NAME)?;
    let name = optional("vendor_name", form.vendor_name.as_deref(), MAX_NAME)?;
    let email = optional("contact_email", form.contact_email.as_deref(), 254)?;
    match (member, name, email) {
        (Some(id), None, None) => {
            let active = match id.parse::<MemberId>() {
                Ok(m) => state.store.member(m).await?.filter(Member::is_active),
                Err(_) => None,
            };
            active.map(|m| VendorContact::Member(m.id)).ok_or_else(|| {
                ApiError::Unprocessable(format!("vendor_member: {id:?} is not an active member"))
            })
        }
        (Some(_), _, _) => Err(ApiError::Unprocessable(
            "vendor_member: name either a member or an outside vendor_name and contact_email, not both"
                .into(),
        )),
        (None, Some(name), Some(email)) => Ok(VendorContact::Outside {
            name,
            email: text::email("contact_email", &email)?,
        }),
        (None, None, _) => Err(ApiError::Unprocessable(
            "vendor_name: name the vendor: vendor_member, or vendor_name and contact_email".into(),
        )),
        (None, Some(_), None) => Err(ApiError::Unprocessable(
            "contact_email: an outside vendor needs an e-mail address".into(),
        )),
    }
}

/// Mails the request to an outside vendor through the configured SMTP relay; the
/// outcome as the API reports it.
async fn mail_vendor(state: &AppState, r: &VendorRequest, entry: &KevEntry, to: &str) -> String {
    use lettre::message::header::{ContentType, HeaderName, HeaderValue};
    use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
    let Some(url) = state.config.smtp_url.as_deref() else {
        return NO_RELAY.to_owned();
    };
    let body = format!(
        "The council asks you, as the vendor, about a vulnerability in its catalogue of \
         known-exploited vulnerabilities.\n\
         当協議会の悪用が確認された脆弱性カタログに掲載された脆弱性について、ご対応状況をお尋ねします。\n\n\
         CVE: {cve}\nVulnerability: {name}\nProduct: {product}\n\n{message}\n\n\
         Please answer with the status of a fix (acknowledged, fix planned with a date, fixed \
         with the fixed version, or no fix), quoting reference {id}.\n",
        cve = r.cve,
        name = entry.vulnerability_name,
        product = r.product,
        message = r.message,
        id = r.id,
    );
    let sent = async {
        let mut message = Message::builder()
            .from(
                state
                    .config
                    .mail_from
                    .parse()
                    .map_err(|e| format!("mail_from: {e}"))?,
            )
            .to(to.parse().map_err(|e| format!("recipient {to:?}: {e}"))?)
            .subject(format!(
                "[tsunagu] Vulnerability coordination request / 脆弱性対応のお願い: {} ({})",
                r.cve, r.product
            ))
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| e.to_string())?;
        message.headers_mut().insert_raw(HeaderValue::new(
            HeaderName::new_from_ascii_str("X-Tsunagu-Vendor-Request"),
            r.id.to_string(),
        ));
        AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("SMTP URL: {e}"))?
            .timeout(Some(state.config.delivery.timeout))
            .build()
            .send(message)
            .await
            .map_err(|e| format!("SMTP: {e}"))
    };
    match sent.await {
        Ok(_) => "sent".to_owned(),
        Err(e) => format!("failed: {e}"),
    }
}

/// Opens a request to a vendor about catalogue entry `cve` (curators: class 1 and the
/// coordinator); its status is `sent`. An outside vendor gets it by e-mail (the
/// outcome is in `email` and the history; the request stands even when the mail
/// fails); a member vendor sees it in its list.
#[utoipa::path(post, path = "/api/v1/kev/{cve}/vendor-requests", tag = "vulnerabilities",
    params(("cve" = String, Path)), request_body = VendorRequestForm, security(("bearer" = [])),
    responses((status = 201, body = OpenedVendorRequest), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn open(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(cve): Path<String>,
    ApiJson(form): ApiJson<VendorRequestForm>,
) -> ApiResult<(StatusCode, Json<OpenedVendorRequest>)> {
    crate::api::kev::ensure_curator(&v)?;
    let cve = CveId::parse(&cve)?;
    let message = text::required("message", &form.message, MAX_TEXT)?;
    let product = optional("product", form.product.as_deref(), MAX_NAME)?;
    let vendor = vendor_of(&state, &form).await?;
    let now = OffsetDateTime::now_utc();
    let mut tx = state.store.begin().await?;
    let entry = tx
        .kev_entry(cve.as_str())
        .await?
        .ok_or(ApiError::NotFound)?
        .entry;
    let r = VendorRequest {
        id: Uuid::now_v7(),
        cve: entry.cve_id.clone(),
        vendor,
        product: product.unwrap_or_else(|| entry.product.clone()),
        message,
        status: VendorStatus::Sent,
        planned_fix_date: None,
        fixed_version: None,
        history: vec![VendorUpdate {
            at: now,
            by: BY_COUNCIL.to_owned(),
            recorded_by: Some(v.member.id),
            status: VendorStatus::Sent,
            text: "request opened".to_owned(),
        }],
        created_by: v.member.id,
        created_at: now,
        updated_at: now,
    };
    tx.insert_vendor_request(&r).await?;
    let vendor_detail = match &r.vendor {
        VendorContact::Member(m) => json!({ "member": m }),
        VendorContact::Outside { name, .. } => json!({ "name": name }),
    };
    tx.audit(&audit_by(
        Some(&v),
        "vendor_request.open",
        "vendor_request",
        &r.id.to_string(),
        json!({ "cve": r.cve, "vendor": vendor_detail, "product": r.product }),
    ))
    .await?;
    tx.commit().await?;
    let email = match &r.vendor {
        VendorContact::Outside { email, .. } => {
            let outcome = mail_vendor(&state, &r, &entry, email).await;
            note(&state, r.id, format!("e-mail to {email}: {outcome}")).await?;
            Some(outcome)
        }
        VendorContact::Member(_) => None,
    };
    let stored = state
        .store
        .vendor_request(r.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok((
        StatusCode::CREATED,
        Json(OpenedVendorRequest {
            request: view_of(&state, &v, stored).await?,
            email,
        }),
    ))
}

/// Adds the council's own note (an e-mail's outcome) to a request's history; the
/// status stays as it is.
async fn note(state: &AppState, id: Uuid, text: String) -> ApiResult<()> {
    let mut tx = state.store.begin().await?;
    let mut r = tx.vendor_request(id).await?.ok_or(ApiError::NotFound)?;
    let now = OffsetDateTime::now_utc();
    r.updated_at = now;
    r.history.push(VendorUpdate {
        at: now,
        by: BY_COUNCIL.to_owned(),
        recorded_by: None,
        status: r.status,
        text,
    });
    tx.save_vendor_update(&r).await?;
    tx.commit().await?;
    Ok(())
}

/// Vendor requests: all of them for the curators, those addressed to the caller's
/// member for a vendor member, none for others.
#[utoipa::path(get, path = "/api/v1/vendor-requests", tag = "vulnerabilities", security(("bearer" = [])),
    responses((status = 200, body = Vec<VendorRequestView>)))]
pub async fn list(
    State(state): State<AppState>,
    Auth(v): Auth,
) -> ApiResult<Json<Vec<VendorRequestView>>> {
    let to = (!is_curator(&v.member)).then_some(v.member.id);
    let rows = state.store.vendor_requests(to).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(view_of(&state, &v, r).await?);
    }
    Ok(Json(out))
}

fn parse_request_id(s: &str) -> ApiResult<Uuid> {
    s.parse().map_err(|_| ApiError::NotFound)
}

/// One vendor request: for the curators and the addressed vendor member (404 for
/// others, who may not learn it exists).
#[utoipa::path(get, path = "/api/v1/vendor-requests/{id}", tag = "vulnerabilities",
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = VendorRequestView), (status = 404, body = Problem)))]
pub async fn get_one(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<VendorRequestView>> {
    let r = state
        .store
        .vendor_request(parse_request_id(&id)?)
        .await?
        .filter(|r| is_curator(&v.member) || addressed_to(r, v.member.id))
        .ok_or(ApiError::NotFound)?;
    Ok(Json(view_of(&state, &v, r).await?))
}

/// Records an answer: the addressed vendor member's own, or one a curator received by
/// e-mail. `fix_planned` needs a `planned_fix_date`; after `fixed` or `no_fix` the
/// request is settled and takes no further updates (409).
#[utoipa::path(post, path = "/api/v1/vendor-requests/{id}/updates", tag = "vulnerabilities",
    params(("id" = String, Path)), request_body = VendorUpdateForm, security(("bearer" = [])),
    responses((status = 200, body = VendorRequestView), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
    ApiJson(form): ApiJson<VendorUpdateForm>,
) -> ApiResult<Json<VendorRequestView>> {
    let id = parse_request_id(&id)?;
    let status = VendorStatus::parse(form.status.trim())
        .filter(|s| *s != VendorStatus::Sent)
        .ok_or_else(|| {
            ApiError::Unprocessable(format!(
                "status: {:?} is not one of acknowledged, fix_planned, fixed, no_fix",
                form.status
            ))
        })?;
    let text = text::optional("text", &form.text, MAX_TEXT)?;
    let planned = optional(
        "planned_fix_date",
        form.planned_fix_date.as_deref(),
        MAX_NAME,
    )?;
    if let Some(d) = &planned {
        Date::parse(d, time::macros::format_description!("[year]-[month]-[day]")).map_err(
            |_| {
                ApiError::Unprocessable(format!("planned_fix_date: {d:?} is not a date YYYY-MM-DD"))
            },
        )?;
    }
    let fixed_version = optional("fixed_version", form.fixed_version.as_deref(), MAX_NAME)?;
    let mut tx = state.store.begin().await?;
    let mut r = tx
        .vendor_request(id)
        .await?
        .filter(|r| is_curator(&v.member) || addressed_to(r, v.member.id))
        .ok_or(ApiError::NotFound)?;
    v.ensure_can_act()?;
    if r.status.is_final() {
        return Err(ApiError::Conflict(format!(
            "the request is settled ({}); it takes no further updates",
            r.status.as_str()
        )));
    }
    let planned = planned.or(r.planned_fix_date.take());
    if status == VendorStatus::FixPlanned && planned.is_none() {
        return Err(ApiError::Unprocessable(
            "planned_fix_date: required with status fix_planned".into(),
        ));
    }
    let now = OffsetDateTime::now_utc();
    r.status = status;
    r.planned_fix_date = planned;
    r.fixed_version = fixed_version.or(r.fixed_version.take());
    r.updated_at = now;
    r.history.push(VendorUpdate {
        at: now,
        by: if addressed_to(&r, v.member.id) {
            v.member.id.to_string()
        } else {
            BY_EMAIL.to_owned()
        },
        recorded_by: Some(v.member.id),
        status,
        text,
    });
    tx.save_vendor_update(&r).await?;
    tx.audit(&audit_by(
        Some(&v),
        "vendor_request.update",
        "vendor_request",
        &r.id.to_string(),
        json!({ "cve": r.cve, "status": status.as_str(), "planned_fix_date": r.planned_fix_date, "fixed_version": r.fixed_version }),
    ))
    .await?;
    tx.commit().await?;
    Ok(Json(view_of(&state, &v, r).await?))
}

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/kev/{cve}/vendor-requests", post(open))
        .route("/api/v1/vendor-requests", get(list))
        .route("/api/v1/vendor-requests/{id}", get(get_one))
        .route("/api/v1/vendor-requests/{id}/updates", post(update))
}
