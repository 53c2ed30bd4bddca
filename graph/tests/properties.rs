//! Property tests: arbitrary and half-valid input never panics and always yields either a valid
//! result or diagnostics that point into the input.
//!
//! - `parse_revision` on random bytes, and on random files assembled from header lines,
//!   markers, SQL and garbage (with CRLF and a byte-order mark now and then);
//! - `Graph::build` on random revision sets over a small alphabet of ids, so that cycles,
//!   self-loops, dangling references, duplicate ids and labels, merges and dependencies all
//!   occur; every graph that builds is checked: heads and bases, the history order, and the
//!   upgrade to `heads` and the downgrade to `base` replayed row by row;
//! - targets in Alembic's grammar, valid or not, against every graph and random version-table
//!   rows.
//!
//! The bodies of the cargo-fuzz targets (`fuzz/src/lib.rs`) run here too, on the same
//! random input and on every revision file of the repository, so that CI exercises them on
//! stable Rust.
//!
//! Each property runs 256 cases (`PROPTEST_CASES` raises it); sizes are bounded so that the
//! whole file runs in seconds.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking

use std::collections::{BTreeSet, HashMap};

use aludel_graph::revision::{is_valid_id, is_valid_label};
use aludel_graph::{
    load_files, parse_revision, Diagnostic, Direction, Graph, GraphOptions, Revision,
};
use proptest::prelude::*;

/// The fuzz targets' bodies.
#[path = "../../fuzz/src/lib.rs"]
mod harness;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(256),
        ..ProptestConfig::default()
    }
}

/// The number of lines of a file as the parser counts them (after BOM and CRLF handling).
fn line_count(bytes: &[u8]) -> u32 {
    u32::try_from(bytes.iter().filter(|&&b| b == b'\n').count() + 1).unwrap()
}

/// Every diagnostic of a file names the file and a line within it (0: the file as a whole).
fn assert_points_into(diagnostics: &[Diagnostic], path: &str, bytes: &[u8]) {
    assert!(!diagnostics.is_empty(), "an error comes with diagnostics");
    for d in diagnostics {
        let location = d.location.as_ref().expect("a parse error has a location");
        assert_eq!(location.path, path, "{d}");
        assert!(
            location.line <= line_count(bytes),
            "line {} of a file of {} lines: {d}",
            location.line,
            line_count(bytes)
        );
        assert!(!d.message.is_empty());
        assert!(!d.message.contains('\n'), "one-line message: {d}");
    }
}

/// What holds for every revision that parses.
fn assert_sound(revision: &Revision, bytes: &[u8]) {
    assert!(is_valid_id(&revision.id), "{:?}", revision.id);
    assert!(revision.down_revisions.iter().all(|d| is_valid_id(d)));
    assert!(revision.branch_labels.iter().all(|l| is_valid_label(l)));
    assert!(revision.checksum.starts_with("v1:sha256:"));
    let lines = line_count(bytes);
    for line in [
        revision.source.revision_line,
        revision.source.down_revision_line,
        revision.source.upgrade_line,
    ] {
        assert!(line >= 1 && line <= lines + 1, "line {line} of {lines}");
    }
}

// ----- the revision parser -----

