"""A Solver model's constraints, as Excel stores them.

Constraint N is three hidden names on the model's sheet: ``solver_lhsN`` (a
range), ``solver_relN`` (1 ``<=``, 2 ``=``, 3 ``>=``, 4 int, 5 bin, 6 dif)
and ``solver_rhsN`` (a number or a range of the lhs's size or one cell);
``solver_num`` says how many there are, ``solver_neg`` = 1 adds "make
unconstrained variables non-negative".

Constraints on changing cells with a constant right-hand side are *bounds*
(L-BFGS-B and Adam keep them exactly); any other constraint -- on a formula
cell, or against a right-hand side that moves with the changing cells -- is
*general* and needs a constrained method (SLSQP).  Integer, binary and
all-different constraints are refused: sheetnet has no integer programming.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import UserError
from ..refs import Area, cell_name, parse_area, split_sheet

RELATIONS = {1: "<=", 2: "=", 3: ">=", 4: "int", 5: "bin", 6: "dif"}
DEFAULT_PRECISION = 1e-6          # Excel's "Constraint Precision" (solver_pre)


@dataclass
class Constraint:
    number: int                  # N of solver_lhsN
    lhs_text: str
    relation: str                # "<=", "=", ">="
    rhs_text: str
    sheet: int                   # engine sheet index of the lhs
    sheet_name: str
    area: Area
    rhs_number: float | None = None
    rhs_ref: tuple | None = None        # (sheet index, Area)

    @property
    def text(self) -> str:
        return f"{self.lhs_text} {self.relation} {self.rhs_text}"

    def cells(self):
        """(sheet, row, col) of every lhs cell, row by row."""
        a = self.area
        return [(self.sheet, r, c) for r in range(a.r0, a.r1 + 1) for c in range(a.c0, a.c1 + 1)]

    def rhs_values(self, engine) -> np.ndarray:
        """The right-hand side for every lhs cell, from the engine's current values."""
        n = self.area.size
        if self.rhs_number is not None:
            return np.full(n, self.rhs_number)
        s, a = self.rhs_ref
        vals = engine.sheets[s].vals.num[a.r0:a.r1 + 1, a.c0:a.c1 + 1].ravel()
        return np.full(n, vals[0]) if vals.size == 1 else vals.astype(np.float64)


def read_constraints(problem) -> list[Constraint]:
    """The model's constraints (one clear UserError for what cannot be used)."""
    model = problem.model
    opts = model.options
    source = problem.source
    try:
        count = int(float(opts.get("solver_num", "0")))
    except ValueError:
        raise UserError(f"{source}: the Solver model on {model.sheet!r} has solver_num = "
                        f"{opts['solver_num']!r}, not a count") from None
    out = []
    for n in range(1, count + 1):
        lhs, rel, rhs = (opts.get(f"solver_{k}{n}") for k in ("lhs", "rel", "rhs"))
        where = f"{source}: Solver constraint {n} on {model.sheet!r}"
        if lhs is None or rel is None or rhs is None:
            raise UserError(f"{where} is incomplete (solver_lhs{n}, solver_rel{n}, solver_rhs{n})")
        try:
            relation = RELATIONS[int(float(rel))]
        except (ValueError, KeyError):
            raise UserError(f"{where} has relation solver_rel{n} = {rel!r}, not 1-6") from None
        if relation in ("int", "bin", "dif"):
            raise UserError(f"{where} ({lhs} {relation}) is an integer constraint: sheetnet solve has no "
                            f"integer programming")
        sheet, area = _area(problem, lhs.lstrip("="), where, "left-hand side")
        c = Constraint(n, lhs.lstrip("="), relation, rhs.lstrip("="), sheet, problem.engine.sheets[sheet].name, area)
        text = rhs.lstrip("=").strip()
        try:
            c.rhs_number = float(text)
        except ValueError:
            rs, ra = _area(problem, text, where, "right-hand side")
            if ra.size not in (1, area.size):
                raise UserError(f"{where}: {text} has {ra.size} cells where {lhs} has {area.size}")
            c.rhs_ref = (rs, ra)
        out.append(c)
    return out


def _area(problem, text: str, where: str, what: str) -> tuple[int, Area]:
    sheet_name, ref = split_sheet(text)
    state = problem.engine.sheet_state(sheet_name or problem.model.sheet)
    try:
        area = parse_area(ref.replace("$", ""))
    except ValueError:
        area = None
    if state is None or area is None:
        raise UserError(f"{where}: the {what} {text!r} is not a number or a cell range sheetnet can read")
    return state.index, area


@dataclass
class Bounds:
    lower: np.ndarray
    upper: np.ndarray
    constraints: list = field(default_factory=list)     # every constraint, for the report
    general: list = field(default_factory=list)         # those that are not bounds

    def scipy(self):
        """[(lo, hi)] for scipy (None where unbounded), or None when nothing is bounded."""
        if np.isneginf(self.lower).all() and np.isposinf(self.upper).all():
            return None
        return [(None if np.isneginf(lo) else float(lo), None if np.isposinf(hi) else float(hi))
                for lo, hi in zip(self.lower, self.upper)]

    def clip(self, x: np.ndarray) -> np.ndarray:
        return np.clip(x, self.lower, self.upper)


