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
//! | a libpq key/value string, `host=db user=app password='p w' dbname=app` | PostgreSQL, handed to libpq as written |
//! | `mysql://...`, `mariadb://...` | MySQL or MariaDB (feature `mysql`) |
//! | `sqlite://PATH`, `sqlite:PATH`, `file:...` (an SQLite URI), `:memory:` | SQLite (feature `sqlite`) |
//! | a plain path: an existing file, or a name ending in `.db`, `.sqlite`, `.sqlite3` or `.db3` | SQLite |
//!
//! The string is read in this order, and nothing else is accepted (a refused string names
//! what is accepted, and never becomes a file):
//!
//! 1. `scheme://...` or `scheme:...` (a scheme of two or more letters, so `C:\` stays a
//!    drive): one of the schemes above, or an error naming them and the nearest one
//!    (`postgress://` suggests `postgres://`).
//! 2. Anything with `=` is a libpq key/value string (keyword=value pairs separated by spaces,
//!    a value optionally in single quotes with `\'` and `\\` escapes); an unknown keyword
//!    is an error suggesting the nearest libpq keyword. An SQLite path with `=` in it needs
//!    the `sqlite:` prefix, even if the file exists.
//! 3. `:memory:`, or a path that exists, is SQLite.
//! 4. A path that does not exist is SQLite only with an SQLite extension and no whitespace;
//!    any other name (`app`, `host db dbname app`) is an error (write `sqlite:app` to create
//!    a file with another name).
//!
//! `sqlite://PATH` is the path as written after the `//` (`sqlite://app.db` is `app.db`,
//! `sqlite:///var/app.db` is `/var/app.db`), as diesel and sqlx read it; note that SQLAlchemy
//! reads `sqlite:///app.db` as the relative `app.db`. A relative SQLite path is relative to
//! the current directory when it comes from `--database-url` or `DATABASE_URL`, and relative to
//! the directory of aludel.toml when it comes from there, so every subdirectory of a project
//! means the same file.
//!
//! Commands that only read (`current`, `check`, `--dry-run`) never create an SQLite file: a
//! missing one is an error ([`DatabaseError::NoSqliteFile`]), and an existing one is opened
//! without the create flag (`file:PATH?mode=rw`). `upgrade`, `downgrade` and `stamp` create it.
//!
//! # Passwords
//!
//! A URL is only ever shown through [`mask`]: `postgres://app:***@db/prod` (a `password=`
//! query parameter is masked too), `host=db user=app password=*** dbname=app`. Messages from
//! the database client are scrubbed of the password as well before they are shown.

use std::path::Path;

