//! Importing a diesel migrations directory as a linear aludel history.
//!
//! [`read_diesel_dir`] reads a diesel migrations directory exactly as `diesel_migrations`
//! reads it, and [`DieselImport::to_revisions`] turns the result into aludel revision files,
//! one per diesel migration, each revising the one before it.
//!
//! ```no_run
//! use std::path::Path;
//!
//! # fn main() -> Result<(), aludel_graph::import::ImportError> {
//! let import = aludel_graph::import::read_diesel_dir(Path::new("migrations"))?;
//! for entry in &import.ignored {
//!     eprintln!("skipped {} ({})", entry.path.display(), entry.reason);
//! }
//! for (file_name, contents) in import.to_revisions() {
//!     // e.g. write `contents` to `migrations/versions/{file_name}`
//! #   let _ = (file_name, contents);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # How diesel reads a migrations directory
//!
//! As in `diesel_migrations` (diesel-rs/diesel at `04cc1b0b`: `migrations_directories`,
//! `valid_sql_migration_directory`, `version_from_string` and `TomlMetadata` in
//! `diesel_migrations/migrations_internals/src/lib.rs`; `FileBasedMigrations::from_path` and
//! `SqlFileMigration` in `diesel_migrations/src/file_based_migrations.rs`;
//! `pending_migrations` in `diesel_migrations/src/migration_harness.rs`):
//!
//! - An entry of the directory whose name starts with `.` is skipped, and so is a regular
//!   file (`README.md`, a stray `data.sql`) and a directory with no entries at all. Every
//!   other entry is a migration. These entries are returned in [`DieselImport::ignored`], so
//!   that a tool can say what it skipped.
//! - A migration directory must contain `up.sql` (diesel refuses the *whole* directory with
//!   `UnknownMigrationFormat` otherwise, also when the directory holds only a `.keep`); here
//!   that is [`ImportError::MissingUpSql`]. `down.sql` is optional: without it diesel cannot
//!   revert the migration (`NoMigrationRevertFile`), and the revision is irreversible.
//!   Anything else in a migration directory is never read by diesel and is listed as ignored.
//! - The version is the directory name up to the first `_`, with every `-` removed
//!   (`2017-08-31-230457_create_users` → `20170831230457`); the name is the rest. Diesel
//!   applies migrations in ascending *string* order of the version, so
//!   `20260527120000` comes before `202605271200000000`, and both after `20140924113530`.
//! - Diesel keys migrations by version in a `HashMap` and silently runs only one of two
//!   migrations that share a version; here that is [`ImportError::DuplicateVersion`].
//! - `metadata.toml` may say `run_in_transaction = false`. Diesel ignores a `metadata.toml`
//!   that does not parse (it then runs in a transaction) and ignores unknown keys; aludel is
//!   strict instead: the file may hold only `run_in_transaction = true` or `= false`, blank
//!   lines and `#` comments, and anything else is [`ImportError::Metadata`]. A file that sets
//!   nothing (empty, or comments only) means `run_in_transaction = false`, as in diesel,
//!   whose `#[serde(default)] run_in_transaction: bool` defaults to `false` when the file
//!   exists; only a *missing* file means `true`.
//! - SQL files are read as UTF-8 (diesel uses `read_to_string`); anything else is
//!   [`ImportError::NotUtf8`]. A leading byte-order mark is removed; all other content is kept.
//!
//! # The aludel revisions
//!
//! - The revision id is [`revision_id_for_version`] of the diesel version: `d` followed by
//!   the version (`d20170831230457`), so that importing again gives the same ids and a
//!   database that diesel manages can be taken over by mapping the versions recorded in
//!   `__diesel_schema_migrations` to ids.
//! - `down_revision` is the previous migration in diesel's order (empty for the first).
//! - `message` is the name with underscores as spaces (`create users`); `create_date` is the
//!   version's timestamp in ISO 8601 (`2017-08-31T23:04:57Z`) when the version is one
//!   (`00000000000000_diesel_initial_setup` has none); `transactional: false` stands for
//!   `run_in_transaction = false`.
//! - The `-- upgrade` section is `up.sql` and the `-- downgrade` section `down.sql`,
//!   verbatim (CRLF written as LF, which is how aludel reads the file anyway). An empty or
//!   comment-only `down.sql` gives a reversible revision with that downgrade (diesel itself
//!   refuses to revert a 0-byte `down.sql` with `EmptyMigration`; aludel runs nothing).
//! - A line of `up.sql` or `down.sql` that aludel's parser would read as a section marker
//!   (`-- upgrade`, `-- downgrade`, or a near miss such as `--Upgrade:`) cannot be written
//!   into a revision file without changing its meaning: [`ImportError::MarkerLikeLine`]
//!   names the file and line instead.
//! - The file name is `{version}-{id}_{slug}.sql`, e.g.
//!   `20170831230457-d20170831230457_create_users.sql`. The `-` after the version sorts
//!   before every digit and letter, so the files sort in diesel's order even when one version
//!   is a prefix of another (crates.io has `20260527120000` and `202605271200000000`; a `_`
//!   there would put the longer one first). The order of the files never changes the
//!   history, since every revision names its parent.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::checksum::strip_bom;
use crate::revision::MAX_ID_LEN;

