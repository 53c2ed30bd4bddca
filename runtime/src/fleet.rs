//! Fleets: one history over many databases of the same shape (a database, a SQLite file or a
//! PostgreSQL schema per tenant), migrated over a bounded number of connections.
//!
//! Each target is migrated on its own, as [`Migrator::run_pending`] migrates one database:
//! under its own lock, from its own version table. The fleet adds the schedule (at most
//! `parallel` connections, the canary targets first, stop at the first failure or go on) and a
//! report per target. Each target's version table is the truth about it, so a fleet run is
//! resumable by construction: running the same list again skips the targets at head with one
//! query each and finishes the rest.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use aludel_graph::Direction;

use crate::drive::complete;
use crate::drive::sync::MigrationConnection;
use crate::error::{one_line, Completed, Error};
use crate::run::{Migrator, Report};
use crate::url;

/// One database of a fleet: a connection URL and, on PostgreSQL, optionally the tenant's
/// schema (see [`crate::Options::tenant_schema`]).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct FleetTarget {
    /// The connection URL (a SQLite path, `postgres://...`, `mysql://...`).
    pub url: String,
    /// The tenant's schema (PostgreSQL): the version table and the revisions live in it.
    pub schema: Option<String>,
}

impl FleetTarget {
    /// The database at `url`.
    pub fn new(url: impl Into<String>) -> Self {
        FleetTarget {
            url: url.into(),
            schema: None,
        }
    }

    /// The tenant schema `schema` of the PostgreSQL database at the target's URL.
    #[must_use]
    pub fn with_schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = Some(schema.into());
        self
    }

    /// Reads a list of targets, one per line: a URL, optionally followed by `schema=NAME`.
    /// Blank lines are skipped; `#` starts a comment at the start of a line or after a space.
    ///
    /// ```
    /// let targets = aludel::FleetTarget::parse_list(
    ///     "# tenants\npostgres://app@db/saas schema=acme\npostgres://app@db/saas schema=globex  # EU\ntenants/initech.db\n",
    /// )
    /// .unwrap();
    /// assert_eq!(targets.len(), 3);
    /// assert_eq!(targets[1].schema.as_deref(), Some("globex"));
    /// assert_eq!(targets[2].to_string(), "tenants/initech.db");
    /// ```
    ///
    /// A line with anything else, an empty schema name, or a target that an earlier line
    /// already names is refused, with every such line listed (ten at most).
    pub fn parse_list(text: &str) -> Result<Vec<FleetTarget>, Error> {
        let mut targets: Vec<FleetTarget> = Vec::new();
        let mut first_line: std::collections::HashMap<FleetTarget, usize> =
            std::collections::HashMap::new();
        let mut problems = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let number = i + 1;
            let line = without_comment(line);
            let mut words = line.split_whitespace();
            let Some(url) = words.next() else {
                continue;
            };
            let mut target = FleetTarget::new(url);
            for word in words {
                match word.strip_prefix("schema=") {
                    Some("") => problems.push(format!("line {number}: `schema=` names no schema")),
                    Some(_) if target.schema.is_some() => {
                        problems.push(format!("line {number}: more than one `schema=`"))
                    }
                    Some(schema) if schema.len() > 63 || schema.contains('\0') => problems.push(
                        format!("line {number}: the schema name is not usable: give 1 to 63 characters, without NUL"),
                    ),
                    Some(schema) => target.schema = Some(schema.to_string()),
                    None => problems.push(format!(
                        "line {number}: `{}` is not `schema=NAME` (a target is a URL, optionally followed by schema=NAME)",
                        masked_word(word)
                    )),
                }
            }
            match first_line.get(&target) {
                Some(earlier) => {
                    problems.push(format!("line {number}: {target} is already line {earlier}"))
                }
                None => {
                    first_line.insert(target.clone(), number);
                    targets.push(target);
                }
            }
        }
        if problems.is_empty() {
            Ok(targets)
        } else {
            Err(Error::InvalidTargets { problems })
        }
    }
}

/// A word of a target's line (its URL included) as messages show it: [`url::mask`]ed, and
/// each URL inside it (after a `=`, say, or a second one) masked on its own.
fn masked_word(word: &str) -> String {
    // Where each URL starts: its scheme before each `://`.
    let mut starts = vec![0];
    let mut from = 0;
    while let Some(found) = word[from..].find("://") {
        let at = from + found;
        let start = word[..at]
            .char_indices()
            .rev()
            .find(|&(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
            .map_or(0, |(i, c)| i + c.len_utf8());
        if start > *starts.last().unwrap_or(&0) {
            starts.push(start);
        }
        from = at + 3;
    }
    starts.push(word.len());
    starts
        .windows(2)
        .map(|w| url::mask(&word[w[0]..w[1]]))
        .collect()
}

/// `line` up to a `#` at its start or after whitespace.
fn without_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    let end = (0..bytes.len())
        .find(|&i| bytes[i] == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()))
        .unwrap_or(bytes.len());
    &line[..end]
}

