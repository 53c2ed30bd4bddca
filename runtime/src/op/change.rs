//! Changes to an existing table, per dialect: `ALTER TABLE` on PostgreSQL and MySQL (where
//! MySQL restates a column it modifies), and on SQLite `ALTER TABLE` where SQLite has it and
//! otherwise a rebuild of the table: SQLite's "move and copy" (Alembic's batch mode).

use aludel_graph::sql::Dialect;

use super::definition::{self, Clause, ClauseKind, ColumnDef, ConstraintKind as Kind, Element};
use super::render;
use super::types::{Column, ColumnChange, Constraint, ConstraintKind};
use super::{Op, Pairs};
use crate::db::Bind;
use crate::error::Error;

/// One change to a table.
#[derive(Debug, Clone)]
pub(super) enum Change {
    AddColumn(Column),
    /// `native`: SQLite's own `DROP COLUMN` (an [`Op::drop_column`] of its own) rather than the
    /// rebuild of a batch.
    DropColumn {
        column: String,
        native: bool,
    },
    RenameColumn {
        from: String,
        to: String,
    },
    AlterColumn {
        column: String,
        change: ColumnChange,
    },
    AddConstraint {
        name: String,
        constraint: Constraint,
    },
    DropConstraint {
        name: String,
        kind: ConstraintKind,
    },
    /// The table's primary key replaced by one of these columns (none: no key).
    PrimaryKey {
        columns: Vec<String>,
    },
}

impl Change {
    /// Whether SQLite does it with `ALTER TABLE`.
    fn sqlite_native(&self) -> bool {
        match self {
            Change::AddColumn(column) => render::sqlite_adds_natively(column),
            Change::DropColumn { native, .. } => *native,
            Change::RenameColumn { .. } => true,
            _ => false,
        }
    }
}

/// The changes of [`Op::batch_alter_table`], applied together when the closure returns: on
/// SQLite with one rebuild of the table where any of them needs one (renames of columns
/// first, with SQLite's own `RENAME COLUMN`), elsewhere as `ALTER TABLE` statements in order.
#[derive(Debug, Default)]
pub struct Batch {
    pub(super) changes: Vec<Change>,
}

impl Batch {
    /// Adds a column, as [`Op::add_column`].
    pub fn add_column(&mut self, column: Column) -> &mut Self {
        self.changes.push(Change::AddColumn(column));
        self
    }

    /// Drops a column, as [`Op::drop_column`]; on SQLite with the indexes and table
    /// constraints that involve it, as PostgreSQL drops them.
    pub fn drop_column(&mut self, column: &str) -> &mut Self {
        self.changes.push(Change::DropColumn {
            column: column.to_string(),
            native: false,
        });
        self
    }

    /// Renames a column, as [`Op::rename_column`].
    pub fn rename_column(&mut self, from: &str, to: &str) -> &mut Self {
        self.changes.push(Change::RenameColumn {
            from: from.to_string(),
            to: to.to_string(),
        });
        self
    }

    /// Changes a column, as [`Op::alter_column`].
    pub fn alter_column(&mut self, column: &str, change: ColumnChange) -> &mut Self {
        self.changes.push(Change::AlterColumn {
            column: column.to_string(),
            change,
        });
        self
    }

    /// Adds a unique constraint, as [`Op::create_unique_constraint`].
    pub fn create_unique_constraint(&mut self, name: &str, columns: &[&str]) -> &mut Self {
        self.changes.push(Change::AddConstraint {
            name: name.to_string(),
            constraint: Constraint::Unique(columns.iter().map(|c| c.to_string()).collect()),
        });
        self
    }

    /// Adds a check constraint, as [`Op::create_check_constraint`].
    pub fn create_check_constraint(&mut self, name: &str, condition: &str) -> &mut Self {
        self.changes.push(Change::AddConstraint {
            name: name.to_string(),
            constraint: Constraint::Check(condition.to_string()),
        });
        self
    }

