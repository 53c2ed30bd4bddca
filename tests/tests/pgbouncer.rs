//! Racing starters behind PgBouncer: sixteen threads, each with its own connection through a
//! real PgBouncer that shares four server connections among them, call `run_pending` at once,
//! in transaction pooling and in session pooling. Every starter succeeds, every revision is
//! applied exactly once, and the starters' runs overlap.
//!
//! In transaction pooling a client's consecutive transactions may run on different server
//! connections, so anything the migrator keeps in the server session between transactions
//! (a session-level advisory lock, for one) is not where the next transaction runs.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use aludel::Options;
use aludel_tests::pgbouncer::{PgBouncer, PoolMode};
use aludel_tests::race::{self, mismatches, peak_overlap};
use aludel_tests::{Backend, TestDb, TestHistory};
use diesel::connection::CacheSize;
use diesel::{Connection, PgConnection, RunQueryDsl};

const STARTERS: usize = 16;
/// Server connections PgBouncer shares among the starters.
const POOL_SIZE: u32 = 4;
/// Far longer than the whole run takes when migrators serialise; short enough that a lock
/// left held on a pooled server connection fails the test in seconds, not minutes.
const LOCK_TIMEOUT: Duration = Duration::from_secs(30);

/// Twenty revisions in a line; every third sleeps 50 ms so that the starters' runs overlap.
fn history() -> (TestHistory, Vec<String>) {
    race::linear(Backend::Postgres, 20)
}

/// One starter's run: when its `run_pending` began and ended, and what it applied or the error.
struct Run {
    began: Instant,
    ended: Instant,
    outcome: Result<Vec<String>, String>,
}

/// Distinct messages with how often each occurs, at most ten, then how many more.
fn listed(items: &[String]) -> String {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for item in items {
        match counts.iter_mut().find(|(m, _)| *m == item.as_str()) {
            Some((_, n)) => *n += 1,
            None => counts.push((item, 1)),
        }
    }
    let mut text: String = counts
        .iter()
        .take(10)
        .map(|(m, n)| format!("\n    {n}x {m}"))
        .collect();
    if counts.len() > 10 {
        text.push_str(&format!("\n    and {} more", counts.len() - 10));
    }
    text
}

/// At most ten items, then how many more.
fn first_ten(items: &[String]) -> String {
    let mut text = items
        .iter()
        .take(10)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > 10 {
        text.push_str(&format!(", and {} more", items.len() - 10));
    }
    text
}

/// The first column (aliased `a`) of a query's rows, or the error.
fn strings(conn: &mut PgConnection, sql: &str) -> Result<Vec<String>, String> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        a: String,
    }
    diesel::sql_query(sql)
        .load::<Row>(conn)
        .map(|rows| rows.into_iter().map(|r| r.a).collect())
        .map_err(|e| e.to_string())
}

fn race(mode: PoolMode) {
    let Some(db) = TestDb::new(Backend::Postgres) else {
        return;
    };
    let Some(bouncer) = PgBouncer::start(&db, mode, POOL_SIZE) else {
        return;
    };
    let (history, ids) = history();
    let migrations = Arc::new(history.load());
    let barrier = Arc::new(Barrier::new(STARTERS));
    let threads: Vec<_> = (0..STARTERS)
        .map(|_| {
            let (migrations, barrier, url) =
                (migrations.clone(), barrier.clone(), bouncer.url.clone());
            std::thread::spawn(move || {
                barrier.wait();
                // Connect after the barrier: in session pooling a client holds one of the four
                // server connections from its first query (diesel's connection setup) to
                // logout, so the other starters log in as those four finish.
                let mut conn = PgConnection::establish(&url)
                    .unwrap_or_else(|e| panic!("cannot connect through PgBouncer at {url}: {e}"));
                // Named prepared statements live in one server session; behind a pooler
                // diesel users turn its statement cache off.
                conn.set_prepared_statement_cache_size(CacheSize::Disabled);
                let began = Instant::now();
                let outcome = migrations
                    .migrator()
                    .with_options(Options::default().lock_timeout(LOCK_TIMEOUT))
                    .run_pending(&mut conn)
                    .map(|report| report.steps.into_iter().map(|s| s.revision).collect())
                    .map_err(|e| e.to_string());
                Run {
                    began,
                    ended: Instant::now(),
                    outcome,
                }
            })
        })
        .collect();
    let runs: Vec<Run> = threads.into_iter().map(|t| t.join().unwrap()).collect();

    let mut problems = Vec::new();
    let errors: Vec<String> = runs
        .iter()
        .filter_map(|r| r.outcome.as_ref().err().cloned())
        .collect();
    if !errors.is_empty() {
        problems.push(format!(
            "{} of {STARTERS} starters failed: {}",
            errors.len(),
            listed(&errors)
        ));
    }
    let applied: Vec<String> = runs
        .iter()
        .filter_map(|r| r.outcome.as_ref().ok())
        .flatten()
        .cloned()
        .collect();
    let wrong = mismatches(&ids, &applied);
    if !wrong.is_empty() {
        problems.push(format!(
            "the starters' reports do not apply each revision once: {}",
            first_ten(&wrong)
        ));
    }
    let mut direct = PgConnection::establish(&db.url).unwrap();
    match strings(
        &mut direct,
        "SELECT CAST(revision AS TEXT) AS a FROM aludel_revision_log WHERE direction = 'upgrade'",
    ) {
        Ok(rows) => {
            let wrong = mismatches(&ids, &rows);
            if !wrong.is_empty() {
                problems.push(format!(
                    "the revision log does not hold one upgrade row per revision: {}",
                    first_ten(&wrong)
                ));
            }
        }
        Err(e) => problems.push(format!("cannot read the revision log: {e}")),
    }
    match strings(
        &mut direct,
        "SELECT CAST(version_num AS TEXT) AS a FROM alembic_version",
    ) {
        Ok(versions) if versions == ["r0019"] => {}
        Ok(versions) => problems.push(format!(
            "the version table holds {versions:?}, not the head [\"r0019\"]"
        )),
        Err(e) => problems.push(format!("cannot read the version table: {e}")),
    }
    let intervals: Vec<(Instant, Instant)> = runs.iter().map(|r| (r.began, r.ended)).collect();
    let peak = peak_overlap(&intervals);
    if peak < 2 {
        problems.push(format!(
            "the starters did not overlap (at most {peak} ran at once), so nothing raced"
        ));
    }
    assert!(
        problems.is_empty(),
        "{STARTERS} starters through PgBouncer in {mode} pooling ({POOL_SIZE} server connections; \
         at most {peak} runs at once):\n- {}\nPgBouncer's log ends:\n{}",
        problems.join("\n- "),
        tail(&bouncer.log(), 20)
    );
    eprintln!("{mode} pooling: {STARTERS} starters, at most {peak} runs at once, all succeeded");
}

/// The last `n` lines of `text`.
fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

#[test]
fn transaction_pooling_applies_each_revision_once() {
    race(PoolMode::Transaction);
}

#[test]
fn session_pooling_applies_each_revision_once() {
    race(PoolMode::Session);
}
