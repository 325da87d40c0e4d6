"""The faithful rebuild of the lesson's collab_filter.xlsx: with the inputs
read from the original file at test time (ratings, solved factors, the word
sheet's vocabulary, text and embeddings), every formula cell of the generated
sheets equals the value Excel stored at the same place (rtol 1e-9), and the
formulas are the lesson's own."""

import math
import os

import numpy as np
import pytest

from sheetnet.engine import Engine
from sheetnet.lessons.collab import mirror
from sheetnet.lessons.collab.sheet import build_workbook
from sheetnet.lessons.collab.faithful import inputs_from_workbook
from sheetnet.lessons.collab.layout import SHEETS
from sheetnet.lessons.collab.ratings import lesson_ratings, select_top
from sheetnet.refs import cell_name

LESSONS = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "lesson-workbooks")
ORIGINAL = os.path.join(LESSONS, "collab_filter.xlsx")

pytestmark = pytest.mark.skipif(not os.path.exists(ORIGINAL), reason=f"{ORIGINAL} is not there")


@pytest.fixture(scope="module")
def original():
    from sheetnet.xlsx.reader import read_workbook
    return read_workbook(ORIGINAL)


@pytest.fixture(scope="module")
def rebuilt():
    inputs = inputs_from_workbook(ORIGINAL)
    made = build_workbook(inputs, faithful=True)
    return inputs, made, Engine(made.book).recalc()


def _formula_cells(sheet) -> set:
    cells = set()
    for g in sheet.groups:
        rr, cc = g.footprint()
        cells |= set(zip(rr.tolist(), cc.tolist()))
    return cells


def test_fixture_is_the_lessons_ratings(original):
    """sheetnet/lessons/collab/data/ratings_15x15.csv re-types dotprod's H2:V16 and its ids."""
    r = select_top(lesson_ratings(), 15, 15)
    d = original["dotprod"]
    assert r.movie_ids.tolist() == [d.value((0, c)) for c in range(7, 22)]
    assert r.user_ids.tolist() == [d.value((row, 6)) for row in range(1, 16)]
    want = np.array([[np.nan if d.value((row, c)) is None else d.value((row, c)) for c in range(7, 22)]
                     for row in range(1, 16)])
    assert np.array_equal(r.crosstab(), want, equal_nan=True)
    assert r.n_ratings == 206


@pytest.mark.parametrize("sheet", SHEETS)
def test_every_formula_cell_equals_excels_value(original, rebuilt, sheet):
    _, made, engine = rebuilt
    ours, theirs = made.book[sheet], original[sheet]
    cells = _formula_cells(theirs)
    assert _formula_cells(ours) == cells          # the same roles at the same places
    bad = []
    for r, c in sorted(cells):
        want, got = theirs.value((r, c)), engine.value(sheet, (r, c))
        same = (isinstance(got, float) and math.isclose(got, want, rel_tol=1e-9, abs_tol=0)
                if isinstance(want, float) else got == want)
        if not same:
            bad.append((cell_name(r, c), want, got))
    assert bad == []
    # and the formulas are the lesson's own text
    assert [ours.formula_at(rc) for rc in sorted(cells)] == [theirs.formula_at(rc) for rc in sorted(cells)]


def test_the_lessons_figures(rebuilt):
    _, made, e = rebuilt
    assert e.value("dotprod", "V41") == pytest.approx(0.39301547128657, rel=1e-9)
    assert e.value("bias", "V42") == pytest.approx(0.31946741355863, rel=1e-9)
    assert e.value("movielens_1hot", "BH210") == pytest.approx(e.value("dotprod", "V41"), rel=1e-12)
    assert e.value("movielens_emb", "Y210") == pytest.approx(e.value("dotprod", "V41"), rel=1e-12)


