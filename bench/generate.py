#!/usr/bin/env python3
"""Writes the benchmark crates of scripts/bench-peers.sh: for each tool and each N, a binary
crate that embeds the same N trivial revisions (revision i creates table t<i>, its downgrade
drops it) in the tool's own layout, and hands them to the tool's runner in bench/runners/.

    bench/generate.py OUT_DIR N [N ...]

writes OUT_DIR/<tool>-<N>/ (Cargo.toml, Cargo.lock copied from bench/, src/main.rs and the
migrations). A file is written only when its content changes, so that rerunning does not
rebuild anything.

Layouts (i = 1..N, the SQL is byte for byte the same in every tool):
  aludel             migrations/versions/<iiii>_t<iiii>.sql: a header (revision r<iiii>,
                     down_revision r<iiii-1>), `-- upgrade` and `-- downgrade` sections
  diesel_migrations  migrations/<i:014>_t<iiii>/up.sql and down.sql
  refinery           migrations/V<i>__t<iiii>.sql (refinery has no downgrades)
  sqlx               migrations/<iiii>_t<iiii>.up.sql and .down.sql (reversible migrations)
  aludel-async       aludel's layout, run by runners/aludel-async (`run_pending_async` on
                     diesel-async connections); aludel built with its async backends only
  aludel-rs          aludel's layout with every tenth revision a Rust revision
                     (<iiii>_t<iiii>.rs, the same SQL through `op.execute`): only for the
                     rebuild benchmark, beside aludel's all-SQL history
"""

import json
import os
import shutil
import sys
import tomllib

BENCH = os.path.dirname(os.path.abspath(__file__))
TOOLS = ["aludel", "aludel-async", "diesel", "refinery", "sqlx", "aludel-rs"]

# The runner of each tool (aludel-rs runs with aludel's).
RUNNER = {"aludel": "aludel", "aludel-async": "aludel-async", "diesel": "diesel",
          "refinery": "refinery", "sqlx": "sqlx", "aludel-rs": "aludel"}

# Which workspace dependencies each generated crate needs besides its runner (the macros expand
# to paths in these crates): a name, or (the name in the crate, the workspace dependency).
CRATE_DEPS = {
    "aludel": ["aludel"],
    "aludel-async": [("aludel", "aludel-async")],
    "diesel": ["diesel_migrations"],
    "refinery": ["refinery"],
    "sqlx": ["sqlx"],
    "aludel-rs": ["aludel"],
}

MAIN = {
    "aludel": """static MIGRATIONS: aludel::Migrations = aludel::embed_migrations!();

fn main() {
    bench_aludel::main(&MIGRATIONS)
}
""",
    "diesel": """use diesel_migrations::{embed_migrations, EmbeddedMigrations};

const MIGRATIONS: EmbeddedMigrations = embed_migrations!();

fn main() {
    bench_diesel::main(|| MIGRATIONS)
}
""",
    "refinery": """mod embedded {
    refinery::embed_migrations!("migrations");
}

fn main() {
    bench_refinery::main(embedded::migrations::runner)
}
""",
    "sqlx": """static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!();

fn main() {
    bench_sqlx::main(&MIGRATOR)
}
""",
}


MAIN["aludel-rs"] = MAIN["aludel"]
MAIN["aludel-async"] = MAIN["aludel"].replace("bench_aludel::", "bench_aludel_async::")


def up(i):
    return f"CREATE TABLE t{i:04} (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n"


def down(i):
    return f"DROP TABLE t{i:04};\n"


