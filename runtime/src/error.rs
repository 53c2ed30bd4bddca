//! The runtime's errors: each names what failed and what to do about it.

use std::time::Duration;

use aludel_graph::sql::Dialect;
use aludel_graph::{list_some, Direction};

/// A revision applied or reverted before a failure stopped the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completed {
    /// The revision id.
    pub revision: String,
    /// Upgrade or downgrade.
    pub direction: Direction,
    /// How long it took.
    pub duration: Duration,
}

/// An error of the runtime. Every failure during a run carries the revisions completed before
/// it (`completed`): they stay applied.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Target resolution or planning failed (unknown revision, ambiguous target, a database
    /// at a revision this history does not contain, ...). Nothing was changed.
    #[error(transparent)]
    Graph(#[from] aludel_graph::Error),

    /// A revision's SQL failed.
    #[error("{} of revision {revision} ({path}) failed: {message}{}{}", direction_word(*.direction), partial_note(*.partial, *.outside_transaction), completed_note(.completed))]
    RevisionFailed {
        /// The revision.
        revision: String,
        /// Its file.
        path: String,
        /// Upgrade or downgrade.
        direction: Direction,
        /// The database's message.
        message: String,
        /// True when the database could not roll the revision back (it ran outside a
        /// transaction, or MySQL committed its DDL implicitly): it may be partly applied.
        partial: bool,
        /// True when the revision ran outside a transaction (`transactional: false`).
        outside_transaction: bool,
        /// What was applied before the failure; it stays applied.
        completed: Vec<Completed>,
    },

    /// The transaction of a revision failed to begin or to commit, or aludel's own record of
    /// the revision (the version table, the revision log) could not be written.
    #[error("{} of revision {revision} ({path}) could not be {what}: {}{}{}", direction_word(*.direction), database_message(.source), record_note(*.partial), completed_note(.completed))]
    RecordFailed {
        /// The revision.
        revision: String,
        /// Its file.
        path: String,
        /// Upgrade or downgrade.
        direction: Direction,
        /// What failed: "begun", "committed" or "recorded".
        what: &'static str,
        /// True when the revision's SQL may have been committed even so (MySQL's implicit
        /// commits, or a revision outside a transaction).
        partial: bool,
        /// The database's error.
        #[source]
        source: Box<diesel::result::Error>,
        /// What was applied before it; it stays applied.
        completed: Vec<Completed>,
    },

    /// A downgrade would cross a revision without a downgrade section.
    #[error("revision {revision} ({path}) is irreversible: it has no `-- downgrade` section, so the downgrade stops before running anything; add a downgrade section, or stamp past it if the schema was reverted by hand")]
    Irreversible {
        /// The revision.
        revision: String,
        /// Its file.
        path: String,
    },

    /// An applied revision's file was changed afterwards.
    #[error("revision {revision} ({path}) was changed after it was applied (applied as {applied_checksum}, the file is now {current_checksum}); restore the file, or accept the change on purpose with `Migrator::accept_changes` (CLI: `aludel stamp heads --accept-changes`)")]
    Drift {
        /// The revision.
        revision: String,
        /// Its file.
        path: String,
        /// The checksum recorded when it was applied.
        applied_checksum: String,
        /// The file's checksum now.
        current_checksum: String,
    },

    /// The applied history differs below a head in a way no single file explains (for
    /// example a `down_revision` was edited).
    #[error("the history below revision {revision} ({path}) changed after it was applied (recorded lineage {applied}, now {current}); restore the files, or accept the change on purpose with `Migrator::accept_changes`")]
    LineageChanged {
        /// The head whose lineage differs.
        revision: String,
        /// Its file.
        path: String,
        /// The lineage digest recorded in the database.
        applied: String,
        /// The lineage digest of the embedded history.
        current: String,
    },

    /// The migration lock could not be taken in time.
    #[error("could not take the migration lock within {timeout:?}: another process is migrating this database; try again once it has finished{}", completed_note(.completed))]
    LockTimeout {
        /// How long aludel waited.
        timeout: Duration,
        /// What this run applied before it had to wait; it stays applied.
        completed: Vec<Completed>,
    },

    /// Other processes kept changing the version table while this run planned; the run gave
    /// up after many attempts.
    #[error("the version table kept changing under this run ({attempts} attempts to plan); run again{}", completed_note(.completed))]
    KeptChanging {
        /// How often the run planned.
        attempts: usize,
        /// What this run applied meanwhile; it stays applied.
        completed: Vec<Completed>,
    },

    /// The PostgreSQL session lock held while a `transactional: false` revision ran was not
    /// held by this connection at the end: the connection goes through a pooler in
    /// transaction mode, where a session lock protects nothing.
    #[error("revision {revision} ({path}) is `transactional: false` and ran under a session lock that this connection no longer holds: the connection goes through a pooler in transaction mode (e.g. PgBouncer's pool_mode = transaction), where other migrators are not kept out; apply histories with `transactional: false` revisions over a direct or session-pooled connection (the lock stays held by a server connection of the pool until it closes){}", completed_note(.completed))]
    SessionLockLost {
        /// The revision.
        revision: String,
        /// Its file.
        path: String,
        /// What was applied, this revision included; it stays applied.
        completed: Vec<Completed>,
    },

    /// A `transactional: false` revision that another migrator applied while this one ran its
    /// SQL outside any transaction (SQLite, where no lock outlives a transaction): the SQL ran
    /// twice, and the revision is recorded once, by the other migrator.
    #[error("revision {revision} ({path}) is `transactional: false`, and another migrator applied it while this one ran its SQL outside any transaction, so that SQL ran twice (the revision is recorded once, by the other migrator); SQLite keeps no lock outside a transaction: start one migrator at a time for a history with such revisions{}", completed_note(.completed))]
    AppliedMeanwhile {
        /// The revision.
        revision: String,
        /// Its file.
        path: String,
        /// What this migrator applied before it.
        completed: Vec<Completed>,
    },

    /// A Rust revision (`.rs`) in a plan of a history loaded at run time: its code runs only
    /// from a binary that embeds the history.
    #[error("revision {revision} ({path}) is a Rust revision: it runs only from a binary that embeds the history (`aludel::embed_migrations!`), such as the service itself or its command line (`aludel_cli::run_embedded`); nothing was changed")]
    RustRevision {
        /// The revision.
        revision: String,
        /// Its file.
        path: String,
    },

    /// An SQL revision of a history loaded at run time without its files' SQL sections
    /// ([`LoadedMigrations::new`](crate::LoadedMigrations::new) was given fewer sections than
    /// revisions).
    #[error("revision {revision} ({path}) has no SQL to run: the history was loaded without its file's sections; load it with LoadedMigrations::from_files or aludel_graph::load_files_with_sections")]
    NoSections {
        /// The revision.
        revision: String,
        /// Its file.
        path: String,
    },

    /// A Rust revision did what needs a database where there is none, in an offline script:
    /// it asked for its diesel connection ([`Op::connection`](crate::op::Op::connection)), or
    /// made a change that reads the table's definition (a SQLite rebuild, MySQL's `MODIFY`).
    #[error("a Rust revision needs a live database: {why}")]
    NeedsLiveDatabase {
        /// What it does that needs one.
        why: String,
    },

    /// The history's files name databases (`-- upgrade <name>`) and the migrator migrates
    /// none of them.
    #[error("the history has sections for several databases ({}); migrate one of them (Options::database) or all of them together (Migrations::databases)", list(.databases))]
    DatabaseNotChosen {
        /// The databases the project configures.
        databases: Vec<String>,
    },

    /// The migrator's database is not one the project configures.
    #[error("unknown database `{database}`: {}", if .databases.is_empty() { "the project configures no databases ([databases.<name>] in aludel.toml)".to_string() } else { format!("the project configures {}", list(.databases)) })]
    UnknownDatabase {
        /// The database asked for.
        database: String,
        /// The databases the project configures.
        databases: Vec<String>,
    },

    /// A blocking call of [`Databases`](crate::Databases) on a set that holds async
    /// connections, which need their runtime.
    #[error("this set of databases holds async connections: await its async calls on their runtime instead of the blocking ones")]
    AsyncInBlockingCall,

    /// One database of several failed (see [`Migrations::databases`](crate::Migrations::databases)):
    /// the databases before it in the run's order committed their part.
    #[error("database `{database}`: {source}{}", ahead_note(.ahead))]
    DatabaseFailed {
        /// The database that failed.
        database: String,
        /// The databases that applied (or reverted) more of the run than it: a rerun brings
        /// the others level.
        ahead: Vec<String>,
        /// Its error.
        source: Box<Error>,
    },

    /// A Rust revision run on an async PostgreSQL or MySQL connection did what needs the
    /// connection itself: it asked for its diesel connection, or made a change that reads the
    /// table's definition. Its statements are rendered before they run there, as the
    /// connection cannot be lent to a sync function (the run's error names the revision).
    #[error("on an async connection a Rust revision's statements are rendered before they run, and this one needs the connection itself: {why}; apply it through a sync connection (diesel's own, or diesel-async's AsyncConnectionWrapper)")]
    AsyncNeedsSync {
        /// What it does that needs the connection.
        why: String,
    },

    /// An offline script (`--sql`) of a plan with a Rust revision that queries its connection.
    #[error("revision {revision} ({path}) needs a live database: {why}, which an offline script cannot do; apply it with a connection, or write the script by hand")]
    OfflineNeedsDatabase {
        /// The revision.
        revision: String,
        /// Its file.
        path: String,
        /// What it does that needs a database.
        why: String,
    },

    /// A revision of another embedded history given as the target.
    #[error("revision {revision} ({path}) is not this history's: {}; pass a revision of the history being applied", if *.known { "this history has a revision of that id, with other files at or below it" } else { "this history has no revision of that id" })]
    ForeignTarget {
        /// The target's id.
        revision: String,
        /// The target's file.
        path: String,
        /// Whether this history has a revision of that id (with different contents).
        known: bool,
    },

    /// A Rust revision's own failure, made with [`Error::message`].
    #[error("{0}")]
    Message(String),

    /// SQL that a Rust revision's [`Op::execute`](crate::op::Op::execute) could not split into
    /// statements (an unclosed quote or comment).
    #[error("the revision's SQL: {message}")]
    RevisionSql {
        /// What is wrong with it.
        message: String,
    },

    /// [`Op::connection`](crate::op::Op::connection) asked for another connection type than
    /// the one the history is applied with.
    #[error("a Rust revision asked for a `{asked}`, but this run applies the history with a {dialect:?} connection of another type")]
    OtherConnection {
        /// The type asked for.
        asked: &'static str,
        /// The dialect of the run's connection.
        dialect: Dialect,
    },

    /// The database refused an operation aludel needs (reading the version table, creating
    /// aludel's tables, taking a lock).
    #[error("{context}: {}", database_message(.source))]
    Database {
        /// What aludel was doing.
        context: String,
        /// The database's error.
        #[source]
        source: diesel::result::Error,
    },

    /// A table or schema name from the options that no database accepts.
    #[error("the {what} name `{name}` is not usable: give 1 to 63 characters, without NUL")]
    InvalidName {
        /// "version table", "log table" or "schema".
        what: &'static str,
        /// The name.
        name: String,
    },

    /// A schema was given for SQLite, which has none.
    #[error("a schema for the version table is a PostgreSQL option; SQLite has none (attach a database instead)")]
    SchemaOnSqlite,

    /// A tenant schema ([`Options::tenant_schema`](crate::Options::tenant_schema)) on MySQL,
    /// where a schema is a database.
    #[error("a tenant schema is a PostgreSQL option; on MySQL a tenant is a database of its own: name it in the connection URL (mysql://host/tenant) instead")]
    TenantSchemaOnMysql,

    /// The run was asked to stop ([`Migrator::with_stop`](crate::Migrator::with_stop)) and
    /// did so before its next revision; the revisions completed before it stay applied.
    #[error("stopped on request before the next revision{}", completed_note(.completed))]
    Interrupted {
        /// The revisions completed before the stop.
        completed: Vec<Completed>,
    },

    /// A fleet's target could not be reached: its connection failed.
    #[error("cannot connect: {message}")]
    Unreachable {
        /// The client's message, passwords masked.
        message: String,
    },

    /// A list of fleet targets ([`FleetTarget::parse_list`](crate::FleetTarget::parse_list))
    /// that cannot be read.
    #[error("the list of targets is not usable: {}", aludel_graph::list_some(.problems, "; "))]
    InvalidTargets {
        /// What is wrong, by line.
        problems: Vec<String>,
    },

    /// [`TransactionMode::All`](crate::TransactionMode::All) with a revision that cannot run
    /// inside a transaction.
    #[error("revision {revision} ({path}) is `transactional: false`, so the run cannot be one transaction; use TransactionMode::PerRevision")]
    NotTransactional {
        /// The revision.
        revision: String,
        /// Its file.
        path: String,
    },

    /// [`TransactionMode::All`](crate::TransactionMode::All) on MySQL.
    #[error("MySQL commits DDL implicitly, so a run cannot be one transaction; use TransactionMode::PerRevision")]
    WholeRunOnMysql,

    /// A run on MySQL inside a transaction the caller opened: MySQL commits DDL implicitly,
    /// which would end the caller's transaction halfway.
    #[error("MySQL commits DDL implicitly, which would end the transaction this connection has open; run migrations outside a transaction (nothing was changed)")]
    OpenTransactionOnMysql,

    /// [`Migrator::take_over_diesel`](crate::Migrator::take_over_diesel) on a database without
    /// diesel's table.
    #[error("this database has no __diesel_schema_migrations table, so diesel_migrations does not manage it; for a new database use run_pending")]
    NotDieselManaged,

    /// diesel recorded a version the history has no revision for.
    #[error("diesel recorded version {version}, but the history has no revision {revision} for it; import the diesel migrations with `aludel import diesel DIR` first")]
    UnknownDieselVersion {
        /// The version diesel recorded.
        version: String,
        /// The revision id `aludel import diesel` gives it.
        revision: String,
    },

    /// diesel's table is empty.
    #[error("__diesel_schema_migrations is empty: diesel applied nothing; use run_pending")]
    NothingFromDiesel,

    /// diesel applied a migration but not all older ones.
    #[error("diesel applied {head} but not the older {}; run diesel's pending migrations (or apply those revisions by hand) before taking over", list_some(.missing, ", "))]
    DieselGap {
        /// The newest revision diesel applied.
        head: String,
        /// The older revisions it did not apply.
        missing: Vec<String>,
    },

    /// The version table already holds revisions, so the database is already managed.
    #[error("the version table {table} already holds {}; this database is already managed by aludel or Alembic", list_some(.rows, ", "))]
    AlreadyManaged {
        /// The version table.
        table: String,
        /// Its rows.
        rows: Vec<String>,
    },

    /// The history embedded in the program does not form a valid revision graph. The macros
    /// never generate such data: `aludel` and `aludel-macros` of different versions disagree
    /// on its layout, or it was assembled by hand. Nothing was changed.
    #[error("the revision history embedded in this program is invalid: {message}; aludel and aludel-macros must be the same version (build with matching versions, then rebuild the crate that embeds the history)")]
    InvalidEmbeddedHistory {
        /// What is wrong with the embedded data.
        message: String,
    },
}

