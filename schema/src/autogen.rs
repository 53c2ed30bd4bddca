//! What takes the schema a history yields to the schema `schema.rs` declares: the changes of
//! `aludel revision --autogenerate`, each with its inverse for the downgrade, in an order the
//! database accepts (tables created parents first and dropped children first, foreign keys
//! dropped before what they reference goes), and the SQL type of each diesel type per dialect.

use std::collections::BTreeSet;
use std::fmt;

use crate::diff::{same_column, same_type};
use crate::{canonical_path, canonical_type, Column, ForeignKey, Schema, Table};

/// A database's SQL dialect, for [`sql_type`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
    /// MySQL and MariaDB.
    Mysql,
}

/// Renames the history's schema does not state and `--rename` hints give: a table's or a
/// column's, by the history's names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Renames {
    /// `(from, to)` table names.
    pub tables: Vec<(String, String)>,
    /// `(table, from, to)`: the table by its name in the history.
    pub columns: Vec<(String, String, String)>,
}

/// One change of a table of [`Step::Alter`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableChange {
    /// A new column.
    AddColumn(Column),
    /// A column dropped (as the history had it, for the inverse).
    DropColumn(Column),
    /// A column of another type or nullability.
    AlterColumn {
        /// As it is.
        from: Column,
        /// As it becomes.
        to: Column,
        /// Whether its type changes (else only its nullability).
        retype: bool,
    },
    /// A new foreign key, with the name its constraint gets.
    AddForeignKey {
        /// The key (`child` is the table altered).
        key: ForeignKey,
        /// The referenced column (the parent's primary key).
        referenced: String,
        /// The constraint's name.
        name: Option<String>,
    },
    /// Another primary key.
    PrimaryKey {
        /// The columns of the key as it is.
        from: Vec<String>,
        /// The columns of the key as it becomes.
        to: Vec<String>,
    },
    /// A foreign key dropped, by its constraint's name where the database names it.
    DropForeignKey {
        /// The key.
        key: ForeignKey,
        /// The referenced column.
        referenced: String,
        /// The constraint's name.
        name: Option<String>,
    },
}

impl TableChange {
    /// The change that undoes this one.
    pub fn inverse(&self) -> TableChange {
        match self {
            TableChange::AddColumn(c) => TableChange::DropColumn(c.clone()),
            TableChange::DropColumn(c) => TableChange::AddColumn(c.clone()),
            TableChange::AlterColumn { from, to, retype } => TableChange::AlterColumn {
                from: to.clone(),
                to: from.clone(),
                retype: *retype,
            },
            TableChange::PrimaryKey { from, to } => TableChange::PrimaryKey {
                from: to.clone(),
                to: from.clone(),
            },
            TableChange::AddForeignKey {
                key,
                referenced,
                name,
            } => TableChange::DropForeignKey {
                key: key.clone(),
                referenced: referenced.clone(),
                name: name.clone(),
            },
            TableChange::DropForeignKey {
                key,
                referenced,
                name,
            } => TableChange::AddForeignKey {
                key: key.clone(),
                referenced: referenced.clone(),
                name: name.clone(),
            },
        }
    }
}

/// A foreign key declared with a new table: the column, and the table and column it
/// references.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlineKey {
    /// The key.
    pub key: ForeignKey,
    /// The referenced column (the parent's primary key).
    pub referenced: String,
    /// The constraint's name.
    pub name: Option<String>,
}