/// The longest slug in a generated file name (Alembic's default `truncate_slug_length`).
pub const MAX_SLUG_LEN: usize = 40;

/// A diesel migrations directory, read as diesel reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DieselImport {
    /// The directory that was read, as given to [`read_diesel_dir`].
    pub dir: PathBuf,
    /// The migrations, in the order diesel applies them (ascending string order of the
    /// version).
    pub migrations: Vec<DieselMigration>,
    /// Entries diesel skips or never reads, sorted by path.
    pub ignored: Vec<IgnoredEntry>,
}

/// One diesel migration: a directory with `up.sql`, optionally `down.sql` and
/// `metadata.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DieselMigration {
    /// The directory name, e.g. `2017-08-31-230457_create_users`.
    pub dir_name: String,
    /// Diesel's version: the directory name up to the first `_`, with every `-` removed,
    /// e.g. `20170831230457`. This is what diesel records in `__diesel_schema_migrations`.
    pub version: String,
    /// The directory name after the first `_`, e.g. `create_users`; empty without a `_`.
    pub name: String,
    /// The contents of `up.sql` (a leading byte-order mark removed, otherwise as read).
    pub up_sql: String,
    /// The contents of `down.sql`, or `None` when the migration has none (irreversible).
    pub down_sql: Option<String>,
    /// `run_in_transaction` from `metadata.toml`; `true` without that file.
    pub run_in_transaction: bool,
}

/// An entry of a diesel migrations directory that diesel skips or never reads.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub struct IgnoredEntry {
    /// The path relative to the migrations directory, e.g. `README.md` or
    /// `2017-08-31-230457_create_users/notes.txt`.
    pub path: PathBuf,
    /// Why diesel does not use it.
    pub reason: IgnoreReason,
}

/// Why diesel does not use an entry of its migrations directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum IgnoreReason {
    /// A file directly inside the migrations directory: diesel reads only directories.
    LooseFile,
    /// A name starting with `.` (`.keep`, `.DS_Store`): diesel skips it.
    Hidden,
    /// A directory with no entries at all: diesel skips it.
    EmptyDirectory,
    /// An entry of a migration directory other than `up.sql`, `down.sql` and
    /// `metadata.toml`: diesel never reads it.
    NotRead,
}

impl fmt::Display for IgnoreReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IgnoreReason::LooseFile => "a file, not a migration directory",
            IgnoreReason::Hidden => "hidden: its name starts with `.`",
            IgnoreReason::EmptyDirectory => "an empty directory",
            IgnoreReason::NotRead => {
                "diesel reads only up.sql, down.sql and metadata.toml of a migration"
            }
        })
    }
}

