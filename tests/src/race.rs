//! What the racing tests share: revisions slow enough for racers to overlap, and the checks
//! that each revision was applied exactly once and that the racers really overlapped.

use std::collections::BTreeMap;

use crate::{revision, Backend, TestHistory};

/// A statement that takes about 50 ms on `backend`, to widen the window for races.
pub fn slow(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => "SELECT pg_sleep(0.05);",
        Backend::Mysql => "DO SLEEP(0.05);",
        // SQLite has no sleep: count a few hundred thousand rows instead.
        Backend::Sqlite => "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000) SELECT count(*) FROM c;",
    }
}

/// A revision creating table `t_<id>`; every third (by `n`) runs a slow statement as well.
pub fn table_revision(backend: Backend, n: usize, id: &str, down: &str) -> String {
    let mut upgrade = format!(
        "CREATE TABLE t_{id} (id INTEGER PRIMARY KEY);\nINSERT INTO t_{id} (id) VALUES (1);"
    );
    if n % 3 == 0 {
        upgrade.push('\n');
        upgrade.push_str(slow(backend));
    }
    revision(id, down, &upgrade, Some(&format!("DROP TABLE t_{id};")))
}

/// `n` such revisions in a line (`r0000`, `r0001`, ...), with their ids.
pub fn linear(backend: Backend, n: usize) -> (TestHistory, Vec<String>) {
    let history = TestHistory::new();
    let mut ids = Vec::new();
    for i in 0..n {
        let id = format!("r{i:04}");
        let down = match i {
            0 => String::new(),
            _ => format!("r{:04}", i - 1),
        };
        history.add(
            &format!("{i:04}.sql"),
            &table_revision(backend, i, &id, &down),
        );
        ids.push(id);
    }
    (history, ids)
}

/// Ids that do not occur exactly once in `rows`, and rows that name no id.
pub fn mismatches(ids: &[String], rows: &[String]) -> Vec<String> {
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
pub fn peak_overlap<T: Ord + Copy>(runs: &[(T, T)]) -> usize {
    let mut events: Vec<(T, i32)> = runs
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
    usize::try_from(peak).unwrap_or(0)
}
