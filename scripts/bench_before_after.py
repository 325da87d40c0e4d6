#!/usr/bin/env python3
"""Is this tree slower than an older one?  The lesson workbooks' `sheetnet
check` and bench_engine.py's sheetnet measurement, with each tree's
sheetnet in turn, in fresh processes, rounds interleaved (so a busy spell
on a shared machine hits both sides alike); medians over the rounds and
the ratio this tree / the older one, measured in this one run.

    git -C /work/main archive 7d22088 | tar -x -C /tmp/before      # the tree to compare with
    python scripts/bench_before_after.py --before /tmp/before --rounds 5

Measured, per round and per tree:
  check FILE     `sheetnet check FILE` as the program runs it (cli.main,
                 output discarded), best of --repeat in one process
                 (imports are not timed: they are the same work in both trees);
  engine ROWS    bench_engine.py --measure sheetnet on the embedding sheet of
                 ROWS ratings with shared formulas (written once, by this
                 tree, and read by both): load (read + plan), first
                 calculation, and a recalculation after editing one rating.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHARED = os.environ.get("SHEETNET_SHARED") or os.path.join(os.path.dirname(ROOT), "shared")
LESSONS = os.path.join(SHARED, "lesson-workbooks")
ENGINE_BENCH = os.path.join(HERE, "bench_engine.py")

_TIME_CHECKS = r"""
import contextlib, io, json, sys, time
import sheetnet.cli
repeat, files = int(sys.argv[1]), sys.argv[2:]
out = {}
for path in files:
    best, code = float("inf"), None
    for _ in range(repeat):
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            t = time.perf_counter()
            code = sheetnet.cli.main(["check", path])
            best = min(best, time.perf_counter() - t)
    out[path] = {"s": best, "code": code}
print(json.dumps({"package": sheetnet.__file__, "checks": out}))
"""


def _run(tree: str, argv: list[str]) -> dict:
    env = dict(os.environ, PYTHONPATH=tree, SHEETNET_NO_PROGRESS="1")
    done = subprocess.run([sys.executable, *argv], env=env, capture_output=True, text=True, cwd=tree)
    if done.returncode != 0:
        raise SystemExit(f"{tree}: {' '.join(argv[:3])} failed: {done.stderr.strip()[-500:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def lesson_files(folder: str) -> list[str]:
    return sorted(os.path.join(folder, n) for n in os.listdir(folder) if n.endswith((".xlsx", ".xlsm")))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before", required=True, help="source tree of the older sheetnet (holds sheetnet/)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=3, help="checks per file and process (best taken)")
    ap.add_argument("--rows", type=int, nargs="*", default=[1000, 10000, 100000])
    ap.add_argument("--lessons", default=LESSONS, help="folder of workbooks to check")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    trees = {"before": os.path.abspath(args.before), "now": ROOT}
    for name, tree in trees.items():
        if not os.path.isfile(os.path.join(tree, "sheetnet", "__init__.py")):
            ap.error(f"{tree} holds no sheetnet/ package")
    files = lesson_files(args.lessons) if os.path.isdir(args.lessons) else []
    if not files:
        print(f"no workbooks in {args.lessons}: lesson checks skipped (--lessons or SHEETNET_SHARED)", file=sys.stderr)
    samples: dict[tuple[str, str, str], list[float]] = {}

    def add(tree, what, metric, value):
        samples.setdefault((what, metric, tree), []).append(value)

    with tempfile.TemporaryDirectory(prefix="sheetnet-before-after-") as folder:
        books = {}
        for rows in args.rows:        # the same files for both trees, written by this one
            path = os.path.join(folder, f"bench_emb_{rows}_shared.xlsx")
            subprocess.run([sys.executable, ENGINE_BENCH, "--write", str(rows), "shared", path], check=True,
                           env=dict(os.environ, PYTHONPATH=ROOT))
            books[rows] = path
        for round_no in range(args.rounds):
            order = ("before", "now") if round_no % 2 == 0 else ("now", "before")
            for tree in order:
                if files:
                    got = _run(trees[tree], ["-c", _TIME_CHECKS, str(args.repeat), *files])
                    for path, r in got["checks"].items():
                        if r["code"] != 0:
                            raise SystemExit(f"{tree}: check {path} exited {r['code']}")
                        add(tree, f"check {os.path.basename(path)}", "s", r["s"])
                for rows, path in books.items():
                    r = _run(trees[tree], [ENGINE_BENCH, "--measure", "sheetnet", path])
                    for metric in ("load_s", "calc_s", "edit_recalc_s", "peak_mb"):
                        add(tree, f"engine {rows:,} rows", metric, r[metric])
                    add(tree, f"engine {rows:,} rows", "total_s", r["load_s"] + r["calc_s"])
            print(f"round {round_no + 1}/{args.rounds} done", file=sys.stderr)

    rows_out = []
    for (what, metric, tree) in samples:
        if tree != "now":
            continue
        now, before = (statistics.median(samples[(what, metric, t)]) for t in ("now", "before"))
        rows_out.append({"what": what, "metric": metric, "before": before, "now": now,
                         "ratio_now_over_before": now / before if before else None, "rounds": args.rounds})
    if args.json:
        print(json.dumps(rows_out, indent=1))
        return 0
    print(f"medians of {args.rounds} interleaved rounds; before = {trees['before']}, now = {trees['now']}")
    print(f"{'what':32} {'metric':14} {'before':>10} {'now':>10} {'now/before':>11}")
    for r in rows_out:
        ratio = "" if r["ratio_now_over_before"] is None else f"{r['ratio_now_over_before']:.2f}"
        print(f"{r['what']:32} {r['metric']:14} {r['before']:10.4f} {r['now']:10.4f} {ratio:>11}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
