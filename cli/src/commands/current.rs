//! `aludel current`: the revisions the database is at (Alembic's `current`).

use aludel::MigrationConnection;

use crate::cli::{CurrentArgs, Format};
use crate::database::{connect, with_conn, Access, Database};
use crate::error::CliError;
use crate::json::{self, CurrentJson, DatabaseCurrentJson, RevisionJson};
use crate::project::Project;
use crate::several;
use crate::text::{self, Line};

/// One line per row of the version table, as Alembic prints them: `c2 (head)`,
/// `d1 (feat1) (head)`, `b2`; `--verbose` prints full entries, `--format json` an array of
/// revision objects. A row this history does not contain (a database migrated by a newer
/// version of the application) is shown as `<id> (unknown revision: not in this history)`.
/// An empty version table prints nothing. Read-only: creates no table (and no SQLite file).
///
/// In a project of several databases, every database (or the one `--database NAME` names),
/// in aludel.toml's order: each row's line prefixed with the database's name
/// (`analytics: c2 (head)`, `analytics: base` for an empty version table; with `--verbose`
/// a `analytics:` line before its entries), and with `--format json` an array of
/// `{"database": name, "revisions": [...]}`, the revisions as for one database.
pub fn run(project: &Project, args: &CurrentArgs) -> Result<String, CliError> {
    let dbs = Database::select(project, &args.database)?;
    if several::is_several(&dbs) {
        return current_several(project, &dbs, args);
    }
    let Some(db) = dbs.into_iter().next() else {
        return Ok(String::new());
    };
    let mut conn = connect(db.require_url()?, Access::ReadOnly)?;
    let rows = with_conn!(&mut conn, c => rows(c, &db))?;
    match args.output.format {
        Format::Json => json::render(&rows_json(project, &rows)),
        Format::Text => Ok(rows_text(project, &rows, args.verbose)),
    }
}

/// [`run`] on the named databases of a project of several.
fn current_several(
    project: &Project,
    dbs: &[Database<'_>],
    args: &CurrentArgs,
) -> Result<String, CliError> {
    let Some(first) = dbs.first() else {
        return Ok(String::new());
    };
    let mut conns = several::connect_all(dbs, Access::ReadOnly)?;
    let lock = std::sync::Mutex::new(String::new());
    let mut tracked = several::track(dbs, &mut conns, &lock);
    let migrator = first.migrator();
    let mut all = several::coordinator(&migrator, dbs, &mut tracked)
        .current_blocking()
        .map_err(|e| several::run_error(dbs, &e))?;
    let graph = project.graph();
    for (_, rows) in &mut all {
        rows.sort_by_key(|id| (graph.index_of(id).unwrap_or(usize::MAX), id.clone()));
    }
    match args.output.format {
        Format::Json => json::render(
            &all.iter()
                .map(|(name, rows)| DatabaseCurrentJson {
                    database: name,
                    revisions: rows_json(project, rows),
                })
                .collect::<Vec<_>>(),
        ),
        Format::Text => {
            let mut out = String::new();
            for (name, rows) in &all {
                let text = rows_text(project, rows, args.verbose);
                if rows.is_empty() {
                    out.push_str(&format!("{name}: base\n"));
                } else if args.verbose {
                    out.push_str(&format!("{name}:\n{text}"));
                } else {
                    out.push_str(&several::prefixed(name, &text));
                }
            }
            Ok(out)
        }
    }
}

/// The rows as JSON objects.
fn rows_json<'a>(project: &'a Project, rows: &'a [String]) -> Vec<CurrentJson<'a>> {
    let graph = project.graph();
    rows.iter()
        .map(|id| match graph.get(id) {
            Some(revision) => CurrentJson::Known(RevisionJson::new(project, revision)),
            None => CurrentJson::Unknown {
                revision: id,
                unknown: true,
            },
        })
        .collect()
}

/// The rows as text: a line each, or full entries with `verbose`.
fn rows_text(project: &Project, rows: &[String], verbose: bool) -> String {
    let graph = project.graph();
    let mut out = String::new();
    for id in rows {
        match graph.get(id) {
            Some(revision) if verbose => {
                out.push_str(&text::entry(project, revision));
            }
            Some(revision) => {
                let what = Line {
                    branches: true,
                    ..Line::default()
                };
                out.push_str(&text::line(project, revision, what));
            }
            None => out.push_str(&format!(
                "{id} (unknown revision: not in this history; was the database migrated by a newer version?)"
            )),
        }
        out.push('\n');
    }
    out
}

/// The version table's rows in the history's load order, unknown rows last.
fn rows<C: MigrationConnection>(conn: &mut C, db: &Database<'_>) -> Result<Vec<String>, CliError> {
    let mut rows = db.migrator().current(conn).map_err(|e| db.run_error(&e))?;
    let graph = db.project().graph();
    rows.sort_by_key(|id| (graph.index_of(id).unwrap_or(usize::MAX), id.clone()));
    Ok(rows)
}
