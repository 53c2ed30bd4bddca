//! Several databases migrated by one history (Alembic's multidb): a small coordinator over one
//! migrator per database.
//!
//! Each database keeps its own version table and runs the revisions' sections for every
//! database and those that name it (`-- upgrade <name>`). An upgrade goes revision by
//! revision: a revision is applied on every database that lacks it, in the order the
//! databases were added, before the next revision starts on any; a downgrade reverts them in
//! the reverse order. Each database commits its own part of a revision: there is no
//! transaction across databases. When one fails the run stops there, and the error names it
//! and the databases that are ahead of it; every database's version table says where it
//! stands, so running again continues each one from there and converges.

use std::future::Future;
use std::pin::Pin;

use aludel_graph::{Direction, Graph, Plan, VersionOp};

use crate::drive::complete;
use crate::drive::sync::{on_connection, MigrationConnection};
use crate::error::Error;
use crate::options::Options;
use crate::run::{Migrator, Report};

/// A call on one database, boxed so that connections of different kinds, sync and async,
/// stand in one list.
type Call<'s, T> = Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 's>>;

/// What the coordinator asks of one database's connection.
trait Member<'a>: Send {
    /// The version table's rows when nothing is pending (one query), else `None`.
    fn up_to_date<'s>(&'s mut self, m: &'s Migrator<'a>) -> Call<'s, Option<Vec<String>>>;
    /// The revisions an upgrade or downgrade to `target` would run, in order.
    fn pending<'s>(
        &'s mut self,
        m: &'s Migrator<'a>,
        direction: Direction,
        target: &'s str,
    ) -> Call<'s, Vec<String>>;
    /// Runs the plan to `target` up to and including `through`.
    fn through<'s>(
        &'s mut self,
        m: &'s Migrator<'a>,
        direction: Direction,
        target: &'s str,
        through: &'s str,
    ) -> Call<'s, Report>;
    /// The version table's rows.
    fn current<'s>(&'s mut self, m: &'s Migrator<'a>) -> Call<'s, Vec<String>>;
    /// Stamps the version table.
    fn stamp<'s>(
        &'s mut self,
        m: &'s Migrator<'a>,
        target: &'s str,
        purge: bool,
    ) -> Call<'s, Report>;
}

/// A blocking connection: each call runs to its end on the calling thread.
struct SyncMember<'c, C: MigrationConnection + Send>(&'c mut C);

impl<'a, C: MigrationConnection + Send> Member<'a> for SyncMember<'_, C> {
    fn up_to_date<'s>(&'s mut self, m: &'s Migrator<'a>) -> Call<'s, Option<Vec<String>>> {
        let conn = &mut *self.0;
        let result = on_connection!(conn, |d| complete(m.up_to_date_on(d)));
        Box::pin(std::future::ready(result))
    }

    fn pending<'s>(
        &'s mut self,
        m: &'s Migrator<'a>,
        direction: Direction,
        target: &'s str,
    ) -> Call<'s, Vec<String>> {
        let conn = &mut *self.0;
        let result = on_connection!(conn, |d| complete(m.pending_on(d, direction, target)));
        Box::pin(std::future::ready(result))
    }

    fn through<'s>(
        &'s mut self,
        m: &'s Migrator<'a>,
        direction: Direction,
        target: &'s str,
        through: &'s str,
    ) -> Call<'s, Report> {
        let conn = &mut *self.0;
        let result = on_connection!(conn, |d| complete(
            m.move_through_on(d, direction, target, through)
        ));
        Box::pin(std::future::ready(result))
    }

    fn current<'s>(&'s mut self, m: &'s Migrator<'a>) -> Call<'s, Vec<String>> {
        let conn = &mut *self.0;
        let result = on_connection!(conn, |d| complete(m.current_on(d)));
        Box::pin(std::future::ready(result))
    }

    fn stamp<'s>(
        &'s mut self,
        m: &'s Migrator<'a>,
        target: &'s str,
        purge: bool,
    ) -> Call<'s, Report> {
        let conn = &mut *self.0;
        let result = on_connection!(conn, |d| complete(m.stamp_on(d, target, purge)));
        Box::pin(std::future::ready(result))
    }
}

/// An async connection, awaited.
#[cfg(feature = "async")]
struct AsyncMember<'c, C: crate::AsyncMigrationConnection>(&'c mut C);

