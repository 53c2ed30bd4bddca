//! The migrator: reads the database's state, plans with `aludel-graph`, and applies the plan
//! revision by revision, each revision's SQL and its records (the version table, the lineage
//! table, the revision log) in one transaction.
//!
//! One file per duty: [`history`] is what a migrator runs (embedded or loaded), [`state`]
//! reads the database's state, [`drift`] compares it with the files, [`step`] plans and
//! applies under the migration lock, [`stamp`] moves the version table without SQL and
//! [`takeover`] adopts a database diesel_migrations manages.

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, Ordering};

use aludel_graph::sql::Dialect;
use aludel_graph::{Direction, Plan, Step};

use crate::db::{in_session, open_read, Tables};
#[cfg(feature = "async")]
use crate::drive::nonblocking::AsyncMigrationConnection;
use crate::drive::sync::{on_connection, MigrationConnection};
use crate::drive::{complete, Driver};
use crate::embedded::{Migrations, Revision as EmbeddedRevision};
use crate::error::{Completed, Error};
use crate::options::Options;

mod drift;
mod history;
mod stamp;
mod state;
mod step;
mod takeover;

pub use history::LoadedMigrations;
use history::Source;

/// A revision to go to: a target in Alembic's grammar (`head`, `heads`, `base`, an id or
/// prefix, `+1`, `-1`, `label@head`, ...) or a revision the macro generated.
pub trait Target {
    /// The target in Alembic's grammar.
    fn as_target(&self) -> Cow<'_, str>;

    /// The embedded revision this target is, if it is one: a migrator checks that it belongs
    /// to its own history.
    #[doc(hidden)]
    fn embedded(&self) -> Option<&EmbeddedRevision> {
        None
    }
}

impl Target for &str {
    fn as_target(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }
}

impl Target for String {
    fn as_target(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }
}

impl Target for &EmbeddedRevision {
    fn as_target(&self) -> Cow<'_, str> {
        Cow::Borrowed(self.id())
    }

    fn embedded(&self) -> Option<&EmbeddedRevision> {
        Some(self)
    }
}

/// What a run did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Report {
    /// The version table's rows before the run.
    pub heads_before: Vec<String>,
    /// The revisions applied or reverted, in order, with durations.
    pub steps: Vec<Completed>,
    /// The version table's rows after the run.
    pub heads_after: Vec<String>,
}

impl Report {
    /// True when nothing ran.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

/// Applies a history to a database. Made by [`Migrations::migrator`] or
/// [`LoadedMigrations::migrator`]; [`Migrations::run_pending`] and friends use one with default
/// options.
#[derive(Clone)]
pub struct Migrator<'a> {
    source: Source<'a>,
    options: Options,
    progress: Option<&'a (dyn Fn(Progress<'_>) + Sync)>,
    stop: Option<&'a AtomicBool>,
}

impl std::fmt::Debug for Migrator<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Migrator")
            .field("source", &self.source)
            .field("options", &self.options)
            .field("progress", &self.progress.map(|_| "Fn(Progress)"))
            .field("stop", &self.stop)
            .finish()
    }
}

/// What an upgrade or downgrade reports while it runs, to the reporter given to
/// [`Migrator::with_progress`]. The runtime itself never prints; a command line shows these as
/// they happen (the run's [`Report`] comes only at the end).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Progress<'p> {
    /// A revision's SQL is about to run. `step.from` and `step.to` are the revisions the
    /// version table moves between, as in Alembic's `Running upgrade a -> b`.
    Started {
        /// The step.
        step: &'p Step<'p>,
    },
    /// The revision's SQL and its version-table change completed (and committed, unless the
    /// whole run is one transaction, [`crate::TransactionMode::All`]).
    Finished {
        /// The step.
        step: &'p Step<'p>,
        /// The revision, direction and duration, as the [`Report`] lists them.
        completed: &'p Completed,
    },
}

