"""The conv lesson against the real applications: rebuilt from the lesson's own
inputs (read at test time from ../shared/lesson-workbooks/conv-example.xlsx),
every formula cell of both generated sheets equals the value Excel stored, at
the lesson's address; and LibreOffice's recalculation of the generated
workbook equals the values it caches."""

from __future__ import annotations

import math
import os

import numpy as np
import pytest

from sheetnet.engine import Engine
from sheetnet.lessons.conv.faithful import inputs_from_workbook
from sheetnet.lessons.conv.inputs import seeded_inputs
from sheetnet.lessons.conv.layout import DROPOUT, PLAIN
from sheetnet.lessons.conv.sheet import build_book
from sheetnet.xlsx.reader import read_workbook
from sheetnet.xlsx.writer import write_workbook

LESSON = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "lesson-workbooks", "conv-example.xlsx")
RTOL = 1e-9


def _formula_cells(sheet) -> set:
    cells = set()
    for g in sheet.groups:
        rr, cc = g.footprint()
        cells.update(zip(rr.tolist(), cc.tolist()))
    return cells


@pytest.fixture(scope="module")
def lesson():
    if not os.path.exists(LESSON):
        pytest.skip("lesson workbook conv-example.xlsx not found beside the project (../shared/lesson-workbooks)")
    return read_workbook(LESSON)


def test_faithful_rebuild_equals_excels_cached_values(lesson):
    built = build_book(inputs_from_workbook(LESSON))
    engine = Engine(built.book, volatile="cached").recalc()     # RAND(): the draws the file stored
    compared, volatile, worst = 0, 0, 0.0
    for name in (PLAIN, DROPOUT):
        ours, theirs = built.book[name], lesson[name]
        cells = _formula_cells(theirs)
        assert _formula_cells(ours) == cells, name                 # the same formula cells at the same places
        for cell in sorted(cells):
            text = ours.formula_at(cell)
            assert text.replace(" ", "") == theirs.formula_at(cell).replace(" ", ""), (name, cell)
            if text == "=RAND()":
                volatile += 1                                      # volatile: kept, and everything after it checked
                continue
            got, want = engine.value(name, cell), theirs.value(cell)
            assert isinstance(got, float) and math.isclose(got, want, rel_tol=RTOL), (name, cell, got, want)
            worst = max(worst, abs(got - want) / abs(want) if want else abs(got))
            compared += 1
    assert (compared, volatile) == (2865 + 6471 - 1200, 1200)
    assert worst < 1e-15
    # the lesson's figures: the dense outputs and the dropout sheet's realised rates at p = 0.9
    assert engine.value(PLAIN, "EN4") == pytest.approx(258.73762671075724, rel=1e-15)
    assert engine.value(DROPOUT, "II4") == pytest.approx(50.77709784138715, rel=1e-15)
    assert [engine.value(DROPOUT, c) for c in ("FA30", "FA31", "FA63", "FA64")] == [676, 540, 676, 551]


def test_faithful_inputs_are_the_lessons(lesson):
    inputs = inputs_from_workbook(LESSON)
    assert inputs.image.shape == (28, 28) and 0.99 < inputs.image.max() < 1.0 and inputs.p == 0.9
    np.testing.assert_array_equal(inputs.filters1[1], [[1, 0, -1]] * 3)          # the vertical-edge detector
    assert inputs.weights.shape == (2, 12, 13) and inputs.draws.shape == (2, 24, 25)


@pytest.mark.libreoffice
def test_libreoffice_recalculation_equals_the_cached_values(libreoffice, tmp_path):
    """The default workbook and a stride-two one: LibreOffice Calc's calculateAll() gives every formula
    cell the value sheetnet cached (the array formulas, MAX, COUNTIF, SUMPRODUCT ...)."""
    paths = []
    for name, inputs in (("default", seeded_inputs()), ("stride2", seeded_inputs(p=0.7, seed=4, stride=2))):
        paths.append(str(tmp_path / f"{name}.xlsx"))
        write_workbook(build_book(inputs).book, paths[-1])
    compared = 0
    for path, lo in zip(paths, libreoffice.recalculate_many(paths)):
        stored = read_workbook(path)
        for sheet in stored.sheets:
            assert not lo.error_codes.get(sheet.name), (path, sheet.name)
            for r, c in _formula_cells(sheet):
                cached, got = sheet.value((r, c)), lo.value(sheet.name, r, c)
                assert isinstance(got, float) and math.isclose(got, cached, rel_tol=1e-12, abs_tol=1e-14), \
                    (path, sheet.name, r, c, got, cached)
                compared += 1
    assert compared == 7896 + 3864          # every formula cell of both workbooks
