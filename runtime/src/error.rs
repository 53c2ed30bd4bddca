//! The runtime's errors: each names what failed and what to do about it.

use std::time::Duration;

use aludel_graph::Direction;

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

/// An error of the runtime.
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
    #[error("could not take the migration lock within {timeout:?}: another process is migrating this database; try again once it has finished")]
    LockTimeout {
        /// How long aludel waited.
        timeout: Duration,
    },

    /// The database refused an operation aludel needs.
    #[error("{context}: {}", database_message(.source))]
    Database {
        /// What aludel was doing.
        context: String,
        /// The database's error.
        #[source]
        source: diesel::result::Error,
    },

    /// An option this database cannot honour.
    #[error("{0}")]
    Unsupported(String),

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

fn completed_note(completed: &[Completed]) -> String {
    if completed.is_empty() {
        String::new()
    } else {
        let ids: Vec<&str> = completed.iter().map(|c| c.revision.as_str()).collect();
        format!(" (completed before it: {})", ids.join(", "))
    }
}

/// The context of errors of `BEGIN`, `COMMIT` and `ROLLBACK` themselves.
pub(crate) const TRANSACTION_FAILED: &str = "transaction failed";

/// Errors of `BEGIN`, `COMMIT` and `ROLLBACK` themselves.
impl From<diesel::result::Error> for Error {
    fn from(source: diesel::result::Error) -> Self {
        Error::Database {
            context: TRANSACTION_FAILED.to_string(),
            source,
        }
    }
}

/// The database's message on one line (libpq's messages about a lost connection end with a
/// newline and may span several lines); a lost connection says so in words.
pub(crate) fn database_message(error: &diesel::result::Error) -> String {
    let text = error.to_string();
    let text = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
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
}