/// One step of a revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A table renamed.
    RenameTable {
        /// Its name before.
        from: String,
        /// Its name after.
        to: String,
    },
    /// A column renamed.
    RenameColumn {
        /// The table (its name after any rename of it).
        table: String,
        /// The column's name before.
        from: String,
        /// Its name after.
        to: String,
    },
    /// A PostgreSQL type `schema.rs` declares in its `sql_types` module (an enum), created
    /// without labels: `schema.rs` does not list them.
    CreateType {
        /// The type's name in the database.
        name: String,
    },
    /// The inverse of [`Step::CreateType`].
    DropType {
        /// The type's name.
        name: String,
    },
    /// A new table, with the foreign keys declared with it; `autoincrement` where its sole
    /// primary key is an integer, which the database numbers.
    CreateTable {
        /// The table.
        table: Table,
        /// Its foreign keys.
        keys: Vec<InlineKey>,
        /// Whether its key is numbered by the database.
        autoincrement: bool,
    },
    /// A table dropped (as the history had it, for the inverse).
    DropTable {
        /// The table.
        table: Table,
        /// Its foreign keys.
        keys: Vec<InlineKey>,
        /// Whether its key is numbered by the database.
        autoincrement: bool,
    },
    /// Changes to one table, made together (on SQLite by one rebuild where they need one).
    Alter {
        /// The table.
        table: String,
        /// The changes, in order.
        changes: Vec<TableChange>,
    },
}

impl Step {
    /// The step that undoes this one.
    pub fn inverse(&self) -> Step {
        match self {
            Step::RenameTable { from, to } => Step::RenameTable {
                from: to.clone(),
                to: from.clone(),
            },
            Step::RenameColumn { table, from, to } => Step::RenameColumn {
                table: table.clone(),
                from: to.clone(),
                to: from.clone(),
            },
            Step::CreateType { name } => Step::DropType { name: name.clone() },
            Step::DropType { name } => Step::CreateType { name: name.clone() },
            Step::CreateTable {
                table,
                keys,
                autoincrement,
            } => Step::DropTable {
                table: table.clone(),
                keys: keys.clone(),
                autoincrement: *autoincrement,
            },
            Step::DropTable {
                table,
                keys,
                autoincrement,
            } => Step::CreateTable {
                table: table.clone(),
                keys: keys.clone(),
                autoincrement: *autoincrement,
            },
            Step::Alter { table, changes } => Step::Alter {
                table: table.clone(),
                changes: changes.iter().rev().map(TableChange::inverse).collect(),
            },
        }
    }
}

/// The steps of a revision and of its downgrade, and the renames they might be.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// The upgrade, in order.
    pub upgrade: Vec<Step>,
    /// The downgrade: the upgrade's steps undone, last first.
    pub downgrade: Vec<Step>,
    /// Drops and adds that look like renames: `(what, hint)`, e.g. `("users.name dropped and
    /// users.full_name added", "--rename users.name=full_name")`.
    pub hints: Vec<(String, String)>,
}

impl Plan {
    /// Whether there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.upgrade.is_empty()
    }
}

/// Why no plan could be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanError {
    /// What is wrong, one line each.
    pub problems: Vec<String>,
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 10;
        for (i, problem) in self.problems.iter().take(SHOWN).enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            f.write_str(problem)?;
        }
        if self.problems.len() > SHOWN {
            write!(f, "\nand {} more", self.problems.len() - SHOWN)?;
        }
        Ok(())
    }
}

impl std::error::Error for PlanError {}

/// The name a new foreign key's constraint gets: `<child>_<column>_fkey`, as PostgreSQL names
/// one.
pub fn foreign_key_name(key: &ForeignKey) -> String {
    format!("{}_{}_fkey", key.child, key.column)
}

/// Whether a table's key is numbered by the database: a sole integer primary key.
fn numbered(table: &Table) -> bool {
    let [key] = table.primary_key.as_slice() else {
        return false;
    };
    table.columns.iter().any(|c| {
        &c.name == key
            && matches!(
                canonical_type(&c.sql_type),
                "Integer" | "BigInt" | "SmallInt"
            )
    })
}

/// The table of `schema` named `name`.
fn table_named<'s>(schema: &'s Schema, name: &str) -> Option<&'s Table> {
    schema.tables.iter().find(|t| t.name == name)
}

