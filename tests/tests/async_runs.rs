//! The async calls on diesel-async connections (SQLite through `SyncConnectionWrapper`,
//! PostgreSQL, MariaDB): every call, on `current_thread` and multi-thread runtimes, in a spawned
//! task, racing tasks, a run dropped by a timeout, pooled connections (deadpool, bb8), a
//! failing revision, drift, the one-query no-op check and Rust revisions.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aludel::{Direction, Error};
use aludel_tests::asynchronous::{AsyncConn, AsyncSqlite};
use aludel_tests::race::{self, mismatches};
use aludel_tests::{backends, revision, with_async_conn, Backend, TestDb, TestHistory};
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::{AsyncConnection, AsyncMysqlConnection, AsyncPgConnection};

static DEPENDS_ON: aludel::Migrations = aludel::embed_migrations!("fixtures/depends_on/versions");
static EMAIL: aludel::Migrations = aludel::embed_migrations!("fixtures/rust_revisions/versions");

/// Three revisions in a line, each creating a table.
fn three() -> TestHistory {
    let history = TestHistory::new();
    history
        .add(
            "1.sql",
            &revision(
                "r1",
                "",
                "CREATE TABLE t1 (id INTEGER PRIMARY KEY);",
                Some("DROP TABLE t1;"),
            ),
        )
        .add(
            "2.sql",
            &revision(
                "r2",
                "r1",
                "CREATE TABLE t2 (id INTEGER PRIMARY KEY);",
                Some("DROP TABLE t2;"),
            ),
        )
        .add(
            "3.sql",
            &revision(
                "r3",
                "r2",
                "CREATE TABLE t3 (id INTEGER PRIMARY KEY);",
                Some("DROP TABLE t3;"),
            ),
        );
    history
}

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn multi_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn every_call_works_on_a_current_thread_runtime() {
    for db in backends() {
        let what = format!("{:?}", db.backend);
        let migrations = three().load();
        current_thread().block_on(async {
            let mut conn = db.connect_async().await;
            with_async_conn!(&mut conn, c => {
                let m = migrations.migrator();
                assert!(m.current_async(c).await.unwrap().is_empty(), "{what}");
                let plan = m.plan_async(c, Direction::Upgrade, "heads").await.unwrap();
                assert_eq!(plan.steps.len(), 3, "{what}");
                let report = m.run_pending_async(c).await.unwrap();
                assert_eq!(report.steps.len(), 3, "{what}");
                assert!(m.run_pending_async(c).await.unwrap().is_empty(), "{what}");
                assert_eq!(m.current_async(c).await.unwrap(), ["r3"], "{what}");
                let report = m.downgrade_async(c, "-1").await.unwrap();
                assert_eq!(report.heads_after, ["r2"], "{what}");
                let report = m.upgrade_async(c, "r3").await.unwrap();
                assert_eq!(report.steps.len(), 1, "{what}");
                let report = m.stamp_async(c, "r1", false).await.unwrap();
                assert_eq!(report.heads_after, ["r1"], "{what}");
                assert_eq!(m.current_async(c).await.unwrap(), ["r1"], "{what}");
            });
        });
        let mut sync = db.connect();
        assert_eq!(sync.versions(), ["r1"], "{what}");
        assert!(sync.has_table("t3"), "{what}: the stamp ran no SQL");
        let upgrades = sync.strings(
            "SELECT revision AS a FROM aludel_revision_log WHERE direction = 'upgrade' ORDER BY id",
        );
        assert_eq!(upgrades, ["r1", "r2", "r3", "r3"], "{what}");
    }
}

fn assert_send<T: Send>(value: T) -> T {
    value
}

