//! Several databases in one project (Alembic's multidb): sections that name a database, one
//! graph, a version table per database; a sync SQLite and an async PostgreSQL migrated in one
//! run, revision by revision; a revision failing on one database, and a rerun; the offline
//! script per database; and the errors for a database left out or unknown.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking

use aludel::{Direction, Error, LoadedMigrations};
use aludel_graph::GraphOptions;
use aludel_tests::{Backend, TempDir, TestDb};
use diesel::{Connection, SqliteConnection};
use diesel_async::AsyncConnection;

const R1: &str = "-- revision: r1\n-- down_revision:\n-- message: base\n\n-- upgrade\nCREATE TABLE settings (id INTEGER PRIMARY KEY);\n\n-- upgrade main\nCREATE TABLE users (id INTEGER PRIMARY KEY);\n\n-- upgrade analytics\nCREATE TABLE events (id INTEGER PRIMARY KEY);\n\n-- downgrade\nDROP TABLE settings;\n\n-- downgrade main\nDROP TABLE users;\n\n-- downgrade analytics\nDROP TABLE events;\n";
const R2: &str = "-- revision: r2\n-- down_revision: r1\n-- message: events get a kind\n\n-- upgrade analytics\nALTER TABLE events ADD COLUMN kind TEXT;\n\n-- downgrade analytics\nALTER TABLE events DROP COLUMN kind;\n";
const R3: &str = "-- revision: r3\n-- down_revision: r2\n-- message: users get a name\n\n-- upgrade main\nALTER TABLE users ADD COLUMN name TEXT;\n\n-- upgrade analytics\nALTER TABLE events ADD COLUMN source TEXT;\n\n-- downgrade main\nALTER TABLE users DROP COLUMN name;\n\n-- downgrade analytics\nALTER TABLE events DROP COLUMN source;\n";

fn databases() -> Vec<String> {
    vec!["main".to_string(), "analytics".to_string()]
}

fn history(files: &[(&str, &str)]) -> LoadedMigrations {
    let files: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|(name, text)| (name.to_string(), text.as_bytes().to_vec()))
        .collect();
    let options = GraphOptions {
        databases: databases(),
        ..GraphOptions::default()
    };
    LoadedMigrations::from_files(&files, &options).unwrap_or_else(|d| panic!("{d}"))
}

fn tables(conn: &mut SqliteConnection) -> Vec<String> {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'aludel%' AND name <> 'alembic_version' ORDER BY name",
    )
    .load(conn)
    .unwrap();
    rows.into_iter().map(|r| r.name).collect()
}

#[test]
fn two_sync_sqlite_databases_revision_by_revision() {
    let dir = TempDir::new("aludel-multidb");
    let mut main = SqliteConnection::establish(dir.0.join("main.db").to_str().unwrap()).unwrap();
    let mut analytics =
        SqliteConnection::establish(dir.0.join("analytics.db").to_str().unwrap()).unwrap();
    let migrations = history(&[("1.sql", R1), ("2.sql", R2), ("3.sql", R3)]);
    // The two databases, as one set.
    macro_rules! both {
        () => {
            migrations
                .migrator()
                .databases()
                .sync("main", &mut main)
                .sync("analytics", &mut analytics)
        };
    }
    let reports = both!().run_pending_blocking().unwrap();
    let ran: Vec<(&str, Vec<&str>)> = reports
        .iter()
        .map(|(name, r)| {
            (
                name.as_str(),
                r.steps.iter().map(|s| s.revision.as_str()).collect(),
            )
        })
        .collect();
    assert_eq!(
        ran,
        [
            ("main", vec!["r1", "r2", "r3"]),
            ("analytics", vec!["r1", "r2", "r3"])
        ]
    );
    assert_eq!(tables(&mut main), ["settings", "users"]);
    assert_eq!(tables(&mut analytics), ["events", "settings"]);
    // Each database has its own version table, at the head.
    assert_eq!(
        both!().current_blocking().unwrap(),
        [
            ("main".to_string(), vec!["r3".to_string()]),
            ("analytics".to_string(), vec!["r3".to_string()])
        ]
    );
    // Nothing pending: one query per database, nothing run.
    let again = both!().run_pending_blocking().unwrap();
    assert!(again.iter().all(|(_, r)| r.steps.is_empty()));
    // Down to base, in the reverse order.
    let reports = both!().downgrade_blocking("base").unwrap();
    assert!(reports.iter().all(|(_, r)| r.heads_after.is_empty()));
    assert!(tables(&mut main).is_empty());
    assert!(tables(&mut analytics).is_empty());
}

