//! A PostgreSQL database's schema as `diesel print-schema` reads it: the base tables of one
//! schema (`public` unless named), not those starting with `__` nor those the filter leaves
//! out, sorted by name; each column's type as diesel names it (the type's name in
//! UpperCamelCase, `Int4`, `Varchar`, `Timestamptz`; a type diesel has none for, such as an
//! enum, by its name, `Mood`, declared in the `sql_types` module; an array
//! `Array<Nullable<..>>`), with its `max_length`; primary keys in key order; foreign keys by
//! diesel's `joinable!` rules.

use diesel::pg::PgConnection;
use diesel::{QueryableByName, RunQueryDsl};

use crate::{upper_camel, Column, CustomType, IntrospectError, Name, Schema, Table, TableFilter};

/// The schema diesel reads when none is named.
const DEFAULT_SCHEMA: &str = "public";

/// The SQL types diesel provides for PostgreSQL beside [`crate::COMMON_DIESEL_TYPES`], by the names `print-schema` gives them; a
/// column of any other type has its type declared in the `sql_types` module.
const DIESEL_TYPES: &[&str] = &[
    "Cidr",
    "Citext",
    "Inet",
    "Jsonb",
    "MacAddr",
    "MacAddr8",
    "Money",
    "Oid",
    "Range",
    "Timestamptz",
    "Uuid",
    "Json",
    "PgLsn",
    "Record",
    "Interval",
    "Int4range",
    "Int8range",
    "Daterange",
    "Numrange",
    "Tsrange",
    "Tstzrange",
    "Int4multirange",
    "Int8multirange",
    "Datemultirange",
    "Nummultirange",
    "Tsmultirange",
    "Tstzmultirange",
    "SmallSerial",
    "BigSerial",
    "Serial",
    "Bytea",
    "Bpchar",
    "Macaddr",
    "Macaddr8",
];

#[derive(QueryableByName)]
struct ColumnRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    udt: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    udt_schema: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    nullable: bool,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Integer>)]
    max_length: Option<i32>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    comment: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    domain: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    domain_schema: Option<String>,
}

#[derive(QueryableByName)]
struct Comment {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    comment: Option<String>,
}

#[derive(QueryableByName)]
struct KeyRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    child: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    parent: String,
    #[diesel(sql_type = diesel::sql_types::Array<diesel::sql_types::Nullable<diesel::sql_types::Text>>)]
    columns: Vec<Option<String>>,
    #[diesel(sql_type = diesel::sql_types::Array<diesel::sql_types::Nullable<diesel::sql_types::Text>>)]
    referenced: Vec<Option<String>>,
    /// The constraint's name (of one of them, where several join the pair).
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

/// A column of the type PostgreSQL names `udt` (`int4`, `_text` for `text[]`) in the schema
/// `udt_schema`, as diesel prints it.
pub fn postgres_column(
    name: String,
    udt: &str,
    udt_schema: Option<&str>,
    nullable: bool,
    max_length: Option<u64>,
) -> Column {
    let (element, array) = match udt.strip_prefix('_') {
        Some(element) => (element, true),
        None => (udt, false),
    };
    let rust = upper_camel(element);
    let custom = (!(crate::COMMON_DIESEL_TYPES.contains(&rust.as_str())
        || DIESEL_TYPES.contains(&rust.as_str())))
    .then(|| CustomType {
        sql_name: element.to_string(),
        schema: udt_schema
            .filter(|s| *s != DEFAULT_SCHEMA)
            .map(str::to_string),
        mysql: false,
    });
    Column {
        name,
        sql_type: if array {
            format!("Array<Nullable<{rust}>>")
        } else {
            rust
        },
        nullable,
        max_length,
        custom,
        comment: None,
    }
}

