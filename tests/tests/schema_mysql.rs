//! aludel-schema reads a MySQL or MariaDB database as `diesel print-schema` does: the
//! fixture's `schema.rs` is diesel's output for a database made by its `schema.sql` (see its
//! README), and aludel prints the same bytes. With `ALUDEL_TEST_DIESEL` naming a diesel
//! binary, diesel's output for the test's own database is compared too.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail by panicking

use aludel_schema::{PrintOptions, TableFilter};
use aludel_tests::{Backend, Conn, TempDir, TestDb};

#[test]
fn a_mysql_database_reads_and_prints_as_diesel_print_schema_does() {
    let Some(db) = TestDb::new(Backend::Mysql) else {
        return;
    };
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/schema_mysql");
    let sql = std::fs::read_to_string(fixture.join("schema.sql")).unwrap();
    let schema_rs = std::fs::read_to_string(fixture.join("schema.rs")).unwrap();
    let mut conn = db.connect();
    conn.batch(&sql).unwrap();
    let Conn::Mysql(mysql) = &mut conn else {
        unreachable!("a MySQL test database")
    };
    let own = TableFilter::own(&["alembic_version".to_string()]);
    let found = aludel_schema::mysql::introspect(mysql, &own).unwrap();

    // The bytes diesel printed for the fixture.
    let printed = aludel_schema::print_schema(&found, &PrintOptions::default()).unwrap();
    assert_eq!(printed, schema_rs, "aludel prints what diesel printed");

    let names: Vec<&str> = found.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "comments",
            "membership_events",
            "memberships",
            "posts",
            "teams",
            "users"
        ],
        "base tables by name, not the view nor `__scratch`"
    );
    let memberships = &found.tables[2];
    assert_eq!(
        memberships.primary_key,
        ["team_id", "user_id"],
        "in the key's order"
    );
    assert_eq!(
        found
            .foreign_keys
            .iter()
            .map(|k| format!("{} -> {} ({})", k.child, k.parent, k.column))
            .collect::<Vec<_>>(),
        [
            "comments -> posts (post_id)",
            "memberships -> teams (team_id)",
            "memberships -> users (user_id)",
        ],
        "not the composite key, the self-reference, the key to a unique column, nor the two \
         keys from posts to users"
    );

    // diesel itself, against the same database (no diesel.toml: its defaults).
    if let Some(diesel) = diesel_print_schema(&db) {
        assert_eq!(printed, diesel, "aludel prints what diesel prints");
    }

    // aludel's own tables are left out, as are those diesel.toml's filters leave out.
    conn.batch("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
        .unwrap();
    let Conn::Mysql(mysql) = &mut conn else {
        unreachable!("a MySQL test database")
    };
    assert_eq!(
        aludel_schema::mysql::introspect(mysql, &own).unwrap(),
        found
    );
    let except_posts = TableFilter {
        except: vec![aludel_schema::Regex::new("^posts$").unwrap()],
        ..own.clone()
    };
    let without_posts = aludel_schema::mysql::introspect(mysql, &except_posts).unwrap();
    assert_eq!(without_posts.tables.len(), 5);
    assert_eq!(
        without_posts.foreign_keys.len(),
        2,
        "comments -> posts goes with posts"
    );
}

/// The fixture's `schema.rs` read back is the schema aludel reads from the database: the same
/// tables, columns, types (an `ENUM` column's per-column `sql_types` struct,
/// `UsersStatusEnum`, is the database's `enum`), primary keys and foreign keys.
#[test]
fn the_fixture_schema_rs_reads_back_as_the_database_schema() {
    let Some(db) = TestDb::new(Backend::Mysql) else {
        return;
    };
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/schema_mysql");
    let sql = std::fs::read_to_string(fixture.join("schema.sql")).unwrap();
    let schema_rs = std::fs::read_to_string(fixture.join("schema.rs")).unwrap();
    let mut conn = db.connect();
    conn.batch(&sql).unwrap();
    let Conn::Mysql(mysql) = &mut conn else {
        unreachable!("a MySQL test database")
    };
    let found = aludel_schema::mysql::introspect(mysql, &TableFilter::default()).unwrap();
    let expected = aludel_schema::read_schema_rs(&schema_rs).unwrap();
    let differences = aludel_schema::diff(&expected, &found);
    assert!(differences.is_empty(), "{differences:#?}");
}

/// `diesel print-schema`'s output for the database `db` (its defaults: no diesel.toml), or
/// `None` with a note where `ALUDEL_TEST_DIESEL` names no diesel binary.
fn diesel_print_schema(db: &TestDb) -> Option<String> {
    let diesel = aludel_tests::diesel_cli("the comparison with diesel print-schema itself")?;
    let dir = TempDir::new("aludel-diesel-mysql");
    Some(aludel_tests::run_diesel(
        &diesel,
        &dir.0,
        &["print-schema", "--database-url", &db.url],
    ))
}

