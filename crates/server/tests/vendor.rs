//! Vendor coordination (MISSION.md M4.3) over HTTP on both backends: curators ask a
//! member vendor (which answers itself) and an outside vendor (by e-mail through a real
//! SMTP server, Python's aiosmtpd started here; its answers recorded by a curator);
//! the status lifecycle, who sees what, the catalogue showing each vendor's status
//! while the public KEV feed stays as it was, and bad input refused with nothing
//! changed.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::smtp::{Smtp, free_port, python};
use common::{Db, TestApp, admitted_in, council};
use serde_json::{Value, json};

fn config(smtp_url: Option<String>) -> tsunagu_server::Config {
    tsunagu_server::Config {
        public_rate_per_minute: 10_000,
        smtp_url,
        delivery: tsunagu_server::delivery::DeliveryConfig {
            timeout: Duration::from_secs(5),
            ..Default::default()
        },
        ..tsunagu_server::Config::default()
    }
}

fn feed() -> Value {
    json!({"title": "CISA Catalog of Known Exploited Vulnerabilities", "catalogVersion": "2026.11.20",
      "dateReleased": "2026-11-20T17:00:00.000Z", "count": 2, "vulnerabilities": [
      {"cveID": "CVE-2017-0144", "vendorProject": "Microsoft", "product": "SMBv1",
       "vulnerabilityName": "Microsoft Windows SMBv1 Remote Code Execution Vulnerability",
       "dateAdded": "2022-02-10", "shortDescription": "The SMBv1 server allows remote code execution.",
       "requiredAction": "Apply updates per vendor instructions.", "dueDate": "2022-08-10",
       "knownRansomwareCampaignUse": "Known", "notes": "", "cwes": ["CWE-20"]},
      {"cveID": "CVE-2024-21887", "vendorProject": "Hoshizuna", "product": "Gateway",
       "vulnerabilityName": "Hoshizuna Gateway Command Injection Vulnerability",
       "dateAdded": "2024-01-10", "shortDescription": "A command injection vulnerability.",
       "requiredAction": "Apply mitigations per vendor instructions.", "dueDate": "2024-01-22",
       "knownRansomwareCampaignUse": "Unknown", "notes": "", "cwes": ["CWE-77"]}]})
}

/// The catalogue entry for `cve` as `token`'s member sees it.
async fn kev_entry(app: &TestApp, token: &str, cve: &str) -> Value {
    let (s, list) = app.get("/api/v1/kev", token).await;
    assert_eq!(s, 200, "{list}");
    list.as_array()
        .unwrap()
        .iter()
        .find(|k| k["entry"]["cveID"] == cve)
        .unwrap()
        .clone()
}