#[test]
fn the_future_is_send_and_runs_in_a_spawned_task() {
    for db in backends() {
        let what = format!("{:?}", db.backend);
        let url = db.url.clone();
        let backend = db.backend;
        let report = multi_thread().block_on(async move {
            let task = tokio::spawn(async move {
                let db_url = url;
                match backend {
                    Backend::Sqlite => {
                        let mut c = AsyncSqlite::establish(&db_url).await.unwrap();
                        assert_send(DEPENDS_ON.run_pending_async(&mut c)).await
                    }
                    Backend::Postgres => {
                        let mut c = AsyncPgConnection::establish(&db_url).await.unwrap();
                        assert_send(DEPENDS_ON.run_pending_async(&mut c)).await
                    }
                    Backend::Mysql => {
                        let mut c = AsyncMysqlConnection::establish(&db_url).await.unwrap();
                        assert_send(DEPENDS_ON.run_pending_async(&mut c)).await
                    }
                }
            });
            task.await.unwrap()
        });
        let report = report.unwrap();
        assert_eq!(report.steps.len(), 3, "{what}");
        assert_eq!(db.connect().versions(), ["b"], "{what}");
    }
}

#[test]
fn sixteen_tasks_in_one_runtime_apply_each_revision_once() {
    for db in backends() {
        let what = format!("{:?}", db.backend);
        let (history, ids) = race::linear(db.backend, 20);
        let migrations = Arc::new(history.load());
        let db = Arc::new(db);
        let applied: usize = multi_thread().block_on(async {
            let tasks: Vec<_> = (0..16)
                .map(|_| {
                    let migrations = Arc::clone(&migrations);
                    let db = Arc::clone(&db);
                    tokio::spawn(async move {
                        let mut conn = db.connect_async().await;
                        let report =
                            with_async_conn!(&mut conn, c => migrations.migrator().run_pending_async(c).await);
                        report.unwrap().steps.len()
                    })
                })
                .collect();
            let mut applied = 0;
            for task in tasks {
                applied += task.await.unwrap();
            }
            applied
        });
        assert_eq!(
            applied, 20,
            "{what}: the tasks applied 20 revisions between them"
        );
        let mut conn = db.connect();
        assert_eq!(conn.versions(), ["r0019"], "{what}");
        let upgrades = conn
            .strings("SELECT revision AS a FROM aludel_revision_log WHERE direction = 'upgrade'");
        let wrong = mismatches(&ids, &upgrades);
        assert!(
            wrong.is_empty(),
            "{what}: one upgrade row per revision: {wrong:?}"
        );
    }
}

/// A statement that takes about `seconds` on `backend`.
fn sleep(backend: Backend, seconds: u32) -> String {
    match backend {
        Backend::Postgres => format!("SELECT pg_sleep({seconds});"),
        Backend::Mysql => format!("DO SLEEP({seconds});"),
        // About a second per 3,000,000 rows counted, in a debug build or not.
        Backend::Sqlite => format!(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {}) SELECT count(*) FROM c;",
            3_000_000 * seconds
        ),
    }
}

/// r1, then r2 that creates a table and sleeps, then r3.
fn slow_second(backend: Backend) -> TestHistory {
    let history = TestHistory::new();
    let slow = format!(
        "CREATE TABLE t2 (id INTEGER PRIMARY KEY);\n{}",
        sleep(backend, 2)
    );
    history
        .add(
            "1.sql",
            &revision("r1", "", "CREATE TABLE t1 (id INTEGER PRIMARY KEY);", None),
        )
        .add("2.sql", &revision("r2", "r1", &slow, None))
        .add(
            "3.sql",
            &revision(
                "r3",
                "r2",
                "CREATE TABLE t3 (id INTEGER PRIMARY KEY);",
                None,
            ),
        );
    history
}

