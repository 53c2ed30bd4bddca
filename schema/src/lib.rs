//! aludel-schema: the schema a diesel project declares in `schema.rs` and the schema a
//! database has, in one model, so that `aludel check --schema` can say how they differ.
//!
//! - [`read_schema_rs`] reads `schema.rs` as diesel writes it (`diesel::table!`, `joinable!`,
//!   `allow_tables_to_appear_in_same_query!`, the `sql_types` module), with diesel's own
//!   parser of `table!` declarations;
//! - `sqlite::introspect` and `postgres::introspect` (features `sqlite`, `postgres`) read a
//!   database's tables as `diesel print-schema` does (the same type names, nullability,
//!   primary keys and foreign keys);
//! - [`diff()`] lists what differs, table by table and column by column;
//! - [`print_schema`] writes a schema as `diesel print-schema` prints it.

pub mod diff;
#[cfg(feature = "postgres")]
pub mod postgres;
pub mod print;
pub mod read;
#[cfg(feature = "sqlite")]
pub mod sqlite;

pub use diff::{diff, Difference};
pub use print::print_schema;
pub use read::{read_schema_rs, ReadError};

/// A schema: tables and the foreign keys between them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schema {
    /// The tables, sorted by schema and name.
    pub tables: Vec<Table>,
    /// The foreign keys (diesel's `joinable!`), sorted.
    pub foreign_keys: Vec<ForeignKey>,
}

/// A table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// The database schema it lives in (PostgreSQL), when not the default one.
    pub schema: Option<String>,
    /// Its name in the database.
    pub name: String,
    /// The columns of its primary key, in order.
    pub primary_key: Vec<String>,
    /// Its columns, in order.
    pub columns: Vec<Column>,
}

impl Table {
    /// The table's name, qualified with its schema where it has one.
    pub fn qualified_name(&self) -> String {
        match &self.schema {
            Some(schema) => format!("{schema}.{}", self.name),
            None => self.name.clone(),
        }
    }
}

/// A column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// Its name in the database.
    pub name: String,
    /// Its diesel SQL type, canonical (see [`canonical_type`]): `Integer`, `Text`,
    /// `Array<Text>`.
    pub sql_type: String,
    /// Whether it is `Nullable<..>`.
    pub nullable: bool,
}

impl Column {
    /// The type as `schema.rs` writes it: `Nullable<Text>`, `Integer`.
    pub fn diesel_type(&self) -> String {
        if self.nullable {
            format!("Nullable<{}>", self.sql_type)
        } else {
            self.sql_type.clone()
        }
    }
}

/// A foreign key as diesel's `joinable!(child -> parent (column))` states it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ForeignKey {
    /// The referencing table.
    pub child: String,
    /// The referenced table.
    pub parent: String,
    /// The referencing column.
    pub column: String,
}

/// The canonical name of a diesel SQL type: diesel's aliases read as the type they stand for
/// (`Int4` is `Integer`, `Varchar` is `Text`, `Float8` is `Double`), so that two spellings of
/// one type compare equal.
pub fn canonical_type(name: &str) -> &str {
    match name {
        "Tinyint" => "TinyInt",
        "Int2" | "Smallint" => "SmallInt",
        "Int4" => "Integer",
        "Int8" | "Bigint" => "BigInt",
        "Float4" => "Float",
        "Float8" => "Double",
        "Decimal" => "Numeric",
        "VarChar" | "Varchar" | "Char" | "Bpchar" | "Tinytext" | "Mediumtext" | "Longtext" => {
            "Text"
        }
        "Bytea" | "Tinyblob" | "Blob" | "Mediumblob" | "Longblob" | "Varbinary" | "Bit" => "Binary",
        other => other,
    }
}

/// A foreign-key constraint as a catalogue states it.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) struct RawKey {
    /// The referencing table.
    pub(crate) child: String,
    /// The referenced table.
    pub(crate) parent: String,
    /// The referencing columns.
    pub(crate) columns: Vec<String>,
    /// The referenced columns (`None`: the parent's primary key, as SQLite writes it).
    pub(crate) referenced: Vec<Option<String>>,
}

/// The foreign keys `joinable!` states, by diesel's rules: a single-column key to the
/// parent's single-column primary key, not from a table to itself, and one per pair of
/// tables (where a table references another twice, neither is stated).
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) fn joinables(tables: &[Table], keys: &[RawKey]) -> Vec<ForeignKey> {
    let references = |child: &str, parent: &str| {
        keys.iter()
            .filter(|k| k.child == child && k.parent.eq_ignore_ascii_case(parent))
            .count()
    };
    let mut out = Vec::new();
    for key in keys {
        let ([column], [to]) = (key.columns.as_slice(), key.referenced.as_slice()) else {
            continue;
        };
        let Some(parent) = tables
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(&key.parent))
        else {
            continue;
        };
        let to_primary_key = match (to, parent.primary_key.as_slice()) {
            (Some(to), [pk]) => to.eq_ignore_ascii_case(pk),
            (None, [_]) => true,
            _ => false,
        };
        if to_primary_key && key.child != parent.name && references(&key.child, &parent.name) == 1 {
            out.push(ForeignKey {
                child: key.child.clone(),
                parent: parent.name.clone(),
                column: column.clone(),
            });
        }
    }
    out.sort();
    out
}

/// A row of one text column, `name`.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
#[derive(diesel::QueryableByName)]
pub(crate) struct Name {
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub(crate) name: String,
}
