//! The runtime against real databases: SQLite always, PostgreSQL and MariaDB on the project's
//! machines (see `aludel_tests`). Each test makes its own database.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking

use aludel::{Direction, Error, Options, TransactionMode};
use aludel_tests::{backends, revision, with_conn, Backend, Conn, TestDb, TestHistory};

/// `a <- b <- c`, each creating a table.
fn linear() -> TestHistory {
    let h = TestHistory::new();
    h.add(
        "1_a.sql",
        &revision(
            "aaaa0001",
            "",
            "CREATE TABLE ta (id INTEGER PRIMARY KEY);",
            Some("DROP TABLE ta;"),
        ),
    );
    h.add(
        "2_b.sql",
        &revision(
            "bbbb0002",
            "aaaa0001",
            "CREATE TABLE tb (id INTEGER PRIMARY KEY);\nINSERT INTO tb (id) VALUES (1);",
            Some("DROP TABLE tb;"),
        ),
    );
    h.add(
        "3_c.sql",
        &revision(
            "cccc0003",
            "bbbb0002",
            "CREATE TABLE tc (id INTEGER PRIMARY KEY);",
            Some("DROP TABLE tc;"),
        ),
    );
    h
}

fn count(conn: &mut Conn, sql: &str) -> usize {
    conn.strings(sql).len()
}

#[test]
fn run_pending_applies_everything_once() {
    let history = linear();
    let migrations = history.load();
    for db in backends() {
        let mut conn = db.connect();
        let report = with_conn!(&mut conn, c => migrations.migrator().run_pending(c)).unwrap();
        assert_eq!(report.steps.len(), 3, "{:?}", db.backend);
        assert!(report.heads_before.is_empty());
        assert_eq!(report.heads_after, vec!["cccc0003"]);
        assert_eq!(conn.versions(), vec!["cccc0003"]);
        assert!(conn.has_table("ta") && conn.has_table("tb") && conn.has_table("tc"));
        assert_eq!(
            count(
                &mut conn,
                "SELECT revision AS a FROM aludel_revision_log WHERE direction = 'upgrade'"
            ),
            3
        );
        // Nothing to do: no step, nothing written.
        let again = with_conn!(&mut conn, c => migrations.migrator().run_pending(c)).unwrap();
        assert!(again.is_empty());
        assert_eq!(again.heads_after, vec!["cccc0003"]);
        assert_eq!(
            count(&mut conn, "SELECT revision AS a FROM aludel_revision_log"),
            3
        );
        let current = with_conn!(&mut conn, c => migrations.migrator().current(c)).unwrap();
        assert_eq!(current, vec!["cccc0003"]);
    }
}

#[test]
fn relative_targets_and_downgrades() {
    let history = linear();
    let migrations = history.load();
    for db in backends() {
        let mut conn = db.connect();
        let m = migrations.migrator();
        with_conn!(&mut conn, c => m.upgrade(c, "+2")).unwrap();
        assert_eq!(conn.versions(), vec!["bbbb0002"]);
        with_conn!(&mut conn, c => m.downgrade(c, "-1")).unwrap();
        assert_eq!(conn.versions(), vec!["aaaa0001"]);
        assert!(!conn.has_table("tb"));
        with_conn!(&mut conn, c => m.upgrade(c, "head")).unwrap();
        let plan = with_conn!(&mut conn, c => m.plan(c, Direction::Downgrade, "base")).unwrap();
        let ids: Vec<&str> = plan
            .steps
            .iter()
            .map(|s| s.revision.unwrap().id.as_str())
            .collect();
        assert_eq!(
            ids,
            vec!["cccc0003", "bbbb0002", "aaaa0001"],
            "a dry run lists the plan"
        );
        assert_eq!(
            conn.versions(),
            vec!["cccc0003"],
            "a dry run changes nothing"
        );
        let report = with_conn!(&mut conn, c => m.downgrade(c, "base")).unwrap();
        assert_eq!(report.steps.len(), 3);
        assert!(conn.versions().is_empty());
        assert!(!conn.has_table("ta"));
        let err = with_conn!(&mut conn, c => m.upgrade(c, "+5")).unwrap_err();
        assert!(
            err.to_string()
                .contains("Relative revision +5 didn't produce 5 migrations"),
            "{err}"
        );
    }
}

