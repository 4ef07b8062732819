//! Test harness: a real server on port 0 over a fresh database of either backend.
#![allow(dead_code, missing_docs, unreachable_pub)]

pub mod smtp;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use sha2::{Digest, Sha256};

use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tsunagu_server::{AppState, Config};
use tsunagu_store::Store;

pub use tsunagu_store::testing::Db;
use tsunagu_store::testing::TestDb;

/// A running server and a client for it.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub store: Store,
    shutdown: CancellationToken,
    db: Option<TestDb>,
}

impl TestApp {
    /// Starts a server on a fresh database; `None` when the backend is unavailable.
    pub async fn spawn(db: Db) -> Option<Self> {
        let config = Config {
            public_rate_per_minute: 10_000,
            ..Config::default()
        };
        Self::spawn_with(db, config).await
    }

    pub async fn spawn_with(db: Db, mut config: Config) -> Option<Self> {
        // Server logs in the test output: TSUNAGU_LOG=debug cargo test … -- --nocapture
        let _ = tracing_subscriber::fmt()
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_env("TSUNAGU_LOG")
                    .unwrap_or_else(|_| "warn".into()),
            )
            .with_test_writer()
            .try_init();
        let db = TestDb::new(db).await?;
        let store = Store::open(&db.url).await.expect("open store");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr: SocketAddr = listener.local_addr().expect("addr");
        config.listen = Some(addr);
        let shutdown = CancellationToken::new();
        let state = AppState::new(store.clone(), config);
        let token = shutdown.clone();
        tokio::spawn(async move { tsunagu_server::serve(listener, state, token).await });
        Some(Self {
            base: format!("http://{addr}"),
            client: reqwest::Client::new(),
            store,
            shutdown,
            db: Some(db),
        })
    }

    /// Stops the server and drops a PostgreSQL test database.
    pub async fn finish(mut self) {
        self.shutdown.cancel();
        self.store.close().await;
        if let Some(db) = self.db.take() {
            db.cleanup().await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends a request and returns status and JSON body (Null when empty).
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let (status, _, v) = self.call_full(method, path, token, body).await;
        (status, v)
    }

    pub async fn call_full(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        let mut req = self
            .client
            .request(method.parse().expect("method"), self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("body");
        let v = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        if status >= 400 {
            let ct = headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            assert_eq!(
                ct, "application/problem+json",
                "{method} {path} -> {status}: {v}"
            );
            assert_eq!(v["status"], status, "problem status matches");
            assert!(
                v["detail"].as_str().is_some_and(|d| !d.is_empty()),
                "problem has a detail"
            );
        }
        (status, headers, v)
    }

    pub async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        self.call("GET", path, Some(token), None).await
    }

    /// A GET with a bearer token accepting TAXII 2.1 (other endpoints ignore the
    /// header): the status and the body as text.
    pub async fn get_text(&self, path: &str, token: &str) -> (u16, String) {
        let resp = self
            .client
            .get(self.url(path))
            .bearer_auth(token)
            .header("accept", "application/taxii+json;version=2.1")
            .send()
            .await
            .unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        self.call("POST", path, token, Some(body)).await
    }

    /// The number of audit entries so far.
    pub async fn audit_len(&self) -> i64 {
        sqlx::query_scalar::<_, i64>("SELECT seq FROM audit_head WHERE id = 1")
            .fetch_one(self.store.pool())
            .await
            .expect("audit head")
    }
}

/// Defines `sqlite_<name>` and `postgres_<name>` tests running `async fn <name>(TestApp)`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = $crate::common::TestApp::spawn($crate::common::Db::Sqlite).await.expect("sqlite");
                    super::$name(&app).await;
                    app.finish().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(app) = $crate::common::TestApp::spawn($crate::common::Db::Postgres).await else { return };
                    super::$name(&app).await;
                    app.finish().await;
                }
            )*
        }
    };
}

/// The council after first start: the secretariat's admin, and a coordinator admin it
/// created, both of committee members (two approvals are needed by default).
pub struct Council {
    pub admin: String,
    pub admin_member: String,
    pub coordinator: String,
    pub coordinator_member: String,
}

