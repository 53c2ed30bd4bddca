//! `aludel check --schema` and `aludel print-schema`: the schema the history yields, replayed
//! into a scratch SQLite database and read as `diesel print-schema` reads one, compared with
//! diesel's `schema.rs` table by table, or printed as diesel prints it.

use std::path::{Path, PathBuf};

use aludel_schema::Difference;
use serde::Serialize;

use crate::cli::{CheckArgs, DatabaseArgs, Format, PrintSchemaArgs};
#[cfg(any(feature = "sqlite", feature = "postgres"))]
use crate::database::Conn;
use crate::database::{connect, Access, Backend, Database};
use crate::error::CliError;
use crate::json;
use crate::output;
use crate::project::Project;

/// The report of `--format json`.
#[derive(Debug, Serialize)]
struct SchemaJson<'a> {
    /// The schema file, as shown.
    schema_file: &'a str,
    /// Whether the history yields what it declares.
    matches: bool,
    /// Every difference.
    differences: Vec<DifferenceJson>,
    /// The live database compared with the history, when a database URL is configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    database: Option<DatabaseJson<'a>>,
}

#[derive(Debug, Serialize)]
struct DatabaseJson<'a> {
    /// The database, its password masked.
    url: &'a str,
    /// Whether its schema is the history's.
    matches: bool,
    /// Every difference.
    differences: Vec<DifferenceJson>,
}

#[derive(Debug, Serialize)]
struct DifferenceJson {
    /// `missing_table`, `extra_table`, `missing_column`, `extra_column`, `column_type`,
    /// `primary_key`, `missing_foreign_key`, `extra_foreign_key`.
    kind: &'static str,
    /// The table (for a foreign key, `child -> parent (column)`).
    table: String,
    /// The difference in words.
    message: String,
}

fn differences_json(differences: &[Difference], other: &str) -> Vec<DifferenceJson> {
    differences
        .iter()
        .map(|d| DifferenceJson {
            kind: d.kind(),
            table: d.table().to_string(),
            message: d.describe(other),
        })
        .collect()
}

/// `check --schema [PATH]`: exits 0 when the history yields PATH's schema (and, where a
/// database URL is configured, the database has it too), else 1 with every difference.
pub fn check(
    project: &Project,
    args: &CheckArgs,
    given: Option<&Path>,
    cwd: &Path,
) -> Result<String, CliError> {
    let db = Database::new(project, &args.database)?;
    let (file, shown) = schema_file(project, given, cwd)?;
    let text = std::fs::read_to_string(&file).map_err(|e| CliError::Schema {
        location: shown.clone(),
        message: format!("cannot read the schema file: {e}"),
    })?;
    let declared = aludel_schema::read_schema_rs(&text).map_err(|e| CliError::Schema {
        location: format!("{shown}:{}:{}", e.line, e.column),
        message: e.message,
    })?;
    let history = history(&db, true)?;
    let differences = aludel_schema::diff(&history, &declared);
    // A schema changed by hand in the database shows even where every file's checksum matches.
    let live = match db.url() {
        Some((url, _)) => {
            let schema = live_at_heads(&db)?;
            Some((url.shown.clone(), aludel_schema::diff(&history, &schema)))
        }
        None => None,
    };
    let matches = differences.is_empty() && live.as_ref().is_none_or(|(_, d)| d.is_empty());
    let mut message = String::new();
    if !differences.is_empty() {
        message = summary(&shown, "the schema file", &differences);
    }
    if let Some((url, live)) = live.as_ref().filter(|(_, d)| !d.is_empty()) {
        if !message.is_empty() {
            message.push('\n');
        }
        message.push_str(&summary(
            &format!("the database {url}"),
            "the database",
            live,
        ));
    }
    if args.format == Format::Json {
        let report = json::render(&SchemaJson {
            schema_file: &shown,
            matches: differences.is_empty(),
            differences: differences_json(&differences, "the schema file"),
            database: live.as_ref().map(|(url, live)| DatabaseJson {
                url,
                matches: live.is_empty(),
                differences: differences_json(live, "the database"),
            }),
        })?;
        if matches {
            return Ok(report);
        }
        return Err(CliError::SchemaDiffers {
            stdout: report,
            message,
        });
    }
    if matches {
        let tables = match history.tables.len() {
            1 => "1 table".to_string(),
            n => format!("{n} tables"),
        };
        let what = match &live {
            Some((url, _)) => format!("{shown} and the database {url} match"),
            None => format!("{shown} matches"),
        };
        output::message(&format!("{what} the history ({tables})\n"));
        return Ok(String::new());
    }
    Err(CliError::SchemaDiffers {
        stdout: String::new(),
        message,
    })
}