#[test]
fn a_failing_revision_changes_nothing_and_names_itself() {
    let history = linear();
    history.add(
        "4_d.sql",
        &revision(
            "dddd0004",
            "cccc0003",
            "CREATE TABLE td (id INTEGER PRIMARY KEY);\nINSERT INTO no_such_table VALUES (1);",
            Some("DROP TABLE td;"),
        ),
    );
    let migrations = history.load();
    for db in backends() {
        let mut conn = db.connect();
        let err = with_conn!(&mut conn, c => migrations.migrator().run_pending(c)).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("upgrade of revision dddd0004"), "{text}");
        assert!(text.contains("4_d.sql"), "{text}");
        assert!(
            text.contains("no_such_table"),
            "the database's message: {text}"
        );
        let Error::RevisionFailed {
            completed, partial, ..
        } = &err
        else {
            panic!("{err:?}")
        };
        assert_eq!(
            completed.len(),
            3,
            "what ran before the failure is reported"
        );
        assert_eq!(
            conn.versions(),
            vec!["cccc0003"],
            "the version table stays at the last completed revision"
        );
        if db.backend == Backend::Mysql {
            assert!(*partial, "MySQL says the revision may be partly applied");
            assert!(text.contains("may be partly applied"), "{text}");
        } else {
            assert!(!*partial);
            assert!(
                !conn.has_table("td"),
                "{:?}: the failed revision's DDL is rolled back",
                db.backend
            );
        }
    }
}

#[test]
fn whole_run_in_one_transaction() {
    let history = linear();
    history.add(
        "4_d.sql",
        &revision(
            "dddd0004",
            "cccc0003",
            "INSERT INTO no_such_table VALUES (1);",
            None,
        ),
    );
    let migrations = history.load();
    for db in backends() {
        let mut conn = db.connect();
        let m = migrations
            .migrator()
            .with_options(Options::default().transaction(TransactionMode::All));
        let err = with_conn!(&mut conn, c => m.run_pending(c)).unwrap_err();
        if db.backend == Backend::Mysql {
            assert!(
                err.to_string().contains("MySQL commits DDL implicitly"),
                "{err}"
            );
            assert!(!conn.has_table("ta"), "refused before anything ran");
        } else {
            assert!(err.to_string().contains("dddd0004"), "{err}");
            assert!(
                conn.versions().is_empty(),
                "{:?}: the whole run rolled back",
                db.backend
            );
            assert!(!conn.has_table("ta"));
        }
    }
}

#[test]
fn irreversible_revision_stops_a_downgrade_before_it_runs() {
    let h = TestHistory::new();
    h.add(
        "1_a.sql",
        &revision("aaaa0001", "", "CREATE TABLE ta (id INTEGER);", None),
    );
    h.add(
        "2_b.sql",
        &revision(
            "bbbb0002",
            "aaaa0001",
            "CREATE TABLE tb (id INTEGER);",
            Some("DROP TABLE tb;"),
        ),
    );
    let migrations = h.load();
    for db in backends() {
        let mut conn = db.connect();
        with_conn!(&mut conn, c => migrations.migrator().run_pending(c)).unwrap();
        let err =
            with_conn!(&mut conn, c => migrations.migrator().downgrade(c, "base")).unwrap_err();
        assert!(
            err.to_string()
                .contains("revision aaaa0001 (1_a.sql) is irreversible"),
            "{err}"
        );
        assert_eq!(conn.versions(), vec!["bbbb0002"], "nothing ran");
        assert!(conn.has_table("tb"));
    }
}

#[test]
fn a_database_ahead_of_the_binary_is_refused() {
    let migrations = linear().load();
    for db in backends() {
        let mut conn = db.connect();
        with_conn!(&mut conn, c => migrations.migrator().upgrade(c, "aaaa0001")).unwrap();
        conn.batch("UPDATE alembic_version SET version_num = 'ffff9999'")
            .unwrap();
        let err = with_conn!(&mut conn, c => migrations.migrator().run_pending(c)).unwrap_err();
        assert!(
            err.to_string()
                .contains("Can't locate revision identified by 'ffff9999'"),
            "{err}"
        );
        assert_eq!(conn.versions(), vec!["ffff9999"]);
        assert!(!conn.has_table("tb"), "nothing ran");
    }
}

