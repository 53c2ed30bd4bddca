//! SQLite: DDL is transactional. There is no session lock: every revision runs in an
//! immediate transaction (which takes the database's write lock, waiting up to the busy
//! timeout) and first checks that the version table is still what the plan expects.

use aludel_graph::sql::Dialect;
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, RunQueryDsl};

use super::private::Backend;
use super::{Bind, Restore};
use crate::error::Error;
use crate::options::Options;
use diesel::result::QueryResult;

impl Backend for SqliteConnection {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    super::common_backend_methods!();

    fn table_sql(&mut self, table: &str) -> QueryResult<Option<String>> {
        let rows = self.pairs(
            "SELECT name AS a, sql AS b FROM sqlite_master WHERE type = 'table' AND name = ? COLLATE NOCASE",
            &[Bind::Text(table)],
        )?;
        Ok(rows.into_iter().next().and_then(|(_, sql)| sql))
    }

    fn in_transaction<T, E: From<diesel::result::Error>>(
        &mut self,
        f: &mut dyn FnMut(&mut Self) -> Result<T, E>,
    ) -> Result<T, E> {
        if self.in_open_transaction() {
            // The caller's transaction: a savepoint inside it.
            super::keep_first_error(self, |conn, f| conn.transaction(|c| f(c)), f)
        } else {
            super::keep_first_error(self, |conn, f| conn.immediate_transaction(|c| f(c)), f)
        }
    }

    fn suspend_foreign_keys(&mut self) -> Result<bool, Error> {
        if self.in_open_transaction() || !self.foreign_keys_on()? {
            return Ok(false);
        }
        self.batch("PRAGMA foreign_keys = OFF")
            .map_err(Error::db("cannot turn SQLite's foreign keys off"))?;
        // The setting does not change inside a transaction opened behind diesel's back.
        if self.foreign_keys_on()? {
            return Ok(false);
        }
        Ok(true)
    }

    fn foreign_keys_on(&mut self) -> Result<bool, Error> {
        let rows = self
            .pairs(
                "SELECT CAST(foreign_keys AS TEXT) AS a, NULL AS b FROM pragma_foreign_keys",
                &[],
            )
            .map_err(Error::db("cannot read SQLite's foreign_keys setting"))?;
        Ok(rows.first().is_some_and(|(on, _)| on == "1"))
    }

    fn resume_foreign_keys(&mut self) -> Result<(), Error> {
        self.batch("PRAGMA foreign_keys = ON")
            .map_err(Error::db("cannot turn SQLite's foreign keys back on"))
    }

    fn foreign_key_violations(&mut self) -> Result<(Vec<String>, usize), Error> {
        let context = "cannot check SQLite's foreign keys";
        let rows = self
            .pairs(
                "SELECT \"table\" || ' row ' || COALESCE(CAST(rowid AS TEXT), '?') || ' references ' || \"parent\" AS a, NULL AS b FROM pragma_foreign_key_check LIMIT 10",
                &[],
            )
            .map_err(Error::db(context))?;
        let mut total = rows.len();
        if total == 10 {
            let count = self
                .pairs(
                    "SELECT CAST(COUNT(*) AS TEXT) AS a, NULL AS b FROM pragma_foreign_key_check",
                    &[],
                )
                .map_err(Error::db(context))?;
            total = count
                .first()
                .and_then(|(n, _)| n.parse().ok())
                .unwrap_or(total);
        }
        Ok((rows.into_iter().map(|(row, _)| row).collect(), total))
    }

    fn prepare(&mut self, options: &Options) -> Result<Restore, Error> {
        // Concurrent starters wait for each other's write lock instead of failing with
        // "database is locked"; the caller's own timeout is set back afterwards.
        // `PRAGMA busy_timeout` reads the connection's setting without touching the database
        // file, so it works while another process holds the write lock.
        let rows: Vec<BusyTimeout> = diesel::sql_query("PRAGMA busy_timeout")
            .load(self)
            .map_err(Error::db("cannot read SQLite's busy timeout"))?;
        let before = rows.first().map_or(0, |r| r.timeout);
        let millis = i64::try_from(options.lock_timeout.as_millis()).unwrap_or(i64::from(i32::MAX));
        let millis = millis.min(i64::from(i32::MAX));
        if before != millis {
            self.batch(&format!("PRAGMA busy_timeout = {millis}"))
                .map_err(Error::db("cannot set SQLite's busy timeout"))?;
        }
        Ok(Restore::BusyTimeout(before))
    }

    fn restore(&mut self, restore: &Restore) -> Result<(), Error> {
        if let Restore::BusyTimeout(ms) = restore {
            self.batch(&format!("PRAGMA busy_timeout = {ms}"))
                .map_err(Error::db("cannot set SQLite's busy timeout back"))?;
        }
        Ok(())
    }
}

/// The row of `PRAGMA busy_timeout`.
#[derive(diesel::QueryableByName)]
struct BusyTimeout {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    timeout: i64,
}
