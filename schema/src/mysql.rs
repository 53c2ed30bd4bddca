//! A MySQL or MariaDB database's schema as `diesel print-schema` reads it: the base tables of
//! the connection's database (`DATABASE()`), not those starting with `__` nor those the filter
//! leaves out, sorted by name; each column's type as diesel names it from its `column_type`
//! (`tinyint(1)` is `Bool`, `int(11)` is `Integer`, `varchar(255)` is `Varchar`, `bigint(20)
//! unsigned` is `Unsigned<Bigint>`; a type diesel has none for, such as an `enum(..)`, by its
//! name, `Enum`, declared in the `sql_types` module once per column), with its `max_length`
//! where the declaration states one; primary keys in key order; foreign keys by diesel's
//! `joinable!` rules.

use diesel::mysql::MysqlConnection;
use diesel::sql_types::{Nullable, Text, Unsigned};
use diesel::{QueryableByName, RunQueryDsl};

use crate::{upper_camel, Column, CustomType, IntrospectError, Name, Schema, Table, TableFilter};

/// The SQL types diesel provides for MySQL beside [`crate::COMMON_DIESEL_TYPES`], by the names `print-schema` gives them; a column
/// of any other type has a type of its own declared in the `sql_types` module.
const DIESEL_TYPES: &[&str] = &["TinyInt", "Tinyint", "Datetime", "Json"];

#[derive(QueryableByName)]
struct ColumnRow {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    column_type: String,
    #[diesel(sql_type = Text)]
    is_nullable: String,
    #[diesel(sql_type = Nullable<Unsigned<diesel::sql_types::BigInt>>)]
    max_length: Option<u64>,
    #[diesel(sql_type = Nullable<Text>)]
    comment: Option<String>,
}

#[derive(QueryableByName)]
struct Comment {
    #[diesel(sql_type = Nullable<Text>)]
    comment: Option<String>,
}

/// One column of a foreign-key constraint.
#[derive(QueryableByName)]
struct KeyRow {
    #[diesel(sql_type = Text)]
    constraint_name: String,
    #[diesel(sql_type = Text)]
    child: String,
    #[diesel(sql_type = Text)]
    parent: String,
    #[diesel(sql_type = Nullable<Text>)]
    parent_schema: Option<String>,
    #[diesel(sql_type = Text)]
    column: String,
    #[diesel(sql_type = Text)]
    referenced: String,
}

/// diesel's name for the type MySQL declares as `column_type` (`varchar(255)`, `bigint(20)
/// unsigned`), before it is made UpperCamelCase, and whether it is unsigned; `None` where the
/// name holds a space, which diesel has no type for.
pub fn mysql_type_name(column_type: &str) -> Option<(String, bool)> {
    let unsigned = |t: &str| t.to_lowercase().contains("unsigned");
    let name = if column_type == "tinyint(1)" {
        "bool"
    } else if column_type.starts_with("int") {
        "integer"
    } else {
        column_type
            .split_once('(')
            .map_or(column_type, |(head, _)| head)
    };
    let name = if unsigned(name) {
        // `bigint unsigned` (MySQL 8 writes no display width): the name without the word.
        // diesel checks for spaces only in names without it.
        name.to_lowercase()
            .replace("unsigned", "")
            .trim()
            .to_string()
    } else if name.contains(' ') {
        return None;
    } else {
        name.to_string()
    };
    Some((name, unsigned(column_type)))
}

/// A column MySQL declares as `column_type`, as diesel prints it; `None` where diesel has no
/// type for the declaration.
pub fn mysql_column(
    name: String,
    column_type: &str,
    nullable: bool,
    max_length: Option<u64>,
) -> Option<Column> {
    let (type_name, unsigned) = mysql_type_name(column_type)?;
    let sql_name = type_name.trim().to_string();
    let rust = upper_camel(&sql_name);
    let custom = (!(crate::COMMON_DIESEL_TYPES.contains(&rust.as_str())
        || DIESEL_TYPES.contains(&rust.as_str())))
    .then_some(CustomType {
        sql_name,
        schema: None,
        mysql: true,
    });
    Some(Column {
        name,
        sql_type: if unsigned {
            format!("Unsigned<{rust}>")
        } else {
            rust
        },
        nullable,
        // MySQL states a `character_maximum_length` for every text column, also those whose
        // declaration has no length (`TEXT`); diesel keeps only those whose type has one.
        max_length: max_length.filter(|_| column_type.contains('(')),
        custom,
        comment: None,
    })
}

