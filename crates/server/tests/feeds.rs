//! Block-list feeds (M6.4) over HTTP on both backends: an ISP's list holds exactly the
//! confirmed countermeasure values in its scope and the confirmed evidence values of
//! published catalogue entries, another member's list follows its own scope, the
//! validators answer 304 until the list changes, the RPZ zone blocks domains and
//! addresses, and a token and a known `type` are required.

#![allow(clippy::unwrap_used)]

mod common;

use common::{TestApp, admitted_in, council};
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::FormatItem;

on_both_backends!(
    each_member_gets_exactly_the_confirmed_values_in_its_scope,
    validators_answer_304_until_the_list_changes,
    the_zone_blocks_domains_and_addresses_but_not_urls,
    a_token_and_a_known_type_are_required,
);

const HTTP_DATE: &[FormatItem<'static>] = time::macros::format_description!(
    "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
);

/// The values the ISP (class 2, information and communication) may block, in list
/// order: IPs numerically, then domains, then URLs.
const ISP_LIST: [&str; 10] = [
    "192.0.2.10",
    "192.0.2.66",
    "198.51.100.7",
    "203.0.113.0/24",
    "2001:db8::1",
    "c2.isp-only.example",
    "dist.kuronagi-malware.example",
    "vpn-exploit.example",
    "http://dist.kuronagi-malware.example/payload.exe",
    "https://vpn-exploit.example/x",
];

/// What the railway (class 2, railway) may block.
const RAILWAY_LIST: [&str; 10] = [
    "192.0.2.10",
    "192.0.2.66",
    "203.0.113.0/24",
    "2001:db8::1",
    "dist.kuronagi-malware.example",
    "excluded-isp.example",
    "railway-only.example",
    "vpn-exploit.example",
    "http://dist.kuronagi-malware.example/payload.exe",
    "https://vpn-exploit.example/x",
];

/// What a general member may block: confirmed countermeasures only (it sees no threat
/// information, so no catalogue evidence).
const GENERAL_LIST: [&str; 6] = [
    "192.0.2.10",
    "203.0.113.0/24",
    "2001:db8::1",
    "dist.kuronagi-malware.example",
    "excluded-isp.example",
    "http://dist.kuronagi-malware.example/payload.exe",
];

struct Fixture {
    provider: String,
    isp_id: String,
    /// An API token of the ISP, as its blocking script would hold.
    isp: String,
    railway: String,
    general: String,
    /// The confirmed countermeasure for everyone.
    cm_all: String,
    /// The confirmed countermeasure for class 2 of information and communication.
    cm_ict: String,
    /// The confirmed evidence of the published catalogue entry.
    evidence: String,
}

fn indicators(list: &[(&str, &str)]) -> Value {
    list.iter()
        .map(|(kind, value)| json!({"type": kind, "value": value}))
        .collect()
}

