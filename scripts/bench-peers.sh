#!/usr/bin/env bash
# Benchmarks aludel beside diesel_migrations, refinery and sqlx on the same generated histories
# (N trivial revisions, each creating one table), on SQLite and PostgreSQL; aludel twice, its
# sync call (`run_pending` on diesel) and its async call (`run_pending_async` on diesel-async,
# tool aludel-async):
#   1. the no-op startup check (everything applied), beside the floor: a bare
#      `SELECT version_num FROM alembic_version` on the same connection;
#   2. applying everything to a fresh database, beside the same SQL executed directly;
#   3. the rebuild of a crate that embeds the history (the macro's cost);
#   4. binary size.
# Then rewrites the "Migrations" section of BENCHMARKS.md (between <!-- peers-bench:start -->
# and <!-- peers-bench:end -->), leaving the rest of the file alone.
#
# The benchmark lives in bench/, a cargo project outside the workspace (so outside the test
# run): bench/generate.py writes one binary crate per tool and N under bench/target/gen/,
# bench/runners/ hold each tool's calls, bench/common/ the measuring loop, bench/report.py the
# tables. Every tool runs in the same run, one process after another, round after round.
#
# Usage: scripts/bench-peers.sh            (about 40 minutes on 2 cores, the first time:
#                                           ~10 min of builds, ~25 min of measurements, ~6 min
#                                           of rebuilds; ~30 minutes when the builds are cached)
#
# Environment:
#   BENCH_SIZES          revision counts (default "10 100 1000")
#   BENCH_DBS            backends (default "sqlite postgres")
#   BENCH_POSTGRES_URL   a PostgreSQL database to connect to while creating and dropping the
#                        benchmark's own databases (default $ALUDEL_TEST_POSTGRES_URL, else
#                        postgres://postgres@127.0.0.1:5432/test); psql must be installed
#   BENCH_NOOP_ROUNDS    processes per tool for the no-op check (default 3) ...
#   BENCH_NOOP_MS        ... each repeating the call for this long (default 1000) ...
#   BENCH_COLD_ITERS     ... and timing this many first calls on new connections (default 10)
#   BENCH_APPLY_ROUNDS   processes per tool for apply-all (default 5; each applies to 3 fresh
#                        databases for N <= 100, to 1 above), as deployed and then again
#                        without durability (SQLite `synchronous = OFF`, PostgreSQL
#                        `synchronous_commit = off`)
#   BENCH_REBUILD_N      N of the rebuild benchmark (default the largest of BENCH_SIZES)
#   BENCH_REBUILD_RUNS   rebuilds per tool (default 3)
#   BENCH_SKIP_REBUILD=1 do not measure rebuilds
#   BENCH_NO_WRITE=1     print the section instead of writing BENCHMARKS.md
# A quick run: BENCH_SIZES="10 100" BENCH_DBS=sqlite BENCH_SKIP_REBUILD=1 scripts/bench-peers.sh
set -euo pipefail

started=$(date +%s)
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/section.sh
source "$root/scripts/lib/section.sh"
bench="$root/bench"
out_file="$root/BENCHMARKS.md"
read -r -a sizes <<<"${BENCH_SIZES:-10 100 1000}"
read -r -a dbs <<<"${BENCH_DBS:-sqlite postgres}"
pg_url=${BENCH_POSTGRES_URL:-${ALUDEL_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}}
noop_rounds=${BENCH_NOOP_ROUNDS:-3}
noop_ms=${BENCH_NOOP_MS:-1000}
cold_iters=${BENCH_COLD_ITERS:-10}
apply_rounds=${BENCH_APPLY_ROUNDS:-5}
largest=$(printf '%s\n' "${sizes[@]}" | sort -n | tail -1)
rebuild_n=${BENCH_REBUILD_N:-$largest}
rebuild_runs=${BENCH_REBUILD_RUNS:-3}
tools=(aludel aludel-async diesel refinery sqlx)

