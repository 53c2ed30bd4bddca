//! `aludel revision --autogenerate`: schema.rs edited, the revision generated, upgraded,
//! checked with `check --schema`, downgraded to the schema before with the rows intact, on
//! SQLite, PostgreSQL and MariaDB; renames, hints, no changes, and refusals.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking

use std::path::Path;

use aludel_tests::{Backend, TempDir, TestDb};
use common::aludel;

mod common;

/// `aludel args...`, which must succeed; its stderr.
fn ok(dir: &Path, args: &[&str], url: &str) -> String {
    let (code, stdout, stderr) = aludel(dir, args, Some(url));
    assert_eq!(code, Some(0), "aludel {args:?}: {stdout}{stderr}");
    stderr
}

/// The revision files of a project, sorted.
fn revisions(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("migrations/versions"))
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// The text of the revision file whose name contains `part`.
fn revision_text(dir: &Path, part: &str) -> String {
    let name = revisions(dir)
        .into_iter()
        .find(|n| n.contains(part))
        .unwrap_or_else(|| panic!("no revision file with {part}"));
    std::fs::read_to_string(dir.join("migrations/versions").join(name)).unwrap()
}

const FIRST: &str = r#"diesel::table! {
    comments (id) {
        id -> Integer,
        post_id -> Integer,
        body -> Text,
    }
}

diesel::table! {
    posts (id) {
        id -> Integer,
        user_id -> Integer,
        title -> Text,
        score -> Nullable<Double>,
    }
}

diesel::table! {
    users (id) {
        id -> Integer,
        name -> Text,
        age -> Nullable<Integer>,
    }
}

