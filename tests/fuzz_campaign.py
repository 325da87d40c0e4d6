"""One fuzz campaign: a seeded stream of cases (fuzz_cases.py) run one by
one in forked processes (fuzz_runner.py), each outcome checked against the
rules and counted by class.  Used by tests/test_fuzz_hostile.py (bounded,
in CI) and scripts/fuzz_report.py (any size, prints the figures).

The rules, for every case: no traceback, no internal error, no hang, no
crash, peak memory under 2 GB, every input byte for byte unchanged, no
temporary file left, no output after a failure, exactly one error line for
a failure -- and no exit 0 for a case that is broken by construction (an
"OK" about something not checked).
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter

from fuzz_cases import generate
from fuzz_runner import Runner
from hostile_inputs import file_digest

RSS_LIMIT_KB = 2_000_000_000 // 1024            # 2 GB
CLASSES = ("traceback", "internal error", "hang", "crash", "silent success", "memory over 2 GB", "input changed",
           "temporary left", "output after a failure", "not one error line", "unexpected exit")


def temporaries(folder: str) -> list[str]:
    found = []
    for root, dirs, files in os.walk(folder):
        found += [os.path.join(root, n) for n in files + dirs if n.startswith(".sheetnet-") or n.endswith(".tmp")]
    return found


def classify(case, result, before: dict, folder: str) -> list[str]:
    """Every rule the outcome breaks (an empty list: a clean outcome), named by its class."""
    problems = []
    err, code = result["stderr"], result["code"]
    if result["status"] == "signal":
        problems.append("hang" if code == signal.SIGALRM else "crash")
    else:
        if "Traceback (most recent call last)" in err or code == 99:
            problems.append("traceback")
        if "sheetnet: internal error" in err:
            problems.append("internal error")
        if case.must_fail and code == 0:
            problems.append("silent success")
        elif code not in case.codes and not problems:
            problems.append("unexpected exit")
        if code == 2:
            lines = err.splitlines()
            if not (lines and lines[-1].startswith("sheetnet: error: ")
                    and all(line.startswith("sheetnet: note: ") for line in lines[:-1])):
                problems.append("not one error line")
    if result["maxrss_kb"] > RSS_LIMIT_KB:
        problems.append("memory over 2 GB")
    if any(file_digest(path) != digest for path, digest in before.items()):
        problems.append("input changed")
    if temporaries(folder):
        problems.append("temporary left")
    if code != 0 and any(os.path.exists(p) for p in case.outputs):
        problems.append("output after a failure")
    return problems


def campaign(seed: int, count: int, root: str, time_budget_s: float = float("inf")) -> dict:
    """Run up to `count` cases from `seed` under `root` (stopping once
    `time_budget_s` is spent); the report: counts by class, outcomes, the
    largest peak RSS of any case, inputs compared, failures, slowest cases."""
    outcomes, by_kind, failures, slowest = Counter(), Counter(), [], []
    peak_kb, inputs_compared, ran = 0, 0, 0
    started = time.perf_counter()
    with Runner() as runner:
        for case in generate(seed, count, root):
            if time.perf_counter() - started > time_budget_s:
                break
            folder = case.folder
            before = {p: file_digest(p) for p in case.inputs if os.path.isfile(p)}
            result = runner.run(case.argv, cwd=folder, log_dir=os.path.join(root, "logs", f"{ran:05d}"),
                                timeout=case.timeout)
            ran += 1
            inputs_compared += len(before)
            peak_kb = max(peak_kb, result["maxrss_kb"])
            problems = classify(case, result, before, folder)
            by_kind[case.kind.split(" ", 1)[0].split("/")[0]] += 1
            outcomes["must fail" if case.must_fail else "may pass"] += 1
            outcomes[f"exit {result['code']}" if result["status"] == "exit" else "signal"] += 1
            for p in problems:
                outcomes[p] += 1
            slowest.append((round(result["seconds"], 2), case.kind))
            if problems:
                failures.append(f"{case.kind}: {', '.join(problems)}\n    argv {case.argv}\n    "
                                f"stderr {result['stderr'][-600:]!r}")
    return {"seed": seed, "cases": ran, "seconds": round(time.perf_counter() - started, 1),
            "peak_rss_mb": round(peak_kb / 1024, 1), "inputs_compared": inputs_compared,
            "by_kind": dict(by_kind),
            "outcomes": {k: v for k, v in outcomes.items() if k not in CLASSES},
            "classes": {c: outcomes[c] for c in CLASSES},
            "failures": failures, "slowest": sorted(slowest, reverse=True)[:10]}
