#!/usr/bin/env python3
"""Helpers of scripts/bench-fleet.sh (stdlib only).

    fleet_bench.py history DIR N         writes N revision files into DIR, prints the head id
    fleet_bench.py check-sqlite FILE HEAD N
                                         fails unless FILE's version table holds HEAD and it
                                         has the N tables of the history
    fleet_bench.py cpu                   prints the machine's busy, total and iowait jiffies
                                         (all cores, /proc/stat)
    fleet_bench.py ref                   prints the milliseconds of a fixed CPU-bound loop (the
                                         VM's speed of the moment, taken before each run)
    fleet_bench.py watch PID DB READY OUT
                                         until SIGTERM, the CPU of the backends of the
                                         postmaster PID connected to database DB (see watch())
    fleet_bench.py report RESULTS_DIR    prints the BENCHMARKS.md section from RESULTS_DIR's
                                         meta.env, runs.tsv and summaries.txt

Every figure of the section comes from runs.tsv, which the script's run wrote; this file
holds no measured number.
"""

from __future__ import annotations

import hashlib
import math
import os
import sqlite3
import sys
from dataclasses import dataclass

# ---------------------------------------------------------------------------------------------
# The history.


def revision_id(i: int) -> str:
    """A fixed 12-hex-digit id for revision i (1-based), like Alembic's."""
    return hashlib.sha1(f"aludel-bench-fleet-{i}".encode()).hexdigest()[:12]


def table(i: int) -> str:
    return f"t_{i:02d}_items"


def revision_text(i: int) -> str:
    """Revision i: a table with a few columns and an index, every fourth one also a column
    added to the previous table. SQL valid on PostgreSQL and SQLite, names unqualified (in a
    tenant schema they land in the schema)."""
    parent = revision_id(i - 1) if i > 1 else ""
    name = table(i)
    up = [
        f"CREATE TABLE {name} (",
        "    id INTEGER PRIMARY KEY,",
        "    name TEXT NOT NULL,",
        "    amount INTEGER NOT NULL DEFAULT 0,",
        "    created_at TEXT",
        ");",
        f"CREATE INDEX ix_{name}_name ON {name} (name);",
    ]
    down = [f"DROP INDEX ix_{name}_name;", f"DROP TABLE {name};"]
    if i > 1 and i % 4 == 0:
        up.append(f"ALTER TABLE {table(i - 1)} ADD COLUMN note TEXT;")
        down.insert(0, f"ALTER TABLE {table(i - 1)} DROP COLUMN note;")
    return "\n".join(
        [
            f"-- revision: {revision_id(i)}",
            f"-- down_revision: {parent}",
            f"-- message: create {name}",
            "",
            "-- upgrade",
            *up,
            "",
            "-- downgrade",
            *down,
            "",
        ]
    )


def history(directory: str, n: int) -> None:
    os.makedirs(directory, exist_ok=True)
    for i in range(1, n + 1):
        path = os.path.join(directory, f"{revision_id(i)}_create_{table(i)}.sql")
        with open(path, "w", encoding="utf-8") as f:
            f.write(revision_text(i))
    print(revision_id(n))


def check_sqlite(path: str, head: str, n: int) -> None:
    if not os.path.exists(path):
        sys.exit(f"error: {path} does not exist after the run")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        versions = [row[0] for row in conn.execute("SELECT version_num FROM alembic_version")]
        tables = conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name LIKE 't\\_%\\_items' ESCAPE '\\'"
        ).fetchone()[0]
    finally:
        conn.close()
    if versions != [head] or tables != n:
        sys.exit(f"error: {path}: version table {versions}, {tables} tables; expected [{head!r}] and {n}")


def proc_stat(pid: str) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (field 3 is [0])."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return None
    return text[text.rfind(")") + 2 :].split()


def cpu() -> None:
    with open("/proc/stat", encoding="utf-8") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    total = sum(fields[:8])  # user nice system idle iowait irq softirq steal
    idle, iowait = fields[3], fields[4]
    print(total - idle - iowait, total, iowait)


def ref() -> None:
    import time

    best = math.inf
    for _ in range(3):
        t = time.perf_counter()
        x = 0
        for i in range(1_000_000):
            x += i * i % 7
        best = min(best, time.perf_counter() - t)
    print(f"{best * 1000:.2f}")


