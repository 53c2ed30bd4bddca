//! Real histories, real diesel: crates.io's and Lemmy's diesel migrations (../shared/corpora),
//! imported as aludel histories and applied to PostgreSQL; aludel's print-schema of each
//! database is `diesel print-schema`'s (diesel_cli 2.3, ALUDEL_TEST_DIESEL) byte for byte, and
//! reads back as the same schema.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking

use aludel::LoadedMigrations;
use aludel_graph::import::read_diesel_dir;
use aludel_graph::GraphOptions;
use aludel_tests::{with_conn, Backend, Conn, TestDb};

#[path = "../../graph/tests/support/corpora.rs"]
mod corpora;

/// The server's major version.
fn server_major(conn: &mut Conn) -> u32 {
    conn.strings("SELECT current_setting('server_version_num') AS a")[0]
        .parse::<u32>()
        .unwrap()
        / 10000
}

/// Applies the diesel history `corpus` to a new PostgreSQL database and compares aludel's
/// print-schema of it with diesel's.
fn prints_as_diesel_prints(corpus: &str, revisions: usize) {
    let Some(db) = TestDb::new(Backend::Postgres) else {
        return;
    };
    let Some(dir) = corpora::corpus(corpus) else {
        return;
    };
    let Some(diesel) = aludel_tests::diesel_cli("the comparison with diesel print-schema") else {
        return;
    };
    let import = read_diesel_dir(&dir).unwrap_or_else(|e| panic!("{e}"));
    let files: Vec<(String, Vec<u8>)> = import
        .to_revisions()
        .into_iter()
        .map(|(name, text)| (name, text.into_bytes()))
        .collect();
    assert_eq!(files.len(), revisions);
    let migrations = LoadedMigrations::from_files(&files, &GraphOptions::default())
        .unwrap_or_else(|d| panic!("{d}"));
    let mut conn = db.connect();
    match with_conn!(&mut conn, c => migrations.migrator().run_pending(c)) {
        Ok(_) => {}
        // Lemmy's newest revisions use PostgreSQL 16's SQL (a subquery in FROM without an
        // alias): on an older server the comparison is of the database as far as it applies,
        // which the failing revision left consistent.
        Err(aludel::Error::RevisionFailed {
            completed, message, ..
        }) if server_major(&mut conn) < 16 && message.contains("must have an alias") => {
            eprintln!(
                "note: {corpus}: PostgreSQL {} applies {} of {revisions} revisions (the rest need PostgreSQL 16); comparing that schema",
                server_major(&mut conn),
                completed.len()
            );
            assert!(completed.len() > 200, "{}", completed.len());
        }
        Err(e) => panic!("{e}"),
    }
    let own = migrations.migrator().options().own_tables();
    let Conn::Postgres(pg) = &mut conn else {
        unreachable!("a PostgreSQL test database")
    };
    let schema =
        aludel_schema::postgres::introspect(pg, None, &aludel_schema::TableFilter::own(&own), &[])
            .unwrap_or_else(|e| panic!("{e}"));
    let printed = aludel_schema::print_schema(&schema, &aludel_schema::PrintOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    // diesel in a directory without a diesel.toml (its defaults), aludel's tables left out.
    let empty = std::env::temp_dir().join(format!("aludel-corpora-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let mut args = vec![
        "print-schema".to_string(),
        "--database-url".to_string(),
        db.url.clone(),
        "--except-tables".to_string(),
    ];
    args.extend(own.iter().map(|t| format!("^{t}$")));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let expected = aludel_tests::run_diesel(&diesel, &empty, &args);
    let _ = std::fs::remove_dir_all(&empty);
    assert!(
        printed == expected,
        "{corpus}: aludel and diesel print differently; first differing line {:?}",
        printed
            .lines()
            .zip(expected.lines())
            .enumerate()
            .find(|(_, (a, b))| a != b)
    );
    assert!(schema.tables.len() > 20, "{}", schema.tables.len());
    // The printed file reads back as the database's schema.
    let read = aludel_schema::read_schema_rs(&printed).unwrap();
    let differences = aludel_schema::diff(&schema, &read);
    assert!(differences.is_empty(), "{differences:#?}");
}

#[test]
fn crates_io_prints_as_diesel_prints_it() {
    prints_as_diesel_prints("diesel/crates.io/migrations", 285);
}

#[test]
fn lemmy_prints_as_diesel_prints_it() {
    let count = corpora::corpus("diesel/lemmy/migrations").map_or(0, |dir| {
        std::fs::read_dir(dir)
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().join("up.sql").exists())
            .count()
    });
    prints_as_diesel_prints("diesel/lemmy/migrations", count);
}
