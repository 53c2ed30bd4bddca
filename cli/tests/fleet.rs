//! Fleets from the command line: `upgrade heads --targets FILE|-`, `current --targets`,
//! `check --targets`, on SQLite files always and on PostgreSQL schemas and MariaDB databases
//! when the test servers are configured: the text and JSON reports, the exit code, a list that
//! cannot be read (nothing changes), failures with and without `--continue-on-error`, a
//! canary, masked passwords, and Ctrl-C in the middle of a run.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking

use std::io::Write;
use std::process::{Command, Stdio};

use aludel_tests::{Backend, TestDb};
use common::{Env, Project, Run};
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

const A1: &str = "-- revision: a1\n-- down_revision:\n-- message: accounts\n\n-- upgrade\nCREATE TABLE accounts (id INTEGER PRIMARY KEY);\n\n-- downgrade\nDROP TABLE accounts;\n";
const B2: &str = "-- revision: b2\n-- down_revision: a1\n-- message: invoices\n\n-- upgrade\nCREATE TABLE invoices (id INTEGER PRIMARY KEY);\n\n-- downgrade\nDROP TABLE invoices;\n";

impl Project {
    /// A project of two revisions and a list of SQLite tenants `t0.db`...
    fn fleet(name: &str, tenants: usize) -> Project {
        let p = Project::temp(&format!("aludel-cli-fleet-{name}"), ENV);
        p.write("migrations/versions/01_a1.sql", A1);
        p.write("migrations/versions/02_b2.sql", B2);
        let list: String = (0..tenants).map(|i| format!("t{i}.db\n")).collect();
        p.write("tenants.txt", &format!("# the tenants\n{list}"));
        p
    }

    fn sqlite(&self, name: &str) -> diesel::SqliteConnection {
        diesel::SqliteConnection::establish(self.root.join(name).to_str().unwrap()).unwrap()
    }

