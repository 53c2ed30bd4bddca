//! Applying a plan: under the migration lock, revision by revision, each revision's SQL and
//! its records in one transaction; a run that finds the version table changed by another
//! migrator plans again from the new state.

use std::time::Instant;

use aludel_graph::sql::{split_statements, Dialect};
use aludel_graph::{Direction, Graph, Plan, RevisionKind, Step, VersionOp};

use super::history::Source;
use super::state::{self, rows_are};
use super::{drift, Migrator, Progress, Report};
use crate::db::{
    self, in_session, in_transaction, lock_session, now_iso, open_write, unlock_session, Elapsed,
    Frame, LockName, LogEntry, Tables,
};
use crate::drive::{execute_sql, Driver, SqlFailure};
use crate::error::{database_message, Completed, Error};
use crate::op::{Op, Recorder};
use crate::options::TransactionMode;

/// How a step's transaction ends when it does not commit.
enum Flow {
    /// Another migrator changed the version table since the plan was made.
    Raced,
    /// An error, rolled back.
    Failed(Box<Error>),
    /// `BEGIN` or `COMMIT` itself failed.
    Transaction(diesel::result::Error),
    /// A batch that checks the version table at its end failed: the revision failed (`error`),
    /// unless another migrator moved the table, which is decided after the rollback.
    Unsure {
        source: Option<diesel::result::Error>,
        error: Box<Error>,
    },
}

impl From<Error> for Flow {
    fn from(error: Error) -> Self {
        Flow::Failed(Box::new(error))
    }
}

impl From<diesel::result::Error> for Flow {
    fn from(error: diesel::result::Error) -> Self {
        Flow::Transaction(error)
    }
}

enum Outcome {
    Done,
    Raced,
}

/// What every step of one run shares.
struct Run<'r, 'a> {
    migrator: &'r Migrator<'a>,
    tables: &'r Tables,
    graph: &'a Graph,
    lock: LockName,
}

