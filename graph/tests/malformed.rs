//! Malformed input, one row per kind, each with the error it must give: truncated files (cut at
//! every byte), binary files, a huge file, deep merge chains, ten thousand heads, and ids with
//! odd characters. Nothing panics, nothing recurses (the big graphs are checked on a thread
//! with a 256 KiB stack), and no message grows with the size of the input.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking

use aludel_graph::{
    load_files, parse_revision, parse_revision_file, Diagnostics, Graph, GraphOptions, Revision,
};

/// A valid revision file with a multi-byte character in its message and its SQL.
const VALID: &str = "-- revision: 3f2a9c1b7d4e\n-- down_revision: 9c0de4ab12ff\n-- message: café ✓\n-- create_date: 2026-11-22T10:30:00Z\n\n-- upgrade\nCREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT 'é');\n\n-- downgrade\nDROP TABLE users;\n";

/// The parse errors of a file, as shown (`path:line:column: message`, then help).
fn parse_errors(bytes: &[u8]) -> Vec<String> {
    match parse_revision("v/x.sql", bytes) {
        Ok(_) => Vec::new(),
        Err(errors) => errors.iter().map(ToString::to_string).collect(),
    }
}

/// Runs `f` on a thread with a small stack: any recursion over 10,000 revisions overflows it.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn a_file_cut_at_every_byte() {
    let bytes = VALID.as_bytes();
    let upgrade_marker_end = VALID.find("-- upgrade\n").unwrap() + "-- upgrade".len();
    for cut in 0..=bytes.len() {
        let part = &bytes[..cut];
        let lines = part.split(|&b| b == b'\n').count();
        let last_line = if part.ends_with(b"\n") && lines > 1 {
            lines - 1
        } else {
            lines
        };
        let errors = match parse_revision("v/x.sql", part) {
            Ok(revision) => {
                // Only a cut after the upgrade marker parses (the SQL is cut short).
                assert!(
                    cut >= upgrade_marker_end,
                    "cut at {cut} parses: {revision:?}"
                );
                continue;
            }
            Err(errors) => errors,
        };
        for e in &errors {
            let location = e.location.as_ref().unwrap();
            assert!(location.line as usize <= lines, "cut at {cut}: {e}");
        }
        let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
        if std::str::from_utf8(part).is_err() {
            // A cut inside `é` or `✓`: the error points at the broken character.
            let line = part.split(|&b| b == b'\n').count();
            assert!(
                shown[0].starts_with(&format!("v/x.sql:{line}:"))
                    && shown[0].contains("revision file is not valid UTF-8"),
                "cut at {cut}: {shown:?}"
            );
            continue;
        }
        assert!(
            cut < upgrade_marker_end,
            "cut at {cut} fails after the marker: {shown:?}"
        );
        // Cut before the marker is complete: an error points at the line where the file ends
        // (the missing section, or the stray text that the cut left there).
        assert!(
            shown
                .iter()
                .any(|e| e.starts_with(&format!("v/x.sql:{last_line}:"))),
            "cut at {cut}, last line {last_line}: {shown:?}"
        );
        if cut < "-- revision:".len() {
            assert!(
                shown
                    .iter()
                    .any(|e| e.contains("missing `-- revision:` header line")),
                "cut at {cut}: {shown:?}"
            );
        }
        if cut < "-- revision: 3f2a9c1b7d4e\n-- down_revision:".len() {
            assert!(
                shown
                    .iter()
                    .any(|e| e.contains("missing `-- down_revision:` header line")),
                "cut at {cut}: {shown:?}"
            );
        }
    }
}

