//! What a Rust revision's `upgrade` and `downgrade` receive: [`Op`], the revision's handle on
//! its database, inside the revision's transaction (unless the revision is
//! `transactional: false`).
//!
//! ```rust,ignore
//! //! revision: 4b1c2d3e4f50
//! //! down_revision: 3f2a9c1b7d4e
//! //! message: add email, backfilled from the name
//!
//! use aludel::op::Op;
//!
//! pub fn upgrade(op: &mut Op<'_>) -> aludel::Result<()> {
//!     op.execute("ALTER TABLE users ADD COLUMN email TEXT")?;
//!     op.execute("UPDATE users SET email = name || '@example.com'")
//! }
//!
//! pub fn downgrade(op: &mut Op<'_>) -> aludel::Result<()> {
//!     op.execute("ALTER TABLE users DROP COLUMN email")
//! }
//! ```
//!
//! A data migration takes the revision's own diesel connection with [`Op::connection`] and
//! runs typed diesel queries on it, in the same transaction as the revision's DDL.

use std::any::Any;

use aludel_graph::sql::Dialect;

use crate::error::Error;

/// A column type, rendered for each dialect (see [`Type::sql`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Type {
    /// 32-bit integer: `INTEGER` (MySQL `INT`). A table's sole `INTEGER` primary key on SQLite
    /// is the rowid.
    Integer,
    /// 16-bit integer: `SMALLINT` (SQLite `INTEGER`).
    SmallInt,
    /// 64-bit integer: `BIGINT` (SQLite `INTEGER`).
    BigInt,
    /// Text without a length: `TEXT`.
    Text,
    /// Text of at most this many characters: `VARCHAR(n)`.
    Varchar(u32),
    /// `BOOLEAN` (MySQL `BOOLEAN`, a `TINYINT(1)`).
    Boolean,
    /// 64-bit floating point: `DOUBLE PRECISION` (SQLite `REAL`, MySQL `DOUBLE`).
    Double,
    /// Exact decimal of this precision and scale: `NUMERIC(p, s)` (MySQL `DECIMAL(p, s)`).
    Numeric(u8, u8),
    /// Calendar date: `DATE` (SQLite `TEXT`, as diesel stores it).
    Date,
    /// Date and time without a time zone: `TIMESTAMP` (MySQL `DATETIME(6)`).
    Timestamp,
    /// Bytes: `BLOB` (PostgreSQL `BYTEA`).
    Binary,
}

impl Type {
    /// The type's SQL in `dialect`.
    pub fn sql(self, dialect: Dialect) -> String {
        use Dialect::{Mysql, Postgres, Sqlite};
        match (self, dialect) {
            (Type::Integer, Mysql) => "INT".into(),
            (Type::Integer, _) => "INTEGER".into(),
            (Type::SmallInt | Type::BigInt, Sqlite) => "INTEGER".into(),
            (Type::SmallInt, _) => "SMALLINT".into(),
            (Type::BigInt, _) => "BIGINT".into(),
            (Type::Text, _) => "TEXT".into(),
            (Type::Varchar(n), _) => format!("VARCHAR({n})"),
            (Type::Boolean, _) => "BOOLEAN".into(),
            (Type::Double, Sqlite) => "REAL".into(),
            (Type::Double, Mysql) => "DOUBLE".into(),
            (Type::Double, _) => "DOUBLE PRECISION".into(),
            (Type::Numeric(p, s), Mysql) => format!("DECIMAL({p}, {s})"),
            (Type::Numeric(p, s), _) => format!("NUMERIC({p}, {s})"),
            (Type::Date, Sqlite) => "TEXT".into(),
            (Type::Date, _) => "DATE".into(),
            (Type::Timestamp, Mysql) => "DATETIME(6)".into(),
            (Type::Timestamp, _) => "TIMESTAMP".into(),
            (Type::Binary, Postgres) => "BYTEA".into(),
            (Type::Binary, _) => "BLOB".into(),
        }
    }
}

