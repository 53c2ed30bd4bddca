//! How a run is configured.

use std::time::Duration;

/// Options of a [`Migrator`](crate::Migrator).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// The version table, Alembic's `alembic_version` by default.
    pub version_table: String,
    /// The schema of the version table and the revision log (PostgreSQL); `None` uses the
    /// connection's search path.
    pub schema: Option<String>,
    /// Runs the revisions with [`Options::schema`] first in PostgreSQL's search path: the
    /// schema of a tenant (see [`Options::tenant_schema`]). Set for each revision's transaction
    /// only (`set_config(.., true)`, as `SET LOCAL`), so nothing of it outlives the run on the
    /// connection, nor on the server connection of a pooler in transaction mode. A
    /// `transactional: false` revision, which runs outside any transaction, has it set on the
    /// session while it runs and set back after (such revisions need a direct or
    /// session-pooled connection in any case, see [`crate::Error::SessionLockLost`]).
    pub schema_first: bool,
    /// aludel's log of applied and reverted revisions, `aludel_revision_log` by default.
    pub log_table: String,
    /// One transaction per revision (the default) or one for the whole run.
    pub transaction: TransactionMode,
    /// How long to wait for another process's migration lock (and, on SQLite, for a busy
    /// database).
    pub lock_timeout: Duration,
    /// In a project of several databases (`[databases.<name>]`), the one this migrator
    /// migrates: the revisions' sections for every database and those that name it run.
    pub database: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            version_table: "alembic_version".to_string(),
            schema: None,
            schema_first: false,
            log_table: "aludel_revision_log".to_string(),
            transaction: TransactionMode::PerRevision,
            lock_timeout: Duration::from_secs(300),
            database: None,
        }
    }
}

impl Options {
    /// Migrates `name`, one of a project's several databases (see [`Options::database`]).
    #[must_use]
    pub fn database(mut self, name: impl Into<String>) -> Self {
        self.database = Some(name.into());
        self
    }

    /// The tables aludel keeps beside the application's: the version table, the revision log
    /// and the log's lineage record. Schema tools leave them out.
    pub fn own_tables(&self) -> Vec<String> {
        vec![
            self.version_table.clone(),
            self.log_table.clone(),
            crate::db::lineage_table(&self.log_table),
        ]
    }

    /// Sets the version table.
    #[must_use]
    pub fn version_table(mut self, name: impl Into<String>) -> Self {
        self.version_table = name.into();
        self
    }

    /// Sets the schema of aludel's tables (PostgreSQL).
    #[must_use]
    pub fn schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = Some(schema.into());
        self
    }

    /// Migrates the PostgreSQL schema `schema` as a tenant of its own: the version table and the
    /// revision log live in it, the revisions run with it first in the search path (unqualified
    /// names in their SQL are the tenant's), and the migration lock is the schema's, so that
    /// tenants of one database do not wait for each other. The schema must exist. A MySQL
    /// tenant is a database of its own (name it in the connection URL); SQLite has no schemas.
    #[must_use]
    pub fn tenant_schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = Some(schema.into());
        self.schema_first = true;
        self
    }

    /// Sets the revision log table.
    #[must_use]
    pub fn log_table(mut self, name: impl Into<String>) -> Self {
        self.log_table = name.into();
        self
    }

    /// Sets the transaction mode.
    #[must_use]
    pub fn transaction(mut self, mode: TransactionMode) -> Self {
        self.transaction = mode;
        self
    }

    /// Sets the lock timeout.
    #[must_use]
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }
}

/// How revisions are grouped into transactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransactionMode {
    /// Each revision's SQL and its version-table change commit together; a failure leaves the
    /// revisions before it applied. Revisions marked `transactional: false` run outside a
    /// transaction; on SQLite, which has no session lock, such a revision is not protected
    /// against another process starting the same revision at the same moment, so keep
    /// SQLite histories transactional where concurrent starters are possible.
    PerRevision,
    /// The whole run commits or rolls back as one (PostgreSQL and SQLite, whose DDL is
    /// transactional; refused on MySQL, and for runs that contain a `transactional: false`
    /// revision).
    All,
}
