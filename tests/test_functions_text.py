"""Text functions: the laws between them (pieces reassemble, TEXT/VALUE
round trips) and the behaviours the reference workbooks do not show.
Excel's own values are checked by tests/test_reference_workbooks.py."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sheetnet.book import Book
from sheetnet.engine import Engine
from sheetnet.errors import ExcelError

SETTINGS = settings(max_examples=25, deadline=None)
VALUE = ExcelError("#VALUE!")


def _eval(formula: str, cells: dict | None = None):
    book = Book()
    s = book.add_sheet("s")
    for ref, v in (cells or {}).items():
        s.set_value(ref, v)
    s.set_formula("Z1", formula)
    return Engine(book).recalc().value("s", "Z1")


def test_concat_joins_ranges_and_concatenate_single_values():
    cells = {"A1": "a", "B1": 1.5, "A2": True, "B2": None}
    assert _eval("_xlfn.CONCAT(A1:B2, \"!\")", cells) == "a1.5TRUE!"
    assert _eval("CONCATENATE(A1,,B1)", cells) == "a1.5"          # an omitted text argument is ""
    assert _eval("CONCAT(A1,1/0,NA())", cells) == ExcelError("#DIV/0!")
    assert _eval("CONCAT(A1,A1)", {"A1": "x" * 20000}) == VALUE          # beyond 32767 characters
