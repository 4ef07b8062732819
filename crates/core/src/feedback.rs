//! The task force's feedback loop (M2.5, M1.4): class-2 members answer each task-force
//! item with 来ている / 来ていない / わからない, class-1 members with an expert opinion, by
//! a deadline; the give-and-take ledger counts who contributes.

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use utoipa::ToSchema;

use crate::DomainError;
use crate::item::{Item, ItemKind, ItemStatus};
use crate::member::MemberClass;
use crate::text;
use crate::user::Viewer;
use crate::view::view;

/// A class-2 member's answer: has this reached us?
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sighting {
    /// 来ている: seen here.
    Seen,
    /// 来ていない: not seen here.
    NotSeen,
    /// わからない: cannot tell.
    Unknown,
}

/// A class-1 member's expert opinion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Opinion {
    /// Agrees with the analysis.
    Agree,
    /// Disagrees.
    Disagree,
    /// Adds to it.
    Supplement,
}

/// Feedback as sent: a sighting (class 2) or an opinion (class 1).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackForm {
    /// Class 2: seen, not_seen or unknown.
    #[serde(default)]
    pub sighting: Option<Sighting>,
    /// How many times it was seen.
    #[serde(default)]
    pub count: Option<i64>,
    /// First seen (RFC 3339).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub first_seen: Option<OffsetDateTime>,
    /// Last seen (RFC 3339).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_seen: Option<OffsetDateTime>,
    /// Class 1: agree, disagree or supplement.
    #[serde(default)]
    pub opinion: Option<Opinion>,
    /// Free text (required with an opinion).
    #[serde(default)]
    pub comment: String,
}

/// Checked feedback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Answer {
    /// A class-2 sighting.
    Sighting {
        /// The answer.
        sighting: Sighting,
        /// How many times.
        #[serde(skip_serializing_if = "Option::is_none")]
        count: Option<i64>,
        /// First seen.
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            with = "time::serde::rfc3339::option"
        )]
        #[schema(value_type = Option<String>, format = DateTime)]
        first_seen: Option<OffsetDateTime>,
        /// Last seen.
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            with = "time::serde::rfc3339::option"
        )]
        #[schema(value_type = Option<String>, format = DateTime)]
        last_seen: Option<OffsetDateTime>,
    },
    /// A class-1 opinion.
    Opinion {
        /// The stance.
        opinion: Opinion,
    },
}

/// Feedback ready to store: the answer and its comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Feedback {
    /// The answer.
    pub answer: Answer,
    /// Comment.
    pub comment: String,
}

/// Whether an item asks the task force for feedback: threat information and analyses.
#[must_use]
pub fn asks_feedback(item: &Item) -> bool {
    matches!(
        item.content.kind,
        ItemKind::ThreatInformation | ItemKind::Analysis
    )
}

/// When feedback on `item` is due.
#[must_use]
pub fn deadline(item: &Item, window: Duration) -> OffsetDateTime {
    item.created_at + window
}

/// Whether `viewer` owes feedback on `item`: it can see it, it is a task-force item
/// still shared, the viewer's member is in the task force, is class 1 or 2, and did
/// not provide it.
#[must_use]
pub fn owes_feedback(item: &Item, viewer: &Viewer) -> bool {
    asks_feedback(item)
        && item.status == ItemStatus::Shared
        && item.provider != viewer.member.id
        && viewer.member.in_task_force()
        && view(item, viewer).is_some()
}

