//! `aludel check --schema`: the history replayed into a scratch SQLite database and compared
//! with diesel's `schema.rs`, against what diesel's own `print-schema` prints (the fixture's
//! `src/schema.rs`, see its README), and with every kind of difference.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking

use std::path::Path;
use std::process::Command;

use aludel_tests::TempDir;
use common::own_scratch;

mod common;

/// A copy of `tests/fixtures/schema` in a temporary directory.
fn project(name: &str) -> TempDir {
    let dir = TempDir::new(&format!("aludel-schema-{name}"));
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schema");
    for relative in [
        "migrations/versions/1_types.sql",
        "migrations/versions/2_keys.sql",
        "src/schema.rs",
    ] {
        dir.write(
            relative,
            &std::fs::read_to_string(fixture.join(relative)).unwrap(),
        );
    }
    dir
}

/// `aludel args...` in `dir`: exit code, stdout, stderr.
fn aludel(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    aludel_env(dir, args, None)
}

/// `aludel args...` in `dir`, with `DATABASE_URL` set to `url` where given.
fn aludel_env(dir: &Path, args: &[&str], url: Option<&str>) -> (Option<i32>, String, String) {
    common::aludel(dir, args, url)
}

fn edit(dir: &TempDir, file: &str, from: &str, to: &str) {
    let path = dir.0.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{from} is not in {file}");
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn what_diesel_print_schema_prints_matches_the_history() {
    let dir = project("oracle");
    let (code, stdout, stderr) = aludel(&dir.0, &["check", "--schema"]);
    assert_eq!(
        (code, stdout.as_str(), stderr.as_str()),
        (
            Some(0),
            "",
            "src/schema.rs matches the history (5 tables)\n"
        )
    );
    // Nothing is left of the scratch database, and no database was created in the project.
    let tmp = dir.0.join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_aludel"))
        .args(["check", "--schema"])
        .current_dir(&dir.0)
        .env_remove("DATABASE_URL")
        .env("TMPDIR", &tmp)
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(
        std::fs::read_dir(&tmp).unwrap().count(),
        0,
        "the scratch database is removed"
    );
    assert!(!dir.0.join("app.db").exists());
    let (code, stdout, _) = aludel(&dir.0, &["check", "--schema", "--format", "json"]);
    assert_eq!(code, Some(0));
    assert!(stdout.contains("\"matches\": true"), "{stdout}");
}

#[test]
fn every_difference_is_named_and_fails_the_check() {
    let dir = project("differs");
    let schema = "src/schema.rs";
    edit(
        &dir,
        schema,
        "        big -> BigInt,\n",
        "        big -> Integer,\n",
    );
    edit(
        &dir,
        schema,
        "        name -> Text,\n        note",
        "        name -> Nullable<Text>,\n        note",
    );
    edit(
        &dir,
        schema,
        "        clock -> Nullable<Time>,\n",
        "        clock -> Nullable<Time>,\n        extra -> Text,\n",
    );
    edit(&dir, schema, "        day -> Nullable<Date>,\n", "");
    edit(
        &dir,
        schema,
        "    members (team_id, name) {",
        "    members (name, team_id) {",
    );
    edit(
        &dir,
        schema,
        "diesel::joinable!(nodes -> teams (team_id));\n",
        "diesel::joinable!(members -> teams (team_id));\n",
    );
    edit(&dir, schema, "diesel::table! {\n    notes (rowid) {", "diesel::table! {\n    archived (id) {\n        id -> Integer,\n    }\n}\n\ndiesel::table! {\n    notes (rowid) {");
    let (code, stdout, stderr) = aludel(&dir.0, &["check", "--schema"]);
    assert_eq!((code, stdout.as_str()), (Some(1), ""));
    assert_eq!(
        stderr,
        "error: src/schema.rs differs from the history (8 differences):
  table archived: in the schema file, not in the history
  table kinds: column big is BigInt in the history, Integer in the schema file
  table kinds: column name is Text in the history, Nullable<Text> in the schema file
  table kinds: column day (Nullable<Date>) is in the history, not in the schema file
  table kinds: column extra (Text) is in the schema file, not in the history
  table members: primary key (team_id, name) in the history, (name, team_id) in the schema file
  joinable!(nodes -> teams (team_id)): in the history, not in the schema file
  joinable!(members -> teams (team_id)): in the schema file, not in the history
"
    );
    let (code, stdout, _) = aludel(&dir.0, &["check", "--schema", "--format", "json"]);
    assert_eq!(code, Some(1));
    assert!(stdout.contains("\"matches\": false"), "{stdout}");
    assert_eq!(stdout.matches("\"kind\": ").count(), 8, "{stdout}");
    assert!(stdout.contains("\"kind\": \"primary_key\""), "{stdout}");
}

#[test]
fn more_than_ten_differences_are_counted() {
    let dir = project("many");
    let columns: String = (0..12)
        .map(|i| format!("        c{i} -> Text,\n"))
        .collect();
    edit(
        &dir,
        "src/schema.rs",
        "        clock -> Nullable<Time>,\n",
        &format!("        clock -> Nullable<Time>,\n{columns}"),
    );
    let (code, _, stderr) = aludel(&dir.0, &["check", "--schema"]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.starts_with("error: src/schema.rs differs from the history (12 differences):\n"),
        "{stderr}"
    );
    assert_eq!(
        stderr.lines().count(),
        12,
        "ten listed and a count: {stderr}"
    );
    assert!(stderr.ends_with("  and 2 more\n"), "{stderr}");
}

#[test]
fn the_schema_file_comes_from_the_argument_then_diesel_toml() {
    let dir = project("paths");
    let text = std::fs::read_to_string(dir.0.join("src/schema.rs")).unwrap();
    std::fs::remove_file(dir.0.join("src/schema.rs")).unwrap();
    dir.write("src/db/schema.rs", &text);
    let (code, _, stderr) = aludel(&dir.0, &["check", "--schema"]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.starts_with("error: src/schema.rs: cannot read the schema file:"),
        "{stderr}"
    );
    let (code, _, stderr) = aludel(&dir.0, &["check", "--schema", "src/db/schema.rs"]);
    assert_eq!(
        (code, stderr.as_str()),
        (Some(0), "src/db/schema.rs matches the history (5 tables)\n")
    );
    dir.write(
        "diesel.toml",
        "[print_schema]\nfile = \"src/db/schema.rs\"\n",
    );
    let (code, _, stderr) = aludel(&dir.0, &["check", "--schema"]);
    assert_eq!(
        (code, stderr.as_str()),
        (Some(0), "src/db/schema.rs matches the history (5 tables)\n")
    );
    dir.write("diesel.toml", "[print_schema]\nfile = 3\n");
    let (code, _, stderr) = aludel(&dir.0, &["check", "--schema"]);
    assert_eq!(
        (code, stderr.as_str()),
        (
            Some(1),
            "error: diesel.toml: `print_schema.file` is not a string\n"
        )
    );
}

#[test]
fn a_broken_schema_file_is_an_error_with_its_line() {
    let dir = project("broken");
    edit(
        &dir,
        "src/schema.rs",
        "        flag -> Bool,\n",
        "        flag -> ,\n",
    );
    let (code, stdout, stderr) = aludel(&dir.0, &["check", "--schema"]);
    assert_eq!((code, stdout.as_str()), (Some(1), ""));
    assert!(stderr.starts_with("error: src/schema.rs:6:"), "{stderr}");
}

#[test]
fn a_history_that_does_not_apply_or_another_dialect_is_refused() {
    let dir = project("refused");
    let (code, _, stderr) = aludel(
        &dir.0,
        &[
            "check",
            "--schema",
            "--database-url",
            "mysql://u:secret@127.0.0.1:1/x",
        ],
    );
    assert_eq!(code, Some(1));
    assert!(
        stderr.starts_with("error: cannot connect to mysql://u:***@127.0.0.1:1/x")
            && !stderr.contains("secret"),
        "{stderr}"
    );
    // A --dev-url of another dialect than the project's database, or an SQLite one.
    let (code, _, stderr) = aludel(
        &dir.0,
        &[
            "check",
            "--schema",
            "--database-url",
            "postgres://u:secret@127.0.0.1:1/x",
            "--dev-url",
            "mysql://u:secret@127.0.0.1:1/x",
        ],
    );
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("this is a MySQL server and the project's database postgres://u:***@127.0.0.1:1/x is PostgreSQL")
            && !stderr.contains("secret"),
        "{stderr}"
    );
    let (code, _, stderr) = aludel(&dir.0, &["print-schema", "--dev-url", "sqlite://x.db"]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("--dev-url names a PostgreSQL or MySQL server"),
        "{stderr}"
    );
    assert!(!dir.0.join("x.db").exists());
    // A PostgreSQL server that cannot be reached: a clear error, the password masked.
    let (code, _, stderr) = aludel(
        &dir.0,
        &[
            "check",
            "--schema",
            "--database-url",
            "postgres://u:secret@127.0.0.1:1/x",
        ],
    );
    assert_eq!(code, Some(1));
    assert!(
        stderr.starts_with("error: cannot connect to postgres://u:***@127.0.0.1:1/x")
            && !stderr.contains("secret"),
        "{stderr}"
    );
    dir.write(
        "migrations/versions/3_fails.sql",
        "-- revision: s3\n-- down_revision: s2\n\n-- upgrade\nCREATE TABLE kinds (id INTEGER);\n",
    );
    let (code, _, stderr) = aludel(&dir.0, &["check", "--schema"]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("s3") && stderr.contains("already exists"),
        "{stderr}"
    );
    dir.write(
        "migrations/versions/3_fails.rs",
        "//! revision: s3\n//! down_revision: s2\n\npub fn upgrade(op: &mut aludel::op::Op<'_>) -> aludel::Result<()> {\n    op.execute(\"SELECT 1\")\n}\n",
    );
    std::fs::remove_file(dir.0.join("migrations/versions/3_fails.sql")).unwrap();
    let (code, _, stderr) = aludel(&dir.0, &["check", "--schema"]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("this history has Rust revisions (s3 in"),
        "{stderr}"
    );
}

