//! The policy view (M2.3, M2.4, M1.8): the one function through which item data
//! leaves the system. Every endpoint, feed, export and notification builds what it
//! sends from [`view`]; nothing else reads an [`Item`] on a recipient's behalf.
//!
//! [`view`] first decides the viewer's [`Audience`] (or that the item does not exist
//! for it), then builds the view by copying, per audience, only the fields that audience
//! may see.

use serde::Serialize;
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::ids::{ItemId, MemberId};
use crate::indicator::{CveId, Indicator, TechniqueId, Tlp};
use crate::item::{Confidence, Item, ItemKind, ItemStatus, Product};
use crate::member::{MemberClass, Sector, SpecialRole};
use crate::scope::{Scope, in_scope};
use crate::user::Viewer;

/// What every recipient is told about an item's origin: it came through the hub.
pub const VIA: &str = "coordinator";
/// What [`ItemView::via`] says of an item a partner council sent.
pub const VIA_PARTNER: &str = "partner";

/// Which fields of an item a viewer sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// The provider and the coordinator: everything, including who provided it.
    Full,
    /// Class 1 in scope: everything but the provider and the victim's name.
    Class1,
    /// Class 2 in scope: what is needed for countermeasures; damage as yes/no only.
    Class2,
    /// General members in scope: confirmed countermeasures and best practices, shown
    /// like class 2.
    General,
}

/// The victim as a viewer sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct VictimView {
    /// The victim's name: [`Audience::Full`] only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The victim's sector.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sector: Option<Sector>,
    /// Whether damage occurred.
    pub damaged: bool,
    /// What the damage was: [`Audience::Full`] and [`Audience::Class1`] only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub damage_details: Option<String>,
}

/// An item as one viewer may see it. Built only by [`view`].
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ItemView {
    /// Identifier.
    pub id: ItemId,
    /// Kind.
    pub kind: ItemKind,
    /// Title.
    pub title: String,
    /// Context for executives.
    pub executive_context: String,
    /// The technical part: [`Audience::Full`] and [`Audience::Class1`] only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub technical_details: Option<String>,
    /// What to do.
    pub countermeasures: String,
    /// The victim, masked for the audience.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub victim: Option<VictimView>,
    /// Indicators.
    pub indicators: Vec<Indicator>,
    /// ATT&CK techniques.
    pub techniques: Vec<TechniqueId>,
    /// CVEs.
    pub cves: Vec<CveId>,
    /// Affected products.
    pub products: Vec<Product>,
    /// Confidence.
    pub confidence: Confidence,
    /// TLP 2.0 marking.
    pub tlp: Tlp,
    /// Shared or retracted.
    pub status: ItemStatus,
    /// Revision.
    pub revision: i64,
    /// When it was shared.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    /// When it last changed.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
    /// `"coordinator"`: recipients learn only that the hub relayed it; `"partner"` for
    /// an item a partner council sent, named in `source`.
    #[schema(value_type = String)]
    pub via: &'static str,
    /// The partner council an item came from (federation): every audience sees it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The provider's sector: when the provider chose to show it, and for
    /// [`Audience::Full`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_sector: Option<Sector>,
    /// The provider: [`Audience::Full`] only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<MemberId>,
    /// The sharing scope: [`Audience::Full`] only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<Scope>,
    /// The clearance level the item requires, if any: only users holding it see the
    /// item at all (M2.8).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clearance: Option<String>,
    /// The item's releasable version (tearline), shown only with the cleared item.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tearline: Option<ItemId>,
    /// Which audience this view was built for.
    pub audience: Audience,
}