def test_the_rebuild_carries_valid_solver_models(original, rebuilt):
    _, made, _ = rebuilt
    mine, theirs = made.book.solver_models(), original.solver_models()
    for sheet in ("dotprod", "bias"):
        assert mine[sheet].objective == theirs[sheet].objective
        assert mine[sheet].changing == theirs[sheet].changing
        assert mine[sheet].central_derivatives == theirs[sheet].central_derivatives
    for sheet, cell in (("movielens_1hot", "$BH$210"), ("movielens_emb", "$Y$210")):
        assert theirs[sheet].objective is None          # the original's is #REF!
        assert mine[sheet].objective == f"{sheet}!{cell}" and mine[sheet].problems == []
        assert mine[sheet].changing == theirs[sheet].changing


def test_the_mirror_reproduces_excels_values(original, rebuilt):
    inputs, made, _ = rebuilt
    d, b = original["dotprod"], original["bias"]

    def grid(sheet, area):
        from sheetnet.refs import parse_area
        a = parse_area(area)
        return np.array([[sheet.value((r, c)) for c in range(a.c0, a.c1 + 1)] for r in range(a.r0, a.r1 + 1)],
                        dtype=float)

    ratings = inputs.ratings.crosstab()
    preds = mirror.predictions(inputs.user_factors, inputs.movie_factors, ratings)
    np.testing.assert_allclose(preds, grid(d, "H25:V39"), rtol=1e-12)
    assert mirror.rmse(ratings, preds) == pytest.approx(d.value("V41"), rel=1e-12)
    bp = mirror.bias_predictions(inputs.bias_user_factors, inputs.bias_movie_factors, inputs.user_bias,
                                 inputs.movie_bias, ratings, faithful=True)
    np.testing.assert_allclose(bp, grid(b, "H26:V40"), rtol=1e-12)
    assert mirror.rmse_faithful_bias(ratings, bp) == pytest.approx(b.value("V42"), rel=1e-12)
    # what LibreOffice computes from the original bias formula (the documented 0.857)
    assert mirror.rmse_faithful_bias(ratings, bp, blank_as_zero=True) == pytest.approx(0.8576, abs=1e-4)
    r = inputs.ratings
    o = original["movielens_1hot"]
    assert mirror.match_sorted(r.user_ids[r.user], r.user_ids).tolist() == [o.value((row, 10)) for row in
                                                                            range(2, 208)]
    sheet = mirror.onehot_sheet(r.user + 1, r.movie + 1, inputs.user_factors, inputs.movie_factors.T, r.rating)
    assert sheet["rmse"] == pytest.approx(o.value("BH210"), rel=1e-12)
    np.testing.assert_allclose(sheet["predictions"], [o.value((row, 58)) for row in range(2, 208)], rtol=1e-12)
    w = original["word_emb"]
    ids = mirror.word_ids(inputs.text, inputs.vocabulary)
    assert ids.tolist() == [w.value((row, 9)) for row in range(2, 2 + len(inputs.text))]


@pytest.mark.libreoffice
def test_libreoffice_on_the_rebuild_differs_only_where_documented(libreoffice, rebuilt, tmp_path):
    """LibreOffice agrees with every cell of the faithful rebuild except the
    original bias objective, where its SUMXMY2 counts blanks as 0."""
    from sheetnet.xlsx.writer import write_workbook
    _, made, _ = rebuilt
    path = tmp_path / "faithful.xlsx"
    write_workbook(made.book, str(path))
    lo = libreoffice.recalculate(str(path))
    differ = []
    for sheet in made.book.sheets:
        for r, c in _formula_cells(sheet):
            ours, theirs = sheet.value((r, c)), lo.value(sheet.name, r, c)
            ok = (isinstance(theirs, float) and math.isclose(theirs, ours, rel_tol=1e-9, abs_tol=1e-12)
                  if isinstance(ours, float) else theirs == ours)
            if not ok:
                differ.append((sheet.name, cell_name(r, c)))
    assert differ == [("bias", "V42")]
    assert lo.value("bias", 41, 21) == pytest.approx(0.8576, abs=1e-4)


def test_the_hidden_cli_flag(tmp_path):
    from sheetnet.check import check_file
    from sheetnet.cli import main
    out = tmp_path / "faithful.xlsx"
    assert main(["build", "collab", "--faithful-from", ORIGINAL, "--out", str(out)]) == 0
    assert check_file(str(out)).ok
