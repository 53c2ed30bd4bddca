#!/usr/bin/env bash
# Benchmarks fleets: `aludel upgrade heads --targets FILE --parallel P` migrating one history
# (20 generated SQL revisions, each a table and an index) over many tenants, beside the shell
# loop an Alembic user writes (`aludel upgrade heads --database-url URL` once per target, one
# after another), on two kinds of fleet:
#   - PostgreSQL: 1,000 schemas (tenant_0000 ...) of one database, aludel_bench_fleet, made on
#     the server of BENCH_POSTGRES_URL (the loop reaches a schema through a URL that sets the
#     search path: .../aludel_bench_fleet?options=-csearch_path%3Dtenant_0001);
#   - SQLite: 1,000 files in a temporary directory.
# For each kind and each --parallel P: an empty fleet (a new database with empty schemas, or a
# new directory; the previous one is set aside, and everything is deleted at the end, so the
# default run needs ~5 GB of disk for a while), then the first run (every revision on every
# target) and the no-op rerun (every target at head). Then the same at --parallel 4 for
# smaller fleets (how the cost grows with the number of tenants), and the shell loop on the
# same kind of fleet (all of it, or BENCH_LOOP_SIZE targets, whose per-target time is then
# extrapolated and marked so). Each run: wall clock; aludel's peak RSS and CPU
# (/usr/bin/time); the CPU and peak private memory of the PostgreSQL backends serving it
# (their /proc entries, polled); the machine's busy and iowait share (/proc/stat); and, just
# before it, a fixed CPU-bound reference loop that shows how the virtual machine's speed moves
# during the run. Every first run is checked: exit code 0, the report's summary and lines,
# and three targets' version tables and tables. Progress lines (stderr) are discarded; the
# report's summary line (stdout) is kept for the section.
# Rewrites the "Fleets" section of BENCHMARKS.md (between <!-- fleet-bench:start --> and
# <!-- fleet-bench:end -->), leaving the rest of the file alone; scripts/lib/fleet_bench.py
# generates the history, does the sampling and writes the section.
#
# Usage: scripts/bench-fleet.sh            (about 15 minutes on 2 cores, plus the release
#                                           build of aludel-cli when it is not up to date)
#
# Environment:
#   BENCH_POSTGRES_URL  a PostgreSQL database to connect to while creating and dropping the
#                       benchmark's database (default postgres://postgres@127.0.0.1:5432/test);
#                       psql must be installed
#   BENCH_KINDS         the fleets (default "postgres sqlite"; BENCH_KINDS=sqlite needs no server)
#   BENCH_FLEET_SIZE    targets per fleet (default 1000)
#   BENCH_PARALLEL      the --parallel values (default "1 2 4 8")
#   BENCH_SCALE_SIZES   the smaller fleets of the scaling table, at --parallel 4 (default
#                       "10 100 300"; the full fleet is always a row of it)
#   BENCH_SCALE_REPEAT=1  measure the scaling table's full-size row again instead of taking
#                       the --parallel 4 runs of the main tables
#   BENCH_LOOP_SIZE     targets of the shell loop (default and at most BENCH_FLEET_SIZE; fewer
#                       to save time: its per-target time is then extrapolated, and marked so)
#   BENCH_REVISIONS     revisions of the history (default 20)
#   BENCH_NO_WRITE=1    print the section instead of writing BENCHMARKS.md
#   BENCH_KEEP=DIR      also copy the raw measurements (meta.env, runs.tsv, summaries.txt) to DIR
# A quick run (about a minute): BENCH_FLEET_SIZE=50 BENCH_LOOP_SIZE=20 BENCH_SCALE_SIZES="10 20" \
#     BENCH_NO_WRITE=1 scripts/bench-fleet.sh
set -euo pipefail

