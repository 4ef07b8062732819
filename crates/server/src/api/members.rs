//! Members and the council's lifecycle (M1.1–M1.3, M1.7, M1.8): the public application
//! form, committee approval, activation, class changes, task-force approval,
//! expulsion, withdrawal, roles, settings and users.

use std::collections::BTreeSet;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;
use tsunagu_core::ids::{ClassRequestId, MemberId, UserId};
use tsunagu_core::member::{
    self, ApplicationForm, Approval, Member, MemberClass, MemberStatus, MemberView, Sector,
    SpecialRole,
};
use tsunagu_core::text;
use tsunagu_core::user::{self as core_user, User, UserRole, Viewer};
use tsunagu_store::{ClassRequest, ClassRequestStatus, Tx};
use utoipa::ToSchema;

use crate::auth::{
    DEFAULT_TOKEN_DAYS, IssuedToken, hash_password, hash_token, issue_token, random_bytes,
};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiJson, ApiQuery, Auth};
use crate::ratelimit::ClientIp;
use crate::{AppState, audit_by};

fn parse_member_id(s: &str) -> ApiResult<MemberId> {
    s.parse().map_err(|_| ApiError::NotFound)
}

/// Loads a member inside `tx`, 404 when missing.
async fn load(tx: &mut Tx, id: MemberId) -> ApiResult<Member> {
    tx.member(id).await?.ok_or(ApiError::NotFound)
}

/// The answer to a new application: the secret is shown once, and is what the
/// applicant later uses to activate its account.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationCreated {
    /// The application (and future member) id.
    pub id: MemberId,
    /// Always `applied`.
    pub status: MemberStatus,
    /// Keep this: with it the applicant creates its first admin once approved.
    pub applicant_secret: String,
}

/// An application as the committee sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationInfo {
    /// Id.
    pub id: MemberId,
    /// Organisation name.
    pub name: String,
    /// Sector.
    pub sector: Sector,
    /// Class applied for.
    pub class: MemberClass,
    /// Category.
    pub category: String,
    /// Foreign-affiliated.
    pub foreign_affiliated: bool,
    /// Contact person.
    pub contact_name: String,
    /// Contact e-mail.
    pub contact_email: String,
    /// Reason given.
    pub reason: String,
    /// Status.
    pub status: MemberStatus,
    /// Approvals so far.
    pub approvals: i64,
    /// Approvals needed.
    pub approvals_required: usize,
}

/// The state of a committee decision after a vote.
#[derive(Debug, Serialize, ToSchema)]
pub struct Decision {
    /// `applied`/`pending` while votes are missing; `active`/`approved` once carried;
    /// `rejected`, `expelled`, `withdrawn` for those decisions.
    pub status: String,
    /// Approvals so far.
    pub approvals: usize,
    /// Approvals needed.
    pub approvals_required: usize,
}

/// Activation of an approved application: the applicant's first admin user.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivateRequest {
    /// The secret returned by the application.
    pub applicant_secret: String,
    /// Login of the first admin.
    pub login: String,
    /// Its password (12 characters or more).
    pub password: String,
}

/// The first admin, and a token to start with.
#[derive(Debug, Serialize, ToSchema)]
pub struct Activated {
    /// The user created.
    pub user: User,
    /// A token for it (shown once).
    pub token: IssuedToken,
}

/// A class-change request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClassRequestForm {
    /// The class asked for.
    pub class: MemberClass,
    /// Why.
    #[serde(default)]
    pub reason: String,
}

/// A class-change request as listed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClassRequestInfo {
    /// Id.
    pub id: ClassRequestId,
    /// The member asking.
    pub member_id: MemberId,
    /// From.
    pub from_class: MemberClass,
    /// To.
    pub to_class: MemberClass,
    /// Why.
    pub reason: String,
    /// pending, approved, rejected.
    pub status: String,
}

impl From<ClassRequest> for ClassRequestInfo {
    fn from(r: ClassRequest) -> Self {
        Self {
            id: r.id,
            member_id: r.member_id,
            from_class: r.from_class,
            to_class: r.to_class,
            reason: r.reason,
            status: r.status.as_str().to_owned(),
        }
    }
}

