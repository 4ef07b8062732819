//! Consultations (相談, M2.6): any member asks the class-1 group privately — free text,
//! optional indicators, even a vague "something feels off" — without revealing its
//! name. The coordinator relays: class-1 task-force members see the question as coming
//! "via the coordinator", their replies go back to the asker under pseudonyms valid for
//! that one consultation, and the asker can later turn it into a shared item.
//!
//! Consultation data leaves the system only through [`consultation_view`].

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::DomainError;
use crate::ids::{ConsultationId, ItemId, MemberId};
use crate::indicator::Indicator;
use crate::item::{MAX_TEXT, MAX_TITLE, RawIndicator, parse_indicators};
use crate::member::{MemberClass, SpecialRole};
use crate::text;
use crate::user::Viewer;
use crate::view::VIA;

/// Whether a consultation still takes replies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConsultationStatus {
    /// Open: class-1 members can reply.
    Open,
    /// Closed by the asker.
    Closed,
}

impl ConsultationStatus {
    /// All statuses.
    pub const ALL: [Self; 2] = [Self::Open, Self::Closed];

    /// The stable identifier used in the API and the database.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Closed => "closed",
        }
    }

    /// Parses [`ConsultationStatus::as_str`] back.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// A consultation as stored. Never sent as is: see [`consultation_view`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Consultation {
    /// Identifier.
    pub id: ConsultationId,
    /// The member that asks: known only to itself and the coordinator.
    pub asker: MemberId,
    /// Subject, 1 to [`MAX_TITLE`] characters.
    pub subject: String,
    /// The question, 1 to [`MAX_TEXT`] characters.
    pub text: String,
    /// Indicators, without duplicates.
    pub indicators: Vec<Indicator>,
    /// Open or closed.
    pub status: ConsultationStatus,
    /// The item the asker turned it into, if any.
    pub shared_item: Option<ItemId>,
    /// When it was asked.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// A reply to a consultation as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    /// The member that replied: known only to the coordinator.
    pub responder: MemberId,
    /// The advice.
    pub text: String,
    /// When it was given.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// A consultation as sent to the API, before its fields are checked.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsultationForm {
    /// Subject (e.g. "Something feels off").
    pub subject: String,
    /// The question, in free text.
    pub text: String,
    /// Indicators, if any.
    #[serde(default)]
    pub indicators: Vec<RawIndicator>,
}

/// The checked question of a consultation.
#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    /// Subject.
    pub subject: String,
    /// Text.
    pub text: String,
    /// Indicators, parsed and without duplicates.
    pub indicators: Vec<Indicator>,
}

impl ConsultationForm {
    /// Checks every field: subject and text are trimmed, required and bounded;
    /// indicators are parsed, a bad one named by its index.
    ///
    /// # Errors
    /// [`DomainError::Invalid`] naming the first bad field.
    pub fn parse(self) -> Result<Question, DomainError> {
        let indicators = parse_indicators(&self.indicators)?;
        Ok(Question {
            subject: text::required("subject", &self.subject, MAX_TITLE)?,
            text: text::required("text", &self.text, MAX_TEXT)?,
            indicators,
        })
    }
}

impl Consultation {
    /// A new open consultation asked by `asker`.
    #[must_use]
    pub fn open(asker: MemberId, question: Question, now: OffsetDateTime) -> Self {
        Self {
            id: ConsultationId::new(),
            asker,
            subject: question.subject,
            text: question.text,
            indicators: question.indicators,
            status: ConsultationStatus::Open,
            shared_item: None,
            created_at: now,
        }
    }
}

/// A reply as sent to the API.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyForm {
    /// The advice.
    pub text: String,
}

/// Whether `viewer` acts for an active member at all (an enabled user of it).
fn acts_for_active_member(viewer: &Viewer) -> bool {
    !viewer.user.disabled && viewer.user.member_id == viewer.member.id && viewer.member.is_active()
}

/// Whether `viewer` acts for the coordinator.
fn is_coordinator(viewer: &Viewer) -> bool {
    acts_for_active_member(viewer) && viewer.member.has_role(SpecialRole::Coordinator)
}

/// Whether `viewer` is one of the experts consultations go to: an active class-1
/// member of the task force.
fn is_expert(viewer: &Viewer) -> bool {
    acts_for_active_member(viewer)
        && viewer.member.class == MemberClass::Class1
        && viewer.member.in_task_force()
}

