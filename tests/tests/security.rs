//! Identifiers from the configuration (the version table, the revision log, the PostgreSQL
//! schema) are quoted for each dialect: names with quotes, spaces, keywords and SQL in them
//! work on every backend, and none of them runs as SQL.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking

use aludel::{Direction, Options};
use aludel_graph::sql::Dialect;
use aludel_tests::{backends, revision, with_conn, Backend, Conn, TestDb, TestHistory};

/// `a <- b`, each creating a table.
fn history() -> TestHistory {
    let h = TestHistory::new();
    h.add(
        "1.sql",
        &revision(
            "a1",
            "",
            "CREATE TABLE ta (id INTEGER);",
            Some("DROP TABLE ta;"),
        ),
    );
    h.add(
        "2.sql",
        &revision(
            "b2",
            "a1",
            "CREATE TABLE tb (id INTEGER);",
            Some("DROP TABLE tb;"),
        ),
    );
    h
}

fn dialect(backend: Backend) -> Dialect {
    match backend {
        Backend::Sqlite => Dialect::Sqlite,
        Backend::Postgres => Dialect::Postgres,
        Backend::Mysql => Dialect::Mysql,
    }
}

/// Names that break unquoted SQL, or would run SQL if pasted into a statement.
fn hostile_names(backend: Backend) -> Vec<String> {
    let quote = if backend == Backend::Mysql { '`' } else { '"' };
    vec![
        "my \"versions\"".to_string(),
        "weird name".to_string(),
        "select".to_string(),
        "order".to_string(),
        "a`b".to_string(),
        "it's".to_string(),
        "ünïcödé".to_string(),
        format!("x{quote}; DROP TABLE victim; --"),
        "x'); DROP TABLE victim; --".to_string(),
        "x\\".to_string(),
    ]
}

fn victim_survives(conn: &mut Conn, what: &str) {
    assert!(
        conn.has_table("victim"),
        "{what}: the table `victim` survived"
    );
}

#[test]
fn table_names_with_quotes_spaces_and_keywords() {
    let migrations = history().load();
    for db in backends() {
        let mut conn = db.connect();
        conn.batch("CREATE TABLE victim (id INTEGER)").unwrap();
        let d = dialect(db.backend);
        for name in hostile_names(db.backend) {
            let what = format!("{:?} {name:?}", db.backend);
            // Each name as the version table, and (with a suffix) as the log.
            let log = format!("{name} log");
            let m = migrations
                .migrator()
                .with_options(Options::default().version_table(&name).log_table(&log));
            let report = with_conn!(&mut conn, c => m.run_pending(c))
                .unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(report.steps.len(), 2, "{what}");
            let rows = conn.strings(&format!(
                "SELECT version_num AS a FROM {}",
                d.quote_identifier(&name)
            ));
            assert_eq!(rows, vec!["b2"], "{what}");
            let logged = conn.strings(&format!(
                "SELECT revision AS a FROM {} ORDER BY id",
                d.quote_identifier(&log)
            ));
            assert_eq!(logged, vec!["a1", "b2"], "{what}");
            assert!(
                with_conn!(&mut conn, c => m.run_pending(c))
                    .unwrap()
                    .is_empty(),
                "{what}: the no-op check reads the quoted tables"
            );
            assert_eq!(
                with_conn!(&mut conn, c => m.current(c)).unwrap(),
                vec!["b2"]
            );
            let plan = with_conn!(&mut conn, c => m.plan(c, Direction::Downgrade, "base")).unwrap();
            assert_eq!(plan.steps.len(), 2, "{what}");
            with_conn!(&mut conn, c => m.downgrade(c, "base")).unwrap();
            with_conn!(&mut conn, c => m.stamp(c, "heads", false)).unwrap();
            with_conn!(&mut conn, c => m.stamp(c, "base", true)).unwrap();
            with_conn!(&mut conn, c => m.upgrade(c, "a1")).unwrap();
            with_conn!(&mut conn, c => m.accept_changes(c)).unwrap();
            assert_eq!(
                conn.strings(&format!(
                    "SELECT version_num AS a FROM {}",
                    d.quote_identifier(&name)
                )),
                vec!["a1"],
                "{what}"
            );
            with_conn!(&mut conn, c => m.downgrade(c, "base")).unwrap();
            victim_survives(&mut conn, &what);
            // The offline script quotes the same way.
            let script = m.sql(d, Direction::Upgrade, "heads").unwrap();
            assert!(
                script.contains(&format!(
                    "INSERT INTO {} (version_num)",
                    d.quote_identifier(&name)
                )),
                "{what}: {script}"
            );
        }
        victim_survives(&mut conn, &format!("{:?}", db.backend));
    }
}

