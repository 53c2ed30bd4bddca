//! The 38 scenarios of `shared/design/GRAPH-CASES.md`, one row each.
//!
//! Each case builds a graph, then runs a list of operations against a simulated version table
//! (`rows`), checking what ran, the rows afterwards, or the error. Where aludel deliberately
//! differs from Alembic (the "sharp edges"), the row asserts aludel's behaviour and says so.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking

use aludel_graph::{Direction, Error, Graph, GraphOptions, Revision, VersionOp};

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
            // Sharp edge 5: `-1` from a merge names the parents to choose from.
            Downgrade("-1", Fails("Ambiguous walk: e has several parents: c2, d1; name one of them as the target")),
            Downgrade("b", Ran(&["e", "c2", "d1", "c1"], &["b"])),
        ]),
        case(15, feat1(), vec![
            BranchPoints(Ids(&["b"])),
            Children("b", Ids(&["c1", "c2"])),
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
