//! Several databases (Alembic's multidb): what the database commands share when a project
//! configures `[databases.<name>]` tables.
//!
//! [`Database::select`] chooses the databases: `--database NAME` one of them, else every
//! one in aludel.toml's order. `upgrade` and `downgrade` run through the library's
//! [`aludel::Databases`] coordinator (revision by revision across the databases, a downgrade
//! in the reverse order), as `current` and `stamp` do, so that the command line and a program
//! migrating the same databases share one implementation. Every line a database's work
//! prints starts with its name (`analytics: upgrade <base> -> a1, first ... 1.2 ms`); JSON
//! output has a `database` field in each database's object.

use std::sync::Mutex;

use aludel::{Databases, DieselConnection, MigrationConnection, Migrator};

use crate::database::{connect, Access, Conn, Database, DatabaseError};
use crate::error::CliError;

/// Whether `dbs` (from [`Database::select`]) are named databases of a project of several,
/// rather than the one database of a project without `[databases.<name>]` tables.
pub fn is_several(dbs: &[Database<'_>]) -> bool {
    !matches!(dbs, [db] if db.name().is_none())
}

/// A database's name as the commands show it (empty for a project of one database).
pub fn name_of<'d>(db: &'d Database<'_>) -> &'d str {
    db.name().unwrap_or_default()
}

/// `text` with every line prefixed `<name>: `.
pub fn prefixed(name: &str, text: &str) -> String {
    text.lines()
        .map(|line| format!("{name}: {line}\n"))
        .collect()
}

/// Connects to every database of `dbs`, in order, before anything runs: a database without
/// a URL, or one that does not connect, is an error naming it (password masked).
pub fn connect_all(dbs: &[Database<'_>], access: Access) -> Result<Vec<Conn>, CliError> {
    let named = |db: &Database<'_>, error: DatabaseError| DatabaseError::Member {
        name: name_of(db).to_string(),
        source: Box::new(error),
    };
    let mut conns = Vec::with_capacity(dbs.len());
    for db in dbs {
        let url = db.require_named_url()?;
        conns.push(connect(url, access).map_err(|e| named(db, e))?);
    }
    Ok(conns)
}

/// A runtime error as a command error, scrubbed of every database's password (the
/// coordinator's errors name the database that failed and those ahead of it).
pub fn run_error(dbs: &[Database<'_>], error: &aludel::Error) -> DatabaseError {
    let mut message = error.to_string();
    for db in dbs {
        if let Some((url, _)) = db.url() {
            message = url.scrub(&message);
        }
    }
    DatabaseError::Run { message }
}

/// A connection that records, each time it lends itself to the runtime, which database is
/// at work, so that the one progress reporter the coordinator's migrators share can name it.
pub struct Tracked<'c> {
    name: &'c str,
    conn: &'c mut Conn,
    current: &'c Mutex<String>,
}

impl MigrationConnection for Tracked<'_> {
    fn migration_connection(&mut self) -> DieselConnection<'_> {
        if let Ok(mut current) = self.current.lock() {
            if *current != self.name {
                *current = self.name.to_string();
            }
        }
        self.conn.migration_connection()
    }
}

/// Each database's connection, tracked in `current` (see [`Tracked`]).
pub fn track<'c>(
    dbs: &'c [Database<'_>],
    conns: &'c mut [Conn],
    current: &'c Mutex<String>,
) -> Vec<Tracked<'c>> {
    dbs.iter()
        .zip(conns.iter_mut())
        .map(|(db, conn)| Tracked {
            name: name_of(db),
            conn,
            current,
        })
        .collect()
}

/// The coordinator over `tracked`, each database with its own options (version table,
/// schema, name), the migrators made from `base` (whose progress reporter they share).
pub fn coordinator<'a, 'c>(
    base: &Migrator<'a>,
    dbs: &[Database<'_>],
    tracked: &'c mut [Tracked<'_>],
) -> Databases<'a, 'c> {
    let mut set = base.databases();
    for (db, conn) in dbs.iter().zip(tracked.iter_mut()) {
        set = set.sync_with(name_of(db), conn, db.options().clone());
    }
    set
}