#[test]
fn print_schema_prints_what_diesel_prints_for_the_history_and_for_a_live_database() {
    let dir = project("print");
    let expected = std::fs::read_to_string(dir.0.join("src/schema.rs")).unwrap();
    let (code, stdout, stderr) = aludel(&dir.0, &["print-schema"]);
    assert_eq!((code, stderr.as_str()), (Some(0), ""));
    assert_eq!(
        stdout, expected,
        "byte for byte what diesel print-schema prints"
    );
    // A live database: aludel's own tables are left out.
    let (code, _, stderr) = aludel(&dir.0, &["upgrade", "heads", "--database-url", "live.db"]);
    assert_eq!(code, Some(0), "{stderr}");
    let (code, stdout, _) = aludel(&dir.0, &["print-schema", "--database-url", "live.db"]);
    assert_eq!((code, stdout), (Some(0), expected));
    // A file that does not exist is not created.
    let (code, stdout, stderr) = aludel(&dir.0, &["print-schema", "--database-url", "none.db"]);
    assert_eq!((code, stdout.as_str()), (Some(1), ""));
    assert!(stderr.contains("does not exist"), "{stderr}");
    assert!(!dir.0.join("none.db").exists());
}

#[test]
fn names_that_are_not_rust_names_get_sql_name_as_diesel_writes_them() {
    let dir = TempDir::new("aludel-schema-names");
    dir.write(
        "migrations/versions/1.sql",
        "-- revision: n1\n-- down_revision:\n\n-- upgrade\nCREATE TABLE t (id integer primary key, \"first name\" text, \"a - b\" text, \"type\" text, t text, \"say \"\"hi\"\" #1\" text);\n",
    );
    let (code, stdout, stderr) = aludel(&dir.0, &["print-schema"]);
    assert_eq!((code, stderr.as_str()), (Some(0), ""));
    // What diesel print-schema (diesel_cli 2.3.14) prints for this table.
    assert_eq!(
        stdout,
        r###"// @generated automatically by Diesel CLI.

diesel::table! {
    t (id) {
        id -> Nullable<Integer>,
        #[sql_name = "first name"]
        first_name -> Nullable<Text>,
        #[sql_name = "a - b"]
        a_b -> Nullable<Text>,
        #[sql_name = "type"]
        type_ -> Nullable<Text>,
        #[sql_name = "t"]
        t_ -> Nullable<Text>,
        #[sql_name = r##"say "hi" #1"##]
        say_hi_1 -> Nullable<Text>,
    }
}
"###
    );
    // And check --schema reads it back as the same schema.
    dir.write("src/schema.rs", &stdout);
    let (code, _, stderr) = aludel(&dir.0, &["check", "--schema"]);
    assert_eq!(
        (code, stderr.as_str()),
        (Some(0), "src/schema.rs matches the history (1 table)\n")
    );
}

