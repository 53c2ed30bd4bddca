//! The service migrates at startup, then works; the next start finds nothing to migrate.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking

use std::process::Command;

fn start(url: &str) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_aludel-example-service"))
        .env("DATABASE_URL", url)
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
fn migrates_at_startup_then_works() {
    let dir = std::env::temp_dir().join(format!("aludel-service-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("service.db").display());
    let first = start(&url);
    assert_eq!(first.matches("applied ").count(), 2, "{first}");
    assert!(
        first.contains("is at 7a8b9c0d1e2f") && first.contains("1 posts:"),
        "{first}"
    );
    let second = start(&url);
    assert!(
        !second.contains("applied "),
        "nothing to migrate the second time: {second}"
    );
    assert!(second.contains("2 posts:"), "{second}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_bad_url_is_a_clear_error_with_the_password_masked() {
    let output = Command::new(env!("CARGO_BIN_EXE_aludel-example-service"))
        .env("DATABASE_URL", "postgres://app:secret@127.0.0.1:1/nowhere")
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