started=$(date +%s)
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/section.sh
source "$root/scripts/lib/section.sh"
helper="$root/scripts/lib/fleet_bench.py"
out_file="$root/BENCHMARKS.md"
pg_url=${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}
read -r -a kinds <<<"${BENCH_KINDS:-postgres sqlite}"
read -r -a parallels <<<"${BENCH_PARALLEL:-1 2 4 8}"
read -r -a scale_sizes <<<"${BENCH_SCALE_SIZES:-10 100 300}"
fleet_size=${BENCH_FLEET_SIZE:-1000}
loop_size=${BENCH_LOOP_SIZE:-$fleet_size}
revisions=${BENCH_REVISIONS:-20}
scale_parallel=4
if ((loop_size > fleet_size)); then loop_size=$fleet_size; fi
# The fleet and the loop name their databases themselves.
unset DATABASE_URL

for kind in "${kinds[@]}"; do
    case "$kind" in
        sqlite) ;;
        postgres)
            if ! command -v psql >/dev/null; then
                echo "error: psql is not installed (it creates the benchmark's database; or BENCH_KINDS=sqlite)" >&2
                exit 1
            fi
            if ! psql -X -q -At "$pg_url" -c 'SELECT 1' >/dev/null; then
                echo "error: cannot reach PostgreSQL at $pg_url (start it, set BENCH_POSTGRES_URL, or BENCH_KINDS=sqlite)" >&2
                exit 1
            fi
            ;;
        *) echo "error: BENCH_KINDS takes postgres and sqlite, not $kind" >&2; exit 1 ;;
    esac
done
for n in "$fleet_size" "$loop_size" "${scale_sizes[@]}" "${parallels[@]}" "$revisions"; do
    if ! [[ $n =~ ^[1-9][0-9]*$ ]]; then
        echo "error: sizes, --parallel values and BENCH_REVISIONS are positive integers, not \`$n\`" >&2
        exit 1
    fi
done
if [[ ! -x /usr/bin/time ]]; then
    echo "error: /usr/bin/time (GNU time) is needed for the peak RSS" >&2
    exit 1
fi

