//! diesel_migrations: `MigrationHarness::run_pending_migrations` with the migrations that
//! `embed_migrations!` embedded.

use bench_common::{fail, run, FreshDb, Tool};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness};

/// A diesel connection of either backend.
pub enum Conn {
    /// SQLite.
    Sqlite(SqliteConnection),
    /// PostgreSQL.
    Pg(PgConnection),
}

fn connect(db: &FreshDb) -> Conn {
    let failed = |e: diesel::ConnectionError| -> ! { fail(&format!("cannot connect: {e}")) };
    if db.is_sqlite() {
        Conn::Sqlite(SqliteConnection::establish(&db.location).unwrap_or_else(|e| failed(e)))
    } else {
        Conn::Pg(PgConnection::establish(&db.location).unwrap_or_else(|e| failed(e)))
    }
}

/// Measures the migrations as the command line asks. `migrations` returns the
/// `EmbeddedMigrations` (a `const`, as diesel's documentation declares it).
pub fn main(migrations: fn() -> EmbeddedMigrations) {
    let migrate = |conn: &mut Conn| -> Option<usize> {
        let applied = match conn {
            Conn::Sqlite(c) => c.run_pending_migrations(migrations()).map(|v| v.len()),
            Conn::Pg(c) => c.run_pending_migrations(migrations()).map(|v| v.len()),
        }
        .unwrap_or_else(|e| fail(&format!("diesel_migrations: {e}")));
        Some(applied)
    };
    let relax = |conn: &mut Conn| {
        match conn {
            Conn::Sqlite(c) => c.batch_execute("PRAGMA synchronous = OFF"),
            Conn::Pg(c) => c.batch_execute("SET synchronous_commit = off"),
        }
        .unwrap_or_else(|e| fail(&format!("relax: {e}")));
    };
    run(Tool {
        name: "diesel_migrations",
        connect: &connect,
        relax: &relax,
        migrate: &migrate,
        floor: None,
        direct: None,
    });
}
