//! Several databases (Alembic's multidb) from the command line: a project with
//! `[databases.<name>]` tables in aludel.toml, revisions whose sections name a database, and
//! `upgrade`, `downgrade`, `current`, `stamp`, `check` and `--sql` on every database or on
//! the one `--database NAME` names. Two SQLite files always; SQLite beside PostgreSQL when
//! the test server is configured.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking

use aludel_tests::{Backend, TempDir, TestDb};
use common::{snapshot, Env, Project, Run};
use diesel::connection::SimpleConnection;
use diesel::Connection;

mod common;

/// What every run sets or removes: no backtraces, no `DATABASE_URL`, no colours.
const ENV: Env = &[
    ("RUST_BACKTRACE", None),
    ("DATABASE_URL", None),
    ("CLICOLOR_FORCE", None),
    ("NO_COLOR", Some("1")),
];

/// `a1` (a table on every database, one on each), `b2` (a table on analytics only).
const A1: &str = "-- revision: a1\n-- down_revision:\n-- message: first\n\n-- upgrade\nCREATE TABLE common (id INTEGER);\n\n-- upgrade main\nCREATE TABLE users (id INTEGER);\n\n-- upgrade analytics\nCREATE TABLE events (id INTEGER);\n\n-- downgrade\nDROP TABLE common;\n\n-- downgrade main\nDROP TABLE users;\n\n-- downgrade analytics\nDROP TABLE events;\n";
const B2: &str = "-- revision: b2\n-- down_revision: a1\n-- message: second\n\n-- upgrade main\nCREATE TABLE profiles (id INTEGER);\n\n-- upgrade analytics\nCREATE TABLE clicks (id INTEGER);\n\n-- downgrade main\nDROP TABLE profiles;\n\n-- downgrade analytics\nDROP TABLE clicks;\n";

/// What `upgrade heads` prints on a new project of two databases: `a1` then `b2` on each.
const UPGRADE_HEADS: &str = "
main: upgrade <base> -> a1, first ... <t>
analytics: upgrade <base> -> a1, first ... <t>
main: upgrade a1 -> b2, second ... <t>
analytics: upgrade a1 -> b2, second ... <t>
main: database at b2
analytics: database at b2
";

impl Project {
    /// A project of two databases, `main` and `analytics` (its own version table), with the
    /// URLs given (`None`: no `url` key).
    fn new(name: &str, main: Option<&str>, analytics: Option<&str>) -> Project {
        let p = Project::temp(&format!("aludel-cli-multidb-{name}"), ENV);
        let url = |u: Option<&str>| u.map(|u| format!("url = \"{u}\"\n")).unwrap_or_default();
        p.write(
            "aludel.toml",
            &format!(
                "[databases.main]\n{}\n[databases.analytics]\n{}version_table = \"analytics_version\"\n",
                url(main),
                url(analytics)
            ),
        );
        p.write("migrations/versions/01_a1.sql", A1);
        p.write("migrations/versions/02_b2.sql", B2);
        p
    }

    /// The SQLite file `name` below the root.
    fn sqlite(&self, name: &str) -> diesel::SqliteConnection {
        let path = self.root.join(name);
        assert!(path.exists(), "{name} exists");
        diesel::SqliteConnection::establish(path.to_str().unwrap()).unwrap()
    }
}

impl Run {
    #[track_caller]
    fn ok(&self, stdout: &str, stderr: &str) {
        assert_eq!(normalise(&self.stderr), snapshot(stderr), "stderr");
        assert_eq!(self.stdout, snapshot(stdout), "stdout");
        assert_eq!(self.code, Some(0), "exit code");
    }

    #[track_caller]
    fn fails(&self, stderr: &str) {
        assert_eq!(self.stdout, "", "unexpected stdout");
        assert_eq!(normalise(&self.stderr), snapshot(stderr), "stderr");
        assert_eq!(self.code, Some(1), "exit code");
    }
}

/// A progress line's duration (`... 1.2 ms`) becomes `... <t>`.
fn normalise(text: &str) -> String {
    text.lines()
        .map(|line| match line.split_once(" ... ") {
            Some((start, end)) if end != "failed" => format!("{start} ... <t>\n"),
            _ => format!("{line}\n"),
        })
        .collect()
}

