"""The function tests' shared way to compute formulas: each in its own cell
of one workbook, with the given constant cells, one recalculation for all."""

from sheetnet.book import Book
from sheetnet.engine import Engine


def eval_all(formulas: list[str], cells: dict | None = None) -> list:
    """The values of `formulas` (in Z1, Z2 ...) beside the constants `cells`."""
    book = Book()
    s = book.add_sheet("s")
    for ref, v in (cells or {}).items():
        s.set_value(ref, v)
    for i, f in enumerate(formulas, 1):
        s.set_formula(f"Z{i}", f)
    e = Engine(book).recalc()
    return [e.value("s", f"Z{i}") for i in range(1, len(formulas) + 1)]
