//! aludel-schema: the schema a diesel project declares in `schema.rs` and the schema a
//! database has, in one model, so that `aludel check --schema` can say how they differ.
//!
//! - [`read_schema_rs`] reads `schema.rs` as diesel writes it (`diesel::table!`, `joinable!`,
//!   `allow_tables_to_appear_in_same_query!`, the `sql_types` module), with diesel's own
//!   parser of `table!` declarations;
//! - `sqlite::introspect`, `postgres::introspect` and `mysql::introspect` (features
//!   `sqlite`, `postgres`, `mysql`) read a database's tables as `diesel print-schema` does (the same type names, nullability,
//!   primary keys and foreign keys);
//! - [`diff()`] lists what differs, table by table and column by column;
//! - [`autogen::plan`] orders the changes that take one schema to the other, each with its
//!   inverse (`aludel revision --autogenerate`);
//! - [`print_schema`] writes a schema as `diesel print-schema` prints it.

pub mod autogen;
pub mod diff;
#[cfg(feature = "mysql")]
pub mod mysql;
pub mod patch;
#[cfg(feature = "postgres")]
pub mod postgres;
pub mod print;
pub mod read;
#[cfg(feature = "sqlite")]
pub mod sqlite;

pub use diff::{definition_diff, diff, Difference};
pub use patch::{apply_patch, unapply_patch, PatchError};
pub use print::PrintError;
pub use print::{print_schema, Docs, PrintOptions, TableGroups};
pub use read::{read_schema_rs, ReadError};
/// The regular expressions of diesel.toml's table filters.
pub use regex::Regex;

/// A schema: tables and the foreign keys between them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schema {
    /// The tables, sorted by schema and name.
    pub tables: Vec<Table>,
    /// The foreign keys (diesel's `joinable!`), sorted.
    pub foreign_keys: Vec<ForeignKey>,
    /// The database's names of the constraints of `foreign_keys`, where it names them
    /// (PostgreSQL and MySQL always; a `schema.rs` never): what dropping one needs.
    pub foreign_key_names: Vec<(ForeignKey, String)>,
}

impl Schema {
    /// The database's name of the constraint of a foreign key.
    pub fn foreign_key_name(&self, key: &ForeignKey) -> Option<&str> {
        self.foreign_key_names
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, name)| name.as_str())
    }

    /// Sets `foreign_keys` and `foreign_key_names` from what [`joinables`] found.
    #[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
    pub(crate) fn set_foreign_keys(&mut self, keys: Vec<(ForeignKey, Option<String>)>) {
        self.foreign_key_names = keys
            .iter()
            .filter_map(|(k, name)| Some((k.clone(), name.clone()?)))
            .collect();
        self.foreign_keys = keys.into_iter().map(|(k, _)| k).collect();
    }
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
    /// The database's comment on it (PostgreSQL `COMMENT ON TABLE`, MySQL `COMMENT`).
    pub comment: Option<String>,
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
    /// Its diesel SQL type as `print-schema` writes it, without `Nullable`: `Int4`, `Varchar`,
    /// `Array<Nullable<Text>>`, `Unsigned<Integer>`, or a type of the `sql_types` module
    /// (`Mood`). Compare with [`Column::canonical_type`], which reads diesel's aliases as one
    /// type.
    pub sql_type: String,
    /// Whether it is `Nullable<..>`.
    pub nullable: bool,
    /// The most characters it holds (`#[max_length = n]`, a `VARCHAR(n)`).
    pub max_length: Option<u64>,
    /// The database's own type, where diesel has none for it (its Rust name is the last name
    /// in `sql_type`).
    pub custom: Option<CustomType>,
    /// The database's comment on it.
    pub comment: Option<String>,
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

    /// [`Column::diesel_type`] with each of diesel's aliases read as the type it stands for
    /// (see [`canonical_type`]): `Nullable<Varchar>` is `Nullable<Text>`.
    pub fn canonical_type(&self) -> String {
        canonical_path(&self.diesel_type())
    }
}

