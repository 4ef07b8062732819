//! The demo council: a realistic membership across every sector, with a login and an
//! API token for every member and a few hundred shared items
//! ([`crate::demo_items`]), so a newcomer sees each feature in the first minute.
//!
//! Organisation names are invented (syllables that no real company uses); secrets are
//! random per data directory, never built into the binary.

use std::collections::BTreeSet;
use std::path::Path;

use serde::Serialize;
use time::OffsetDateTime;
use tokio::task::JoinSet;
use tsunagu_core::member::{MemberClass, Sector, SpecialRole};
use tsunagu_core::user::UserRole;
use tsunagu_store::Store;

use crate::auth::hash_password;
use crate::bootstrap::{BOOTSTRAPPED, Founding, found_member, found_user, random_password};
use crate::demo_items::populate_items;
use crate::error::{ApiError, ApiResult};

/// `demo-credentials.json`: every demo member with its users' logins, passwords and tokens.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct DemoCredentials {
    /// Where the server listens.
    pub base_url: String,
    /// The members.
    pub members: Vec<DemoMember>,
    /// Partner councils and ISACs (federation): outside the council, each pulls what
    /// its agreement lets out over TAXII with its token.
    #[serde(default)]
    pub partners: Vec<DemoPartner>,
}

/// One demo partner.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct DemoPartner {
    /// Member id (name it in an item's `scope.members`).
    pub id: String,
    /// Real (invented) name.
    pub name: String,
    /// Pseudonym.
    pub pseudonym: String,
    /// Sector id.
    pub sector: String,
    /// What may flow to it.
    pub agreement: tsunagu_core::federation::Agreement,
    /// Its user.
    pub users: Vec<DemoUser>,
}

/// One demo member.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct DemoMember {
    /// Member id.
    pub id: String,
    /// Real (invented) name.
    pub name: String,
    /// Pseudonym.
    pub pseudonym: String,
    /// class1, class2 or general.
    pub class: String,
    /// coordinator, secretariat, committee, regulator, alert_issuer, sensor_operator.
    pub roles: Vec<String>,
    /// Sector id.
    pub sector: String,
    /// Foreign-affiliated.
    pub foreign_affiliated: bool,
    /// Its users.
    pub users: Vec<DemoUser>,
}

/// One demo user.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct DemoUser {
    /// Login.
    pub login: String,
    /// Password.
    pub password: String,
    /// admin, analyst or viewer.
    pub role: String,
    /// API token.
    pub api_token: String,
}

const FIRST: &[&str] = &[
    "Kuronagi",
    "Sorahashi",
    "Zenkiro",
    "Hamuteru",
    "Yorikaze",
    "Mitsurabe",
    "Okuzane",
    "Tamayuri",
    "Shiganoto",
    "Fuyukumo",
    "Nagiramu",
    "Hotarube",
    "Izunaki",
    "Kagemori",
    "Rendaisu",
    "Umisaka",
    "Wakatsuge",
    "Gyokuren",
    "Tobinase",
    "Aokirime",
];
const SECOND: &[&str] = &[
    "", "Hoshi", "Nami", "Kiri", "Tsuru", "Mine", "Sato", "Kawa", "Yama", "Mori", "Hara", "Shima",
];

fn sector_suffix(s: Sector) -> &'static str {
    match s {
        Sector::InformationCommunication => "Tsushin",
        Sector::Finance => "Bank",
        Sector::Aviation => "Airways",
        Sector::Railway => "Railway",
        Sector::Electricity => "Denryoku",
        Sector::Gas => "Gas",
        Sector::GovernmentServices => "Gyosei Services",
        Sector::Medical => "Medical Centre",
        Sector::Water => "Waterworks",
        Sector::Logistics => "Logistics",
        Sector::Credit => "Card",
        Sector::Petroleum => "Sekiyu",
        Sector::Chemical => "Kagaku",
        Sector::NationalGovernment => "Agency",
        Sector::LocalGovernment => "Prefecture",
        Sector::SecurityVendor => "Cyberworks",
        Sector::Academia => "Institute of Technology",
        Sector::Other => "Holdings",
    }
}

/// The i-th invented organisation name in `sector`; distinct for distinct i below 240.
fn org_name(i: usize, sector: Sector) -> String {
    let first = FIRST[i % FIRST.len()];
    let second = SECOND[(i / FIRST.len()) % SECOND.len()].to_lowercase();
    format!("{first}{second} {}", sector_suffix(sector))
}

