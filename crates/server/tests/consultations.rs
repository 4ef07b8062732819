//! Consultations over HTTP on both backends (MISSION.md M2.6): any member asks the
//! class-1 group without revealing its name, class-1 task-force members reply under
//! per-consultation pseudonyms, only the asker closes it or turns it into an item.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Council, TestApp, admitted_in, council, login};
use serde_json::{Value, json};

on_both_backends!(
    a_vague_question_reaches_class1_without_the_asker,
    bad_input_is_refused_and_changes_nothing,
    only_the_asker_closes_and_shares,
);

/// A council with an asker and members of every kind that matters to the view.
struct Fixture {
    c: Council,
    asker: (String, String),
    expert: (String, String),
    expert2: (String, String),
    foreign_expert: (String, String),
    operator: (String, String),
    general: (String, String),
}

const ASKER_NAME: &str = "Mitsurabe Gas";

async fn fixture(app: &TestApp) -> Fixture {
    let c = council(app).await;
    let asker = admitted_in(app, &c, ASKER_NAME, "general", "gas", false).await;
    let expert = admitted_in(
        app,
        &c,
        "Aokirime Cyberworks",
        "class1",
        "security_vendor",
        false,
    )
    .await;
    let expert2 = admitted_in(app, &c, "Hoshigane Labs", "class1", "academia", false).await;
    let foreign_expert = admitted_in(
        app,
        &c,
        "Zenkiro Security",
        "class1",
        "security_vendor",
        true,
    )
    .await;
    let operator = admitted_in(app, &c, "Kuronagi Denryoku", "class2", "electricity", false).await;
    let general = admitted_in(app, &c, "Sorahashi Water", "general", "water", false).await;
    Fixture {
        c,
        asker,
        expert,
        expert2,
        foreign_expert,
        operator,
        general,
    }
}

fn question() -> Value {
    json!({
        "subject": "Something feels off",
        "text": "Odd logins on our VPN at night. Nothing concrete, but something feels off.",
        "indicators": [{"type": "ipv4", "value": " 203.0.113.9 "}],
    })
}

async fn ask(app: &TestApp, token: &str, body: Value) -> String {
    let (s, v) = app.post("/api/v1/consultations", Some(token), body).await;
    assert_eq!(s, 201, "{v}");
    v["id"].as_str().unwrap().to_owned()
}

