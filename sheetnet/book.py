"""The workbook model: sheets of values and formulas, defined names, Solver models.

Formulas live in *groups*: one formula text filled over a set of cells (what
Excel stores as a shared formula, what a lesson builder writes with
``sheet.fill``), or one legacy array formula spilling over a range.  A single
typed-in formula is a group of one cell.  Groups keep big sheets cheap (the
benchmark's 1.4 million formula cells are a handful of groups) and are the
natural unit of vectorised evaluation.

Stored values (constants, and for formula cells the cached result a file
carried) live in one ValueGrid per sheet.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

from .errors import UserError
from .formula.ast import Node, StructRef
from .formula.parser import parse
from .formula.render import structured_text
from .refs import MAX_COLS, MAX_ROWS, Area, cell_name, is_cell_name, parse_area, parse_cell, split_sheet
from .store import ValueGrid


@dataclass
class FormulaGroup:
    """One formula filled over `rows`/`cols` (parallel int arrays, the anchor
    first).  `text` is written as seen from the anchor cell.  For a legacy
    array formula, `array` is the range it spills over and the group holds
    the anchor only."""

    text: str
    rows: np.ndarray
    cols: np.ndarray
    array: Area | None = None
    # a dynamic-array formula (Excel 365): its result spills from the anchor
    # over as many cells as it has; `array` is the range it filled last
    dynamic: bool = False
    _ast: Node | None = field(default=None, repr=False, compare=False)

    @property
    def anchor(self) -> tuple[int, int]:
        return int(self.rows[0]), int(self.cols[0])

    @property
    def ast(self) -> Node:
        """The position-independent tree (references relative to each cell)."""
        if self._ast is None:
            self._ast = parse(self.text, self.anchor)
        return self._ast

    def __len__(self) -> int:
        return len(self.rows)

    def footprint(self) -> tuple[np.ndarray, np.ndarray]:
        """Every cell this group writes (the whole spill range of an array formula)."""
        if self.array is None:
            return self.rows, self.cols
        rr, cc = np.mgrid[self.array.r0:self.array.r1 + 1, self.array.c0:self.array.c1 + 1]
        return rr.ravel().astype(np.int32), cc.ravel().astype(np.int32)


@dataclass
class DefinedName:
    """A defined name; `scope` is None for a workbook-wide name, else the
    sheet it is local to.  `refers_to` is formula text without '='."""

    name: str
    refers_to: str
    scope: str | None = None
    hidden: bool = False

    @property
    def ast(self) -> Node:
        return parse(self.refers_to, (0, 0))


@dataclass
class TableColumn:
    """One column of an Excel Table.  `formula` is its calculated-column
    formula (text without '=', as written in the column's first data cell),
    `totals_function` Excel's totals-row function (sum, average ...) or
    `totals_formula` a custom one, `totals_label` a text in the totals row."""

    name: str
    formula: str | None = None
    totals_function: str | None = None
    totals_formula: str | None = None
    totals_label: str | None = None


TABLE_TOTALS = {"sum": 109, "min": 105, "max": 104, "average": 101, "count": 103, "countNums": 102,
                "stdDev": 107, "var": 110}           # totalsRowFunction -> SUBTOTAL function number


@dataclass
class Table:
    """An Excel Table (ListObject): a named rectangle with a header row,
    data rows and an optional totals row, whose columns formulas address by
    name (Table1[Price], [@Price])."""

    name: str
    sheet: str
    area: Area                      # the whole table, header and totals rows included
    columns: list[TableColumn]
    header_rows: int = 1
    totals_rows: int = 0
    style: str | None = "TableStyleMedium2"

    @property
    def data_rows(self) -> tuple[int, int]:
        """First and last data row (0-based, inclusive)."""
        return self.area.r0 + self.header_rows, self.area.r1 - self.totals_rows

    def column_index(self, name: str) -> int | None:
        key = name.casefold()
        for i, col in enumerate(self.columns):
            if col.name.casefold() == key:
                return i
        return None

    def rows_of(self, items: tuple[str, ...]) -> tuple[int, int] | None:
        """The rows (first, last) a combination of special items covers
        (#This Row excluded: that depends on the formula's row); None where
        the table has no such rows (#Totals of a table without a totals row)."""
        first, last = self.data_rows
        header = (self.area.r0, self.area.r0) if self.header_rows else None
        totals = (self.area.r1, self.area.r1) if self.totals_rows else None
        data = (first, last)
        wanted = set(items) - {"#This Row"}
        if not wanted or wanted == {"#Data"}:
            return data
        if wanted == {"#All"}:
            return self.area.r0, self.area.r1
        if wanted == {"#Headers"}:
            return header
        if wanted == {"#Totals"}:
            return totals
        if wanted == {"#Headers", "#Data"}:
            return (header[0] if header else first, last)
        if wanted == {"#Data", "#Totals"}:
            return (first, totals[1] if totals else last)
        return None

    def columns_of(self, col1: str | None, col2: str | None) -> tuple[int, int] | None:
        """The sheet columns (first, last) of a column or column range; every
        column when col1 is None; None for an unknown column."""
        if col1 is None:
            return self.area.c0, self.area.c1
        a = self.column_index(col1)
        b = a if col2 is None else self.column_index(col2)
        if a is None or b is None:
            return None
        return self.area.c0 + min(a, b), self.area.c0 + max(a, b)


# Excel Solver keeps its model in hidden sheet-local names "solver_xxx".
SOLVER_ENGINES = {1: "GRG Nonlinear", 2: "Simplex LP", 3: "Evolutionary"}
SOLVER_GOALS = {1: "max", 2: "min", 3: "value"}


@dataclass
class SolverModel:
    """An Excel Solver model read from (or written as) solver_* names."""

    sheet: str
    objective: str | None             # e.g. "dotprod!$V$41"; None when it is #REF!
    changing: list[str]               # e.g. ["dotprod!$H$19:$V$23", "dotprod!$B$25:$F$39"]
    goal: str = "min"                 # solver_typ: max / min / value
    target: float = 0.0               # solver_val, for goal "value"
    engine: str = "GRG Nonlinear"     # solver_eng
    central_derivatives: bool = False  # solver_drv 2 = central, 1 = forward
    non_negative: bool = False        # solver_neg 1 = make unconstrained variables non-negative
    options: dict[str, str] = field(default_factory=dict)   # every solver_* name as text
    problems: list[str] = field(default_factory=list)       # e.g. "objective is #REF!"

    @classmethod
    def from_names(cls, sheet: str, names: dict[str, str]) -> "SolverModel":
        def number(key: str, default: float) -> float:
            """A numeric option; missing, text, NaN or infinite ones take Excel's default."""
            try:
                value = float(names[key])
            except (KeyError, ValueError):
                return default
            return value if math.isfinite(value) else default

        problems = []
        opt = names.get("solver_opt")
        if opt is None or "#REF!" in opt.upper():
            problems.append(f"objective (solver_opt) is {opt or 'missing'}")
            opt = None
        adj = names.get("solver_adj", "")
        changing = [part.strip() for part in _split_union(adj) if part.strip()]
        if not changing or any("#REF!" in c.upper() for c in changing):
            problems.append(f"changing cells (solver_adj) are {adj or 'missing'}")
        return cls(
            sheet=sheet,
            objective=opt,
            changing=changing,
            goal=SOLVER_GOALS.get(int(number("solver_typ", 2)), "min"),
            target=number("solver_val", 0.0),
            engine=SOLVER_ENGINES.get(int(number("solver_eng", 1)), "GRG Nonlinear"),
            central_derivatives=int(number("solver_drv", 1)) == 2,
            non_negative=int(number("solver_neg", 2)) == 1,
            options=dict(names),
            problems=problems,
        )


# What Excel writes for a GRG Nonlinear model with default options (values as
# its Solver stores them); `to_names` fills in the model's own settings.
SOLVER_DEFAULTS = {
    "solver_cvg": "0.0001", "solver_drv": "1", "solver_eng": "1", "solver_est": "1",
    "solver_itr": "2147483647", "solver_mip": "2147483647", "solver_mni": "30", "solver_mrt": "0.075",
    "solver_msl": "2", "solver_neg": "2", "solver_nod": "2147483647", "solver_num": "0", "solver_nwt": "1",
    "solver_pre": "0.000001", "solver_rbv": "1", "solver_rlx": "2", "solver_rsd": "0", "solver_scl": "1",
    "solver_sho": "2", "solver_ssz": "100", "solver_tim": "2147483647", "solver_tol": "0.01",
    "solver_typ": "2", "solver_val": "0", "solver_ver": "3",
}


def solver_names(model: SolverModel) -> dict[str, str]:
    """The full solver_* block for a model, as Excel's Solver reads it."""
    names = dict(SOLVER_DEFAULTS)
    names.update({k: v for k, v in model.options.items() if k.startswith("solver_")})
    names["solver_opt"] = model.objective or "#REF!"
    names["solver_adj"] = ",".join(model.changing)
    names["solver_typ"] = str({v: k for k, v in SOLVER_GOALS.items()}[model.goal])
    names["solver_val"] = repr(float(model.target)) if model.target else "0"
    names["solver_eng"] = str({v: k for k, v in SOLVER_ENGINES.items()}[model.engine])
    names["solver_drv"] = "2" if model.central_derivatives else "1"
    names["solver_neg"] = "1" if model.non_negative else "2"
    return names


def _split_union(text: str) -> list[str]:
    """Split "a!$A$1:$B$2,'x,y'!C3" at top-level commas (quotes respected)."""
    parts, depth, quoted, start = [], 0, False, 0
    for i, ch in enumerate(text):
        if ch == "'":
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
        elif not quoted and depth == 0 and ch == ",":
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


class Sheet:
    """One worksheet: stored values plus formula groups (plus presentation
    details the writer uses)."""

    def __init__(self, name: str):
        self.name = name
        self.values = ValueGrid(label=f"sheet {name!r}")
        self.groups: list[FormulaGroup] = []
        self._owner: np.ndarray | None = None   # see _owner_grid
        # presentation, used by the xlsx writer
        self.col_widths: dict[int, float] = {}
        self.styles: list[tuple[Area, object]] = []
        self.notes: dict[tuple[int, int], str] = {}
        self.freeze: tuple[int, int] | None = None
        self.charts: list[object] = []
        self.color_scales: list[object] = []      # sheetnet.style.ColorScale, in priority order
        self.row_heights: dict[int, float] = {}    # points, for rows of wrapped headers
        # 0-based rows hidden by hand, and rows a filter hides: SUBTOTAL and
        # AGGREGATE tell them apart (see hide_rows)
        self.hidden_rows: set[int] = set()
        self.filtered_rows: set[int] = set()
        self.page = None                           # sheetnet.style.PageSetup, or None for the defaults
        self.hidden = False
        self.code_name: str | None = None          # the sheet's VBA code name (a macro workbook's)
        self.buttons: list[object] = []            # sheetnet.buttons.Button: shapes that run a macro
        # what a read file held that sheetnet cannot calculate: {"data table": cells, ...}
        self.unsupported_features: dict[str, int] = {}

    def __repr__(self) -> str:
        return f"<Sheet {self.name!r}: {self.formula_count()} formula cells>"

    # --- rows hidden --------------------------------------------------------

    def hide_rows(self, rows, by_filter: bool = False) -> None:
        """Hide these 0-based rows: by hand (SUBTOTAL 101-111 and AGGREGATE's
        options 1, 3, 5, 7 leave them out), or by a filter (SUBTOTAL leaves
        them out whatever its function number).  A row is one or the other.
        An Engine reads them as it calculates: make it after hiding rows (a
        recalculation after edits revisits only the cells the edits reach)."""
        rows = {int(r) for r in rows}
        if any(r < 0 or r >= MAX_ROWS for r in rows):
            raise UserError(f"sheet {self.name!r}: a hidden row lies outside Excel's grid")
        (self.filtered_rows if by_filter else self.hidden_rows).update(rows)
        (self.hidden_rows if by_filter else self.filtered_rows).difference_update(rows)

    def show_rows(self, rows) -> None:
        """Show these 0-based rows again (however they were hidden)."""
        rows = {int(r) for r in rows}
        self.hidden_rows.difference_update(rows)
        self.filtered_rows.difference_update(rows)

    # --- formulas -----------------------------------------------------------

    def formula_count(self) -> int:
        return sum(len(g) if g.array is None else g.array.size for g in self.groups)

    def _owner_grid(self) -> np.ndarray:
        """Which group writes each cell: group index + 1 (0 = no formula), one
        int32 per cell of the value grid.  Built on first use with numpy, then
        kept up to date as groups come and go, so constants and formulas can
        be entered in any order, one by one or in blocks, on sheets of a
        million formula cells."""
        R, C = self.values.shape
        grid = self._owner
        if grid is None:
            grid = np.zeros((R, C), dtype=np.int32)
            if self.groups:
                foot = [g.footprint() for g in self.groups]
                ids = np.repeat(np.arange(1, len(foot) + 1, dtype=np.int32), [len(rr) for rr, _ in foot])
                grid[np.concatenate([rr for rr, _ in foot]), np.concatenate([cc for _, cc in foot])] = ids
        elif grid.shape != (R, C):
            grown = np.zeros((R, C), dtype=np.int32)
            grown[:grid.shape[0], :grid.shape[1]] = grid
            grid = grown
        self._owner = grid
        return grid

    def _owner_of(self, row: int, col: int) -> int | None:
        """The index of the group holding a formula in (row, col), or None."""
        grid = self._owner_grid()
        if row >= grid.shape[0] or col >= grid.shape[1] or grid[row, col] == 0:
            return None
        return int(grid[row, col]) - 1

    def _remove_group(self, gi: int) -> None:
        del self.groups[gi]
        grid = self._owner
        grid[grid == gi + 1] = 0
        grid[grid > gi + 1] -= 1

    def _detach(self, row: int, col: int) -> None:
        """Remove a cell from whatever formula group holds it."""
        self._detach_area(Area(row, col, row, col))

    def _detach_area(self, area: Area) -> None:
        """Remove any formulas inside an area that is about to be overwritten.
        A legacy array formula goes as a whole when the area holds its anchor,
        and may not be cut into otherwise."""
        if not self.groups:
            return
        grid = self._owner_grid()
        window = grid[area.r0:area.r1 + 1, area.c0:area.c1 + 1]
        if not window.any():
            return
        for gi in sorted((np.unique(window[window > 0]) - 1).tolist(), reverse=True):
            g = self.groups[gi]
            if g.array is not None:
                if not area.contains(*g.anchor):
                    rr, cc = g.footprint()
                    hit = np.flatnonzero((rr >= area.r0) & (rr <= area.r1) & (cc >= area.c0) & (cc <= area.c1))[0]
                    raise UserError(f"{self.name}!{cell_name(int(rr[hit]), int(cc[hit]))} is part of the array "
                                    f"formula in {g.array.a1}; change the whole array")
                a = g.array             # its results go with it
                self.values.set_block(a.r0, a.c0, np.full((a.height, a.width), None, dtype=object))
                self._remove_group(gi)
                continue
            inside = (g.rows >= area.r0) & (g.rows <= area.r1) & (g.cols >= area.c0) & (g.cols <= area.c1)
            if inside.all():
                self._remove_group(gi)
                continue
            keep = ~inside
            grid[g.rows[inside], g.cols[inside]] = 0
            if inside[0]:   # the anchor moves: re-express the text from the new anchor
                from .formula.render import render
                g.text = render(g.ast, (int(g.rows[keep][0]), int(g.cols[keep][0])))
            g.rows, g.cols = g.rows[keep], g.cols[keep]

    def _index_group(self, group: FormulaGroup) -> None:
        """Add a just-appended group to the formula-cell index, if it is built."""
        if self._owner is None:
            return
        rr, cc = group.footprint()
        self._owner_grid()[rr, cc] = len(self.groups)

    def set_formula(self, ref: str | tuple[int, int], text: str) -> None:
        """One formula in one cell (text with or without '=')."""
        row, col = _cell_of(ref)
        if self.groups:
            self._detach(row, col)
        group = FormulaGroup(_strip_eq(text), np.array([row], np.int32), np.array([col], np.int32))
        self.groups.append(group)
        self.values.set(row, col, None)
        self._index_group(group)

    def _inside(self, area: Area, what: str) -> Area:
        """An area written to must lie in Excel's grid (A1:XFD1048576)."""
        if not (0 <= area.r0 <= area.r1 < MAX_ROWS and 0 <= area.c0 <= area.c1 < MAX_COLS):
            raise UserError(f"sheet {self.name!r}: {what} would span rows {area.r0 + 1:,}-{area.r1 + 1:,} and columns "
                            f"{area.c0 + 1:,}-{area.c1 + 1:,}, outside Excel's grid of {MAX_ROWS:,} rows x "
                            f"{MAX_COLS:,} columns (A1:XFD1048576)")
        return area

    def fill(self, area: str | Area, text: str) -> FormulaGroup:
        """Fill `text` (as written in the area's top-left cell) over the area,
        references shifting the way Excel's fill handle shifts them."""
        area = self._inside(parse_area(area) if isinstance(area, str) else area, "a filled formula")
        self._detach_area(area)
        rr, cc = np.mgrid[area.r0:area.r1 + 1, area.c0:area.c1 + 1]
        group = FormulaGroup(_strip_eq(text), rr.ravel().astype(np.int32), cc.ravel().astype(np.int32))
        self.groups.append(group)
        self.values.ensure(area.r1 + 1, area.c1 + 1)
        self._index_group(group)
        return group

    def set_array_formula(self, area: str | Area, text: str) -> FormulaGroup:
        """A legacy (Ctrl+Shift+Enter) array formula spilling over `area`."""
        area = self._inside(parse_area(area) if isinstance(area, str) else area, "an array formula")
        self._detach_area(area)
        group = FormulaGroup(_strip_eq(text), np.array([area.r0], np.int32),
                             np.array([area.c0], np.int32), array=area)
        self.groups.append(group)
        self.values.ensure(area.r1 + 1, area.c1 + 1)
        self._index_group(group)
        return group

    def spill(self, ref: str | tuple[int, int], text: str) -> FormulaGroup:
        """A dynamic-array formula in one cell: an array result spills over the
        cells below and to the right (#SPILL! where they are not empty)."""
        row, col = _cell_of(ref)
        area = Area(row, col, row, col)
        self._detach_area(area)
        group = FormulaGroup(_strip_eq(text), np.array([row], np.int32), np.array([col], np.int32),
                             array=area, dynamic=True)
        self.groups.append(group)
        self.values.ensure(row + 1, col + 1)
        self._index_group(group)
        return group

    def add_group(self, group: FormulaGroup) -> None:
        """Append a group whose cells hold no formula yet (the reader's bulk path)."""
        self.groups.append(group)
        self._index_group(group)

    def style(self, area: str | Area, style) -> None:
        """Paint a style (sheetnet.style.Style) over an area; later paint wins."""
        area = self._inside(parse_area(area) if isinstance(area, str) else area, "a style")
        self.values.ensure(area.r1 + 1, area.c1 + 1)
        self.styles.append((area, style))

    def formula_at(self, ref: str | tuple[int, int]) -> str | None:
        """The formula text of one cell as Excel would show it (with '='), or None."""
        row, col = _cell_of(ref)
        gi = self._owner_of(row, col)
        if gi is None:
            return None
        g = self.groups[gi]
        if g.array is not None:
            return "{=" + g.text + "}"
        if (row, col) == g.anchor:
            return "=" + g.text
        from .formula.render import render
        return "=" + render(g.ast, (row, col))

    # --- values -------------------------------------------------------------

    def set_value(self, ref: str | tuple[int, int], value) -> None:
        """A constant (never interpreted as a formula, even if it starts with '=')."""
        row, col = _cell_of(ref)
        if self.groups:
            self._detach(row, col)
        self.values.set(row, col, value)

    def set_values(self, ref: str | tuple[int, int], block) -> None:
        """A 2-D block of constants with its top-left at `ref`."""
        row, col = _cell_of(ref)
        arr = np.asarray(block, dtype=object if not hasattr(block, "dtype") else None)
        if arr.ndim == 1:
            arr = arr[None, :]
        area = self._inside(Area(row, col, row + arr.shape[0] - 1, col + arr.shape[1] - 1), "a block of values")
        self._detach_area(area)
        self.values.set_block(row, col, arr)

    def value(self, ref: str | tuple[int, int]):
        """The stored value (for a formula cell: the cached result)."""
        return self.values.get(*_cell_of(ref))

    def __setitem__(self, ref: str, value) -> None:
        """sheet["B3"] = 5 stores a constant; sheet["B3"] = "=A1*2" a formula."""
        if isinstance(value, str) and value.startswith("=") and len(value) > 1:
            self.set_formula(ref, value)
        else:
            self.set_value(ref, value)


class Book:
    """A workbook: ordered sheets plus defined names."""

    def __init__(self, path: str | None = None):
        self.path = path
        self.sheets: list[Sheet] = []
        self.names: list[DefinedName] = []
        self.calc_props: dict[str, str] = {}
        self.tables: list[Table] = []
        self.has_vba = False
        # sheetnet.vba.Module list to write as xl/vbaProject.bin (with a document module per
        # sheet): the book is then an .xlsm; None: no macros
        self.vba_modules: list | None = None
        self.parts: dict[str, str] = {}     # sheet name -> worksheet part, for books read from a file

    def __repr__(self) -> str:
        return f"<Book {self.path or '(new)'}: {[s.name for s in self.sheets]}>"

    def add_sheet(self, name: str) -> Sheet:
        if not isinstance(name, str) or not name:
            raise UserError(f"a sheet needs a name (got {name!r})")
        if self.find_sheet(name) is not None:
            raise UserError(f"a sheet named {name!r} already exists")
        sheet = Sheet(name)
        self.sheets.append(sheet)
        return sheet

    def find_sheet(self, name: str) -> Sheet | None:
        """Sheet names compare case-insensitively, as in Excel."""
        key = name.casefold()
        for s in self.sheets:
            if s.name.casefold() == key:
                return s
        return None

    def __getitem__(self, name: str) -> Sheet:
        s = self.find_sheet(name)
        if s is None:
            raise KeyError(name)
        return s

    def define_name(self, name: str, refers_to: str, scope: str | None = None, hidden: bool = False) -> DefinedName:
        refers_to = _strip_eq(refers_to)
        for i, n in enumerate(self.names):
            if n.name.casefold() == name.casefold() and _same_scope(n.scope, scope):
                self.names[i] = DefinedName(name, refers_to, scope, hidden)
                return self.names[i]
        dn = DefinedName(name, refers_to, scope, hidden)
        self.names.append(dn)
        return dn

    # --- tables ---------------------------------------------------------------

    def find_table(self, name: str) -> Table | None:
        """Table names are workbook-wide and case-insensitive, as in Excel."""
        key = name.casefold()
        for t in self.tables:
            if t.name.casefold() == key:
                return t
        return None

    def table_at(self, sheet: str, row: int, col: int) -> Table | None:
        """The table whose rectangle holds the cell, if any."""
        key = sheet.casefold()
        for t in self.tables:
            if t.sheet.casefold() == key and t.area.contains(row, col):
                return t
        return None

    def add_table(self, sheet: str, ref: str | Area, name: str, columns: list[str] | None = None, *,
                  totals: dict[str, str] | None = None, style: str | None = "TableStyleMedium2") -> Table:
        """Make an Excel Table over `ref` (header row included, plus a totals
        row when `totals` maps column names to a totals function such as
        "sum" or "average").  `columns` are written into the header row; by
        default the header cells already there name the columns."""
        s = self[sheet]
        area = parse_area(ref) if isinstance(ref, str) else ref
        if self.find_table(name) is not None or self.lookup_name(name, None) is not None:
            raise UserError(f"a table or name called {name!r} already exists")
        if not _TABLE_NAME.fullmatch(name) or is_cell_name(name):
            raise UserError(f"{name!r} is not a valid table name")
        for other in self.tables:
            if other.sheet.casefold() == s.name.casefold() and _overlap(other.area, area):
                raise UserError(f"table {name} would overlap table {other.name}")
        if columns is None:
            columns = [s.value((area.r0, c)) for c in range(area.c0, area.c1 + 1)]
        else:
            s.set_values((area.r0, area.c0), [list(columns)])
        if len(columns) != area.width or not all(isinstance(c, str) and c for c in columns):
            raise UserError(f"table {name} needs {area.width} column names (texts), got {columns!r}")
        if len({c.casefold() for c in columns}) != len(columns):
            raise UserError(f"table {name} has repeated column names")
        table = Table(name, s.name, area, [TableColumn(c) for c in columns], 1, 1 if totals else 0, style)
        if totals:
            r = area.r1
            for col_name, fn in totals.items():
                i = table.column_index(col_name)
                if i is None or fn not in TABLE_TOTALS:
                    raise UserError(f"table {name}: cannot total column {col_name!r} with {fn!r}")
                table.columns[i].totals_function = fn
                column = structured_text(StructRef(name, (), table.columns[i].name))
                s.set_formula((r, area.c0 + i), f"SUBTOTAL({TABLE_TOTALS[fn]},{column})")
        self.tables.append(table)
        return table

    def calculated_column(self, table: str, column: str, formula: str) -> FormulaGroup:
        """Fill a table column's data rows with one formula, as Excel's
        calculated columns do (the formula may use [@Col] references)."""
        t = self.find_table(table)
        if t is None:
            raise UserError(f"no table named {table!r}")
        i = t.column_index(column)
        if i is None:
            raise UserError(f"table {table} has no column {column!r}")
        first, last = t.data_rows
        c = t.area.c0 + i
        t.columns[i].formula = _strip_eq(formula)
        return self[t.sheet].fill(Area(first, c, last, c), formula)

    def lookup_name(self, name: str, sheet: str | None) -> DefinedName | None:
        """Resolve as Excel does: a name local to `sheet` wins over a global one."""
        key = name.casefold()
        found = None
        for n in self.names:
            if n.name.casefold() != key:
                continue
            if n.scope is not None and sheet is not None and n.scope.casefold() == sheet.casefold():
                return n
            if n.scope is None:
                found = n
        return found

    def set_solver_model(self, model: SolverModel) -> None:
        """Store a Solver model as hidden names local to its sheet, the way
        Excel does, so its Solver dialog opens with the model filled in."""
        for name, value in solver_names(model).items():
            self.define_name(name, value, scope=model.sheet, hidden=True)

    def solver_models(self) -> dict[str, SolverModel]:
        """Every sheet's Excel Solver model, from its sheet-local solver_* names."""
        by_sheet: dict[str, dict[str, str]] = {}
        for n in self.names:
            if n.scope is not None and n.name.lower().startswith("solver_"):
                by_sheet.setdefault(n.scope, {})[n.name.lower()] = n.refers_to
        return {sheet: SolverModel.from_names(sheet, names)
                for sheet, names in by_sheet.items() if "solver_opt" in names or "solver_adj" in names}

    def resolve_area(self, text: str, default_sheet: str | None = None) -> tuple[Sheet, Area]:
        """"dotprod!$H$19:$V$23" -> (sheet, Area)."""
        sheet_name, ref = split_sheet(text)
        sheet_name = sheet_name or default_sheet
        sheet = self.find_sheet(sheet_name) if sheet_name else None
        if sheet is None:
            raise UserError(f"no sheet named {sheet_name!r} for {text}")
        try:
            return sheet, parse_area(ref.replace("$", ""))
        except ValueError:
            raise UserError(f"{text} is not a cell range") from None


_TABLE_NAME = re.compile(r"[A-Za-z_\\][\w.]*")


def _overlap(a: Area, b: Area) -> bool:
    return a.r0 <= b.r1 and b.r0 <= a.r1 and a.c0 <= b.c1 and b.c0 <= a.c1


def _same_scope(a: str | None, b: str | None) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and a.casefold() == b.casefold())


def _strip_eq(text: str) -> str:
    return text[1:] if text.startswith("=") else text


def _cell_of(ref: str | tuple[int, int]) -> tuple[int, int]:
    if isinstance(ref, tuple):
        return int(ref[0]), int(ref[1])
    a = parse_cell(ref.replace("$", ""))
    return a.row, a.col
