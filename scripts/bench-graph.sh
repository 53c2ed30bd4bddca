#!/usr/bin/env bash
# Benchmarks the revision graph of aludel (parse, validate, plan, walk; graph/benches/graph.rs)
# and, in the same run, Alembic on the same generated histories; then rewrites the
# "Revision graph" section of BENCHMARKS.md (between <!-- graph-bench:start --> and
# <!-- graph-bench:end -->), leaving the rest of the file alone.
#
# Usage: scripts/bench-graph.sh
#
# Environment:
#   ALEMBIC_SIZES    revision counts of the "branch + merge every 3" history measured with
#                    Alembic (default "1000 5000"; Alembic needs ~14 s per walk at 5,000 and
#                    ~5 min at 20,000, so add 20000 only on purpose: ALEMBIC_SIZES="1000 5000 20000")
#   ALEMBIC_LINEAR   revision counts of the linear history measured with Alembic (default "20000")
#   ALEMBIC_RUNS     at most this many runs per Alembic case (default 3) ...
#   ALEMBIC_BUDGET   ... and no new run once a case has taken this many seconds (default 20)
#   SKIP_ALEMBIC=1   do not measure Alembic
#   ALUDEL_BENCH_SECONDS  time budget per aludel stage (default 1)
#   PYTHON           the Python interpreter (default python3)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=lib/section.sh
source "$root/scripts/lib/section.sh"
out_file="$root/BENCHMARKS.md"
python=${PYTHON:-python3}
alembic_sizes=${ALEMBIC_SIZES:-1000 5000}
alembic_linear=${ALEMBIC_LINEAR:-20000}
alembic_runs=${ALEMBIC_RUNS:-3}
alembic_budget=${ALEMBIC_BUDGET:-20}

work=$(mktemp -d "${TMPDIR:-/tmp}/aludel-bench-graph.XXXXXX")
trap 'rm -rf "$work"' EXIT

# ---------------------------------------------------------------------------------------------
# The machine, before anything runs (the load average shows whether something else was busy).
cpu=$(grep -m1 '^model name' /proc/cpuinfo 2>/dev/null | sed 's/^model name[[:space:]]*:[[:space:]]*//' || true)
mem_kib=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo 2>/dev/null || true)
mem=$(awk -v k="${mem_kib:-0}" 'BEGIN { if (k > 0) printf "%.1f GiB", k / 1048576; else print "unknown" }')
machine="$(nproc) cores, ${cpu:-unknown CPU}, $mem RAM, $(uname -sr)"
loadavg=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
rustc_version=$(rustc --version)
commit=$(git -C "$root" describe --always --dirty 2>/dev/null || echo unknown)
date_utc=$(date -u '+%Y-%m-%d %H:%M UTC')

# ---------------------------------------------------------------------------------------------
# aludel. cargo's messages and the benchmark's progress go to the terminal (stderr); the report
# (stdout) and the figures (TSV) go to files.
bench_cmd=(cargo bench -p aludel-graph --bench graph)
echo "== ${bench_cmd[*]}" >&2
ALUDEL_BENCH_TSV="$work/aludel.tsv" "${bench_cmd[@]}" >"$work/aludel.md"

# ---------------------------------------------------------------------------------------------
# Alembic, in memory: RevisionMap over Revision objects, no files and no imports of revision
# scripts, so only the graph code is timed.
alembic_note=""
alembic_version=""
: >"$work/alembic.tsv"
if [[ "${SKIP_ALEMBIC:-0}" == 1 ]]; then
    alembic_note="Alembic not measured in this run (SKIP_ALEMBIC=1)."
elif ! "$python" -c 'import alembic' 2>/dev/null; then
    alembic_note="Alembic not measured in this run: \`$python -c 'import alembic'\` failed (install it with \`pip install alembic\` to compare)."
    echo "note: $alembic_note" >&2
else
    alembic_version=$("$python" -c 'import alembic; print(alembic.__version__)')
    python_version=$("$python" -c 'import platform; print(platform.python_implementation(), platform.python_version())')
    echo "== Alembic $alembic_version ($python_version): merge3 n = $alembic_sizes; linear n = $alembic_linear" >&2
    "$python" - "$work/alembic.tsv" "$alembic_runs" "$alembic_budget" "$alembic_sizes" "$alembic_linear" <<'PY'
"""Times Alembic's RevisionMap on the histories of graph/benches/graph.rs (same shape, same ids)."""
import statistics
import sys
import time

from alembic.script.revision import Revision, RevisionMap

out, max_runs, budget, merge_sizes, linear_sizes = sys.argv[1:6]
max_runs, budget = int(max_runs), float(budget)
MASK = (1 << 48) - 1


