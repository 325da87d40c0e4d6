"""The macro-free gradient-descent workbook (`sheetnet build graddesc`):
sheetnet's engine, the numpy macros (sheetnet.optim) and LibreOffice agree."""

import math
import os
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st

from sheetnet import optim
from sheetnet.cli import main
from sheetnet.engine import Engine
from sheetnet.lessons.graddesc import generate_data, make_workbook
from sheetnet.optim import State, lesson_data, lesson_hyper, onestep, reset, somesteps, sweep
from sheetnet.refs import col_index

FIELDS = ("b", "a", "pred", "err2", "g_b", "g_a", "e_bh", "fd_b", "e_ah", "fd_a", "m_b", "m_a", "v_b", "v_a",
          "new_b", "new_a")


def _header_state(get, lay, blk) -> State:
    """The inputs of a block as the workbook holds them (get(row, col) -> float)."""
    c = lay.columns

    def val(key, default=0.0):
        return get(blk.header, col_index(c[key])) if key in c else default

    prev = val("prev", math.nan) if blk.kind == "epoch" else math.nan
    return State(b=val("b"), a=val("a"), m=(val("m_b"), val("m_a")), v=(val("v_b"), val("v_a")),
                 lr=val("lr"), prev_grad2=prev)


def _same_state(got: State, want: State, rtol: float) -> bool:
    pairs = [(got.b, want.b), (got.a, want.a), (got.lr, want.lr)] + list(zip(got.m, want.m)) + \
        list(zip(got.v, want.v))
    if not math.isnan(want.prev_grad2):
        pairs.append((got.prev_grad2, want.prev_grad2))
    if rtol == 0:
        return all(g == w for g, w in pairs)
    return all(math.isclose(g, w, rel_tol=rtol, abs_tol=1e-300) for g, w in pairs)


def check_sheet_against_mirror(get, lay, x, y, hp, rtol=0.0):
    """Every block: its inputs equal the mirror's (epoch k = reset + k x onestep), and every cell
    of its rows and its error equal the mirror's sweep from those inputs."""
    opt = lay.optimizer
    state = reset(opt, x, y, hp)
    for blk in lay.blocks:
        got = _header_state(get, lay, blk)
        if blk.kind == "epoch":
            assert _same_state(got, state, rtol), (opt, blk, got, state)
        sw = sweep(opt, got, x, y, hp)
        for field in FIELDS:
            if field not in lay.columns:
                continue
            col = col_index(lay.columns[field])
            cells = np.array([get(r, col) for r in range(blk.first, blk.last + 1)])
            want = getattr(sw, field)
            if rtol == 0:
                assert np.array_equal(cells, want), (opt, blk, field, cells, want)
            else:
                np.testing.assert_allclose(cells, want, rtol=rtol, err_msg=f"{opt} {blk} {field}")
        err = get(blk.footer, col_index(lay.columns["err2"]))
        assert err == sw.error if rtol == 0 else math.isclose(err, sw.error, rel_tol=rtol)
        if blk.kind == "epoch":
            state = onestep(opt, state, x, y, hp)


@pytest.fixture(scope="module")
def default_book(tmp_path_factory):
    """`sheetnet build graddesc` with default settings, written and recalculated."""
    out = tmp_path_factory.mktemp("graddesc") / "graddesc.xlsx"
    assert main(["build", "graddesc", "--out", str(out)]) == 0
    x, y = lesson_data()
    book, layout = make_workbook(x, y)
    engine = Engine(book).recalc()
    return out, book, layout, engine


def test_engine_equals_the_numpy_macros_bit_for_bit(default_book):
    _, book, layout, engine = default_book
    x, y = lesson_data()
    assert list(layout.sheets) == list(optim.OPTIMIZERS)
    for opt, lay in layout.sheets.items():
        grid = engine.values(lay.sheet, f"A1:R{lay.blocks[-1].footer + 1}")
        check_sheet_against_mirror(lambda r, c: float(grid[r, c]), lay, x, y, lesson_hyper(opt))


def test_epoch_5_rows_are_reset_plus_somesteps(default_book):
    """Epoch 5's block holds the sheet the lesson shows after reset + somesteps: basic b = 1.275463,
    rmsprop 3.189068, adam 24.960098 going into it."""
    _, _, layout, engine = default_book
    x, y = lesson_data()
    expect_b = {"sgd": 1.275463, "rmsprop": 3.189068, "adam": 24.960098}
    for opt, lay in layout.sheets.items():
        blk = lay.epoch_blocks()[5]
        s5 = somesteps(opt, reset(opt, x, y), x, y, n=5)[-1]
        sw = sweep(opt, s5, x, y)
        for field in ("b", "a", "new_b", "new_a"):
            col = col_index(lay.columns[field])
            got = engine.values(lay.sheet, f"{lay.columns[field]}{blk.first + 1}:{lay.columns[field]}{blk.last + 1}")
            assert np.array_equal(got[:, 0], getattr(sw, field)), (opt, field, col)
        if opt in expect_b:
            assert round(engine.value(lay.sheet, (blk.header, col_index(lay.columns["b"]))), 6) == expect_b[opt]
    # the basic sheet's error log 104.749 .. 103.993 is its epoch 1..5 errors
    basic = layout.sheets["sgd"]
    log = [engine.value("basic", (b.footer, col_index("F"))) for b in basic.epoch_blocks()[1:6]]
    assert [round(e, 3) for e in log] == [104.749, 104.560, 104.371, 104.182, 103.993]


