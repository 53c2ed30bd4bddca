//! PostgreSQL: DDL is transactional. Migrators exclude each other with a transaction-level
//! advisory lock taken inside each revision's transaction, and the statement that records the
//! revision at the end of its batch checks that the version table still held what the plan
//! expected: that holds on a direct connection and behind a pooler in transaction mode
//! (PgBouncer), where a session-level lock is taken on one server connection and released on
//! another. aludel frames each revision's transaction itself (see [`Frame`]), so that a
//! revision costs three round trips: the lock, the batch, and `COMMIT` with the next
//! revision's `BEGIN`. A `transactional: false` revision runs under the session-level lock
//! instead (see [`Error::SessionLockLost`]).

use std::time::Duration;

use aludel_graph::sql::Dialect;
use diesel::pg::PgConnection;
use diesel::Connection;

use super::private::Backend;
use super::{poll_lock, Bind, Frame, LockName};
use crate::error::Error;

impl Backend for PgConnection {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    super::common_backend_methods!();

    fn in_transaction<T, E: From<diesel::result::Error>>(
        &mut self,
        f: &mut dyn FnMut(&mut Self) -> Result<T, E>,
    ) -> Result<T, E> {
        if self.in_open_transaction() {
            // Inside the caller's transaction diesel opens a savepoint.
            super::keep_first_error(self, |conn, f| conn.transaction(|c| f(c)), f)
        } else {
            // READ COMMITTED whatever `default_transaction_isolation` says: each statement after
            // the migration lock must see what the lock's previous holder committed.
            super::keep_first_error(
                self,
                |conn, f| conn.build_transaction().read_committed().run(|c| f(c)),
                f,
            )
        }
    }

    fn frame(&mut self) -> Option<Frame> {
        // diesel's transaction manager sees none of these statements: it reads the
        // connection's transaction status after each query, and every path of a revision
        // ends the frame before the run returns.
        Some(if self.in_open_transaction() {
            Frame::SAVEPOINT
        } else {
            Frame::TRANSACTION
        })
    }

    fn lock_transaction(&mut self, lock: &LockName, timeout: Duration) -> Result<(), Error> {
        poll_lock(timeout, || {
            try_lock(self, "pg_try_advisory_xact_lock", lock)
        })
    }

    fn lock_session(&mut self, lock: &LockName, timeout: Duration) -> Result<(), Error> {
        poll_lock(timeout, || try_lock(self, "pg_try_advisory_lock", lock))
    }

    fn unlock_session(&mut self, lock: &LockName) -> Result<bool, Error> {
        let rows = self
            .pairs(
                "SELECT CASE WHEN pg_advisory_unlock($1) THEN 'y' ELSE 'n' END AS a, CAST(NULL AS TEXT) AS b",
                &[Bind::Int(lock.number())],
            )
            .map_err(Error::db("cannot release the migration lock (pg_advisory_unlock)"))?;
        Ok(rows.first().map(|r| r.0.as_str()) == Some("y"))
    }

    fn scope(&mut self, schema: Option<&str>) -> Result<Option<String>, Error> {
        let rows = match schema {
            Some(schema) => self.pairs(
                "SELECT CAST(current_database() AS TEXT) AS a, CAST($1 AS TEXT) AS b",
                &[Bind::Text(schema)],
            ),
            None => self.pairs(
                "SELECT CAST(current_database() AS TEXT) AS a, CAST(current_schema() AS TEXT) AS b",
                &[],
            ),
        }
        .map_err(Error::db("cannot read the current database and schema"))?;
        Ok(rows
            .into_iter()
            .next()
            .map(|(database, schema)| format!("{database}.{}", schema.unwrap_or_default())))
    }
}

/// One try of an advisory lock function (`pg_try_advisory_lock` or `pg_try_advisory_xact_lock`).
fn try_lock(conn: &mut PgConnection, function: &str, lock: &LockName) -> Result<bool, Error> {
    let rows = conn
        .pairs(
            &format!("SELECT CASE WHEN {function}($1) THEN 'y' ELSE 'n' END AS a, CAST(NULL AS TEXT) AS b"),
            &[Bind::Int(lock.number())],
        )
        .map_err(Error::db(format!("cannot take the migration lock ({function})")))?;
    Ok(rows.first().map(|r| r.0.as_str()) == Some("y"))
}
