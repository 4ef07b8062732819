//! `/portal/members`: member administration for the steering committee, the
//! coordinator and the secretariat, through the API's handlers: applications waiting
//! with approve and reject (the committee's votes), class-change requests likewise,
//! and the member list as the API shows it to the caller (real names only for the
//! coordinator and the secretariat).

use axum::Json;
use axum::extract::{Path, Query, State};
use maud::html;
use tsunagu_core::member::{MemberClass, MemberStatus, ensure_administration, ensure_committee};

use super::layout::{self, csrf, flash};
use super::settings::Done;
use super::{PortalResult, Posted, Session, see_other};
use crate::AppState;
use crate::api::members::{
    Reason, StatusFilter, TaskForceApproval, TaskForceSuspension, approve_application,
    approve_class_request, expel as api_expel, list_applications, list_class_requests,
    list_members, reject_application, reject_class_request, task_force_approval,
    task_force_suspension,
};
use crate::extract::{ApiJson, ApiQuery, Auth};

const HERE: &str = "/portal/members";

/// Whether the navigation shows the page: to those the API shows applications.
#[must_use]
pub fn sees_page(s: &Session) -> bool {
    ensure_committee(&s.viewer.member).is_ok() || ensure_administration(&s.viewer.member).is_ok()
}

/// `GET /portal/members`.
#[allow(clippy::too_many_lines)]
pub async fn page(
    State(state): State<AppState>,
    s: Session,
    Query(done): Query<Done>,
) -> PortalResult {
    let lang = s.lang;
    let Json(apps) = list_applications(
        State(state.clone()),
        Auth(s.viewer.clone()),
        ApiQuery(StatusFilter { status: None }),
    )
    .await?;
    let Json(requests) = list_class_requests(
        State(state.clone()),
        Auth(s.viewer.clone()),
        ApiQuery(StatusFilter { status: None }),
    )
    .await?;
    let Json(members) = list_members(State(state.clone()), Auth(s.viewer.clone())).await?;
    let pseudonym = |id: &tsunagu_core::ids::MemberId| {
        members
            .iter()
            .find(|m| m.id == *id)
            .map_or_else(|| id.to_string(), |m| m.pseudonym.clone())
    };
    let decides = ensure_committee(&s.viewer.member).is_ok() && s.viewer.ensure_can_act().is_ok();
    let sees_details = s.viewer.member.sees_real_names();
    let body = html! {
        @match done.ok.as_deref() {
            Some("approved") => (flash(lang.t("vote_recorded"))),
            Some("rejected") => (flash(lang.t("rejection_recorded"))),
            Some("expelled") => (flash(lang.t("member_expelled"))),
            Some("task_force") => (flash(lang.t("task_force_changed"))),
            _ => {}
        }
        section aria-labelledby="h-applications" {
            h2 #h-applications { (lang.t("applications")) " " span.count { (apps.len()) } }
            @if apps.is_empty() { p.muted { (lang.t("no_applications")) } }
            @for a in &apps {
                div.card.decision id={ "application-" (a.id) } {
                    p {
                        strong { (a.name) } " · " (lang.class(a.class)) " · " (lang.sector(a.sector))
                        @if a.foreign_affiliated { " · " span.badge.warn { (lang.t("foreign_affiliated")) } }
                    }
                    p { (lang.t("contact")) ": " (a.contact_name) " <" (a.contact_email) ">" }
                    p.text { (a.reason) }
                    p.muted { (lang.t("approvals")) ": " (a.approvals) " / " (a.approvals_required) }
                    @if decides {
                        div.buttons {
                            form.inline method="post" action={ (HERE) "/applications/" (a.id) "/approve" } {
                                (csrf(&s))
                                button.primary type="submit" aria-label={ (lang.t("approve")) " " (a.name) } { (lang.t("approve")) }
                            }
                            form.inline method="post" action={ (HERE) "/applications/" (a.id) "/reject" } {
                                (csrf(&s))
                                label for={ "reason-" (a.id) } { (lang.t("reject_reason")) }
                                " "
                                input id={ "reason-" (a.id) } type="text" name="reason" maxlength="1000";
                                " "
                                button.danger type="submit" aria-label={ (lang.t("reject")) " " (a.name) } { (lang.t("reject")) }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="h-class-requests" {
            h2 #h-class-requests { (lang.t("class_requests")) " " span.count { (requests.len()) } }
            @if requests.is_empty() { p.muted { (lang.t("no_class_requests")) } }
            @for r in &requests {
                div.card.decision id={ "class-request-" (r.id) } {
                    p {
                        strong { (pseudonym(&r.member_id)) } " · " (lang.class(r.from_class)) " → " (lang.class(r.to_class))
                    }
                    p.text { (r.reason) }
                    @if decides {
                        div.buttons {
                            form.inline method="post" action={ (HERE) "/class-requests/" (r.id) "/approve" } {
                                (csrf(&s))
                                button.primary type="submit" { (lang.t("approve")) }
                            }
                            form.inline method="post" action={ (HERE) "/class-requests/" (r.id) "/reject" } {
                                (csrf(&s))
                                label for={ "creason-" (r.id) } { (lang.t("reject_reason")) }
                                " "
                                input id={ "creason-" (r.id) } type="text" name="reason" maxlength="1000";
                                " "
                                button.danger type="submit" { (lang.t("reject")) }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="h-members" {
            h2 #h-members { (lang.t("member_list")) " " span.count { (members.len()) } }
            div.table-wrap { table #members {
                thead { tr {
                    th scope="col" { (lang.t("pseudonym")) }
                    th scope="col" { (lang.t("col_name")) }
                    th scope="col" { (lang.t("member_class")) }
                    th scope="col" { (lang.t("member_roles")) }
                    @if sees_details { th scope="col" { (lang.t("col_status")) } }
                    @if decides { th scope="col" { (lang.t("committee_decisions")) } }
                } }
                tbody {
                    @for m in &members {
                        tr {
                            td { (m.pseudonym) }
                            td { @if let Some(n) = &m.name { (n) } }
                            td { (lang.class(m.class)) }
                            td { @for (i, r) in m.roles.iter().enumerate() { @if i > 0 { ", " } (lang.role(*r)) } }
                            @if sees_details {
                                td { @if let Some(d) = &m.details {
                                    (lang.member_status(d.status))
                                    @if d.status == MemberStatus::Active && m.class != MemberClass::General {
                                        " · " @if d.in_task_force { (lang.t("in_task_force")) } @else { span.muted { (lang.t("not_in_task_force")) } }
                                    }
                                } }
                            }
                            @if decides {
                                td.decisions {
                                    @if m.id != s.viewer.member.id && m.details.as_ref().is_none_or(|d| d.status == MemberStatus::Active) {
                                        @if let Some(d) = &m.details {
                                            @if m.class != MemberClass::General {
                                                form.inline method="post" action={ (HERE) "/" (m.id) "/task-force" } {
                                                    (csrf(&s))
                                                    input type="hidden" name="suspended" value=(if d.tf_suspended { "0" } else { "1" });
                                                    button.secondary type="submit" aria-label={ (lang.t(if d.tf_suspended { "tf_restore" } else { "tf_suspend" })) " " (m.pseudonym) } {
                                                        (lang.t(if d.tf_suspended { "tf_restore" } else { "tf_suspend" }))
                                                    }
                                                }
                                            }
                                            @if d.foreign_affiliated {
                                                form.inline method="post" action={ (HERE) "/" (m.id) "/task-force-approval" } {
                                                    (csrf(&s))
                                                    input type="hidden" name="approved" value=(if d.tf_special_approval { "0" } else { "1" });
                                                    button.secondary type="submit" aria-label={ (lang.t(if d.tf_special_approval { "tf_unapprove" } else { "tf_approve" })) " " (m.pseudonym) } {
                                                        (lang.t(if d.tf_special_approval { "tf_unapprove" } else { "tf_approve" }))
                                                    }
                                                }
                                            }
                                        }
                                        form.inline method="post" action={ (HERE) "/" (m.id) "/expel" } {
                                            (csrf(&s))
                                            label for={ "expel-" (m.id) } { (lang.t("expel_reason")) }
                                            " "
                                            input id={ "expel-" (m.id) } type="text" name="reason" required maxlength="1000";
                                            " "
                                            button.danger type="submit" aria-label={ (lang.t("expel")) " " (m.pseudonym) } { (lang.t("expel")) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            } }
        }
    };
    Ok(layout::page(&s, HERE, lang.t("members_title"), body))
}

/// `POST /portal/members/applications/{id}/approve`: the committee's vote.
pub async fn app_approve(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted(s, _): Posted,
) -> PortalResult {
    let Json(_) = approve_application(State(state), Auth(s.viewer.clone()), Path(id)).await?;
    Ok(see_other("/portal/members?ok=approved"))
}

/// `POST /portal/members/applications/{id}/reject`.
pub async fn app_reject(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted(s, f): Posted,
) -> PortalResult {
    let reason = Reason {
        reason: f.text("reason").to_owned(),
    };
    let Json(_) = reject_application(
        State(state),
        Auth(s.viewer.clone()),
        Path(id),
        ApiJson(reason),
    )
    .await?;
    Ok(see_other("/portal/members?ok=rejected"))
}

/// `POST /portal/members/class-requests/{id}/approve`: the committee's vote.
pub async fn class_approve(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted(s, _): Posted,
) -> PortalResult {
    let Json(_) = approve_class_request(State(state), Auth(s.viewer.clone()), Path(id)).await?;
    Ok(see_other("/portal/members?ok=approved"))
}

/// `POST /portal/members/class-requests/{id}/reject`.
pub async fn class_reject(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted(s, f): Posted,
) -> PortalResult {
    let reason = Reason {
        reason: f.text("reason").to_owned(),
    };
    let Json(_) = reject_class_request(
        State(state),
        Auth(s.viewer.clone()),
        Path(id),
        ApiJson(reason),
    )
    .await?;
    Ok(see_other("/portal/members?ok=rejected"))
}

/// `POST /portal/members/{id}/expel`: the committee's decision, with its reason; every
/// session and token of the member's users ends.
pub async fn expel(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted(s, f): Posted,
) -> PortalResult {
    let reason = Reason {
        reason: f.text("reason").to_owned(),
    };
    let Json(_) = api_expel(
        State(state),
        Auth(s.viewer.clone()),
        Path(id),
        ApiJson(reason),
    )
    .await?;
    Ok(see_other("/portal/members?ok=expelled"))
}

/// `POST /portal/members/{id}/task-force`: the committee moves a member out of the
/// task force (a free rider by the ledger) or back in.
pub async fn task_force(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted(s, f): Posted,
) -> PortalResult {
    let req = TaskForceSuspension {
        suspended: f.text("suspended") == "1",
        reason: f.text("reason").to_owned(),
    };
    let Json(_) =
        task_force_suspension(State(state), Auth(s.viewer.clone()), Path(id), ApiJson(req)).await?;
    Ok(see_other("/portal/members?ok=task_force"))
}

/// `POST /portal/members/{id}/task-force-approval`: the committee's special approval of
/// a foreign-affiliated member for the task force, granted or withdrawn.
pub async fn task_force_approve(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted(s, f): Posted,
) -> PortalResult {
    let req = TaskForceApproval {
        approved: f.text("approved") == "1",
    };
    let Json(_) =
        task_force_approval(State(state), Auth(s.viewer.clone()), Path(id), ApiJson(req)).await?;
    Ok(see_other("/portal/members?ok=task_force"))
}