/// The URL with its password masked, so that a logged report shows none.
impl fmt::Debug for FleetTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FleetTarget")
            .field("url", &masked_word(&self.url))
            .field("schema", &self.schema.as_deref().map(masked_word))
            .finish()
    }
}

/// The URL with its password masked, and ` schema=NAME`.
impl fmt::Display for FleetTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&masked_word(&self.url))?;
        if let Some(schema) = &self.schema {
            write!(f, " schema={}", masked_word(schema))?;
        }
        Ok(())
    }
}

/// Where a target stands after a fleet run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TargetStatus {
    /// The run applied revisions, and the target is at the run's target.
    Applied,
    /// Nothing was pending.
    UpToDate,
    /// Revisions are pending (a read-only [`Fleet::current`]).
    Pending,
    /// The target failed: its error says why, and the revisions it completed stay applied.
    Failed,
    /// The run stopped before it reached the target.
    NotStarted,
}

impl TargetStatus {
    /// `applied`, `up_to_date`, `pending`, `failed` or `not_started`.
    pub fn as_str(self) -> &'static str {
        match self {
            TargetStatus::Applied => "applied",
            TargetStatus::UpToDate => "up_to_date",
            TargetStatus::Pending => "pending",
            TargetStatus::Failed => "failed",
            TargetStatus::NotStarted => "not_started",
        }
    }

    /// True where the target is where the run meant it to be.
    pub fn is_done(self) -> bool {
        matches!(self, TargetStatus::Applied | TargetStatus::UpToDate)
    }
}

impl fmt::Display for TargetStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a fleet run did on one target.
#[derive(Debug)]
#[non_exhaustive]
pub struct TargetReport {
    /// The target.
    pub target: FleetTarget,
    /// Where it stands.
    pub status: TargetStatus,
    /// The revisions this run applied on it, in order (on a failed target, those it completed
    /// before the failure: they stay applied).
    pub applied: Vec<Completed>,
    /// The version table's rows at the end, where they are known (not for a failed or
    /// unstarted target).
    pub current: Vec<String>,
    /// The revisions an upgrade to the heads would apply ([`Fleet::current`]).
    pub pending: Vec<String>,
    /// Why it failed.
    pub error: Option<Error>,
    /// How long the target took, its connection included.
    pub duration: Duration,
}

impl TargetReport {
    fn new(target: FleetTarget, status: TargetStatus) -> Self {
        TargetReport {
            target,
            status,
            applied: Vec::new(),
            current: Vec::new(),
            pending: Vec::new(),
            error: None,
            duration: Duration::ZERO,
        }
    }

    fn failed(target: FleetTarget, error: Error) -> Self {
        let mut report = TargetReport::new(target, TargetStatus::Failed);
        report.applied = error.completed().to_vec();
        report.error = Some(error);
        report
    }
}

/// What a fleet run did: a report per target, in the order of the targets.
#[derive(Debug)]
#[non_exhaustive]
pub struct FleetReport {
    /// One report per target, in the order the targets were given.
    pub targets: Vec<TargetReport>,
    /// Whether the run was stopped on request ([`Fleet::with_stop`]).
    pub stopped: bool,
    /// How long the run took.
    pub duration: Duration,
}

impl FleetReport {
    /// True when every target is where the run meant it to be (applied or up to date).
    pub fn all_done(&self) -> bool {
        self.targets.iter().all(|t| t.status.is_done())
    }

    /// How many targets have `status`.
    pub fn count(&self, status: TargetStatus) -> usize {
        self.targets.iter().filter(|t| t.status == status).count()
    }
}

/// What a fleet reports while it runs, to the reporter given to [`Fleet::with_progress`].
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum FleetEvent<'e> {
    /// A target is about to be migrated (its connection opened or reused).
    Started {
        /// Its position in the list.
        index: usize,
        /// The target.
        target: &'e FleetTarget,
    },
    /// A target is done.
    Finished {
        /// Its position in the list.
        index: usize,
        /// What happened to it.
        report: &'e TargetReport,
    },
}

