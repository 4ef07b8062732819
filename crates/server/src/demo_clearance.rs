//! The demo's security clearances (M2.8): the coordination centre's analyst (the
//! government's own) holds `top_secret` and shares two items that require clearance,
//! each with a releasable tearline; one security vendor's analyst and one operator's
//! analyst hold `confidential`. Their colleagues hold nothing, so logging in as the
//! analyst and then as the admin of the same member shows the difference.

use serde_json::json;
use time::{Duration, OffsetDateTime};
use tsunagu_core::clearance::{Clearance, Grant, Levels};
use tsunagu_core::ids::{ClearanceId, MemberId, UserId};
use tsunagu_core::item::{ItemContent, ItemDraft};
use tsunagu_core::member::{Member, MemberClass, Sector, SpecialRole};
use tsunagu_core::user::Viewer;
use tsunagu_store::Store;

use crate::api::clearances::record_grant;
use crate::api::items::{attach_tearline, share_item};
use crate::demo::member_viewer;
use crate::error::{ApiError, ApiResult};

fn content(draft: serde_json::Value) -> ApiResult<ItemContent> {
    let draft: ItemDraft =
        serde_json::from_value(draft).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(draft.parse()?)
}

/// Grants `level` to `v`'s user for a year, as the coordinator's decision `by`.
async fn grant(
    tx: &mut tsunagu_store::Tx,
    by: &Viewer,
    v: &Viewer,
    level: &str,
    basis: &str,
) -> ApiResult<Grant> {
    let now = OffsetDateTime::now_utc();
    let g = Grant {
        id: ClearanceId::new(),
        user: v.user.id,
        level: level.to_owned(),
        starts_at: now - Duration::days(30),
        expires_at: now + Duration::days(365),
        basis: basis.to_owned(),
        granted_at: now,
        revoked_at: None,
        revoke_reason: None,
    };
    record_grant(tx, by, &g, v.member.id).await?;
    Ok(g)
}

/// Clears the demo's analysts and shares the cleared items with their tearlines.
///
/// # Errors
/// On database failure.
pub(crate) async fn populate(
    store: &Store,
    founded: &[Member],
    sharers: &[(MemberId, UserId)],
) -> ApiResult<()> {
    let find = |f: &dyn Fn(&Member) -> bool| {
        founded
            .iter()
            .find(|m| f(m))
            .ok_or_else(|| ApiError::Internal("the demo council lacks a member".into()))
    };
    let coordinator = find(&|m| m.has_role(SpecialRole::Coordinator))?;
    let vendor = find(&|m| m.sector == Sector::SecurityVendor && m.roles.is_empty())?;
    let operator = find(&|m| m.class == MemberClass::Class2)?;
    let mut provider = member_viewer(store, coordinator, sharers).await?;
    let levels = Levels::default();
    let mut tx = store.begin().await?;
    let g = grant(
        &mut tx,
        &provider,
        &provider,
        "top_secret",
        "NSC vetting 2026-041",
    )
    .await?;
    provider.clearance = Clearance::of(&[g], &levels);
    for (m, basis) in [
        (vendor, "vetting 2026-117 (industry liaison)"),
        (operator, "vetting 2026-121 (OT security lead)"),
    ] {
        let v = member_viewer(store, m, sharers).await?;
        grant(&mut tx, &provider, &v, "confidential", basis).await?;
    }

    let cleared = [
        (
            json!({
                "kind": "threat_information", "confidence": "confirmed", "tlp": "amber",
                "title": "Liaison report: staging servers prepared against electricity OT vendors",
                "executive_context": "A state-sponsored group is preparing servers to reach the remote-maintenance links of OT vendors that serve power utilities.",
                "technical_details": "Reported by a partner service from a sensitive source: the operators rent VPS under reseller accounts and test SSL VPN logins against vendor portals before moving to utilities.",
                "countermeasures": "Block the infrastructure below; review vendor remote-maintenance accounts and their last logins.",
                "indicators": [{"type": "domain", "value": "vendor-support-portal.example.net"}, {"type": "ipv4", "value": "203.0.113.77"}],
                "techniques": ["T1133", "T1078"],
                "scope": {"classes": ["class1", "class2"]},
            }),
            "confidential",
            json!({
                "kind": "countermeasure", "confidence": "confirmed", "tlp": "green",
                "title": "Block these staging servers and review vendor remote-maintenance accounts",
                "executive_context": "Servers prepared for attacks on OT vendors' remote-maintenance links have been identified.",
                "countermeasures": "Block the infrastructure below at the perimeter and in DNS; review remote-maintenance accounts of OT vendors and disable unused ones.",
                "indicators": [{"type": "domain", "value": "vendor-support-portal.example.net"}, {"type": "ipv4", "value": "203.0.113.77"}],
                "scope": {"classes": ["class1", "class2", "general"]},
            }),
        ),
        (
            json!({
                "kind": "analysis", "confidence": "probable", "tlp": "red",
                "title": "Assessment: the same group behind the port-authority intrusions",
                "executive_context": "Tooling and infrastructure overlap suggest one actor behind this year's port-authority intrusions.",
                "technical_details": "Attribution rests on intercepted operator communications; do not act on it outside cleared channels.",
                "countermeasures": "Prioritise the hardening of remote access at ports and their OT vendors.",
                "techniques": ["T1190"],
                "scope": {"classes": ["class1"]},
            }),
            "top_secret",
            json!({
                "kind": "best_practice", "confidence": "confirmed", "tlp": "clear",
                "title": "Harden remote access for port and OT-vendor networks",
                "executive_context": "Recent intrusions against port operators entered through remote-access appliances.",
                "countermeasures": "Require MFA on every remote-access appliance, patch them within the catalogue's deadlines, and log vendor sessions.",
                "scope": {"classes": ["class1", "class2", "general"]},
            }),
        ),
    ];
    for (draft, level, releasable) in cleared {
        let mut c = content(draft)?;
        c.clearance = Some(level.to_owned());
        let original = share_item(&mut tx, &provider, c, &[]).await?;
        let stored = tx
            .item(original.id)
            .await?
            .ok_or_else(|| ApiError::Internal("the cleared item is gone".into()))?;
        attach_tearline(&mut tx, &provider, &stored, content(releasable)?).await?;
    }
    tx.commit().await?;
    Ok(())
}
