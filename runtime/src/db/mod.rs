//! What aludel needs from a database connection, per backend, and the SQL of its two tables.
//!
//! Every value is bound; identifiers (table and schema names from the options) are quoted for
//! the dialect.

use std::time::Duration;

use aludel_graph::sql::Dialect;
use diesel::result::QueryResult;

use crate::error::Error;
use crate::options::Options;

#[cfg(feature = "mysql")]
mod mysql;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;

/// A diesel connection aludel can migrate: `SqliteConnection` (feature `sqlite`, on by
/// default), `PgConnection` (feature `postgres`) and `MysqlConnection` (feature `mysql`).
pub trait MigrationConnection: private::Backend {}

impl<C: private::Backend> MigrationConnection for C {}

/// A bound value.
#[derive(Debug, Clone, Copy)]
pub enum Bind<'a> {
    /// A text value.
    Text(&'a str),
    /// An integer value.
    Int(i64),
}

pub(crate) mod private {
    use super::*;

    /// The operations aludel runs on a connection. Not implementable outside aludel.
    pub trait Backend: Sized {
        /// The SQL dialect.
        fn dialect(&self) -> Dialect;
        /// Runs SQL that may hold several statements.
        fn batch(&mut self, sql: &str) -> QueryResult<()>;
        /// Runs one statement with bound values; returns the number of affected rows.
        fn exec(&mut self, sql: &str, binds: &[Bind<'_>]) -> QueryResult<usize>;
        /// Runs a query whose result has two text columns `a` and `b` (`b` nullable).
        fn pairs(
            &mut self,
            sql: &str,
            binds: &[Bind<'_>],
        ) -> QueryResult<Vec<(String, Option<String>)>>;
        /// Runs `f` in a transaction (on SQLite an immediate one, which takes the write lock).
        fn in_transaction<T, E: From<diesel::result::Error>>(
            &mut self,
            f: &mut dyn FnMut(&mut Self) -> Result<T, E>,
        ) -> Result<T, E>;
        /// Takes the session's migration lock, waiting at most `timeout`.
        fn lock(&mut self, key: &str, timeout: Duration) -> Result<(), Error>;
        /// Releases the migration lock.
        fn unlock(&mut self, key: &str) -> Result<(), Error>;
        /// Prepares the connection for a run (SQLite: the busy timeout).
        fn prepare(&mut self, _options: &Options) -> Result<(), Error> {
            Ok(())
        }
    }
}

use private::Backend;

/// The names of aludel's tables, quoted for the dialect.
#[derive(Debug, Clone)]
pub(crate) struct Tables {
    pub(crate) dialect: Dialect,
    /// The version table, qualified and quoted.
    pub(crate) version: String,
    /// The version table's name as stored in the catalog.
    pub(crate) version_name: String,
    /// The log table, qualified and quoted.
    pub(crate) log: String,
    pub(crate) log_name: String,
    pub(crate) schema: Option<String>,
    /// Name of the migration lock.
    pub(crate) lock_key: String,
}

impl Tables {
    pub(crate) fn new(dialect: Dialect, options: &Options) -> Result<Tables, Error> {
        for (what, name) in [
            ("version table", Some(&options.version_table)),
            ("log table", Some(&options.log_table)),
            ("schema", options.schema.as_ref()),
        ] {
            if let Some(name) = name {
                if name.is_empty() || name.len() > 63 || name.contains('\0') {
                    return Err(Error::Unsupported(format!(
                        "the {what} name `{name}` is not usable: give 1 to 63 characters"
                    )));
                }
            }
        }
        if options.schema.is_some() && dialect == Dialect::Sqlite {
            return Err(Error::Unsupported(
                "a schema for the version table is a PostgreSQL option; SQLite has none (attach a database instead)".to_string(),
            ));
        }
        let qualify = |name: &str| match &options.schema {
            Some(schema) => format!(
                "{}.{}",
                dialect.quote_identifier(schema),
                dialect.quote_identifier(name)
            ),
            None => dialect.quote_identifier(name),
        };
        let lock_key = format!(
            "aludel:{}{}",
            options
                .schema
                .as_deref()
                .map(|s| format!("{s}."))
                .unwrap_or_default(),
            options.version_table
        );
        Ok(Tables {
            dialect,
            version: qualify(&options.version_table),
            version_name: options.version_table.clone(),
            log: qualify(&options.log_table),
            log_name: options.log_table.clone(),
            schema: options.schema.clone(),
            lock_key,
        })
    }

    /// The n-th placeholder (1-based).
    pub(crate) fn ph(&self, n: usize) -> String {
        match self.dialect {
            Dialect::Postgres => format!("${n}"),
            _ => "?".to_string(),
        }
    }

    fn null_text(&self) -> &'static str {
        match self.dialect {
            Dialect::Mysql => "CAST(NULL AS CHAR)",
            _ => "CAST(NULL AS TEXT)",
        }
    }

    /// `CREATE TABLE` of Alembic's version table, byte for byte Alembic's shape.
    pub(crate) fn create_version_table(&self) -> String {
        let pk = self
            .dialect
            .quote_identifier(&format!("{}_pkc", self.version_name));
        format!(
            "CREATE TABLE IF NOT EXISTS {} (version_num VARCHAR(32) NOT NULL, CONSTRAINT {pk} PRIMARY KEY (version_num))",
            self.version
        )
    }

    /// `CREATE TABLE` (and index) of the revision log.
    pub(crate) fn create_log_table(&self) -> Vec<String> {
        let index = self
            .dialect
            .quote_identifier(&format!("{}_revision", self.log_name));
        let columns = "revision VARCHAR(32) NOT NULL, direction VARCHAR(16) NOT NULL, checksum VARCHAR(80) NOT NULL, lineage VARCHAR(80) NOT NULL, recorded_at VARCHAR(40) NOT NULL, duration_ms BIGINT NOT NULL";
        match self.dialect {
            Dialect::Sqlite => vec![
                format!("CREATE TABLE IF NOT EXISTS {} (id INTEGER PRIMARY KEY AUTOINCREMENT, {columns})", self.log),
                format!("CREATE INDEX IF NOT EXISTS {index} ON {} (revision, id)", self.log),
            ],
            Dialect::Postgres => vec![
                format!("CREATE TABLE IF NOT EXISTS {} (id BIGSERIAL PRIMARY KEY, {columns})", self.log),
                format!("CREATE INDEX IF NOT EXISTS {index} ON {} (revision, id)", self.log),
            ],
            _ => vec![format!(
                "CREATE TABLE IF NOT EXISTS {} (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, {columns}, INDEX {index} (revision, id))",
                self.log
            )],
        }
    }

    /// The rows of the version table with the lineage digest recorded for each: one query.
    pub(crate) fn select_state(&self) -> String {
        format!(
            "SELECT v.version_num AS a, (SELECT l.lineage FROM {log} l WHERE l.revision = v.version_num AND l.direction <> 'downgrade' ORDER BY l.id DESC LIMIT 1) AS b FROM {version} v",
            log = self.log,
            version = self.version
        )
    }

    pub(crate) fn select_versions(&self) -> String {
        format!(
            "SELECT version_num AS a, {} AS b FROM {}",
            self.null_text(),
            self.version
        )
    }

    pub(crate) fn select_table(&self, name: &str) -> (String, Vec<String>) {
        let null = self.null_text();
        match self.dialect {
            Dialect::Sqlite => (
                format!("SELECT name AS a, {null} AS b FROM sqlite_master WHERE type = 'table' AND name = ?"),
                vec![name.to_string()],
            ),
            Dialect::Postgres => match &self.schema {
                Some(schema) => (
                    format!("SELECT CAST(table_name AS TEXT) AS a, {null} AS b FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2"),
                    vec![schema.clone(), name.to_string()],
                ),
                None => (
                    format!("SELECT CAST(table_name AS TEXT) AS a, {null} AS b FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1"),
                    vec![name.to_string()],
                ),
            },
            _ => (
                format!("SELECT CAST(table_name AS CHAR) AS a, {null} AS b FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?"),
                vec![name.to_string()],
            ),
        }
    }

    pub(crate) fn insert_version(&self) -> String {
        format!(
            "INSERT INTO {} (version_num) VALUES ({})",
            self.version,
            self.ph(1)
        )
    }

    pub(crate) fn update_version(&self) -> String {
        format!(
            "UPDATE {} SET version_num = {} WHERE version_num = {}",
            self.version,
            self.ph(1),
            self.ph(2)
        )
    }

    pub(crate) fn delete_version(&self) -> String {
        format!(
            "DELETE FROM {} WHERE version_num = {}",
            self.version,
            self.ph(1)
        )
    }

    pub(crate) fn delete_all_versions(&self) -> String {
        format!("DELETE FROM {}", self.version)
    }

    pub(crate) fn insert_log(&self) -> String {
        format!(
            "INSERT INTO {} (revision, direction, checksum, lineage, recorded_at, duration_ms) VALUES ({}, {}, {}, {}, {}, {})",
            self.log,
            self.ph(1),
            self.ph(2),
            self.ph(3),
            self.ph(4),
            self.ph(5),
            self.ph(6)
        )
    }

    pub(crate) fn select_checksums(&self) -> String {
        format!("SELECT revision AS a, checksum AS b FROM {} WHERE direction <> 'downgrade' ORDER BY id", self.log)
    }
}

/// Whether a table exists.
pub(crate) fn table_exists<C: Backend>(
    conn: &mut C,
    tables: &Tables,
    name: &str,
) -> Result<bool, Error> {
    let (sql, binds) = tables.select_table(name);
    let binds: Vec<Bind<'_>> = binds.iter().map(|b| Bind::Text(b)).collect();
    let rows = conn
        .pairs(&sql, &binds)
        .map_err(Error::db(format!("cannot look up table {name}")))?;
    Ok(!rows.is_empty())
}

/// A held migration lock: derefs to the connection and releases the lock when dropped, on
/// every return path.
pub(crate) struct LockGuard<'c, C: Backend> {
    conn: &'c mut C,
    key: String,
}

impl<'c, C: Backend> LockGuard<'c, C> {
    pub(crate) fn acquire(conn: &'c mut C, key: &str, timeout: Duration) -> Result<Self, Error> {
        conn.lock(key, timeout)?;
        Ok(LockGuard {
            conn,
            key: key.to_string(),
        })
    }
}

impl<C: Backend> std::ops::Deref for LockGuard<'_, C> {
    type Target = C;
    fn deref(&self) -> &C {
        self.conn
    }
}

