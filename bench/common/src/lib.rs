//! The measuring loop shared by the benchmark binaries (aludel, aludel-async: aludel's async
//! call through diesel-async, diesel_migrations, refinery, sqlx). Each binary embeds one
//! generated history with its tool's macro and hands this crate three things: how to connect,
//! how to run the tool's "apply everything pending" call, and (aludel's two binaries only) the
//! two baselines, the bare version-table read and the same SQL executed directly.
//!
//! ```text
//! <binary> --db sqlite:DIR|postgres:URL --mode noop|apply --n N [--budget-ms MS]
//!          [--min-iters I] [--cold-iters C] [--reps R] [--no-sync]
//! ```
//!
//! * `noop`: a fresh database is brought to head by the tool on a connection without
//!   durability (not timed); then, on a new connection, the tool's call is repeated (`noop`,
//!   with aludel's floor `floor` interleaved call by call) for `--budget-ms` and at least
//!   `--min-iters` times (after 10 unmeasured calls); then `--cold-iters` times a new
//!   connection is opened (not timed) and only its first call is timed (`noop-cold`,
//!   `floor-cold`).
//! * `apply`: `--reps` times, a fresh database and a new connection (not timed), then the call
//!   that applies all N revisions is timed (`apply`; aludel's binaries also time `direct`, the
//!   same SQL executed revision by revision, on another fresh database, alternately). With
//!   `--no-sync` the connection first turns durability off (`apply-nosync`, `direct-nosync`):
//!   what remains is the tool's own work, without the wait for the disk at each commit.
//!
//! Connecting, creating and dropping databases are never timed. Each line of standard output
//! is `tool <TAB> backend <TAB> n <TAB> label <TAB> median_ns <TAB> min_ns <TAB> p90_ns <TAB>
//! samples`.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

/// Where the databases go.
#[derive(Debug, Clone)]
pub enum Target {
    /// SQLite files in this directory (one file per fresh database).
    Sqlite(PathBuf),
    /// A PostgreSQL server: this URL names a database to connect to while creating and
    /// dropping the benchmark's own databases.
    Postgres(String),
}

/// A database made for one measurement; dropped (file removed, database dropped) on drop.
#[derive(Debug)]
pub struct FreshDb {
    target: Target,
    name: String,
    /// SQLite: the file's path. PostgreSQL: the connection URL of the new database.
    pub location: String,
}

impl FreshDb {
    /// True for SQLite.
    pub fn is_sqlite(&self) -> bool {
        matches!(self.target, Target::Sqlite(_))
    }
}

fn sqlite_files(path: &str) -> [String; 4] {
    [
        path.to_string(),
        format!("{path}-journal"),
        format!("{path}-wal"),
        format!("{path}-shm"),
    ]
}

fn psql(admin_url: &str, sql: &str) {
    let status = Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", admin_url, "-c", sql])
        .env("PGOPTIONS", "-c client_min_messages=warning")
        .status()
        .unwrap_or_else(|e| fail(&format!("cannot run psql: {e}")));
    if !status.success() {
        fail(&format!("psql {admin_url} -c {sql:?} failed"));
    }
}

/// `url` with its database name replaced.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

impl Target {
    /// Makes a new, empty database named after `tag`.
    pub fn fresh(&self, tag: &str) -> FreshDb {
        let name = format!("peers_{tag}_{}", std::process::id());
        match self {
            Target::Sqlite(dir) => {
                std::fs::create_dir_all(dir)
                    .unwrap_or_else(|e| fail(&format!("cannot create {}: {e}", dir.display())));
                let path = dir.join(format!("{name}.db"));
                let location = path
                    .to_str()
                    .unwrap_or_else(|| fail("the SQLite directory is not UTF-8"))
                    .to_string();
                for f in sqlite_files(&location) {
                    let _ = std::fs::remove_file(f);
                }
                FreshDb {
                    target: self.clone(),
                    name,
                    location,
                }
            }
            Target::Postgres(admin) => {
                psql(admin, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
                psql(admin, &format!("CREATE DATABASE {name}"));
                FreshDb {
                    target: self.clone(),
                    location: with_database(admin, &name),
                    name,
                }
            }
        }
    }

    /// `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        match self {
            Target::Sqlite(_) => "sqlite",
            Target::Postgres(_) => "postgres",
        }
    }
}

impl Drop for FreshDb {
    fn drop(&mut self) {
        match &self.target {
            Target::Sqlite(_) => {
                for f in sqlite_files(&self.location) {
                    let _ = std::fs::remove_file(f);
                }
            }
            Target::Postgres(admin) => {
                psql(admin, &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
            }
        }
    }
}

/// Stops the benchmark with a message (a benchmark that cannot measure must not print figures).
pub fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(2)
}

