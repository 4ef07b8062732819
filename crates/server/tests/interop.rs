//! Interoperability (MISSION.md M7.1) against the tools partners run: the real Python
//! `taxii2-client` discovers, lists, pages and adds through the TAXII 2.1 server; the
//! OASIS `stix2-validator` checks every exported bundle; PyMISP loads every event of the
//! MISP feed. Raw HTTP checks cover the details real clients trip over, and the
//! imports' all-or-nothing behaviour on bad input.

#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;

use common::{Council, Db, TestApp, admitted_in, council};
use serde_json::{Value, json};

const TAXII: &str = "application/taxii+json;version=2.1";
const ALL: &str = "3f1c9d2e-7a41-4b8e-9c55-0d6a2b7e4f10";
const SUBMISSIONS: &str = "e91a3c7f-2b58-4d06-8f4e-7c1b9a0d6e43";

/// The Python with the interop tools that scripts/test prepares in `.venv`.
fn python() -> Option<String> {
    match std::env::var("TSUNAGU_TEST_PYTHON") {
        Ok(p) if !p.is_empty() => Some(p),
        _ => {
            assert!(
                std::env::var("TSUNAGU_REQUIRE_INTEROP").is_err(),
                "TSUNAGU_TEST_PYTHON is required"
            );
            eprintln!(
                "\n*** SKIPPED the interoperability test: TSUNAGU_TEST_PYTHON (with taxii2-client, stix2-validator, PyMISP) is not set. Run scripts/test. ***\n"
            );
            None
        }
    }
}

/// Runs a Python script with arguments; returns its stdout parsed as JSON.
fn run_python(python: &str, script: &str, args: &[&str]) -> Value {
    let out = Command::new(python)
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("run python");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "python failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.lines().last().unwrap_or("null")).unwrap_or_else(|e| {
        panic!("python printed no JSON ({e}): {stdout}");
    })
}

/// taxii2-client as a partner uses it: discovery, collections, paging with `as_pages`
/// (which loops forever on page 1 if `more` comes without `next`), adding objects and
/// waiting for completion, reading the status back.
const TAXII_CLIENT: &str = r#"
import json, sys
from taxii2client.v21 import Server, as_pages
from taxii2client.common import TokenAuth
base, login, password, token, submission = sys.argv[1:6]
out = {}
server = Server(base + "/taxii2/", user=login, password=password)
out["title"] = server.title
root = server.api_roots[0]
out["versions"] = root.versions
cols = {c.alias: c for c in root.collections}
out["collections"] = sorted(cols)
pages, ids = 0, []
for env in as_pages(cols["all"].get_objects, per_request=3):
    pages += 1
    ids += [o["id"] for o in env.get("objects", [])]
    if pages > 500:
        raise SystemExit("as_pages does not end")
out["pages"], out["ids"] = pages, ids
manifest = []
for env in as_pages(cols["all"].get_manifest, per_request=5):
    manifest += [r["id"] for r in env.get("objects", [])]
out["manifest"] = manifest
one = cols["all"].get_object(ids[-1])
out["one"] = [o["id"] for o in one["objects"]]
out["versions_of_one"] = cols["all"].object_versions(ids[-1])["versions"]
# Token auth, as TokenAuth sends it (Authorization: Token <key>).
tok = Server(base + "/taxii2/", auth=TokenAuth(token))
sub = [c for c in tok.api_roots[0].collections if c.can_write][0]
status = sub.add_objects(json.loads(submission), wait_for_completion=True, poll_interval=0.2)
out["status"] = {"status": status.status, "total": status.total_count, "success": status.success_count}
again = tok.api_roots[0].get_status(status.id)
out["status_again"] = again.status
print(json.dumps(out))
"#;

/// stix2-validator on each file given; prints whether each is valid, with its errors.
const VALIDATE: &str = r#"
import json, sys
from stix2validator import validate_file, ValidationOptions
res = []
for path in sys.argv[1:]:
    r = validate_file(path, ValidationOptions(version="2.1"))
    errors = [str(e) for o in r.object_results for e in o.errors]
    res.append({"path": path, "valid": r.is_valid, "errors": errors[:5]})
