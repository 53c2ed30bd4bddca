//! The sync driver: a blocking diesel connection. Each request runs to its end before it
//! returns, so the migrator's future is ready at its first poll.

use std::any::Any;
use std::future::{ready, Future};
use std::time::Duration;

use aludel_graph::sql::Dialect;
use diesel::result::QueryResult;

use super::{complete, depth, execute_sql, Driver, SqlFailure};
use crate::db::{Bind, Session};
use crate::error::Error;
use crate::op::{Op, Pairs, RevisionFn, Target};

pub(crate) mod private {
    use super::*;

    /// What aludel needs of a blocking connection. Not implementable outside aludel.
    pub trait Backend: Sized + 'static {
        /// The SQL dialect.
        fn dialect(&self) -> Dialect;
        /// Runs SQL that may hold several statements.
        fn batch(&mut self, sql: &str) -> QueryResult<()>;
        /// Runs a query whose result has two text columns `a` and `b` (`b` nullable).
        fn pairs(&mut self, sql: &str, binds: &[Bind<'_>]) -> QueryResult<Pairs>;
        /// diesel's transaction manager's state.
        fn transaction_status(&mut self) -> &mut diesel::connection::TransactionManagerStatus;
        /// Opens a transaction (see [`Driver::begin`]).
        fn begin(&mut self, outermost: &str) -> QueryResult<()>;
        /// Commits the innermost transaction.
        fn commit(&mut self) -> QueryResult<()>;
        /// Rolls the innermost transaction back.
        fn rollback(&mut self) -> QueryResult<()>;
        /// The statement that creates `table`, as the database states it (for the changes of
        /// a Rust revision's `op` that restate a definition); `None` where there is no such
        /// table.
        fn table_sql(&mut self, _table: &str) -> QueryResult<Option<String>> {
            Ok(None)
        }
        /// See [`Driver::busy_timeout`].
        fn busy_timeout(&mut self) -> QueryResult<i64> {
            Ok(0)
        }
    }
}

use private::Backend;

/// [`Backend`] for a diesel connection: `ansi` where its transaction manager is diesel's
/// `AnsiTransactionManager`, which opens the outermost transaction with the dialect's own
/// `BEGIN`; `own` for diesel-async's `AsyncConnectionWrapper`, whose manager is its own: the
/// outermost transaction opens with a plain `BEGIN`, and on PostgreSQL its isolation level is
/// set as its first statement.
#[allow(unused_macros)]
macro_rules! backend {
    ($conn:ty, $dialect:expr, ansi, { $($more:item)* }) => {
        backend!(@impl $conn, $dialect, {
            fn begin(&mut self, outermost: &str) -> QueryResult<()> {
                use diesel::connection::{AnsiTransactionManager, TransactionManager};
                if depth(self.transaction_status()) > 0 {
                    AnsiTransactionManager::begin_transaction(self)
                } else {
                    AnsiTransactionManager::begin_transaction_sql(self, outermost)
                }
            }
            $($more)*
        });
    };
    ($conn:ty, $dialect:expr, own, { $($more:item)* }) => {
        backend!(@impl $conn, $dialect, {
            fn begin(&mut self, _outermost: &str) -> QueryResult<()> {
                use diesel::connection::{Connection, TransactionManager};
                let outermost = depth(self.transaction_status()) == 0;
                <Self as Connection>::TransactionManager::begin_transaction(self)?;
                if outermost && $dialect == Dialect::Postgres {
                    if let Err(error) = self.batch("SET TRANSACTION ISOLATION LEVEL READ COMMITTED") {
                        let _ = self.rollback();
                        return Err(error);
                    }
                }
                Ok(())
            }
            $($more)*
        });
    };
    (@impl $conn:ty, $dialect:expr, { $($more:item)* }) => {
        impl Backend for $conn {
            fn dialect(&self) -> Dialect {
                $dialect
            }

            fn batch(&mut self, sql: &str) -> QueryResult<()> {
                diesel::connection::SimpleConnection::batch_execute(self, sql)
            }

            fn pairs(&mut self, sql: &str, binds: &[Bind<'_>]) -> QueryResult<Pairs> {
                use diesel::RunQueryDsl;
                let rows: Vec<crate::db::Pair> = crate::db::Statement::new(sql, binds).load(self)?;
                Ok(rows.into_iter().map(|r| (r.a, r.b)).collect())
            }

            fn transaction_status(&mut self) -> &mut diesel::connection::TransactionManagerStatus {
                use diesel::connection::{Connection, TransactionManager};
                <Self as Connection>::TransactionManager::transaction_manager_status_mut(self)
            }

            fn commit(&mut self) -> QueryResult<()> {
                use diesel::connection::{Connection, TransactionManager};
                <Self as Connection>::TransactionManager::commit_transaction(self)
            }

            fn rollback(&mut self) -> QueryResult<()> {
                use diesel::connection::{Connection, TransactionManager};
                <Self as Connection>::TransactionManager::rollback_transaction(self)
            }

            $($more)*
        }
    };
}

#[cfg(feature = "sqlite")]
backend!(diesel::SqliteConnection, Dialect::Sqlite, ansi, {
    fn table_sql(&mut self, table: &str) -> QueryResult<Option<String>> {
        let rows = self.pairs(
            "SELECT name AS a, sql AS b FROM sqlite_master WHERE type = 'table' AND name = ? COLLATE NOCASE",
            &[Bind::Text(table)],
        )?;
        Ok(rows.into_iter().next().and_then(|(_, sql)| sql))
    }

    fn busy_timeout(&mut self) -> QueryResult<i64> {
        use diesel::RunQueryDsl;
        /// The row of `PRAGMA busy_timeout`.
        #[derive(diesel::QueryableByName)]
        struct BusyTimeout {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            timeout: i64,
        }
        let rows: Vec<BusyTimeout> = diesel::sql_query("PRAGMA busy_timeout").load(self)?;
        Ok(rows.first().map_or(0, |r| r.timeout))
    }
});

#[cfg(feature = "postgres")]
backend!(diesel::PgConnection, Dialect::Postgres, ansi, {});

#[cfg(feature = "mysql")]
backend!(diesel::MysqlConnection, Dialect::Mysql, ansi, {
    fn table_sql(&mut self, table: &str) -> QueryResult<Option<String>> {
        mysql_table_sql(self, table)
    }
});

#[cfg(feature = "async-postgres")]
backend!(WrappedPg, Dialect::Postgres, own, {});

#[cfg(feature = "async-mysql")]
backend!(WrappedMysql, Dialect::Mysql, own, {
    fn table_sql(&mut self, table: &str) -> QueryResult<Option<String>> {
        mysql_table_sql(self, table)
    }
});

/// MySQL's `SHOW CREATE TABLE` of `table`; `None` where there is no such table.
#[cfg(any(feature = "mysql", feature = "async-mysql"))]
fn mysql_table_sql<C>(conn: &mut C, table: &str) -> QueryResult<Option<String>>
where
    C: diesel::connection::LoadConnection<Backend = diesel::mysql::Mysql>,
{
    use diesel::RunQueryDsl;
    /// The row of `SHOW CREATE TABLE`.
    #[derive(diesel::QueryableByName)]
    struct CreateTable {
        #[diesel(sql_type = diesel::sql_types::Text, column_name = "Create Table")]
        sql: String,
    }
    let sql = format!(
        "SHOW CREATE TABLE {}",
        Dialect::Mysql.quote_identifier(table)
    );
    match diesel::sql_query(sql).load::<CreateTable>(conn) {
        Ok(rows) => Ok(rows.into_iter().next().map(|r| r.sql)),
        // ER_NO_SUCH_TABLE
        Err(diesel::result::Error::DatabaseError(_, info))
            if info.message().contains("doesn't exist") =>
        {
            Ok(None)
        }
        Err(error) => Err(error),
    }
}

/// A blocking connection aludel can migrate, as [`MigrationConnection`] hands it out: one of
/// diesel's own connections, or (features `async-postgres`, `async-mysql`) diesel-async's
/// `AsyncConnectionWrapper`, which makes an async connection a blocking one.
#[non_exhaustive]
pub enum DieselConnection<'c> {
    /// SQLite (feature `sqlite`).
    #[cfg(feature = "sqlite")]
    Sqlite(&'c mut diesel::SqliteConnection),
    /// PostgreSQL (feature `postgres`).
    #[cfg(feature = "postgres")]
    Postgres(&'c mut diesel::PgConnection),
    /// MySQL and MariaDB (feature `mysql`).
    #[cfg(feature = "mysql")]
    Mysql(&'c mut diesel::MysqlConnection),
    /// PostgreSQL through diesel-async, made blocking (feature `async-postgres`).
    #[cfg(feature = "async-postgres")]
    WrappedPostgres(&'c mut WrappedPg),
    /// MySQL through diesel-async, made blocking (feature `async-mysql`).
    #[cfg(feature = "async-mysql")]
    WrappedMysql(&'c mut WrappedMysql),
    #[doc(hidden)]
    __Lifetime(
        std::convert::Infallible,
        std::marker::PhantomData<&'c mut ()>,
    ),
}

/// diesel-async's `AsyncPgConnection` behind its blocking `AsyncConnectionWrapper`.
#[cfg(feature = "async-postgres")]
pub type WrappedPg =
    diesel_async::async_connection_wrapper::AsyncConnectionWrapper<diesel_async::AsyncPgConnection>;

/// diesel-async's `AsyncMysqlConnection` behind its blocking `AsyncConnectionWrapper`.
#[cfg(feature = "async-mysql")]
pub type WrappedMysql = diesel_async::async_connection_wrapper::AsyncConnectionWrapper<
    diesel_async::AsyncMysqlConnection,
>;

/// A blocking connection aludel can migrate: diesel's `SqliteConnection` (feature `sqlite`, on
/// by default), `PgConnection` (feature `postgres`) and `MysqlConnection` (feature `mysql`);
/// r2d2's pooled connections of them (feature `r2d2`); diesel-async's
/// `AsyncConnectionWrapper` of `AsyncPgConnection` and `AsyncMysqlConnection`; and any wrapper
/// of one of these that implements this trait by lending the connection it wraps:
///
/// ```
/// # #[cfg(feature = "sqlite")] {
/// use aludel::{DieselConnection, MigrationConnection};
///
/// /// A connection with the service's own bookkeeping around it.
/// struct AppConnection {
///     conn: diesel::SqliteConnection,
///     queries: u64,
/// }
///
/// impl MigrationConnection for AppConnection {
///     fn migration_connection(&mut self) -> DieselConnection<'_> {
///         self.conn.migration_connection()
///     }
/// }
/// # }
/// ```
///
/// A `#[derive(diesel::MultiConnection)]` enum implements it the same way, with a `match` over
/// its variants (diesel's multi-backend type itself has no SQL dialect to migrate with).
pub trait MigrationConnection {
    /// The connection to migrate.
    fn migration_connection(&mut self) -> DieselConnection<'_>;
}

#[cfg(feature = "sqlite")]
impl MigrationConnection for diesel::SqliteConnection {
    fn migration_connection(&mut self) -> DieselConnection<'_> {
        DieselConnection::Sqlite(self)
    }
}

#[cfg(feature = "postgres")]
impl MigrationConnection for diesel::PgConnection {
    fn migration_connection(&mut self) -> DieselConnection<'_> {
        DieselConnection::Postgres(self)
    }
}

#[cfg(feature = "mysql")]
impl MigrationConnection for diesel::MysqlConnection {
    fn migration_connection(&mut self) -> DieselConnection<'_> {
        DieselConnection::Mysql(self)
    }
}

#[cfg(feature = "async-postgres")]
impl MigrationConnection for WrappedPg {
    fn migration_connection(&mut self) -> DieselConnection<'_> {
        DieselConnection::WrappedPostgres(self)
    }
}

#[cfg(feature = "async-mysql")]
impl MigrationConnection for WrappedMysql {
    fn migration_connection(&mut self) -> DieselConnection<'_> {
        DieselConnection::WrappedMysql(self)
    }
}

/// A connection checked out of an r2d2 pool: the connection it guards.
#[cfg(feature = "r2d2")]
impl<C> MigrationConnection for diesel::r2d2::PooledConnection<diesel::r2d2::ConnectionManager<C>>
where
    C: MigrationConnection + diesel::r2d2::R2D2Connection + 'static,
{
    fn migration_connection(&mut self) -> DieselConnection<'_> {
        (**self).migration_connection()
    }
}

