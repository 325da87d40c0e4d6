#!/usr/bin/env python3
"""Solve the collab workbook's dotprod and bias Solver models for seeds 0-9.

For each seed: `sheetnet build collab --seed S` (in a temporary folder), then
`sheetnet solve` on the dotprod and the bias sheet; reports every run and the
medians of the final RMSE and of the solve time (the issue's acceptance: median
<= 0.3930 on dotprod, <= 0.3187 on bias, under 1 second).

    python scripts/bench_solve.py [--seeds 0 1 ... 9] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import tempfile

import numpy as np

from sheetnet.cli import main as sheetnet


def run(seeds) -> dict:
    rows = []
    with tempfile.TemporaryDirectory(prefix="sheetnet-solve-") as folder:
        for seed in seeds:
            book = os.path.join(folder, f"collab_{seed}.xlsx")
            _quiet(["build", "collab", "--seed", str(seed), "--out", book])
            for sheet in ("dotprod", "bias"):
                out = os.path.join(folder, f"collab_{seed}_{sheet}.xlsx")
                result = _solve_json(book, sheet, out)
                rows.append({"seed": seed, **result})
    summary = {}
    for sheet in ("dotprod", "bias"):
        runs = [r for r in rows if r["sheet"] == sheet]
        summary[sheet] = {"median_objective_final": float(np.median([r["objective_final"] for r in runs])),
                          "median_seconds": float(np.median([r["seconds"] for r in runs]))}
    return {"runs": rows, "summary": summary}


def _quiet(argv: list[str]) -> str:
    """Run a sheetnet command, returning what it printed."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = sheetnet(argv)
    if code != 0:
        raise SystemExit(f"sheetnet {' '.join(argv)} failed")
    return buffer.getvalue()


def _solve_json(book: str, sheet: str, out: str) -> dict:
    return json.loads(_quiet(["solve", book, "--sheet", sheet, "--out", out, "--json"]))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, nargs="+", default=list(range(10)))
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)
    result = run(args.seeds)
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    print(f"{'seed':>4}  {'sheet':<8} {'start':>9} {'final':>10} {'iterations':>10} {'seconds':>8}  gradient")
    for r in result["runs"]:
        print(f"{r['seed']:>4}  {r['sheet']:<8} {r['objective_start']:9.4f} {r['objective_final']:10.6f} "
              f"{r['iterations']:>10} {r['seconds']:8.2f}  {r['gradient'].split(' (')[0]}")
    for sheet, s in result["summary"].items():
        print(f"median {sheet}: final RMSE {s['median_objective_final']:.6f}, {s['median_seconds']:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