/// A type diesel has no SQL type for, which `print-schema` declares in the `sql_types`
/// module: a PostgreSQL enum or `tsvector`, a MySQL `ENUM` column.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct CustomType {
    /// The database's name for it: `mood`, `tsvector`, `enum`.
    pub sql_name: String,
    /// The PostgreSQL schema it lives in, when not `public` (`pg_catalog` for `tsvector`).
    pub schema: Option<String>,
    /// Whether it is a MySQL type (declared `mysql_type(..)`, one per column), else
    /// PostgreSQL's (`postgres_type(..)`, one per type).
    pub mysql: bool,
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

/// A type path with each name in it canonical: `Array<Nullable<Varchar>>` is
/// `Array<Nullable<Text>>`.
pub fn canonical_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut word = String::new();
    for c in path.chars() {
        if c.is_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            out.push_str(canonical_type(&word));
            word.clear();
            if !c.is_whitespace() {
                out.push(c);
            }
        }
    }
    out.push_str(canonical_type(&word));
    out
}

/// The UpperCamelCase diesel names a database type by: words split at `_`, spaces and other
/// marks, and where the case changes (`myMood`, `HTTPStatus`), each word capitalised and the
/// rest of it lower case: `int4` is `Int4`, `pg_lsn` is `PgLsn`, `HTTPStatus` is `HttpStatus`.
pub fn upper_camel(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            continue;
        }
        // The last letter before this one (digits leave the case as it was: `addr2Kind` is
        // two words, `HTTP2Mode` too).
        let previous = chars[..i]
            .iter()
            .rev()
            .take_while(|c| c.is_alphanumeric())
            .find(|c| !c.is_numeric())
            .copied();
        let next = chars.get(i + 1).copied();
        let boundary = match previous {
            Some(p) if c.is_uppercase() => {
                p.is_lowercase() || (p.is_uppercase() && next.is_some_and(|n| n.is_lowercase()))
            }
            _ => false,
        };
        if boundary && !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
        word.push(c);
    }
    if !word.is_empty() {
        words.push(word);
    }
    let mut out = String::with_capacity(name.len());
    for word in words {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.extend(chars.flat_map(char::to_lowercase));
        }
    }
    out
}

/// The SQL types diesel provides for every backend, by the names `print-schema` gives them
/// (its aliases too); each backend's introspection adds its own.
#[cfg(any(feature = "postgres", feature = "mysql"))]
pub(crate) const COMMON_DIESEL_TYPES: &[&str] = &[
    "Bool",
    "Integer",
    "SmallInt",
    "BigInt",
    "Binary",
    "Text",
    "Double",
    "Float",
    "Numeric",
    "Timestamp",
    "Date",
    "Time",
    "Float4",
    "Smallint",
    "Int2",
    "Int4",
    "Int8",
    "Bigint",
    "Float8",
    "Decimal",
    "VarChar",
    "Varchar",
    "Char",
    "Tinytext",
    "Mediumtext",
    "Longtext",
    "Tinyblob",
    "Blob",
    "Mediumblob",
    "Longblob",
    "Varbinary",
    "Bit",
];

/// Why a database's schema could not be read.
#[derive(Debug, thiserror::Error)]
pub enum IntrospectError {
    /// A query of the catalogue failed.
    #[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    /// A column whose declared type diesel has no SQL type for (diesel print-schema refuses
    /// it too).
    #[error("column {table}.{column} is declared `{declared}`, which diesel has no SQL type for")]
    UnsupportedType {
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// Its declared type.
        declared: String,
    },
}

/// A foreign-key constraint as a catalogue states it.
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
pub(crate) struct RawKey {
    /// The referencing table.
    pub(crate) child: String,
    /// The referenced table.
    pub(crate) parent: String,
    /// The referencing columns.
    pub(crate) columns: Vec<String>,
    /// The referenced columns (`None`: the parent's primary key, as SQLite writes it).
    pub(crate) referenced: Vec<Option<String>>,
    /// The constraint's name, where the catalogue gives one.
    pub(crate) name: Option<String>,
}

