"""sheetnet diff: the cells a student changed in a lesson workbook."""

import json
import os

from sheetnet.cli import main
from sheetnet.xlsx.reader import read_workbook
from sheetnet.xlsx.writer import write_workbook

ROOT = os.path.join(os.path.dirname(__file__), "..")
COLLAB = os.path.join(ROOT, "workbooks", "collab_filter.xlsx")


def _student_copy(tmp_path):
    book = read_workbook(COLLAB)
    s = book["dotprod"]
    s["H19"] = 0.5                       # a factor edited: 13 predictions and the RMSE move
    s.set_formula("V41", "=1+1")         # the RMSE typed over
    book.add_sheet("mine")["A1"] = "notes"
    out = tmp_path / "student.xlsx"
    write_workbook(book, str(out))
    return str(out)


def test_lists_edits_formulas_and_moved_results(tmp_path, capsys):
    student = _student_copy(tmp_path)
    assert main(["diff", COLLAB, student, "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    cells = {c["cell"]: c for c in out["cells"] if c["sheet"] == "dotprod"}
    assert cells["H19"]["change"] == "value" and cells["H19"]["value_b"] == 0.5
    assert cells["V41"]["change"] == "formula" and cells["V41"]["formula_b"] == "=1+1"
    assert cells["H25"]["change"] == "value" and cells["H25"]["formula_a"] == cells["H25"]["formula_b"]
    assert out["sheets_only_in_b"] == ["mine"] and not out["same"]
    assert len(cells) == 15 and out["count"] == 15        # H19, V41 and the 13 rated predictions in column H
    assert main(["diff", COLLAB, student, "--max", "2"]) == 1
    text = capsys.readouterr().out
    assert "sheet 'dotprod': 15 cell(s) differ" in text and "... and 13 more" in text
    assert "sheet 'mine': only in" in text


def test_same_file_is_exit_0_and_refilled_formulas_compare_equal(tmp_path, capsys):
    book = read_workbook(COLLAB)
    s = book["dotprod"]
    s.set_formula("H25", s.formula_at("H25"))    # re-entered by hand: the same formula, now on its own
    out = tmp_path / "same.xlsx"
    write_workbook(book, str(out))
    assert main(["diff", COLLAB, str(out)]) == 0
    assert "the same" in capsys.readouterr().out


def test_bad_inputs_are_one_line_exit_2(tmp_path, capsys):
    assert main(["diff", COLLAB, str(tmp_path / "missing.xlsx")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "missing.xlsx" in err[0]
    assert main(["diff", COLLAB, COLLAB, "--rtol", "nan"]) == 2