impl<C: Backend> std::ops::DerefMut for LockGuard<'_, C> {
    fn deref_mut(&mut self) -> &mut C {
        self.conn
    }
}

impl<C: Backend> Drop for LockGuard<'_, C> {
    fn drop(&mut self) {
        if let Err(err) = self.conn.unlock(&self.key) {
            tracing::warn!(error = %err, "could not release the migration lock; it is released when the connection closes");
        }
    }
}

/// A stable 64-bit key for a lock name (FNV-1a), for PostgreSQL's advisory locks.
pub(crate) fn lock_number(key: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in key.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    i64::from_ne_bytes(hash.to_ne_bytes())
}

/// The current time as ISO 8601 UTC, e.g. `2026-11-22T10:30:00.123Z`.
pub(crate) fn now_iso() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs();
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        now.subsec_millis()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates() {
        let now = now_iso();
        assert_eq!(now.len(), 24, "{now}");
        assert!(now.starts_with("20"), "{now}");
        assert!(now.ends_with('Z'));
    }

    #[test]
    fn lock_numbers_are_stable() {
        assert_eq!(
            lock_number("aludel:alembic_version"),
            lock_number("aludel:alembic_version")
        );
        assert_ne!(lock_number("aludel:a"), lock_number("aludel:b"));
    }
}