#[test]
fn init_keeps_aludels_tables_out_of_diesel_print_schema() {
    let dir = TempDir::new("aludel-schema-init");
    let setup = "# For documentation on how to configure this file,\n# see https://diesel.rs/guides/configuring-diesel-cli\n\n[print_schema]\nfile = \"src/schema.rs\"\n\n[migrations_directory]\ndir = \"migrations\"\n";
    dir.write("diesel.toml", setup);
    let (code, _, stderr) = aludel(&dir.0, &["init"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("Updating diesel.toml ...  done"),
        "{stderr}"
    );
    let written = std::fs::read_to_string(dir.0.join("diesel.toml")).unwrap();
    assert_eq!(
        written,
        setup.replace(
            "[print_schema]\n",
            "[print_schema]\nfilter = { except_tables = [\"^alembic_version$\", \"^aludel_revision_log$\", \"^aludel_revision_log_lineage$\"] }\n"
        )
    );
    let (_, _, stderr) = aludel(&dir.0, &["init"]);
    assert!(
        stderr.contains("diesel.toml leaves aludel's tables out of print-schema already, kept"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.0.join("diesel.toml")).unwrap(),
        written
    );

    // diesel print-schema itself, where diesel_cli is installed (ALUDEL_TEST_DIESEL names it).
    let Some(diesel) = aludel_tests::diesel_cli("running diesel print-schema") else {
        return;
    };
    dir.write(
        "migrations/versions/1.sql",
        "-- revision: i1\n-- down_revision:\n\n-- upgrade\nCREATE TABLE users (id INTEGER PRIMARY KEY);\n",
    );
    let (code, _, stderr) = aludel(&dir.0, &["upgrade", "heads", "--database-url", "app.db"]);
    assert_eq!(code, Some(0), "{stderr}");
    let printed = aludel_tests::run_diesel(
        Path::new(&diesel),
        &dir.0,
        &["print-schema", "--database-url", "app.db"],
    );
    assert!(
        printed.contains("users (id)")
            && !printed.contains("alembic")
            && !printed.contains("aludel"),
        "{printed}"
    );
    let (_, ours, _) = aludel(&dir.0, &["print-schema"]);
    assert_eq!(ours, printed);
}

#[test]
fn a_database_changed_by_hand_is_reported_beside_the_schema_file() {
    let dir = project("live");
    let (code, _, stderr) = aludel(&dir.0, &["upgrade", "s1", "--database-url", "app.db"]);
    assert_eq!(code, Some(0), "{stderr}");
    let (code, _, stderr) = aludel(&dir.0, &["check", "--schema", "--database-url", "app.db"]);
    assert_eq!(code, Some(1));
    assert_eq!(stderr, "error: app.db: the database is not at the history's heads (1 pending), and check --schema compares its schema with the history's at heads; run `aludel upgrade heads` first\n");
    aludel(&dir.0, &["upgrade", "heads", "--database-url", "app.db"]);
    let (code, _, stderr) = aludel(&dir.0, &["check", "--schema", "--database-url", "app.db"]);
    assert_eq!(
        (code, stderr.as_str()),
        (
            Some(0),
            "src/schema.rs and the database app.db match the history (5 tables)\n"
        )
    );
    // A column added by hand: every checksum still matches, the schema does not.
    use diesel::{Connection, RunQueryDsl};
    let mut conn =
        diesel::SqliteConnection::establish(dir.0.join("app.db").to_str().unwrap()).unwrap();
    diesel::sql_query("ALTER TABLE teams ADD COLUMN motto TEXT")
        .execute(&mut conn)
        .unwrap();
    let (code, stdout, stderr) = aludel(&dir.0, &["check", "--schema", "--database-url", "app.db"]);
    assert_eq!((code, stdout.as_str()), (Some(1), ""));
    assert_eq!(
        stderr,
        "error: the database app.db differs from the history (1 difference):\n  table teams: column motto (Nullable<Text>) is in the database, not in the history\n"
    );
    let (code, stdout, _) = aludel(
        &dir.0,
        &[
            "check",
            "--schema",
            "--database-url",
            "app.db",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, Some(1));
    assert!(
        stdout.contains("\"database\": {") && stdout.contains("column motto"),
        "{stdout}"
    );
    // check alone (the version table) still passes.
    let (code, _, _) = aludel(&dir.0, &["check", "--database-url", "app.db"]);
    assert_eq!(code, Some(0));
}

#[test]
fn a_column_type_diesel_cannot_read_is_an_error_as_in_diesel() {
    let dir = TempDir::new("aludel-schema-unsupported");
    dir.write(
        "migrations/versions/1.sql",
        "-- revision: u1\n-- down_revision:\n\n-- upgrade\nCREATE TABLE docs (id INTEGER PRIMARY KEY, data JSONB);\n",
    );
    dir.write("src/schema.rs", "");
    for args in [&["print-schema"][..], &["check", "--schema"]] {
        let (code, stdout, stderr) = aludel(&dir.0, args);
        assert_eq!((code, stdout.as_str()), (Some(1), ""), "{args:?}");
        assert!(
            stderr
                .contains("column docs.data is declared `JSONB`, which diesel has no SQL type for"),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn a_postgres_history_is_replayed_into_a_scratch_database_on_its_server() {
    let Some(db) = aludel_tests::TestDb::new(aludel_tests::Backend::Postgres) else {
        return;
    };
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/schema_postgres");
    let dir = TempDir::new("aludel-schema-postgres");
    let sql = std::fs::read_to_string(fixture.join("schema.sql")).unwrap();
    dir.write(
        "migrations/versions/1.sql",
        &format!("-- revision: p1\n-- down_revision:\n\n-- upgrade\n{sql}"),
    );
    dir.write(
        "src/schema.rs",
        &std::fs::read_to_string(fixture.join("schema.rs")).unwrap(),
    );
    let url = db.url.as_str();
    let (code, _, stderr) = aludel(&dir.0, &["upgrade", "heads", "--database-url", url]);
    assert_eq!(code, Some(0), "{stderr}");
    let (code, stdout, stderr) = aludel(&dir.0, &["check", "--schema", "--database-url", url]);
    assert_eq!((code, stdout.as_str()), (Some(0), ""), "{stderr}");
    assert!(
        stderr.ends_with("match the history (4 tables)\n"),
        "{stderr}"
    );
    // The scratch database is gone.
    let mut conn = db.connect();
    assert_eq!(
        own_scratch(conn.strings(
            "SELECT datname AS a FROM pg_database WHERE datname LIKE 'aludel\\_scratch\\_%'"
        )),
        Vec::<String>::new()
    );
    edit(
        &dir,
        "src/schema.rs",
        "        founded -> Nullable<Date>,\n",
        "        founded -> Date,\n",
    );
    let (code, _, stderr) = aludel(&dir.0, &["check", "--schema", "--database-url", url]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains(
            "table teams: column founded is Nullable<Date> in the history, Date in the schema file"
        ),
        "{stderr}"
    );
    // print-schema prints what diesel printed, from the history (replayed on the configured
    // server, or on --dev-url's) and from the live database.
    let expected = std::fs::read_to_string(fixture.join("schema.rs")).unwrap();
    let (code, stdout, stderr) = aludel_env(&dir.0, &["print-schema"], Some(url));
    assert_eq!(
        (code, stdout.as_str()),
        (Some(0), expected.as_str()),
        "{stderr}"
    );
    let (code, stdout, stderr) = aludel(&dir.0, &["print-schema", "--dev-url", url]);
    assert_eq!(
        (code, stdout.as_str()),
        (Some(0), expected.as_str()),
        "{stderr}"
    );
    let (code, stdout, stderr) = aludel(&dir.0, &["print-schema", "--database-url", url]);
    assert_eq!(
        (code, stdout.as_str()),
        (Some(0), expected.as_str()),
        "{stderr}"
    );
    assert_eq!(
        own_scratch(conn.strings(
            "SELECT datname AS a FROM pg_database WHERE datname LIKE 'aludel\\_scratch\\_%'"
        )),
        Vec::<String>::new()
    );
}

#[test]
fn a_mysql_history_is_replayed_into_a_scratch_database_on_its_server() {
    let Some(db) = aludel_tests::TestDb::new(aludel_tests::Backend::Mysql) else {
        return;
    };
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/schema_mysql");
    let dir = TempDir::new("aludel-schema-mysql");
    let sql = std::fs::read_to_string(fixture.join("schema.sql")).unwrap();
    dir.write(
        "migrations/versions/1.sql",
        &format!("-- revision: m1\n-- down_revision:\n\n-- upgrade\n{sql}"),
    );
    let expected = std::fs::read_to_string(fixture.join("schema.rs")).unwrap();
    dir.write("src/schema.rs", &expected);
    let url = db.url.as_str();
    let (code, _, stderr) = aludel(&dir.0, &["upgrade", "heads", "--database-url", url]);
    assert_eq!(code, Some(0), "{stderr}");
    let (code, stdout, stderr) = aludel(&dir.0, &["check", "--schema", "--database-url", url]);
    assert_eq!((code, stdout.as_str()), (Some(0), ""), "{stderr}");
    let (code, stdout, stderr) = aludel_env(&dir.0, &["print-schema"], Some(url));
    assert_eq!(
        (code, stdout.as_str()),
        (Some(0), expected.as_str()),
        "{stderr}"
    );
    let (code, stdout, stderr) = aludel(&dir.0, &["print-schema", "--database-url", url]);
    assert_eq!(
        (code, stdout.as_str()),
        (Some(0), expected.as_str()),
        "{stderr}"
    );
    // A column changed by hand in the database is reported, and no scratch database is left.
    let mut conn = db.connect();
    conn.batch("ALTER TABLE users ADD COLUMN nickname TEXT")
        .unwrap();
    let (code, _, stderr) = aludel(&dir.0, &["check", "--schema", "--database-url", url]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains(
            "table users: column nickname (Nullable<Text>) is in the database, not in the history"
        ),
        "{stderr}"
    );
    assert_eq!(
        own_scratch(conn.strings(
            "SELECT schema_name AS a FROM information_schema.schemata WHERE schema_name LIKE 'aludel\\_scratch\\_%'"
        )),
        Vec::<String>::new()
    );
}

#[test]
fn sqlite_row_ids_as_bigint_print_as_diesel_prints_them() {
    let Some(diesel) = aludel_tests::diesel_cli("the comparison of SQLite row ids as BigInt")
    else {
        return;
    };
    let dir = TempDir::new("aludel-schema-rowid");
    dir.write(
        "migrations/versions/1.sql",
        "-- revision: r1\n-- down_revision:\n\n-- upgrade\n\
         CREATE TABLE users (id INTEGER PRIMARY KEY, age INTEGER, n INT);\n\
         CREATE TABLE tags (name TEXT PRIMARY KEY, rank INTEGER) WITHOUT ROWID;\n\
         CREATE TABLE notes (body TEXT);\n\
         CREATE TABLE keyed (id INT PRIMARY KEY, user_id INTEGER REFERENCES users, note_id INTEGER REFERENCES notes, tag TEXT REFERENCES tags);\n",
    );
    dir.write(
        "diesel.toml",
        "[print_schema]\nsqlite_integer_primary_key_is_bigint = true\nfilter = { except_tables = [\"^alembic_version$\", \"^aludel_\"] }\n",
    );
    let (code, _, stderr) = aludel(&dir.0, &["upgrade", "heads", "--database-url", "app.db"]);
    assert_eq!(code, Some(0), "{stderr}");
    let printed = aludel_tests::run_diesel(
        &diesel,
        &dir.0,
        &["print-schema", "--database-url", "app.db"],
    );
    assert!(
        printed.contains("id -> BigInt") && printed.contains("user_id -> Nullable<BigInt>"),
        "{printed}"
    );
    let (code, ours, stderr) = aludel(&dir.0, &["print-schema"]);
    assert_eq!(
        (code, ours.as_str()),
        (Some(0), printed.as_str()),
        "{stderr}"
    );
    let (code, ours, stderr) = aludel(&dir.0, &["print-schema", "--database-url", "app.db"]);
    assert_eq!(
        (code, ours.as_str()),
        (Some(0), printed.as_str()),
        "{stderr}"
    );
}

#[test]
fn a_patch_file_is_applied_as_diesel_applies_it() {
    let Some(diesel) = aludel_tests::diesel_cli("the comparison of patch files") else {
        return;
    };
    let dir = TempDir::new("aludel-schema-patch");
    dir.write(
        "migrations/versions/1.sql",
        "-- revision: p1\n-- down_revision:\n\n-- upgrade\nCREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, joined TEXT);\n",
    );
    let (code, _, stderr) = aludel(&dir.0, &["upgrade", "heads", "--database-url", "app.db"]);
    assert_eq!(code, Some(0), "{stderr}");
    dir.write(
        "diesel.toml",
        "[print_schema]\nfilter = { except_tables = [\"^alembic_version$\", \"^aludel_\"] }\n",
    );
    let (code, plain, stderr) = aludel(&dir.0, &["print-schema"]);
    assert_eq!(code, Some(0), "{stderr}");
    // A patch as users write them: `diff -u` of the printed file and their edit.
    let edited = plain.replace("joined -> Nullable<Text>", "joined -> Nullable<Timestamp>");
    dir.write("before.rs", &plain);
    dir.write("after.rs", &edited);
    let diff = Command::new("diff")
        .args(["-u", "before.rs", "after.rs"])
        .current_dir(&dir.0)
        .output()
        .unwrap();
    dir.write("schema.patch", &String::from_utf8(diff.stdout).unwrap());
    dir.write(
        "diesel.toml",
        "[print_schema]\nfile = \"src/schema.rs\"\npatch_file = \"schema.patch\"\nfilter = { except_tables = [\"^alembic_version$\", \"^aludel_\"] }\n",
    );
    let printed = aludel_tests::run_diesel(
        &diesel,
        &dir.0,
        &["print-schema", "--database-url", "app.db"],
    );
    assert_eq!(printed, edited);
    let (code, ours, stderr) = aludel(&dir.0, &["print-schema"]);
    assert_eq!(
        (code, ours.as_str()),
        (Some(0), printed.as_str()),
        "{stderr}"
    );
    // check --schema compares the file with the history's print, patched.
    dir.write("src/schema.rs", &edited);
    let (code, _, stderr) = aludel(&dir.0, &["check", "--schema"]);
    assert_eq!(code, Some(0), "{stderr}");
    dir.write("src/schema.rs", &plain);
    let (code, _, stderr) = aludel(&dir.0, &["check", "--schema"]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("column joined is Nullable<Timestamp> in the history, Nullable<Text> in the schema file"),
        "{stderr}"
    );
    // A patch that no longer applies is an error naming it.
    dir.write("schema.patch", "@@ -1,1 +1,1 @@\n-nothing like this\n+x\n");
    let (code, stdout, stderr) = aludel(&dir.0, &["print-schema"]);
    assert_eq!((code, stdout.as_str()), (Some(1), ""));
    assert!(
        stderr.contains(
            "schema.patch: the patch does not apply: hunk 1 expects `nothing like this` at line 1"
        ),
        "{stderr}"
    );
}

#[test]
fn an_index_or_a_default_changed_by_hand_is_reported_on_every_backend() {
    for db in aludel_tests::backends() {
        let backend = db.backend;
        let url = match backend {
            aludel_tests::Backend::Sqlite => format!("sqlite://{}", db.url),
            _ => db.url.clone(),
        };
        if backend == aludel_tests::Backend::Mysql {
            // A database of another collation than the server's: the scratch database takes
            // the configured database's, so that the tables' definitions compare.
            db.connect()
                .batch("ALTER DATABASE CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
                .unwrap();
        }
        let dir = TempDir::new(&format!("aludel-schema-drift-{backend:?}"));
        dir.write(
            "migrations/versions/1.sql",
            "-- revision: d1\n-- down_revision:\n\n-- upgrade\nCREATE TABLE teams (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(40) NOT NULL, size INTEGER DEFAULT 0);\nCREATE INDEX teams_size ON teams (size);\n",
        );
        let (code, _, stderr) = aludel(&dir.0, &["upgrade", "heads", "--database-url", &url]);
        assert_eq!(code, Some(0), "{stderr}");
        let (code, printed, stderr) = aludel(&dir.0, &["print-schema", "--database-url", &url]);
        assert_eq!(code, Some(0), "{stderr}");
        dir.write("src/schema.rs", &printed);
        let check = || aludel(&dir.0, &["check", "--schema", "--database-url", &url]);
        let (code, _, stderr) = check();
        assert_eq!(code, Some(0), "{backend:?}: {stderr}");
        // Changed by hand: an index added, one dropped; schema.rs cannot show either.
        let mut conn = db.connect();
        conn.batch("CREATE INDEX teams_by_name ON teams (name)")
            .unwrap();
        conn.batch(match backend {
            aludel_tests::Backend::Mysql => "DROP INDEX teams_size ON teams",
            _ => "DROP INDEX teams_size",
        })
        .unwrap();
        let (code, _, stderr) = check();
        assert_eq!(code, Some(1), "{backend:?}: {stderr}");
        assert!(
            stderr.contains("the database")
                && stderr.contains("differs from the history (2 differences)"),
            "{backend:?}: {stderr}"
        );
        assert!(
            stderr.contains("teams_by_name")
                && stderr.contains("is in the database, not in the history"),
            "{backend:?}: {stderr}"
        );
        assert!(
            stderr.contains("teams_size")
                && stderr.contains("is in the history, not in the database"),
            "{backend:?}: {stderr}"
        );
        // A default changed by hand (SQLite cannot change one in place).
        if backend != aludel_tests::Backend::Sqlite {
            conn.batch("CREATE INDEX teams_size ON teams (size)")
                .unwrap();
            conn.batch("DROP INDEX teams_by_name ON teams")
                .or_else(|_| conn.batch("DROP INDEX teams_by_name"))
                .unwrap();
            let (code, _, stderr) = check();
            assert_eq!(code, Some(0), "{backend:?}: {stderr}");
            conn.batch("ALTER TABLE teams ALTER COLUMN size SET DEFAULT 5")
                .unwrap();
            let (code, _, stderr) = check();
            assert_eq!(code, Some(1), "{backend:?}: {stderr}");
            assert!(stderr.contains("DEFAULT 5"), "{backend:?}: {stderr}");
        }
    }
}
