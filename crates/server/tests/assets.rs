//! The asset registry and targeted alerts over HTTP on both backends (MISSION.md
//! M4.1–M4.2): members register what they run by form, CSV and SBOM; a new catalogue
//! entry alerts exactly the members running an affected version — each copy names the
//! recipient's own assets — and members on a fixed version hear nothing; nobody else
//! learns who runs what; bad CPEs, purls, CSV lines and SBOMs change nothing.

#![allow(clippy::unwrap_used)]

mod common;

use common::{
    Council, Db, TestApp, add_webhook, admitted_in, council, fast, receiver, until, verify,
};
use serde_json::{Value, json};

/// A vendor's firmware SBOM with a vulnerable Log4j nested inside an application.
const SBOM: &str = r#"{"bomFormat": "CycloneDX", "specVersion": "1.6", "serialNumber": "urn:uuid:6f0c2a52-93c4-4f57-9b1e-0d9d7b0f5a11", "version": 1,
 "metadata": {"component": {"type": "firmware", "name": "SCADA gateway firmware", "version": "4.0.2"}},
 "components": [
  {"type": "library", "name": "openssl", "version": "3.0.13", "purl": "pkg:generic/openssl@3.0.13"},
  {"type": "application", "name": "historian", "version": "4.0.2", "components": [
    {"type": "library", "group": "org.apache.logging.log4j", "name": "log4j-core", "version": "2.14.1",
     "purl": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"}
  ]}
 ]}"#;

fn feed(entries: Value) -> Value {
    json!({"title": "CISA Catalog of Known Exploited Vulnerabilities", "catalogVersion": "2026.11.28",
           "dateReleased": "2026-11-28T17:00:00.000Z", "count": entries.as_array().unwrap().len(),
           "vulnerabilities": entries})
}

fn fortios_entry() -> Value {
    json!({"cveID": "CVE-2018-13379", "vendorProject": "Fortinet", "product": "FortiOS",
      "vulnerabilityName": "Fortinet FortiOS SSL VPN Path Traversal Vulnerability", "dateAdded": "2021-11-03",
      "shortDescription": "A path traversal in the FortiOS SSL VPN web portal.", "requiredAction": "Apply updates per vendor instructions.",
      "dueDate": "2022-05-03", "knownRansomwareCampaignUse": "Known", "notes": "", "cwes": ["CWE-22"],
      "cpeMatch": [{"criteria": "cpe:2.3:o:fortinet:fortios:*:*:*:*:*:*:*:*", "versionStartIncluding": "6.0.0", "versionEndIncluding": "6.0.4"}]})
}

