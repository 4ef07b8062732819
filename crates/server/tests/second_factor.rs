//! A user who enrolled a second factor (TOTP, in the portal) cannot turn a password
//! alone into access anywhere: the API's login asks for the current code and refuses a
//! used one, and TAXII refuses its Basic authentication (an API token still works).

#![allow(clippy::unwrap_used)]

mod common;

use common::{Db, TestApp, council, login};
use serde_json::{Value, json};
use time::OffsetDateTime;
use tsunagu_server::portal::session::{new_totp_secret, totp_code, totp_step, unbase32};

async fn second_factor(db: Db) {
    let Some(app) = TestApp::spawn(db).await else {
        return;
    };
    let c = council(&app).await;
    // A password-only user of the same member, to compare with.
    let (s, v) = app
        .post(
            &format!("/api/v1/members/{}/users", c.admin_member),
            Some(&c.admin),
            json!({"login": "plain-analyst", "password": "a long analyst password", "role": "analyst"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/members/{}/users", c.admin_member),
            Some(&c.admin),
            json!({"login": "totp-analyst", "password": "a long analyst password", "role": "analyst"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let user = v["id"].as_str().unwrap().parse().unwrap();
    let secret = new_totp_secret();
    let key = unbase32(&secret).unwrap();
    let now = totp_step(OffsetDateTime::now_utc());
    let mut tx = app.store.begin().await.unwrap();
    tx.enable_totp(user, &secret, now - 2, OffsetDateTime::now_utc())
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let body = |totp: Option<String>| {
        let mut b = json!({"login": "totp-analyst", "password": "a long analyst password"});
        if let Some(t) = totp {
            b["totp"] = Value::String(t);
        }
        b
    };
    let (s, v) = app.post("/api/v1/auth/login", None, body(None)).await;
    assert_eq!(s, 401, "{v}");
    assert!(v["detail"].as_str().unwrap().contains("\"totp\""), "{v}");
    let wrong = if totp_code(&key, now) == "000000" {
        "111111"
    } else {
        "000000"
    };
    let (s, _) = app
        .post("/api/v1/auth/login", None, body(Some(wrong.into())))
        .await;
    assert_eq!(s, 401);
    let code = totp_code(&key, now);
    let (s, v) = app
        .post("/api/v1/auth/login", None, body(Some(code.clone())))
        .await;
    assert_eq!(s, 201, "{v}");
    let token = v["token"].as_str().unwrap().to_owned();
    let (s, v) = app.post("/api/v1/auth/login", None, body(Some(code))).await;
    assert_eq!(s, 401, "a code logs in once: {v}");
    assert!(
        v["detail"].as_str().unwrap().contains("used already"),
        "{v}"
    );
    // The password-only user is unaffected.
    login(&app, "plain-analyst", "a long analyst password").await;

    // TAXII: Basic is refused for the enrolled user, its token is served.
    let taxii = |auth: reqwest::RequestBuilder| async move {
        let resp = auth
            .header("accept", "application/taxii+json;version=2.1")
            .send()
            .await
            .unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    };
    let url = app.url("/taxii2/");
    let (s, body) = taxii(
        app.client
            .get(&url)
            .basic_auth("totp-analyst", Some("a long analyst password")),
    )
    .await;
    assert_eq!(s, 401, "{body}");
    assert!(body.contains("use an API token"), "{body}");
    let (s, _) = taxii(
        app.client
            .get(&url)
            .basic_auth("plain-analyst", Some("a long analyst password")),
    )
    .await;
    assert_eq!(s, 200);
    let (s, _) = taxii(app.client.get(&url).bearer_auth(&token)).await;
    assert_eq!(s, 200);
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_password_alone_is_not_enough_once_a_second_factor_is_enrolled() {
    second_factor(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_password_alone_is_not_enough_once_a_second_factor_is_enrolled() {
    second_factor(Db::Postgres).await;
}