/// Why a diesel migrations directory cannot be imported. Paths are shown as given to
/// [`read_diesel_dir`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// A directory cannot be listed.
    #[error("cannot read directory `{}`: {source}; check that the path names diesel's migrations directory (the one holding a directory per migration)", .path.display())]
    ReadDir {
        /// The directory.
        path: PathBuf,
        /// The reason.
        source: io::Error,
    },
    /// A file cannot be read.
    #[error("cannot read `{}`: {source}", .path.display())]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// The reason.
        source: io::Error,
    },
    /// The directory holds no migration at all.
    #[error("no diesel migrations in `{}`: it has no directory with an up.sql; name diesel's migrations directory, the one holding directories such as `2017-08-31-230457_create_users/up.sql`", .path.display())]
    NoMigrations {
        /// The directory.
        path: PathBuf,
    },
    /// A migration directory's name is not UTF-8.
    #[error("the name of `{}` is not valid UTF-8; rename the directory using UTF-8 only (its version is the part before the first `_`)", .path.display())]
    NonUtf8Name {
        /// The directory.
        path: PathBuf,
    },
    /// A migration directory without `up.sql`.
    #[error("`{}` has no up.sql, so diesel refuses the whole migrations directory (UnknownMigrationFormat); add its up.sql, or move the directory out of the migrations directory", .path.display())]
    MissingUpSql {
        /// The migration directory.
        path: PathBuf,
    },
    /// Two or more migrations with the same version.
    #[error("diesel migrations {} have the same version `{version}` (the directory name up to the first `_`, without `-`); diesel keys migrations by version and silently runs only one of them; rename one so that the versions differ, after checking which one a database that recorded `{version}` ran", quoted_paths(.directories))]
    DuplicateVersion {
        /// The version.
        version: String,
        /// Every migration directory with that version.
        directories: Vec<PathBuf>,
    },
    /// A file that is not UTF-8.
    #[error("{}:{line}:{column}: not valid UTF-8; diesel reads it as UTF-8 too and would fail; save the file as UTF-8", .path.display())]
    NotUtf8 {
        /// The file.
        path: PathBuf,
        /// 1-based line of the first invalid byte.
        line: usize,
        /// 1-based column (in characters) of the first invalid byte.
        column: usize,
    },
    /// A `metadata.toml` line that is not `run_in_transaction = true|false`.
    #[error("{}:{line}: {problem}; aludel reads only `run_in_transaction = true` or `run_in_transaction = false` from metadata.toml (plus blank lines and `#` comments): fix the line, or delete it if diesel did not need it", .path.display())]
    Metadata {
        /// The `metadata.toml` file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong with the line.
        problem: String,
    },
    /// An SQL line that aludel would read as a section marker.
    #[error("{}:{line}: the line `{text}` would be read as aludel's `{marker}` section marker in the imported revision file, which would cut the SQL apart; it is an SQL comment line, so reword it (e.g. `{marker} the data`) or delete it in the diesel migration and import again", .path.display())]
    MarkerLikeLine {
        /// The `up.sql` or `down.sql` file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// The line, trimmed.
        text: String,
        /// The marker it would be read as: `-- upgrade` or `-- downgrade`.
        marker: &'static str,
    },
    /// Several of the problems above: those of each directory in the order of their names,
    /// then duplicate versions.
    #[error("{} problems in the diesel migrations:\n{}", .errors.len(), lines(.errors))]
    Multiple {
        /// The problems.
        errors: Vec<ImportError>,
    },
}

fn quoted_paths(paths: &[PathBuf]) -> String {
    let quoted: Vec<String> = paths.iter().map(|p| format!("`{}`", p.display())).collect();
    quoted.join(" and ")
}

fn lines(errors: &[ImportError]) -> String {
    let lines: Vec<String> = errors.iter().map(|e| format!("- {e}")).collect();
    lines.join("\n")
}

impl ImportError {
    /// Every single problem: the members of [`ImportError::Multiple`], or the error itself.
    pub fn problems(&self) -> Vec<&ImportError> {
        match self {
            ImportError::Multiple { errors } => errors.iter().flat_map(|e| e.problems()).collect(),
            other => vec![other],
        }
    }
}

/// Diesel's version of a migration directory name: the name up to the first `_`, with every
/// `-` removed (diesel's `version_from_string`).
///
/// ```
/// use aludel_graph::import::version_from_dir_name;
///
/// assert_eq!(version_from_dir_name("2017-08-31-230457_create_users"), "20170831230457");
/// assert_eq!(version_from_dir_name("20140924113530_dumped_migration_1"), "20140924113530");
/// ```
pub fn version_from_dir_name(dir_name: &str) -> String {
    let head = dir_name.split('_').next().unwrap_or_default();
    head.replace('-', "")
}

/// The aludel revision id for a diesel version; the same rule as [`read_diesel_dir`] and
/// [`DieselImport::to_revisions`] use, so that the versions a database recorded in
/// `__diesel_schema_migrations` map to the imported revisions.
///
/// The rule:
/// - a version of 1 to 31 ASCII letters and digits (every version diesel generates: 14 or 18
///   digits) becomes `d` followed by the version: `20170831230457` → `d20170831230457`;
/// - any other version (empty, longer than 31 characters, or with other characters) becomes
///   `d`, its first 14 ASCII letters and digits, `_`, and the first 16 hex digits of the
///   SHA-256 of the version: at most 32 characters.
///
/// The first form never contains `_` (a version never does) and the second always does, so
/// two different versions never share an id (barring a 64-bit hash collision in the second
/// form). Both forms are valid aludel ids (`[A-Za-z0-9_]{1,32}`, never `head`, `heads` or
/// `base`).
///
/// ```
/// use aludel_graph::import::revision_id_for_version;
///
/// assert_eq!(revision_id_for_version("20170831230457"), "d20170831230457");
/// assert_eq!(revision_id_for_version("00000000000000"), "d00000000000000");
/// ```
pub fn revision_id_for_version(version: &str) -> String {
    if !version.is_empty()
        && version.len() < MAX_ID_LEN
        && version.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return format!("d{version}");
    }
    let digest = Sha256::digest(version.as_bytes());
    let hex: String = digest
        .iter()
        .take(8)
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let readable: String = version
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(14)
        .collect();
    format!("d{readable}_{hex}")
}

