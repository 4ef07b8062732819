//! The demo council's incident reports (M5.1–M5.4): incidents at every stage — one
//! with only its initial report and its notification overdue, one at notification, one
//! at update under the APPI regime, and two final — among them one ransomware and one
//! DDoS report following Japan's common forms; the ransomware incident is shared as
//! an anonymised item. Everything goes through the same functions as the API, acting
//! as the reporting members' analysts, with the submission times set in the past.

use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};
use tsunagu_core::ids::{MemberId, UserId};
use tsunagu_core::incident::{IncidentForm, IncidentId, ReportForm, ShareRequest};
use tsunagu_core::member::{Member, MemberClass, Sector};
use tsunagu_core::user::Viewer;
use tsunagu_store::Store;

use crate::api::incidents::{add_report, open_incident, share_incident};
use crate::error::{ApiError, ApiResult};

/// A domestic operator of `sector` that the demo acts for, with its user.
async fn reporter(
    store: &Store,
    founded: &[Member],
    sharers: &[(MemberId, UserId)],
    sector: Sector,
) -> ApiResult<Viewer> {
    let member = founded
        .iter()
        .find(|m| m.class == MemberClass::Class2 && m.sector == sector && !m.foreign_affiliated)
        .ok_or_else(|| {
            ApiError::Internal(format!("the demo has no {} operator", sector.as_str()))
        })?;
    let user_id = sharers
        .iter()
        .find(|(m, _)| *m == member.id)
        .map(|(_, u)| *u)
        .ok_or_else(|| ApiError::Internal(format!("{} has no user", member.name)))?;
    let user = store
        .user(user_id)
        .await?
        .ok_or_else(|| ApiError::Internal(format!("the user of {} is gone", member.name)))?;
    Ok(Viewer::uncleared(user, member.clone()))
}

fn parse<T: serde::de::DeserializeOwned>(v: Value) -> ApiResult<T> {
    serde_json::from_value(v).map_err(|e| ApiError::Internal(format!("demo incident: {e}")))
}

