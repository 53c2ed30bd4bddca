#!/usr/bin/env bash
# The one test command: every test of the workspace, the trybuild compile-fail cases, and the
# comparison of the revision graph with real Alembic on the corpora in ../shared/corpora.
set -euo pipefail
cd "$(dirname "$0")/.."

# Real Alembic answers the same questions as aludel on the real histories (heads, bases,
# history order, upgrade and downgrade steps with their version-table rows).
if python3 -c 'import alembic' 2>/dev/null; then
    python3 scripts/alembic_oracle.py --out target/alembic-oracle
    export ALUDEL_ALEMBIC_ORACLE="$PWD/target/alembic-oracle"
elif [ "${ALUDEL_TEST_REQUIRE_ALEMBIC:-0}" = 1 ]; then
    echo "error: Alembic is required for the comparison tests: pip install alembic" >&2
    exit 1
else
    echo "note: Alembic is not installed (pip install alembic); the comparison with real Alembic is skipped" >&2
fi

# The database servers of the project's machines; set the variables to use others.
export ALUDEL_TEST_POSTGRES_URL="${ALUDEL_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
export ALUDEL_TEST_MYSQL_URL="${ALUDEL_TEST_MYSQL_URL:-mysql://root@127.0.0.1:3306/test}"

cargo test --workspace --all-features
