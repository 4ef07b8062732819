//! The council's governance over HTTP (M1.5, M1.6; seed 004).
//!
//! - Declarations of a large-scale cyber attack: proposed by one steering-committee
//!   member, in force once a second, different one confirms, ended early by the
//!   committee.
//! - Requests for information from the coordinator to named members, classes or
//!   sectors: binding only while a declaration is in force, voluntary (and marked so)
//!   otherwise; members answer, the coordinator tracks who has and who has not.
//! - General-assembly votes opened by the secretariat: one vote per member through
//!   one of its admins, secret, results after closing, and a bulletin board of receipt
//!   hashes on which each member finds its own vote.

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;
use tsunagu_core::DomainError;
use tsunagu_core::governance::{
    self, AnswerForm, DECLARATION_APPROVALS, Declaration, DeclarationForm, DeclarationStatus, Rfi,
    RfiAnswer, RfiForm, RfiTarget, Vote, VoteForm, rfc3339,
};
use tsunagu_core::ids::{ItemId, MemberId};
use tsunagu_core::member::{self, Member, MemberStatus, SpecialRole};
use tsunagu_core::user::{UserRole, Viewer};
use tsunagu_core::view::view;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::random_bytes;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiJson, Auth};
use crate::{AppState, audit_by};

fn parse_uuid(s: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(s).map_err(|_| ApiError::NotFound)
}

/// Committee members and the council's administration see proposals and who decided.
fn governance_insider(m: &Member) -> bool {
    member::ensure_committee(m).is_ok() || m.sees_real_names()
}

/// A declaration as shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeclarationView {
    /// Identifier.
    #[schema(value_type = String, format = "uuid")]
    pub id: Uuid,
    /// Why the committee declared it.
    pub reason: String,
    /// When it takes effect.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub starts_at: OffsetDateTime,
    /// When it ends (none: until the committee ends it).
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub ends_at: Option<OffsetDateTime>,
    /// The committee ended it before its planned end.
    pub ended_early: bool,
    /// Where it stands now.
    pub status: DeclarationStatus,
    /// Committee members that decided it so far (the proposer, then the confirmer).
    pub approvals: usize,
    /// Committee members needed.
    pub approvals_required: usize,
    /// The proposing member (committee and administration only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proposed_by: Option<MemberId>,
    /// The confirming member (committee and administration only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirmed_by: Option<MemberId>,
    /// When it was proposed.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

fn declaration_view(d: &Declaration, v: &Viewer, now: OffsetDateTime) -> DeclarationView {
    let insider = governance_insider(&v.member);
    DeclarationView {
        id: d.id,
        reason: d.terms.reason.clone(),
        starts_at: d.terms.starts_at,
        ends_at: d.terms.ends_at,
        ended_early: d.ended_early,
        status: d.status(now),
        approvals: 1 + usize::from(d.confirmed_by.is_some()),
        approvals_required: DECLARATION_APPROVALS,
        proposed_by: insider.then_some(d.proposed_by),
        confirmed_by: d.confirmed_by.filter(|_| insider),
        created_at: d.created_at,
    }
}

/// Whether `v` may know of `d`: confirmed declarations concern every member;
/// proposals only the committee and the administration.
fn sees_declaration(d: &Declaration, v: &Viewer) -> bool {
    d.confirmed_by.is_some() || governance_insider(&v.member)
}

fn ensure_committee_actor(v: &Viewer) -> ApiResult<()> {
    v.ensure_can_act()?;
    member::ensure_committee(&v.member)?;
    Ok(())
}

