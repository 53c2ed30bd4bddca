//! Stamping: moving the version table to a target without running any revision's SQL.

use std::time::{Duration, Instant};

use super::{state, Migrator, Report};
use crate::db::{Elapsed, LogEntry, MigrationConnection, Session, Tables};
use crate::error::Error;

/// [`Migrator::stamp`]: under the migration lock, in one transaction, reads the state, plans
/// the stamp and records it (version table, lineage table, a `stamp` row per revision).
pub(super) fn stamp<C: MigrationConnection>(
    migrator: &Migrator<'_>,
    conn: &mut C,
    target: &str,
    purge: bool,
) -> Result<Report, Error> {
    let options = &migrator.options;
    let tables = Tables::new(conn.dialect(), options)?;
    let mut session = Session::write(conn, &tables, options)?;
    let lock = session.lock();
    state::ensure_tables(&mut *session, &tables, &lock, options.lock_timeout)?;
    let source = migrator.source;
    let graph = source.graph()?;
    let started = Instant::now();
    let report = session.in_transaction(&mut |c| -> Result<Report, Error> {
        c.lock_transaction(&lock, options.lock_timeout)?;
        let state = state::read_known(c, &tables)?;
        // With `purge` the table is emptied first, whatever it holds (even unknown revisions).
        let current = if purge { Vec::new() } else { state.ids() };
        let plan = graph.plan_stamp(&current, target, false)?;
        let mut sql = String::new();
        if purge {
            sql.push_str(&tables.delete_all_versions());
        }
        let lineage_of = |id: &str| source.digest_of(graph, id);
        for step in &plan.steps {
            for op in &step.ops {
                tables.record_op(op, &mut sql);
            }
            for to in &step.to {
                if let Some(r) = graph.get(to) {
                    let lineage = lineage_of(to).unwrap_or_default();
                    tables.record_log(
                        &LogEntry {
                            revision: &r.id,
                            direction: "stamp",
                            checksum: &r.checksum,
                            lineage: &lineage,
                            elapsed: Elapsed::Known(Duration::ZERO),
                        },
                        &mut sql,
                    );
                }
            }
        }
        tables.record_lineage(&source.digests_of(graph, &plan.heads_after), &mut sql);
        {
            c.batch(&sql).map_err(Error::db(format!(
                "cannot stamp the version table {}",
                tables.version
            )))?;
        }
        Ok(Report {
            heads_before: state.ids().into_iter().map(str::to_string).collect(),
            steps: Vec::new(),
            heads_after: plan.heads_after.iter().map(|s| s.to_string()).collect(),
        })
    })?;
    tracing::info!(target = %target, duration_ms = started.elapsed().as_millis() as u64, "stamped");
    Ok(report)
}
