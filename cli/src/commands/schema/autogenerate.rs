//! `aludel revision --autogenerate`: the revision that takes the history's schema to the one
//! diesel's `schema.rs` declares. The history is replayed into a scratch database
//! ([`replay::with_history`]); the changes ([`aludel_schema::autogen::plan`]) become `op`
//! calls, which run there, upgrade then downgrade, each checked by reading the schema back:
//! the revision is written only once it has been seen to reach the schema file and to come
//! back. An SQL revision holds the SQL those calls ran ([`aludel::op::record`]: a SQLite
//! rebuild, a MySQL `MODIFY` as that database needs them); a Rust revision (`--rust`) holds the
//! calls themselves.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use aludel::op::{self, ColumnChange, ConstraintKind, Op, Type};
use aludel_schema::autogen::{self, Dialect as SchemaDialect, Plan, Renames, Step, TableChange};
use aludel_schema::{Column, Schema};

use super::{declared, listed, replay, settings};
use crate::cli::{DatabaseArgs, RevisionArgs};
use crate::commands::revision::{say, Body};
use crate::database::{Backend, Conn, Database};
use crate::error::CliError;
use crate::project::Project;

/// The sections of the revision that takes the history to the schema file, or `None` (and a
/// message) where they agree.
pub(crate) fn generate(
    project: &Project,
    args: &RevisionArgs,
    cwd: &Path,
    messages: &mut dyn Write,
) -> Result<Option<Body>, CliError> {
    let db = Database::new(project, &DatabaseArgs::default())?;
    let (settings, root) = settings::read(project, cwd)?;
    let refuse = |location: &str, message: String| CliError::Schema {
        location: location.to_string(),
        message,
    };
    if settings.print.schema.is_some() {
        return Err(refuse(
            "diesel.toml",
            "`print_schema.schema` names a PostgreSQL schema, and revision --autogenerate writes the tables of the default one only; write this revision by hand".into(),
        ));
    }
    let (mut target, shown) = declared(&settings, &root, args.schema.as_deref(), cwd, true)?;
    if let Some(table) = target.tables.iter().find(|t| t.schema.is_some()) {
        return Err(refuse(
            &shown,
            format!(
                "table {} is in a PostgreSQL schema of its own, and revision --autogenerate writes the tables of the default one only",
                table.qualified_name()
            ),
        ));
    }
    // The tables the history's schema shows: never aludel's own, and as diesel.toml filters.
    let filter = replay::filter(&db, &settings);
    target.tables.retain(|t| filter.keeps(&t.name));
    let kept = |name: &str| target.tables.iter().any(|t| t.name == name);
    let keys: Vec<_> = target
        .foreign_keys
        .iter()
        .filter(|k| kept(&k.child) && kept(&k.parent))
        .cloned()
        .collect();
    target.foreign_keys = keys;
    let renames = parse_renames(&args.rename)?;

    let server = replay::server(&db, args.dev_url.as_deref())?;
    let backend = server.as_ref().map_or(Backend::Sqlite, |u| u.backend);
    let dialect = match backend {
        Backend::Sqlite => SchemaDialect::Sqlite,
        Backend::Postgres => SchemaDialect::Postgres,
        Backend::Mysql => SchemaDialect::Mysql,
    };
    let generated = replay::with_history(&db, server.as_ref(), |conn, scratch| {
        let history = replay::introspect(conn, &db, &settings, scratch)?;
        let mut plan =
            autogen::plan(&history, &target, &renames).map_err(|e| CliError::Schema {
                location: shown.clone(),
                message: e.to_string(),
            })?;
        // A type the history created that no column uses yet is there already.
        let existing = existing_types(conn).map_err(|e| CliError::Schema {
            location: scratch.to_string(),
            message: format!("cannot read the database's types: {e}"),
        })?;
        let exists = |step: &Step| matches!(step, Step::CreateType { name } | Step::DropType { name } if existing.contains(name));
        plan.upgrade.retain(|s| !exists(s));
        plan.downgrade.retain(|s| !exists(s));
        if plan.is_empty() {
            return Ok(None);
        }
        // A table the revision drops comes back in the downgrade as the history has it: its
        // defaults, indexes, unique and check constraints too, which schema.rs does not state.
        let mut definitions = BTreeMap::new();
        for step in &plan.upgrade {
            if let Step::DropTable { table, .. } = step {
                let definition =
                    table_definition(conn, &table.name).map_err(|e| CliError::Schema {
                        location: scratch.to_string(),
                        message: format!("cannot read the definition of table {}: {e}", table.name),
                    })?;
                definitions.insert(table.name.clone(), definition);
            }
        }
        let upgrade = Calls::new(&plan.upgrade, dialect, &definitions)?;
        let downgrade = Calls::new(&plan.downgrade, dialect, &definitions)?;
        // Each direction run and read back: it must reach `goal`.
        let mut trial = |calls: &Calls, what: &str, goal: &Schema, names: (&str, &str)| {
            let sql =
                crate::database::with_conn!(&mut *conn, c => op::record(c, |op| calls.apply(op)))
                    .map_err(|e| CliError::Schema {
                    location: scratch.to_string(),
                    message: format!(
                        "the generated {what} failed on the history's schema: {}",
                        db.run_error(&e)
                    ),
                })?;
            let reached = replay::introspect(conn, &db, &settings, scratch)?;
            let left = aludel_schema::diff(goal, &reached);
            if !left.is_empty() {
                return Err(unreached(scratch, names, what, &left));
            }
            Ok(sql)
        };
        let up_sql = trial(&upgrade, "upgrade", &target, (&shown, "the schema file"))?;
        let down_sql = trial(
            &downgrade,
            "downgrade",
            &history,
            ("the history", "the history"),
        )?;
        Ok(Some((plan, upgrade, downgrade, up_sql, down_sql)))
    })?;
    let Some((plan, upgrade, downgrade, up_sql, down_sql)) = generated else {
        say(
            messages,
            &format!(
                "No changes in schema detected: the history yields {shown}; no revision written"
            ),
        );
        return Ok(None);
    };
    // At most ten of each, the rest counted: the revision holds them all.
    const SHOWN: usize = 10;
    let lines = detected(&plan);
    for line in lines.iter().take(SHOWN) {
        say(messages, line);
    }
    if lines.len() > SHOWN {
        say(
            messages,
            &format!("and {} more changes", lines.len() - SHOWN),
        );
    }
    for (what, hint) in plan.hints.iter().take(SHOWN) {
        say(
            messages,
            &format!("{what}: if that is a rename, run again with {hint}"),
        );
    }
    if plan.hints.len() > SHOWN {
        say(
            messages,
            &format!(
                "and {} more drops and adds that look like renames (see the revision's comments)",
                plan.hints.len() - SHOWN
            ),
        );
    }
    let notes = notes(&plan, &shown);
    Ok(Some(if args.rust {
        let mut imports = upgrade.imports();
        for name in downgrade.imports() {
            if !imports.contains(&name) {
                imports.push(name);
            }
        }
        imports.sort_unstable();
        Body::Rust {
            imports,
            upgrade: format!("{}{}", comment(&notes, "    //"), upgrade.rust()),
            downgrade: downgrade.rust(),
        }
    } else {
        Body::Sql {
            upgrade: format!("{}{up_sql}", comment(&notes, "--")),
            downgrade: down_sql,
        }
    }))
}

