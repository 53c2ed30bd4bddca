//! `aludel check --schema` and `aludel print-schema`: the schema the history yields (replayed
//! into a scratch database of the project's dialect, [`replay`]) or a live database has,
//! read as `diesel print-schema` reads one, compared with diesel's `schema.rs` table by table,
//! or printed as diesel prints it, with diesel.toml's `[print_schema]` settings
//! ([`settings`]).

pub mod autogenerate;
pub mod replay;
pub mod settings;

use std::path::{Path, PathBuf};

use aludel_schema::Difference;
use serde::Serialize;

use crate::cli::{CheckArgs, DatabaseArgs, Format, PrintSchemaArgs};
use crate::database::{Database, DatabaseUrl};
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
    /// `primary_key`, `missing_foreign_key`, `extra_foreign_key`; between the history and a
    /// live database also `missing_definition`, `extra_definition` (a default, an index, a
    /// constraint).
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
    let (settings, root) = settings::read(project, cwd)?;
    let (declared, shown) = declared(&settings, &root, given, cwd, false)?;
    let server = replay::server(&db, args.dev_url.as_deref())?;
    let live_url = db.url().map(|(url, _)| url.clone());
    // With a live database to compare, the history's tables' definitions too.
    let (history, history_parts) = replay::with_history(&db, server.as_ref(), |conn, shown| {
        let schema = replay::introspect(conn, &db, &settings, shown)?;
        let parts = match live_url {
            Some(_) => replay::parts(conn, &schema, shown)?,
            None => replay::Parts::new(),
        };
        Ok((schema, parts))
    })?;
    // With a patch_file, the file is diesel's print patched: compare with the history's
    // print, patched the same way and read back.
    let expected = match &settings.patch_file {
        None => history.clone(),
        Some(_) => {
            let printed = print_text(&history, &settings, "the history")?;
            let patched = settings.patched(printed, &root, cwd)?;
            aludel_schema::read_schema_rs(&patched).map_err(|e| CliError::Schema {
                location: "the history's schema, patched".into(),
                message: e.to_string(),
            })?
        }
    };
    let differences = aludel_schema::diff(&expected, &declared);
    // A schema changed by hand in the database shows even where every file's checksum matches.
    // Where the tables agree, their defaults, indexes and constraints must too.
    let live = match &live_url {
        Some(url) => {
            let (schema, parts) = replay::live_with_parts(&db, url, &settings)?;
            let mut differences = aludel_schema::diff(&history, &schema);
            for (table, expected) in &history_parts {
                let agrees = differences.iter().all(|d| d.table() != table);
                if let Some(found) = parts.get(table).filter(|_| agrees) {
                    differences.extend(aludel_schema::definition_diff(table, expected, found));
                }
            }
            Some((url.shown.clone(), differences))
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

/// The schema the schema file declares (PATH as given, else as [`schema_file`] finds it), and
/// the file's path as shown; where `unpatch`, read with diesel.toml's `patch_file` taken back.
pub(crate) fn declared(
    settings: &settings::Settings,
    root: &Path,
    given: Option<&Path>,
    cwd: &Path,
    unpatch: bool,
) -> Result<(aludel_schema::Schema, String), CliError> {
    let (file, shown) = schema_file(settings, root, given, cwd);
    let text = std::fs::read_to_string(&file).map_err(|e| CliError::Schema {
        location: shown.clone(),
        message: format!("cannot read the schema file: {e}"),
    })?;
    let text = if unpatch {
        settings.unpatched(text, root, cwd)?
    } else {
        text
    };
    let declared = aludel_schema::read_schema_rs(&text).map_err(|e| CliError::Schema {
        location: match (unpatch, &settings.patch_file) {
            (true, Some(_)) => format!(
                "{shown} with patch_file taken back, line {}, column {}",
                e.line, e.column
            ),
            _ => format!("{shown}:{}:{}", e.line, e.column),
        },
        message: e.message,
    })?;
    Ok((declared, shown))
}

/// `<what> differs from the history (N differences):` and the first ten, each with `other`
/// naming the side that is not the history.
fn summary(what: &str, other: &str, differences: &[Difference]) -> String {
    let count = match differences.len() {
        1 => "1 difference".to_string(),
        n => format!("{n} differences"),
    };
    let mut out = format!("{what} differs from the history ({count}):");
    out.push_str(&listed(differences, "the history", other));
    out
}

/// The first ten differences, each on an indented line of its own, between `history` (the
/// side they were computed from) and `other`, and how many more there are.
pub(crate) fn listed(differences: &[Difference], history: &str, other: &str) -> String {
    const SHOWN: usize = 10;
    let mut out = String::new();
    for difference in differences.iter().take(SHOWN) {
        out.push_str("\n  ");
        out.push_str(&difference.describe_between(history, other));
    }
    if differences.len() > SHOWN {
        out.push_str(&format!("\n  and {} more", differences.len() - SHOWN));
    }
    out
}

/// The schema file: PATH as given, else diesel.toml's `[print_schema] file` (relative to
/// diesel.toml), else `src/schema.rs`, both in the project's directory `root`. Returns the
/// path to open and the path as shown.
fn schema_file(
    settings: &settings::Settings,
    root: &Path,
    given: Option<&Path>,
    cwd: &Path,
) -> (PathBuf, String) {
    if let Some(given) = given {
        return (cwd.join(given), given.display().to_string());
    }
    let relative = settings.file.as_deref().unwrap_or("src/schema.rs");
    let path = root.join(relative);
    (cwd.join(&path), path.display().to_string())
}

/// `print-schema`: the `schema.rs` the history yields (replayed on `--dev-url`'s server, else
/// the configured database's, else into an SQLite file), or with `--database-url` the one a
/// live database has, byte for byte what `diesel print-schema` prints, with diesel.toml's
/// settings.
pub fn print(project: &Project, args: &PrintSchemaArgs, cwd: &Path) -> Result<String, CliError> {
    let (settings, root) = settings::read(project, cwd)?;
    let (schema, location) = match &args.database_url {
        None => {
            let db = Database::new(project, &DatabaseArgs::default())?;
            let server = replay::server(&db, args.dev_url.as_deref())?;
            let schema = replay::history(&db, server.as_ref(), &settings)?;
            (schema, "the history".to_string())
        }
        Some(url) => {
            let args = DatabaseArgs {
                database_url: Some(url.to_string()),
                database: None,
            };
            let db = Database::new(project, &args)?;
            let url: DatabaseUrl = db.require_url()?.clone();
            (replay::live(&db, &url, &settings)?, url.shown)
        }
    };
    let printed = print_text(&schema, &settings, &location)?;
    settings.patched(printed, &root, cwd)
}

/// `schema` printed with the settings' options.
fn print_text(
    schema: &aludel_schema::Schema,
    settings: &settings::Settings,
    location: &str,
) -> Result<String, CliError> {
    aludel_schema::print_schema(schema, &settings.print).map_err(|e| CliError::Schema {
        location: location.to_string(),
        message: e.to_string(),
    })
}
