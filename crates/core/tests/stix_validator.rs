//! Runs the OASIS stix2-validator (the Python reference implementation) over bundles
//! exported for a representative set of items: every indicator kind, every audience,
//! feedback, and unmodelled objects from a STIX import (untouched and re-issued).
//!
//! Needs `TSUNAGU_TEST_PYTHON` pointing at a Python with `stix2validator` installed
//! (`scripts/test` prepares one). Without it the test is skipped loudly, or fails when
//! `TSUNAGU_REQUIRE_INTEROP` is set.
#![allow(clippy::unwrap_used, missing_docs)]

use std::collections::BTreeMap;
use std::process::Command;

use serde_json::{Value, json};
use time::OffsetDateTime;
use tsunagu_core::feedback::{Answer, Opinion, Sighting};
use tsunagu_core::ids::{ItemId, MemberId};
use tsunagu_core::indicator::{CveId, Indicator, IndicatorKind, TechniqueId, Tlp};
use tsunagu_core::item::{Confidence, ItemKind, ItemStatus};
use tsunagu_core::member::Sector;
use tsunagu_core::stix::{
    ExportItem, FeedbackObject, StixOriginals, indicator_key, read_bundle, write_bundle,
};
use tsunagu_core::view::{Audience, ItemView, VIA, VictimView};
use uuid::Uuid;

fn python() -> Option<String> {
    match std::env::var("TSUNAGU_TEST_PYTHON") {
        Ok(p) if !p.is_empty() => Some(p),
        _ => {
            assert!(
                std::env::var_os("TSUNAGU_REQUIRE_INTEROP").is_none(),
                "TSUNAGU_REQUIRE_INTEROP is set but TSUNAGU_TEST_PYTHON is not"
            );
            eprintln!(
                "*** SKIPPED stix_validator: TSUNAGU_TEST_PYTHON is not set (run scripts/test) ***"
            );
            None
        }
    }
}

