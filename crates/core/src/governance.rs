//! The council's own governance (MISSION.md M1.5, M1.6; seed 004): the steering
//! committee's declaration of a large-scale cyber attack, the requests for information
//! (情報提供等協力の求め) that are binding only while one is in force, and the general
//! assembly's secret, verifiable votes (one vote per member).
//!
//! The rules here are pure: the server passes the current time in.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::DomainError;
use crate::ids::{ItemId, MemberId, UserId};
use crate::member::{Member, MemberClass, Sector};
use crate::text;

/// Distinct steering-committee members whose decision makes a declaration: one
/// proposes it, a second, different one confirms it.
pub const DECLARATION_APPROVALS: usize = 2;

/// How far in the past a proposed start may lie (clock skew between people and server).
pub const START_SKEW: Duration = Duration::minutes(5);

/// Fewest choices a vote offers.
pub const MIN_CHOICES: usize = 2;

/// Most choices a vote offers.
pub const MAX_CHOICES: usize = 20;

/// Longest a vote may stay open.
pub const MAX_VOTE_OPEN: Duration = Duration::days(366);

/// Most shared items one answer may link.
pub const MAX_ANSWER_ITEMS: usize = 50;

/// `t` as RFC 3339 text, for the messages people read.
#[must_use]
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}

/// A declaration of a large-scale cyber attack as the committee sends it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclarationForm {
    /// Why the committee declares it (the attack, its scale).
    pub reason: String,
    /// When it takes effect (RFC 3339; default: now). Not in the past.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub starts_at: Option<OffsetDateTime>,
    /// When it ends (RFC 3339; default: until the committee ends it).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub ends_at: Option<OffsetDateTime>,
}

/// A declaration's terms, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclarationTerms {
    /// Why.
    pub reason: String,
    /// From.
    pub starts_at: OffsetDateTime,
    /// Until (none: until ended by the committee).
    pub ends_at: Option<OffsetDateTime>,
}

impl DeclarationForm {
    /// Checks the form at `now`: a reason, a start not in the past, an end after both.
    ///
    /// # Errors
    /// [`DomainError::Invalid`] naming the field and value.
    pub fn parse(&self, now: OffsetDateTime) -> Result<DeclarationTerms, DomainError> {
        let reason = text::required("reason", &self.reason, 4000)?;
        let starts_at = self.starts_at.unwrap_or(now);
        if starts_at < now - START_SKEW {
            return Err(DomainError::invalid(
                "starts_at",
                format!(
                    "{} is in the past; a declaration takes effect from now on",
                    rfc3339(starts_at)
                ),
            ));
        }
        if let Some(end) = self.ends_at
            && (end <= starts_at || end <= now)
        {
            return Err(DomainError::invalid(
                "ends_at",
                format!(
                    "{} is not after the start ({}) and now",
                    rfc3339(end),
                    rfc3339(starts_at)
                ),
            ));
        }
        Ok(DeclarationTerms {
            reason,
            starts_at,
            ends_at: self.ends_at,
        })
    }
}

/// Where a declaration stands at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeclarationStatus {
    /// Proposed by one committee member; a second must confirm it.
    Proposed,
    /// Its end passed before anyone confirmed it.
    Lapsed,
    /// Confirmed; its start is still ahead.
    Scheduled,
    /// Confirmed and between its start and end: binding requests may be sent.
    InForce,
    /// Confirmed, and its end (or the committee's early end) has passed.
    Ended,
}

/// A declaration of a large-scale cyber attack (大規模サイバー攻撃等) by the steering
/// committee: only while one is in force are requests for information binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declaration {
    /// Identifier.
    pub id: Uuid,
    /// Why, start and end.
    pub terms: DeclarationTerms,
    /// The committee ended it before its planned end.
    pub ended_early: bool,
    /// The committee member that proposed it.
    pub proposed_by: MemberId,
    /// The second, different committee member that confirmed it.
    pub confirmed_by: Option<MemberId>,
    /// When it was confirmed.
    pub confirmed_at: Option<OffsetDateTime>,
    /// When it was proposed.
    pub created_at: OffsetDateTime,
}

