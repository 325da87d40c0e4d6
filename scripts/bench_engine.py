#!/usr/bin/env python3
"""Benchmark sheetnet's engine against its peers on an embedding-style
collaborative-filtering sheet (the lesson's movielens_emb, scaled up).

Per rating row: MATCH for the user and the movie index, 2 x 5 OFFSET
look-ups into the factor tables, a SUMPRODUCT prediction and a squared
error; one RMSE cell.  That is 14 formula cells a row: 1.4 million at
100,000 ratings.  The file is written either with shared formulas (as Excel
writes a filled block) or with every cell's formula in full (as LibreOffice,
openpyxl, XlsxWriter and pandas write them): --formulas shared|per-cell.

Tools, each measured in a fresh process, `--repeat` times (best and median of N):
  sheetnet     read_workbook + Engine (plan) = load; recalc() = first calculation
  ironcalc     load_from_xlsx = load; evaluate() = first calculation
  formualizer  load_workbook = load; evaluate_all() = first calculation
  libreoffice  loadComponentFromURL = load; calculateAll() = first calculation
               (soffice started beforehand, not timed)
For every tool: end to end = load + first calculation; recalculation after
an edit = setting one rating (Q3) and recalculating; peak resident memory of
the process that calculates; the RMSE (AG3) before and after the edit, which
must agree between the tools.  IronCalc and formualizer are optional (`pip
install -e ".[bench]"`); a missing tool is skipped with its reason.

    python scripts/bench_engine.py --rows 10000 100000 --formulas per-cell shared --repeat 3
    python scripts/bench_engine.py --rows 1000 --json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

FACTORS = 5
TOOLS = ("sheetnet", "ironcalc", "formualizer", "libreoffice")
EDIT = (2, 16)              # Q3: the first rating
RMSE = (2, 32)              # AG3
NEW_RATING = 0.5


def make_data(rows: int, seed: int = 0):
    """MovieLens-shaped synthetic ratings: 943 users x 1,682 movies at 100k."""
    rng = np.random.default_rng(seed)
    users = max(15, min(943, rows // 100))
    movies = max(15, min(1682, rows // 60))
    user_ids = np.sort(rng.choice(np.arange(1, users * 3), users, replace=False))
    movie_ids = np.sort(rng.choice(np.arange(1, movies * 3), movies, replace=False))
    u = rng.normal(0, 0.5, (users, FACTORS))
    m = rng.normal(0, 0.5, (movies, FACTORS))
    ru = rng.integers(0, users, rows)
    rm = rng.integers(0, movies, rows)
    ratings = rng.integers(1, 11, rows) / 2.0
    return user_ids, movie_ids, u, m, user_ids[ru], movie_ids[rm], ratings


def build_book(data):
    from sheetnet.book import Book
    user_ids, movie_ids, u, m, r_user, r_movie, ratings = data
    nu, nm, n = len(user_ids), len(movie_ids), len(ratings)
    book = Book()
    s = book.add_sheet("emb")
    # factor tables: users in A:F, movies in H:M, starting at row 3
    s.set_values("A2", [["userId", "u1", "u2", "u3", "u4", "u5"]])
    s.set_values("H2", [["movieId", "m1", "m2", "m3", "m4", "m5"]])
    s.set_values("A3", np.column_stack([user_ids, u]))
    s.set_values("H3", np.column_stack([movie_ids, m]))
    # ratings in O:Q; row 1 above the look-up columns holds the column offsets
    s.set_values("O2", [["userId", "movieId", "rating", "uidx", "midx"]])
    s.set_values("O3", np.column_stack([r_user, r_movie, ratings]))
    s.set_values("T1", [list(range(1, FACTORS + 1)) * 2])
    last = 2 + n
    s.fill(f"R3:R{last}", f"=MATCH(O3,$A$3:$A${2 + nu},0)")
    s.fill(f"S3:S{last}", f"=MATCH(P3,$H$3:$H${2 + nm},0)")
    s.fill(f"T3:X{last}", "=OFFSET($A$2,$R3,T$1)")
    s.fill(f"Y3:AC{last}", "=OFFSET($H$2,$S3,Y$1)")
    s.fill(f"AD3:AD{last}", "=SUMPRODUCT(T3:X3,Y3:AC3)")
    s.fill(f"AE3:AE{last}", "=(AD3-Q3)^2")
    s.set_value("AG2", "RMSE")
    s.set_formula("AG3", f"=SQRT(AVERAGE(AE3:AE{last}))")
    return book, 14 * n + 1


def numpy_rmse(data, first_rating=None) -> float:
    user_ids, movie_ids, u, m, r_user, r_movie, ratings = data
    if first_rating is not None:
        ratings = ratings.copy()
        ratings[0] = first_rating
    pred = np.einsum("ij,ij->i", u[np.searchsorted(user_ids, r_user)], m[np.searchsorted(movie_ids, r_movie)])
    return float(np.sqrt(np.mean((pred - ratings) ** 2)))


# --- one measurement, in its own process ------------------------------------------

def _peak_mb() -> float:
    """This process's peak resident memory.  VmHWM, not ru_maxrss: Linux keeps
    ru_maxrss across exec, so a child would report its parent's peak."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_sheetnet(path: str) -> dict:
    from sheetnet.engine import Engine
    from sheetnet.xlsx.reader import read_workbook
    t0 = time.perf_counter()
    engine = Engine(read_workbook(path))
    t1 = time.perf_counter()
    engine.recalc()
    t2 = time.perf_counter()
    before = engine.value("emb", RMSE)
    t3 = time.perf_counter()
    engine.set_value("emb", EDIT, NEW_RATING)
    engine.recalc()
    t4 = time.perf_counter()
    return {"load_s": t1 - t0, "calc_s": t2 - t1, "edit_recalc_s": t4 - t3, "rmse": before,
            "rmse_after_edit": engine.value("emb", RMSE), "peak_mb": _peak_mb()}