/// Reads a diesel migrations directory (`dir` holds one directory per migration) as diesel
/// reads it; see the [module documentation](self) for the rules.
///
/// Every problem of the directory is reported at once: several are returned as
/// [`ImportError::Multiple`].
pub fn read_diesel_dir(dir: &Path) -> Result<DieselImport, ImportError> {
    let mut migrations = Vec::new();
    let mut ignored = Vec::new();
    let mut errors = Vec::new();
    let mut by_version: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for entry in sorted_entries(dir)? {
        let name = entry.file_name();
        let path = entry.path();
        if name.as_encoded_bytes().starts_with(b".") {
            ignored.push(IgnoredEntry {
                path: PathBuf::from(&name),
                reason: IgnoreReason::Hidden,
            });
            continue;
        }
        // Like diesel, the entry itself decides (a symbolic link is followed when read).
        let file_type = entry.file_type().map_err(|source| ImportError::ReadDir {
            path: dir.to_path_buf(),
            source,
        })?;
        if file_type.is_file() {
            ignored.push(IgnoredEntry {
                path: PathBuf::from(&name),
                reason: IgnoreReason::LooseFile,
            });
            continue;
        }
        if file_type.is_dir() {
            // Not empty, or unreadable: reading it as a migration reports the problem.
            let empty = fs::read_dir(&path).is_ok_and(|mut inner| inner.next().is_none());
            if empty {
                ignored.push(IgnoredEntry {
                    path: PathBuf::from(&name),
                    reason: IgnoreReason::EmptyDirectory,
                });
                continue;
            }
        }
        let Some(dir_name) = name.to_str() else {
            errors.push(ImportError::NonUtf8Name { path });
            continue;
        };
        // Every migration directory counts for duplicate versions, also one with problems.
        by_version
            .entry(version_from_dir_name(dir_name))
            .or_default()
            .push(path.clone());
        if let Some(migration) = read_migration(&path, dir_name, &mut ignored, &mut errors) {
            migrations.push(migration);
        }
    }
    for (version, directories) in by_version {
        if directories.len() > 1 {
            errors.push(ImportError::DuplicateVersion {
                version,
                directories,
            });
        }
    }

    match errors.len() {
        0 => {}
        1 => {
            if let Some(error) = errors.pop() {
                return Err(error);
            }
        }
        _ => return Err(ImportError::Multiple { errors }),
    }
    if migrations.is_empty() {
        return Err(ImportError::NoMigrations {
            path: dir.to_path_buf(),
        });
    }
    // Diesel's order: `MigrationVersion` compares its string.
    migrations.sort_by(|a, b| a.version.cmp(&b.version));
    ignored.sort();
    Ok(DieselImport {
        dir: dir.to_path_buf(),
        migrations,
        ignored,
    })
}

/// The entries of `dir`, sorted by name so that results and errors come in a stable order.
fn sorted_entries(dir: &Path) -> Result<Vec<fs::DirEntry>, ImportError> {
    let read_error = |source| ImportError::ReadDir {
        path: dir.to_path_buf(),
        source,
    };
    let mut entries = fs::read_dir(dir)
        .map_err(read_error)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(read_error)?;
    entries.sort_by_key(fs::DirEntry::file_name);
    Ok(entries)
}

