//! Rust revisions (`.rs`): the graph crate reads their header and functions without compiling
//! them; until the runtime runs them, a plan that contains one is refused by name before
//! anything changes, live and offline.

use aludel::{Dialect, Direction, Error, LoadedMigrations};
use aludel_graph::{GraphOptions, RevisionKind};
use aludel_tests::{Backend, TestDb};
use diesel::{Connection, SqliteConnection};

const SQL: &str = "-- revision: a1\n-- down_revision:\n\n-- upgrade\nCREATE TABLE a (id INTEGER);\n\n-- downgrade\nDROP TABLE a;\n";
const RUST: &str = "//! revision: b2\n//! down_revision: a1\n//! message: backfill\n\nuse aludel::op::Op;\n\npub fn upgrade(op: &mut Op<'_>) -> aludel::Result<()> {\n    op.execute(\"UPDATE a SET id = id\")\n}\n";

fn history() -> LoadedMigrations {
    let files = vec![
        ("versions/1_a.sql".to_string(), SQL.as_bytes().to_vec()),
        ("versions/2_b.rs".to_string(), RUST.as_bytes().to_vec()),
    ];
    LoadedMigrations::from_files(&files, &GraphOptions::default()).unwrap_or_else(|d| panic!("{d}"))
}

#[test]
fn a_mixed_history_is_one_graph() {
    let migrations = history();
    let graph = migrations.graph();
    let b = graph.get("b2").unwrap();
    assert_eq!(b.kind, RevisionKind::Rust);
    assert_eq!(b.down_revisions, ["a1"]);
    assert!(!b.is_reversible());
    assert_eq!(b.source.upgrade_line, 7);
    assert_eq!(graph.heads(), ["b2"]);
}

#[test]
fn a_plan_with_a_rust_revision_is_refused_before_anything_changes() {
    let db = TestDb::new(Backend::Sqlite).unwrap();
    let migrations = history();
    let mut conn = SqliteConnection::establish(&db.url).unwrap();
    let error = migrations.migrator().run_pending(&mut conn).unwrap_err();
    assert!(
        matches!(&error, Error::RustRevision { revision, path } if revision == "b2" && path == "versions/2_b.rs"),
        "{error:?}"
    );
    assert!(error.to_string().contains("nothing was changed"), "{error}");
    let mut conn = db.connect();
    assert!(!conn.has_table("alembic_version"), "no table was created");
    assert!(!conn.has_table("a"));

    // The SQL revision below it still applies on its own; the Rust one is refused again.
    let mut sqlite = SqliteConnection::establish(&db.url).unwrap();
    migrations.migrator().upgrade(&mut sqlite, "a1").unwrap();
    let error = migrations.migrator().run_pending(&mut sqlite).unwrap_err();
    assert!(matches!(error, Error::RustRevision { .. }), "{error:?}");
    assert_eq!(conn.versions(), ["a1"]);

    // Offline too: never a script that leaves the revision out.
    let error = migrations
        .migrator()
        .sql(Dialect::Postgres, Direction::Upgrade, "heads")
        .unwrap_err();
    assert!(matches!(error, Error::RustRevision { .. }), "{error:?}");
}

/// `users`, then a Rust revision that adds `email` and backfills it with typed diesel queries,
/// then an SQL revision.
static EMAIL: aludel::Migrations = aludel::embed_migrations!("fixtures/rust_revisions/versions");
/// `users`, then a Rust revision whose second statement fails.
static FAILING: aludel::Migrations = aludel::embed_migrations!("fixtures/rust_failing/versions");
/// `users`, then a Rust revision that commits a `transaction(..)` of its own, then fails.
static NESTED: aludel::Migrations = aludel::embed_migrations!("fixtures/rust_nested/versions");

