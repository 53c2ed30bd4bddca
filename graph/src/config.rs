//! `aludel.toml`: the project configuration shared by the macro and the command line.
//!
//! A TOML document of top-level keys (read with the `toml` crate: `#` starts a comment, strings
//! are quoted, `true`/`false`, integers):
//!
//! ```toml
//! script_location = "migrations"      # the versions live in <script_location>/versions
//! version_table = "alembic_version"
//! # version_table_schema = "public"   # PostgreSQL only
//! # database_url = "sqlite://app.db"
//! file_template = "{year}{month}{day}_{hour}{minute}_{rev}_{slug}"
//! truncate_slug_length = 40
//! timezone = "UTC"
//! allow_multiple_heads = false
//!
//! # Several databases (Alembic's multidb), in the order they are migrated:
//! # [databases.main]
//! # url = "sqlite://app.db"
//! # [databases.analytics]
//! # url = "postgres://localhost/analytics"
//! # version_table = "alembic_version"   # optional, per database
//! ```
//!
//! Every key is optional; an unknown key, a key set twice, a value of the wrong type, a table
//! other than `[databases.<name>]` or text that is not TOML is an error with its line and
//! column.

use std::path::{Component, Path, PathBuf};

use toml::de::{DeTable, DeValue};

use crate::diagnostic::{nearest, Diagnostic, Location};

/// The name of the configuration file.
pub const CONFIG_FILE: &str = "aludel.toml";

/// The keys of a `[databases.<name>]` table.
pub const DATABASE_KEYS: [&str; 3] = ["url", "version_table", "version_table_schema"];

/// One of several databases a project migrates (a `[databases.<name>]` table): revision files
/// name it in their sections (`-- upgrade <name>`), and it keeps its own version table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseConfig {
    /// The name (`[A-Za-z0-9_-]`).
    pub name: String,
    /// Its URL (`url`).
    pub url: Option<String>,
    /// Its version table (`version_table`; default the top-level `version_table`).
    pub version_table: Option<String>,
    /// Its version table's schema (`version_table_schema`, PostgreSQL).
    pub version_table_schema: Option<String>,
    /// The line of its `[databases.<name>]` header (or of its key).
    pub line: u32,
}

/// Whether `name` is a valid database name: letters, digits, `_` and `-`.
pub fn is_valid_database_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The keys `aludel.toml` may set (`key = value`; besides them, the `[databases.<name>]`
/// tables).
pub const CONFIG_KEYS: [&str; 9] = [
    "script_location",
    "version_table",
    "version_table_schema",
    "database_url",
    "file_template",
    "truncate_slug_length",
    "timezone",
    "allow_multiple_heads",
    "post_write_hook",
];

/// The project configuration, with defaults for every key the file leaves out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Directory of the migration scripts, relative to the project root (default `migrations`).
    pub script_location: PathBuf,
    /// The version table (default `alembic_version`).
    pub version_table: String,
    /// The version table's schema (PostgreSQL).
    pub version_table_schema: Option<String>,
    /// The database URL (overridden by `DATABASE_URL` and `--database-url`).
    pub database_url: Option<String>,
    /// Template of new revision file names.
    pub file_template: String,
    /// Longest slug in a new file name.
    pub truncate_slug_length: usize,
    /// Time zone of dates in new revisions (`UTC` or `local`).
    pub timezone: String,
    /// Accept several heads without branch labels.
    pub allow_multiple_heads: bool,
    /// A command run on each new revision file (`{path}` is replaced by the file's path).
    pub post_write_hook: Option<String>,
    /// Several databases, in the file's order (empty: the project migrates one database).
    pub databases: Vec<DatabaseConfig>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            script_location: PathBuf::from("migrations"),
            version_table: "alembic_version".to_string(),
            version_table_schema: None,
            database_url: None,
            file_template: "{year}{month}{day}_{hour}{minute}_{rev}_{slug}".to_string(),
            truncate_slug_length: 40,
            timezone: "UTC".to_string(),
            allow_multiple_heads: false,
            post_write_hook: None,
            databases: Vec::new(),
        }
    }
}

impl Config {
    /// The options of graph validation this configuration sets.
    pub fn graph_options(&self) -> crate::GraphOptions {
        crate::GraphOptions {
            allow_multiple_heads: self.allow_multiple_heads,
            databases: self.databases.iter().map(|d| d.name.clone()).collect(),
        }
    }

