//! MISP interoperability: events exported by `tsunagu_core::misp` are loaded by the real
//! PyMISP (the library MISP users script with), and events PyMISP writes back are read
//! by our importer. Also a round trip export → import in Rust.
//!
//! Needs `TSUNAGU_TEST_PYTHON`, a Python with `pymisp` (scripts/test prepares `.venv`).
//! Without it the PyMISP test is skipped loudly, or fails when
//! `TSUNAGU_REQUIRE_INTEROP` is set.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};
use time::OffsetDateTime;
use tsunagu_core::ids::{ItemId, MemberId};
use tsunagu_core::indicator::{CveId, Indicator, IndicatorKind, TechniqueId, Tlp};
use tsunagu_core::item::{Confidence, ItemKind, ItemStatus, Product};
use tsunagu_core::member::Sector;
use tsunagu_core::misp;
use tsunagu_core::view::{Audience, ItemView, VIA, VictimView};

/// The Python with PyMISP that scripts/test prepares in `.venv`.
fn python() -> Option<String> {
    match std::env::var("TSUNAGU_TEST_PYTHON") {
        Ok(p) if !p.is_empty() => Some(p),
        _ => {
            assert!(
                std::env::var("TSUNAGU_REQUIRE_INTEROP").is_err(),
                "TSUNAGU_TEST_PYTHON is required (TSUNAGU_REQUIRE_INTEROP is set)"
            );
            eprintln!(
                "\n*** SKIPPED the PyMISP test: TSUNAGU_TEST_PYTHON (with pymisp) is not set. Run scripts/test. ***\n"
            );
            None
        }
    }
}

fn ind(kind: IndicatorKind, value: &str) -> Indicator {
    Indicator::parse(kind, value).unwrap()
}

