//! Alerts by e-mail through a real SMTP server (Python's aiosmtpd, started here), read
//! back and decoded with Python's own e-mail parser.

#![allow(clippy::unwrap_used)]

mod common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{Db, TestApp, admitted_in, council};
use serde_json::{Value, json};

/// The Python with aiosmtpd that scripts/test prepares in `.venv`.
fn python() -> Option<String> {
    match std::env::var("TSUNAGU_TEST_PYTHON") {
        Ok(p) if !p.is_empty() => Some(p),
        _ => {
            assert!(
                std::env::var("TSUNAGU_REQUIRE_SMTP").is_err(),
                "TSUNAGU_TEST_PYTHON is required"
            );
            eprintln!(
                "\n*** SKIPPED the e-mail test: TSUNAGU_TEST_PYTHON (with aiosmtpd) is not set. Run scripts/test. ***\n"
            );
            None
        }
    }
}

struct Smtp {
    child: Child,
    port: u16,
    maildir: tempfile::TempDir,
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn smtp(python: &str) -> Smtp {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let maildir = tempfile::tempdir().unwrap();
    let mut child = Command::new(python)
        .args([
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            &format!("127.0.0.1:{port}"),
            "-c",
            "aiosmtpd.handlers.Mailbox",
        ])
        .arg(maildir.path().join("mail"))
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Smtp {
                child,
                port,
                maildir,
            };
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("aiosmtpd did not start");
}

/// Every message in the maildir, decoded by Python's e-mail package.
fn messages(python: &str, maildir: &std::path::Path) -> Vec<Value> {
    let script = r#"
import json, mailbox, sys
out = []
for m in mailbox.Maildir(sys.argv[1], create=False):
    body = m.get_payload(decode=True).decode(m.get_content_charset() or 'utf-8')
    from email.header import decode_header, make_header
    out.append({"subject": str(make_header(decode_header(m["Subject"]))), "to": m["To"], "from": m["From"],
                "delivery": m["X-Tsunagu-Delivery"], "exercise": m["X-Tsunagu-Exercise"], "body": body})
print(json.dumps(out))
"#;
    if !maildir.join("new").exists() {
        return Vec::new();
    }
    let out = Command::new(python)
        .args(["-c", script])
        .arg(maildir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_arrive_by_email_marked_as_exercises() {
    let Some(python) = python() else { return };
    let server = smtp(&python).await;
    let config = tsunagu_server::Config {
        public_rate_per_minute: 10_000,
        smtp_url: Some(format!("smtp://127.0.0.1:{}", server.port)),
        delivery: tsunagu_server::delivery::DeliveryConfig {
            poll: Duration::from_millis(50),
            backoff_base: Duration::from_millis(50),
            ..Default::default()
        },
        ..tsunagu_server::Config::default()
    };
    let app = TestApp::spawn_with(Db::Sqlite, config).await.unwrap();
    let c = council(&app).await;
    let (_, op) = admitted_in(&app, &c, "Kuronagi Waterworks", "class2", "water", false).await;
    let (s, v) = app
        .post(
            "/api/v1/channels",
            Some(&op),
            json!({"kind": "email", "address": "soc@kuronagi.example"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert!(v.get("secret").is_none());
    assert_eq!(
        app.post(
            "/api/v1/channels",
            Some(&op),
            json!({"kind": "email", "address": "not-mail"})
        )
        .await
        .0,
        422
    );
    let (s, a) = app
        .post(
            "/api/v1/alerts",
            Some(&c.coordinator),
            json!({"title": "断水を伴う制御系侵害の訓練", "severity": "high", "action_required": "Run the OT isolation playbook",
                   "deadline_text": "before 17:00 JST", "target": {"sectors": ["water"]}, "exercise": true,
                   "indicators": [{"type": "ipv4", "value": "203.0.113.9"}]}),
        )
        .await;
    assert_eq!(s, 201, "{a}");
    let mut got = Vec::new();
    for _ in 0..200 {
        got = messages(&python, &server.maildir.path().join("mail"));
        if !got.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(got.len(), 1, "one e-mail for the one recipient");
    let m = &got[0];
    assert_eq!(m["to"], "soc@kuronagi.example");
    assert!(
        m["subject"]
            .as_str()
            .unwrap()
            .starts_with("[tsunagu] 【訓練 / EXERCISE】 断水を伴う制御系侵害の訓練"),
        "{m}"
    );
    assert_eq!(m["exercise"], "true");
    assert!(m["delivery"].as_str().unwrap().len() >= 32);
    let body = m["body"].as_str().unwrap();
    assert!(body.contains("THIS IS AN EXERCISE"));
    assert!(body.contains("Action required: Run the OT isolation playbook"));
    assert!(body.contains("203.0.113.9"));
    let id = a["id"].as_str().unwrap();
    let (_, progress) = app
        .get(&format!("/api/v1/alerts/{id}/progress"), &c.coordinator)
        .await;
    assert_eq!(progress["deliveries"]["delivered"], 1);
    app.finish().await;
}
