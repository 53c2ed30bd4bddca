//! aludel-schema reads a PostgreSQL database as `diesel print-schema` does: the fixture's
//! `schema.rs` is diesel's output for a database made by its `schema.sql` (see its README), and
//! aludel prints the same bytes.

use aludel_tests::{Backend, Conn, TestDb};

#[test]
fn a_postgres_database_reads_as_diesel_print_schema_reads_it() {
    let Some(db) = TestDb::new(Backend::Postgres) else {
        return;
    };
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/schema_postgres");
    let sql = std::fs::read_to_string(fixture.join("schema.sql")).unwrap();
    let expected =
        aludel_schema::read_schema_rs(&std::fs::read_to_string(fixture.join("schema.rs")).unwrap())
            .unwrap();
    let mut conn = db.connect();
    conn.batch(&sql).unwrap();
    // aludel's tables are left out.
    conn.batch("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        .unwrap();
    let Conn::Postgres(pg) = &mut conn else {
        unreachable!("a PostgreSQL test database")
    };
    let filter = aludel_schema::TableFilter::own(&["alembic_version".to_string()]);
    let found = aludel_schema::postgres::introspect(pg, None, &filter, &[]).unwrap();
    // Printed, it is diesel's output byte for byte.
    let printed =
        aludel_schema::print_schema(&found, &aludel_schema::PrintOptions::default()).unwrap();
    assert_eq!(
        printed,
        std::fs::read_to_string(fixture.join("schema.rs")).unwrap()
    );
    let differences = aludel_schema::diff(&expected, &found);
    assert!(differences.is_empty(), "{differences:#?}");
    assert_eq!(found.tables.len(), 4);
    assert_eq!(
        found.foreign_keys.len(),
        1,
        "only posts -> teams is joinable"
    );
    assert_eq!(
        found.tables[0].primary_key,
        ["name", "team_id"],
        "in the key's order"
    );
}

#[test]
fn postgres_domains_read_as_custom_types_where_diesel_toml_says_so() {
    let Some(db) = TestDb::new(Backend::Postgres) else {
        return;
    };
    let Some(diesel) = aludel_tests::diesel_cli("the comparison of PostgreSQL domains") else {
        return;
    };
    let mut conn = db.connect();
    conn.batch(
        "CREATE DOMAIN posinteger AS integer CHECK (VALUE > 0);
         CREATE DOMAIN email AS text;
         CREATE TABLE accounts (id posinteger PRIMARY KEY, address email NOT NULL, other email);",
    )
    .unwrap();
    let Conn::Postgres(pg) = &mut conn else {
        unreachable!("a PostgreSQL test database")
    };
    let domains = [aludel_schema::Regex::new("^pos").unwrap()];
    let filter = aludel_schema::TableFilter::default();
    let found = aludel_schema::postgres::introspect(pg, None, &filter, &domains).unwrap();
    let printed =
        aludel_schema::print_schema(&found, &aludel_schema::PrintOptions::default()).unwrap();
    let dir = aludel_tests::TempDir::new("aludel-domains");
    let expected = aludel_tests::run_diesel(
        &diesel,
        &dir.0,
        &[
            "print-schema",
            "--database-url",
            &db.url,
            "--pg-domains-as-custom-types",
            "^pos",
        ],
    );
    assert_eq!(printed, expected);
    assert!(
        printed.contains("id -> Posinteger") && printed.contains("address -> Text"),
        "{printed}"
    );
}
