//! Benchmark of the revision-graph pipeline: parse, validate, plan and walk.
//!
//! Run it with `cargo bench -p aludel-graph --bench graph` (or `scripts/bench-graph.sh`, which
//! also measures Alembic on the same shape and records the figures in `BENCHMARKS.md`).
//!
//! No benchmark framework: every stage is timed with [`std::time::Instant`], repeated until it
//! has run for a time budget (`ALUDEL_BENCH_SECONDS`, default 1 s, and at least
//! [`MIN_ITERATIONS`] times), and reported as median, minimum and 90th percentile. Inputs and
//! outputs go through [`std::hint::black_box`] and every output is checked (a plan has exactly
//! one step per revision, the walk lists every revision, ...), so a stage cannot silently
//! measure nothing.
//!
//! The markdown report goes to standard output, progress to standard error. With
//! `ALUDEL_BENCH_TSV=<file>` the figures are also written as tab-separated values (graph, n,
//! stage, median_ns, min_ns, p90_ns, max_ns, iterations) for `scripts/bench-graph.sh`.
//!
//! Without `--bench` (that is, under `cargo test --all-targets`) it runs a smoke test instead:
//! small graphs, one iteration each, every check, no report.

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use aludel_graph::{load_dir, load_files, parse_revision, Graph, GraphOptions, Revision};

/// Every stage runs at least this many times, however long it takes.
const MIN_ITERATIONS: usize = 5;
/// No stage runs more than this many times, however short it is.
const MAX_ITERATIONS: usize = 10_000;

/// The shape of a generated history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// `r0 <- r1 <- r2 <- ...`: one base, one head.
    Linear,
    /// A branch and a merge every three revisions. `r0` is the base; then, block after block,
    /// with `m` the tip so far (`r0` for the first block):
    ///
    /// ```text
    ///        +-- a_k --+
    ///   m ---+         +--- m_k     a_k <- m,  b_k <- m,  m_k <- (a_k, b_k)
    ///        +-- b_k --+
    /// ```
    ///
    /// so `m` is a branch point and `m_k` a merge, and `m_k` is the tip of the next block.
    /// Revision `i` (`i >= 1`) is `a`, `b` or `m` of its block as `(i - 1) % 3` is 0, 1 or 2.
    /// A history of `n` revisions stops after `n - 1`; when `n` is a multiple of 3 that would
    /// leave the block with two open heads (`a_k`, `b_k`), so such `n` are refused. `n = 1,000`
    /// is the base plus 333 complete blocks; `n = 20,000` is the base, 6,666 blocks and one
    /// `a` on top of the last merge. This is the shape of the "merge every 3 revs" row of
    /// GRAPH-CASES.md §5 (Alembic's 1,000 / 5,002 / 20,002 revisions are base + whole blocks).
    MergeEvery3,
    /// 100 long parallel branches from one base, each declared by a branch label on its first
    /// revision: `r0 <- x_k1 <- x_k2 <- ...` for `k` in 0..100, interleaved in load order.
    /// `n - 1` must be a multiple of 100. 100 heads.
    Parallel,
    /// One base and `n - 1` labelled children: `n - 1` heads, every one a branch of length 1.
    Star,
}

impl Shape {
    fn name(self) -> &'static str {
        match self {
            Shape::Linear => "linear",
            Shape::MergeEvery3 => "branch + merge every 3",
            Shape::Parallel => "100 parallel branches",
            Shape::Star => "star (one base, n − 1 heads)",
        }
    }

    fn key(self) -> &'static str {
        match self {
            Shape::Linear => "linear",
            Shape::MergeEvery3 => "merge3",
            Shape::Parallel => "parallel100",
            Shape::Star => "star",
        }
    }
}

/// A 12-hex-digit revision id for revision `i`: a bijection on 48 bits (multiplications by odd
/// constants and xor-shifts), so ids look random, sort in no particular order and never
/// collide. `scripts/bench-graph.sh` computes the same ids in Python.
fn revision_id(i: u64) -> String {
    const MASK: u64 = (1 << 48) - 1;
    let mut x = i & MASK;
    x = x.wrapping_mul(0x9E37_79B9_7F4A_7C15) & MASK;
    x ^= x >> 23;
    x = x.wrapping_mul(0xD6E8_FEB8_6659_FD93) & MASK;
    x ^= x >> 21;
    format!("{x:012x}")
}

