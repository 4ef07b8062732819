//! Early-warning alerts over HTTP (M3.1–M3.3): issue, update, withdraw, read, acknowledge,
//! follow progress; and the delivery channels members register.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;
use tsunagu_core::alert::{Alert, AlertContent, AlertForm, AlertStatus, AlertView, ensure_issuer};
use tsunagu_core::ids::{AlertId, MemberId, UserId};
use tsunagu_core::member::{Member, MemberStatus, SpecialRole};
use tsunagu_core::user::Viewer;
use tsunagu_core::view::view;
use tsunagu_store::Channel;
use utoipa::ToSchema;

use crate::auth::random_bytes;
use crate::delivery::recipient_view;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiJson, ApiQuery, Auth};
use crate::{AppState, audit_by};

fn parse_alert_id(s: &str) -> ApiResult<AlertId> {
    s.parse().map_err(|_| ApiError::NotFound)
}

/// Writes a revision and its outbox in one transaction, then wakes the workers.
pub(crate) async fn publish(
    state: &AppState,
    v: &Viewer,
    alert: &Alert,
    action: &str,
) -> ApiResult<()> {
    let now = OffsetDateTime::now_utc();
    let members = state.store.members(Some(MemberStatus::Active)).await?;
    let mut tx = state.store.begin().await?;
    let mut by_member: BTreeMap<MemberId, Vec<Channel>> = BTreeMap::new();
    for c in tx.active_channels().await? {
        by_member.entry(c.member).or_default().push(c);
    }
    let recipients: Vec<(MemberId, Vec<Channel>)> = members
        .iter()
        .filter(|m| alert.content.targets(m) || m.id == alert.issuer)
        .map(|m| (m.id, by_member.remove(&m.id).unwrap_or_default()))
        .collect();
    tx.publish_alert(alert, &recipients, now).await?;
    tx.audit(&audit_by(
        Some(v),
        action,
        "alert",
        &alert.id.to_string(),
        json!({ "revision": alert.revision, "severity": alert.content.severity, "exercise": alert.content.exercise, "target": alert.content.target, "recipients": recipients.len(), "affected_members": alert.content.affected.len() }),
    ))
    .await?;
    tx.commit().await?;
    state.workers.wake();
    state.stream.published();
    Ok(())
}

/// Resolves the target's product parts against the asset registry: which members run
/// an affected product, and which of their assets. Catalogue entries named in the
/// target must be published.
pub(crate) async fn resolve_affected(
    state: &AppState,
    content: &mut AlertContent,
) -> ApiResult<()> {
    content.affected.clear();
    if !content.target.by_product() {
        return Ok(());
    }
    let mut criteria = content.target.products.clone();
    let from_kev = crate::assets::criteria_of_cves(&state.store, &content.target.kev).await?;
    for cve in &content.target.kev {
        if !from_kev.cves.contains(cve) {
            return Err(ApiError::Unprocessable(format!(
                "target.kev: {cve} is not a published catalogue entry"
            )));
        }
    }
    criteria.cpe.extend(from_kev.criteria.cpe);
    let (from_csaf, missing) =
        crate::api::advisories::criteria_of_advisories(&state.store, &content.target.advisories)
            .await?;
    if let Some(id) = missing.first() {
        return Err(ApiError::Unprocessable(format!(
            "target.advisories: no advisory {id}"
        )));
    }
    criteria.cpe.extend(from_csaf.cpe);
    criteria.purl.extend(from_csaf.purl);
    content.affected = crate::assets::affected(&state.store, &criteria).await?;
    Ok(())
}

async fn check_related(state: &AppState, v: &Viewer, form: &AlertForm) -> ApiResult<()> {
    for (i, id) in form.related_items.iter().enumerate() {
        let visible = match state.store.item(*id).await? {
            Some(s) => view(&s.item, v).is_some(),
            None => false,
        };
        if !visible {
            return Err(ApiError::Unprocessable(format!(
                "related_items: [{i}] is not an item you can see"
            )));
        }
    }
    Ok(())
}