/// The committee's decision on a foreign-affiliated member's task-force membership.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskForceApproval {
    /// Grant (true) or withdraw (false) the special approval.
    pub approved: bool,
}

/// A reason for expulsion or withdrawal.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    /// Free text, recorded in the audit log.
    #[serde(default)]
    pub reason: String,
}

/// The result of leaving the council.
#[derive(Debug, Serialize, ToSchema)]
pub struct Departure {
    /// `withdrawn` or `expelled`.
    pub status: MemberStatus,
    /// How many API tokens stopped working at that moment.
    pub tokens_revoked: u64,
}

/// Special roles and regulated sectors, set by the secretariat or the coordinator.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RolesUpdate {
    /// The member's special roles.
    pub roles: Vec<SpecialRole>,
    /// The sectors it regulates (with the regulator role).
    #[serde(default)]
    pub regulator_of: Vec<Sector>,
}

/// A member's own settings.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsUpdate {
    /// Opt out of confidential information (M1.8).
    pub confidential_opt_out: bool,
}

/// A new user of a member.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// Login name.
    pub login: String,
    /// Password (12 characters or more).
    pub password: String,
    /// Role.
    pub role: UserRole,
}

/// Filter for application lists.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusFilter {
    /// Which status to list (default `applied` / `pending`).
    pub status: Option<String>,
}

/// Submits an application to join the council. Public and rate limited.
#[utoipa::path(post, path = "/api/v1/applications", tag = "members", request_body = ApplicationForm, security(()),
    responses((status = 201, body = ApplicationCreated), (status = 409, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn apply(
    State(state): State<AppState>,
    ip: ClientIp,
    ApiJson(form): ApiJson<ApplicationForm>,
) -> ApiResult<(StatusCode, Json<ApplicationCreated>)> {
    state.limits.check(&ip)?;
    let app = form.parse()?;
    let secret = format!("app_{}", hex::encode(random_bytes::<24>()));
    let m = Member {
        id: MemberId::new(),
        name: app.name,
        pseudonym: new_pseudonym(),
        class: app.class,
        roles: BTreeSet::new(),
        sector: app.sector,
        category: app.category,
        foreign_affiliated: app.foreign_affiliated,
        tf_special_approval: false,
        tf_suspended: false,
        regulator_of: BTreeSet::new(),
        confidential_opt_out: false,
        status: MemberStatus::Applied,
        created_at: OffsetDateTime::now_utc(),
        agreement: None,
    };
    let mut tx = state.store.begin().await?;
    tx.insert_member(
        &m,
        &app.contact_name,
        &app.contact_email,
        &app.reason,
        Some(&hash_token(&secret)),
    )
    .await
    .map_err(|e| match e {
        tsunagu_store::StoreError::Duplicate => ApiError::Conflict(
            "an organisation with this name is already a member or has applied".into(),
        ),
        other => other.into(),
    })?;
    tx.audit(&audit_by(
        None,
        "member.apply",
        "member",
        &m.id.to_string(),
        json!({ "class": m.class, "sector": m.sector, "foreign_affiliated": m.foreign_affiliated }),
    ))
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(ApplicationCreated {
            id: m.id,
            status: m.status,
            applicant_secret: secret,
        }),
    ))
}

/// A fresh random pseudonym.
#[must_use]
pub fn new_pseudonym() -> String {
    member::pseudonym_from(u32::from_be_bytes(random_bytes::<4>()))
}

fn ensure_sees_applications(v: &Viewer) -> ApiResult<()> {
    if member::ensure_committee(&v.member).is_ok()
        || member::ensure_administration(&v.member).is_ok()
    {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "only the steering committee, the coordinator and the secretariat see applications"
                .into(),
        ))
    }
}

/// Lists applications (default: those waiting). Committee, coordinator, secretariat.
#[utoipa::path(get, path = "/api/v1/applications", tag = "members", security(("bearer" = [])),
    params(("status" = Option<String>, Query, description = "applied (default), active, rejected")),
    responses((status = 200, body = Vec<ApplicationInfo>), (status = 403, body = Problem)))]