/// What a fleet run does on each target.
#[derive(Debug, Clone, Copy)]
enum Action<'t> {
    /// Upgrade to the heads, with the one-query check first.
    Heads,
    /// Upgrade to a target of Alembic's grammar.
    Upgrade(&'t str),
    /// Read where the target stands.
    Current,
}

/// One history over many databases: made by [`Migrator::fleet`] (or
/// [`Migrations::fleet`](crate::Migrations::fleet)), then run with [`Fleet::run_pending`],
/// [`Fleet::upgrade`] or [`Fleet::current`].
///
/// ```
/// # #[cfg(feature = "sqlite")] {
/// static MIGRATIONS: aludel::Migrations = aludel::embed_migrations!("../migrations/versions");
///
/// let dir = std::env::temp_dir().join(format!("aludel-fleet-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let targets: Vec<_> = (0..4)
///     .map(|i| aludel::FleetTarget::new(dir.join(format!("tenant{i}.db")).display().to_string()))
///     .collect();
/// let migrator = MIGRATIONS.migrator();
/// let report = migrator.fleet(targets.clone()).parallel(2).run_pending();
/// assert!(report.all_done());
/// assert_eq!(report.count(aludel::TargetStatus::Applied), 4);
/// // Running again finds every tenant at head, with one query each.
/// let again = migrator.fleet(targets).parallel(2).run_pending();
/// assert_eq!(again.count(aludel::TargetStatus::UpToDate), 4);
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # }
/// ```
///
/// The targets run on `parallel` workers (threads for blocking connections, futures polled
/// side by side on the caller's task for async ones), each with one connection of its own,
/// never more: a connection is reused for the next target of the same URL (the schemas of one
/// database, up to 200 of them, after which it is replaced: a PostgreSQL backend grows with the
/// schemas it touches) and closed after a target fails or when the next target is elsewhere. Every
/// setting a target needs (the search path of a tenant schema) lasts for a transaction only,
/// so nothing carries from one tenant to the next.
pub struct Fleet<'a> {
    migrator: Migrator<'a>,
    targets: Vec<FleetTarget>,
    parallel: usize,
    continue_on_error: bool,
    canary: usize,
    stop: Option<&'a AtomicBool>,
    progress: Option<&'a (dyn Fn(FleetEvent<'_>) + Sync)>,
}

impl<'a> Migrator<'a> {
    /// A fleet of `targets` migrated with this migrator's history and options (one
    /// connection, stop at the first failure, no canary; see the setters).
    pub fn fleet(&self, targets: impl IntoIterator<Item = FleetTarget>) -> Fleet<'a> {
        Fleet {
            migrator: self.clone(),
            targets: targets.into_iter().collect(),
            parallel: 1,
            continue_on_error: false,
            canary: 0,
            stop: None,
            progress: None,
        }
    }
}

impl<'a> Fleet<'a> {
    /// Migrates up to `n` targets at once, over at most `n` connections (at least one).
    #[must_use]
    pub fn parallel(mut self, n: usize) -> Self {
        self.parallel = n.max(1);
        self
    }

    /// Goes on past a failed target (by default no new target starts once one fails; those
    /// running finish).
    #[must_use]
    pub fn continue_on_error(mut self, yes: bool) -> Self {
        self.continue_on_error = yes;
        self
    }

    /// Migrates the first `k` targets first; if one of them fails, no other target starts,
    /// whatever [`Fleet::continue_on_error`] says.
    #[must_use]
    pub fn canary(mut self, k: usize) -> Self {
        self.canary = k;
        self
    }

    /// Stops once `stop` is set (by a Ctrl-C handler, say): no new target starts, and each
    /// running target stops after the revision it is running, which commits (see
    /// [`Migrator::with_stop`]). The report says where each target stands.
    #[must_use]
    pub fn with_stop(mut self, stop: &'a AtomicBool) -> Self {
        self.stop = Some(stop);
        self
    }

