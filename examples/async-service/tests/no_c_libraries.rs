//! A crate that uses only aludel's async PostgreSQL and MySQL backends links neither libpq nor
//! libmysqlclient: diesel-async's drivers are pure Rust. `cargo tree` of this example (which
//! enables exactly `async-postgres`, `async-mysql` and `deadpool`) lists no `-sys` crate of
//! either library.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking

use std::process::Command;

#[test]
fn the_async_backends_need_no_c_client_libraries() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let output = Command::new(cargo)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "tree",
            "--locked",
            "-p",
            env!("CARGO_PKG_NAME"),
            "-e",
            "normal,build",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let tree = String::from_utf8(output.stdout).unwrap();
    for crate_name in [
        "aludel ",
        "diesel-async ",
        "tokio-postgres ",
        "mysql_async ",
    ] {
        assert!(
            tree.lines().any(|l| l.starts_with(crate_name)),
            "{crate_name}is in the tree: {tree}"
        );
    }
    let linked: Vec<&str> = tree
        .lines()
        .filter(|l| {
            ["pq-sys ", "mysqlclient-sys ", "pq-src ", "mysqlclient-src "]
                .iter()
                .any(|c| l.starts_with(c))
        })
        .collect();
    assert!(
        linked.is_empty(),
        "C client libraries in the tree: {linked:?}"
    );
}