def measure_ironcalc(path: str) -> dict:
    import ironcalc
    t0 = time.perf_counter()
    model = ironcalc.load_from_xlsx(path)
    t1 = time.perf_counter()
    model.evaluate()
    t2 = time.perf_counter()
    before = model.get_cell_value(0, RMSE[0] + 1, RMSE[1] + 1)
    t3 = time.perf_counter()
    model.update_cell_with_number(0, EDIT[0] + 1, EDIT[1] + 1, NEW_RATING)
    model.evaluate()
    t4 = time.perf_counter()
    return {"load_s": t1 - t0, "calc_s": t2 - t1, "edit_recalc_s": t4 - t3, "rmse": before,
            "rmse_after_edit": model.get_cell_value(0, RMSE[0] + 1, RMSE[1] + 1), "peak_mb": _peak_mb()}


def measure_formualizer(path: str) -> dict:
    import formualizer
    t0 = time.perf_counter()
    wb = formualizer.load_workbook(path)
    t1 = time.perf_counter()
    wb.evaluate_all()
    t2 = time.perf_counter()
    before = wb.evaluate_cell("emb", RMSE[0] + 1, RMSE[1] + 1)
    t3 = time.perf_counter()
    wb.set_value("emb", EDIT[0] + 1, EDIT[1] + 1, NEW_RATING)
    wb.evaluate_all()
    t4 = time.perf_counter()
    return {"load_s": t1 - t0, "calc_s": t2 - t1, "edit_recalc_s": t4 - t3, "rmse": before,
            "rmse_after_edit": wb.evaluate_cell("emb", RMSE[0] + 1, RMSE[1] + 1), "peak_mb": _peak_mb()}


def measure_libreoffice(path: str) -> dict:
    from sheetnet.libreoffice import recalculate
    r = recalculate(path, timeout=3600, bench={
        "edit": [0, EDIT[0], EDIT[1], NEW_RATING], "probe": [[0, RMSE[0], RMSE[1]]], "read": False,
        "measure_memory": True})
    return {"load_s": r.load_s, "calc_s": r.recalc_s, "edit_recalc_s": r.edit_recalc_s,
            "rmse": r.probed_before[0] if r.probed_before else None,
            "rmse_after_edit": r.probed[0] if r.probed else None, "peak_mb": r.office_peak_mb}


