//! diesel.toml's `[print_schema]`, read as diesel print-schema reads it, so that `aludel
//! print-schema` prints what `diesel print-schema` prints and `check --schema` compares the
//! tables diesel writes.

use std::path::{Path, PathBuf};

use aludel_schema::{Docs, PrintOptions, Regex, TableFilter, TableGroups};
use toml::de::{DeTable, DeValue};

use crate::error::CliError;
use crate::project::Project;

/// What diesel.toml's `[print_schema]` sets (diesel's defaults where it sets nothing).
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// `file`, relative to diesel.toml's directory.
    pub file: Option<String>,
    /// `filter`: `only_tables` and `except_tables` (aludel's own tables are added by the
    /// commands).
    pub filter: TableFilter,
    /// How to print.
    pub print: PrintOptions,
    /// `column_sorting = "name"`: columns by name instead of in the table's order.
    pub columns_by_name: bool,
    /// `sqlite_integer_primary_key_is_bigint`: SQLite's row ids (and the columns referring to
    /// them) are `BigInt`.
    pub row_ids_as_bigint: bool,
    /// `pg_domains_as_custom_types`: PostgreSQL domains read as types of their own.
    pub domains: Vec<Regex>,
    /// `patch_file`, relative to diesel.toml's directory: a unified diff applied to the
    /// printed schema.
    pub patch_file: Option<String>,
}

/// The settings of the diesel.toml beside the project's aludel.toml (none: diesel's
/// defaults), and the path of that diesel.toml as shown.
pub fn read(project: &Project, cwd: &Path) -> Result<(Settings, PathBuf), CliError> {
    let root = project
        .config_file()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let diesel_toml = root.join("diesel.toml");
    let settings = match std::fs::read_to_string(cwd.join(&diesel_toml)) {
        Ok(text) => parse(&text).map_err(|message| CliError::Schema {
            location: diesel_toml.display().to_string(),
            message,
        })?,
        Err(_) => Settings::default(),
    };
    Ok((settings, root))
}

impl Settings {
    /// The printed schema with `patch_file` applied (the file is `root`'s, as `cwd` sees it).
    pub fn patched(&self, printed: String, root: &Path, cwd: &Path) -> Result<String, CliError> {
        self.with_patch(printed, root, cwd, false)
    }

    /// A schema file that holds diesel.toml's `patch_file` with it taken back (the file as
    /// diesel printed it, with the edits made since): the database's schema.
    pub fn unpatched(&self, text: String, root: &Path, cwd: &Path) -> Result<String, CliError> {
        self.with_patch(text, root, cwd, true)
    }

    fn with_patch(
        &self,
        text: String,
        root: &Path,
        cwd: &Path,
        back: bool,
    ) -> Result<String, CliError> {
        let Some(patch_file) = &self.patch_file else {
            return Ok(text);
        };
        let shown = root.join(patch_file);
        let failed = |message: String| CliError::Schema {
            location: shown.display().to_string(),
            message,
        };
        let patch = std::fs::read_to_string(cwd.join(&shown))
            .map_err(|e| failed(format!("cannot read diesel.toml's patch_file: {e}")))?;
        if back {
            aludel_schema::unapply_patch(&text, &patch).map_err(|e| {
                failed(format!(
                    "{e}; the schema file no longer holds what the patch changes, so aludel cannot tell the database's schema from it"
                ))
            })
        } else {
            aludel_schema::apply_patch(&text, &patch).map_err(|e| failed(e.to_string()))
        }
    }
}

