"""Every formula cell of the Excel-saved reference workbooks (../shared/
reference-workbooks/ironcalc, organised by function category) and of the
lesson workbooks matches Excel's cached value (rtol 1e-9, as `sheetnet
check`), except the cells listed with a reason in
tests/reference_expectations/<CATEGORY>.txt -- one file per category, so
each category's engineer edits only their own.

A listed cell that now matches fails the test too (a stale exception): the
lists only shrink, honestly.  `scripts/reference_coverage.py --category C
--write-expectations` rewrites a category's list.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sheetnet.refbooks import (check_book, compare_with_expectations, quoted_ref, read_expectations,
                               reference_books, shared_dir)

EXPECTATIONS = Path(__file__).parent / "reference_expectations"
SHARED = shared_dir()
BOOKS = reference_books(SHARED) if SHARED is not None else []
_expectations: dict = {}


def _expected(category: str):
    if category not in _expectations:
        _expectations[category] = read_expectations(EXPECTATIONS / f"{category}.txt")
    return _expectations[category]


def _params():
    if not BOOKS:
        return [pytest.param(None, marks=pytest.mark.skip(
            reason="../shared/reference-workbooks not found beside the project (set SHEETNET_SHARED)"))]
    return [pytest.param(b, id=b.key) for b in BOOKS]


@pytest.mark.parametrize("book", _params())
def test_reference_workbook_matches_excel(book):
    expected, whole_file = _expected(book.category).for_file(book.name)
    result = check_book(book)
    unexpected, stale = compare_with_expectations(result, expected, whole_file)
    lines = []
    if result.error and unexpected:
        lines.append(f"the check ended in {result.error}\n{result.trace}")
    for (sheet, cell), verdict in sorted(unexpected.items())[:40]:
        lines.append(f"not matching, not listed: {book.name}  {quoted_ref(sheet, cell)}  {verdict}")
    if len(unexpected) > 40:
        lines.append(f"... and {len(unexpected) - 40} more")
    for (sheet, cell), verdict in sorted(stale.items()):
        lines.append(f"listed in {book.category}.txt but {verdict}: {book.name} {sheet}!{cell}")
    assert not lines, "\n".join(lines)


def test_expectation_files_name_existing_workbooks():
    if not BOOKS:
        pytest.skip("../shared/reference-workbooks not found beside the project (set SHEETNET_SHARED)")
    known = {(b.category, b.name) for b in BOOKS}
    for path in sorted(EXPECTATIONS.glob("*.txt")):
        exp = read_expectations(path)
        for name in {f for f, _, _ in exp.cells} | set(exp.files):
            assert (path.stem, name) in known, f"{path.name} lists {name}, which is not a workbook of {path.stem}"


def test_expectations_flag_unlisted_failures_and_stale_exceptions(tmp_path):
    from sheetnet.refbooks import BookResult, RefBook
    path = tmp_path / "MATH.txt"
    path.write_text("# comment\n\nA.xlsx  'My sheet'!B3  waits for ROMAN\nA.xlsx  S!C4  fixed already\n"
                    "B.xlsx  *  far from done\n", encoding="utf-8")
    exp = read_expectations(path)
    book = RefBook(tmp_path / "A.xlsx", "MATH", "A.xlsx")
    result = BookResult(book, {("My sheet", "B3"): "unsupported: ROMAN", ("S", "C4"): "matched",
                               ("S", "D5"): "mismatched: Excel 1.0, sheetnet 2.0", ("S", "E6"): "volatile"})
    unexpected, stale = compare_with_expectations(result, *exp.for_file("A.xlsx"))
    assert unexpected == {("S", "D5"): "mismatched: Excel 1.0, sheetnet 2.0"}
    assert stale == {("S", "C4"): "matched"}
    done = BookResult(RefBook(tmp_path / "B.xlsx", "MATH", "B.xlsx"), {("S", "A1"): "matched"})
    unexpected, stale = compare_with_expectations(done, *exp.for_file("B.xlsx"))
    assert not unexpected and list(stale) == [("*", "*")]
    path.write_text("A.xlsx S!C4\n", encoding="utf-8")
    with pytest.raises(ValueError, match="reason"):
        read_expectations(path)