/// Reads one migration directory; `None` after pushing its problems to `errors`.
fn read_migration(
    path: &Path,
    dir_name: &str,
    ignored: &mut Vec<IgnoredEntry>,
    errors: &mut Vec<ImportError>,
) -> Option<DieselMigration> {
    let entries = match sorted_entries(path) {
        Ok(entries) => entries,
        Err(error) => {
            errors.push(error);
            return None;
        }
    };
    let mut has_up = false;
    for entry in entries {
        let name = entry.file_name();
        let reason = if name.as_encoded_bytes().starts_with(b".") {
            IgnoreReason::Hidden
        } else {
            match name.to_str() {
                Some("up.sql") => {
                    has_up = true;
                    continue;
                }
                Some("down.sql" | "metadata.toml") => continue,
                _ => IgnoreReason::NotRead,
            }
        };
        ignored.push(IgnoredEntry {
            path: Path::new(dir_name).join(&name),
            reason,
        });
    }
    if !has_up {
        errors.push(ImportError::MissingUpSql {
            path: path.to_path_buf(),
        });
        return None;
    }

    let errors_before = errors.len();
    let up_path = path.join("up.sql");
    let up_sql = match fs::read(&up_path) {
        Ok(bytes) => read_sql(&up_path, &bytes, errors),
        Err(source) => {
            errors.push(ImportError::ReadFile {
                path: up_path,
                source,
            });
            None
        }
    };
    // Diesel: a `down.sql` that does not exist makes the migration irreversible.
    let down_path = path.join("down.sql");
    let down_sql = match fs::read(&down_path) {
        Ok(bytes) => read_sql(&down_path, &bytes, errors).map(Some),
        Err(source) if source.kind() == io::ErrorKind::NotFound => Some(None),
        Err(source) => {
            errors.push(ImportError::ReadFile {
                path: down_path,
                source,
            });
            None
        }
    };
    // Diesel: without `metadata.toml` a migration runs in a transaction.
    let metadata_path = path.join("metadata.toml");
    let run_in_transaction = match fs::read(&metadata_path) {
        Ok(bytes) => match parse_metadata(&metadata_path, &bytes) {
            Ok(value) => Some(value),
            Err(error) => {
                errors.push(error);
                None
            }
        },
        Err(source) if source.kind() == io::ErrorKind::NotFound => Some(true),
        Err(source) => {
            errors.push(ImportError::ReadFile {
                path: metadata_path,
                source,
            });
            None
        }
    };
    if errors.len() > errors_before {
        return None;
    }
    let (Some(up_sql), Some(down_sql), Some(run_in_transaction)) =
        (up_sql, down_sql, run_in_transaction)
    else {
        return None;
    };
    let name = dir_name
        .split_once('_')
        .map_or("", |(_, name)| name)
        .to_string();
    Some(DieselMigration {
        dir_name: dir_name.to_string(),
        version: version_from_dir_name(dir_name),
        name,
        up_sql,
        down_sql,
        run_in_transaction,
    })
}

/// Decodes an SQL file and checks that no line would be read as a section marker; `None`
/// after pushing the problems to `errors`.
fn read_sql(path: &Path, bytes: &[u8], errors: &mut Vec<ImportError>) -> Option<String> {
    let text = match decode(path, bytes) {
        Ok(text) => text,
        Err(error) => {
            errors.push(error);
            return None;
        }
    };
    let mut ok = true;
    for (index, line) in text.split('\n').enumerate() {
        if let Some(marker) = marker_like(line) {
            errors.push(ImportError::MarkerLikeLine {
                path: path.to_path_buf(),
                line: index + 1,
                text: line.trim().to_string(),
                marker,
            });
            ok = false;
        }
    }
    ok.then_some(text)
}

/// The file as UTF-8 text without a leading byte-order mark.
fn decode(path: &Path, bytes: &[u8]) -> Result<String, ImportError> {
    let bytes = strip_bom(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.to_string()),
        Err(err) => {
            let valid = bytes.get(..err.valid_up_to()).unwrap_or_default();
            let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
            let line_start = valid.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
            let column = String::from_utf8_lossy(valid.get(line_start..).unwrap_or_default())
                .chars()
                .count()
                + 1;
            Err(ImportError::NotUtf8 {
                path: path.to_path_buf(),
                line,
                column,
            })
        }
    }
}

/// The marker aludel's revision parser would read `line` as, if any: the exact markers, those
/// that name a database (`-- upgrade analytics`), and the near misses (`--upgrade`,
/// `-- Upgrade:`, `  --  DOWNGRADE`), which it rejects.
fn marker_like(line: &str) -> Option<&'static str> {
    if let Some((marker, _)) = crate::revision::named_marker(line) {
        return Some(marker.text());
    }
    crate::revision::marker(line).map(|found| match found {
        Ok(marker) | Err(marker) => marker.text(),
    })
}

/// Reads `run_in_transaction` from a `metadata.toml`: only `run_in_transaction = true|false`
/// (the key may be quoted), blank lines and `#` comments are allowed.
fn parse_metadata(path: &Path, bytes: &[u8]) -> Result<bool, ImportError> {
    let text = decode(path, bytes)?;
    let error = |line: usize, problem: String| ImportError::Metadata {
        path: path.to_path_buf(),
        line,
        problem,
    };
    let mut value: Option<(bool, usize)> = None;
    for (index, raw) in text.split('\n').enumerate() {
        let line_no = index + 1;
        // No value may be a string, so a `#` can only start a comment.
        let content = raw.split('#').next().unwrap_or_default().trim();
        if content.is_empty() {
            continue;
        }
        let Some((key, found)) = content.split_once('=') else {
            return Err(error(
                line_no,
                format!("expected `run_in_transaction = true` or `= false`, found `{content}`"),
            ));
        };
        let key = key.trim();
        let bare = key
            .strip_prefix('"')
            .and_then(|k| k.strip_suffix('"'))
            .or_else(|| key.strip_prefix('\'').and_then(|k| k.strip_suffix('\'')))
            .unwrap_or(key);
        if bare != "run_in_transaction" {
            return Err(error(
                line_no,
                format!("unknown key `{key}` (diesel reads only `run_in_transaction`)"),
            ));
        }
        let found = found.trim();
        let parsed = match found {
            "true" => true,
            "false" => false,
            _ => {
                return Err(error(
                    line_no,
                    format!("`run_in_transaction` must be `true` or `false`, not `{found}`"),
                ))
            }
        };
        if let Some((_, first)) = value {
            return Err(error(
                line_no,
                format!(
                    "`run_in_transaction` is set twice (first on line {first}); TOML forbids that and diesel would then silently run the migration in a transaction"
                ),
            ));
        }
        value = Some((parsed, line_no));
    }
    // A metadata.toml that sets nothing: diesel's `#[serde(default)] run_in_transaction: bool`
    // is `false`.
    Ok(value.is_some_and(|(parsed, _)| parsed))
}

