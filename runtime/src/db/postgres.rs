//! PostgreSQL: DDL is transactional; concurrent migrators serialise on a session-level
//! advisory lock keyed by the version table's name.

use std::time::{Duration, Instant};

use aludel_graph::sql::Dialect;
use diesel::pg::PgConnection;
use diesel::Connection;

use super::private::Backend;
use super::{lock_number, Bind};
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
        super::keep_first_error(self, |conn, f| conn.transaction(|c| f(c)), f)
    }

    fn lock(&mut self, key: &str, timeout: Duration) -> Result<(), Error> {
        let started = Instant::now();
        let number = lock_number(key);
        loop {
            let rows = self
                .pairs(
                    "SELECT CASE WHEN pg_try_advisory_lock($1) THEN 'y' ELSE 'n' END AS a, CAST(NULL AS TEXT) AS b",
                    &[Bind::Int(number)],
                )
                .map_err(Error::db("cannot take the migration lock (pg_try_advisory_lock)"))?;
            if rows.first().map(|r| r.0.as_str()) == Some("y") {
                return Ok(());
            }
            if started.elapsed() >= timeout {
                return Err(Error::LockTimeout { timeout });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn unlock(&mut self, key: &str) -> Result<(), Error> {
        self.pairs(
            "SELECT CASE WHEN pg_advisory_unlock($1) THEN 'y' ELSE 'n' END AS a, CAST(NULL AS TEXT) AS b",
            &[Bind::Int(lock_number(key))],
        )
        .map(|_| ())
        .map_err(Error::db("cannot release the migration lock (pg_advisory_unlock)"))
    }
}