/// `<what> differs from the history (N differences):` and the first ten, each with `other`
/// naming the side that is not the history.
fn summary(what: &str, other: &str, differences: &[Difference]) -> String {
    const SHOWN: usize = 10;
    let count = match differences.len() {
        1 => "1 difference".to_string(),
        n => format!("{n} differences"),
    };
    let mut out = format!("{what} differs from the history ({count}):");
    for difference in differences.iter().take(SHOWN) {
        out.push_str("\n  ");
        out.push_str(&difference.describe(other));
    }
    if differences.len() > SHOWN {
        out.push_str(&format!("\n  and {} more", differences.len() - SHOWN));
    }
    out
}

/// The schema file: PATH as given, else diesel.toml's `[print_schema] file` (relative to
/// diesel.toml), else `src/schema.rs`, both in the project's directory. Returns the path to
/// open and the path as shown.
fn schema_file(
    project: &Project,
    given: Option<&Path>,
    cwd: &Path,
) -> Result<(PathBuf, String), CliError> {
    if let Some(given) = given {
        return Ok((cwd.join(given), given.display().to_string()));
    }
    let root = project
        .config_file()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let diesel_toml = root.join("diesel.toml");
    let relative = match std::fs::read_to_string(cwd.join(&diesel_toml)) {
        Ok(text) => print_schema_file(&text).map_err(|message| CliError::Schema {
            location: diesel_toml.display().to_string(),
            message,
        })?,
        Err(_) => None,
    };
    let path = root.join(relative.unwrap_or_else(|| "src/schema.rs".into()));
    Ok((cwd.join(&path), path.display().to_string()))
}

/// diesel.toml's `[print_schema] file`, if it sets one.
fn print_schema_file(text: &str) -> Result<Option<String>, String> {
    use toml::de::{DeTable, DeValue};
    let document = DeTable::parse(text).map_err(|e| format!("cannot read diesel.toml: {e}"))?;
    let Some(section) = document.get_ref().get("print_schema") else {
        return Ok(None);
    };
    let DeValue::Table(section) = section.get_ref() else {
        return Err("`print_schema` is not a table".into());
    };
    match section.get("file").map(|v| v.get_ref()) {
        None => Ok(None),
        Some(DeValue::String(file)) => Ok(Some(file.to_string())),
        Some(_) => Err("`print_schema.file` is not a string".into()),
    }
}

/// `print-schema`: the `schema.rs` the history yields, or with `--database-url` the one a
/// live SQLite database has, byte for byte what `diesel print-schema` prints.
pub fn print(project: &Project, args: &PrintSchemaArgs) -> Result<String, CliError> {
    let schema = match &args.database_url {
        None => history(&Database::new(project, &DatabaseArgs::default())?, false)?,
        Some(url) => live(project, url)?,
    };
    Ok(aludel_schema::print_schema(&schema))
}

/// The schema of a live SQLite database named by `--database-url` (aludel's own tables left
/// out).
fn live(project: &Project, url: &str) -> Result<aludel_schema::Schema, CliError> {
    let args = DatabaseArgs {
        database_url: Some(url.to_string()),
    };
    live_schema(&Database::new(project, &args)?, false)
}

