//! Governance over HTTP on both backends (MISSION.md M1.5, M1.6): a declaration of a
//! large-scale cyber attack needs two different committee members and gates binding
//! requests for information; members answer, late answers are marked, the coordinator
//! tracks who answered; a general-assembly vote runs from opening to a published,
//! secret, verifiable result.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Db, TestApp, admitted_in, council, fast, login, until};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

/// RFC 3339 text `secs` seconds from now.
fn in_secs(secs: i64) -> String {
    (OffsetDateTime::now_utc() + Duration::seconds(secs))
        .format(&Rfc3339)
        .unwrap()
}

fn detail(v: &Value) -> &str {
    v["detail"].as_str().unwrap()
}

fn ids(list: &Value, key: &str) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|x| x[key].as_str().unwrap().to_owned())
        .collect()
}

async fn declaration_gates_binding_requests(db: Db) {
    let Some(app) = TestApp::spawn_with(db, fast()).await else {
        return;
    };
    let c = council(&app).await;
    let (power, power_t) =
        admitted_in(&app, &c, "Kirishiro Power", "class2", "electricity", false).await;
    let (gas, gas_t) = admitted_in(&app, &c, "Higashi Gas", "class2", "gas", false).await;
    let (vendor, _) = admitted_in(
        &app,
        &c,
        "Aokaze Security",
        "class1",
        "security_vendor",
        false,
    )
    .await;
    let (_, rail_t) = admitted_in(&app, &c, "Minato Rail", "class2", "railway", false).await;
    let binding = json!({
        "title": "Control-network indicators", "question": "Report connections from 198.51.100.23",
        "target": {"sectors": ["electricity", "gas"], "members": [vendor]}, "binding": true
    });

    // Refused without changing anything: a non-committee member, bad input, and a
    // binding request while no declaration is in force.
    let before = app.audit_len().await;
    let (s, v) = app
        .post(
            "/api/v1/declarations",
            Some(&power_t),
            json!({"reason": "DDoS"}),
        )
        .await;
    assert_eq!(s, 403, "{v}");
    let (s, v) = app
        .post(
            "/api/v1/declarations",
            Some(&c.admin),
            json!({"reason": "  "}),
        )
        .await;
    assert_eq!(s, 422);
    assert!(detail(&v).starts_with("reason:"), "{v}");
    let (s, v) = app
        .post(
            "/api/v1/declarations",
            Some(&c.admin),
            json!({"reason": "DDoS", "ends_at": in_secs(-60)}),
        )
        .await;
    assert_eq!(s, 422);
    assert!(detail(&v).starts_with("ends_at:"), "{v}");
    let (s, v) = app
        .post("/api/v1/rfis", Some(&c.coordinator), binding.clone())
        .await;
    assert_eq!(s, 409);
    assert!(detail(&v).contains("declaration"), "{v}");
    let (s, v) = app
        .post(
            "/api/v1/rfis",
            Some(&c.coordinator),
            json!({"title": "t", "question": "q", "target": {"members": [c.coordinator_member.clone()]}}),
        )
        .await;
    assert_eq!(s, 422);
    assert!(detail(&v).starts_with("target:"), "{v}");
    let (s, v) = app
        .post(
            "/api/v1/rfis",
            Some(&c.coordinator),
            json!({"title": "t", "question": "q", "target": {"members": ["0190aaaa-0000-7000-8000-000000000000"]}}),
        )
        .await;
    assert_eq!(s, 422);
    assert!(detail(&v).starts_with("target.members:"), "{v}");
    let (s, _) = app
        .post(
            "/api/v1/rfis",
            Some(&c.admin),
            json!({"title": "t", "question": "q", "target": {"all": true}}),
        )
        .await;
    assert_eq!(s, 403);
    assert_eq!(app.audit_len().await, before);

    // Outside a declaration, requests are voluntary and marked so.
    let (s, voluntary) = app
        .post(
            "/api/v1/rfis",
            Some(&c.coordinator),
            json!({"title": "Phishing kit", "question": "Seen it?", "target": {"sectors": ["electricity"]}}),
        )
        .await;
    assert_eq!(s, 201, "{voluntary}");
    assert_eq!(voluntary["binding"], false);
    assert_eq!(voluntary["recipients"], 1);
    let (_, mine) = app.get("/api/v1/rfis", &power_t).await;
    assert_eq!(mine[0]["binding"], false);
    assert!(mine[0].get("target").is_none(), "{mine}");

    // One committee member proposes: pending, invisible to members, not in force.
    let (s, d) = app
        .post(
            "/api/v1/declarations",
            Some(&c.admin),
            json!({"reason": "Wiper campaign against grid operators", "ends_at": in_secs(8)}),
        )
        .await;
    assert_eq!(s, 201, "{d}");
    assert_eq!(d["status"], "proposed");
    assert_eq!(
        (d["approvals"].as_u64(), d["approvals_required"].as_u64()),
        (Some(1), Some(2))
    );
    let did = d["id"].as_str().unwrap().to_owned();
    let (s, _) = app
        .post("/api/v1/rfis", Some(&c.coordinator), binding.clone())
        .await;
    assert_eq!(s, 409);
    let (s, _) = app
        .get(&format!("/api/v1/declarations/{did}"), &power_t)
        .await;
    assert_eq!(s, 404);
    let before = app.audit_len().await;
    let (s, v) = app
        .post(
            &format!("/api/v1/declarations/{did}/confirm"),
            Some(&c.admin),
            json!({}),
        )
        .await;
    assert_eq!(s, 409);
    assert!(detail(&v).contains("different committee member"), "{v}");
    let (s, _) = app
        .post(
            &format!("/api/v1/declarations/{did}/confirm"),
            Some(&power_t),
            json!({}),
        )
        .await;
    assert_eq!(s, 403);
    assert_eq!(app.audit_len().await, before);

    // A second, different committee member confirms: in force; binding requests go out.
    let (s, d) = app
        .post(
            &format!("/api/v1/declarations/{did}/confirm"),
            Some(&c.coordinator),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(d["status"], "in_force");
    assert_eq!(d["approvals"], 2);
    let (s, rfi) = app
        .post("/api/v1/rfis", Some(&c.coordinator), binding.clone())
        .await;
    assert_eq!(s, 201, "{rfi}");
    assert_eq!(rfi["binding"], true);
    assert_eq!(rfi["declaration_id"], did.as_str());
    assert_eq!(rfi["recipients"], 3);
    let rid = rfi["id"].as_str().unwrap().to_owned();
    let (s, a) = app
        .post(
            &format!("/api/v1/rfis/{rid}/answers"),
            Some(&power_t),
            json!({"text": "14 attempts from 198.51.100.23, blocked"}),
        )
        .await;
    assert_eq!(s, 201, "{a}");
    assert_eq!(a["late"], false);

    // The declaration ends; binding requests are refused again; a late answer is kept
    // and marked.
    until("the declaration to end", || async {
        let (_, d) = app
            .get(&format!("/api/v1/declarations/{did}"), &power_t)
            .await;
        d["status"] == "ended"
    })
    .await;
    let (s, _) = app
        .post("/api/v1/rfis", Some(&c.coordinator), binding.clone())
        .await;
    assert_eq!(s, 409);
    let (s, a) = app
        .post(
            &format!("/api/v1/rfis/{rid}/answers"),
            Some(&gas_t),
            json!({"text": "Not seen on our control network"}),
        )
        .await;
    assert_eq!(s, 201, "{a}");
    assert_eq!(a["late"], true);

    // Bad answers change nothing.
    let before = app.audit_len().await;
    let (s, v) = app
        .post(
            &format!("/api/v1/rfis/{rid}/answers"),
            Some(&power_t),
            json!({"text": "see item", "items": ["0190aaaa-0000-7000-8000-000000000000"]}),
        )
        .await;
    assert_eq!(s, 422);
    assert!(detail(&v).starts_with("items:"), "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/rfis/{rid}/answers"),
            Some(&power_t),
            json!({"text": ""}),
        )
        .await;
    assert_eq!(s, 422);
    assert!(detail(&v).starts_with("text:"), "{v}");

    // An untargeted member learns nothing; the addressee sees its own answers only.
    for (method, body) in [("GET", None), ("POST", Some(json!({"text": "hello"})))] {
        let path = if method == "GET" {
            format!("/api/v1/rfis/{rid}")
        } else {
            format!("/api/v1/rfis/{rid}/answers")
        };
        let (s, _) = app.call(method, &path, Some(&rail_t), body).await;
        assert_eq!(s, 404);
    }
    let (_, rail_list) = app.get("/api/v1/rfis", &rail_t).await;
    assert_eq!(rail_list, json!([]));
    let (s, _) = app
        .get(&format!("/api/v1/rfis/{rid}/tracking"), &power_t)
        .await;
    assert_eq!(s, 403);
    assert_eq!(app.audit_len().await, before);
    let (_, mine) = app.get(&format!("/api/v1/rfis/{rid}"), &power_t).await;
    assert_eq!(mine["binding"], true);
    assert_eq!(mine["my_answers"].as_array().unwrap().len(), 1);
    assert!(mine.get("target").is_none() && mine.get("recipients").is_none());

    // The coordinator tracks who answered (by name) and who has not.
    let (s, t) = app
        .get(&format!("/api/v1/rfis/{rid}/tracking"), &c.coordinator)
        .await;
    assert_eq!(s, 200, "{t}");
    assert_eq!(t["recipients"], 3);
    let mut answered = ids(&t["answered"], "member_id");
    answered.sort();
    let mut expected = vec![power.clone(), gas.clone()];
    expected.sort();
    assert_eq!(answered, expected);
    assert_eq!(ids(&t["not_answered"], "member_id"), vec![vendor.clone()]);
    assert_eq!(t["not_answered"][0]["name"], "Aokaze Security");
    let late: Vec<bool> = t["answered"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["answers"][0]["late"].as_bool().unwrap())
        .collect();
    assert_eq!(late.iter().filter(|l| **l).count(), 1);

    // The committee can end a declaration early; from then on requests are voluntary.
    let (_, d2) = app
        .post(
            "/api/v1/declarations",
            Some(&c.coordinator),
            json!({"reason": "Second wave"}),
        )
        .await;
    let d2 = d2["id"].as_str().unwrap().to_owned();
    let (s, _) = app
        .post(
            &format!("/api/v1/declarations/{d2}/end"),
            Some(&c.admin),
            json!({}),
        )
        .await;
    assert_eq!(s, 409, "a proposal is not in force");
    let (s, _) = app
        .post(
            &format!("/api/v1/declarations/{d2}/confirm"),
            Some(&c.admin),
            json!({}),
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = app
        .post(
            &format!("/api/v1/declarations/{d2}/end"),
            Some(&power_t),
            json!({}),
        )
        .await;
    assert_eq!(s, 403);
    let (s, ended) = app
        .post(
            &format!("/api/v1/declarations/{d2}/end"),
            Some(&c.admin),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{ended}");
    assert_eq!(
        (ended["status"].as_str(), ended["ended_early"].as_bool()),
        (Some("ended"), Some(true))
    );
    let (s, _) = app
        .post("/api/v1/rfis", Some(&c.coordinator), binding)
        .await;
    assert_eq!(s, 409);
    let (_, all) = app.get("/api/v1/declarations", &gas_t).await;
    assert_eq!(all.as_array().unwrap().len(), 2);
    assert!(all[0].get("proposed_by").is_none(), "{all}");
    app.finish().await;
}

async fn vote_from_opening_to_result(db: Db) {
    let Some(app) = TestApp::spawn_with(db, fast()).await else {
        return;
    };
    let c = council(&app).await;
    let (m1, t1) = admitted_in(&app, &c, "Kirishiro Power", "class2", "electricity", false).await;
    let (m2, t2) = admitted_in(&app, &c, "Wakatsuge Bank", "general", "finance", false).await;
    let (m3, t3) = admitted_in(
        &app,
        &c,
        "Aokaze Security",
        "class1",
        "security_vendor",
        false,
    )
    .await;
    let (s, _) = app
        .post(
            &format!("/api/v1/members/{m1}/users"),
            Some(&t1),
            json!({"login": "kirishiro-analyst", "password": "a long analyst password", "role": "analyst"}),
        )
        .await;
    assert_eq!(s, 201);
    let analyst = login(&app, "kirishiro-analyst", "a long analyst password").await;
    let vote = |choices: Value, closes_at: String| json!({"question": "Amend article 12 (electronic general assemblies)?", "choices": choices, "closes_at": closes_at});

    // Only the secretariat opens; bad forms name the field; nothing changes.
    let before = app.audit_len().await;
    let (s, _) = app
        .post(
            "/api/v1/votes",
            Some(&c.coordinator),
            vote(json!(["For", "Against"]), in_secs(60)),
        )
        .await;
    assert_eq!(s, 403);
    for (choices, closes, field) in [
        (json!(["For"]), in_secs(60), "choices:"),
        (json!(vec!["x"; 21]), in_secs(60), "choices:"),
        (json!(["For", "for"]), in_secs(60), "choices:"),
        (json!(["For", "Against"]), in_secs(-1), "closes_at:"),
    ] {
        let (s, v) = app
            .post("/api/v1/votes", Some(&c.admin), vote(choices, closes))
            .await;
        assert_eq!(s, 422, "{v}");
        assert!(detail(&v).starts_with(field), "{v}");
    }
    assert_eq!(app.audit_len().await, before);

    let (s, opened) = app
        .post(
            "/api/v1/votes",
            Some(&c.admin),
            vote(json!(["For", "Against", "Abstain"]), in_secs(8)),
        )
        .await;
    assert_eq!(s, 201, "{opened}");
    let vid = opened["id"].as_str().unwrap().to_owned();
    let ballots = format!("/api/v1/votes/{vid}/ballots");
    let results = format!("/api/v1/votes/{vid}/results");

    // A user who is not an admin cannot vote; results are hidden while open.
    let before = app.audit_len().await;
    let (s, v) = app
        .post(&ballots, Some(&analyst), json!({"choice": 0}))
        .await;
    assert_eq!(s, 403);
    assert!(detail(&v).contains("admin"), "{v}");
    let (s, v) = app.post(&ballots, Some(&t2), json!({"choice": 3})).await;
    assert_eq!(s, 422);
    assert!(detail(&v).starts_with("choice:"), "{v}");
    let (s, _) = app.get(&results, &t1).await;
    assert_eq!(s, 403);
    let (_, open) = app.get(&format!("/api/v1/votes/{vid}"), &t1).await;
    assert_eq!(open["closed"], false);
    assert!(open.get("results").is_none(), "{open}");
    assert_eq!(app.audit_len().await, before);

    // One ballot per member; a second is refused, not replaced.
    let mut receipts = Vec::new();
    for (token, choice) in [(&t1, 0), (&t2, 1), (&t3, 0), (&c.admin, 2)] {
        let (s, r) = app
            .post(&ballots, Some(token), json!({"choice": choice}))
            .await;
        assert_eq!(s, 201, "{r}");
        let code = r["receipt"].as_str().unwrap().to_owned();
        assert_eq!(code.len(), 32);
        assert_eq!(
            r["receipt_hash"],
            hex::encode(Sha256::digest(code.as_bytes()))
        );
        receipts.push((code, choice));
    }
    let before = app.audit_len().await;
    let (s, v) = app.post(&ballots, Some(&t1), json!({"choice": 1})).await;
    assert_eq!(s, 409);
    assert!(detail(&v).contains("your member already voted at"), "{v}");
    assert_eq!(app.audit_len().await, before);
    let (_, mine) = app.get(&format!("/api/v1/votes/{vid}"), &t1).await;
    assert!(mine["my_member_voted_at"].is_string(), "{mine}");

    // After closing: no more ballots; the tally and the bulletin board are published.
    until("the vote to close", || async {
        app.get(&results, &t1).await.0 == 200
    })
    .await;
    let (s, v) = app
        .post(&ballots, Some(&c.coordinator), json!({"choice": 0}))
        .await;
    assert_eq!(s, 409);
    assert!(detail(&v).contains("closed"), "{v}");
    let (_, r) = app.get(&results, &t2).await;
    let counts: Vec<u64> = r["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["count"].as_u64().unwrap())
        .collect();
    assert_eq!(counts, vec![2, 1, 1]);
    assert_eq!(r["counts"][1]["choice"], "Against");
    assert_eq!(r["ballots"], 4);
    assert_eq!(r["electorate"], 5);
    assert!((r["turnout"].as_f64().unwrap() - 0.8).abs() < 1e-9);
    let board = r["board"].as_array().unwrap();
    assert_eq!(board.len(), 4);
    for (code, choice) in &receipts {
        let hash = hex::encode(Sha256::digest(code.as_bytes()));
        let line = board
            .iter()
            .find(|b| b["receipt_hash"] == hash.as_str())
            .unwrap();
        assert_eq!(line["choice"], *choice, "each member finds its own vote");
    }

    // Nothing published says which member voted for what.
    let (_, closed) = app
        .get(&format!("/api/v1/votes/{vid}"), &c.coordinator)
        .await;
    assert_eq!(closed["results"], r);
    let (_, list) = app.get("/api/v1/votes", &c.coordinator).await;
    for text in [r.to_string(), list.to_string()] {
        for id in [&m1, &m2, &m3, &c.admin_member, &c.coordinator_member] {
            assert!(!text.contains(id.as_str()), "{text} names {id}");
        }
        for (code, _) in &receipts {
            assert!(!text.contains(code.as_str()));
        }
    }
    let (_, doc) = app.call("GET", "/api/v1/openapi.json", None, None).await;
    for path in [
        "/api/v1/declarations/{id}/confirm",
        "/api/v1/rfis/{id}/tracking",
        "/api/v1/votes/{id}/ballots",
        "/api/v1/votes/{id}/results",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} is documented");
    }
    app.finish().await;
}

async fn demo_content(db: Db) {
    let Some(app) = TestApp::spawn_with(db, fast()).await else {
        return;
    };
    let c = council(&app).await;
    let (_, power_t) =
        admitted_in(&app, &c, "Kirishiro Power", "class2", "electricity", false).await;
    let (_, vendor_t) = admitted_in(
        &app,
        &c,
        "Aokaze Security",
        "class1",
        "security_vendor",
        false,
    )
    .await;
    let founded = app
        .store
        .members(Some(tsunagu_core::member::MemberStatus::Active))
        .await
        .unwrap();
    let mut sharers = Vec::new();
    for m in &founded {
        sharers.push((m.id, app.store.users_of(m.id).await.unwrap()[0].id));
    }
    tsunagu_server::demo_governance::populate(&app.store, &founded, &sharers)
        .await
        .unwrap();
    let (_, decls) = app.get("/api/v1/declarations", &power_t).await;
    assert_eq!(decls[0]["status"], "ended", "{decls}");
    let (_, rfis) = app.get("/api/v1/rfis", &c.coordinator).await;
    let binding: Vec<bool> = rfis
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["binding"].as_bool().unwrap())
        .collect();
    assert_eq!(binding, vec![false, true]);
    let (_, mine) = app.get("/api/v1/rfis", &power_t).await;
    assert_eq!(mine[0]["my_answers"][0]["late"], false, "{mine}");
    let (_, theirs) = app.get("/api/v1/rfis", &vendor_t).await;
    assert_eq!(theirs[0]["binding"], false, "{theirs}");
    assert_eq!(theirs[0]["my_answers"].as_array().unwrap().len(), 1);
    let (_, votes) = app.get("/api/v1/votes", &power_t).await;
    assert_eq!(votes[0]["closed"], false, "{votes}");
    assert_eq!(votes[0]["choices"].as_array().unwrap().len(), 3);
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_declaration_gates_binding_requests() {
    declaration_gates_binding_requests(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_declaration_gates_binding_requests() {
    declaration_gates_binding_requests(Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_vote_from_opening_to_result() {
    vote_from_opening_to_result(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_vote_from_opening_to_result() {
    vote_from_opening_to_result(Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_demo_content() {
    demo_content(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_demo_content() {
    demo_content(Db::Postgres).await;
}