#[test]
fn postgres_schema_names_with_quotes_spaces_and_keywords() {
    let migrations = history().load();
    let Some(db) = TestDb::new(Backend::Postgres) else {
        return;
    };
    let mut conn = db.connect();
    conn.batch("CREATE TABLE victim (id INTEGER)").unwrap();
    let d = Dialect::Postgres;
    for schema in hostile_names(Backend::Postgres) {
        conn.batch(&format!("CREATE SCHEMA {}", d.quote_identifier(&schema)))
            .unwrap();
        let m = migrations
            .migrator()
            .with_options(Options::default().schema(&schema).version_table("select"));
        with_conn!(&mut conn, c => m.run_pending(c)).unwrap_or_else(|e| panic!("{schema:?}: {e}"));
        let qualified = format!(
            "{}.{}",
            d.quote_identifier(&schema),
            d.quote_identifier("select")
        );
        assert_eq!(
            conn.strings(&format!("SELECT version_num AS a FROM {qualified}")),
            vec!["b2"],
            "{schema:?}"
        );
        assert!(with_conn!(&mut conn, c => m.run_pending(c))
            .unwrap()
            .is_empty());
        with_conn!(&mut conn, c => m.downgrade(c, "base")).unwrap();
        victim_survives(&mut conn, &schema);
    }
}

#[test]
fn names_that_cannot_be_tables_are_refused_before_anything_runs() {
    let migrations = history().load();
    for db in backends() {
        let mut conn = db.connect();
        for (name, expected) in [
            (
                "",
                "the version table name `` is not usable: give 1 to 63 characters",
            ),
            ("a\0b", "is not usable: give 1 to 63 characters"),
        ] {
            let m = migrations
                .migrator()
                .with_options(Options::default().version_table(name));
            let err = with_conn!(&mut conn, c => m.run_pending(c))
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected), "{:?} {name:?}: {err}", db.backend);
        }
        let long = "v".repeat(64);
        let m = migrations
            .migrator()
            .with_options(Options::default().log_table(&long));
        let err = with_conn!(&mut conn, c => m.run_pending(c))
            .unwrap_err()
            .to_string();
        assert!(err.contains("give 1 to 63 characters"), "{err}");
        assert!(!conn.has_table("alembic_version"), "nothing ran");
    }
}

#[test]
fn the_longest_names_work_everywhere() {
    // 63 characters: PostgreSQL's limit. The constraint and index names aludel derives from
    // them (`<version table>_pkc`, `<log>_lineage`) must not break the run.
    let migrations = history().load();
    for db in backends() {
        let mut conn = db.connect();
        let version = format!("v{}", "x".repeat(62));
        let log = format!("l{}", "y".repeat(62));
        let m = migrations
            .migrator()
            .with_options(Options::default().version_table(&version).log_table(&log));
        with_conn!(&mut conn, c => m.run_pending(c))
            .unwrap_or_else(|e| panic!("{:?}: {e}", db.backend));
        assert!(with_conn!(&mut conn, c => m.run_pending(c))
            .unwrap()
            .is_empty());
        // The lineage record, named after the log, exists under a name that fits (PostgreSQL
        // would cut `<63 characters>_lineage` back to the log's own name and skip it).
        let tables = conn.strings(&match db.backend {
            Backend::Sqlite => "SELECT name AS a FROM sqlite_master WHERE type = 'table'".to_string(),
            // PostgreSQL keeps the lineage in a function of that name.
            Backend::Postgres => "SELECT CAST(tablename AS TEXT) AS a FROM pg_tables WHERE schemaname = current_schema() UNION ALL SELECT CAST(proname AS TEXT) FROM pg_proc WHERE pronamespace = CAST(current_schema() AS regnamespace)".to_string(),
            Backend::Mysql => "SELECT CAST(table_name AS CHAR) AS a FROM information_schema.tables WHERE table_schema = DATABASE()".to_string(),
        });
        assert!(
            tables
                .iter()
                .any(|t| t.ends_with("_lineage") && t.len() <= 63 && t.starts_with("lyyy")),
            "{:?}: {tables:?}",
            db.backend
        );
        with_conn!(&mut conn, c => m.downgrade(c, "base")).unwrap();
    }
}
