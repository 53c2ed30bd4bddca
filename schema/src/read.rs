//! Reading `schema.rs` as diesel writes it.

use std::collections::BTreeSet;

use diesel_table_macro_syntax::TableDecl;
use syn::spanned::Spanned;

use crate::{Column, CustomType, ForeignKey, Schema, Table};

/// Why a `schema.rs` could not be read: the line and column of the problem and what it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{column}: {message}")]
pub struct ReadError {
    /// The line, from 1.
    pub line: usize,
    /// The column, from 1.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl ReadError {
    fn at(span: proc_macro2::Span, message: impl Into<String>) -> ReadError {
        let start = span.start();
        ReadError {
            line: start.line,
            column: start.column + 1,
            message: message.into(),
        }
    }
}

/// Reads the tables, primary keys, columns and foreign keys a `schema.rs` declares:
/// `diesel::table!` (also inside modules, as `print-schema` writes the tables of a PostgreSQL
/// schema, `audit.events`), `diesel::joinable!`, and nothing from the rest (`allow_tables_to_appear_in_same_query!`,
/// the `sql_types` module, `use` lines, doc comments). A custom type is named by the last
/// segment of its path (`super::sql_types::Mood` is `Mood`), and is the type the
/// `sql_types` module declares under that name. Types keep the names the file gives them
/// (`Int4`, `Varchar`); [`Column::canonical_type`] compares them.
pub fn read_schema_rs(text: &str) -> Result<Schema, ReadError> {
    let file = syn::parse_file(text).map_err(|e| ReadError::at(e.span(), e.to_string()))?;
    let mut schema = Schema::default();
    let mut types = Vec::new();
    read_items(&file.items, &mut schema, &mut types)?;
    // A column of a type the `sql_types` module declares is of that type.
    for table in &mut schema.tables {
        for column in &mut table.columns {
            let base = column.sql_type.rsplit('<').next().unwrap_or_default();
            let base = base.trim_end_matches('>');
            column.custom = types
                .iter()
                .find(|(name, _)| name == base)
                .map(|(_, custom)| custom.clone());
            // A MySQL type is declared per column (`UsersMoodEnum`); the column's type is the
            // database's (`Enum`), as introspection names it.
            if let Some(custom) = column.custom.as_ref().filter(|c| c.mysql) {
                let base = base.to_string();
                column.sql_type = column
                    .sql_type
                    .replace(&base, &crate::upper_camel(&custom.sql_name));
            }
        }
    }
    schema
        .tables
        .sort_by(|a, b| (&a.schema, &a.name).cmp(&(&b.schema, &b.name)));
    let mut seen = BTreeSet::new();
    for table in &schema.tables {
        if !seen.insert(table.qualified_name()) {
            return Err(ReadError {
                line: 0,
                column: 0,
                message: format!("table {} is declared twice", table.qualified_name()),
            });
        }
    }
    schema.foreign_keys.sort();
    Ok(schema)
}

