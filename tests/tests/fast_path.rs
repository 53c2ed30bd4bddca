//! `run_pending` on an up-to-date database costs one query, also for a history whose heads
//! include a revision that is only a dependency: for `a` (branch `x`), `c` and `b`
//! (down_revision `c`, depends_on `a`) the heads are `a` and `b`, but the version table holds
//! `b` alone after `upgrade heads`, and that is what the one query must find.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking

use std::sync::{Arc, Mutex};

use aludel_tests::{Backend, Conn, TestDb};
use diesel::connection::{Connection, InstrumentationEvent};

static MIGRATIONS: aludel::Migrations = aludel::embed_migrations!("fixtures/depends_on/versions");

/// Records the SQL of every query the connection starts.
fn record<C: Connection>(conn: &mut C) -> Arc<Mutex<Vec<String>>> {
    let queries = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&queries);
    conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            sink.lock().unwrap().push(query.to_string());
        }
    });
    queries
}

/// The queries of a `run_pending` on an up-to-date database.
fn no_op_queries<C: aludel::MigrationConnection + Connection>(conn: &mut C) -> Vec<String> {
    let report = MIGRATIONS.run_pending(conn).unwrap();
    assert_eq!(report.steps.len(), 3);
    let queries = record(conn);
    let report = MIGRATIONS.run_pending(conn).unwrap();
    assert!(report.is_empty(), "{report:?}");
    assert_eq!(report.heads_after, ["b"]);
    let queries = queries.lock().unwrap().clone();
    queries
}

#[test]
fn the_heads_and_the_version_table_differ_for_this_history() {
    assert_eq!(MIGRATIONS.heads(), ["a", "b"]);
}

#[test]
fn a_no_op_run_pending_is_one_query() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(db) = TestDb::new(backend) else {
            continue;
        };
        let queries = match db.connect() {
            Conn::Sqlite(mut c) => no_op_queries(&mut c),
            Conn::Postgres(mut c) => no_op_queries(&mut c),
            Conn::Mysql(mut c) => no_op_queries(&mut c),
        };
        // SQLite's connection setting (the busy timeout) is a pragma, not a query of the
        // database; the rest must be the one read of the version table.
        let reads: Vec<&String> = queries
            .iter()
            .filter(|q| !q.starts_with("PRAGMA busy_timeout"))
            .collect();
        assert_eq!(reads.len(), 1, "{backend:?}: {queries:#?}");
    }
}
