//! The values an [`Op`](super::Op) call takes: column types, columns, changes, constraints
//! and row values.

use aludel_graph::sql::Dialect;

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
    /// A type written as given, the same on every dialect: `Type::Sql("JSONB")`,
    /// `Type::Sql("TIMESTAMPTZ")`, `Type::Sql("\"mood\"")` (a PostgreSQL enum). For the types
    /// the others do not cover; it makes the revision as portable as the SQL is.
    Sql(&'static str),
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
            (Type::Sql(sql), _) => sql.into(),
        }
    }

    /// Whether it holds text (and keeps a MySQL column's character set and collation when a
    /// column changes to it).
    pub(super) fn is_text(self) -> bool {
        match self {
            Type::Text | Type::Varchar(_) => true,
            Type::Sql(sql) => {
                let sql = sql.to_ascii_lowercase();
                sql.contains("char") || sql.contains("text")
            }
            _ => false,
        }
    }
}

/// A column of [`Op::create_table`](super::Op::create_table) or
/// [`Op::add_column`](super::Op::add_column). Nullable unless made [`Column::not_null`] or part
/// of the primary key, as in Alembic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub(super) name: String,
    pub(super) kind: Type,
    pub(super) nullable: bool,
    pub(super) primary_key: bool,
    pub(super) default: Option<String>,
    pub(super) unique: bool,
    pub(super) references: Option<ForeignKey>,
    pub(super) autoincrement: bool,
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
            autoincrement: false,
        }
    }

    /// Numbered by the database as rows are inserted, for an integer primary key (Alembic's
    /// `autoincrement`): PostgreSQL `SERIAL` (`SMALLSERIAL`, `BIGSERIAL`), MySQL
    /// `AUTO_INCREMENT`; on SQLite a table's sole `INTEGER` primary key is the rowid, which
    /// SQLite numbers itself, and the column is written as it is.
    #[must_use]
    pub fn autoincrement(mut self) -> Self {
        self.autoincrement = true;
        self
    }

    /// A unique constraint on this column, named as PostgreSQL names it: `<table>_<column>_key`
    /// (`CONSTRAINT "users_email_key" UNIQUE ("email")`), the same name on every dialect, so
    /// that [`Op::drop_constraint`](super::Op::drop_constraint) can name it.
    #[must_use]
    pub fn unique(mut self) -> Self {
        self.unique = true;
        self
    }

    /// A foreign key to `table`'s `column`, named `<table>_<column>_fkey` as PostgreSQL names
    /// it (`CONSTRAINT "posts_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"
    /// ("id")`). SQLite enforces it where the connection has `PRAGMA foreign_keys = ON`.
    #[must_use]
    pub fn references(mut self, table: impl Into<String>, column: impl Into<String>) -> Self {
        let name = self.name.clone();
        self.references = Some(ForeignKey::new(&[name.as_str()], table, &[&column.into()]));
        self
    }

    /// What the foreign key of [`Column::references`] does when the referenced row is deleted
    /// (`ON DELETE CASCADE`, ...).
    #[must_use]
    pub fn on_delete(mut self, action: Action) -> Self {
        if let Some(key) = self.references.take() {
            self.references = Some(key.on_delete(action));
        }
        self
    }

    /// `NOT NULL`.
    #[must_use]
    pub fn not_null(mut self) -> Self {
        self.nullable = false;
        self
    }

    /// Nullable, as a column is unless made [`Column::not_null`]: says so where a reader
    /// would wonder.
    #[must_use]
    pub fn nullable(mut self) -> Self {
        self.nullable = true;
        self
    }

    /// Part of the table's primary key (`PRIMARY KEY (...)` in
    /// [`Op::create_table`](super::Op::create_table), in the order of the columns); implies
    /// `NOT NULL`.
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
    pub(super) fn sql(&self, dialect: Dialect) -> String {
        let kind = match (self.autoincrement, dialect, self.kind) {
            (true, Dialect::Postgres, Type::Integer) => "SERIAL".into(),
            (true, Dialect::Postgres, Type::SmallInt) => "SMALLSERIAL".into(),
            (true, Dialect::Postgres, Type::BigInt) => "BIGSERIAL".into(),
            (_, _, kind) => kind.sql(dialect),
        };
        let mut out = format!("{} {kind}", dialect.quote_identifier(&self.name));
        if !self.nullable {
            out.push_str(" NOT NULL");
        }
        if self.autoincrement && dialect == Dialect::Mysql {
            out.push_str(" AUTO_INCREMENT");
        }
        if let Some(default) = &self.default {
            out.push_str(" DEFAULT ");
            out.push_str(default);
        }
        out
    }

    /// The constraints the column declares besides its key, named for `table`.
    pub(super) fn constraints(&self, table: &str) -> Vec<(String, Constraint)> {
        let mut out = Vec::new();
        if self.unique {
            out.push((
                format!("{table}_{}_key", self.name),
                Constraint::Unique(vec![self.name.clone()]),
            ));
        }
        if let Some(key) = &self.references {
            out.push((
                format!("{table}_{}_fkey", self.name),
                Constraint::ForeignKey(key.clone()),
            ));
        }
        out
    }
}

/// What a foreign key does when the row it references is deleted or its key updated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `CASCADE`: delete (or update) the referencing rows too.
    Cascade,
    /// `SET NULL`.
    SetNull,
    /// `SET DEFAULT` (not on MySQL's InnoDB).
    SetDefault,
    /// `RESTRICT`: refuse, at once.
    Restrict,
    /// `NO ACTION`: refuse (the default).
    NoAction,
}

