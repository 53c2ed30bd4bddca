//! `aludel init [DIR]`: set up a project (Alembic's `init`).
//!
//! Writes, in DIR (default: the current directory):
//! - `migrations/versions/` (with a `.gitkeep`, which the scan ignores, so that git keeps the
//!   empty directory); `<script_location>/versions` when an existing `aludel.toml` moves it;
//! - `aludel.toml`, every setting commented out with its default and what it does;
//! - `build.rs`, so that Cargo rebuilds the crate when a revision file is added or removed:
//!   written when DIR holds a package's `Cargo.toml` and there is none yet; an existing one
//!   gets `println!("cargo:rerun-if-changed=migrations");` as the first statement of its
//!   `fn main`; one without a `fn main` is left alone and the line to add is printed;
//! - in a project that diesel_cli set up, aludel's tables in `diesel.toml`'s
//!   `[print_schema] filter = { except_tables = [..] }`, so that `diesel print-schema`
//!   leaves them out.
//!
//! Nothing that exists is overwritten, so running it twice is safe; every step says on stderr
//! what it did or why it kept what was there. Stdout stays empty.

use std::io::Write;
use std::path::{Path, PathBuf};

use aludel_graph::config::CONFIG_FILE;
use aludel_graph::{Config, Diagnostic, Location};

use crate::cli::InitArgs;
use crate::error::CliError;
use crate::project::show;

use super::revision::{say, write_new_file};

/// The `aludel.toml` that `init` writes: every key, commented out, with its default.
pub const CONFIG_TEMPLATE: &str = r#"# aludel.toml: where this project's migrations live and how aludel writes new revisions.
# Every setting is optional: each commented line shows the default (or an example where
# there is no default). Remove the `#` to change one.

# Directory of the migration scripts, relative to this file; the revision files are in
# <script_location>/versions.
# script_location = "migrations"

# The table that records which revisions a database is at (Alembic's table, so that Alembic
# and aludel can take over each other's databases).
# version_table = "alembic_version"

# The schema of the version table, PostgreSQL only (no default: the connection's search path).
# version_table_schema = "public"

# The database to migrate (no default); DATABASE_URL and --database-url override it.
# database_url = "sqlite://app.db"

# File names of new revisions. Placeholders: {rev} {slug} {epoch} {year} {month} {day}
# {hour} {minute} {second}; a `/` makes subdirectories; `.sql` is appended.
# file_template = "{year}{month}{day}_{hour}{minute}_{rev}_{slug}"

# The longest slug (the message, lowercased, its words joined by `_`) in a file name.
# truncate_slug_length = 40

# The time zone of file names and create_date; only "UTC" is supported for now.
# timezone = "UTC"

# Accept several heads (or bases) without branch labels; by default they are a compile error
# that suggests `aludel merge`.
# allow_multiple_heads = false

# A command run on each new revision file, e.g. a formatter: split on whitespace and run
# without a shell; {path} stands for the file, else the path is the last argument.
# post_write_hook = "sqlfluff fix --dialect postgres {path}"
"#;

