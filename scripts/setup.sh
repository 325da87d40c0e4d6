#!/usr/bin/env bash
# Set up sheetnet on a fresh machine: a virtual environment in .venv with the
# package installed (editable).  With --test, also what the tests need:
# LibreOffice Calc headless (Debian packages, via apt) and the test extras.
#
# torch is pinned (==2.13.0) in pyproject.toml: pip takes the local CPU wheel
# where one is provided and never resolves an open "torch" to a CUDA download.
set -euo pipefail
cd "$(dirname "$0")/.."

want_tests=0
[ "${1:-}" = "--test" ] && want_tests=1

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv with $($PYTHON --version)"
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
if [ "$want_tests" = 1 ]; then
    scripts/install-libreoffice.sh
    echo "setup: installing sheetnet with its test extras (torch 2.13.0 CPU, hypothesis, openpyxl, matplotlib)"
    .venv/bin/python -m pip install -q -e ".[test]"
elif [ "${SHEETNET_NO_TORCH:-}" = 1 ]; then
    echo "setup: installing sheetnet without torch (SHEETNET_NO_TORCH=1: solve falls back to finite differences)"
    .venv/bin/python -m pip install -q -e ".[plot]"
else
    # torch makes `sheetnet solve`'s gradients exact (autograd through the formula graph): without
    # it the Solver falls back to finite differences, minutes instead of a second on the lesson
    echo "setup: installing sheetnet with torch 2.13.0 (CPU) for exact Solver gradients"
    .venv/bin/python -m pip install -q -e ".[plot,torch]"
fi
# Compile sheetnet's modules to bytecode now: an editable install leaves them as
# source, so otherwise the first command (and every command where
# PYTHONDONTWRITEBYTECODE is set) compiles about 120 modules, half a second.
.venv/bin/python -m compileall -q sheetnet >/dev/null
echo "setup: done ($(.venv/bin/sheetnet --version))"
