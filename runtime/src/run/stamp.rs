//! Stamping: moving the version table to a target without running any revision's SQL.

use std::time::{Duration, Instant};

use super::{state, Migrator, Report};
use crate::db::{in_session, in_transaction, lock_transaction, Elapsed, LogEntry, Tables};
use crate::drive::Driver;
use crate::error::Error;

/// [`Migrator::stamp`]: under the migration lock, in one transaction, reads the state, plans
/// the stamp and records it (version table, lineage table, a `stamp` row per revision).
pub(super) async fn stamp<D: Driver>(
    migrator: &Migrator<'_>,
    d: &mut D,
    target: &str,
    purge: bool,
) -> Result<Report, Error> {
    let options = &migrator.options;
    let tables = Tables::new(d.dialect(), options)?;
    let source = migrator.source;
    let started = Instant::now();
    let report = in_session!(d, state::open_with_tables(d, &tables, options), |lock| {
        let graph = source.graph()?;
        in_transaction!(d, {
            lock_transaction(d, &lock, options.lock_timeout).await?;
            let state = state::read_known(d, &tables).await?;
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
            d.batch(&sql).await.map_err(Error::db(format!(
                "cannot stamp the version table {}",
                tables.version
            )))?;
            Ok::<_, Error>(Report {
                heads_before: state.ids().into_iter().map(str::to_string).collect(),
                steps: Vec::new(),
                heads_after: plan.heads_after.iter().map(|s| s.to_string()).collect(),
            })
        })
    })?;
    tracing::info!(target = %target, duration_ms = started.elapsed().as_millis() as u64, "stamped");
    Ok(report)
}