/// Whether `viewer` may see consultations asked by other members (the coordinator and
/// class-1 task-force members); everybody else sees only its own member's. Lets a
/// listing skip what the view would drop anyway.
#[must_use]
pub fn sees_others_consultations(viewer: &Viewer) -> bool {
    is_coordinator(viewer) || is_expert(viewer)
}

impl ReplyForm {
    /// Checks a reply: the consultation must be open, and the viewer the coordinator
    /// or a class-1 task-force member other than the asker, with a user that may act.
    ///
    /// # Errors
    /// [`DomainError::Conflict`] on a closed consultation; [`DomainError::Forbidden`]
    /// for the asker and anyone who is not an expert; [`DomainError::Invalid`] for an
    /// empty or over-long text. The caller answers 404 itself when the viewer cannot
    /// see the consultation at all.
    pub fn parse(
        self,
        consultation: &Consultation,
        viewer: &Viewer,
        now: OffsetDateTime,
    ) -> Result<Reply, DomainError> {
        if consultation.status == ConsultationStatus::Closed {
            return Err(DomainError::Conflict(
                "the consultation is closed; it takes no more replies".into(),
            ));
        }
        if consultation.asker == viewer.member.id {
            return Err(DomainError::Forbidden(
                "the asker does not reply to its own consultation".into(),
            ));
        }
        if !sees_others_consultations(viewer) {
            return Err(DomainError::Forbidden(
                "only class-1 task-force members and the coordinator reply".into(),
            ));
        }
        viewer.ensure_can_act()?;
        Ok(Reply {
            responder: viewer.member.id,
            text: text::required("text", &self.text, MAX_TEXT)?,
            at: now,
        })
    }
}

/// Checks that `viewer` acts for the asker with a user that may act: only the asker
/// closes a consultation or turns it into a shared item.
///
/// # Errors
/// [`DomainError::Forbidden`] otherwise.
pub fn ensure_asker(consultation: &Consultation, viewer: &Viewer) -> Result<(), DomainError> {
    if !acts_for_active_member(viewer) || consultation.asker != viewer.member.id {
        return Err(DomainError::Forbidden(
            "only the member that asked can do this".into(),
        ));
    }
    viewer.ensure_can_act()
}

/// Who a viewer is to a consultation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConsultationAudience {
    /// The asker's member: everything but who replied.
    Asker,
    /// The coordinator, which relays: everything, including who asked and who replied.
    Coordinator,
    /// A class-1 task-force member: the question without the asker, and the replies.
    Expert,
}

/// A reply as a viewer sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ReplyView {
    /// The responder's pseudonym within this consultation only ("Expert A", …).
    pub responder: String,
    /// The responder's member: [`ConsultationAudience::Coordinator`] only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub responder_member: Option<MemberId>,
    /// Whether the viewer's member gave it.
    pub mine: bool,
    /// The advice.
    pub text: String,
    /// When it was given.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
}

/// A consultation as one viewer may see it. Built only by [`consultation_view`].
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ConsultationView {
    /// Identifier.
    pub id: ConsultationId,
    /// Subject.
    pub subject: String,
    /// The question.
    pub text: String,
    /// Indicators.
    pub indicators: Vec<Indicator>,
    /// Open or closed.
    pub status: ConsultationStatus,
    /// When it was asked.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    /// Always `"coordinator"`: experts learn only that the hub relayed it.
    #[schema(value_type = String)]
    pub via: &'static str,
    /// Whether the viewer's member asked it.
    pub mine: bool,
    /// The asker: [`ConsultationAudience::Asker`] and
    /// [`ConsultationAudience::Coordinator`] only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asker: Option<MemberId>,
    /// The item it was turned into: [`ConsultationAudience::Asker`] and
    /// [`ConsultationAudience::Coordinator`] only (the link would tie the item's
    /// provider to the asker).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shared_item: Option<ItemId>,
    /// The replies, oldest first.
    pub replies: Vec<ReplyView>,
    /// Which audience this view was built for.
    pub audience: ConsultationAudience,
}

/// The pseudonym of the `n`-th distinct responder (from 0): "Expert A" … "Expert Z",
/// "Expert AA", …
fn expert_name(n: usize) -> String {
    let mut letters = Vec::new();
    let mut k = n + 1;
    while k > 0 {
        k -= 1;
        letters.push(char::from(b'A' + u8::try_from(k % 26).unwrap_or(0)));
        k /= 26;
    }
    letters.reverse();
    format!("Expert {}", letters.into_iter().collect::<String>())
}

