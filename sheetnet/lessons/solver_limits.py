"""Excel's built-in Solver limits, checked on every lesson workbook `sheetnet build` writes.

Excel's Solver (Frontline's basic edition that ships with it) refuses a model
with more than 200 changing cells or more than 100 constraints -- the dialog
opens filled in and Solve then stops with "too many variable cells".  sheetnet's
own `solve` has no such limit, so a bigger model is still worth writing; the
builder says so (a line on the terminal and a note on the objective cell), or
refuses with `--solver-limit`.
"""

from __future__ import annotations

from ..book import Book, SolverModel
from ..errors import UserError

EXCEL_MAX_CHANGING = 200
EXCEL_MAX_CONSTRAINTS = 100


def _cells(book: Book, refs: list[str], sheet: str) -> int:
    total = 0
    for ref in refs:
        _, area = book.resolve_area(ref, sheet)
        total += area.size
    return total


def _constraint_count(book: Book, model: SolverModel) -> int:
    """As Excel counts them: one per left-hand-side cell, bounds on changing cells included."""
    n = int(float(model.options.get("solver_num", "0") or 0))
    return _cells(book, [model.options[f"solver_lhs{i}"] for i in range(1, n + 1)
                         if f"solver_lhs{i}" in model.options], model.sheet)


def excel_limit_problems(book: Book) -> list[tuple[SolverModel, str]]:
    """(model, one line) for every Solver model past Excel's limits."""
    problems = []
    for model in book.solver_models().values():
        if model.problems:
            continue
        changing = _cells(book, model.changing, model.sheet)
        if changing > EXCEL_MAX_CHANGING:
            problems.append((model, f"the Solver model on {model.sheet!r} has {changing} changing cells; Excel's "
                                    f"built-in Solver stops at {EXCEL_MAX_CHANGING} (sheetnet solve has no limit)"))
        constraints = _constraint_count(book, model)
        if constraints > EXCEL_MAX_CONSTRAINTS:
            problems.append((model, f"the Solver model on {model.sheet!r} has {constraints} constraints; Excel's "
                                    f"built-in Solver stops at {EXCEL_MAX_CONSTRAINTS} (sheetnet solve has no limit)"))
    return problems


def apply_excel_limits(book: Book, refuse: bool) -> list[str]:
    """Warn (the lines returned, and a note on each objective cell) or, with `refuse`, raise
    a UserError naming the first model past Excel's limits."""
    problems = excel_limit_problems(book)
    if refuse and problems:
        raise UserError(f"{problems[0][1]}; build a smaller model or leave out --solver-limit")
    for model, line in problems:
        sheet, area = book.resolve_area(model.objective, model.sheet)
        key = (area.r0, area.c0)
        old = sheet.notes.get(key)
        sheet.notes[key] = (old + "\n\n" if old else "") + f"Too big for Excel's Solver: {line}."
    return [line for _, line in problems]
