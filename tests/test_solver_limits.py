"""Excel's built-in Solver stops at 200 changing cells and 100 constraints:
`sheetnet build` warns (stderr and a note on the objective cell) or, with
--solver-limit, refuses with one line and writes nothing."""

import zipfile

from sheetnet.cli import main
from sheetnet.xlsx.reader import read_workbook
from sheetnet.lessons.solver_limits import excel_limit_problems
from sheetnet.book import Book, SolverModel


def _ratings(path, users=21, movies=21):
    lines = [f"{u}\t{m}\t{1 + (u * 7 + m * 3) % 5}\t0" for u in range(1, users + 1) for m in range(1, movies + 1)]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_past_the_limit_warns_and_notes_the_objective(tmp_path, capsys):
    out = tmp_path / "big.xlsx"
    assert main(["build", "collab", "--ratings", _ratings(tmp_path / "u.data"), "--users", "21", "--movies", "21",
                 "--out", str(out)]) == 0
    err = capsys.readouterr().err
    # dotprod: (21 + 21) x 5 factors = 210 changing cells; bias: + 42 biases = 252
    assert "sheetnet: warning:" in err and "'dotprod' has 210 changing cells" in err and "'bias' has 252" in err
    assert len(excel_limit_problems(read_workbook(str(out)))) == 4
    with zipfile.ZipFile(out) as z:
        notes = "".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/comments"))
    assert notes.count("Too big for Excel&apos;s Solver") + notes.count("Too big for Excel's Solver") == 4


def test_solver_limit_refuses_with_one_line_and_no_file(tmp_path, capsys):
    out = tmp_path / "big.xlsx"
    code = main(["build", "collab", "--ratings", _ratings(tmp_path / "u.data"), "--users", "21", "--movies", "21",
                 "--out", str(out), "--solver-limit"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and not out.exists()
    assert len(err) == 1 and err[0].startswith(f"sheetnet: error: {out}: the Solver model on 'dotprod' has 210")


def test_within_the_limit_is_silent(tmp_path, capsys):
    assert main(["build", "collab", "--out", str(tmp_path / "c.xlsx"), "--solver-limit"]) == 0
    assert "warning" not in capsys.readouterr().err


def test_constraints_count_one_per_cell():
    book = Book()
    s = book.add_sheet("m")
    s["A1"] = "=SUM(B1:B3)"
    model = SolverModel("m", "m!$A$1", ["m!$B$1:$B$3"])
    model.options.update({"solver_num": "1", "solver_lhs1": "m!$C$1:$C$101", "solver_rel1": "1",
                          "solver_rhs1": "1"})
    book.set_solver_model(model)
    (found, line), = excel_limit_problems(book)
    assert "101 constraints" in line