impl Action {
    pub(super) fn sql(self) -> &'static str {
        match self {
            Action::Cascade => "CASCADE",
            Action::SetNull => "SET NULL",
            Action::SetDefault => "SET DEFAULT",
            Action::Restrict => "RESTRICT",
            Action::NoAction => "NO ACTION",
        }
    }
}

/// A foreign key of [`Op::create_foreign_key`](super::Op::create_foreign_key): columns of the
/// table that reference columns of another (the referent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignKey {
    pub(super) columns: Vec<String>,
    pub(super) referent: String,
    pub(super) referent_columns: Vec<String>,
    pub(super) on_delete: Option<Action>,
    pub(super) on_update: Option<Action>,
}

impl ForeignKey {
    /// `FOREIGN KEY (columns) REFERENCES referent (referent_columns)`.
    pub fn new(columns: &[&str], referent: impl Into<String>, referent_columns: &[&str]) -> Self {
        ForeignKey {
            columns: columns.iter().map(|c| c.to_string()).collect(),
            referent: referent.into(),
            referent_columns: referent_columns.iter().map(|c| c.to_string()).collect(),
            on_delete: None,
            on_update: None,
        }
    }

    /// `ON DELETE <action>`.
    #[must_use]
    pub fn on_delete(mut self, action: Action) -> Self {
        self.on_delete = Some(action);
        self
    }

    /// `ON UPDATE <action>`.
    #[must_use]
    pub fn on_update(mut self, action: Action) -> Self {
        self.on_update = Some(action);
        self
    }
}

/// A table constraint added to a table (its name aside).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Constraint {
    Unique(Vec<String>),
    Check(String),
    ForeignKey(ForeignKey),
}

impl Constraint {
    /// `CONSTRAINT "name" UNIQUE (..)`, `.. CHECK (..)`, `.. FOREIGN KEY (..) REFERENCES ..`.
    pub(super) fn sql(&self, dialect: Dialect, name: &str) -> String {
        let q = |n: &str| dialect.quote_identifier(n);
        let list = |names: &[String]| names.iter().map(|n| q(n)).collect::<Vec<_>>().join(", ");
        let body = match self {
            Constraint::Unique(columns) => format!("UNIQUE ({})", list(columns)),
            Constraint::Check(condition) => format!("CHECK ({condition})"),
            Constraint::ForeignKey(key) => {
                let mut out = format!(
                    "FOREIGN KEY ({}) REFERENCES {} ({})",
                    list(&key.columns),
                    q(&key.referent),
                    list(&key.referent_columns)
                );
                if let Some(action) = key.on_delete {
                    out.push_str(" ON DELETE ");
                    out.push_str(action.sql());
                }
                if let Some(action) = key.on_update {
                    out.push_str(" ON UPDATE ");
                    out.push_str(action.sql());
                }
                out
            }
        };
        format!("CONSTRAINT {} {body}", q(name))
    }

    pub(super) fn kind(&self) -> ConstraintKind {
        match self {
            Constraint::Unique(_) => ConstraintKind::Unique,
            Constraint::Check(_) => ConstraintKind::Check,
            Constraint::ForeignKey(_) => ConstraintKind::ForeignKey,
        }
    }
}

/// The kind of constraint [`Op::drop_constraint`](super::Op::drop_constraint) drops: MySQL
/// drops each kind with its own statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConstraintKind {
    /// A foreign key.
    ForeignKey,
    /// A unique constraint.
    Unique,
    /// A check constraint.
    Check,
}

/// A change to an existing column, for [`Op::alter_column`](super::Op::alter_column): its
/// type, its nullability, its default, each only where set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnChange {
    pub(super) kind: Option<Type>,
    pub(super) nullable: Option<bool>,
    /// `Some(None)` drops the default.
    pub(super) default: Option<Option<String>>,
    pub(super) using: Option<String>,
}

impl ColumnChange {
    /// A change of nothing yet.
    pub fn new() -> Self {
        ColumnChange::default()
    }

    /// The column's new type. Existing values are converted: on PostgreSQL with
    /// `USING "column"::TYPE` unless [`ColumnChange::using`] says otherwise, on MySQL by
    /// `MODIFY`, on SQLite by the new column's affinity as the rows are copied.
    #[must_use]
    pub fn set_type(mut self, kind: Type) -> Self {
        self.kind = Some(kind);
        self
    }

    /// `NOT NULL` (refused by the database where a row holds `NULL`).
    #[must_use]
    pub fn not_null(mut self) -> Self {
        self.nullable = Some(false);
        self
    }

    /// Nullable.
    #[must_use]
    pub fn nullable(mut self) -> Self {
        self.nullable = Some(true);
        self
    }

    /// `DEFAULT <sql>`, an SQL expression written as is.
    #[must_use]
    pub fn set_default(mut self, sql: impl Into<String>) -> Self {
        self.default = Some(Some(sql.into()));
        self
    }

    /// No default.
    #[must_use]
    pub fn drop_default(mut self) -> Self {
        self.default = Some(None);
        self
    }

    /// The expression that computes each row's new value from the old one where the type
    /// changes (PostgreSQL's `USING`; on SQLite the expression the rows are copied with, on
    /// MySQL refused: `MODIFY` converts by itself). It may name the column:
    /// `"CAST(price * 100 AS INTEGER)"`.
    #[must_use]
    pub fn using(mut self, sql: impl Into<String>) -> Self {
        self.using = Some(sql.into());
        self
    }

    pub(super) fn is_empty(&self) -> bool {
        self.kind.is_none() && self.nullable.is_none() && self.default.is_none()
    }
}

/// A value of [`Op::bulk_insert`](super::Op::bulk_insert), written into the statement as a literal of the dialect.
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
