#!/usr/bin/env python3
"""Turns the measurements of scripts/bench-peers.sh into the Markdown of its BENCHMARKS.md
section (printed on standard output).

    bench/report.py RESULTS_DIR

    bench/report.py --check    (checks bench/NOTES.md before a run: see below)

bench/NOTES.md, the analysis of the misses, is appended to the section: its figures are this
run's ({{name}}, one of NOTE_FIGURES, filled in here) or quoted with their source ({{KEY: …}}
and a line `[KEY]: source`); see scripts/lib/figures.py. A NOTES.md with any other figure is
refused.

RESULTS_DIR holds
  runs.tsv     round, tool, backend, n, label, median_ns, min_ns, p90_ns, samples (one line per
               measured quantity per benchmark process; see bench/common/src/lib.rs)
  rebuild.tsv  tool, n, run, seconds
  sizes.tsv    tool, n, bytes as built, bytes stripped
  meta.env     KEY=value lines: the machine, versions, settings and the command
"""

import os
import statistics
import sys
from collections import defaultdict

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts", "lib"))
import figures  # noqa: E402  (scripts/lib/figures.py: this run's figures and quoted ones in NOTES.md)

TOOLS = ["aludel", "diesel_migrations", "refinery", "sqlx"]
# aludel's async call (`run_pending_async` on diesel-async): a column beside aludel's sync one,
# not a peer.
ASYNC = "aludel-async"
SHORT = {"aludel": "aludel", "aludel-async": ASYNC, "diesel": "diesel_migrations",
         "refinery": "refinery", "sqlx": "sqlx", "aludel-rs": "aludel, a tenth in Rust"}
SIZE_TOOLS = ["aludel", ASYNC] + TOOLS[1:]
# The rebuild benchmark also rebuilds aludel's history with every tenth revision in Rust.
REBUILD_TOOLS = ["aludel", "aludel, a tenth in Rust"] + TOOLS[1:]
PEERS = TOOLS[1:]
NOOP_TARGET = 1.5
APPLY_TARGET = 1.1  # the target: apply-all within 1.1× of direct SQL


NOTES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "NOTES.md")
# The figures NOTES.md may take from the run (at the largest N of the run).
NOTE_FIGURES = (
    ["n", "rebuild.n", "rebuild.ratio", "size.aludel", "size.diesel_migrations"]
    + [f"noop.{kind}.{b}" for kind in ("warm", "first") for b in ("sqlite", "postgres")]
    + [f"apply.{kind}{b}" for kind in ("", "nosync.") for b in ("sqlite", "postgres")]
    # The async call beside the sync one (async / sync), beside sqlx (sqlx / async), and its
    # own floor and direct SQL through diesel-async beside the sync ones (async / sync).
    + [f"async.{what}.{kind}.{b}" for what in ("noop", "noop.sqlx", "floor")
       for kind in ("warm", "first") for b in ("sqlite", "postgres")]
    + [f"async.{what}.{kind}.{b}" for what in ("apply", "apply.sqlx", "direct")
       for kind in ("deployed", "nosync") for b in ("sqlite", "postgres")]
    # Warm, at the largest N: the medians; the range of the processes' medians; the fastest
    # call of all the processes.
    + [f"async.{what}.{b}" for what in ("noop.us", "sync.noop.us", "floor.us", "sync.floor.us",
                                        "noop.range", "sync.noop.range",
                                        "noop.min", "sync.noop.min")
       for b in ("sqlite", "postgres")]
    + ["size.aludel_async"]
)


def fmt(ns):
    if ns is None:
        return "–"
    if ns < 1e6:
        return f"{ns / 1e3:.1f} µs"
    if ns < 1e9:
        return f"{ns / 1e6:.2f} ms"
    return f"{ns / 1e9:.2f} s"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "–"
    return f"{a / b:.2f}×"


def thousands(n):
    return f"{int(n):,}"