/// A line of a half-valid revision file.
fn file_line() -> impl Strategy<Value = String> {
    let id = prop_oneof![
        Just("a1".to_string()),
        Just("b2".to_string()),
        "[a-f0-9]{1,12}",
        "[A-Za-z0-9_]{30,34}",
        Just("head".to_string()),
        Just("base".to_string()),
        Just("a b".to_string()),
        Just("ä1".to_string()),
        Just("a@b".to_string()),
        Just("a:b".to_string()),
        Just("a+1".to_string()),
        Just(String::new()),
        Just("None".to_string()),
    ];
    let list = prop::collection::vec(id.clone(), 0..4).prop_map(|ids| ids.join(", "));
    let key = prop_oneof![
        Just("revision"),
        Just("down_revision"),
        Just("branch_labels"),
        Just("depends_on"),
        Just("message"),
        Just("create_date"),
        Just("transactional"),
        Just("down_revison"),
        Just("Revision"),
        Just(""),
    ];
    let spacing = prop_oneof![
        Just(("-- ", ": ")),
        Just(("--", ":")),
        Just(("--   ", " :  ")),
        Just(("-- ", " ")),
        Just(("- ", ": ")),
    ];
    prop_oneof![
        3 => (key, spacing, prop_oneof![list, Just("true".to_string()), Just("false".to_string()), any::<String>()])
            .prop_map(|(k, (dash, colon), v)| format!("{dash}{k}{colon}{v}")),
        2 => prop_oneof![
            Just("-- upgrade".to_string()),
            Just("-- downgrade".to_string()),
            Just("--upgrade".to_string()),
            Just("-- Downgrade:".to_string()),
            Just("-- upgrade   ".to_string()),
        ],
        2 => prop_oneof![
            Just("CREATE TABLE t (id INTEGER);".to_string()),
            Just("SELECT ';' -- upgrade".to_string()),
            Just("$$ BEGIN END; $$".to_string()),
            Just("-- a comment".to_string()),
        ],
        1 => Just(String::new()),
        1 => any::<String>(),
    ]
}

/// A well-formed revision file.
fn well_formed(
    id: &str,
    parents: &[&str],
    depends: &[&str],
    label: Option<&str>,
    reversible: bool,
) -> String {
    let mut text = format!(
        "-- revision: {id}\n-- down_revision: {}\n",
        parents.join(", ")
    );
    if let Some(label) = label {
        text.push_str(&format!("-- branch_labels: {label}\n"));
    }
    if !depends.is_empty() {
        text.push_str(&format!("-- depends_on: {}\n", depends.join(", ")));
    }
    text.push_str(&format!(
        "-- message: {id}\n\n-- upgrade\nCREATE TABLE t_{id} (id INTEGER);\n"
    ));
    if reversible {
        text.push_str(&format!("\n-- downgrade\nDROP TABLE t_{id};\n"));
    }
    text
}

