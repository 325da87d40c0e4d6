#!/usr/bin/env python3
"""How much of the reference workbooks sheetnet computes and matches, per
function category: the comparison `sheetnet check` makes (rtol 1e-9, atol
1e-12), over ../shared/reference-workbooks/ironcalc/** and
../shared/lesson-workbooks/* (or $SHEETNET_SHARED).

    python scripts/reference_coverage.py                 # table + what remains
    python scripts/reference_coverage.py --files         # plus one row per workbook
    python scripts/reference_coverage.py --json          # one JSON object
    python scripts/reference_coverage.py --category LOGICAL --examples 50
    python scripts/reference_coverage.py --category LOGICAL --write-expectations

--write-expectations rewrites tests/reference_expectations/<CATEGORY>.txt for
the categories run (the cells tests/test_reference_workbooks.py excuses):
every failing cell with its reason, reasons written by hand kept;
--prune-expectations only removes the lines whose cells match now.

Per category, over formula cells that carry a cached value:
  matched      computed and equal to Excel's cached value
  mismatched   computed, different
  unsupported  kept their cached value: a function sheetnet lacks, or an
               unparsable formula
  errors       in a workbook whose check ended in an exception (a traceback
               or a refusal such as a circular reference) -- one error row per
               workbook, the run goes on
  volatile     RAND/RANDBETWEEN...: reported, not compared, not in the share
  match %      matched / (cells - volatile)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict

from sheetnet.check import format_value
from pathlib import Path

from sheetnet.refbooks import (check_book, formula_text, prune_expectations, read_expectations, reference_books,
                               shared_dir, write_expectations)

EXPECTATIONS = Path(__file__).resolve().parents[1] / "tests" / "reference_expectations"

COLUMNS = ("matched", "mismatched", "unsupported", "errors", "volatile")


def verdict_class(verdict: str) -> str | None:
    """matched / mismatched / unsupported / errors / volatile; None for a
    cell without a cached value (not counted)."""
    if verdict in ("matched", "volatile"):
        return verdict
    if verdict.startswith("mismatched"):
        return "mismatched"
    if verdict.startswith("unsupported"):
        return "unsupported"
    if verdict.startswith("error"):
        return "errors"
    return None


def tally(outcomes: dict) -> dict:
    counts = Counter(verdict_class(v) for v in outcomes.values())
    row = {c: counts.get(c, 0) for c in COLUMNS}
    row["cells"] = sum(row.values())
    return row


def share(row: dict) -> float:
    denominator = row["cells"] - row["volatile"]
    return 100.0 * row["matched"] / denominator if denominator else 100.0


def unsupported_names(outcomes: dict) -> Counter:
    names = Counter()
    for v in outcomes.values():
        if v.startswith("unsupported: "):
            for name in v[len("unsupported: "):].split(","):
                names[name] += 1
    return names


def mismatch_examples(result, limit: int) -> list[dict]:
    if result.report is None or limit <= 0:
        return []
    out = []
    for sheet in result.report.sheets:
        for m in sheet.mismatched:
            if len(out) >= limit:
                return out
            out.append({"file": result.book.key, "sheet": m.sheet, "cell": m.cell,
                        "formula": formula_text(result.book.path, m.sheet, m.cell),
                        "cached": format_value(m.cached), "computed": format_value(m.computed)})
    return out


def run(categories: set[str] | None, examples: int, results_by_category: dict | None = None) -> dict:
    shared = shared_dir()
    if shared is None:
        raise SystemExit("reference_coverage: no ../shared beside the repository and SHEETNET_SHARED not set")
    books = [b for b in reference_books(shared) if categories is None or b.category in categories]
    per_file, per_category = [], defaultdict(lambda: dict.fromkeys(("files", "cells") + COLUMNS, 0))
    names_by_category = defaultdict(Counter)
    examples_by_category = defaultdict(list)
    errors = []
    t0 = time.perf_counter()
    for book in books:
        t = time.perf_counter()
        result = check_book(book)
        if results_by_category is not None:
            results_by_category.setdefault(book.category, []).append(result)
        row = tally(result.outcomes)
        per_file.append({"file": book.key, "category": book.category, **row, "match_pct": share(row),
                         "seconds": time.perf_counter() - t, "error": result.error})
        cat = per_category[book.category]
        cat["files"] += 1
        for k in ("cells",) + COLUMNS:
            cat[k] += row[k]
        names_by_category[book.category].update(unsupported_names(result.outcomes))
        room = examples - len(examples_by_category[book.category])
        examples_by_category[book.category].extend(mismatch_examples(result, room))
        if result.error:
            errors.append({"file": book.key, "error": result.error, "cells": row["errors"]})
    total = dict.fromkeys(("files", "cells") + COLUMNS, 0)
    for cat in per_category.values():
        for k in total:
            total[k] += cat[k]
    all_names = Counter()
    for c in names_by_category.values():
        all_names.update(c)
    return {
        "shared": str(shared),
        "rtol": 1e-9,
        "seconds": time.perf_counter() - t0,
        "categories": {k: {**v, "match_pct": share(v)} for k, v in sorted(per_category.items())},
        "total": {**total, "match_pct": share(total)},
        "unsupported": dict(all_names.most_common()),
        "unsupported_by_category": {k: dict(v.most_common()) for k, v in sorted(names_by_category.items())},
        "mismatch_examples": {k: v for k, v in sorted(examples_by_category.items()) if v},
        "errors": errors,
        "files": per_file,
    }


def print_table(rows: list[tuple[str, dict]], first: str) -> None:
    print(f"{first:<42} {'files':>5} {'cells':>7} {'matched':>8} {'mismatch':>8} {'unsupp':>7} "
          f"{'errors':>7} {'volat':>6} {'match %':>8}")
    for name, r in rows:
        files = r.get("files", "")
        print(f"{name[:42]:<42} {files:>5} {r['cells']:>7} {r['matched']:>8} {r['mismatched']:>8} "
              f"{r['unsupported']:>7} {r['errors']:>7} {r['volatile']:>6} {r['match_pct']:>7.1f}%")


def print_report(out: dict, show_files: bool) -> None:
    print(f"reference workbooks in {out['shared']} (rtol 1e-9, {out['seconds']:.1f} s)\n")
    print_table(list(out["categories"].items()) + [("TOTAL", out["total"])], "category")
    if show_files:
        print()
        print_table([(f["file"], f) for f in out["files"]], "file")
    if out["unsupported"]:
        print("\nunsupported (function or feature: formula cells)")
        for category, names in out["unsupported_by_category"].items():
            if names:
                print(f"  {category}: " + ", ".join(f"{k} {v}" for k, v in names.items()))
    if out["errors"]:
        print("\nworkbooks whose check ended in an exception")
        for e in out["errors"]:
            print(f"  {e['file']}: {e['error']} ({e['cells']} cells)")
    if out["mismatch_examples"]:
        print("\nmismatch examples")
        for category, items in out["mismatch_examples"].items():
            for m in items:
                print(f"  {m['file']} {m['sheet']}!{m['cell']} {m['formula']}: "
                      f"cached {m['cached']}, computed {m['computed']}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--files", action="store_true", help="also one row per workbook")
    ap.add_argument("--category", action="append", metavar="NAME",
                    help="only this category (repeatable): MATH_AND_TRIGONOMETRY, TOP_LEVEL, LESSONS ...")
    ap.add_argument("--examples", type=int, default=5, metavar="N",
                    help="mismatch examples listed per category (default 5)")
    ap.add_argument("--write-expectations", action="store_true",
                    help="rewrite tests/reference_expectations/<CATEGORY>.txt for the categories run")
    ap.add_argument("--prune-expectations", action="store_true",
                    help="only remove the lines of tests/reference_expectations/<CATEGORY>.txt whose cells match now")
    ap.add_argument("--whole-file-above", type=int, default=200, metavar="N",
                    help="with --write-expectations: a workbook with more failing cells is one '*' line")
    args = ap.parse_args(argv)
    results: dict = {}
    out = run(set(args.category) if args.category else None, args.examples, results)
    if args.prune_expectations:
        for category, category_results in sorted(results.items()):
            path = EXPECTATIONS / f"{category}.txt"
            print(f"{path}: {prune_expectations(path, category_results)} stale line(s) removed", file=sys.stderr)
    if args.write_expectations:
        for category, category_results in sorted(results.items()):
            path = EXPECTATIONS / f"{category}.txt"
            n = write_expectations(path, category_results, read_expectations(path), args.whole_file_above)
            print(f"{path}: {n} line(s)", file=sys.stderr)
    if args.json:
        print(json.dumps(out, indent=1))
    else:
        print_report(out, args.files)
    return 0


if __name__ == "__main__":
    sys.exit(main())