/// Issues an alert in the council's one voice. The alert and a delivery per recipient
/// channel are stored in one transaction; delivery starts at once.
#[utoipa::path(post, path = "/api/v1/alerts", tag = "alerts", request_body = AlertForm, security(("bearer" = [])),
    responses((status = 201, body = AlertView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn issue(
    State(state): State<AppState>,
    Auth(v): Auth,
    ApiJson(form): ApiJson<AlertForm>,
) -> ApiResult<(StatusCode, Json<AlertView>)> {
    ensure_issuer(&v)?;
    check_related(&state, &v, &form).await?;
    let now = OffsetDateTime::now_utc();
    let mut content = form.parse()?;
    resolve_affected(&state, &mut content).await?;
    let alert = Alert {
        id: AlertId::new(),
        issuer: v.member.id,
        content,
        status: AlertStatus::Active,
        revision: 1,
        created_at: now,
        updated_at: now,
    };
    publish(&state, &v, &alert, "alert.issue").await?;
    let shown = recipient_view(&state, &alert, &v)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok((StatusCode::CREATED, Json(shown)))
}

/// Loads an alert with the caller's view of it; 404 when the caller is no recipient.
async fn load_for(state: &AppState, v: &Viewer, id: &str) -> ApiResult<(Alert, AlertView)> {
    let alert = state
        .store
        .alert(parse_alert_id(id)?)
        .await?
        .ok_or(ApiError::NotFound)?;
    let shown = recipient_view(state, &alert, v)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok((alert, shown))
}

async fn load_own(state: &AppState, v: &Viewer, id: &str) -> ApiResult<Alert> {
    let (alert, _) = load_for(state, v, id).await?;
    ensure_issuer(v)?;
    if alert.issuer != v.member.id && !v.member.has_role(SpecialRole::Coordinator) {
        return Err(ApiError::Forbidden(
            "only the issuer or the coordinator changes an alert".into(),
        ));
    }
    if alert.status == AlertStatus::Withdrawn {
        return Err(ApiError::Conflict("the alert was withdrawn".into()));
    }
    Ok(alert)
}

/// Updates an alert; the new revision is delivered to every recipient again.
#[utoipa::path(put, path = "/api/v1/alerts/{id}", tag = "alerts", request_body = AlertForm, security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = AlertView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
    ApiJson(form): ApiJson<AlertForm>,
) -> ApiResult<Json<AlertView>> {
    let mut alert = load_own(&state, &v, &id).await?;
    check_related(&state, &v, &form).await?;
    alert.content = form.parse()?;
    resolve_affected(&state, &mut alert.content).await?;
    alert.revision += 1;
    alert.updated_at = OffsetDateTime::now_utc();
    publish(&state, &v, &alert, "alert.update").await?;
    recipient_view(&state, &alert, &v)
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound)
}

/// Withdraws an alert; the withdrawal is delivered too.
#[utoipa::path(post, path = "/api/v1/alerts/{id}/withdraw", tag = "alerts", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = AlertView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn withdraw(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<AlertView>> {
    let mut alert = load_own(&state, &v, &id).await?;
    alert.status = AlertStatus::Withdrawn;
    alert.revision += 1;
    alert.updated_at = OffsetDateTime::now_utc();
    publish(&state, &v, &alert, "alert.withdraw").await?;
    recipient_view(&state, &alert, &v)
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound)
}

/// Paging through alerts.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertQuery {
    /// The `next_cursor` of the previous page.
    pub cursor: Option<i64>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<i64>,
}

/// A page of alerts.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertPage {
    /// Alerts the caller is a recipient of, newest first.
    pub alerts: Vec<AlertView>,
    /// Cursor for the next page.
    pub next_cursor: Option<i64>,
}

/// The alerts the caller received (or issued), newest first.
#[utoipa::path(get, path = "/api/v1/alerts", tag = "alerts", security(("bearer" = [])),
    params(("cursor" = Option<i64>, Query), ("limit" = Option<i64>, Query)),
    responses((status = 200, body = AlertPage)))]
pub async fn list(
    State(state): State<AppState>,
    Auth(v): Auth,
    ApiQuery(q): ApiQuery<AlertQuery>,
) -> ApiResult<Json<AlertPage>> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::BadRequest(format!(
            "limit: must be between 1 and 200, got {limit}"
        )));
    }
    let rows = state.store.alerts(q.cursor, limit).await?;
    let next = (rows.len() == usize::try_from(limit).unwrap_or(0))
        .then(|| rows.last().map(|(s, _)| *s))
        .flatten();
    let mut alerts = Vec::new();
    for (_, a) in &rows {
        if let Some(shown) = recipient_view(&state, a, &v).await? {
            alerts.push(shown);
        }
    }
    Ok(Json(AlertPage {
        alerts,
        next_cursor: next,
    }))
}

