//! An embedded history uses the version table (and schema) that its project's `aludel.toml`
//! names, as the `aludel` command line in that project does: the service and the command line
//! read and write the same table, whichever of them migrates.
//!
//! The fixture crates `tests/fixtures/app-version` (`version_table = "app_version"`) and
//! `tests/fixtures/app-version-schema` (also `version_table_schema = "ops"`, PostgreSQL) embed
//! the history `a` (branch `x`), `c`, `b` (down_revision `c`, depends_on `a`).

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking

use std::path::Path;

use aludel_fixture_app_version as app_version;
use aludel_fixture_app_version_schema as app_version_schema;
use aludel_tests::{with_conn, Backend, Conn, TestDb};
use clap::Parser;

/// Runs `aludel ARGS --database-url URL` as if started in `dir`; its stdout, or the error.
fn aludel(dir: &str, args: &[&str], url: &str) -> Result<String, String> {
    let argv = std::iter::once("aludel")
        .chain(args.iter().copied())
        .chain(["--database-url", url]);
    let cli = aludel_cli::Cli::try_parse_from(argv).map_err(|e| e.to_string())?;
    aludel_cli::execute(&cli, Path::new(dir)).map_err(|e| e.report())
}

/// A project's embedded history, its directory and its version table as SQL names it.
struct Fixture {
    migrations: &'static aludel::Migrations,
    dir: &'static str,
    table: &'static str,
    schema: Option<&'static str>,
}

const APP_VERSION: Fixture = Fixture {
    migrations: &app_version::MIGRATIONS,
    dir: app_version::PROJECT_DIR,
    table: "app_version",
    schema: None,
};

const APP_VERSION_SCHEMA: Fixture = Fixture {
    migrations: &app_version_schema::MIGRATIONS,
    dir: app_version_schema::PROJECT_DIR,
    table: "ops.app_version",
    schema: Some("ops"),
};

impl Fixture {
    /// A fresh database for the fixture (with its schema), or `None` without a server.
    fn database(&self, backend: Backend) -> Option<(TestDb, Conn)> {
        let db = TestDb::new(backend)?;
        let mut conn = db.connect();
        if let Some(schema) = self.schema {
            conn.batch(&format!("CREATE SCHEMA {schema}")).unwrap();
        }
        Some((db, conn))
    }

    fn rows(&self, conn: &mut Conn) -> Vec<String> {
        let mut rows = conn.strings(&format!("SELECT version_num AS a FROM {}", self.table));
        rows.sort();
        rows
    }
}

/// The service migrates; the command line in the project sees the same table.
fn service_then_cli(fixture: &Fixture, backend: Backend) {
    let Some((db, mut conn)) = fixture.database(backend) else {
        return;
    };
    let options = fixture.migrations.migrator().options().clone();
    assert_eq!(options.version_table, "app_version");
    assert_eq!(options.schema.as_deref(), fixture.schema);

    let report = with_conn!(&mut conn, c => fixture.migrations.run_pending(c)).unwrap();
    assert_eq!(report.steps.len(), 3, "{backend:?}");
    assert_eq!(fixture.rows(&mut conn), ["b"], "{backend:?}");
    assert!(
        !conn.has_table("alembic_version"),
        "{backend:?}: the service wrote alembic_version"
    );

    assert_eq!(
        aludel(fixture.dir, &["current"], &db.url).as_deref(),
        Ok("b (head)\n"),
        "{backend:?}"
    );
    aludel(fixture.dir, &["check"], &db.url).unwrap_or_else(|e| panic!("{backend:?}: {e}"));
}

/// The command line migrates; the service then finds nothing to do.
fn cli_then_service(fixture: &Fixture, backend: Backend) {
    let Some((db, mut conn)) = fixture.database(backend) else {
        return;
    };
    aludel(fixture.dir, &["upgrade", "heads"], &db.url)
        .unwrap_or_else(|e| panic!("{backend:?}: {e}"));
    assert_eq!(fixture.rows(&mut conn), ["b"], "{backend:?}");

    let report = with_conn!(&mut conn, c => fixture.migrations.run_pending(c)).unwrap();
    assert!(report.is_empty(), "{backend:?}: {report:?}");
    assert_eq!(report.heads_after, ["b"]);
    assert_eq!(
        with_conn!(&mut conn, c => fixture.migrations.current(c)).unwrap(),
        ["b"]
    );
    assert!(!conn.has_table("alembic_version"), "{backend:?}");
}

#[test]
fn the_service_writes_the_configured_table_and_the_cli_reads_it() {
    service_then_cli(&APP_VERSION, Backend::Sqlite);
    service_then_cli(&APP_VERSION, Backend::Postgres);
    service_then_cli(&APP_VERSION_SCHEMA, Backend::Postgres);
}

#[test]
fn the_cli_writes_the_configured_table_and_the_service_reads_it() {
    cli_then_service(&APP_VERSION, Backend::Sqlite);
    cli_then_service(&APP_VERSION, Backend::Postgres);
    cli_then_service(&APP_VERSION_SCHEMA, Backend::Postgres);
}

#[test]
fn an_embedded_history_without_aludel_toml_keeps_alembic_version() {
    static DEFAULTS: aludel::Migrations = aludel::embed_migrations!("fixtures/depends_on/versions");
    let options = DEFAULTS.migrator().options().clone();
    assert_eq!(options.version_table, "alembic_version");
    assert_eq!(options.schema, None);
}