#[test]
fn a_run_dropped_by_a_timeout_leaves_the_database_consistent_and_the_next_run_completes() {
    for db in backends() {
        let what = format!("{:?}", db.backend);
        let migrations = slow_second(db.backend).load();
        // diesel-async's SyncConnectionWrapper waits for a cancelled request with
        // `block_in_place`, which panics on a `current_thread` runtime (diesel_async#281 and
        // its fix): SQLite's run is cancelled on a multi-thread runtime.
        let runtime = match db.backend {
            Backend::Sqlite => multi_thread(),
            _ => current_thread(),
        };
        runtime.block_on(async {
            let mut conn = db.connect_async().await;
            let dropped = with_async_conn!(&mut conn, c => {
                tokio::time::timeout(Duration::from_millis(700), migrations.migrator().run_pending_async(c)).await
            });
            assert!(dropped.is_err(), "{what}: the run was still in r2 when the timeout fired");
            // The caller drops the connection whose call was cancelled: the server rolls back
            // r2's transaction and releases the migration lock.
            drop(conn);
            let mut conn = db.connect_async().await;
            if db.backend == Backend::Mysql {
                // DDL commits at once: r2's CREATE TABLE stays, as after a killed process,
                // while the version table recorded only r1. The rerun says that r2 failed and
                // may be partly applied; once its table is dropped, the next run completes.
                let error = with_async_conn!(&mut conn, c => migrations.migrator().run_pending_async(c).await).unwrap_err();
                assert!(
                    matches!(&error, Error::RevisionFailed { revision, partial: true, .. } if revision == "r2"),
                    "{what}: {error}"
                );
                assert_eq!(db.connect().versions(), ["r1"], "{what}");
                db.connect().batch("DROP TABLE t2").unwrap();
            }
            let report = with_async_conn!(&mut conn, c => migrations.migrator().run_pending_async(c).await).unwrap();
            let ran: Vec<&str> = report.steps.iter().map(|s| s.revision.as_str()).collect();
            assert_eq!(ran, ["r2", "r3"], "{what}: r2 was not recorded and runs again");
        });
        let mut sync = db.connect();
        assert_eq!(sync.versions(), ["r3"], "{what}");
        let upgrades = sync.strings(
            "SELECT revision AS a FROM aludel_revision_log WHERE direction = 'upgrade' ORDER BY id",
        );
        assert_eq!(
            upgrades,
            ["r1", "r2", "r3"],
            "{what}: each revision recorded once"
        );
    }
}

#[test]
fn a_pool_replaces_the_connection_of_a_dropped_run() {
    // PostgreSQL: the pooled connection held r2's transaction and the advisory lock; the pool
    // must not lend it again.
    let Some(db) = TestDb::new(Backend::Postgres) else {
        return;
    };
    let migrations = slow_second(Backend::Postgres).load();
    current_thread().block_on(async {
        let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new(&db.url);
        let pool = diesel_async::pooled_connection::deadpool::Pool::builder(manager)
            .max_size(1)
            .build()
            .unwrap();
        let mut conn = pool.get().await.unwrap();
        let dropped = tokio::time::timeout(
            Duration::from_millis(700),
            migrations.migrator().run_pending_async(&mut conn),
        )
        .await;
        assert!(dropped.is_err());
        drop(conn);
        let mut conn = pool.get().await.unwrap();
        let report = migrations
            .migrator()
            .run_pending_async(&mut conn)
            .await
            .unwrap();
        let ran: Vec<&str> = report.steps.iter().map(|s| s.revision.as_str()).collect();
        assert_eq!(ran, ["r2", "r3"]);
    });
    assert_eq!(db.connect().versions(), ["r3"]);
}

#[test]
fn pooled_connections_migrate() {
    for db in backends() {
        let what = format!("{:?}", db.backend);
        let migrations = three().load();
        current_thread().block_on(async {
            // Up through a deadpool connection, down through a bb8 one.
            macro_rules! through_pools {
                ($conn:ty) => {{
                    let manager = AsyncDieselConnectionManager::<$conn>::new(&db.url);
                    let deadpool =
                        diesel_async::pooled_connection::deadpool::Pool::builder(manager)
                            .build()
                            .unwrap();
                    let report = migrations
                        .migrator()
                        .run_pending_async(&mut deadpool.get().await.unwrap())
                        .await
                        .unwrap();
                    assert_eq!(report.steps.len(), 3, "{what}");
                    let manager = AsyncDieselConnectionManager::<$conn>::new(&db.url);
                    let bb8 = diesel_async::pooled_connection::bb8::Pool::builder()
                        .build(manager)
                        .await
                        .unwrap();
                    let report = migrations
                        .migrator()
                        .downgrade_async(&mut bb8.get().await.unwrap(), "base")
                        .await
                        .unwrap();
                    assert_eq!(report.steps.len(), 3, "{what}");
                }};
            }
            match db.backend {
                Backend::Sqlite => through_pools!(AsyncSqlite),
                Backend::Postgres => through_pools!(AsyncPgConnection),
                Backend::Mysql => through_pools!(AsyncMysqlConnection),
            }
        });
        assert!(db.connect().versions().is_empty(), "{what}");
    }
}

