//! The database side of the command line: which URL (and where it came from), which backend,
//! connecting, the runtime's options, and the password mask every message goes through.
//!
//! # Which database
//!
//! `--database-url URL` wins over the `DATABASE_URL` environment variable, which wins over
//! `database_url` in aludel.toml.
//!
//! | URL | backend |
//! |---|---|
//! | `postgres://...`, `postgresql://...` | PostgreSQL (feature `postgres`) |
//! | `mysql://...`, `mariadb://...` | MySQL or MariaDB (feature `mysql`) |
//! | `sqlite://PATH`, `sqlite:PATH`, `file:...` (an SQLite URI), a plain path, `:memory:` | SQLite (feature `sqlite`) |
//!
//! `sqlite://PATH` is the path as written after the `//` (`sqlite://app.db` is `app.db`,
//! `sqlite:///var/app.db` is `/var/app.db`), as diesel and sqlx read it; note that SQLAlchemy
//! reads `sqlite:///app.db` as the relative `app.db`. A relative SQLite path is relative to
//! the current directory when it comes from `--database-url` or `DATABASE_URL`, and relative to
//! the directory of aludel.toml when it comes from there, so every subdirectory of a project
//! means the same file.
//!
//! # Passwords
//!
//! A URL is only ever shown through [`mask`]: `postgres://app:***@db/prod` (a `password=`
//! query parameter is masked too). Messages from the database client are scrubbed of the
//! password as well before they are shown.

use std::path::Path;

use aludel::{Dialect, LoadedMigrations, Migrations, Migrator, Options};

use crate::cli::DatabaseArgs;
use crate::project::{Origin, Project};

#[cfg(not(any(feature = "sqlite", feature = "postgres", feature = "mysql")))]
compile_error!("aludel-cli needs at least one of the features `sqlite`, `postgres` and `mysql`");

/// Why a command that uses a database failed. Every message is one line (a database's own
/// message may add indented detail lines) with passwords masked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DatabaseError {
    /// No URL anywhere.
    #[error("no database URL: pass --database-url URL, set the DATABASE_URL environment variable, or add `database_url = \"...\"` to aludel.toml")]
    NoUrl,

    /// A URL aludel cannot read.
    #[error("cannot use database URL {shown}: {reason}")]
    BadUrl {
        /// The URL, masked.
        shown: String,
        /// What is wrong and what to write instead.
        reason: String,
    },

    /// A URL for a backend this build leaves out.
    #[error("database URL {shown} needs {backend}, which this program was built without; rebuild it with the `{feature}` feature of aludel-cli (e.g. `cargo install aludel-cli --features {feature}`)")]
    FeatureMissing {
        /// The URL, masked.
        shown: String,
        /// The backend, e.g. `PostgreSQL`.
        backend: &'static str,
        /// The cargo feature, e.g. `postgres`.
        feature: &'static str,
    },

    /// The connection failed.
    #[error("cannot connect to {shown}: {reason}")]
    Connect {
        /// The URL, masked.
        shown: String,
        /// The client's message, scrubbed of the password.
        reason: String,
    },

    /// `--sql` without a dialect.
    #[error("--sql needs a dialect: pass --dialect sqlite|postgres|mysql, or configure a database URL, whose scheme names it (nothing connects)")]
    DialectRequired,

    /// A range target without `--sql`.
    #[error("'{target}' is a range; ranges (`from:to`) are for offline scripts: add --sql, or give one target")]
    RangeNeedsSql {
        /// The target as written.
        target: String,
    },

    /// The runtime refused or failed (the message names the revision, file and what to do).
    #[error("{message}")]
    Run {
        /// The runtime's message, scrubbed of the password.
        message: String,
    },

    /// `check`: the database is not at the heads.
    #[error("{message}")]
    NotAtHeads {
        /// What is pending.
        message: String,
    },
}

/// A backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
    /// MySQL or MariaDB.
    Mysql,
}

impl Backend {
    /// The SQL dialect.
    pub fn dialect(self) -> Dialect {
        match self {
            Backend::Sqlite => Dialect::Sqlite,
            Backend::Postgres => Dialect::Postgres,
            Backend::Mysql => Dialect::Mysql,
        }
    }
}

