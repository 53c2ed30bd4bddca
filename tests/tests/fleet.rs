//! Fleets: one history over many targets through `aludel::Fleet`, on SQLite files, PostgreSQL
//! databases and schemas (a tenant per schema) and MariaDB databases; the schedule (parallel
//! connections, stop at the first failure or go on, a canary, a stop request) and the faults
//! a fleet meets (a target that cannot be reached, a revision that fails on one tenant, a
//! connection killed mid-revision), each followed by a rerun that finishes what was left.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking

use std::sync::atomic::{AtomicBool, Ordering};

use aludel::{Error, FleetTarget, LoadedMigrations, Progress, TargetStatus};
use aludel_tests::{revision, Backend, Conn, TempDir, TestDb, TestHistory};
use diesel::Connection;

/// Three revisions: a table, a row that names the schema it landed in, a column.
fn history() -> TestHistory {
    let history = TestHistory::new();
    history
        .add(
            "r1.sql",
            &revision(
                "r1",
                "",
                "CREATE TABLE accounts (id INTEGER PRIMARY KEY, place TEXT);",
                Some("DROP TABLE accounts;"),
            ),
        )
        .add(
            "r2.sql",
            &revision(
                "r2",
                "r1",
                "CREATE TABLE invoices (id INTEGER PRIMARY KEY, account_id INTEGER);",
                Some("DROP TABLE invoices;"),
            ),
        )
        .add(
            "r3.sql",
            &revision(
                "r3",
                "r2",
                "ALTER TABLE invoices ADD COLUMN total INTEGER;",
                None,
            ),
        );
    history
}

fn sqlite_targets(dir: &TempDir, n: usize) -> Vec<FleetTarget> {
    (0..n)
        .map(|i| FleetTarget::new(dir.0.join(format!("tenant{i}.db")).to_str().unwrap()))
        .collect()
}

fn sqlite(target: &FleetTarget) -> diesel::SqliteConnection {
    diesel::SqliteConnection::establish(&target.url).unwrap()
}

fn versions(target: &FleetTarget) -> Vec<String> {
    Conn::Sqlite(sqlite(target)).versions()
}

fn applied(report: &aludel::TargetReport) -> Vec<&str> {
    report.applied.iter().map(|c| c.revision.as_str()).collect()
}

fn statuses(report: &aludel::FleetReport) -> Vec<TargetStatus> {
    report.targets.iter().map(|t| t.status).collect()
}

#[test]
fn sqlite_files_in_parallel_then_a_rerun_that_finds_them_at_head() {
    let history = history();
    let migrations = history.load();
    let dir = TempDir::new("aludel-fleet");
    let targets = sqlite_targets(&dir, 7);
    let migrator = migrations.migrator();
    let report = migrator.fleet(targets.clone()).parallel(3).run_pending();
    assert!(report.all_done(), "{report:?}");
    assert_eq!(report.count(TargetStatus::Applied), 7);
    for (target, done) in targets.iter().zip(&report.targets) {
        assert_eq!(done.target, *target);
        assert_eq!(applied(done), ["r1", "r2", "r3"]);
        assert_eq!(done.current, ["r3"]);
        assert_eq!(versions(target), ["r3"]);
    }
    let again = migrator.fleet(targets.clone()).parallel(3).run_pending();
    assert_eq!(statuses(&again), vec![TargetStatus::UpToDate; 7]);
    assert!(again.targets.iter().all(|t| t.applied.is_empty()));
    // A read changes nothing and says where each one is.
    let current = migrator.fleet(targets).parallel(2).current();
    assert_eq!(statuses(&current), vec![TargetStatus::UpToDate; 7]);
    assert!(current.targets.iter().all(|t| t.current == ["r3"]));
    // A read of a tenant that does not exist yet fails, and creates no file.
    let missing = FleetTarget::new(dir.0.join("new.db").to_str().unwrap());
    let report = migrator.fleet([missing.clone()]).current();
    assert_eq!(statuses(&report), [TargetStatus::Failed]);
    let error = report.targets[0].error.as_ref().unwrap().to_string();
    assert!(
        error.starts_with("cannot connect: no SQLite file "),
        "{error}"
    );
    assert!(!std::path::Path::new(&missing.url).exists());
}