/// The tables of an SQLite database, sorted.
fn tables(conn: &mut diesel::SqliteConnection) -> Vec<String> {
    #[derive(diesel::QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    use diesel::RunQueryDsl;
    let mut names: Vec<String> = diesel::sql_query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'aludel_%'",
    )
    .load::<Name>(conn)
    .unwrap()
    .into_iter()
    .map(|n| n.name)
    .collect();
    names.sort();
    names
}

#[test]
fn every_database_by_default_and_one_with_database() {
    let p = Project::new("all", Some("sqlite://main.db"), Some("analytics.db"));

    // Unknown names, and URLs that do not say which database, change nothing.
    p.run(&["upgrade", "heads", "--database", "nope"]).fails(
        "\nerror: unknown database `nope`: the project configures main, analytics ([databases.<name>] in aludel.toml); nothing was changed\n",
    );
    let refused = "error: the DATABASE_URL environment variable does not say which of the project's databases (main, analytics) it is for: pass --database NAME with it to use it for that database, or leave it out to migrate every database with the URLs of aludel.toml's [databases.<name>] tables; nothing was changed\n";
    p.run_with("", &[("DATABASE_URL", "other.db")], &["upgrade", "heads"])
        .fails(refused);
    p.run(&["current", "--database-url", "other.db"]).fails(
        "\nerror: --database-url does not say which of the project's databases (main, analytics) it is for: pass --database NAME with it to use it for that database, or leave it out to migrate every database with the URLs of aludel.toml's [databases.<name>] tables; nothing was changed\n",
    );
    assert!(!p.root.join("main.db").exists());
    assert!(!p.root.join("analytics.db").exists());
    assert!(!p.root.join("other.db").exists());

    p.run(&["upgrade", "heads"]).ok("", UPGRADE_HEADS);
    assert_eq!(
        tables(&mut p.sqlite("main.db")),
        ["alembic_version", "common", "profiles", "users"]
    );
    assert_eq!(
        tables(&mut p.sqlite("analytics.db")),
        ["analytics_version", "clicks", "common", "events"]
    );

    p.run(&["current"])
        .ok("main: b2 (head)\nanalytics: b2 (head)\n", "");
    let json: serde_json::Value =
        serde_json::from_str(&p.run(&["current", "--format", "json"]).stdout).unwrap();
    let summary: Vec<(String, Vec<String>)> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|db| {
            (
                db["database"].as_str().unwrap().to_string(),
                db["revisions"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r["revision"].as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("main".to_string(), vec!["b2".to_string()]),
            ("analytics".to_string(), vec!["b2".to_string()])
        ]
    );
    assert_eq!(json[0]["revisions"][0]["message"], "second");
    p.run(&["check"]).ok(
        "",
        "main: database is at heads (b2)\nanalytics: database is at heads (b2)\n",
    );

    // One database.
    p.run(&["downgrade", "-1", "--database", "analytics"]).ok(
        "",
        "
analytics: downgrade b2 -> a1, second ... <t>
analytics: database at a1
",
    );
    p.run(&["current"])
        .ok("main: b2 (head)\nanalytics: a1\n", "");
    p.run(&["current", "--database", "main"])
        .ok("main: b2 (head)\n", "");
    p.run(&["check"]).fails(
        "
main: database is at heads (b2)
error: database `analytics`: database is not at heads: it is at a1 and 1 revision is pending (b2); run `aludel upgrade heads`
",
    );
    p.run(&["check", "--database", "main"])
        .ok("", "main: database is at heads (b2)\n");

    // Every database, in the reverse order.
    p.run(&["downgrade", "base"]).ok(
        "",
        "
main: downgrade b2 -> a1, second ... <t>
analytics: downgrade a1 -> <base>, first ... <t>
main: downgrade a1 -> <base>, first ... <t>
main: database at base
analytics: database at base
",
    );
    assert_eq!(tables(&mut p.sqlite("main.db")), ["alembic_version"]);
    assert_eq!(tables(&mut p.sqlite("analytics.db")), ["analytics_version"]);
    p.run(&["current"]).ok("main: base\nanalytics: base\n", "");

    // Stamps.
    p.run(&["stamp", "a1"]).ok(
        "",
        "main: database at a1 (stamped, no SQL ran)\nanalytics: database at a1 (stamped, no SQL ran)\n",
    );
    p.run(&["stamp", "heads", "--database", "main"])
        .ok("", "main: database at b2 (stamped, no SQL ran)\n");
    p.run(&["current"])
        .ok("main: b2 (head)\nanalytics: a1\n", "");
    p.run(&["upgrade", "heads", "--dry-run"]).ok(
        "analytics: upgrade a1 -> b2, second\n",
        "main: database at b2 (nothing to upgrade)\n",
    );
    p.run(&["stamp", "base", "--purge"]).ok(
        "",
        "main: database at base (stamped, no SQL ran)\nanalytics: database at base (stamped, no SQL ran)\n",
    );

    // A database's URL replaced for one run.
    p.run(&[
        "upgrade",
        "a1",
        "--database",
        "analytics",
        "--database-url",
        "sqlite://other.db",
    ])
    .ok(
        "",
        "analytics: upgrade <base> -> a1, first ... <t>\nanalytics: database at a1\n",
    );
    assert_eq!(
        tables(&mut p.sqlite("other.db")),
        ["analytics_version", "common", "events"]
    );
    p.run_with(
        "",
        &[("DATABASE_URL", "other.db")],
        &["current", "--database", "analytics"],
    )
    .ok("analytics: a1\n", "");
}

#[test]
fn sql_scripts_per_database_never_connect() {
    // No URLs: --dialect says it all.
    let p = Project::new("sql", None, None);
    let run = p.run(&["upgrade", "a1", "--sql", "--dialect", "sqlite"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "-- database: main
CREATE TABLE IF NOT EXISTS \"alembic_version\" (version_num VARCHAR(32) NOT NULL, CONSTRAINT \"alembic_version_pkc\" PRIMARY KEY (version_num));

-- Running upgrade  -> a1 (migrations/versions/01_a1.sql)
BEGIN;
CREATE TABLE common (id INTEGER);
CREATE TABLE users (id INTEGER);
INSERT INTO \"alembic_version\" (version_num) VALUES ('a1');
COMMIT;

-- database: analytics
CREATE TABLE IF NOT EXISTS \"analytics_version\" (version_num VARCHAR(32) NOT NULL, CONSTRAINT \"analytics_version_pkc\" PRIMARY KEY (version_num));

-- Running upgrade  -> a1 (migrations/versions/01_a1.sql)
BEGIN;
CREATE TABLE common (id INTEGER);
CREATE TABLE events (id INTEGER);
INSERT INTO \"analytics_version\" (version_num) VALUES ('a1');
COMMIT;

"
    );
    let one = p.run(&[
        "downgrade",
        "b2:a1",
        "--sql",
        "--dialect",
        "sqlite",
        "--database",
        "analytics",
    ]);
    assert_eq!(one.code, Some(0), "{}", one.stderr);
    assert!(one.stdout.starts_with("-- database: analytics\n"));
    assert!(one.stdout.contains("DROP TABLE clicks;"));
    assert!(!one.stdout.contains("profiles"));
    assert!(!one.stdout.contains("-- database: main"));
    // Without a dialect or URLs, the database without one is named.
    p.run(&["upgrade", "heads", "--sql"]).fails(
        "\nerror: database `main`: --sql needs a dialect: pass --dialect sqlite|postgres|mysql, or configure a database URL, whose scheme names it (nothing connects)\n",
    );
    // Applying needs the URLs.
    p.run(&["upgrade", "heads"]).fails(
        "\nerror: database `main` has no URL: add `url = \"...\"` to [databases.main] in aludel.toml, or pass --database main --database-url URL; nothing was changed\n",
    );
}

#[test]
fn a_failing_revision_names_the_database_and_those_ahead() {
    let p = Project::new("fail", Some("main.db"), Some("analytics.db"));
    p.run(&["upgrade", "a1"]).ok(
        "",
        "
main: upgrade <base> -> a1, first ... <t>
analytics: upgrade <base> -> a1, first ... <t>
main: database at a1
analytics: database at a1
",
    );
    // Someone made analytics' `clicks` by hand: b2 fails there, after main applied it.
    p.sqlite("analytics.db")
        .batch_execute("CREATE TABLE clicks (id INTEGER)")
        .unwrap();
    let run = p.run(&["upgrade", "heads"]);
    assert_eq!(run.code, Some(1));
    assert_eq!(run.stdout, "");
    let stderr = normalise(&run.stderr);
    assert!(
        stderr.starts_with(
            "main: upgrade a1 -> b2, second ... <t>\nanalytics: upgrade a1 -> b2, second ... failed\nerror: database `analytics`: "
        ),
        "{stderr}"
    );
    assert!(stderr.contains("clicks"), "{stderr}");
    assert!(
        stderr.ends_with(" (ahead of it, with their part committed: main; fix the cause and run again: each database continues from where it stands)\n"),
        "{stderr}"
    );
    p.run(&["current"])
        .ok("main: b2 (head)\nanalytics: a1\n", "");

    // Fixed: the rerun brings analytics level.
    p.sqlite("analytics.db")
        .batch_execute("DROP TABLE clicks")
        .unwrap();
    p.run(&["upgrade", "heads"]).ok(
        "",
        "
analytics: upgrade a1 -> b2, second ... <t>
main: database at b2 (nothing to upgrade)
analytics: database at b2
",
    );
    p.run(&["check"]).ok(
        "",
        "main: database is at heads (b2)\nanalytics: database is at heads (b2)\n",
    );
    // JSON reports, one object per database.
    let json: serde_json::Value =
        serde_json::from_str(&p.run(&["downgrade", "-1", "--format", "json"]).stdout).unwrap();
    assert_eq!(json[0]["database"], "main");
    assert_eq!(json[0]["steps"][0]["revision"], "b2");
    assert_eq!(json[1]["database"], "analytics");
    assert_eq!(json[1]["heads_after"][0], "a1");
}

#[test]
fn a_project_of_one_database_has_none_to_choose() {
    let dir = TempDir::new("aludel-cli-multidb-none");
    let root = dir.0.canonicalize().unwrap();
    std::fs::create_dir_all(root.join("migrations/versions")).unwrap();
    std::fs::write(
        root.join("migrations/versions/01_a1.sql"),
        "-- revision: a1\n-- down_revision:\n\n-- upgrade\nCREATE TABLE t (id INTEGER);\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        common::run(
            &root,
            &[("DATABASE_URL", None), ("NO_COLOR", Some("1"))],
            &[],
            args,
        )
    };
    let out = run(&[
        "upgrade",
        "heads",
        "--database",
        "main",
        "--database-url",
        "x.db",
    ]);
    assert_eq!(out.code, Some(1));
    assert_eq!(
        out.stderr,
        "error: --database main: this project configures no databases ([databases.<name>] tables in aludel.toml), so there is none to choose; leave --database out (the URL comes from --database-url, DATABASE_URL or database_url)\n"
    );
    assert!(!root.join("x.db").exists());
    let out = run(&["upgrade", "heads", "--database-url", "x.db"]);
    assert_eq!(out.code, Some(0));
    assert_eq!(out.stderr.lines().last(), Some("database at a1"));
}

#[test]
fn sqlite_beside_postgres() {
    let Some(pg) = TestDb::new(Backend::Postgres) else {
        return;
    };
    let p = Project::new("pg", Some("main.db"), Some(&pg.url));
    p.run(&["upgrade", "heads"]).ok("", UPGRADE_HEADS);
    let mut conn = pg.connect();
    assert!(conn.has_table("events"));
    assert!(conn.has_table("clicks"));
    assert!(!conn.has_table("users"));
    assert_eq!(
        conn.strings("SELECT version_num AS a FROM analytics_version"),
        ["b2"]
    );
    drop(conn);
    p.run(&["current"])
        .ok("main: b2 (head)\nanalytics: b2 (head)\n", "");
    let sql = p.run(&["upgrade", "a1", "--sql"]);
    assert_eq!(sql.code, Some(0), "{}", sql.stderr);
    let analytics = sql.stdout.split("-- database: analytics\n").nth(1).unwrap();
    assert!(analytics.contains("CREATE TABLE events"));
    assert!(analytics.contains("analytics_version"));
    p.run(&["downgrade", "base"]).ok(
        "",
        "
analytics: downgrade b2 -> a1, second ... <t>
main: downgrade b2 -> a1, second ... <t>
analytics: downgrade a1 -> <base>, first ... <t>
main: downgrade a1 -> <base>, first ... <t>
main: database at base
analytics: database at base
",
    );
    assert!(!pg.connect().has_table("events"));
    assert_eq!(tables(&mut p.sqlite("main.db")), ["alembic_version"]);
}
