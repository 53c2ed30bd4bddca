//! `aludel current`: the revisions the database is at (Alembic's `current`).

use aludel::MigrationConnection;

use crate::cli::{CurrentArgs, Format};
use crate::database::{connect, with_conn, Access, Database};
use crate::error::CliError;
use crate::json::{self, CurrentJson, RevisionJson};
use crate::project::Project;
use crate::text::{self, Line};

/// One line per row of the version table, as Alembic prints them: `c2 (head)`,
/// `d1 (feat1) (head)`, `b2`; `--verbose` prints full entries, `--format json` an array of
/// revision objects. A row this history does not contain (a database migrated by a newer
/// version of the application) is shown as `<id> (unknown revision: not in this history)`.
/// An empty version table prints nothing. Read-only: creates no table (and no SQLite file).
pub fn run(project: &Project, args: &CurrentArgs) -> Result<String, CliError> {
    let db = Database::new(project, &args.database)?;
    let mut conn = connect(db.require_url()?, Access::ReadOnly)?;
    let rows = with_conn!(&mut conn, c => rows(c, &db))?;
    let graph = project.graph();
    match args.output.format {
        Format::Json => json::render(
            &rows
                .iter()
                .map(|id| match graph.get(id) {
                    Some(revision) => CurrentJson::Known(RevisionJson::new(project, revision)),
                    None => CurrentJson::Unknown {
                        revision: id,
                        unknown: true,
                    },
                })
                .collect::<Vec<_>>(),
        ),
        Format::Text => {
            let mut out = String::new();
            for id in &rows {
                match graph.get(id) {
                    Some(revision) if args.verbose => {
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
            Ok(out)
        }
    }
}

/// The version table's rows in the history's load order, unknown rows last.
fn rows<C: MigrationConnection>(conn: &mut C, db: &Database<'_>) -> Result<Vec<String>, CliError> {
    let mut rows = db.migrator().current(conn).map_err(|e| db.run_error(&e))?;
    let graph = db.project().graph();
    rows.sort_by_key(|id| (graph.index_of(id).unwrap_or(usize::MAX), id.clone()));
    Ok(rows)
}