    /// Calls `report` as each target starts and finishes, from the thread that migrates it.
    #[must_use]
    pub fn with_progress(mut self, report: &'a (dyn Fn(FleetEvent<'_>) + Sync)) -> Self {
        self.progress = Some(report);
        self
    }

    /// The targets.
    pub fn targets(&self) -> &[FleetTarget] {
        &self.targets
    }

    /// Applies every pending revision on every target, each checked first with the one query
    /// of [`Migrator::run_pending`], connecting with diesel's connection for the URL's scheme
    /// (`postgres://` or `postgresql://`, `mysql://` or `mariadb://`, else a SQLite path or
    /// `sqlite://` URL; each needs its backend's feature).
    pub fn run_pending(&self) -> FleetReport {
        self.blocking(Action::Heads, connect)
    }

    /// [`Fleet::run_pending`] with connections from `connect`, which opens a connection to a
    /// target's URL (its error's message is shown with the URL's password masked).
    pub fn run_pending_with<C, E>(
        &self,
        connect: impl Fn(&str) -> Result<C, E> + Sync,
    ) -> FleetReport
    where
        C: MigrationConnection + Send,
        E: fmt::Display,
    {
        self.blocking(Action::Heads, connect)
    }

    /// Upgrades every target to `target` (Alembic's grammar, as [`Migrator::upgrade`]).
    pub fn upgrade(&self, target: &str) -> FleetReport {
        self.blocking(Action::Upgrade(target), connect)
    }

    /// [`Fleet::upgrade`] with connections from `connect` (see [`Fleet::run_pending_with`]).
    pub fn upgrade_with<C, E>(
        &self,
        target: &str,
        connect: impl Fn(&str) -> Result<C, E> + Sync,
    ) -> FleetReport
    where
        C: MigrationConnection + Send,
        E: fmt::Display,
    {
        self.blocking(Action::Upgrade(target), connect)
    }

    /// Reads where every target stands, changing nothing: its version table's rows and the
    /// revisions an upgrade to the heads would apply ([`TargetStatus::UpToDate`] or
    /// [`TargetStatus::Pending`]).
    pub fn current(&self) -> FleetReport {
        self.blocking(Action::Current, connect_read_only)
    }

    /// [`Fleet::current`] with connections from `connect` (see [`Fleet::run_pending_with`]).
    pub fn current_with<C, E>(&self, connect: impl Fn(&str) -> Result<C, E> + Sync) -> FleetReport
    where
        C: MigrationConnection + Send,
        E: fmt::Display,
    {
        self.blocking(Action::Current, connect)
    }

    /// [`Fleet::run_pending`] on async connections (feature `async`): `connect` opens a
    /// diesel-async connection (or a pooled one) to a target's URL, and up to `parallel`
    /// targets are migrated at once as futures polled side by side on the caller's task, so
    /// no thread is started. Every rule is the sync run's: the one-query check, the canary, the
    /// stop, the report.
    ///
    /// ```no_run
    /// # #[cfg(feature = "async-postgres")]
    /// # async fn doc(migrator: aludel::Migrator<'_>, targets: Vec<aludel::FleetTarget>) {
    /// use diesel_async::{AsyncConnection, AsyncPgConnection};
    ///
    /// let report = migrator
    ///     .fleet(targets)
    ///     .parallel(8)
    ///     .run_pending_async(|url| async move { AsyncPgConnection::establish(&url).await })
    ///     .await;
    /// assert!(report.all_done());
    /// # }
    /// ```
    #[cfg(feature = "async")]
    pub async fn run_pending_async<C, E, Opening>(
        &self,
        connect: impl Fn(String) -> Opening + Sync,
    ) -> FleetReport
    where
        C: crate::AsyncMigrationConnection + Send,
        E: fmt::Display,
        Opening: Future<Output = Result<C, E>> + Send,
    {
        self.run_with(Action::Heads, &Awaiting(connect)).await
    }

    /// [`Fleet::upgrade`] on async connections (see [`Fleet::run_pending_async`]).
    #[cfg(feature = "async")]
    pub async fn upgrade_async<C, E, Opening>(
        &self,
        target: &str,
        connect: impl Fn(String) -> Opening + Sync,
    ) -> FleetReport
    where
        C: crate::AsyncMigrationConnection + Send,
        E: fmt::Display,
        Opening: Future<Output = Result<C, E>> + Send,
    {
        self.run_with(Action::Upgrade(target), &Awaiting(connect))
            .await
    }

    /// [`Fleet::current`] on async connections (see [`Fleet::run_pending_async`]).
    #[cfg(feature = "async")]
    pub async fn current_async<C, E, Opening>(
        &self,
        connect: impl Fn(String) -> Opening + Sync,
    ) -> FleetReport
    where
        C: crate::AsyncMigrationConnection + Send,
        E: fmt::Display,
        Opening: Future<Output = Result<C, E>> + Send,
    {
        self.run_with(Action::Current, &Awaiting(connect)).await
    }

    /// The run on blocking connections: each worker a thread of its own.
    fn blocking<C, E>(
        &self,
        action: Action<'_>,
        connect: impl Fn(&str) -> Result<C, E> + Sync,
    ) -> FleetReport
    where
        C: MigrationConnection + Send,
        E: fmt::Display,
    {
        complete(self.run_with(action, &Blocking(connect)))
    }

    fn stop_requested(&self) -> bool {
        self.stop.is_some_and(|s| s.load(Ordering::SeqCst))
    }

    /// The schedule, whichever way the connections talk: the canary targets first, stopping
    /// after them where one failed; then the rest.
    async fn run_with<K: Connector>(&self, action: Action<'_>, k: &K) -> FleetReport {
        let started = Instant::now();
        let slots: Vec<Mutex<Option<TargetReport>>> =
            self.targets.iter().map(|_| Mutex::new(None)).collect();
        let canary = self.canary.min(self.targets.len());
        let failed = AtomicBool::new(false);
        let first = Range {
            targets: 0..canary,
            next: AtomicUsize::new(0),
            halt_on_failure: true,
        };
        self.run_range(action, k, &first, &slots, &failed).await;
        let canary_failed = (0..canary).any(|i| {
            lock(&slots[i])
                .as_ref()
                .is_none_or(|r| r.status == TargetStatus::Failed)
        });
        if !canary_failed {
            let rest = Range {
                targets: canary..self.targets.len(),
                next: AtomicUsize::new(canary),
                halt_on_failure: !self.continue_on_error,
            };
            self.run_range(action, k, &rest, &slots, &failed).await;
        }
        let targets = slots
            .into_iter()
            .zip(&self.targets)
            .map(|(slot, target)| {
                slot.into_inner()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .unwrap_or_else(|| TargetReport::new(target.clone(), TargetStatus::NotStarted))
            })
            .collect();
        FleetReport {
            targets,
            stopped: self.stop_requested(),
            duration: started.elapsed(),
        }
    }

    /// Migrates the targets of `range` with up to `parallel` workers.
    async fn run_range<K: Connector>(
        &self,
        action: Action<'_>,
        k: &K,
        range: &Range,
        slots: &[Mutex<Option<TargetReport>>],
        failed: &AtomicBool,
    ) {
        if range.targets.is_empty() {
            return;
        }
        let workers = (0..self.parallel.min(range.targets.len()))
            .map(|_| self.worker(action, k, range, slots, failed))
            .collect();
        k.spread(workers).await;
    }

    /// One worker: takes the next target of `range` until none is left or the fleet halts,
    /// on one connection at a time.
    async fn worker<K: Connector>(
        &self,
        action: Action<'_>,
        k: &K,
        range: &Range,
        slots: &[Mutex<Option<TargetReport>>],
        failed: &AtomicBool,
    ) {
        let mut held: Option<Held<K::Conn>> = None;
        loop {
            if self.stop_requested() || (range.halt_on_failure && failed.load(Ordering::SeqCst)) {
                break;
            }
            let index = range.next.fetch_add(1, Ordering::SeqCst);
            if index >= range.targets.end {
                break;
            }
            let target = &self.targets[index];
            if let Some(progress) = self.progress {
                progress(FleetEvent::Started { index, target });
            }
            let report = self.visit(action, target, k, &mut held).await;
            if report.status == TargetStatus::Failed {
                failed.store(true, Ordering::SeqCst);
            }
            if let Some(progress) = self.progress {
                progress(FleetEvent::Finished {
                    index,
                    report: &report,
                });
            }
            *lock(&slots[index]) = Some(report);
        }
    }

    /// Migrates one target on the connection `held` (opened, or reused where it is to the
    /// same URL).
    async fn visit<K: Connector>(
        &self,
        action: Action<'_>,
        target: &FleetTarget,
        k: &K,
        held: &mut Option<Held<K::Conn>>,
    ) -> TargetReport {
        let started = Instant::now();
        if held
            .as_ref()
            .is_some_and(|h| h.url != target.url || h.served >= TARGETS_PER_CONNECTION)
        {
            *held = None;
        }
        if held.is_none() {
            match k.open(&target.url).await {
                Ok(conn) => {
                    *held = Some(Held {
                        url: target.url.clone(),
                        conn,
                        served: 0,
                    })
                }
                Err(message) => {
                    let (_, secrets) = url::mask_with_secrets(&target.url);
                    let message = url::scrub(&message, &secrets);
                    let mut report = TargetReport::failed(
                        target.clone(),
                        Error::Unreachable {
                            message: one_line(&message),
                        },
                    );
                    report.duration = started.elapsed();
                    return report;
                }
            }
        }
        let Some(Held { conn, served, .. }) = held.as_mut() else {
            unreachable!("a connection was just opened")
        };
        *served += 1;
        let mut options = self.migrator.options().clone();
        if let Some(schema) = &target.schema {
            options = options.tenant_schema(schema.clone());
        }
        let mut migrator = self.migrator.clone().with_options(options);
        if let Some(stop) = self.stop {
            migrator = migrator.with_stop(stop);
        }
        let mut report = match k.act(&migrator, action, conn).await {
            Ok(Done::Ran(run)) => {
                let status = if run.steps.is_empty() {
                    TargetStatus::UpToDate
                } else {
                    TargetStatus::Applied
                };
                let mut report = TargetReport::new(target.clone(), status);
                report.applied = run.steps;
                report.current = run.heads_after;
                report
            }
            Ok(Done::Read { current, pending }) => {
                let status = if pending.is_empty() {
                    TargetStatus::UpToDate
                } else {
                    TargetStatus::Pending
                };
                let mut report = TargetReport::new(target.clone(), status);
                report.current = current;
                report.pending = pending;
                report
            }
            // Stopped before its first revision: nothing of it ran.
            Err(Error::Interrupted { completed }) if completed.is_empty() => {
                TargetReport::new(target.clone(), TargetStatus::NotStarted)
            }
            Err(error) => TargetReport::failed(target.clone(), error),
        };
        if report.status == TargetStatus::Failed {
            // The connection may be gone (a killed backend): the next target opens its own.
            *held = None;
        }
        report.duration = started.elapsed();
        report
    }
}