/// A database URL, read and masked.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    /// The backend.
    pub backend: Backend,
    /// What diesel connects to: the URL (`mariadb://` rewritten to `mysql://`), or for SQLite
    /// the path (made relative to aludel.toml's directory when it came from there) or URI.
    target: String,
    /// The URL as shown to people: password masked, SQLite as its path.
    pub shown: String,
    /// Texts to scrub from the client's messages.
    secrets: Vec<String>,
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseUrl")
            .field("backend", &self.backend)
            .field("shown", &self.shown)
            .finish_non_exhaustive()
    }
}

/// The schemes [`DatabaseUrl::parse`] accepts, for messages.
const ACCEPTED: &str = "use postgres:// (or postgresql://), mysql:// (or mariadb://), sqlite://PATH, sqlite:PATH or a plain file path";

impl DatabaseUrl {
    /// Reads a URL (see the module docs). A relative SQLite path is taken relative to
    /// `base` (a directory relative to the current one; `""` for the current directory).
    pub fn parse(url: &str, base: &Path) -> Result<DatabaseUrl, DatabaseError> {
        let (shown, secrets) = mask_with_secrets(url);
        let bad = |reason: String| DatabaseError::BadUrl {
            shown: shown.clone(),
            reason,
        };
        let network = |backend: Backend, target: String| DatabaseUrl {
            backend,
            target,
            shown: shown.clone(),
            secrets: secrets.clone(),
        };
        if let Some((scheme, rest)) = split_scheme(url) {
            return match scheme.to_ascii_lowercase().as_str() {
                "postgres" | "postgresql" => Ok(network(Backend::Postgres, url.to_string())),
                "mysql" => Ok(network(Backend::Mysql, url.to_string())),
                "mariadb" => Ok(network(Backend::Mysql, format!("mysql://{rest}"))),
                "sqlite" => sqlite(rest, base).ok_or_else(|| bad(no_path())),
                "file" => Ok(sqlite_uri(url)),
                other => Err(bad(format!("unknown scheme `{other}://`; {ACCEPTED}"))),
            };
        }
        if let Some((scheme, _)) = url.split_once(':') {
            match scheme.to_ascii_lowercase().as_str() {
                "sqlite" => {
                    return sqlite(&url[scheme.len() + 1..], base).ok_or_else(|| bad(no_path()))
                }
                "file" => return Ok(sqlite_uri(url)),
                "postgres" | "postgresql" | "mysql" | "mariadb" => {
                    return Err(bad(format!(
                        "write `{scheme}://...` (user, host and database after the `//`)"
                    )))
                }
                _ => {}
            }
        }
        sqlite(url, base).ok_or_else(|| bad(no_path()))
    }

    /// The SQL dialect of the URL.
    pub fn dialect(&self) -> Dialect {
        self.backend.dialect()
    }

    /// `text` with the URL's password replaced by `***`.
    pub fn scrub(&self, text: &str) -> String {
        scrub(text, &self.secrets)
    }

    /// For SQLite: the database file, when it is a plain path (not `:memory:` or a URI).
    fn sqlite_file(&self) -> Option<&Path> {
        (self.backend == Backend::Sqlite
            && self.target != ":memory:"
            && !self.target.starts_with("file:"))
        .then(|| Path::new(&self.target))
    }
}

fn no_path() -> String {
    "no SQLite database path after the scheme; write e.g. sqlite://app.db".to_string()
}

/// An SQLite database at `path` (relative to `base`); `None` for an empty path.
fn sqlite(path: &str, base: &Path) -> Option<DatabaseUrl> {
    if path.is_empty() {
        return None;
    }
    let target = if path == ":memory:" || Path::new(path).is_absolute() {
        path.to_string()
    } else {
        base.join(path).to_string_lossy().into_owned()
    };
    Some(DatabaseUrl {
        backend: Backend::Sqlite,
        shown: target.clone(),
        target,
        secrets: Vec::new(),
    })
}

/// An SQLite URI (`file:app.db?mode=ro`), passed to SQLite as written.
fn sqlite_uri(uri: &str) -> DatabaseUrl {
    DatabaseUrl {
        backend: Backend::Sqlite,
        target: uri.to_string(),
        shown: uri.to_string(),
        secrets: Vec::new(),
    }
}

/// `scheme` and the rest of `scheme://rest`, for a scheme of two or more characters (so that
/// `C://x` stays a Windows path).
fn split_scheme(url: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    let mut chars = scheme.chars();
    let valid = scheme.len() >= 2
        && chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then_some((scheme, rest))
}

