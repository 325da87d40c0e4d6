"""`sheetnet build entropy`: faithful to the lesson's workbook, equal to the
numpy mirrors, and clear about bad input."""

import math
import os
import subprocess
import sys

import numpy as np
import pytest

from sheetnet.cli import main
from sheetnet.engine import Engine
from sheetnet.errors import ExcelError, UserError
from sheetnet.lessons import Roles
from sheetnet.lessons.entropy import (SHEETS, EntropyInputs, Layout, build_book, inputs_from_workbook, log_of,
                                      seeded_inputs)
from sheetnet.lessons.entropy import mirror
from sheetnet.refs import parse_area
from sheetnet.xlsx.reader import read_workbook

LESSONS = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "lesson-workbooks")
LESSON_SHEETS = ("softmax", "entropy", "log_entropy")
LN10 = math.log(10)
RTOL = 1e-9                     # the acceptance tolerance against Excel's cached values


@pytest.fixture(scope="module")
def original():
    path = os.path.join(LESSONS, "entropy_example.xlsx")
    if not os.path.exists(path):
        pytest.skip("lesson workbook entropy_example.xlsx not found beside the project (../shared/lesson-workbooks)")
    return path


def _formula_cells(sheet):
    cells = set()
    for g in sheet.groups:
        rr, cc = g.footprint()
        cells.update(zip(rr.tolist(), cc.tolist()))
    return cells


def _cells(area: str):
    a = parse_area(area)
    return [(r, c) for r in range(a.r0, a.r1 + 1) for c in range(a.c0, a.c1 + 1)]


def _close(got, want, rtol=RTOL) -> bool:
    return isinstance(got, float) and isinstance(want, (int, float)) and math.isclose(got, want, rel_tol=rtol)


# ------------------------------------------------------------------ faithful --

def test_faithful_mode_is_the_lesson_cell_for_cell(original):
    """faithful=True: the same formula cells as the lesson's three sheets,
    the same formula text, and Excel's cached values to rtol 1e-9."""
    lesson = read_workbook(original)
    book = build_book(inputs_from_workbook(original), log="base10", faithful=True).book
    engine = Engine(book).recalc()
    compared, worst = 0, 0.0
    for name in LESSON_SHEETS:
        ours, theirs = book[name], lesson[name]
        want = _formula_cells(theirs)
        if name == "entropy":
            # C9 holds =25000*128*4/1000, a side calculation unrelated to entropy
            assert theirs.formula_at("C9") == "=25000*128*4/1000"
            want.discard((8, 2))
        assert _formula_cells(ours) == want, name
        for cell in sorted(want):
            assert ours.formula_at(cell) == theirs.formula_at(cell), (name, cell)
            got, cached = engine.value(name, cell), theirs.value(cell)
            assert _close(got, cached), (name, cell, got, cached)
            worst = max(worst, abs(got - cached) / abs(cached) if cached else abs(got))
            compared += 1
        # the inputs and labels are where the lesson has them
        for r in range(12):
            for c in range(12):
                if (r, c) not in want and theirs.value((r, c)) is not None and (name, r, c) != ("entropy", 8, 2):
                    assert ours.value((r, c)) == theirs.value((r, c)), (name, r, c)
    assert compared == 74
    assert worst < 1e-15