def watch(postmaster: str, database: str, ready: str, out: str) -> None:
    """Until SIGTERM, every 20 ms: the CPU of the postmaster's backends connected to
    `database` (by their process title, `postgres: CLUSTER: USER DATABASE HOST STATE`). Writes
    their CPU jiffies during the watch and the largest private memory (RssAnon, KiB) one of
    them reached to `out`. A backend is seen at its last poll before it
    exits, so up to 20 ms of its CPU may be missed; one that lives less than that may be missed
    whole (the fleets' backends live as long as the run)."""
    import signal
    import time

    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    children = f"/proc/{postmaster}/task/{postmaster}/children"
    first: dict[str, int] = {}  # our backends: jiffies when first seen (0 if born during the watch)
    last: dict[str, int] = {}
    others: set[str] = set()
    peak_anon = 0

    def poll(initial: bool) -> None:
        nonlocal peak_anon
        try:
            with open(children, encoding="utf-8") as f:
                pids = f.read().split()
        except OSError:
            return
        for pid in pids:
            if pid in others:
                continue
            if pid not in last:
                try:
                    with open(f"/proc/{pid}/cmdline", "rb") as f:
                        title = f.read().replace(b"\0", b" ").decode(errors="replace").split()
                except OSError:
                    continue
                # "postgres:", "15/main:", user, database, host, state...
                if len(title) < 4 or title[0] != "postgres:":
                    continue  # not yet titled: look again next time
                if title[3] != database:
                    others.add(pid)
                    continue
            st = proc_stat(pid)
            if st is None:
                continue
            jiffies = int(st[11]) + int(st[12])
            if pid not in last:
                first[pid] = jiffies if initial else 0
            last[pid] = jiffies
            try:
                with open(f"/proc/{pid}/status", encoding="utf-8") as f:
                    for line in f:
                        if line.startswith("RssAnon:"):
                            peak_anon = max(peak_anon, int(line.split()[1]))
                            break
            except (OSError, ValueError):
                pass

    poll(True)
    with open(ready, "w", encoding="utf-8") as f:
        f.write("ready\n")
    while not stopping:
        time.sleep(0.02)
        poll(False)
    with open(out, "w", encoding="utf-8") as f:
        f.write(f"{sum(last[p] - first[p] for p in last)} {peak_anon}\n")


# ---------------------------------------------------------------------------------------------
# The report.


@dataclass
class Run:
    kind: str  # postgres | sqlite
    runner: str  # fleet | loop
    size: int  # targets in this run
    parallel: int  # --parallel (1 for the loop)
    phase: str  # first | noop
    set: str  # matrix | scale | loop
    wall: float  # seconds, the whole aludel process (or loop)
    rss_kib: int  # peak RSS of the aludel process (the largest one, for the loop)
    cpu: float  # user + sys seconds of aludel (all processes, for the loop)
    busy: float  # the machine's CPU busy during the run, 0..1 of all cores
    iowait: float  # the share of all cores' time idle with I/O outstanding, 0..1
    server_cpu: float  # the PostgreSQL server's CPU seconds during the run (-1: unknown)
    server_kib: int  # the largest private memory (RssAnon) of one of its backends (-1: unknown)
    ref_ms: float  # the fixed CPU-bound loop just before the run
    cores: int = 1

    @property
    def per_target_ms(self) -> float:
        return self.wall / self.size * 1000

    @property
    def rate(self) -> float:
        return self.size / self.wall if self.wall > 0 else math.inf

    @property
    def server(self) -> float:
        """The server's CPU seconds, 0 where it was not measured or the fleet is SQLite."""
        return self.server_cpu if self.kind == "postgres" and self.server_cpu >= 0 else 0.0

    @property
    def rest(self) -> float:
        """CPU seconds of everything else on the machine during the run."""
        return max(0.0, self.busy * self.cores * self.wall - self.cpu - self.server)


def read_meta(path: str) -> dict[str, str]:
    meta = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if "=" in line:
                key, value = line.split("=", 1)
                meta[key] = value
    return meta


def read_runs(path: str, cores: int) -> list[Run]:
    runs = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            c = line.rstrip("\n").split("\t")
            if len(c) < 14:
                continue
            runs.append(
                Run(
                    kind=c[0],
                    runner=c[1],
                    size=int(c[2]),
                    parallel=int(c[3]),
                    phase=c[4],
                    set=c[5],
                    wall=float(c[6]),
                    rss_kib=int(c[7]),
                    cpu=float(c[8]),
                    busy=float(c[9]),
                    iowait=float(c[10]),
                    server_cpu=float(c[11]),
                    server_kib=int(c[12]),
                    ref_ms=float(c[13]),
                    cores=cores,
                )
            )
    return runs


def secs(s: float) -> str:
    if s >= 100:
        return f"{s:,.0f} s"
    if s >= 10:
        return f"{s:.1f} s"
    return f"{s:.2f} s"


def ms(v: float) -> str:
    if v >= 100:
        return f"{v:,.0f} ms"
    if v >= 10:
        return f"{v:.1f} ms"
    if v >= 1:
        return f"{v:.2f} ms"
    return f"{v * 1000:.0f} µs"


def mib(kib: int) -> str:
    return f"{kib / 1024:.1f} MiB"


def pct(v: float) -> str:
    return f"{v * 100:.0f} %"