pub async fn council(app: &TestApp) -> Council {
    let first = tsunagu_server::bootstrap::bootstrap(&app.store)
        .await
        .expect("bootstrap")
        .expect("first start");
    let (s, me) = app.get("/api/v1/me", &first.api_token).await;
    assert_eq!(s, 200);
    let admin_member = me["member"]["id"].as_str().unwrap().to_owned();
    let (_, members) = app.get("/api/v1/members", &first.api_token).await;
    let coordinator_member = members
        .as_array()
        .unwrap()
        .iter()
        .find(|m| {
            m["roles"]
                .as_array()
                .unwrap()
                .contains(&json!("coordinator"))
        })
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, _) = app
        .post(
            &format!("/api/v1/members/{coordinator_member}/users"),
            Some(&first.api_token),
            json!({"login": "coord-admin", "password": "a long coordinator password", "role": "admin"}),
        )
        .await;
    assert_eq!(s, 201);
    let coordinator = login(app, "coord-admin", "a long coordinator password").await;
    Council {
        admin: first.api_token,
        admin_member,
        coordinator,
        coordinator_member,
    }
}

pub async fn login(app: &TestApp, login: &str, password: &str) -> String {
    let (s, v) = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"login": login, "password": password}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    v["token"].as_str().unwrap().to_owned()
}

pub fn application(name: &str, class: &str, foreign: bool) -> Value {
    application_in(name, class, "electricity", foreign)
}

pub fn application_in(name: &str, class: &str, sector: &str, foreign: bool) -> Value {
    json!({
        "name": name, "sector": sector, "class": class, "category": "utility",
        "foreign_affiliated": foreign, "contact_name": "Hanako Kirishiro",
        "contact_email": "soc@kirishiro.example", "reason": "we run a grid"
    })
}

/// Applies, gets approved by two committee members, activates; returns (member id, admin token).
pub async fn admitted(
    app: &TestApp,
    c: &Council,
    name: &str,
    class: &str,
    foreign: bool,
) -> (String, String) {
    admitted_in(app, c, name, class, "electricity", foreign).await
}

