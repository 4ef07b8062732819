//! Alert delivery across process boundaries (MISSION.md M3.2): a server killed with
//! SIGKILL in the middle of a fan-out still delivers to every recipient once restarted
//! (at-least-once, duplicates recognisable by their idempotency key), and two servers
//! on one PostgreSQL act as one system: they share the outbox and a live-stream
//! subscriber on one gets alerts published through the other.

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};
use tsunagu_server::demo::{self, DemoCredentials};
use tsunagu_store::Store;
use tsunagu_store::testing::{Db, TestDb};

const BIN: &str = env!("CARGO_BIN_EXE_tsunagu");

struct Server {
    child: Child,
    base: String,
}

fn serve(db_args: &[&str], extra: &[&str]) -> Server {
    let mut args = vec!["serve", "--listen", "127.0.0.1:0"];
    args.extend_from_slice(db_args);
    args.extend_from_slice(extra);
    let mut child = Command::new(BIN)
        .args(&args)
        .env("TSUNAGU_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let base = BufReader::new(out)
        .lines()
        .map_while(Result::ok)
        .find_map(|l| l.strip_prefix("listening on ").map(str::to_owned))
        .unwrap();
    Server { child, base }
}

/// What the receiver saw: per member index, the delivery ids and the sender pids.
#[derive(Default)]
struct Seen {
    by_member: BTreeMap<usize, BTreeSet<String>>,
    requests: usize,
    senders: BTreeSet<String>,
}

async fn receiver(delay: Duration) -> (String, Arc<Mutex<Seen>>) {
    let seen: Arc<Mutex<Seen>> = Arc::default();
    let s = seen.clone();
    let app = axum::Router::new().route(
        "/hook/{i}",
        axum::routing::post(move |Path(i): Path<usize>, headers: HeaderMap| {
            let s = s.clone();
            async move {
                {
                    let mut s = s.lock().unwrap();
                    s.requests += 1;
                    s.by_member
                        .entry(i)
                        .or_default()
                        .insert(headers["tsunagu-delivery"].to_str().unwrap().to_owned());
                    s.senders
                        .insert(headers["user-agent"].to_str().unwrap().to_owned());
                }
                tokio::time::sleep(delay).await;
                StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, seen)
}

async fn seed(url: &str) -> DemoCredentials {
    let store = Store::open(url).await.unwrap();
    let creds = demo::populate(&store, "http://seeded").await.unwrap();
    store.close().await;
    creds
}

async fn register_webhooks(
    client: &reqwest::Client,
    base: &str,
    creds: &DemoCredentials,
    hooks: &str,
) {
    for (i, m) in creds.members.iter().enumerate() {
        let r = client
            .post(format!("{base}/api/v1/channels"))
            .bearer_auth(&m.users[0].api_token)
            .json(&json!({"kind": "webhook", "address": format!("{hooks}/hook/{i}"), "max_in_flight": 2}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
}

fn coordinator(creds: &DemoCredentials) -> String {
    creds
        .members
        .iter()
        .find(|m| m.roles.iter().any(|r| r == "coordinator"))
        .unwrap()
        .users[0]
        .api_token
        .clone()
}

async fn issue(client: &reqwest::Client, base: &str, token: &str, title: &str) -> Value {
    let r = client
        .post(format!("{base}/api/v1/alerts"))
        .bearer_auth(token)
        .json(&json!({"title": title, "severity": "critical", "action_required": "Do not boot unpatched PCs", "target": {"all": true}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    r.json().await.unwrap()
}

async fn wait_for(what: &str, secs: u64, mut done: impl FnMut() -> bool) {
    for _ in 0..secs * 10 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_in_the_middle_of_a_fan_out_loses_no_recipient() {
    let db = TestDb::new(Db::Sqlite).await.unwrap();
    let dir = db.dir.as_ref().unwrap().path().to_str().unwrap().to_owned();
    let creds = seed(&db.url).await;
    let n = creds.members.len();
    let (hooks, seen) = receiver(Duration::from_millis(400)).await;
    let client = reqwest::Client::new();
    let args = ["--data-dir", dir.as_str()];
    let mut first = serve(
        &args,
        &["--delivery-lease-secs", "2", "--delivery-concurrency", "32"],
    );
    register_webhooks(&client, &first.base, &creds, &hooks).await;
    issue(
        &client,
        &first.base,
        &coordinator(&creds),
        "Do not boot unpatched PCs",
    )
    .await;
    wait_for("the fan-out to start", 30, || {
        seen.lock().unwrap().requests >= 20
    })
    .await;
    let before = seen.lock().unwrap().by_member.len();
    assert!(before < n, "killed in the middle: {before} of {n} reached");
    first.child.kill().unwrap(); // SIGKILL
    first.child.wait().unwrap();

    let mut second = serve(
        &args,
        &["--delivery-lease-secs", "2", "--delivery-concurrency", "64"],
    );
    wait_for("every recipient", 120, || {
        seen.lock().unwrap().by_member.len() == n
    })
    .await;
    // Every member got it; a redelivery carries the same idempotency key.
    assert!(
        seen.lock()
            .unwrap()
            .by_member
            .values()
            .all(|keys| keys.len() == 1),
        "one idempotency key per recipient"
    );
    let progress: Value = loop {
        let p: Value = client
            .get(format!("{}/api/v1/alerts", second.base))
            .bearer_auth(coordinator(&creds))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = p["alerts"][0]["id"].as_str().unwrap().to_owned();
        let pr: Value = client
            .get(format!("{}/api/v1/alerts/{id}/progress", second.base))
            .bearer_auth(coordinator(&creds))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if pr["deliveries"]["delivered"] == n {
            break pr;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(progress["total"]["delivered"], n);
    second.child.kill().unwrap();
    second.child.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_postgres_act_as_one_system() {
    let Some(db) = TestDb::new(Db::Postgres).await else {
        return;
    };
    let creds = seed(&db.url).await;
    let n = creds.members.len();
    let args = ["--database-url", db.url.as_str()];
    let mut a = serve(&args, &["--delivery-concurrency", "16"]);
    let mut b = serve(&args, &["--delivery-concurrency", "16"]);
    let client = reqwest::Client::new();
    let (hooks, seen) = receiver(Duration::from_millis(100)).await;
    register_webhooks(&client, &a.base, &creds, &hooks).await;

    // A subscriber on B ...
    let member_token = creds
        .members
        .iter()
        .find(|m| m.class == "general")
        .unwrap()
        .users[0]
        .api_token
        .clone();
    let mut stream = client
        .get(format!("{}/api/v1/stream", b.base))
        .bearer_auth(&member_token)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    // ... gets an alert published through A.
    let alert = issue(&client, &a.base, &coordinator(&creds), "Published on A").await;
    let id = alert["id"].as_str().unwrap().to_owned();
    let mut buf = String::new();
    while !buf.contains(&id) {
        let chunk = tokio::time::timeout(Duration::from_secs(10), stream.chunk())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        buf.push_str(std::str::from_utf8(&chunk).unwrap());
    }
    // Both servers drained the one outbox, and nobody got it twice.
    wait_for("every recipient", 60, || {
        seen.lock().unwrap().by_member.len() == n
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    {
        let s = seen.lock().unwrap();
        assert_eq!(
            s.requests, n,
            "each recipient exactly once in the normal case"
        );
        assert_eq!(s.senders.len(), 2, "both servers sent: {:?}", s.senders);
    }
    for server in [&mut a, &mut b] {
        server.child.kill().unwrap();
        server.child.wait().unwrap();
    }
    db.cleanup().await;
}
