//! Federation, partners and outbound sharing (MISSION.md M7.2, issue 12) over HTTP on
//! both backends: the coordinator registers partners with sharing agreements (bad
//! agreements refused, nothing stored); a partner receives exactly the items whose
//! provider put partners in the scope *and* that its agreement allows (audience
//! classes, highest TLP, sectors), masked, through the REST API, the STIX export and
//! TAXII 2.1; a changed agreement takes effect at the next request; a partner's token
//! opens nothing of the council's own business, and partners never apply.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;

use common::{TestApp, admitted_in, application_in, council};
use serde_json::{Value, json};

on_both_backends!(partners_receive_only_what_scope_and_agreement_allow);

/// Registers a partner; returns (member id, API token).
async fn partner(
    app: &TestApp,
    coordinator: &str,
    name: &str,
    login: &str,
    agreement: Value,
) -> (String, String) {
    let (s, v) = app
        .post(
            "/api/v1/partners",
            Some(coordinator),
            json!({"name": name, "sector": "other", "login": login, "agreement": agreement}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["login"], login);
    assert!(v["password"].as_str().unwrap().len() >= 20, "{v}");
    (
        v["id"].as_str().unwrap().to_owned(),
        v["api_token"].as_str().unwrap().to_owned(),
    )
}

/// The ids of the items a token lists.
async fn listed(app: &TestApp, token: &str) -> BTreeSet<String> {
    let (s, v) = app.get("/api/v1/items?limit=200", token).await;
    assert_eq!(s, 200, "{v}");
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Everything a token reads over TAXII 2.1 (the `all` collection) and the STIX export.
async fn interchange(app: &TestApp, token: &str) -> String {
    let mut out = String::new();
    for path in [
        "/taxii2/root/collections/all/objects/?limit=1000",
        "/api/v1/export/stix",
    ] {
        let (s, body) = app.get_text(path, token).await;
        assert_eq!(s, 200, "{path}: {body}");
        out.push_str(&body);
    }
    out
}

async fn partners_receive_only_what_scope_and_agreement_allow(app: &TestApp) {
    let c = council(app).await;
    let (_, vendor) = admitted_in(
        app,
        &c,
        "Aokirime Cyberworks",
        "class1",
        "security_vendor",
        false,
    )
    .await;
    let (_, operator) =
        admitted_in(app, &c, "Kirishiro Denki", "class2", "electricity", false).await;

    // Bad input: nobody but the coordinator registers; bad agreements name the field;
    // nothing is stored; partners never apply.
    let isac_agreement = json!({"classes": ["class2", "general"], "max_tlp": "amber"});
    let body = |agreement: Value| json!({"name": "Bad", "sector": "other", "login": "bad-partner", "agreement": agreement});
    let (s, _) = app
        .post(
            "/api/v1/partners",
            Some(&vendor),
            body(isac_agreement.clone()),
        )
        .await;
    assert_eq!(s, 403);
    for (agreement, field) in [
        (
            json!({"classes": ["class2"], "max_tlp": "red"}),
            "agreement.max_tlp",
        ),
        (
            json!({"classes": [], "max_tlp": "green"}),
            "agreement.classes",
        ),
        (
            json!({"classes": ["partner"], "max_tlp": "green"}),
            "agreement.classes",
        ),
    ] {
        let (s, v) = app
            .post("/api/v1/partners", Some(&c.coordinator), body(agreement))
            .await;
        assert_eq!(s, 422, "{v}");
        assert!(v["detail"].as_str().unwrap().contains(field), "{v}");
    }
    let (s, v) = app.get("/api/v1/partners", &c.coordinator).await;
    assert_eq!((s, v.as_array().unwrap().len()), (200, 0), "{v}");
    let (s, v) = app
        .post(
            "/api/v1/applications",
            None,
            application_in("Sneaky ISAC", "partner", "other", false),
        )
        .await;
    assert_eq!(s, 422, "{v}");

    let (isac_id, isac) = partner(
        app,
        &c.coordinator,
        "Denryoku ISAC",
        "isac-a",
        isac_agreement,
    )
    .await;
    let (_, cert) = partner(
        app,
        &c.coordinator,
        "Oceania Partner CERT",
        "cert-b",
        json!({"classes": ["general"], "max_tlp": "green"}),
    )
    .await;
    let (s, v) = app.get("/api/v1/partners", &c.coordinator).await;
    assert_eq!(s, 200);
    assert_eq!(v.as_array().unwrap().len(), 2, "{v}");
    let (s, _) = app.get("/api/v1/partners", &operator).await;
    assert_eq!(s, 403);

    // The vendor shares six items.
    let share = |n: usize, tlp: &str, scope: Value| {
        json!({
            "kind": "threat_information", "title": format!("Federated item {n}"), "confidence": "confirmed",
            "tlp": tlp, "scope": scope,
            "executive_context": "context", "technical_details": format!("TECH-SECRET-{n}"),
            "victim": {"name": format!("VICTIM-SECRET-{n}"), "sector": "electricity", "damaged": true, "damage_details": "down"},
            "indicators": [{"type": "domain", "value": format!("fed-{n}.example.org")}],
        })
    };
    let scopes = [
        (
            "green",
            json!({"classes": ["class2", "general", "partner"]}),
        ),
        ("amber", json!({"classes": ["class2", "partner"]})),
        ("green", json!({"classes": ["class1", "class2", "general"]})),
        (
            "green",
            json!({"classes": ["class1"], "members": [isac_id]}),
        ),
        ("amber+strict", json!({"classes": ["class2", "partner"]})),
        ("red", json!({"members": [isac_id]})),
    ];
    let mut ids = Vec::new();
    for (n, (tlp, scope)) in scopes.into_iter().enumerate() {
        let (s, v) = app
            .post("/api/v1/items", Some(&vendor), share(n, tlp, scope))
            .await;
        assert_eq!(s, 201, "{v}");
        ids.push(v["id"].as_str().unwrap().to_owned());
    }
    let set = |which: &[usize]| {
        which
            .iter()
            .map(|i| ids[*i].clone())
            .collect::<BTreeSet<_>>()
    };

    // The ISAC: partners in scope and within its agreement (class 2 or general, up to
    // AMBER): items 0 and 1. Named but outside the agreement (3, 5), above its TLP (4)
    // or without partners in scope (2): nothing.
    assert_eq!(listed(app, &isac).await, set(&[0, 1]));
    // The CERT: general only, up to GREEN: item 0.
    assert_eq!(listed(app, &cert).await, set(&[0]));
    for (i, id) in ids.iter().enumerate() {
        let (s, v) = app.get(&format!("/api/v1/items/{id}"), &isac).await;
        assert_eq!(s == 200, i <= 1, "item {i}: {v}");
        if s == 200 {
            // Masked as for any recipient: no provider, no victim name, no details.
            assert!(v["provider"].is_null(), "{v}");
            assert!(v["victim"]["name"].is_null(), "{v}");
            assert!(v["technical_details"].is_null(), "{v}");
            assert!(v["victim"]["damage_details"].is_null(), "{v}");
        }
    }
    // The provider learns how many partners received its item, never which: both
    // listed item 0, the ISAC alone item 1, nobody item 2.
    for (i, partners) in [(0, 2), (1, 1), (2, 0)] {
        let (s, reads) = app
            .get(&format!("/api/v1/items/{}/reads", ids[i]), &vendor)
            .await;
        assert_eq!(s, 200, "{reads}");
        assert_eq!(reads["partners"], partners, "item {i}: {reads}");
    }
    let bytes = interchange(app, &isac).await;
    for (i, _) in ids.iter().enumerate() {
        assert_eq!(
            bytes.contains(&format!("fed-{i}.example.org")),
            i <= 1,
            "item {i} over TAXII/STIX"
        );
        assert!(!bytes.contains(&format!("VICTIM-SECRET-{i}")));
        assert!(!bytes.contains(&format!("TECH-SECRET-{i}")));
    }
    assert!(
        !bytes.contains("Aokirime"),
        "the provider's name never leaves"
    );

    // A partner's token opens nothing of the council's own business.
    for (method, path) in [
        ("GET", "/api/v1/members"),
        ("GET", "/api/v1/alerts"),
        ("GET", "/api/v1/consultations"),
        ("GET", "/api/v1/kev"),
        ("GET", "/api/v1/assets"),
        ("GET", "/feeds/blocklist.txt"),
        ("GET", &format!("/api/v1/items/{}/revisions", ids[0])),
        ("POST", "/api/v1/items"),
        ("POST", "/api/v1/tokens"),
    ] {
        let body = (method == "POST").then(|| json!({}));
        let (s, v) = app.call(method, path, Some(&isac), body).await;
        assert_eq!(s, 403, "{method} {path}: {v}");
    }
    let resp = app
        .client
        .post(app.url("/taxii2/root/collections/submissions/objects/"))
        .bearer_auth(&isac)
        .header("accept", "application/taxii+json;version=2.1")
        .header("content-type", "application/taxii+json;version=2.1")
        .body(r#"{"objects": []}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);

    // An alert to everyone reaches the council, not its partners.
    let (s, v) = app
        .post(
            "/api/v1/alerts",
            Some(&c.coordinator),
            json!({"title": "To everyone", "severity": "high", "action_required": "patch", "target": {"all": true}}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let (s, p) = app
        .get(
            &format!("/api/v1/alerts/{}/progress", v["id"].as_str().unwrap()),
            &c.coordinator,
        )
        .await;
    assert_eq!(s, 200, "{p}");
    let (_, members) = app.get("/api/v1/members", &c.coordinator).await;
    let council_members = members
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["class"] != "partner")
        .count();
    assert_eq!(council_members, 4, "{members}");
    assert_eq!(p["total"]["targeted"], json!(council_members), "{p}");

    // A wider agreement takes effect at the next request, and is audited.
    let (s, v) = app
        .call(
            "PUT",
            &format!("/api/v1/partners/{isac_id}/agreement"),
            Some(&c.coordinator),
            Some(json!({"classes": ["class1", "class2"], "max_tlp": "amber+strict"})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(listed(app, &isac).await, set(&[0, 1, 3, 4]));
    let (s, v) = app
        .call(
            "PUT",
            &format!("/api/v1/partners/{isac_id}/agreement"),
            Some(&vendor),
            Some(json!({"classes": ["general"], "max_tlp": "clear"})),
        )
        .await;
    assert_eq!(s, 403, "{v}");
    let (s, audit) = app.get("/api/v1/audit?limit=500", &c.coordinator).await;
    assert_eq!(s, 200);
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(
        actions.iter().filter(|a| **a == "partner.register").count(),
        2,
        "{actions:?}"
    );
    assert!(actions.contains(&"partner.agreement"), "{actions:?}");
}
