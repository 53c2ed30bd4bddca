//! `aludel upgrade TARGET`: apply revisions (Alembic's `upgrade`). [`migrate`] also runs
//! `downgrade`, which differs only in direction.

use aludel::{Direction, MigrationConnection, Plan};

use crate::cli::{Format, MigrateArgs};
use crate::database::{connect, with_conn, Access, Database, DatabaseError};
use crate::error::CliError;
use crate::json::{self, ReportJson, StepJson};
use crate::output::{self, paint, ProgressPrinter, Style};
use crate::project::Project;
use crate::several;

/// Upgrades the database to `TARGET`, one stderr line per revision with its duration, then
/// `database at <heads>`:
///
/// ```text
/// upgrade <base> -> 3f2a9c1b7d4e, create users ... 12.3 ms
/// upgrade 3f2a9c1b7d4e -> 9c0de4ab12ff, add user email ... 4.1 ms
/// database at 9c0de4ab12ff
/// ```
///
/// `--sql` prints the offline script (`TARGET` or `from:to`) to stdout without connecting;
/// `--dry-run` prints the plan to stdout and changes nothing; `--format json` prints the plan
/// (with `--dry-run`) or the run's report as JSON on stdout.
///
/// In a project of several databases (`[databases.<name>]`), every database is migrated
/// (or the one `--database NAME` names) by the library's coordinator, revision by revision
/// across the databases in aludel.toml's order (a downgrade in the reverse order), each line
/// prefixed with the database's name:
///
/// ```text
/// main: upgrade <base> -> 3f2a9c1b7d4e, create users ... 12.3 ms
/// analytics: upgrade <base> -> 3f2a9c1b7d4e, create users ... 8.0 ms
/// main: database at 3f2a9c1b7d4e
/// analytics: database at 3f2a9c1b7d4e
/// ```
///
/// `--sql` prints one script per database, each headed `-- database: <name>`; `--dry-run`
/// prints each database's plan, its lines prefixed with the name; JSON is an array with an
/// object per database: `{"database": name, ...}` (the report's or plan's fields, `steps`).
/// A failure names the database and those ahead of it; running again continues each one from
/// where it stands.
pub fn run(project: &Project, args: &MigrateArgs) -> Result<String, CliError> {
    migrate(project, args, Direction::Upgrade)
}

/// An upgrade or downgrade (see [`run`] and [`super::downgrade::run`]).
pub fn migrate(
    project: &Project,
    args: &MigrateArgs,
    direction: Direction,
) -> Result<String, CliError> {
    let dbs = Database::select(project, &args.database)?;
    if several::is_several(&dbs) {
        return migrate_several(&dbs, args, direction);
    }
    let Some(db) = dbs.into_iter().next() else {
        return Err(DatabaseError::NoUrl.into());
    };
    // A plan (--dry-run) runs nothing; applying and --sql need the revisions' code.
    if !args.dry_run {
        db.require_runnable()?;
    }
    if args.sql {
        let dialect = match (args.dialect, db.url()) {
            (Some(dialect), _) => dialect,
            (None, Some((url, _))) => url.dialect(),
            (None, None) => return Err(DatabaseError::DialectRequired.into()),
        };
        return db
            .migrator()
            .sql(dialect, direction, &args.target)
            .map_err(|e| db.run_error(&e).into());
    }
    if args.target.contains(':') {
        return Err(DatabaseError::RangeNeedsSql {
            target: args.target.clone(),
        }
        .into());
    }
    let access = if args.dry_run {
        Access::ReadOnly
    } else {
        Access::ReadWrite
    };
    let mut conn = connect(db.require_url()?, access)?;
    with_conn!(&mut conn, c => migrate_on(c, &db, args, direction))
}