impl FeedbackForm {
    /// Checks the feedback against who gives it and on what.
    ///
    /// # Errors
    /// [`DomainError::Conflict`] on a retracted item; [`DomainError::Forbidden`] when the
    /// viewer is not in the task force, is the provider, or the item asks no feedback;
    /// [`DomainError::Invalid`] when the answer does not fit the viewer's class. The
    /// caller answers 404 itself when the viewer cannot see the item at all.
    pub fn parse(self, item: &Item, viewer: &Viewer) -> Result<Feedback, DomainError> {
        if item.status == ItemStatus::Retracted {
            return Err(DomainError::Conflict(
                "the item was retracted; it takes no more feedback".into(),
            ));
        }
        if !asks_feedback(item) {
            return Err(DomainError::Forbidden(
                "only threat information and analyses take feedback".into(),
            ));
        }
        if item.provider == viewer.member.id {
            return Err(DomainError::Forbidden(
                "the provider does not give feedback on its own item".into(),
            ));
        }
        if !viewer.member.in_task_force() {
            return Err(DomainError::Forbidden(
                "only task-force members give feedback".into(),
            ));
        }
        viewer.ensure_can_act()?;
        let comment = text::optional("comment", &self.comment, 4000)?;
        let answer = match viewer.member.class {
            MemberClass::Class2 => {
                if self.opinion.is_some() {
                    return Err(DomainError::invalid(
                        "opinion",
                        "class-2 members answer with a sighting",
                    ));
                }
                let sighting = self.sighting.ok_or_else(|| {
                    DomainError::invalid("sighting", "answer seen, not_seen or unknown")
                })?;
                if let Some(c) = self.count {
                    if c < 0 {
                        return Err(DomainError::invalid("count", "must not be negative"));
                    }
                    if sighting != Sighting::Seen && c > 0 {
                        return Err(DomainError::invalid(
                            "count",
                            "only a sighting that was seen has a count",
                        ));
                    }
                }
                if let (Some(f), Some(l)) = (self.first_seen, self.last_seen)
                    && f > l
                {
                    return Err(DomainError::invalid("first_seen", "is after last_seen"));
                }
                Answer::Sighting {
                    sighting,
                    count: self.count,
                    first_seen: self.first_seen,
                    last_seen: self.last_seen,
                }
            }
            MemberClass::Class1 => {
                if self.sighting.is_some() || self.count.is_some() {
                    return Err(DomainError::invalid(
                        "sighting",
                        "class-1 members answer with an expert opinion",
                    ));
                }
                let opinion = self.opinion.ok_or_else(|| {
                    DomainError::invalid("opinion", "answer agree, disagree or supplement")
                })?;
                if comment.is_empty() {
                    return Err(DomainError::invalid(
                        "comment",
                        "an expert opinion needs its text",
                    ));
                }
                Answer::Opinion { opinion }
            }
            MemberClass::General | MemberClass::Partner => {
                return Err(DomainError::Forbidden(
                    "only task-force members give feedback".into(),
                ));
            }
        };
        Ok(Feedback { answer, comment })
    }
}

/// Checks a promotion (M2.4): the coordinator or a class-1 task-force member turns
/// analyses into a confirmed countermeasure or best practice.
///
/// # Errors
/// [`DomainError::Forbidden`] for anyone else; [`DomainError::Invalid`] when the new
/// item is not a confirmed countermeasure or best practice, or names no source.
pub fn check_promotion(
    actor: &Viewer,
    content: &crate::item::ItemContent,
    sources: usize,
) -> Result<(), DomainError> {
    actor.ensure_can_act()?;
    let m = &actor.member;
    let coordinator = m.is_active() && m.has_role(crate::member::SpecialRole::Coordinator);
    if !(coordinator || (m.class == MemberClass::Class1 && m.in_task_force())) {
        return Err(DomainError::Forbidden(
            "only class-1 task-force members and the coordinator promote analyses".into(),
        ));
    }
    if !matches!(
        content.kind,
        ItemKind::Countermeasure | ItemKind::BestPractice
    ) {
        return Err(DomainError::invalid(
            "item.kind",
            "a promotion makes a countermeasure or a best practice",
        ));
    }
    if content.confidence != crate::item::Confidence::Confirmed {
        return Err(DomainError::invalid(
            "item.confidence",
            "a promotion makes a confirmed item",
        ));
    }
    if sources == 0 || sources > 50 {
        return Err(DomainError::invalid(
            "sources",
            "name 1 to 50 items the countermeasure comes from",
        ));
    }
    Ok(())
}

/// How the answers to one item add up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Tally {
    /// 来ている.
    pub seen: i64,
    /// 来ていない.
    pub not_seen: i64,
    /// わからない.
    pub unknown: i64,
    /// Sum of the counts given with "seen".
    pub seen_count: i64,
    /// Agreeing opinions.
    pub agree: i64,
    /// Disagreeing opinions.
    pub disagree: i64,
    /// Supplements.
    pub supplement: i64,
}

