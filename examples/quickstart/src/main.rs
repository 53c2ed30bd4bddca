//! aludel's quickstart: embeds `migrations/versions` at compile time (a broken history would not
//! compile), then shows the validated history and the plan for the SQLite file named by
//! `DATABASE_URL` (default `quickstart.db`).
//!
//! Applying the plan to the file is the runtime's job (`MIGRATIONS.run_pending(&mut conn)`),
//! which lands with the runtime; until then the quickstart prints what it would run.

use aludel::graph::VersionOp;

static MIGRATIONS: aludel::Migrations = aludel::embed_migrations!("../../migrations/versions");

fn main() {
    let database = std::env::var("DATABASE_URL").unwrap_or_else(|_| "quickstart.db".to_string());
    println!(
        "Embedded history ({} revisions, validated at compile time), newest first:",
        MIGRATIONS.len()
    );
    for revision in MIGRATIONS.history() {
        let parents = if revision.down_revisions().is_empty() {
            "<base>".to_string()
        } else {
            revision.down_revisions().join(", ")
        };
        let head = if MIGRATIONS.heads().contains(&revision.id()) {
            " (head)"
        } else {
            ""
        };
        println!(
            "  {parents} -> {}{head}, {}",
            revision.id(),
            revision.message()
        );
    }
    let plan = match MIGRATIONS.graph().plan_upgrade(&[], "heads") {
        Ok(plan) => plan,
        Err(err) => {
            eprintln!("error: {err}");
            std::process::exit(1);
        }
    };
    println!();
    println!("Upgrade plan for a new database {database}:");
    for step in &plan.steps {
        let ops: Vec<String> = step
            .ops
            .iter()
            .map(|op| match op {
                VersionOp::Insert(v) => format!("INSERT {v}"),
                VersionOp::Update { from, to } => format!("UPDATE {from} -> {to}"),
                VersionOp::Delete(v) => format!("DELETE {v}"),
            })
            .collect();
        let revision = step.revision.map_or("", |r| r.id.as_str());
        println!("  upgrade {revision}: alembic_version {}", ops.join("; "));
    }
    println!();
    println!("The database ends at: {}", plan.heads_after.join(", "));
}
