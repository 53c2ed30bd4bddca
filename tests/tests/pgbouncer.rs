//! Racing starters behind PgBouncer: sixteen threads, each with its own connection through a
//! real PgBouncer that shares four server connections among them, call `run_pending` at once,
//! in transaction pooling and in session pooling. Every starter succeeds, every revision is
//! applied exactly once, and the starters' runs overlap.
//!
//! In transaction pooling a client's consecutive transactions may run on different server
//! connections, so anything the migrator keeps in the server session between transactions
//! (a session-level advisory lock, for one) is not where the next transaction runs.
//!
//! The same race with the async calls: sixteen tokio tasks on a multi-thread runtime, each with
//! its own `AsyncPgConnection` through PgBouncer, call `run_pending_async` at once. In
//! transaction pooling they do what diesel-async's connections need there (see
//! [`race_async`]).

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use aludel::Options;
use aludel_tests::pgbouncer::{PgBouncer, PoolMode};
use aludel_tests::race::{self, mismatches, peak_overlap};
use aludel_tests::{Backend, TestDb, TestHistory};
use diesel::connection::CacheSize;
use diesel::{Connection, PgConnection, RunQueryDsl};
use diesel_async::{AsyncConnection, AsyncPgConnection};

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
    check(&db, &bouncer, &ids, &runs, "starters");
}

