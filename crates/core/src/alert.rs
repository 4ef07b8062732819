//! Early-warning alerts (早期警戒情報, M3.1–M3.3): issued in one voice by the coordinator
//! and the members it designates, targeted at all members, classes, sectors or named
//! members, updated or withdrawn, each revision delivered again. Exercises are flagged
//! on every channel.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::DomainError;
use crate::asset::{AffectedAsset, ProductCriteria};
use crate::ids::{AlertId, ItemId, MemberId};
use crate::indicator::{CveId, Indicator, IndicatorKind};
use crate::item::RawIndicator;
use crate::member::{Member, MemberClass, Sector, SpecialRole};
use crate::text;
use crate::user::Viewer;
use crate::view::{ItemView, VIA};

/// How bad it is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Act now.
    Critical,
    /// Act today.
    High,
    /// Act this week.
    Medium,
    /// For awareness.
    Low,
}

impl Severity {
    /// The stable identifier.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Critical => "critical",
            Self::High => "high",
            Self::Medium => "medium",
            Self::Low => "low",
        }
    }
}

/// Who an alert is for. Members matching any part are targeted. The product parts
/// reach the members whose registered assets are affected; which members those are is
/// known only inside the server and to each of them about itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertTarget {
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
    /// Members running a product these criteria match (CPE with version ranges, purl).
    #[serde(default, skip_serializing_if = "ProductCriteria::is_empty")]
    pub products: ProductCriteria,
    /// Members running a product affected by these published catalogue entries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kev: Vec<CveId>,
    /// Members running a known-affected product of these CSAF advisories (ids).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub advisories: Vec<String>,
}

impl AlertTarget {
    /// Whether `member` is targeted by class, sector, name or as everyone (the product
    /// parts are resolved into [`AlertContent::affected`]).
    #[must_use]
    pub fn includes(&self, member: &Member) -> bool {
        // Alerts are the council's own early warning: partners receive items only.
        member.is_active()
            && member.class != MemberClass::Partner
            && (self.all
                || self.classes.contains(&member.class)
                || self.sectors.contains(&member.sector)
                || self.members.contains(&member.id))
    }

    /// Names members only through the products they run.
    #[must_use]
    pub fn by_product(&self) -> bool {
        !self.products.is_empty() || !self.kev.is_empty() || !self.advisories.is_empty()
    }

    fn is_empty(&self) -> bool {
        !self.all
            && self.classes.is_empty()
            && self.sectors.is_empty()
            && self.members.is_empty()
            && !self.by_product()
    }
}

/// An alert as sent to the API.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertForm {
    /// Title.
    pub title: String,
    /// Severity.
    pub severity: Severity,
    /// What recipients must do ("do not boot unpatched PCs").
    pub action_required: String,
    /// By when (RFC 3339).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub deadline: Option<OffsetDateTime>,
    /// The deadline as people say it ("before 08:30 JST Monday").
    #[serde(default)]
    pub deadline_text: String,
    /// For executives.
    #[serde(default)]
    pub body_executive: String,
    /// For analysts.
    #[serde(default)]
    pub body_analyst: String,
    /// Related shared items: each recipient sees those its policy view allows.
    #[serde(default)]
    pub related_items: Vec<ItemId>,
    /// CVE ids.
    #[serde(default)]
    pub cves: Vec<String>,
    /// Indicators.
    #[serde(default)]
    pub indicators: Vec<RawIndicator>,
    /// Who it is for.
    pub target: AlertTarget,
    /// A training exercise, not a real event (M3.3).
    #[serde(default)]
    pub exercise: bool,
}

