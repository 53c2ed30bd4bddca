//! Racing starters: sixteen processes call `run_pending` on one database at once, on every
//! backend. Every process succeeds, every revision is applied exactly once (one upgrade row in
//! the revision log for each revision id), and the processes' runs overlap.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking

use std::collections::BTreeMap;
use std::process::Command;

use aludel_tests::{backends, revision, Backend, TestHistory};

const PROCESSES: usize = 16;

/// A statement that takes about 50 ms on `backend`, to widen the window for races.
fn slow(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => "SELECT pg_sleep(0.05);",
        Backend::Mysql => "DO SLEEP(0.05);",
        // SQLite has no sleep: count a few hundred thousand rows instead.
        Backend::Sqlite => "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000) SELECT count(*) FROM c;",
    }
}

/// A revision creating table `t_<id>`; every third (by `n`) runs a slow statement as well.
fn table_revision(backend: Backend, n: usize, id: &str, down: &str) -> String {
    let mut upgrade = format!(
        "CREATE TABLE t_{id} (id INTEGER PRIMARY KEY);\nINSERT INTO t_{id} (id) VALUES (1);"
    );
    if n % 3 == 0 {
        upgrade.push('\n');
        upgrade.push_str(slow(backend));
    }
    revision(id, down, &upgrade, Some(&format!("DROP TABLE t_{id};")))
}

/// A history, its revision ids and its head.
struct Shape {
    history: TestHistory,
    ids: Vec<String>,
    head: &'static str,
}

/// Twenty revisions in a line.
fn linear(backend: Backend) -> Shape {
    let history = TestHistory::new();
    let mut ids = Vec::new();
    for i in 0..20 {
        let id = format!("r{i:04}");
        let down = if i == 0 {
            String::new()
        } else {
            format!("r{:04}", i - 1)
        };
        history.add(
            &format!("{i:04}.sql"),
            &table_revision(backend, i, &id, &down),
        );
        ids.push(id);
    }
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

/// Ids that do not occur exactly once in `rows`, and rows that name no id.
fn mismatches(ids: &[String], rows: &[String]) -> Vec<String> {
    let mut counts: BTreeMap<&str, usize> = ids.iter().map(|id| (id.as_str(), 0)).collect();
    let mut problems = Vec::new();
    for row in rows {
        match counts.get_mut(row.as_str()) {
            Some(n) => *n += 1,
            None => problems.push(format!("{row}: not a revision of the history")),
        }
    }
    for (id, n) in counts {
        if n != 1 {
            problems.push(format!("{id}: {n} times"));
        }
    }
    problems
}

/// The largest number of `(began, ended)` runs in progress at one moment.
fn peak_overlap(runs: &[(u128, u128)]) -> usize {
    let mut events: Vec<(u128, i32)> = runs
        .iter()
        .flat_map(|&(began, ended)| [(began, 1), (ended, -1)])
        .collect();
    // At equal instants an end comes first: touching runs do not overlap.
    events.sort();
    let (mut now, mut peak) = (0i32, 0i32);
    for (_, step) in events {
        now += step;
        peak = peak.max(now);
    }
    peak as usize
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
            let shape = match shape_name {
                "linear" => linear(db.backend),
                _ => branched(db.backend),
            };
            let name = match db.backend {
                Backend::Sqlite => "sqlite",
                Backend::Postgres => "postgres",
                Backend::Mysql => "mysql",
            };
            let what = format!("{shape_name} on {name}");
            let children: Vec<_> = (0..PROCESSES)
                .map(|_| {
                    Command::new(env!("CARGO_BIN_EXE_aludel-race"))
                        .args([name, &db.url, shape.history.dir.0.to_str().unwrap()])
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
            let upgrades = conn.strings(
                "SELECT revision AS a FROM aludel_revision_log WHERE direction = 'upgrade'",
            );
            let wrong = mismatches(&shape.ids, &upgrades);
            assert!(
                wrong.is_empty(),
                "{what}: the revision log holds one upgrade row per revision: {wrong:?}"
            );
            eprintln!("{what}: {PROCESSES} processes, at most {peak} runs at once");
        }
    }
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
