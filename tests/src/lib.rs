//! Test support for aludel's integration tests: a fresh database per test on each backend,
//! and histories written to temporary directories.
//!
//! PostgreSQL and MySQL tests use the servers named by `ALUDEL_TEST_POSTGRES_URL` and
//! `ALUDEL_TEST_MYSQL_URL` (`scripts/test.sh` sets them to the project machines' servers).
//! Without a URL a test is skipped with a note, unless `ALUDEL_TEST_REQUIRE_SERVERS=1`, which
//! turns a missing or unreachable server into a failure.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // test support fails by panicking

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use aludel::LoadedMigrations;
use aludel_graph::{load_dir, GraphOptions};
use diesel::connection::SimpleConnection;
use diesel::{Connection, MysqlConnection, PgConnection, SqliteConnection};

pub mod asynchronous;
pub mod pgbouncer;
pub mod race;

/// The backends aludel supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite, in a temporary file.
    Sqlite,
    /// PostgreSQL, a fresh database on the test server.
    Postgres,
    /// MySQL or MariaDB, a fresh database on the test server.
    Mysql,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A name no other test (or process) uses.
pub fn unique_name(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}_{}_{}_{nanos:x}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}

/// A temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// A new empty directory.
    pub fn new(prefix: &str) -> TempDir {
        let dir = std::env::temp_dir().join(unique_name(prefix));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    /// Writes a file below the directory.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A database made for one test, dropped afterwards.
pub struct TestDb {
    /// The backend.
    pub backend: Backend,
    /// The URL of the test's own database.
    pub url: String,
    admin_url: Option<String>,
    name: String,
    _dir: Option<TempDir>,
}

fn server_url(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            if std::env::var("ALUDEL_TEST_REQUIRE_SERVERS").as_deref() == Ok("1") {
                panic!("{var} is not set but ALUDEL_TEST_REQUIRE_SERVERS=1");
            }
            eprintln!("note: {var} is not set; skipping this test (scripts/test.sh sets it)");
            None
        }
    }
}

/// `url` with its database name replaced.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

impl TestDb {
    /// A fresh database on `backend`, or `None` when the backend's server is not configured
    /// (and not required).
    pub fn new(backend: Backend) -> Option<TestDb> {
        let name = unique_name("aludel_t");
        match backend {
            Backend::Sqlite => {
                let dir = TempDir::new("aludel-sqlite");
                let url = dir.0.join("test.db").to_string_lossy().into_owned();
                Some(TestDb {
                    backend,
                    url,
                    admin_url: None,
                    name,
                    _dir: Some(dir),
                })
            }
            Backend::Postgres => {
                Self::on_server::<PgConnection>(backend, "ALUDEL_TEST_POSTGRES_URL", name)
            }
            Backend::Mysql => {
                Self::on_server::<MysqlConnection>(backend, "ALUDEL_TEST_MYSQL_URL", name)
            }
        }
    }

    /// A fresh database on the server named by `var`, through an admin connection of type `C`.
    fn on_server<C: Connection + SimpleConnection>(
        backend: Backend,
        var: &str,
        name: String,
    ) -> Option<TestDb> {
        let admin = server_url(var)?;
        let mut conn = C::establish(&admin)
            .unwrap_or_else(|e| panic!("cannot connect to {backend:?} at {admin}: {e}"));
        conn.batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        Some(TestDb {
            backend,
            url: with_database(&admin, &name),
            admin_url: Some(admin),
            name,
            _dir: None,
        })
    }

    /// A new connection to the test's database.
    pub fn connect(&self) -> Conn {
        match self.backend {
            Backend::Sqlite => Conn::Sqlite(SqliteConnection::establish(&self.url).unwrap()),
            Backend::Postgres => Conn::Postgres(PgConnection::establish(&self.url).unwrap()),
            Backend::Mysql => Conn::Mysql(MysqlConnection::establish(&self.url).unwrap()),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(admin) = &self.admin_url else { return };
        match self.backend {
            Backend::Postgres => {
                if let Ok(mut conn) = PgConnection::establish(admin) {
                    let _ = conn.batch_execute(&format!(
                        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                        self.name
                    ));
                }
            }
            Backend::Mysql => {
                if let Ok(mut conn) = MysqlConnection::establish(admin) {
                    let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {}", self.name));
                }
            }
            Backend::Sqlite => {}
        }
    }
}

/// A connection of any backend.
pub enum Conn {
    /// SQLite.
    Sqlite(SqliteConnection),
    /// PostgreSQL.
    Postgres(PgConnection),
    /// MySQL.
    Mysql(MysqlConnection),
}

/// Runs `$body` with `$c` bound to the concrete connection inside a [`Conn`].
#[macro_export]
macro_rules! with_conn {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::Conn::Sqlite($c) => $body,
            $crate::Conn::Postgres($c) => $body,
            $crate::Conn::Mysql($c) => $body,
        }
    };
}