    /// Adds a foreign key, as [`Op::create_foreign_key`].
    pub fn create_foreign_key(&mut self, name: &str, key: super::ForeignKey) -> &mut Self {
        self.changes.push(Change::AddConstraint {
            name: name.to_string(),
            constraint: Constraint::ForeignKey(key),
        });
        self
    }

    /// Drops a constraint, as [`Op::drop_constraint`].
    pub fn drop_constraint(&mut self, name: &str, kind: ConstraintKind) -> &mut Self {
        self.changes.push(Change::DropConstraint {
            name: name.to_string(),
            kind,
        });
        self
    }

    /// Replaces the table's primary key, as [`Op::alter_primary_key`].
    pub fn alter_primary_key(&mut self, columns: &[&str]) -> &mut Self {
        self.changes.push(Change::PrimaryKey {
            columns: columns.iter().map(|c| c.to_string()).collect(),
        });
        self
    }
}

fn invalid(table: &str, message: impl std::fmt::Display) -> Error {
    Error::RevisionSql {
        message: format!("table {table}: {message}"),
    }
}

impl Op<'_> {
    /// Applies changes to `table`: on SQLite with its own `ALTER TABLE` where it does them all,
    /// else renames first and one rebuild for the rest.
    pub(super) fn apply(&mut self, table: &str, changes: Vec<Change>) -> crate::Result<()> {
        match self.dialect() {
            Dialect::Sqlite => {
                if changes.iter().all(Change::sqlite_native) {
                    for change in &changes {
                        let sql = self.alter_statement(table, change)?;
                        self.execute(&sql)?;
                    }
                    return Ok(());
                }
                let (renames, rest): (Vec<Change>, Vec<Change>) = changes
                    .into_iter()
                    .partition(|c| matches!(c, Change::RenameColumn { .. }));
                for change in &renames {
                    let sql = self.alter_statement(table, change)?;
                    self.execute(&sql)?;
                }
                self.rebuild(table, &rest)
            }
            _ => {
                for change in &changes {
                    let sql = self.alter_statement(table, change)?;
                    self.execute(&sql)?;
                }
                Ok(())
            }
        }
    }

    /// The `ALTER TABLE` statement of one change (on SQLite, of one SQLite does natively).
    fn alter_statement(&mut self, table: &str, change: &Change) -> crate::Result<String> {
        let dialect = self.dialect();
        Ok(match change {
            Change::AddColumn(column) => render::add_column(dialect, table, column),
            Change::DropColumn { column, .. } => render::drop_column(dialect, table, column),
            Change::RenameColumn { from, to } => render::rename_column(dialect, table, from, to),
            Change::AlterColumn { column, change } => {
                if change.is_empty() {
                    return Err(invalid(
                        table,
                        format!("alter_column of {column} changes nothing"),
                    ));
                }
                match dialect {
                    Dialect::Mysql => self.modify_mysql(table, column, change)?,
                    _ => render::alter_column_postgres(table, column, change),
                }
            }
            Change::AddConstraint { name, constraint } => {
                render::add_constraint(dialect, table, name, constraint)
            }
            Change::DropConstraint { name, kind } => {
                render::drop_constraint(dialect, table, name, *kind)
            }
            Change::PrimaryKey { columns } => {
                let current = self.primary_key_name(table)?;
                render::alter_primary_key(dialect, table, current.as_deref(), columns)
            }
        })
    }

    /// The name of the table's primary key (`None`: it has none): read from the database, else
    /// (offline) the name PostgreSQL gives one, `<table>_pkey`. MySQL's is always `PRIMARY`.
    fn primary_key_name(&mut self, table: &str) -> crate::Result<Option<String>> {
        let sql = match self.dialect() {
            Dialect::Postgres => "SELECT CAST(c.conname AS TEXT) AS a, CAST(NULL AS TEXT) AS b FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid WHERE c.contype = 'p' AND t.relname = $1 AND t.relnamespace = CAST(current_schema() AS regnamespace)",
            Dialect::Mysql => "SELECT CAST(constraint_name AS CHAR) AS a, CAST(NULL AS CHAR) AS b FROM information_schema.table_constraints WHERE constraint_type = 'PRIMARY KEY' AND table_schema = DATABASE() AND table_name = ?",
            _ => return Ok(None),
        };
        match self.target.pairs(sql, &[Bind::Text(table)]) {
            None => Ok(Some(format!("{table}_pkey"))),
            Some(rows) => Ok(rows?.into_iter().next().map(|(name, _)| name)),
        }
    }

    /// MySQL: a change of the default alone is `ALTER COLUMN .. SET DEFAULT`; a change of the
    /// type or the nullability is `MODIFY COLUMN`, which restates the whole column: its
    /// definition as `SHOW CREATE TABLE` gives it, with the change made (so that its default,
    /// `AUTO_INCREMENT`, comment and character set stay).
    fn modify_mysql(
        &mut self,
        table: &str,
        column: &str,
        change: &ColumnChange,
    ) -> crate::Result<String> {
        if change.using.is_some() {
            return Err(invalid(
                table,
                format!("alter_column of {column}: MySQL has no USING; MODIFY converts the values itself"),
            ));
        }
        if change.kind.is_none() && change.nullable.is_none() {
            let default = change.default.as_ref().and_then(|d| d.as_deref());
            return Ok(render::alter_default(
                Dialect::Mysql,
                table,
                column,
                default,
            ));
        }
        let why = || {
            format!("it changes column {table}.{column} on MySQL, whose MODIFY restates the column as the database defines it")
        };
        let sql = self
            .target
            .table_sql(table)
            .ok_or_else(|| Error::NeedsLiveDatabase { why: why() })??
            .ok_or_else(|| invalid(table, "no such table"))?;
        let mut def = mysql_column(&sql, column)
            .map_err(|m| invalid(table, m))?
            .ok_or_else(|| invalid(table, format!("no column named {column}")))?;
        edit_column(&mut def, change, Dialect::Mysql);
        Ok(render::modify_column(table, &def.sql()))
    }

    /// SQLite's rebuild of `table` with `changes` made: within the revision's transaction, the
    /// views and triggers are dropped, a new table is created and filled with the rows, the old
    /// table dropped and the new one renamed in its place; then the table's indexes, the
    /// triggers and the views are created again. A change SQLite refuses (a view that names a
    /// dropped column, rows that break a new constraint) fails the revision, which leaves the
    /// table as it was.
    fn rebuild(&mut self, table: &str, changes: &[Change]) -> crate::Result<()> {
        let why = || {
            format!("it rebuilds table {table} on SQLite, which reads the table's definition from the database")
        };
        let live = |result: Option<crate::Result<Pairs>>| {
            result.ok_or_else(|| Error::NeedsLiveDatabase { why: why() })?
        };
        let sql = self
            .target
            .table_sql(table)
            .ok_or_else(|| Error::NeedsLiveDatabase { why: why() })??
            .ok_or_else(|| invalid(table, "no such table"))?;
        let old = definition::create_table(&sql).map_err(|m| invalid(table, m))?;
        let mut def = old.clone();
        let mut dropped = Vec::new();
        for change in changes {
            edit_table(&mut def, table, change, &mut dropped)?;
        }
        // The columns the rows are copied into, and what each is copied from.
        let kept: Vec<(String, String)> = def
            .columns()
            // A generated column computes its values itself.
            .filter(|c| !c.has(ClauseKind::Generated))
            .filter(|c| {
                old.columns()
                    .any(|o| definition::same_name(&o.name, &c.name))
            })
            .map(|c| {
                let using = changes.iter().rev().find_map(|change| match change {
                    Change::AlterColumn { column, change }
                        if definition::same_name(column, &c.name) =>
                    {
                        change.using.clone()
                    }
                    _ => None,
                });
                let name = Dialect::Sqlite.quote_identifier(&c.name);
                (name.clone(), using.unwrap_or(name))
            })
            .collect();
        let q = |n: &str| Dialect::Sqlite.quote_identifier(n);
        let objects = |this: &mut Self, kind: &str| {
            live(this.target.pairs(
                "SELECT name AS a, sql AS b FROM sqlite_master WHERE type = ? AND sql IS NOT NULL ORDER BY rowid",
                &[Bind::Text(kind)],
            ))
        };
        let views = objects(self, "view")?;
        let triggers = objects(self, "trigger")?;
        let indexes = live(self.target.pairs(
            "SELECT name AS a, sql AS b FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name = ? COLLATE NOCASE ORDER BY rowid",
            &[Bind::Text(table)],
        ))?;
        let children = live(self.target.pairs(
            "SELECT m.name AS a, f.\"to\" AS b FROM sqlite_master m, pragma_foreign_key_list(m.name) f WHERE m.type = 'table' AND m.name <> ? COLLATE NOCASE AND f.\"table\" = ? COLLATE NOCASE",
            &[Bind::Text(table), Bind::Text(table)],
        ))?;
        for (child, to) in &children {
            if let Some(column) = dropped
                .iter()
                .find(|d| to.as_deref().is_some_and(|t| definition::same_name(t, d)))
            {
                return Err(invalid(
                    table,
                    format!("column {column} is referenced by a foreign key of table {child}; drop that first"),
                ));
            }
        }
        let on = self.foreign_keys_enabled(&why)?;
        // Dropping the old table with foreign keys on would fire the foreign keys of the
        // tables that reference it. Outside a transaction (a `transactional: false`
        // revision) they are turned off around the rebuild; inside one they cannot be.
        let mut suspended = false;
        if on && !children.is_empty() {
            self.execute("PRAGMA foreign_keys = OFF")?;
            suspended = !self.foreign_keys_enabled(&why)?;
            if !suspended {
                let mut names: Vec<&str> = children.iter().map(|(c, _)| c.as_str()).collect();
                names.sort_unstable();
                names.dedup();
                return Err(invalid(
                    table,
                    format!(
                        "SQLite rebuilds the table to make this change, and dropping the old table would fire the foreign keys of {} while PRAGMA foreign_keys is on, which cannot be turned off inside a transaction (aludel turns it off around the Rust revisions it runs in transactions of its own; here the run is inside the caller's transaction)",
                        aludel_graph::list_some(&names, ", ")
                    ),
                ));
            }
        }
        let autoincrement = old.columns().any(|c| {
            c.clauses.iter().any(|clause| {
                clause.kind == ClauseKind::PrimaryKey
                    && clause.text.to_ascii_uppercase().contains("AUTOINCREMENT")
            })
        });
        let sequence = if autoincrement {
            live(self.target.pairs(
                "SELECT CAST(seq AS TEXT) AS a, NULL AS b FROM sqlite_sequence WHERE name = ? COLLATE NOCASE",
                &[Bind::Text(table)],
            ))?
            .into_iter()
            .next()
            .and_then(|(seq, _)| seq.parse::<i64>().ok())
        } else {
            None
        };
        let temporary = q(&format!("_aludel_batch_{table}"));
        let mut statements = Vec::new();
        // Triggers first: dropping a view drops its INSTEAD OF triggers.
        for (name, _) in &triggers {
            statements.push(format!("DROP TRIGGER {}", q(name)));
        }
        for (name, _) in views.iter().rev() {
            statements.push(format!("DROP VIEW {}", q(name)));
        }
        statements.push(def.create(&temporary));
        let (into, from): (Vec<String>, Vec<String>) = kept.into_iter().unzip();
        statements.push(format!(
            "INSERT INTO {temporary} ({}) SELECT {} FROM {}",
            into.join(", "),
            from.join(", "),
            q(table)
        ));
        statements.push(format!("DROP TABLE {}", q(table)));
        statements.push(format!("ALTER TABLE {temporary} RENAME TO {}", q(table)));
        if let Some(seq) = sequence {
            // AUTOINCREMENT never reuses an id, even one whose row was deleted before the
            // rebuild: the new table's sequence goes on from the old one's.
            let name = Dialect::Sqlite.quote_string(table);
            statements.push(format!(
                "UPDATE sqlite_sequence SET seq = {seq} WHERE name = {name} AND seq < {seq}; INSERT INTO sqlite_sequence (name, seq) SELECT {name}, {seq} WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = {name})"
            ));
        }
        for (_, sql) in &indexes {
            let sql = sql.as_deref().unwrap_or_default();
            let names = definition::index_names(sql).map_err(|m| invalid(table, m))?;
            // An index on a dropped column goes with it, as on PostgreSQL.
            if !names
                .iter()
                .any(|n| dropped.iter().any(|d| definition::same_name(n, d)))
            {
                statements.push(sql.to_string());
            }
        }
        for (_, sql) in views.iter().chain(&triggers) {
            statements.push(sql.clone().unwrap_or_default());
        }
        // One savepoint holds the rebuild: the revision's transaction nests it, and outside
        // one (a `transactional: false` revision) it is the rebuild's own transaction, so that
        // a failure never leaves a half-done table.
        let baseline = match suspended {
            true => self.violations()?.1,
            false => 0,
        };
        self.execute("SAVEPOINT aludel_rebuild")?;
        let result = statements
            .iter()
            .try_for_each(|statement| self.execute(statement))
            .and_then(|()| match suspended {
                true => self.check_foreign_keys(table, baseline),
                false => Ok(()),
            });
        let end = match result {
            Ok(()) => self.execute("RELEASE aludel_rebuild"),
            Err(_) => self.execute("ROLLBACK TO aludel_rebuild; RELEASE aludel_rebuild"),
        };
        if suspended {
            self.execute("PRAGMA foreign_keys = ON")?;
        }
        result.and(end)
    }

    /// Whether SQLite enforces foreign keys on the connection; offline, an error saying `why`
    /// the revision needs a live database.
    fn foreign_keys_enabled(&mut self, why: &dyn Fn() -> String) -> crate::Result<bool> {
        self.target
            .foreign_keys_on()
            .ok_or_else(|| Error::NeedsLiveDatabase { why: why() })?
    }

    /// The rows whose foreign key points at nothing: at most ten, and how many there are.
    fn violations(&mut self) -> crate::Result<(Vec<String>, usize)> {
        self.target
            .foreign_key_violations()
            .unwrap_or(Ok((Vec::new(), 0)))
    }

    /// After a rebuild with foreign keys turned off: fails where more rows' foreign keys point
    /// at nothing than the `baseline` before it.
    fn check_foreign_keys(&mut self, table: &str, baseline: usize) -> crate::Result<()> {
        let (rows, total) = self.violations()?;
        if total <= baseline {
            return Ok(());
        }
        let mut list = rows.join(", ");
        if total > rows.len() {
            list.push_str(&format!(" and {} more", total - rows.len()));
        }
        Err(invalid(
            table,
            format!("the rebuild leaves rows whose foreign keys point at nothing: {list}"),
        ))
    }
}