#[test]
fn a_failing_tenant_with_continue_on_error_then_a_rerun_after_the_fix() {
    let history = history();
    let migrations = history.load();
    let dir = TempDir::new("aludel-fleet");
    let targets = sqlite_targets(&dir, 5);
    // Tenant 2 already has an `invoices` table, so r2 fails there.
    {
        use diesel::connection::SimpleConnection;
        sqlite(&targets[2])
            .batch_execute("CREATE TABLE invoices (x INTEGER);")
            .unwrap();
    }
    let migrator = migrations.migrator();
    let report = migrator
        .fleet(targets.clone())
        .parallel(2)
        .continue_on_error(true)
        .run_pending();
    assert!(!report.all_done());
    let failed = &report.targets[2];
    assert_eq!(failed.status, TargetStatus::Failed);
    assert_eq!(applied(failed), ["r1"], "r1 completed before r2 failed");
    let error = failed.error.as_ref().unwrap().to_string();
    assert!(
        error.contains("revision r2") && error.contains("invoices"),
        "{error}"
    );
    for i in [0, 1, 3, 4] {
        assert_eq!(report.targets[i].status, TargetStatus::Applied, "{i}");
    }
    assert_eq!(versions(&targets[2]), ["r1"]);
    // Fixed, the same list again finishes it and finds the others at head.
    {
        use diesel::connection::SimpleConnection;
        sqlite(&targets[2])
            .batch_execute("DROP TABLE invoices;")
            .unwrap();
    }
    let again = migrator
        .fleet(targets.clone())
        .parallel(2)
        .continue_on_error(true)
        .run_pending();
    assert!(again.all_done(), "{again:?}");
    assert_eq!(again.targets[2].status, TargetStatus::Applied);
    assert_eq!(applied(&again.targets[2]), ["r2", "r3"]);
    assert_eq!(again.count(TargetStatus::UpToDate), 4);
}

#[test]
fn the_first_failure_stops_the_fleet_and_the_canary_goes_first() {
    let history = history();
    let migrations = history.load();
    let dir = TempDir::new("aludel-fleet");
    let targets = sqlite_targets(&dir, 5);
    {
        use diesel::connection::SimpleConnection;
        sqlite(&targets[1])
            .batch_execute("CREATE TABLE accounts (x INTEGER);")
            .unwrap();
    }
    let migrator = migrations.migrator();
    // One connection: the targets after the failed one never start.
    let report = migrator.fleet(targets.clone()).run_pending();
    assert_eq!(
        statuses(&report),
        [
            TargetStatus::Applied,
            TargetStatus::Failed,
            TargetStatus::NotStarted,
            TargetStatus::NotStarted,
            TargetStatus::NotStarted
        ]
    );
    assert!(applied(&report.targets[1]).is_empty());
    assert!(report.targets[3].error.is_none());
    assert!(!sqlite_has(&targets[3], "alembic_version"));
    // A canary of two whose second fails stops the fleet even with continue_on_error.
    let report = migrator
        .fleet(targets.clone())
        .parallel(4)
        .canary(2)
        .continue_on_error(true)
        .run_pending();
    assert_eq!(
        statuses(&report),
        [
            TargetStatus::UpToDate,
            TargetStatus::Failed,
            TargetStatus::NotStarted,
            TargetStatus::NotStarted,
            TargetStatus::NotStarted
        ]
    );
    // A canary that passes lets the rest run.
    let mut reordered = targets.clone();
    reordered.swap(1, 4);
    let report = migrator
        .fleet(reordered)
        .parallel(2)
        .canary(2)
        .continue_on_error(true)
        .run_pending();
    assert_eq!(
        statuses(&report),
        [
            TargetStatus::UpToDate,
            TargetStatus::Applied,
            TargetStatus::Applied,
            TargetStatus::Applied,
            TargetStatus::Failed
        ]
    );
}