/// The steps that take `history` to `target`, with `renames` applied first. Tables are
/// compared by name, columns by name within a table, foreign keys as `joinable!` states
/// them.
pub fn plan(history: &Schema, target: &Schema, renames: &Renames) -> Result<Plan, PlanError> {
    let mut problems = Vec::new();
    let mut from = history.clone();
    let mut upgrade = Vec::new();

    // Renames first: the history's schema renamed, so that the rest compares like with like.
    for (old, new) in &renames.tables {
        if from.tables.iter().all(|t| &t.name != old) {
            problems.push(format!(
                "--rename {old}={new}: the history has no table {old}"
            ));
            continue;
        }
        if target.tables.iter().all(|t| &t.name != new) {
            problems.push(format!(
                "--rename {old}={new}: the schema file has no table {new}"
            ));
            continue;
        }
        for table in &mut from.tables {
            if &table.name == old {
                table.name = new.clone();
            }
        }
        for key in from
            .foreign_keys
            .iter_mut()
            .chain(from.foreign_key_names.iter_mut().map(|(k, _)| k))
        {
            if &key.child == old {
                key.child = new.clone();
            }
            if &key.parent == old {
                key.parent = new.clone();
            }
        }
        upgrade.push(Step::RenameTable {
            from: old.clone(),
            to: new.clone(),
        });
    }
    for (table, old, new) in &renames.columns {
        let renamed = renames
            .tables
            .iter()
            .find(|(o, _)| o == table)
            .map_or(table, |(_, n)| n);
        let Some(t) = from.tables.iter_mut().find(|t| &t.name == renamed) else {
            problems.push(format!(
                "--rename {table}.{old}={new}: the history has no table {table}"
            ));
            continue;
        };
        let Some(column) = t.columns.iter_mut().find(|c| &c.name == old) else {
            problems.push(format!(
                "--rename {table}.{old}={new}: table {table} has no column {old} in the history"
            ));
            continue;
        };
        column.name = new.clone();
        for key in &mut t.primary_key {
            if key == old {
                *key = new.clone();
            }
        }
        for key in from
            .foreign_keys
            .iter_mut()
            .chain(from.foreign_key_names.iter_mut().map(|(k, _)| k))
        {
            if &key.child == renamed && &key.column == old {
                key.column = new.clone();
            }
        }
        upgrade.push(Step::RenameColumn {
            table: renamed.clone(),
            from: old.clone(),
            to: new.clone(),
        });
    }

    let created: Vec<&Table> = target
        .tables
        .iter()
        .filter(|t| table_named(&from, &t.name).is_none())
        .collect();
    let dropped: Vec<&Table> = from
        .tables
        .iter()
        .filter(|t| table_named(target, &t.name).is_none())
        .collect();

    // Types schema.rs declares (PostgreSQL enums) that no column of the history uses.
    let types_of = |schema: &Schema| -> BTreeSet<String> {
        schema
            .tables
            .iter()
            .flat_map(|t| &t.columns)
            .filter_map(|c| c.custom.as_ref())
            .filter(|c| !c.mysql && c.schema.is_none())
            .map(|c| c.sql_name.clone())
            .collect()
    };
    let known = types_of(&from);
    for name in types_of(target).difference(&known) {
        upgrade.push(Step::CreateType { name: name.clone() });
    }

    let referenced = |schema: &Schema, key: &ForeignKey| -> String {
        table_named(schema, &key.parent)
            .and_then(|p| p.primary_key.first().cloned())
            .unwrap_or_else(|| "id".to_string())
    };
    let new_keys: Vec<&ForeignKey> = target
        .foreign_keys
        .iter()
        .filter(|k| !from.foreign_keys.contains(k))
        .collect();
    let old_keys: Vec<&ForeignKey> = from
        .foreign_keys
        .iter()
        .filter(|k| !target.foreign_keys.contains(k))
        .collect();

    // New tables, each after the new tables it references; a key within a cycle is added
    // once both tables exist.
    let mut later: Vec<&ForeignKey> = Vec::new();
    let mut pending: Vec<&Table> = created.clone();
    let mut made: Vec<String> = Vec::new();
    while !pending.is_empty() {
        let ready = pending.iter().position(|t| {
            new_keys.iter().all(|k| {
                k.child != t.name
                    || k.parent == t.name
                    || !pending.iter().any(|p| p.name == k.parent)
            })
        });
        // In a cycle: the first table, its keys to tables not made yet added later.
        let index = ready.unwrap_or(0);
        let table = pending.remove(index);
        let mut keys = Vec::new();
        for key in new_keys.iter().filter(|k| k.child == table.name) {
            let exists = table_named(&from, &key.parent).is_some() || made.contains(&key.parent);
            if exists || key.parent == table.name {
                keys.push(InlineKey {
                    key: (*key).clone(),
                    referenced: referenced(target, key),
                    name: Some(foreign_key_name(key)),
                });
            } else {
                later.push(key);
            }
        }
        made.push(table.name.clone());
        upgrade.push(Step::CreateTable {
            table: table.clone(),
            keys,
            autoincrement: numbered(table),
        });
    }

    // Changes to the tables both have, and keys added or dropped, one step per table.
    let mut names: Vec<String> = target.tables.iter().map(|t| t.name.clone()).collect();
    names.extend(from.tables.iter().map(|t| t.name.clone()));
    names.sort();
    names.dedup();
    for name in &names {
        let mut changes = Vec::new();
        let is_dropped = dropped.iter().any(|t| &t.name == name);
        if !is_dropped {
            for key in old_keys.iter().filter(|k| &k.child == name) {
                changes.push(TableChange::DropForeignKey {
                    key: (*key).clone(),
                    referenced: referenced(&from, key),
                    name: from.foreign_key_name(key).map(str::to_string),
                });
            }
        }
        if let (Some(old), Some(new)) = (table_named(&from, name), table_named(target, name)) {
            let mut added = Vec::new();
            let mut gone = Vec::new();
            for column in &new.columns {
                match old.columns.iter().find(|c| c.name == column.name) {
                    None => added.push(column.clone()),
                    Some(before) if !same_column(before, column) => {
                        changes.push(TableChange::AlterColumn {
                            from: before.clone(),
                            to: column.clone(),
                            retype: !same_type(before, column),
                        })
                    }
                    Some(_) => {}
                }
            }
            for column in &old.columns {
                if new.columns.iter().all(|c| c.name != column.name) {
                    gone.push(column.clone());
                }
            }
            changes.extend(added.into_iter().map(TableChange::AddColumn));
            // After the columns it may name are added, before those it named are dropped.
            if old.primary_key != new.primary_key {
                changes.push(TableChange::PrimaryKey {
                    from: old.primary_key.clone(),
                    to: new.primary_key.clone(),
                });
            }
            changes.extend(gone.into_iter().map(TableChange::DropColumn));
        }
        let is_created = created.iter().any(|t| &t.name == name);
        for key in new_keys.iter().filter(|k| &k.child == name) {
            if !is_created || later.contains(key) {
                changes.push(TableChange::AddForeignKey {
                    key: (*key).clone(),
                    referenced: referenced(target, key),
                    name: Some(foreign_key_name(key)),
                });
            }
        }
        if !changes.is_empty() {
            upgrade.push(Step::Alter {
                table: name.clone(),
                changes,
            });
        }
    }

    // Dropped tables, each before the dropped tables it references.
    let mut pending: Vec<&Table> = dropped.clone();
    while !pending.is_empty() {
        let ready = pending.iter().position(|t| {
            !from.foreign_keys.iter().any(|k| {
                k.parent == t.name && k.child != t.name && pending.iter().any(|p| p.name == k.child)
            })
        });
        let table = pending.remove(ready.unwrap_or(0));
        let keys = from
            .foreign_keys
            .iter()
            .filter(|k| k.child == table.name)
            .map(|k| InlineKey {
                key: k.clone(),
                referenced: referenced(&from, k),
                name: from.foreign_key_name(k).map(str::to_string),
            })
            .collect();
        upgrade.push(Step::DropTable {
            table: table.clone(),
            keys,
            autoincrement: numbered(table),
        });
    }

    if !problems.is_empty() {
        return Err(PlanError { problems });
    }
    let hints = rename_hints(&from, target, &created, &dropped);
    let downgrade = upgrade.iter().rev().map(Step::inverse).collect();
    Ok(Plan {
        upgrade,
        downgrade,
        hints,
    })
}

