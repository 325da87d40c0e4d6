"""Recalculation after an edit calculates only what the edit reaches -- and
gives exactly what a full recalculation gives."""

import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetnet.engine import Engine
from sheetnet.errors import ExcelError

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import bench_engine  # noqa: E402


def _book():
    book, _ = bench_engine.build_book(bench_engine.make_data(300, seed=3))
    s = book["emb"]
    s.set_formula("AH3", '=SUM(INDIRECT("Q3:Q"&(2+AI1)))')     # reads through INDIRECT
    s.set_value("AI1", 10)
    s.spill("AJ3", "=T3:X4*2")
    return book


def _from_scratch(make_book, edits):
    """A full calculation of a fresh book with the same edits."""
    book = make_book()
    for cell, value in edits:
        book["emb"].set_value(cell, value)
    return Engine(book).recalc()


def _replay(make_book, edits):
    """After each edit, recalculated incrementally: (step, that engine, a
    calculation from scratch of the same edits)."""
    inc = Engine(make_book()).recalc()
    for step, (cell, value) in enumerate(edits):
        inc.set_value("emb", cell, value)
        inc.recalc()
        yield step, inc, _from_scratch(make_book, edits[:step + 1])


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
        full = _from_scratch(_book, edits)
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
            assert any(part and list(part.values()) == [[0]] for part in reached.values())
        inc.recalc()
        full = _from_scratch(_book, edits[:step + 1])
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
    for step, inc, full in _replay(book, edits):
        for ref in ("AM1", "AN1", "AO1", "AG3"):
            a, b = inc.value("emb", ref), full.value("emb", ref)
            assert a == b and str(a) == str(b), (step, ref, a, b)


_INPUTS = [(2, 16), (3, 16), (150, 16), (301, 16),      # ratings
           (2, 14), (40, 15),                            # the ids MATCH looks up
           (2, 1), (9, 5), (4, 8),                       # factors (read through OFFSET)
           (0, 34), (1, 19)]                             # INDIRECT's extent; a factor column index
_VALUES = st.one_of(st.floats(-1e6, 1e6, allow_nan=False), st.integers(-5, 400).map(float),
                    st.sampled_from([None, "text", True, False, ExcelError("#DIV/0!"), 0.0, -0.0, 1e300]))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(_INPUTS), _VALUES), min_size=1, max_size=5))
def test_any_edits_recalculate_to_what_a_full_calculation_gives(edits):
    """Whatever is written where (numbers, blanks, text, booleans, errors:
    the compiled closures fall back to the general path on all but numbers),
    every cell after each incremental recalculation equals a calculation
    from scratch, bit for bit."""
    for step, inc, full in _replay(_book, edits):
        a, b = inc.sheet_state("emb").vals, full.sheet_state("emb").vals
        assert np.array_equal(a.kind, b.kind), step
        assert np.array_equal(a.num.view(np.int64), b.num.view(np.int64)), step
        assert [repr(x) for x in a.obj.ravel()] == [repr(x) for x in b.obj.ravel()], step


def test_a_plain_edit_takes_the_direct_path_and_a_blank_the_general_one(monkeypatch):
    """The embedding sheet's rating edit reaches one squared error and the
    RMSE, both compiled: they are calculated directly.  A blank rating makes
    its squared error's closure fall back, and the general path finishes."""
    def book(rating):
        b, _ = bench_engine.build_book(bench_engine.make_data(300, seed=3))
        b["emb"].set_value("Q3", rating)
        return b

    e = Engine(book(3.0)).recalc()
    taken = []
    direct = e._recalc_cells_directly
    monkeypatch.setattr(e, "_recalc_cells_directly", lambda dirty: taken.append(direct(dirty)) or taken[-1])
    for value in (4.5, None, 2.0):
        e.set_value("emb", "Q3", value)
        e.recalc()
        full = Engine(book(value)).recalc()
        for ref in ("AE3", "AG3"):
            assert e.value("emb", ref) == full.value("emb", ref), (value, ref)
    assert taken == [True, False, True]


def test_wide_reads_and_wide_edits_are_reached():
    """Readers of rectangles too wide for the column index (a whole row, a
    200-column range) and edits of wide rectangles still find each other."""
    from sheetnet.book import Book

    def book():
        b = Book()
        s = b.add_sheet("w")
        s.set_values("A3", [list(range(1, 201))])
        s.set_formula("A1", "=SUM(3:3)")
        s.set_formula("B1", "=SUM(A3:GR3)*2")
        s.set_formula("C1", "=A1+B1")
        s.set_formula("D1", "=C3*2")
        return b

    e = Engine(book()).recalc()
    e.set_value("w", "GR3", 1000.0)                 # one cell, read by the wide ones only
    e.recalc()
    assert [e.value("w", r) for r in ("A1", "B1", "C1", "D1")] == [20900.0, 41800.0, 62700.0, 6.0]
    e.set_numbers("w", "A3:GR3", np.full(200, 2.0))  # a wide edit, read by all
    e.recalc()
    assert [e.value("w", r) for r in ("A1", "B1", "C1", "D1")] == [400.0, 800.0, 1200.0, 4.0]


def test_an_edit_outside_the_grid_is_one_clear_error():
    from sheetnet.book import Book
    from sheetnet.errors import UserError
    b = Book()
    b.add_sheet("a").set_formula("B1", "=A1*2")
    e = Engine(b).recalc()
    for ref in ((-1, 0), (0, -3), (1_048_576, 0), (0, 16_384)):
        with pytest.raises(UserError, match="no cell at"):
            e.set_value("a", ref, 1.0)
    e.set_value("a", (40, 30), 3.0)                 # past the grid, inside Excel's: the grids grow
    e.set_value("a", "A1", 4.0)
    e.recalc()
    assert e.value("a", "B1") == 8.0 and e.value("a", (40, 30)) == 3.0