/// The live database's schema, which must be at the history's heads (what `check --schema`
/// compares it with).
fn live_at_heads(db: &Database<'_>) -> Result<aludel_schema::Schema, CliError> {
    live_schema(db, true)
}

/// The schema of the database `db` names (SQLite), aludel's own tables left out; where
/// `at_heads`, refused unless the database is at the history's heads.
fn live_schema(db: &Database<'_>, at_heads: bool) -> Result<aludel_schema::Schema, CliError> {
    let url = db.require_url()?;
    let failed = |message: String| CliError::Schema {
        location: url.shown.clone(),
        message,
    };
    // The live comparison of `check --schema` reads PostgreSQL too; print-schema SQLite only.
    if url.backend == Backend::Mysql || (url.backend == Backend::Postgres && !at_heads) {
        return Err(failed(
            "schemas are read from SQLite (and, for check --schema, PostgreSQL) databases only so far".into(),
        ));
    }
    let own = db.migrator().options().own_tables();
    let own: Vec<&str> = own.iter().map(String::as_str).collect();
    #[cfg(not(any(feature = "sqlite", feature = "postgres")))]
    let _ = &own;
    match connect(url, Access::ReadOnly)? {
        #[cfg(feature = "sqlite")]
        Conn::Sqlite(mut conn) => {
            if at_heads {
                require_heads(db, &mut conn, &url.shown)?;
            }
            aludel_schema::sqlite::introspect(&mut conn, &own).map_err(|e| failed(e.to_string()))
        }
        #[cfg(feature = "postgres")]
        Conn::Postgres(mut conn) => {
            require_heads(db, &mut conn, &url.shown)?;
            let schema = db.migrator().options().schema.clone();
            aludel_schema::postgres::introspect(&mut conn, schema.as_deref(), &own)
                .map_err(|e| failed(e.to_string()))
        }
        #[allow(unreachable_patterns)]
        _ => Err(failed("this program cannot read that database".into())),
    }
}

/// Refuses a database that is not at the history's heads, whose schema `check --schema`
/// cannot compare with the history's.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
fn require_heads<C: aludel::MigrationConnection>(
    db: &Database<'_>,
    conn: &mut C,
    shown: &str,
) -> Result<(), CliError> {
    let plan = db
        .migrator()
        .plan(conn, aludel::Direction::Upgrade, "heads")
        .map_err(|e| db.run_error(&e))?;
    let pending = plan.steps.iter().filter(|s| s.revision.is_some()).count();
    if pending > 0 {
        return Err(CliError::Schema {
            location: shown.to_string(),
            message: format!("the database is not at the history's heads ({pending} pending), and check --schema compares its schema with the history's at heads; run `{} upgrade heads` first", output::program()),
        });
    }
    Ok(())
}

/// The schema the history yields in a scratch database of the project's dialect: SQLite (or
/// no database named), or PostgreSQL (a database created for it on the configured server)
/// where `postgres` allows it (`check --schema`; `print-schema` prints SQLite's only so far).
fn history(db: &Database<'_>, postgres: bool) -> Result<aludel_schema::Schema, CliError> {
    let not_yet = |url: &crate::database::DatabaseUrl, what: &str| {
        CliError::Schema {
        location: url.shown.clone(),
        message: format!("the history is replayed into a scratch database of the project's dialect, and {what} is not supported yet"),
    }
    };
    match db.url() {
        Some((url, _)) if url.backend == Backend::Postgres && postgres => {
            db.require_runnable()?;
            replay_postgres(db, url)
        }
        Some((url, _)) if url.backend == Backend::Postgres => {
            Err(not_yet(url, "printing PostgreSQL's schema"))
        }
        Some((url, _)) if url.backend == Backend::Mysql => Err(not_yet(url, "MySQL")),
        _ => {
            db.require_runnable()?;
            replay(db)
        }
    }
}

