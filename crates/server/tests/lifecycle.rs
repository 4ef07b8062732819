//! The membership lifecycle driven over HTTP on both backends (MISSION.md M1.1–M1.3,
//! M1.7, M2.7): application, committee approval, activation, class change, task-force
//! approval, roles, withdrawal, expulsion, tokens, and bad input that changes nothing.

#![allow(clippy::unwrap_used)]

mod common;

use common::{TestApp, admitted, application, council, login};
use serde_json::{Value, json};

on_both_backends!(
    application_to_active_member,
    bad_input_changes_nothing,
    class_change_and_task_force,
    withdrawal_revokes_every_token_at_once,
    expulsion_and_roles,
    tokens_are_revocable_and_shown_once,
    member_names_are_private,
    audit_chain_covers_every_change,
    openapi_is_public_and_declares_auth,
);

#[tokio::test]
async fn public_endpoints_are_rate_limited() {
    let config = tsunagu_server::Config {
        public_rate_per_minute: 3,
        ..tsunagu_server::Config::default()
    };
    let app = TestApp::spawn_with(common::Db::Sqlite, config)
        .await
        .unwrap();
    for i in 0..3 {
        let (s, _) = app
            .post(
                "/api/v1/applications",
                None,
                application(&format!("Shiganoto {i}"), "general", false),
            )
            .await;
        assert_eq!(s, 201);
    }
    let (s, h, _) = app
        .call_full(
            "POST",
            "/api/v1/applications",
            None,
            Some(application("Shiganoto 9", "general", false)),
        )
        .await;
    assert_eq!(s, 429);
    assert!(h.contains_key("retry-after"));
    let (s, _) = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"login": "admin", "password": "whatever password"}),
        )
        .await;
    assert_eq!(s, 429, "login shares the public quota");
    app.finish().await;
}

async fn application_to_active_member(app: &TestApp) {
    let c = council(app).await;
    let (s, v) = app
        .post(
            "/api/v1/applications",
            None,
            application("Kirishiro Denki", "class2", false),
        )
        .await;
    assert_eq!(s, 201);
    assert_eq!(v["status"], "applied");
    let id = v["id"].as_str().unwrap().to_owned();
    let secret = v["applicant_secret"].as_str().unwrap().to_owned();

    // The committee sees the application with its contact details.
    let (s, list) = app.get("/api/v1/applications", &c.admin).await;
    assert_eq!(s, 200);
    let entry = list
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == id.as_str())
        .unwrap();
    assert_eq!(entry["name"], "Kirishiro Denki");
    assert_eq!(entry["contact_email"], "soc@kirishiro.example");
    assert_eq!(entry["approvals_required"], 2);

    // Activation before approval is refused.
    let activate = json!({"applicant_secret": secret, "login": "kirishiro-admin", "password": "correct horse battery staple"});
    let (s, _) = app
        .post(
            &format!("/api/v1/applications/{id}/activate"),
            None,
            activate.clone(),
        )
        .await;
    assert_eq!(s, 409);

    let (s, v) = app
        .post(
            &format!("/api/v1/applications/{id}/approve"),
            Some(&c.admin),
            json!({}),
        )
        .await;
    assert_eq!(
        (s, v["status"].as_str(), v["approvals"].as_u64()),
        (200, Some("applied"), Some(1))
    );
    // The same committee member cannot vote twice.
    let (s, _) = app
        .post(
            &format!("/api/v1/applications/{id}/approve"),
            Some(&c.admin),
            json!({}),
        )
        .await;
    assert_eq!(s, 409);
    let (s, v) = app
        .post(
            &format!("/api/v1/applications/{id}/approve"),
            Some(&c.coordinator),
            json!({}),
        )
        .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("active")));
    // Approving an active member is a conflict.
    let (s, v) = app
        .post(
            &format!("/api/v1/applications/{id}/approve"),
            Some(&c.coordinator),
            json!({}),
        )
        .await;
    assert_eq!(s, 409);
    assert!(v["detail"].as_str().unwrap().contains("active"));

    // A wrong secret looks like a missing application.
    let mut wrong = activate.clone();
    wrong["applicant_secret"] = json!("app_wrong");
    let (s, _) = app
        .post(&format!("/api/v1/applications/{id}/activate"), None, wrong)
        .await;
    assert_eq!(s, 404);

    let (s, v) = app
        .post(
            &format!("/api/v1/applications/{id}/activate"),
            None,
            activate.clone(),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["user"]["role"], "admin");
    let token = v["token"]["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("tsu_"));
    // The secret works once.
    let (s, _) = app
        .post(
            &format!("/api/v1/applications/{id}/activate"),
            None,
            activate,
        )
        .await;
    assert_eq!(s, 404);

    let (s, me) = app.get("/api/v1/me", &token).await;
    assert_eq!(s, 200);
    assert_eq!(me["member"]["id"], id.as_str());
    assert_eq!(me["member"]["class"], "class2");
    assert_eq!(me["member"]["details"]["status"], "active");
    assert_eq!(me["member"]["details"]["in_task_force"], true);

    // The password works for login too.
    login(app, "kirishiro-admin", "correct horse battery staple").await;
}

