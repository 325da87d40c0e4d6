"""Long runs off a terminal end with one summary line; optimize --summary prints one line per optimiser."""

import io

from sheetnet.cli import main
from sheetnet.progress import Progress


def test_summary_line_only_off_a_terminal():
    out = io.StringIO()
    with Progress("work", total=3, stream=out, summary=True) as bar:
        bar.update(3, note="rmse 0.4")
    assert out.getvalue().startswith("work: done 3/3 in ") and out.getvalue().endswith(", rmse 0.4\n")
    quiet = io.StringIO()
    with Progress("work", total=3, stream=quiet) as bar:
        bar.update(3)
    assert quiet.getvalue() == ""


def test_optimize_summary_is_one_line_per_optimiser(tmp_path, capsys):
    assert main(["optimize", "--epochs", "30", "--summary", "--no-workbook", "--out", str(tmp_path / "o"),
                 "--optimizers", "sgd,adam"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 4 and lines[1].startswith("sgd: after 30 epochs") and lines[2].startswith("adam: after 30")
    assert sum(1 for _ in open(tmp_path / "o" / "optimize.csv")) == 1 + 2 * 31      # the CSV keeps every epoch
