//! Security clearance over HTTP on both backends (MISSION.md M2.8, issue 13): grants
//! checked field by field; an item requiring a level is invisible (404, not listed, not
//! in search, exports, feeds, alerts) to every user without it, even in the provider's
//! own member; a tearline is an ordinary item with no sign of the original; alerts about
//! a cleared item reach only cleared users' own channels and channels the coordinator
//! registered as cleared; a revocation ends access at once and an expiry by itself.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{
    Council, Db, TestApp, add_webhook, admitted_in, council, fast, grant_clearance, login,
    receiver, until,
};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

fn at(offset: time::Duration) -> String {
    (OffsetDateTime::now_utc() + offset)
        .format(&Rfc3339)
        .unwrap()
}

async fn user_id(app: &TestApp, token: &str) -> String {
    let (s, me) = app.get("/api/v1/me", token).await;
    assert_eq!(s, 200);
    me["user"]["id"].as_str().unwrap().to_owned()
}

/// Adds an analyst to a member and logs it in.
async fn analyst(app: &TestApp, admin: &str, member: &str, name: &str) -> String {
    let (s, v) = app
        .post(
            &format!("/api/v1/members/{member}/users"),
            Some(admin),
            json!({"login": name, "password": "a long analyst password", "role": "analyst"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    login(app, name, "a long analyst password").await
}

/// Clears the user of `token` at `level` for `valid_for`; returns the grant's id.
async fn grant(
    app: &TestApp,
    c: &Council,
    token: &str,
    level: &str,
    valid_for: time::Duration,
) -> String {
    let g = grant_clearance(app, &c.coordinator, token, level, valid_for).await;
    g["id"].as_str().unwrap().to_owned()
}

/// The council, a government member, a security vendor with a second user (an
/// analyst, the one to clear) and a class-2 operator.
struct Cast {
    c: Council,
    gov: String,
    gov_admin: String,
    vendor: String,
    vendor_admin: String,
    vendor_cleared: String,
    op: String,
    op_admin: String,
}

async fn cast(app: &TestApp) -> Cast {
    let c = council(app).await;
    let (gov, gov_admin) = admitted_in(
        app,
        &c,
        "Naikaku Cyber Center",
        "class1",
        "national_government",
        false,
    )
    .await;
    let (vendor, vendor_admin) =
        admitted_in(app, &c, "Kiri Security", "class1", "security_vendor", false).await;
    let (op, op_admin) =
        admitted_in(app, &c, "Kuronagi Denryoku", "class2", "electricity", false).await;
    let vendor_cleared = analyst(app, &vendor_admin, &vendor, "vendor-cleared").await;
    Cast {
        c,
        gov,
        gov_admin,
        vendor,
        vendor_admin,
        vendor_cleared,
        op,
        op_admin,
    }
}

fn item(title: &str, domain: &str, clearance: Option<&str>) -> Value {
    json!({
        "kind": "countermeasure", "title": title, "confidence": "confirmed", "tlp": "amber",
        "scope": {"classes": ["class1", "class2"]},
        "executive_context": format!("{title} context"),
        "technical_details": format!("{title} source: a liaison service"),
        "countermeasures": "block the domain",
        "indicators": [{"type": "domain", "value": domain}],
        "clearance": clearance,
    })
}

/// Everything a user receives about items: the list, an indicator search, the STIX
/// export, the TAXII collection, the MISP feed manifest and the block list.
async fn everything(app: &TestApp, token: &str, domain: &str) -> String {
    let mut all = String::new();
    for path in [
        "/api/v1/items?limit=200".to_owned(),
        format!("/api/v1/items?indicator={domain}"),
        "/api/v1/export/stix".to_owned(),
        "/misp/feed/manifest.json".to_owned(),
        "/feeds/blocklist.txt?type=domain".to_owned(),
        "/api/v1/alerts?limit=200".to_owned(),
    ] {
        let resp = app
            .client
            .get(app.url(&path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        all.push_str(&resp.text().await.unwrap());
    }
    let resp = app
        .client
        .get(app.url("/taxii2/root/collections/all/objects/?limit=1000"))
        .bearer_auth(token)
        .header("accept", "application/taxii+json;version=2.1")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    all.push_str(&resp.text().await.unwrap());
    all
}

async fn status(app: &TestApp, path: &str, token: &str) -> u16 {
    app.get(path, token).await.0
}

async fn clearance_decides_who_sees_an_item(app: &TestApp) {
    let Cast {
        c,
        gov,
        gov_admin,
        vendor,
        vendor_admin,
        vendor_cleared,
        op_admin,
        ..
    } = cast(app).await;
    let gov_analyst = analyst(app, &gov_admin, &gov, "gov-analyst").await;
    let vendor_cleared_user = user_id(app, &vendor_cleared).await;

    // Bad grants: refused, naming the field; nothing stored, nothing audited.
    let audit_before = app.audit_len().await;
    let bad = |user: &str, level: &str, expires: time::Duration, basis: &str| json!({"user": user, "level": level, "expires_at": at(expires), "basis": basis});
    let month = time::Duration::days(30);
    let (s, _) = app
        .post(
            "/api/v1/clearances",
            Some(&vendor_admin),
            bad(&vendor_cleared_user, "confidential", month, "x"),
        )
        .await;
    assert_eq!(s, 403);
    for (body, field) in [
        (
            bad(&vendor_cleared_user, "cosmic", month, "file 1"),
            "level",
        ),
        (
            bad(
                &vendor_cleared_user,
                "confidential",
                -time::Duration::days(1),
                "file 1",
            ),
            "expires_at",
        ),
        (bad(&uuid_like(), "confidential", month, "file 1"), "user"),
        (
            bad(&vendor_cleared_user, "confidential", month, " "),
            "basis",
        ),
    ] {
        let (s, v) = app
            .post("/api/v1/clearances", Some(&c.coordinator), body)
            .await;
        assert_eq!(s, 422, "{v}");
        assert!(v["detail"].as_str().unwrap().starts_with(field), "{v}");
        assert!(
            v["type"].is_string() && v["title"].is_string(),
            "problem+json: {v}"
        );
    }
    assert_eq!(app.audit_len().await, audit_before);
    assert_eq!(
        app.get("/api/v1/clearances", &c.coordinator).await.1,
        json!([])
    );

    let (_, levels) = app.get("/api/v1/clearance-levels", &op_admin).await;
    assert_eq!(levels["levels"], json!(["confidential", "top_secret"]));
    let gov_grant = grant(app, &c, &gov_admin, "top_secret", month).await;
    let vendor_grant = grant(app, &c, &vendor_cleared, "confidential", month).await;

    // Requiring a level that does not exist, or one the user does not hold: refused.
    let (s, v) = app
        .post(
            "/api/v1/items",
            Some(&gov_admin),
            item("X", "x.example.org", Some("cosmic")),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    assert!(
        v["detail"].as_str().unwrap().starts_with("clearance"),
        "{v}"
    );
    let (s, v) = app
        .post(
            "/api/v1/items",
            Some(&gov_analyst),
            item("X", "x.example.org", Some("confidential")),
        )
        .await;
    assert_eq!(s, 403, "{v}");
    assert!(
        v["detail"].as_str().unwrap().starts_with("clearance"),
        "{v}"
    );

    let (s, x) = app
        .post(
            "/api/v1/items",
            Some(&gov_admin),
            item(
                "CLEARED-TITLE-1",
                "cleared-1.example.org",
                Some("confidential"),
            ),
        )
        .await;
    assert_eq!(s, 201, "{x}");
    assert_eq!(x["clearance"], "confidential");
    let x_id = x["id"].as_str().unwrap().to_owned();
    let (s, y) = app
        .post(
            "/api/v1/items",
            Some(&gov_admin),
            item(
                "CLEARED-TITLE-2",
                "cleared-2.example.org",
                Some("top_secret"),
            ),
        )
        .await;
    assert_eq!(s, 201, "{y}");
    let y_id = y["id"].as_str().unwrap().to_owned();
    let x_path = format!("/api/v1/items/{x_id}");
    let y_path = format!("/api/v1/items/{y_id}");

    // Who sees what: the level, not the member, decides.
    assert_eq!(status(app, &x_path, &gov_admin).await, 200);
    assert_eq!(status(app, &y_path, &gov_admin).await, 200);
    assert_eq!(status(app, &x_path, &vendor_cleared).await, 200);
    assert_eq!(
        status(app, &y_path, &vendor_cleared).await,
        404,
        "confidential does not cover top secret"
    );
    for (who, token) in [
        ("the provider's uncleared analyst", &gov_analyst),
        ("an uncleared admin in scope", &vendor_admin),
        ("an uncleared class-2 member", &op_admin),
        ("the uncleared coordinator", &c.coordinator),
    ] {
        for path in [&x_path, &y_path] {
            let (s, v) = app.get(path, token).await;
            assert_eq!(s, 404, "{who}: {v}");
        }
        for sub in ["revisions", "reads", "feedback"] {
            let (s, _) = app.get(&format!("{x_path}/{sub}"), token).await;
            assert!(s == 404 || s == 403, "{who} on {sub}: {s}");
        }
        let seen = everything(app, token, "cleared-1.example.org").await;
        for secret in [
            "CLEARED-TITLE",
            "cleared-1.example.org",
            "cleared-2.example.org",
            &x_id,
            &y_id,
        ] {
            assert!(!seen.contains(secret), "{who} received {secret}");
        }
    }
    // The positive control: the cleared user gets it through every channel.
    let seen = everything(app, &vendor_cleared, "cleared-1.example.org").await;
    assert!(seen.contains("CLEARED-TITLE-1"));
    assert!(seen.matches("cleared-1.example.org").count() >= 4, "{seen}");
    assert!(!seen.contains("CLEARED-TITLE-2"));

    // The tearline: an ordinary item, with no sign of the original.
    let releasable = json!({
        "kind": "countermeasure", "title": "Block these domains", "confidence": "confirmed", "tlp": "green",
        "scope": {"classes": ["class1", "class2"]}, "countermeasures": "block the domain at the resolver",
        "indicators": [{"type": "domain", "value": "released.example.org"}],
    });
    let tearline_path = format!("{x_path}/tearline");
    let (s, _) = app
        .post(&tearline_path, Some(&gov_analyst), releasable.clone())
        .await;
    assert_eq!(s, 404, "an uncleared user cannot find the original");
    let mut cleared_tearline = releasable.clone();
    cleared_tearline["clearance"] = json!("confidential");
    let (s, v) = app
        .post(&tearline_path, Some(&gov_admin), cleared_tearline)
        .await;
    assert_eq!(s, 422, "{v}");
    assert!(v["detail"].as_str().unwrap().starts_with("clearance"));
    let (s, t) = app
        .post(&tearline_path, Some(&gov_admin), releasable.clone())
        .await;
    assert_eq!(s, 201, "{t}");
    let t_id = t["id"].as_str().unwrap().to_owned();
    let (s, _) = app
        .post(&tearline_path, Some(&gov_admin), releasable.clone())
        .await;
    assert_eq!(s, 409, "one tearline per item");
    let (s, _) = app
        .post(
            &format!("/api/v1/items/{t_id}/tearline"),
            Some(&gov_admin),
            releasable,
        )
        .await;
    assert_eq!(s, 409, "an item without clearance needs no tearline");
    for token in [&vendor_admin, &op_admin, &gov_analyst] {
        let (s, v) = app.get(&format!("/api/v1/items/{t_id}"), token).await;
        assert_eq!(s, 200, "{v}");
        let text = v.to_string();
        assert!(
            !text.contains(&x_id) && !text.contains("clearance") && !text.contains("tearline"),
            "{text}"
        );
        assert!(
            !text.contains("CLEARED-TITLE") && !text.contains("liaison"),
            "{text}"
        );
    }
    let (_, x_again) = app.get(&x_path, &vendor_cleared).await;
    assert_eq!(x_again["tearline"], t_id.as_str());

    // Revocation ends access at the next request; twice is a conflict.
    let (s, v) = app
        .post(
            &format!("/api/v1/clearances/{vendor_grant}/revoke"),
            Some(&c.coordinator),
            json!({"reason": "left the SOC"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["state"], "revoked");
    assert_eq!(status(app, &x_path, &vendor_cleared).await, 404);
    let (s, _) = app
        .post(
            &format!("/api/v1/clearances/{vendor_grant}/revoke"),
            Some(&c.coordinator),
            json!({"reason": "again"}),
        )
        .await;
    assert_eq!(s, 409);

    // A change of level takes effect at once, and is audited.
    let (s, v) = app
        .call(
            "PUT",
            &format!("/api/v1/clearances/{gov_grant}"),
            Some(&c.coordinator),
            Some(json!({"level": "confidential", "expires_at": at(month), "basis": "review 2026-12"})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(status(app, &y_path, &gov_admin).await, 404);
    assert_eq!(status(app, &x_path, &gov_admin).await, 200);
    let (_, audit) = app
        .get(&format!("/api/v1/audit?target={gov_grant}"), &c.admin)
        .await;
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["clearance.change", "clearance.grant"]);

    // Who sees which clearances: the holder, its member's admins, the administration.
    let ids = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|g| g["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, all) = app.get("/api/v1/clearances", &c.admin).await;
    assert_eq!(ids(&all).len(), 2);
    let (_, mine) = app.get("/api/v1/clearances", &vendor_cleared).await;
    assert_eq!(ids(&mine), std::slice::from_ref(&vendor_grant));
    let (_, members) = app.get("/api/v1/clearances", &vendor_admin).await;
    assert_eq!(ids(&members), std::slice::from_ref(&vendor_grant));
    let (_, none) = app.get("/api/v1/clearances", &gov_analyst).await;
    assert_eq!(none, json!([]), "a colleague does not learn who is cleared");
    let (_, none) = app.get("/api/v1/clearances", &op_admin).await;
    assert_eq!(none, json!([]));
    let (_, one) = app
        .get(
            &format!("/api/v1/clearances?member={vendor}"),
            &c.coordinator,
        )
        .await;
    assert_eq!(ids(&one), [vendor_grant]);
}

/// A random user id that exists nowhere.
fn uuid_like() -> String {
    "0190f1e2-7a3b-7c4d-8e5f-6a7b8c9d0e1f".to_owned()
}

async fn alerts_about_a_cleared_item_reach_cleared_channels_only(app: &TestApp) {
    let Cast {
        c,
        gov_admin,
        vendor_admin,
        vendor_cleared,
        op,
        op_admin,
        ..
    } = cast(app).await;
    let month = time::Duration::days(30);
    for token in [&gov_admin, &vendor_cleared, &c.coordinator] {
        grant(app, &c, token, "top_secret", month).await;
    }

    let member_wide = receiver(0).await;
    let personal = receiver(0).await;
    let cleared_box = receiver(0).await;
    add_webhook(app, &vendor_admin, &member_wide.url).await;
    let (s, v) = app
        .post(
            "/api/v1/channels",
            Some(&vendor_cleared),
            json!({"kind": "webhook", "address": personal.url, "personal": true}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert!(v["user"].is_string());

    // Only the coordinator registers a member-wide endpoint as cleared.
    let (s, v) = app
        .post(
            "/api/v1/channels",
            Some(&op_admin),
            json!({"kind": "webhook", "address": cleared_box.url, "cleared_level": "confidential"}),
        )
        .await;
    assert_eq!(s, 403, "{v}");
    assert!(
        v["detail"].as_str().unwrap().starts_with("cleared_level"),
        "{v}"
    );
    assert_eq!(app.get("/api/v1/channels", &op_admin).await.1, json!([]));
    add_webhook(app, &op_admin, &cleared_box.url).await;
    let (s, _) = app
        .get(&format!("/api/v1/channels?member={op}"), &op_admin)
        .await;
    assert_eq!(s, 403);
    let (_, chans) = app
        .get(&format!("/api/v1/channels?member={op}"), &c.coordinator)
        .await;
    let chan = chans[0]["id"].as_str().unwrap().to_owned();
    let clearance_path = format!("/api/v1/channels/{chan}/clearance");
    let (s, _) = app
        .call(
            "PUT",
            &clearance_path,
            Some(&op_admin),
            Some(json!({"level": "confidential"})),
        )
        .await;
    assert_eq!(s, 403);
    let (s, v) = app
        .call(
            "PUT",
            &clearance_path,
            Some(&c.coordinator),
            Some(json!({"level": "cosmic"})),
        )
        .await;
    assert_eq!(s, 422);
    assert!(v["detail"].as_str().unwrap().starts_with("level"), "{v}");
    let (s, _) = app
        .call(
            "PUT",
            &clearance_path,
            Some(&c.coordinator),
            Some(json!({"level": "confidential"})),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        app.get("/api/v1/channels", &op_admin).await.1[0]["cleared_level"],
        "confidential"
    );

    let (s, x) = app
        .post(
            "/api/v1/items",
            Some(&gov_admin),
            item(
                "CLEARED-ALERT-ITEM",
                "cleared-alert.example.org",
                Some("confidential"),
            ),
        )
        .await;
    assert_eq!(s, 201, "{x}");
    let alert = |title: &str, related: Vec<Value>| {
        json!({
            "title": title, "severity": "critical", "action_required": "Block the domain now",
            "related_items": related, "target": {"all": true},
        })
    };
    let (s, cleared_alert) = app
        .post(
            "/api/v1/alerts",
            Some(&c.coordinator),
            alert("CLEARED-ALERT", vec![x["id"].clone()]),
        )
        .await;
    assert_eq!(s, 201, "{cleared_alert}");
    let (s, plain) = app
        .post(
            "/api/v1/alerts",
            Some(&c.coordinator),
            alert("PLAIN-ALERT", vec![]),
        )
        .await;
    assert_eq!(s, 201, "{plain}");

    let bodies = |r: &common::Receiver| -> String {
        r.got
            .lock()
            .unwrap()
            .iter()
            .map(|x| String::from_utf8_lossy(&x.body).into_owned())
            .collect()
    };
    until("every channel got what it may", || async {
        let p = bodies(&personal);
        let b = bodies(&cleared_box);
        let m = bodies(&member_wide);
        p.contains("CLEARED-ALERT")
            && p.contains("PLAIN-ALERT")
            && b.contains("CLEARED-ALERT")
            && m.contains("PLAIN-ALERT")
    })
    .await;
    // Let the member-wide channel's own delivery of the cleared alert run its course.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let m = bodies(&member_wide);
    assert!(
        !m.contains("CLEARED-ALERT") && !m.contains("cleared-alert.example.org"),
        "{m}"
    );
    assert!(bodies(&personal).contains("cleared-alert.example.org"));

    // In the API too: the alert exists for cleared users only.
    let id = cleared_alert["id"].as_str().unwrap();
    assert_eq!(
        status(app, &format!("/api/v1/alerts/{id}"), &vendor_admin).await,
        404
    );
    assert_eq!(
        status(app, &format!("/api/v1/alerts/{id}"), &vendor_cleared).await,
        200
    );
    let (_, listed) = app.get("/api/v1/alerts?limit=200", &vendor_admin).await;
    assert!(!listed.to_string().contains("CLEARED-ALERT"));
    assert!(listed.to_string().contains("PLAIN-ALERT"));
}

async fn an_expired_clearance_ends_access_by_itself(app: &TestApp) {
    let Cast {
        c,
        gov_admin,
        vendor_admin,
        ..
    } = cast(app).await;
    grant(
        app,
        &c,
        &gov_admin,
        "confidential",
        time::Duration::days(30),
    )
    .await;
    let short = grant(
        app,
        &c,
        &vendor_admin,
        "confidential",
        time::Duration::seconds(3),
    )
    .await;
    let (s, x) = app
        .post(
            "/api/v1/items",
            Some(&gov_admin),
            item("EXPIRING", "expiring.example.org", Some("confidential")),
        )
        .await;
    assert_eq!(s, 201, "{x}");
    let path = format!("/api/v1/items/{}", x["id"].as_str().unwrap());
    assert_eq!(status(app, &path, &vendor_admin).await, 200);
    // No restart, no action: the expiry itself ends access…
    for _ in 0..100 {
        if status(app, &path, &vendor_admin).await == 404 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status(app, &path, &vendor_admin).await, 404);
    let (_, mine) = app.get("/api/v1/clearances", &vendor_admin).await;
    assert_eq!(mine[0]["state"], "expired");
    // …and the sweep writes it to the audit log.
    until("the expiry is audited", || async {
        let (_, audit) = app
            .get(&format!("/api/v1/audit?target={short}"), &c.admin)
            .await;
        audit["entries"][0]["action"] == "clearance.expire"
    })
    .await;
}

/// The server with a quick sweep, so an expiry is audited within the test.
async fn spawn(db: Db) -> Option<TestApp> {
    let config = tsunagu_server::Config {
        sweep_interval: Duration::from_millis(200),
        ..fast()
    };
    TestApp::spawn_with(db, config).await
}

macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = super::spawn(super::Db::Sqlite).await.expect("sqlite");
                    super::$name(&app).await;
                    app.finish().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(app) = super::spawn(super::Db::Postgres).await else { return };
                    super::$name(&app).await;
                    app.finish().await;
                }
            )*
        }
    };
}

on_both!(
    clearance_decides_who_sees_an_item,
    alerts_about_a_cleared_item_reach_cleared_channels_only,
    an_expired_clearance_ends_access_by_itself,
);