/// Drops and adds that look like renames: a column dropped and one of the same type added in
/// one table; a table dropped and one of the same columns created.
fn rename_hints(
    history: &Schema,
    target: &Schema,
    created: &[&Table],
    dropped: &[&Table],
) -> Vec<(String, String)> {
    let mut hints = Vec::new();
    for old in &history.tables {
        let Some(new) = target.tables.iter().find(|t| t.name == old.name) else {
            continue;
        };
        let gone: Vec<&Column> = old
            .columns
            .iter()
            .filter(|c| new.columns.iter().all(|n| n.name != c.name))
            .collect();
        let added: Vec<&Column> = new
            .columns
            .iter()
            .filter(|c| old.columns.iter().all(|o| o.name != c.name))
            .collect();
        for g in &gone {
            for a in added.iter().filter(|a| same_column(g, a)) {
                hints.push((
                    format!(
                        "{table}.{} dropped and {table}.{} added",
                        g.name,
                        a.name,
                        table = old.name
                    ),
                    format!("--rename {}.{}={}", old.name, g.name, a.name),
                ));
            }
        }
    }
    let shape = |t: &Table| -> Vec<(String, String)> {
        let mut columns: Vec<(String, String)> = t
            .columns
            .iter()
            .map(|c| (c.name.clone(), canonical_path(&c.diesel_type())))
            .collect();
        columns.sort();
        columns
    };
    for d in dropped {
        for c in created.iter().filter(|c| shape(c) == shape(d)) {
            hints.push((
                format!("table {} dropped and table {} created", d.name, c.name),
                format!("--rename {}={}", d.name, c.name),
            ));
        }
    }
    hints
}