# The benchmark's database, on the server of pg_url (its query string left out).
pg_base=${pg_url%%\?*}
pg_server=${pg_base%/*}
bench_db=aludel_bench_fleet
bench_url="$pg_server/$bench_db"

work=$(mktemp -d "${TMPDIR:-/tmp}/aludel-bench-fleet.XXXXXX")
project="$work/project"
sqlite_dir="$work/sqlite"
results="$work/results"
mkdir -p "$project/migrations/versions" "$results"
# drop_databases: the benchmark's database and those set aside (see reset).
drop_databases() {
    local db
    for db in $(psql -X -At "$pg_url" -c "SELECT datname FROM pg_database WHERE datname = '$bench_db' OR datname LIKE '${bench_db}\_old\_%'"); do
        psql -X -q "$pg_url" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
    done
}
watcher=""
cleanup() {
    if [[ -n $watcher ]]; then
        kill -TERM "$watcher" 2>/dev/null || true
    fi
    if [[ " ${kinds[*]} " == *" postgres "* ]]; then
        drop_databases 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
if [[ " ${kinds[*]} " == *" postgres "* ]]; then
    drop_databases # left by a run that was killed
fi

# ---------------------------------------------------------------------------------------------
# The machine, before anything runs; the build; the history.
echo "== cargo build --release -p aludel-cli" >&2
(cd "$root" && cargo build --quiet --release -p aludel-cli)
aludel="$root/target/release/aludel"

head=$(python3 "$helper" history "$project/migrations/versions" "$revisions")
echo "== $revisions revisions in ${project}/migrations/versions, head $head" >&2

# How busy the machine is without us (other processes: a test suite, a build), over 10 s.
read -r b0 a0 _ < <(python3 "$helper" cpu)
sleep 10
read -r b1 a1 _ < <(python3 "$helper" cpu)
quiet_busy=$(awk -v b="$((b1 - b0))" -v a="$((a1 - a0))" 'BEGIN { printf "%.0f", (a > 0 ? 100 * b / a : 0) }')
echo "== the machine was $quiet_busy % busy in the 10 s before the measurements" >&2
load_before=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)

cpu=$(grep -m1 '^model name' /proc/cpuinfo 2>/dev/null | sed 's/^model name[[:space:]]*:[[:space:]]*//' || true)
mem_kib=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo 2>/dev/null || true)
mem=$(awk -v k="${mem_kib:-0}" 'BEGIN { if (k > 0) printf "%.1f GiB", k / 1048576; else print "unknown" }')
lock_version() { awk -v want="$1" '$1 == "name" && $3 == "\"" want "\"" { getline; gsub(/"/, "", $3); print $3; exit }' "$root/Cargo.lock"; }
{
    echo "machine=$(nproc) cores, ${cpu:-unknown CPU}, $mem RAM, $(uname -sr)"
    echo "cores=$(nproc)"
    echo "load_before=$load_before"
    echo "quiet_busy=$quiet_busy"
    echo "rustc=$(rustc --version)"
    echo "commit=$(git -C "$root" describe --always --dirty 2>/dev/null || echo unknown)"
    echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "versions=diesel $(lock_version diesel), libsqlite3-sys $(lock_version libsqlite3-sys) (SQLite compiled in), pq-sys $(lock_version pq-sys) (libpq)"
    echo "fleet_size=$fleet_size"
    echo "loop_size=$loop_size"
    echo "revisions=$revisions"
    echo "kinds=${kinds[*]}"
    echo "parallel=${parallels[*]}"
    echo "scale_parallel=$scale_parallel"
    echo "sqlite_fs=$(stat -f -c %T "$work" 2>/dev/null || echo unknown) on $(df --output=source "$work" 2>/dev/null | tail -1)"
    if [[ " ${kinds[*]} " == *" postgres "* ]]; then
        echo "pg_version=$(psql -X -At "$pg_url" -c 'SHOW server_version' | cut -d' ' -f1)"
        echo "pg_fsync=$(psql -X -At "$pg_url" -c 'SHOW fsync')"
        echo "pg_sync=$(psql -X -At "$pg_url" -c 'SHOW synchronous_commit')"
        echo "pg_shared_buffers=$(psql -X -At "$pg_url" -c 'SHOW shared_buffers')"
    fi
    command="scripts/bench-fleet.sh"
    for var in BENCH_KINDS BENCH_FLEET_SIZE BENCH_PARALLEL BENCH_SCALE_SIZES BENCH_SCALE_REPEAT BENCH_LOOP_SIZE BENCH_REVISIONS; do
        if [[ -n "${!var:-}" ]]; then command="$var=\"${!var}\" $command"; fi
    done
    echo "command=$command"
} >"$results/meta.env"
: >"$results/runs.tsv"
: >"$results/summaries.txt"

# ---------------------------------------------------------------------------------------------
# Fleets: reset, target lists, checks.

# reset KIND N: an empty fleet of N targets. The previous fleet is set aside (its database
# renamed, its directory moved), not deleted: deleting tens of thousands of files makes ext4
# slow to create new ones for a while afterwards (it passes over recently freed inodes), which
# would land on the next run's CREATE TABLEs. Everything set aside is deleted at the end.
set_aside=0
reset() {
    local kind=$1 n=$2 try
    case "$kind" in
        postgres)
            if [[ -n $(psql -X -At "$pg_url" -c "SELECT 1 FROM pg_database WHERE datname = '$bench_db'") ]]; then
                set_aside=$((set_aside + 1))
                # The last run's backends may still be on their way out.
                for try in $(seq 50); do
                    if psql -X -q "$pg_url" -c "ALTER DATABASE $bench_db RENAME TO ${bench_db}_old_$set_aside" >/dev/null 2>&1; then
                        break
                    fi
                    if ((try == 50)); then
                        echo "error: cannot rename $bench_db aside (still in use?)" >&2
                        exit 1
                    fi
                    sleep 0.1
                done
            fi
            psql -X -q "$pg_url" -c "CREATE DATABASE $bench_db" >/dev/null
            seq -f 'CREATE SCHEMA tenant_%04g;' 0 $((n - 1)) | psql -X -q -1 "$bench_url" >/dev/null
            ;;
        sqlite)
            if [[ -d $sqlite_dir ]]; then
                set_aside=$((set_aside + 1))
                mv "$sqlite_dir" "$work/sqlite-old-$set_aside"
            fi
            mkdir -p "$sqlite_dir"
            ;;
    esac
}

