//! Drift: an applied revision whose file changed afterwards, found by comparing the lineage
//! digests recorded for the version table's rows with the history's; and accepting such an
//! edit on purpose.

use aludel_graph::Graph;

use super::history::Source;
use super::state::{self, State};
use super::Migrator;
use crate::db::{in_session, in_transaction, lock_transaction, Elapsed, LogEntry, Tables};
use crate::drive::Driver;
use crate::error::Error;

/// Checks that no applied revision's file changed since it was applied: one comparison per
/// row of the version table; the log is read only when a digest differs, to name the file.
pub(super) async fn check<D: Driver>(
    d: &mut D,
    tables: &Tables,
    source: Source<'_>,
    state: &State,
) -> Result<(), Error> {
    let graph = source.graph()?;
    // Rows without a recorded digest (an interrupted run, or a database an earlier aludel
    // migrated) are checked against the newest digest the log holds for them.
    let logged;
    let state = if state.rows.iter().any(|(_, d)| d.is_none()) {
        let mut from_log = state::read_logged(d, tables).await?;
        for (row, digest) in &mut from_log.rows {
            if let Some((_, Some(recorded))) = state.rows.iter().find(|(r, _)| r == row) {
                *digest = Some(recorded.clone());
            }
        }
        logged = from_log;
        &logged
    } else {
        state
    };
    for (id, recorded) in &state.rows {
        let (Some(recorded), Some(current)) = (recorded, source.digest_of(graph, id)) else {
            continue;
        };
        if *recorded == current {
            continue;
        }
        // Find the file that changed: the newest recorded checksum of each revision below.
        let checksums = recorded_checksums(d, tables).await?;
        for revision in applied_below(graph, id)?.iter().rev() {
            if let Some((_, applied)) = checksums.iter().rev().find(|(r, _)| r == &revision.id) {
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
        let path = graph
            .get(id)
            .map(|r| r.source.path.clone())
            .unwrap_or_default();
        return Err(Error::LineageChanged {
            revision: id.clone(),
            path,
            applied: recorded.clone(),
            current,
        });
    }
    Ok(())
}

/// A revision and everything below it, newest first.
pub(super) fn applied_below<'g>(
    graph: &'g Graph,
    id: &str,
) -> Result<Vec<&'g aludel_graph::Revision>, Error> {
    graph.below(id).ok_or_else(|| {
        Error::Graph(aludel_graph::Error::UnknownRevision {
            ident: id.to_string(),
            suggestion: None,
        })
    })
}

/// The checksum recorded for each applied, stamped or accepted revision, oldest first.
async fn recorded_checksums<D: Driver>(
    d: &mut D,
    tables: &Tables,
) -> Result<Vec<(String, String)>, Error> {
    let rows = d
        .pairs(&tables.select_checksums(), &[])
        .await
        .map_err(Error::db(format!(
            "cannot read the revision log {}",
            tables.log
        )))?;
    Ok(rows
        .into_iter()
        .map(|(id, sum)| (id, sum.unwrap_or_default()))
        .collect())
}

/// [`Migrator::accept_changes`]: records the current checksum of every applied revision
/// whose file changed (and of the version table's rows), and their lineage digests.
pub(super) async fn accept_changes<D: Driver>(
    migrator: &Migrator<'_>,
    d: &mut D,
) -> Result<Vec<String>, Error> {
    let options = &migrator.options;
    let tables = Tables::new(d.dialect(), options)?;
    in_session!(d, state::open_with_tables(d, &tables, options), |lock| {
        let source = migrator.source;
        let graph = source.graph()?;
        let timeout = options.lock_timeout;
        in_transaction!(d, {
            lock_transaction(d, &lock, timeout).await?;
            let state = state::read_known(d, &tables).await?;
            // The newest checksum recorded for each revision.
            let recorded: std::collections::HashMap<String, String> =
                recorded_checksums(d, &tables).await?.into_iter().collect();
            let mut accepted: Vec<String> = Vec::new();
            let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
            let mut sql = String::new();
            for (row, _) in &state.rows {
                if graph.get(row).is_none() {
                    continue;
                }
                for r in applied_below(graph, row)? {
                    let changed = recorded.get(&r.id).is_some_and(|sum| sum != &r.checksum);
                    if (changed || &r.id == row) && seen.insert(r.id.as_str()) {
                        let lineage = source.digest_of(graph, &r.id).unwrap_or_default();
                        tables.record_log(
                            &LogEntry {
                                revision: &r.id,
                                direction: "accept",
                                checksum: &r.checksum,
                                lineage: &lineage,
                                elapsed: Elapsed::Known(std::time::Duration::ZERO),
                            },
                            &mut sql,
                        );
                        accepted.push(r.id.clone());
                    }
                }
            }
            tables.record_lineage(&source.digests_of(graph, &state.ids()), &mut sql);
            d.batch(&sql).await.map_err(Error::db(format!(
                "cannot record the accepted revisions in {}",
                tables.log
            )))?;
            Ok::<_, Error>(accepted)
        })
    })
}
