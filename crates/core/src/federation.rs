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
use crate::item::Item;
use crate::member::{MemberClass, Sector};

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
}
