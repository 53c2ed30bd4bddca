//! Real histories from large Alembic projects (`shared/corpora/alembic-graphs/`): Superset,
//! Neutron (labelled expand/contract branches, cross-branch depends_on, non-hex ids),
//! Warehouse and aiida (three labelled roots).
//!
//! Each graph must validate; heads and bases must be Alembic's; history and the upgrade plan
//! must be valid orders; replaying the plan's version-table statements must leave exactly the
//! heads; the full downgrade must empty the table. When `ALUDEL_ALEMBIC_ORACLE` names a
//! directory written by `scripts/alembic_oracle.py` (real Alembic, run by `scripts/test.sh`),
//! every fact is compared with Alembic's own answer; without it the comparison is skipped
//! with a note, or fails under `ALUDEL_TEST_REQUIRE_ALEMBIC=1`. Without the corpora (a clone
//! without `../shared`) the tests are skipped with a note, or fail under
//! `ALUDEL_TEST_REQUIRE_CORPORA=1`.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use aludel_graph::{Graph, GraphOptions, Plan, Revision, VersionOp};
use serde_json::Value;

const CORPORA: [&str; 4] = ["superset", "neutron", "warehouse", "aiida-core-psql_dos"];

#[path = "../../graph/tests/support/corpora.rs"]
mod corpora;

/// The directory of the Alembic graphs, or `None` with a note when the corpora are absent.
fn corpora_dir() -> Option<PathBuf> {
    corpora::corpus("alembic-graphs")
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn load(dir: &Path, name: &str) -> (Graph, Value) {
    let path = dir.join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let json: Value = serde_json::from_str(&text).unwrap();
    let revisions: Vec<Revision> = json["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let id = r["revision"].as_str().unwrap();
            let downs = strings(&r["down_revisions"]);
            let downs: Vec<&str> = downs.iter().map(String::as_str).collect();
            let labels = strings(&r["branch_labels"]);
            let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
            let deps = strings(&r["depends_on"]);
            let deps: Vec<&str> = deps.iter().map(String::as_str).collect();
            let mut revision = Revision::new(id, &downs).labels(&labels).depends(&deps);
            revision.message = r["message"].as_str().unwrap_or_default().to_string();
            revision
        })
        .collect();
    let graph = Graph::build(revisions, &GraphOptions::default())
        .unwrap_or_else(|d| panic!("{name} does not validate:\n{d}"));
    (graph, json)
}

/// Every revision appears once, after everything it depends on (parents and dependencies).
fn assert_upward_order(name: &str, graph: &Graph, order: &[&str]) {
    let position: HashMap<&str, usize> = order.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    assert_eq!(
        position.len(),
        order.len(),
        "{name}: a revision appears twice"
    );
    assert_eq!(
        order.len(),
        graph.len(),
        "{name}: not every revision appears"
    );
    for revision in graph.revisions() {
        let me = position[revision.id.as_str()];
        for parent in revision.down_revisions.iter().chain(&revision.depends_on) {
            let parent = graph
                .get(parent)
                .map(|p| p.id.as_str())
                .or_else(|| graph.by_label(parent).map(|p| p.id.as_str()))
                .unwrap();
            assert!(
                position[parent] < me,
                "{name}: {} comes before its parent or dependency {parent}",
                revision.id
            );
        }
    }
}

fn replay(rows: &mut BTreeSet<String>, plan: &Plan<'_>) -> Vec<BTreeSet<String>> {
    let mut after = Vec::new();
    for step in &plan.steps {
        for op in &step.ops {
            match op {
                VersionOp::Insert(v) => {
                    assert!(rows.insert(v.clone()), "INSERT of existing row {v}")
                }
                VersionOp::Delete(v) => assert!(rows.remove(v), "DELETE of missing row {v}"),
                VersionOp::Update { from, to } => {
                    assert!(rows.remove(from), "UPDATE of missing row {from}");
                    assert!(rows.insert(to.clone()), "UPDATE onto existing row {to}");
                }
            }
        }
        after.push(rows.clone());
    }
    after
}

/// Real Alembic's facts about corpus `name` from `ALUDEL_ALEMBIC_ORACLE`; without it the
/// comparison is skipped with a note, or fails under `ALUDEL_TEST_REQUIRE_ALEMBIC=1`.
fn oracle(name: &str) -> Option<Value> {
    let Some(dir) = std::env::var_os("ALUDEL_ALEMBIC_ORACLE") else {
        assert!(
            std::env::var("ALUDEL_TEST_REQUIRE_ALEMBIC").as_deref() != Ok("1"),
            "{name}: ALUDEL_ALEMBIC_ORACLE is not set but ALUDEL_TEST_REQUIRE_ALEMBIC=1 \
             (scripts/test.sh sets it after running scripts/alembic_oracle.py with real Alembic)"
        );
        eprintln!(
            "note: {name}: the comparison with real Alembic is skipped: ALUDEL_ALEMBIC_ORACLE is \
             not set (scripts/test.sh sets it when it has Alembic)"
        );
        return None;
    };
    let path = PathBuf::from(dir).join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "ALUDEL_ALEMBIC_ORACLE is set but {} cannot be read: {e}",
            path.display()
        )
    });
    Some(serde_json::from_str(&text).unwrap())
}

