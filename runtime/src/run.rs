//! The migrator: reads the database's state, plans with `aludel-graph`, and applies the plan
//! revision by revision, each revision's SQL and its version-table change together.

use std::borrow::Cow;
use std::time::{Duration, Instant};

use aludel_graph::sql::{split_statements, Dialect};
use aludel_graph::{Direction, Graph, Plan, Step, VersionOp};

use crate::db::private::Backend;
use crate::db::{now_iso, table_exists, Bind, LockGuard, MigrationConnection, Tables};
use crate::embedded::{Migrations, Revision as EmbeddedRevision};
use crate::error::{database_message, Completed, Error, TRANSACTION_FAILED};
use crate::options::{Options, TransactionMode};

/// A revision to go to: a target in Alembic's grammar (`head`, `heads`, `base`, an id or
/// prefix, `+1`, `-1`, `label@head`, ...) or a revision the macro generated.
pub trait Target {
    /// The target in Alembic's grammar.
    fn as_target(&self) -> Cow<'_, str>;
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

/// A revision history loaded at run time (by the command line, an import, a test) rather
/// than embedded by a macro.
#[derive(Debug, Clone)]
pub struct LoadedMigrations {
    graph: Graph,
    digests: Vec<String>,
}

impl LoadedMigrations {
    /// Wraps a validated graph.
    pub fn new(graph: Graph) -> Self {
        let digests = graph.lineage_digests();
        LoadedMigrations { graph, digests }
    }

    /// The graph.
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// A migrator with default options.
    pub fn migrator(&self) -> Migrator<'_> {
        Migrator {
            source: Source::Loaded(self),
            options: Options::default(),
            progress: None,
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Source<'a> {
    Embedded(&'a Migrations),
    Loaded(&'a LoadedMigrations),
}

impl<'a> Source<'a> {
    fn graph(self) -> &'a Graph {
        match self {
            Source::Embedded(m) => m.graph(),
            Source::Loaded(l) => &l.graph,
        }
    }

    fn digests(self) -> &'a [String] {
        match self {
            Source::Embedded(m) => m.digests(),
            Source::Loaded(l) => &l.digests,
        }
    }

    /// The heads with their lineage digests, without building the graph for embedded
    /// histories (the no-op check at startup).
    fn heads_with_digests(self) -> Vec<(&'a str, &'a str)> {
        match self {
            Source::Embedded(m) => m.head_digests(),
            Source::Loaded(l) => l
                .graph
                .heads()
                .into_iter()
                .filter_map(|h| l.graph.index_of(h).map(|i| (h, l.digests[i].as_str())))
                .collect(),
        }
    }
}

/// Applies a history to a database. Made by [`Migrations::migrator`] or
/// [`LoadedMigrations::migrator`]; [`Migrations::run_pending`] and friends use one with default
/// options.
#[derive(Clone)]
pub struct Migrator<'a> {
    source: Source<'a>,
    options: Options,
    progress: Option<&'a dyn Fn(Progress<'_>)>,
}

impl std::fmt::Debug for Migrator<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Migrator")
            .field("source", &self.source)
            .field("options", &self.options)
            .field("progress", &self.progress.map(|_| "Fn(Progress)"))
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
    /// whole run is one transaction, [`TransactionMode::All`]).
    Finished {
        /// The step.
        step: &'p Step<'p>,
        /// The revision, direction and duration, as the [`Report`] lists them.
        completed: &'p Completed,
    },
}

/// The version table's rows with the lineage digest recorded for each (when aludel recorded
/// one; a database Alembic migrated has none).
struct State {
    rows: Vec<(String, Option<String>)>,
}

impl State {
    fn ids(&self) -> Vec<&str> {
        self.rows.iter().map(|(id, _)| id.as_str()).collect()
    }
}