impl Declaration {
    /// Where it stands at `t`.
    #[must_use]
    pub fn status(&self, t: OffsetDateTime) -> DeclarationStatus {
        let over = self.terms.ends_at.is_some_and(|end| t >= end);
        match (self.confirmed_by.is_some(), over) {
            (false, false) => DeclarationStatus::Proposed,
            (false, true) => DeclarationStatus::Lapsed,
            (true, true) => DeclarationStatus::Ended,
            (true, false) if t < self.terms.starts_at => DeclarationStatus::Scheduled,
            (true, false) => DeclarationStatus::InForce,
        }
    }

    /// Whether it is in force at `t`: confirmed, started and not ended.
    #[must_use]
    pub fn in_force(&self, t: OffsetDateTime) -> bool {
        self.status(t) == DeclarationStatus::InForce
    }

    /// Records the confirmation by committee member `by` at `now`.
    ///
    /// # Errors
    /// [`DomainError::Conflict`] when `by` proposed it (a second, different member must
    /// confirm), when it is already confirmed, or when its end has passed.
    pub fn confirm(&mut self, by: MemberId, now: OffsetDateTime) -> Result<(), DomainError> {
        match self.status(now) {
            DeclarationStatus::Proposed => {}
            DeclarationStatus::Lapsed => {
                return Err(DomainError::Conflict(
                    "the declaration's end passed before it was confirmed".into(),
                ));
            }
            _ => {
                return Err(DomainError::Conflict(
                    "the declaration is already confirmed".into(),
                ));
            }
        }
        if by == self.proposed_by {
            return Err(DomainError::Conflict(
                "your member proposed this declaration; a second, different committee member must confirm it".into(),
            ));
        }
        self.confirmed_by = Some(by);
        self.confirmed_at = Some(now);
        Ok(())
    }

    /// Ends a confirmed declaration at `now`, before its planned end.
    ///
    /// # Errors
    /// [`DomainError::Conflict`] when it is not confirmed or already ended.
    pub fn end_early(&mut self, now: OffsetDateTime) -> Result<(), DomainError> {
        match self.status(now) {
            DeclarationStatus::InForce | DeclarationStatus::Scheduled => {
                self.terms.ends_at = Some(now);
                self.ended_early = true;
                Ok(())
            }
            DeclarationStatus::Ended => Err(DomainError::Conflict(
                "the declaration has already ended".into(),
            )),
            DeclarationStatus::Proposed | DeclarationStatus::Lapsed => Err(DomainError::Conflict(
                "the declaration was never confirmed, so it is not in force".into(),
            )),
        }
    }
}

/// The declaration a binding request sent at `t` rests on: of those in force, the one
/// that lasts longest (an open-ended one first).
#[must_use]
pub fn in_force_at(declarations: &[Declaration], t: OffsetDateTime) -> Option<&Declaration> {
    declarations
        .iter()
        .filter(|d| d.in_force(t))
        .max_by_key(|d| (d.terms.ends_at.is_none(), d.terms.ends_at))
}

/// Who a request for information is addressed to: members matching any part.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RfiTarget {
    /// Every active member.
    #[serde(default)]
    pub all: bool,
    /// Members of these classes.
    #[serde(default)]
    pub classes: BTreeSet<MemberClass>,
    /// Members of these sectors.
    #[serde(default)]
    pub sectors: BTreeSet<Sector>,
    /// These members.
    #[serde(default)]
    pub members: BTreeSet<MemberId>,
}

impl RfiTarget {
    /// Whether `member` is addressed (active members only).
    #[must_use]
    pub fn includes(&self, member: &Member) -> bool {
        member.is_active()
            && (self.all
                || self.classes.contains(&member.class)
                || self.sectors.contains(&member.sector)
                || self.members.contains(&member.id))
    }

    /// Names nobody.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        !self.all && self.classes.is_empty() && self.sectors.is_empty() && self.members.is_empty()
    }
}

