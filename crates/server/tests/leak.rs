//! The leak test (MISSION.md M2.3, M1.7): on the demo council, secrets are planted in
//! providers' names, victims' names, damage details and technical details of items
//! with every kind of scope; then every endpoint that returns item or member data is
//! requested as every member, and no response byte may contain a secret that member
//! must not see. Which member may see what is restated here independently of the
//! policy view. Every new endpoint that returns shared data joins `crawl`.
//!
//! Consultations (M2.6) join too: planted providers ask with secrets in the text,
//! a class-1 member replies with secrets, and every member lists and reads them.
//!
//! So does the asset registry (M4.2): each planted provider registers an asset with a
//! secret in its model and placement, and a catalogue entry matching them all alerts
//! each provider naming its own asset; assets, SBOMs, exposure, advisories, product
//! counts and alerts are crawled, and no member may see another's asset secret.
//!
//! So do incident reports (M5.2): each planted provider reports an incident with a
//! secret; only the provider, the secretariat and the regulators of its sector may
//! ever see it, and they must.
//!
//! So do constituencies and observations (M6): each planted provider registers a
//! range whose ownership statement carries a secret, and the sensors report a record
//! from that range with a secret hostname; only the provider (and, for the
//! registration, the coordinator) may see them, and the provider must. Hits, summaries,
//! digests, indicator notices, trends and the block lists are crawled.
//!
//! So do the portal's pages (M8.1): every member logs in with its password and reads
//! its dashboard, the item list and searches, each planted item's page, the submit
//! form, alerts and consultations, as a browser would.
//!
//! So does security clearance (M2.8): the first planted provider also shares items
//! that require a clearance level. Some members are crawled twice, as a cleared user
//! and as an uncleared user of the same member (the coordinator and that provider
//! among them): the uncleared one must never receive a byte of a cleared item, not
//! even its title, and the cleared one must receive what its member may see.
//!
//! So do partners (M7.2): the demo's two partners are crawled through everything their
//! tokens open (items, the STIX export, TAXII), and what the council pushes to each
//! one's TAXII collection is recorded: they must see and be sent exactly the planted
//! items whose scope names partners and that their agreements allow, masked as for
//! class 2; every other endpoint must refuse them, and the portal must not let them in.
//!
//! So do the interchange formats (M7.1): each member's STIX export, every page of its
//! TAXII collections and manifests, objects by id, and its MISP feed. There a secret
//! may sit inside a longer text, so secrets are matched as tokens (not followed by a
//! digit), and each planted item's indicator must appear in a member's feeds exactly
//! when it may see the item.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{Db, TestApp, application_in};
use serde_json::{Value, json};
use tsunagu_server::demo;

/// A demo member as the test knows it.
#[derive(Debug, Clone)]
struct M {
    id: String,
    class: String,
    roles: BTreeSet<String>,
    sector: String,
    regulator_of: BTreeSet<String>,
    in_tf: bool,
    opt_out: bool,
    token: String,
    login: String,
    password: String,
    /// The crawling user holds the clearance the cleared planted items require.
    cleared: bool,
    /// What the council pushed to a partner's TAXII collection (federation); `None`
    /// for the council's members.
    inbox: Option<std::sync::Arc<std::sync::Mutex<String>>>,
    /// A partner's sharing agreement (federation); `None` for the council's members.
    agreement: Option<Value>,
}

/// A planted item and what it carries.
#[derive(Debug, Clone)]
struct Planted {
    id: String,
    n: usize,
    provider: String,
    provider_sector: String,
    kind: &'static str,
    confidence: &'static str,
    tlp: &'static str,
    scope: Value,
    /// The clearance level it requires.
    clearance: Option<&'static str>,
}

/// A planted consultation: who asked and who replied.
#[derive(Debug, Clone)]
struct PlantedConsultation {
    id: String,
    n: usize,
    asker: String,
    responder: String,
}

/// The consultation rule, restated: the asker, the coordinator and class-1
/// task-force members read a consultation; nobody else learns it exists.
fn may_read_consultation(c: &PlantedConsultation, m: &M) -> bool {
    m.id == c.asker || m.roles.contains("coordinator") || (m.class == "class1" && m.in_tf)
}

/// Whether `token` occurs in `hay` not followed by a digit (`TSECRET-1` is not found
/// in `TSECRET-12`).
fn has(hay: &str, token: &str) -> bool {
    memchr::memmem::find_iter(hay.as_bytes(), token.as_bytes()).any(|i| {
        !hay.as_bytes()[i + token.len()..]
            .first()
            .is_some_and(u8::is_ascii_digit)
    })
}

/// Whether `needle` occurs anywhere in `hay`.
fn occurs(hay: &str, needle: &str) -> bool {
    memchr::memmem::find(hay.as_bytes(), needle.as_bytes()).is_some()
}

/// What a member receives through STIX, TAXII and MISP, per format.
async fn feeds(
    app: &TestApp,
    m: &M,
    planted: &[Planted],
    containers: &BTreeMap<usize, String>,
) -> Vec<(&'static str, String)> {
    let (s, stix) = app.get_text("/api/v1/export/stix", &m.token).await;
    assert_eq!(s, 200);
    let mut taxii = String::new();
    for coll in ["all", "task-force", "countermeasures"] {
        for what in ["objects", "manifest"] {
            let mut next: Option<String> = None;
            loop {
                let mut path = format!("/taxii2/root/collections/{coll}/{what}/?limit=1000");
                if let Some(n) = &next {
                    path.push_str(&format!("&next={n}"));
                }
                let (s, body) = app.get_text(&path, &m.token).await;
                assert_eq!(s, 200, "{path}: {body}");
                let v: Value = serde_json::from_str(&body).unwrap();
                taxii.push_str(&body);
                next = v["next"].as_str().map(str::to_owned);
                if v["more"] != true {
                    break;
                }
            }
        }
    }
    // Objects by id: the council's container of an item another member provided exists
    // for this member exactly when it may see the item.
    let mut seen_one = false;
    let mut unseen_one = false;
    for p in planted.iter().filter(|p| p.provider != m.id) {
        let sees = may_see(p, m).is_some();
        if (sees && seen_one) || (!sees && unseen_one) {
            continue;
        }
        let id = &containers[&p.n];
        let (s, body) = app
            .get_text(
                &format!("/taxii2/root/collections/all/objects/{id}/"),
                &m.token,
            )
            .await;
        assert_eq!(
            s == 200,
            sees,
            "member {} on the container of item {}: {s} {body}",
            m.id,
            p.n
        );
        taxii.push_str(&body);
        seen_one |= sees;
        unseen_one |= !sees;
    }
    let mut misp = String::new();
    for file in ["manifest.json", "hashes.csv"] {
        let (s, body) = app.get_text(&format!("/misp/feed/{file}"), &m.token).await;
        assert_eq!(s, 200);
        misp.push_str(&body);
    }
    for p in planted {
        let (s, body) = app
            .get_text(&format!("/misp/feed/{}.json", p.id), &m.token)
            .await;
        assert_eq!(
            s == 200,
            may_see(p, m).is_some(),
            "member {} on the MISP event of item {}",
            m.id,
            p.n
        );
        misp.push_str(&body);
    }
    vec![("stix", stix), ("taxii", taxii), ("misp", misp)]
}