/// A column of [`Op::create_table`] or [`Op::add_column`]. Nullable unless made
/// [`Column::not_null`] or part of the primary key, as in Alembic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    name: String,
    kind: Type,
    nullable: bool,
    primary_key: bool,
    default: Option<String>,
    unique: bool,
    references: Option<(String, String)>,
}

impl Column {
    /// A nullable column.
    pub fn new(name: impl Into<String>, kind: Type) -> Self {
        Column {
            name: name.into(),
            kind,
            nullable: true,
            primary_key: false,
            default: None,
            unique: false,
            references: None,
        }
    }

    /// A unique constraint on this column (`UNIQUE ("name")` in [`Op::create_table`]).
    #[must_use]
    pub fn unique(mut self) -> Self {
        self.unique = true;
        self
    }

    /// A foreign key to `table`'s `column` (`FOREIGN KEY ("name") REFERENCES "table"
    /// ("column")` in [`Op::create_table`]; SQLite enforces it where the connection has
    /// `PRAGMA foreign_keys = ON`).
    #[must_use]
    pub fn references(mut self, table: impl Into<String>, column: impl Into<String>) -> Self {
        self.references = Some((table.into(), column.into()));
        self
    }

    /// `NOT NULL`.
    #[must_use]
    pub fn not_null(mut self) -> Self {
        self.nullable = false;
        self
    }

    /// Part of the table's primary key (`PRIMARY KEY (...)` in [`Op::create_table`], in the
    /// order of the columns); implies `NOT NULL`.
    #[must_use]
    pub fn primary_key(mut self) -> Self {
        self.primary_key = true;
        self.nullable = false;
        self
    }

    /// `DEFAULT <sql>`: an SQL expression, written as is (`"0"`, `"'draft'"`,
    /// `"CURRENT_TIMESTAMP"`).
    #[must_use]
    pub fn default_sql(mut self, sql: impl Into<String>) -> Self {
        self.default = Some(sql.into());
        self
    }

    /// `name TYPE [NOT NULL] [DEFAULT ...]`.
    fn sql(&self, dialect: Dialect) -> String {
        let mut out = format!(
            "{} {}",
            dialect.quote_identifier(&self.name),
            self.kind.sql(dialect)
        );
        if !self.nullable {
            out.push_str(" NOT NULL");
        }
        if let Some(default) = &self.default {
            out.push_str(" DEFAULT ");
            out.push_str(default);
        }
        out
    }
}

/// A value of [`Op::bulk_insert`], written into the statement as a literal of the dialect.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Value {
    /// `NULL`.
    Null,
    /// `TRUE`/`FALSE` (SQLite `1`/`0`).
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A finite floating-point number.
    Float(f64),
    /// Text, quoted for the dialect (MySQL's backslashes escaped too).
    Text(String),
    /// Bytes: `X'..'` (PostgreSQL `decode('..', 'hex')`).
    Bytes(Vec<u8>),
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Value::Int(i64::from(v))
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_string())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}

impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Bytes(v)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// The SQL of each operation of [`Op`], per dialect: pure functions, shared by live runs and
/// offline scripts.
pub(crate) mod render {
    use super::{Column, Dialect};

    fn q(dialect: Dialect, name: &str) -> String {
        dialect.quote_identifier(name)
    }