/// Proposes a declaration of a large-scale cyber attack (a committee member); it is in
/// force once a second, different committee member confirms it.
#[utoipa::path(post, path = "/api/v1/declarations", tag = "members", request_body = DeclarationForm,
    security(("bearer" = [])),
    responses((status = 201, body = DeclarationView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn propose_declaration(
    State(state): State<AppState>,
    Auth(v): Auth,
    ApiJson(form): ApiJson<DeclarationForm>,
) -> ApiResult<(StatusCode, Json<DeclarationView>)> {
    ensure_committee_actor(&v)?;
    let now = OffsetDateTime::now_utc();
    let terms = form.parse(now)?;
    let d = Declaration {
        id: Uuid::now_v7(),
        terms,
        ended_early: false,
        proposed_by: v.member.id,
        confirmed_by: None,
        confirmed_at: None,
        created_at: now,
    };
    let mut tx = state.store.begin().await?;
    tx.put_declaration(&d).await?;
    tx.audit(&audit_by(
        Some(&v),
        "declaration.propose",
        "declaration",
        &d.id.to_string(),
        json!({ "starts_at": rfc3339(d.terms.starts_at), "ends_at": d.terms.ends_at.map(rfc3339) }),
    ))
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(declaration_view(&d, &v, now))))
}

/// Confirms a proposed declaration: a committee member other than the proposer. From
/// its start, binding requests for information may be sent.
#[utoipa::path(post, path = "/api/v1/declarations/{id}/confirm", tag = "members",
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = DeclarationView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)))]
pub async fn confirm_declaration(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<DeclarationView>> {
    let member = v.member.id;
    change_declaration(&state, &v, &id, "declaration.confirm", |d, now| {
        d.confirm(member, now)?;
        Ok(json!({ "proposed_by": d.proposed_by }))
    })
    .await
}

/// Ends a declaration now, before its planned end (a committee member): requests sent
/// from now on are voluntary, and answers to its binding requests are marked late.
#[utoipa::path(post, path = "/api/v1/declarations/{id}/end", tag = "members",
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = DeclarationView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)))]
pub async fn end_declaration(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<DeclarationView>> {
    change_declaration(&state, &v, &id, "declaration.end", |d, now| {
        d.end_early(now)?;
        Ok(json!({}))
    })
    .await
}

/// A committee member's change to a declaration: loaded, changed by `change` (which
/// returns the audit details), stored and audited in one transaction.
async fn change_declaration(
    state: &AppState,
    v: &Viewer,
    id: &str,
    action: &str,
    change: impl FnOnce(&mut Declaration, OffsetDateTime) -> Result<Value, DomainError>,
) -> ApiResult<Json<DeclarationView>> {
    let id = parse_uuid(id)?;
    ensure_committee_actor(v)?;
    let now = OffsetDateTime::now_utc();
    let mut tx = state.store.begin().await?;
    let mut d = tx.declaration(id).await?.ok_or(ApiError::NotFound)?;
    let details = change(&mut d, now)?;
    tx.put_declaration(&d).await?;
    tx.audit(&audit_by(
        Some(v),
        action,
        "declaration",
        &id.to_string(),
        details,
    ))
    .await?;
    tx.commit().await?;
    Ok(Json(declaration_view(&d, v, now)))
}

/// Declarations, newest first: confirmed ones for every member, proposals too for the
/// committee and the administration.
#[utoipa::path(get, path = "/api/v1/declarations", tag = "members", security(("bearer" = [])),
    responses((status = 200, body = Vec<DeclarationView>)))]
pub async fn list_declarations(
    State(state): State<AppState>,
    Auth(v): Auth,
) -> ApiResult<Json<Vec<DeclarationView>>> {
    let now = OffsetDateTime::now_utc();
    Ok(Json(
        state
            .store
            .declarations()
            .await?
            .iter()
            .filter(|d| sees_declaration(d, &v))
            .map(|d| declaration_view(d, &v, now))
            .collect(),
    ))
}