fn detail(v: &Value) -> &str {
    v["detail"].as_str().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_coordination() {
    let smtp = match python("the vendor e-mail checks") {
        Some(p) => Some(Smtp::start(p).await),
        None => None,
    };
    let url = smtp.as_ref().map(Smtp::url);
    let app = TestApp::spawn_with(Db::Sqlite, config(url)).await.unwrap();
    coordination(&app, smtp.as_ref()).await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_coordination() {
    let smtp = match python("the vendor e-mail checks") {
        Some(p) => Some(Smtp::start(p).await),
        None => None,
    };
    let url = smtp.as_ref().map(Smtp::url);
    let Some(app) = TestApp::spawn_with(Db::Postgres, config(url)).await else {
        return;
    };
    coordination(&app, smtp.as_ref()).await;
    app.finish().await;
}

async fn coordination(app: &TestApp, smtp: Option<&Smtp>) {
    let c = council(app).await;
    let (vendor_id, vendor) = admitted_in(
        app,
        &c,
        "Hoshizuna Networks",
        "class2",
        "information_communication",
        false,
    )
    .await;
    let (lab_id, lab) = admitted_in(
        app,
        &c,
        "Tsukimaru Institute of Technology",
        "class1",
        "academia",
        false,
    )
    .await;
    let (_, operator) =
        admitted_in(app, &c, "Yorikaze Denryoku", "class2", "electricity", false).await;
    let (s, v) = app
        .post("/api/v1/kev/import", Some(&c.coordinator), feed())
        .await;
    assert_eq!(s, 201, "{v}");
    let before = app.audit_len().await;

    // Only curators open requests; bad input is refused, named, and changes nothing.
    let to_member =
        json!({"vendor_member": vendor_id, "message": "Is a fix for the gateway planned?"});
    for token in [&vendor, &operator] {
        let (s, v) = app
            .post(
                "/api/v1/kev/CVE-2024-21887/vendor-requests",
                Some(token),
                to_member.clone(),
            )
            .await;
        assert_eq!(s, 403, "{v}");
    }
    let (s, _) = app
        .post(
            "/api/v1/kev/CVE-2099-12345/vendor-requests",
            Some(&lab),
            to_member.clone(),
        )
        .await;
    assert_eq!(s, 404, "a CVE outside the catalogue");
    let (s, v) = app
        .post(
            "/api/v1/kev/not-a-cve/vendor-requests",
            Some(&lab),
            to_member.clone(),
        )
        .await;
    assert_eq!(s, 422);
    assert!(
        detail(&v).starts_with("cve:") && detail(&v).contains("not-a-cve"),
        "{v}"
    );
    let bad_inputs = [
        (
            json!({"vendor_name": "Microsoft", "contact_email": "not-mail", "message": "Fix?"}),
            ["contact_email", "not-mail"],
        ),
        (
            json!({"vendor_member": "0190a0b0-0000-7000-8000-000000000000", "message": "Fix?"}),
            ["vendor_member", "0190a0b0-0000-7000-8000-000000000000"],
        ),
        (
            json!({"vendor_member": vendor_id, "vendor_name": "Microsoft",
                   "contact_email": "secure@microsoft.example", "message": "Fix?"}),
            ["vendor_member", "not both"],
        ),
        (json!({"message": "Fix?"}), ["vendor_name", "vendor_member"]),
        (
            json!({"vendor_name": "Microsoft", "contact_email": "secure@microsoft.example",
                   "product": "SMB\nBcc: all@example.org", "message": "Fix?"}),
            ["product", "single line"],
        ),
        (
            json!({"vendor_member": vendor_id, "message": "  "}),
            ["message", "empty"],
        ),
    ];
    for (body, words) in bad_inputs {
        let (s, v) = app
            .post(
                "/api/v1/kev/CVE-2024-21887/vendor-requests",
                Some(&lab),
                body.clone(),
            )
            .await;
        assert_eq!(s, 422, "{body} -> {v}");
        for w in words {
            assert!(detail(&v).contains(w), "{body} -> {v} should name {w}");
        }
    }
    assert_eq!(app.audit_len().await, before);
    let (_, all) = app.get("/api/v1/vendor-requests", &lab).await;
    assert_eq!(all, json!([]));

    // A class-1 curator asks the member vendor; the product defaults to the entry's.
    let (s, member_req) = app
        .post(
            "/api/v1/kev/CVE-2024-21887/vendor-requests",
            Some(&lab),
            to_member,
        )
        .await;
    assert_eq!(s, 201, "{member_req}");
    assert_eq!(member_req["status"], "sent");
    assert_eq!(member_req["vendor_member"], json!(vendor_id));
    assert_eq!(member_req["vendor_name"], "Hoshizuna Networks");
    assert_eq!(member_req["product"], "Gateway");
    assert_eq!(member_req["email"], Value::Null);
    assert_eq!(member_req["created_by"], json!(lab_id));
    let member_req_id = member_req["id"].as_str().unwrap().to_owned();

    // …and an outside vendor, by e-mail (the CVE in any case).
    let (s, outside) = app
        .post(
            "/api/v1/kev/cve-2017-0144/vendor-requests",
            Some(&lab),
            json!({"vendor_name": "Microsoft", "contact_email": "secure@microsoft.example",
                   "product": "Windows SMBv1", "message": "Will SMBv1 on the embedded build be fixed?"}),
        )
        .await;
    assert_eq!(s, 201, "{outside}");
    assert_eq!(outside["cve"], "CVE-2017-0144");
    assert_eq!(outside["status"], "sent");
    assert_eq!(outside["contact_email"], "secure@microsoft.example");
    let outside_id = outside["id"].as_str().unwrap().to_owned();
    let history = outside["history"].as_array().unwrap();
    assert_eq!(history.len(), 2, "the opening and the e-mail's outcome");
    assert_eq!(history[0]["status"], "sent");
    if let Some(smtp) = smtp {
        assert_eq!(outside["email"], "sent", "{outside}");
        assert_eq!(
            history[1]["text"],
            "e-mail to secure@microsoft.example: sent"
        );
        let mail = smtp.messages(&[("request", "X-Tsunagu-Vendor-Request")]);
        assert_eq!(mail.len(), 1, "{mail:?}");
        let m = &mail[0];
        assert!(
            m["subject"].as_str().unwrap().contains("CVE-2017-0144"),
            "{m}"
        );
        assert!(
            m["to"]
                .as_str()
                .unwrap()
                .contains("secure@microsoft.example")
        );
        assert_eq!(m["request"], json!(outside_id));
        let body = m["body"].as_str().unwrap();
        assert!(body.contains("Will SMBv1 on the embedded build be fixed?"));
        assert!(body.contains(&outside_id));
    } else {
        assert_eq!(outside["email"], "not_sent: no SMTP relay configured");
    }
    assert_eq!(app.audit_len().await, before + 2);

    // The vendor member sees the request addressed to it, and only that one.
    let (s, mine) = app.get("/api/v1/vendor-requests", &vendor).await;
    assert_eq!(s, 200);
    let mine = mine.as_array().unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["id"], json!(member_req_id));
    assert!(
        mine[0].get("created_by").is_none(),
        "who opened it is for curators"
    );
    assert_eq!(
        app.get(&format!("/api/v1/vendor-requests/{member_req_id}"), &vendor)
            .await
            .0,
        200
    );
    assert_eq!(
        app.get(&format!("/api/v1/vendor-requests/{outside_id}"), &vendor)
            .await
            .0,
        404
    );
    // An unrelated member sees none.
    let (s, none) = app.get("/api/v1/vendor-requests", &operator).await;
    assert_eq!((s, none), (200, json!([])));
    for id in [&member_req_id, &outside_id] {
        assert_eq!(
            app.get(&format!("/api/v1/vendor-requests/{id}"), &operator)
                .await
                .0,
            404
        );
        let (s, _) = app
            .post(
                &format!("/api/v1/vendor-requests/{id}/updates"),
                Some(&operator),
                json!({"status": "acknowledged", "text": "not mine"}),
            )
            .await;
        assert_eq!(s, 404);
    }
    assert_eq!(
        app.get("/api/v1/vendor-requests/not-an-id", &lab).await.0,
        404
    );
    // Curators see both.
    let (_, all) = app.get("/api/v1/vendor-requests", &c.coordinator).await;
    assert_eq!(all.as_array().unwrap().len(), 2);

    // Bad answers are refused, named, and change nothing.
    let updates = format!("/api/v1/vendor-requests/{member_req_id}/updates");
    for (body, words) in [
        (json!({"status": "done", "text": "x"}), ["status", "done"]),
        (json!({"status": "sent", "text": "x"}), ["status", "sent"]),
        (
            json!({"status": "fix_planned", "text": "soon"}),
            ["planned_fix_date", "fix_planned"],
        ),
        (
            json!({"status": "fix_planned", "planned_fix_date": "2026-13-40"}),
            ["planned_fix_date", "2026-13-40"],
        ),
    ] {
        let (s, v) = app.post(&updates, Some(&vendor), body.clone()).await;
        assert_eq!(s, 422, "{body} -> {v}");
        for w in words {
            assert!(detail(&v).contains(w), "{body} -> {v} should name {w}");
        }
    }
    assert_eq!(app.audit_len().await, before + 2);

    // The vendor member answers itself: acknowledged, a fix planned, fixed.
    let (s, v) = app
        .post(
            &updates,
            Some(&vendor),
            json!({"status": "acknowledged", "text": "We are looking into it."}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "acknowledged");
    let last = v["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["by"], json!(vendor_id));
    assert_eq!(last["text"], "We are looking into it.");
    assert!(last.get("recorded_by").is_none());
    let (s, v) = app
        .post(
            &updates,
            Some(&vendor),
            json!({"status": "fix_planned", "text": "In the December release.", "planned_fix_date": "2026-12-01"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["planned_fix_date"], "2026-12-01");

    // Every member sees the vendor's status in the catalogue, never the messages.
    let entry = kev_entry(app, &operator, "CVE-2024-21887").await;
    let status = entry["vendor_status"].as_array().unwrap();
    assert_eq!(status.len(), 1, "{entry}");
    assert_eq!(status[0]["vendor"], "Hoshizuna Networks");
    assert_eq!(status[0]["status"], "fix_planned");
    assert_eq!(status[0]["planned_fix_date"], "2026-12-01");
    assert_eq!(status[0]["fixed_version"], Value::Null);
    let other = kev_entry(app, &operator, "CVE-2017-0144").await;
    assert_eq!(other["vendor_status"][0]["vendor"], "Microsoft");
    assert_eq!(other["vendor_status"][0]["status"], "sent");
    let (_, whole) = app.get("/api/v1/kev", &operator).await;
    let whole = whole.to_string();
    for secret in [
        "secure@microsoft.example",
        "Will SMBv1",
        "Is a fix for the gateway planned?",
        "December release",
    ] {
        assert!(
            !whole.contains(secret),
            "the catalogue shows statuses, not {secret:?}"
        );
    }

    let (s, v) = app
        .post(
            &updates,
            Some(&vendor),
            json!({"status": "fixed", "text": "Released.", "fixed_version": "22.7R2"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "fixed");
    assert_eq!(v["fixed_version"], "22.7R2");
    assert_eq!(v["planned_fix_date"], "2026-12-01");
    assert_eq!(v["history"].as_array().unwrap().len(), 4);
    // Settled: no further changes.
    for (token, status) in [(&vendor, "acknowledged"), (&lab, "no_fix")] {
        let (s, v) = app
            .post(
                &updates,
                Some(token),
                json!({"status": status, "text": "again"}),
            )
            .await;
        assert_eq!(s, 409, "{v}");
    }
    let entry = kev_entry(app, &operator, "CVE-2024-21887").await;
    assert_eq!(entry["vendor_status"][0]["status"], "fixed");
    assert_eq!(entry["vendor_status"][0]["fixed_version"], "22.7R2");

    // A curator records the outside vendor's answer received by e-mail; the member
    // vendor cannot touch another vendor's request.
    let outside_updates = format!("/api/v1/vendor-requests/{outside_id}/updates");
    let (s, _) = app
        .post(
            &outside_updates,
            Some(&vendor),
            json!({"status": "fixed", "text": "not mine"}),
        )
        .await;
    assert_eq!(s, 404);
    let (s, v) = app
        .post(
            &outside_updates,
            Some(&lab),
            json!({"status": "no_fix", "text": "SMBv1 is out of support; disable it."}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let last = v["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["by"], "vendor by e-mail");
    assert_eq!(last["recorded_by"], json!(lab_id));
    assert_eq!(last["status"], "no_fix");
    let (s, _) = app
        .post(
            &outside_updates,
            Some(&c.coordinator),
            json!({"status": "fix_planned", "planned_fix_date": "2027-01-01"}),
        )
        .await;
    assert_eq!(s, 409);

    // Exactly the successful actions were audited: two openings and four answers.
    assert_eq!(app.audit_len().await, before + 6);

    // The public KEV feed is unchanged in shape.
    let body = app
        .client
        .get(app.url("/kev/known_exploited_vulnerabilities.json"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!body.contains("vendor_status") && !body.contains("22.7R2"));
}

/// Without a relay, or with one that fails, the request still stands and says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_trouble_never_fails_the_request() {
    let closed = format!("smtp://127.0.0.1:{}", free_port());
    for (url, outcome) in [
        (None, "not_sent: no SMTP relay configured"),
        (Some(closed), "failed: "),
    ] {
        let app = TestApp::spawn_with(Db::Sqlite, config(url)).await.unwrap();
        let c = council(&app).await;
        let (s, v) = app
            .post("/api/v1/kev/import", Some(&c.coordinator), feed())
            .await;
        assert_eq!(s, 201, "{v}");
        let before = app.audit_len().await;
        let (s, v) = app
            .post(
                "/api/v1/kev/CVE-2017-0144/vendor-requests",
                Some(&c.coordinator),
                json!({"vendor_name": "Microsoft", "contact_email": "secure@microsoft.example",
                       "message": "Will it be fixed?"}),
            )
            .await;
        assert_eq!(s, 201, "{v}");
        assert!(v["email"].as_str().unwrap().starts_with(outcome), "{v}");
        let id = v["id"].as_str().unwrap();
        let (s, got) = app
            .get(&format!("/api/v1/vendor-requests/{id}"), &c.coordinator)
            .await;
        assert_eq!(s, 200);
        assert_eq!(got["status"], "sent");
        let note = got["history"][1]["text"].as_str().unwrap();
        assert!(
            note.starts_with("e-mail to secure@microsoft.example: ") && note.contains(outcome),
            "{got}"
        );
        assert_eq!(app.audit_len().await, before + 1);
        app.finish().await;
    }
}