fn migrate_on<C: MigrationConnection>(
    conn: &mut C,
    db: &Database<'_>,
    args: &MigrateArgs,
    direction: Direction,
) -> Result<String, CliError> {
    let colour = output::colour_stderr();
    let word = match direction {
        Direction::Upgrade => "upgrade",
        Direction::Downgrade => "downgrade",
    };
    let target = args.target.as_str();
    let migrator = db.migrator();
    if args.dry_run || direction == Direction::Downgrade {
        let plan = migrator
            .plan(conn, direction, target)
            .map_err(|e| db.run_error(&e))?;
        if args.dry_run {
            if plan.is_empty() {
                output::message(&format!(
                    "database at {} (nothing to {word})\n",
                    db.revisions(&plan.heads_before)
                ));
            }
            return render_plan(&plan, args.format);
        }
        if crosses_branches(db.project(), &plan, target) {
            cross_branch_note("", target, &plan, colour);
        }
    }
    let printer = ProgressPrinter::new(colour);
    let show = |event: aludel::Progress<'_>| printer.show(event);
    let migrator = migrator.with_progress(&show);
    let result = match direction {
        Direction::Upgrade => migrator.upgrade(conn, target),
        Direction::Downgrade => migrator.downgrade(conn, target),
    };
    let report = result.map_err(|e| {
        printer.failed();
        db.run_error(&e)
    })?;
    let note = if report.is_empty() {
        format!(" (nothing to {word})")
    } else {
        String::new()
    };
    output::message(&format!(
        "database at {}{note}\n",
        paint(&db.revisions(&report.heads_after), Style::Bold, colour)
    ));
    match args.format {
        Format::Json => json::render(&ReportJson::new(&report)),
        Format::Text => Ok(String::new()),
    }
}

/// [`migrate`] on the named databases of a project of several.
fn migrate_several(
    dbs: &[Database<'_>],
    args: &MigrateArgs,
    direction: Direction,
) -> Result<String, CliError> {
    let Some(first) = dbs.first() else {
        return Ok(String::new());
    };
    if !args.dry_run {
        first.require_runnable()?;
    }
    if args.sql {
        let mut out = String::new();
        for db in dbs {
            let dialect = match (args.dialect, db.url()) {
                (Some(dialect), _) => dialect,
                (None, Some((url, _))) => url.dialect(),
                (None, None) => {
                    return Err(DatabaseError::Member {
                        name: several::name_of(db).to_string(),
                        source: Box::new(DatabaseError::DialectRequired),
                    }
                    .into())
                }
            };
            let script = db
                .migrator()
                .sql(dialect, direction, &args.target)
                .map_err(|e| db.run_error(&e))?;
            if !out.is_empty() && !out.ends_with("\n\n") {
                out.push('\n');
            }
            out.push_str(&format!("-- database: {}\n", several::name_of(db)));
            out.push_str(&script);
        }
        return Ok(out);
    }
    if args.target.contains(':') {
        return Err(DatabaseError::RangeNeedsSql {
            target: args.target.clone(),
        }
        .into());
    }
    let access = if args.dry_run {
        Access::ReadOnly
    } else {
        Access::ReadWrite
    };
    let mut conns = several::connect_all(dbs, access)?;
    let colour = output::colour_stderr();
    let word = match direction {
        Direction::Upgrade => "upgrade",
        Direction::Downgrade => "downgrade",
    };
    let target = args.target.as_str();
    if args.dry_run || direction == Direction::Downgrade {
        let mut plans = Vec::with_capacity(dbs.len());
        for (db, conn) in dbs.iter().zip(conns.iter_mut()) {
            let plan = db
                .migrator()
                .plan(conn, direction, target)
                .map_err(|e| several::run_error(dbs, &named(db, e)))?;
            plans.push(plan);
        }
        if args.dry_run {
            let mut out = Vec::with_capacity(dbs.len());
            for (db, plan) in dbs.iter().zip(&plans) {
                let name = several::name_of(db);
                if plan.is_empty() {
                    output::message(&format!(
                        "{name}: database at {} (nothing to {word})\n",
                        db.revisions(&plan.heads_before)
                    ));
                }
                out.push((name, plan));
            }
            return match args.format {
                Format::Json => json::render(
                    &out.iter()
                        .map(|(name, plan)| json::DatabasePlanJson {
                            database: name,
                            steps: plan.steps.iter().map(StepJson::new).collect(),
                        })
                        .collect::<Vec<_>>(),
                ),
                Format::Text => Ok(out
                    .iter()
                    .flat_map(|(name, plan)| {
                        plan.steps.iter().map(move |step| {
                            format!("{name}: {}\n", output::step_line(step, false))
                        })
                    })
                    .collect()),
            };
        }
        for (db, plan) in dbs.iter().zip(&plans) {
            if crosses_branches(db.project(), plan, target) {
                let prefix = format!("{}: ", several::name_of(db));
                cross_branch_note(&prefix, target, plan, colour);
            }
        }
    }
    let printer = ProgressPrinter::new(colour);
    let current = std::sync::Mutex::new(String::new());
    let show = |event: aludel::Progress<'_>| {
        let name = current.lock().map(|n| n.clone()).unwrap_or_default();
        printer.show_prefixed(&format!("{name}: "), event);
    };
    let migrator = first.migrator().with_progress(&show);
    let mut tracked = several::track(dbs, &mut conns, &current);
    let set = several::coordinator(&migrator, dbs, &mut tracked);
    let result = match direction {
        Direction::Upgrade => set.upgrade_blocking(target),
        Direction::Downgrade => set.downgrade_blocking(target),
    };
    let reports = result.map_err(|e| {
        printer.failed();
        several::run_error(dbs, &e)
    })?;
    for ((name, report), db) in reports.iter().zip(dbs) {
        let note = if report.is_empty() {
            format!(" (nothing to {word})")
        } else {
            String::new()
        };
        output::message(&format!(
            "{name}: database at {}{note}\n",
            paint(&db.revisions(&report.heads_after), Style::Bold, colour)
        ));
    }
    match args.format {
        Format::Json => json::render(
            &reports
                .iter()
                .map(|(name, report)| json::DatabaseReportJson {
                    database: name,
                    report: ReportJson::new(report),
                })
                .collect::<Vec<_>>(),
        ),
        Format::Text => Ok(String::new()),
    }
}