    fn list(dialect: Dialect, names: &[&str]) -> String {
        names
            .iter()
            .map(|n| q(dialect, n))
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub(crate) fn create_table(dialect: Dialect, table: &str, columns: &[Column]) -> String {
        let mut parts: Vec<String> = columns.iter().map(|c| c.sql(dialect)).collect();
        let key: Vec<&str> = columns
            .iter()
            .filter(|c| c.primary_key)
            .map(|c| c.name.as_str())
            .collect();
        if !key.is_empty() {
            parts.push(format!("PRIMARY KEY ({})", list(dialect, &key)));
        }
        for column in columns.iter().filter(|c| c.unique) {
            parts.push(format!("UNIQUE ({})", q(dialect, &column.name)));
        }
        for column in columns {
            if let Some((other, key)) = &column.references {
                parts.push(format!(
                    "FOREIGN KEY ({}) REFERENCES {} ({})",
                    q(dialect, &column.name),
                    q(dialect, other),
                    q(dialect, key)
                ));
            }
        }
        format!("CREATE TABLE {} ({})", q(dialect, table), parts.join(", "))
    }

    pub(crate) fn drop_table(dialect: Dialect, table: &str) -> String {
        format!("DROP TABLE {}", q(dialect, table))
    }

    pub(crate) fn rename_table(dialect: Dialect, from: &str, to: &str) -> String {
        format!(
            "ALTER TABLE {} RENAME TO {}",
            q(dialect, from),
            q(dialect, to)
        )
    }

    pub(crate) fn add_column(dialect: Dialect, table: &str, column: &Column) -> String {
        format!(
            "ALTER TABLE {} ADD COLUMN {}",
            q(dialect, table),
            column.sql(dialect)
        )
    }

    pub(crate) fn drop_column(dialect: Dialect, table: &str, column: &str) -> String {
        format!(
            "ALTER TABLE {} DROP COLUMN {}",
            q(dialect, table),
            q(dialect, column)
        )
    }

    pub(crate) fn rename_column(dialect: Dialect, table: &str, from: &str, to: &str) -> String {
        format!(
            "ALTER TABLE {} RENAME COLUMN {} TO {}",
            q(dialect, table),
            q(dialect, from),
            q(dialect, to)
        )
    }

    pub(crate) fn create_index(
        dialect: Dialect,
        name: &str,
        table: &str,
        columns: &[&str],
        unique: bool,
        concurrently: bool,
    ) -> String {
        format!(
            "CREATE {}INDEX {}{} ON {} ({})",
            if unique { "UNIQUE " } else { "" },
            if concurrently && dialect == Dialect::Postgres {
                "CONCURRENTLY "
            } else {
                ""
            },
            q(dialect, name),
            q(dialect, table),
            list(dialect, columns)
        )
    }

    pub(crate) fn drop_index_concurrently(dialect: Dialect, name: &str, table: &str) -> String {
        match dialect {
            Dialect::Postgres => format!("DROP INDEX CONCURRENTLY {}", q(dialect, name)),
            _ => drop_index(dialect, name, table),
        }
    }

    /// The rows in statements of at most this many rows each.
    pub(crate) const ROWS_PER_INSERT: usize = 500;

    fn literal(dialect: Dialect, value: &super::Value) -> Result<String, String> {
        use super::Value;
        let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
        Ok(match value {
            Value::Null => "NULL".into(),
            Value::Bool(b) => match (dialect, b) {
                (Dialect::Sqlite, true) => "1".into(),
                (Dialect::Sqlite, false) => "0".into(),
                (_, true) => "TRUE".into(),
                (_, false) => "FALSE".into(),
            },
            Value::Int(i) => i.to_string(),
            Value::Float(f) if f.is_finite() => format!("{f:?}"),
            Value::Float(f) => return Err(format!("{f} is not a number SQL can hold")),
            Value::Text(t) => dialect.quote_string(t),
            Value::Bytes(b) => match dialect {
                Dialect::Postgres => format!("decode('{}', 'hex')", hex(b)),
                _ => format!("X'{}'", hex(b)),
            },
        })
    }

    /// `INSERT INTO "table" ("a", "b") VALUES (..), (..)`, a statement per
    /// [`ROWS_PER_INSERT`] rows.
    pub(crate) fn bulk_insert(
        dialect: Dialect,
        table: &str,
        columns: &[&str],
        rows: &[Vec<super::Value>],
    ) -> Result<Vec<String>, String> {
        let mut statements = Vec::new();
        for (chunk_index, chunk) in rows.chunks(ROWS_PER_INSERT).enumerate() {
            let mut values = Vec::with_capacity(chunk.len());
            for (i, row) in chunk.iter().enumerate() {
                if row.len() != columns.len() {
                    return Err(format!(
                        "bulk_insert into {table}: row {} has {} values for {} columns",
                        chunk_index * ROWS_PER_INSERT + i + 1,
                        row.len(),
                        columns.len()
                    ));
                }
                let literals: Result<Vec<String>, String> =
                    row.iter().map(|v| literal(dialect, v)).collect();
                values.push(format!("({})", literals?.join(", ")));
            }
            statements.push(format!(
                "INSERT INTO {} ({}) VALUES {}",
                q(dialect, table),
                list(dialect, columns),
                values.join(", ")
            ));
        }
        Ok(statements)
    }

    pub(crate) fn drop_index(dialect: Dialect, name: &str, table: &str) -> String {
        match dialect {
            Dialect::Mysql => format!("DROP INDEX {} ON {}", q(dialect, name), q(dialect, table)),
            _ => format!("DROP INDEX {}", q(dialect, name)),
        }
    }
}

/// A Rust revision's function: `upgrade` or `downgrade`.
pub type RevisionFn = fn(&mut Op<'_>) -> crate::Result<()>;

/// What a Rust revision runs, as the macro embeds it.
#[derive(Debug, Clone, Copy)]
pub struct RustBody {
    /// The revision's `upgrade`.
    pub upgrade: RevisionFn,
    /// The revision's `downgrade`; `None` for an irreversible revision.
    pub downgrade: Option<RevisionFn>,
}

/// Where an [`Op`]'s statements go: the connection of a live run.
pub(crate) trait Target {
    fn dialect(&self) -> Dialect;
    /// Runs SQL that may hold several statements.
    fn execute(&mut self, sql: &str) -> Result<(), Error>;
    /// The diesel connection itself; `None` offline, where statements are recorded.
    fn connection(&mut self) -> Option<&mut dyn Any>;
}

/// An offline run's target: records the statements for the script.
pub(crate) struct Recorder {
    pub(crate) dialect: Dialect,
    pub(crate) sql: String,
}

impl Target for Recorder {
    fn dialect(&self) -> Dialect {
        self.dialect
    }

    fn execute(&mut self, sql: &str) -> Result<(), Error> {
        let sql = sql.trim();
        if !sql.is_empty() {
            self.sql.push_str(sql);
            if !sql.ends_with(';') {
                // After a line comment the `;` needs a line of its own.
                if sql.lines().last().is_some_and(|line| line.contains("--")) {
                    self.sql.push('\n');
                }
                self.sql.push(';');
            }
            self.sql.push('\n');
        }
        Ok(())
    }

    fn connection(&mut self) -> Option<&mut dyn Any> {
        None
    }
}

/// A Rust revision's handle on its database: runs SQL in the revision's transaction and lends
/// out the revision's diesel connection for typed queries.
pub struct Op<'a> {
    target: &'a mut dyn Target,
}

impl std::fmt::Debug for Op<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Op")
            .field("dialect", &self.target.dialect())
            .finish_non_exhaustive()
    }
}

