//! Running the real `tsunagu` binary from the tests.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// The binary cargo built for these tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_tsunagu");

/// A running `tsunagu` process and the lines it printed up to "listening on".
pub struct Running {
    pub child: Child,
    pub base: String,
    pub printed: Vec<String>,
}

/// Starts `tsunagu` with `args` and waits until it listens.
pub fn start(args: &[&str]) -> Running {
    let mut child = Command::new(BIN)
        .args(args)
        .env("TSUNAGU_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start tsunagu");
    let stdout = child.stdout.take().expect("stdout");
    let mut printed = Vec::new();
    let mut base = None;
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("line");
        if let Some(url) = line.strip_prefix("listening on ") {
            base = Some(url.to_owned());
            break;
        }
        printed.push(line);
    }
    Running {
        child,
        base: base.expect("the server said where it listens"),
        printed,
    }
}

impl Running {
    /// Sends SIGTERM and waits for the exit.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let ok = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        assert!(ok.success());
        self.child.wait().expect("wait")
    }
}

/// A test that fails leaves no server behind.
impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value printed after `key` on one of `lines`.
pub fn printed_value(lines: &[String], key: &str) -> String {
    lines
        .iter()
        .find_map(|l| l.trim().strip_prefix(key).map(|v| v.trim().to_owned()))
        .unwrap_or_else(|| panic!("{key} was printed in {lines:?}"))
}