/// The item as `viewer` may see it, or `None` when it does not exist for the viewer:
/// the caller answers exactly as for an id that does not exist.
///
/// - A disabled user, or a user of a member that is not active, sees nothing.
/// - An item that requires a clearance level does not exist for a user who does not
///   hold that level (or a higher one) now, whoever it is (M2.8).
/// - The provider and the coordinator see everything ([`Audience::Full`]).
/// - Anybody else must be in the item's scope ([`in_scope`]); a member that opted out
///   of confidential information (M1.8) sees no confidential TLP and no unconfirmed
///   item; unconfirmed items reach the task force only (M2.4); general members see
///   confirmed countermeasures and best practices only.
/// - Recipients never learn the provider or the victim's name; class 2 and general
///   members see damage as yes/no and no technical details (M2.3).
///
/// The clock is read here, so that a clearance that expires ends access at once.
#[must_use]
pub fn view(item: &Item, viewer: &Viewer) -> Option<ItemView> {
    view_at(item, viewer, OffsetDateTime::now_utc())
}

/// [`view`] at the moment `now`.
#[must_use]
pub fn view_at(item: &Item, viewer: &Viewer, now: OffsetDateTime) -> Option<ItemView> {
    audience(item, viewer, now).map(|audience| build(item, audience))
}

/// Whether `viewer` holds, at `now`, the clearance `item` requires (true when it
/// requires none). Anything about such an item (an alert relating it, a notice) is for
/// holders only.
#[must_use]
pub fn holds_clearance_for(item: &Item, viewer: &Viewer, now: OffsetDateTime) -> bool {
    item.content
        .clearance
        .as_ref()
        .is_none_or(|level| viewer.clearance.allows(level, now))
}

/// Decides who `viewer` is to `item`, or that the item does not exist for it.
fn audience(item: &Item, viewer: &Viewer, now: OffsetDateTime) -> Option<Audience> {
    let member = &viewer.member;
    if viewer.user.disabled || viewer.user.member_id != member.id || !member.is_active() {
        return None;
    }
    if !holds_clearance_for(item, viewer, now) {
        return None;
    }
    if member.id == item.provider || member.has_role(SpecialRole::Coordinator) {
        return Some(Audience::Full);
    }
    let content = &item.content;
    if !in_scope(&content.scope, item.provider_sector, member) {
        return None;
    }
    let unconfirmed = content.confidence == Confidence::Unconfirmed;
    if member.confidential_opt_out && (content.tlp.is_confidential() || unconfirmed) {
        return None;
    }
    if unconfirmed && !member.in_task_force() {
        return None;
    }
    match member.class {
        MemberClass::Class1 => Some(Audience::Class1),
        MemberClass::Class2 => Some(Audience::Class2),
        // A partner sees what its agreement allows, masked as a class-2 member sees it:
        // no provider, no victim name, no damage or technical details.
        MemberClass::Partner => member
            .agreement
            .as_ref()
            .is_some_and(|a| a.allows(item))
            .then_some(Audience::Class2),
        MemberClass::General => {
            let countermeasure = matches!(
                content.kind,
                ItemKind::Countermeasure | ItemKind::BestPractice
            );
            (countermeasure && content.confidence == Confidence::Confirmed)
                .then_some(Audience::General)
        }
    }
}

/// The parts of an item an audience may see beyond those every audience sees.
struct Shown {
    provider: bool,
    scope: bool,
    victim_name: bool,
    damage_details: bool,
    technical_details: bool,
}

impl Audience {
    fn shown(self) -> Shown {
        match self {
            Self::Full => Shown {
                provider: true,
                scope: true,
                victim_name: true,
                damage_details: true,
                technical_details: true,
            },
            Self::Class1 => Shown {
                provider: false,
                scope: false,
                victim_name: false,
                damage_details: true,
                technical_details: true,
            },
            Self::Class2 | Self::General => Shown {
                provider: false,
                scope: false,
                victim_name: false,
                damage_details: false,
                technical_details: false,
            },
        }
    }
}

