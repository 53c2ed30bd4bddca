//! `aludel import diesel DIR` on both real diesel folders, into a project, and the takeover of
//! a database diesel manages.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking

use std::path::{Path, PathBuf};

use aludel_tests::TempDir;
use common::Run;

mod common;

/// `aludel args...` in `dir`, without `DATABASE_URL`, no colours.
fn aludel(dir: &Path, args: &[&str]) -> Run {
    common::run(
        dir,
        &[("DATABASE_URL", None), ("NO_COLOR", Some("1"))],
        &[],
        args,
    )
}

#[path = "../../graph/tests/support/corpora.rs"]
mod corpora;

/// The migrations of a diesel history of the corpora, or `None` with a note when absent.
fn corpus(name: &str) -> Option<PathBuf> {
    let dir = corpora::corpus(&format!("diesel/{name}/migrations"))?;
    Some(dir.canonicalize().unwrap())
}

fn project() -> TempDir {
    let dir = TempDir::new("aludel-import");
    let init = aludel(&dir.0, &["init"]);
    assert_eq!(init.code, Some(0), "{}", init.stderr);
    dir
}

#[test]
fn imports_both_real_diesel_folders() {
    for (name, count, skipped) in [("crates.io", 285, 2), ("lemmy", 342, 0)] {
        let dir = project();
        let Some(source) = corpus(name) else {
            continue;
        };
        let run = aludel(&dir.0, &["import", "diesel", source.to_str().unwrap()]);
        assert_eq!(run.code, Some(0), "{name}: {}", run.stderr);
        assert_eq!(
            run.stdout.lines().count(),
            count,
            "{name}: one written file per migration"
        );
        assert!(run
            .stdout
            .lines()
            .all(|l| l.starts_with("migrations/versions/") && l.ends_with(".sql")));
        assert_eq!(
            run.stderr.matches("Skipping ").count(),
            skipped,
            "{}",
            run.stderr
        );
        assert!(
            run.stderr
                .contains(&format!("Imported {count} diesel migrations")),
            "{}",
            run.stderr
        );
        let heads = aludel(&dir.0, &["heads"]);
        assert_eq!(heads.code, Some(0), "{}", heads.stderr);
        assert_eq!(
            heads.stdout.lines().count(),
            1,
            "a linear history: {}",
            heads.stdout
        );
        let history = aludel(&dir.0, &["history"]);
        assert_eq!(history.stdout.lines().count(), count);
        assert!(
            history
                .stdout
                .lines()
                .last()
                .unwrap()
                .starts_with("<base> -> d00000000000000, diesel initial setup"),
            "{}",
            history.stdout
        );
        // A second import is refused: the versions directory is no longer empty.
        let again = aludel(&dir.0, &["import", "diesel", source.to_str().unwrap()]);
        assert_eq!(again.code, Some(1));
        assert!(again.stdout.is_empty());
        assert!(
            again
                .stderr
                .starts_with("error: migrations/versions already holds revisions"),
            "{}",
            again.stderr
        );
    }
}

#[test]
fn a_missing_folder_is_a_clear_error() {
    let dir = project();
    let run = aludel(&dir.0, &["import", "diesel", "no/such/dir"]);
    assert_eq!(run.code, Some(1));
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr.starts_with("error: cannot import no/such/dir: "),
        "{}",
        run.stderr
    );
}

#[test]
fn imported_history_takes_over_a_diesel_database() {
    let dir = project();
    let diesel = TempDir::new("diesel-src");
    for (name, up, down) in [
        (
            "2024-01-01-000000_users",
            "CREATE TABLE users (id INTEGER PRIMARY KEY);",
            "DROP TABLE users;",
        ),
        (
            "2024-02-01-000000_posts",
            "CREATE TABLE posts (id INTEGER PRIMARY KEY);",
            "DROP TABLE posts;",
        ),
    ] {
        diesel.write(&format!("{name}/up.sql"), up);
        diesel.write(&format!("{name}/down.sql"), down);
    }
    let run = aludel(&dir.0, &["import", "diesel", diesel.0.to_str().unwrap()]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    // A database diesel_migrations ran the first migration on.
    let db = dir.0.join("app.db");
    {
        use diesel::connection::SimpleConnection;
        use diesel::Connection;
        let mut conn = diesel::SqliteConnection::establish(db.to_str().unwrap()).unwrap();
        conn.batch_execute("CREATE TABLE __diesel_schema_migrations (version VARCHAR(50) PRIMARY KEY NOT NULL, run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP); CREATE TABLE users (id INTEGER PRIMARY KEY); INSERT INTO __diesel_schema_migrations (version) VALUES ('20240101000000');").unwrap();
    }
    let url = db.to_str().unwrap();
    let stamp = aludel(&dir.0, &["stamp", "--from-diesel", "--database-url", url]);
    assert_eq!(stamp.code, Some(0), "{}", stamp.stderr);
    let upgrade = aludel(&dir.0, &["upgrade", "heads", "--database-url", url]);
    assert_eq!(upgrade.code, Some(0), "{}", upgrade.stderr);
    assert!(
        upgrade
            .stderr
            .contains("upgrade d20240101000000 -> d20240201000000, posts"),
        "{}",
        upgrade.stderr
    );
    assert!(
        !upgrade.stderr.contains("-> d20240101000000"),
        "the migration diesel ran is not run again: {}",
        upgrade.stderr
    );
    let check = aludel(&dir.0, &["check", "--database-url", url]);
    assert_eq!(check.code, Some(0), "{}", check.stderr);
}