impl<C: MigrationConnection + ?Sized> MigrationConnection for &mut C {
    fn migration_connection(&mut self) -> DieselConnection<'_> {
        (**self).migration_connection()
    }
}

/// Runs `$body` with `$driver` bound to a [`SyncDriver`] of the connection `$conn` lends.
macro_rules! on_connection {
    ($conn:expr, |$driver:ident| $body:expr) => {{
        use $crate::drive::sync::{DieselConnection, MigrationConnection, SyncDriver};
        match MigrationConnection::migration_connection($conn) {
            #[cfg(feature = "sqlite")]
            DieselConnection::Sqlite(c) => {
                let $driver = &mut SyncDriver::new(c);
                $body
            }
            #[cfg(feature = "postgres")]
            DieselConnection::Postgres(c) => {
                let $driver = &mut SyncDriver::new(c);
                $body
            }
            #[cfg(feature = "mysql")]
            DieselConnection::Mysql(c) => {
                let $driver = &mut SyncDriver::new(c);
                $body
            }
            #[cfg(feature = "async-postgres")]
            DieselConnection::WrappedPostgres(c) => {
                let $driver = &mut SyncDriver::new(c);
                $body
            }
            #[cfg(feature = "async-mysql")]
            DieselConnection::WrappedMysql(c) => {
                let $driver = &mut SyncDriver::new(c);
                $body
            }
            DieselConnection::__Lifetime(never, _) => match never {},
        }
    }};
}
pub(crate) use on_connection;