pub async fn list_applications(
    State(state): State<AppState>,
    Auth(v): Auth,
    ApiQuery(f): ApiQuery<StatusFilter>,
) -> ApiResult<Json<Vec<ApplicationInfo>>> {
    ensure_sees_applications(&v)?;
    let status = match f.status.as_deref() {
        None => MemberStatus::Applied,
        Some(s) => MemberStatus::parse(s)
            .ok_or_else(|| ApiError::BadRequest(format!("status: unknown value {s:?}")))?,
    };
    let rows = state.store.applications(status).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| ApplicationInfo {
                id: r.member.id,
                name: r.member.name,
                sector: r.member.sector,
                class: r.member.class,
                category: r.member.category,
                foreign_affiliated: r.member.foreign_affiliated,
                contact_name: r.contact_name,
                contact_email: r.contact_email,
                reason: r.reason,
                status: r.member.status,
                approvals: r.approvals,
                approvals_required: state.config.approvals_required,
            })
            .collect(),
    ))
}

/// One committee member's approval of an application; the member becomes active when
/// enough distinct committee members approved.
#[utoipa::path(post, path = "/api/v1/applications/{id}/approve", tag = "members", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Decision), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn approve_application(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Decision>> {
    let id = parse_member_id(&id)?;
    v.ensure_can_act()?;
    member::ensure_committee(&v.member)?;
    let need = state.config.approvals_required;
    let mut tx = state.store.begin().await?;
    let mut target = load(&mut tx, id).await?;
    member::ensure_pending(&target)?;
    let have = tx
        .approve("application", &id.to_string(), v.member.id, v.user.id)
        .await
        .map_err(duplicate_vote)?;
    tx.audit(&audit_by(
        Some(&v),
        "member.approve_vote",
        "member",
        &id.to_string(),
        json!({ "approvals": have, "required": need }),
    ))
    .await?;
    if member::tally(have, need) == Approval::Carried {
        target.status = MemberStatus::Active;
        tx.update_member(&target).await?;
        tx.audit(&audit_by(
            Some(&v),
            "member.activate",
            "member",
            &id.to_string(),
            json!({ "class": target.class }),
        ))
        .await?;
    }
    tx.commit().await?;
    Ok(Json(Decision {
        status: target.status.as_str().to_owned(),
        approvals: have,
        approvals_required: need,
    }))
}

fn duplicate_vote(e: tsunagu_store::StoreError) -> ApiError {
    match e {
        tsunagu_store::StoreError::Duplicate => {
            ApiError::Conflict("your member has already approved this".into())
        }
        other => other.into(),
    }
}

/// Rejects an application (one committee decision suffices).
#[utoipa::path(post, path = "/api/v1/applications/{id}/reject", tag = "members", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = Reason,
    responses((status = 200, body = Decision), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn reject_application(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
    ApiJson(r): ApiJson<Reason>,
) -> ApiResult<Json<Decision>> {
    let id = parse_member_id(&id)?;
    v.ensure_can_act()?;
    member::ensure_committee(&v.member)?;
    let reason = text::optional("reason", &r.reason, 4000)?;
    let mut tx = state.store.begin().await?;
    let mut target = load(&mut tx, id).await?;
    member::ensure_pending(&target)?;
    target.status = MemberStatus::Rejected;
    tx.update_member(&target).await?;
    tx.audit(&audit_by(
        Some(&v),
        "member.reject",
        "member",
        &id.to_string(),
        json!({ "reason": reason }),
    ))
    .await?;
    tx.commit().await?;
    Ok(Json(Decision {
        status: target.status.as_str().to_owned(),
        approvals: 0,
        approvals_required: state.config.approvals_required,
    }))
}

/// Creates the first admin of an approved application with the applicant's secret.
/// Public and rate limited; the secret works once.
#[utoipa::path(post, path = "/api/v1/applications/{id}/activate", tag = "members", security(()),
    params(("id" = String, Path)), request_body = ActivateRequest,
    responses((status = 201, body = Activated), (status = 404, body = Problem), (status = 409, body = Problem), (status = 429, body = Problem)))]