#[test]
fn drift_is_detected_and_can_be_accepted() {
    let history = linear();
    let before = history.load();
    for db in backends() {
        let mut conn = db.connect();
        with_conn!(&mut conn, c => before.migrator().run_pending(c)).unwrap();
    }
    // Someone edits an applied revision.
    history.add(
        "2_b.sql",
        &revision(
            "bbbb0002",
            "aaaa0001",
            "CREATE TABLE tb (id INTEGER PRIMARY KEY, extra TEXT);",
            Some("DROP TABLE tb;"),
        ),
    );
    let after = history.load();
    for db in backends() {
        let mut conn = db.connect();
        with_conn!(&mut conn, c => before.migrator().run_pending(c)).unwrap();
        let err = with_conn!(&mut conn, c => after.migrator().run_pending(c)).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("revision bbbb0002 (2_b.sql) was changed after it was applied"),
            "{text}"
        );
        assert!(matches!(err, Error::Drift { .. }));
        let accepted = with_conn!(&mut conn, c => after.migrator().accept_changes(c)).unwrap();
        assert!(accepted.contains(&"bbbb0002".to_string()), "{accepted:?}");
        let report = with_conn!(&mut conn, c => after.migrator().run_pending(c)).unwrap();
        assert!(report.is_empty());
    }
}

#[test]
fn drift_is_found_from_the_log_where_no_lineage_was_recorded() {
    // A run records the lineage of the rows it leaves with its last revision; a run that was
    // interrupted earlier (or a database an earlier aludel migrated) has none for its rows,
    // and the next run checks them against the log instead.
    let history = linear();
    let before = history.load();
    let dbs = backends();
    for db in &dbs {
        let mut conn = db.connect();
        with_conn!(&mut conn, c => before.migrator().upgrade(c, "bbbb0002")).unwrap();
        let wipe = match db.backend {
            Backend::Postgres => "CREATE OR REPLACE FUNCTION aludel_revision_log_lineage() RETURNS text LANGUAGE sql STABLE AS $$ SELECT CAST('' AS text) $$",
            _ => "DELETE FROM aludel_revision_log_lineage",
        };
        conn.batch(wipe).unwrap();
    }
    history.add(
        "1_a.sql",
        &revision(
            "aaaa0001",
            "",
            "CREATE TABLE ta (id INTEGER PRIMARY KEY, extra TEXT);",
            Some("DROP TABLE ta;"),
        ),
    );
    let after = history.load();
    for db in &dbs {
        let mut conn = db.connect();
        let err = with_conn!(&mut conn, c => after.migrator().run_pending(c)).unwrap_err();
        assert!(
            matches!(&err, Error::Drift { revision, .. } if revision == "aaaa0001"),
            "{:?}: {err}",
            db.backend
        );
        assert_eq!(conn.versions(), ["bbbb0002"], "nothing ran");
    }
}

#[test]
fn stamp_and_purge() {
    let migrations = linear().load();
    for db in backends() {
        let mut conn = db.connect();
        let m = migrations.migrator();
        with_conn!(&mut conn, c => m.stamp(c, "bbbb0002", false)).unwrap();
        assert_eq!(conn.versions(), vec!["bbbb0002"]);
        assert!(!conn.has_table("ta"), "a stamp runs no SQL");
        conn.batch("UPDATE alembic_version SET version_num = 'ffff9999'")
            .unwrap();
        with_conn!(&mut conn, c => m.stamp(c, "head", true)).unwrap();
        assert_eq!(conn.versions(), vec!["cccc0003"]);
        with_conn!(&mut conn, c => m.stamp(c, "base", false)).unwrap();
        assert!(conn.versions().is_empty());
    }
}