/// The definition of `column` in MySQL's `SHOW CREATE TABLE` output.
fn mysql_column(create: &str, column: &str) -> Result<Option<ColumnDef>, String> {
    let def = definition::create_table(create)?;
    let found = def
        .columns()
        .find(|c| definition::same_name(&c.name, column))
        .cloned();
    Ok(found)
}

/// Makes `change` in a column's definition.
fn edit_column(def: &mut ColumnDef, change: &ColumnChange, dialect: Dialect) {
    if let Some(kind) = change.kind {
        def.type_text = kind.sql(dialect);
        // A character set belongs to a text type.
        if !kind.is_text() {
            def.clauses
                .retain(|c| !matches!(c.kind, ClauseKind::Charset | ClauseKind::Collate));
        }
    }
    if let Some(nullable) = change.nullable {
        // Where the column said NULL or NOT NULL, else after its type's character set.
        let at = def
            .clauses
            .iter()
            .position(|c| matches!(c.kind, ClauseKind::NotNull | ClauseKind::Null))
            .unwrap_or_else(|| {
                def.clauses
                    .iter()
                    .take_while(|c| matches!(c.kind, ClauseKind::Charset | ClauseKind::Collate))
                    .count()
            });
        def.clauses
            .retain(|c| !matches!(c.kind, ClauseKind::NotNull | ClauseKind::Null));
        if !nullable {
            // `DEFAULT NULL` is no default for a NOT NULL column.
            def.clauses.retain(|c| {
                !(c.kind == ClauseKind::Default && c.text.eq_ignore_ascii_case("DEFAULT NULL"))
            });
            def.clauses.insert(
                at.min(def.clauses.len()),
                Clause {
                    kind: ClauseKind::NotNull,
                    name: None,
                    text: "NOT NULL".into(),
                },
            );
        }
    }
    if let Some(default) = &change.default {
        def.clauses.retain(|c| c.kind != ClauseKind::Default);
        if let Some(sql) = default {
            def.clauses.push(Clause {
                kind: ClauseKind::Default,
                name: None,
                text: format!("DEFAULT {sql}"),
            });
        }
    }
}