pub async fn activate(
    State(state): State<AppState>,
    ip: ClientIp,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ActivateRequest>,
) -> ApiResult<(StatusCode, Json<Activated>)> {
    state.limits.check(&ip)?;
    let id = parse_member_id(&id)?;
    let stored = state.store.application_secret_hash(id).await?;
    let ok = stored.is_some_and(|h| !h.is_empty() && h == hash_token(&req.applicant_secret));
    if !ok {
        return Err(ApiError::NotFound);
    }
    let login = core_user::parse_login(&req.login)?;
    core_user::check_password(&req.password)?;
    let hash = hash_password(req.password).await?;
    let mut tx = state.store.begin().await?;
    let target = load(&mut tx, id).await?;
    match target.status {
        MemberStatus::Active => {}
        MemberStatus::Applied => {
            return Err(ApiError::Conflict(
                "the application is still waiting for the steering committee".into(),
            ));
        }
        other => {
            return Err(ApiError::Conflict(format!(
                "the application was {}",
                other.as_str()
            )));
        }
    }
    let user = User {
        id: UserId::new(),
        member_id: id,
        login,
        role: UserRole::Admin,
        disabled: false,
    };
    tx.insert_user(&user, &hash).await.map_err(login_taken)?;
    tx.clear_application_secret(id).await?;
    tx.audit(&audit_by(
        None,
        "user.create",
        "user",
        &user.id.to_string(),
        json!({ "member": id, "role": user.role, "via": "activation" }),
    ))
    .await?;
    let token = issue_token(&mut tx, user.id, id, "activation", DEFAULT_TOKEN_DAYS, None).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(Activated { user, token })))
}

fn login_taken(e: tsunagu_store::StoreError) -> ApiError {
    match e {
        tsunagu_store::StoreError::Duplicate => ApiError::Conflict("this login is taken".into()),
        other => other.into(),
    }
}

/// Lists the members the caller may know of: pseudonyms and classes for everyone; real
/// names and details only for the coordinator and the secretariat (M1.7).
#[utoipa::path(get, path = "/api/v1/members", tag = "members", security(("bearer" = [])),
    responses((status = 200, body = Vec<MemberView>), (status = 401, body = Problem)))]
pub async fn list_members(
    State(state): State<AppState>,
    Auth(v): Auth,
) -> ApiResult<Json<Vec<MemberView>>> {
    let filter = if v.member.sees_real_names() {
        None
    } else {
        Some(MemberStatus::Active)
    };
    let all = state.store.members(filter).await?;
    Ok(Json(
        all.iter()
            .filter_map(|m| member::member_view(m, &v.member))
            .collect(),
    ))
}

/// One member, as the caller may see it.
#[utoipa::path(get, path = "/api/v1/members/{id}", tag = "members", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = MemberView), (status = 404, body = Problem)))]
pub async fn get_member(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<MemberView>> {
    let id = parse_member_id(&id)?;
    let m = state.store.member(id).await?.ok_or(ApiError::NotFound)?;
    member::member_view(&m, &v.member)
        .map(Json)
        .ok_or(ApiError::NotFound)
}

/// Asks the committee to change the caller's member's class.
#[utoipa::path(post, path = "/api/v1/members/{id}/class-requests", tag = "members", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = ClassRequestForm,
    responses((status = 201, body = ClassRequestInfo), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn request_class_change(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
    ApiJson(form): ApiJson<ClassRequestForm>,
) -> ApiResult<(StatusCode, Json<ClassRequestInfo>)> {
    let id = parse_member_id(&id)?;
    v.ensure_admin_of(id)?;
    let reason = text::optional("reason", &form.reason, 4000)?;
    let mut tx = state.store.begin().await?;
    let target = load(&mut tx, id).await?;
    member::ensure_class_change(&target, form.class)?;
    let r = ClassRequest {
        id: ClassRequestId::new(),
        member_id: id,
        from_class: target.class,
        to_class: form.class,
        reason,
        status: ClassRequestStatus::Pending,
        created_at: OffsetDateTime::now_utc(),
    };
    tx.insert_class_request(&r).await.map_err(|e| match e {
        tsunagu_store::StoreError::Duplicate => {
            ApiError::Conflict("the member already has an open class-change request".into())
        }
        other => other.into(),
    })?;
    tx.audit(&audit_by(
        Some(&v),
        "class.request",
        "class_request",
        &r.id.to_string(),
        json!({ "member": id, "from": r.from_class, "to": r.to_class }),
    ))
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(r.into())))
}

