#!/usr/bin/env python3
"""Use real Alembic as an oracle for aludel's revision-graph behaviour.

For each corpus file (see ../shared/corpora/README.md) this script builds a
throw-away Alembic script directory containing one no-op stub revision file
per revision, asks Alembic about the graph, runs ``upgrade heads`` and a full
downgrade to base in offline (``--sql``) mode, and writes the facts as JSON.

Usage::

    python3 scripts/alembic_oracle.py --out DIR [INPUT.json ...]

With no inputs, every ``*.json`` in ``<repo_root>/../shared/corpora/alembic-graphs``
is used (``repo_root`` is the parent of this script's directory).

Output: one ``DIR/<input-stem>.json`` per input, an object with

* ``source``  -- the input's ``source`` string.
* ``alembic_version`` -- the Alembic version used as the oracle.
* ``heads``   -- ``ScriptDirectory.get_heads()``, in Alembic's order.
* ``bases``   -- ``ScriptDirectory.get_bases()``, in Alembic's order.
* ``history`` -- ``[s.revision for s in walk_revisions("base", "heads")]``,
  newest first (the order ``alembic history`` prints).
* ``upgrade`` -- the steps of ``alembic upgrade heads --sql`` starting from an
  empty database, in order. Each step is::

      {"revision": "<id of the revision being applied>",
       "from": ["<ids in the '-- Running upgrade A, B -> C' line, left side>"],
       "to":   ["<ids on the right side>"],
       "ops":  [{"op": "insert", "version": X}
                | {"op": "update", "from": X, "to": Y}
                | {"op": "delete", "version": X}, ...],
       "versions_after": ["<sorted rows of alembic_version after this step>"],
       "ops_order_may_vary": <bool>}

  ``from``/``to`` are exactly what Alembic prints (``from_revisions_no_deps`` /
  ``to_revisions_no_deps``; ``depends_on`` is *not* included). ``ops`` are the
  statements on ``alembic_version`` emitted for that step, in order.
  ``ops_order_may_vary`` is true for every step with more than one statement
  (merges/unmerges, incl. ones caused by ``depends_on``): there Alembic picks
  which parent row is UPDATEd vs DELETEd/INSERTed by iterating a Python set,
  so the exact ops depend on PYTHONHASHSEED (this script pins it to 0 by
  re-exec'ing itself). ``versions_after`` is seed-independent; compare that,
  not the exact ops, for flagged steps.
* ``downgrade`` -- the same for the full downgrade from all heads to base
  (``-- Running downgrade C -> A, B`` lines); ``revision`` is the revision
  being un-applied (the single id on the left side). Starts from the table
  state ``final_heads_after_upgrade``. See run_offline_downgrade for how the
  multi-head start is expressed.
* ``final_heads_after_upgrade`` -- sorted list of the rows of
  ``alembic_version`` after replaying the upgrade ops on an empty table.
* ``final_versions_after_downgrade`` -- sorted rows after replaying the
  upgrade ops and then the downgrade ops (expected: ``[]``).

Standard library + alembic only. Exits with status 2 if alembic is missing. With no
inputs and no corpora (a clone without ``../shared``) it writes nothing and exits 0 with a
note, or 1 when ``ALUDEL_TEST_REQUIRE_CORPORA=1``.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import re
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

try:
    import alembic
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.environment import EnvironmentContext
    from alembic.script import ScriptDirectory
except ImportError as exc:  # pragma: no cover - environment dependent
    sys.stderr.write(
        "alembic_oracle.py: cannot import alembic (%s).\n"
        "Install it with:  pip install alembic\n" % exc
    )
    sys.exit(2)


SCRIPT_DIR = Path(__file__).resolve().parent
REPO_ROOT = SCRIPT_DIR.parent
DEFAULT_CORPUS_DIR = REPO_ROOT.parent / "shared" / "corpora" / "alembic-graphs"

ENV_PY = '''\
from alembic import context

config = context.config


def run_migrations_offline():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        literal_binds=True,
        # one BEGIN/COMMIT around everything; irrelevant to the version ops
        transaction_per_migration=False,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    raise RuntimeError("aludel oracle env.py only supports offline (--sql) mode")
'''


def _py_tuple_or_none(items):
    if not items:
        return "None"
    if len(items) == 1:
        return repr(items[0])
    return "(" + ", ".join(repr(i) for i in items) + ")"


def _py_labels(items):
    # branch_labels / depends_on are written as tuples, like real projects.
    if not items:
        return "None"
    return "(" + "".join(repr(i) + ", " for i in items) + ")"


def write_stub(versions_dir: Path, index: int, rev: dict) -> None:
    rid = rev["revision"]
    safe = re.sub(r"[^0-9A-Za-z_]", "_", rid)
    # Zero padded index: files sort (Alembic sorts file names) in array order.
    name = "r%05d_%s.py" % (index, safe)
    body = (
        "%s\n"
        "revision = %r\n"
        "down_revision = %s\n"
        "branch_labels = %s\n"
        "depends_on = %s\n"
        "\n\n"
        "def upgrade():\n"
        "    pass\n"
        "\n\n"
        "def downgrade():\n"
        "    pass\n"
    ) % (
        repr(rev.get("message") or ""),  # module docstring
        rid,
        _py_tuple_or_none(rev.get("down_revisions") or []),
        _py_labels(rev.get("branch_labels") or []),
        _py_labels(rev.get("depends_on") or []),
    )
    (versions_dir / name).write_text(body, encoding="utf-8")


def make_config(script_location: Path, buf: io.StringIO) -> Config:
    cfg = Config(output_buffer=buf)
    cfg.set_main_option("script_location", str(script_location))
    cfg.set_main_option("sqlalchemy.url", "sqlite://")
    # Explicit, so no Alembic version falls back to a deprecated default
    # (only matters for version_locations, which we do not use).
    cfg.set_main_option("path_separator", "os")
    return cfg


# --- parsing offline SQL ---------------------------------------------------

# "-- Running upgrade  -> base1", "-- Running upgrade a, b -> m",
# "-- Running downgrade base1 -> " (trailing blank is lost by strip()).
RUNNING_RE = re.compile(r"^-- Running (upgrade|downgrade) (.*)->(.*)$")
_LIT = r"'((?:[^']|'')*)'"
INSERT_RE = re.compile(
    r"^INSERT INTO alembic_version \(version_num\) VALUES \(" + _LIT + r"\)"
)
UPDATE_RE = re.compile(
    r"^UPDATE alembic_version SET version_num=" + _LIT
    + r" WHERE alembic_version\.version_num = " + _LIT
)
DELETE_RE = re.compile(
    r"^DELETE FROM alembic_version WHERE alembic_version\.version_num = " + _LIT
)


def _unq(s: str) -> str:
    return s.replace("''", "'")


def _split_ids(s: str):
    s = s.strip()
    return [p.strip() for p in s.split(",") if p.strip()] if s else []


def parse_sql(sql: str, direction: str):
    steps = []
    cur = None
    for raw in sql.splitlines():
        line = raw.strip()
        if not line:
            continue
        m = RUNNING_RE.match(line)
        if m:
            if m.group(1) != direction:
                raise RuntimeError("unexpected step in %s run: %r" % (direction, line))
            frm, to = _split_ids(m.group(2)), _split_ids(m.group(3))
            if direction == "upgrade":
                if len(to) != 1:
                    raise RuntimeError("upgrade step with !=1 target: %r" % line)
                rev = to[0]
            else:
                if len(frm) != 1:
                    raise RuntimeError("downgrade step with !=1 source: %r" % line)
                rev = frm[0]
            cur = {"revision": rev, "from": frm, "to": to, "ops": []}
            steps.append(cur)
            continue
        op = None
        m = INSERT_RE.match(line)
        if m:
            op = {"op": "insert", "version": _unq(m.group(1))}
        else:
            m = UPDATE_RE.match(line)
            if m:
                op = {"op": "update", "from": _unq(m.group(2)), "to": _unq(m.group(1))}
            else:
                m = DELETE_RE.match(line)
                if m:
                    op = {"op": "delete", "version": _unq(m.group(1))}
        if op is not None:
            if cur is None:
                raise RuntimeError("version statement before any step: %r" % line)
            cur["ops"].append(op)
        elif "alembic_version" in line and line.split(" ", 1)[0] in (
            "INSERT",
            "UPDATE",
            "DELETE",
        ):
            raise RuntimeError("unparsed alembic_version statement: %r" % line)
    return steps


def replay(steps, table=None, annotate=False):
    """Apply the ops of ``steps`` to a set of version rows; return the set.

    With ``annotate`` each step also gets ``versions_after`` (sorted rows of
    alembic_version after the step) and ``ops_order_may_vary``.
    """
    table = set() if table is None else set(table)
    for st in steps:
        for op in st["ops"]:
            if op["op"] == "insert":
                if op["version"] in table:
                    raise RuntimeError("insert of existing row %r" % op["version"])
                table.add(op["version"])
            elif op["op"] == "update":
                if op["from"] not in table or op["to"] in table:
                    raise RuntimeError("bad update %r" % (op,))
                table.remove(op["from"])
                table.add(op["to"])
            elif op["op"] == "delete":
                if op["version"] not in table:
                    raise RuntimeError("delete of missing row %r" % op["version"])
                table.remove(op["version"])
        if annotate:
            st["versions_after"] = sorted(table)
            # Steps with several statements are merges (upgrade: DELETE the
            # other parents, UPDATE one) or unmerges (downgrade: INSERT the
            # other parents, UPDATE one), including "parents" that are only
            # depends_on targets. Alembic's HeadMaintainer picks which parent
            # is UPDATEd from a Python set (merge_branch_idents /
            # _unmerge_to_revisions), so the exact statements can change with
            # PYTHONHASHSEED; versions_after never does. Conservative flag.
            st["ops_order_may_vary"] = len(st["ops"]) > 1
    return table


# --- running Alembic -------------------------------------------------------


def run_offline_upgrade(script_location: Path) -> str:
    buf = io.StringIO()
    cfg = make_config(script_location, buf)
    command.upgrade(cfg, "heads", sql=True)
    return buf.getvalue()


def run_offline_downgrade(script_location: Path, heads) -> tuple[str, str]:
    """Downgrade from all heads to base, offline.

    ``alembic downgrade heads:base --sql`` only works with a single head:
    in --sql mode the starting point is resolved with
    ``ScriptDirectory.get_revision(<start>)``, which raises MultipleHeads for
    ``heads`` when there are several. The CLI string form cannot express a
    multi-revision start (it is passed through as one string), so with
    several heads we do exactly what ``alembic.command.downgrade`` does, but
    hand ``starting_rev`` to EnvironmentContext as a *tuple* of the heads
    (MigrationContext.get_current_heads accepts a list/tuple there).
    ``script._downgrade_revs`` is private Alembic API (it is what
    command.downgrade's callback calls). With one head the plain
    ``downgrade heads:base --sql`` command is used. The result was
    cross-checked against an online ``upgrade heads`` + ``downgrade base`` on a
    sqlite file (same steps, same version rows after every step; Alembic
    1.20.1). Returns (sql, form_used).
    """
    buf = io.StringIO()
    cfg = make_config(script_location, buf)
    if len(heads) == 1:
        command.downgrade(cfg, "heads:base", sql=True)
        return buf.getvalue(), "command.downgrade('heads:base', sql=True)"
    script = ScriptDirectory.from_config(cfg)

    def do_downgrade(rev, context):
        return script._downgrade_revs("base", rev)

    with EnvironmentContext(
        cfg,
        script,
        fn=do_downgrade,
        as_sql=True,
        starting_rev=tuple(heads),
        destination_rev="base",
    ):
        script.run_env()
    return buf.getvalue(), "EnvironmentContext(starting_rev=tuple(heads)) -> base"


def process(input_path: Path, out_dir: Path) -> tuple[str, list[str]]:
    data = json.loads(input_path.read_text(encoding="utf-8"))
    revisions = data["revisions"]
    t0 = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="aludel-oracle-"))
    try:
        loc = tmp / "migrations"
        versions = loc / "versions"
        versions.mkdir(parents=True)
        (loc / "env.py").write_text(ENV_PY, encoding="utf-8")
        for i, rev in enumerate(revisions, start=1):
            write_stub(versions, i, rev)

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            script = ScriptDirectory.from_config(make_config(loc, io.StringIO()))
            heads = list(script.get_heads())
            bases = list(script.get_bases())
            history = [s.revision for s in script.walk_revisions("base", "heads")]
            up_sql = run_offline_upgrade(loc)
            down_sql, down_form = run_offline_downgrade(loc, heads)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    upgrade = parse_sql(up_sql, "upgrade")
    downgrade = parse_sql(down_sql, "downgrade")
    final_up = replay(upgrade, annotate=True)
    final_down = replay(downgrade, final_up, annotate=True)

    result = {
        "source": data.get("source"),
        "alembic_version": alembic.__version__,
        "heads": heads,
        "bases": bases,
        "history": history,
        "upgrade": upgrade,
        "downgrade": downgrade,
        "final_heads_after_upgrade": sorted(final_up),
        "final_versions_after_downgrade": sorted(final_down),
    }
    out_path = out_dir / (input_path.stem + ".json")
    out_path.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")

    problems = []
    ids = [r["revision"] for r in revisions]
    for name, steps in (("upgrade", upgrade), ("downgrade", downgrade)):
        if sorted(s["revision"] for s in steps) != sorted(ids):
            problems.append("%s steps do not cover every revision once" % name)
    if sorted(final_up) != sorted(heads):
        problems.append("replayed upgrade != heads")
    if final_down:
        problems.append("replayed downgrade leaves %d rows" % len(final_down))
    warn_text = "; ".join(sorted({"%s: %s" % (w.category.__name__, w.message) for w in caught}))

    return (
        "%s: %d revisions, %d heads, %d bases, history %d, upgrade %d steps/%d ops, "
        "downgrade %d steps/%d ops (%s), final heads %d, %.2fs%s%s"
        % (
            input_path.stem,
            len(revisions),
            len(heads),
            len(bases),
            len(history),
            len(upgrade),
            sum(len(s["ops"]) for s in upgrade),
            len(downgrade),
            sum(len(s["ops"]) for s in downgrade),
            down_form,
            len(final_up),
            time.monotonic() - t0,
            ", warnings: " + warn_text if warn_text else "",
            ", PROBLEMS: " + "; ".join(problems) if problems else "",
        ),
        problems,
    )


def _pin_hash_seed() -> None:
    """Re-exec under PYTHONHASHSEED=0 so the output is byte-for-byte stable.

    Alembic's choice of which row to UPDATE at merge/unmerge steps iterates a
    Python set of revision-id strings, which depends on str hash
    randomisation. Everything else (step order, heads, history) is
    independent of the seed.
    """
    if os.environ.get("PYTHONHASHSEED") != "0":
        os.environ["PYTHONHASHSEED"] = "0"
        os.execv(sys.executable, [sys.executable, str(Path(__file__).resolve())] + sys.argv[1:])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, type=Path, help="output directory")
    ap.add_argument("inputs", nargs="*", type=Path, help="corpus JSON files")
    args = ap.parse_args(argv)

    inputs = args.inputs or sorted(DEFAULT_CORPUS_DIR.glob("*.json"))
    if not inputs:
        # A clone without ../shared/corpora: nothing to compare, which the tests also skip.
        where = DEFAULT_CORPUS_DIR.resolve()
        if os.environ.get("ALUDEL_TEST_REQUIRE_CORPORA") == "1":
            sys.stderr.write(
                "alembic_oracle.py: error: no corpora at %s but ALUDEL_TEST_REQUIRE_CORPORA=1\n" % where
            )
            return 1
        sys.stderr.write("alembic_oracle.py: note: no corpora at %s; nothing compared\n" % where)
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    # Alembic logs "Running upgrade ..." at INFO; keep stderr to our summaries.
    logging.getLogger("alembic").setLevel(logging.WARNING)

    failed = False
    for path in inputs:
        summary, problems = process(path, args.out)
        sys.stderr.write(summary + "\n")
        failed = failed or bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    _pin_hash_seed()
    sys.exit(main())