def faster(v: float) -> str:
    """`v` (a ratio of times, the other's ÷ this one's) in words."""
    if v >= 1.05:
        return f"{times(v)} faster"
    if v <= 0.95:
        return f"{times(1 / v)} slower"
    return "about the same"


def times(v: float) -> str:
    if v >= 10:
        return f"{v:,.0f}×"
    return f"{v:.1f}×"


KIND_NAME = {"postgres": "PostgreSQL schemas", "sqlite": "SQLite files"}
FLOOR_NAME = {"postgres": "floor: bare queries (psql, one connection)"}
# How many targets of one URL a fleet worker's connection serves (runtime/src/fleet.rs).
TARGETS_PER_CONNECTION = 200
PHASE_NAME = {"first": "first run", "noop": "no-op rerun"}


def find(runs: list[Run], **keys) -> Run | None:
    for r in runs:
        if all(getattr(r, k) == v for k, v in keys.items()):
            return r
    return None


def fit(points: list[tuple[int, float]]) -> tuple[float, float]:
    """Least squares wall = a + b * n over (n, wall): (a seconds, b seconds per target)."""
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    if sxx == 0:
        return 0.0, my / mx if mx else 0.0
    b = sum((x - mx) * (y - my) for x, y in points) / sxx
    return my - b * mx, b