impl Tally {
    /// Adds one answer.
    pub fn add(&mut self, a: &Answer) {
        match a {
            Answer::Sighting {
                sighting, count, ..
            } => match sighting {
                Sighting::Seen => {
                    self.seen += 1;
                    self.seen_count += count.unwrap_or(1);
                }
                Sighting::NotSeen => self.not_seen += 1,
                Sighting::Unknown => self.unknown += 1,
            },
            Answer::Opinion { opinion } => match opinion {
                Opinion::Agree => self.agree += 1,
                Opinion::Disagree => self.disagree += 1,
                Opinion::Supplement => self.supplement += 1,
            },
        }
    }

    /// Answers in all.
    #[must_use]
    pub fn total(&self) -> i64 {
        self.seen + self.not_seen + self.unknown + self.agree + self.disagree + self.supplement
    }
}

/// One member's give and take over the ledger's window (M1.4).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Standing {
    /// Original items it provided.
    pub originals: i64,
    /// Task-force items it received (could see and owed feedback on).
    pub tf_items_received: i64,
    /// Feedback given by the deadline.
    pub feedback_on_time: i64,
    /// Feedback given after the deadline.
    pub feedback_late: i64,
    /// Items past their deadline without its feedback.
    pub feedback_missing: i64,
    /// Items still open, not yet answered.
    pub feedback_owed: i64,
}

/// When a member counts as a free rider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FreeRiderRule {
    /// It received at least this many task-force items ...
    pub min_received: i64,
    /// ... and answered (on time or late) less than this share of those past deadline, in percent ...
    pub min_answer_percent: i64,
    /// ... and provided fewer originals than this.
    pub min_originals: i64,
}

impl Default for FreeRiderRule {
    fn default() -> Self {
        Self {
            min_received: 5,
            min_answer_percent: 50,
            min_originals: 1,
        }
    }
}

impl Standing {
    /// Whether the member receives without giving, by `rule`.
    #[must_use]
    pub fn is_free_rider(&self, rule: &FreeRiderRule) -> bool {
        let due = self.feedback_on_time + self.feedback_late + self.feedback_missing;
        let answered = self.feedback_on_time + self.feedback_late;
        self.tf_items_received >= rule.min_received
            && due > 0
            && answered * 100 < rule.min_answer_percent * due
            && self.originals < rule.min_originals
    }

