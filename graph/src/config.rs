//! `aludel.toml`: the project configuration shared by the macro and the command line.
//!
//! A flat file of `key = value` lines (`#` starts a comment; strings in double quotes with
//! `\"`, `\\`, `\n` and `\t` escapes; `true`/`false`; integers):
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
//! ```
//!
//! Every key is optional; an unknown key, a value of the wrong type or a line that is not
//! `key = value` is an error with its line.

use std::path::{Component, Path, PathBuf};

use crate::diagnostic::{nearest, Diagnostic, Location};

/// The name of the configuration file.
pub const CONFIG_FILE: &str = "aludel.toml";

/// The keys `aludel.toml` may set.
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
        }
    }
}

impl Config {
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
    pub fn parse(path: &str, text: &str) -> Result<Config, Diagnostic> {
        let mut config = Config::default();
        let mut seen: Vec<&str> = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line_no = u32::try_from(index + 1).unwrap_or(u32::MAX);
            let at = |message: String| Diagnostic::at(Location::new(path, line_no, 1), message);
            let line = strip_comment(raw).trim();
            if line.is_empty() {
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                return Err(at(format!("expected `key = value`, found `{line}`")));
            };
            let key = key.trim();
            let value = value.trim();
            let Some(&key) = CONFIG_KEYS.iter().find(|k| **k == key) else {
                let mut d = at(format!("unknown configuration key `{key}`"));
                d = match nearest(key, CONFIG_KEYS) {
                    Some(near) => d.with_help(format!("did you mean `{near}`?")),
                    None => d.with_help(format!("the keys are: {}", CONFIG_KEYS.join(", "))),
                };
                return Err(d);
            };
            if seen.contains(&key) {
                return Err(at(format!("configuration key `{key}` is set twice")));
            }
            seen.push(key);
            let string = || {
                parse_string(value).ok_or_else(|| {
                    at(format!(
                        "`{key}` takes a string in double quotes, e.g. {key} = \"...\""
                    ))
                })
            };
            match key {
                "script_location" => config.script_location = PathBuf::from(string()?),
                "version_table" => config.version_table = string()?,
                "version_table_schema" => config.version_table_schema = Some(string()?),
                "database_url" => config.database_url = Some(string()?),
                "file_template" => config.file_template = string()?,
                "timezone" => config.timezone = string()?,
                "post_write_hook" => config.post_write_hook = Some(string()?),
                "truncate_slug_length" => {
                    config.truncate_slug_length = value
                        .parse()
                        .map_err(|_| at(format!("`{key}` takes a whole number, not `{value}`")))?;
                }
                "allow_multiple_heads" => {
                    config.allow_multiple_heads = match value {
                        "true" => true,
                        "false" => false,
                        _ => {
                            return Err(at(format!(
                                "`{key}` takes `true` or `false`, not `{value}`"
                            )))
                        }
                    };
                }
                _ => {}
            }
        }
        Ok(config)
    }
}

/// Drops a `#` comment that is not inside a string.
fn strip_comment(line: &str) -> &str {
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match c {
            '\\' if in_string && !escaped => {
                escaped = true;
                continue;
            }
            '"' if !escaped => in_string = !in_string,
            '#' if !in_string => return &line[..i],
            _ => {}
        }
        escaped = false;
    }
    line
}

fn parse_string(value: &str) -> Option<String> {
    let inner = value.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next()? {
                '"' => out.push('"'),
                '\\' => out.push('\\'),
                'n' => out.push('\n'),
                't' => out.push('\t'),
                _ => return None,
            },
            '"' => return None,
            c => out.push(c),
        }
    }
    Some(out)
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

    #[test]
    fn errors_have_lines() {
        let err = Config::parse("aludel.toml", "\nscript_locaton = \"m\"\n").unwrap_err();
        assert_eq!(err.to_string(), "aludel.toml:2:1: unknown configuration key `script_locaton`\n  = help: did you mean `script_location`?");
        assert!(Config::parse("x", "allow_multiple_heads = yes").is_err());
        assert!(Config::parse("x", "script_location = m").is_err());
        assert!(Config::parse("x", "just words").is_err());
        assert!(Config::parse("x", "timezone = \"a\"\ntimezone = \"b\"").is_err());
    }
}