#[test]
fn branches_and_merges_keep_alembic_rows() {
    let h = TestHistory::new();
    h.add(
        "1.sql",
        &revision(
            "a",
            "",
            "CREATE TABLE t_a (id INTEGER);",
            Some("DROP TABLE t_a;"),
        ),
    );
    h.add(
        "2.sql",
        &revision(
            "b",
            "a",
            "CREATE TABLE t_b (id INTEGER);",
            Some("DROP TABLE t_b;"),
        ),
    );
    h.add("3.sql", "-- revision: c1\n-- down_revision: b\n-- branch_labels: feature\n\n-- upgrade\nCREATE TABLE t_c1 (id INTEGER);\n\n-- downgrade\nDROP TABLE t_c1;\n");
    h.add(
        "4.sql",
        &revision(
            "c2",
            "b",
            "CREATE TABLE t_c2 (id INTEGER);",
            Some("DROP TABLE t_c2;"),
        ),
    );
    let migrations = h.load();
    h.add("5.sql", &revision("m", "c1, c2", "", Some("")));
    let merged = h.load();
    for db in backends() {
        let mut conn = db.connect();
        with_conn!(&mut conn, c => migrations.migrator().run_pending(c)).unwrap();
        assert_eq!(conn.versions(), vec!["c1", "c2"], "one row per head");
        with_conn!(&mut conn, c => merged.migrator().run_pending(c)).unwrap();
        assert_eq!(conn.versions(), vec!["m"]);
        with_conn!(&mut conn, c => merged.migrator().downgrade(c, "b")).unwrap();
        assert_eq!(conn.versions(), vec!["b"]);
        with_conn!(&mut conn, c => merged.migrator().upgrade(c, "feature@+1")).unwrap();
        assert_eq!(conn.versions(), vec!["c1"], "a branch moves on its own");
        with_conn!(&mut conn, c => merged.migrator().upgrade(c, "feature@head")).unwrap();
        assert_eq!(
            conn.versions(),
            vec!["m"],
            "the branch's head is now the merge"
        );
    }
}

#[test]
fn configurable_version_table() {
    let migrations = linear().load();
    for db in backends() {
        let mut conn = db.connect();
        let m = migrations.migrator().with_options(
            Options::default()
                .version_table("my_versions")
                .log_table("my_log"),
        );
        with_conn!(&mut conn, c => m.run_pending(c)).unwrap();
        assert_eq!(
            conn.strings("SELECT version_num AS a FROM my_versions"),
            vec!["cccc0003"]
        );
        assert!(!conn.has_table("alembic_version"));
        assert!(conn.has_table("my_log"));
    }
}

#[test]
fn postgres_schema_and_dialect_features() {
    let Some(db) = TestDb::new(Backend::Postgres) else {
        return;
    };
    let h = TestHistory::new();
    h.add("1.sql", &revision("a", "", "CREATE TABLE items (id SERIAL PRIMARY KEY, name TEXT NOT NULL, updated_at TIMESTAMPTZ);\nCREATE FUNCTION touch() RETURNS trigger AS $$\nBEGIN\n  NEW.updated_at := now(); -- a comment; with a semicolon\n  RETURN NEW;\nEND;\n$$ LANGUAGE plpgsql;\nCREATE TRIGGER items_touch BEFORE UPDATE ON items FOR EACH ROW EXECUTE FUNCTION touch();\nDO $do$ BEGIN IF NOT EXISTS (SELECT 1 FROM items) THEN INSERT INTO items (name) VALUES ('first;one'); END IF; END $do$;", Some("DROP TABLE items;\nDROP FUNCTION touch();")));
    h.add("2.sql", "-- revision: b\n-- down_revision: a\n-- transactional: false\n\n-- upgrade\nCREATE INDEX CONCURRENTLY items_name ON items (name);\nCREATE INDEX CONCURRENTLY items_updated ON items (updated_at);\n\n-- downgrade\nDROP INDEX CONCURRENTLY items_updated;\nDROP INDEX CONCURRENTLY items_name;\n");
    let migrations = h.load();
    let mut conn = db.connect();
    conn.batch("CREATE SCHEMA ops").unwrap();
    let m = migrations
        .migrator()
        .with_options(Options::default().schema("ops"));
    with_conn!(&mut conn, c => m.run_pending(c)).unwrap();
    assert_eq!(
        conn.strings("SELECT version_num AS a FROM ops.alembic_version"),
        vec!["b"]
    );
    assert_eq!(
        conn.strings("SELECT name AS a FROM items"),
        vec!["first;one"]
    );
    conn.batch("UPDATE items SET name = 'x'").unwrap();
    assert_eq!(
        conn.strings("SELECT CAST(count(*) AS TEXT) AS a FROM items WHERE updated_at IS NOT NULL"),
        vec!["1"]
    );
    assert_eq!(
        conn.strings("SELECT indexname AS a FROM pg_indexes WHERE indexname = 'items_name'"),
        vec!["items_name"]
    );
    with_conn!(&mut conn, c => m.downgrade(c, "base")).unwrap();
    assert!(!conn.has_table("items"));
}