impl DieselMigration {
    /// The aludel revision id: [`revision_id_for_version`] of the version.
    pub fn revision_id(&self) -> String {
        revision_id_for_version(&self.version)
    }

    /// The revision message: the name with underscores as spaces and whitespace runs (and
    /// control characters) as single spaces, e.g. `create users`.
    pub fn message(&self) -> String {
        let spaced: String = self
            .name
            .chars()
            .map(|c| if c == '_' || c.is_control() { ' ' } else { c })
            .collect();
        spaced.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// The version's timestamp as `YYYY-MM-DDTHH:MM:SSZ` (diesel writes versions in UTC),
    /// when the version is 14 digits `YYYYMMDDHHMMSS`, or 18 digits with four more after
    /// them (`2026-07-15-182934-0000`), and a valid date and time.
    pub fn create_date(&self) -> Option<String> {
        let version = self.version.as_str();
        if !matches!(version.len(), 14 | 18) || !version.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let field = |from: usize, to: usize| version.get(from..to)?.parse::<u32>().ok();
        let (year, month, day) = (field(0, 4)?, field(4, 6)?, field(6, 8)?);
        let (hour, minute, second) = (field(8, 10)?, field(10, 12)?, field(12, 14)?);
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        if day == 0 || day > days || hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        Some(format!(
            "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z"
        ))
    }

    /// The file name slug: the name's ASCII letters and digits in lower case, every other
    /// run of characters as one `_`, at most [`MAX_SLUG_LEN`] characters (cut at a `_` when
    /// the cut would split a word and one is available).
    pub fn slug(&self) -> String {
        let mut slug = String::new();
        for c in self.name.chars() {
            if c.is_ascii_alphanumeric() {
                slug.push(c.to_ascii_lowercase());
            } else if !slug.is_empty() && !slug.ends_with('_') {
                slug.push('_');
            }
        }
        if slug.len() > MAX_SLUG_LEN {
            let splits_word = slug.as_bytes().get(MAX_SLUG_LEN) != Some(&b'_');
            slug.truncate(MAX_SLUG_LEN);
            if splits_word {
                if let Some(cut) = slug.rfind('_') {
                    slug.truncate(cut);
                }
            }
        }
        slug.trim_matches('_').to_string()
    }

    /// The revision file name: `{version}-{id}_{slug}.sql` (see the
    /// [module documentation](self) for why `-`), with only the ASCII letters and digits of
    /// the version, and without the parts that are empty.
    pub fn file_name(&self) -> String {
        let version: String = self
            .version
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        let mut file_name = String::new();
        if !version.is_empty() {
            file_name.push_str(&version);
            file_name.push('-');
        }
        file_name.push_str(&self.revision_id());
        let slug = self.slug();
        if !slug.is_empty() {
            file_name.push('_');
            file_name.push_str(&slug);
        }
        file_name.push_str(".sql");
        file_name
    }

    /// Whether the migration has a `down.sql`.
    pub fn is_reversible(&self) -> bool {
        self.down_sql.is_some()
    }

    /// The aludel revision file for this migration, revising `down_revision`.
    fn revision_file(&self, down_revision: Option<&str>) -> String {
        let mut out = String::new();
        out.push_str(&format!("-- revision: {}\n", self.revision_id()));
        match down_revision {
            Some(parent) => out.push_str(&format!("-- down_revision: {parent}\n")),
            None => out.push_str("-- down_revision:\n"),
        }
        let message = self.message();
        if !message.is_empty() {
            out.push_str(&format!("-- message: {message}\n"));
        }
        if let Some(date) = self.create_date() {
            out.push_str(&format!("-- create_date: {date}\n"));
        }
        if !self.run_in_transaction {
            out.push_str("-- transactional: false\n");
        }
        let shown: String = self
            .dir_name
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        out.push_str(&format!(
            "\n-- Imported from the diesel migration `{shown}` (diesel version {}).\n",
            self.version
        ));
        out.push_str(match (&self.down_sql, self.run_in_transaction) {
            (Some(_), true) => "-- The upgrade section is its up.sql, the downgrade section its down.sql.\n",
            (Some(_), false) => "-- The upgrade section is its up.sql, the downgrade section its down.sql;\n-- its metadata.toml says run_in_transaction = false.\n",
            (None, true) => "-- The upgrade section is its up.sql; it has no down.sql, so it is irreversible.\n",
            (None, false) => "-- The upgrade section is its up.sql; it has no down.sql, so it is irreversible;\n-- its metadata.toml says run_in_transaction = false.\n",
        });
        out.push_str("\n-- upgrade\n");
        push_sql(&mut out, &self.up_sql);
        if let Some(down) = &self.down_sql {
            out.push_str("\n-- downgrade\n");
            push_sql(&mut out, down);
        }
        out
    }
}

/// Appends SQL as read, with CRLF as LF and a final line break.
fn push_sql(out: &mut String, sql: &str) {
    out.push_str(&sql.replace("\r\n", "\n"));
    if !sql.is_empty() && !sql.ends_with('\n') {
        out.push('\n');
    }
}

impl DieselImport {
    /// The aludel revision files, as (file name, contents) in diesel's order: a linear
    /// history in which every migration revises the one before it. See the
    /// [module documentation](self) for the ids, headers and file names.
    ///
    /// Every file parses with [`crate::parse_revision`] (the SQL was checked for lines that
    /// would read as section markers), with the upgrade and downgrade SQL of the diesel files
    /// less their leading and trailing blank lines.
    pub fn to_revisions(&self) -> Vec<(String, String)> {
        let mut files = Vec::with_capacity(self.migrations.len());
        let mut previous: Option<String> = None;
        for migration in &self.migrations {
            let contents = migration.revision_file(previous.as_deref());
            files.push((migration.file_name(), contents));
            previous = Some(migration.revision_id());
        }
        files
    }

