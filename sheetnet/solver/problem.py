"""A Solver model resolved against a calculated workbook: which cell is the
objective, which constant cells change, and how to set them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..book import Book, SolverModel
from ..engine import Engine
from ..errors import UserError
from ..refs import Area, cell_name, parse_area, split_sheet


@dataclass
class Variable:
    sheet: int            # engine sheet index
    sheet_name: str
    area: Area

    @property
    def size(self) -> int:
        return self.area.size

    @property
    def text(self) -> str:
        return f"{self.sheet_name}!{self.area.a1}"


@dataclass
class Problem:
    engine: Engine
    model: SolverModel
    objective: tuple[int, int, int]        # (sheet index, row, col)
    objective_text: str
    variables: list[Variable]
    source: str                            # file (or book) the model came from

    @property
    def size(self) -> int:
        return sum(v.size for v in self.variables)

    def x(self) -> np.ndarray:
        """The changing cells' current values, flattened area by area."""
        parts = []
        for v in self.variables:
            a = v.area
            parts.append(self.engine.sheets[v.sheet].vals.num[a.r0:a.r1 + 1, a.c0:a.c1 + 1].ravel())
        return np.concatenate(parts).astype(np.float64)

    def set_x(self, x: np.ndarray) -> None:
        i = 0
        for v in self.variables:
            n = v.size
            self.engine.set_numbers(v.sheet_name, v.area.a1, x[i:i + n])
            i += n

    def objective_value(self) -> float:
        s, r, c = self.objective
        value = self.engine.sheets[s].vals.get(r, c)      # None (empty) beyond the sheet's used range too
        if not isinstance(value, float):
            shown = "empty" if value is None else repr(value)
            raise UserError(f"{self.source}: the objective {self.objective_text} is {shown}, not a number")
        return value

    def evaluate(self, x: np.ndarray) -> float:
        """Objective at x by a full recalculation with the numpy engine."""
        self.set_x(x)
        self.engine.recalc()
        return self.objective_value()


def _one_area(book: Book, text: str, default_sheet: str, what: str, source: str) -> tuple[str, Area]:
    sheet_name, ref = split_sheet(text)
    sheet_name = sheet_name or default_sheet
    if book.find_sheet(sheet_name) is None:
        raise UserError(f"{source}: the Solver {what} {text} names a sheet that does not exist")
    try:
        return book.find_sheet(sheet_name).name, parse_area(ref.replace("$", ""))
    except ValueError:
        raise UserError(f"{source}: the Solver {what} {text!r} is not a cell range") from None


def problem_from_book(book: Book, sheet: str | None = None, source: str | None = None) -> Problem:
    """The Solver model of `sheet` (or of the only/active sheet that has one),
    validated: a #REF! objective or changing cells, formulas among the
    changing cells or a non-numeric objective are one clear UserError."""
    source = source or book.path or "workbook"
    models = book.solver_models()
    if not models:
        raise UserError(f"{source}: no sheet has an Excel Solver model (no solver_opt / solver_adj names)")
    if sheet is None:
        usable = [name for name, m in models.items() if not m.problems]
        if len(models) == 1:
            sheet = next(iter(models))
        elif len(usable) == 1:
            sheet = usable[0]
        else:
            raise UserError(f"{source}: several sheets have Solver models ({', '.join(models)}); "
                            f"choose one with --sheet")
    found = next((m for name, m in models.items() if name.casefold() == sheet.casefold()), None)
    if found is None:
        raise UserError(f"{source}: sheet {sheet!r} has no Solver model "
                        f"(sheets with one: {', '.join(models) or 'none'})")
    model = found
    if model.problems:
        raise UserError(f"{source}: the Solver model on sheet {model.sheet!r} cannot be used: "
                        + "; ".join(model.problems))
    if model.engine != "GRG Nonlinear":
        # Simplex/Evolutionary models still minimise the same objective; scipy's
        # smooth optimiser is used for them too, and the report says so.
        pass
    engine = Engine(book)
    engine.record_dynamic = True
    engine.recalc()
    obj_sheet, obj_area = _one_area(book, model.objective, model.sheet, "objective", source)
    if obj_area.size != 1:
        raise UserError(f"{source}: the Solver objective {model.objective} is not a single cell")
    variables = []
    for text in model.changing:
        name, area = _one_area(book, text, model.sheet, "changing cells", source)
        s = engine.sheet_state(name)
        owner = s.owner[area.r0:area.r1 + 1, area.c0:area.c1 + 1] if area.r1 < s.owner.shape[0] else None
        if owner is not None and (owner >= 0).any():
            r, c = np.argwhere(owner >= 0)[0]
            raise UserError(f"{source}: the Solver changing cells {text} include a formula "
                            f"({name}!{cell_name(area.r0 + int(r), area.c0 + int(c))}); they must be constants")
        s.vals.ensure(area.r1 + 1, area.c1 + 1)     # blank changing cells past the used range start at 0
        variables.append(Variable(s.index, name, area))
    s = engine.sheet_state(obj_sheet)
    problem = Problem(engine, model, (s.index, obj_area.r0, obj_area.c0), f"{obj_sheet}!{obj_area.a1}",
                      variables, source)
    problem.objective_value()          # fails clearly when it is not a number
    return problem
