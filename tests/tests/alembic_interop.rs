//! aludel and real Alembic on the same databases: the `alembic_version` table is Alembic's,
//! so a database Alembic upgraded is at head for aludel and the other way round, at every
//! point of a history with a labelled branch, a merge, a second base and a `depends_on`.
//!
//! Alembic runs through `scripts/alembic_interop.py`, which turns the test's versions
//! directory into an Alembic script directory with the same revisions and SQL. SQLite always
//! runs; PostgreSQL and MySQL run when their servers are configured (see `aludel_tests`) and
//! Python has their drivers (`psycopg2`, `pymysql`). The Python is `ALUDEL_PYTHON`
//! (`scripts/test.sh` sets it to its venv `target/alembic-venv`, which has them), else
//! `python3`. Without Alembic the tests are skipped with a note, unless
//! `ALUDEL_TEST_REQUIRE_ALEMBIC=1` (CI), which makes a missing Alembic or driver a failure.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};

use aludel::{Direction, LoadedMigrations};
use aludel_tests::{revision, with_conn, Backend, Conn, TestDb, TestHistory};

const BACKENDS: [Backend; 3] = [Backend::Sqlite, Backend::Postgres, Backend::Mysql];

/// Every table the history creates, in the order of its revisions.
const TABLES: [&str; 7] = ["t_a1", "t_a2", "t_b1", "t_b2", "t_c1", "t_x1", "t_x2"];

/// The history:
///
/// ```text
/// a1 <- a2 <- b1 (feat) <- b2 <- m1 (merge of b2 and c1)
///          \- c1 <-------------/
/// x1 (aux, a second base) <- x2 (depends_on a2)
/// ```
///
/// Heads: `m1` and `x2`. Every revision creates a table (so running one twice fails); `a1`
/// has two statements and the merge inserts a row.
fn history() -> TestHistory {
    let h = TestHistory::new();
    let table = |t: &str| format!("CREATE TABLE {t} (id INTEGER PRIMARY KEY);");
    let drop = |t: &str| format!("DROP TABLE {t};");
    h.add(
        "1_a1.sql",
        &revision(
            "a1",
            "",
            "CREATE TABLE t_a1 (id INTEGER PRIMARY KEY, note VARCHAR(20));\nINSERT INTO t_a1 (id, note) VALUES (1, 'a1: first');",
            Some("DROP TABLE t_a1;"),
        ),
    );
    h.add(
        "2_a2.sql",
        &revision("a2", "a1", &table("t_a2"), Some(&drop("t_a2"))),
    );
    h.add(
        "3_b1.sql",
        &format!(
            "-- revision: b1\n-- down_revision: a2\n-- branch_labels: feat\n-- message: feature branch\n\n-- upgrade\n{}\n\n-- downgrade\n{}\n",
            table("t_b1"),
            drop("t_b1")
        ),
    );
    h.add(
        "4_b2.sql",
        &revision("b2", "b1", &table("t_b2"), Some(&drop("t_b2"))),
    );
    h.add(
        "5_c1.sql",
        &revision("c1", "a2", &table("t_c1"), Some(&drop("t_c1"))),
    );
    h.add(
        "6_m1.sql",
        &revision(
            "m1",
            "b2, c1",
            "INSERT INTO t_a1 (id, note) VALUES (2, 'merged');",
            Some("DELETE FROM t_a1 WHERE id = 2;"),
        ),
    );
    h.add(
        "7_x1.sql",
        &format!(
            "-- revision: x1\n-- down_revision:\n-- branch_labels: aux\n\n-- upgrade\n{}\n\n-- downgrade\n{}\n",
            table("t_x1"),
            drop("t_x1")
        ),
    );
    h.add(
        "8_x2.sql",
        &format!(
            "-- revision: x2\n-- down_revision: x1\n-- depends_on: a2\n\n-- upgrade\n{}\n\n-- downgrade\n{}\n",
            table("t_x2"),
            drop("t_x2")
        ),
    );
    h
}

// ---------------------------------------------------------------------------------------------
// Alembic through scripts/alembic_interop.py

fn required() -> bool {
    std::env::var("ALUDEL_TEST_REQUIRE_ALEMBIC").as_deref() == Ok("1")
}

/// The Python that runs Alembic: `ALUDEL_PYTHON`, else `python3`.
fn python() -> String {
    std::env::var("ALUDEL_PYTHON")
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "python3".to_string())
}