/// A blocking connection, driven for the length of one call.
pub(crate) struct SyncDriver<'c, C: Backend> {
    conn: &'c mut C,
    session: Option<Session>,
}

impl<'c, C: Backend> SyncDriver<'c, C> {
    pub(crate) fn new(conn: &'c mut C) -> Self {
        SyncDriver {
            conn,
            session: None,
        }
    }

    /// The live target of [`crate::op::record`]: the connection, SQL sent as one batch.
    pub(crate) fn live(&mut self) -> impl Target + '_ {
        Live {
            conn: &mut *self.conn,
            one_by_one: false,
        }
    }
}

impl<C: Backend> Drop for SyncDriver<'_, C> {
    /// A call that did not close its session (a Rust revision panicked) still releases the
    /// run's lock and sets the connection back.
    fn drop(&mut self) {
        if self.session.is_some() {
            complete(crate::db::close(self));
        }
    }
}

impl<C: Backend> Driver for SyncDriver<'_, C> {
    fn dialect(&self) -> Dialect {
        self.conn.dialect()
    }

    fn batch(&mut self, sql: &str) -> impl Future<Output = QueryResult<()>> + Send {
        ready(self.conn.batch(sql))
    }

    fn pairs(
        &mut self,
        sql: &str,
        binds: &[Bind<'_>],
    ) -> impl Future<Output = QueryResult<Pairs>> + Send {
        ready(self.conn.pairs(sql, binds))
    }

    fn transaction_depth(&mut self) -> u32 {
        depth(self.conn.transaction_status())
    }

    fn begin(&mut self, outermost: &'static str) -> impl Future<Output = QueryResult<()>> + Send {
        ready(self.conn.begin(outermost))
    }

    fn commit(&mut self) -> impl Future<Output = QueryResult<()>> + Send {
        ready(self.conn.commit())
    }

    fn rollback(&mut self) -> impl Future<Output = QueryResult<()>> + Send {
        ready(self.conn.rollback())
    }

    fn busy_timeout(&mut self) -> impl Future<Output = QueryResult<i64>> + Send {
        ready(self.conn.busy_timeout())
    }

    fn run_function(
        &mut self,
        function: RevisionFn,
        one_by_one: bool,
    ) -> impl Future<Output = Result<(), Error>> + Send {
        ready(run_function(self.conn, function, one_by_one))
    }

    fn pause(&mut self, duration: Duration) -> impl Future<Output = ()> + Send {
        std::thread::sleep(duration);
        ready(())
    }

    fn session(&mut self) -> &mut Option<Session> {
        &mut self.session
    }
}