impl Migrations {
    /// A migrator over this history with default options.
    pub fn migrator(&self) -> Migrator<'_> {
        Migrator {
            source: Source::Embedded(self),
            options: self.default_options(),
            progress: None,
        }
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

impl<'a> Migrator<'a> {
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
    /// runs no SQL and reports nothing).
    ///
    /// A [`Progress::Started`] is followed by its [`Progress::Finished`], except when the
    /// revision fails (the run returns the error) or, on SQLite, when another process changed
    /// the version table meanwhile and the run plans again from the new state.
    ///
    /// ```
    /// use std::cell::RefCell;
    /// use diesel::{Connection, SqliteConnection};
    ///
    /// static MIGRATIONS: aludel::Migrations = aludel::embed_migrations!("../migrations/versions");
    ///
    /// let mut conn = SqliteConnection::establish(":memory:").unwrap();
    /// let seen = RefCell::new(Vec::new());
    /// let report = |event: aludel::Progress<'_>| {
    ///     if let aludel::Progress::Finished { completed, .. } = event {
    ///         seen.borrow_mut().push(completed.revision.clone());
    ///     }
    /// };
    /// MIGRATIONS.migrator().with_progress(&report).run_pending(&mut conn).unwrap();
    /// assert_eq!(seen.borrow().len(), MIGRATIONS.len());
    /// ```
    #[must_use]
    pub fn with_progress(mut self, report: &'a dyn Fn(Progress<'_>)) -> Self {
        self.progress = Some(report);
        self
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
        let tables = Tables::new(conn.dialect(), &self.options)?;
        conn.prepare(&self.options)?;
        if let Some(state) = self.read_state(conn, &tables)? {
            if self.is_current(&state) {
                let rows: Vec<String> = state.rows.into_iter().map(|(id, _)| id).collect();
                return Ok(Report {
                    heads_before: rows.clone(),
                    steps: Vec::new(),
                    heads_after: rows,
                });
            }
        }
        self.upgrade(conn, "heads")
    }

    /// True when the rows are exactly the heads and their recorded digests match.
    fn is_current(&self, state: &State) -> bool {
        let heads = self.source.heads_with_digests();
        heads.len() == state.rows.len()
            && heads.iter().all(|(id, digest)| {
                state.rows.iter().any(|(row, recorded)| {
                    row == id && recorded.as_deref().is_none_or(|r| r == *digest)
                })
            })
    }

    /// Upgrades to `target`: each revision's SQL and its version-table change commit together.
    /// A failing revision is rolled back (PostgreSQL, SQLite) and the error names it.
    pub fn upgrade<C: MigrationConnection>(
        &self,
        conn: &mut C,
        target: impl Target,
    ) -> Result<Report, Error> {
        let target = target.as_target();
        self.run(conn, |graph, rows| {
            graph.plan_upgrade(rows, &target).map_err(Error::from)
        })
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
        let target = target.as_target();
        self.run(conn, |graph, rows| {
            graph.plan_downgrade(rows, &target).map_err(Error::from)
        })
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
        let target = target.as_target();
        let tables = Tables::new(conn.dialect(), &self.options)?;
        conn.prepare(&self.options)?;
        let mut guard = LockGuard::acquire(conn, &tables.lock_key, self.options.lock_timeout)?;
        ensure_tables(&mut *guard, &tables)?;
        let state = self
            .read_state(&mut *guard, &tables)?
            .unwrap_or(State { rows: Vec::new() });
        let graph = self.source.graph();
        // With `purge` the table is emptied first, whatever it holds (even unknown revisions).
        let current = if purge { Vec::new() } else { state.ids() };
        let plan = graph.plan_stamp(&current, &target, false)?;
        let started = Instant::now();
        let digests = self.source.digests();
        guard.in_transaction(&mut |c| -> Result<(), Error> {
            if purge {
                c.exec(&tables.delete_all_versions(), &[])
                    .map_err(Error::db("cannot empty the version table"))?;
            }
            for step in &plan.steps {
                apply_ops(c, &tables, step.ops.iter().collect())?;
                for to in &step.to {
                    if let Some(i) = graph.index_of(to) {
                        let r = &graph.revisions()[i];
                        log(
                            c,
                            &tables,
                            &r.id,
                            "stamp",
                            &r.checksum,
                            &digests[i],
                            Duration::ZERO,
                        )?;
                    }
                }
            }
            Ok(())
        })?;
        tracing::info!(target = %target, duration_ms = started.elapsed().as_millis() as u64, "stamped");
        Ok(Report {
            heads_before: state.rows.into_iter().map(|(id, _)| id).collect(),
            steps: Vec::new(),
            heads_after: plan.heads_after.iter().map(|s| s.to_string()).collect(),
        })
    }

