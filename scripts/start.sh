#!/usr/bin/env bash
# Set up Accord in ./.venv, create the SQLite database with the bundled dataset, and serve it.
# Usage: bash scripts/start.sh [--host H] [--port P]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/accord init
exec .venv/bin/accord serve "$@"
