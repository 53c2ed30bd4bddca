//! refinery: `runner().run(&mut conn)` with the `runner` that `embed_migrations!` generates
//! (rusqlite for SQLite, the synchronous `postgres` client for PostgreSQL). Building the
//! runner is part of every call, as in a service that calls `migrations::runner().run(..)` at
//! startup.

use bench_common::{fail, run, FreshDb, Tool};
use refinery::Runner;

/// A connection of either backend.
pub enum Conn {
    /// SQLite.
    Sqlite(rusqlite::Connection),
    /// PostgreSQL.
    Pg(postgres::Client),
}

fn connect(db: &FreshDb) -> Conn {
    if db.is_sqlite() {
        Conn::Sqlite(
            rusqlite::Connection::open(&db.location)
                .unwrap_or_else(|e| fail(&format!("cannot connect: {e}"))),
        )
    } else {
        Conn::Pg(
            postgres::Client::connect(&db.location, postgres::NoTls)
                .unwrap_or_else(|e| fail(&format!("cannot connect: {e}"))),
        )
    }
}

/// Measures the migrations as the command line asks; `runner` is the generated
/// `migrations::runner`.
pub fn main(runner: fn() -> Runner) {
    let migrate = |conn: &mut Conn| -> Option<usize> {
        let report = match conn {
            Conn::Sqlite(c) => runner().run(c),
            Conn::Pg(c) => runner().run(c),
        }
        .unwrap_or_else(|e| fail(&format!("refinery: {e}")));
        Some(report.applied_migrations().len())
    };
    let relax = |conn: &mut Conn| {
        match conn {
            Conn::Sqlite(c) => c
                .execute_batch("PRAGMA synchronous = OFF")
                .unwrap_or_else(|e| fail(&format!("relax: {e}"))),
            Conn::Pg(c) => c
                .batch_execute("SET synchronous_commit = off")
                .unwrap_or_else(|e| fail(&format!("relax: {e}"))),
        }
    };
    run(Tool {
        name: "refinery",
        connect: &connect,
        relax: &relax,
        migrate: &migrate,
        floor: None,
        direct: None,
    });
}