fn direction_word(direction: Direction) -> &'static str {
    match direction {
        Direction::Upgrade => "upgrade",
        Direction::Downgrade => "downgrade",
    }
}

fn partial_note(partial: bool, outside_transaction: bool) -> &'static str {
    match (partial, outside_transaction) {
        (true, true) => "; the revision runs outside a transaction (`transactional: false`), so it may be partly applied: check the schema, repair it by hand, then run again (the version table records only revisions that completed)",
        (true, false) => "; this database commits DDL implicitly, so the revision may be partly applied: check the schema, repair it by hand, then run again (the version table records only revisions that completed)",
        (false, _) => "; the revision was rolled back, the schema and version table are as before it",
    }
}

fn record_note(partial: bool) -> &'static str {
    if partial {
        "; the revision's SQL may have been committed even so: check the schema, then stamp the revision or repair it by hand"
    } else {
        "; the transaction was rolled back, the schema and version table are as before it (if the connection was lost while committing, the version table shows whether it committed)"
    }
}

/// " (completed before it: a, b, c)", listing at most ten revisions and counting the rest.
fn completed_note(completed: &[Completed]) -> String {
    if completed.is_empty() {
        String::new()
    } else {
        let ids: Vec<&str> = completed.iter().map(|c| c.revision.as_str()).collect();
        format!(
            " ({} completed before it: {})",
            completed.len(),
            list_some(&ids, ", ")
        )
    }
}