#[cfg(feature = "async")]
impl<'a, C: crate::AsyncMigrationConnection> Member<'a> for AsyncMember<'_, C> {
    fn up_to_date<'s>(&'s mut self, m: &'s Migrator<'a>) -> Call<'s, Option<Vec<String>>> {
        Box::pin(async move { crate::run::drive_async!(&mut *self.0, |d| m.up_to_date_on(d)) })
    }

    fn pending<'s>(
        &'s mut self,
        m: &'s Migrator<'a>,
        direction: Direction,
        target: &'s str,
    ) -> Call<'s, Vec<String>> {
        Box::pin(async move {
            crate::run::drive_async!(&mut *self.0, |d| m.pending_on(d, direction, target))
        })
    }

    fn through<'s>(
        &'s mut self,
        m: &'s Migrator<'a>,
        direction: Direction,
        target: &'s str,
        through: &'s str,
    ) -> Call<'s, Report> {
        Box::pin(async move {
            crate::run::drive_async!(&mut *self.0, |d| m
                .move_through_on(d, direction, target, through))
        })
    }

    fn current<'s>(&'s mut self, m: &'s Migrator<'a>) -> Call<'s, Vec<String>> {
        Box::pin(async move { crate::run::drive_async!(&mut *self.0, |d| m.current_on(d)) })
    }

    fn stamp<'s>(
        &'s mut self,
        m: &'s Migrator<'a>,
        target: &'s str,
        purge: bool,
    ) -> Call<'s, Report> {
        Box::pin(
            async move { crate::run::drive_async!(&mut *self.0, |d| m.stamp_on(d, target, purge)) },
        )
    }
}

/// One database of the set: its name, its migrator and its connection.
struct Entry<'a, 'c> {
    name: String,
    migrator: Migrator<'a>,
    member: Box<dyn Member<'a> + 'c>,
}

/// Several databases migrated together by one history: made by [`Migrator::databases`] (or
/// [`Migrations::databases`](crate::Migrations::databases)), given a connection per database
/// with [`Databases::sync`] or `Databases::on_async` (feature `async`), sync and async mixed,
/// then run.
///
/// ```
/// # #[cfg(feature = "sqlite")] {
/// # use diesel::Connection;
/// # let history = aludel::graph::load_files_with_sections(
/// #     &[("1.sql".to_string(), b"-- revision: a1\n-- down_revision:\n\n-- upgrade main\nCREATE TABLE users (id INTEGER);\n-- upgrade analytics\nCREATE TABLE events (id INTEGER);\n".to_vec())],
/// #     &aludel::graph::GraphOptions { databases: vec!["main".into(), "analytics".into()], ..Default::default() },
/// # ).unwrap();
/// # let migrations = aludel::LoadedMigrations::new(history.0, history.1)
/// #     .with_databases(vec!["main".into(), "analytics".into()]);
/// let mut main = diesel::SqliteConnection::establish(":memory:").unwrap();
/// let mut analytics = diesel::SqliteConnection::establish(":memory:").unwrap();
/// let reports = migrations
///     .migrator()
///     .databases()
///     .sync("main", &mut main)
///     .sync("analytics", &mut analytics)
///     .run_pending_blocking()
///     .unwrap();
/// assert_eq!(reports.len(), 2);
/// # }
/// ```
///
/// The calls are `async` because a set may hold async connections; with sync connections only
/// the `*_blocking` calls run them on the calling thread. A sync connection in an async set
/// runs its calls on the task's thread, as any blocking diesel call does.
pub struct Databases<'a, 'c> {
    migrator: Migrator<'a>,
    entries: Vec<Entry<'a, 'c>>,
    all_sync: bool,
}

impl std::fmt::Debug for Databases<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.entries.iter().map(|e| e.name.as_str()).collect();
        f.debug_struct("Databases")
            .field("migrator", &self.migrator)
            .field("databases", &names)
            .finish()
    }
}

impl<'a> Migrator<'a> {
    /// Several databases migrated together by this history (see [`Databases`]); each uses
    /// this migrator's options with [`Options::database`] set to its name.
    pub fn databases<'c>(&self) -> Databases<'a, 'c> {
        Databases {
            migrator: self.clone(),
            entries: Vec::new(),
            all_sync: true,
        }
    }
}

impl crate::Migrations {
    /// Several databases migrated together by this history (see [`Databases`]).
    pub fn databases<'c>(&self) -> Databases<'_, 'c> {
        self.migrator().databases()
    }
}

