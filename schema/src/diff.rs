//! What differs between two schemas: the one a history yields and the one `schema.rs`
//! declares.

use std::fmt;

use crate::{canonical_path, Column, Schema, Table};

/// One difference, from the history's side (`expected`, what the history yields) to the
/// file's (`found`, what `schema.rs` declares).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Difference {
    /// A table the history has and the file does not.
    MissingTable {
        /// The table.
        table: String,
    },
    /// A table the file declares and the history does not have.
    ExtraTable {
        /// The table.
        table: String,
    },
    /// A column the history has and the file does not.
    MissingColumn {
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// Its type.
        sql_type: String,
    },
    /// A column the file declares and the history does not have.
    ExtraColumn {
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// Its type.
        sql_type: String,
    },
    /// A column of another type or nullability.
    ColumnType {
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// Its type in the history.
        expected: String,
        /// Its type in the file.
        found: String,
    },
    /// Another primary key.
    PrimaryKey {
        /// The table.
        table: String,
        /// The history's.
        expected: Vec<String>,
        /// The file's.
        found: Vec<String>,
    },
    /// A part of a table's definition the history has and a database does not: a column's
    /// default, an index, a constraint, as the catalogue states it (see [`definition_diff`]).
    MissingPart {
        /// The table.
        table: String,
        /// The part, as the catalogue states it.
        part: String,
    },
    /// A part of a table's definition a database has and the history does not.
    ExtraPart {
        /// The table.
        table: String,
        /// The part, as the catalogue states it.
        part: String,
    },
    /// A foreign key (diesel's `joinable!`) the history has and the file does not.
    MissingForeignKey {
        /// `child -> parent (column)`.
        key: String,
    },
    /// A foreign key the file declares and the history does not have.
    ExtraForeignKey {
        /// `child -> parent (column)`.
        key: String,
    },
}

impl Difference {
    /// The kind, as `--format json` names it.
    pub fn kind(&self) -> &'static str {
        match self {
            Difference::MissingTable { .. } => "missing_table",
            Difference::ExtraTable { .. } => "extra_table",
            Difference::MissingColumn { .. } => "missing_column",
            Difference::ExtraColumn { .. } => "extra_column",
            Difference::ColumnType { .. } => "column_type",
            Difference::PrimaryKey { .. } => "primary_key",
            Difference::MissingPart { .. } => "missing_definition",
            Difference::ExtraPart { .. } => "extra_definition",
            Difference::MissingForeignKey { .. } => "missing_foreign_key",
            Difference::ExtraForeignKey { .. } => "extra_foreign_key",
        }
    }

    /// The table it concerns (for a foreign key, the referencing one's key text).
    pub fn table(&self) -> &str {
        match self {
            Difference::MissingTable { table }
            | Difference::ExtraTable { table }
            | Difference::MissingColumn { table, .. }
            | Difference::ExtraColumn { table, .. }
            | Difference::ColumnType { table, .. }
            | Difference::PrimaryKey { table, .. }
            | Difference::MissingPart { table, .. }
            | Difference::ExtraPart { table, .. } => table,
            Difference::MissingForeignKey { key } | Difference::ExtraForeignKey { key } => key,
        }
    }
}

impl Difference {
    /// The difference in words, the history on one side and `other` (`the schema file`, `the
    /// database`) on the other.
    pub fn describe(&self, other: &str) -> String {
        self.describe_between("the history", other)
    }

    /// The difference in words, `history` naming the side it was computed from (the history,
    /// or the schema file a generated revision must reach) and `other` the other side.
    pub fn describe_between(&self, history: &str, other: &str) -> String {
        match self {
            Difference::MissingTable { table } => {
                format!("table {table}: in {history}, not in {other}")
            }
            Difference::ExtraTable { table } => {
                format!("table {table}: in {other}, not in {history}")
            }
            Difference::MissingColumn {
                table,
                column,
                sql_type,
            } => format!(
                "table {table}: column {column} ({sql_type}) is in {history}, not in {other}"
            ),
            Difference::ExtraColumn {
                table,
                column,
                sql_type,
            } => format!(
                "table {table}: column {column} ({sql_type}) is in {other}, not in {history}"
            ),
            Difference::ColumnType {
                table,
                column,
                expected,
                found,
            } => format!(
                "table {table}: column {column} is {expected} in {history}, {found} in {other}"
            ),
            Difference::PrimaryKey {
                table,
                expected,
                found,
            } => format!(
                "table {table}: primary key ({}) in {history}, ({}) in {other}",
                expected.join(", "),
                found.join(", ")
            ),
            Difference::MissingPart { table, part } => {
                format!("table {table}: `{part}` is in {history}, not in {other}")
            }
            Difference::ExtraPart { table, part } => {
                format!("table {table}: `{part}` is in {other}, not in {history}")
            }
            Difference::MissingForeignKey { key } => {
                format!("joinable!({key}): in {history}, not in {other}")
            }
            Difference::ExtraForeignKey { key } => {
                format!("joinable!({key}): in {other}, not in {history}")
            }
        }
    }
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe("the schema file"))
    }
}