fn rfc3339(t: OffsetDateTime) -> ApiResult<String> {
    t.format(&time::format_description::well_known::Rfc3339)
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// Opens an incident with `initial` (its `aware_at` set to `aware`) submitted at
/// `aware + opened`, then adds each later report at `aware` plus its offset.
async fn file(
    store: &Store,
    v: &Viewer,
    mut incident: Value,
    aware: OffsetDateTime,
    opened: Duration,
    later: Vec<(Duration, Value)>,
) -> ApiResult<IncidentId> {
    let state = crate::AppState::new(store.clone(), crate::Config::default());
    incident["report"]["aware_at"] = json!(rfc3339(aware)?);
    let form: IncidentForm = parse(incident)?;
    let (opened, _) = open_incident(&state, v, form, aware + opened).await?;
    for (after, report) in later {
        let form: ReportForm = parse(report)?;
        add_report(&state, v, opened.id, form, aware + after).await?;
    }
    Ok(opened.id)
}

/// Adds the demo incidents (see the module documentation).
///
/// # Errors
/// When the demo council lacks an operator of a sector used, or on database failure.
pub async fn populate(
    store: &Store,
    founded: &[Member],
    sharers: &[(MemberId, UserId)],
) -> ApiResult<()> {
    let now = OffsetDateTime::now_utc();

    // Ransomware at an electric power operator, reported through to the final report
    // (ランサムウェア事案共通様式) and shared, anonymised, with the task force.
    let power = reporter(store, founded, sharers, Sector::Electricity).await?;
    let ransomware = file(
        store,
        &power,
        json!({
            "title": format!("Ransomware at {}: billing and customer-service servers encrypted", power.member.name),
            "kind": "ransomware", "regime": "nis2", "consent_to_share": true,
            "report": {
                "stage": "initial", "purpose": "incident_response",
                "purpose_text": "初動対応と所管省庁への報告のため / for the response and the regulator's report",
                "affected": "Billing servers and the customer-service file share at the head office; the grid control network is separate and unaffected",
                "suspected_malicious": "yes", "service_impact": true, "cross_border": "no"
            }
        }),
        now - Duration::days(40),
        Duration::hours(6),
        vec![
            (Duration::days(2), json!({
                "stage": "notification", "purpose": "regulatory",
                "summary": "About 40 Windows servers encrypted; billing delayed, electricity supply unaffected. Ransom note found; no payment intended.",
                "indicators": [{"type": "ipv4", "value": "203.0.113.77"}],
                "ransomware": {"encrypted_extension": ".lockbit", "family": "LockBit 3.0 (suspected)"}
            })),
            (Duration::days(10), json!({
                "stage": "update", "purpose": "regulatory",
                "summary": "Billing restored from offline backups; forensic analysis finds the VPN appliance as the entry point.",
                "techniques": ["T1190"]
            })),
            (Duration::days(25), json!({
                "stage": "final", "purpose": "regulatory",
                "cause": "An unpatched VPN appliance (CVE-2023-46805 and CVE-2024-21887) at the head office",
                "intrusion_method": "Authentication bypass and command injection on the VPN appliance, then PsExec with a stolen domain-admin account",
                "techniques": ["T1190", "T1078.002", "T1021.002", "T1486", "T1490"],
                "indicators": [
                    {"type": "ipv4", "value": "203.0.113.77"},
                    {"type": "domain", "value": "update-cdn-check.example.net"},
                    {"type": "sha256", "value": "a3f1c9e2b7d4a6f8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a4c6e8b0d2f4a6"}
                ],
                "damage": "41 servers encrypted; billing delayed four days; no customer data exfiltration found",
                "measures": "Appliance patched and rebuilt; all domain credentials reset; SMB blocked between segments; offline backups tested weekly",
                "service_level_deviation": false,
                "ransomware": {
                    "ransom_note": "All your important files are stolen and encrypted! Visit our portal and enter your personal ID.",
                    "encrypted_extension": ".lockbit", "family": "LockBit 3.0",
                    "intrusion_route": "VPN appliance (remote-access gateway)"
                }
            })),
        ],
    )
    .await?;
    let state = crate::AppState::new(store.clone(), crate::Config::default());
    let share: ShareRequest = parse(json!({
        "scope": {"classes": ["class1", "class2"]},
        "tlp": "amber",
        "title": "Ransomware through an unpatched VPN appliance at an electric power operator"
    }))?;
    share_incident(&state, &power, ransomware, share).await?;

    // A DDoS attack on a bank's online banking (DDoS攻撃事案共通様式), final.
    let bank = reporter(store, founded, sharers, Sector::Finance).await?;
    file(
        store,
        &bank,
        json!({
            "title": "DDoS on the internet-banking front end",
            "kind": "ddos",
            "report": {
                "stage": "initial", "purpose": "incident_response",
                "affected": "Internet banking login pages", "suspected_malicious": "yes", "service_impact": true,
                "ddos": {"technique": "T1498.001", "peak_gbps": 38.5}
            }
        }),
        now - Duration::days(12),
        Duration::hours(2),
        vec![
            (Duration::hours(20), json!({
                "stage": "notification", "purpose": "regulatory",
                "summary": "UDP reflection flood for about 90 minutes; logins failed for most customers until the upstream scrubbing took over."
            })),
            (Duration::days(3), json!({
                "stage": "final", "purpose": "statistics",
                "cause": "A volumetric attack announced by a hacktivist group on social media",
                "intrusion_method": "None: no intrusion; reflection over open DNS and CLDAP servers",
                "damage": "Internet banking unavailable for 85 minutes",
                "measures": "Always-on scrubbing with the upstream provider; rate limits on the login pages",
                "service_level_deviation": true,
                "indicators": [{"type": "cidr", "value": "198.51.100.0/24"}],
                "ddos": {"technique": "T1498.002", "peak_gbps": 38.5, "peak_pps": 12_000_000, "duration_minutes": 90}
            })),
        ],
    )
    .await?;

    // A hospital's initial report only: its notification is overdue.
    let hospital = reporter(store, founded, sharers, Sector::Medical).await?;
    file(
        store,
        &hospital,
        json!({
            "title": "Suspicious logins on the electronic medical records gateway",
            "kind": "other",
            "report": {
                "stage": "initial", "purpose": "incident_response",
                "affected": "Remote-maintenance gateway of the electronic medical records system",
                "suspected_malicious": "unknown", "service_impact": false
            }
        }),
        now - Duration::days(4),
        Duration::hours(10),
        vec![],
    )
    .await?;

    // A gas operator at the notification stage.
    let gas = reporter(store, founded, sharers, Sector::Gas).await?;
    file(
        store,
        &gas,
        json!({
            "title": "Phishing leading to a compromised engineering workstation",
            "kind": "other",
            "report": {
                "stage": "initial", "purpose": "incident_response",
                "affected": "One engineering workstation in the office network",
                "suspected_malicious": "yes", "service_impact": false
            }
        }),
        now - Duration::days(2),
        Duration::hours(3),
        vec![(Duration::hours(30), json!({
            "stage": "notification", "purpose": "sharing_with_consent",
            "summary": "A macro document from a spoofed supplier installed a remote-access tool; the workstation is isolated.",
            "techniques": ["T1566.001", "T1219"],
            "indicators": [{"type": "domain", "value": "supplier-invoice.example.org"}]
        }))],
    )
    .await?;

    // A railway's leak of member data under the APPI regime, at the update stage.
    let railway = reporter(store, founded, sharers, Sector::Railway).await?;
    file(
        store,
        &railway,
        json!({
            "title": "Possible leak of loyalty-programme member data",
            "kind": "other", "regime": "appi",
            "report": {
                "stage": "initial", "purpose": "regulatory",
                "purpose_text": "個人情報保護委員会への速報 / APPI quick report",
                "affected": "Loyalty-programme web site and its member database",
                "suspected_malicious": "yes", "service_impact": false
            }
        }),
        now - Duration::days(3),
        Duration::days(1),
        vec![(Duration::days(2), json!({
            "stage": "update", "purpose": "regulatory",
            "summary": "SQL injection confirmed on the search page; about 12,000 records may have been read."
        }))],
    )
    .await?;
    Ok(())
}