/// What makes a Python with Alembic and its drivers.
const INSTALL: &str = "scripts/install-deps.sh alembic makes target/alembic-venv; set ALUDEL_PYTHON to its bin/python";

/// Whether `PYTHON -c 'import MODULE'` succeeds (asked once per module).
fn python_has(module: &str) -> bool {
    static CACHE: OnceLock<Mutex<HashMap<String, bool>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(&known) = cache.lock().unwrap().get(module) {
        return known;
    }
    let ok = Command::new(python())
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success());
    cache.lock().unwrap().insert(module.to_string(), ok);
    ok
}

/// Whether real Alembic can run; a missing Alembic skips with a note, or fails under
/// `ALUDEL_TEST_REQUIRE_ALEMBIC=1`.
fn alembic_available() -> bool {
    if python_has("alembic") {
        return true;
    }
    assert!(
        !required(),
        "`{} -c 'import alembic'` fails but ALUDEL_TEST_REQUIRE_ALEMBIC=1 ({INSTALL})",
        python()
    );
    static NOTE: OnceLock<()> = OnceLock::new();
    NOTE.get_or_init(|| {
        eprintln!(
            "note: Alembic is not installed for {} ({INSTALL}); skipping the comparison with real Alembic",
            python()
        );
    });
    false
}

/// A fresh database on `backend` that Alembic can reach, or `None` (with a note) when the
/// server is not configured or Python lacks the backend's driver.
fn interop_db(backend: Backend) -> Option<TestDb> {
    if !alembic_available() {
        return None;
    }
    let db = TestDb::new(backend)?;
    let driver = match backend {
        Backend::Sqlite => return Some(db),
        Backend::Postgres => "psycopg2",
        Backend::Mysql => "pymysql",
    };
    if python_has(driver) {
        return Some(db);
    }
    let package = if driver == "psycopg2" {
        "psycopg2-binary"
    } else {
        driver
    };
    assert!(
        !required(),
        "`{} -c 'import {driver}'` fails but ALUDEL_TEST_REQUIRE_ALEMBIC=1: pip install {package} ({INSTALL})",
        python()
    );
    eprintln!(
        "note: {} lacks {driver} (pip install {package}); skipping Alembic on {backend:?}",
        python()
    );
    None
}

/// The SQLAlchemy URL of a test database.
/// Runs `test` for every backend at once (each Python run of Alembic takes a while); a panic
/// in any of them fails the test.
fn for_each_backend(test: impl Fn(Backend) + Sync) {
    let test = &test;
    std::thread::scope(|s| {
        let runs: Vec<_> = BACKENDS
            .into_iter()
            .map(|backend| s.spawn(move || test(backend)))
            .collect();
        for run in runs {
            if let Err(panic) = run.join() {
                std::panic::resume_unwind(panic);
            }
        }
    });
}

fn sqlalchemy_url(db: &TestDb) -> String {
    let replace = |scheme: &str, with: &str| match db.url.strip_prefix(scheme) {
        Some(rest) => format!("{with}{rest}"),
        None => panic!("unexpected URL {}", db.url),
    };
    match db.backend {
        Backend::Sqlite => format!("sqlite:///{}", db.url),
        Backend::Postgres if db.url.starts_with("postgresql://") => {
            replace("postgresql://", "postgresql+psycopg2://")
        }
        Backend::Postgres => replace("postgres://", "postgresql+psycopg2://"),
        Backend::Mysql => replace("mysql://", "mysql+pymysql://"),
    }
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/alembic_interop.py")
}

/// Real Alembic on one test database with the test's history: one `alembic_interop.py serve`
/// process answers every command of a test (starting Python and importing Alembic takes
/// about half a second, a command a few milliseconds).
struct Alembic {
    url: String,
    versions: PathBuf,
    backend: Backend,
    session: RefCell<Session>,
}

struct Session {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    stderr: Arc<Mutex<String>>,
}

