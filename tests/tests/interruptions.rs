//! Migrators that die mid-revision: a process killed with SIGKILL during a long revision
//! (SQLite and PostgreSQL), processes killed at random moments until a history is applied, and
//! a connection terminated by the server during a run (PostgreSQL; MariaDB, whose DDL commits
//! as it runs, for its documented "may be partly applied"). The database stays at the last
//! completed revision, nothing of the interrupted revision is recorded or left behind, the
//! lock is free again, and the next run completes.
//!
//! The long revision reads how long to run from a table the test controls (`test_control`),
//! so that the second run applies the very same files (an edited file would be drift) without
//! waiting.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use aludel_tests::{revision, Backend, Conn, TestDb, TestHistory};

/// `r0 <- r1 <- r2 (long) <- r3`, each creating a table `t<i>`.
fn history(long: &str) -> TestHistory {
    let h = TestHistory::new();
    h.add(
        "0.sql",
        &revision(
            "r0",
            "",
            "CREATE TABLE t0 (id INTEGER);",
            Some("DROP TABLE t0;"),
        ),
    );
    h.add(
        "1.sql",
        &revision(
            "r1",
            "r0",
            "CREATE TABLE t1 (id INTEGER);",
            Some("DROP TABLE t1;"),
        ),
    );
    h.add(
        "2.sql",
        &revision(
            "r2",
            "r1",
            &format!("CREATE TABLE t2 (x INTEGER);\n{long}"),
            Some("DROP TABLE t2;"),
        ),
    );
    h.add(
        "3.sql",
        &revision(
            "r3",
            "r2",
            "CREATE TABLE t3 (id INTEGER);",
            Some("DROP TABLE t3;"),
        ),
    );
    h
}

/// SQLite: inserts `test_control.n` rows into `t2`, one by one from a recursive CTE (a billion
/// takes minutes; the journal grows as it runs).
const SQLITE_LONG: &str = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < (SELECT n FROM test_control))\nINSERT INTO t2 (x) SELECT x FROM c;";

/// PostgreSQL: sleeps `test_control.seconds`, after writing a row into the new table.
const POSTGRES_LONG: &str =
    "INSERT INTO t2 (x) VALUES (1);\nSELECT pg_sleep(seconds) FROM test_control;";

/// A migrator in a child process (`aludel-race`), with its progress lines on a channel.
struct Migrator {
    child: Child,
    lines: Receiver<String>,
    /// The lines received so far.
    seen: Vec<String>,
}