impl<'a> Op<'a> {
    pub(crate) fn new(target: &'a mut dyn Target) -> Self {
        Op { target }
    }

    /// The SQL dialect of the database the revision runs on, for SQL that differs between
    /// SQLite, PostgreSQL and MySQL.
    pub fn dialect(&self) -> Dialect {
        self.target.dialect()
    }

    /// Runs raw SQL, one statement or several separated by `;`, in the revision's transaction.
    /// In a `transactional: false` revision on PostgreSQL each statement runs on its own
    /// (as `CREATE INDEX CONCURRENTLY` requires).
    pub fn execute(&mut self, sql: &str) -> crate::Result<()> {
        self.target.execute(sql)
    }

    /// `CREATE TABLE` with these columns; the columns marked [`Column::primary_key`] form
    /// its primary key, in order, followed by the columns' [`Column::unique`] and
    /// [`Column::references`] constraints (declared with the table, which every dialect,
    /// SQLite included, accepts).
    ///
    /// ```text
    /// op.create_table("users", &[Column::new("id", Type::Integer).primary_key(),
    ///                            Column::new("name", Type::Varchar(100)).not_null()])
    /// SQLite, PostgreSQL: CREATE TABLE "users" ("id" INTEGER NOT NULL, "name" VARCHAR(100) NOT NULL, PRIMARY KEY ("id"))
    /// MySQL:              CREATE TABLE `users` (`id` INT NOT NULL, `name` VARCHAR(100) NOT NULL, PRIMARY KEY (`id`))
    /// ```
    pub fn create_table(&mut self, table: &str, columns: &[Column]) -> crate::Result<()> {
        let sql = render::create_table(self.dialect(), table, columns);
        self.execute(&sql)
    }