def bounds_for(problem, constraints: list[Constraint] | None = None) -> Bounds:
    """Per changing cell bounds from non-negativity and from the constraints
    that are bounds; the rest are general."""
    constraints = read_constraints(problem) if constraints is None else constraints
    n = problem.size
    lower, upper = np.full(n, -np.inf), np.full(n, np.inf)
    position = {}
    offset = 0
    for v in problem.variables:
        a = v.area
        for i, (r, c) in enumerate((r, c) for r in range(a.r0, a.r1 + 1) for c in range(a.c0, a.c1 + 1)):
            position[(v.sheet, r, c)] = offset + i
        offset += a.size
    constrained = np.zeros(n, dtype=bool)
    general = []
    engine = problem.engine
    for c in constraints:
        where = [position.get(cell) for cell in c.cells()]
        rhs_moves = c.rhs_ref is not None and _depends_on_changing(problem, c.rhs_ref)
        if any(w is None for w in where) or rhs_moves:
            general.append(c)
            continue
        rhs = c.rhs_values(engine)
        idx = np.array(where)
        if c.relation in ("<=", "="):
            upper[idx] = np.minimum(upper[idx], rhs)
        if c.relation in (">=", "="):
            lower[idx] = np.maximum(lower[idx], rhs)
        constrained[idx] = True
    if problem.model.non_negative:
        lower[~constrained] = np.maximum(lower[~constrained], 0.0)
    bad = np.flatnonzero(lower > upper)
    if bad.size:
        raise UserError(f"{problem.source}: the Solver constraints on {problem.model.sheet!r} leave no room for "
                        f"changing cell {_variable_name(problem, int(bad[0]))} (lower bound "
                        f"{lower[bad[0]]:g} > upper bound {upper[bad[0]]:g})")
    return Bounds(lower, upper, list(constraints), general)


def _depends_on_changing(problem, ref) -> bool:
    """Whether any cell of a right-hand-side range is a formula (it may move with x)."""
    s, a = ref
    owner = problem.engine.sheets[s].owner
    box = owner[a.r0:a.r1 + 1, a.c0:a.c1 + 1] if a.r1 < owner.shape[0] and a.c1 < owner.shape[1] else owner[:0]
    if (box < 0).all():
        return False
    # a formula cell: conservatively general unless the replay's analysis says otherwise
    from .active import active_part
    part = active_part(problem)
    return bool(part.mask[s][a.r0:a.r1 + 1, a.c0:a.c1 + 1].any())


def _variable_name(problem, i: int) -> str:
    for v in problem.variables:
        if i < v.size:
            a = v.area
            return f"{v.sheet_name}!{cell_name(a.r0 + i // a.width, a.c0 + i % a.width)}"
        i -= v.size
    return str(i)


def constraint_rows(problem, constraints: list[Constraint], precision: float | None = None) -> list[dict]:
    """One row per constraint cell at the engine's current values: cell,
    value, relation, right-hand side, status (Binding / Not Binding /
    Violated, within Excel's constraint precision) and slack."""
    if precision is None:
        try:
            precision = float(problem.model.options.get("solver_pre", DEFAULT_PRECISION))
        except ValueError:
            precision = DEFAULT_PRECISION
    engine = problem.engine
    rows = []
    for c in constraints:
        rhs = c.rhs_values(engine)
        for (s, r, col), b in zip(c.cells(), rhs):
            value = float(engine.sheets[s].vals.num[r, col])
            slack = {"<=": b - value, ">=": value - b, "=": -abs(value - b)}[c.relation]
            scale = precision * max(1.0, abs(b))
            if c.relation == "=":
                status = "Binding" if -slack <= scale else "Violated"
            else:
                status = "Violated" if slack < -scale else ("Binding" if slack <= scale else "Not Binding")
            rows.append({"constraint": c.number, "cell": f"{engine.sheets[s].name}!{cell_name(r, col)}",
                         "value": value, "relation": c.relation, "rhs": float(b), "rhs_text": c.rhs_text,
                         "status": status, "slack": float(abs(slack) if c.relation == "=" else slack)})
    return rows


def targets_of(general: list[Constraint]) -> list[tuple[int, int, int]]:
    """The cells general constraints read: every lhs cell, then every rhs range cell."""
    cells = []
    for c in general:
        cells.extend(c.cells())
        if c.rhs_ref is not None:
            s, a = c.rhs_ref
            cells.extend((s, r, col) for r in range(a.r0, a.r1 + 1) for col in range(a.c0, a.c1 + 1))
    return cells


def general_functions(general: list[Constraint], cells_fn):
    """scipy constraint dicts for general constraints, given
    ``cells_fn(x) -> (values, jacobian)`` over `targets_of(general)`:
    ``<=`` as rhs - lhs >= 0, ``>=`` as lhs - rhs >= 0, ``=`` as lhs - rhs = 0."""
    rows = {"ineq": [], "eq": []}          # (kind) -> [(lhs index, rhs index or constant, sign)]
    k = 0
    for c in general:
        n = c.area.size
        lhs = list(range(k, k + n))
        k += n
        if c.rhs_ref is not None:
            m = c.rhs_ref[1].size
            rhs = list(range(k, k + m)) if m == n else [k] * n
            k += m
        else:
            rhs = [float(c.rhs_number)] * n
        kind = "eq" if c.relation == "=" else "ineq"
        sign = -1.0 if c.relation == "<=" else 1.0
        rows[kind].extend((li, ri, sign) for li, ri in zip(lhs, rhs))
    cache = {}

    def evaluate(x):
        key = np.asarray(x).tobytes()
        if key not in cache:
            cache.clear()
            cache[key] = cells_fn(np.asarray(x, dtype=np.float64))
        return cache[key]

    def make(kind):
        spec = rows[kind]

        def fun(x):
            vals, _ = evaluate(x)
            return np.array([s * (vals[li] - (vals[ri] if isinstance(ri, int) else ri)) for li, ri, s in spec])

        def jac(x):
            _, J = evaluate(x)
            return np.array([s * (J[li] - (J[ri] if isinstance(ri, int) else 0.0)) for li, ri, s in spec])

        return {"type": kind, "fun": fun, "jac": jac}

    return [make(kind) for kind in ("ineq", "eq") if rows[kind]]
