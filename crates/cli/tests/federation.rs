//! Three councils, three real `tsunagu serve` processes on loopback, each with its own
//! database (issue 12): A pushes to B, B pushes to C. An item A's provider lets travel
//! on reaches C as B's item, never naming A; an item it does not let travel on stops at
//! B, whatever B's coordinator tries; an edit at A reaches B and C, a narrowing at A
//! hides B's copy, and a retraction at A hides the copies at B and C, within seconds.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::{Running, printed_value, start};
use serde_json::{Value, json};

/// One council: its server, the secretariat's admin (a class-1 reader of what is
/// shared) and the coordinator.
struct Council {
    server: Running,
    admin: String,
    coordinator: String,
    http: reqwest::Client,
}

impl Council {
    async fn start(dir: &std::path::Path, name: &str) -> Self {
        let data = dir.join(name);
        let server = start(&[
            "serve",
            "--data-dir",
            data.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ]);
        let admin = printed_value(&server.printed, "API token:");
        let mut council = Self {
            server,
            admin,
            coordinator: String::new(),
            http: reqwest::Client::new(),
        };
        let (_, members) = council
            .call("GET", "/api/v1/members", &council.admin.clone(), None)
            .await;
        let coordinator = members
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
        let password = "a long coordinator password";
        let (s, v) = council
            .call(
                "POST",
                &format!("/api/v1/members/{coordinator}/users"),
                &council.admin.clone(),
                Some(json!({"login": "coord", "password": password, "role": "admin"})),
            )
            .await;
        assert_eq!(s, 201, "{v}");
        let (s, v) = council
            .call(
                "POST",
                "/api/v1/auth/login",
                "",
                Some(json!({"login": "coord", "password": password})),
            )
            .await;
        assert_eq!(s, 201, "{v}");
        council.coordinator = v["token"].as_str().unwrap().to_owned();
        council
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self.http.request(
            method.parse().unwrap(),
            format!("{}{path}", self.server.base),
        );
        if !token.is_empty() {
            req = req.bearer_auth(token);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// Registers `name` as a partner; returns (its member id here, the token it uses).
    async fn register(&self, name: &str, login: &str) -> (String, String) {
        let (s, v) = self
            .call(
                "POST",
                "/api/v1/partners",
                &self.coordinator,
                Some(json!({"name": name, "sector": "other", "login": login,
                            "agreement": {"classes": ["class1", "class2"], "max_tlp": "amber"}})),
            )
            .await;
        assert_eq!(s, 201, "{v}");
        (
            v["id"].as_str().unwrap().to_owned(),
            v["api_token"].as_str().unwrap().to_owned(),
        )
    }

    /// Pushes partner `id`'s view to `to`'s submissions collection with `token`.
    async fn link(&self, id: &str, to: &Council, token: &str) {
        let url = format!("{}/taxii2/root/collections/submissions/", to.server.base);
        let (s, v) = self
            .call(
                "PUT",
                &format!("/api/v1/partners/{id}/link"),
                &self.coordinator,
                Some(json!({"url": url, "token": token})),
            )
            .await;
        assert_eq!(s, 200, "{v}");
    }

    /// The item titled `title` that `token` sees, if any.
    async fn titled(&self, token: &str, title: &str) -> Option<Value> {
        let (s, v) = self
            .call("GET", "/api/v1/items?limit=200", token, None)
            .await;
        assert_eq!(s, 200, "{v}");
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["title"] == title)
            .cloned()
    }

    async fn titles(&self) -> Vec<String> {
        let (_, v) = self
            .call("GET", "/api/v1/items?limit=200", &self.coordinator, None)
            .await;
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["title"].as_str().unwrap().to_owned())
            .collect()
    }
}

