//! Offline SQL scripts (`upgrade --sql`): what a DBA runs instead of a live migration.

use std::fmt::Write;

use aludel_graph::sql::Dialect;
use aludel_graph::{Direction, Plan};

use crate::db::Tables;

/// The script of a plan: the version table's `CREATE TABLE` when the plan starts from an empty
/// database, then per revision a `-- Running upgrade a -> b` comment, its SQL and its
/// version-table statements, inside `BEGIN;`/`COMMIT;` unless it is `transactional: false`.
///
/// `rendered` holds, step by step, the SQL a Rust revision's function recorded (`None` for an
/// SQL revision, whose SQL is its file's).
pub(crate) fn script(
    tables: &Tables,
    direction: Direction,
    plan: &Plan<'_>,
    rendered: &[Option<String>],
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
        let (word, sql) = match direction {
            Direction::Upgrade => ("upgrade", revision.upgrade.as_str()),
            Direction::Downgrade => ("downgrade", revision.downgrade.as_deref().unwrap_or("")),
        };
        let sql = match rendered.get(i) {
            Some(Some(rendered)) => rendered.as_str(),
            _ => sql,
        };
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
