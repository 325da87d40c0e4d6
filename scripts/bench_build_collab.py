#!/usr/bin/env python3
"""Benchmark `sheetnet build collab --ratings` on a MovieLens-100k-shaped file.

Generates, in a temporary folder, a u.data-format file (tab-separated
user, item, rating, timestamp; no header) with 100,000 ratings by 943 users
of 1,682 movies -- every user rates at least 20 movies, popularity is skewed
as in MovieLens -- then reports:

  sheetnet_build_s     `sheetnet build collab --ratings FILE --users 943 --movies 1682`
                       end to end in a fresh process (read, choose, build, calculate, write)
  sheetnet_bytes       the size of the workbook it wrote
  openpyxl_write_s     the same cells (the same formula text and constants, every sheet
                       sheetnet wrote) written by openpyxl in write-only mode, without
                       cached values, styles or notes -- the cheapest an .xlsx writer can be;
                       timed from Workbook() to save(), the formula text of every cell
                       already spelled out (openpyxl_prep_s, not counted)
  openpyxl_bytes       the size of that file
  ratio                sheetnet_build_s / openpyxl_write_s (goal: <= 1)

    python scripts/bench_build_collab.py                 # table
    python scripts/bench_build_collab.py --json          # one JSON object
    python scripts/bench_build_collab.py --profile       # also where sheetnet's time goes
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np


def make_movielens(path: str, ratings: int = 100_000, users: int = 943, movies: int = 1682, seed: int = 0,
                   min_per_user: int = 20) -> None:
    """A u.data-shaped file: distinct (user, movie) pairs, skewed popularity,
    ratings 1..5, random order."""
    rng = np.random.default_rng(seed)
    min_per_user = min(min_per_user, max(1, (ratings - movies) // users))
    user_w = rng.pareto(1.5, users) + 1.0
    movie_w = 1.0 / np.arange(1, movies + 1) ** 0.9
    movie_w = movie_w[rng.permutation(movies)]
    pairs = set()
    out_u, out_m = [], []

    def add(u: np.ndarray, m: np.ndarray) -> None:
        for a, b in zip(u.tolist(), m.tolist()):
            if len(out_u) >= ratings:
                return
            if (a, b) not in pairs:
                pairs.add((a, b))
                out_u.append(a)
                out_m.append(b)

    # every user rates at least min_per_user movies, every movie is rated at least once
    add(np.repeat(np.arange(users), min_per_user),
        rng.choice(movies, users * min_per_user, p=movie_w / movie_w.sum()))
    add(rng.integers(0, users, movies), np.arange(movies))
    while len(out_u) < ratings:
        n = ratings - len(out_u)
        add(rng.choice(users, 2 * n, p=user_w / user_w.sum()), rng.choice(movies, 2 * n, p=movie_w / movie_w.sum()))
    u, m = np.array(out_u) + 1, np.array(out_m) + 1
    order = rng.permutation(len(u))
    r = rng.integers(1, 6, len(u))
    t = 874724710 + rng.integers(0, 20_000_000, len(u))
    with open(path, "w") as f:
        f.write("".join(f"{a}\t{b}\t{c}\t{d}\n" for a, b, c, d in
                        zip(u[order].tolist(), m[order].tolist(), r[order].tolist(), t[order].tolist())))


def cell_rows(book) -> dict[str, list[list]]:
    """Every sheet's cells as rows of Python values: a number, a text, or the
    formula text ("=..."; array formulas as openpyxl's ArrayFormula)."""
    from openpyxl.worksheet.formula import ArrayFormula
    out = {}
    for sheet in book.sheets:
        v = sheet.values
        R, C = v.num.shape
        grid = np.empty((R, C), dtype=object)
        flat_kind = v.kind.ravel()
        num = np.flatnonzero(flat_kind == 1)
        grid.ravel()[num] = v.num.ravel()[num].tolist()
        txt = np.flatnonzero(flat_kind == 2)
        grid.ravel()[txt] = v.obj.ravel()[txt]
        for g in sheet.groups:
            if g.array is not None:
                grid[g.anchor] = ArrayFormula(g.array.a1, "=" + g.text)
                continue
            for r, c in zip(g.rows.tolist(), g.cols.tolist()):
                grid[r, c] = sheet.formula_at((r, c))
        out[sheet.name] = grid.tolist()
    return out


def openpyxl_write(rows: dict[str, list[list]], path: str) -> float:
    """Write prepared rows with openpyxl's write-only mode (no cached values,
    no styles, no notes); returns the seconds openpyxl takes, creation to save."""
    from openpyxl import Workbook
    t = time.perf_counter()
    wb = Workbook(write_only=True)
    for name, sheet_rows in rows.items():
        ws = wb.create_sheet(name)
        for row in sheet_rows:
            ws.append(row)
    wb.save(path)
    return time.perf_counter() - t


def run(ratings: int, profile: bool, users: int = 943, movies: int = 1682) -> dict:
    folder = tempfile.mkdtemp(prefix="sheetnet-bench-collab-")
    try:
        return _run(folder, ratings, profile, users, movies)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run(folder: str, ratings: int, profile: bool, users: int, movies: int) -> dict:
    data = os.path.join(folder, "u.data")
    make_movielens(data, ratings, users, movies)
    sizes = ["--users", str(users), "--movies", str(movies)]
    out = os.path.join(folder, "collab_big.xlsx")
    cmd = [sys.executable, "-m", "sheetnet.cli", "build", "collab", "--ratings", data, *sizes, "--out", out]
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    build_s = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"build failed ({proc.returncode}): {proc.stderr.strip()}")

    # openpyxl: the same cells, formula text as text, no cached values
    from sheetnet.lessons.collab import LESSON
    made = LESSON.build(LESSON.default_args(["--ratings", data, *sizes]))
    t = time.perf_counter()
    rows = cell_rows(made.book)
    prep_s = time.perf_counter() - t
    opx = os.path.join(folder, "openpyxl.xlsx")
    opx_s = openpyxl_write(rows, opx)

    result = {
        "ratings": ratings,
        "users": users,
        "movies": movies,
        "sheets": [s.name for s in made.book.sheets],
        "formula_cells": sum(s.formula_count() for s in made.book.sheets),
        "emb_rows": made.roles["movielens_emb", "predictions"].area.height,
        "sheetnet_build_s": round(build_s, 3),
        "sheetnet_bytes": os.path.getsize(out),
        "sheetnet_stdout": proc.stdout.strip(),
        "openpyxl_write_s": round(opx_s, 3),
        "openpyxl_prep_s": round(prep_s, 3),
        "openpyxl_bytes": os.path.getsize(opx),
        "ratio": round(build_s / opx_s, 3),
        "command": " ".join(cmd[1:]).replace(folder, "$TMP"),
    }
    if profile:
        result["profile"] = profile_build(data, folder, sizes)
    return result