impl Alembic {
    fn new(db: &TestDb, history: &TestHistory) -> Alembic {
        let url = sqlalchemy_url(db);
        let versions = history.dir.0.clone();
        let mut child = Command::new(python())
            .arg(script())
            .arg(&url)
            .arg(&versions)
            .arg("serve")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {} {}: {e}", python(), script().display()));
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        // Drain stderr on a thread (warnings must not fill the pipe); kept for the messages.
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut pipe = child.stderr.take().unwrap();
        let sink = Arc::clone(&stderr);
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            sink.lock().unwrap().push_str(&text);
        });
        Alembic {
            url,
            versions,
            backend: db.backend,
            session: RefCell::new(Session {
                child,
                stdin,
                stdout,
                stderr,
            }),
        }
    }

    /// Runs a command (`upgrade heads`, `current`, ...); its output lines, or Alembic's
    /// message.
    fn try_run(&self, args: &[&str]) -> Result<Vec<String>, String> {
        let session = &mut *self.session.borrow_mut();
        let command = args.join(" ");
        let stdin = session.stdin.as_mut().unwrap();
        writeln!(stdin, "{command}")
            .and_then(|()| stdin.flush())
            .unwrap_or_else(|e| panic!("cannot send `{command}` to alembic_interop.py: {e}"));
        let (mut lines, mut errors) = (Vec::new(), Vec::new());
        loop {
            let mut line = String::new();
            let read = session.stdout.read_line(&mut line).unwrap();
            if read == 0 {
                session.stdin = None;
                let status = session.child.wait().unwrap();
                std::thread::sleep(std::time::Duration::from_millis(100));
                panic!(
                    "{:?}: alembic_interop.py stopped ({status}) during `{command}`: {}",
                    self.backend,
                    session.stderr.lock().unwrap()
                );
            }
            let line = line.trim_end_matches('\n');
            match line {
                "--end ok" => return Ok(lines),
                "--end error" => return Err(errors.join("\n")),
                _ => match line.strip_prefix("--error ") {
                    Some(error) => errors.push(error.to_string()),
                    None => lines.push(line.to_string()),
                },
            }
        }
    }

    /// Runs a command; its output lines. Panics with Alembic's message on failure.
    fn run(&self, args: &[&str]) -> Vec<String> {
        self.try_run(args).unwrap_or_else(|e| {
            panic!(
                "{:?}: alembic_interop.py {} failed: {e}",
                self.backend,
                args.join(" ")
            )
        })
    }

    /// `alembic current`: the version table's rows, sorted.
    fn current(&self) -> Vec<String> {
        self.run(&["current"])
    }

    /// Runs the script once with a command on its command line (not through the session):
    /// stdout's lines, or stderr on a non-zero exit.
    fn once(&self, args: &[&str]) -> Result<Vec<String>, String> {
        let output = Command::new(python())
            .arg(script())
            .arg(&self.url)
            .arg(&self.versions)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {} {}: {e}", python(), script().display()));
        let stdout = String::from_utf8_lossy(&output.stdout);
        if output.status.success() {
            Ok(stdout.lines().map(str::to_string).collect())
        } else {
            Err(format!(
                "{} (exit {})\n{stdout}",
                String::from_utf8_lossy(&output.stderr),
                output.status
            ))
        }
    }
}

