//! A process that migrates a database, for the racing-starters tests:
//! `aludel-race <sqlite|postgres|mysql> <url> <versions dir>`. Prints the number of revisions
//! it applied; exits 1 with the error on failure.

use std::process::ExitCode;

use aludel_tests::load_history;
use diesel::{Connection, MysqlConnection, PgConnection, SqliteConnection};

fn run() -> Result<usize, String> {
    let args: Vec<String> = std::env::args().collect();
    let [_, backend, url, dir] = args.as_slice() else {
        return Err("usage: aludel-race <sqlite|postgres|mysql> <url> <versions dir>".to_string());
    };
    let migrations = load_history(std::path::Path::new(dir));
    let m = migrations.migrator();
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
            println!("{applied}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}