    /// `aludel args...` with `stdin` on its standard input.
    fn run_stdin(&self, args: &[&str], stdin: &str) -> Run {
        let mut child = Command::new(env!("CARGO_BIN_EXE_aludel"))
            .args(args)
            .current_dir(&self.root)
            .env_remove("DATABASE_URL")
            .env("NO_COLOR", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        let output = child.wait_with_output().unwrap();
        Run {
            code: output.status.code(),
            stdout: String::from_utf8(output.stdout).unwrap(),
            stderr: String::from_utf8(output.stderr).unwrap(),
        }
    }
}

/// The report's lines without the summary's duration.
fn lines(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .map(|l| match l.find(" in ") {
            Some(at) if l.contains(" target") && l.contains(": ") && !l.contains(".db:") => {
                let rest = &l[at + 4..];
                let colon = rest.find(": ").unwrap();
                format!("{} in <t>{}", &l[..at], &rest[colon..])
            }
            _ => l.to_string(),
        })
        .collect()
}

fn json(stdout: &str) -> Vec<serde_json::Value> {
    serde_json::from_str::<serde_json::Value>(stdout)
        .unwrap_or_else(|e| panic!("{e}: {stdout}"))
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn sqlite_tenants_upgraded_then_found_at_head_read_and_checked() {
    let p = Project::fleet("sqlite", 3);
    let run = p.run(&[
        "upgrade",
        "heads",
        "--targets",
        "tenants.txt",
        "--parallel",
        "2",
    ]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(
        lines(&run.stdout),
        [
            "t0.db: applied 2 revisions (a1, b2), at b2",
            "t1.db: applied 2 revisions (a1, b2), at b2",
            "t2.db: applied 2 revisions (a1, b2), at b2",
            "3 targets in <t>: 3 applied",
        ]
    );
    // Not a terminal: a line per finished target on stderr.
    assert_eq!(run.stderr.lines().count(), 3, "{}", run.stderr);
    assert!(run.stderr.contains("/3] t1.db: applied"), "{}", run.stderr);
    // Again, as JSON: every tenant up to date.
    let run = p.run(&[
        "upgrade",
        "heads",
        "--targets",
        "tenants.txt",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, Some(0), "{run:?}");
    let report = json(&run.stdout);
    assert_eq!(report.len(), 3);
    for (i, target) in report.iter().enumerate() {
        assert_eq!(target["target"], format!("t{i}.db"));
        assert_eq!(target["status"], "up_to_date");
        assert_eq!(target["error"], serde_json::Value::Null);
        assert_eq!(target["applied"], serde_json::json!([]));
        assert_eq!(target["current"], serde_json::json!(["b2"]));
    }
    // A new revision: `current` and `check` say who is behind; check exits 1.
    p.write(
        "migrations/versions/03_c3.sql",
        "-- revision: c3\n-- down_revision: b2\n-- message: totals\n\n-- upgrade\nALTER TABLE invoices ADD COLUMN total INTEGER;\n",
    );
    let run = p.run(&["current", "--targets", "tenants.txt"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.contains("t1.db: at b2, 1 revision pending (c3)"));
    let run = p.run(&["check", "--targets", "tenants.txt", "--format", "json"]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(json(&run.stdout)
        .iter()
        .all(|t| t["status"] == "pending" && t["pending"] == serde_json::json!(["c3"])));
    assert!(
        run.stderr
            .contains("error: of 3 targets, 3 not at the heads"),
        "{}",
        run.stderr
    );
    // From stdin.
    let run = p.run_stdin(
        &["upgrade", "heads", "--targets", "-"],
        "t0.db\nt1.db # eu\n",
    );
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.contains("t1.db: applied 1 revision (c3), at c3"));
    let run = p.run(&["check", "--targets", "tenants.txt"]);
    assert_eq!(run.code, Some(1));
    assert!(run.stdout.contains("t0.db: up to date, at c3"));
    assert!(run.stdout.contains("t2.db: at b2, 1 revision pending (c3)"));
}

#[test]
fn a_list_that_cannot_be_read_changes_nothing() {
    let p = Project::fleet("bad-list", 0);
    for (list, message) in [
        (
            "t0.db\nt1.db sschema=x\n",
            "error: targets file list.txt: line 2: `sschema=***` is not `schema=NAME`",
        ),
        (
            "t0.db\nredis://cache/0\n",
            "error: targets file list.txt: redis://cache/0: ",
        ),
        (
            "# nobody\n\n",
            "error: targets file list.txt: it names no target",
        ),
        (
            "t0.db\nt0.db\n",
            "error: targets file list.txt: line 2: t0.db is already line 1",
        ),
    ] {
        p.write("list.txt", list);
        let run = p.run(&["upgrade", "heads", "--targets", "list.txt"]);
        assert_eq!(run.code, Some(1), "{run:?}");
        assert!(run.stderr.starts_with(message), "{}", run.stderr);
        assert!(run.stdout.is_empty());
        assert!(!p.exists("t0.db"), "nothing was created");
    }
    let run = p.run(&["upgrade", "heads", "--targets", "missing.txt"]);
    assert!(
        run.stderr
            .starts_with("error: targets file missing.txt: cannot read it: "),
        "{}",
        run.stderr
    );
    // Options that act on one database are refused beside --targets.
    p.write("list.txt", "t0.db\n");
    for (args, message) in [
        (
            &["downgrade", "base", "--targets", "list.txt"][..],
            "error: --targets upgrades a fleet",
        ),
        (
            &["upgrade", "heads", "--targets", "list.txt", "--sql"][..],
            "error: --targets does not go with --sql",
        ),
        (
            &["check", "--targets", "list.txt", "--schema"][..],
            "error: --targets does not go with --schema",
        ),
    ] {
        let run = p.run(args);
        assert_eq!(run.code, Some(1), "{run:?}");
        assert!(run.stderr.starts_with(message), "{}", run.stderr);
    }
    let run = p.run(&["upgrade", "heads", "--parallel", "2"]);
    assert_eq!(run.code, Some(1), "--parallel needs --targets: {run:?}");
    assert!(run.stderr.contains("--targets <FILE>"), "{}", run.stderr);
    let run = p.run(&[
        "upgrade",
        "heads",
        "--targets",
        "list.txt",
        "--parallel",
        "0",
    ]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stderr.contains("--parallel"), "{}", run.stderr);
    assert!(!p.exists("t0.db"));
}

#[test]
fn failures_stop_the_fleet_unless_it_continues_and_a_rerun_finishes() {
    let p = Project::fleet("failures", 4);
    // t1 already has the table a1 creates; the password of an unreachable server is masked.
    p.sqlite("t1.db")
        .batch_execute("CREATE TABLE accounts (x INTEGER)")
        .unwrap();
    let list =
        "t0.db\nt1.db\npostgres://app:s3cretpw@127.0.0.1:1/none?connect_timeout=2\nt2.db\nt3.db\n";
    p.write("list.txt", list);
    let run = p.run(&[
        "upgrade",
        "heads",
        "--targets",
        "list.txt",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, Some(1), "{run:?}");
    let statuses: Vec<String> = json(&run.stdout)
        .iter()
        .map(|t| t["status"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        statuses,
        [
            "applied",
            "failed",
            "not_started",
            "not_started",
            "not_started"
        ]
    );
    assert!(run.stderr.contains("error: of 5 targets, 1 failed, 3 not started: fix what failed and run the same list again"), "{}", run.stderr);
    // Going on: the unreachable one fails too, the others complete.
    let run = p.run(&[
        "upgrade",
        "heads",
        "--targets",
        "list.txt",
        "--continue-on-error",
        "--parallel",
        "3",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, Some(1), "{run:?}");
    let report = json(&run.stdout);
    let statuses: Vec<&str> = report
        .iter()
        .map(|t| t["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["up_to_date", "failed", "failed", "applied", "applied"]
    );
    assert!(report[1]["error"]
        .as_str()
        .unwrap()
        .contains("upgrade of revision a1"));
    assert_eq!(
        report[2]["target"],
        "postgres://app:***@127.0.0.1:1/none?connect_timeout=2"
    );
    assert!(report[2]["error"]
        .as_str()
        .unwrap()
        .starts_with("cannot connect: "));
    for text in [&run.stdout, &run.stderr] {
        assert!(!text.contains("s3cretpw"), "{text}");
    }
    // Fixed, the same list converges (the unreachable one aside).
    p.sqlite("t1.db")
        .batch_execute("DROP TABLE accounts")
        .unwrap();
    p.write("list.txt", "t0.db\nt1.db\nt2.db\nt3.db\n");
    let run = p.run(&["upgrade", "heads", "--targets", "list.txt"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run
        .stdout
        .contains("t1.db: applied 2 revisions (a1, b2), at b2"));
    assert!(
        run.stdout.ends_with(" 1 applied, 3 up to date\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_failing_canary_stops_the_rest() {
    let p = Project::fleet("canary", 4);
    p.sqlite("t1.db")
        .batch_execute("CREATE TABLE invoices (x INTEGER)")
        .unwrap();
    let run = p.run(&[
        "upgrade",
        "heads",
        "--targets",
        "tenants.txt",
        "--canary",
        "2",
        "--continue-on-error",
        "--parallel",
        "2",
    ]);
    assert_eq!(run.code, Some(1), "{run:?}");
    let out = lines(&run.stdout);
    assert_eq!(out[0], "t0.db: applied 2 revisions (a1, b2), at b2");
    assert!(
        out[1].starts_with("t1.db: failed: upgrade of revision b2"),
        "{}",
        out[1]
    );
    assert_eq!(out[2..4], ["t2.db: not started", "t3.db: not started"]);
    assert_eq!(
        out[4],
        "4 targets in <t>: 1 applied, 1 failed, 2 not started"
    );
}

/// A database on the PostgreSQL test server with a schema per tenant, and a project whose
/// second revision takes `seconds` on each tenant.
fn pg_tenants(name: &str, tenants: &[&str], seconds: f64) -> Option<(TestDb, Project)> {
    let db = TestDb::new(Backend::Postgres)?;
    let mut conn = diesel::PgConnection::establish(&db.url).unwrap();
    for tenant in tenants {
        conn.batch_execute(&format!("CREATE SCHEMA {tenant}"))
            .unwrap();
    }
    let p = Project::temp(&format!("aludel-cli-fleet-{name}"), ENV);
    // Without a wait the history is MySQL's too.
    let sleep = if seconds > 0.0 {
        format!("SELECT pg_sleep({seconds});\n")
    } else {
        String::new()
    };
    p.write("migrations/versions/01_a1.sql", A1);
    p.write(
        "migrations/versions/02_b2.sql",
        &format!("-- revision: b2\n-- down_revision: a1\n-- message: invoices\n\n-- upgrade\n{sleep}CREATE TABLE invoices (id INTEGER PRIMARY KEY, account_id INTEGER REFERENCES accounts (id));\n"),
    );
    p.write(
        "migrations/versions/03_c3.sql",
        "-- revision: c3\n-- down_revision: b2\n-- message: totals\n\n-- upgrade\nALTER TABLE invoices ADD COLUMN total INTEGER;\n",
    );
    let list: String = tenants
        .iter()
        .map(|t| format!("{} schema={t}\n", db.url))
        .collect();
    p.write("tenants.txt", &list);
    Some((db, p))
}

#[test]
fn postgres_schemas_and_mariadb_databases() {
    let Some((db, p)) = pg_tenants("pg", &["acme", "globex"], 0.0) else {
        return;
    };
    let Some(maria) = TestDb::new(Backend::Mysql) else {
        return;
    };
    let mut list = p.read("tenants.txt");
    list.push_str(&format!("{}\n", maria.url));
    p.write("tenants.txt", &list);
    let run = p.run(&[
        "upgrade",
        "heads",
        "--targets",
        "tenants.txt",
        "--parallel",
        "3",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, Some(0), "{run:?}");
    let report = json(&run.stdout);
    assert_eq!(report[0]["target"], format!("{} schema=acme", db.url));
    assert_eq!(report[0]["schema"], "acme");
    for target in &report {
        assert_eq!(target["status"], "applied", "{target}");
        assert_eq!(target["applied"], serde_json::json!(["a1", "b2", "c3"]));
    }
    let mut tenant =
        aludel_tests::Conn::Postgres(diesel::PgConnection::establish(&db.url).unwrap());
    for schema in ["acme", "globex"] {
        assert_eq!(
            tenant.strings(&format!(
                "SELECT version_num AS a FROM {schema}.alembic_version"
            )),
            ["c3"]
        );
    }
    assert!(!tenant.has_table("alembic_version"), "nothing in public");
    assert_eq!(maria.connect().versions(), ["c3"]);
    let run = p.run(&["check", "--targets", "tenants.txt"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.ends_with("3 up to date\n"), "{}", run.stdout);
}

#[test]
fn ctrl_c_lets_the_running_revision_finish_and_reports() {
    let Some((db, p)) = pg_tenants("ctrl-c", &["t1", "t2", "t3"], 2.0) else {
        return;
    };
    let child = Command::new(env!("CARGO_BIN_EXE_aludel"))
        .args([
            "upgrade",
            "heads",
            "--targets",
            "tenants.txt",
            "--format",
            "json",
        ])
        .current_dir(&p.root)
        .env_remove("DATABASE_URL")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Once the first tenant's slow revision runs, Ctrl-C.
    let mut watch = diesel::PgConnection::establish(&db.url).unwrap();
    let started = std::time::Instant::now();
    loop {
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let rows: Vec<Row> = diesel::sql_query(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'PgSleep'",
        )
        .load(&mut watch)
        .unwrap();
        if rows[0].n > 0 {
            break;
        }
        assert!(
            started.elapsed().as_secs() < 30,
            "the slow revision never ran"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("stopping: no new target starts"),
        "{stderr}"
    );
    let report = json(&stdout);
    // The first tenant finished the revision it was in (b2), and stopped before c3.
    assert_eq!(report[0]["status"], "failed");
    assert!(report[0]["error"]
        .as_str()
        .unwrap()
        .starts_with("stopped on request before the next revision"));
    assert_eq!(report[0]["applied"], serde_json::json!(["a1", "b2"]));
    assert_eq!(report[1]["status"], "not_started");
    assert_eq!(report[2]["status"], "not_started");
    let mut conn = aludel_tests::Conn::Postgres(diesel::PgConnection::establish(&db.url).unwrap());
    assert_eq!(
        conn.strings("SELECT version_num AS a FROM t1.alembic_version"),
        ["b2"]
    );
    assert!(conn
        .strings("SELECT CAST(table_name AS TEXT) AS a FROM information_schema.tables WHERE table_schema = 't2'")
        .is_empty());
}

#[test]
fn a_terminal_gets_a_progress_bar() {
    // `script` (util-linux) runs the command on a pseudo-terminal and records what it wrote.
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("note: `script` (util-linux) is not installed; skipping the terminal test");
        return;
    }
    let p = Project::fleet("terminal", 5);
    let aludel = env!("CARGO_BIN_EXE_aludel");
    let command = format!("{aludel} upgrade heads --targets tenants.txt --parallel 2 > report.txt");
    let status = Command::new("script")
        .args(["-qec", &command, "typescript"])
        .current_dir(&p.root)
        .env_remove("DATABASE_URL")
        .env("NO_COLOR", "1")
        .env("TERM", "xterm")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let screen = p.read("typescript");
    // Redrawn in place: the last draw says all five are done, none failed, and how long it took.
    assert!(screen.contains("\r\x1b[2K["), "{screen:?}");
    assert!(screen.contains("] 5/5 done, 0 failed, "), "{screen:?}");
    assert!(screen.contains("/s, took "), "{screen:?}");
    assert!(
        !screen.contains("[1/5]"),
        "no per-target lines on a terminal: {screen:?}"
    );
    assert!(p.read("report.txt").ends_with(" 5 applied\n"));
}
