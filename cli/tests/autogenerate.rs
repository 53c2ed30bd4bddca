//! `aludel revision --autogenerate`: schema.rs edited, the revision generated, upgraded,
//! checked with `check --schema`, downgraded to the schema before with the rows intact, on
//! SQLite, PostgreSQL and MariaDB; renames, hints, no changes, and refusals.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking

use std::path::Path;
use std::process::Command;

use aludel_tests::{Backend, TempDir, TestDb};

/// `aludel args...` in `dir` with `DATABASE_URL` set to `url` where given: exit code, stdout,
/// stderr.
fn aludel(dir: &Path, args: &[&str], url: Option<&str>) -> (Option<i32>, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_aludel"));
    command
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("CLICOLOR_FORCE")
        .env("NO_COLOR", "1");
    if let Some(url) = url {
        command.env("DATABASE_URL", url);
    }
    let output = command.output().unwrap();
    (
        output.status.code(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

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

fn round_trip(db: &TestDb) {
    let backend = db.backend;
    let url = if backend == Backend::Sqlite {
        format!("sqlite://{}", db.url)
    } else {
        db.url.clone()
    };
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
