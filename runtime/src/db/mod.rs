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
            .quote_identifier(&derived_name(&self.version_name, "_pkc"));
        format!(
            "CREATE TABLE IF NOT EXISTS {} (version_num VARCHAR(32) NOT NULL, CONSTRAINT {pk} PRIMARY KEY (version_num))",
            self.version
        )
    }

    /// `CREATE TABLE` (and index) of the revision log.
    pub(crate) fn create_log_table(&self) -> Vec<String> {
        let index = self
            .dialect
            .quote_identifier(&derived_name(&self.log_name, "_revision"));
        let columns = "revision VARCHAR(32) NOT NULL, direction VARCHAR(16) NOT NULL, checksum VARCHAR(80) NOT NULL, lineage VARCHAR(80) NOT NULL, recorded_at VARCHAR(40) NOT NULL, duration_ms BIGINT NOT NULL";
        match self.dialect {
            // The log is append-only, so SQLite's rowid (the largest id plus one) already grows;
            // AUTOINCREMENT would add a write to `sqlite_sequence` to every revision's commit.
            Dialect::Sqlite => vec![
                format!("CREATE TABLE IF NOT EXISTS {} (id INTEGER PRIMARY KEY, {columns})", self.log),
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

/// Runs `f` in a transaction that `begin` opens (diesel's `transaction` or
/// `immediate_transaction`). When `f` fails, its error is returned even if the ROLLBACK fails
/// too: diesel would return the ROLLBACK's error then (on a lost MySQL connection, "Server has
/// gone away"), hiding which revision failed and why.
pub(crate) fn keep_first_error<C, T, E: From<diesel::result::Error>>(
    conn: &mut C,
    begin: impl FnOnce(&mut C, &mut dyn FnMut(&mut C) -> QueryResult<T>) -> QueryResult<T>,
    f: &mut dyn FnMut(&mut C) -> Result<T, E>,
) -> Result<T, E> {
    let mut failed: Option<E> = None;
    let result = begin(conn, &mut |c| {
        f(c).map_err(|error| {
            failed = Some(error);
            diesel::result::Error::RollbackTransaction
        })
    });
    match (result, failed) {
        (Ok(value), _) => Ok(value),
        (Err(_), Some(error)) => Err(error),
        (Err(error), None) => Err(E::from(error)),
    }
}

/// The name of a constraint or index of table `base`: `<base><suffix>` (Alembic's
/// `alembic_version_pkc`), shortened to PostgreSQL's 63 bytes when the table's name is long:
/// the name keeps its first bytes and gains 8 hex digits of its hash. Unshortened, PostgreSQL
/// would cut `<63 characters>_pkc` back to the table's own name and refuse the constraint.
pub(crate) fn derived_name(base: &str, suffix: &str) -> String {
    const LIMIT: usize = 63;
    if base.len() + suffix.len() <= LIMIT {
        return format!("{base}{suffix}");
    }
    let hash = u64::from_ne_bytes(lock_number(base).to_ne_bytes()) & 0xffff_ffff;
    let mut keep = LIMIT.saturating_sub(suffix.len() + 9);
    while !base.is_char_boundary(keep) {
        keep -= 1;
    }
    format!("{}_{hash:08x}{suffix}", &base[..keep])
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
    fn derived_names_fit_postgres() {
        assert_eq!(
            derived_name("alembic_version", "_pkc"),
            "alembic_version_pkc"
        );
        let long = "v".repeat(63);
        let name = derived_name(&long, "_pkc");
        assert_eq!(name.len(), 63);
        assert!(
            name.starts_with(&"v".repeat(50)) && name.ends_with("_pkc"),
            "{name}"
        );
        assert_ne!(name, derived_name(&"v".repeat(62), "_pkc"));
        let wide = "ü".repeat(31); // 62 bytes
        let name = derived_name(&wide, "_revision");
        assert!(name.len() <= 63 && name.ends_with("_revision"), "{name}");
    }

    #[test]
    fn placeholders_outside_quotes() {
        let found = |sql: &str| -> Vec<String> {
            placeholders(sql)
                .into_iter()
                .map(|(start, end, n)| format!("{}{n:?}", &sql[start..end]))
                .collect()
        };
        assert_eq!(
            found("SELECT a FROM \"t?$1\" WHERE x = ? AND y = ?"),
            ["?None", "?None"]
        );
        assert_eq!(
            found("UPDATE `a``?` SET v = $2 WHERE v = $1 AND w = '$3'"),
            ["$2Some(2)", "$1Some(1)"]
        );
        assert_eq!(found("SELECT '$' || $"), Vec::<String>::new());
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

/// One of aludel's own statements with its bound values, run so that diesel keeps it prepared
/// on the connection: the statement cache is keyed by the SQL text, so the no-op check and the
/// version-table statements of every revision are parsed and planned once per connection.
/// (diesel's `sql_query` is never cached.)
pub(crate) struct Statement<'a> {
    sql: &'a str,
    binds: &'a [Bind<'a>],
}

impl<'a> Statement<'a> {
    pub(crate) fn new(sql: &'a str, binds: &'a [Bind<'a>]) -> Statement<'a> {
        Statement { sql, binds }
    }
}

/// Where the placeholders of `sql` are (`?`, or `$n` with its number), outside quoted
/// identifiers and string literals: a table named `a?b` is not a placeholder.
fn placeholders(sql: &str) -> Vec<(usize, usize, Option<usize>)> {
    let bytes = sql.as_bytes();
    let mut found = Vec::new();
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            // A doubled quote inside quotes closes and reopens: the same state either way.
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None => match b {
                b'\'' | b'"' | b'`' => quote = Some(b),
                b'?' => found.push((i, i + 1, None)),
                b'$' => {
                    let digits = bytes[i + 1..]
                        .iter()
                        .take_while(|d| d.is_ascii_digit())
                        .count();
                    if digits > 0 {
                        let end = i + 1 + digits;
                        found.push((i, end, sql[i + 1..end].parse().ok()));
                        i = end;
                        continue;
                    }
                }
                _ => {}
            },
        }
        i += 1;
    }
    found
}

impl<DB> diesel::query_builder::QueryFragment<DB> for Statement<'_>
where
    DB: diesel::backend::Backend
        + diesel::sql_types::HasSqlType<diesel::sql_types::Text>
        + diesel::sql_types::HasSqlType<diesel::sql_types::BigInt>,
    str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
    i64: diesel::serialize::ToSql<diesel::sql_types::BigInt, DB>,
{
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, DB>,
    ) -> QueryResult<()> {
        let mut last = 0;
        for (n, (start, end, number)) in placeholders(self.sql).into_iter().enumerate() {
            out.push_sql(&self.sql[last..start]);
            let index = number.map_or(n, |k| k.saturating_sub(1));
            match self.binds.get(index) {
                Some(Bind::Text(text)) => {
                    out.push_bind_param::<diesel::sql_types::Text, str>(*text)?;
                }
                Some(Bind::Int(int)) => {
                    out.push_bind_param::<diesel::sql_types::BigInt, i64>(int)?;
                }
                None => {
                    return Err(diesel::result::Error::QueryBuilderError(
                        format!("placeholder {} of `{}` has no value", n + 1, self.sql).into(),
                    ))
                }
            }
            last = end;
        }
        out.push_sql(&self.sql[last..]);
        Ok(())
    }
}

impl diesel::query_builder::QueryId for Statement<'_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl diesel::query_builder::Query for Statement<'_> {
    type SqlType = diesel::sql_types::Untyped;
}

impl<Conn> diesel::RunQueryDsl<Conn> for Statement<'_> {}

/// The parts of [`private::Backend`] that are the same for every diesel connection.
macro_rules! common_backend_methods {
    () => {
        fn batch(&mut self, sql: &str) -> diesel::result::QueryResult<()> {
            diesel::connection::SimpleConnection::batch_execute(self, sql)
        }

        fn exec(
            &mut self,
            sql: &str,
            binds: &[$crate::db::Bind<'_>],
        ) -> diesel::result::QueryResult<usize> {
            use diesel::RunQueryDsl;
            $crate::db::Statement::new(sql, binds).execute(self)
        }

        fn pairs(
            &mut self,
            sql: &str,
            binds: &[$crate::db::Bind<'_>],
        ) -> diesel::result::QueryResult<Vec<(String, Option<String>)>> {
            use diesel::RunQueryDsl;
            let rows: Vec<$crate::db::Pair> = $crate::db::Statement::new(sql, binds).load(self)?;
            Ok(rows.into_iter().map(|r| (r.a, r.b)).collect())
        }
    };
}
pub(crate) use common_backend_methods;
