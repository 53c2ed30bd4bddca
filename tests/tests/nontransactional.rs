//! A `transactional: false` revision on SQLite, where no lock outlives a transaction: when
//! another migrator applies the same revision while this one runs its SQL outside any
//! transaction, the revision is recorded once (one version-table move, one log row) and this
//! migrator says what happened instead of reporting the revision as its own.
//!
//! The other migrator runs at a chosen moment: the revision's SQL calls a function the test
//! registers on the connection, which migrates the database on a second connection (the file
//! is in WAL mode, so the first connection's read statement does not block the second's
//! writes).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use aludel::Error;
use aludel_tests::{revision, TestDb, TestHistory};
use diesel::connection::SimpleConnection;
use diesel::expression::functions::declare_sql_function;
use diesel::{Connection, RunQueryDsl, SqliteConnection};

#[declare_sql_function]
extern "SQL" {
    /// The test's hook, called by the revision's SQL.
    fn aludel_test_hook() -> diesel::sql_types::Integer;
}

fn history() -> TestHistory {
    let history = TestHistory::new();
    history.add(
        "1_a.sql",
        &revision("r1", "", "CREATE TABLE a (id INTEGER);", None),
    );
    history.add(
        "2_b.sql",
        "-- revision: r2\n-- down_revision: r1\n-- transactional: false\n\n-- upgrade\nSELECT aludel_test_hook();\n",
    );
    history.add(
        "3_c.sql",
        &revision("r3", "r2", "CREATE TABLE c (id INTEGER);", None),
    );
    history
}

#[test]
fn sqlite_revision_outside_a_transaction_applied_meanwhile_by_another_migrator() {
    let db = TestDb::new(aludel_tests::Backend::Sqlite).unwrap();
    let history = history();
    let migrations = Arc::new(history.load());
    let mut conn = SqliteConnection::establish(&db.url).unwrap();
    conn.batch_execute("PRAGMA journal_mode = WAL").unwrap();

    let other_ran = Arc::new(AtomicBool::new(false));
    let (url, others, ran) = (
        db.url.clone(),
        Arc::clone(&migrations),
        Arc::clone(&other_ran),
    );
    aludel_test_hook_utils::register_nondeterministic_impl(&conn, move || {
        if !ran.swap(true, Ordering::SeqCst) {
            // Another migrator applies everything while this statement runs.
            let mut other = SqliteConnection::establish(&url).unwrap();
            aludel_test_hook_utils::register_nondeterministic_impl(&other, || 0).unwrap();
            let report = others.migrator().run_pending(&mut other).unwrap();
            let ids: Vec<&str> = report.steps.iter().map(|s| s.revision.as_str()).collect();
            assert_eq!(ids, ["r2", "r3"], "the other migrator");
        }
        1
    })
    .unwrap();

    let error = migrations.migrator().run_pending(&mut conn).unwrap_err();
    assert!(other_ran.load(Ordering::SeqCst));
    match &error {
        Error::AppliedMeanwhile {
            revision,
            completed,
            ..
        } => {
            assert_eq!(revision, "r2");
            let ids: Vec<&str> = completed.iter().map(|c| c.revision.as_str()).collect();
            assert_eq!(ids, ["r1"], "what this migrator completed");
        }
        other => panic!("expected AppliedMeanwhile, got {other:?}"),
    }
    let message = error.to_string();
    assert!(
        message.contains("r2") && message.contains("ran twice"),
        "{message}"
    );

    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        a: String,
    }
    let rows: Vec<Row> = diesel::sql_query("SELECT version_num AS a FROM alembic_version")
        .load(&mut conn)
        .unwrap();
    let versions: Vec<String> = rows.into_iter().map(|r| r.a).collect();
    assert_eq!(versions, ["r3"]);
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT revision AS a FROM aludel_revision_log WHERE direction = 'upgrade' ORDER BY id",
    )
    .load(&mut conn)
    .unwrap();
    let logged: Vec<String> = rows.into_iter().map(|r| r.a).collect();
    assert_eq!(logged, ["r1", "r2", "r3"], "each revision logged once");

    // The next run finds nothing to do.
    let again = migrations.migrator().run_pending(&mut conn).unwrap();
    assert!(again.steps.is_empty());
}
