//! One history over two databases (Alembic's multidb): the application's SQLite file, through
//! diesel's sync connection, and an analytics PostgreSQL database, through diesel-async.
//!
//! `aludel.toml` names the two databases; each revision's sections say where they run
//! (`-- upgrade main`, `-- upgrade analytics`, or `-- upgrade` for both), and the macro
//! checks those names while the crate compiles. At startup the program migrates both in one
//! run, revision by revision, then records a user in one and an event in the other.
//!
//! `MAIN_DATABASE` is the SQLite file (`main.db` by default); `ANALYTICS_URL` the PostgreSQL
//! database (`postgres://...`).

use std::process::ExitCode;

use diesel::{Connection, RunQueryDsl};

static MIGRATIONS: aludel::Migrations = aludel::embed_migrations!();

async fn run() -> Result<(), String> {
    let main_path = std::env::var("MAIN_DATABASE").unwrap_or_else(|_| "main.db".to_string());
    let analytics_url = std::env::var("ANALYTICS_URL")
        .map_err(|_| "ANALYTICS_URL is not set (postgres://...)".to_string())?;
    let shown = mask(&analytics_url);
    let mut main = diesel::SqliteConnection::establish(&main_path)
        .map_err(|e| format!("cannot open {main_path}: {e}"))?;
    let mut analytics =
        <diesel_async::AsyncPgConnection as diesel_async::AsyncConnection>::establish(
            &analytics_url,
        )
        .await
        .map_err(|e| format!("cannot connect to {shown}: {e}"))?;

    let reports = MIGRATIONS
        .databases()
        .sync("main", &mut main)
        .on_async("analytics", &mut analytics)
        .run_pending()
        .await
        .map_err(|e| format!("migrating failed: {e}"))?;
    for (database, report) in &reports {
        for step in &report.steps {
            println!(
                "{database}: applied {} in {:.1?}",
                step.revision, step.duration
            );
        }
        println!("{database} is at {}", report.heads_after.join(", "));
    }

    // The work: a user in the application's database, an event about it in analytics.
    let user: i32 = diesel::select(diesel::dsl::sql::<diesel::sql_types::Integer>(
        "COALESCE((SELECT MAX(id) FROM users), 0) + 1",
    ))
    .get_result(&mut main)
    .map_err(|e| e.to_string())?;
    diesel::sql_query(format!(
        "INSERT INTO users (id, name) VALUES ({user}, 'user {user}')"
    ))
    .execute(&mut main)
    .map_err(|e| e.to_string())?;
    diesel_async::RunQueryDsl::execute(
        diesel::sql_query(format!(
            "INSERT INTO events (kind, user_id) VALUES ('signed_up', {user})"
        )),
        &mut analytics,
    )
    .await
    .map_err(|e| e.to_string())?;
    println!("user {user} signed up");
    Ok(())
}

/// The URL with its password replaced by `***`, for messages.
fn mask(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}