#[test]
fn sqlite_and_mysql_triggers() {
    let h = TestHistory::new();
    h.add(
        "1.sql",
        &revision(
            "a",
            "",
            "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER);\nCREATE TABLE audit (n INTEGER);",
            Some("DROP TABLE audit;\nDROP TABLE t;"),
        ),
    );
    let sqlite = TestHistory::new();
    sqlite.add("1.sql", &revision("a", "", "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER);\nCREATE TABLE audit (n INTEGER);\nCREATE TRIGGER t_audit AFTER INSERT ON t BEGIN INSERT INTO audit (n) VALUES (NEW.n); INSERT INTO audit (n) VALUES (NEW.n + 1); END;", Some("DROP TABLE audit;\nDROP TABLE t;")));
    let mysql = TestHistory::new();
    mysql.add("1.sql", &revision("a", "", "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER);\nCREATE TABLE audit (n INTEGER);\nCREATE TRIGGER t_audit AFTER INSERT ON t FOR EACH ROW BEGIN INSERT INTO audit (n) VALUES (NEW.n); INSERT INTO audit (n) VALUES (NEW.n + 1); END;", Some("DROP TABLE audit;\nDROP TABLE t;")));
    for db in backends() {
        let migrations = match db.backend {
            Backend::Sqlite => sqlite.load(),
            Backend::Mysql => mysql.load(),
            Backend::Postgres => continue,
        };
        let mut conn = db.connect();
        with_conn!(&mut conn, c => migrations.migrator().run_pending(c)).unwrap();
        conn.batch("INSERT INTO t (id, n) VALUES (1, 10)").unwrap();
        assert_eq!(
            count(&mut conn, "SELECT CAST(n AS CHAR) AS a FROM audit"),
            2,
            "{:?}",
            db.backend
        );
    }
}

#[test]
fn offline_sql_script() {
    let migrations = linear().load();
    let sql = migrations
        .migrator()
        .sql(aludel::Dialect::Postgres, Direction::Upgrade, "heads")
        .unwrap();
    assert!(sql.starts_with("CREATE TABLE IF NOT EXISTS \"alembic_version\" (version_num VARCHAR(32) NOT NULL, CONSTRAINT \"alembic_version_pkc\" PRIMARY KEY (version_num));"), "{sql}");
    assert!(sql.contains("-- Running upgrade  -> aaaa0001"), "{sql}");
    assert!(
        sql.contains("INSERT INTO \"alembic_version\" (version_num) VALUES ('aaaa0001');"),
        "{sql}"
    );
    assert!(sql.contains("UPDATE \"alembic_version\" SET version_num = 'cccc0003' WHERE version_num = 'bbbb0002';"), "{sql}");
    let down = migrations
        .migrator()
        .sql(
            aludel::Dialect::Mysql,
            Direction::Downgrade,
            "cccc0003:aaaa0001",
        )
        .unwrap();
    assert!(
        down.contains("DROP TABLE tc;")
            && down.contains("DROP TABLE tb;")
            && !down.contains("DROP TABLE ta;"),
        "{down}"
    );
    let err = migrations
        .migrator()
        .sql(aludel::Dialect::Sqlite, Direction::Downgrade, "-1")
        .unwrap_err();
    assert!(err
        .to_string()
        .contains("downgrade with --sql requires <fromrev>:<torev>"));
}