/// `url` with its password masked: `postgres://user:***@host/db`, and `password=***` in the
/// query. Anything that is not `scheme://...` is returned unchanged.
pub fn mask(url: &str) -> String {
    mask_with_secrets(url).0
}

/// The masked URL and the secrets it hid (the password as written and percent-decoded).
fn mask_with_secrets(url: &str) -> (String, Vec<String>) {
    let Some((scheme, rest)) = split_scheme(url) else {
        return (url.to_string(), Vec::new());
    };
    let mut secrets = Vec::new();
    // The user information ends at the last `@` before the query.
    let before_query = rest.find(['?', '#']).unwrap_or(rest.len());
    let (userinfo, after) = match rest[..before_query].rfind('@') {
        Some(at) => (Some(&rest[..at]), &rest[at..]),
        None => (None, rest),
    };
    let mut out = format!("{scheme}://");
    match userinfo.and_then(|u| u.split_once(':')) {
        Some((user, password)) if !password.is_empty() => {
            secrets.push(password.to_string());
            out.push_str(user);
            out.push_str(":***");
        }
        _ => out.push_str(userinfo.unwrap_or("")),
    }
    // `after` starts with `@` when there is user information.
    match after.split_once('?') {
        Some((path, query)) => {
            out.push_str(path);
            out.push('?');
            let params: Vec<String> = query
                .split('&')
                .map(|param| match param.split_once('=') {
                    Some((key, value))
                        if key.eq_ignore_ascii_case("password") && !value.is_empty() =>
                    {
                        secrets.push(value.to_string());
                        format!("{key}=***")
                    }
                    _ => param.to_string(),
                })
                .collect();
            out.push_str(&params.join("&"));
        }
        None => out.push_str(after),
    }
    let decoded: Vec<String> = secrets
        .iter()
        .map(|s| percent_decode(s))
        .filter(|d| !secrets.contains(d))
        .collect();
    secrets.extend(decoded);
    (out, secrets)
}

/// `%XX` escapes decoded (invalid ones kept as written).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                let value = hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0);
                out.push(u8::try_from(value).unwrap_or(b'?'));
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `text` with every `:secret@` and every secret of four or more characters replaced by
/// `***` (shorter ones would mangle ordinary words; they are masked wherever a URL shows).
fn scrub(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for secret in secrets {
        out = out.replace(&format!(":{secret}@"), ":***@");
        out = out.replace(&format!("={secret}"), "=***");
        if secret.chars().count() >= 4 {
            out = out.replace(secret.as_str(), "***");
        }
    }
    out
}

/// A client's message as one line plus indented detail lines.
fn tidy(message: &str) -> String {
    let lines: Vec<&str> = message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    lines.join("\n  ")
}

/// Where the database URL came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlSource {
    /// `--database-url`.
    Flag,
    /// The `DATABASE_URL` environment variable.
    Environment,
    /// `database_url` in aludel.toml.
    Config,
}

/// What the database commands share: the project's history as the runtime sees it, the
/// options from aludel.toml, and the configured URL (if any).
#[derive(Debug)]
pub struct Database<'p> {
    project: &'p Project,
    history: History,
    options: Options,
    url: Option<(DatabaseUrl, UrlSource)>,
}

impl<'p> Database<'p> {
    /// Reads the URL (`--database-url`, else `DATABASE_URL`, else aludel.toml) and the
    /// version table options of `project`. Connects to nothing.
    pub fn new(project: &'p Project, args: &DatabaseArgs) -> Result<Database<'p>, DatabaseError> {
        let config = project.config();
        let env = std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty());
        let url = match (&args.database_url, env, &config.database_url) {
            (Some(url), _, _) => Some((DatabaseUrl::parse(url, Path::new(""))?, UrlSource::Flag)),
            (None, Some(url), _) => Some((
                DatabaseUrl::parse(&url, Path::new(""))?,
                UrlSource::Environment,
            )),
            (None, None, Some(url)) => {
                let base = project
                    .config_file()
                    .and_then(Path::parent)
                    .map(Path::to_path_buf)
                    .unwrap_or_default();
                Some((DatabaseUrl::parse(url, &base)?, UrlSource::Config))
            }
            (None, None, None) => None,
        };
        let mut options = Options::default().version_table(config.version_table.clone());
        if let Some(schema) = &config.version_table_schema {
            options = options.schema(schema.clone());
        }
        let history = match project.origin() {
            Origin::Files { .. } => {
                History::Loaded(Box::new(LoadedMigrations::new(project.graph().clone())))
            }
            Origin::Embedded(migrations) => History::Embedded(migrations),
        };
        Ok(Database {
            project,
            history,
            options,
            url,
        })
    }