fn set(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .map(|a| a.iter().map(|x| x.as_str().unwrap().to_owned()).collect())
        .unwrap_or_default()
}

/// The scope rule, restated: exclusions win; named members are in; otherwise class and sector.
fn in_scope(scope: &Value, provider_sector: &str, m: &M) -> bool {
    if set(&scope["excluded"]).contains(&m.id) {
        return false;
    }
    let regulator = m.roles.contains("regulator");
    if regulator && scope["exclude_all_regulators"] == true {
        return false;
    }
    if regulator
        && scope["exclude_regulators_of_my_sector"] == true
        && m.regulator_of.contains(provider_sector)
    {
        return false;
    }
    if set(&scope["members"]).contains(&m.id) {
        return true;
    }
    let sectors = set(&scope["sectors"]);
    set(&scope["classes"]).contains(&m.class) && (sectors.is_empty() || sectors.contains(&m.sector))
}

/// What a member may see of an item: None, or whether it gets the class-1 details.
fn may_see(item: &Planted, m: &M) -> Option<bool> {
    // An item requiring clearance does not exist for an uncleared user, whoever it is.
    if item.clearance.is_some() && !m.cleared {
        return None;
    }
    if m.id == item.provider || m.roles.contains("coordinator") {
        return Some(true);
    }
    if let Some(agreement) = &m.agreement {
        return partner_sees(item, m, agreement).then_some(false);
    }
    if !in_scope(&item.scope, &item.provider_sector, m) {
        return None;
    }
    let confidential = matches!(item.tlp, "amber" | "amber+strict" | "red");
    let unconfirmed = item.confidence == "unconfirmed";
    if m.opt_out && (confidential || unconfirmed) {
        return None;
    }
    if unconfirmed && !m.in_tf {
        return None;
    }
    match m.class.as_str() {
        "class1" => Some(true),
        "class2" => Some(false),
        _ => (matches!(item.kind, "countermeasure" | "best_practice")
            && item.confidence == "confirmed")
            .then_some(false),
    }
}

/// The federation rule, restated (M7.2): a partner sees an item when the provider put
/// partners in its scope (the class or the partner by name) and its agreement allows
/// it: one of the agreed audience classes, at most the agreed TLP (never RED), and an
/// agreed sector (the provider's or the victim's; every planted victim is in
/// electricity). It is never in the task force, so never sees unconfirmed items, and
/// sees what class 2 sees.
fn partner_sees(item: &Planted, m: &M, agreement: &Value) -> bool {
    const TLP: [&str; 5] = ["clear", "green", "amber", "amber+strict", "red"];
    let rank = |t: &str| TLP.iter().position(|x| *x == t).unwrap();
    let classes = set(&item.scope["classes"]);
    let scope_sectors = set(&item.scope["sectors"]);
    let reached = !set(&item.scope["excluded"]).contains(&m.id)
        && (set(&item.scope["members"]).contains(&m.id)
            || (classes.contains("partner")
                && (scope_sectors.is_empty() || scope_sectors.contains(&m.sector))));
    let sectors = set(&agreement["sectors"]);
    reached
        && item.confidence != "unconfirmed"
        && item.tlp != "red"
        && rank(item.tlp) <= rank(agreement["max_tlp"].as_str().unwrap())
        && !classes.is_disjoint(&set(&agreement["classes"]))
        && (sectors.is_empty()
            || sectors.contains(&item.provider_sector)
            || sectors.contains("electricity"))
}

async fn members(app: &TestApp, creds: &demo::DemoCredentials, coordinator: &str) -> Vec<M> {
    let (_, all) = app.get("/api/v1/members", coordinator).await;
    let details: BTreeMap<String, Value> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["id"].as_str().unwrap().to_owned(), m.clone()))
        .collect();
    creds
        .members
        .iter()
        .map(|c| {
            let d = &details[&c.id];
            M {
                id: c.id.clone(),
                class: c.class.clone(),
                roles: c.roles.iter().cloned().collect(),
                sector: c.sector.clone(),
                regulator_of: set(&d["details"]["regulator_of"]),
                in_tf: d["details"]["in_task_force"] == true,
                opt_out: d["details"]["confidential_opt_out"] == true,
                token: c.users[0].api_token.clone(),
                login: c.users[0].login.clone(),
                password: c.users[0].password.clone(),
                cleared: false,
                inbox: None,
                agreement: None,
            }
        })
        .chain(creds.partners.iter().map(|p| M {
            id: p.id.clone(),
            class: "partner".to_owned(),
            roles: BTreeSet::new(),
            sector: p.sector.clone(),
            regulator_of: BTreeSet::new(),
            in_tf: false,
            opt_out: false,
            token: p.users[0].api_token.clone(),
            login: p.users[0].login.clone(),
            password: p.users[0].password.clone(),
            cleared: false,
            inbox: None,
            agreement: Some(serde_json::to_value(&p.agreement).unwrap()),
        }))
        .collect()
}

/// Grants the user of `token` the highest clearance, for a month (as the coordinator).
async fn grant_top_secret(app: &TestApp, coordinator: &str, token: &str) {
    common::grant_clearance(
        app,
        coordinator,
        token,
        "top_secret",
        time::Duration::days(30),
    )
    .await;
}

