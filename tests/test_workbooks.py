"""The committed workbooks/ are exactly what `sheetnet build` produces, and
every cached value in them is the recomputed one."""

import argparse
import os

import pytest

from sheetnet.check import check_file
from sheetnet.lessons import builders
from sheetnet.xlsx.writer import write_workbook

ROOT = os.path.join(os.path.dirname(__file__), "..")
LESSONS = sorted(builders())


@pytest.mark.parametrize("name", LESSONS)
def test_committed_workbook_is_reproducible(name, tmp_path):
    builder = builders()[name]
    committed = os.path.join(ROOT, builder.default_out)
    assert os.path.exists(committed), f"{builder.default_out} is missing: run scripts/build.sh and commit it"
    parser = argparse.ArgumentParser()
    builder.add_arguments(parser)
    out = tmp_path / os.path.basename(committed)
    write_workbook(builder.build(parser.parse_args([])), str(out))
    assert out.read_bytes() == open(committed, "rb").read(), \
        f"{builder.default_out} differs from a fresh `sheetnet build {name}`: rebuild (scripts/build.sh) and commit"


@pytest.mark.parametrize("name", LESSONS)
def test_committed_workbook_checks(name):
    report = check_file(os.path.join(ROOT, builders()[name].default_out))
    assert report.ok and not report.unsupported and report.total("no_cached_value") == 0
    assert report.total("compared") == report.total("cells")