/// The foreign keys `joinable!` states, by diesel's rules: a single-column key to the
/// parent's single-column primary key, between two tables of the schema, not from a table to
/// itself, and only where no other key joins the same two tables (in either direction), as
/// `joinable!` states one join per pair.
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
pub(crate) fn joinables(
    tables: &[Table],
    keys: &[RawKey],
    case_insensitive: bool,
) -> Vec<(ForeignKey, Option<String>)> {
    // SQLite's names are case-insensitive; PostgreSQL's and MySQL's compared as they are.
    let same = |a: &str, b: &str| {
        if case_insensitive {
            a.eq_ignore_ascii_case(b)
        } else {
            a == b
        }
    };
    let fold = |name: &str| {
        if case_insensitive {
            name.to_lowercase()
        } else {
            name.to_string()
        }
    };
    let pair = |k: &RawKey| {
        let (a, b) = (fold(&k.child), fold(&k.parent));
        if a <= b {
            (a, b)
        } else {
            (b, a)
        }
    };
    let table = |name: &str| tables.iter().find(|t| same(&t.name, name));
    let mut out = Vec::new();
    for key in keys {
        let ([column], [to]) = (key.columns.as_slice(), key.referenced.as_slice()) else {
            continue;
        };
        let (Some(_), Some(parent)) = (table(&key.child), table(&key.parent)) else {
            continue;
        };
        let to_primary_key = match (to, parent.primary_key.as_slice()) {
            (Some(to), [pk]) => same(to, pk),
            (None, [_]) => true,
            _ => false,
        };
        let alone = keys.iter().filter(|k| pair(k) == pair(key)).count() == 1;
        if to_primary_key && !same(&key.child, &key.parent) && alone {
            let joinable = ForeignKey {
                child: key.child.clone(),
                parent: parent.name.clone(),
                column: column.clone(),
            };
            out.push((joinable, key.name.clone()));
        }
    }
    out.sort();
    out
}

/// Which tables a schema holds: not aludel's own, and where diesel.toml filters them
/// (`only_tables`, `except_tables`: regular expressions matched against the table's name), as
/// diesel print-schema filters them.
#[derive(Debug, Clone, Default)]
pub struct TableFilter {
    /// aludel's own tables (the version table, the revision log), never shown.
    pub own: Vec<String>,
    /// Only the tables one of these matches, where there are any.
    pub only: Vec<regex::Regex>,
    /// Not the tables one of these matches.
    pub except: Vec<regex::Regex>,
}

impl TableFilter {
    /// A filter leaving out only aludel's own tables.
    pub fn own(own: &[String]) -> TableFilter {
        TableFilter {
            own: own.to_vec(),
            ..TableFilter::default()
        }
    }

    /// Whether the table `name` is in the schema.
    pub fn keeps(&self, name: &str) -> bool {
        !self.own.iter().any(|own| own.eq_ignore_ascii_case(name))
            && (self.only.is_empty() || self.only.iter().any(|r| r.is_match(name)))
            && !self.except.iter().any(|r| r.is_match(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_are_upper_camel_case_as_diesel_makes_them() {
        assert_eq!(upper_camel("int4"), "Int4");
        assert_eq!(upper_camel("pg_lsn"), "PgLsn");
        assert_eq!(upper_camel("tsvector"), "Tsvector");
        assert_eq!(upper_camel("HTTPStatus"), "HttpStatus");
        assert_eq!(upper_camel("myMood"), "MyMood");
        assert_eq!(upper_camel("users mood enum"), "UsersMoodEnum");
        assert_eq!(upper_camel("odd addr2Kind enum"), "OddAddr2KindEnum");
        assert_eq!(upper_camel("odd HTTP2Mode enum"), "OddHttp2ModeEnum");
        assert_eq!(
            canonical_path("Array<Nullable<Varchar>>"),
            "Array<Nullable<Text>>"
        );
        assert_eq!(canonical_path("Nullable<Int4>"), "Nullable<Integer>");
    }
}

/// A row of one text column, `name`.
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
#[derive(diesel::QueryableByName)]
pub(crate) struct Name {
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub(crate) name: String,
}