def _extra_expectations(lesson, lay: Layout) -> dict:
    """What each cell the default workbook adds must equal, derived from the
    lesson's own cached values."""
    sm, le = lesson["softmax"], lesson["log_entropy"]
    want = {}
    r0, r1 = lay.class_rows
    for i in range(1, lay.n_images + 1):
        c = lay.image_col(i)
        scores = [sm.value((r, c + 1)) for r in range(r0, r1 + 1)]
        exps = [sm.value((r, c + 2)) for r in range(r0, r1 + 1)]
        soft = [sm.value((r, c + 3)) for r in range(r0, r1 + 1)]
        top = int(np.argmax(scores))
        want["softmax", f"max.{i}"] = [max(scores)]
        want["softmax", f"shifted.{i}"] = [s - max(scores) for s in scores]
        want["softmax", f"safe_exp.{i}"] = [e / exps[top] for e in exps]
        want["softmax", f"safe_exp_sum.{i}"] = [sm.value((lay.sum_row, c + 2)) / exps[top]]
        want["softmax", f"safe_softmax.{i}"] = soft
        want["softmax", f"safe_softmax_sum.{i}"] = [sm.value((lay.sum_row, c + 3))]
    rows = range(1, lay.n_rows + 1)
    want["entropy", "bce_other"] = [lesson["entropy"].value((r, 4)) * LN10 for r in rows]  # natural = base 10 x ln 10
    want["entropy", "ratio"] = [LN10] * lay.n_rows
    want["entropy", "ln_10"] = [LN10]
    want["log_entropy", "idx_pred_index"] = [le.value((r, 8)) for r in rows]                 # INDEX = OFFSET
    want["log_entropy", "nll_lookup"] = [-le.value((r, 8)) for r in rows]
    return want


def test_default_base10_workbook_matches_the_lesson(original):
    """The CLI's --log base10 workbook on the lesson's inputs: every formula
    cell of softmax, entropy and log_entropy equals Excel's cached value at
    the same address, or (the cells it adds) the value the lesson's cached
    values imply, to rtol 1e-9."""
    lesson = read_workbook(original)
    built = build_book(inputs_from_workbook(original), log="base10")
    book, roles = built.book, built.roles
    engine = Engine(book).recalc()
    lay = Layout(5, 2, 5)
    assert {(c.sheet, c.name, c.area) for c in roles} == {(c.sheet, c.name, c.area) for c in lay.roles()}
    extra = {}
    for key, want in _extra_expectations(lesson, lay).items():
        cells = _cells(roles[key].area.a1)
        assert len(cells) == len(want), key
        extra.update({(roles[key].sheet, cell): (key, w) for cell, w in zip(cells, want)})
    compared = {"same address": 0, "added": 0}
    for name in LESSON_SHEETS:
        theirs = lesson[name]
        for cell in sorted(_formula_cells(book[name])):
            got = engine.value(name, cell)
            if theirs.formula_at(cell) is not None:
                text = book[name].formula_at(cell)
                assert text == theirs.formula_at(cell) or text == theirs.formula_at(cell)[:-1] + ",0)", cell
                assert _close(got, theirs.value(cell)), (name, cell, got, theirs.value(cell))
                compared["same address"] += 1
            else:
                key, want = extra[(name, cell)]          # KeyError: a cell no test expectation covers
                assert _close(got, want), (key, cell, got, want)
                compared["added"] += 1
    assert compared == {"same address": 74, "added": 2 * (1 + 5 + 5 + 1 + 5 + 1) + 5 + 5 + 1 + 5 + 5}


def test_lesson_inputs_read_back(original):
    inputs = inputs_from_workbook(original)
    assert inputs.classes == ("cat", "dog", "plane", "fish", "building")
    assert inputs.scores.shape == (5, 2)
    assert inputs.scores[3, 0] == pytest.approx(2.070409245987718, rel=1e-15)
    assert list(inputs.y) == [1, 1, 0, 0, 1]
    assert list(inputs.p) == [0.5, 0.98, 0.9, 0.5, 0.9]


# ------------------------------------------------------------------ the mirrors --

SIZES = [(2, 1, 1), (5, 4, 4), (3, 6, 6), (7, 2, 2)]


@pytest.mark.parametrize("log", ["natural", "base10"])
@pytest.mark.parametrize("size", SIZES)
def test_every_cell_equals_the_numpy_mirror(size, log):
    classes, images, seed = size
    inputs = seeded_inputs([f"class{k}" for k in range(classes)], images, seed)
    built = build_book(inputs, log=log)
    book, roles = built.book, built.roles
    engine = Engine(book).recalc()
    assert roles["softmax", f"scores.{images}"].area.height == classes and ("softmax", f"scores.{images + 1}") \
        not in roles and roles["entropy", "y"].area.height == images
    assert log_of(book) == log
    want = mirror.book_values(inputs, log)
    assert {(c.sheet, c.name) for c in roles} - set(want) == {("cross_entropy", "true_class")}
    for key, value in want.items():
        got = roles.values(engine, *key)
        np.testing.assert_allclose(got, value, rtol=1e-13, atol=0, err_msg=str(key))
    names = [engine.value("cross_entropy", cell) for cell in roles["cross_entropy", "true_class"].area.cells()]
    assert names == [inputs.classes[t] for t in inputs.targets]


