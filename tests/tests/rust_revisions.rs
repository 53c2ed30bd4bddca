//! Rust revisions (`.rs`): the graph crate reads their header and functions without compiling
//! them; until the runtime runs them, a plan that contains one is refused by name before
//! anything changes, live and offline.

use aludel::{Dialect, Direction, Error, LoadedMigrations};
use aludel_graph::{load_files, GraphOptions, RevisionKind};
use aludel_tests::{Backend, TestDb};
use diesel::{Connection, SqliteConnection};

const SQL: &str = "-- revision: a1\n-- down_revision:\n\n-- upgrade\nCREATE TABLE a (id INTEGER);\n\n-- downgrade\nDROP TABLE a;\n";
const RUST: &str = "//! revision: b2\n//! down_revision: a1\n//! message: backfill\n\nuse aludel::op::Op;\n\npub fn upgrade(op: &mut Op<'_>) -> aludel::Result<()> {\n    op.execute(\"UPDATE a SET id = id\")\n}\n";

fn history() -> LoadedMigrations {
    let files = vec![
        ("versions/1_a.sql".to_string(), SQL.as_bytes().to_vec()),
        ("versions/2_b.rs".to_string(), RUST.as_bytes().to_vec()),
    ];
    let graph = load_files(&files, &GraphOptions::default()).unwrap_or_else(|d| panic!("{d}"));
    LoadedMigrations::new(graph)
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