/// The SQL type of a column of `dialect` that diesel reads back as the column's type, e.g.
/// `int8` for `BigInt` on PostgreSQL, `BIGINT` on SQLite, `VARCHAR(255)` for a `Varchar` of
/// `max_length` 255 on MySQL; an error where diesel reads no column of the dialect as that
/// type.
pub fn sql_type(column: &Column, dialect: Dialect) -> Result<String, String> {
    let not_on = |what: &str| {
        Err(format!(
            "column {}: diesel reads no {} column as {what}",
            column.name,
            match dialect {
                Dialect::Sqlite => "SQLite",
                Dialect::Postgres => "PostgreSQL",
                Dialect::Mysql => "MySQL",
            }
        ))
    };
    let printed = column.sql_type.as_str();
    let sql = match dialect {
        Dialect::Postgres => {
            let (element, array) = match printed
                .strip_prefix("Array<Nullable<")
                .and_then(|e| e.strip_suffix(">>"))
                .or_else(|| {
                    printed
                        .strip_prefix("Array<")
                        .and_then(|e| e.strip_suffix('>'))
                }) {
                Some(element) => (element, true),
                None => (printed, false),
            };
            let base = match &column.custom {
                Some(custom) if custom.mysql => return not_on(printed),
                Some(custom) => match &custom.schema {
                    Some(schema) => format!("\"{schema}\".\"{}\"", custom.sql_name),
                    None => format!("\"{}\"", custom.sql_name),
                },
                None => match postgres_name(element, column.max_length) {
                    Some(name) => name,
                    None => return not_on(printed),
                },
            };
            if array {
                format!("{base}[]")
            } else {
                base
            }
        }
        Dialect::Sqlite => {
            let sql = match canonical_type(printed) {
                "Bool" => "BOOLEAN",
                "SmallInt" => "SMALLINT",
                "BigInt" => "BIGINT",
                "Integer" => "INTEGER",
                "Text" => "TEXT",
                "Binary" => "BLOB",
                "Float" => "FLOAT",
                "Double" => "DOUBLE",
                "Timestamp" => "TIMESTAMP",
                "Date" => "DATE",
                "Time" => "TIME",
                _ => return not_on(printed),
            };
            if column.custom.is_some() {
                return not_on(printed);
            }
            sql.to_string()
        }
        Dialect::Mysql => {
            if column.custom.is_some() {
                return Err(format!(
                    "column {}: a MySQL `{}` column, whose values schema.rs does not list",
                    column.name,
                    column.custom.as_ref().map_or("", |c| c.sql_name.as_str())
                ));
            }
            let (inner, unsigned) = match printed
                .strip_prefix("Unsigned<")
                .and_then(|t| t.strip_suffix('>'))
            {
                Some(inner) => (inner, true),
                None => (printed, false),
            };
            let length = |default: u64| column.max_length.unwrap_or(default);
            let base = match inner {
                "Bool" => "BOOLEAN".to_string(),
                "TinyInt" | "Tinyint" => "TINYINT".into(),
                "SmallInt" | "Smallint" | "Int2" => "SMALLINT".into(),
                "Integer" | "Int4" => "INT".into(),
                "BigInt" | "Bigint" | "Int8" => "BIGINT".into(),
                "Float" | "Float4" => "FLOAT".into(),
                "Double" | "Float8" => "DOUBLE".into(),
                "Numeric" | "Decimal" => "DECIMAL".into(),
                "VarChar" | "Varchar" => format!("VARCHAR({})", length(255)),
                "Char" => format!("CHAR({})", length(1)),
                "Text" if column.max_length.is_some() => format!("VARCHAR({})", length(255)),
                "Text" => "TEXT".into(),
                "Tinytext" => "TINYTEXT".into(),
                "Mediumtext" => "MEDIUMTEXT".into(),
                "Longtext" => "LONGTEXT".into(),
                "Binary" | "Blob" => "BLOB".into(),
                "Tinyblob" => "TINYBLOB".into(),
                "Mediumblob" => "MEDIUMBLOB".into(),
                "Longblob" => "LONGBLOB".into(),
                "Varbinary" => format!("VARBINARY({})", length(255)),
                "Bit" => "BIT".into(),
                "Date" => "DATE".into(),
                "Time" => "TIME".into(),
                "Timestamp" => "TIMESTAMP".into(),
                "Datetime" => "DATETIME".into(),
                "Json" => "JSON".into(),
                _ => return not_on(printed),
            };
            if unsigned {
                format!("{base} UNSIGNED")
            } else {
                base
            }
        }
    };
    Ok(sql)
}

