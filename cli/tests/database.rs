//! The commands that use a database (`upgrade`, `downgrade`, `stamp`, `current`, `check`)
//! end to end: each test writes a project into a fresh temporary directory, runs the `aludel`
//! binary there against a fresh database of every backend `aludel_tests::backends()` gives
//! (SQLite always, PostgreSQL and MariaDB when their servers are configured), and checks the
//! exit code, stdout and stderr exactly (durations normalised to `<t>`).

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking

use std::path::Path;
use std::process::Command;

use aludel_tests::{backends, Backend, TempDir, TestDb};
use common::{snapshot, Env, Project, Run};

mod common;

/// What every run removes: no backtraces, no `DATABASE_URL`, no colour settings.
const ENV: Env = &[
    ("RUST_BACKTRACE", None),
    ("DATABASE_URL", None),
    ("NO_COLOR", None),
    ("CLICOLOR_FORCE", None),
];

impl Project {
    fn new(name: &str) -> Project {
        Project::temp(&format!("aludel-cli-db-{name}"), ENV)
    }

    /// `a1 <- b2 <- c2`, `b2 <- c1 [feat1] <- d1`: two heads, the second labelled.
    fn branched(name: &str) -> Project {
        let p = Project::new(name);
        p.revision("01_a1.sql", "a1", "", "", "first", true)
            .revision("02_b2.sql", "b2", "a1", "", "second", true)
            .revision("03_c2.sql", "c2", "b2", "", "main line", true)
            .revision(
                "04_c1.sql",
                "c1",
                "b2",
                "-- branch_labels: feat1\n",
                "feature",
                true,
            )
            .revision("05_d1.sql", "d1", "c1", "", "feature more", true);
        p
    }

    /// A revision creating table `t_<id>` (and dropping it, when `reversible`).
    fn revision(
        &self,
        file: &str,
        id: &str,
        down: &str,
        headers: &str,
        message: &str,
        reversible: bool,
    ) -> &Self {
        let mut text = format!(
            "-- revision: {id}\n-- down_revision: {down}\n{headers}-- message: {message}\n\n-- upgrade\nCREATE TABLE t_{id} (id INTEGER);\n"
        );
        if reversible {
            text.push_str(&format!("\n-- downgrade\nDROP TABLE t_{id};\n"));
        }
        self.write(&format!("migrations/versions/{file}"), &text)
    }

    /// Runs `aludel --database-url URL`-style commands against `db`: `args` then the URL.
    fn on(&self, db: &TestDb, args: &[&str]) -> Run {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--database-url", db.url.as_str()]);
        self.run(&all)
    }
}

impl Run {
    /// Success with exactly this stdout and this stderr (durations normalised; each
    /// snapshot may start with a newline so that it can begin on its own line).
    #[track_caller]
    fn ok(&self, stdout: &str, stderr: &str) {
        assert_eq!(normalise(&self.stderr), snapshot(stderr), "stderr");
        assert_eq!(normalise(&self.stdout), snapshot(stdout), "stdout");
        assert_eq!(self.code, Some(0));
    }

    /// Failure (exit 1) with exactly this stderr (durations normalised) and nothing on
    /// stdout.
    #[track_caller]
    fn fails(&self, stderr: &str) {
        assert_eq!(self.stdout, "", "unexpected stdout");
        assert_eq!(normalise(&self.stderr), snapshot(stderr), "stderr");
        assert_eq!(self.code, Some(1));
    }
}

