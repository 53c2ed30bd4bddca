//! The service's Rust revision: a column added and backfilled from each user's name with typed
//! diesel queries, then made NOT NULL and unique, on SQLite and PostgreSQL; and undone.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking

use std::process::Command;

use aludel_tests::{Backend, TestDb};

fn run(program: &str, args: &[&str], url: &str) -> String {
    let output = Command::new(program)
        .args(args)
        .env("DATABASE_URL", url)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn the_rust_revision_backfills_existing_users_on_sqlite_and_postgres() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(db) = TestDb::new(backend) else {
            continue;
        };
        let what = format!("{backend:?}");
        let url = match backend {
            Backend::Sqlite => format!("sqlite://{}", db.url),
            _ => db.url.clone(),
        };
        let migrate = env!("CARGO_BIN_EXE_migrate");
        // The database as an earlier release of the service left it: users without handles.
        run(migrate, &["upgrade", "5e1f0a2b3c4d"], &url);
        let mut conn = db.connect();
        conn.batch("INSERT INTO users (id, name) VALUES (1, 'Ada Lovelace'), (2, 'Grace  Hopper'), (3, 'Édith Piaf')")
            .unwrap();

        // The new release migrates at startup, then works.
        let out = run(env!("CARGO_BIN_EXE_aludel-example-service"), &[], &url);
        assert!(
            out.contains("applied 7a8b9c0d1e2f") && out.contains("1 posts:"),
            "{what}: {out}"
        );
        assert_eq!(
            conn.strings("SELECT handle AS a FROM users ORDER BY id"),
            ["ada-lovelace-1", "grace-hopper-2", "édith-piaf-3", "user-4"],
            "{what}"
        );
        assert!(
            conn.batch("INSERT INTO users (id, name) VALUES (9, 'no handle')")
                .is_err(),
            "{what}: the handle is NOT NULL"
        );
        assert!(
            conn.batch("INSERT INTO users (id, name, handle) VALUES (9, 'again', 'user-4')")
                .is_err(),
            "{what}: the handle is unique"
        );

        // And back: the column goes, the rows stay.
        run(migrate, &["downgrade", "-1"], &url);
        assert_eq!(
            conn.strings("SELECT name AS a FROM users ORDER BY id"),
            ["Ada Lovelace", "Grace  Hopper", "Édith Piaf", "user 4"],
            "{what}"
        );
        conn.batch("INSERT INTO users (id, name) VALUES (9, 'no handle')")
            .unwrap();
    }
}

#[test]
fn the_standalone_command_line_lists_the_history_and_refuses_to_apply_it() {
    use clap::Parser;
    let versions = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/versions");
    let dir = aludel_tests::TempDir::new("aludel-standalone");
    let db = dir.0.join("service.db");
    let url = db.to_str().unwrap();
    let execute = |args: &[&str]| {
        let cli =
            aludel_cli::Cli::try_parse_from(["aludel", "--versions", versions].iter().chain(args))
                .unwrap();
        aludel_cli::execute(&cli, &dir.0)
    };
    let history = execute(&["history"]).unwrap();
    assert!(
        history.contains("5e1f0a2b3c4d -> 7a8b9c0d1e2f (head), add user handle"),
        "{history}"
    );
    let error = execute(&["upgrade", "heads", "--database-url", url])
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("this history has Rust revisions (7a8b9c0d1e2f in")
            && error.contains("aludel_cli::run_embedded"),
        "{error}"
    );
    assert!(!db.exists(), "nothing was created");
}