    /// The version table's rows (empty for a database aludel or Alembic never touched).
    /// Read-only: creates nothing.
    pub fn current<C: MigrationConnection>(&self, conn: &mut C) -> Result<Vec<String>, Error> {
        let tables = Tables::new(conn.dialect(), &self.options)?;
        conn.prepare(&self.options)?;
        Ok(self
            .read_state(conn, &tables)?
            .map(|s| s.rows.into_iter().map(|(id, _)| id).collect())
            .unwrap_or_default())
    }

    /// The steps an upgrade or downgrade to `target` would run from the database's current
    /// state, without running them (a dry run). Read-only.
    pub fn plan<C: MigrationConnection>(
        &self,
        conn: &mut C,
        direction: Direction,
        target: impl Target,
    ) -> Result<Plan<'a>, Error> {
        let tables = Tables::new(conn.dialect(), &self.options)?;
        let state = self
            .read_state(conn, &tables)?
            .unwrap_or(State { rows: Vec::new() });
        let graph = self.source.graph();
        let target = target.as_target();
        let rows = state.ids();
        Ok(match direction {
            Direction::Upgrade => graph.plan_upgrade(&rows, &target)?,
            Direction::Downgrade => graph.plan_downgrade(&rows, &target)?,
        })
    }

    /// Records the current files as the applied ones after a deliberate edit of an applied
    /// revision (what a [`Error::Drift`] asks for). Nothing else changes.
    pub fn accept_changes<C: MigrationConnection>(
        &self,
        conn: &mut C,
    ) -> Result<Vec<String>, Error> {
        let tables = Tables::new(conn.dialect(), &self.options)?;
        conn.prepare(&self.options)?;
        let mut guard = LockGuard::acquire(conn, &tables.lock_key, self.options.lock_timeout)?;
        ensure_tables(&mut *guard, &tables)?;
        let state = self
            .read_state(&mut *guard, &tables)?
            .unwrap_or(State { rows: Vec::new() });
        let graph = self.source.graph();
        let digests = self.source.digests();
        let recorded = recorded_checksums(&mut *guard, &tables)?;
        // Every applied revision: the rows and everything below them.
        let mut applied: Vec<&aludel_graph::Revision> = Vec::new();
        for (id, _) in &state.rows {
            if graph.get(id).is_some() {
                applied.extend(graph.history(Some(&format!("base:{id}")))?);
            }
        }
        let mut accepted: Vec<String> = Vec::new();
        guard.in_transaction(&mut |c| -> Result<(), Error> {
            accepted.clear();
            for r in &applied {
                let Some(i) = graph.index_of(&r.id) else {
                    continue;
                };
                let changed = recorded
                    .iter()
                    .rev()
                    .find(|(id, _)| id == &r.id)
                    .is_some_and(|(_, sum)| sum != &r.checksum);
                let is_row = state.rows.iter().any(|(id, _)| id == &r.id);
                if (changed || is_row) && !accepted.contains(&r.id) {
                    log(
                        c,
                        &tables,
                        &r.id,
                        "accept",
                        &r.checksum,
                        &digests[i],
                        Duration::ZERO,
                    )?;
                    accepted.push(r.id.clone());
                }
            }
            Ok(())
        })?;
        Ok(accepted)
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
        let tables = Tables::new(conn.dialect(), &self.options)?;
        conn.prepare(&self.options)?;
        let mut guard = LockGuard::acquire(conn, &tables.lock_key, self.options.lock_timeout)?;
        if !table_exists(&mut *guard, &tables, "__diesel_schema_migrations")? {
            return Err(Error::Unsupported(
                "this database has no __diesel_schema_migrations table, so diesel_migrations does not manage it; for a new database use run_pending".to_string(),
            ));
        }
        let null = match guard.dialect() {
            Dialect::Mysql => "CAST(NULL AS CHAR)",
            _ => "CAST(NULL AS TEXT)",
        };
        let versions = guard
            .pairs(
                &format!("SELECT version AS a, {null} AS b FROM __diesel_schema_migrations"),
                &[],
            )
            .map_err(Error::db("cannot read __diesel_schema_migrations"))?;
        let graph = self.source.graph();
        let mut ids: Vec<&str> = Vec::new();
        for (version, _) in &versions {
            let id = aludel_graph::import::revision_id_for_version(version);
            match graph.get(&id) {
                Some(r) => ids.push(&r.id),
                None => {
                    return Err(Error::Unsupported(format!(
                        "diesel recorded version {version}, but the history has no revision {id} for it; import the diesel migrations with `aludel import diesel DIR` first"
                    )))
                }
            }
        }
        // The newest recorded revision, whose ancestors must be exactly the recorded ones.
        let mut newest: Option<(&str, usize)> = None;
        for id in &ids {
            let below = graph.history(Some(&format!("base:{id}")))?.len();
            if newest.is_none_or(|(_, n)| below > n) {
                newest = Some((id, below));
            }
        }
        let Some((head, below)) = newest else {
            return Err(Error::Unsupported(
                "__diesel_schema_migrations is empty: diesel applied nothing; use run_pending"
                    .to_string(),
            ));
        };
        if below != ids.len() {
            let recorded: std::collections::HashSet<&str> = ids.iter().copied().collect();
            let missing: Vec<String> = graph
                .history(Some(&format!("base:{head}")))?
                .iter()
                .filter(|r| !recorded.contains(r.id.as_str()))
                .map(|r| r.id.clone())
                .collect();
            return Err(Error::Unsupported(format!(
                "diesel applied {head} but not the older {}; run diesel's pending migrations (or apply those revisions by hand) before taking over",
                missing.join(", ")
            )));
        }
        ensure_tables(&mut *guard, &tables)?;
        let state = self
            .read_state(&mut *guard, &tables)?
            .unwrap_or(State { rows: Vec::new() });
        match state.ids().as_slice() {
            [] => {}
            [only] if *only == head => return Ok(None),
            rows => {
                return Err(Error::Unsupported(format!(
                    "the version table {} already holds {}; this database is already managed by aludel or Alembic",
                    tables.version,
                    rows.join(", ")
                )))
            }
        }
        let index = graph.index_of(head).unwrap_or(0);
        let revision = &graph.revisions()[index];
        let digest = &self.source.digests()[index];
        guard.in_transaction(&mut |c| -> Result<(), Error> {
            apply_ops(c, &tables, vec![&VersionOp::Insert(head.to_string())])?;
            log(
                c,
                &tables,
                head,
                "stamp",
                &revision.checksum,
                digest,
                Duration::ZERO,
            )
        })?;
        Ok(Some(head.to_string()))
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
        let tables = Tables::new(dialect, &self.options)?;
        let graph = self.source.graph();
        let plan = graph.plan_offline(direction, range)?;
        Ok(crate::offline::script(&tables, direction, &plan))
    }

    /// Reads the version table's rows and their digests, in one query when both tables exist.
    /// `None` when there is no version table.
    fn read_state<C: Backend>(
        &self,
        conn: &mut C,
        tables: &Tables,
    ) -> Result<Option<State>, Error> {
        if let Ok(rows) = conn.pairs(&tables.select_state(), &[]) {
            return Ok(Some(State { rows }));
        }
        // A missing table (a new database, or one Alembic migrated): find out which.
        if !table_exists(conn, tables, &tables.version_name)? {
            return Ok(None);
        }
        let rows = conn
            .pairs(&tables.select_versions(), &[])
            .map_err(Error::db(format!(
                "cannot read the version table {}",
                tables.version
            )))?;
        Ok(Some(State { rows }))
    }

    /// Checks that no applied revision's file changed since it was applied.
    fn check_drift<C: Backend>(
        &self,
        conn: &mut C,
        tables: &Tables,
        state: &State,
    ) -> Result<(), Error> {
        let graph = self.source.graph();
        let digests = self.source.digests();
        for (id, recorded) in &state.rows {
            let (Some(recorded), Some(i)) = (recorded, graph.index_of(id)) else {
                continue;
            };
            if recorded == &digests[i] {
                continue;
            }
            // Find the file that changed: the newest recorded checksum of each revision below.
            let checksums = recorded_checksums(conn, tables)?;
            let below = graph.history(Some(&format!("base:{id}")))?;
            for revision in below.iter().rev() {
                if let Some((_, applied)) = checksums.iter().rev().find(|(r, _)| r == &revision.id)
                {
                    if applied != &revision.checksum {
                        return Err(Error::Drift {
                            revision: revision.id.clone(),
                            path: revision.source.path.clone(),
                            applied_checksum: applied.clone(),
                            current_checksum: revision.checksum.clone(),
                        });
                    }
                }
            }
            let revision = &graph.revisions()[i];
            return Err(Error::LineageChanged {
                revision: revision.id.clone(),
                path: revision.source.path.clone(),
                applied: recorded.clone(),
                current: digests[i].clone(),
            });
        }
        Ok(())
    }

    /// Plans under the migration lock and runs the plan.
    fn run<C: MigrationConnection>(
        &self,
        conn: &mut C,
        plan_for: impl Fn(&'a Graph, &[&str]) -> Result<Plan<'a>, Error>,
    ) -> Result<Report, Error> {
        let tables = Tables::new(conn.dialect(), &self.options)?;
        conn.prepare(&self.options)?;
        let mut guard = LockGuard::acquire(conn, &tables.lock_key, self.options.lock_timeout)?;
        ensure_tables(&mut *guard, &tables)?;
        let graph = self.source.graph();
        let mut completed: Vec<Completed> = Vec::new();
        let mut heads_before: Option<Vec<String>> = None;
        // SQLite has no session lock: a step that finds the version table changed by another
        // process re-plans from the new state.
        for _attempt in 0..1000 {
            let state = self
                .read_state(&mut *guard, &tables)?
                .unwrap_or(State { rows: Vec::new() });
            let rows = state.ids();
            heads_before.get_or_insert_with(|| rows.iter().map(|s| s.to_string()).collect());
            self.check_drift(&mut *guard, &tables, &state)?;
            let plan = plan_for(graph, &rows)?;
            self.check_plan(&plan, guard.dialect())?;
            match self.execute(&mut *guard, &tables, &plan, &mut completed)? {
                Outcome::Done => {
                    return Ok(Report {
                        heads_before: heads_before.unwrap_or_default(),
                        steps: completed,
                        heads_after: plan.heads_after.iter().map(|s| s.to_string()).collect(),
                    })
                }
                Outcome::Raced => continue,
            }
        }
        Err(Error::Unsupported(
            "the version table kept changing under this run; run again".to_string(),
        ))
    }

    /// Refuses plans that cannot run as asked, before anything runs.
    fn check_plan(&self, plan: &Plan<'_>, dialect: Dialect) -> Result<(), Error> {
        for step in &plan.steps {
            let Some(revision) = step.revision else {
                continue;
            };
            if step.direction == Direction::Downgrade && revision.downgrade.is_none() {
                return Err(Error::Irreversible {
                    revision: revision.id.clone(),
                    path: revision.source.path.clone(),
                });
            }
            if self.options.transaction == TransactionMode::All && !revision.transactional {
                return Err(Error::Unsupported(format!(
                    "revision {} ({}) is `transactional: false`, so the run cannot be one transaction; use TransactionMode::PerRevision",
                    revision.id, revision.source.path
                )));
            }
        }
        if self.options.transaction == TransactionMode::All
            && dialect == Dialect::Mysql
            && !plan.steps.is_empty()
        {
            return Err(Error::Unsupported(
                "MySQL commits DDL implicitly, so a run cannot be one transaction; use TransactionMode::PerRevision".to_string(),
            ));
        }
        Ok(())
    }

    fn execute<C: Backend>(
        &self,
        conn: &mut C,
        tables: &Tables,
        plan: &Plan<'_>,
        completed: &mut Vec<Completed>,
    ) -> Result<Outcome, Error> {
        if plan.steps.is_empty() {
            return Ok(Outcome::Done);
        }
        let digests = self.source.digests();
        let graph = self.source.graph();
        if self.options.transaction == TransactionMode::All {
            let mut done: Vec<Completed> = Vec::new();
            let before: Vec<String> = plan.heads_before.iter().map(|s| s.to_string()).collect();
            let result = conn.in_transaction(&mut |c| -> Result<(), Flow> {
                done.clear();
                if c.dialect() == Dialect::Sqlite && !rows_are(c, tables, &before)? {
                    return Err(Flow::Raced);
                }
                for step in &plan.steps {
                    self.report(Progress::Started { step });
                    let completed = run_step(c, tables, graph, digests, step, &done, false)?;
                    self.report(Progress::Finished {
                        step,
                        completed: &completed,
                    });
                    done.push(completed);
                }
                Ok(())
            });
            return match result {
                Ok(()) => {
                    completed.extend(done);
                    Ok(Outcome::Done)
                }
                Err(Flow::Raced) => Ok(Outcome::Raced),
                Err(Flow::Failed(Error::RevisionFailed {
                    revision,
                    path,
                    direction,
                    message,
                    ..
                })) => Err(Error::RevisionFailed {
                    revision,
                    path,
                    direction,
                    message,
                    partial: false,
                    outside_transaction: false,
                    completed: completed.clone(),
                }),
                Err(Flow::Failed(e)) => Err(e),
            };
        }
        let mut expected: Vec<String> = plan.heads_before.iter().map(|s| s.to_string()).collect();
        for step in &plan.steps {
            let Some(revision) = step.revision else {
                continue;
            };
            let check_race = conn.dialect() == Dialect::Sqlite;
            self.report(Progress::Started { step });
            let result = if revision.transactional {
                conn.in_transaction(&mut |c| -> Result<Completed, Flow> {
                    if check_race && !rows_are(c, tables, &expected)? {
                        return Err(Flow::Raced);
                    }
                    Ok(run_step(c, tables, graph, digests, step, completed, false)?)
                })
            } else {
                if check_race && !rows_are(conn, tables, &expected)? {
                    return Ok(Outcome::Raced);
                }
                run_step(conn, tables, graph, digests, step, completed, true).map_err(Flow::Failed)
            };
            match result {
                Ok(done) => {
                    tracing::info!(revision = %done.revision, direction = ?done.direction, duration_ms = done.duration.as_millis() as u64, "revision done");
                    self.report(Progress::Finished {
                        step,
                        completed: &done,
                    });
                    completed.push(done);
                    apply_to_rows(&mut expected, &step.ops);
                }
                Err(Flow::Raced) => return Ok(Outcome::Raced),
                Err(Flow::Failed(Error::Database { context, source }))
                    if context == TRANSACTION_FAILED =>
                {
                    return Err(Error::Database {
                        context: format!(
                            "the transaction of revision {} ({}) failed to begin or commit; if the connection was lost while committing, the version table shows whether the revision was applied",
                            revision.id, revision.source.path
                        ),
                        source,
                    });
                }
                Err(Flow::Failed(e)) => return Err(e),
            }
        }
        Ok(Outcome::Done)
    }
}

