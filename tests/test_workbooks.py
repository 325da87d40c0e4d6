"""The committed workbooks/ are exactly what `sheetnet build` produces, and
every cached value in them is the recomputed one."""

import os

import pytest

from sheetnet.check import check_file
from sheetnet.lessons import LESSONS, Roles, lesson
from sheetnet.xlsx.reader import read_workbook
from sheetnet.xlsx.writer import write_workbook

ROOT = os.path.join(os.path.dirname(__file__), "..")


@pytest.mark.parametrize("name", LESSONS)
def test_committed_workbook_is_reproducible(name, tmp_path):
    found = lesson(name)
    committed = os.path.join(ROOT, found.default_out)
    assert os.path.exists(committed), f"{found.default_out} is missing: run scripts/build.sh and commit it"
    out = tmp_path / os.path.basename(committed)
    write_workbook(found.workbook(found.default_args()).book, str(out), recalc=False)
    assert out.read_bytes() == open(committed, "rb").read(), \
        f"{found.default_out} differs from a fresh `sheetnet build {name}`: rebuild (scripts/build.sh) and commit"


@pytest.mark.parametrize("name", LESSONS)
def test_committed_workbook_carries_its_roles(name):
    """Every role the builder publishes is a defined name of the written file, pointing at the same cells."""
    found = lesson(name)
    built = found.build(found.default_args())
    read = Roles.from_book(read_workbook(os.path.join(ROOT, found.default_out)))
    assert len(built.roles) > 0
    assert {(c.sheet, c.name, c.area) for c in built.roles} <= {(c.sheet, c.name, c.area) for c in read}


@pytest.mark.parametrize("name", LESSONS)
def test_committed_workbook_checks(name):
    report = check_file(os.path.join(ROOT, lesson(name).default_out))
    assert report.ok and not report.unsupported and report.total("no_cached_value") == 0
    assert report.total("compared") == report.total("cells")