/// One declaration (a proposal is 404 outside the committee and the administration).
#[utoipa::path(get, path = "/api/v1/declarations/{id}", tag = "members",
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = DeclarationView), (status = 404, body = Problem)))]
pub async fn get_declaration(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<DeclarationView>> {
    let d = state
        .store
        .declaration(parse_uuid(&id)?)
        .await?
        .filter(|d| sees_declaration(d, &v))
        .ok_or(ApiError::NotFound)?;
    Ok(Json(declaration_view(&d, &v, OffsetDateTime::now_utc())))
}

/// An answer as shown to its member and the coordinator.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnswerView {
    /// Identifier.
    #[schema(value_type = String, format = "uuid")]
    pub id: Uuid,
    /// The answer.
    pub text: String,
    /// Linked shared items.
    pub items: Vec<ItemId>,
    /// A binding request answered after its declaration ended.
    pub late: bool,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

impl From<RfiAnswer> for AnswerView {
    fn from(a: RfiAnswer) -> Self {
        Self {
            id: a.id,
            text: a.text,
            items: a.items,
            late: a.late,
            created_at: a.created_at,
        }
    }
}

/// A request for information as shown: to the coordinator with its target and
/// reach, to an addressee with its own answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct RfiView {
    /// Identifier.
    #[schema(value_type = String, format = "uuid")]
    pub id: Uuid,
    /// Title.
    pub title: String,
    /// What is asked.
    pub question: String,
    /// Binding (sent under a declaration in force) or voluntary.
    pub binding: bool,
    /// The declaration that made it binding.
    #[schema(value_type = Option<String>, format = "uuid")]
    pub declaration_id: Option<Uuid>,
    /// Why that declaration was made.
    pub declaration_reason: Option<String>,
    /// Who was asked, as named (the coordinator only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<RfiTarget>,
    /// How many members were asked (the coordinator only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipients: Option<usize>,
    /// The caller's member's answers (addressees).
    pub my_answers: Vec<AnswerView>,
    /// Sent.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

fn is_coordinator(v: &Viewer) -> bool {
    v.member.has_role(SpecialRole::Coordinator)
}

async fn rfi_view(state: &AppState, v: &Viewer, rfi: Rfi) -> ApiResult<RfiView> {
    let coordinator = is_coordinator(v);
    let declaration_reason = match rfi.declaration {
        Some(d) => state.store.declaration(d).await?.map(|d| d.terms.reason),
        None => None,
    };
    let recipients = if coordinator {
        Some(state.store.rfi_recipients(rfi.id).await?.len())
    } else {
        None
    };
    let my_answers = state
        .store
        .rfi_answers(rfi.id, Some(v.member.id))
        .await?
        .into_iter()
        .map(AnswerView::from)
        .collect();
    Ok(RfiView {
        id: rfi.id,
        binding: rfi.binding(),
        title: rfi.title,
        question: rfi.question,
        declaration_id: rfi.declaration,
        declaration_reason,
        target: coordinator.then_some(rfi.target),
        recipients,
        my_answers,
        created_at: rfi.created_at,
    })
}

/// Sends a request as the coordinator `v`: resolved to the active members it names
/// (not the coordinator itself); binding only when asked for and a declaration is in
/// force.
///
/// # Errors
/// 403 for others, 422 for bad input, 409 for a binding request without a declaration.
pub(crate) async fn send_rfi(state: &AppState, v: &Viewer, form: RfiForm) -> ApiResult<RfiView> {
    v.ensure_can_act()?;
    if !is_coordinator(v) {
        return Err(ApiError::Forbidden(
            "only the coordinator sends requests for information".into(),
        ));
    }
    let content = form.parse()?;
    let members = state.store.members(Some(MemberStatus::Active)).await?;
    if let Some(missing) = content
        .target
        .members
        .iter()
        .find(|id| !members.iter().any(|m| m.id == **id))
    {
        return Err(ApiError::Unprocessable(format!(
            "target.members: {missing} is not an active member"
        )));
    }
    let recipients: Vec<MemberId> = members
        .iter()
        .filter(|m| m.id != v.member.id && content.target.includes(m))
        .map(|m| m.id)
        .collect();
    if recipients.is_empty() {
        return Err(ApiError::Unprocessable(
            "target: reaches no active member other than the coordinator".into(),
        ));
    }
    let now = OffsetDateTime::now_utc();
    let mut tx = state.store.begin().await?;
    let declarations = tx.declarations().await?;
    let declaration = governance::binding_basis(&content, &declarations, now)?;
    let rfi = Rfi {
        id: Uuid::now_v7(),
        title: content.title,
        question: content.question,
        target: content.target,
        declaration,
        sent_by: v.member.id,
        created_at: now,
    };
    tx.insert_rfi(&rfi, &recipients).await?;
    tx.audit(&audit_by(
        Some(v),
        "rfi.send",
        "rfi",
        &rfi.id.to_string(),
        json!({ "binding": rfi.binding(), "declaration": rfi.declaration, "recipients": recipients.len() }),
    ))
    .await?;
    tx.commit().await?;
    rfi_view(state, v, rfi).await
}

/// Sends a request for information (the coordinator) to members, classes or sectors:
/// binding only while a declaration is in force (`binding: true` otherwise is 409),
/// voluntary and marked `binding: false` otherwise.
#[utoipa::path(post, path = "/api/v1/rfis", tag = "members", request_body = RfiForm, security(("bearer" = [])),
    responses((status = 201, body = RfiView), (status = 403, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
pub async fn create_rfi(
    State(state): State<AppState>,
    Auth(v): Auth,
    ApiJson(form): ApiJson<RfiForm>,
) -> ApiResult<(StatusCode, Json<RfiView>)> {
    Ok((StatusCode::CREATED, Json(send_rfi(&state, &v, form).await?)))
}

/// Requests for information, newest first: all of them for the coordinator, those
/// addressed to the caller's member for everyone else.
#[utoipa::path(get, path = "/api/v1/rfis", tag = "members", security(("bearer" = [])),
    responses((status = 200, body = Vec<RfiView>)))]
pub async fn list_rfis(
    State(state): State<AppState>,
    Auth(v): Auth,
) -> ApiResult<Json<Vec<RfiView>>> {
    let rows = state
        .store
        .rfis((!is_coordinator(&v)).then_some(v.member.id))
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for rfi in rows {
        out.push(rfi_view(&state, &v, rfi).await?);
    }
    Ok(Json(out))
}

/// A request the caller may see (the coordinator, or an addressee); 404 otherwise.
async fn load_rfi(state: &AppState, v: &Viewer, id: &str) -> ApiResult<(Rfi, bool)> {
    let rfi = state
        .store
        .rfi(parse_uuid(id)?)
        .await?
        .ok_or(ApiError::NotFound)?;
    let addressee = state.store.is_rfi_recipient(rfi.id, v.member.id).await?;
    if addressee || is_coordinator(v) {
        Ok((rfi, addressee))
    } else {
        Err(ApiError::NotFound)
    }
}

/// One request (the coordinator, or a member it is addressed to; 404 for others).
#[utoipa::path(get, path = "/api/v1/rfis/{id}", tag = "members",
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = RfiView), (status = 404, body = Problem)))]
pub async fn get_rfi(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<RfiView>> {
    let (rfi, _) = load_rfi(&state, &v, &id).await?;
    Ok(Json(rfi_view(&state, &v, rfi).await?))
}

/// Records an answer of `v`'s member to the request `id`; linked items must be items
/// it may see. An answer to a binding request after its declaration ended is kept and
/// marked late.
///
/// # Errors
/// 404 when the request is not addressed to the member (403 for the coordinator),
/// 403 for read-only users, 422 for bad input.
pub(crate) async fn answer_rfi(
    state: &AppState,
    v: &Viewer,
    id: &str,
    form: AnswerForm,
) -> ApiResult<AnswerView> {
    let (rfi, addressee) = load_rfi(state, v, id).await?;
    if !addressee {
        return Err(ApiError::Forbidden(
            "only the members a request is addressed to answer it".into(),
        ));
    }
    v.ensure_can_act()?;
    let (text, items) = form.parse()?;
    for item in &items {
        let visible = match state.store.item(*item).await? {
            Some(stored) => view(&stored.item, v).is_some(),
            None => false,
        };
        if !visible {
            return Err(ApiError::Unprocessable(format!(
                "items: no item {item} that you may see"
            )));
        }
    }
    let declaration = match rfi.declaration {
        Some(d) => state.store.declaration(d).await?,
        None => None,
    };
    let now = OffsetDateTime::now_utc();
    let answer = RfiAnswer {
        id: Uuid::now_v7(),
        rfi: rfi.id,
        member: v.member.id,
        user: v.user.id,
        text,
        items,
        late: governance::answer_is_late(declaration.as_ref(), now),
        created_at: now,
    };
    let mut tx = state.store.begin().await?;
    tx.insert_rfi_answer(&answer).await?;
    tx.audit(&audit_by(
        Some(v),
        "rfi.answer",
        "rfi",
        &rfi.id.to_string(),
        json!({ "answer": answer.id, "late": answer.late, "items": answer.items.len() }),
    ))
    .await?;
    tx.commit().await?;
    Ok(answer.into())
}

/// Answers a request addressed to the caller's member: text and, optionally, shared
/// items it may see. Late answers to binding requests are accepted and marked `late`.
#[utoipa::path(post, path = "/api/v1/rfis/{id}/answers", tag = "members", request_body = AnswerForm,
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 201, body = AnswerView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
pub async fn create_answer(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
    ApiJson(form): ApiJson<AnswerForm>,
) -> ApiResult<(StatusCode, Json<AnswerView>)> {
    Ok((
        StatusCode::CREATED,
        Json(answer_rfi(&state, &v, &id, form).await?),
    ))
}

/// An addressee in the coordinator's tracking.
#[derive(Debug, Serialize, ToSchema)]
pub struct Addressee {
    /// The member.
    pub member_id: MemberId,
    /// Its real name (the coordinator sees names).
    pub name: String,
    /// Its pseudonym.
    pub pseudonym: String,
    /// Its answers, oldest first (empty: not answered).
    pub answers: Vec<AnswerView>,
}

/// Who answered a request and who has not yet.
#[derive(Debug, Serialize, ToSchema)]
pub struct Tracking {
    /// The request.
    #[schema(value_type = String, format = "uuid")]
    pub rfi_id: Uuid,
    /// Binding or voluntary.
    pub binding: bool,
    /// Members asked.
    pub recipients: usize,
    /// Those that answered, with their answers.
    pub answered: Vec<Addressee>,
    /// Those that have not answered.
    pub not_answered: Vec<Addressee>,
}

/// Who answered a request and who has not (the coordinator).
#[utoipa::path(get, path = "/api/v1/rfis/{id}/tracking", tag = "members",
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = Tracking), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn tracking(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Tracking>> {
    let (rfi, _) = load_rfi(&state, &v, &id).await?;
    if !is_coordinator(&v) {
        return Err(ApiError::Forbidden(
            "only the coordinator tracks the answers to a request".into(),
        ));
    }
    let members: BTreeMap<MemberId, Member> = state
        .store
        .members(None)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect();
    let mut answers: BTreeMap<MemberId, Vec<AnswerView>> = BTreeMap::new();
    for a in state.store.rfi_answers(rfi.id, None).await? {
        answers.entry(a.member).or_default().push(a.into());
    }
    let recipients = state.store.rfi_recipients(rfi.id).await?;
    let mut t = Tracking {
        rfi_id: rfi.id,
        binding: rfi.binding(),
        recipients: recipients.len(),
        answered: Vec::new(),
        not_answered: Vec::new(),
    };
    for id in recipients {
        let (name, pseudonym) = members
            .get(&id)
            .map(|m| (m.name.clone(), m.pseudonym.clone()))
            .unwrap_or_default();
        let given = answers.remove(&id).unwrap_or_default();
        let row = Addressee {
            member_id: id,
            name,
            pseudonym,
            answers: given,
        };
        if row.answers.is_empty() {
            t.not_answered.push(row);
        } else {
            t.answered.push(row);
        }
    }
    Ok(Json(t))
}

/// One choice's count.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChoiceCount {
    /// Its index (what a ballot names).
    pub index: u32,
    /// Its text.
    pub choice: String,
    /// Ballots counted for it.
    pub count: u64,
}