MEASURE = {"sheetnet": measure_sheetnet, "ironcalc": measure_ironcalc, "formualizer": measure_formualizer,
           "libreoffice": measure_libreoffice}


def unavailable(tool: str) -> str | None:
    """Why a tool cannot be measured here, or None."""
    if tool in ("ironcalc", "formualizer"):
        try:
            __import__(tool)
        except ImportError:
            return f"{tool} is not installed (pip install -e \".[bench]\")"
    if tool == "libreoffice":
        from sheetnet.libreoffice import available
        ok, why = available()
        return None if ok else why
    return None


def run_tool(tool: str, path: str, timeout: float) -> dict:
    """One measurement in a fresh Python process (so peak memory is its own)."""
    cmd = [sys.executable, os.path.abspath(__file__), "--measure", tool, path]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:g} s"}
    if out.returncode != 0:
        tail = (out.stderr or out.stdout).strip().splitlines()[-1:] or ["no output"]
        return {"error": f"exit {out.returncode}: {tail[0]}"}
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- the benchmark ----------------------------------------------------------------------

def write_file(rows: int, formulas: str, folder: str, data) -> tuple[str, int]:
    """The benchmark workbook, written by a child process (so the tools'
    runs do not share the memory this process would keep)."""
    path = os.path.join(folder, f"bench_emb_{rows}_{formulas}.xlsx")
    cmd = [sys.executable, os.path.abspath(__file__), "--write", str(rows), formulas, path]
    subprocess.run(cmd, check=True)
    return path, 14 * rows + 1


def _write(rows: int, formulas: str, path: str) -> None:
    from sheetnet.xlsx.writer import write_workbook
    book, _ = build_book(make_data(rows))
    write_workbook(book, path, shared_formulas=formulas == "shared")


def bench(rows: int, formulas: str, tools, repeat: int, timeout: float, gave_up: dict) -> dict:
    data = make_data(rows)
    folder = tempfile.mkdtemp(prefix="sheetnet-bench-")
    t = time.perf_counter()
    path, cells = write_file(rows, formulas, folder, data)
    out = {"rows": rows, "formulas": formulas, "formula_cells": cells, "file_mb": os.path.getsize(path) / 2**20,
           "write_s": time.perf_counter() - t, "repeat": repeat,
           "rmse_numpy": numpy_rmse(data), "rmse_numpy_after_edit": numpy_rmse(data, NEW_RATING), "tools": {}}
    try:
        for tool in tools:
            why = unavailable(tool) or gave_up.get(tool)
            if why:
                out["tools"][tool] = {"skipped": why}
                continue
            runs = []
            for _ in range(repeat):
                runs.append(run_tool(tool, path, timeout))
                if "error" in runs[-1]:        # a failure or time-out is not tried again
                    break
            good = [r for r in runs if "error" not in r]
            if not good:
                out["tools"][tool] = {"error": runs[0]["error"]}
                gave_up[tool] = f"not run: {runs[0]['error']} at {rows:,} rows ({formulas})"
                continue
            best = {k: min(r[k] for r in good if r.get(k) is not None)
                    for k in ("load_s", "calc_s", "edit_recalc_s") if any(r.get(k) is not None for r in good)}
            best["end_to_end_s"] = min(r["load_s"] + r["calc_s"] for r in good)
            # the median beside the best: on a shared machine the spread says how noisy a figure is
            best["median_end_to_end_s"] = statistics.median(r["load_s"] + r["calc_s"] for r in good)
            edits = [r["edit_recalc_s"] for r in good if r.get("edit_recalc_s") is not None]
            best["median_edit_recalc_s"] = statistics.median(edits) if edits else None
            peaks = [r["peak_mb"] for r in good if r.get("peak_mb") is not None]
            best["peak_mb"] = max(peaks) if peaks else None
            best["rmse"] = good[0].get("rmse")
            best["rmse_after_edit"] = good[0].get("rmse_after_edit")
            best["runs"] = len(good)
            out["tools"][tool] = best
    finally:
        os.unlink(path)
        os.rmdir(folder)
    sn = out["tools"].get("sheetnet", {})
    for tool, r in out["tools"].items():
        if tool == "sheetnet" or "end_to_end_s" not in r or "end_to_end_s" not in sn:
            continue
        r["ratio_end_to_end_over_sheetnet"] = r["end_to_end_s"] / sn["end_to_end_s"]
        if r.get("edit_recalc_s") and sn.get("edit_recalc_s"):
            r["ratio_edit_recalc_over_sheetnet"] = r["edit_recalc_s"] / sn["edit_recalc_s"]
    return out