/// One indicator of every kind, and a second IP range of the other family.
fn every_indicator() -> Vec<Indicator> {
    use IndicatorKind as K;
    vec![
        ind(K::Ipv4, "192.0.2.1"),
        ind(K::Ipv6, "2001:db8::1"),
        ind(K::Cidr, "198.51.100.0/24"),
        ind(K::Cidr, "2001:db8:1::/48"),
        ind(K::Domain, "evil.example"),
        ind(K::Domain, "xn--r8jz45g.jp"),
        ind(K::Url, "https://evil.example/login?next=%2F"),
        ind(K::Email, "phish@evil.example"),
        ind(K::EmailSubject, "請求書のご確認 | Invoice overdue"),
        ind(K::Md5, "d41d8cd98f00b204e9800998ecf8427e"),
        ind(K::Sha1, "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
        ind(
            K::Sha256,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
    ]
}

/// The view an audience gets of one item: what [`tsunagu_core::view::view`] would
/// build (provider, scope and victim name for the full view only; technical and damage
/// details for full and class 1).
fn view_for(n: u128, audience: Audience, tlp: Tlp) -> ItemView {
    let full = audience == Audience::Full;
    let technical = matches!(audience, Audience::Full | Audience::Class1);
    let kind = match audience {
        Audience::General => ItemKind::Countermeasure,
        _ => ItemKind::ALL[(n % 4) as usize],
    };
    let confidence = match audience {
        Audience::General => Confidence::Confirmed,
        _ => Confidence::ALL[(n % 3) as usize],
    };
    ItemView {
        id: ItemId::from(uuid::Uuid::from_u128(0x1000 + n)),
        kind,
        title: format!("Item {n}: ransomware over SMB ({audience:?}, {tlp:?})"),
        executive_context: "業務システムが停止します。\nBusiness systems stop.".into(),
        technical_details: technical.then(|| "EternalBlue, then PsExec.\n\tStage 2.".into()),
        countermeasures: "Patch MS17-010; block 445/tcp.".into(),
        victim: Some(VictimView {
            name: full.then(|| "VICTIM-NAME-SECRET".into()),
            sector: Some(Sector::Medical),
            damaged: true,
            damage_details: technical.then(|| "DAMAGE-SECRET".into()),
        }),
        indicators: every_indicator(),
        techniques: vec![
            TechniqueId::parse("T1210").unwrap(),
            TechniqueId::parse("T1566.001").unwrap(),
        ],
        cves: vec![
            CveId::parse("CVE-2017-0144").unwrap(),
            CveId::parse("CVE-2021-44228").unwrap(),
        ],
        products: vec![Product {
            vendor: "Microsoft".into(),
            product: "Windows".into(),
            version: "7".into(),
            cpe: Some("cpe:2.3:o:microsoft:windows_7:-:*:*:*:*:*:*:*".into()),
        }],
        confidence,
        tlp,
        status: ItemStatus::Shared,
        revision: 1,
        created_at: OffsetDateTime::from_unix_timestamp(1_700_000_000 + n as i64).unwrap(),
        updated_at: OffsetDateTime::from_unix_timestamp(1_700_100_000 + n as i64).unwrap(),
        via: VIA,
        provider_sector: full.then_some(Sector::Finance),
        provider: full.then(|| MemberId::from(uuid::Uuid::from_u128(0xdead_beef))),
        scope: full.then(misp::task_force_scope),
        clearance: None,
        tearline: None,
        source: None,
        audience,
    }
}

/// Every TLP for every audience, a retracted item, and an item with nothing but a title.
fn views() -> Vec<ItemView> {
    let audiences = [
        Audience::Full,
        Audience::Class1,
        Audience::Class2,
        Audience::General,
    ];
    let mut out = Vec::new();
    let mut n = 0;
    for audience in audiences {
        for tlp in Tlp::ALL {
            n += 1;
            out.push(view_for(n, audience, tlp));
        }
    }
    let mut retracted = view_for(100, Audience::Class1, Tlp::Amber);
    retracted.status = ItemStatus::Retracted;
    out.push(retracted);
    let mut bare = view_for(101, Audience::Class2, Tlp::Clear);
    bare.executive_context.clear();
    bare.countermeasures.clear();
    bare.technical_details = None;
    bare.victim = None;
    bare.indicators.clear();
    bare.techniques.clear();
    bare.cves.clear();
    bare.products.clear();
    out.push(bare);
    out
}

fn temp_dir(name: &str) -> PathBuf {
    let nanos = OffsetDateTime::now_utc().unix_timestamp_nanos();
    let dir = std::env::temp_dir().join(format!("tsunagu-{name}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes a MISP feed (one `<uuid>.json` per event, `manifest.json`, `hashes.csv`) and
/// `expected.json` (per event: how many attributes were exported).
fn write_feed(dir: &Path, views: &[ItemView]) {
    let mut manifest = serde_json::Map::new();
    let mut hashes = String::new();
    let mut expected = serde_json::Map::new();
    for v in views {
        let event = misp::event(v);
        let (uuid, entry) = misp::manifest_entry(v);
        assert_eq!(event["Event"]["uuid"], uuid.as_str());
        std::fs::write(
            dir.join(format!("{uuid}.json")),
            serde_json::to_string_pretty(&event).unwrap(),
        )
        .unwrap();
        manifest.insert(uuid.clone(), entry);
        for line in misp::hashes_lines(v) {
            hashes.push_str(&line);
            hashes.push('\n');
        }
        let attributes = event["Event"]["Attribute"].as_array().unwrap().len();
        expected.insert(uuid, json!({"attributes": attributes}));
    }
    std::fs::write(
        dir.join("manifest.json"),
        Value::Object(manifest).to_string(),
    )
    .unwrap();
    std::fs::write(dir.join("hashes.csv"), hashes).unwrap();
    std::fs::write(
        dir.join("expected.json"),
        Value::Object(expected).to_string(),
    )
    .unwrap();
}

/// Loads every exported event with PyMISP and checks it against the raw JSON, MISP's
/// type/category table, and PyMISP's own manifest and `_hashes`; writes PyMISP's
/// serialisation of each event back as `<uuid>.pymisp.json`.
const CHECK: &str = r#"
import json, os, sys
from pymisp import MISPAttribute, MISPEvent

d = sys.argv[1]
expected = json.load(open(os.path.join(d, "expected.json")))
manifest = json.load(open(os.path.join(d, "manifest.json")))
hashes = [l.strip() for l in open(os.path.join(d, "hashes.csv")) if l.strip()]
mappings = MISPAttribute().describe_types["category_type_mappings"]
errors = []

def check(cond, what):
    if not cond:
        errors.append(what)

for uuid, exp in sorted(expected.items()):
    path = os.path.join(d, uuid + ".json")
    ev = MISPEvent()
    ev.load_file(path)
    raw = json.load(open(path))["Event"]
    check(ev.uuid == uuid, f"{uuid}: uuid {ev.uuid}")
    check(ev.Orgc.name == "tsunagu council", f"{uuid}: Orgc {ev.Orgc.name}")
    check(ev.published is True, f"{uuid}: not published")
    n = len(ev.attributes)
    check(n == exp["attributes"] == len(raw["Attribute"]),
          f"{uuid}: PyMISP loaded {n} attributes, exported {exp['attributes']}")
    for a, r in zip(ev.attributes, raw["Attribute"]):
        where = f"{uuid} {r['type']} {r['value']!r}"
        # Strict loading refuses an invalid type/category pair instead of dropping it.
        MISPAttribute(strict=True).from_dict(**dict(r))
        check(r["category"] in mappings and r["type"] in mappings[r["category"]],
              f"{where}: {r['category']} does not allow {r['type']}")
        check(a.type == r["type"] and a.category == r["category"], f"{where}: type/category")
        check(a.value == r["value"] and a.uuid == r["uuid"], f"{where}: value/uuid")
        check(a.to_ids == r["to_ids"], f"{where}: to_ids")
    tags = [t.name for t in ev.tags]
    check(tags == [t["name"] for t in raw["Tag"]], f"{uuid}: tags {tags}")
    check(sum(t.startswith("tlp:") for t in tags) == 1, f"{uuid}: one TLP tag: {tags}")

    # PyMISP's own feed metadata agrees with ours.
    theirs = ev.manifest[uuid]
    ours = manifest[uuid]
    for key in ["info", "date", "analysis", "threat_level_id", "timestamp"]:
        check(str(theirs[key]) == str(ours[key]), f"{uuid}: manifest {key}: {theirs[key]!r} != {ours[key]!r}")
    check(theirs["Orgc"]["uuid"] == ours["Orgc"]["uuid"], f"{uuid}: manifest Orgc")
    check([t["name"] for t in theirs["Tag"]] == [t["name"] for t in ours["Tag"]], f"{uuid}: manifest tags")
    feed = ev.to_feed(with_meta=True)
    mine = sorted(h.split(",")[0] for h in hashes if h.endswith("," + uuid))
    check(sorted(feed["Event"].get("_hashes", [])) == mine, f"{uuid}: hashes.csv differs from PyMISP's _hashes")

    with open(os.path.join(d, uuid + ".pymisp.json"), "w") as f:
        f.write(ev.to_json())

check(len(hashes) == sum(e["attributes"] for e in expected.values()), "hashes.csv line count")
if errors:
    print("\n".join(errors), file=sys.stderr)
    sys.exit(1)
print(f"PyMISP loaded {len(expected)} events, {len(hashes)} attributes: OK")
"#;

#[test]
fn pymisp_loads_exported_events() {
    let Some(python) = python() else {
        return;
    };
    let views = views();
    let dir = temp_dir("misp");
    write_feed(&dir, &views);
    std::fs::write(dir.join("check.py"), CHECK).unwrap();
    let out = Command::new(&python)
        .arg(dir.join("check.py"))
        .arg(&dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stdout}{stderr}");
    assert!(
        out.status.success(),
        "PyMISP check failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("OK"), "{stdout}");

    // What PyMISP writes back, our importer reads: the same indicators, CVEs,
    // techniques and TLP.
    for v in &views {
        let (uuid, _) = misp::manifest_entry(v);
        let json = std::fs::read_to_string(dir.join(format!("{uuid}.pymisp.json"))).unwrap();
        let imported = misp::parse_event(&json).unwrap_or_else(|e| panic!("{uuid}: {e}"));
        assert_eq!(imported.uuid, uuid);
        check_round_trip(v, &imported);
    }
    let manifest = std::fs::read_to_string(dir.join("manifest.json")).unwrap();
    assert_eq!(misp::parse_manifest(&manifest).unwrap().len(), views.len());
    std::fs::remove_dir_all(&dir).unwrap();
}

fn check_round_trip(v: &ItemView, imported: &misp::ImportedEvent) {
    let [item] = imported.items.as_slice() else {
        panic!("{}: {} items", v.title, imported.items.len())
    };
    let retracted = v.status == ItemStatus::Retracted;
    if retracted {
        // No longer meant for detection: nothing to import as indicators.
        assert!(item.indicators.is_empty());
        assert_eq!(imported.skipped.len(), v.indicators.len());
    } else {
        assert_eq!(item.indicators, v.indicators, "{}", v.title);
        assert_eq!(imported.skipped, [], "{}", v.title);
    }
    assert_eq!(item.cves, v.cves);
    assert_eq!(item.techniques, v.techniques);
    assert_eq!(item.tlp, v.tlp);
    assert_eq!(item.kind, v.kind);
    assert_eq!(item.confidence, v.confidence);
    assert_eq!(item.executive_context, v.executive_context);
    assert_eq!(item.countermeasures, v.countermeasures);
    assert_eq!(item.victim_sector, v.victim.as_ref().and_then(|x| x.sector));
    if !retracted {
        assert_eq!(item.title, v.title);
    }
}

#[test]
fn export_then_import_keeps_what_was_shared() {
    for v in views() {
        let json = misp::event(&v).to_string();
        let provider = uuid::Uuid::from_u128(0xdead_beef).to_string();
        for secret in ["VICTIM-NAME-SECRET", provider.as_str(), "finance"] {
            assert!(!json.contains(secret), "{secret} in {}", v.title);
        }
        if !matches!(v.audience, Audience::Full | Audience::Class1) {
            assert!(!json.contains("DAMAGE-SECRET") && !json.contains("EternalBlue"));
        }
        let imported = misp::parse_event(&json).unwrap();
        check_round_trip(&v, &imported);
        let draft = imported.items[0]
            .clone()
            .into_draft(misp::task_force_scope());
        let content = draft.parse().unwrap();
        assert_eq!(content.tlp, v.tlp);
    }
}