    /// `DROP TABLE "table"` (MySQL: `` DROP TABLE `table` ``).
    pub fn drop_table(&mut self, table: &str) -> crate::Result<()> {
        let sql = render::drop_table(self.dialect(), table);
        self.execute(&sql)
    }

    /// `ALTER TABLE "from" RENAME TO "to"`, on every dialect.
    pub fn rename_table(&mut self, from: &str, to: &str) -> crate::Result<()> {
        let sql = render::rename_table(self.dialect(), from, to);
        self.execute(&sql)
    }

    /// `ALTER TABLE "table" ADD COLUMN "name" TYPE [NOT NULL] [DEFAULT ...]`, on every dialect
    /// (SQLite refuses a `NOT NULL` column without a default on a table that has rows).
    pub fn add_column(&mut self, table: &str, column: Column) -> crate::Result<()> {
        let sql = render::add_column(self.dialect(), table, &column);
        self.execute(&sql)
    }

    /// `ALTER TABLE "table" DROP COLUMN "column"`, on every dialect (SQLite refuses it for a
    /// column in an index, a key or a constraint).
    pub fn drop_column(&mut self, table: &str, column: &str) -> crate::Result<()> {
        let sql = render::drop_column(self.dialect(), table, column);
        self.execute(&sql)
    }

    /// `ALTER TABLE "table" RENAME COLUMN "from" TO "to"`, on every dialect (MySQL 8,
    /// MariaDB 10.5 and later).
    pub fn rename_column(&mut self, table: &str, from: &str, to: &str) -> crate::Result<()> {
        let sql = render::rename_column(self.dialect(), table, from, to);
        self.execute(&sql)
    }

    /// `CREATE INDEX "name" ON "table" ("a", "b")`, on every dialect.
    pub fn create_index(&mut self, name: &str, table: &str, columns: &[&str]) -> crate::Result<()> {
        let sql = render::create_index(self.dialect(), name, table, columns, false, false);
        self.execute(&sql)
    }

    /// `CREATE UNIQUE INDEX "name" ON "table" ("a", "b")`, on every dialect.
    pub fn create_unique_index(
        &mut self,
        name: &str,
        table: &str,
        columns: &[&str],
    ) -> crate::Result<()> {
        let sql = render::create_index(self.dialect(), name, table, columns, true, false);
        self.execute(&sql)
    }

    /// `CREATE [UNIQUE] INDEX CONCURRENTLY "name" ON "table" (..)` on PostgreSQL, which builds
    /// the index without locking out writes and cannot run in a transaction: the revision must
    /// be `transactional: false`. A plain `CREATE [UNIQUE] INDEX` elsewhere.
    pub fn create_index_concurrently(
        &mut self,
        name: &str,
        table: &str,
        columns: &[&str],
        unique: bool,
    ) -> crate::Result<()> {
        let sql = render::create_index(self.dialect(), name, table, columns, unique, true);
        self.execute(&sql)
    }

    /// `DROP INDEX CONCURRENTLY "name"` on PostgreSQL (in a `transactional: false` revision);
    /// [`Op::drop_index`] elsewhere.
    pub fn drop_index_concurrently(&mut self, name: &str, table: &str) -> crate::Result<()> {
        let sql = render::drop_index_concurrently(self.dialect(), name, table);
        self.execute(&sql)
    }

    /// `DROP INDEX "name"` (MySQL: `` DROP INDEX `name` ON `table` ``, which needs the table).
    pub fn drop_index(&mut self, name: &str, table: &str) -> crate::Result<()> {
        let sql = render::drop_index(self.dialect(), name, table);
        self.execute(&sql)
    }

