//! Reading `schema.rs` as diesel writes it.

use std::collections::BTreeSet;

use diesel_table_macro_syntax::TableDecl;
use syn::spanned::Spanned;

use crate::{canonical_type, Column, ForeignKey, Schema, Table};

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
/// segment of its path (`super::sql_types::Mood` is `Mood`).
pub fn read_schema_rs(text: &str) -> Result<Schema, ReadError> {
    let file = syn::parse_file(text).map_err(|e| ReadError::at(e.span(), e.to_string()))?;
    let mut schema = Schema::default();
    read_items(&file.items, &mut schema)?;
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

fn read_items(items: &[syn::Item], schema: &mut Schema) -> Result<(), ReadError> {
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
                    read_items(items, schema)?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn table(decl: &TableDecl) -> Result<Table, ReadError> {
    let columns = decl
        .column_defs
        .iter()
        .map(|c| {
            let (sql_type, nullable) = type_of(&c.tpe)?;
            Ok(Column {
                name: c.sql_name.clone(),
                sql_type,
                nullable,
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
    })
}

/// A column's type: its canonical name, and whether it is `Nullable<..>`.
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

/// The canonical name of a type path, with its arguments (`Array<Text>`).
fn type_name(path: &syn::TypePath) -> Result<String, ReadError> {
    let last = path
        .path
        .segments
        .last()
        .ok_or_else(|| ReadError::at(path.span(), "a column without a type"))?;
    let ident = last.ident.to_string();
    let name = canonical_type(&ident).to_string();
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
                "id Integer",
                "name Text",
                "email Nullable<Text>",
                "mood Nullable<Mood>",
                "tags Array<Nullable<Text>>",
                "type Text"
            ]
        );
        assert_eq!(users.primary_key, ["id"]);
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