/// PostgreSQL's name of the type diesel prints as `printed`: `int4` for `Int4` and `Integer`,
/// `varchar(n)`, `timestamptz`.
fn postgres_name(printed: &str, max_length: Option<u64>) -> Option<String> {
    let sized = |name: &str| match max_length {
        Some(n) => format!("{name}({n})"),
        None => name.to_string(),
    };
    Some(match printed {
        "VarChar" | "Varchar" => sized("varchar"),
        "Char" | "Bpchar" => sized("bpchar"),
        "Record" | "Range" | "SmallSerial" | "Serial" | "BigSerial" => return None,
        other => match canonical_type(other) {
            "Integer" => "int4".into(),
            "SmallInt" => "int2".into(),
            "BigInt" => "int8".into(),
            "Double" => "float8".into(),
            "Float" => "float4".into(),
            "Numeric" => "numeric".into(),
            "Bool" => "bool".into(),
            "Binary" => "bytea".into(),
            "Text" => "text".into(),
            "PgLsn" => "pg_lsn".into(),
            name if name.chars().all(|c| c.is_ascii_alphanumeric()) => name.to_lowercase(),
            _ => return None,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(name: &str, sql_type: &str, nullable: bool) -> Column {
        Column {
            name: name.into(),
            sql_type: sql_type.into(),
            nullable,
            max_length: None,
            custom: None,
            comment: None,
        }
    }

    fn table(name: &str, columns: Vec<Column>) -> Table {
        Table {
            schema: None,
            name: name.into(),
            primary_key: vec!["id".into()],
            columns,
            comment: None,
        }
    }

    #[test]
    fn tables_are_created_parents_first_and_dropped_children_first() {
        let users = table("users", vec![column("id", "Int4", false)]);
        let posts = table(
            "posts",
            vec![
                column("id", "Int4", false),
                column("user_id", "Int4", false),
            ],
        );
        let key = ForeignKey {
            child: "posts".into(),
            parent: "users".into(),
            column: "user_id".into(),
        };
        let target = Schema {
            tables: vec![posts.clone(), users.clone()],
            foreign_keys: vec![key.clone()],
            foreign_key_names: Vec::new(),
        };
        let plan = plan(&Schema::default(), &target, &Renames::default()).unwrap();
        let names: Vec<&str> = plan
            .upgrade
            .iter()
            .map(|s| match s {
                Step::CreateTable { table, .. } => table.name.as_str(),
                _ => "?",
            })
            .collect();
        assert_eq!(names, ["users", "posts"]);
        let Step::CreateTable {
            keys,
            autoincrement,
            ..
        } = &plan.upgrade[1]
        else {
            panic!()
        };
        assert!(*autoincrement);
        assert_eq!(keys[0].name.as_deref(), Some("posts_user_id_fkey"));
        let names: Vec<&str> = plan
            .downgrade
            .iter()
            .map(|s| match s {
                Step::DropTable { table, .. } => table.name.as_str(),
                _ => "?",
            })
            .collect();
        assert_eq!(names, ["posts", "users"]);
    }

    #[test]
    fn a_changed_type_is_an_alter_and_a_lookalike_drop_and_add_a_hint() {
        let history = Schema {
            tables: vec![table(
                "users",
                vec![
                    column("id", "Int4", false),
                    column("age", "Int4", true),
                    column("name", "Text", false),
                ],
            )],
            ..Schema::default()
        };
        let target = Schema {
            tables: vec![table(
                "users",
                vec![
                    column("id", "Integer", false),
                    column("age", "BigInt", true),
                    column("full_name", "Varchar", false),
                ],
            )],
            ..Schema::default()
        };
        let plan = plan(&history, &target, &Renames::default()).unwrap();
        let Step::Alter { changes, .. } = &plan.upgrade[0] else {
            panic!()
        };
        assert!(
            matches!(&changes[0], TableChange::AlterColumn { to, .. } if to.sql_type == "BigInt")
        );
        assert!(matches!(&changes[1], TableChange::AddColumn(c) if c.name == "full_name"));
        assert!(matches!(&changes[2], TableChange::DropColumn(c) if c.name == "name"));
        assert_eq!(plan.hints[0].1, "--rename users.name=full_name");

        let renames = Renames {
            columns: vec![("users".into(), "name".into(), "full_name".into())],
            ..Renames::default()
        };
        let plan = super::plan(&history, &target, &renames).unwrap();
        assert!(plan.hints.is_empty());
        assert_eq!(
            plan.upgrade[0],
            Step::RenameColumn {
                table: "users".into(),
                from: "name".into(),
                to: "full_name".into()
            }
        );
        assert_eq!(plan.upgrade.len(), 2);
        let wrong = Renames {
            columns: vec![("users".into(), "nick".into(), "full_name".into())],
            ..Renames::default()
        };
        let error = super::plan(&history, &target, &wrong).unwrap_err();
        assert!(error.to_string().contains("has no column nick"), "{error}");
    }

    #[test]
    fn sql_types_read_back_as_the_diesel_type() {
        let mut c = column("c", "Varchar", false);
        c.max_length = Some(40);
        assert_eq!(sql_type(&c, Dialect::Postgres).unwrap(), "varchar(40)");
        assert_eq!(sql_type(&c, Dialect::Mysql).unwrap(), "VARCHAR(40)");
        assert_eq!(sql_type(&c, Dialect::Sqlite).unwrap(), "TEXT");
        let c = column("c", "Array<Nullable<Int4>>", false);
        assert_eq!(sql_type(&c, Dialect::Postgres).unwrap(), "int4[]");
        let c = column("c", "Unsigned<Bigint>", false);
        assert_eq!(sql_type(&c, Dialect::Mysql).unwrap(), "BIGINT UNSIGNED");
        let c = column("c", "Numeric", false);
        assert!(sql_type(&c, Dialect::Sqlite).is_err());
        let c = column("c", "Timestamptz", false);
        assert_eq!(sql_type(&c, Dialect::Postgres).unwrap(), "timestamptz");
    }
}
