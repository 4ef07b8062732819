//! The demo's partners (federation, M7.2): an electricity ISAC that receives class-2
//! and general items up to TLP:AMBER about the electricity and gas sectors, and a
//! foreign partner CERT that receives general items up to TLP:GREEN. The coordination
//! centre shares three items with partners; everything else the demo holds stays home.
//! The ISAC has sent two items of its own, through the same path as a partner's TAXII
//! push: the council's members see them with the ISAC as their source, and the one the
//! ISAC let travel on reaches the partner CERT too.

use std::collections::BTreeSet;

use serde_json::json;
use tsunagu_core::federation::Agreement;
use tsunagu_core::ids::{MemberId, UserId};
use tsunagu_core::indicator::Tlp;
use tsunagu_core::item::ItemDraft;
use tsunagu_core::member::{Member, MemberClass, Sector, SpecialRole};
use tsunagu_core::user::{UserRole, Viewer};
use tsunagu_store::Store;

use crate::api::items::share_item;
use crate::api::partners::insert_partner;
use crate::bootstrap::random_password;
use crate::demo::{DemoPartner, DemoUser, member_viewer};
use crate::error::{ApiError, ApiResult};

/// Registers the demo's partners and shares the items meant for them.
///
/// # Errors
/// On database failure.
pub(crate) async fn populate(
    store: &Store,
    founded: &[Member],
    sharers: &[(MemberId, UserId)],
) -> ApiResult<Vec<DemoPartner>> {
    let partners = [
        (
            "Denryoku ISAC (partner council)",
            Sector::Electricity,
            "denryoku-isac",
            Agreement {
                classes: BTreeSet::from([MemberClass::Class2, MemberClass::General]),
                max_tlp: Tlp::Amber,
                sectors: BTreeSet::from([Sector::Electricity, Sector::Gas]),
            },
        ),
        (
            "Oceania Partner CERT",
            Sector::Other,
            "oceania-cert",
            Agreement {
                classes: BTreeSet::from([MemberClass::General]),
                max_tlp: Tlp::Green,
                sectors: BTreeSet::new(),
            },
        ),
    ];
    let mut out = Vec::new();
    let mut registered = Vec::new();
    let mut tx = store.begin().await?;
    for (name, sector, login, agreement) in partners {
        let password = random_password();
        let hash = crate::auth::hash_password(password.clone()).await?;
        let (m, api_token) = insert_partner(
            &mut tx,
            name.to_owned(),
            sector,
            login,
            agreement.clone(),
            &hash,
        )
        .await?;
        registered.push(m.clone());
        out.push(DemoPartner {
            id: m.id.to_string(),
            name: m.name,
            pseudonym: m.pseudonym,
            sector: sector.as_str().to_owned(),
            agreement,
            users: vec![DemoUser {
                login: login.to_owned(),
                password,
                role: UserRole::Admin.as_str().to_owned(),
                api_token,
            }],
        });
    }
    let coordinator = founded
        .iter()
        .find(|m| m.has_role(SpecialRole::Coordinator))
        .ok_or_else(|| ApiError::Internal("the demo council lacks a coordinator".into()))?;
    let v = member_viewer(store, coordinator, sharers).await?;
    for draft in [
        json!({
            "kind": "threat_information", "confidence": "confirmed", "tlp": "amber",
            "title": "Ransomware affiliates scanning remote-access gateways of power and gas operators",
            "executive_context": "An affiliate of a ransomware service is scanning the SSL VPN gateways of power and gas operators; shared with the electricity ISAC under its agreement.",
            "technical_details": "Scans come in bursts from rented VPS; successful logins are followed within hours by AD reconnaissance.",
            "countermeasures": "Patch the gateways to the catalogue's fixed versions, enforce MFA, and alert on logins from the addresses below.",
            "victim": {"sector": "electricity", "damaged": false},
            "indicators": [{"type": "ipv4", "value": "203.0.113.201"}, {"type": "domain", "value": "gw-scan.example.net"}],
            "techniques": ["T1133"],
            "scope": {"classes": ["class2", "partner"]},
        }),
        json!({
            "kind": "threat_information", "confidence": "confirmed", "tlp": "green",
            "title": "Phishing kit imitating gas-meter billing notices",
            "executive_context": "A phishing kit imitating billing notices of gas utilities is sent to customers and staff alike.",
            "countermeasures": "Block the domains below and warn staff about billing-themed lures.",
            "victim": {"sector": "gas", "damaged": false},
            "indicators": [{"type": "domain", "value": "gas-billing-notice.example.com"}, {"type": "url", "value": "https://gas-billing-notice.example.com/pay"}],
            "scope": {"classes": ["class1", "class2", "general", "partner"]},
        }),
        json!({
            "kind": "countermeasure", "confidence": "confirmed", "tlp": "clear",
            "title": "Disable SMBv1 and block TCP 445 at the perimeter",
            "executive_context": "Worms of the WannaCry family still spread wherever SMBv1 is exposed.",
            "countermeasures": "Disable SMBv1 on every Windows host, block TCP 445 at the perimeter, and patch MS17-010.",
            "scope": {"classes": ["general", "partner"]},
        }),
    ] {
        let draft: ItemDraft =
            serde_json::from_value(draft).map_err(|e| ApiError::Internal(e.to_string()))?;
        share_item(&mut tx, &v, draft.parse()?, &[]).await?;
    }
    tx.commit().await?;
    receive_from_isac(store, &registered[0]).await?;
    Ok(out)
}

/// The ISAC's two items, as its own tsunagu would push them to this council.
async fn receive_from_isac(store: &Store, isac: &Member) -> ApiResult<()> {
    let user = store
        .users_of(isac.id)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::Internal("the demo ISAC has no user".into()))?;
    let v = Viewer::uncleared(user, isac.clone());
    let at = "2026-11-20T01:00:00.000Z";
    let report = |n: u8, tlp: Tlp, title: &str, about: &str, domain: &str, onward: bool| {
        let marking = tlp.stix_marking_id();
        let indicator = format!("indicator--6d1f0a52-93c4-4b5e-8f7a-2c1b9e4d0a{n:02}");
        let mut report = json!({
            "type": "report", "spec_version": "2.1",
            "id": format!("report--6d1f0a52-93c4-4b5e-8f7a-2c1b9e4d0b{n:02}"),
            "created": at, "modified": at, "published": at, "name": title, "description": about,
            "report_types": ["threat-report"], "confidence": 85,
            "object_refs": [indicator], "object_marking_refs": [marking],
        });
        if onward {
            report[crate::federation::ONWARD] = true.into();
        }
        [
            json!({
                "type": "indicator", "spec_version": "2.1", "id": indicator,
                "created": at, "modified": at, "valid_from": at,
                "pattern": format!("[domain-name:value = '{domain}']"), "pattern_type": "stix",
                "object_marking_refs": [marking],
            }),
            report,
        ]
    };
    let objects: Vec<serde_json::Value> = [
        report(
            1,
            Tlp::Amber,
            "Spear-phishing of substation engineers with fake relay-firmware notices",
            "Engineers at two transmission operators received notices of a protection-relay firmware update linking to a credential-harvesting site. Relayed by the electricity ISAC.",
            "relay-firmware-update.example.net",
            false,
        ),
        report(
            2,
            Tlp::Green,
            "Scanning of exposed SCADA HMIs from a new botnet",
            "A botnet probes internet-exposed HMIs of energy operators with default credentials. The ISAC lets partners pass this on.",
            "hmi-probe.example.org",
            true,
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    crate::federation::receive(store, &v, &objects).await?;
    Ok(())
}
