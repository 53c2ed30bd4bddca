//! Graph validation: every problem at once, each naming its file and line, with the fix.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking

use aludel_graph::{load_files, Graph, GraphOptions, Revision};

fn file(id: &str, down: &str, extra: &str) -> String {
    format!("-- revision: {id}\n-- down_revision: {down}\n{extra}-- message: {id}\n\n-- upgrade\nSELECT 1;\n\n-- downgrade\nSELECT 2;\n")
}

fn load(files: &[(&str, String)]) -> Result<Graph, String> {
    let files: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|(p, t)| (format!("migrations/versions/{p}"), t.as_bytes().to_vec()))
        .collect();
    load_files(&files, &GraphOptions::default()).map_err(|d| d.to_string())
}

#[test]
fn dangling_down_revision_names_file_line_and_nearest_id() {
    let err = load(&[
        ("1_a.sql", file("9c0de4ab12ff", "", "")),
        ("2_b.sql", file("3f2a9c1b7d4e", "9c0de4ab12fe", "")),
    ])
    .unwrap_err();
    assert_eq!(
        err,
        "error: migrations/versions/2_b.sql:2: down_revision `9c0de4ab12fe` of revision `3f2a9c1b7d4e` does not exist\n  = help: did you mean `9c0de4ab12ff`?"
    );
}

#[test]
fn short_id_suggests_the_id_it_prefixes() {
    let err = load(&[
        ("1.sql", file("9c0de4ab12ff", "", "")),
        ("2.sql", file("b", "9c0de", "")),
    ])
    .unwrap_err();
    assert!(err.contains("did you mean `9c0de4ab12ff`?"), "{err}");
}

#[test]
fn every_problem_is_reported_in_one_pass() {
    let err = load(&[
        ("1.sql", file("a", "", "")),
        ("2.sql", file("b", "a", "-- branch_labels: x\n")),
        ("3.sql", file("b", "a", "")),
        ("4.sql", file("c", "zzz", "")),
        (
            "5.sql",
            file("d", "a", "-- depends_on: nope\n-- branch_labels: x\n"),
        ),
    ])
    .unwrap_err();
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(lines.len(), 4, "{err}");
    assert!(err.contains("migrations/versions/3.sql:1: duplicate revision id `b`: migrations/versions/2.sql declares it too"), "{err}");
    assert!(
        err.contains("--> migrations/versions/2.sql:1: first declared here"),
        "{err}"
    );
    assert!(
        err.contains(
            "migrations/versions/4.sql:2: down_revision `zzz` of revision `c` does not exist"
        ),
        "{err}"
    );
    assert!(err.contains("migrations/versions/5.sql:3: depends_on `nope` of revision `d` is neither a revision nor a branch label"), "{err}");
    assert!(
        err.contains("Branch name 'x' in revision d already used by revision b"),
        "{err}"
    );
}

#[test]
fn parse_errors_of_all_files_come_together() {
    let err = load(&[
        ("1.sql", "-- revision: a\n-- down_revision:\n".to_string()),
        (
            "2.sql",
            "-- revision: b\n-- down_revison: a\n-- upgrade\n".to_string(),
        ),
    ])
    .unwrap_err();
    assert!(
        err.contains("migrations/versions/1.sql:2: missing `-- upgrade` section"),
        "{err}"
    );
    assert!(
        err.contains("migrations/versions/2.sql:2:4: unknown header key `down_revison`"),
        "{err}"
    );
}

#[test]
fn undeclared_heads_ask_for_a_merge_or_a_label() {
    let err = load(&[
        ("1.sql", file("a", "", "")),
        ("2.sql", file("b", "a", "")),
        ("3.sql", file("c", "a", "")),
    ])
    .unwrap_err();
    assert!(
        err.contains("migrations/versions/3.sql:1: multiple heads are present: b, c"),
        "{err}"
    );
    assert!(err.contains("aludel merge heads"), "{err}");
    // A label on the branch declares it.
    assert!(load(&[
        ("1.sql", file("a", "", "")),
        ("2.sql", file("b", "a", "")),
        ("3.sql", file("c", "a", "-- branch_labels: feature\n"))
    ])
    .is_ok());
    // A label shared by both heads (on their common ancestor) declares neither.
    let err = load(&[
        ("1.sql", file("a", "", "-- branch_labels: all\n")),
        ("2.sql", file("b", "a", "")),
        ("3.sql", file("c", "a", "")),
    ])
    .unwrap_err();
    assert!(err.contains("multiple heads are present: b, c"), "{err}");
    // The project can opt in.
    let revisions = vec![
        Revision::new("a", &[]),
        Revision::new("b", &["a"]),
        Revision::new("c", &["a"]),
    ];
    assert!(Graph::build(
        revisions,
        &GraphOptions {
            allow_multiple_heads: true,
            ..GraphOptions::default()
        }
    )
    .is_ok());
}