/// An alert's checked content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertContent {
    /// Title.
    pub title: String,
    /// Severity.
    pub severity: Severity,
    /// Required action.
    pub action_required: String,
    /// Deadline.
    #[serde(with = "time::serde::rfc3339::option")]
    pub deadline: Option<OffsetDateTime>,
    /// Deadline as text.
    pub deadline_text: String,
    /// For executives.
    pub body_executive: String,
    /// For analysts.
    pub body_analyst: String,
    /// Related items.
    pub related_items: Vec<ItemId>,
    /// CVEs.
    pub cves: Vec<CveId>,
    /// Indicators.
    pub indicators: Vec<Indicator>,
    /// Target.
    pub target: AlertTarget,
    /// Exercise flag.
    pub exercise: bool,
    /// The members running an affected product, with their affected assets: resolved
    /// by the server from the target's product parts when each revision is published.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub affected: BTreeMap<MemberId, Vec<AffectedAsset>>,
}

impl AlertContent {
    /// Whether `member` receives the alert: targeted by class, sector, name or as
    /// everyone, or running an affected product.
    #[must_use]
    pub fn targets(&self, member: &Member) -> bool {
        self.target.includes(member)
            || (member.is_active() && self.affected.contains_key(&member.id))
    }

    /// Whether `member` is reached only because of the products it runs: such members
    /// are counted, never named, in anything shown to the issuer or the coordinator.
    #[must_use]
    pub fn only_by_product(&self, member: &Member) -> bool {
        !self.target.includes(member) && self.affected.contains_key(&member.id)
    }
}