/// How a step's transaction ends when it does not commit.
enum Flow {
    /// SQLite: another process changed the version table since the plan was made.
    Raced,
    /// An error, rolled back.
    Failed(Error),
}

impl From<Error> for Flow {
    fn from(error: Error) -> Self {
        Flow::Failed(error)
    }
}

impl From<diesel::result::Error> for Flow {
    fn from(error: diesel::result::Error) -> Self {
        Flow::Failed(error.into())
    }
}

enum Outcome {
    Done,
    Raced,
}

/// Runs one step: the revision's SQL, its version-table statements and its log row.
fn run_step<C: Backend>(
    conn: &mut C,
    tables: &Tables,
    graph: &Graph,
    digests: &[String],
    step: &Step<'_>,
    completed: &[Completed],
    outside_transaction: bool,
) -> Result<Completed, Error> {
    let started = Instant::now();
    let revision = step
        .revision
        .ok_or_else(|| Error::Unsupported("a stamp step has no SQL".to_string()))?;
    let sql = match step.direction {
        Direction::Upgrade => revision.upgrade.as_str(),
        Direction::Downgrade => revision.downgrade.as_deref().unwrap_or(""),
    };
    let partial = outside_transaction || conn.dialect() == Dialect::Mysql;
    let fail = |message: String| Error::RevisionFailed {
        revision: revision.id.clone(),
        path: revision.source.path.clone(),
        direction: step.direction,
        message,
        partial,
        outside_transaction,
        completed: completed.to_vec(),
    };
    if !sql.trim().is_empty() {
        if outside_transaction && conn.dialect() == Dialect::Postgres {
            // One statement at a time: a multi-statement query is an implicit transaction,
            // where e.g. CREATE INDEX CONCURRENTLY cannot run.
            let first_line = match step.direction {
                Direction::Upgrade => revision.source.upgrade_line,
                Direction::Downgrade => revision.source.downgrade_line,
            };
            let statements =
                split_statements(sql, Dialect::Postgres).map_err(|e| fail(e.to_string()))?;
            for statement in statements {
                conn.batch(statement.text).map_err(|e| {
                    fail(format!(
                        "{} (in the statement at line {})",
                        database_message(&e),
                        first_line + statement.line.saturating_sub(1)
                    ))
                })?;
            }
        } else {
            conn.batch(sql).map_err(|e| fail(database_message(&e)))?;
        }
    }
    let duration = started.elapsed();
    let record = |c: &mut C| -> Result<(), Error> {
        apply_ops(c, tables, step.ops.iter().collect())?;
        let i = graph.index_of(&revision.id).unwrap_or(0);
        let word = match step.direction {
            Direction::Upgrade => "upgrade",
            Direction::Downgrade => "downgrade",
        };
        log(
            c,
            tables,
            &revision.id,
            word,
            &revision.checksum,
            &digests[i],
            duration,
        )
    };
    if outside_transaction {
        conn.in_transaction(&mut |c| -> Result<(), Error> { record(c) })?;
    } else {
        record(conn)?;
    }
    Ok(Completed {
        revision: revision.id.clone(),
        direction: step.direction,
        duration,
    })
}