/// What differs from `expected` (the history's schema) to `found` (the file's), table by
/// table in name order, then the foreign keys.
pub fn diff(expected: &Schema, found: &Schema) -> Vec<Difference> {
    let mut out = Vec::new();
    let find = |schema: &'_ Schema, name: &str| -> Option<Table> {
        schema
            .tables
            .iter()
            .find(|t| t.qualified_name() == name)
            .cloned()
    };
    let mut names: Vec<String> = expected
        .tables
        .iter()
        .chain(&found.tables)
        .map(Table::qualified_name)
        .collect();
    names.sort();
    names.dedup();
    for name in names {
        match (find(expected, &name), find(found, &name)) {
            (Some(_), None) => out.push(Difference::MissingTable { table: name }),
            (None, Some(_)) => out.push(Difference::ExtraTable { table: name }),
            (Some(e), Some(f)) => table_diff(&name, &e, &f, &mut out),
            (None, None) => {}
        }
    }
    let key = |k: &crate::ForeignKey| format!("{} -> {} ({})", k.child, k.parent, k.column);
    for k in &expected.foreign_keys {
        if !found.foreign_keys.contains(k) {
            out.push(Difference::MissingForeignKey { key: key(k) });
        }
    }
    for k in &found.foreign_keys {
        if !expected.foreign_keys.contains(k) {
            out.push(Difference::ExtraForeignKey { key: key(k) });
        }
    }
    out
}

/// What differs between the definitions of one table in the history and in another database,
/// part by part as each catalogue states them (`table_parts` of the backend's module):
/// defaults, indexes, unique and check constraints, which `schema.rs` does not show.
pub fn definition_diff(table: &str, history: &[String], other: &[String]) -> Vec<Difference> {
    let mut out = Vec::new();
    for part in history.iter().filter(|p| !other.contains(p)) {
        out.push(Difference::MissingPart {
            table: table.to_string(),
            part: part.clone(),
        });
    }
    for part in other.iter().filter(|p| !history.contains(p)) {
        out.push(Difference::ExtraPart {
            table: table.to_string(),
            part: part.clone(),
        });
    }
    out
}

/// A column's type as a difference shows it: `Nullable<Varchar>`, with its `max_length`.
fn shown(column: &Column) -> String {
    match column.max_length {
        Some(n) => format!("{} (max_length {n})", column.diesel_type()),
        None => column.diesel_type(),
    }
}

/// Whether a column of the history (`expected`) and one of the schema file (`found`) have one
/// type: the same once diesel's aliases are read as one, and the same `max_length` where both
/// state one (a `schema.rs` written before diesel printed `#[max_length]` states none, and
/// diesel states none on SQLite).
pub(crate) fn same_type(expected: &Column, found: &Column) -> bool {
    canonical_path(&expected.sql_type) == canonical_path(&found.sql_type)
        && (expected.max_length.is_none()
            || found.max_length.is_none()
            || expected.max_length == found.max_length)
}

/// [`same_type`], nullability too.
pub(crate) fn same_column(expected: &Column, found: &Column) -> bool {
    same_type(expected, found) && expected.nullable == found.nullable
}

fn table_diff(name: &str, expected: &Table, found: &Table, out: &mut Vec<Difference>) {
    let column = |table: &Table, column: &str| -> Option<Column> {
        table.columns.iter().find(|c| c.name == column).cloned()
    };
    for e in &expected.columns {
        match column(found, &e.name) {
            None => out.push(Difference::MissingColumn {
                table: name.to_string(),
                column: e.name.clone(),
                sql_type: shown(e),
            }),
            Some(f) if !same_column(e, &f) => out.push(Difference::ColumnType {
                table: name.to_string(),
                column: e.name.clone(),
                expected: shown(e),
                found: shown(&f),
            }),
            Some(_) => {}
        }
    }
    for f in &found.columns {
        if column(expected, &f.name).is_none() {
            out.push(Difference::ExtraColumn {
                table: name.to_string(),
                column: f.name.clone(),
                sql_type: shown(f),
            });
        }
    }
    if expected.primary_key != found.primary_key {
        out.push(Difference::PrimaryKey {
            table: name.to_string(),
            expected: expected.primary_key.clone(),
            found: found.primary_key.clone(),
        });
    }
}