#[test]
fn unlabelled_bases() {
    let err = load(&[
        ("1.sql", file("a", "", "")),
        ("2.sql", file("x", "", "")),
        ("3.sql", file("y", "x", "-- branch_labels: side\n")),
    ])
    .unwrap_err();
    assert!(
        err.contains("multiple bases without a branch label: a, x"),
        "{err}"
    );
    assert!(load(&[
        ("1.sql", file("a", "", "")),
        ("2.sql", file("x", "", "-- branch_labels: side\n"))
    ])
    .is_ok());
}

#[test]
fn dependency_cycles_and_self_loops() {
    let err = load(&[
        ("1.sql", file("a", "", "-- depends_on: b\n")),
        ("2.sql", file("b", "a", "")),
    ])
    .unwrap_err();
    assert!(
        err.contains("Dependency cycle is detected in revisions (a, b)"),
        "{err}"
    );
    let err = load(&[("1.sql", file("a", "", "-- depends_on: a\n"))]).unwrap_err();
    assert!(
        err.contains("Dependency self-loop is detected in revisions (a)"),
        "{err}"
    );
    let err = load(&[
        ("1.sql", file("a", "c", "")),
        ("2.sql", file("b", "a", "")),
        ("3.sql", file("c", "b", "")),
    ])
    .unwrap_err();
    assert!(
        err.contains("migrations/versions/1.sql:2: Cycle is detected in revisions (a, b, c)"),
        "{err}"
    );
    assert!(err.contains("a -> c -> b -> a"), "{err}");
}

#[test]
fn label_that_is_a_revision_id() {
    let err = load(&[
        ("1.sql", file("a", "", "")),
        ("2.sql", file("b", "a", "-- branch_labels: a\n")),
    ])
    .unwrap_err();
    assert!(
        err.contains("Branch name 'a' in revision b is also the id of revision a"),
        "{err}"
    );
}

#[test]
fn redundant_dependency_is_normalised() {
    // c depends on a, which is already its ancestor through b: no extra version row appears.
    let revisions = vec![
        Revision::new("a", &[]),
        Revision::new("b", &["a"]),
        Revision::new("c", &["b"]).depends(&["a"]),
    ];
    let graph = Graph::build(revisions, &GraphOptions::default()).unwrap();
    let up = graph.plan_upgrade(&[], "head").unwrap();
    assert_eq!(up.heads_after, vec!["c"]);
    let down = graph.plan_downgrade(&["c"], "b").unwrap();
    assert_eq!(down.heads_after, vec!["b"]);
}

#[test]
fn unknown_target_suggests_and_short_prefix() {
    let revisions = vec![
        Revision::new("ae1027a6acf0", &[]),
        Revision::new("27c6a30d7c24", &["ae1027a6acf0"]),
    ];
    let graph = Graph::build(revisions, &GraphOptions::default()).unwrap();
    assert_eq!(graph.resolve("ae1").unwrap(), vec!["ae1027a6acf0"]);
    let err = graph.resolve("ae1027a6acf1").unwrap_err().to_string();
    assert_eq!(
        err,
        "Can't locate revision identified by 'ae1027a6acf1'; did you mean 'ae1027a6acf0'?"
    );
    assert!(graph.resolve("he ad").is_err());
    assert!(graph.resolve("").is_err());
    assert!(graph.resolve("@head").is_err());
}

#[test]
fn sibling_order_follows_load_order() {
    // Documented rule: heads in load order, depth first, parents in down_revision order.
    let revisions = vec![
        Revision::new("a", &[]),
        Revision::new("b2", &["a"]),
        Revision::new("b1", &["a"]).labels(&["one"]),
        Revision::new("m", &["b1", "b2"]),
    ];
    let graph = Graph::build(revisions, &GraphOptions::default()).unwrap();
    let ids: Vec<&str> = graph.walk().iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, vec!["m", "b1", "b2", "a"]);
    let up: Vec<&str> = graph
        .plan_upgrade(&[], "head")
        .unwrap()
        .steps
        .iter()
        .map(|s| s.to[0])
        .collect();
    assert_eq!(up, vec!["a", "b2", "b1", "m"]);
}
