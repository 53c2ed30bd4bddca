//! The migration lock names the table, not how the options spell it: migrators that name one
//! version table as `schema: None` and as its resolved schema (PostgreSQL's `public`, MySQL's
//! database) exclude each other, so racing migrators with both spellings apply each revision
//! exactly once.

use std::sync::{Arc, Barrier};

use aludel::{LoadedMigrations, Options};
use aludel_tests::race;
use aludel_tests::{Backend, TestDb};
use diesel::{Connection, MysqlConnection, PgConnection};

const RACERS: usize = 8;

fn history(backend: Backend) -> LoadedMigrations {
    race::linear(backend, 6).0.load()
}

fn race<C: Connection + aludel::MigrationConnection + 'static>(
    db: &TestDb,
    resolved_schema: &str,
) -> Vec<String> {
    let migrations = Arc::new(history(db.backend));
    let barrier = Arc::new(Barrier::new(RACERS));
    let threads: Vec<_> = (0..RACERS)
        .map(|i| {
            let (url, migrations, barrier) = (db.url.clone(), migrations.clone(), barrier.clone());
            let schema = resolved_schema.to_string();
            std::thread::spawn(move || -> Result<Vec<String>, String> {
                let mut conn = C::establish(&url).map_err(|e| e.to_string())?;
                // Half of the racers spell the schema out, half leave it to the connection.
                let options = if i % 2 == 0 {
                    Options::default()
                } else {
                    Options::default().schema(schema)
                };
                barrier.wait();
                let report = migrations
                    .migrator()
                    .with_options(options)
                    .run_pending(&mut conn)
                    .map_err(|e| e.to_string())?;
                Ok(report.steps.into_iter().map(|s| s.revision).collect())
            })
        })
        .collect();
    let mut applied = Vec::new();
    for thread in threads {
        match thread.join().unwrap() {
            Ok(ids) => applied.extend(ids),
            Err(e) => panic!("{:?}: a racer failed: {e}", db.backend),
        }
    }
    applied.sort();
    applied
}

fn expected() -> Vec<String> {
    (0..6).map(|i| format!("r{i:04}")).collect()
}

#[test]
fn postgres_spellings_of_one_table_share_a_lock() {
    let Some(db) = TestDb::new(Backend::Postgres) else {
        return;
    };
    assert_eq!(race::<PgConnection>(&db, "public"), expected());
}

#[test]
fn mysql_spellings_of_one_table_share_a_lock() {
    let Some(db) = TestDb::new(Backend::Mysql) else {
        return;
    };
    let database = db.url.rsplit('/').next().unwrap().to_string();
    assert_eq!(race::<MysqlConnection>(&db, &database), expected());
}
