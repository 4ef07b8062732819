//! Shared items over HTTP on both backends (MISSION.md M2.1–M2.4, M2.7): masking per
//! audience, scopes and who may change them, confidence, opt-out, search, revisions,
//! read counts and the access audit.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Council, TestApp, admitted_in, council};
use serde_json::{Value, json};

on_both_backends!(
    each_audience_sees_what_its_class_may,
    invalid_indicators_are_named_and_change_nothing,
    only_the_provider_widens_a_scope,
    unconfirmed_and_confidential_reach_only_whom_they_may,
    search_finds_by_every_key_through_the_view,
    revisions_reads_and_retraction,
    a_deferred_indicator_index_is_written_at_commit,
);

/// A small council with one member of each kind that matters to the view.
struct Fixture {
    c: Council,
    vendor: (String, String),
    operator: (String, String),
    finance: (String, String),
    foreign: (String, String),
    general: (String, String),
    regulator: (String, String),
}

async fn fixture(app: &TestApp) -> Fixture {
    let c = council(app).await;
    let vendor = admitted_in(
        app,
        &c,
        "Aokirime Cyberworks",
        "class1",
        "security_vendor",
        false,
    )
    .await;
    let operator = admitted_in(app, &c, "Kuronagi Denryoku", "class2", "electricity", false).await;
    let finance = admitted_in(app, &c, "Sorahashi Bank", "class2", "finance", false).await;
    let foreign = admitted_in(app, &c, "Zenkiro Power", "class2", "electricity", true).await;
    let general = admitted_in(app, &c, "Mitsurabe Gas", "general", "electricity", false).await;
    let regulator = admitted_in(
        app,
        &c,
        "Okuzane Agency",
        "general",
        "national_government",
        false,
    )
    .await;
    let (s, _) = app
        .call(
            "PUT",
            &format!("/api/v1/members/{}/roles", regulator.0),
            Some(&c.admin),
            Some(json!({"roles": ["regulator"], "regulator_of": ["electricity"]})),
        )
        .await;
    assert_eq!(s, 200);
    Fixture {
        c,
        vendor,
        operator,
        finance,
        foreign,
        general,
        regulator,
    }
}

fn incident(scope: Value) -> Value {
    json!({
        "kind": "threat_information",
        "title": "Ransomware through a VPN appliance",
        "executive_context": "Extortion of a power operator",
        "technical_details": "TECH-SECRET: initial access via CVE-2023-46805, then PsExec",
        "countermeasures": "Patch the appliance; reset credentials",
        "victim": {"name": "VICTIM-SECRET Kuronagi", "sector": "electricity", "damaged": true, "damage_details": "DAMAGE-SECRET: 40 servers encrypted"},
        "indicators": [
            {"type": "ipv4", "value": "203.0.113.77"},
            {"type": "domain", "value": "Update-Kuronagi-CDN.Example.NET."},
            {"type": "sha256", "value": "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"},
            {"type": "cidr", "value": "198.51.100.0/24"}
        ],
        "techniques": ["T1190", "T1486", "T1021.002"],
        "cves": ["cve-2023-46805"],
        "products": [{"vendor": "Ivanti", "product": "Connect Secure", "version": "22.x", "cpe": "cpe:2.3:a:ivanti:connect_secure:22.1:*:*:*:*:*:*:*"}],
        "confidence": "confirmed",
        "tlp": "amber",
        "scope": scope
    })
}

async fn share(app: &TestApp, token: &str, body: Value) -> String {
    let (s, v) = app.post("/api/v1/items", Some(token), body).await;
    assert_eq!(s, 201, "{v}");
    v["id"].as_str().unwrap().to_owned()
}