fn all_indicators() -> Vec<Indicator> {
    use IndicatorKind as K;
    [
        (K::Ipv4, "192.0.2.1"),
        (K::Ipv6, "2001:db8::1"),
        (K::Cidr, "198.51.100.0/24"),
        (K::Cidr, "2001:db8::/32"),
        (K::Domain, "evil.example"),
        (K::Url, "https://evil.example/a'b\\c?x=1"),
        (K::Email, "o'neil@evil.example"),
        (K::EmailSubject, "It's a \\ trap: 請求書"),
        (K::Md5, "d41d8cd98f00b204e9800998ecf8427e"),
        (K::Sha1, "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
        (
            K::Sha256,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
    ]
    .into_iter()
    .map(|(k, v)| Indicator::parse(k, v).unwrap())
    .collect()
}

fn view(n: u128, audience: Audience, kind: ItemKind, tlp: Tlp) -> ItemView {
    let full = audience == Audience::Full;
    let technical = matches!(audience, Audience::Full | Audience::Class1);
    ItemView {
        id: ItemId::from(Uuid::from_u128(n)),
        kind,
        title: format!("Item {n}"),
        executive_context: "Business systems stop.".into(),
        technical_details: technical.then(|| "SMBv1 exploitation.".into()),
        countermeasures: if n.is_multiple_of(2) {
            "Patch.".into()
        } else {
            String::new()
        },
        victim: (n % 3 != 2).then(|| VictimView {
            name: full.then(|| "Victim Hospital".into()),
            sector: n.is_multiple_of(3).then_some(Sector::Medical),
            damaged: true,
            damage_details: technical.then(|| "encrypted".into()),
        }),
        indicators: all_indicators(),
        techniques: vec![
            TechniqueId::parse("T1210").unwrap(),
            TechniqueId::parse("T1566.001").unwrap(),
        ],
        cves: vec![CveId::parse("CVE-2017-0144").unwrap()],
        products: vec![],
        confidence: if kind == ItemKind::Analysis {
            Confidence::Unconfirmed
        } else {
            Confidence::Confirmed
        },
        tlp,
        status: ItemStatus::Shared,
        revision: 1,
        created_at: OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap(),
        updated_at: OffsetDateTime::from_unix_timestamp(1_700_000_500).unwrap(),
        via: VIA,
        provider_sector: full.then_some(Sector::Finance),
        provider: full.then(|| MemberId::from(Uuid::from_u128(7))),
        scope: None,
        clearance: None,
        tearline: None,
        source: None,
        audience,
    }
}

fn originals() -> StixOriginals {
    let ts = "2023-01-01T00:00:00.000Z";
    let identity = "identity--22222222-2222-4222-8222-222222222222";
    let indicator = Uuid::parse_str("33333333-3333-4333-8333-333333333333").unwrap();
    let malware = "malware--44444444-4444-4444-8444-444444444444";
    let mut objects = BTreeMap::new();
    objects.insert(indicator_key(&all_indicators()[0]), indicator);
    StixOriginals {
        container_id: Some("report--11111111-1111-4111-8111-111111111111".into()),
        created_by_ref: Some(identity.into()),
        objects,
        extra: vec![
            json!({"type": "malware", "spec_version": "2.1", "id": malware, "created": ts,
                   "modified": ts, "name": "WannaCry", "is_family": true,
                   "malware_types": ["ransomware"], "created_by_ref": identity,
                   "external_references": [{"source_name": "acme", "external_id": "A-1"}]}),
            json!({"type": "relationship", "spec_version": "2.1",
                   "id": "relationship--55555555-5555-4555-8555-555555555555",
                   "created": ts, "modified": ts, "relationship_type": "indicates",
                   "created_by_ref": identity,
                   "source_ref": format!("indicator--{indicator}"), "target_ref": malware}),
            json!({"type": "relationship", "spec_version": "2.1",
                   "id": "relationship--66666666-6666-4666-8666-666666666666",
                   "created": ts, "modified": ts, "relationship_type": "attributed-to",
                   "source_ref": malware, "target_ref": identity}),
            json!({"type": "indicator", "spec_version": "2.1",
                   "id": "indicator--88888888-8888-4888-8888-888888888888",
                   "created": ts, "modified": ts, "name": "complex", "description": "d",
                   "pattern": "[file:name = 'x.exe'] AND [file:size > 1000]",
                   "pattern_type": "stix", "valid_from": ts}),
            json!({"type": "note", "spec_version": "2.1",
                   "id": "note--99999999-9999-4999-8999-999999999999",
                   "created": ts, "modified": ts, "content": "about the malware",
                   "object_refs": [malware, identity]}),
        ],
        provider_objects: vec![json!({"type": "identity", "spec_version": "2.1",
            "id": identity, "created": ts, "modified": ts, "name": "ACME CSIRT",
            "identity_class": "organization"})],
    }
}

fn feedback() -> Vec<FeedbackObject> {
    let at = OffsetDateTime::from_unix_timestamp(1_700_100_000).unwrap();
    let later = OffsetDateTime::from_unix_timestamp(1_700_200_000).unwrap();
    let sighting = |sighting, count| Answer::Sighting {
        sighting,
        count,
        first_seen: Some(at),
        last_seen: Some(later),
    };
    [
        (sighting(Sighting::Seen, Some(12)), "seen at the edge"),
        (sighting(Sighting::Seen, None), ""),
        (sighting(Sighting::NotSeen, None), ""),
        (sighting(Sighting::Unknown, None), "no logs"),
        (
            Answer::Opinion {
                opinion: Opinion::Agree,
            },
            "matches ours",
        ),
        (
            Answer::Opinion {
                opinion: Opinion::Disagree,
            },
            "benign",
        ),
        (
            Answer::Opinion {
                opinion: Opinion::Supplement,
            },
            "also port 445",
        ),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, (answer, comment))| FeedbackObject {
        pseudonym: format!("responder-{}", i + 1),
        answer,
        comment: comment.into(),
        at,
    })
    .collect()
}

#[test]
fn exported_bundles_pass_the_oasis_validator() {
    let Some(python) = python() else { return };
    let dir = std::env::temp_dir().join(format!("tsunagu-stix-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let o = originals();
    let fb = feedback();
    let mut files = Vec::new();
    // (view, own, with the import's originals, with feedback)
    type Case = (ItemView, bool, bool, bool);
    let cases: Vec<(&str, Vec<Case>)> = vec![
        (
            "provider_own_import",
            vec![(
                view(1, Audience::Full, ItemKind::ThreatInformation, Tlp::Green),
                true,
                true,
                true,
            )],
        ),
        (
            "provider_own_native",
            vec![(
                view(2, Audience::Full, ItemKind::Analysis, Tlp::AmberStrict),
                true,
                false,
                true,
            )],
        ),
        (
            "coordinator",
            vec![(
                view(3, Audience::Full, ItemKind::ThreatInformation, Tlp::Red),
                false,
                true,
                true,
            )],
        ),
        (
            "class1",
            vec![
                (
                    view(4, Audience::Class1, ItemKind::Analysis, Tlp::Amber),
                    false,
                    true,
                    true,
                ),
                (
                    view(5, Audience::Class1, ItemKind::ThreatInformation, Tlp::Clear),
                    false,
                    true,
                    false,
                ),
            ],
        ),
        (
            "class2",
            vec![(
                view(6, Audience::Class2, ItemKind::ThreatInformation, Tlp::Green),
                false,
                true,
                true,
            )],
        ),
        (
            "general",
            vec![
                (
                    view(7, Audience::General, ItemKind::Countermeasure, Tlp::Clear),
                    false,
                    false,
                    false,
                ),
                (
                    view(8, Audience::General, ItemKind::BestPractice, Tlp::Green),
                    false,
                    false,
                    false,
                ),
            ],
        ),
    ];
    for (name, items) in &cases {
        let exports: Vec<ExportItem<'_>> = items
            .iter()
            .map(|(v, own, with_originals, with_feedback)| ExportItem {
                view: v,
                own: *own,
                originals: with_originals.then_some(&o),
                feedback: if *with_feedback { &fb } else { &[] },
            })
            .collect();
        let mut bytes = Vec::new();
        write_bundle(exports.iter().copied(), &mut bytes).unwrap();
        // What we export, we import again.
        let plan = read_bundle(bytes.as_slice(), |_| {}).unwrap();
        assert!(!plan.items.is_empty(), "{name}");
        let path = dir.join(format!("{name}.json"));
        std::fs::write(&path, &bytes).unwrap();
        files.push(path);
    }
    // An empty item still has a valid report (object_refs never empty).
    let mut empty = view(9, Audience::Class2, ItemKind::BestPractice, Tlp::Green);
    empty.indicators.clear();
    empty.techniques.clear();
    empty.cves.clear();
    empty.victim = None;
    empty.countermeasures.clear();
    let mut bytes = Vec::new();
    write_bundle(
        [ExportItem {
            view: &empty,
            own: false,
            originals: None,
            feedback: &[],
        }],
        &mut bytes,
    )
    .unwrap();
    let path = dir.join("empty.json");
    std::fs::write(&path, &bytes).unwrap();
    files.push(path);

    let script = r"
import sys
from stix2validator import validate_file, print_results, ValidationOptions
ok = True
for f in sys.argv[1:]:
    r = validate_file(f, ValidationOptions(version='2.1'))
    if not r.is_valid:
        ok = False
        print_results(r)
    else:
        print('valid:', f)
sys.exit(0 if ok else 1)
";
    let out = Command::new(&python)
        .arg("-c")
        .arg(script)
        .args(&files)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}\n{stderr}");
    assert!(
        out.status.success(),
        "stix2-validator found errors:\n{stdout}\n{stderr}"
    );
    let valid = stdout.lines().filter(|l| l.starts_with("valid:")).count();
    assert_eq!(valid, files.len());
    let _ = std::fs::remove_dir_all(&dir);
    let check: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(check["type"], "bundle");
}