/// Builds the view for `audience`, field by field.
fn build(item: &Item, audience: Audience) -> ItemView {
    let shown = audience.shown();
    let content = &item.content;
    ItemView {
        id: item.id,
        kind: content.kind,
        title: content.title.clone(),
        executive_context: content.executive_context.clone(),
        technical_details: shown
            .technical_details
            .then(|| content.technical_details.clone()),
        countermeasures: content.countermeasures.clone(),
        victim: content.victim.as_ref().map(|victim| VictimView {
            name: if shown.victim_name {
                victim.name.clone()
            } else {
                None
            },
            sector: victim.sector,
            damaged: victim.damaged,
            damage_details: shown.damage_details.then(|| victim.damage_details.clone()),
        }),
        indicators: content.indicators.clone(),
        techniques: content.techniques.clone(),
        cves: content.cves.clone(),
        products: content.products.clone(),
        confidence: content.confidence,
        tlp: content.tlp,
        status: item.status,
        revision: item.revision,
        created_at: item.created_at,
        updated_at: item.updated_at,
        via: if content.source.is_some() {
            VIA_PARTNER
        } else {
            VIA
        },
        source: content.source.clone(),
        provider_sector: (shown.provider || content.show_provider_sector)
            .then_some(item.provider_sector),
        provider: shown.provider.then_some(item.provider),
        scope: shown.scope.then(|| content.scope.clone()),
        clearance: content.clearance.clone(),
        tearline: content.tearline,
        audience,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::ids::UserId;
    use crate::indicator::IndicatorKind;
    use crate::item::{ItemContent, Victim};
    use crate::member::tests::member;
    use crate::member::{Member, MemberStatus};
    use crate::scope::tests::{SECTORS, arb_council, arb_scope, reaches};
    use crate::user::{User, UserRole};
    use proptest::prelude::*;

    const VICTIM_NAME: &str = "VICTIM-NAME-SECRET";
    const TECHNICAL: &str = "TECHNICAL-DETAILS-SECRET";
    const DAMAGE: &str = "DAMAGE-DETAILS-SECRET";

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

    fn content(marker: u64, scope: Scope) -> ItemContent {
        ItemContent {
            kind: ItemKind::ThreatInformation,
            title: "Ransomware spreads over SMB".into(),
            executive_context: "Business systems stop.".into(),
            technical_details: format!("{TECHNICAL}-{marker}"),
            countermeasures: "Do not boot unpatched PCs.".into(),
            victim: Some(Victim {
                name: Some(format!("{VICTIM_NAME}-{marker}")),
                sector: Some(Sector::Medical),
                damaged: true,
                damage_details: format!("{DAMAGE}-{marker}"),
            }),
            indicators: vec![
                Indicator::parse(IndicatorKind::Ipv4, "192.0.2.1").unwrap(),
                Indicator::parse(IndicatorKind::Domain, "evil.example").unwrap(),
            ],
            techniques: vec![TechniqueId::parse("T1210").unwrap()],
            cves: vec![CveId::parse("CVE-2017-0144").unwrap()],
            products: vec![Product {
                vendor: "Microsoft".into(),
                product: "Windows".into(),
                version: "7".into(),
                cpe: None,
            }],
            confidence: Confidence::Confirmed,
            tlp: Tlp::Green,
            scope,
            show_provider_sector: false,
            clearance: None,
            tearline: None,
            source: None,
        }
    }

    fn item(provider: &Member, content: ItemContent) -> Item {
        Item {
            id: ItemId::new(),
            provider: provider.id,
            provider_sector: provider.sector,
            content,
            status: ItemStatus::Shared,
            revision: 1,
            created_at: OffsetDateTime::UNIX_EPOCH,
            updated_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    fn all_classes() -> Scope {
        Scope {
            classes: MemberClass::ALL.into(),
            ..Scope::default()
        }
    }

    fn json(v: &ItemView) -> String {
        serde_json::to_string(v).unwrap()
    }

    #[test]
    fn inactive_or_disabled_viewers_see_nothing() {
        let provider = member(MemberClass::Class2, &[]);
        let coordinator = member(MemberClass::Class1, &[SpecialRole::Coordinator]);
        let it = item(&provider, content(1, all_classes()));
        for m in [&provider, &coordinator] {
            assert!(view(&it, &as_viewer(m)).is_some());
            let mut gone = as_viewer(m);
            gone.member.status = MemberStatus::Withdrawn;
            assert_eq!(view(&it, &gone), None);
            let mut disabled = as_viewer(m);
            disabled.user.disabled = true;
            assert_eq!(view(&it, &disabled), None);
            let mut foreign_user = as_viewer(m);
            foreign_user.user.member_id = MemberId::new();
            assert_eq!(view(&it, &foreign_user), None);
        }
    }

    #[test]
    fn provider_and_coordinator_see_everything() {
        let provider = member(MemberClass::General, &[]);
        let coordinator = member(MemberClass::Class1, &[SpecialRole::Coordinator]);
        let mut c = content(1, all_classes());
        c.confidence = Confidence::Unconfirmed;
        c.tlp = Tlp::Red;
        c.scope.excluded = [provider.id, coordinator.id].into();
        let it = item(&provider, c);
        for m in [&provider, &coordinator] {
            let v = view(&it, &as_viewer(m)).unwrap();
            assert_eq!(v.audience, Audience::Full);
            assert_eq!(v.provider, Some(provider.id));
            assert_eq!(v.provider_sector, Some(provider.sector));
            assert_eq!(v.scope.as_ref(), Some(&it.content.scope));
            let victim = v.victim.as_ref().unwrap();
            assert_eq!(victim.name.as_deref(), Some("VICTIM-NAME-SECRET-1"));
            assert_eq!(
                victim.damage_details.as_deref(),
                Some("DAMAGE-DETAILS-SECRET-1")
            );
            assert_eq!(
                v.technical_details.as_deref(),
                Some("TECHNICAL-DETAILS-SECRET-1")
            );
            assert_eq!(v.via, "coordinator");
        }
    }

    #[test]
    fn class1_sees_all_but_provider_and_victim_name() {
        let provider = member(MemberClass::Class2, &[]);
        let class1 = member(MemberClass::Class1, &[]);
        let it = item(&provider, content(7, all_classes()));
        let v = view(&it, &as_viewer(&class1)).unwrap();
        assert_eq!(v.audience, Audience::Class1);
        assert_eq!(v.provider, None);
        assert_eq!(v.provider_sector, None);
        assert_eq!(v.scope, None);
        assert_eq!(
            v.victim,
            Some(VictimView {
                name: None,
                sector: Some(Sector::Medical),
                damaged: true,
                damage_details: Some("DAMAGE-DETAILS-SECRET-7".into()),
            })
        );
        assert_eq!(
            v.technical_details.as_deref(),
            Some("TECHNICAL-DETAILS-SECRET-7")
        );
        assert_eq!(v.indicators, it.content.indicators);
        let text = json(&v);
        assert!(!text.contains(&provider.id.to_string()));
        assert!(!text.contains(&provider.pseudonym));
        assert!(!text.contains("\"provider\""));
        assert!(text.contains("\"via\":\"coordinator\""));
        assert!(text.contains("\"audience\":\"class1\""));
    }

    #[test]
    fn class2_sees_what_countermeasures_need() {
        let provider = member(MemberClass::Class1, &[]);
        let class2 = member(MemberClass::Class2, &[]);
        let it = item(&provider, content(7, all_classes()));
        let v = view(&it, &as_viewer(&class2)).unwrap();
        assert_eq!(v.audience, Audience::Class2);
        assert_eq!(v.technical_details, None);
        assert_eq!(
            v.victim,
            Some(VictimView {
                name: None,
                sector: Some(Sector::Medical),
                damaged: true,
                damage_details: None,
            })
        );
        assert_eq!(v.countermeasures, "Do not boot unpatched PCs.");
        assert_eq!(v.executive_context, it.content.executive_context);
        assert_eq!(v.indicators, it.content.indicators);
        assert_eq!(v.cves, it.content.cves);
        assert_eq!(v.techniques, it.content.techniques);
        assert_eq!(v.products, it.content.products);
        let text = json(&v);
        assert!(!text.contains(TECHNICAL) && !text.contains(DAMAGE) && !text.contains(VICTIM_NAME));
        assert!(!text.contains("technical_details") && !text.contains("damage_details"));
    }

    #[test]
    fn general_members_see_confirmed_countermeasures_only() {
        let provider = member(MemberClass::Class1, &[]);
        let general = member(MemberClass::General, &[]);
        for kind in ItemKind::ALL {
            for confidence in Confidence::ALL {
                let mut c = content(1, all_classes());
                c.kind = kind;
                c.confidence = confidence;
                let v = view(&item(&provider, c), &as_viewer(&general));
                let expected = matches!(kind, ItemKind::Countermeasure | ItemKind::BestPractice)
                    && confidence == Confidence::Confirmed;
                assert_eq!(v.is_some(), expected, "{kind:?} {confidence:?}");
                if let Some(v) = v {
                    assert_eq!(v.audience, Audience::General);
                    assert_eq!(v.technical_details, None);
                    assert_eq!(v.victim.unwrap().damage_details, None);
                }
            }
        }
    }

    #[test]
    fn out_of_scope_is_not_found() {
        let provider = member(MemberClass::Class1, &[]);
        let class2 = member(MemberClass::Class2, &[]);
        let mut c = content(1, all_classes());
        c.scope.classes = [MemberClass::Class1].into();
        assert_eq!(view(&item(&provider, c.clone()), &as_viewer(&class2)), None);
        c.scope.members.insert(class2.id);
        assert!(view(&item(&provider, c.clone()), &as_viewer(&class2)).is_some());
        c.scope.excluded.insert(class2.id);
        assert_eq!(view(&item(&provider, c), &as_viewer(&class2)), None);
    }

    #[test]
    fn regulators_can_be_excluded() {
        let provider = member(MemberClass::Class2, &[]);
        let mut regulator = member(MemberClass::Class1, &[SpecialRole::Regulator]);
        regulator.regulator_of = [provider.sector].into();
        let mut other_regulator = member(MemberClass::Class1, &[SpecialRole::Regulator]);
        other_regulator.regulator_of = [Sector::Aviation].into();
        let mut c = content(1, all_classes());
        c.scope.members = [regulator.id, other_regulator.id].into();
        c.scope.exclude_regulators_of_my_sector = true;
        let it = item(&provider, c.clone());
        assert_eq!(view(&it, &as_viewer(&regulator)), None);
        assert!(view(&it, &as_viewer(&other_regulator)).is_some());
        c.scope.exclude_all_regulators = true;
        let it = item(&provider, c);
        assert_eq!(view(&it, &as_viewer(&other_regulator)), None);
    }

    #[test]
    fn opted_out_members_get_no_confidential_information() {
        let provider = member(MemberClass::Class1, &[]);
        let mut opted_out = member(MemberClass::Class1, &[]);
        opted_out.confidential_opt_out = true;
        for tlp in Tlp::ALL {
            for confidence in Confidence::ALL {
                let mut c = content(1, all_classes());
                c.tlp = tlp;
                c.confidence = confidence;
                let visible = view(&item(&provider, c), &as_viewer(&opted_out)).is_some();
                assert_eq!(
                    visible,
                    !tlp.is_confidential() && confidence != Confidence::Unconfirmed,
                    "{tlp:?} {confidence:?}"
                );
            }
        }
    }

    #[test]
    fn unconfirmed_items_reach_the_task_force_only() {
        let provider = member(MemberClass::Class1, &[]);
        let mut c = content(1, all_classes());
        c.confidence = Confidence::Unconfirmed;
        c.kind = ItemKind::Countermeasure;
        let it = item(&provider, c);
        let class2 = member(MemberClass::Class2, &[]);
        assert_eq!(
            view(&it, &as_viewer(&class2)).map(|v| v.audience),
            Some(Audience::Class2)
        );
        let mut foreign = member(MemberClass::Class1, &[]);
        foreign.foreign_affiliated = true;
        assert_eq!(view(&it, &as_viewer(&foreign)), None);
        foreign.tf_special_approval = true;
        assert!(view(&it, &as_viewer(&foreign)).is_some());
        assert_eq!(
            view(&it, &as_viewer(&member(MemberClass::General, &[]))),
            None
        );
    }

    #[test]
    fn provider_sector_only_when_the_provider_shows_it() {
        let provider = member(MemberClass::Class1, &[]);
        let class1 = member(MemberClass::Class1, &[]);
        let mut c = content(1, all_classes());
        let hidden = view(&item(&provider, c.clone()), &as_viewer(&class1)).unwrap();
        assert_eq!(hidden.provider_sector, None);
        assert!(!json(&hidden).contains("provider_sector"));
        c.show_provider_sector = true;
        let shown = view(&item(&provider, c), &as_viewer(&class1)).unwrap();
        assert_eq!(shown.provider_sector, Some(Sector::Electricity));
        assert!(json(&shown).contains("\"provider_sector\":\"electricity\""));
        assert_eq!(shown.provider, None);
    }

    /// The rules of M2.3, M2.4 and M1.8 restated from the member's raw fields, to check
    /// [`view`] against.
    fn expected_audience(item: &Item, viewer: &Viewer, cleared: Cleared) -> Option<Audience> {
        let m = &viewer.member;
        if viewer.user.disabled || m.status != MemberStatus::Active {
            return None;
        }
        // M2.8: an active grant at the item's level or above, for everybody.
        if let Some(required) = &item.content.clearance {
            let need = LEVELS.iter().position(|l| l == required).unwrap();
            if !matches!(cleared, Some((held, GrantWindow::Active)) if held >= need) {
                return None;
            }
        }
        if m.id == item.provider || m.roles.contains(&SpecialRole::Coordinator) {
            return Some(Audience::Full);
        }
        let c = &item.content;
        let confidential = matches!(c.tlp, Tlp::Amber | Tlp::AmberStrict | Tlp::Red);
        let unconfirmed = c.confidence == Confidence::Unconfirmed;
        let task_force = matches!(m.class, MemberClass::Class1 | MemberClass::Class2)
            && (!m.foreign_affiliated || m.tf_special_approval);
        let visible = reaches(&c.scope, item.provider_sector, m)
            && !(m.confidential_opt_out && (confidential || unconfirmed))
            && (!unconfirmed || task_force);
        if !visible {
            return None;
        }
        match m.class {
            MemberClass::Class1 => Some(Audience::Class1),
            MemberClass::Class2 => Some(Audience::Class2),
            MemberClass::General => {
                (matches!(c.kind, ItemKind::Countermeasure | ItemKind::BestPractice)
                    && c.confidence == Confidence::Confirmed)
                    .then_some(Audience::General)
            }
            // A partner: only what its agreement lets out, masked as for class 2.
            MemberClass::Partner => {
                let a = m.agreement.as_ref()?;
                let victim_sector = c.victim.as_ref().and_then(|v| v.sector);
                let levels = Tlp::ALL;
                let rank = |t: Tlp| levels.iter().position(|l| *l == t);
                let agreed = rank(c.tlp) <= rank(a.max_tlp)
                    && c.tlp != Tlp::Red
                    && c.scope.classes.intersection(&a.classes).next().is_some()
                    && (a.sectors.is_empty()
                        || a.sectors.contains(&item.provider_sector)
                        || victim_sector.is_some_and(|v| a.sectors.contains(&v)));
                agreed.then_some(Audience::Class2)
            }
        }
    }

    /// The clearance levels of the random councils, lowest first.
    const LEVELS: [&str; 2] = ["confidential", "top_secret"];

    /// Where a user's one grant stands at the moment of the request.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum GrantWindow {
        Active,
        Expired,
        Pending,
        Revoked,
    }

    /// A user's clearance in a random council: none, or one grant (level index, window).
    type Cleared = Option<(usize, GrantWindow)>;

    /// The moment every generated request is made at.
    fn at() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap()
    }

    /// The viewer of `m` with the clearance `cleared` describes at [`at`].
    fn cleared_viewer(m: &Member, cleared: Cleared) -> Viewer {
        use crate::clearance::{Clearance, Grant, Levels};
        use time::Duration;
        let mut v = as_viewer(m);
        if let Some((level, window)) = cleared {
            let now = at();
            let (from, to) = match window {
                GrantWindow::Active | GrantWindow::Revoked => (-3600, 3600),
                GrantWindow::Expired => (-7200, 0),
                GrantWindow::Pending => (1, 7200),
            };
            let grant = Grant {
                id: crate::ids::ClearanceId::new(),
                user: v.user.id,
                level: LEVELS[level].into(),
                starts_at: now + Duration::seconds(from),
                expires_at: now + Duration::seconds(to),
                basis: "vetting file".into(),
                granted_at: now - Duration::days(1),
                revoked_at: (window == GrantWindow::Revoked).then_some(now),
                revoke_reason: None,
            };
            v.clearance = Clearance::of(&[grant], &Levels::new(&LEVELS).unwrap());
        }
        v
    }

    fn arb_cleared() -> impl Strategy<Value = Cleared> {
        prop::option::weighted(
            0.5,
            (
                0..LEVELS.len(),
                prop::sample::select(vec![
                    GrantWindow::Active,
                    GrantWindow::Active,
                    GrantWindow::Expired,
                    GrantWindow::Pending,
                    GrantWindow::Revoked,
                ]),
            ),
        )
    }

    /// A council, which of its users are disabled, what each is cleared for, and an
    /// item provided by one of its members to a scope drawn from the council, maybe
    /// requiring a clearance level.
    fn arb_case() -> impl Strategy<Value = (Vec<Member>, Vec<(bool, Cleared)>, Item)> {
        arb_council().prop_flat_map(|council| {
            let n = council.len();
            let ids = council.iter().map(|m| m.id).collect();
            (
                Just(council),
                prop::collection::vec((prop::bool::weighted(0.1), arb_cleared()), n),
                0..n,
                arb_scope(ids),
                (
                    prop::sample::select(ItemKind::ALL.to_vec()),
                    prop::sample::select(Confidence::ALL.to_vec()),
                    prop::sample::select(Tlp::ALL.to_vec()),
                    prop::sample::select(vec![ItemStatus::Shared, ItemStatus::Retracted]),
                ),
                (
                    any::<bool>(),
                    any::<bool>(),
                    prop::option::of(prop::sample::select(SECTORS.to_vec())),
                    any::<bool>(),
                    any::<u64>(),
                    prop::option::weighted(0.3, 0..LEVELS.len()),
                ),
            )
                .prop_map(|(council, disabled, p, scope, classification, details)| {
                    let (kind, confidence, tlp, status) = classification;
                    let (has_victim, damaged, victim_sector, show_sector, marker, level) = details;
                    let mut c = content(marker, scope);
                    c.kind = kind;
                    c.confidence = confidence;
                    c.tlp = tlp;
                    c.show_provider_sector = show_sector;
                    c.clearance = level.map(|l| LEVELS[l].to_owned());
                    c.victim = has_victim.then(|| Victim {
                        name: Some(format!("{VICTIM_NAME}-{marker}")),
                        sector: victim_sector,
                        damaged,
                        damage_details: format!("{DAMAGE}-{marker}"),
                    });
                    let mut it = item(&council[p], c);
                    it.status = status;
                    (council, disabled, it)
                })
        })
    }

    proptest! {
        #[test]
        fn the_view_keeps_every_rule((council, disabled, item) in arb_case()) {
            let provider = council.iter().find(|m| m.id == item.provider).unwrap();
            let c = &item.content;
            let victim_name = format!("{VICTIM_NAME}-");
            for (m, (off, cleared)) in council.iter().zip(&disabled) {
                let mut viewer = cleared_viewer(m, *cleared);
                viewer.user.disabled = *off;
                let got = view_at(&item, &viewer, at());
                let expected = expected_audience(&item, &viewer, *cleared);
                prop_assert_eq!(got.as_ref().map(|v| v.audience), expected);

                // (1) Only enabled users of active members see anything.
                if *off || !m.is_active() {
                    prop_assert!(got.is_none());
                }
                // (0) An item requiring clearance exists only for users holding that
                // level or a higher one now: not the provider's or the coordinator's
                // other users, not with a grant expired, pending or revoked.
                if let Some(level) = &c.clearance {
                    let holds = matches!(cleared, Some((held, GrantWindow::Active))
                        if LEVELS[..=*held].contains(&level.as_str()));
                    if !holds {
                        prop_assert!(got.is_none());
                    }
                }
                let privileged = m.id == item.provider || m.has_role(SpecialRole::Coordinator);
                let Some(v) = got else {
                    continue;
                };
                let text = serde_json::to_string(&v).unwrap();
                let object = serde_json::to_value(&v).unwrap();
                prop_assert_eq!(object["via"].as_str(), Some("coordinator"));
                if privileged {
                    prop_assert_eq!(v.audience, Audience::Full);
                    prop_assert!(text.contains(&item.provider.to_string()));
                    prop_assert_eq!(text.contains(&victim_name), c.victim.is_some());
                    prop_assert!(object.get("provider_sector").is_some());
                    continue;
                }
                // (2) Recipients learn neither the provider nor the victim's name.
                prop_assert!(!text.contains(&victim_name));
                prop_assert!(!text.contains(&provider.id.to_string()));
                prop_assert!(!text.contains(&provider.id.as_uuid().simple().to_string()));
                prop_assert!(!text.contains(&provider.pseudonym));
                prop_assert!(!text.contains(&provider.name));
                prop_assert!(object.get("provider").is_none());
                prop_assert!(object.get("scope").is_none());
                // (3) Class 2 and general members get no technical or damage details.
                match v.audience {
                    Audience::Class2 | Audience::General => {
                        prop_assert!(!text.contains(TECHNICAL));
                        prop_assert!(!text.contains(DAMAGE));
                    }
                    Audience::Class1 => prop_assert!(text.contains(TECHNICAL)),
                    Audience::Full => prop_assert!(false, "a recipient got the full view"),
                }
                // (4) General members see confirmed countermeasures and best practices.
                if m.class == MemberClass::General {
                    let kind = c.kind;
                    prop_assert!(matches!(kind, ItemKind::Countermeasure | ItemKind::BestPractice));
                    prop_assert_eq!(c.confidence, Confidence::Confirmed);
                }
                // (5) Opting out keeps confidential and unconfirmed items away.
                if m.confidential_opt_out {
                    prop_assert!(!c.tlp.is_confidential());
                    prop_assert_ne!(c.confidence, Confidence::Unconfirmed);
                }
                // (6) Unconfirmed items reach the task force only.
                if c.confidence == Confidence::Unconfirmed {
                    prop_assert!(m.in_task_force());
                }
                // (7) Out of scope, excluded or an excluded regulator: not found.
                prop_assert!(reaches(&c.scope, item.provider_sector, m));
                prop_assert!(!c.scope.excluded.contains(&m.id));
                let regulator = m.has_role(SpecialRole::Regulator);
                prop_assert!(!(c.scope.exclude_all_regulators && regulator));
                let mine = m.regulates(item.provider_sector);
                prop_assert!(!(c.scope.exclude_regulators_of_my_sector && mine));
                // (8) The provider's sector only when the provider shows it.
                prop_assert_eq!(object.get("provider_sector").is_some(), c.show_provider_sector);
            }
        }
    }

    #[test]
    fn the_generator_reaches_every_audience() {
        // Guards against a generator that never reaches some audience, which would let
        // the property above pass vacuously. Deterministic, so it cannot flake.
        use proptest::strategy::ValueTree;
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let mut seen = std::collections::BTreeMap::new();
        for _ in 0..256 {
            let (council, disabled, item) = arb_case().new_tree(&mut runner).unwrap().current();
            for (m, (off, cleared)) in council.iter().zip(&disabled) {
                let mut viewer = cleared_viewer(m, *cleared);
                viewer.user.disabled = *off;
                let audience = view_at(&item, &viewer, at()).map(|v| v.audience);
                *seen.entry(format!("{audience:?}")).or_insert(0) += 1;
                if item.content.clearance.is_some() {
                    let key = format!("cleared item {}", audience.is_some());
                    *seen.entry(key).or_insert(0) += 1;
                }
            }
        }
        assert_eq!(seen.len(), 7, "{seen:?}");
        assert!(seen.values().all(|n| *n >= 20), "{seen:?}");
    }
}