fn sqlite_has(target: &FleetTarget, table: &str) -> bool {
    if !std::path::Path::new(&target.url).exists() {
        return false;
    }
    let mut conn = Conn::Sqlite(sqlite(target));
    conn.has_table(table)
}

#[test]
fn a_stop_request_lets_the_running_revision_commit_and_starts_nothing_more() {
    let history = history();
    let migrations = history.load();
    let dir = TempDir::new("aludel-fleet");
    let targets = sqlite_targets(&dir, 4);
    let stop = AtomicBool::new(false);
    // The request arrives while the first target runs r1 (as a Ctrl-C would).
    let on_progress = |event: Progress<'_>| {
        if let Progress::Started { step } = event {
            if step.revision.is_some_and(|r| r.id == "r1") {
                stop.store(true, Ordering::SeqCst);
            }
        }
    };
    let migrator = migrations.migrator().with_progress(&on_progress);
    let report = migrator
        .fleet(targets.clone())
        .with_stop(&stop)
        .run_pending();
    assert!(report.stopped);
    assert_eq!(
        statuses(&report),
        [
            TargetStatus::Failed,
            TargetStatus::NotStarted,
            TargetStatus::NotStarted,
            TargetStatus::NotStarted
        ]
    );
    let first = &report.targets[0];
    assert!(
        matches!(first.error, Some(Error::Interrupted { .. })),
        "{:?}",
        first.error
    );
    assert_eq!(applied(first), ["r1"], "r1 ran to its end and committed");
    assert_eq!(versions(&targets[0]), ["r1"]);
    assert!(!std::path::Path::new(&targets[1].url).exists());
    // The rerun finishes the interrupted one and the others.
    let again = migrations
        .migrator()
        .fleet(targets)
        .parallel(2)
        .run_pending();
    assert!(again.all_done(), "{again:?}");
    assert_eq!(applied(&again.targets[0]), ["r2", "r3"]);
}

#[test]
fn an_unreachable_target_fails_with_its_password_masked_and_the_others_complete() {
    let history = history();
    let migrations = history.load();
    let dir = TempDir::new("aludel-fleet");
    let mut targets = sqlite_targets(&dir, 2);
    targets.insert(
        1,
        FleetTarget::new("postgres://app:s3cretpw@127.0.0.1:1/nothing?connect_timeout=2"),
    );
    let report = migrations
        .migrator()
        .fleet(targets)
        .continue_on_error(true)
        .run_pending();
    assert_eq!(
        statuses(&report),
        [
            TargetStatus::Applied,
            TargetStatus::Failed,
            TargetStatus::Applied
        ]
    );
    let down = &report.targets[1];
    let error = down.error.as_ref().unwrap().to_string();
    assert!(error.starts_with("cannot connect: "), "{error}");
    assert!(!error.contains("s3cretpw"), "{error}");
    assert_eq!(
        down.target.to_string(),
        "postgres://app:***@127.0.0.1:1/nothing?connect_timeout=2"
    );
}

/// A PostgreSQL database with a schema per tenant.
fn tenant_schemas(names: &[&str]) -> Option<(TestDb, Vec<FleetTarget>)> {
    let db = TestDb::new(Backend::Postgres)?;
    let mut conn = db.connect();
    for name in names {
        conn.batch(&format!("CREATE SCHEMA \"{name}\"")).unwrap();
    }
    let targets = names
        .iter()
        .map(|name| FleetTarget::new(db.url.clone()).with_schema(*name))
        .collect();
    Some((db, targets))
}

/// The connection's search path.
fn search_path(conn: &mut diesel::PgConnection) -> String {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        a: String,
    }
    let rows: Vec<Row> = diesel::sql_query("SELECT current_setting('search_path') AS a")
        .load(conn)
        .unwrap();
    rows.into_iter().next().unwrap().a
}