    /// The versions directory for a project rooted at `root`.
    pub fn versions_dir(&self, root: &Path) -> PathBuf {
        root.join(&self.script_location).join("versions")
    }

    /// Why `script_location` points outside the project, if it does: an absolute path, or one
    /// that climbs above the project root with `..`. The check is on the path as written (a
    /// symbolic link inside the project is the project's own choice). A directory outside the
    /// project must be named where it is used, explicitly: `--versions DIR` on the command line,
    /// `embed_migrations!("DIR")` in code.
    pub fn script_location_escapes(&self) -> Option<&'static str> {
        let mut depth: usize = 0;
        for component in self.script_location.components() {
            match component {
                Component::Prefix(_) | Component::RootDir => return Some("it is an absolute path"),
                Component::CurDir => {}
                Component::ParentDir => match depth.checked_sub(1) {
                    Some(up) => depth = up,
                    None => return Some("it climbs out of the project with `..`"),
                },
                Component::Normal(_) => depth += 1,
            }
        }
        None
    }

    /// Reads `root/aludel.toml` when it exists; defaults otherwise.
    pub fn load(root: &Path) -> Result<Config, Diagnostic> {
        let path = root.join(CONFIG_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => {
                let text = std::str::from_utf8(&bytes).map_err(|_| {
                    Diagnostic::at(
                        Location::new(CONFIG_FILE, 0, 0),
                        "configuration file is not valid UTF-8",
                    )
                })?;
                Config::parse(CONFIG_FILE, text)
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(err) => Err(Diagnostic::at(
                Location::new(CONFIG_FILE, 0, 0),
                format!("cannot read configuration file: {err}"),
            )),
        }
    }

    /// Parses the text of a configuration file shown as `path`.
    ///
    /// The text must be a TOML document of top-level keys (see the module's documentation);
    /// every problem is a diagnostic at its line and column.
    pub fn parse(path: &str, text: &str) -> Result<Config, Diagnostic> {
        let at = |offset: usize, message: String| {
            let (line, column) = line_column(text, offset);
            Diagnostic::at(Location::new(path, line, column), message)
        };
        let document = DeTable::parse(text).map_err(|err| {
            let offset = err.span().map_or(0, |span| span.start);
            let message = err.message().trim_end().replace('\n', "; ");
            if message == "duplicate key" {
                let key = err
                    .span()
                    .and_then(|span| text.get(span))
                    .unwrap_or_default()
                    .trim_matches(|c| c == '"' || c == '\'');
                return at(offset, format!("configuration key `{key}` is set twice"));
            }
            at(
                offset,
                format!("configuration file is not valid TOML: {message}"),
            )
            .with_help(
                "aludel.toml holds `key = value` lines, e.g. version_table = \"alembic_version\"",
            )
        })?;
        // In the order of the file, so that the first problem reported is the first one in it.
        let mut entries: Vec<_> = document.get_ref().iter().collect();
        entries.sort_by_key(|(key, _)| key.span().start);
        let mut config = Config::default();
        for (key, value) in entries {
            let name: &str = key.get_ref();
            let key_at = key.span().start;
            let value_at = value.span().start;
            let raw = text.get(value.span()).unwrap_or_default().trim();
            if name == "databases" {
                config.databases = databases(text, path, value)?;
                continue;
            }
            let Some(&name) = CONFIG_KEYS.iter().find(|k| **k == name) else {
                let (line, column) = line_column(text, key_at);
                let location = Location::new(path, line, column);
                return Err(unknown(location, name, value.get_ref()));
            };
            let string = || {
                match value.get_ref() {
                DeValue::String(s) => Ok(s.to_string()),
                _ => Err(at(
                    value_at,
                    format!("`{name}` takes a string in double quotes, e.g. {name} = \"...\", not `{raw}`"),
                )),
            }
            };
            match name {
                "script_location" => config.script_location = PathBuf::from(string()?),
                "version_table" => config.version_table = string()?,
                "version_table_schema" => config.version_table_schema = Some(string()?),
                "database_url" => config.database_url = Some(string()?),
                "file_template" => config.file_template = string()?,
                "timezone" => config.timezone = string()?,
                "post_write_hook" => config.post_write_hook = Some(string()?),
                "truncate_slug_length" => {
                    config.truncate_slug_length = match value.get_ref() {
                        DeValue::Integer(n) => usize::from_str_radix(n.as_str(), n.radix()).ok(),
                        _ => None,
                    }
                    .ok_or_else(|| {
                        at(
                            value_at,
                            format!("`{name}` takes a whole number, not `{raw}`"),
                        )
                    })?;
                }
                "allow_multiple_heads" => {
                    config.allow_multiple_heads = match value.get_ref() {
                        DeValue::Boolean(b) => *b,
                        _ => {
                            return Err(at(
                                value_at,
                                format!("`{name}` takes `true` or `false`, not `{raw}`"),
                            ))
                        }
                    };
                }
                _ => {}
            }
        }
        Ok(config)
    }
}

