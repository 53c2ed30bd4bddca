//! `src/bin/migrate.rs`: the `aludel` commands against the revisions embedded in the binary.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking

use std::path::PathBuf;
use std::process::Command;

use diesel::{Connection, RunQueryDsl, SqliteConnection};

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn migrate(dir: &PathBuf, args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_migrate"))
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .output()
        .unwrap();
    Run {
        code: output.status.code(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

/// Durations (`0.4 ms`, `2.35 s`) as `<t>`.
fn normalise(text: &str) -> String {
    text.lines()
        .map(|line| match line.rsplit_once(" ... ") {
            Some((head, _)) => format!("{head} ... <t>\n"),
            None => format!("{line}\n"),
        })
        .collect()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("aludel-migrate-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn every_database_command_runs_against_the_embedded_revisions() {
    // No revision files anywhere near: the revisions are in the binary.
    let dir = temp_dir("commands");
    let url = "sqlite://service.db";

    let check = migrate(&dir, &["check", "--database-url", url]);
    assert_eq!(check.code, Some(1));
    assert_eq!(check.stderr, "error: SQLite database file service.db does not exist (commands that only read, such as current, check and --dry-run, create nothing; `migrate upgrade` creates it)\n");
    assert!(!dir.join("service.db").exists(), "check creates nothing");

    let up = migrate(&dir, &["upgrade", "heads", "--database-url", url]);
    assert_eq!((up.code, up.stdout.as_str()), (Some(0), ""));
    assert_eq!(
        normalise(&up.stderr),
        "upgrade <base> -> 5e1f0a2b3c4d, create users and posts ... <t>\n\
         upgrade 5e1f0a2b3c4d -> 7a8b9c0d1e2f, add user handle, backfilled from the name ... <t>\n\
         database at 7a8b9c0d1e2f\n"
    );

    let current = migrate(&dir, &["current", "--database-url", url]);
    assert_eq!(
        (
            current.code,
            current.stdout.as_str(),
            current.stderr.as_str()
        ),
        (Some(0), "7a8b9c0d1e2f (head)\n", "")
    );
    let check = migrate(&dir, &["check", "--database-url", url]);
    assert_eq!(
        (check.code, check.stderr.as_str()),
        (Some(0), "database is at heads (7a8b9c0d1e2f)\n")
    );

    // DATABASE_URL works as well as the flag; history needs no database.
    let history = migrate(&dir, &["history"]);
    assert_eq!(history.code, Some(0));
    assert_eq!(
        history.stdout,
        "5e1f0a2b3c4d -> 7a8b9c0d1e2f (head), add user handle, backfilled from the name\n\
         <base> -> 5e1f0a2b3c4d, create users and posts\n"
    );
    let down = Command::new(env!("CARGO_BIN_EXE_migrate"))
        .args(["downgrade", "-1"])
        .current_dir(&dir)
        .env("DATABASE_URL", url)
        .output()
        .unwrap();
    assert!(down.status.success());
    assert_eq!(
        normalise(&String::from_utf8(down.stderr).unwrap()),
        "downgrade 7a8b9c0d1e2f -> 5e1f0a2b3c4d, add user handle, backfilled from the name ... <t>\ndatabase at 5e1f0a2b3c4d\n"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn commands_on_revision_files_are_refused() {
    let dir = temp_dir("refused");
    for (args, what) in [
        (&["revision", "-m", "x"][..], "revision"),
        (&["--versions", "v", "heads"][..], "--versions"),
    ] {
        let run = migrate(&dir, args);
        assert_eq!(run.code, Some(1), "{args:?}");
        assert_eq!(run.stdout, "");
        assert_eq!(
            run.stderr,
            format!("error: `{what}` works on revision files, but this program embeds its revisions; run it with the `aludel` command in the project instead\n")
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_aludel_toml_in_the_current_directory_names_the_database() {
    let dir = temp_dir("config");
    std::fs::write(
        dir.join("aludel.toml"),
        "database_url = \"sqlite://from-config.db\"\nversion_table = \"service_version\"\n",
    )
    .unwrap();
    let up = migrate(&dir, &["upgrade", "+1"]);
    assert_eq!(up.code, Some(0), "{}", up.stderr);
    assert!(dir.join("from-config.db").exists());
    let current = migrate(&dir, &["current"]);
    assert_eq!(current.stdout, "5e1f0a2b3c4d\n");

    // The configured version table holds the row, and no alembic_version was made.
    let tables = |sql: &str| -> Vec<String> {
        #[derive(diesel::QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Text)]
            a: String,
        }
        let url = dir.join("from-config.db");
        let mut conn = SqliteConnection::establish(url.to_str().unwrap()).unwrap();
        let rows: Vec<Row> = diesel::sql_query(sql).load(&mut conn).unwrap();
        rows.into_iter().map(|r| r.a).collect()
    };
    assert_eq!(
        tables("SELECT version_num AS a FROM service_version"),
        ["5e1f0a2b3c4d"]
    );
    assert_eq!(
        tables(
            "SELECT name AS a FROM sqlite_master WHERE type = 'table' AND name LIKE '%version%'"
        ),
        ["service_version"]
    );
    let _ = std::fs::remove_dir_all(&dir);
}