#[test]
fn an_embedded_rust_revision_runs_in_its_transaction_on_every_backend() {
    for db in aludel_tests::backends() {
        let what = format!("{:?}", db.backend);
        let mut conn = db.connect();
        let report = aludel_tests::with_conn!(&mut conn, c => EMAIL.run_pending(c)).unwrap();
        let ids: Vec<&str> = report.steps.iter().map(|s| s.revision.as_str()).collect();
        assert_eq!(ids, ["r1", "r2", "r3"], "{what}");
        assert_eq!(conn.versions(), ["r3"], "{what}");
        let emails = conn.strings("SELECT email AS a FROM users ORDER BY id");
        assert_eq!(emails, ["ada@example.com", "alan@example.com"], "{what}");
        let logged = conn.strings(
            "SELECT revision AS a FROM aludel_revision_log WHERE direction = 'upgrade' ORDER BY id",
        );
        assert_eq!(logged, ["r1", "r2", "r3"], "{what}");
        // Nothing pending: the one-query check.
        let again = aludel_tests::with_conn!(&mut conn, c => EMAIL.run_pending(c)).unwrap();
        assert!(again.steps.is_empty(), "{what}");
        // The downgrade runs the Rust revision's `downgrade`.
        aludel_tests::with_conn!(&mut conn, c => EMAIL.downgrade(c, "r1")).unwrap();
        assert_eq!(conn.versions(), ["r1"], "{what}");
        assert_eq!(
            columns_of(&mut conn, db.backend, "users"),
            ["id", "name"],
            "{what}"
        );
    }
}

#[test]
fn a_rust_revision_failing_halfway_leaves_postgres_and_sqlite_unchanged() {
    // FAILING fails after its first statement; NESTED also commits a `transaction(..)` of its
    // own on the lent connection first, which must nest (a savepoint) and roll back with it.
    for (history, file) in [(&FAILING, "2_half.rs"), (&NESTED, "2_nested.rs")] {
        for backend in [Backend::Sqlite, Backend::Postgres] {
            // MySQL commits DDL implicitly: there the error says the revision may be partly
            // applied.
            let Some(db) = TestDb::new(backend) else {
                continue;
            };
            let what = format!("{backend:?}, {file}");
            let mut conn = db.connect();
            let error =
                aludel_tests::with_conn!(&mut conn, c => history.run_pending(c)).unwrap_err();
            match &error {
                Error::RevisionFailed {
                    revision,
                    path,
                    completed,
                    partial,
                    ..
                } => {
                    assert_eq!(revision, "f2", "{what}");
                    assert!(path.ends_with(file), "{what}: {path}");
                    assert!(!partial, "{what}");
                    let ids: Vec<&str> = completed.iter().map(|c| c.revision.as_str()).collect();
                    assert_eq!(ids, ["f1"], "{what}");
                }
                other => panic!("{what}: expected RevisionFailed, got {other:?}"),
            }
            assert!(
                error.to_string().contains("no_such_table"),
                "{what}: {error}"
            );
            assert_eq!(conn.versions(), ["f1"], "{what}");
            assert_eq!(
                columns_of(&mut conn, backend, "users"),
                ["id", "name"],
                "{what}: the first statement was rolled back"
            );
            assert!(
                conn.strings("SELECT name AS a FROM users").is_empty(),
                "{what}: nothing of the revision's own transaction stays"
            );
        }
    }
}

#[test]
fn offline_scripts_hold_a_rust_revisions_sql_or_refuse_it_by_name() {
    let script = FAILING
        .sql(Dialect::Postgres, Direction::Upgrade, "heads")
        .unwrap();
    assert!(
        script.contains(
            "ALTER TABLE users ADD COLUMN x INTEGER;\nINSERT INTO no_such_table (id) VALUES (1);"
        ),
        "{script}"
    );
    assert!(script.contains("-- Running upgrade f1 -> f2"), "{script}");
    // A data migration queries its connection, which a script cannot do.
    let error = EMAIL
        .sql(Dialect::Sqlite, Direction::Upgrade, "heads")
        .unwrap_err();
    assert!(
        matches!(&error, Error::OfflineNeedsDatabase { revision, .. } if revision == "r2"),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("needs a live database"),
        "{error}"
    );
}

/// The module form names each revision, Rust ones too.
mod named {
    aludel::migrations!("fixtures/rust_revisions/versions");
}

