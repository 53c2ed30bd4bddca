//! Racing starters: eight processes call `run_pending` on one database at once. Every revision
//! is applied exactly once and every process succeeds.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking

use std::process::Command;

use aludel_tests::{backends, revision, Backend, TestHistory};

const PROCESSES: usize = 8;

#[test]
fn eight_processes_apply_each_revision_once() {
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
        for child in children {
            let output = child.wait_with_output().unwrap();
            assert!(
                output.status.success(),
                "{name}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            applied += String::from_utf8_lossy(&output.stdout)
                .trim()
                .parse::<usize>()
                .unwrap();
        }
        assert_eq!(
            applied, 20,
            "{name}: the processes applied 20 revisions between them"
        );
        let mut conn = db.connect();
        assert_eq!(conn.versions(), vec!["r0019"]);
        let upgrades = conn
            .strings("SELECT revision AS a FROM aludel_revision_log WHERE direction = 'upgrade'");
        assert_eq!(
            upgrades.len(),
            20,
            "{name}: each revision applied exactly once: {upgrades:?}"
        );
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