/// The ids of the consultations in a member's listing.
async fn listed(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    let (s, page) = app
        .get(&format!("/api/v1/consultations{query}"), token)
        .await;
    assert_eq!(s, 200, "{page}");
    page["consultations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn pseudonym_of(app: &TestApp, f: &Fixture, member: &str) -> String {
    let (_, m) = app
        .get(&format!("/api/v1/members/{member}"), &f.c.coordinator)
        .await;
    m["pseudonym"].as_str().unwrap().to_owned()
}

async fn a_vague_question_reaches_class1_without_the_asker(app: &TestApp) {
    let f = fixture(app).await;
    let audit_before = app.audit_len().await;
    let (s, mine) = app
        .post("/api/v1/consultations", Some(&f.asker.1), question())
        .await;
    assert_eq!(s, 201, "{mine}");
    assert_eq!(
        app.audit_len().await,
        audit_before + 1,
        "opening is audited"
    );
    let id = mine["id"].as_str().unwrap().to_owned();
    assert_eq!(mine["audience"], "asker");
    assert_eq!(mine["mine"], true);
    assert_eq!(mine["asker"], f.asker.0.as_str());
    assert_eq!(mine["status"], "open");
    assert_eq!(
        mine["indicators"],
        json!([{"type": "ipv4", "value": "203.0.113.9"}])
    );
    let (_, audit) = app
        .get(&format!("/api/v1/audit?target={id}"), &f.c.coordinator)
        .await;
    assert_eq!(audit["entries"][0]["action"], "consultation.open");
    assert_eq!(audit["entries"][0]["actor_member"], f.asker.0.as_str());

    // Class-1 task-force members read it as relayed by the coordinator; nothing in
    // the bytes names the asker.
    let pseudonym = pseudonym_of(app, &f, &f.asker.0).await;
    let path = format!("/api/v1/consultations/{id}");
    for token in [&f.expert.1, &f.expert2.1, &f.c.admin] {
        assert_eq!(listed(app, token, "").await, [id.as_str()]);
        assert_eq!(listed(app, token, "?status=open").await, [id.as_str()]);
        assert!(listed(app, token, "?status=closed").await.is_empty());
        let (_, page) = app.get("/api/v1/consultations", token).await;
        let (s, seen) = app.get(&path, token).await;
        assert_eq!(s, 200);
        assert_eq!(seen["audience"], "expert");
        assert_eq!(seen["via"], "coordinator");
        assert_eq!(seen["mine"], false);
        assert!(seen.get("asker").is_none());
        assert_eq!(seen["text"], mine["text"]);
        assert_eq!(seen["indicators"], mine["indicators"]);
        for bytes in [seen.to_string(), page.to_string()] {
            assert!(!bytes.contains(&f.asker.0), "the asker's id leaked");
            assert!(!bytes.contains(ASKER_NAME), "the asker's name leaked");
            assert!(!bytes.contains(&pseudonym), "the asker's pseudonym leaked");
        }
    }

    // Everybody else: not found, exactly like an id that does not exist.
    let (_, made_up) = app
        .get(
            "/api/v1/consultations/01a20901-0000-7000-8000-000000000000",
            &f.operator.1,
        )
        .await;
    for token in [&f.operator.1, &f.general.1, &f.foreign_expert.1] {
        let (s, v) = app.get(&path, token).await;
        assert_eq!(s, 404);
        assert_eq!(v, made_up);
        assert!(listed(app, token, "").await.is_empty());
        let (s, _) = app
            .post(
                &format!("{path}/replies"),
                Some(token),
                json!({"text": "me too"}),
            )
            .await;
        assert_eq!(s, 404);
    }

    // Replies: per-consultation pseudonyms by order of first reply.
    let audit_before = app.audit_len().await;
    let (s, r) = app
        .post(
            &format!("{path}/replies"),
            Some(&f.expert.1),
            json!({"text": "Check for an exposed admin portal"}),
        )
        .await;
    assert_eq!(s, 201, "{r}");
    assert_eq!(
        app.audit_len().await,
        audit_before + 1,
        "replies are audited"
    );
    assert_eq!(r["replies"][0]["responder"], "Expert A");
    assert_eq!(r["replies"][0]["mine"], true);
    let (s, _) = app
        .post(
            &format!("{path}/replies"),
            Some(&f.expert2.1),
            json!({"text": "Same pattern here last week"}),
        )
        .await;
    assert_eq!(s, 201);
    let (s, _) = app
        .post(
            &format!("{path}/replies"),
            Some(&f.expert.1),
            json!({"text": "Rotate the VPN credentials"}),
        )
        .await;
    assert_eq!(s, 201);
    let (s, _) = app
        .post(
            &format!("{path}/replies"),
            Some(&f.c.coordinator),
            json!({"text": "Relayed to the task force"}),
        )
        .await;
    assert_eq!(s, 201);
    let (s, _) = app
        .post(
            &format!("{path}/replies"),
            Some(&f.asker.1),
            json!({"text": "thanks"}),
        )
        .await;
    assert_eq!(s, 403, "the asker does not reply to itself");

    let names = |v: &Value| -> Vec<String> {
        v["replies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["responder"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, back) = app.get(&path, &f.asker.1).await;
    assert_eq!(
        names(&back),
        ["Expert A", "Expert B", "Expert A", "Expert C"]
    );
    assert_eq!(
        back["replies"][0]["text"],
        "Check for an exposed admin portal"
    );
    let bytes = back.to_string();
    for responder in [&f.expert.0, &f.expert2.0, &f.c.coordinator_member] {
        assert!(
            !bytes.contains(responder.as_str()),
            "a responder's id reached the asker"
        );
    }
    assert!(back["replies"][0].get("responder_member").is_none());

    let (_, seen) = app.get(&path, &f.expert2.1).await;
    assert_eq!(
        names(&seen),
        ["Expert A", "Expert B", "Expert A", "Expert C"]
    );
    let mine: Vec<bool> = seen["replies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["mine"].as_bool().unwrap())
        .collect();
    assert_eq!(mine, [false, true, false, false]);
    let bytes = seen.to_string();
    assert!(!bytes.contains(&f.expert.0) && !bytes.contains(&f.asker.0));

    // The coordinator relays: it sees who asked and who replied.
    let (_, all) = app.get(&path, &f.c.coordinator).await;
    assert_eq!(all["audience"], "coordinator");
    assert_eq!(all["asker"], f.asker.0.as_str());
    let members: Vec<&str> = all["replies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["responder_member"].as_str().unwrap())
        .collect();
    assert_eq!(
        members,
        [
            f.expert.0.as_str(),
            f.expert2.0.as_str(),
            f.expert.0.as_str(),
            f.c.coordinator_member.as_str()
        ]
    );

    // Pseudonyms do not link across consultations: the second expert answers first
    // here and is "Expert A".
    let other = ask(app, &f.operator.1, question()).await;
    let other_path = format!("/api/v1/consultations/{other}");
    for token in [&f.expert2.1, &f.expert.1] {
        let (s, _) = app
            .post(
                &format!("{other_path}/replies"),
                Some(token),
                json!({"text": "advice"}),
            )
            .await;
        assert_eq!(s, 201);
    }
    let (_, v) = app.get(&other_path, &f.expert2.1).await;
    assert_eq!(v["replies"][0]["responder"], "Expert A");
    assert_eq!(v["replies"][0]["mine"], true);
    // Each asker lists its own only; experts list both, newest first.
    assert_eq!(listed(app, &f.asker.1, "").await, [id.as_str()]);
    assert_eq!(listed(app, &f.operator.1, "").await, [other.as_str()]);
    assert_eq!(
        listed(app, &f.expert.1, "").await,
        [other.as_str(), id.as_str()]
    );
    assert_eq!(
        listed(app, &f.c.coordinator, "?limit=1").await,
        [other.as_str()]
    );
    let (_, first) = app
        .get("/api/v1/consultations?limit=1", &f.c.coordinator)
        .await;
    let cursor = first["next_cursor"].as_str().unwrap();
    assert_eq!(
        listed(app, &f.c.coordinator, &format!("?limit=1&cursor={cursor}")).await,
        [id]
    );
}

async fn bad_input_is_refused_and_changes_nothing(app: &TestApp) {
    let f = fixture(app).await;
    let audit_before = app.audit_len().await;
    let cases = [
        (
            json!({"subject": "Odd traffic", "text": "see these", "indicators": [
                {"type": "ipv4", "value": "192.0.2.1"},
                {"type": "sha256", "value": "abc"},
            ]}),
            "indicators: [1]: invalid sha256",
        ),
        (
            json!({"subject": "Odd traffic", "text": "   "}),
            "text: must not be empty",
        ),
        (
            json!({"subject": " ", "text": "something feels off"}),
            "subject: must not be empty",
        ),
        (
            json!({"subject": "Odd traffic", "text": "x".repeat(20_001)}),
            "text: is 20001 characters long",
        ),
    ];
    for (body, detail) in cases {
        let (s, v) = app
            .post("/api/v1/consultations", Some(&f.asker.1), body)
            .await;
        assert_eq!(s, 422, "{v}");
        assert!(
            v["detail"].as_str().unwrap().starts_with(detail),
            "{detail}: {v}"
        );
    }
    let (s, v) = app
        .post(
            "/api/v1/consultations",
            Some(&f.asker.1),
            json!({"subject": "s", "text": "t", "asker": "someone else"}),
        )
        .await;
    assert!(s == 400 || s == 422, "{s} {v}");
    assert!(
        v["detail"].as_str().unwrap().contains("unknown field"),
        "{v}"
    );
    let (s, _) = app
        .call(
            "POST",
            "/api/v1/consultations",
            Some(&f.asker.1),
            Some(json!("not an object")),
        )
        .await;
    assert!(s == 400 || s == 422);
    let (s, _) = app
        .call("POST", "/api/v1/consultations", None, Some(question()))
        .await;
    assert_eq!(s, 401);
    let (s, _) = app
        .get("/api/v1/consultations?limit=0", &f.c.coordinator)
        .await;
    assert_eq!(s, 400);
    let (s, _) = app
        .get("/api/v1/consultations?status=pending", &f.c.coordinator)
        .await;
    assert_eq!(s, 400);
    let (s, _) = app
        .get("/api/v1/consultations/not-an-id", &f.c.coordinator)
        .await;
    assert_eq!(s, 404);

    assert_eq!(
        app.audit_len().await,
        audit_before,
        "refusals are not audited"
    );

    // A read-only user of the member cannot ask.
    let (s, _) = app
        .post(
            &format!("/api/v1/members/{}/users", f.asker.0),
            Some(&f.asker.1),
            json!({"login": "gas-reader", "password": "a long reader password", "role": "viewer"}),
        )
        .await;
    assert_eq!(s, 201);
    let reader = login(app, "gas-reader", "a long reader password").await;
    let audit_before = app.audit_len().await;
    let (s, _) = app
        .post("/api/v1/consultations", Some(&reader), question())
        .await;
    assert_eq!(s, 403);

    assert_eq!(app.audit_len().await, audit_before);
    assert!(
        listed(app, &f.c.coordinator, "").await.is_empty(),
        "nothing was stored"
    );

    // Bad replies store nothing either.
    let id = ask(app, &f.asker.1, question()).await;
    let path = format!("/api/v1/consultations/{id}");
    let audit_before_replies = app.audit_len().await;
    for (body, want) in [
        (json!({"text": "  "}), 422),
        (json!({"text": "ok", "responder": "someone"}), 422),
        (json!({}), 422),
    ] {
        let (s, v) = app
            .post(&format!("{path}/replies"), Some(&f.expert.1), body)
            .await;
        assert!(s == want || s == 400, "{s} {v}");
    }
    let (_, v) = app.get(&path, &f.c.coordinator).await;
    assert!(v["replies"].as_array().unwrap().is_empty());
    assert_eq!(app.audit_len().await, audit_before_replies);
}

async fn only_the_asker_closes_and_shares(app: &TestApp) {
    let f = fixture(app).await;
    let id = ask(app, &f.asker.1, question()).await;
    let path = format!("/api/v1/consultations/{id}");
    let (s, _) = app
        .post(
            &format!("{path}/replies"),
            Some(&f.expert.1),
            json!({"text": "It is a known campaign: block 203.0.113.9"}),
        )
        .await;
    assert_eq!(s, 201);
    let draft = json!({
        "kind": "countermeasure",
        "title": "Block 203.0.113.9 on VPN gateways",
        "countermeasures": "Block the address; rotate VPN credentials",
        "indicators": [{"type": "ipv4", "value": "203.0.113.9"}],
        "confidence": "confirmed",
        "tlp": "green",
        "scope": {"classes": ["class1", "class2", "general"]},
    });

    // Only the asker shares or closes: a class-1 member that sees the consultation
    // is refused, anybody else does not find it.
    for (token, want) in [
        (&f.expert.1, 403),
        (&f.c.coordinator, 403),
        (&f.operator.1, 404),
        (&f.general.1, 404),
    ] {
        let (s, _) = app
            .post(&format!("{path}/share"), Some(token), draft.clone())
            .await;
        assert_eq!(s, want);
        let (s, _) = app
            .post(&format!("{path}/close"), Some(token), json!({}))
            .await;
        assert_eq!(s, want);
    }
    let (s, _) = app
        .post(
            &format!("{path}/share"),
            Some(&f.asker.1),
            json!({"kind": "countermeasure", "title": "t", "confidence": "confirmed", "tlp": "green",
                   "scope": {"classes": ["general"]},
                   "indicators": [{"type": "ipv4", "value": "203.0.113.999"}]}),
        )
        .await;
    assert_eq!(s, 422);
    let (_, v) = app.get(&path, &f.asker.1).await;
    assert!(v.get("shared_item").is_none(), "a bad item links nothing");

    let audit_before = app.audit_len().await;
    let (s, item) = app
        .post(&format!("{path}/share"), Some(&f.asker.1), draft.clone())
        .await;
    assert_eq!(s, 201, "{item}");
    assert_eq!(
        app.audit_len().await,
        audit_before + 2,
        "item.create and consultation.share"
    );
    let item_id = item["id"].as_str().unwrap().to_owned();
    assert_eq!(item["audience"], "full");
    assert_eq!(item["provider"], f.asker.0.as_str());
    let (s, _) = app
        .post(&format!("{path}/share"), Some(&f.asker.1), draft)
        .await;
    assert_eq!(s, 409, "shared once");

    // The item is visible per the item view, never naming the asker.
    let item_path = format!("/api/v1/items/{item_id}");
    for (token, audience) in [
        (&f.operator.1, "class2"),
        (&f.general.1, "general"),
        (&f.expert.1, "class1"),
    ] {
        let (s, v) = app.get(&item_path, token).await;
        assert_eq!(s, 200);
        assert_eq!(v["audience"], audience);
        assert!(v.get("provider").is_none());
        assert!(!v.to_string().contains(&f.asker.0));
    }
    let (_, v) = app.get(&item_path, &f.c.coordinator).await;
    assert_eq!(v["provider"], f.asker.0.as_str());

    // The link shows for the asker and the coordinator only.
    let (_, v) = app.get(&path, &f.asker.1).await;
    assert_eq!(v["shared_item"], item_id.as_str());
    let (_, v) = app.get(&path, &f.c.coordinator).await;
    assert_eq!(v["shared_item"], item_id.as_str());
    let (_, v) = app.get(&path, &f.expert.1).await;
    assert!(v.get("shared_item").is_none());
    assert!(!v.to_string().contains(&item_id));

    // Closing: the asker only, once; then no more replies.
    let (s, v) = app
        .post(&format!("{path}/close"), Some(&f.asker.1), json!({}))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "closed");
    let (s, _) = app
        .post(&format!("{path}/close"), Some(&f.asker.1), json!({}))
        .await;
    assert_eq!(s, 409);
    let (s, _) = app
        .post(
            &format!("{path}/replies"),
            Some(&f.expert2.1),
            json!({"text": "late advice"}),
        )
        .await;
    assert_eq!(s, 409);
    assert_eq!(
        listed(app, &f.expert.1, "?status=closed").await,
        [id.as_str()]
    );
    assert!(listed(app, &f.expert.1, "?status=open").await.is_empty());
    let (_, v) = app.get(&path, &f.expert.1).await;
    assert_eq!(v["replies"].as_array().unwrap().len(), 1);
}