/// Applies in `sector`, is approved by two committee members, activates; returns
/// (member id, admin token).
pub async fn admitted_in(
    app: &TestApp,
    c: &Council,
    name: &str,
    class: &str,
    sector: &str,
    foreign: bool,
) -> (String, String) {
    let (s, v) = app
        .post(
            "/api/v1/applications",
            None,
            application_in(name, class, sector, foreign),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let id = v["id"].as_str().unwrap().to_owned();
    let secret = v["applicant_secret"].as_str().unwrap().to_owned();
    for t in [&c.admin, &c.coordinator] {
        let (s, v) = app
            .post(
                &format!("/api/v1/applications/{id}/approve"),
                Some(t),
                json!({}),
            )
            .await;
        assert_eq!(s, 200, "{v}");
    }
    let login_name = format!("admin-{}", &id[id.len() - 8..]);
    let (s, v) = app
        .post(
            &format!("/api/v1/applications/{id}/activate"),
            None,
            json!({"applicant_secret": secret, "login": login_name, "password": "correct horse battery staple"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    (id, v["token"]["token"].as_str().unwrap().to_owned())
}

/// What a test receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// A webhook receiver on loopback that fails its first `fail_first` requests with 500.
#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    pub got: Arc<Mutex<Vec<Received>>>,
}

pub async fn receiver(fail_first: usize) -> Receiver {
    let got: Arc<Mutex<Vec<Received>>> = Arc::default();
    let calls = Arc::new(Mutex::new(0_usize));
    let (g, c) = (got.clone(), calls.clone());
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let (g, c) = (g.clone(), c.clone());
            async move {
                let n = {
                    let mut c = c.lock().unwrap();
                    *c += 1;
                    *c
                };
                if n <= fail_first {
                    return StatusCode::INTERNAL_SERVER_ERROR;
                }
                g.lock().unwrap().push(Received { headers, body });
                StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Receiver { url, got }
}

/// HMAC-SHA256 from its definition (RFC 2104), independent of the server's `hmac` crate.
pub fn hmac_sha256(key: &[u8], msg: &[u8]) -> String {
    let mut k = [0_u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let inner: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
    let outer: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
    let h1 = Sha256::new()
        .chain_update(&inner)
        .chain_update(msg)
        .finalize();
    hex::encode(
        Sha256::new()
            .chain_update(&outer)
            .chain_update(h1)
            .finalize(),
    )
}

pub fn verify(r: &Received, secret: &str) {
    let sig = r.headers["tsunagu-signature"].to_str().unwrap();
    let (t, v1) = sig.split_once(",v1=").unwrap();
    let t = t.strip_prefix("t=").unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert!(
        (now - t.parse::<i64>().unwrap()).abs() < 300,
        "fresh timestamp"
    );
    let mut msg = format!("{t}.").into_bytes();
    msg.extend_from_slice(&r.body);
    assert_eq!(
        v1,
        hmac_sha256(secret.as_bytes(), &msg),
        "signature verifies"
    );
}

pub fn fast() -> tsunagu_server::Config {
    tsunagu_server::Config {
        public_rate_per_minute: 10_000,
        delivery: tsunagu_server::delivery::DeliveryConfig {
            max_attempts: 3,
            backoff_base: Duration::from_millis(50),
            backoff_max: Duration::from_millis(200),
            lease: Duration::from_secs(2),
            poll: Duration::from_millis(50),
            ..Default::default()
        },
        ..tsunagu_server::Config::default()
    }
}

/// Polls `check` every 50 ms until it holds; fails after 30 s. Generous on purpose: a
/// sweep, a delivery worker and a debug build share two cores with the leak test in CI,
/// and this bounds a wait, it asserts no timing.
pub async fn until<F: std::future::Future<Output = bool>>(
    what: &str,
    mut check: impl FnMut() -> F,
) {
    for _ in 0..600 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

pub async fn add_webhook(app: &TestApp, token: &str, url: &str) -> String {
    let (s, v) = app
        .post(
            "/api/v1/channels",
            Some(token),
            json!({"kind": "webhook", "address": url}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let secret = v["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    secret
}

/// Grants the user of `token` a clearance at `level` valid for `valid_for`, as the
/// coordinator (`coordinator` is its token); returns the grant as the API answers.
pub async fn grant_clearance(
    app: &TestApp,
    coordinator: &str,
    token: &str,
    level: &str,
    valid_for: time::Duration,
) -> Value {
    let (s, me) = app.get("/api/v1/me", token).await;
    assert_eq!(s, 200, "{me}");
    let expires = (time::OffsetDateTime::now_utc() + valid_for)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let (s, v) = app
        .post(
            "/api/v1/clearances",
            Some(coordinator),
            json!({"user": me["user"]["id"], "level": level, "expires_at": expires, "basis": "vetting file 2026-113"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["state"], "active");
    v
}

/// A vendor's CSAF 2.0 advisory released at `release`: EN-VPN OS 7.0.0–7.0.12 affected
/// by CVE-2025-24472 (by CPE), fixed in 7.0.13.
pub fn csaf_advisory(release: &str) -> Value {
    json!({
      "document": {
        "category": "csaf_security_advisory", "csaf_version": "2.0",
        "distribution": {"tlp": {"label": "GREEN"}},
        "notes": [{"category": "summary", "text": "A heap overflow in the SSL-VPN daemon of EN-VPN OS."}],
        "publisher": {"category": "vendor", "name": "Example Networks PSIRT", "namespace": "https://psirt.example.net"},
        "title": "Heap-based buffer overflow in the EN-VPN OS SSL-VPN daemon",
        "tracking": {"current_release_date": release, "id": "EN-SA-2025-0007",
          "initial_release_date": "2025-03-03T09:00:00+09:00",
          "revision_history": [{"date": "2025-03-03T09:00:00+09:00", "number": "1", "summary": "Initial release"}],
          "status": "final", "version": "1"}
      },
      "product_tree": {"branches": [{"category": "vendor", "name": "Example Networks", "branches": [
        {"category": "product_name", "name": "EN-VPN OS", "branches": [
          {"category": "product_version_range", "name": "vers:generic/>=7.0.0|<7.0.13",
           "product": {"name": "EN-VPN OS 7.0.0 to 7.0.12", "product_id": "ENVPN-AFFECTED",
             "product_identification_helper": {"cpe": "cpe:2.3:o:examplenetworks:en-vpn_os:*:*:*:*:*:*:*:*"}}},
          {"category": "product_version", "name": "7.0.13",
           "product": {"name": "EN-VPN OS 7.0.13", "product_id": "ENVPN-7.0.13",
             "product_identification_helper": {"cpe": "cpe:2.3:o:examplenetworks:en-vpn_os:7.0.13:*:*:*:*:*:*:*"}}}
        ]}
      ]}]},
      "vulnerabilities": [{
        "cve": "CVE-2025-24472",
        "notes": [{"category": "description", "text": "A crafted request overflows a heap buffer."}],
        "product_status": {"known_affected": ["ENVPN-AFFECTED"], "fixed": ["ENVPN-7.0.13"]},
        "remediations": [{"category": "vendor_fix", "details": "Upgrade to 7.0.13.", "product_ids": ["ENVPN-AFFECTED"]}],
        "threats": [{"category": "exploit_status", "details": "Exploited in the wild."}]
      }]
    })
}