#[test]
fn a_sync_sqlite_and_an_async_postgres_in_one_run_and_a_failure_on_one_of_them() {
    let Some(pg) = TestDb::new(Backend::Postgres) else {
        return;
    };
    let dir = TempDir::new("aludel-multidb");
    let main_path = dir.0.join("main.db").to_str().unwrap().to_string();
    // r3 fails on analytics only: its column exists already.
    let broken_r3 = R3.replace(
        "ALTER TABLE events ADD COLUMN source TEXT;",
        "ALTER TABLE events ADD COLUMN kind TEXT;",
    );
    let broken = history(&[("1.sql", R1), ("2.sql", R2), ("3.sql", &broken_r3)]);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut main = SqliteConnection::establish(&main_path).unwrap();
        let mut analytics = diesel_async::AsyncPgConnection::establish(&pg.url)
            .await
            .unwrap();
        // The two databases of `history`, as one set.
        macro_rules! both {
            ($history:expr) => {
                $history
                    .migrator()
                    .databases()
                    .sync("main", &mut main)
                    .on_async("analytics", &mut analytics)
            };
        }
        let error = both!(broken)
            .run_pending()
            .await
            .unwrap_err();
        match &error {
            Error::DatabaseFailed {
                database,
                ahead,
                source,
            } => {
                assert_eq!(database, "analytics");
                assert_eq!(ahead, &["main"], "{error}");
                assert!(
                    matches!(&**source, Error::RevisionFailed { revision, .. } if revision == "r3"),
                    "{error}"
                );
            }
            other => panic!("{other}"),
        }
        let shown = error.to_string();
        assert!(
            shown.starts_with("database `analytics`: ") && shown.contains("ahead of it, with their part committed: main"),
            "{shown}"
        );
        // main committed r3, analytics stays at r2 (r3 rolled back there).
        let current = both!(broken)
            .current()
            .await
            .unwrap();
        assert_eq!(
            current,
            [
                ("main".to_string(), vec!["r3".to_string()]),
                ("analytics".to_string(), vec!["r2".to_string()])
            ]
        );
        // Fixed (the revision was never applied on analytics, so editing it is no drift
        // there; main recorded the file it ran and keeps it): a rerun converges.
        let fixed = history(&[("1.sql", R1), ("2.sql", R2), ("3.sql", R3)]);
        let reports = both!(fixed)
            .run_pending()
            .await;
        // main applied the broken file's r3: its checksum differs from the fixed file's.
        let error = reports.unwrap_err();
        assert!(
            matches!(&error, Error::DatabaseFailed { database, source, .. } if database == "main" && matches!(&**source, Error::Drift { .. })),
            "{error}"
        );
        fixed
            .migrator()
            .with_options(fixed.migrator().options().clone().database("main"))
            .accept_changes(&mut main)
            .unwrap();
        let reports = both!(fixed)
            .run_pending()
            .await
            .unwrap();
        let ran: Vec<usize> = reports.iter().map(|(_, r)| r.steps.len()).collect();
        assert_eq!(ran, [0, 1]);
    });
    let mut sync = pg.connect();
    assert_eq!(sync.versions(), ["r3"]);
    assert!(sync.has_table("events") && !sync.has_table("users"));
}

#[test]
fn a_migrator_of_such_a_history_must_name_its_database() {
    let migrations = history(&[("1.sql", R1)]);
    let mut conn = SqliteConnection::establish(":memory:").unwrap();
    let error = migrations.migrator().run_pending(&mut conn).unwrap_err();
    assert!(
        matches!(&error, Error::DatabaseNotChosen { databases } if databases == &["main", "analytics"]),
        "{error}"
    );
    let options = migrations
        .migrator()
        .options()
        .clone()
        .database("analitics");
    let error = migrations
        .migrator()
        .with_options(options)
        .run_pending(&mut conn)
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "unknown database `analitics`: the project configures main, analytics"
    );
    // Nothing was created.
    assert!(tables(&mut conn).is_empty());
    let options = migrations.migrator().options().clone().database("main");
    let report = migrations
        .migrator()
        .with_options(options)
        .run_pending(&mut conn)
        .unwrap();
    assert_eq!(report.steps.len(), 1);
    assert_eq!(tables(&mut conn), ["settings", "users"]);
}

#[test]
fn the_offline_script_per_database() {
    let migrations = history(&[("1.sql", R1), ("2.sql", R2)]);
    let script = |database: &str| {
        let options = migrations.migrator().options().clone().database(database);
        migrations
            .migrator()
            .with_options(options)
            .sql(aludel::Dialect::Postgres, Direction::Upgrade, "heads")
            .unwrap()
    };
    let main = script("main");
    assert!(main.contains("CREATE TABLE settings") && main.contains("CREATE TABLE users"));
    assert!(!main.contains("events"), "{main}");
    // r2 runs nothing on main, and is recorded all the same.
    assert!(main.contains("'r2'"), "{main}");
    let analytics = script("analytics");
    assert!(analytics.contains("CREATE TABLE events") && analytics.contains("ADD COLUMN kind"));
    assert!(!analytics.contains("users"), "{analytics}");
}

#[test]
fn a_section_naming_an_unknown_database_is_an_error_with_its_line() {
    let files = vec![(
        "1.sql".to_string(),
        R1.replace("-- upgrade analytics", "-- upgrade analitics")
            .into_bytes(),
    )];
    let options = GraphOptions {
        databases: databases(),
        ..GraphOptions::default()
    };
    let error = LoadedMigrations::from_files(&files, &options).unwrap_err();
    assert_eq!(
        error.to_string(),
        "error: 1.sql:11:1: the section names database `analitics`, which aludel.toml does not configure\n  = help: did you mean `analytics`? aludel.toml configures main, analytics"
    );
    // Without databases configured, any named section is one.
    let error = LoadedMigrations::from_files(&files, &GraphOptions::default()).unwrap_err();
    assert!(
        error.to_string().contains(
            "1.sql:8:1: the section names database `main`, but aludel.toml configures no databases"
        ),
        "{error}"
    );
}

#[test]
fn a_set_with_async_connections_refuses_the_blocking_calls() {
    let Some(pg) = TestDb::new(Backend::Postgres) else {
        return;
    };
    let migrations = history(&[("1.sql", R1)]);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut analytics = runtime
        .block_on(diesel_async::AsyncPgConnection::establish(&pg.url))
        .unwrap();
    let error = migrations
        .migrator()
        .databases()
        .on_async("analytics", &mut analytics)
        .run_pending_blocking()
        .unwrap_err();
    assert!(matches!(error, Error::AsyncInBlockingCall), "{error}");
}