impl Migrations {
    /// A migrator over this history with default options.
    pub fn migrator(&self) -> Migrator<'_> {
        Migrator {
            source: Source::Embedded(self),
            options: self.default_options(),
            progress: None,
            stop: None,
        }
    }

    /// A fleet of `targets` migrated with this history (see [`crate::Fleet`]).
    pub fn fleet(&self, targets: impl IntoIterator<Item = crate::FleetTarget>) -> crate::Fleet<'_> {
        self.migrator().fleet(targets)
    }

    /// Applies every pending revision (upgrade to `heads`). With nothing to do this costs one
    /// query. See [`Migrator::run_pending`].
    pub fn run_pending<C: MigrationConnection>(&self, conn: &mut C) -> Result<Report, Error> {
        self.migrator().run_pending(conn)
    }

    /// Upgrades to `target`. See [`Migrator::upgrade`].
    pub fn upgrade<C: MigrationConnection>(
        &self,
        conn: &mut C,
        target: impl Target,
    ) -> Result<Report, Error> {
        self.migrator().upgrade(conn, target)
    }

    /// Downgrades to `target`. See [`Migrator::downgrade`].
    ///
    /// # Warning
    /// Downgrades run the revisions' downgrade SQL, which usually drops data.
    pub fn downgrade<C: MigrationConnection>(
        &self,
        conn: &mut C,
        target: impl Target,
    ) -> Result<Report, Error> {
        self.migrator().downgrade(conn, target)
    }

    /// The version table's rows. See [`Migrator::current`].
    pub fn current<C: MigrationConnection>(&self, conn: &mut C) -> Result<Vec<String>, Error> {
        self.migrator().current(conn)
    }

    /// Sets the version table to `target` without running SQL. See [`Migrator::stamp`].
    ///
    /// # Warning
    /// A stamp changes what the database claims is applied; the schema is not touched.
    pub fn stamp<C: MigrationConnection>(
        &self,
        conn: &mut C,
        target: impl Target,
        purge: bool,
    ) -> Result<Report, Error> {
        self.migrator().stamp(conn, target, purge)
    }

    /// The plan an upgrade or downgrade would run, without running it. See [`Migrator::plan`].
    pub fn plan<C: MigrationConnection>(
        &self,
        conn: &mut C,
        direction: Direction,
        target: impl Target,
    ) -> Result<Plan<'_>, Error> {
        self.migrator().plan(conn, direction, target)
    }

    /// The offline SQL script for a range. See [`Migrator::sql`].
    pub fn sql(
        &self,
        dialect: Dialect,
        direction: Direction,
        range: &str,
    ) -> Result<String, Error> {
        self.migrator().sql(dialect, direction, range)
    }
}

/// The async calls (feature `async`): the same migrator as the sync calls, driven through a
/// diesel-async connection. Every guarantee of the sync calls holds; the futures are `Send`
/// and block no runtime thread, on `current_thread` and multi-thread runtimes alike.
///
/// ```no_run
/// # #[cfg(feature = "async-postgres")]
/// # async fn start() -> Result<(), Box<dyn std::error::Error>> {
/// use diesel_async::{AsyncConnection, AsyncPgConnection};
///
/// static MIGRATIONS: aludel::Migrations = aludel::embed_migrations!("../migrations/versions");
///
/// let mut conn = AsyncPgConnection::establish("postgres://localhost/app").await?;
/// MIGRATIONS.run_pending_async(&mut conn).await?;
/// # Ok(())
/// # }
/// ```
///
/// A call whose future is dropped before it ends (a timeout, a cancelled task) leaves the
/// database consistent: a revision commits with its version-table row or not at all (on MySQL,
/// as with a killed process, the revision it was in may be partly applied). The connection is
/// then marked broken, so that a pool closes it and the server releases the migration lock;
/// drop a connection of your own after such a call, and the next run completes.
#[cfg(feature = "async")]
impl Migrations {
    /// [`Migrations::run_pending`] on an async connection.
    pub async fn run_pending_async<C: AsyncMigrationConnection>(
        &self,
        conn: &mut C,
    ) -> Result<Report, Error> {
        self.migrator().run_pending_async(conn).await
    }