fn read_items(
    items: &[syn::Item],
    schema: &mut Schema,
    types: &mut Vec<(String, CustomType)>,
) -> Result<(), ReadError> {
    for item in items {
        match item {
            syn::Item::Macro(item) => {
                let Some(name) = item.mac.path.segments.last().map(|s| s.ident.to_string()) else {
                    continue;
                };
                match name.as_str() {
                    "table" => {
                        let decl: TableDecl = syn::parse2(item.mac.tokens.clone())
                            .map_err(|e| ReadError::at(e.span(), e.to_string()))?;
                        schema.tables.push(table(&decl)?);
                    }
                    "joinable" => schema.foreign_keys.push(joinable(&item.mac)?),
                    _ => {}
                }
            }
            // `pub mod <schema> { diesel::table! { <schema>.<table> .. } }`: the table names its
            // schema itself, so a module of the user's own changes nothing.
            syn::Item::Mod(item) => {
                if let Some((_, items)) = &item.content {
                    if item.ident == "sql_types" {
                        types.extend(items.iter().filter_map(custom_type));
                    } else {
                        read_items(items, schema, types)?;
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// `#[diesel(postgres_type(name = "mood", schema = "s"))] pub struct Mood;` (or
/// `mysql_type(name = "Enum")`): the struct's name and the type it declares.
fn custom_type(item: &syn::Item) -> Option<(String, CustomType)> {
    let syn::Item::Struct(item) = item else {
        return None;
    };
    let mut found = None;
    for attr in item.attrs.iter().filter(|a| a.path().is_ident("diesel")) {
        let _ = attr.parse_nested_meta(|meta| {
            let mysql = meta.path.is_ident("mysql_type");
            if !mysql && !meta.path.is_ident("postgres_type") {
                return Ok(());
            }
            let mut custom = CustomType {
                sql_name: String::new(),
                schema: None,
                mysql,
            };
            meta.parse_nested_meta(|inner| {
                let value: syn::LitStr = inner.value()?.parse()?;
                if inner.path.is_ident("name") {
                    custom.sql_name = value.value();
                } else if inner.path.is_ident("schema") {
                    custom.schema = Some(value.value());
                }
                Ok(())
            })?;
            if mysql {
                custom.sql_name = custom.sql_name.to_lowercase();
            }
            found = Some(custom);
            Ok(())
        });
    }
    Some((item.ident.to_string(), found?))
}

fn table(decl: &TableDecl) -> Result<Table, ReadError> {
    let columns = decl
        .column_defs
        .iter()
        .map(|c| {
            let (sql_type, nullable) = type_of(&c.tpe)?;
            let max_length = match &c.max_length {
                Some(n) => Some(
                    n.base10_parse::<u64>()
                        .map_err(|e| ReadError::at(n.span(), e.to_string()))?,
                ),
                None => None,
            };
            Ok(Column {
                name: c.sql_name.clone(),
                sql_type,
                nullable,
                max_length,
                custom: None,
                comment: None,
            })
        })
        .collect::<Result<Vec<_>, ReadError>>()?;
    // Without a primary key list, diesel's `table!` takes `id`.
    let primary_key = match &decl.primary_keys {
        Some(keys) => keys
            .keys
            .iter()
            .map(|key| {
                let name = key.to_string();
                decl.column_defs
                    .iter()
                    .find(|c| c.column_name == *key)
                    .map_or(name, |c| c.sql_name.clone())
            })
            .collect(),
        None => vec!["id".to_string()],
    };
    Ok(Table {
        schema: decl.schema.as_ref().map(|s| s.to_string()),
        name: decl.sql_name.clone(),
        primary_key,
        columns,
        comment: None,
    })
}

/// A column's type as written (the last name of each path), and whether it is
/// `Nullable<..>`.
fn type_of(path: &syn::TypePath) -> Result<(String, bool), ReadError> {
    let last = path
        .path
        .segments
        .last()
        .ok_or_else(|| ReadError::at(path.span(), "a column without a type"))?;
    if last.ident == "Nullable" {
        let inner = only_argument(last)?;
        let (name, _) = type_of(inner)?;
        return Ok((name, true));
    }
    Ok((type_name(path)?, false))
}

/// The name of a type path as written, with its arguments (`Array<Nullable<Text>>`).
fn type_name(path: &syn::TypePath) -> Result<String, ReadError> {
    let last = path
        .path
        .segments
        .last()
        .ok_or_else(|| ReadError::at(path.span(), "a column without a type"))?;
    let name = last.ident.to_string();
    match &last.arguments {
        syn::PathArguments::None => Ok(name),
        syn::PathArguments::AngleBracketed(_) => {
            let inner = only_argument(last)?;
            let (inner_name, nullable) = type_of(inner)?;
            let inner_name = if nullable {
                format!("Nullable<{inner_name}>")
            } else {
                inner_name
            };
            Ok(format!("{name}<{inner_name}>"))
        }
        syn::PathArguments::Parenthesized(_) => Err(ReadError::at(
            path.span(),
            "a column type cannot be a function type",
        )),
    }
}

fn only_argument(segment: &syn::PathSegment) -> Result<&syn::TypePath, ReadError> {
    match &segment.arguments {
        syn::PathArguments::AngleBracketed(args) if args.args.len() == 1 => match &args.args[0] {
            syn::GenericArgument::Type(syn::Type::Path(path)) => Ok(path),
            other => Err(ReadError::at(
                other.span(),
                format!("{} takes a type", segment.ident),
            )),
        },
        _ => Err(ReadError::at(
            segment.span(),
            format!("{} takes one type", segment.ident),
        )),
    }
}

/// `joinable!(child -> parent (column))`.
fn joinable(mac: &syn::Macro) -> Result<ForeignKey, ReadError> {
    struct Joinable(ForeignKey);
    impl syn::parse::Parse for Joinable {
        fn parse(input: syn::parse::ParseStream<'_>) -> syn::Result<Self> {
            let child: syn::Ident = input.parse()?;
            input.parse::<syn::Token![->]>()?;
            let parent: syn::Ident = input.parse()?;
            let content;
            syn::parenthesized!(content in input);
            let column: syn::Ident = content.parse()?;
            Ok(Joinable(ForeignKey {
                child: child.to_string(),
                parent: parent.to_string(),
                column: column.to_string(),
            }))
        }
    }
    syn::parse2::<Joinable>(mac.tokens.clone())
        .map(|j| j.0)
        .map_err(|e| ReadError::at(e.span(), format!("joinable!: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_print_schema_writes() {
        let text = r#"
// @generated automatically by Diesel CLI.

pub mod sql_types {
    #[derive(diesel::query_builder::QueryId, Clone, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "mood"))]
    pub struct Mood;
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::Mood;

    /// The people.
    users (id) {
        id -> Int4,
        #[max_length = 100]
        name -> Varchar,
        email -> Nullable<Text>,
        mood -> Nullable<Mood>,
        tags -> Array<Nullable<Text>>,
        #[sql_name = "type"]
        type_ -> Text,
    }
}

diesel::table! {
    posts (user_id, slug) {
        user_id -> Integer,
        slug -> Text,
    }
}

pub mod audit {
    diesel::table! {
        audit.events {
            id -> BigInt,
        }
    }
}

diesel::joinable!(posts -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(posts, users);
"#;
        let schema = read_schema_rs(text).unwrap();
        let names: Vec<String> = schema.tables.iter().map(|t| t.qualified_name()).collect();
        assert_eq!(names, ["posts", "users", "audit.events"]);
        let users = &schema.tables[1];
        let columns: Vec<String> = users
            .columns
            .iter()
            .map(|c| format!("{} {}", c.name, c.diesel_type()))
            .collect();
        assert_eq!(
            columns,
            [
                "id Int4",
                "name Varchar",
                "email Nullable<Text>",
                "mood Nullable<Mood>",
                "tags Array<Nullable<Text>>",
                "type Text"
            ]
        );
        assert_eq!(users.primary_key, ["id"]);
        assert_eq!(users.columns[1].max_length, Some(100));
        assert_eq!(users.columns[1].canonical_type(), "Text");
        assert_eq!(
            users.columns[3]
                .custom
                .as_ref()
                .map(|c| c.sql_name.as_str()),
            Some("mood")
        );
        assert_eq!(schema.tables[0].primary_key, ["user_id", "slug"]);
        assert_eq!(schema.tables[2].primary_key, ["id"]);
        assert_eq!(
            schema.foreign_keys,
            [ForeignKey {
                child: "posts".into(),
                parent: "users".into(),
                column: "user_id".into()
            }]
        );
    }

    #[test]
    fn a_broken_file_is_an_error_with_its_line() {
        let error =
            read_schema_rs("diesel::table! {\n    users (id) {\n        id -> ,\n    }\n}\n")
                .unwrap_err();
        assert_eq!(error.line, 3, "{error}");
        assert!(read_schema_rs("fn (").is_err());
    }
}