#[test]
fn malformed_files_each_with_its_error() {
    let png: &[u8] =
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
    let utf16: &[u8] = b"\xff\xfe-\0-\0 \0r\0e\0v\0";
    let cases: &[(&str, &[u8], &str)] = &[
        (
            "empty file",
            b"",
            "v/x.sql:1: missing `-- revision:` header line",
        ),
        (
            "PNG image saved as .sql",
            png,
            "v/x.sql:1:1: revision file is not valid UTF-8\n  = help: save the file as UTF-8",
        ),
        (
            "UTF-16 text",
            utf16,
            "v/x.sql:1:1: revision file is not valid UTF-8",
        ),
        (
            "Latin-1 text",
            b"-- revision: a\n-- down_revision:\n-- message: caf\xe9\n-- upgrade\n",
            "v/x.sql:3:16: revision file is not valid UTF-8",
        ),
        (
            "NUL bytes only",
            b"\0\0\0\0",
            "v/x.sql:1:1: SQL before the `-- upgrade` marker",
        ),
        (
            "header key without colon",
            b"-- revision a\n-- down_revision:\n-- upgrade\n",
            "v/x.sql:2:1: header line `-- down_revision:` is separated from the header",
        ),
        (
            "empty revision",
            b"-- revision:\n-- down_revision:\n-- upgrade\n",
            "v/x.sql:1:13: `revision` is empty",
        ),
        (
            "markers only",
            b"-- upgrade\n-- downgrade\n",
            "v/x.sql:1: missing `-- revision:` header line",
        ),
        (
            "header after the upgrade section",
            b"-- upgrade\n-- revision: a\n-- down_revision:\n",
            "v/x.sql:1: missing `-- revision:` header line",
        ),
        (
            "a marker with a typo",
            b"-- revision: a\n-- down_revision:\n-- upgarde\nSELECT 1;\n",
            "v/x.sql:4:1: SQL before the `-- upgrade` marker",
        ),
    ];
    for (what, bytes, expected) in cases {
        let errors = parse_errors(bytes);
        assert!(
            errors.iter().any(|e| e.starts_with(expected)),
            "{what}: expected {expected:?} in {errors:#?}"
        );
    }
}

#[test]
fn ids_with_odd_characters() {
    let help = "revision ids are 1 to 32 characters of A-Z, a-z, 0-9 and _, and not `head`, `heads` or `base`";
    let long = "a".repeat(33);
    let ids = [
        "révision",
        "a b",
        "a@b",
        "a:b",
        "a+1",
        "a-1",
        "a.b",
        "a/b",
        "a'b",
        "a\"b",
        "a;DROP",
        "✓",
        long.as_str(),
        "head",
        "heads",
        "base",
    ];
    for id in ids {
        let text = format!("-- revision: {id}\n-- down_revision:\n-- upgrade\n");
        assert_eq!(
            parse_errors(text.as_bytes()),
            vec![format!(
                "v/x.sql:1:14: invalid revision id `{id}`\n  = help: {help}"
            )],
            "{id:?}"
        );
        let text = format!("-- revision: a\n-- down_revision: b, {id}\n-- upgrade\n");
        assert_eq!(
            parse_errors(text.as_bytes()),
            vec![format!(
                "v/x.sql:2:22: invalid entry `{id}` in `down_revision`\n  = help: {help}"
            )],
            "{id:?}"
        );
    }
    // 32 characters is the longest id (Alembic's VARCHAR(32)); any of A-Z, a-z, 0-9 and _.
    let longest = format!("{}_Z9", "a".repeat(29));
    let text = format!("-- revision: {longest}\n-- down_revision:\n-- upgrade\n");
    assert_eq!(
        parse_revision("v/x.sql", text.as_bytes()).unwrap().id,
        longest
    );
    // Labels allow `.` and `-` too, but not the rest.
    for label in ["a b", "a@b", "a:b", "head", "ü"] {
        let text =
            format!("-- revision: a\n-- down_revision:\n-- branch_labels: {label}\n-- upgrade\n");
        assert!(
            parse_errors(text.as_bytes())[0].starts_with(&format!(
                "v/x.sql:3:19: invalid entry `{label}` in `branch_labels`"
            )),
            "{label:?}"
        );
    }
}

#[test]
fn a_fifty_megabyte_file_parses() {
    // No size limit: the parser is linear, and a file this big is a data migration someone
    // wrote on purpose. 50 MB of INSERTs, 1,000,000 lines.
    let mut text = String::from("-- revision: big\n-- down_revision:\n-- upgrade\n");
    let row = "INSERT INTO t (id, name) VALUES (1, 'abcdefghijklmnopqrstuvwxyz0123456789');\n";
    let rows = 50_000_000 / row.len();
    text.reserve(rows * row.len());
    for _ in 0..rows {
        text.push_str(row);
    }
    text.push_str("-- downgrade\nDELETE FROM t;\n");
    let (revision, sections) = parse_revision_file("v/big.sql", text.as_bytes()).unwrap();
    assert_eq!(sections.upgrade.len(), rows * row.len());
    assert_eq!(revision.source.downgrade_line as usize, rows + 5);
    // One line of 20 MB, too.
    let line = format!(
        "-- revision: wide\n-- down_revision:\n-- upgrade\nSELECT '{}';\n",
        "x".repeat(20_000_000)
    );
    assert_eq!(
        parse_revision_file("v/wide.sql", line.as_bytes())
            .unwrap()
            .1
            .upgrade
            .len(),
        20_000_000 + 11
    );
}