#[test]
fn the_module_form_embeds_rust_revisions_too() {
    let db = TestDb::new(Backend::Sqlite).unwrap();
    let mut conn = SqliteConnection::establish(&db.url).unwrap();
    assert!(named::migrations::rev_r2.is_rust());
    assert!(!named::migrations::rev_r1.is_rust());
    assert_eq!(named::migrations::rev_r2.upgrade_sql(), "");
    named::migrations::MIGRATIONS
        .upgrade(&mut conn, &named::migrations::rev_r2)
        .unwrap();
    let mut check = db.connect();
    assert_eq!(check.versions(), ["r2"]);
    assert_eq!(
        check.strings("SELECT email AS a FROM users ORDER BY id"),
        ["ada@example.com", "alan@example.com"]
    );
}

#[test]
fn a_revision_of_another_history_is_refused_as_a_target() {
    let db = TestDb::new(Backend::Sqlite).unwrap();
    let mut conn = SqliteConnection::establish(&db.url).unwrap();
    // No revision of that id here.
    let error = FAILING
        .upgrade(&mut conn, &named::migrations::rev_r2)
        .unwrap_err();
    assert!(
        matches!(&error, Error::ForeignTarget { revision, known: false, .. } if revision == "r2"),
        "{error:?}"
    );
    // The same id with other contents: NESTED's f2 is not FAILING's f2.
    let nested_f2 = NESTED.get("f2").unwrap();
    let error = FAILING.upgrade(&mut conn, nested_f2).unwrap_err();
    assert!(
        matches!(&error, Error::ForeignTarget { revision, known: true, .. } if revision == "f2"),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("is not this history's"),
        "{error}"
    );
    let error = FAILING.stamp(&mut conn, nested_f2, false).unwrap_err();
    assert!(matches!(error, Error::ForeignTarget { .. }), "{error:?}");
    // Nothing was created; the same files embedded twice are one revision.
    assert!(!db.connect().has_table("alembic_version"));
    let f1 = NESTED.get("f1").unwrap();
    FAILING.upgrade(&mut conn, f1).unwrap();
    assert_eq!(db.connect().versions(), ["f1"]);
}

#[test]
fn the_embedded_command_line_applies_rust_revisions() {
    let db = TestDb::new(Backend::Sqlite).unwrap();
    let run = |args: &[&str]| {
        let mut all = vec!["migrate"];
        all.extend_from_slice(args);
        aludel_cli::run_embedded_with_args(&EMAIL, all)
    };
    assert_eq!(
        run(&["upgrade", "heads", "--database-url", &db.url]),
        std::process::ExitCode::SUCCESS
    );
    let mut conn = db.connect();
    assert_eq!(conn.versions(), ["r3"]);
    assert_eq!(
        conn.strings("SELECT email AS a FROM users ORDER BY id"),
        ["ada@example.com", "alan@example.com"]
    );
    assert_eq!(
        run(&["downgrade", "r1", "--database-url", &db.url]),
        std::process::ExitCode::SUCCESS
    );
    assert_eq!(conn.versions(), ["r1"]);
}

/// A Rust revision that uses every table, column and index operation.
static OPS: aludel::Migrations = aludel::embed_migrations!("fixtures/rust_ops/versions");

/// The columns of a table, in order, from the database's catalogue.
fn columns_of(conn: &mut aludel_tests::Conn, backend: Backend, table: &str) -> Vec<String> {
    conn.strings(&match backend {
        Backend::Sqlite => format!("SELECT name AS a FROM pragma_table_info('{table}') ORDER BY cid"),
        Backend::Postgres => format!("SELECT CAST(column_name AS TEXT) AS a FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '{table}' ORDER BY ordinal_position"),
        Backend::Mysql => format!("SELECT CAST(column_name AS CHAR) AS a FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = '{table}' ORDER BY ordinal_position"),
    })
}

/// The indexes of a table that are not its primary key's, sorted, each with `unique` when so.
fn indexes_of(conn: &mut aludel_tests::Conn, backend: Backend, table: &str) -> Vec<String> {
    conn.strings(&match backend {
        Backend::Sqlite => format!("SELECT name || CASE WHEN \"unique\" THEN ' unique' ELSE '' END AS a FROM pragma_index_list('{table}') WHERE origin = 'c' ORDER BY name"),
        Backend::Postgres => format!("SELECT CAST(c.relname AS TEXT) || CASE WHEN i.indisunique THEN ' unique' ELSE '' END AS a FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid WHERE t.relname = '{table}' AND NOT i.indisprimary ORDER BY 1"),
        Backend::Mysql => format!("SELECT DISTINCT CONCAT(index_name, CASE WHEN non_unique = 0 THEN ' unique' ELSE '' END) AS a FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = '{table}' AND index_name <> 'PRIMARY' ORDER BY 1"),
    })
}