/// The `[databases.<name>]` tables, in the file's order.
fn databases(
    text: &str,
    path: &str,
    value: &toml::Spanned<DeValue<'_>>,
) -> Result<Vec<DatabaseConfig>, Diagnostic> {
    let at = |offset: usize, message: String| {
        let (line, column) = line_column(text, offset);
        Diagnostic::at(Location::new(path, line, column), message)
    };
    let example = "[databases.main]\nurl = \"sqlite://app.db\"";
    let DeValue::Table(tables) = value.get_ref() else {
        return Err(at(
            value.span().start,
            "`databases` takes one table per database: `[databases.<name>]`".to_string(),
        )
        .with_help(format!("e.g.\n{example}")));
    };
    let mut entries: Vec<_> = tables.iter().collect();
    entries.sort_by_key(|(key, _)| key.span().start);
    let mut out = Vec::new();
    for (key, table) in entries {
        let name: &str = key.get_ref();
        let key_at = key.span().start;
        if !is_valid_database_name(name) {
            return Err(at(
                key_at,
                format!("database name `{name}` is not valid: use letters, digits, `_` and `-`"),
            ));
        }
        let DeValue::Table(keys) = table.get_ref() else {
            return Err(at(
                table.span().start,
                format!(
                    "`databases.{name}` takes a table of keys ({})",
                    DATABASE_KEYS.join(", ")
                ),
            )
            .with_help(format!("e.g.\n{example}")));
        };
        let mut database = DatabaseConfig {
            name: name.to_string(),
            url: None,
            version_table: None,
            version_table_schema: None,
            line: line_column(text, key_at).0,
        };
        let mut keys: Vec<_> = keys.iter().collect();
        keys.sort_by_key(|(key, _)| key.span().start);
        for (key, value) in keys {
            let field: &str = key.get_ref();
            let raw = text.get(value.span()).unwrap_or_default().trim();
            let DeValue::String(string) = value.get_ref() else {
                if DATABASE_KEYS.contains(&field) {
                    return Err(at(
                        value.span().start,
                        format!("`databases.{name}.{field}` takes a string in double quotes, not `{raw}`"),
                    ));
                }
                return Err(unknown_database_key(
                    at(key.span().start, String::new()),
                    name,
                    field,
                ));
            };
            let string = Some(string.to_string());
            match field {
                "url" => database.url = string,
                "version_table" => database.version_table = string,
                "version_table_schema" => database.version_table_schema = string,
                _ => {
                    return Err(unknown_database_key(
                        at(key.span().start, String::new()),
                        name,
                        field,
                    ))
                }
            }
        }
        out.push(database);
    }
    Ok(out)
}

/// The error for a key of a `[databases.<name>]` table that is not one of [`DATABASE_KEYS`].
fn unknown_database_key(at: Diagnostic, name: &str, field: &str) -> Diagnostic {
    let d = Diagnostic {
        message: format!("unknown key `{field}` in `[databases.{name}]`"),
        ..at
    };
    match nearest(field, DATABASE_KEYS) {
        Some(near) => d.with_help(format!("did you mean `{near}`?")),
        None => d.with_help(format!("the keys are: {}", DATABASE_KEYS.join(", "))),
    }
}