/// The names of the enum types of the database's current schema (PostgreSQL; none elsewhere).
fn existing_types(conn: &mut Conn) -> Result<Vec<String>, diesel::result::Error> {
    match conn {
        #[cfg(feature = "postgres")]
        Conn::Postgres(c) => {
            use diesel::RunQueryDsl;
            #[derive(diesel::QueryableByName)]
            struct Name {
                #[diesel(sql_type = diesel::sql_types::Text)]
                name: String,
            }
            let rows: Vec<Name> = diesel::sql_query(
                "SELECT CAST(typname AS TEXT) AS name FROM pg_type WHERE typtype = 'e' AND typnamespace = CAST(current_schema() AS regnamespace)",
            )
            .load(c)?;
            Ok(rows.into_iter().map(|r| r.name).collect())
        }
        #[allow(unreachable_patterns)]
        _ => Ok(Vec::new()),
    }
}

/// The statements that create `table` as the database `conn` has it.
fn table_definition(
    conn: &mut Conn,
    table: &str,
) -> Result<Vec<String>, aludel_schema::IntrospectError> {
    match conn {
        #[cfg(feature = "sqlite")]
        Conn::Sqlite(c) => aludel_schema::sqlite::table_definition(c, table),
        #[cfg(feature = "postgres")]
        Conn::Postgres(c) => aludel_schema::postgres::table_definition(c, table),
        #[cfg(feature = "mysql")]
        Conn::Mysql(c) => aludel_schema::mysql::table_definition(c, table),
    }
}

