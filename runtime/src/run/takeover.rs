//! Taking over a database that diesel_migrations manages.

use std::collections::HashSet;
use std::time::Duration;

use aludel_graph::VersionOp;

use super::drift::applied_below;
use super::{state, Migrator};
use crate::db::{
    in_session, in_transaction, lock_transaction, open_write, table_exists, Elapsed, LogEntry,
    Tables,
};
use crate::drive::Driver;
use crate::error::Error;

/// [`Migrator::take_over_diesel`].
pub(super) async fn take_over_diesel<D: Driver>(
    migrator: &Migrator<'_>,
    d: &mut D,
) -> Result<Option<String>, Error> {
    let options = &migrator.options;
    let tables = Tables::new(d.dialect(), options)?;
    in_session!(d, open_write(d, &tables, options), |lock| {
        take_over(migrator, d, &tables, &lock).await
    })
}

async fn take_over<D: Driver>(
    migrator: &Migrator<'_>,
    d: &mut D,
    tables: &Tables,
    lock: &crate::db::LockName,
) -> Result<Option<String>, Error> {
    let options = &migrator.options;
    if !table_exists(d, tables, "__diesel_schema_migrations").await? {
        return Err(Error::NotDieselManaged);
    }
    let null = tables.null_text();
    let versions = d
        .pairs(
            &format!("SELECT version AS a, {null} AS b FROM __diesel_schema_migrations"),
            &[],
        )
        .await
        .map_err(Error::db("cannot read __diesel_schema_migrations"))?;
    let source = migrator.source;
    let graph = source.graph()?;
    let mut ids: Vec<&str> = Vec::new();
    for (version, _) in &versions {
        let id = aludel_graph::import::revision_id_for_version(version);
        match graph.get(&id) {
            Some(r) => ids.push(&r.id),
            None => {
                return Err(Error::UnknownDieselVersion {
                    version: version.clone(),
                    revision: id,
                })
            }
        }
    }
    // The newest recorded revision, whose ancestors must be exactly the recorded ones.
    let mut newest: Option<(&str, usize)> = None;
    for id in &ids {
        let below = applied_below(graph, id)?.len();
        if newest.is_none_or(|(_, n)| below > n) {
            newest = Some((id, below));
        }
    }
    let Some((head, below)) = newest else {
        return Err(Error::NothingFromDiesel);
    };
    if below != ids.len() {
        let recorded: HashSet<&str> = ids.iter().copied().collect();
        let missing: Vec<String> = applied_below(graph, head)?
            .iter()
            .filter(|r| !recorded.contains(r.id.as_str()))
            .map(|r| r.id.clone())
            .collect();
        return Err(Error::DieselGap {
            head: head.to_string(),
            missing,
        });
    }
    state::ensure_tables(d, tables, lock, options.lock_timeout).await?;
    in_transaction!(d, {
        lock_transaction(d, lock, options.lock_timeout).await?;
        let state = state::read_known(d, tables).await?;
        match state.ids().as_slice() {
            [] => {}
            [only] if *only == head => return Ok(None),
            rows => {
                return Err(Error::AlreadyManaged {
                    table: tables.version.clone(),
                    rows: rows.iter().map(|s| s.to_string()).collect(),
                })
            }
        }
        let checksum = graph
            .get(head)
            .map(|r| r.checksum.clone())
            .unwrap_or_default();
        let lineage = source.digest_of(graph, head).unwrap_or_default();
        let mut sql = String::new();
        tables.record_op(&VersionOp::Insert(head.to_string()), &mut sql);
        tables.record_lineage(&source.digests_of(graph, &[head]), &mut sql);
        tables.record_log(
            &LogEntry {
                revision: head,
                direction: "stamp",
                checksum: &checksum,
                lineage: &lineage,
                elapsed: Elapsed::Known(Duration::ZERO),
            },
            &mut sql,
        );
        d.batch(&sql).await.map_err(Error::db(format!(
            "cannot stamp the version table {}",
            tables.version
        )))?;
        Ok::<_, Error>(Some(head.to_string()))
    })
}