/// One alert; reading it records the member's read receipt.
#[utoipa::path(get, path = "/api/v1/alerts/{id}", tag = "alerts", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = AlertView), (status = 404, body = Problem)))]
pub async fn get_one(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<AlertView>> {
    let (alert, shown) = load_for(&state, &v, &id).await?;
    state
        .store
        .mark_receipt(alert.id, v.member.id, false, OffsetDateTime::now_utc())
        .await?;
    Ok(Json(shown))
}

/// An acknowledgement.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Ack {
    /// The member has acted on it (対応済み), not only read it.
    #[serde(default)]
    pub acted: bool,
}

/// Acknowledges an alert: read, or acted on (対応済み).
#[utoipa::path(post, path = "/api/v1/alerts/{id}/ack", tag = "alerts", request_body = Ack, security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn ack(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
    ApiJson(a): ApiJson<Ack>,
) -> ApiResult<StatusCode> {
    let (alert, _) = load_for(&state, &v, &id).await?;
    state
        .store
        .mark_receipt(alert.id, v.member.id, a.acted, OffsetDateTime::now_utc())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Counts of recipients at each stage.
#[derive(Debug, Default, Clone, Serialize, ToSchema)]
pub struct Stages {
    /// Targeted.
    pub targeted: i64,
    /// Delivered through at least one channel.
    pub delivered: i64,
    /// Read.
    pub read: i64,
    /// Acted on.
    pub acted: i64,
}

/// An alert's progress for its issuer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Progress {
    /// Over all recipients.
    pub total: Stages,
    /// Per class.
    pub by_class: BTreeMap<String, Stages>,
    /// Per sector.
    pub by_sector: BTreeMap<String, Stages>,
    /// Deliveries by status (pending, sending, delivered, dead).
    pub deliveries: BTreeMap<String, i64>,
    /// Recipients not yet reached by any channel or read: pseudonyms (names for the
    /// coordinator). Members reached only because they run an affected product are
    /// never named here (nor in the class and sector rows): see `not_reached_by_product`.
    pub not_reached: Vec<String>,
    /// Members targeted only because they run an affected product that were not yet
    /// reached: a count, so nobody learns who runs what.
    pub not_reached_by_product: i64,
}

/// Per-class and per-sector progress of an alert, and who was not reached. Issuer and
/// coordinator.
#[utoipa::path(get, path = "/api/v1/alerts/{id}/progress", tag = "alerts", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Progress), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn progress(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Progress>> {
    let (alert, _) = load_for(&state, &v, &id).await?;
    let coordinator = v.member.has_role(SpecialRole::Coordinator);
    if alert.issuer != v.member.id && !coordinator {
        return Err(ApiError::Forbidden(
            "only the issuer and the coordinator follow an alert's progress".into(),
        ));
    }
    let members = state.store.members(Some(MemberStatus::Active)).await?;
    let receipts: BTreeMap<MemberId, tsunagu_store::Receipt> = state
        .store
        .receipts(alert.id)
        .await?
        .into_iter()
        .map(|r| (r.member, r))
        .collect();
    let mut p = Progress {
        total: Stages::default(),
        by_class: BTreeMap::new(),
        by_sector: BTreeMap::new(),
        deliveries: state
            .store
            .delivery_counts(alert.id)
            .await?
            .into_iter()
            .collect(),
        not_reached: Vec::new(),
        not_reached_by_product: 0,
    };
    let targeted: Vec<&Member> = members
        .iter()
        .filter(|m| alert.content.targets(m))
        .collect();
    for m in targeted {
        let r = receipts.get(&m.id);
        let delivered = r.is_some_and(|r| r.delivered_at.is_some() || r.read_at.is_some());
        let read = r.is_some_and(|r| r.read_at.is_some());
        let acted = r.is_some_and(|r| r.acted_at.is_some());
        let hidden = alert.content.only_by_product(m);
        let mut rows = vec![&mut p.total];
        if !hidden {
            rows.push(p.by_class.entry(m.class.as_str().to_owned()).or_default());
            rows.push(p.by_sector.entry(m.sector.as_str().to_owned()).or_default());
        }
        for s in rows {
            s.targeted += 1;
            s.delivered += i64::from(delivered);
            s.read += i64::from(read);
            s.acted += i64::from(acted);
        }
        if hidden {
            p.not_reached_by_product += i64::from(!delivered);
        } else if !delivered {
            p.not_reached.push(if coordinator {
                m.name.clone()
            } else {
                m.pseudonym.clone()
            });
        }
    }
    Ok(Json(p))
}

