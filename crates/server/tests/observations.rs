//! Constituencies and observations through the real server: registration verified by
//! the coordinator (overlaps held), sensor records routed to exactly the member they
//! hit, malformed input storing nothing, shared indicators inside a member's range
//! notified to that member only, trends naming no member, and the daily digest e-mail.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::smtp::{Smtp, python};
use common::{Council, Db, TestApp, add_webhook, admitted_in, council, fast, receiver, until};
use serde_json::{Value, json};

/// Gives the council's admin member the sensor-operator role (keeping its others).
async fn make_sensor_operator(app: &TestApp, c: &Council) {
    let (s, v) = app
        .call(
            "PUT",
            &format!("/api/v1/members/{}/roles", c.admin_member),
            Some(&c.admin),
            Some(json!({"roles": ["secretariat", "committee", "sensor_operator"]})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
}

/// Posts a raw observation body; returns status and JSON.
async fn ingest(
    app: &TestApp,
    token: &str,
    query: &str,
    content_type: &str,
    body: String,
) -> (u16, Value) {
    let resp = app
        .client
        .post(app.url(&format!("/api/v1/observations{query}")))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    if status >= 400 {
        assert_eq!(
            resp.headers()["content-type"].to_str().unwrap(),
            "application/problem+json"
        );
    }
    (status, resp.json().await.unwrap())
}

async fn register(app: &TestApp, token: &str, kind: &str, value: &str) -> (u16, Value) {
    app.post(
        "/api/v1/constituency",
        Some(token),
        json!({"kind": kind, "value": value, "ownership": "APNIC allocation to us (whois org ORG-EX1)"}),
    )
    .await
}

async fn verify(app: &TestApp, c: &Council, id: &str) {
    let (s, v) = app
        .post(
            &format!("/api/v1/constituency/{id}/verify"),
            Some(&c.coordinator),
            json!({"note": "whois checked"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "verified");
    assert_eq!(v["in_effect"], true);
}

async fn registered(app: &TestApp, c: &Council, token: &str, kind: &str, value: &str) -> String {
    let (s, v) = register(app, token, kind, value).await;
    assert_eq!(s, 201, "{v}");
    let id = v["id"].as_str().unwrap().to_owned();
    verify(app, c, &id).await;
    id
}

fn today() -> String {
    let d = time::OffsetDateTime::now_utc().date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

fn hits_of(v: &Value) -> Vec<Value> {
    v["hits"].as_array().unwrap().clone()
}

async fn constituency(db: Db) {
    let Some(app) = TestApp::spawn_with(db, fast()).await else {
        return;
    };
    let c = council(&app).await;
    make_sensor_operator(&app, &c).await;
    let (isp_member, isp) = admitted_in(
        &app,
        &c,
        "Aonami Net",
        "class2",
        "information_communication",
        false,
    )
    .await;
    let (_, power) = admitted_in(&app, &c, "Kirishiro Power", "class2", "electricity", false).await;

    // Bad input is refused, precisely, and changes nothing.
    for (kind, value, says) in [
        ("cidr", "10.0.0.0/7", "an IPv4 range may be at most a /8"),
        (
            "cidr",
            "2001:db8::/18",
            "an IPv6 range may be at most a /19",
        ),
        ("cidr", "203.0.113.5/24", "did you mean 203.0.113.0/24?"),
        ("asn", "AS0", ""),
        ("domain", "*.aonami.example", "register aonami.example"),
    ] {
        let (s, v) = register(&app, &isp, kind, value).await;
        assert_eq!(s, 422, "{value}: {v}");
        assert!(v["detail"].as_str().unwrap().contains(says), "{v}");
    }
    let (s, mine) = app.get("/api/v1/constituency", &isp).await;
    assert_eq!(s, 200);
    assert_eq!(mine, json!([]));

    // Registered entries wait for the coordinator.
    let (s, range) = register(&app, &isp, "cidr", "203.0.113.0/24").await;
    assert_eq!(s, 201, "{range}");
    assert_eq!(range["status"], "pending");
    assert_eq!(range["in_effect"], false);
    let range_id = range["id"].as_str().unwrap().to_owned();
    assert_eq!(register(&app, &isp, "cidr", "203.0.113.0/24").await.0, 409);
    let (_, asn) = register(&app, &isp, "asn", "as 64500").await;
    assert_eq!(asn["value"], "AS64500");
    let (_, domain) = register(&app, &isp, "domain", "Aonami.Example.").await;
    assert_eq!(domain["value"], "aonami.example");

    // Another member's overlapping range is held, and it is not told whose it overlaps.
    let (s, held) = register(&app, &power, "cidr", "203.0.113.128/25").await;
    assert_eq!(s, 201, "{held}");
    assert_eq!(held["status"], "held");
    assert_eq!(held["overlaps_another_member"], true);
    assert!(held.get("overlaps").is_none(), "{held}");
    let held_id = held["id"].as_str().unwrap().to_owned();
    let (_, power_view) = app.get("/api/v1/constituency", &power).await;
    assert_eq!(
        power_view.as_array().unwrap().len(),
        1,
        "only its own entries"
    );
    assert_eq!(
        app.get("/api/v1/constituency?status=held", &power).await.0,
        403
    );
    assert_eq!(
        app.get(&format!("/api/v1/constituency?member={isp_member}"), &power)
            .await
            .0,
        403
    );
    let (s, queue) = app
        .get("/api/v1/constituency?status=held", &c.coordinator)
        .await;
    assert_eq!(s, 200);
    assert_eq!(queue.as_array().unwrap().len(), 1);
    assert_eq!(queue[0]["overlaps"][0]["member_id"], isp_member.as_str());
    assert_eq!(queue[0]["overlaps"][0]["value"], "203.0.113.0/24");

    // Before verification, nothing routes to the member.
    let csv = format!(
        "timestamp,ip,port,protocol,asn,hostname,tag,severity,sensor_id,sensor_type\n\
         {day} 01:00:00,203.0.113.7,23,tcp,,,mirai,high,dn-1,darknet\n",
        day = today()
    );
    let (s, done) = ingest(&app, &c.admin, "", "text/csv", csv.clone()).await;
    assert_eq!(s, 201, "{done}");
    assert_eq!(done["records"], 1);
    assert_eq!(done["hits"], 0);

    // Only the coordinator decides; a held entry needs the overlap accepted.
    assert_eq!(
        app.post(
            &format!("/api/v1/constituency/{range_id}/verify"),
            Some(&isp),
            json!({})
        )
        .await
        .0,
        403
    );
    for e in [&range, &asn, &domain] {
        verify(&app, &c, e["id"].as_str().unwrap()).await;
    }
    let (s, v) = app
        .post(
            &format!("/api/v1/constituency/{held_id}/verify"),
            Some(&c.coordinator),
            json!({}),
        )
        .await;
    assert_eq!(s, 409, "{v}");
    assert!(
        v["detail"].as_str().unwrap().contains("accept_overlap"),
        "{v}"
    );
    let (s, pairs) = app
        .get("/api/v1/constituency/overlaps", &c.coordinator)
        .await;
    assert_eq!(s, 200);
    assert_eq!(pairs.as_array().unwrap().len(), 1, "{pairs}");
    assert_eq!(app.get("/api/v1/constituency/overlaps", &isp).await.0, 403);
    assert_eq!(
        app.post(
            &format!("/api/v1/constituency/{held_id}/reject"),
            Some(&c.coordinator),
            json!({})
        )
        .await
        .0,
        422,
        "a rejection says why"
    );
    let (s, v) = app
        .post(
            &format!("/api/v1/constituency/{held_id}/reject"),
            Some(&c.coordinator),
            json!({"note": "this range is Aonami Net's allocation"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "rejected");

    // Records are routed by address, ASN and hostname to the member they hit.
    let csv = format!(
        "# darknet export\n\
         timestamp,ip,port,protocol,asn,hostname,tag,severity,sensor_id,sensor_type,count\n\
         {day} 02:00:00,203.0.113.7,23,tcp,,,mirai,high,dn-1,darknet,12\n\
         {day} 02:05:00,198.51.100.9,445,tcp,64500,,smb-scan,medium,dn-1,darknet,3\n\
         {day} 02:10:00,192.0.2.77,80,tcp,,mail.aonami.example,webshell,critical,hp-2,honeypot,1\n\
         {day} 02:15:00,192.0.2.1,22,tcp,64999,,ssh-brute,low,dn-1,darknet,40\n",
        day = today()
    );
    let (s, done) = ingest(&app, &c.admin, "", "text/csv", csv).await;
    assert_eq!(s, 201, "{done}");
    assert_eq!(done["records"], 4);
    assert_eq!(done["hits"], 3);
    assert_eq!(done["members_hit"], 1);
    let (s, page) = app.get("/api/v1/observations/hits", &isp).await;
    assert_eq!(s, 200);
    let hits = hits_of(&page);
    let vias: Vec<(&str, &str)> = hits
        .iter()
        .map(|h| (h["via"].as_str().unwrap(), h["matched"].as_str().unwrap()))
        .collect();
    assert_eq!(
        vias,
        [
            ("source_address", "203.0.113.0/24"),
            ("asn", "AS64500"),
            ("hostname", "aonami.example")
        ]
    );
    assert_eq!(
        hits[0]["precision"],
        "observed on a darknet sensor: the source address 203.0.113.7 is yours (in 203.0.113.0/24)"
    );
    assert_eq!(hits[0]["observation"]["count"], 12);
    assert!(
        hits[2]["precision"]
            .as_str()
            .unwrap()
            .starts_with("observed by a honeypot: the hostname mail.aonami.example")
    );
    let (_, other) = app.get("/api/v1/observations/hits", &power).await;
    assert_eq!(
        hits_of(&other),
        Vec::<Value>::new(),
        "no other member sees them"
    );

    // Filters and paging.
    let (_, tagged) = app.get("/api/v1/observations/hits?tag=mirai", &isp).await;
    assert_eq!(hits_of(&tagged).len(), 1);
    let (_, first) = app.get("/api/v1/observations/hits?limit=2", &isp).await;
    let cursor = first["next_cursor"].as_i64().unwrap();
    let (_, rest) = app
        .get(
            &format!("/api/v1/observations/hits?limit=2&cursor={cursor}"),
            &isp,
        )
        .await;
    assert_eq!(hits_of(&rest).len(), 1);
    assert_eq!(rest["next_cursor"], Value::Null);
    assert_eq!(
        app.get("/api/v1/observations/hits?from=yesterday", &isp)
            .await
            .0,
        400
    );

    // A malformed row imports nothing and is named by line and column.
    let before = app.audit_len().await;
    let bad = format!(
        "timestamp,ip,port,protocol,tag,sensor_id,sensor_type\n\
         {day} 03:00:00,203.0.113.8,23,tcp,mirai,dn-1,darknet\n\
         {day} 03:00:01,203.0.113.999,23,tcp,mirai,dn-1,darknet\n",
        day = today()
    );
    let (s, v) = ingest(&app, &c.admin, "", "text/csv", bad).await;
    assert_eq!(s, 422, "{v}");
    let detail = v["detail"].as_str().unwrap();
    assert!(detail.starts_with("line 3, column ip:"), "{detail}");
    assert_eq!(app.audit_len().await, before, "nothing was written");
    let (_, page) = app.get("/api/v1/observations/hits", &isp).await;
    assert_eq!(
        hits_of(&page).len(),
        3,
        "the valid first row was not stored either"
    );
    // Hits are written while the file is still being read: a malformed last row
    // after thousands of hits still leaves nothing behind.
    let mut long = String::from("timestamp,ip,port,protocol,tag,sensor_id,sensor_type\n");
    for i in 0..2500 {
        long.push_str(&format!(
            "{} 03:10:00,203.0.113.{},23,tcp,mirai,dn-1,darknet\n",
            today(),
            1 + i % 250
        ));
    }
    long.push_str(&format!(
        "{} 03:11:00,not-an-address,23,tcp,mirai,dn-1,darknet\n",
        today()
    ));
    let (s, v) = ingest(&app, &c.admin, "", "text/csv", long).await;
    assert_eq!(s, 422, "{v}");
    assert!(
        v["detail"]
            .as_str()
            .unwrap()
            .starts_with("line 2502, column ip:"),
        "{v}"
    );
    assert_eq!(app.audit_len().await, before, "nothing was written");
    let (_, page) = app.get("/api/v1/observations/hits", &isp).await;
    assert_eq!(hits_of(&page).len(), 3, "none of the 2,500 hits were kept");
    let (s, v) = ingest(&app, &c.admin, "", "text/csv", "timestamp,ip\n".into()).await;
    assert_eq!(s, 422, "{v}");

    // Only sensor operators and the coordinator submit.
    let one = format!(
        "{{\"timestamp\": \"{}T04:00:00Z\", \"src_ip\": \"203.0.113.9\"}}\n",
        today()
    );
    assert_eq!(
        ingest(&app, &isp, "", "application/x-ndjson", one.clone())
            .await
            .0,
        403
    );

    // JSON lines, with the sensor given by the query for records that lack it.
    let (s, done) = ingest(
        &app,
        &c.coordinator,
        "?sensor_type=sinkhole&sensor_id=sh-9",
        "application/x-ndjson",
        one,
    )
    .await;
    assert_eq!(s, 201, "{done}");
    assert_eq!(done["hits"], 1);
    let (s, v) = ingest(&app, &c.admin, "?sensor_type=radar", "text/csv", "x".into()).await;
    assert_eq!(s, 400, "{v}");

    // The member's summary by day, tag and sensor type.
    let (s, sum) = app.get("/api/v1/observations/summary?days=7", &isp).await;
    assert_eq!(s, 200);
    assert_eq!(sum["records"], 4);
    assert_eq!(sum["packets"], 17);
    assert_eq!(sum["days"].as_array().unwrap().len(), 7);
    assert_eq!(sum["by_day"]["values"][6], 4, "today is the last day");
    let tags: Vec<&str> = sum["by_tag"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        tags.contains(&"mirai") && tags.contains(&"(untagged)"),
        "{tags:?}"
    );
    let types: Vec<&str> = sum["by_sensor_type"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(types.len(), 3, "{types:?}");
    let (_, nothing) = app.get("/api/v1/observations/summary", &power).await;
    assert_eq!(nothing["records"], 0);

    // The day's CSV digest.
    let resp = app
        .client
        .get(app.url(&format!("/api/v1/observations/digest.csv?day={}", today())))
        .bearer_auth(&isp)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/csv; charset=utf-8");
    let text = resp.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "{text}");
    assert!(
        lines[0].starts_with("timestamp,sensor_id,sensor_type,src_ip")
            && lines[0].ends_with(",via,matched,precision"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].contains("203.0.113.7") && lines[1].contains("source_address"),
        "{}",
        lines[1]
    );
    let other = app
        .client
        .get(app.url(&format!("/api/v1/observations/digest.csv?day={}", today())))
        .bearer_auth(&power)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(other.lines().count(), 1, "a header only: {other}");

    // Trends count every record and name no member.
    let (s, t) = app.get("/api/v1/observations/trends?days=7", &power).await;
    assert_eq!(s, 200);
    assert_eq!(t["total"]["values"][6], 12 + 3 + 1 + 40 + 1 + 1, "{t}");
    let port23 = t["ports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "23/tcp")
        .unwrap();
    assert_eq!(port23["total"], 13);
    let text = t.to_string();
    assert!(
        !text.contains(&isp_member) && !text.contains("Aonami") && !text.contains("aonami"),
        "{text}"
    );
    let resp = app
        .client
        .get(app.url("/api/v1/observations/trends/ports.svg?days=7"))
        .bearer_auth(&power)
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.headers()["content-type"],
        "image/svg+xml; charset=utf-8"
    );
    let svg = resp.text().await.unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("23/tcp"), "{svg}");

    // A removed range stops routing at once.
    let (s, _) = app
        .call(
            "DELETE",
            &format!("/api/v1/constituency/{range_id}"),
            Some(&isp),
            None,
        )
        .await;
    assert_eq!(s, 204);
    let csv = format!(
        "timestamp,ip,tag,sensor_id,sensor_type\n{} 05:00:00,203.0.113.10,mirai,dn-1,darknet\n",
        today()
    );
    let (_, done) = ingest(&app, &c.admin, "", "text/csv", csv).await;
    assert_eq!(done["hits"], 0);
    assert_eq!(
        app.call(
            "DELETE",
            &format!("/api/v1/constituency/{range_id}"),
            Some(&isp),
            None
        )
        .await
        .0,
        404
    );
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_observations_reach_exactly_the_member_whose_constituency_they_hit() {
    constituency(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_observations_reach_exactly_the_member_whose_constituency_they_hit() {
    constituency(Db::Postgres).await;
}

fn item(title: &str, indicators: Value, scope: Value) -> Value {
    json!({
        "kind": "threat_information",
        "title": title,
        "executive_context": "C2 infrastructure seen in a campaign",
        "technical_details": "",
        "countermeasures": "",
        "indicators": indicators,
        "confidence": "confirmed",
        "tlp": "green",
        "scope": scope
    })
}

async fn indicators(db: Db) {
    let mut config = fast();
    config.observation_sweep = Duration::from_millis(100);
    let Some(app) = TestApp::spawn_with(db, config).await else {
        return;
    };
    let c = council(&app).await;
    let (_, isp) = admitted_in(
        &app,
        &c,
        "Aonami Net",
        "class2",
        "information_communication",
        false,
    )
    .await;
    let (power_member, power) =
        admitted_in(&app, &c, "Kirishiro Power", "class2", "electricity", false).await;
    let (_, vendor) = admitted_in(
        &app,
        &c,
        "Hoshizora Security",
        "class1",
        "security_vendor",
        false,
    )
    .await;
    registered(&app, &c, &isp, "cidr", "203.0.113.0/24").await;
    registered(&app, &c, &isp, "domain", "aonami.example").await;
    registered(&app, &c, &power, "cidr", "198.51.100.0/24").await;
    let isp_hook = receiver(0).await;
    let power_hook = receiver(0).await;
    let isp_secret = add_webhook(&app, &isp, &isp_hook.url).await;
    add_webhook(&app, &power, &power_hook.url).await;

    // Shared with everyone: the ISP's address and a URL on its domain are inside its
    // constituency; a hash and an address elsewhere are not.
    let everyone = json!({"classes": ["class1", "class2", "general"]});
    let (s, shared) = app
        .post(
            "/api/v1/items",
            Some(&vendor),
            item(
                "C2 servers of a botnet",
                json!([
                    {"type": "ipv4", "value": "203.0.113.50"},
                    {"type": "url", "value": "http://cdn.aonami.example/payload.bin"},
                    {"type": "ipv4", "value": "192.0.2.200"},
                    {"type": "sha256", "value": "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"}
                ]),
                everyone,
            ),
        )
        .await;
    assert_eq!(s, 201, "{shared}");
    let shared_id = shared["id"].as_str().unwrap().to_owned();
    until("the ISP's constituency notice", || async {
        isp_hook
            .got
            .lock()
            .unwrap()
            .iter()
            .any(|r| r.headers["tsunagu-event"] == "constituency.indicator")
    })
    .await;
    let got = isp_hook.got.lock().unwrap().clone();
    let notice = got
        .iter()
        .find(|r| r.headers["tsunagu-event"] == "constituency.indicator")
        .unwrap();
    common::verify(notice, &isp_secret);
    let body: Value = serde_json::from_slice(&notice.body).unwrap();
    assert_eq!(body["event"], "constituency.indicator");
    assert_eq!(body["item"]["id"], shared_id.as_str());
    let matched: Vec<(&str, &str)> = body["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["indicator"]["value"].as_str().unwrap(),
                m["matched"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        matched,
        [
            ("203.0.113.50", "203.0.113.0/24"),
            ("http://cdn.aonami.example/payload.bin", "aonami.example")
        ]
    );

    // Shared with named members that exclude the ISP: inside its range, but not its to see.
    let (s, hidden) = app
        .post(
            "/api/v1/items",
            Some(&vendor),
            item(
                "Hidden C2",
                json!([{"type": "ipv4", "value": "203.0.113.51"}, {"type": "ipv4", "value": "198.51.100.7"}]),
                json!({"classes": [], "members": [power_member]}),
            ),
        )
        .await;
    assert_eq!(s, 201, "{hidden}");
    let hidden_id = hidden["id"].as_str().unwrap().to_owned();
    until("the power company's notice", || async {
        power_hook.got.lock().unwrap().iter().any(|r| {
            serde_json::from_slice::<Value>(&r.body).unwrap()["item"]["id"] == hidden_id.as_str()
        })
    })
    .await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let isp_items: Vec<Value> = isp_hook
        .got
        .lock()
        .unwrap()
        .iter()
        .map(|r| serde_json::from_slice::<Value>(&r.body).unwrap())
        .filter(|b| b["event"] == "constituency.indicator")
        .map(|b| b["item"]["id"].clone())
        .collect();
    assert_eq!(
        isp_items,
        [json!(shared_id)],
        "told once, and never of what it may not see"
    );
    let power_items: Vec<Value> = power_hook
        .got
        .lock()
        .unwrap()
        .iter()
        .map(|r| serde_json::from_slice::<Value>(&r.body).unwrap())
        .filter(|b| b["event"] == "constituency.indicator")
        .map(|b| b["item"]["id"].clone())
        .collect();
    assert_eq!(
        power_items,
        [json!(hidden_id)],
        "the first item hit nothing of its own"
    );

    // The member's list of indicator hits, through its current view.
    let (s, list) = app.get("/api/v1/observations/indicator-hits", &isp).await;
    assert_eq!(s, 200);
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["item_id"], shared_id.as_str());
    assert_eq!(list[0]["matches"].as_array().unwrap().len(), 2);
    let (_, list) = app
        .get("/api/v1/observations/indicator-hits", &vendor)
        .await;
    assert_eq!(list, json!([]));

    // A range verified later is checked against what was shared before: the first
    // item's 192.0.2.200 now falls in the power company's new range.
    registered(&app, &c, &power, "cidr", "192.0.2.0/24").await;
    until(
        "the notice about an item shared before the range was verified",
        || async {
            power_hook.got.lock().unwrap().iter().any(|r| {
                serde_json::from_slice::<Value>(&r.body).unwrap()["item"]["id"]
                    == shared_id.as_str()
            })
        },
    )
    .await;
    let (_, list) = app.get("/api/v1/observations/indicator-hits", &power).await;
    let items: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["item_id"].as_str().unwrap())
        .collect();
    assert_eq!(items.len(), 2, "{list}");
    assert!(items.contains(&shared_id.as_str()) && items.contains(&hidden_id.as_str()));
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_shared_indicator_in_a_members_range_notifies_that_member_only() {
    indicators(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_shared_indicator_in_a_members_range_notifies_that_member_only() {
    indicators(Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daily_digest_arrives_by_email_with_the_days_hits_as_csv() {
    let Some(python) = python("the observation digest test") else {
        return;
    };
    let server = Smtp::start(python).await;
    let mut config = fast();
    config.smtp_url = Some(server.url());
    config.observation_sweep = Duration::from_millis(100);
    let app = TestApp::spawn_with(Db::Sqlite, config).await.unwrap();
    let c = council(&app).await;
    make_sensor_operator(&app, &c).await;
    let (_, isp) = admitted_in(
        &app,
        &c,
        "Aonami Net",
        "class2",
        "information_communication",
        false,
    )
    .await;
    let (_, power) = admitted_in(&app, &c, "Kirishiro Power", "class2", "electricity", false).await;
    registered(&app, &c, &isp, "cidr", "203.0.113.0/24").await;
    registered(&app, &c, &power, "cidr", "198.51.100.0/24").await;
    for (token, address) in [
        (&isp, "soc@aonami.example"),
        (&power, "soc@kirishiro.example"),
    ] {
        let (s, v) = app
            .post(
                "/api/v1/channels",
                Some(token),
                json!({"kind": "email", "address": address}),
            )
            .await;
        assert_eq!(s, 201, "{v}");
    }
    let y = time::OffsetDateTime::now_utc() - time::Duration::days(1);
    let yesterday = format!("{:04}-{:02}-{:02}", y.year(), u8::from(y.month()), y.day());
    let csv = format!(
        "timestamp,src_ip,dst_ip,dst_port,protocol,infection,family,sensor_id,sensor_type\n\
         {yesterday} 10:00:00,203.0.113.66,192.0.2.10,2323,tcp,mirai,mirai,dn-1,darknet\n\
         {yesterday} 11:00:00,203.0.113.67,192.0.2.10,23,tcp,mirai,mirai,dn-1,darknet\n"
    );
    let (s, done) = ingest(&app, &c.admin, "", "text/csv", csv).await;
    assert_eq!(s, 201, "{done}");
    for _ in 0..200 {
        if !server.messages(&[]).is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Later sweeps must not send it again.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = server.messages(&[]);
    assert_eq!(got.len(), 1, "one digest, to the member hit only: {got:?}");
    let m = &got[0];
    assert_eq!(m["to"], "soc@aonami.example");
    assert_eq!(
        m["subject"],
        format!("[tsunagu] Observation report {yesterday}: 2 records hit your constituency")
    );
    let body = m["body"].as_str().unwrap();
    assert!(body.contains("- darknet / mirai: 2 / 2"), "{body}");
    let a = &m["attachments"][0];
    assert_eq!(
        a["filename"],
        format!("tsunagu-observations-{yesterday}.csv")
    );
    assert_eq!(a["content_type"], "text/csv");
    let content = a["content"].as_str().unwrap();
    assert_eq!(content.lines().count(), 3, "{content}");
    assert!(
        content.contains("203.0.113.66") && content.contains("203.0.113.67"),
        "{content}"
    );
    assert!(!content.contains("198.51.100"), "{content}");
    app.finish().await;
}
