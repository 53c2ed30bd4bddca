#!/usr/bin/env python3
"""Run real Alembic against a database, with an aludel versions directory as its history.

aludel keeps its state in Alembic's own ``alembic_version`` table, so a database migrated by
one tool must be at the same place for the other. This script lets the tests check that with
real Alembic: it turns an aludel versions directory (SQL revision files, see the docs of
``graph/src/revision.rs``) into a throw-away Alembic script directory whose revisions have the
same ids, ``down_revision`` (a tuple for a merge), ``branch_labels`` and ``depends_on``, and
whose ``upgrade()``/``downgrade()`` run the same SQL through
``op.execute(sqlalchemy.text(statement))``; then it runs one Alembic command online against
the database.

Usage::

    python3 scripts/alembic_interop.py URL VERSIONS_DIR COMMAND [TARGET] [--version-table NAME]

``URL`` is an SQLAlchemy URL (``sqlite:////tmp/x.db``, ``postgresql+psycopg2://u@h/db``,
``mysql+pymysql://u@h/db``). For convenience ``postgres://`` and ``postgresql://`` become
``postgresql+psycopg2://``, ``mysql://`` becomes ``mysql+pymysql://`` and a plain file path
becomes ``sqlite:///PATH``.

Commands:

* ``upgrade TARGET``, ``downgrade TARGET``, ``stamp TARGET``: Alembic's commands
  (``alembic.command.upgrade`` etc.). Each revision Alembic applies, reverts or stamps is
  printed to stdout as one line: ``upgrade ID``, ``downgrade ID`` or ``stamp ID[,ID...]``
  (nothing when there is nothing to do).
* ``current``: the rows of the version table as Alembic reads them, sorted, one per line
  (nothing for an empty or missing table). Fails, like ``alembic current``, when a row names
  a revision the history does not have.
* ``heads``: the heads of the history as Alembic computes them, one per line (no database).
* ``serve``: reads commands from stdin, one per line (``upgrade heads``, ``current``), and
  answers each with its output followed by ``--end ok``, or by ``--error MESSAGE`` lines and
  ``--end error``, until stdin ends. The script directory is built once and Alembic imported
  once, so a test can run many commands cheaply. Exits 0 when stdin ends.

Exit status: 0 on success; 1 with ``alembic_interop.py: error: ...`` on stderr when Alembic,
the database or a revision file fails; 2 when Alembic (or SQLAlchemy) is not installed.

Limitations (enough for the tests' simple SQL, not for arbitrary revision files):

* The SQL is split into statements on lines whose text ends with ``;`` (the SQLite driver
  runs one statement per call). A ``;`` inside a string, a dollar-quoted body or a trigger
  that ends a line would split the statement wrongly; write such SQL on one line or keep it
  out of histories used here. Chunks made only of blank lines and ``--`` comments are skipped.
* Bind-parameter syntax is escaped (``:name`` becomes ``\\:name`` for ``sqlalchemy.text``),
  so colons reach the database unchanged.
* The header parser reads the ``-- key: value`` block and the ``-- upgrade``/``-- downgrade``
  markers; it does not re-validate the file (aludel's loader does that). ``transactional:
  false`` revisions run in Alembic's ``autocommit_block()``. A revision without a downgrade
  section raises when Alembic tries to downgrade it.
* Alembic's default transaction handling is used (one transaction for the run where DDL is
  transactional, ``transaction_per_migration`` off).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile

HEADER_RE = re.compile(r"^--\s*([A-Za-z_]+)\s*:(.*)$")

# sqlalchemy.text() treats `:name` as a bind parameter unless the colon is escaped.
BIND_RE = re.compile(r"(?<![:\w\\]):(?=\w)")

ENV_PY = '''\
"""env.py of a throw-away script directory made by scripts/alembic_interop.py."""
import sys

from alembic import context
from sqlalchemy import create_engine, pool

config = context.config


def report(ctx, step, heads, run_args):
    if step.is_stamp:
        print("stamp " + ",".join(sorted(step.destination_revision_ids)), flush=True)
    elif step.is_upgrade:
        print("upgrade " + step.up_revision_id, flush=True)
    else:
        print("downgrade " + step.up_revision_id, flush=True)


if context.is_offline_mode():
    sys.exit("alembic_interop.py: error: offline (--sql) mode is not supported")

engine = create_engine(config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=None,
        version_table=config.get_main_option("version_table"),
        on_version_apply=report,
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
'''

REVISION_PY = '''\
{message!r}
import sqlalchemy
from alembic import op

revision = {revision!r}
down_revision = {down_revision!r}
branch_labels = {branch_labels!r}
depends_on = {depends_on!r}

# Made by scripts/alembic_interop.py from {source!r}.
TRANSACTIONAL = {transactional!r}
UPGRADE = {upgrade!r}
DOWNGRADE = {downgrade!r}


def _run(statements):
    if TRANSACTIONAL:
        for statement in statements:
            op.execute(sqlalchemy.text(statement))
    else:
        with op.get_context().autocommit_block():
            for statement in statements:
                op.execute(sqlalchemy.text(statement))


def upgrade():
    _run(UPGRADE)


def downgrade():
    if DOWNGRADE is None:
        raise RuntimeError("revision %s (%s) is irreversible: it has no downgrade section" % (revision, {source!r}))
    _run(DOWNGRADE)
'''


class InteropError(Exception):
    """A failure with a message for the user."""


def split_statements(sql: str) -> list[str]:
    """Splits SQL on lines ending with ';' (see the module's limitations)."""
    statements: list[str] = []
    chunk: list[str] = []

    def flush() -> None:
        text = "\n".join(chunk).strip()
        chunk.clear()
        meaningful = [
            line for line in text.splitlines()
            if line.strip() and not line.strip().startswith("--")
        ]
        if meaningful:
            statements.append(BIND_RE.sub(r"\\:", text))

    for line in sql.split("\n"):
        chunk.append(line)
        if line.rstrip().endswith(";"):
            flush()
    flush()
    return statements


def split_list(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def parse_revision(path: str, rel: str) -> dict:
    """Reads an aludel revision file: its header and its upgrade and downgrade SQL."""
    with open(path, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InteropError(f"{rel}: not UTF-8: {e}") from None
    text = text.lstrip("\ufeff").replace("\r\n", "\n")
    lines = text.split("\n")
    header: dict[str, str] = {}
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    while i < len(lines):
        m = HEADER_RE.match(lines[i].strip())
        if not m:
            break
        header[m.group(1)] = m.group(2).strip()
        i += 1
    upgrade_at = downgrade_at = None
    for j in range(i, len(lines)):
        marker = lines[j].rstrip()
        if marker == "-- upgrade" and upgrade_at is None:
            upgrade_at = j
        elif marker == "-- downgrade" and upgrade_at is not None and downgrade_at is None:
            downgrade_at = j
    if "revision" not in header or "down_revision" not in header:
        raise InteropError(f"{rel}: the header needs `-- revision:` and `-- down_revision:`")
    if upgrade_at is None:
        raise InteropError(f"{rel}: no `-- upgrade` line")
    end = downgrade_at if downgrade_at is not None else len(lines)
    upgrade = "\n".join(lines[upgrade_at + 1:end])
    downgrade = None if downgrade_at is None else "\n".join(lines[downgrade_at + 1:])
    downs = split_list(header["down_revision"])
    labels = split_list(header.get("branch_labels", ""))
    depends = split_list(header.get("depends_on", ""))
    transactional = header.get("transactional", "true").strip().lower()
    if transactional not in ("true", "false"):
        raise InteropError(f"{rel}: `transactional` is `true` or `false`")
    return {
        "revision": header["revision"],
        "down_revision": None if not downs else downs[0] if len(downs) == 1 else tuple(downs),
        "branch_labels": tuple(labels) or None,
        "depends_on": tuple(depends) or None,
        "message": header.get("message", ""),
        "transactional": transactional == "true",
        "upgrade": split_statements(upgrade),
        "downgrade": None if downgrade is None else split_statements(downgrade),
        "source": rel,
    }


def revision_files(versions: str) -> list[tuple[str, str]]:
    """The `.sql` files below `versions` (subdirectories too), in path order."""
    if not os.path.isdir(versions):
        raise InteropError(f"{versions}: not a directory")
    found = []
    for root, dirs, files in os.walk(versions):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if name.endswith(".sql") and not name.startswith("."):
                path = os.path.join(root, name)
                found.append((os.path.relpath(path, versions).replace(os.sep, "/"), path))
    found.sort()
    return found


def build_script_dir(versions: str, target_dir: str) -> None:
    """Writes env.py and one Alembic revision file per aludel revision into target_dir."""
    out = os.path.join(target_dir, "versions")
    os.makedirs(out)
    with open(os.path.join(target_dir, "env.py"), "w", encoding="utf-8") as f:
        f.write(ENV_PY)
    files = revision_files(versions)
    if not files:
        raise InteropError(f"{versions}: no revision files (.sql)")
    for n, (rel, path) in enumerate(files):
        rev = parse_revision(path, rel)
        with open(os.path.join(out, f"r{n:05d}_{rev['revision']}.py"), "w", encoding="utf-8") as f:
            f.write(REVISION_PY.format(**rev))


def sqlalchemy_url(url: str) -> str:
    for prefix, replacement in (
        ("postgres://", "postgresql+psycopg2://"),
        ("postgresql://", "postgresql+psycopg2://"),
        ("mysql://", "mysql+pymysql://"),
    ):
        if url.startswith(prefix):
            return replacement + url[len(prefix):]
    if "://" not in url:
        return "sqlite:///" + url
    return url


COMMANDS = ("upgrade", "downgrade", "stamp", "current", "heads")


def check_arguments(command: str, target: str | None) -> None:
    if command not in COMMANDS:
        raise InteropError(f"unknown command `{command}` (one of {', '.join(COMMANDS)})")
    if command in ("upgrade", "downgrade", "stamp") and not target:
        raise InteropError(f"{command} needs a target")
    if command in ("current", "heads") and target:
        raise InteropError(f"{command} takes no target")


def run_command(config, command: str, target: str | None) -> None:
    """Runs one command; its output goes to stdout."""
    from alembic import command as commands
    from alembic.runtime.environment import EnvironmentContext
    from alembic.script import ScriptDirectory

    check_arguments(command, target)
    if command == "upgrade":
        commands.upgrade(config, target)
    elif command == "downgrade":
        commands.downgrade(config, target)
    elif command == "stamp":
        commands.stamp(config, target)
    else:
        script = ScriptDirectory.from_config(config)
        if command == "heads":
            for head in script.get_heads():
                print(head)
            return
        rows: list[str] = []

        def read(rev, context):
            rows.extend(context.get_current_heads())
            return []

        with EnvironmentContext(config, script, fn=read, dont_mutate=True):
            script.run_env()
        # Like `alembic current`, refuse rows the history does not know.
        script.get_revisions(tuple(rows))
        for row in sorted(rows):
            print(row)


def describe(what: str, error: BaseException) -> str:
    """The one-line-first message of a failure."""
    from alembic.util import CommandError

    if isinstance(error, (InteropError, CommandError)):
        return f"{what}: {error}"
    if isinstance(error, SystemExit):
        return f"{what}: {error.code}"
    return f"{what}: {type(error).__name__}: {error}"


def serve(config) -> int:
    """Runs the commands read from stdin, one per line (`upgrade heads`, `current`, ...).

    After a command's output the script writes `--end ok`, or `--error LINE` lines and
    `--end error`; then it reads the next command. It stops at the end of stdin. One Python
    process serves a whole test, which saves Alembic's import time on every command.
    """
    for line in sys.stdin:
        parts = line.split()
        if not parts:
            continue
        what = " ".join(parts)
        try:
            if len(parts) > 2:
                raise InteropError("a command takes at most one target")
            run_command(config, parts[0], parts[1] if len(parts) > 1 else None)
            print("--end ok", flush=True)
        except (Exception, SystemExit) as e:  # report, then serve the next command
            for message in describe(what, e).splitlines():
                print("--error " + message)
            print("--end error", flush=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Run real Alembic on a database with an aludel versions directory as its history.")
    parser.add_argument("url", help="SQLAlchemy URL of the database")
    parser.add_argument("versions", help="aludel versions directory (SQL revision files)")
    parser.add_argument("command", choices=COMMANDS + ("serve",))
    parser.add_argument("target", nargs="?", help="target of upgrade, downgrade and stamp")
    parser.add_argument("--version-table", default="alembic_version")
    args = parser.parse_args()
    try:
        if args.command == "serve":
            if args.target:
                raise InteropError("serve takes no target")
        else:
            check_arguments(args.command, args.target)
    except InteropError as e:
        parser.error(str(e))

    try:
        from alembic.config import Config
    except ImportError as e:
        print(f"alembic_interop.py: error: Alembic is not installed ({e}): pip install alembic",
              file=sys.stderr)
        return 2

    what = " ".join(filter(None, [args.command, args.target]))
    try:
        with tempfile.TemporaryDirectory(prefix="aludel-alembic-") as tmp:
            build_script_dir(args.versions, tmp)
            config = Config()
            # Config values go through ConfigParser interpolation: escape '%'.
            config.set_main_option("script_location", tmp)
            config.set_main_option("sqlalchemy.url", sqlalchemy_url(args.url).replace("%", "%%"))
            config.set_main_option("version_table", args.version_table.replace("%", "%%"))
            if args.command == "serve":
                return serve(config)
            run_command(config, args.command, args.target)
    except (Exception, SystemExit) as e:  # Alembic's, the database's or a driver's error
        print(f"alembic_interop.py: error: {describe(what, e)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
