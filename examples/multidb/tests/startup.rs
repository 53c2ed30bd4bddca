//! The program migrates both databases at startup, each with its own sections and version
//! table; the next start finds nothing to migrate.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking

use std::process::Command;

use aludel_tests::{Backend, TempDir, TestDb};

fn start(main: &str, analytics: &str) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_aludel-example-multidb"))
        .env("MAIN_DATABASE", main)
        .env("ANALYTICS_URL", analytics)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn migrates_both_databases_at_startup() {
    let Some(analytics) = TestDb::new(Backend::Postgres) else {
        return;
    };
    let dir = TempDir::new("aludel-multidb-example");
    let main = dir.0.join("main.db").to_str().unwrap().to_string();
    let first = start(&main, &analytics.url);
    for line in [
        "main: applied 1a2b3c4d5e6f",
        "main: applied 7b8c9d0e1f2a",
        "analytics: applied 1a2b3c4d5e6f",
        "analytics: applied 7b8c9d0e1f2a",
        "main is at 7b8c9d0e1f2a",
        "analytics is at 7b8c9d0e1f2a",
        "user 1 signed up",
    ] {
        assert!(first.contains(line), "{line:?} in {first}");
    }
    let second = start(&main, &analytics.url);
    assert!(!second.contains("applied"), "nothing to migrate: {second}");
    assert!(second.contains("user 2 signed up"), "{second}");
    // Each database got its own sections and keeps its own version table.
    let mut pg = analytics.connect();
    assert_eq!(pg.versions(), ["7b8c9d0e1f2a"]);
    assert!(pg.has_table("events") && pg.has_table("app_settings") && !pg.has_table("users"));
    assert_eq!(
        pg.strings("SELECT CAST(COUNT(*) AS TEXT) AS a FROM events"),
        ["2"]
    );
}

#[test]
fn a_bad_url_is_a_clear_error_with_the_password_masked() {
    let dir = TempDir::new("aludel-multidb-example");
    let output = Command::new(env!("CARGO_BIN_EXE_aludel-example-multidb"))
        .env("MAIN_DATABASE", dir.0.join("main.db"))
        .env("ANALYTICS_URL", "postgres://app:secret@127.0.0.1:1/nowhere")
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
