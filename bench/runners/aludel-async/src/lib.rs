//! aludel's async call: `Migrations::run_pending_async` on a diesel-async connection
//! (`AsyncPgConnection`; `SyncConnectionWrapper<SqliteConnection>` for SQLite), one connection
//! (no pool), each call driven by `block_on` in a current-thread tokio runtime, as sqlx's
//! runner drives sqlx. Measured exactly as aludel's sync runner measures `run_pending`: the
//! same loop, with the same two baselines interleaved, here through diesel-async on the same
//! connection (the bare version-table read, `floor`; the same upgrade SQL executed revision by
//! revision, `direct`).

// Named as in the generated crates, and so that diesel's derives find `diesel`.
extern crate aludel_async as aludel;
extern crate diesel_nopq as diesel;

use bench_common::{fail, run, FreshDb, Tool};
use diesel::SqliteConnection;
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};

/// A connection of either backend with the runtime that drives it.
pub struct Conn {
    // Dropped first: the connection closes while its runtime still exists.
    conn: Backend,
    runtime: tokio::runtime::Runtime,
}

// One per process: not boxed, so that the timed calls reach the connection as the sync
// runner's do.
#[allow(clippy::large_enum_variant)]
enum Backend {
    Sqlite(SyncConnectionWrapper<SqliteConnection>),
    Pg(AsyncPgConnection),
}

#[derive(diesel::QueryableByName)]
struct Version {
    #[diesel(sql_type = diesel::sql_types::Text)]
    #[allow(dead_code)]
    version_num: String,
}

const FLOOR: &str = "SELECT version_num FROM alembic_version";

fn connect(db: &FreshDb) -> Conn {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| fail(&format!("cannot start tokio: {e}")));
    let conn = runtime.block_on(async {
        if db.is_sqlite() {
            SyncConnectionWrapper::<SqliteConnection>::establish(&db.location)
                .await
                .map(Backend::Sqlite)
        } else {
            AsyncPgConnection::establish(&db.location)
                .await
                .map(Backend::Pg)
        }
    });
    Conn {
        conn: conn.unwrap_or_else(|e| fail(&format!("cannot connect: {e}"))),
        runtime,
    }
}

/// Measures `migrations` as the command line asks (see `bench_common`).
pub fn main(migrations: &'static aludel::Migrations) {
    // The generated files load in history order; `direct` runs their SQL in that order.
    let mut history: Vec<&str> = migrations.history().iter().map(|r| r.id()).collect();
    history.reverse();
    let load_order: Vec<&str> = migrations.revisions().iter().map(|r| r.id()).collect();
    if history != load_order {
        fail("the generated revisions do not load in history order");
    }
    let upgrades: Vec<&'static str> = migrations
        .revisions()
        .iter()
        .map(|r| r.upgrade_sql())
        .collect();
    let migrate = |c: &mut Conn| -> Option<usize> {
        let Conn { conn, runtime } = c;
        let report = match conn {
            Backend::Sqlite(conn) => runtime.block_on(migrations.run_pending_async(conn)),
            Backend::Pg(conn) => runtime.block_on(migrations.run_pending_async(conn)),
        }
        .unwrap_or_else(|e| fail(&format!("aludel async: {e}")));
        Some(report.steps.len())
    };
    let floor = |c: &mut Conn| {
        let Conn { conn, runtime } = c;
        let rows: Vec<Version> = match conn {
            Backend::Sqlite(conn) => runtime.block_on(diesel::sql_query(FLOOR).load(conn)),
            Backend::Pg(conn) => runtime.block_on(diesel::sql_query(FLOOR).load(conn)),
        }
        .unwrap_or_else(|e| fail(&format!("floor: {e}")));
        if rows.len() != 1 {
            fail("floor: the version table does not hold one row");
        }
    };
    let direct = |c: &mut Conn| {
        let Conn { conn, runtime } = c;
        for sql in &upgrades {
            match conn {
                Backend::Sqlite(conn) => runtime.block_on(conn.batch_execute(sql)),
                Backend::Pg(conn) => runtime.block_on(conn.batch_execute(sql)),
            }
            .unwrap_or_else(|e| fail(&format!("direct: {e}")));
        }
    };
    let relax = |c: &mut Conn| {
        let Conn { conn, runtime } = c;
        match conn {
            Backend::Sqlite(conn) => {
                runtime.block_on(conn.batch_execute("PRAGMA synchronous = OFF"))
            }
            Backend::Pg(conn) => {
                runtime.block_on(conn.batch_execute("SET synchronous_commit = off"))
            }
        }
        .unwrap_or_else(|e| fail(&format!("relax: {e}")));
    };
    run(Tool {
        name: "aludel-async",
        connect: &connect,
        relax: &relax,
        migrate: &migrate,
        floor: Some(&floor),
        direct: Some(&direct),
    });
}
