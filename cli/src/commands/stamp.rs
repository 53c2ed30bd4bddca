//! `aludel stamp TARGET`: set the version table without running SQL (Alembic's `stamp`).

use aludel::MigrationConnection;

use crate::cli::{Format, StampArgs};
use crate::database::{connect, with_conn, Access, Database};
use crate::error::CliError;
use crate::output::{self, paint, Style};
use crate::project::Project;

/// Records `TARGET` in the version table without running any revision's SQL and prints
/// `database at <heads> (stamped, no SQL ran)` on stderr.
///
/// - `--purge` empties the version table first, whatever it holds (even revisions this
///   history does not know).
/// - `--accept-changes` first records the current revision files as the applied ones, after
///   a deliberate edit of an applied revision (what a "changed after it was applied" error
///   asks for); `stamp heads --accept-changes` on a database at its heads does only that.
/// - `--from-diesel` (no `TARGET`) takes over a database that diesel_migrations manages: it
///   stamps the revision `aludel import diesel` made of the newest migration diesel applied,
///   and refuses gaps or unknown versions.
/// - `--dry-run` prints the stamp's steps (`stamp a1 -> c2`) on stdout and changes nothing.
///
/// # Warning
/// A stamp changes what the database claims is applied; the schema is not touched.
pub fn run(project: &Project, args: &StampArgs) -> Result<String, CliError> {
    let db = Database::new(project, &args.database)?;
    let access = if args.dry_run {
        Access::ReadOnly
    } else {
        Access::ReadWrite
    };
    let mut conn = connect(db.require_url()?, access)?;
    with_conn!(&mut conn, c => stamp_on(c, &db, args))
}

fn stamp_on<C: MigrationConnection>(
    conn: &mut C,
    db: &Database<'_>,
    args: &StampArgs,
) -> Result<String, CliError> {
    let colour = output::colour_stderr();
    let migrator = db.migrator();
    let at = |heads: &[String]| paint(&db.revisions(heads), Style::Bold, colour);
    if args.from_diesel {
        let taken = migrator
            .take_over_diesel(conn)
            .map_err(|e| db.run_error(&e))?;
        let rows = migrator.current(conn).map_err(|e| db.run_error(&e))?;
        let note = match taken {
            Some(_) => "taken over from diesel_migrations, no SQL ran",
            None => "already taken over from diesel_migrations",
        };
        output::message(&format!("database at {} ({note})\n", at(&rows)));
        return Ok(String::new());
    }
    let target = args.target.as_deref().unwrap_or("heads");
    if args.dry_run {
        let rows = migrator.current(conn).map_err(|e| db.run_error(&e))?;
        let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
        let plan = db
            .project()
            .graph()
            .plan_stamp(&rows, target, args.purge)
            .map_err(|e| db.run_error(&e.into()))?;
        if plan.is_empty() && !args.purge {
            output::message(&format!(
                "database at {} (nothing to stamp)\n",
                db.revisions(&plan.heads_before)
            ));
        }
        return super::upgrade::render_plan(&plan, args.format);
    }
    if args.accept_changes {
        let accepted = migrator
            .accept_changes(conn)
            .map_err(|e| db.run_error(&e))?;
        if !accepted.is_empty() {
            output::message(&format!(
                "recorded the current files of {} as applied\n",
                accepted.join(", ")
            ));
        }
    }
    let report = migrator
        .stamp(conn, target, args.purge)
        .map_err(|e| db.run_error(&e))?;
    output::message(&format!(
        "database at {} (stamped, no SQL ran)\n",
        at(&report.heads_after)
    ));
    match args.format {
        Format::Json => crate::json::render(&crate::json::ReportJson::new(&report)),
        Format::Text => Ok(String::new()),
    }
}