# fleet_list KIND N FILE: the --targets file of the first N targets.
fleet_list() {
    local kind=$1 n=$2 file=$3 i
    {
        echo "# $n targets of the $kind fleet"
        for ((i = 0; i < n; i++)); do
            case "$kind" in
                postgres) printf '%s schema=tenant_%04d\n' "$bench_url" "$i" ;;
                sqlite) printf '%s/tenant_%04d.db\n' "$sqlite_dir" "$i" ;;
            esac
        done
    } >"$file"
}

# loop_list KIND N FILE: the --database-url of each of the first N targets, one per line.
loop_list() {
    local kind=$1 n=$2 file=$3 i
    for ((i = 0; i < n; i++)); do
        case "$kind" in
            postgres) printf '%s?options=-csearch_path%%3Dtenant_%04d\n' "$bench_url" "$i" ;;
            sqlite) printf '%s/tenant_%04d.db\n' "$sqlite_dir" "$i" ;;
        esac
    done >"$file"
}

# check_target KIND I: target I's version table holds the head and its tables are there (in
# its schema; none in public).
check_target() {
    local kind=$1 i=$2 name version tables
    name=$(printf 'tenant_%04d' "$i")
    case "$kind" in
        postgres)
            version=$(psql -X -At "$bench_url" -c "SELECT string_agg(version_num, ',') FROM $name.alembic_version")
            tables=$(psql -X -At "$bench_url" -c "SELECT count(*) FROM pg_tables WHERE schemaname = '$name' AND tablename LIKE 't\\_%\\_items'")
            if [[ "$version" != "$head" || "$tables" != "$revisions" ]]; then
                echo "error: $name: version table [$version], $tables tables; expected [$head] and $revisions" >&2
                return 1
            fi
            ;;
        sqlite) python3 "$helper" check-sqlite "$sqlite_dir/$name.db" "$head" "$revisions" ;;
    esac
}

