//! # aludel: Alembic for Rust and diesel, checked at compile time
//!
//! Revisions are SQL files (or Rust files, see [`op`]) in `migrations/versions/` with Alembic's model: every revision names
//! its `down_revision`, histories branch and merge, branches carry labels, and a database
//! records its current heads in Alembic's `alembic_version` table. The macros read the
//! directory while your crate compiles, validate the whole revision graph, and turn every
//! problem (a dangling `down_revision`, a duplicate id, a cycle, two unmerged heads, a
//! malformed file) into a compile error that names the file and line.
//!
//! ```
//! use diesel::{Connection, SqliteConnection};
//!
//! // In a service: the history is embedded and validated at compile time.
//! static MIGRATIONS: aludel::Migrations = aludel::embed_migrations!("../migrations/versions");
//!
//! let mut conn = SqliteConnection::establish(":memory:").unwrap();
//! let report = MIGRATIONS.run_pending(&mut conn).unwrap();
//! assert_eq!(report.steps.len(), MIGRATIONS.len());
//! assert_eq!(MIGRATIONS.current(&mut conn).unwrap(), MIGRATIONS.heads());
//! // Every later start costs one query.
//! assert!(MIGRATIONS.run_pending(&mut conn).unwrap().is_empty());
//! ```
//!
//! `embed_migrations!()` without a path reads `migrations/versions` below the crate root (or
//! `<script_location>/versions` when an `aludel.toml` there says so). To have Cargo rebuild the
//! crate when a revision file is *added or removed* (edits are tracked on their own), add a
//! one-line `build.rs` next to `Cargo.toml`:
//!
//! ```text
//! fn main() { println!("cargo:rerun-if-changed=migrations"); }
//! ```
//!
//! [`migrations!`] generates a module instead, with a `static` per revision so that code can
//! name revisions and the compiler catches a removed one.
//!
//! ## The caller's connection
//!
//! Every call leaves the connection as it found it: aludel's own transactions are closed, its
//! locks released and, on SQLite, the busy timeout it sets while it waits for another
//! migrator's write lock is set back to the caller's value, on every return path.
//!
//! - **Pooled connections**: check a connection out, migrate, and give it back, e.g.
//!   `MIGRATIONS.run_pending(&mut pool.get()?)?` with r2d2 (feature `r2d2`) or
//!   `MIGRATIONS.run_pending_async(&mut pool.get().await?).await?` with deadpool or bb8
//!   (features `deadpool`, `bb8`). Migrate once at startup, before the service takes traffic;
//!   any number of replicas may do so at once.
//! - **Async** (features `async-postgres`, `async-mysql`, `async-sqlite`): the `*_async` calls
//!   run the same migrator through diesel-async; the docs of `Migrations::run_pending_async`
//!   say what a dropped future leaves behind.
//! - **The caller's open transaction** (`conn.transaction(..)`, `begin_test_transaction`): on
//!   PostgreSQL and SQLite the run works inside it, in savepoints, and commits or rolls back with
//!   it; the migration lock (PostgreSQL's transaction-level advisory lock) is held until the
//!   caller's transaction ends. MySQL commits DDL implicitly, which would end the caller's
//!   transaction halfway, so a run there is refused ([`Error::OpenTransactionOnMysql`]).
//! - **Poolers** such as PgBouncer: in session pooling everything works as on a direct
//!   connection. In transaction pooling every revision's transaction takes a transaction-level
//!   advisory lock and checks, before it commits, that the version table still holds what the
//!   plan expected, so racing migrators still apply each revision exactly once (disable
//!   diesel's prepared-statement cache there, as for any diesel use behind such a pooler:
//!   `conn.set_prepared_statement_cache_size(diesel::connection::CacheSize::Disabled)`).
//!   diesel-async's `AsyncPgConnection` (and an `AsyncConnectionWrapper` of it) sends every
//!   statement with bound values as a named prepared statement in two round trips, its own
//!   connection set-up included, which a transaction pooler without prepared-statement support
//!   splits across server connections: behind PgBouncer before 1.21 (or with
//!   `max_prepared_statements = 0`) migrate async connections in session pooling, or inside a
//!   transaction of your own (the run then holds one server connection throughout). A
//!   `transactional: false` revision cannot run in a transaction, so it runs under a
//!   session-level lock, which a transaction pooler does not keep: apply histories with such
//!   revisions over a direct or session-pooled connection ([`Error::SessionLockLost`] says when
//!   the lock was not held).
//! - **`transactional: false` on SQLite**: SQLite keeps no lock outside a transaction, so two
//!   migrators started at once can both run such a revision's SQL; the revision is recorded
//!   once, and the second migrator says so ([`Error::AppliedMeanwhile`]). Start one migrator at
//!   a time for a history with such revisions (`VACUUM`, `PRAGMA journal_mode`).