/// The five critical-infrastructure regulators of seed 002 and the sectors they oversee.
fn regulators() -> Vec<(&'static str, Vec<Sector>)> {
    vec![
        (
            "Demo Regulator: Financial Services (金融庁)",
            vec![Sector::Finance, Sector::Credit],
        ),
        (
            "Demo Regulator: Internal Affairs and Communications (総務省)",
            vec![
                Sector::InformationCommunication,
                Sector::GovernmentServices,
                Sector::LocalGovernment,
            ],
        ),
        (
            "Demo Regulator: Health, Labour and Welfare (厚生労働省)",
            vec![Sector::Medical, Sector::Water],
        ),
        (
            "Demo Regulator: Economy, Trade and Industry (経済産業省)",
            vec![
                Sector::Electricity,
                Sector::Gas,
                Sector::Chemical,
                Sector::Credit,
                Sector::Petroleum,
            ],
        ),
        (
            "Demo Regulator: Land, Infrastructure, Transport and Tourism (国土交通省)",
            vec![Sector::Aviation, Sector::Railway, Sector::Logistics],
        ),
    ]
}

/// The membership of the demo council, before secrets are made.
pub(crate) fn plan() -> Vec<(Founding, Vec<UserRole>)> {
    let mut out = Vec::new();
    let one = |name: &str, class, roles: &[SpecialRole], sector, category: &str| Founding {
        name: name.to_owned(),
        class,
        roles: roles.iter().copied().collect(),
        sector,
        category: category.to_owned(),
        foreign_affiliated: false,
        regulator_of: BTreeSet::new(),
    };
    out.push((
        one(
            "Tsunagu Coordination Centre",
            MemberClass::Class1,
            &[SpecialRole::Coordinator, SpecialRole::Committee],
            Sector::Other,
            "coordinator",
        ),
        vec![UserRole::Admin, UserRole::Analyst],
    ));
    out.push((
        one(
            "Council Secretariat",
            MemberClass::Class1,
            &[SpecialRole::Secretariat, SpecialRole::Committee],
            Sector::NationalGovernment,
            "secretariat",
        ),
        vec![UserRole::Admin],
    ));
    for (name, sectors) in regulators() {
        let mut f = one(
            name,
            MemberClass::General,
            &[SpecialRole::Regulator],
            Sector::NationalGovernment,
            "ministry",
        );
        f.regulator_of = sectors.into_iter().collect();
        out.push((f, vec![UserRole::Admin]));
    }
    let vendors = [
        Sector::SecurityVendor,
        Sector::SecurityVendor,
        Sector::SecurityVendor,
        Sector::Academia,
    ];
    for i in 0..10 {
        let sector = if i < 8 {
            vendors[i % 4]
        } else {
            Sector::InformationCommunication
        };
        let mut f = one(
            &org_name(i, sector),
            MemberClass::Class1,
            &[],
            sector,
            "expert",
        );
        if i < 3 {
            f.roles.insert(SpecialRole::Committee);
        }
        // The academic institute runs the council's darknet and honeypot sensors.
        if sector == Sector::Academia {
            f.roles.insert(SpecialRole::SensorOperator);
        }
        f.foreign_affiliated = i == 9;
        out.push((f, vec![UserRole::Admin, UserRole::Analyst]));
    }
    let ci: Vec<Sector> = Sector::ALL
        .iter()
        .copied()
        .filter(|s| s.is_critical_infrastructure())
        .collect();
    for i in 0..30 {
        let sector = ci[i % ci.len()];
        let mut f = one(
            &org_name(10 + i, sector),
            MemberClass::Class2,
            &[],
            sector,
            "operator",
        );
        f.foreign_affiliated = i % 11 == 4;
        out.push((
            f,
            vec![UserRole::Admin, UserRole::Analyst, UserRole::Viewer],
        ));
    }
    for i in 0..200 {
        let sector = Sector::ALL[i % Sector::ALL.len()];
        let mut f = one(
            &org_name(40 + i, sector),
            MemberClass::General,
            &[],
            sector,
            "member",
        );
        f.foreign_affiliated = i % 37 == 5;
        out.push((f, vec![UserRole::Admin]));
    }
    out
}

fn slug(name: &str, i: usize) -> String {
    let base: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(16)
        .collect::<String>()
        .to_lowercase();
    if base.is_empty() {
        format!("member{i:03}")
    } else {
        format!("{base}{i:03}")
    }
}

