//! `--targets FILE`: one history over a fleet of databases, through the library's
//! [`aludel::Fleet`]: `upgrade TARGET --targets`, `current --targets`, `check --targets`.
//!
//! The list holds one target per line, a database URL optionally followed by `schema=NAME`
//! (see [`aludel::FleetTarget::parse_list`]); every URL is read before anything connects, and
//! a list with a line aludel cannot read changes nothing. Each target is migrated as `aludel
//! upgrade` migrates one database, at most `--parallel N` at a time. On a terminal stderr shows
//! a progress bar (targets done, failed, rate, time left); elsewhere a line per finished
//! target. stdout gets the report: a line per target in the list's order, then a summary, or
//! with `--format json` an array with an object per target:
//!
//! ```text
//! [
//!   {
//!     "target": "postgres://app:***@db/saas schema=acme",
//!     "schema": "acme",
//!     "status": "applied",
//!     "error": null,
//!     "applied": ["3f2a9c1b7d4e", "9c0de4ab12ff"],
//!     "current": ["9c0de4ab12ff"],
//!     "pending": [],
//!     "duration_ms": 41.2
//!   }
//! ]
//! ```
//!
//! `status` is `applied`, `up_to_date`, `failed` or `not_started` (`pending` for `current`
//! and `check`). The exit code is 0 only when every target is at the target revision (at the
//! heads for `check`). Ctrl-C stops starting targets, lets each running one finish the
//! revision it is in, and reports; a second Ctrl-C quits at once.

use std::collections::HashMap;
use std::io::{IsTerminal, Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use aludel::{FleetEvent, FleetReport, FleetTarget, TargetStatus};
use serde::Serialize;

use crate::cli::{CheckArgs, CurrentArgs, DatabaseArgs, Format, MigrateArgs, TargetsArgs};
use crate::database::{connect, Access, Conn, Database, DatabaseError, DatabaseUrl};
use crate::error::CliError;
use crate::json;
use crate::output::{self, paint, Style};
use crate::project::Project;

/// What the fleet does on each target.
#[derive(Debug, Clone, Copy)]
pub enum Action<'t> {
    /// `upgrade TARGET --targets`.
    Upgrade(&'t str),
    /// `current --targets`: where each target is.
    Current,
    /// `check --targets`: exit 1 unless every target is at the heads.
    Check,
}

/// The fleet options of a command.
#[derive(Debug, Clone, Copy)]
pub struct Settings<'s> {
    /// `--targets` and `--parallel`.
    pub targets: &'s TargetsArgs,
    /// `--continue-on-error` (upgrade; the read-only commands read every target).
    pub continue_on_error: bool,
    /// `--canary K`.
    pub canary: Option<usize>,
    /// `--format`.
    pub format: Format,
}

/// `upgrade TARGET --targets FILE` (see the module docs).
pub fn upgrade(project: &Project, args: &MigrateArgs, cwd: &Path) -> Result<String, CliError> {
    for (given, option) in [(args.sql, "--sql"), (args.dry_run, "--dry-run")] {
        if given {
            return Err(DatabaseError::FleetWith { option }.into());
        }
    }
    let settings = Settings {
        targets: &args.fleet,
        continue_on_error: args.continue_on_error,
        canary: args.canary,
        format: args.format,
    };
    run(
        project,
        &args.database,
        settings,
        Action::Upgrade(&args.target),
        cwd,
    )
}

/// `current --targets FILE`: where each target is.
pub fn current(project: &Project, args: &CurrentArgs, cwd: &Path) -> Result<String, CliError> {
    if args.verbose {
        return Err(DatabaseError::FleetWith {
            option: "--verbose",
        }
        .into());
    }
    let settings = Settings {
        targets: &args.fleet,
        continue_on_error: true,
        canary: None,
        format: args.output.format,
    };
    run(project, &args.database, settings, Action::Current, cwd)
}

/// `check --targets FILE`: exit 1 unless every target is at the heads.
pub fn check(project: &Project, args: &CheckArgs, cwd: &Path) -> Result<String, CliError> {
    if args.schema.is_some() {
        return Err(DatabaseError::FleetWith { option: "--schema" }.into());
    }
    let settings = Settings {
        targets: &args.fleet,
        continue_on_error: true,
        canary: None,
        format: args.format,
    };
    run(project, &args.database, settings, Action::Check, cwd)
}

