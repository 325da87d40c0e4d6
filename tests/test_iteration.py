"""Iterative calculation (a workbook's <calcPr iterate="1">) and Excel's
longest formulas (no recursion limit anywhere on the way)."""

import numpy as np
import pytest

from sheetnet.book import Book
from sheetnet.engine import Engine
from sheetnet.errors import CircularReferenceError
from sheetnet.formula.parser import parse
from sheetnet.formula.render import render, render_r1c1
from sheetnet.formula.shapes import group_by_shape
from sheetnet.xlsx.reader import read_workbook
from sheetnet.xlsx.writer import write_workbook


def _cycle_book(iterate: bool, delta: str = "1e-12") -> Book:
    b = Book()
    s = b.add_sheet("s")
    s.set_value("A1", 100)
    s.set_formula("B1", "=A1+0.5*C1")        # B = 100 + C/2 and C = B/2: B = 400/3
    s.set_formula("C1", "=B1/2")
    s.set_formula("D1", "=D1/2+1")           # D = 2
    s.set_formula("E1", "=B1+D1")            # outside the cycles, after them
    if iterate:
        b.calc_props.update({"calcPr.iterate": "1", "calcPr.iterateCount": "200", "calcPr.iterateDelta": delta})
    return b


def test_cycles_converge_where_the_workbook_iterates(tmp_path):
    e = Engine(_cycle_book(True)).recalc()
    assert e.value("s", "B1") == pytest.approx(400 / 3, rel=1e-12)
    assert e.value("s", "C1") == pytest.approx(200 / 3, rel=1e-12)
    assert e.value("s", "D1") == pytest.approx(2, rel=1e-12)
    assert e.value("s", "E1") == pytest.approx(400 / 3 + 2, rel=1e-12)
    path = tmp_path / "iterate.xlsx"
    write_workbook(_cycle_book(True), path)                  # the setting travels with the file
    again = Engine(read_workbook(str(path))).recalc()
    assert again.value("s", "B1") == pytest.approx(400 / 3, rel=1e-12)


def test_iteration_stops_at_the_maximum_change_and_count():
    b = _cycle_book(True, delta="0.5")
    e = Engine(b).recalc()
    d = e.value("s", "D1")
    assert d == 1.75                                      # 0 -> 1 -> 1.5 -> 1.75: changes 1, 0.5, 0.25
    b.calc_props.update({"calcPr.iterateCount": "1", "calcPr.iterateDelta": "0"})
    assert Engine(b).recalc().value("s", "D1") == d / 2 + 1     # one pass, from the current value


def test_cycles_are_refused_without_iteration():
    with pytest.raises(CircularReferenceError, match="s!B1 -> s!C1 -> s!B1"):
        Engine(_cycle_book(False)).recalc()


def test_longest_formulas_need_no_recursion():
    """$A1+$A2+...+$A1300, near Excel's 8,192 characters: parse, hash and
    compare, group by shape, plan, evaluate, render."""
    n = 1300
    text = "+".join(f"A{i}" for i in range(1, n + 1))
    assert len(text.replace("A", "$A")) + 2 <= 8192
    tree = parse(text, (0, 1))
    assert hash(tree) == hash(parse(text + "+0", (0, 1)).left) and tree == parse(text + "+0", (0, 1)).left
    assert render(tree, (0, 1)) == text and render_r1c1(tree).startswith("RC[-1]+R[1]C[-1]")
    assert [g.tolist() for g in group_by_shape([text, text.replace("A", "B")], np.array([0, 0]), np.array([1, 2]))] \
        == [[0], [1]]
    b = Book()
    s = b.add_sheet("s")
    s.set_values("A1", [[i] for i in range(1, n + 1)])
    s.fill("B1:C1", "=" + text.replace("A", "$A"))
    e = Engine(b).recalc()
    assert e.value("s", "B1") == sum(range(1, n + 1)) and e.value("s", "C1") == sum(range(1, n + 1))