async fn bad_input_changes_nothing(app: &TestApp) {
    let c = council(app).await;
    let before = app.audit_len().await;
    let raw = |body: &'static str| {
        app.client
            .post(app.url("/api/v1/applications"))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let r = raw("{not json").await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let r = raw(r#"{"name": "A", "sector": "electricity", "class": "class9", "foreign_affiliated": false, "contact_name": "x", "contact_email": "a@b.jp"}"#)
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let p: Value = r.json().await.unwrap();
    assert!(p["detail"].as_str().unwrap().contains("class9"), "{p}");
    let r = app
        .client
        .post(app.url("/api/v1/applications"))
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);

    let mut long = application("x", "general", false);
    long["name"] = json!("長".repeat(201));
    let (s, v) = app.post("/api/v1/applications", None, long).await;
    assert_eq!(s, 422);
    assert!(v["detail"].as_str().unwrap().starts_with("name:"), "{v}");
    let mut bad_mail = application("Okuzane Gas", "general", false);
    bad_mail["contact_email"] = json!("not-an-address");
    let (s, v) = app.post("/api/v1/applications", None, bad_mail).await;
    assert_eq!(s, 422);
    assert!(v["detail"].as_str().unwrap().contains("contact_email"));
    let mut unknown = application("Okuzane Gas", "general", false);
    unknown["shoe_size"] = json!(42);
    let (s, _) = app.post("/api/v1/applications", None, unknown).await;
    assert_eq!(s, 422);

    // Over the body limit (on a connection of its own: the server closes it).
    let huge = "x".repeat(3 * 1024 * 1024);
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/applications"))
        .header("content-type", "application/json")
        .body(format!("{{\"name\": \"{huge}\"}}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    assert_eq!(r.headers()["content-type"], "application/problem+json");

    assert_eq!(
        app.audit_len().await,
        before,
        "no bad input reached the audit log"
    );
    let (_, apps) = app.get("/api/v1/applications", &c.admin).await;
    assert_eq!(
        apps.as_array().unwrap().len(),
        0,
        "no bad input became an application"
    );

    // Duplicate applications (same name modulo case and spaces) are refused.
    let (s, _) = app
        .post(
            "/api/v1/applications",
            None,
            application("Okuzane Gas", "general", false),
        )
        .await;
    assert_eq!(s, 201);
    let (s, v) = app
        .post(
            "/api/v1/applications",
            None,
            application("  okuzane   GAS ", "general", false),
        )
        .await;
    assert_eq!(s, 409, "{v}");

    // Unknown paths and ids, wrong methods.
    let (s, _) = app.get("/api/v1/nowhere", &c.admin).await;
    assert_eq!(s, 404);
    let (s, _) = app.get("/api/v1/members/not-a-uuid", &c.admin).await;
    assert_eq!(s, 404);
    let (s, _) = app
        .call("DELETE", "/api/v1/members", Some(&c.admin), None)
        .await;
    assert_eq!(s, 405);
    // Non-committee members cannot approve.
    let (_, member_token) = admitted(app, &c, "Tamayuri Railway", "class2", false).await;
    let (_, apps) = app.get("/api/v1/applications", &c.admin).await;
    let pending = apps[0]["id"].as_str().unwrap().to_owned();
    let (s, _) = app
        .post(
            &format!("/api/v1/applications/{pending}/approve"),
            Some(&member_token),
            json!({}),
        )
        .await;
    assert_eq!(s, 403);
    let (s, _) = app.get("/api/v1/applications", &member_token).await;
    assert_eq!(s, 403);
}

async fn class_change_and_task_force(app: &TestApp) {
    let c = council(app).await;
    let (id, token) = admitted(app, &c, "Hotarube Kagaku", "general", true).await;
    let (s, v) = app
        .post(
            &format!("/api/v1/members/{id}/class-requests"),
            Some(&token),
            json!({"class": "class2", "reason": "we can give feedback"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let req = v["id"].as_str().unwrap().to_owned();
    // One open request at a time; asking for the current class is a conflict.
    let (s, _) = app
        .post(
            &format!("/api/v1/members/{id}/class-requests"),
            Some(&token),
            json!({"class": "class1"}),
        )
        .await;
    assert_eq!(s, 409);
    // Another member's admin cannot ask for it.
    let (s, _) = app
        .post(
            &format!("/api/v1/members/{id}/class-requests"),
            Some(&c.coordinator),
            json!({"class": "class1"}),
        )
        .await;
    assert_eq!(s, 403);

    let (s, list) = app.get("/api/v1/class-requests", &c.admin).await;
    assert_eq!(s, 200);
    assert_eq!(list[0]["id"], req.as_str());
    let (_, v) = app
        .post(
            &format!("/api/v1/class-requests/{req}/approve"),
            Some(&c.admin),
            json!({}),
        )
        .await;
    assert_eq!(v["status"], "pending");
    let (_, v) = app
        .post(
            &format!("/api/v1/class-requests/{req}/approve"),
            Some(&c.coordinator),
            json!({}),
        )
        .await;
    assert_eq!(v["status"], "approved");
    let (s, _) = app
        .post(
            &format!("/api/v1/class-requests/{req}/approve"),
            Some(&c.coordinator),
            json!({}),
        )
        .await;
    assert_eq!(s, 409);

    let (_, me) = app.get("/api/v1/me", &token).await;
    assert_eq!(me["member"]["class"], "class2");
    // Foreign-affiliated: class 2 but outside the task force until specially approved.
    assert_eq!(me["member"]["details"]["in_task_force"], false);
    let (s, _) = app
        .post(
            &format!("/api/v1/members/{id}/task-force-approval"),
            Some(&token),
            json!({"approved": true}),
        )
        .await;
    assert_eq!(s, 403);
    let (s, v) = app
        .post(
            &format!("/api/v1/members/{id}/task-force-approval"),
            Some(&c.admin),
            json!({"approved": true}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (_, me) = app.get("/api/v1/me", &token).await;
    assert_eq!(me["member"]["details"]["in_task_force"], true);

    // A domestic member needs no special approval.
    let (domestic, _) = admitted(app, &c, "Wakatsuge Gas", "class2", false).await;
    let (s, _) = app
        .post(
            &format!("/api/v1/members/{domestic}/task-force-approval"),
            Some(&c.admin),
            json!({"approved": true}),
        )
        .await;
    assert_eq!(s, 409);
}

async fn withdrawal_revokes_every_token_at_once(app: &TestApp) {
    let c = council(app).await;
    let (id, admin_token) = admitted(app, &c, "Nagiramu Waterworks", "class2", false).await;
    let (s, _) = app
        .post(
            &format!("/api/v1/members/{id}/users"),
            Some(&admin_token),
            json!({"login": "nagiramu-analyst", "password": "analyst password here", "role": "analyst"}),
        )
        .await;
    assert_eq!(s, 201);
    let analyst = login(app, "nagiramu-analyst", "analyst password here").await;
    let (s, _) = app.get("/api/v1/me", &analyst).await;
    assert_eq!(s, 200);
    // An analyst cannot withdraw the member.
    let (s, _) = app
        .post(
            &format!("/api/v1/members/{id}/withdraw"),
            Some(&analyst),
            json!({}),
        )
        .await;
    assert_eq!(s, 403);

    let (s, v) = app
        .post(
            &format!("/api/v1/members/{id}/withdraw"),
            Some(&admin_token),
            json!({"reason": "merger"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "withdrawn");
    assert!(v["tokens_revoked"].as_u64().unwrap() >= 2);

    for t in [&admin_token, &analyst] {
        let (s, h, p) = app.call_full("GET", "/api/v1/me", Some(t), None).await;
        assert_eq!(s, 401, "{p}");
        assert!(h.contains_key("www-authenticate"));
    }
    // No new token either.
    let (s, _) = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"login": "nagiramu-analyst", "password": "analyst password here"}),
        )
        .await;
    assert_eq!(s, 401);
    // Others no longer see it; the administration still does.
    let (s, _) = app
        .get(&format!("/api/v1/members/{id}"), &c.coordinator)
        .await;
    assert_eq!(s, 200);
    let (_, other) = admitted(app, &c, "Izunaki Logistics", "general", false).await;
    let (s, _) = app.get(&format!("/api/v1/members/{id}"), &other).await;
    assert_eq!(s, 404);
    // Withdrawing twice is a conflict for whoever still could ask.
    let (s, _) = app
        .post(
            &format!("/api/v1/members/{id}/expel"),
            Some(&c.admin),
            json!({}),
        )
        .await;
    assert_eq!(s, 409);
}

async fn expulsion_and_roles(app: &TestApp) {
    let c = council(app).await;
    let (id, token) = admitted(app, &c, "Kagemori Sekiyu", "class2", false).await;
    let (s, _) = app
        .post(
            &format!("/api/v1/members/{id}/expel"),
            Some(&token),
            json!({}),
        )
        .await;
    assert_eq!(s, 403);

    // The secretariat makes another member a regulator; regulator_of needs the role.
    let (reg, reg_token) = admitted(app, &c, "Rendaisu Agency", "general", false).await;
    let (s, _) = app
        .call(
            "PUT",
            &format!("/api/v1/members/{reg}/roles"),
            Some(&reg_token),
            Some(json!({"roles": ["regulator"], "regulator_of": ["petroleum"]})),
        )
        .await;
    assert_eq!(s, 403);
    let (s, _) = app
        .call(
            "PUT",
            &format!("/api/v1/members/{reg}/roles"),
            Some(&c.admin),
            Some(json!({"roles": [], "regulator_of": ["petroleum"]})),
        )
        .await;
    assert_eq!(s, 422);
    let (s, v) = app
        .call(
            "PUT",
            &format!("/api/v1/members/{reg}/roles"),
            Some(&c.admin),
            Some(json!({"roles": ["regulator"], "regulator_of": ["petroleum"]})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["details"]["regulator_of"], json!(["petroleum"]));
    let (s, _) = app
        .call(
            "PUT",
            &format!("/api/v1/members/{reg}/roles"),
            Some(&c.admin),
            Some(json!({"roles": ["overlord"]})),
        )
        .await;
    assert_eq!(s, 422);

    // Members opt out of confidential information themselves.
    let (s, v) = app
        .call(
            "PUT",
            &format!("/api/v1/members/{id}/settings"),
            Some(&token),
            Some(json!({"confidential_opt_out": true})),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(v["details"]["confidential_opt_out"], true);

    let (s, v) = app
        .post(
            &format!("/api/v1/members/{id}/expel"),
            Some(&c.coordinator),
            json!({"reason": "leak"}),
        )
        .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("expelled")));
    let (s, _) = app.get("/api/v1/me", &token).await;
    assert_eq!(s, 401);
    // A committee member cannot expel its own member.
    let (s, _) = app
        .post(
            &format!("/api/v1/members/{}/expel", c.coordinator_member),
            Some(&c.coordinator),
            json!({}),
        )
        .await;
    assert_eq!(s, 409);
}

async fn tokens_are_revocable_and_shown_once(app: &TestApp) {
    let c = council(app).await;
    let (s, v) = app
        .post(
            "/api/v1/tokens",
            Some(&c.admin),
            json!({"name": "misp-sync", "expires_in_days": 7}),
        )
        .await;
    assert_eq!(s, 201);
    let second = v["token"].as_str().unwrap().to_owned();
    let id = v["token_id"].as_str().unwrap().to_owned();
    let (s, list) = app.get("/api/v1/tokens", &second).await;
    assert_eq!(s, 200);
    assert!(
        !list.to_string().contains(&second),
        "listing never shows a secret"
    );
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "misp-sync")
    );
    // Not stored in clear either.
    let stored: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM tokens")
        .fetch_all(app.store.pool())
        .await
        .unwrap();
    assert!(stored.iter().all(|h| !h.contains(&second[4..])));
    let pw: Vec<String> = sqlx::query_scalar("SELECT password_hash FROM users")
        .fetch_all(app.store.pool())
        .await
        .unwrap();
    assert!(pw.iter().all(|h| h.starts_with("$argon2id$")));

    let (s, _) = app
        .post(
            "/api/v1/tokens",
            Some(&c.admin),
            json!({"name": "x", "expires_in_days": 5000}),
        )
        .await;
    assert_eq!(s, 422);
    // Someone else cannot revoke it.
    let (s, _) = app
        .call(
            "DELETE",
            &format!("/api/v1/tokens/{id}"),
            Some(&c.coordinator),
            None,
        )
        .await;
    assert_eq!(s, 404);
    let (s, _) = app
        .call(
            "DELETE",
            &format!("/api/v1/tokens/{id}"),
            Some(&c.admin),
            None,
        )
        .await;
    assert_eq!(s, 204);
    let (s, _) = app.get("/api/v1/me", &second).await;
    assert_eq!(s, 401);
    let (s, _) = app.get("/api/v1/me", &c.admin).await;
    assert_eq!(s, 200, "other tokens keep working");
    let (s, _) = app.get("/api/v1/me", "tsu_made_up").await;
    assert_eq!(s, 401);
    let r = app
        .client
        .get(app.url("/api/v1/me"))
        .header("authorization", "Basic abc")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // Passwords can be changed with the current one.
    let (s, _) = app
        .post(
            "/api/v1/me/password",
            Some(&c.coordinator),
            json!({"current_password": "wrong", "new_password": "a brand new password"}),
        )
        .await;
    assert_eq!(s, 403);
    let (s, _) = app
        .post(
            "/api/v1/me/password",
            Some(&c.coordinator),
            json!({"current_password": "a long coordinator password", "new_password": "short"}),
        )
        .await;
    assert_eq!(s, 422);
    let (s, _) = app
        .post("/api/v1/me/password", Some(&c.coordinator), json!({"current_password": "a long coordinator password", "new_password": "a brand new password"}))
        .await;
    assert_eq!(s, 204);
    login(app, "coord-admin", "a brand new password").await;
    let (s, _) = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"login": "coord-admin", "password": "a long coordinator password"}),
        )
        .await;
    assert_eq!(s, 401);

    // Wrong password: 401 without telling which part was wrong.
    let (s, v) = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"login": "admin", "password": "wrong password!!"}),
        )
        .await;
    assert_eq!(s, 401);
    let (s2, v2) = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"login": "nobody", "password": "wrong password!!"}),
        )
        .await;
    assert_eq!((s2, &v2["detail"]), (401, &v["detail"]));

    // A disabled user's tokens stop working.
    let (s, v) = app
        .post(
            &format!("/api/v1/members/{}/users", c.admin_member),
            Some(&c.admin),
            json!({"login": "temp-viewer", "password": "viewer password 123", "role": "viewer"}),
        )
        .await;
    assert_eq!(s, 201);
    let uid = v["id"].as_str().unwrap().to_owned();
    let viewer = login(app, "temp-viewer", "viewer password 123").await;
    let (s, _) = app
        .post(
            &format!("/api/v1/users/{uid}/disable"),
            Some(&c.admin),
            json!({}),
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = app.get("/api/v1/me", &viewer).await;
    assert_eq!(s, 401);
}