/// A request for information as the coordinator sends it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RfiForm {
    /// Short title.
    pub title: String,
    /// What is asked.
    pub question: String,
    /// Who is asked.
    pub target: RfiTarget,
    /// Binding (only while a declaration is in force) or voluntary (the default).
    #[serde(default)]
    pub binding: bool,
}

/// A request's content, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RfiContent {
    /// Title.
    pub title: String,
    /// Question.
    pub question: String,
    /// Addressees.
    pub target: RfiTarget,
    /// Asked to be binding.
    pub binding: bool,
}

impl RfiForm {
    /// Checks the form.
    ///
    /// # Errors
    /// [`DomainError::Invalid`] naming the field.
    pub fn parse(self) -> Result<RfiContent, DomainError> {
        if self.target.is_empty() {
            return Err(DomainError::invalid(
                "target",
                "names nobody; give all, classes, sectors or members",
            ));
        }
        Ok(RfiContent {
            title: text::required("title", &self.title, 200)?,
            question: text::required("question", &self.question, 8000)?,
            target: self.target,
            binding: self.binding,
        })
    }
}

/// The declaration a request rests on at `now`: none for a voluntary request.
///
/// # Errors
/// [`DomainError::Conflict`] when a binding request is asked for and no declaration
/// is in force.
pub fn binding_basis(
    content: &RfiContent,
    declarations: &[Declaration],
    now: OffsetDateTime,
) -> Result<Option<Uuid>, DomainError> {
    if !content.binding {
        return Ok(None);
    }
    in_force_at(declarations, now)
        .map(|d| Some(d.id))
        .ok_or_else(|| {
            DomainError::Conflict(
                "a binding request needs a declaration of a large-scale cyber attack in force, and none is; send it with binding: false as a voluntary request".into(),
            )
        })
}

/// A request for information as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rfi {
    /// Identifier.
    pub id: Uuid,
    /// Title.
    pub title: String,
    /// Question.
    pub question: String,
    /// Addressees as named by the coordinator (resolved to members when sent).
    pub target: RfiTarget,
    /// The declaration that makes it binding; none: voluntary.
    pub declaration: Option<Uuid>,
    /// The coordinator's member.
    pub sent_by: MemberId,
    /// Sent.
    pub created_at: OffsetDateTime,
}

impl Rfi {
    /// Binding (sent under a declaration) rather than voluntary.
    #[must_use]
    pub fn binding(&self) -> bool {
        self.declaration.is_some()
    }
}

/// A member's answer as sent.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerForm {
    /// The answer.
    pub text: String,
    /// Shared items that answer it (items the member may see).
    #[serde(default)]
    pub items: Vec<ItemId>,
}

impl AnswerForm {
    /// Checks the form: text, and at most [`MAX_ANSWER_ITEMS`] distinct items.
    ///
    /// # Errors
    /// [`DomainError::Invalid`] naming the field.
    pub fn parse(self) -> Result<(String, Vec<ItemId>), DomainError> {
        let text = text::required("text", &self.text, 8000)?;
        if self.items.len() > MAX_ANSWER_ITEMS {
            return Err(DomainError::invalid(
                "items",
                format!(
                    "{} items; at most {MAX_ANSWER_ITEMS} are allowed",
                    self.items.len()
                ),
            ));
        }
        let mut seen = BTreeSet::new();
        let items = self.items.into_iter().filter(|i| seen.insert(*i)).collect();
        Ok((text, items))
    }
}

/// A member's answer to a request, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RfiAnswer {
    /// Identifier.
    pub id: Uuid,
    /// The request.
    pub rfi: Uuid,
    /// The answering member.
    pub member: MemberId,
    /// Its user who answered.
    pub user: UserId,
    /// The answer.
    pub text: String,
    /// Linked shared items.
    pub items: Vec<ItemId>,
    /// A binding request answered after its declaration ended.
    pub late: bool,
    /// When.
    pub created_at: OffsetDateTime,
}

/// Whether an answer at `t` is late: its request was binding and the declaration it
/// rests on has ended (the answer is accepted all the same).
#[must_use]
pub fn answer_is_late(declaration: Option<&Declaration>, t: OffsetDateTime) -> bool {
    declaration.is_some_and(|d| d.status(t) == DeclarationStatus::Ended)
}

