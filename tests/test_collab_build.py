"""`sheetnet build collab`: the workbook, its Solver models and layout, the
--ratings path, deterministic bytes, bad input, and LibreOffice's verdict."""

import math
import os
import time

import numpy as np
import pytest

from sheetnet.check import check_file
from sheetnet.cli import main
from sheetnet.engine import Engine
from sheetnet.lessons import Roles, all_lessons
from sheetnet.lessons.collab.inputs import initial_inputs
from sheetnet.lessons.collab.layout import SHEETS, collab_layout
from sheetnet.lessons.collab.ratings import read_ratings, select_top
from sheetnet.lessons.collab.sheet import build_workbook
from sheetnet.refs import absolute_ref
from sheetnet.xlsx.reader import read_workbook
from sheetnet.xlsx.writer import write_workbook


def roles(book) -> dict:
    """{sheet: {role: Area}}, read back from the workbook's defined names."""
    found = Roles.from_book(book)
    return {s.name: found.on(s.name) for s in book.sheets}


def build(tmp_path, *args, name="collab.xlsx"):
    out = tmp_path / name
    code = main(["build", "collab", *args, "--out", str(out)])
    return code, out


def make_ratings_csv(path, n=2000, users=60, movies=80, seed=3, sep=",", header=True, timestamp=True):
    """A small MovieLens-shaped file: distinct (user, movie) pairs, skewed popularity."""
    rng = np.random.default_rng(seed)
    pw = 1.0 / np.arange(1, users * movies + 1) ** 0.5
    cells = rng.choice(users * movies, n, replace=False, p=pw / pw.sum())
    u = 1 + cells // movies
    m = 10 + 7 * (cells % movies)
    r = rng.integers(1, 11, n) / 2
    lines = ["userId,movieId,rating,timestamp" if timestamp else "userId,movieId,rating"] if header else []
    for a, b, c in zip(u.tolist(), m.tolist(), r.tolist()):
        fields = [str(a), str(b), f"{c:g}"] + (["964982703"] if timestamp else [])
        lines.append(sep.join(fields))
    path.write_text("\n".join(lines) + "\n")
    return u, m, r


# --- the default workbook --------------------------------------------------------------------------


def test_lesson_is_discovered():
    b = all_lessons()["collab"]
    assert b.default_out == "workbooks/collab_filter.xlsx" and b.rows is not None


def test_default_build(tmp_path, capsys):
    t = time.perf_counter()
    code, out = build(tmp_path)
    seconds = time.perf_counter() - t
    assert code == 0
    assert seconds < 10          # about 0.3 s on an idle machine
    book = read_workbook(str(out))
    assert [s.name for s in book.sheets] == ["Start here", *SHEETS]       # the teacher's guide first
    assert check_file(str(out)).ok
    # the lesson's layout: dotprod's RMSE in V41, bias's in V42, 1hot's in BH210, emb's in Y210
    found = roles(book)
    assert found["dotprod"]["rmse"].a1 == "V41" and found["bias"]["rmse"].a1 == "V42"
    assert found["movielens_1hot"]["rmse"].a1 == "BH210" and found["movielens_emb"]["rmse"].a1 == "Y210"
    assert found["dotprod"]["ratings"].a1 == "H2:V16" and found["dotprod"]["user_factors"].a1 == "B25:F39"
    inputs = initial_inputs(select_top(read_ratings(_fixture()), 15, 15))
    expected = collab_layout(15, 15, 5, 206, len(inputs.vocabulary), len(inputs.text)).roles()
    for sheet in SHEETS:
        assert found[sheet] == expected.on(sheet)
    # exact MATCH by default, and a note says why
    s = book["movielens_emb"]
    assert s.formula_at("L3") == "=MATCH(I3,$B$4:$B$18,0)"
    made = build_workbook(inputs)
    assert "sorted" in made.book["movielens_emb"].notes[(2, 11)]
    assert all(len(n) < 240 and n.count(". ") == 0 for sh in made.book.sheets for n in sh.notes.values())
    # the objective means the same in every application
    assert "SUMPRODUCT((H2:V16<>\"\")" in book["bias"].formula_at("V42")


