//! sqlx: `Migrator::run` with the `Migrator` that `sqlx::migrate!` embedded, on one
//! connection (no pool, so no pool health check is timed), in a current-thread tokio runtime.

use bench_common::{fail, run, FreshDb, Tool};
use sqlx::migrate::Migrator;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, PgConnection, SqliteConnection};

/// A connection of either backend with the runtime that drives it.
pub struct Conn {
    runtime: tokio::runtime::Runtime,
    conn: Backend,
}

enum Backend {
    Sqlite(SqliteConnection),
    Pg(PgConnection),
}

fn connect(db: &FreshDb) -> Conn {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| fail(&format!("cannot start tokio: {e}")));
    let conn = runtime.block_on(async {
        if db.is_sqlite() {
            // SQLite's defaults, as diesel and rusqlite use them (sqlx leaves journal_mode
            // and synchronous alone and turns foreign keys on).
            let options = SqliteConnectOptions::new()
                .filename(&db.location)
                .create_if_missing(true);
            SqliteConnection::connect_with(&options).await.map(Backend::Sqlite)
        } else {
            PgConnection::connect(&db.location).await.map(Backend::Pg)
        }
    });
    Conn {
        runtime,
        conn: conn.unwrap_or_else(|e| fail(&format!("cannot connect: {e}"))),
    }
}

/// Measures `migrator` as the command line asks. sqlx does not report what it applied; the
/// embedded history is checked instead (`n` reversible migrations: an up and a down each).
pub fn main(migrator: &'static Migrator) {
    let migrate = |c: &mut Conn| -> Option<usize> {
        let Conn { runtime, conn } = c;
        match conn {
            Backend::Sqlite(conn) => runtime.block_on(migrator.run(conn)),
            Backend::Pg(conn) => runtime.block_on(migrator.run(conn)),
        }
        .unwrap_or_else(|e| fail(&format!("sqlx: {e}")));
        None
    };
    let ups = migrator
        .iter()
        .filter(|m| !m.migration_type.is_down_migration())
        .count();
    let n: usize = std::env::args()
        .skip_while(|a| a != "--n")
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    if ups != n {
        fail(&format!("sqlx embedded {ups} up migrations, expected {n}"));
    }
    let relax = |c: &mut Conn| {
        let Conn { runtime, conn } = c;
        match conn {
            Backend::Sqlite(conn) => runtime
                .block_on(sqlx::raw_sql("PRAGMA synchronous = OFF").execute(conn))
                .map(|_| ()),
            Backend::Pg(conn) => runtime
                .block_on(sqlx::raw_sql("SET synchronous_commit = off").execute(conn))
                .map(|_| ()),
        }
        .unwrap_or_else(|e| fail(&format!("relax: {e}")));
    };
    run(Tool {
        name: "sqlx",
        connect: &connect,
        relax: &relax,
        migrate: &migrate,
        floor: None,
        direct: None,
    });
}
