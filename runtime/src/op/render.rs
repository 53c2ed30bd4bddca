//! The SQL of each operation of [`Op`](super::Op), per dialect: pure functions, shared by
//! live runs and offline scripts.

use aludel_graph::sql::Dialect;

use super::types::{Column, ColumnChange, Constraint, ConstraintKind, Value};

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
    for column in columns {
        for (name, constraint) in column.constraints(table) {
            parts.push(constraint.sql(dialect, &name));
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

/// `ALTER TABLE .. ADD COLUMN ..`, with the column's key and constraints: as further actions
/// of the statement on PostgreSQL and MySQL, inline on SQLite (which takes a foreign key there,
/// and neither a key nor a unique constraint: [`sqlite_adds_natively`]).
pub(crate) fn add_column(dialect: Dialect, table: &str, column: &Column) -> String {
    let mut out = format!(
        "ALTER TABLE {} ADD COLUMN {}",
        q(dialect, table),
        column.sql(dialect)
    );
    let constraints = column.constraints(table);
    if dialect == Dialect::Sqlite {
        for (name, constraint) in constraints {
            if let Constraint::ForeignKey(key) = constraint {
                // SQLite's inline form names no columns of its own.
                let full = Constraint::ForeignKey(key).sql(dialect, &name);
                let references = full.find("REFERENCES").unwrap_or(0);
                out.push_str(&format!(
                    " CONSTRAINT {} {}",
                    q(dialect, &name),
                    &full[references..]
                ));
            }
        }
        return out;
    }
    if column.primary_key {
        out.push_str(&format!(", ADD PRIMARY KEY ({})", q(dialect, &column.name)));
    }
    for (name, constraint) in constraints {
        out.push_str(", ADD ");
        out.push_str(&constraint.sql(dialect, &name));
    }
    out
}

/// Whether SQLite's `ALTER TABLE .. ADD COLUMN` can add the column (else the table is
/// rebuilt).
pub(crate) fn sqlite_adds_natively(column: &Column) -> bool {
    !column.primary_key && !column.unique
}

/// PostgreSQL's `ALTER TABLE .. ALTER COLUMN ..` actions for a change, in one statement.
pub(crate) fn alter_column_postgres(table: &str, column: &str, change: &ColumnChange) -> String {
    let dialect = Dialect::Postgres;
    let c = q(dialect, column);
    let mut actions = Vec::new();
    if let Some(kind) = change.kind {
        let kind = kind.sql(dialect);
        let using = change
            .using
            .clone()
            .unwrap_or_else(|| format!("{c}::{kind}"));
        actions.push(format!("ALTER COLUMN {c} TYPE {kind} USING {using}"));
    }
    match change.nullable {
        Some(true) => actions.push(format!("ALTER COLUMN {c} DROP NOT NULL")),
        Some(false) => actions.push(format!("ALTER COLUMN {c} SET NOT NULL")),
        None => {}
    }
    match &change.default {
        Some(Some(sql)) => actions.push(format!("ALTER COLUMN {c} SET DEFAULT {sql}")),
        Some(None) => actions.push(format!("ALTER COLUMN {c} DROP DEFAULT")),
        None => {}
    }
    format!("ALTER TABLE {} {}", q(dialect, table), actions.join(", "))
}

/// `ALTER TABLE .. ALTER COLUMN .. SET DEFAULT ..` or `DROP DEFAULT` (MySQL: a change of the
/// default alone, which needs no restatement of the column).
pub(crate) fn alter_default(
    dialect: Dialect,
    table: &str,
    column: &str,
    default: Option<&str>,
) -> String {
    let action = match default {
        Some(sql) => format!("SET DEFAULT {sql}"),
        None => "DROP DEFAULT".into(),
    };
    format!(
        "ALTER TABLE {} ALTER COLUMN {} {action}",
        q(dialect, table),
        q(dialect, column)
    )
}

/// MySQL's `ALTER TABLE .. MODIFY COLUMN <definition>`.
pub(crate) fn modify_column(table: &str, definition: &str) -> String {
    format!(
        "ALTER TABLE {} MODIFY COLUMN {definition}",
        q(Dialect::Mysql, table)
    )
}

/// `ALTER TABLE .. ADD CONSTRAINT ..` (PostgreSQL, MySQL).
pub(crate) fn add_constraint(
    dialect: Dialect,
    table: &str,
    name: &str,
    constraint: &Constraint,
) -> String {
    format!(
        "ALTER TABLE {} ADD {}",
        q(dialect, table),
        constraint.sql(dialect, name)
    )
}

/// `ALTER TABLE .. DROP CONSTRAINT ..`; MySQL drops a foreign key with `DROP FOREIGN KEY` and a
/// unique constraint with `DROP INDEX` (PostgreSQL, MySQL).
pub(crate) fn drop_constraint(
    dialect: Dialect,
    table: &str,
    name: &str,
    kind: ConstraintKind,
) -> String {
    let action = match (dialect, kind) {
        (Dialect::Mysql, ConstraintKind::ForeignKey) => "DROP FOREIGN KEY",
        (Dialect::Mysql, ConstraintKind::Unique) => "DROP INDEX",
        _ => "DROP CONSTRAINT",
    };
    format!(
        "ALTER TABLE {} {action} {}",
        q(dialect, table),
        q(dialect, name)
    )
}

/// `ALTER TABLE .. DROP CONSTRAINT <current>, ADD PRIMARY KEY (..)` (MySQL: `DROP PRIMARY
/// KEY`), either part left out where there is no key now or none to be (PostgreSQL, MySQL).
pub(crate) fn alter_primary_key(
    dialect: Dialect,
    table: &str,
    current: Option<&str>,
    columns: &[String],
) -> String {
    let mut actions = Vec::new();
    match (dialect, current) {
        (Dialect::Mysql, Some(_)) => actions.push("DROP PRIMARY KEY".to_string()),
        (_, Some(name)) => actions.push(format!("DROP CONSTRAINT {}", q(dialect, name))),
        (_, None) => {}
    }
    if !columns.is_empty() {
        let names: Vec<&str> = columns.iter().map(String::as_str).collect();
        actions.push(format!("ADD PRIMARY KEY ({})", list(dialect, &names)));
    }
    format!("ALTER TABLE {} {}", q(dialect, table), actions.join(", "))
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

fn literal(dialect: Dialect, value: &Value) -> Result<String, String> {
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
    rows: &[Vec<Value>],
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