/// The schema of the database `conn` is connected to (`DATABASE()`): the tables `filter`
/// keeps.
pub fn introspect(
    conn: &mut MysqlConnection,
    filter: &TableFilter,
) -> Result<Schema, IntrospectError> {
    // Without a database selected this is NULL, which diesel refuses as well.
    let database: Name = diesel::sql_query("SELECT DATABASE() AS name").get_result(conn)?;
    let database = database.name;
    // The patterns are bound, as diesel binds them: `\` escapes in LIKE, whatever the
    // `sql_mode` says of string literals.
    let names: Vec<Name> = diesel::sql_query(
        "SELECT CAST(table_name AS CHAR) AS name FROM information_schema.tables \
         WHERE table_schema = ? AND table_name NOT LIKE ? AND table_type LIKE ?",
    )
    .bind::<Text, _>(&database)
    .bind::<Text, _>("\\_\\_%")
    .bind::<Text, _>("BASE TABLE")
    .load(conn)?;
    // By name in Rust's order (bytes), as diesel sorts them, not the database's collation.
    let mut names: Vec<String> = names.into_iter().map(|n| n.name).collect();
    names.sort_unstable();
    let mut out = Schema::default();
    for name in names.into_iter().filter(|n| filter.keeps(n)) {
        let rows: Vec<ColumnRow> = diesel::sql_query(
            "SELECT CAST(column_name AS CHAR) AS name, CAST(column_type AS CHAR) AS column_type, \
             CAST(is_nullable AS CHAR) AS is_nullable, \
             CAST(character_maximum_length AS UNSIGNED) AS max_length, \
             CAST(NULLIF(column_comment, '') AS CHAR) AS comment \
             FROM information_schema.columns WHERE table_name = ? AND table_schema = ? \
             ORDER BY ordinal_position",
        )
        .bind::<Text, _>(&name)
        .bind::<Text, _>(&database)
        .load(conn)?;
        // The columns of the table's constraint that a PRIMARY KEY constraint is named as
        // (MySQL names them all `PRIMARY`), in the key's order.
        let keys: Vec<Name> = diesel::sql_query(
            "SELECT CAST(column_name AS CHAR) AS name FROM information_schema.key_column_usage \
             WHERE constraint_name IN (SELECT constraint_name FROM information_schema.table_constraints \
             WHERE constraint_type = 'PRIMARY KEY') AND table_name = ? AND table_schema = ? \
             ORDER BY ordinal_position",
        )
        .bind::<Text, _>(&name)
        .bind::<Text, _>(&database)
        .load(conn)?;
        let mut columns = Vec::with_capacity(rows.len());
        for row in rows {
            let column = mysql_column(
                row.name.clone(),
                &row.column_type,
                row.is_nullable == "YES",
                row.max_length,
            );
            let column = column.ok_or_else(|| IntrospectError::UnsupportedType {
                table: name.clone(),
                column: row.name,
                declared: row.column_type,
            })?;
            columns.push(Column {
                comment: row.comment,
                ..column
            });
        }
        // MySQL's comments are never NULL: an empty one is none.
        let comment: Comment = diesel::sql_query(
            "SELECT CAST(NULLIF(table_comment, '') AS CHAR) AS comment FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        )
        .bind::<Text, _>(&database)
        .bind::<Text, _>(&name)
        .get_result(conn)?;
        out.tables.push(Table {
            comment: comment.comment,
            schema: None,
            name,
            primary_key: keys.into_iter().map(|k| k.name).collect(),
            columns,
        });
    }
    // Every foreign key of the database's tables (also of tables the filter leaves out: two
    // keys between one pair of tables make neither joinable), one per constraint.
    let rows: Vec<KeyRow> = diesel::sql_query(
        "SELECT CAST(kcu.constraint_name AS CHAR) AS constraint_name, \
         CAST(kcu.table_name AS CHAR) AS child, \
         CAST(kcu.referenced_table_name AS CHAR) AS parent, \
         CAST(kcu.referenced_table_schema AS CHAR) AS parent_schema, \
         CAST(kcu.column_name AS CHAR) AS `column`, \
         CAST(kcu.referenced_column_name AS CHAR) AS referenced \
         FROM information_schema.table_constraints tc \
         INNER JOIN information_schema.key_column_usage kcu \
         ON tc.constraint_schema = kcu.constraint_schema AND tc.constraint_name = kcu.constraint_name \
         WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = ? \
         AND kcu.referenced_column_name IS NOT NULL \
         ORDER BY kcu.constraint_name, kcu.ordinal_position",
    )
    .bind::<Text, _>(&database)
    .load(conn)?;
    let mut constraints: Vec<(String, crate::RawKey, bool)> = Vec::new();
    for row in rows {
        match constraints
            .iter_mut()
            .find(|(c, _, _)| *c == row.constraint_name)
        {
            Some((_, key, _)) => {
                key.columns.push(row.column);
                key.referenced.push(Some(row.referenced));
            }
            None => {
                let elsewhere = row.parent_schema.as_deref() != Some(database.as_str());
                constraints.push((
                    row.constraint_name.clone(),
                    crate::RawKey {
                        child: row.child,
                        parent: row.parent,
                        columns: vec![row.column],
                        referenced: vec![Some(row.referenced)],
                        name: Some(row.constraint_name),
                    },
                    elsewhere,
                ));
            }
        }
    }
    // A key to a table of another database joins no table of this one, and shares its pair
    // of tables with no key between two of them: it is left out.
    let keys: Vec<crate::RawKey> = constraints
        .into_iter()
        .filter(|(_, _, elsewhere)| !elsewhere)
        .map(|(_, key, _)| key)
        .collect();
    out.set_foreign_keys(crate::joinables(&out.tables, &keys, false));
    Ok(out)
}

/// The parts of `table`'s definition, each on its own, to compare two databases' tables by:
/// each line of `SHOW CREATE TABLE` (a column with its type, nullability and default, a key,
/// a constraint, the table's options).
pub fn table_parts(
    conn: &mut MysqlConnection,
    table: &str,
) -> Result<Vec<String>, IntrospectError> {
    let create = table_definition(conn, table)?.join("\n");
    Ok(create
        .lines()
        .skip(1)
        .map(|l| l.trim().trim_end_matches(',').to_string())
        .filter(|l| !l.is_empty())
        .collect())
}

/// The statement that creates `table` as the database has it (`SHOW CREATE TABLE`, without
/// the table's `AUTO_INCREMENT=` counter): what a revision that drops the table writes in its
/// downgrade.
pub fn table_definition(
    conn: &mut MysqlConnection,
    table: &str,
) -> Result<Vec<String>, IntrospectError> {
    #[derive(QueryableByName)]
    struct Create {
        #[diesel(sql_type = Text, column_name = "Create Table")]
        sql: String,
    }
    let quoted = format!("`{}`", table.replace('`', "``"));
    let create: Create =
        diesel::sql_query(format!("SHOW CREATE TABLE {quoted}")).get_result(conn)?;
    // The table options follow the last `)`.
    let mut sql = create.sql;
    let options = sql.rfind(')').unwrap_or(0);
    if let Some(at) = sql[options..].find(" AUTO_INCREMENT=").map(|i| i + options) {
        let digits = sql[at + " AUTO_INCREMENT=".len()..]
            .chars()
            .take_while(char::is_ascii_digit)
            .count();
        sql.replace_range(at..at + " AUTO_INCREMENT=".len() + digits, "");
    }
    Ok(vec![sql])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn printed(column_type: &str) -> Option<(String, Option<String>, Option<u64>)> {
        let column = mysql_column("c".into(), column_type, false, Some(7))?;
        Some((
            column.sql_type,
            column.custom.map(|c| c.sql_name),
            column.max_length,
        ))
    }

    fn known(
        sql_type: &str,
        max_length: Option<u64>,
    ) -> Option<(String, Option<String>, Option<u64>)> {
        Some((sql_type.into(), None, max_length))
    }

    #[test]
    fn mysql_types_are_named_as_diesel_names_them() {
        assert_eq!(printed("tinyint(1)"), known("Bool", Some(7)));
        assert_eq!(printed("tinyint(4)"), known("Tinyint", Some(7)));
        assert_eq!(
            printed("tinyint(1) unsigned"),
            known("Unsigned<Tinyint>", Some(7))
        );
        assert_eq!(printed("int(11)"), known("Integer", Some(7)));
        assert_eq!(printed("int"), known("Integer", None));
        assert_eq!(
            printed("int(10) unsigned"),
            known("Unsigned<Integer>", Some(7))
        );
        assert_eq!(
            printed("bigint(20) unsigned"),
            known("Unsigned<Bigint>", Some(7))
        );
        assert_eq!(printed("bigint unsigned"), known("Unsigned<Bigint>", None));
        assert_eq!(printed("float unsigned"), known("Unsigned<Float>", None));
        assert_eq!(printed("decimal(10,2)"), known("Decimal", Some(7)));
        assert_eq!(printed("varchar(255)"), known("Varchar", Some(7)));
        assert_eq!(printed("text"), known("Text", None));
        assert_eq!(printed("datetime"), known("Datetime", None));
        assert_eq!(printed("json"), known("Json", None));
        assert_eq!(
            printed("enum('a','b c')"),
            Some(("Enum".into(), Some("enum".into()), Some(7)))
        );
        assert_eq!(
            printed("mediumint(9)"),
            Some(("Mediumint".into(), Some("mediumint".into()), Some(7)))
        );
        assert_eq!(
            printed("year"),
            Some(("Year".into(), Some("year".into()), None))
        );
        // diesel looks for spaces only in names without `unsigned`.
        assert_eq!(
            printed("bigint unsigned zerofill"),
            Some((
                "Unsigned<BigintZerofill>".into(),
                Some("bigint  zerofill".into()),
                None
            ))
        );
        assert_eq!(printed("double precision"), None);
    }
}