#[test]
fn corpora_validate_and_plan() {
    let Some(dir) = corpora_dir() else {
        return;
    };
    for name in CORPORA {
        let (graph, json) = load(&dir, name);
        assert_eq!(graph.len(), json["revisions"].as_array().unwrap().len());

        let history: Vec<&str> = graph
            .history(None)
            .unwrap()
            .iter()
            .map(|r| r.id.as_str())
            .collect();
        let mut upward = history.clone();
        upward.reverse();
        assert_upward_order(name, &graph, &upward);

        let up = graph.plan_upgrade(&[], "heads").unwrap();
        let order: Vec<&str> = up
            .steps
            .iter()
            .map(|s| s.revision.unwrap().id.as_str())
            .collect();
        assert_upward_order(name, &graph, &order);
        let mut rows = BTreeSet::new();
        let up_rows = replay(&mut rows, &up);
        let heads: BTreeSet<String> = graph.heads().iter().map(|s| s.to_string()).collect();
        assert_eq!(rows, heads, "{name}: rows after upgrade heads");
        // Nothing left to do.
        let current: Vec<&str> = up.heads_after.clone();
        assert!(
            graph.plan_upgrade(&current, "heads").unwrap().is_empty(),
            "{name}: upgrade is not idempotent"
        );

        let down = graph.plan_downgrade(&current, "base").unwrap();
        assert_eq!(
            down.steps.len(),
            graph.len(),
            "{name}: downgrade to base reverts everything"
        );
        let down_rows = replay(&mut rows, &down);
        assert!(
            rows.is_empty(),
            "{name}: rows left after downgrade base: {rows:?}"
        );

        if let Some(alembic) = oracle(name) {
            let set = |v: &Value| strings(v).into_iter().collect::<BTreeSet<_>>();
            assert_eq!(
                graph
                    .heads()
                    .iter()
                    .map(|s| s.to_string())
                    .collect::<BTreeSet<_>>(),
                set(&alembic["heads"]),
                "{name}: heads differ from Alembic"
            );
            assert_eq!(
                graph
                    .bases()
                    .iter()
                    .map(|s| s.to_string())
                    .collect::<BTreeSet<_>>(),
                set(&alembic["bases"]),
                "{name}: bases differ from Alembic"
            );
            assert_eq!(
                history,
                strings(&alembic["history"]),
                "{name}: history order differs from Alembic"
            );
            let steps = alembic["upgrade"].as_array().unwrap();
            let alembic_order: Vec<String> = steps
                .iter()
                .map(|s| s["revision"].as_str().unwrap().to_string())
                .collect();
            assert_eq!(
                order, alembic_order,
                "{name}: upgrade order differs from Alembic"
            );
            for (k, step) in steps.iter().enumerate() {
                assert_eq!(
                    up_rows[k],
                    set(&step["versions_after"]),
                    "{name}: rows after upgrade step {} ({})",
                    k + 1,
                    alembic_order[k]
                );
                if !step["ops_order_may_vary"].as_bool().unwrap_or(true) {
                    let ops: Vec<Value> = up.steps[k].ops.iter().map(op_json).collect();
                    assert_eq!(
                        &Value::Array(ops),
                        &step["ops"],
                        "{name}: statements of upgrade step {}",
                        k + 1
                    );
                }
            }
            let steps = alembic["downgrade"].as_array().unwrap();
            let alembic_order: Vec<String> = steps
                .iter()
                .map(|s| s["revision"].as_str().unwrap().to_string())
                .collect();
            let down_order: Vec<&str> = down
                .steps
                .iter()
                .map(|s| s.revision.unwrap().id.as_str())
                .collect();
            assert_eq!(
                down_order, alembic_order,
                "{name}: downgrade order differs from Alembic"
            );
            for (k, step) in steps.iter().enumerate() {
                assert_eq!(
                    down_rows[k],
                    set(&step["versions_after"]),
                    "{name}: rows after downgrade step {} ({})",
                    k + 1,
                    alembic_order[k]
                );
            }
        }
    }
}

fn op_json(op: &VersionOp) -> Value {
    match op {
        VersionOp::Insert(v) => serde_json::json!({"op": "insert", "version": v}),
        VersionOp::Delete(v) => serde_json::json!({"op": "delete", "version": v}),
        VersionOp::Update { from, to } => {
            serde_json::json!({"op": "update", "from": from, "to": to})
        }
    }
}

#[test]
fn corpus_specifics() {
    let Some(dir) = corpora_dir() else {
        return;
    };
    let (neutron, _) = load(&dir, "neutron");
    assert_eq!(
        neutron.heads().len(),
        2,
        "neutron: the expand and contract heads"
    );
    assert!(neutron.get("kilo").is_some() && neutron.bases() == vec!["kilo"]);
    assert!(neutron.revisions().iter().any(|r| !r.depends_on.is_empty()));
    // Branch-relative targets work on labelled branches.
    for label in ["expand", "contract"] {
        if neutron.by_label(label).is_some() {
            let head = neutron.resolve(&format!("{label}@head")).unwrap();
            assert_eq!(head.len(), 1);
            assert!(neutron.heads().contains(&head[0]));
        }
    }
    let (aiida, _) = load(&dir, "aiida-core-psql_dos");
    assert_eq!(aiida.bases().len(), 3, "aiida: three labelled roots");
    let (superset, _) = load(&dir, "superset");
    assert_eq!(superset.len(), 336);
    assert!(
        superset
            .revisions()
            .iter()
            .filter(|r| r.down_revisions.len() > 1)
            .count()
            >= 32
    );
    assert_eq!(superset.heads().len(), 1);
}
