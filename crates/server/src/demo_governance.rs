//! The demo council's governance: a past declaration of a large-scale cyber attack
//! with the binding request sent under it (answered by some operators, one of them
//! late), a voluntary request sent since, and a general-assembly vote open for
//! another week with a few ballots cast.

use serde_json::json;
use time::{Duration, OffsetDateTime};
use tsunagu_core::governance::{
    AnswerForm, Declaration, DeclarationTerms, Rfi, RfiAnswer, RfiForm, RfiTarget, VoteForm,
    rfc3339,
};
use tsunagu_core::ids::{MemberId, UserId};
use tsunagu_core::member::{Member, MemberClass, Sector, SpecialRole};
use tsunagu_core::user::{UserRole, Viewer};
use tsunagu_store::Store;
use uuid::Uuid;

use crate::api::governance::{answer_rfi, cast_ballot, open_vote, send_rfi};
use crate::error::{ApiError, ApiResult};
use crate::{AppState, Config, audit_by};

/// The user through which the demo acts for `member`: an admin when `admin`, else the
/// member's sharing user.
async fn acting(
    store: &Store,
    member: &Member,
    sharers: &[(MemberId, UserId)],
    admin: bool,
) -> ApiResult<Viewer> {
    let user = if admin {
        store
            .users_of(member.id)
            .await?
            .into_iter()
            .find(|u| u.role == UserRole::Admin && !u.disabled)
    } else {
        match sharers.iter().find(|(m, _)| *m == member.id) {
            Some((_, u)) => store.user(*u).await?,
            None => None,
        }
    }
    .ok_or_else(|| ApiError::Internal(format!("{} has no user to act through", member.name)))?;
    Ok(Viewer::uncleared(user, member.clone()))
}

fn with_role(founded: &[Member], role: SpecialRole) -> ApiResult<&Member> {
    founded
        .iter()
        .find(|m| m.has_role(role))
        .ok_or_else(|| ApiError::Internal(format!("the demo has no {}", role.as_str())))
}

/// Adds the demo's governance content to a freshly populated council.
///
/// # Errors
/// On database failure, or when the council lacks a coordinator or secretariat.
pub async fn populate(
    store: &Store,
    founded: &[Member],
    sharers: &[(MemberId, UserId)],
) -> ApiResult<()> {
    let coordinator = with_role(founded, SpecialRole::Coordinator)?;
    let secretariat = with_role(founded, SpecialRole::Secretariat)?;
    let coordinator_v = acting(store, coordinator, sharers, false).await?;
    let secretariat_v = acting(store, secretariat, sharers, false).await?;
    past_declaration(store, founded, sharers, &secretariat_v, &coordinator_v).await?;
    let state = AppState::new(store.clone(), Config::default());
    voluntary_request(&state, founded, sharers, &coordinator_v).await?;
    open_assembly_vote(&state, founded, &secretariat_v).await?;
    Ok(())
}

