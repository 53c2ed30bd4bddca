#!/usr/bin/env bash
# Coverage-guided fuzzing of the revision parser and the graph builder with cargo-fuzz
# (libFuzzer): `scripts/fuzz.sh [SECONDS]` runs each target for SECONDS (default 60), seeded
# with every revision file of the repository, and fails on the first crash (a panic), leaving
# the input in fuzz/artifacts/<target>/. The targets' bodies are fuzz/src/lib.rs, which the
# property tests of aludel-graph also run on every `scripts/test.sh`.
#
# On stable Rust the targets build without a sanitizer (aludel forbids unsafe code, so
# AddressSanitizer would find nothing the panics do not); with a nightly toolchain installed,
# FUZZ_TOOLCHAIN=nightly adds AddressSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
toolchain="${FUZZ_TOOLCHAIN:-}"

if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install --locked cargo-fuzz
fi

if [ -n "$toolchain" ]; then
    cargo_fuzz=(cargo "+$toolchain" fuzz)
    sanitizer=()
else
    cargo_fuzz=(cargo fuzz)
    sanitizer=(--sanitizer none)
fi

# Seeds: each revision file for parse_revision; each versions directory, its files joined by
# 0xFF bytes (the separator graph_build reads), for graph_build.
python3 - <<'EOF'
import hashlib, pathlib
root = pathlib.Path(".")
groups = {}
for path in sorted(root.glob("**/*.sql")):
    if any(part in ("target", "fuzz", "bench") for part in path.parts):
        continue
    groups.setdefault(path.parent, []).append(path.read_bytes())
def save(target, data):
    out = root / "fuzz" / "corpus" / target
    out.mkdir(parents=True, exist_ok=True)
    (out / hashlib.sha1(data).hexdigest()).write_bytes(data)
for files in groups.values():
    for data in files:
        save("parse_revision", data)
    save("graph_build", b"\xff".join(files))
    save("graph_build", b"\xfe" + b"\xff".join(files))
print(f"seeded from {sum(len(f) for f in groups.values())} files in {len(groups)} directories")
EOF

mkdir -p target
for target in parse_revision graph_build; do
    echo "fuzzing $target for ${seconds}s" >&2
    log="target/fuzz-$target.log"
    status=0
    "${cargo_fuzz[@]}" run "${sanitizer[@]}" "$target" -- \
        -max_total_time="$seconds" -dict=fuzz/revision.dict -max_len=8192 \
        -print_final_stats=1 >"$log" 2>&1 || status=$?
    grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::new_units_added|stat::peak_rss_mb|INFO: seed corpus)' "$log" >&2 || true
    if [ "$status" -ne 0 ]; then
        tail -n 40 "$log" >&2
        echo "error: fuzz target $target found a crash (exit $status); the input is in fuzz/artifacts/$target/" >&2
        exit 1
    fi
done
echo "fuzzing: no crash in ${seconds}s per target" >&2