/// One ballot on the bulletin board: a receipt's hash and the choice counted for it.
/// Nothing links it to a member.
#[derive(Debug, Serialize, ToSchema)]
pub struct BoardEntry {
    /// SHA-256 (lowercase hex) of the receipt code given to the voter.
    pub receipt_hash: String,
    /// The choice counted (index).
    pub choice: u32,
}

/// A closed vote's published tally.
#[derive(Debug, Serialize, ToSchema)]
pub struct VoteResults {
    /// The vote.
    #[schema(value_type = String, format = "uuid")]
    pub vote_id: Uuid,
    /// Counts per choice, in the order of the choices.
    pub counts: Vec<ChoiceCount>,
    /// Ballots cast.
    pub ballots: u64,
    /// Members that could vote: the active members and those that voted.
    pub electorate: u64,
    /// Ballots over electorate, from 0 to 1.
    pub turnout: f64,
    /// The bulletin board, by receipt hash: every ballot counted.
    pub board: Vec<BoardEntry>,
}

/// A vote as shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct VoteView {
    /// Identifier.
    #[schema(value_type = String, format = "uuid")]
    pub id: Uuid,
    /// The question.
    pub question: String,
    /// The choices; a ballot names one by its index from 0.
    pub choices: Vec<String>,
    /// When voting closes.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub closes_at: OffsetDateTime,
    /// Voting has closed; the results are published.
    pub closed: bool,
    /// When the caller's member voted (not what it voted).
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub my_member_voted_at: Option<OffsetDateTime>,
    /// The tally, once closed (omitted before).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub results: Option<VoteResults>,
    /// When it was opened.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