/// Polls `check` every 100 ms for up to 30 s; returns how long it took.
async fn within<F: std::future::Future<Output = bool>>(
    what: &str,
    mut check: impl FnMut() -> F,
) -> Duration {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        if check().await {
            return started.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_councils_keep_scope_never_reshare_and_propagate_retraction() {
    let dir = tempfile::tempdir().unwrap();
    let a = Council::start(dir.path(), "a").await;
    let b = Council::start(dir.path(), "b").await;
    let c = Council::start(dir.path(), "c").await;

    // Credentials in each direction, then the links: A → B → C.
    let (b_at_a, _) = a.register("Council B", "council-b").await;
    let (a_at_b, a_pushes_with) = b.register("Council A", "council-a").await;
    let (c_at_b, _) = b.register("Council C", "council-c").await;
    let (_, b_pushes_with) = c.register("Council B", "council-b").await;
    a.link(&b_at_a, &b, &a_pushes_with).await;
    b.link(&c_at_b, &c, &b_pushes_with).await;

    // A's coordinator shares two items with partners: one it lets travel on, one not.
    let share = |title: &str, onward: bool| {
        json!({
            "kind": "threat_information", "title": title, "confidence": "confirmed", "tlp": "green",
            "scope": {"classes": ["class1", "partner"], "onward": onward},
            "executive_context": "A wiper campaign against water utilities.",
            "victim": {"name": "VICTIM-AT-A", "sector": "water", "damaged": true, "damage_details": "DAMAGE-AT-A"},
            "technical_details": "TECH-AT-A",
            "indicators": [{"type": "ipv4", "value": "198.51.100.77"}],
        })
    };
    let (s, stays) = a
        .call(
            "POST",
            "/api/v1/items",
            &a.coordinator,
            Some(share("Stays with B", false)),
        )
        .await;
    assert_eq!(s, 201, "{stays}");
    let (s, travels) = a
        .call(
            "POST",
            "/api/v1/items",
            &a.coordinator,
            Some(share("Travels on", true)),
        )
        .await;
    assert_eq!(s, 201, "{travels}");

    // Both reach B as Council A's items, masked; only the one that may travel reaches
    // C, as Council B's. (B examines the earlier item first, so once the later one is
    // at C the other was already held back.)
    let to_b = within("both items at B", || async {
        b.titled(&b.admin, "Stays with B").await.is_some()
            && b.titled(&b.admin, "Travels on").await.is_some()
    })
    .await;
    let to_c = within("the item that travels at C", || async {
        c.titled(&c.admin, "Travels on").await.is_some()
    })
    .await;
    println!("A → B in {to_b:?}; B → C {to_c:?} later");
    assert_eq!(c.titles().await, ["Travels on"], "nothing else reached C");
    let at_b = b.titled(&b.admin, "Travels on").await.unwrap();
    let at_c = c.titled(&c.admin, "Travels on").await.unwrap();
    assert_eq!(at_b["source"], "Council A", "{at_b}");
    assert_eq!(at_c["source"], "Council B", "{at_c}");
    assert_eq!(at_c["indicators"][0]["value"], "198.51.100.77", "{at_c}");
    for (copy, council) in [(&at_b, "B"), (&at_c, "C")] {
        let text = copy.to_string();
        for secret in ["VICTIM-AT-A", "DAMAGE-AT-A", "TECH-AT-A"] {
            assert!(!text.contains(secret), "{secret} reached {council}: {text}");
        }
    }
    assert!(
        !at_c.to_string().contains("Council A"),
        "C never learns of A: {at_c}"
    );
    // At B, the copies belong to partner A; the one that may travel is for B's partners
    // too, the other is not, and B's coordinator cannot make it so.
    let stays_at_b = b.titled(&b.coordinator, "Stays with B").await.unwrap();
    let travels_at_b = b.titled(&b.coordinator, "Travels on").await.unwrap();
    assert_eq!(stays_at_b["provider"], a_at_b.as_str());
    assert_eq!(
        stays_at_b["scope"]["classes"],
        json!(["class1", "class2"]),
        "{stays_at_b}"
    );
    assert_eq!(
        travels_at_b["scope"]["classes"],
        json!(["class1", "class2", "partner"]),
        "{travels_at_b}"
    );
    assert!(
        travels_at_b["scope"]["onward"].is_null(),
        "the copy travels no further"
    );
    let stays_id = stays_at_b["id"].as_str().unwrap();
    let (s, v) = b
        .call(
            "PUT",
            &format!("/api/v1/items/{stays_id}/scope"),
            &b.coordinator,
            Some(json!({"scope": {"classes": ["class1", "class2", "partner"]}})),
        )
        .await;
    assert!(
        s == 403 || s == 422,
        "B's coordinator widened A's item: {s} {v}"
    );

    // A's coordinator edits the item that travels: the new revision reaches B and C.
    let travels_id = travels["id"].as_str().unwrap();
    let (s, v) = a
        .call(
            "PUT",
            &format!("/api/v1/items/{travels_id}"),
            &a.coordinator,
            Some(share("Travels on (updated)", true)),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let updated = within("the update at C", || async {
        c.titled(&c.admin, "Travels on (updated)").await.is_some()
    })
    .await;
    println!("update: at C after {updated:?}");
    let at_b = b.titled(&b.admin, "Travels on (updated)").await.unwrap();
    let at_c = c.titled(&c.admin, "Travels on (updated)").await.unwrap();
    assert_eq!(
        at_c["id"],
        c.titled(&c.coordinator, "Travels on (updated)")
            .await
            .unwrap()["id"]
    );
    assert_eq!(c.titles().await.len(), 1, "the same copy, a new revision");

    // A narrows the other item away from partners: B hides its copy.
    let stays_at_a = stays["id"].as_str().unwrap();
    let (s, v) = a
        .call(
            "PUT",
            &format!("/api/v1/items/{stays_at_a}/scope"),
            &a.coordinator,
            Some(json!({"scope": {"classes": ["class1"]}})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let narrowed = within("the narrowed copy hidden at B", || async {
        b.call("GET", &format!("/api/v1/items/{stays_id}"), &b.admin, None)
            .await
            .0
            == 404
    })
    .await;
    println!("narrowing: hidden at B after {narrowed:?}");

    // A retracts the item that travelled: B and C hide their copies within seconds.
    let (s, v) = a
        .call(
            "POST",
            &format!("/api/v1/items/{travels_id}/retract"),
            &a.coordinator,
            Some(json!({})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let b_copy = at_b["id"].as_str().unwrap().to_owned();
    let c_copy = at_c["id"].as_str().unwrap().to_owned();
    let hidden_at_b = within("the copy hidden at B", || async {
        b.call("GET", &format!("/api/v1/items/{b_copy}"), &b.admin, None)
            .await
            .0
            == 404
    })
    .await;
    let hidden_at_c = within("the copy hidden at C", || async {
        c.call("GET", &format!("/api/v1/items/{c_copy}"), &c.admin, None)
            .await
            .0
            == 404
    })
    .await;
    println!("retraction: hidden at B after {hidden_at_b:?}, at C {hidden_at_c:?} later");
    assert!(c.titled(&c.admin, "Travels on (updated)").await.is_none());
    assert!(
        b.titles().await.len() == 2,
        "B's coordinator still has both copies"
    );

    // The operators see it: B's pushes to C succeeded, with nothing waiting.
    let (_, partners) = b
        .call("GET", "/api/v1/partners", &b.coordinator, None)
        .await;
    let to_c = partners
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == c_at_b.as_str())
        .unwrap();
    assert_eq!(
        to_c["sync"]["pushed"], 3,
        "the item, its new revision and its revocation: {to_c}"
    );
    assert_eq!(to_c["sync"]["backlog"], 0, "{to_c}");
    assert!(to_c["sync"]["last_error"].is_null(), "{to_c}");
    for council in [a, b, c] {
        assert!(council.server.terminate().success());
    }
}
