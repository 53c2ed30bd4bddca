//! PostgreSQL: DDL is transactional. Migrators exclude each other with a transaction-level
//! advisory lock taken inside each revision's transaction, and the statement that records the
//! revision at the end of its batch checks that the version table still held what the plan
//! expected: that holds on a direct connection and behind a pooler in transaction mode
//! (PgBouncer), where a session-level lock is taken on one server connection and released on
//! another. aludel frames each revision's transaction itself (see [`super::Frame`]), so that a
//! revision costs three round trips: the lock, the batch, and `COMMIT` with the next
//! revision's `BEGIN`. A `transactional: false` revision runs under the session-level lock
//! instead (see [`Error::SessionLockLost`]).

use std::time::Duration;

use super::{poll_lock, Bind, LockName};
use crate::drive::Driver;
use crate::error::Error;

/// Takes an advisory lock with `function` (`pg_try_advisory_lock` or
/// `pg_try_advisory_xact_lock`), trying again until `timeout`.
pub(super) async fn lock<D: Driver>(
    d: &mut D,
    function: &str,
    lock: &LockName,
    timeout: Duration,
) -> Result<(), Error> {
    let sql = format!(
        "SELECT CASE WHEN {function}($1) THEN 'y' ELSE 'n' END AS a, CAST(NULL AS TEXT) AS b"
    );
    let key = lock.number();
    poll_lock!(d, timeout, {
        let rows = d
            .pairs(&sql, &[Bind::Int(key)])
            .await
            .map_err(Error::db(format!(
                "cannot take the migration lock ({function})"
            )))?;
        Ok(rows.first().map(|r| r.0.as_str()) == Some("y"))
    })
}

/// [`lock`] with `pg_try_advisory_xact_lock` that also puts `first` (a quoted schema) first in
/// the search path for the rest of the transaction.
pub(super) async fn lock_in_schema<D: Driver>(
    d: &mut D,
    lock: &LockName,
    first: &str,
    timeout: Duration,
) -> Result<(), Error> {
    let sql = "SELECT CASE WHEN pg_try_advisory_xact_lock($1) THEN 'y' ELSE 'n' END AS a, \
               set_config('search_path', CASE WHEN current_setting('search_path') = '' THEN $2 \
               ELSE $2 || ', ' || current_setting('search_path') END, true) AS b";
    let key = lock.number();
    poll_lock!(d, timeout, {
        let rows = d
            .pairs(sql, &[Bind::Int(key), Bind::Text(first)])
            .await
            .map_err(Error::db(
                "cannot take the migration lock (pg_try_advisory_xact_lock)",
            ))?;
        Ok(rows.first().map(|r| r.0.as_str()) == Some("y"))
    })
}

/// See [`super::enter_schema`].
pub(super) async fn enter_schema<D: Driver>(d: &mut D, first: &str) -> Result<String, Error> {
    let rows = d
        .pairs(
            "SELECT CAST(current_setting('search_path') AS TEXT) AS a, CAST(NULL AS TEXT) AS b",
            &[],
        )
        .await
        .map_err(Error::db("cannot read the search path"))?;
    let previous = rows.into_iter().next().map(|r| r.0).unwrap_or_default();
    let path = if previous.trim().is_empty() {
        first.to_string()
    } else {
        format!("{first}, {previous}")
    };
    set_search_path(d, &path).await?;
    Ok(previous)
}

/// Sets the session's search path.
pub(super) async fn set_search_path<D: Driver>(d: &mut D, path: &str) -> Result<(), Error> {
    d.pairs(
        "SELECT set_config('search_path', $1, false) AS a, CAST(NULL AS TEXT) AS b",
        &[Bind::Text(path)],
    )
    .await
    .map_err(Error::db("cannot set the search path"))?;
    Ok(())
}

/// See [`super::unlock_session`].
pub(super) async fn unlock_session<D: Driver>(d: &mut D, lock: &LockName) -> Result<bool, Error> {
    let rows = d
        .pairs(
            "SELECT CASE WHEN pg_advisory_unlock($1) THEN 'y' ELSE 'n' END AS a, CAST(NULL AS TEXT) AS b",
            &[Bind::Int(lock.number())],
        )
        .await
        .map_err(Error::db("cannot release the migration lock (pg_advisory_unlock)"))?;
    Ok(rows.first().map(|r| r.0.as_str()) == Some("y"))
}

/// See [`super::scope`]: the current database and the schema.
pub(super) async fn scope<D: Driver>(
    d: &mut D,
    schema: Option<&str>,
) -> Result<Option<String>, Error> {
    let rows = match schema {
        Some(schema) => {
            d.pairs(
                "SELECT CAST(current_database() AS TEXT) AS a, CAST($1 AS TEXT) AS b",
                &[Bind::Text(schema)],
            )
            .await
        }
        None => {
            d.pairs(
                "SELECT CAST(current_database() AS TEXT) AS a, CAST(current_schema() AS TEXT) AS b",
                &[],
            )
            .await
        }
    }
    .map_err(Error::db("cannot read the current database and schema"))?;
    Ok(rows
        .into_iter()
        .next()
        .map(|(database, schema)| format!("{database}.{}", schema.unwrap_or_default())))
}
