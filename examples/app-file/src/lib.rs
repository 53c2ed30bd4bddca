//! SQLite as an application file format, the way a desktop application uses it: the schema
//! history is compiled into the binary (no migration scripts beside it, no working directory
//! assumed). [`open`] takes a document of any older version and upgrades it in place;
//! [`create`] makes a new document at the current version. A document written by a newer
//! version of the application is refused untouched.

use std::path::Path;

use diesel::prelude::*;
use diesel::SqliteConnection;

/// The document format's history.
pub static MIGRATIONS: aludel::Migrations = aludel::embed_migrations!();

/// Why a document cannot be opened.
#[derive(Debug)]
pub enum DocumentError {
    /// The file does not exist (for [`open`]) or already exists (for [`create`]).
    Path(String),
    /// SQLite refused the file.
    Sqlite(String),
    /// The document could not be upgraded, or was written by a newer version.
    Upgrade(aludel::Error),
}

impl std::fmt::Display for DocumentError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DocumentError::Path(message) | DocumentError::Sqlite(message) => f.write_str(message),
            DocumentError::Upgrade(aludel::Error::Graph(aludel::graph::Error::UnknownCurrent { revision })) => write!(
                f,
                "this document was written by a newer version of the application (format revision {revision}); update the application to open it"
            ),
            DocumentError::Upgrade(err) => write!(f, "cannot upgrade the document: {err}"),
        }
    }
}

impl std::error::Error for DocumentError {}

fn connect(path: &Path) -> Result<SqliteConnection, DocumentError> {
    let shown = path.display();
    let url = path
        .to_str()
        .ok_or_else(|| DocumentError::Path(format!("{shown}: the path is not valid UTF-8")))?;
    let mut conn = SqliteConnection::establish(url)
        .map_err(|e| DocumentError::Sqlite(format!("{shown}: {e}")))?;
    diesel::connection::SimpleConnection::batch_execute(&mut conn, "PRAGMA foreign_keys = ON")
        .map_err(|e| DocumentError::Sqlite(format!("{shown}: {e}")))?;
    Ok(conn)
}

/// Opens an existing document, upgrading it in place to the current format when it is older.
/// Returns the connection and the revisions the upgrade applied.
pub fn open(path: &Path) -> Result<(SqliteConnection, Vec<String>), DocumentError> {
    if !path.is_file() {
        return Err(DocumentError::Path(format!(
            "{}: no such document",
            path.display()
        )));
    }
    let mut conn = connect(path)?;
    let report = MIGRATIONS
        .run_pending(&mut conn)
        .map_err(DocumentError::Upgrade)?;
    Ok((conn, report.steps.into_iter().map(|s| s.revision).collect()))
}

/// Creates a new document in the current format.
pub fn create(path: &Path) -> Result<SqliteConnection, DocumentError> {
    if path.exists() {
        return Err(DocumentError::Path(format!(
            "{}: already exists",
            path.display()
        )));
    }
    let mut conn = connect(path)?;
    MIGRATIONS
        .run_pending(&mut conn)
        .map_err(DocumentError::Upgrade)?;
    Ok(conn)
}

/// Adds a note.
pub fn add_note(conn: &mut SqliteConnection, body: &str, tags: &[&str]) -> QueryResult<()> {
    conn.transaction(|conn| {
        diesel::sql_query("INSERT INTO notes (body, created_at) VALUES (?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))")
            .bind::<diesel::sql_types::Text, _>(body)
            .execute(conn)?;
        for tag in tags {
            diesel::sql_query("INSERT INTO tags (note_id, tag) VALUES (last_insert_rowid(), ?)")
                .bind::<diesel::sql_types::Text, _>(*tag)
                .execute(conn)?;
        }
        Ok(())
    })
}

/// A note with its tags.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct Note {
    /// The note's text.
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub body: String,
    /// Its tags, comma-separated.
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub tags: String,
}

/// Every note, oldest first.
pub fn notes(conn: &mut SqliteConnection) -> QueryResult<Vec<Note>> {
    diesel::sql_query(
        "SELECT n.body AS body, COALESCE((SELECT group_concat(tag, ',') FROM (SELECT tag FROM tags t WHERE t.note_id = n.id ORDER BY tag)), '') AS tags FROM notes n ORDER BY n.id",
    )
    .load(conn)
}