/// Creates the project's directories and files in DIR, keeping whatever exists; messages go to
/// `messages` (stderr) and nothing to stdout.
pub fn run(args: &InitArgs, cwd: &Path, messages: &mut dyn Write) -> Result<String, CliError> {
    let dir = args.dir.clone().unwrap_or_default();
    let here = cwd.join(&dir);
    let shown = |name: &Path| show(&dir.join(name));
    if !here.exists() {
        std::fs::create_dir_all(&here).map_err(|source| CliError::Io {
            action: "create directory",
            path: show(&dir),
            source,
        })?;
        say(
            messages,
            &format!("Creating directory {} ...  done", show(&dir)),
        );
    }

    // The configuration first: an existing one may move the versions directory.
    let config_path = here.join(CONFIG_FILE);
    let config_shown = shown(Path::new(CONFIG_FILE));
    let (config, config_written) = if config_path.exists() {
        (read_config(&config_path, &config_shown)?, false)
    } else {
        (Config::default(), true)
    };

    if !config_written {
        crate::project::check_script_location(&config, Some(&config_path), cwd)?;
    }
    let versions = config.versions_dir(Path::new(""));
    let versions_shown = shown(&versions);
    let versions_path = here.join(&versions);
    if versions_path.is_dir() {
        say(messages, &format!("{versions_shown} exists, kept"));
    } else if versions_path.exists() {
        return Err(CliError::Authoring {
            message: format!("`{versions_shown}` exists and is not a directory; move it away, or set script_location in {config_shown}"),
        });
    } else {
        std::fs::create_dir_all(&versions_path).map_err(|source| CliError::Io {
            action: "create directory",
            path: versions_shown.clone(),
            source,
        })?;
        let keep = versions.join(".gitkeep");
        write_new_file(&here.join(&keep), &shown(&keep), "")?;
        say(
            messages,
            &format!("Creating directory {versions_shown} ...  done"),
        );
    }

    if config_written {
        write_new_file(&config_path, &config_shown, CONFIG_TEMPLATE)?;
        say(messages, &format!("Generating {config_shown} ...  done"));
    } else {
        say(messages, &format!("{config_shown} exists, kept"));
    }

    let location = show(&config.script_location);
    build_script(&dir, &here, &location, messages)?;
    diesel_toml(&dir, &here, &config, messages)?;
    Ok(String::new())
}

/// In a project that diesel_cli set up, keeps aludel's tables out of `diesel print-schema`:
/// adds them, as anchored patterns, to `[print_schema]`'s `filter = { except_tables = [..] }`
/// (which diesel reads as regular expressions). A filter with `only_tables` leaves them out
/// already; a diesel.toml whose `print_schema` is not a plain section is left as it is, with
/// the line to add.
fn diesel_toml(
    dir: &Path,
    here: &Path,
    config: &Config,
    messages: &mut dyn Write,
) -> Result<(), CliError> {
    let path = here.join("diesel.toml");
    let shown = show(&dir.join("diesel.toml"));
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(());
    };
    let tables = aludel::Options::default()
        .version_table(config.version_table.clone())
        .own_tables();
    let patterns: Vec<String> = tables.iter().map(|t| format!("\"^{t}$\"")).collect();
    match except_tables(&text, &patterns) {
        Edit::Unchanged(why) => say(messages, &format!("{shown} {why}, kept")),
        Edit::Changed(new) => {
            std::fs::write(&path, new).map_err(|source| CliError::Io {
                action: "write",
                path: shown.clone(),
                source,
            })?;
            say(
                messages,
                &format!("Updating {shown} ...  done (aludel's tables added to print_schema's filter.except_tables, so that diesel print-schema leaves them out)"),
            );
        }
        Edit::ByHand(why) => say(
            messages,
            &format!("{shown} {why}, so it was left as it is; to keep aludel's tables out of diesel print-schema, add to its [print_schema]:\n      filter = {{ except_tables = [{}] }}", patterns.join(", ")),
        ),
    }
    Ok(())
}

