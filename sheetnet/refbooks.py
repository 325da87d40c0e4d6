"""The reference workbooks beside the project: where they are, which function
category each belongs to, and every formula cell's verdict under `sheetnet
check` (rtol 1e-9).  Used by scripts/reference_coverage.py and
tests/test_reference_workbooks.py; Excel's cached values decide.

The workbooks live in ``../shared`` (relative to the repository root), or
where ``SHEETNET_SHARED`` points: ``reference-workbooks/ironcalc/<CATEGORY>/``
(IronCalc's calc tests, organised as Excel organises its functions), the
top-level files of ``reference-workbooks/ironcalc/`` (category TOP_LEVEL)
and ``lesson-workbooks/`` (category LESSONS).  They are read at run time and
never copied into the project.
"""

from __future__ import annotations

import os
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from .check import DEFAULT_ATOL, DEFAULT_RTOL, FileReport, check_file

SHARED_ENV = "SHEETNET_SHARED"
TOP_LEVEL = "TOP_LEVEL"
LESSONS = "LESSONS"
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


def shared_dir() -> Path | None:
    """``$SHEETNET_SHARED`` if set, else ``../shared`` beside the repository
    (as in CI); None when neither exists."""
    env = os.environ.get(SHARED_ENV)
    candidates = [Path(env)] if env else []
    candidates.append(Path(__file__).resolve().parents[1].parent / "shared")
    for c in candidates:
        if c.is_dir():
            return c
    return None


@dataclass(frozen=True)
class RefBook:
    path: Path
    category: str          # MATH_AND_TRIGONOMETRY ..., TOP_LEVEL or LESSONS
    name: str              # the file's name inside its category folder

    @property
    def key(self) -> str:
        return f"{self.category}/{self.name}"


def reference_books(shared: Path) -> list[RefBook]:
    """Every reference and lesson workbook, sorted by category then name."""
    out = []
    ironcalc = shared / "reference-workbooks" / "ironcalc"
    if ironcalc.is_dir():
        for p in sorted(ironcalc.rglob("*")):
            if p.suffix.lower() not in WORKBOOK_SUFFIXES or not p.is_file():
                continue
            rel = p.relative_to(ironcalc)
            category = rel.parts[0] if len(rel.parts) > 1 else TOP_LEVEL
            out.append(RefBook(p, category, "/".join(rel.parts[1:]) if len(rel.parts) > 1 else rel.name))
    lessons = shared / "lesson-workbooks"
    if lessons.is_dir():
        for p in sorted(lessons.iterdir()):
            if p.suffix.lower() in WORKBOOK_SUFFIXES and p.is_file():
                out.append(RefBook(p, LESSONS, p.name))
    return sorted(out, key=lambda b: (b.category, b.name))


@dataclass
class BookResult:
    """`outcomes`: (sheet, "A1") -> verdict (see check.check_file), for every
    formula cell; when the check itself failed, `error` holds the one-line
    reason and every formula cell with a cached value is "error: ..."."""

    book: RefBook
    outcomes: dict = field(default_factory=dict)
    report: FileReport | None = None
    error: str | None = None
    trace: str | None = None


def check_book(book: RefBook, rtol: float = DEFAULT_RTOL, atol: float = DEFAULT_ATOL) -> BookResult:
    """Check one workbook; nothing it does (a traceback included) escapes."""
    result = BookResult(book)
    try:
        result.report = check_file(str(book.path), rtol=rtol, atol=atol, outcomes=result.outcomes)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:     # noqa: BLE001 -- one workbook's crash is one error row
        result.error = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
        result.trace = traceback.format_exc()
        result.outcomes = _all_cells_errored(book.path, result.error)
    return result


def _all_cells_errored(path: Path, reason: str) -> dict:
    """Every formula cell with a cached value, marked as not checked."""
    from .refs import cell_name
    from .store import BLANK
    from .xlsx.reader import read_workbook
    try:
        wb = read_workbook(str(path))
    except Exception:               # noqa: BLE001 -- unreadable: no cells to list
        return {}
    out = {}
    for sheet in wb.sheets:
        for g in sheet.groups:
            rr, cc = g.footprint()
            for r, c in zip(rr.tolist(), cc.tolist()):
                if sheet.values.kind[r, c] != BLANK:
                    out[(sheet.name, cell_name(r, c))] = f"error: {reason}"
    return out


def formula_text(path: Path, sheet: str, cell: str) -> str | None:
    """The formula of one cell as written in it (for mismatch reports)."""
    from .formula.render import render
    from .refs import parse_cell
    from .xlsx.reader import read_workbook
    wb = read_workbook(str(path))
    target = next((s for s in wb.sheets if s.name == sheet), None)
    if target is None:
        return None
    a = parse_cell(cell)
    for g in target.groups:
        rr, cc = g.footprint()
        for r, c in zip(rr.tolist(), cc.tolist()):
            if (r, c) == (a.row, a.col):
                try:
                    return "=" + render(g.ast, (r, c))
                except Exception:   # noqa: BLE001 -- unparsable: show the stored text
                    return "=" + g.text
    return None
