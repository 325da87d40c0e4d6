"""Recalculation after an edit calculates only what the edit reaches -- and
gives exactly what a full recalculation gives."""

import sys
from pathlib import Path

import numpy as np

from sheetnet.engine import Engine

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import bench_engine  # noqa: E402


def _book():
    book, _ = bench_engine.build_book(bench_engine.make_data(300, seed=3))
    s = book["emb"]
    s.set_formula("AH3", '=SUM(INDIRECT("Q3:Q"&(2+AI1)))')     # reads through INDIRECT
    s.set_value("AI1", 10)
    s.spill("AJ3", "=T3:X4*2")
    return book


def test_edits_recalculate_what_they_reach_and_nothing_else():
    rng = np.random.default_rng(0)
    inc = Engine(_book()).recalc()
    edits = []
    for step in range(12):
        if step % 2:
            cell, value = (0, 34), float(rng.integers(1, 300))      # AI1: how far INDIRECT reads
        else:
            cell = (int(rng.integers(2, 302)), int(rng.choice([1, 2, 9, 16])))   # factors, ratings
            value = float(rng.integers(1, 10))
        edits.append((cell, value))
        inc.set_value("emb", cell, value)
        inc.recalc()
        fresh = _book()                               # the same constants, calculated from scratch
        for c, v in edits:
            fresh["emb"].set_value(c, v)
        full = Engine(fresh).recalc()
        for ref in ("AG3", "AH3", "AJ3", "AK4", "AE5", "T3", "Y10"):
            assert inc.value("emb", ref) == full.value("emb", ref), (step, ref)


def test_an_edit_touches_only_its_dependents():
    e = Engine(_book()).recalc()
    e.record_dynamic = False
    e.set_value("emb", "Q3", 4.5)
    dirty = e._dirty_units()
    touched = {b.text for u in dirty for b in (e.blocks[i] for i in e.units[u].blocks)}
    assert touched == {"(AD3-Q3)^2", "SQRT(AVERAGE(AE3:AE302))", 'SUM(INDIRECT("Q3:Q"&(2+AI1)))'}


def test_repeated_edits_reuse_what_they_reach_and_stay_exact():
    """The same cell edited again (the reach is kept), another cell, then the
    first again, and an INDIRECT whose reach moves in between: every value
    equals a calculation from scratch, and a rating edit recalculates only
    its own row of the per-row blocks."""
    inc = Engine(_book()).recalc()
    edits = [((2, 16), 4.0), ((2, 16), 1.0), ((7, 16), 2.0), ((0, 34), 3.0), ((2, 16), 5.0), ((2, 16), 2.0)]
    for step, (cell, value) in enumerate(edits):
        inc.set_value("emb", cell, value)
        reached = inc._reached()
        if cell == (2, 16):
            assert any(part and [p.tolist() for p in part.values()] == [[0]] for part in reached.values())
        inc.recalc()
        fresh = _book()
        for c, v in edits[:step + 1]:
            fresh["emb"].set_value(c, v)
        full = Engine(fresh).recalc()
        a, b = inc.sheet_state("emb").vals, full.sheet_state("emb").vals
        assert np.array_equal(a.num, b.num) and np.array_equal(a.kind, b.kind), step


def test_a_reached_range_total_adds_left_to_right_as_a_full_calculation():
    """A single-cell SUM/AVERAGE an edit reaches is calculated on the scalar
    path (one numpy cumsum); with magnitudes where the order of additions
    shows in the last bits, it equals the general evaluator's result."""
    def book():
        b = _book()
        s = b["emb"]
        s.set_formula("AM1", "=SUM(Q3:Q302)")
        s.set_formula("AN1", "=AVERAGE(B3:F17)")
        s.set_formula("AO1", "=SUM($T$3:$AC$302)/3")
        return b
    edits = [((2, 16), 1e17), ((5, 16), 3.0), ((5, 2), -1e16), ((9, 9), 0.1), ((5, 2), 0.3), ((2, 16), -0.0)]
    inc = Engine(book()).recalc()
    for step, (cell, value) in enumerate(edits):
        inc.set_value("emb", cell, value)
        inc.recalc()
        fresh = book()
        for c, v in edits[:step + 1]:
            fresh["emb"].set_value(c, v)
        full = Engine(fresh).recalc()
        for ref in ("AM1", "AN1", "AO1", "AG3"):
            a, b = inc.value("emb", ref), full.value("emb", ref)
            assert a == b and str(a) == str(b), (step, ref, a, b)