/// The error for a key that is not one of [`CONFIG_KEYS`]: the nearest key, or for a table
/// (`[name]`, `name.key = ...`, `name = { ... }`) that aludel.toml has none yet.
fn unknown(location: Location, name: &str, value: &DeValue<'_>) -> Diagnostic {
    let keys = CONFIG_KEYS.join(", ");
    if matches!(value, DeValue::Table(_)) {
        return Diagnostic::at(
            location,
            format!("unknown configuration table `{name}`: aludel.toml has top-level keys and `[databases.<name>]` tables"),
        )
        .with_help(format!(
            "set the keys at the top of the file, before any `[table]` line; the keys are: {keys}"
        ));
    }
    let d = Diagnostic::at(location, format!("unknown configuration key `{name}`"));
    match nearest(name, CONFIG_KEYS) {
        Some(near) => d.with_help(format!("did you mean `{near}`?")),
        None => d.with_help(format!("the keys are: {keys}")),
    }
}

/// The 1-based line and column (in characters) of a byte offset in `text`.
fn line_column(text: &str, offset: usize) -> (u32, u32) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    let clamp = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    (clamp(line), clamp(column))
}

/// Finds the project root: the nearest directory from `start` upwards that holds
/// `aludel.toml`, else the nearest that holds `migrations/versions`.
pub fn find_project_root(start: &Path) -> Option<PathBuf> {
    let mut dir = Some(start);
    while let Some(d) = dir {
        if d.join(CONFIG_FILE).is_file() {
            return Some(d.to_path_buf());
        }
        dir = d.parent();
    }
    let mut dir = Some(start);
    while let Some(d) = dir {
        if d.join("migrations").join("versions").is_dir() {
            return Some(d.to_path_buf());
        }
        dir = d.parent();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_key_and_defaults() {
        let config = Config::parse(
            "aludel.toml",
            "# comment\nscript_location = \"db/migrations\" # trailing\nversion_table = \"my_versions\"\nallow_multiple_heads = true\ntruncate_slug_length = 20\ndatabase_url = \"postgres://u:p#w@h/db\"\n",
        )
        .unwrap();
        assert_eq!(config.script_location, PathBuf::from("db/migrations"));
        assert_eq!(config.version_table, "my_versions");
        assert!(config.allow_multiple_heads);
        assert_eq!(config.truncate_slug_length, 20);
        assert_eq!(
            config.database_url.as_deref(),
            Some("postgres://u:p#w@h/db")
        );
        assert_eq!(config.timezone, "UTC");
        assert_eq!(Config::parse("x", "").unwrap(), Config::default());
    }

    #[test]
    fn script_location_stays_in_the_project() {
        let escapes = |location: &str| {
            Config {
                script_location: PathBuf::from(location),
                ..Config::default()
            }
            .script_location_escapes()
        };
        for inside in [
            "migrations",
            "db/migrations",
            "./db",
            "a/../b",
            "a/b/../../c",
            "",
        ] {
            assert_eq!(escapes(inside), None, "{inside}");
        }
        for outside in ["..", "../elsewhere", "a/../../b", "./../x", "/etc", "/"] {
            assert!(escapes(outside).is_some(), "{outside}");
        }
    }

    fn error(text: &str) -> String {
        Config::parse("aludel.toml", text).unwrap_err().to_string()
    }

    #[test]
    fn errors_have_lines() {
        assert_eq!(
            error("\nscript_locaton = \"m\"\n"),
            "aludel.toml:2:1: unknown configuration key `script_locaton`\n  = help: did you mean `script_location`?"
        );
        assert_eq!(
            error("  timezone = 'x'\n  version_tabel = \"v\""),
            "aludel.toml:2:3: unknown configuration key `version_tabel`\n  = help: did you mean `version_table`?"
        );
        assert!(error("zzzzzz = 1").starts_with(
            "aludel.toml:1:1: unknown configuration key `zzzzzz`\n  = help: the keys are: script_location, version_table,"
        ));
        assert_eq!(
            error("timezone = \"a\"\ntimezone = \"b\""),
            "aludel.toml:2:1: configuration key `timezone` is set twice"
        );
    }

    #[test]
    fn wrong_types_point_at_the_value() {
        for (text, expected) in [
            ("version_table = 3", "aludel.toml:1:17: `version_table` takes a string in double quotes, e.g. version_table = \"...\", not `3`"),
            ("version_table = { a = 1 }", "aludel.toml:1:17: `version_table` takes a string in double quotes, e.g. version_table = \"...\", not `{ a = 1 }`"),
            ("\ntruncate_slug_length = -3", "aludel.toml:2:24: `truncate_slug_length` takes a whole number, not `-3`"),
            ("truncate_slug_length = \"20\"", "aludel.toml:1:24: `truncate_slug_length` takes a whole number, not `\"20\"`"),
            ("allow_multiple_heads = \"true\"", "aludel.toml:1:24: `allow_multiple_heads` takes `true` or `false`, not `\"true\"`"),
        ] {
            assert_eq!(error(text), expected, "{text}");
        }
    }

    #[test]
    fn tables_are_refused_but_databases() {
        let err = error("version_table = \"v\"\n\n[tables.main]\nurl = \"sqlite://x.db\"\n");
        assert!(
            err.starts_with("aludel.toml:3:2: unknown configuration table `tables`: aludel.toml has top-level keys and `[databases.<name>]` tables\n  = help: set the keys at the top of the file, before any `[table]` line; the keys are: script_location,"),
            "{err}"
        );
        // A dotted key and an inline table are tables too.
        assert!(error("a.b = 1").starts_with("aludel.toml:1:1: unknown configuration table `a`"));
        assert!(
            error("x = { y = 1 }").starts_with("aludel.toml:1:1: unknown configuration table `x`")
        );
    }

    #[test]
    fn databases_in_the_order_of_the_file() {
        let config = Config::parse(
            "aludel.toml",
            "version_table = \"v\"\n\n[databases.main]\nurl = \"sqlite://x.db\"\n\n[databases.analytics]\nurl = \"postgres://h/a\"\nversion_table = \"analytics_version\"\n",
        )
        .unwrap();
        let names: Vec<&str> = config.databases.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["main", "analytics"]);
        assert_eq!(config.databases[0].url.as_deref(), Some("sqlite://x.db"));
        assert_eq!(config.databases[0].line, 3);
        assert_eq!(
            config.databases[1].version_table.as_deref(),
            Some("analytics_version")
        );
        assert_eq!(config.graph_options().databases, ["main", "analytics"]);
        assert_eq!(
            error("[databases.main]\nurls = \"x\"\n"),
            "aludel.toml:2:1: unknown key `urls` in `[databases.main]`\n  = help: did you mean `url`?"
        );
        assert_eq!(
            error("[databases.main]\nurl = 1\n"),
            "aludel.toml:2:7: `databases.main.url` takes a string in double quotes, not `1`"
        );
        assert!(error("databases = 1\n")
            .starts_with("aludel.toml:1:13: `databases` takes one table per database"));
        assert!(error("[databases]\nmain = 1\n")
            .starts_with("aludel.toml:2:8: `databases.main` takes a table of keys"));
        assert!(
            error("[databases.\"a b\"]\n")
                .starts_with("aludel.toml:1:12: database name `a b` is not valid"),
            "{}",
            error("[databases.\"a b\"]\n")
        );
    }

    #[test]
    fn malformed_toml_is_an_error_with_its_place() {
        assert_eq!(
            error("version_table = \"v\"\njust words\n"),
            "aludel.toml:2:6: configuration file is not valid TOML: key with no value, expected `=`\n  = help: aludel.toml holds `key = value` lines, e.g. version_table = \"alembic_version\""
        );
        let err = error("script_location = m");
        assert!(
            err.starts_with("aludel.toml:1:19: configuration file is not valid TOML: string values must be quoted"),
            "{err}"
        );
        assert!(error("version_table = \"unterminated").starts_with(
            "aludel.toml:1:30: configuration file is not valid TOML: invalid basic string"
        ));
        assert!(error("allow_multiple_heads = yes").starts_with("aludel.toml:1:24: "));
    }

    #[test]
    fn toml_strings_and_comments() {
        let config = Config::parse(
            "x",
            "version_table = 'literal\\no_escape' # comment\ntimezone = \"tab\\there\\u00e9\"\npost_write_hook = \"\"\"\nfmt {path}\"\"\"\n",
        )
        .unwrap();
        assert_eq!(config.version_table, "literal\\no_escape");
        assert_eq!(config.timezone, "tab\there\u{e9}");
        assert_eq!(config.post_write_hook.as_deref(), Some("fmt {path}"));
    }
}