export CARGO_TARGET_DIR="$bench/target"
gen="$bench/target/gen"
results="$bench/target/results"
sqlite_dir="$bench/target/db"
rm -rf "$results"
mkdir -p "$results" "$sqlite_dir"
work=$(mktemp -d "${TMPDIR:-/tmp}/aludel-bench-peers.XXXXXX")
trap 'rm -rf "$work"' EXIT

# bench/NOTES.md (appended to the section) may only hold this run's figures and quoted ones:
# refuse it now rather than after half an hour of measurements.
python3 "$bench/report.py" --check

for db in "${dbs[@]}"; do
    case "$db" in
        sqlite) ;;
        postgres)
            if ! psql -X -q -At "$pg_url" -c 'SELECT 1' >/dev/null; then
                echo "error: cannot reach PostgreSQL at $pg_url (set BENCH_POSTGRES_URL, or BENCH_DBS=sqlite)" >&2
                exit 1
            fi
            ;;
        *) echo "error: BENCH_DBS takes sqlite and postgres, not $db" >&2; exit 1 ;;
    esac
done

# ---------------------------------------------------------------------------------------------
# The machine, before anything runs.
cpu=$(grep -m1 '^model name' /proc/cpuinfo 2>/dev/null | sed 's/^model name[[:space:]]*:[[:space:]]*//' || true)
mem_kib=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo 2>/dev/null || true)
mem=$(awk -v k="${mem_kib:-0}" 'BEGIN { if (k > 0) printf "%.1f GiB", k / 1048576; else print "unknown" }')
{
    echo "machine=$(nproc) cores, ${cpu:-unknown CPU}, $mem RAM, $(uname -sr)"
    echo "load_before=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
    echo "rustc=$(rustc --version)"
    echo "commit=$(git -C "$root" describe --always --dirty 2>/dev/null || echo unknown)"
    echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "noop_ms=$noop_ms"
    echo "noop_rounds=$noop_rounds"
    echo "cold_iters=$cold_iters"
    echo "apply_rounds=$apply_rounds"
    echo "rebuild_runs=$rebuild_runs"
    echo "sqlite_fs=$(stat -f -c %T "$sqlite_dir" 2>/dev/null || echo unknown) ($(df --output=source "$sqlite_dir" 2>/dev/null | tail -1))"
    if [[ " ${dbs[*]} " == *" postgres "* ]]; then
        echo "pg_version=$(psql -X -At "$pg_url" -c 'SHOW server_version' | cut -d' ' -f1)"
        echo "pg_fsync=$(psql -X -At "$pg_url" -c 'SHOW fsync')"
        echo "pg_sync=$(psql -X -At "$pg_url" -c 'SHOW synchronous_commit')"
    else
        echo "pg_version=(not measured)"; echo "pg_fsync=–"; echo "pg_sync=–"
    fi
    command="scripts/bench-peers.sh"
    for var in BENCH_SIZES BENCH_DBS BENCH_NOOP_ROUNDS BENCH_NOOP_MS BENCH_COLD_ITERS BENCH_APPLY_ROUNDS BENCH_REBUILD_N BENCH_REBUILD_RUNS BENCH_SKIP_REBUILD; do
        if [[ -n "${!var:-}" ]]; then command="$var=\"${!var}\" $command"; fi
    done
    echo "command=$command"
} >"$results/meta.env"

# ---------------------------------------------------------------------------------------------
# Generate and build (builds are not timed here; the rebuild benchmark below is).
echo "== generating the histories (N = ${sizes[*]}) under ${gen#"$root"/}" >&2
python3 "$bench/generate.py" "$gen" "${sizes[@]}"
declare -A crate_n=()
for n in "${sizes[@]}"; do crate_n[$n]=1; done
if [[ "${BENCH_SKIP_REBUILD:-0}" != 1 && -z "${crate_n[$rebuild_n]:-}" ]]; then
    python3 "$bench/generate.py" "$gen" "$rebuild_n"