/// The error of a revision that ran and did not reach `goal`.
/// `goal` names the schema as the header says it, `side` as each difference does.
fn unreached(
    scratch: &str,
    (goal, side): (&str, &str),
    what: &str,
    left: &[aludel_schema::Difference],
) -> CliError {
    CliError::Schema {
        location: scratch.to_string(),
        message: format!(
            "the generated {what} ran, and the database it left is not {goal}'s schema; no revision written. What differs:{}",
            listed(left, side, "the database")
        ),
    }
}

/// `--rename` values: `TABLE=NEW` or `TABLE.COLUMN=NEW`.
fn parse_renames(values: &[String]) -> Result<Renames, CliError> {
    let mut renames = Renames::default();
    for value in values {
        let bad = || {
            CliError::Authoring {
            message: format!(
                "--rename `{value}`: write TABLE.COLUMN=NEW_NAME for a column, TABLE=NEW_NAME for a table (the history's names)"
            ),
        }
        };
        let (old, new) = value.split_once('=').ok_or_else(bad)?;
        let (old, new) = (old.trim(), new.trim());
        let word = |s: &str| !s.is_empty() && !s.contains(['.', '=', ' ']);
        if !word(new) {
            return Err(bad());
        }
        match old.split_once('.') {
            Some((table, column)) if word(table) && word(column) => {
                renames
                    .columns
                    .push((table.to_string(), column.to_string(), new.to_string()))
            }
            None if word(old) => renames.tables.push((old.to_string(), new.to_string())),
            _ => return Err(bad()),
        }
    }
    Ok(renames)
}

/// What the plan does, one line each, as Alembic reports what it detected.
fn detected(plan: &Plan) -> Vec<String> {
    let mut out = Vec::new();
    for step in &plan.upgrade {
        match step {
            Step::RenameTable { from, to } => {
                out.push(format!("Detected renamed table {from} to {to}"))
            }
            Step::RenameColumn { table, from, to } => {
                out.push(format!("Detected renamed column {table}.{from} to {to}"))
            }
            Step::CreateType { name } => out.push(format!("Detected added type {name}")),
            Step::DropType { name } => out.push(format!("Detected removed type {name}")),
            Step::CreateTable { table, .. } => {
                out.push(format!("Detected added table {}", table.name))
            }
            Step::DropTable { table, .. } => {
                out.push(format!("Detected removed table {}", table.name))
            }
            Step::Alter { table, changes } => {
                for change in changes {
                    out.push(match change {
                        TableChange::AddColumn(c) => {
                            format!("Detected added column {table}.{}", c.name)
                        }
                        TableChange::DropColumn(c) => {
                            format!("Detected removed column {table}.{}", c.name)
                        }
                        TableChange::AlterColumn { from, to, .. } => format!(
                            "Detected changed column {table}.{} from {} to {}",
                            to.name,
                            shown_type(from),
                            shown_type(to)
                        ),
                        TableChange::PrimaryKey { from, to } => format!(
                            "Detected changed primary key of {table} from ({}) to ({})",
                            from.join(", "),
                            to.join(", ")
                        ),
                        TableChange::AddForeignKey { key, .. } => format!(
                            "Detected added foreign key {} -> {} ({})",
                            key.child, key.parent, key.column
                        ),
                        TableChange::DropForeignKey { key, .. } => format!(
                            "Detected removed foreign key {} -> {} ({})",
                            key.child, key.parent, key.column
                        ),
                    })
                }
            }
        }
    }
    out
}