/// What [`except_tables`] makes of a diesel.toml.
#[derive(Debug, PartialEq, Eq)]
enum Edit {
    /// Nothing to change, and why.
    Unchanged(&'static str),
    /// The new text.
    Changed(String),
    /// A change aludel does not make itself, and why.
    ByHand(&'static str),
}

/// diesel.toml's text with `patterns` (TOML strings) in `[print_schema]`'s
/// `filter = { except_tables = [..] }`.
fn except_tables(text: &str, patterns: &[String]) -> Edit {
    use toml::de::{DeTable, DeValue};
    let filter_line = format!("filter = {{ except_tables = [{}] }}", patterns.join(", "));
    let Ok(document) = DeTable::parse(text) else {
        return Edit::ByHand("does not parse as TOML");
    };
    let Some(section) = document.get_ref().get("print_schema") else {
        let mut out = text.to_string();
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&format!("\n[print_schema]\n{filter_line}\n"));
        return Edit::Changed(out);
    };
    let DeValue::Table(table) = section.get_ref() else {
        return Edit::ByHand("has a print_schema that is not a table");
    };
    let Some(filter) = table.get("filter") else {
        // After the header line of a plain `[print_schema]` section.
        let mut at = 0;
        for line in text.split_inclusive('\n') {
            let code = line.split('#').next().unwrap_or_default().trim();
            if code == "[print_schema]" {
                let end = at + line.trim_end_matches(['\r', '\n']).len();
                let mut out = text.to_string();
                out.insert_str(end, &format!("\n{filter_line}"));
                return Edit::Changed(out);
            }
            at += line.len();
        }
        return Edit::ByHand("defines print_schema in a form other than a [print_schema] section");
    };
    let DeValue::Table(filter) = filter.get_ref() else {
        return Edit::ByHand("has a print_schema.filter that is not a table");
    };
    if filter.get("only_tables").is_some() {
        return Edit::Unchanged(
            "filters print-schema with only_tables, which leaves aludel's tables out",
        );
    }
    let Some(value) = filter.get("except_tables") else {
        return Edit::ByHand("has a print_schema.filter without except_tables");
    };
    let DeValue::Array(items) = value.get_ref() else {
        return Edit::ByHand("has an except_tables that is not a list");
    };
    let mut listed: Vec<String> = Vec::new();
    for item in items.iter() {
        match text.get(item.span()) {
            Some(raw) => listed.push(raw.trim().to_string()),
            None => return Edit::ByHand("has an except_tables aludel cannot read"),
        }
    }
    let missing: Vec<&String> = patterns.iter().filter(|p| !listed.contains(p)).collect();
    if missing.is_empty() {
        return Edit::Unchanged("leaves aludel's tables out of print-schema already");
    }
    if text.get(value.span()).is_none() {
        return Edit::ByHand("has an except_tables aludel cannot read");
    }
    listed.extend(missing.into_iter().cloned());
    let mut out = text.to_string();
    out.replace_range(value.span(), &format!("[{}]", listed.join(", ")));
    Edit::Changed(out)
}

/// Reads an existing configuration, which must parse.
fn read_config(path: &Path, shown: &str) -> Result<Config, CliError> {
    let bytes = std::fs::read(path).map_err(|source| CliError::ReadConfig {
        path: shown.to_string(),
        source,
    })?;
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        CliError::Config(
            Diagnostic::at(
                Location::new(shown, 0, 0),
                "configuration file is not valid UTF-8",
            )
            .with_help("save the file as UTF-8"),
        )
    })?;
    Config::parse(shown, text).map_err(CliError::Config)
}

/// How a package's `Cargo.toml` sets up its build script.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Manifest {
    /// No `[package]`: a workspace's root manifest.
    NoPackage,
    /// `build = false`.
    BuildOff,
    /// The build script: `build.rs`, or the path `build = "..."` names.
    BuildScript(PathBuf),
}

/// Reads the `[package]` table of a manifest, line by line (enough for `build = ...`).
fn manifest(text: &str) -> Manifest {
    let mut in_package = false;
    let mut has_package = false;
    let mut script = PathBuf::from("build.rs");
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.starts_with('[') {
            in_package = line == "[package]";
            has_package |= in_package;
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        if !in_package || key.trim() != "build" {
            continue;
        }
        match value.trim() {
            "false" => return Manifest::BuildOff,
            "true" => {}
            quoted => script = PathBuf::from(quoted.trim_matches(|c| c == '"' || c == '\'')),
        }
    }
    if has_package {
        Manifest::BuildScript(script)
    } else {
        Manifest::NoPackage
    }
}