/// Creates the demo council in an empty database and returns every credential.
///
/// # Errors
/// When the database already holds a council, or on database failure.
pub async fn populate(store: &Store, base_url: &str) -> ApiResult<DemoCredentials> {
    if store.meta(BOOTSTRAPPED).await?.is_some() {
        return Err(ApiError::Conflict(
            "the database already holds a council".into(),
        ));
    }
    let plan = plan();
    // Hash every password first, in parallel and outside the transaction.
    let mut jobs = JoinSet::new();
    for (mi, (_, roles)) in plan.iter().enumerate() {
        for (ui, _) in roles.iter().enumerate() {
            let password = random_password();
            jobs.spawn(async move {
                (
                    mi,
                    ui,
                    hash_password(password.clone()).await.map(|h| (password, h)),
                )
            });
        }
    }
    let mut hashed = std::collections::HashMap::new();
    while let Some(done) = jobs.join_next().await {
        let (mi, ui, r) = done.map_err(|e| ApiError::Internal(e.to_string()))?;
        hashed.insert((mi, ui), r?);
    }
    let mut tx = store.begin().await?;
    let mut members = Vec::with_capacity(plan.len());
    let mut founded = Vec::with_capacity(plan.len());
    let mut sharers = Vec::with_capacity(plan.len());
    for (mi, (founding, roles)) in plan.into_iter().enumerate() {
        let m = found_member(&mut tx, founding).await?;
        let mut users = Vec::new();
        let mut sharer = None;
        for (ui, role) in roles.into_iter().enumerate() {
            let (password, hash) = hashed
                .remove(&(mi, ui))
                .ok_or_else(|| ApiError::Internal("missing demo password".into()))?;
            let login = match (
                m.has_role(SpecialRole::Coordinator),
                m.has_role(SpecialRole::Secretariat),
            ) {
                (true, _) => format!("coordinator-{}", role.as_str()),
                (_, true) => format!("secretariat-{}", role.as_str()),
                _ => format!("{}-{}", slug(&m.name, mi), role.as_str()),
            };
            let (user_id, api_token) = found_user(&mut tx, m.id, &login, role, &hash).await?;
            // Items are shared by the member's analyst, or its first user.
            if sharer.is_none() || role == UserRole::Analyst {
                sharer = Some(user_id);
            }
            users.push(DemoUser {
                login,
                password,
                role: role.as_str().to_owned(),
                api_token,
            });
        }
        members.push(DemoMember {
            id: m.id.to_string(),
            name: m.name.clone(),
            pseudonym: m.pseudonym.clone(),
            class: m.class.as_str().to_owned(),
            roles: m.roles.iter().map(|r| r.as_str().to_owned()).collect(),
            sector: m.sector.as_str().to_owned(),
            foreign_affiliated: m.foreign_affiliated,
            users,
        });
        if let Some(user) = sharer {
            sharers.push((m.id, user));
        }
        founded.push(m);
    }
    populate_items(&mut tx, &founded, &sharers).await?;
    tx.set_meta(
        BOOTSTRAPPED,
        &OffsetDateTime::now_utc().unix_timestamp().to_string(),
    )
    .await?;
    tx.set_meta("demo", "true").await?;
    let alerts = populate_alerts(&mut tx, &founded).await?;
    record_demo_receipts(&mut tx, &founded, &alerts).await?;
    tx.commit().await?;
    import_partner_feed(store, &founded, &sharers).await?;
    seed_assets(store, &founded, &sharers).await?;
    seed_catalogue(store, &founded, &sharers).await?;
    crate::demo_incidents::populate(store, &founded, &sharers).await?;
    crate::demo_governance::populate(store, &founded, &sharers).await?;
    crate::demo_observations::populate(store, &founded, &sharers).await?;
    crate::demo_clearance::populate(store, &founded, &sharers).await?;
    let partners = crate::demo_partners::populate(store, &founded, &sharers).await?;
    Ok(DemoCredentials {
        base_url: base_url.to_owned(),
        members,
        partners,
    })
}