def _fixture():
    from sheetnet.lessons.collab.ratings import FIXTURE
    return FIXTURE


def test_every_model_sheet_has_a_solver_model(tmp_path):
    code, out = build(tmp_path)
    book = read_workbook(str(out))
    models = book.solver_models()
    assert sorted(models) == sorted(["dotprod", "movielens_1hot", "movielens_emb", "bias"])
    found = roles(book)
    for sheet, model in models.items():
        assert model.problems == []
        assert model.objective == absolute_ref(found[sheet]["rmse"], sheet)
        assert model.goal == "min" and model.engine == "GRG Nonlinear"
        sheet_obj, objective = book.resolve_area(model.objective)
        assert sheet_obj.formula_at((objective.r0, objective.c0)).startswith("=SQRT(")
        for changing in model.changing:
            s, a = book.resolve_area(changing)
            # Solver may only change constants
            assert all(s.formula_at(cell) is None for cell in a.cells())
        names = {n.name for n in book.names if n.scope == sheet and n.name.startswith("solver_")}
        assert {"solver_opt", "solver_adj", "solver_typ", "solver_eng", "solver_cvg", "solver_drv"} <= names
        assert all(n.hidden for n in book.names if n.name.startswith("solver_"))
    assert models["bias"].changing == ["bias!$H$19:$V$24", "bias!$A$26:$F$40"]
    assert models["dotprod"].changing == ["dotprod!$H$19:$V$23", "dotprod!$B$25:$F$39"]


def test_same_arguments_same_bytes(tmp_path):
    _, a = build(tmp_path, "--seed", "7", name="a.xlsx")
    _, b = build(tmp_path, "--seed", "7", name="b.xlsx")
    _, c = build(tmp_path, "--seed", "8", name="c.xlsx")
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()


def test_sigmoid_range(tmp_path):
    code, out = build(tmp_path, "--sigmoid-range", "0", "5.5", "--factors", "3")
    assert code == 0
    assert check_file(str(out)).ok
    book = read_workbook(str(out))
    found = roles(book)
    e = Engine(book).recalc()
    for sheet in ("dotprod", "bias"):
        preds = e.values(sheet, found[sheet]["predictions"].a1)
        rated = ~np.isnan(e.values(sheet, found[sheet]["ratings"].a1))
        assert ((preds[rated] > 0) & (preds[rated] < 5.5)).all() and (preds[~rated] == 0).all()
        assert book[sheet].value(found[sheet]["y_high"].a1) == 5.5
    first = found["movielens_emb"]["predictions"]
    assert "EXP(-SUMPRODUCT(" in book["movielens_emb"].formula_at((first.r0, first.c0))
    assert build(tmp_path, "--sigmoid-range", "5", "1", name="bad.xlsx")[0] == 2


# --- --ratings ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "udata"])
def test_ratings_file_top_users_and_movies(tmp_path, fmt):
    path = tmp_path / ("ratings.csv" if fmt == "csv" else "u.data")
    if fmt == "csv":
        u, m, r = make_ratings_csv(path)
    else:
        u, m, r = make_ratings_csv(path, sep="\t", header=False)
    code, out = build(tmp_path, "--ratings", str(path), "--users", "20", "--movies", "30", "--factors", "4")
    assert code == 0
    # the lesson's choice, computed the plain way: most ratings first, ties by the smaller id
    def top(ids, n):
        uniq, counts = np.unique(ids, return_counts=True)
        ranked = sorted(zip(-counts, uniq))[:n]
        return sorted(int(i) for _, i in ranked)
    users, movies = top(u, 20), top(m, 30)
    keep = np.isin(u, users) & np.isin(m, movies)
    book = read_workbook(str(out))
    found = roles(book)
    s = book["movielens_emb"]
    assert [int(s.value((r_, 1))) for r_ in range(found["movielens_emb"]["user_ids"].r0,
                                                   found["movielens_emb"]["user_ids"].r1 + 1)] == users
    assert found["movielens_emb"]["predictions"].height == keep.sum()
    d = found["dotprod"]
    assert d["ratings"].height == 20 and d["ratings"].width == 30
    e = Engine(book).recalc()
    table = e.values("dotprod", d["ratings"].a1)
    assert np.nansum(table) == pytest.approx(r[keep].sum()) and (~np.isnan(table)).sum() == keep.sum()
    assert check_file(str(out)).ok