/// The race's checks, for `runs` of `who` (`starters`, `async starters`): every run succeeded,
/// the runs' reports and the revision log apply each of `ids` exactly once, the version table
/// holds the head, and the runs overlapped.
fn check(db: &TestDb, bouncer: &PgBouncer, ids: &[String], runs: &[Run], who: &str) {
    let mode = bouncer.mode;
    let mut problems = Vec::new();
    let errors: Vec<String> = runs
        .iter()
        .filter_map(|r| r.outcome.as_ref().err().cloned())
        .collect();
    if !errors.is_empty() {
        problems.push(format!(
            "{} of {STARTERS} {who} failed: {}",
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
    let wrong = mismatches(ids, &applied);
    if !wrong.is_empty() {
        problems.push(format!(
            "the {who}' reports do not apply each revision once: {}",
            first_ten(&wrong)
        ));
    }
    let mut direct = PgConnection::establish(&db.url).unwrap();
    match strings(
        &mut direct,
        "SELECT CAST(revision AS TEXT) AS a FROM aludel_revision_log WHERE direction = 'upgrade'",
    ) {
        Ok(rows) => {
            let wrong = mismatches(ids, &rows);
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
            "the {who} did not overlap (at most {peak} ran at once), so nothing raced"
        ));
    }
    assert!(
        problems.is_empty(),
        "{STARTERS} {who} through PgBouncer in {mode} pooling ({POOL_SIZE} server connections; \
         at most {peak} runs at once):\n- {}\nPgBouncer's log ends:\n{}",
        problems.join("\n- "),
        tail(&bouncer.log(), 20)
    );
    eprintln!("{mode} pooling: {STARTERS} {who}, at most {peak} runs at once, all succeeded");
}

/// Waits, without blocking a runtime thread, until all `STARTERS` tasks have arrived.
async fn all_arrived(arrived: &AtomicUsize) {
    arrived.fetch_add(1, Ordering::SeqCst);
    while arrived.load(Ordering::SeqCst) < STARTERS {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// How often a starter tries to set up an `AsyncPgConnection` in transaction pooling (see
/// [`race_async`]).
const SETUP_TRIES: usize = 5;

/// A new async connection through PgBouncer, set up for `mode` (see [`race_async`]).
async fn connect_async(url: &str, mode: PoolMode) -> Result<AsyncPgConnection, String> {
    let mut tries = 0;
    let mut conn = loop {
        tries += 1;
        match AsyncPgConnection::establish(url).await {
            Ok(conn) => break conn,
            // diesel-async's own setup statements reached two server connections: connect
            // again (the failed connection is closed; its statements' names are not reused).
            Err(e)
                if mode == PoolMode::Transaction
                    && tries < SETUP_TRIES
                    && e.to_string().contains("prepared statement")
                    && e.to_string().contains("does not exist") =>
            {
                eprintln!("note: connecting again through transaction pooling after: {e}");
            }
            Err(e) => return Err(format!("cannot connect through PgBouncer at {url}: {e}")),
        }
    };
    if mode == PoolMode::Transaction {
        // Not enough on its own (see `race_async`), but needed: diesel-async keeps the
        // statements it caches (aludel's own, keyed by their SQL) prepared until the connection
        // closes, and in transaction pooling PgBouncer does not reset a server connection when
        // its client logs out. They would stay there, where another process, whose statement
        // names count from `s0` as well, fails to prepare its own ("prepared statement \"s3\"
        // already exists"). Disabled, each statement is closed after use, inside the
        // transaction that used it.
        conn.set_prepared_statement_cache_size(CacheSize::Disabled);
    }
    Ok(conn)
}

/// The race with async starters.
///
/// diesel-async's `AsyncPgConnection` (0.9) runs every statement with bound values, its own
/// connection setup (`SET TIME ZONE`, `SET CLIENT_ENCODING`) included, as a named prepared
/// statement of tokio-postgres (`s0`, `s1`, ... counted per process): a Parse and Describe
/// ended by a Sync, then, in a second round trip, Bind and Execute ended by another Sync. With
/// its statement cache set to `CacheSize::Disabled` it prepares each statement again (and
/// closes it after use), still named and still in two round trips: unlike diesel's
/// `PgConnection`, which sends an uncached statement as the unnamed one with its Bind and
/// Execute before a single Sync, it has no way to avoid a named statement. PgBouncer before
/// 1.21 (1.18 in Debian 12) does not track prepared statements, and in transaction pooling it
/// returns the server connection to the pool at each Sync outside a transaction: the Bind then
/// reaches whichever server connection the pool lends next, where the statement does not exist
/// ("prepared statement \"s12\" does not exist"). (PgBouncer 1.21 and later prepare a client's
/// statements on the server connection that runs them when `max_prepared_statements` is above
/// 0, its default since 1.24; the configuration here does not set it.) So in transaction
/// pooling the starters do what a user of an older PgBouncer must:
///
/// - They connect before the race, one after another, and connect again when the setup fails
///   so. With other clients busy on the pool many setups fail; with none, about one in a
///   hundred still does, since diesel-async sends its two setup statements concurrently and
///   PgBouncer may lend each Sync's work a different server connection.
/// - Each runs `run_pending_async` inside a transaction of its own (`conn.transaction(..)`),
///   which holds one server connection for the whole call: aludel reads the version table and
///   the catalogue before it opens a revision's transaction, and those statements would
///   otherwise fail as above. aludel then works in savepoints and holds the transaction-level
///   migration lock until that transaction commits, as in any caller's transaction.
///
/// In session pooling a client keeps its server connection from login to logout, so named
/// prepared statements and diesel-async's statement cache work as on a direct connection
/// (PgBouncer's `server_reset_query`, `DISCARD ALL`, drops them at logout): the starters
/// connect after the barrier and call `run_pending_async` on the connection.
fn race_async(mode: PoolMode) {
    let Some(db) = TestDb::new(Backend::Postgres) else {
        return;
    };
    let Some(bouncer) = PgBouncer::start(&db, mode, POOL_SIZE) else {
        return;
    };
    let (history, ids) = history();
    let migrations = Arc::new(history.load());
    let arrived = Arc::new(AtomicUsize::new(0));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    let runs: Vec<Run> = runtime.block_on(async {
        // Transaction pooling: connected now, one after another. Session pooling: after the
        // barrier, as the sync starters do (connected now, the first four would hold the four
        // server connections and the others could not log in).
        let mut early = Vec::new();
        for _ in 0..STARTERS {
            early.push(match mode {
                PoolMode::Transaction => Some(connect_async(&bouncer.url, mode).await),
                PoolMode::Session => None,
            });
        }
        let tasks: Vec<_> = early
            .into_iter()
            .map(|early| {
                let (migrations, arrived, url) =
                    (migrations.clone(), arrived.clone(), bouncer.url.clone());
                tokio::spawn(async move {
                    all_arrived(&arrived).await;
                    let connected = match early {
                        Some(connected) => connected,
                        None => connect_async(&url, mode).await,
                    };
                    let mut conn = match connected {
                        Ok(conn) => conn,
                        Err(e) => {
                            let now = Instant::now();
                            return Run {
                                began: now,
                                ended: now,
                                outcome: Err(e),
                            };
                        }
                    };
                    let migrator = migrations
                        .migrator()
                        .with_options(Options::default().lock_timeout(LOCK_TIMEOUT));
                    let began = Instant::now();
                    let report = match mode {
                        PoolMode::Transaction => {
                            conn.transaction::<_, aludel::Error, _>(async |c| {
                                migrator.run_pending_async(c).await
                            })
                            .await
                        }
                        PoolMode::Session => migrator.run_pending_async(&mut conn).await,
                    };
                    let outcome = report
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
        let mut runs = Vec::new();
        for task in tasks {
            runs.push(task.await.unwrap());
        }
        runs
    });
    check(&db, &bouncer, &ids, &runs, "async starters");
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

#[test]
fn async_transaction_pooling_applies_each_revision_once() {
    race_async(PoolMode::Transaction);
}

#[test]
fn async_session_pooling_applies_each_revision_once() {
    race_async(PoolMode::Session);
}
