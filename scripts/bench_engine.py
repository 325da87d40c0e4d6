#!/usr/bin/env python3
"""Benchmark sheetnet's engine on an embedding-style collaborative-filtering
sheet (the lesson's movielens_emb, scaled up), against LibreOffice Calc
headless and a plain numpy computation of the same numbers (the floor).

Per rating row: MATCH for the user and the movie index, 2 x 5 OFFSET
look-ups into the factor tables, a SUMPRODUCT prediction and a squared
error; one RMSE cell.  That is 14 formula cells a row: 1.4 million at
100,000 ratings.

    python scripts/bench_engine.py --rows 100000          # table
    python scripts/bench_engine.py --rows 100000 --json   # one JSON object

Reported, all from this one run:
  sheetnet_recalc_s          recalculating the loaded, planned workbook (best of 3)
  sheetnet_check_s           `sheetnet check` end to end: read, plan, evaluate, compare
  libreoffice_recalc_s       LibreOffice's calculateAll() on the loaded file
  libreoffice_load_recalc_s  LibreOffice's load + calculateAll()
  numpy_floor_s              the same numbers in plain numpy (best of 5)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np

from sheetnet.book import Book
from sheetnet.check import check_file
from sheetnet.engine import Engine
from sheetnet.refs import col_letters
from sheetnet.xlsx.reader import read_workbook
from sheetnet.xlsx.writer import write_workbook

FACTORS = 5


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


def build_book(data) -> tuple[Book, int]:
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
    assert col_letters(30) == "AE"
    return book, 14 * n + 1


def numpy_floor(data) -> float:
    user_ids, movie_ids, u, m, r_user, r_movie, ratings = data
    ui = np.searchsorted(user_ids, r_user)
    mi = np.searchsorted(movie_ids, r_movie)
    pred = np.einsum("ij,ij->i", u[ui], m[mi])
    return float(np.sqrt(np.mean((pred - ratings) ** 2)))


def best_of(k: int, fn):
    times, result = [], None
    for _ in range(k):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return min(times), result


def run(rows: int, with_libreoffice: bool) -> dict:
    data = make_data(rows)
    book, formula_cells = build_book(data)
    folder = tempfile.mkdtemp(prefix="sheetnet-bench-")
    path = os.path.join(folder, f"bench_emb_{rows}.xlsx")
    t = time.perf_counter()
    write_workbook(book, path)
    build_s = time.perf_counter() - t

    engine = Engine(read_workbook(path))
    recalc_s, _ = best_of(3, engine.recalc)
    rmse_sheetnet = engine.value("emb", "AG3")
    floor_s, rmse_numpy = best_of(5, lambda: numpy_floor(data))
    t = time.perf_counter()
    report = check_file(path)
    check_s = time.perf_counter() - t

    out = {
        "rows": rows,
        "formula_cells": formula_cells,
        "file_mb": os.path.getsize(path) / 2**20,
        "build_and_write_s": build_s,
        "sheetnet_recalc_s": recalc_s,
        "sheetnet_check_s": check_s,
        "sheetnet_check_ok": report.ok,
        "sheetnet_check_compared": report.total("compared"),
        "numpy_floor_s": floor_s,
        "rmse_sheetnet": rmse_sheetnet,
        "rmse_numpy": rmse_numpy,
        "libreoffice_recalc_s": None,
        "libreoffice_load_recalc_s": None,
    }
    if with_libreoffice:
        from sheetnet.libreoffice import available, recalculate
        ok, why = available()
        if ok:
            lo = recalculate(path)
            out["libreoffice_load_s"] = lo.load_s
            out["libreoffice_recalc_s"] = lo.recalc_s
            out["libreoffice_load_recalc_s"] = lo.load_s + lo.recalc_s
            out["rmse_libreoffice"] = lo.value("emb", 2, 32)
        else:
            out["libreoffice_unavailable"] = why
    if out["libreoffice_recalc_s"]:
        out["ratio_libreoffice_recalc_over_sheetnet_recalc"] = out["libreoffice_recalc_s"] / recalc_s
        out["ratio_sheetnet_check_over_libreoffice_load_recalc"] = check_s / out["libreoffice_load_recalc_s"]
    out["ratio_sheetnet_recalc_over_numpy_floor"] = recalc_s / floor_s
    os.unlink(path)
    os.rmdir(folder)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, nargs="+", default=[1000, 10000, 100000],
                    help="rating rows per benchmark sheet (default: 1000 10000 100000)")
    ap.add_argument("--json", action="store_true", help="print one JSON object (a list when several --rows)")
    ap.add_argument("--no-libreoffice", action="store_true", help="skip the LibreOffice measurement")
    args = ap.parse_args(argv)
    results = []
    for rows in args.rows:
        print(f"benchmark: {rows:,} rows ...", file=sys.stderr)
        results.append(run(rows, not args.no_libreoffice))
    if args.json:
        print(json.dumps(results[0] if len(results) == 1 else results, indent=1))
        return 0
    for r in results:
        print(f"\n{r['rows']:,} ratings, {r['formula_cells']:,} formula cells, {r['file_mb']:.1f} MB")
        print(f"  sheetnet recalc (planned)      {r['sheetnet_recalc_s'] * 1e3:10.1f} ms")
        print(f"  numpy floor                    {r['numpy_floor_s'] * 1e3:10.1f} ms"
              f"   sheetnet/numpy = {r['ratio_sheetnet_recalc_over_numpy_floor']:.1f}x")
        if r["libreoffice_recalc_s"]:
            print(f"  LibreOffice calculateAll()     {r['libreoffice_recalc_s'] * 1e3:10.1f} ms"
                  f"   LibreOffice/sheetnet = {r['ratio_libreoffice_recalc_over_sheetnet_recalc']:.1f}x")
            print(f"  LibreOffice load + recalc      {r['libreoffice_load_recalc_s']:10.2f} s")
        print(f"  sheetnet check end to end      {r['sheetnet_check_s']:10.2f} s"
              + (f"   check/LibreOffice = {r['ratio_sheetnet_check_over_libreoffice_load_recalc']:.2f}x"
                 if r["libreoffice_recalc_s"] else ""))
        print(f"  RMSE sheetnet {r['rmse_sheetnet']!r}  numpy {r['rmse_numpy']!r}"
              + (f"  LibreOffice {r.get('rmse_libreoffice')!r}" if r.get("rmse_libreoffice") is not None else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