    /// Counts one task-force item the member received: answered at `answered_at` (or
    /// not), due at `due`, judged at `now`.
    pub fn count_received(
        &mut self,
        answered_at: Option<OffsetDateTime>,
        due: OffsetDateTime,
        now: OffsetDateTime,
    ) {
        self.tf_items_received += 1;
        match answered_at {
            Some(t) if t <= due => self.feedback_on_time += 1,
            Some(_) => self.feedback_late += 1,
            None if now > due => self.feedback_missing += 1,
            None => self.feedback_owed += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{ItemId, UserId};
    use crate::indicator::Tlp;
    use crate::item::{Confidence, ItemContent};
    use crate::member::tests::member;
    use crate::member::{MemberClass, Sector, SpecialRole};
    use crate::scope::Scope;
    use crate::user::{User, UserRole};

    fn viewer(class: MemberClass) -> Viewer {
        let m = member(class, &[]);
        Viewer {
            user: User {
                id: UserId::new(),
                member_id: m.id,
                login: "analyst".into(),
                role: UserRole::Analyst,
                disabled: false,
            },
            member: m,
            clearance: crate::clearance::Clearance::none(),
        }
    }

    fn item(kind: ItemKind) -> Item {
        let provider = member(MemberClass::Class1, &[SpecialRole::Committee]);
        Item {
            id: ItemId::new(),
            provider: provider.id,
            provider_sector: Sector::SecurityVendor,
            content: ItemContent {
                kind,
                title: "WannaCry".into(),
                executive_context: String::new(),
                technical_details: String::new(),
                countermeasures: String::new(),
                victim: None,
                indicators: vec![],
                techniques: vec![],
                cves: vec![],
                products: vec![],
                confidence: Confidence::Unconfirmed,
                tlp: Tlp::Amber,
                scope: Scope {
                    classes: [MemberClass::Class1, MemberClass::Class2].into(),
                    ..Scope::default()
                },
                show_provider_sector: false,
                clearance: None,
                tearline: None,
                source: None,
            },
            status: ItemStatus::Shared,
            revision: 1,
            created_at: OffsetDateTime::UNIX_EPOCH,
            updated_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    fn form(json: serde_json::Value) -> FeedbackForm {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn class_two_answers_with_sightings_and_class_one_with_opinions() {
        let it = item(ItemKind::Analysis);
        let c2 = viewer(MemberClass::Class2);
        let fb = form(serde_json::json!({"sighting": "seen", "count": 3}))
            .parse(&it, &c2)
            .unwrap();
        assert!(matches!(
            fb.answer,
            Answer::Sighting {
                sighting: Sighting::Seen,
                count: Some(3),
                ..
            }
        ));
        assert!(
            form(serde_json::json!({"opinion": "agree", "comment": "x"}))
                .parse(&it, &c2)
                .is_err()
        );
        assert!(
            form(serde_json::json!({"sighting": "not_seen", "count": 2}))
                .parse(&it, &c2)
                .is_err()
        );
        let c1 = viewer(MemberClass::Class1);
        assert!(
            form(serde_json::json!({"opinion": "supplement", "comment": "also SMBv1 on 445"}))
                .parse(&it, &c1)
                .is_ok()
        );
        assert!(
            form(serde_json::json!({"opinion": "agree"}))
                .parse(&it, &c1)
                .is_err(),
            "opinions need text"
        );
        assert!(
            form(serde_json::json!({"sighting": "seen"}))
                .parse(&it, &c1)
                .is_err()
        );
    }

    #[test]
    fn who_may_answer() {
        let mut it = item(ItemKind::Analysis);
        let mut foreign = viewer(MemberClass::Class2);
        foreign.member.foreign_affiliated = true;
        assert!(matches!(
            form(serde_json::json!({"sighting": "seen"})).parse(&it, &foreign),
            Err(DomainError::Forbidden(_))
        ));
        assert!(!owes_feedback(&it, &foreign));
        let c2 = viewer(MemberClass::Class2);
        assert!(owes_feedback(&it, &c2));
        it.status = ItemStatus::Retracted;
        assert!(matches!(
            form(serde_json::json!({"sighting": "seen"})).parse(&it, &c2),
            Err(DomainError::Conflict(_))
        ));
        assert!(!owes_feedback(&it, &c2));
        let cm = item(ItemKind::Countermeasure);
        assert!(!owes_feedback(&cm, &c2));
    }

    #[test]
    fn ledger_counts_and_free_riders() {
        let due = OffsetDateTime::UNIX_EPOCH + Duration::hours(4);
        let now = due + Duration::hours(1);
        let mut s = Standing::default();
        s.count_received(Some(due - Duration::minutes(5)), due, now);
        s.count_received(Some(due + Duration::minutes(5)), due, now);
        s.count_received(None, due, now);
        s.count_received(None, now + Duration::hours(1), now);
        assert_eq!(
            (
                s.feedback_on_time,
                s.feedback_late,
                s.feedback_missing,
                s.feedback_owed
            ),
            (1, 1, 1, 1)
        );
        let rule = FreeRiderRule::default();
        assert!(!s.is_free_rider(&rule), "received too few to judge");
        let mut rider = Standing::default();
        for _ in 0..6 {
            rider.count_received(None, due, now);
        }
        assert!(rider.is_free_rider(&rule));
        rider.originals = 1;
        assert!(
            !rider.is_free_rider(&rule),
            "sharing originals counts as giving"
        );
    }

    #[test]
    fn tally_adds_up() {
        let mut t = Tally::default();
        t.add(&Answer::Sighting {
            sighting: Sighting::Seen,
            count: Some(4),
            first_seen: None,
            last_seen: None,
        });
        t.add(&Answer::Sighting {
            sighting: Sighting::NotSeen,
            count: None,
            first_seen: None,
            last_seen: None,
        });
        t.add(&Answer::Opinion {
            opinion: Opinion::Supplement,
        });
        assert_eq!(
            (t.seen, t.seen_count, t.not_seen, t.supplement, t.total()),
            (1, 4, 1, 1, 3)
        );
    }
}