/// The text of a revision file in the documented format (see `aludel_graph::revision`).
fn revision_file(
    id: &str,
    down_revision: &str,
    label: Option<&str>,
    message: &str,
    table: &str,
) -> String {
    let label = label
        .map(|l| format!("-- branch_labels: {l}\n"))
        .unwrap_or_default();
    format!(
        "-- revision: {id}\n\
         -- down_revision: {down_revision}\n\
         {label}\
         -- message: {message}\n\
         -- create_date: 2026-01-01T00:00:00Z\n\
         \n\
         -- upgrade\n\
         CREATE TABLE {table} (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n\
         \n\
         -- downgrade\n\
         DROP TABLE {table};\n"
    )
}

/// A generated history: the parents of every revision (indices), in generation order.
struct History {
    ids: Vec<String>,
    parents: Vec<Vec<usize>>,
    /// The revisions that carry a branch label (the first revision of each extra branch).
    labelled: Vec<bool>,
}

fn generate(shape: Shape, n: usize) -> Result<History, String> {
    if n == 0 {
        return Err("a history needs at least one revision".into());
    }
    if shape == Shape::MergeEvery3 && n % 3 == 0 {
        return Err(format!(
            "{n} revisions would end on two open heads; choose n % 3 != 0"
        ));
    }
    const BRANCHES: usize = 100;
    if shape == Shape::Parallel && (n - 1) % BRANCHES != 0 {
        return Err(format!("{n} - 1 is not a multiple of {BRANCHES}"));
    }
    let ids: Vec<String> = (0..n as u64).map(revision_id).collect();
    let mut parents: Vec<Vec<usize>> = Vec::with_capacity(n);
    let mut labelled = vec![false; n];
    parents.push(Vec::new());
    let mut tip = 0;
    for (i, labelled) in labelled.iter_mut().enumerate().skip(1) {
        match shape {
            Shape::Parallel => {
                // Revision i is step (i - 1) / 100 of branch (i - 1) % 100.
                if i <= BRANCHES {
                    parents.push(vec![0]);
                    *labelled = true;
                } else {
                    parents.push(vec![i - BRANCHES]);
                }
            }
            Shape::Star => {
                parents.push(vec![0]);
                *labelled = true;
            }
            Shape::Linear => parents.push(vec![i - 1]),
            Shape::MergeEvery3 => match (i - 1) % 3 {
                0 | 1 => parents.push(vec![tip]),
                _ => {
                    parents.push(vec![i - 2, i - 1]);
                    tip = i;
                }
            },
        }
    }
    Ok(History {
        ids,
        parents,
        labelled,
    })
}

impl History {
    fn len(&self) -> usize {
        self.ids.len()
    }

    /// The heads: revisions that are no revision's parent, sorted.
    fn heads(&self) -> Vec<&str> {
        let mut is_parent = vec![false; self.len()];
        for ps in &self.parents {
            for &p in ps {
                is_parent[p] = true;
            }
        }
        let mut heads: Vec<&str> = (0..self.len())
            .filter(|&i| !is_parent[i])
            .map(|i| self.ids[i].as_str())
            .collect();
        heads.sort_unstable();
        heads
    }

    /// The revision files as (file name, contents), sorted by name: the load order.
    fn files(&self) -> Vec<(String, Vec<u8>)> {
        let mut files: Vec<(String, Vec<u8>)> = (0..self.len())
            .map(|i| {
                let id = &self.ids[i];
                let down: Vec<&str> = self.parents[i]
                    .iter()
                    .map(|&p| self.ids[p].as_str())
                    .collect();
                let (slug, message) = if down.len() > 1 {
                    (
                        format!("merge_{i}"),
                        format!("merge {}", down.join(" and ")),
                    )
                } else {
                    (format!("add_table_{i}"), format!("add table t{i}"))
                };
                let label = self.labelled[i].then(|| format!("branch{i}"));
                let text = revision_file(
                    id,
                    &down.join(", "),
                    label.as_deref(),
                    &message,
                    &format!("t{i}"),
                );
                (format!("{id}_{slug}.sql"), text.into_bytes())
            })
            .collect();
        files.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        files
    }
}