impl AlertForm {
    /// Checks every field.
    ///
    /// # Errors
    /// [`DomainError::Invalid`] naming the first bad field.
    pub fn parse(self) -> Result<AlertContent, DomainError> {
        let title = text::required("title", &self.title, 300)?;
        let action_required = text::required("action_required", &self.action_required, 2000)?;
        if self.target.is_empty() {
            return Err(DomainError::invalid(
                "target",
                "names nobody: give all, classes, sectors, members, products, kev or advisories",
            ));
        }
        if self.target.members.len() > 10_000
            || self.target.products.cpe.len() + self.target.products.purl.len() > 1000
            || self.target.kev.len() > 100
            || self.target.advisories.len() > 100
            || self.related_items.len() > 100
            || self.indicators.len() > 1000
        {
            return Err(DomainError::invalid(
                "target",
                "too many members, items or indicators",
            ));
        }
        let cves = self
            .cves
            .iter()
            .enumerate()
            .map(|(i, c)| {
                CveId::parse(c).map_err(|e| DomainError::invalid("cves", format!("[{i}]: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let indicators = self
            .indicators
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let kind = IndicatorKind::parse(&r.kind).ok_or_else(|| {
                    DomainError::invalid("indicators", format!("[{i}]: unknown type {:?}", r.kind))
                })?;
                Indicator::parse(kind, &r.value)
                    .map_err(|e| DomainError::invalid("indicators", format!("[{i}]: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(AlertContent {
            title,
            severity: self.severity,
            action_required,
            deadline: self.deadline,
            deadline_text: text::optional("deadline_text", &self.deadline_text, 200)?,
            body_executive: text::optional("body_executive", &self.body_executive, 20_000)?,
            body_analyst: text::optional("body_analyst", &self.body_analyst, 20_000)?,
            related_items: self.related_items,
            cves,
            indicators,
            target: self.target,
            exercise: self.exercise,
            affected: BTreeMap::new(),
        })
    }
}

/// Whether an alert is in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    /// In force.
    Active,
    /// Withdrawn by its issuer.
    Withdrawn,
}

impl AlertStatus {
    /// The stable identifier.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Withdrawn => "withdrawn",
        }
    }

    /// Parses [`AlertStatus::as_str`] back.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Active, Self::Withdrawn]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// An alert as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    /// Identifier.
    pub id: AlertId,
    /// The issuing member: the council speaks with one voice, so only the coordinator
    /// sees who it was.
    pub issuer: MemberId,
    /// Content.
    pub content: AlertContent,
    /// Status.
    pub status: AlertStatus,
    /// Revision, from 1; each is delivered.
    pub revision: i64,
    /// Issued.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// Checks that `v` may issue, update or withdraw council-wide alerts ("one voice"):
/// the coordinator, and members it designated with the alert-issuer role.
///
/// # Errors
/// [`DomainError::Forbidden`] otherwise.
pub fn ensure_issuer(v: &Viewer) -> Result<(), DomainError> {
    v.ensure_can_act()?;
    let m = &v.member;
    if m.is_active()
        && (m.has_role(SpecialRole::Coordinator) || m.has_role(SpecialRole::AlertIssuer))
    {
        Ok(())
    } else {
        Err(DomainError::Forbidden(
            "only the coordinator and the members it designates issue alerts".into(),
        ))
    }
}

/// An alert as one recipient sees it. Related items are the recipient's own views of them.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AlertView {
    /// Identifier.
    pub id: AlertId,
    /// Revision.
    pub revision: i64,
    /// Status.
    pub status: AlertStatus,
    /// A training exercise (M3.3).
    pub exercise: bool,
    /// Title, prefixed 【訓練 / EXERCISE】 for exercises so no channel can lose the flag.
    pub title: String,
    /// Severity.
    pub severity: Severity,
    /// Required action.
    pub action_required: String,
    /// Deadline.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub deadline: Option<OffsetDateTime>,
    /// Deadline as text.
    pub deadline_text: String,
    /// For executives.
    pub body_executive: String,
    /// For analysts.
    pub body_analyst: String,
    /// The related items this recipient may see.
    pub related_items: Vec<ItemView>,
    /// CVEs.
    pub cves: Vec<CveId>,
    /// Indicators.
    pub indicators: Vec<Indicator>,
    /// Always "coordinator": the council speaks with one voice.
    #[schema(value_type = String)]
    pub via: &'static str,
    /// The issuing member: coordinator only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<MemberId>,
    /// The target: issuer and coordinator only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<AlertTarget>,
    /// Which of the recipient's own assets run an affected product (only its own).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub affected_assets: Vec<AffectedAsset>,
    /// How many members run an affected product: issuer and coordinator only, and
    /// only for alerts targeted by product. A count, never who.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub affected_members: Option<usize>,
    /// Issued.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    /// Last changed.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
}

/// The marker every channel puts in front of an exercise's title.
pub const EXERCISE_MARK: &str = "【訓練 / EXERCISE】";

/// The alert as `viewer` may see it: targeted members, the issuer and the coordinator;
/// `None` (not found) for anyone else. `related` are the recipient's views of the
/// related items, already passed through [`crate::view::view`] by the caller.
#[must_use]
pub fn alert_view(alert: &Alert, viewer: &Viewer, related: Vec<ItemView>) -> Option<AlertView> {
    let m = &viewer.member;
    if viewer.user.disabled || viewer.user.member_id != m.id || !m.is_active() {
        return None;
    }
    let coordinator = m.has_role(SpecialRole::Coordinator);
    let issuer = alert.issuer == m.id;
    if !(coordinator || issuer || alert.content.targets(m)) {
        return None;
    }
    let c = &alert.content;
    let title = if c.exercise {
        format!("{EXERCISE_MARK} {}", c.title)
    } else {
        c.title.clone()
    };
    Some(AlertView {
        id: alert.id,
        revision: alert.revision,
        status: alert.status,
        exercise: c.exercise,
        title,
        severity: c.severity,
        action_required: c.action_required.clone(),
        deadline: c.deadline,
        deadline_text: c.deadline_text.clone(),
        body_executive: c.body_executive.clone(),
        body_analyst: c.body_analyst.clone(),
        related_items: related,
        cves: c.cves.clone(),
        indicators: c.indicators.clone(),
        via: VIA,
        issuer: coordinator.then_some(alert.issuer),
        target: (coordinator || issuer).then(|| c.target.clone()),
        affected_assets: c.affected.get(&m.id).cloned().unwrap_or_default(),
        affected_members: ((coordinator || issuer) && c.target.by_product())
            .then_some(c.affected.len()),
        created_at: alert.created_at,
        updated_at: alert.updated_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::UserId;
    use crate::member::tests::member;
    use crate::user::{User, UserRole};

    fn viewer(m: Member) -> Viewer {
        Viewer {
            user: User {
                id: UserId::new(),
                member_id: m.id,
                login: "u".into(),
                role: UserRole::Admin,
                disabled: false,
            },
            member: m,
            clearance: crate::clearance::Clearance::none(),
        }
    }

    fn form(target: serde_json::Value, exercise: bool) -> AlertForm {
        serde_json::from_value(serde_json::json!({
            "title": "Do not boot unpatched PCs", "severity": "critical",
            "action_required": "Keep PCs off until MS17-010 is applied", "deadline_text": "before 08:30 JST Monday",
            "target": target, "exercise": exercise, "cves": ["CVE-2017-0144"]
        }))
        .unwrap()
    }

    #[test]
    fn targets_and_one_voice() {
        let coordinator = member(MemberClass::Class1, &[SpecialRole::Coordinator]);
        let hospital = member(MemberClass::Class2, &[]);
        let mut gas = member(MemberClass::General, &[]);
        gas.sector = Sector::Gas;
        let content = form(serde_json::json!({"sectors": ["electricity"]}), false)
            .parse()
            .unwrap();
        let alert = Alert {
            id: AlertId::new(),
            issuer: coordinator.id,
            content,
            status: AlertStatus::Active,
            revision: 1,
            created_at: OffsetDateTime::UNIX_EPOCH,
            updated_at: OffsetDateTime::UNIX_EPOCH,
        };
        let seen = alert_view(&alert, &viewer(hospital.clone()), vec![]).unwrap();
        assert_eq!(seen.via, "coordinator");
        assert!(seen.issuer.is_none() && seen.target.is_none());
        assert!(alert_view(&alert, &viewer(gas), vec![]).is_none());
        let c = alert_view(&alert, &viewer(coordinator.clone()), vec![]).unwrap();
        assert_eq!(c.issuer, Some(coordinator.id));
        assert!(ensure_issuer(&viewer(coordinator)).is_ok());
        assert!(ensure_issuer(&viewer(hospital.clone())).is_err());
        let mut designated = hospital;
        designated.roles.insert(SpecialRole::AlertIssuer);
        assert!(ensure_issuer(&viewer(designated)).is_ok());
    }

    #[test]
    fn partners_are_never_alerted() {
        let mut partner = member(MemberClass::Partner, &[]);
        partner.sector = Sector::Electricity;
        for target in [
            serde_json::json!({"all": true}),
            serde_json::json!({"sectors": ["electricity"]}),
            serde_json::json!({"classes": ["partner"]}),
            serde_json::json!({"members": [partner.id]}),
        ] {
            let content = form(target.clone(), false).parse().unwrap();
            assert!(!content.targets(&partner), "{target}");
        }
        let everyone = form(serde_json::json!({"all": true}), false)
            .parse()
            .unwrap();
        assert!(everyone.targets(&member(MemberClass::General, &[])));
    }

    #[test]
    fn exercises_are_marked_and_bad_alerts_named() {
        let content = form(serde_json::json!({"all": true}), true)
            .parse()
            .unwrap();
        let m = member(MemberClass::General, &[]);
        let alert = Alert {
            id: AlertId::new(),
            issuer: MemberId::new(),
            content,
            status: AlertStatus::Active,
            revision: 1,
            created_at: OffsetDateTime::UNIX_EPOCH,
            updated_at: OffsetDateTime::UNIX_EPOCH,
        };
        assert!(
            alert_view(&alert, &viewer(m), vec![])
                .unwrap()
                .title
                .starts_with(EXERCISE_MARK)
        );
        let err = form(serde_json::json!({}), false).parse().unwrap_err();
        assert!(err.to_string().starts_with("target:"));
        let mut no_action = form(serde_json::json!({"all": true}), false);
        no_action.action_required = " ".into();
        assert!(
            no_action
                .parse()
                .unwrap_err()
                .to_string()
                .starts_with("action_required:")
        );
    }
}