#[test]
fn a_failing_revision_is_named_and_rolled_back() {
    for db in backends() {
        let what = format!("{:?}", db.backend);
        let history = TestHistory::new();
        history
            .add("1.sql", &revision("r1", "", "CREATE TABLE t1 (id INTEGER PRIMARY KEY);", None))
            .add("2.sql", &revision("r2", "r1", "CREATE TABLE t2 (id INTEGER PRIMARY KEY);\nINSERT INTO no_such_table VALUES (1);", None));
        let migrations = history.load();
        let error = current_thread().block_on(async {
            let mut conn = db.connect_async().await;
            with_async_conn!(&mut conn, c => migrations.migrator().run_pending_async(c).await)
                .unwrap_err()
        });
        match &error {
            Error::RevisionFailed {
                revision,
                partial,
                completed,
                ..
            } => {
                assert_eq!(revision, "r2", "{what}");
                assert_eq!(*partial, db.backend == Backend::Mysql, "{what}");
                assert_eq!(completed.len(), 1, "{what}");
            }
            other => panic!("{what}: {other}"),
        }
        let mut sync = db.connect();
        assert_eq!(sync.versions(), ["r1"], "{what}");
        if db.backend != Backend::Mysql {
            assert!(!sync.has_table("t2"), "{what}: r2 was rolled back");
        }
    }
}

#[test]
fn drift_is_refused_on_async_connections() {
    for db in backends() {
        let what = format!("{:?}", db.backend);
        let history = three();
        current_thread().block_on(async {
            let mut conn = db.connect_async().await;
            with_async_conn!(&mut conn, c => history.load().migrator().run_pending_async(c).await)
                .unwrap();
            history.add(
                "2.sql",
                &revision(
                    "r2",
                    "r1",
                    "CREATE TABLE t2 (id BIGINT PRIMARY KEY);",
                    Some("DROP TABLE t2;"),
                ),
            );
            let edited = history.load();
            let error =
                with_async_conn!(&mut conn, c => edited.migrator().run_pending_async(c).await)
                    .unwrap_err();
            assert!(
                matches!(&error, Error::Drift { revision, .. } if revision == "r2"),
                "{what}: {error}"
            );
        });
    }
}

#[test]
fn a_no_op_run_is_one_query() {
    for backend in [Backend::Sqlite, Backend::Postgres, Backend::Mysql] {
        let Some(db) = TestDb::new(backend) else {
            continue;
        };
        let queries = Arc::new(Mutex::new(Vec::<String>::new()));
        current_thread().block_on(async {
            let mut conn = db.connect_async().await;
            with_async_conn!(&mut conn, c => {
                DEPENDS_ON.run_pending_async(c).await.unwrap();
                let sink = Arc::clone(&queries);
                c.set_instrumentation(move |event: diesel::connection::InstrumentationEvent<'_>| {
                    if let diesel::connection::InstrumentationEvent::StartQuery { query, .. } = event {
                        sink.lock().unwrap().push(query.to_string());
                    }
                });
                assert!(DEPENDS_ON.run_pending_async(c).await.unwrap().is_empty());
            });
        });
        let queries = queries.lock().unwrap().clone();
        let reads: Vec<&String> = queries
            .iter()
            .filter(|q| !q.starts_with("PRAGMA busy_timeout"))
            .collect();
        assert_eq!(reads.len(), 1, "{backend:?}: {queries:#?}");
    }
}