/// A security vendor's report as its own threat-intelligence platform exports it: a
/// report, indicators, a malware family and the relationship between them. The vendor
/// sees it under these ids; everyone else under the council's.
const PARTNER_BUNDLE: &str = r#"{"type": "bundle", "id": "bundle--7d1c4a2e-5b3f-4e8a-9c6d-0f1e2d3c4b5a", "objects": [
 {"type": "identity", "spec_version": "2.1", "id": "identity--3b9e1f4c-2a7d-4c5e-8f6a-1d2c3b4a5e6f", "created": "2026-11-20T02:00:00.000Z", "modified": "2026-11-20T02:00:00.000Z", "name": "Vendor threat research", "identity_class": "organization"},
 {"type": "report", "spec_version": "2.1", "id": "report--9f2d6b1a-4c3e-4a5b-8d7c-2e1f0a9b8c7d", "created": "2026-11-20T02:00:00.000Z", "modified": "2026-11-20T02:00:00.000Z", "created_by_ref": "identity--3b9e1f4c-2a7d-4c5e-8f6a-1d2c3b4a5e6f",
  "name": "Partner feed (STIX 2.1): invoice-themed phishing kit against logistics operators", "description": "Imported from the vendor's own platform: an invoice lure delivering a loader to logistics back offices.", "published": "2026-11-20T02:00:00Z", "report_types": ["threat-report"], "confidence": 80,
  "object_refs": ["indicator--1a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d", "indicator--2b3c4d5e-6f7a-4b2c-9d3e-4f5a6b7c8d9e", "indicator--3c4d5e6f-7a8b-4c3d-8e4f-5a6b7c8d9e0f", "malware--4d5e6f7a-8b9c-4d4e-9f5a-6b7c8d9e0f1a", "relationship--5e6f7a8b-9c0d-4e5f-8a6b-7c8d9e0f1a2b"],
  "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]},
 {"type": "indicator", "spec_version": "2.1", "id": "indicator--1a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d", "created": "2026-11-20T02:00:00.000Z", "modified": "2026-11-20T02:00:00.000Z", "pattern": "[domain-name:value = 'invoice-portal-kuronagi.example.com']", "pattern_type": "stix", "valid_from": "2026-11-20T02:00:00Z", "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]},
 {"type": "indicator", "spec_version": "2.1", "id": "indicator--2b3c4d5e-6f7a-4b2c-9d3e-4f5a6b7c8d9e", "created": "2026-11-20T02:00:00.000Z", "modified": "2026-11-20T02:00:00.000Z", "pattern": "[ipv4-addr:value = '198.51.100.140']", "pattern_type": "stix", "valid_from": "2026-11-20T02:00:00Z", "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]},
 {"type": "indicator", "spec_version": "2.1", "id": "indicator--3c4d5e6f-7a8b-4c3d-8e4f-5a6b7c8d9e0f", "created": "2026-11-20T02:00:00.000Z", "modified": "2026-11-20T02:00:00.000Z", "pattern": "[file:hashes.'SHA-256' = 'a3f1c9e2b7d4a6f8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a4c6e8b0d2f4a6']", "pattern_type": "stix", "valid_from": "2026-11-20T02:00:00Z", "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]},
 {"type": "malware", "spec_version": "2.1", "id": "malware--4d5e6f7a-8b9c-4d4e-9f5a-6b7c8d9e0f1a", "created": "2026-11-20T02:00:00.000Z", "modified": "2026-11-20T02:00:00.000Z", "name": "InvoiceLoader", "is_family": true, "malware_types": ["downloader"], "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]},
 {"type": "relationship", "spec_version": "2.1", "id": "relationship--5e6f7a8b-9c0d-4e5f-8a6b-7c8d9e0f1a2b", "created": "2026-11-20T02:00:00.000Z", "modified": "2026-11-20T02:00:00.000Z", "relationship_type": "indicates", "source_ref": "indicator--3c4d5e6f-7a8b-4c3d-8e4f-5a6b7c8d9e0f", "target_ref": "malware--4d5e6f7a-8b9c-4d4e-9f5a-6b7c8d9e0f1a", "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]}
]}"#;

/// Well-known exploited vulnerabilities, as CISA's feed lists them, with the council's
/// own fields on some (what `tsunagu import kev` would load, then curated).
const DEMO_KEV: &str = r#"{"title": "CISA Catalog of Known Exploited Vulnerabilities", "catalogVersion": "2026.11.20", "dateReleased": "2026-11-20T17:00:00.000Z", "count": 6, "vulnerabilities": [
 {"cveID": "CVE-2017-0144", "vendorProject": "Microsoft", "product": "SMBv1", "vulnerabilityName": "Microsoft SMBv1 Remote Code Execution Vulnerability", "dateAdded": "2022-02-10", "shortDescription": "The SMBv1 server in multiple Microsoft Windows versions allows remote attackers to execute arbitrary code via crafted packets (EternalBlue, used by WannaCry).", "requiredAction": "Apply updates per vendor instructions.", "dueDate": "2022-08-10", "knownRansomwareCampaignUse": "Known", "notes": "https://nvd.nist.gov/vuln/detail/CVE-2017-0144", "cwes": ["CWE-20"], "nationalDueDate": "2022-03-01", "sectorsExploited": ["medical", "railway"], "cpeMatch": ["cpe:2.3:o:microsoft:windows_7:-:sp1:*:*:*:*:*:*"]},
 {"cveID": "CVE-2018-13379", "vendorProject": "Fortinet", "product": "FortiOS", "vulnerabilityName": "Fortinet FortiOS SSL VPN Path Traversal Vulnerability", "dateAdded": "2021-11-03", "shortDescription": "A path traversal vulnerability in the FortiOS SSL VPN web portal may allow an unauthenticated attacker to download FortiOS system files.", "requiredAction": "Apply updates per vendor instructions.", "dueDate": "2022-05-03", "knownRansomwareCampaignUse": "Known", "notes": "", "cwes": ["CWE-22"], "sectorsExploited": ["medical", "chemical"], "cpeMatch": [{"criteria": "cpe:2.3:o:fortinet:fortios:*:*:*:*:*:*:*:*", "versionStartIncluding": "6.0.0", "versionEndIncluding": "6.0.4"}, {"criteria": "cpe:2.3:o:fortinet:fortios:*:*:*:*:*:*:*:*", "versionStartIncluding": "5.6.3", "versionEndIncluding": "5.6.7"}]},
 {"cveID": "CVE-2019-11510", "vendorProject": "Ivanti", "product": "Pulse Connect Secure", "vulnerabilityName": "Ivanti Pulse Connect Secure Arbitrary File Read Vulnerability", "dateAdded": "2021-11-03", "shortDescription": "Ivanti Pulse Connect Secure contains an arbitrary file read vulnerability that allows an unauthenticated remote attacker to send a specially crafted URI.", "requiredAction": "Apply updates per vendor instructions.", "dueDate": "2022-04-15", "knownRansomwareCampaignUse": "Known", "notes": "", "cwes": ["CWE-22"]},
 {"cveID": "CVE-2021-44228", "vendorProject": "Apache", "product": "Log4j2", "vulnerabilityName": "Apache Log4j2 Remote Code Execution Vulnerability", "dateAdded": "2021-12-10", "shortDescription": "Apache Log4j2 contains a vulnerability where JNDI features do not protect against attacker-controlled JNDI-related endpoints, allowing for remote code execution.", "requiredAction": "Apply updates per vendor instructions.", "dueDate": "2021-12-24", "knownRansomwareCampaignUse": "Known", "notes": "", "cwes": ["CWE-20", "CWE-400", "CWE-502"], "cpeMatch": [{"criteria": "cpe:2.3:a:apache:log4j:*:*:*:*:*:*:*:*", "versionStartIncluding": "2.13.0", "versionEndExcluding": "2.15.0"}]},
 {"cveID": "CVE-2023-46805", "vendorProject": "Ivanti", "product": "Connect Secure and Policy Secure", "vulnerabilityName": "Ivanti Connect Secure and Policy Secure Authentication Bypass Vulnerability", "dateAdded": "2024-01-10", "shortDescription": "Ivanti Connect Secure and Ivanti Policy Secure contain an authentication bypass vulnerability in the web component.", "requiredAction": "Apply mitigations per vendor instructions or discontinue use of the product if mitigations are unavailable.", "dueDate": "2024-01-22", "knownRansomwareCampaignUse": "Unknown", "notes": "", "cwes": ["CWE-287"], "nationalDueDate": "2024-01-17", "sectorsExploited": ["electricity", "gas"], "cpeMatch": [{"criteria": "cpe:2.3:a:ivanti:connect_secure:*:*:*:*:*:*:*:*", "versionStartIncluding": "9.0", "versionEndExcluding": "22.7r1"}]},
 {"cveID": "CVE-2024-21887", "vendorProject": "Ivanti", "product": "Connect Secure and Policy Secure", "vulnerabilityName": "Ivanti Connect Secure and Policy Secure Command Injection Vulnerability", "dateAdded": "2024-01-10", "shortDescription": "Ivanti Connect Secure and Ivanti Policy Secure contain a command injection vulnerability in the web components.", "requiredAction": "Apply mitigations per vendor instructions or discontinue use of the product if mitigations are unavailable.", "dueDate": "2024-01-22", "knownRansomwareCampaignUse": "Known", "notes": "", "cwes": ["CWE-77"], "nationalDueDate": "2024-01-17", "sectorsExploited": ["electricity", "gas"]}
]}"#;

/// The products the demo's operators run, some at affected versions and some fixed:
/// (vendor, product, versions, model, CPE template with `{v}` for the version).
const DEMO_FLEET: [(&str, &str, [&str; 4], &str, &str); 6] = [
    (
        "Fortinet",
        "FortiOS",
        ["6.0.2", "6.0.4", "7.0.12", "7.2.8"],
        "FortiGate 60F",
        "",
    ),
    (
        "Ivanti",
        "Connect Secure",
        ["9.1R18", "22.6R2", "22.7R2.3", "22.7R2.4"],
        "ISA6000",
        "",
    ),
    (
        "Microsoft",
        "Windows 7",
        ["-", "-", "-", "-"],
        "",
        "cpe:2.3:o:microsoft:windows_7:-:sp1:*:*:*:*:*:*",
    ),
    (
        "Microsoft",
        "Windows Server 2022",
        [
            "10.0.20348.2700",
            "10.0.20348.2849",
            "10.0.20348.2966",
            "10.0.20348.3091",
        ],
        "",
        "",
    ),
    (
        "Cisco",
        "Adaptive Security Appliance Software",
        ["9.16(4)", "9.18(3)", "9.18(4.22)", "9.20(2)"],
        "ASA 5516-X",
        "",
    ),
    (
        "Apache",
        "HTTP Server",
        ["2.4.49", "2.4.58", "2.4.62", "2.4.62"],
        "",
        "cpe:2.3:a:apache:http_server:{v}:*:*:*:*:*:*:*",
    ),
];

/// A monitoring gateway's firmware SBOM (CycloneDX 1.6) with a vulnerable Log4j inside.
const DEMO_SBOM: &str = r#"{"bomFormat": "CycloneDX", "specVersion": "1.6", "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79", "version": 1,
 "metadata": {"component": {"type": "firmware", "name": "RMG-200 remote monitoring gateway firmware", "version": "3.2.1", "supplier": {"name": "Kanto Instruments"}}},
 "components": [
  {"type": "operating-system", "name": "linux", "version": "5.10.201", "cpe": "cpe:2.3:o:linux:linux_kernel:5.10.201:*:*:*:*:*:*:*"},
  {"type": "application", "name": "busybox", "version": "1.36.1", "purl": "pkg:generic/busybox@1.36.1", "cpe": "cpe:2.3:a:busybox:busybox:1.36.1:*:*:*:*:*:*:*"},
  {"type": "library", "name": "openssl", "version": "1.1.1w", "purl": "pkg:generic/openssl@1.1.1w", "cpe": "cpe:2.3:a:openssl:openssl:1.1.1w:*:*:*:*:*:*:*"},
  {"type": "application", "name": "monitoring-agent", "version": "3.2.1", "components": [
    {"type": "library", "group": "org.apache.logging.log4j", "name": "log4j-core", "version": "2.14.1", "purl": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", "cpe": "cpe:2.3:a:apache:log4j:2.14.1:*:*:*:*:*:*:*"},
    {"type": "library", "group": "com.fasterxml.jackson.core", "name": "jackson-databind", "version": "2.15.2", "purl": "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.15.2"}
  ]}
 ]}"#;

/// Registers the fleets of the operators and general members (a few products each,
/// some at affected versions) and one SBOM, through the same path as the API; the
/// catalogue loaded next then alerts exactly the members running affected versions.
async fn seed_assets(
    store: &Store,
    founded: &[tsunagu_core::member::Member],
    sharers: &[(tsunagu_core::ids::MemberId, tsunagu_core::ids::UserId)],
) -> ApiResult<()> {
    use tsunagu_core::asset::{AssetForm, AssetSpec};
    let state = crate::AppState::new(store.clone(), crate::Config::default());
    let operators = founded
        .iter()
        .filter(|m| m.class == MemberClass::Class2 || m.class == MemberClass::General)
        .filter(|m| !m.has_role(SpecialRole::Regulator));
    let mut sbom_done = false;
    for (i, m) in operators.enumerate() {
        let viewer = member_viewer(store, m, sharers).await?;
        let mut specs = Vec::new();
        for (j, (vendor, product, versions, model, cpe)) in DEMO_FLEET.iter().enumerate() {
            if (i + j) % 3 == 2 {
                continue;
            }
            let version = versions[(i / 2 + j) % versions.len()];
            let form = AssetForm {
                vendor: (*vendor).into(),
                product: (*product).into(),
                version: if version == "-" {
                    String::new()
                } else {
                    version.into()
                },
                model: (*model).into(),
                cpe: (!cpe.is_empty()).then(|| cpe.replace("{v}", version)),
                purl: None,
                sector_service: format!("{} operations", m.sector.name_en()),
                internet_facing: j < 2 || j == 5,
            };
            specs.push(form.parse()?);
        }
        crate::api::assets::register(&state, &viewer, None, specs, "asset.import").await?;
        if !sbom_done && m.class == MemberClass::Class2 {
            let doc = tsunagu_core::sbom::parse(DEMO_SBOM.as_bytes())?;
            let specs = doc
                .subject
                .iter()
                .chain(&doc.components)
                .map(|c| AssetSpec::from_component(c, "remote monitoring of substations", true))
                .collect::<Result<Vec<_>, _>>()?;
            let row = crate::api::assets::sbom_row(
                &viewer,
                &doc,
                specs.len(),
                "remote monitoring of substations",
                true,
            );
            crate::api::assets::register(&state, &viewer, Some(&row), specs, "sbom.upload").await?;
            sbom_done = true;
        }
    }
    Ok(())
}

/// A vendor's CSAF 2.0 advisory for a catalogue entry: FortiOS 6.0.0–6.0.4, which the
/// demo's members run, affected by CVE-2018-13379 (by CPE), fixed in 6.0.5.
const DEMO_ADVISORY: &str = r#"{
  "document": {
    "category": "csaf_security_advisory", "csaf_version": "2.0",
    "distribution": {"tlp": {"label": "WHITE"}},
    "notes": [{"category": "summary", "text": "A path traversal in the FortiOS SSL-VPN web portal lets an unauthenticated attacker download system files, including session files with credentials."}],
    "publisher": {"category": "vendor", "name": "Fortinet PSIRT", "namespace": "https://www.fortiguard.com"},
    "title": "FortiOS SSL-VPN path traversal exposes system files",
    "tracking": {"current_release_date": "2019-05-24T09:00:00+09:00", "id": "FG-IR-18-384",
      "initial_release_date": "2019-05-24T09:00:00+09:00",
      "revision_history": [{"date": "2019-05-24T09:00:00+09:00", "number": "1", "summary": "Initial release"}],
      "status": "final", "version": "1"}
  },
  "product_tree": {"branches": [{"category": "vendor", "name": "Fortinet", "branches": [
    {"category": "product_name", "name": "FortiOS", "branches": [
      {"category": "product_version_range", "name": "vers:generic/>=6.0.0|<=6.0.4",
       "product": {"name": "FortiOS 6.0.0 to 6.0.4", "product_id": "FOS-6.0-AFFECTED",
         "product_identification_helper": {"cpe": "cpe:2.3:o:fortinet:fortios:*:*:*:*:*:*:*:*"}}},
      {"category": "product_version", "name": "6.0.5",
       "product": {"name": "FortiOS 6.0.5", "product_id": "FOS-6.0.5",
         "product_identification_helper": {"cpe": "cpe:2.3:o:fortinet:fortios:6.0.5:*:*:*:*:*:*:*"}}}
    ]}
  ]}]},
  "vulnerabilities": [{
    "cve": "CVE-2018-13379",
    "notes": [{"category": "description", "text": "Improper limitation of a pathname in the SSL-VPN web portal."}],
    "product_status": {"known_affected": ["FOS-6.0-AFFECTED"], "fixed": ["FOS-6.0.5"]},
    "remediations": [{"category": "vendor_fix", "details": "Upgrade to FortiOS 6.0.5 or later.", "product_ids": ["FOS-6.0-AFFECTED"]}],
    "threats": [{"category": "exploit_status", "details": "Exploited in the wild."}]
  }]
}"#;

/// Loads [`DEMO_KEV`] into the catalogue as the coordinator, through the same path as
/// `tsunagu import kev`; imports [`DEMO_ADVISORY`] (each member's page of it names its
/// own affected FortiGates) and asks the vendor about the FortiOS entry (no SMTP relay
/// in the demo, so the request waits for an answer recorded by hand).
async fn seed_catalogue(
    store: &Store,
    founded: &[tsunagu_core::member::Member],
    sharers: &[(tsunagu_core::ids::MemberId, tsunagu_core::ids::UserId)],
) -> ApiResult<()> {
    let coordinator = founded
        .iter()
        .find(|m| m.has_role(SpecialRole::Coordinator))
        .ok_or_else(|| ApiError::Internal("the demo has no coordinator".into()))?;
    let viewer = member_viewer(store, coordinator, sharers).await?;
    let state = crate::AppState::new(store.clone(), crate::Config::default());
    crate::api::kev::import_feed(&state, &viewer, DEMO_KEV).await?;
    crate::api::advisories::import_advisory(&state, &viewer, DEMO_ADVISORY.as_bytes()).await?;
    let (_, axum::Json(_request)) = crate::api::vendor::open(
        axum::extract::State(state),
        crate::extract::Auth(viewer),
        axum::extract::Path("CVE-2018-13379".to_owned()),
        crate::extract::ApiJson(crate::api::vendor::VendorRequestForm {
            vendor_member: None,
            vendor_name: Some("Fortinet PSIRT".into()),
            contact_email: Some("psirt@fortinet.example".into()),
            product: Some("FortiOS".into()),
            message: "Several members still run FortiOS 6.0.x on internet-facing VPN gateways. \
                      Please confirm the fixed versions for every supported branch and whether \
                      session files exposed before patching need the credentials reset."
                .into(),
        }),
    )
    .await?;
    Ok(())
}

/// The user through which the demo acts for `member`.
pub(crate) async fn member_viewer(
    store: &Store,
    member: &tsunagu_core::member::Member,
    sharers: &[(tsunagu_core::ids::MemberId, tsunagu_core::ids::UserId)],
) -> ApiResult<tsunagu_core::user::Viewer> {
    let user_id = sharers
        .iter()
        .find(|(m, _)| *m == member.id)
        .map(|(_, u)| *u)
        .ok_or_else(|| ApiError::Internal(format!("{} has no user", member.name)))?;
    let user = store
        .user(user_id)
        .await?
        .ok_or_else(|| ApiError::Internal(format!("the user of {} is gone", member.name)))?;
    Ok(tsunagu_core::user::Viewer::uncleared(user, member.clone()))
}

/// Imports [`PARTNER_BUNDLE`] as the first security vendor's analyst, through the same
/// path as `tsunagu import stix`.
async fn import_partner_feed(
    store: &Store,
    founded: &[tsunagu_core::member::Member],
    sharers: &[(tsunagu_core::ids::MemberId, tsunagu_core::ids::UserId)],
) -> ApiResult<()> {
    let vendor = founded
        .iter()
        .find(|m| m.sector == Sector::SecurityVendor && m.class == MemberClass::Class1)
        .ok_or_else(|| ApiError::Internal("the demo has no class-1 vendor".into()))?;
    let viewer = member_viewer(store, vendor, sharers).await?;
    let state = crate::AppState::new(store.clone(), crate::Config::default());
    crate::interop::import_stix(
        &state,
        &viewer,
        std::io::Cursor::new(PARTNER_BUNDLE.as_bytes()),
        |_| {},
    )
    .await?;
    Ok(())
}

/// Two past alerts: the WannaCry weekend (real) and a CYDER-style exercise.
async fn populate_alerts(
    tx: &mut tsunagu_store::Tx,
    members: &[tsunagu_core::member::Member],
) -> ApiResult<Vec<tsunagu_core::alert::Alert>> {
    use tsunagu_core::alert::{Alert, AlertForm, AlertStatus};
    let coordinator = members
        .iter()
        .find(|m| m.has_role(SpecialRole::Coordinator))
        .ok_or_else(|| ApiError::Internal("the demo has no coordinator".into()))?;
    let forms = [
        (
            serde_json::json!({
                "title": "Do not boot unpatched Windows PCs (SMBv1 worm)",
                "severity": "critical",
                "action_required": "Keep Windows PCs off the network until MS17-010 is applied; block TCP 445 at the perimeter; disable SMBv1.",
                "deadline_text": "月曜 08:30 JST までに / before 08:30 JST Monday",
                "body_executive": "A worm encrypts Windows PCs the moment they boot on an unpatched network. Staff must not switch on office PCs on Monday until IT confirms the patch.",
                "body_analyst": "EternalBlue (CVE-2017-0144) over TCP 445, DoublePulsar implant; see the related analyses for indicators.",
                "cves": ["CVE-2017-0144"],
                "target": {"all": true},
                "exercise": false
            }),
            72,
        ),
        (
            serde_json::json!({
                "title": "Exercise: VPN appliance compromise in the electricity sector",
                "severity": "high",
                "action_required": "Follow your incident playbook for the VPN appliance scenario and report completion (対応済み).",
                "deadline_text": "within 4 hours of receipt",
                "body_executive": "A joint CYDER-style exercise. No real systems are affected.",
                "body_analyst": "Scenario: authentication bypass on the perimeter VPN appliance, lateral movement to the OT network.",
                "cves": ["CVE-2023-46805", "CVE-2024-21887"],
                "target": {"sectors": ["electricity", "gas"], "classes": ["class1"]},
                "exercise": true
            }),
            24,
        ),
    ];
    let mut out = Vec::new();
    for (form, hours_ago) in forms {
        let form: AlertForm =
            serde_json::from_value(form).map_err(|e| ApiError::Internal(e.to_string()))?;
        let at = OffsetDateTime::now_utc() - time::Duration::hours(hours_ago);
        let alert = Alert {
            id: tsunagu_core::ids::AlertId::new(),
            issuer: coordinator.id,
            content: form.parse()?,
            status: AlertStatus::Active,
            revision: 1,
            created_at: at,
            updated_at: at,
        };
        tx.publish_alert(&alert, &[], at).await?;
        tx.audit(&crate::audit_by(
            None,
            "alert.issue",
            "alert",
            &alert.id.to_string(),
            serde_json::json!({ "exercise": alert.content.exercise }),
        ))
        .await?;
        out.push(alert);
    }
    Ok(out)
}

/// Receipts of the past alerts: most targeted members read them, many acted, a few
/// were never reached, so the progress page has something to show.
async fn record_demo_receipts(
    tx: &mut tsunagu_store::Tx,
    members: &[tsunagu_core::member::Member],
    alerts: &[tsunagu_core::alert::Alert],
) -> ApiResult<()> {
    for alert in alerts {
        for (i, m) in members
            .iter()
            .enumerate()
            .filter(|(_, m)| alert.content.targets(m))
        {
            if i % 10 == 7 {
                continue;
            }
            let at =
                alert.created_at + time::Duration::minutes(i64::try_from(i % 90).unwrap_or(0) + 1);
            tx.mark_receipt(alert.id, m.id, i % 3 != 0, at).await?;
        }
    }
    Ok(())
}

/// Writes the credentials readable by the owner only (mode 0600).
///
/// # Errors
/// When the file cannot be written.
pub fn write_credentials(path: &Path, creds: &DemoCredentials) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    f.write_all(
        serde_json::to_string_pretty(creds)
            .map_err(std::io::Error::other)?
            .as_bytes(),
    )?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_plan_is_a_realistic_council() {
        let p = plan();
        let count = |c| p.iter().filter(|(f, _)| f.class == c).count();
        assert_eq!(count(MemberClass::Class1), 12);
        assert_eq!(count(MemberClass::Class2), 30);
        assert_eq!(count(MemberClass::General), 205);
        let names: BTreeSet<_> = p.iter().map(|(f, _)| f.name.clone()).collect();
        assert_eq!(names.len(), p.len(), "names are distinct");
        let sectors: BTreeSet<_> = p.iter().map(|(f, _)| f.sector).collect();
        assert_eq!(
            sectors.len(),
            Sector::ALL.len(),
            "every sector is represented"
        );
        assert!(p.iter().any(|(f, _)| f.foreign_affiliated));
        assert_eq!(
            p.iter()
                .filter(|(f, _)| f.roles.contains(&SpecialRole::Regulator))
                .count(),
            5
        );
        assert!(p.iter().all(|(_, users)| users.contains(&UserRole::Admin)));
    }
}
