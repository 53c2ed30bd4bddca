//! The caller's connection is left as it was found: inside the caller's transaction (a test
//! transaction, `conn.transaction(..)`) a run works on fresh, migrated and Alembic-migrated
//! databases without aborting that transaction; SQLite's busy timeout is set back; a dry run
//! during another process's migration waits instead of failing.

use std::time::Duration;

use aludel::Options;
use aludel_graph::Direction;
use aludel_tests::{backends, revision, with_conn, Backend, TestDb, TestHistory};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection};

fn history() -> TestHistory {
    let history = TestHistory::new();
    history.add(
        "1_a.sql",
        &revision(
            "aaaa0001",
            "",
            "CREATE TABLE a (id INTEGER);",
            Some("DROP TABLE a;"),
        ),
    );
    history.add(
        "2_b.sql",
        &revision(
            "bbbb0002",
            "aaaa0001",
            "CREATE TABLE b (id INTEGER);",
            Some("DROP TABLE b;"),
        ),
    );
    history
}

#[derive(diesel::QueryableByName)]
struct Row {
    #[diesel(sql_type = diesel::sql_types::Text)]
    a: String,
}

fn strings(conn: &mut PgConnection, sql: &str) -> Vec<String> {
    let rows: Vec<Row> = diesel::sql_query(sql).load(conn).unwrap();
    rows.into_iter().map(|r| r.a).collect()
}

/// Makes the database as Alembic leaves it: its version table, no table of aludel's.
fn alembic_migrated(conn: &mut PgConnection) {
    conn.batch_execute(
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));
         CREATE TABLE a (id INTEGER); INSERT INTO alembic_version VALUES ('aaaa0001');",
    )
    .unwrap();
}