/// 10,000 revisions, each a merge: `r<i>` merges `r<i-1>` and `r<i-2>`.
fn merge_ladder(n: usize) -> Vec<(String, Vec<u8>)> {
    (0..n)
        .map(|i| {
            let parents = match i {
                0 => String::new(),
                1 => "r0".to_string(),
                _ => format!("r{}, r{}", i - 1, i - 2),
            };
            let text = format!("-- revision: r{i}\n-- down_revision: {parents}\n-- upgrade\nCREATE TABLE t{i} (id INTEGER);\n-- downgrade\nDROP TABLE t{i};\n");
            (format!("v/{i:05}.sql"), text.into_bytes())
        })
        .collect()
}

#[test]
fn deep_merge_chains() {
    on_small_stack(|| {
        // Each revision merges the two before it.
        let files = merge_ladder(10_000);
        let graph = load_files(&files, &GraphOptions::default()).unwrap();
        assert_eq!(graph.heads(), vec!["r9999"]);
        let up = graph.plan_upgrade(&[], "heads").unwrap();
        assert_eq!(up.steps.len(), 10_000);
        assert_eq!(up.heads_after, vec!["r9999"]);
        let down = graph.plan_downgrade(&["r9999"], "base").unwrap();
        assert_eq!(down.steps.len(), 10_000);
        assert!(down.heads_after.is_empty());
        assert_eq!(graph.history(None).unwrap().len(), 10_000);
        assert_eq!(graph.walk().len(), 10_000);
        assert_eq!(graph.lineage_digests().len(), 10_000);
        // A relative walk from a merge asks which parent.
        let err = graph.resolve("r9999-5000").unwrap_err().to_string();
        assert_eq!(err, "Ambiguous walk: r9999 has several parents: r9998, r9997; name one of them as the target");

        // 10,000 merges each joining a side branch of one revision: m<i> = (m<i-1>, s<i>).
        let mut revisions = vec![Revision::new("m0", &[])];
        for i in 1..10_000 {
            let (m, s, prev) = (format!("m{i}"), format!("s{i}"), format!("m{}", i - 1));
            revisions.push(Revision::new(s.clone(), &[&prev]));
            revisions.push(Revision::new(m, &[&prev, &s]));
        }
        let graph = Graph::build(revisions, &GraphOptions::default()).unwrap();
        let up = graph.plan_upgrade(&[], "heads").unwrap();
        assert_eq!(up.steps.len(), 19_999);
        let down = graph.plan_downgrade(&["m9999"], "m5000").unwrap();
        assert_eq!(down.steps.len(), 2 * 4999);
        assert_eq!(
            graph.history(Some("m5000:heads")).unwrap().len(),
            2 * 4999 + 1
        );

        // A chain of 10,000 dependencies.
        let mut revisions = vec![Revision::new("d0", &[])];
        for i in 1..10_000 {
            revisions.push(Revision::new(format!("d{i}"), &[]).depends(&[&format!("d{}", i - 1)]));
        }
        let graph = Graph::build(
            revisions,
            &GraphOptions {
                allow_multiple_heads: true,
                ..GraphOptions::default()
            },
        )
        .unwrap();
        assert_eq!(
            graph.plan_upgrade(&[], "heads").unwrap().steps.len(),
            10_000
        );

        // A cycle through 10,000 revisions: one diagnostic, of bounded size.
        let mut revisions: Vec<Revision> = (0..10_000)
            .map(|i| Revision::new(format!("c{i}"), &[&format!("c{}", (i + 1) % 10_000)]))
            .collect();
        revisions.push(Revision::new("base0", &[]));
        let err = Graph::build(revisions, &GraphOptions::default()).unwrap_err();
        assert_bounded(&err, "Cycle is detected in revisions (c0, c1, c2, ");
        assert!(err.to_string().contains("c0 -> c1 -> c2 -> c3 -> c4 -> c5 -> c6 -> c7 -> c8 -> c9 -> ... (9,990 more) -> c0"), "{err}");
    });
}