/// Errors of `BEGIN` and `COMMIT` of aludel's own transactions outside a revision (creating
/// its tables, a stamp); a revision's transaction reports [`Error::RecordFailed`] instead.
impl Error {
    /// The revisions a run completed before this error stopped it: they stay applied.
    pub fn completed(&self) -> &[Completed] {
        match self {
            Error::RevisionFailed { completed, .. }
            | Error::RecordFailed { completed, .. }
            | Error::LockTimeout { completed, .. }
            | Error::KeptChanging { completed, .. }
            | Error::SessionLockLost { completed, .. }
            | Error::AppliedMeanwhile { completed, .. }
            | Error::Interrupted { completed } => completed,
            Error::DatabaseFailed { source, .. } => source.completed(),
            _ => &[],
        }
    }

    /// A failure of a Rust revision's own, in its words: the run reports it as the
    /// revision's failure and rolls the revision back.
    pub fn message(text: impl Into<String>) -> Self {
        Error::Message(text.into())
    }
}

impl From<diesel::result::Error> for Error {
    fn from(source: diesel::result::Error) -> Self {
        Error::Database {
            context: "a transaction of aludel's failed to begin or commit".to_string(),
            source,
        }
    }
}

/// A client's message on one line: its lines trimmed, the empty ones left out, the rest
/// joined by spaces.
pub(crate) fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The database's message on one line (libpq's messages about a lost connection end with a
/// newline and may span several lines); a lost connection says so in words.
pub(crate) fn database_message(error: &diesel::result::Error) -> String {
    let text = one_line(&error.to_string());
    // diesel marks a lost PostgreSQL connection; the MySQL client's messages for it (errors
    // 2006 and 2013) are recognised by their text.
    let lost = matches!(
        error,
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::ClosedConnection,
            _,
        )
    ) || text.starts_with("Server has gone away")
        || text.starts_with("MySQL server has gone away")
        || text.starts_with("Lost connection to");
    if lost {
        format!("the connection to the database was lost ({text})")
    } else {
        text
    }
}