/// Lists class-change requests (default: pending). Committee and administration.
#[utoipa::path(get, path = "/api/v1/class-requests", tag = "members", security(("bearer" = [])),
    params(("status" = Option<String>, Query, description = "pending (default), approved, rejected")),
    responses((status = 200, body = Vec<ClassRequestInfo>), (status = 403, body = Problem)))]
pub async fn list_class_requests(
    State(state): State<AppState>,
    Auth(v): Auth,
    ApiQuery(f): ApiQuery<StatusFilter>,
) -> ApiResult<Json<Vec<ClassRequestInfo>>> {
    ensure_sees_applications(&v)?;
    let status = match f.status.as_deref() {
        None | Some("pending") => ClassRequestStatus::Pending,
        Some("approved") => ClassRequestStatus::Approved,
        Some("rejected") => ClassRequestStatus::Rejected,
        Some(s) => return Err(ApiError::BadRequest(format!("status: unknown value {s:?}"))),
    };
    let rows = state.store.class_requests(status).await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

async fn open_class_request(tx: &mut Tx, id: &str) -> ApiResult<ClassRequest> {
    let id: ClassRequestId = id.parse().map_err(|_| ApiError::NotFound)?;
    let r = tx.class_request(id).await?.ok_or(ApiError::NotFound)?;
    if r.status != ClassRequestStatus::Pending {
        return Err(ApiError::Conflict(format!(
            "the request is already {}",
            r.status.as_str()
        )));
    }
    Ok(r)
}

/// One committee member's approval of a class change; the class changes when carried.
#[utoipa::path(post, path = "/api/v1/class-requests/{id}/approve", tag = "members", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Decision), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn approve_class_request(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Decision>> {
    v.ensure_can_act()?;
    member::ensure_committee(&v.member)?;
    let need = state.config.approvals_required;
    let mut tx = state.store.begin().await?;
    let r = open_class_request(&mut tx, &id).await?;
    let mut target = load(&mut tx, r.member_id).await?;
    member::ensure_class_change(&target, r.to_class)?;
    let have = tx
        .approve("class_request", &r.id.to_string(), v.member.id, v.user.id)
        .await
        .map_err(duplicate_vote)?;
    tx.audit(&audit_by(
        Some(&v),
        "class.approve_vote",
        "class_request",
        &r.id.to_string(),
        json!({ "approvals": have, "required": need }),
    ))
    .await?;
    let mut status = ClassRequestStatus::Pending;
    if member::tally(have, need) == Approval::Carried {
        status = ClassRequestStatus::Approved;
        target.class = r.to_class;
        tx.update_member(&target).await?;
        tx.decide_class_request(r.id, status).await?;
        tx.audit(&audit_by(
            Some(&v),
            "member.class_change",
            "member",
            &target.id.to_string(),
            json!({ "from": r.from_class, "to": r.to_class }),
        ))
        .await?;
    }
    tx.commit().await?;
    Ok(Json(Decision {
        status: status.as_str().to_owned(),
        approvals: have,
        approvals_required: need,
    }))
}

