//! A process that migrates a database, for the tests that race, kill and disconnect migrators:
//! `aludel-race <sqlite|postgres|mysql> <url> <versions dir>`; `async-sqlite`, `async-postgres`
//! and `async-mysql` migrate through diesel-async on a `current_thread` tokio runtime.
//!
//! Prints `started <id>` and `finished <id>` as each revision starts and finishes (flushed at
//! once, so that a test can wait for a revision to be running), then the number of revisions it
//! applied on a line of its own. Around the run it prints `began <µs>` and `ended <µs>`, the
//! wall clock in microseconds since the Unix epoch, so that a test can tell that processes'
//! runs overlapped. On failure it prints the error on one line of stderr,
//! `error: ...`, and exits 1.

use std::io::Write;
use std::process::ExitCode;

use aludel::{AsyncMigrationConnection, MigrationConnection, Migrator, Progress, Report};
use aludel_tests::load_history;
use diesel::{Connection, MysqlConnection, PgConnection, SqliteConnection};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{AsyncConnection, AsyncMysqlConnection, AsyncPgConnection};

fn say(line: String) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Microseconds since the Unix epoch.
fn micros() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros())
}

/// `run_pending`, between `began` and `ended` lines.
fn timed<C: MigrationConnection>(m: &Migrator<'_>, conn: &mut C) -> Result<Report, aludel::Error> {
    say(format!("began {}", micros()));
    let report = m.run_pending(conn);
    say(format!("ended {}", micros()));
    report
}

/// `run_pending_async`, between `began` and `ended` lines.
async fn timed_async<C: AsyncMigrationConnection>(
    m: &Migrator<'_>,
    conn: &mut C,
) -> Result<Report, aludel::Error> {
    say(format!("began {}", micros()));
    let report = m.run_pending_async(conn).await;
    say(format!("ended {}", micros()));
    report
}

/// An async run on a `current_thread` runtime.
fn run_async(backend: &str, url: &str, m: &Migrator<'_>) -> Result<Report, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let report = match backend {
            "async-sqlite" => {
                let mut conn = SyncConnectionWrapper::<SqliteConnection>::establish(url)
                    .await
                    .map_err(|e| e.to_string())?;
                timed_async(m, &mut conn).await
            }
            "async-postgres" => {
                let mut conn = AsyncPgConnection::establish(url)
                    .await
                    .map_err(|e| e.to_string())?;
                timed_async(m, &mut conn).await
            }
            "async-mysql" => {
                let mut conn = AsyncMysqlConnection::establish(url)
                    .await
                    .map_err(|e| e.to_string())?;
                timed_async(m, &mut conn).await
            }
            other => return Err(format!("unknown backend {other}")),
        };
        report.map_err(|e| e.to_string())
    })
}

fn run() -> Result<usize, String> {
    let args: Vec<String> = std::env::args().collect();
    let [_, backend, url, dir] = args.as_slice() else {
        return Err(
            "usage: aludel-race <[async-]sqlite|postgres|mysql> <url> <versions dir>".to_string(),
        );
    };
    let migrations = load_history(std::path::Path::new(dir));
    let progress = |event: Progress<'_>| match event {
        Progress::Started { step } => {
            if let Some(revision) = step.revision {
                say(format!("started {}", revision.id));
            }
        }
        Progress::Finished { completed, .. } => say(format!("finished {}", completed.revision)),
        _ => {}
    };
    let m = migrations.migrator().with_progress(&progress);
    if backend.starts_with("async-") {
        return Ok(run_async(backend, url, &m)?.steps.len());
    }
    let report = match backend.as_str() {
        "sqlite" => timed(
            &m,
            &mut SqliteConnection::establish(url).map_err(|e| e.to_string())?,
        ),
        "postgres" => timed(
            &m,
            &mut PgConnection::establish(url).map_err(|e| e.to_string())?,
        ),
        "mysql" => timed(
            &m,
            &mut MysqlConnection::establish(url).map_err(|e| e.to_string())?,
        ),
        other => return Err(format!("unknown backend {other}")),
    }
    .map_err(|e| e.to_string())?;
    Ok(report.steps.len())
}

fn main() -> ExitCode {
    match run() {
        Ok(applied) => {
            say(applied.to_string());
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}
