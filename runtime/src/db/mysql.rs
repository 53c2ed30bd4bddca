//! MySQL and MariaDB: DDL commits implicitly, so a failed revision may be partly applied; the
//! version table records only revisions that completed. Concurrent migrators serialise on a
//! named lock (`GET_LOCK`) held for the whole run; lock names are server-wide, so the name
//! comes from the database and the table.

use std::time::Duration;

use super::{Bind, LockName};
use crate::drive::Driver;
use crate::error::Error;

/// See [`super::lock_run`]: the server waits for the lock, up to `timeout`.
pub(super) async fn lock_run<D: Driver>(
    d: &mut D,
    lock: &LockName,
    timeout: Duration,
) -> Result<(), Error> {
    let rows = d
        .pairs(
            "SELECT CAST(GET_LOCK(?, ?) AS CHAR) AS a, CAST(NULL AS CHAR) AS b",
            &[
                Bind::Text(&lock.short()),
                // Whole seconds, rounded up: a timeout under a second still waits.
                Bind::Int(i64::try_from(timeout.as_millis().div_ceil(1000)).unwrap_or(i64::MAX)),
            ],
        )
        .await
        .map_err(Error::db("cannot take the migration lock (GET_LOCK)"))?;
    match rows.first().map(|r| r.0.as_str()) {
        Some("1") => Ok(()),
        _ => Err(Error::LockTimeout {
            timeout,
            completed: Vec::new(),
        }),
    }
}

/// See [`super::unlock_run`].
pub(super) async fn unlock_run<D: Driver>(d: &mut D, lock: &LockName) -> Result<(), Error> {
    d.pairs(
        "SELECT CAST(RELEASE_LOCK(?) AS CHAR) AS a, CAST(NULL AS CHAR) AS b",
        &[Bind::Text(&lock.short())],
    )
    .await
    .map(|_| ())
    .map_err(Error::db(
        "cannot release the migration lock (RELEASE_LOCK)",
    ))
}

/// See [`super::scope`]: the current database.
pub(super) async fn scope<D: Driver>(
    d: &mut D,
    schema: Option<&str>,
) -> Result<Option<String>, Error> {
    if let Some(schema) = schema {
        return Ok(Some(schema.to_string()));
    }
    let rows = d
        .pairs(
            "SELECT CAST(COALESCE(DATABASE(), '') AS CHAR) AS a, CAST(NULL AS CHAR) AS b",
            &[],
        )
        .await
        .map_err(Error::db("cannot read the current database"))?;
    Ok(rows.into_iter().next().map(|(database, _)| database))
}