    /// [`Migrations::upgrade`] on an async connection.
    pub async fn upgrade_async<C: AsyncMigrationConnection>(
        &self,
        conn: &mut C,
        target: impl Target + Send + Sync,
    ) -> Result<Report, Error> {
        self.migrator().upgrade_async(conn, target).await
    }

    /// [`Migrations::downgrade`] on an async connection.
    ///
    /// # Warning
    /// Downgrades run the revisions' downgrade SQL, which usually drops data.
    pub async fn downgrade_async<C: AsyncMigrationConnection>(
        &self,
        conn: &mut C,
        target: impl Target + Send + Sync,
    ) -> Result<Report, Error> {
        self.migrator().downgrade_async(conn, target).await
    }

    /// [`Migrations::current`] on an async connection.
    pub async fn current_async<C: AsyncMigrationConnection>(
        &self,
        conn: &mut C,
    ) -> Result<Vec<String>, Error> {
        self.migrator().current_async(conn).await
    }

    /// [`Migrations::stamp`] on an async connection.
    ///
    /// # Warning
    /// A stamp changes what the database claims is applied; the schema is not touched.
    pub async fn stamp_async<C: AsyncMigrationConnection>(
        &self,
        conn: &mut C,
        target: impl Target + Send + Sync,
        purge: bool,
    ) -> Result<Report, Error> {
        self.migrator().stamp_async(conn, target, purge).await
    }

    /// [`Migrations::plan`] on an async connection.
    pub async fn plan_async<C: AsyncMigrationConnection>(
        &self,
        conn: &mut C,
        direction: Direction,
        target: impl Target + Send + Sync,
    ) -> Result<Plan<'_>, Error> {
        self.migrator().plan_async(conn, direction, target).await
    }
}

/// Drives one async call and tells the driver when it ended, so that only a call dropped
/// halfway marks the connection broken.
#[cfg(feature = "async")]
macro_rules! drive_async {
    ($conn:expr, |$d:ident| $call:expr) => {{
        let mut driver = $crate::drive::nonblocking::AsyncDriver::new($conn);
        let $d = &mut driver;
        let result = $call.await;
        driver.finish();
        result
    }};
}
#[cfg(feature = "async")]
pub(crate) use drive_async;

/// The async calls; see the [`Migrations`] docs of the async calls.
#[cfg(feature = "async")]
impl<'a> Migrator<'a> {
    /// [`Migrator::run_pending`] on an async connection.
    pub async fn run_pending_async<C: AsyncMigrationConnection>(
        &self,
        conn: &mut C,
    ) -> Result<Report, Error> {
        drive_async!(conn, |d| self.run_pending_on(d))
    }

    /// [`Migrator::upgrade`] on an async connection.
    pub async fn upgrade_async<C: AsyncMigrationConnection>(
        &self,
        conn: &mut C,
        target: impl Target + Send + Sync,
    ) -> Result<Report, Error> {
        drive_async!(conn, |d| self.move_on(d, Direction::Upgrade, &target))
    }

    /// [`Migrator::downgrade`] on an async connection.
    ///
    /// # Warning
    /// Downgrades run the revisions' downgrade SQL, which usually drops data.
    pub async fn downgrade_async<C: AsyncMigrationConnection>(
        &self,
        conn: &mut C,
        target: impl Target + Send + Sync,
    ) -> Result<Report, Error> {
        drive_async!(conn, |d| self.move_on(d, Direction::Downgrade, &target))
    }

