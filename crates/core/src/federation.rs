//! Federation with partner councils, sector ISACs and foreign partners (M7.2).
//!
//! A partner is a member-like principal of class [`MemberClass::Partner`]: it has its
//! own users and tokens and its own policy view, which is capped by its sharing
//! [`Agreement`]. An item goes to a partner only when its provider put partners in the
//! item's scope (the `partner` class for every partner, or the partner named) *and* the
//! agreement allows the item: nothing else ever leaves the council. Partners are never
//! in [`MemberClass::ALL`], so "everyone" scopes and alert targets never reach them.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::DomainError;
use crate::indicator::Tlp;
use crate::item::{Item, ItemStatus};
use crate::member::{MemberClass, Sector};
use crate::scope::Scope;
use crate::user::Viewer;
use crate::view::view;

/// What a partner may receive: the sharing agreement the coordinator registered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Agreement {
    /// Domestic audience classes whose items may flow: an item goes out only when its
    /// scope also reaches one of them (an item for class 1 alone stays home unless
    /// `class1` is listed).
    pub classes: BTreeSet<MemberClass>,
    /// The most restricted TLP that may flow. TLP:RED never leaves the council.
    pub max_tlp: Tlp,
    /// Sectors whose items may flow (the provider's or the victim's sector); empty
    /// means every sector.
    #[serde(default)]
    pub sectors: BTreeSet<Sector>,
}

impl Agreement {
    /// Checks the agreement.
    ///
    /// # Errors
    /// [`DomainError::Invalid`] naming `agreement.classes` when it lists no domestic
    /// class (or lists `partner`), `agreement.max_tlp` for TLP:RED.
    pub fn validate(&self) -> Result<(), DomainError> {
        if self.classes.is_empty() || self.classes.contains(&MemberClass::Partner) {
            return Err(DomainError::invalid(
                "agreement.classes",
                "list the domestic audience classes whose items may flow: class1, class2, general",
            ));
        }
        if self.max_tlp == Tlp::Red {
            return Err(DomainError::invalid(
                "agreement.max_tlp",
                "TLP:RED is for named individuals and never leaves the council",
            ));
        }
        Ok(())
    }

    /// Whether the agreement lets `item` flow to the partner (its scope is checked
    /// separately, as for any member).
    #[must_use]
    pub fn allows(&self, item: &Item) -> bool {
        let content = &item.content;
        let victim_sector = content.victim.as_ref().and_then(|v| v.sector);
        content.tlp <= self.max_tlp
            && content.tlp != Tlp::Red
            && content
                .scope
                .classes
                .iter()
                .any(|c| self.classes.contains(c))
            && (self.sectors.is_empty()
                || self.sectors.contains(&item.provider_sector)
                || victim_sector.is_some_and(|s| self.sectors.contains(&s)))
    }

    /// The scope an item a partner sent gets here: the domestic classes the agreement
    /// names and, only when the partner said the item may travel on (`onward`), this
    /// council's partners. The copy itself never travels further (`onward` is off): an
    /// item goes one council beyond the partner at most, and only when its source says so.
    #[must_use]
    pub fn inbound_scope(&self, onward: bool) -> Scope {
        let mut classes = self.classes.clone();
        if onward {
            classes.insert(MemberClass::Partner);
        }
        Scope {
            classes,
            ..Scope::default()
        }
    }
}

/// What a partner was last sent of an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    /// The item at this revision.
    Item(i64),
    /// Its revocation.
    Revoked,
    /// This revision, which the partner refused.
    Refused(i64),
}

/// What a partner must be sent of an item now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Push {
    /// Nothing: it is up to date, or never had the item and may not.
    Nothing,
    /// The item as the partner's view shows it.
    Item,
    /// Its revocation: the partner had it and may no longer (retracted, narrowed, or
    /// the agreement changed).
    Revocation,
}