/// How many targets one connection serves before its worker opens a new one. A PostgreSQL
/// backend keeps the catalog entries of every schema it has touched (about 100 KiB per tenant
/// of a 20-table history), so a connection that served every schema of a large database would
/// grow without bound; a new connection every so many tenants costs a connection set-up per
/// that many one-query checks.
const TARGETS_PER_CONNECTION: usize = 200;

/// A worker's connection: its URL and how many targets it has served.
struct Held<C> {
    url: String,
    conn: C,
    served: usize,
}

/// The targets a stage of the run migrates, and the next one to take.
struct Range {
    targets: std::ops::Range<usize>,
    next: AtomicUsize,
    /// No new target starts once one has failed.
    halt_on_failure: bool,
}

/// What an action did on one target.
enum Done {
    /// An upgrade's report.
    Ran(Report),
    /// Where a read found the target.
    Read {
        current: Vec<String>,
        pending: Vec<String>,
    },
}

/// How a fleet talks to its targets: opens connections, runs an action on one, and runs the
/// workers side by side.
trait Connector: Sync {
    /// A connection.
    type Conn: Send;
    /// Opens a connection to `url`; the error is the client's message.
    fn open(&self, url: &str) -> impl Future<Output = Result<Self::Conn, String>> + Send;
    /// Runs `action` on `conn`.
    fn act(
        &self,
        migrator: &Migrator<'_>,
        action: Action<'_>,
        conn: &mut Self::Conn,
    ) -> impl Future<Output = Result<Done, Error>> + Send;
    /// Runs the workers side by side, to their end.
    fn spread<F: Future<Output = ()> + Send>(&self, workers: Vec<F>) -> impl Future<Output = ()>;
}