/// The command line.
#[derive(Debug, Clone)]
pub struct Args {
    /// Where the databases go.
    pub target: Target,
    /// `noop` or `apply`.
    pub mode: String,
    /// How many revisions the embedded history holds (checked against what the tool applies).
    pub n: usize,
    /// Time budget of the warm no-op loop.
    pub budget: Duration,
    /// At least this many warm no-op calls.
    pub min_iters: usize,
    /// New connections whose first call is timed.
    pub cold_iters: usize,
    /// Fresh databases applied to in `apply` mode.
    pub reps: usize,
    /// `apply` without durability (`--no-sync`): the tool's own cost, without waiting for the
    /// disk at each commit.
    pub no_sync: bool,
}

impl Args {
    /// Parses `std::env::args`.
    pub fn parse() -> Args {
        let mut target = None;
        let mut mode = None;
        let mut n = None;
        let mut budget = Duration::from_millis(1000);
        let mut min_iters = 30;
        let mut cold_iters = 10;
        let mut reps = 1;
        let mut no_sync = false;
        let mut args = std::env::args().skip(1);
        let number = |v: Option<String>, what: &str| -> usize {
            v.and_then(|v| v.parse().ok())
                .unwrap_or_else(|| fail(&format!("{what} needs a number")))
        };
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--db" => {
                    let v = args.next().unwrap_or_default();
                    target = Some(if let Some(dir) = v.strip_prefix("sqlite:") {
                        Target::Sqlite(PathBuf::from(dir))
                    } else if let Some(url) = v.strip_prefix("postgres:") {
                        Target::Postgres(url.to_string())
                    } else {
                        fail("--db takes sqlite:DIR or postgres:URL")
                    });
                }
                "--mode" => mode = args.next(),
                "--n" => n = Some(number(args.next(), "--n")),
                "--budget-ms" => {
                    budget = Duration::from_millis(number(args.next(), "--budget-ms") as u64)
                }
                "--min-iters" => min_iters = number(args.next(), "--min-iters"),
                "--cold-iters" => cold_iters = number(args.next(), "--cold-iters"),
                "--reps" => reps = number(args.next(), "--reps"),
                "--no-sync" => no_sync = true,
                other => fail(&format!("unknown argument {other}")),
            }
        }
        let mode = mode.unwrap_or_else(|| fail("--mode noop|apply is required"));
        if mode != "noop" && mode != "apply" {
            fail("--mode takes noop or apply");
        }
        Args {
            target: target.unwrap_or_else(|| fail("--db is required")),
            mode,
            n: n.unwrap_or_else(|| fail("--n is required")),
            budget,
            min_iters,
            cold_iters,
            reps,
            no_sync,
        }
    }
}

/// Durations of one measured operation.
#[derive(Debug, Default, Clone)]
pub struct Samples(Vec<Duration>);

impl Samples {
    /// Adds one.
    pub fn push(&mut self, d: Duration) {
        self.0.push(d);
    }

    fn quantile(sorted: &[Duration], q: f64) -> Duration {
        if sorted.is_empty() {
            return Duration::ZERO;
        }
        let i = ((sorted.len() - 1) as f64 * q).round() as usize;
        sorted[i]
    }

    /// The median (the mean of the two middle samples for an even count).
    pub fn median(&self) -> Duration {
        let mut s = self.0.clone();
        s.sort();
        match s.len() {
            0 => Duration::ZERO,
            n if n % 2 == 1 => s[n / 2],
            n => (s[n / 2 - 1] + s[n / 2]) / 2,
        }
    }

    fn line(&self, tool: &str, backend: &str, n: usize, label: &str) -> String {
        let mut s = self.0.clone();
        s.sort();
        format!(
            "{tool}\t{backend}\t{n}\t{label}\t{}\t{}\t{}\t{}",
            self.median().as_nanos(),
            s.first().copied().unwrap_or_default().as_nanos(),
            Self::quantile(&s, 0.9).as_nanos(),
            s.len()
        )
    }
}

/// What a binary hands to [`run`]. `C` is the tool's connection.
pub struct Tool<'a, C> {
    /// `aludel`, `aludel-async`, `diesel_migrations`, `refinery` or `sqlx`.
    pub name: &'a str,
    /// Opens a connection to a fresh database's location.
    pub connect: &'a dyn Fn(&FreshDb) -> C,
    /// The tool's "run every pending migration" call; returns how many it applied, when the
    /// tool says.
    pub migrate: &'a dyn Fn(&mut C) -> Option<usize>,
    /// Turns durability off on a connection that only prepares a database for the no-op
    /// measurement (`PRAGMA synchronous = OFF`, `SET synchronous_commit = off`), so that
    /// bringing it to head is quick. Never called on a measured connection.
    pub relax: &'a dyn Fn(&mut C),
    /// aludel's binaries only: `SELECT version_num FROM alembic_version` on the same
    /// connection.
    pub floor: Option<&'a dyn Fn(&mut C)>,
    /// aludel's binaries only: the upgrade SQL of every revision, executed one revision after
    /// another.
    pub direct: Option<&'a dyn Fn(&mut C)>,
}

