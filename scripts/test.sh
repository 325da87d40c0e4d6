#!/usr/bin/env bash
# Install what the tests need (LibreOffice headless, test extras) and run the
# whole suite.  Extra arguments go to pytest, e.g. scripts/test.sh -k engine
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
exec .venv/bin/python -m pytest -q "$@"
