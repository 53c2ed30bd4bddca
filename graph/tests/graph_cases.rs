//! The 38 scenarios of `shared/design/GRAPH-CASES.md`, one row each.
//!
//! Each case builds a graph, then runs a list of operations against a simulated version table
//! (`rows`), checking what ran, the rows afterwards, or the error. Where aludel deliberately
//! differs from Alembic (the "sharp edges"), the row asserts aludel's behaviour and says so.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking

use aludel_graph::{Direction, Error, Graph, GraphOptions, Revision, VersionOp};

#[path = "support/corpora.rs"]
mod corpora;
use corpora::corpus;

/// What an operation should produce.
enum Expect<'a> {
    /// Revisions run, in order, and the rows afterwards (compared as sets).
    Ran(&'a [&'a str], &'a [&'a str]),
    /// Exact version-table statements, and the rows afterwards.
    Ops(&'a [&'a str], &'a [&'a str]),
    /// An error whose message contains this text; the rows do not change.
    Fails(&'a str),
    /// A list of revision ids, in order.
    Ids(&'a [&'a str]),
}

enum Op<'a> {
    SetRows(&'a [&'a str]),
    Upgrade(&'a str, Expect<'a>),
    Downgrade(&'a str, Expect<'a>),
    Stamp(&'a str, bool, Expect<'a>),
    /// Offline script over a range (`--sql`).
    Sql(Direction, &'a str, Expect<'a>),
    Heads(Expect<'a>),
    Resolve(&'a str, Expect<'a>),
    History(Option<&'a str>, Expect<'a>),
    BranchPoints(Expect<'a>),
    Children(&'a str, Expect<'a>),
    NewRevision(Option<&'a str>, bool, Expect<'a>),
    Merge(&'a [&'a str], Expect<'a>),
    /// The branch labels covering each listed revision ([`Graph::branches_of`]), as Alembic
    /// 1.20.1 fills `Revision.branch_labels` (checked by running it), in aludel's order: own
    /// labels first, then by the load order of the declaring revisions.
    Branches(&'a [(&'a str, &'a [&'a str])]),
}

struct Case<'a> {
    number: u32,
    graph: Vec<Revision>,
    allow_multiple_heads: bool,
    /// `Some(text)`: building the graph fails with an error containing `text`.
    invalid: Option<&'a str>,
    ops: Vec<Op<'a>>,
}

fn r(id: &str, down: &[&str]) -> Revision {
    Revision::new(id, down)
}

fn linear() -> Vec<Revision> {
    vec![r("a", &[]), r("b", &["a"]), r("c", &["b"]), r("d", &["c"])]
}

/// `a ← b; b ← c1[feat1] ← d1; b ← c2`
fn feat1() -> Vec<Revision> {
    vec![
        r("a", &[]),
        r("b", &["a"]),
        r("c1", &["b"]).labels(&["feat1"]),
        r("c2", &["b"]),
        r("d1", &["c1"]),
    ]
}

/// `a←b; b←c1←d1; b←c2[c2branch]←d2; (d1,d2)←e←f`
fn merged() -> Vec<Revision> {
    vec![
        r("a", &[]),
        r("b", &["a"]),
        r("c1", &["b"]),
        r("c2", &["b"]).labels(&["c2branch"]),
        r("d1", &["c1"]),
        r("d2", &["c2"]),
        r("e", &["d1", "d2"]),
        r("f", &["e"]),
    ]
}

