//! A schema written as `diesel print-schema` writes it (its default settings: no doc
//! comments, every table in one `allow_tables_to_appear_in_same_query!`), then formatted by
//! `rustfmt` where it runs, as diesel does, so that the two print the same bytes.

use std::fmt::Write;

use crate::{upper_camel, Column, CustomType, Schema, Table};

/// The first line of a generated `schema.rs`.
pub const HEADER: &str = "// @generated automatically by Diesel CLI.\n";

/// The Rust name diesel gives an SQL name: each run of characters other than
/// `[A-Za-z0-9_]` becomes one `_` (and a leading digit gets a `_` before it); then a keyword,
/// a name diesel reserves (`table`, `columns`, `is_nullable`), a name starting with `__`, or
/// a column named as its table gets a `_` appended.
pub fn rust_name(sql_name: &str, table: Option<&str>) -> String {
    let mappable = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let starts_with_digit = sql_name.starts_with(|c: char| c.is_ascii_digit());
    let mut name = String::with_capacity(sql_name.len() + 1);
    let mut after_underscore = starts_with_digit;
    if starts_with_digit {
        name.push('_');
    }
    for c in sql_name.chars() {
        if mappable(c) {
            name.push(c);
            after_underscore = false;
        } else if !after_underscore {
            name.push('_');
            after_underscore = true;
        }
    }
    let reserved = syn::parse_str::<syn::Ident>(&name).is_err()
        || ["table", "columns", "is_nullable"].contains(&name.as_str())
        || (name.starts_with("__") && !name.ends_with('_'));
    if reserved || Some(name.as_str()) == table {
        name.push('_');
    }
    name
}

/// `"name"`, or a raw string where the name holds a quote.
fn rust_string(text: &str) -> String {
    if !text.contains('"') {
        return format!("\"{text}\"");
    }
    let hashes = "#".repeat(text.matches('#').count() + 1);
    format!("r{hashes}\"{text}\"{hashes}")
}

/// How to print, as diesel.toml's `[print_schema]` says (its defaults otherwise).
#[derive(Debug, Clone)]
pub struct PrintOptions {
    /// `schema`: the tables are those of this PostgreSQL schema, printed inside `pub mod
    /// <schema>` (their [`Table::schema`] names it where it is not `public`).
    pub schema: Option<String>,
    /// `import_types`: the `use` lines of each `table!`, instead of none.
    pub import_types: Option<Vec<String>>,
    /// `custom_type_derives`: the derives of each type of the `sql_types` module
    /// (`diesel::sql_types::SqlType` is added where it is not listed).
    pub custom_type_derives: Vec<String>,
    /// `generate_missing_sql_type_definitions`: whether the `sql_types` module is written.
    pub generate_missing_sql_type_definitions: bool,
    /// `except_custom_type_definitions`: types of the `sql_types` module not written (matched
    /// against their Rust names).
    pub except_custom_type_definitions: Vec<regex::Regex>,
    /// `allow_tables_to_appear_in_same_query_config`.
    pub table_groups: TableGroups,
}

impl Default for PrintOptions {
    fn default() -> Self {
        PrintOptions {
            schema: None,
            import_types: None,
            custom_type_derives: Vec::new(),
            generate_missing_sql_type_definitions: true,
            except_custom_type_definitions: Vec::new(),
            table_groups: TableGroups::AllTables,
        }
    }
}

/// Which tables `allow_tables_to_appear_in_same_query!` lists together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TableGroups {
    /// Every table, in one invocation (`all_tables`, the default).
    #[default]
    AllTables,
    /// The tables foreign keys connect, one invocation per group (`fk_related_tables`).
    FkRelatedTables,
    /// No invocation (`none`).
    None,
}

/// Indents every line but the first by four spaces (empty lines stay empty), as diesel's
/// writer nests blocks.
fn pad(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut on_newline = false;
    for piece in text.split_inclusive('\n') {
        if on_newline && piece != "\n" {
            out.push_str("    ");
        }
        out.push_str(piece);
        on_newline = piece.ends_with('\n');
    }
    out
}

/// The Rust name of a column's custom type, as `print-schema` declares it: PostgreSQL's by
/// the type (the last name of its SQL type), MySQL's one per column (`UsersMoodEnum`).
fn custom_rust_name(table: &Table, column: &Column) -> String {
    let base = base_type(&column.sql_type);
    match &column.custom {
        Some(custom) if custom.mysql => upper_camel(&format!(
            "{} {} {base}",
            rust_name(&table.name, None),
            rust_name(&column.name, Some(&rust_name(&table.name, None)))
        )),
        _ => base.to_string(),
    }
}

/// `Mood` of `Array<Nullable<Mood>>`.
fn base_type(sql_type: &str) -> &str {
    sql_type
        .rsplit('<')
        .next()
        .unwrap_or(sql_type)
        .trim_end_matches('>')
}