#[test]
fn takes_over_a_database_diesel_migrations_manages() {
    use aludel_graph::import::read_diesel_dir;
    let diesel = aludel_tests::TempDir::new("diesel-project");
    for (dir, up, down) in [
        (
            "2024-01-01-000000_create_users",
            "CREATE TABLE users (id INTEGER PRIMARY KEY);",
            "DROP TABLE users;",
        ),
        (
            "2024-02-01-000000_create_posts",
            "CREATE TABLE posts (id INTEGER PRIMARY KEY);",
            "DROP TABLE posts;",
        ),
        (
            "2024-03-01-000000_create_tags",
            "CREATE TABLE tags (id INTEGER PRIMARY KEY);",
            "DROP TABLE tags;",
        ),
    ] {
        diesel.write(&format!("{dir}/up.sql"), up);
        diesel.write(&format!("{dir}/down.sql"), down);
    }
    let import = read_diesel_dir(&diesel.0).unwrap();
    let files: Vec<(String, Vec<u8>)> = import
        .to_revisions()
        .into_iter()
        .map(|(n, t)| (n, t.into_bytes()))
        .collect();
    let migrations =
        aludel::LoadedMigrations::from_files(&files, &aludel_graph::GraphOptions::default())
            .unwrap();
    for db in backends() {
        let mut conn = db.connect();
        // What diesel_migrations leaves behind after running the first two migrations.
        conn.batch("CREATE TABLE __diesel_schema_migrations (version VARCHAR(50) PRIMARY KEY NOT NULL, run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)").unwrap();
        conn.batch("CREATE TABLE users (id INTEGER PRIMARY KEY)")
            .unwrap();
        conn.batch("CREATE TABLE posts (id INTEGER PRIMARY KEY)")
            .unwrap();
        conn.batch("INSERT INTO __diesel_schema_migrations (version) VALUES ('20240101000000')")
            .unwrap();
        conn.batch("INSERT INTO __diesel_schema_migrations (version) VALUES ('20240201000000')")
            .unwrap();
        let m = migrations.migrator();
        let stamped = with_conn!(&mut conn, c => m.take_over_diesel(c)).unwrap();
        assert_eq!(
            stamped.as_deref(),
            Some("d20240201000000"),
            "{:?}",
            db.backend
        );
        assert_eq!(conn.versions(), vec!["d20240201000000"]);
        assert_eq!(
            with_conn!(&mut conn, c => m.take_over_diesel(c)).unwrap(),
            None,
            "taking over twice changes nothing"
        );
        let report = with_conn!(&mut conn, c => m.run_pending(c)).unwrap();
        let ran: Vec<&str> = report.steps.iter().map(|s| s.revision.as_str()).collect();
        assert_eq!(
            ran,
            vec!["d20240301000000"],
            "only diesel's pending migration runs"
        );
        assert!(conn.has_table("tags"));
    }
    for db in backends() {
        let mut conn = db.connect();
        conn.batch("CREATE TABLE __diesel_schema_migrations (version VARCHAR(50) PRIMARY KEY NOT NULL, run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)").unwrap();
        conn.batch("INSERT INTO __diesel_schema_migrations (version) VALUES ('20240101000000')")
            .unwrap();
        conn.batch("INSERT INTO __diesel_schema_migrations (version) VALUES ('20240301000000')")
            .unwrap();
        let err =
            with_conn!(&mut conn, c => migrations.migrator().take_over_diesel(c)).unwrap_err();
        assert!(
            err.to_string()
                .contains("diesel applied d20240301000000 but not the older d20240201000000"),
            "{err}"
        );
        conn.batch("INSERT INTO __diesel_schema_migrations (version) VALUES ('20990101000000')")
            .unwrap();
        let err =
            with_conn!(&mut conn, c => migrations.migrator().take_over_diesel(c)).unwrap_err();
        assert!(
            err.to_string()
                .contains("diesel recorded version 20990101000000"),
            "{err}"
        );
        assert!(
            !conn.has_table("alembic_version"),
            "a refused takeover changes nothing"
        );
    }
    let db = TestDb::new(Backend::Sqlite).unwrap();
    let err =
        with_conn!(&mut db.connect(), c => migrations.migrator().take_over_diesel(c)).unwrap_err();
    assert!(
        err.to_string()
            .contains("no __diesel_schema_migrations table"),
        "{err}"
    );
}