/// A runtime error of one named database, as the coordinator reports them (it names the
/// database; none is ahead of it, since nothing ran).
pub(crate) fn named(db: &Database<'_>, error: aludel::Error) -> aludel::Error {
    aludel::Error::DatabaseFailed {
        database: several::name_of(db).to_string(),
        ahead: Vec::new(),
        source: Box::new(error),
    }
}

/// A plan on stdout: one line per step (`upgrade a1 -> b2, second`) or a JSON array.
pub(crate) fn render_plan(plan: &Plan<'_>, format: Format) -> Result<String, CliError> {
    match format {
        Format::Json => json::render(&plan.steps.iter().map(StepJson::new).collect::<Vec<_>>()),
        Format::Text => Ok(plan
            .steps
            .iter()
            .map(|step| format!("{}\n", output::step_line(step, false)))
            .collect()),
    }
}

/// Warns that a downgrade to `target` reverts revisions of more than one branch, listing the
/// plan's steps; `prefix` names the database in a project of several (else empty).
fn cross_branch_note(prefix: &str, target: &str, plan: &Plan<'_>, colour: bool) {
    let mut text = format!(
        "{} {prefix}downgrade {target} reverts revisions of more than one branch:\n",
        paint("note:", Style::Warning, colour)
    );
    for step in &plan.steps {
        text.push_str(&format!("  {}\n", output::step_line(step, colour)));
    }
    output::message(&text);
}

/// Whether a downgrade reaches beyond one branch: it reverts more than one of the current
/// heads, or (for `<label>@...`) revisions that the branch `label` does not cover, as
/// `<label>@base` does when the branch starts above a branch point (Alembic reverts what
/// other branches share with it, and their revisions above it).
fn crosses_branches(project: &Project, plan: &Plan<'_>, target: &str) -> bool {
    let reverted: Vec<&str> = plan
        .steps
        .iter()
        .filter_map(|s| s.revision)
        .map(|r| r.id.as_str())
        .collect();
    let heads = plan
        .heads_before
        .iter()
        .filter(|h| reverted.contains(h))
        .count();
    if heads > 1 {
        return true;
    }
    match target.split_once('@') {
        Some((label, _)) if project.graph().by_label(label).is_some() => reverted
            .iter()
            .any(|id| !project.graph().on_branch(id, label)),
        _ => false,
    }
}