@pytest.mark.parametrize("faithful,log", [(False, "natural"), (False, "base10"), (True, "base10")])
def test_roles_cover_every_formula_cell(faithful, log):
    book = build_book(seeded_inputs(images=3), log=log, faithful=faithful).book
    roles = Roles.from_book(book)              # read back from the defined names
    assert (("softmax", "max.1") in roles) is not faithful
    covered = {name: set() for name in SHEETS}
    for cells in roles:
        covered[cells.sheet].update(cells.area.cells())
    for name in SHEETS:
        assert _formula_cells(book[name]) <= covered[name], name
    engine = Engine(book).recalc()
    for name in SHEETS:          # no error values anywhere with default inputs
        for cell in _formula_cells(book[name]):
            assert not isinstance(engine.value(name, cell), ExcelError), (name, cell)


def test_both_bases_and_the_factor():
    inputs = seeded_inputs(images=5, seed=3)
    nat = Engine(build_book(inputs, log="natural").book).recalc()
    b10 = Engine(build_book(inputs, log="base10").book).recalc()
    roles = Layout(5, 5, 5).roles()
    v = lambda e, key: roles.values(e, *key)   # noqa: E731
    assert nat.value("entropy", "H8") == b10.value("entropy", "H8") == LN10
    np.testing.assert_allclose(v(nat, ("entropy", "bce_sum")), v(b10, ("entropy", "bce_sum")) * LN10, rtol=1e-14)
    np.testing.assert_allclose(v(nat, ("entropy", "bce_other")), v(b10, ("entropy", "bce_if")), rtol=1e-15)
    np.testing.assert_allclose(v(nat, ("entropy", "ratio")), LN10, rtol=1e-14)
    np.testing.assert_allclose(v(nat, ("cross_entropy", "loss")), v(b10, ("cross_entropy", "loss_other")),
                               rtol=1e-15)
    np.testing.assert_allclose(v(nat, ("cross_entropy", "mean_ratio")), LN10, rtol=1e-14)
    np.testing.assert_allclose(v(b10, ("cross_entropy", "mean_ratio")), LN10, rtol=1e-14)
    for kind, (natural, base10) in Layout(5, 5, 5).natural_and_base10("natural").items():
        b10_natural, b10_base10 = Layout(5, 5, 5).natural_and_base10("base10")[kind]
        np.testing.assert_allclose(v(nat, natural), v(b10, b10_natural), rtol=1e-15)
        np.testing.assert_allclose(v(nat, base10), v(b10, b10_base10), rtol=1e-15)
        np.testing.assert_allclose(v(nat, natural), v(nat, base10) * LN10, rtol=1e-14)


def test_safe_softmax_survives_huge_outputs_the_naive_one_does_not():
    book = build_book(seeded_inputs(images=2), log="natural").book
    engine = Engine(book).recalc()
    for score in (709.0, 710.0, 1e6, -1e6):
        engine.set_value("softmax", "B3", score)
        engine.recalc()
        safe = engine.values("softmax", "D13:D17")[:, 0]
        assert np.isfinite(safe).all() and math.isclose(safe.sum(), 1.0, rel_tol=1e-15)
        naive = engine.values("softmax", "D3:D7")[:, 0]
        if score > mirror.EXP_LIMIT:
            assert engine.value("softmax", "C3") == ExcelError("#NUM!")
            assert isinstance(engine.value("softmax", "D3"), ExcelError)
        else:
            np.testing.assert_allclose(naive, safe, rtol=1e-12)
        # the multi-class sheet's softmax (safe, on the same outputs) agrees
        np.testing.assert_allclose(engine.values("cross_entropy", "N4:R4")[0], safe, rtol=1e-15)