def files(tool, n):
    """(relative path, content) of every migration file."""
    for i in range(1, n + 1):
        if tool == "aludel-rs" and i % 10 == 0:
            parent = f"r{i - 1:04}"
            yield (
                f"migrations/versions/{i:04}_t{i:04}.rs",
                f"//! revision: r{i:04}\n"
                f"//! down_revision: {parent}\n"
                f"//! message: create table t{i:04}\n"
                "//! create_date: 2026-01-01T00:00:00Z\n\n"
                "pub fn upgrade(op: &mut aludel::op::Op<'_>) -> aludel::Result<()> {\n"
                f"    op.execute({json.dumps(up(i).strip())})\n"
                "}\n\n"
                "pub fn downgrade(op: &mut aludel::op::Op<'_>) -> aludel::Result<()> {\n"
                f"    op.execute({json.dumps(down(i).strip())})\n"
                "}\n",
            )
        elif tool in ("aludel", "aludel-async", "aludel-rs"):
            parent = f"r{i - 1:04}" if i > 1 else ""
            yield (
                f"migrations/versions/{i:04}_t{i:04}.sql",
                f"-- revision: r{i:04}\n"
                f"-- down_revision: {parent}\n"
                f"-- message: create table t{i:04}\n"
                "-- create_date: 2026-01-01T00:00:00Z\n"
                "\n-- upgrade\n" + up(i) + "\n-- downgrade\n" + down(i),
            )
        elif tool == "diesel":
            yield (f"migrations/{i:014}_t{i:04}/up.sql", up(i))
            yield (f"migrations/{i:014}_t{i:04}/down.sql", down(i))
        elif tool == "refinery":
            yield (f"migrations/V{i}__t{i:04}.sql", up(i))
        elif tool == "sqlx":
            yield (f"migrations/{i:04}_t{i:04}.up.sql", up(i))
            yield (f"migrations/{i:04}_t{i:04}.down.sql", down(i))


def dependency(name, spec, crate_dir):
    """A workspace dependency as the generated crate must write it (paths made relative)."""
    spec = dict(spec) if isinstance(spec, dict) else {"version": spec}
    if "path" in spec:
        spec["path"] = os.path.relpath(os.path.join(BENCH, spec["path"]), crate_dir)
    fields = []
    for key, value in spec.items():
        if isinstance(value, bool):
            fields.append(f"{key} = {'true' if value else 'false'}")
        elif isinstance(value, list):
            fields.append(f"{key} = [" + ", ".join(f'"{v}"' for v in value) + "]")
        else:
            fields.append(f'{key} = "{value}"')
    return f"{name} = {{ " + ", ".join(fields) + " }"


def write(path, content, written):
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            if f.read() == content:
                return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(content)
    written[0] += 1


def generate(out, tool, n, deps):
    crate = os.path.join(out, f"{tool}-{n}")
    written = [0]
    runner = os.path.join(BENCH, "runners", RUNNER[tool])
    lines = [
        "# Generated by bench/generate.py for scripts/bench-peers.sh; rewritten on every run.",
        "[package]",
        f'name = "peers-{tool}-{n}"',
        'version = "0.0.0"',
        'edition = "2021"',
        "publish = false",
        "",
        "# A workspace of its own (bench/Cargo.toml's lock file is copied beside it).",
        "[workspace]",
        "",
        "[dependencies]",
        f'bench-{RUNNER[tool]} = {{ path = "{os.path.relpath(runner, crate)}" }}',
    ]
    for d in CRATE_DEPS[tool]:
        name, key = d if isinstance(d, tuple) else (d, d)
        lines.append(dependency(name, deps[key], crate))
    write(os.path.join(crate, "Cargo.toml"), "\n".join(lines) + "\n", written)
    header = f"//! Generated by bench/generate.py: {n} revisions embedded with {tool}'s macro.\n\n"
    main = os.path.join(crate, "src", "main.rs")
    # The rebuild benchmark edits the last line of main.rs; a rerun restores it.
    write(main, header + MAIN[tool], written)
    wanted = set()
    for rel, content in files(tool, n):
        wanted.add(os.path.normpath(rel))
        write(os.path.join(crate, rel), content, written)
    # Files left from an older layout would change the history.
    migrations = os.path.join(crate, "migrations")
    for root, _, names in os.walk(migrations):
        for name in names:
            rel = os.path.normpath(os.path.relpath(os.path.join(root, name), crate))
            if rel not in wanted:
                os.remove(os.path.join(crate, rel))
                written[0] += 1
    lock = os.path.join(crate, "Cargo.lock")
    if not os.path.exists(lock):
        shutil.copyfile(os.path.join(BENCH, "Cargo.lock"), lock)
    return written[0]


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out = os.path.abspath(sys.argv[1])
    sizes = [int(n) for n in sys.argv[2:]]
    with open(os.path.join(BENCH, "Cargo.toml"), "rb") as f:
        deps = tomllib.load(f)["workspace"]["dependencies"]
    for n in sizes:
        for tool in TOOLS:
            changed = generate(out, tool, n, deps)
            print(f"  {tool}-{n}: {changed} files written", file=sys.stderr)


if __name__ == "__main__":
    main()