def load(results):
    runs = defaultdict(list)  # (tool, backend, n, label) -> [median_ns per round]
    mins = defaultdict(list)  # (tool, backend, n, label) -> [min_ns per round]
    samples = defaultdict(int)
    path = os.path.join(results, "runs.tsv")
    if os.path.exists(path):
        for line in open(path, encoding="utf-8"):
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 9:
                continue
            _, tool, backend, n, label, median, fastest, _, count = parts
            key = (tool, backend, int(n), label)
            runs[key].append(int(median))
            mins[key].append(int(fastest))
            samples[key] += int(count)
    rebuild = defaultdict(list)
    path = os.path.join(results, "rebuild.tsv")
    if os.path.exists(path):
        for line in open(path, encoding="utf-8"):
            tool, n, _, seconds = line.split("\t")
            rebuild[(SHORT[tool], int(n))].append(float(seconds))
    sizes = {}
    path = os.path.join(results, "sizes.tsv")
    if os.path.exists(path):
        for line in open(path, encoding="utf-8"):
            tool, n, built, stripped = line.split("\t")
            sizes[(SHORT[tool], int(n))] = (int(built), int(stripped))
    meta = {}
    for line in open(os.path.join(results, "meta.env"), encoding="utf-8"):
        if "=" in line:
            k, v = line.rstrip("\n").split("=", 1)
            meta[k] = v
    return runs, mins, samples, rebuild, sizes, meta


