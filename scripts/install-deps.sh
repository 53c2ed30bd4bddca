#!/usr/bin/env bash
# Installs what the build and the tests need and a fresh machine may lack; scripts/test.sh and
# .ci/run call it, and it does nothing when everything is there.
#
#   scripts/install-deps.sh packages   the Debian packages: libpq-dev and
#                                      default-libmysqlclient-dev (diesel's PostgreSQL and MySQL
#                                      backends link libpq and libmysqlclient, found through
#                                      pkg-config), pkg-config, and pgbouncer (run by the
#                                      PgBouncer test). As root: one `apt-get update` and one
#                                      `apt-get install -y` of the missing ones; otherwise a
#                                      missing package is an error naming the command to run.
#   scripts/install-deps.sh alembic    real Alembic and its drivers, pinned, in the venv
#                                      target/alembic-venv (never the system Python), reused
#                                      when it has them; prints the venv's python on stdout.
#                                      Fails with a note on stderr when the venv cannot be made
#                                      (no network, no venv module).
#   scripts/install-deps.sh diesel     diesel_cli, pinned, built with cargo into
#                                      target/diesel-cli (reused when it is there, so it is
#                                      built once per checkout); prints the binary's path on
#                                      stdout. The tests compare `aludel print-schema` with its
#                                      `diesel print-schema`. Needs the packages above. Fails
#                                      with a note on stderr when cargo cannot build it.
#   scripts/install-deps.sh missing    prints the missing Debian packages, one a line.
#
# ALUDEL_DEPS_PACKAGES replaces the list of Debian packages (to try the install logic).
set -euo pipefail
cd "$(dirname "$0")/.."

packages="${ALUDEL_DEPS_PACKAGES:-libpq-dev default-libmysqlclient-dev pkg-config pgbouncer}"
alembic_pins="alembic==1.20.1 psycopg2-binary==2.9.13 pymysql==1.2.4"
venv="target/alembic-venv"
diesel_version="2.3.14"
diesel_root="target/diesel-cli"

# The packages of $packages that dpkg does not have installed (a removed package whose
# configuration files remain counts as missing).
missing_packages() {
    local pkg
    for pkg in $packages; do
        if [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" != "install ok installed" ]; then
            echo "$pkg"
        fi
    done
}

install_packages() {
    if ! command -v dpkg-query >/dev/null; then
        echo "note: not a Debian system; make sure these (or their equivalents) are installed: $packages" >&2
        return 0
    fi
    local missing
    missing="$(missing_packages | tr '\n' ' ')"
    missing="${missing% }"
    [ -z "$missing" ] && return 0
    if [ "$(id -u)" != 0 ]; then
        echo "error: missing Debian packages: $missing" >&2
        echo "  install them as root: apt-get update && apt-get install -y $missing" >&2
        return 1
    fi
    echo "note: installing the missing Debian packages: $missing" >&2
    # shellcheck disable=SC2086 # one word per package
    if ! apt-get update -qq || ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing; then
        echo "error: apt-get could not install: $missing" >&2
        return 1
    fi
}

# The venv's python when it imports Alembic and the drivers at the pinned versions.
venv_ready() {
    [ -x "$venv/bin/python" ] && [ "$(cat "$venv/aludel-pins" 2>/dev/null)" = "$alembic_pins" ] &&
        "$venv/bin/python" -c 'import alembic, psycopg2, pymysql' 2>/dev/null
}

make_venv() {
    if venv_ready; then
        echo "$PWD/$venv/bin/python"
        return 0
    fi
    local python=python3 pip
    if ! command -v "$python" >/dev/null; then
        echo "note: $python is not installed; cannot make $venv for Alembic" >&2
        return 1
    fi
    rm -rf "$venv"
    mkdir -p target
    # A venv with its own pip; without ensurepip (Debian's python3 without python3-venv), a
    # bare venv that the system's pip installs into.
    if "$python" -m venv "$venv" >/dev/null 2>&1; then
        pip=("$venv/bin/python" -m pip)
    elif rm -rf "$venv" && "$python" -m venv --without-pip "$venv" >/dev/null 2>&1 &&
        "$python" -m pip --version >/dev/null 2>&1; then
        pip=("$python" -m pip --python "$venv/bin/python")
    else
        rm -rf "$venv"
        echo "note: '$python -m venv' cannot make $venv (install python3-venv, or pip for $python)" >&2
        return 1
    fi
    echo "note: installing $alembic_pins into $venv" >&2
    # shellcheck disable=SC2086 # one word per requirement
    if ! "${pip[@]}" install --quiet --disable-pip-version-check --retries 1 --timeout 20 \
        $alembic_pins >&2; then
        rm -rf "$venv"
        echo "note: pip could not install $alembic_pins into $venv (no network?)" >&2
        return 1
    fi
    echo "$alembic_pins" >"$venv/aludel-pins"
    echo "$PWD/$venv/bin/python"
}

# diesel_cli at the pinned version, with the three backends (SQLite bundled).
install_diesel() {
    local bin="$diesel_root/bin/diesel"
    if [ -x "$bin" ] && [ "$(cat "$diesel_root/aludel-version" 2>/dev/null)" = "$diesel_version" ]; then
        echo "$PWD/$bin"
        return 0
    fi
    rm -rf "$diesel_root"
    echo "note: building diesel_cli $diesel_version into $diesel_root (once; a few minutes)" >&2
    if ! cargo install --quiet diesel_cli --version "=$diesel_version" --locked \
        --no-default-features --features "sqlite-bundled postgres mysql" \
        --root "$diesel_root" >&2; then
        rm -rf "$diesel_root"
        echo "note: cargo could not build diesel_cli $diesel_version (no network?)" >&2
        return 1
    fi
    echo "$diesel_version" >"$diesel_root/aludel-version"
    echo "$PWD/$bin"
}

case "${1:-}" in
packages) install_packages ;;
alembic) make_venv ;;
diesel) install_diesel ;;
missing) missing_packages ;;
*)
    echo "usage: scripts/install-deps.sh packages|alembic|diesel|missing" >&2
    exit 2
    ;;
esac