/// One diagnostic that starts with `start`, of a size that does not grow with the input.
fn assert_bounded(diagnostics: &Diagnostics, start: &str) {
    let shown = diagnostics.to_string();
    assert!(
        diagnostics.iter().any(|d| d.message.starts_with(start)),
        "{start:?} in {}",
        &shown[..shown.len().min(2000)]
    );
    assert!(
        shown.len() < 6000 && shown.lines().count() < 40,
        "{} bytes, {} lines: {}",
        shown.len(),
        shown.lines().count(),
        &shown[..shown.len().min(2000)]
    );
}

#[test]
fn ten_thousand_heads() {
    on_small_stack(|| {
        let star = |label: bool| -> Vec<Revision> {
            let mut revisions = vec![Revision::new("root", &[])];
            for i in 0..10_000 {
                let r = Revision::new(format!("h{i}"), &["root"]);
                revisions.push(if label {
                    r.labels(&[&format!("l{i}")])
                } else {
                    r
                });
            }
            revisions
        };
        // Undeclared: one error that names the first few and counts the rest.
        let err = Graph::build(star(false), &GraphOptions::default()).unwrap_err();
        assert_bounded(&err, "multiple heads are present: h0, h1, h2, ");
        assert!(err.to_string().contains("and 9,990 more"), "{err}");

        // Declared with labels, or allowed: valid, and every query works.
        for (label, allow) in [(true, false), (false, true)] {
            let graph = Graph::build(
                star(label),
                &GraphOptions {
                    allow_multiple_heads: allow,
                    ..GraphOptions::default()
                },
            )
            .unwrap();
            assert_eq!(graph.heads().len(), 10_000);
            let up = graph.plan_upgrade(&[], "heads").unwrap();
            assert_eq!(up.steps.len(), 10_001);
            assert_eq!(up.heads_after.len(), 10_000);
            let down = graph.plan_downgrade(&up.heads_after, "base").unwrap();
            assert_eq!(down.steps.len(), 10_001);
            assert_eq!(graph.history(None).unwrap().len(), 10_001);
            // `head` is ambiguous: one line, the first few heads and a count.
            let err = graph.plan_upgrade(&[], "head").unwrap_err().to_string();
            assert!(
                err.starts_with("Multiple head revisions are present for given argument 'head'"),
                "{err}"
            );
            assert!(err.len() < 1000 && err.contains("and 9,990 more"), "{err}");
            // A prefix that matches 10,000 revisions.
            let err = graph.resolve("h").unwrap_err().to_string();
            assert!(err.len() < 1000, "{err}");
        }

        // Ten thousand bases.
        let bases: Vec<Revision> = (0..10_000)
            .map(|i| Revision::new(format!("b{i}"), &[]))
            .collect();
        let err = Graph::build(bases, &GraphOptions::default()).unwrap_err();
        assert_bounded(&err, "multiple bases without a branch label: b0, b1, b2, ");
    });
}

#[test]
fn ten_thousand_dangling_parents() {
    // Every parent is missing (a history whose older half was deleted): one error per
    // revision, each with a suggestion, in time linear in the history, not quadratic.
    let revisions: Vec<Revision> = (0..10_000)
        .map(|i| Revision::new(format!("{i:012x}"), &[&format!("{:012x}", i + 1_000_000)]))
        .collect();
    let err = Graph::build(revisions, &GraphOptions::default()).unwrap_err();
    assert_eq!(err.len(), 10_000);
    assert!(
        err.iter()
            .next()
            .unwrap()
            .message
            .starts_with("down_revision `0000000f4240` of revision `000000000000` does not exist"),
        "{}",
        err.iter().next().unwrap()
    );
}

#[test]
fn a_section_naming_a_database_is_reported_in_its_own_file_after_a_broken_one() {
    // Found by the graph_build fuzz target: the first file does not parse, the second names a
    // database no configuration declares; the error must point into the second file.
    let files = vec![
        ("v/00.sql".to_string(), b"-- revision: a1\n".to_vec()),
        (
            "v/01.sql".to_string(),
            b"-- revision: b2\n-- down_revision:\n\n-- upgrade\nSELECT 1;\n\n-- upgrade analytics\nSELECT 2;\n".to_vec(),
        ),
    ];
    let diagnostics = load_files(&files, &GraphOptions::default()).unwrap_err();
    let named: Vec<String> = diagnostics
        .iter()
        .filter(|d| d.message.contains("names database"))
        .map(ToString::to_string)
        .collect();
    assert_eq!(named.len(), 1, "{diagnostics}");
    assert!(named[0].starts_with("v/01.sql:7:1: "), "{}", named[0]);
}