#[test]
fn postgres_runs_inside_the_callers_transaction() {
    let migrations = history().load();
    for start in ["fresh", "migrated", "alembic"] {
        // A test transaction, rolled back when the connection closes.
        let Some(db) = TestDb::new(Backend::Postgres) else {
            return;
        };
        let mut conn = PgConnection::establish(&db.url).unwrap();
        match start {
            "migrated" => {
                migrations
                    .migrator()
                    .upgrade(&mut conn, "aaaa0001")
                    .unwrap();
            }
            "alembic" => alembic_migrated(&mut conn),
            _ => {}
        }
        conn.begin_test_transaction().unwrap();
        let report = migrations
            .migrator()
            .run_pending(&mut conn)
            .unwrap_or_else(|e| panic!("{start}: {e}"));
        assert_eq!(report.heads_after, ["bbbb0002"], "{start}");
        // The transaction is usable: no query of aludel's aborted it.
        assert_eq!(strings(&mut conn, "SELECT CAST('ok' AS TEXT) AS a"), ["ok"]);
        assert_eq!(
            strings(&mut conn, "SELECT version_num AS a FROM alembic_version"),
            ["bbbb0002"]
        );
        assert!(migrations
            .migrator()
            .run_pending(&mut conn)
            .unwrap()
            .is_empty());
        drop(conn);
        // The test transaction was rolled back, aludel's work with it.
        let mut conn = PgConnection::establish(&db.url).unwrap();
        let expected: &[&str] = match start {
            "fresh" => &[],
            _ => &["aaaa0001"],
        };
        let versions = if start == "fresh" {
            Vec::new()
        } else {
            strings(&mut conn, "SELECT version_num AS a FROM alembic_version")
        };
        assert_eq!(
            versions, expected,
            "{start}: rolled back with the caller's transaction"
        );

        // Inside `conn.transaction(..)`, committed with it.
        conn.transaction(|c| -> Result<(), aludel::Error> {
            migrations.migrator().run_pending(c)?;
            assert_eq!(strings(c, "SELECT CAST('ok' AS TEXT) AS a"), ["ok"]);
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{start}: {e}"));
        assert_eq!(
            strings(&mut conn, "SELECT version_num AS a FROM alembic_version"),
            ["bbbb0002"]
        );
    }
}

#[test]
fn an_alembic_database_gets_aludels_tables_once_and_then_costs_one_query() {
    let migrations = history().load();
    let Some(db) = TestDb::new(Backend::Postgres) else {
        return;
    };
    let mut conn = PgConnection::establish(&db.url).unwrap();
    alembic_migrated(&mut conn);
    conn.batch_execute(
        "UPDATE alembic_version SET version_num = 'bbbb0002'; CREATE TABLE b (id INTEGER);",
    )
    .unwrap();
    // Nothing to apply, but aludel's tables are created on the first start...
    assert!(migrations
        .migrator()
        .run_pending(&mut conn)
        .unwrap()
        .is_empty());
    let tables = strings(
        &mut conn,
        "SELECT CAST(tablename AS TEXT) AS a FROM pg_tables WHERE schemaname = 'public' UNION ALL SELECT CAST(proname AS TEXT) FROM pg_proc WHERE pronamespace = CAST('public' AS regnamespace) ORDER BY 1",
    );
    assert!(
        tables.contains(&"aludel_revision_log".to_string())
            && tables.contains(&"aludel_revision_log_lineage".to_string()),
        "{tables:?}"
    );
    // ...so that every later start is one query that succeeds.
    let queries = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let seen = queries.clone();
    diesel::connection::Connection::set_instrumentation(
        &mut conn,
        move |event: diesel::connection::InstrumentationEvent<'_>| {
            if let diesel::connection::InstrumentationEvent::FinishQuery { query, error, .. } =
                event
            {
                seen.lock().unwrap().push(format!(
                    "{query} -> {}",
                    if error.is_some() { "error" } else { "ok" }
                ));
            }
        },
    );
    assert!(migrations
        .migrator()
        .run_pending(&mut conn)
        .unwrap()
        .is_empty());
    let queries = queries.lock().unwrap().clone();
    assert_eq!(queries.len(), 1, "{queries:?}");
    assert!(queries[0].ends_with("-> ok"), "{queries:?}");
}

#[test]
fn sqlite_busy_timeout_is_set_back() {
    let migrations = history().load();
    let Some(db) = TestDb::new(Backend::Sqlite) else {
        return;
    };
    let mut conn = SqliteConnection::establish(&db.url).unwrap();
    #[derive(diesel::QueryableByName)]
    struct Timeout {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        timeout: i64,
    }
    let timeout = |c: &mut SqliteConnection| -> i64 {
        let rows: Vec<Timeout> = diesel::sql_query("PRAGMA busy_timeout").load(c).unwrap();
        rows[0].timeout
    };
    conn.batch_execute("PRAGMA busy_timeout = 1234").unwrap();
    migrations.migrator().run_pending(&mut conn).unwrap();
    assert_eq!(timeout(&mut conn), 1234, "after run_pending");
    migrations.migrator().current(&mut conn).unwrap();
    migrations
        .migrator()
        .plan(&mut conn, Direction::Downgrade, "base")
        .unwrap();
    migrations
        .migrator()
        .downgrade(&mut conn, "aaaa0001")
        .unwrap();
    assert_eq!(
        timeout(&mut conn),
        1234,
        "after current, plan and downgrade"
    );
    // A failing run sets it back too.
    let err = migrations
        .migrator()
        .with_options(Options::default().version_table(""))
        .run_pending(&mut conn);
    assert!(err.is_err());
    migrations
        .migrator()
        .stamp(&mut conn, "heads", false)
        .unwrap();
    assert_eq!(timeout(&mut conn), 1234, "after stamp");
}

#[test]
fn a_dry_run_waits_for_another_migration_on_sqlite() {
    let migrations = history().load();
    let Some(db) = TestDb::new(Backend::Sqlite) else {
        return;
    };
    let mut conn = SqliteConnection::establish(&db.url).unwrap();
    migrations
        .migrator()
        .upgrade(&mut conn, "aaaa0001")
        .unwrap();
    // Another process holds the write lock (rollback journal: readers wait too) for a moment.
    let url = db.url.clone();
    let (locked, wait_locked) = std::sync::mpsc::channel();
    let holder = std::thread::spawn(move || {
        let mut other = SqliteConnection::establish(&url).unwrap();
        other
            .batch_execute("BEGIN EXCLUSIVE; INSERT INTO a VALUES (1);")
            .unwrap();
        locked.send(()).unwrap();
        std::thread::sleep(Duration::from_millis(300));
        other.batch_execute("COMMIT").unwrap();
    });
    wait_locked.recv().unwrap();
    let plan = migrations
        .migrator()
        .plan(&mut conn, Direction::Upgrade, "heads")
        .unwrap_or_else(|e| panic!("the dry run waits for the lock: {e}"));
    assert_eq!(plan.steps.len(), 1);
    holder.join().unwrap();
}

#[test]
fn sqlite_runs_inside_the_callers_transaction_and_mysql_refuses() {
    let migrations = history().load();
    for db in backends() {
        let mut conn = db.connect();
        let result = with_conn!(&mut conn, c => c.transaction(|c| -> Result<(), aludel::Error> {
            migrations.migrator().run_pending(c)?;
            Ok(())
        }));
        match db.backend {
            Backend::Mysql => {
                // DDL would commit the caller's transaction halfway: refused, nothing changed.
                let err = result.unwrap_err();
                assert!(
                    matches!(err, aludel::Error::OpenTransactionOnMysql),
                    "{err}"
                );
                assert!(!conn.has_table("alembic_version"));
            }
            _ => {
                result.unwrap_or_else(|e| panic!("{:?}: {e}", db.backend));
                assert_eq!(conn.versions(), ["bbbb0002"], "{:?}", db.backend);
            }
        }
    }
}
