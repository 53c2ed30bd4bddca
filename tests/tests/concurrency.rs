//! Racing starters: sixteen processes call `run_pending` on one database at once, on every
//! backend, and eight call `run_pending_async` on `current_thread` runtimes. Every process
//! succeeds, every revision is applied exactly once (one upgrade row in the revision log for
//! each revision id), and the processes' runs overlap.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking

use std::process::Command;

use aludel_tests::race::{self, mismatches, peak_overlap, table_revision};
use aludel_tests::{backends, Backend, TestHistory};

const PROCESSES: usize = 16;
const ASYNC_PROCESSES: usize = 8;

/// A history, its revision ids and its head.
struct Shape {
    history: TestHistory,
    ids: Vec<String>,
    head: &'static str,
}

/// Twenty revisions in a line.
fn linear(backend: Backend) -> Shape {
    let (history, ids) = race::linear(backend, 20);
    Shape {
        history,
        ids,
        head: "r0019",
    }
}

/// A base, two branches of eight (the second labelled), their merge and two more: twenty
/// revisions whose version table holds two rows while the branches are applied.
fn branched(backend: Backend) -> Shape {
    let history = TestHistory::new();
    let mut ids = vec!["b0".to_string()];
    history.add("00.sql", &table_revision(backend, 0, "b0", ""));
    for branch in ["x", "y"] {
        for i in 1..=8 {
            let id = format!("{branch}{i}");
            let down = if i == 1 {
                "b0".to_string()
            } else {
                format!("{branch}{}", i - 1)
            };
            let mut text = table_revision(backend, i, &id, &down);
            if branch == "y" && i == 1 {
                text = text.replacen("-- message:", "-- branch_labels: side\n-- message:", 1);
            }
            history.add(&format!("{branch}{i}.sql"), &text);
            ids.push(id);
        }
    }
    history.add("m0.sql", &table_revision(backend, 0, "m0", "x8, y8"));
    ids.push("m0".to_string());
    for i in 1..=2 {
        let id = format!("m{i}");
        history.add(
            &format!("{id}.sql"),
            &table_revision(backend, i, &id, &format!("m{}", i - 1)),
        );
        ids.push(id);
    }
    Shape {
        history,
        ids,
        head: "m2",
    }
}

/// The number after `prefix` on the line that starts with it.
fn stamp(lines: &[&str], prefix: &str) -> u128 {
    lines
        .iter()
        .find_map(|l| l.strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no {prefix:?} line in {lines:?}"))
        .parse()
        .unwrap()
}

#[test]
fn sixteen_processes_apply_each_revision_once() {
    for shape_name in ["linear", "branched"] {
        for db in backends() {
            race_on(&db, shape_name, "", PROCESSES, false);
        }
    }
}

#[test]
fn eight_async_processes_on_current_thread_runtimes_apply_each_revision_once() {
    for shape_name in ["linear", "branched"] {
        for db in backends() {
            race_on(&db, shape_name, " (async)", ASYNC_PROCESSES, true);
        }
    }
}

#[test]
fn postgres_racers_whose_default_isolation_is_repeatable_read() {
    // Roles and databases that default to REPEATABLE READ are common. aludel opens its own
    // transactions READ COMMITTED: at REPEATABLE READ a transaction's snapshot is its first
    // statement's, the migration lock's, taken before the lock was free, which would hide what
    // the lock's previous holder committed until a write collided with it.
    for shape_name in ["linear", "branched"] {
        let Some(db) = aludel_tests::TestDb::new(Backend::Postgres) else {
            return;
        };
        let mut conn = db.connect();
        let name = db.url.rsplit('/').next().unwrap().to_string();
        conn.batch(&format!(
            "ALTER DATABASE {name} SET default_transaction_isolation = 'repeatable read'"
        ))
        .unwrap();
        race_on(
            &db,
            shape_name,
            ", default isolation repeatable read",
            PROCESSES,
            false,
        );
    }
}

/// `processes` processes race to apply the shape on `db` (through diesel-async where
/// `async_`); every check of the module's doc.
fn race_on(
    db: &aludel_tests::TestDb,
    shape_name: &str,
    note: &str,
    processes: usize,
    async_: bool,
) {
    let shape = match shape_name {
        "linear" => linear(db.backend),
        _ => branched(db.backend),
    };
    let name = match db.backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
        Backend::Mysql => "mysql",
    };
    let what = format!("{shape_name} on {name}{note}");
    let mode = match async_ {
        true => format!("async-{name}"),
        false => name.to_string(),
    };
    let children: Vec<_> = (0..processes)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_aludel-race"))
                .args([&mode, &db.url, shape.history.dir.0.to_str().unwrap()])
                .output_async()
        })
        .collect();
    let mut applied = 0;
    let mut finished: Vec<String> = Vec::new();
    let mut runs = Vec::new();
    for child in children {
        let output = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{what}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let lines: Vec<&str> = stdout.lines().collect();
        // The last line is the number of revisions the process applied.
        applied += lines.last().unwrap().parse::<usize>().unwrap();
        finished.extend(
            lines
                .iter()
                .filter_map(|l| l.strip_prefix("finished "))
                .map(str::to_string),
        );
        runs.push((stamp(&lines, "began "), stamp(&lines, "ended ")));
    }
    assert_eq!(
        applied, 20,
        "{what}: the processes applied 20 revisions between them"
    );
    let wrong = mismatches(&shape.ids, &finished);
    assert!(
        wrong.is_empty(),
        "{what}: each revision finished in exactly one process: {wrong:?}"
    );
    let peak = peak_overlap(&runs);
    assert!(
        peak >= 2,
        "{what}: the processes' runs did not overlap (at most {peak} at once), so nothing raced"
    );
    let mut conn = db.connect();
    assert_eq!(conn.versions(), vec![shape.head], "{what}");
    let upgrades =
        conn.strings("SELECT revision AS a FROM aludel_revision_log WHERE direction = 'upgrade'");
    let wrong = mismatches(&shape.ids, &upgrades);
    assert!(
        wrong.is_empty(),
        "{what}: the revision log holds one upgrade row per revision: {wrong:?}"
    );
    eprintln!("{what}: {processes} processes, at most {peak} runs at once");
}

trait SpawnAsync {
    fn output_async(&mut self) -> std::process::Child;
}

impl SpawnAsync for Command {
    fn output_async(&mut self) -> std::process::Child {
        self.stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    }
}
