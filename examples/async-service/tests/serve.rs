//! The service migrates at startup, then serves; a second replica finds nothing to migrate.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};

use aludel_tests::{Backend, TestDb};

/// A running service: its lines up to `listening on`, and its address.
struct Service {
    child: Child,
    lines: Vec<String>,
    address: String,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(url: &str) -> Service {
    let child = Command::new(env!("CARGO_BIN_EXE_aludel-example-async-service"))
        .env("DATABASE_URL", url)
        .env("ADDRESS", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Killed and waited for on drop, whatever happens below.
    let mut service = Service {
        child,
        lines: Vec::new(),
        address: String::new(),
    };
    let mut out = BufReader::new(service.child.stdout.take().unwrap());
    loop {
        let mut line = String::new();
        if out.read_line(&mut line).unwrap() == 0 {
            let mut err = String::new();
            let mut stderr = service.child.stderr.take().unwrap();
            stderr.read_to_string(&mut err).unwrap();
            panic!("the service stopped: {:?} {err}", service.lines);
        }
        let line = line.trim_end().to_string();
        let address = line.strip_prefix("listening on ").map(str::to_string);
        service.lines.push(line);
        if let Some(address) = address {
            service.address = address;
            return service;
        }
    }
}

fn get(address: &str) -> String {
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream
        .write_all(b"GET /hello HTTP/1.1\r\nhost: test\r\n\r\n")
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn migrates_at_startup_then_serves() {
    let Some(db) = TestDb::new(Backend::Postgres) else {
        return;
    };
    let first = start(&db.url);
    let applied = first
        .lines
        .iter()
        .filter(|l| l.starts_with("applied "))
        .count();
    assert_eq!(applied, 2, "{:?}", first.lines);
    assert!(get(&first.address).ends_with("1 visits\n"));
    let second = start(&db.url);
    assert!(
        !second.lines.iter().any(|l| l.starts_with("applied ")),
        "nothing to migrate the second time: {:?}",
        second.lines
    );
    assert!(get(&second.address).ends_with("2 visits\n"));
    assert_eq!(db.connect().versions(), ["9d0e1f2a3b4c"]);
}

#[test]
fn a_bad_url_is_a_clear_error_with_the_password_masked() {
    let output = Command::new(env!("CARGO_BIN_EXE_aludel-example-async-service"))
        .env("DATABASE_URL", "postgres://app:secret@127.0.0.1:1/nowhere")
        .env("ADDRESS", "127.0.0.1:0")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("error: cannot connect to postgres://app:***@127.0.0.1:1/nowhere"),
        "{stderr}"
    );
    assert!(!stderr.contains("secret"), "{stderr}");
}