/// What a read found: the rows and the revisions an upgrade to the heads would apply.
fn read(plan: &aludel_graph::Plan<'_>) -> Done {
    Done::Read {
        current: plan.heads_before.iter().map(|s| s.to_string()).collect(),
        pending: plan
            .steps
            .iter()
            .filter_map(|s| s.revision.map(|r| r.id.clone()))
            .collect(),
    }
}

/// Blocking connections from a function: each worker is a thread, each call runs to its end.
struct Blocking<F>(F);

impl<C, E, F> Connector for Blocking<F>
where
    C: MigrationConnection + Send,
    E: fmt::Display,
    F: Fn(&str) -> Result<C, E> + Sync,
{
    type Conn = C;

    fn open(&self, url: &str) -> impl Future<Output = Result<C, String>> + Send {
        std::future::ready((self.0)(url).map_err(|e| e.to_string()))
    }

    fn act(
        &self,
        migrator: &Migrator<'_>,
        action: Action<'_>,
        conn: &mut C,
    ) -> impl Future<Output = Result<Done, Error>> + Send {
        std::future::ready(match action {
            Action::Heads => migrator.run_pending(conn).map(Done::Ran),
            Action::Upgrade(to) => migrator.upgrade(conn, to).map(Done::Ran),
            Action::Current => migrator
                .plan(conn, Direction::Upgrade, "heads")
                .map(|plan| read(&plan)),
        })
    }

    fn spread<Fut: Future<Output = ()> + Send>(
        &self,
        workers: Vec<Fut>,
    ) -> impl Future<Output = ()> {
        if workers.len() == 1 {
            // One worker runs on the calling thread.
            workers.into_iter().for_each(complete);
        } else {
            std::thread::scope(|scope| {
                for worker in workers {
                    scope.spawn(|| complete(worker));
                }
            });
        }
        std::future::ready(())
    }
}