/// Runs `action` on every target of `--targets` and returns the report for stdout; a run
/// that leaves a target short of where it was meant to be returns
/// [`CliError::WithOutput`] (the report, then the summary as the error).
pub fn run(
    project: &Project,
    database: &DatabaseArgs,
    settings: Settings<'_>,
    action: Action<'_>,
    cwd: &Path,
) -> Result<String, CliError> {
    let Some(spec) = settings.targets.targets.as_deref() else {
        return Ok(String::new());
    };
    let dbs = Database::select(project, database)?;
    let db = match dbs.as_slice() {
        [db] => db,
        _ => return Err(DatabaseError::FleetOfSeveral.into()),
    };
    if matches!(action, Action::Upgrade(_)) {
        db.require_runnable()?;
    }
    let targets = read_targets(spec, cwd)?;
    let access = match action {
        Action::Upgrade(_) => Access::ReadWrite,
        Action::Current | Action::Check => Access::ReadOnly,
    };
    let urls: HashMap<String, DatabaseUrl> = {
        let mut urls = HashMap::new();
        let mut problems = Vec::new();
        for target in &targets {
            if urls.contains_key(&target.url) {
                continue;
            }
            match DatabaseUrl::parse(&target.url, cwd) {
                Ok(parsed) => {
                    urls.insert(target.url.clone(), parsed);
                }
                Err(error) => problems.push(format!("{target}: {error}")),
            }
        }
        if !problems.is_empty() {
            return Err(CliError::Targets {
                spec: shown_spec(spec),
                message: aludel_graph::list_some(&problems, "; "),
            });
        }
        urls
    };
    let connector = |url: &str| -> Result<Conn, String> {
        let Some(parsed) = urls.get(url) else {
            return Err("not in the list of targets".to_string());
        };
        connect(parsed, access).map_err(|error| match error {
            DatabaseError::Connect { reason, .. } => reason,
            other => other.to_string(),
        })
    };
    let meter = Meter::new(targets.len());
    let show = |event: FleetEvent<'_>| meter.show(event);
    let stop = crate::interrupt::stop_flag();
    let migrator = db.migrator();
    let fleet = migrator
        .fleet(targets)
        .parallel(usize::from(settings.targets.parallel))
        .continue_on_error(settings.continue_on_error || !matches!(action, Action::Upgrade(_)))
        .canary(settings.canary.unwrap_or(0))
        .with_stop(stop)
        .with_progress(&show);
    let report = match action {
        Action::Upgrade("heads") => fleet.run_pending_with(connector),
        Action::Upgrade(to) => fleet.upgrade_with(to, connector),
        Action::Current | Action::Check => fleet.current_with(connector),
    };
    meter.finish();
    let out = match settings.format {
        Format::Json => json::render(
            &report
                .targets
                .iter()
                .map(TargetJson::new)
                .collect::<Vec<_>>(),
        )?,
        Format::Text => text_report(&report),
    };
    let short = match action {
        Action::Current => {
            report.count(TargetStatus::Failed) + report.count(TargetStatus::NotStarted)
        }
        Action::Upgrade(_) | Action::Check => {
            report.targets.len()
                - report.count(TargetStatus::Applied)
                - report.count(TargetStatus::UpToDate)
        }
    };
    if short == 0 {
        return Ok(out);
    }
    Err(CliError::WithOutput {
        stdout: out,
        message: summary_error(&report, action),
    })
}

/// The targets of `spec`: a file, or stdin for `-`.
fn read_targets(spec: &str, cwd: &Path) -> Result<Vec<FleetTarget>, CliError> {
    let text = if spec == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| CliError::Targets {
                spec: shown_spec(spec),
                message: format!("cannot read it: {e}"),
            })?;
        text
    } else {
        std::fs::read_to_string(cwd.join(spec)).map_err(|e| CliError::Targets {
            spec: shown_spec(spec),
            message: format!("cannot read it: {e}"),
        })?
    };
    let targets = FleetTarget::parse_list(&text).map_err(|e| CliError::Targets {
        spec: shown_spec(spec),
        message: match e {
            aludel::Error::InvalidTargets { problems } => aludel_graph::list_some(&problems, "; "),
            other => other.to_string(),
        },
    })?;
    if targets.is_empty() {
        return Err(CliError::Targets {
            spec: shown_spec(spec),
            message: "it names no target (one per line: a database URL, optionally followed by schema=NAME)".to_string(),
        });
    }
    Ok(targets)
}

