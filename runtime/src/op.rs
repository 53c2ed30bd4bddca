//! What a Rust revision's `upgrade` and `downgrade` receive: [`Op`], the revision's handle on
//! its database, inside the revision's transaction (unless the revision is
//! `transactional: false`).
//!
//! ```rust,ignore
//! //! revision: 4b1c2d3e4f50
//! //! down_revision: 3f2a9c1b7d4e
//! //! message: add email, backfilled from the name
//!
//! use aludel::op::Op;
//!
//! pub fn upgrade(op: &mut Op<'_>) -> aludel::Result<()> {
//!     op.execute("ALTER TABLE users ADD COLUMN email TEXT")?;
//!     op.execute("UPDATE users SET email = name || '@example.com'")
//! }
//!
//! pub fn downgrade(op: &mut Op<'_>) -> aludel::Result<()> {
//!     op.execute("ALTER TABLE users DROP COLUMN email")
//! }
//! ```
//!
//! A data migration takes the revision's own diesel connection with [`Op::connection`] and
//! runs typed diesel queries on it, in the same transaction as the revision's DDL.

use std::any::Any;

use aludel_graph::sql::Dialect;

use crate::error::Error;

/// A Rust revision's function: `upgrade` or `downgrade`.
pub type RevisionFn = fn(&mut Op<'_>) -> crate::Result<()>;

/// What a Rust revision runs, as the macro embeds it.
#[derive(Debug, Clone, Copy)]
pub struct RustBody {
    /// The revision's `upgrade`.
    pub upgrade: RevisionFn,
    /// The revision's `downgrade`; `None` for an irreversible revision.
    pub downgrade: Option<RevisionFn>,
}

/// Where an [`Op`]'s statements go: the connection of a live run.
pub(crate) trait Target {
    fn dialect(&self) -> Dialect;
    /// Runs SQL that may hold several statements.
    fn execute(&mut self, sql: &str) -> Result<(), Error>;
    /// The diesel connection itself; `None` offline, where statements are recorded.
    fn connection(&mut self) -> Option<&mut dyn Any>;
}

/// An offline run's target: records the statements for the script.
pub(crate) struct Recorder {
    pub(crate) dialect: Dialect,
    pub(crate) sql: String,
}

impl Target for Recorder {
    fn dialect(&self) -> Dialect {
        self.dialect
    }

    fn execute(&mut self, sql: &str) -> Result<(), Error> {
        let sql = sql.trim();
        if !sql.is_empty() {
            self.sql.push_str(sql);
            if !sql.ends_with(';') {
                self.sql.push(';');
            }
            self.sql.push('\n');
        }
        Ok(())
    }

    fn connection(&mut self) -> Option<&mut dyn Any> {
        None
    }
}

/// A Rust revision's handle on its database: runs SQL in the revision's transaction and lends
/// out the revision's diesel connection for typed queries.
pub struct Op<'a> {
    target: &'a mut dyn Target,
}

impl std::fmt::Debug for Op<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Op")
            .field("dialect", &self.target.dialect())
            .finish_non_exhaustive()
    }
}

impl<'a> Op<'a> {
    pub(crate) fn new(target: &'a mut dyn Target) -> Self {
        Op { target }
    }

    /// The SQL dialect of the database the revision runs on, for SQL that differs between
    /// SQLite, PostgreSQL and MySQL.
    pub fn dialect(&self) -> Dialect {
        self.target.dialect()
    }

    /// Runs raw SQL, one statement or several separated by `;`, in the revision's transaction.
    /// In a `transactional: false` revision on PostgreSQL each statement runs on its own
    /// (as `CREATE INDEX CONCURRENTLY` requires).
    pub fn execute(&mut self, sql: &str) -> crate::Result<()> {
        self.target.execute(sql)
    }

    /// The revision's diesel connection, for typed diesel queries (a data migration), in the
    /// revision's transaction: `C` is the connection type the history is applied with
    /// (`diesel::SqliteConnection`, `diesel::PgConnection`, `diesel::MysqlConnection`).
    /// Fails with [`Error::OtherConnection`] when the run uses another type, and with
    /// [`Error::NeedsLiveDatabase`] offline (`--sql`, [`Migrator::sql`](crate::Migrator::sql)),
    /// which refuses such a revision by name.
    ///
    /// ```rust,ignore
    /// use diesel::prelude::*;
    ///
    /// pub fn upgrade(op: &mut aludel::op::Op<'_>) -> aludel::Result<()> {
    ///     op.execute("ALTER TABLE users ADD COLUMN email TEXT")?;
    ///     let conn = op.connection::<diesel::SqliteConnection>()?;
    ///     diesel::sql_query("UPDATE users SET email = name || '@example.com'").execute(conn)?;
    ///     Ok(())
    /// }
    /// ```
    pub fn connection<C: 'static>(&mut self) -> crate::Result<&mut C> {
        let dialect = self.target.dialect();
        self.target
            .connection()
            .ok_or(Error::NeedsLiveDatabase)?
            .downcast_mut::<C>()
            .ok_or_else(|| Error::OtherConnection {
                asked: std::any::type_name::<C>(),
                dialect,
            })
    }
}
