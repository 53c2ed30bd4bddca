//! SQLite: DDL is transactional. There is no session lock: every revision runs in an
//! immediate transaction (which takes the database's write lock, waiting up to the busy
//! timeout) and first checks that the version table is still what the plan expects.

use std::time::Duration;

use aludel_graph::sql::Dialect;
use diesel::sqlite::SqliteConnection;

use super::private::Backend;
use crate::error::Error;
use crate::options::Options;

impl Backend for SqliteConnection {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    super::common_backend_methods!();

    fn in_transaction<T, E: From<diesel::result::Error>>(
        &mut self,
        f: &mut dyn FnMut(&mut Self) -> Result<T, E>,
    ) -> Result<T, E> {
        super::keep_first_error(self, |conn, f| conn.immediate_transaction(|c| f(c)), f)
    }

    fn lock(&mut self, _key: &str, _timeout: Duration) -> Result<(), Error> {
        Ok(())
    }

    fn unlock(&mut self, _key: &str) -> Result<(), Error> {
        Ok(())
    }

    fn prepare(&mut self, options: &Options) -> Result<(), Error> {
        // Concurrent starters wait for each other's write lock instead of failing with
        // "database is locked".
        let millis = options.lock_timeout.as_millis().min(i32::MAX as u128);
        self.batch(&format!("PRAGMA busy_timeout = {millis}"))
            .map_err(Error::db("cannot set SQLite's busy timeout"))
    }
}