/// A database made by `sql`, introspected, printed, and compared with diesel's output where
/// there is a diesel binary.
fn printed_as_diesel_prints(sql: &str) -> Option<aludel_schema::Schema> {
    let db = TestDb::new(Backend::Mysql)?;
    let mut conn = db.connect();
    conn.batch(sql).unwrap();
    let Conn::Mysql(mysql) = &mut conn else {
        unreachable!("a MySQL test database")
    };
    let found = aludel_schema::mysql::introspect(mysql, &TableFilter::default()).unwrap();
    let printed = aludel_schema::print_schema(&found, &PrintOptions::default()).unwrap();
    if let Some(diesel) = diesel_print_schema(&db) {
        assert_eq!(printed, diesel, "aludel prints what diesel prints");
    }
    Some(found)
}

/// Declarations diesel names in its own ways: `tinyint(1) unsigned` is no `Bool`, `unsigned`
/// anywhere in the declaration (even in an `ENUM`'s values) makes the type `Unsigned<..>`,
/// `ZEROFILL` is ignored, and `YEAR`, `MEDIUMINT`, `SET` and MariaDB's `UUID` are types of the
/// column's own; a `SET`'s or `ENUM`'s length is its longest value's.
#[test]
fn unusual_declarations_read_as_diesel_reads_them() {
    let Some(found) = printed_as_diesel_prints(
        "CREATE TABLE odd (
            id INT UNSIGNED NOT NULL PRIMARY KEY,
            y YEAR, m MEDIUMINT, b BIT(1), s SET('a', 'bb'), bin BINARY(16), tt TINYTEXT,
            lb LONGBLOB, lt LONGTEXT, ts TIMESTAMP(6) NULL, dt DATETIME(3), fu FLOAT UNSIGNED,
            du DECIMAL(5,2) UNSIGNED, z BIGINT ZEROFILL, t1u TINYINT(1) UNSIGNED,
            eu ENUM('unsigned', 'signed') NOT NULL
        )",
    ) else {
        return;
    };
    let types: Vec<(String, Option<u64>, Option<String>)> = found.tables[0]
        .columns
        .iter()
        .map(|c| {
            (
                c.sql_type.clone(),
                c.max_length,
                c.custom.as_ref().map(|c| c.sql_name.clone()),
            )
        })
        .collect();
    let own = |t: &str, n: Option<u64>, sql: &str| (t.to_string(), n, Some(sql.to_string()));
    let known = |t: &str, n: Option<u64>| (t.to_string(), n, None);
    let mysql = found.tables[0]
        .columns
        .iter()
        .all(|c| c.custom.as_ref().is_none_or(|c| c.mysql));
    assert!(mysql, "MySQL types, one per column");
    assert_eq!(
        types,
        [
            known("Unsigned<Integer>", None),
            own("Year", None, "year"),
            own("Mediumint", None, "mediumint"),
            known("Bit", None),
            own("Set", Some(4), "set"),
            known("Binary", Some(16)),
            // MySQL states lengths for these too, which diesel leaves out.
            known("Tinytext", None),
            known("Longblob", None),
            known("Longtext", None),
            known("Timestamp", None),
            known("Datetime", None),
            known("Unsigned<Float>", None),
            known("Unsigned<Decimal>", None),
            known("Unsigned<Bigint>", None),
            known("Unsigned<Tinyint>", None),
            own("Unsigned<Enum>", Some(8), "enum"),
        ]
    );
}

/// Names whose case matters, read as diesel (heck) reads them: `addr2Kind` and `HTTP2Mode`
/// are two words each (`OddAddr2KindEnum`, `OddHttp2ModeEnum`), and the tables `parent` and
/// `Parent` (distinct where `lower_case_table_names = 0`) are two tables, each with its
/// `joinable!`.
#[test]
fn mixed_case_names_read_as_diesel_reads_them() {
    let Some(found) = printed_as_diesel_prints(
        "CREATE TABLE odd (id INT PRIMARY KEY, `addr2Kind` ENUM('x', 'y'), `HTTP2Mode` ENUM('p'));
         CREATE TABLE parent (id INT PRIMARY KEY);
         CREATE TABLE `Parent` (id INT PRIMARY KEY);
         CREATE TABLE kid (id INT PRIMARY KEY, p INT, q INT,
             FOREIGN KEY (p) REFERENCES parent (id), FOREIGN KEY (q) REFERENCES `Parent` (id));",
    ) else {
        return;
    };
    assert_eq!(found.foreign_keys.len(), 2, "kid -> Parent, kid -> parent");
}