/// The schema of `schema` (default `public`, as diesel reads it) in the database `conn` is
/// connected to: the tables `filter` keeps. A column whose type is a domain one of
/// `domains` matches (diesel.toml's `pg_domains_as_custom_types`) is of that domain, a custom
/// type, rather than of the domain's base type.
pub fn introspect(
    conn: &mut PgConnection,
    schema: Option<&str>,
    filter: &TableFilter,
    domains: &[regex::Regex],
) -> Result<Schema, IntrospectError> {
    let namespace = schema.unwrap_or(DEFAULT_SCHEMA).to_string();
    let named = schema.filter(|s| *s != DEFAULT_SCHEMA).map(str::to_string);
    let names: Vec<Name> = diesel::sql_query(
        "SELECT CAST(table_name AS TEXT) AS name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE' AND table_name NOT LIKE '\\_\\_%'",
    )
    .bind::<diesel::sql_types::Text, _>(&namespace)
    .load(conn)?;
    // By name in Rust's order (bytes), as diesel sorts them, not the database's collation.
    let mut names: Vec<String> = names.into_iter().map(|n| n.name).collect();
    names.sort_unstable();
    let mut out = Schema::default();
    for name in names.into_iter().filter(|n| filter.keeps(n)) {
        let rows: Vec<ColumnRow> = diesel::sql_query(
            "SELECT CAST(column_name AS TEXT) AS name, CAST(udt_name AS TEXT) AS udt, CAST(udt_schema AS TEXT) AS udt_schema, is_nullable = 'YES' AS nullable, CAST(character_maximum_length AS INTEGER) AS max_length, col_description(CAST(format('%I.%I', table_schema, table_name) AS regclass), ordinal_position) AS comment, CAST(domain_name AS TEXT) AS domain, CAST(domain_schema AS TEXT) AS domain_schema FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position",
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
        let comment: Comment = diesel::sql_query(
            "SELECT obj_description(CAST(format('%I.%I', CAST($1 AS TEXT), CAST($2 AS TEXT)) AS regclass), 'pg_class') AS comment",
        )
        .bind::<diesel::sql_types::Text, _>(&namespace)
        .bind::<diesel::sql_types::Text, _>(&name)
        .get_result(conn)?;
        out.tables.push(Table {
            comment: comment.comment,
            schema: named.clone(),
            name,
            primary_key: keys.into_iter().map(|k| k.name).collect(),
            columns: rows
                .into_iter()
                .map(|r| {
                    let (udt, udt_schema) = match r.domain {
                        Some(domain) if domains.iter().any(|d| d.is_match(&domain)) => {
                            (domain, r.domain_schema)
                        }
                        _ => (r.udt, r.udt_schema),
                    };
                    Column {
                        comment: r.comment,
                        ..postgres_column(
                            r.name,
                            &udt,
                            udt_schema.as_deref(),
                            r.nullable,
                            r.max_length.and_then(|n| u64::try_from(n).ok()),
                        )
                    }
                })
                .collect(),
        });
    }
    // The foreign keys between each pair of tables of the schema, as one key: two keys from
    // one table to another make one of two columns, which `joinable!` cannot state.
    let keys: Vec<KeyRow> = diesel::sql_query(
        "SELECT CAST(tbl.relname AS TEXT) AS child, CAST(f_tbl.relname AS TEXT) AS parent, \
         ARRAY_AGG(CAST(col.attname AS TEXT) ORDER BY u.position) AS columns, \
         ARRAY_AGG(CAST(f_col.attname AS TEXT) ORDER BY u.position) AS referenced, \
         MIN(CAST(c.conname AS TEXT)) AS name \
         FROM pg_constraint c \
         CROSS JOIN LATERAL UNNEST(c.conkey, c.confkey) WITH ORDINALITY AS u(attnum, f_attnum, position) \
         JOIN pg_class tbl ON tbl.oid = c.conrelid \
         JOIN pg_namespace sch ON sch.oid = tbl.relnamespace \
         JOIN pg_attribute col ON col.attrelid = tbl.oid AND col.attnum = u.attnum \
         JOIN pg_class f_tbl ON f_tbl.oid = c.confrelid \
         JOIN pg_namespace f_sch ON f_sch.oid = f_tbl.relnamespace \
         JOIN pg_attribute f_col ON f_col.attrelid = f_tbl.oid AND f_col.attnum = u.f_attnum \
         WHERE c.contype = 'f' AND sch.nspname = $1 AND f_sch.nspname = $1 \
         GROUP BY tbl.relname, f_tbl.relname",
    )
    .bind::<diesel::sql_types::Text, _>(&namespace)
    .load(conn)?;
    let keys: Vec<crate::RawKey> = keys
        .into_iter()
        .map(|k| crate::RawKey {
            child: k.child,
            parent: k.parent,
            columns: k.columns.into_iter().flatten().collect(),
            referenced: k.referenced,
            name: Some(k.name),
        })
        .collect();
    out.set_foreign_keys(crate::joinables(&out.tables, &keys, false));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn printed(udt: &str) -> (String, Option<String>) {
        let column = postgres_column("c".into(), udt, Some("pg_catalog"), false, None);
        (column.sql_type, column.custom.map(|c| c.sql_name))
    }

    #[test]
    fn postgres_types_are_named_as_diesel_names_them() {
        assert_eq!(printed("int4"), ("Int4".into(), None));
        assert_eq!(printed("varchar"), ("Varchar".into(), None));
        assert_eq!(printed("timestamptz"), ("Timestamptz".into(), None));
        assert_eq!(printed("_text"), ("Array<Nullable<Text>>".into(), None));
        assert_eq!(printed("pg_lsn"), ("PgLsn".into(), None));
        assert_eq!(
            printed("my_mood"),
            ("MyMood".into(), Some("my_mood".into()))
        );
        assert_eq!(
            printed("tsvector"),
            ("Tsvector".into(), Some("tsvector".into()))
        );
    }
}