    /// Inserts rows given as values (Alembic's `bulk_insert`): each value written as a literal
    /// of the dialect, at most 500 rows per `INSERT`. A row with another number of values than
    /// there are columns is an error before anything is sent.
    ///
    /// ```text
    /// op.bulk_insert("users", &["id", "name", "admin"], &[
    ///     vec![1.into(), "ada".into(), true.into()],
    ///     vec![2.into(), "o'hara".into(), Value::Null],
    /// ])
    /// SQLite:     INSERT INTO "users" ("id", "name", "admin") VALUES (1, 'ada', 1), (2, 'o''hara', NULL)
    /// PostgreSQL: INSERT INTO "users" ("id", "name", "admin") VALUES (1, 'ada', TRUE), (2, 'o''hara', NULL)
    /// MySQL:      INSERT INTO `users` (`id`, `name`, `admin`) VALUES (1, 'ada', TRUE), (2, 'o''hara', NULL)
    /// ```
    pub fn bulk_insert(
        &mut self,
        table: &str,
        columns: &[&str],
        rows: &[Vec<Value>],
    ) -> crate::Result<()> {
        let statements = render::bulk_insert(self.dialect(), table, columns, rows)
            .map_err(|message| Error::RevisionSql { message })?;
        for statement in statements {
            self.execute(&statement)?;
        }
        Ok(())
    }