impl Drop for Alembic {
    fn drop(&mut self) {
        let session = self.session.get_mut();
        session.stdin = None; // end of input: the script exits
        let _ = session.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// aludel's side

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn aludel_current(conn: &mut Conn, m: &LoadedMigrations) -> Vec<String> {
    sorted(with_conn!(conn, c => m.migrator().current(c)).unwrap())
}

/// What each step of an aludel report did, as the script prints Alembic's steps.
fn report_lines(report: &aludel::Report) -> Vec<String> {
    report
        .steps
        .iter()
        .map(|s| match s.direction {
            Direction::Upgrade => format!("upgrade {}", s.revision),
            Direction::Downgrade => format!("downgrade {}", s.revision),
        })
        .collect()
}

/// aludel, Alembic and the table itself all say the database is at `expected`.
#[track_caller]
fn assert_at(
    conn: &mut Conn,
    m: &LoadedMigrations,
    alembic: &Alembic,
    expected: &[&str],
    when: &str,
) {
    let expected = sorted(strings(expected));
    let backend = alembic.backend;
    let rows = if conn.has_table("alembic_version") {
        conn.versions()
    } else {
        Vec::new()
    };
    assert_eq!(
        rows, expected,
        "{backend:?}, {when}: the version table's rows"
    );
    assert_eq!(
        aludel_current(conn, m),
        expected,
        "{backend:?}, {when}: aludel's current"
    );
    assert_eq!(
        alembic.current(),
        expected,
        "{backend:?}, {when}: alembic current"
    );
}

/// The history's tables that exist.
fn tables(conn: &mut Conn) -> Vec<&'static str> {
    TABLES.into_iter().filter(|t| conn.has_table(t)).collect()
}

/// Rows of aludel's revision log with a direction (0 when the log does not exist).
fn logged(conn: &mut Conn, direction: &str) -> usize {
    if !conn.has_table("aludel_revision_log") {
        return 0;
    }
    conn.strings(&format!(
        "SELECT revision AS a FROM aludel_revision_log WHERE direction = '{direction}'"
    ))
    .len()
}

// ---------------------------------------------------------------------------------------------
// The tests

/// 1. Alembic upgrades a fresh database; aludel sees the same heads, has nothing to do, and
///    can go on from there (downgrade it, upgrade it).
#[test]
fn aludel_takes_over_a_database_alembic_upgraded() {
    let h = history();
    let m = h.load();
    for_each_backend(|backend| {
        let Some(db) = interop_db(backend) else {
            return;
        };
        let alembic = Alembic::new(&db, &h);
        let mut conn = db.connect();
        let ran = alembic.run(&["upgrade", "heads"]);
        assert_eq!(ran.len(), 8, "{backend:?}: Alembic applied {ran:?}");
        assert_at(
            &mut conn,
            &m,
            &alembic,
            &["m1", "x2"],
            "after alembic upgrade heads",
        );
        assert_eq!(tables(&mut conn), TABLES, "{backend:?}");

        let report = with_conn!(&mut conn, c => m.migrator().run_pending(c)).unwrap();
        assert!(report.is_empty(), "{backend:?}: aludel re-ran {report:?}");
        assert_eq!(sorted(report.heads_before.clone()), strings(&["m1", "x2"]));
        assert_eq!(sorted(report.heads_after.clone()), strings(&["m1", "x2"]));
        assert_eq!(logged(&mut conn, "upgrade"), 0, "{backend:?}: nothing ran");
        assert_eq!(
            conn.strings("SELECT note AS a FROM t_a1 ORDER BY id"),
            vec!["a1: first", "merged"],
            "{backend:?}: no revision ran twice"
        );
        assert_eq!(tables(&mut conn), TABLES, "{backend:?}");
        assert_at(&mut conn, &m, &alembic, &["m1", "x2"], "after run_pending");
        assert!(
            alembic.run(&["upgrade", "heads"]).is_empty(),
            "{backend:?}: Alembic still has nothing to do"
        );

        // aludel carries on with the database.
        let report = with_conn!(&mut conn, c => m.migrator().downgrade(c, "x1")).unwrap();
        assert_eq!(report_lines(&report), vec!["downgrade x2"]);
        assert_at(
            &mut conn,
            &m,
            &alembic,
            &["m1", "x1"],
            "after aludel downgrade x1",
        );
        let report = with_conn!(&mut conn, c => m.migrator().downgrade(c, "base")).unwrap();
        assert_eq!(report.steps.len(), 7, "{backend:?}: {report:?}");
        assert_at(&mut conn, &m, &alembic, &[], "after aludel downgrade base");
        assert!(tables(&mut conn).is_empty(), "{backend:?}");
        assert_eq!(alembic.run(&["upgrade", "heads"]).len(), 8, "{backend:?}");
        assert_at(
            &mut conn,
            &m,
            &alembic,
            &["m1", "x2"],
            "after alembic upgrade heads again",
        );
    });
}

/// 2. aludel upgrades a fresh database, partly and then fully; at every point Alembic reads
///    the same heads, and at the end has nothing to do and can downgrade everything.
#[test]
fn alembic_takes_over_a_database_aludel_upgraded() {
    let h = history();
    let m = h.load();
    for_each_backend(|backend| {
        let Some(db) = interop_db(backend) else {
            return;
        };
        let alembic = Alembic::new(&db, &h);
        let mut conn = db.connect();
        // The generated script directory is the same history.
        assert_eq!(
            sorted(alembic.once(&["heads"]).unwrap()),
            sorted(strings(&m.graph().heads())),
            "Alembic's heads of the converted history"
        );
        assert_at(&mut conn, &m, &alembic, &[], "fresh");

        let migrator = m.migrator();
        let steps: [(&str, &[&str]); 4] = [
            ("feat@+3", &["b1"]),
            ("c1", &["b1", "c1"]),
            ("aux@head", &["b1", "c1", "x2"]),
            ("feat@head", &["m1", "x2"]),
        ];
        for (target, rows) in steps {
            with_conn!(&mut conn, c => migrator.upgrade(c, target)).unwrap();
            assert_at(
                &mut conn,
                &m,
                &alembic,
                rows,
                &format!("after aludel upgrade {target}"),
            );
        }
        assert!(with_conn!(&mut conn, c => migrator.run_pending(c))
            .unwrap()
            .is_empty());
        assert!(
            alembic.run(&["upgrade", "heads"]).is_empty(),
            "{backend:?}: Alembic has nothing to do at aludel's heads"
        );
        assert_eq!(tables(&mut conn), TABLES);

        // Alembic downgrades everything aludel applied.
        let ran = alembic.run(&["downgrade", "base"]);
        assert_eq!(ran.len(), 8, "{backend:?}: Alembic reverted {ran:?}");
        assert_at(&mut conn, &m, &alembic, &[], "after alembic downgrade base");
        assert!(tables(&mut conn).is_empty(), "{backend:?}");
        assert!(conn.has_table("alembic_version"));

        // And aludel upgrades it again from there, in one go.
        let report = with_conn!(&mut conn, c => migrator.run_pending(c)).unwrap();
        assert_eq!(report.steps.len(), 8, "{backend:?}: {report:?}");
        assert_at(&mut conn, &m, &alembic, &["m1", "x2"], "after run_pending");
        assert!(alembic.run(&["upgrade", "heads"]).is_empty());
    });
}

/// The same targets through aludel on one database and Alembic on another: the same steps
/// in the same order and the same rows after each, and each tool agrees with the other
/// about both databases.
#[test]
fn the_same_targets_give_the_same_steps_and_rows() {
    let h = history();
    let m = h.load();
    let script: [(Direction, &str, &[&str]); 11] = [
        (Direction::Upgrade, "a2", &["a2"]),
        (Direction::Upgrade, "feat@+1", &["b1"]),
        (Direction::Upgrade, "c1", &["b1", "c1"]),
        (Direction::Upgrade, "aux@head", &["b1", "c1", "x2"]),
        (Direction::Upgrade, "feat@head", &["m1", "x2"]),
        (Direction::Downgrade, "aux@base", &["m1"]),
        (Direction::Downgrade, "c1", &["b2", "c1"]),
        (Direction::Downgrade, "feat@-1", &["b1", "c1"]),
        (Direction::Upgrade, "heads", &["m1", "x2"]),
        // x2 depends on a2, so its row covers a2 (Alembic keeps only x2).
        (Direction::Downgrade, "a2", &["x2"]),
        (Direction::Downgrade, "base", &[]),
    ];
    for_each_backend(|backend| {
        let Some(by_aludel) = interop_db(backend) else {
            return;
        };
        let Some(by_alembic) = interop_db(backend) else {
            return;
        };
        let (a_alembic, b_alembic) = (Alembic::new(&by_aludel, &h), Alembic::new(&by_alembic, &h));
        let (mut a, mut b) = (by_aludel.connect(), by_alembic.connect());
        for (direction, target, rows) in script {
            let word = match direction {
                Direction::Upgrade => "upgrade",
                Direction::Downgrade => "downgrade",
            };
            let migrator = m.migrator();
            let report = with_conn!(&mut a, c => match direction {
                Direction::Upgrade => migrator.upgrade(c, target),
                Direction::Downgrade => migrator.downgrade(c, target),
            })
            .unwrap_or_else(|e| panic!("{backend:?}: aludel {word} {target}: {e}"));
            let ran = b_alembic.run(&[word, target]);
            let when = format!("{word} {target}");
            assert_eq!(
                report_lines(&report),
                ran,
                "{backend:?}, {when}: aludel's steps (left) and Alembic's (right)"
            );
            assert_at(&mut a, &m, &a_alembic, rows, &format!("aludel {when}"));
            assert_at(&mut b, &m, &b_alembic, rows, &format!("Alembic {when}"));
            assert_eq!(tables(&mut a), tables(&mut b), "{backend:?}, {when}");
        }
    });
}

/// 3. The version table aludel creates has Alembic's exact shape, in the catalog.
#[test]
fn the_version_table_has_alembics_shape() {
    let h = history();
    let m = h.load();
    for_each_backend(|backend| {
        let Some(by_aludel) = interop_db(backend) else {
            return;
        };
        let Some(by_alembic) = interop_db(backend) else {
            return;
        };
        let mut a = by_aludel.connect();
        with_conn!(&mut a, c => m.migrator().upgrade(c, "a1")).unwrap();
        Alembic::new(&by_alembic, &h).run(&["upgrade", "a1"]);
        let mut b = by_alembic.connect();
        let catalog: &[(&str, &str)] = match backend {
            Backend::Sqlite => &[
                (
                    "columns",
                    "SELECT name || '|' || type || '|' || \"notnull\" || '|' || pk || '|' || COALESCE(dflt_value, '') AS a FROM pragma_table_info('alembic_version') ORDER BY cid",
                ),
                (
                    "indexes",
                    "SELECT name || '|' || \"unique\" || '|' || origin || '|' || partial AS a FROM pragma_index_list('alembic_version') ORDER BY name",
                ),
                (
                    "index columns",
                    "SELECT il.name || '|' || ii.name AS a FROM pragma_index_list('alembic_version') il, pragma_index_info(il.name) ii ORDER BY il.name, ii.seqno",
                ),
                (
                    "table options",
                    "SELECT type || '|' || name || '|' || tbl_name AS a FROM sqlite_master WHERE tbl_name = 'alembic_version' ORDER BY name",
                ),
            ],
            Backend::Postgres => &[
                (
                    "columns",
                    "SELECT CAST(column_name AS TEXT) || '|' || CAST(data_type AS TEXT) || '|' || COALESCE(CAST(character_maximum_length AS TEXT), '') || '|' || CAST(is_nullable AS TEXT) || '|' || COALESCE(CAST(column_default AS TEXT), '') || '|' || COALESCE(CAST(collation_name AS TEXT), '') AS a FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'alembic_version' ORDER BY ordinal_position",
                ),
                (
                    "constraints",
                    "SELECT CAST(conname AS TEXT) || '|' || CAST(contype AS TEXT) || '|' || pg_get_constraintdef(oid) AS a FROM pg_constraint WHERE conrelid = CAST('alembic_version' AS regclass) ORDER BY conname",
                ),
                (
                    "indexes",
                    "SELECT CAST(indexname AS TEXT) || '|' || indexdef AS a FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'alembic_version' ORDER BY indexname",
                ),
                (
                    "table options",
                    "SELECT CAST(relkind AS TEXT) || '|' || CAST(relpersistence AS TEXT) || '|' || COALESCE(array_to_string(reloptions, ','), '') AS a FROM pg_class WHERE oid = CAST('alembic_version' AS regclass)",
                ),
            ],
            Backend::Mysql => &[
                (
                    "columns",
                    "SELECT CONCAT(column_name, '|', column_type, '|', is_nullable, '|', column_key, '|', COALESCE(column_default, ''), '|', COALESCE(character_set_name, ''), '|', COALESCE(collation_name, '')) AS a FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = 'alembic_version' ORDER BY ordinal_position",
                ),
                (
                    "constraints",
                    "SELECT CONCAT(constraint_name, '|', constraint_type) AS a FROM information_schema.table_constraints WHERE table_schema = DATABASE() AND table_name = 'alembic_version' ORDER BY constraint_name",
                ),
                (
                    "indexes",
                    "SELECT CONCAT(index_name, '|', non_unique, '|', seq_in_index, '|', column_name) AS a FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = 'alembic_version' ORDER BY index_name, seq_in_index",
                ),
                (
                    "table options",
                    "SELECT CONCAT(engine, '|', table_collation, '|', COALESCE(create_options, '')) AS a FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'alembic_version'",
                ),
            ],
        };
        for (what, sql) in catalog {
            let ours = a.strings(sql);
            assert!(!ours.is_empty(), "{backend:?}: no {what}");
            assert_eq!(
                ours,
                b.strings(sql),
                "{backend:?}: the {what} of aludel's version table (left) and Alembic's (right)"
            );
        }

        // Alembic's shape, spelled out.
        let column = a.strings(catalog[0].1);
        match backend {
            Backend::Sqlite => {
                assert_eq!(column, vec!["version_num|VARCHAR(32)|1|1|"]);
                // SQLite keeps the CREATE TABLE text, where the constraint's name lives.
                // aludel quotes its identifiers and Alembic writes newlines, so compare the
                // text without quotes and with normalised spacing.
                let sql = "SELECT sql AS a FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'";
                let (ours, theirs) = (a.strings(sql), b.strings(sql));
                let expected = "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))";
                assert_eq!(normalise(&ours[0]), expected, "aludel: {}", ours[0]);
                assert_eq!(normalise(&theirs[0]), expected, "Alembic: {}", theirs[0]);
            }
            Backend::Postgres => {
                assert_eq!(column, vec!["version_num|character varying|32|NO||"]);
                assert_eq!(
                    a.strings(catalog[1].1),
                    vec!["alembic_version_pkc|p|PRIMARY KEY (version_num)"]
                );
            }
            Backend::Mysql => {
                assert!(
                    column[0].starts_with("version_num|varchar(32)|NO|PRI|"),
                    "{column:?}"
                );
                // MySQL names every primary key PRIMARY, whatever the CREATE TABLE says.
                assert_eq!(a.strings(catalog[1].1), vec!["PRIMARY|PRIMARY KEY"]);
            }
        }
    });
}

/// SQL text without double quotes and with single spaces, none inside parentheses or before
/// commas.
fn normalise(sql: &str) -> String {
    sql.replace('"', "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace("( ", "(")
        .replace(" )", ")")
        .replace(" ,", ",")
}

/// 4. Both tools on one database in turn: Alembic to a middle revision, aludel on to the
///    heads, Alembic back one step (and an unmerge), aludel up again.
#[test]
fn alembic_and_aludel_take_turns() {
    let h = history();
    let m = h.load();
    for_each_backend(|backend| {
        let Some(db) = interop_db(backend) else {
            return;
        };
        let alembic = Alembic::new(&db, &h);
        let mut conn = db.connect();
        let migrator = m.migrator();

        assert_eq!(
            alembic.run(&["upgrade", "b1"]),
            vec!["upgrade a1", "upgrade a2", "upgrade b1"]
        );
        assert_at(&mut conn, &m, &alembic, &["b1"], "Alembic at b1");

        let report = with_conn!(&mut conn, c => migrator.run_pending(c)).unwrap();
        assert_eq!(report.heads_before, vec!["b1"]);
        let mut applied = report_lines(&report);
        applied.sort();
        assert_eq!(
            applied,
            vec![
                "upgrade b2",
                "upgrade c1",
                "upgrade m1",
                "upgrade x1",
                "upgrade x2"
            ],
            "{backend:?}: aludel applies only what Alembic did not"
        );
        assert_at(&mut conn, &m, &alembic, &["m1", "x2"], "aludel on to heads");

        assert_eq!(alembic.run(&["downgrade", "aux@-1"]), vec!["downgrade x2"]);
        assert_at(
            &mut conn,
            &m,
            &alembic,
            &["m1", "x1"],
            "Alembic one step back",
        );
        let report = with_conn!(&mut conn, c => migrator.run_pending(c)).unwrap();
        assert_eq!(report_lines(&report), vec!["upgrade x2"]);
        assert_at(&mut conn, &m, &alembic, &["m1", "x2"], "aludel up again");

        // Alembic unmerges (one row becomes two); aludel merges again.
        assert_eq!(alembic.run(&["downgrade", "c1"]), vec!["downgrade m1"]);
        assert_at(
            &mut conn,
            &m,
            &alembic,
            &["b2", "c1", "x2"],
            "Alembic before the merge",
        );
        let report = with_conn!(&mut conn, c => migrator.run_pending(c)).unwrap();
        assert_eq!(report_lines(&report), vec!["upgrade m1"]);
        assert_at(
            &mut conn,
            &m,
            &alembic,
            &["m1", "x2"],
            "aludel merged again",
        );

        // aludel unmerges; Alembic merges again.
        with_conn!(&mut conn, c => migrator.downgrade(c, "b2")).unwrap();
        assert_at(
            &mut conn,
            &m,
            &alembic,
            &["b2", "c1", "x2"],
            "aludel before the merge",
        );
        assert_eq!(alembic.run(&["upgrade", "heads"]), vec!["upgrade m1"]);
        assert_at(
            &mut conn,
            &m,
            &alembic,
            &["m1", "x2"],
            "Alembic merged again",
        );
        assert!(with_conn!(&mut conn, c => migrator.run_pending(c))
            .unwrap()
            .is_empty());
        assert_eq!(
            conn.strings("SELECT note AS a FROM t_a1 ORDER BY id"),
            vec!["a1: first", "merged"],
            "{backend:?}"
        );
    });
}

/// Stamps by either tool are read by the other.
#[test]
fn stamps_agree() {
    let h = history();
    let m = h.load();
    for_each_backend(|backend| {
        let Some(db) = interop_db(backend) else {
            return;
        };
        let alembic = Alembic::new(&db, &h);
        let mut conn = db.connect();
        let migrator = m.migrator();
        assert_eq!(
            sorted(alembic.run(&["stamp", "heads"])),
            vec!["stamp m1", "stamp x2"]
        );
        assert_at(
            &mut conn,
            &m,
            &alembic,
            &["m1", "x2"],
            "Alembic stamped heads",
        );
        assert!(tables(&mut conn).is_empty(), "a stamp runs no SQL");
        assert!(with_conn!(&mut conn, c => migrator.run_pending(c))
            .unwrap()
            .is_empty());
        with_conn!(&mut conn, c => migrator.stamp(c, "base", false)).unwrap();
        assert_at(&mut conn, &m, &alembic, &[], "aludel stamped base");
        with_conn!(&mut conn, c => migrator.stamp(c, "c1", false)).unwrap();
        assert_at(&mut conn, &m, &alembic, &["c1"], "aludel stamped c1");
        alembic.run(&["stamp", "b2"]);
        assert_at(&mut conn, &m, &alembic, &["b2", "c1"], "Alembic stamped b2");
        with_conn!(&mut conn, c => migrator.stamp(c, "m1", false)).unwrap();
        assert_at(&mut conn, &m, &alembic, &["m1"], "aludel stamped m1");
        alembic.run(&["stamp", "aux@head"]);
        assert_at(
            &mut conn,
            &m,
            &alembic,
            &["m1", "x2"],
            "Alembic stamped aux@head",
        );
        assert!(with_conn!(&mut conn, c => migrator.run_pending(c))
            .unwrap()
            .is_empty());
    });
}

/// The script on its own command line (what a person runs) and its failures: an unknown
/// target or a row the history does not know exits non-zero with Alembic's message; in a
/// session a failure is reported and the next command still runs.
#[test]
fn the_script_on_the_command_line_and_its_failures() {
    let h = history();
    let m = h.load();
    let Some(db) = interop_db(Backend::Sqlite) else {
        return;
    };
    let alembic = Alembic::new(&db, &h);
    assert_eq!(alembic.once(&["current"]).unwrap(), Vec::<String>::new());
    assert_eq!(
        alembic.once(&["upgrade", "a2"]).unwrap(),
        vec!["upgrade a1", "upgrade a2"]
    );
    assert_eq!(alembic.once(&["current"]).unwrap(), vec!["a2"]);
    let err = alembic.once(&["upgrade", "nope"]).unwrap_err();
    assert!(
        err.contains(
            "alembic_interop.py: error: upgrade nope: Can't locate revision identified by 'nope'"
        ),
        "{err}"
    );
    let err = alembic.try_run(&["upgrade", "nope"]).unwrap_err();
    assert!(
        err.contains("upgrade nope: Can't locate revision identified by 'nope'"),
        "{err}"
    );
    assert_eq!(alembic.current(), vec!["a2"], "the session goes on");
    // A revision whose SQL fails: the database's message.
    let mut conn = db.connect();
    conn.batch("CREATE TABLE t_b1 (id INTEGER)").unwrap();
    let err = alembic.try_run(&["upgrade", "b1"]).unwrap_err();
    assert!(err.contains("t_b1"), "{err}");
    conn.batch("DROP TABLE t_b1").unwrap();
    with_conn!(&mut conn, c => m.migrator().upgrade(c, "b1")).unwrap();
    conn.batch("UPDATE alembic_version SET version_num = 'zz99'")
        .unwrap();
    let err = alembic.once(&["current"]).unwrap_err();
    assert!(err.contains("zz99"), "{err}");
    let err = alembic.try_run(&["current"]).unwrap_err();
    assert!(err.contains("zz99"), "{err}");
}