diesel::joinable!(posts -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(comments, posts, users,);
"#;

/// FIRST edited: a table added (with a key to an existing one), a column added, a type
/// changed, a nullability changed, a foreign key added; on PostgreSQL an enum column too.
fn second(backend: Backend) -> String {
    let (types, mood, uses) = if backend == Backend::Postgres {
        (
            "pub mod sql_types {\n    #[derive(diesel::query_builder::QueryId, Clone, diesel::sql_types::SqlType)]\n    #[diesel(postgres_type(name = \"mood\"))]\n    pub struct Mood;\n}\n\n",
            "        mood -> Nullable<Mood>,\n",
            "    use diesel::sql_types::*;\n    use super::sql_types::Mood;\n\n",
        )
    } else {
        ("", "", "")
    };
    let edited = FIRST
        .replace(
            "        name -> Text,\n        age -> Nullable<Integer>,\n",
            &format!("        name -> Text,\n        age -> Nullable<BigInt>,\n        email -> Nullable<Text>,\n{mood}"),
        )
        .replace("    users (id) {", &format!("{uses}    users (id) {{"))
        .replace("        title -> Text,\n", "        title -> Nullable<Text>,\n")
        .replace(
            "diesel::joinable!(posts -> users (user_id));\n",
            "diesel::table! {\n    tags (id) {\n        id -> Integer,\n        post_id -> Integer,\n        label -> Text,\n    }\n}\n\ndiesel::joinable!(comments -> posts (post_id));\ndiesel::joinable!(posts -> users (user_id));\ndiesel::joinable!(tags -> posts (post_id));\n",
        )
        .replace(
            "allow_tables_to_appear_in_same_query!(comments, posts, users,)",
            "allow_tables_to_appear_in_same_query!(comments, posts, tags, users,)",
        )
        ;
    format!("{types}{edited}")
}

/// `expr` as text in a query of `backend`.
fn as_text(backend: Backend, expr: &str) -> String {
    match backend {
        Backend::Sqlite => expr.to_string(),
        Backend::Postgres => format!("CAST({expr} AS TEXT)"),
        Backend::Mysql => format!("CAST({expr} AS CHAR)"),
    }
}

/// The test database's URL as `DATABASE_URL` takes it.
fn url_of(db: &TestDb) -> String {
    match db.backend {
        Backend::Sqlite => format!("sqlite://{}", db.url),
        _ => db.url.clone(),
    }
}

fn round_trip(db: &TestDb) {
    let backend = db.backend;
    let url = url_of(db);
    let url = url.as_str();
    let dir = TempDir::new(&format!("aludel-autogen-{backend:?}"));
    dir.write("aludel.toml", "");
    dir.write("src/schema.rs", FIRST);

    // The first revision creates the tables, parents first.
    let stderr = ok(&dir.0, &["revision", "--autogenerate", "-m", "first"], url);
    assert!(
        stderr.contains("Detected added table users\n"),
        "{backend:?}: {stderr}"
    );
    let first = revision_text(&dir.0, "first");
    let created = |table: &str| {
        first
            .find(&format!("CREATE TABLE \"{table}\""))
            .or_else(|| first.find(&format!("CREATE TABLE `{table}`")))
            .unwrap_or_else(|| panic!("{backend:?}: no {table} in {first}"))
    };
    let (users, posts) = (created("users"), created("posts"));
    assert!(users < posts, "{backend:?}: {first}");
    ok(&dir.0, &["upgrade", "heads"], url);
    ok(&dir.0, &["check", "--schema"], url);
    let mut conn = db.connect();
    conn.batch(
        "INSERT INTO users (id, name, age) VALUES (1, 'ada', 36); \
         INSERT INTO posts (id, user_id, title, score) VALUES (1, 1, 'hello', 2.0); \
         INSERT INTO comments (id, post_id, body) VALUES (1, 1, 'first')",
    )
    .unwrap();
    let before = ok_print(&dir.0, url);

    // The second takes the history to the edited schema.rs.
    dir.write("src/schema.rs", &second(backend));
    let stderr = ok(&dir.0, &["revision", "--autogenerate", "-m", "second"], url);
    for detected in [
        "Detected added table tags",
        "Detected added column users.email",
        "Detected changed column users.age from Nullable<Int",
        "to Nullable<BigInt>",
        "Detected changed column posts.title from Text to Nullable<Text>",
        "Detected added foreign key comments -> posts (post_id)",
    ] {
        assert!(stderr.contains(detected), "{backend:?}: {stderr}");
    }
    let text = revision_text(&dir.0, "second");
    match backend {
        Backend::Postgres => {
            assert!(text.contains("CREATE TYPE \"mood\" AS ENUM ();"), "{text}");
            assert!(
                text.contains(
                    "ALTER TABLE \"users\" ALTER COLUMN \"age\" TYPE BIGINT USING \"age\"::BIGINT;"
                ),
                "{text}"
            );
            assert!(text.contains("DROP TYPE \"mood\";"), "{text}");
        }
        Backend::Mysql => assert!(
            text.contains("ALTER TABLE `users` MODIFY COLUMN `age` BIGINT DEFAULT NULL;"),
            "{text}"
        ),
        // SQLite changes a type by rebuilding the table, rows copied: never a drop and an
        // add of the column.
        Backend::Sqlite => {
            assert!(
                text.contains("CREATE TABLE \"_aludel_batch_users\""),
                "{text}"
            );
            assert!(!text.contains("DROP COLUMN \"age\""), "{text}");
        }
    }
    ok(&dir.0, &["upgrade", "heads"], url);
    let stderr = ok(&dir.0, &["check", "--schema"], url);
    assert!(stderr.contains("match the history (4 tables)"), "{stderr}");
    let mut conn = db.connect();
    assert_eq!(
        conn.strings(&format!(
            "SELECT {} AS a FROM users WHERE age = 36",
            as_text(backend, "name")
        )),
        ["ada"]
    );
    conn.batch("INSERT INTO tags (id, post_id, label) VALUES (1, 1, 'x')")
        .unwrap();
    conn.batch("DELETE FROM tags").unwrap();

    // Nothing left to do: no file.
    let count = revisions(&dir.0).len();
    let stderr = ok(&dir.0, &["revision", "--autogenerate", "-m", "third"], url);
    assert!(stderr.contains("No changes in schema detected"), "{stderr}");
    assert_eq!(revisions(&dir.0).len(), count);

    // The downgrade restores the schema before, the rows intact.
    ok(&dir.0, &["downgrade", "-1"], url);
    assert_eq!(ok_print(&dir.0, url), before, "{backend:?}");
    let mut conn = db.connect();
    assert_eq!(
        conn.strings(&format!(
            "SELECT {} AS a FROM users JOIN posts ON posts.user_id = users.id JOIN comments ON comments.post_id = posts.id",
            as_text(backend, "CONCAT(users.name, ' ', posts.title, ' ', comments.body)")
        )),
        ["ada hello first"],
        "{backend:?}"
    );
}

/// `print-schema` of the history.
fn ok_print_history(dir: &Path, url: &str) -> String {
    let (code, stdout, stderr) = aludel(dir, &["print-schema"], Some(url));
    assert_eq!(code, Some(0), "{stderr}");
    stdout
}

/// `print-schema` of the live database.
fn ok_print(dir: &Path, url: &str) -> String {
    let (code, stdout, stderr) = aludel(dir, &["print-schema", "--database-url", url], None);
    assert_eq!(code, Some(0), "{stderr}");
    stdout
}

#[test]
fn an_edited_schema_round_trips_on_sqlite() {
    round_trip(&TestDb::new(Backend::Sqlite).unwrap());
}

#[test]
fn an_edited_schema_round_trips_on_postgres() {
    if let Some(db) = TestDb::new(Backend::Postgres) {
        round_trip(&db);
    }
}

#[test]
fn an_edited_schema_round_trips_on_mysql() {
    if let Some(db) = TestDb::new(Backend::Mysql) {
        round_trip(&db);
    }
}

/// A SQLite project whose history is FIRST, upgraded, with a user and a post.
fn sqlite_project(name: &str) -> (TempDir, TestDb, String) {
    let db = TestDb::new(Backend::Sqlite).unwrap();
    let url = url_of(&db);
    let dir = TempDir::new(&format!("aludel-autogen-{name}"));
    dir.write("aludel.toml", "");
    dir.write("src/schema.rs", FIRST);
    ok(&dir.0, &["revision", "--autogenerate", "-m", "first"], &url);
    ok(&dir.0, &["upgrade", "heads"], &url);
    db.connect()
        .batch(
            "INSERT INTO users (id, name, age) VALUES (1, 'ada', 36); \
             INSERT INTO posts (id, user_id, title) VALUES (1, 1, 'hello')",
        )
        .unwrap();
    (dir, db, url)
}

#[test]
fn a_drop_and_an_add_that_look_like_a_rename_say_so_and_a_hint_renames() {
    let (dir, db, url) = sqlite_project("rename");
    let url = url.as_str();
    dir.write(
        "src/schema.rs",
        &FIRST
            .replace("        name -> Text,\n", "        full_name -> Text,\n")
            .replace("    comments (id) {", "    remarks (id) {")
            .replace("(comments, posts, users,)", "(posts, remarks, users,)"),
    );
    let stderr = ok(&dir.0, &["revision", "--autogenerate", "-m", "guess"], url);
    assert!(
        stderr.contains("users.name dropped and users.full_name added: if that is a rename, run again with --rename users.name=full_name"),
        "{stderr}"
    );
    assert!(
        stderr.contains("table comments dropped and table remarks created: if that is a rename, run again with --rename comments=remarks"),
        "{stderr}"
    );
    let text = revision_text(&dir.0, "guess");
    assert!(
        text.contains("-- users.name dropped and users.full_name added: if that is a rename, generate again with --rename users.name=full_name.\n"),
        "{text}"
    );
    let guess = revisions(&dir.0)
        .into_iter()
        .find(|n| n.contains("guess"))
        .unwrap();
    std::fs::remove_file(dir.0.join("migrations/versions").join(guess)).unwrap();

    let stderr = ok(
        &dir.0,
        &[
            "revision",
            "--autogenerate",
            "-m",
            "renamed",
            "--rename",
            "users.name=full_name",
            "--rename",
            "comments=remarks",
        ],
        url,
    );
    assert!(
        stderr.contains("Detected renamed column users.name to full_name"),
        "{stderr}"
    );
    assert!(!stderr.contains("if that is a rename"), "{stderr}");
    let text = revision_text(&dir.0, "renamed");
    assert!(
        text.contains("ALTER TABLE \"users\" RENAME COLUMN \"name\" TO \"full_name\";"),
        "{text}"
    );
    assert!(
        text.contains("ALTER TABLE \"comments\" RENAME TO \"remarks\";"),
        "{text}"
    );
    assert!(
        text.contains("ALTER TABLE \"users\" RENAME COLUMN \"full_name\" TO \"name\";"),
        "{text}"
    );
    ok(&dir.0, &["upgrade", "heads"], url);
    ok(&dir.0, &["check", "--schema"], url);
    assert_eq!(
        db.connect().strings("SELECT full_name AS a FROM users"),
        ["ada"]
    );
    ok(&dir.0, &["downgrade", "-1"], url);
    assert_eq!(db.connect().strings("SELECT name AS a FROM users"), ["ada"]);
}

#[test]
fn what_cannot_be_generated_is_an_error_and_writes_nothing() {
    let (dir, _db, url) = sqlite_project("refused");
    let url = url.as_str();
    let count = revisions(&dir.0).len();
    let refused = |args: &[&str], message: &str| {
        let mut all = vec!["revision", "--autogenerate", "-m", "refused"];
        all.extend_from_slice(args);
        let (code, stdout, stderr) = aludel(&dir.0, &all, Some(url));
        assert_eq!(code, Some(1), "{args:?}: {stdout}{stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(revisions(&dir.0).len(), count, "{args:?}");
    };
    dir.write(
        "src/schema.rs",
        &FIRST.replace("        name -> Text,\n", "        full_name -> Text,\n"),
    );
    refused(
        &["--rename", "users.full_name"],
        "--rename `users.full_name`: write TABLE.COLUMN=NEW_NAME",
    );
    refused(&["--rename", "a.b.c=d"], "--rename `a.b.c=d`");
    refused(
        &["--rename", "users.nick=full_name"],
        "--rename users.nick=full_name: table users has no column nick in the history",
    );
    refused(
        &["--rename", "people=users"],
        "--rename people=users: the history has no table people",
    );
    // A type diesel reads no SQLite column as.
    dir.write(
        "src/schema.rs",
        &FIRST.replace(
            "        age -> Nullable<Integer>,\n",
            "        age -> Nullable<Numeric>,\n",
        ),
    );
    refused(&[], "column age: diesel reads no SQLite column as Numeric");
    // A schema file no revision can reach: a foreign key to a column that is no longer the
    // parent's primary key is not a `joinable!` diesel prints. The revision is tried on the
    // scratch database and not written.
    dir.write(
        "src/schema.rs",
        &FIRST.replace("    users (id) {", "    users (name) {"),
    );
    refused(
        &[],
        "the generated upgrade ran, and the database it left is not src/schema.rs's schema; no revision written. What differs:\n  joinable!(posts -> users (user_id)): in the schema file, not in the database",
    );
    // A schema file that is missing or broken.
    refused(
        &["--schema", "src/nothing.rs"],
        "cannot read the schema file",
    );
    dir.write("src/broken.rs", "diesel::table! { users (id) { id -> } }\n");
    refused(&["--schema", "src/broken.rs"], "src/broken.rs:1:");
    // --rename without --autogenerate.
    let (code, _, stderr) = aludel(
        &dir.0,
        &["revision", "-m", "x", "--rename", "a=b"],
        Some(url),
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("--autogenerate"), "{stderr}");
    assert_eq!(revisions(&dir.0).len(), count);
}

#[test]
fn aludels_tables_and_filtered_tables_are_never_touched() {
    let (dir, db, url) = sqlite_project("own");
    let url = url.as_str();
    // diesel print-schema run before `aludel init` lists the version table; diesel.toml
    // leaves `comments` out of the schema.
    dir.write(
        "src/schema.rs",
        &FIRST.replace(
            "diesel::table! {\n    comments (id) {\n        id -> Integer,\n        post_id -> Integer,\n        body -> Text,\n    }\n}\n",
            "diesel::table! {\n    alembic_version (version_num) {\n        version_num -> Text,\n    }\n}\n",
        ),
    );
    dir.write(
        "diesel.toml",
        "[print_schema]\nfile = \"src/schema.rs\"\nfilter = { except_tables = [\"^comments$\"] }\n",
    );
    let stderr = ok(&dir.0, &["revision", "--autogenerate", "-m", "own"], url);
    assert!(stderr.contains("No changes in schema detected"), "{stderr}");
    assert!(db.connect().has_table("comments"));
}

/// The statements that create `table` as the test database has it.
fn definition(db: &TestDb, table: &str) -> Vec<String> {
    match db.connect() {
        aludel_tests::Conn::Sqlite(mut c) => {
            aludel_schema::sqlite::table_definition(&mut c, table).unwrap()
        }
        aludel_tests::Conn::Postgres(mut c) => {
            aludel_schema::postgres::table_definition(&mut c, table).unwrap()
        }
        aludel_tests::Conn::Mysql(mut c) => {
            aludel_schema::mysql::table_definition(&mut c, table).unwrap()
        }
    }
}

#[test]
fn a_dropped_table_comes_back_in_the_downgrade_as_it_was() {
    // SQL every dialect takes: a default, a unique constraint, an index, a foreign key out
    // and one in.
    let first = "-- revision: r1\n-- down_revision:\n\n-- upgrade\n\
        CREATE TABLE users (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(40) NOT NULL);\n\
        CREATE TABLE notes (id INTEGER NOT NULL PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id), \
        body VARCHAR(100) NOT NULL DEFAULT 'none', score INTEGER DEFAULT 0, UNIQUE (body));\n\
        CREATE INDEX notes_score ON notes (score);\n\
        CREATE TABLE pins (id INTEGER NOT NULL PRIMARY KEY, note_id INTEGER NOT NULL, \
        CONSTRAINT pins_note_id_fkey FOREIGN KEY (note_id) REFERENCES notes (id));\n";
    let schema = "diesel::table! {\n    pins (id) {\n        id -> Integer,\n        note_id -> Integer,\n    }\n}\n\n\
        diesel::table! {\n    users (id) {\n        id -> Integer,\n        #[max_length = 40]\n        name -> Varchar,\n    }\n}\n";
    for db in aludel_tests::backends() {
        let backend = db.backend;
        let url = url_of(&db);
        let url = url.as_str();
        let dir = TempDir::new(&format!("aludel-autogen-drop-{backend:?}"));
        dir.write("aludel.toml", "");
        dir.write("migrations/versions/1.sql", first);
        dir.write("src/schema.rs", schema);
        ok(&dir.0, &["upgrade", "heads"], url);
        let before = definition(&db, "notes");
        let stderr = ok(&dir.0, &["revision", "--autogenerate", "-m", "drop"], url);
        assert!(stderr.contains("Detected removed table notes"), "{stderr}");
        assert!(
            stderr.contains("Detected removed foreign key pins -> notes (note_id)"),
            "{stderr}"
        );
        ok(&dir.0, &["upgrade", "heads"], url);
        assert!(!db.connect().has_table("notes"));
        ok(&dir.0, &["check", "--schema"], url);
        ok(&dir.0, &["downgrade", "-1"], url);
        assert_eq!(definition(&db, "notes"), before, "{backend:?}");
        // The key from pins is back too.
        let mut conn = db.connect();
        conn.batch("INSERT INTO users (id, name) VALUES (1, 'ada')")
            .unwrap();
        conn.batch("INSERT INTO notes (id, user_id) VALUES (1, 1)")
            .unwrap();
        assert_eq!(
            conn.strings(&format!(
                "SELECT {} AS a FROM notes",
                as_text(backend, "body")
            )),
            ["none"]
        );
        if backend != Backend::Sqlite {
            assert!(conn
                .batch("INSERT INTO pins (id, note_id) VALUES (1, 9)")
                .is_err());
        }
    }
}

/// A history whose second revision `--autogenerate --rust` wrote (see the fixture's README).
static GENERATED: aludel::Migrations =
    aludel::embed_migrations!("tests/fixtures/autogen_rust/versions");

/// `text` without its `create_date` line.
fn undated(text: &str) -> String {
    text.lines()
        .filter(|l| !l.starts_with("//! create_date:"))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn a_rust_revision_is_generated_as_op_calls_that_run_on_every_backend() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/autogen_rust");
    let read = |name: &str| std::fs::read_to_string(fixture.join(name)).unwrap();
    let dir = TempDir::new("aludel-autogen-rust");
    dir.write("aludel.toml", "");
    dir.write(
        "migrations/versions/1_first.sql",
        &read("versions/1_first.sql"),
    );
    dir.write("src/schema.rs", &read("schema_second.rs"));
    let (code, stdout, stderr) = aludel(
        &dir.0,
        &[
            "revision",
            "--autogenerate",
            "--rust",
            "--rev-id",
            "second",
            "-m",
            "second",
        ],
        None,
    );
    assert_eq!(code, Some(0), "{stderr}");
    let written = std::fs::read_to_string(dir.0.join(stdout.trim())).unwrap();
    assert_eq!(
        undated(&written),
        undated(&read("versions/2_second.rs")),
        "autogenerate writes otherwise now: copy {} into the fixture",
        stdout.trim()
    );

    let first = aludel_schema::read_schema_rs(&read("schema_first.rs")).unwrap();
    let second = aludel_schema::read_schema_rs(&read("schema_second.rs")).unwrap();
    for db in aludel_tests::backends() {
        let backend = db.backend;
        let mut conn = db.connect();
        let filter = aludel_schema::TableFilter::own(&aludel::Options::default().own_tables());
        let schema = |conn: &mut aludel_tests::Conn| match conn {
            aludel_tests::Conn::Sqlite(c) => {
                aludel_schema::sqlite::introspect(c, &filter, false).unwrap()
            }
            aludel_tests::Conn::Postgres(c) => {
                aludel_schema::postgres::introspect(c, None, &filter, &[]).unwrap()
            }
            aludel_tests::Conn::Mysql(c) => aludel_schema::mysql::introspect(c, &filter).unwrap(),
        };
        aludel_tests::with_conn!(&mut conn, c => GENERATED.upgrade(c, "first")).unwrap();
        conn.batch("INSERT INTO users (id, name, age, admin) VALUES (1, 'ada', 36, TRUE)")
            .unwrap();
        conn.batch("INSERT INTO posts (id, user_id, title) VALUES (1, 1, 'hello')")
            .unwrap();
        aludel_tests::with_conn!(&mut conn, c => GENERATED.run_pending(c)).unwrap();
        assert_eq!(
            aludel_schema::diff(&second, &schema(&mut conn)),
            [],
            "{backend:?}"
        );
        aludel_tests::with_conn!(&mut conn, c => GENERATED.downgrade(c, "first")).unwrap();
        assert_eq!(
            aludel_schema::diff(&first, &schema(&mut conn)),
            [],
            "{backend:?}"
        );
        assert_eq!(
            conn.strings(&format!(
                "SELECT {} AS a FROM users JOIN posts ON posts.user_id = users.id WHERE age = 36",
                as_text(backend, "CONCAT(name, ' ', title)")
            )),
            ["ada hello"],
            "{backend:?}"
        );
    }
}

#[test]
fn a_primary_key_changes_and_changes_back_on_every_backend() {
    let first = "diesel::table! {\n    memberships (team_id, user_id) {\n        team_id -> Integer,\n        user_id -> Integer,\n        season -> Integer,\n    }\n}\n";
    for db in aludel_tests::backends() {
        let backend = db.backend;
        let url = url_of(&db);
        let url = url.as_str();
        let dir = TempDir::new(&format!("aludel-autogen-key-{backend:?}"));
        dir.write("aludel.toml", "");
        dir.write("src/schema.rs", first);
        ok(&dir.0, &["revision", "--autogenerate", "-m", "first"], url);
        ok(&dir.0, &["upgrade", "heads"], url);
        db.connect()
            .batch("INSERT INTO memberships (team_id, user_id, season) VALUES (1, 2, 2020)")
            .unwrap();
        let before = ok_print(&dir.0, url);
        dir.write(
            "src/schema.rs",
            &first.replace("(team_id, user_id)", "(team_id, user_id, season)"),
        );
        let stderr = ok(&dir.0, &["revision", "--autogenerate", "-m", "key"], url);
        assert!(
            stderr.contains("Detected changed primary key of memberships from (team_id, user_id) to (team_id, user_id, season)"),
            "{backend:?}: {stderr}"
        );
        let text = revision_text(&dir.0, "key");
        match backend {
            Backend::Postgres => assert!(text.contains("ALTER TABLE \"memberships\" DROP CONSTRAINT \"memberships_pkey\", ADD PRIMARY KEY (\"team_id\", \"user_id\", \"season\");"), "{text}"),
            Backend::Mysql => assert!(text.contains("ALTER TABLE `memberships` DROP PRIMARY KEY, ADD PRIMARY KEY (`team_id`, `user_id`, `season`);"), "{text}"),
            Backend::Sqlite => assert!(text.contains("PRIMARY KEY (\"team_id\", \"user_id\", \"season\")"), "{text}"),
        }
        ok(&dir.0, &["upgrade", "heads"], url);
        ok(&dir.0, &["check", "--schema"], url);
        ok(&dir.0, &["downgrade", "-1"], url);
        assert_eq!(ok_print(&dir.0, url), before, "{backend:?}");
        assert_eq!(
            db.connect().strings(&format!(
                "SELECT {} AS a FROM memberships",
                as_text(backend, "season")
            )),
            ["2020"]
        );
    }
}

/// `revision args...` run by a binary that embeds GENERATED, in `dir`.
fn embedded_revision(dir: &Path, args: &[&str]) -> Result<String, String> {
    use clap::Parser;
    let mut all = vec!["migrate", "revision"];
    all.extend_from_slice(args);
    let mut cli = aludel_cli::Cli::try_parse_from(all).unwrap();
    cli.project.embedded = Some(&GENERATED);
    aludel_cli::execute(&cli, dir).map_err(|e| e.report())
}

#[test]
fn a_binary_that_embeds_rust_revisions_generates_from_its_history() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/autogen_rust");
    let read = |name: &str| std::fs::read_to_string(fixture.join(name)).unwrap();
    let dir = TempDir::new("aludel-autogen-embedded");
    dir.write("aludel.toml", "");
    dir.write(
        "migrations/versions/1_first.sql",
        &read("versions/1_first.sql"),
    );
    dir.write("src/schema.rs", &read("schema_second.rs"));
    // The files are not the history the binary embeds: refused, nothing written.
    let error = embedded_revision(&dir.0, &["--autogenerate", "-m", "third"]).unwrap_err();
    assert!(
        error.contains("this binary embeds another history than migrations/versions holds (revisions second differ): rebuild it"),
        "{error}"
    );
    assert_eq!(revisions(&dir.0).len(), 1);
    // The standalone aludel cannot replay the Rust revision; the binary can.
    dir.write(
        "migrations/versions/2_second.rs",
        &read("versions/2_second.rs"),
    );
    dir.write(
        "src/schema.rs",
        &read("schema_second.rs").replace(
            "        label -> Text,\n",
            "        label -> Text,\n        colour -> Nullable<Text>,\n",
        ),
    );
    let (code, _, stderr) = aludel(&dir.0, &["revision", "--autogenerate", "-m", "third"], None);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("aludel_cli::run_embedded"), "{stderr}");
    let stdout = embedded_revision(&dir.0, &["--autogenerate", "-m", "third"]).unwrap();
    let text = std::fs::read_to_string(dir.0.join(stdout.trim())).unwrap();
    assert!(text.contains("-- down_revision: second\n"), "{text}");
    assert!(
        text.contains("ALTER TABLE \"tags\" ADD COLUMN \"colour\" TEXT;"),
        "{text}"
    );
    // Other file commands stay refused in such a binary.
    let error = embedded_revision(&dir.0, &["-m", "plain"]).unwrap_err();
    assert!(error.contains("revision"), "{error}");
}

