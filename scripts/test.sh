#!/usr/bin/env bash
# Set up everything the tests need, then run the quality gates and the whole suite
# (SQLite and PostgreSQL). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
# Browser tests drive Debian's Chromium; the PDF briefing needs Pango and HarfBuzz-Subset
# (WeasyPrint warns without the latter, and the tests treat warnings as errors).
if [ ! -x /usr/bin/chromium ] || ! ldconfig -p | grep -q libpangoft2-1.0 \
  || ! ldconfig -p | grep -q libharfbuzz-subset; then
  echo "== installing chromium, chromium-driver, Pango and HarfBuzz-Subset from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver \
    libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core >/dev/null
fi
echo "== ruff"
.venv/bin/ruff check src tests benchmarks
echo "== mypy --strict"
.venv/bin/mypy
echo "== pytest"
.venv/bin/python -m pytest "$@"