pub use aludel::url::mask;
#[cfg(feature = "sqlite")]
use aludel::url::sqlite_uri_without_create;
use aludel::url::{
    mask_with_secrets, parse_key_value, scrub, split_prefix, split_scheme, LIBPQ_KEYWORDS,
};
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
    /// `upgrade` or `downgrade` of a history with Rust revisions by the standalone command
    /// line, which has no compiled code to run them.
    #[error("this history has Rust revisions ({listed}), which only a binary that embeds the history runs: apply it from the service (`aludel::embed_migrations!`) or from its command line (`aludel_cli::run_embedded`); nothing was changed")]
    RustRevisions {
        /// The revisions with their files, at most ten and a count of the rest.
        listed: String,
    },

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

    /// A read-only command on an SQLite file that does not exist (it is not created).
    #[error("SQLite database file {shown} does not exist (commands that only read, such as current, check and --dry-run, create nothing; `{} upgrade` creates it)", crate::output::program())]
    NoSqliteFile {
        /// The path.
        shown: String,
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

    /// `--targets` in a project of several databases without `--database NAME`.
    #[error("--targets migrates one database per target, but this project configures several ([databases.<name>] in aludel.toml): name the one the targets are copies of with --database NAME")]
    FleetOfSeveral,

    /// `--targets` with an option that acts on one database.
    #[error("--targets does not go with {option}")]
    FleetWith {
        /// The option.
        option: &'static str,
    },

    /// `downgrade --targets`.
    #[error("--targets upgrades a fleet (and `current` and `check` read one); downgrade one target at a time with --database-url")]
    FleetDowngrade,

    /// `check`: the database is not at the heads.
    #[error("{message}")]
    NotAtHeads {
        /// What is pending.
        message: String,
    },

    /// `--database NAME` in a project that configures no `[databases.<name>]` tables.
    #[error("--database {name}: this project configures no databases ([databases.<name>] tables in aludel.toml), so there is none to choose; leave --database out (the URL comes from --database-url, DATABASE_URL or database_url)")]
    NoDatabases {
        /// The name given.
        name: String,
    },

    /// `--database NAME` names none of the configured databases.
    #[error("unknown database `{name}`: the project configures {listed} ([databases.<name>] in aludel.toml); nothing was changed")]
    UnknownDatabase {
        /// The name given.
        name: String,
        /// The configured databases, at most ten and a count of the rest.
        listed: String,
    },

    /// `--database-url` or `DATABASE_URL` in a project of several databases, without
    /// `--database NAME` to say which database it is for.
    #[error("{given} does not say which of the project's databases ({listed}) it is for: pass --database NAME with it to use it for that database, or leave it out to migrate every database with the URLs of aludel.toml's [databases.<name>] tables; nothing was changed")]
    UrlForWhichDatabase {
        /// `--database-url` or `the DATABASE_URL environment variable`.
        given: &'static str,
        /// The configured databases, at most ten and a count of the rest.
        listed: String,
    },

    /// A database of several with no URL.
    #[error("database `{name}` has no URL: add `url = \"...\"` to [databases.{name}] in aludel.toml, or pass --database {name} --database-url URL; nothing was changed")]
    NoDatabaseUrl {
        /// The database.
        name: String,
    },

    /// One of several databases failed to connect (or to be read) before anything ran.
    #[error("database `{name}`: {source}")]
    Member {
        /// The database.
        name: String,
        /// Why.
        source: Box<DatabaseError>,
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

    /// Its name for people: `SQLite`, `PostgreSQL`, `MySQL`.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
            Backend::Mysql => "MySQL",
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

/// The forms [`DatabaseUrl::parse`] accepts, for messages.
const ACCEPTED: &str = "accepted: postgres://... or postgresql://..., a libpq key/value string (host=... user=... dbname=...), mysql://... or mariadb://..., sqlite://PATH or sqlite:PATH (always SQLite), or the path of an existing SQLite file or of a new one named *.db, *.sqlite, *.sqlite3 or *.db3";

/// The schemes [`DatabaseUrl::parse`] knows, for messages.
const KNOWN_SCHEMES: &str = "known schemes: postgres://, postgresql://, mysql://, mariadb://, sqlite://, sqlite:, file: (an SQLite URI)";

/// What a libpq key/value string looks like, for messages.
const KEY_VALUE: &str = "a PostgreSQL key/value string is keyword=value pairs separated by spaces (e.g. host=localhost user=app password=... dbname=app); an SQLite path with `=` in it needs the sqlite: prefix";

/// The file extensions that make a plain path that does not exist yet an SQLite database.
const SQLITE_EXTENSIONS: [&str; 4] = ["db", "sqlite", "sqlite3", "db3"];

impl DatabaseUrl {
    /// The same PostgreSQL or MySQL server and credentials with another database: the path of
    /// the URL replaced, or for PostgreSQL `dbname` added to a libpq keyword string (its last
    /// value is the one libpq takes). `None` for SQLite.
    pub fn with_database(&self, name: &str) -> Option<DatabaseUrl> {
        if self.backend == Backend::Sqlite {
            return None;
        }
        let target = match split_scheme(&self.target) {
            Some((scheme, rest)) => {
                let (before_query, query) = match rest.split_once('?') {
                    Some((before, query)) => (before, Some(query)),
                    None => (rest, None),
                };
                let authority = before_query.split('/').next().unwrap_or_default();
                let mut out = format!("{scheme}://{authority}/{name}");
                if let Some(query) = query {
                    out.push('?');
                    out.push_str(query);
                }
                out
            }
            None => format!("{} dbname='{name}'", self.target),
        };
        let (shown, _) = mask_with_secrets(&target);
        Some(DatabaseUrl {
            backend: self.backend,
            target,
            shown,
            secrets: self.secrets.clone(),
        })
    }

    /// Reads a URL (see the module docs). A relative SQLite path is taken relative to
    /// `base` (a directory relative to the current one; `""` for the current directory).
    /// Reading looks at the file system (whether a plain path exists) but creates nothing.
    pub fn parse(url: &str, base: &Path) -> Result<DatabaseUrl, DatabaseError> {
        let (shown, secrets) = mask_with_secrets(url);
        let bad = |reason: String| DatabaseError::BadUrl {
            shown: if url.is_empty() {
                "\"\"".to_string()
            } else {
                shown.clone()
            },
            reason,
        };
        let network = |backend: Backend, target: String| DatabaseUrl {
            backend,
            target,
            shown: shown.clone(),
            secrets: secrets.clone(),
        };
        if url.is_empty() {
            return Err(bad(format!("it is empty; {ACCEPTED}")));
        }
        if let Some((scheme, rest)) = split_scheme(url) {
            return match scheme.to_ascii_lowercase().as_str() {
                "postgres" | "postgresql" => Ok(network(Backend::Postgres, url.to_string())),
                "mysql" => Ok(network(Backend::Mysql, url.to_string())),
                "mariadb" => Ok(network(Backend::Mysql, format!("mysql://{rest}"))),
                "sqlite" => sqlite(rest, base).ok_or_else(|| bad(no_path())),
                "file" => Ok(sqlite_uri(url)),
                other => Err(bad(unknown_scheme(other, "://"))),
            };
        }
        if let Some((scheme, rest)) = split_prefix(url) {
            return match scheme.to_ascii_lowercase().as_str() {
                "sqlite" => sqlite(rest, base).ok_or_else(|| bad(no_path())),
                "file" => Ok(sqlite_uri(url)),
                "postgres" | "postgresql" | "mysql" | "mariadb" => Err(bad(format!(
                    "write `{scheme}://...` (user, host and database after the `//`)"
                ))),
                other => Err(bad(unknown_scheme(other, ":"))),
            };
        }
        if url.contains('=') {
            // libpq's `keyword=value` form, even if a file of that name exists (an older
            // aludel created such files).
            let pairs =
                parse_key_value(url).map_err(|reason| bad(format!("{reason}; {KEY_VALUE}")))?;
            if let Some(pair) = pairs.iter().find(|p| !LIBPQ_KEYWORDS.contains(&p.key)) {
                let hint = nearest(pair.key, LIBPQ_KEYWORDS.iter().copied())
                    .map(|k| format!(" (did you mean `{k}`?)"))
                    .unwrap_or_default();
                return Err(bad(format!(
                    "`{}` is not a libpq connection keyword{hint}; {KEY_VALUE}",
                    pair.key
                )));
            }
            return Ok(network(Backend::Postgres, url.to_string()));
        }
        if url == ":memory:" || base.join(url).exists() {
            return sqlite(url, base).ok_or_else(|| bad(no_path()));
        }
        let missing = "not a database URL, and no file of that name exists";
        if url.contains(char::is_whitespace) {
            return Err(bad(format!(
                "{missing}; a path with spaces is taken only when the file exists or with the sqlite: prefix; {ACCEPTED}"
            )));
        }
        let extension = Path::new(url)
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match extension {
            Some(e) if SQLITE_EXTENSIONS.contains(&e.as_str()) => {
                sqlite(url, base).ok_or_else(|| bad(no_path()))
            }
            _ => Err(bad(format!(
                "{missing}; a new SQLite file needs the sqlite: prefix (sqlite:{url}) or a name ending in .db, .sqlite, .sqlite3 or .db3; {ACCEPTED}"
            ))),
        }
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
    #[cfg(feature = "sqlite")]
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

/// The refusal of an unknown scheme, with the nearest known one (written with `separator`,
/// `://` or `:`, as the URL wrote it).
fn unknown_scheme(scheme: &str, separator: &str) -> String {
    const KNOWN: [&str; 6] = [
        "postgres",
        "postgresql",
        "mysql",
        "mariadb",
        "sqlite",
        "file",
    ];
    const ALIASES: [(&str, &str); 5] = [
        ("pg", "postgres"),
        ("pgsql", "postgres"),
        ("psql", "postgres"),
        ("postgis", "postgres"),
        ("sqlite3", "sqlite"),
    ];
    let hint = ALIASES
        .iter()
        .find(|(alias, _)| *alias == scheme)
        .map(|(_, known)| *known)
        .or_else(|| nearest(scheme, KNOWN.iter().copied()))
        .map(|known| format!(" (did you mean `{known}{separator}`?)"))
        .unwrap_or_default();
    format!("unknown scheme `{scheme}{separator}`{hint}; {KNOWN_SCHEMES}")
}

/// The candidate nearest to `word` (by edit distance, a swap counting as one edit) when it is
/// at most two edits away and closer than the word is long; the first of equals wins.
fn nearest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let word = word.to_ascii_lowercase();
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        let d = edit_distance(&word, candidate);
        if d <= 2 && d < word.chars().count() && best.is_none_or(|(b, _)| d < b) {
            best = Some((d, candidate));
        }
    }
    best.map(|(_, c)| c)
}

/// The optimal string alignment distance between `a` and `b`.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // rows[i][j]: the distance between a[..i] and b[..j].
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    rows[0] = (0..=b.len()).collect();
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = d;
        }
    }
    rows[a.len()][b.len()]
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
        // An embedded CLI run where no aludel.toml is found uses the table settings the
        // macro embedded, so that it reads the table the service writes.
        if let (Origin::Embedded(migrations), None) = (project.origin(), project.config_file()) {
            options = migrations.migrator().options().clone();
        }
        Ok(Database {
            project,
            history: History::of(project),
            options,
            url,
        })
    }

    /// The databases a command acts on (see [`crate::several`]): in a project without
    /// `[databases.<name>]` tables, the one [`Database::new`] reads (`--database` is an
    /// error); in a project with them, the one `--database NAME` names, else every one in the
    /// file's order, each with its `url` (`--database-url` and `DATABASE_URL` only with
    /// `--database`) and its version table. Connects to nothing.
    pub fn select(
        project: &'p Project,
        args: &DatabaseArgs,
    ) -> Result<Vec<Database<'p>>, DatabaseError> {
        let configured = &project.config().databases;
        if configured.is_empty() {
            if let Some(name) = &args.database {
                return Err(DatabaseError::NoDatabases { name: name.clone() });
            }
            return Ok(vec![Database::new(project, args)?]);
        }
        let names: Vec<&str> = configured.iter().map(|d| d.name.as_str()).collect();
        let listed = aludel_graph::list_some(&names, ", ");
        let env = std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty());
        let given = match (&args.database_url, env) {
            (Some(url), _) => Some((url.clone(), UrlSource::Flag)),
            (None, Some(url)) => Some((url, UrlSource::Environment)),
            (None, None) => None,
        };
        let chosen: Vec<&aludel_graph::config::DatabaseConfig> = match &args.database {
            Some(name) => match configured.iter().find(|d| &d.name == name) {
                Some(database) => vec![database],
                None => {
                    return Err(DatabaseError::UnknownDatabase {
                        name: name.clone(),
                        listed,
                    })
                }
            },
            None => {
                if let Some((_, source)) = &given {
                    return Err(DatabaseError::UrlForWhichDatabase {
                        given: match source {
                            UrlSource::Flag => "--database-url",
                            _ => "the DATABASE_URL environment variable",
                        },
                        listed,
                    });
                }
                configured.iter().collect()
            }
        };
        let base = project
            .config_file()
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let mut out = Vec::with_capacity(chosen.len());
        for database in chosen {
            let url = match (&given, &database.url) {
                (Some((url, source)), _) => {
                    Some((DatabaseUrl::parse(url, Path::new(""))?, *source))
                }
                (None, Some(url)) => Some((DatabaseUrl::parse(url, &base)?, UrlSource::Config)),
                (None, None) => None,
            };
            let config = project.config();
            let mut options = Options::default().version_table(
                database
                    .version_table
                    .clone()
                    .unwrap_or_else(|| config.version_table.clone()),
            );
            if let Some(schema) = database
                .version_table_schema
                .as_ref()
                .or(config.version_table_schema.as_ref())
            {
                options = options.schema(schema.clone());
            }
            out.push(Database {
                project,
                history: History::of(project),
                options: options.database(database.name.clone()),
                url,
            });
        }
        Ok(out)
    }

    /// In a project of several databases, the one this is (`None` for a project of one).
    pub fn name(&self) -> Option<&str> {
        self.options.database.as_deref()
    }

    /// The runtime's options: the version table, its schema, and in a project of several
    /// databases the database.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// The configured URL, or [`DatabaseError::NoUrl`] (for one of several databases,
    /// [`DatabaseError::NoDatabaseUrl`] naming it).
    pub fn require_named_url(&self) -> Result<&DatabaseUrl, DatabaseError> {
        match (self.name(), &self.url) {
            (_, Some((url, _))) => Ok(url),
            (Some(name), None) => Err(DatabaseError::NoDatabaseUrl {
                name: name.to_string(),
            }),
            (None, None) => Err(DatabaseError::NoUrl),
        }
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

    /// Refuses to apply a history loaded from files that holds Rust revisions, before
    /// anything connects (the embedded command line runs them).
    pub fn require_runnable(&self) -> Result<(), DatabaseError> {
        let History::Loaded(loaded) = &self.history else {
            return Ok(());
        };
        let rust: Vec<String> = loaded
            .graph()
            .revisions()
            .iter()
            .filter(|r| r.kind == aludel_graph::RevisionKind::Rust)
            .map(|r| format!("{} in {}", r.id, r.source.path))
            .collect();
        if rust.is_empty() {
            return Ok(());
        }
        Err(DatabaseError::RustRevisions {
            listed: aludel_graph::list_some(&rust, ", "),
        })
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

impl History {
    /// The history of `project`, with the databases its configuration names.
    fn of(project: &Project) -> History {
        match project.origin() {
            Origin::Files { .. } => History::Loaded(Box::new(
                LoadedMigrations::new(project.graph().clone(), project.sections().to_vec())
                    .with_databases(project.config().graph_options().databases),
            )),
            Origin::Embedded(migrations) => History::Embedded(migrations),
        }
    }
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

/// A [`Conn`] lends its connection to the runtime, as diesel's own connections do (so that
/// several of them, of different backends, stand in one [`aludel::Databases`]).
impl aludel::MigrationConnection for Conn {
    fn migration_connection(&mut self) -> aludel::DieselConnection<'_> {
        with_conn!(self, c => c.migration_connection())
    }
}

/// Whether a connection may change the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// `current`, `check`, `--dry-run`: a missing SQLite file is an error
    /// ([`DatabaseError::NoSqliteFile`]), never created.
    ReadOnly,
    /// Everything else.
    ReadWrite,
}

/// Connects to `url`. The error is one line: `cannot connect to <masked url>: <reason>`, or
/// [`DatabaseError::NoSqliteFile`] for a read-only command on an SQLite file that does not
/// exist.
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
                let mut target = url.target.clone();
                if let Some(file) = url.sqlite_file() {
                    if file.is_dir() {
                        return Err(fail("this is a directory, not an SQLite file".to_string()));
                    }
                    if access == Access::ReadOnly {
                        if !file.exists() {
                            return Err(DatabaseError::NoSqliteFile {
                                shown: url.shown.clone(),
                            });
                        }
                        // Read-write, so that a WAL database opens, but never created, even
                        // if the file goes away after the check.
                        target = sqlite_uri_without_create(file);
                    }
                }
                diesel::SqliteConnection::establish(&target)
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
    fn another_postgres_database_on_the_same_server() {
        let base = Path::new("");
        let url =
            DatabaseUrl::parse("postgres://app:pw@db:5433/app?sslmode=disable", base).unwrap();
        let other = url.with_database("scratch").unwrap();
        assert_eq!(
            other.target,
            "postgres://app:pw@db:5433/scratch?sslmode=disable"
        );
        assert_eq!(
            other.shown,
            "postgres://app:***@db:5433/scratch?sslmode=disable"
        );
        let url = DatabaseUrl::parse("postgresql://app@db", base).unwrap();
        assert_eq!(
            url.with_database("s").unwrap().target,
            "postgresql://app@db/s"
        );
        let url = DatabaseUrl::parse("host=db user=app dbname=app", base).unwrap();
        assert_eq!(
            url.with_database("s").unwrap().target,
            "host=db user=app dbname=app dbname='s'"
        );
        let url = DatabaseUrl::parse("mariadb://root:pw@127.0.0.1:3306/app", base).unwrap();
        let other = url.with_database("s").unwrap();
        assert_eq!(other.target, "mysql://root:pw@127.0.0.1:3306/s");
        assert_eq!(other.shown, "mysql://root:***@127.0.0.1:3306/s");
        let url = DatabaseUrl::parse("sqlite://app.db", base).unwrap();
        assert!(url.with_database("s").is_none());
    }

    #[test]
    fn suggests_the_nearest_name() {
        let schemes = [
            "postgres",
            "postgresql",
            "mysql",
            "mariadb",
            "sqlite",
            "file",
        ];
        let near = |w: &str| nearest(w, schemes.iter().copied());
        assert_eq!(near("postgress"), Some("postgres"));
        assert_eq!(near("mysql2"), Some("mysql"));
        assert_eq!(near("sqlte"), Some("sqlite"));
        assert_eq!(near("SQLITE"), Some("sqlite"));
        assert_eq!(near("mairadb"), Some("mariadb"));
        assert_eq!(near("oracle"), None);
        assert_eq!(near("db"), None);
        assert_eq!(edit_distance("ab", "ba"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
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
        assert_eq!(err("oracle://u:pw@h/d"), format!("cannot use database URL oracle://u:***@h/d: unknown scheme `oracle://`; {KNOWN_SCHEMES}"));
        assert_eq!(err("sqlite3:x"), format!("cannot use database URL sqlite3:x: unknown scheme `sqlite3:` (did you mean `sqlite:`?); {KNOWN_SCHEMES}"));
        let dsn = at("host=h user=u password='a b' dbname=d");
        assert_eq!(dsn.backend, Backend::Postgres);
        assert_eq!(dsn.target, "host=h user=u password='a b' dbname=d");
        assert_eq!(dsn.shown, "host=h user=u password=*** dbname=d");
        assert_eq!(at("new.SQLite3").target, "new.SQLite3");
        assert!(err("app").contains("no file of that name exists"));
        assert!(err("a b.db").contains("a path with spaces"));
        assert_eq!(err("sqlite://"), "cannot use database URL sqlite://: no SQLite database path after the scheme; write e.g. sqlite://app.db");
        assert_eq!(err("postgres:h/d"), "cannot use database URL postgres:h/d: write `postgres://...` (user, host and database after the `//`)");
    }
}