#[test]
fn an_enum_the_history_created_is_used_not_created_again() {
    let Some(db) = TestDb::new(Backend::Postgres) else {
        return;
    };
    let dir = TempDir::new("aludel-autogen-enum");
    dir.write("aludel.toml", "");
    dir.write(
        "migrations/versions/1.sql",
        "-- revision: r1\n-- down_revision:\n\n-- upgrade\nCREATE TYPE mood AS ENUM ('calm');\nCREATE TABLE users (id SERIAL PRIMARY KEY);\n",
    );
    dir.write(
        "src/schema.rs",
        "pub mod sql_types {\n    #[derive(diesel::query_builder::QueryId, Clone, diesel::sql_types::SqlType)]\n    #[diesel(postgres_type(name = \"mood\"))]\n    pub struct Mood;\n}\n\ndiesel::table! {\n    use diesel::sql_types::*;\n    use super::sql_types::Mood;\n\n    users (id) {\n        id -> Int4,\n        mood -> Nullable<Mood>,\n    }\n}\n",
    );
    ok(
        &dir.0,
        &["revision", "--autogenerate", "-m", "mood"],
        &db.url,
    );
    let text = revision_text(&dir.0, "mood");
    assert!(!text.contains("CREATE TYPE"), "{text}");
    assert!(!text.contains("DROP TYPE"), "{text}");
    assert!(
        text.contains("ALTER TABLE \"users\" ADD COLUMN \"mood\" \"mood\";"),
        "{text}"
    );
    ok(&dir.0, &["upgrade", "heads"], &db.url);
    db.connect()
        .batch("INSERT INTO users (mood) VALUES ('calm')")
        .unwrap();
    ok(&dir.0, &["check", "--schema"], &db.url);
}

