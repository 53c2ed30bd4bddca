//! SQLite: DDL is transactional. There is no session lock: every revision runs in an
//! immediate transaction (which takes the database's write lock, waiting up to the busy
//! timeout) and first checks that the version table is still what the plan expects.

use super::Restore;
use crate::drive::Driver;
use crate::error::Error;
use crate::options::Options;

/// See [`super::suspend_foreign_keys`].
pub(super) async fn suspend_foreign_keys<D: Driver>(d: &mut D) -> Result<bool, Error> {
    if d.transaction_depth() > 0 || !foreign_keys_on(d).await? {
        return Ok(false);
    }
    d.batch("PRAGMA foreign_keys = OFF")
        .await
        .map_err(Error::db("cannot turn SQLite's foreign keys off"))?;
    // The setting does not change inside a transaction opened behind diesel's back.
    if foreign_keys_on(d).await? {
        return Ok(false);
    }
    Ok(true)
}

/// See [`super::foreign_keys_on`].
pub(super) async fn foreign_keys_on<D: Driver>(d: &mut D) -> Result<bool, Error> {
    let rows = d
        .pairs(
            "SELECT CAST(foreign_keys AS TEXT) AS a, NULL AS b FROM pragma_foreign_keys",
            &[],
        )
        .await
        .map_err(Error::db("cannot read SQLite's foreign_keys setting"))?;
    Ok(rows.first().is_some_and(|(on, _)| on == "1"))
}

/// See [`super::resume_foreign_keys`].
pub(super) async fn resume_foreign_keys<D: Driver>(d: &mut D) -> Result<(), Error> {
    d.batch("PRAGMA foreign_keys = ON")
        .await
        .map_err(Error::db("cannot turn SQLite's foreign keys back on"))
}

/// See [`super::foreign_key_violations`].
pub(super) async fn foreign_key_violations<D: Driver>(
    d: &mut D,
) -> Result<(Vec<String>, usize), Error> {
    let context = "cannot check SQLite's foreign keys";
    let rows = d
        .pairs(
            "SELECT \"table\" || ' row ' || COALESCE(CAST(rowid AS TEXT), '?') || ' references ' || \"parent\" AS a, NULL AS b FROM pragma_foreign_key_check LIMIT 10",
            &[],
        )
        .await
        .map_err(Error::db(context))?;
    let mut total = rows.len();
    if total == 10 {
        let count = d
            .pairs(
                "SELECT CAST(COUNT(*) AS TEXT) AS a, NULL AS b FROM pragma_foreign_key_check",
                &[],
            )
            .await
            .map_err(Error::db(context))?;
        total = count
            .first()
            .and_then(|(n, _)| n.parse().ok())
            .unwrap_or(total);
    }
    Ok((rows.into_iter().map(|(row, _)| row).collect(), total))
}

/// See [`super::prepare`]: concurrent starters wait for each other's write lock instead of
/// failing with "database is locked"; the caller's own timeout is set back afterwards.
pub(super) async fn prepare<D: Driver>(d: &mut D, options: &Options) -> Result<Restore, Error> {
    let before = d
        .busy_timeout()
        .await
        .map_err(Error::db("cannot read SQLite's busy timeout"))?;
    let millis = i64::try_from(options.lock_timeout.as_millis()).unwrap_or(i64::from(i32::MAX));
    let millis = millis.min(i64::from(i32::MAX));
    if before != millis {
        d.batch(&format!("PRAGMA busy_timeout = {millis}"))
            .await
            .map_err(Error::db("cannot set SQLite's busy timeout"))?;
    }
    Ok(Restore::BusyTimeout(before))
}
