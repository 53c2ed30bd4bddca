//! Real-world proof: crates.io's 285 diesel migrations (functions, triggers, extensions,
//! `CREATE INDEX CONCURRENTLY` with `run_in_transaction = false`), imported as an aludel
//! history, applied to PostgreSQL, then reverted as far as crates.io's own down.sql files
//! allow: 50 reverts succeed and the 51st (`2024-10-25-112826_make-unique-version-unique`, a
//! `run_in_transaction = false` migration) fails in crates.io's SQL; the error names that
//! revision and the database stays at it, consistent.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking

use aludel::{Error, LoadedMigrations};
use aludel_graph::import::read_diesel_dir;
use aludel_graph::GraphOptions;
use aludel_tests::{with_conn, Backend, TestDb};

#[path = "../../graph/tests/support/corpora.rs"]
mod corpora;

/// crates.io's history imported, or `None` with a note when the corpora are absent.
fn crates_io() -> Option<LoadedMigrations> {
    let dir = corpora::corpus("diesel/crates.io/migrations")?;
    let import = read_diesel_dir(&dir).unwrap_or_else(|e| panic!("{e}"));
    let files: Vec<(String, Vec<u8>)> = import
        .to_revisions()
        .into_iter()
        .map(|(name, text)| (format!("crates.io/{name}"), text.into_bytes()))
        .collect();
    assert_eq!(files.len(), 285);
    Some(
        LoadedMigrations::from_files(&files, &GraphOptions::default())
            .unwrap_or_else(|d| panic!("{d}")),
    )
}

#[test]
fn crates_io_history_applies_and_reverts_as_far_as_its_sql_allows() {
    let Some(db) = TestDb::new(Backend::Postgres) else {
        return;
    };
    let Some(migrations) = crates_io() else {
        return;
    };
    let non_transactional = migrations
        .graph()
        .revisions()
        .iter()
        .filter(|r| !r.transactional)
        .count();
    assert_eq!(non_transactional, 7);
    let mut conn = db.connect();
    let report = with_conn!(&mut conn, c => migrations.migrator().run_pending(c))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.steps.len(), 285);
    let head = migrations.graph().heads()[0].to_string();
    assert_eq!(conn.versions(), vec![head.clone()]);
    assert!(conn.has_table("crates") && conn.has_table("versions") && conn.has_table("users"));
    // Nothing left to do.
    assert!(
        with_conn!(&mut conn, c => migrations.migrator().run_pending(c))
            .unwrap()
            .is_empty()
    );

    // Revert everything: crates.io's own down.sql stops the 51st revert.
    let err = with_conn!(&mut conn, c => migrations.migrator().downgrade(c, "base")).unwrap_err();
    let Error::RevisionFailed {
        revision,
        path,
        completed,
        partial,
        message,
        ..
    } = &err
    else {
        panic!("expected a failing revision, got {err}")
    };
    assert_eq!(completed.len(), 50, "{err}");
    let history: Vec<&str> = migrations
        .graph()
        .walk()
        .iter()
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(revision, history[50], "the 51st revision from the top");
    assert_eq!(revision, "d20241025112826");
    assert!(
        *partial,
        "it runs outside a transaction, so the error says it may be partly applied"
    );
    assert!(
        err.to_string()
            .contains("runs outside a transaction (`transactional: false`)"),
        "{err}"
    );
    assert!(
        message.contains("versions_crate_id_num_no_build_uindex"),
        "the database's message: {message}"
    );
    assert!(path.contains(revision.as_str()), "{path}");
    assert!(!message.is_empty());
    // Consistent: the database is exactly at the failing revision, and a retry fails the same
    // way without changing anything.
    assert_eq!(conn.versions(), vec![revision.clone()]);
    let again = with_conn!(&mut conn, c => migrations.migrator().downgrade(c, "-1")).unwrap_err();
    assert!(
        again
            .to_string()
            .contains(&format!("downgrade of revision {revision}")),
        "{again}"
    );
    assert_eq!(conn.versions(), vec![revision.clone()]);
    eprintln!("the 51st revert fails as expected: {err}");
}