#[test]
fn rust_revisions_on_async_connections() {
    for db in backends() {
        let what = format!("{:?}", db.backend);
        let result = current_thread().block_on(async {
            let mut conn = db.connect_async().await;
            with_async_conn!(&mut conn, c => EMAIL.run_pending_async(c).await)
        });
        match db.backend {
            // The wrapped SqliteConnection is lent to the revision, as on a sync run.
            Backend::Sqlite => {
                assert_eq!(result.unwrap().steps.len(), 3, "{what}");
            }
            // The backfill asks for its diesel connection, which an async connection cannot
            // lend: refused by name, with r1 applied and r2 rolled back (PostgreSQL).
            _ => {
                let error = result.unwrap_err();
                let text = error.to_string();
                assert!(
                    matches!(&error, Error::RevisionFailed { revision, .. } if revision == "r2"),
                    "{what}: {text}"
                );
                assert!(text.contains("sync connection"), "{what}: {text}");
                assert_eq!(db.connect().versions(), ["r1"], "{what}");
            }
        }
    }
}

#[test]
fn an_async_sqlite_connection_is_left_as_it_was_found() {
    let Some(db) = TestDb::new(Backend::Sqlite) else {
        return;
    };
    current_thread().block_on(async {
        let mut conn = db.connect_async().await;
        let AsyncConn::Sqlite(c) = &mut conn else {
            unreachable!()
        };
        diesel_async::SimpleAsyncConnection::batch_execute(c, "PRAGMA busy_timeout = 1234")
            .await
            .unwrap();
        DEPENDS_ON.run_pending_async(c).await.unwrap();
        let timeout = c
            .spawn_blocking(|inner| {
                use diesel::RunQueryDsl;
                #[derive(diesel::QueryableByName)]
                struct Row {
                    #[diesel(sql_type = diesel::sql_types::BigInt)]
                    timeout: i64,
                }
                let rows: Vec<Row> = diesel::sql_query("PRAGMA busy_timeout").load(inner)?;
                Ok(rows[0].timeout)
            })
            .await
            .unwrap();
        assert_eq!(timeout, 1234);
        // No transaction is left open: diesel-async can open one.
        c.transaction::<_, diesel::result::Error, _>(async |_| Ok(()))
            .await
            .unwrap();
    });
}

#[test]
fn waiting_for_another_migrators_lock_blocks_no_runtime_thread() {
    for db in backends() {
        let what = format!("{:?}", db.backend);
        let migrations = slow_second(db.backend).load();
        // Another migrator, a sync one on a thread of its own, is inside r2 (2 s) and holds the
        // lock (SQLite's write lock, PostgreSQL's advisory lock, MySQL's GET_LOCK).
        let (inside, wait_inside) = std::sync::mpsc::channel();
        let other = std::thread::scope(|scope| {
            let other = scope.spawn(|| {
                let report = |event: aludel::Progress<'_>| {
                    if let aludel::Progress::Started { step } = event {
                        if step.revision.is_some_and(|r| r.id == "r2") {
                            let _ = inside.send(());
                        }
                    }
                };
                let mut conn = db.connect();
                aludel_tests::with_conn!(&mut conn, c => migrations.migrator().with_progress(&report).run_pending(c))
            });
            wait_inside.recv().unwrap();
            let options = migrations
                .migrator()
                .options()
                .clone()
                .lock_timeout(Duration::from_millis(800));
            let migrator = migrations.migrator().with_options(options);
            // On a current_thread runtime a ticker shares the one thread with the waiting run.
            let (ticks, result) = current_thread().block_on(async {
                let ticks = Arc::new(std::sync::atomic::AtomicU32::new(0));
                let counter = Arc::clone(&ticks);
                let ticker = tokio::spawn(async move {
                    loop {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    }
                });
                let mut conn = db.connect_async().await;
                let result = with_async_conn!(&mut conn, c => migrator.run_pending_async(c).await);
                ticker.abort();
                (ticks.load(std::sync::atomic::Ordering::SeqCst), result)
            });
            // Waiting 0.8 s is 80 ticks of 10 ms when the thread is free; a blocked thread
            // would let none through.
            assert!(
                ticks >= 30,
                "{what}: only {ticks} ticks while the run waited"
            );
            let error = result.unwrap_err();
            let text = error.to_string();
            assert!(
                matches!(error, Error::LockTimeout { .. }) || text.contains("locked"),
                "{what}: {text}"
            );
            other.join().unwrap()
        });
        assert_eq!(
            other.unwrap().steps.len(),
            3,
            "{what}: the other migrator finished"
        );
    }
}

