//! A service that migrates its database at startup, as every replica of a web service would,
//! then does its work against the migrated schema.
//!
//! Its history (`migrations/versions`) mixes SQL and Rust revisions: the second adds a handle
//! to every user, computed in Rust from the user's name and written with typed diesel queries
//! in the revision's transaction.
//!
//! `DATABASE_URL` names the database: an SQLite file (`service.db` by default, also
//! `sqlite://path`) or PostgreSQL (`postgres://...`). Any number of copies may start at once:
//! one migrates, the others wait and find nothing to do.

use std::process::ExitCode;

use diesel::prelude::*;

static MIGRATIONS: aludel::Migrations = aludel::embed_migrations!("migrations/versions");

diesel::table! {
    users (id) {
        id -> Integer,
        name -> Text,
        email -> Nullable<Text>,
        handle -> Text,
    }
}

diesel::table! {
    posts (id) {
        id -> Integer,
        user_id -> Integer,
        title -> Text,
        body -> Text,
    }
}

diesel::joinable!(posts -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(users, posts);

/// The service's work: registers a user with a post and reports what the database holds.
macro_rules! work {
    ($conn:expr) => {{
        let conn = $conn;
        conn.transaction::<_, diesel::result::Error, _>(|conn| {
            let next_user: i32 = users::table
                .select(diesel::dsl::max(users::id))
                .first::<Option<i32>>(conn)?
                .unwrap_or(0)
                + 1;
            diesel::insert_into(users::table)
                .values((
                    users::id.eq(next_user),
                    users::name.eq(format!("user {next_user}")),
                    users::email.eq(format!("user{next_user}@example.com")),
                    users::handle.eq(format!("user-{next_user}")),
                ))
                .execute(conn)?;
            let next_post: i32 = posts::table
                .select(diesel::dsl::max(posts::id))
                .first::<Option<i32>>(conn)?
                .unwrap_or(0)
                + 1;
            diesel::insert_into(posts::table)
                .values((
                    posts::id.eq(next_post),
                    posts::user_id.eq(next_user),
                    posts::title.eq("hello"),
                    posts::body.eq("first post"),
                ))
                .execute(conn)?;
            let rows: Vec<(String, String)> = posts::table
                .inner_join(users::table)
                .select((users::name, posts::title))
                .order(posts::id)
                .load(conn)?;
            Ok(rows)
        })
    }};
}

fn run() -> Result<(), String> {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "service.db".to_string());
    let shown = aludel_mask(&url);
    let rows = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let mut conn =
            PgConnection::establish(&url).map_err(|e| format!("cannot connect to {shown}: {e}"))?;
        startup(&mut conn, &shown)?;
        work!(&mut conn)
    } else {
        let path = url.strip_prefix("sqlite://").unwrap_or(&url);
        let mut conn =
            SqliteConnection::establish(path).map_err(|e| format!("cannot open {shown}: {e}"))?;
        startup(&mut conn, &shown)?;
        work!(&mut conn)
    }
    .map_err(|e| format!("the service's work failed: {e}"))?;
    println!("{} posts:", rows.len());
    for (author, title) in rows {
        println!("  {title} by {author}");
    }
    Ok(())
}

/// Brings the database up to date before serving.
fn startup<C: aludel::MigrationConnection>(conn: &mut C, shown: &str) -> Result<(), String> {
    let report = MIGRATIONS
        .run_pending(conn)
        .map_err(|e| format!("migrating {shown} failed: {e}"))?;
    for step in &report.steps {
        println!("applied {} in {:.1?}", step.revision, step.duration);
    }
    println!("{shown} is at {}", report.heads_after.join(", "));
    Ok(())
}

/// The URL with its password replaced by `***`, for messages.
fn aludel_mask(url: &str) -> String {
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

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}