async fn results_of(state: &AppState, vote: &Vote) -> ApiResult<VoteResults> {
    let board = state.store.ballots(vote.id).await?;
    let counts = governance::tally(vote.choices.len(), board.iter().map(|(_, c)| *c))
        .ok_or_else(|| ApiError::Internal(format!("vote {}: a ballot names no choice", vote.id)))?;
    let mut electorate: BTreeSet<MemberId> = state
        .store
        .members(Some(MemberStatus::Active))
        .await?
        .into_iter()
        .map(|m| m.id)
        .collect();
    electorate.extend(state.store.voters(vote.id).await?);
    let ballots = board.len() as u64;
    let electorate = electorate.len() as u64;
    Ok(VoteResults {
        vote_id: vote.id,
        counts: vote
            .choices
            .iter()
            .zip(counts)
            .zip(0_u32..)
            .map(|((choice, count), index)| ChoiceCount {
                index,
                choice: choice.clone(),
                count,
            })
            .collect(),
        ballots,
        electorate,
        turnout: governance::turnout(ballots, electorate),
        board: board
            .into_iter()
            .map(|(receipt_hash, choice)| BoardEntry {
                receipt_hash,
                choice,
            })
            .collect(),
    })
}

async fn vote_view(state: &AppState, v: &Viewer, vote: Vote) -> ApiResult<VoteView> {
    let closed = vote.closed(OffsetDateTime::now_utc());
    let results = if closed {
        Some(results_of(state, &vote).await?)
    } else {
        None
    };
    Ok(VoteView {
        id: vote.id,
        my_member_voted_at: state.store.voted_at(vote.id, v.member.id).await?,
        question: vote.question,
        choices: vote.choices,
        closes_at: vote.closes_at,
        closed,
        results,
        created_at: vote.created_at,
    })
}

