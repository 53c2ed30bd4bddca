//! MySQL and MariaDB: DDL commits implicitly, so a failed revision may be partly applied; the
//! version table records only revisions that completed. Concurrent migrators serialise on a
//! named lock (`GET_LOCK`) held for the whole run; lock names are server-wide, so the name
//! comes from the database and the table.

use std::time::Duration;

use aludel_graph::sql::Dialect;
use diesel::mysql::MysqlConnection;
use diesel::Connection;

use super::private::Backend;
use super::{Bind, LockName};
use crate::error::Error;
use diesel::result::QueryResult;

impl Backend for MysqlConnection {
    fn dialect(&self) -> Dialect {
        Dialect::Mysql
    }

    super::common_backend_methods!();

    fn table_sql(&mut self, table: &str) -> QueryResult<Option<String>> {
        use diesel::RunQueryDsl;
        let sql = format!(
            "SHOW CREATE TABLE {}",
            Dialect::Mysql.quote_identifier(table)
        );
        match diesel::sql_query(sql).load::<CreateTable>(self) {
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

    fn in_transaction<T, E: From<diesel::result::Error>>(
        &mut self,
        f: &mut dyn FnMut(&mut Self) -> Result<T, E>,
    ) -> Result<T, E> {
        super::keep_first_error(self, |conn, f| conn.transaction(|c| f(c)), f)
    }

    fn lock_run(&mut self, lock: &LockName, timeout: Duration) -> Result<(), Error> {
        let rows = self
            .pairs(
                "SELECT CAST(GET_LOCK(?, ?) AS CHAR) AS a, CAST(NULL AS CHAR) AS b",
                &[
                    Bind::Text(&lock.short()),
                    Bind::Int(i64::try_from(timeout.as_secs()).unwrap_or(i64::MAX)),
                ],
            )
            .map_err(Error::db("cannot take the migration lock (GET_LOCK)"))?;
        match rows.first().map(|r| r.0.as_str()) {
            Some("1") => Ok(()),
            _ => Err(Error::LockTimeout {
                timeout,
                completed: Vec::new(),
            }),
        }
    }

    fn unlock_run(&mut self, lock: &LockName) -> Result<(), Error> {
        self.pairs(
            "SELECT CAST(RELEASE_LOCK(?) AS CHAR) AS a, CAST(NULL AS CHAR) AS b",
            &[Bind::Text(&lock.short())],
        )
        .map(|_| ())
        .map_err(Error::db(
            "cannot release the migration lock (RELEASE_LOCK)",
        ))
    }

    fn scope(&mut self, schema: Option<&str>) -> Result<Option<String>, Error> {
        if let Some(schema) = schema {
            return Ok(Some(schema.to_string()));
        }
        let rows = self
            .pairs(
                "SELECT CAST(COALESCE(DATABASE(), '') AS CHAR) AS a, CAST(NULL AS CHAR) AS b",
                &[],
            )
            .map_err(Error::db("cannot read the current database"))?;
        Ok(rows.into_iter().next().map(|(database, _)| database))
    }
}

/// The row of `SHOW CREATE TABLE`.
#[derive(diesel::QueryableByName)]
struct CreateTable {
    #[diesel(sql_type = diesel::sql_types::Text, column_name = "Create Table")]
    sql: String,
}