/// Where a Rust revision's [`Op`] sends its statements: the run's connection, in the
/// revision's transaction.
struct Live<'c, C: Backend> {
    conn: &'c mut C,
    /// Each statement on its own (PostgreSQL outside a transaction, where a multi-statement
    /// query is an implicit transaction).
    one_by_one: bool,
}

impl<C: Backend> Target for Live<'_, C> {
    fn dialect(&self) -> Dialect {
        self.conn.dialect()
    }

    fn execute(&mut self, sql: &str) -> Result<(), Error> {
        execute_sql_sync(self.conn, sql, self.one_by_one).map_err(|failure| match failure {
            SqlFailure::Split(message) => Error::RevisionSql { message },
            SqlFailure::Statement { source, .. } => Error::db("the revision's SQL failed")(source),
        })
    }

    fn connection(&mut self) -> Option<&mut dyn Any> {
        Some(self.conn)
    }

    fn pairs(&mut self, sql: &str, binds: &[Bind<'_>]) -> Option<Result<Pairs, Error>> {
        Some(
            self.conn
                .pairs(sql, binds)
                .map_err(Error::db("cannot read the table's definition")),
        )
    }

    fn table_sql(&mut self, table: &str) -> Option<Result<Option<String>, Error>> {
        Some(
            self.conn
                .table_sql(table)
                .map_err(Error::db("cannot read the table's definition")),
        )
    }

    fn foreign_key_violations(&mut self) -> Option<Result<(Vec<String>, usize), Error>> {
        Some(complete(crate::db::foreign_key_violations(
            &mut SyncDriver::new(&mut *self.conn),
        )))
    }

    fn foreign_keys_on(&mut self) -> Option<Result<bool, Error>> {
        Some(complete(crate::db::foreign_keys_on(&mut SyncDriver::new(
            &mut *self.conn,
        ))))
    }
}

fn execute_sql_sync<C: Backend>(
    conn: &mut C,
    sql: &str,
    one_by_one: bool,
) -> Result<(), SqlFailure> {
    complete(execute_sql(&mut SyncDriver::new(conn), sql, one_by_one))
}

/// Runs a Rust revision's function on a blocking connection, lent to it as it is.
pub(crate) fn run_function<C: Backend>(
    conn: &mut C,
    function: RevisionFn,
    one_by_one: bool,
) -> Result<(), Error> {
    let mut live = Live { conn, one_by_one };
    function(&mut Op::new(&mut live))
}
