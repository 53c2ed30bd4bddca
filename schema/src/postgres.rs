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

/// The statements that create `table` (of the connection's current schema) as the database
/// has it: its columns with their types, defaults and identities (a column numbered by a
/// sequence the table owns as `SERIAL`, whose sequence goes with the table), its constraints
/// (`pg_get_constraintdef`, foreign keys last), then its other indexes (`pg_get_indexdef`):
/// what a revision that drops the table writes in its downgrade.
pub fn table_definition(
    conn: &mut PgConnection,
    table: &str,
) -> Result<Vec<String>, IntrospectError> {
    let (parts, indexes) = definition(conn, table)?;
    let quoted = format!("\"{}\"", table.replace('"', "\"\""));
    let mut out = vec![format!("CREATE TABLE {quoted} ({})", parts.join(", "))];
    out.extend(indexes);
    Ok(out)
}

/// The parts of `table`'s definition, each on its own, to compare two databases' tables by:
/// each column with its type, nullability and default, each constraint, each other index.
pub fn table_parts(conn: &mut PgConnection, table: &str) -> Result<Vec<String>, IntrospectError> {
    let (mut parts, indexes) = definition(conn, table)?;
    parts.extend(indexes);
    Ok(parts)
}

/// A table's columns and constraints as `CREATE TABLE` states them, and its other indexes'
/// `CREATE INDEX` statements.
fn definition(
    conn: &mut PgConnection,
    table: &str,
) -> Result<(Vec<String>, Vec<String>), IntrospectError> {
    use diesel::sql_types::{Bool, Nullable, Text};
    #[derive(QueryableByName)]
    struct Attribute {
        #[diesel(sql_type = Text)]
        name: String,
        #[diesel(sql_type = Text)]
        kind: String,
        #[diesel(sql_type = Bool)]
        not_null: bool,
        #[diesel(sql_type = Nullable<Text>)]
        default: Option<String>,
        #[diesel(sql_type = Text)]
        identity: String,
        #[diesel(sql_type = Bool)]
        owned_sequence: bool,
    }
    #[derive(QueryableByName)]
    struct Definition {
        #[diesel(sql_type = Text)]
        name: String,
        #[diesel(sql_type = Text)]
        definition: String,
    }
    let relation = "(SELECT c.oid FROM pg_class c WHERE c.relname = $1 AND c.relnamespace = CAST(current_schema() AS regnamespace))";
    let attributes: Vec<Attribute> = diesel::sql_query(format!(
        "SELECT CAST(a.attname AS TEXT) AS name, format_type(a.atttypid, a.atttypmod) AS kind, \
         a.attnotnull AS not_null, pg_get_expr(d.adbin, d.adrelid) AS default, \
         CAST(a.attidentity AS TEXT) AS identity, \
         EXISTS (SELECT 1 FROM pg_depend dep WHERE dep.refobjid = a.attrelid AND dep.refobjsubid = a.attnum \
                 AND dep.classid = CAST('pg_class' AS regclass) AND dep.deptype = 'a' \
                 AND pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%') AS owned_sequence \
         FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
         WHERE a.attrelid = {relation} AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum"
    ))
    .bind::<Text, _>(table)
    .load(conn)?;
    let constraints: Vec<Definition> = diesel::sql_query(format!(
        "SELECT CAST(conname AS TEXT) AS name, pg_get_constraintdef(oid) AS definition FROM pg_constraint \
         WHERE conrelid = {relation} AND contype IN ('p', 'u', 'c', 'f', 'x') ORDER BY contype = 'f', conname"
    ))
    .bind::<Text, _>(table)
    .load(conn)?;
    let indexes: Vec<Definition> = diesel::sql_query(format!(
        "SELECT CAST(c.relname AS TEXT) AS name, pg_get_indexdef(i.indexrelid) AS definition \
         FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
         WHERE i.indrelid = {relation} AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) \
         ORDER BY c.relname"
    ))
    .bind::<Text, _>(table)
    .load(conn)?;
    let quote = |name: &str| format!("\"{}\"", name.replace('"', "\"\""));
    let mut parts = Vec::new();
    for a in attributes {
        let serial = match (a.owned_sequence, a.kind.as_str()) {
            (true, "integer") => Some("serial"),
            (true, "bigint") => Some("bigserial"),
            (true, "smallint") => Some("smallserial"),
            _ => None,
        };
        let mut part = format!("{} {}", quote(&a.name), serial.unwrap_or(&a.kind));
        if a.not_null {
            part.push_str(" NOT NULL");
        }
        match (serial, a.identity.as_str(), &a.default) {
            (Some(_), _, _) => {}
            (None, "a", _) => part.push_str(" GENERATED ALWAYS AS IDENTITY"),
            (None, "d", _) => part.push_str(" GENERATED BY DEFAULT AS IDENTITY"),
            (None, _, Some(default)) => part.push_str(&format!(" DEFAULT {default}")),
            (None, _, None) => {}
        }
        parts.push(part);
    }
    for c in constraints {
        parts.push(format!("CONSTRAINT {} {}", quote(&c.name), c.definition));
    }
    Ok((parts, indexes.into_iter().map(|i| i.definition).collect()))
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