async fn share(
    app: &TestApp,
    token: &str,
    kind: &str,
    confidence: &str,
    tlp: &str,
    scope: Value,
    values: &[(&str, &str)],
) -> String {
    let (s, v) = app
        .post(
            "/api/v1/items",
            Some(token),
            json!({
                "kind": kind, "title": format!("{kind} {confidence} {}", values[0].1),
                "executive_context": "Malware distribution", "countermeasures": "Block these",
                "indicators": indicators(values), "confidence": confidence, "tlp": tlp,
                "scope": scope
            }),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    v["id"].as_str().unwrap().to_owned()
}

fn kev_entry(cve: &str, evidence: &[&str]) -> Value {
    json!({
        "cveID": cve, "vendorProject": "Ivanti", "product": "Connect Secure",
        "vulnerabilityName": "Ivanti Connect Secure Authentication Bypass",
        "dateAdded": "2024-01-10", "shortDescription": "An authentication bypass in the web component.",
        "requiredAction": "Apply the vendor's mitigation and the patch.", "dueDate": "2024-01-22",
        "evidenceItems": evidence
    })
}

async fn retract(app: &TestApp, token: &str, id: &str) {
    let (s, v) = app
        .post(
            &format!("/api/v1/items/{id}/retract"),
            Some(token),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
}

/// A council with a provider, a second curator, an ISP, a railway and a general
/// member, and items that do and do not belong in block lists.
async fn fixture(app: &TestApp) -> Fixture {
    let c = council(app).await;
    let (_, provider) = admitted_in(
        app,
        &c,
        "Hoshizuna Cyberworks",
        "class1",
        "security_vendor",
        false,
    )
    .await;
    let (_, lab) = admitted_in(
        app,
        &c,
        "Tsukimaru Institute of Technology",
        "class1",
        "academia",
        false,
    )
    .await;
    let (isp_id, isp_admin) = admitted_in(
        app,
        &c,
        "Kumonami Net",
        "class2",
        "information_communication",
        false,
    )
    .await;
    let (railway_id, railway) =
        admitted_in(app, &c, "Sorahashi Railway", "class2", "railway", false).await;
    let (_, general) = admitted_in(app, &c, "Hamuteru Gas", "general", "gas", false).await;
    let (s, v) = app
        .post(
            "/api/v1/tokens",
            Some(&isp_admin),
            json!({"name": "resolver block list", "expires_in_days": 30}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let isp = v["token"].as_str().unwrap().to_owned();

    let everyone = json!({"classes": ["class1", "class2", "general"]});
    let class12 = json!({"classes": ["class1", "class2"]});
    let cm_all = share(
        app,
        &provider,
        "countermeasure",
        "confirmed",
        "green",
        everyone.clone(),
        &[
            ("domain", "dist.kuronagi-malware.example"),
            ("ipv4", "192.0.2.10"),
            ("cidr", "203.0.113.0/24"),
            ("ipv6", "2001:db8::1"),
            ("url", "http://dist.kuronagi-malware.example/payload.exe"),
            ("email", "lure@kuronagi-mail.example"),
            ("email_subject", "Invoice overdue"),
            (
                "sha256",
                "24d004a104d4d54034dbcffc2a4b19a11f39008a575aa614ea04703480b1022c",
            ),
            ("md5", "d41d8cd98f00b204e9800998ecf8427e"),
        ],
    )
    .await;
    let cm_ict = share(
        app,
        &provider,
        "countermeasure",
        "confirmed",
        "amber",
        json!({"classes": ["class2"], "sectors": ["information_communication"]}),
        &[("domain", "c2.isp-only.example"), ("ipv4", "198.51.100.7")],
    )
    .await;
    // Named for the railway only, and for everyone but the ISP.
    share(
        app,
        &provider,
        "countermeasure",
        "confirmed",
        "green",
        json!({"members": [railway_id]}),
        &[("domain", "railway-only.example")],
    )
    .await;
    share(
        app,
        &provider,
        "countermeasure",
        "confirmed",
        "green",
        json!({"classes": ["class1", "class2", "general"], "excluded": [isp_id]}),
        &[("domain", "excluded-isp.example")],
    )
    .await;
    // Not confirmed, retracted, or neither a countermeasure nor catalogue evidence.
    share(
        app,
        &provider,
        "countermeasure",
        "probable",
        "green",
        everyone.clone(),
        &[("domain", "probable.example"), ("ipv4", "192.0.2.20")],
    )
    .await;
    share(
        app,
        &provider,
        "countermeasure",
        "unconfirmed",
        "amber",
        class12.clone(),
        &[("domain", "unconfirmed.example")],
    )
    .await;
    let gone = share(
        app,
        &provider,
        "countermeasure",
        "confirmed",
        "green",
        everyone.clone(),
        &[("domain", "retracted.example"), ("ipv4", "192.0.2.30")],
    )
    .await;
    retract(app, &provider, &gone).await;
    share(
        app,
        &provider,
        "threat_information",
        "confirmed",
        "green",
        class12.clone(),
        &[("domain", "unlisted-threat.example")],
    )
    .await;
    share(
        app,
        &provider,
        "best_practice",
        "confirmed",
        "clear",
        everyone,
        &[("domain", "best-practice.example")],
    )
    .await;
    // Catalogue evidence: confirmed and published; probable; only proposed.
    let evidence = share(
        app,
        &provider,
        "threat_information",
        "confirmed",
        "amber",
        class12.clone(),
        &[
            ("domain", "dist.kuronagi-malware.example"),
            ("domain", "vpn-exploit.example"),
            ("ipv4", "192.0.2.66"),
            ("url", "https://vpn-exploit.example/x"),
            ("sha1", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
        ],
    )
    .await;
    let probable_evidence = share(
        app,
        &provider,
        "analysis",
        "probable",
        "green",
        class12.clone(),
        &[("domain", "probable-evidence.example")],
    )
    .await;
    let proposed_evidence = share(
        app,
        &provider,
        "analysis",
        "confirmed",
        "green",
        class12,
        &[("domain", "proposal-only.example")],
    )
    .await;
    let (s, v) = app
        .post(
            "/api/v1/kev",
            Some(&provider),
            kev_entry("CVE-2023-46805", &[&evidence, &probable_evidence]),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let (s, v) = app
        .post("/api/v1/kev/CVE-2023-46805/approve", Some(&lab), json!({}))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "published");
    let (s, v) = app
        .post(
            "/api/v1/kev",
            Some(&provider),
            kev_entry("CVE-2024-21887", &[&proposed_evidence]),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    Fixture {
        provider,
        isp_id,
        isp,
        railway,
        general,
        cm_all,
        cm_ict,
        evidence,
    }
}

/// GET with a bearer token and extra headers; a 4xx must be problem+json.
async fn fetch(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
) -> (u16, HeaderMap, String) {
    let mut req = app.client.get(app.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let h = resp.headers().clone();
    let body = resp.text().await.unwrap();
    if status >= 400 {
        assert_eq!(
            h["content-type"], "application/problem+json",
            "{path} -> {status}: {body}"
        );
        let problem: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(problem["status"], status);
    }
    (status, h, body)
}

fn header<'h>(h: &'h HeaderMap, name: &str) -> &'h str {
    h.get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .unwrap()
}

/// The values of a plain list: every line that is not a comment.
fn values(body: &str) -> Vec<&str> {
    body.lines().filter(|l| !l.starts_with('#')).collect()
}

async fn list(app: &TestApp, token: &str, query: &str) -> String {
    let (s, h, body) = fetch(
        app,
        &format!("/feeds/blocklist.txt{query}"),
        Some(token),
        &[],
    )
    .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(header(&h, "content-type"), "text/plain; charset=utf-8");
    body
}

fn http_date(s: &str) -> OffsetDateTime {
    time::PrimitiveDateTime::parse(s, HTTP_DATE)
        .unwrap()
        .assume_utc()
}

async fn each_member_gets_exactly_the_confirmed_values_in_its_scope(app: &TestApp) {
    let f = fixture(app).await;
    let audit_before = app.audit_len().await;

    let body = list(app, &f.isp, "").await;
    assert_eq!(values(&body), ISP_LIST, "{body}");
    let comments: Vec<&str> = body.lines().take_while(|l| l.starts_with('#')).collect();
    assert_eq!(comments.len(), 3, "{body}");
    assert!(comments[0].starts_with("# tsunagu block list"), "{body}");
    assert!(comments[1].starts_with("# Generated: "), "{body}");
    assert_eq!(comments[2], "# Entries: 10");
    // The filters: ip is IPv4, IPv6 and CIDR.
    assert_eq!(values(&list(app, &f.isp, "?type=ip").await), ISP_LIST[..5]);
    assert_eq!(
        values(&list(app, &f.isp, "?type=domain").await),
        ISP_LIST[5..8]
    );
    assert_eq!(values(&list(app, &f.isp, "?type=url").await), ISP_LIST[8..]);

    // Other members: their own scopes.
    assert_eq!(values(&list(app, &f.railway, "").await), RAILWAY_LIST);
    assert_eq!(values(&list(app, &f.general, "").await), GENERAL_LIST);

    // JSON: the same values, with their type, items and most restrictive TLP.
    let (s, h, body) = fetch(app, "/feeds/blocklist.json", Some(&f.isp), &[]).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(header(&h, "content-type"), "application/json");
    let doc: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(doc["count"], 10);
    let entries = doc["entries"].as_array().unwrap();
    let listed: Vec<&str> = entries
        .iter()
        .map(|e| e["value"].as_str().unwrap())
        .collect();
    assert_eq!(listed, ISP_LIST);
    let entry = |value: &str| entries.iter().find(|e| e["value"] == value).unwrap();
    for (value, kind) in [
        ("192.0.2.10", "ipv4"),
        ("203.0.113.0/24", "cidr"),
        ("2001:db8::1", "ipv6"),
        ("c2.isp-only.example", "domain"),
        ("https://vpn-exploit.example/x", "url"),
    ] {
        assert_eq!(entry(value)["type"], kind, "{value}");
    }
    let mut both = vec![f.cm_all.clone(), f.evidence.clone()];
    both.sort();
    let shared = entry("dist.kuronagi-malware.example");
    assert_eq!(shared["items"], json!(both), "one entry, both items");
    assert_eq!(
        shared["tlp"], "amber",
        "the most restrictive of green and amber"
    );
    assert_eq!(entry("192.0.2.10")["items"], json!([f.cm_all]));
    assert_eq!(entry("192.0.2.10")["tlp"], "green");
    assert_eq!(entry("c2.isp-only.example")["items"], json!([f.cm_ict]));
    assert_eq!(entry("c2.isp-only.example")["tlp"], "amber");
    assert_eq!(entry("192.0.2.66")["items"], json!([f.evidence]));
    // Timestamps compare as instants: RFC 3339 strings with and without
    // fractional seconds do not sort as text ("18.045Z" < "18Z").
    let instant = |v: &Value| {
        OffsetDateTime::parse(
            v.as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap()
    };
    for e in entries {
        assert!(instant(&e["first_seen"]) <= instant(&e["last_seen"]), "{e}");
    }
    let newest_seen = entries
        .iter()
        .map(|e| instant(&e["last_seen"]))
        .max()
        .unwrap();
    assert!(instant(&doc["generated_at"]) >= newest_seen, "{doc}");
    let (_, h, _) = fetch(app, "/feeds/blocklist.json", Some(&f.isp), &[]).await;
    assert_eq!(
        http_date(header(&h, "last-modified")).unix_timestamp(),
        instant(&doc["generated_at"]).unix_timestamp(),
        "Last-Modified is the generated time"
    );

    // Polling is not audited, though the list holds an amber item.
    fetch(app, "/feeds/blocklist.rpz", Some(&f.isp), &[]).await;
    assert_eq!(app.audit_len().await, audit_before);
}

async fn validators_answer_304_until_the_list_changes(app: &TestApp) {
    let f = fixture(app).await;
    let path = "/feeds/blocklist.txt";
    let (s, h, first) = fetch(app, path, Some(&f.isp), &[]).await;
    assert_eq!(s, 200);
    assert_eq!(header(&h, "cache-control"), "private, max-age=60");
    let etag = header(&h, "etag").to_owned();
    assert!(
        etag.len() > 2 && etag.starts_with('"') && etag.ends_with('"'),
        "a strong tag: {etag}"
    );
    let modified = header(&h, "last-modified").to_owned();
    http_date(&modified);
    // The same list gives the same tag.
    let (_, h, again) = fetch(app, path, Some(&f.isp), &[]).await;
    assert_eq!(again, first);
    assert_eq!(header(&h, "etag"), etag);

    let weak = format!("W/{etag}");
    let listed = format!("\"elsewhere\", {etag}");
    for inm in [etag.as_str(), weak.as_str(), listed.as_str(), "*"] {
        let (s, h, body) = fetch(app, path, Some(&f.isp), &[("if-none-match", inm)]).await;
        assert_eq!(s, 304, "If-None-Match: {inm}");
        assert_eq!(body, "", "no body");
        assert_eq!(header(&h, "etag"), etag);
        assert_eq!(header(&h, "last-modified"), modified);
        assert_eq!(header(&h, "cache-control"), "private, max-age=60");
    }
    let (s, _, body) = fetch(
        app,
        path,
        Some(&f.isp),
        &[
            ("if-none-match", "\"stale\""),
            ("if-modified-since", &modified),
        ],
    )
    .await;
    assert_eq!(
        (s, body.as_str()),
        (200, first.as_str()),
        "If-None-Match wins"
    );
    let (s, _, body) = fetch(app, path, Some(&f.isp), &[("if-modified-since", &modified)]).await;
    assert_eq!((s, body.as_str()), (304, ""));
    let (s, _, _) = fetch(
        app,
        path,
        Some(&f.isp),
        &[("if-modified-since", "Mon, 01 Jan 2001 00:00:00 GMT")],
    )
    .await;
    assert_eq!(s, 200);
    // The other forms have their own tags and answer 304 the same way.
    let mut tags = Vec::new();
    for other in ["/feeds/blocklist.rpz", "/feeds/blocklist.json"] {
        let (s, h, _) = fetch(app, other, Some(&f.isp), &[]).await;
        assert_eq!(s, 200);
        let tag = header(&h, "etag").to_owned();
        assert_ne!(tag, etag);
        let (s, _, body) = fetch(app, other, Some(&f.isp), &[("if-none-match", &tag)]).await;
        assert_eq!((s, body.as_str()), (304, ""), "{other}");
        tags.push(tag);
    }

    // A new confirmed countermeasure: a new tag and a later date (a second later, as
    // HTTP dates have seconds only).
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let campaign = share(
        app,
        &f.provider,
        "countermeasure",
        "confirmed",
        "green",
        json!({"classes": ["class2"]}),
        &[("domain", "new-campaign.example")],
    )
    .await;
    let (s, h, body) = fetch(app, path, Some(&f.isp), &[("if-none-match", &etag)]).await;
    assert_eq!(s, 200);
    assert!(values(&body).contains(&"new-campaign.example"), "{body}");
    let added = header(&h, "etag").to_owned();
    assert_ne!(added, etag);
    let added_modified = header(&h, "last-modified").to_owned();
    assert!(http_date(&added_modified) > http_date(&modified));
    let (s, _, _) = fetch(app, path, Some(&f.isp), &[("if-modified-since", &modified)]).await;
    assert_eq!(s, 200, "the old date is stale");
    for (other, tag) in ["/feeds/blocklist.rpz", "/feeds/blocklist.json"]
        .into_iter()
        .zip(&tags)
    {
        let (s, _, body) = fetch(app, other, Some(&f.isp), &[("if-none-match", tag)]).await;
        assert_eq!(s, 200, "{other}");
        assert!(body.contains("new-campaign.example"), "{other}: {body}");
    }

    // Its retraction: the value leaves, the tag changes, and the date moves on, so a
    // poller that only sends If-Modified-Since drops the value too.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    retract(app, &f.provider, &campaign).await;
    let (s, h, body) = fetch(app, path, Some(&f.isp), &[("if-none-match", &added)]).await;
    assert_eq!(s, 200);
    assert!(!body.contains("new-campaign.example"), "{body}");
    assert_eq!(values(&body), ISP_LIST);
    let retracted = header(&h, "etag").to_owned();
    assert_ne!(retracted, added);
    let (s, _, _) = fetch(
        app,
        path,
        Some(&f.isp),
        &[("if-modified-since", &added_modified)],
    )
    .await;
    assert_eq!(s, 200, "the retraction dates the list");

    // Rescoping an item away from the ISP: its values leave and the tag changes.
    let (s, v) = app
        .call(
            "PUT",
            &format!("/api/v1/items/{}/scope", f.cm_ict),
            Some(&f.provider),
            Some(json!({"scope": {"classes": ["class2"], "sectors": ["information_communication"], "excluded": [f.isp_id]}})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, h, body) = fetch(app, path, Some(&f.isp), &[("if-none-match", &retracted)]).await;
    assert_eq!(s, 200);
    assert_ne!(header(&h, "etag"), retracted);
    let now: Vec<&str> = ISP_LIST
        .into_iter()
        .filter(|v| *v != "c2.isp-only.example" && *v != "198.51.100.7")
        .collect();
    assert_eq!(values(&body), now);
    let (s, _, _) = fetch(
        app,
        path,
        Some(&f.isp),
        &[("if-none-match", header(&h, "etag"))],
    )
    .await;
    assert_eq!(s, 304);
}

async fn the_zone_blocks_domains_and_addresses_but_not_urls(app: &TestApp) {
    let f = fixture(app).await;
    let (s, h, zone) = fetch(app, "/feeds/blocklist.rpz", Some(&f.isp), &[]).await;
    assert_eq!(s, 200, "{zone}");
    assert_eq!(header(&h, "content-type"), "text/plain; charset=utf-8");
    assert_eq!(
        header(&h, "content-disposition"),
        "attachment; filename=\"tsunagu-blocklist.rpz\""
    );
    let serial = http_date(header(&h, "last-modified")).unix_timestamp();
    let records: Vec<&str> = zone.lines().filter(|l| !l.starts_with(';')).collect();
    assert_eq!(
        records,
        [
            "$TTL 300".to_owned(),
            format!("@ SOA localhost. hostmaster.localhost. {serial} 3600 600 86400 300"),
            "@ NS localhost.".to_owned(),
            "32.10.2.0.192.rpz-ip CNAME .".to_owned(),
            "32.66.2.0.192.rpz-ip CNAME .".to_owned(),
            "32.7.100.51.198.rpz-ip CNAME .".to_owned(),
            "24.0.113.0.203.rpz-ip CNAME .".to_owned(),
            "128.1.zz.db8.2001.rpz-ip CNAME .".to_owned(),
            "c2.isp-only.example CNAME .".to_owned(),
            "*.c2.isp-only.example CNAME .".to_owned(),
            "dist.kuronagi-malware.example CNAME .".to_owned(),
            "*.dist.kuronagi-malware.example CNAME .".to_owned(),
            "vpn-exploit.example CNAME .".to_owned(),
            "*.vpn-exploit.example CNAME .".to_owned(),
        ],
        "{zone}"
    );
    assert!(
        zone.lines()
            .any(|l| l.starts_with("; 2 URL(s) left out") && l.contains("not URLs")),
        "{zone}"
    );
    assert!(!zone.contains("http"), "{zone}");
    // The serial is the list's last change, as JSON's generated time says.
    let (_, _, json) = fetch(app, "/feeds/blocklist.json", Some(&f.isp), &[]).await;
    let doc: Value = serde_json::from_str(&json).unwrap();
    let generated = OffsetDateTime::parse(
        doc["generated_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!(serial, generated.unix_timestamp());
    // The railway's zone has its own domains and not the ISP's.
    let (_, _, railway) = fetch(app, "/feeds/blocklist.rpz", Some(&f.railway), &[]).await;
    assert!(
        railway.contains("\nrailway-only.example CNAME .\n"),
        "{railway}"
    );
    assert!(!railway.contains("c2.isp-only.example"), "{railway}");
    assert!(!railway.contains("32.7.100.51.198.rpz-ip"), "{railway}");
}

async fn a_token_and_a_known_type_are_required(app: &TestApp) {
    let c = council(app).await;
    let (_, member) = admitted_in(
        app,
        &c,
        "Kumonami Net",
        "class2",
        "information_communication",
        false,
    )
    .await;
    for path in [
        "/feeds/blocklist.txt",
        "/feeds/blocklist.rpz",
        "/feeds/blocklist.json",
    ] {
        let (s, h, _) = fetch(app, path, None, &[]).await;
        assert_eq!(s, 401, "{path}");
        assert!(h.contains_key("www-authenticate"));
        let (s, _, _) = fetch(app, path, Some("not-a-token"), &[]).await;
        assert_eq!(s, 401, "{path}");
        let (s, _, body) = fetch(app, path, Some(&member), &[]).await;
        assert_eq!(s, 200, "{path}: {body}");
    }
    // An empty list is still a list.
    let body = list(app, &member, "").await;
    assert_eq!(values(&body), Vec::<&str>::new());
    assert!(body.contains("# Entries: 0\n"), "{body}");
    for bad in ["hash", "IP", ""] {
        let (s, _, body) = fetch(
            app,
            &format!("/feeds/blocklist.txt?type={bad}"),
            Some(&member),
            &[],
        )
        .await;
        assert_eq!(s, 400, "type={bad}");
        assert!(body.contains("ip, domain or url"), "{body}");
    }
    // The API description names the feeds and the JSON form.
    let (_, doc) = app.call("GET", "/api/v1/openapi.json", None, None).await;
    for path in [
        "/feeds/blocklist.txt",
        "/feeds/blocklist.rpz",
        "/feeds/blocklist.json",
    ] {
        assert_eq!(
            doc["paths"][path]["get"]["tags"],
            json!(["feeds"]),
            "{path}"
        );
    }
    let entry = &doc["components"]["schemas"]["BlockListEntry"]["properties"];
    for field in ["type", "value", "items", "tlp", "first_seen", "last_seen"] {
        assert!(entry.get(field).is_some(), "{field}: {doc}");
    }
}