fi
build() { # tool n
    cargo build --release --quiet --manifest-path "$gen/$1-$2/Cargo.toml"
}
for n in "${sizes[@]}"; do
    for tool in "${tools[@]}"; do
        echo "== cargo build --release ($tool, N = $n)" >&2
        build "$tool" "$n"
    done
done

# Versions, from the lock file the binaries were built with.
versions=$(awk '
    /^name = / { gsub(/"/, "", $3); name = $3 }
    /^version = / { gsub(/"/, "", $3); if (name ~ /^(diesel|diesel-async|tokio-postgres|diesel_migrations|refinery|sqlx|rusqlite|postgres|tokio|libsqlite3-sys|pq-sys)$/) v[name] = $3 }
    END {
        split("diesel diesel-async tokio-postgres diesel_migrations refinery sqlx rusqlite postgres tokio libsqlite3-sys pq-sys", order, " ")
        for (i = 1; i <= 11; i++) if (order[i] in v) printf "%s%s %s", (n++ ? ", " : ""), order[i], v[order[i]]
    }' "$gen/aludel-${sizes[0]}/Cargo.lock" "$gen/aludel-async-${sizes[0]}/Cargo.lock" "$gen/diesel-${sizes[0]}/Cargo.lock" "$gen/refinery-${sizes[0]}/Cargo.lock" "$gen/sqlx-${sizes[0]}/Cargo.lock")
echo "versions=aludel $(git -C "$root" describe --always --dirty 2>/dev/null || echo '(this tree)'), $versions" >>"$results/meta.env"
sqlite_version=$(awk -F'"' '/^#define SQLITE_VERSION / {print $2; exit}' \
    "$(find "${CARGO_HOME:-$HOME/.cargo}/registry/src" -path "*/libsqlite3-sys-$(sed -n 's/.*libsqlite3-sys \([0-9.]*\).*/\1/p' <<<"$versions")/sqlite3/sqlite3.h" 2>/dev/null | head -1)" 2>/dev/null || true)
echo "sqlite_version=${sqlite_version:-(bundled)}" >>"$results/meta.env"

# ---------------------------------------------------------------------------------------------
# 1 and 2: the no-op check and apply-all, every tool in turn, round after round (the starting
# tool rotates so that none always runs first).
binary() { echo "$CARGO_TARGET_DIR/release/peers-$1-$2"; }
measure() { # round tool n db_arg mode extra...
    local round=$1 tool=$2 n=$3 db_arg=$4 mode=$5
    shift 5
    "$(binary "$tool" "$n")" --db "$db_arg" --mode "$mode" --n "$n" "$@" >"$work/out.tsv"
    sed "s/^/$round\t/" "$work/out.tsv" >>"$results/runs.tsv"
    cut -f1,2,4,5 "$work/out.tsv" | awk -F'\t' '{ printf "   %-18s %-8s %-10s %12.1f µs\n", $1, $2, $3, $4 / 1000 }' >&2
}
for db in "${dbs[@]}"; do
    case "$db" in
        sqlite) db_arg="sqlite:$sqlite_dir" ;;
        postgres) db_arg="postgres:$pg_url" ;;
    esac
    for n in "${sizes[@]}"; do
        for ((round = 1; round <= noop_rounds; round++)); do
            echo "== no-op check, $db, N = $n, round $round/$noop_rounds" >&2
            for ((i = 0; i < ${#tools[@]}; i++)); do
                tool=${tools[(i + round) % ${#tools[@]}]}
                measure "$round" "$tool" "$n" "$db_arg" noop --budget-ms "$noop_ms" --cold-iters "$cold_iters"
            done
        done
        reps=1
        if ((n <= 100)); then reps=3; fi
        for ((round = 1; round <= apply_rounds; round++)); do
            echo "== apply all, $db, N = $n, round $round/$apply_rounds" >&2
            for ((i = 0; i < ${#tools[@]}; i++)); do
                tool=${tools[(i + round) % ${#tools[@]}]}
                measure "$round" "$tool" "$n" "$db_arg" apply --reps "$reps"
            done
        done
        for ((round = 1; round <= apply_rounds; round++)); do
            echo "== apply all without durability, $db, N = $n, round $round/$apply_rounds" >&2
            for ((i = 0; i < ${#tools[@]}; i++)); do
                tool=${tools[(i + round) % ${#tools[@]}]}
                measure "$round" "$tool" "$n" "$db_arg" apply --reps "$reps" --no-sync
            done
        done
    done
done

# ---------------------------------------------------------------------------------------------
# 4: binary sizes (before the rebuilds touch the binaries of N = rebuild_n).
: >"$results/sizes.tsv"
for n in "${sizes[@]}"; do
    for tool in "${tools[@]}"; do
        bin=$(binary "$tool" "$n")
        strip -o "$work/stripped" "$bin"
        printf '%s\t%s\t%s\t%s\n' "$tool" "$n" "$(stat -c %s "$bin")" "$(stat -c %s "$work/stripped")" >>"$results/sizes.tsv"
    done
done

# ---------------------------------------------------------------------------------------------
# 3: rebuilds of the crate that calls the macro, after an edit of that file.
: >"$results/rebuild.tsv"
if [[ "${BENCH_SKIP_REBUILD:-0}" != 1 ]]; then
    # aludel-rs: aludel's history with every tenth revision written in Rust. Not aludel-async:
    # its crate expands the same macro on the same history as aludel's.
    rebuild_tools=()
    for tool in "${tools[@]}"; do [[ $tool == aludel-async ]] || rebuild_tools+=("$tool"); done
    rebuild_tools+=(aludel-rs)
    for tool in "${rebuild_tools[@]}"; do build "$tool" "$rebuild_n"; done
    for ((run = 1; run <= rebuild_runs; run++)); do
        for ((i = 0; i < ${#rebuild_tools[@]}; i++)); do
            tool=${rebuild_tools[(i + run) % ${#rebuild_tools[@]}]}
            main="$gen/$tool-$rebuild_n/src/main.rs"
            # Untimed: picks up any change below the crate (e.g. in aludel's own sources).
            build "$tool" "$rebuild_n"
            echo "// rebuild $run at $(date +%s%N)" >>"$main"
            t0=$(date +%s%N)
            build "$tool" "$rebuild_n"
            t1=$(date +%s%N)
            seconds=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
            printf '%s\t%s\t%s\t%s\n' "$tool" "$rebuild_n" "$run" "$seconds" >>"$results/rebuild.tsv"
            echo "== rebuild $run/$rebuild_runs, $tool, N = $rebuild_n: $seconds s" >&2
        done
    done
    # Put main.rs back (the binaries stay as they are: the edits were comments).
    python3 "$bench/generate.py" "$gen" "$rebuild_n" 2>/dev/null
fi

# ---------------------------------------------------------------------------------------------
# The section, then BENCHMARKS.md: replace our section, or append it.
elapsed=$(($(date +%s) - started))
{
    echo "load_after=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
    echo "elapsed=$((elapsed / 60)) min $((elapsed % 60)) s"
} >>"$results/meta.env"
section="$work/section.md"
python3 "$bench/report.py" "$results" >"$section"
if [[ "${BENCH_NO_WRITE:-0}" == 1 ]]; then
    cat "$section"
    exit 0
fi
if [[ ! -f "$out_file" ]]; then
    printf '# Benchmarks\n' >"$out_file"
fi
replace_section peers-bench "$section" "$out_file" "$work"
echo "== wrote the Migrations section of ${out_file#"$root"/} ($((elapsed / 60)) min $((elapsed % 60)) s)" >&2