/// A column's type as a message shows it: `Nullable<Varchar>`, `(max_length 40)`.
fn shown_type(column: &Column) -> String {
    match column.max_length {
        Some(n) => format!("{} (max_length {n})", column.diesel_type()),
        None => column.diesel_type(),
    }
}

/// The comments a generated revision opens with: where it came from, the renames it might
/// be, what schema.rs does not say.
fn notes(plan: &Plan, shown: &str) -> Vec<String> {
    let mut notes = vec![format!(
        "Generated by `aludel revision --autogenerate` from {shown}: review it before upgrading."
    )];
    for (what, hint) in &plan.hints {
        notes.push(format!(
            "{what}: if that is a rename, generate again with {hint}."
        ));
    }
    for step in &plan.upgrade {
        match step {
            Step::CreateType { name } => notes.push(format!(
                "schema.rs does not list the labels of enum {name}: add them to its CREATE TYPE, e.g. AS ENUM ('one', 'two')."
            )),
            Step::Alter { table, changes } => {
                for change in changes {
                    if let TableChange::AddColumn(c) = change {
                        if !c.nullable {
                            notes.push(format!(
                                "{table}.{} is NOT NULL: where {table} has rows, give the column a default or fill it before it becomes NOT NULL.",
                                c.name
                            ));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    notes
}

/// `notes` as comment lines starting with `prefix`.
fn comment(notes: &[String], prefix: &str) -> String {
    notes
        .iter()
        .map(|note| format!("{prefix} {note}\n"))
        .collect()
}

/// A column's type for `op`: a type of `op::Type` where the dialect reads it back as the
/// column's diesel type (the revision is then portable), else the dialect's SQL.
#[derive(Debug, Clone)]
struct Kind {
    /// What `op` receives.
    op: Type,
    /// The same as Rust source: `Type::Integer`, `Type::Sql("int8")`.
    rust: String,
}

impl Kind {
    fn of(column: &Column, dialect: SchemaDialect) -> Result<Kind, CliError> {
        let sql = autogen::sql_type(column, dialect).map_err(|message| CliError::Schema {
            location: "revision --autogenerate".into(),
            message,
        })?;
        use SchemaDialect::{Mysql, Postgres, Sqlite};
        let printed = column.sql_type.as_str();
        let neutral = match (aludel_schema::canonical_type(printed), dialect) {
            _ if column.custom.is_some() => None,
            ("Integer", _) => Some((Type::Integer, "Integer".to_string())),
            ("SmallInt", Postgres | Mysql) => Some((Type::SmallInt, "SmallInt".into())),
            ("BigInt", Postgres | Mysql) => Some((Type::BigInt, "BigInt".into())),
            ("Bool", _) => Some((Type::Boolean, "Boolean".into())),
            ("Double", Postgres | Mysql) => Some((Type::Double, "Double".into())),
            ("Date", Postgres | Mysql) => Some((Type::Date, "Date".into())),
            ("Timestamp", Postgres | Sqlite) => Some((Type::Timestamp, "Timestamp".into())),
            ("Binary", _) if matches!(printed, "Binary" | "Bytea" | "Blob") => {
                Some((Type::Binary, "Binary".into()))
            }
            ("Text", _) if printed == "Text" && column.max_length.is_none() => {
                Some((Type::Text, "Text".into()))
            }
            ("Text", Postgres | Mysql) if matches!(printed, "Varchar" | "VarChar") => column
                .max_length
                .and_then(|n| u32::try_from(n).ok())
                .map(|n| (Type::Varchar(n), format!("Varchar({n})"))),
            _ => None,
        };
        Ok(match neutral {
            Some((op, rust)) => Kind {
                op,
                rust: format!("Type::{rust}"),
            },
            None => Kind {
                rust: format!("Type::Sql({sql:?})"),
                // A type of `op` holds a `&'static str`; the command's types live as long.
                op: Type::Sql(Box::leak(sql.into_boxed_str())),
            },
        })
    }
}

/// A column as `op` creates or adds it.
#[derive(Debug, Clone)]
struct ColumnSpec {
    name: String,
    kind: Kind,
    nullable: bool,
    primary_key: bool,
    autoincrement: bool,
    /// The referenced table and column.
    references: Option<(String, String)>,
}

impl ColumnSpec {
    fn op(&self) -> op::Column {
        let mut column = op::Column::new(&self.name, self.kind.op);
        if self.primary_key {
            column = column.primary_key();
        } else if !self.nullable {
            column = column.not_null();
        }
        if self.autoincrement {
            column = column.autoincrement();
        }
        if let Some((table, referenced)) = &self.references {
            column = column.references(table, referenced);
        }
        column
    }

    fn rust(&self) -> String {
        let mut out = format!("Column::new({:?}, {})", self.name, self.kind.rust);
        if self.primary_key {
            out.push_str(".primary_key()");
        } else if !self.nullable {
            out.push_str(".not_null()");
        }
        if self.autoincrement {
            out.push_str(".autoincrement()");
        }
        if let Some((table, referenced)) = &self.references {
            out.push_str(&format!(".references({table:?}, {referenced:?})"));
        }
        out
    }
}

/// One `op` call.
#[derive(Debug, Clone)]
enum Call {
    Execute(String),
    CreateTable {
        table: String,
        columns: Vec<ColumnSpec>,
    },
    DropTable(String),
    RenameTable {
        from: String,
        to: String,
    },
    RenameColumn {
        table: String,
        from: String,
        to: String,
    },
    Batch {
        table: String,
        changes: Vec<BatchCall>,
    },
}

/// One change within `op.batch_alter_table`.
#[derive(Debug, Clone)]
enum BatchCall {
    AddColumn(ColumnSpec),
    DropColumn(String),
    AlterColumn {
        column: String,
        kind: Option<Kind>,
        nullable: Option<bool>,
    },
    CreateForeignKey {
        name: String,
        column: String,
        parent: String,
        referenced: String,
    },
    DropForeignKey(String),
    PrimaryKey(Vec<String>),
}

impl BatchCall {
    fn change(&self) -> Option<ColumnChange> {
        let BatchCall::AlterColumn { kind, nullable, .. } = self else {
            return None;
        };
        let mut change = ColumnChange::new();
        if let Some(kind) = kind {
            change = change.set_type(kind.op);
        }
        match nullable {
            Some(true) => change = change.nullable(),
            Some(false) => change = change.not_null(),
            None => {}
        }
        Some(change)
    }

    fn apply(&self, batch: &mut op::Batch) {
        match self {
            BatchCall::AddColumn(spec) => {
                batch.add_column(spec.op());
            }
            BatchCall::DropColumn(name) => {
                batch.drop_column(name);
            }
            BatchCall::AlterColumn { column, .. } => {
                batch.alter_column(column, self.change().unwrap_or_default());
            }
            BatchCall::CreateForeignKey {
                name,
                column,
                parent,
                referenced,
            } => {
                batch.create_foreign_key(
                    name,
                    op::ForeignKey::new(&[column.as_str()], parent, &[referenced.as_str()]),
                );
            }
            BatchCall::DropForeignKey(name) => {
                batch.drop_constraint(name, ConstraintKind::ForeignKey);
            }
            BatchCall::PrimaryKey(columns) => {
                let columns: Vec<&str> = columns.iter().map(String::as_str).collect();
                batch.alter_primary_key(&columns);
            }
        }
    }

    fn rust(&self) -> String {
        match self {
            BatchCall::AddColumn(spec) => format!("batch.add_column({});", spec.rust()),
            BatchCall::DropColumn(name) => format!("batch.drop_column({name:?});"),
            BatchCall::AlterColumn {
                column,
                kind,
                nullable,
            } => {
                let mut change = "ColumnChange::new()".to_string();
                if let Some(kind) = kind {
                    change.push_str(&format!(".set_type({})", kind.rust));
                }
                match nullable {
                    Some(true) => change.push_str(".nullable()"),
                    Some(false) => change.push_str(".not_null()"),
                    None => {}
                }
                format!("batch.alter_column({column:?}, {change});")
            }
            BatchCall::CreateForeignKey {
                name,
                column,
                parent,
                referenced,
            } => format!(
                "batch.create_foreign_key({name:?}, ForeignKey::new(&[{column:?}], {parent:?}, &[{referenced:?}]));"
            ),
            BatchCall::DropForeignKey(name) => {
                format!("batch.drop_constraint({name:?}, ConstraintKind::ForeignKey);")
            }
            BatchCall::PrimaryKey(columns) => {
                format!("batch.alter_primary_key(&{columns:?});")
            }
        }
    }
}

/// The `op` calls of one direction of the revision.
#[derive(Debug, Clone)]
struct Calls(Vec<Call>);

impl Calls {
    /// The calls of `steps`; a table created again that `definitions` holds is created with
    /// those statements.
    fn new(
        steps: &[Step],
        dialect: SchemaDialect,
        definitions: &BTreeMap<String, Vec<String>>,
    ) -> Result<Calls, CliError> {
        let q = |name: &str| format!("\"{}\"", name.replace('"', "\"\""));
        let mut calls = Vec::new();
        for step in steps {
            calls.push(match step {
                Step::RenameTable { from, to } => Call::RenameTable {
                    from: from.clone(),
                    to: to.clone(),
                },
                Step::RenameColumn { table, from, to } => Call::RenameColumn {
                    table: table.clone(),
                    from: from.clone(),
                    to: to.clone(),
                },
                Step::CreateType { name } => {
                    Call::Execute(format!("CREATE TYPE {} AS ENUM ()", q(name)))
                }
                Step::DropType { name } => Call::Execute(format!("DROP TYPE {}", q(name))),
                Step::CreateTable { table, .. } if definitions.contains_key(&table.name) => {
                    let statements = &definitions[&table.name];
                    calls.extend(statements.iter().map(|sql| Call::Execute(sql.clone())));
                    continue;
                }
                Step::CreateTable {
                    table,
                    keys,
                    autoincrement,
                } => {
                    let mut columns = Vec::new();
                    for column in &table.columns {
                        let key = keys.iter().find(|k| k.key.column == column.name);
                        columns.push(ColumnSpec {
                            name: column.name.clone(),
                            kind: Kind::of(column, dialect)?,
                            nullable: column.nullable,
                            primary_key: table.primary_key.contains(&column.name),
                            autoincrement: *autoincrement
                                && table.primary_key.first() == Some(&column.name),
                            references: key.map(|k| (k.key.parent.clone(), k.referenced.clone())),
                        });
                    }
                    Call::CreateTable {
                        table: table.name.clone(),
                        columns,
                    }
                }
                Step::DropTable { table, .. } => Call::DropTable(table.name.clone()),
                Step::Alter { table, changes } => {
                    let mut batch = Vec::new();
                    for change in changes {
                        batch.push(match change {
                            TableChange::AddColumn(column) => BatchCall::AddColumn(ColumnSpec {
                                name: column.name.clone(),
                                kind: Kind::of(column, dialect)?,
                                nullable: column.nullable,
                                primary_key: false,
                                autoincrement: false,
                                references: None,
                            }),
                            TableChange::DropColumn(column) => {
                                BatchCall::DropColumn(column.name.clone())
                            }
                            TableChange::PrimaryKey { to, .. } => BatchCall::PrimaryKey(to.clone()),
                            TableChange::AlterColumn { from, to, retype } => {
                                let retyped = *retype;
                                BatchCall::AlterColumn {
                                    column: to.name.clone(),
                                    kind: if retyped {
                                        Some(Kind::of(to, dialect)?)
                                    } else {
                                        None
                                    },
                                    nullable: (from.nullable != to.nullable).then_some(to.nullable),
                                }
                            }
                            TableChange::AddForeignKey {
                                key,
                                referenced,
                                name,
                            } => BatchCall::CreateForeignKey {
                                name: name
                                    .clone()
                                    .unwrap_or_else(|| autogen::foreign_key_name(key)),
                                column: key.column.clone(),
                                parent: key.parent.clone(),
                                referenced: referenced.clone(),
                            },
                            TableChange::DropForeignKey { key, name, .. } => {
                                // SQLite names a key only where its definition says
                                // CONSTRAINT name: the name aludel gives one.
                                let name = name
                                    .clone()
                                    .unwrap_or_else(|| autogen::foreign_key_name(key));
                                BatchCall::DropForeignKey(name)
                            }
                        });
                    }
                    Call::Batch {
                        table: table.clone(),
                        changes: batch,
                    }
                }
            });
        }
        Ok(Calls(calls))
    }

    /// Runs the calls.
    fn apply(&self, op: &mut Op<'_>) -> aludel::Result<()> {
        for call in &self.0 {
            match call {
                Call::Execute(sql) => op.execute(sql)?,
                Call::CreateTable { table, columns } => {
                    let columns: Vec<op::Column> = columns.iter().map(ColumnSpec::op).collect();
                    op.create_table(table, &columns)?
                }
                Call::DropTable(table) => op.drop_table(table)?,
                Call::RenameTable { from, to } => op.rename_table(from, to)?,
                Call::RenameColumn { table, from, to } => op.rename_column(table, from, to)?,
                Call::Batch { table, changes } => op.batch_alter_table(table, |batch| {
                    for change in changes {
                        change.apply(batch);
                    }
                    Ok(())
                })?,
            }
        }
        Ok(())
    }

    /// The calls as the statements of a Rust revision's function, indented.
    fn rust(&self) -> String {
        let mut out = String::new();
        for call in &self.0 {
            match call {
                Call::Execute(sql) => out.push_str(&format!("    op.execute({sql:?})?;\n")),
                Call::CreateTable { table, columns } => {
                    out.push_str(&format!(
                        "    op.create_table(\n        {table:?},\n        &[\n"
                    ));
                    for column in columns {
                        out.push_str(&format!("            {},\n", column.rust()));
                    }
                    out.push_str("        ],\n    )?;\n");
                }
                Call::DropTable(table) => {
                    out.push_str(&format!("    op.drop_table({table:?})?;\n"))
                }
                Call::RenameTable { from, to } => {
                    out.push_str(&format!("    op.rename_table({from:?}, {to:?})?;\n"))
                }
                Call::RenameColumn { table, from, to } => out.push_str(&format!(
                    "    op.rename_column({table:?}, {from:?}, {to:?})?;\n"
                )),
                Call::Batch { table, changes } => {
                    out.push_str(&format!("    op.batch_alter_table({table:?}, |batch| {{\n"));
                    for change in changes {
                        out.push_str(&format!("        {}\n", change.rust()));
                    }
                    out.push_str("        Ok(())\n    })?;\n");
                }
            }
        }
        out
    }

    /// The names of `aludel::op` the calls use.
    fn imports(&self) -> Vec<&'static str> {
        let text = self.rust();
        let mut names = vec!["Op"];
        for name in [
            "Column",
            "ColumnChange",
            "ConstraintKind",
            "ForeignKey",
            "Type",
        ] {
            if text.contains(&format!("{name}::")) {
                names.push(name);
            }
        }
        names
    }
}