#[test]
fn a_schema_file_with_diesel_tomls_patch_is_read_without_it() {
    let (dir, _db, url) = sqlite_project("patch");
    let url = url.as_str();
    // The patch gives users.age a Rust type of the project's own, in what diesel prints.
    let printed = ok_print_history(&dir.0, url);
    let line = printed
        .lines()
        .position(|l| l == "        age -> Nullable<Integer>,")
        .unwrap()
        + 1;
    let patch = format!("--- a/src/schema.rs\n+++ b/src/schema.rs\n@@ -{line},1 +{line},1 @@\n-        age -> Nullable<Integer>,\n+        age -> Nullable<crate::types::Age>,\n");
    dir.write("schema.patch", &patch);
    dir.write(
        "diesel.toml",
        "[print_schema]\nfile = \"src/schema.rs\"\npatch_file = \"schema.patch\"\n",
    );
    let patched = aludel_schema::apply_patch(&printed, &patch).unwrap();
    dir.write("src/schema.rs", &patched);
    ok(&dir.0, &["check", "--schema"], url);
    // A table added above the patched lines, which move down.
    dir.write(
        "src/schema.rs",
        &patched.replace(
            "diesel::table! {\n    users (id) {",
            "diesel::table! {\n    teams (id) {\n        id -> Integer,\n    }\n}\n\ndiesel::table! {\n    users (id) {",
        ),
    );
    let stderr = ok(&dir.0, &["revision", "--autogenerate", "-m", "teams"], url);
    assert!(stderr.contains("Detected added table teams"), "{stderr}");
    assert!(!stderr.contains("users.age"), "{stderr}");
    // What the patch changes is gone from the file: refused, and said why.
    dir.write("src/schema.rs", FIRST);
    let (code, _, stderr) = aludel(
        &dir.0,
        &["revision", "--autogenerate", "-m", "lost"],
        Some(url),
    );
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("the schema file no longer holds what the patch changes"),
        "{stderr}"
    );
}

#[test]
fn more_than_ten_changes_are_counted_in_the_messages() {
    let dir = TempDir::new("aludel-autogen-many");
    dir.write("aludel.toml", "");
    let tables: String = (0..12)
        .map(|i| {
            format!(
                "diesel::table! {{\n    t{i:02} (id) {{\n        id -> Integer,\n    }}\n}}\n\n"
            )
        })
        .collect();
    dir.write("src/schema.rs", &tables);
    let db = TestDb::new(Backend::Sqlite).unwrap();
    let stderr = ok(
        &dir.0,
        &["revision", "--autogenerate", "-m", "many"],
        &url_of(&db),
    );
    assert!(stderr.contains("Detected added table t09\n"), "{stderr}");
    assert!(!stderr.contains("Detected added table t10"), "{stderr}");
    assert!(stderr.contains("and 2 more changes\n"), "{stderr}");
    let text = revision_text(&dir.0, "many");
    assert!(text.contains("CREATE TABLE \"t11\""), "{text}");
}