//!
//! ## Fleets
//!
//! One history over many databases of the same shape (a database, an SQLite file or a
//! PostgreSQL schema per tenant): [`Fleet`] migrates them over at most `parallel` connections,
//! the canary targets first, stopping at the first failure or going on, with a report per
//! target; each target keeps its own version table and lock, so running the same list again
//! finishes what is left.

// Without a backend feature nothing drives a connection, and the code that would is unused.
#![cfg_attr(
    not(any(
        feature = "sqlite",
        feature = "postgres",
        feature = "mysql",
        feature = "async"
    )),
    allow(dead_code, unused_imports, unused_variables, unreachable_code)
)]

mod body;
mod db;
mod drive;
mod embedded;
mod error;
mod fleet;
mod multidb;
mod offline;
pub mod op;
mod options;
mod run;
pub mod url;

/// The result of aludel's calls and of a Rust revision's `upgrade` and `downgrade`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

pub use aludel_graph as graph;
pub use aludel_graph::sql::Dialect;
pub use aludel_graph::{Direction, Plan, Step, VersionOp};
pub use aludel_macros::{embed_migrations, migrations};
#[cfg(feature = "async")]
pub use drive::nonblocking::AsyncMigrationConnection;
#[cfg(feature = "async-mysql")]
pub use drive::sync::WrappedMysql;
#[cfg(feature = "async-postgres")]
pub use drive::sync::WrappedPg;
pub use drive::sync::{DieselConnection, MigrationConnection};
pub use embedded::{Migrations, Revision};
pub use error::{Completed, Error};
pub use fleet::{Fleet, FleetEvent, FleetReport, FleetTarget, TargetReport, TargetStatus};
pub use multidb::Databases;
pub use options::{Options, TransactionMode};
pub use run::{LoadedMigrations, Migrator, Progress, Report, Target};

#[doc(hidden)]
pub mod __private {
    pub use crate::embedded::{
        __revision as revision, Migrations, Revision, FIELDS, HAS_CREATE_DATE, HAS_DOWNGRADE,
        TRANSACTIONAL,
    };
    pub use crate::op::{RevisionFn, RustBody};
    #[cfg(feature = "mysql")]
    pub use diesel::MysqlConnection;
    #[cfg(feature = "postgres")]
    pub use diesel::PgConnection;
    #[cfg(feature = "sqlite")]
    pub use diesel::SqliteConnection;
}

// What `with_connection!` compiles for each backend: the features are aludel's, so they are
// read here, where the macros are defined, and not in the crate that calls them.
#[cfg(feature = "sqlite")]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_sqlite {
    ($($code:tt)*) => { $($code)* };
}
#[cfg(not(feature = "sqlite"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_sqlite {
    ($($code:tt)*) => {};
}
#[cfg(feature = "postgres")]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_postgres {
    ($($code:tt)*) => { $($code)* };
}
#[cfg(not(feature = "postgres"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_postgres {
    ($($code:tt)*) => {};
}
#[cfg(feature = "mysql")]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_mysql {
    ($($code:tt)*) => { $($code)* };
}
#[cfg(not(feature = "mysql"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_mysql {
    ($($code:tt)*) => {};
}