/// A channel to register.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewChannel {
    /// `webhook` or `email`.
    pub kind: String,
    /// The webhook URL (http or https) or the e-mail address.
    pub address: String,
    /// Most deliveries in flight to it at once (default 4).
    #[serde(default)]
    pub max_in_flight: Option<i64>,
    /// The caller's own address rather than the member's: it receives what the caller
    /// may see, items requiring clearance included when the caller holds it (M2.8).
    /// Any user may register one; member-wide channels are for the member's admins.
    #[serde(default)]
    pub personal: bool,
    /// Registers a member-wide channel as cleared at this level, so that it receives
    /// what requires it: the coordinator only.
    #[serde(default)]
    pub cleared_level: Option<String>,
}

/// A registered channel. The webhook secret appears only in the answer to registration.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelInfo {
    /// Identifier.
    pub id: String,
    /// `webhook` or `email`.
    pub kind: String,
    /// URL or address.
    pub address: String,
    /// Deliveries in flight at most.
    pub max_in_flight: i64,
    /// Active.
    pub active: bool,
    /// The signing secret: shown once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// The user whose own address it is; absent for a member-wide channel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<UserId>,
    /// The clearance level the coordinator registered a member-wide channel at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cleared_level: Option<String>,
}

impl ChannelInfo {
    fn of(c: Channel, secret: Option<String>) -> Self {
        Self {
            id: c.id,
            kind: c.kind,
            address: c.address,
            max_in_flight: c.max_in_flight,
            active: c.active,
            secret,
            user: c.user,
            cleared_level: c.cleared_level,
        }
    }
}

fn is_coordinator(v: &Viewer) -> bool {
    v.member.is_active() && v.member.has_role(SpecialRole::Coordinator)
}

fn is_self(host: &str, port: u16, listen: Option<SocketAddr>) -> bool {
    let Some(l) = listen else { return false };
    if port != l.port() {
        return false;
    }
    let host = host.trim_start_matches('[').trim_end_matches(']');
    match host.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback() || ip.is_unspecified() || ip == l.ip(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

fn check_address(kind: &str, address: &str, listen: Option<SocketAddr>) -> ApiResult<String> {
    match kind {
        "webhook" => {
            let url = reqwest::Url::parse(address.trim()).map_err(|e| {
                ApiError::Unprocessable(format!("address: {address:?} is not a URL ({e})"))
            })?;
            if !matches!(url.scheme(), "http" | "https") {
                return Err(ApiError::Unprocessable(
                    "address: a webhook URL must be http or https".into(),
                ));
            }
            let host = url
                .host_str()
                .ok_or_else(|| ApiError::Unprocessable("address: the URL has no host".into()))?;
            if is_self(host, url.port_or_known_default().unwrap_or(0), listen) {
                return Err(ApiError::Unprocessable(
                    "address: a webhook must not point at this server".into(),
                ));
            }
            Ok(url.to_string())
        }
        "email" => Ok(tsunagu_core::text::email("address", address)?),
        other => Err(ApiError::Unprocessable(format!(
            "kind: {other:?} is not webhook or email"
        ))),
    }
}

/// Registers a webhook or e-mail channel for the caller's member (its admins).
#[utoipa::path(post, path = "/api/v1/channels", tag = "alerts", request_body = NewChannel, security(("bearer" = [])),
    responses((status = 201, body = ChannelInfo), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn add_channel(
    State(state): State<AppState>,
    Auth(v): Auth,
    ApiJson(c): ApiJson<NewChannel>,
) -> ApiResult<(StatusCode, Json<ChannelInfo>)> {
    if !c.personal {
        v.ensure_admin_of(v.member.id)?;
    }
    let cleared_level = match &c.cleared_level {
        None => None,
        Some(_) if c.personal => {
            return Err(ApiError::Unprocessable(
                "cleared_level: a personal channel receives what its user is cleared for; only member-wide channels are registered as cleared".into(),
            ));
        }
        Some(_) if !is_coordinator(&v) => {
            return Err(ApiError::Forbidden(
                "cleared_level: only the coordinator may register a member-wide channel as cleared"
                    .into(),
            ));
        }
        Some(l) => Some(state.config.clearance_levels.parse("cleared_level", l)?),
    };
    let address = check_address(&c.kind, &c.address, state.config.listen)?;
    let max_in_flight = c.max_in_flight.unwrap_or(4);
    if !(1..=64).contains(&max_in_flight) {
        return Err(ApiError::Unprocessable(
            "max_in_flight: must be between 1 and 64".into(),
        ));
    }
    let channel = Channel {
        id: uuid::Uuid::now_v7().to_string(),
        member: v.member.id,
        kind: c.kind.clone(),
        address,
        secret: (c.kind == "webhook")
            .then(|| format!("whsec_{}", hex::encode(random_bytes::<32>()))),
        max_in_flight,
        active: true,
        user: c.personal.then_some(v.user.id),
        cleared_level,
    };
    let mut tx = state.store.begin().await?;
    tx.insert_channel(&channel).await?;
    tx.audit(&audit_by(
        Some(&v),
        "channel.add",
        "channel",
        &channel.id,
        json!({ "kind": channel.kind, "address": channel.address, "user": channel.user, "cleared_level": channel.cleared_level }),
    ))
    .await?;
    tx.commit().await?;
    let secret = channel.secret.clone();
    Ok((StatusCode::CREATED, Json(ChannelInfo::of(channel, secret))))
}

/// Whose channels to list.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelQuery {
    /// Another member's channels: the coordinator only, to register one as cleared.
    pub member: Option<String>,
}

/// The caller's member's channels (secrets are never shown again).
#[utoipa::path(get, path = "/api/v1/channels", tag = "alerts", security(("bearer" = [])),
    responses((status = 200, body = Vec<ChannelInfo>)))]
