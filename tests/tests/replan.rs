//! A migrator that finds the version table moved by another migrator between its plan and a
//! revision plans again from the new state: it applies nothing twice, fails nothing, and
//! leaves its connection outside any transaction. The other migrator runs at a chosen moment
//! (when the first announces its second revision), so the race is not left to timing.
//!
//! MySQL is not here: its run lock (`GET_LOCK`) is held for the whole run, so no other
//! migrator can move the table in the middle of one.

use std::sync::atomic::{AtomicBool, Ordering};

use aludel::{Progress, Report};
use aludel_tests::{revision, with_conn, Backend, TestDb, TestHistory};
use diesel::Connection;

/// r1 -> r2 -> r3. With `repeatable`, each revision's SQL also succeeds a second time, so
/// only the version-table check can tell that r2 ran on a stale plan; without, the SQL
/// itself fails first ("already exists").
fn history(repeatable: bool) -> TestHistory {
    let history = TestHistory::new();
    let exists = if repeatable { "IF NOT EXISTS " } else { "" };
    for (i, id) in ["r1", "r2", "r3"].iter().enumerate() {
        let down = if i == 0 {
            String::new()
        } else {
            format!("r{i}")
        };
        history.add(
            &format!("{}_{id}.sql", i + 1),
            &revision(
                id,
                &down,
                &format!("CREATE TABLE {exists}t_{id} (id INTEGER);"),
                Some(&format!("DROP TABLE t_{id};")),
            ),
        );
    }
    history
}

fn check(backend: Backend) {
    for repeatable in [false, true] {
        check_one(backend, repeatable);
    }
}

fn check_one(backend: Backend, repeatable: bool) {
    let Some(db) = TestDb::new(backend) else {
        return;
    };
    let migrations = history(repeatable).load();
    let other_ran = AtomicBool::new(false);
    let interrupt = |event: Progress<'_>| {
        if let Progress::Started { step } = event {
            let id = step.revision.map(|r| r.id.as_str());
            if id == Some("r2") && !other_ran.swap(true, Ordering::SeqCst) {
                // Another migrator, on its own connection, applies r2 and r3 first.
                let mut other = db.connect();
                let report =
                    with_conn!(&mut other, c => migrations.migrator().run_pending(c)).unwrap();
                let ids: Vec<&str> = report.steps.iter().map(|s| s.revision.as_str()).collect();
                assert_eq!(ids, ["r2", "r3"], "{backend:?}: the other migrator");
            }
        }
    };
    let mut conn = db.connect();
    let report: Report = with_conn!(&mut conn, c => {
        let report = migrations.migrator().with_progress(&interrupt).run_pending(c).unwrap();
        // The connection is outside any transaction: diesel can open one.
        c.transaction(|_| Ok::<_, diesel::result::Error>(())).unwrap();
        report
    });
    assert!(
        other_ran.load(Ordering::SeqCst),
        "{backend:?}: the other migrator ran"
    );
    let ids: Vec<&str> = report.steps.iter().map(|s| s.revision.as_str()).collect();
    assert_eq!(ids, ["r1"], "{backend:?}: this migrator applied r1 only");
    assert_eq!(report.heads_after, ["r3"], "{backend:?}");
    assert_eq!(conn.versions(), ["r3"], "{backend:?}");
    let mut logged = conn.strings(
        "SELECT revision AS a FROM aludel_revision_log WHERE direction = 'upgrade' ORDER BY id",
    );
    logged.sort();
    assert_eq!(
        logged,
        ["r1", "r2", "r3"],
        "{backend:?}: each revision once"
    );
    // The next run finds nothing to do.
    let again = with_conn!(&mut conn, c => migrations.migrator().run_pending(c)).unwrap();
    assert!(again.steps.is_empty(), "{backend:?}");
}

#[test]
fn sqlite_plans_again_when_another_migrator_moved_the_table() {
    check(Backend::Sqlite);
}

#[test]
fn postgres_plans_again_when_another_migrator_moved_the_table() {
    check(Backend::Postgres);
}
