"""Fuzzing every command with damaged workbooks, hostile option sets, bad
output places and broken text files (issue 13).

`test_fuzz_cases` runs a seeded stream of cases (tests/fuzz_cases.py), each
command line in its own forked process (tests/fuzz_runner.py), and sorts
every outcome into classes.  Passing means, for every case: no traceback,
no internal error, no hang, no crash, peak memory under 2 GB, every input
byte for byte unchanged, no temporary file left, no output after a failure,
exactly one error line for a failure -- and no exit 0 for a case that is
broken by construction (an "OK" about something not checked).

    SHEETNET_FUZZ_CASES=3000 SHEETNET_FUZZ_SEED=7 pytest tests/test_fuzz_hostile.py -s

runs more (the counts by class are printed; SHEETNET_FUZZ_REPORT=FILE writes
them as JSON).  By default ~400 cases, well inside two minutes in CI.

The hypothesis properties below check the pieces the fuzzer leans on, in
process: option types, the formula parser at and past Excel's limits, the
number grammar of the sheet reader.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import time
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fuzz_cases import generate
from fuzz_runner import Runner
from hostile_inputs import file_digest

CASES = int(os.environ.get("SHEETNET_FUZZ_CASES", "400"))
SEED = int(os.environ.get("SHEETNET_FUZZ_SEED", "13"))
TIME_BUDGET_S = float(os.environ.get("SHEETNET_FUZZ_SECONDS", "100"))
RSS_LIMIT_KB = 2_000_000_000 // 1024            # 2 GB


def _temporaries(folder: str) -> list[str]:
    found = []
    for root, dirs, files in os.walk(folder):
        found += [os.path.join(root, n) for n in files + dirs if n.startswith(".sheetnet-") or n.endswith(".tmp")]
    return found


def classify(case, result, before: dict, folder: str) -> list[str]:
    """Every rule the outcome breaks (an empty list: a clean outcome)."""
    problems = []
    err, code = result["stderr"], result["code"]
    if result["status"] == "signal":
        problems.append("hang" if code == signal.SIGALRM else f"killed by signal {code}")
    else:
        if "Traceback (most recent call last)" in err or code == 99:
            problems.append("traceback")
        if "sheetnet: internal error" in err:
            problems.append("internal error")
        if case.must_fail and code == 0:
            problems.append("silent success")
        elif code not in case.codes and not problems:
            problems.append(f"exit {code} (wanted {'/'.join(map(str, case.codes))})")
        if code == 2:
            lines = err.splitlines()
            if not (lines and lines[-1].startswith("sheetnet: error: ")
                    and all(line.startswith("sheetnet: note: ") for line in lines[:-1])):
                problems.append("not one error line")
    if result["maxrss_kb"] > RSS_LIMIT_KB:
        problems.append("memory over 2 GB")
    if any(file_digest(path) != digest for path, digest in before.items()):
        problems.append("input changed")
    if _temporaries(folder):
        problems.append("temporary left")
    if code != 0 and any(os.path.exists(p) for p in case.outputs):
        problems.append("output after a failure")
    return problems


def test_fuzz_cases(tmp_path):
    counts, by_kind, failures, slowest = Counter(), Counter(), [], []
    peak_kb = 0
    started = time.perf_counter()
    ran = 0
    with Runner() as runner:
        for case in generate(SEED, CASES, str(tmp_path)):
            if time.perf_counter() - started > TIME_BUDGET_S:
                break
            folder = case.folder
            before = {p: file_digest(p) for p in case.inputs if os.path.isfile(p)}
            result = runner.run(case.argv, cwd=folder, log_dir=str(tmp_path / "logs" / f"{ran:05d}"),
                                timeout=case.timeout)
            ran += 1
            peak_kb = max(peak_kb, result["maxrss_kb"])
            problems = classify(case, result, before, folder)
            by_kind[case.kind.split(" ", 1)[0].split("/")[0]] += 1
            counts["must fail" if case.must_fail else "may pass"] += 1
            counts[f"exit {result['code']}" if result["status"] == "exit" else "signal"] += 1
            for p in problems:
                counts[p] += 1
            slowest.append((round(result["seconds"], 2), case.kind))
            if problems:
                failures.append(f"{case.kind}: {', '.join(problems)}\n    argv {case.argv}\n    "
                                f"stderr {result['stderr'][-600:]!r}")
    report = {"seed": SEED, "cases": ran, "seconds": round(time.perf_counter() - started, 1),
              "peak_rss_mb": round(peak_kb / 1024, 1), "by_kind": dict(by_kind), "outcomes": dict(counts),
              "classes": {c: counts[c] for c in ("traceback", "internal error", "hang", "silent success",
                                                 "memory over 2 GB", "input changed", "temporary left",
                                                 "output after a failure", "not one error line")}}
    print("\nfuzz:", json.dumps(report, indent=1))
    if os.environ.get("SHEETNET_FUZZ_REPORT"):
        with open(os.environ["SHEETNET_FUZZ_REPORT"], "w") as fh:
            json.dump({**report, "failures": failures, "slowest": sorted(slowest, reverse=True)[:30]}, fh, indent=1)
    assert ran >= min(CASES, 100), f"only {ran} cases ran in {TIME_BUDGET_S} s"
    assert not failures, f"{len(failures)} of {ran} cases broke a rule:\n" + "\n".join(failures[:20])


# --------------------------------------------------------------------------- properties, in process

@given(st.text(max_size=30), st.integers(-5, 5), st.integers(-5, 5))
def test_int_options_parse_in_range_or_refuse(text, lo, hi):
    from sheetnet.validate import int_range
    parse = int_range(lo, hi)
    try:
        value = parse(text)
    except argparse.ArgumentTypeError as exc:
        assert "\n" not in str(exc)
    else:
        assert lo <= value <= hi


@given(st.one_of(st.text(max_size=30), st.floats().map(repr), st.sampled_from(["inf", "-inf", "nan", "1e309"])))
def test_float_options_are_finite_or_refused(text):
    from sheetnet.validate import float_range
    try:
        value = float_range(0, 10)(text)
    except argparse.ArgumentTypeError as exc:
        assert "\n" not in str(exc)
    else:
        assert 0 <= value <= 10


@given(st.lists(st.sampled_from(["SUM(", "(", "-", "+", "IF(1,", "A1+", "@"]), max_size=300))
@settings(max_examples=60, deadline=None)
def test_parser_refuses_or_parses_never_recursion_error(prefix):
    """Any nesting of calls, parentheses and signs: a tree, or Excel's limit named."""
    from sheetnet.errors import FormulaSyntaxError
    from sheetnet.formula.parser import parse
    closing = "".join(")" if p in ("SUM(", "(") else ",0)" if p == "IF(1," else "" for p in reversed(prefix))
    text = "".join(prefix) + "1" + closing
    try:
        parse(text)
    except FormulaSyntaxError as exc:
        assert "\n" not in str(exc) and len(str(exc)) < 400
    calls = sum(p in ("SUM(", "IF(1,") for p in prefix)
    parens = prefix.count("(")
    if len(text) <= 8192 and calls <= 64 and parens <= 64:
        parse(text)                    # within Excel's limits it must parse


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_characters="<&\x00"), max_size=12))
@settings(max_examples=200, deadline=None)
def test_sheet_numbers_follow_the_decimal_grammar(text):
    """A <v> number is read exactly when it is a decimal number (what float()
    accepts beyond that -- '1_000', other scripts' digits, 'nan' -- is refused)."""
    import re

    from sheetnet.xlsx.scan import ScanError, scan_sheet_data
    xml = ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
           f'<row r="1"><c r="A1"><v>{text}</v></c></row></sheetData></worksheet>').encode()
    grammatical = re.fullmatch(r"[ \t\r\n]*[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?[ \t\r\n]*", text)
    try:
        got = scan_sheet_data(xml)
    except ScanError:
        assert not grammatical
    else:
        value = got.numbers[0] if got.has_value[0] else None
        if text.strip(" \t\r\n"):
            assert grammatical and value == float(text.strip(" \t\r\n")), (text, value)