/// A general-assembly vote as the secretariat opens it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoteForm {
    /// The question (a rule amendment, for example).
    pub question: String,
    /// The choices, 2 to 20, distinct.
    pub choices: Vec<String>,
    /// When voting closes (RFC 3339), in the future and within a year.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub closes_at: OffsetDateTime,
}

/// A vote as stored. Who voted and the ballots are stored apart (see the store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vote {
    /// Identifier.
    pub id: Uuid,
    /// Question.
    pub question: String,
    /// Choices, addressed by index from 0.
    pub choices: Vec<String>,
    /// Voting closes.
    pub closes_at: OffsetDateTime,
    /// The secretariat's member.
    pub opened_by: MemberId,
    /// Opened.
    pub created_at: OffsetDateTime,
}

impl VoteForm {
    /// Checks the form at `now` into a vote opened by `by`.
    ///
    /// # Errors
    /// [`DomainError::Invalid`] naming the field and value.
    pub fn parse(self, by: MemberId, now: OffsetDateTime) -> Result<Vote, DomainError> {
        let question = text::required("question", &self.question, 2000)?;
        let n = self.choices.len();
        if !(MIN_CHOICES..=MAX_CHOICES).contains(&n) {
            return Err(DomainError::invalid(
                "choices",
                format!("{n} given; a vote offers {MIN_CHOICES} to {MAX_CHOICES} choices"),
            ));
        }
        let mut choices: Vec<String> = Vec::with_capacity(n);
        for (i, c) in self.choices.iter().enumerate() {
            let c = text::required("choices", c, 200).map_err(|e| match e {
                DomainError::Invalid { reason, .. } => {
                    DomainError::invalid("choices", format!("choice {i} {reason}"))
                }
                other => other,
            })?;
            if choices.iter().any(|o| o.to_lowercase() == c.to_lowercase()) {
                return Err(DomainError::invalid(
                    "choices",
                    format!("choice {i} ({c:?}) repeats an earlier choice"),
                ));
            }
            choices.push(c);
        }
        if self.closes_at <= now {
            return Err(DomainError::invalid(
                "closes_at",
                format!("{} is not in the future", rfc3339(self.closes_at)),
            ));
        }
        if self.closes_at > now + MAX_VOTE_OPEN {
            return Err(DomainError::invalid(
                "closes_at",
                format!("{} is more than a year ahead", rfc3339(self.closes_at)),
            ));
        }
        Ok(Vote {
            id: Uuid::now_v7(),
            question,
            choices,
            closes_at: self.closes_at,
            opened_by: by,
            created_at: now,
        })
    }
}

impl Vote {
    /// Whether voting has closed at `t` (results are shown from then on).
    #[must_use]
    pub fn closed(&self, t: OffsetDateTime) -> bool {
        t >= self.closes_at
    }

    /// Checks a ballot for `choice` may be cast at `now`.
    ///
    /// # Errors
    /// [`DomainError::Conflict`] after closing; [`DomainError::Invalid`] naming `choice`
    /// when it is not one of the choices.
    pub fn check_ballot(&self, choice: u32, now: OffsetDateTime) -> Result<(), DomainError> {
        if self.closed(now) {
            return Err(DomainError::Conflict(format!(
                "voting closed at {}",
                rfc3339(self.closes_at)
            )));
        }
        if usize::try_from(choice)
            .ok()
            .and_then(|c| self.choices.get(c))
            .is_none()
        {
            return Err(DomainError::invalid(
                "choice",
                format!(
                    "{choice} is not one of the choices (0 to {})",
                    self.choices.len() - 1
                ),
            ));
        }
        Ok(())
    }
}

/// The hash under which a receipt code is published on the bulletin board: SHA-256 of
/// the code's text, in lowercase hex. A member finds its own vote by hashing its code.
#[must_use]
pub fn receipt_hash(receipt: &str) -> String {
    hex::encode(Sha256::digest(receipt.as_bytes()))
}