def test_max_cells_leaves_big_sheets_out(tmp_path, capsys):
    path = tmp_path / "ratings.csv"
    make_ratings_csv(path)
    code, out = build(tmp_path, "--ratings", str(path), "--users", "40", "--movies", "60", "--max-cells", "2000")
    assert code == 0
    said = capsys.readouterr().out
    assert "dotprod and bias left out" in said and "movielens_1hot left out" in said
    book = read_workbook(str(out))
    assert [s.name for s in book.sheets] == ["Start here", "movielens_emb", "word_emb"]
    assert sorted(book.solver_models()) == ["movielens_emb"]
    assert check_file(str(out)).ok


def _formula_looking_ids(tmp_path):
    path = tmp_path / "ratings.csv"
    users = ["=1+1", "+cmd", "-2-3", "@SUM(A1)", "=HYPERLINK(\"x\")"]
    movies = ["=A1", "@x", "+1+", "-", "bob"]
    lines = ["userId,movieId,rating"]
    for i, u in enumerate(users):
        for j, m in enumerate(movies):
            if (i + j) % 3:
                q = '"' + m.replace('"', '""') + '"'
                uq = '"' + u.replace('"', '""') + '"'
                lines.append(f"{uq},{q},{1 + (i * j) % 5}")
    path.write_text("\n".join(lines) + "\n")
    code, out = build(tmp_path, "--ratings", str(path), "--users", "5", "--movies", "5", name="text_ids.xlsx")
    assert code == 0
    return users, movies, out


def test_titles_and_ids_that_look_like_formulas_stay_text(tmp_path):
    users, movies, out = _formula_looking_ids(tmp_path)
    book = read_workbook(str(out))
    found = roles(book)
    s = book["dotprod"]
    header = [s.value(cell) for cell in found["dotprod"]["movie_ids"].cells()]
    assert sorted(header) == sorted(movies)
    for cell in list(found["dotprod"]["movie_ids"].cells()) + list(found["dotprod"]["user_ids"].cells()):
        assert s.formula_at(cell) is None and isinstance(s.value(cell), str)
    emb = book["movielens_emb"]
    for cell in found["movielens_emb"]["rating_users"].cells():
        assert emb.formula_at(cell) is None and emb.value(cell) in users
    # MATCH finds the text ids exactly, so every prediction is a number
    e = Engine(book).recalc()
    assert not np.isnan(e.values("movielens_emb", found["movielens_emb"]["predictions"].a1)).any()
    assert check_file(str(out)).ok


# --- bad input: one clear line, exit 2, nothing written ------------------------------------------------


