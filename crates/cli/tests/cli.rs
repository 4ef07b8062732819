//! The `tsunagu` binary as operators use it: serve with first-start bootstrap, graceful
//! SIGTERM, the demo council and its credentials file, and audit-chain verification
//! that catches a database edited behind the server's back.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::Command;

use common::{BIN, printed_value, start};
use serde_json::{Value, json};
use tsunagu_store::testing::{Db, TestDb};

#[tokio::test]
async fn serve_bootstraps_then_stops_gracefully_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = start(&[
        "serve",
        "--data-dir",
        data.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
    ]);
    assert!(
        data.join("tsunagu.db").exists(),
        "the data dir and SQLite database were created"
    );
    let password = printed_value(&server.printed, "password:");
    let token = printed_value(&server.printed, "API token:");
    let client = reqwest::Client::new();
    let health = client
        .get(format!("{}/healthz", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let me: Value = client
        .get(format!("{}/api/v1/me", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["user"]["login"], "admin");
    assert!(
        me["member"]["roles"]
            .as_array()
            .unwrap()
            .contains(&json!("secretariat"))
    );
    let login = client
        .post(format!("{}/api/v1/auth/login", server.base))
        .json(&json!({"login": "admin", "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 201);
    let status = server.terminate();
    assert!(
        status.success(),
        "SIGTERM ends the server cleanly: {status:?}"
    );

    // A second start does not bootstrap again and keeps the data.
    let again = start(&[
        "serve",
        "--data-dir",
        data.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
    ]);
    assert!(!again.printed.iter().any(|l| l.contains("password:")));
    let me = client
        .get(format!("{}/api/v1/me", again.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    assert!(again.terminate().success());
}

#[tokio::test]
async fn demo_writes_working_credentials_for_every_member() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    let demo = start(&[
        "demo",
        "--data-dir",
        data.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
    ]);
    let path = data.join("demo-credentials.json");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "credentials are readable by the owner only");
    }
    let creds: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(creds["base_url"], demo.base.as_str());
    let members = creds["members"].as_array().unwrap();
    let count = |class: &str| members.iter().filter(|m| m["class"] == class).count();
    assert!(count("class1") >= 10 && count("class2") >= 30 && count("general") >= 200);
    let with_role = |role: &str| {
        members
            .iter()
            .filter(|m| m["roles"].as_array().unwrap().contains(&json!(role)))
            .count()
    };
    assert_eq!(with_role("coordinator"), 1);
    assert_eq!(with_role("secretariat"), 1);
    assert_eq!(with_role("regulator"), 5);
    assert!(with_role("committee") >= 2);
    assert!(members.iter().any(|m| m["foreign_affiliated"] == true));
    let client = reqwest::Client::new();
    let mut checked_passwords = 0;
    for m in members {
        for key in [
            "id",
            "name",
            "pseudonym",
            "class",
            "sector",
            "foreign_affiliated",
        ] {
            assert!(m.get(key).is_some(), "{key} in {m}");
        }
        let users = m["users"].as_array().unwrap();
        assert!(!users.is_empty());
        for u in users {
            let me: Value = client
                .get(format!("{}/api/v1/me", demo.base))
                .bearer_auth(u["api_token"].as_str().unwrap())
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(
                me["user"]["login"], u["login"],
                "the token of {} works",
                u["login"]
            );
            assert_eq!(me["member"]["id"], m["id"]);
        }
        // Passwords are checked on a sample: login is rate limited per address.
        if checked_passwords < 8 && m["roles"].as_array().unwrap().is_empty() {
            let u = &users[0];
            let r = client
                .post(format!("{}/api/v1/auth/login", demo.base))
                .json(&json!({"login": u["login"], "password": u["password"]}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 201, "password of {}", u["login"]);
            checked_passwords += 1;
        }
    }
    // The demo's advisory and vendor request, through the coordinator's token.
    let coordinator = creds["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| {
            m["roles"]
                .as_array()
                .unwrap()
                .contains(&json!("coordinator"))
        })
        .unwrap()["users"][0]["api_token"]
        .as_str()
        .unwrap()
        .to_owned();
    for (path, want) in [
        ("/api/v1/advisories", "FG-IR-18-384"),
        ("/api/v1/vendor-requests", "Fortinet PSIRT"),
    ] {
        let body = client
            .get(format!("{}{path}", demo.base))
            .bearer_auth(&coordinator)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(body.contains(want), "{path}: {body}");
    }
    assert!(demo.terminate().success());

    // Restarting the demo on the same directory keeps the council and its secrets.
    let again = start(&[
        "demo",
        "--data-dir",
        data.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
    ]);
    let creds2: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(creds2["members"], creds["members"]);
    assert_eq!(creds2["base_url"], again.base.as_str());
    assert!(again.terminate().success());
}

fn verify(db_args: &[&str]) -> std::process::Output {
    let mut args = vec!["admin", "audit", "verify"];
    args.extend_from_slice(db_args);
    Command::new(BIN)
        .args(&args)
        .env("TSUNAGU_LOG", "warn")
        .output()
        .expect("run verify")
}

async fn tamper_test(db: Db) {
    let Some(test_db) = TestDb::new(db).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let db_args: Vec<&str> = match db {
        Db::Sqlite => vec!["--data-dir", data.to_str().unwrap()],
        Db::Postgres => vec!["--database-url", &test_db.url],
    };
    let mut serve_args = vec!["serve", "--listen", "127.0.0.1:0"];
    serve_args.extend_from_slice(&db_args);
    let server = start(&serve_args);
    let token = printed_value(&server.printed, "API token:");
    let client = reqwest::Client::new();
    for name in ["nightly-misp", "taxii-pull", "portal"] {
        let r = client
            .post(format!("{}/api/v1/tokens", server.base))
            .bearer_auth(&token)
            .json(&json!({"name": name}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    let ok = verify(&db_args);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("intact"));

    // Edit an entry behind the running server's back.
    let url = match db {
        Db::Sqlite => format!("sqlite://{}", data.join("tsunagu.db").display()),
        Db::Postgres => test_db.url.clone(),
    };
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    sqlx::query("UPDATE audit_log SET details = '{\"name\":\"innocent\"}' WHERE seq = 5")
        .execute(&pool)
        .await
        .unwrap();
    let broken = verify(&db_args);
    assert_eq!(broken.status.code(), Some(1));
    let err = String::from_utf8_lossy(&broken.stderr);
    assert!(err.contains("audit entry 5 was modified"), "{err}");

    // Put it back, then delete one instead.
    sqlx::query("UPDATE audit_log SET details = (SELECT details FROM audit_log WHERE seq = 4) WHERE seq = 5")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(
        verify(&db_args).status.code(),
        Some(1),
        "a wrong restoration is still caught"
    );
    sqlx::query("DELETE FROM audit_log WHERE seq >= 5")
        .execute(&pool)
        .await
        .unwrap();
    let truncated = verify(&db_args);
    assert_eq!(truncated.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&truncated.stderr).contains("later entries were deleted"));
    sqlx::query("DELETE FROM audit_log WHERE seq = 2")
        .execute(&pool)
        .await
        .unwrap();
    let missing = verify(&db_args);
    assert!(String::from_utf8_lossy(&missing.stderr).contains("audit entry 2 is missing"));
    pool.close().await;
    assert!(server.terminate().success());
    test_db.cleanup().await;
}

#[tokio::test]
async fn audit_verify_detects_tampering_on_sqlite() {
    tamper_test(Db::Sqlite).await;
}

#[tokio::test]
async fn audit_verify_detects_tampering_on_postgres() {
    tamper_test(Db::Postgres).await;
}

#[test]
fn every_command_explains_itself() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["demo", "--help"],
        vec!["admin", "--help"],
        vec!["admin", "bootstrap", "--help"],
        vec!["admin", "audit", "verify", "--help"],
    ] {
        let out = Command::new(BIN).args(&args).output().unwrap();
        assert!(out.status.success());
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.lines().count() > 3, "{args:?}: {text}");
    }
    let out = Command::new(BIN)
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--data-dir",
        "--database-url",
        "--listen",
        "TSUNAGU_DATABASE_URL",
    ] {
        assert!(text.contains(flag), "{flag}");
    }
    assert!(Path::new(BIN).exists());
}

#[test]
fn bootstrap_refuses_an_existing_council() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("d");
    let first = Command::new(BIN)
        .args(["admin", "bootstrap", "--data-dir", d.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(first.status.success());
    assert!(String::from_utf8_lossy(&first.stdout).contains("login:     admin"));
    let second = Command::new(BIN)
        .args(["admin", "bootstrap", "--data-dir", d.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!second.status.success());
    assert!(String::from_utf8_lossy(&second.stderr).contains("already exists"));
}

/// Runs `tsunagu ARGS` to completion; returns (success, stdout, stderr).
fn run(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .env("TSUNAGU_LOG", "warn")
        .output()
        .expect("run tsunagu");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A partner council's TAXII collection is pulled into ours incrementally (the second
/// pull brings nothing new), exported as STIX and as a MISP feed, and a bad bundle is
/// refused with its object named and nothing imported.
#[tokio::test]
async fn import_and_export_stix_misp_and_taxii_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let partner = dir.path().join("partner");
    let ours = dir.path().join("ours");
    let server = start(&[
        "serve",
        "--data-dir",
        partner.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
    ]);
    let token = printed_value(&server.printed, "API token:");
    let client = reqwest::Client::new();
    let shared = client
        .post(format!("{}/api/v1/items", server.base))
        .bearer_auth(&token)
        .json(&json!({
            "kind": "threat_information", "title": "Partner feed: VPN appliance scanning",
            "executive_context": "Mass scanning of VPN appliances", "technical_details": "",
            "countermeasures": "Patch the appliances",
            "indicators": [{"type": "ipv4", "value": "203.0.113.99"}],
            "confidence": "probable", "tlp": "green", "scope": {"classes": ["class1", "class2"]}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(shared.status(), 201);
    let (ok, _, err) = run(&["admin", "bootstrap", "--data-dir", ours.to_str().unwrap()]);
    assert!(ok, "{err}");
    let db = ["--as", "admin", "--data-dir", ours.to_str().unwrap()];
    let root = format!("{}/taxii2/root/", server.base);
    let pull = |extra: &[&str]| {
        let mut args = vec![
            "import",
            "taxii",
            root.as_str(),
            "--collection",
            "all",
            "--token",
            token.as_str(),
        ];
        args.extend_from_slice(extra);
        run(&args)
    };
    let (ok, out, err) = pull(&db);
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("items created 1"), "{out}");
    let (ok, out, err) = pull(&db);
    assert!(ok, "{err}");
    assert!(
        out.contains(": 0 new objects since 20"),
        "the second pull starts where the first stopped: {out}"
    );
    server.terminate();

    let bundle = dir.path().join("ours.json");
    let (ok, out, err) = run(&[
        &["export", "stix", "--out", bundle.to_str().unwrap()][..],
        &db[..],
    ]
    .concat());
    assert!(ok, "{out}\n{err}");
    assert!(err.contains("exported 1 items as"), "{err}");
    assert!(err.contains("1 indicator"), "{err}");
    let text = std::fs::read_to_string(&bundle).unwrap();
    assert!(text.contains("203.0.113.99"));
    let feed = dir.path().join("feed");
    let (ok, out, err) = run(&[&["export", "misp", feed.to_str().unwrap()][..], &db[..]].concat());
    assert!(ok, "{err}");
    assert!(out.contains("1 events with"), "{out}");
    assert!(feed.join("manifest.json").exists() && feed.join("hashes.csv").exists());

    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[
        {"type":"indicator","spec_version":"2.1","id":"indicator--1a1b1c1d-0000-4000-8000-000000000001","created":"2026-11-28T09:00:00.000Z","modified":"2026-11-28T09:00:00.000Z","pattern":"[ipv4-addr:value = '192.0.2.10']","pattern_type":"stix","valid_from":"2026-11-28T09:00:00Z"},
        {"type":"indicator","spec_version":"2.1","id":"indicator--1a1b1c1d-0000-4000-8000-000000000002","created":"2026-11-28T09:00:00.000Z","modified":"2026-11-28T09:00:00.000Z","pattern_type":"stix","valid_from":"2026-11-28T09:00:00Z"}]}"#,
    )
    .unwrap();
    let (ok, _, err) = run(&[&["import", "stix", bad.to_str().unwrap()][..], &db[..]].concat());
    assert!(!ok);
    assert!(
        err.contains("objects[1] (indicator--1a1b1c1d-0000-4000-8000-000000000002)"),
        "{err}"
    );
    let (ok, _, err) = run(&[
        &["export", "stix", "--out", bundle.to_str().unwrap()][..],
        &db[..],
    ]
    .concat());
    assert!(ok);
    assert!(
        err.contains("exported 1 items"),
        "nothing was imported: {err}"
    );
    let (ok, out, err) =
        run(&[&["import", "stix", bundle.to_str().unwrap()][..], &db[..]].concat());
    assert!(ok, "{err}");
    assert!(
        out.contains("items created 0, updated 0, unchanged 1"),
        "our own export carries the original ids: re-importing it changes nothing: {out}"
    );
}

/// `tsunagu import kev` loads a KEV feed as a user of the coordinator (and refuses
/// anyone else); the running server publishes it at once.
#[tokio::test]
async fn import_kev_loads_the_catalogue_as_the_coordinator() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = start(&[
        "serve",
        "--data-dir",
        data.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
    ]);
    let token = printed_value(&server.printed, "API token:");
    let client = reqwest::Client::new();
    let members: Value = client
        .get(format!("{}/api/v1/members", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let coordinator = members
        .as_array()
        .unwrap()
        .iter()
        .find(|m| {
            m["roles"]
                .as_array()
                .unwrap()
                .contains(&json!("coordinator"))
        })
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let created = client
        .post(format!(
            "{}/api/v1/members/{coordinator}/users",
            server.base
        ))
        .bearer_auth(&token)
        .json(
            &json!({"login": "coord", "password": "a long coordinator password", "role": "admin"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let feed = dir.path().join("kev.json");
    std::fs::write(
        &feed,
        json!({"title": "CISA Catalog of Known Exploited Vulnerabilities", "catalogVersion": "2026.11.20",
          "dateReleased": "2026-11-20T17:00:00.000Z", "count": 1, "vulnerabilities": [
          {"cveID": "CVE-2018-13379", "vendorProject": "Fortinet", "product": "FortiOS",
           "vulnerabilityName": "Fortinet FortiOS SSL VPN Path Traversal Vulnerability", "dateAdded": "2021-11-03",
           "shortDescription": "A path traversal in the SSL VPN web portal.", "requiredAction": "Apply updates per vendor instructions.",
           "dueDate": "2022-05-03", "knownRansomwareCampaignUse": "Known", "notes": "", "cwes": ["CWE-22"]}]})
        .to_string(),
    )
    .unwrap();
    let path = feed.to_str().unwrap();
    let dir_arg = data.to_str().unwrap();
    let (ok, _, err) = run(&[
        "import",
        "kev",
        path,
        "--as",
        "admin",
        "--data-dir",
        dir_arg,
    ]);
    assert!(!ok);
    assert!(err.contains("the coordinator loads KEV feeds"), "{err}");
    let (ok, out, err) = run(&[
        "import",
        "kev",
        path,
        "--as",
        "coord",
        "--data-dir",
        dir_arg,
    ]);
    assert!(ok, "{err}");
    assert!(
        out.contains("catalogue entries created 1, updated 0, unchanged 0"),
        "{out}"
    );
    let public: Value = client
        .get(format!(
            "{}/kev/known_exploited_vulnerabilities.json",
            server.base
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(public["count"], 1);
    assert_eq!(public["vulnerabilities"][0]["cveID"], "CVE-2018-13379");

    // A vendor's CSAF advisory for the same CVE is validated and linked to the entry.
    let mut advisory = json!({
      "document": {"category": "csaf_security_advisory", "csaf_version": "2.0",
        "notes": [{"category": "summary", "text": "Path traversal in the SSL VPN portal."}],
        "publisher": {"category": "vendor", "name": "Fortinet PSIRT", "namespace": "https://www.fortiguard.com"},
        "title": "FortiOS SSL VPN path traversal",
        "tracking": {"current_release_date": "2019-05-24T00:00:00Z", "id": "FG-IR-18-384",
          "initial_release_date": "2019-05-24T00:00:00Z",
          "revision_history": [{"date": "2019-05-24T00:00:00Z", "number": "1", "summary": "Initial"}],
          "status": "final", "version": "1"}},
      "product_tree": {"branches": [{"category": "vendor", "name": "Fortinet", "branches": [
        {"category": "product_name", "name": "FortiOS", "branches": [
          {"category": "product_version_range", "name": "vers:generic/>=6.0.0|<=6.0.4",
           "product": {"name": "FortiOS 6.0.0 to 6.0.4", "product_id": "FOS-6.0",
             "product_identification_helper": {"cpe": "cpe:2.3:o:fortinet:fortios:*:*:*:*:*:*:*:*"}}}]}]}]},
      "vulnerabilities": [{"cve": "CVE-2018-13379",
        "notes": [{"category": "description", "text": "Path traversal."}],
        "product_status": {"known_affected": ["FOS-6.0"]},
        "remediations": [{"category": "vendor_fix", "details": "Upgrade to 6.0.5.", "product_ids": ["FOS-6.0"]}]}]
    });
    let csaf = dir.path().join("fg-ir-18-384.json");
    std::fs::write(&csaf, advisory.to_string()).unwrap();
    let csaf_path = csaf.to_str().unwrap();
    let (ok, out, err) = run(&[
        "import",
        "csaf",
        csaf_path,
        "--as",
        "coord",
        "--data-dir",
        dir_arg,
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("FG-IR-18-384"), "{out}");
    assert!(out.contains("created"), "{out}");
    assert!(out.contains("in the catalogue: CVE-2018-13379"), "{out}");
    advisory["document"]["tracking"]["status"] = json!("done");
    std::fs::write(&csaf, advisory.to_string()).unwrap();
    let (ok, _, err) = run(&[
        "import",
        "csaf",
        csaf_path,
        "--as",
        "coord",
        "--data-dir",
        dir_arg,
    ]);
    assert!(!ok);
    assert!(err.contains("/document/tracking/status"), "{err}");
    assert!(server.terminate().success());
}

/// `tsunagu import observations` streams a sensor file into the running council's
/// database as the coordinator: records hitting a verified range become that member's
/// hits, and a malformed row imports nothing and is named by line and column.
#[tokio::test]
async fn import_observations_routes_a_sensor_file_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let dir_arg = data.to_str().unwrap();
    let server = start(&["serve", "--data-dir", dir_arg, "--listen", "127.0.0.1:0"]);
    let token = printed_value(&server.printed, "API token:");
    let client = reqwest::Client::new();
    let members: Value = client
        .get(format!("{}/api/v1/members", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let coordinator = members
        .as_array()
        .unwrap()
        .iter()
        .find(|m| {
            m["roles"]
                .as_array()
                .unwrap()
                .contains(&json!("coordinator"))
        })
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let created = client
        .post(format!(
            "{}/api/v1/members/{coordinator}/users",
            server.base
        ))
        .bearer_auth(&token)
        .json(
            &json!({"login": "coord", "password": "a long coordinator password", "role": "admin"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let login: Value = client
        .post(format!("{}/api/v1/auth/login", server.base))
        .json(&json!({"login": "coord", "password": "a long coordinator password"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let coord = login["token"].as_str().unwrap().to_owned();
    let entry: Value = client
        .post(format!("{}/api/v1/constituency", server.base))
        .bearer_auth(&coord)
        .json(&json!({"kind": "cidr", "value": "203.0.113.0/24", "ownership": "our own sensors' range"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let verified = client
        .post(format!(
            "{}/api/v1/constituency/{}/verify",
            server.base,
            entry["id"].as_str().unwrap()
        ))
        .bearer_auth(&coord)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(verified.status(), 200);

    let file = dir.path().join("2026-11-28-event4_honeypot_darknet.csv");
    std::fs::write(
        &file,
        "timestamp,src_ip,src_port,dst_ip,dst_port,protocol,infection,family,geo,naics\n\
         2026-11-28 00:00:01,203.0.113.5,40000,192.0.2.1,23,tcp,mirai,mirai,JP,517311\n\
         2026-11-28 00:00:02,198.18.0.9,40001,192.0.2.1,445,tcp,,,US,\n",
    )
    .unwrap();
    let path = file.to_str().unwrap();
    let args = |extra: &[&'static str]| -> Vec<String> {
        let mut a: Vec<String> = [
            "import",
            "observations",
            path,
            "--as",
            "coord",
            "--data-dir",
            dir_arg,
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        a.extend(extra.iter().map(|s| (*s).to_owned()));
        a
    };
    let (ok, _, err) = run(&args(&[]).iter().map(String::as_str).collect::<Vec<_>>());
    assert!(!ok, "no sensor named: refused");
    assert!(err.contains("line 1") && err.contains("sensor"), "{err}");
    let (ok, out, err) = run(&args(&["--sensor-type", "darknet", "--sensor", "dn-7"])
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>());
    assert!(ok, "{err}");
    assert!(out.contains("2 records"), "{out}");
    assert!(out.contains("1 hits on 1 members"), "{out}");

    std::fs::write(
        &file,
        "timestamp,src_ip,dst_port,protocol\n\
         2026-11-28 01:00:00,203.0.113.6,23,tcp\n\
         2026-11-28 01:00:01,203.0.113.6,99999,tcp\n",
    )
    .unwrap();
    let (ok, _, err) = run(&args(&["--sensor-type", "darknet", "--sensor", "dn-7"])
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>());
    assert!(!ok);
    assert!(err.contains("line 3, column dst_port"), "{err}");
    assert!(err.contains("nothing was imported"), "{err}");

    let hits: Value = client
        .get(format!("{}/api/v1/observations/hits", server.base))
        .bearer_auth(&coord)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let hits = hits["hits"].as_array().unwrap();
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0]["observation"]["src_ip"], "203.0.113.5");
    assert_eq!(hits[0]["observation"]["sensor_id"], "dn-7");
    assert_eq!(hits[0]["observation"]["tag"], "mirai");
    assert!(server.terminate().success());
}
