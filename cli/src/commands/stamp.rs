//! `aludel stamp TARGET`: set the version table without running SQL (Alembic's `stamp`).

use aludel::MigrationConnection;

use crate::cli::{Format, StampArgs};
use crate::database::{connect, with_conn, Access, Database};
use crate::error::CliError;
use crate::output::{self, paint, Style};
use crate::project::Project;
use crate::several;

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
/// In a project of several databases, every database is stamped (or the one `--database
/// NAME` names), through the library's coordinator, each line prefixed with the database's
/// name; `--format json` is an array of `{"database": name, ...}` objects.
///
/// # Warning
/// A stamp changes what the database claims is applied; the schema is not touched.
pub fn run(project: &Project, args: &StampArgs) -> Result<String, CliError> {
    let dbs = Database::select(project, &args.database)?;
    if several::is_several(&dbs) {
        return stamp_several(&dbs, args);
    }
    let Some(db) = dbs.into_iter().next() else {
        return Ok(String::new());
    };
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

/// [`run`] on the named databases of a project of several.
fn stamp_several(dbs: &[Database<'_>], args: &StampArgs) -> Result<String, CliError> {
    let Some(first) = dbs.first() else {
        return Ok(String::new());
    };
    let access = if args.dry_run {
        Access::ReadOnly
    } else {
        Access::ReadWrite
    };
    let mut conns = several::connect_all(dbs, access)?;
    let colour = output::colour_stderr();
    let failed = |db: &Database<'_>, e: aludel::Error| {
        several::run_error(dbs, &super::upgrade::named(db, e))
    };
    if args.from_diesel || args.dry_run || args.accept_changes {
        // What the coordinator does not do: one database after the other.
        let mut plans = String::new();
        let mut steps = Vec::new();
        for (db, conn) in dbs.iter().zip(conns.iter_mut()) {
            let name = several::name_of(db);
            let migrator = db.migrator();
            if args.from_diesel {
                let taken = migrator.take_over_diesel(conn).map_err(|e| failed(db, e))?;
                let rows = migrator.current(conn).map_err(|e| failed(db, e))?;
                let note = match taken {
                    Some(_) => "taken over from diesel_migrations, no SQL ran",
                    None => "already taken over from diesel_migrations",
                };
                output::message(&format!(
                    "{name}: database at {} ({note})\n",
                    paint(&db.revisions(&rows), Style::Bold, colour)
                ));
            } else if args.dry_run {
                let target = args.target.as_deref().unwrap_or("heads");
                let rows = migrator.current(conn).map_err(|e| failed(db, e))?;
                let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
                let plan = db
                    .project()
                    .graph()
                    .plan_stamp(&rows, target, args.purge)
                    .map_err(|e| failed(db, e.into()))?;
                if plan.is_empty() && !args.purge {
                    output::message(&format!(
                        "{name}: database at {} (nothing to stamp)\n",
                        db.revisions(&plan.heads_before)
                    ));
                }
                match args.format {
                    Format::Json => steps.push(serde_json::json!({
                        "database": name,
                        "steps": plan.steps.iter().map(crate::json::StepJson::new).collect::<Vec<_>>(),
                    })),
                    Format::Text => plans.push_str(&several::prefixed(
                        name,
                        &super::upgrade::render_plan(&plan, Format::Text)?,
                    )),
                }
            } else {
                let accepted = migrator.accept_changes(conn).map_err(|e| failed(db, e))?;
                if !accepted.is_empty() {
                    output::message(&format!(
                        "{name}: recorded the current files of {} as applied\n",
                        accepted.join(", ")
                    ));
                }
            }
        }
        if args.from_diesel {
            return Ok(String::new());
        }
        if args.dry_run {
            return match args.format {
                Format::Json => crate::json::render(&steps),
                Format::Text => Ok(plans),
            };
        }
    }
    let target = args.target.as_deref().unwrap_or("heads");
    let lock = std::sync::Mutex::new(String::new());
    let mut tracked = several::track(dbs, &mut conns, &lock);
    let migrator = first.migrator();
    let reports = several::coordinator(&migrator, dbs, &mut tracked)
        .stamp_blocking(target, args.purge)
        .map_err(|e| several::run_error(dbs, &e))?;
    for ((name, report), db) in reports.iter().zip(dbs) {
        output::message(&format!(
            "{name}: database at {} (stamped, no SQL ran)\n",
            paint(&db.revisions(&report.heads_after), Style::Bold, colour)
        ));
    }
    match args.format {
        Format::Json => crate::json::render(
            &reports
                .iter()
                .map(|(name, report)| crate::json::DatabaseReportJson {
                    database: name,
                    report: crate::json::ReportJson::new(report),
                })
                .collect::<Vec<_>>(),
        ),
        Format::Text => Ok(String::new()),
    }
}