def test_default_match_is_exact_and_faithful_keeps_the_lesson_s():
    inputs = seeded_inputs(images=2)
    default = build_book(inputs, log="base10").book
    faithful = build_book(inputs, log="base10", faithful=True).book
    assert default["log_entropy"].formula_at("H2") == "=MATCH(1,B2:C2,0)"
    assert faithful["log_entropy"].formula_at("H2") == "=MATCH(1,B2:C2)"
    assert default["cross_entropy"].formula_at("AC4") == "=MATCH(1,X4:AB4,0)"
    assert "approximate" in default["log_entropy"].notes[(0, 7)]
    assert "709.78" in default["softmax"].notes[(11, 3)]
    with pytest.raises(UserError):
        build_book(inputs, log="natural", faithful=True)


def test_inputs_are_checked():
    good = dict(classes=("a", "b"), scores=np.zeros((2, 2)), y=[1, 0], p=[0.5, 0.5], targets=[0, 1])
    EntropyInputs(**good)
    for change in (dict(classes=("a", "A")), dict(classes=()), dict(scores=np.zeros((3, 2))),
                   dict(scores=np.full((2, 2), np.inf)), dict(y=[2, 0]), dict(p=[0.0, 0.5]), dict(p=[1.0, 0.5]),
                   dict(y=[1], p=[0.5, 0.5]), dict(targets=[0, 2]), dict(targets=[0.5, 1])):
        with pytest.raises(UserError):
            EntropyInputs(**{**good, **change})


# ------------------------------------------------------------------ the command --

def test_build_command_writes_a_deterministic_workbook(tmp_path, capsys):
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    args = ["build", "entropy", "--classes", "cat,dog,plane", "--images", "3", "--seed", "7", "--log", "base10"]
    assert main(args + ["--out", str(a)]) == 0
    assert main(args + ["--out", str(b)]) == 0
    assert a.read_bytes() == b.read_bytes()
    assert "5 sheets" in capsys.readouterr().out
    assert main(["check", str(a)]) == 0
    book = read_workbook(str(a))
    assert [s.name for s in book.sheets] == ["Start here", *SHEETS]
    assert Roles.from_book(book).on("softmax") == Layout(3, 3, 3).roles().on("softmax") and log_of(book) == "base10"
    assert book["softmax"].value("A5") == "plane" and book["softmax"].formula_at("C3") == "=EXP(B3)"


@pytest.mark.parametrize("args,message", [
    (["--classes", ""], "--classes is empty"),
    (["--classes", ","], "class 1 has an empty name"),
    (["--classes", "cat,dog,Cat"], "'Cat' appears twice"),
    (["--classes", "cat"], "at least two class names"),
    (["--images", "0"], "--images must be at least 1 (got 0)"),
    (["--images", "-2"], "--images must be at least 1 (got -2)"),
    (["--seed", "-1"], "--seed -1: must be from 0 to"),
    (["--images", "5000"], "--images must be at most 1000"),
    (["--images", "1000", "--classes", ",".join(f"c{k}" for k in range(21))], "at most 20,000"),
])
def test_bad_input_is_one_clear_line(tmp_path, capsys, args, message):
    out = tmp_path / "never.xlsx"
    assert main(["build", "entropy", *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sheetnet: error: ") and message in err and err.count("\n") == 1
    assert not out.exists()


def test_bad_input_from_the_shell_exits_2_without_a_traceback(tmp_path):
    for args in (["--classes", ""], ["--classes", "cat,cat"], ["--images", "0"]):
        run = subprocess.run([sys.executable, "-m", "sheetnet.cli", "build", "entropy", *args,
                              "--out", str(tmp_path / "x.xlsx")], capture_output=True, text=True, timeout=120)
        assert run.returncode == 2, run
        assert "Traceback" not in run.stderr and run.stderr.count("\n") == 1, run.stderr