/// Opens a general-assembly vote as the secretariat `v`.
///
/// # Errors
/// 403 for others, 422 for bad input.
pub(crate) async fn open_vote(state: &AppState, v: &Viewer, form: VoteForm) -> ApiResult<VoteView> {
    v.ensure_can_act()?;
    if !v.member.has_role(SpecialRole::Secretariat) {
        return Err(ApiError::Forbidden(
            "only the secretariat opens general-assembly votes".into(),
        ));
    }
    let vote = form.parse(v.member.id, OffsetDateTime::now_utc())?;
    let mut tx = state.store.begin().await?;
    tx.insert_vote(&vote).await?;
    tx.audit(&audit_by(
        Some(v),
        "vote.open",
        "vote",
        &vote.id.to_string(),
        json!({ "choices": vote.choices.len(), "closes_at": rfc3339(vote.closes_at) }),
    ))
    .await?;
    tx.commit().await?;
    vote_view(state, v, vote).await
}

/// Opens a general-assembly vote (the secretariat): a question, 2 to 20 choices, and
/// a closing time.
#[utoipa::path(post, path = "/api/v1/votes", tag = "members", request_body = VoteForm, security(("bearer" = [])),
    responses((status = 201, body = VoteView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_vote(
    State(state): State<AppState>,
    Auth(v): Auth,
    ApiJson(form): ApiJson<VoteForm>,
) -> ApiResult<(StatusCode, Json<VoteView>)> {
    Ok((
        StatusCode::CREATED,
        Json(open_vote(&state, &v, form).await?),
    ))
}

/// Votes, newest first (every member is in the general assembly).
#[utoipa::path(get, path = "/api/v1/votes", tag = "members", security(("bearer" = [])),
    responses((status = 200, body = Vec<VoteView>)))]
