//! Racing starters: sixteen processes call `run_pending` on one database at once, on every
//! backend. Every revision is applied exactly once and every process succeeds.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking

use std::process::Command;

use aludel_tests::{backends, revision, Backend, TestHistory};

const PROCESSES: usize = 16;

/// Twenty revisions in a line.
fn linear() -> TestHistory {
    let history = TestHistory::new();
    for i in 0..20 {
        let id = format!("r{i:04}");
        let down = if i == 0 {
            String::new()
        } else {
            format!("r{:04}", i - 1)
        };
        // A slow-ish revision widens the window for races.
        history.add(
            &format!("{i:04}.sql"),
            &revision(&id, &down, &format!("CREATE TABLE t{i} (id INTEGER PRIMARY KEY);\nINSERT INTO t{i} (id) VALUES (1);"), Some(&format!("DROP TABLE t{i};"))),
        );
    }
    history
}

/// A base, two branches of eight (the second labelled), their merge and three more: twenty
/// revisions whose version table holds two rows while the branches are applied.
fn branched() -> TestHistory {
    let history = TestHistory::new();
    let table = |id: &str| {
        format!(
            "CREATE TABLE t_{id} (id INTEGER PRIMARY KEY);\nINSERT INTO t_{id} (id) VALUES (1);"
        )
    };
    let drop = |id: &str| format!("DROP TABLE t_{id};");
    history.add(
        "00.sql",
        &revision("b0", "", &table("b0"), Some(&drop("b0"))),
    );
    for branch in ["x", "y"] {
        for i in 1..=8 {
            let id = format!("{branch}{i}");
            let down = if i == 1 {
                "b0".to_string()
            } else {
                format!("{branch}{}", i - 1)
            };
            let mut text = revision(&id, &down, &table(&id), Some(&drop(&id)));
            if branch == "y" && i == 1 {
                text = text.replacen("-- message:", "-- branch_labels: side\n-- message:", 1);
            }
            history.add(&format!("{branch}{i}.sql"), &text);
        }
    }
    history.add(
        "m0.sql",
        &revision("m0", "x8, y8", &table("m0"), Some(&drop("m0"))),
    );
    for i in 1..=2 {
        let id = format!("m{i}");
        history.add(
            &format!("{id}.sql"),
            &revision(&id, &format!("m{}", i - 1), &table(&id), Some(&drop(&id))),
        );
    }
    history
}

#[test]
fn sixteen_processes_apply_each_revision_once() {
    for (shape, history, head) in [
        ("linear", linear(), "r0019"),
        ("branched", branched(), "m2"),
    ] {
        for db in backends() {
            let name = match db.backend {
                Backend::Sqlite => "sqlite",
                Backend::Postgres => "postgres",
                Backend::Mysql => "mysql",
            };
            let children: Vec<_> = (0..PROCESSES)
                .map(|_| {
                    Command::new(env!("CARGO_BIN_EXE_aludel-race"))
                        .args([name, &db.url, history.dir.0.to_str().unwrap()])
                        .output_async()
                })
                .collect();
            let mut applied = 0;
            let mut finished: Vec<String> = Vec::new();
            for child in children {
                let output = child.wait_with_output().unwrap();
                let stdout = String::from_utf8_lossy(&output.stdout);
                assert!(
                    output.status.success(),
                    "{shape} on {name}: {}",
                    String::from_utf8_lossy(&output.stderr)
                );
                // The last line is the number of revisions the process applied.
                applied += stdout.lines().last().unwrap().parse::<usize>().unwrap();
                finished.extend(
                    stdout
                        .lines()
                        .filter_map(|l| l.strip_prefix("finished "))
                        .map(str::to_string),
                );
            }
            assert_eq!(
                applied, 20,
                "{shape} on {name}: the processes applied 20 revisions between them"
            );
            finished.sort();
            let before = finished.len();
            finished.dedup();
            assert_eq!(
                (before, finished.len()),
                (20, 20),
                "{shape} on {name}: each revision finished in exactly one process"
            );
            let mut conn = db.connect();
            assert_eq!(conn.versions(), vec![head], "{shape} on {name}");
            let upgrades = conn.strings(
                "SELECT revision AS a FROM aludel_revision_log WHERE direction = 'upgrade'",
            );
            assert_eq!(
                upgrades.len(),
                20,
                "{shape} on {name}: each revision applied exactly once: {upgrades:?}"
            );
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
