"""The outside judge: LibreOffice Calc (headless) recalculates the generated
entropy workbooks and gets the values cached in them."""

import math
import os

import pytest

from sheetnet.lessons.entropy import SHEETS, build_book, inputs_from_workbook, seeded_inputs
from sheetnet.xlsx.reader import read_workbook
from sheetnet.xlsx.writer import write_workbook

pytestmark = pytest.mark.libreoffice

LESSON = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "lesson-workbooks", "entropy_example.xlsx")
REL = 1e-13


def _books():
    yield "default", build_book(seeded_inputs(), log="natural").book          # what `sheetnet build entropy` writes
    yield "base10", build_book(seeded_inputs(), log="base10").book
    yield "sizes", build_book(seeded_inputs(("ant", "bee", "cow"), 7, 3), log="natural").book
    if os.path.exists(LESSON):
        lesson = inputs_from_workbook(LESSON)
        yield "lesson", build_book(lesson, log="base10").book
        yield "faithful", build_book(lesson, log="base10", faithful=True).book   # approximate MATCH included


def test_libreoffice_recalculation_equals_the_cached_values(libreoffice, tmp_path):
    paths = {}
    for name, book in _books():
        paths[name] = str(tmp_path / f"{name}.xlsx")
        write_workbook(book, paths[name])
    results = libreoffice.recalculate_many(list(paths.values()))
    compared, mismatches = 0, []
    for (name, path), lo in zip(paths.items(), results):
        stored = read_workbook(path)               # the cached values as the file holds them
        assert [s.name for s in stored.sheets] == list(SHEETS)
        for sheet in stored.sheets:
            assert not lo.error_codes.get(sheet.name), (name, sheet.name, lo.error_codes.get(sheet.name))
            for g in sheet.groups:
                rr, cc = g.footprint()
                for r, c in zip(rr.tolist(), cc.tolist()):
                    cached, theirs = sheet.value((r, c)), lo.value(sheet.name, r, c)
                    compared += 1
                    if isinstance(cached, float):
                        ok = isinstance(theirs, float) and math.isclose(theirs, cached, rel_tol=REL, abs_tol=1e-15)
                    else:
                        ok = theirs == cached
                    if not ok:
                        mismatches.append((name, sheet.name, sheet.formula_at((r, c)), cached, theirs))
    assert mismatches == []
    assert compared >= 305 + 305 + 3 * 7 * 5