    /// [`Migrator::current`] on an async connection.
    pub async fn current_async<C: AsyncMigrationConnection>(
        &self,
        conn: &mut C,
    ) -> Result<Vec<String>, Error> {
        drive_async!(conn, |d| self.current_on(d))
    }

    /// [`Migrator::stamp`] on an async connection.
    ///
    /// # Warning
    /// A stamp changes what the database claims is applied; the schema is not touched.
    pub async fn stamp_async<C: AsyncMigrationConnection>(
        &self,
        conn: &mut C,
        target: impl Target + Send + Sync,
        purge: bool,
    ) -> Result<Report, Error> {
        let target = self.target_of(&target)?.into_owned();
        drive_async!(conn, |d| stamp::stamp(self, d, &target, purge))
    }

    /// [`Migrator::plan`] on an async connection.
    pub async fn plan_async<C: AsyncMigrationConnection>(
        &self,
        conn: &mut C,
        direction: Direction,
        target: impl Target + Send + Sync,
    ) -> Result<Plan<'a>, Error> {
        drive_async!(conn, |d| self.plan_on(d, direction, &target))
    }

    /// [`Migrator::accept_changes`] on an async connection.
    pub async fn accept_changes_async<C: AsyncMigrationConnection>(
        &self,
        conn: &mut C,
    ) -> Result<Vec<String>, Error> {
        drive_async!(conn, |d| drift::accept_changes(self, d))
    }
}

