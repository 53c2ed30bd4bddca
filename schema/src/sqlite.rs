//! A SQLite database's schema as `diesel print-schema` reads it: the same tables (not
//! SQLite's own, not those starting with `__`, not the ones named in `exclude`), the same type
//! names, nullability, primary keys (the rowid where a table declares none) and foreign keys
//! (single-column ones to a table's single-column primary key, not between tables that have
//! several, as `joinable!` can state only one).

use diesel::sqlite::SqliteConnection;
use diesel::{QueryableByName, RunQueryDsl};

use crate::{Column, IntrospectError, Name, Schema, Table, TableFilter};

#[derive(QueryableByName)]
struct ColumnRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    kind: String,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    not_null: bool,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pk: i32,
}

#[derive(QueryableByName)]
struct KeyRow {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    id: i32,
    #[diesel(sql_type = diesel::sql_types::Text)]
    parent: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    from: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    to: Option<String>,
}

/// Whether `table` is a rowid table (not `WITHOUT ROWID`) whose primary key is one column
/// (the rowid itself where it declares none): what diesel's
/// `sqlite_integer_primary_key_is_bigint` reads as a 64-bit row id.
fn has_row_id_key(conn: &mut SqliteConnection, table: &str) -> Result<bool, IntrospectError> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let without_rowid: Count =
        diesel::sql_query("SELECT COUNT(*) AS n FROM pragma_table_list WHERE name = ? AND wr <> 0")
            .bind::<diesel::sql_types::Text, _>(table)
            .get_result(conn)?;
    let keys: Count =
        diesel::sql_query("SELECT COUNT(*) AS n FROM pragma_table_info(?) WHERE pk > 0")
            .bind::<diesel::sql_types::Text, _>(table)
            .get_result(conn)?;
    Ok(without_rowid.n == 0 && keys.n <= 1)
}

/// The schema of the database `conn` is connected to: the tables `filter` keeps. Where
/// `row_ids_as_bigint` (diesel.toml's `sqlite_integer_primary_key_is_bigint`), a rowid
/// table's sole `INTEGER` primary key, and a column whose single-column foreign key refers to
/// such a table, is `BigInt`, as SQLite's row ids are 64-bit.
pub fn introspect(
    conn: &mut SqliteConnection,
    filter: &TableFilter,
    row_ids_as_bigint: bool,
) -> Result<Schema, IntrospectError> {
    let names: Vec<Name> = diesel::sql_query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' AND name NOT LIKE '\\_\\_%' ESCAPE '\\' ORDER BY name",
    )
    .load(conn)?;
    let names: Vec<String> = names
        .into_iter()
        .map(|n| n.name)
        .filter(|n| filter.keeps(n))
        .collect();
    let mut schema = Schema::default();
    // Each foreign-key constraint: its table, and its rows (one per column).
    let mut constraints: Vec<(String, Vec<KeyRow>)> = Vec::new();
    for name in &names {
        let rows: Vec<ColumnRow> = diesel::sql_query(
            "SELECT name, type AS kind, \"notnull\" AS not_null, pk FROM pragma_table_xinfo(?) WHERE hidden <> 1 ORDER BY cid",
        )
        .bind::<diesel::sql_types::Text, _>(name)
        .load(conn)?;
        let mut primary_key: Vec<String> = rows
            .iter()
            .filter(|r| r.pk > 0)
            .map(|r| r.name.clone())
            .collect();
        let mut columns: Vec<Column> = Vec::with_capacity(rows.len());
        for row in &rows {
            let (sql_type, known) = sqlite_type(&row.kind);
            if !known {
                return Err(IntrospectError::UnsupportedType {
                    table: name.clone(),
                    column: row.name.clone(),
                    declared: row.kind.clone(),
                });
            }
            columns.push(Column {
                name: row.name.clone(),
                sql_type,
                nullable: !row.not_null,
                max_length: None,
                custom: None,
                comment: None,
            });
        }
        if primary_key.is_empty() {
            // A table without a primary key has its rowid, under the first of its names that
            // no column takes.
            if let Some(alias) = ["rowid", "oid", "_rowid_"]
                .into_iter()
                .find(|alias| !rows.iter().any(|r| r.name.eq_ignore_ascii_case(alias)))
            {
                primary_key.push(alias.to_string());
                columns.insert(
                    0,
                    Column {
                        name: alias.to_string(),
                        sql_type: "Integer".into(),
                        nullable: false,
                        max_length: None,
                        custom: None,
                        comment: None,
                    },
                );
            }
        }
        let keys: Vec<KeyRow> = diesel::sql_query(
            "SELECT id, \"table\" AS parent, \"from\", \"to\" FROM pragma_foreign_key_list(?) ORDER BY id, seq",
        )
        .bind::<diesel::sql_types::Text, _>(name)
        .load(conn)?;
        if row_ids_as_bigint {
            let own_key = match primary_key.as_slice() {
                [pk] if has_row_id_key(conn, name)? => Some(pk.clone()),
                _ => None,
            };
            for column in columns.iter_mut().filter(|c| c.sql_type == "Integer") {
                // Its declared type is `INTEGER` (the rowid's own is too).
                let declared_integer = rows
                    .iter()
                    .find(|r| r.name == column.name)
                    .is_none_or(|r| r.kind.eq_ignore_ascii_case("integer"));
                let is_row_id = declared_integer && own_key.as_deref() == Some(&column.name);
                let mut refers_to_row_id = false;
                for key in keys.iter().filter(|k| k.from == column.name) {
                    let single = keys.iter().filter(|k| k.id == key.id).count() == 1;
                    if single && has_row_id_key(conn, &key.parent)? {
                        refers_to_row_id = true;
                    }
                }
                if is_row_id || refers_to_row_id {
                    column.sql_type = "BigInt".into();
                }
            }
        }
        for key in keys {
            match constraints.last_mut() {
                Some((table, rows)) if table == name && rows[0].id == key.id => rows.push(key),
                _ => constraints.push((name.clone(), vec![key])),
            }
        }
        schema.tables.push(Table {
            schema: None,
            name: name.clone(),
            primary_key,
            columns,
            comment: None,
        });
    }
    let keys: Vec<crate::RawKey> = constraints
        .into_iter()
        .map(|(child, rows)| crate::RawKey {
            child,
            parent: rows[0].parent.clone(),
            columns: rows.iter().map(|r| r.from.clone()).collect(),
            referenced: rows.iter().map(|r| r.to.clone()).collect(),
            name: None,
        })
        .collect();
    schema.set_foreign_keys(crate::joinables(&schema.tables, &keys, true));
    Ok(schema)
}

