# Sourced by scripts/serve and scripts/test: a virtualenv in .venv with the project installed.
# Needs only Python 3.11, 3.12 or 3.13 and Debian's package tools on a fresh machine.
set -euo pipefail

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
    # Install Debian packages, refreshing the package lists once per run.
    if [ -z "${APT_UPDATED:-}" ]; then
        as_root apt-get update -qq
        APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@"
}

find_python() {
    # PYTHON if set, else the newest supported interpreter on PATH.
    for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))'
        then
            echo "$candidate"
            return
        fi
        if [ -n "${PYTHON:-}" ] && [ "$candidate" = "$PYTHON" ]; then
            echo "PYTHON=$PYTHON is not Python 3.11, 3.12 or 3.13." >&2
            exit 1
        fi
    done
    echo "Python 3.11, 3.12 or 3.13 is required (set PYTHON=/path/to/python3)." >&2
    exit 1
}

setup_venv() {
    # $1: pip extras to install ("" or "test"). VENV (default .venv) names the virtualenv, so
    # one checkout can hold one per interpreter (VENV=.venv-3.13 PYTHON=python3.13). An
    # existing virtualenv is kept unless PYTHON asks for another version.
    local extras="${1:-}" python version venv="${VENV:-.venv}"
    if [ ! -x "$venv/bin/python" ] || [ -n "${PYTHON:-}" ]; then
        python=$(find_python)
        version=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    fi
    if [ -x "$venv/bin/python" ] && [ -n "${PYTHON:-}" ] &&
        [ "$("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" != "$version" ]; then
        echo "$venv is for another Python than PYTHON=$PYTHON: remove it or set VENV." >&2
        exit 1
    fi
    if [ ! -x "$venv/bin/python" ]; then
        if ! "$python" -m venv "$venv" 2>/dev/null; then
            # Debian splits venv and ensurepip out of the interpreter package.
            rm -rf "$venv"
            apt_install "python$version-venv"
            "$python" -m venv "$venv"
        fi
    fi
    # The exact versions in the lock file, then the server and the member SDK from this
    # checkout (editable, without resolving again).
    local stamp="$venv/.installed-${extras:-base}" lock=requirements.lock
    [ -z "$extras" ] || lock="requirements-${extras}.lock"
    if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ "$lock" -nt "$stamp" ] ||
        [ federation/pyproject.toml -nt "$stamp" ]; then
        "$venv/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
        "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$lock"
        "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps \
            -e ./federation -e .
        # A lock file that lags behind pyproject.toml leaves a dependency out: say so now.
        "$venv/bin/python" -m pip check -q >/dev/null || {
            "$venv/bin/python" -m pip check >&2
            echo "The lock file does not satisfy pyproject.toml: run bash scripts/lock." >&2
            exit 1
        }
        touch "$stamp"
    fi
}

letter_libraries() {
    # WeasyPrint, which renders letters to PDF, loads Debian's pango at run time; DejaVu is
    # the letters' font.
    if ! ldconfig -p 2>/dev/null | grep -q "libpangoft2-1.0.so.0" ||
        [ ! -d /usr/share/fonts/truetype/dejavu ]; then
        apt_install libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core
    fi
}