def main():
    if sys.argv[1:] == ["--check"]:
        try:
            figures.check(open(NOTES, encoding="utf-8").read(), set(NOTE_FIGURES), "bench/NOTES.md")
        except figures.FiguresError as error:
            sys.exit(f"error: {error}")
        return
    results = sys.argv[1]
    runs, mins, samples, rebuild, sizes, meta = load(results)

    def value(tool, backend, n, label):
        v = runs.get((tool, backend, n, label))
        return statistics.median(v) if v else None

    backends = [b for b in ("sqlite", "postgres") if any(k[1] == b for k in runs)]
    sizes_n = sorted({k[2] for k in runs})
    out = []
    p = out.append
    verdicts = []
    note = {}  # this run's figures for NOTES.md
    if sizes_n:
        note["n"] = thousands(max(sizes_n))

    p("<!-- peers-bench:start -->")
    p("## Migrations: aludel beside diesel_migrations, refinery and sqlx")
    p("")
    p(f"_Written by `scripts/bench-peers.sh` on {meta['date']}. Do not edit by hand: rerun the script._")
    p("")
    p("The same generated histories of N trivial revisions (revision *i* creates table `t<i>`,")
    p("`CREATE TABLE t0001 (id INTEGER PRIMARY KEY, name TEXT NOT NULL);`, its downgrade drops it),")
    p("written by `bench/generate.py` in each tool's own layout and embedded with each tool's macro")
    p("into a release binary per tool and N (`bench/`, a cargo project outside the workspace).")
    p("Each binary times only the tool's call: connecting, creating and dropping databases are")
    p("never timed. Every figure is a median; the tools run one after another, round after round,")
    p("in the same run.")
    p("")
    p(f"- Machine: {meta['machine']}; load average (1, 5, 15 min) {meta['load_before']} before the run, {meta['load_after']} after")
    p(f"- Toolchain: {meta['rustc']}; release profile; commit `{meta['commit']}`")
    p(f"- Versions (pinned in `bench/Cargo.toml`): {meta['versions']}")
    p(f"- SQLite {meta['sqlite_version']} compiled into every binary, files on {meta['sqlite_fs']}, SQLite's defaults (rollback journal, `synchronous = FULL`); PostgreSQL {meta['pg_version']} on this machine over TCP (127.0.0.1), `fsync` {meta['pg_fsync']}, `synchronous_commit` {meta['pg_sync']}")
    p(f"- Command: `{meta['command']}`; it took {meta['elapsed']}")
    p("")

    # 1. No-op -------------------------------------------------------------------------------
    p("### 1. The no-op startup check (everything applied)")
    p("")
    p("What every service pays at every start: the tool's call on a database that is already at")
    p("head. *Floor*: `SELECT version_num FROM alembic_version` through diesel's `sql_query`, on")
    p("the same connection, interleaved call by call with aludel's `run_pending` in the same")
    p("process. *Warm*: the call repeated on one connection (after 10 unmeasured calls), for")
    p(f"{meta['noop_ms']} ms per process, in {meta['noop_rounds']} round(s) of one process per tool; the median")
    p("of the processes' medians. *First call*: a new connection each time (not timed), and only its")
    p(f"first call timed ({meta['cold_iters']} per process): no statement or catalog cache is warm yet.")
    p("*aludel async*: `run_pending_async` on diesel-async 0.9 (`AsyncPgConnection`;")
    p("`SyncConnectionWrapper<SqliteConnection>` for SQLite, which runs each request on tokio's")
    p("blocking pool), each call driven by `block_on` in a current-thread tokio runtime, as sqlx")
    p("is; measured like aludel, in its own process, with the same floor read through")
    p("diesel-async interleaved call by call (*async / sync* compares it with aludel's sync call).")
    p("")
    for title, suffix in (("Warm (same connection)", ""), ("First call on a new connection", "-cold")):
        p(f"**{title}**")
        p("")
        p("| backend | N | floor | **aludel** | aludel / floor | **aludel async** | async / sync | diesel_migrations | refinery | sqlx | best peer / aludel |")
        p("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for b in backends:
            for n in sizes_n:
                floor = value("aludel", b, n, "floor" + suffix)
                ours = value("aludel", b, n, "noop" + suffix)
                ours_async = value(ASYNC, b, n, "noop" + suffix)
                peers = [value(t, b, n, "noop" + suffix) for t in PEERS]
                known = [x for x in peers if x is not None]
                best = min(known) if known else None
                p(f"| {b} | {thousands(n)} | {fmt(floor)} | **{fmt(ours)}** | {ratio(ours, floor)} | "
                  f"**{fmt(ours_async)}** | {ratio(ours_async, ours)} | "
                  + " | ".join(fmt(x) for x in peers) + f" | {ratio(best, ours)} |")
                if n == max(sizes_n) and ours_async is not None:
                    kind = "warm" if suffix == "" else "first"
                    note[f"async.noop.{kind}.{b}"] = ratio(ours_async, ours) if ours is not None else None
                    sqlx = value("sqlx", b, n, "noop" + suffix)
                    note[f"async.noop.sqlx.{kind}.{b}"] = ratio(sqlx, ours_async) if sqlx is not None else None
                    floor_async = value(ASYNC, b, n, "floor" + suffix)
                    note[f"async.floor.{kind}.{b}"] = ratio(floor_async, floor) if floor_async and floor else None
                    if suffix == "":
                        us = lambda x: f"{x / 1e3:.1f} µs" if x is not None else None
                        note[f"async.noop.us.{b}"] = us(ours_async)
                        note[f"async.sync.noop.us.{b}"] = us(ours)
                        note[f"async.floor.us.{b}"] = us(floor_async)
                        note[f"async.sync.floor.us.{b}"] = us(floor)
                        for name, tool in (("noop", ASYNC), ("sync.noop", "aludel")):
                            medians = runs.get((tool, b, n, "noop"))
                            fastest = mins.get((tool, b, n, "noop"))
                            if medians:
                                lo, hi = min(medians), max(medians)
                                note[f"async.{name}.range.{b}"] = f"{lo / 1e3:.1f}–{hi / 1e3:.1f} µs"
                            if fastest:
                                note[f"async.{name}.min.{b}"] = us(min(fastest))
                if n == max(sizes_n) and ours is not None and floor:
                    note[f"noop.{'warm' if suffix == '' else 'first'}.{b}"] = ratio(ours, floor)
                if n == max(sizes_n) and ours is not None:
                    kind = "warm" if suffix == "" else "first call"
                    if floor:
                        verdicts.append((f"no-op ({kind}) within {NOOP_TARGET}× of the floor, {b}, N = {thousands(n)}",
                                         ours <= NOOP_TARGET * floor, f"{ours / floor:.2f}×"))
                    if best is not None:
                        verdicts.append((f"no-op ({kind}) below every peer, {b}, N = {thousands(n)}",
                                         ours < best, f"aludel {fmt(ours)}, best peer {fmt(best)}"))
        p("")

    # 2. Apply -------------------------------------------------------------------------------
    p("### 2. Applying everything to a fresh database")
    p("")
    p("A new database and a new connection for each measurement (not timed), then the tool's")
    p("call that applies all N revisions. *Direct SQL*: the same upgrade SQL executed by diesel's")
    p("`batch_execute`, revision after revision, each in its own implicit transaction (one commit")
    p("per revision, as aludel commits each revision with its version-table row), alternating with")
    p(f"aludel in the same process. {meta['apply_rounds']} round(s); 3 databases per process and round")
    p("for N ≤ 100, 1 for larger N. As deployed, each commit waits for the disk (fsync), which")
    p("dominates and varies with whatever else the machine's disk is doing; *without durability*")
    p("(SQLite `PRAGMA synchronous = OFF`, PostgreSQL `SET synchronous_commit = off` on the")
    p("measured connection, every tool alike) leaves the tools' own work. *aludel async*:")
    p("`run_pending_async` as above, alternating in its process with the same direct SQL through")
    p("diesel-async's `batch_execute`, as aludel does.")
    p("")
    for title, suffix in (("As deployed (SQLite's and PostgreSQL's default durability)", ""),
                          ("Without durability: the tools' own cost", "-nosync")):
        p(f"**{title}**")
        p("")
        p("| backend | N | direct SQL | **aludel** | aludel / direct | **aludel async** | async / sync | diesel_migrations | refinery | sqlx | best peer / aludel |")
        p("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for b in backends:
            for n in sizes_n:
                direct = value("aludel", b, n, "direct" + suffix)
                ours = value("aludel", b, n, "apply" + suffix)
                ours_async = value(ASYNC, b, n, "apply" + suffix)
                peers = [value(t, b, n, "apply" + suffix) for t in PEERS]
                known = [x for x in peers if x is not None]
                best = min(known) if known else None
                p(f"| {b} | {thousands(n)} | {fmt(direct)} | **{fmt(ours)}** | {ratio(ours, direct)} | "
                  f"**{fmt(ours_async)}** | {ratio(ours_async, ours)} | "
                  + " | ".join(fmt(x) for x in peers) + f" | {ratio(best, ours)} |")
                if n == max(sizes_n) and ours_async is not None:
                    kind = "nosync" if suffix else "deployed"
                    note[f"async.apply.{kind}.{b}"] = ratio(ours_async, ours) if ours is not None else None
                    sqlx = value("sqlx", b, n, "apply" + suffix)
                    note[f"async.apply.sqlx.{kind}.{b}"] = ratio(sqlx, ours_async) if sqlx is not None else None
                    direct_async = value(ASYNC, b, n, "direct" + suffix)
                    note[f"async.direct.{kind}.{b}"] = ratio(direct_async, direct) if direct_async and direct else None
                kind = "as deployed" if suffix == "" else "without durability"
                if n == max(sizes_n) and ours is not None and direct:
                    note[f"apply.{'nosync.' if suffix else ''}{b}"] = ratio(ours, direct)
                if ours is not None and direct:
                    verdicts.append((f"apply ({kind}) within {APPLY_TARGET}× of direct SQL, {b}, N = {thousands(n)}",
                                     ours <= APPLY_TARGET * direct, f"{ours / direct:.2f}×"))
                if ours is not None and best is not None:
                    verdicts.append((f"apply ({kind}) below every peer, {b}, N = {thousands(n)}",
                                     ours < best, f"aludel {fmt(ours)}, best peer {fmt(best)}"))
        p("")

    # 3. Rebuild -----------------------------------------------------------------------------
    p("### 3. Rebuilding a crate that embeds the history (the macro's cost)")
    p("")
    if rebuild:
        p("`cargo build --release` of the benchmark binary after a comment is appended to its")
        p("`src/main.rs` (the file that calls the macro); every dependency is already built, so")
        p("this is the macro's expansion, the crate's compilation and the link. *aludel, a tenth in")
        p("Rust*: the same history with every tenth revision a Rust revision (the same SQL through")
        p("`op.execute`), which the macro compiles as a module of the crate.")
        p(f"{meta['rebuild_runs']} runs per tool, tools alternating; wall-clock time.")
        p("")
        p("| tool | N | median | min | max |")
        p("|---|---:|---:|---:|---:|")
        for n in sorted({k[1] for k in rebuild}):
            for t in REBUILD_TOOLS:
                v = rebuild.get((t, n))
                if not v:
                    continue
                name = f"**{t}**" if t.startswith("aludel") else t
                p(f"| {name} | {thousands(n)} | {statistics.median(v):.2f} s | {min(v):.2f} s | {max(v):.2f} s |")
            ours = rebuild.get(("aludel", n))
            theirs = rebuild.get(("diesel_migrations", n))
            if ours and theirs:
                a, d = statistics.median(ours), statistics.median(theirs)
                note["rebuild.n"] = thousands(n)
                note["rebuild.ratio"] = f"{a / d:.2f}×" if d else "–"
                verdicts.append((f"rebuild no slower than diesel_migrations, N = {thousands(n)}",
                                 a <= d, f"aludel {a:.2f} s, diesel_migrations {d:.2f} s"))
    else:
        p("Not measured in this run (`BENCH_SKIP_REBUILD=1`).")
    p("")

    # 4. Size --------------------------------------------------------------------------------
    p("### 4. Binary size")
    p("")
    p("The benchmark binaries: the tool, its drivers for SQLite (compiled in) and PostgreSQL")
    p("(aludel and diesel_migrations link the system's libpq dynamically; refinery's `postgres`,")
    p("sqlx and aludel async, through diesel-async's `tokio-postgres`, are pure Rust; sqlx and")
    p("aludel async bring tokio), the embedded history and the same small harness. As built by")
    p("the release profile (symbols kept) / after `strip`.")
    p("")
    if sizes:
        ns = sorted({k[1] for k in sizes})
        p("| tool | " + " | ".join(f"N = {thousands(n)}" for n in ns) + " | per revision (stripped) |")
        p("|---|" + "---:|" * (len(ns) + 1))
        for t in SIZE_TOOLS:
            cells = []
            for n in ns:
                s = sizes.get((t, n))
                cells.append(f"{s[0] / 1048576:.2f} / {s[1] / 1048576:.2f} MiB" if s else "–")
            lo, hi = sizes.get((t, ns[0])), sizes.get((t, ns[-1]))
            per = f"{(hi[1] - lo[1]) / (ns[-1] - ns[0]):,.0f} B" if lo and hi and ns[-1] > ns[0] else "–"
            if per != "–":
                note[f"size.{t.replace('-', '_')}"] = per
            name = {"aludel": "**aludel**", ASYNC: "**aludel async**"}.get(t, t)
            p(f"| {name} | " + " | ".join(cells) + f" | {per} |")
    p("")

    # Targets --------------------------------------------------------------------------------
    p("### Targets")
    p("")
    for what, ok, detail in verdicts:
        p(f"- {'met' if ok else '**missed**'}: {what} ({detail})")
    p("")
    if os.path.exists(NOTES):
        values = {name: note.get(name) for name in NOTE_FIGURES}
        try:
            p(figures.render(open(NOTES, encoding="utf-8").read(), values, "bench/NOTES.md"))
        except figures.FiguresError as error:
            sys.exit(f"error: {error}")
        p("")
    p("<!-- peers-bench:end -->")
    print("\n".join(out))


if __name__ == "__main__":
    main()
