//! The database's state: the version table's rows and the lineage digest recorded for each.

use aludel_graph::sql::Dialect;

use super::history::Source;
use crate::db::{in_transaction, lineage_exists, lock_transaction, table_exists, Tables};
use crate::drive::Driver;
use crate::error::Error;

/// The version table's rows with the lineage digest recorded for each (when aludel recorded
/// one; a database Alembic migrated has none).
#[derive(Debug, Default)]
pub(super) struct State {
    pub(super) rows: Vec<(String, Option<String>)>,
}

impl State {
    pub(super) fn ids(&self) -> Vec<&str> {
        self.rows.iter().map(|(id, _)| id.as_str()).collect()
    }
}

/// The state in one query, assuming aludel's tables exist; `None` when the query fails (the
/// tables do not exist yet, or a busy SQLite database). Inside a transaction the caller
/// opened on PostgreSQL the query runs in a savepoint, so that a failure does not abort the
/// caller's transaction.
pub(super) async fn probe<D: Driver>(d: &mut D, tables: &Tables) -> Option<State> {
    let sql = tables.select_state();
    let rows: Result<_, diesel::result::Error> =
        if d.dialect() == Dialect::Postgres && d.transaction_depth() > 0 {
            in_transaction!(d, d.pairs(&sql, &[]).await)
        } else {
            d.pairs(&sql, &[]).await
        };
    rows.ok().map(|rows| State {
        rows: tables.decode_state(rows),
    })
}

/// The state, asking the catalogue which of aludel's tables exist first (no query fails on a
/// missing table); `None` when there is no version table.
pub(super) async fn read<D: Driver>(d: &mut D, tables: &Tables) -> Result<Option<State>, Error> {
    if !table_exists(d, tables, &tables.version_name).await? {
        return Ok(None);
    }
    let sql = if lineage_exists(d, tables).await? {
        tables.select_state()
    } else {
        tables.select_versions()
    };
    Ok(Some(State {
        rows: tables.decode_state(version_rows(d, tables, &sql).await?),
    }))
}

/// The state in one query, where aludel's tables are known to exist.
pub(super) async fn read_known<D: Driver>(d: &mut D, tables: &Tables) -> Result<State, Error> {
    let rows = version_rows(d, tables, &tables.select_state()).await?;
    Ok(State {
        rows: tables.decode_state(rows),
    })
}

/// The rows of a query of the version table.
async fn version_rows<D: Driver>(
    d: &mut D,
    tables: &Tables,
    sql: &str,
) -> Result<Vec<(String, Option<String>)>, Error> {
    d.pairs(sql, &[]).await.map_err(Error::db(format!(
        "cannot read the version table {}",
        tables.version
    )))
}

/// The state with the newest digests the revision log holds, for rows without a recorded one.
pub(super) async fn read_logged<D: Driver>(d: &mut D, tables: &Tables) -> Result<State, Error> {
    let rows = d
        .pairs(&tables.select_logged_state(), &[])
        .await
        .map_err(Error::db(format!(
            "cannot read the revision log {}",
            tables.log
        )))?;
    Ok(State { rows })
}

/// Whether the version table holds exactly `expected` (in any order).
pub(super) async fn rows_are<D: Driver>(
    d: &mut D,
    tables: &Tables,
    expected: &[String],
) -> Result<bool, Error> {
    let rows = version_rows(d, tables, &tables.select_versions()).await?;
    let mut found: Vec<&str> = rows.iter().map(|(id, _)| id.as_str()).collect();
    let mut wanted: Vec<&str> = expected.iter().map(String::as_str).collect();
    found.sort_unstable();
    wanted.sort_unstable();
    Ok(found == wanted)
}

/// True when the rows are exactly the heads an upgrade to `heads` leaves, and their recorded
/// digests match the history's (a row without a recorded digest, written by Alembic, matches).
pub(super) fn is_current(source: Source<'_>, state: &State) -> Result<bool, Error> {
    let heads = source.applied_heads();
    if heads.is_empty() {
        // Embedded data that does not form a graph says so instead of looking current.
        source.graph()?;
    }
    Ok(heads.len() == state.rows.len()
        && heads.iter().all(|(id, digest)| {
            state.rows.iter().any(|(row, recorded)| {
                row == id && recorded.as_deref().is_none_or(|r| r == *digest)
            })
        }))
}

/// Creates aludel's tables where missing, in one transaction under the migration lock (two
/// PostgreSQL sessions creating one table at once would collide); a new lineage record is
/// filled from the log of a database an earlier aludel migrated.
pub(super) async fn ensure_tables<D: Driver>(
    d: &mut D,
    tables: &Tables,
    lock: &crate::db::LockName,
    timeout: std::time::Duration,
) -> Result<(), Error> {
    in_transaction!(d, {
        lock_transaction(d, lock, timeout).await?;
        let had_lineage = lineage_exists(d, tables).await?;
        d.batch(&tables.create_version_table())
            .await
            .map_err(Error::db(format!(
                "cannot create the version table {}",
                tables.version
            )))?;
        for sql in tables.create_log_tables() {
            d.batch(&sql).await.map_err(Error::db(format!(
                "cannot create the revision log {}",
                tables.log
            )))?;
        }
        if !had_lineage {
            let heads: Vec<(String, String)> = read_logged(d, tables)
                .await?
                .rows
                .into_iter()
                .filter_map(|(id, digest)| Some((id, digest?)))
                .collect();
            let mut sql = String::new();
            tables.record_lineage(&heads, &mut sql);
            d.batch(&sql).await.map_err(Error::db(format!(
                "cannot create the lineage record {}",
                tables.lineage
            )))?;
        }
        Ok::<(), Error>(())
    })
}

/// Opens a session for writing (see [`crate::db::open_write`]) and creates aludel's tables
/// where missing; returns the lock's name.
pub(super) async fn open_with_tables<D: Driver>(
    d: &mut D,
    tables: &Tables,
    options: &crate::options::Options,
) -> Result<crate::db::LockName, Error> {
    let lock = crate::db::open_write(d, tables, options).await?;
    if let Err(error) = ensure_tables(d, tables, &lock, options.lock_timeout).await {
        crate::db::close(d).await;
        return Err(error);
    }
    Ok(lock)
}