#[test]
fn postgres_schema_per_tenant_keeps_everything_inside_the_schema() {
    let Some((db, targets)) = tenant_schemas(&["acme", "globex", "Initech Ltd"]) else {
        return;
    };
    let history = TestHistory::new();
    history
        .add(
            "r1.sql",
            &revision("r1", "", "CREATE TABLE accounts (id INTEGER PRIMARY KEY, place TEXT);", None),
        )
        .add(
            "r2.sql",
            &revision("r2", "r1", "INSERT INTO accounts (id, place) VALUES (1, current_schema());", None),
        )
        .add(
            "r3.sql",
            "-- revision: r3\n-- down_revision: r2\n-- transactional: false\n\n-- upgrade\nCREATE INDEX CONCURRENTLY accounts_place ON accounts (place);\nINSERT INTO accounts (id, place) VALUES (2, current_schema());\n",
        );
    let migrations = history.load();
    // The fleet's connections come from a pool of two, checked after the run.
    let manager = diesel::r2d2::ConnectionManager::<diesel::PgConnection>::new(db.url.clone());
    let pool = diesel::r2d2::Pool::builder()
        .max_size(2)
        .build(manager)
        .unwrap();
    let search_path_before = search_path(&mut pool.get().unwrap());
    let report = migrations
        .migrator()
        .fleet(targets.clone())
        .parallel(2)
        .run_pending_with(|_url: &str| pool.get());
    assert!(report.all_done(), "{report:?}");
    let mut conn = db.connect();
    for target in &targets {
        let schema = target.schema.as_deref().unwrap();
        let quoted = format!("\"{schema}\"");
        assert_eq!(
            conn.strings(&format!(
                "SELECT version_num AS a FROM {quoted}.alembic_version"
            )),
            ["r3"]
        );
        // Both revisions' rows name the tenant's schema: the transactional one and the one
        // that ran outside a transaction.
        assert_eq!(
            conn.strings(&format!(
                "SELECT place AS a FROM {quoted}.accounts ORDER BY id"
            )),
            [schema, schema]
        );
        assert_eq!(
            conn.strings(&format!(
                "SELECT CAST(indexname AS TEXT) AS a FROM pg_indexes WHERE schemaname = '{schema}'"
            ))
            .iter()
            .filter(|i| *i == "accounts_place")
            .count(),
            1
        );
        assert!(conn.strings(
            &format!("SELECT CAST(table_name AS TEXT) AS a FROM information_schema.tables WHERE table_schema = '{schema}' AND table_name = 'aludel_revision_log'")
        )
        .len() == 1);
    }
    // Nothing landed in public, and no pooled connection kept a tenant's search path.
    assert!(conn.strings(
        "SELECT CAST(table_name AS TEXT) AS a FROM information_schema.tables WHERE table_schema = 'public'"
    )
    .is_empty());
    let both = [pool.get().unwrap(), pool.get().unwrap()];
    for mut pooled in both {
        assert_eq!(search_path(&mut pooled), search_path_before);
    }
    // The rerun finds every tenant at head.
    let again = migrations
        .migrator()
        .fleet(targets)
        .parallel(2)
        .run_pending();
    assert_eq!(again.count(TargetStatus::UpToDate), 3);
}

#[test]
fn postgres_tenants_hold_locks_of_their_own() {
    let Some((db, targets)) = tenant_schemas(&["north", "south"]) else {
        return;
    };
    // Each tenant's revision waits, then counts the advisory locks held in the database: two
    // tenants migrated at once each see both locks, as neither waits for the other's.
    let history = TestHistory::new();
    history.add(
        "r1.sql",
        &revision(
            "r1",
            "",
            "SELECT pg_sleep(1);\nCREATE TABLE seen AS SELECT count(DISTINCT (classid, objid)) AS locks FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database());",
            None,
        ),
    );
    let migrations = history.load();
    let report = migrations
        .migrator()
        .fleet(targets)
        .parallel(2)
        .run_pending();
    assert!(report.all_done(), "{report:?}");
    let mut conn = db.connect();
    let seen: Vec<String> = ["north", "south"]
        .iter()
        .flat_map(|s| {
            conn.strings(&format!(
                "SELECT CAST(locks AS TEXT) AS a FROM \"{s}\".seen"
            ))
        })
        .collect();
    assert!(
        seen.iter().any(|n| n.parse::<i64>().unwrap() >= 2),
        "each tenant saw only its own lock, so one waited for the other: {seen:?}"
    );
}