/// A change that may break a file: none (most often), a random line inserted, a line
/// removed, or the file cut at a random byte.
#[derive(Debug, Clone)]
enum Mutation {
    None,
    Insert(usize, String),
    Remove(usize),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        6 => Just(Mutation::None),
        1 => (any::<usize>(), file_line()).prop_map(|(at, line)| Mutation::Insert(at, line)),
        1 => any::<usize>().prop_map(Mutation::Remove),
        1 => any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn mutate(text: &str, mutation: &Mutation) -> Vec<u8> {
    let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
    match mutation {
        Mutation::None => {}
        Mutation::Insert(at, line) => lines.insert(at % (lines.len() + 1), line.clone()),
        Mutation::Remove(at) => {
            lines.remove(at % lines.len());
        }
        Mutation::Truncate(at) => {
            let bytes = text.as_bytes();
            return bytes[..at % (bytes.len() + 1)].to_vec();
        }
    }
    lines.join("\n").into_bytes()
}

/// LF or CRLF endings and maybe a byte-order mark.
fn encode(bytes: Vec<u8>, crlf: bool, bom: bool) -> Vec<u8> {
    let mut out = if bom {
        b"\xEF\xBB\xBF".to_vec()
    } else {
        Vec::new()
    };
    for b in bytes {
        if b == b'\n' && crlf {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

/// A revision file: random lines, or a well-formed file over the small alphabet of ids,
/// perhaps broken by a mutation; LF or CRLF, maybe with a byte-order mark.
fn revision_file() -> impl Strategy<Value = Vec<u8>> {
    let random = (prop::collection::vec(file_line(), 0..16), any::<bool>()).prop_map(
        |(lines, trailing_newline)| {
            let mut text = lines.join("\n");
            if trailing_newline {
                text.push('\n');
            }
            text.into_bytes()
        },
    );
    let formed = (
        prop::sample::select(&IDS[..]),
        prop::collection::vec(prop::sample::select(&IDS[..]), 0..3),
        mutation(),
        any::<bool>(),
    )
        .prop_map(|(id, mut parents, mutation, reversible)| {
            parents.sort_unstable();
            parents.dedup();
            mutate(&well_formed(id, &parents, &[], None, reversible), &mutation)
        });
    (
        prop_oneof![1 => random, 1 => formed],
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(bytes, crlf, bom)| encode(bytes, crlf, bom))
}

/// A history of files: revision `i` is `IDS[i]` and stands on earlier revisions (so that most
/// histories are sound), each file perhaps broken by a mutation.
fn history_files() -> impl Strategy<Value = Vec<(String, Vec<u8>)>> {
    prop::collection::vec(
        (
            prop::collection::vec(0usize..8, 0..3),
            prop::collection::vec(0usize..8, 0..2),
            any::<bool>(),
            any::<bool>(),
            mutation(),
            any::<bool>(),
        ),
        0..8,
    )
    .prop_map(|shape| {
        shape
            .into_iter()
            .enumerate()
            .map(|(i, (parents, depends, chain, labelled, mutation, crlf))| {
                let (parents, depends) = below(i, parents, depends, chain);
                let label = format!("l{i}");
                let text = well_formed(
                    IDS[i],
                    &parents,
                    &depends,
                    labelled.then_some(label.as_str()),
                    true,
                );
                (
                    format!("v/{i}.sql"),
                    encode(mutate(&text, &mutation), crlf, false),
                )
            })
            .collect()
    })
}

/// Parents and dependencies of revision `i` among the earlier ones; with `chain`, the
/// previous revision is the first parent.
fn below(
    i: usize,
    parents: Vec<usize>,
    depends: Vec<usize>,
    chain: bool,
) -> (Vec<&'static str>, Vec<&'static str>) {
    let pick = |list: Vec<usize>| -> Vec<&'static str> {
        let mut out: Vec<&str> = list
            .into_iter()
            .filter(|&p| p < i)
            .map(|p| IDS[p])
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    };
    let mut parents = pick(parents);
    if chain && i > 0 && !parents.contains(&IDS[i - 1]) {
        parents.insert(0, IDS[i - 1]);
    }
    let depends = pick(depends)
        .into_iter()
        .filter(|d| !parents.contains(d))
        .collect();
    (parents, depends)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn parsing_random_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        harness::parse_revision(&bytes);
        match parse_revision("v/x.sql", &bytes) {
            Ok(revision) => assert_sound(&revision, &bytes),
            Err(diagnostics) => assert_points_into(&diagnostics, "v/x.sql", &bytes),
        }
    }

    #[test]
    fn parsing_half_valid_files_never_panics(bytes in revision_file()) {
        harness::parse_revision(&bytes);
        let parsed = parse_revision("v/x.sql", &bytes);
        match &parsed {
            Ok(revision) => assert_sound(revision, &bytes),
            Err(diagnostics) => assert_points_into(diagnostics, "v/x.sql", &bytes),
        }
        // CRLF and a byte-order mark change nothing but the bytes.
        let text = String::from_utf8_lossy(&bytes);
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        if !text.contains('\r') && !text.contains('\u{fffd}') {
            let mut crlf = b"\xEF\xBB\xBF".to_vec();
            crlf.extend_from_slice(text.replace('\n', "\r\n").as_bytes());
            let other = parse_revision("v/x.sql", &crlf);
            match (&parsed, &other) {
                (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
                (Err(a), Err(b)) => prop_assert_eq!(a, b),
                _ => prop_assert!(false, "LF and CRLF disagree: {:?} / {:?}", parsed, other),
            }
        }
    }

    #[test]
    fn loading_half_valid_histories_never_panics(
        files in prop_oneof![
            3 => history_files(),
            1 => prop::collection::vec(revision_file(), 0..6).prop_map(|files| {
                files
                    .into_iter()
                    .enumerate()
                    .map(|(i, bytes)| (format!("v/{i}.sql"), bytes))
                    .collect()
            }),
        ],
        allow in any::<bool>(),
    ) {
        // The same history as the graph_build fuzz target reads it.
        let mut data = if allow { vec![0xFE] } else { Vec::new() };
        for (i, (_, bytes)) in files.iter().enumerate() {
            if i > 0 {
                data.push(0xFF);
            }
            data.extend_from_slice(bytes);
        }
        if !files.is_empty() {
            harness::graph_build(&data);
        }
        let options = GraphOptions {
            allow_multiple_heads: allow,
            ..GraphOptions::default()
        };
        match load_files(&files, &options) {
            Ok(graph) => check_graph(&graph),
            Err(diagnostics) => {
                prop_assert!(!diagnostics.is_empty());
                for d in &diagnostics {
                    let location = d.location.as_ref().expect("a location");
                    let (_, bytes) = files
                        .iter()
                        .find(|(path, _)| *path == location.path)
                        .expect("the diagnostic names one of the files");
                    prop_assert!(location.line <= line_count(bytes), "{}", d);
                }
            }
        }
    }
}

// ----- the graph builder -----

const IDS: [&str; 8] = ["a", "b", "c", "d", "e", "f", "g", "h"];
const LABELS: [&str; 3] = ["x", "y", "z"];

/// A revision over the small alphabet: any parents (itself, unknown ids and duplicates
/// included), any dependencies (ids or labels), maybe labels.
fn random_revision() -> impl Strategy<Value = Revision> {
    let id = prop::sample::select(&IDS[..]);
    let reference = prop_oneof![
        8 => prop::sample::select(&IDS[..]),
        1 => prop::sample::select(&LABELS[..]),
        1 => Just("zz"),
    ];
    (
        id,
        prop::collection::vec(reference.clone(), 0..3),
        prop::collection::vec(reference, 0..2),
        prop::collection::vec(prop::sample::select(&LABELS[..]), 0..2),
        any::<bool>(),
    )
        .prop_map(|(id, parents, depends, labels, reversible)| {
            let mut parents = parents;
            parents.dedup();
            let mut r = Revision::new(id, &parents)
                .depends(&depends)
                .labels(&labels);
            if !reversible {
                r.reversible = false;
            }
            r
        })
}

/// A history of up to ten revisions, often a sound one: revision `i` usually stands on
/// earlier ones, so that graphs which build are common.
fn random_history() -> impl Strategy<Value = Vec<Revision>> {
    prop_oneof![
        1 => prop::collection::vec(random_revision(), 0..10),
        3 =>
        prop::collection::vec(
            (
                prop::collection::vec(0usize..8, 0..3),
                prop::collection::vec(0usize..8, 0..2),
                any::<bool>(),
                prop::option::of(prop::sample::select(&LABELS[..])),
            ),
            1..9,
        )
        .prop_map(|shape| {
            shape
                .into_iter()
                .enumerate()
                .map(|(i, (parents, depends, chain, label))| {
                    let (parents, depends) = below(i, parents, depends, chain);
                    let mut r = Revision::new(IDS[i], &parents).depends(&depends);
                    if let Some(label) = label {
                        // Mostly unique labels; now and then a shared one.
                        let unique = format!("{label}{i}");
                        r = r.labels(&[if i % 3 == 0 { label } else { unique.as_str() }]);
                    }
                    r
                })
                .collect()
        }),
    ]
}

/// What holds for every graph that builds.
fn check_graph(graph: &Graph) {
    let n = graph.len();
    let position: HashMap<&str, usize> = graph
        .revisions()
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    assert_eq!(position.len(), n, "ids are unique");
    // Heads and bases.
    for r in graph.revisions() {
        assert_eq!(graph.is_head(&r.id), graph.heads().contains(&r.id.as_str()));
        assert_eq!(graph.is_base(&r.id), r.down_revisions.is_empty());
        assert_eq!(
            graph.bases().contains(&r.id.as_str()),
            r.down_revisions.is_empty()
        );
        for p in &r.down_revisions {
            assert!(graph.children_of(p).contains(&r.id.as_str()));
        }
    }
    // The history lists every revision once, each before its parents and dependencies.
    let walk = graph.walk();
    let history = graph.history(None).unwrap();
    for list in [&walk, &history] {
        assert_eq!(list.len(), n);
        let at: HashMap<&str, usize> = list
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.as_str(), i))
            .collect();
        assert_eq!(at.len(), n);
        for r in list.iter() {
            for below in r.down_revisions.iter().chain(&r.depends_on) {
                let below = graph
                    .get(below)
                    .or_else(|| graph.by_label(below))
                    .expect("references resolve");
                assert!(
                    at[r.id.as_str()] < at[below.id.as_str()],
                    "{} above {}",
                    r.id,
                    below.id
                );
            }
        }
    }
    // Upgrade to heads from nothing: every revision once, after what it stands on, and the
    // replayed rows end at the heads.
    let up = graph.plan_upgrade(&[], "heads").unwrap();
    let mut rows = BTreeSet::new();
    harness::replay(&mut rows, &up);
    assert_eq!(up.steps.len(), n);
    let mut applied: HashMap<&str, usize> = HashMap::new();
    for (i, step) in up.steps.iter().enumerate() {
        assert_eq!(step.direction, Direction::Upgrade);
        let r = step.revision.unwrap();
        for below in r.down_revisions.iter().chain(&r.depends_on) {
            let below = graph.get(below).or_else(|| graph.by_label(below)).unwrap();
            assert!(
                applied.contains_key(below.id.as_str()),
                "{} before {}",
                below.id,
                r.id
            );
        }
        assert!(applied.insert(&r.id, i).is_none(), "{} applied twice", r.id);
    }
    // The rows end at the revisions nothing stands on: the heads that no revision depends on
    // (a head that another revision depends on is implied by that revision's row, as in
    // Alembic).
    let mut stood_on: BTreeSet<&str> = BTreeSet::new();
    for r in graph.revisions() {
        for below in r.down_revisions.iter().chain(&r.depends_on) {
            stood_on.insert(
                &graph
                    .get(below)
                    .or_else(|| graph.by_label(below))
                    .unwrap()
                    .id,
            );
        }
    }
    let tops: BTreeSet<String> = graph
        .revisions()
        .iter()
        .filter(|r| !stood_on.contains(r.id.as_str()))
        .map(|r| r.id.clone())
        .collect();
    assert_eq!(
        rows, tops,
        "upgrade to heads ends at the revisions nothing stands on"
    );
    let resolved: BTreeSet<String> = graph
        .resolve("heads")
        .unwrap()
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(rows, resolved, "and `heads` names them");
    for head in graph.heads() {
        assert!(graph.children_of(head).is_empty());
    }
    // Nothing left to do.
    let current: Vec<&str> = up.heads_after.clone();
    assert!(graph.plan_upgrade(&current, "heads").unwrap().is_empty());
    // Downgrade to base: every revision once, children first, and no row left.
    let down = graph.plan_downgrade(&current, "base").unwrap();
    harness::replay(&mut rows, &down);
    assert!(
        rows.is_empty(),
        "downgrade to base empties the version table"
    );
    assert_eq!(down.steps.len(), n);
    let mut reverted: BTreeSet<&str> = BTreeSet::new();
    for step in &down.steps {
        let r = step.revision.unwrap();
        for child in graph.children_of(&r.id) {
            assert!(reverted.contains(child), "{child} reverted before {}", r.id);
        }
        assert!(reverted.insert(&r.id));
    }
}

/// A target in Alembic's grammar, or something like one.
fn random_target() -> impl Strategy<Value = String> {
    let name = prop_oneof![
        prop::sample::select(&IDS[..]).prop_map(str::to_string),
        prop::sample::select(&LABELS[..]).prop_map(str::to_string),
        prop::sample::select(&["head", "heads", "base", "current", "zz", ""][..])
            .prop_map(str::to_string),
    ];
    let relative = prop_oneof![
        Just(String::new()),
        (-3i64..4).prop_map(|n| format!("{n:+}")),
        Just("+99999999999999999999".to_string()),
        Just("-9223372036854775808".to_string()),
        Just("+".to_string()),
        Just("-".to_string()),
    ];
    prop_oneof![
        4 => (name.clone(), relative.clone()).prop_map(|(n, r)| format!("{n}{r}")),
        3 => (name.clone(), name.clone(), relative).prop_map(|(b, n, r)| format!("{b}@{n}{r}")),
        2 => (name.clone(), name).prop_map(|(a, b)| format!("{a}:{b}")),
        1 => any::<String>(),
        1 => "[a-z@:+\\-0-9 ]{0,8}",
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn building_random_graphs_never_panics(
        revisions in random_history(),
        allow in any::<bool>(),
        targets in prop::collection::vec(random_target(), 1..6),
        rows in prop::collection::vec(prop::sample::select(&["a", "b", "c", "d", "e", "f", "g", "h", "zz"][..]), 0..3),
    ) {
        let options = GraphOptions {
            allow_multiple_heads: allow,
            ..GraphOptions::default()
        };
        match Graph::build(revisions.clone(), &options) {
            Ok(graph) => {
                check_graph(&graph);
                for target in &targets {
                    let _ = graph.resolve(target);
                    let _ = graph.history(Some(target));
                    let _ = graph.plan_offline(Direction::Upgrade, target);
                    let _ = graph.plan_offline(Direction::Downgrade, target);
                    for current in [&rows[..], &[][..]] {
                        if let Ok(plan) = graph.plan_upgrade(current, target) {
                            let mut replayed: BTreeSet<String> =
                                current.iter().map(|s| s.to_string()).collect();
                            if replayed.len() == current.len() && is_consistent(&graph, current) {
                                harness::replay(&mut replayed, &plan);
                            }
                        }
                        let _ = graph.plan_downgrade(current, target);
                        let _ = graph.plan_stamp(current, target, false);
                        let _ = graph.plan_stamp(current, target, true);
                    }
                }
            }
            Err(diagnostics) => {
                prop_assert!(!diagnostics.is_empty());
                for d in &diagnostics {
                    let location = d.location.as_ref().expect("a location");
                    prop_assert!(
                        revisions.iter().any(|r| r.source.path == location.path),
                        "{}", d
                    );
                    prop_assert!(!d.message.is_empty());
                }
            }
        }
    }
}

/// Whether `rows` could be a version table's rows: no row is below another.
fn is_consistent(graph: &Graph, rows: &[&str]) -> bool {
    rows.iter().all(|a| {
        rows.iter().all(|b| {
            a == b
                || graph
                    .history(Some(&format!("base:{b}")))
                    .map_or(true, |below| below.iter().all(|r| r.id != *a))
        })
    })
}

/// Every `.sql` file below `dir`, recursively, grouped by directory.
fn sql_files(dir: &std::path::Path, out: &mut Vec<Vec<Vec<u8>>>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<std::path::PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    paths.sort();
    let mut here = Vec::new();
    for path in paths {
        if path.is_dir() {
            sql_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "sql") {
            here.push(std::fs::read(&path).unwrap());
        }
    }
    if !here.is_empty() {
        out.push(here);
    }
}

#[test]
fn fuzz_targets_on_the_repository_files() {
    // The example histories and the compile-fail fixtures (broken on purpose): the fuzz
    // targets' seed corpus (scripts/fuzz.sh).
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut groups = Vec::new();
    for dir in ["migrations", "examples", "tests/ui"] {
        sql_files(&root.join(dir), &mut groups);
    }
    assert!(groups.len() > 10, "found {} directories", groups.len());
    for group in &groups {
        for file in group {
            harness::parse_revision(file);
        }
        let joined = group.join(&0xFF);
        harness::graph_build(&joined);
        let mut allowed = vec![0xFE];
        allowed.extend_from_slice(&joined);
        harness::graph_build(&allowed);
    }
}