/// Makes one change in a SQLite table's definition; records dropped columns.
fn edit_table(
    def: &mut definition::TableDef,
    table: &str,
    change: &Change,
    dropped: &mut Vec<String>,
) -> crate::Result<()> {
    let dialect = Dialect::Sqlite;
    let has_column = |def: &definition::TableDef, name: &str| {
        def.columns().any(|c| definition::same_name(&c.name, name))
    };
    match change {
        Change::AddColumn(column) => {
            if has_column(def, &column.name) {
                return Err(invalid(table, format!("it has a column {} already", column.name)));
            }
            let mut clauses = Vec::new();
            if !column.nullable {
                clauses.push(Clause {
                    kind: ClauseKind::NotNull,
                    name: None,
                    text: "NOT NULL".into(),
                });
            }
            if let Some(default) = &column.default {
                clauses.push(Clause {
                    kind: ClauseKind::Default,
                    name: None,
                    text: format!("DEFAULT {default}"),
                });
            }
            let position = after_columns(def);
            def.elements.insert(
                position,
                Element::Column(ColumnDef {
                    name: column.name.clone(),
                    name_text: dialect.quote_identifier(&column.name),
                    type_text: column.kind.sql(dialect),
                    clauses,
                }),
            );
            if column.primary_key {
                let has_key = def.elements.iter().any(|e| match e {
                    Element::Constraint(c) => c.kind == Kind::PrimaryKey,
                    Element::Column(c) => c.has(ClauseKind::PrimaryKey),
                });
                if has_key {
                    return Err(invalid(
                        table,
                        format!("it has a primary key already, which {} cannot join", column.name),
                    ));
                }
                def.elements.push(Element::Constraint(definition::TableConstraint {
                    name: None,
                    kind: Kind::PrimaryKey,
                    columns: vec![column.name.clone()],
                    text: format!("PRIMARY KEY ({})", dialect.quote_identifier(&column.name)),
                }));
            }
            for (name, constraint) in column.constraints(table) {
                push_constraint(def, &name, &constraint);
            }
        }
        Change::DropColumn { column, .. } => {
            if !has_column(def, column) {
                return Err(invalid(table, format!("no column named {column}")));
            }
            if def.columns().count() == 1 {
                return Err(invalid(table, format!("{column} is its only column")));
            }
            // Constraints that involve the column go with it, as on PostgreSQL.
            def.elements.retain(|e| match e {
                Element::Column(c) => !definition::same_name(&c.name, column),
                Element::Constraint(c) => {
                    !c.columns.iter().any(|n| definition::same_name(n, column))
                }
            });
            dropped.push(column.clone());
        }
        Change::RenameColumn { .. } => {}
        Change::AlterColumn { column, change } => {
            if change.is_empty() {
                return Err(invalid(table, format!("alter_column of {column} changes nothing")));
            }
            let def = def
                .elements
                .iter_mut()
                .find_map(|e| match e {
                    Element::Column(c) if definition::same_name(&c.name, column) => Some(c),
                    _ => None,
                })
                .ok_or_else(|| invalid(table, format!("no column named {column}")))?;
            edit_column(def, change, dialect);
        }
        Change::AddConstraint { name, constraint } => {
            if find_constraint(def, name).is_some() {
                return Err(invalid(table, format!("it has a constraint {name} already")));
            }
            push_constraint(def, name, constraint);
        }
        Change::PrimaryKey { columns } => {
            for column in columns {
                if !has_column(def, column) {
                    return Err(invalid(table, format!("no column named {column}")));
                }
            }
            def.elements.retain(|e| {
                !matches!(e, Element::Constraint(c) if c.kind == Kind::PrimaryKey)
            });
            for element in &mut def.elements {
                if let Element::Column(c) = element {
                    c.clauses.retain(|clause| clause.kind != ClauseKind::PrimaryKey);
                }
            }
            if !columns.is_empty() {
                let names: Vec<String> =
                    columns.iter().map(|c| dialect.quote_identifier(c)).collect();
                // After the columns, before the other table constraints.
                let position = after_columns(def);
                def.elements.insert(
                    position,
                    Element::Constraint(definition::TableConstraint {
                        name: None,
                        kind: Kind::PrimaryKey,
                        columns: columns.clone(),
                        text: format!("PRIMARY KEY ({})", names.join(", ")),
                    }),
                );
            }
        }
        Change::DropConstraint { name, kind } => match find_constraint(def, name) {
            Some(Found::Table(i)) => {
                def.elements.remove(i);
            }
            Some(Found::Column(i, j)) => {
                if let Element::Column(c) = &mut def.elements[i] {
                    c.clauses.remove(j);
                }
            }
            None => {
                return Err(invalid(
                    table,
                    format!(
                        "no {} constraint named {name} (SQLite knows a constraint by name only where the table's definition says CONSTRAINT {name})",
                        match kind {
                            ConstraintKind::ForeignKey => "foreign key",
                            ConstraintKind::Unique => "unique",
                            ConstraintKind::Check => "check",
                        }
                    ),
                ))
            }
        },
    }
    Ok(())
}

