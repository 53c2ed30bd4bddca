//! diesel.toml's `with_docs`: the database's comments (PostgreSQL `COMMENT ON`, MySQL
//! `COMMENT`), else diesel's generated doc comments, printed as `diesel print-schema
//! --with-docs-config MODE` prints them, byte for byte, on PostgreSQL and MariaDB.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking

use aludel_schema::{Docs, PrintOptions, Schema, TableFilter};
use aludel_tests::{Backend, Conn, TempDir, TestDb};

const MODES: [(&str, Docs); 3] = [
    ("no-doc-comments", Docs::None),
    ("only-database-comments", Docs::DatabaseComments),
    (
        "database-comments-fallback-to-auto-generated-doc-comment",
        Docs::DatabaseCommentsOrGenerated,
    ),
];

fn introspect(conn: &mut Conn) -> Schema {
    let filter = TableFilter::default();
    match conn {
        Conn::Postgres(c) => aludel_schema::postgres::introspect(c, None, &filter, &[]).unwrap(),
        Conn::Mysql(c) => aludel_schema::mysql::introspect(c, &filter).unwrap(),
        _ => unreachable!("a server's test database"),
    }
}

/// Runs `sql` in a new database of `backend` and compares aludel's print with diesel's in
/// every doc mode.
fn docs_print_as_diesel_prints_them(backend: Backend, sql: &str) {
    let Some(db) = TestDb::new(backend) else {
        return;
    };
    let Some(diesel) = aludel_tests::diesel_cli("the comparison of doc comments") else {
        return;
    };
    let mut conn = db.connect();
    conn.batch(sql).unwrap();
    let schema = introspect(&mut conn);
    let dir = TempDir::new("aludel-docs");
    for (mode, docs) in MODES {
        let options = PrintOptions {
            docs,
            ..PrintOptions::default()
        };
        let printed = aludel_schema::print_schema(&schema, &options).unwrap();
        let expected = aludel_tests::run_diesel(
            &diesel,
            &dir.0,
            &[
                "print-schema",
                "--database-url",
                &db.url,
                "--with-docs-config",
                mode,
            ],
        );
        assert_eq!(printed, expected, "{mode}");
        if docs == Docs::DatabaseComments {
            assert!(printed.contains("/// The people"), "{printed}");
        }
    }
}

#[test]
fn postgres_comments_print_as_diesel_prints_them() {
    docs_print_as_diesel_prints_them(
        Backend::Postgres,
        "CREATE TYPE mood AS ENUM ('happy', 'sad');
         CREATE TABLE users (id SERIAL PRIMARY KEY, name VARCHAR(50) NOT NULL, feeling mood, note TEXT);
         CREATE TABLE posts (id SERIAL PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users, body TEXT);
         COMMENT ON TABLE users IS 'The people
           who sign in.';
         COMMENT ON COLUMN users.name IS 'Shown to others';
         COMMENT ON COLUMN posts.body IS '  Markdown  ';",
    );
}

#[test]
fn mysql_comments_print_as_diesel_prints_them() {
    docs_print_as_diesel_prints_them(
        Backend::Mysql,
        "CREATE TABLE users (id INT PRIMARY KEY, name VARCHAR(50) NOT NULL COMMENT 'Shown to others', feeling ENUM('happy', 'sad'), note TEXT) COMMENT 'The people';
         CREATE TABLE posts (id INT PRIMARY KEY, user_id INT NOT NULL, body TEXT COMMENT 'Markdown', FOREIGN KEY (user_id) REFERENCES users (id));",
    );
}
