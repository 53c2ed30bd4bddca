//! The async driver: a diesel-async connection, awaited on the caller's runtime. Nothing
//! blocks a runtime thread: PostgreSQL and MySQL talk through diesel-async's own clients,
//! SQLite runs each request on the runtime's blocking pool (as diesel-async's
//! `SyncConnectionWrapper` does for every query), and the pause between two tries of a lock
//! is a timer, not a sleep.
//!
//! A dropped future (a timeout, a cancelled task) stops between two requests or inside one.
//! What the database holds stays consistent: a revision's transaction that was not committed
//! is rolled back by the server when the connection closes or by the next `ROLLBACK`. So that
//! the connection is not reused with aludel's transaction or lock still open, the driver marks
//! diesel-async's transaction manager broken when it is dropped in the middle of a call: a
//! pool (deadpool, bb8) then closes the connection instead of lending it out again, and the
//! server releases the migration lock with it.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use aludel_graph::sql::Dialect;
use diesel::result::QueryResult;

use super::{depth, Driver};
use crate::db::{Bind, Session};
use crate::error::Error;
use crate::op::{Op, Pairs, Recorder, RevisionFn};

pub(crate) mod private {
    use super::*;

    /// What aludel needs of an async connection. Not implementable outside aludel.
    pub trait AsyncBackend: Send {
        /// The SQL dialect.
        fn dialect(&self) -> Dialect;
        /// Runs SQL that may hold several statements.
        fn batch(&mut self, sql: &str) -> impl Future<Output = QueryResult<()>> + Send;
        /// Runs a query whose result has two text columns `a` and `b` (`b` nullable).
        fn pairs(
            &mut self,
            sql: &str,
            binds: &[Bind<'_>],
        ) -> impl Future<Output = QueryResult<Pairs>> + Send;
        /// See [`Driver::transaction_depth`].
        fn transaction_depth(&mut self) -> u32;
        /// See [`Driver::begin`].
        fn begin(
            &mut self,
            outermost: &'static str,
        ) -> impl Future<Output = QueryResult<()>> + Send;
        /// See [`Driver::commit`].
        fn commit(&mut self) -> impl Future<Output = QueryResult<()>> + Send;
        /// See [`Driver::rollback`].
        fn rollback(&mut self) -> impl Future<Output = QueryResult<()>> + Send;
        /// See [`Driver::busy_timeout`].
        fn busy_timeout(&mut self) -> impl Future<Output = QueryResult<i64>> + Send;
        /// See [`Driver::run_function`].
        fn run_function(
            &mut self,
            function: RevisionFn,
            one_by_one: bool,
        ) -> impl Future<Output = Result<(), Error>> + Send;
        /// Marks the connection unfit for reuse after a call was dropped halfway (see the
        /// module's docs).
        fn mark_broken(&mut self);
    }
}

use private::AsyncBackend;

/// A diesel-async connection aludel can migrate: `AsyncPgConnection` (feature
/// `async-postgres`), `AsyncMysqlConnection` (feature `async-mysql`),
/// `SyncConnectionWrapper<SqliteConnection>` (feature `async-sqlite`), and connections checked
/// out of diesel-async's deadpool and bb8 pools (features `deadpool`, `bb8`).
pub trait AsyncMigrationConnection: AsyncBackend {}

impl<C: AsyncBackend> AsyncMigrationConnection for C {}

/// Runs a Rust revision's function where the connection cannot be lent to it (it is async):
/// the function's statements are rendered first, as for an offline script, then executed. A
/// function that reads the database or asks for the typed connection is refused by name.
#[allow(dead_code)]
async fn render_then_execute<C: AsyncBackend>(
    conn: &mut C,
    function: RevisionFn,
    one_by_one: bool,
) -> Result<(), Error> {
    let mut recorder = Recorder {
        dialect: conn.dialect(),
        sql: String::new(),
    };
    match function(&mut Op::new(&mut recorder)) {
        Ok(()) => {}
        Err(Error::NeedsLiveDatabase { why }) => return Err(Error::AsyncNeedsSync { why }),
        Err(error) => return Err(error),
    }
    let mut driver = AsyncDriver::new(conn);
    let result = super::execute_sql(&mut driver, &recorder.sql, one_by_one)
        .await
        .map_err(|failure| match failure {
            super::SqlFailure::Split(message) => Error::RevisionSql { message },
            super::SqlFailure::Statement { source, .. } => {
                Error::db("the revision's SQL failed")(source)
            }
        });
    driver.finish();
    result
}

/// The methods of [`AsyncBackend`] for a diesel-async connection of its own (not a wrapper of
/// a sync one), whose transaction manager is diesel-async's `AnsiTransactionManager`.
#[allow(unused_macros)]
macro_rules! async_backend {
    ($conn:ty, $dialect:expr) => {
        impl AsyncBackend for $conn {
            fn dialect(&self) -> Dialect {
                $dialect
            }

            fn batch(&mut self, sql: &str) -> impl Future<Output = QueryResult<()>> + Send {
                diesel_async::SimpleAsyncConnection::batch_execute(self, sql)
            }

            async fn pairs(&mut self, sql: &str, binds: &[Bind<'_>]) -> QueryResult<Pairs> {
                let rows: Vec<crate::db::Pair> =
                    diesel_async::RunQueryDsl::load(crate::db::Statement::new(sql, binds), self)
                        .await?;
                Ok(rows.into_iter().map(|r| (r.a, r.b)).collect())
            }

            fn transaction_depth(&mut self) -> u32 {
                use diesel_async::TransactionManager;
                depth(diesel_async::AnsiTransactionManager::transaction_manager_status_mut(self))
            }

            async fn begin(&mut self, outermost: &'static str) -> QueryResult<()> {
                use diesel_async::{AnsiTransactionManager, TransactionManager};
                if self.transaction_depth() > 0 {
                    AnsiTransactionManager::begin_transaction(self).await
                } else {
                    AnsiTransactionManager::begin_transaction_sql(self, outermost).await
                }
            }

            async fn commit(&mut self) -> QueryResult<()> {
                use diesel_async::{AnsiTransactionManager, TransactionManager};
                AnsiTransactionManager::commit_transaction(self).await
            }

            async fn rollback(&mut self) -> QueryResult<()> {
                use diesel_async::{AnsiTransactionManager, TransactionManager};
                AnsiTransactionManager::rollback_transaction(self).await
            }

            async fn busy_timeout(&mut self) -> QueryResult<i64> {
                Ok(0)
            }

            fn run_function(
                &mut self,
                function: RevisionFn,
                one_by_one: bool,
            ) -> impl Future<Output = Result<(), Error>> + Send {
                render_then_execute(self, function, one_by_one)
            }

            fn mark_broken(&mut self) {
                use diesel_async::TransactionManager;
                diesel_async::AnsiTransactionManager::transaction_manager_status_mut(self)
                    .set_in_error();
            }
        }
    };
}

#[cfg(feature = "async-postgres")]
async_backend!(diesel_async::AsyncPgConnection, Dialect::Postgres);

#[cfg(feature = "async-mysql")]
async_backend!(diesel_async::AsyncMysqlConnection, Dialect::Mysql);

/// SQLite through diesel-async: every request runs on the runtime's blocking pool, on the
/// wrapped `SqliteConnection`, by the sync driver's own code.
#[cfg(feature = "async-sqlite")]
mod sqlite {
    use super::*;
    use crate::drive::sync::private::Backend;
    use diesel::SqliteConnection;
    use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;

    /// A bound value that can move to the blocking pool.
    enum Owned {
        Text(String),
        Int(i64),
    }

    impl AsyncBackend for SyncConnectionWrapper<SqliteConnection> {
        fn dialect(&self) -> Dialect {
            Dialect::Sqlite
        }

        fn batch(&mut self, sql: &str) -> impl Future<Output = QueryResult<()>> + Send {
            let sql = sql.to_string();
            self.spawn_blocking(move |c| c.batch(&sql))
        }

        fn pairs(
            &mut self,
            sql: &str,
            binds: &[Bind<'_>],
        ) -> impl Future<Output = QueryResult<Pairs>> + Send {
            let sql = sql.to_string();
            let binds: Vec<Owned> = binds
                .iter()
                .map(|b| match b {
                    Bind::Text(t) => Owned::Text(t.to_string()),
                    Bind::Int(i) => Owned::Int(*i),
                })
                .collect();
            self.spawn_blocking(move |c| {
                let binds: Vec<Bind<'_>> = binds
                    .iter()
                    .map(|b| match b {
                        Owned::Text(t) => Bind::Text(t),
                        Owned::Int(i) => Bind::Int(*i),
                    })
                    .collect();
                c.pairs(&sql, &binds)
            })
        }

        fn transaction_depth(&mut self) -> u32 {
            use diesel_async::{AsyncConnection, TransactionManager};
            depth(
                <Self as AsyncConnection>::TransactionManager::transaction_manager_status_mut(self),
            )
        }

        fn begin(
            &mut self,
            outermost: &'static str,
        ) -> impl Future<Output = QueryResult<()>> + Send {
            self.spawn_blocking(move |c| c.begin(outermost))
        }

        fn commit(&mut self) -> impl Future<Output = QueryResult<()>> + Send {
            self.spawn_blocking(|c| c.commit())
        }

        fn rollback(&mut self) -> impl Future<Output = QueryResult<()>> + Send {
            self.spawn_blocking(|c| c.rollback())
        }

        fn busy_timeout(&mut self) -> impl Future<Output = QueryResult<i64>> + Send {
            self.spawn_blocking(|c| c.busy_timeout())
        }

        async fn run_function(
            &mut self,
            function: RevisionFn,
            one_by_one: bool,
        ) -> Result<(), Error> {
            // The function gets the wrapped connection itself, as on a sync run: it may read
            // the database and run typed diesel queries.
            self.spawn_blocking(move |c| {
                Ok(crate::drive::sync::run_function(c, function, one_by_one))
            })
            .await
            .map_err(Error::db("cannot run the revision on the blocking pool"))?
        }

        fn mark_broken(&mut self) {
            // The wrapped connection is out of reach while a request may still run on the
            // blocking pool; an open transaction already keeps a pool from lending it again.
        }
    }
}

/// A pooled connection (deadpool's `Object`, bb8's `PooledConnection`) of `$inner`: the
/// connection it guards.
#[allow(unused_macros)]
macro_rules! pooled {
    ($pooled:ty) => {
        impl AsyncBackend for $pooled {
            fn dialect(&self) -> Dialect {
                (**self).dialect()
            }
            fn batch(&mut self, sql: &str) -> impl Future<Output = QueryResult<()>> + Send {
                (**self).batch(sql)
            }
            fn pairs(
                &mut self,
                sql: &str,
                binds: &[Bind<'_>],
            ) -> impl Future<Output = QueryResult<Pairs>> + Send {
                (**self).pairs(sql, binds)
            }
            fn transaction_depth(&mut self) -> u32 {
                (**self).transaction_depth()
            }
            fn begin(
                &mut self,
                outermost: &'static str,
            ) -> impl Future<Output = QueryResult<()>> + Send {
                (**self).begin(outermost)
            }
            fn commit(&mut self) -> impl Future<Output = QueryResult<()>> + Send {
                (**self).commit()
            }
            fn rollback(&mut self) -> impl Future<Output = QueryResult<()>> + Send {
                (**self).rollback()
            }
            fn busy_timeout(&mut self) -> impl Future<Output = QueryResult<i64>> + Send {
                (**self).busy_timeout()
            }
            fn run_function(
                &mut self,
                function: RevisionFn,
                one_by_one: bool,
            ) -> impl Future<Output = Result<(), Error>> + Send {
                (**self).run_function(function, one_by_one)
            }
            fn mark_broken(&mut self) {
                (**self).mark_broken();
            }
        }
    };
}

#[cfg(all(feature = "deadpool", feature = "async-postgres"))]
pooled!(diesel_async::pooled_connection::deadpool::Object<diesel_async::AsyncPgConnection>);
#[cfg(all(feature = "deadpool", feature = "async-mysql"))]
pooled!(diesel_async::pooled_connection::deadpool::Object<diesel_async::AsyncMysqlConnection>);
#[cfg(all(feature = "deadpool", feature = "async-sqlite"))]
pooled!(
    diesel_async::pooled_connection::deadpool::Object<
        diesel_async::sync_connection_wrapper::SyncConnectionWrapper<diesel::SqliteConnection>,
    >
);
#[cfg(all(feature = "bb8", feature = "async-postgres"))]
pooled!(
    diesel_async::pooled_connection::bb8::PooledConnection<'_, diesel_async::AsyncPgConnection>
);
#[cfg(all(feature = "bb8", feature = "async-mysql"))]
pooled!(
    diesel_async::pooled_connection::bb8::PooledConnection<'_, diesel_async::AsyncMysqlConnection>
);
#[cfg(all(feature = "bb8", feature = "async-sqlite"))]
pooled!(
    diesel_async::pooled_connection::bb8::PooledConnection<
        '_,
        diesel_async::sync_connection_wrapper::SyncConnectionWrapper<diesel::SqliteConnection>,
    >
);

/// An async connection, driven for the length of one call.
pub(crate) struct AsyncDriver<'c, C: AsyncBackend> {
    conn: &'c mut C,
    session: Option<Session>,
    /// The call returned (its future was not dropped halfway).
    finished: bool,
}

impl<'c, C: AsyncBackend> AsyncDriver<'c, C> {
    pub(crate) fn new(conn: &'c mut C) -> Self {
        AsyncDriver {
            conn,
            session: None,
            finished: false,
        }
    }

    /// The call returned: nothing of it is left open on the connection.
    pub(crate) fn finish(mut self) {
        self.finished = true;
    }
}

impl<C: AsyncBackend> Drop for AsyncDriver<'_, C> {
    fn drop(&mut self) {
        if !self.finished && self.session.is_some() {
            tracing::warn!("an aludel call was dropped before it ended: its connection is marked broken, so that a pool closes it (the server then rolls back what was not committed and releases the migration lock)");
            self.conn.mark_broken();
        }
    }
}

impl<C: AsyncBackend> Driver for AsyncDriver<'_, C> {
    fn dialect(&self) -> Dialect {
        self.conn.dialect()
    }

    fn batch(&mut self, sql: &str) -> impl Future<Output = QueryResult<()>> + Send {
        self.conn.batch(sql)
    }

    fn pairs(
        &mut self,
        sql: &str,
        binds: &[Bind<'_>],
    ) -> impl Future<Output = QueryResult<Pairs>> + Send {
        self.conn.pairs(sql, binds)
    }

    fn transaction_depth(&mut self) -> u32 {
        self.conn.transaction_depth()
    }

    fn begin(&mut self, outermost: &'static str) -> impl Future<Output = QueryResult<()>> + Send {
        self.conn.begin(outermost)
    }

    fn commit(&mut self) -> impl Future<Output = QueryResult<()>> + Send {
        self.conn.commit()
    }

    fn rollback(&mut self) -> impl Future<Output = QueryResult<()>> + Send {
        self.conn.rollback()
    }

    fn busy_timeout(&mut self) -> impl Future<Output = QueryResult<i64>> + Send {
        self.conn.busy_timeout()
    }

    fn run_function(
        &mut self,
        function: RevisionFn,
        one_by_one: bool,
    ) -> impl Future<Output = Result<(), Error>> + Send {
        self.conn.run_function(function, one_by_one)
    }

    fn pause(&mut self, duration: Duration) -> impl Future<Output = ()> + Send {
        Pause {
            until: Instant::now() + duration,
            waiting: false,
        }
    }

    fn session(&mut self) -> &mut Option<Session> {
        &mut self.session
    }
}

/// A timer that needs no runtime's timer driver: a short-lived thread wakes the task when the
/// time is up. Used only between two tries of a lock another migrator holds.
struct Pause {
    until: Instant,
    waiting: bool,
}

impl Future for Pause {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let now = Instant::now();
        if now >= self.until {
            return Poll::Ready(());
        }
        if !self.waiting {
            let waker = cx.waker().clone();
            let left = self.until - now;
            let spawned = std::thread::Builder::new()
                .name("aludel-pause".to_string())
                .spawn(move || {
                    std::thread::sleep(left);
                    waker.wake();
                });
            match spawned {
                Ok(_) => self.waiting = true,
                // No thread to be had: poll again at once (the lock is tried again early).
                Err(_) => return Poll::Ready(()),
            }
        }
        Poll::Pending
    }
}