/// Async connections from a function (feature `async`): the workers are futures polled side by
/// side on the caller's task.
#[cfg(feature = "async")]
struct Awaiting<F>(F);

#[cfg(feature = "async")]
impl<C, E, F, Opening> Connector for Awaiting<F>
where
    C: crate::AsyncMigrationConnection + Send,
    E: fmt::Display,
    F: Fn(String) -> Opening + Sync,
    Opening: Future<Output = Result<C, E>> + Send,
{
    type Conn = C;

    fn open(&self, url: &str) -> impl Future<Output = Result<C, String>> + Send {
        let opening = (self.0)(url.to_string());
        async move { opening.await.map_err(|e| e.to_string()) }
    }

    async fn act(
        &self,
        migrator: &Migrator<'_>,
        action: Action<'_>,
        conn: &mut C,
    ) -> Result<Done, Error> {
        match action {
            Action::Heads => migrator.run_pending_async(conn).await.map(Done::Ran),
            Action::Upgrade(to) => migrator.upgrade_async(conn, to).await.map(Done::Ran),
            Action::Current => migrator
                .plan_async(conn, Direction::Upgrade, "heads")
                .await
                .map(|plan| read(&plan)),
        }
    }

    fn spread<Fut: Future<Output = ()> + Send>(
        &self,
        workers: Vec<Fut>,
    ) -> impl Future<Output = ()> {
        JoinAll(workers.into_iter().map(|w| Some(Box::pin(w))).collect())
    }
}

/// Futures polled side by side until all of them are done.
#[cfg(feature = "async")]
struct JoinAll<F>(Vec<Option<std::pin::Pin<Box<F>>>>);