# check_fleet KIND N: the last target and two random ones are at head; nothing in public.
check_fleet() {
    local kind=$1 n=$2 leaked
    check_target "$kind" $((n - 1))
    check_target "$kind" $((RANDOM % n))
    check_target "$kind" $((RANDOM % n))
    if [[ $kind == postgres ]]; then
        leaked=$(psql -X -At "$bench_url" -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        if [[ "$leaked" != 0 ]]; then
            echo "error: $leaked tables in the public schema of $bench_db: a tenant's tables went there" >&2
            return 1
        fi
    fi
}

# ---------------------------------------------------------------------------------------------
# Measuring.

# The postmaster of the PostgreSQL server, when it runs on this machine: the CPU of its
# backends connected to the benchmark's database is measured beside aludel's (the server may
# have other clients, e.g. a test suite: they are not counted); 0 when it cannot be found.
postmaster=0
if [[ " ${kinds[*]} " == *" postgres "* ]]; then
    data_dir=$(psql -X -At "$pg_url" -c 'SHOW data_directory' 2>/dev/null || true)
    pid=$(head -1 "$data_dir/postmaster.pid" 2>/dev/null || true)
    if [[ $pid =~ ^[0-9]+$ && "$(cat "/proc/$pid/comm" 2>/dev/null)" == postgres && -r "/proc/$pid/task/$pid/children" ]]; then
        postmaster=$pid
    fi
fi
echo "postmaster=$postmaster" >>"$results/meta.env"
clk_tck=$(getconf CLK_TCK)

# measure KIND RUNNER SIZE P PHASE SET COMMAND...: runs COMMAND (stderr discarded, stdout to
# $work/stdout) under /usr/bin/time and appends a row to runs.tsv; fails the script if
# COMMAND fails.
measure() {
    local kind=$1 runner=$2 size=$3 p=$4 phase=$5 set=$6
    shift 6
    local t0 t1 b0 a0 w0 b1 a1 w1 rc=0 row server=-1 server_kib=-1 ref
    ref=$(python3 "$helper" ref)
    if [[ $kind == postgres && $postmaster != 0 ]]; then
        rm -f "$work/watch.ready" "$work/watch.out"
        python3 "$helper" watch "$postmaster" "$bench_db" "$work/watch.ready" "$work/watch.out" &
        watcher=$!
        while [[ ! -e "$work/watch.ready" ]]; do sleep 0.01; done
    fi
    read -r b0 a0 w0 < <(python3 "$helper" cpu)
    t0=$(date +%s%N)
    /usr/bin/time -o "$work/time" -f '%M %U %S' "$@" >"$work/stdout" 2>/dev/null || rc=$?
    t1=$(date +%s%N)
    read -r b1 a1 w1 < <(python3 "$helper" cpu)
    if [[ -n $watcher ]]; then
        kill -TERM "$watcher"
        wait "$watcher"
        watcher=""
        read -r server server_kib <"$work/watch.out"
        server=$(awk -v j="$server" -v hz="$clk_tck" 'BEGIN { printf "%.2f", j / hz }')
    fi
    if ((rc != 0)); then
        echo "error: $kind $runner (size $size, --parallel $p, $phase run) exited $rc; the end of its stdout:" >&2
        tail -5 "$work/stdout" >&2
        exit 1
    fi
    # kind runner size parallel phase set | wall rss_kib aludel_cpu busy iowait server_cpu
    # server_kib ref_ms
    row=$(awk -v t0="$t0" -v t1="$t1" -v db="$((b1 - b0))" -v da="$((a1 - a0))" -v dw="$((w1 - w0))" \
        -v server="$server" -v server_kib="$server_kib" -v ref="$ref" 'NR == 1 {
            printf "%.4f\t%d\t%.2f\t%.3f\t%.3f\t%s\t%s\t%s", (t1 - t0) / 1e9, $1, $2 + $3,
                (da > 0 ? db / da : 0), (da > 0 ? dw / da : 0), server, server_kib, ref
        }' "$work/time")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$kind" "$runner" "$size" "$p" "$phase" "$set" "$row" >>"$results/runs.tsv"
    awk -F'\t' -v k="$kind" -v r="$runner" -v ph="$phase" -v n="$size" -v p="$p" '{
        printf "   %-8s %-5s %-5s N=%-5s P=%-2s %8.2f s  %5.1f MiB  aludel cpu %6.2f s  server cpu %6.2f s  busy %3.0f %%  iowait %3.0f %%  ref %5.1f ms\n",
            k, r, ph, n, p, $1, $2 / 1024, $3, $6, $4 * 100, $5 * 100, $8 }' <<<"$row" >&2
}

# fleet_runs KIND N P SET: an empty fleet of N, the first run and the no-op rerun at --parallel P.
fleet_runs() {
    local kind=$1 n=$2 p=$3 set=$4 list="$work/targets-$1-$2.txt" summary
    reset "$kind" "$n"
    fleet_list "$kind" "$n" "$list"
    echo "== $kind fleet of $n, --parallel $p: first run, then the no-op rerun" >&2
    measure "$kind" fleet "$n" "$p" first "$set" "$aludel" upgrade heads --targets "$list" --parallel "$p"
    summary=$(tail -1 "$work/stdout")
    if ! [[ $summary =~ ^$n\ targets?\ in\ .*:\ $n\ applied$ ]] ||
        [[ $(grep -cE ": applied $revisions revisions? \\(" "$work/stdout") != "$n" ]]; then
        echo "error: the first run's report does not say $n targets applied $revisions revisions: $summary" >&2
        exit 1
    fi
    printf '%-8s P=%-2s first: %s\n' "$kind" "$p" "$summary" >>"$results/summaries.txt"
    check_fleet "$kind" "$n"
    measure "$kind" fleet "$n" "$p" noop "$set" "$aludel" upgrade heads --targets "$list" --parallel "$p"
    summary=$(tail -1 "$work/stdout")
    if ! [[ $summary =~ ^$n\ targets?\ in\ .*:\ $n\ up\ to\ date$ ]]; then
        echo "error: the no-op rerun's report does not say $n targets up to date: $summary" >&2
        exit 1
    fi
    printf '%-8s P=%-2s no-op: %s\n' "$kind" "$p" "$summary" >>"$results/summaries.txt"
}