/// Refuses a class change.
#[utoipa::path(post, path = "/api/v1/class-requests/{id}/reject", tag = "members", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = Reason,
    responses((status = 200, body = Decision), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn reject_class_request(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
    ApiJson(reason): ApiJson<Reason>,
) -> ApiResult<Json<Decision>> {
    v.ensure_can_act()?;
    member::ensure_committee(&v.member)?;
    let reason = text::optional("reason", &reason.reason, 4000)?;
    let mut tx = state.store.begin().await?;
    let r = open_class_request(&mut tx, &id).await?;
    tx.decide_class_request(r.id, ClassRequestStatus::Rejected)
        .await?;
    tx.audit(&audit_by(
        Some(&v),
        "class.reject",
        "class_request",
        &r.id.to_string(),
        json!({ "reason": reason }),
    ))
    .await?;
    tx.commit().await?;
    Ok(Json(Decision {
        status: ClassRequestStatus::Rejected.as_str().to_owned(),
        approvals: 0,
        approvals_required: state.config.approvals_required,
    }))
}

/// Grants or withdraws a foreign-affiliated member's special approval for the task force.
#[utoipa::path(post, path = "/api/v1/members/{id}/task-force-approval", tag = "members", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = TaskForceApproval,
    responses((status = 200, body = MemberView), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn task_force_approval(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<TaskForceApproval>,
) -> ApiResult<Json<MemberView>> {
    let id = parse_member_id(&id)?;
    v.ensure_can_act()?;
    member::ensure_committee(&v.member)?;
    let mut tx = state.store.begin().await?;
    let mut target = load(&mut tx, id).await?;
    member::ensure_can_leave(&target)?;
    if !target.foreign_affiliated {
        return Err(ApiError::Conflict(
            "only foreign-affiliated members need special approval for the task force".into(),
        ));
    }
    target.tf_special_approval = req.approved;
    tx.update_member(&target).await?;
    tx.audit(&audit_by(
        Some(&v),
        "member.tf_approval",
        "member",
        &id.to_string(),
        json!({ "approved": req.approved }),
    ))
    .await?;
    tx.commit().await?;
    member::member_view(&target, &v.member)
        .map(Json)
        .ok_or(ApiError::NotFound)
}

/// The committee's decision to move a member out of the task force, or back in.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskForceSuspension {
    /// Out of the task force (true) or back in (false).
    pub suspended: bool,
    /// Why (recorded in the audit log).
    #[serde(default)]
    pub reason: String,
}

/// Moves a member out of the task force (a free rider by the ledger, M1.4), or back.
#[utoipa::path(post, path = "/api/v1/members/{id}/task-force-suspension", tag = "members", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = TaskForceSuspension,
    responses((status = 200, body = MemberView), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn task_force_suspension(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<TaskForceSuspension>,
) -> ApiResult<Json<MemberView>> {
    let id = parse_member_id(&id)?;
    v.ensure_can_act()?;
    member::ensure_committee(&v.member)?;
    let reason = text::optional("reason", &req.reason, 4000)?;
    let mut tx = state.store.begin().await?;
    let mut target = load(&mut tx, id).await?;
    member::ensure_can_leave(&target)?;
    if target.class == MemberClass::General {
        return Err(ApiError::Conflict(
            "general members are not in the task force".into(),
        ));
    }
    target.tf_suspended = req.suspended;
    tx.update_member(&target).await?;
    tx.audit(&audit_by(
        Some(&v),
        "member.tf_suspension",
        "member",
        &id.to_string(),
        json!({ "suspended": req.suspended, "reason": reason }),
    ))
    .await?;
    tx.commit().await?;
    member::member_view(&target, &v.member)
        .map(Json)
        .ok_or(ApiError::NotFound)
}

async fn depart(
    state: &AppState,
    v: &Viewer,
    id: MemberId,
    status: MemberStatus,
    reason: &str,
) -> ApiResult<Departure> {
    let reason = text::optional("reason", reason, 4000)?;
    let mut tx = state.store.begin().await?;
    let mut target = load(&mut tx, id).await?;
    member::ensure_can_leave(&target)?;
    target.status = status;
    tx.update_member(&target).await?;
    let revoked = tx.revoke_member_tokens(id).await?;
    let sessions = tx.delete_member_portal_sessions(id).await?;
    let action = if status == MemberStatus::Expelled {
        "member.expel"
    } else {
        "member.withdraw"
    };
    tx.audit(&audit_by(
        Some(v),
        action,
        "member",
        &id.to_string(),
        json!({ "reason": reason, "tokens_revoked": revoked, "portal_sessions_ended": sessions }),
    ))
    .await?;
    tx.commit().await?;
    Ok(Departure {
        status,
        tokens_revoked: revoked,
    })
}

/// Expels a member by committee decision; every token of its users stops working.
#[utoipa::path(post, path = "/api/v1/members/{id}/expel", tag = "members", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = Reason,
    responses((status = 200, body = Departure), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn expel(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
    ApiJson(r): ApiJson<Reason>,
) -> ApiResult<Json<Departure>> {
    let id = parse_member_id(&id)?;
    v.ensure_can_act()?;
    member::ensure_committee(&v.member)?;
    if id == v.member.id {
        return Err(ApiError::Conflict(
            "a member cannot expel itself; withdraw instead".into(),
        ));
    }
    Ok(Json(
        depart(&state, &v, id, MemberStatus::Expelled, &r.reason).await?,
    ))
}

/// Withdraws the caller's member from the council at once (M1.2): every token of its
/// users, including the one used for this request, stops working.
#[utoipa::path(post, path = "/api/v1/members/{id}/withdraw", tag = "members", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = Reason,
    responses((status = 200, body = Departure), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn withdraw(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
    ApiJson(r): ApiJson<Reason>,
) -> ApiResult<Json<Departure>> {
    let id = parse_member_id(&id)?;
    v.ensure_admin_of(id)?;
    Ok(Json(
        depart(&state, &v, id, MemberStatus::Withdrawn, &r.reason).await?,
    ))
}

/// Sets a member's special roles and regulated sectors. Coordinator or secretariat.
#[utoipa::path(put, path = "/api/v1/members/{id}/roles", tag = "members", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = RolesUpdate,
    responses((status = 200, body = MemberView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn set_roles(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<RolesUpdate>,
) -> ApiResult<Json<MemberView>> {
    let id = parse_member_id(&id)?;
    v.ensure_can_act()?;
    member::ensure_administration(&v.member)?;
    let mut tx = state.store.begin().await?;
    let mut target = load(&mut tx, id).await?;
    let before = json!({ "roles": target.roles, "regulator_of": target.regulator_of });
    target.roles = req.roles.into_iter().collect();
    target.regulator_of = req.regulator_of.into_iter().collect();
    if !target.regulator_of.is_empty() && !target.has_role(SpecialRole::Regulator) {
        return Err(ApiError::Unprocessable(
            "regulator_of: only a member with the regulator role regulates sectors".into(),
        ));
    }
    tx.update_member(&target).await?;
    tx.audit(&audit_by(Some(&v), "member.roles", "member", &id.to_string(), json!({ "before": before, "after": { "roles": target.roles, "regulator_of": target.regulator_of } })))
        .await?;
    tx.commit().await?;
    member::member_view(&target, &v.member)
        .map(Json)
        .ok_or(ApiError::NotFound)
}

/// Changes the caller's member's own settings (the confidential-information opt-out).
#[utoipa::path(put, path = "/api/v1/members/{id}/settings", tag = "members", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = SettingsUpdate,
    responses((status = 200, body = MemberView), (status = 403, body = Problem)))]
pub async fn set_settings(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<SettingsUpdate>,
) -> ApiResult<Json<MemberView>> {
    let id = parse_member_id(&id)?;
    v.ensure_admin_of(id)?;
    let mut tx = state.store.begin().await?;
    let mut target = load(&mut tx, id).await?;
    target.confidential_opt_out = req.confidential_opt_out;
    tx.update_member(&target).await?;
    tx.audit(&audit_by(
        Some(&v),
        "member.settings",
        "member",
        &id.to_string(),
        json!({ "confidential_opt_out": req.confidential_opt_out }),
    ))
    .await?;
    tx.commit().await?;
    member::member_view(&target, &v.member)
        .map(Json)
        .ok_or(ApiError::NotFound)
}

fn ensure_manages_users(v: &Viewer, of: MemberId) -> ApiResult<()> {
    if v.ensure_admin_of(of).is_ok()
        || (v.user.role == UserRole::Admin && member::ensure_administration(&v.member).is_ok())
    {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "only the member's admins or the secretariat manage its users".into(),
        ))
    }
}

/// Lists a member's users. Its admins, the coordinator and the secretariat.
#[utoipa::path(get, path = "/api/v1/members/{id}/users", tag = "members", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Vec<User>), (status = 403, body = Problem)))]
pub async fn list_users(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<User>>> {
    let id = parse_member_id(&id)?;
    ensure_manages_users(&v, id)?;
    Ok(Json(state.store.users_of(id).await?))
}

/// Adds a user to a member.
#[utoipa::path(post, path = "/api/v1/members/{id}/users", tag = "members", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = NewUser,
    responses((status = 201, body = User), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_user(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<NewUser>,
) -> ApiResult<(StatusCode, Json<User>)> {
    let id = parse_member_id(&id)?;
    ensure_manages_users(&v, id)?;
    let login = core_user::parse_login(&req.login)?;
    core_user::check_password(&req.password)?;
    let hash = hash_password(req.password).await?;
    let mut tx = state.store.begin().await?;
    let target = load(&mut tx, id).await?;
    member::ensure_can_leave(&target)?;
    let user = User {
        id: UserId::new(),
        member_id: id,
        login,
        role: req.role,
        disabled: false,
    };
    tx.insert_user(&user, &hash).await.map_err(login_taken)?;
    tx.audit(&audit_by(
        Some(&v),
        "user.create",
        "user",
        &user.id.to_string(),
        json!({ "member": id, "role": user.role }),
    ))
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(user)))
}

/// Disables a user and revokes its tokens.
#[utoipa::path(post, path = "/api/v1/users/{id}/disable", tag = "members", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = User), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn disable_user(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<User>> {
    let id: UserId = id.parse().map_err(|_| ApiError::NotFound)?;
    let mut user = state.store.user(id).await?.ok_or(ApiError::NotFound)?;
    ensure_manages_users(&v, user.member_id).map_err(|_| ApiError::NotFound)?;
    let mut tx = state.store.begin().await?;
    let revoked = tx.disable_user(id).await?;
    let sessions = tx.delete_user_portal_sessions(id).await?;
    tx.audit(&audit_by(
        Some(&v),
        "user.disable",
        "user",
        &id.to_string(),
        json!({ "tokens_revoked": revoked, "portal_sessions_ended": sessions }),
    ))
    .await?;
    tx.commit().await?;
    user.disabled = true;
    Ok(Json(user))
}

/// Removes a user's second factor when its authenticator is lost (the member's admins,
/// or an admin of the secretariat or the coordinator): the user's portal sessions end,
/// it logs in with its password alone and enrols a new authenticator. Audited. A user
/// who enrolled none gets 409.
#[utoipa::path(post, path = "/api/v1/users/{id}/second-factor/reset", tag = "members", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = User), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn reset_second_factor(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<User>> {
    let id: UserId = id.parse().map_err(|_| ApiError::NotFound)?;
    let user = state.store.user(id).await?.ok_or(ApiError::NotFound)?;
    ensure_manages_users(&v, user.member_id).map_err(|_| ApiError::NotFound)?;
    let mut tx = state.store.begin().await?;
    if !tx.reset_totp(id).await? {
        return Err(ApiError::Conflict(
            "the user has no second factor enrolled".into(),
        ));
    }
    let sessions = tx.delete_user_portal_sessions(id).await?;
    tx.audit(&audit_by(
        Some(&v),
        "user.second_factor_reset",
        "user",
        &id.to_string(),
        json!({ "portal_sessions_ended": sessions }),
    ))
    .await?;
    tx.commit().await?;
    Ok(Json(user))
}

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/applications", post(apply).get(list_applications))
        .route(
            "/api/v1/applications/{id}/approve",
            post(approve_application),
        )
        .route("/api/v1/applications/{id}/reject", post(reject_application))
        .route("/api/v1/applications/{id}/activate", post(activate))
        .route("/api/v1/members", get(list_members))
        .route("/api/v1/members/{id}", get(get_member))
        .route(
            "/api/v1/members/{id}/class-requests",
            post(request_class_change),
        )
        .route("/api/v1/class-requests", get(list_class_requests))
        .route(
            "/api/v1/class-requests/{id}/approve",
            post(approve_class_request),
        )
        .route(
            "/api/v1/class-requests/{id}/reject",
            post(reject_class_request),
        )
        .route(
            "/api/v1/members/{id}/task-force-approval",
            post(task_force_approval),
        )
        .route(
            "/api/v1/members/{id}/task-force-suspension",
            post(task_force_suspension),
        )
        .route("/api/v1/members/{id}/expel", post(expel))
        .route("/api/v1/members/{id}/withdraw", post(withdraw))
        .route("/api/v1/members/{id}/roles", put(set_roles))
        .route("/api/v1/members/{id}/settings", put(set_settings))
        .route(
            "/api/v1/members/{id}/users",
            get(list_users).post(create_user),
        )
        .route("/api/v1/users/{id}/disable", post(disable_user))
        .route(
            "/api/v1/users/{id}/second-factor/reset",
            post(reset_second_factor),
        )
}