/// A row of two text columns, the shape of every query aludel reads.
#[derive(diesel::QueryableByName)]
pub(crate) struct Pair {
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub(crate) a: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub(crate) b: Option<String>,
}

/// The parts of [`private::Backend`] that are the same for every diesel connection.
macro_rules! common_backend_methods {
    ($db:ty) => {
        fn batch(&mut self, sql: &str) -> diesel::result::QueryResult<()> {
            diesel::connection::SimpleConnection::batch_execute(self, sql)
        }

        fn exec(
            &mut self,
            sql: &str,
            binds: &[$crate::db::Bind<'_>],
        ) -> diesel::result::QueryResult<usize> {
            use diesel::RunQueryDsl;
            let mut query = diesel::sql_query(sql).into_boxed::<$db>();
            for bind in binds {
                query = match *bind {
                    $crate::db::Bind::Text(t) => query.bind::<diesel::sql_types::Text, _>(t),
                    $crate::db::Bind::Int(i) => query.bind::<diesel::sql_types::BigInt, _>(i),
                };
            }
            query.execute(self)
        }

        fn pairs(
            &mut self,
            sql: &str,
            binds: &[$crate::db::Bind<'_>],
        ) -> diesel::result::QueryResult<Vec<(String, Option<String>)>> {
            use diesel::RunQueryDsl;
            let mut query = diesel::sql_query(sql).into_boxed::<$db>();
            for bind in binds {
                query = match *bind {
                    $crate::db::Bind::Text(t) => query.bind::<diesel::sql_types::Text, _>(t),
                    $crate::db::Bind::Int(i) => query.bind::<diesel::sql_types::BigInt, _>(i),
                };
            }
            let rows: Vec<$crate::db::Pair> = query.load(self)?;
            Ok(rows.into_iter().map(|r| (r.a, r.b)).collect())
        }
    };
}
pub(crate) use common_backend_methods;
