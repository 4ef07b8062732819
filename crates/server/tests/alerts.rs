//! Early warning over HTTP on both backends (MISSION.md M3.1–M3.3): alerts in one voice,
//! the outbox drained over signed webhooks to real HTTP receivers (with retries, dead
//! letters and idempotency keys), the live stream with `Last-Event-ID` resume, receipts
//! and progress. Signatures are checked with an HMAC written here from SHA-256 alone.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{
    Council, Db, TestApp, add_webhook, admitted_in, council, fast, receiver, until, verify,
};
use serde_json::{Value, json};

fn alert(target: Value, related: &[&str], exercise: bool) -> Value {
    json!({
        "title": "Do not boot unpatched PCs", "severity": "critical",
        "action_required": "Keep Windows PCs off the network until MS17-010 is applied",
        "deadline": "2026-11-30T23:30:00Z", "deadline_text": "before 08:30 JST Monday",
        "body_executive": "A worm encrypts PCs as they boot.", "body_analyst": "EternalBlue over TCP 445.",
        "related_items": related, "cves": ["CVE-2017-0144"], "target": target, "exercise": exercise
    })
}

async fn fanout(db: Db) {
    let Some(app) = TestApp::spawn_with(db, fast()).await else {
        return;
    };
    let c: Council = council(&app).await;
    let (_, op1) = admitted_in(
        &app,
        &c,
        "Kuronagi Denryoku",
        "class2",
        "electricity",
        false,
    )
    .await;
    let (_, op2) = admitted_in(&app, &c, "Sorahashi Bank", "class2", "finance", false).await;
    let (_, gas) = admitted_in(&app, &c, "Hamuteru Gas", "general", "gas", false).await;
    let r1 = receiver(0).await;
    let r2 = receiver(2).await;
    let rg = receiver(0).await;
    let s1 = add_webhook(&app, &op1, &r1.url).await;
    let s2 = add_webhook(&app, &op2, &r2.url).await;
    add_webhook(&app, &gas, &rg.url).await;

    // A related item that only the electricity sector may see.
    let (_, item) = app
        .post(
            "/api/v1/items",
            Some(&op1),
            json!({"kind": "countermeasure", "title": "Grid-specific steps", "confidence": "confirmed", "tlp": "green",
                   "scope": {"classes": ["class1", "class2"], "sectors": ["electricity"]}}),
        )
        .await;
    let item_id = item["id"].as_str().unwrap().to_owned();

    // One voice: members cannot issue alerts until the coordinator designates them.
    assert_eq!(
        app.post(
            "/api/v1/alerts",
            Some(&op1),
            alert(json!({"all": true}), &[], false)
        )
        .await
        .0,
        403
    );
    let (s, v) = app
        .post(
            "/api/v1/alerts",
            Some(&c.coordinator),
            alert(json!({}), &[], false),
        )
        .await;
    assert_eq!(s, 422);
    assert!(v["detail"].as_str().unwrap().starts_with("target"));
    let mut no_action = alert(json!({"all": true}), &[], false);
    no_action["action_required"] = json!("");
    assert!(
        app.post("/api/v1/alerts", Some(&c.coordinator), no_action)
            .await
            .1["detail"]
            .as_str()
            .unwrap()
            .starts_with("action_required")
    );

    let (s, issued) = app
        .post(
            "/api/v1/alerts",
            Some(&c.coordinator),
            alert(
                json!({"sectors": ["electricity", "finance"]}),
                &[&item_id],
                false,
            ),
        )
        .await;
    assert_eq!(s, 201, "{issued}");
    let alert_id = issued["id"].as_str().unwrap().to_owned();

    until("both receivers", || async {
        r1.got.lock().unwrap().len() == 1 && r2.got.lock().unwrap().len() == 1
    })
    .await;
    let got1 = r1.got.lock().unwrap()[0].clone();
    let got2 = r2.got.lock().unwrap()[0].clone();
    verify(&got1, &s1);
    verify(&got2, &s2);
    let p1: Value = serde_json::from_slice(&got1.body).unwrap();
    let p2: Value = serde_json::from_slice(&got2.body).unwrap();
    assert_eq!(p1["event"], "alert.published");
    assert_eq!(
        p1["delivery_id"],
        got1.headers["tsunagu-delivery"].to_str().unwrap()
    );
    assert_eq!(
        got1.headers["idempotency-key"],
        got1.headers["tsunagu-delivery"]
    );
    assert_ne!(p1["delivery_id"], p2["delivery_id"]);
    // Each payload comes from the recipient's own policy view.
    assert_eq!(p1["alert"]["related_items"][0]["id"], item_id.as_str());
    assert_eq!(
        p2["alert"]["related_items"],
        json!([]),
        "finance may not see the grid item"
    );
    assert!(p1["alert"].get("issuer").is_none() && p1["alert"]["via"] == "coordinator");
    assert!(rg.got.lock().unwrap().is_empty(), "gas was not targeted");
    // Tried three times in all with two failures: retried, never blocking the other.
    // A receiver has the payload a moment before the sender records the delivery.
    let progress_url = format!("/api/v1/alerts/{alert_id}/progress");
    until("both deliveries recorded", || async {
        app.get(&progress_url, &c.coordinator).await.1["deliveries"]["delivered"] == 2
    })
    .await;
    let (_, progress) = app.get(&progress_url, &c.coordinator).await;
    assert_eq!(progress["total"]["targeted"], 2);
    assert_eq!(progress["total"]["delivered"], 2);
    assert_eq!(progress["deliveries"]["delivered"], 2);

    // Receipts: read by fetching, acted by acknowledging.
    let (s, seen) = app.get(&format!("/api/v1/alerts/{alert_id}"), &op1).await;
    assert_eq!(s, 200);
    assert_eq!(seen["title"], "Do not boot unpatched PCs");
    assert_eq!(
        app.get(&format!("/api/v1/alerts/{alert_id}"), &gas).await.0,
        404
    );
    assert_eq!(
        app.post(
            &format!("/api/v1/alerts/{alert_id}/ack"),
            Some(&op2),
            json!({"acted": true})
        )
        .await
        .0,
        204
    );
    let (_, progress) = app
        .get(
            &format!("/api/v1/alerts/{alert_id}/progress"),
            &c.coordinator,
        )
        .await;
    assert_eq!(progress["total"]["read"], 2);
    assert_eq!(progress["total"]["acted"], 1);
    assert_eq!(progress["by_sector"]["finance"]["acted"], 1);
    assert_eq!(progress["by_class"]["class2"]["targeted"], 2);
    assert_eq!(
        app.get(&format!("/api/v1/alerts/{alert_id}/progress"), &op1)
            .await
            .0,
        403
    );

    // Updates and withdrawal are delivered too.
    let mut revised = alert(json!({"sectors": ["electricity", "finance"]}), &[], false);
    revised["action_required"] = json!("Apply MS17-010 now; SMBv1 off");
    let (s, v) = app
        .call(
            "PUT",
            &format!("/api/v1/alerts/{alert_id}"),
            Some(&c.coordinator),
            Some(revised),
        )
        .await;
    assert_eq!((s, v["revision"].as_i64()), (200, Some(2)));
    assert_eq!(
        app.post(
            &format!("/api/v1/alerts/{alert_id}/withdraw"),
            Some(&c.coordinator),
            json!({})
        )
        .await
        .0,
        200
    );
    until("update and withdrawal", || async {
        r1.got.lock().unwrap().len() == 3
    })
    .await;
    let events: Vec<String> = r1
        .got
        .lock()
        .unwrap()
        .iter()
        .map(|r| {
            serde_json::from_slice::<Value>(&r.body).unwrap()["event"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        events,
        ["alert.published", "alert.updated", "alert.withdrawn"]
    );
    assert_eq!(
        app.post(
            &format!("/api/v1/alerts/{alert_id}/withdraw"),
            Some(&c.coordinator),
            json!({})
        )
        .await
        .0,
        409
    );

    // A designated member may issue; exercises are flagged on the channel.
    let (s, _) = app
        .call(
            "PUT",
            &format!("/api/v1/members/{}/roles", c.admin_member),
            Some(&c.admin),
            Some(json!({"roles": ["secretariat", "committee", "alert_issuer"]})),
        )
        .await;
    assert_eq!(s, 200);
    let (s, ex) = app
        .post(
            "/api/v1/alerts",
            Some(&c.admin),
            alert(json!({"classes": ["general"]}), &[], true),
        )
        .await;
    assert_eq!(s, 201, "{ex}");
    until("the exercise", || async {
        rg.got.lock().unwrap().len() == 1
    })
    .await;
    let g = rg.got.lock().unwrap()[0].clone();
    assert_eq!(g.headers["tsunagu-exercise"], "true");
    let body: Value = serde_json::from_slice(&g.body).unwrap();
    assert!(
        body["alert"]["title"]
            .as_str()
            .unwrap()
            .starts_with("【訓練 / EXERCISE】")
    );
    assert_eq!(body["alert"]["exercise"], true);
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_alerts_fan_out_over_signed_webhooks() {
    fanout(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_alerts_fan_out_over_signed_webhooks() {
    fanout(Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_keeps_failing_is_dead_lettered() {
    let app = TestApp::spawn_with(Db::Sqlite, fast()).await.unwrap();
    let c = council(&app).await;
    let (_, op) = admitted_in(&app, &c, "Tamayuri Railway", "class2", "railway", false).await;
    let bad = receiver(usize::MAX).await;
    add_webhook(&app, &op, &bad.url).await;
    let (_, a) = app
        .post(
            "/api/v1/alerts",
            Some(&c.coordinator),
            alert(json!({"all": true}), &[], false),
        )
        .await;
    let id = a["id"].as_str().unwrap().to_owned();
    until("the dead letter", || {
        let (app, id, t) = (&app, id.clone(), c.coordinator.clone());
        async move {
            app.get(&format!("/api/v1/alerts/{id}/progress"), &t)
                .await
                .1["deliveries"]["dead"]
                == 1
        }
    })
    .await;
    let (_, p) = app
        .get(&format!("/api/v1/alerts/{id}/progress"), &c.coordinator)
        .await;
    assert!(
        p["not_reached"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n == "Tamayuri Railway")
    );

    // Webhooks must be http(s) and must not point back at the server.
    for url in [
        "ftp://example.com/hook".to_owned(),
        format!("{}/api/v1/alerts", app.base),
        "not a url".to_owned(),
    ] {
        let (s, v) = app
            .post(
                "/api/v1/channels",
                Some(&op),
                json!({"kind": "webhook", "address": url}),
            )
            .await;
        assert_eq!(s, 422, "{url}: {v}");
    }
    let (s, list) = app.get("/api/v1/channels", &op).await;
    assert_eq!(s, 200);
    assert!(list[0].get("secret").is_none(), "the secret is shown once");
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_stream_delivers_and_resumes() {
    let app = TestApp::spawn_with(Db::Sqlite, fast()).await.unwrap();
    let c = council(&app).await;
    let (_, op) = admitted_in(&app, &c, "Mitsurabe Gas", "class2", "gas", false).await;
    let (_, other) = admitted_in(&app, &c, "Wakatsuge Bank", "class2", "finance", false).await;
    let mut resp = app
        .client
        .get(app.url("/api/v1/stream"))
        .bearer_auth(&op)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let mut other_stream = app
        .client
        .get(app.url("/api/v1/stream"))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    let (_, a) = app
        .post(
            "/api/v1/alerts",
            Some(&c.coordinator),
            alert(json!({"sectors": ["gas"]}), &[], false),
        )
        .await;
    let first_id = a["id"].as_str().unwrap().to_owned();
    let mut buf = String::new();
    while !buf.contains("\n\n") || !buf.contains("data:") {
        let chunk = tokio::time::timeout(Duration::from_secs(10), resp.chunk())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        buf.push_str(std::str::from_utf8(&chunk).unwrap());
    }
    assert!(buf.contains("event: alert"), "{buf}");
    assert!(buf.contains(&first_id));
    let event_id: i64 = buf
        .lines()
        .find_map(|l| l.strip_prefix("id: "))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    drop(resp);
    // The finance member was not targeted: nothing but keep-alives reach it.
    let nothing = tokio::time::timeout(Duration::from_millis(500), other_stream.chunk()).await;
    assert!(
        nothing.is_err()
            || !std::str::from_utf8(&nothing.unwrap().unwrap().unwrap_or_default())
                .unwrap()
                .contains(&first_id)
    );

    // Missed while disconnected: an exercise. Resuming gets it, not the first again.
    let (_, ex) = app
        .post(
            "/api/v1/alerts",
            Some(&c.coordinator),
            alert(json!({"all": true}), &[], true),
        )
        .await;
    let ex_id = ex["id"].as_str().unwrap().to_owned();
    let mut resumed = app
        .client
        .get(app.url("/api/v1/stream"))
        .bearer_auth(&op)
        .header("last-event-id", event_id.to_string())
        .send()
        .await
        .unwrap();
    let mut buf = String::new();
    while !buf.contains(&ex_id) {
        let chunk = tokio::time::timeout(Duration::from_secs(10), resumed.chunk())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        buf.push_str(std::str::from_utf8(&chunk).unwrap());
    }
    assert!(buf.contains("event: exercise"));
    assert!(!buf.contains(&first_id));
    let bad = app
        .client
        .get(app.url("/api/v1/stream"))
        .bearer_auth(&op)
        .header("last-event-id", "yesterday")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let unauth = app
        .client
        .get(app.url("/api/v1/stream"))
        .send()
        .await
        .unwrap();
    assert_eq!(unauth.status(), 401);
    app.finish().await;
}
