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

on_both_backends!(
    partners_receive_only_what_scope_and_agreement_allow,
    a_push_arrives_as_the_partners_item_and_changes_follow,
);

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
    let (vendor_id, vendor) = admitted_in(
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
    // A partner submits as itself and within its agreement: anything else is refused
    // with a TAXII error, audited, and nothing of it is stored.
    let submit_as = |token: String, objects: Value| async move {
        let resp = app
            .client
            .post(app.url("/taxii2/root/collections/submissions/objects/"))
            .bearer_auth(&token)
            .header("accept", "application/taxii+json;version=2.1")
            .header("content-type", "application/taxii+json;version=2.1")
            .body(json!({ "objects": objects }).to_string())
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        assert!(
            resp.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/taxii+json"),
            "TAXII media type"
        );
        (status, resp.json::<Value>().await.unwrap())
    };
    let report = |n: u32, tlp: &str, creator: Option<&str>| {
        let marking = match tlp {
            "green" => "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
            "amber" => "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
            _ => "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
        };
        let mut objects = vec![
            json!({"type": "indicator", "spec_version": "2.1", "id": format!("indicator--00000000-0000-4000-8000-00000000000{n}"),
                   "created": "2026-11-01T00:00:00.000Z", "modified": "2026-11-01T00:00:00.000Z",
                   "pattern": format!("[domain-name:value = 'inbound-{n}.example.net']"), "pattern_type": "stix",
                   "valid_from": "2026-11-01T00:00:00.000Z", "object_marking_refs": [marking]}),
            json!({"type": "report", "spec_version": "2.1", "id": format!("report--00000000-0000-4000-8000-00000000000{n}"),
                   "created": "2026-11-01T00:00:00.000Z", "modified": "2026-11-01T00:00:00.000Z",
                   "name": format!("Inbound report {n}"), "published": "2026-11-01T00:00:00.000Z", "confidence": 80,
                   "report_types": ["threat-report"],
                   "object_refs": [format!("indicator--00000000-0000-4000-8000-00000000000{n}")],
                   "object_marking_refs": [marking]}),
        ];
        if let Some(creator) = creator {
            objects.push(json!({"type": "identity", "spec_version": "2.1", "id": "identity--11111111-1111-4111-8111-111111111111",
                                "created": "2026-11-01T00:00:00.000Z", "modified": "2026-11-01T00:00:00.000Z",
                                "name": creator, "identity_class": "organization"}));
            for o in &mut objects[..2] {
                o["created_by_ref"] = json!("identity--11111111-1111-4111-8111-111111111111");
            }
        }
        Value::Array(objects)
    };
    let items_before = app.get("/api/v1/items?limit=200", &c.coordinator).await.1["items"]
        .as_array()
        .unwrap()
        .len();
    for (objects, says) in [
        (
            report(1, "green", Some("Aokirime Cyberworks")),
            "claims to be a member of this council",
        ),
        (
            report(2, "green", Some("Oceania Partner CERT")),
            "claims to be another partner",
        ),
        (report(3, "red", None), "TLP:RED"),
    ] {
        let (s, v) = submit_as(isac.clone(), objects).await;
        assert_eq!(s, 422, "{v}");
        let description = v["description"].as_str().unwrap();
        assert!(description.contains(says), "{description}");
        assert!(description.contains("nothing was stored"), "{description}");
        assert!(
            !description.contains(&vendor_id),
            "no local id is named: {description}"
        );
    }
    let items_after = app.get("/api/v1/items?limit=200", &c.coordinator).await.1["items"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(items_before, items_after, "nothing stored");
    // Within the agreement, as itself: the partner's own item, in the agreement's
    // classes, with the ISAC named as its source.
    let (s, v) = submit_as(isac.clone(), report(4, "green", Some("Denryoku ISAC"))).await;
    assert_eq!(s, 202, "{v}");
    assert_eq!(v["status"], "complete");
    let (_, inbound) = app.get("/api/v1/items?limit=200", &operator).await;
    let got = inbound["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["title"] == "Inbound report 4")
        .cloned()
        .expect("the class-2 operator sees the partner's item");
    assert_eq!(got["source"], "Denryoku ISAC", "{got}");
    assert_eq!(got["tlp"], "green");
    let (_, full) = app
        .get(
            &format!("/api/v1/items/{}", got["id"].as_str().unwrap()),
            &c.coordinator,
        )
        .await;
    assert_eq!(full["provider"], isac_id.as_str());
    let own_inbound = got["id"].as_str().unwrap().to_owned();
    assert_eq!(
        full["scope"]["classes"],
        json!(["class2", "general"]),
        "{full}"
    );
    // The identity it created as is pinned to it: no other partner can claim it.
    let (s, v) = submit_as(
        cert.clone(),
        report(5, "green", Some("Oceania Partner CERT")),
    )
    .await;
    assert_eq!(s, 422, "{v}");
    assert!(
        v["description"]
            .as_str()
            .unwrap()
            .contains("another partner's identity"),
        "{v}"
    );
    let (_, audit) = app.get("/api/v1/audit?limit=500", &c.coordinator).await;
    let refusals = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "partner.refused")
        .count();
    assert_eq!(refusals, 3, "claims are logged: {audit}");

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
    let mut expected = set(&[0, 1, 3, 4]);
    expected.insert(own_inbound.clone());
    assert_eq!(
        listed(app, &isac).await,
        expected,
        "the ISAC's own item besides"
    );
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

/// A council's view of a partner in `GET /api/v1/partners`.
async fn partner_status(app: &TestApp, coordinator: &str, id: &str) -> Value {
    let (s, v) = app.get("/api/v1/partners", coordinator).await;
    assert_eq!(s, 200, "{v}");
    v.as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == id)
        .cloned()
        .unwrap()
}

/// The item a token sees with this title, if any.
async fn titled(app: &TestApp, token: &str, title: &str) -> Option<Value> {
    let (s, v) = app.get("/api/v1/items?limit=200", token).await;
    assert_eq!(s, 200, "{v}");
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["title"] == title)
        .cloned()
}

