#!/usr/bin/env python3
"""How many formula cells written in real-world syntax `sheetnet check`
computes and matches, over the Excel-saved workbooks in ../shared.

The syntax counted: Excel Tables (structured references), @ (_xlfn.SINGLE),
dynamic arrays (spilled formulas, cm cell metadata), A1# (_xlfn.ANCHORARRAY),
LET, LAMBDA and its helpers (MAP, REDUCE, SCAN, BYROW, BYCOL, MAKEARRAY,
ISOMITTED), INDIRECT, 3-D and external references.  Every cell left
uncomputed or differing is listed with its reason.

    python scripts/syntax_coverage.py [FOLDER ...] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

from sheetnet.check import DEFAULT_ATOL, DEFAULT_RTOL, _compare_sheet, _frozen_masks
from sheetnet.engine import Engine
from sheetnet.errors import FormulaSyntaxError, UserError
from sheetnet.formula.ast import Apply, Call, External, Ref3D, StructRef, walk
from sheetnet.refs import cell_name
from sheetnet.xlsx.reader import read_workbook

# ../shared beside the project (SHEETNET_SHARED elsewhere, e.g. in a git worktree)
SHARED = Path(os.environ.get("SHEETNET_SHARED") or Path(__file__).resolve().parents[1].parent / "shared")
LAMBDA_FUNCTIONS = {"LET", "LAMBDA", "MAP", "REDUCE", "SCAN", "BYROW", "BYCOL", "MAKEARRAY", "ISOMITTED"}
# what a formula's raw text shows when it cannot be parsed at all
TEXT_MARKERS = {"[": "table", "_xlfn.SINGLE": "@", "_xlfn.ANCHORARRAY": "A1#", "_xlfn.LET": "LET/LAMBDA",
                "_xlfn.LAMBDA": "LET/LAMBDA", "INDIRECT(": "INDIRECT", "_xlpm.": "LET/LAMBDA"}


def features(group) -> set[str]:
    """The real-world syntax a formula group uses."""
    found = {"spill"} if group.dynamic else set()
    try:
        tree = group.ast
    except FormulaSyntaxError:
        return found | {tag for marker, tag in TEXT_MARKERS.items() if marker in group.text}
    for n in walk(tree):
        if isinstance(n, StructRef):
            found.add("table")
        elif isinstance(n, Ref3D):
            found.add("3-D")
        elif isinstance(n, External):
            found.add("external")
        elif isinstance(n, Apply):
            found.add("LET/LAMBDA")
        elif isinstance(n, Call):
            if n.name == "SINGLE":
                found.add("@")
            elif n.name == "ANCHORARRAY":
                found.add("A1#")
            elif n.name in LAMBDA_FUNCTIONS or n.prefix.casefold().startswith("_xlpm."):
                found.add("LET/LAMBDA")
            elif n.name == "INDIRECT":
                found.add("INDIRECT")
    return found


def workbook_coverage(path: str) -> dict:
    """Per workbook: the syntax cells, how many were computed and matched,
    and every cell left with its reason."""
    out = {"path": path, "cells": 0, "computed": 0, "matched": 0, "features": {}, "left": []}
    try:
        book = read_workbook(path)
    except UserError as exc:
        out["error"] = str(exc)
        return out
    picked = {}
    for sheet in book.sheets:
        rows, cols = [], []
        for g in sheet.groups:
            tags = features(g)
            if not tags:
                continue
            rr, cc = g.footprint()
            rows.append(rr)
            cols.append(cc)
            for t in tags:
                out["features"][t] = out["features"].get(t, 0) + len(rr)
        if rows:
            rr, cc = np.concatenate(rows).astype(np.int64), np.concatenate(cols).astype(np.int64)
            v = sheet.values
            picked[sheet.name] = (rr, cc, v.kind[rr, cc].copy(), v.num[rr, cc].copy(), v.obj[rr, cc].copy())
    if not picked:
        return out
    try:
        engine = Engine(book, volatile="cached", unsupported="cached").recalc()
    except UserError as exc:
        out["error"] = str(exc)
        return out
    except Exception as exc:          # a function's bug elsewhere in the workbook: say so, go on
        out["error"] = f"engine failure {type(exc).__name__}: {exc}"
        return out
    frozen = _frozen_masks(engine)
    for sheet in book.sheets:
        if sheet.name not in picked:
            continue
        rr, cc, ck, cn, co = picked[sheet.name]
        rep = _compare_sheet(sheet, engine, rr, cc, ck, cn, co, frozen, DEFAULT_RTOL, DEFAULT_ATOL)
        reasons = frozen.get(sheet.name, {})
        out["cells"] += len(rr)
        for r, c in zip(rr.tolist(), cc.tolist()):
            why = reasons.get((r, c))
            if why is not None:
                out["left"].append({"cell": f"{sheet.name}!{cell_name(r, c)}", "reason": f"not computed: {why}"})
        computed = len(rr) - sum(1 for key in zip(rr.tolist(), cc.tolist()) if key in reasons)
        out["computed"] += computed
        out["matched"] += rep.matched + rep.no_cached_value
        for m in rep.mismatched:
            out["left"].append({"cell": f"{m.sheet}!{m.cell}",
                                "reason": f"differs: cached {m.cached!r}, computed {m.computed!r}"})
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folders", nargs="*", help="folders (searched recursively) or workbooks", default=[str(SHARED / "lesson-workbooks"), str(SHARED / "reference-workbooks")])
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    paths = sorted(str(p) for f in args.folders
                   for p in ([Path(f)] if Path(f).is_file() else Path(f).rglob("*.xls[xm]")))
    if not paths:
        print(f"no workbooks under {args.folders}", file=sys.stderr)
        return 2
    results = [r for r in map(workbook_coverage, paths) if r["cells"] or r.get("error")]
    total = {k: sum(r[k] for r in results) for k in ("cells", "computed", "matched")}
    feats: dict[str, int] = {}
    for r in results:
        for k, v in r["features"].items():
            feats[k] = feats.get(k, 0) + v
    if args.json:
        print(json.dumps({"workbooks": results, "total": total, "features": feats}, indent=1, default=str))
        return 0
    print(f"{'workbook':<52} {'cells':>6} {'computed':>9} {'matched':>8}")
    for r in results:
        name = os.path.relpath(r["path"], SHARED) if r["path"].startswith(str(SHARED)) else r["path"]
        print(f"{name[:52]:<52} {r['cells']:>6} {r['computed']:>9} {r['matched']:>8}"
              + (f"  ERROR {r['error']}" if r.get("error") else ""))
    print(f"{'all':<52} {total['cells']:>6} {total['computed']:>9} {total['matched']:>8}")
    print("syntax cells by feature (a cell may count under several): "
          + ", ".join(f"{k} {v}" for k, v in sorted(feats.items())))
    left = [(r["path"], x) for r in results for x in r["left"]]
    if left:
        print(f"\n{len(left)} cell(s) left:")
        for path, x in left:
            print(f"  {os.path.relpath(path, SHARED)}  {x['cell']}: {x['reason']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