def test_lesson_sheet_rows_match_the_saved_lesson_file(default_book):
    """basic's and rmsprop's epoch 5 = the rows graddesc.xlsm stores (its saved state), bit for bit."""
    path = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "lesson-workbooks", "graddesc.xlsm")
    if not os.path.exists(path):
        pytest.skip("the lesson workbooks are not beside the project")
    from sheetnet.xlsx.reader import read_workbook
    lesson = read_workbook(path)
    _, _, layout, engine = default_book
    for opt, cols in (("sgd", dict(C="b", D="a", M="new_a", N="new_b", K="g_b", F="err2")),
                      ("rmsprop", dict(C="b", D="a", H="new_b", I="new_a", J="v_b", K="v_a"))):
        lay = layout.sheets[opt]
        blk = lay.epoch_blocks()[5]
        for letter, field in cols.items():
            ours = lay.columns[field]
            got = engine.values(lay.sheet, f"{ours}{blk.first + 1}:{ours}{blk.last + 1}")[:, 0]
            want = np.array([lesson[lay.sheet].value(f"{letter}{r}") for r in range(4, 33)])
            assert np.array_equal(got, want), (opt, field)


def test_a_named_learning_rate_recalculates_every_epoch():
    x, y = lesson_data()
    book, layout = make_workbook(x, y)        # its own book: an engine edits the book's constants
    engine = Engine(book).recalc()
    lay = layout.sheets["adam"]
    engine.set_value("adam", "D1", 0.1)          # the cell named lr on the adam sheet
    engine.recalc()
    hp = lesson_hyper("adam", lr=0.1)
    grid = engine.values("adam", f"A1:O{lay.blocks[-1].footer + 1}")
    check_sheet_against_mirror(lambda r, c: float(grid[r, c]), lay, x, y, hp)
    names = {(n.name, n.scope): n.refers_to for n in book.names}
    assert names[("lr", "adam")] == "adam!$D$1"
    assert ("beta_1", "adam") in names and ("cut_ratio", "adam_ann") in names


def test_the_workbook_is_macro_free_deterministic_and_charted(default_book, tmp_path):
    out, book, layout, _ = default_book
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        assert not any("vba" in n.lower() for n in names)
        charts = [n for n in names if n.startswith("xl/charts/chart")]
        assert len(charts) == 3
        assert all(b"<c:lineChart>" in z.read(n) for n in charts)
        assert b'<c:logBase val="10"/>' in b"".join(z.read(n) for n in charts)
    again = tmp_path / "again.xlsx"
    assert main(["build", "graddesc", "--out", str(again)]) == 0
    assert again.read_bytes() == out.read_bytes()
    # summary: a, b, error per epoch per optimiser
    engine = Engine(book).recalc()
    cols = layout.summary_columns["rmsprop"]
    b5 = engine.value("summary", f"{cols['b']}{layout.summary_first_row + 5 + 1}")
    assert round(b5, 6) == 3.189068


def test_libreoffice_agrees_on_every_epoch(default_book, libreoffice):
    """LibreOffice Calc recalculates the generated file: every epoch's a and b (and every row's
    parameters) agree with sheetnet's engine and the numpy macros to rtol 1e-9."""
    out, _, layout, engine = default_book
    lo = libreoffice.recalculate(out)
    x, y = lesson_data()
    for opt, lay in layout.sheets.items():
        def get(r, c, sheet=lay.sheet):
            v = lo.value(sheet, r, c)
            assert isinstance(v, float), (sheet, r, c, v)
            return v
        check_sheet_against_mirror(get, lay, x, y, lesson_hyper(opt), rtol=1e-9)
        for blk in lay.epoch_blocks():
            for key in ("a", "b"):
                c = col_index(lay.columns[key])
                assert math.isclose(get(blk.header, c), engine.value(lay.sheet, (blk.header, c)), rel_tol=1e-9)
    first = layout.summary_first_row
    for opt, cols in layout.summary_columns.items():
        for k in range(layout.epochs + 1):
            for key, letter in cols.items():
                c = col_index(letter)
                assert math.isclose(lo.value("summary", first + k, c), engine.value("summary", (first + k, c)),
                                    rel_tol=1e-9)


# --- property: the numpy optimisers equal their formulas --------------------------------

