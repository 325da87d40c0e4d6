#!/usr/bin/env python3
"""The fuzz suite's figures, by one command: run a seeded campaign of
damaged workbooks, hostile option sets, bad output places and broken text
files through every command (tests/fuzz_campaign.py, the same cases and
rules as tests/test_fuzz_hostile.py) and print the counts by class, the
largest peak RSS of any case, how many input files were compared before and
after, and the time taken.  Exit 1 when any case broke a rule.

    python scripts/fuzz_report.py                       # the CI campaign: seed 13, 400 cases
    python scripts/fuzz_report.py --seed 7 --cases 3000 --json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(ROOT, "tests"), ROOT]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--cases", type=int, default=400)
    ap.add_argument("--seconds", type=float, default=float("inf"), help="stop starting cases after this long")
    ap.add_argument("--json", action="store_true", help="print the whole report as JSON")
    args = ap.parse_args(argv)
    from fuzz_campaign import campaign
    with tempfile.TemporaryDirectory(prefix="sheetnet-fuzz-") as root:
        report = campaign(args.seed, args.cases, root, args.seconds)
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        print(f"seed {report['seed']}: {report['cases']} cases in {report['seconds']} s "
              f"({report['seconds'] / max(report['cases'], 1):.2f} s a case)")
        print("cases by kind:   " + ", ".join(f"{k} {v}" for k, v in sorted(report["by_kind"].items())))
        print("outcomes:        " + ", ".join(f"{k} {v}" for k, v in sorted(report["outcomes"].items())))
        print("counts by class: " + ", ".join(f"{k} {v}" for k, v in report["classes"].items()))
        print(f"peak RSS of any case: {report['peak_rss_mb']:.1f} MB (limit 2,000 MB)")
        print(f"input files compared byte for byte before/after: {report['inputs_compared']}, "
              f"changed: {report['classes']['input changed']}")
        print("slowest cases:   " + "; ".join(f"{s} s {k}" for s, k in report["slowest"][:5]))
        for failure in report["failures"][:20]:
            print("FAILED " + failure)
    return 1 if report["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