/// Durations become `<t>`: a number (`12`, `0.4`) directly followed by ` ms`, ` µs` or ` s`,
/// or `3m 07s`, where the number does not continue a word.
fn normalise(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let digits_from = |mut j: usize| {
        while j < chars.len() && chars[j].is_ascii_digit() {
            j += 1;
        }
        j
    };
    // Whether `chars[..i]` ends with an ANSI colour code such as `\x1b[2m`.
    let after_escape = |i: usize| {
        let mut j = i;
        if j == 0 || chars[j - 1] != 'm' {
            return false;
        }
        j -= 1;
        while j > 0 && (chars[j - 1].is_ascii_digit() || chars[j - 1] == ';') {
            j -= 1;
        }
        j >= 2 && chars[j - 1] == '[' && chars[j - 2] == '\x1b'
    };
    let mut out = String::new();
    let mut i = 0;
    'scan: while i < chars.len() {
        let word_before =
            i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_') && !after_escape(i);
        if chars[i].is_ascii_digit() && !word_before {
            let mut j = digits_from(i);
            if j + 1 < chars.len() && chars[j] == '.' && chars[j + 1].is_ascii_digit() {
                j = digits_from(j + 1);
            }
            let rest: String = chars[j..].iter().take(5).collect();
            let ends = |n: usize| chars.get(j + n).is_none_or(|c| !c.is_alphanumeric());
            for unit in [" ms", " µs", " s"] {
                let n = unit.chars().count();
                if rest.starts_with(unit) && ends(n) {
                    out.push_str("<t>");
                    i = j + n;
                    continue 'scan;
                }
            }
            // `3m 07s`
            if rest.starts_with("m ") {
                let k = digits_from(j + 2);
                if k > j + 2 && chars.get(k) == Some(&'s') {
                    out.push_str("<t>");
                    i = k + 1;
                    continue 'scan;
                }
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

#[test]
fn the_normaliser_replaces_durations_only() {
    assert_eq!(
        normalise("a1 ... 12.3 ms\nb2 ... 0.4 ms, 2.35 s, 3m 07s, 850 µs\n3 revisions, t_a1 5 s"),
        "a1 ... <t>\nb2 ... <t>, <t>, <t>, <t>\n3 revisions, t_a1 <t>"
    );
    assert_eq!(normalise("\x1b[2m0.3 ms\x1b[0m"), "\x1b[2m<t>\x1b[0m");
}

// ----- the whole cycle -----

#[test]
fn upgrade_current_check_downgrade() {
    let p = Project::branched("cycle");
    for db in backends() {
        create_sqlite_file(&db);
        p.on(&db, &["check"]).fails(r#"
error: database is not at heads: it is at base and 5 revisions are pending (a1, b2, c1, d1, c2); run `aludel upgrade heads`
"#);
        p.on(&db, &["current"]).ok("", "");

        p.on(&db, &["upgrade", "heads"]).ok(
            "",
            r#"
upgrade <base> -> a1, first ... <t>
upgrade a1 -> b2, second ... <t>
upgrade b2 -> c1, feature ... <t>
upgrade c1 -> d1, feature more ... <t>
upgrade b2 -> c2, main line ... <t>
database at c2, d1
"#,
        );
        p.on(&db, &["upgrade", "heads"])
            .ok("", "database at c2, d1 (nothing to upgrade)\n");
        p.on(&db, &["current"]).ok(
            r#"
c2 (head)
d1 (feat1) (head)
"#,
            "",
        );
        p.on(&db, &["current", "--verbose"]).ok(
            r#"
Rev: c2 (head)
Parent: b2
Path: migrations/versions/03_c2.sql

    main line

Rev: d1 (head)
Parent: c1
Branch names: feat1
Path: migrations/versions/05_d1.sql

    feature more

"#,
            "",
        );
        let json = p.on(&db, &["current", "--format", "json"]);
        assert_eq!((json.code, json.stderr.as_str()), (Some(0), ""));
        let rows: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
        let ids: Vec<&str> = rows
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["revision"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["c2", "d1"]);
        assert_eq!(rows[1]["branches"], serde_json::json!(["feat1"]));
        assert_eq!(rows[1]["is_head"], serde_json::json!(true));
        p.on(&db, &["check"])
            .ok("", "database is at heads (c2, d1)\n");

        p.on(&db, &["downgrade", "feat1@-1"]).ok(
            "",
            r#"
downgrade d1 -> c1, feature more ... <t>
database at c2, c1
"#,
        );
        p.on(&db, &["check"]).fails(r#"
error: database is not at heads: it is at c2, c1 and 1 revision is pending (d1); run `aludel upgrade heads`
"#);
        p.on(&db, &["downgrade", "-1"]).fails(r#"
error: downgrade -1 from multiple heads is ambiguous (current heads: c2, c1); name the branch, e.g. 'c2@-1'
"#.replace("c2, c1); name the branch, e.g. 'c2@", &heads_in_db_order(&db)).as_str());
        p.on(&db, &["upgrade", "+1"]).fails(r#"
error: Ambiguous upgrade from multiple current revisions (c2, c1); name a branch, e.g. '<branchname>@+1'
"#.replace("c2, c1", &rows_in_db_order(&db)).as_str());
        p.on(&db, &["upgrade", "feat1@+1"]).ok(
            "",
            r#"
upgrade c1 -> d1, feature more ... <t>
database at c2, d1
"#,
        );

        // A downgrade that takes down more than the branch it names shows its plan first.
        p.on(&db, &["downgrade", "feat1@base", "--dry-run"]).ok(
            r#"
downgrade c2 -> b2, main line
downgrade d1 -> c1, feature more
downgrade c1 -> b2, feature
downgrade b2 -> a1, second
downgrade a1 -> <base>, first
"#,
            "",
        );
        p.on(&db, &["downgrade", "feat1@base"]).ok(
            "",
            r#"
note: downgrade feat1@base reverts revisions of more than one branch:
  downgrade c2 -> b2, main line
  downgrade d1 -> c1, feature more
  downgrade c1 -> b2, feature
  downgrade b2 -> a1, second
  downgrade a1 -> <base>, first
downgrade c2 -> b2, main line ... <t>
downgrade d1 -> c1, feature more ... <t>
downgrade c1 -> b2, feature ... <t>
downgrade b2 -> a1, second ... <t>
downgrade a1 -> <base>, first ... <t>
database at base
"#,
        );
        let mut conn = db.connect();
        for table in ["t_a1", "t_b2", "t_c1", "t_c2", "t_d1"] {
            assert!(!conn.has_table(table), "{table} was dropped");
        }
        assert_eq!(conn.versions(), Vec::<String>::new());
        p.on(&db, &["current"]).ok("", "");
    }
}

/// For SQLite, creates the (empty) database file, which read-only commands need
/// (`read_only_commands_create_nothing` checks what they do without it).
fn create_sqlite_file(db: &TestDb) {
    if db.backend == Backend::Sqlite {
        drop(diesel_sqlite(Path::new(&db.url)));
    }
}

/// The version table's rows as the database returns them (the runtime's messages list them
/// in that order), joined by `, `.
fn rows_in_db_order(db: &TestDb) -> String {
    db.connect()
        .strings("SELECT version_num AS a FROM alembic_version")
        .join(", ")
}

/// [`rows_in_db_order`] then `); name the branch, e.g. '<first>@`.
fn heads_in_db_order(db: &TestDb) -> String {
    let rows = db
        .connect()
        .strings("SELECT version_num AS a FROM alembic_version");
    format!("{}); name the branch, e.g. '{}@", rows.join(", "), rows[0])
}

#[test]
fn json_reports_and_plans() {
    let p = Project::branched("json");
    for db in backends() {
        create_sqlite_file(&db);
        let plan = p.on(&db, &["upgrade", "c2", "--dry-run", "--format", "json"]);
        assert_eq!((plan.code, plan.stderr.as_str()), (Some(0), ""));
        let plan: serde_json::Value = serde_json::from_str(&plan.stdout).unwrap();
        assert_eq!(
            plan[0],
            serde_json::json!({
                "action": "upgrade",
                "revision": "a1",
                "message": "first",
                "from": [],
                "to": ["a1"],
                "version_changes": [{"op": "insert", "version": "a1"}]
            })
        );
        assert_eq!(
            plan[2]["version_changes"],
            serde_json::json!([{"op": "update", "from": "b2", "to": "c2"}])
        );

        let run = p.on(&db, &["upgrade", "b2", "--format", "json"]);
        assert_eq!(run.code, Some(0), "{}", run.stderr);
        let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(report["heads_before"], serde_json::json!([]));
        assert_eq!(report["heads_after"], serde_json::json!(["b2"]));
        assert_eq!(report["steps"][1]["revision"], "b2");
        assert_eq!(report["steps"][1]["direction"], "upgrade");
        assert!(report["steps"][1]["duration_ms"].as_f64().unwrap() >= 0.0);
        // Progress still goes to stderr, never into the JSON.
        assert_eq!(
            normalise(&run.stderr),
            "upgrade <base> -> a1, first ... <t>\nupgrade a1 -> b2, second ... <t>\ndatabase at b2\n"
        );
    }
}

// ----- read-only commands -----

#[test]
fn read_only_commands_create_nothing() {
    let p = Project::branched("read-only");
    let read_only: [&[&str]; 5] = [
        &["current"],
        &["check"],
        &["upgrade", "c2", "--dry-run"],
        &["downgrade", "base", "--dry-run"],
        &["stamp", "heads", "--dry-run"],
    ];
    for db in backends() {
        if db.backend == Backend::Sqlite {
            // A missing SQLite file is reported, and not created, whichever form names it.
            let relative = "missing.db";
            for (url, shown) in [
                (db.url.clone(), db.url.clone()),
                (format!("sqlite://{}", db.url), db.url.clone()),
                (format!("sqlite:{relative}"), relative.to_string()),
                (relative.to_string(), relative.to_string()),
            ] {
                for command in read_only {
                    let mut args = command.to_vec();
                    args.extend(["--database-url", url.as_str()]);
                    p.run(&args).fails(&format!(
                        "error: SQLite database file {shown} does not exist (commands that only read, such as current, check and --dry-run, create nothing; `aludel upgrade` creates it)\n"
                    ));
                }
            }
            assert!(!Path::new(&db.url).exists(), "no SQLite file was created");
            assert!(
                !p.root.join(relative).exists(),
                "no SQLite file was created"
            );
            // From aludel.toml, relative to it.
            p.write("aludel.toml", "database_url = \"sqlite://missing.db\"\n");
            p.run(&["current"]).fails(&format!(
                "error: SQLite database file {relative} does not exist (commands that only read, such as current, check and --dry-run, create nothing; `aludel upgrade` creates it)\n"
            ));
            std::fs::remove_file(p.root.join("aludel.toml")).unwrap();
            assert!(
                !p.root.join(relative).exists(),
                "no SQLite file was created"
            );
            // An existing empty file is read as an empty database.
            create_sqlite_file(&db);
            assert!(Path::new(&db.url).is_file());
        }
        p.on(&db, &["current"]).ok("", "");
        p.on(&db, &["check"]).fails(r#"
error: database is not at heads: it is at base and 5 revisions are pending (a1, b2, c1, d1, c2); run `aludel upgrade heads`
"#);
        p.on(&db, &["upgrade", "c2", "--dry-run"]).ok(
            r#"
upgrade <base> -> a1, first
upgrade a1 -> b2, second
upgrade b2 -> c2, main line
"#,
            "",
        );
        p.on(&db, &["downgrade", "base", "--dry-run"])
            .ok("", "database at base (nothing to downgrade)\n");
        p.on(&db, &["stamp", "heads", "--dry-run"]).ok(
            r#"
stamp <base> -> c2
stamp <base> -> d1
"#,
            "",
        );
        let mut conn = db.connect();
        assert!(!conn.has_table("alembic_version"));
        assert!(!conn.has_table("aludel_revision_log"));
    }
}

// ----- stamp -----

#[test]
fn stamp_moves_the_version_table_only() {
    let p = Project::branched("stamp");
    for db in backends() {
        p.on(&db, &["stamp", "c2"])
            .ok("", "database at c2 (stamped, no SQL ran)\n");
        p.on(&db, &["current"]).ok("c2 (head)\n", "");
        assert!(!db.connect().has_table("t_a1"), "no SQL ran");
        p.on(&db, &["stamp", "heads", "--dry-run"])
            .ok("stamp <base> -> d1\n", "");
        p.on(&db, &["stamp", "heads"])
            .ok("", "database at c2, d1 (stamped, no SQL ran)\n");
        p.on(&db, &["stamp", "a1"])
            .ok("", "database at a1 (stamped, no SQL ran)\n");
        p.on(&db, &["stamp", "base"])
            .ok("", "database at base (stamped, no SQL ran)\n");
        p.on(&db, &["current"]).ok("", "");
        assert!(!db.connect().has_table("t_a1"), "no SQL ran");

        // A revision this history does not know: only --purge gets rid of it.
        db.connect()
            .batch("INSERT INTO alembic_version (version_num) VALUES ('zz9')")
            .unwrap();
        p.on(&db, &["stamp", "heads"]).fails(r#"
error: Can't locate revision identified by 'zz9': the database is at a revision this history does not contain (was it written by a newer version of the application?)
"#);
        p.on(&db, &["stamp", "c2", "--purge", "--dry-run"])
            .ok("purge the version table (zz9)\nstamp <base> -> c2\n", "");
        p.on(&db, &["stamp", "c2", "--purge"])
            .ok("", "database at c2 (stamped, no SQL ran)\n");
        assert_eq!(db.connect().versions(), ["c2"]);
    }
}

#[test]
fn stamp_accept_changes_records_an_edited_file() {
    let p = Project::branched("accept");
    for db in backends() {
        p.on(&db, &["upgrade", "c2"]).ok(
            "",
            r#"
upgrade <base> -> a1, first ... <t>
upgrade a1 -> b2, second ... <t>
upgrade b2 -> c2, main line ... <t>
database at c2
"#,
        );
        p.write(
            "migrations/versions/02_b2.sql",
            "-- revision: b2\n-- down_revision: a1\n-- message: second\n\n-- upgrade\nCREATE TABLE t_b2 (id INTEGER); -- edited\n\n-- downgrade\nDROP TABLE t_b2;\n",
        );
        let drift = p.on(&db, &["upgrade", "heads"]);
        assert_eq!(drift.code, Some(1));
        assert!(
            drift.stderr.starts_with("error: revision b2 (migrations/versions/02_b2.sql) was changed after it was applied (applied as v1:sha256:"),
            "{}",
            drift.stderr
        );
        assert!(drift
            .stderr
            .ends_with("restore the file, or accept the change on purpose with `Migrator::accept_changes` (CLI: `aludel stamp heads --accept-changes`)\n"));
        p.on(&db, &["stamp", "c2", "--accept-changes"]).ok(
            "",
            r#"
recorded the current files of c2, b2 as applied
database at c2 (stamped, no SQL ran)
"#,
        );
        p.on(&db, &["upgrade", "heads"]).ok(
            "",
            r#"
upgrade b2 -> c1, feature ... <t>
upgrade c1 -> d1, feature more ... <t>
database at c2, d1
"#,
        );
        // Restore the file for the next backend.
        p.revision("02_b2.sql", "b2", "a1", "", "second", true);
    }
}

#[test]
fn stamp_from_diesel_needs_a_diesel_database() {
    let p = Project::branched("from-diesel");
    for db in backends() {
        p.on(&db, &["stamp", "--from-diesel"]).fails(r#"
error: this database has no __diesel_schema_migrations table, so diesel_migrations does not manage it; for a new database use run_pending
"#);
    }
    let both = p.run(&["stamp", "heads", "--from-diesel", "--database-url", "x.db"]);
    assert_eq!((both.code, both.stdout.as_str()), (Some(1), ""));
    assert!(
        both.stderr
            .starts_with("error: the argument '[TARGET]' cannot be used with '--from-diesel'"),
        "{}",
        both.stderr
    );
}

// ----- errors -----

#[test]
fn a_database_ahead_of_the_history_is_shown_and_refused() {
    let p = Project::branched("ahead");
    for db in backends() {
        p.on(&db, &["stamp", "c2"])
            .ok("", "database at c2 (stamped, no SQL ran)\n");
        db.connect()
            .batch("UPDATE alembic_version SET version_num = 'e9'")
            .unwrap();
        p.on(&db, &["current"]).ok(
            "e9 (unknown revision: not in this history; was the database migrated by a newer version?)\n",
            "",
        );
        p.on(&db, &["current", "--format", "json"]).ok(
            r#"
[
  {
    "revision": "e9",
    "unknown": true
  }
]
"#,
            "",
        );
        let refused = "error: Can't locate revision identified by 'e9': the database is at a revision this history does not contain (was it written by a newer version of the application?)\n";
        p.on(&db, &["upgrade", "heads"]).fails(refused);
        p.on(&db, &["downgrade", "base"]).fails(refused);
        p.on(&db, &["check"]).fails(refused);
        p.on(&db, &["upgrade", "heads", "--dry-run"]).fails(refused);
        assert_eq!(db.connect().versions(), ["e9"], "nothing changed");
    }
}

#[test]
fn targets_irreversible_and_failing_revisions() {
    let p = Project::new("failures");
    p.revision("01_a1.sql", "a1", "", "", "first", false)
        .revision("02_b2.sql", "b2", "a1", "", "second", true)
        .write(
            "migrations/versions/03_c3.sql",
            "-- revision: c3\n-- down_revision: b2\n-- message: broken\n\n-- upgrade\nCREATE TABLE t_c3 (id INTEGER);\nTHIS IS NOT SQL;\n\n-- downgrade\nDROP TABLE t_c3;\n",
        );
    for db in backends() {
        p.on(&db, &["upgrade", "zz"])
            .fails("error: Can't locate revision identified by 'zz'\n");
        p.on(&db, &["upgrade", "a1:b2"]).fails(
            "error: 'a1:b2' is a range; ranges (`from:to`) are for offline scripts: add --sql, or give one target\n",
        );

        let failed = p.on(&db, &["upgrade", "heads"]);
        assert_eq!((failed.code, failed.stdout.as_str()), (Some(1), ""));
        let stderr = normalise(&failed.stderr);
        let (progress, error) = stderr
            .split_once("error: ")
            .unwrap_or_else(|| panic!("{stderr}"));
        assert_eq!(
            progress,
            "upgrade <base> -> a1, first ... <t>\nupgrade a1 -> b2, second ... <t>\nupgrade b2 -> c3, broken ... failed\n"
        );
        assert!(
            error.starts_with("upgrade of revision c3 (migrations/versions/03_c3.sql) failed: "),
            "{error}"
        );
        let tail = if db.backend == Backend::Mysql {
            "this database commits DDL implicitly, so the revision may be partly applied: check the schema, repair it by hand, then run again (the version table records only revisions that completed) (2 completed before it: a1, b2)\n"
        } else {
            "the revision was rolled back, the schema and version table are as before it (2 completed before it: a1, b2)\n"
        };
        assert!(error.ends_with(tail), "{error}");
        assert_eq!(db.connect().versions(), ["b2"]);
        if db.backend != Backend::Mysql {
            assert!(!db.connect().has_table("t_c3"), "rolled back");
        }

        p.on(&db, &["downgrade", "base"]).fails(r#"
error: revision a1 (migrations/versions/01_a1.sql) is irreversible: it has no `-- downgrade` section, so the downgrade stops before running anything; add a downgrade section, or stamp past it if the schema was reverted by hand
"#);
        assert_eq!(db.connect().versions(), ["b2"], "nothing ran");
        p.on(&db, &["downgrade", "a1"]).ok(
            "",
            r#"
downgrade b2 -> a1, second ... <t>
database at a1
"#,
        );
    }
}

#[test]
fn an_invalid_history_fails_check_before_connecting() {
    let p = Project::new("invalid");
    p.revision("01_a1.sql", "a1", "", "", "first", true)
        .revision("02_b2.sql", "b2", "a0", "", "second", true);
    let run = p.run(&["check", "--database-url", "postgres://u:pw@127.0.0.1:1/db"]);
    assert_eq!((run.code, run.stdout.as_str()), (Some(1), ""));
    assert!(
        run.stderr
            .starts_with("error: down_revision `a0` of revision `b2` does not exist")
            || run.stderr.contains("a0"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("cannot connect"), "{}", run.stderr);
}

// ----- connecting, and passwords -----

#[test]
fn passwords_never_appear_in_any_output() {
    let p = Project::branched("masked");
    let urls = [
        (
            "postgres://app:s3cretpw@127.0.0.1:1/db",
            "postgres://app:***@127.0.0.1:1/db",
        ),
        (
            "postgresql://app:s3cretpw@127.0.0.1:1/db?sslmode=disable",
            "postgresql://app:***@127.0.0.1:1/db?sslmode=disable",
        ),
        (
            "mysql://app:s3cretpw@127.0.0.1:1/db",
            "mysql://app:***@127.0.0.1:1/db",
        ),
        (
            "mariadb://app:s3cretpw@127.0.0.1:1/db",
            "mariadb://app:***@127.0.0.1:1/db",
        ),
        (
            "postgres://127.0.0.1:1/db?user=app&password=s3cretpw",
            "postgres://127.0.0.1:1/db?user=app&password=***",
        ),
    ];
    let commands: [&[&str]; 6] = [
        &["current"],
        &["check"],
        &["upgrade", "heads"],
        &["downgrade", "base"],
        &["stamp", "heads"],
        &["upgrade", "heads", "--dry-run"],
    ];
    for (url, shown) in urls {
        for command in commands {
            let mut args: Vec<&str> = command.to_vec();
            args.extend(["--database-url", url]);
            let by_flag = p.run(&args);
            let by_env = p.run_with("", &[("DATABASE_URL", url)], command);
            for run in [by_flag, by_env] {
                assert_eq!(
                    (run.code, run.stdout.as_str()),
                    (Some(1), ""),
                    "{command:?}"
                );
                assert!(
                    run.stderr
                        .starts_with(&format!("error: cannot connect to {shown}: ")),
                    "{command:?} {url}: {}",
                    run.stderr
                );
                assert!(!run.stderr.contains("s3cretpw"), "{}", run.stderr);
                assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
            }
        }
    }
    // From aludel.toml too.
    p.write(
        "aludel.toml",
        "database_url = \"postgres://app:s3cretpw@127.0.0.1:1/db\"\n",
    );
    let run = p.run(&["current"]);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr
            .starts_with("error: cannot connect to postgres://app:***@127.0.0.1:1/db: "),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("s3cretpw"));
    // An unknown scheme is refused, masked, with the schemes that work.
    p.run(&["current", "--database-url", "oracle://app:s3cretpw@h/db"]).fails(r#"
error: cannot use database URL oracle://app:***@h/db: unknown scheme `oracle://`; known schemes: postgres://, postgresql://, mysql://, mariadb://, sqlite://, sqlite:, file: (an SQLite URI)
"#);
}

#[test]
fn passwords_never_appear_in_successful_runs() {
    // The project's PostgreSQL server trusts local connections, so a URL with a password
    // connects: every command runs for real, and the password shows up nowhere.
    let Some(db) = TestDb::new(Backend::Postgres) else {
        return;
    };
    let p = Project::branched("masked-ok");
    // A revision that fails, so that the database's error message is shown too.
    p.write(
        "migrations/versions/06_e2.sql",
        "-- revision: e2\n-- down_revision: c2\n-- message: fails\n\n-- upgrade\nSELECT * FROM missing_table;\n",
    );
    let secret = "s3cret%40pw";
    let decoded = "s3cret@pw";
    let (scheme, rest) = db.url.split_once("://").unwrap();
    let (user, host) = rest.split_once('@').unwrap();
    let url = format!("{scheme}://{user}:{secret}@{host}");
    // Each command with its exit code (`upgrade heads` stops at the failing revision, `check`
    // finds it pending).
    let commands: &[(&[&str], i32)] = &[
        (&["upgrade", "c2"], 0),
        (&["upgrade", "feat1@head"], 0),
        (&["upgrade", "heads"], 1),
        (&["current"], 0),
        (&["current", "--format", "json"], 0),
        (&["current", "--verbose"], 0),
        (&["check"], 1),
        (&["upgrade", "heads", "--dry-run"], 0),
        (&["upgrade", "heads", "--sql"], 0),
        (&["downgrade", "feat1@-1"], 0),
        (&["stamp", "heads"], 0),
        (&["downgrade", "base", "--dry-run"], 0),
    ];
    // The failing revision's error, and the run stopped by it.
    let run = p.run(&["upgrade", "heads", "--database-url", &url]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(run.stderr.contains("missing_table"), "{}", run.stderr);
    assert!(!run.stderr.contains("s3cret"), "{}", run.stderr);
    for (command, code) in commands {
        let mut args = command.to_vec();
        args.extend(["--database-url", url.as_str()]);
        let by_flag = p.run(&args);
        let by_env = p.run_with("", &[("DATABASE_URL", url.as_str())], command);
        for run in [by_flag, by_env] {
            assert_eq!(run.code, Some(*code), "{command:?}: {}", run.stderr);
            for text in [&run.stdout, &run.stderr] {
                assert!(
                    !text.contains(secret) && !text.contains(decoded) && !text.contains("s3cret"),
                    "{command:?}: {text}"
                );
                assert!(!text.contains("panicked"), "{command:?}: {text}");
            }
        }
    }
    // From aludel.toml. The database is now at d1 and e2, stamped there without SQL (so
    // t_d1, dropped by the downgrade, is missing).
    p.write("aludel.toml", &format!("database_url = \"{url}\"\n"));
    let at_heads = "database at d1, e2 (nothing to upgrade)\n";
    let sql = p.run(&["upgrade", "heads", "--sql", "--dialect", "postgres"]);
    assert_eq!((sql.code, sql.stderr.as_str()), (Some(0), ""));
    let expected: [(&[&str], i32, &str, &str); 12] = [
        (&["upgrade", "c2"], 0, "", at_heads),
        (&["upgrade", "feat1@head"], 0, "", at_heads),
        (&["upgrade", "heads"], 0, "", at_heads),
        (&["current"], 0, "d1 (feat1) (head)\ne2 (head)\n", ""),
        (&["current", "--format", "json"], 0, "<json>", ""),
        (
            &["current", "--verbose"],
            0,
            "Rev: d1 (head)\nParent: c1\nBranch names: feat1\nPath: migrations/versions/05_d1.sql\n\n    feature more\n\nRev: e2 (head)\nParent: c2\nDowngrade: none (irreversible)\nPath: migrations/versions/06_e2.sql\n\n    fails\n\n",
            "",
        ),
        (&["check"], 0, "", "database is at heads (d1, e2)\n"),
        (&["upgrade", "heads", "--dry-run"], 0, "", at_heads),
        (&["upgrade", "heads", "--sql"], 0, &sql.stdout, ""),
        (
            &["downgrade", "feat1@-1"],
            1,
            "",
            "downgrade d1 -> c1, feature more ... failed\nerror: downgrade of revision d1 (migrations/versions/05_d1.sql) failed: table \"t_d1\" does not exist; the revision was rolled back, the schema and version table are as before it\n",
        ),
        (&["stamp", "heads"], 0, "", "database at d1, e2 (stamped, no SQL ran)\n"),
        (
            &["downgrade", "base", "--dry-run"],
            0,
            "downgrade d1 -> c1, feature more\ndowngrade c1 -> b2, feature\ndowngrade e2 -> c2, fails\ndowngrade c2 -> b2, main line\ndowngrade b2 -> a1, second\ndowngrade a1 -> <base>, first\n",
            "",
        ),
    ];
    for (command, code, stdout, stderr) in expected {
        let run = p.run(command);
        assert_eq!(run.code, Some(code), "{command:?}: {}", run.stderr);
        assert_eq!(normalise(&run.stderr), stderr, "{command:?}");
        if stdout == "<json>" {
            let rows: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
            let ids: Vec<&str> = rows
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["revision"].as_str().unwrap())
                .collect();
            assert_eq!(ids, ["d1", "e2"]);
        } else {
            assert_eq!(run.stdout, stdout, "{command:?}");
        }
        assert!(
            !run.stdout.contains("s3cret") && !run.stderr.contains("s3cret"),
            "{command:?}"
        );
    }
    std::fs::remove_file(p.root.join("aludel.toml")).unwrap();
    // A user the server does not know: the client's error, masked.
    let unknown = format!("{scheme}://nobody:{secret}@{host}");
    let run = p.run(&["current", "--database-url", &unknown]);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.starts_with(&format!(
            "error: cannot connect to {scheme}://nobody:***@{host}: "
        )),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("s3cret"), "{}", run.stderr);
}

#[test]
fn a_wrong_mysql_password_is_masked() {
    // The project's MariaDB refuses a wrong password: the server's message, masked.
    let Some(db) = TestDb::new(Backend::Mysql) else {
        return;
    };
    let p = Project::branched("masked-mysql");
    let (scheme, rest) = db.url.split_once("://").unwrap();
    let (user, host) = rest.split_once('@').unwrap();
    let url = format!("{scheme}://{user}:s3cretpw@{host}");
    for command in [&["current"][..], &["upgrade", "heads"], &["check"]] {
        let mut args = command.to_vec();
        args.extend(["--database-url", url.as_str()]);
        let run = p.run(&args);
        assert_eq!(
            (run.code, run.stdout.as_str()),
            (Some(1), ""),
            "{command:?}"
        );
        assert!(
            run.stderr.starts_with(&format!(
                "error: cannot connect to {scheme}://{user}:***@{host}: "
            )),
            "{}",
            run.stderr
        );
        assert!(!run.stderr.contains("s3cretpw"), "{}", run.stderr);
    }
}

#[test]
fn sql_scripts_never_connect() {
    let p = Project::branched("sql");
    // Unreachable, with a password: --sql reads only the scheme.
    let url = "postgres://app:s3cretpw@127.0.0.1:1/db";
    let run = p.run(&["upgrade", "c2", "--sql", "--database-url", url]);
    assert_eq!((run.code, run.stderr.as_str()), (Some(0), ""));
    assert!(!run.stdout.contains("s3cretpw"));
    assert_eq!(
        run.stdout,
        r#"CREATE TABLE IF NOT EXISTS "alembic_version" (version_num VARCHAR(32) NOT NULL, CONSTRAINT "alembic_version_pkc" PRIMARY KEY (version_num));

-- Running upgrade  -> a1 (migrations/versions/01_a1.sql)
BEGIN;
CREATE TABLE t_a1 (id INTEGER);
INSERT INTO "alembic_version" (version_num) VALUES ('a1');
COMMIT;

-- Running upgrade a1 -> b2 (migrations/versions/02_b2.sql)
BEGIN;
CREATE TABLE t_b2 (id INTEGER);
UPDATE "alembic_version" SET version_num = 'b2' WHERE version_num = 'a1';
COMMIT;

-- Running upgrade b2 -> c2 (migrations/versions/03_c2.sql)
BEGIN;
CREATE TABLE t_c2 (id INTEGER);
UPDATE "alembic_version" SET version_num = 'c2' WHERE version_num = 'b2';
COMMIT;

"#
    );
    // The dialect follows the URL's scheme, or --dialect.
    let mysql = p.run(&["upgrade", "a1", "--sql", "--database-url", "mariadb://h/db"]);
    assert!(
        mysql.stdout.contains("START TRANSACTION;"),
        "{}",
        mysql.stdout
    );
    assert!(mysql.stdout.contains("INSERT INTO `alembic_version`"));
    let sqlite = p.run(&["upgrade", "a1", "--sql", "--dialect", "sqlite"]);
    assert!(sqlite.stdout.contains("BEGIN;"), "{}", sqlite.stdout);
    // Ranges, as in Alembic; a downgrade script needs one.
    p.run(&["downgrade", "c2:a1", "--sql", "--dialect", "postgres"])
        .ok(
            r#"
-- Running downgrade c2 -> b2 (migrations/versions/03_c2.sql)
BEGIN;
DROP TABLE t_c2;
UPDATE "alembic_version" SET version_num = 'b2' WHERE version_num = 'c2';
COMMIT;

-- Running downgrade b2 -> a1 (migrations/versions/02_b2.sql)
BEGIN;
DROP TABLE t_b2;
UPDATE "alembic_version" SET version_num = 'a1' WHERE version_num = 'b2';
COMMIT;

"#,
            "",
        );
    p.run(&["downgrade", "base", "--sql", "--dialect", "postgres"])
        .fails("error: downgrade with --sql requires <fromrev>:<torev>\n");
    let from = p.run(&["upgrade", "b2:c2", "--sql", "--dialect", "postgres"]);
    assert_eq!(from.code, Some(0));
    assert!(
        from.stdout.starts_with("-- Running upgrade b2 -> c2"),
        "{}",
        from.stdout
    );
    p.run(&["upgrade", "heads", "--sql"]).fails(r#"
error: --sql needs a dialect: pass --dialect sqlite|postgres|mysql, or configure a database URL, whose scheme names it (nothing connects)
"#);
    let bad = p.run(&["upgrade", "heads", "--sql", "--dialect", "oracle"]);
    assert_eq!(bad.code, Some(1));
    assert!(
        bad.stderr.contains("unknown SQL dialect `oracle`"),
        "{}",
        bad.stderr
    );
}

// ----- configuration -----

#[test]
fn the_flag_beats_the_environment_beats_aludel_toml() {
    let p = Project::branched("precedence");
    p.write("aludel.toml", "database_url = \"sqlite://toml.db\"\n");
    p.run(&["upgrade", "a1"])
        .ok("", "upgrade <base> -> a1, first ... <t>\ndatabase at a1\n");
    let env = [("DATABASE_URL", "sqlite:env.db")];
    p.run_with("", &env, &["upgrade", "b2"]).ok(
        "",
        "upgrade <base> -> a1, first ... <t>\nupgrade a1 -> b2, second ... <t>\ndatabase at b2\n",
    );
    p.run_with("", &env, &["stamp", "c2", "--database-url", "flag.db"])
        .ok("", "database at c2 (stamped, no SQL ran)\n");
    p.run(&["current"]).ok("a1\n", "");
    p.run_with("", &env, &["current"]).ok("b2\n", "");
    p.run_with("", &env, &["current", "--database-url", "flag.db"])
        .ok("c2 (head)\n", "");
    for file in ["toml.db", "env.db", "flag.db"] {
        assert!(p.root.join(file).is_file(), "{file}");
    }

    // None of the three: say how to give one.
    p.write("aludel.toml", "");
    p.run(&["current"]).fails(r#"
error: no database URL: pass --database-url URL, set the DATABASE_URL environment variable, or add `database_url = "..."` to aludel.toml
"#);
}

#[test]
fn works_from_a_subdirectory_and_with_config() {
    let p = Project::branched("subdir");
    p.write(
        "aludel.toml",
        "database_url = \"sqlite://app.db\"\nversion_table = \"app_version\"\n",
    );
    std::fs::create_dir_all(p.root.join("src/deep")).unwrap();
    p.run_in("src/deep", &["upgrade", "c2"]).ok(
        "",
        r#"
upgrade <base> -> a1, first ... <t>
upgrade a1 -> b2, second ... <t>
upgrade b2 -> c2, main line ... <t>
database at c2
"#,
    );
    // The SQLite path in aludel.toml is relative to aludel.toml, wherever aludel runs.
    assert!(p.root.join("app.db").is_file());
    assert!(!p.root.join("src/deep/app.db").exists());
    p.run_in("src", &["current"]).ok("c2 (head)\n", "");
    // --config names the project from anywhere.
    let elsewhere = TempDir::new("aludel-cli-db-elsewhere");
    let config = p.root.join("aludel.toml");
    let run = Command::new(env!("CARGO_BIN_EXE_aludel"))
        .args(["--config", config.to_str().unwrap(), "check"])
        .current_dir(&elsewhere.0)
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(run.stderr).unwrap(),
        "error: database is not at heads: it is at c2 and 2 revisions are pending (c1, d1); run `aludel upgrade heads`\n"
    );
    // The version table is aludel.toml's.
    let mut conn = diesel_sqlite(&p.root.join("app.db"));
    assert!(conn.has_table("app_version"));
    assert!(!conn.has_table("alembic_version"));
}

fn diesel_sqlite(path: &Path) -> aludel_tests::Conn {
    use diesel::Connection;
    aludel_tests::Conn::Sqlite(diesel::SqliteConnection::establish(path.to_str().unwrap()).unwrap())
}

#[test]
fn the_version_table_comes_from_aludel_toml_on_every_backend() {
    let p = Project::branched("version-table");
    for db in backends() {
        p.write(
            "aludel.toml",
            &format!(
                "database_url = \"{}\"\nversion_table = \"my_versions\"\n",
                db.url
            ),
        );
        p.run(&["upgrade", "a1"])
            .ok("", "upgrade <base> -> a1, first ... <t>\ndatabase at a1\n");
        p.run(&["current"]).ok("a1\n", "");
        let mut conn = db.connect();
        assert!(conn.has_table("my_versions"));
        assert!(!conn.has_table("alembic_version"));
    }
}

#[test]
fn x_arguments_are_parsed_strictly() {
    let p = Project::branched("x");
    p.run(&["-x", "tenant=acme", "-x", "empty=", "heads", "-x", "a=b=c"])
        .ok("c2 (head)\nd1 (feat1) (head)\n", "");
    for bad in ["tenant", "=acme", "two words=x"] {
        let run = p.run(&["-x", bad, "heads"]);
        assert_eq!((run.code, run.stdout.as_str()), (Some(1), ""));
        assert!(
            run.stderr.starts_with(&format!(
                "error: invalid value '{bad}' for '-x <KEY=VALUE>': expected KEY=VALUE (e.g. -x tenant=acme), got `{bad}`"
            )),
            "{}",
            run.stderr
        );
    }
}

// ----- colour -----

#[test]
fn colour_only_on_request_and_never_with_no_color() {
    let p = Project::branched("colour");
    let url = "sqlite://colour.db";
    let plain = p.run(&["upgrade", "a1", "--database-url", url]);
    assert!(!plain.stderr.contains('\x1b'), "not a terminal: no colour");
    let forced = p.run_with(
        "",
        &[("CLICOLOR_FORCE", "1")],
        &["upgrade", "b2", "--database-url", url],
    );
    assert_eq!(
        normalise(&forced.stderr),
        "\x1b[32mupgrade\x1b[0m a1 -> b2, second ... \x1b[2m<t>\x1b[0m\ndatabase at \x1b[1mb2\x1b[0m\n"
    );
    let error = p.run_with(
        "",
        &[("CLICOLOR_FORCE", "1")],
        &["upgrade", "zz", "--database-url", url],
    );
    assert_eq!(
        error.stderr,
        "\x1b[1;31merror:\x1b[0m Can't locate revision identified by 'zz'\n"
    );
    for args in [
        &["upgrade", "heads", "--database-url", url][..],
        &["upgrade", "zz", "--database-url", url][..],
        &["current", "--database-url", url][..],
    ] {
        let run = p.run_with("", &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")], args);
        assert!(!run.stderr.contains('\x1b'), "{}", run.stderr);
        assert!(!run.stdout.contains('\x1b'), "{}", run.stdout);
    }
}

#[test]
fn every_url_form_reaches_its_backend() {
    let p = Project::branched("url-forms");
    for db in backends() {
        let forms: Vec<String> = match db.backend {
            Backend::Sqlite => vec![
                db.url.clone(),
                format!("sqlite://{}", db.url),
                format!("sqlite:{}", db.url),
            ],
            Backend::Postgres => vec![
                db.url.clone(),
                db.url.replacen("postgres://", "postgresql://", 1),
            ],
            Backend::Mysql => vec![db.url.clone(), db.url.replacen("mysql://", "mariadb://", 1)],
        };
        p.on(&db, &["stamp", "b2"])
            .ok("", "database at b2 (stamped, no SQL ran)\n");
        for url in &forms {
            p.run(&["current", "--database-url", url]).ok("b2\n", "");
        }
    }
}

// ----- which strings name a database -----

/// The names in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// `postgres://user[:pw]@host:port/db[?query]` as libpq's parts.
fn libpq_parts(url: &str) -> (String, String, String, String) {
    let rest = url.split_once("://").unwrap().1;
    let rest = rest.split_once('?').map_or(rest, |(r, _)| r);
    let (user, rest) = rest.split_once('@').unwrap();
    let user = user.split_once(':').map_or(user, |(u, _)| u);
    let (host_port, db) = rest.split_once('/').unwrap();
    let (host, port) = host_port.split_once(':').unwrap_or((host_port, "5432"));
    (user.into(), host.into(), port.into(), db.into())
}

#[test]
fn a_libpq_key_value_string_is_postgres_with_the_password_masked() {
    let Some(db) = TestDb::new(Backend::Postgres) else {
        return;
    };
    let p = Project::branched("key-value");
    let (user, host, port, name) = libpq_parts(&db.url);
    // The server trusts local connections, so any password connects.
    let dsn = format!("host={host} port={port} user={user} password=s3cretpw dbname={name}");
    let before = listing(&p.root);
    let on = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--database-url", dsn.as_str()]);
        p.run(&all)
    };
    on(&["check"]).fails(r#"
error: database is not at heads: it is at base and 5 revisions are pending (a1, b2, c1, d1, c2); run `aludel upgrade heads`
"#);
    on(&["upgrade", "heads"]).ok(
        "",
        r#"
upgrade <base> -> a1, first ... <t>
upgrade a1 -> b2, second ... <t>
upgrade b2 -> c1, feature ... <t>
upgrade c1 -> d1, feature more ... <t>
upgrade b2 -> c2, main line ... <t>
database at c2, d1
"#,
    );
    on(&["current"]).ok("c2 (head)\nd1 (feat1) (head)\n", "");
    on(&["check"]).ok("", "database is at heads (c2, d1)\n");
    // The same string from the environment and from aludel.toml.
    p.run_with(
        "",
        &[("DATABASE_URL", dsn.as_str())],
        &["downgrade", "feat1@-1"],
    )
    .ok(
        "",
        "downgrade d1 -> c1, feature more ... <t>\ndatabase at c2, c1\n",
    );
    p.write("aludel.toml", &format!("database_url = \"{dsn}\"\n"));
    p.run(&["current"]).ok("c2 (head)\nc1 (feat1)\n", "");
    std::fs::remove_file(p.root.join("aludel.toml")).unwrap();
    // It migrated the PostgreSQL database, and wrote no file.
    let mut conn = db.connect();
    let mut versions = conn.versions();
    versions.sort();
    assert_eq!(versions, ["c1", "c2"]);
    assert!(conn.has_table("t_c2") && conn.has_table("t_c1") && !conn.has_table("t_d1"));
    assert_eq!(listing(&p.root), before, "no file was created");

    // Quoted values, spaces around `=`, escapes: libpq's syntax.
    let quoted = format!(
        "host = '{host}' port='{port}' user={user} password='s3 cr\\'et pw' dbname = '{name}'"
    );
    p.run(&["current", "--database-url", &quoted])
        .ok("c2 (head)\nc1 (feat1)\n", "");
    // --sql reads the dialect from it, and connects to nothing.
    let sql = p.run(&["upgrade", "a1", "--sql", "--database-url", &dsn]);
    assert_eq!((sql.code, sql.stderr.as_str()), (Some(0), ""));
    assert!(sql
        .stdout
        .contains("CREATE TABLE IF NOT EXISTS \"alembic_version\""));

    // Wherever the target is shown, the password is `***`.
    let unreachable = "host=127.0.0.1 port=1 user=app password=s3cretpw dbname=db";
    let quoted_unreachable = "host=127.0.0.1 port=1 user=app password='s3cret pw' dbname=db";
    for (url, shown) in [
        (
            unreachable,
            "host=127.0.0.1 port=1 user=app password=*** dbname=db",
        ),
        (
            quoted_unreachable,
            "host=127.0.0.1 port=1 user=app password=*** dbname=db",
        ),
    ] {
        for command in [&["current"][..], &["check"], &["upgrade", "heads"]] {
            let mut args = command.to_vec();
            args.extend(["--database-url", url]);
            let run = p.run(&args);
            assert_eq!(
                (run.code, run.stdout.as_str()),
                (Some(1), ""),
                "{command:?}"
            );
            assert!(
                run.stderr
                    .starts_with(&format!("error: cannot connect to {shown}: ")),
                "{}",
                run.stderr
            );
            assert_eq!(
                run.stderr.lines().count(),
                1 + run.stderr.matches("\n  ").count()
            );
            assert!(!run.stderr.contains("s3cret"), "{}", run.stderr);
            assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        }
    }
    assert_eq!(listing(&p.root), before, "no file was created");
}

#[test]
fn strings_that_name_no_database_are_refused_and_create_nothing() {
    let p = Project::branched("refused");
    let known = "known schemes: postgres://, postgresql://, mysql://, mariadb://, sqlite://, sqlite:, file: (an SQLite URI)";
    let accepted = "accepted: postgres://... or postgresql://..., a libpq key/value string (host=... user=... dbname=...), mysql://... or mariadb://..., sqlite://PATH or sqlite:PATH (always SQLite), or the path of an existing SQLite file or of a new one named *.db, *.sqlite, *.sqlite3 or *.db3";
    let key_value = "a PostgreSQL key/value string is keyword=value pairs separated by spaces (e.g. host=localhost user=app password=... dbname=app); an SQLite path with `=` in it needs the sqlite: prefix";
    let cases: Vec<(&str, String)> = vec![
        (
            "postgress://app:s3cretpw@127.0.0.1/db",
            format!("postgress://app:***@127.0.0.1/db: unknown scheme `postgress://` (did you mean `postgres://`?); {known}"),
        ),
        (
            "postgresq://app@127.0.0.1/db",
            format!("postgresq://app@127.0.0.1/db: unknown scheme `postgresq://` (did you mean `postgres://`?); {known}"),
        ),
        (
            "mysql2://root:s3cretpw@127.0.0.1/test",
            format!("mysql2://root:***@127.0.0.1/test: unknown scheme `mysql2://` (did you mean `mysql://`?); {known}"),
        ),
        (
            "sqlte://app.db",
            format!("sqlte://app.db: unknown scheme `sqlte://` (did you mean `sqlite://`?); {known}"),
        ),
        (
            "sqlte:app.db",
            format!("sqlte:app.db: unknown scheme `sqlte:` (did you mean `sqlite:`?); {known}"),
        ),
        (
            "pgsql://app@h/db",
            format!("pgsql://app@h/db: unknown scheme `pgsql://` (did you mean `postgres://`?); {known}"),
        ),
        (
            "oracle://app:s3cretpw@h/db",
            format!("oracle://app:***@h/db: unknown scheme `oracle://`; {known}"),
        ),
        (
            "postgres:app:s3cretpw@h/db",
            "postgres:***@h/db: write `postgres://...` (user, host and database after the `//`)".to_string(),
        ),
        (
            "app",
            format!("app: not a database URL, and no file of that name exists; a new SQLite file needs the sqlite: prefix (sqlite:app) or a name ending in .db, .sqlite, .sqlite3 or .db3; {accepted}"),
        ),
        (
            "host 127.0.0.1 dbname app.db",
            format!("host 127.0.0.1 dbname app.db: not a database URL, and no file of that name exists; a path with spaces is taken only when the file exists or with the sqlite: prefix; {accepted}"),
        ),
        (
            "host 127.0.0.1 password s3cretpw",
            format!("host 127.0.0.1 password ***: not a database URL, and no file of that name exists; a path with spaces is taken only when the file exists or with the sqlite: prefix; {accepted}"),
        ),
        (
            "hots=127.0.0.1 user=postgres password=s3cretpw dbname=app",
            format!("hots=*** user=postgres password=*** dbname=app: `hots` is not a libpq connection keyword (did you mean `host`?); {key_value}"),
        ),
        (
            "host=127.0.0.1 passwrd=s3cretpw",
            format!("host=127.0.0.1 passwrd=***: `passwrd` is not a libpq connection keyword (did you mean `password`?); {key_value}"),
        ),
        (
            "app=1.db",
            format!("app=***: `app` is not a libpq connection keyword; {key_value}"),
        ),
        (
            "host=127.0.0.1 user postgres",
            format!("host=127.0.0.1 user postgres: `user` has no `=` after it; {key_value}"),
        ),
        (
            "host=127.0.0.1 password='s3cret pw",
            format!("host=127.0.0.1 password=***: the quoted value of `password` has no closing `'`; {key_value}"),
        ),
        (
            "Data Source=app.db;Password=s3cretpw",
            format!("Data Source=app.db;Password=***: `Data` has no `=` after it; {key_value}"),
        ),
        (
            "=x",
            format!("=x: a `=` with no keyword before it; {key_value}"),
        ),
        ("", format!("\"\": it is empty; {accepted}")),
    ];
    let commands: [&[&str]; 6] = [
        &["upgrade", "heads"],
        &["current"],
        &["check"],
        &["stamp", "heads"],
        &["downgrade", "base"],
        &["upgrade", "heads", "--sql"],
    ];
    let before = listing(&p.root);
    for (url, message) in &cases {
        let expected = format!("error: cannot use database URL {message}\n");
        for command in commands {
            let mut args = command.to_vec();
            args.extend(["--database-url", url]);
            p.run(&args).fails(&expected);
            // (An empty DATABASE_URL is no URL.)
            if !url.is_empty() {
                p.run_with("", &[("DATABASE_URL", url)], command)
                    .fails(&expected);
            }
            assert_eq!(
                listing(&p.root),
                before,
                "{url:?} {command:?} created a file"
            );
        }
    }
    // From aludel.toml too.
    p.write("aludel.toml", "database_url = \"sqlte://app.db\"\n");
    let with_toml = listing(&p.root);
    for command in commands {
        p.run(command).fails(&format!(
            "error: cannot use database URL sqlte://app.db: unknown scheme `sqlte://` (did you mean `sqlite://`?); {known}\n"
        ));
    }
    assert_eq!(listing(&p.root), with_toml, "no file was created");
}

#[test]
fn plain_paths_are_sqlite_when_they_exist_or_look_like_sqlite() {
    let p = Project::branched("paths");
    let upgraded = "upgrade <base> -> a1, first ... <t>\ndatabase at a1\n";
    // A new file with an SQLite extension (any case) is created.
    for name in ["new.db", "new.sqlite", "new.sqlite3", "new.db3", "NEW.DB"] {
        p.run(&["upgrade", "a1", "--database-url", name])
            .ok("", upgraded);
        assert!(p.root.join(name).is_file(), "{name}");
        p.run(&["current", "--database-url", name]).ok("a1\n", "");
    }
    // `sqlite:` and `sqlite://` always mean SQLite, whatever the name.
    for (url, file) in [
        ("sqlite:plain", "plain"),
        ("sqlite://odd name=1", "odd name=1"),
        ("sqlite:sqlte:x", "sqlte:x"),
    ] {
        p.run(&["upgrade", "a1", "--database-url", url])
            .ok("", upgraded);
        assert!(p.root.join(file).is_file(), "{file}");
    }
    // Once they exist, the plain names work too.
    for name in ["plain", "odd name=1"] {
        let expected = if name.contains('=') {
            // A string with `=` is a key/value string even when such a file exists.
            None
        } else {
            Some("a1\n")
        };
        let run = p.run(&["current", "--database-url", name]);
        match expected {
            Some(stdout) => run.ok(stdout, ""),
            None => run.fails(
                "error: cannot use database URL odd name=1: `odd` has no `=` after it; a PostgreSQL key/value string is keyword=value pairs separated by spaces (e.g. host=localhost user=app password=... dbname=app); an SQLite path with `=` in it needs the sqlite: prefix\n",
            ),
        }
    }
    std::fs::write(p.root.join("with space.db"), "").unwrap();
    p.run(&["current", "--database-url", "with space.db"])
        .ok("", "");
    // A directory is not a database.
    std::fs::create_dir(p.root.join("dir.db")).unwrap();
    p.run(&["upgrade", "a1", "--database-url", "dir.db"])
        .fails("error: cannot connect to dir.db: this is a directory, not an SQLite file\n");
    // `:memory:` is an empty database that vanishes.
    p.run(&["upgrade", "a1", "--database-url", ":memory:"])
        .ok("", upgraded);
    p.run(&["current", "--database-url", ":memory:"]).ok("", "");
}
