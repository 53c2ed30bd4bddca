//! aludel's quickstart: embeds `migrations/versions` at compile time (a broken history would
//! not compile), shows the validated history, and brings the SQLite file named by
//! `DATABASE_URL` (default `quickstart.db`) up to date. Run it twice: the second run finds
//! nothing to do.

use std::process::ExitCode;

use diesel::{Connection, SqliteConnection};

static MIGRATIONS: aludel::Migrations = aludel::embed_migrations!("../../migrations/versions");

fn run() -> Result<(), String> {
    let database = std::env::var("DATABASE_URL").unwrap_or_else(|_| "quickstart.db".to_string());
    println!(
        "Embedded history ({} revisions, validated at compile time), newest first:",
        MIGRATIONS.len()
    );
    for revision in MIGRATIONS.history() {
        let parents: Vec<&str> = revision.down_revisions().collect();
        let parents = if parents.is_empty() {
            "<base>".to_string()
        } else {
            parents.join(", ")
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
    let mut conn = SqliteConnection::establish(&database)
        .map_err(|e| format!("cannot open {database}: {e}"))?;
    let report = MIGRATIONS
        .run_pending(&mut conn)
        .map_err(|e| e.to_string())?;
    println!();
    if report.is_empty() {
        println!("{database} is up to date.");
    } else {
        println!("Upgraded {database}:");
        for step in &report.steps {
            println!("  {} ({:.1?})", step.revision, step.duration);
        }
    }
    println!("Current revision: {}", report.heads_after.join(", "));
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}