/// Writes or updates the build script so that Cargo rebuilds the crate when a file below
/// `location` (the script location) is added or removed.
fn build_script(
    dir: &Path,
    here: &Path,
    location: &str,
    messages: &mut dyn Write,
) -> Result<(), CliError> {
    let line = format!("println!(\"cargo:rerun-if-changed={location}\");");
    let add_yourself = format!("so that Cargo rebuilds the crate that embeds these migrations when a revision file is added or removed, give that crate a build.rs whose `fn main` prints (with the path relative to the crate):\n      {line}");
    let manifest_path = here.join("Cargo.toml");
    let manifest_shown = show(&dir.join("Cargo.toml"));
    let text = match std::fs::read_to_string(&manifest_path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            say(
                messages,
                &format!("No {manifest_shown}, so no build.rs was written; {add_yourself}"),
            );
            return Ok(());
        }
        Err(source) => {
            return Err(CliError::Io {
                action: "read",
                path: manifest_shown,
                source,
            })
        }
    };
    let script = match manifest(&text) {
        Manifest::NoPackage => {
            say(messages, &format!("{manifest_shown} has no [package] (a workspace manifest), so no build.rs was written; {add_yourself}"));
            return Ok(());
        }
        Manifest::BuildOff => {
            say(messages, &format!("{manifest_shown} turns build scripts off (`build = false`), so no build.rs was written; {add_yourself}"));
            return Ok(());
        }
        Manifest::BuildScript(script) => script,
    };
    let script_path = here.join(&script);
    let script_shown = show(&dir.join(&script));
    let existing = match std::fs::read_to_string(&script_path) {
        Ok(existing) => existing,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            let text = format!(
                "// Cargo reruns this script, and rebuilds the crate with the migrations it embeds,\n// when a file below {location}/ is added, removed or changed (written by `aludel init`).\nfn main() {{\n    {line}\n}}\n"
            );
            write_new_file(&script_path, &script_shown, &text)?;
            say(messages, &format!("Generating {script_shown} ...  done"));
            return Ok(());
        }
        Err(source) => {
            return Err(CliError::Io {
                action: "read",
                path: script_shown,
                source,
            })
        }
    };
    if existing.contains(&format!("rerun-if-changed={location}")) {
        say(
            messages,
            &format!("{script_shown} reruns on changes to {location}, kept"),
        );
        return Ok(());
    }
    let Some(body) = main_body(&existing) else {
        say(messages, &format!("{script_shown} has no `fn main`, so it was left as it is; add this line to the function that Cargo runs, so that new revision files rebuild the crate:\n      {line}"));
        return Ok(());
    };
    let updated = format!("{}\n    {line}{}", &existing[..body], &existing[body..]);
    std::fs::write(&script_path, updated).map_err(|source| CliError::Io {
        action: "write",
        path: script_shown.clone(),
        source,
    })?;
    say(
        messages,
        &format!(
            "Updating {script_shown} ...  done ({line} is the first statement of its `fn main`)"
        ),
    );
    if !existing.contains("rerun-if") {
        say(messages, &format!("Note: {script_shown} printed no rerun-if-changed line before, so Cargo reran it after any change to the package; now it reruns only when {location} changes. If it reads other files, print a cargo:rerun-if-changed line for each."));
    }
    Ok(())
}

