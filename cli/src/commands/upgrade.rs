//! `aludel upgrade TARGET`: apply revisions (Alembic's `upgrade`). [`migrate`] also runs
//! `downgrade`, which differs only in direction.

use aludel::{Direction, MigrationConnection, Plan};

use crate::cli::{Format, MigrateArgs};
use crate::database::{connect, with_conn, Access, Database, DatabaseError};
use crate::error::CliError;
use crate::json::{self, ReportJson, StepJson};
use crate::output::{self, paint, ProgressPrinter, Style};
use crate::project::Project;

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
pub fn run(project: &Project, args: &MigrateArgs) -> Result<String, CliError> {
    migrate(project, args, Direction::Upgrade)
}

/// An upgrade or downgrade (see [`run`] and [`super::downgrade::run`]).
pub fn migrate(
    project: &Project,
    args: &MigrateArgs,
    direction: Direction,
) -> Result<String, CliError> {
    let db = Database::new(project, &args.database)?;
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
            let mut text = format!(
                "{} downgrade {target} reverts revisions of more than one branch:\n",
                paint("note:", Style::Warning, colour)
            );
            for step in &plan.steps {
                text.push_str(&format!("  {}\n", output::step_line(step, colour)));
            }
            output::message(&text);
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