#[test]
fn every_operation_applies_and_reverts_on_every_backend() {
    for db in aludel_tests::backends() {
        let backend = db.backend;
        let what = format!("{backend:?}");
        let mut conn = db.connect();
        aludel_tests::with_conn!(&mut conn, c => OPS.run_pending(c)).unwrap();
        assert_eq!(conn.versions(), ["o2"], "{what}");
        assert_eq!(
            columns_of(&mut conn, backend, "accounts"),
            ["id", "name", "amount", "email"],
            "{what}"
        );
        assert_eq!(
            indexes_of(&mut conn, backend, "accounts"),
            ["accounts_email unique", "accounts_name"],
            "{what}"
        );
        assert_eq!(
            columns_of(&mut conn, backend, "notes"),
            ["id", "body"],
            "{what}"
        );
        assert!(!conn.has_table("drafts"), "{what}");
        // `entries`: a foreign key to accounts(id) and a unique slug.
        let foreign_keys = conn.strings(match backend {
            Backend::Sqlite => "SELECT \"table\" || '.' || \"to\" AS a FROM pragma_foreign_key_list('entries')",
            Backend::Postgres => "SELECT CAST(ccu.table_name AS TEXT) || '.' || CAST(ccu.column_name AS TEXT) AS a FROM information_schema.table_constraints tc JOIN information_schema.constraint_column_usage ccu ON ccu.constraint_name = tc.constraint_name AND ccu.table_schema = tc.table_schema WHERE tc.table_name = 'entries' AND tc.constraint_type = 'FOREIGN KEY'",
            Backend::Mysql => "SELECT CONCAT(referenced_table_name, '.', referenced_column_name) AS a FROM information_schema.key_column_usage WHERE table_schema = DATABASE() AND table_name = 'entries' AND referenced_table_name IS NOT NULL",
        });
        assert_eq!(foreign_keys, ["accounts.id"], "{what}");
        conn.batch("INSERT INTO entries (id, account_id, slug) VALUES (1, 10, 'a')")
            .unwrap();
        assert!(
            conn.batch("INSERT INTO entries (id, account_id, slug) VALUES (2, 10, 'a')")
                .is_err(),
            "{what}: the slug is unique"
        );
        assert_eq!(
            conn.strings("SELECT name AS a FROM accounts ORDER BY id"),
            ["o'hara", r"back\slash"],
            "{what}: bulk_insert's literals"
        );
        assert_eq!(
            conn.strings("SELECT email AS a FROM accounts WHERE id = 11"),
            ["é@example.com"],
            "{what}"
        );
        assert_eq!(
            conn.strings("SELECT CAST(COUNT(*) AS CHAR(10)) AS a FROM notes")
                .iter()
                .map(|n| n.trim())
                .collect::<Vec<_>>(),
            ["1200"],
            "{what}: 1,200 rows in three statements"
        );
        // The default and NOT NULL hold.
        conn.batch("INSERT INTO accounts (id, name) VALUES (1, 'ada')")
            .unwrap();
        assert_eq!(
            conn.strings(
                "SELECT CAST(amount AS CHAR(20)) AS a FROM accounts WHERE id = 1 AND amount = 0"
            )
            .len(),
            1,
            "{what}: the default"
        );
        assert!(
            conn.batch("INSERT INTO accounts (id) VALUES (2)").is_err(),
            "{what}: name is NOT NULL"
        );

        aludel_tests::with_conn!(&mut conn, c => OPS.downgrade(c, "o1")).unwrap();
        assert_eq!(conn.versions(), ["o1"], "{what}");
        assert!(
            !conn.has_table("accounts") && !conn.has_table("notes") && !conn.has_table("entries"),
            "{what}"
        );
    }
}