def revision_id(i):
    """The ids of graph/benches/graph.rs: a bijection on 48 bits, 12 hex digits."""
    x = i & MASK
    x = (x * 0x9E3779B97F4A7C15) & MASK
    x ^= x >> 23
    x = (x * 0xD6E8FEB86659FD93) & MASK
    x ^= x >> 21
    return "%012x" % x


def generate(shape, n):
    """base r0; then blocks a <- m, b <- m, m' <- (a, b) (merge3), or a chain (linear)."""
    if shape == "merge3" and n % 3 == 0:
        sys.exit(f"merge3 n={n}: a multiple of 3 would end on two open heads")
    ids = [revision_id(i) for i in range(n)]
    revisions = [Revision(ids[0], None)]
    tip = 0
    for i in range(1, n):
        if shape == "linear":
            revisions.append(Revision(ids[i], ids[i - 1]))
        elif (i - 1) % 3 < 2:
            revisions.append(Revision(ids[i], ids[tip]))
        else:
            revisions.append(Revision(ids[i], (ids[i - 2], ids[i - 1])))
            tip = i
    return revisions


with open(out, "w") as f:
    cases = [("merge3", int(n)) for n in merge_sizes.split()]
    cases += [("linear", int(n)) for n in linear_sizes.split()]
    for shape, n in cases:
        build, walk, spent, head = [], [], 0.0, ""
        while len(build) < max(1, max_runs) and (not build or spent < budget):
            revisions = generate(shape, n)  # fresh objects: RevisionMap annotates them
            t0 = time.perf_counter()
            rmap = RevisionMap(lambda: revisions)
            heads = rmap.heads
            t1 = time.perf_counter()
            walked = list(rmap.iterate_revisions("heads", "base"))
            t2 = time.perf_counter()
            if len(walked) != n or len(heads) != 1:
                sys.exit(f"{shape} n={n}: Alembic walked {len(walked)} revisions, heads {heads}")
            build.append(t1 - t0)
            walk.append(t2 - t1)
            spent += t2 - t0
            head = heads[0]
            print(f"  alembic {shape:<7} n={n:<6} build {t1 - t0:8.3f} s  walk {t2 - t1:8.3f} s",
                  file=sys.stderr)
        for stage, samples in (("build", build), ("walk", walk)):
            f.write(f"{shape}\t{n}\t{stage}\t{statistics.median(samples)}\t{min(samples)}"
                    f"\t{len(samples)}\t{head}\n")
PY
    alembic_note="Alembic $alembic_version on $python_version, in memory: \`RevisionMap\` over \`Revision\` objects (no files, no imports of revision scripts); *build* is \`RevisionMap(...)\` + \`.heads\`, *walk* is \`list(map.iterate_revisions(\"heads\", \"base\"))\`; median of up to $alembic_runs runs (fewer once a case has taken $alembic_budget s)."

    # Both generators must have built the same history: compare the heads.
    while IFS=$'\t' read -r shape n stage _ _ _ head; do
        [[ "$stage" == build ]] || continue
        if grep -q "$shape $n: head" "$work/aludel.md" && ! grep -q "$shape $n: head \`$head\`" "$work/aludel.md"; then
            echo "error: Alembic's $shape n=$n history has head $head, not the benchmark's" >&2
            exit 1
        fi
    done <"$work/alembic.tsv"
fi

loadavg_after=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)

# ---------------------------------------------------------------------------------------------
# The comparison table: Alembic (measured now, or quoted from GRAPH-CASES.md §5) beside aludel.
comparison=$(awk -F'\t' '
    function fmt(s) {
        if (s == "") return "–"
        if (s < 0.001) return sprintf("%.1f µs", s * 1e6)
        if (s < 1) return sprintf("%.2f ms", s * 1e3)
        return sprintf("%.2f s", s)
    }
    function thousands(n,   s) {
        s = n ""
        while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]($|,)/, ",&", s)
        return s
    }
    function bold(s) { return s == "–" ? s : "**" s "**" }
    function name(shape) { return shape == "merge3" ? "branch + merge every 3" : shape }
    FNR == 1 { file++ }
    file == 1 && FNR > 1 {
        key = $1 SUBSEP $2
        a[key, $3] = $4 / 1e9
        if (!(key in seen)) { seen[key] = 1; order[++count] = key }
    }
    file == 2 { al[$1 SUBSEP $2, $3] = $4; runs[$1 SUBSEP $2] = $6 }
    END {
        # Quoted, not measured here: GRAPH-CASES.md §5, Alembic 1.20.1, 20,002 revisions. Every
        # cell computed from a quoted figure (the speed-up) is marked like the figure.
        quoted["merge3" SUBSEP 20000, "build"] = 0.41; quoted["merge3" SUBSEP 20000, "walk"] = 295
        print "| graph | revisions | Alembic build map + heads | aludel validate (`Graph::build`) | Alembic walk heads→base | aludel history walk (`Graph::history(None)`) | walk speed-up | aludel plan upgrade / downgrade | aludel everything: parse + validate + both plans + history |"
        print "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
        for (i = 1; i <= count; i++) {
            key = order[i]; split(key, parts, SUBSEP)
            build = al[key, "build"]; walk = al[key, "walk"]; build_mark = ""; walk_mark = ""; speed_mark = ""
            if (walk == "" && ((key, "walk") in quoted)) {
                build = quoted[key, "build"]; walk = quoted[key, "walk"]; build_mark = walk_mark = speed_mark = " †"
            } else if (walk != "") {
                walk_mark = " (" runs[key] (runs[key] == 1 ? " run)" : " runs)")
            }
            history = a[key, "history walk (Graph::history(None))"]
            speed = (walk != "" && history > 0) ? thousands(sprintf("%.0f", walk / history)) "×" speed_mark : "–"
            printf "| %s | %s | %s%s | %s | %s%s | %s | %s | %s / %s | %s |\n", name(parts[1]), thousands(parts[2]),
                fmt(build), build_mark, fmt(a[key, "validate (Graph::build)"]),
                bold(fmt(walk)), walk_mark, bold(fmt(history)), speed,
                fmt(a[key, "plan upgrade base→heads"]), fmt(a[key, "plan downgrade heads→base"]),
                fmt(a[key, "total: load_files + plans + history"])
        }
    }' "$work/aludel.tsv" "$work/alembic.tsv")

