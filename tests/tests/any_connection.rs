//! The sync calls on connections other than diesel's three: r2d2's pooled connections,
//! diesel-async's `AsyncConnectionWrapper`, a wrapper of the application's own and a
//! `#[derive(MultiConnection)]` enum. Each lends aludel the connection it holds, so a Rust
//! revision's typed queries run on it as on a plain connection.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking

use aludel::{DieselConnection, MigrationConnection};
use aludel_tests::{backends, Backend, TestDb};
use diesel::r2d2::{ConnectionManager, Pool};
use diesel::{Connection, MysqlConnection, PgConnection, SqliteConnection};
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::{AsyncMysqlConnection, AsyncPgConnection};

static DEPENDS_ON: aludel::Migrations = aludel::embed_migrations!("fixtures/depends_on/versions");
/// A Rust revision that backfills a column with typed diesel queries on its connection.
static EMAIL: aludel::Migrations = aludel::embed_migrations!("fixtures/rust_revisions/versions");

/// Applies both histories through `conn` and checks the version table.
fn migrate<C: MigrationConnection>(conn: &mut C, what: &str) {
    let report = EMAIL.run_pending(conn).unwrap();
    assert_eq!(report.steps.len(), 3, "{what}");
    assert!(EMAIL.run_pending(conn).unwrap().is_empty(), "{what}");
    assert_eq!(EMAIL.current(conn).unwrap(), EMAIL.heads(), "{what}");
    let report = EMAIL.downgrade(conn, "base").unwrap();
    assert_eq!(report.steps.len(), 3, "{what}");
    assert!(EMAIL.current(conn).unwrap().is_empty(), "{what}");
}

fn r2d2_pool<C: diesel::r2d2::R2D2Connection + 'static>(url: &str) -> Pool<ConnectionManager<C>> {
    Pool::builder()
        .max_size(2)
        .build(ConnectionManager::<C>::new(url))
        .unwrap()
}

#[test]
fn r2d2_pooled_connections() {
    for db in backends() {
        let what = format!("{:?} through r2d2", db.backend);
        match db.backend {
            Backend::Sqlite => migrate(
                &mut r2d2_pool::<SqliteConnection>(&db.url).get().unwrap(),
                &what,
            ),
            Backend::Postgres => migrate(
                &mut r2d2_pool::<PgConnection>(&db.url).get().unwrap(),
                &what,
            ),
            Backend::Mysql => migrate(
                &mut r2d2_pool::<MysqlConnection>(&db.url).get().unwrap(),
                &what,
            ),
        }
    }
}

#[test]
fn diesel_async_connection_wrappers() {
    for db in backends() {
        let what = format!("{:?} through AsyncConnectionWrapper", db.backend);
        // The Rust revision asks for a PgConnection or MysqlConnection, which a wrapper is not:
        // the SQL history is migrated instead.
        macro_rules! through_wrapper {
            ($conn:ty) => {{
                let mut conn = AsyncConnectionWrapper::<$conn>::establish(&db.url).unwrap();
                let report = DEPENDS_ON.run_pending(&mut conn).unwrap();
                assert_eq!(report.steps.len(), 3, "{what}");
                assert!(
                    DEPENDS_ON.run_pending(&mut conn).unwrap().is_empty(),
                    "{what}"
                );
                // Left outside any transaction.
                conn.transaction(|_| Ok::<_, diesel::result::Error>(()))
                    .unwrap();
            }};
        }
        match db.backend {
            Backend::Sqlite => continue,
            Backend::Postgres => through_wrapper!(AsyncPgConnection),
            Backend::Mysql => through_wrapper!(AsyncMysqlConnection),
        }
        assert_eq!(db.connect().versions(), ["b"], "{what}");
    }
}

/// A connection with the application's own bookkeeping around it.
struct Counted<C> {
    conn: C,
    lent: usize,
}

impl<C: MigrationConnection> MigrationConnection for Counted<C> {
    fn migration_connection(&mut self) -> DieselConnection<'_> {
        self.lent += 1;
        self.conn.migration_connection()
    }
}

#[test]
fn a_wrapper_of_the_application() {
    let Some(db) = TestDb::new(Backend::Sqlite) else {
        return;
    };
    let mut conn = Counted {
        conn: SqliteConnection::establish(&db.url).unwrap(),
        lent: 0,
    };
    migrate(&mut conn, "a wrapper");
    assert!(conn.lent >= 5);
}

/// diesel's multi-backend connection.
#[derive(diesel::MultiConnection)]
enum AnyConnection {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
    Mysql(MysqlConnection),
}

impl MigrationConnection for AnyConnection {
    fn migration_connection(&mut self) -> DieselConnection<'_> {
        match self {
            AnyConnection::Sqlite(c) => c.migration_connection(),
            AnyConnection::Postgres(c) => c.migration_connection(),
            AnyConnection::Mysql(c) => c.migration_connection(),
        }
    }
}

#[test]
fn a_multi_connection_enum() {
    for db in backends() {
        let what = format!("{:?} through a MultiConnection", db.backend);
        let url = match db.backend {
            Backend::Sqlite => format!("sqlite://{}", db.url),
            _ => db.url.clone(),
        };
        let mut conn = AnyConnection::establish(&url).unwrap();
        migrate(&mut conn, &what);
    }
}
