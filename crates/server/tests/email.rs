//! Alerts by e-mail through a real SMTP server (Python's aiosmtpd, started here), read
//! back and decoded with Python's own e-mail parser.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::smtp::{Smtp, python};
use common::{Db, TestApp, admitted_in, council, until};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_arrive_by_email_marked_as_exercises() {
    let Some(python) = python("the e-mail test") else {
        return;
    };
    let server = Smtp::start(python).await;
    let config = tsunagu_server::Config {
        public_rate_per_minute: 10_000,
        smtp_url: Some(server.url()),
        delivery: tsunagu_server::delivery::DeliveryConfig {
            poll: Duration::from_millis(50),
            backoff_base: Duration::from_millis(50),
            ..Default::default()
        },
        ..tsunagu_server::Config::default()
    };
    let app = TestApp::spawn_with(Db::Sqlite, config).await.unwrap();
    let c = council(&app).await;
    let (_, op) = admitted_in(&app, &c, "Kuronagi Waterworks", "class2", "water", false).await;
    let (s, v) = app
        .post(
            "/api/v1/channels",
            Some(&op),
            json!({"kind": "email", "address": "soc@kuronagi.example"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert!(v.get("secret").is_none());
    assert_eq!(
        app.post(
            "/api/v1/channels",
            Some(&op),
            json!({"kind": "email", "address": "not-mail"})
        )
        .await
        .0,
        422
    );
    let (s, a) = app
        .post(
            "/api/v1/alerts",
            Some(&c.coordinator),
            json!({"title": "断水を伴う制御系侵害の訓練", "severity": "high", "action_required": "Run the OT isolation playbook",
                   "deadline_text": "before 17:00 JST", "target": {"sectors": ["water"]}, "exercise": true,
                   "indicators": [{"type": "ipv4", "value": "203.0.113.9"}]}),
        )
        .await;
    assert_eq!(s, 201, "{a}");
    let mut got = Vec::new();
    for _ in 0..200 {
        got = server.messages(&[
            ("delivery", "X-Tsunagu-Delivery"),
            ("exercise", "X-Tsunagu-Exercise"),
        ]);
        if !got.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(got.len(), 1, "one e-mail for the one recipient");
    let m = &got[0];
    assert_eq!(m["to"], "soc@kuronagi.example");
    assert!(
        m["subject"]
            .as_str()
            .unwrap()
            .starts_with("[tsunagu] 【訓練 / EXERCISE】 断水を伴う制御系侵害の訓練"),
        "{m}"
    );
    assert_eq!(m["exercise"], "true");
    assert!(m["delivery"].as_str().unwrap().len() >= 32);
    let body = m["body"].as_str().unwrap();
    assert!(body.contains("THIS IS AN EXERCISE"));
    assert!(body.contains("Action required: Run the OT isolation playbook"));
    assert!(body.contains("203.0.113.9"));
    let id = a["id"].as_str().unwrap();
    // The server records the delivery a moment after the mail server accepts it.
    let progress_url = format!("/api/v1/alerts/{id}/progress");
    until("the delivery recorded", || async {
        app.get(&progress_url, &c.coordinator).await.1["deliveries"]["delivered"] == 1
    })
    .await;
    app.finish().await;
}