/// A declaration made 45 days ago (proposed by the secretariat's member, confirmed by
/// the coordinator's, both on the committee) and ended early after a week; the
/// binding request the coordinator sent under it to the electricity and gas sectors,
/// with answers from some operators, one after the declaration had ended.
async fn past_declaration(
    store: &Store,
    founded: &[Member],
    sharers: &[(MemberId, UserId)],
    proposer: &Viewer,
    confirmer: &Viewer,
) -> ApiResult<()> {
    let now = OffsetDateTime::now_utc();
    let start = now - Duration::days(45);
    let d = Declaration {
        id: Uuid::now_v7(),
        terms: DeclarationTerms {
            reason: "Large-scale DDoS and wiper campaign against electricity and gas operators' control networks / 電力・ガス事業者の制御系ネットワークを狙った大規模DDoS・ワイパー攻撃".into(),
            starts_at: start,
            ends_at: Some(start + Duration::days(7)),
        },
        ended_early: true,
        proposed_by: proposer.member.id,
        confirmed_by: Some(confirmer.member.id),
        confirmed_at: Some(start),
        created_at: start - Duration::hours(2),
    };
    let target = RfiTarget {
        sectors: [Sector::Electricity, Sector::Gas].into(),
        ..RfiTarget::default()
    };
    let recipients: Vec<&Member> = founded
        .iter()
        .filter(|m| m.id != confirmer.member.id && target.includes(m))
        .collect();
    let rfi = Rfi {
        id: Uuid::now_v7(),
        title: "Indicators of the control-network campaign / 制御系を狙う攻撃の痕跡".into(),
        question: "Under the committee's declaration, report within 48 hours: connections from the listed addresses to your OT gateways, and any wiper samples found. / 委員会の宣言に基づき、48時間以内に報告してください。".into(),
        target,
        declaration: Some(d.id),
        sent_by: confirmer.member.id,
        created_at: start + Duration::hours(3),
    };
    let mut tx = store.begin().await?;
    tx.put_declaration(&d).await?;
    for (action, actor) in [
        ("declaration.propose", proposer),
        ("declaration.confirm", confirmer),
    ] {
        tx.audit(&audit_by(
            Some(actor),
            action,
            "declaration",
            &d.id.to_string(),
            json!({ "starts_at": rfc3339(d.terms.starts_at), "demo": true }),
        ))
        .await?;
    }
    let ids: Vec<MemberId> = recipients.iter().map(|m| m.id).collect();
    tx.insert_rfi(&rfi, &ids).await?;
    tx.audit(&audit_by(
        Some(confirmer),
        "rfi.send",
        "rfi",
        &rfi.id.to_string(),
        json!({ "binding": true, "declaration": d.id, "recipients": ids.len(), "demo": true }),
    ))
    .await?;
    let answers = [
        (
            Duration::days(1),
            false,
            "Seen: 14 connection attempts from 198.51.100.23 to our OT gateway on day 1; blocked. / 1日目に14件の接続試行を確認、遮断済み。",
        ),
        (
            Duration::days(2),
            false,
            "Not seen on our control network; our IT perimeter logged two scans. / 制御系では未確認、IT境界で2件のスキャン。",
        ),
        (
            Duration::days(3),
            false,
            "Wiper sample found on one engineering workstation, isolated; hash shared with the coordinator. / 保守端末1台でワイパーを検出し隔離。",
        ),
        (
            Duration::days(9),
            true,
            "Late report: a second scan wave after the declaration ended; nothing reached the control network. / 宣言終了後の追加報告。",
        ),
    ];
    for (m, (after, late, text)) in recipients.iter().zip(answers) {
        let v = acting(store, m, sharers, false).await?;
        let a = RfiAnswer {
            id: Uuid::now_v7(),
            rfi: rfi.id,
            member: m.id,
            user: v.user.id,
            text: text.into(),
            items: Vec::new(),
            late,
            created_at: rfi.created_at + after,
        };
        tx.insert_rfi_answer(&a).await?;
        tx.audit(&audit_by(
            Some(&v),
            "rfi.answer",
            "rfi",
            &rfi.id.to_string(),
            json!({ "answer": a.id, "late": late, "items": 0, "demo": true }),
        ))
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A voluntary request to the class-1 members, answered by two of them.
async fn voluntary_request(
    state: &AppState,
    founded: &[Member],
    sharers: &[(MemberId, UserId)],
    coordinator: &Viewer,
) -> ApiResult<()> {
    let form = RfiForm {
        title: "Invoice-themed phishing kit against logistics / 物流事業者を狙う請求書型フィッシング".into(),
        question: "If you have seen the invoice-portal lure or the InvoiceLoader family, please share what you can (voluntary). / 確認済みであれば、可能な範囲で情報提供をお願いします（任意）。".into(),
        target: RfiTarget {
            classes: [MemberClass::Class1].into(),
            ..RfiTarget::default()
        },
        binding: false,
    };
    let rfi = send_rfi(state, coordinator, form).await?;
    let answering = founded
        .iter()
        .filter(|m| m.class == MemberClass::Class1 && m.roles.is_empty())
        .take(2);
    for (m, text) in answering.zip([
        "Seen at two customers last week; the loader beacons to 198.51.100.140. / 先週、顧客2社で確認。",
        "Not seen in our telemetry. / 当社の観測では未確認。",
    ]) {
        let v = acting(&state.store, m, sharers, false).await?;
        answer_rfi(
            state,
            &v,
            &rfi.id.to_string(),
            AnswerForm {
                text: text.into(),
                items: Vec::new(),
            },
        )
        .await?;
    }
    Ok(())
}

/// A rule amendment put to the general assembly, closing in seven days, with ballots
/// from a few members (their receipts are not kept: nobody needs to check them).
async fn open_assembly_vote(
    state: &AppState,
    founded: &[Member],
    secretariat: &Viewer,
) -> ApiResult<()> {
    let form = VoteForm {
        question: "Amend the rules so that the general assembly may meet by electronic means only (article 12)? / 規約第12条を改正し、総会を電子的手段のみで開催できるようにするか".into(),
        choices: vec![
            "For / 賛成".into(),
            "Against / 反対".into(),
            "Abstain / 棄権".into(),
        ],
        closes_at: OffsetDateTime::now_utc() + Duration::days(7),
    };
    let vote = open_vote(state, secretariat, form).await?;
    let voters = founded
        .iter()
        .filter(|m| m.is_active() && m.roles.is_empty())
        .step_by(9)
        .take(6);
    for (m, choice) in voters.zip([0, 0, 1, 0, 2, 0]) {
        let v = acting(&state.store, m, &[], true).await?;
        cast_ballot(state, &v, &vote.id.to_string(), choice).await?;
    }
    Ok(())
}
