//! A schema written as `diesel print-schema` writes it (its default settings: no doc
//! comments, every table in one `allow_tables_to_appear_in_same_query!`), then formatted by
//! `rustfmt` where it runs, as diesel does, so that the two print the same bytes.

use std::fmt::Write;

use crate::{Schema, Table};

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

fn table_rust_name(table: &Table) -> String {
    rust_name(&table.name, None)
}

/// The text before `rustfmt`.
pub fn unformatted(schema: &Schema) -> String {
    let mut out = String::new();
    out.push_str(HEADER);
    out.push('\n');
    for (i, table) in schema.tables.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let name = table_rust_name(table);
        out.push_str("diesel::table! {\n");
        if name != table.name {
            let _ = writeln!(out, "    #[sql_name = {}]", rust_string(&table.name));
        }
        let keys: Vec<String> = table
            .primary_key
            .iter()
            .map(|k| rust_name(k, Some(&name)))
            .collect();
        let _ = writeln!(out, "    {name} ({}) {{", keys.join(", "));
        for column in &table.columns {
            let rust = rust_name(&column.name, Some(&name));
            if rust != column.name {
                let _ = writeln!(out, "        #[sql_name = {}]", rust_string(&column.name));
            }
            let _ = writeln!(out, "        {rust} -> {},", column.diesel_type());
        }
        out.push_str("    }\n}\n");
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
    if schema.tables.len() >= 2 {
        out.push_str("\ndiesel::allow_tables_to_appear_in_same_query!(\n    ");
        for table in &schema.tables {
            out.push_str(&table_rust_name(table));
            out.push(',');
        }
        out.push_str(");\n");
    }
    out
}

/// The schema as `diesel print-schema` prints it: [`unformatted`], through `rustfmt` where
/// it runs (as diesel does; without it, diesel prints the unformatted text too).
pub fn print_schema(schema: &Schema) -> String {
    let text = unformatted(schema);
    rustfmt(&text).unwrap_or(text)
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