impl<'a> Migrator<'a> {
    /// The target in Alembic's grammar, once an embedded revision given as the target is known
    /// to be this history's own (its id, with the same file and the same files below it).
    fn target_of<'t>(&self, target: &'t impl Target) -> Result<Cow<'t, str>, Error> {
        if let Some(revision) = target.embedded() {
            let graph = self.source.graph()?;
            let ours = self.source.digest_of(graph, revision.id());
            if ours.as_deref() != Some(revision.lineage_digest()) {
                return Err(Error::ForeignTarget {
                    revision: revision.id().to_string(),
                    path: revision.path().to_string(),
                    known: ours.is_some(),
                });
            }
        }
        Ok(target.as_target())
    }

    /// The database this migrator migrates, in a project of several.
    pub(crate) fn database(&self) -> Option<&str> {
        self.options.database.as_deref()
    }

    /// Refuses a migrator of a history whose files name databases when it migrates none of
    /// them, or one the project does not configure: the sections of a database would be left
    /// out without a word.
    fn check_database(&self) -> Result<(), Error> {
        let (databases, named) = self.source.databases();
        match self.database() {
            None if named => Err(Error::DatabaseNotChosen {
                databases: databases.iter().map(|d| d.to_string()).collect(),
            }),
            Some(database) if !databases.contains(&database) => Err(Error::UnknownDatabase {
                database: database.to_string(),
                databases: databases.iter().map(|d| d.to_string()).collect(),
            }),
            _ => Ok(()),
        }
    }

    /// Replaces the options.
    #[must_use]
    pub fn with_options(mut self, options: Options) -> Self {
        self.options = options;
        self
    }

    /// The options.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Calls `report` as each revision of an upgrade or downgrade starts and finishes, so that
    /// a long run can show its progress (`run_pending`, `upgrade` and `downgrade`; a stamp
    /// runs no SQL and reports nothing). `report` is `Sync` so that an async run stays `Send`.
    ///
    /// A [`Progress::Started`] is followed by its [`Progress::Finished`], except when the
    /// revision fails (the run returns the error) or, on SQLite, when another process changed
    /// the version table meanwhile and the run plans again from the new state.
    ///
    /// ```
    /// use std::sync::Mutex;
    /// use diesel::{Connection, SqliteConnection};
    ///
    /// static MIGRATIONS: aludel::Migrations = aludel::embed_migrations!("../migrations/versions");
    ///
    /// let mut conn = SqliteConnection::establish(":memory:").unwrap();
    /// let seen = Mutex::new(Vec::new());
    /// let report = |event: aludel::Progress<'_>| {
    ///     if let aludel::Progress::Finished { completed, .. } = event {
    ///         seen.lock().unwrap().push(completed.revision.clone());
    ///     }
    /// };
    /// MIGRATIONS.migrator().with_progress(&report).run_pending(&mut conn).unwrap();
    /// assert_eq!(seen.lock().unwrap().len(), MIGRATIONS.len());
    /// ```
    #[must_use]
    pub fn with_progress(mut self, report: &'a (dyn Fn(Progress<'_>) + Sync)) -> Self {
        self.progress = Some(report);
        self
    }

    /// Stops an upgrade or downgrade before its next revision once `stop` is set (by a signal
    /// handler, say): the revision that is running finishes and commits, and the run returns
    /// [`Error::Interrupted`] with the revisions it completed. A run that is one transaction
    /// ([`crate::TransactionMode::All`]) is not cut short. Running again continues from there.
    #[must_use]
    pub fn with_stop(mut self, stop: &'a AtomicBool) -> Self {
        self.stop = Some(stop);
        self
    }

    /// Whether [`Migrator::with_stop`]'s flag is set.
    pub(crate) fn stop_requested(&self) -> bool {
        self.stop.is_some_and(|s| s.load(Ordering::SeqCst))
    }

    fn report(&self, event: Progress<'_>) {
        if let Some(report) = self.progress {
            report(event);
        }
    }

    /// Applies every pending revision: upgrade to `heads`.
    ///
    /// Safe to call from every replica at once: one process migrates while the others wait
    /// for its lock and then find nothing to do. With nothing to do the call reads the
    /// version table (and the lineage digests of its rows) in one query and compares them
    /// with constants compiled into the binary, whatever the length of the history.
    pub fn run_pending<C: MigrationConnection>(&self, conn: &mut C) -> Result<Report, Error> {
        on_connection!(conn, |d| complete(self.run_pending_on(d)))
    }

    /// Upgrades to `target`: each revision's SQL and its version-table change commit together.
    /// A failing revision is rolled back (PostgreSQL, SQLite) and the error names it.
    pub fn upgrade<C: MigrationConnection>(
        &self,
        conn: &mut C,
        target: impl Target,
    ) -> Result<Report, Error> {
        on_connection!(conn, |d| complete(self.move_on(
            d,
            Direction::Upgrade,
            &target
        )))
    }

    /// Downgrades to `target` (e.g. `-1`, a revision, `base`, `label@base`).
    ///
    /// # Warning
    /// Downgrades run the revisions' downgrade SQL, which usually drops data. `label@base`
    /// also reverts revisions of other branches below the label (Alembic's behaviour); look at
    /// [`Migrator::plan`] first.
    pub fn downgrade<C: MigrationConnection>(
        &self,
        conn: &mut C,
        target: impl Target,
    ) -> Result<Report, Error> {
        on_connection!(conn, |d| complete(self.move_on(
            d,
            Direction::Downgrade,
            &target
        )))
    }

    /// Sets the version table to `target` without running any revision's SQL; with `purge`
    /// the table is emptied first (use it when the table holds revisions this history does not
    /// know).
    ///
    /// # Warning
    /// A stamp changes what the database claims is applied; the schema is not touched.
    pub fn stamp<C: MigrationConnection>(
        &self,
        conn: &mut C,
        target: impl Target,
        purge: bool,
    ) -> Result<Report, Error> {
        let target = self.target_of(&target)?;
        on_connection!(conn, |d| complete(stamp::stamp(self, d, &target, purge,)))
    }

    /// The version table's rows (empty for a database aludel or Alembic never touched).
    /// Read-only: creates nothing.
    pub fn current<C: MigrationConnection>(&self, conn: &mut C) -> Result<Vec<String>, Error> {
        on_connection!(conn, |d| complete(self.current_on(d)))
    }

    /// The steps an upgrade or downgrade to `target` would run from the database's current
    /// state, without running them (a dry run). Read-only; like a run, it waits for a busy
    /// SQLite database instead of failing.
    pub fn plan<C: MigrationConnection>(
        &self,
        conn: &mut C,
        direction: Direction,
        target: impl Target,
    ) -> Result<Plan<'a>, Error> {
        on_connection!(conn, |d| complete(self.plan_on(d, direction, &target)))
    }

    /// Records the current files as the applied ones after a deliberate edit of an applied
    /// revision (what a [`Error::Drift`] asks for). Nothing else changes.
    pub fn accept_changes<C: MigrationConnection>(
        &self,
        conn: &mut C,
    ) -> Result<Vec<String>, Error> {
        on_connection!(conn, |d| complete(drift::accept_changes(self, d)))
    }

    /// Takes over a database that diesel_migrations manages: reads the versions diesel
    /// recorded in `__diesel_schema_migrations`, maps them to the revisions that
    /// `aludel import diesel` made of the same migrations, and stamps the newest. Returns the
    /// stamped revision, or `None` when the version table already holds it.
    ///
    /// Refused, changing nothing, when diesel recorded a version the history lacks, when the
    /// recorded versions are not exactly the oldest revisions of the history (diesel runs
    /// forgotten older migrations later, so a gap means the schema is not what any revision
    /// describes), or when the version table already holds other revisions.
    pub fn take_over_diesel<C: MigrationConnection>(
        &self,
        conn: &mut C,
    ) -> Result<Option<String>, Error> {
        on_connection!(conn, |d| complete(takeover::take_over_diesel(self, d)))
    }

    /// The graph.
    pub(crate) fn graph(&self) -> Result<&'a aludel_graph::Graph, Error> {
        self.source.graph()
    }

    /// The version table's rows when nothing is pending (the one query of the no-op check),
    /// else `None`.
    pub(crate) async fn up_to_date_on<D: Driver>(
        &self,
        d: &mut D,
    ) -> Result<Option<Vec<String>>, Error> {
        self.check_database()?;
        let tables = Tables::new(d.dialect(), &self.options)?;
        match state::probe(d, &tables).await {
            Some(state) if state::is_current(self.source, &state)? => {
                Ok(Some(state.ids().into_iter().map(str::to_string).collect()))
            }
            _ => Ok(None),
        }
    }

    /// The revisions an upgrade or downgrade to `target` would run, in order.
    pub(crate) async fn pending_on<D: Driver>(
        &self,
        d: &mut D,
        direction: Direction,
        target: &str,
    ) -> Result<Vec<String>, Error> {
        self.check_database()?;
        let plan = self.plan_on(d, direction, &target).await?;
        Ok(plan
            .steps
            .iter()
            .filter_map(|s| s.revision.map(|r| r.id.clone()))
            .collect())
    }

    /// The upgrade or downgrade to `target`, up to and including the step that runs
    /// `through` (planned again from the database's state on every attempt).
    pub(crate) async fn move_through_on<D: Driver>(
        &self,
        d: &mut D,
        direction: Direction,
        target: &str,
        through: &str,
    ) -> Result<Report, Error> {
        self.check_database()?;
        let tables = Tables::new(d.dialect(), &self.options)?;
        step::run(self, d, &tables, false, |graph, rows| {
            let plan = match direction {
                Direction::Upgrade => graph.plan_upgrade(rows, target)?,
                Direction::Downgrade => graph.plan_downgrade(rows, target)?,
            };
            Ok(crate::multidb::truncate(graph, plan, through))
        })
        .await
    }

    /// [`Migrator::stamp`] through any driver.
    pub(crate) async fn stamp_on<D: Driver>(
        &self,
        d: &mut D,
        target: &str,
        purge: bool,
    ) -> Result<Report, Error> {
        stamp::stamp(self, d, target, purge).await
    }

    /// [`Migrator::run_pending`] through any driver.
    pub(crate) async fn run_pending_on<D: Driver>(&self, d: &mut D) -> Result<Report, Error> {
        self.check_database()?;
        let tables = Tables::new(d.dialect(), &self.options)?;
        // The one query; it fails only where aludel's tables do not exist yet, which the
        // upgrade below then creates.
        let known = state::probe(d, &tables).await;
        if let Some(state) = &known {
            if state::is_current(self.source, state)? {
                let rows = state
                    .ids()
                    .into_iter()
                    .map(str::to_string)
                    .collect::<Vec<_>>();
                return Ok(Report {
                    heads_before: rows.clone(),
                    steps: Vec::new(),
                    heads_after: rows,
                });
            }
        }
        let plan_for = |graph: &'a aludel_graph::Graph, rows: &[&str]| {
            graph.plan_upgrade(rows, "heads").map_err(Error::from)
        };
        step::run(self, d, &tables, known.is_some(), plan_for).await
    }

    /// [`Migrator::upgrade`] and [`Migrator::downgrade`] through any driver.
    pub(crate) async fn move_on<D: Driver>(
        &self,
        d: &mut D,
        direction: Direction,
        target: &impl Target,
    ) -> Result<Report, Error> {
        self.check_database()?;
        let target = self.target_of(target)?;
        let tables = Tables::new(d.dialect(), &self.options)?;
        step::run(self, d, &tables, false, |graph, rows| match direction {
            Direction::Upgrade => graph.plan_upgrade(rows, &target).map_err(Error::from),
            Direction::Downgrade => graph.plan_downgrade(rows, &target).map_err(Error::from),
        })
        .await
    }

    /// [`Migrator::current`] through any driver.
    pub(crate) async fn current_on<D: Driver>(&self, d: &mut D) -> Result<Vec<String>, Error> {
        let tables = Tables::new(d.dialect(), &self.options)?;
        in_session!(d, open_read(d, &self.options), |()| {
            Ok(state::read(d, &tables)
                .await?
                .map(|s| s.ids().into_iter().map(str::to_string).collect())
                .unwrap_or_default())
        })
    }

    /// [`Migrator::plan`] through any driver.
    pub(crate) async fn plan_on<D: Driver>(
        &self,
        d: &mut D,
        direction: Direction,
        target: &impl Target,
    ) -> Result<Plan<'a>, Error> {
        let tables = Tables::new(d.dialect(), &self.options)?;
        let state = in_session!(d, open_read(d, &self.options), |()| {
            Ok::<_, Error>(state::read(d, &tables).await?.unwrap_or_default())
        })?;
        let graph = self.source.graph()?;
        let target = self.target_of(target)?;
        let rows = state.ids();
        Ok(match direction {
            Direction::Upgrade => graph.plan_upgrade(&rows, &target)?,
            Direction::Downgrade => graph.plan_downgrade(&rows, &target)?,
        })
    }

    /// The offline SQL script of a range (`to`, or `from:to`; downgrades need `from:to`), as
    /// `alembic upgrade --sql` prints it: each revision's SQL followed by its version-table
    /// statements, transactional revisions wrapped in `BEGIN`/`COMMIT`. Needs no connection.
    pub fn sql(
        &self,
        dialect: Dialect,
        direction: Direction,
        range: &str,
    ) -> Result<String, Error> {
        self.check_database()?;
        let tables = Tables::new(dialect, &self.options)?;
        let graph = self.source.graph()?;
        let plan = graph.plan_offline(direction, range)?;
        let mut rendered = Vec::with_capacity(plan.steps.len());
        for step in &plan.steps {
            step::runnable(self.source, graph, step, self.database())?;
            rendered.push(step::render_offline(
                self.source,
                graph,
                step,
                dialect,
                self.database(),
            )?);
        }
        Ok(crate::offline::script(&tables, direction, &plan, &rendered))
    }
}
