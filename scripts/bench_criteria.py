#!/usr/bin/env python3
"""Benchmark the *IFS functions over big ranges: the criteria index
(sheetnet/formula/functions/criteria_index.py) against the per-criterion
masks it replaces, in one run.

A sheet of N rows: A a label among 100, B an integer in 0..999; one filled
column of formulas per case, each over the whole of A/B (absolute ranges):

  countif    COUNTIF($A$1:$A$N, A1)                       (how often is my label?)
  countifs   COUNTIFS($A$1:$A$N, A1, $B$1:$B$N, ">"&B1)   (rank within my label)
  sumifs     SUMIFS($B$1:$B$N, $A$1:$A$N, A1)
  averageifs AVERAGEIFS($B$1:$B$N, $A$1:$A$N, A1, $B$1:$B$N, "<"&B1)

For each case and N: the first calculation's seconds with the index and with
masks only (best of --repeat), their ratio, and whether both gave the same
values.  The masks' cost grows as N^2, so --mask-rows caps the N they run at.

    python scripts/bench_criteria.py --rows 2000 10000 100000 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from sheetnet.book import Book
from sheetnet.engine import Engine
from sheetnet.formula.functions import criteria

CASES = {
    "countif": "COUNTIF($A$1:$A${n},A{i})",
    "countifs": 'COUNTIFS($A$1:$A${n},A{i},$B$1:$B${n},">"&B{i})',
    "sumifs": "SUMIFS($B$1:$B${n},$A$1:$A${n},A{i})",
    "averageifs": 'AVERAGEIFS($B$1:$B${n},$A$1:$A${n},A{i},$B$1:$B${n},"<"&B{i})',
}


def make_book(n: int, case: str) -> Book:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 100, n)
    numbers = rng.integers(0, 1000, n)
    book = Book()
    s = book.add_sheet("s")
    for i in range(n):
        s.set_value(f"A{i + 1}", f"label{labels[i]}")
        s.set_value(f"B{i + 1}", float(numbers[i]))
        s.set_formula(f"C{i + 1}", CASES[case].format(n=n, i=i + 1))
    return book


def timed(book: Book, n: int, with_index: bool, repeat: int):
    saved = criteria.INDEX_MIN_RESULTS
    criteria.INDEX_MIN_RESULTS = saved if with_index else 10**12
    try:
        best, values = None, None
        for _ in range(repeat):
            engine = Engine(book)
            t = time.perf_counter()
            engine.recalc()
            dt = time.perf_counter() - t
            best = dt if best is None else min(best, dt)
            values = [engine.value("s", f"C{i + 1}") for i in range(0, n, max(1, n // 200))]
        return best, values
    finally:
        criteria.INDEX_MIN_RESULTS = saved


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, nargs="+", default=[2000, 10000])
    ap.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--mask-rows", type=int, default=10000, help="largest N the masks-only path runs at")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rows = []
    for n in args.rows:
        for case in args.cases:
            book = make_book(n, case)
            t_index, v_index = timed(book, n, True, args.repeat)
            row = {"case": case, "rows": n, "index_s": round(t_index, 3)}
            if n <= args.mask_rows:
                t_mask, v_mask = timed(book, n, False, args.repeat)
                row.update(masks_s=round(t_mask, 3), speedup=round(t_mask / t_index, 1), same=v_index == v_mask)
            rows.append(row)
            if not args.json:
                extra = (f"  masks {row['masks_s']:8.3f} s  x{row['speedup']:<7} same values: {row['same']}"
                         if "masks_s" in row else "  masks (not run: quadratic)")
                print(f"{case:11s} N={n:>7}  index {row['index_s']:8.3f} s{extra}", flush=True)
    if args.json:
        print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