    /// The migration a revision id was imported from, if any.
    pub fn migration_for_revision(&self, revision_id: &str) -> Option<&DieselMigration> {
        self.migrations
            .iter()
            .find(|m| m.revision_id() == revision_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn migration(dir_name: &str) -> DieselMigration {
        DieselMigration {
            dir_name: dir_name.to_string(),
            version: version_from_dir_name(dir_name),
            name: dir_name.split_once('_').map_or("", |(_, n)| n).to_string(),
            up_sql: "SELECT 1;\n".into(),
            down_sql: None,
            run_in_transaction: true,
        }
    }

    #[test]
    fn versions_as_diesel_computes_them() {
        assert_eq!(
            version_from_dir_name("20140924113530_x_y"),
            "20140924113530"
        );
        assert_eq!(
            version_from_dir_name("2017-08-31-230457_x"),
            "20170831230457"
        );
        assert_eq!(
            version_from_dir_name("2026-07-15-182934-0000_x"),
            "202607151829340000"
        );
        assert_eq!(
            version_from_dir_name("2019-11-15-182353_Add email"),
            "20191115182353"
        );
        assert_eq!(version_from_dir_name("no-underscore"), "nounderscore");
        assert_eq!(version_from_dir_name("_x"), "");
    }

    #[test]
    fn ids_are_stable_valid_and_distinct() {
        assert_eq!(revision_id_for_version("20140924113530"), "d20140924113530");
        assert_eq!(
            revision_id_for_version("202607151829340000"),
            "d202607151829340000"
        );
        let long = "1".repeat(31);
        assert_eq!(revision_id_for_version(&long), format!("d{long}"));
        let hashed = [
            "",
            "v1.2",
            "a b",
            "12345678901234567890123456789012",
            "123456789012345678901234567890123456789",
        ];
        let mut ids: Vec<String> = hashed.iter().map(|v| revision_id_for_version(v)).collect();
        ids.push(revision_id_for_version(&long));
        for id in &ids {
            assert!(crate::revision::is_valid_id(id), "{id}");
        }
        assert_eq!(ids[0], revision_id_for_version(""));
        assert!(ids[1].starts_with("dv12_"), "{}", ids[1]);
        assert!(ids[3].starts_with("d12345678901234_"), "{}", ids[3]);
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), ids.len());
    }

