//! The web portal (issue 11) over real HTTP on both backends: login with and without
//! TOTP (codes computed here by an RFC 6238 implementation of the test's own), the
//! session cookie's exact flags, CSRF refusals, the ends of a session (idle,
//! absolute, logout everywhere, a disabled user, a withdrawn member), the language
//! switch, an item page as the policy view gives it (masked for class 2, 404 for an
//! excluded regulator), the preview's counts, feedback, alerts and their receipts;
//! the constituency (registration, the coordinator's queue), observations (one's own
//! hits only, the CSV digest) and trends; the catalogue and one's assets (by form,
//! CSV and SBOM, and which are affected); incidents with their deadline clocks (404
//! for anyone a report was not routed to); delivery channels and API tokens (secrets
//! shown once, nobody else's), one consultation with its reply form and asking one,
//! and the audit log for the coordinator only (not even the secretariat).
//! Then the same story in a real Chromium, driven by Playwright
//! (`scripts/portal-browser-test.py`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::{Council, TestApp, admitted_in, council, login};
use hmac::{Hmac, KeyInit, Mac};
use reqwest::header::{HeaderMap, SET_COOKIE};
use serde_json::json;
use sha2::{Digest, Sha256};

// ---- An RFC 6238 TOTP of the test's own (base32 from RFC 4648, HMAC-SHA1) ----

fn unbase32(s: &str) -> Vec<u8> {
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut bits = String::new();
    for c in s.chars().filter(|c| *c != '=') {
        let v = alphabet.find(c.to_ascii_uppercase()).expect("base32");
        bits.push_str(&format!("{v:05b}"));
    }
    bits.as_bytes()
        .chunks(8)
        .filter(|c| c.len() == 8)
        .map(|c| u8::from_str_radix(std::str::from_utf8(c).unwrap(), 2).unwrap())
        .collect()
}

fn code_at(secret_b32: &str, step: i64) -> String {
    let mut mac = <Hmac<sha1::Sha1> as KeyInit>::new_from_slice(&unbase32(secret_b32)).unwrap();
    mac.update(&step.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let o = (h[19] & 0xf) as usize;
    let n = (u32::from(h[o] & 0x7f) << 24)
        | (u32::from(h[o + 1]) << 16)
        | (u32::from(h[o + 2]) << 8)
        | u32::from(h[o + 3]);
    format!("{:06}", n % 1_000_000)
}

fn step_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp() / 30
}

/// A code that is none of the codes around now.
fn wrong_code(secret_b32: &str) -> &'static str {
    let now = step_now();
    ["000000", "111111", "222222"]
        .into_iter()
        .find(|c| (now - 2..=now + 2).all(|s| code_at(secret_b32, s) != *c))
        .unwrap()
}

#[test]
fn the_tests_totp_matches_rfc_6238() {
    // RFC 6238 appendix B: the SHA-1 seed "12345678901234567890", last 6 digits.
    let seed = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    assert_eq!(code_at(seed, 59 / 30), "287082");
    assert_eq!(code_at(seed, 1_111_111_109 / 30), "081804");
    assert_eq!(code_at(seed, 20_000_000_000 / 30), "353130");
}

// ---- A small browser: cookies by hand, no redirects followed ----

struct Page {
    status: u16,
    headers: HeaderMap,
    body: String,
}

impl Page {
    fn location(&self) -> &str {
        self.headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }

    /// The value of the first hidden `_csrf` field.
    fn csrf(&self) -> String {
        let at = self
            .body
            .find("name=\"_csrf\" value=\"")
            .unwrap_or_else(|| panic!("no _csrf in {}", self.body));
        let rest = &self.body[at + 20..];
        rest[..rest.find('"').unwrap()].to_owned()
    }
}

fn encode(form: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish()
}

struct Browser {
    base: String,
    client: reqwest::Client,
    cookies: HashMap<String, String>,
}

