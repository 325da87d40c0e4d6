"""`sheetnet optimize`: table, CSV, PNG, workbook, JSON, divergence, bad input."""

import csv
import json

import pytest

from sheetnet.lessons.graddesc import mirror as optim
from sheetnet.cli import main
from sheetnet.lessons.graddesc.inputs import lesson_data
from sheetnet.lessons.graddesc.mirror import reset, somesteps


def test_optimize_writes_table_csv_png_and_workbook(tmp_path, capsys):
    out = tmp_path / "res"
    assert main(["optimize", "--epochs", "5", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "epoch" in text and "adam_ann" in text
    assert "sgd: after 5 epochs a = 2.569996, b = 1.275463" in text
    assert "rmsprop: after 5 epochs a = 2.40362, b = 3.189068" in text
    assert "adam: after 5 epochs a = 1.703742, b = 24.9601" in text
    rows = list(csv.DictReader(open(out / "optimize.csv")))
    assert len(rows) == 5 * 6
    sgd5 = [r for r in rows if r["optimizer"] == "sgd" and r["epoch"] == "5"][0]
    x, y = lesson_data()
    assert float(sgd5["b"]) == somesteps("sgd", reset("sgd", x, y), x, y)[-1].b
    png = (out / "optimize.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
    from sheetnet.xlsx.reader import read_workbook
    book = read_workbook(str(out / "graddesc.xlsx"))
    assert [s.name for s in book.sheets] == ["data", "basic", "momentum", "rmsprop", "adam", "adam_ann", "summary"]


def test_optimize_json_from_reset(tmp_path, capsys):
    assert main(["optimize", "--optimizers", "sgd,adam", "--epochs", "3", "--lr", "adam=0.5", "--json",
                 "--no-workbook", "--out", str(tmp_path / "o")]) == 0
    data = json.loads(capsys.readouterr().out)
    assert list(data) == ["sgd", "adam"]
    assert [e["epoch"] for e in data["sgd"]] == [0, 1, 2, 3]
    assert data["sgd"][0] == {"epoch": 0, "a": 1.0, "b": 1.0, "error": data["sgd"][0]["error"]}
    x, y = lesson_data()
    hp = optim.lesson_hyper("adam", lr=0.5)
    s3 = somesteps("adam", reset("adam", x, y, hp), x, y, hp, n=3)[-1]
    assert (data["adam"][3]["a"], data["adam"][3]["b"]) == (s3.a, s3.b)


def test_divergence_is_reported_with_its_epoch(tmp_path, capsys):
    argv = ["optimize", "--optimizers", "sgd", "--epochs", "30", "--lr", "sgd=0.001", "--out", str(tmp_path / "d")]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "sgd: it diverged at epoch 20" in text
    assert "inf" not in text.lower().replace("info", "") and "nan" not in text.lower()
    assert main(argv + ["--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["sgd"][-1] == {"epoch": 20, "a": None, "b": None, "error": None, "diverged": True}
    assert len(data["sgd"]) == 21
    rows = list(csv.DictReader(open(tmp_path / "d" / "optimize.csv")))
    assert rows[-1]["status"] == "diverged" and rows[-1]["epoch"] == "20"


def test_user_csv_data(tmp_path, capsys):
    data = tmp_path / "xy.csv"
    data.write_text("x,y\n1,3\n2,5\n\n3,7.5\n")
    assert main(["optimize", "--data", str(data), "--epochs", "2", "--json", "--out", str(tmp_path / "o")]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == set(optim.OPTIMIZERS)
    assert (tmp_path / "o" / "graddesc.xlsx").exists()


@pytest.mark.parametrize("content, message", [
    ("x,y\n1,2\n3,abc\n", "line 3: expected two numbers x,y separated by ',', got '3,abc'"),
    ("1,2\n3\n", "line 2: expected two numbers"),
    ("1,2,3\n", "line 1: expected two numbers"),
    ("1,nan\n", "line 1: expected two numbers"),
    ("", "no x,y data rows"),
    ("x,y\n", "no x,y data rows"),
])
def test_bad_csv_is_one_line_exit_2(tmp_path, capsys, content, message):
    data = tmp_path / "bad.csv"
    data.write_text(content)
    assert main(["optimize", "--data", str(data), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err


@pytest.mark.parametrize("argv, message", [
    (["--lr", "adam=-0.1"], "the learning rate must be a positive number"),
    (["--lr", "sgd=0"], "the learning rate must be a positive number"),
    (["--lr", "adam=fast"], "expected NAME=VALUE"),
    (["--optimizers", "sgd,lbfgs"], "unknown optimiser 'lbfgs'"),
    (["--lr", "lbfgs=0.1"], "unknown optimiser 'lbfgs'"),
    (["--data", "/nonexistent/xy.csv"], "no such file"),
    (["--epochs", "-2"], "--epochs"),
])
def test_bad_arguments_are_one_line_exit_2(tmp_path, capsys, argv, message):
    assert main(["optimize", *argv, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "o").exists()