/// The position just after a definition's last column.
fn after_columns(def: &definition::TableDef) -> usize {
    def.elements
        .iter()
        .rposition(|e| matches!(e, Element::Column(_)))
        .map_or(0, |i| i + 1)
}

fn push_constraint(def: &mut definition::TableDef, name: &str, constraint: &Constraint) {
    let columns = match constraint {
        Constraint::Unique(columns) => columns.clone(),
        Constraint::ForeignKey(key) => key.columns.clone(),
        Constraint::Check(condition) => definition::items(condition)
            .and_then(|items| definition::names_in(&items))
            .unwrap_or_default(),
    };
    def.elements
        .push(Element::Constraint(definition::TableConstraint {
            name: Some(name.to_string()),
            kind: match constraint.kind() {
                ConstraintKind::Unique => Kind::Unique,
                ConstraintKind::Check => Kind::Check,
                ConstraintKind::ForeignKey => Kind::ForeignKey,
            },
            columns,
            text: constraint.sql(Dialect::Sqlite, name),
        }));
}

enum Found {
    Table(usize),
    Column(usize, usize),
}

fn find_constraint(def: &definition::TableDef, name: &str) -> Option<Found> {
    for (i, element) in def.elements.iter().enumerate() {
        match element {
            Element::Constraint(c) => {
                if c.name
                    .as_deref()
                    .is_some_and(|n| definition::same_name(n, name))
                {
                    return Some(Found::Table(i));
                }
            }
            Element::Column(c) => {
                if let Some(j) = c.clauses.iter().position(|clause| {
                    clause
                        .name
                        .as_deref()
                        .is_some_and(|n| definition::same_name(n, name))
                }) {
                    return Some(Found::Column(i, j));
                }
            }
        }
    }
    None
}