/// The custom types `print-schema` declares for `table`, one per column (`None` where the
/// column's type is diesel's, or is left out by the options).
fn overrides(table: &Table, options: &PrintOptions) -> Vec<Option<(String, CustomType)>> {
    table
        .columns
        .iter()
        .map(|column| {
            let custom = column.custom.as_ref()?;
            let name = custom_rust_name(table, column);
            if !options.generate_missing_sql_type_definitions
                || options
                    .except_custom_type_definitions
                    .iter()
                    .any(|r| r.is_match(base_type(&column.sql_type)))
            {
                return None;
            }
            Some((name, custom.clone()))
        })
        .collect()
}

/// The `sql_types` module.
fn sql_types(schema: &Schema, options: &PrintOptions) -> String {
    let mut types: Vec<(String, CustomType)> = schema
        .tables
        .iter()
        .flat_map(|t| overrides(t, options))
        .flatten()
        .collect();
    if types.is_empty() {
        return String::new();
    }
    types.sort_by(|a, b| a.0.cmp(&b.0));
    if !types[0].1.mysql {
        types.dedup_by(|a, b| a.0 == b.0);
    }
    let mut derives = options.custom_type_derives.clone();
    if !derives.iter().any(|d| d == "diesel::sql_types::SqlType") {
        derives.push("diesel::sql_types::SqlType".into());
    }
    let mut inner = String::from("pub mod sql_types {\n");
    for (i, (name, custom)) in types.iter().enumerate() {
        if i > 0 {
            inner.push('\n');
        }
        let _ = writeln!(inner, "#[derive({})]", derives.join(", "));
        if custom.mysql {
            let mut chars = custom.sql_name.chars();
            let mysql_name: String = match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect(),
                None => String::new(),
            };
            let _ = writeln!(inner, "#[diesel(mysql_type(name = \"{mysql_name}\"))]");
        } else if let Some(type_schema) = &custom.schema {
            let _ = writeln!(
                inner,
                "#[diesel(postgres_type(name = {}, schema = {}))]",
                rust_string(&custom.sql_name),
                rust_string(type_schema)
            );
        } else {
            let _ = writeln!(
                inner,
                "#[diesel(postgres_type(name = {}))]",
                rust_string(&custom.sql_name)
            );
        }
        let _ = writeln!(inner, "pub struct {name};");
    }
    let mut out = pad(&inner);
    out.push_str("}\n\n");
    out
}

fn table_definition(table: &Table, options: &PrintOptions) -> String {
    let name = rust_name(&table.name, None);
    let overrides = overrides(table, options);
    let mut inner = String::from("\n");
    let mut imported = false;
    for import in options.import_types.iter().flatten() {
        let _ = writeln!(inner, "use {import};");
        imported = true;
    }
    let mut seen: Vec<&str> = Vec::new();
    for (rust, _) in overrides.iter().flatten() {
        if !seen.contains(&rust.as_str()) {
            seen.push(rust);
            if !imported {
                inner.push_str("use diesel::sql_types::*;\n");
            }
            let _ = writeln!(inner, "use super::sql_types::{rust};");
            imported = true;
        }
    }
    if imported {
        inner.push('\n');
    }
    if name != table.name {
        let _ = writeln!(
            inner,
            "#[sql_name = {}]",
            rust_string(&table.qualified_name())
        );
    }
    let qualified = match &table.schema {
        Some(schema) => format!("{}.{name}", rust_name(schema, None)),
        None => name.clone(),
    };
    let keys: Vec<String> = table
        .primary_key
        .iter()
        .map(|k| rust_name(k, Some(&name)))
        .collect();
    let _ = write!(inner, "{qualified} ({}) ", keys.join(", "));
    let mut columns = String::from("{\n");
    for (column, custom) in table.columns.iter().zip(&overrides) {
        let rust = rust_name(&column.name, Some(&name));
        if rust != column.name {
            let _ = writeln!(columns, "#[sql_name = {}]", rust_string(&column.name));
        }
        if let Some(max_length) = column.max_length {
            let _ = writeln!(columns, "#[max_length = {max_length}]");
        }
        let sql_type = match custom {
            Some((custom, _)) => column.sql_type.replace(base_type(&column.sql_type), custom),
            None => column.sql_type.clone(),
        };
        let sql_type = if column.nullable {
            format!("Nullable<{sql_type}>")
        } else {
            sql_type
        };
        let _ = writeln!(columns, "{rust} -> {sql_type},");
    }
    inner.push_str(&pad(&columns));
    inner.push_str("}\n");
    let mut out = String::from("diesel::table! {");
    out.push_str(&pad(&inner));
    out.push('}');
    out
}

