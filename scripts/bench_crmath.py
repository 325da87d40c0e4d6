#!/usr/bin/env python3
"""The price of correctly rounded EXP, LN, ^ and TANH (sheetnet/formula/crmath.py)
against numpy's own SIMD kernels, measured in one run (best of 5):

    python scripts/bench_crmath.py [--sizes 100 10000 1000000] [--json]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from sheetnet.formula import crmath


def best(fn, *args, repeat=5) -> float:
    t_best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn(*args)
        t_best = min(t_best, time.perf_counter() - t)
    return t_best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 10_000, 1_000_000])
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    rows = []
    for n in args.sizes:
        x = rng.normal(0, 3, n)
        p = np.abs(x) + 0.1
        for name, ours, theirs, inputs in [("EXP", crmath.exp, np.exp, (x,)), ("LN", crmath.log, np.log, (p,)),
                                           ("^", crmath.power, np.power, (p, x)), ("TANH", crmath.tanh, np.tanh, (x,))]:
            a, b = best(ours, *inputs), best(theirs, *inputs)
            rows.append({"function": name, "n": n, "crmath_s": a, "numpy_s": b, "ratio": a / b,
                         "ns_per_value": a / n * 1e9})
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    print(f"{'function':>8} {'values':>10} {'crmath':>11} {'numpy':>11} {'ratio':>7} {'ns/value':>9}")
    for r in rows:
        print(f"{r['function']:>8} {r['n']:>10,} {r['crmath_s'] * 1e3:>9.3f}ms {r['numpy_s'] * 1e3:>9.3f}ms "
              f"{r['ratio']:>6.0f}x {r['ns_per_value']:>9.0f}")


if __name__ == "__main__":
    main()