#[test]
fn postgres_databases_and_a_connection_killed_mid_revision() {
    let Some((db, mut targets)) = tenant_schemas(&["a", "victim", "b"]) else {
        return;
    };
    let Some(other) = TestDb::new(Backend::Postgres) else {
        return;
    };
    targets.push(FleetTarget::new(other.url.clone()));
    // r2 hangs on the victim's schema until the test kills its connection.
    let history = TestHistory::new();
    history
        .add(
            "r1.sql",
            &revision("r1", "", "CREATE TABLE accounts (id INTEGER PRIMARY KEY);", None),
        )
        .add(
            "r2.sql",
            &revision(
                "r2",
                "r1",
                "SELECT pg_sleep(CASE WHEN current_schema() = 'victim' AND to_regclass('public.fixed') IS NULL THEN 60 ELSE 0 END);\nCREATE TABLE invoices (id INTEGER PRIMARY KEY);",
                None,
            ),
        )
        .add(
            "r3.sql",
            &revision("r3", "r2", "ALTER TABLE invoices ADD COLUMN total INTEGER;", None),
        );
    let migrations = history.load();
    let url = db.url.clone();
    let killer = std::thread::spawn(move || {
        let mut conn = diesel::PgConnection::establish(&url).unwrap();
        let started = std::time::Instant::now();
        while started.elapsed() < std::time::Duration::from_secs(30) {
            use diesel::RunQueryDsl;
            #[derive(diesel::QueryableByName)]
            struct Row {
                #[diesel(sql_type = diesel::sql_types::Bool)]
                killed: bool,
            }
            let rows: Vec<Row> = diesel::sql_query(
                "SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active' AND query LIKE '%pg_sleep(CASE%' AND wait_event = 'PgSleep'",
            )
            .load(&mut conn)
            .unwrap();
            if rows.iter().any(|r| r.killed) {
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        false
    });
    let migrator = migrations.migrator();
    let report = migrator
        .fleet(targets.clone())
        .parallel(2)
        .continue_on_error(true)
        .run_pending();
    assert!(killer.join().unwrap(), "the victim's revision never ran");
    assert_eq!(
        statuses(&report),
        [
            TargetStatus::Applied,
            TargetStatus::Failed,
            TargetStatus::Applied,
            TargetStatus::Applied
        ],
        "{report:?}"
    );
    let victim = &report.targets[1];
    let error = victim.error.as_ref().unwrap().to_string();
    assert!(error.contains("revision r2"), "{error}");
    assert!(error.contains("connection"), "{error}");
    assert_eq!(applied(victim), ["r1"]);
    let mut conn = db.connect();
    assert_eq!(
        conn.strings("SELECT version_num AS a FROM victim.alembic_version"),
        ["r1"],
        "the killed revision left nothing behind"
    );
    assert!(conn
        .strings("SELECT CAST(to_regclass('victim.invoices') AS TEXT) AS a WHERE to_regclass('victim.invoices') IS NOT NULL")
        .is_empty());
    // Fixed (the hang gone), the rerun completes the victim.
    conn.batch("CREATE TABLE public.fixed (id INTEGER)")
        .unwrap();
    let again = migrator.fleet(targets).parallel(2).run_pending();
    assert!(again.all_done(), "{again:?}");
    assert_eq!(applied(&again.targets[1]), ["r2", "r3"]);
    assert_eq!(again.count(TargetStatus::UpToDate), 3);
}

#[test]
fn mariadb_databases_and_a_schema_that_mysql_does_not_have() {
    let Some(first) = TestDb::new(Backend::Mysql) else {
        return;
    };
    let Some(second) = TestDb::new(Backend::Mysql) else {
        return;
    };
    let history = history();
    let migrations: LoadedMigrations = history.load();
    let targets = vec![
        FleetTarget::new(first.url.clone()),
        FleetTarget::new(second.url.clone()),
        FleetTarget::new(second.url.clone()).with_schema("tenant"),
    ];
    let report = migrations
        .migrator()
        .fleet(targets)
        .parallel(2)
        .continue_on_error(true)
        .run_pending();
    assert_eq!(
        statuses(&report),
        [
            TargetStatus::Applied,
            TargetStatus::Applied,
            TargetStatus::Failed
        ]
    );
    assert!(matches!(
        report.targets[2].error,
        Some(Error::TenantSchemaOnMysql)
    ));
    for db in [&first, &second] {
        assert_eq!(db.connect().versions(), ["r3"]);
    }
}

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn is_send<T: Send>(_: &T) {}

#[test]
fn async_postgres_tenants_and_sqlite_files_on_one_task() {
    use aludel_tests::asynchronous::AsyncSqlite;
    use diesel_async::{AsyncConnection, AsyncPgConnection};
    let history = history();
    let migrations = history.load();
    let migrator = migrations.migrator();
    let runtime = current_thread();
    // SQLite files through diesel-async's wrapper, three at a time, one failing.
    let dir = TempDir::new("aludel-fleet-async");
    let targets = sqlite_targets(&dir, 5);
    {
        use diesel::connection::SimpleConnection;
        sqlite(&targets[3])
            .batch_execute("CREATE TABLE invoices (x INTEGER);")
            .unwrap();
    }
    let fleet = migrator
        .fleet(targets.clone())
        .parallel(3)
        .continue_on_error(true);
    let run = fleet.run_pending_async(|url| async move { AsyncSqlite::establish(&url).await });
    is_send(&run);
    let report = runtime.block_on(run);
    assert_eq!(
        statuses(&report),
        [
            TargetStatus::Applied,
            TargetStatus::Applied,
            TargetStatus::Applied,
            TargetStatus::Failed,
            TargetStatus::Applied
        ]
    );
    assert_eq!(applied(&report.targets[3]), ["r1"]);
    let current = runtime.block_on(
        migrator
            .fleet(targets)
            .parallel(2)
            .current_async(|url| async move { AsyncSqlite::establish(&url).await }),
    );
    assert_eq!(current.targets[3].status, TargetStatus::Pending);
    assert_eq!(current.targets[3].pending, ["r2", "r3"]);
    assert_eq!(current.count(TargetStatus::UpToDate), 4);
    // PostgreSQL tenants on AsyncPgConnection, an unreachable one among them.
    let Some((db, mut targets)) = tenant_schemas(&["east", "west", "south"]) else {
        return;
    };
    targets.insert(
        1,
        FleetTarget::new("postgres://app:s3cretpw@127.0.0.1:1/none?connect_timeout=2"),
    );
    let report = runtime.block_on(
        migrator
            .fleet(targets.clone())
            .parallel(2)
            .continue_on_error(true)
            .run_pending_async(|url| async move { AsyncPgConnection::establish(&url).await }),
    );
    assert_eq!(
        statuses(&report),
        [
            TargetStatus::Applied,
            TargetStatus::Failed,
            TargetStatus::Applied,
            TargetStatus::Applied
        ],
        "{report:?}"
    );
    let error = report.targets[1].error.as_ref().unwrap().to_string();
    assert!(
        error.starts_with("cannot connect: ") && !error.contains("s3cretpw"),
        "{error}"
    );
    let mut conn = db.connect();
    for schema in ["east", "west", "south"] {
        assert_eq!(
            conn.strings(&format!(
                "SELECT version_num AS a FROM {schema}.alembic_version"
            )),
            ["r3"]
        );
    }
    targets.remove(1);
    let again = runtime.block_on(
        migrator
            .fleet(targets)
            .parallel(2)
            .run_pending_async(|url| async move { AsyncPgConnection::establish(&url).await }),
    );
    assert_eq!(again.count(TargetStatus::UpToDate), 3);
}

#[test]
fn tenants_behind_pgbouncer_in_transaction_pooling_leave_no_search_path_on_its_servers() {
    use aludel_tests::pgbouncer::{PgBouncer, PoolMode};
    use diesel::connection::CacheSize;
    let Some((db, _)) = tenant_schemas(&["t1", "t2", "t3", "t4"]) else {
        return;
    };
    // One server connection for three clients: the tenants' transactions take turns on it.
    let Some(bouncer) = PgBouncer::start(&db, PoolMode::Transaction, 1) else {
        return;
    };
    let targets: Vec<FleetTarget> = ["t1", "t2", "t3", "t4"]
        .iter()
        .map(|s| FleetTarget::new(bouncer.url.clone()).with_schema(*s))
        .collect();
    let history = history();
    let migrations = history.load();
    let connect = |url: &str| {
        diesel::PgConnection::establish(url).map(|mut conn| {
            conn.set_prepared_statement_cache_size(CacheSize::Disabled);
            conn
        })
    };
    let report = migrations
        .migrator()
        .fleet(targets.clone())
        .parallel(3)
        .run_pending_with(connect);
    assert!(report.all_done(), "{report:?}\n{}", bouncer.log());
    let mut conn = db.connect();
    for schema in ["t1", "t2", "t3", "t4"] {
        assert_eq!(
            conn.strings(&format!(
                "SELECT version_num AS a FROM {schema}.alembic_version"
            )),
            ["r3"]
        );
        assert_eq!(
            conn.strings(&format!(
                "SELECT CAST(column_name AS TEXT) AS a FROM information_schema.columns WHERE table_schema = '{schema}' AND table_name = 'invoices' ORDER BY ordinal_position"
            )),
            ["id", "account_id", "total"]
        );
    }
    // The pooled server connection kept the server's default search path.
    let mut through = Conn::Postgres(connect(&bouncer.url).unwrap());
    let defaults = conn.strings("SELECT current_setting('search_path') AS a");
    for _ in 0..3 {
        assert_eq!(
            through.strings("SELECT current_setting('search_path') AS a"),
            defaults
        );
    }
    let again = migrations
        .migrator()
        .fleet(targets)
        .parallel(3)
        .run_pending_with(connect);
    assert_eq!(again.count(TargetStatus::UpToDate), 4, "{again:?}");
}

#[test]
fn a_tenant_schema_on_a_connection_with_an_empty_search_path() {
    use diesel::connection::SimpleConnection;
    let Some((db, targets)) = tenant_schemas(&["solo"]) else {
        return;
    };
    let history = TestHistory::new();
    history
        .add(
            "r1.sql",
            &revision("r1", "", "CREATE TABLE accounts (id INTEGER PRIMARY KEY, place TEXT);\nINSERT INTO accounts VALUES (1, current_schema());", None),
        )
        .add(
            "r2.sql",
            "-- revision: r2\n-- down_revision: r1\n-- transactional: false\n\n-- upgrade\nINSERT INTO accounts VALUES (2, current_schema());\n",
        );
    let migrations = history.load();
    let report = migrations
        .migrator()
        .fleet(targets)
        .run_pending_with(|url: &str| {
            let mut conn = diesel::PgConnection::establish(url).map_err(|e| e.to_string())?;
            conn.batch_execute("SET search_path = ''")
                .map_err(|e| e.to_string())?;
            Ok::<_, String>(conn)
        });
    assert!(report.all_done(), "{report:?}");
    let mut conn = db.connect();
    assert_eq!(
        conn.strings("SELECT place AS a FROM solo.accounts ORDER BY id"),
        ["solo", "solo"]
    );
}

#[test]
fn a_connection_serves_two_hundred_tenants_then_makes_way_for_a_new_one() {
    use std::sync::atomic::AtomicUsize;
    let names: Vec<String> = (0..401).map(|i| format!("s{i}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let Some((_db, targets)) = tenant_schemas(&refs) else {
        return;
    };
    let history = history();
    let migrations = history.load();
    let opened = AtomicUsize::new(0);
    let report = migrations
        .migrator()
        .fleet(targets)
        .current_with(|url: &str| {
            opened.fetch_add(1, Ordering::SeqCst);
            diesel::PgConnection::establish(url)
        });
    assert_eq!(report.count(TargetStatus::Pending), 401, "{report:?}");
    assert_eq!(opened.load(Ordering::SeqCst), 3, "200 + 200 + 1 tenants");
}
