//! CSAF 2.0 advisories over HTTP on both backends (MISSION.md M4.1–M4.2): a curator
//! imports a vendor's advisory; it is validated (errors named by JSON pointer) and
//! linked to the catalogue; each member sees only its own affected assets; an alert
//! targeted by the advisory reaches the members on an affected version and not those
//! on the fixed one.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Db, TestApp, admitted_in, council, csaf_advisory as advisory, fast};
use serde_json::{Value, json};

async fn send(app: &TestApp, token: &str, body: &Value) -> (u16, Value) {
    app.post("/api/v1/advisories", Some(token), body.clone())
        .await
}

async fn advisories(db: Db) {
    let Some(app) = TestApp::spawn_with(db, fast()).await else {
        return;
    };
    let c = council(&app).await;
    let (_, curator) = admitted_in(
        &app,
        &c,
        "Hoshizuna Cyberworks",
        "class1",
        "security_vendor",
        false,
    )
    .await;
    let (_, vulnerable) = admitted_in(
        &app,
        &c,
        "Kuronagi Denryoku",
        "class2",
        "electricity",
        false,
    )
    .await;
    let (_, fixed) = admitted_in(&app, &c, "Sorahashi Bank", "class2", "finance", false).await;
    for (t, v) in [(&vulnerable, "7.0.12"), (&fixed, "7.0.13")] {
        let (s, a) = app
            .post(
                "/api/v1/assets",
                Some(t),
                json!({"cpe": format!("cpe:2.3:o:examplenetworks:en-vpn_os:{v}:*:*:*:*:*:*:*"), "model": "EN-VPN 3000"}),
            )
            .await;
        assert_eq!(s, 201, "{a}");
    }
    // The CVE is in the catalogue, so the advisory is linked to it.
    let kev = json!({"title": "t", "catalogVersion": "2026.11.28", "dateReleased": "2026-11-28T00:00:00.000Z", "count": 1,
      "vulnerabilities": [{"cveID": "CVE-2025-24472", "vendorProject": "Example Networks", "product": "EN-VPN OS",
        "vulnerabilityName": "EN-VPN OS SSL-VPN Heap Overflow", "dateAdded": "2026-11-28", "shortDescription": "Heap overflow.",
        "requiredAction": "Apply updates per vendor instructions.", "dueDate": "2026-12-19", "knownRansomwareCampaignUse": "Unknown",
        "notes": "", "cwes": ["CWE-122"]}]});
    let (s, v) = app
        .post("/api/v1/kev/import", Some(&c.coordinator), kev)
        .await;
    assert_eq!(s, 201, "{v}");

    // Bad documents are refused with every error named by pointer, and store nothing.
    let audit_before = app.audit_len().await;
    let mut bad = advisory("2025-03-04T09:00:00+09:00");
    bad["document"]["tracking"]["status"] = json!("done");
    bad["vulnerabilities"][0]["cve"] = json!("CVE-17-1");
    let (s, v) = send(&app, &curator, &bad).await;
    assert_eq!(s, 422);
    let detail = v["detail"].as_str().unwrap();
    assert!(detail.contains("/document/tracking/status"), "{detail}");
    assert!(detail.contains("/vulnerabilities/0/cve"), "{detail}");
    let mut undefined = advisory("2025-03-04T09:00:00+09:00");
    undefined["vulnerabilities"][0]["product_status"]["known_affected"][0] = json!("NOPE");
    let (s, v) = send(&app, &curator, &undefined).await;
    assert_eq!(s, 422);
    assert!(
        v["detail"]
            .as_str()
            .unwrap()
            .contains("/vulnerabilities/0/product_status/known_affected/0"),
        "{v}"
    );
    let (s, _) = send(&app, &vulnerable, &advisory("2025-03-04T09:00:00+09:00")).await;
    assert_eq!(s, 403, "operators do not curate");
    assert_eq!(app.audit_len().await, audit_before);
    let (_, list) = app.get("/api/v1/advisories", &vulnerable).await;
    assert_eq!(list, json!([]));

    // A curator imports it; the same release again changes nothing; a newer replaces.
    let (s, imported) = send(&app, &curator, &advisory("2025-03-04T09:00:00+09:00")).await;
    assert_eq!(s, 201, "{imported}");
    assert_eq!(imported["status"], "created");
    assert_eq!(imported["catalogue"], json!(["CVE-2025-24472"]));
    assert!(
        imported.get("affected_members").is_none(),
        "counts are the coordinator's"
    );
    let id = imported["id"].as_str().unwrap().to_owned();
    let (_, catalogue) = app.get("/api/v1/kev", &vulnerable).await;
    let entry = catalogue
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["entry"]["cveID"] == "CVE-2025-24472")
        .unwrap();
    assert_eq!(
        entry["advisories"],
        json!([id]),
        "the catalogue entry links the advisory"
    );
    let (s, again) = send(&app, &curator, &advisory("2025-03-04T09:00:00+09:00")).await;
    assert_eq!(s, 200);
    assert_eq!(again["status"], "unchanged");
    let (s, newer) = send(&app, &c.coordinator, &advisory("2025-03-05T09:00:00+09:00")).await;
    assert_eq!(s, 201, "{newer}");
    assert_eq!(newer["status"], "updated");
    assert_eq!(newer["id"], id.as_str());
    assert_eq!(newer["affected_members"], 1);

    // Each member sees its own affected assets only.
    let (_, mine) = app
        .get(&format!("/api/v1/advisories/{id}"), &vulnerable)
        .await;
    assert_eq!(
        mine["your_affected_assets"].as_array().unwrap().len(),
        1,
        "{mine}"
    );
    assert!(
        mine["your_affected_assets"][0]["matched"]
            .as_str()
            .unwrap()
            .contains("< 7.0.13")
    );
    let (_, theirs) = app.get(&format!("/api/v1/advisories/{id}"), &fixed).await;
    assert_eq!(theirs["your_affected_assets"], json!([]));
    assert_eq!(
        theirs["document"]["document"]["tracking"]["id"],
        "EN-SA-2025-0007"
    );

    // An alert targeted by the advisory reaches the member on 7.0.12, not on 7.0.13.
    let (s, alert) = app
        .post(
            "/api/v1/alerts",
            Some(&c.coordinator),
            json!({"title": "EN-VPN OS heap overflow exploited", "severity": "critical",
                   "action_required": "Upgrade EN-VPN OS to 7.0.13", "target": {"advisories": [id]}}),
        )
        .await;
    assert_eq!(s, 201, "{alert}");
    assert_eq!(alert["affected_members"], 1);
    let (_, page) = app.get("/api/v1/alerts", &vulnerable).await;
    assert_eq!(
        page["alerts"][0]["affected_assets"][0]["label"],
        "examplenetworks en-vpn os 7.0.12 (EN-VPN 3000)"
    );
    let (_, page) = app.get("/api/v1/alerts", &fixed).await;
    assert_eq!(page["alerts"], json!([]));
    let (s, _) = app
        .post(
            "/api/v1/alerts",
            Some(&c.coordinator),
            json!({"title": "x", "severity": "low", "action_required": "y", "target": {"advisories": ["nope"]}}),
        )
        .await;
    assert_eq!(s, 422);
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_csaf_advisories_are_validated_linked_and_matched() {
    advisories(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_csaf_advisories_are_validated_linked_and_matched() {
    advisories(Db::Postgres).await;
}
