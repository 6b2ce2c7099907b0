#!/usr/bin/env bash
# Create ./.venv and install Accord into it (with the development tools when given --dev), at
# the exact versions pinned in requirements.lock (refresh them with scripts/refresh-lock.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
extras=""
[ "${1:-}" = "--dev" ] && extras="[dev]"
stamp=".venv/.installed${extras}"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ requirements.lock -nt "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -c requirements.lock -e ".${extras}"
  # A package installed but not pinned means pyproject.toml gained a dependency since the lock
  # was written: say so (the install still works, at the newest allowed version).
  unpinned=$(.venv/bin/python -m pip freeze --exclude-editable | cut -d= -f1 \
    | grep -v -i -x -F -f <(grep -v '^#' requirements.lock | cut -d= -f1) || true)
  if [ -n "$unpinned" ]; then
    echo "warning: not pinned in requirements.lock: $(echo $unpinned) (run scripts/refresh-lock.sh)" >&2
  fi
  touch "$stamp"
fi