pub async fn list_channels(
    State(state): State<AppState>,
    Auth(v): Auth,
    ApiQuery(q): ApiQuery<ChannelQuery>,
) -> ApiResult<Json<Vec<ChannelInfo>>> {
    let member = match q.member {
        Some(m) if is_coordinator(&v) => m
            .parse()
            .map_err(|_| ApiError::BadRequest("member: not a member id".into()))?,
        Some(_) => {
            return Err(ApiError::Forbidden(
                "member: only the coordinator lists another member's channels".into(),
            ));
        }
        None => v.member.id,
    };
    let chans = state.store.channels_of(member).await?;
    Ok(Json(
        chans
            .into_iter()
            .map(|c| ChannelInfo::of(c, None))
            .collect(),
    ))
}

/// The clearance level to register a member-wide channel at, or none to withdraw it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelClearance {
    /// A configured level, or null.
    pub level: Option<String>,
}

/// Registers any member's member-wide channel as cleared at a level, or withdraws that
/// (coordinator only, M2.8): only then does a shared mailbox or webhook receive alerts
/// and notices about items requiring clearance. Audited.
#[utoipa::path(put, path = "/api/v1/channels/{id}/clearance", tag = "alerts", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = ChannelClearance,
    responses((status = 200, body = ChannelClearance), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn set_channel_clearance(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
    ApiJson(c): ApiJson<ChannelClearance>,
) -> ApiResult<Json<ChannelClearance>> {
    v.ensure_can_act()?;
    if !is_coordinator(&v) {
        return Err(ApiError::Forbidden(
            "level: only the coordinator may register a channel as cleared".into(),
        ));
    }
    let level = c
        .level
        .as_deref()
        .map(|l| state.config.clearance_levels.parse("level", l))
        .transpose()?;
    let mut tx = state.store.begin().await?;
    if !tx.set_channel_clearance(&id, level.as_deref()).await? {
        return Err(ApiError::NotFound);
    }
    tx.audit(&audit_by(
        Some(&v),
        "channel.clearance",
        "channel",
        &id,
        json!({ "level": level }),
    ))
    .await?;
    tx.commit().await?;
    Ok(Json(ChannelClearance { level }))
}

/// Deactivates one of the caller's member's channels.
#[utoipa::path(delete, path = "/api/v1/channels/{id}", tag = "alerts", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn remove_channel(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let own = state
        .store
        .channels_of(v.member.id)
        .await?
        .into_iter()
        .any(|c| c.id == id && c.user == Some(v.user.id));
    if !own {
        v.ensure_admin_of(v.member.id)?;
    }
    let mut tx = state.store.begin().await?;
    if !tx.deactivate_channel(v.member.id, &id).await? {
        return Err(ApiError::NotFound);
    }
    tx.audit(&audit_by(
        Some(&v),
        "channel.remove",
        "channel",
        &id,
        json!({}),
    ))
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/alerts", get(list).post(issue))
        .route("/api/v1/alerts/{id}", get(get_one).put(update))
        .route("/api/v1/alerts/{id}/withdraw", post(withdraw))
        .route("/api/v1/alerts/{id}/ack", post(ack))
        .route("/api/v1/alerts/{id}/progress", get(progress))
        .route("/api/v1/channels", get(list_channels).post(add_channel))
        .route("/api/v1/channels/{id}", delete(remove_channel))
        .route(
            "/api/v1/channels/{id}/clearance",
            put(set_channel_clearance),
        )
}