async fn member_names_are_private(app: &TestApp) {
    let c = council(app).await;
    let (id_a, token_a) = admitted(app, &c, "Umisaka Airways", "class1", false).await;
    let (id_b, _) = admitted(app, &c, "Gyokuren Medical Centre", "general", false).await;
    let (s, list) = app.get("/api/v1/members", &token_a).await;
    assert_eq!(s, 200);
    let text = list.to_string();
    assert!(
        !text.contains("Gyokuren"),
        "ordinary members see pseudonyms only"
    );
    assert!(!text.contains("Council Secretariat"));
    let b = list
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == id_b.as_str())
        .unwrap();
    assert!(b["pseudonym"].as_str().unwrap().starts_with("M-"));
    assert!(b.get("name").is_none() && b.get("details").is_none());
    // Its own entry has its name.
    let a = list
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == id_a.as_str())
        .unwrap();
    assert_eq!(a["name"], "Umisaka Airways");
    // The coordinator and secretariat see names.
    for t in [&c.admin, &c.coordinator] {
        let (_, list) = app.get("/api/v1/members", t).await;
        assert!(list.to_string().contains("Gyokuren Medical Centre"));
    }
    // Pseudonyms are stable.
    let (_, again) = app.get(&format!("/api/v1/members/{id_b}"), &token_a).await;
    assert_eq!(again["pseudonym"], b["pseudonym"]);
}

