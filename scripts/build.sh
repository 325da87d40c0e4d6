#!/usr/bin/env bash
# The main job: set up .venv and build every lesson workbook into workbooks/,
# then verify each one with `sheetnet check` (every cached value recomputed).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
mkdir -p workbooks
.venv/bin/sheetnet build all
.venv/bin/sheetnet check workbooks/*.xlsx
