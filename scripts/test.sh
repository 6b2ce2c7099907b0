#!/usr/bin/env bash
# Set up everything the tests need, then run the quality gates and the whole suite
# (SQLite and PostgreSQL). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
echo "== ruff"
.venv/bin/ruff check src tests benchmarks
echo "== mypy --strict"
.venv/bin/mypy
echo "== pytest"
.venv/bin/python -m pytest "$@"