/// `spec` as messages name it.
fn shown_spec(spec: &str) -> String {
    if spec == "-" {
        "from stdin".to_string()
    } else {
        format!("file {spec}")
    }
}

/// The report as text: a line per target, then the summary.
fn text_report(report: &FleetReport) -> String {
    let mut out = String::new();
    for target in &report.targets {
        let current = || {
            output::revisions(
                &target
                    .current
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>(),
            )
        };
        let line = match target.status {
            TargetStatus::Applied => format!(
                "applied {} ({}), at {}",
                count(target.applied.len(), "revision"),
                ids(&target
                    .applied
                    .iter()
                    .map(|c| c.revision.as_str())
                    .collect::<Vec<_>>()),
                current()
            ),
            TargetStatus::UpToDate => format!("up to date, at {}", current()),
            TargetStatus::Pending => format!(
                "at {}, {} pending ({})",
                current(),
                count(target.pending.len(), "revision"),
                ids(&target
                    .pending
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>())
            ),
            TargetStatus::Failed => format!(
                "failed: {}",
                target
                    .error
                    .as_ref()
                    .map(|e| e.to_string())
                    .unwrap_or_default()
            ),
            _ => "not started".to_string(),
        };
        out.push_str(&format!("{}: {line}\n", target.target));
    }
    out.push_str(&summary(report));
    out.push('\n');
    out
}

/// `N targets in 2.31 s: 3 applied, 1 up to date, ...`.
fn summary(report: &FleetReport) -> String {
    let parts: Vec<String> = [
        TargetStatus::Applied,
        TargetStatus::UpToDate,
        TargetStatus::Pending,
        TargetStatus::Failed,
        TargetStatus::NotStarted,
    ]
    .into_iter()
    .filter_map(|status| {
        let n = report.count(status);
        (n > 0).then(|| format!("{n} {}", status.as_str().replace('_', " ")))
    })
    .collect();
    format!(
        "{} in {}: {}{}",
        count(report.targets.len(), "target"),
        output::duration(report.duration),
        parts.join(", "),
        if report.stopped {
            " (stopped by Ctrl-C)"
        } else {
            ""
        }
    )
}

/// The error of a run that left targets behind.
fn summary_error(report: &FleetReport, action: Action<'_>) -> String {
    let failed = report.count(TargetStatus::Failed);
    let not_started = report.count(TargetStatus::NotStarted);
    let pending = report.count(TargetStatus::Pending);
    let mut parts = Vec::new();
    if failed > 0 {
        parts.push(format!("{failed} failed"));
    }
    if pending > 0 {
        parts.push(format!("{pending} not at the heads"));
    }
    if not_started > 0 {
        parts.push(format!("{not_started} not started"));
    }
    let head = format!(
        "of {}, {}",
        count(report.targets.len(), "target"),
        parts.join(", ")
    );
    match action {
        Action::Upgrade(_) => format!(
            "{head}: fix what failed and run the same list again (each target continues from its own version table; those at head cost one query)"
        ),
        Action::Current | Action::Check => head,
    }
}

/// `1 revision`, `3 revisions`.
fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// Ids, at most ten and a count of the rest.
fn ids(ids: &[&str]) -> String {
    aludel_graph::list_some(ids, ", ")
}

/// `7s`, `3m 07s`, `2h 05m`.
fn whole_seconds(seconds: f64) -> String {
    let s = seconds.max(0.0) as u64;
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m {:02}s", s / 60, s % 60),
        _ => format!("{}h {:02}m", s / 3600, (s % 3600) / 60),
    }
}