class Report:
    def __init__(self, results: str):
        self.meta = read_meta(os.path.join(results, "meta.env"))
        self.cores = int(self.meta.get("cores") or 1)
        self.runs = read_runs(os.path.join(results, "runs.tsv"), self.cores)
        self.summaries = os.path.join(results, "summaries.txt")
        self.full = int(self.meta["fleet_size"])
        self.revs = int(self.meta["revisions"])
        self.loop_size = int(self.meta["loop_size"])
        self.kinds = [k for k in self.meta["kinds"].split() if any(r.kind == k for r in self.runs)]
        self.parallels = [int(p) for p in self.meta["parallel"].split()]
        self.scale_p = int(self.meta["scale_parallel"])
        self.scale_sizes = sorted({r.size for r in self.runs if r.set == "scale"} | {self.full})
        self.pg_measured = self.meta.get("postmaster", "0") != "0"

    def matrix(self, kind: str, phase: str, p: int) -> Run | None:
        return find(self.runs, kind=kind, set="matrix", phase=phase, parallel=p)

    def loop(self, kind: str, phase: str) -> Run | None:
        return find(self.runs, kind=kind, set="loop", phase=phase)

    def floor(self, kind: str) -> Run | None:
        return find(self.runs, kind=kind, set="floor", phase="noop")

    def scale(self, kind: str, size: int, phase: str) -> Run | None:
        r = find(self.runs, kind=kind, set="scale", size=size, phase=phase)
        if r is None and size == self.full:
            r = self.matrix(kind, phase, self.scale_p)
        return r

    def cpu_cell(self, r: Run) -> str:
        if r.kind != "postgres" or not self.pg_measured:
            return f"{secs(r.cpu)} / – / {secs(r.rest)}"
        if r.runner == "loop":
            # Backends that live a few milliseconds are partly missed by the 20 ms poll.
            return f"{secs(r.cpu)} / ≥ {secs(r.server)} / ≤ {secs(r.rest)}"
        return f"{secs(r.cpu)} / {secs(r.server)} / {secs(r.rest)}"

    def rss_cell(self, r: Run) -> str:
        if r.kind != "postgres" or not self.pg_measured or r.server_kib < 0:
            return f"{mib(r.rss_kib)} / –"
        at_least = "≥ " if r.runner == "loop" else ""
        return f"{mib(r.rss_kib)} / {at_least}{mib(r.server_kib)}"

    # -----------------------------------------------------------------------------------------

    def render(self) -> str:
        m = self.meta
        out: list[str] = []
        w = out.append
        w("<!-- fleet-bench:start -->")
        w("## Fleets: one history over many tenants")
        w("")
        w(f"_Written by `scripts/bench-fleet.sh` on {m['date']}. Do not edit by hand: rerun the script._")
        w("")
        fleets = " and ".join(
            {
                "postgres": f"{self.full:,} PostgreSQL schemas of one database (`tenant_0000` …, each "
                "a `schema=` line of the list)",
                "sqlite": f"{self.full:,} SQLite files in one directory",
            }[k]
            for k in self.kinds
        )
        w(
            f"A generated history of {self.revs} SQL revisions (each creates a table of four columns "
            f"and an index; every fourth also adds a column to the table before it) applied to {fleets}. "
            "*Fleet*: `aludel upgrade heads --targets FILE --parallel P`, one process for the whole "
            "list. *Shell loop*: what an Alembic user runs, `aludel upgrade heads --database-url URL` "
            "once per target, one after another (a tenant schema through a URL that sets the search "
            "path, `postgres://…/aludel_bench_fleet?options=-csearch_path%3Dtenant_0001`). Every first "
            "run starts from an empty fleet: a new database with its empty schemas, or a new "
            "directory. The previous fleet is set aside (the database renamed, the directory moved) "
            "and deleted only at the end, because deleting tens of thousands of files just before a "
            "run makes ext4 slow to create new ones for a while (it passes over recently freed "
            "inodes), and that would be charged to the next run's `CREATE TABLE`s. The no-op rerun "
            "follows on the same list, every target at head. One run "
            "of each; *wall* is the whole process (or loop), *per target* is wall ÷ targets and "
            "*targets/s* its inverse (throughput, not one target's latency). aludel's peak RSS and CPU "
            "come from `/usr/bin/time` (for the loop: its largest process, and all processes' CPU); "
            "*a backend* is the largest private memory (`RssAnon`, shared buffers left out) that one "
            "of the PostgreSQL backends serving the run reached; "
            "*server* is the CPU of the PostgreSQL backends connected to the benchmark's database "
            "(their `/proc` counters, polled every 20 ms; the server's other clients and its "
            "background processes are not counted; for the shell loop, whose backends live "
            "milliseconds each, a lower bound); *rest* is the CPU of everything else on the machine "
            "during the run (from `/proc/stat`: the busy time of both cores less aludel's and the "
            "server's); *machine busy* the share of both cores' time that was not idle; *reference "
            "loop* is a fixed CPU-bound Python loop timed just before the run (best of 3), the "
            "virtual machine's speed of the moment: where it moves between rows, so do the "
            "rows' walls and CPU times, whatever aludel does. Each first run was checked: exit code 0, the report's summary and every "
            f"target's line saying {self.revs} revisions applied, and three targets' version tables "
            "at the head with their tables (in the tenant's schema, none in `public`)."
        )
        w("")
        w(
            f"- Machine: {m['machine']}; load average (1, 5, 15 min) {m['load_before']} before the "
            f"measurements, {m['load_after']} after; in the 10 s before them, with nothing of the "
            f"benchmark running, the machine was {m['quiet_busy']} % busy (other processes)"
        )
        w(f"- Toolchain: {m['rustc']}; release build (`cargo build --release -p aludel-cli`); {m['versions']}; commit `{m['commit']}`")
        if "postgres" in self.kinds:
            w(
                f"- PostgreSQL {m['pg_version']} on this machine (`fsync` {m['pg_fsync']}, "
                f"`synchronous_commit` {m['pg_sync']}, `shared_buffers` {m.get('pg_shared_buffers', '?')}); "
                + ("the CPU of the benchmark's backends measured" if self.pg_measured else "the server's CPU not measured (its postmaster was not found on this machine)")
            )
        if "sqlite" in self.kinds:
            w(f"- SQLite files on {m['sqlite_fs']}")
        w(f"- Command: `{m['command']}` ({m['elapsed']} in all, the build included)")
        w("")
        for phase, title in (
            ("first", f"First run: an empty fleet to head ({self.revs} revisions per target)"),
            ("noop", "No-op rerun: every target already at head"),
        ):
            w(f"### {title}")
            w("")
            self.table(w, phase)
            w("")
        if self.loop_size < self.full and any(self.loop(k, "first") for k in self.kinds):
            w(
                f"‡ Extrapolated, not measured: the shell loop ran on the first {self.loop_size:,} "
                f"targets (`BENCH_LOOP_SIZE`), and its per-target time is multiplied by {self.full:,}. "
                "The loop starts one process per target, one after another, so a target costs it the "
                "same wherever it stands in the list; measure the whole fleet with "
                f"`BENCH_LOOP_SIZE={self.full}`."
            )
            w("")
        w(f"### How the cost grows with the number of tenants (--parallel {self.scale_p})")
        w("")
        w("| kind | targets | first run | per target | no-op rerun | per target |")
        w("|---|---:|---:|---:|---:|---:|")
        for kind in self.kinds:
            for size in self.scale_sizes:
                f, n = self.scale(kind, size, "first"), self.scale(kind, size, "noop")
                if f and n:
                    w(f"| {KIND_NAME[kind]} | {size:,} | {secs(f.wall)} | {ms(f.per_target_ms)} | {secs(n.wall)} | {ms(n.per_target_ms)} |")
        w("")
        fits = []
        for kind in self.kinds:
            for phase in ("first", "noop"):
                a, b, _ = self.fitted(kind, phase)
                if b is not None:
                    fits.append(f"{KIND_NAME[kind]}, {PHASE_NAME[phase]}: {secs(max(a, 0))} + {ms(b * 1000)} × N")
        if fits:
            w("A straight line through each column (least squares, wall ≈ fixed + per target × N): " + "; ".join(fits) + ".")
            w("")
        if self.meta.get("scale_reused") == "1":
            w(f"The {self.full:,}-target rows are the --parallel {self.scale_p} runs of the tables above (`BENCH_SCALE_REPEAT=1` measures them again).")
            w("")
        if os.path.exists(self.summaries):
            w("aludel's own summary of each fleet run (the last line of its report on stdout):")
            w("")
            w("```text")
            with open(self.summaries, encoding="utf-8") as f:
                for line in f:
                    w(line.rstrip("\n"))
            w("```")
            w("")
        w("### What the figures say")
        w("")
        for para in self.prose():
            w(para)
            w("")
        w("<!-- fleet-bench:end -->")
        return "\n".join(out)

    def table(self, w, phase: str) -> None:
        w("| kind | runner | --parallel | targets | wall | per target | targets/s | speed-up vs P=1 | shell loop ÷ fleet, per target | peak memory: aludel / a backend | CPU: aludel / server / rest | machine busy | reference loop |")
        w("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for kind in self.kinds:
            base = self.matrix(kind, phase, 1)
            loop = self.loop(kind, phase)
            for p in self.parallels:
                r = self.matrix(kind, phase, p)
                if r is None:
                    continue
                speed = times(base.wall / r.wall) if base else "–"
                vs_loop = times(loop.per_target_ms / r.per_target_ms) if loop else "–"
                w(
                    f"| {KIND_NAME[kind]} | fleet | {p} | {r.size:,} | **{secs(r.wall)}** | {ms(r.per_target_ms)} | "
                    f"{r.rate:,.0f} | {speed} | {vs_loop} | {self.rss_cell(r)} | {self.cpu_cell(r)} | {pct(r.busy)} | {ms(r.ref_ms)} |"
                )
            floor = self.floor(kind) if phase == "noop" else None
            if floor:
                w(
                    f"| {KIND_NAME[kind]} | {FLOOR_NAME[kind]} | 1 | {floor.size:,} | **{secs(floor.wall)}** | {ms(floor.per_target_ms)} | "
                    f"{floor.rate:,.0f} | – | – | {self.rss_cell(floor)} | {self.cpu_cell(floor)} | {pct(floor.busy)} | {ms(floor.ref_ms)} |"
                )
            if loop:
                wall = f"**{secs(loop.wall)}**"
                if loop.size < self.full:
                    wall += f"; {self.full:,}: ≈ {secs(loop.per_target_ms * self.full / 1000)} ‡"
                w(
                    f"| {KIND_NAME[kind]} | shell loop | – | {loop.size:,} | {wall} | {ms(loop.per_target_ms)} | "
                    f"{loop.rate:,.0f} | – | – | {self.rss_cell(loop)} | {self.cpu_cell(loop)} | {pct(loop.busy)} | {ms(loop.ref_ms)} |"
                )

    def fitted(self, kind: str, phase: str) -> tuple[float, float | None, list[Run]]:
        rows = [self.scale(kind, n, phase) for n in self.scale_sizes]
        rows = [r for r in rows if r]
        if len(rows) < 2:
            return 0.0, None, rows
        a, b = fit([(r.size, r.wall) for r in rows])
        return a, b, rows

    # -----------------------------------------------------------------------------------------
    # The prose: every figure from this run's rows, every judgement from a comparison of them.

    def prose(self) -> list[str]:
        paras = [self.growth(), self.beside_floor(), self.beside_loop(), self.parallel_limits(), self.memory(), self.second_machine()]
        return [p for p in paras if p]

    def growth(self) -> str:
        items = []
        for kind in self.kinds:
            for phase in ("first", "noop"):
                a, b, rows = self.fitted(kind, phase)
                if b is None:
                    continue
                big, mid = rows[-1], rows[-2]
                ratio = big.per_target_ms / mid.per_target_ms
                if 0.8 <= ratio <= 1.25:
                    shape = "linear: about the same per target"
                elif ratio < 0.8:
                    shape = "less per target at the larger size: a fixed cost spread over more targets"
                else:
                    shape = "more per target at the larger size: worse than linear"
                items.append(
                    f"- {KIND_NAME[kind]}, {PHASE_NAME[phase]}: {secs(mid.wall)} for {mid.size:,} targets, "
                    f"{secs(big.wall)} for {big.size:,}; {ms(mid.per_target_ms)} and "
                    f"{ms(big.per_target_ms)} per target ({shape}). Fitted: {secs(max(a, 0))} + "
                    f"{ms(b * 1000)} × N."
                )
        if not items:
            return ""
        text = (
            f"**How the cost grows with the number of tenants** (--parallel {self.scale_p}, the "
            "scaling table):\n\n" + "\n".join(items) + "\n\n"
            "A target costs the same wherever it stands in the list: the no-op rerun is, per "
            "target, a connection (a new one per SQLite file; for the schemas of one database, one "
            "per worker, reused from tenant to tenant) and the one query that reads the version "
            f"table; the first run adds the {self.revs} revisions' transactions (each its DDL, the "
            "version table's update, the log's row and a commit)."
        )
        for kind in self.kinds:
            first, noop = self.matrix(kind, "first", 1), self.matrix(kind, "noop", 1)
            if first and noop:
                per_rev = (first.per_target_ms - noop.per_target_ms) / self.revs
                text += (
                    f" At --parallel 1 on {KIND_NAME[kind]}: {ms(noop.per_target_ms)} per target for the "
                    f"check, and {ms(per_rev)} per revision on top of it for the first run"
                )
                if kind == "postgres" and self.pg_measured and first.server > 0:
                    text += (
                        f" (of which CPU: the server {ms(first.server / first.size / self.revs * 1000)}, "
                        f"aludel {ms(first.cpu / first.size / self.revs * 1000)}; the rest is waiting, "
                        "for the commit's flush among others)"
                    )
                text += "."
        return text

    def beside_floor(self) -> str:
        items = []
        for kind in self.kinds:
            floor = self.floor(kind)
            cands = [self.matrix(kind, "noop", p) for p in self.parallels]
            cands = [r for r in cands if r]
            one = self.matrix(kind, "noop", 1)
            if not (floor and one and cands):
                continue
            best = min(cands, key=lambda r: r.wall)
            item = (
                f"- {KIND_NAME[kind]}: {floor.size:,} bare reads took {secs(floor.wall)} "
                f"({ms(floor.per_target_ms)} each); the fleet's no-op rerun took {secs(one.wall)} at "
                f"--parallel 1 ({times(one.wall / floor.wall)} the floor's time)"
            )
            if best.parallel != 1:
                item += (
                    f" and {secs(best.wall)} at --parallel {best.parallel} "
                    f"({times(best.wall / floor.wall)} the floor's time)"
                )
            items.append(item + ".")
        if not items:
            return ""
        return (
            "**The no-op rerun beside its floor.** The floor is each tenant's version table read by "
            "one bare query, one tenant after another on one psql connection (the process's start "
            "and its connection included, as the fleet's are), with nothing else: no history to "
            "load and check, no report. The fleet's check is the same one query per tenant, with the "
            "rows compared against the history.\n\n"
            + "\n".join(items)
        )

    def beside_loop(self) -> str:
        items = []
        for kind in self.kinds:
            for phase in ("noop", "first"):
                loop, one = self.loop(kind, phase), self.matrix(kind, phase, 1)
                cands = [self.matrix(kind, phase, p) for p in self.parallels]
                cands = [r for r in cands if r]
                if not (loop and one and cands):
                    continue
                best = min(cands, key=lambda r: r.wall)
                item = (
                    f"- {KIND_NAME[kind]}, {PHASE_NAME[phase]}: {ms(loop.per_target_ms)} per target in the "
                    f"loop, {ms(one.per_target_ms)} in the fleet at --parallel 1 "
                    f"({faster(loop.per_target_ms / one.per_target_ms)})"
                )
                if best.parallel != 1:
                    item += (
                        f", {ms(best.per_target_ms)} at its fastest, --parallel {best.parallel} "
                        f"({faster(loop.per_target_ms / best.per_target_ms)})"
                    )
                if loop.size < self.full:
                    item += (
                        f"; all {self.full:,} targets: ≈ {secs(loop.per_target_ms * self.full / 1000)} ‡ "
                        f"in the loop, {secs(best.wall)} in the fleet"
                    )
                else:
                    item += f"; all {self.full:,} targets: {secs(loop.wall)} in the loop, {secs(best.wall)} in the fleet"
                items.append(item + ".")
        if not items:
            return ""
        return (
            "**Beside the shell loop.** For every target the loop pays a process start, the reading "
            "and checking of the history and a new connection; the fleet pays the first two once.\n\n"
            + "\n".join(items)
        )

    def parallel_limits(self) -> str:
        items = []
        for kind in self.kinds:
            for phase in ("first", "noop"):
                one = self.matrix(kind, phase, 1)
                rest = [self.matrix(kind, phase, p) for p in self.parallels if p != 1]
                rest = [r for r in rest if r]
                if not (one and rest):
                    continue
                steps = ", ".join(
                    f"P={r.parallel} {secs(r.wall)} ({one.wall / r.wall:.2f}× the speed of P=1, {pct(r.busy)} busy)"
                    for r in rest
                )
                top = rest[-1]
                items.append(
                    f"- {KIND_NAME[kind]}, {PHASE_NAME[phase]}: P=1 {secs(one.wall)} (machine {pct(one.busy)} busy), "
                    f"{steps}. At P={top.parallel} the {PHASE_NAME[phase]} took {secs(top.wall)}, "
                    f"{top.wall / one.wall:.2f} times the P=1 run."
                )
        if not items:
            return ""
        text = (
            f"**What limits --parallel here.** This machine has {self.cores} cores, and they run "
            "aludel, the PostgreSQL server (a backend process per connection) and everything else "
            "on the machine; at P=1 aludel and its one backend take turns, so a run keeps at most "
            "one core busy.\n\n" + "\n".join(items) + "\n\n"
        )
        notes = []
        for kind in self.kinds:
            firsts = [self.matrix(kind, "first", p) for p in self.parallels]
            firsts = [r for r in firsts if r]
            if not firsts:
                continue
            saturated = [r for r in firsts if round(r.busy * 100) >= 90]
            if saturated:
                r0 = saturated[0]
                notes.append(
                    f"in the {KIND_NAME[kind]} first runs the machine was {pct(r0.busy)} busy at "
                    f"P={r0.parallel}: from there on more workers only take turns on the same cores"
                )
            else:
                top = max(firsts, key=lambda r: r.busy)
                notes.append(
                    f"in the {KIND_NAME[kind]} first runs the machine was never more than {pct(top.busy)} "
                    f"busy (at P={top.parallel}): the rest of the time went to waiting, for the commits' "
                    f"flushes to the disk among others (iowait up to {pct(max(r.iowait for r in firsts))})"
                )
            best = min(firsts, key=lambda r: r.wall)
            used = best.cpu + best.server
            if used > 0:
                floor = used / self.cores
                who = "aludel's and the server's" if kind == "postgres" and self.pg_measured else "aludel's"
                notes.append(
                    f"the fastest {KIND_NAME[kind]} first run (P={best.parallel}, {secs(best.wall)}) used "
                    f"{secs(used)} of {who} CPU: {self.cores} cores need at least {secs(floor)} for that "
                    "alone"
                )
            if kind == "postgres" and self.pg_measured and len(firsts) > 1:
                one, top = firsts[0], firsts[-1]
                if one.server > 0:
                    grow = top.server / one.server
                    servers = [r.server for r in firsts]
                    rising = all(b >= a for a, b in zip(servers, servers[1:]))
                    note = (
                        f"the server's CPU for the same {self.full:,} × {self.revs} revisions was "
                        + ", ".join(f"{secs(r.server)} at P={r.parallel}" for r in firsts)
                    )
                    spread = max(servers) / min(servers) if min(servers) > 0 else 1.0
                    if spread < 1.3:
                        note += ": about the same work, however many workers share it"
                    elif grow >= 1.3 and rising:
                        note += (
                            f": {grow:.1f}× more at P={top.parallel}, so each worker added also adds "
                            "work on the server side (which work is not measured here; every DDL "
                            "commit's catalog invalidations are read by every other backend of the "
                            "database, for one)"
                        )
                    else:
                        note += (
                            f": {spread:.1f}× between the least and the most, not steadily with P "
                            "(the VM's speed moves between runs: see the reference loop)"
                        )
                    notes.append(note)
                share = top.cpu / (top.cpu + top.server) if top.cpu + top.server > 0 else 0
                notes.append(
                    f"the aludel process itself used {secs(top.cpu)} of CPU at P={top.parallel}, "
                    f"{pct(share)} of what aludel and the server used together"
                )
            if kind == "sqlite":
                iowait = "" if not saturated else f" (iowait up to {pct(max(r.iowait for r in firsts))})"
                notes.append(
                    "on SQLite the database work runs inside aludel's own threads, and each commit "
                    f"waits for the file to reach the disk{iowait}"
                )
        for kind in self.kinds:
            one, top = self.matrix(kind, "noop", 1), self.matrix(kind, "noop", max(self.parallels))
            if one and top and top.parallel != 1 and top.wall > one.wall:
                notes.append(
                    f"the {KIND_NAME[kind]} no-op rerun was slower at P={top.parallel} than at P=1 "
                    f"({secs(top.wall)} against {secs(one.wall)}), and aludel's own CPU for the same "
                    f"work rose from {secs(one.cpu)} to {secs(top.cpu)}: with one query per target "
                    "there is too little to share, and more threads only add overhead"
                )
        runs = [r for r in self.runs if r.set == "matrix" and r.phase == "first"]
        total = sum(r.busy * r.cores * r.wall for r in runs)
        if total > 0 and sum(r.rest for r in runs) / total >= 0.1:
            notes.append(
                f"the *rest* column (other processes) was {pct(sum(r.rest for r in runs) / total)} of the "
                "busy CPU time of the first runs: these walls include that contention"
            )
        refs = [r.ref_ms for r in self.runs]
        if refs and min(refs) > 0 and max(refs) / min(refs) >= 1.2:
            notes.append(
                f"the reference loop took {ms(min(refs))} to {ms(max(refs))} over the run "
                f"({max(refs) / min(refs):.1f}×): the virtual machine's speed moved by that much, so "
                "differences of that size between two rows are not the fleet's"
            )
        if notes:
            text += "\n".join(f"- {n[0].upper()}{n[1:]}." for n in notes)
        return text

    def memory(self) -> str:
        parts = []
        for kind in self.kinds:
            rows = [self.matrix(kind, "first", p) for p in self.parallels]
            rows = [r for r in rows if r]
            if rows:
                lo, hi = min(r.rss_kib for r in rows), max(r.rss_kib for r in rows)
                parts.append(f"{mib(lo)} to {mib(hi)} on {KIND_NAME[kind]}")
        if not parts:
            return ""
        text = (
            "**Memory.** aludel's peak RSS in the first runs: " + ", ".join(parts)
            + f" (--parallel {min(self.parallels)} to {max(self.parallels)}: a thread and a "
            "connection per worker, and the report's line per target)."
        )
        pg = [self.matrix("postgres", "first", p) for p in self.parallels]
        pg = [r for r in pg if r and r.server_kib > 0]
        if pg and self.pg_measured:
            # A worker's connection serves at most TARGETS_PER_CONNECTION tenants of one database
            # (runtime/src/fleet.rs), then the worker opens a new one.
            cap = TARGETS_PER_CONNECTION
            served = [min(cap, -(-self.full // r.parallel)) for r in pg]
            text += (
                " On the server, a worker's connection serves tenant after tenant of one database, "
                "and its backend keeps the catalog entries of every schema it has touched; the fleet "
                f"gives each connection at most {cap} tenants and then opens a new one, so that a "
                "backend's memory is bounded whatever the number of tenants. The largest backend "
                "reached "
                + ", ".join(
                    f"{mib(r.server_kib)} at --parallel {r.parallel} (≤ {n:,} tenants per connection)"
                    for r, n in zip(pg, served)
                )
                + "."
            )
        return text

    def second_machine(self) -> str:
        text = (
            "**Where a second machine starts to pay.** Split the list into shards and run `aludel "
            "upgrade heads --targets shard-K --parallel P` on each machine. That is safe: each "
            "target's own version table is the truth about it, and each target has its own "
            "migration lock (per schema for tenant schemas), so shards that overlap, or a shard run "
            "again, cost one no-op query per target already at head; the report of a shard that "
            "stopped marks its `failed` and `not_started` targets, which says which shard to run "
            "again (the same list: the targets at head are skipped)."
        )
        pg = [self.matrix("postgres", "first", p) for p in self.parallels]
        pg = [r for r in pg if r]
        if pg and self.pg_measured:
            best = min(pg, key=lambda r: r.wall)
            used = best.cpu + best.server
            share = best.cpu / used if used > 0 else 0
            text += (
                f" It pays only where the second machine brings what is used up. In the fastest "
                f"PostgreSQL first run here (--parallel {best.parallel}, {secs(best.wall)}, machine "
                f"{pct(best.busy)} busy) aludel's process used {secs(best.cpu)} of CPU and the server "
                f"{secs(best.server)}: moving aludel to another machine would free {pct(share)} of "
                "that, because the rest is the one database server's work. So a second client "
                "machine against the same server does not pay here; it starts to pay when the "
                "tenants live on several database servers (a shard per server, each server's cores "
                "working on its own shard), or when the server has cores to spare and the client's "
                "CPU or its round trips are the limit (a server on its own machine across a network)."
            )
            noop = [self.matrix("postgres", "noop", p) for p in self.parallels]
            noop = [r for r in noop if r]
            if noop:
                nb = min(noop, key=lambda r: r.wall)
                text += (
                    f" The no-op rerun hardly needs one: {self.full:,} tenants at head were checked in "
                    f"{secs(nb.wall)} (--parallel {nb.parallel})."
                )
        if "sqlite" in self.kinds:
            text += (
                " SQLite files are opened where they lie, so for them a second machine helps only with "
                "the files on its own disks: shard by host."
            )
        return text


def report(results: str) -> None:
    print(Report(results).render())


def main(argv: list[str]) -> None:
    if len(argv) >= 2 and argv[1] == "history" and len(argv) == 4:
        history(argv[2], int(argv[3]))
    elif len(argv) >= 2 and argv[1] == "check-sqlite" and len(argv) == 5:
        check_sqlite(argv[2], argv[3], int(argv[4]))
    elif len(argv) == 2 and argv[1] == "ref":
        ref()
    elif len(argv) == 2 and argv[1] == "cpu":
        cpu()
    elif len(argv) == 6 and argv[1] == "watch":
        watch(argv[2], argv[3], argv[4], argv[5])
    elif len(argv) == 3 and argv[1] == "report":
        report(argv[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