#[test]
fn a_non_transactional_revision_runs_outside_a_transaction() {
    let Some(db) = TestDb::new(Backend::Postgres) else {
        return;
    };
    let history = TestHistory::new();
    history
        .add("1.sql", &revision("r1", "", "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT);", None))
        .add(
            "2.sql",
            "-- revision: r2\n-- down_revision: r1\n-- transactional: false\n\n-- upgrade\nCREATE INDEX CONCURRENTLY items_name ON items (name);\n",
        );
    let migrations = history.load();
    current_thread().block_on(async {
        let mut conn = db.connect_async().await;
        let report =
            with_async_conn!(&mut conn, c => migrations.migrator().run_pending_async(c).await)
                .unwrap();
        assert_eq!(report.steps.len(), 2);
    });
    let mut sync = db.connect();
    assert_eq!(sync.versions(), ["r2"]);
    let index =
        sync.strings("SELECT indexname AS a FROM pg_indexes WHERE indexname = 'items_name'");
    assert_eq!(index, ["items_name"]);
}

#[test]
fn a_whole_run_in_one_transaction_rolls_back_whole() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(db) = TestDb::new(backend) else {
            continue;
        };
        let history = three();
        history.add(
            "4.sql",
            &revision("r4", "r3", "INSERT INTO no_such_table VALUES (1);", None),
        );
        let migrations = history.load();
        let options = migrations
            .migrator()
            .options()
            .clone()
            .transaction(aludel::TransactionMode::All);
        let error = current_thread().block_on(async {
            let mut conn = db.connect_async().await;
            with_async_conn!(&mut conn, c => migrations.migrator().with_options(options).run_pending_async(c).await)
                .unwrap_err()
        });
        assert!(
            matches!(&error, Error::RevisionFailed { revision, .. } if revision == "r4"),
            "{backend:?}: {error}"
        );
        let mut sync = db.connect();
        assert!(sync.versions().is_empty(), "{backend:?}: nothing stays");
        assert!(!sync.has_table("t1"), "{backend:?}: nothing stays");
    }
}

#[test]
fn inside_the_callers_transaction() {
    let Some(db) = TestDb::new(Backend::Postgres) else {
        return;
    };
    let migrations = three().load();
    current_thread().block_on(async {
        let AsyncConn::Postgres(mut conn) = db.connect_async().await else {
            unreachable!()
        };
        let migrator = migrations.migrator();
        // The run works in savepoints of the caller's transaction, which then rolls back.
        let result = conn
            .transaction::<(), diesel::result::Error, _>(async |c| {
                let report = migrator.run_pending_async(c).await.unwrap();
                assert_eq!(report.steps.len(), 3);
                assert_eq!(migrator.current_async(c).await.unwrap(), ["r3"]);
                Err(diesel::result::Error::RollbackTransaction)
            })
            .await;
        assert!(matches!(
            result,
            Err(diesel::result::Error::RollbackTransaction)
        ));
        assert!(migrator.current_async(&mut conn).await.unwrap().is_empty());
    });
    assert!(!db.connect().has_table("t1"));
}

#[test]
fn a_database_ahead_of_the_binary_is_refused() {
    for db in backends() {
        let what = format!("{:?}", db.backend);
        let migrations = three().load();
        let mut sync = db.connect();
        aludel_tests::with_conn!(&mut sync, c => migrations.migrator().upgrade(c, "r1")).unwrap();
        sync.batch("UPDATE alembic_version SET version_num = 'ffff9999'")
            .unwrap();
        let error = current_thread().block_on(async {
            let mut conn = db.connect_async().await;
            with_async_conn!(&mut conn, c => migrations.migrator().run_pending_async(c).await)
                .unwrap_err()
        });
        assert!(
            error
                .to_string()
                .contains("Can't locate revision identified by 'ffff9999'"),
            "{what}: {error}"
        );
        assert!(!sync.has_table("t2"), "{what}: nothing ran");
    }
}