fn apply_ops<C: Backend>(conn: &mut C, tables: &Tables, ops: Vec<&VersionOp>) -> Result<(), Error> {
    for op in ops {
        let (sql, binds, what): (String, Vec<Bind<'_>>, String) = match op {
            VersionOp::Insert(v) => (
                tables.insert_version(),
                vec![Bind::Text(v)],
                format!("insert {v} into"),
            ),
            VersionOp::Update { from, to } => (
                tables.update_version(),
                vec![Bind::Text(to), Bind::Text(from)],
                format!("update {from} to {to} in"),
            ),
            VersionOp::Delete(v) => (
                tables.delete_version(),
                vec![Bind::Text(v)],
                format!("delete {v} from"),
            ),
        };
        let affected = conn.exec(&sql, &binds).map_err(Error::db(format!(
            "cannot {what} the version table {}",
            tables.version
        )))?;
        if affected != 1 {
            return Err(Error::Unsupported(format!(
                "the version table {} did not hold what the plan expected ({what} it changed {affected} rows); another tool changed it during the run",
                tables.version
            )));
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn log<C: Backend>(
    conn: &mut C,
    tables: &Tables,
    revision: &str,
    direction: &str,
    checksum: &str,
    lineage: &str,
    duration: Duration,
) -> Result<(), Error> {
    let recorded_at = now_iso();
    let millis = i64::try_from(duration.as_millis()).unwrap_or(i64::MAX);
    conn.exec(
        &tables.insert_log(),
        &[
            Bind::Text(revision),
            Bind::Text(direction),
            Bind::Text(checksum),
            Bind::Text(lineage),
            Bind::Text(&recorded_at),
            Bind::Int(millis),
        ],
    )
    .map(|_| ())
    .map_err(Error::db(format!(
        "cannot write the revision log {}",
        tables.log
    )))
}

/// Creates the version table and the revision log when missing, in one transaction: on a new
/// database that is one commit (one fsync) instead of one per statement.
fn ensure_tables<C: Backend>(conn: &mut C, tables: &Tables) -> Result<(), Error> {
    conn.in_transaction(&mut |c| -> Result<(), Error> {
        c.batch(&tables.create_version_table())
            .map_err(Error::db(format!(
                "cannot create the version table {}",
                tables.version
            )))?;
        for sql in tables.create_log_table() {
            c.batch(&sql).map_err(Error::db(format!(
                "cannot create the revision log {}",
                tables.log
            )))?;
        }
        Ok(())
    })
}

fn recorded_checksums<C: Backend>(
    conn: &mut C,
    tables: &Tables,
) -> Result<Vec<(String, String)>, Error> {
    let rows = conn
        .pairs(&tables.select_checksums(), &[])
        .map_err(Error::db(format!(
            "cannot read the revision log {}",
            tables.log
        )))?;
    Ok(rows
        .into_iter()
        .map(|(id, sum)| (id, sum.unwrap_or_default()))
        .collect())
}

/// Whether the version table holds exactly `expected` (in any order).
fn rows_are<C: Backend>(conn: &mut C, tables: &Tables, expected: &[String]) -> Result<bool, Error> {
    let rows = conn
        .pairs(&tables.select_versions(), &[])
        .map_err(Error::db(format!(
            "cannot read the version table {}",
            tables.version
        )))?;
    let mut found: Vec<&str> = rows.iter().map(|(id, _)| id.as_str()).collect();
    let mut wanted: Vec<&str> = expected.iter().map(String::as_str).collect();
    found.sort_unstable();
    wanted.sort_unstable();
    Ok(found == wanted)
}

fn apply_to_rows(rows: &mut Vec<String>, ops: &[VersionOp]) {
    for op in ops {
        match op {
            VersionOp::Insert(v) => rows.push(v.clone()),
            VersionOp::Delete(v) => rows.retain(|r| r != v),
            VersionOp::Update { from, to } => {
                if let Some(r) = rows.iter_mut().find(|r| *r == from) {
                    *r = to.clone();
                }
            }
        }
    }
}