# The shell loop: one process per target, stopping at the first failure.
cat >"$work/loop.sh" <<'EOF'
aludel=$1
while IFS= read -r url; do
    "$aludel" upgrade heads --database-url "$url" >/dev/null 2>&1 || { echo "failed: $url"; exit 1; }
done <"$2"
EOF

# loop_runs KIND N: an empty fleet of N, the shell loop's first run and its no-op rerun.
loop_runs() {
    local kind=$1 n=$2 list="$work/urls-$1-$2.txt"
    reset "$kind" "$n"
    loop_list "$kind" "$n" "$list"
    echo "== $kind fleet of $n, the shell loop: first run, then the no-op rerun" >&2
    measure "$kind" loop "$n" 1 first loop bash "$work/loop.sh" "$aludel" "$list"
    check_fleet "$kind" "$n"
    measure "$kind" loop "$n" 1 noop loop bash "$work/loop.sh" "$aludel" "$list"
}

# floor_run N: the floor of the no-op check on the PostgreSQL fleet the last fleet run left at
# head: each tenant's version table read by one bare query, one after another on one psql
# connection (its start and connection included, as the fleet's are).
floor_run() {
    local n=$1 queries="$work/floor-$1.sql" i
    echo "== postgres fleet of $n: the floor, $n bare reads of a version table" >&2
    for ((i = 0; i < n; i++)); do
        printf 'SELECT version_num FROM tenant_%04d.alembic_version;\n' "$i"
    done >"$queries"
    measure postgres floor "$n" 1 noop floor psql -X -q -At -v ON_ERROR_STOP=1 "$bench_url" -f "$queries"
    if [[ $(grep -c . "$work/stdout") != "$n" ]]; then
        echo "error: the floor read $(grep -c . "$work/stdout") version rows, not $n" >&2
        exit 1
    fi
}

cd "$project"
for kind in "${kinds[@]}"; do
    for p in "${parallels[@]}"; do
        fleet_runs "$kind" "$fleet_size" "$p" matrix
    done
    if [[ $kind == postgres ]]; then floor_run "$fleet_size"; fi
    for n in "${scale_sizes[@]}"; do
        if ((n < fleet_size)); then fleet_runs "$kind" "$n" "$scale_parallel" scale; fi
    done
    if [[ "${BENCH_SCALE_REPEAT:-0}" == 1 || " ${parallels[*]} " != *" $scale_parallel "* ]]; then
        fleet_runs "$kind" "$fleet_size" "$scale_parallel" scale
    fi
    loop_runs "$kind" "$loop_size"
done
if [[ "${BENCH_SCALE_REPEAT:-0}" != 1 && " ${parallels[*]} " == *" $scale_parallel "* ]]; then
    echo "scale_reused=1" >>"$results/meta.env"
fi

# ---------------------------------------------------------------------------------------------
# The section, then BENCHMARKS.md: replace our section, or append it.
elapsed=$(($(date +%s) - started))
{
    echo "load_after=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
    echo "elapsed=$((elapsed / 60)) min $((elapsed % 60)) s"
} >>"$results/meta.env"
section="$work/section.md"
python3 "$helper" report "$results" >"$section"
if [[ -n "${BENCH_KEEP:-}" ]]; then
    mkdir -p "$BENCH_KEEP"
    cp "$results"/* "$BENCH_KEEP"/
fi
if [[ "${BENCH_NO_WRITE:-0}" == 1 ]]; then
    cat "$section"
    exit 0
fi
if [[ ! -f "$out_file" ]]; then
    printf '# Benchmarks\n' >"$out_file"
fi
replace_section fleet-bench "$section" "$out_file" "$work"
echo "== wrote the Fleets section of ${out_file#"$root"/} ($((elapsed / 60)) min $((elapsed % 60)) s)" >&2