pub async fn list_votes(
    State(state): State<AppState>,
    Auth(v): Auth,
) -> ApiResult<Json<Vec<VoteView>>> {
    let mut out = Vec::new();
    for vote in state.store.votes().await? {
        out.push(vote_view(&state, &v, vote).await?);
    }
    Ok(Json(out))
}

async fn load_vote(state: &AppState, id: &str) -> ApiResult<Vote> {
    state
        .store
        .vote(parse_uuid(id)?)
        .await?
        .ok_or(ApiError::NotFound)
}

/// One vote, with its results once closed.
#[utoipa::path(get, path = "/api/v1/votes/{id}", tag = "members",
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = VoteView), (status = 404, body = Problem)))]
pub async fn get_vote(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<VoteView>> {
    let vote = load_vote(&state, &id).await?;
    Ok(Json(vote_view(&state, &v, vote).await?))
}

/// A ballot.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BallotForm {
    /// The index of the choice, from 0.
    pub choice: u32,
}

/// What a voter gets back: keep the receipt code to find the vote on the board.
#[derive(Debug, Serialize, ToSchema)]
pub struct BallotReceipt {
    /// The vote.
    #[schema(value_type = String, format = "uuid")]
    pub vote_id: Uuid,
    /// The choice cast (index).
    pub choice: u32,
    /// Its text.
    pub choice_text: String,
    /// A random code (128 bits, hex), shown once and not stored by the council.
    pub receipt: String,
    /// SHA-256 of the code (hex): the line to look for on the board after closing.
    pub receipt_hash: String,
    /// When the vote was recorded.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub voted_at: OffsetDateTime,
}