/// Two councils in one process: `app` (either backend) pushes to a second one on
/// SQLite. What the provider scoped to partners arrives as the partner council's item,
/// masked, with its TLP; what it did not never leaves; a narrowing hides the copy and a
/// widening brings it back; a retraction follows; an item beyond the receiver's side
/// of the agreement is refused there and counted, without holding up the rest; an
/// unreachable partner is retried with backoff.
async fn a_push_arrives_as_the_partners_item_and_changes_follow(app: &TestApp) {
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
    let other = TestApp::spawn(common::Db::Sqlite).await.unwrap();
    let oc = council(&other).await;
    let (_, reader) = admitted_in(&other, &oc, "Hoshimori Gas", "class2", "gas", false).await;

    // Credentials in each direction: each council registers the other as a partner.
    let (a_there, a_token_there) = partner(
        &other,
        &oc.coordinator,
        "Council A",
        "council-a",
        json!({"classes": ["class1", "class2"], "max_tlp": "green"}),
    )
    .await;
    let (b_here, _) = partner(
        app,
        &c.coordinator,
        "Council B",
        "council-b",
        json!({"classes": ["class1", "class2"], "max_tlp": "amber"}),
    )
    .await;
    // Bad links are refused, naming the field; nothing is stored.
    for (body, field) in [
        (json!({"url": "ftp://x.example/", "token": "t"}), "url"),
        (
            json!({"url": "https://u:p@x.example/", "token": "t"}),
            "url",
        ),
        (
            json!({"url": "https://x.example/", "token": "a b"}),
            "token",
        ),
    ] {
        let (s, v) = app
            .call(
                "PUT",
                &format!("/api/v1/partners/{b_here}/link"),
                Some(&c.coordinator),
                Some(body),
            )
            .await;
        assert_eq!(s, 422, "{v}");
        assert!(v["detail"].as_str().unwrap().starts_with(field), "{v}");
    }
    let (s, _) = app
        .call(
            "PUT",
            &format!("/api/v1/partners/{b_here}/link"),
            Some(&vendor),
            Some(json!({"url": "https://x.example/", "token": "t"})),
        )
        .await;
    assert_eq!(s, 403);
    assert!(partner_status(app, &c.coordinator, &b_here).await["sync"].is_null());

    let share = |title: &str, tlp: &str, scope: Value| {
        json!({
            "kind": "threat_information", "title": title, "confidence": "confirmed",
            "tlp": tlp, "scope": scope,
            "executive_context": "Spear-phishing against gas utilities.",
            "technical_details": "TECH-SECRET-FED",
            "victim": {"name": "VICTIM-SECRET-FED", "sector": "gas", "damaged": true, "damage_details": "DAMAGE-SECRET-FED"},
            "indicators": [{"type": "domain", "value": "fed-push.example.org"}],
        })
    };
    let post = |body: Value| {
        let (app, vendor) = (app, vendor.clone());
        async move {
            let (s, v) = app.post("/api/v1/items", Some(&vendor), body).await;
            assert_eq!(s, 201, "{v}");
            v["id"].as_str().unwrap().to_owned()
        }
    };
    let shared = post(share(
        "Pushed to partners",
        "green",
        json!({"classes": ["class2", "partner"]}),
    ))
    .await;
    let _home = post(share(
        "Stays home",
        "green",
        json!({"classes": ["class1", "class2"]}),
    ))
    .await;
    // Within A's side (AMBER) but beyond B's (GREEN): B refuses it.
    post(share(
        "Too restricted for B",
        "amber",
        json!({"classes": ["class2", "partner"]}),
    ))
    .await;

    // The link: B's submissions collection, with the token B issued to A.
    let url = format!("{}/taxii2/root/collections/submissions/", other.base);
    let (s, v) = app
        .call(
            "PUT",
            &format!("/api/v1/partners/{b_here}/link"),
            Some(&c.coordinator),
            Some(json!({"url": url, "token": a_token_there})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["sync"]["url"], url.as_str());
    assert!(
        !v.to_string().contains(&a_token_there),
        "the token is never shown"
    );

    common::until("the push", || async {
        titled(&other, &reader, "Pushed to partners")
            .await
            .is_some()
    })
    .await;
    let copy = titled(&other, &reader, "Pushed to partners").await.unwrap();
    assert_eq!(copy["source"], "Council A", "{copy}");
    assert_eq!(copy["via"], "partner");
    assert_eq!(copy["tlp"], "green");
    assert_eq!(
        copy["indicators"][0]["value"], "fed-push.example.org",
        "{copy}"
    );
    let text = copy.to_string();
    for secret in [
        "TECH-SECRET-FED",
        "VICTIM-SECRET-FED",
        "DAMAGE-SECRET-FED",
        "Aokirime",
    ] {
        assert!(!text.contains(secret), "{secret} left the council: {text}");
    }
    let copy_id = copy["id"].as_str().unwrap().to_owned();
    // B's coordinator sees the partner as the provider and the agreement's scope.
    let (s, full) = other
        .get(&format!("/api/v1/items/{copy_id}"), &oc.coordinator)
        .await;
    assert_eq!(s, 200);
    assert_eq!(full["provider"], a_there.as_str(), "{full}");
    assert_eq!(
        full["scope"]["classes"],
        json!(["class1", "class2"]),
        "{full}"
    );
    // Nothing else arrived: the item for home, and the one B refused.
    common::until("the refusal counted", || async {
        partner_status(app, &c.coordinator, &b_here).await["sync"]["refused"] == 1
    })
    .await;
    let (_, all) = other.get("/api/v1/items?limit=200", &oc.coordinator).await;
    let titles: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["title"].as_str())
        .collect();
    assert_eq!(titles, ["Pushed to partners"], "{all}");
    let status = partner_status(app, &c.coordinator, &b_here).await["sync"].clone();
    assert_eq!(status["pushed"], 1, "{status}");
    assert_eq!(status["failures"], 0, "{status}");
    assert!(status["last_success"].is_string(), "{status}");

    // The provider tightens another item's TLP beyond B's side of the agreement: B
    // refuses the new version and is told to hide the one it has.
    let tightened = post(share(
        "Tightened later",
        "green",
        json!({"classes": ["class2", "partner"]}),
    ))
    .await;
    common::until("the item to tighten at B", || async {
        titled(&other, &reader, "Tightened later").await.is_some()
    })
    .await;
    let tight_copy = titled(&other, &reader, "Tightened later").await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, v) = app
        .call(
            "PUT",
            &format!("/api/v1/items/{tightened}"),
            Some(&vendor),
            Some(share(
                "Tightened later",
                "amber",
                json!({"classes": ["class2", "partner"]}),
            )),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    common::until("the looser version hidden at B", || async {
        other
            .get(&format!("/api/v1/items/{tight_copy}"), &reader)
            .await
            .0
            == 404
    })
    .await;
    assert_eq!(
        partner_status(app, &c.coordinator, &b_here).await["sync"]["refused"],
        2
    );

    // The provider narrows the item away from partners: B hides its copy.
    let narrow = |classes: Value| {
        let (app, vendor, shared) = (app, vendor.clone(), shared.clone());
        async move {
            let (s, v) = app
                .call(
                    "PUT",
                    &format!("/api/v1/items/{shared}/scope"),
                    Some(&vendor),
                    Some(json!({"scope": {"classes": classes}})),
                )
                .await;
            assert_eq!(s, 200, "{v}");
        }
    };
    narrow(json!(["class2"])).await;
    common::until("the copy hidden", || async {
        other
            .get(&format!("/api/v1/items/{copy_id}"), &reader)
            .await
            .0
            == 404
    })
    .await;
    // Widened again: the same copy comes back.
    narrow(json!(["class2", "partner"])).await;
    common::until("the copy back", || async {
        other
            .get(&format!("/api/v1/items/{copy_id}"), &reader)
            .await
            .0
            == 200
    })
    .await;
    // Retracted: hidden again.
    let (s, _) = app
        .post(
            &format!("/api/v1/items/{shared}/retract"),
            Some(&vendor),
            json!({}),
        )
        .await;
    assert_eq!(s, 200);
    common::until("the retraction", || async {
        other
            .get(&format!("/api/v1/items/{copy_id}"), &reader)
            .await
            .0
            == 404
    })
    .await;
    let (_, revisions) = other
        .get(
            &format!("/api/v1/items/{copy_id}/revisions"),
            &oc.coordinator,
        )
        .await;
    let statuses: Vec<&str> = revisions
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["status"].as_str())
        .collect();
    assert_eq!(
        statuses,
        ["shared", "retracted", "shared", "retracted"],
        "{revisions}"
    );

    // B moves to a new address, where it takes AMBER: everything due goes again, the
    // item the old address refused included (the retracted one stays home).
    let moved = TestApp::spawn(common::Db::Sqlite).await.unwrap();
    let mc = council(&moved).await;
    let (_, token_at_moved) = partner(
        &moved,
        &mc.coordinator,
        "Council A",
        "council-a",
        json!({"classes": ["class1", "class2"], "max_tlp": "amber"}),
    )
    .await;
    let (s, v) = app
        .call(
            "PUT",
            &format!("/api/v1/partners/{b_here}/link"),
            Some(&c.coordinator),
            Some(json!({"url": format!("{}/taxii2/root/collections/submissions/", moved.base), "token": token_at_moved})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    common::until("the refused item at the new address", || async {
        titled(&moved, &mc.coordinator, "Too restricted for B")
            .await
            .is_some()
    })
    .await;
    assert!(
        titled(&moved, &mc.coordinator, "Pushed to partners")
            .await
            .is_none()
    );
    moved.finish().await;

    // An unreachable partner: retried with backoff, and local sharing goes on.
    other.finish().await;
    let late = post(share(
        "After B went away",
        "green",
        json!({"classes": ["class2", "partner"]}),
    ))
    .await;
    common::until("a failure recorded", || async {
        let s = partner_status(app, &c.coordinator, &b_here).await["sync"].clone();
        s["failures"].as_i64().unwrap_or(0) >= 1 && s["backlog"] == 1
    })
    .await;
    let status = partner_status(app, &c.coordinator, &b_here).await["sync"].clone();
    assert!(
        status["last_error"].as_str().unwrap().contains("taxii2"),
        "{status}"
    );
    assert!(status["next_attempt"].is_string(), "{status}");
    let (s, _) = app.get(&format!("/api/v1/items/{late}"), &vendor).await;
    assert_eq!(s, 200);
}
