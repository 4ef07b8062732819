//! A real SMTP server for the e-mail tests: Python's aiosmtpd (from the `.venv` that
//! scripts/test prepares) writing every message it accepts to a maildir.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

/// The Python with aiosmtpd, or `None` (with a loud message naming `what` was skipped)
/// when it is not set; when `TSUNAGU_REQUIRE_SMTP` is set it must be.
pub fn python(what: &str) -> Option<String> {
    match std::env::var("TSUNAGU_TEST_PYTHON") {
        Ok(p) if !p.is_empty() => Some(p),
        _ => {
            assert!(
                std::env::var("TSUNAGU_REQUIRE_SMTP").is_err(),
                "TSUNAGU_TEST_PYTHON is required"
            );
            eprintln!(
                "\n*** SKIPPED {what}: TSUNAGU_TEST_PYTHON (with aiosmtpd) is not set. Run scripts/test. ***\n"
            );
            None
        }
    }
}

/// A port nothing listens on (yet).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running aiosmtpd on loopback; stopped when dropped.
pub struct Smtp {
    python: String,
    child: Child,
    pub port: u16,
    maildir: tempfile::TempDir,
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Smtp {
    /// Starts aiosmtpd and waits until it accepts connections.
    pub async fn start(python: String) -> Self {
        let port = free_port();
        let maildir = tempfile::tempdir().unwrap();
        let mut child = Command::new(&python)
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
                return Self {
                    python,
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

    /// The relay URL for `Config::smtp_url`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received, decoded by Python's e-mail package: `subject`, `to`,
    /// `from`, `body` (the first text part), `attachments` (`filename`, `content_type`,
    /// `content`), and each `(key, header)` of `headers` under its key.
    pub fn messages(&self, headers: &[(&str, &str)]) -> Vec<Value> {
        let script = r#"
import json, mailbox, re, sys
from email.header import decode_header, make_header
headers = json.loads(sys.argv[2])
out = []
for m in mailbox.Maildir(sys.argv[1], create=False):
    body, attachments = None, []
    for part in m.walk():
        if part.is_multipart():
            continue
        text = part.get_payload(decode=True).decode(part.get_content_charset() or 'utf-8')
        if part.get_filename():
            attachments.append({"filename": part.get_filename(), "content_type": part.get_content_type(), "content": text})
        elif body is None:
            body = text
    one = {"subject": str(make_header(decode_header(re.sub(r"\r?\n(?=[ \t])", "", m["Subject"])))), "to": m["To"], "from": m["From"], "body": body, "attachments": attachments}
    for key, header in headers:
        one[key] = m[header]
    out.append(one)
print(json.dumps(out))
"#;
        let dir = self.maildir.path().join("mail");
        if !dir.join("new").exists() {
            return Vec::new();
        }
        let out = Command::new(&self.python)
            .args(["-c", script])
            .arg(&dir)
            .arg(serde_json::to_string(headers).unwrap())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }
}