impl<'a, 'c> Databases<'a, 'c> {
    /// Adds database `name` through a blocking connection.
    #[must_use]
    pub fn sync<C: MigrationConnection + Send + 'c>(self, name: &str, conn: &'c mut C) -> Self {
        let options = self.migrator.options().clone().database(name);
        self.sync_with(name, conn, options)
    }

    /// [`Databases::sync`] with options of its own (e.g. its version table); the database is
    /// `name` whatever `options.database` says.
    #[must_use]
    pub fn sync_with<C: MigrationConnection + Send + 'c>(
        self,
        name: &str,
        conn: &'c mut C,
        options: Options,
    ) -> Self {
        self.add(name, options, Box::new(SyncMember(conn)))
    }

    /// Adds database `name` through a diesel-async connection.
    #[cfg(feature = "async")]
    #[must_use]
    pub fn on_async<C: crate::AsyncMigrationConnection + 'c>(
        self,
        name: &str,
        conn: &'c mut C,
    ) -> Self {
        let options = self.migrator.options().clone().database(name);
        self.on_async_with(name, conn, options)
    }

    /// [`Databases::on_async`] with options of its own.
    #[cfg(feature = "async")]
    #[must_use]
    pub fn on_async_with<C: crate::AsyncMigrationConnection + 'c>(
        mut self,
        name: &str,
        conn: &'c mut C,
        options: Options,
    ) -> Self {
        self.all_sync = false;
        self.add(name, options, Box::new(AsyncMember(conn)))
    }

    /// Adds database `name`, its migrator made with `options` for that database.
    fn add(mut self, name: &str, options: Options, member: Box<dyn Member<'a> + 'c>) -> Self {
        let migrator = self.migrator.clone().with_options(options.database(name));
        self.entries.push(Entry {
            name: name.to_string(),
            migrator,
            member,
        });
        self
    }

    /// Applies every pending revision on every database. With nothing pending anywhere this
    /// costs one query per database.
    pub async fn run_pending(mut self) -> Result<Vec<(String, Report)>, Error> {
        let mut rows = Vec::with_capacity(self.entries.len());
        for entry in &mut self.entries {
            match entry.member.up_to_date(&entry.migrator).await {
                Ok(Some(current)) => rows.push(current),
                Ok(None) => return self.run(Direction::Upgrade, "heads").await,
                Err(error) => return Err(failed(&entry.name, error, Vec::new())),
            }
        }
        Ok(self
            .entries
            .iter()
            .zip(rows)
            .map(|(entry, rows)| {
                let report = Report {
                    heads_before: rows.clone(),
                    steps: Vec::new(),
                    heads_after: rows,
                };
                (entry.name.clone(), report)
            })
            .collect())
    }

    /// Upgrades every database to `target`, revision by revision.
    pub async fn upgrade(self, target: &str) -> Result<Vec<(String, Report)>, Error> {
        self.run(Direction::Upgrade, target).await
    }

    /// Downgrades every database to `target`, revision by revision, in the reverse order of
    /// the databases.
    ///
    /// # Warning
    /// Downgrades run the revisions' downgrade SQL, which usually drops data.
    pub async fn downgrade(self, target: &str) -> Result<Vec<(String, Report)>, Error> {
        self.run(Direction::Downgrade, target).await
    }

    /// Each database's version table's rows.
    pub async fn current(mut self) -> Result<Vec<(String, Vec<String>)>, Error> {
        let mut out = Vec::with_capacity(self.entries.len());
        for entry in &mut self.entries {
            let rows = entry
                .member
                .current(&entry.migrator)
                .await
                .map_err(|e| failed(&entry.name, e, Vec::new()))?;
            out.push((entry.name.clone(), rows));
        }
        Ok(out)
    }

    /// Stamps every database's version table with `target` (see [`Migrator::stamp`]).
    ///
    /// # Warning
    /// A stamp changes what the databases claim is applied; their schemas are not touched.
    pub async fn stamp(
        mut self,
        target: &str,
        purge: bool,
    ) -> Result<Vec<(String, Report)>, Error> {
        let mut out = Vec::with_capacity(self.entries.len());
        let mut done = Vec::new();
        for entry in &mut self.entries {
            let report = entry
                .member
                .stamp(&entry.migrator, target, purge)
                .await
                .map_err(|e| failed(&entry.name, e, done.clone()))?;
            done.push(entry.name.clone());
            out.push((entry.name.clone(), report));
        }
        Ok(out)
    }

    /// [`Databases::run_pending`] on the calling thread, for a set of sync connections only.
    pub fn run_pending_blocking(self) -> Result<Vec<(String, Report)>, Error> {
        self.blocking()?;
        complete(self.run_pending())
    }

    /// [`Databases::upgrade`] on the calling thread, for a set of sync connections only.
    pub fn upgrade_blocking(self, target: &str) -> Result<Vec<(String, Report)>, Error> {
        self.blocking()?;
        complete(self.upgrade(target))
    }

    /// [`Databases::downgrade`] on the calling thread, for a set of sync connections only.
    ///
    /// # Warning
    /// Downgrades run the revisions' downgrade SQL, which usually drops data.
    pub fn downgrade_blocking(self, target: &str) -> Result<Vec<(String, Report)>, Error> {
        self.blocking()?;
        complete(self.downgrade(target))
    }

    /// [`Databases::current`] on the calling thread, for a set of sync connections only.
    pub fn current_blocking(self) -> Result<Vec<(String, Vec<String>)>, Error> {
        self.blocking()?;
        complete(self.current())
    }

    /// [`Databases::stamp`] on the calling thread, for a set of sync connections only.
    pub fn stamp_blocking(self, target: &str, purge: bool) -> Result<Vec<(String, Report)>, Error> {
        self.blocking()?;
        complete(self.stamp(target, purge))
    }

    /// Refuses a blocking call on a set with async connections, which need their runtime.
    fn blocking(&self) -> Result<(), Error> {
        match self.all_sync {
            true => Ok(()),
            false => Err(Error::AsyncInBlockingCall),
        }
    }

    /// The upgrade or downgrade to `target`: each database's pending revisions, then revision
    /// by revision across the databases.
    async fn run(
        mut self,
        direction: Direction,
        target: &str,
    ) -> Result<Vec<(String, Report)>, Error> {
        let graph = self.migrator.graph()?;
        let mut pending: Vec<Vec<String>> = Vec::with_capacity(self.entries.len());
        for entry in &mut self.entries {
            let ids = entry
                .member
                .pending(&entry.migrator, direction, target)
                .await
                .map_err(|e| failed(&entry.name, e, Vec::new()))?;
            pending.push(ids);
        }
        // Every database is checked for drift (and reports where it stands) before any runs a
        // revision: a run with nothing to apply is that check.
        let mut reports: Vec<Report> = Vec::with_capacity(self.entries.len());
        for entry in &mut self.entries {
            let report = entry
                .member
                .through(&entry.migrator, direction, target, "")
                .await
                .map_err(|e| failed(&entry.name, e, Vec::new()))?;
            reports.push(report);
        }
        let order = revision_order(graph, direction, &pending);
        let mut indices: Vec<usize> = (0..self.entries.len()).collect();
        if direction == Direction::Downgrade {
            indices.reverse();
        }
        for id in &order {
            // The databases (in the run's order) that have already run this revision.
            let mut ran: Vec<String> = Vec::new();
            for &i in &indices {
                if !pending[i].contains(id) {
                    continue;
                }
                let entry = &mut self.entries[i];
                let report = entry
                    .member
                    .through(&entry.migrator, direction, target, id)
                    .await
                    .map_err(|e| failed(&entry.name, e, ran.clone()))?;
                let merged = &mut reports[i];
                merged.steps.extend(report.steps);
                merged.heads_after = report.heads_after;
                ran.push(entry.name.clone());
            }
        }
        Ok(self
            .entries
            .iter()
            .map(|e| e.name.clone())
            .zip(reports)
            .collect())
    }
}

