#!/usr/bin/env bash
# Benchmarks `aludel check --schema` on crates.io's diesel history (../shared/corpora: 285
# revisions imported with `aludel import diesel`): the history replayed into a scratch
# PostgreSQL database, introspected and compared with its schema.rs, wall clock, beside what a
# diesel user runs for the same answer, `diesel database reset` (drop, create, every migration)
# then `diesel print-schema`, in the same run. Rewrites the "Schema check" section of
# BENCHMARKS.md (between <!-- schema-bench:start --> and <!-- schema-bench:end -->).
#
# Usage: scripts/bench-schema.sh
#
# Environment:
#   ALUDEL_BENCH_POSTGRES_URL  the server (default postgres://postgres@127.0.0.1:5432/test);
#                              the scratch databases are made and dropped there
#   RUNS                       runs of each command; the median is reported (default 5)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=lib/section.sh
source "$root/scripts/lib/section.sh"
out_file="$root/BENCHMARKS.md"
url=${ALUDEL_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}
runs=${RUNS:-5}
corpus="$root/../shared/corpora/diesel/crates.io/migrations"
if [[ ! -d "$corpus" ]]; then
    echo "error: the crates.io corpus is missing at $corpus" >&2
    exit 1
fi

scripts/install-deps.sh packages
diesel=$(scripts/install-deps.sh diesel)
cargo build --quiet --release -p aludel-cli
aludel="$root/target/release/aludel"
work=$(mktemp -d)
server=${url%/*}
diesel_db="aludel_bench_diesel_$$"
cleanup() {
    psql -q "$server/postgres" -c "DROP DATABASE IF EXISTS $diesel_db WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

# The project: crates.io's history imported, and the schema.rs it yields.
mkdir -p "$work/project/src" "$work/diesel"
(cd "$work/project" && "$aludel" init >/dev/null 2>&1 && "$aludel" import diesel "$corpus" >/dev/null 2>&1)
revisions=$(find "$work/project/migrations/versions" -name '*.sql' | wc -l)
(cd "$work/project" && "$aludel" print-schema --dev-url "$url" >src/schema.rs)

# seconds COMMAND...: the wall clock of one run, in seconds.
seconds() {
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null
    end=$(date +%s.%N)
    awk -v s="$start" -v e="$end" 'BEGIN { printf "%.2f", e - s }'
}
median() { sort -g | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2f", m }'; }

aludel_check() { (cd "$work/project" && "$aludel" check --schema --dev-url "$url" 2>/dev/null); }
diesel_both() {
    (cd "$work/diesel" &&
        "$diesel" database reset --database-url "$server/$diesel_db" --migration-dir "$corpus" >/dev/null 2>&1 &&
        "$diesel" print-schema --database-url "$server/$diesel_db")
}
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
aludel_check # a run that fails stops the script before measuring
diesel_both >/dev/null
aludel_times=()
diesel_times=()
for _ in $(seq "$runs"); do
    aludel_times+=("$(seconds aludel_check)")
    diesel_times+=("$(seconds diesel_both)")
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
aludel_median=$(printf '%s\n' "${aludel_times[@]}" | median)
diesel_median=$(printf '%s\n' "${diesel_times[@]}" | median)

date_utc=$(date -u '+%Y-%m-%d %H:%M UTC')
commit=$(git rev-parse --short HEAD)
server_version=$(psql -At "$server/postgres" -c 'SHOW server_version' 2>/dev/null || echo unknown)
section="$work/section.md"
{
    echo "<!-- schema-bench:start -->"
    echo "## Schema check"
    echo
    echo "_Written by \`scripts/bench-schema.sh\` on $date_utc. Do not edit by hand: rerun the script._"
    echo
    echo "crates.io's diesel history ($revisions revisions, imported with \`aludel import diesel\`) on"
    echo "PostgreSQL $server_version, this machine's local server; wall clock, median of $runs runs, the two"
    echo "commands alternating. *aludel*: \`aludel check --schema --dev-url URL\` (a scratch database"
    echo "created, the history replayed, introspected, compared with the schema.rs \`aludel"
    echo "print-schema\` wrote, the database dropped). *diesel*: \`diesel database reset\` (drop, create,"
    echo "every migration) then \`diesel print-schema\`, which print the schema without comparing it."
    echo
    echo "- Machine: $(nproc) cores, $(uname -sr); commit \`$commit\`; release build of aludel; diesel_cli $("$diesel" --version | awk '/Version:/ {print $2}'); load average (1, 5, 15 min) $load_before before the run, $load_after after"
    echo
    echo "| command | median | runs (s) |"
    echo "|---|---:|---|"
    echo "| aludel check --schema | **${aludel_median} s** | ${aludel_times[*]} |"
    echo "| diesel database reset + print-schema | ${diesel_median} s | ${diesel_times[*]} |"
    echo "<!-- schema-bench:end -->"
} >"$section"
replace_section schema-bench "$section" "$out_file" "$work"
echo "== wrote the Schema check section of ${out_file#"$root"/}: aludel ${aludel_median} s, diesel ${diesel_median} s" >&2