/// One target of `--format json`.
#[derive(Debug, Serialize)]
struct TargetJson {
    /// The target as its line names it, the password masked.
    target: String,
    /// Its schema, if the line names one.
    schema: Option<String>,
    /// `applied`, `up_to_date`, `pending`, `failed` or `not_started`.
    status: &'static str,
    /// Why it failed.
    error: Option<String>,
    /// The revisions this run applied, in order (on a failed target, those before the
    /// failure).
    applied: Vec<String>,
    /// The version table's rows at the end (empty where unknown).
    current: Vec<String>,
    /// The revisions an upgrade to the heads would apply (`current`, `check`).
    pending: Vec<String>,
    /// How long the target took.
    duration_ms: f64,
}

impl TargetJson {
    fn new(report: &aludel::TargetReport) -> Self {
        TargetJson {
            target: report.target.to_string(),
            schema: report.target.schema.clone(),
            status: report.status.as_str(),
            error: report.error.as_ref().map(|e| e.to_string()),
            applied: report.applied.iter().map(|c| c.revision.clone()).collect(),
            current: report.current.clone(),
            pending: report.pending.clone(),
            duration_ms: (report.duration.as_secs_f64() * 1000.0 * 10.0).round() / 10.0,
        }
    }
}

/// The progress on stderr: a bar redrawn in place on a terminal, else a line per finished
/// target.
struct Meter {
    total: usize,
    done: AtomicUsize,
    failed: AtomicUsize,
    started: Instant,
    terminal: bool,
    colour: bool,
    drawn: Mutex<Option<Instant>>,
}

impl Meter {
    fn new(total: usize) -> Meter {
        Meter {
            total,
            done: AtomicUsize::new(0),
            failed: AtomicUsize::new(0),
            started: Instant::now(),
            terminal: std::io::stderr().is_terminal(),
            colour: output::colour_stderr(),
            drawn: Mutex::new(None),
        }
    }

    fn show(&self, event: FleetEvent<'_>) {
        let FleetEvent::Finished { report, .. } = event else {
            return;
        };
        let done = self.done.fetch_add(1, Ordering::SeqCst) + 1;
        if report.status == TargetStatus::Failed {
            self.failed.fetch_add(1, Ordering::SeqCst);
        }
        let mut drawn = self.drawn.lock().unwrap_or_else(|p| p.into_inner());
        let mut stderr = std::io::stderr().lock();
        if self.terminal {
            let due = drawn.is_none_or(|at| at.elapsed() >= Duration::from_millis(100));
            if due || done == self.total {
                let _ = write!(stderr, "\r\x1b[2K{}", self.bar(done));
                let _ = stderr.flush();
                *drawn = Some(Instant::now());
            }
        } else {
            let status = match report.status {
                TargetStatus::Failed => paint("failed", Style::Error, self.colour),
                other => other.as_str().replace('_', " "),
            };
            let _ = writeln!(
                stderr,
                "[{done}/{}] {}: {status}",
                self.total, report.target
            );
        }
    }

    /// `[=======       ] 412/1000 done, 3 failed, 87.1/s, 7s left`.
    fn bar(&self, done: usize) -> String {
        const WIDTH: usize = 24;
        let filled = (done * WIDTH) / self.total.max(1);
        let elapsed = self.started.elapsed().as_secs_f64();
        let rate = if elapsed > 0.0 {
            done as f64 / elapsed
        } else {
            0.0
        };
        let left = if done == self.total {
            format!("took {}", output::duration(self.started.elapsed()))
        } else if rate > 0.0 {
            format!(
                "{} left",
                whole_seconds(((self.total - done) as f64 / rate).ceil())
            )
        } else {
            "? left".to_string()
        };
        let failed = self.failed.load(Ordering::SeqCst);
        let failed = if failed > 0 {
            paint(&format!("{failed} failed"), Style::Error, self.colour)
        } else {
            "0 failed".to_string()
        };
        format!(
            "[{}{}] {done}/{} done, {failed}, {rate:.1}/s, {left}",
            "=".repeat(filled),
            " ".repeat(WIDTH - filled),
            self.total
        )
    }

    fn finish(&self) {
        if self.terminal && self.done.load(Ordering::SeqCst) > 0 {
            let _ = writeln!(std::io::stderr());
        }
    }
}