/// The history replayed into a database created for it on the server of `url`, dropped
/// afterwards however the replay ends.
#[cfg(feature = "postgres")]
fn replay_postgres(
    db: &Database<'_>,
    url: &crate::database::DatabaseUrl,
) -> Result<aludel_schema::Schema, CliError> {
    use diesel::connection::SimpleConnection;

    /// Drops the scratch database when the replay ends.
    struct Scratch {
        admin: diesel::PgConnection,
        name: String,
    }
    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = self.admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
    let failed = |message: String| CliError::Schema {
        location: url.shown.clone(),
        message,
    };
    #[allow(unreachable_patterns)]
    let mut admin = match connect(url, Access::ReadOnly)? {
        Conn::Postgres(conn) => conn,
        _ => return Err(failed("not a PostgreSQL connection".into())),
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let name = format!("aludel_scratch_{}_{nanos}", std::process::id());
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .map_err(|e| {
            failed(format!(
                "cannot create the scratch database {name} (the history is replayed there): {e}"
            ))
        })?;
    let scratch = Scratch { admin, name };
    let scratch_url = url
        .with_database(&scratch.name)
        .ok_or_else(|| failed("not a PostgreSQL URL".into()))?;
    let schema = {
        #[allow(unreachable_patterns)]
        let mut conn = match connect(&scratch_url, Access::ReadOnly)? {
            Conn::Postgres(conn) => conn,
            _ => return Err(failed("not a PostgreSQL connection".into())),
        };
        let own = apply_all(db, &mut conn)?;
        let own: Vec<&str> = own.iter().map(String::as_str).collect();
        aludel_schema::postgres::introspect(&mut conn, None, &own)
            .map_err(|e| failed(e.to_string()))?
    };
    drop(scratch);
    Ok(schema)
}

#[cfg(not(feature = "postgres"))]
fn replay_postgres(
    _db: &Database<'_>,
    url: &crate::database::DatabaseUrl,
) -> Result<aludel_schema::Schema, CliError> {
    Err(CliError::Schema {
        location: url.shown.clone(),
        message: "this program is built without PostgreSQL".into(),
    })
}

/// The schema the history yields: every revision applied to a new SQLite database in a
/// directory of its own, removed afterwards, and read back.
#[cfg(feature = "sqlite")]
fn replay(db: &Database<'_>) -> Result<aludel_schema::Schema, CliError> {
    use diesel::Connection;

    /// Removes the scratch directory however the replay ends.
    struct Scratch(PathBuf);
    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let scratch =
        Scratch(std::env::temp_dir().join(format!("aludel-schema-{}-{nanos}", std::process::id())));
    let failed = |message: String| CliError::Schema {
        location: "the scratch database".into(),
        message,
    };
    std::fs::create_dir_all(&scratch.0)
        .map_err(|e| failed(format!("cannot create {}: {e}", scratch.0.display())))?;
    let path = scratch.0.join("history.db");
    let mut conn = diesel::SqliteConnection::establish(&path.to_string_lossy())
        .map_err(|e| failed(e.to_string()))?;
    let own = apply_all(db, &mut conn)?;
    let own: Vec<&str> = own.iter().map(String::as_str).collect();
    aludel_schema::sqlite::introspect(&mut conn, &own).map_err(|e| failed(e.to_string()))
}

/// Applies the whole history to a scratch database; returns the names of aludel's own tables
/// there, which its schema leaves out.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
fn apply_all<C: aludel::MigrationConnection>(
    db: &Database<'_>,
    conn: &mut C,
) -> Result<Vec<String>, CliError> {
    let migrator = db.migrator();
    migrator
        .upgrade(conn, "heads")
        .map_err(|e| db.run_error(&e))?;
    Ok(migrator.options().own_tables())
}

#[cfg(not(feature = "sqlite"))]
fn replay(_db: &Database<'_>) -> Result<aludel_schema::Schema, CliError> {
    Err(CliError::Schema {
        location: "check --schema".into(),
        message: "this program is built without SQLite, into which the history is replayed".into(),
    })
}