/// The groups of tables foreign keys connect, each sorted, sorted by their first table.
fn connected(schema: &Schema) -> Vec<Vec<String>> {
    let mut seen: Vec<&str> = Vec::new();
    let mut groups = Vec::new();
    for table in &schema.tables {
        if seen.contains(&table.name.as_str()) {
            continue;
        }
        seen.push(&table.name);
        let mut group = Vec::new();
        let mut pending = vec![table.name.as_str()];
        while let Some(name) = pending.pop() {
            group.push(name.to_string());
            for key in &schema.foreign_keys {
                for (from, to) in [(&key.parent, &key.child), (&key.child, &key.parent)] {
                    if from == name && !seen.contains(&to.as_str()) {
                        seen.push(to);
                        pending.push(to);
                    }
                }
            }
        }
        group.sort();
        groups.push(group);
    }
    groups.sort();
    groups
}

fn definitions(schema: &Schema, options: &PrintOptions) -> String {
    let mut out = String::new();
    for (i, table) in schema.tables.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&table_definition(table, options));
        out.push('\n');
    }
    if !schema.foreign_keys.is_empty() {
        out.push('\n');
    }
    for key in &schema.foreign_keys {
        let child = rust_name(&key.child, None);
        let _ = writeln!(
            out,
            "diesel::joinable!({child} -> {} ({}));",
            rust_name(&key.parent, None),
            rust_name(&key.column, Some(&child))
        );
    }
    let groups = match options.table_groups {
        TableGroups::AllTables => vec![schema.tables.iter().map(|t| t.name.clone()).collect()],
        TableGroups::FkRelatedTables => connected(schema),
        TableGroups::None => Vec::new(),
    };
    for (i, group) in groups.iter().filter(|g| g.len() >= 2).enumerate() {
        if i == 0 {
            out.push('\n');
        }
        out.push_str("diesel::allow_tables_to_appear_in_same_query!(");
        let mut inner = String::from("\n");
        for table in group {
            inner.push_str(&rust_name(table, None));
            inner.push(',');
        }
        out.push_str(&pad(&inner));
        out.push_str(");\n");
    }
    out
}

/// The text before `rustfmt`.
pub fn unformatted(schema: &Schema, options: &PrintOptions) -> String {
    let mut out = String::new();
    out.push_str(HEADER);
    out.push('\n');
    match &options.schema {
        Some(module) => {
            let mut inner = format!("pub mod {} {{\n", rust_name(module, None));
            inner.push_str(&sql_types(schema, options));
            inner.push_str(&definitions(schema, options));
            out.push_str(&pad(&inner));
            out.push_str("}\n");
        }
        None => {
            out.push_str(&sql_types(schema, options));
            out.push_str(&definitions(schema, options));
        }
    }
    out
}

/// Why a schema cannot be printed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrintError {
    /// A table without a primary key, which `diesel::table!` cannot declare (diesel
    /// print-schema refuses it too; diesel.toml's `except_tables` can leave it out).
    #[error("diesel only supports tables with primary keys, and table {0} has none (leave it out with diesel.toml's `[print_schema] filter = {{ except_tables = [..] }}`)")]
    NoPrimaryKey(String),
}

/// The schema as `diesel print-schema` prints it: [`unformatted`], through `rustfmt` where
/// it runs (as diesel does; without it, diesel prints the unformatted text too).
pub fn print_schema(schema: &Schema, options: &PrintOptions) -> Result<String, PrintError> {
    if let Some(table) = schema.tables.iter().find(|t| t.primary_key.is_empty()) {
        return Err(PrintError::NoPrimaryKey(table.qualified_name()));
    }
    let text = unformatted(schema, options);
    Ok(rustfmt(&text).unwrap_or(text))
}

fn rustfmt(text: &str) -> Option<String> {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let mut child = Command::new("rustfmt")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(text.as_bytes()).ok()?;
    let output = child.wait_with_output().ok()?;
    if !output.status.success() {
        return None;
    }
    String::from_utf8(output.stdout).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_rust_names_as_diesel_makes_them() {
        assert_eq!(rust_name("users", None), "users");
        assert_eq!(rust_name("type", Some("t")), "type_");
        assert_eq!(rust_name("table", Some("t")), "table_");
        assert_eq!(rust_name("users", Some("users")), "users_");
        assert_eq!(rust_name("__hidden", None), "__hidden_");
        assert_eq!(rust_name("first name", None), "first_name");
        assert_eq!(rust_name("a - b", None), "a_b");
        assert_eq!(rust_name("say \"hi\" #1", None), "say_hi_1");
        assert_eq!(rust_name("1st", None), "_1st");
        assert_eq!(rust_string("say \"hi\" #1"), "r##\"say \"hi\" #1\"##");
        assert_eq!(rust_string("plain"), "\"plain\"");
    }
}