/// Decides who `viewer` is to `c`, or that the consultation does not exist for it.
fn consultation_audience(c: &Consultation, viewer: &Viewer) -> Option<ConsultationAudience> {
    if !acts_for_active_member(viewer) {
        None
    } else if is_coordinator(viewer) {
        Some(ConsultationAudience::Coordinator)
    } else if viewer.member.id == c.asker {
        Some(ConsultationAudience::Asker)
    } else if is_expert(viewer) {
        Some(ConsultationAudience::Expert)
    } else {
        None
    }
}

/// The consultation as `viewer` may see it, or `None` when it does not exist for the
/// viewer: the caller answers exactly as for an id that does not exist.
///
/// - A disabled user, or a user of a member that is not active, sees nothing.
/// - The coordinator sees everything, including the asker and each responder.
/// - The asker's member sees its question, the item it became, and the replies under
///   per-consultation pseudonyms, never who gave them.
/// - Class-1 task-force members other than the asker see the question as relayed by
///   the coordinator, without the asker, and the replies under the same pseudonyms,
///   their own marked `mine`.
/// - Nobody else learns that the consultation exists.
///
/// `replies` must be oldest first: a responder's pseudonym is given by the order of
/// its first reply within this consultation, so it is stable here and says nothing
/// about the same member's replies elsewhere.
#[must_use]
pub fn consultation_view(
    c: &Consultation,
    replies: &[Reply],
    viewer: &Viewer,
) -> Option<ConsultationView> {
    let audience = consultation_audience(c, viewer)?;
    let privileged = matches!(
        audience,
        ConsultationAudience::Asker | ConsultationAudience::Coordinator
    );
    let mut pseudonyms: HashMap<MemberId, String> = HashMap::new();
    let replies = replies
        .iter()
        .map(|r| {
            let next = pseudonyms.len();
            let responder = pseudonyms
                .entry(r.responder)
                .or_insert_with(|| expert_name(next))
                .clone();
            ReplyView {
                responder,
                responder_member: (audience == ConsultationAudience::Coordinator)
                    .then_some(r.responder),
                mine: r.responder == viewer.member.id,
                text: r.text.clone(),
                at: r.at,
            }
        })
        .collect();
    Some(ConsultationView {
        id: c.id,
        subject: c.subject.clone(),
        text: c.text.clone(),
        indicators: c.indicators.clone(),
        status: c.status,
        created_at: c.created_at,
        via: VIA,
        mine: c.asker == viewer.member.id,
        asker: privileged.then_some(c.asker),
        shared_item: if privileged { c.shared_item } else { None },
        replies,
        audience,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::ids::UserId;
    use crate::indicator::IndicatorKind;
    use crate::member::tests::member;
    use crate::member::{Member, MemberStatus};
    use crate::scope::tests::arb_council;
    use crate::user::{User, UserRole};
    use proptest::prelude::*;

    const QUESTION: &str = "CONSULTATION-TEXT-SECRET";

    fn as_viewer(member: &Member) -> Viewer {
        Viewer {
            user: User {
                id: UserId::new(),
                member_id: member.id,
                login: "soc".into(),
                role: UserRole::Analyst,
                disabled: false,
            },
            member: member.clone(),
            clearance: crate::clearance::Clearance::none(),
        }
    }

    fn form(json: serde_json::Value) -> ConsultationForm {
        serde_json::from_value(json).unwrap()
    }

    fn asked_by(asker: &Member) -> Consultation {
        let q = form(serde_json::json!({
            "subject": "Something feels off",
            "text": QUESTION,
            "indicators": [{"type": "ipv4", "value": "192.0.2.7"}],
        }))
        .parse()
        .unwrap();
        Consultation::open(asker.id, q, OffsetDateTime::UNIX_EPOCH)
    }

    fn reply(by: &Member, text: &str) -> Reply {
        Reply {
            responder: by.id,
            text: text.into(),
            at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn statuses_round_trip() {
        for s in ConsultationStatus::ALL {
            assert_eq!(ConsultationStatus::parse(s.as_str()), Some(s));
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
        }
    }

    #[test]
    fn forms_are_checked() {
        let q = form(serde_json::json!({
            "subject": "  Something feels off ",
            "text": " Odd DNS lookups at night ",
            "indicators": [
                {"type": "domain", "value": "Odd.Example"},
                {"type": "domain", "value": "odd.example"},
            ],
        }))
        .parse()
        .unwrap();
        assert_eq!(q.subject, "Something feels off");
        assert_eq!(q.text, "Odd DNS lookups at night");
        assert_eq!(q.indicators.len(), 1);
        assert_eq!(q.indicators[0].kind(), IndicatorKind::Domain);

        let e = form(serde_json::json!({
            "subject": "s", "text": "t",
            "indicators": [{"type": "ipv4", "value": "192.0.2.1"}, {"type": "ipv4", "value": "999.1.1.1"}],
        }))
        .parse()
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("indicators: [1]: "), "{e}");
        let e = form(serde_json::json!({"subject": "s", "text": "   "}))
            .parse()
            .unwrap_err();
        assert_eq!(e.to_string(), "text: must not be empty");
        let e = form(serde_json::json!({"subject": "", "text": "t"}))
            .parse()
            .unwrap_err();
        assert_eq!(e.to_string(), "subject: must not be empty");
        assert!(
            serde_json::from_value::<ConsultationForm>(
                serde_json::json!({"subject": "s", "text": "t", "asker": "me"})
            )
            .is_err()
        );
        assert!(
            serde_json::from_value::<ReplyForm>(serde_json::json!({"text": "t", "x": 1})).is_err()
        );
    }

    #[test]
    fn each_audience_sees_what_it_may() {
        let asker = member(MemberClass::General, &[]);
        let expert = member(MemberClass::Class1, &[]);
        let other_expert = member(MemberClass::Class1, &[]);
        let coordinator = member(MemberClass::Class1, &[SpecialRole::Coordinator]);
        let c = asked_by(&asker);
        let replies = [
            reply(&expert, "check the resolver"),
            reply(&other_expert, "seen it too"),
            reply(&expert, "and the proxy"),
        ];

        let mine = consultation_view(&c, &replies, &as_viewer(&asker)).unwrap();
        assert_eq!(mine.audience, ConsultationAudience::Asker);
        assert!(mine.mine);
        assert_eq!(mine.asker, Some(asker.id));
        let names: Vec<_> = mine.replies.iter().map(|r| r.responder.as_str()).collect();
        assert_eq!(names, ["Expert A", "Expert B", "Expert A"]);
        let text = serde_json::to_string(&mine).unwrap();
        assert!(!text.contains(&expert.id.to_string()));
        assert!(!text.contains(&other_expert.id.to_string()));
        assert!(!text.contains("responder_member"));

        let seen = consultation_view(&c, &replies, &as_viewer(&expert)).unwrap();
        assert_eq!(seen.audience, ConsultationAudience::Expert);
        assert_eq!(seen.text, QUESTION);
        assert_eq!(seen.via, "coordinator");
        assert!(!seen.mine);
        let mine_flags: Vec<_> = seen.replies.iter().map(|r| r.mine).collect();
        assert_eq!(mine_flags, [true, false, true]);
        let text = serde_json::to_string(&seen).unwrap();
        assert!(!text.contains(&asker.id.to_string()));
        assert!(!text.contains("\"asker\""));
        assert!(!text.contains(&other_expert.id.to_string()));

        let all = consultation_view(&c, &replies, &as_viewer(&coordinator)).unwrap();
        assert_eq!(all.audience, ConsultationAudience::Coordinator);
        assert_eq!(all.asker, Some(asker.id));
        assert_eq!(all.replies[1].responder_member, Some(other_expert.id));

        for nobody in [
            member(MemberClass::Class2, &[]),
            member(MemberClass::General, &[SpecialRole::Secretariat]),
            member(MemberClass::General, &[SpecialRole::Committee]),
        ] {
            assert_eq!(consultation_view(&c, &replies, &as_viewer(&nobody)), None);
        }
        let mut foreign = member(MemberClass::Class1, &[]);
        foreign.foreign_affiliated = true;
        assert_eq!(consultation_view(&c, &replies, &as_viewer(&foreign)), None);
        foreign.tf_special_approval = true;
        assert!(consultation_view(&c, &replies, &as_viewer(&foreign)).is_some());
    }

    #[test]
    fn inactive_or_disabled_viewers_see_nothing() {
        let asker = member(MemberClass::General, &[]);
        let coordinator = member(MemberClass::Class1, &[SpecialRole::Coordinator]);
        let expert = member(MemberClass::Class1, &[]);
        let c = asked_by(&asker);
        for m in [&asker, &coordinator, &expert] {
            assert!(consultation_view(&c, &[], &as_viewer(m)).is_some());
            let mut gone = as_viewer(m);
            gone.member.status = MemberStatus::Withdrawn;
            assert_eq!(consultation_view(&c, &[], &gone), None);
            let mut disabled = as_viewer(m);
            disabled.user.disabled = true;
            assert_eq!(consultation_view(&c, &[], &disabled), None);
            let mut foreign_user = as_viewer(m);
            foreign_user.user.member_id = MemberId::new();
            assert_eq!(consultation_view(&c, &[], &foreign_user), None);
        }
    }

    #[test]
    fn the_shared_item_is_linked_for_the_asker_and_the_coordinator_only() {
        let asker = member(MemberClass::Class2, &[]);
        let mut c = asked_by(&asker);
        let item = ItemId::new();
        c.shared_item = Some(item);
        let shown = |m: &Member| {
            consultation_view(&c, &[], &as_viewer(m))
                .unwrap()
                .shared_item
        };
        assert_eq!(shown(&asker), Some(item));
        assert_eq!(
            shown(&member(MemberClass::Class1, &[SpecialRole::Coordinator])),
            Some(item)
        );
        let expert_view =
            consultation_view(&c, &[], &as_viewer(&member(MemberClass::Class1, &[]))).unwrap();
        assert_eq!(expert_view.shared_item, None);
        assert!(
            !serde_json::to_string(&expert_view)
                .unwrap()
                .contains(&item.to_string())
        );
    }

    #[test]
    fn pseudonyms_depend_only_on_the_order_within_a_consultation() {
        let asker = member(MemberClass::General, &[]);
        let (x, y) = (
            member(MemberClass::Class1, &[]),
            member(MemberClass::Class1, &[]),
        );
        let one = asked_by(&asker);
        let two = asked_by(&asker);
        let v1 =
            consultation_view(&one, &[reply(&x, "a"), reply(&y, "b")], &as_viewer(&asker)).unwrap();
        let v2 =
            consultation_view(&two, &[reply(&y, "c"), reply(&x, "d")], &as_viewer(&asker)).unwrap();
        assert_eq!(v1.replies[0].responder, "Expert A");
        assert_eq!(v2.replies[1].responder, "Expert B", "x is B here, A there");
        assert_eq!(expert_name(25), "Expert Z");
        assert_eq!(expert_name(26), "Expert AA");
        assert_eq!(expert_name(27), "Expert AB");
    }

    #[test]
    fn who_may_reply_close_and_share() {
        let asker = member(MemberClass::Class1, &[]);
        let expert = member(MemberClass::Class1, &[]);
        let coordinator = member(MemberClass::General, &[SpecialRole::Coordinator]);
        let class2 = member(MemberClass::Class2, &[]);
        let mut c = asked_by(&asker);
        let now = OffsetDateTime::UNIX_EPOCH;
        let text = || ReplyForm {
            text: " patch it ".into(),
        };
        let r = text().parse(&c, &as_viewer(&expert), now).unwrap();
        assert_eq!((r.responder, r.text.as_str()), (expert.id, "patch it"));
        assert!(text().parse(&c, &as_viewer(&coordinator), now).is_ok());
        for (m, why) in [(&asker, "asker"), (&class2, "class 2")] {
            assert!(
                matches!(
                    text().parse(&c, &as_viewer(m), now),
                    Err(DomainError::Forbidden(_))
                ),
                "{why}"
            );
        }
        let mut read_only = as_viewer(&expert);
        read_only.user.role = UserRole::Viewer;
        assert!(matches!(
            text().parse(&c, &read_only, now),
            Err(DomainError::Forbidden(_))
        ));
        assert!(matches!(
            ReplyForm { text: " ".into() }.parse(&c, &as_viewer(&expert), now),
            Err(DomainError::Invalid { field: "text", .. })
        ));
        assert!(ensure_asker(&c, &as_viewer(&asker)).is_ok());
        for m in [&expert, &coordinator, &class2] {
            assert!(ensure_asker(&c, &as_viewer(m)).is_err());
        }
        let mut read_only_asker = as_viewer(&asker);
        read_only_asker.user.role = UserRole::Viewer;
        assert!(ensure_asker(&c, &read_only_asker).is_err());
        c.status = ConsultationStatus::Closed;
        assert!(matches!(
            text().parse(&c, &as_viewer(&expert), now),
            Err(DomainError::Conflict(_))
        ));
    }

    /// The rule of M2.6 restated from the member's raw fields, to check the view against.
    fn expected_audience(c: &Consultation, viewer: &Viewer) -> Option<ConsultationAudience> {
        let m = &viewer.member;
        if viewer.user.disabled || m.status != MemberStatus::Active {
            return None;
        }
        if m.roles.contains(&SpecialRole::Coordinator) {
            return Some(ConsultationAudience::Coordinator);
        }
        if m.id == c.asker {
            return Some(ConsultationAudience::Asker);
        }
        let task_force = !m.foreign_affiliated || m.tf_special_approval;
        (m.class == MemberClass::Class1 && task_force).then_some(ConsultationAudience::Expert)
    }

    /// A council, which of its users are disabled, a consultation asked by one of its
    /// members, and replies by any of them (in order).
    fn arb_case() -> impl Strategy<Value = (Vec<Member>, Vec<bool>, Consultation, Vec<Reply>)> {
        arb_council().prop_flat_map(|council| {
            let n = council.len();
            (
                Just(council),
                prop::collection::vec(prop::bool::weighted(0.1), n),
                0..n,
                prop::collection::vec(0..n, 0..8),
                any::<u64>(),
            )
                .prop_map(|(council, disabled, a, responders, marker)| {
                    let mut c = asked_by(&council[a]);
                    c.text = format!("{QUESTION}-{marker}");
                    let replies = responders
                        .iter()
                        .enumerate()
                        .map(|(i, r)| reply(&council[*r], &format!("advice {i}")))
                        .collect();
                    (council, disabled, c, replies)
                })
        })
    }

    proptest! {
        #[test]
        fn the_consultation_view_keeps_every_rule(
            (council, disabled, c, replies) in arb_case()
        ) {
            let asker = council.iter().find(|m| m.id == c.asker).unwrap();
            for (m, off) in council.iter().zip(&disabled) {
                let mut viewer = as_viewer(m);
                viewer.user.disabled = *off;
                let got = consultation_view(&c, &replies, &viewer);
                prop_assert_eq!(got.as_ref().map(|v| v.audience), expected_audience(&c, &viewer));
                let coordinator = m.has_role(SpecialRole::Coordinator);
                // (1) Only enabled users of active members see anything; of them only
                // the asker, the coordinator and class-1 task-force members.
                if *off || !m.is_active() {
                    prop_assert!(got.is_none());
                }
                if m.id != c.asker && !coordinator
                    && !(m.class == MemberClass::Class1 && m.in_task_force())
                {
                    prop_assert!(got.is_none());
                }
                let Some(v) = got else { continue };
                let text = serde_json::to_string(&v).unwrap();
                prop_assert!(text.contains(&c.text));
                prop_assert_eq!(v.via, "coordinator");
                // (2) The asker is known only to itself and the coordinator.
                let asker_id = asker.id.to_string();
                let asker_simple = asker.id.as_uuid().simple().to_string();
                if m.id != c.asker && !coordinator {
                    prop_assert!(!text.contains(&asker_id));
                    prop_assert!(!text.contains(&asker_simple));
                    prop_assert!(!text.contains(&asker.pseudonym));
                }
                prop_assert!(!text.contains(&asker.name));
                // (3) Responders are known only to the coordinator.
                for r in &replies {
                    let id = r.responder.to_string();
                    if !coordinator && r.responder != c.asker {
                        prop_assert!(!text.contains(&id));
                        prop_assert!(!text.contains(&r.responder.as_uuid().simple().to_string()));
                    }
                }
                // (4) One pseudonym per responder, distinct between responders.
                prop_assert_eq!(v.replies.len(), replies.len());
                for (a, ra) in v.replies.iter().zip(&replies) {
                    prop_assert!(a.responder.starts_with("Expert "));
                    prop_assert_eq!(a.mine, ra.responder == m.id);
                    for (b, rb) in v.replies.iter().zip(&replies) {
                        prop_assert_eq!(a.responder == b.responder, ra.responder == rb.responder);
                    }
                }
            }
        }
    }

    #[test]
    fn the_generator_reaches_every_audience() {
        use proptest::strategy::ValueTree;
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let mut seen = std::collections::BTreeMap::new();
        for _ in 0..256 {
            let (council, disabled, c, replies) =
                arb_case().new_tree(&mut runner).unwrap().current();
            for (m, off) in council.iter().zip(&disabled) {
                let mut viewer = as_viewer(m);
                viewer.user.disabled = *off;
                let audience = consultation_view(&c, &replies, &viewer).map(|v| v.audience);
                *seen.entry(format!("{audience:?}")).or_insert(0) += 1;
            }
        }
        assert_eq!(seen.len(), 4, "{seen:?}");
        assert!(seen.values().all(|n| *n >= 20), "{seen:?}");
    }
}