#[cfg(feature = "async")]
impl<F: Future<Output = ()>> Future for JoinAll<F> {
    type Output = ();

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        let mut pending = false;
        for slot in self.0.iter_mut() {
            if let Some(future) = slot {
                if future.as_mut().poll(cx).is_ready() {
                    *slot = None;
                } else {
                    pending = true;
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A connection opened from a URL by the fleet's default connector.
enum Owned {
    #[cfg(feature = "sqlite")]
    Sqlite(diesel::SqliteConnection),
    #[cfg(feature = "postgres")]
    Postgres(diesel::PgConnection),
    #[cfg(feature = "mysql")]
    Mysql(diesel::MysqlConnection),
    /// Without a sync backend feature nothing is ever opened.
    #[allow(dead_code)]
    None(std::convert::Infallible),
}

impl MigrationConnection for Owned {
    fn migration_connection(&mut self) -> crate::DieselConnection<'_> {
        match self {
            #[cfg(feature = "sqlite")]
            Owned::Sqlite(c) => c.migration_connection(),
            #[cfg(feature = "postgres")]
            Owned::Postgres(c) => c.migration_connection(),
            #[cfg(feature = "mysql")]
            Owned::Mysql(c) => c.migration_connection(),
            Owned::None(never) => match *never {},
        }
    }
}

/// Opens the connection for `url` by its scheme.
fn connect(url: &str) -> Result<Owned, String> {
    open(url, true)
}

/// [`connect`] that never creates an SQLite file.
fn connect_read_only(url: &str) -> Result<Owned, String> {
    open(url, false)
}

/// Opens the connection for `url` by its scheme; an SQLite file that does not exist is created
/// only where `create`.
fn open(url: &str, create: bool) -> Result<Owned, String> {
    #[allow(unused_imports)]
    use diesel::Connection;
    let scheme = url::split_scheme(url).map(|(scheme, _)| scheme.to_ascii_lowercase());
    match scheme.as_deref() {
        Some("postgres" | "postgresql") => {
            #[cfg(feature = "postgres")]
            return diesel::PgConnection::establish(url)
                .map(Owned::Postgres)
                .map_err(|e| e.to_string());
            #[cfg(not(feature = "postgres"))]
            return Err("aludel was built without its `postgres` feature".to_string());
        }
        Some(scheme @ ("mysql" | "mariadb")) => {
            #[cfg(feature = "mysql")]
            return diesel::MysqlConnection::establish(&format!("mysql{}", &url[scheme.len()..]))
                .map(Owned::Mysql)
                .map_err(|e| e.to_string());
            #[cfg(not(feature = "mysql"))]
            return Err(format!(
                "aludel was built without its `mysql` feature, which {scheme}:// needs"
            ));
        }
        Some("sqlite") | None => open_sqlite(url.strip_prefix("sqlite://").unwrap_or(url), create),
        Some(other) => Err(format!(
            "unknown scheme `{other}://`: use postgres://, mysql://, mariadb://, sqlite:// or a SQLite path"
        )),
    }
}

/// Opens the SQLite file at `path`, creating it only where `create`.
#[cfg(feature = "sqlite")]
fn open_sqlite(path: &str, create: bool) -> Result<Owned, String> {
    use diesel::Connection;
    let file = std::path::Path::new(path);
    let target = if create {
        path.to_string()
    } else if file.is_file() {
        url::sqlite_uri_without_create(file)
    } else {
        return Err(format!("no SQLite file {path}"));
    };
    diesel::SqliteConnection::establish(&target)
        .map(Owned::Sqlite)
        .map_err(|e| e.to_string())
}

#[cfg(not(feature = "sqlite"))]
fn open_sqlite(path: &str, _create: bool) -> Result<Owned, String> {
    Err(format!(
        "aludel was built without its `sqlite` feature, which {path} needs"
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests fail by panicking

    use super::*;

    #[test]
    fn reads_a_list_of_targets() {
        let text = "# the tenants\n\npostgres://app:s3cret@db/saas schema=acme\n  postgres://app:s3cret@db/saas   schema=globex # moved\nmysql://root@db/initech\ntenants/a#1.db\n";
        let targets = FleetTarget::parse_list(text).unwrap();
        assert_eq!(
            targets,
            [
                FleetTarget::new("postgres://app:s3cret@db/saas").with_schema("acme"),
                FleetTarget::new("postgres://app:s3cret@db/saas").with_schema("globex"),
                FleetTarget::new("mysql://root@db/initech"),
                FleetTarget::new("tenants/a#1.db"),
            ]
        );
        assert_eq!(
            targets[0].to_string(),
            "postgres://app:***@db/saas schema=acme"
        );
        assert!(FleetTarget::parse_list("# nothing\n\n").unwrap().is_empty());
        let shown = format!("{:?}", targets[0]);
        assert!(!shown.contains("s3cret"), "{shown}");
    }

    #[test]
    fn refuses_lines_it_cannot_read_and_lists_them() {
        let text =
            "a.db schema=\nb.db x=1\nc.db schema=s schema=t\na.db\npostgres://u:pw@h/d pw=s3cret\n";
        let error = FleetTarget::parse_list(text).unwrap_err().to_string();
        assert_eq!(
            error,
            "the list of targets is not usable: line 1: `schema=` names no schema; line 2: `x=***` is not `schema=NAME` (a target is a URL, optionally followed by schema=NAME); line 3: more than one `schema=`; line 4: a.db is already line 1; line 5: `pw=***` is not `schema=NAME` (a target is a URL, optionally followed by schema=NAME)"
        );
        let many: String = (0..12).map(|_| "x.db\n").collect();
        let error = FleetTarget::parse_list(&many).unwrap_err().to_string();
        assert!(error.ends_with("and 1 more"), "{error}");
    }

    #[test]
    fn any_text_reads_as_targets_or_as_an_error_without_panicking() {
        // Lines drawn from the pieces lists are made of, with a fixed seed.
        let pieces = [
            "postgres://u:pw@h/d",
            "a.db",
            " ",
            "\t",
            "#",
            "schema=",
            "schema=s",
            "x=y",
            "é",
            "\u{0}",
            "#c",
            "  # ",
            "\r",
            "schema=schema=",
            "=",
            "sqlite://",
            "\n",
        ];
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..20_000 {
            let text: String = (0..next() % 24)
                .map(|_| pieces[(next() % pieces.len() as u64) as usize])
                .collect();
            match FleetTarget::parse_list(&text) {
                Ok(targets) => {
                    for target in targets {
                        let shown = format!("{target} {target:?}");
                        assert!(!shown.contains("pw@"), "{shown}");
                        assert!(
                            !target.url.is_empty() && !target.url.starts_with('#'),
                            "{text:?}"
                        );
                        assert!(!target.url.contains(char::is_whitespace), "{text:?}");
                        assert!(target.schema.as_deref() != Some(""), "{text:?}");
                    }
                }
                Err(error) => {
                    let shown = error.to_string();
                    assert!(!shown.contains("pw@"), "{shown}");
                }
            }
        }
    }

    #[test]
    fn an_unknown_scheme_is_refused_by_name() {
        let error = connect("redis://cache/0").err().unwrap();
        assert!(error.starts_with("unknown scheme `redis://`"), "{error}");
    }
}