/// diesel's SQL type for a column declared with `declared` (its rules, in its order), and
/// whether the declaration is one diesel knows.
pub fn sqlite_type(declared: &str) -> (String, bool) {
    let mut t = declared.to_lowercase();
    if t == "generated always" {
        t.clear();
    }
    let known = |name: &str| (name.to_string(), true);
    if t == "boolean" || t == "bool" || (t.contains("tiny") && t.contains("int")) {
        known("Bool")
    } else if t == "int2" || (t.contains("small") && t.contains("int")) {
        known("SmallInt")
    } else if t == "int8" || (t.contains("big") && t.contains("int")) {
        known("BigInt")
    } else if t.contains("int") {
        known("Integer")
    } else if t.contains("char") || t.contains("clob") || t.contains("text") {
        known("Text")
    } else if t.contains("blob") || t.contains("binary") || t.is_empty() {
        known("Binary")
    } else if t.contains("float") || t.contains("real") {
        known("Float")
    } else if t.contains("double") || t.contains("num") || t.contains("dec") {
        known("Double")
    } else if t == "datetime" || t == "timestamp" {
        known("Timestamp")
    } else if t == "date" {
        known("Date")
    } else if t == "time" {
        known("Time")
    } else {
        (declared.to_string(), false)
    }
}

/// The statements that create `table` as the database has it: its `CREATE TABLE`, then its
/// indexes and triggers, as `sqlite_master` states them (what a revision that drops the table
/// writes in its downgrade).
pub fn table_definition(
    conn: &mut SqliteConnection,
    table: &str,
) -> Result<Vec<String>, IntrospectError> {
    let rows: Vec<Name> = diesel::sql_query(
        "SELECT sql AS name FROM sqlite_master WHERE tbl_name = ? COLLATE NOCASE AND sql IS NOT NULL AND type IN ('table', 'index', 'trigger') ORDER BY type <> 'table', rowid",
    )
    .bind::<diesel::sql_types::Text, _>(table)
    .load(conn)?;
    Ok(rows.into_iter().map(|r| r.name).collect())
}

/// The parts of `table`'s definition, each on its own, to compare two databases' tables by:
/// each column and table constraint of its `CREATE TABLE` (spaces collapsed), each index and
/// trigger statement.
pub fn table_parts(
    conn: &mut SqliteConnection,
    table: &str,
) -> Result<Vec<String>, IntrospectError> {
    let mut statements = table_definition(conn, table)?.into_iter();
    let mut parts = Vec::new();
    if let Some(create) = statements.next() {
        let body = create
            .find('(')
            .zip(create.rfind(')'))
            .map_or("", |(open, close)| &create[open + 1..close.max(open + 1)]);
        parts.extend(top_level_items(body).into_iter().map(|p| collapse(&p)));
    }
    parts.extend(statements.map(|s| collapse(&s)));
    Ok(parts)
}

/// `text` with each run of white space one space.
fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The items of a list separated by commas outside parentheses and quotes.
fn top_level_items(text: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut item = String::new();
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    for c in text.chars() {
        match (quote, c) {
            (Some(q), _) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"' | '`') => quote = Some(c),
            (None, '[') => quote = Some(']'),
            (None, '(') => depth += 1,
            (None, ')') => depth = depth.saturating_sub(1),
            (None, ',') if depth == 0 => {
                items.push(std::mem::take(&mut item).trim().to_string());
                continue;
            }
            _ => {}
        }
        item.push(c);
    }
    if !item.trim().is_empty() {
        items.push(item.trim().to_string());
    }
    items
}