async fn send_raw(app: &TestApp, path: &str, token: &str, ct: &str, body: &str) -> (u16, Value) {
    let resp = app
        .client
        .post(app.url(path))
        .bearer_auth(token)
        .header("content-type", ct)
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn total(app: &TestApp, token: &str) -> i64 {
    let (s, v) = app.get("/api/v1/assets", token).await;
    assert_eq!(s, 200, "{v}");
    v["total"].as_i64().unwrap()
}

async fn alerts_of(app: &TestApp, token: &str) -> Vec<Value> {
    let (s, v) = app.get("/api/v1/alerts", token).await;
    assert_eq!(s, 200, "{v}");
    v["alerts"].as_array().unwrap().clone()
}

async fn targeted(db: Db) {
    let Some(app) = TestApp::spawn_with(db, fast()).await else {
        return;
    };
    let c: Council = council(&app).await;
    let (vuln_id, vulnerable) = admitted_in(
        &app,
        &c,
        "Kuronagi Denryoku",
        "class2",
        "electricity",
        false,
    )
    .await;
    let (_, fixed) = admitted_in(&app, &c, "Sorahashi Bank", "class2", "finance", false).await;
    let (_, plant) = admitted_in(&app, &c, "Hamuteru Gas", "general", "gas", false).await;
    let (_, bystander) =
        admitted_in(&app, &c, "Tamayuri Railway", "class2", "railway", false).await;

    // The vulnerable operator registers by form, the fixed one by CSV (with a BOM and
    // Japanese yes/no), the plant by CPE and by SBOM.
    let (s, a) = app
        .post(
            "/api/v1/assets",
            Some(&vulnerable),
            json!({"vendor": "Fortinet", "product": "FortiOS", "version": "6.0.2", "model": "FortiGate 60F",
                   "sector_service": "substation remote access", "internet_facing": true}),
        )
        .await;
    assert_eq!(s, 201, "{a}");
    assert_eq!(a["cpe_derived"], true);
    let vulnerable_asset = a["id"].as_str().unwrap().to_owned();
    let csv = "\u{feff}vendor,product,version,model,internet_facing\nFortinet,FortiOS,7.0.12,FortiGate 100F,はい\nMicrosoft,Windows Server 2022,10.0.20348.2966,,no\n";
    let (s, v) = send_raw(&app, "/api/v1/assets/import", &fixed, "text/csv", csv).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["created"], 2);
    let (s, v) = app
        .post(
            "/api/v1/assets",
            Some(&plant),
            json!({"cpe": "cpe:2.3:a:ivanti:connect_secure:9.1:r18:*:*:*:*:*:*", "model": "ISA6000"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["vendor"], "ivanti");
    let (s, sbom) = send_raw(
        &app,
        "/api/v1/sboms?sector_service=gas%20SCADA&internet_facing=false",
        &plant,
        "application/json",
        SBOM,
    )
    .await;
    assert_eq!(s, 201, "{sbom}");
    assert_eq!(
        sbom["components"], 4,
        "the subject and every nested component"
    );
    let sbom_id = sbom["id"].as_str().unwrap().to_owned();

    let rv = receiver(0).await;
    let rf = receiver(0).await;
    let rp = receiver(0).await;
    let sv = add_webhook(&app, &vulnerable, &rv.url).await;
    add_webhook(&app, &fixed, &rf.url).await;
    add_webhook(&app, &plant, &rp.url).await;

    // The coordinator loads a catalogue entry: the FortiOS range 6.0.0–6.0.4 alerts the
    // member on 6.0.2 at once, naming its device; the member on 7.0.12 hears nothing.
    let (s, v) = app
        .post(
            "/api/v1/kev/import",
            Some(&c.coordinator),
            feed(json!([fortios_entry()])),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    until("the vulnerable member is alerted", || async {
        rv.got.lock().unwrap().len() == 1
    })
    .await;
    let got = rv.got.lock().unwrap()[0].clone();
    verify(&got, &sv);
    let body: Value = serde_json::from_slice(&got.body).unwrap();
    let alert = &body["alert"];
    assert!(alert["title"].as_str().unwrap().contains("CVE-2018-13379"));
    assert_eq!(alert["affected_assets"].as_array().unwrap().len(), 1);
    assert_eq!(
        alert["affected_assets"][0]["asset_id"],
        vulnerable_asset.as_str()
    );
    assert_eq!(
        alert["affected_assets"][0]["label"],
        "Fortinet FortiOS 6.0.2 (FortiGate 60F)"
    );
    assert!(alert.get("target").is_none() && alert.get("affected_members").is_none());
    let alert_id = alert["id"].as_str().unwrap().to_owned();

    for t in [&fixed, &plant, &bystander] {
        assert!(
            alerts_of(&app, t).await.is_empty(),
            "only the vulnerable member"
        );
        let (s, _) = app.get(&format!("/api/v1/alerts/{alert_id}"), t).await;
        assert_eq!(s, 404);
    }
    let mine = alerts_of(&app, &vulnerable).await;
    assert_eq!(mine.len(), 1);
    assert_eq!(
        mine[0]["affected_assets"][0]["label"],
        "Fortinet FortiOS 6.0.2 (FortiGate 60F)"
    );

    // The coordinator knows how many, never who: no member id or name anywhere.
    let (s, view) = app
        .get(&format!("/api/v1/alerts/{alert_id}"), &c.coordinator)
        .await;
    assert_eq!(s, 200);
    assert_eq!(view["affected_members"], 1);
    assert!(view.get("affected_assets").is_none());
    let (s, progress) = app
        .get(
            &format!("/api/v1/alerts/{alert_id}/progress"),
            &c.coordinator,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(progress["total"]["targeted"], 1);
    assert!(progress["by_sector"].as_object().unwrap().is_empty());
    for text in [view.to_string(), progress.to_string()] {
        assert!(
            !text.contains(&vuln_id) && !text.contains("Kuronagi"),
            "{text}"
        );
    }

    // Exposure: each member sees which catalogue entries hit its own assets.
    let (_, exp) = app.get("/api/v1/assets/exposure", &vulnerable).await;
    assert_eq!(exp[0]["cve_id"], "CVE-2018-13379");
    let (_, exp) = app.get("/api/v1/assets/exposure", &fixed).await;
    assert_eq!(exp, json!([]));

    // A shared item citing the CVE finds each member's own affected assets.
    let (s, item) = app
        .post(
            "/api/v1/items",
            Some(&bystander),
            json!({"kind": "countermeasure", "title": "FortiOS SSL VPN credentials are being harvested",
                   "confidence": "confirmed", "tlp": "green", "cves": ["CVE-2018-13379"],
                   "scope": {"classes": ["class1", "class2", "general"]}}),
        )
        .await;
    assert_eq!(s, 201, "{item}");
    let path = format!(
        "/api/v1/items/{}/affected-assets",
        item["id"].as_str().unwrap()
    );
    let (s, mine) = app.get(&path, &vulnerable).await;
    assert_eq!(s, 200, "{mine}");
    assert_eq!(mine[0]["asset_id"], vulnerable_asset.as_str());
    let (_, theirs) = app.get(&path, &fixed).await;
    assert_eq!(theirs, json!([]));

    // An alert targeted by package reaches the member whose SBOM holds it, naming the
    // component and its SBOM.
    let (s, n) = app
        .post(
            "/api/v1/assets/match",
            Some(&c.coordinator),
            json!({"purl": ["pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"]}),
        )
        .await;
    assert_eq!(s, 200, "{n}");
    assert_eq!(n, json!({"members": 1, "assets": 1}));
    let (s, v) = app
        .post(
            "/api/v1/alerts",
            Some(&c.coordinator),
            json!({"title": "Log4Shell in SCADA gateways", "severity": "critical",
                   "action_required": "Upgrade log4j-core to 2.17.1 or later",
                   "cves": ["CVE-2021-44228"],
                   "target": {"products": {"purl": ["pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"]}}}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    until("the plant is alerted", || async {
        rp.got.lock().unwrap().len() == 1
    })
    .await;
    let body: Value = serde_json::from_slice(&rp.got.lock().unwrap()[0].body).unwrap();
    let affected = &body["alert"]["affected_assets"];
    assert_eq!(affected.as_array().unwrap().len(), 1, "{affected}");
    assert_eq!(affected[0]["sbom_id"], sbom_id.as_str());
    assert!(
        affected[0]["label"]
            .as_str()
            .unwrap()
            .contains("log4j-core 2.14.1")
    );
    assert_eq!(
        rf.got.lock().unwrap().len(),
        0,
        "the fixed member heard nothing"
    );
    assert_eq!(rv.got.lock().unwrap().len(), 1);

    // A target naming a CVE that is not in the published catalogue is refused.
    let (s, v) = app
        .post(
            "/api/v1/alerts",
            Some(&c.coordinator),
            json!({"title": "x", "severity": "low", "action_required": "y",
                   "target": {"kev": ["CVE-2099-0001"]}}),
        )
        .await;
    assert_eq!(s, 422);
    assert!(v["detail"].as_str().unwrap().contains("CVE-2099-0001"));
    // Members cannot ask who runs what.
    let (s, _) = app
        .post(
            "/api/v1/assets/match",
            Some(&fixed),
            json!({"cpe": ["cpe:2.3:o:fortinet:fortios:*:*:*:*:*:*:*:*"]}),
        )
        .await;
    assert_eq!(s, 403);
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_new_catalogue_entries_alert_exactly_the_affected_members() {
    targeted(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_new_catalogue_entries_alert_exactly_the_affected_members() {
    targeted(Db::Postgres).await;
}

async fn private(db: Db) {
    let Some(app) = TestApp::spawn_with(db, fast()).await else {
        return;
    };
    let c = council(&app).await;
    let (a_id, a) = admitted_in(
        &app,
        &c,
        "Kuronagi Denryoku",
        "class2",
        "electricity",
        false,
    )
    .await;
    let (_, b) = admitted_in(&app, &c, "Sorahashi Bank", "class2", "finance", false).await;
    let (s, asset) = app
        .post(
            "/api/v1/assets",
            Some(&a),
            json!({"vendor": "Fortinet", "product": "FortiOS", "version": "6.0.2"}),
        )
        .await;
    assert_eq!(s, 201);
    let asset_id = asset["id"].as_str().unwrap().to_owned();
    let (s, _) = app
        .post(
            "/api/v1/assets",
            Some(&b),
            json!({"cpe": "cpe:2.3:o:fortinet:fortios:7.0.12:*:*:*:*:*:*:*"}),
        )
        .await;
    assert_eq!(s, 201);

    // Each member sees only its own; another member cannot delete it.
    assert_eq!(total(&app, &a).await, 1);
    let (_, page) = app.get("/api/v1/assets", &b).await;
    assert_eq!(page["total"], 1);
    assert!(!page.to_string().contains(&asset_id));
    let (s, _) = app
        .call(
            "DELETE",
            &format!("/api/v1/assets/{asset_id}"),
            Some(&b),
            None,
        )
        .await;
    assert_eq!(s, 404);
    assert_eq!(total(&app, &a).await, 1);

    // The coordinator sees anonymised counts; members may not.
    let (s, _) = app.get("/api/v1/assets/products", &b).await;
    assert_eq!(s, 403);
    let (s, counts) = app.get("/api/v1/assets/products", &c.coordinator).await;
    assert_eq!(s, 200);
    let fortios = counts
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["product"] == "fortinet:fortios")
        .unwrap();
    assert_eq!(fortios["members"], 2);
    assert!(!counts.to_string().contains(&a_id));
    // Range bounds, included and excluded at both ends (A runs 6.0.2, B 7.0.12).
    for (start, end, members) in [
        (
            json!({"versionStartIncluding": "6.0.2"}),
            json!({"versionEndIncluding": "7.0.12"}),
            2,
        ),
        (
            json!({"versionStartExcluding": "6.0.2"}),
            json!({"versionEndIncluding": "7.0.12"}),
            1,
        ),
        (
            json!({"versionStartExcluding": "6.0.2"}),
            json!({"versionEndExcluding": "7.0.12"}),
            0,
        ),
        (
            json!({"versionStartIncluding": "6.0.2"}),
            json!({"versionEndExcluding": "7.0.12"}),
            1,
        ),
        (json!({"versionStartIncluding": "7.0.12"}), json!({}), 1),
        (json!({}), json!({"versionEndExcluding": "6.0.10"}), 1),
    ] {
        let mut criterion = json!({"criteria": "cpe:2.3:o:fortinet:fortios:*:*:*:*:*:*:*:*"});
        for bound in [&start, &end] {
            for (k, v) in bound.as_object().unwrap() {
                criterion[k] = v.clone();
            }
        }
        let (s, n) = app
            .post(
                "/api/v1/assets/match",
                Some(&c.coordinator),
                json!({"cpe": [criterion]}),
            )
            .await;
        assert_eq!(s, 200, "{n}");
        assert_eq!(n["members"], members, "{criterion}");
    }
    let (s, _) = app.get("/api/v1/assets", &c.coordinator).await;
    assert_eq!(
        s, 200,
        "the coordinator's own (empty) registry, nobody else's"
    );
    assert_eq!(total(&app, &c.coordinator).await, 0);

    // Bad input is named and changes nothing.
    let (s, v) = app
        .post(
            "/api/v1/assets",
            Some(&a),
            json!({"cpe": "cpe:2.3:x:fortinet:fortios:6.0.2:*:*:*:*:*:*:*"}),
        )
        .await;
    assert_eq!(s, 422);
    assert!(
        v["detail"].as_str().unwrap().contains("cpe:2.3:x:fortinet"),
        "{v}"
    );
    let (s, v) = app
        .post(
            "/api/v1/assets",
            Some(&a),
            json!({"purl": "npm/lodash@4.17.20"}),
        )
        .await;
    assert_eq!(s, 422);
    assert!(v["detail"].as_str().unwrap().contains("npm/lodash"), "{v}");
    let (s, v) = app
        .post("/api/v1/assets", Some(&a), json!({"version": "1.0"}))
        .await;
    assert_eq!(s, 422, "{v}");
    let csv = "vendor,product,version,cpe\nCisco,ASA,9.16(4),\nCisco,ASA,9.18(3),cpe:2.3:a:cisco\n";
    let (s, v) = send_raw(&app, "/api/v1/assets/import", &a, "text/csv", csv).await;
    assert_eq!(s, 422);
    assert!(v["detail"].as_str().unwrap().contains("line 3"), "{v}");
    let (s, v) = send_raw(
        &app,
        "/api/v1/assets/import",
        &a,
        "text/csv",
        "vendor,colour\nx,y\n",
    )
    .await;
    assert_eq!(s, 422);
    assert!(v["detail"].as_str().unwrap().contains("colour"), "{v}");
    let broken = SBOM.replace(r#""name": "log4j-core", "#, "");
    let (s, v) = send_raw(&app, "/api/v1/sboms", &a, "application/json", &broken).await;
    assert_eq!(s, 422);
    assert!(
        v["detail"]
            .as_str()
            .unwrap()
            .contains("/components/1/components/0"),
        "{v}"
    );
    let (s, v) = send_raw(
        &app,
        "/api/v1/sboms",
        &a,
        "application/json",
        "{\"bomFormat\": \"Nope\"}",
    )
    .await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(
        total(&app, &a).await,
        1,
        "nothing of the bad input was stored"
    );

    // An SPDX 2.3 SBOM registers its packages; removing it removes them.
    let spdx = json!({"spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT",
        "name": "billing-api", "documentNamespace": "https://example.com/spdx/billing-api-1.4.0",
        "creationInfo": {"created": "2026-11-01T00:00:00Z", "creators": ["Tool: syft"]},
        "documentDescribes": ["SPDXRef-app"],
        "packages": [
          {"SPDXID": "SPDXRef-app", "name": "billing-api", "versionInfo": "1.4.0", "downloadLocation": "NOASSERTION"},
          {"SPDXID": "SPDXRef-lodash", "name": "lodash", "versionInfo": "4.17.20", "downloadLocation": "NOASSERTION",
           "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:npm/lodash@4.17.20"}]}
        ],
        "relationships": [{"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": "SPDXRef-app"}]});
    let (s, v) = send_raw(
        &app,
        "/api/v1/sboms",
        &b,
        "application/json",
        &spdx.to_string(),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["format"], "spdx");
    let sbom_id = v["id"].as_str().unwrap().to_owned();
    let (_, comps) = app.get(&format!("/api/v1/assets?sbom={sbom_id}"), &b).await;
    assert!(
        comps["assets"]
            .to_string()
            .contains("pkg:npm/lodash@4.17.20"),
        "{comps}"
    );
    assert_eq!(total(&app, &b).await, 3);
    let (_, list) = app.get("/api/v1/sboms", &a).await;
    assert_eq!(list, json!([]), "another member's SBOMs are not listed");
    let (s, _) = app
        .call(
            "DELETE",
            &format!("/api/v1/sboms/{sbom_id}"),
            Some(&a),
            None,
        )
        .await;
    assert_eq!(s, 404);
    let (s, _) = app
        .call(
            "DELETE",
            &format!("/api/v1/sboms/{sbom_id}"),
            Some(&b),
            None,
        )
        .await;
    assert_eq!(s, 204);
    assert_eq!(total(&app, &b).await, 1);
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_assets_are_private_and_bad_input_changes_nothing() {
    private(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_assets_are_private_and_bad_input_changes_nothing() {
    private(Db::Postgres).await;
}
