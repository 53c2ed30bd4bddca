//! aludel: `Migrations::run_pending` on a diesel connection; its binary also measures the two
//! baselines on the same connections, the bare version-table read (`floor`) and the same
//! upgrade SQL executed revision by revision without aludel (`direct`).

use bench_common::{fail, run, FreshDb, Tool};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection};

/// A diesel connection of either backend.
pub enum Conn {
    /// SQLite.
    Sqlite(SqliteConnection),
    /// PostgreSQL.
    Pg(PgConnection),
}

#[derive(diesel::QueryableByName)]
struct Version {
    #[diesel(sql_type = diesel::sql_types::Text)]
    #[allow(dead_code)]
    version_num: String,
}

const FLOOR: &str = "SELECT version_num FROM alembic_version";

fn connect(db: &FreshDb) -> Conn {
    let failed = |e: diesel::ConnectionError| -> ! { fail(&format!("cannot connect: {e}")) };
    if db.is_sqlite() {
        Conn::Sqlite(SqliteConnection::establish(&db.location).unwrap_or_else(|e| failed(e)))
    } else {
        Conn::Pg(PgConnection::establish(&db.location).unwrap_or_else(|e| failed(e)))
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
    let migrate = |conn: &mut Conn| -> Option<usize> {
        let report = match conn {
            Conn::Sqlite(c) => migrations.run_pending(c),
            Conn::Pg(c) => migrations.run_pending(c),
        }
        .unwrap_or_else(|e| fail(&format!("aludel: {e}")));
        Some(report.steps.len())
    };
    let floor = |conn: &mut Conn| {
        let rows: Vec<Version> = match conn {
            Conn::Sqlite(c) => diesel::sql_query(FLOOR).load(c),
            Conn::Pg(c) => diesel::sql_query(FLOOR).load(c),
        }
        .unwrap_or_else(|e| fail(&format!("floor: {e}")));
        if rows.len() != 1 {
            fail("floor: the version table does not hold one row");
        }
    };
    let direct = |conn: &mut Conn| {
        for sql in &upgrades {
            match conn {
                Conn::Sqlite(c) => c.batch_execute(sql),
                Conn::Pg(c) => c.batch_execute(sql),
            }
            .unwrap_or_else(|e| fail(&format!("direct: {e}")));
        }
    };
    let relax = |conn: &mut Conn| {
        match conn {
            Conn::Sqlite(c) => c.batch_execute("PRAGMA synchronous = OFF"),
            Conn::Pg(c) => c.batch_execute("SET synchronous_commit = off"),
        }
        .unwrap_or_else(|e| fail(&format!("relax: {e}")));
    };
    run(Tool {
        name: "aludel",
        connect: &connect,
        relax: &relax,
        migrate: &migrate,
        floor: Some(&floor),
        direct: Some(&direct),
    });
}