#[test]
fn operations_render_into_offline_scripts_per_dialect() {
    let sqlite = OPS
        .sql(Dialect::Sqlite, Direction::Upgrade, "heads")
        .unwrap();
    assert!(sqlite.contains(r#"CREATE TABLE "accounts" ("id" INTEGER NOT NULL, "name" VARCHAR(100) NOT NULL, "balance" NUMERIC(10, 2) NOT NULL DEFAULT 0, PRIMARY KEY ("id"));"#), "{sqlite}");
    assert!(
        sqlite.contains(r#"ALTER TABLE "accounts" RENAME COLUMN "balance" TO "amount";"#),
        "{sqlite}"
    );
    let mysql = OPS
        .sql(Dialect::Mysql, Direction::Downgrade, "o2:o1")
        .unwrap();
    assert!(
        mysql.contains("DROP INDEX `accounts_name` ON `accounts`;"),
        "{mysql}"
    );
    let postgres = OPS
        .sql(Dialect::Postgres, Direction::Upgrade, "heads")
        .unwrap();
    assert!(
        postgres.contains(r#"CREATE TABLE "drafts" ("id" BIGINT NOT NULL, PRIMARY KEY ("id"));"#),
        "{postgres}"
    );
}

/// [`EMAIL`] with its Rust revision edited (a comment added) after it was applied.
static EMAIL_EDITED: aludel::Migrations =
    aludel::embed_migrations!("fixtures/rust_revisions_edited/versions");

#[test]
fn an_applied_rust_revision_edited_afterwards_is_drift() {
    let db = TestDb::new(Backend::Sqlite).unwrap();
    let mut conn = SqliteConnection::establish(&db.url).unwrap();
    EMAIL.run_pending(&mut conn).unwrap();
    let error = EMAIL_EDITED.run_pending(&mut conn).unwrap_err();
    assert!(
        matches!(&error, Error::Drift { revision, path, .. } if revision == "r2" && path.ends_with("2_email.rs")),
        "{error:?}"
    );
}

/// A `transactional: false` Rust revision that builds an index concurrently.
static CONCURRENTLY: aludel::Migrations =
    aludel::embed_migrations!("fixtures/rust_concurrently/versions");

#[test]
fn an_index_is_built_concurrently_outside_a_transaction() {
    for db in aludel_tests::backends() {
        let backend = db.backend;
        let what = format!("{backend:?}");
        let mut conn = db.connect();
        aludel_tests::with_conn!(&mut conn, c => CONCURRENTLY.run_pending(c)).unwrap();
        assert_eq!(conn.versions(), ["c2"], "{what}");
        assert_eq!(
            indexes_of(&mut conn, backend, "items"),
            ["items_name unique"],
            "{what}"
        );
        aludel_tests::with_conn!(&mut conn, c => CONCURRENTLY.downgrade(c, "c1")).unwrap();
        assert!(indexes_of(&mut conn, backend, "items").is_empty(), "{what}");
    }
    let script = CONCURRENTLY
        .sql(Dialect::Postgres, Direction::Upgrade, "heads")
        .unwrap();
    assert!(
        script.contains(r#"CREATE UNIQUE INDEX CONCURRENTLY "items_name" ON "items" ("name");"#),
        "{script}"
    );
}

/// A history with a label, for the typed items.
mod labelled {
    aludel::migrations!("fixtures/depends_on/versions");
}

#[test]
fn the_module_form_has_typed_items() {
    // Ids in const contexts.
    const R2: &str = named::migrations::ids::rev_r2;
    assert_eq!(R2, "r2");
    // Parents as references to the other items, usable as targets.
    let parents = named::migrations::parents::rev_r2;
    assert_eq!(parents.len(), 1);
    assert!(std::ptr::eq(parents[0], &named::migrations::rev_r1));
    assert!(named::migrations::parents::rev_r1.is_empty());
    assert_eq!(named::migrations::HEADS.len(), 1);
    assert!(std::ptr::eq(
        named::migrations::HEADS[0],
        &named::migrations::rev_r3
    ));
    let db = TestDb::new(Backend::Sqlite).unwrap();
    let mut conn = SqliteConnection::establish(&db.url).unwrap();
    named::migrations::MIGRATIONS
        .upgrade(&mut conn, parents[0])
        .unwrap();
    assert_eq!(db.connect().versions(), ["r1"]);
    // Labels: `x` is carried by revision `a` of that history.
    assert!(std::ptr::eq(
        labelled::migrations::labels::x,
        &labelled::migrations::rev_a
    ));
}