async fn each_audience_sees_what_its_class_may(app: &TestApp) {
    let f = fixture(app).await;
    let id = share(
        app,
        &f.operator.1,
        incident(json!({"classes": ["class1", "class2", "general"]})),
    )
    .await;
    let path = format!("/api/v1/items/{id}");

    let (s, full) = app.get(&path, &f.operator.1).await;
    assert_eq!(s, 200);
    assert_eq!(full["audience"], "full");
    assert_eq!(full["provider"], f.operator.0.as_str());
    assert_eq!(full["victim"]["name"], "VICTIM-SECRET Kuronagi");
    // Indicators come back normalised.
    let values: Vec<&str> = full["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["value"].as_str().unwrap())
        .collect();
    assert!(values.contains(&"update-kuronagi-cdn.example.net"));
    assert!(values.contains(&"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    assert_eq!(full["cves"], json!(["CVE-2023-46805"]));

    let (_, coord) = app.get(&path, &f.c.coordinator).await;
    assert_eq!(coord["audience"], "full");
    assert_eq!(coord["victim"]["name"], "VICTIM-SECRET Kuronagi");

    let (s, c1) = app.get(&path, &f.vendor.1).await;
    assert_eq!(s, 200);
    assert_eq!(c1["audience"], "class1");
    let text = c1.to_string();
    assert!(text.contains("TECH-SECRET") && text.contains("DAMAGE-SECRET"));
    assert!(!text.contains("VICTIM-SECRET"));
    assert!(
        !text.contains(&f.operator.0),
        "the provider's id never reaches recipients"
    );
    assert_eq!(c1["via"], "coordinator");
    assert!(
        c1.get("provider").is_none()
            && c1.get("scope").is_none()
            && c1.get("provider_sector").is_none()
    );

    let (_, c2) = app.get(&path, &f.finance.1).await;
    assert_eq!(c2["audience"], "class2");
    let text = c2.to_string();
    assert!(
        !text.contains("TECH-SECRET")
            && !text.contains("DAMAGE-SECRET")
            && !text.contains("VICTIM-SECRET")
    );
    assert_eq!(c2["victim"]["damaged"], true);
    assert_eq!(
        c2["indicators"].as_array().unwrap().len(),
        4,
        "class 2 keeps what countermeasures need"
    );
    assert_eq!(
        c2["countermeasures"],
        "Patch the appliance; reset credentials"
    );

    // General members see confirmed countermeasures and best practices only.
    let (s, _) = app.get(&path, &f.general.1).await;
    assert_eq!(s, 404);
    let cm = share(
        app,
        &f.operator.1,
        json!({"kind": "countermeasure", "title": "Block the C2 domain", "countermeasures": "Sinkhole it",
               "confidence": "confirmed", "tlp": "green", "scope": {"classes": ["class1", "class2", "general"]},
               "show_provider_sector": true,
               "technical_details": "TECH-SECRET-2"}),
    )
    .await;
    let (s, g) = app.get(&format!("/api/v1/items/{cm}"), &f.general.1).await;
    assert_eq!(s, 200);
    assert_eq!(g["audience"], "general");
    assert_eq!(
        g["provider_sector"], "electricity",
        "shown because the provider allowed it"
    );
    assert!(!g.to_string().contains("TECH-SECRET-2"));

    // Out of scope is exactly "not found", like a made-up id.
    let narrow = share(app, &f.operator.1, incident(json!({"classes": ["class1"]}))).await;
    let (s1, nf1) = app
        .get(&format!("/api/v1/items/{narrow}"), &f.finance.1)
        .await;
    let (s2, nf2) = app
        .get(
            "/api/v1/items/01a20901-0000-7000-8000-000000000000",
            &f.finance.1,
        )
        .await;
    assert_eq!((s1, s2), (404, 404));
    assert_eq!(nf1, nf2);
}

async fn invalid_indicators_are_named_and_change_nothing(app: &TestApp) {
    let f = fixture(app).await;
    let before = app.audit_len().await;
    let mut body = incident(json!({"classes": ["class1"]}));
    body["indicators"] = json!([
        {"type": "ipv4", "value": "203.0.113.5"},
        {"type": "sha256", "value": "abc123"}
    ]);
    let (s, v) = app.post("/api/v1/items", Some(&f.operator.1), body).await;
    assert_eq!(s, 422);
    let d = v["detail"].as_str().unwrap();
    assert!(
        d.contains("indicators") && d.contains("[1]") && d.contains("abc123") && d.contains("64"),
        "{d}"
    );
    for (kind, value) in [
        ("ipv4", "999.1.1.1"),
        ("domain", "exa mple.com"),
        ("url", "hxxp://bad[.]example.com"),
        ("email", "nobody"),
    ] {
        let mut body = incident(json!({"classes": ["class1"]}));
        body["indicators"] = json!([{"type": kind, "value": value}]);
        let (s, v) = app.post("/api/v1/items", Some(&f.operator.1), body).await;
        assert_eq!(s, 422, "{kind} {value}: {v}");
        assert!(v["detail"].as_str().unwrap().contains(value), "{v}");
    }
    let mut body = incident(json!({"classes": ["class1"]}));
    body["cves"] = json!(["CVE-17-1"]);
    assert_eq!(
        app.post("/api/v1/items", Some(&f.operator.1), body).await.0,
        422
    );
    let mut body = incident(json!({"classes": ["class1"]}));
    body["tlp"] = json!("purple");
    assert_eq!(
        app.post("/api/v1/items", Some(&f.operator.1), body).await.0,
        422
    );
    let mut body = incident(json!({}));
    body["title"] = json!("no audience");
    let (s, v) = app.post("/api/v1/items", Some(&f.operator.1), body).await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(app.audit_len().await, before);
    assert_eq!(app.store.item_count().await.unwrap(), 0);
}

async fn only_the_provider_widens_a_scope(app: &TestApp) {
    let f = fixture(app).await;
    let id = share(
        app,
        &f.operator.1,
        incident(json!({"classes": ["class1", "class2"]})),
    )
    .await;
    let scope_path = format!("/api/v1/items/{id}/scope");
    let put = |token: &str, scope: Value| {
        let token = token.to_owned();
        let path = scope_path.clone();
        async move {
            app.call("PUT", &path, Some(&token), Some(json!({"scope": scope})))
                .await
        }
    };
    // The coordinator narrows to class 1; finance (class 2) loses it.
    let (s, v) = put(&f.c.coordinator, json!({"classes": ["class1"]})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        app.get(&format!("/api/v1/items/{id}"), &f.finance.1)
            .await
            .0,
        404
    );
    // The coordinator cannot widen it back.
    let (s, v) = put(&f.c.coordinator, json!({"classes": ["class1", "class2"]})).await;
    assert_eq!(s, 403);
    assert!(v["detail"].as_str().unwrap().contains("widen"));
    // A recipient cannot touch it.
    assert_eq!(
        put(&f.vendor.1, json!({"classes": ["class1"]})).await.0,
        403
    );
    // The provider can widen, exclude regulators of its sector, name members.
    let (s, _) = put(&f.operator.1, json!({"classes": ["class1", "class2", "general"], "exclude_regulators_of_my_sector": true})).await;
    assert_eq!(s, 200);
    assert_eq!(
        app.get(&format!("/api/v1/items/{id}"), &f.finance.1)
            .await
            .0,
        200
    );
    let cm = share(
        app,
        &f.operator.1,
        json!({"kind": "best_practice", "title": "Segment OT networks", "confidence": "confirmed", "tlp": "clear",
               "scope": {"classes": ["general"], "exclude_regulators_of_my_sector": true}}),
    )
    .await;
    assert_eq!(
        app.get(&format!("/api/v1/items/{cm}"), &f.general.1)
            .await
            .0,
        200
    );
    assert_eq!(
        app.get(&format!("/api/v1/items/{cm}"), &f.regulator.1)
            .await
            .0,
        404,
        "the regulator of electricity is excluded"
    );
    let (s, _) = app
        .call(
            "PUT",
            &format!("/api/v1/items/{cm}/scope"),
            Some(&f.operator.1),
            Some(json!({"scope": {"classes": ["general"], "exclude_all_regulators": false}})),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        app.get(&format!("/api/v1/items/{cm}"), &f.regulator.1)
            .await
            .0,
        200
    );
    // Named members and exclusions.
    let red = share(
        app,
        &f.operator.1,
        json!({"kind": "analysis", "title": "Pre-release analysis", "confidence": "probable", "tlp": "red",
               "scope": {"members": [f.vendor.0, f.finance.0]}}),
    )
    .await;
    assert_eq!(
        app.get(&format!("/api/v1/items/{red}"), &f.vendor.1)
            .await
            .0,
        200
    );
    assert_eq!(
        app.get(&format!("/api/v1/items/{red}"), &f.finance.1)
            .await
            .0,
        200
    );
    assert_eq!(
        app.get(&format!("/api/v1/items/{red}"), &f.foreign.1)
            .await
            .0,
        404
    );
    let excl = share(
        app,
        &f.operator.1,
        incident(json!({"classes": ["class1", "class2"], "excluded": [f.finance.0]})),
    )
    .await;
    assert_eq!(
        app.get(&format!("/api/v1/items/{excl}"), &f.finance.1)
            .await
            .0,
        404
    );
    // Every scope change is in the audit log with before and after.
    let (_, page) = app
        .get(&format!("/api/v1/audit?target={id}"), &f.c.admin)
        .await;
    let scope_changes: Vec<&Value> = page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "item.scope")
        .collect();
    assert_eq!(scope_changes.len(), 2);
    let details: Value =
        serde_json::from_str(scope_changes[1]["details"].as_str().unwrap()).unwrap();
    assert_eq!(details["after"]["classes"], json!(["class1"]));
}

async fn unconfirmed_and_confidential_reach_only_whom_they_may(app: &TestApp) {
    let f = fixture(app).await;
    let mut analysis = incident(json!({"classes": ["class1", "class2", "general"]}));
    analysis["kind"] = json!("analysis");
    analysis["confidence"] = json!("unconfirmed");
    analysis["tlp"] = json!("green");
    let id = share(app, &f.vendor.1, analysis).await;
    let path = format!("/api/v1/items/{id}");
    assert_eq!(app.get(&path, &f.operator.1).await.0, 200, "task force");
    assert_eq!(
        app.get(&path, &f.foreign.1).await.0,
        404,
        "foreign-affiliated without special approval is outside the TF"
    );
    assert_eq!(
        app.get(&path, &f.general.1).await.0,
        404,
        "general members never see unconfirmed analyses"
    );
    let (s, _) = app
        .post(
            &format!("/api/v1/members/{}/task-force-approval", f.foreign.0),
            Some(&f.c.admin),
            json!({"approved": true}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        app.get(&path, &f.foreign.1).await.0,
        200,
        "special approval lets it in"
    );

    // A member that opted out of confidential information sees no AMBER/RED and no unconfirmed item.
    let amber = share(
        app,
        &f.vendor.1,
        incident(json!({"classes": ["class1", "class2"]})),
    )
    .await;
    assert_eq!(
        app.get(&format!("/api/v1/items/{amber}"), &f.finance.1)
            .await
            .0,
        200
    );
    let (s, _) = app
        .call(
            "PUT",
            &format!("/api/v1/members/{}/settings", f.finance.0),
            Some(&f.finance.1),
            Some(json!({"confidential_opt_out": true})),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        app.get(&format!("/api/v1/items/{amber}"), &f.finance.1)
            .await
            .0,
        404
    );
    assert_eq!(app.get(&path, &f.finance.1).await.0, 404);
    let (_, page) = app.get("/api/v1/items?limit=200", &f.finance.1).await;
    assert!(
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["tlp"] != "amber" && i["confidence"] != "unconfirmed")
    );
}

async fn search_finds_by_every_key_through_the_view(app: &TestApp) {
    let f = fixture(app).await;
    let a = share(
        app,
        &f.operator.1,
        incident(json!({"classes": ["class1", "class2"]})),
    )
    .await;
    let mut other = incident(json!({"classes": ["class1"]}));
    other["indicators"] = json!([{"type": "cidr", "value": "203.0.113.0/25"}, {"type": "ipv6", "value": "2001:DB8::1"}]);
    other["techniques"] = json!(["T1566.001"]);
    other["cves"] = json!(["CVE-2021-44228"]);
    other["victim"]["sector"] = json!("finance");
    let b = share(app, &f.operator.1, other).await;
    let q = |token: String, query: &'static str| async move {
        let (s, v) = app.get(&format!("/api/v1/items?{query}"), &token).await;
        assert_eq!(s, 200, "{query}: {v}");
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let vendor = f.vendor.1.clone();
    assert_eq!(
        q(vendor.clone(), "indicator=update-kuronagi-cdn.example.net").await,
        vec![a.clone()]
    );
    assert_eq!(
        q(vendor.clone(), "indicator=UPDATE-KURONAGI-CDN.EXAMPLE.NET.").await,
        vec![a.clone()],
        "queries are normalised too"
    );
    // IP-in-CIDR both ways: an address finds the ranges containing it and itself ...
    assert_eq!(
        q(vendor.clone(), "indicator=203.0.113.77").await,
        vec![b.clone(), a.clone()]
    );
    assert_eq!(
        q(vendor.clone(), "indicator=198.51.100.200").await,
        vec![a.clone()]
    );
    // ... and a range finds the addresses and ranges inside it.
    assert_eq!(
        q(vendor.clone(), "indicator=203.0.113.0/24").await,
        vec![b.clone(), a.clone()]
    );
    assert_eq!(
        q(vendor.clone(), "indicator=203.0.113.64/26").await,
        vec![b.clone(), a.clone()],
        "inside and around"
    );
    assert!(
        q(vendor.clone(), "indicator=203.0.113.128/25")
            .await
            .is_empty()
    );
    assert_eq!(
        q(vendor.clone(), "indicator=2001:db8::/32").await,
        vec![b.clone()]
    );
    assert!(q(vendor.clone(), "indicator=192.0.2.1").await.is_empty());
    assert_eq!(
        q(vendor.clone(), "cve=CVE-2021-44228").await,
        vec![b.clone()]
    );
    assert_eq!(
        q(vendor.clone(), "technique=T1566").await,
        vec![b.clone()],
        "a technique finds its sub-techniques"
    );
    assert_eq!(q(vendor.clone(), "technique=T1486").await, vec![a.clone()]);
    assert_eq!(q(vendor.clone(), "sector=finance").await, vec![b.clone()]);
    assert_eq!(
        q(
            vendor.clone(),
            "kind=threat_information&confidence=confirmed"
        )
        .await
        .len(),
        2
    );
    assert!(q(vendor.clone(), "kind=best_practice").await.is_empty());
    assert!(
        q(vendor.clone(), "since=2999-01-01T00:00:00Z")
            .await
            .is_empty()
    );
    assert_eq!(
        q(vendor.clone(), "until=2999-01-01T00:00:00Z").await.len(),
        2
    );
    // Class 2 sees only what is in its scope.
    assert_eq!(
        q(f.finance.1.clone(), "indicator=203.0.113.77").await,
        vec![a.clone()]
    );
    assert!(
        q(f.general.1.clone(), "indicator=203.0.113.77")
            .await
            .is_empty()
    );
    assert_eq!(q(f.operator.1.clone(), "mine=true").await.len(), 2);
    assert!(q(vendor.clone(), "mine=true").await.is_empty());

    // Keyset pages: limit 1 walks both items without repeats.
    let (_, p1) = app.get("/api/v1/items?limit=1", &vendor).await;
    let cursor = p1["next_cursor"].as_str().unwrap().to_owned();
    let (_, p2) = app
        .get(&format!("/api/v1/items?limit=1&cursor={cursor}"), &vendor)
        .await;
    assert_ne!(p1["items"][0]["id"], p2["items"][0]["id"]);
    let last = p2["next_cursor"].as_str().map(str::to_owned);
    if let Some(c) = last {
        let (_, p3) = app
            .get(&format!("/api/v1/items?limit=1&cursor={c}"), &vendor)
            .await;
        assert!(p3["items"].as_array().unwrap().is_empty());
    }
    // Bad queries are named.
    for (query, field) in [
        ("indicator=%%%%", "indicator"),
        ("cve=nope", "cve"),
        ("sector=moon", "sector"),
        ("limit=0", "limit"),
        ("since=yesterday", "since"),
        ("cursor=abc", "cursor"),
        ("colour=red", "colour"),
    ] {
        let (s, v) = app.get(&format!("/api/v1/items?{query}"), &vendor).await;
        assert_eq!(s, 400, "{query}: {v}");
        assert!(
            v["detail"].as_str().unwrap().contains(field),
            "{query}: {v}"
        );
    }
}

async fn revisions_reads_and_retraction(app: &TestApp) {
    let f = fixture(app).await;
    let id = share(
        app,
        &f.operator.1,
        incident(json!({"classes": ["class1", "class2"]})),
    )
    .await;
    let path = format!("/api/v1/items/{id}");
    let mut revised = incident(json!({"classes": ["class1", "class2"]}));
    revised["title"] = json!("Ransomware through a VPN appliance (updated)");
    let (s, _) = app
        .call("PUT", &path, Some(&f.vendor.1), Some(revised.clone()))
        .await;
    assert_eq!(s, 403, "only the provider edits");
    let (s, v) = app
        .call("PUT", &path, Some(&f.operator.1), Some(revised))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["revision"], 2);
    let (s, revs) = app.get(&format!("{path}/revisions"), &f.operator.1).await;
    assert_eq!(s, 200);
    let titles: Vec<&str> = revs
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "Ransomware through a VPN appliance",
            "Ransomware through a VPN appliance (updated)"
        ]
    );
    assert_eq!(
        app.get(&format!("{path}/revisions"), &f.vendor.1).await.0,
        404
    );

    // Reads: counted per class, never who; confidential reads audited.
    let before = app.audit_len().await;
    app.get(&path, &f.vendor.1).await;
    app.get(&path, &f.vendor.1).await;
    app.get(&path, &f.finance.1).await;
    app.get("/api/v1/items", &f.foreign.1).await;
    let (s, reads) = app.get(&format!("{path}/reads"), &f.operator.1).await;
    assert_eq!(s, 200);
    assert_eq!(
        reads,
        json!({"class1": 1, "class2": 2, "general": 0, "partners": 0})
    );
    assert!(!reads.to_string().contains(&f.vendor.0));
    assert_eq!(app.get(&format!("{path}/reads"), &f.vendor.1).await.0, 403);
    assert_eq!(
        app.audit_len().await,
        before + 4,
        "each read of an AMBER item is audited"
    );
    let (_, page) = app
        .get(&format!("/api/v1/audit?target={id}"), &f.c.admin)
        .await;
    let readers: Vec<&str> = page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "item.read")
        .map(|e| e["actor_member"].as_str().unwrap())
        .collect();
    assert!(readers.contains(&f.vendor.0.as_str()) && readers.contains(&f.finance.0.as_str()));
    // The provider's own reads are not counted.
    app.get(&path, &f.operator.1).await;
    assert_eq!(
        app.get(&format!("{path}/reads"), &f.operator.1).await.1["class2"],
        2
    );

    // Retraction: recipients see it marked; only provider or coordinator may.
    assert_eq!(
        app.post(&format!("{path}/retract"), Some(&f.vendor.1), json!({}))
            .await
            .0,
        403
    );
    let (s, v) = app
        .post(
            &format!("{path}/retract"),
            Some(&f.c.coordinator),
            json!({}),
        )
        .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("retracted")));
    assert_eq!(
        app.post(&format!("{path}/retract"), Some(&f.operator.1), json!({}))
            .await
            .0,
        409
    );
    assert_eq!(app.get(&path, &f.vendor.1).await.1["status"], "retracted");
}