/// The error of database `name`, with the databases ahead of it.
fn failed(name: &str, error: Error, ahead: Vec<String>) -> Error {
    Error::DatabaseFailed {
        database: name.to_string(),
        ahead,
        source: Box::new(error),
    }
}

/// Every revision pending on some database, in the order the run takes them: the history's
/// topological order (parents first) for an upgrade, its reverse for a downgrade.
fn revision_order(graph: &Graph, direction: Direction, pending: &[Vec<String>]) -> Vec<String> {
    let mut all: Vec<&str> = pending.iter().flatten().map(String::as_str).collect();
    all.sort_unstable();
    all.dedup();
    let position = |id: &str| graph.index_of(id).map(|i| graph.topological_position(i));
    let mut order: Vec<(Option<u32>, &str)> =
        all.into_iter().map(|id| (position(id), id)).collect();
    order.sort();
    if direction == Direction::Downgrade {
        order.reverse();
    }
    order.into_iter().map(|(_, id)| id.to_string()).collect()
}

/// `plan` up to and including the step that runs `through` (none of it when no step does, as
/// for `""`), with the rows the version table holds after that step.
pub(crate) fn truncate<'g>(graph: &'g Graph, plan: Plan<'g>, through: &str) -> Plan<'g> {
    let Some(last) = plan
        .steps
        .iter()
        .position(|s| s.revision.is_some_and(|r| r.id == through))
    else {
        return Plan {
            heads_after: plan.heads_before.clone(),
            heads_before: plan.heads_before,
            steps: Vec::new(),
        };
    };
    let mut steps = plan.steps;
    steps.truncate(last + 1);
    let mut rows: Vec<&'g str> = plan.heads_before.clone();
    let intern = |id: &str| graph.get(id).map(|r| r.id.as_str());
    for step in &steps {
        for op in &step.ops {
            match op {
                VersionOp::Insert(v) => rows.extend(intern(v)),
                VersionOp::Delete(v) => rows.retain(|r| r != v),
                VersionOp::Update { from, to } => {
                    if let (Some(row), Some(to)) =
                        (rows.iter_mut().find(|r| *r == from), intern(to))
                    {
                        *row = to;
                    }
                }
            }
        }
    }
    Plan {
        heads_before: plan.heads_before,
        steps,
        heads_after: rows,
    }
}