/// Decides what `partner` must be sent of `item`, given what it was `sent` last. A
/// partner is never sent its own items back, nor retracted ones, nor anything its
/// policy view does not show it.
#[must_use]
pub fn due(item: &Item, partner: &Viewer, sent: Option<Sent>) -> Push {
    let may = item.provider != partner.member.id
        && item.status == ItemStatus::Shared
        && view(item, partner).is_some();
    match (may, sent) {
        (true, None | Some(Sent::Revoked)) => Push::Item,
        (true, Some(Sent::Item(r) | Sent::Refused(r))) if r != item.revision => Push::Item,
        (false, Some(Sent::Item(_))) => Push::Revocation,
        _ => Push::Nothing,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::ids::{ItemId, MemberId};
    use crate::item::{Confidence, ItemContent, ItemKind, ItemStatus, Victim};
    use crate::scope::Scope;
    use time::OffsetDateTime;

    fn item(tlp: Tlp, classes: &[MemberClass], provider: Sector, victim: Option<Sector>) -> Item {
        let now = OffsetDateTime::now_utc();
        Item {
            id: ItemId::new(),
            provider: MemberId::new(),
            provider_sector: provider,
            content: ItemContent {
                kind: ItemKind::ThreatInformation,
                title: "t".into(),
                executive_context: String::new(),
                technical_details: String::new(),
                countermeasures: String::new(),
                victim: victim.map(|s| Victim {
                    name: None,
                    sector: Some(s),
                    damaged: false,
                    damage_details: String::new(),
                }),
                indicators: Vec::new(),
                techniques: Vec::new(),
                cves: Vec::new(),
                products: Vec::new(),
                confidence: Confidence::Confirmed,
                tlp,
                scope: Scope {
                    classes: classes.iter().copied().collect(),
                    ..Scope::default()
                },
                show_provider_sector: false,
                clearance: None,
                tearline: None,
                source: None,
            },
            status: ItemStatus::Shared,
            revision: 1,
            created_at: now,
            updated_at: now,
        }
    }

    fn agreement(classes: &[MemberClass], max_tlp: Tlp, sectors: &[Sector]) -> Agreement {
        Agreement {
            classes: classes.iter().copied().collect(),
            max_tlp,
            sectors: sectors.iter().copied().collect(),
        }
    }

    #[test]
    fn tlp_classes_and_sectors_cap_what_flows() {
        use MemberClass::{Class1, Class2, General, Partner};
        let a = agreement(&[Class2, General], Tlp::Green, &[]);
        let ok =
            |tlp, classes: &[MemberClass]| a.allows(&item(tlp, classes, Sector::Electricity, None));
        assert!(ok(Tlp::Clear, &[General, Partner]));
        assert!(ok(Tlp::Green, &[Class2, Partner]));
        assert!(!ok(Tlp::Amber, &[Class2, Partner]), "above the agreed TLP");
        assert!(
            !ok(Tlp::Green, &[Class1, Partner]),
            "a class the agreement leaves out"
        );
        let sectors = agreement(&[Class2], Tlp::AmberStrict, &[Sector::Finance]);
        assert!(sectors.allows(&item(Tlp::Amber, &[Class2], Sector::Finance, None)));
        assert!(sectors.allows(&item(
            Tlp::Amber,
            &[Class2],
            Sector::SecurityVendor,
            Some(Sector::Finance)
        )));
        assert!(!sectors.allows(&item(Tlp::Amber, &[Class2], Sector::Gas, None)));
    }

    #[test]
    fn red_and_classless_agreements_are_refused() {
        use MemberClass::{Class1, Partner};
        assert!(
            agreement(&[Class1], Tlp::AmberStrict, &[])
                .validate()
                .is_ok()
        );
        let e = agreement(&[Class1], Tlp::Red, &[]).validate().unwrap_err();
        assert!(e.to_string().contains("agreement.max_tlp"), "{e}");
        for classes in [&[][..], &[Partner][..]] {
            let e = agreement(classes, Tlp::Green, &[]).validate().unwrap_err();
            assert!(e.to_string().contains("agreement.classes"), "{e}");
        }
    }

    #[test]
    fn inbound_items_travel_on_only_when_their_source_says_so() {
        use MemberClass::{Class2, General, Partner};
        let a = agreement(&[Class2, General], Tlp::Amber, &[]);
        let home = a.inbound_scope(false);
        assert_eq!(home.classes, [Class2, General].into());
        assert!(!home.onward);
        let on = a.inbound_scope(true);
        assert_eq!(on.classes, [Class2, General, Partner].into());
        assert!(!on.onward, "the copy itself never travels further");
    }

    #[test]
    fn what_a_partner_is_due() {
        use MemberClass::{Class2, Partner};
        let mut p = crate::member::tests::member(Partner, &[]);
        p.agreement = Some(agreement(&[Class2], Tlp::Amber, &[]));
        let viewer = Viewer::for_member(p.clone());
        let mut it = item(Tlp::Green, &[Class2, Partner], Sector::Electricity, None);
        it.revision = 3;
        assert_eq!(due(&it, &viewer, None), Push::Item);
        assert_eq!(due(&it, &viewer, Some(Sent::Item(3))), Push::Nothing);
        assert_eq!(due(&it, &viewer, Some(Sent::Item(2))), Push::Item);
        assert_eq!(due(&it, &viewer, Some(Sent::Refused(3))), Push::Nothing);
        assert_eq!(due(&it, &viewer, Some(Sent::Refused(2))), Push::Item);
        assert_eq!(due(&it, &viewer, Some(Sent::Revoked)), Push::Item);
        // Narrowed away, retracted, or the partner's own: revoked if it was sent.
        let mut narrowed = it.clone();
        narrowed.content.scope.classes = [Class2].into();
        let mut retracted = it.clone();
        retracted.status = ItemStatus::Retracted;
        let mut own = it.clone();
        own.provider = p.id;
        for gone in [&narrowed, &retracted, &own] {
            assert_eq!(due(gone, &viewer, Some(Sent::Item(3))), Push::Revocation);
            assert_eq!(due(gone, &viewer, Some(Sent::Revoked)), Push::Nothing);
            assert_eq!(due(gone, &viewer, None), Push::Nothing);
            assert_eq!(due(gone, &viewer, Some(Sent::Refused(3))), Push::Nothing);
        }
    }
}
