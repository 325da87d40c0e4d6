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
import re
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
        result.error = f"{type(exc).__name__}: {exc}".replace(str(book.path), book.name).splitlines()[0][:300]
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


# --- expectations: the cells a category does not match yet, and why ---------------------
#
# tests/reference_expectations/<CATEGORY>.txt, one line per cell:
#     FILE  SHEET!CELL  reason
# (a sheet name with spaces is quoted as Excel quotes it: 'My sheet'!B3), or
#     FILE  *  reason
# for every cell of a workbook that does not match (a workbook far from
# done).  Blank lines and lines starting with # are comments.

_EXPECTATION = re.compile(r"^(\S+)\s+('(?:[^']|'')+'![A-Z]+[0-9]+|[^\s']+![A-Z]+[0-9]+|\*)(?:\s+(.*))?$")
WHOLE_FILE = "*"
PROBLEMS = ("mismatched", "unsupported", "error")


@dataclass
class Expectations:
    cells: dict = field(default_factory=dict)     # (file, sheet, cell) -> reason
    files: dict = field(default_factory=dict)     # file -> reason (every failing cell excused)

    def for_file(self, name: str) -> tuple[dict, str | None]:
        return ({(s, c): r for (f, s, c), r in self.cells.items() if f == name}, self.files.get(name))


def read_expectations(path: Path) -> Expectations:
    out = Expectations()
    if not path.exists():
        return out
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = _EXPECTATION.match(line)
        if m is None:
            raise ValueError(f"{path}:{n}: expected 'FILE SHEET!CELL reason' or 'FILE * reason', got {line!r}")
        file, ref, reason = m.group(1), m.group(2), (m.group(3) or "").strip()
        if not reason:
            raise ValueError(f"{path}:{n}: give the reason the cell does not match")
        if ref == WHOLE_FILE:
            out.files[file] = reason
        else:
            sheet, cell = ref.rsplit("!", 1)
            if sheet.startswith("'"):
                sheet = sheet[1:-1].replace("''", "'")
            out.cells[(file, sheet, cell)] = reason
    return out


def is_problem(verdict: str) -> bool:
    """A cell that should match and does not (not volatile, has a cached value)."""
    return verdict.startswith(PROBLEMS)


def compare_with_expectations(result: BookResult, expected: dict, whole_file: str | None):
    """(unexpected, stale): failing cells nobody listed, and listed cells that
    now match (or are no formula cells at all)."""
    unexpected = {} if whole_file else {k: v for k, v in result.outcomes.items()
                                        if is_problem(v) and k not in expected}
    stale = {k: result.outcomes.get(k, "not a formula cell with a cached value") for k in expected
             if not is_problem(result.outcomes.get(k, "matched"))}
    if whole_file and not any(is_problem(v) for v in result.outcomes.values()):
        stale[("*", "*")] = "every cell matches now: remove the file's '*' line"
    return unexpected, stale


def quoted_ref(sheet: str, cell: str) -> str:
    if re.fullmatch(r"[^\s'!]+", sheet):
        return f"{sheet}!{cell}"
    return "'" + sheet.replace("'", "''") + f"'!{cell}"


def write_expectations(path: Path, results: list, previous: Expectations, whole_file_above: int) -> int:
    """Rewrite a category's expectation file from check results: every
    failing cell with its reason (a reason written by hand is kept), a
    workbook with more than `whole_file_above` failing cells as one '*' line.
    Returns the number of lines written."""
    lines = [f"# {path.stem}: formula cells that do not match Excel's cached values yet, and why.",
             "# FILE  SHEET!CELL  reason   |   FILE  *  reason (every failing cell of the file)",
             "# Generated by scripts/reference_coverage.py --write-expectations; edit the reasons freely.",
             ""]
    for result in results:
        name = result.book.name
        failing = {k: v for k, v in result.outcomes.items() if is_problem(v)}
        if not failing:
            continue
        if len(failing) > whole_file_above:
            reason = _kept(previous.files.get(name)) or _summary(failing.values())
            lines.append(f"{name}  *  {reason}")
            continue
        for (sheet, cell), verdict in sorted(failing.items(), key=lambda kv: (kv[0][0], _cell_key(kv[0][1]))):
            reason = _kept(previous.cells.get((name, sheet, cell))) or _short_reason(verdict)
            lines.append(f"{name}  {quoted_ref(sheet, cell)}  {reason}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines) - 4


_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")


_GENERATED = ("unsupported", "mismatched", "error", "no cached value")


def _kept(reason: str | None) -> str | None:
    """A reason written by hand is kept; a generated one (it starts like a
    verdict) is written afresh, so it says why the cell fails now."""
    return None if reason is None or reason.startswith(_GENERATED) else reason


def _summary(verdicts) -> str:
    """One reason for many failing cells: the functions missing, the counts."""
    names, mismatched, errors = set(), 0, set()
    for v in verdicts:
        if v.startswith("unsupported: "):
            names.update(v[len("unsupported: "):].split(","))
        elif v.startswith("mismatched"):
            mismatched += 1
        else:
            errors.add(_short_reason(v))
    parts = [f"unsupported {', '.join(sorted(names))}"] if names else []
    if mismatched:
        parts.append(f"{mismatched} mismatched")
    parts.extend(sorted(errors))
    return "; ".join(parts)[:300]


def _short_reason(verdict: str) -> str:
    """The verdict's first line; text values are not copied out of the
    workbooks (only that they are text)."""
    return _QUOTED.sub("a text", verdict.split("\n")[0])[:200]


def _cell_key(cell: str):
    m = re.match(r"([A-Z]+)(\d+)", cell)
    return (int(m.group(2)), len(m.group(1)), m.group(1))


def prune_expectations(path: Path, results: list) -> int:
    """Remove the lines of an expectation file whose cells match now (or no
    longer exist), keeping every other line as it is; a '*' line goes when
    its workbook has no failing cell left.  Returns the lines removed."""
    if not path.exists():
        return 0
    failing = {r.book.name: {k for k, v in r.outcomes.items() if is_problem(v)} for r in results}
    kept, removed = [], 0
    for line in path.read_text(encoding="utf-8").splitlines():
        m = _EXPECTATION.match(line.strip())
        if m is None or m.group(1) not in failing:
            kept.append(line)
            continue
        file, ref = m.group(1), m.group(2)
        if ref == WHOLE_FILE:
            stale = not failing[file]
        else:
            sheet, cell = ref.rsplit("!", 1)
            if sheet.startswith("'"):
                sheet = sheet[1:-1].replace("''", "'")
            stale = (sheet, cell) not in failing[file]
        if stale:
            removed += 1
        else:
            kept.append(line)
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return removed
