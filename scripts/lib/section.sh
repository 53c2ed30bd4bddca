# Shared by the scripts that write BENCHMARKS.md: each owns one section, between
# `<!-- NAME:start -->` and `<!-- NAME:end -->`, and leaves the rest of the file alone.

# replace_section NAME SECTION_FILE OUT_FILE WORK_DIR
# Puts SECTION_FILE (which starts and ends with the two comments) in place of NAME's section
# of OUT_FILE, or appends it when OUT_FILE has none yet. Fails when only the start is there.
replace_section() {
    local name=$1 section=$2 out_file=$3 work=$4
    local start="<!-- $name:start -->" end="<!-- $name:end -->"
    if grep -qxF "$start" "$out_file"; then
        if ! grep -qxF "$end" "$out_file"; then
            echo "error: $out_file has $start but no $end" >&2
            return 1
        fi
        awk -v section="$section" -v start="$start" -v end="$end" '
            $0 == start { while ((getline line < section) > 0) print line; skip = 1; next }
            $0 == end { skip = 0; next }
            !skip { print }
        ' "$out_file" >"$work/replaced.md"
    else
        { cat "$out_file"; [[ -z "$(tail -c1 "$out_file")" ]] || echo; echo; cat "$section"; } >"$work/replaced.md"
    fi
    cp "$work/replaced.md" "$out_file"
}