def profile_build(data: str, folder: str, sizes: list[str]) -> dict:
    """Seconds spent in each stage of sheetnet's build, in this process."""
    from sheetnet.engine import Engine
    from sheetnet.lessons.collab import LESSON
    from sheetnet.xlsx import writer
    stages = {}
    t = time.perf_counter()
    made = LESSON.build(LESSON.default_args(["--ratings", data, *sizes]))
    stages["read_and_build_s"] = time.perf_counter() - t
    t = time.perf_counter()
    Engine(made.book).recalc()
    stages["plan_and_recalc_s"] = time.perf_counter() - t
    t = time.perf_counter()
    parts = writer._Parts(made.book).build()
    stages["xml_parts_s"] = time.perf_counter() - t
    t = time.perf_counter()
    writer.write_workbook(made.book, os.path.join(folder, "again.xlsx"), recalc=False)
    stages["xml_parts_and_zip_s"] = time.perf_counter() - t
    stages["xml_bytes"] = sum(len(d) for _, d in parts)
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in stages.items()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ratings", type=int, default=100_000, help="ratings in the generated file (100,000)")
    ap.add_argument("--users", type=int, default=943, help="users in the file, all kept (943)")
    ap.add_argument("--movies", type=int, default=1682, help="movies in the file, all kept (1,682)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--profile", action="store_true")
    a = ap.parse_args(argv)
    r = run(a.ratings, a.profile, a.users, a.movies)
    if a.json:
        print(json.dumps(r))
        return 0
    print(f"{r['command']}")
    print(f"  {r['ratings']:,} ratings, {r['users']} users x {r['movies']} movies; sheets: {', '.join(r['sheets'])}")
    print(f"  {r['sheetnet_stdout']}")
    print(f"  sheetnet build, end to end:        {r['sheetnet_build_s']:8.2f} s  {r['sheetnet_bytes'] / 1e6:7.1f} MB")
    print(f"  openpyxl write-only, no values:    {r['openpyxl_write_s']:8.2f} s  {r['openpyxl_bytes'] / 1e6:7.1f} MB"
          f"  (+ {r['openpyxl_prep_s']:.2f} s to spell out every cell's formula text, not counted)")
    print(f"  ratio sheetnet / openpyxl:         {r['ratio']:8.2f}")
    for k, v in r.get("profile", {}).items():
        print(f"  profile {k:24s} {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
