//! Unified incident reporting over HTTP on both backends (MISSION.md M5.1–M5.4):
//! routing to the secretariat and the sector's regulators only, deadline clocks per
//! regime, every version kept, missing fields named, audited reads, anonymised sharing
//! and no export of reports.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Council, TestApp, admitted_in, council};
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

on_both_backends!(
    reports_reach_the_secretariat_and_the_sectors_regulators_only,
    deadlines_run_from_awareness_per_regime,
    every_version_is_kept,
    a_missing_field_is_named_and_nothing_is_stored,
    reads_by_recipients_are_audited,
    a_shared_report_is_anonymised,
    reports_never_reach_an_export,
    the_demo_reports_every_stage,
);

/// A council with a reporting operator, its sector's regulator, another sector's
/// regulator, a member of another sector and a class-1 vendor.
struct Fixture {
    c: Council,
    reporter: (String, String),
    regulator: (String, String),
    other_regulator: (String, String),
    peer: (String, String),
    vendor: (String, String),
}

async fn regulator_of(app: &TestApp, c: &Council, name: &str, sector: &str) -> (String, String) {
    let r = admitted_in(app, c, name, "general", "national_government", false).await;
    let (s, v) = app
        .call(
            "PUT",
            &format!("/api/v1/members/{}/roles", r.0),
            Some(&c.admin),
            Some(json!({"roles": ["regulator"], "regulator_of": [sector]})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    r
}

async fn fixture(app: &TestApp) -> Fixture {
    let c = council(app).await;
    let reporter = admitted_in(app, &c, "Kuronagi Denryoku", "class2", "electricity", false).await;
    let regulator = regulator_of(app, &c, "Okuzane Energy Agency", "electricity").await;
    let other_regulator = regulator_of(app, &c, "Hamuteru Financial Agency", "finance").await;
    let peer = admitted_in(app, &c, "Sorahashi Bank", "class2", "finance", false).await;
    let vendor = admitted_in(
        app,
        &c,
        "Aokirime Cyberworks",
        "class1",
        "security_vendor",
        false,
    )
    .await;
    Fixture {
        c,
        reporter,
        regulator,
        other_regulator,
        peer,
        vendor,
    }
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap()
}

fn time_of(v: &Value) -> OffsetDateTime {
    OffsetDateTime::parse(v.as_str().unwrap(), &Rfc3339).unwrap()
}

fn initial(aware_at: OffsetDateTime) -> Value {
    json!({
        "stage": "initial", "purpose": "incident_response",
        "purpose_text": "for the response and the regulator's report",
        "aware_at": rfc3339(aware_at),
        "affected": "AFFECTED-SECRET billing servers at the head office",
        "suspected_malicious": "yes", "service_impact": true
    })
}

fn ransomware_final() -> Value {
    json!({
        "stage": "final", "purpose": "regulatory",
        "cause": "An unpatched VPN appliance at Kuronagi Denryoku's head office",
        "intrusion_method": "Authentication bypass on the VPN appliance, then PsExec",
        "techniques": ["T1190", "t1486"],
        "indicators": [
            {"type": "ipv4", "value": "203.0.113.77"},
            {"type": "domain", "value": "update-cdn-check.example.net"}
        ],
        "damage": "DAMAGE-SECRET: 41 servers encrypted",
        "measures": "Appliance rebuilt; credentials reset",
        "service_level_deviation": false,
        "ransomware": {"ransom_note": "NOTE-SECRET: your files are encrypted", "encrypted_extension": ".lockbit",
                       "family": "LockBit 3.0", "intrusion_route": "VPN appliance"}
    })
}

/// Opens a ransomware incident as the reporter; returns its id.
async fn open(app: &TestApp, token: &str, aware_at: OffsetDateTime, regime: &str) -> String {
    let (s, v) = app
        .post(
            "/api/v1/incidents",
            Some(token),
            json!({
                "title": "Ransomware at Kuronagi Denryoku", "kind": "ransomware",
                "regime": regime, "report": initial(aware_at)
            }),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    v["id"].as_str().unwrap().to_owned()
}

async fn add(app: &TestApp, token: &str, id: &str, report: Value) -> Value {
    let (s, v) = app
        .post(
            &format!("/api/v1/incidents/{id}/reports"),
            Some(token),
            report,
        )
        .await;
    assert_eq!(s, 201, "{v}");
    v
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn reports_reach_the_secretariat_and_the_sectors_regulators_only(app: &TestApp) {
    let f = fixture(app).await;
    let id = open(app, &f.reporter.1, OffsetDateTime::now_utc(), "nis2").await;
    let path = format!("/api/v1/incidents/{id}");

    let (s, own) = app.get(&path, &f.reporter.1).await;
    assert_eq!(s, 200);
    let routed: Vec<(String, String)> = own["reports"][0]["routed_to"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["member"].as_str().unwrap().to_owned(),
                r["role"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(routed.len(), 2, "{routed:?}");
    assert!(routed.contains(&(f.c.admin_member.clone(), "secretariat".into())));
    assert!(routed.contains(&(f.regulator.0.clone(), "regulator".into())));

    for token in [&f.c.admin, &f.regulator.1] {
        let (s, v) = app.get(&path, token).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["reporter"], f.reporter.0.as_str());
        assert_eq!(
            v["reports"][0]["affected"],
            "AFFECTED-SECRET billing servers at the head office"
        );
        let (s, _) = app.get(&format!("{path}/reports/1"), token).await;
        assert_eq!(s, 200);
        let (_, list) = app.get("/api/v1/incidents", token).await;
        assert_eq!(ids(&list), [id.as_str()]);
    }
    // The regulator of another sector, the coordinator (not the secretariat) and
    // another member do not learn the incident exists.
    for token in [
        &f.other_regulator.1,
        &f.c.coordinator,
        &f.peer.1,
        &f.vendor.1,
    ] {
        for p in [path.clone(), format!("{path}/reports/1")] {
            let (s, _) = app.get(&p, token).await;
            assert_eq!(s, 404, "{p}");
        }
        let (s, list) = app.get("/api/v1/incidents", token).await;
        assert_eq!(s, 200);
        assert_eq!(list, json!([]));
        let (s, _) = app
            .post(
                &format!("{path}/reports"),
                Some(token),
                json!({"stage": "update", "purpose": "statistics", "summary": "x"}),
            )
            .await;
        assert_eq!(s, 404);
        let (s, _) = app
            .post(
                &format!("{path}/share"),
                Some(token),
                json!({"scope": {"classes": ["class1"]}}),
            )
            .await;
        assert_eq!(s, 404);
    }
    // A recipient reads but does not write.
    let (s, _) = app
        .post(
            &format!("{path}/reports"),
            Some(&f.regulator.1),
            json!({"stage": "update", "purpose": "statistics", "summary": "x"}),
        )
        .await;
    assert_eq!(s, 403);
    let (s, _) = app.get("/api/v1/incidents/not-an-id", &f.c.admin).await;
    assert_eq!(s, 404);
}

async fn deadlines_run_from_awareness_per_regime(app: &TestApp) {
    let f = fixture(app).await;
    let now = OffsetDateTime::now_utc();
    let aware = now - Duration::days(4);
    let late = open(app, &f.reporter.1, aware, "nis2").await;
    let (_, v) = app
        .get(&format!("/api/v1/incidents/{late}"), &f.reporter.1)
        .await;
    let d = v["deadlines"].as_array().unwrap();
    let stages: Vec<_> = d.iter().map(|d| d["stage"].as_str().unwrap()).collect();
    assert_eq!(stages, ["initial", "notification", "final"]);
    let aware = time_of(&v["aware_at"]);
    assert_eq!(time_of(&d[0]["due_at"]), aware + Duration::hours(24));
    assert_eq!(
        (d[0]["late"].clone(), d[0]["overdue"].clone()),
        (json!(true), json!(false))
    );
    assert_eq!(time_of(&d[1]["due_at"]), aware + Duration::hours(72));
    assert_eq!(d[1]["overdue"], true);
    assert!(d[1]["submitted_at"].is_null());
    assert_eq!(
        time_of(&d[2]["due_at"]),
        aware + Duration::hours(72) + Duration::days(30)
    );
    assert_eq!(d[2]["overdue"], false);
    assert_eq!(v["overdue"], true);

    let fresh = open(app, &f.reporter.1, now - Duration::hours(1), "appi").await;
    let (_, v) = app
        .get(&format!("/api/v1/incidents/{fresh}"), &f.reporter.1)
        .await;
    let d = v["deadlines"].as_array().unwrap();
    let aware = time_of(&v["aware_at"]);
    assert_eq!(v["regime"], "appi");
    assert_eq!(d.len(), 2);
    assert_eq!(
        (d[0]["stage"].as_str(), time_of(&d[0]["due_at"])),
        (Some("initial"), aware + Duration::days(5))
    );
    assert_eq!(
        (d[1]["stage"].as_str(), time_of(&d[1]["due_at"])),
        (Some("final"), aware + Duration::days(30))
    );
    assert_eq!(v["overdue"], false);

    // The secretariat sees the overdue incident, and only it.
    let (s, overdue) = app.get("/api/v1/incidents/overdue", &f.c.admin).await;
    assert_eq!(s, 200);
    assert_eq!(ids(&overdue), [late.as_str()]);
    let (_, all) = app.get("/api/v1/incidents", &f.c.admin).await;
    assert_eq!(ids(&all).len(), 2);
    let (_, none) = app.get("/api/v1/incidents/overdue", &f.peer.1).await;
    assert_eq!(none, json!([]));

    // The notification arrives: nothing is overdue, and the final report is due a
    // month after it.
    let v = add(
        app,
        &f.reporter.1,
        &late,
        json!({"stage": "notification", "purpose": "regulatory", "summary": "40 servers encrypted"}),
    )
    .await;
    let d = v["deadlines"].as_array().unwrap();
    let submitted = time_of(&d[1]["submitted_at"]);
    assert_eq!(d[1]["late"], true);
    assert_eq!(time_of(&d[2]["due_at"]), submitted + Duration::days(30));
    let (_, overdue) = app.get("/api/v1/incidents/overdue", &f.c.admin).await;
    assert_eq!(overdue, json!([]));
}

async fn every_version_is_kept(app: &TestApp) {
    let f = fixture(app).await;
    let id = open(app, &f.reporter.1, OffsetDateTime::now_utc(), "nis2").await;
    add(
        app,
        &f.reporter.1,
        &id,
        json!({"stage": "notification", "purpose": "regulatory", "summary": "first assessment",
               "ransomware": {"family": "LockBit 3.0"}}),
    )
    .await;
    add(
        app,
        &f.reporter.1,
        &id,
        json!({"stage": "update", "purpose": "regulatory", "summary": "restored from backups"}),
    )
    .await;
    let v = add(app, &f.reporter.1, &id, ransomware_final()).await;
    assert_eq!(v["versions"], 4);
    assert_eq!(v["latest_stage"], "final");
    let stages: Vec<_> = v["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["version"].as_i64().unwrap(),
                r["stage"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        stages,
        [
            (1, "initial".to_owned()),
            (2, "notification".to_owned()),
            (3, "update".to_owned()),
            (4, "final".to_owned())
        ]
    );
    let (s, r) = app
        .get(&format!("/api/v1/incidents/{id}/reports/2"), &f.regulator.1)
        .await;
    assert_eq!(s, 200);
    assert_eq!(r["summary"], "first assessment");
    assert_eq!(r["purpose"], "regulatory");
    let (_, r) = app
        .get(&format!("/api/v1/incidents/{id}/reports/4"), &f.c.admin)
        .await;
    assert_eq!(r["techniques"], json!(["T1190", "T1486"]));
    assert_eq!(r["ransomware"]["family"], "LockBit 3.0");
    assert_eq!(r["service_level_deviation"], false);
    let (s, _) = app
        .get(&format!("/api/v1/incidents/{id}/reports/5"), &f.c.admin)
        .await;
    assert_eq!(s, 404);
    // The initial report comes once; later corrections are updates.
    let (s, p) = app
        .post(
            &format!("/api/v1/incidents/{id}/reports"),
            Some(&f.reporter.1),
            initial(OffsetDateTime::now_utc()),
        )
        .await;
    assert_eq!(s, 409, "{p}");
}

async fn a_missing_field_is_named_and_nothing_is_stored(app: &TestApp) {
    let f = fixture(app).await;
    let id = open(app, &f.reporter.1, OffsetDateTime::now_utc(), "nis2").await;
    let before = app.audit_len().await;
    let mut no_affected = initial(OffsetDateTime::now_utc());
    no_affected.as_object_mut().unwrap().remove("affected");
    let (s, p) = app
        .post(
            "/api/v1/incidents",
            Some(&f.reporter.1),
            json!({"title": "t", "kind": "other", "report": no_affected}),
        )
        .await;
    assert_eq!(s, 422);
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .starts_with("affected: is required in the initial report"),
        "{p}"
    );
    for (field, body) in [
        ("cause", {
            let mut r = ransomware_final();
            r.as_object_mut().unwrap().remove("cause");
            r
        }),
        ("service_level_deviation", {
            let mut r = ransomware_final();
            r.as_object_mut().unwrap().remove("service_level_deviation");
            r
        }),
        ("ransomware.intrusion_route", {
            let mut r = ransomware_final();
            r["ransomware"]
                .as_object_mut()
                .unwrap()
                .remove("intrusion_route");
            r
        }),
        ("purpose", json!({"stage": "update", "summary": "s"})),
        (
            "summary",
            json!({"stage": "notification", "purpose": "regulatory"}),
        ),
        ("techniques", {
            let mut r = ransomware_final();
            r["techniques"] = json!(["T1190", "1486"]);
            r
        }),
        ("ddos", {
            let mut r = ransomware_final();
            r["ddos"] = json!({"technique": "T1498"});
            r
        }),
    ] {
        let (s, p) = app
            .post(
                &format!("/api/v1/incidents/{id}/reports"),
                Some(&f.reporter.1),
                body,
            )
            .await;
        assert_eq!(s, 422, "{field}: {p}");
        assert!(
            p["detail"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{field}: ")),
            "{field}: {p}"
        );
    }
    let (s, p) = app
        .post(
            "/api/v1/incidents",
            Some(&f.reporter.1),
            json!({"title": "DDoS", "kind": "ddos", "report": initial(OffsetDateTime::now_utc()),
                   "regime": "gdpr"}),
        )
        .await;
    assert!(s == 400 || s == 422, "{p}");
    assert_eq!(app.audit_len().await, before, "nothing was written");
    let (_, v) = app
        .get(&format!("/api/v1/incidents/{id}"), &f.reporter.1)
        .await;
    assert_eq!(v["versions"], 1);
    let (_, list) = app.get("/api/v1/incidents", &f.reporter.1).await;
    assert_eq!(ids(&list), [id]);
}

async fn reads_by_recipients_are_audited(app: &TestApp) {
    let f = fixture(app).await;
    let id = open(app, &f.reporter.1, OffsetDateTime::now_utc(), "nis2").await;
    let path = format!("/api/v1/incidents/{id}");
    let n = app.audit_len().await;
    app.get(&path, &f.reporter.1).await;
    assert_eq!(
        app.audit_len().await,
        n,
        "the reporter's own reads are not recipients' reads"
    );
    let (s, _) = app.get(&path, &f.regulator.1).await;
    assert_eq!(s, 200);
    assert_eq!(app.audit_len().await, n + 1);
    app.get(&format!("{path}/reports/1"), &f.c.admin).await;
    assert_eq!(app.audit_len().await, n + 2);
    app.get("/api/v1/incidents", &f.regulator.1).await;
    assert_eq!(app.audit_len().await, n + 3);
    // Refused reads leave no trace of the incident.
    app.get(&path, &f.other_regulator.1).await;
    assert_eq!(app.audit_len().await, n + 3);

    let (s, log) = app
        .get(&format!("/api/v1/audit?target={id}"), &f.c.admin)
        .await;
    assert_eq!(s, 200);
    let entries = log["entries"].as_array().unwrap();
    let read = entries
        .iter()
        .find(|e| e["action"] == "incident.read")
        .unwrap();
    assert_eq!(read["actor_member"], f.regulator.0.as_str());
    assert!(
        read["details"]
            .as_str()
            .unwrap()
            .contains("incident_response")
    );
    assert!(
        entries.iter().any(|e| e["action"] == "incident.report.read"
            && e["actor_member"] == f.c.admin_member.as_str())
    );
    assert!(entries.iter().any(|e| e["action"] == "incident.open"));
}

/// The text of everything `token`'s member sees of item `id`.
async fn item_as_seen(app: &TestApp, token: &str, id: &str) -> (u16, Value) {
    app.get(&format!("/api/v1/items/{id}"), token).await
}

fn assert_anonymous(item: &Value, f: &Fixture) {
    let text = item.to_string();
    for secret in [
        "Kuronagi",
        "Denryoku",
        "AFFECTED-SECRET",
        "DAMAGE-SECRET",
        "NOTE-SECRET",
        f.reporter.0.as_str(),
    ] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    assert_eq!(item["victim"]["sector"], "electricity");
    assert_eq!(item["victim"]["damaged"], true);
    assert!(item["victim"].get("name").is_none());
    let values: Vec<_> = item["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["value"].as_str().unwrap())
        .collect();
    assert!(values.contains(&"203.0.113.77"), "{values:?}");
    assert!(values.contains(&"update-cdn-check.example.net"));
    assert!(
        item["techniques"]
            .as_array()
            .unwrap()
            .contains(&json!("T1486"))
    );
}

async fn a_shared_report_is_anonymised(app: &TestApp) {
    let f = fixture(app).await;
    let scope = json!({"scope": {"classes": ["class1", "class2"]}});

    // The reporter shares its own report.
    let own = open(app, &f.reporter.1, OffsetDateTime::now_utc(), "nis2").await;
    add(app, &f.reporter.1, &own, ransomware_final()).await;
    let (s, item) = app
        .post(
            &format!("/api/v1/incidents/{own}/share"),
            Some(&f.reporter.1),
            scope.clone(),
        )
        .await;
    assert_eq!(s, 201, "{item}");
    let item_id = item["id"].as_str().unwrap().to_owned();
    let (s, seen) = item_as_seen(app, &f.vendor.1, &item_id).await;
    assert_eq!(s, 200, "{seen}");
    assert_anonymous(&seen, &f);
    assert_eq!(seen["title"], "Ransomware at [victim]");
    assert_eq!(seen["confidence"], "confirmed");
    let (s, seen) = item_as_seen(app, &f.peer.1, &item_id).await;
    assert_eq!(s, 200);
    assert_anonymous(&seen, &f);
    let (_, mine) = app
        .get(&format!("/api/v1/incidents/{own}"), &f.reporter.1)
        .await;
    assert_eq!(mine["shared_item"], item_id.as_str());
    let (_, theirs) = app
        .get(&format!("/api/v1/incidents/{own}"), &f.regulator.1)
        .await;
    assert!(
        theirs.get("shared_item").is_none(),
        "only the reporter can tie the item to it"
    );
    let (s, _) = app
        .post(
            &format!("/api/v1/incidents/{own}/share"),
            Some(&f.reporter.1),
            scope.clone(),
        )
        .await;
    assert_eq!(s, 409);

    // The coordinator shares only with the reporter's consent.
    let other = open(app, &f.reporter.1, OffsetDateTime::now_utc(), "nis2").await;
    add(app, &f.reporter.1, &other, ransomware_final()).await;
    let share = format!("/api/v1/incidents/{other}/share");
    let (s, _) = app
        .post(&share, Some(&f.c.coordinator), scope.clone())
        .await;
    assert_eq!(s, 404);
    let (s, _) = app.post(&share, Some(&f.regulator.1), scope.clone()).await;
    assert_eq!(s, 403);
    let (s, _) = app
        .call(
            "PUT",
            &format!("/api/v1/incidents/{other}/consent"),
            Some(&f.regulator.1),
            Some(json!({"consent_to_share": true})),
        )
        .await;
    assert_eq!(s, 403);
    let (s, v) = app
        .call(
            "PUT",
            &format!("/api/v1/incidents/{other}/consent"),
            Some(&f.reporter.1),
            Some(json!({"consent_to_share": true})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["consent_to_share"], true);
    let (s, item) = app.post(&share, Some(&f.c.coordinator), scope).await;
    assert_eq!(s, 201, "{item}");
    let (s, seen) = item_as_seen(app, &f.vendor.1, item["id"].as_str().unwrap()).await;
    assert_eq!(s, 200);
    assert_anonymous(&seen, &f);
    // Sharing does not open the report to the coordinator.
    let (s, _) = app
        .get(&format!("/api/v1/incidents/{other}"), &f.c.coordinator)
        .await;
    assert_eq!(s, 404);
}

async fn reports_never_reach_an_export(app: &TestApp) {
    let f = fixture(app).await;
    let id = open(app, &f.reporter.1, OffsetDateTime::now_utc(), "nis2").await;
    add(app, &f.reporter.1, &id, ransomware_final()).await;
    let secrets = ["AFFECTED-SECRET", "DAMAGE-SECRET", "NOTE-SECRET"];
    let export = |token: String| async move {
        let (s, bundle) = app.get("/api/v1/export/stix", &token).await;
        assert_eq!(s, 200);
        bundle.to_string()
    };
    let everyone = [
        &f.c.admin,
        &f.c.coordinator,
        &f.regulator.1,
        &f.peer.1,
        &f.vendor.1,
    ];
    for token in everyone {
        let text = export(token.clone()).await;
        for secret in secrets {
            assert!(!text.contains(secret), "{secret} exported");
        }
    }
    // Once shared, the item is exported — anonymised, without the report's secrets.
    let (s, _) = app
        .post(
            &format!("/api/v1/incidents/{id}/share"),
            Some(&f.reporter.1),
            json!({"scope": {"classes": ["class1", "class2"]}, "tlp": "green"}),
        )
        .await;
    assert_eq!(s, 201);
    let text = export(f.vendor.1.clone()).await;
    assert!(
        text.contains("203.0.113.77"),
        "the shared indicators are exported"
    );
    for token in everyone {
        let text = export(token.clone()).await;
        for secret in secrets {
            assert!(!text.contains(secret), "{secret} exported");
        }
        if token != &f.c.coordinator {
            assert!(!text.contains("Kuronagi") && !text.contains(&f.reporter.0));
        }
    }
}

async fn the_demo_reports_every_stage(app: &TestApp) {
    let c = council(app).await;
    let regulator = regulator_of(app, &c, "Okuzane Energy Agency", "electricity").await;
    let mut admitted = Vec::new();
    for (name, sector) in [
        ("Kuronagi Denryoku", "electricity"),
        ("Sorahashi Bank", "finance"),
        ("Hotarube Medical Centre", "medical"),
        ("Mitsurabe Gas", "gas"),
        ("Tobinase Railway", "railway"),
    ] {
        admitted.push(admitted_in(app, &c, name, "class2", sector, false).await.0);
    }
    let founded = app.store.members(None).await.unwrap();
    let mut sharers = Vec::new();
    for id in &admitted {
        let login = format!("admin-{}", &id[id.len() - 8..]);
        let user = app.store.user_by_login(&login).await.unwrap().unwrap();
        sharers.push((id.parse().unwrap(), user.user.id));
    }
    tsunagu_server::demo_incidents::populate(&app.store, &founded, &sharers)
        .await
        .unwrap();

    let (_, all) = app.get("/api/v1/incidents", &c.admin).await;
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 5);
    let mut stages: Vec<_> = all
        .iter()
        .map(|i| i["latest_stage"].as_str().unwrap())
        .collect();
    stages.sort_unstable();
    assert_eq!(
        stages,
        ["final", "final", "initial", "notification", "update"]
    );
    let kinds: Vec<_> = all.iter().map(|i| i["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"ransomware") && kinds.contains(&"ddos"));
    let (_, overdue) = app.get("/api/v1/incidents/overdue", &c.admin).await;
    assert_eq!(overdue[0]["reporter_sector"], "medical");
    assert_eq!(overdue.as_array().unwrap().len(), 1);
    let (_, theirs) = app.get("/api/v1/incidents", &regulator.1).await;
    assert_eq!(theirs.as_array().unwrap().len(), 1);
    assert_eq!(theirs[0]["kind"], "ransomware");
}

/// The operator's own clocks (`tsunagu serve --nis2-clocks 1h,2h,1d`) set the deadlines.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configured_clocks_set_the_deadlines() {
    let mut clocks = tsunagu_core::incident::ClockTable::default();
    clocks
        .set(tsunagu_core::incident::Regime::Nis2, "1h,2h,1d")
        .unwrap();
    let config = tsunagu_server::Config {
        incident_clocks: clocks,
        ..common::fast()
    };
    let app = TestApp::spawn_with(common::Db::Sqlite, config)
        .await
        .unwrap();
    let f = fixture(&app).await;
    let id = open(
        &app,
        &f.reporter.1,
        OffsetDateTime::now_utc() - Duration::minutes(90),
        "nis2",
    )
    .await;
    let (_, v) = app
        .get(&format!("/api/v1/incidents/{id}"), &f.reporter.1)
        .await;
    let d = v["deadlines"].as_array().unwrap();
    let aware = time_of(&v["aware_at"]);
    assert_eq!(time_of(&d[0]["due_at"]), aware + Duration::hours(1));
    assert_eq!(time_of(&d[1]["due_at"]), aware + Duration::hours(2));
    assert_eq!(d[1]["overdue"], false);
    assert_eq!(
        time_of(&d[2]["due_at"]),
        aware + Duration::hours(2) + Duration::days(1)
    );
    app.finish().await;
}