def print_table(results) -> None:
    for r in results:
        print(f"\n{r['rows']:,} ratings, {r['formulas']} formulas, {r['formula_cells']:,} formula cells, "
              f"{r['file_mb']:.1f} MB (best and median of {r['repeat']})")
        print(f"  {'tool':<12} {'load s':>8} {'calc s':>8} {'end-to-end':>11} {'median':>8} {'x sheetnet':>10} "
              f"{'edit+recalc ms':>14} {'median':>8} {'x sheetnet':>10} {'peak MB':>8}  RMSE / after edit")
        for tool, t in r["tools"].items():
            if "skipped" in t or "error" in t:
                print(f"  {tool:<12} {t.get('skipped') or t.get('error')}")
                continue

            def f(key, fmt="{:8.3f}", scale=1.0):
                return fmt.format(t[key] * scale) if t.get(key) is not None else f"{'-':>8}"
            print(f"  {tool:<12} {f('load_s')} {f('calc_s')} {f('end_to_end_s', '{:11.3f}')} "
                  f"{f('median_end_to_end_s')} {f('ratio_end_to_end_over_sheetnet', '{:9.1f}x')} "
                  f"{f('edit_recalc_s', '{:14.4f}', 1e3)} {f('median_edit_recalc_s', '{:8.4f}', 1e3)} "
                  f"{f('ratio_edit_recalc_over_sheetnet', '{:9.0f}x')} {f('peak_mb', '{:8.0f}')}  "
                  f"{t.get('rmse')} / {t.get('rmse_after_edit')}")
        print(f"  numpy RMSE {r['rmse_numpy']!r} / {r['rmse_numpy_after_edit']!r}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, nargs="+", default=[1000, 10000, 100000])
    ap.add_argument("--formulas", nargs="+", choices=("shared", "per-cell"), default=["shared", "per-cell"])
    ap.add_argument("--tools", nargs="+", choices=TOOLS, default=list(TOOLS))
    ap.add_argument("--repeat", type=int, default=3, help="fresh-process runs per tool; the best is reported")
    ap.add_argument("--timeout", type=float, default=600,
                    help="seconds allowed for one run of one tool (a tool that fails or runs out of time is "
                         "not run again, nor on bigger sheets)")
    ap.add_argument("--json", action="store_true", help="print one JSON list")
    ap.add_argument("--measure", nargs=2, metavar=("TOOL", "PATH"), help=argparse.SUPPRESS)
    ap.add_argument("--write", nargs=3, metavar=("ROWS", "FORMULAS", "PATH"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.write:
        _write(int(args.write[0]), args.write[1], args.write[2])
        return 0
    if args.measure:
        tool, path = args.measure
        print(json.dumps(MEASURE[tool](path)))
        return 0
    results = []
    gave_up: dict = {}        # a tool that failed or timed out is not run on bigger sheets
    for rows in args.rows:
        for formulas in args.formulas:
            print(f"benchmark: {rows:,} rows, {formulas} formulas ...", file=sys.stderr)
            results.append(bench(rows, formulas, args.tools, args.repeat, args.timeout, gave_up))
    if args.json:
        print(json.dumps(results, indent=1))
    else:
        print_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