def _bad(tmp_path, capsys, args, *needles):
    out = tmp_path / "out" / "bad.xlsx"
    out.parent.mkdir(exist_ok=True)
    code = main(["build", "collab", *args, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("sheetnet: error: ")
    for needle in needles:
        assert needle in err
    assert os.listdir(out.parent) == []          # no partial file, no temporary left behind
    return err


def test_malformed_line_is_named(tmp_path, capsys):
    path = tmp_path / "ratings.csv"
    make_ratings_csv(path, n=300)
    lines = path.read_text().splitlines()
    lines[57] = "12,40"
    path.write_text("\n".join(lines) + "\n")
    _bad(tmp_path, capsys, ["--ratings", str(path)], f"{path}:58:", "found 2")


def test_rating_that_is_not_a_number(tmp_path, capsys):
    path = tmp_path / "u.data"
    make_ratings_csv(path, n=300, sep="\t", header=False)
    lines = path.read_text().splitlines()
    lines[99] = "\t".join(lines[99].split("\t")[:2] + ["five", "0"])
    path.write_text("\n".join(lines) + "\n")
    _bad(tmp_path, capsys, ["--ratings", str(path)], f"{path}:100:", "'five' is not a number")
    lines[99] = "\t".join(lines[99].split("\t")[:2] + ["nan", "0"])
    path.write_text("\n".join(lines) + "\n")
    _bad(tmp_path, capsys, ["--ratings", str(path)], f"{path}:100:", "not a finite number")


def test_fewer_users_than_asked(tmp_path, capsys):
    path = tmp_path / "ratings.csv"
    make_ratings_csv(path, n=300)
    _bad(tmp_path, capsys, ["--ratings", str(path), "--users", "500"], "fewer than the 500 asked for (--users)")
    _bad(tmp_path, capsys, ["--ratings", str(path), "--movies", "900"], "(--movies)")


def test_other_bad_files(tmp_path, capsys):
    path = tmp_path / "ratings.csv"
    _bad(tmp_path, capsys, ["--ratings", str(path)], "no such file")
    path.write_text("")
    _bad(tmp_path, capsys, ["--ratings", str(path)], "empty")
    path.write_text("user,title,stars\n1,2,3\n")
    _bad(tmp_path, capsys, ["--ratings", str(path)], f"{path}:1:", "header")
    path.write_text("userId,movieId,rating\n1,2,3\n1,5,4\n1,2,5\n")
    _bad(tmp_path, capsys, ["--ratings", str(path)], f"{path}:4:", "twice (also on line 2)")
    path.write_text("userId,movieId,rating\nab*,2,3\n")
    _bad(tmp_path, capsys, ["--ratings", str(path)], f"{path}:2:", "wildcards")
    path.write_text("userId,movieId,rating\nAnn,2,3\nann,3,3\n")
    _bad(tmp_path, capsys, ["--ratings", str(path)], f"{path}:3:", "only in case")
    path.write_bytes(b"userId,movieId,rating\n1,2,\xff\n")
    _bad(tmp_path, capsys, ["--ratings", str(path)], f"{path}:2:", "UTF-8")
    _bad(tmp_path, capsys, ["--factors", "0"], "--factors")


def test_output_in_a_missing_folder(tmp_path, capsys):
    out = tmp_path / "missing" / "collab.xlsx"
    code = main(["build", "collab", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "does not exist" in err
    assert not out.parent.exists()


# --- the outside judge ------------------------------------------------------------------------------------


def _same(theirs, ours) -> bool:
    if isinstance(ours, float):
        return isinstance(theirs, float) and math.isclose(theirs, ours, rel_tol=1e-9, abs_tol=1e-12)
    return theirs == ours


@pytest.mark.libreoffice
def test_libreoffice_recalculation_agrees(libreoffice, tmp_path):
    """LibreOffice Calc headless recalculates the generated workbooks (default
    and with a sigmoid range) to the values sheetnet cached, rtol 1e-9."""
    paths = []
    for name, args in (("default.xlsx", []), ("sigmoid.xlsx", ["--sigmoid-range", "0", "5.5", "--seed", "2"])):
        code, out = build(tmp_path, *args, name=name)
        assert code == 0
        paths.append(str(out))
    paths.append(str(_formula_looking_ids(tmp_path)[2]))      # text ids such as "=1+1" stay text there too
    results = libreoffice.recalculate_many(paths)
    for path, lo in zip(paths, results):
        book = read_workbook(path)
        compared, bad = 0, []
        for sheet in book.sheets:
            for g in sheet.groups:
                rr, cc = g.footprint()
                for r, c in zip(rr.tolist(), cc.tolist()):
                    ours, theirs = sheet.value((r, c)), lo.value(sheet.name, r, c)
                    compared += 1
                    if not _same(theirs, ours):
                        bad.append((sheet.name, r, c, ours, theirs))
        assert compared > 900
        assert bad == []


def test_written_values_are_the_engines(tmp_path):
    """What the file caches is what the engine computes from the Book."""
    inputs = initial_inputs(select_top(read_ratings(_fixture()), 10, 12), factors=2, seed=5)
    made = build_workbook(inputs)
    path = tmp_path / "w.xlsx"
    write_workbook(made.book, str(path))
    stored = read_workbook(str(path))
    rmse = made.roles["dotprod", "rmse"].area
    e = Engine(made.book).recalc()
    assert stored["dotprod"].value(rmse.a1) == e.value("dotprod", rmse.a1)
