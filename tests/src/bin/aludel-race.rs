//! A process that migrates a database, for the tests that race, kill and disconnect migrators:
//! `aludel-race <sqlite|postgres|mysql> <url> <versions dir>`.
//!
//! Prints `started <id>` and `finished <id>` as each revision starts and finishes (flushed at
//! once, so that a test can wait for a revision to be running), then the number of revisions it
//! applied on a line of its own. On failure it prints the error on one line of stderr,
//! `error: ...`, and exits 1.

use std::io::Write;
use std::process::ExitCode;

use aludel::Progress;
use aludel_tests::load_history;
use diesel::{Connection, MysqlConnection, PgConnection, SqliteConnection};

fn say(line: String) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn run() -> Result<usize, String> {
    let args: Vec<String> = std::env::args().collect();
    let [_, backend, url, dir] = args.as_slice() else {
        return Err("usage: aludel-race <sqlite|postgres|mysql> <url> <versions dir>".to_string());
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
    let report = match backend.as_str() {
        "sqlite" => {
            m.run_pending(&mut SqliteConnection::establish(url).map_err(|e| e.to_string())?)
        }
        "postgres" => m.run_pending(&mut PgConnection::establish(url).map_err(|e| e.to_string())?),
        "mysql" => m.run_pending(&mut MysqlConnection::establish(url).map_err(|e| e.to_string())?),
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
