//! The database's state: the version table's rows and the lineage digest recorded for each.

use aludel_graph::sql::Dialect;

use super::history::Source;
use crate::db::private::Backend;
use crate::db::{lineage_exists, table_exists, Tables};
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
pub(super) fn probe<C: Backend>(conn: &mut C, tables: &Tables) -> Option<State> {
    let sql = tables.select_state();
    let rows = if conn.dialect() == Dialect::Postgres && conn.in_open_transaction() {
        conn.in_transaction(&mut |c| c.pairs(&sql, &[]))
    } else {
        conn.pairs(&sql, &[])
    };
    rows.ok().map(|rows| State {
        rows: tables.decode_state(rows),
    })
}

/// The state, asking the catalogue which of aludel's tables exist first (no query fails on a
/// missing table); `None` when there is no version table.
pub(super) fn read<C: Backend>(conn: &mut C, tables: &Tables) -> Result<Option<State>, Error> {
    if !table_exists(conn, tables, &tables.version_name)? {
        return Ok(None);
    }
    let sql = if lineage_exists(conn, tables)? {
        tables.select_state()
    } else {
        tables.select_versions()
    };
    Ok(Some(State {
        rows: tables.decode_state(version_rows(conn, tables, &sql)?),
    }))
}

/// The state in one query, where aludel's tables are known to exist.
pub(super) fn read_known<C: Backend>(conn: &mut C, tables: &Tables) -> Result<State, Error> {
    Ok(State {
        rows: tables.decode_state(version_rows(conn, tables, &tables.select_state())?),
    })
}

/// The rows of a query of the version table.
fn version_rows<C: Backend>(
    conn: &mut C,
    tables: &Tables,
    sql: &str,
) -> Result<Vec<(String, Option<String>)>, Error> {
    conn.pairs(sql, &[]).map_err(Error::db(format!(
        "cannot read the version table {}",
        tables.version
    )))
}

/// The state with the newest digests the revision log holds, for rows without a recorded one.
pub(super) fn read_logged<C: Backend>(conn: &mut C, tables: &Tables) -> Result<State, Error> {
    let rows = conn
        .pairs(&tables.select_logged_state(), &[])
        .map_err(Error::db(format!(
            "cannot read the revision log {}",
            tables.log
        )))?;
    Ok(State { rows })
}

/// Whether the version table holds exactly `expected` (in any order).
pub(super) fn rows_are<C: Backend>(
    conn: &mut C,
    tables: &Tables,
    expected: &[String],
) -> Result<bool, Error> {
    let rows = version_rows(conn, tables, &tables.select_versions())?;
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
pub(super) fn ensure_tables<C: Backend>(
    conn: &mut C,
    tables: &Tables,
    lock: &crate::db::LockName,
    timeout: std::time::Duration,
) -> Result<(), Error> {
    conn.in_transaction(&mut |c| -> Result<(), Error> {
        c.lock_transaction(lock, timeout)?;
        let had_lineage = lineage_exists(c, tables)?;
        c.batch(&tables.create_version_table())
            .map_err(Error::db(format!(
                "cannot create the version table {}",
                tables.version
            )))?;
        for sql in tables.create_log_tables() {
            c.batch(&sql).map_err(Error::db(format!(
                "cannot create the revision log {}",
                tables.log
            )))?;
        }
        if !had_lineage {
            let heads: Vec<(String, String)> = read_logged(c, tables)?
                .rows
                .into_iter()
                .filter_map(|(id, digest)| Some((id, digest?)))
                .collect();
            let mut sql = String::new();
            tables.record_lineage(&heads, &mut sql);
            c.batch(&sql).map_err(Error::db(format!(
                "cannot create the lineage record {}",
                tables.lineage
            )))?;
        }
        Ok(())
    })
}