/// Casts the ballot of `v`'s member (through an admin user) for choice `choice`:
/// once per member, before closing. Who voted and the ballot are stored apart; the
/// audit log records that the member voted, never its choice.
///
/// # Errors
/// 403 for users who are not admins, 409 after closing or for a second vote, 422
/// for a choice that does not exist.
pub(crate) async fn cast_ballot(
    state: &AppState,
    v: &Viewer,
    id: &str,
    choice: u32,
) -> ApiResult<BallotReceipt> {
    let vote = load_vote(state, id).await?;
    if v.user.role != UserRole::Admin {
        return Err(ApiError::Forbidden(
            "a member votes through one of its admin users".into(),
        ));
    }
    let now = OffsetDateTime::now_utc();
    vote.check_ballot(choice, now)?;
    let receipt = hex::encode(random_bytes::<16>());
    let receipt_hash = governance::receipt_hash(&receipt);
    let mut tx = state.store.begin().await?;
    if let Some(at) = tx.voted_at(vote.id, v.member.id).await? {
        return Err(ApiError::Conflict(format!(
            "your member already voted at {}; a member votes once and its vote cannot be changed",
            rfc3339(at)
        )));
    }
    tx.cast_ballot(vote.id, v.member.id, v.user.id, now, &receipt_hash, choice)
        .await?;
    tx.audit(&audit_by(
        Some(v),
        "vote.cast",
        "vote",
        &vote.id.to_string(),
        json!({}),
    ))
    .await?;
    tx.commit().await?;
    let choice_text = usize::try_from(choice)
        .ok()
        .and_then(|i| vote.choices.get(i))
        .cloned()
        .unwrap_or_default();
    Ok(BallotReceipt {
        vote_id: vote.id,
        choice,
        choice_text,
        receipt,
        receipt_hash,
        voted_at: now,
    })
}

/// Casts the caller's member's vote through one of its admins; a second vote is
/// refused (409), never replaced. Keep the receipt: after closing, its SHA-256 is on
/// the board with the choice counted.
#[utoipa::path(post, path = "/api/v1/votes/{id}/ballots", tag = "members", request_body = BallotForm,
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 201, body = BallotReceipt), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_ballot(
    State(state): State<AppState>,
    Auth(v): Auth,
    Path(id): Path<String>,
    ApiJson(form): ApiJson<BallotForm>,
) -> ApiResult<(StatusCode, Json<BallotReceipt>)> {
    Ok((
        StatusCode::CREATED,
        Json(cast_ballot(&state, &v, &id, form.choice).await?),
    ))
}

/// A closed vote's tally and bulletin board; 403 before closing.
#[utoipa::path(get, path = "/api/v1/votes/{id}/results", tag = "members",
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = VoteResults), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn results(
    State(state): State<AppState>,
    Auth(_v): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<VoteResults>> {
    let vote = load_vote(&state, &id).await?;
    if !vote.closed(OffsetDateTime::now_utc()) {
        return Err(ApiError::Forbidden(format!(
            "the results are published when voting closes at {}",
            rfc3339(vote.closes_at)
        )));
    }
    Ok(Json(results_of(&state, &vote).await?))
}

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/declarations",
            get(list_declarations).post(propose_declaration),
        )
        .route("/api/v1/declarations/{id}", get(get_declaration))
        .route(
            "/api/v1/declarations/{id}/confirm",
            post(confirm_declaration),
        )
        .route("/api/v1/declarations/{id}/end", post(end_declaration))
        .route("/api/v1/rfis", get(list_rfis).post(create_rfi))
        .route("/api/v1/rfis/{id}", get(get_rfi))
        .route("/api/v1/rfis/{id}/answers", post(create_answer))
        .route("/api/v1/rfis/{id}/tracking", get(tracking))
        .route("/api/v1/votes", get(list_votes).post(create_vote))
        .route("/api/v1/votes/{id}", get(get_vote))
        .route("/api/v1/votes/{id}/ballots", post(create_ballot))
        .route("/api/v1/votes/{id}/results", get(results))
}