    /// The configured URL and where it came from, if any.
    pub fn url(&self) -> Option<(&DatabaseUrl, UrlSource)> {
        self.url.as_ref().map(|(url, source)| (url, *source))
    }

    /// The configured URL, or [`DatabaseError::NoUrl`].
    pub fn require_url(&self) -> Result<&DatabaseUrl, DatabaseError> {
        self.url
            .as_ref()
            .map(|(url, _)| url)
            .ok_or(DatabaseError::NoUrl)
    }

    /// A migrator over the project's history with the configured options.
    pub fn migrator(&self) -> Migrator<'_> {
        let migrator = match &self.history {
            History::Embedded(migrations) => migrations.migrator(),
            History::Loaded(loaded) => loaded.migrator(),
        };
        migrator.with_options(self.options.clone())
    }

    /// The project.
    pub fn project(&self) -> &'p Project {
        self.project
    }

    /// Revision ids in the history's load order, unknown ones last by id (version-table rows
    /// come back from a database in no fixed order), shown as `a, b` or `base` for none.
    pub fn revisions<S: AsRef<str>>(&self, ids: &[S]) -> String {
        let graph = self.project.graph();
        let mut ids: Vec<&str> = ids.iter().map(AsRef::as_ref).collect();
        ids.sort_by_key(|id| (graph.index_of(id).unwrap_or(usize::MAX), *id));
        crate::output::revisions(&ids)
    }

    /// A runtime error as a command error, scrubbed of the password.
    pub fn run_error(&self, error: &aludel::Error) -> DatabaseError {
        let message = error.to_string();
        DatabaseError::Run {
            message: match &self.url {
                Some((url, _)) => url.scrub(&message),
                None => message,
            },
        }
    }
}

/// The history as the runtime runs it: compiled into the binary, or loaded from the files.
#[derive(Debug)]
enum History {
    Embedded(&'static Migrations),
    Loaded(Box<LoadedMigrations>),
}

/// An open connection of any compiled-in backend.
pub enum Conn {
    /// SQLite.
    #[cfg(feature = "sqlite")]
    Sqlite(diesel::SqliteConnection),
    /// PostgreSQL.
    #[cfg(feature = "postgres")]
    Postgres(diesel::PgConnection),
    /// MySQL or MariaDB.
    #[cfg(feature = "mysql")]
    Mysql(diesel::MysqlConnection),
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Conn")
    }
}

/// Runs `$body` with `$c` bound to the concrete diesel connection inside a [`Conn`].
macro_rules! with_conn {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            #[cfg(feature = "sqlite")]
            $crate::database::Conn::Sqlite($c) => $body,
            #[cfg(feature = "postgres")]
            $crate::database::Conn::Postgres($c) => $body,
            #[cfg(feature = "mysql")]
            $crate::database::Conn::Mysql($c) => $body,
        }
    };
}
pub(crate) use with_conn;

/// Whether a connection may change the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// `current`, `check`, `--dry-run`: a missing SQLite file is read as an empty database
    /// and not created.
    ReadOnly,
    /// Everything else.
    ReadWrite,
}

