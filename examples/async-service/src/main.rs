//! A tokio service on diesel-async that migrates its PostgreSQL database at startup, inside a
//! spawned task, and then serves HTTP.
//!
//! `DATABASE_URL` names the database (`postgres://...`); `ADDRESS` the address to listen on
//! (`127.0.0.1:8080` by default; port 0 picks a free one). Every request records a visit and
//! answers with the number of visits so far. Any number of replicas may start at once: one
//! migrates, the others wait for its lock and find nothing to do.
//!
//! The migration runs on a connection checked out of the service's own deadpool pool, as a
//! `Send` future on the multi-thread runtime: nothing blocks a runtime thread while it runs.

use std::process::ExitCode;

use diesel::prelude::*;
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

static MIGRATIONS: aludel::Migrations = aludel::embed_migrations!("migrations/versions");

diesel::table! {
    visits (id) {
        id -> BigInt,
        path -> Text,
        seen_at -> Timestamptz,
    }
}

type DbPool = Pool<AsyncPgConnection>;

/// Brings the database up to date, on a task of its own.
async fn migrate(pool: DbPool, shown: String) -> Result<(), String> {
    let task = tokio::spawn(async move {
        let mut conn = pool
            .get()
            .await
            .map_err(|e| format!("cannot connect to {shown}: {e}"))?;
        let report = MIGRATIONS
            .run_pending_async(&mut conn)
            .await
            .map_err(|e| format!("migrating {shown} failed: {e}"))?;
        for step in &report.steps {
            println!("applied {} in {:.1?}", step.revision, step.duration);
        }
        println!("{shown} is at {}", report.heads_after.join(", "));
        Ok::<_, String>(())
    });
    task.await
        .map_err(|e| format!("the migration task failed: {e}"))?
}

/// Records a visit to `path` and returns how many there have been.
async fn visit(pool: &DbPool, path: &str) -> Result<i64, String> {
    let mut conn = pool.get().await.map_err(|e| e.to_string())?;
    diesel::insert_into(visits::table)
        .values(visits::path.eq(path))
        .execute(&mut conn)
        .await
        .map_err(|e| e.to_string())?;
    visits::table
        .count()
        .get_result(&mut conn)
        .await
        .map_err(|e| e.to_string())
}

/// Answers one HTTP request on `stream`.
async fn serve(pool: DbPool, mut stream: tokio::net::TcpStream) {
    let mut buffer = [0u8; 4096];
    let read = stream.read(&mut buffer).await.unwrap_or(0);
    let request = String::from_utf8_lossy(&buffer[..read]);
    let path = request.split_whitespace().nth(1).unwrap_or("/").to_string();
    let (status, body) = match visit(&pool, &path).await {
        Ok(count) => ("200 OK", format!("{count} visits\n")),
        Err(error) => ("500 Internal Server Error", format!("{error}\n")),
    };
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
}

async fn run() -> Result<(), String> {
    let url = std::env::var("DATABASE_URL")
        .map_err(|_| "DATABASE_URL is not set (postgres://...)".to_string())?;
    let shown = mask(&url);
    let address = std::env::var("ADDRESS").unwrap_or_else(|_| "127.0.0.1:8080".to_string());
    let pool = Pool::builder(AsyncDieselConnectionManager::<AsyncPgConnection>::new(&url))
        .max_size(8)
        .build()
        .map_err(|e| format!("cannot make a pool for {shown}: {e}"))?;
    migrate(pool.clone(), shown).await?;
    let listener = tokio::net::TcpListener::bind(&address)
        .await
        .map_err(|e| format!("cannot listen on {address}: {e}"))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    println!("listening on {local}");
    loop {
        let (stream, _) = listener.accept().await.map_err(|e| e.to_string())?;
        tokio::spawn(serve(pool.clone(), stream));
    }
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

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}