/// Counts the ballots per choice; `None` when a ballot names no choice of the vote.
#[must_use]
pub fn tally(choices: usize, ballots: impl IntoIterator<Item = u32>) -> Option<Vec<u64>> {
    let mut counts = vec![0_u64; choices];
    for b in ballots {
        *counts.get_mut(usize::try_from(b).ok()?)? += 1;
    }
    Some(counts)
}

/// The share of the electorate that voted, from 0 to 1 (0 for an empty electorate).
#[must_use]
#[allow(clippy::cast_precision_loss)]
pub fn turnout(ballots: u64, electorate: u64) -> f64 {
    if electorate == 0 {
        0.0
    } else {
        (ballots as f64 / electorate as f64).min(1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2027-01-10 09:00 UTC);

    fn declaration(ends: Option<OffsetDateTime>) -> Declaration {
        Declaration {
            id: Uuid::now_v7(),
            terms: DeclarationTerms {
                reason: "nationwide DDoS".into(),
                starts_at: NOW,
                ends_at: ends,
            },
            ended_early: false,
            proposed_by: MemberId::new(),
            confirmed_by: None,
            confirmed_at: None,
            created_at: NOW,
        }
    }

    #[test]
    fn declaration_form_names_the_field() {
        let form = |reason: &str, starts, ends| DeclarationForm {
            reason: reason.into(),
            starts_at: starts,
            ends_at: ends,
        };
        let ok = form("wiper campaign", None, Some(NOW + Duration::days(7)))
            .parse(NOW)
            .unwrap();
        assert_eq!(ok.starts_at, NOW);
        let e = form(" ", None, None).parse(NOW).unwrap_err();
        assert!(e.to_string().starts_with("reason:"));
        let e = form("x", Some(NOW - Duration::hours(1)), None)
            .parse(NOW)
            .unwrap_err();
        assert!(e.to_string().starts_with("starts_at:"));
        let e = form("x", None, Some(NOW)).parse(NOW).unwrap_err();
        assert!(e.to_string().starts_with("ends_at:"));
        let e = form(
            "x",
            Some(NOW + Duration::days(2)),
            Some(NOW + Duration::days(1)),
        )
        .parse(NOW)
        .unwrap_err();
        assert!(e.to_string().starts_with("ends_at:"));
    }

    #[test]
    fn in_force_only_when_confirmed_by_another_member_and_between_start_and_end() {
        let end = NOW + Duration::days(3);
        let mut d = declaration(Some(end));
        assert_eq!(d.status(NOW), DeclarationStatus::Proposed);
        assert!(!d.in_force(NOW));
        let proposer = d.proposed_by;
        assert!(matches!(
            d.confirm(proposer, NOW),
            Err(DomainError::Conflict(_))
        ));
        let second = MemberId::new();
        d.confirm(second, NOW).unwrap();
        assert!(d.confirm(MemberId::new(), NOW).is_err());
        assert!(d.in_force(NOW));
        assert!(d.in_force(end - Duration::SECOND));
        assert!(!d.in_force(end));
        assert_eq!(d.status(end), DeclarationStatus::Ended);
        assert_eq!(
            d.status(NOW - Duration::SECOND),
            DeclarationStatus::Scheduled
        );
    }

    #[test]
    fn a_proposal_lapses_at_its_end() {
        let end = NOW + Duration::hours(1);
        let mut d = declaration(Some(end));
        assert_eq!(d.status(end), DeclarationStatus::Lapsed);
        assert!(d.confirm(MemberId::new(), end).is_err());
    }

    #[test]
    fn early_end() {
        let mut d = declaration(None);
        assert!(d.end_early(NOW).is_err());
        d.confirm(MemberId::new(), NOW).unwrap();
        let later = NOW + Duration::hours(5);
        assert!(d.in_force(later));
        d.end_early(later).unwrap();
        assert!(d.ended_early);
        assert!(!d.in_force(later));
        assert!(d.end_early(later).is_err());
        assert!(answer_is_late(Some(&d), later));
        assert!(!answer_is_late(Some(&d), later - Duration::SECOND));
        assert!(!answer_is_late(None, later));
    }

    #[test]
    fn binding_needs_a_declaration_in_force() {
        let content = RfiForm {
            title: "Logs".into(),
            question: "Send your firewall logs".into(),
            target: RfiTarget {
                all: true,
                ..RfiTarget::default()
            },
            binding: true,
        }
        .parse()
        .unwrap();
        assert!(matches!(
            binding_basis(&content, &[], NOW),
            Err(DomainError::Conflict(_))
        ));
        let mut short = declaration(Some(NOW + Duration::days(1)));
        short.confirm(MemberId::new(), NOW).unwrap();
        let mut open = declaration(None);
        open.confirm(MemberId::new(), NOW).unwrap();
        let proposal = declaration(None);
        let all = [short.clone(), proposal, open.clone()];
        assert_eq!(binding_basis(&content, &all, NOW).unwrap(), Some(open.id));
        assert_eq!(
            binding_basis(&content, &[short.clone()], NOW).unwrap(),
            Some(short.id)
        );
        let voluntary = RfiContent {
            binding: false,
            ..content
        };
        assert_eq!(binding_basis(&voluntary, &[], NOW).unwrap(), None);
    }

    #[test]
    fn rfi_and_answer_forms() {
        let e = RfiForm {
            title: "t".into(),
            question: "q".into(),
            target: RfiTarget::default(),
            binding: false,
        }
        .parse()
        .unwrap_err();
        assert!(e.to_string().starts_with("target:"));
        let item = ItemId::new();
        let (text, items) = AnswerForm {
            text: " seen it ".into(),
            items: vec![item, item],
        }
        .parse()
        .unwrap();
        assert_eq!((text.as_str(), items), ("seen it", vec![item]));
        let e = AnswerForm {
            text: "x".into(),
            items: (0..51).map(|_| ItemId::new()).collect(),
        }
        .parse()
        .unwrap_err();
        assert!(e.to_string().starts_with("items:"));
    }

    fn vote_form(choices: &[&str], closes_at: OffsetDateTime) -> VoteForm {
        VoteForm {
            question: "Amend article 7?".into(),
            choices: choices.iter().map(|c| (*c).to_owned()).collect(),
            closes_at,
        }
    }

    #[test]
    fn vote_forms_name_the_field() {
        let by = MemberId::new();
        let week = NOW + Duration::days(7);
        assert!(vote_form(&["Yes", "No"], week).parse(by, NOW).is_ok());
        for (choices, closes, field) in [
            (vec!["Yes"], week, "choices"),
            (vec!["Yes"; 21], week, "choices"),
            (vec!["Yes", "yes "], week, "choices"),
            (vec!["Yes", " "], week, "choices"),
            (vec!["Yes", "No"], NOW, "closes_at"),
            (vec!["Yes", "No"], NOW + Duration::days(400), "closes_at"),
        ] {
            let e = vote_form(&choices, closes).parse(by, NOW).unwrap_err();
            assert!(e.to_string().starts_with(field), "{e}");
        }
    }

    #[test]
    fn ballots_only_while_open_and_for_a_choice() {
        let v = vote_form(&["Yes", "No", "Abstain"], NOW + Duration::days(1))
            .parse(MemberId::new(), NOW)
            .unwrap();
        assert!(v.check_ballot(2, NOW).is_ok());
        assert!(matches!(
            v.check_ballot(3, NOW),
            Err(DomainError::Invalid {
                field: "choice",
                ..
            })
        ));
        assert!(matches!(
            v.check_ballot(0, v.closes_at),
            Err(DomainError::Conflict(_))
        ));
        assert!(!v.closed(v.closes_at - Duration::SECOND));
    }

    #[test]
    fn tallies_and_receipts() {
        assert_eq!(tally(3, [0, 2, 0, 0]), Some(vec![3, 0, 1]));
        assert_eq!(tally(2, [2]), None);
        assert_eq!(tally(2, []), Some(vec![0, 0]));
        assert!((turnout(3, 4) - 0.75).abs() < f64::EPSILON);
        assert!(turnout(0, 0).abs() < f64::EPSILON);
        assert_eq!(
            receipt_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
