"""Every command with absurd options, bad output places and killed runs (issue 13).

Each case of the issue's list is one test: what used to end in a traceback,
an "OK", a partial or overwritten file, or a run that never ended.  What must
happen instead: one line `sheetnet: error: ...` and exit 2 before any work
(or "diverged at epoch N" for a numerical blow-up), no output file, every
input unchanged, no temporary left behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from hostile_inputs import cell, file_digest, package, sheet_xml
from sheetnet.cli import main

LONG_NAME = "a" * 300


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_line(code, err, *fragments, exit_code=2):
    """Exit 2 and one error line (after any `sheetnet: note:` lines said on the way)."""
    assert code == exit_code, err
    lines = err.splitlines()
    assert len(lines) >= 1 and lines[-1].startswith("sheetnet: error: "), err
    assert all(line.startswith("sheetnet: note: ") for line in lines[:-1]), err
    err = lines[-1]
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, err


def leftovers(folder) -> list[str]:
    return sorted(n for n in os.listdir(folder) if n.startswith(".sheetnet-") or n.endswith(".tmp"))


@pytest.fixture
def solver_book(tmp_path):
    names = ('<definedName name="solver_opt" localSheetId="0" hidden="1">S!$B$1</definedName>'
             '<definedName name="solver_adj" localSheetId="0" hidden="1">S!$A$1</definedName>')
    return package(tmp_path / "model.xlsx", {"S": sheet_xml([cell("A1", 2), cell("B1", 4, "(A1-1)^2+3")])},
                   names=names)


@pytest.fixture
def ratings(tmp_path):
    """1,000 ratings of 40 users x 30 movies, MovieLens u.data layout."""
    rng = np.random.default_rng(0)
    path = tmp_path / "u.data"
    path.write_text("".join(f"{u}\t{m}\t{r}\t0\n" for u, m, r in zip(rng.integers(1, 41, 1000),
                                                                  rng.integers(1, 31, 1000),
                                                                  rng.integers(1, 6, 1000))))
    return str(path)


# --------------------------------------------------------------------------- where output goes

def _bad_outputs(tmp_path, suffix):
    a_file = tmp_path / "plain.txt"
    a_file.write_text("x")
    (tmp_path / f"folder{suffix}").mkdir()
    return [
        (str(tmp_path / "missing" / f"x{suffix}"), "the folder"),                 # a folder that does not exist
        (str(a_file / f"x{suffix}"), "is not a folder"),                         # inside a plain file
        ("/proc/sheetnet-test" + suffix, "cannot write into /proc"),             # unwritable, even for root
        (str(tmp_path / f"folder{suffix}"), "is a folder"),                      # an existing folder
        (str(tmp_path / (LONG_NAME + suffix)), "the file name is too long"),     # a 300-character name
    ]


def test_build_out_places(tmp_path, capsys):
    for out, message in _bad_outputs(tmp_path, ".xlsx"):
        one_line(*run(capsys, "build", "collab", "--out", out)[::2], message)
    one_line(*run(capsys, "build", "collab", "--out", tmp_path / "x.xlsm")[::2], "must end with .xlsx")
    assert leftovers(tmp_path) == []


def test_solve_out_places(tmp_path, capsys, solver_book):
    before = file_digest(solver_book)
    for out, message in _bad_outputs(tmp_path, ".xlsx"):
        one_line(*run(capsys, "solve", solver_book, "--out", out)[::2], message)
    one_line(*run(capsys, "solve", solver_book, "--out", tmp_path / "x.xlsm")[::2], "must end with .xlsx")
    one_line(*run(capsys, "solve", solver_book, "--out", solver_book)[::2], "that is the input file")
    assert file_digest(solver_book) == before and leftovers(tmp_path) == []


def test_optimize_out_places(tmp_path, capsys):
    a_file = tmp_path / "plain.txt"
    a_file.write_text("x")
    for out, message in [(a_file, "exists and is not a folder"), (a_file / "sub", "is not a folder"),
                         ("/proc/sheetnet-test", "cannot write into /proc"),
                         (tmp_path / LONG_NAME, "the folder name is too long"),
                         (tmp_path / "missing" / "sub", "the folder")]:
        one_line(*run(capsys, "optimize", "--epochs", "1", "--out", out)[::2], message)
    assert leftovers(tmp_path) == []


def test_optimize_never_overwrites_its_own_data(tmp_path, capsys):
    """`optimize --data DIR/optimize.csv --out DIR` used to overwrite its input."""
    data = tmp_path / "optimize.csv"
    data.write_text("x,y\n1,32\n2,34\n3,36\n")
    before = file_digest(data)
    one_line(*run(capsys, "optimize", "--data", data, "--out", tmp_path)[::2],
             "it would overwrite", "an input of this command")
    assert file_digest(data) == before and sorted(os.listdir(tmp_path)) == ["optimize.csv"]


def test_build_never_overwrites_its_input(tmp_path, capsys, ratings):
    renamed = tmp_path / "ratings.xlsx"
    os.rename(ratings, renamed)
    before = file_digest(renamed)
    one_line(*run(capsys, "build", "collab", "--ratings", renamed, "--out", renamed)[::2], "an input of this command")
    assert file_digest(renamed) == before


# --------------------------------------------------------------------------- option values

@pytest.mark.parametrize("argv, message", [
    (["build", "collab", "--seed", "-1"], "--seed -1: must be from 0 to 4,294,967,295"),
    (["build", "graddesc", "--seed", "-1"], "--seed -1: must be from 0"),
    (["build", "entropy", "--seed", "-5"], "--seed -5: must be from 0"),
    (["build", "collab", "--sigmoid-range", "0", "inf"], "'inf' is not a finite number"),
    (["build", "collab", "--sigmoid-range", "5", "1"], "--sigmoid-range 5 1: needs LO < HI"),
    (["build", "graddesc", "--slope", "nan"], "'nan' is not a finite number"),
    (["build", "graddesc", "--slope", "1e308", "--out", "x.xlsx"], "y = A*x + B overflows for x = "),
    (["build", "collab", "--factors", "20000", "--out", "x.xlsx"], "outside Excel's grid"),
    (["build", "graddesc", "--points", "1000", "--epochs", "200", "--out", "x.xlsx"],
     "--points 1000 --epochs 200: a workbook of 16,224,000 formula cells needs about 10.6 GiB"),
    (["check", "x.xlsx", "--rtol", "nan"], "'nan' is not a finite number"),
    (["check", "x.xlsx", "--atol", "-1"], "--atol -1: must be >= 0"),
    (["optimize", "--epochs", "-1"], "--epochs -1: must be from 0 to 100,000"),
    (["optimize", "--eps", "inf"], "'inf' is not a finite number"),
    (["--max-memory", "lots", "check", "x.xlsx"], "'lots' is not a size"),
    # numbers are plain ASCII decimals, as in a workbook (int() and float() take these)
    (["build", "graddesc", "--epochs", "1_0"], "--epochs: '1_0' is not a whole number"),
    (["build", "graddesc", "--slope", "\u0663"], "--slope: '\u0663' is not a number"),
])
def test_absurd_options_are_refused_before_any_work(tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.chdir(tmp_path)
    started = time.perf_counter()
    one_line(*run(capsys, *argv)[::2], message)
    assert time.perf_counter() - started < 10
    assert os.listdir(tmp_path) == []


def test_train_collab_options(capsys, ratings):
    for argv, message in [(["--seed", "-1"], "--seed -1: must be from 0"),
                          (["--lr", "1e300"], "--lr 1e+300 (with --wd 0.1): too large for float32"),
                          (["--valid-pct", "nan"], "'nan' is not a finite number"),
                          (["--factors", "100000000"], "--factors 100000000: the model's"),
                          (["--threads", "100000"], "--threads 100000: must be from 0 to 1,024")]:
        one_line(*run(capsys, "train-collab", "--ratings", ratings, *argv)[::2], message)


def test_train_collab_blow_up_is_diverged_at_epoch(capsys, ratings):
    code, out, err = run(capsys, "train-collab", "--ratings", ratings, "--lr", "1e30", "--dtype", "float64",
                         "--epochs", "2", "--batch-size", "256")
    one_line(code, err, "training diverged at epoch", "(train MSE nan", "try a smaller --lr")


@pytest.mark.parametrize("epochs, batch_size", [(2, 400), (1, 400), (1, 800), (3, 800), (5, 800)])
def test_train_collab_few_steps_in_all(capsys, ratings, epochs, batch_size):
    """epochs x batches = 4 raised ZeroDivisionError in torch's OneCycleLR
    (the issue's 100k file with --epochs 2 --batch-size 40000; here 800
    training ratings in batches of 400), and so did 2 steps (found by the
    fuzz suite); 1 to 5 steps in all train."""
    code, out, err = run(capsys, "train-collab", "--ratings", ratings, "--epochs", str(epochs),
                         "--batch-size", str(batch_size))
    assert code == 0, err
    assert "valid MSE" in out


@pytest.mark.parametrize("line", ["1_000,2", "\u0661,2", "nan,2", "1,infinity"])
def test_optimize_data_numbers_are_plain_decimals(tmp_path, capsys, line):
    """Python's float() reads '1_000', other scripts' digits, 'nan'; x,y data does not."""
    data = tmp_path / "xy.csv"
    data.write_text(f"x,y\n1,2\n{line}\n")
    one_line(*run(capsys, "optimize", "--data", data, "--out", tmp_path / "out")[::2],
             f"{data} line 3: expected two numbers x,y separated by ','")
    assert sorted(os.listdir(tmp_path)) == ["xy.csv"]


def test_optimize_with_values_near_the_largest_double(tmp_path, capsys):
    """Values near 1e308 ended in a matplotlib traceback, with a partial optimize.csv left."""
    data = tmp_path / "xy.csv"
    data.write_text("x,y\n1,-1.7e308\n2,1e308\n")
    out = tmp_path / "out"
    code, stdout, err = run(capsys, "optimize", "--data", data, "--out", out)
    assert code == 0 and "Traceback" not in err
    assert "it diverged at epoch" in stdout
    assert "PNG not written: values as large as 1.7e+308 cannot be plotted" in err
    assert sorted(os.listdir(out)) == ["graddesc.xlsx", "optimize.csv"]


# --------------------------------------------------------------------------- Solver models

@pytest.mark.parametrize("opt, adj, extra, message", [
    ("S!$Z$100", "S!$A$1", "", "the objective S!Z100 is empty, not a number"),
    ("S!$B$1", "S!$Y$50", "", "cell S!Y50 has a value but no cell in the file to write it into"),
])
def test_solve_with_blank_cells_past_the_used_range(tmp_path, capsys, opt, adj, extra, message):
    names = (f'<definedName name="solver_opt" localSheetId="0" hidden="1">{opt}</definedName>'
             f'<definedName name="solver_adj" localSheetId="0" hidden="1">{adj}</definedName>')
    path = package(tmp_path / "m.xlsx", {"S": sheet_xml([cell("A1", 2), cell("B1", 4, "A1*A1")])}, names=names)
    code, out, err = run(capsys, "solve", path, "--out", tmp_path / "solved.xlsx")
    one_line(code, err, message)
    assert not (tmp_path / "solved.xlsx").exists() and leftovers(tmp_path) == []


@pytest.mark.parametrize("value", ["NaN", "inf", "-1e999", "abc"])
def test_solve_with_non_numeric_options(tmp_path, capsys, value):
    """solver_drv = NaN raised ValueError converting NaN to an integer."""
    names = ('<definedName name="solver_opt" localSheetId="0" hidden="1">S!$B$1</definedName>'
             '<definedName name="solver_adj" localSheetId="0" hidden="1">S!$A$1</definedName>'
             + "".join(f'<definedName name="solver_{k}" localSheetId="0" hidden="1">{value}</definedName>'
                       for k in ("drv", "typ", "eng", "neg", "val")))
    path = package(tmp_path / "m.xlsx", {"S": sheet_xml([cell("A1", 2), cell("B1", 4, "(A1-1)^2+3")])}, names=names)
    code, out, err = run(capsys, "solve", path, "--out", tmp_path / "solved.xlsx", "--json")
    assert code == 0, err
    assert (tmp_path / "solved.xlsx").exists()


# --------------------------------------------------------------------------- killed runs

def _start(argv, cwd):
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return subprocess.Popen([sys.executable, "-m", "sheetnet.cli", *map(str, argv)], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _terminate_when(proc, folder, pattern: str, timeout: float = 120) -> bool:
    """SIGTERM as soon as a file whose name starts with `pattern` shows up in `folder`."""
    end = time.monotonic() + timeout
    while time.monotonic() < end and proc.poll() is None:
        if any(n.startswith(pattern) for n in os.listdir(folder)):
            proc.send_signal(signal.SIGTERM)
            return True
        time.sleep(0.002)
    return False


@pytest.mark.parametrize("argv, out_name", [
    (["optimize", "--epochs", "30", "--out", "{dir}/out"], "out"),
    (["build", "graddesc", "--points", "100", "--epochs", "10", "--out", "{dir}/out/g.xlsx"], "out"),
])
def test_sigterm_during_a_write_leaves_no_temporary(tmp_path, argv, out_name):
    """SIGTERM is handled like Ctrl-C: the half-written temporary is removed,
    no output appears, the exit status says terminated (128 + 15)."""
    out = tmp_path / out_name
    out.mkdir()
    proc = _start([a.format(dir=tmp_path) for a in argv], tmp_path)
    caught = _terminate_when(proc, out, ".sheetnet-tmp")
    stdout, stderr = proc.communicate(timeout=120)
    if not caught:
        pytest.fail(f"the run ended before a temporary appeared: {stderr}")
    assert proc.returncode == 128 + signal.SIGTERM, stderr
    assert stderr.strip() == "sheetnet: terminated"
    assert os.listdir(out) == []


def test_a_signal_inside_a_member_write_is_not_hidden(tmp_path):
    """SIGTERM landing inside zipfile's writestr (a member's write handle
    open) made ZipFile.close raise "Can't close the ZIP file while there is
    an open writing handle", which hid the signal: an internal error and a
    traceback from ZipFile.__del__.  The signal's exception comes through;
    the half-written temporary is removed."""
    from sheetnet.xlsx.package import zip_output
    with pytest.raises(KeyboardInterrupt):
        with zip_output(str(tmp_path / "x.xlsx")) as archive:
            handle = archive.open("xl/workbook.xml", "w")
            handle.write(b"<workbook/>")
            raise KeyboardInterrupt
    assert os.listdir(tmp_path) == []