/// A large import's deferred indicator index (`Tx::defer_indicator_index`): the rows
/// handed over are written at commit, whatever the order, and found by value and by
/// address; an item whose indicators were never handed over fails the commit, and
/// nothing of that transaction is stored.
async fn a_deferred_indicator_index_is_written_at_commit(app: &TestApp) {
    use tsunagu_core::item::{Item, ItemDraft, ItemStatus};

    let c = council(app).await;
    let admin = app
        .store
        .user_by_login("admin")
        .await
        .unwrap()
        .unwrap()
        .user;
    let member = app.store.member(admin.member_id).await.unwrap().unwrap();
    let item = |title: &str, indicators: Value| {
        let draft: ItemDraft = serde_json::from_value(json!({
            "kind": "threat_information", "title": title, "confidence": "confirmed",
            "tlp": "green", "scope": {"classes": ["class1", "class2", "general"]},
            "executive_context": "bulk", "indicators": indicators,
        }))
        .unwrap();
        let now = time::OffsetDateTime::now_utc();
        Item {
            id: tsunagu_core::ids::ItemId::new(),
            provider: member.id,
            provider_sector: member.sector,
            content: draft.parse().unwrap(),
            status: ItemStatus::Shared,
            revision: 1,
            created_at: now,
            updated_at: now,
        }
    };
    let first = item(
        "Deferred one",
        json!([{"type": "domain", "value": "zz-deferred.example"}, {"type": "ipv4", "value": "198.51.100.77"}]),
    );
    let second = item(
        "Deferred two",
        json!([{"type": "domain", "value": "aa-deferred.example"}, {"type": "cidr", "value": "203.0.113.64/26"}]),
    );
    let mut tx = app.store.begin().await.unwrap();
    tx.defer_indicator_index();
    for it in [&first, &second] {
        tx.insert_item(it, admin.id).await.unwrap();
    }
    // Handed over in the other order than inserted.
    tx.hand_over_indicators(second.id, second.content.indicators.clone());
    tx.hand_over_indicators(first.id, first.content.indicators.clone());
    tx.commit().await.unwrap();
    for (query, id) in [
        ("indicator=zz-deferred.example", first.id),
        ("indicator=198.51.100.77", first.id),
        ("indicator=aa-deferred.example", second.id),
        ("indicator=203.0.113.70", second.id),
    ] {
        let (s, v) = app.get(&format!("/api/v1/items?{query}"), &c.admin).await;
        assert_eq!(s, 200, "{v}");
        let found: Vec<&str> = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap())
            .collect();
        assert_eq!(found, [id.to_string().as_str()], "{query}: {v}");
    }

    // Never handed over: the commit fails and neither item exists.
    let lost = item(
        "Deferred and lost",
        json!([{"type": "domain", "value": "lost-deferred.example"}]),
    );
    let kept_back = item(
        "Deferred with it",
        json!([{"type": "domain", "value": "kept-deferred.example"}]),
    );
    let mut tx = app.store.begin().await.unwrap();
    tx.defer_indicator_index();
    tx.insert_item(&kept_back, admin.id).await.unwrap();
    tx.hand_over_indicators(kept_back.id, kept_back.content.indicators.clone());
    tx.insert_item(&lost, admin.id).await.unwrap();
    let err = tx.commit().await.unwrap_err();
    assert!(err.to_string().contains("never handed over"), "{err}");
    for it in [&lost, &kept_back] {
        let (s, _) = app.get(&format!("/api/v1/items/{}", it.id), &c.admin).await;
        assert_eq!(s, 404, "{}", it.content.title);
    }
}