/// Connects to `url`. The error is one line: `cannot connect to <masked url>: <reason>`.
pub fn connect(url: &DatabaseUrl, access: Access) -> Result<Conn, DatabaseError> {
    #[allow(unused_imports)]
    use diesel::Connection;
    let fail = |reason: String| DatabaseError::Connect {
        shown: url.shown.clone(),
        reason: tidy(&url.scrub(&reason)),
    };
    #[cfg_attr(
        all(feature = "sqlite", feature = "postgres", feature = "mysql"),
        allow(unused_variables)
    )]
    let missing = |backend: &'static str, feature: &'static str| DatabaseError::FeatureMissing {
        shown: url.shown.clone(),
        backend,
        feature,
    };
    match url.backend {
        Backend::Sqlite => {
            #[cfg(feature = "sqlite")]
            {
                let mut target = url.target.as_str();
                if let Some(file) = url.sqlite_file() {
                    if access == Access::ReadOnly && !file.exists() {
                        // Nothing to read, and nothing may be created.
                        target = ":memory:";
                    } else if file.is_dir() {
                        return Err(fail("this is a directory, not an SQLite file".to_string()));
                    }
                }
                diesel::SqliteConnection::establish(target)
                    .map(Conn::Sqlite)
                    .map_err(|e| fail(e.to_string()))
            }
            #[cfg(not(feature = "sqlite"))]
            {
                let _ = (access, fail);
                Err(missing("SQLite", "sqlite"))
            }
        }
        Backend::Postgres => {
            #[cfg(feature = "postgres")]
            {
                diesel::PgConnection::establish(&url.target)
                    .map(Conn::Postgres)
                    .map_err(|e| fail(e.to_string()))
            }
            #[cfg(not(feature = "postgres"))]
            {
                Err(missing("PostgreSQL", "postgres"))
            }
        }
        Backend::Mysql => {
            #[cfg(feature = "mysql")]
            {
                diesel::MysqlConnection::establish(&url.target)
                    .map(Conn::Mysql)
                    .map_err(|e| fail(e.to_string()))
            }
            #[cfg(not(feature = "mysql"))]
            {
                Err(missing("MySQL", "mysql"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests fail by panicking

    use super::*;

    #[test]
    fn masks_passwords() {
        assert_eq!(
            mask("postgres://app:s3cret@db:5432/prod"),
            "postgres://app:***@db:5432/prod"
        );
        assert_eq!(mask("postgres://app@db/prod"), "postgres://app@db/prod");
        assert_eq!(mask("mysql://root:@h/t"), "mysql://root:@h/t");
        assert_eq!(mask("postgres://a:p@ss@h/d"), "postgres://a:***@h/d");
        assert_eq!(
            mask("postgres://h/d?user=a&password=x%40y&sslmode=require"),
            "postgres://h/d?user=a&password=***&sslmode=require"
        );
        assert_eq!(mask("app.db"), "app.db");
        let (_, secrets) = mask_with_secrets("postgres://a:p%40ss@h/d");
        assert_eq!(secrets, vec!["p%40ss".to_string(), "p@ss".to_string()]);
        assert_eq!(
            scrub("password p%40ss and p@ss, :pw@", &secrets),
            "password *** and ***, :pw@"
        );
        assert_eq!(scrub("u:pw@h", &["pw".to_string()]), "u:***@h");
    }

    #[test]
    fn reads_schemes() {
        let at = |url: &str| DatabaseUrl::parse(url, Path::new("")).unwrap();
        assert_eq!(at("postgresql://u@h/d").backend, Backend::Postgres);
        assert_eq!(at("mariadb://u@h/d").target, "mysql://u@h/d");
        assert_eq!(at("sqlite://app.db").target, "app.db");
        assert_eq!(at("sqlite:///var/app.db").target, "/var/app.db");
        assert_eq!(at("sqlite:app.db").target, "app.db");
        assert_eq!(at("sqlite::memory:").target, ":memory:");
        assert_eq!(at("sqlite://:memory:").target, ":memory:");
        assert_eq!(at("app.db").target, "app.db");
        assert_eq!(at("file:app.db?mode=ro").target, "file:app.db?mode=ro");
        let below = DatabaseUrl::parse("sqlite://app.db", Path::new("../..")).unwrap();
        assert_eq!(below.target, "../../app.db");
        assert_eq!(below.shown, "../../app.db");
        let err = |url: &str| {
            DatabaseUrl::parse(url, Path::new(""))
                .unwrap_err()
                .to_string()
        };
        assert_eq!(err("oracle://u:pw@h/d"), format!("cannot use database URL oracle://u:***@h/d: unknown scheme `oracle://`; {ACCEPTED}"));
        assert_eq!(err("sqlite://"), "cannot use database URL sqlite://: no SQLite database path after the scheme; write e.g. sqlite://app.db");
        assert_eq!(err("postgres:h/d"), "cannot use database URL postgres:h/d: write `postgres://...` (user, host and database after the `//`)");
    }
}