impl Migrator {
    fn start(backend: &str, url: &str, history: &TestHistory) -> Migrator {
        let mut child = Command::new(env!("CARGO_BIN_EXE_aludel-race"))
            .args([backend, url, history.dir.0.to_str().unwrap()])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout: ChildStdout = child.stdout.take().unwrap();
        let (send, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Migrator {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits until the child prints `line`; panics if it exits or takes more than 30 s.
    fn wait_for(&mut self, line: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match self.lines.recv_timeout(Duration::from_millis(100)) {
                Ok(l) => {
                    let found = l == line;
                    self.seen.push(l);
                    if found {
                        return;
                    }
                }
                Err(_) => {
                    if let Some(status) = self.child.try_wait().unwrap() {
                        panic!("the migrator exited ({status}) before printing {line:?}");
                    }
                    assert!(
                        Instant::now() < deadline,
                        "the migrator did not print {line:?} within 30 s"
                    );
                }
            }
        }
    }

    /// Waits for the child to exit; its exit status, stdout lines and stderr.
    fn finish(mut self) -> (std::process::ExitStatus, Vec<String>, String) {
        let mut stderr = String::new();
        std::io::Read::read_to_string(self.child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
        let status = self.child.wait().unwrap();
        // The reader thread ends at the end of the child's stdout.
        self.seen.extend(self.lines.iter());
        (status, self.seen, stderr)
    }
}

/// Polls `check` every 50 ms until it holds; how long that took. Panics after `limit`.
fn poll(what: &str, limit: Duration, mut check: impl FnMut() -> bool) -> Duration {
    let started = Instant::now();
    while !check() {
        assert!(started.elapsed() < limit, "{what} within {limit:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
    started.elapsed()
}

/// What every interrupted run must leave: the version table at `r1`, no trace of `r2` (its
/// table, its log row), and the log holding exactly the completed revisions.
fn assert_at_r1(conn: &mut Conn, what: &str) {
    assert_eq!(
        conn.versions(),
        vec!["r1"],
        "{what}: the last completed revision"
    );
    assert!(conn.has_table("t1"), "{what}");
    assert!(
        !conn.has_table("t2"),
        "{what}: the interrupted revision's table is gone"
    );
    let log = conn.strings("SELECT revision AS a FROM aludel_revision_log ORDER BY id");
    assert_eq!(log, vec!["r0", "r1"], "{what}: nothing half-recorded");
}

/// The next run applies the rest (the same files), and then everything is in place.
fn assert_next_run_completes(name: &str, db: &TestDb, history: &TestHistory) {
    let (status, lines, stderr) = Migrator::start(name, &db.url, history).finish();
    assert!(status.success(), "{name}: the next run completes: {stderr}");
    assert_eq!(
        lines.last().map(String::as_str),
        Some("2"),
        "{name}: {lines:?}"
    );
    let mut conn = db.connect();
    assert_eq!(conn.versions(), vec!["r3"], "{name}");
    assert!(conn.has_table("t2") && conn.has_table("t3"), "{name}");
    let log = conn.strings("SELECT revision AS a FROM aludel_revision_log ORDER BY id");
    assert_eq!(log, vec!["r0", "r1", "r2", "r3"], "{name}");
}

#[test]
fn sqlite_process_killed_mid_revision() {
    let db = TestDb::new(Backend::Sqlite).unwrap();
    let history = history(SQLITE_LONG);
    let mut conn = db.connect();
    conn.batch("CREATE TABLE test_control (n INTEGER NOT NULL); INSERT INTO test_control VALUES (1000000000);")
        .unwrap();
    drop(conn);

    let mut migrator = Migrator::start("sqlite", &db.url, &history);
    migrator.wait_for("started r2");
    // Let the insert run until SQLite has spilled uncommitted pages into the database file
    // itself (the rollback journal holds the pages they replaced).
    let journal = std::path::PathBuf::from(format!("{}-journal", db.url));
    let size = || std::fs::metadata(&db.url).map_or(0, |m| m.len());
    poll(
        "the database file grows past 2 MB",
        Duration::from_secs(20),
        || size() > 2 << 20,
    );
    assert!(
        migrator.child.try_wait().unwrap().is_none(),
        "still running r2"
    );
    migrator.child.kill().unwrap(); // SIGKILL
    let (status, lines, _) = migrator.finish();
    assert!(!status.success());
    assert!(lines.contains(&"finished r1".to_string()), "{lines:?}");
    assert!(!lines.contains(&"finished r2".to_string()), "{lines:?}");
    assert!(journal.exists(), "the kill left a hot journal behind");
    assert!(
        size() > 2 << 20,
        "and uncommitted pages in the database file"
    );

    // The next connection rolls the hot journal back.
    let mut conn = db.connect();
    assert_at_r1(&mut conn, "sqlite");
    assert_eq!(
        conn.strings("SELECT integrity_check AS a FROM pragma_integrity_check"),
        vec!["ok"]
    );
    assert!(size() < 1 << 20, "the uncommitted pages are gone");
    conn.batch("UPDATE test_control SET n = 10").unwrap();
    drop(conn);
    assert_next_run_completes("sqlite", &db, &history);
}

/// The PostgreSQL backend pid running the long revision's `pg_sleep`, if any.
fn sleeping_backend(conn: &mut Conn, database: &str) -> Option<String> {
    conn.strings(&format!(
        "SELECT CAST(pid AS TEXT) AS a FROM pg_stat_activity WHERE datname = '{database}' AND state = 'active' AND query LIKE '%pg_sleep(seconds)%' AND pid <> pg_backend_pid()"
    ))
    .into_iter()
    .next()
}

/// Whether any session holds an advisory lock in the test's database.
fn advisory_lock_held(conn: &mut Conn) -> bool {
    !conn
        .strings("SELECT CAST(l.pid AS TEXT) AS a FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE l.locktype = 'advisory' AND d.datname = current_database()")
        .is_empty()
}

fn database_name(db: &TestDb) -> String {
    db.url.rsplit('/').next().unwrap().to_string()
}

#[test]
fn postgres_process_killed_mid_revision() {
    // The server notices a dead client only when the statement ends and it writes the result:
    // until then the orphaned backend holds the migration lock, and its transaction stays open
    // (invisible to everyone else). With `client_connection_check_interval` (PostgreSQL 14 and
    // later, here set through the URL) the server checks the socket while the statement runs.
    for options in ["", "?options=-c%20client_connection_check_interval%3D250"] {
        let Some(db) = TestDb::new(Backend::Postgres) else {
            return;
        };
        let history = history(POSTGRES_LONG);
        let mut conn = db.connect();
        conn.batch("CREATE TABLE test_control (seconds FLOAT NOT NULL); INSERT INTO test_control VALUES (3);")
            .unwrap();

        let mut migrator = Migrator::start("postgres", &format!("{}{options}", db.url), &history);
        migrator.wait_for("started r2");
        let name = database_name(&db);
        poll("the revision sleeps", Duration::from_secs(10), || {
            sleeping_backend(&mut conn, &name).is_some()
        });
        migrator.child.kill().unwrap(); // SIGKILL
        let (status, lines, _) = migrator.finish();
        assert!(!status.success());
        assert!(!lines.contains(&"finished r2".to_string()), "{lines:?}");

        assert_at_r1(&mut conn, "postgres, right after the kill");
        let freed = poll(
            "the advisory lock is released",
            Duration::from_secs(20),
            || !advisory_lock_held(&mut conn),
        );
        eprintln!("postgres{options}: the orphaned backend released the migration lock {freed:?} after the kill (its statement had 3 s to run)");
        assert_at_r1(&mut conn, "postgres, once the orphaned backend ended");
        conn.batch("UPDATE test_control SET seconds = 0").unwrap();
        assert_next_run_completes("postgres", &db, &history);
    }
}

#[test]
fn postgres_connection_terminated_mid_revision() {
    // With TLS (libpq's default on this server) and without, where libpq's message about the
    // lost connection spans several lines.
    for tls in ["", "?sslmode=disable"] {
        let Some(db) = TestDb::new(Backend::Postgres) else {
            return;
        };
        let history = history(POSTGRES_LONG);
        let mut conn = db.connect();
        conn.batch("CREATE TABLE test_control (seconds FLOAT NOT NULL); INSERT INTO test_control VALUES (30);")
            .unwrap();
        let name = database_name(&db);
        let mut migrator = Migrator::start("postgres", &format!("{}{tls}", db.url), &history);
        migrator.wait_for("started r2");
        let mut pid = None;
        poll("the revision sleeps", Duration::from_secs(10), || {
            pid = sleeping_backend(&mut conn, &name);
            pid.is_some()
        });
        conn.batch(&format!("SELECT pg_terminate_backend({})", pid.unwrap()))
            .unwrap();
        let (status, lines, stderr) = migrator.finish();
        eprintln!(
            "postgres{tls}, connection terminated: {}",
            stderr.trim_end()
        );
        assert_eq!(status.code(), Some(1), "{stderr}");
        assert!(!lines.contains(&"finished r2".to_string()), "{lines:?}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        assert!(
            stderr.starts_with("error: upgrade of revision r2 (2.sql) failed: the connection to the database was lost ("),
            "names the revision and the lost connection: {stderr}"
        );
        assert!(
            stderr.contains("; the revision was rolled back"),
            "{stderr}"
        );

        poll(
            "the lock dies with the connection",
            Duration::from_secs(5),
            || !advisory_lock_held(&mut conn),
        );
        assert_at_r1(&mut conn, "postgres, after the connection was terminated");
        conn.batch("UPDATE test_control SET seconds = 0").unwrap();
        assert_next_run_completes("postgres", &db, &history);
    }
}

/// MySQL commits DDL implicitly: a connection killed mid-revision leaves the revision's
/// table behind, the version table at the last completed revision, and an error that says
/// the revision may be partly applied (the documented contract). After the repair by hand the
/// next run completes.
#[test]
fn mysql_connection_killed_mid_revision() {
    let Some(db) = TestDb::new(Backend::Mysql) else {
        return;
    };
    let history = history("SELECT SLEEP(seconds) FROM test_control;");
    let mut conn = db.connect();
    conn.batch(
        "CREATE TABLE test_control (seconds FLOAT NOT NULL); INSERT INTO test_control VALUES (30);",
    )
    .unwrap();
    let name = database_name(&db);
    let mut migrator = Migrator::start("mysql", &db.url, &history);
    migrator.wait_for("started r2");
    let mut id = None;
    poll("the revision sleeps", Duration::from_secs(10), || {
        id = conn
            .strings(&format!("SELECT CAST(id AS CHAR) AS a FROM information_schema.processlist WHERE db = '{name}' AND info LIKE '%SLEEP(seconds)%' AND id <> CONNECTION_ID()"))
            .into_iter()
            .next();
        id.is_some()
    });
    conn.batch(&format!("KILL CONNECTION {}", id.unwrap()))
        .unwrap();
    let (status, lines, stderr) = migrator.finish();
    eprintln!("mysql, connection killed: {}", stderr.trim_end());
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(!lines.contains(&"finished r2".to_string()), "{lines:?}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.starts_with(
            "error: upgrade of revision r2 (2.sql) failed: the connection to the database was lost ("
        ),
        "names the revision and the lost connection: {stderr}"
    );
    assert!(stderr.contains("may be partly applied"), "{stderr}");
    assert_eq!(conn.versions(), vec!["r1"]);
    assert!(conn.has_table("t2"), "MySQL committed the CREATE TABLE");
    let log = conn.strings("SELECT revision AS a FROM aludel_revision_log ORDER BY id");
    assert_eq!(log, vec!["r0", "r1"], "nothing half-recorded");
    // The repair the error asks for, then the next run.
    conn.batch("DROP TABLE t2; UPDATE test_control SET seconds = 0")
        .unwrap();
    assert_next_run_completes("mysql", &db, &history);
}

/// `k00 <- k01 <- ... <- k29`, each creating table `tk<i>` and filling it with `rows` rows (so
/// that each revision takes a few milliseconds).
fn many(rows: &str) -> TestHistory {
    let h = TestHistory::new();
    for i in 0..KILL_REVISIONS {
        let down = if i == 0 {
            String::new()
        } else {
            format!("k{:02}", i - 1)
        };
        h.add(
            &format!("{i:02}.sql"),
            &revision(
                &format!("k{i:02}"),
                &down,
                &format!(
                    "CREATE TABLE tk{i} (x INTEGER);\n{}",
                    rows.replace("{t}", &format!("tk{i}"))
                ),
                Some(&format!("DROP TABLE tk{i};")),
            ),
        );
    }
    h
}

const KILL_REVISIONS: usize = 30;

/// The database is at some revision `k<j>` (or none), with exactly the tables and log rows of
/// `k00..=k<j>`. Returns `j + 1`, the number of revisions applied.
fn consistent_prefix(conn: &mut Conn, what: &str) -> usize {
    let versions = if conn.has_table("alembic_version") {
        conn.versions()
    } else {
        Vec::new()
    };
    let applied = match versions.as_slice() {
        [] => 0,
        [one] => one[1..].parse::<usize>().unwrap() + 1,
        many => panic!("{what}: several rows in a linear history: {many:?}"),
    };
    for i in 0..KILL_REVISIONS {
        assert_eq!(
            conn.has_table(&format!("tk{i}")),
            i < applied,
            "{what}: at {versions:?}, table tk{i}"
        );
    }
    let log = if conn.has_table("aludel_revision_log") {
        conn.strings("SELECT revision AS a FROM aludel_revision_log ORDER BY id")
    } else {
        Vec::new()
    };
    let expected: Vec<String> = (0..applied).map(|i| format!("k{i:02}")).collect();
    assert_eq!(
        log, expected,
        "{what}: the log holds exactly the applied revisions"
    );
    applied
}

/// Kills migrators at pseudo-random moments until the history is applied; after every kill
/// the database is at a consistent prefix of the history.
fn kill_repeatedly(
    name: &str,
    db: &TestDb,
    history: &TestHistory,
    mut settle: impl FnMut(&mut Conn),
) {
    // A small xorshift generator, seeded from the clock; the seed is printed for a rerun.
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64
        | 1;
    eprintln!("{name}: kill delays seeded with {seed}");
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut conn = db.connect();
    let (mut kills, mut before) = (0, 0);
    for round in 0..40 {
        let mut migrator = Migrator::start(name, &db.url, history);
        // Wait until a random one of the next few revisions starts, then a random part of
        // the time a revision takes, and kill; past the last revision, let the run finish.
        let target = before + (next() % 5) as usize;
        let mut running = false;
        if target < KILL_REVISIONS {
            migrator.wait_for(&format!("started k{target:02}"));
            std::thread::sleep(Duration::from_micros(next() % 15_000));
            running = migrator.child.try_wait().unwrap().is_none();
            if running {
                migrator.child.kill().unwrap();
                kills += 1;
            }
        }
        let (status, _, stderr) = migrator.finish();
        assert!(
            running || status.success(),
            "{name}, round {round}: {stderr}"
        );
        settle(&mut conn);
        before = consistent_prefix(&mut conn, &format!("{name}, after kill {kills}"));
        if before == KILL_REVISIONS {
            break;
        }
    }
    eprintln!("{name}: {kills} kills at random moments, the database consistent after each");
    assert!(kills >= 3, "{name}: only {kills} kills landed mid-run");
    assert_next_run_completes_many(name, db, history);
}

fn assert_next_run_completes_many(name: &str, db: &TestDb, history: &TestHistory) {
    let (status, _, stderr) = Migrator::start(name, &db.url, history).finish();
    assert!(status.success(), "{name}: {stderr}");
    assert_eq!(consistent_prefix(&mut db.connect(), name), KILL_REVISIONS);
}

#[test]
fn sqlite_kills_at_random_moments_leave_a_consistent_database() {
    let db = TestDb::new(Backend::Sqlite).unwrap();
    let history = many("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000)\nINSERT INTO {t} (x) SELECT x FROM c;");
    kill_repeatedly("sqlite", &db, &history, |_| {});
}

#[test]
fn postgres_kills_at_random_moments_leave_a_consistent_database() {
    let Some(db) = TestDb::new(Backend::Postgres) else {
        return;
    };
    let history = many("INSERT INTO {t} (x) SELECT generate_series(1, 20000);");
    // An orphaned backend finishes its statement (and may commit it) before the server
    // notices the dead client: look once it is gone.
    kill_repeatedly("postgres", &db, &history, |conn| {
        poll("the orphaned backend ends", Duration::from_secs(20), || {
            !advisory_lock_held(conn)
        });
    });
}