fn timed<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let started = Instant::now();
    let value = f();
    (started.elapsed(), value)
}

/// Parses the command line, measures, prints the lines.
pub fn run<C>(tool: Tool<'_, C>) {
    let args = Args::parse();
    let backend = args.target.backend();
    let tag = tool.name.replace(|c: char| !c.is_ascii_alphanumeric(), "");
    let emit = |label: &str, samples: &Samples| {
        println!("{}", samples.line(tool.name, backend, args.n, label));
    };
    // `None`: the tool does not say how many it applied (sqlx).
    let check = |applied: Option<usize>, expected: usize, when: &str| {
        if let Some(applied) = applied.filter(|a| *a != expected) {
            fail(&format!(
                "{} applied {applied} migrations {when}, expected {expected}",
                tool.name
            ));
        }
    };
    match args.mode.as_str() {
        "noop" => {
            let db = args.target.fresh(&format!("{tag}_noop"));
            {
                let mut prepare = (tool.connect)(&db);
                (tool.relax)(&mut prepare);
                check((tool.migrate)(&mut prepare), args.n, "on a fresh database");
            }
            {
                let mut conn = (tool.connect)(&db);
                // Warm-up: statement caches, the server's catalog caches, the CPU's caches.
                for _ in 0..10 {
                    check((tool.migrate)(&mut conn), 0, "at head");
                    if let Some(floor) = tool.floor {
                        floor(&mut conn);
                    }
                }
                let mut noop = Samples::default();
                let mut floor_samples = Samples::default();
                let started = Instant::now();
                let mut i = 0;
                while (started.elapsed() < args.budget || i < args.min_iters) && i < 100_000 {
                    let (d, applied) = timed(|| (tool.migrate)(&mut conn));
                    check(applied, 0, "at head");
                    noop.push(d);
                    if let Some(floor) = tool.floor {
                        floor_samples.push(timed(|| floor(&mut conn)).0);
                    }
                    i += 1;
                }
                emit("noop", &noop);
                if tool.floor.is_some() {
                    emit("floor", &floor_samples);
                }
            }
            let mut cold = Samples::default();
            let mut floor_cold = Samples::default();
            for _ in 0..args.cold_iters {
                let mut conn = (tool.connect)(&db);
                let (d, applied) = timed(|| (tool.migrate)(&mut conn));
                check(applied, 0, "at head");
                cold.push(d);
                drop(conn);
                if let Some(floor) = tool.floor {
                    let mut conn = (tool.connect)(&db);
                    floor_cold.push(timed(|| floor(&mut conn)).0);
                }
            }
            if args.cold_iters > 0 {
                emit("noop-cold", &cold);
                if tool.floor.is_some() {
                    emit("floor-cold", &floor_cold);
                }
            }
        }
        "apply" => {
            let mut apply = Samples::default();
            let mut direct = Samples::default();
            for _ in 0..args.reps {
                {
                    let db = args.target.fresh(&format!("{tag}_apply"));
                    let mut conn = (tool.connect)(&db);
                    if args.no_sync {
                        (tool.relax)(&mut conn);
                    }
                    let (d, applied) = timed(|| (tool.migrate)(&mut conn));
                    check(applied, args.n, "on a fresh database");
                    apply.push(d);
                }
                if let Some(run_direct) = tool.direct {
                    let db = args.target.fresh(&format!("{tag}_direct"));
                    let mut conn = (tool.connect)(&db);
                    if args.no_sync {
                        (tool.relax)(&mut conn);
                    }
                    direct.push(timed(|| run_direct(&mut conn)).0);
                }
            }
            let suffix = if args.no_sync { "-nosync" } else { "" };
            emit(&format!("apply{suffix}"), &apply);
            if tool.direct.is_some() {
                emit(&format!("direct{suffix}"), &direct);
            }
        }
        _ => unreachable!("checked by Args::parse"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_names_are_replaced() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/test", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://u@h/test?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://u@h", "x"), "postgres://u@h/x");
    }

    #[test]
    fn medians() {
        let mut s = Samples::default();
        for ms in [5, 1, 3] {
            s.push(Duration::from_millis(ms));
        }
        assert_eq!(s.median(), Duration::from_millis(3));
        s.push(Duration::from_millis(4));
        assert_eq!(s.median(), Duration::from_millis(3) + Duration::from_micros(500));
    }
}
