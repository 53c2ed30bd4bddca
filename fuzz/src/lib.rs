//! The bodies of the fuzz targets. `cargo fuzz` runs them under libFuzzer (nightly; see
//! `scripts/fuzz.sh`); the property tests of aludel-graph include this file
//! (`graph/tests/properties.rs`), so that CI runs the same checks on stable Rust.
//!
//! A check that fails panics: that is how libFuzzer learns of a finding.

use std::collections::BTreeSet;

use aludel_graph::revision::is_valid_id;
use aludel_graph::{load_files, Direction, GraphOptions, Plan, VersionOp};

/// The number of lines of a file as the parser counts them.
fn line_count(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n').count() + 1
}

/// `parse_revision` on arbitrary bytes: never panics; a revision that parses has a valid id;
/// every diagnostic names the file and a line within it.
pub fn parse_revision(data: &[u8]) {
    // The same bytes as an SQL and as a Rust revision (the Rust one scans the file's code).
    for path in ["v/x.sql", "v/x.rs"] {
        match aludel_graph::parse_revision(path, data) {
            Ok(revision) => {
                assert!(is_valid_id(&revision.id), "{:?}", revision.id);
                assert!(revision.down_revisions.iter().all(|d| is_valid_id(d)));
                assert!(revision.source.upgrade_line as usize <= line_count(data));
            }
            Err(diagnostics) => {
                assert!(!diagnostics.is_empty(), "an error without diagnostics");
                for d in &diagnostics {
                    let Some(location) = &d.location else {
                        panic!("a diagnostic without a location: {d}");
                    };
                    assert_eq!(location.path, path);
                    assert!(location.line as usize <= line_count(data), "{d}");
                }
            }
        }
    }
}

/// The bytes as a small history: files separated by `0xFF` bytes (which UTF-8 text never
/// holds), at most 16. The first byte, when it is `0xFE`, sets `allow_multiple_heads`. The
/// history either loads, and then validates, plans and walks consistently, or gives
/// diagnostics that point into its files. Targets in Alembic's grammar, valid or not, never
/// panic.
pub fn graph_build(data: &[u8]) {
    let (allow, data) = match data.split_first() {
        Some((0xFE, rest)) => (true, rest),
        _ => (false, data),
    };
    let files: Vec<(String, Vec<u8>)> = data
        .split(|&b| b == 0xFF)
        .take(16)
        .enumerate()
        .map(|(i, bytes)| (format!("v/{i:02}.sql"), bytes.to_vec()))
        .collect();
    let options = GraphOptions {
        allow_multiple_heads: allow,
        ..GraphOptions::default()
    };
    let graph = match load_files(&files, &options) {
        Ok(graph) => graph,
        Err(diagnostics) => {
            assert!(!diagnostics.is_empty(), "an error without diagnostics");
            for d in &diagnostics {
                let Some(location) = &d.location else {
                    panic!("a diagnostic without a location: {d}");
                };
                let Some((_, bytes)) = files.iter().find(|(path, _)| *path == location.path) else {
                    panic!("a diagnostic about no file of the history: {d}");
                };
                assert!(location.line as usize <= line_count(bytes), "{d}");
            }
            return;
        }
    };
    let n = graph.len();
    assert_eq!(graph.walk().len(), n);
    assert_eq!(graph.lineage_digests().len(), n);
    let history = match graph.history(None) {
        Ok(history) => history,
        Err(e) => panic!("history of a valid graph: {e}"),
    };
    assert_eq!(history.len(), n);
    let up = match graph.plan_upgrade(&[], "heads") {
        Ok(plan) => plan,
        Err(e) => panic!("upgrade to heads of a valid graph: {e}"),
    };
    assert_eq!(up.steps.len(), n, "every revision once");
    let mut rows = BTreeSet::new();
    replay(&mut rows, &up);
    let current: Vec<&str> = up.heads_after.clone();
    match graph.plan_upgrade(&current, "heads") {
        Ok(again) => assert!(again.is_empty(), "nothing left to do"),
        Err(e) => panic!("upgrade to heads from heads: {e}"),
    }
    let down = match graph.plan_downgrade(&current, "base") {
        Ok(plan) => plan,
        Err(e) => panic!("downgrade to base of a valid graph: {e}"),
    };
    assert_eq!(down.steps.len(), n, "every revision once");
    replay(&mut rows, &down);
    assert!(rows.is_empty(), "downgrade to base leaves no row");

    // Targets: fixed ones, every id and its prefix, and the last file's first line.
    let mut targets: Vec<String> = [
        "head",
        "heads",
        "base",
        "+1",
        "-1",
        "+2",
        "-2",
        "head-1",
        "base+1",
        "heads:base",
        "base:heads",
        "",
        "@",
        "@head",
        ":",
        "+",
        "-",
        "current",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for r in graph.revisions() {
        targets.push(r.id.clone());
        targets.push(r.id.chars().take(1).collect());
        targets.push(format!("{}@head", r.id));
        targets.push(format!("{}-1", r.id));
        for label in &r.branch_labels {
            targets.push(format!("{label}@head"));
            targets.push(format!("{label}@base"));
            targets.push(format!("{label}@+1"));
            targets.push(format!("{label}@-1"));
        }
    }
    if let Some((_, last)) = files.last() {
        let line = last.split(|&b| b == b'\n').next().unwrap_or_default();
        targets.push(String::from_utf8_lossy(line).into_owned());
    }
    let currents: [&[&str]; 2] = [&[], &current];
    for target in &targets {
        let _ = graph.resolve(target);
        let _ = graph.history(Some(target));
        let _ = graph.plan_offline(Direction::Upgrade, target);
        let _ = graph.plan_offline(Direction::Downgrade, target);
        for rows in currents {
            let _ = graph.plan_upgrade(rows, target);
            let _ = graph.plan_downgrade(rows, target);
            let _ = graph.plan_stamp(rows, target, false);
            let _ = graph.plan_stamp(rows, target, true);
        }
    }
}

/// Applies a plan's version-table operations to a set of rows, checking each one (also used
/// by the property tests).
pub fn replay(rows: &mut BTreeSet<String>, plan: &Plan<'_>) {
    for step in &plan.steps {
        for op in &step.ops {
            match op {
                VersionOp::Insert(v) => assert!(rows.insert(v.clone()), "insert of present {v}"),
                VersionOp::Delete(v) => assert!(rows.remove(v), "delete of absent {v}"),
                VersionOp::Update { from, to } => {
                    assert!(rows.remove(from), "update of absent {from}");
                    assert!(rows.insert(to.clone()), "update to present {to}");
                }
            }
        }
    }
    let after: BTreeSet<String> = plan.heads_after.iter().map(|s| s.to_string()).collect();
    assert_eq!(*rows, after, "the rows are the plan's heads_after");
}
