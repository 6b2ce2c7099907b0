#!/usr/bin/env bash
# Refresh requirements.lock: install the newest versions pyproject.toml allows (runtime and
# [dev]) into a temporary virtual environment, pin every installed package, reinstall .venv from
# the new lock and run scripts/test.sh (any arguments are passed on to pytest). If installing or
# the suite fails, the previous lock is put back and .venv reinstalled from it.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp requirements.lock "$work/previous.lock"

echo "== resolving the newest allowed versions in a temporary virtual environment"
"$PYTHON" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --upgrade pip
"$work/venv/bin/python" -m pip install --quiet ".[dev]"
{
  echo "# The exact versions scripts/setup.sh installs: Accord's dependencies and its [dev] extras,"
  echo "# with everything they need, used as pip constraints (pip install -c requirements.lock"
  echo "# -e '.[dev]'). Written by scripts/refresh-lock.sh from the ranges in pyproject.toml with"
  echo "# $("$work/venv/bin/python" --version); do not edit by hand."
  "$work/venv/bin/python" -m pip freeze --all --exclude-editable \
    | grep -v -i -E '^(accord|pip|setuptools|wheel)(==| @ )' | LC_ALL=C sort -f
} >"$work/new.lock"

restore() {
  echo "== $1: putting the previous lock back"
  cp "$work/previous.lock" requirements.lock
  bash scripts/setup.sh --dev
  exit 1
}
cp "$work/new.lock" requirements.lock
bash scripts/setup.sh --dev || restore "installing from the new lock failed"
bash scripts/test.sh "$@" || restore "the suite fails with the new versions"
echo "== requirements.lock refreshed; changes:"
diff "$work/previous.lock" requirements.lock || true