/// The byte offset just after the `{` that opens `fn main`'s body, if there is a `fn main`
/// outside a line comment.
fn main_body(text: &str) -> Option<usize> {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    for (at, _) in text.match_indices("fn main") {
        let before = text[..at].chars().next_back();
        let line_start = text[..at].rfind('\n').map_or(0, |n| n + 1);
        if before.is_some_and(is_ident) || text[line_start..at].contains("//") {
            continue;
        }
        let rest = &text[at + "fn main".len()..];
        if !rest.trim_start().starts_with('(') {
            continue;
        }
        let open = rest.find('{')?;
        return Some(at + "fn main".len() + open + 1);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_sets_every_key_to_its_default() {
        for key in aludel_graph::config::CONFIG_KEYS {
            assert!(
                CONFIG_TEMPLATE.contains(&format!("\n# {key} = ")),
                "{key} is missing from the template"
            );
        }
        assert_eq!(
            Config::parse("aludel.toml", CONFIG_TEMPLATE).unwrap(),
            Config::default()
        );
        // Uncommented, every line parses.
        let uncommented: String = CONFIG_TEMPLATE
            .lines()
            .map(|l| match l.strip_prefix("# ") {
                Some(setting) if setting.contains(" = ") => format!("{setting}\n"),
                _ => format!("{l}\n"),
            })
            .collect();
        let config = Config::parse("aludel.toml", &uncommented).unwrap();
        assert_eq!(config.file_template, Config::default().file_template);
        assert_eq!(
            config.post_write_hook.as_deref(),
            Some("sqlfluff fix --dialect postgres {path}")
        );
    }

    #[test]
    fn manifests() {
        assert_eq!(
            manifest("[package]\nname = \"x\"\n"),
            Manifest::BuildScript("build.rs".into())
        );
        assert_eq!(
            manifest("[package]\nname = \"x\"\nbuild = \"src/build.rs\" # here\n[dependencies]\nbuild = \"1\"\n"),
            Manifest::BuildScript("src/build.rs".into())
        );
        assert_eq!(manifest("[package]\nbuild = false\n"), Manifest::BuildOff);
        assert_eq!(
            manifest("[workspace]\nmembers = [\"a\"]\n"),
            Manifest::NoPackage
        );
    }

    #[test]
    fn diesel_toml_gets_aludels_tables_in_except_tables() {
        let patterns = vec!["\"^a$\"".to_string(), "\"^b$\"".to_string()];
        let setup = "# For documentation on how to configure this file,\n# see https://diesel.rs/guides/configuring-diesel-cli\n\n[print_schema]\nfile = \"src/schema.rs\"\ncustom_type_derives = [\"diesel::query_builder::QueryId\", \"Clone\"]\n\n[migrations_directory]\ndir = \"migrations\"\n";
        let Edit::Changed(once) = except_tables(setup, &patterns) else {
            panic!("not changed");
        };
        assert_eq!(
            once,
            setup.replace(
                "[print_schema]\n",
                "[print_schema]\nfilter = { except_tables = [\"^a$\", \"^b$\"] }\n"
            )
        );
        assert_eq!(
            except_tables(&once, &patterns),
            Edit::Unchanged("leaves aludel's tables out of print-schema already")
        );
        let listed = "[print_schema] # the schema\n[print_schema.filter]\nexcept_tables = [ \"old\",\n  \"^a$\" ]\n";
        assert_eq!(
            except_tables(listed, &patterns),
            Edit::Changed(
                "[print_schema] # the schema\n[print_schema.filter]\nexcept_tables = [\"old\", \"^a$\", \"^b$\"]\n"
                    .into()
            )
        );
        assert_eq!(
            except_tables("[migrations_directory]\ndir = \"m\"", &patterns),
            Edit::Changed(
                "[migrations_directory]\ndir = \"m\"\n\n[print_schema]\nfilter = { except_tables = [\"^a$\", \"^b$\"] }\n"
                    .into()
            )
        );
        assert!(matches!(
            except_tables(
                "[print_schema]\nfilter = { only_tables = [\"users\"] }\n",
                &patterns
            ),
            Edit::Unchanged(_)
        ));
        assert!(matches!(
            except_tables("print_schema = { file = \"s.rs\" }\n", &patterns),
            Edit::ByHand(_)
        ));
        assert!(matches!(
            except_tables("[print_schema\n", &patterns),
            Edit::ByHand(_)
        ));
    }

    #[test]
    fn main_bodies() {
        let text = "// fn main() { not this }\nfn main_helper() {}\nfn main() -> Result<(), E> {\n    x();\n}\n";
        let at = main_body(text).unwrap();
        assert_eq!(&text[at..], "\n    x();\n}\n");
        assert_eq!(main_body("fn helper() {}\n"), None);
        assert_eq!(main_body("pub fn main () {}"), Some(16));
    }
}