impl Browser {
    fn new(app: &TestApp) -> Self {
        Self {
            base: app.base.clone(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: HashMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn send(&mut self, req: reqwest::RequestBuilder) -> Page {
        let req = if self.cookies.is_empty() {
            req
        } else {
            req.header("cookie", self.cookie_header())
        };
        let resp = req.send().await.unwrap();
        let page = Page {
            status: resp.status().as_u16(),
            headers: resp.headers().clone(),
            body: resp.text().await.unwrap(),
        };
        for c in page.set_cookies() {
            let (kv, attrs) = c.split_once(';').unwrap_or((&c, ""));
            let (k, v) = kv.split_once('=').unwrap();
            if attrs.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_owned(), v.to_owned());
            }
        }
        page
    }

    async fn get(&mut self, path: &str) -> Page {
        let req = self.client.get(format!("{}{path}", self.base));
        self.send(req).await
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let req = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(encode(form));
        self.send(req).await
    }

    /// Posts a `multipart/form-data` form as a browser does when a file is chosen:
    /// `files` are (input name, file name, content).
    async fn post_multipart(
        &mut self,
        path: &str,
        form: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
    ) -> Page {
        const B: &str = "----tsunagu-test-boundary";
        let mut body = Vec::new();
        for (name, value) in form {
            body.extend_from_slice(
                format!(
                    "--{B}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        }
        for (name, file, content) in files {
            body.extend_from_slice(
                format!("--{B}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                    .as_bytes(),
            );
            body.extend_from_slice(content);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{B}--\r\n").as_bytes());
        let req = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", format!("multipart/form-data; boundary={B}"))
            .body(body);
        self.send(req).await
    }

    async fn post_with(&mut self, path: &str, form: &[(&str, &str)], origin: &str) -> Page {
        let req = self
            .client
            .post(format!("{}{path}", self.base))
            .header("origin", origin)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(encode(form));
        self.send(req).await
    }

    /// The password step; returns where it sent us.
    async fn password(&mut self, login: &str, password: &str) -> Page {
        let page = self.get("/portal/login").await;
        assert_eq!(page.status, 200);
        let token = page.csrf();
        self.post(
            "/portal/login",
            &[("login", login), ("password", password), ("_csrf", &token)],
        )
        .await
    }

    /// Logs in with a password only (no second factor enrolled).
    async fn login(&mut self, login: &str, password: &str) {
        let p = self.password(login, password).await;
        assert_eq!((p.status, p.location()), (303, "/portal/"), "{}", p.body);
    }

    /// The CSRF token of a logged-in page.
    async fn token(&mut self) -> String {
        let p = self.get("/portal/settings").await;
        assert_eq!(p.status, 200, "{}", p.body);
        p.csrf()
    }

    /// Enrols a TOTP secret with the code of the step before now (so the current
    /// step is still free for the next login); returns the secret.
    async fn enrol_totp(&mut self) -> String {
        self.enrol_totp_with_codes().await.0
    }

    /// [`Browser::enrol_totp`], with the recovery codes shown once at enrolment.
    async fn enrol_totp_with_codes(&mut self) -> (String, Vec<String>) {
        let page = self.get("/portal/settings/totp").await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("<svg"), "a QR code");
        let at = page.body.find("id=\"totp-secret\">").unwrap();
        let rest = &page.body[at + 17..];
        let secret = rest[..rest.find('<').unwrap()].to_owned();
        let token = page.csrf();
        let wrong = wrong_code(&secret);
        let p = self
            .post(
                "/portal/settings/totp",
                &[("code", wrong), ("_csrf", &token)],
            )
            .await;
        assert_eq!(p.status, 422);
        let code = code_at(&secret, step_now() - 1);
        let p = self
            .post(
                "/portal/settings/totp",
                &[("code", &code), ("_csrf", &token)],
            )
            .await;
        assert_eq!(p.status, 200, "{}", p.body);
        let shown = &p.body[p.body.find("id=\"recovery-codes\"").expect("the codes")..];
        let codes: Vec<String> = shown
            .split("<code class=\"secret\">")
            .skip(1)
            .map(|c| c[..c.find('<').unwrap()].to_owned())
            .collect();
        assert_eq!(codes.len(), 10, "{shown}");
        assert!(codes.iter().all(|c| c.len() == 19), "{codes:?}");
        (secret, codes)
    }
}

fn session_id(b: &Browser) -> String {
    b.cookies
        .get("tsunagu_session")
        .cloned()
        .unwrap_or_default()
}

fn admin_login(member_id: &str) -> String {
    format!("admin-{}", &member_id[member_id.len() - 8..])
}

const MEMBER_PASSWORD: &str = "correct horse battery staple";

/// The password of the analysts [`add_analyst`] creates.
const ANALYST_PASSWORD: &str = "another long password";

/// Adds the analyst `soc-analyst` to `member` (as its admin); returns its user id.
async fn add_analyst(app: &TestApp, member: &str, admin_token: &str) -> String {
    let (s, v) = app
        .post(
            &format!("/api/v1/members/{member}/users"),
            Some(admin_token),
            json!({"login": "soc-analyst", "password": ANALYST_PASSWORD, "role": "analyst"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    v["id"].as_str().unwrap().to_owned()
}

async fn sessions_of(app: &TestApp, login: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM portal_sessions s JOIN users u ON u.id = s.user_id WHERE u.login = $1",
    )
    .bind(login)
    .fetch_one(app.store.pool())
    .await
    .unwrap()
}

async fn audit_actions(app: &TestApp) -> Vec<String> {
    sqlx::query_scalar::<_, String>("SELECT action FROM audit_log ORDER BY seq")
        .fetch_all(app.store.pool())
        .await
        .unwrap()
}

// ---- Login, TOTP, cookies ----

async fn login_with_and_without_totp(app: &TestApp) {
    let c = council(app).await;
    let (m, _) = admitted_in(app, &c, "Kirishiro Power", "class2", "electricity", false).await;
    let login = admin_login(&m);
    let mut b = Browser::new(app);

    // GET / leads to the portal, which leads to the login page.
    let p = b.get("/").await;
    assert_eq!((p.status, p.location()), (303, "/portal/"));
    let p = b.get("/portal/").await;
    assert_eq!((p.status, p.location()), (303, "/portal/login"));

    let page = b.get("/portal/login").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("<html lang=\"ja\">"),
        "Japanese by default"
    );
    assert!(page.body.contains("<main"));
    assert!(page.body.contains("<label for=\"login\">"));
    assert_eq!(
        page.headers["content-security-policy"],
        "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    );
    assert_eq!(page.headers["cache-control"], "no-store");
    let login_cookie = page.set_cookies().pop().unwrap();
    let token = page.csrf();
    assert_eq!(
        login_cookie,
        format!(
            "tsunagu_login={token}; HttpOnly; Secure; SameSite=Strict; Path=/portal/login; Max-Age=3600"
        )
    );

    // The login form's double-submit token is required.
    let p = b
        .post(
            "/portal/login",
            &[
                ("login", &login),
                ("password", MEMBER_PASSWORD),
                ("_csrf", "forged"),
            ],
        )
        .await;
    assert_eq!(p.status, 403);
    // A wrong password, an unknown login: the same refusal.
    for (l, pw) in [
        (login.as_str(), "wrong password here"),
        ("nobody-here", MEMBER_PASSWORD),
    ] {
        let p = b.password(l, pw).await;
        assert_eq!(p.status, 401);
        assert!(p.body.contains("ログイン名またはパスワードが違います。"));
        assert!(
            p.set_cookies()
                .iter()
                .all(|c| !c.starts_with("tsunagu_session"))
        );
    }

    // Without a second factor: a session at once, and the dashboard nags.
    let p = b.password(&login, MEMBER_PASSWORD).await;
    assert_eq!((p.status, p.location()), (303, "/portal/"));
    let cookie = p
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("tsunagu_session="))
        .unwrap();
    let id = session_id(&b);
    assert_eq!(id.len(), 64);
    assert!(id.bytes().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(
        cookie,
        format!("tsunagu_session={id}; HttpOnly; Secure; SameSite=Strict; Path=/portal")
    );
    // Only the session id's hash is stored.
    let stored: Vec<String> = sqlx::query_scalar("SELECT id_hash FROM portal_sessions")
        .fetch_all(app.store.pool())
        .await
        .unwrap();
    assert_eq!(stored, vec![hex::encode(Sha256::digest(id.as_bytes()))]);
    let dash = b.get("/portal/").await;
    assert_eq!(dash.status, 200);
    assert!(dash.body.contains("二要素認証が設定されていません"), "nag");
    assert!(dash.body.contains("<h1>ダッシュボード</h1>"));
    assert!(
        audit_actions(app)
            .await
            .contains(&"portal.login".to_owned())
    );

    // Enrolment: a QR code, a wrong code refused, the right one enrols (audited) and
    // shows ten recovery codes once.
    let (secret, codes) = b.enrol_totp_with_codes().await;
    let settings = b.get("/portal/settings").await;
    assert!(
        settings.body.contains("<strong>10</strong> / 10"),
        "{}",
        settings.body
    );
    assert!(!settings.body.contains(&codes[0]), "shown once");
    assert_eq!(secret.len(), 32);
    assert!(
        audit_actions(app)
            .await
            .contains(&"portal.totp_enrol".to_owned())
    );
    let dash = b.get("/portal/").await;
    assert!(!dash.body.contains("二要素認証が設定されていません"));

    // Logout ends the session in the browser and on the server.
    let token = b.token().await;
    let p = b.post("/portal/logout", &[("_csrf", &token)]).await;
    assert_eq!((p.status, p.location()), (303, "/portal/login"));
    assert!(p.set_cookies().contains(
        &"tsunagu_session=; HttpOnly; Secure; SameSite=Strict; Path=/portal; Max-Age=0".to_owned()
    ));
    assert_eq!(sessions_of(app, &login).await, 0);
    let mut replay = Browser::new(app);
    replay.cookies.insert("tsunagu_session".into(), id.clone());
    assert_eq!(replay.get("/portal/").await.location(), "/portal/login");

    // With a second factor: the password step opens only the TOTP step.
    let p = b.password(&login, MEMBER_PASSWORD).await;
    assert_eq!((p.status, p.location()), (303, "/portal/login/totp"));
    let pending = session_id(&b);
    assert_eq!(b.get("/portal/").await.location(), "/portal/login");
    let page = b.get("/portal/login/totp").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("autocomplete=\"one-time-code\""));
    let token = page.csrf();
    // The enrolment's code was used: it does not log in.
    let used = code_at(&secret, step_now() - 1);
    let p = b
        .post("/portal/login/totp", &[("code", &used), ("_csrf", &token)])
        .await;
    assert_eq!(p.status, 401, "a used code is refused");
    let code = code_at(&secret, step_now());
    let p = b
        .post("/portal/login/totp", &[("code", &code), ("_csrf", &token)])
        .await;
    assert_eq!((p.status, p.location()), (303, "/portal/"), "{}", p.body);
    let full = session_id(&b);
    assert_ne!(full, pending, "a new session id after the second factor");
    assert_eq!(b.get("/portal/").await.status, 200);
    let mut old = Browser::new(app);
    old.cookies.insert("tsunagu_session".into(), pending);
    assert_eq!(old.get("/portal/").await.location(), "/portal/login");

    // The same code again, in another login: refused.
    let mut other = Browser::new(app);
    let p = other.password(&login, MEMBER_PASSWORD).await;
    assert_eq!(p.location(), "/portal/login/totp");
    let token = other.get("/portal/login/totp").await.csrf();
    let p = other
        .post("/portal/login/totp", &[("code", &code), ("_csrf", &token)])
        .await;
    assert_eq!(p.status, 401);
    // Five wrong codes drop the pending login.
    let wrong = wrong_code(&secret);
    let mut last = p;
    for _ in 0..4 {
        last = other
            .post("/portal/login/totp", &[("code", wrong), ("_csrf", &token)])
            .await;
    }
    assert_eq!(last.status, 401);
    assert!(
        last.body.contains("誤ったコードが多すぎます"),
        "{}",
        last.body
    );
    assert!(!other.cookies.contains_key("tsunagu_session"));
    assert_eq!(
        other.get("/portal/login/totp").await.location(),
        "/portal/login"
    );
    assert_eq!(
        sessions_of(app, &login).await,
        1,
        "only the full session is left"
    );

    // A lost authenticator: a recovery code (typed in lower case, without dashes) logs
    // in once, and the settings say how many are left.
    let mut lost = Browser::new(app);
    let p = lost.password(&login, MEMBER_PASSWORD).await;
    assert_eq!(p.location(), "/portal/login/totp");
    let token = lost.get("/portal/login/totp").await.csrf();
    let typed = codes[3].replace('-', "").to_lowercase();
    let p = lost
        .post("/portal/login/totp", &[("code", &typed), ("_csrf", &token)])
        .await;
    assert_eq!(
        (p.status, p.location()),
        (303, "/portal/settings?ok=recovery_used"),
        "{}",
        p.body
    );
    let settings = lost.get("/portal/settings?ok=recovery_used").await;
    assert!(
        settings.body.contains("<strong>9</strong> / 10"),
        "{}",
        settings.body
    );
    let mut again = Browser::new(app);
    again.password(&login, MEMBER_PASSWORD).await;
    let token = again.get("/portal/login/totp").await.csrf();
    let p = again
        .post(
            "/portal/login/totp",
            &[("code", &codes[3]), ("_csrf", &token)],
        )
        .await;
    assert_eq!(p.status, 401, "a recovery code works once");
    // Over the API too, in place of the TOTP code.
    let (s, v) = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"login": login, "password": MEMBER_PASSWORD, "totp": codes[4]}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    // New codes replace the old ones, which stop working.
    let token = lost.token().await;
    let p = lost
        .post("/portal/settings/recovery-codes", &[("_csrf", &token)])
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("id=\"recovery-codes\""));
    let (s, _) = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"login": login, "password": MEMBER_PASSWORD, "totp": codes[5]}),
        )
        .await;
    assert_eq!(s, 401, "replaced codes no longer work");
    assert!(
        audit_actions(app)
            .await
            .contains(&"portal.recovery_codes".to_owned())
    );
}

// ---- CSRF ----

async fn forms_need_the_csrf_token(app: &TestApp) {
    let c = council(app).await;
    let (m, _) = admitted_in(app, &c, "Kirishiro Power", "class2", "electricity", false).await;
    let mut b = Browser::new(app);
    b.login(&admin_login(&m), MEMBER_PASSWORD).await;
    let token = b.token().await;
    for form in [
        vec![("lang", "en"), ("back", "/portal/")],
        vec![("lang", "en"), ("back", "/portal/"), ("_csrf", "0000")],
        vec![
            ("lang", "en"),
            ("back", "/portal/"),
            ("_csrf", &token[..63]),
        ],
    ] {
        let p = b.post("/portal/lang", &form).await;
        assert_eq!(p.status, 403, "{form:?}");
        assert!(p.body.contains("<main"));
    }
    for path in [
        "/portal/logout",
        "/portal/settings/logout-everywhere",
        "/portal/items",
        "/portal/alerts",
    ] {
        assert_eq!(
            b.post(path, &[("_csrf", "nope")]).await.status,
            403,
            "{path}"
        );
    }
    // From another site's page, even with the token: refused.
    let p = b
        .post_with(
            "/portal/lang",
            &[("lang", "en"), ("back", "/portal/"), ("_csrf", &token)],
            "https://evil.example",
        )
        .await;
    assert_eq!(p.status, 403);
    let p = b
        .post_with(
            "/portal/lang",
            &[
                ("lang", "en"),
                ("back", "//evil.example/"),
                ("_csrf", &token),
            ],
            &b.base.clone(),
        )
        .await;
    assert_eq!(
        (p.status, p.location()),
        (303, "/portal/"),
        "no open redirect"
    );
    // Nothing changed by the refused forms but the last.
    let lang: String = sqlx::query_scalar("SELECT portal_lang FROM users WHERE login = $1")
        .bind(admin_login(&m))
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    assert_eq!(lang, "en");
}

// ---- Ends of sessions ----

async fn sessions_end(app: &TestApp) {
    let c = council(app).await;
    let (m, token) = admitted_in(app, &c, "Kirishiro Power", "class2", "electricity", false).await;
    let login = admin_login(&m);
    let ms = |t: time::OffsetDateTime| (t.unix_timestamp_nanos() / 1_000_000) as i64;

    // Idle for 30 minutes.
    let mut b = Browser::new(app);
    b.login(&login, MEMBER_PASSWORD).await;
    assert_eq!(b.get("/portal/").await.status, 200);
    sqlx::query("UPDATE portal_sessions SET last_seen_at = $1")
        .bind(ms(
            time::OffsetDateTime::now_utc() - time::Duration::minutes(31)
        ))
        .execute(app.store.pool())
        .await
        .unwrap();
    assert_eq!(b.get("/portal/").await.location(), "/portal/login");
    assert_eq!(sessions_of(app, &login).await, 0);
    // 29 idle minutes are fine.
    b.login(&login, MEMBER_PASSWORD).await;
    sqlx::query("UPDATE portal_sessions SET last_seen_at = $1")
        .bind(ms(
            time::OffsetDateTime::now_utc() - time::Duration::minutes(29)
        ))
        .execute(app.store.pool())
        .await
        .unwrap();
    assert_eq!(b.get("/portal/").await.status, 200);
    // 12 hours after login, however busy.
    let created: i64 = sqlx::query_scalar("SELECT created_at FROM portal_sessions")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    let expires: i64 = sqlx::query_scalar("SELECT expires_at FROM portal_sessions")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    assert_eq!(expires - created, 12 * 3600 * 1000);
    sqlx::query("UPDATE portal_sessions SET expires_at = $1")
        .bind(ms(
            time::OffsetDateTime::now_utc() - time::Duration::seconds(1)
        ))
        .execute(app.store.pool())
        .await
        .unwrap();
    assert_eq!(b.get("/portal/").await.location(), "/portal/login");

    // Log out everywhere: every session of the user goes.
    let mut one = Browser::new(app);
    let mut two = Browser::new(app);
    one.login(&login, MEMBER_PASSWORD).await;
    two.login(&login, MEMBER_PASSWORD).await;
    assert_eq!(sessions_of(app, &login).await, 2);
    let t = one.token().await;
    let p = one
        .post("/portal/settings/logout-everywhere", &[("_csrf", &t)])
        .await;
    assert_eq!((p.status, p.location()), (303, "/portal/login"));
    assert_eq!(sessions_of(app, &login).await, 0);
    assert_eq!(two.get("/portal/").await.location(), "/portal/login");
    assert_eq!(one.get("/portal/").await.location(), "/portal/login");

    // A disabled user: its sessions are deleted with the change.
    let analyst = add_analyst(app, &m, &token).await;
    let mut a = Browser::new(app);
    a.login("soc-analyst", ANALYST_PASSWORD).await;
    one.login(&login, MEMBER_PASSWORD).await;
    let (s, _) = app
        .post(
            &format!("/api/v1/users/{analyst}/disable"),
            Some(&token),
            json!({}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(sessions_of(app, "soc-analyst").await, 0);
    assert_eq!(a.get("/portal/").await.location(), "/portal/login");
    assert_eq!(
        one.get("/portal/").await.status,
        200,
        "other users keep theirs"
    );
    let p = a.password("soc-analyst", ANALYST_PASSWORD).await;
    assert_eq!(p.status, 401, "a disabled user cannot log in");

    // A withdrawn member: every session of its users goes.
    let (s, v) = app
        .post(
            &format!("/api/v1/members/{m}/withdraw"),
            Some(&token),
            json!({"reason": "merger"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(sessions_of(app, &login).await, 0);
    assert_eq!(one.get("/portal/").await.location(), "/portal/login");
    let p = one.password(&login, MEMBER_PASSWORD).await;
    assert_eq!(p.status, 401);

    // An expelled member: the same.
    let (x, _) = admitted_in(app, &c, "Shady Utility", "class2", "gas", false).await;
    let mut shady = Browser::new(app);
    shady.login(&admin_login(&x), MEMBER_PASSWORD).await;
    assert_eq!(sessions_of(app, &admin_login(&x)).await, 1);
    let (s, v) = app
        .post(
            &format!("/api/v1/members/{x}/expel"),
            Some(&c.admin),
            json!({"reason": "free rider"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(sessions_of(app, &admin_login(&x)).await, 0);
    assert_eq!(shady.get("/portal/").await.location(), "/portal/login");

    // A member's admin withdraws it from the settings page: only with the box checked;
    // then every session and token of its users ends, this one included.
    let (w, w_token) = admitted_in(app, &c, "Leaving Utility", "class2", "water", false).await;
    let mut leaving = Browser::new(app);
    leaving.login(&admin_login(&w), MEMBER_PASSWORD).await;
    let page = leaving.get("/portal/settings").await;
    assert!(page.body.contains("id=\"withdrawal\""), "{}", page.body);
    let t = page.csrf();
    let p = leaving
        .post(
            "/portal/settings/withdraw",
            &[("_csrf", &t), ("reason", "merger")],
        )
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert_eq!(
        app.get("/api/v1/me", &w_token).await.0,
        200,
        "nothing happened"
    );
    let p = leaving
        .post(
            "/portal/settings/withdraw",
            &[("_csrf", &t), ("reason", "merger"), ("confirm", "1")],
        )
        .await;
    assert_eq!(
        (p.status, p.location()),
        (303, "/portal/login"),
        "{}",
        p.body
    );
    assert_eq!(leaving.get("/portal/").await.location(), "/portal/login");
    assert_eq!(app.get("/api/v1/me", &w_token).await.0, 401);
    assert!(
        audit_actions(app)
            .await
            .iter()
            .any(|a| a == "member.withdraw")
    );
}

// ---- Language ----

async fn the_language_switch_is_remembered(app: &TestApp) {
    let c = council(app).await;
    let (m, _) = admitted_in(app, &c, "Kirishiro Power", "class2", "electricity", false).await;
    let login = admin_login(&m);
    let mut b = Browser::new(app);
    b.login(&login, MEMBER_PASSWORD).await;
    let page = b.get("/portal/items").await;
    assert!(page.body.contains("<html lang=\"ja\">"));
    assert!(page.body.contains("<h1>共有情報</h1>"));
    assert!(page.body.contains("時刻はすべて日本標準時 (JST) です。"));
    let token = page.csrf();
    let p = b
        .post(
            "/portal/lang",
            &[("lang", "en"), ("back", "/portal/items"), ("_csrf", &token)],
        )
        .await;
    assert_eq!((p.status, p.location()), (303, "/portal/items"));
    let page = b.get("/portal/items").await;
    assert!(page.body.contains("<html lang=\"en\">"));
    assert!(page.body.contains("<h1>Shared items</h1>"));
    assert!(
        page.body
            .contains("All times are Japan Standard Time (JST).")
    );
    // Remembered for the user, not the browser.
    let mut elsewhere = Browser::new(app);
    elsewhere.login(&login, MEMBER_PASSWORD).await;
    assert!(
        elsewhere
            .get("/portal/")
            .await
            .body
            .contains("<h1>Dashboard</h1>")
    );
    let p = b
        .post(
            "/portal/lang",
            &[("lang", "ja"), ("back", "/portal/"), ("_csrf", &token)],
        )
        .await;
    assert_eq!(p.status, 303);
    assert!(
        elsewhere
            .get("/portal/")
            .await
            .body
            .contains("<h1>ダッシュボード</h1>")
    );
}

// ---- Items: submit with preview, policy view, feedback ----

struct Cast {
    c: Council,
    provider: String,
    provider_token: String,
    class2: String,
    regulator: String,
    general: String,
}

async fn cast(app: &TestApp) -> Cast {
    let c = council(app).await;
    let (p, provider_token) = admitted_in(
        app,
        &c,
        "Kirishiro Security",
        "class1",
        "electricity",
        false,
    )
    .await;
    let (k2, _) = admitted_in(app, &c, "Kirishiro Power", "class2", "electricity", false).await;
    let (r, _) = admitted_in(
        app,
        &c,
        "Energy Agency",
        "class1",
        "national_government",
        false,
    )
    .await;
    let (g, _) = admitted_in(app, &c, "Small Utility", "general", "electricity", false).await;
    let (s, v) = app
        .call(
            "PUT",
            &format!("/api/v1/members/{r}/roles"),
            Some(&c.admin),
            Some(json!({"roles": ["regulator"], "regulator_of": ["electricity"]})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    Cast {
        c,
        provider: admin_login(&p),
        provider_token,
        class2: admin_login(&k2),
        regulator: admin_login(&r),
        general: admin_login(&g),
    }
}

fn item_form<'a>(
    token: &'a str,
    title: &'a str,
    exclude_all_regulators: bool,
) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![
        ("_csrf", token),
        ("kind", "threat_information"),
        ("title", title),
        ("executive_context", "Operations may stop."),
        (
            "technical_details",
            "TECHNICAL-SECRET lateral movement over SMB",
        ),
        ("countermeasures", "Block 203.0.113.77 at the border."),
        ("indicators", "ipv4 203.0.113.77\nevil-portal.example"),
        ("cves", "CVE-2017-0144"),
        ("techniques", "T1210"),
        ("confidence", "probable"),
        ("tlp", "amber"),
        ("victim_name", "VICTIM-SECRET Power Co."),
        ("victim_sector", "electricity"),
        ("victim_damaged", "1"),
        ("damage_details", "DAMAGE-SECRET three substations"),
        ("class.class1", "1"),
        ("class.class2", "1"),
    ];
    if exclude_all_regulators {
        f.push(("exclude_all_regulators", "1"));
    }
    f
}

fn row(class_or_role: &str, label: &str, reached: usize, of: usize) -> String {
    format!(
        "{class_or_role}><th scope=\"row\">{label}</th><td class=\"n\">{reached}</td><td class=\"n\">{of}</td>"
    )
}

/// The share form's partner box (federation): the preview counts the partners the item
/// would reach within their agreements, and sharing puts `partner` in the scope, so the
/// partner's own view holds the item.
async fn partners_in_the_share_form(app: &TestApp) {
    let k = cast(app).await;
    let (s, partner) = app
        .post(
            "/api/v1/partners",
            Some(&k.c.coordinator),
            json!({"name": "Denryoku ISAC", "sector": "electricity", "login": "isac-portal",
                   "agreement": {"classes": ["class2"], "max_tlp": "amber"}}),
        )
        .await;
    assert_eq!(s, 201, "{partner}");
    let partner_token = partner["api_token"].as_str().unwrap();
    let mut provider = Browser::new(app);
    provider.login(&k.provider, MEMBER_PASSWORD).await;
    let page = provider.get("/portal/items/new").await;
    assert!(
        page.body.contains("name=\"class.partner\""),
        "the partner box"
    );
    let token = page.csrf();
    let mut form = item_form(&token, "Shared with the ISAC", true);
    form.push(("class.partner", "1"));
    let p = provider.post("/portal/items/preview", &form).await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(
        p.body
            .contains(&row("data-class=\"partner\"", "連携先", 1, 1)),
        "{}",
        p.body
    );
    let p = provider.post("/portal/items", &form).await;
    assert_eq!(p.status, 303, "{}", p.body);
    let id = p
        .location()
        .trim_start_matches("/portal/items/")
        .trim_end_matches("?ok=shared")
        .to_owned();
    let (s, v) = app.get(&format!("/api/v1/items/{id}"), partner_token).await;
    assert_eq!(s, 200, "{v}");
    assert!(v["victim"]["name"].is_null(), "masked: {v}");
    // Without the box, the same item stays home.
    let p = provider
        .post("/portal/items", &item_form(&token, "Kept at home", true))
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let home = p
        .location()
        .trim_start_matches("/portal/items/")
        .trim_end_matches("?ok=shared")
        .to_owned();
    let (s, _) = app
        .get(&format!("/api/v1/items/{home}"), partner_token)
        .await;
    assert_eq!(s, 404);
}

async fn submit_preview_view_and_feedback(app: &TestApp) {
    let k = cast(app).await;
    let mut provider = Browser::new(app);
    provider.login(&k.provider, MEMBER_PASSWORD).await;
    let page = provider.get("/portal/items/new").await;
    assert_eq!(page.status, 200);
    for label in [
        "すべての所管省庁に共有しない",
        "自組織の分野の所管省庁には共有しない",
        "<label for=\"title\">",
    ] {
        assert!(page.body.contains(label), "{label}");
    }
    let token = page.csrf();
    let title = "Ransomware <script>alert(1)</script> on substations";

    // The preview without the exclusion: the regulator would receive it.
    let p = provider
        .post("/portal/items/preview", &item_form(&token, title, false))
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(
        p.body.contains(&row(
            "data-role=\"regulator\" class=\"regulator-row\"",
            "所管省庁",
            1,
            1
        )),
        "{}",
        p.body
    );
    assert!(p.body.contains("所管省庁にも届きます。"));
    // With it: nobody regulating receives it; class 1 and 2 do, general members not
    // (threat information is not a confirmed countermeasure). The coordinator's
    // member (class 1) and the regulator's (class 1) are counted by class too.
    let p = provider
        .post("/portal/items/preview", &item_form(&token, title, true))
        .await;
    assert_eq!(p.status, 200);
    let b = &p.body;
    assert!(
        b.contains(&row(
            "data-role=\"regulator\" class=\"regulator-row\"",
            "所管省庁",
            0,
            1
        )),
        "{b}"
    );
    assert!(b.contains("所管省庁には届きません。"));
    assert!(
        b.contains(&row("data-class=\"class2\"", "第二類", 1, 1)),
        "{b}"
    );
    assert!(
        b.contains(&row("data-class=\"general\"", "一般", 0, 1)),
        "{b}"
    );
    // class 1: the secretariat, the coordinator (both class 1 members of the first
    // start), the regulator (excluded); so 2 of 3.
    assert!(
        b.contains(&row("data-class=\"class1\"", "第一類", 2, 3)),
        "{b}"
    );
    assert!(
        b.contains(&row("data-role=\"coordinator\"", "調整機関", 1, 1)),
        "{b}"
    );
    // What each audience sees, from the views themselves.
    assert!(
        b.contains("data-audience=\"class2\">第二類 (マスク済み) (1)"),
        "{b}"
    );
    assert!(b.contains("&lt;script&gt;"), "escaped");
    assert!(!b.contains("<script>"), "no markup from the title");
    assert_eq!(
        app.store.item_count().await.unwrap(),
        0,
        "the preview shares nothing"
    );
    assert!(b.contains("<input type=\"hidden\" name=\"exclude_all_regulators\" value=\"1\">"));
    // Back to the form, as filled in.
    let back = provider
        .post("/portal/items/new", &item_form(&token, title, true))
        .await;
    assert_eq!(back.status, 200);
    assert!(
        back.body
            .contains("value=\"Ransomware &lt;script&gt;alert(1)&lt;/script&gt; on substations\"")
    );
    assert!(
        back.body
            .contains("name=\"exclude_all_regulators\" value=\"1\" checked")
    );

    // A bad pseudonym or indicator is named, nothing shared.
    let mut bad = item_form(&token, title, true);
    bad.push(("excluded", "M-NOSUCH1"));
    let p = provider.post("/portal/items/preview", &bad).await;
    assert_eq!(p.status, 422);
    assert!(p.body.contains("M-NOSUCH1"));

    // Share it.
    let p = provider
        .post("/portal/items", &item_form(&token, title, true))
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let loc = p.location().to_owned();
    assert!(
        loc.starts_with("/portal/items/") && loc.ends_with("?ok=shared"),
        "{loc}"
    );
    let id = loc
        .trim_start_matches("/portal/items/")
        .trim_end_matches("?ok=shared")
        .to_owned();
    let mine = provider.get(&loc).await;
    assert!(
        mine.body.contains("VICTIM-SECRET"),
        "the provider sees everything"
    );
    assert!(
        mine.body.contains("すべての所管省庁に共有しない"),
        "and its scope"
    );
    // The API's view agrees: shared through the same path.
    let (s, v) = app
        .get(&format!("/api/v1/items/{id}"), &k.provider_token)
        .await;
    assert_eq!(s, 200);
    assert_eq!(v["scope"]["exclude_all_regulators"], true);
    assert_eq!(v["indicators"].as_array().unwrap().len(), 2);

    // Class 2 sees it masked.
    let mut c2 = Browser::new(app);
    c2.login(&k.class2, MEMBER_PASSWORD).await;
    let page = c2.get(&format!("/portal/items/{id}")).await;
    assert_eq!(page.status, 200);
    for secret in [
        "VICTIM-SECRET",
        "TECHNICAL-SECRET",
        "DAMAGE-SECRET",
        &k.provider,
    ] {
        assert!(!page.body.contains(secret), "{secret} leaked");
    }
    for shown in [
        "技術詳細はあなたの区分には開示されません。",
        "被害組織名は開示されません。",
        "203.0.113.77",
        "提供元: 調整機関経由",
        "第二類 (マスク済み)",
    ] {
        assert!(page.body.contains(shown), "{shown}");
    }
    let list = c2.get("/portal/items").await;
    assert!(list.body.contains(&format!("/portal/items/{id}")));
    let found = c2.get("/portal/items?indicator=203.0.113.0%2F24").await;
    assert!(
        found.body.contains(&format!("/portal/items/{id}")),
        "CIDR search finds it"
    );
    let none = c2.get("/portal/items?kind=countermeasure").await;
    assert!(!none.body.contains(&format!("/portal/items/{id}")));
    let bad = c2.get("/portal/items?indicator=%3F%3F").await;
    assert_eq!(bad.status, 400);

    // Feedback: the buttons, the API's handler behind them.
    assert!(page.body.contains("value=\"seen\""));
    assert!(
        page.body.contains("来ている")
            && page.body.contains("来ていない")
            && page.body.contains("わからない")
    );
    let dash = c2.get("/portal/").await;
    assert!(
        dash.body.contains(&format!("/portal/items/{id}")),
        "owed on the dashboard"
    );
    let token2 = page.csrf();
    let p = c2
        .post(
            &format!("/portal/items/{id}/feedback"),
            &[
                ("sighting", "seen"),
                ("comment", "two hits"),
                ("_csrf", &token2),
            ],
        )
        .await;
    assert_eq!(
        (p.status, p.location()),
        (303, format!("/portal/items/{id}?ok=feedback").as_str())
    );
    let (s, v) = app
        .get(&format!("/api/v1/items/{id}/feedback"), &k.provider_token)
        .await;
    assert_eq!(s, 200);
    assert_eq!(v["tally"]["seen"], 1);
    let dash = c2.get("/portal/").await;
    assert!(
        !dash.body.contains(&format!("/portal/items/{id}")),
        "no longer owed"
    );
    // The 30-day chart counts the one item shared with it today, and no alert.
    let chart = &dash.body[dash.body.find("id=\"activity-chart\"").expect("the chart")..];
    let chart = &chart[..chart.find("</svg>").unwrap()];
    assert!(chart.contains(">共有された情報 (1)</text>"), "{chart}");
    assert!(chart.contains(">受け取った警報 (0)</text>"), "{chart}");
    assert_eq!(chart.matches("<polyline").count(), 2, "{chart}");
    let page = c2.get(&format!("/portal/items/{id}")).await;
    assert!(page.body.contains("あなたの組織の回答"));
    let tally = provider.get(&format!("/portal/items/{id}")).await;
    assert!(tally.body.contains("回答の集計"));
    // The tally drawn: the one "seen" answer is the longest bar, with its count.
    let chart = &tally.body[tally
        .body
        .find("id=\"tally-chart\"")
        .expect("a tally chart")..];
    let chart = &chart[..chart.find("</svg>").unwrap()];
    assert!(chart.contains("<title>来ている: 1</title>"), "{chart}");
    assert!(chart.contains("<title>来ていない: 0</title>"), "{chart}");

    // The regulator: not at all.
    let mut reg = Browser::new(app);
    reg.login(&k.regulator, MEMBER_PASSWORD).await;
    assert_eq!(reg.get(&format!("/portal/items/{id}")).await.status, 404);
    assert!(!reg.get("/portal/items").await.body.contains(&id));
    let t = reg.token().await;
    let p = reg
        .post(
            &format!("/portal/items/{id}/feedback"),
            &[("sighting", "seen"), ("_csrf", &t)],
        )
        .await;
    assert_eq!(p.status, 404);
    // General members: not this kind of item.
    let mut gen_ = Browser::new(app);
    gen_.login(&k.general, MEMBER_PASSWORD).await;
    assert_eq!(gen_.get(&format!("/portal/items/{id}")).await.status, 404);
    assert_eq!(gen_.get("/portal/items/not-an-id").await.status, 404);
    assert_eq!(gen_.get("/portal/nothing/here").await.status, 404);
    let _ = &k.c;
}

// ---- Alerts ----

async fn alerts_ack_and_progress(app: &TestApp) {
    let k = cast(app).await;
    let mut coord = Browser::new(app);
    coord
        .login("coord-admin", "a long coordinator password")
        .await;
    let page = coord.get("/portal/alerts/new").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let token = page.csrf();
    let p = coord
        .post(
            "/portal/alerts",
            &[
                ("_csrf", &token),
                ("title", "Patch the VPN gateways"),
                ("severity", "critical"),
                ("action_required", "Apply the vendor fix today."),
                ("class.class2", "1"),
                ("exercise", "1"),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let loc = p.location().to_owned();
    let id = loc
        .trim_start_matches("/portal/alerts/")
        .trim_end_matches("?ok=issued")
        .to_owned();

    let mut c2 = Browser::new(app);
    c2.login(&k.class2, MEMBER_PASSWORD).await;
    let dash = c2.get("/portal/").await;
    assert!(
        dash.body.contains(&format!("/portal/alerts/{id}")),
        "unacknowledged on the dashboard"
    );
    assert!(dash.body.contains("【訓練 / EXERCISE】"));
    let page = c2.get(&format!("/portal/alerts/{id}")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Apply the vendor fix today."));
    assert!(
        !page.body.contains("id=\"progress\""),
        "recipients see no progress"
    );
    let t = page.csrf();
    let p = c2
        .post(
            &format!("/portal/alerts/{id}/ack"),
            &[("acted", "0"), ("_csrf", &t)],
        )
        .await;
    assert_eq!(p.status, 303);
    let dash = c2.get("/portal/").await;
    assert!(
        !dash.body.contains(&format!("/portal/alerts/{id}")),
        "acknowledged"
    );
    let p = c2
        .post(
            &format!("/portal/alerts/{id}/ack"),
            &[("acted", "1"), ("_csrf", &t)],
        )
        .await;
    assert_eq!(p.status, 303);
    assert!(c2.get("/portal/alerts").await.body.contains("対応済み"));

    let page = coord.get(&format!("/portal/alerts/{id}")).await;
    assert!(page.body.contains("id=\"progress\""));
    assert!(page.body.contains("<td class=\"n targeted\">1</td><td class=\"n delivered\">1</td><td class=\"n read\">1</td><td class=\"n acted\">1</td>"), "{}", page.body);
    let chart = &page.body[page
        .body
        .find("id=\"progress-chart\"")
        .expect("a progress chart")..];
    let chart = &chart[..chart.find("</svg>").unwrap()];
    assert!(chart.contains(">1 / 1</text>"), "{chart}");
    // Recipients cannot withdraw it; the issuer does, and recipients see it withdrawn.
    assert!(
        !c2.get(&format!("/portal/alerts/{id}"))
            .await
            .body
            .contains("id=\"withdraw-alert\"")
    );
    assert!(page.body.contains("id=\"withdraw-alert\""));
    let p = coord
        .post(
            &format!("/portal/alerts/{id}/withdraw"),
            &[("_csrf", &page.csrf())],
        )
        .await;
    assert_eq!(
        (p.status, p.location().to_owned()),
        (303, format!("/portal/alerts/{id}?ok=withdrawn")),
        "{}",
        p.body
    );
    let seen = c2.get(&format!("/portal/alerts/{id}")).await;
    assert!(seen.body.contains("撤回済み"), "{}", seen.body);
    assert!(
        !coord
            .get(&format!("/portal/alerts/{id}"))
            .await
            .body
            .contains("id=\"withdraw-alert\"")
    );

    // Not a recipient: 404. Not an issuer: no form.
    let mut reg = Browser::new(app);
    reg.login(&k.regulator, MEMBER_PASSWORD).await;
    assert_eq!(reg.get(&format!("/portal/alerts/{id}")).await.status, 404);
    assert_eq!(reg.get("/portal/alerts/new").await.status, 403);
    let t = reg.token().await;
    let p = reg
        .post(
            &format!("/portal/alerts/{id}/ack"),
            &[("acted", "1"), ("_csrf", &t)],
        )
        .await;
    assert_eq!(p.status, 404);
}

async fn static_css_and_consultations(app: &TestApp) {
    let c = council(app).await;
    let (m, token) = admitted_in(app, &c, "Kirishiro Power", "class2", "electricity", false).await;
    let (s, _) = app
        .post(
            "/api/v1/consultations",
            Some(&token),
            json!({"subject": "Odd DNS traffic", "text": "something feels off"}),
        )
        .await;
    assert_eq!(s, 201);
    let mut b = Browser::new(app);
    b.login(&admin_login(&m), MEMBER_PASSWORD).await;
    let page = b.get("/portal/consultations").await;
    assert!(page.body.contains("Odd DNS traffic"));
    let dash = b.get("/portal/").await;
    let at = dash.body.find("/portal/static/portal.css?v=").unwrap();
    let href = &dash.body[at..at + dash.body[at..].find('"').unwrap()];
    let css = b.get(href).await;
    assert_eq!(css.status, 200);
    assert_eq!(css.headers["content-type"], "text/css; charset=utf-8");
    assert_eq!(
        css.headers["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert!(css.body.contains("@media (max-width: 40rem)"));
    assert!(
        !css.body.contains("http://")
            && !css.body.contains("https://")
            && !css.body.contains("@import")
    );
}

// ---- Constituency, observations, trends ----

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

fn with_token<'a>(t: &'a str, mut f: Vec<(&'a str, &'a str)>) -> Vec<(&'a str, &'a str)> {
    f.push(("_csrf", t));
    f
}

fn today() -> String {
    let d = time::OffsetDateTime::now_utc().date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// The id of the one entry with `value` in the coordinator's list of `status`.
async fn entry_id(app: &TestApp, c: &Council, status: &str, value: &str) -> String {
    let (s, v) = app
        .get(
            &format!("/api/v1/constituency?status={status}"),
            &c.coordinator,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    v.as_array()
        .unwrap()
        .iter()
        .find(|e| e["value"] == value)
        .unwrap_or_else(|| panic!("no {status} entry {value} in {v}"))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn constituency_and_observations(app: &TestApp) {
    let c = council(app).await;
    make_sensor_operator(app, &c).await;
    let (isp_member, _) = admitted_in(
        app,
        &c,
        "Aonami Net",
        "class2",
        "information_communication",
        false,
    )
    .await;
    let (power_member, _) =
        admitted_in(app, &c, "Kirishiro Power", "class2", "electricity", false).await;
    let mut isp = Browser::new(app);
    isp.login(&admin_login(&isp_member), MEMBER_PASSWORD).await;
    let mut power = Browser::new(app);
    power
        .login(&admin_login(&power_member), MEMBER_PASSWORD)
        .await;

    // The page, in the navigation, with an empty list and the form.
    let dash = isp.get("/portal/").await;
    for href in [
        "href=\"/portal/constituency\"",
        "href=\"/portal/observations\"",
        "href=\"/portal/trends\"",
    ] {
        assert!(dash.body.contains(href), "{href}");
    }
    let page = isp.get("/portal/constituency").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body
            .contains("<h1>自組織の範囲（コンスティチュエンシー）</h1>")
    );
    assert!(page.body.contains("aria-current=\"page\""));
    assert!(page.body.contains("登録はまだありません。"));
    assert!(
        !page.body.contains("id=\"h-queue\""),
        "the queue is the coordinator's"
    );
    let t = page.csrf();

    // The form needs its token; refusals are shown in the form, the values kept.
    let entry = |kind: &'static str, value: &'static str| {
        vec![
            ("kind", kind),
            ("value", value),
            ("ownership", "APNIC allocation to us (whois org ORG-EX1)"),
        ]
    };
    let p = isp
        .post("/portal/constituency", &entry("cidr", "203.0.113.0/24"))
        .await;
    assert_eq!(p.status, 403);
    let f = with_token(&t, entry("cidr", "10.0.0.0/7"));
    let p = isp.post("/portal/constituency", &f).await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(
        p.body.contains("an IPv4 range may be at most a /8"),
        "{}",
        p.body
    );
    assert!(p.body.contains("id=\"register-error\" role=\"alert\""));
    assert!(p.body.contains("value=\"10.0.0.0/7\""), "the value is kept");
    let f = with_token(&t, entry("cidr", "203.0.113.0/24"));
    let p = isp.post("/portal/constituency", &f).await;
    assert_eq!(
        (p.status, p.location()),
        (303, "/portal/constituency?ok=registered"),
        "{}",
        p.body
    );
    let p = isp.post("/portal/constituency", &f).await;
    assert_eq!(p.status, 409, "registered already");
    assert!(p.body.contains("registered already"));
    let f = with_token(&t, entry("domain", "aonami.example"));
    assert_eq!(isp.post("/portal/constituency", &f).await.status, 303);
    let page = isp.get("/portal/constituency?ok=registered").await;
    assert!(page.body.contains("203.0.113.0/24"));
    assert!(page.body.contains("確認待ち"));
    assert!(page.body.contains("role=\"status\""));

    // Another member's overlapping entry is held.
    let pt = power.token().await;
    let f = with_token(&pt, entry("cidr", "203.0.113.128/25"));
    assert_eq!(power.post("/portal/constituency", &f).await.status, 303);
    let page = power.get("/portal/constituency").await;
    assert!(page.body.contains("保留（重複）"));
    assert!(
        !page.body.contains("203.0.113.0/24"),
        "a member sees that it overlaps, not with what"
    );

    // Removal: only one's own entry.
    let domain = entry_id(app, &c, "pending", "aonami.example").await;
    let p = power
        .post(
            &format!("/portal/constituency/{domain}/remove"),
            &[("_csrf", &pt)],
        )
        .await;
    assert_eq!(p.status, 404);
    let p = isp
        .post(&format!("/portal/constituency/{domain}/remove"), &[])
        .await;
    assert_eq!(p.status, 403, "needs the token");
    let p = isp
        .post(
            &format!("/portal/constituency/{domain}/remove"),
            &[("_csrf", &t)],
        )
        .await;
    assert_eq!(
        (p.status, p.location()),
        (303, "/portal/constituency?ok=removed")
    );
    assert!(
        !isp.get("/portal/constituency")
            .await
            .body
            .contains("aonami.example")
    );

    // The coordinator's queue: verify, a held entry only with the overlap accepted,
    // reject only with a note; members cannot decide.
    let range = entry_id(app, &c, "pending", "203.0.113.0/24").await;
    let held = entry_id(app, &c, "held", "203.0.113.128/25").await;
    let p = isp
        .post(
            &format!("/portal/constituency/{range}/verify"),
            &[("_csrf", &t)],
        )
        .await;
    assert_eq!(p.status, 403);
    let mut co = Browser::new(app);
    co.login("coord-admin", "a long coordinator password").await;
    let page = co.get("/portal/constituency").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("id=\"h-queue\""));
    assert!(page.body.contains(&format!("id=\"entry-{range}\"")));
    assert!(page.body.contains(&format!("id=\"accept-{held}\"")));
    assert!(page.body.contains("id=\"overlaps\""), "the overlaps list");
    assert!(page.body.contains("APNIC allocation to us"));
    let ct = page.csrf();
    let p = co
        .post(
            &format!("/portal/constituency/{range}/verify"),
            &[("_csrf", &ct)],
        )
        .await;
    assert_eq!(
        (p.status, p.location()),
        (303, "/portal/constituency?ok=verified"),
        "{}",
        p.body
    );
    let p = co
        .post(
            &format!("/portal/constituency/{held}/verify"),
            &[("_csrf", &ct)],
        )
        .await;
    assert_eq!(p.status, 409, "{}", p.body);
    assert!(p.body.contains("accept_overlap"), "{}", p.body);
    let p = co
        .post(
            &format!("/portal/constituency/{held}/reject"),
            &[("note", ""), ("_csrf", &ct)],
        )
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    let p = co
        .post(
            &format!("/portal/constituency/{held}/reject"),
            &[("note", "not in whois"), ("_csrf", &ct)],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let page = power.get("/portal/constituency").await;
    assert!(page.body.contains("却下") && page.body.contains("not in whois"));
    let page = isp.get("/portal/constituency").await;
    assert!(page.body.contains("確認済み"));

    // A record in the ISP's range reaches the ISP's observations page only.
    let csv = format!(
        "timestamp,ip,dst_port,protocol,asn,hostname,tag,severity,sensor_id,sensor_type\n\
         {day} 01:00:00,203.0.113.7,23,tcp,,,mirai,high,dn-1,darknet\n\
         {day} 02:00:00,198.51.100.9,445,tcp,,,smb-scan,medium,dn-1,darknet\n",
        day = today()
    );
    let resp = app
        .client
        .post(app.url("/api/v1/observations"))
        .bearer_auth(&c.admin)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    let page = isp.get("/portal/observations").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("<h1>観測（自組織への該当）</h1>"));
    assert!(page.body.contains("<svg"), "the chart by day");
    assert!(page.body.contains("203.0.113.7"));
    assert!(page.body.contains("mirai"));
    assert!(page.body.contains("ダークネットのセンサーで観測：送信元アドレス 203.0.113.7 は貴組織のもの（203.0.113.0/24 内）"));
    assert!(page.body.contains("23/tcp"));
    assert!(page.body.contains("JST"));
    assert!(!page.body.contains("198.51.100.9"), "not the ISP's");
    let page = power.get("/portal/observations").await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("203.0.113.7"), "not Power's");
    assert!(page.body.contains("直近 7 日間の該当はありません。"));

    // The day's digest, as the API's.
    let csv = isp
        .get(&format!("/portal/observations/digest.csv?day={}", today()))
        .await;
    assert_eq!(csv.status, 200);
    assert_eq!(csv.headers["content-type"], "text/csv; charset=utf-8");
    assert!(
        csv.headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains(&today())
    );
    assert!(csv.body.contains("203.0.113.7") && csv.body.contains("precision"));
    assert!(!csv.body.contains("198.51.100.9"));
    let csv = power
        .get(&format!("/portal/observations/digest.csv?day={}", today()))
        .await;
    assert_eq!(csv.status, 200);
    assert!(!csv.body.contains("203.0.113.7"));
    assert_eq!(
        isp.get("/portal/observations/digest.csv?day=yesterday")
            .await
            .status,
        400
    );
    let mut anon = Browser::new(app);
    let p = anon.get("/portal/observations/digest.csv").await;
    assert_eq!((p.status, p.location()), (303, "/portal/login"));

    // The council-wide trends: every member, no member named.
    for b in [&mut isp, &mut power] {
        let page = b.get("/portal/trends").await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("<h1>観測動向（協議会全体）</h1>"));
        assert_eq!(page.body.matches("<svg").count(), 2, "ports and tags");
        assert!(page.body.contains("23/tcp") && page.body.contains("445/tcp"));
        assert!(page.body.contains("smb-scan"));
        assert!(!page.body.contains("203.0.113.7") && !page.body.contains("Aonami"));
    }

    // In English too.
    let t = isp.token().await;
    isp.post(
        "/portal/lang",
        &[("lang", "en"), ("back", "/portal/trends"), ("_csrf", &t)],
    )
    .await;
    assert!(
        isp.get("/portal/observations")
            .await
            .body
            .contains("<h1>My observations</h1>")
    );
    assert!(
        isp.get("/portal/constituency")
            .await
            .body
            .contains("<h1>My constituency</h1>")
    );
}

// ---- Catalogue and assets ----

async fn catalogue_and_assets(app: &TestApp) {
    let c = council(app).await;
    let (a_member, a_token) =
        admitted_in(app, &c, "Kuronagi Denryoku", "class2", "electricity", false).await;
    let (b_member, _) = admitted_in(app, &c, "Sorahashi Bank", "class2", "finance", false).await;
    let entry = json!({"cveID": "CVE-2018-13379", "vendorProject": "Fortinet", "product": "FortiOS",
      "vulnerabilityName": "Fortinet FortiOS SSL VPN Path Traversal Vulnerability", "dateAdded": "2021-11-03",
      "shortDescription": "A path traversal in the FortiOS SSL VPN web portal.", "requiredAction": "Apply updates per vendor instructions.",
      "dueDate": "2022-05-03", "knownRansomwareCampaignUse": "Known", "notes": "", "cwes": ["CWE-22"],
      "cpeMatch": [{"criteria": "cpe:2.3:o:fortinet:fortios:*:*:*:*:*:*:*:*", "versionStartIncluding": "6.0.0", "versionEndIncluding": "6.0.4"}]});
    let (s, v) = app
        .post(
            "/api/v1/kev/import",
            Some(&c.coordinator),
            json!({"title": "CISA Catalog of Known Exploited Vulnerabilities", "catalogVersion": "2026.11.28",
                   "dateReleased": "2026-11-28T17:00:00.000Z", "count": 1, "vulnerabilities": [entry]}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let mut a = Browser::new(app);
    a.login(&admin_login(&a_member), MEMBER_PASSWORD).await;
    let mut b = Browser::new(app);
    b.login(&admin_login(&b_member), MEMBER_PASSWORD).await;

    // The catalogue, searchable.
    let page = a.get("/portal/kev").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body
            .contains("<h1>既知の悪用された脆弱性カタログ</h1>")
    );
    assert!(
        page.body
            .contains("href=\"/portal/kev\" aria-current=\"page\"")
    );
    for want in [
        "CVE-2018-13379",
        "Fortinet FortiOS",
        "2022-05-03",
        "ランサムウェアで悪用",
    ] {
        assert!(page.body.contains(want), "{want}");
    }
    assert!(
        a.get("/portal/kev?q=fortinet")
            .await
            .body
            .contains("CVE-2018-13379")
    );
    assert!(
        a.get("/portal/kev?q=cve-2018-13379")
            .await
            .body
            .contains("Fortinet FortiOS")
    );
    let none = a.get("/portal/kev?q=CVE-2099-0001").await;
    assert!(!none.body.contains("CVE-2018-13379"));
    assert!(none.body.contains("該当するエントリはありません。"));

    // Assets: the form needs its token; refusals are shown in their form.
    let page = a.get("/portal/assets").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("資産はまだ登録されていません。"));
    assert!(
        page.body
            .contains("カタログのエントリに該当する資産はありません。")
    );
    let t = page.csrf();
    let asset = [
        ("vendor", "Fortinet"),
        ("product", "FortiOS"),
        ("version", "6.0.2"),
        ("model", "FortiGate 60F"),
        ("sector_service", "substation remote access"),
        ("internet_facing", "1"),
    ];
    assert_eq!(a.post("/portal/assets", &asset).await.status, 403);
    let p = a
        .post(
            "/portal/assets",
            &[("cpe", "not-a-cpe"), ("model", "KEEP-ME"), ("_csrf", &t)],
        )
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(p.body.contains("id=\"add-error\""));
    assert!(p.body.contains("value=\"KEEP-ME\""));
    let p = a
        .post("/portal/assets", &with_token(&t, asset.to_vec()))
        .await;
    assert_eq!(
        (p.status, p.location()),
        (303, "/portal/assets?ok=added"),
        "{}",
        p.body
    );
    let p = a
        .post(
            "/portal/assets/import",
            &[("csv", "cpe\nnot-a-cpe\n"), ("_csrf", &t)],
        )
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(p.body.contains("id=\"csv-error\""));
    let p = a
        .post(
            "/portal/assets/import",
            &[
                (
                    "csv",
                    "vendor,product,version\nMicrosoft,Windows Server 2022,10.0.20348.2966\n",
                ),
                ("_csrf", &t),
            ],
        )
        .await;
    assert_eq!(
        (p.status, p.location()),
        (303, "/portal/assets?ok=imported&n=1"),
        "{}",
        p.body
    );
    let p = a
        .post("/portal/assets/sbom", &[("sbom", "{"), ("_csrf", &t)])
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(p.body.contains("id=\"sbom-error\""));
    let sbom = r#"{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
      "metadata": {"component": {"type": "firmware", "name": "Gateway firmware", "version": "1.0"}},
      "components": [{"type": "library", "name": "openssl", "version": "3.0.13", "purl": "pkg:generic/openssl@3.0.13"}]}"#;
    // A chosen file: one that is not text is refused and named; without the CSRF
    // token nothing is taken; the SBOM file itself is.
    let form = [
        ("sector_service", "gas SCADA"),
        ("sbom", ""),
        ("_csrf", t.as_str()),
    ];
    let p = a
        .post_multipart(
            "/portal/assets/sbom",
            &form,
            &[("sbom_file", "firmware.bin", &[0xff, 0xfe, 0x00, 0x9c])],
        )
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(
        p.body.contains("firmware.bin is not a text file"),
        "{}",
        p.body
    );
    let p = a
        .post_multipart(
            "/portal/assets/sbom",
            &form[..2],
            &[("sbom_file", "gateway.cdx.json", sbom.as_bytes())],
        )
        .await;
    assert_eq!(
        p.status, 403,
        "the CSRF token is checked in a multipart form too"
    );
    let p = a
        .post_multipart(
            "/portal/assets/sbom",
            &form,
            &[("sbom_file", "gateway.cdx.json", sbom.as_bytes())],
        )
        .await;
    assert_eq!(
        (p.status, p.location()),
        (303, "/portal/assets?ok=sbom"),
        "{}",
        p.body
    );

    // Which of my assets are affected.
    let page = a.get("/portal/assets").await;
    let exposure = &page.body[page.body.find("id=\"exposure\"").unwrap()..];
    let exposure = &exposure[..exposure.find("</table>").unwrap()];
    assert!(exposure.contains("CVE-2018-13379") && exposure.contains("FortiGate 60F"));
    assert!(!exposure.contains("Windows"));
    assert!(page.body.contains("Windows Server 2022"));
    assert!(page.body.contains("Gateway firmware") && page.body.contains("openssl"));

    // Nobody else sees them or removes them.
    let page = b.get("/portal/assets").await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("FortiGate 60F") && !page.body.contains("Gateway firmware"));
    let (_, mine) = app.get("/api/v1/assets", &a_token).await;
    let forti = mine["assets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["model"] == "FortiGate 60F")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let bt = b.token().await;
    let p = b
        .post(&format!("/portal/assets/{forti}/remove"), &[("_csrf", &bt)])
        .await;
    assert_eq!(p.status, 404);
    let p = a
        .post(&format!("/portal/assets/{forti}/remove"), &[("_csrf", &t)])
        .await;
    assert_eq!((p.status, p.location()), (303, "/portal/assets?ok=removed"));
    let page = a.get("/portal/assets").await;
    assert!(!page.body.contains("FortiGate 60F"));
    assert!(
        page.body
            .contains("カタログのエントリに該当する資産はありません。")
    );

    // Curating: class-2 members see no form; a class-1 member proposes (a bad CVE is
    // named in the form, nothing stored), the coordinator publishes, and the public
    // catalogue carries it.
    assert!(
        !a.get("/portal/kev")
            .await
            .body
            .contains("id=\"propose-kev\"")
    );
    let (v_member, _) = admitted_in(
        app,
        &c,
        "Aokirime Cyberworks",
        "class1",
        "security_vendor",
        false,
    )
    .await;
    let mut v = Browser::new(app);
    v.login(&admin_login(&v_member), MEMBER_PASSWORD).await;
    let page = v.get("/portal/kev").await;
    assert!(page.body.contains("id=\"propose-kev\""), "{}", page.body);
    let t = page.csrf();
    let entry = |cve: &'static str| {
        vec![
            ("cveID", cve),
            ("vendorProject", "Kumo Networks"),
            ("product", "EdgeGate"),
            ("vulnerabilityName", "EdgeGate authentication bypass"),
            (
                "shortDescription",
                "An authentication bypass in the EdgeGate admin interface.",
            ),
            (
                "requiredAction",
                "Apply the vendor's fix or take the interface offline.",
            ),
            ("dueDate", "2026-12-14"),
            ("nationalDueDate", "2026-12-07"),
            ("knownRansomwareCampaignUse", "Known"),
            ("cpeMatch", "cpe:2.3:o:kumo:edgegate:*:*:*:*:*:*:*:*"),
            ("sector.electricity", "1"),
        ]
    };
    let p = v
        .post("/portal/kev", &with_token(&t, entry("CVE-12")))
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(p.body.contains("id=\"kev-error\""), "{}", p.body);
    assert!(p.body.contains("value=\"Kumo Networks\""), "values kept");
    let p = v
        .post("/portal/kev", &with_token(&t, entry("CVE-2026-41234")))
        .await;
    assert_eq!(
        (p.status, p.location()),
        (303, "/portal/kev?ok=proposed"),
        "{}",
        p.body
    );
    let page = v.get("/portal/kev?q=EdgeGate").await;
    assert!(page.body.contains("CVE-2026-41234"));
    let approve = "/portal/kev/CVE-2026-41234/approve";
    assert!(page.body.contains(&format!("action=\"{approve}\"")));
    let p = v.post(approve, &[("_csrf", &t)]).await;
    assert_eq!(p.status, 403, "the proposer does not publish its own");
    let public = app
        .client
        .get(app.url("/kev/known_exploited_vulnerabilities.json"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !public.contains("CVE-2026-41234"),
        "not public before review"
    );
    let mut co = Browser::new(app);
    co.login("coord-admin", "a long coordinator password").await;
    let page = co.get("/portal/kev").await;
    let p = co.post(approve, &[("_csrf", &page.csrf())]).await;
    assert_eq!(
        (p.status, p.location()),
        (303, "/portal/kev?ok=published"),
        "{}",
        p.body
    );
    let public = app
        .client
        .get(app.url("/kev/known_exploited_vulnerabilities.json"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(public.contains("CVE-2026-41234"), "{public}");
    assert!(public.contains("2026-12-07"), "the national due date");
}

// ---- Incidents ----

async fn regulator_of(app: &TestApp, c: &Council, name: &str, sector: &str) -> String {
    let (r, _) = admitted_in(app, c, name, "general", "national_government", false).await;
    let (s, v) = app
        .call(
            "PUT",
            &format!("/api/v1/members/{r}/roles"),
            Some(&c.admin),
            Some(json!({"roles": ["regulator"], "regulator_of": [sector]})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    r
}

async fn incidents_and_their_clocks(app: &TestApp) {
    let c = council(app).await;
    let (reporter, _) =
        admitted_in(app, &c, "Kuronagi Denryoku", "class2", "electricity", false).await;
    let regulator = regulator_of(app, &c, "Okuzane Energy Agency", "electricity").await;
    let other_regulator = regulator_of(app, &c, "Hamuteru Financial Agency", "finance").await;
    let (peer, _) = admitted_in(app, &c, "Sorahashi Bank", "class2", "finance", false).await;
    let (s, _) = app
        .post(
            &format!("/api/v1/members/{}/users", c.admin_member),
            Some(&c.admin),
            json!({"login": "sec-portal", "password": "a long secretariat password", "role": "admin"}),
        )
        .await;
    assert_eq!(s, 201);

    let mut r = Browser::new(app);
    r.login(&admin_login(&reporter), MEMBER_PASSWORD).await;
    let page = r.get("/portal/incidents").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("<h1>インシデント報告</h1>"));
    assert!(page.body.contains("href=\"/portal/incidents/new\""));
    let page = r.get("/portal/incidents/new").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("type=\"datetime-local\""));
    let t = page.csrf();

    // Aware four days ago: the initial report comes late, the notification is overdue.
    let aware = (time::OffsetDateTime::now_utc() - time::Duration::days(4))
        .to_offset(time::macros::offset!(+9));
    let aware = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        aware.year(),
        u8::from(aware.month()),
        aware.day(),
        aware.hour(),
        aware.minute()
    );
    let mut form = vec![
        ("title", "Ransomware at the billing centre"),
        ("kind", "ransomware"),
        ("regime", "nis2"),
        ("purpose", "incident_response"),
        ("aware_at", aware.as_str()),
        ("affected", "AFFECTED-SECRET billing servers"),
        ("service_impact", "yes"),
    ];
    assert_eq!(r.post("/portal/incidents", &form).await.status, 403);
    let p = r
        .post("/portal/incidents", &with_token(&t, form.clone()))
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(p.body.contains("id=\"incident-error\""));
    assert!(p.body.contains("suspected_malicious"), "{}", p.body);
    assert!(
        p.body
            .contains("value=\"Ransomware at the billing centre\"")
    );
    let mut bad = form.clone();
    bad[4] = ("aware_at", "yesterday");
    bad.push(("suspected_malicious", "yes"));
    let p = r.post("/portal/incidents", &with_token(&t, bad)).await;
    assert_eq!(p.status, 422, "{}", p.body);
    form.push(("suspected_malicious", "yes"));
    let p = r.post("/portal/incidents", &with_token(&t, form)).await;
    assert_eq!(p.status, 303, "{}", p.body);
    let loc = p.location().to_owned();
    assert!(loc.starts_with("/portal/incidents/") && loc.ends_with("?ok=opened"));
    let path = loc.trim_end_matches("?ok=opened").to_owned();
    let page = r.get(&loc).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body
            .contains("<h1>Ransomware at the billing centre</h1>")
    );
    assert!(page.body.contains("AFFECTED-SECRET billing servers"));
    assert!(page.body.contains("id=\"report-1\""));
    assert!(
        page.body.contains("class=\"badge overdue\""),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("期限後に提出"),
        "the initial report came late"
    );
    assert!(
        page.body.contains(&aware.replace('T', " ")),
        "aware_at shown in JST"
    );
    let list = r.get("/portal/incidents").await;
    assert!(list.body.contains("id=\"my-incidents\""));
    assert!(list.body.contains("tr class=\"overdue\""));

    // The regulator of the sector and the secretariat receive it; nobody else learns
    // it exists.
    let mut reg = Browser::new(app);
    reg.login(&admin_login(&regulator), MEMBER_PASSWORD).await;
    let list = reg.get("/portal/incidents").await;
    assert!(list.body.contains("id=\"received-incidents\""));
    assert!(list.body.contains("Ransomware at the billing centre"));
    assert!(list.body.contains("Kuronagi Denryoku"));
    let page = reg.get(&path).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("AFFECTED-SECRET billing servers"));
    let mut sec = Browser::new(app);
    sec.login("sec-portal", "a long secretariat password").await;
    let list = sec.get("/portal/incidents").await;
    let overdue = &list.body[list.body.find("id=\"overdue-incidents\"").unwrap()..];
    assert!(overdue.contains("Ransomware at the billing centre"));
    for who in [admin_login(&other_regulator), admin_login(&peer)] {
        let mut b = Browser::new(app);
        b.login(&who, MEMBER_PASSWORD).await;
        assert_eq!(b.get(&path).await.status, 404, "{who}");
        let list = b.get("/portal/incidents").await;
        assert_eq!(list.status, 200);
        assert!(!list.body.contains("Ransomware at the billing centre"));
    }
    assert_eq!(r.get("/portal/incidents/not-an-id").await.status, 404);

    // The follow-ups: only the reporter sees the report form, consent and sharing.
    let page = reg.get(&path).await;
    for form in ["report-form", "consent-form", "share-form"] {
        assert!(!page.body.contains(&format!("id=\"{form}\"")), "{form}");
    }
    let page = r.get(&path).await;
    assert!(page.body.contains("id=\"report-form\""), "{}", page.body);
    assert!(
        page.body.contains("id=\"ransom_note\""),
        "the ransomware part"
    );
    let t = page.csrf();
    // A final report without its ransomware part: named in the form, nothing stored.
    let fin = [
        ("_csrf", t.as_str()),
        ("stage", "final"),
        ("purpose", "incident_response"),
        ("summary", "Contained; restoring from backups."),
        ("cause", "An unpatched VPN appliance."),
        ("intrusion_method", "Stolen VPN credentials."),
        ("damage", "Billing offline for two days."),
        ("measures", "Rebuilt the domain, rotated every credential."),
        ("techniques", "T1486 T1133"),
        ("indicators", "ipv4 198.51.100.23\nlock-pay.example.net"),
        ("service_level_deviation", "no"),
    ];
    let p = r.post(&format!("{path}/reports"), &fin).await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(p.body.contains("id=\"report-error\""), "{}", p.body);
    assert!(p.body.contains("ransomware"), "{}", p.body);
    assert!(
        p.body
            .contains("Rebuilt the domain, rotated every credential."),
        "values kept"
    );
    assert!(!r.get(&path).await.body.contains("id=\"report-2\""));
    let mut with_part = fin.to_vec();
    with_part.extend([
        ("ransom_note", "Your files are encrypted."),
        ("encrypted_extension", ".lockbit"),
        ("family", "LockBit"),
        ("intrusion_route", "VPN appliance"),
    ]);
    let p = r.post(&format!("{path}/reports"), &with_part).await;
    assert_eq!(p.status, 303, "{}", p.body);
    let page = r.get(p.location()).await;
    assert!(page.body.contains("id=\"report-2\""), "{}", page.body);
    assert!(page.body.contains("198.51.100.23"));
    assert!(page.body.contains("T1486"));
    // The regulator reads the final report too.
    assert!(reg.get(&path).await.body.contains("Rebuilt the domain"));
    // Consent (recorded, and offered back as a withdrawal), then the reporter shares
    // it anonymised.
    let p = r
        .post(
            &format!("{path}/consent"),
            &[("_csrf", &t), ("consent_to_share", "1")],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let page = r.get(p.location()).await;
    assert!(
        page.body.contains("共有への同意を取り消す"),
        "{}",
        page.body
    );
    let p = r
        .post(
            &format!("{path}/share"),
            &[("_csrf", &t), ("tlp", "green"), ("title", "")],
        )
        .await;
    assert_eq!(p.status, 422, "no audience: {}", p.body);
    assert!(p.body.contains("id=\"share-error\""), "{}", p.body);
    let p = r
        .post(
            &format!("{path}/share"),
            &[
                ("_csrf", &t),
                ("class.class2", "1"),
                ("tlp", "green"),
                ("title", ""),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert!(
        p.location().starts_with("/portal/items/"),
        "{}",
        p.location()
    );
    let mut peer_b = Browser::new(app);
    peer_b.login(&admin_login(&peer), MEMBER_PASSWORD).await;
    let item = peer_b.get(p.location()).await;
    assert_eq!(item.status, 200, "a class-2 member receives the item");
    assert!(!item.body.contains("Kuronagi"), "the reporter is masked");
    assert!(
        !item.body.contains("AFFECTED-SECRET"),
        "the report is not shared"
    );
    let page = r.get(&path).await;
    assert!(!page.body.contains("id=\"share-form\""), "shared once");
    assert!(
        page.body.contains("href=\"/portal/items/"),
        "linked to the item"
    );
}

// ---- Delivery channels and API tokens ----

/// The text between `id="{id}">` and the next `<`.
fn text_of(body: &str, id: &str) -> Option<String> {
    let marker = format!("id=\"{id}\">");
    let at = body.find(&marker)? + marker.len();
    let rest = &body[at..];
    Some(rest[..rest.find('<')?].to_owned())
}

async fn channels_and_tokens(app: &TestApp) {
    let c = council(app).await;
    let (m, token) = admitted_in(app, &c, "Kirishiro Power", "class2", "electricity", false).await;
    let (other, _) = admitted_in(
        app,
        &c,
        "Aonami Net",
        "class2",
        "information_communication",
        false,
    )
    .await;
    let mut a = Browser::new(app);
    a.login(&admin_login(&m), MEMBER_PASSWORD).await;
    let mut o = Browser::new(app);
    o.login(&admin_login(&other), MEMBER_PASSWORD).await;

    // The settings page links to both.
    let page = a.get("/portal/settings").await;
    assert!(page.body.contains("href=\"/portal/settings/channels\""));
    assert!(page.body.contains("href=\"/portal/settings/tokens\""));

    let page = a.get("/portal/settings/channels").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("<h1>配信先</h1>"));
    assert!(page.body.contains("配信先は登録されていません。"));
    assert!(page.body.contains("<label for=\"address\">"));
    let t = page.csrf();
    let hook = [
        ("kind", "webhook"),
        ("address", "https://hooks.kirishiro.example/tsunagu"),
    ];
    // Without the token, or from another origin: refused, nothing registered.
    assert_eq!(a.post("/portal/settings/channels", &hook).await.status, 403);
    let p = a
        .post_with(
            "/portal/settings/channels",
            &with_token(&t, hook.to_vec()),
            "https://evil.example",
        )
        .await;
    assert_eq!(p.status, 403);
    let (_, v) = app.get("/api/v1/channels", &token).await;
    assert_eq!(v.as_array().unwrap().len(), 0, "{v}");
    // The signing secret is shown once, in the answer to the form.
    let p = a
        .post("/portal/settings/channels", &with_token(&t, hook.to_vec()))
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    let secret = text_of(&p.body, "channel-secret").expect("the secret");
    assert!(secret.starts_with("whsec_"), "{secret}");
    let page = a.get("/portal/settings/channels").await;
    assert!(
        page.body
            .contains("https://hooks.kirishiro.example/tsunagu")
    );
    assert!(!page.body.contains(&secret), "never shown again");
    assert!(!page.body.contains("channel-secret"));
    // The API's refusals are shown in the form, the values kept.
    let p = a
        .post(
            "/portal/settings/channels",
            &with_token(
                &t,
                vec![("kind", "webhook"), ("address", "ftp://files.example/x")],
            ),
        )
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(p.body.contains("id=\"channel-error\""));
    assert!(p.body.contains("value=\"ftp://files.example/x\""));
    let p = a
        .post(
            "/portal/settings/channels",
            &with_token(
                &t,
                vec![("kind", "email"), ("address", "soc@kirishiro.example")],
            ),
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(!p.body.contains("channel-secret"), "e-mail has no secret");
    let (_, v) = app.get("/api/v1/channels", &token).await;
    let hook_id = v
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "webhook")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Another member sees none of them and cannot deactivate them.
    let page = o.get("/portal/settings/channels").await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("kirishiro.example"));
    let ot = page.csrf();
    let p = o
        .post(
            &format!("/portal/settings/channels/{hook_id}/deactivate"),
            &[("_csrf", &ot)],
        )
        .await;
    assert_eq!(p.status, 404);

    // A user of the member who is not its admin sees them and changes none of them;
    // what it adds is its own, personal channel.
    add_analyst(app, &m, &token).await;
    let mut an = Browser::new(app);
    an.login("soc-analyst", ANALYST_PASSWORD).await;
    let page = an.get("/portal/settings/channels").await;
    assert!(
        page.body
            .contains("https://hooks.kirishiro.example/tsunagu")
    );
    assert!(page.body.contains("id=\"add-channel\""));
    assert!(
        !page.body.contains("name=\"personal\""),
        "only admins choose"
    );
    assert!(!page.body.contains("/deactivate"));
    let at = page.csrf();
    let p = an
        .post(
            "/portal/settings/channels",
            &with_token(
                &at,
                vec![("kind", "email"), ("address", "analyst@kirishiro.example")],
            ),
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    let (_, v) = app.get("/api/v1/channels", &token).await;
    let mine = v
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == "analyst@kirishiro.example")
        .unwrap()
        .clone();
    assert!(mine["user"].is_string(), "a personal channel: {mine}");
    let page = an.get("/portal/settings/channels").await;
    assert!(
        page.body
            .contains(&format!("{}/deactivate", mine["id"].as_str().unwrap()))
    );
    assert!(!page.body.contains(&format!("{hook_id}/deactivate")));
    let p = an
        .post(
            &format!("/portal/settings/channels/{hook_id}/deactivate"),
            &[("_csrf", &at)],
        )
        .await;
    assert_eq!(p.status, 403);

    // The admin deactivates it.
    let deactivate = format!("/portal/settings/channels/{hook_id}/deactivate");
    assert_eq!(a.post(&deactivate, &[]).await.status, 403);
    let p = a.post(&deactivate, &[("_csrf", &t)]).await;
    assert_eq!(
        (p.status, p.location()),
        (303, "/portal/settings/channels?ok=removed")
    );
    let (_, v) = app.get("/api/v1/channels", &token).await;
    let hook_now = v
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == hook_id.as_str())
        .unwrap()
        .clone();
    assert_eq!(hook_now["active"], false, "{v}");
    let page = a.get("/portal/settings/channels?ok=removed").await;
    assert!(page.body.contains("配信先を無効にしました。"));

    // ---- Tokens ----
    let page = a.get("/portal/settings/tokens").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("<h1>API トークン</h1>"));
    assert!(page.body.contains("<label for=\"name\">"));
    assert!(page.body.contains("<label for=\"days\">"));
    let form = [("name", "import script"), ("days", "7")];
    assert_eq!(a.post("/portal/settings/tokens", &form).await.status, 403);
    let p = a
        .post("/portal/settings/tokens", &with_token(&t, form.to_vec()))
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    let secret = text_of(&p.body, "token-secret").expect("the token");
    let (s, me) = app.get("/api/v1/me", &secret).await;
    assert_eq!(s, 200, "the token works: {me}");
    let page = a.get("/portal/settings/tokens").await;
    assert!(page.body.contains("import script"));
    assert!(!page.body.contains(&secret), "never shown again");
    assert!(!page.body.contains("token-secret"));
    // Its lifetime is the API's to check.
    let p = a
        .post(
            "/portal/settings/tokens",
            &with_token(&t, vec![("name", "forever"), ("days", "4000")]),
        )
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(p.body.contains("id=\"token-error\""));
    assert!(p.body.contains("value=\"forever\""));
    // Tokens are the user's own: neither another member nor another user of the same
    // member sees or revokes them.
    let (_, list) = app.get("/api/v1/tokens", &secret).await;
    let token_id = list
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "import script")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let revoke = format!("/portal/settings/tokens/{token_id}/revoke");
    for b in [&mut o, &mut an] {
        let page = b.get("/portal/settings/tokens").await;
        assert_eq!(page.status, 200);
        assert!(!page.body.contains("import script"));
        let bt = page.csrf();
        assert_eq!(b.post(&revoke, &[("_csrf", &bt)]).await.status, 404);
    }
    assert_eq!(app.get("/api/v1/me", &secret).await.0, 200);
    assert_eq!(a.post(&revoke, &[]).await.status, 403);
    let p = a.post(&revoke, &[("_csrf", &t)]).await;
    assert_eq!(
        (p.status, p.location()),
        (303, "/portal/settings/tokens?ok=revoked")
    );
    assert_eq!(app.get("/api/v1/me", &secret).await.0, 401);
    let page = a.get("/portal/settings/tokens?ok=revoked").await;
    assert!(page.body.contains("トークンを失効させました。"));
    assert!(page.body.contains("失効"));
    assert!(audit_actions(app).await.iter().any(|a| a == "token.revoke"));
}

// ---- Consultations ----

async fn consultation_pages(app: &TestApp) {
    let c = council(app).await;
    let (m, _) = admitted_in(app, &c, "Kirishiro Power", "class2", "electricity", false).await;
    let (other, _) = admitted_in(
        app,
        &c,
        "Aonami Net",
        "class2",
        "information_communication",
        false,
    )
    .await;
    let mut asker = Browser::new(app);
    asker.login(&admin_login(&m), MEMBER_PASSWORD).await;

    let list = asker.get("/portal/consultations").await;
    assert!(list.body.contains("href=\"/portal/consultations/new\""));
    let page = asker.get("/portal/consultations/new").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("<h1>第一類に相談する</h1>"));
    for f in ["subject", "text", "indicators"] {
        assert!(page.body.contains(&format!("<label for=\"{f}\">")), "{f}");
    }
    let t = page.csrf();
    let form = vec![
        ("subject", "Odd DNS traffic <b>"),
        ("text", "Lookups of a fresh domain from the SCADA segment"),
        ("indicators", "192.0.2.7\ndomain odd.example"),
    ];
    assert_eq!(asker.post("/portal/consultations", &form).await.status, 403);
    // Refusals: an indicator that is none, an empty subject (the API's).
    let p = asker
        .post(
            "/portal/consultations",
            &with_token(
                &t,
                vec![("subject", "x"), ("text", "y"), ("indicators", "???")],
            ),
        )
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(p.body.contains("id=\"ask-error\""));
    let p = asker
        .post(
            "/portal/consultations",
            &with_token(&t, vec![("subject", " "), ("text", "y")]),
        )
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(p.body.contains("value=\" \""));
    let p = asker
        .post("/portal/consultations", &with_token(&t, form.clone()))
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let url = p.location().to_owned();
    assert!(url.ends_with("?ok=asked"), "{url}");
    let detail = url.trim_end_matches("?ok=asked").to_owned();
    let page = asker.get(&url).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("<h1>Odd DNS traffic &lt;b&gt;</h1>"));
    assert!(page.body.contains("Lookups of a fresh domain"));
    assert!(page.body.contains("192.0.2.7") && page.body.contains("odd.example"));
    assert!(page.body.contains("相談を送りました。"));
    assert!(
        !page.body.contains("id=\"reply\""),
        "the asker does not reply"
    );
    assert!(page.body.contains(&format!("action=\"{detail}/close\"")));
    let list = asker.get("/portal/consultations").await;
    assert!(list.body.contains(&format!("href=\"{detail}\"")));

    // Another member: 404, and no reply gets in.
    let mut o = Browser::new(app);
    o.login(&admin_login(&other), MEMBER_PASSWORD).await;
    assert_eq!(o.get(&detail).await.status, 404);
    let ot = o.token().await;
    let p = o
        .post(
            &format!("{detail}/reply"),
            &[("text", "me too"), ("_csrf", &ot)],
        )
        .await;
    assert_eq!(p.status, 404);
    assert_eq!(o.get("/portal/consultations/not-an-id").await.status, 404);

    // The coordinator sees who asked and replies.
    let mut co = Browser::new(app);
    co.login("coord-admin", "a long coordinator password").await;
    let page = co.get(&detail).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("id=\"reply\""));
    assert!(page.body.contains("<label for=\"text\">"));
    let ct = page.csrf();
    assert_eq!(
        co.post(&format!("{detail}/reply"), &[("text", "no token")])
            .await
            .status,
        403
    );
    let p = co
        .post(&format!("{detail}/reply"), &[("text", " "), ("_csrf", &ct)])
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(p.body.contains("id=\"reply-error\""));
    let p = co
        .post(
            &format!("{detail}/reply"),
            &[
                ("text", "Block odd.example; it is a known C2"),
                ("_csrf", &ct),
            ],
        )
        .await;
    assert_eq!(
        (p.status, p.location()),
        (303, format!("{detail}?ok=replied").as_str())
    );
    let page = asker.get(&detail).await;
    assert!(page.body.contains("Block odd.example; it is a known C2"));
    assert!(page.body.contains("Expert A"), "{}", page.body);

    // The asker closes it; replies are then refused with the API's reason.
    assert_eq!(
        asker.post(&format!("{detail}/close"), &[]).await.status,
        403
    );
    let p = co.post(&format!("{detail}/close"), &[("_csrf", &ct)]).await;
    assert_eq!(p.status, 403, "only the asker closes");
    let p = asker
        .post(&format!("{detail}/close"), &[("_csrf", &t)])
        .await;
    assert_eq!(
        (p.status, p.location()),
        (303, format!("{detail}?ok=closed").as_str())
    );
    let p = co
        .post(
            &format!("{detail}/reply"),
            &[("text", "late"), ("_csrf", &ct)],
        )
        .await;
    assert_eq!(p.status, 409, "{}", p.body);
    assert!(!co.get(&detail).await.body.contains("id=\"reply\""));
}

// ---- The audit log ----

async fn audit_page(app: &TestApp) {
    let c = council(app).await;
    let (m, token) = admitted_in(app, &c, "Kirishiro Power", "class2", "electricity", false).await;
    let mut b = Browser::new(app);
    b.login(&admin_login(&m), MEMBER_PASSWORD).await;
    let dash = b.get("/portal/").await;
    assert!(!dash.body.contains("href=\"/portal/audit\""));
    assert_eq!(b.get("/portal/audit").await.status, 403);
    // The secretariat too: the log names items its policy view does not show it.
    let (sec, _) = admitted_in(app, &c, "Council Office", "class1", "other", false).await;
    let (s, v) = app
        .call(
            "PUT",
            &format!("/api/v1/members/{sec}/roles"),
            Some(&c.admin),
            Some(json!({"roles": ["secretariat"]})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let mut sb = Browser::new(app);
    sb.login(&admin_login(&sec), MEMBER_PASSWORD).await;
    assert!(
        !sb.get("/portal/")
            .await
            .body
            .contains("href=\"/portal/audit\"")
    );
    assert_eq!(sb.get("/portal/audit").await.status, 403);

    let mut co = Browser::new(app);
    co.login("coord-admin", "a long coordinator password").await;
    let page = co.get("/portal/audit").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("<h1>監査ログ</h1>"));
    assert!(
        page.body
            .contains("href=\"/portal/audit\" aria-current=\"page\"")
    );
    assert!(page.body.contains("<label for=\"target\">"));
    assert!(page.body.contains("member.approve_vote"));
    assert!(page.body.contains(" JST"));
    assert!(page.body.contains("Kirishiro Power") || page.body.contains(&m));
    // Only the entries about one member.
    let page = co.get(&format!("/portal/audit?target={m}")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(&format!("<code>{m}</code>")));
    assert!(!page.body.contains("<code>token.create</code>"));
    // More than a page of entries: a link to the next page, which goes on from there.
    for n in 0..100 {
        let (s, v) = app
            .post(
                "/api/v1/tokens",
                Some(&token),
                json!({"name": format!("bulk {n}")}),
            )
            .await;
        assert_eq!(s, 201, "{v}");
    }
    let page = co.get("/portal/audit").await;
    assert!(page.body.contains("<code>token.create</code>"));
    let at = page
        .body
        .find("href=\"/portal/audit?before=")
        .expect("a next page");
    let rest = &page.body[at + 6..];
    let next = rest[..rest.find('"').unwrap()].replace("&amp;", "&");
    let page = co.get(&next).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("<code>member.approve_vote</code>"));
}

// ---- Member administration ----

async fn member_administration(app: &TestApp) {
    let c = council(app).await;
    let (m, token) = admitted_in(app, &c, "Small Utility", "general", "electricity", false).await;
    let (k, _) = admitted_in(app, &c, "Council Board", "class1", "other", false).await;
    let (s, v) = app
        .call(
            "PUT",
            &format!("/api/v1/members/{k}/roles"),
            Some(&c.admin),
            Some(json!({"roles": ["committee"]})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    // An application waiting, a class-change request waiting.
    let (s, v) = app
        .post(
            "/api/v1/applications",
            None,
            common::application_in("Pending Water Works", "class2", "water", false),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let application = v["id"].as_str().unwrap().to_owned();
    let (s, v) = app
        .post(
            &format!("/api/v1/members/{m}/class-requests"),
            Some(&token),
            json!({"class": "class2", "reason": "we can give feedback"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let request = v["id"].as_str().unwrap().to_owned();

    // An ordinary member: no link, 403.
    let mut b = Browser::new(app);
    b.login(&admin_login(&m), MEMBER_PASSWORD).await;
    assert!(
        !b.get("/portal/")
            .await
            .body
            .contains("href=\"/portal/members\"")
    );
    assert_eq!(b.get("/portal/members").await.status, 403);
    let bt = b.token().await;
    let approve = format!("/portal/members/applications/{application}/approve");
    assert_eq!(b.post(&approve, &[("_csrf", &bt)]).await.status, 403);

    // The coordinator sees the applications and real names.
    let mut co = Browser::new(app);
    co.login("coord-admin", "a long coordinator password").await;
    let page = co.get("/portal/members").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body
            .contains("href=\"/portal/members\" aria-current=\"page\"")
    );
    assert!(page.body.contains("Pending Water Works"));
    assert!(
        page.body.contains("Small Utility"),
        "real names for the coordinator"
    );

    // A committee member votes and rejects, with the CSRF token only.
    let mut kb = Browser::new(app);
    kb.login(&admin_login(&k), MEMBER_PASSWORD).await;
    let page = kb.get("/portal/members").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("<h1>会員管理</h1>"));
    assert!(page.body.contains("Pending Water Works"));
    assert!(page.body.contains("we can give feedback"));
    assert!(!page.body.contains("Small Utility"), "pseudonyms only");
    assert!(page.body.contains(&format!("action=\"{approve}\"")));
    assert!(
        page.body
            .contains(&format!("<label for=\"reason-{application}\">"))
    );
    let kt = page.csrf();
    assert_eq!(kb.post(&approve, &[]).await.status, 403);
    let votes = |a: Vec<String>| a.iter().filter(|x| *x == "member.approve_vote").count();
    let before = votes(audit_actions(app).await);
    let p = kb.post(&approve, &[("_csrf", &kt)]).await;
    assert_eq!(
        (p.status, p.location()),
        (303, "/portal/members?ok=approved"),
        "{}",
        p.body
    );
    assert_eq!(votes(audit_actions(app).await), before + 1);
    // A second vote of the same member: the API's refusal.
    assert_eq!(kb.post(&approve, &[("_csrf", &kt)]).await.status, 409);
    let reject = format!("/portal/members/class-requests/{request}/reject");
    assert_eq!(kb.post(&reject, &[("reason", "no")]).await.status, 403);
    let p = kb
        .post(&reject, &[("reason", "not yet"), ("_csrf", &kt)])
        .await;
    assert_eq!(
        (p.status, p.location()),
        (303, "/portal/members?ok=rejected")
    );
    let (_, v) = app.get("/api/v1/class-requests", &c.admin).await;
    assert!(v.as_array().unwrap().is_empty(), "{v}");
    let page = kb.get("/portal/members?ok=rejected").await;
    assert!(page.body.contains("却下を記録しました。"));
    assert!(!page.body.contains("we can give feedback"));

    // The committee's decisions on members: the task force and expulsion. A committee
    // member that sees pseudonyms only can expel but sees no task-force standing.
    assert!(
        page.body
            .contains(&format!("action=\"/portal/members/{m}/expel\""))
    );
    assert!(
        !page
            .body
            .contains(&format!("action=\"/portal/members/{k}/expel\"")),
        "not itself"
    );
    assert!(!page.body.contains("/task-force\""), "{}", page.body);
    let page = co.get("/portal/members").await;
    let ct = page.csrf();
    let tf = format!("/portal/members/{k}/task-force");
    assert!(
        page.body.contains(&format!("action=\"{tf}\"")),
        "{}",
        page.body
    );
    assert!(
        !page
            .body
            .contains(&format!("action=\"/portal/members/{m}/task-force\"")),
        "general members are not in the task force"
    );
    let p = co.post(&tf, &[("_csrf", &ct), ("suspended", "1")]).await;
    assert_eq!(
        (p.status, p.location()),
        (303, "/portal/members?ok=task_force"),
        "{}",
        p.body
    );
    let (_, km) = app.get(&format!("/api/v1/members/{k}"), &c.admin).await;
    assert_eq!(km["details"]["tf_suspended"], true, "{km}");
    assert!(
        co.get("/portal/members")
            .await
            .body
            .contains("タスクフォースに戻す")
    );
    // Expulsion ends the member's sessions and tokens at once.
    let expel = format!("/portal/members/{m}/expel");
    let p = co
        .post(&expel, &[("_csrf", &ct), ("reason", "repeated leaks")])
        .await;
    assert_eq!(
        (p.status, p.location()),
        (303, "/portal/members?ok=expelled"),
        "{}",
        p.body
    );
    let (s, _) = app.get("/api/v1/me", &token).await;
    assert_eq!(s, 401);
    let gone = b.get("/portal/").await;
    assert_ne!(gone.status, 200, "the expelled member's session ended");
    let page = co.get("/portal/members").await;
    assert!(page.body.contains("<td>除名</td>"), "{}", page.body);
    assert!(
        !page.body.contains(&format!("action=\"{expel}\"")),
        "not twice"
    );
    assert!(audit_actions(app).await.iter().any(|a| a == "member.expel"));
}

/// The clearance page: the coordinator grants by login through the form (refusals shown
/// in the form, nothing stored), the holder and its member's admin see the grant, a
/// colleague sees nothing, and the coordinator revokes it with a reason.
/// `/portal/partners`: the coordinator registers a partner (a refused agreement is named
/// in the form, nothing stored) and sees its credentials once; the token reads items and
/// nothing else; a class-2 member may not open the page.
async fn partner_page(app: &TestApp) {
    let c = council(app).await;
    let (m, _) = admitted_in(app, &c, "Kirishiro Power", "class2", "electricity", false).await;
    let mut member = Browser::new(app);
    member.login(&admin_login(&m), MEMBER_PASSWORD).await;
    assert_eq!(member.get("/portal/partners").await.status, 403);
    assert!(
        !member
            .get("/portal/")
            .await
            .body
            .contains("/portal/partners")
    );
    let mut co = Browser::new(app);
    co.login("coord-admin", "a long coordinator password").await;
    let page = co.get("/portal/partners").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body
            .contains("href=\"/portal/partners\" aria-current=\"page\"")
    );
    assert!(page.body.contains("id=\"register-partner\""));
    let t = page.csrf();
    let mut form = vec![
        ("_csrf", t.as_str()),
        ("name", "Denryoku ISAC"),
        ("sector", "electricity"),
        ("login", "isac-from-portal"),
        ("max_tlp", "amber"),
        ("sector.gas", "1"),
    ];
    // No audience class: refused, named, nothing stored.
    let p = co.post("/portal/partners", &form).await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(p.body.contains("id=\"partner-error\""), "{}", p.body);
    assert!(p.body.contains("agreement.classes"), "{}", p.body);
    assert!(
        p.body.contains("value=\"isac-from-portal\""),
        "the values are kept"
    );
    let (_, listed) = app.get("/api/v1/partners", &c.coordinator).await;
    assert_eq!(listed.as_array().unwrap().len(), 0);
    form.push(("class.class2", "1"));
    let p = co.post("/portal/partners", &form).await;
    assert_eq!(p.status, 201, "{}", p.body);
    let creds = &p.body[p
        .body
        .find("id=\"partner-credentials\"")
        .expect("the credentials")..];
    let at = creds.find("<code class=\"secret\">").unwrap() + 21;
    let token = &creds[at..at + creds[at..].find('<').unwrap()];
    let (s, _) = app.get("/api/v1/items", token).await;
    assert_eq!(s, 200);
    let (s, _) = app.get("/api/v1/members", token).await;
    assert_eq!(s, 403);
    let page = co.get("/portal/partners").await;
    assert!(page.body.contains("Denryoku ISAC"), "{}", page.body);
    assert!(page.body.contains("TLP:AMBER"));
    assert!(!page.body.contains(token), "the token is shown once");
    let (_, listed) = app.get("/api/v1/partners", &c.coordinator).await;
    assert_eq!(
        listed[0]["agreement"]["sectors"],
        json!(["gas"]),
        "{listed}"
    );
    assert!(page.body.contains("No push link") || page.body.contains("送信先未設定"));

    // The push link: a bad URL is refused in the form; a good one shows the partner's
    // sync, here failing (nothing listens there) with its backoff.
    let partner_id = listed[0]["id"].as_str().unwrap().to_owned();
    let t = page.csrf();
    let link = |url| {
        [
            ("_csrf", t.as_str()),
            ("partner", partner_id.as_str()),
            ("url", url),
            ("token", "TOKEN-ISSUED-BY-THE-PARTNER"),
        ]
    };
    let p = co
        .post("/portal/partners/link", &link("ftp://partner.example/"))
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(p.body.contains("id=\"link-error\""), "{}", p.body);
    assert!(
        !p.body.contains("TOKEN-ISSUED-BY-THE-PARTNER"),
        "the token is not sent back"
    );
    let (_, listed) = app.get("/api/v1/partners", &c.coordinator).await;
    assert!(listed[0]["sync"].is_null(), "nothing stored: {listed}");
    let good = link("http://127.0.0.1:9/taxii2/root/collections/submissions/");
    let p = co.post("/portal/partners/link", &good).await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(p.location(), "/portal/partners?ok=linked");
    common::until("a failed attempt", || async {
        app.get("/api/v1/partners", &c.coordinator).await.1[0]["sync"]["failures"]
            .as_i64()
            .unwrap_or(0)
            >= 1
    })
    .await;
    let page = co.get("/portal/partners").await;
    assert!(
        page.body
            .contains("127.0.0.1:9/taxii2/root/collections/submissions/"),
        "{}",
        page.body
    );
    assert!(page.body.contains("class=\"badge warn\""), "{}", page.body);
    assert!(page.body.contains("class=\"error-text\""), "{}", page.body);
    assert!(!page.body.contains("TOKEN-ISSUED-BY-THE-PARTNER"));
}

async fn clearance_page(app: &TestApp) {
    let c = council(app).await;
    let (m, token) = admitted_in(app, &c, "Kirishiro Power", "class2", "electricity", false).await;
    add_analyst(app, &m, &token).await;
    let mut co = Browser::new(app);
    co.login("coord-admin", "a long coordinator password").await;
    let page = co.get("/portal/clearances").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body
            .contains("href=\"/portal/clearances\" aria-current=\"page\"")
    );
    assert!(page.body.contains("id=\"grant-clearance\""));
    let t = page.csrf();
    let next_year = format!("{}-03-31", time::OffsetDateTime::now_utc().year() + 1);
    let form = |login: &'static str, level: &'static str, basis: &'static str| {
        vec![
            ("login", login),
            ("level", level),
            ("expires", "EXPIRES"),
            ("basis", basis),
        ]
    };
    for (f, why) in [
        (
            form("nobody-here", "confidential", "file 7"),
            "unknown login",
        ),
        (form("soc-analyst", "cosmic", "file 7"), "unknown level"),
        (form("soc-analyst", "confidential", " "), "no basis"),
    ] {
        let f: Vec<(&str, &str)> = f
            .into_iter()
            .map(|(k, v)| {
                (
                    k,
                    if v == "EXPIRES" {
                        next_year.as_str()
                    } else {
                        v
                    },
                )
            })
            .collect();
        let p = co.post("/portal/clearances", &with_token(&t, f)).await;
        assert_eq!(p.status, 422, "{why}: {}", p.body);
        assert!(p.body.contains("id=\"clearance-error\""), "{why}");
    }
    let past = vec![
        ("login", "soc-analyst"),
        ("level", "confidential"),
        ("expires", "2020-01-01"),
        ("basis", "file 7"),
    ];
    let p = co.post("/portal/clearances", &with_token(&t, past)).await;
    assert_eq!(p.status, 422);
    assert!(p.body.contains("expires_at"), "{}", p.body);
    assert_eq!(
        app.get("/api/v1/clearances", &c.coordinator).await.1,
        json!([])
    );
    let good = vec![
        ("login", "soc-analyst"),
        ("level", "confidential"),
        ("expires", next_year.as_str()),
        ("basis", "vetting 2026-88"),
    ];
    let p = co
        .post("/portal/clearances", &with_token(&t, good.clone()))
        .await;
    assert_eq!(
        (p.status, p.location()),
        (303, "/portal/clearances?ok=granted")
    );
    let (_, all) = app.get("/api/v1/clearances", &c.coordinator).await;
    assert_eq!(all[0]["login"], "soc-analyst");
    assert_eq!(all[0]["level"], "confidential");
    assert!(
        all[0]["expires_at"]
            .as_str()
            .unwrap()
            .starts_with(&next_year[..4])
    );
    let id = all[0]["id"].as_str().unwrap().to_owned();

    // The holder sees it on the page and in its settings; its admin sees it; nobody
    // else in another member does, and only the coordinator may grant.
    let mut an = Browser::new(app);
    an.login("soc-analyst", ANALYST_PASSWORD).await;
    assert!(
        an.get("/portal/settings")
            .await
            .body
            .contains("vetting 2026-88")
    );
    let page = an.get("/portal/clearances").await;
    assert!(page.body.contains("vetting 2026-88"));
    assert!(!page.body.contains("id=\"grant-clearance\""));
    let at = page.csrf();
    let p = an
        .post("/portal/clearances", &with_token(&at, good.clone()))
        .await;
    assert_eq!(p.status, 403);
    let mut ad = Browser::new(app);
    ad.login(&admin_login(&m), MEMBER_PASSWORD).await;
    assert!(
        ad.get("/portal/clearances")
            .await
            .body
            .contains("soc-analyst")
    );
    let (other, _) = admitted_in(app, &c, "Kuronagi Gas", "class2", "gas", false).await;
    let mut ot = Browser::new(app);
    ot.login(&admin_login(&other), MEMBER_PASSWORD).await;
    let page = ot.get("/portal/clearances").await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("soc-analyst"));

    // The coordinator revokes it.
    let p = co
        .post(
            &format!("/portal/clearances/{id}/revoke"),
            &with_token(&t, vec![("reason", "left the SOC")]),
        )
        .await;
    assert_eq!(
        (p.status, p.location()),
        (303, "/portal/clearances?ok=revoked")
    );
    let (_, all) = app.get("/api/v1/clearances", &c.coordinator).await;
    assert_eq!(all[0]["state"], "revoked");
    assert_eq!(all[0]["revoke_reason"], "left the SOC");
}

/// A member admin's users page: a user who lost its authenticator gets its second
/// factor reset (its sessions end; it logs in with its password and enrols again);
/// another member's admin can do nothing to it; a user is disabled from the page.
async fn user_administration(app: &TestApp) {
    let c = council(app).await;
    let (m, token) = admitted_in(app, &c, "Kirishiro Power", "class2", "electricity", false).await;
    let user = add_analyst(app, &m, &token).await;
    let mut an = Browser::new(app);
    an.login("soc-analyst", ANALYST_PASSWORD).await;
    an.enrol_totp().await;
    assert_eq!(an.get("/portal/settings").await.status, 200);
    // With a second factor, the password alone no longer opens the portal.
    let mut again = Browser::new(app);
    let p = again.password("soc-analyst", ANALYST_PASSWORD).await;
    assert_eq!(p.location(), "/portal/login/totp");

    let mut ad = Browser::new(app);
    ad.login(&admin_login(&m), MEMBER_PASSWORD).await;
    assert!(
        ad.get("/portal/settings")
            .await
            .body
            .contains("href=\"/portal/settings/users\"")
    );
    let page = ad.get("/portal/settings/users").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains(&format!("{user}/reset-second-factor")));
    let t = page.csrf();
    // Another member's admin: as if the user did not exist.
    let (other, other_token) = admitted_in(app, &c, "Kuronagi Gas", "class2", "gas", false).await;
    let (s, _) = app
        .post(
            &format!("/api/v1/users/{user}/second-factor/reset"),
            Some(&other_token),
            json!({}),
        )
        .await;
    assert_eq!(s, 404);
    let mut ot = Browser::new(app);
    ot.login(&admin_login(&other), MEMBER_PASSWORD).await;
    assert!(
        !ot.get("/portal/settings/users")
            .await
            .body
            .contains("soc-analyst")
    );
    // A non-admin of the member may not either.
    let (s, _) = app
        .post(
            &format!("/api/v1/members/{m}/users"),
            Some(&token),
            json!({"login": "soc-viewer", "password": "a third long password", "role": "viewer"}),
        )
        .await;
    assert_eq!(s, 201);
    let viewer_token = login(app, "soc-viewer", "a third long password").await;
    let (s, _) = app
        .post(
            &format!("/api/v1/users/{user}/second-factor/reset"),
            Some(&viewer_token),
            json!({}),
        )
        .await;
    assert_eq!(s, 404);

    let p = ad
        .post(
            &format!("/portal/settings/users/{user}/reset-second-factor"),
            &[("_csrf", &t)],
        )
        .await;
    assert_eq!(
        (p.status, p.location()),
        (303, "/portal/settings/users?ok=reset")
    );
    assert_eq!(
        an.get("/portal/settings").await.status,
        303,
        "its session ended"
    );
    let mut back = Browser::new(app);
    back.login("soc-analyst", ANALYST_PASSWORD).await;
    let (s, _) = app
        .post(
            &format!("/api/v1/users/{user}/second-factor/reset"),
            Some(&token),
            json!({}),
        )
        .await;
    assert_eq!(s, 409, "nothing left to reset");
    let (_, audit) = app
        .get(&format!("/api/v1/audit?target={user}"), &c.admin)
        .await;
    assert!(audit.to_string().contains("user.second_factor_reset"));

    let p = ad
        .post(
            &format!("/portal/settings/users/{user}/disable"),
            &[("_csrf", &t)],
        )
        .await;
    assert_eq!(
        (p.status, p.location()),
        (303, "/portal/settings/users?ok=disabled")
    );
    let (_, users) = app.get(&format!("/api/v1/members/{m}/users"), &token).await;
    let analyst = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["login"] == "soc-analyst")
        .unwrap();
    assert_eq!(analyst["disabled"], true);
}

on_both_backends!(
    user_administration,
    clearance_page,
    partner_page,
    login_with_and_without_totp,
    forms_need_the_csrf_token,
    sessions_end,
    the_language_switch_is_remembered,
    submit_preview_view_and_feedback,
    partners_in_the_share_form,
    alerts_ack_and_progress,
    static_css_and_consultations,
    constituency_and_observations,
    catalogue_and_assets,
    incidents_and_their_clocks,
    channels_and_tokens,
    consultation_pages,
    audit_page,
    member_administration,
    governance_pages,
    advisory_pages,
    vendor_request_pages,
);

/// Governance in the portal: the committee proposes and confirms a declaration (the
/// proposer cannot confirm its own, refused in the page); the coordinator sends a
/// binding request to class 2, a class-2 member answers it, the coordinator sees who
/// answered; the secretariat opens a vote, a member votes once and keeps its receipt,
/// and after closing finds its receipt's hash on the board beside the results chart.
async fn governance_pages(app: &TestApp) {
    let c = council(app).await;
    let (m, _) = admitted_in(app, &c, "Kirishiro Power", "class2", "electricity", false).await;
    let (s, _) = app
        .post(
            &format!("/api/v1/members/{}/users", c.admin_member),
            Some(&c.admin),
            json!({"login": "sec-portal", "password": "a long secretariat password", "role": "admin"}),
        )
        .await;
    assert_eq!(s, 201);
    let mut sec = Browser::new(app);
    sec.login("sec-portal", "a long secretariat password").await;
    let mut co = Browser::new(app);
    co.login("coord-admin", "a long coordinator password").await;
    let mut member = Browser::new(app);
    member.login(&admin_login(&m), MEMBER_PASSWORD).await;

    // Declarations: the member sees the section but no forms.
    let page = member.get("/portal/governance").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body
            .contains("href=\"/portal/governance\" aria-current=\"page\"")
    );
    for form in ["propose-declaration", "send-rfi", "open-vote"] {
        assert!(!page.body.contains(&format!("id=\"{form}\"")), "{form}");
    }
    // A binding request without a declaration in force is refused in the form.
    let page = co.get("/portal/governance").await;
    assert!(page.body.contains("id=\"send-rfi\""), "{}", page.body);
    fn rfi(t: &str) -> [(&'static str, &str); 5] {
        [
            ("_csrf", t),
            ("title", "Which VPN gateways do you run?"),
            (
                "question",
                "List the VPN gateway products and versions you run.",
            ),
            ("class.class2", "1"),
            ("binding", "1"),
        ]
    }
    let t = page.csrf();
    let refused = rfi(&t);
    let p = co.post("/portal/governance/rfis", &refused).await;
    assert_eq!(p.status, 409, "{}", p.body);
    assert!(p.body.contains("id=\"rfi-error\""), "{}", p.body);
    assert!(
        p.body.contains("value=\"Which VPN gateways do you run?\""),
        "the values are kept"
    );

    let page = sec.get("/portal/governance").await;
    let t = page.csrf();
    let p = sec
        .post(
            "/portal/governance/declarations",
            &[
                ("_csrf", &t),
                ("reason", "Wiper campaign against the grid"),
                ("ends_at", ""),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let page = sec.get("/portal/governance?ok=proposed").await;
    assert!(page.body.contains("Wiper campaign against the grid"));
    let confirm = page.body[..page.body.find("/confirm\"").expect("a confirm button")]
        .rsplit("action=\"")
        .next()
        .unwrap()
        .to_owned()
        + "/confirm";
    let p = sec.post(&confirm, &[("_csrf", &page.csrf())]).await;
    assert_eq!(
        p.status, 409,
        "the proposer does not confirm its own: {}",
        p.body
    );
    assert!(p.body.contains("id=\"declaration-error\""), "{}", p.body);
    let page = co.get("/portal/governance").await;
    let p = co.post(&confirm, &[("_csrf", &page.csrf())]).await;
    assert_eq!(p.status, 303, "{}", p.body);
    let page = member.get("/portal/governance").await;
    assert!(
        page.body.contains("class=\"badge warn\">発効中"),
        "{}",
        page.body
    );

    // Now the binding request goes; the member answers it.
    let page = co.get("/portal/governance").await;
    let t = page.csrf();
    let sent = rfi(&t);
    let p = co.post("/portal/governance/rfis", &sent).await;
    assert_eq!(p.status, 303, "{}", p.body);
    let rfi_page = p.location().trim_end_matches("?ok=sent").to_owned();
    let page = co.get(&rfi_page).await;
    assert!(page.body.contains("id=\"rfi-tracking\""), "{}", page.body);
    assert!(page.body.contains("0 / 1"), "{}", page.body);
    let page = member.get("/portal/governance").await;
    assert!(page.body.contains("Which VPN gateways do you run?"));
    assert!(page.body.contains("未回答"));
    let page = member.get(&rfi_page).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        !page.body.contains("id=\"rfi-tracking\""),
        "members see no tracking"
    );
    let t = page.csrf();
    let p = member
        .post(
            &format!("{rfi_page}/answer"),
            &[("_csrf", &t), ("text", "")],
        )
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(p.body.contains("id=\"answer-error\""));
    let p = member
        .post(
            &format!("{rfi_page}/answer"),
            &[
                ("_csrf", &t),
                ("text", "FortiGate 60F on 7.2.5, two sites."),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let page = co.get(&rfi_page).await;
    assert!(page.body.contains("1 / 1"), "{}", page.body);
    assert!(page.body.contains("Kirishiro Power"));

    // A vote closing in three seconds (opened over the API: the form takes minutes).
    let closes = time::OffsetDateTime::now_utc() + time::Duration::seconds(3);
    let (s, vote) = app
        .post(
            "/api/v1/votes",
            Some(&c.admin),
            json!({"question": "Adopt the revised rules?", "choices": ["yes", "no"],
                   "closes_at": closes.format(&time::format_description::well_known::Rfc3339).unwrap()}),
        )
        .await;
    assert_eq!(s, 201, "{vote}");
    let vote_page = format!("/portal/governance/votes/{}", vote["id"].as_str().unwrap());
    let page = member.get(&vote_page).await;
    assert!(page.body.contains("id=\"ballot\""), "{}", page.body);
    let p = member
        .post(
            &format!("{vote_page}/ballot"),
            &[("_csrf", &page.csrf()), ("choice", "0")],
        )
        .await;
    assert_eq!(p.status, 201, "{}", p.body);
    assert!(p.body.contains("id=\"ballot-receipt\""), "{}", p.body);
    let hash_at = p.body.find("<code>").unwrap() + 6;
    let hash = p.body[hash_at..hash_at + 64].to_owned();
    let page = member.get(&vote_page).await;
    assert!(!page.body.contains("id=\"ballot\""), "one vote per member");
    assert!(!page.body.contains(&hash), "the receipt is shown once");
    common::until("the vote closed", || async {
        app.get(
            &format!("/api/v1/votes/{}", vote["id"].as_str().unwrap()),
            &c.admin,
        )
        .await
        .1["closed"]
            == true
    })
    .await;
    let page = member.get(&vote_page).await;
    assert!(page.body.contains("id=\"results-chart\""), "{}", page.body);
    assert!(page.body.contains("<svg"), "{}", page.body);
    assert!(
        page.body.contains(&hash),
        "the member finds its vote on the board"
    );
}

/// Advisories: a class-2 member lists them but may not upload; a curator uploads a CSAF
/// file (an invalid one is refused with the JSON pointers named, nothing stored); the
/// member whose asset runs an affected version sees it on the advisory's page, another
/// member does not.
async fn advisory_pages(app: &TestApp) {
    let c = council(app).await;
    let (m, token) =
        admitted_in(app, &c, "Kuronagi Denryoku", "class2", "electricity", false).await;
    let (v_member, _) = admitted_in(
        app,
        &c,
        "Hoshizuna Cyberworks",
        "class1",
        "security_vendor",
        false,
    )
    .await;
    let (s, a) = app
        .post(
            "/api/v1/assets",
            Some(&token),
            json!({"cpe": "cpe:2.3:o:examplenetworks:en-vpn_os:7.0.12:*:*:*:*:*:*:*", "model": "EN-VPN 3000"}),
        )
        .await;
    assert_eq!(s, 201, "{a}");
    let mut member = Browser::new(app);
    member.login(&admin_login(&m), MEMBER_PASSWORD).await;
    let page = member.get("/portal/advisories").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body
            .contains("href=\"/portal/advisories\" aria-current=\"page\"")
    );
    assert!(
        !page.body.contains("id=\"upload-advisory\""),
        "curators only"
    );
    let t = page.csrf();
    let doc = common::csaf_advisory("2025-03-04T09:00:00+09:00").to_string();
    let p = member
        .post_multipart(
            "/portal/advisories",
            &[("_csrf", &t)],
            &[("csaf", "en-sa.json", doc.as_bytes())],
        )
        .await;
    assert_eq!(p.status, 403, "{}", p.body);

    let mut curator = Browser::new(app);
    curator
        .login(&admin_login(&v_member), MEMBER_PASSWORD)
        .await;
    let page = curator.get("/portal/advisories").await;
    assert!(
        page.body.contains("id=\"upload-advisory\""),
        "{}",
        page.body
    );
    let t = page.csrf();
    let mut bad = common::csaf_advisory("2025-03-04T09:00:00+09:00");
    bad["document"]["tracking"]["status"] = json!("done");
    let bad = bad.to_string();
    let p = curator
        .post_multipart(
            "/portal/advisories",
            &[("_csrf", &t)],
            &[("csaf", "bad.json", bad.as_bytes())],
        )
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(p.body.contains("id=\"advisory-error\""), "{}", p.body);
    assert!(p.body.contains("/document/tracking/status"), "{}", p.body);
    let (_, listed) = app.get("/api/v1/advisories", &token).await;
    assert_eq!(listed.as_array().unwrap().len(), 0, "nothing stored");
    let p = curator
        .post_multipart(
            "/portal/advisories",
            &[("_csrf", &t)],
            &[("csaf", "en-sa.json", doc.as_bytes())],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert!(p.location().ends_with("?ok=created"), "{}", p.location());
    let detail = p.location().trim_end_matches("?ok=created").to_owned();

    let page = member.get("/portal/advisories").await;
    assert!(
        page.body
            .contains("Heap-based buffer overflow in the EN-VPN OS SSL-VPN daemon")
    );
    assert!(page.body.contains("CVE-2025-24472"));
    let page = member.get(&detail).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let mine = &page.body[page.body.find("id=\"my-affected\"").unwrap()..];
    assert!(
        mine[..mine.find("</section>").unwrap()].contains("EN-VPN 3000"),
        "{}",
        page.body
    );
    let page = curator.get(&detail).await;
    let theirs = &page.body[page.body.find("id=\"my-affected\"").unwrap()..];
    assert!(
        !theirs[..theirs.find("</section>").unwrap()].contains("EN-VPN 3000"),
        "no one else's assets"
    );
}

/// Vendor coordination: a curator asks a vendor member about a catalogue entry (a
/// refusal named in the form); the vendor finds it from the catalogue and answers with
/// a planned fix (a missing date refused in the form); the catalogue shows the status;
/// another member cannot open the request.
async fn vendor_request_pages(app: &TestApp) {
    let c = council(app).await;
    let (curator_m, _) = admitted_in(
        app,
        &c,
        "Hoshizuna Cyberworks",
        "class1",
        "security_vendor",
        false,
    )
    .await;
    let (vendor_m, _) = admitted_in(app, &c, "Example Networks", "class2", "other", false).await;
    let (other_m, _) = admitted_in(app, &c, "Sorahashi Bank", "class2", "finance", false).await;
    let kev = json!({"title": "t", "catalogVersion": "2026.11.28", "dateReleased": "2026-11-28T00:00:00.000Z", "count": 1,
      "vulnerabilities": [{"cveID": "CVE-2025-24472", "vendorProject": "Example Networks", "product": "EN-VPN OS",
        "vulnerabilityName": "EN-VPN OS SSL-VPN Heap Overflow", "dateAdded": "2026-11-28", "shortDescription": "Heap overflow.",
        "requiredAction": "Apply updates per vendor instructions.", "dueDate": "2026-12-19", "knownRansomwareCampaignUse": "Unknown",
        "notes": "", "cwes": ["CWE-122"]}]});
    let (s, v) = app
        .post("/api/v1/kev/import", Some(&c.coordinator), kev)
        .await;
    assert_eq!(s, 201, "{v}");

    let mut cur = Browser::new(app);
    cur.login(&admin_login(&curator_m), MEMBER_PASSWORD).await;
    let page = cur.get("/portal/vendor-requests").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body
            .contains("href=\"/portal/vendor-requests\" aria-current=\"page\"")
    );
    assert!(page.body.contains("id=\"ask-vendor\""));
    let t = page.csrf();
    let ask = |message: &'static str| {
        vec![
            ("cve", "CVE-2025-24472"),
            ("vendor_member", vendor_m.as_str()),
            ("message", message),
        ]
    };
    let p = cur
        .post("/portal/vendor-requests", &with_token(&t, ask("")))
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(p.body.contains("id=\"vendor-error\""), "{}", p.body);
    let p = cur
        .post(
            "/portal/vendor-requests",
            &with_token(&t, ask("When will EN-VPN OS 7.0.x be fixed?")),
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let detail = p.location().trim_end_matches("?ok=opened").to_owned();
    let page = cur.get(&detail).await;
    assert!(page.body.contains("When will EN-VPN OS 7.0.x be fixed?"));
    assert!(
        !page.body.contains("id=\"vendor-update\""),
        "a member vendor answers itself"
    );

    let mut ven = Browser::new(app);
    ven.login(&admin_login(&vendor_m), MEMBER_PASSWORD).await;
    let kev_page = ven.get("/portal/kev").await;
    assert!(kev_page.body.contains("href=\"/portal/vendor-requests\""));
    let list = ven.get("/portal/vendor-requests").await;
    assert!(list.body.contains("CVE-2025-24472"), "{}", list.body);
    assert!(!list.body.contains("id=\"ask-vendor\""));
    let page = ven.get(&detail).await;
    assert!(page.body.contains("id=\"vendor-update\""), "{}", page.body);
    let t = page.csrf();
    let p = ven
        .post(
            &format!("{detail}/updates"),
            &[
                ("_csrf", &t),
                ("status", "fix_planned"),
                ("planned_fix_date", ""),
                ("text", "Working on it."),
            ],
        )
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(p.body.contains("id=\"update-error\""), "{}", p.body);
    assert!(p.body.contains("Working on it."), "values kept");
    let p = ven
        .post(
            &format!("{detail}/updates"),
            &[
                ("_csrf", &t),
                ("status", "fix_planned"),
                ("planned_fix_date", "2026-12-20"),
                ("text", "Working on it."),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let page = ven.get(&detail).await;
    assert!(page.body.contains("2026-12-20"), "{}", page.body);
    let kev_page = cur.get("/portal/kev").await;
    assert!(
        kev_page.body.contains("Example Networks: 修正予定"),
        "{}",
        kev_page.body
    );
    assert!(kev_page.body.contains("(2026-12-20)"));
    assert!(
        !kev_page.body.contains("Working on it."),
        "the catalogue shows the status only"
    );

    let mut other = Browser::new(app);
    other.login(&admin_login(&other_m), MEMBER_PASSWORD).await;
    assert_eq!(other.get(&detail).await.status, 404);
    assert!(
        !other
            .get("/portal/vendor-requests")
            .await
            .body
            .contains("CVE-2025-24472")
    );
}

// ---- The browser test ----

/// Runs `scripts/portal-browser-test.py` with Playwright against Debian's Chromium:
/// log in with TOTP, share an item excluding regulators through the scope editor
/// (seeing the preview), see it masked as a class-2 member and not at all as a
/// regulator, share an item requiring clearance that uncleared users never see, answer
/// feedback, issue an alert and acknowledge it; the constituency,
/// observations, trends, catalogue, assets and incident pages pass the same
/// accessibility sweep; ask a consultation and make an API token through their forms,
/// and sweep those pages, the channels page and the coordinator's audit log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_real_browser() {
    let required = std::env::var("TSUNAGU_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
    let python = std::env::var("TSUNAGU_TEST_PYTHON")
        .ok()
        .filter(|p| !p.is_empty());
    let chromium = std::env::var("TSUNAGU_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let has_playwright = python.as_ref().is_some_and(|p| {
        std::process::Command::new(p)
            .args(["-c", "import playwright.sync_api"])
            .status()
            .is_ok_and(|s| s.success())
    });
    let usable = python
        .clone()
        .filter(|_| has_playwright && std::path::Path::new(&chromium).exists());
    let Some(python) = usable else {
        assert!(
            !required,
            "TSUNAGU_REQUIRE_BROWSER=1 but no Python with Playwright ({python:?}) or no Chromium at {chromium}"
        );
        eprintln!(
            "\n*** SKIPPED the portal's browser test: needs TSUNAGU_TEST_PYTHON with playwright and Chromium at {chromium}. Run scripts/test. ***\n"
        );
        return;
    };
    let app = TestApp::spawn_with(common::Db::Sqlite, common::fast())
        .await
        .unwrap();
    let k = cast(&app).await;
    // An entry waiting in the coordinator's constituency queue.
    let (s, v) = app
        .post(
            "/api/v1/constituency",
            Some(&k.provider_token),
            json!({"kind": "cidr", "value": "203.0.113.0/24", "ownership": "APNIC allocation"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    // The provider's user is cleared; the class-2 member's and the coordinator's are not.
    common::grant_clearance(
        &app,
        &k.c.coordinator,
        &k.provider_token,
        "confidential",
        time::Duration::days(30),
    )
    .await;
    let mut users = serde_json::Map::new();
    for (role, login, password) in [
        ("provider", k.provider.as_str(), MEMBER_PASSWORD),
        ("class2", k.class2.as_str(), MEMBER_PASSWORD),
        ("regulator", k.regulator.as_str(), MEMBER_PASSWORD),
        ("coordinator", "coord-admin", "a long coordinator password"),
    ] {
        let mut b = Browser::new(&app);
        b.login(login, password).await;
        let secret = b.enrol_totp().await;
        users.insert(
            role.into(),
            json!({"login": login, "password": password, "totp_secret": secret}),
        );
    }
    let shots = tempfile::tempdir().unwrap();
    let config = json!({
        "users": users,
        "screenshots": shots.path(),
        "chromium": chromium,
    });
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let script = root.join("scripts/portal-browser-test.py");
    // Chromium allows Secure cookies on http://localhost.
    let base = app.base.replace("127.0.0.1", "localhost");
    let args = (
        python.clone(),
        script.clone(),
        base.clone(),
        config.to_string(),
    );
    let run = tokio::task::spawn_blocking(move || {
        std::process::Command::new(&args.0)
            .arg(&args.1)
            .arg(&args.2)
            .arg(&args.3)
            .output()
    });
    let out = tokio::time::timeout(Duration::from_secs(300), run)
        .await
        .expect("the browser test took over 5 minutes")
        .unwrap()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "browser test failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("portal browser test: OK"), "{stdout}");
    for name in [
        "dashboard.png",
        "item-masked.png",
        "scope-preview.png",
        "alert.png",
    ] {
        let meta =
            std::fs::metadata(shots.path().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(meta.len() > 5_000, "{name} is a real screenshot");
    }
    // What the browser did went through the same paths: the item is shared with the
    // regulators excluded, the class-2 member answered, the alert was acknowledged;
    // the second item requires the provider's clearance.
    let rows: Vec<(String, String)> = sqlx::query_as("SELECT id, content FROM items ORDER BY seq")
        .fetch_all(app.store.pool())
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    let (cleared, items): (Vec<_>, Vec<_>) = rows
        .into_iter()
        .partition(|(_, content)| content.contains("\"clearance\":\"confidential\""));
    assert_eq!(cleared.len(), 1);
    let items: Vec<String> = items.into_iter().map(|(id, _)| id).collect();
    let (s, v) = app
        .get(
            &format!("/api/v1/items/{}/feedback", items[0]),
            &k.provider_token,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(v["tally"]["seen"], 1, "{v}");
    let (s, v) = app
        .get(&format!("/api/v1/items/{}", items[0]), &k.provider_token)
        .await;
    assert_eq!(s, 200);
    assert_eq!(v["scope"]["exclude_all_regulators"], true, "{v}");
    let acted: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM alert_receipts WHERE acted_at IS NOT NULL")
            .fetch_one(app.store.pool())
            .await
            .unwrap();
    assert_eq!(acted, 1);
    // The consultation asked through the form, the token made through the form.
    let asked: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM consultations")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    assert_eq!(asked, 1);
    let named: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tokens WHERE name = 'browser test'")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    assert_eq!(named, 1);
    app.finish().await;
}