impl Conn {
    /// Runs SQL.
    pub fn batch(&mut self, sql: &str) -> diesel::QueryResult<()> {
        with_conn!(self, c => c.batch_execute(sql))
    }

    /// The first column of a query's rows, as text (the query must alias it `a`).
    pub fn strings(&mut self, sql: &str) -> Vec<String> {
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Text)]
            a: String,
        }
        let rows: Vec<Row> = with_conn!(self, c => diesel::sql_query(sql).load(c)).unwrap();
        rows.into_iter().map(|r| r.a).collect()
    }

    /// The version table's rows, sorted.
    pub fn versions(&mut self) -> Vec<String> {
        let mut v = self.strings("SELECT version_num AS a FROM alembic_version");
        v.sort();
        v
    }

    /// Whether a table exists in the test's database.
    pub fn has_table(&mut self, name: &str) -> bool {
        let sql = match self {
            Conn::Sqlite(_) => format!("SELECT name AS a FROM sqlite_master WHERE type = 'table' AND name = '{name}'"),
            Conn::Postgres(_) => format!("SELECT CAST(table_name AS TEXT) AS a FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = '{name}'"),
            Conn::Mysql(_) => format!("SELECT CAST(table_name AS CHAR) AS a FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = '{name}'"),
        };
        !self.strings(&sql).is_empty()
    }
}

/// A revision file's text.
pub fn revision(id: &str, down: &str, upgrade: &str, downgrade: Option<&str>) -> String {
    let mut text = format!(
        "-- revision: {id}\n-- down_revision: {down}\n-- message: {id}\n\n-- upgrade\n{upgrade}\n"
    );
    if let Some(down) = downgrade {
        text.push_str(&format!("\n-- downgrade\n{down}\n"));
    }
    text
}

/// A history in a temporary directory.
pub struct TestHistory {
    /// The directory.
    pub dir: TempDir,
}

impl TestHistory {
    /// An empty history directory.
    pub fn new() -> TestHistory {
        TestHistory {
            dir: TempDir::new("aludel-history"),
        }
    }

    /// Adds a revision file.
    pub fn add(&self, file: &str, text: &str) -> &Self {
        self.dir.write(file, text);
        self
    }

    /// Loads and validates the directory.
    pub fn load(&self) -> LoadedMigrations {
        load_history(&self.dir.0)
    }
}

impl Default for TestHistory {
    fn default() -> Self {
        Self::new()
    }
}

/// Loads and validates a versions directory.
pub fn load_history(dir: &Path) -> LoadedMigrations {
    let history = load_dir(dir, dir, &GraphOptions::default()).unwrap_or_else(|d| panic!("{d}"));
    LoadedMigrations::new(history.graph, history.sections)
}

/// The backends to test: SQLite always, the servers when configured.
pub fn backends() -> Vec<TestDb> {
    [Backend::Sqlite, Backend::Postgres, Backend::Mysql]
        .into_iter()
        .filter_map(TestDb::new)
        .collect()
}

/// diesel_cli, whose `diesel print-schema` tests put beside aludel's (`ALUDEL_TEST_DIESEL`,
/// which scripts/test.sh sets to the one it builds), or `None` with a note naming `what` is
/// skipped; with `ALUDEL_TEST_REQUIRE_DIESEL=1` (CI) its absence fails the test instead.
pub fn diesel_cli(what: &str) -> Option<std::path::PathBuf> {
    match std::env::var_os("ALUDEL_TEST_DIESEL") {
        Some(path) if !path.is_empty() => Some(path.into()),
        _ => {
            assert!(
                std::env::var("ALUDEL_TEST_REQUIRE_DIESEL").as_deref() != Ok("1"),
                "ALUDEL_TEST_REQUIRE_DIESEL=1 but ALUDEL_TEST_DIESEL names no diesel_cli ({what})"
            );
            eprintln!("note: ALUDEL_TEST_DIESEL is not set; {what} is skipped (scripts/test.sh builds diesel_cli)");
            None
        }
    }
}

/// The stdout of `diesel ARGS` run in `dir`; a failure fails the test with diesel's stderr.
pub fn run_diesel(diesel: &std::path::Path, dir: &std::path::Path, args: &[&str]) -> String {
    let output = std::process::Command::new(diesel)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", diesel.display()));
    assert!(
        output.status.success(),
        "diesel {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap_or_else(|e| panic!("diesel printed non-UTF-8: {e}"))
}