async fn audit_chain_covers_every_change(app: &TestApp) {
    let c = council(app).await;
    let (id, token) = admitted(app, &c, "Fuyukumo Tsushin", "class2", false).await;
    app.post(
        &format!("/api/v1/members/{id}/withdraw"),
        Some(&token),
        json!({}),
    )
    .await;
    let (s, page) = app
        .get(
            &format!("/api/v1/audit?target={id}&limit=50"),
            &c.coordinator,
        )
        .await;
    assert_eq!(s, 200);
    let actions: Vec<&str> = page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in [
        "member.apply",
        "member.approve_vote",
        "member.activate",
        "member.withdraw",
    ] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
    let (s, _) = app.get("/api/v1/audit", &token).await;
    assert_eq!(s, 401);
    let (_, general) = admitted(app, &c, "Tobinase Holdings", "general", false).await;
    let (s, _) = app.get("/api/v1/audit", &general).await;
    assert_eq!(s, 403);
    assert!(app.store.verify_audit().await.unwrap().is_ok());
    // Paging walks backwards without overlap.
    let (_, p1) = app.get("/api/v1/audit?limit=3", &c.admin).await;
    let before = p1["next_before"].as_i64().unwrap();
    let (_, p2) = app
        .get(&format!("/api/v1/audit?limit=3&before={before}"), &c.admin)
        .await;
    assert!(
        p2["entries"][0]["seq"].as_i64().unwrap() < p1["entries"][2]["seq"].as_i64().unwrap() + 1
    );
    assert_eq!(p2["entries"][0]["seq"].as_i64().unwrap(), before - 1);
}

async fn openapi_is_public_and_declares_auth(app: &TestApp) {
    let (s, doc) = app.call("GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(s, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 15);
    assert_eq!(
        paths["/api/v1/me"]["get"]["security"],
        json!([{"bearer": []}])
    );
    assert_eq!(
        paths["/api/v1/applications"]["post"]["security"],
        json!([{}])
    );
    // Every operation says whether it needs auth.
    for (path, ops) in paths {
        for (method, op) in ops.as_object().unwrap() {
            assert!(
                op.get("security").is_some(),
                "{method} {path} declares its security"
            );
        }
    }
    let r = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
}
