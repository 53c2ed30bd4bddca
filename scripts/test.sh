#!/usr/bin/env bash
# The one test command: every test of the workspace, the trybuild compile-fail cases, and the
# comparison of the revision graph with real Alembic on the corpora in ../shared/corpora.
#
# It first installs what a fresh machine lacks (scripts/install-deps.sh): as root, the Debian
# packages of the PostgreSQL and MySQL backends and PgBouncer; and real Alembic with its
# drivers in the venv target/alembic-venv, whose python the tests run (ALUDEL_PYTHON; set it
# to use another Python that has Alembic, psycopg2 and pymysql).
#
# Without ../shared/corpora (a clone elsewhere) the tests of the real histories are skipped
# with a note, and without Alembic (the venv cannot be made, e.g. offline) the comparisons
# with real Alembic are; ALUDEL_TEST_REQUIRE_CORPORA=1 and ALUDEL_TEST_REQUIRE_ALEMBIC=1 make
# them failures.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh packages

if [ ! -d ../shared/corpora ]; then
    if [ "${ALUDEL_TEST_REQUIRE_CORPORA:-0}" = 1 ]; then
        echo "error: ALUDEL_TEST_REQUIRE_CORPORA=1 but the corpora are missing at $(dirname "$PWD")/shared/corpora" >&2
        exit 1
    fi
    echo "note: the corpora are missing at $(dirname "$PWD")/shared/corpora; the tests of real histories are skipped" >&2
fi

# Real Alembic answers the same questions as aludel on the real histories (heads, bases,
# history order, upgrade and downgrade steps with their version-table rows).
if [ -z "${ALUDEL_PYTHON:-}" ]; then
    if python="$(scripts/install-deps.sh alembic)"; then
        export ALUDEL_PYTHON="$python"
    elif [ "${ALUDEL_TEST_REQUIRE_ALEMBIC:-0}" = 1 ]; then
        echo "error: ALUDEL_TEST_REQUIRE_ALEMBIC=1 but Alembic could not be installed into target/alembic-venv" >&2
        exit 1
    else
        echo "note: without Alembic the comparisons with real Alembic are skipped" >&2
    fi
fi
if [ -n "${ALUDEL_PYTHON:-}" ]; then
    rm -rf target/alembic-oracle
    "$ALUDEL_PYTHON" scripts/alembic_oracle.py --out target/alembic-oracle
    export ALUDEL_ALEMBIC_ORACLE="$PWD/target/alembic-oracle"
fi

# diesel print-schema, beside which the tests put aludel print-schema (ALUDEL_TEST_DIESEL; set
# it to use another diesel_cli 2.3). Without it (it cannot be built, e.g. offline) those
# comparisons are skipped with a note; ALUDEL_TEST_REQUIRE_DIESEL=1 makes that a failure.
if [ -z "${ALUDEL_TEST_DIESEL:-}" ]; then
    if diesel="$(scripts/install-deps.sh diesel)"; then
        export ALUDEL_TEST_DIESEL="$diesel"
    elif [ "${ALUDEL_TEST_REQUIRE_DIESEL:-0}" = 1 ]; then
        echo "error: ALUDEL_TEST_REQUIRE_DIESEL=1 but diesel_cli could not be built into target/diesel-cli" >&2
        exit 1
    else
        echo "note: without diesel_cli the comparisons with diesel print-schema are skipped" >&2
    fi
fi

# The database servers of the project's machines; set the variables to use others.
export ALUDEL_TEST_POSTGRES_URL="${ALUDEL_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
export ALUDEL_TEST_MYSQL_URL="${ALUDEL_TEST_MYSQL_URL:-mysql://root@127.0.0.1:3306/test}"

# The benchmark notes hold only figures measured by their script or quoted with a source
# (scripts/lib/figures.py): its own tests, then the notes of scripts/bench-peers.sh.
python3 scripts/lib/figures_test.py
python3 bench/report.py --check

cargo test --workspace --all-features