# ---------------------------------------------------------------------------------------------
# The section, then BENCHMARKS.md: create it with its introduction, or replace our section.
section="$work/section.md"
{
    echo "<!-- graph-bench:start -->"
    echo "## Revision graph"
    echo
    echo "_Written by \`scripts/bench-graph.sh\` on $date_utc. Do not edit by hand: rerun the script._"
    echo
    echo "Parse, validate, plan and walk generated histories of real SQL revision files (header,"
    echo "\`-- upgrade\` CREATE TABLE, \`-- downgrade\` DROP TABLE, 12-hex-digit ids, files named"
    echo "\`<id>_<slug>.sql\` so that load order is unrelated to history order)."
    echo "*Branch + merge every 3*: a base, then blocks \`a ← m\`, \`b ← m\`, \`m′ ← (a, b)\`,"
    echo "each block starting from the previous merge (1,000 = base + 333 blocks; 20,000 = base +"
    echo "6,666 blocks + one revision on top). *Linear*: a chain. *Parallel100*: 100 labelled"
    echo "branches of 200 revisions from one base (100 heads). *Star*: one base and 9,999 labelled"
    echo "children (9,999 heads); the wide shapes check that planning stays near-linear when many"
    echo "branches are open at once. The shapes are documented in \`graph/benches/graph.rs\`."
    echo
    echo "- Machine: $machine; load average (1, 5, 15 min) $loadavg before the run, $loadavg_after after"
    echo "- Toolchain: $rustc_version; release profile (\`cargo bench\`); commit \`$commit\`"
    echo "- Command: \`scripts/bench-graph.sh\` (runs \`${bench_cmd[*]}\`, then Alembic in the same run)"
    echo
    echo "### aludel beside Alembic"
    echo
    echo "$comparison"
    echo
    echo "$alembic_note"
    echo
    if [[ "$comparison" == *†* ]]; then
        echo "† Quoted, not measured in this run (Alembic's walk takes minutes there): from the project's"
        echo "design notes, GRAPH-CASES.md §5 (outside this repository; Alembic 1.20.1, in-memory"
        echo "\`RevisionMap\`, 20,002 revisions of the same shape; the notes record neither the machine nor"
        echo "the date). The speed-up beside them divides the quoted walk by this run's aludel walk, so it"
        echo "is quoted too. Measure all three with \`ALEMBIC_SIZES=\"1000 5000 20000\" scripts/bench-graph.sh\`."
        echo
    fi
    echo "### aludel, stage by stage"
    echo
    cat "$work/aludel.md"
    echo "<!-- graph-bench:end -->"
} >"$section"

if [[ ! -f "$out_file" ]]; then
    cat >"$out_file" <<'EOF'
# Benchmarks

Speed is measured by benchmarks, never by timed tests. Every figure in this file is written by
a script that anyone can rerun on their machine, and was measured by that script's last run
unless it is marked as quoted (`†` or `[KEY]`, with a note of its source and date, or that the
source gives none). Each script replaces only its own section (between its
`<!-- name:start -->` and `<!-- name:end -->` comments) and leaves the rest alone.

- Revision graph (parse, validate, plan, walk; aludel beside Alembic): `scripts/bench-graph.sh`
EOF
fi
replace_section graph-bench "$section" "$out_file" "$work"
echo "== wrote the Revision graph section of ${out_file#"$root"/}" >&2
echo "$comparison" >&2
