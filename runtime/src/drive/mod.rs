//! Drivers: the only code that talks to a connection.
//!
//! The migrator (`run/`) is written once, as `async` functions over [`Driver`]: it decides
//! what to read, lock, run and record, and a driver sends each of those requests to its
//! connection and nothing else. Two drivers carry it:
//!
//! - [`sync`]: a blocking diesel connection. Every request completes before it returns, so
//!   the migrator's future finishes in its first poll; [`complete`] polls it on the calling
//!   thread. No executor, no thread, no runtime.
//! - `nonblocking` (feature `async`): a diesel-async connection, awaited on the caller's
//!   runtime.
//!
//! Planning, race re-planning, drift, the version-table moves and every error therefore
//! exist once, whichever way the connection talks.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use aludel_graph::sql::{split_statements, Dialect};
use diesel::result::QueryResult;

use crate::db::{Bind, Session};
use crate::error::Error;
use crate::op::{Pairs, RevisionFn};

#[cfg(feature = "async")]
pub(crate) mod nonblocking;
pub(crate) mod sync;

/// The requests the migrator makes of a connection.
pub(crate) trait Driver {
    /// The connection's SQL dialect.
    fn dialect(&self) -> Dialect;
    /// Runs SQL that may hold several statements.
    fn batch(&mut self, sql: &str) -> impl Future<Output = QueryResult<()>> + Send;
    /// Runs a query whose result has two text columns `a` and `b` (`b` nullable), with bound
    /// values.
    fn pairs(
        &mut self,
        sql: &str,
        binds: &[Bind<'_>],
    ) -> impl Future<Output = QueryResult<Pairs>> + Send;
    /// How deep the connection's transactions are nested, as diesel's transaction manager
    /// counts them (0: none open).
    fn transaction_depth(&mut self) -> u32;
    /// Opens a transaction through diesel's transaction manager: with `outermost` where none
    /// is open, else a savepoint inside the open one.
    fn begin(&mut self, outermost: &'static str) -> impl Future<Output = QueryResult<()>> + Send;
    /// Commits the innermost transaction (or releases its savepoint).
    fn commit(&mut self) -> impl Future<Output = QueryResult<()>> + Send;
    /// Rolls the innermost transaction back (or to its savepoint).
    fn rollback(&mut self) -> impl Future<Output = QueryResult<()>> + Send;
    /// SQLite's busy timeout in milliseconds (`PRAGMA busy_timeout`, which reads the
    /// connection's setting without touching the database file); 0 elsewhere.
    fn busy_timeout(&mut self) -> impl Future<Output = QueryResult<i64>> + Send;
    /// Runs a Rust revision's function on the connection (each statement on its own where
    /// `one_by_one`).
    fn run_function(
        &mut self,
        function: RevisionFn,
        one_by_one: bool,
    ) -> impl Future<Output = Result<(), Error>> + Send;
    /// Waits `duration` before the next try of a lock, without holding up other work.
    fn pause(&mut self, duration: Duration) -> impl Future<Output = ()> + Send;
    /// The call's session (what it changed on the connection, the run's lock), kept by the
    /// driver so that a call that ends early, by a panic or a dropped future, is cleaned up
    /// by the driver's `Drop`.
    fn session(&mut self) -> &mut Option<Session>;
}

/// How deep a connection's transactions are nested, as diesel's transaction manager counts
/// them (0: none open).
pub(crate) fn depth(status: &mut diesel::connection::TransactionManagerStatus) -> u32 {
    status
        .transaction_depth()
        .ok()
        .flatten()
        .map_or(0, std::num::NonZeroU32::get)
}

/// Runs the migrator's future to its end on the calling thread. With the sync driver it is
/// ready at its first poll; the thread parks between polls otherwise (a pause of
/// [`sync::SyncDriver`] sleeps instead of returning pending, so it does not).
pub(crate) fn complete<F: Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut context = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        match future.as_mut().poll(&mut context) {
            Poll::Ready(output) => return output,
            Poll::Pending => std::thread::park(),
        }
    }
}

/// Why SQL sent by [`execute_sql`] failed.
pub(crate) enum SqlFailure {
    /// It does not split into statements (an unclosed quote or comment).
    Split(String),
    /// The database refused it; `line` is the failing statement's first line within the SQL
    /// when it was sent statement by statement.
    Statement {
        line: Option<u32>,
        source: diesel::result::Error,
    },
}

/// Runs SQL of one or more statements: as one batch, or one statement at a time where
/// `one_by_one`.
pub(crate) async fn execute_sql<D: Driver>(
    d: &mut D,
    sql: &str,
    one_by_one: bool,
) -> Result<(), SqlFailure> {
    if !one_by_one {
        return d
            .batch(sql)
            .await
            .map_err(|source| SqlFailure::Statement { line: None, source });
    }
    let statements =
        split_statements(sql, d.dialect()).map_err(|e| SqlFailure::Split(e.to_string()))?;
    for statement in statements {
        d.batch(statement.text)
            .await
            .map_err(|source| SqlFailure::Statement {
                line: Some(statement.line),
                source,
            })?;
    }
    Ok(())
}
