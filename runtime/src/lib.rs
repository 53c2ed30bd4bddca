//! # aludel: Alembic for Rust and diesel, checked at compile time
//!
//! Revisions are SQL files in `migrations/versions/` with Alembic's model: every revision names
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

mod db;
mod embedded;
mod error;
mod offline;
mod options;
mod run;

pub use aludel_graph as graph;
pub use aludel_graph::sql::Dialect;
pub use aludel_graph::{Direction, Plan, Step, VersionOp};
pub use aludel_macros::{embed_migrations, migrations};
pub use db::MigrationConnection;
pub use embedded::{Migrations, Revision};
pub use error::{Completed, Error};
pub use options::{Options, TransactionMode};
pub use run::{LoadedMigrations, Migrator, Progress, Report, Target};

#[doc(hidden)]
pub mod __private {
    pub use crate::embedded::{
        __revision as revision, Migrations, Revision, FIELDS, HAS_CREATE_DATE, HAS_DOWNGRADE,
        TRANSACTIONAL,
    };
}
