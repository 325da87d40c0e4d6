"""The D functions: Excel's criteria-range reading (rows OR'ed, conditions in
a row AND'ed, a bare text matching the text that begins with it), field
resolution and DGET's errors.  Excel's own values are checked by
tests/test_reference_workbooks.py (DATABASE/*.xlsx)."""

from __future__ import annotations

import pytest

from sheetnet.book import Book
from sheetnet.engine import Engine
from sheetnet.errors import ExcelError

# A1:C6: a small database; E1:F3 and H1:H2 criteria ranges filled per test
DB = [("City", "Units", 1), ("Berlin", 10, "x"), ("Berlino", 20, "y"), ("Paris", 30, "x"),
      (" Berlin", 40, None), ("berlin", "n/a", "x")]


def _value(formula: str, criteria: dict | None = None):
    book = Book()
    s = book.add_sheet("s")
    for r, row in enumerate(DB, start=1):
        for c, v in zip("ABC", row):
            if v is not None:
                s.set_value(f"{c}{r}", v)
    for ref, v in (criteria or {}).items():
        s.set_value(ref, v)
    s.set_formula("Z1", formula)
    return Engine(book).recalc().value("s", "Z1")


def test_a_bare_text_begins_and_an_equals_text_is_exact():
    assert _value("DSUM(A1:C6, 2, E1:E2)", {"E1": "City", "E2": "Berlin"}) == 30     # Berlin, Berlino
    assert _value("DCOUNTA(A1:C6, 2, E1:E2)", {"E1": "city", "E2": "Berlin"}) == 3   # and berlin ("n/a")
    assert _value("DSUM(A1:C6, 2, E1:E2)", {"E1": "City", "E2": "=Berlin"}) == 10


def test_rows_are_alternatives_and_columns_conditions_together():
    crit = {"E1": "City", "F1": "Units", "E2": "Berlin", "F2": ">15", "E3": "Paris"}
    assert _value('DSUM(A1:C6, "Units", E1:F3)', crit) == 50                            # Berlino + Paris
    assert _value('DSUM(A1:C6, "Units", E1:F4)', crit) == 100                           # an empty row: all


def test_a_label_naming_no_column_meets_nothing_unless_its_condition_is_empty():
    assert _value("DCOUNTA(A1:C6, 1, E1:E2)", {"E1": "Town", "E2": "Paris"}) == 0
    assert _value("DCOUNTA(A1:C6, 1, E1:E2)", {"E1": "Town"}) == 5


def test_fields_by_number_label_and_numeric_label():
    crit = {"E1": "City", "E2": "*"}
    assert _value("DCOUNT(A1:C6, 2.9, E1:E2)", crit) == 4
    assert _value('DCOUNTA(A1:C6, "1", E1:E2)', crit) == 4                              # the label 1 as text
    for bad in ("0", "4", '"Town"', "A1:B1"):
        assert _value(f"DCOUNT(A1:C6, {bad}, E1:E2)", crit) == ExcelError("#VALUE!")
    assert _value("DCOUNT(A1:C1, 1, E1:E2)", crit) == ExcelError("#VALUE!")           # no records


@pytest.mark.parametrize("city, expected", [("Paris", 30), ("Berlin", ExcelError("#NUM!")),
                                            ("Rome", ExcelError("#VALUE!"))])
def test_dget_needs_exactly_one_record(city, expected):
    assert _value("DGET(A1:C6, 2, E1:E2)", {"E1": "City", "E2": city}) == expected


def test_statistics_over_no_records():
    crit = {"E1": "City", "E2": "Rome"}
    assert _value("DAVERAGE(A1:C6, 2, E1:E2)", crit) == ExcelError("#DIV/0!")
    assert _value("DMAX(A1:C6, 2, E1:E2)", crit) == 0
    assert _value("DPRODUCT(A1:C6, 2, E1:E2)", crit) == 0
    assert _value("DSTDEV(A1:C6, 2, E1:E2)", crit) == ExcelError("#DIV/0!")
    assert _value("DVARP(A1:C6, 2, E1:E2)", {"E1": "City", "E2": "Paris"}) == 0