/// Another user of `m`'s member, cleared or not: the member's crawl done as that user.
async fn twin(app: &TestApp, admin: &str, m: &M, cleared: bool, coordinator: &str) -> M {
    let login = format!("twin-{}", &m.id[m.id.len() - 8..]);
    let password = "leak test twin password";
    let (s, v) = app
        .post(
            &format!("/api/v1/members/{}/users", m.id),
            Some(admin),
            json!({"login": login, "password": password, "role": "analyst"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let token = common::login(app, &login, password).await;
    if cleared {
        grant_top_secret(app, coordinator, &token).await;
    }
    M {
        token,
        login,
        password: password.to_owned(),
        cleared,
        ..m.clone()
    }
}

async fn admit(
    app: &TestApp,
    approvers: &[&str],
    name: &str,
    class: &str,
    sector: &str,
) -> (String, String) {
    let (s, v) = app
        .post(
            "/api/v1/applications",
            None,
            application_in(name, class, sector, false),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let id = v["id"].as_str().unwrap().to_owned();
    let secret = v["applicant_secret"].as_str().unwrap().to_owned();
    for t in approvers {
        assert_eq!(
            app.post(
                &format!("/api/v1/applications/{id}/approve"),
                Some(t),
                json!({})
            )
            .await
            .0,
            200
        );
    }
    let (s, v) = app
        .post(
            &format!("/api/v1/applications/{id}/activate"),
            None,
            json!({"applicant_secret": secret, "login": format!("leak-{}", &id[id.len() - 8..]), "password": "leak test password"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    (id, v["token"]["token"].as_str().unwrap().to_owned())
}

/// A portal session of one member: logs in through the login form (its hidden token
/// and cookie, then the password) and keeps the session cookie.
struct Portal {
    client: reqwest::Client,
    base: String,
    cookies: BTreeMap<String, String>,
}

impl Portal {
    async fn request(&mut self, req: reqwest::RequestBuilder) -> (u16, String) {
        let cookie = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let resp = req.header("cookie", cookie).send().await.unwrap();
        for c in resp.headers().get_all("set-cookie") {
            let c = c.to_str().unwrap();
            let (kv, _) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = kv.split_once('=').unwrap();
            self.cookies.insert(k.to_owned(), v.to_owned());
        }
        (resp.status().as_u16(), resp.text().await.unwrap())
    }

    async fn get(&mut self, path: &str) -> (u16, String) {
        let req = self.client.get(format!("{}{path}", self.base));
        self.request(req).await
    }

    async fn login(app: &TestApp, login: &str, password: &str) -> Self {
        let (p, s, body) = Self::attempt(app, login, password).await;
        assert_eq!(s, 303, "portal login of {login}: {body}");
        p
    }

    async fn attempt(app: &TestApp, login: &str, password: &str) -> (Self, u16, String) {
        let mut p = Self {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: app.base.clone(),
            cookies: BTreeMap::new(),
        };
        let (_, form) = p.get("/portal/login").await;
        let at = form.find("name=\"_csrf\" value=\"").unwrap() + 20;
        let token = form[at..at + form[at..].find('"').unwrap()].to_owned();
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs([("login", login), ("password", password), ("_csrf", &token)])
            .finish();
        let req = p
            .client
            .post(format!("{}/portal/login", p.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        let (s, body) = p.request(req).await;
        (p, s, body)
    }
}

/// Every portal page a member reads that shows items or consultations (first), the
/// consultations' own pages (second, also in the first) or anything (third).
async fn portal_pages(
    app: &TestApp,
    m: &M,
    planted: &[Planted],
    consultations: &[PlantedConsultation],
) -> (String, String, String) {
    let mut p = Portal::login(app, &m.login, &m.password).await;
    let mut items = String::new();
    for path in [
        "/portal/",
        "/portal/items",
        "/portal/alerts",
        "/portal/consultations",
        "/portal/consultations/new",
        "/portal/observations",
    ] {
        let (s, body) = p.get(path).await;
        assert_eq!(s, 200, "{path} for {}", m.id);
        items.push_str(&body);
    }
    for planted in planted {
        let (s, body) = p.get(&format!("/portal/items/{}", planted.id)).await;
        assert_eq!(
            s == 200,
            may_see(planted, m).is_some(),
            "portal page of item {} for member {}",
            planted.n,
            m.id
        );
        items.push_str(&body);
        let (_, body) = p
            .get(&format!(
                "/portal/items?indicator=leak-{}.example.org",
                planted.n
            ))
            .await;
        items.push_str(&body);
    }
    let mut consulted = String::new();
    for c in consultations {
        let (s, body) = p.get(&format!("/portal/consultations/{}", c.id)).await;
        assert_eq!(
            s == 200,
            may_read_consultation(c, m),
            "portal page of consultation {} for member {}",
            c.n,
            m.id
        );
        consulted.push_str(&body);
    }
    items.push_str(&consulted);
    let mut all = String::new();
    for path in [
        "/portal/items/new",
        "/portal/settings",
        "/portal/alerts/new",
        "/portal/constituency",
        "/portal/trends",
        "/portal/kev",
        "/portal/assets",
        "/portal/incidents",
        "/portal/settings/channels",
        "/portal/settings/tokens",
        "/portal/audit",
        "/portal/members",
        "/portal/clearances",
        "/portal/settings/users",
        "/portal/partners",
        "/portal/governance",
        "/portal/advisories",
        "/portal/vendor-requests",
    ] {
        let (_, body) = p.get(path).await;
        all.push_str(&body);
    }
    (items, consulted, all)
}

/// Every response a member gets from the endpoints that return item, consultation
/// or member data: (bytes of item responses, bytes of consultation responses, bytes
/// of every response).
async fn crawl(
    app: &TestApp,
    m: &M,
    planted: &[Planted],
    consultations: &[PlantedConsultation],
    provider_ids: &[String],
    incident_ids: &[String],
    containers: &BTreeMap<usize, String>,
) -> (String, String, String, Vec<(&'static str, String)>) {
    if m.agreement.is_some() {
        return crawl_partner(app, m, planted, consultations, incident_ids, containers).await;
    }
    let mut items = String::new();
    let mut consulted = String::new();
    let mut all = String::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/items?limit=200&cursor={c}"),
            None => "/api/v1/items?limit=200".to_owned(),
        };
        let (s, page) = app.get(&path, &m.token).await;
        assert_eq!(s, 200);
        items.push_str(&page.to_string());
        cursor = page["next_cursor"].as_str().map(str::to_owned);
        if cursor.is_none() {
            break;
        }
    }
    for p in planted {
        let expect = may_see(p, m);
        let (s, v) = app.get(&format!("/api/v1/items/{}", p.id), &m.token).await;
        assert_eq!(
            s == 200,
            expect.is_some(),
            "member {} ({}) on item {} ({:?}): {v}",
            m.id,
            m.class,
            p.n,
            p.scope
        );
        items.push_str(&v.to_string());
        for sub in ["revisions", "reads", "feedback", "sources"] {
            let (_, v) = app
                .get(&format!("/api/v1/items/{}/{sub}", p.id), &m.token)
                .await;
            items.push_str(&v.to_string());
        }
        let (_, v) = app
            .get(
                &format!("/api/v1/items?indicator=leak-{}.example.org", p.n),
                &m.token,
            )
            .await;
        items.push_str(&v.to_string());
    }
    // Alerts embed the recipient's views of their related items; the task-force lists
    // embed item views too.
    for path in [
        "/api/v1/alerts?limit=200",
        "/api/v1/feedback/owed",
        "/api/v1/feedback/unanswered",
        "/api/v1/kev",
        "/kev/known_exploited_vulnerabilities.json",
        "/kev/known_exploited_vulnerabilities.csv",
        "/api/v1/assets?limit=1000",
        "/api/v1/assets/exposure",
        "/api/v1/assets/products",
        "/api/v1/sboms",
        "/api/v1/advisories",
        "/api/v1/observations/indicator-hits",
        "/feeds/blocklist.txt",
        "/feeds/blocklist.json",
        "/feeds/blocklist.rpz",
    ] {
        let (_, v) = app.get(path, &m.token).await;
        items.push_str(&v.to_string());
    }
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/consultations?limit=2&cursor={c}"),
            None => "/api/v1/consultations?limit=2".to_owned(),
        };
        let (s, page) = app.get(&path, &m.token).await;
        assert_eq!(s, 200);
        consulted.push_str(&page.to_string());
        cursor = page["next_cursor"].as_str().map(str::to_owned);
        if cursor.is_none() {
            break;
        }
    }
    for c in consultations {
        let (s, v) = app
            .get(&format!("/api/v1/consultations/{}", c.id), &m.token)
            .await;
        assert_eq!(
            s == 200,
            may_read_consultation(c, m),
            "member {} ({}) on consultation {}: {v}",
            m.id,
            m.class,
            c.n
        );
        consulted.push_str(&v.to_string());
    }
    let feeds = feeds(app, m, planted, containers).await;
    for (_, text) in &feeds {
        items.push_str(text);
    }
    let (portal_items, portal_consulted, portal_all) =
        portal_pages(app, m, planted, consultations).await;
    items.push_str(&portal_items);
    consulted.push_str(&portal_consulted);
    all.push_str(&portal_all);
    all.push_str(&items);
    all.push_str(&consulted);
    // Incident reports name their reporter to their recipients: they join `all` only.
    let listed = ["/api/v1/incidents", "/api/v1/incidents/overdue"].map(str::to_owned);
    let each = incident_ids.iter().flat_map(|id| {
        [
            format!("/api/v1/incidents/{id}"),
            format!("/api/v1/incidents/{id}/reports/1"),
        ]
    });
    for path in listed.into_iter().chain(each) {
        let (_, v) = app.get(&path, &m.token).await;
        all.push_str(&v.to_string());
    }
    let today = {
        let d = time::OffsetDateTime::now_utc().date();
        format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
    };
    for path in [
        "/api/v1/constituency".to_owned(),
        "/api/v1/constituency?status=verified".to_owned(),
        "/api/v1/constituency/overlaps".to_owned(),
        "/api/v1/observations/hits?limit=1000".to_owned(),
        "/api/v1/observations/summary".to_owned(),
        format!("/api/v1/observations/digest.csv?day={today}"),
        "/api/v1/observations/trends".to_owned(),
        "/api/v1/observations/trends/ports.svg".to_owned(),
        "/api/v1/observations/trends/tags.svg".to_owned(),
    ] {
        let (_, v) = app.get(&path, &m.token).await;
        all.push_str(&v.to_string());
    }
    for path in ["/api/v1/members".to_owned(), "/api/v1/me".to_owned()]
        .into_iter()
        .chain(provider_ids.iter().map(|p| format!("/api/v1/members/{p}")))
    {
        let (_, v) = app.get(&path, &m.token).await;
        all.push_str(&v.to_string());
    }
    (items, consulted, all, feeds)
}

/// A partner council's TAXII collection: records every object pushed to it and takes
/// them (202); answers reads (the link check) with 200. Returns its URL.
async fn partner_inbox() -> (String, std::sync::Arc<std::sync::Mutex<String>>) {
    let got: std::sync::Arc<std::sync::Mutex<String>> = std::sync::Arc::default();
    let g = got.clone();
    let inbox =
        axum::Router::new().fallback(move |method: axum::http::Method, body: axum::body::Bytes| {
            let g = g.clone();
            async move {
                if method == axum::http::Method::POST {
                    g.lock().unwrap().push_str(&String::from_utf8_lossy(&body));
                    axum::http::StatusCode::ACCEPTED
                } else {
                    axum::http::StatusCode::OK
                }
            }
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/taxii2/root/collections/inbox/",
        listener.local_addr().unwrap()
    );
    tokio::spawn(async move { axum::serve(listener, inbox).await });
    (url, got)
}

/// What a partner receives (federation, M7.2): its token reads items, the STIX export
/// and TAXII, and the council pushes its view to the partner's collection; everything
/// else of the council's business answers 403, and its user cannot log in to the
/// portal. The same tuple as [`crawl`].
async fn crawl_partner(
    app: &TestApp,
    m: &M,
    planted: &[Planted],
    consultations: &[PlantedConsultation],
    incident_ids: &[String],
    containers: &BTreeMap<usize, String>,
) -> (String, String, String, Vec<(&'static str, String)>) {
    assert!(
        planted.iter().any(|p| may_see(p, m).is_some()),
        "partner {} is meant to see some planted items",
        m.id
    );
    let mut items = String::new();
    let (s, page) = app.get("/api/v1/items?limit=200", &m.token).await;
    assert_eq!(s, 200, "{page}");
    assert!(
        page["next_cursor"].is_null(),
        "a partner's view fits a page"
    );
    items.push_str(&page.to_string());
    for p in planted {
        let (s, v) = app.get(&format!("/api/v1/items/{}", p.id), &m.token).await;
        assert_eq!(
            s == 200,
            may_see(p, m).is_some(),
            "partner {} on item {} ({:?}): {v}",
            m.id,
            p.n,
            p.scope
        );
        items.push_str(&v.to_string());
        let (s, v) = app
            .get(
                &format!("/api/v1/items?indicator=leak-{}.example.org", p.n),
                &m.token,
            )
            .await;
        assert_eq!(s, 200);
        items.push_str(&v.to_string());
    }
    let (s, stix) = app.get_text("/api/v1/export/stix", &m.token).await;
    assert_eq!(s, 200);
    let mut taxii = String::new();
    for coll in ["all", "task-force", "countermeasures"] {
        for what in ["objects", "manifest"] {
            let (s, body) = app
                .get_text(
                    &format!("/taxii2/root/collections/{coll}/{what}/?limit=1000"),
                    &m.token,
                )
                .await;
            assert_eq!(s, 200, "{coll}/{what}: {body}");
            taxii.push_str(&body);
        }
    }
    for p in planted {
        let (s, body) = app
            .get_text(
                &format!("/taxii2/root/collections/all/objects/{}/", containers[&p.n]),
                &m.token,
            )
            .await;
        assert_eq!(
            s == 200,
            may_see(p, m).is_some(),
            "partner on container {}",
            p.n
        );
        taxii.push_str(&body);
    }
    items.push_str(&stix);
    items.push_str(&taxii);
    // Pushed: exactly the planted items it may see, by the same container ids.
    let pushed = m.inbox.as_ref().unwrap().lock().unwrap().clone();
    for p in planted {
        assert_eq!(
            occurs(&pushed, &containers[&p.n]),
            may_see(p, m).is_some(),
            "partner {} pushed container {}",
            m.id,
            p.n
        );
    }
    items.push_str(&pushed);
    // Nothing else: every other endpoint refuses the partner's token.
    let mut all = items.clone();
    let mut refused: Vec<String> = [
        "/api/v1/members",
        "/api/v1/alerts",
        "/api/v1/consultations",
        "/api/v1/feedback/owed",
        "/api/v1/kev",
        "/api/v1/assets",
        "/api/v1/incidents",
        "/api/v1/constituency",
        "/api/v1/observations/hits",
        "/api/v1/observations/trends",
        "/api/v1/audit",
        "/api/v1/clearances",
        "/api/v1/partners",
        "/feeds/blocklist.txt",
        "/misp/feed/manifest.json",
    ]
    .map(str::to_owned)
    .to_vec();
    refused.extend(
        planted
            .iter()
            .map(|p| format!("/api/v1/items/{}/revisions", p.id)),
    );
    refused.extend(
        consultations
            .iter()
            .map(|c| format!("/api/v1/consultations/{}", c.id)),
    );
    refused.extend(
        incident_ids
            .iter()
            .map(|i| format!("/api/v1/incidents/{i}")),
    );
    for path in &refused {
        let (s, body) = app.get_text(path, &m.token).await;
        assert_eq!(s, 403, "partner on {path}: {body}");
        all.push_str(&body);
    }
    let (_, s, body) = Portal::attempt(app, &m.login, &m.password).await;
    assert_eq!(s, 401, "a partner does not log in to the portal: {body}");
    all.push_str(&body);
    (
        items,
        String::new(),
        all,
        vec![("stix", stix), ("taxii", taxii)],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_member_ever_receives_a_secret_it_may_not_see() {
    let app = TestApp::spawn(Db::Sqlite).await.unwrap();
    let creds = demo::populate(&app.store, &app.base).await.unwrap();
    let token_of = |role: &str| {
        creds
            .members
            .iter()
            .find(|m| m.roles.iter().any(|r| r == role))
            .unwrap()
            .users[0]
            .api_token
            .clone()
    };
    let coordinator = token_of("coordinator");
    let secretariat = token_of("secretariat");
    let approvers = [coordinator.as_str(), secretariat.as_str()];

    // A class-2 member opts out of confidential information.
    let opting = creds.members.iter().find(|m| m.class == "class2").unwrap();
    let (s, _) = app
        .call(
            "PUT",
            &format!("/api/v1/members/{}/settings", opting.id),
            Some(&opting.users[0].api_token),
            Some(json!({"confidential_opt_out": true})),
        )
        .await;
    assert_eq!(s, 200);

    // Providers whose names carry secrets.
    let providers = [
        (
            admit(
                &app,
                &approvers,
                "PNAME-SECRET-1 Cyberworks",
                "class1",
                "security_vendor",
            )
            .await,
            "security_vendor",
            1,
        ),
        (
            admit(
                &app,
                &approvers,
                "PNAME-SECRET-2 Denryoku",
                "class2",
                "electricity",
            )
            .await,
            "electricity",
            2,
        ),
        (
            admit(&app, &approvers, "PNAME-SECRET-3 Gas", "general", "gas").await,
            "gas",
            3,
        ),
    ];
    let mut council = members(&app, &creds, &coordinator).await;
    let c1 = council
        .iter()
        .find(|m| m.class == "class1" && m.roles.is_empty())
        .unwrap()
        .id
        .clone();
    let c2 = council
        .iter()
        .find(|m| m.class == "class2" && !m.opt_out)
        .unwrap()
        .id
        .clone();
    let shapes: Vec<(&'static str, &'static str, &'static str, Value)> = vec![
        (
            "threat_information",
            "confirmed",
            "green",
            json!({"classes": ["class1", "class2", "general"]}),
        ),
        (
            "countermeasure",
            "confirmed",
            "clear",
            json!({"classes": ["class1", "class2", "general"]}),
        ),
        (
            "threat_information",
            "confirmed",
            "amber",
            json!({"classes": ["class1", "class2"]}),
        ),
        (
            "best_practice",
            "confirmed",
            "green",
            json!({"classes": ["class1", "class2", "general"], "sectors": ["electricity"]}),
        ),
        ("analysis", "probable", "red", json!({"members": [c1, c2]})),
        (
            "best_practice",
            "confirmed",
            "amber+strict",
            json!({"classes": ["class1", "class2", "general"], "exclude_regulators_of_my_sector": true}),
        ),
        (
            "countermeasure",
            "confirmed",
            "green",
            json!({"classes": ["general", "class2"], "exclude_all_regulators": true}),
        ),
        (
            "analysis",
            "unconfirmed",
            "green",
            json!({"classes": ["class1", "class2", "general"]}),
        ),
        (
            "threat_information",
            "confirmed",
            "green",
            json!({"classes": ["class1", "class2"], "excluded": [c1]}),
        ),
        // Federation (M7.2): partners in the scope, capped by each one's agreement.
        (
            "threat_information",
            "confirmed",
            "green",
            json!({"classes": ["class1", "class2", "general", "partner"]}),
        ),
        (
            "analysis",
            "probable",
            "amber",
            json!({"classes": ["class2", "partner"]}),
        ),
        (
            "countermeasure",
            "confirmed",
            "clear",
            json!({"classes": ["general", "partner"], "sectors": ["other", "electricity"]}),
        ),
    ];
    let mut planted = Vec::new();
    for ((pid, ptoken), psector, k) in &providers {
        for (i, (kind, confidence, tlp, scope)) in shapes.iter().enumerate() {
            let n = k * 100 + i;
            let body = json!({
                "kind": kind, "title": format!("Planted item {n}"), "confidence": confidence, "tlp": tlp, "scope": scope,
                "executive_context": "context everyone in scope may read",
                "technical_details": format!("TSECRET-{n}"),
                "countermeasures": "apply the patch",
                "victim": {"name": format!("VSECRET-{n}"), "sector": "electricity", "damaged": true, "damage_details": format!("DSECRET-{n}")},
                "indicators": [{"type": "domain", "value": format!("leak-{n}.example.org")}],
            });
            let (s, v) = app.post("/api/v1/items", Some(ptoken), body).await;
            assert_eq!(s, 201, "{v}");
            planted.push(Planted {
                id: v["id"].as_str().unwrap().to_owned(),
                n,
                provider: pid.clone(),
                provider_sector: (*psector).to_owned(),
                kind,
                confidence,
                tlp,
                scope: scope.clone(),
                clearance: None,
            });
        }
    }
    for ((pid, ptoken), psector, _) in &providers {
        council.push(M {
            id: pid.clone(),
            class: match *psector {
                "security_vendor" => "class1",
                "electricity" => "class2",
                _ => "general",
            }
            .to_owned(),
            roles: BTreeSet::new(),
            sector: (*psector).to_owned(),
            regulator_of: BTreeSet::new(),
            in_tf: *psector != "gas",
            opt_out: false,
            token: ptoken.clone(),
            login: format!("leak-{}", &pid[pid.len() - 8..]),
            password: "leak test password".to_owned(),
            cleared: false,
            inbox: None,
            agreement: None,
        });
    }
    // Items that require clearance (M2.8), shared by the first provider's user, which
    // the coordinator clears first (and itself, to relate them in an alert).
    grant_top_secret(&app, &coordinator, &coordinator).await;
    let ((p1, p1_token), p1_sector, _) = &providers[0];
    grant_top_secret(&app, &coordinator, p1_token).await;
    let cleared_shapes = [
        (
            "threat_information",
            "amber",
            "confidential",
            json!({"classes": ["class1", "class2", "general"]}),
        ),
        (
            "countermeasure",
            "green",
            "top_secret",
            json!({"classes": ["class1", "class2", "general"]}),
        ),
    ];
    for (i, (kind, tlp, level, scope)) in cleared_shapes.into_iter().enumerate() {
        let n = 150 + i;
        let body = json!({
            "kind": kind, "title": format!("Planted item {n}"), "confidence": "confirmed", "tlp": tlp, "scope": scope,
            "clearance": level,
            "executive_context": "context only cleared users may read",
            "technical_details": format!("TSECRET-{n}"),
            "countermeasures": "apply the patch",
            "victim": {"name": format!("VSECRET-{n}"), "sector": "electricity", "damaged": true, "damage_details": format!("DSECRET-{n}")},
            "indicators": [{"type": "domain", "value": format!("leak-{n}.example.org")}],
        });
        let (s, v) = app.post("/api/v1/items", Some(p1_token), body).await;
        assert_eq!(s, 201, "{v}");
        planted.push(Planted {
            id: v["id"].as_str().unwrap().to_owned(),
            n,
            provider: p1.clone(),
            provider_sector: (*p1_sector).to_owned(),
            kind,
            confidence: "confirmed",
            tlp,
            scope,
            clearance: Some(level),
        });
    }
    // Crawled twice: the coordinator and the first provider (cleared above) with an
    // uncleared colleague; class-1, class-2, opted-out and general members with a
    // cleared colleague.
    let admin_of: BTreeMap<String, String> = creds
        .members
        .iter()
        .map(|m| {
            let admin = m.users.iter().find(|u| u.role == "admin").unwrap();
            (m.id.clone(), admin.api_token.clone())
        })
        .chain(
            providers
                .iter()
                .map(|((id, token), _, _)| (id.clone(), token.clone())),
        )
        .collect();
    let mut twins = Vec::new();
    for m in council.iter_mut() {
        let first_provider = m.id == *p1;
        let coordinating = m.roles.contains("coordinator");
        let plain = m.roles.is_empty() && m.id != *p1;
        let wanted = first_provider
            || coordinating
            || (plain && m.class == "class1" && m.id == c1)
            || (plain && m.class == "class2" && (m.id == c2 || m.opt_out))
            || (plain && m.class == "general" && !twins.iter().any(|t: &M| t.class == "general"));
        if !wanted {
            continue;
        }
        m.cleared = first_provider || coordinating;
        twins.push(twin(&app, &admin_of[&m.id], m, !m.cleared, &coordinator).await);
    }
    assert_eq!(
        twins.len(),
        6,
        "{:?}",
        twins.iter().map(|t| &t.class).collect::<Vec<_>>()
    );
    council.extend(twins);
    let provider_ids: Vec<String> = providers.iter().map(|((id, _), _, _)| id.clone()).collect();
    for ((_, ptoken), _, k) in &providers {
        let (s, v) = app
            .post(
                "/api/v1/assets",
                Some(ptoken),
                json!({"vendor": "Planted", "product": "Appliance", "version": format!("1.{k}"),
                       "model": format!("ASECRET-{k}"), "sector_service": format!("ASECRET-{k} service")}),
            )
            .await;
        assert_eq!(s, 201, "{v}");
    }
    let aware = (time::OffsetDateTime::now_utc() - time::Duration::hours(2))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let mut incidents = Vec::new();
    for ((pid, ptoken), psector, k) in &providers {
        let (s, v) = app
            .post(
                "/api/v1/incidents",
                Some(ptoken),
                json!({"title": format!("ISECRET-{k} outage"), "kind": "other",
                       "report": {"stage": "initial", "purpose": "incident_response", "aware_at": aware,
                                  "affected": format!("ISECRET-{k} billing"), "suspected_malicious": "yes",
                                  "service_impact": true}}),
            )
            .await;
        assert_eq!(s, 201, "{v}");
        incidents.push((
            v["id"].as_str().unwrap().to_owned(),
            pid.clone(),
            (*psector).to_owned(),
            *k,
        ));
    }
    let incident_ids: Vec<String> = incidents.iter().map(|(id, ..)| id.clone()).collect();

    // Each planted provider's range, verified; the sensors see a host in each.
    let sensors = token_of("sensor_operator");
    let mut records =
        String::from("timestamp,src_ip,dst_port,protocol,hostname,tag,sensor_id,sensor_type\n");
    let now = time::OffsetDateTime::now_utc();
    for ((_, ptoken), _, k) in &providers {
        let (s, v) = app
            .post(
                "/api/v1/constituency",
                Some(ptoken),
                json!({"kind": "cidr", "value": format!("172.16.{k}.0/24"), "ownership": format!("OSECRET-{k} allocation")}),
            )
            .await;
        assert_eq!(s, 201, "{v}");
        let (s, v) = app
            .post(
                &format!("/api/v1/constituency/{}/verify", v["id"].as_str().unwrap()),
                Some(&coordinator),
                json!({}),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        records.push_str(&format!(
            "{:04}-{:02}-{:02} 00:00:0{k},172.16.{k}.9,23,tcp,hsecret-{k}.example,mirai,dn-1,darknet\n",
            now.year(),
            u8::from(now.month()),
            now.day()
        ));
    }
    let resp = app
        .client
        .post(app.url("/api/v1/observations"))
        .bearer_auth(&sensors)
        .header("content-type", "text/csv")
        .body(records)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let done: Value = resp.json().await.unwrap();
    assert_eq!(done["hits"], 3, "{done}");

    // An alert to everyone that relates every planted item: each recipient's copy may
    // carry only the items its own view allows.
    // An alert about the cleared items exists for cleared users only.
    let related: Vec<&str> = planted.iter().map(|p| p.id.as_str()).collect();
    for cleared in [false, true] {
        let some: Vec<&str> = planted
            .iter()
            .filter(|p| p.clearance.is_some() == cleared)
            .map(|p| p.id.as_str())
            .collect();
        let (s, v) = app
            .post(
                "/api/v1/alerts",
                Some(&coordinator),
                json!({"title": "Planted alert", "severity": "high", "action_required": "read the related items",
                       "related_items": some, "target": {"all": true}}),
            )
            .await;
        assert_eq!(s, 201, "{v}");
    }

    // A catalogue entry evidenced by every planted item: each member's copy may name
    // only the items it may see, and the public catalogue none.
    let (s, v) = app
        .post(
            "/api/v1/kev",
            Some(&coordinator),
            json!({"cveID": "CVE-2024-99999", "vendorProject": "Planted", "product": "Appliance",
                   "vulnerabilityName": "Planted vulnerability", "dateAdded": "2026-11-29",
                   "shortDescription": "planted", "requiredAction": "patch", "dueDate": "2026-12-13",
                   "evidenceItems": related, "cpeMatch": ["cpe:2.3:*:planted:appliance:*:*:*:*:*:*:*:*"]}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let (s, v) = app
        .post(
            "/api/v1/kev/CVE-2024-99999/approve",
            Some(&coordinator),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{v}");

    // Each planted provider consults the class-1 group; a class-1 task-force member
    // of the demo council replies.
    let expert = council
        .iter()
        .find(|m| m.class == "class1" && m.in_tf && m.roles.is_empty())
        .unwrap()
        .clone();
    let mut consultations = Vec::new();
    for ((pid, ptoken), _, k) in &providers {
        let body = json!({
            "subject": format!("Planted consultation {k}"),
            "text": format!("something feels off: CSECRET-{k}"),
            "indicators": [{"type": "domain", "value": format!("consult-{k}.example.org")}],
        });
        let (s, v) = app.post("/api/v1/consultations", Some(ptoken), body).await;
        assert_eq!(s, 201, "{v}");
        let id = v["id"].as_str().unwrap().to_owned();
        let (s, v) = app
            .post(
                &format!("/api/v1/consultations/{id}/replies"),
                Some(&expert.token),
                json!({"text": format!("try this: RSECRET-{k}")}),
            )
            .await;
        assert_eq!(s, 201, "{v}");
        consultations.push(PlantedConsultation {
            id,
            n: *k,
            asker: pid.clone(),
            responder: expert.id.clone(),
        });
    }

    // Each partner gets a push link to a collection of its own that records what it
    // is sent; the crawl waits until everything due was pushed.
    for m in council.iter_mut().filter(|m| m.agreement.is_some()) {
        let (url, inbox) = partner_inbox().await;
        let (s, v) = app
            .call(
                "PUT",
                &format!("/api/v1/partners/{}/link", m.id),
                Some(&coordinator),
                Some(json!({"url": url, "token": "issued-by-the-partner"})),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        m.inbox = Some(inbox);
    }
    common::until("every partner's push", || async {
        let (_, partners) = app.get("/api/v1/partners", &coordinator).await;
        partners
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["sync"]["last_success"].is_string() && p["sync"]["backlog"] == 0)
    })
    .await;

    let app = std::sync::Arc::new(app);
    let planted = std::sync::Arc::new(planted);
    let consultations = std::sync::Arc::new(consultations);
    let provider_ids = std::sync::Arc::new(provider_ids);
    // The council's container id of each planted item, from the coordinator's TAXII
    // view (the coordinator provided none of them, so it sees the council's ids).
    let mut containers = BTreeMap::new();
    let (s, body) = app
        .get_text(
            "/taxii2/root/collections/all/objects/?limit=1000&match[type]=report,grouping",
            &coordinator,
        )
        .await;
    assert_eq!(s, 200);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_ne!(v["more"], true, "all containers on one page");
    for o in v["objects"].as_array().unwrap() {
        if let Some(n) = o["name"]
            .as_str()
            .and_then(|t| t.strip_prefix("Planted item "))
        {
            containers.insert(
                n.parse::<usize>().unwrap(),
                o["id"].as_str().unwrap().to_owned(),
            );
        }
    }
    assert_eq!(containers.len(), planted.len());
    let containers = std::sync::Arc::new(containers);
    let mut crawls = tokio::task::JoinSet::new();
    let lanes = std::sync::Arc::new(tokio::sync::Semaphore::new(8));
    for m in council.clone() {
        let (app, planted, consultations, provider_ids, incident_ids, lanes, containers) = (
            app.clone(),
            planted.clone(),
            consultations.clone(),
            provider_ids.clone(),
            incident_ids.clone(),
            lanes.clone(),
            containers.clone(),
        );
        crawls.spawn(async move {
            let _lane = lanes.acquire().await.unwrap();
            let (items, consulted, all, feeds) = crawl(
                &app,
                &m,
                &planted,
                &consultations,
                &provider_ids,
                &incident_ids,
                &containers,
            )
            .await;
            (m, items, consulted, all, feeds)
        });
    }
    let providers_by_k: BTreeMap<usize, String> = providers
        .iter()
        .map(|((id, _), _, k)| (*k, id.clone()))
        .collect();
    let mut planted_alerts = 0;
    let mut checked = 0;
    while let Some(done) = crawls.join_next().await {
        let (m, items, consulted, all, feeds) = done.unwrap();
        let m = &m;
        let coordinator = m.roles.contains("coordinator");
        let administration = coordinator || m.roles.contains("secretariat");
        for p in planted.iter() {
            let own = p.provider == m.id;
            let sees = may_see(p, m);
            let secret_ok = |s: &str, allowed: bool| {
                assert!(
                    allowed || !has(&all, s),
                    "{s} leaked to member {} ({}, roles {:?})",
                    m.id,
                    m.class,
                    m.roles
                );
            };
            secret_ok(&format!("VSECRET-{}", p.n), own || coordinator);
            secret_ok(&format!("DSECRET-{}", p.n), sees == Some(true));
            secret_ok(&format!("TSECRET-{}", p.n), sees == Some(true));
            for (format, text) in &feeds {
                assert_eq!(
                    has(text, &format!("leak-{}.example.org", p.n)),
                    sees.is_some(),
                    "{format}: item {} for member {} ({}, roles {:?})",
                    p.n,
                    m.id,
                    m.class,
                    m.roles
                );
            }
            secret_ok(&p.id, sees.is_some());
            if p.clearance.is_some() {
                // Not even the title of a cleared item reaches an uncleared user.
                secret_ok(&format!("Planted item {}", p.n), sees.is_some());
            }
            let asset_owner = providers_by_k.get(&(p.n / 100)) == Some(&m.id);
            secret_ok(&format!("ASECRET-{}", p.n / 100), asset_owner);
            if !(own || coordinator) {
                assert!(
                    !occurs(&items, &p.provider),
                    "provider of item {} leaked to {}",
                    p.n,
                    m.id
                );
            }
        }
        for c in consultations.iter() {
            let reads = may_read_consultation(c, m);
            for secret in [format!("CSECRET-{}", c.n), format!("RSECRET-{}", c.n)] {
                assert!(
                    reads || !has(&all, &secret),
                    "{secret} leaked to member {} ({}, roles {:?})",
                    m.id,
                    m.class,
                    m.roles
                );
            }
            assert!(
                reads || !occurs(&all, &c.id),
                "consultation {} exists for {}",
                c.n,
                m.id
            );
            assert!(
                c.asker == m.id || coordinator || !occurs(&consulted, &c.asker),
                "the asker of consultation {} leaked to {}",
                c.n,
                m.id
            );
            assert!(
                coordinator || !occurs(&consulted, &c.responder),
                "the responder of consultation {} leaked to {}",
                c.n,
                m.id
            );
            if reads {
                assert!(occurs(&consulted, &format!("CSECRET-{}\"", c.n)));
            }
        }
        for (k, pid) in [1, 2, 3].iter().zip(provider_ids.iter()) {
            // The regulators of its sector receive its incident report, which names it.
            let regulates = incidents.iter().any(|(_, provider, sector, _)| {
                provider == pid && m.roles.contains("regulator") && m.regulator_of.contains(sector)
            });
            let allowed = administration || *pid == m.id || regulates;
            assert!(
                allowed || !occurs(&all, &format!("PNAME-SECRET-{k} ")),
                "provider name {k} leaked to {}",
                m.id
            );
        }
        for (k, pid) in [1, 2, 3].iter().zip(provider_ids.iter()) {
            assert_eq!(
                has(&all, &format!("hsecret-{k}")),
                *pid == m.id,
                "observation {k} for member {} (roles {:?})",
                m.id,
                m.roles
            );
            assert_eq!(
                has(&all, &format!("OSECRET-{k}")),
                *pid == m.id || coordinator,
                "constituency {k} for member {} (roles {:?})",
                m.id,
                m.roles
            );
        }
        for (_, provider, sector, k) in &incidents {
            let routed = *provider == m.id
                || m.roles.contains("secretariat")
                || (m.roles.contains("regulator") && m.regulator_of.contains(sector));
            assert_eq!(
                has(&all, &format!("ISECRET-{k}")),
                routed,
                "incident report {k} for member {} (roles {:?})",
                m.id,
                m.roles
            );
        }
        if let Some((k, _)) = providers_by_k.iter().find(|(_, id)| **id == m.id) {
            assert!(
                has(&all, &format!("ASECRET-{k}")),
                "provider {k} sees its own asset"
            );
            assert!(
                occurs(&items, "affected_assets"),
                "provider {k} was alerted naming its asset"
            );
            planted_alerts += 1;
        }
        checked += 1;
    }
    assert_eq!(checked, creds.members.len() + 3 + 6 + creds.partners.len());
    assert_eq!(creds.partners.len(), 2, "the demo's partners are crawled");
    // The first provider is crawled twice (cleared and uncleared): both see its asset.
    assert_eq!(planted_alerts, 4);
    std::sync::Arc::try_unwrap(app).ok().unwrap().finish().await;
}