/// Reads the text of a diesel.toml.
pub fn parse(text: &str) -> Result<Settings, String> {
    let document = DeTable::parse(text).map_err(|e| format!("cannot read diesel.toml: {e}"))?;
    let mut settings = Settings::default();
    let Some(section) = document.get_ref().get("print_schema") else {
        return Ok(settings);
    };
    let DeValue::Table(section) = section.get_ref() else {
        return Err("`print_schema` is not a table".into());
    };
    for (key, value) in section.iter() {
        let key: &str = key.get_ref();
        let value = value.get_ref();
        let name = format!("print_schema.{key}");
        match key {
            "file" => settings.file = Some(string(&name, value)?),
            "schema" => settings.print.schema = Some(string(&name, value)?),
            "import_types" => settings.print.import_types = Some(strings(&name, value)?),
            "custom_type_derives" => settings.print.custom_type_derives = strings(&name, value)?,
            "generate_missing_sql_type_definitions" => {
                settings.print.generate_missing_sql_type_definitions = boolean(&name, value)?;
            }
            "except_custom_type_definitions" => {
                settings.print.except_custom_type_definitions = patterns(&name, value)?;
            }
            "allow_tables_to_appear_in_same_query_config" => {
                settings.print.table_groups = match string(&name, value)?.as_str() {
                    "all_tables" => TableGroups::AllTables,
                    "fk_related_tables" => TableGroups::FkRelatedTables,
                    "none" => TableGroups::None,
                    other => {
                        return Err(format!(
                            "`{name}` is `{other}`; diesel knows `all_tables`, `fk_related_tables` and `none`"
                        ))
                    }
                };
            }
            "column_sorting" => {
                settings.columns_by_name = match string(&name, value)?.as_str() {
                    "ordinal_position" => false,
                    "name" => true,
                    other => {
                        return Err(format!(
                            "`{name}` is `{other}`; diesel knows `ordinal_position` and `name`"
                        ))
                    }
                };
            }
            "filter" => {
                let DeValue::Table(filter) = value else {
                    return Err(format!("`{name}` is not a table"));
                };
                for (kind, list) in filter.iter() {
                    let kind: &str = kind.get_ref();
                    let list = patterns(&format!("{name}.{kind}"), list.get_ref())?;
                    match kind {
                        "only_tables" => settings.filter.only = list,
                        "except_tables" => settings.filter.except = list,
                        other => {
                            return Err(format!(
                                "`{name}` has `{other}`; diesel knows `only_tables` and `except_tables`"
                            ))
                        }
                    }
                }
                if !settings.filter.only.is_empty() && !settings.filter.except.is_empty() {
                    return Err(format!(
                        "`{name}` has both `only_tables` and `except_tables`; diesel takes one"
                    ));
                }
            }
            // Settings aludel does not print yet: refused, so that nothing is printed
            // otherwise than diesel would.
            "with_docs" => {
                settings.print.docs = match value {
                    DeValue::Boolean(false) => Docs::None,
                    DeValue::Boolean(true) => Docs::DatabaseCommentsOrGenerated,
                    DeValue::String(s) => match s.as_ref() {
                        "no-doc-comments" => Docs::None,
                        "only-database-comments" => Docs::DatabaseComments,
                        "database-comments-fallback-to-auto-generated-doc-comment" => {
                            Docs::DatabaseCommentsOrGenerated
                        }
                        other => return Err(format!("`{name}` is `{other}`; diesel knows true, false, `no-doc-comments`, `only-database-comments` and `database-comments-fallback-to-auto-generated-doc-comment`")),
                    },
                    _ => return Err(format!("`{name}` is not true, false or a string")),
                };
            }
            "patch_file" => settings.patch_file = Some(string(&name, value)?),
            "sqlite_integer_primary_key_is_bigint" => {
                settings.row_ids_as_bigint = boolean(&name, value)?;
            }
            "pg_domains_as_custom_types" => settings.domains = patterns(&name, value)?,
            _ if matches!(value, DeValue::Table(_)) => {
                return Err(format!(
                    "`[print_schema.{key}]`: diesel.toml has several print_schema sections, which aludel does not read yet; keep one `[print_schema]`"
                ))
            }
            other => return Err(format!("`print_schema` has an unknown setting `{other}`")),
        }
    }
    Ok(settings)
}

fn string(name: &str, value: &DeValue<'_>) -> Result<String, String> {
    match value {
        DeValue::String(s) => Ok(s.to_string()),
        _ => Err(format!("`{name}` is not a string")),
    }
}

fn boolean(name: &str, value: &DeValue<'_>) -> Result<bool, String> {
    match value {
        DeValue::Boolean(b) => Ok(*b),
        _ => Err(format!("`{name}` is not true or false")),
    }
}

fn strings(name: &str, value: &DeValue<'_>) -> Result<Vec<String>, String> {
    let DeValue::Array(items) = value else {
        return Err(format!("`{name}` is not a list of strings"));
    };
    items
        .iter()
        .map(|item| match item.get_ref() {
            DeValue::String(s) => Ok(s.to_string()),
            _ => Err(format!("`{name}` is not a list of strings")),
        })
        .collect()
}

fn patterns(name: &str, value: &DeValue<'_>) -> Result<Vec<Regex>, String> {
    strings(name, value)?
        .iter()
        .map(|p| {
            Regex::new(p).map_err(|e| format!("`{name}`: `{p}` is not a regular expression: {e}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests fail by panicking

    use super::*;

    #[test]
    fn reads_what_diesel_setup_writes_and_the_filters() {
        let settings = parse(
            "[print_schema]\nfile = \"src/schema.rs\"\ncustom_type_derives = [\"diesel::query_builder::QueryId\", \"Clone\"]\n\n[print_schema.filter]\nexcept_tables = [\"^alembic_version$\", \"^aludel_\"]\n\n[migrations_directory]\ndir = \"migrations\"\n",
        )
        .unwrap();
        assert_eq!(settings.file.as_deref(), Some("src/schema.rs"));
        assert_eq!(settings.print.custom_type_derives.len(), 2);
        assert!(!settings.filter.keeps("alembic_version"));
        assert!(!settings.filter.keeps("aludel_log"));
        assert!(settings.filter.keeps("users"));
        let settings = parse("[print_schema]\nfilter = { only_tables = [\"^users$\"] }\n").unwrap();
        assert!(settings.filter.keeps("users") && !settings.filter.keeps("posts"));
    }

    #[test]
    fn refuses_what_it_cannot_honour() {
        for text in [
            "[print_schema]\nwith_docs = \"some\"\n",
            "[print_schema]\npatch_file = 1\n",
            "[print_schema]\ncolour = 1\n",
            "[print_schema.one]\nfile = \"a.rs\"\n",
            "[print_schema]\nfilter = { only_tables = [\"(\"] }\n",
            "[print_schema]\nfile = 3\n",
        ] {
            assert!(parse(text).is_err(), "{text}");
        }
    }
}
