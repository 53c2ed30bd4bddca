//! A PostgreSQL database's schema as `diesel print-schema` reads it: the base tables of one
//! schema (the connection's current one unless named), not those starting with `__` nor the
//! ones named in `exclude`; each column's type as diesel names it (the type's name in
//! UpperCamelCase, `Int4`, `Varchar`, `Timestamptz`, a custom type such as an enum by its
//! name, `Mood`; an array `Array<Nullable<..>>`), canonical in the model; primary keys in key
//! order; foreign keys by the same `joinable!` rules as SQLite's.

use diesel::pg::PgConnection;
use diesel::{QueryableByName, RunQueryDsl};

use crate::{canonical_type, Column, Name, Schema, Table};

#[derive(QueryableByName)]
struct ColumnRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    udt: String,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    nullable: bool,
}

#[derive(QueryableByName)]
struct KeyRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    child: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    parent: String,
    #[diesel(sql_type = diesel::sql_types::Array<diesel::sql_types::Text>)]
    columns: Vec<String>,
    #[diesel(sql_type = diesel::sql_types::Array<diesel::sql_types::Text>)]
    referenced: Vec<String>,
}

/// `int4` is `Int4`, `my_type` is `MyType`: diesel's Rust name of a PostgreSQL type.
fn upper_camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = true;
    for c in name.chars() {
        if c == '_' || c == ' ' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// A column's type in the model: canonical, arrays as diesel writes them.
pub fn postgres_type(udt: &str) -> String {
    match udt.strip_prefix('_') {
        Some(element) => format!("Array<Nullable<{}>>", canonical_type(&upper_camel(element))),
        None => canonical_type(&upper_camel(udt)).to_string(),
    }
}

/// The schema of `schema` (default: the connection's `current_schema()`) in the database
/// `conn` is connected to, without the tables named in `exclude` (aludel's own).
pub fn introspect(
    conn: &mut PgConnection,
    schema: Option<&str>,
    exclude: &[&str],
) -> diesel::QueryResult<Schema> {
    let namespace = match schema {
        Some(schema) => schema.to_string(),
        None => {
            let rows: Vec<Name> =
                diesel::sql_query("SELECT CAST(current_schema() AS TEXT) AS name").load(conn)?;
            rows.into_iter().next().map(|r| r.name).unwrap_or_default()
        }
    };
    let names: Vec<Name> = diesel::sql_query(
        "SELECT CAST(table_name AS TEXT) AS name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE' AND table_name NOT LIKE '\\_\\_%' ORDER BY table_name",
    )
    .bind::<diesel::sql_types::Text, _>(&namespace)
    .load(conn)?;
    let mut out = Schema::default();
    for name in names
        .into_iter()
        .map(|n| n.name)
        .filter(|n| !exclude.contains(&n.as_str()))
    {
        let rows: Vec<ColumnRow> = diesel::sql_query(
            "SELECT CAST(column_name AS TEXT) AS name, CAST(udt_name AS TEXT) AS udt, is_nullable = 'YES' AS nullable FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position",
        )
        .bind::<diesel::sql_types::Text, _>(&namespace)
        .bind::<diesel::sql_types::Text, _>(&name)
        .load(conn)?;
        let keys: Vec<Name> = diesel::sql_query(
            "SELECT CAST(k.column_name AS TEXT) AS name FROM information_schema.key_column_usage k JOIN information_schema.table_constraints c ON c.constraint_name = k.constraint_name AND c.table_schema = k.table_schema AND c.table_name = k.table_name WHERE c.constraint_type = 'PRIMARY KEY' AND k.table_schema = $1 AND k.table_name = $2 ORDER BY k.ordinal_position",
        )
        .bind::<diesel::sql_types::Text, _>(&namespace)
        .bind::<diesel::sql_types::Text, _>(&name)
        .load(conn)?;
        out.tables.push(Table {
            schema: schema.map(str::to_string),
            name,
            primary_key: keys.into_iter().map(|k| k.name).collect(),
            columns: rows
                .into_iter()
                .map(|r| Column {
                    name: r.name,
                    sql_type: postgres_type(&r.udt),
                    nullable: r.nullable,
                })
                .collect(),
        });
    }
    // Each foreign-key constraint of the schema, its columns in key order.
    let keys: Vec<KeyRow> = diesel::sql_query(
        "SELECT CAST(tbl.relname AS TEXT) AS child, CAST(f_tbl.relname AS TEXT) AS parent, \
         ARRAY_AGG(CAST(col.attname AS TEXT) ORDER BY u.position) AS columns, \
         ARRAY_AGG(CAST(f_col.attname AS TEXT) ORDER BY u.position) AS referenced \
         FROM pg_constraint c \
         CROSS JOIN LATERAL UNNEST(c.conkey, c.confkey) WITH ORDINALITY AS u(attnum, f_attnum, position) \
         JOIN pg_class tbl ON tbl.oid = c.conrelid \
         JOIN pg_namespace sch ON sch.oid = tbl.relnamespace \
         JOIN pg_attribute col ON col.attrelid = tbl.oid AND col.attnum = u.attnum \
         JOIN pg_class f_tbl ON f_tbl.oid = c.confrelid \
         JOIN pg_namespace f_sch ON f_sch.oid = f_tbl.relnamespace \
         JOIN pg_attribute f_col ON f_col.attrelid = f_tbl.oid AND f_col.attnum = u.f_attnum \
         WHERE c.contype = 'f' AND sch.nspname = $1 AND f_sch.nspname = $1 \
         GROUP BY c.oid, tbl.relname, f_tbl.relname ORDER BY 1, 2",
    )
    .bind::<diesel::sql_types::Text, _>(&namespace)
    .load(conn)?;
    let keys: Vec<crate::RawKey> = keys
        .into_iter()
        .filter(|k| out.tables.iter().any(|t| t.name == k.child))
        .map(|k| crate::RawKey {
            child: k.child,
            parent: k.parent,
            columns: k.columns,
            referenced: k.referenced.into_iter().map(Some).collect(),
        })
        .collect();
    out.foreign_keys = crate::joinables(&out.tables, &keys);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_types_are_named_as_diesel_names_them() {
        assert_eq!(postgres_type("int4"), "Integer");
        assert_eq!(postgres_type("varchar"), "Text");
        assert_eq!(postgres_type("timestamptz"), "Timestamptz");
        assert_eq!(postgres_type("_text"), "Array<Nullable<Text>>");
        assert_eq!(postgres_type("my_mood"), "MyMood");
        assert_eq!(postgres_type("float8"), "Double");
    }
}