fn case(number: u32, graph: Vec<Revision>, ops: Vec<Op<'static>>) -> Case<'static> {
    Case {
        number,
        graph,
        allow_multiple_heads: false,
        invalid: None,
        ops,
    }
}

fn invalid(number: u32, graph: Vec<Revision>, text: &'static str) -> Case<'static> {
    Case {
        number,
        graph,
        allow_multiple_heads: false,
        invalid: Some(text),
        ops: Vec::new(),
    }
}

fn op_text(op: &VersionOp) -> String {
    match op {
        VersionOp::Insert(v) => format!("INSERT {v}"),
        VersionOp::Update { from, to } => format!("UPDATE {from}->{to}"),
        VersionOp::Delete(v) => format!("DELETE {v}"),
    }
}

fn sorted(v: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = v.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

fn cases() -> Vec<Case<'static>> {
    use Expect::*;
    use Op::*;
    vec![
        case(1, linear(), vec![
            Upgrade("head", Ran(&["a", "b", "c", "d"], &["d"])),
            Heads(Ids(&["d"])),
        ]),
        case(2, linear(), vec![
            Upgrade("+2", Ran(&["a", "b"], &["b"])),
            Upgrade("+1", Ran(&["c"], &["c"])),
            Downgrade("-1", Ran(&["c"], &["b"])),
        ]),
        case(3, linear(), vec![
            SetRows(&["a"]),
            Upgrade("b+2", Ran(&["b", "c", "d"], &["d"])),
            Downgrade("d-2", Ran(&["d", "c"], &["b"])),
        ]),
        case(4, vec![r("aaaa1111", &[]), r("bbbb2222", &["aaaa1111"]), r("cccc3333", &["bbbb2222"]), r("dddd4444", &["cccc3333"])], vec![
            Upgrade("bbbb", Ran(&["aaaa1111", "bbbb2222"], &["bbbb2222"])),
            Upgrade("ccc", Ran(&["cccc3333"], &["cccc3333"])),
        ]),
        // Sharp edge 4: the ambiguous prefix lists its candidates (Alembic's CLI hides them).
        case(5, vec![r("abcd1111", &[]), r("abcd2222", &["abcd1111"])], vec![
            Upgrade("abcd", Fails("Multiple revisions start with 'abcd': 'abcd1111', 'abcd2222'")),
            Upgrade("abcd2", Ran(&["abcd1111", "abcd2222"], &["abcd2222"])),
        ]),
        case(6, linear(), vec![
            Upgrade("+5", Fails("Relative revision +5 didn't produce 5 migrations")),
            Downgrade("-1", Fails("Relative revision -1 didn't produce 1 migrations")),
            SetRows(&["d"]),
            Downgrade("-9", Fails("Relative revision -9 didn't produce 9 migrations")),
        ]),
        case(7, linear(), vec![
            SetRows(&["b"]),
            Downgrade("d", Fails("Destination d is not a valid downgrade target from current head(s)")),
        ]),
        case(8, feat1(), vec![
            Upgrade("head", Fails("Multiple head revisions are present for given argument 'head'; please specify a specific target revision, '<branchname>@head' to narrow to a specific head, or 'heads' for all heads")),
            Heads(Ids(&["c2", "d1"])),
            Branches(FEAT1_BRANCHES),
        ]),
        case(9, feat1(), vec![
            Upgrade("heads", Ran(&["a", "b", "c1", "d1", "c2"], &["c2", "d1"])),
        ]),
        case(10, feat1(), vec![
            SetRows(&["c1", "c2"]),
            Upgrade("+1", Fails("Ambiguous upgrade from multiple current revisions")),
        ]),
        // Sharp edge 5: Alembic warns and picks a head by row order; aludel refuses and
        // suggests naming the branch.
        case(11, feat1(), vec![
            SetRows(&["c2", "d1"]),
            Downgrade("-1", Fails("downgrade -1 from multiple heads is ambiguous (current heads: c2, d1); name the branch, e.g. 'c2@-1'")),
            Downgrade("feat1@-1", Ran(&["d1"], &["c1", "c2"])),
        ]),
        // Sharp edge 6: `feat1@base` also reverts c2, b and a (Alembic's behaviour); the plan
        // shows it before anything runs.
        case(12, feat1(), vec![
            Upgrade("feat1@head", Ran(&["a", "b", "c1", "d1"], &["d1"])),
            Downgrade("feat1@-1", Ran(&["d1"], &["c1"])),
            Upgrade("c2", Ran(&["c2"], &["c1", "c2"])),
            Downgrade("feat1@base", Ran(&["c1", "c2", "b", "a"], &[])),
        ]),
        case(13, feat1(), vec![
            NewRevision(None, false, Fails("Multiple heads are present; please specify the head revision on which the new revision should be based, or perform a merge.")),
            NewRevision(Some("feat1@head"), false, Ids(&["d1"])),
        ]),
        case(14, feat1(), vec![
            Merge(&["heads"], Ids(&["c2", "d1"])),
        ]),
        // 14, continued: the merge `e` written, then upgrade, `-1` and `downgrade b`.
        case(14, {
            let mut g = feat1();
            g.push(r("e", &["c2", "d1"]));
            g
        }, vec![
            Upgrade("head", Ops(&["INSERT a", "UPDATE a->b", "UPDATE b->c1", "UPDATE c1->d1", "INSERT c2", "DELETE c2", "UPDATE d1->e"], &["e"])),
            Heads(Ids(&["e"])),
            // `e (feat1)`: the merge is above c1, so the label stops at b's branch point.
            Branches(&[("a", &[]), ("b", &[]), ("c1", &["feat1"]), ("c2", &[]), ("d1", &["feat1"]), ("e", &["feat1"])]),
            // Sharp edge 5: `-1` from a merge names the parents to choose from.
            Downgrade("-1", Fails("Ambiguous walk: e has several parents: c2, d1; name one of them as the target")),
            Downgrade("b", Ran(&["e", "c2", "d1", "c1"], &["b"])),
        ]),
        case(15, feat1(), vec![
            BranchPoints(Ids(&["b"])),
            Children("b", Ids(&["c1", "c2"])),
            Branches(FEAT1_BRANCHES),
            History(Some("b:heads"), Ids(&["c2", "d1", "c1", "b"])),
            Resolve("c1", Ids(&["c1"])),
        ]),
        case(16, feat1(), vec![
            Stamp("head", false, Fails("Multiple heads are present; please specify a single target revision")),
            Stamp("heads", false, Ops(&["INSERT c2", "INSERT d1"], &["c2", "d1"])),
            Stamp("b", false, Ops(&["DELETE c2", "UPDATE d1->b"], &["b"])),
            Stamp("a", true, Ops(&["DELETE b", "INSERT a"], &["a"])),
        ]),
        Case {
            number: 17,
            graph: vec![
                r("x1", &[]).labels(&["lib"]),
                r("x2", &["x1"]),
                r("y1", &[]),
                r("y2", &["y1"]).depends(&["x1"]),
            ],
            allow_multiple_heads: false,
            invalid: None,
            ops: vec![
                Upgrade("y2", Ops(&["INSERT x1", "INSERT y1", "DELETE y1", "UPDATE x1->y2"], &["y2"])),
                Downgrade("lib@base", Ran(&["y2", "x1"], &["y1"])),
                // y2 only depends on x1: a dependency does not carry the label.
                Branches(&[("x1", &["lib"]), ("x2", &["lib"]), ("y1", &[]), ("y2", &[])]),
            ],
        },
        invalid(18, vec![r("a", &["c"]), r("b", &["a"]), r("c", &["b"])], "Cycle is detected in revisions (a, b, c)"),
        invalid(19, vec![r("a", &["a"])], "Self-loop is detected in revisions (a)"),
        // Sharp edge 2: a compile error naming the file and the missing id, not a KeyError.
        invalid(20, vec![r("a", &[]), r("b", &["zzzz9999"])], "<b>:2: down_revision `zzzz9999` of revision `b` does not exist"),
        // Sharp edge 1: a duplicate id is an error naming both files, not a warning.
        invalid(21, vec![r("a", &[]), r("b", &["a"]), r("b", &["a"])], "duplicate revision id `b`: <b> declares it too"),
        case(22, vec![r("a", &[]), r("b", &["a"]), r("x", &[]).labels(&["other"]), r("y", &["x"])], vec![
            Upgrade("head", Fails("Multiple head revisions are present")),
            Upgrade("heads", Ran(&["x", "y", "a", "b"], &["b", "y"])),
            Downgrade("other@base", Ran(&["y", "x"], &["b"])),
            Downgrade("base", Ran(&["b", "a"], &[])),
            Branches(&[("a", &[]), ("b", &[]), ("x", &["other"]), ("y", &["other"])]),
        ]),
        invalid(23, vec![r("a", &[]).labels(&["x"]), r("b", &["a"]), r("c", &[]).labels(&["x"])], "Branch name 'x' in revision c already used by revision a"),
        case(24, linear(), vec![
            SetRows(&["ffff9999"]),
            Upgrade("head", Fails("Can't locate revision identified by 'ffff9999'")),
            Downgrade("base", Fails("Can't locate revision identified by 'ffff9999'")),
        ]),
        case(25, merged(), vec![
            Upgrade("b", Ran(&["a", "b"], &["b"])),
            Upgrade("f", Ran(&["c2", "d2", "c1", "d1", "e", "f"], &["f"])),
            Downgrade("b", Ran(&["f", "e", "d1", "c1", "d2", "c2"], &["b"])),
            // The label covers everything above c2, across the merge, and stops at b.
            Branches(&[("a", &[]), ("b", &[]), ("c1", &[]), ("c2", &["c2branch"]), ("d1", &[]), ("d2", &["c2branch"]), ("e", &["c2branch"]), ("f", &["c2branch"])]),
        ]),
        case(26, merged(), vec![
            SetRows(&["b"]),
            Upgrade("d2", Ran(&["c2", "d2"], &["d2"])),
            Upgrade("head", Ran(&["c1", "d1", "e", "f"], &["f"])),
        ]),
        case(27, merged(), vec![
            SetRows(&["f"]),
            Downgrade("d1", Ran(&["f", "e"], &["d1", "d2"])),
            Stamp("c2", false, Ops(&["UPDATE d2->c2"], &["c2", "d1"])),
        ]),
        case(28, merged(), vec![
            Sql(Direction::Upgrade, "head", Ops(&[
                "INSERT a", "UPDATE a->b", "UPDATE b->c2", "UPDATE c2->d2", "INSERT c1", "UPDATE c1->d1",
                "DELETE d1", "UPDATE d2->e", "UPDATE e->f",
            ], &["f"])),
            Sql(Direction::Downgrade, "f:b", Ops(&[
                "UPDATE f->e", "INSERT d2", "UPDATE e->d1", "UPDATE d1->c1", "DELETE c1", "UPDATE d2->c2", "UPDATE c2->b",
            ], &["b"])),
        ]),
        case(29, linear(), vec![
            Sql(Direction::Upgrade, "b:d", Ops(&["UPDATE b->c", "UPDATE c->d"], &["d"])),
            Sql(Direction::Downgrade, "-1", Fails("downgrade with --sql requires <fromrev>:<torev>")),
        ]),
        case(30, feat1(), vec![
            SetRows(&["b"]),
            Upgrade("c2", Ran(&["c2"], &["c2"])),
            Upgrade("feat1@+1", Ran(&["c1"], &["c1", "c2"])),
        ]),
        case(31, merged_without_e(), vec![
            SetRows(&["d1", "d2"]),
            Downgrade("c2branch@base+2", Ran(&["d2", "c2"], &["d1"])),
            Branches(&[("a", &[]), ("b", &[]), ("c1", &[]), ("c2", &["c2branch"]), ("d1", &[]), ("d2", &["c2branch"])]),
        ]),
        case(32, merged_without_e(), vec![
            SetRows(&["d1", "d2"]),
            Downgrade("c2@b", Ran(&["d2", "c2"], &["d1"])),
        ]),
        case(33, vec![r("a", &[]), r("b1", &["a"]), r("b2", &["a"]), r("c", &["b1", "b2"]), r("d", &["c"])], vec![
            History(Some("a:d"), Ids(&["d", "c", "b1", "b2", "a"])),
        ]),
        case(34, labeled(), vec![
            History(Some("ebranch@-2:heads"), Ids(&["f", "someothername", "e"])),
            History(Some("base:ebranch@+2"), Ids(&["e", "d"])),
            Resolve("ebranch@some", Ids(&["someothername"])),
            Resolve("abranch@some", Ids(&["somelongername"])),
            Resolve("ebranch@b", Fails("Revision b is not a member of branch 'ebranch'")),
            Resolve("x@d", Fails("No such branch: 'x'")),
            Resolve("e@d", Ids(&["d"])),
            Resolve("someoth@d", Ids(&["d"])),
            Resolve("ebranch@head", Ids(&["f"])),
            Resolve("abranch@base", Ids(&[])),
            Resolve("ebranch", Ids(&["e"])),
            Resolve("abranch@heads", Ids(&["c"])),
            // Two plain chains: each label covers its whole chain, down to its base (d too).
            Branches(&[
                ("a", &["abranch"]), ("b", &["abranch"]), ("somelongername", &["abranch"]), ("c", &["abranch"]),
                ("d", &["ebranch"]), ("e", &["ebranch"]), ("someothername", &["ebranch"]), ("f", &["ebranch"]),
            ]),
        ]),
        Case {
            number: 35,
            graph: vec![r("a1", &[]), r("b1", &[]).depends(&["a1"]), r("bmerge", &["a1", "b1"])],
            allow_multiple_heads: true,
            invalid: None,
            ops: vec![
                Upgrade("a1", Ran(&["a1"], &["a1"])),
                Upgrade("b1", Ran(&["b1"], &["b1"])),
                Upgrade("bmerge", Ran(&["bmerge"], &["bmerge"])),
                Downgrade("b1", Ran(&["bmerge"], &["b1"])),
            ],
        },
        Case {
            number: 36,
            graph: vec![
                r("a", &[]),
                r("b1", &["a"]),
                r("b2", &["a"]),
                r("b3", &["a"]),
                r("c1", &["b1"]),
                r("c2", &["b2"]),
                r("c3", &["b3"]),
                r("d1", &["c1", "c2", "c3"]),
                r("d2", &["c2"]),
                r("d3", &["c3"]),
            ],
            allow_multiple_heads: true,
            invalid: None,
            ops: vec![
                SetRows(&["d3", "b2", "b1"]),
                Upgrade("d1", Ops(&["UPDATE b2->c2", "UPDATE b1->c1", "DELETE c1", "UPDATE c2->d1"], &["d3", "d1"])),
            ],
        },
        // Sharp edge 7: merging a single head is an error (Alembic writes a plain revision).
        case(37, vec![r("a", &[]), r("b", &["a"])], vec![
            Merge(&["heads"], Fails("nothing to merge: b is the only head")),
        ]),
        case(38, Vec::new(), vec![
            History(Some("base:head"), Ids(&[])),
            Upgrade("head", Ran(&[], &[])),
        ]),
    ]
}

/// The membership of [`feat1`]: the label stops below c1, at b's branch point.
const FEAT1_BRANCHES: &[(&str, &[&str])] = &[
    ("a", &[]),
    ("b", &[]),
    ("c1", &["feat1"]),
    ("c2", &[]),
    ("d1", &["feat1"]),
];

/// `a←b; b←c1←d1; b←c2[c2branch]←d2`, heads d1 and d2.
fn merged_without_e() -> Vec<Revision> {
    let mut g = merged();
    g.truncate(6);
    g
}

/// Alembic's `LabeledBranchTest` map.
fn labeled() -> Vec<Revision> {
    vec![
        r("a", &[]).labels(&["abranch"]),
        r("b", &["a"]),
        r("somelongername", &["b"]),
        r("c", &["somelongername"]),
        r("d", &[]),
        r("e", &["d"]).labels(&["ebranch"]),
        r("someothername", &["e"]),
        r("f", &["someothername"]),
    ]
}

fn check_error(context: &str, result: Result<(), Error>, text: &str) {
    match result {
        Err(e) => assert!(
            e.to_string().contains(text),
            "{context}: expected error containing {text:?}, got {e}"
        ),
        Ok(()) => panic!("{context}: expected error containing {text:?}, got success"),
    }
}

fn ids_check(context: &str, result: Result<Vec<String>, Error>, expect: &Expect<'_>) {
    match expect {
        Expect::Ids(ids) => match result {
            Ok(found) => assert_eq!(found, ids.to_vec(), "{context}"),
            Err(e) => panic!("{context}: unexpected error {e}"),
        },
        Expect::Fails(text) => check_error(context, result.map(|_| ()), text),
        _ => panic!("{context}: this operation lists ids"),
    }
}

#[test]
fn graph_cases() {
    let all = cases();
    let mut numbers: Vec<u32> = all.iter().map(|c| c.number).collect();
    numbers.dedup();
    assert_eq!(
        numbers,
        (1..=38).collect::<Vec<_>>(),
        "every case of GRAPH-CASES.md has a row"
    );
    for case in all {
        let options = GraphOptions {
            allow_multiple_heads: case.allow_multiple_heads,
            ..GraphOptions::default()
        };
        let built = Graph::build(case.graph, &options);
        let graph = match (built, case.invalid) {
            (Err(diagnostics), Some(text)) => {
                let shown = diagnostics.to_string();
                assert!(
                    shown.contains(text),
                    "case {}: expected {text:?} in\n{shown}",
                    case.number
                );
                continue;
            }
            (Ok(_), Some(text)) => panic!(
                "case {}: expected the graph to be rejected with {text:?}",
                case.number
            ),
            (Err(diagnostics), None) => {
                panic!("case {}: graph rejected:\n{diagnostics}", case.number)
            }
            (Ok(graph), None) => graph,
        };
        let mut rows: Vec<String> = Vec::new();
        for (k, op) in case.ops.iter().enumerate() {
            let context = format!("case {} op {}", case.number, k + 1);
            let current: Vec<&str> = rows.iter().map(String::as_str).collect();
            let (plan, expect) = match op {
                Op::SetRows(new) => {
                    rows = new.iter().map(|s| s.to_string()).collect();
                    continue;
                }
                Op::Upgrade(target, expect) => (graph.plan_upgrade(&current, target), expect),
                Op::Downgrade(target, expect) => (graph.plan_downgrade(&current, target), expect),
                Op::Stamp(target, purge, expect) => {
                    (graph.plan_stamp(&current, target, *purge), expect)
                }
                Op::Sql(direction, range, expect) => {
                    (graph.plan_offline(*direction, range), expect)
                }
                Op::Heads(expect) => {
                    ids_check(
                        &context,
                        Ok(graph.heads().iter().map(|s| s.to_string()).collect()),
                        expect,
                    );
                    continue;
                }
                Op::BranchPoints(expect) => {
                    ids_check(
                        &context,
                        Ok(graph
                            .branch_points()
                            .iter()
                            .map(|s| s.to_string())
                            .collect()),
                        expect,
                    );
                    continue;
                }
                Op::Children(id, expect) => {
                    ids_check(
                        &context,
                        Ok(graph
                            .children_of(id)
                            .iter()
                            .map(|s| s.to_string())
                            .collect()),
                        expect,
                    );
                    continue;
                }
                Op::Resolve(target, expect) => {
                    ids_check(
                        &context,
                        graph
                            .resolve(target)
                            .map(|v| v.iter().map(|s| s.to_string()).collect()),
                        expect,
                    );
                    continue;
                }
                Op::History(range, expect) => {
                    ids_check(
                        &context,
                        graph
                            .history(*range)
                            .map(|v| v.iter().map(|r| r.id.clone()).collect()),
                        expect,
                    );
                    continue;
                }
                Op::NewRevision(head, splice, expect) => {
                    ids_check(&context, graph.new_revision_parents(*head, *splice), expect);
                    continue;
                }
                Op::Merge(revs, expect) => {
                    ids_check(&context, graph.merge_parents(revs), expect);
                    continue;
                }
                Op::Branches(expected) => {
                    check_branches(&context, &graph, expected);
                    continue;
                }
            };
            match (plan, expect) {
                (Err(e), Expect::Fails(text)) => {
                    assert!(
                        e.to_string().contains(text),
                        "{context}: expected error containing {text:?}, got {e}"
                    );
                }
                (Ok(plan), Expect::Fails(text)) => {
                    panic!(
                        "{context}: expected error {text:?}, got plan {:?}",
                        plan.steps.iter().map(|s| s.to.clone()).collect::<Vec<_>>()
                    )
                }
                (Err(e), _) => panic!("{context}: unexpected error: {e}"),
                (Ok(plan), Expect::Ran(ran, after)) => {
                    let found: Vec<&str> = plan
                        .steps
                        .iter()
                        .filter_map(|s| s.revision.map(|r| r.id.as_str()))
                        .collect();
                    assert_eq!(found, ran.to_vec(), "{context}: revisions run");
                    assert_eq!(
                        sorted(&plan.heads_after),
                        sorted(after),
                        "{context}: rows after"
                    );
                    rows = plan.heads_after.iter().map(|s| s.to_string()).collect();
                }
                (Ok(plan), Expect::Ops(ops, after)) => {
                    let found: Vec<String> = plan
                        .steps
                        .iter()
                        .flat_map(|s| s.ops.iter().map(op_text))
                        .collect();
                    assert_eq!(
                        found,
                        ops.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                        "{context}: version-table statements"
                    );
                    assert_eq!(
                        sorted(&plan.heads_after),
                        sorted(after),
                        "{context}: rows after"
                    );
                    rows = plan.heads_after.iter().map(|s| s.to_string()).collect();
                }
                (Ok(_), Expect::Ids(_)) => panic!("{context}: a plan is checked with Ran or Ops"),
            }
        }
    }
}

/// Revisions with the branch labels expected to cover each.
type Membership<'a> = &'a [(&'a str, &'a [&'a str])];

fn check_branches(context: &str, graph: &Graph, expected: Membership<'_>) {
    let listed: Vec<&str> = expected.iter().map(|(id, _)| *id).collect();
    let all: Vec<&str> = graph.revisions().iter().map(|r| r.id.as_str()).collect();
    assert_eq!(listed, all, "{context}: list every revision, in load order");
    for (id, labels) in expected {
        assert_eq!(
            graph.branches_of(id),
            labels.to_vec(),
            "{context}: branches of {id}"
        );
        for label in graph.revisions().iter().flat_map(|r| &r.branch_labels) {
            assert_eq!(
                graph.on_branch(id, label),
                labels.contains(&label.as_str()),
                "{context}: on_branch({id}, {label})"
            );
        }
    }
}

/// Branch membership where a revision above the label branches, merges, or has a dependent:
/// each expectation was taken from Alembic 1.20.1 (`RevisionMap` after `_add_branches`).
#[test]
fn branch_membership_beyond_the_cases() {
    let cases: Vec<(&str, Vec<Revision>, Membership<'static>)> = vec![
        (
            "a branch point above the label stops the walk below it",
            vec![
                r("a", &[]),
                r("r", &["a"]).labels(&["L"]),
                r("x", &["r"]),
                r("y1", &["x"]),
                r("y2", &["x"]),
            ],
            &[
                ("a", &[]),
                ("r", &["L"]),
                ("x", &["L"]),
                ("y1", &["L"]),
                ("y2", &["L"]),
            ],
        ),
        (
            "a merge above the label stops the walk below it",
            vec![
                r("a", &[]),
                r("r", &["a"]).labels(&["L"]),
                r("s", &[]),
                r("m", &["r", "s"]),
            ],
            &[("a", &[]), ("r", &["L"]), ("s", &[]), ("m", &["L"])],
        ),
        (
            "a head with one dependent is still plain",
            vec![
                r("a", &[]),
                r("r", &["a"]).labels(&["L"]),
                r("x", &["r"]),
                r("z", &[]),
                r("w", &["z"]).depends(&["x"]),
            ],
            &[
                ("a", &["L"]),
                ("r", &["L"]),
                ("x", &["L"]),
                ("z", &[]),
                ("w", &[]),
            ],
        ),
        (
            "a child and a dependent make a branch point",
            vec![
                r("a", &[]),
                r("r", &["a"]).labels(&["L"]),
                r("x", &["r"]),
                r("y", &["x"]),
                r("z", &[]),
                r("w", &["z"]).depends(&["x"]),
            ],
            &[
                ("a", &[]),
                ("r", &["L"]),
                ("x", &["L"]),
                ("y", &["L"]),
                ("z", &[]),
                ("w", &[]),
            ],
        ),
        (
            "down to, not including, the nearest branch point",
            vec![
                r("a", &[]),
                r("b", &["a"]),
                r("c", &["b"]),
                r("d", &["c"]).labels(&["L"]),
                r("e", &["d"]),
                r("o", &["b"]),
            ],
            &[
                ("a", &[]),
                ("b", &[]),
                ("c", &["L"]),
                ("d", &["L"]),
                ("e", &["L"]),
                ("o", &[]),
            ],
        ),
        (
            "own labels first, then by load order",
            vec![
                r("a", &[]).labels(&["A"]),
                r("b", &["a"]),
                r("c", &["b"]).labels(&["C", "C2"]),
                r("d", &["c"]),
                r("e", &["b"]),
            ],
            &[
                ("a", &["A"]),
                ("b", &["A"]),
                ("c", &["C", "C2", "A"]),
                ("d", &["A", "C", "C2"]),
                ("e", &["A"]),
            ],
        ),
        (
            "a label on a merge",
            vec![
                r("a", &[]),
                r("b1", &["a"]),
                r("b2", &["a"]),
                r("m", &["b1", "b2"]).labels(&["M"]),
                r("n", &["m"]),
            ],
            &[
                ("a", &[]),
                ("b1", &[]),
                ("b2", &[]),
                ("m", &["M"]),
                ("n", &["M"]),
            ],
        ),
    ];
    for (name, revisions, expected) in cases {
        let options = GraphOptions {
            allow_multiple_heads: true,
            ..GraphOptions::default()
        };
        let graph = Graph::build(revisions, &options).unwrap();
        check_branches(name, &graph, expected);
    }
}

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// A random valid history of up to `max` revisions: bases, merges (of two earlier revisions),
/// dependencies (on an id or a label) and labels (one or two per labelled revision).
fn generated(rng: &mut Rng, max: usize) -> Graph {
    let n = 1 + rng.below(max);
    let mut revisions: Vec<Revision> = Vec::new();
    let mut labels: Vec<String> = Vec::new();
    for i in 0..n {
        let id = format!("r{i}");
        let downs: Vec<String> = if i == 0 || rng.chance(12) {
            Vec::new()
        } else if i >= 2 && rng.chance(20) {
            let a = rng.below(i);
            let mut b = rng.below(i - 1);
            if b >= a {
                b += 1;
            }
            vec![format!("r{a}"), format!("r{b}")]
        } else {
            vec![format!("r{}", rng.below(i))]
        };
        let deps: Vec<String> = if i >= 1 && rng.chance(20) {
            if !labels.is_empty() && rng.chance(30) {
                vec![labels[rng.below(labels.len())].clone()]
            } else {
                vec![format!("r{}", rng.below(i))]
            }
        } else {
            Vec::new()
        };
        let mut own: Vec<String> = Vec::new();
        if rng.chance(30) {
            own.push(format!("L{i}"));
            if rng.chance(20) {
                own.push(format!("M{i}"));
            }
        }
        labels.extend(own.iter().cloned());
        let downs: Vec<&str> = downs.iter().map(String::as_str).collect();
        let deps: Vec<&str> = deps.iter().map(String::as_str).collect();
        let own: Vec<&str> = own.iter().map(String::as_str).collect();
        revisions.push(r(&id, &downs).depends(&deps).labels(&own));
    }
    let options = GraphOptions {
        allow_multiple_heads: true,
        ..GraphOptions::default()
    };
    Graph::build(revisions, &options).unwrap()
}

/// Alembic's `RevisionMap._add_branches`, step by step: for each labelled revision, its labels
/// (as they stand then) go to every descendant through `down_revision`, then down from the
/// last descendant the depth-first search reached, until a branch point (counting dependents)
/// or a merge.
fn alembic_add_branches(graph: &Graph) -> Vec<std::collections::BTreeSet<String>> {
    use std::collections::BTreeSet;
    let index = |id: &str| graph.index_of(id).unwrap();
    let mut labels: Vec<BTreeSet<String>> = graph
        .revisions()
        .iter()
        .map(|r| r.branch_labels.iter().cloned().collect())
        .collect();
    let real_branch_point =
        |id: &str| graph.children_of(id).len() + graph.dependents_of(id).len() > 1;
    for (i, revision) in graph.revisions().iter().enumerate() {
        if revision.branch_labels.is_empty() {
            continue;
        }
        let these = labels[i].clone();
        let mut seen = vec![false; graph.len()];
        let mut stack = vec![i];
        let mut last = i;
        while let Some(x) = stack.pop() {
            if std::mem::replace(&mut seen[x], true) {
                continue;
            }
            let id = &graph.revisions()[x].id;
            stack.extend(graph.children_of(id).iter().map(|c| index(c)));
            labels[x].extend(these.iter().cloned());
            last = x;
        }
        let mut parent = last;
        loop {
            let p = &graph.revisions()[parent];
            if real_branch_point(&p.id) || p.down_revisions.len() > 1 {
                break;
            }
            labels[parent].extend(these.iter().cloned());
            match p.down_revisions.first() {
                Some(down) => parent = index(down),
                None => break,
            }
        }
    }
    labels
}

#[test]
fn branch_membership_matches_alembics_walk_on_generated_graphs() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for round in 0..3000 {
        let graph = generated(&mut rng, if round % 3 == 0 { 45 } else { 14 });
        let expected = alembic_add_branches(&graph);
        for (revision, want) in graph.revisions().iter().zip(&expected) {
            let got = graph.branches_of(&revision.id);
            let got_set: std::collections::BTreeSet<String> =
                got.iter().map(|s| s.to_string()).collect();
            assert_eq!(
                got.len(),
                got_set.len(),
                "round {round}: {} lists a label twice",
                revision.id
            );
            assert_eq!(&got_set, want, "round {round}: branches of {}", revision.id);
        }
    }
}

/// Membership stays near-linear on a long history with many labels: 60,000 revisions with a
/// label every 4 (Alembic's walk, and aludel's former one, visit everything above each
/// labelled revision: 15,000 × 60,000 steps).
#[test]
fn branch_membership_scales_to_many_labels() {
    let n = 60_000;
    let mut revisions = vec![r("r0", &[])];
    for i in 1..n {
        let mut revision = r(&format!("r{i}"), &[&format!("r{}", i - 1)]);
        if i % 4 == 0 {
            revision = revision.labels(&[&format!("L{i}")]);
        }
        revisions.push(revision);
    }
    // A branch point at the top: no revision below it is in a plain chain.
    revisions.push(r("top", &[&format!("r{}", n - 1)]).labels(&["T"]));
    revisions.push(r("side", &[&format!("r{}", n - 1)]));
    let options = GraphOptions {
        allow_multiple_heads: true,
        ..GraphOptions::default()
    };
    let graph = Graph::build(revisions, &options).unwrap();
    let started = std::time::Instant::now();
    assert_eq!(graph.branches_of("r5"), ["L4"]);
    assert_eq!(graph.branches_of("r0"), Vec::<&str>::new());
    let top = graph.branches_of("top");
    assert_eq!(top.len(), (n - 1) / 4 + 1);
    assert_eq!(top[0], "T");
    assert_eq!(top[1], "L4");
    assert!(graph.on_branch("side", &format!("L{}", n - 4)));
    assert!(!graph.on_branch("side", "T"));
    assert!(!graph.on_branch("r3", "L4"));
    let elapsed = started.elapsed();
    assert!(
        elapsed < std::time::Duration::from_secs(20),
        "membership took {elapsed:?}"
    );
}

/// The ids `graph.below(id)` lists, checked against `history(base:<id>)`.
fn assert_below_is_history_from_base(context: &str, graph: &Graph) {
    for (i, revision) in graph.revisions().iter().enumerate() {
        let id = revision.id.as_str();
        let ids = |v: Vec<&Revision>| v.iter().map(|r| r.id.clone()).collect::<Vec<_>>();
        let via_target = ids(graph.history(Some(&format!("base:{id}"))).unwrap());
        let below = ids(graph.below(id).unwrap());
        assert_eq!(below, via_target, "{context}: below({id})");
        assert_eq!(
            ids(graph.below_at(i).unwrap()),
            below,
            "{context}: below_at({i})"
        );
    }
    assert!(graph.below("no such revision").is_none());
    assert!(graph.below_at(graph.len()).is_none());
}

#[test]
fn below_is_history_from_base_on_generated_graphs() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    for round in 0..400 {
        let graph = generated(&mut rng, 60);
        assert_below_is_history_from_base(&format!("round {round}"), &graph);
    }
}

/// The real histories of `shared/corpora/alembic-graphs` (beside the repository): `below`
/// equals `history(base:<id>)` for every revision, and each branch label covers as many
/// revisions as Alembic 1.20.1 gives it (neutron's expand/contract branches, aiida's three
/// labelled roots; no revision there carries two labels).
#[test]
fn below_and_branches_on_the_corpora() {
    let Some(dir) = corpus("alembic-graphs") else {
        return;
    };
    let corpora: [(&str, &[(&str, usize)]); 4] = [
        ("superset", &[]),
        ("neutron", &[("contract", 19), ("expand", 112)]),
        ("warehouse", &[]),
        (
            "aiida-core-psql_dos",
            &[("django", 51), ("main", 2), ("sqlalchemy", 51)],
        ),
    ];
    for (name, label_counts) in corpora {
        let path = dir.join(format!("{name}.json"));
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("the corpora are missing at {}: {e}", path.display()));
        let graph = corpus_graph(&text);
        assert!(graph.len() > 100, "{name}: {} revisions", graph.len());
        assert_below_is_history_from_base(name, &graph);
        let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
        for revision in graph.revisions() {
            let labels = graph.branches_of(&revision.id);
            assert!(labels.len() <= 1, "{name}: {} has {labels:?}", revision.id);
            for label in labels {
                *counts.entry(label).or_default() += 1;
            }
        }
        assert_eq!(
            counts.into_iter().collect::<Vec<_>>(),
            label_counts.to_vec(),
            "{name}"
        );
    }
}

/// Just enough JSON for the corpora: objects, arrays, strings, and bare words (numbers, null).
#[derive(Debug)]
enum Json {
    Object(Vec<(String, Json)>),
    Array(Vec<Json>),
    Str(String),
    Other,
}

impl Json {
    fn parse(text: &str) -> Json {
        let mut chars = text.chars().peekable();
        let value = Json::value(&mut chars);
        assert!(
            chars.all(char::is_whitespace),
            "trailing text after the JSON value"
        );
        value
    }

    fn value(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Json {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        match chars.next() {
            Some('{') => {
                let mut fields = Vec::new();
                loop {
                    while chars.next_if(|c| c.is_whitespace() || *c == ',').is_some() {}
                    if chars.next_if_eq(&'}').is_some() {
                        return Json::Object(fields);
                    }
                    let Json::Str(key) = Json::value(chars) else {
                        panic!("an object key is a string")
                    };
                    while chars.next_if(|c| c.is_whitespace() || *c == ':').is_some() {}
                    fields.push((key, Json::value(chars)));
                }
            }
            Some('[') => {
                let mut items = Vec::new();
                loop {
                    while chars.next_if(|c| c.is_whitespace() || *c == ',').is_some() {}
                    if chars.next_if_eq(&']').is_some() {
                        return Json::Array(items);
                    }
                    items.push(Json::value(chars));
                }
            }
            Some('"') => {
                let mut s = String::new();
                loop {
                    match chars.next().expect("an unterminated string") {
                        '"' => return Json::Str(s),
                        '\\' => match chars.next().expect("an unterminated escape") {
                            'n' => s.push('\n'),
                            't' => s.push('\t'),
                            'u' => {
                                let hex: String = chars.by_ref().take(4).collect();
                                let code = u32::from_str_radix(&hex, 16).unwrap();
                                s.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                            }
                            other => s.push(other),
                        },
                        c => s.push(c),
                    }
                }
            }
            Some(_) => {
                while chars
                    .next_if(|c| !matches!(c, ',' | ']' | '}') && !c.is_whitespace())
                    .is_some()
                {}
                Json::Other
            }
            None => panic!("unexpected end of JSON"),
        }
    }

    fn get(&self, key: &str) -> &Json {
        match self {
            Json::Object(fields) => fields
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v)
                .unwrap_or_else(|| panic!("no field {key}")),
            _ => panic!("not an object"),
        }
    }

    fn items(&self) -> &[Json] {
        match self {
            Json::Array(items) => items,
            _ => panic!("not an array"),
        }
    }

    fn str(&self) -> &str {
        match self {
            Json::Str(s) => s,
            _ => panic!("not a string"),
        }
    }

    fn strs(&self) -> Vec<&str> {
        self.items().iter().map(Json::str).collect()
    }
}

fn corpus_graph(text: &str) -> Graph {
    let json = Json::parse(text);
    let revisions: Vec<Revision> = json
        .get("revisions")
        .items()
        .iter()
        .map(|rev| {
            r(rev.get("revision").str(), &rev.get("down_revisions").strs())
                .labels(&rev.get("branch_labels").strs())
                .depends(&rev.get("depends_on").strs())
        })
        .collect();
    Graph::build(revisions, &GraphOptions::default()).unwrap()
}
