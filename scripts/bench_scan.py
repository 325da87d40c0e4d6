"""Benchmark sheetnet.xlsx.scan on a benchmark-shaped worksheet built in memory.

The sheet mirrors the `sheetnet check` benchmark workbook: 100,000 rows of
17 cells (1.7 M <c>): three value columns (an id, a rating, a shared string)
and fourteen shared-formula columns whose followers look like
<c r="M5" s="3"><f t="shared" si="3"/><v>-0.2948461929...</v></c>; cached
values are written as Python's repr writes them (up to 17 significant
digits, signed), two columns hold integers (MATCH results).  About 110 MB
of XML.  Prints the best and median of --repeat scans (zip decompression is
not part of the measurement); --json prints one JSON object instead.
--against DIR times DIR's scanner (another checkout: DIR/sheetnet/xlsx/scan.py)
on the same XML in the same run, scans of the two interleaved, and reports
the ratios this/that of the best and median times.

    python scripts/bench_scan.py [--rows 100000] [--repeat 5] [--json] [--against DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from sheetnet.xlsx.scan import scan_sheet_data  # noqa: E402

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
FORMULA_COLUMNS = 14


def _column(i: int) -> str:
    name, i = "", i + 1
    while i:
        i, r = divmod(i - 1, 26)
        name = chr(65 + r) + name
    return name


def build_sheet(rows: int, seed: int = 0) -> bytes:
    """The sheet XML: columns A-C hold values, D-Q shared formulas whose
    masters sit in row 1."""
    rng = np.random.default_rng(seed)
    values = rng.normal(0, 0.5, (rows, FORMULA_COLUMNS)).tolist()
    indices = rng.integers(1, 1700, (rows, 2)).tolist()
    letters = [_column(i) for i in range(3 + FORMULA_COLUMNS)]
    out = [f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{MAIN}"><sheetData>']
    for r in range(rows):
        n = r + 1
        cells = [f'<row r="{n}" spans="1:17"><c r="A{n}" s="1"><v>{n}</v></c>'
                 f'<c r="B{n}" s="2"><v>{(r % 10 + 1) / 2}</v></c><c r="C{n}" t="s"><v>{r % 50}</v></c>']
        for j in range(FORMULA_COLUMNS):
            col = letters[3 + j]
            text = indices[r][j] if j < 2 else repr(values[r][j])
            if r == 0:
                f = f'<f t="shared" ref="{col}1:{col}{rows}" si="{j}">B{n}*{j + 1}+A{n}</f>'
            else:
                f = f'<f t="shared" si="{j}"/>'
            cells.append(f'<c r="{col}{n}" s="3">{f}<v>{text}</v></c>')
        cells.append("</row>")
        out.append("".join(cells))
    out.append("</sheetData></worksheet>")
    return "".join(out).encode()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--against", metavar="DIR", help="also time DIR/sheetnet/xlsx/scan.py, interleaved")
    args = parser.parse_args(argv)

    xml = build_sheet(args.rows)
    scanners = [scan_sheet_data] + ([_scanner_of(args.against)] if args.against else [])
    times = [[] for _ in scanners]
    for i in range(args.repeat):
        order = range(len(scanners)) if i % 2 == 0 else reversed(range(len(scanners)))
        for k in order:
            start = time.perf_counter()
            scan = scanners[k](xml)
            times[k].append(time.perf_counter() - start)
    result = {"rows": args.rows, "cells": int(len(scan.rows)), "formulas": int(len(scan.f_cell)),
              "xml_mb": round(len(xml) / 1e6, 1), "best_s": round(min(times[0]), 3),
              "median_s": round(float(np.median(times[0])), 3), "cpus": os.cpu_count()}
    if args.against:
        result.update(against_best_s=round(min(times[1]), 3), against_median_s=round(float(np.median(times[1])), 3),
                      best_ratio=round(min(times[0]) / min(times[1]), 3),
                      median_ratio=round(float(np.median(times[0]) / np.median(times[1])), 3))
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{result['cells']:,} cells ({result['formulas']:,} formulas, {result['xml_mb']} MB of XML): "
              f"best {result['best_s']} s, median {result['median_s']} s over {args.repeat} scans")
        if args.against:
            print(f"{args.against}: best {result['against_best_s']} s, median {result['against_median_s']} s; "
                  f"this / that: best {result['best_ratio']}, median {result['median_ratio']}")
    return 0


def _scanner_of(checkout: str):
    """scan_sheet_data of another checkout's sheetnet/xlsx/scan.py (it imports
    only numpy and the standard library), loaded beside this one."""
    import importlib.util
    path = os.path.join(checkout, "sheetnet", "xlsx", "scan.py")
    spec = importlib.util.spec_from_file_location("bench_scan_against", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module          # dataclasses look their module up
    spec.loader.exec_module(module)
    return module.scan_sheet_data


if __name__ == "__main__":
    sys.exit(main())
