//! The task-force loop (MISSION.md M1.3, M1.4, M2.4, M2.5), driven over HTTP on both
//! backends through seed 004's WannaCry story: an unconfirmed analysis, sightings from
//! class 2, a supplement from class 1, promotion to the countermeasure everyone needs
//! before Monday morning, and the ledger of who contributed.

#![allow(clippy::unwrap_used)]

mod common;

use common::{TestApp, admitted_in, council};
use serde_json::{Value, json};

on_both_backends!(wannacry_weekend);

const WANNACRY_SHA256: &str = "24d004a104d4d54034dbcffc2a4b19a11f39008a575aa614ea04703480b1022c";

async fn wannacry_weekend(app: &TestApp) {
    let c = council(app).await;
    let (vendor_a, a) = admitted_in(
        app,
        &c,
        "Hoshizuna Cyberworks",
        "class1",
        "security_vendor",
        false,
    )
    .await;
    let (_, b) = admitted_in(
        app,
        &c,
        "Tsukimaru Institute of Technology",
        "class1",
        "academia",
        false,
    )
    .await;
    let (op1_id, op1) = admitted_in(
        app,
        &c,
        "Kuronagi Medical Centre",
        "class2",
        "medical",
        false,
    )
    .await;
    let (op2_id, op2) = admitted_in(app, &c, "Sorahashi Railway", "class2", "railway", false).await;
    let (_, op3) = admitted_in(app, &c, "Yorikaze Denryoku", "class2", "electricity", false).await;
    let (_, foreign) = admitted_in(app, &c, "Zenkiro Logistics", "class2", "logistics", true).await;
    let (_, general) = admitted_in(app, &c, "Hamuteru Gas", "general", "gas", false).await;

    // Saturday: a class-1 member shares what it is not yet sure of, victim masked.
    let (s, analysis) = app
        .post(
            "/api/v1/items",
            Some(&a),
            json!({
                "kind": "analysis", "title": "SMBv1 worm encrypting hospital PCs at boot",
                "executive_context": "PCs are infected the moment they boot on the hospital network",
                "technical_details": "Spreads over TCP 445 using EternalBlue; drops tasksche.exe",
                "countermeasures": "Do not boot unpatched PCs; block TCP 445 at the perimeter",
                "victim": {"name": "Kuronagi Medical Centre", "sector": "medical", "damaged": true, "damage_details": "300 PCs encrypted"},
                "indicators": [{"type": "sha256", "value": WANNACRY_SHA256}],
                "techniques": ["T1210", "T1486"], "cves": ["CVE-2017-0144"],
                "confidence": "unconfirmed", "tlp": "amber", "scope": {"classes": ["class1", "class2"]}
            }),
        )
        .await;
    assert_eq!(s, 201, "{analysis}");
    let analysis_id = analysis["id"].as_str().unwrap().to_owned();
    let fb = format!("/api/v1/items/{analysis_id}/feedback");

    // The task force owes feedback; others do not even see the item.
    let (_, owed) = app.get("/api/v1/feedback/owed", &op3).await;
    assert!(owed.to_string().contains(&analysis_id));
    assert!(owed[0]["deadline"].as_str().is_some());
    let (_, owed_general) = app.get("/api/v1/feedback/owed", &general).await;
    assert_eq!(owed_general, json!([]));
    assert_eq!(
        app.post(&fb, Some(&general), json!({"sighting": "seen"}))
            .await
            .0,
        404
    );
    assert_eq!(
        app.post(&fb, Some(&foreign), json!({"sighting": "seen"}))
            .await
            .0,
        404,
        "outside the TF, it never saw the item"
    );

    // Class 2 answers 来ている / 来ていない; class 1 supplements.
    let (s, v) = app
        .post(
            &fb,
            Some(&op1),
            json!({"sighting": "seen", "count": 12, "comment": "two wards"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert!(v["responder"].as_str().unwrap().starts_with("R-"));
    assert_eq!(v["on_time"], true);
    assert_eq!(
        app.post(&fb, Some(&op2), json!({"sighting": "not_seen"}))
            .await
            .0,
        201
    );
    let (s, v) = app
        .post(&fb, Some(&op2), json!({"opinion": "agree", "comment": "x"}))
        .await;
    assert_eq!(s, 422, "class 2 answers with a sighting: {v}");
    let (s, _) = app
        .post(&fb, Some(&b), json!({"opinion": "supplement", "comment": "Kill-switch domain stops it; check DNS logs"}))
        .await;
    assert_eq!(s, 201);
    assert_eq!(
        app.post(&fb, Some(&b), json!({"opinion": "agree"})).await.0,
        422,
        "an opinion needs its text"
    );
    assert_eq!(
        app.post(
            &fb,
            Some(&a),
            json!({"opinion": "agree", "comment": "mine"})
        )
        .await
        .0,
        403,
        "not on one's own item"
    );
    // A second answer replaces the first; both are kept.
    let (s, again) = app
        .post(&fb, Some(&op1), json!({"sighting": "seen", "count": 15}))
        .await;
    assert_eq!(s, 201);
    assert_eq!(
        app.store
            .feedback_history_len(analysis_id.parse().unwrap(), op1_id.parse().unwrap())
            .await
            .unwrap(),
        2
    );

    // The provider weighs the answers without learning who gave them.
    let (s, summary) = app.get(&fb, &a).await;
    assert_eq!(s, 200);
    assert_eq!(summary["tally"]["seen"], 1);
    assert_eq!(summary["tally"]["seen_count"], 15);
    assert_eq!(summary["tally"]["not_seen"], 1);
    assert_eq!(summary["tally"]["supplement"], 1);
    assert_eq!(summary["answers"].as_array().unwrap().len(), 3);
    assert_eq!(summary["unanswered_at_deadline"], false);
    let text = summary.to_string();
    assert!(
        !text.contains(&op1_id) && !text.contains(&op2_id),
        "responders are pseudonymous"
    );
    assert!(text.contains(again["responder"].as_str().unwrap()));
    assert_eq!(
        app.get(&fb, &op1).await.0,
        403,
        "recipients do not see others' answers"
    );
    let (_, owed) = app.get("/api/v1/feedback/owed", &op1).await;
    assert!(
        !owed.to_string().contains(&analysis_id),
        "answered items are no longer owed"
    );

    // Pseudonyms do not link a responder across items.
    let (_, second) = app
        .post("/api/v1/items", Some(&a), json!({"kind": "threat_information", "title": "Scanning on 445", "confidence": "probable", "tlp": "green", "scope": {"classes": ["class1", "class2"]}}))
        .await;
    let second_id = second["id"].as_str().unwrap().to_owned();
    let (_, other) = app
        .post(
            &format!("/api/v1/items/{second_id}/feedback"),
            Some(&op1),
            json!({"sighting": "unknown"}),
        )
        .await;
    assert_ne!(other["responder"], again["responder"]);
    // Feedback after retraction is refused with a reason.
    assert_eq!(
        app.post(
            &format!("/api/v1/items/{second_id}/retract"),
            Some(&a),
            json!({})
        )
        .await
        .0,
        200
    );
    let (s, v) = app
        .post(
            &format!("/api/v1/items/{second_id}/feedback"),
            Some(&op2),
            json!({"sighting": "seen"}),
        )
        .await;
    assert_eq!(s, 409);
    assert!(v["detail"].as_str().unwrap().contains("retracted"));

    // Sunday: the analysis becomes the countermeasure every member needs.
    let countermeasure = json!({
        "kind": "countermeasure", "title": "Do not boot unpatched PCs; apply MS17-010",
        "executive_context": "A worm encrypts Windows PCs as they boot. Act before Monday morning.",
        "countermeasures": "Keep PCs off the network until MS17-010 is applied; block TCP 445; disable SMBv1.",
        "cves": ["CVE-2017-0144"], "confidence": "confirmed", "tlp": "clear",
        "scope": {"classes": ["class1", "class2", "general"]}
    });
    let (s, _) = app
        .post(
            "/api/v1/promotions",
            Some(&op1),
            json!({"sources": [analysis_id], "item": countermeasure}),
        )
        .await;
    assert_eq!(s, 403, "class 2 does not promote");
    let mut unconfirmed = countermeasure.clone();
    unconfirmed["confidence"] = json!("probable");
    assert_eq!(
        app.post(
            "/api/v1/promotions",
            Some(&b),
            json!({"sources": [analysis_id], "item": unconfirmed})
        )
        .await
        .0,
        422
    );
    assert_eq!(
        app.post(
            "/api/v1/promotions",
            Some(&b),
            json!({"sources": [], "item": countermeasure})
        )
        .await
        .0,
        422
    );
    let (s, promoted) = app
        .post(
            "/api/v1/promotions",
            Some(&b),
            json!({"sources": [analysis_id], "item": countermeasure}),
        )
        .await;
    assert_eq!(s, 201, "{promoted}");
    let cm_id = promoted["id"].as_str().unwrap().to_owned();

    // General members see the countermeasure and nothing of where it came from.
    let (_, page) = app.get("/api/v1/items?limit=200", &general).await;
    let seen: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(seen, vec![cm_id.as_str()]);
    let (s, cm) = app.get(&format!("/api/v1/items/{cm_id}"), &general).await;
    assert_eq!(s, 200);
    assert_eq!(cm["title"], "Do not boot unpatched PCs; apply MS17-010");
    assert!(!cm.to_string().contains(&analysis_id));
    let (s, v) = app
        .get(&format!("/api/v1/items/{cm_id}/sources"), &general)
        .await;
    assert_eq!(s, 403);
    assert!(!v.to_string().contains(&analysis_id));
    assert_eq!(
        app.get(&format!("/api/v1/items/{cm_id}/sources"), &b)
            .await
            .0,
        403,
        "even the promoter: the coordinator only"
    );
    let (s, src) = app
        .get(&format!("/api/v1/items/{cm_id}/sources"), &c.coordinator)
        .await;
    assert_eq!(s, 200);
    assert_eq!(src[0]["id"], analysis_id.as_str());
    assert_eq!(src[0]["victim"]["name"], "Kuronagi Medical Centre");

    // The ledger shows who gave and who only took.
    let (_, me_a) = app.get("/api/v1/ledger/me", &a).await;
    assert_eq!(me_a["standing"]["originals"], 2);
    let (_, me_op1) = app.get("/api/v1/ledger/me", &op1).await;
    assert_eq!(me_op1["standing"]["feedback_on_time"], 1);
    assert_eq!(
        me_op1["standing"]["tf_items_received"], 1,
        "the retracted item no longer counts"
    );
    let (_, me_op3) = app.get("/api/v1/ledger/me", &op3).await;
    assert_eq!(me_op3["standing"]["feedback_owed"], 1, "{me_op3}");
    let (s, ledger) = app.get("/api/v1/ledger", &c.admin).await;
    assert_eq!(s, 200);
    let line = ledger
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["member"] == vendor_a.as_str())
        .unwrap();
    assert_eq!(line["standing"]["originals"], 2);
    assert_eq!(app.get("/api/v1/ledger", &op1).await.0, 403);

    // The committee moves a member out of the task force: it no longer sees TF items.
    let (_, op3_me) = app.get("/api/v1/me", &op3).await;
    let op3_id = op3_me["member"]["id"].as_str().unwrap().to_owned();
    let suspend = format!("/api/v1/members/{op3_id}/task-force-suspension");
    assert_eq!(
        app.post(&suspend, Some(&op1), json!({"suspended": true}))
            .await
            .0,
        403
    );
    let (s, v) = app
        .post(
            &suspend,
            Some(&c.admin),
            json!({"suspended": true, "reason": "never answers"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        app.get(&format!("/api/v1/items/{analysis_id}"), &op3)
            .await
            .0,
        404
    );
    assert_eq!(
        app.get("/api/v1/ledger/me", &op3).await.1["in_task_force"],
        false
    );
    assert_eq!(
        app.post(&suspend, Some(&c.admin), json!({"suspended": false}))
            .await
            .0,
        200
    );
    assert_eq!(
        app.get(&format!("/api/v1/items/{analysis_id}"), &op3)
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn unanswered_items_are_flagged_to_the_provider_and_chased_by_the_coordinator() {
    let config = tsunagu_server::Config {
        feedback_window: time::Duration::ZERO,
        public_rate_per_minute: 10_000,
        ..tsunagu_server::Config::default()
    };
    let app = TestApp::spawn_with(common::Db::Sqlite, config)
        .await
        .unwrap();
    let c = council(&app).await;
    let (_, a) = admitted_in(
        &app,
        &c,
        "Okuzane Cyberworks",
        "class1",
        "security_vendor",
        false,
    )
    .await;
    let (_, op) = admitted_in(&app, &c, "Tamayuri Waterworks", "class2", "water", false).await;
    let (_, item) = app
        .post("/api/v1/items", Some(&a), json!({"kind": "analysis", "title": "Odd DNS", "confidence": "unconfirmed", "tlp": "green", "scope": {"classes": ["class1", "class2"]}}))
        .await;
    let id = item["id"].as_str().unwrap();
    let (_, summary) = app.get(&format!("/api/v1/items/{id}/feedback"), &a).await;
    assert_eq!(summary["unanswered_at_deadline"], true);
    let (s, chase) = app.get("/api/v1/feedback/unanswered", &c.coordinator).await;
    assert_eq!(s, 200);
    assert_eq!(chase[0]["id"], id);
    assert_eq!(app.get("/api/v1/feedback/unanswered", &a).await.0, 403);
    // Late feedback counts as late, and takes the item off the chase list only if on time.
    let (_, late) = app
        .post(
            &format!("/api/v1/items/{id}/feedback"),
            Some(&op),
            json!({"sighting": "not_seen"}),
        )
        .await;
    assert_eq!(late["on_time"], false);
    let (_, standing) = app.get("/api/v1/ledger/me", &op).await;
    assert_eq!(standing["standing"]["feedback_late"], 1);
    let (_, chase): (u16, Value) = app.get("/api/v1/feedback/unanswered", &c.coordinator).await;
    assert_eq!(chase.as_array().unwrap().len(), 1);
    app.finish().await;
}

/// Owed feedback is reminded through the members' channels before the deadline, once,
/// and only to those who still owe it; an item nobody answered by its deadline is sent
/// to the coordinator to chase, an answered one is not.
async fn reminders_and_chases(db: common::Db) {
    use std::time::Duration;
    let config = tsunagu_server::Config {
        feedback_window: time::Duration::seconds(6),
        reminder_lead: time::Duration::seconds(3),
        sweep_interval: Duration::from_millis(200),
        ..common::fast()
    };
    let Some(app) = TestApp::spawn_with(db, config).await else {
        return;
    };
    let c = council(&app).await;
    let (_, a) = admitted_in(
        &app,
        &c,
        "Hoshizuna Cyberworks",
        "class1",
        "security_vendor",
        false,
    )
    .await;
    let (_, op1) = admitted_in(
        &app,
        &c,
        "Kuronagi Medical Centre",
        "class2",
        "medical",
        false,
    )
    .await;
    let (_, op2) = admitted_in(&app, &c, "Sorahashi Railway", "class2", "railway", false).await;
    let (_, general) = admitted_in(&app, &c, "Hamuteru Gas", "general", "gas", false).await;
    let hooks = [
        common::receiver(0).await,
        common::receiver(0).await,
        common::receiver(0).await,
        common::receiver(0).await,
    ];
    let mut secrets = Vec::new();
    for (token, hook) in [&op1, &op2, &general, &c.coordinator]
        .into_iter()
        .zip(&hooks)
    {
        secrets.push(common::add_webhook(&app, token, &hook.url).await);
    }
    let share = |title: &'static str| {
        json!({
            "kind": "threat_information", "title": title,
            "executive_context": "Phishing against hospital staff", "countermeasures": "Block the sender",
            "indicators": [{"type": "domain", "value": "update-kuronagi-cdn.example.net"}],
            "confidence": "unconfirmed", "tlp": "amber", "scope": {"classes": ["class1", "class2"]}
        })
    };
    let (s, answered) = app
        .post("/api/v1/items", Some(&a), share("Answered lure"))
        .await;
    assert_eq!(s, 201, "{answered}");
    let (s, silent) = app
        .post("/api/v1/items", Some(&a), share("Silent lure"))
        .await;
    assert_eq!(s, 201, "{silent}");
    let (answered, silent) = (
        answered["id"].as_str().unwrap(),
        silent["id"].as_str().unwrap(),
    );
    // op2 answers the first item at once, before reminders start.
    let (s, v) = app
        .post(
            &format!("/api/v1/items/{answered}/feedback"),
            Some(&op2),
            json!({"sighting": "not_seen"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");

    let events = |i: usize| -> Vec<Value> {
        hooks[i]
            .got
            .lock()
            .unwrap()
            .iter()
            .map(|r| {
                common::verify(r, &secrets[i]);
                serde_json::from_slice(&r.body).unwrap()
            })
            .collect()
    };
    // The coordinator's member is in the task force too: it gets reminders of its own.
    let chases = || -> Vec<Value> {
        events(3)
            .into_iter()
            .filter(|e| e["event"] == "feedback.unanswered")
            .collect()
    };
    let mut waited = 0;
    while chases().is_empty() {
        assert!(
            waited < 300,
            "the coordinator was never told about the silent item"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
        waited += 1;
    }
    // A few more sweeps: nothing is sent twice.
    tokio::time::sleep(Duration::from_millis(1000)).await;

    let reminded = events(0);
    let mut ids: Vec<&str> = reminded
        .iter()
        .map(|e| e["item"]["id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    let mut expected = vec![answered, silent];
    expected.sort_unstable();
    assert_eq!(
        ids, expected,
        "op1 owes both and is reminded of each once: {reminded:?}"
    );
    for e in &reminded {
        assert_eq!(e["event"], "feedback.reminder");
        assert!(e["deadline"].as_str().unwrap().ends_with('Z'));
        assert!(
            e["item"].get("provider").is_none(),
            "the provider stays hidden: {e}"
        );
        assert_eq!(e["item"]["via"], "coordinator");
    }
    let op2_got = events(1);
    assert_eq!(
        op2_got.len(),
        1,
        "op2 answered the first item: reminded of the second only: {op2_got:?}"
    );
    assert_eq!(op2_got[0]["item"]["id"], silent);
    assert!(events(2).is_empty(), "general members owe no feedback");
    let chased = chases();
    assert_eq!(
        chased.len(),
        1,
        "only the silent item is chased: {chased:?}"
    );
    assert_eq!(chased[0]["event"], "feedback.unanswered");
    assert_eq!(chased[0]["item"]["id"], silent);
    assert!(
        chased[0]["item"]["provider"].is_string(),
        "the coordinator sees who to ask"
    );
    let (_, unanswered) = app.get("/api/v1/feedback/unanswered", &c.coordinator).await;
    assert_eq!(unanswered.as_array().unwrap().len(), 1);
    assert_eq!(unanswered[0]["id"], silent);
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_reminders_and_chases() {
    reminders_and_chases(common::Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_reminders_and_chases() {
    reminders_and_chases(common::Db::Postgres).await;
}