    /// The revision's diesel connection, for typed diesel queries (a data migration), in the
    /// revision's transaction: `C` is the connection type the history is applied with
    /// (`diesel::SqliteConnection`, `diesel::PgConnection`, `diesel::MysqlConnection`).
    /// Fails with [`Error::OtherConnection`] when the run uses another type, and with
    /// [`Error::NeedsLiveDatabase`] offline (`--sql`, [`Migrator::sql`](crate::Migrator::sql)),
    /// which refuses such a revision by name.
    ///
    /// ```rust,ignore
    /// use diesel::prelude::*;
    ///
    /// pub fn upgrade(op: &mut aludel::op::Op<'_>) -> aludel::Result<()> {
    ///     op.execute("ALTER TABLE users ADD COLUMN email TEXT")?;
    ///     let conn = op.connection::<diesel::SqliteConnection>()?;
    ///     diesel::sql_query("UPDATE users SET email = name || '@example.com'").execute(conn)?;
    ///     Ok(())
    /// }
    /// ```
    pub fn connection<C: 'static>(&mut self) -> crate::Result<&mut C> {
        let dialect = self.target.dialect();
        self.target
            .connection()
            .ok_or(Error::NeedsLiveDatabase)?
            .downcast_mut::<C>()
            .ok_or_else(|| Error::OtherConnection {
                asked: std::any::type_name::<C>(),
                dialect,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recorder_ends_every_statement() {
        let mut recorder = Recorder {
            dialect: Dialect::Sqlite,
            sql: String::new(),
        };
        recorder.execute("SELECT 1").unwrap();
        recorder.execute("SELECT 2; ").unwrap();
        recorder.execute("SELECT 3 -- three").unwrap();
        recorder.execute("  ").unwrap();
        assert_eq!(recorder.sql, "SELECT 1;\nSELECT 2;\nSELECT 3 -- three\n;\n");
    }

    #[test]
    fn every_operation_renders_for_every_dialect() {
        let columns = [
            Column::new("id", Type::Integer).primary_key(),
            Column::new("name", Type::Varchar(100)).not_null(),
            Column::new("score", Type::Double).default_sql("0"),
        ];
        assert_eq!(
            render::create_table(Dialect::Sqlite, "users", &columns),
            r#"CREATE TABLE "users" ("id" INTEGER NOT NULL, "name" VARCHAR(100) NOT NULL, "score" REAL DEFAULT 0, PRIMARY KEY ("id"))"#
        );
        assert_eq!(
            render::create_table(Dialect::Postgres, "users", &columns),
            r#"CREATE TABLE "users" ("id" INTEGER NOT NULL, "name" VARCHAR(100) NOT NULL, "score" DOUBLE PRECISION DEFAULT 0, PRIMARY KEY ("id"))"#
        );
        assert_eq!(
            render::create_table(Dialect::Mysql, "users", &columns),
            "CREATE TABLE `users` (`id` INT NOT NULL, `name` VARCHAR(100) NOT NULL, `score` DOUBLE DEFAULT 0, PRIMARY KEY (`id`))"
        );
        assert_eq!(
            render::create_table(
                Dialect::Postgres,
                "posts",
                &[
                    Column::new("id", Type::Integer).primary_key(),
                    Column::new("user_id", Type::Integer)
                        .not_null()
                        .references("users", "id"),
                    Column::new("slug", Type::Varchar(80)).unique(),
                ]
            ),
            r#"CREATE TABLE "posts" ("id" INTEGER NOT NULL, "user_id" INTEGER NOT NULL, "slug" VARCHAR(80), PRIMARY KEY ("id"), UNIQUE ("slug"), FOREIGN KEY ("user_id") REFERENCES "users" ("id"))"#
        );
        assert_eq!(
            render::drop_index(Dialect::Postgres, "i", "t"),
            r#"DROP INDEX "i""#
        );
        assert_eq!(
            render::create_index(Dialect::Postgres, "i", "t", &["a"], false, true),
            r#"CREATE INDEX CONCURRENTLY "i" ON "t" ("a")"#
        );
        assert_eq!(
            render::drop_index_concurrently(Dialect::Postgres, "i", "t"),
            r#"DROP INDEX CONCURRENTLY "i""#
        );
        assert_eq!(
            render::drop_index_concurrently(Dialect::Mysql, "i", "t"),
            "DROP INDEX `i` ON `t`"
        );
        assert_eq!(
            render::drop_index(Dialect::Mysql, "i", "t"),
            "DROP INDEX `i` ON `t`"
        );
        assert_eq!(
            render::create_index(Dialect::Sqlite, "i", "t", &["a", "b"], true, true),
            r#"CREATE UNIQUE INDEX "i" ON "t" ("a", "b")"#
        );
        assert_eq!(
            render::rename_column(Dialect::Mysql, "t", "a", "b"),
            "ALTER TABLE `t` RENAME COLUMN `a` TO `b`"
        );
        let rows = vec![
            vec![Value::from(1), "o'ha\\ra".into(), true.into(), Value::Null],
            vec![
                2.into(),
                "é".into(),
                false.into(),
                vec![0xde_u8, 0xad].into(),
            ],
        ];
        let cols = ["id", "name", "flag", "data"];
        assert_eq!(
            render::bulk_insert(Dialect::Sqlite, "t", &cols, &rows).unwrap(),
            [
                r#"INSERT INTO "t" ("id", "name", "flag", "data") VALUES (1, 'o''ha\ra', 1, NULL), (2, 'é', 0, X'dead')"#
            ]
        );
        assert_eq!(
            render::bulk_insert(Dialect::Mysql, "t", &cols, &rows).unwrap(),
            [
                r"INSERT INTO `t` (`id`, `name`, `flag`, `data`) VALUES (1, 'o''ha\\ra', TRUE, NULL), (2, 'é', FALSE, X'dead')"
            ]
        );
        assert_eq!(
            render::bulk_insert(Dialect::Postgres, "t", &cols, &rows[1..]).unwrap(),
            [
                r#"INSERT INTO "t" ("id", "name", "flag", "data") VALUES (2, 'é', FALSE, decode('dead', 'hex'))"#
            ]
        );
        let many: Vec<Vec<Value>> = (0..1001).map(|i| vec![Value::from(i)]).collect();
        assert_eq!(
            render::bulk_insert(Dialect::Sqlite, "t", &["id"], &many)
                .unwrap()
                .len(),
            3
        );
        let short =
            render::bulk_insert(Dialect::Sqlite, "t", &cols, &[vec![1.into()]]).unwrap_err();
        assert_eq!(
            short,
            "bulk_insert into t: row 1 has 1 values for 4 columns"
        );
        assert!(
            render::bulk_insert(Dialect::Sqlite, "t", &["x"], &[vec![f64::NAN.into()]]).is_err()
        );
        // Names are quoted: a quote in a name is doubled, never ends the identifier.
        assert_eq!(
            render::drop_table(Dialect::Postgres, "we\"ird"),
            r#"DROP TABLE "we""ird""#
        );
    }
}