impl Error {
    pub(crate) fn db(context: impl Into<String>) -> impl FnOnce(diesel::result::Error) -> Error {
        let context = context.into();
        move |source| Error::Database { context, source }
    }
}

/// At most ten items of a list, and how many more.
fn list(items: &[String]) -> String {
    aludel_graph::list_some(items, ", ")
}

/// The note of a [`Error::DatabaseFailed`] on the databases ahead of the failed one.
fn ahead_note(ahead: &[String]) -> String {
    if ahead.is_empty() {
        return String::new();
    }
    format!(
        " (ahead of it, with their part committed: {}; fix the cause and run again: each database continues from where it stands)",
        list(ahead)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::result::{DatabaseErrorKind, Error as DieselError};

    fn database_error(kind: DatabaseErrorKind, message: &str) -> DieselError {
        DieselError::DatabaseError(kind, Box::new(message.to_string()))
    }

    #[test]
    fn database_messages_are_one_line_and_name_a_lost_connection() {
        let lost = database_error(
            DatabaseErrorKind::ClosedConnection,
            "server closed the connection unexpectedly\n\tThis probably means the server terminated abnormally\n\tbefore or while processing the request.\n",
        );
        assert_eq!(
            database_message(&lost),
            "the connection to the database was lost (server closed the connection unexpectedly This probably means the server terminated abnormally before or while processing the request.)"
        );
        let mysql = database_error(DatabaseErrorKind::Unknown, "Server has gone away");
        assert_eq!(
            database_message(&mysql),
            "the connection to the database was lost (Server has gone away)"
        );
        let plain = database_error(
            DatabaseErrorKind::Unknown,
            "relation \"missing\" does not exist",
        );
        assert_eq!(
            database_message(&plain),
            "relation \"missing\" does not exist"
        );
    }

    #[test]
    fn a_failure_late_in_a_long_history_lists_ten_completed_revisions() {
        // Lemmy's history failing at its 248th revision gave a 4,464-character line of ids.
        let completed: Vec<Completed> = (0..247)
            .map(|i| Completed {
                revision: format!("{i:032}"),
                direction: Direction::Upgrade,
                duration: Duration::ZERO,
            })
            .collect();
        let error = Error::RevisionFailed {
            revision: "r248".to_string(),
            path: "versions/248.sql".to_string(),
            direction: Direction::Upgrade,
            message: "relation \"x\" does not exist".to_string(),
            partial: false,
            outside_transaction: false,
            completed,
        };
        let text = error.to_string();
        assert!(
            text.ends_with("(247 completed before it: 00000000000000000000000000000000, 00000000000000000000000000000001, 00000000000000000000000000000002, 00000000000000000000000000000003, 00000000000000000000000000000004, 00000000000000000000000000000005, 00000000000000000000000000000006, 00000000000000000000000000000007, 00000000000000000000000000000008, 00000000000000000000000000000009 and 237 more)"),
            "{text}"
        );
        assert!(text.len() < 800, "{}", text.len());
    }
}
