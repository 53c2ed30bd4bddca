//! Offline SQL scripts (`upgrade --sql`): what a DBA runs instead of a live migration.

use std::fmt::Write;

use aludel_graph::sql::Dialect;
use aludel_graph::{Direction, Plan};

use crate::db::Tables;

/// The script of a plan: the version table's `CREATE TABLE` when the plan starts from an empty
/// database, then per revision a `-- Running upgrade a -> b` comment, its SQL and its
/// version-table statements, inside `BEGIN;`/`COMMIT;` unless it is `transactional: false`.
///
/// `sql` holds, step by step, what each revision runs: its file's section, or what a Rust
/// revision's function recorded.
pub(crate) fn script(
    tables: &Tables,
    direction: Direction,
    plan: &Plan<'_>,
    sql: &[String],
) -> String {
    let dialect = tables.dialect;
    let begin = match dialect {
        Dialect::Mysql => "START TRANSACTION;",
        _ => "BEGIN;",
    };
    let mut out = String::new();
    if plan.heads_before.is_empty() && direction == Direction::Upgrade {
        let _ = writeln!(out, "{};\n", tables.create_version_table());
    }
    for (i, step) in plan.steps.iter().enumerate() {
        let Some(revision) = step.revision else {
            continue;
        };
        let word = match direction {
            Direction::Upgrade => "upgrade",
            Direction::Downgrade => "downgrade",
        };
        let sql = sql.get(i).map_or("", String::as_str);
        let _ = writeln!(
            out,
            "-- Running {word} {} -> {} ({})",
            step.from.join(", "),
            step.to.join(", "),
            revision.source.path
        );
        if revision.transactional {
            let _ = writeln!(out, "{begin}");
        }
        if !sql.trim().is_empty() {
            out.push_str(sql.trim_end());
            out.push('\n');
        }
        for op in &step.ops {
            let _ = writeln!(out, "{};", tables.version_statement(op));
        }
        if revision.transactional {
            let _ = writeln!(out, "COMMIT;");
        }
        out.push('\n');
    }
    out
}
