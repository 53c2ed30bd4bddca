//! MySQL and MariaDB: DDL commits implicitly, so a failed revision may be partly applied; the
//! version table records only revisions that completed. Concurrent migrators serialise on a
//! named lock (`GET_LOCK`) scoped to the database.

use std::time::Duration;

use aludel_graph::sql::Dialect;
use diesel::mysql::MysqlConnection;
use diesel::Connection;

use super::private::Backend;
use super::Bind;
use crate::error::Error;

/// The lock name: server-wide in MySQL, so it is scoped to the current database; hashed,
/// because lock names are at most 64 characters.
const LOCK_NAME: &str =
    "CONCAT('aludel:', LEFT(SHA2(CONCAT(COALESCE(DATABASE(), ''), ':', ?), 256), 40))";

impl Backend for MysqlConnection {
    fn dialect(&self) -> Dialect {
        Dialect::Mysql
    }

    super::common_backend_methods!();

    fn in_transaction<T, E: From<diesel::result::Error>>(
        &mut self,
        f: &mut dyn FnMut(&mut Self) -> Result<T, E>,
    ) -> Result<T, E> {
        super::keep_first_error(self, |conn, f| conn.transaction(|c| f(c)), f)
    }

    fn lock(&mut self, key: &str, timeout: Duration) -> Result<(), Error> {
        let rows = self
            .pairs(
                &format!(
                    "SELECT CAST(GET_LOCK({LOCK_NAME}, ?) AS CHAR) AS a, CAST(NULL AS CHAR) AS b"
                ),
                &[
                    Bind::Text(key),
                    Bind::Int(i64::try_from(timeout.as_secs()).unwrap_or(i64::MAX)),
                ],
            )
            .map_err(Error::db("cannot take the migration lock (GET_LOCK)"))?;
        match rows.first().map(|r| r.0.as_str()) {
            Some("1") => Ok(()),
            _ => Err(Error::LockTimeout { timeout }),
        }
    }

    fn unlock(&mut self, key: &str) -> Result<(), Error> {
        self.pairs(
            &format!(
                "SELECT CAST(RELEASE_LOCK({LOCK_NAME}) AS CHAR) AS a, CAST(NULL AS CHAR) AS b"
            ),
            &[Bind::Text(key)],
        )
        .map(|_| ())
        .map_err(Error::db(
            "cannot release the migration lock (RELEASE_LOCK)",
        ))
    }
}