    #[test]
    fn message_date_slug_and_file_name() {
        let m = migration("2019-11-15-182353_Add email notifications to crate owners");
        assert_eq!(m.message(), "Add email notifications to crate owners");
        assert_eq!(m.create_date().as_deref(), Some("2019-11-15T18:23:53Z"));
        assert_eq!(m.slug(), "add_email_notifications_to_crate_owners");
        assert_eq!(
            m.file_name(),
            "20191115182353-d20191115182353_add_email_notifications_to_crate_owners.sql"
        );
        let m = migration("2026-07-15-182934-0000_drop_users__gh-token");
        assert_eq!(m.message(), "drop users gh-token");
        assert_eq!(m.create_date().as_deref(), Some("2026-07-15T18:29:34Z"));
        assert_eq!(m.slug(), "drop_users_gh_token");
        let m = migration("00000000000000_diesel_initial_setup");
        assert_eq!(m.create_date(), None);
        for bad in [
            "20170231000000_x",
            "20171301000000_x",
            "20170101240000_x",
            "2017_x",
        ] {
            assert_eq!(migration(bad).create_date(), None, "{bad}");
        }
        assert_eq!(
            migration("20200229235959_x").create_date().as_deref(),
            Some("2020-02-29T23:59:59Z")
        );
        let m = migration("20170101000000_a_very_long_migration_name_that_goes_on_and_on");
        assert_eq!(m.slug(), "a_very_long_migration_name_that_goes_on");
        assert!(m.slug().len() <= MAX_SLUG_LEN);
        let m = migration("20170101000000");
        assert_eq!(m.file_name(), "20170101000000-d20170101000000.sql");
        assert_eq!(m.message(), "");
    }

    #[test]
    fn marker_like_matches_the_parser() {
        // Each line inside an upgrade section: it stays SQL exactly when it is not marker-like
        // (otherwise the parser rejects the file or starts a section there).
        let lines = [
            "-- upgrade",
            "-- downgrade",
            "--upgrade",
            "-- Upgrade:",
            "  --  DOWNGRADE  ",
            "-- up grade",
            "-- downgrade:",
            "-- upgrade\r",
            "\t-- upgrade",
            "-- upgrade the data",
            "-- upgrades",
            "SELECT 1; -- upgrade",
            "--- upgrade",
            "-- downgrade                 ",
            "--                 upgrade   x",
            "/* -- upgrade */",
            "-- UPGRADE:::",
        ];
        for line in lines {
            let text = format!(
                "-- revision: a\n-- down_revision:\n-- upgrade\nSELECT 1;\n{line}\nSELECT 2;\n"
            );
            // The parser reads CRLF as LF.
            let line = line.strip_suffix('\r').unwrap_or(line);
            let kept = crate::revision::parse_revision_file("x.sql", text.as_bytes()).is_ok_and(
                |(_, sql)| {
                    sql.upgrade == format!("SELECT 1;\n{line}\nSELECT 2;\n")
                        && sql.downgrade.is_none()
                },
            );
            assert_eq!(kept, marker_like(line).is_none(), "{line:?}");
        }
    }

    #[test]
    fn metadata_rules() {
        let path = Path::new("m/metadata.toml");
        let ok = |text: &str| parse_metadata(path, text.as_bytes()).ok();
        assert_eq!(ok("run_in_transaction = false\n"), Some(false));
        assert_eq!(ok("run_in_transaction=true"), Some(true));
        assert_eq!(
            ok("# no transaction: CREATE INDEX CONCURRENTLY\n\n  run_in_transaction = false # why\r\n"),
            Some(false)
        );
        assert_eq!(ok("\"run_in_transaction\" = true\n"), Some(true));
        assert_eq!(ok("'run_in_transaction' = false\n"), Some(false));
        assert_eq!(ok("\u{feff}run_in_transaction = true\n"), Some(true));
        // As diesel: an existing file that sets nothing means `false`.
        assert_eq!(ok(""), Some(false));
        assert_eq!(ok("# nothing\n"), Some(false));
        for (text, line, problem) in [
            (
                "run_in_transaction = \"false\"\n",
                1,
                "must be `true` or `false`",
            ),
            (
                "\nrun_in_transaction = False\n",
                2,
                "must be `true` or `false`",
            ),
            (
                "run_in_transaction = false\nrun_in_transaction = true\n",
                2,
                "set twice",
            ),
            (
                "run_in_transction = false\n",
                1,
                "unknown key `run_in_transction`",
            ),
            ("[section]\n", 1, "expected `run_in_transaction = true`"),
            ("run_in_transaction\n", 1, "expected"),
        ] {
            match parse_metadata(path, text.as_bytes()) {
                Err(ImportError::Metadata {
                    line: found_line,
                    problem: found,
                    ..
                }) => {
                    assert_eq!(found_line, line, "{text:?}");
                    assert!(found.contains(problem), "{text:?}: {found}");
                }
                other => panic!("{text:?}: {other:?}"),
            }
        }
    }
}