/// Timings of one stage.
struct Stats {
    iterations: usize,
    median: Duration,
    min: Duration,
    p90: Duration,
    max: Duration,
}

struct Bench {
    budget: Duration,
    /// Smoke-test mode: one iteration per stage, no warm-up.
    quick: bool,
    rows: Vec<(Shape, usize, &'static str, Stats)>,
}

impl Bench {
    /// Times `run` on fresh inputs from `setup` (not timed) until the budget is spent, checking
    /// every output with `check`. Outputs are dropped outside the timed section.
    fn measure<S, T>(
        &mut self,
        shape: Shape,
        n: usize,
        stage: &'static str,
        mut setup: impl FnMut() -> S,
        mut run: impl FnMut(S) -> Result<T, String>,
        check: impl Fn(&T) -> Result<(), String>,
    ) -> Result<(), String> {
        let context = |e: String| format!("{} n={n} {stage}: {e}", shape.name());
        if !self.quick {
            // Warm-up, checked like every other run.
            let out = run(setup()).map_err(context)?;
            check(&out).map_err(context)?;
        }
        let mut samples: Vec<Duration> = Vec::new();
        let started = Instant::now();
        loop {
            let input = setup();
            let t0 = Instant::now();
            let out = run(black_box(input));
            let elapsed = t0.elapsed();
            let out = black_box(out).map_err(context)?;
            check(&out).map_err(context)?;
            drop(out);
            samples.push(elapsed);
            let enough = self.quick
                || (samples.len() >= MIN_ITERATIONS && started.elapsed() >= self.budget)
                || samples.len() >= MAX_ITERATIONS;
            if enough {
                break;
            }
        }
        samples.sort_unstable();
        let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
        let stats = Stats {
            iterations: samples.len(),
            median: at(0.5),
            min: samples[0],
            p90: at(0.9),
            max: samples[samples.len() - 1],
        };
        eprintln!(
            "  {:<24} n={n:<6} {:<42} median {:>10}  ({} iterations)",
            shape.name(),
            stage,
            human(stats.median),
            stats.iterations
        );
        self.rows.push((shape, n, stage, stats));
        Ok(())
    }
}

fn human(d: Duration) -> String {
    let ns = d.as_nanos();
    if ns < 1_000_000 {
        format!("{:.1} µs", ns as f64 / 1e3)
    } else if ns < 1_000_000_000 {
        format!("{:.2} ms", ns as f64 / 1e6)
    } else {
        format!("{:.2} s", ns as f64 / 1e9)
    }
}

fn expect_len(what: &str, got: usize, n: usize) -> Result<(), String> {
    if got == n {
        Ok(())
    } else {
        Err(format!("{what} has {got} entries, expected {n}"))
    }
}

fn check_graph(graph: &Graph, history: &History) -> Result<(), String> {
    expect_len("the graph", graph.len(), history.len())?;
    let mut heads = graph.heads();
    heads.sort_unstable();
    if heads != history.heads() {
        return Err(format!(
            "heads {:?}, expected {:?}",
            graph.heads(),
            history.heads()
        ));
    }
    Ok(())
}

fn parse_all(files: &[(String, Vec<u8>)]) -> Result<Vec<Revision>, String> {
    files
        .iter()
        .map(|(path, bytes)| {
            parse_revision(path, bytes).map_err(|errors| {
                errors
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        })
        .collect()
}

/// A fresh directory under the system temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> Result<TempDir, String> {
        let path =
            std::env::temp_dir().join(format!("aludel-bench-{}-{label}", std::process::id()));
        if path.exists() {
            std::fs::remove_dir_all(&path)
                .map_err(|e| format!("cannot clear {}: {e}", path.display()))?;
        }
        std::fs::create_dir_all(&path)
            .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        Ok(TempDir(path))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn write_files(dir: &Path, files: &[(String, Vec<u8>)]) -> Result<(), String> {
    for (name, bytes) in files {
        let path = dir.join(name);
        std::fs::write(&path, bytes)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}

fn bench_history(bench: &mut Bench, shape: Shape, n: usize) -> Result<(), String> {
    let history = generate(shape, n)?;
    let files = history.files();
    let options = GraphOptions::default();
    let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
    eprintln!(
        "{} n={n}: {} files, {bytes} bytes",
        shape.name(),
        files.len()
    );

    // (a) parse every file.
    bench.measure(
        shape,
        n,
        "parse (parse_revision × n)",
        || (),
        |()| parse_all(&files),
        |revisions| expect_len("the parsed revisions", revisions.len(), n),
    )?;

    // (b) validate the parsed revisions (the clone is made outside the timed section).
    let revisions = parse_all(&files)?;
    bench.measure(
        shape,
        n,
        "validate (Graph::build)",
        || revisions.clone(),
        |revisions| Graph::build(revisions, &options).map_err(|d| d.to_string()),
        |graph| check_graph(graph, &history),
    )?;

    // (a) + (b) through the public entry point for in-memory files.
    bench.measure(
        shape,
        n,
        "parse + validate (load_files)",
        || (),
        |()| load_files(&files, &options).map_err(|d| d.to_string()),
        |graph| check_graph(graph, &history),
    )?;

    let graph = load_files(&files, &options).map_err(|d| d.to_string())?;
    check_graph(&graph, &history)?;
    let heads: Vec<&str> = graph.heads();

    // (c) plans: every revision up from base, then every revision down from the heads.
    bench.measure(
        shape,
        n,
        "plan upgrade base→heads",
        || (),
        |()| graph.plan_upgrade(&[], "heads").map_err(|e| e.to_string()),
        |plan| {
            expect_len("the upgrade plan", plan.steps.len(), n)?;
            let mut after = plan.heads_after.clone();
            after.sort_unstable();
            if after != history.heads() {
                return Err(format!(
                    "upgrade ends at {:?}, expected {heads:?}",
                    plan.heads_after
                ));
            }
            Ok(())
        },
    )?;
    bench.measure(
        shape,
        n,
        "plan downgrade heads→base",
        || (),
        |()| {
            graph
                .plan_downgrade(&heads, "base")
                .map_err(|e| e.to_string())
        },
        |plan| {
            expect_len("the downgrade plan", plan.steps.len(), n)?;
            if !plan.heads_after.is_empty() {
                return Err(format!(
                    "downgrade ends at {:?}, expected []",
                    plan.heads_after
                ));
            }
            Ok(())
        },
    )?;

    // (d) the history walk, heads to base.
    bench.measure(
        shape,
        n,
        "history walk (Graph::history(None))",
        || (),
        |()| graph.history(None).map_err(|e| e.to_string()),
        |walk| {
            expect_len("the history", walk.len(), n)?;
            let first = walk.first().map(|r| r.id.as_str()).unwrap_or_default();
            if !history.heads().contains(&first) {
                return Err("the history does not start at a head".into());
            }
            Ok(())
        },
    )?;
    bench.measure(
        shape,
        n,
        "walk (Graph::walk())",
        || (),
        |()| Ok(graph.walk()),
        |walk| expect_len("the walk", walk.len(), n),
    )?;

    // Everything from the bytes of the files: parse, validate, both plans, the history.
    bench.measure(
        shape,
        n,
        "total: load_files + plans + history",
        || (),
        |()| {
            let graph = load_files(&files, &options).map_err(|d| d.to_string())?;
            let heads = graph.heads();
            let up = graph
                .plan_upgrade(&[], "heads")
                .map_err(|e| e.to_string())?
                .steps
                .len();
            let down = graph
                .plan_downgrade(&heads, "base")
                .map_err(|e| e.to_string())?
                .steps
                .len();
            let walked = graph.history(None).map_err(|e| e.to_string())?.len();
            Ok([graph.len(), up, down, walked])
        },
        |counts| {
            for (what, &count) in ["graph", "upgrade plan", "downgrade plan", "history"]
                .iter()
                .zip(counts)
            {
                expect_len(what, count, n)?;
            }
            Ok(())
        },
    )?;

    // (e) the whole load from a directory on disk: scan, read, parse, validate.
    let dir = TempDir::new(&format!("{}-{n}", shape.key()))?;
    write_files(&dir.0, &files)?;
    bench.measure(
        shape,
        n,
        "load_dir (scan + read + parse + validate)",
        || (),
        |()| load_dir(&dir.0, &dir.0, &options).map_err(|d| d.to_string()),
        |loaded| {
            expect_len("the scanned files", loaded.files.len(), n)?;
            check_graph(&loaded.graph, &history)
        },
    )?;
    drop(dir);
    Ok(())
}

fn report(bench: &Bench, cases: &[(Shape, usize)]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Medians over repeated runs: each stage is repeated for at least {:?} and at least \
         {MIN_ITERATIONS} times (at most {MAX_ITERATIONS}); min and p90 show the spread. \
         `load_dir` reads a temporary directory whose files are in the page cache.",
        bench.budget
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "| graph | revisions | stage | median | min | p90 | iterations |"
    );
    let _ = writeln!(out, "|---|---:|---|---:|---:|---:|---:|");
    for (shape, n, stage, stats) in &bench.rows {
        let _ = writeln!(
            out,
            "| {} | {} | {stage} | **{}** | {} | {} | {} |",
            shape.name(),
            thousands(*n),
            human(stats.median),
            human(stats.min),
            human(stats.p90),
            stats.iterations
        );
    }
    let _ = writeln!(out);
    let heads: Vec<String> = cases
        .iter()
        .filter_map(|&(shape, n)| {
            generate(shape, n).ok().map(|h| match h.heads().as_slice() {
                [one] => format!("{} {n}: head `{one}`", shape.key()),
                many => format!("{} {n}: {} heads", shape.key(), many.len()),
            })
        })
        .collect();
    let _ = writeln!(out, "Generated histories: {}.", heads.join("; "));
    out
}

fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn tsv(bench: &Bench) -> String {
    let mut out = String::from("graph\tn\tstage\tmedian_ns\tmin_ns\tp90_ns\tmax_ns\titerations\n");
    for (shape, n, stage, s) in &bench.rows {
        let _ = writeln!(
            out,
            "{}\t{n}\t{stage}\t{}\t{}\t{}\t{}\t{}",
            shape.key(),
            s.median.as_nanos(),
            s.min.as_nanos(),
            s.p90.as_nanos(),
            s.max.as_nanos(),
            s.iterations
        );
    }
    out
}

fn run() -> Result<(), String> {
    let quick = !std::env::args().any(|a| a == "--bench");
    let budget = match std::env::var("ALUDEL_BENCH_SECONDS") {
        Ok(s) => s
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0)
            .map(Duration::from_secs_f64)
            .ok_or_else(|| format!("ALUDEL_BENCH_SECONDS={s:?} is not a number of seconds"))?,
        Err(_) => Duration::from_secs(1),
    };
    let cases: Vec<(Shape, usize)> = if quick {
        vec![
            (Shape::MergeEvery3, 100),
            (Shape::MergeEvery3, 101),
            (Shape::Linear, 100),
            (Shape::Parallel, 201),
            (Shape::Star, 100),
        ]
    } else {
        vec![
            (Shape::MergeEvery3, 1_000),
            (Shape::MergeEvery3, 5_000),
            (Shape::MergeEvery3, 20_000),
            (Shape::Linear, 20_000),
            (Shape::Parallel, 20_001),
            (Shape::Star, 10_000),
        ]
    };
    let mut bench = Bench {
        budget,
        quick,
        rows: Vec::new(),
    };
    for &(shape, n) in &cases {
        bench_history(&mut bench, shape, n)?;
    }
    if quick {
        eprintln!(
            "smoke test passed (run `cargo bench -p aludel-graph --bench graph` for figures)"
        );
        return Ok(());
    }
    print!("{}", report(&bench, &cases));
    if let Ok(path) = std::env::var("ALUDEL_BENCH_TSV") {
        std::fs::write(&path, tsv(&bench)).map_err(|e| format!("cannot write {path}: {e}"))?;
    }
    Ok(())
}

fn main() {
    if let Err(message) = run() {
        eprintln!("benchmark failed: {message}");
        std::process::exit(1);
    }
}