print(json.dumps(res))
"#;

/// PyMISP loads every event of a feed directory and reports attribute counts.
const PYMISP: &str = r#"
import json, os, sys
from pymisp import MISPEvent
d = sys.argv[1]
manifest = json.load(open(os.path.join(d, "manifest.json")))
out = {}
for uuid in manifest:
    e = MISPEvent()
    e.load_file(os.path.join(d, uuid + ".json"))
    out[uuid] = {"info": e.info, "attributes": [a.value for a in e.attributes], "org": e.Orgc.name}
print(json.dumps(out))
"#;

struct Cast {
    c: Council,
    provider_id: String,
    provider: String,
    class2: String,
    general: String,
}

async fn cast(app: &TestApp) -> Cast {
    let c = council(app).await;
    let (provider_id, provider) = admitted_in(
        app,
        &c,
        "Hoshizuna Cyberworks",
        "class1",
        "security_vendor",
        false,
    )
    .await;
    let (_, class2) = admitted_in(app, &c, "Sorahashi Railway", "class2", "railway", false).await;
    let (_, general) = admitted_in(app, &c, "Hamuteru Gas", "general", "gas", false).await;
    Cast {
        c,
        provider_id,
        provider,
        class2,
        general,
    }
}

fn every_indicator() -> Value {
    json!([
        {"type": "ipv4", "value": "203.0.113.77"},
        {"type": "ipv6", "value": "2001:db8::77"},
        {"type": "cidr", "value": "198.51.100.0/24"},
        {"type": "domain", "value": "update-kuronagi-cdn.example.net"},
        {"type": "url", "value": "https://update-kuronagi-cdn.example.net/it's/a\\path"},
        {"type": "email", "value": "lure@kuronagi-mail.example.net"},
        {"type": "email_subject", "value": "【重要】パスワード更新のお願い"},
        {"type": "md5", "value": "d41d8cd98f00b204e9800998ecf8427e"},
        {"type": "sha1", "value": "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
        {"type": "sha256", "value": "24d004a104d4d54034dbcffc2a4b19a11f39008a575aa614ea04703480b1022c"}
    ])
}

/// Shares an analysis (every indicator kind, a victim, technical details) and a
/// confirmed countermeasure for everyone.
async fn share(app: &TestApp, cast: &Cast) -> (String, String) {
    let (s, analysis) = app
        .post(
            "/api/v1/items",
            Some(&cast.provider),
            json!({
                "kind": "analysis", "title": "SMBv1 worm encrypting hospital PCs at boot",
                "executive_context": "PCs are infected as they boot",
                "technical_details": "EternalBlue over TCP 445; drops tasksche.exe (VICTIM-SECRET stays out)",
                "countermeasures": "Do not boot unpatched PCs",
                "victim": {"name": "Kuronagi Medical Centre", "sector": "medical", "damaged": true, "damage_details": "300 PCs"},
                "indicators": every_indicator(),
                "techniques": ["T1210", "T1486"], "cves": ["CVE-2017-0144"],
                "confidence": "unconfirmed", "tlp": "amber", "scope": {"classes": ["class1", "class2"]}
            }),
        )
        .await;
    assert_eq!(s, 201, "{analysis}");
    let (s, cm) = app
        .post(
            "/api/v1/items",
            Some(&cast.provider),
            json!({
                "kind": "countermeasure", "title": "Apply MS17-010 before Monday",
                "executive_context": "A worm spreads over SMBv1", "technical_details": "",
                "countermeasures": "Apply MS17-010; block TCP 445 at the perimeter",
                "indicators": [], "cves": ["CVE-2017-0144"],
                "confidence": "confirmed", "tlp": "green", "scope": {"classes": ["class1", "class2", "general"]}
            }),
        )
        .await;
    assert_eq!(s, 201, "{cm}");
    (
        analysis["id"].as_str().unwrap().to_owned(),
        cm["id"].as_str().unwrap().to_owned(),
    )
}

async fn raw(
    app: &TestApp,
    method: &str,
    path: &str,
    auth: Option<&str>,
    accept: Option<&str>,
    body: Option<(&str, Vec<u8>)>,
) -> (u16, reqwest::header::HeaderMap, String) {
    let mut req = app.client.request(method.parse().unwrap(), app.url(path));
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    if let Some(a) = accept {
        req = req.header("accept", a);
    }
    if let Some((ct, b)) = body {
        req = req.header("content-type", ct).body(b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    (status, headers, resp.text().await.unwrap())
}

fn is_taxii_error(status: u16, headers: &reqwest::header::HeaderMap, body: &str) {
    assert_eq!(headers["content-type"], TAXII, "{status}: {body}");
    let v: Value = serde_json::from_str(body).unwrap();
    assert!(v["title"].is_string(), "{body}");
    assert_eq!(v["http_status"], status.to_string(), "{body}");
}

fn micro(ts: &str) -> bool {
    // YYYY-MM-DDTHH:MM:SS.ssssssZ
    ts.len() == 27 && ts.ends_with('Z') && ts.as_bytes()[19] == b'.'
}

async fn taxii_details(app: &TestApp, cast: &Cast, analysis: &str) {
    let bearer = format!("Bearer {}", cast.class2);
    // Errors are TAXII errors with the TAXII media type, 401 with WWW-Authenticate.
    let (s, h, b) = raw(app, "GET", "/taxii2/", None, Some(TAXII), None).await;
    assert_eq!(s, 401);
    is_taxii_error(s, &h, &b);
    assert!(h.contains_key("www-authenticate"));
    let (s, h, b) = raw(
        app,
        "GET",
        "/taxii2/root/collections/nope/",
        Some(&bearer),
        None,
        None,
    )
    .await;
    assert_eq!(s, 404);
    is_taxii_error(s, &h, &b);
    let (s, h, b) = raw(
        app,
        "GET",
        "/taxii2/root/no-such-endpoint/",
        Some(&bearer),
        None,
        None,
    )
    .await;
    assert_eq!(s, 404);
    is_taxii_error(s, &h, &b);
    // An unversioned Accept is served; another version is not.
    let (s, h, _) = raw(
        app,
        "GET",
        "/taxii2/",
        Some(&bearer),
        Some("application/taxii+json"),
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(h["content-type"], TAXII);
    let (s, h, b) = raw(
        app,
        "GET",
        "/taxii2/",
        Some(&bearer),
        Some("application/taxii+json;version=2.0"),
        None,
    )
    .await;
    assert_eq!(s, 406);
    is_taxii_error(s, &h, &b);
    // Pages: `more` always comes with `next`; date headers with microseconds.
    let objects = format!("/taxii2/root/collections/{ALL}/objects/");
    let (s, h, b) = raw(
        app,
        "GET",
        &format!("{objects}?limit=2"),
        Some(&bearer),
        Some(TAXII),
        None,
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let page: Value = serde_json::from_str(&b).unwrap();
    assert_eq!(page["more"], true);
    let next = page["next"].as_str().unwrap().to_owned();
    for hdr in ["x-taxii-date-added-first", "x-taxii-date-added-last"] {
        assert!(micro(h[hdr].to_str().unwrap()), "{hdr}: {:?}", h[hdr]);
    }
    // The cursor is bound to the caller and the query, and cannot be forged.
    let (s, h, b) = raw(
        app,
        "GET",
        &format!("{objects}?limit=2&next={next}"),
        Some(&format!("Bearer {}", cast.general)),
        None,
        None,
    )
    .await;
    assert_eq!(s, 400, "another member's cursor: {b}");
    is_taxii_error(s, &h, &b);
    let (s, _, b) = raw(
        app,
        "GET",
        &format!("{objects}?limit=2&match[type]=indicator&next={next}"),
        Some(&bearer),
        None,
        None,
    )
    .await;
    assert_eq!(s, 400, "other filters: {b}");
    let forged = next.replacen('.', "9.", 1);
    let (s, _, _) = raw(
        app,
        "GET",
        &format!("{objects}?limit=2&next={forged}"),
        Some(&bearer),
        None,
        None,
    )
    .await;
    assert_eq!(s, 400);
    // Malformed filters are 400 TAXII errors.
    for q in [
        "added_after=yesterday",
        "limit=0",
        "limit=x",
        "match[version]=latest",
        "match[id]=not-an-id",
        "match[type]=Bad_Type",
        "match[type]=indicator&match[type]=report",
    ] {
        let (s, h, b) = raw(
            app,
            "GET",
            &format!("{objects}?{q}"),
            Some(&bearer),
            None,
            None,
        )
        .await;
        assert_eq!(s, 400, "{q}: {b}");
        is_taxii_error(s, &h, &b);
    }
    // Filters: type, added_after in the future gives an empty envelope with date headers.
    let (_, _, b) = raw(
        app,
        "GET",
        &format!("{objects}?match[type]=indicator"),
        Some(&bearer),
        None,
        None,
    )
    .await;
    let v: Value = serde_json::from_str(&b).unwrap();
    let ind = v["objects"].as_array().unwrap();
    assert_eq!(ind.len(), 10, "one indicator per kind: {b}");
    assert!(ind.iter().all(|o| o["type"] == "indicator"));
    let (s, h, b) = raw(
        app,
        "GET",
        &format!("{objects}?added_after=2999-01-01T00:00:00.000000Z"),
        Some(&bearer),
        None,
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&b).unwrap(),
        json!({"more": false})
    );
    assert!(h.contains_key("x-taxii-date-added-last"));
    // Class 2 does not see class-1 details; a general member does not see the analysis
    // at all: its objects are 404, like ids that do not exist.
    let (_, _, b) = raw(app, "GET", &objects, Some(&bearer), None, None).await;
    assert!(
        !b.contains("EternalBlue"),
        "technical details are class 1 only"
    );
    assert!(!b.contains("Kuronagi Medical Centre"));
    assert!(!b.contains(&cast.provider_id));
    let grouping = serde_json::from_str::<Value>(&b).unwrap()["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["type"] == "grouping")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, _, _) = raw(
        app,
        "GET",
        &format!("{objects}{grouping}/"),
        Some(&bearer),
        None,
        None,
    )
    .await;
    assert_eq!(s, 200);
    let (s, h, b) = raw(
        app,
        "GET",
        &format!("{objects}{grouping}/"),
        Some(&format!("Bearer {}", cast.general)),
        None,
        None,
    )
    .await;
    assert_eq!(
        s, 404,
        "the general member may not learn the analysis exists"
    );
    is_taxii_error(s, &h, &b);
    let (s, _, _) = raw(
        app,
        "GET",
        &format!("{objects}{grouping}/versions/"),
        Some(&format!("Bearer {}", cast.general)),
        None,
        None,
    )
    .await;
    assert_eq!(s, 404);
    // Reading the submissions collection, or writing a read collection, is refused;
    // deleting is refused; a wrong content type is 415; too large is 413.
    let subs = format!("/taxii2/root/collections/{SUBMISSIONS}/objects/");
    let (s, _, _) = raw(app, "GET", &subs, Some(&bearer), None, None).await;
    assert_eq!(s, 403);
    let (s, _, _) = raw(
        app,
        "POST",
        &objects,
        Some(&bearer),
        None,
        Some((TAXII, b"{\"objects\":[]}".to_vec())),
    )
    .await;
    assert_eq!(s, 403);
    let (s, _, _) = raw(
        app,
        "DELETE",
        &format!("{objects}{grouping}/"),
        Some(&bearer),
        None,
        None,
    )
    .await;
    assert_eq!(s, 403);
    let (s, h, b) = raw(
        app,
        "POST",
        &subs,
        Some(&bearer),
        None,
        Some(("text/plain", b"{}".to_vec())),
    )
    .await;
    assert_eq!(s, 415);
    is_taxii_error(s, &h, &b);
    // On its own connection: the server answers 413 before reading the whole body
    // and then closes the connection.
    let huge = format!(
        "{{\"objects\":[{{\"x\":\"{}\"}}]}}",
        "a".repeat(3 * 1024 * 1024)
    );
    let resp = reqwest::Client::new()
        .post(app.url(&subs))
        .header("authorization", &bearer)
        .header("content-type", TAXII)
        .body(huge)
        .send()
        .await
        .unwrap();
    let (s, h) = (resp.status().as_u16(), resp.headers().clone());
    let b = resp.text().await.unwrap();
    assert_eq!(s, 413, "{b}");
    is_taxii_error(s, &h, &b);
    // Basic authentication (login:password) works like a token.
    let (s, v) = app
        .post(
            &format!("/api/v1/members/{}/users", cast.provider_id),
            Some(&cast.provider),
            json!({"login": "taxii-basic", "password": "a long taxii password", "role": "analyst"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    use base64::Engine;
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("taxii-basic:a long taxii password")
    );
    let (s, _, b) = raw(app, "GET", &objects, Some(&basic), None, None).await;
    assert_eq!(s, 200);
    assert!(
        b.contains("EternalBlue"),
        "the provider sees its technical details"
    );
    let wrong = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("taxii-basic:wrong password")
    );
    let (s, _, _) = raw(app, "GET", &objects, Some(&wrong), None, None).await;
    assert_eq!(s, 401);
    let _ = analysis;
}

async fn taxii2_client(app: &TestApp, cast: &Cast, python: &str) {
    // A user with a password for Basic, as taxii2-client sends it.
    let (s, v) = app
        .post(
            &format!("/api/v1/members/{}/users", cast.provider_id),
            Some(&cast.provider),
            json!({"login": "partner-feed", "password": "a long partner password", "role": "analyst"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let submission = json!({"objects": [
        {"type": "indicator", "spec_version": "2.1", "id": "indicator--0b6c64b5-1d5b-4bd1-9b0b-1f1a8d7cbd00",
         "created": "2026-11-28T09:00:00.000Z", "modified": "2026-11-28T09:00:00.000Z",
         "name": "C2 of the lure", "pattern": "[domain-name:value = 'c2.kuronagi-lure.example.net']",
         "pattern_type": "stix", "valid_from": "2026-11-28T09:00:00Z"}
    ]});
    // What taxii2-client pages through must be what the STIX export holds.
    let (_, bundle) = app.get("/api/v1/export/stix", &cast.provider).await;
    let out = run_python(
        python,
        TAXII_CLIENT,
        &[
            &app.base,
            "partner-feed",
            "a long partner password",
            &cast.provider,
            &submission.to_string(),
        ],
    );
    assert_eq!(out["title"], "tsunagu");
    assert_eq!(out["versions"], json!([TAXII]));
    assert_eq!(
        out["collections"],
        json!(["all", "countermeasures", "submissions", "task-force"])
    );
    let ids: Vec<&str> = out["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_str().unwrap())
        .collect();
    let unique: std::collections::BTreeSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "paging repeats nothing");
    assert!(out["pages"].as_u64().unwrap() > 3, "{out}");
    // The export carries the markings it uses; collections carry all five.
    let mut exported: Vec<&str> = bundle["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["type"] != "marking-definition")
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    let mut paged: Vec<&str> = ids
        .iter()
        .copied()
        .filter(|i| !i.starts_with("marking-definition--"))
        .collect();
    exported.sort_unstable();
    paged.sort_unstable();
    assert_eq!(paged, exported);
    assert_eq!(out["manifest"].as_array().unwrap().len(), ids.len());
    assert_eq!(out["one"], json!([ids[ids.len() - 1]]));
    assert_eq!(out["versions_of_one"].as_array().unwrap().len(), 1);
    assert_eq!(
        out["status"],
        json!({"status": "complete", "total": 1, "success": 1})
    );
    assert_eq!(out["status_again"], "complete");
    // The submission became the provider's item in the task force, found by search.
    let (_, found) = app
        .get(
            "/api/v1/items?indicator=c2.kuronagi-lure.example.net",
            &cast.class2,
        )
        .await;
    assert_eq!(found["items"].as_array().unwrap().len(), 1, "{found}");
    let (_, none) = app
        .get(
            "/api/v1/items?indicator=c2.kuronagi-lure.example.net",
            &cast.general,
        )
        .await;
    assert_eq!(none["items"], json!([]), "task force only by default");
}

async fn validator(app: &TestApp, cast: &Cast, python: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for (name, token) in [
        ("provider", &cast.provider),
        ("coordinator", &cast.c.coordinator),
        ("class2", &cast.class2),
        ("general", &cast.general),
    ] {
        let (s, h, body) = raw(
            app,
            "GET",
            "/api/v1/export/stix",
            Some(&format!("Bearer {token}")),
            None,
            None,
        )
        .await;
        assert_eq!(s, 200);
        assert_eq!(h["content-type"], "application/stix+json;version=2.1");
        let (_, _, again) = raw(
            app,
            "GET",
            "/api/v1/export/stix",
            Some(&format!("Bearer {token}")),
            None,
            None,
        )
        .await;
        assert_eq!(body, again, "a re-export gives the same bytes and ids");
        let path = dir.path().join(format!("{name}.json"));
        std::fs::write(&path, &body).unwrap();
        paths.push(path.to_string_lossy().into_owned());
    }
    let args: Vec<&str> = paths.iter().map(String::as_str).collect();
    let results = run_python(python, VALIDATE, &args);
    for r in results.as_array().unwrap() {
        assert_eq!(r["valid"], true, "stix2-validator: {r}");
    }
    // The provider's objects keep its ids; others get the council's, and none of the
    // provider's ids appear in their bundles.
    let ids = |p: &str| -> std::collections::BTreeSet<String> {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
        v["objects"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["type"] != "marking-definition" && o["type"] != "identity")
            .map(|o| o["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let (own, other) = (ids(&paths[0]), ids(&paths[2]));
    assert!(!own.is_empty() && !other.is_empty());
    assert!(
        own.is_disjoint(&other),
        "no link back to the provider's originals"
    );
    let general = std::fs::read_to_string(&paths[3]).unwrap();
    assert!(general.contains("Apply MS17-010 before Monday"));
    assert!(
        !general.contains("SMBv1 worm"),
        "general members see the countermeasure only"
    );
}

async fn imports(app: &TestApp, cast: &Cast) {
    let count = |v: &Value| v["items"].as_array().unwrap().len();
    let (_, before) = app
        .get("/api/v1/items?limit=200", &cast.c.coordinator)
        .await;
    // One invalid object: nothing is imported and the object is named.
    let bad = json!({"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": [
        {"type": "indicator", "spec_version": "2.1", "id": "indicator--1a1b1c1d-0000-4000-8000-000000000001",
         "created": "2026-11-28T09:00:00.000Z", "modified": "2026-11-28T09:00:00.000Z",
         "pattern": "[ipv4-addr:value = '192.0.2.10']", "pattern_type": "stix", "valid_from": "2026-11-28T09:00:00Z"},
        {"type": "indicator", "spec_version": "2.1", "id": "indicator--1a1b1c1d-0000-4000-8000-000000000002",
         "created": "2026-11-28T09:00:00.000Z", "modified": "2026-11-28T09:00:00.000Z",
         "pattern": "[ipv4-addr:value = '999.0.2.10']", "pattern_type": "stix", "valid_from": "2026-11-28T09:00:00Z"}
    ]});
    let (s, v) = app
        .post("/api/v1/import/stix", Some(&cast.class2), bad)
        .await;
    assert_eq!(s, 422, "{v}");
    assert!(
        v["detail"]
            .as_str()
            .unwrap()
            .contains("indicator--1a1b1c1d-0000-4000-8000-000000000002"),
        "{v}"
    );
    let (_, after) = app
        .get("/api/v1/items?limit=200", &cast.c.coordinator)
        .await;
    assert_eq!(count(&after), count(&before), "nothing was imported");
    // A good bundle: a report with its indicator; a re-import changes nothing; a
    // changed one updates the item.
    let good = |name: &str| {
        json!({"type": "bundle", "id": "bundle--6e0092c5-5f74-4287-9642-33f4c354e56d", "objects": [
            {"type": "report", "spec_version": "2.1", "id": "report--2a2b2c2d-0000-4000-8000-000000000001",
             "created": "2026-11-28T09:00:00.000Z", "modified": "2026-11-28T09:00:00.000Z",
             "name": name, "published": "2026-11-28T09:00:00Z",
             "object_refs": ["indicator--2a2b2c2d-0000-4000-8000-000000000002", "x-partner-note--2a2b2c2d-0000-4000-8000-000000000003"]},
            {"type": "indicator", "spec_version": "2.1", "id": "indicator--2a2b2c2d-0000-4000-8000-000000000002",
             "created": "2026-11-28T09:00:00.000Z", "modified": "2026-11-28T09:00:00.000Z",
             "pattern": "[ipv4-addr:value = '192.0.2.20']", "pattern_type": "stix", "valid_from": "2026-11-28T09:00:00Z"},
            {"type": "x-partner-note", "spec_version": "2.1", "id": "x-partner-note--2a2b2c2d-0000-4000-8000-000000000003",
             "created": "2026-11-28T09:00:00.000Z", "modified": "2026-11-28T09:00:00.000Z", "text": "kept untouched"}
        ]})
    };
    let (s, v) = app
        .post(
            "/api/v1/import/stix",
            Some(&cast.class2),
            good("Phishing wave"),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["created"].as_array().unwrap().len(), 1, "{v}");
    let item = v["created"][0].as_str().unwrap().to_owned();
    let (s, v) = app
        .post(
            "/api/v1/import/stix",
            Some(&cast.class2),
            good("Phishing wave"),
        )
        .await;
    assert_eq!(s, 201);
    assert_eq!(v["unchanged"], json!([item]), "{v}");
    assert_eq!(v["created"], json!([]));
    let (s, v) = app
        .post(
            "/api/v1/import/stix",
            Some(&cast.class2),
            good("Phishing wave, second day"),
        )
        .await;
    assert_eq!(s, 201);
    assert_eq!(v["updated"], json!([item]), "{v}");
    let (_, shown) = app
        .get(&format!("/api/v1/items/{item}"), &cast.class2)
        .await;
    assert_eq!(shown["title"], "Phishing wave, second day");
    assert_eq!(shown["revision"], 2);
    // The importer gets its own objects back under their original ids, the unmodelled
    // one untouched.
    let (_, own) = app.get("/api/v1/export/stix", &cast.class2).await;
    let text = own.to_string();
    assert!(text.contains("report--2a2b2c2d-0000-4000-8000-000000000001"));
    assert!(text.contains("indicator--2a2b2c2d-0000-4000-8000-000000000002"));
    assert!(text.contains("x-partner-note--2a2b2c2d-0000-4000-8000-000000000003"));
    // Another member sees the same report under the council's ids.
    let (_, theirs) = app.get("/api/v1/export/stix", &cast.c.coordinator).await;
    let text = theirs.to_string();
    assert!(text.contains("192.0.2.20"));
    assert!(
        !text.contains("2a2b2c2d-0000-4000-8000"),
        "no original id reaches others"
    );

    // MISP: a file that is not a MISP event is refused with the key named.
    let (s, v) = app
        .post(
            "/api/v1/import/misp",
            Some(&cast.class2),
            json!({"Event": {"uuid": "x"}}),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    assert!(v["detail"].as_str().unwrap().contains("info"), "{v}");
    let event = json!({"Event": {
        "uuid": "5f1e2d3c-4b5a-4697-8887-766554433221", "info": "Credential phishing against rail operators",
        "date": "2026-11-27", "analysis": "2", "threat_level_id": "2", "timestamp": "1795000000",
        "Tag": [{"name": "tlp:green"}, {"name": "misp-galaxy:mitre-attack-pattern=\"Phishing - T1566\""}],
        "Attribute": [
            {"type": "domain", "category": "Network activity", "value": "login-sorahashi.example.com", "to_ids": true},
            {"type": "ip-dst", "category": "Network activity", "value": "198.51.100.23", "to_ids": true},
            {"type": "vulnerability", "category": "External analysis", "value": "CVE-2023-4966", "to_ids": false}
        ]
    }});
    let (s, v) = app
        .post("/api/v1/import/misp", Some(&cast.class2), event.clone())
        .await;
    assert_eq!(s, 201, "{v}");
    let misp_item = v["created"][0].as_str().unwrap().to_owned();
    let (_, shown) = app
        .get(&format!("/api/v1/items/{misp_item}"), &cast.class2)
        .await;
    assert_eq!(shown["tlp"], "green");
    assert_eq!(shown["techniques"], json!(["T1566"]));
    assert_eq!(shown["cves"], json!(["CVE-2023-4966"]));
    let (_, v) = app
        .post("/api/v1/import/misp", Some(&cast.class2), event)
        .await;
    assert_eq!(v["unchanged"], json!([misp_item]));
}

async fn misp_feed(app: &TestApp, cast: &Cast, python: &str) {
    let dir = tempfile::tempdir().unwrap();
    let (s, h, manifest) = raw(
        app,
        "GET",
        "/misp/feed/manifest.json",
        Some(&format!("Bearer {}", cast.class2)),
        None,
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert!(
        h["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    std::fs::write(dir.path().join("manifest.json"), &manifest).unwrap();
    let manifest: Value = serde_json::from_str(&manifest).unwrap();
    assert!(!manifest.as_object().unwrap().is_empty());
    for uuid in manifest.as_object().unwrap().keys() {
        let (s, _, event) = raw(
            app,
            "GET",
            &format!("/misp/feed/{uuid}.json"),
            Some(&format!("Bearer {}", cast.class2)),
            None,
            None,
        )
        .await;
        assert_eq!(s, 200);
        std::fs::write(dir.path().join(format!("{uuid}.json")), event).unwrap();
    }
    let (s, _, hashes) = raw(
        app,
        "GET",
        "/misp/feed/hashes.csv",
        Some(&format!("Bearer {}", cast.class2)),
        None,
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert!(hashes.lines().all(|l| l.len() == 32 + 1 + 36), "{hashes}");
    let loaded = run_python(python, PYMISP, &[&dir.path().to_string_lossy()]);
    let events = loaded.as_object().unwrap();
    assert_eq!(events.len(), manifest.as_object().unwrap().len());
    for e in events.values() {
        assert_eq!(
            e["org"], "tsunagu council",
            "the council, never the provider, is the org"
        );
    }
    let all = loaded.to_string();
    assert!(all.contains("203.0.113.77"));
    assert!(!all.contains("Kuronagi Medical Centre"));
    assert!(
        !all.contains("EternalBlue"),
        "class 2 gets no class-1 details"
    );
    // A feed without a token is refused; an event the member may not see is 404.
    let (s, _, _) = raw(app, "GET", "/misp/feed/manifest.json", None, None, None).await;
    assert_eq!(s, 401);
    let some = manifest.as_object().unwrap().keys().next().unwrap();
    let (_, _, general_manifest) = raw(
        app,
        "GET",
        "/misp/feed/manifest.json",
        Some(&format!("Bearer {}", cast.general)),
        None,
        None,
    )
    .await;
    if !general_manifest.contains(some.as_str()) {
        let (s, _, _) = raw(
            app,
            "GET",
            &format!("/misp/feed/{some}.json"),
            Some(&format!("Bearer {}", cast.general)),
            None,
            None,
        )
        .await;
        assert_eq!(s, 404);
    }
}

async fn interop(db: Db) {
    let Some(app) = TestApp::spawn(db).await else {
        return;
    };
    let cast = cast(&app).await;
    let (analysis, _) = share(&app, &cast).await;
    // Feedback, so the provider's export carries sightings and opinions.
    let (s, v) = app
        .post(
            &format!("/api/v1/items/{analysis}/feedback"),
            Some(&cast.class2),
            json!({"sighting": "seen", "count": 3, "comment": "two wards"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    taxii_details(&app, &cast, &analysis).await;
    imports(&app, &cast).await;
    if let Some(python) = python() {
        taxii2_client(&app, &cast, &python).await;
        validator(&app, &cast, &python).await;
        misp_feed(&app, &cast, &python).await;
    }
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_interop() {
    interop(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_interop() {
    interop(Db::Postgres).await;
}