/// Plans under the migration lock and runs the plan; plans again when another migrator got
/// there first. `tables_exist` skips creating aludel's tables when a read just found them.
pub(super) async fn run<'a, D: Driver>(
    migrator: &Migrator<'a>,
    d: &mut D,
    tables: &Tables,
    tables_exist: bool,
    plan_for: impl Fn(&'a Graph, &[&str]) -> Result<Plan<'a>, Error>,
) -> Result<Report, Error> {
    let options = &migrator.options;
    in_session!(d, open_write(d, tables, options), |lock| {
        let graph = migrator.source.graph()?;
        if !tables_exist {
            // What cannot run is refused before aludel's tables are created.
            let before = state::read(d, tables).await?.unwrap_or_default();
            check_plan(
                migrator,
                graph,
                &plan_for(graph, &before.ids())?,
                d.dialect(),
            )?;
            state::ensure_tables(d, tables, &lock, options.lock_timeout).await?;
        }
        let run = Run {
            migrator,
            tables,
            graph,
            lock,
        };
        let mut completed: Vec<Completed> = Vec::new();
        let mut heads_before: Option<Vec<String>> = None;
        // Each plan that finds the table changed follows a revision another migrator applied,
        // so the attempts are bounded by the history's length (and a margin for downgrades).
        let attempts = 100 + 10 * graph.len();
        for _ in 0..attempts {
            let state = state::read_known(d, tables).await?;
            let rows = state.ids();
            heads_before.get_or_insert_with(|| rows.iter().map(|s| s.to_string()).collect());
            drift::check(d, tables, migrator.source, &state).await?;
            let plan = plan_for(graph, &rows)?;
            check_plan(migrator, graph, &plan, d.dialect())?;
            match run.execute(d, &plan, &mut completed).await? {
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
        Err(Error::KeptChanging {
            attempts,
            completed,
        })
    })
}

/// Refuses a step whose revision has nothing to run in its direction: a downgrade through an
/// irreversible revision, or a Rust revision of a history loaded at run time (live and offline
/// alike).
pub(super) fn runnable(
    source: Source<'_>,
    graph: &Graph,
    step: &Step<'_>,
    database: Option<&str>,
) -> Result<(), Error> {
    let Some(revision) = step.revision else {
        return Ok(());
    };
    let Some(body) = source.body(graph, &revision.id, database) else {
        return Err(match revision.kind {
            RevisionKind::Rust => Error::RustRevision {
                revision: revision.id.clone(),
                path: revision.source.path.clone(),
            },
            RevisionKind::Sql => Error::NoSections {
                revision: revision.id.clone(),
                path: revision.source.path.clone(),
            },
        });
    };
    // Per database: a revision whose sections for this database have no downgrade.
    let reversible = match body {
        crate::body::Body::Sql { downgrade, .. } => downgrade.is_some(),
        crate::body::Body::Rust(rust) => rust.downgrade.is_some(),
    };
    if step.direction == Direction::Downgrade && !reversible {
        return Err(Error::Irreversible {
            revision: revision.id.clone(),
            path: revision.source.path.clone(),
        });
    }
    Ok(())
}

/// Refuses plans that cannot run as asked, before anything runs.
fn check_plan(
    migrator: &Migrator<'_>,
    graph: &Graph,
    plan: &Plan<'_>,
    dialect: Dialect,
) -> Result<(), Error> {
    let whole = migrator.options.transaction == TransactionMode::All;
    for step in &plan.steps {
        let Some(revision) = step.revision else {
            continue;
        };
        runnable(migrator.source, graph, step, migrator.database())?;
        if whole && !revision.transactional {
            return Err(Error::NotTransactional {
                revision: revision.id.clone(),
                path: revision.source.path.clone(),
            });
        }
    }
    if whole && dialect == Dialect::Mysql && !plan.steps.is_empty() {
        return Err(Error::WholeRunOnMysql);
    }
    Ok(())
}

impl Run<'_, '_> {
    fn source(&self) -> Source<'_> {
        self.migrator.source
    }

    /// Whether a step runs with SQLite's foreign keys off (see
    /// [`crate::body::Body::needs_foreign_keys_off`]).
    fn needs_foreign_keys_off(&self, dialect: Dialect, step: &Step<'_>) -> bool {
        dialect == Dialect::Sqlite
            && step.revision.is_some_and(|r| {
                self.source()
                    .body(self.graph, &r.id, self.migrator.database())
                    .is_some_and(|b| b.needs_foreign_keys_off(step.direction))
            })
    }

    fn timeout(&self) -> std::time::Duration {
        self.migrator.options.lock_timeout
    }

    /// Runs a plan made from the version table's rows `plan.heads_before`.
    async fn execute<D: Driver>(
        &self,
        d: &mut D,
        plan: &Plan<'_>,
        completed: &mut Vec<Completed>,
    ) -> Result<Outcome, Error> {
        if plan.steps.is_empty() {
            return Ok(Outcome::Done);
        }
        let before: Vec<String> = plan.heads_before.iter().map(|s| s.to_string()).collect();
        let dialect = d.dialect();
        if self.migrator.options.transaction == TransactionMode::All {
            let mut done: Vec<Completed> = Vec::new();
            let rebuilds = plan
                .steps
                .iter()
                .any(|s| self.needs_foreign_keys_off(dialect, s));
            let suspended = rebuilds && db::suspend_foreign_keys(d).await?;
            let result: Result<(), Flow> = in_transaction!(d, {
                self.enter(d, &before, completed).await?;
                let mut baseline = violations_before(d, suspended).await?;
                let steps: Vec<&Step<'_>> =
                    plan.steps.iter().filter(|s| s.revision.is_some()).collect();
                for (i, step) in steps.iter().enumerate() {
                    let step = *step;
                    let finish = (i + 1 == steps.len()).then_some(plan.heads_after.as_slice());
                    self.migrator.report(Progress::Started { step });
                    let finished = self
                        .run_step(d, step, completed, false, finish, None)
                        .await?;
                    if suspended {
                        baseline = check_foreign_keys(d, step, completed, baseline).await?;
                    }
                    self.migrator.report(Progress::Finished {
                        step,
                        completed: &finished,
                    });
                    done.push(finished);
                }
                Ok(())
            });
            if suspended {
                db::resume_foreign_keys(d).await?;
            }
            return match result {
                Ok(()) => {
                    completed.extend(done);
                    Ok(Outcome::Done)
                }
                Err(Flow::Raced) => Ok(Outcome::Raced),
                // Nothing of the run stays: the whole run was one transaction.
                Err(Flow::Failed(mut error) | Flow::Unsure { mut error, .. }) => {
                    if let Error::RevisionFailed { completed: c, .. } = &mut *error {
                        c.clone_from(completed);
                    }
                    Err(*error)
                }
                Err(Flow::Transaction(source)) => {
                    let last = plan.steps.last().and_then(|s| s.revision);
                    Err(Error::RecordFailed {
                        revision: last.map(|r| r.id.clone()).unwrap_or_default(),
                        path: last.map(|r| r.source.path.clone()).unwrap_or_default(),
                        direction: plan.steps[0].direction,
                        what: "committed",
                        partial: false,
                        source: Box::new(source),
                        completed: completed.clone(),
                    })
                }
            };
        }
        let mut expected = before;
        let last = plan.steps.iter().rposition(|s| s.revision.is_some());
        let frame = db::frame(d);
        // Each step's need once (an SQL revision's statements are read for it).
        let foreign_keys_off: Vec<bool> = plan
            .steps
            .iter()
            .map(|s| self.needs_foreign_keys_off(dialect, s))
            .collect();
        // Whether the previous revision's batch opened this revision's transaction.
        let mut open = false;
        for (i, step) in plan.steps.iter().enumerate() {
            let Some(revision) = step.revision else {
                continue;
            };
            if self.migrator.stop_requested() {
                // The previous revision's `COMMIT` opened this one's transaction.
                if let (true, Some(frame)) = (open, frame) {
                    if let Err(error) = d.batch(frame.rollback).await {
                        tracing::warn!(error = %error, "could not end the transaction opened for the next revision");
                    }
                }
                return Err(Error::Interrupted {
                    completed: completed.clone(),
                });
            }
            // The last revision records the lineage of the rows the run leaves.
            let finish = (Some(i) == last).then_some(plan.heads_after.as_slice());
            self.migrator.report(Progress::Started { step });
            // A Rust revision's transaction is diesel's, so that a `transaction(..)` of its own
            // on the lent connection nests as a savepoint instead of committing the revision.
            // An SQL revision that drops a table runs as a Rust revision does, with SQLite's
            // foreign keys off around its transaction.
            let framed = |j: usize| {
                plan.steps[j]
                    .revision
                    .is_some_and(|r| r.transactional && r.kind == RevisionKind::Sql)
                    && !foreign_keys_off[j]
            };
            let result = match (revision.transactional, frame) {
                (true, Some(frame)) if framed(i) => {
                    let next =
                        (i + 1..plan.steps.len()).find(|&j| plan.steps[j].revision.is_some());
                    let chain = next.is_some_and(framed);
                    self.framed(
                        d, frame, &mut open, chain, step, &expected, completed, finish,
                    )
                    .await
                }
                (true, _) => {
                    // SQLite's foreign keys are off around a Rust revision's transaction and
                    // an SQL revision's that drops a table, as a table rebuild needs, and
                    // checked before it commits.
                    let suspended = foreign_keys_off[i] && db::suspend_foreign_keys(d).await?;
                    let result: Result<Completed, Flow> = in_transaction!(d, {
                        self.enter(d, &expected, completed).await?;
                        let baseline = violations_before(d, suspended).await?;
                        let done = self
                            .run_step(d, step, completed, false, finish, None)
                            .await?;
                        if suspended {
                            check_foreign_keys(d, step, completed, baseline).await?;
                        }
                        Ok(done)
                    });
                    if suspended {
                        db::resume_foreign_keys(d).await?;
                    }
                    result
                }
                (false, _) => {
                    self.outside_transaction(d, step, &expected, completed, finish)
                        .await
                }
            };
            match result {
                Ok(done) => {
                    tracing::info!(revision = %done.revision, direction = ?done.direction, duration_ms = done.duration.as_millis() as u64, "revision done");
                    self.migrator.report(Progress::Finished {
                        step,
                        completed: &done,
                    });
                    completed.push(done);
                    apply_to_rows(&mut expected, &step.ops);
                }
                Err(Flow::Raced) => return Ok(Outcome::Raced),
                Err(Flow::Failed(error) | Flow::Unsure { error, .. }) => return Err(*error),
                Err(Flow::Transaction(source)) => {
                    return Err(Error::RecordFailed {
                        revision: revision.id.clone(),
                        path: revision.source.path.clone(),
                        direction: step.direction,
                        what: "begun or committed",
                        partial: dialect == Dialect::Mysql,
                        source: Box::new(source),
                        completed: completed.clone(),
                    })
                }
            }
        }
        Ok(Outcome::Done)
    }

    /// A revision in a transaction that aludel frames itself (see [`db::frame`]), in three
    /// round trips: the migration lock; one batch of the revision's SQL and one statement that
    /// checks the version table, moves it and writes the log row
    /// ([`Tables::record_checked`]); its `COMMIT` with, where `chain`, the next revision's
    /// `BEGIN`. The transaction is opened by the previous revision where `open`, else by a
    /// `BEGIN` of its own. The `COMMIT` waits for the batch's result, so a migrator killed
    /// while its SQL runs leaves nothing of the revision. Every path that does not pass the
    /// transaction on to the next revision ends it.
    #[allow(clippy::too_many_arguments)]
    async fn framed<D: Driver>(
        &self,
        d: &mut D,
        frame: Frame,
        open: &mut bool,
        chain: bool,
        step: &Step<'_>,
        expected: &[String],
        completed: &[Completed],
        finish: Option<&[&str]>,
    ) -> Result<Completed, Flow> {
        if !std::mem::take(open) {
            d.batch(frame.begin).await?;
        }
        let result: Result<Completed, Flow> = async {
            db::enter_revision(d, self.tables, &self.lock, self.timeout())
                .await
                .map_err(|e| with_completed(e, completed))?;
            let done = self
                .run_step(d, step, completed, false, finish, Some(expected))
                .await?;
            let mut end = frame.commit.to_string();
            if chain {
                end.push_str(";\n");
                end.push_str(frame.begin);
            }
            d.batch(&end).await?;
            Ok(done)
        }
        .await;
        match result {
            Ok(done) => {
                *open = chain;
                Ok(done)
            }
            Err(flow) => {
                // After a failed COMMIT no transaction is left, and `ROLLBACK` only warns.
                if let Err(error) = d.batch(frame.rollback).await {
                    tracing::warn!(error = %error, "could not roll back the revision's transaction");
                }
                match flow {
                    // A revision's SQL that ran on a plan another migrator made stale can fail
                    // before the check at the end of its batch: the table says which it was.
                    Flow::Unsure { source, error } => {
                        let guard = source
                            .as_ref()
                            .is_some_and(|s| self.tables.is_guard_error(s));
                        if guard || matches!(rows_are(d, self.tables, expected).await, Ok(false)) {
                            Err(Flow::Raced)
                        } else {
                            Err(Flow::Failed(error))
                        }
                    }
                    other => Err(other),
                }
            }
        }
    }

    /// The start of each of a run's transactions: the migration lock (PostgreSQL), then the
    /// check that the version table still holds what the plan was made from.
    async fn enter<D: Driver>(
        &self,
        d: &mut D,
        expected: &[String],
        completed: &[Completed],
    ) -> Result<(), Flow> {
        db::enter_revision(d, self.tables, &self.lock, self.timeout())
            .await
            .map_err(|e| with_completed(e, completed))?;
        if !rows_are(d, self.tables, expected).await? {
            return Err(Flow::Raced);
        }
        Ok(())
    }

    /// A `transactional: false` revision: under PostgreSQL's session lock, the check in a
    /// short transaction, the SQL outside any, its records in a transaction of their own.
    async fn outside_transaction<D: Driver>(
        &self,
        d: &mut D,
        step: &Step<'_>,
        expected: &[String],
        completed: &[Completed],
        finish: Option<&[&str]>,
    ) -> Result<Completed, Flow> {
        lock_session(d, &self.lock, self.timeout())
            .await
            .map_err(|e| with_completed(e, completed))?;
        let entered: Result<(), Flow> =
            in_transaction!(d, self.enter(d, expected, completed).await);
        let result = match entered {
            Ok(()) => match db::enter_schema(d, self.tables).await {
                Ok(previous) => {
                    let ran = self
                        .run_step(d, step, completed, true, finish, Some(expected))
                        .await;
                    let left = db::leave_schema(d, previous).await;
                    match (ran, left) {
                        (Ok(_), Err(error)) => Err(with_completed(error, completed)),
                        (ran, _) => ran,
                    }
                }
                Err(error) => Err(with_completed(error, completed)),
            },
            Err(flow) => Err(flow),
        };
        let held = unlock_session(d, &self.lock).await;
        let done = result?;
        match held {
            Ok(true) => Ok(done),
            Ok(false) => {
                let mut all = completed.to_vec();
                let path = step
                    .revision
                    .map(|r| r.source.path.clone())
                    .unwrap_or_default();
                all.push(done.clone());
                Err(Flow::from(Error::SessionLockLost {
                    revision: done.revision,
                    path,
                    completed: all,
                }))
            }
            Err(error) => Err(Flow::from(error)),
        }
    }

    /// Runs one step: the revision's SQL, then its records (version table, lineage table, log
    /// row). Inside a transaction on PostgreSQL and SQLite the records end the revision's own
    /// batch, so the whole revision is one round trip; on MySQL, and outside a transaction,
    /// they follow as a batch of their own. `checked`: the rows the version table must still
    /// hold when the revision is recorded, checked by the recording statement itself inside a
    /// transaction that aludel frames ([`Tables::record_checked`]) and before the records of a
    /// revision run outside a transaction.
    async fn run_step<D: Driver>(
        &self,
        d: &mut D,
        step: &Step<'_>,
        completed: &[Completed],
        outside_transaction: bool,
        finish: Option<&[&str]>,
        checked: Option<&[String]>,
    ) -> Result<Completed, Flow> {
        let started = Instant::now();
        let Some(revision) = step.revision else {
            return Ok(Completed {
                revision: String::new(),
                direction: step.direction,
                duration: started.elapsed(),
            });
        };
        let dialect = d.dialect();
        // `runnable` refused the step when the revision has nothing to run.
        let body = self
            .source()
            .body(self.graph, &revision.id, self.migrator.database());
        let sql = body.and_then(|b| b.sql(step.direction)).unwrap_or("");
        let function = body.and_then(|b| b.function(step.direction));
        let partial = outside_transaction || dialect == Dialect::Mysql;
        let fail = |message: String| Error::RevisionFailed {
            revision: revision.id.clone(),
            path: revision.source.path.clone(),
            direction: step.direction,
            message,
            partial,
            outside_transaction,
            completed: completed.to_vec(),
        };
        let source = self.source();
        let graph = self.graph;
        // Inside a transaction on PostgreSQL and SQLite the records end the revision's batch;
        // on PostgreSQL with `checked`, one statement moves the version table and checks it.
        let in_batch = !outside_transaction && dialect != Dialect::Mysql;
        let checked_in_batch = checked.filter(|_| in_batch);
        let mut records = String::new();
        if let Some(heads) = finish {
            self.tables
                .record_lineage(&source.digests_of(graph, heads), &mut records);
        }
        if checked_in_batch.is_none() {
            for op in &step.ops {
                self.tables.record_op(op, &mut records);
            }
        }
        let lineage = source.digest_of(graph, &revision.id).unwrap_or_default();
        let entry = |elapsed| LogEntry {
            revision: &revision.id,
            direction: match step.direction {
                Direction::Upgrade => "upgrade",
                Direction::Downgrade => "downgrade",
            },
            checksum: &revision.checksum,
            lineage: &lineage,
            elapsed,
        };
        let first_line = match step.direction {
            Direction::Upgrade => revision.source.upgrade_line,
            Direction::Downgrade => revision.source.downgrade_line,
        };
        if in_batch {
            // Where the batch checks the version table, a failure is decided after the
            // rollback (see `framed`).
            let failed = |source, error| match checked_in_batch {
                Some(_) => Flow::Unsure {
                    source,
                    error: Box::new(error),
                },
                None => Flow::Failed(Box::new(error)),
            };
            let mut batch = String::with_capacity(sql.len() + records.len() + 600);
            let log = match function {
                // The Rust revision runs first; its records are the batch.
                Some(function) => {
                    if let Err(error) = d.run_function(function, false).await {
                        return Err(failed(None, fail(function_message(error))));
                    }
                    entry(Elapsed::Known(started.elapsed()))
                }
                None => {
                    // The SQL must close every string, quote and comment it opens, or it
                    // would swallow the records that follow it in the batch.
                    split_statements(sql, dialect).map_err(|e| fail(e.to_string()))?;
                    batch.push_str(sql.trim_end());
                    batch.push_str("\n;\n");
                    entry(Elapsed::SinceBatchStart {
                        started_at: now_iso(),
                    })
                }
            };
            batch.push_str(&records);
            match checked_in_batch {
                Some(expected) => self
                    .tables
                    .record_checked(expected, &step.ops, &log, &mut batch),
                None => self.tables.record_log(&log, &mut batch),
            }
            if let Err(source) = d.batch(&batch).await {
                let error = fail(database_message(&source));
                return Err(failed(Some(source), error));
            }
            return Ok(Completed {
                revision: revision.id.clone(),
                direction: step.direction,
                duration: started.elapsed(),
            });
        }
        // One statement at a time outside a transaction on PostgreSQL: a multi-statement query
        // is an implicit transaction, where e.g. CREATE INDEX CONCURRENTLY cannot run.
        let one_by_one = outside_transaction && dialect == Dialect::Postgres;
        if let Some(function) = function {
            d.run_function(function, one_by_one)
                .await
                .map_err(|e| fail(function_message(e)))?;
        } else if !sql.trim().is_empty() {
            execute_sql(d, sql, one_by_one).await.map_err(|failure| {
                fail(match failure {
                    SqlFailure::Split(message) => message,
                    SqlFailure::Statement {
                        line: Some(line),
                        source,
                    } => format!(
                        "{} (in the statement at line {})",
                        database_message(&source),
                        first_line + line.saturating_sub(1)
                    ),
                    SqlFailure::Statement { line: None, source } => database_message(&source),
                })
            })?;
        }
        let duration = started.elapsed();
        self.tables
            .record_log(&entry(Elapsed::Known(duration)), &mut records);
        let record_failed = |source| Error::RecordFailed {
            revision: revision.id.clone(),
            path: revision.source.path.clone(),
            direction: step.direction,
            what: "recorded",
            partial,
            source: Box::new(source),
            completed: completed.to_vec(),
        };
        if outside_transaction {
            // The SQL ran outside any transaction, where SQLite keeps no lock: the records
            // follow only where the version table still holds what the plan expected.
            let expected = checked.unwrap_or_default();
            let recorded: Result<(), Flow> = in_transaction!(d, {
                if !rows_are(d, self.tables, expected).await? {
                    return Err(Flow::from(Error::AppliedMeanwhile {
                        revision: revision.id.clone(),
                        path: revision.source.path.clone(),
                        completed: completed.to_vec(),
                    }));
                }
                d.batch(&records)
                    .await
                    .map_err(|e| Flow::from(record_failed(e)))
            });
            recorded?;
        } else {
            d.batch(&records)
                .await
                .map_err(|e| Flow::from(record_failed(e)))?;
        }
        Ok(Completed {
            revision: revision.id.clone(),
            direction: step.direction,
            duration,
        })
    }
}

/// How many rows broke a foreign key before a run's revisions, with SQLite's foreign keys
/// `suspended` (not theirs to answer for: see [`check_foreign_keys`]); 0 where they are not.
async fn violations_before<D: Driver>(d: &mut D, suspended: bool) -> Result<usize, Flow> {
    match suspended {
        true => Ok(db::foreign_key_violations(d).await?.1),
        false => Ok(0),
    }
}

/// Fails a revision that ran with SQLite's foreign keys off (see
/// [`db::suspend_foreign_keys`]) and left more rows whose foreign key points at nothing than
/// the `baseline` there were before it; returns the count after it.
async fn check_foreign_keys<D: Driver>(
    d: &mut D,
    step: &Step<'_>,
    completed: &[Completed],
    baseline: usize,
) -> Result<usize, Flow> {
    let (rows, total) = db::foreign_key_violations(d).await?;
    let Some(revision) = step.revision.filter(|_| total > baseline) else {
        return Ok(total);
    };
    let mut list = rows.join(", ");
    if total > rows.len() {
        list.push_str(&format!(" and {} more", total - rows.len()));
    }
    if baseline > 0 {
        list.push_str(&format!(" ({baseline} of them before it ran)"));
    }
    Err(Flow::from(Error::RevisionFailed {
        revision: revision.id.clone(),
        path: revision.source.path.clone(),
        direction: step.direction,
        message: format!("it leaves rows whose foreign keys point at nothing: {list} (SQLite's foreign keys are off while a Rust revision runs, as a table rebuild needs, and are checked before it commits)"),
        partial: false,
        outside_transaction: false,
        completed: completed.to_vec(),
    }))
}

/// A lock timeout in the middle of a run reports what the run completed before it.
fn with_completed(error: Error, completed: &[Completed]) -> Flow {
    Flow::from(match error {
        Error::LockTimeout { timeout, .. } => Error::LockTimeout {
            timeout,
            completed: completed.to_vec(),
        },
        other => other,
    })
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

/// The message of a Rust revision's failure: the database's own words where it refused a
/// statement or a query.
fn function_message(error: Error) -> String {
    match error {
        Error::Database { source, .. } => database_message(&source),
        Error::RevisionSql { message } => message,
        other => other.to_string(),
    }
}

/// A step's SQL for an offline script: an SQL revision's section, or what a Rust revision's
/// function recorded (a function that queries its connection is refused by name); empty for a
/// step without a revision.
pub(super) fn render_offline(
    source: Source<'_>,
    graph: &Graph,
    step: &Step<'_>,
    dialect: Dialect,
    database: Option<&str>,
) -> Result<String, Error> {
    let Some(revision) = step.revision else {
        return Ok(String::new());
    };
    let Some(body) = source.body(graph, &revision.id, database) else {
        return Ok(String::new());
    };
    let Some(function) = body.function(step.direction) else {
        return Ok(body.sql(step.direction).unwrap_or("").to_string());
    };
    let mut recorder = Recorder {
        dialect,
        sql: String::new(),
    };
    match function(&mut Op::new(&mut recorder)) {
        Ok(()) => Ok(recorder.sql),
        Err(Error::NeedsLiveDatabase { why }) => Err(Error::OfflineNeedsDatabase {
            revision: revision.id.clone(),
            path: revision.source.path.clone(),
            why,
        }),
        Err(error) => Err(Error::RevisionFailed {
            revision: revision.id.clone(),
            path: revision.source.path.clone(),
            direction: step.direction,
            message: function_message(error),
            partial: false,
            outside_transaction: !revision.transactional,
            completed: Vec::new(),
        }),
    }
}