@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_numpy_optimisers_equal_their_formulas_for_random_data_and_hyperparameters(data):
    n = data.draw(st.integers(1, 6), label="points")
    x = np.array(data.draw(st.lists(st.integers(1, 100), min_size=n, max_size=n), label="x"), dtype=float)
    slope = data.draw(st.floats(-5, 5, allow_nan=False), label="slope")
    intercept = data.draw(st.floats(-50, 50, allow_nan=False), label="intercept")
    y = intercept + x * slope
    hypers = {
        "sgd": lesson_hyper("sgd", lr=data.draw(st.floats(1e-6, 1e-4), label="lr sgd"),
                            h=data.draw(st.sampled_from([0.01, 0.1, 1e-3]), label="h")),
        "momentum": lesson_hyper("momentum", lr=data.draw(st.floats(1e-6, 1e-4), label="lr momentum"),
                                 beta1=data.draw(st.floats(0.5, 0.99), label="beta")),
        "rmsprop": lesson_hyper("rmsprop", lr=data.draw(st.floats(1e-3, 0.1), label="lr rmsprop"),
                                beta2=data.draw(st.floats(0.5, 0.99), label="beta rmsprop")),
        "adam": lesson_hyper("adam", lr=data.draw(st.floats(1e-3, 2.0), label="lr adam"),
                             beta1=data.draw(st.floats(0.5, 0.99), label="beta_1"),
                             beta2=data.draw(st.floats(0.5, 0.999), label="beta_2")),
        "adam_ann": lesson_hyper("adam_ann", lr=data.draw(st.floats(1e-3, 2.0), label="lr adam_ann"),
                                 beta2=data.draw(st.floats(0.5, 0.999), label="beta_2 ann"),
                                 anneal_ratio=data.draw(st.floats(1.01, 3.0), label="cut_ratio"),
                                 anneal_factor=data.draw(st.sampled_from([2.0, 4.0, 3.0]), label="cut_factor")),
    }
    epochs = data.draw(st.integers(0, 4), label="epochs")
    for opt, hp in hypers.items():
        assume(all(math.isfinite(r.error) for r in optim.run(opt, x, y, epochs, hp).records)
               and optim.run(opt, x, y, epochs, hp).diverged_at is None)
    book, layout = make_workbook(x, y, epochs)
    # set the hyperparameters through the named cells, as a user would
    cells = {"lr": "D1", "h": "D2", "beta": "F1", "beta_1": "F1", "beta_2": "F2", "cut_ratio": "H2",
             "cut_factor": "J2"}
    engine = Engine(book)
    for opt, hp in hypers.items():
        sheet = optim.SHEET_NAMES[opt]
        values = {"lr": hp.lr}
        if opt == "sgd":
            values["h"] = hp.h
        elif opt == "momentum":
            values["beta"] = hp.beta1
        elif opt == "rmsprop":
            values["beta"] = hp.beta2
        else:
            values.update(beta_1=hp.beta1, beta_2=hp.beta2)
        if opt == "adam_ann":
            values.update(cut_ratio=hp.anneal_ratio, cut_factor=hp.anneal_factor)
        for name, v in values.items():
            engine.set_value(sheet, cells[name], v)
    engine.recalc()
    for opt, lay in layout.sheets.items():
        grid = engine.values(lay.sheet, f"A1:R{lay.blocks[-1].footer + 1}")
        check_sheet_against_mirror(lambda r, c: float(grid[r, c]), lay, x, y, hypers[opt])


# --- the command ----------------------------------------------------------------------------

def test_build_options(tmp_path):
    out = tmp_path / "g.xlsx"
    assert main(["build", "graddesc", "--epochs", "3", "--seed", "7", "--points", "12", "--slope", "-1.5",
                 "--intercept", "4", "--lr", "adam=0.5", "sgd=2e-4", "--randbetween", "--out", str(out)]) == 0
    from sheetnet.xlsx.reader import read_workbook
    book = read_workbook(str(out))
    x, y = generate_data(7, 12, -1.5, 4.0)
    data = book["data"]
    assert [data.value((4 + i, 0)) for i in range(12)] == x.tolist()
    assert [data.value((4 + i, 1)) for i in range(12)] == y.tolist()
    assert data.formula_at("D5") == "=RANDBETWEEN(1,100)"
    assert book["adam"].value("D1") == 0.5 and book["basic"].value("D1") == 2e-4
    # 3 epochs -> epoch blocks 0..3; epoch 3's b equals the mirror's
    _, layout = make_workbook(x, y, 3)
    blk = layout.sheets["adam"].epoch_blocks()[3]
    s = somesteps("adam", reset("adam", x, y, lesson_hyper("adam", lr=0.5)), x, y, lesson_hyper("adam", lr=0.5), 3)
    assert book["adam"].value((blk.header, 2)) == s[-1].b


@pytest.mark.parametrize("argv, message", [
    (["--lr", "adam=-1"], "positive"),
    (["--lr", "adam=0"], "positive"),
    (["--lr", "nadam=0.1"], "unknown optimiser 'nadam'"),
    (["--optimizers", "sgd,foo"], "unknown optimiser 'foo'"),
    (["--epochs", "-1"], "--epochs"),
    (["--points", "0"], "--points"),
])
def test_build_bad_input_is_one_line_exit_2(argv, message, tmp_path, capsys):
    assert main(["build", "graddesc", *argv, "--out", str(tmp_path / "x.xlsx")]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "x.xlsx").exists()
