"""Engine: evaluates every formula of a Book with Excel's semantics.

    engine = Engine(book)          # plans: blocks, dependency graph, order
    engine.recalc()                # evaluates everything
    engine.value("dotprod", "V41") # -> 0.39301547128657...
    engine.set_value("dotprod", "H19", 0.5); engine.recalc()

Values are computed into one ValueGrid per sheet (constants are shared with
the book's stored values, formula cells are overwritten by each recalc).

Per-cell evaluation state lives in a uint8 grid per sheet: READY (a constant,
or computed), PENDING, or in progress (as part of a vectorised block, or as a
single cell).  Reading cells that are still pending pulls them in first --
that is how OFFSET's run-time targets get evaluated in time; reading cells in
progress is a cycle.
"""

from __future__ import annotations

import heapq
import re
from dataclasses import replace

import numpy as np

from .. import limits
from ..book import Book
from ..errors import CircularReferenceError, FormulaSyntaxError, UserError
from ..formula.ast import AreaRef, Call, ErrorLit, Name, Node, Ref3D, walk
from ..formula.closures import Lambda
from ..formula.batch import Batch, NotVectorizable, RefVal, deref, intersect
from ..formula.evaluator import Evaluator
from ..formula.parser import parse
from ..formula.values import Arr
from ..refs import MAX_COLS, MAX_ROWS, Area, cell_name, parse_cell
from ..store import BLANK, BOOL, NUM, ValueGrid, encode
from .plan import (FIXED, RELATIVE, Block, Unit, axis_span, cell_order, make_blocks, read_region, reading_order,
                   reading_rules, reference_reads, strongly_connected, tree_depth)
from .scalar import Fallback, compile_block

READY, PENDING, IN_BLOCK, IN_CELL = 0, 1, 2, 3
# Excel's markers of newer functions, which it does not show (outside text literals)
_PREFIXES = re.compile(r'("[^"]*")|_xlfn\.|_xlws\.', re.IGNORECASE)
_UNCOMPILED = object()
_ERR_NA = 22
E_SPILL = 24


class _BlockCycle(Exception):
    """A vectorised block's cells were read while it was being evaluated; the
    block is retried cell by cell (where a real cycle shows as a cell cycle)."""

    def __init__(self, block_id: int):
        self.block_id = block_id


class _Deferred(Exception):
    """A cell read through OFFSET/INDEX while PULL_DEPTH cells were already
    being pulled in, one inside the other: the cells on the way are put back
    to pending and it is evaluated first, from the top, then they are
    retried.  A chain of pulls of any length so takes no deeper recursion."""

    def __init__(self, block_id: int, row: int, col: int):
        self.block_id, self.row, self.col = block_id, row, col


# a rectangle this many columns wide or wider (whole rows, wide tables) is not
# indexed column by column: its readers are found by checking every unit
WIDE_READ = 64
PULL_DEPTH = 100        # cells pulled one inside the other before the innermost is deferred


class SheetState:
    __slots__ = ("index", "name", "vals", "state", "owner", "formula_mask")

    def __init__(self, index: int, name: str, vals: ValueGrid):
        self.index, self.name, self.vals = index, name, vals
        self.state = None
        self.owner = None
        self.formula_mask = None


class Engine:
    def __init__(self, book: Book, *, seed: int | None = 0, volatile: str = "recompute",
                 unsupported: str = "error"):
        """volatile="cached" keeps RAND/RANDBETWEEN cells at the values the file
        stored (so `check` can verify everything that depends on them);
        unsupported="cached" does the same for cells whose formula uses a
        function sheetnet lacks or cannot be parsed (else they are #NAME?)."""
        self.book = book
        self._seed = seed
        self._rng = None            # made on first use: numpy.random takes a while to import
        self.volatile_mode = volatile
        self.unsupported_mode = unsupported
        self.evaluator = Evaluator(self)
        self.checking_reads = False
        # dynamic_reads: block id -> [(sheet, r0, c0, r1, c1)] read through
        # OFFSET/INDEX during the last recalc, when record_dynamic is set
        self.record_dynamic = False
        self.dynamic_reads: dict[int, list] = {}
        self.eval_log: list[tuple[int, int]] = []   # (block, cell position or -1 for all), when recording
        self._current_block: int | None = None
        self.unsupported_counts: dict[str, int] = {}
        self.parse_failures: list = []
        self._name_trees: dict = {}
        self._name_depths: dict = {}     # (name, sheet) -> levels its formula adds when evaluated
        self._scalar: dict = {}          # block id -> compiled scalar function (or None)
        self._plan()

    @property
    def rng(self) -> np.random.Generator:
        """The random numbers RAND and RANDBETWEEN draw (seeded)."""
        if self._rng is None:
            self._rng = np.random.default_rng(self._seed)
        return self._rng

    # --- planning -----------------------------------------------------------------

    @property
    def iteration(self) -> tuple[int, float] | None:
        """(maximum iterations, maximum change) when the workbook enables
        iterative calculation (Excel's File > Options > Formulas), else None:
        then circular references are refused."""
        props = self.book.calc_props
        if props.get("calcPr.iterate") not in ("1", "true"):
            return None
        try:
            return int(props.get("calcPr.iterateCount", "100")), float(props.get("calcPr.iterateDelta", "0.001"))
        except ValueError:
            return 100, 0.001

    def _plan(self) -> None:
        book = self.book
        self.parse_failures = []
        self._scalar = {}
        self._edits = None              # None: the next recalc is a full one
        # True from a finished recalculation until the next starts (or the plan
        # or a grid changes): every cell is READY, so the compiled closures
        # need not check the cells they read are calculated (engine/scalar.py)
        self.settled = False
        self._reach: dict = {}          # edits -> what they reach: see _reached
        self._dyn_boxes: dict = {}      # block id -> {sheet: [r0, c0, r1, c1]} read through OFFSET/INDIRECT
        self._dyn_indexed = None        # the boxes the index of readers has (see _index_dynamic_reads)
        self.sheets = [SheetState(i, s.name, s.values) for i, s in enumerate(book.sheets)]
        self._by_name = {s.name.casefold(): s for s in self.sheets}
        names = [s.name for s in book.sheets]
        self.blocks: list[Block] = make_blocks(book.sheets, self.parse_failures, self.name_tree)
        if self.parse_failures and self.unsupported_mode != "cached":
            sheet, (r, c), why = self.parse_failures[0]
            raise FormulaSyntaxError(f"{sheet}!{cell_name(r, c)}: {why}")
        self._check_depths(names)
        self._size_grids()
        for s in self.sheets:
            s.owner = np.full(s.vals.num.shape, -1, dtype=np.int32)
        for b in self.blocks:
            rr, cc = b.footprint()
            self.sheets[b.sheet].owner[rr, cc] = b.id
        self._subtotal_blocks = np.array([b.id for b in self.blocks if _calls_subtotal(b)], dtype=np.int32)
        self._static_reads(names)
        for b in self.blocks:
            for (t, r0, c0, r1, c1) in b.reads:
                ids = np.unique(self.sheets[t].owner[r0:r1 + 1, c0:c1 + 1])
                b.preds.update(int(i) for i in ids if i >= 0)
        comps = strongly_connected(len(self.blocks), [sorted(b.preds) for b in self.blocks])
        self.units: list[Unit] = []
        for comp in comps:
            unit_id = len(self.units)
            cellwise = len(comp) > 1 or comp[0] in self.blocks[comp[0]].preds
            for bid in comp:
                self.blocks[bid].unit = unit_id
            self.units.append(Unit(sorted(comp), cellwise))
        for uid, u in enumerate(self.units):
            for bid in u.blocks:
                u.preds.update(self.blocks[p].unit for p in self.blocks[bid].preds)
            u.preds.discard(uid)
            if u.cellwise:
                unit_blocks = [self.blocks[i] for i in u.blocks]
                try:
                    u.order = cell_order(unit_blocks, names, self._name_tree_for_plan, self._expander)
                except CircularReferenceError:
                    if self.iteration is None:
                        raise
                    u.iterative, u.order = True, reading_order(unit_blocks)
        # formula cells start PENDING at every recalc; cells keeping their cached
        # value (volatile / unsupported in check mode) are READY from the start
        for s in self.sheets:
            s.formula_mask = s.owner >= 0
        self._frozen = [b for b in self.blocks if self._keeps_cached(b)]
        for b in self.blocks:
            if self._keeps_cached(b):
                rr, cc = b.footprint()
                self.sheets[b.sheet].formula_mask[rr, cc] = False
        for s in self.sheets:
            # cached text at formula cells is stale once we compute them
            s.vals.obj[s.formula_mask] = None
        self.planned_cells = int(sum(s.formula_mask.sum() for s in self.sheets))
        self._spilling = sum(b.dynamic for b in self.blocks)
        self._plan_reach()

    def _plan_reach(self) -> None:
        """What working out an edit's reach needs, once per plan: per unit its
        blocks, whether any is volatile, whether a hit means all its cells,
        and the rectangles its blocks read; an index from each column of a
        sheet to the units reading it, so that an edit looks at the few units
        it can reach rather than at every unit; the rectangular blocks whose
        cells run row by row (a cell's position is then arithmetic)."""
        self._unit_reads: list = [None] * len(self.units)    # None: keeps cached values, never reached
        self._column_readers: dict = {}     # (sheet, column) -> the units reading some cell of it
        self._wide_readers = []             # units reading rectangles too wide to index, and volatile ones
        self._writes = [[self._written(self.blocks[i]) for i in unit.blocks] for unit in self.units]
        for uid, unit in enumerate(self.units):
            blocks = [self.blocks[i] for i in unit.blocks]
            if all(self._keeps_cached(b) for b in blocks):
                continue
            first = blocks[0]
            boxes = [(t, *box) for b in blocks for t, _, _, box in self._ref_reads.get(b.id, ())]
            volatile = any(b.volatile for b in blocks)
            self._unit_reads[uid] = (blocks, volatile,
                                     unit.cellwise or first.array is not None or first.dynamic, boxes)
            if volatile:
                self._wide_readers.append(uid)
                continue
            for box in boxes:
                _index_reader(self._column_readers, self._wide_readers, uid, box)
        self._row_major = set()
        for b in self.blocks:
            if b.rect is not None and b.array is None:
                r0, c0, bh, bw = b.rect
                at = np.arange(b.size)
                if np.array_equal(b.rows, r0 + at // bw) and np.array_equal(b.cols, c0 + at % bw):
                    self._row_major.add(b.id)
        # the scalar closures that cells reached by an edit are calculated with,
        # compiled now rather than on the first edit
        with limits.deep_recursion():
            for b in self.blocks:
                if b.id not in self._scalar:
                    self._scalar[b.id] = self._compile(b)

    def _compile(self, b: Block):
        """The block's compiled scalar closure, or None (formulas evaluated in
        array context always take the general path)."""
        if b.tree is None or b.array is not None or b.array_context:
            return None
        return compile_block(b.tree, self, b.sheet)

    def _keeps_cached(self, b: Block) -> bool:
        if b.tree is None:
            return self.unsupported_mode == "cached"
        if b.external and self.unsupported_mode == "cached":
            return True
        if b.unsupported and self.unsupported_mode == "cached":
            return True
        return b.volatile and self.volatile_mode == "cached"

    def _check_depths(self, names) -> None:
        """Evaluation recurses once per level of a formula's tree (and of the
        defined names it uses): refuse what is deeper than sheetnet's limit
        (far beyond anything Excel lets a formula reach on its own)."""
        # every level of a tree costs its text a character: with the names'
        # texts together that short, nothing can be too deep
        names_text = sum(len(n.refers_to) for n in self.book.names)
        for b in self.blocks:
            if b.tree is None or len(b.text) + names_text <= limits.MAX_DEPTH:
                continue
            sheet = names[b.sheet]
            depth = tree_depth(b.tree, lambda n, s=sheet: self._name_depth(n.name, n.sheet or s))
            if depth > limits.MAX_DEPTH:
                raise FormulaSyntaxError(f"{b.where(names)}: the formula, with the defined names it uses, nests "
                                         f"{depth:,} levels deep; sheetnet evaluates at most {limits.MAX_DEPTH:,}")

    def _size_grids(self) -> None:
        """Grow each sheet's grid to hold every cell and every statically
        referenced cell, so blocks read slices without bounds checks.  The
        memory that takes is checked against the budget first."""
        need = {s.index: list(s.vals.num.shape) for s in self.sheets}
        why: dict[int, str] = {}       # sheet -> the cell (and reference) that asks for the most
        for b in self.blocks:
            n = need[b.sheet]
            if b.array is not None:
                r1, c1 = b.array.r1, b.array.c1
            else:
                r1, c1 = int(b.rows.max()), int(b.cols.max())
            if r1 >= n[0] or c1 >= n[1]:
                n[0], n[1] = max(n[0], r1 + 1), max(n[1], c1 + 1)
                why[b.sheet] = f"{b.where([s.name for s in self.sheets])} is at {cell_name(r1, c1)}"
        names = [s.name for s in self.sheets]
        self._regions = {}
        # block id -> [(sheet, how the reference follows its cell (reading_rules), its region over all cells)]
        self._ref_reads = {}
        for b in self.blocks:
            if b.tree is None:
                continue
            regions = []
            rmin, rmax, cmin, cmax = int(b.rows.min()), int(b.rows.max()), int(b.cols.min()), int(b.cols.max())
            for ref in reference_reads(b.tree, lambda nd, s=b.sheet: self._name_tree_for_plan(nd, names[s]),
                                       self._expander(b)):
                target = b.sheet if ref.sheet is None else self._sheet_index(ref.sheet)
                if target is None:
                    continue
                r0, c0, r1, c1 = read_region(ref, rmin, rmax, cmin, cmax)
                regions.append((target, r0, c0, r1, c1))
                self._ref_reads.setdefault(b.id, []).append((target, *reading_rules(ref), _bounded(r0, c0, r1, c1)))
                n = need[target]
                if (r1 is not None and r1 >= n[0]) or (c1 is not None and c1 >= n[1]):
                    if r1 is not None:
                        n[0] = max(n[0], r1 + 1)
                    if c1 is not None:
                        n[1] = max(n[1], c1 + 1)
                    corner = cell_name(r1 if r1 is not None else 0, c1 if c1 is not None else 0)
                    why[target] = f"{b.where(names)} reads as far as {corner}"
            self._regions[b.id] = regions
        for s in self.sheets:
            rows, cols = need[s.index]
            if rows > s.vals.num.shape[0] or cols > s.vals.num.shape[1]:
                limits.require_cells((rows + 1) * (cols + 1) - s.vals.num.size,
                                     f"sheet {s.name!r}: {why.get(s.index, 'its cells')}, so its grid of "
                                     f"{rows:,} x {cols:,} cells")
                s.vals.ensure(rows + 1, cols + 1)

    def _static_reads(self, names) -> None:
        for b in self.blocks:
            for (t, r0, c0, r1, c1) in self._regions.get(b.id, ()):
                R, C = self.sheets[t].vals.num.shape
                r0 = 0 if r0 is None else max(r0, 0)
                c0 = 0 if c0 is None else max(c0, 0)
                r1 = R - 1 if r1 is None else min(r1, R - 1)
                c1 = C - 1 if c1 is None else min(c1, C - 1)
                if r0 <= r1 and c0 <= c1:
                    b.reads.append((t, r0, c0, r1, c1))

    def _expander(self, b: Block):
        """How the planner reads a block's table and 3-D references: as the
        plain references they stand for (a #This Row one as a reference to
        the cell's own row)."""
        host = (self.sheets[b.sheet].name, int(b.rows[0]), int(b.cols[0]))

        def expand(node):
            if isinstance(node, Ref3D):
                span = self.sheet_span(node.first, node.last) or []
                return [replace(node.ref, sheet=name) for name in span]
            table = self.book.find_table(node.table) if node.table else self.book.table_at(*host)
            if table is None:
                return []
            cols = table.columns_of(node.col1, node.col2)
            if cols is None:
                return []
            if node.this_row:
                return [AreaRef(table.sheet, 0, cols[0], 0, cols[1], False, True, False, True)]
            rows = table.rows_of(node.items)
            if rows is None:
                return []
            return [AreaRef(table.sheet, rows[0], cols[0], rows[1], cols[1], True, True, True, True)]

        return expand

    def table_for(self, name: str | None, batch: Batch):
        """The table a structured reference names; for the short form written
        inside a table ([@Col]) the table holding the formula's cells."""
        if name is not None:
            return self.book.find_table(name)
        rows = np.broadcast_to(batch.rows, batch.shape)
        cols = np.broadcast_to(batch.cols, batch.shape)
        if rows.size == 0:
            return None
        table = self.book.table_at(batch.sheet.name, int(rows.flat[0]), int(cols.flat[0]))
        if table is not None and rows.size > 1:
            a = table.area
            if rows.min() < a.r0 or rows.max() > a.r1 or cols.min() < a.c0 or cols.max() > a.c1:
                raise NotVectorizable("cells of several tables")
        return table

    def subtotal_cells(self, sheet: SheetState, rows: slice, cols: slice) -> np.ndarray:
        """Which cells of sheet[rows, cols] (inside its value grid) hold a
        formula calling SUBTOTAL or AGGREGATE: the nested subtotals those two
        leave out of their ranges, not to count a subtotal twice."""
        region = np.zeros(sheet.vals.num[rows, cols].shape, dtype=bool)
        if self._subtotal_blocks.size:
            owner = sheet.owner[rows, cols]
            h, w = min(owner.shape[0], region.shape[0]), min(owner.shape[1], region.shape[1])
            region[:h, :w] = np.isin(owner[:h, :w], self._subtotal_blocks)
        return region

    def spill_area(self, sheet: SheetState, row: int, col: int):
        """The range the array formula anchored at (row, col) fills, or None."""
        R, C = sheet.owner.shape
        if not (0 <= row < R and 0 <= col < C):
            return None
        bid = int(sheet.owner[row, col])
        if bid < 0:
            return None
        b = self.blocks[bid]
        if b.array is None or (b.array.r0, b.array.c0) != (row, col):
            return None
        return b.array

    def sheet_span(self, first: str, last: str) -> list[str] | None:
        """The sheets of a 3-D reference, first to last in workbook order."""
        a, b = self._sheet_index(first), self._sheet_index(last)
        if a is None or b is None:
            return None
        a, b = min(a, b), max(a, b)
        return [s.name for s in self.sheets[a:b + 1]]

    def _sheet_index(self, name: str) -> int | None:
        s = self._by_name.get(name.casefold())
        return None if s is None else s.index

    # --- names ----------------------------------------------------------------------

    def name_tree(self, name: str, sheet: str) -> Node | None:
        """The parsed formula of a defined name as seen from `sheet` (local names win)."""
        key = (name.casefold(), sheet.casefold())
        if key not in self._name_depths:
            self._resolve_names(name, sheet)
        return self._name_trees[key]

    def _name_depth(self, name: str, sheet: str) -> int:
        key = (name.casefold(), sheet.casefold())
        if key not in self._name_depths:
            self._resolve_names(name, sheet)
        return self._name_depths[key]

    def _parse_name(self, name: str, sheet: str) -> Node | None:
        dn = self.book.lookup_name(name, sheet)
        if dn is None:
            return None
        try:
            return parse(dn.refers_to, (0, 0))
        except FormulaSyntaxError:
            return ErrorLit("#NAME?")

    def _resolve_names(self, name: str, sheet: str) -> None:
        """Parse a name and every name its formula uses, depth first in one loop
        (a chain of names can be long), recording the depth each adds.  Names
        that refer to each other in a loop are a circular reference."""
        def used(tree):                 # the names a formula uses, seen from `sheet`
            return iter([] if tree is None else
                        [(n.name, n.sheet or sheet) for n in walk(tree) if isinstance(n, Name)])

        root = (name.casefold(), sheet.casefold())
        self._name_trees[root] = self._parse_name(name, sheet)
        path, stack = [name], [(root, used(self._name_trees[root]))]
        on_path = {root}
        while stack:
            key, todo = stack[-1]
            for child, child_sheet in todo:
                ckey = (child.casefold(), child_sheet.casefold())
                if ckey in on_path:
                    loop = path[[k for k, _ in stack].index(ckey):] + [child]
                    raise CircularReferenceError("circular reference: defined names refer to each other in a "
                                                 "loop: " + " -> ".join(loop))
                if ckey in self._name_depths:
                    continue
                self._name_trees[ckey] = self._parse_name(child, child_sheet)
                on_path.add(ckey)
                path.append(child)
                stack.append((ckey, used(self._name_trees[ckey])))
                break
            else:
                stack.pop()
                path.pop()
                on_path.discard(key)
                tree = self._name_trees[key]
                self._name_depths[key] = 0 if tree is None else tree_depth(
                    tree, lambda n: self._name_depths[(n.name.casefold(), (n.sheet or sheet).casefold())])

    def _name_tree_for_plan(self, node: Name, sheet: str) -> Node | None:
        return self.name_tree(node.name, node.sheet or sheet)

    def formula_text(self, sheet: SheetState, r: int, c: int) -> str | None:
        """The formula of a cell as Excel shows it ("=SIN(1/16)", no _xlfn.
        prefixes), None when the cell holds none (FORMULATEXT)."""
        owner = sheet.owner
        if not (0 <= r < owner.shape[0] and 0 <= c < owner.shape[1]) or owner[r, c] < 0:
            return None
        b = self.blocks[int(owner[r, c])]
        if b.tree is None:
            return "=" + b.text
        from ..formula.render import render
        text = render(b.tree, (int(b.array.r0), int(b.array.c0)) if b.array is not None else (r, c))
        return "=" + _PREFIXES.sub(lambda m: m.group(1) or "", text)

    def sheet_state(self, name: str) -> SheetState | None:
        return self._by_name.get(name.casefold())

    def note_unsupported(self, name: str, cells: int) -> None:
        self.unsupported_counts[name] = self.unsupported_counts.get(name, 0) + cells

    # --- evaluation -------------------------------------------------------------------

    def recalc(self) -> "Engine":
        """Evaluate every formula cell.  A spilled result that grew or shrank
        since the last plan changes its formula's range; the workbook is then
        planned and calculated again (once per change)."""
        rounds = self._spilling + 1
        while True:
            self._resized = False
            self._recalc_once()
            rounds -= 1
            if not self._resized or rounds < 0:
                return self
            self._plan()

    # an edit reaching at most this many cells of a vectorised block recalculates
    # just those cells (one by one); more, and the whole block is recalculated
    PARTIAL_CELLS = 32

    def _dirty_units(self) -> set[int] | None:
        """The units an edit reaches (see _reached); None: all of them."""
        reached = self._reached()
        return None if reached is None else set(reached)

    def _reached(self) -> dict | None:
        """After edits to constants: {unit: None (all its cells) or {block:
        positions}} for what reads an edited cell (statically, or through
        OFFSET/INDIRECT in the last calculation), the volatile units, and
        everything downstream of those; None when the whole workbook must be
        calculated.  The answer is kept for the same edits (an input cell
        changed again and again) while the OFFSET/INDIRECT boxes stay as they
        were: nothing else it depends on changes without a new plan."""
        if self._edits is None or self.record_dynamic:
            return None
        # a finished calculation indexed its OFFSET/INDIRECT reads as it ended
        if not self.settled and self._dyn_indexed != self._dyn_boxes:
            self._index_dynamic_reads()
        key = tuple(self._edits)
        reached = self._reach.get(key)
        if reached is None:
            reached = self._propagate(list(self._edits))
            if len(self._reach) > 64:
                self._reach.clear()
            self._reach[key] = reached
        return reached

    def _index_dynamic_reads(self) -> None:
        """Add what OFFSET/INDIRECT read in the last calculation to the column
        index of readers (see _plan_reach); the reaches worked out before
        are forgotten, as they may differ now."""
        self._dyn_indexed = {bid: {t: list(box) for t, box in bb.items()} for bid, bb in self._dyn_boxes.items()}
        self._readers = {key: list(units) for key, units in self._column_readers.items()}
        self._wide = list(self._wide_readers)
        self._dyn_unit_boxes = {}
        for bid, by_sheet in self._dyn_indexed.items():
            uid = self.blocks[bid].unit
            for t, (r0, c0, r1, c1) in by_sheet.items():
                box = (t, r0, max(c0, 0), r1, c1)
                self._dyn_unit_boxes.setdefault(uid, []).append(box)
                _index_reader(self._readers, self._wide, uid, box)
        self._reach = {}

    def _propagate(self, changed: list) -> dict:
        """The units that may read a changed rectangle (by the column index;
        volatile and very wide readers; those whose OFFSET/INDIRECT read a
        box in the last calculation), in dependency order, each checked
        against the rectangles changed so far: the edits, then what each
        reached unit rewrites, whose readers join the queue.  Units come in
        dependency order, so a unit's rewrite is read by later units only."""
        reached: dict = {}
        dyn = self._dyn_unit_boxes
        readers = self._readers
        queue = list(self._wide)
        for rect in changed:
            self._queue_readers(rect, queue, -1)
        heapq.heapify(queue)
        unit_reads = self._unit_reads
        last = -1
        while queue:
            uid = heapq.heappop(queue)
            if uid <= last:             # queued twice
                continue
            last = uid
            entry = unit_reads[uid]
            if entry is None:
                continue
            blocks, whole, whole_if_hit, boxes = entry
            if not whole:
                if dyn and uid in dyn and _any_meets(dyn[uid], changed):
                    whole = True        # OFFSET/INDIRECT read it in the last calculation
                elif not _any_meets(boxes, changed):
                    continue
                else:
                    whole = whole_if_hit
            b = blocks[0]
            positions, box = (None, None) if whole else self._cells_reached(b, changed)
            if positions is None:
                reached[uid] = None
                written = self._writes[uid]
            elif positions:
                reached[uid] = {b.id: positions}
                written = (box,)
            else:
                continue
            for rect in written:
                changed.append(rect)
                t, _, c0, _, c1 = rect
                if c0 != c1:
                    self._queue_readers(rect, queue, uid)
                    continue
                # one column, the common case: _queue_readers written out (this runs
                # cold on a user's first edit, where each call is microseconds)
                for reader in readers.get((t, c0), ()):
                    if reader > uid:
                        heapq.heappush(queue, reader)
        return reached

    def _queue_readers(self, rect: tuple, queue: list, after: int) -> None:
        """Put on the heap the units after `after` whose reads may meet a
        rectangle (by the column index; a very wide one: every unit)."""
        t, _, c0, _, c1 = rect
        if c1 - c0 >= WIDE_READ:
            for uid in range(after + 1, len(self._unit_reads)):
                heapq.heappush(queue, uid)
            return
        index = self._readers
        for c in range(c0, c1 + 1):
            for uid in index.get((t, c), ()):
                if uid > after:
                    heapq.heappush(queue, uid)

    def _cells_reached(self, b: Block, changed: list) -> tuple[list[int] | None, tuple | None]:
        """The positions (sorted) of a vectorised block's cells that read a
        changed rectangle, when few enough to calculate one by one, and the
        rectangle around those cells; (None, None) for all of them."""
        if b.size == 1:         # one cell: its scalar path beats a block's
            r, c = int(b.rows[0]), int(b.cols[0])
            return [0], (b.sheet, r, c, r, c)
        found = []
        count = 0
        row_major = b.id in self._row_major
        for t, row_rule, col_rule, (r0, c0, r1, c1) in self._ref_reads.get(b.id, ()):
            for et, er0, ec0, er1, ec1 in changed:
                if t != et or not (r0 <= er1 and er0 <= r1 and c0 <= ec1 and ec0 <= c1):
                    continue
                if row_rule[0] == FIXED and col_rule[0] == FIXED:
                    return None, None   # every cell reads the same cells: all of them are reached
                # axis_span, its commonest case (both ends move with the cell) written out
                ra, rb = (er0 - row_rule[1], er1 - row_rule[2]) if row_rule[0] == RELATIVE else \
                    axis_span(row_rule, er0, er1)
                ca, cb = (ec0 - col_rule[1], ec1 - col_rule[2]) if col_rule[0] == RELATIVE else \
                    axis_span(col_rule, ec0, ec1)
                if row_major:
                    br0, bc0, bh, bw = b.rect
                    # the span, clipped to the block
                    ra = br0 if ra is None or ra < br0 else ra
                    rb = br0 + bh - 1 if rb is None or rb > br0 + bh - 1 else rb
                    ca = bc0 if ca is None or ca < bc0 else ca
                    cb = bc0 + bw - 1 if cb is None or cb > bc0 + bw - 1 else cb
                    if ra > rb or ca > cb:
                        continue
                    if ra == rb and ca == cb and not found:     # the common edit: one cell reaches one
                        found.append((ra - br0) * bw + (ca - bc0))
                        count = 1
                        continue
                    count += (rb - ra + 1) * (cb - ca + 1)
                    if count > self.PARTIAL_CELLS:
                        return None, None
                    found.extend([(r - br0) * bw + (c - bc0) for r in range(ra, rb + 1) for c in range(ca, cb + 1)])
                    continue
                mask = np.ones(b.size, bool)
                for at, lo, hi in ((b.rows, ra, rb), (b.cols, ca, cb)):
                    if lo is not None:
                        mask &= at >= lo
                    if hi is not None:
                        mask &= at <= hi
                hits = np.flatnonzero(mask)
                count += len(hits)
                if count > self.PARTIAL_CELLS:
                    return None, None
                found.extend(hits.tolist())
        if not found:
            return found, None
        if len(found) == 1 and row_major:
            br0, bc0, _, bw = b.rect
            r, c = br0 + found[0] // bw, bc0 + found[0] % bw
            return found, (b.sheet, r, c, r, c)
        found = sorted(set(found))
        rows, cols = b.rows[found], b.cols[found]
        return found, (b.sheet, int(rows.min()), int(cols.min()), int(rows.max()), int(cols.max()))

    def _written(self, b: Block) -> tuple:
        """The rectangle a block's calculation rewrites (a spilling formula:
        anywhere on its sheet, as its result's size may change)."""
        if b.dynamic:
            return (b.sheet, 0, 0, MAX_ROWS, MAX_COLS)
        if b.array is not None:
            a = b.array
            return (b.sheet, a.r0, a.c0, a.r1, a.c1)
        return (b.sheet, int(b.rows.min()), int(b.cols.min()), int(b.rows.max()), int(b.cols.max()))

    def _recalc_once(self) -> "Engine":
        dirty = self._reached()
        if dirty is not None and self.settled and self._recalc_cells_directly(dirty):
            return self
        self.settled = False
        self._partial = {}              # block id -> the positions to calculate, when not all
        if dirty is None:
            self._dyn_boxes = {}
            for s in self.sheets:
                s.state = s.formula_mask.astype(np.uint8)     # PENDING == 1
            self._unit_done = [False] * len(self.units)
        else:                           # only what the edits reach
            for s in self.sheets:
                s.state = np.zeros(s.formula_mask.shape, np.uint8)
            self._unit_done = [uid not in dirty for uid in range(len(self.units))]
            for uid, part in dirty.items():
                if part is not None:
                    for bid, positions in part.items():
                        b = self.blocks[bid]
                        rr, cc = b.rows[positions], b.cols[positions]
                        s = self.sheets[b.sheet]
                        s.state[rr, cc] = s.formula_mask[rr, cc]
                        self._partial[bid] = positions
                    continue
                for bid in self.units[uid].blocks:
                    b = self.blocks[bid]
                    rr, cc = b.footprint()
                    s = self.sheets[b.sheet]
                    s.state[rr, cc] = s.formula_mask[rr, cc]
                    self._dyn_boxes.pop(bid, None)
        self._running: set[int] = set()
        self._iterating: set[int] = set()
        self.dynamic_reads = {}
        self.eval_log = []
        self._cell_stack: list[tuple[int, int, int]] = []
        for b in self._frozen:
            self._unit_done[b.unit] = self._unit_done[b.unit] or len(self.units[b.unit].blocks) == 1
        self.unsupported_counts = {}
        self._pull_depth = 0
        self._interrupted: set[int] = set()
        with limits.deep_recursion():
            for uid in range(len(self.units)):
                while not self._unit_done[uid]:
                    try:
                        self._eval_unit(uid)
                    except _Deferred as deferred:
                        self._settle(deferred)
        self._edits = []                # from now on, edits are tracked for the next recalc
        if self._dyn_indexed != self._dyn_boxes:
            self._index_dynamic_reads()     # now, rather than on the next edit
        self.settled = True             # every cell READY: see _recalc_cells_directly
        return self

    def _recalc_cells_directly(self, dirty: dict) -> bool:
        """The common edit -- an input feeding a few cells of arithmetic and
        small sums -- without the general bookkeeping: when every cell the
        edit reaches has a compiled scalar closure, they are calculated in
        dependency order straight into the grid.  After a finished
        recalculation every cell is READY and units come in dependency
        order, so each cell reads only values already final.  False when a
        cell needs the general path; the values written so far are right, and
        that path calculates them again."""
        scalar, blocks, sheets = self._scalar, self.blocks, self.sheets
        for part in dirty.values():
            if part is None:
                return False
            for bid, positions in part.items():
                fast = scalar.get(bid)
                if fast is None:
                    return False
                b = blocks[bid]
                vals = sheets[b.sheet].vals
                num, kind = vals.num, vals.kind
                for pos in positions:
                    r, c = b.rows.item(pos), b.cols.item(pos)
                    try:
                        v = fast(r, c)
                    except (Fallback, RecursionError):  # RecursionError: a formula nested very deep
                        return False
                    # _put_scalar written out: the edit path, where each call counts
                    if v is True or v is False:
                        num[r, c], kind[r, c] = float(v), BOOL
                    else:
                        num[r, c], kind[r, c] = v, NUM
                    if b.has_text:
                        vals.obj[r, c] = None
        self._partial = {}
        self.dynamic_reads = {}
        self.eval_log = []
        self.unsupported_counts = {}
        self._edits = []
        return True

    def _settle(self, deferred: _Deferred) -> None:
        """Evaluate deferred cells innermost first, in a loop: each may defer
        another, deeper in its chain."""
        stack = [deferred]
        while stack:
            d = stack[-1]
            if self.sheets[self.blocks[d.block_id].sheet].state[d.row, d.col] == READY:
                stack.pop()
                continue
            b = self.blocks[d.block_id]
            try:
                if b.array is not None:
                    self._eval_array(b)
                else:
                    self._eval_cell(b, int(np.flatnonzero((b.rows == d.row) & (b.cols == d.col))[0]))
            except _Deferred as deeper:
                stack.append(deeper)
            else:
                stack.pop()

    def _eval_unit(self, uid: int) -> None:
        if self._unit_done[uid]:
            return
        unit = self.units[uid]
        for p in unit.preds:
            if not self._unit_done[p]:
                self._eval_unit(p)
        self._running.add(uid)
        try:
            if unit.iterative:
                self._iterate(unit)
            elif unit.cellwise:
                for bid, pos in unit.order:
                    b = self.blocks[bid]
                    s = self.sheets[b.sheet]
                    if s.state[b.rows[pos], b.cols[pos]] == PENDING:
                        self._eval_cell(b, pos)
            else:
                b = self.blocks[unit.blocks[0]]
                positions = self._partial.get(b.id)
                if positions is not None:
                    s = self.sheets[b.sheet]
                    for pos in positions:
                        if s.state[b.rows[pos], b.cols[pos]] == PENDING:
                            self._eval_cell(b, pos)
                elif b.size == 1 and b.array is None and self._scalar.get(b.id) is not None:
                    self._eval_cell(b, 0)   # one cell: its compiled closure beats the batch path
                elif not self._keeps_cached(b):
                    self._eval_block(b)
        finally:
            self._running.discard(uid)
        self._unit_done[uid] = True

    def _iterate(self, unit: Unit) -> None:
        """Excel's iterative calculation of cells that depend on themselves:
        from their current values (the file's, or the last calculation's),
        recalculate them in reading order, reads inside the cycle taking the
        latest values, until no value changes by more than the maximum
        change or the maximum number of iterations is reached."""
        count, delta = self.iteration
        cells = []
        for bid, pos in unit.order:
            b = self.blocks[bid]
            s = self.sheets[b.sheet]
            cells.append((b, pos, s, int(b.rows[pos]), int(b.cols[pos])))
            s.state[b.rows[pos], b.cols[pos]] = READY
        self._iterating.add(self.blocks[unit.order[0][0]].unit)
        try:
            for _ in range(max(count, 1)):
                change = 0.0
                for b, pos, s, r, c in cells:
                    old = s.vals.num[r, c]
                    s.state[r, c] = PENDING
                    self._eval_cell(b, pos)
                    if s.vals.kind[r, c] == NUM:
                        change = max(change, abs(s.vals.num[r, c] - old))
                if change < delta:
                    break
        finally:
            self._iterating.discard(self.blocks[unit.order[0][0]].unit)

    def _eval_block(self, b: Block) -> None:
        s = self.sheets[b.sheet]
        if b.array is not None:
            self._eval_array(b)
            return
        if b.rect is not None:
            r0, c0, bh, bw = b.rect
            batch = Batch.rectangle(s, r0, c0, bh, bw)
            region = (slice(r0, r0 + bh), slice(c0, c0 + bw))
        else:
            batch = Batch.cells(s, b.rows, b.cols)
            region = (b.rows, b.cols)
        if b.id in self._interrupted:       # a deferred pull came back: finish it cell by cell
            self._eval_cells(b)
            return
        s.state[region] = IN_BLOCK
        outer, self._current_block = self._current_block, b.id
        try:
            result = self.evaluator.value(b.tree, batch, b.array_context)
            value = self._cell_value(result, batch, b.array_context)
        except (MemoryError, limits.MemoryBudgetError) as exc:
            s.state[region] = PENDING
            raise self._out_of_memory(exc, b) from None
        except _Deferred:
            s.state[region] = PENDING
            raise
        except (NotVectorizable, _BlockCycle) as exc:
            if isinstance(exc, _BlockCycle) and exc.block_id != b.id:
                s.state[region] = PENDING
                raise
            s.state[region] = PENDING
            self._eval_cells(b)
            return
        finally:
            self._current_block = outer
        self._store(b, s, region, value, batch.shape)
        s.state[region] = READY
        if self.record_dynamic:
            self.eval_log.append((b.id, -1))

    def _eval_cells(self, b: Block) -> None:
        """The block's pending cells one by one (a deferred pull stops it
        part-way; it is then resumed the same way)."""
        s = self.sheets[b.sheet]
        try:
            for pos in range(b.size):
                if s.state[b.rows[pos], b.cols[pos]] == PENDING:
                    self._eval_cell(b, pos)
        except _Deferred:
            self._interrupted.add(b.id)
            raise

    def _eval_cell(self, b: Block, pos: int) -> None:
        """One cell of a block, reads checked (pulls cells still pending).
        Plain numeric cells take the compiled scalar path."""
        if b.array is not None:
            self._eval_array(b)
            return
        if self._keeps_cached(b):
            return
        s = self.sheets[b.sheet]
        r, c = int(b.rows[pos]), int(b.cols[pos])
        fast = self._scalar.get(b.id, _UNCOMPILED)
        if fast is _UNCOMPILED:
            fast = self._scalar[b.id] = self._compile(b)
        if fast is not None:
            try:
                v = fast(r, c)
            except Fallback:
                pass
            else:
                _put_scalar(s.vals, r, c, v, b.has_text)
                s.state[r, c] = READY
                if self.record_dynamic:
                    self.eval_log.append((b.id, pos))
                return
        s.state[r, c] = IN_CELL
        self._cell_stack.append((s.index, r, c))
        batch = Batch.cells(s, [r], [c])
        saved, self.checking_reads = self.checking_reads, True
        outer, self._current_block = self._current_block, b.id
        try:
            value = self._cell_value(self.evaluator.value(b.tree, batch, b.array_context), batch, b.array_context)
        except (MemoryError, limits.MemoryBudgetError) as exc:
            s.state[r, c] = PENDING
            raise self._out_of_memory(exc, b, pos) from None
        except BaseException:
            s.state[r, c] = PENDING
            raise
        finally:
            self.checking_reads = saved
            self._current_block = outer
            self._cell_stack.pop()
        self._store(b, s, ([r], [c]), value, (1,))
        s.state[r, c] = READY
        if self.record_dynamic:
            self.eval_log.append((b.id, pos))

    def _eval_array(self, b: Block) -> None:
        """A legacy array formula: evaluated once in array context, its result
        spread over the range (a single row/column repeats; cells beyond the
        result are #N/A, as Excel does)."""
        s = self.sheets[b.sheet]
        a = b.array
        region = (slice(a.r0, a.r1 + 1), slice(a.c0, a.c1 + 1))
        if s.state[a.r0, a.c0] == READY:
            return
        s.state[region] = IN_CELL
        batch = Batch.cells(s, [a.r0], [a.c0])
        saved, self.checking_reads = self.checking_reads, True
        outer, self._current_block = self._current_block, b.id
        try:
            result = self.evaluator.value(b.tree, batch, True)
            if isinstance(result, RefVal):
                result = deref(result, batch, self)
            elif not isinstance(result, Arr):
                result = self._cell_value(result, batch)
        except (MemoryError, limits.MemoryBudgetError) as exc:
            raise self._out_of_memory(exc, b) from None
        except _Deferred:
            s.state[region] = PENDING
            raise
        finally:
            self.checking_reads = saved
            self._current_block = outer
        h, w = result.hw
        if b.dynamic:
            self._spill(b, s, result, region)
            return
        H, W = a.height, a.width
        rows = np.arange(H) if h > 1 else np.zeros(H, int)
        cols = np.arange(W) if w > 1 else np.zeros(W, int)
        rr, cc = np.minimum(rows, h - 1)[:, None], np.minimum(cols, w - 1)[None, :]
        beyond = (rows[:, None] >= h) | (cols[None, :] >= w)
        num = result.num[0][rr, cc]
        kind = result.kinds()[0][rr, cc].copy()
        obj = result.strings()[0][rr, cc] if result.obj is not None else None
        kind[beyond] = _ERR_NA
        num = np.where(beyond, 0.0, num)
        kind = np.where(kind == BLANK, NUM, kind)
        s.vals.num[region] = num
        s.vals.kind[region] = kind
        s.vals.obj[region] = obj if obj is not None else None
        s.state[region] = READY
        if self.record_dynamic:
            self.eval_log.append((b.id, -1))

    def _out_of_memory(self, exc, b: Block, pos: int = 0) -> limits.MemoryBudgetError:
        """Running out of memory while evaluating a cell, as one line naming
        the cell (the innermost one, when cells pull each other in)."""
        if getattr(exc, "cell", None):
            return exc
        where = b.where([s.name for s in self.sheets], pos)
        if isinstance(exc, limits.MemoryBudgetError):
            err = limits.MemoryBudgetError(f"{where}: {exc}")
        else:
            err = limits.MemoryBudgetError(
                f"{where}: evaluating it needs more memory than sheetnet may use ({exc or 'out of memory'}; "
                f"the memory budget is {limits.format_bytes(limits.budget())}, raise it with --max-memory)")
        err.cell = where
        return err

    def _spill(self, b: Block, s: SheetState, result: Arr, region) -> None:
        """A dynamic array's result written from its anchor.  Cells it needs
        that hold something else make it #SPILL! (the anchor; the rest of its
        range stays empty); a result of a new size changes the range and asks
        for a new plan."""
        a = b.array
        h, w = result.hw
        new = Area(a.r0, a.c0, a.r0 + h - 1, a.c0 + w - 1)
        blocked = new.r1 >= MAX_ROWS or new.c1 >= MAX_COLS
        if not blocked and (h, w) != (a.height, a.width):
            s.vals.ensure(new.r1 + 1, new.c1 + 1)
            self._grow_state(s)
            box = (slice(new.r0, new.r1 + 1), slice(new.c0, new.c1 + 1))
            mine = np.zeros((h, w), bool)
            mine[:min(h, a.height), :min(w, a.width)] = True
            others = ((s.owner[box] >= 0) & (s.owner[box] != b.id)) | (s.vals.kind[box] != BLANK)
            blocked = bool((others & ~mine).any())
            if not blocked:
                # the new range is planned and everything calculated again
                # once this pass is over (other spills may change size too)
                s.vals.num[region], s.vals.kind[region], s.vals.obj[region] = 0.0, BLANK, None
                b.group.array = new
                self.book.sheets[b.sheet]._owner = None      # the sheet's cell index is stale
                self._resized = True
                s.state[region] = READY
                return
        if blocked:
            s.vals.num[region], s.vals.kind[region], s.vals.obj[region] = 0.0, BLANK, None
            s.vals.num[a.r0, a.c0], s.vals.kind[a.r0, a.c0] = 0.0, E_SPILL
        else:
            kind = result.kinds()[0]
            s.vals.num[region] = np.where(kind == BLANK, 0.0, result.num[0])
            s.vals.kind[region] = np.where(kind == BLANK, NUM, kind)
            s.vals.obj[region] = result.strings()[0] if result.obj is not None else None
        s.state[region] = READY
        if self.record_dynamic:
            self.eval_log.append((b.id, -1))

    def _cell_value(self, result, batch: Batch, array_context: bool = False) -> Arr:
        """What a one-cell formula shows: a reference read by intersection (in
        a one-cell array formula, whole), an array's top-left element, an
        empty cell's value as 0."""
        if isinstance(result, RefVal):
            result = deref(result, batch, self) if array_context else intersect(result, batch, self)
        elif not isinstance(result, Arr):        # an uncalled LAMBDA, a 3-D reference
            result = self.evaluator.operand(ErrorLit("#CALC!"), batch, False) if isinstance(result, Lambda) \
                else self.evaluator.operand(ErrorLit("#VALUE!"), batch, False)
        return result.first()

    def _store(self, b: Block, s: SheetState, region, value: Arr, shape) -> None:
        num = np.broadcast_to(value.num[..., 0, 0], shape)
        vals = s.vals
        if value.kind is None:
            vals.num[region] = num
            vals.kind[region] = NUM
        else:
            kind = np.broadcast_to(value.kind[..., 0, 0], shape)
            blank = kind == BLANK
            vals.num[region] = np.where(blank, 0.0, num) if blank.any() else num
            vals.kind[region] = np.where(blank, NUM, kind) if blank.any() else kind
        if value.obj is not None:
            vals.obj[region] = np.broadcast_to(value.obj[..., 0, 0], shape)
            b.has_text = True
        elif b.has_text:
            vals.obj[region] = None

    # --- pulls: reading cells that are not evaluated yet ------------------------------------

    def ensure_rects(self, ref: RefVal, batch: Batch) -> None:
        """Make every cell of the referenced rectangles READY, evaluating
        pending ones now; cells in progress mean a cycle."""
        s = ref.sheet
        st = s.state
        if st is None:
            return
        R, C = st.shape
        r = np.asarray(ref.r)
        c = np.asarray(ref.c)
        r0 = max(int(r.min()), 0)
        c0 = max(int(c.min()), 0)
        r1 = min(int(r.max()) + ref.h, R)
        c1 = min(int(c.max()) + ref.w, C)
        if ref.dynamic and self._current_block is not None:
            if self.record_dynamic:
                self.dynamic_reads.setdefault(self._current_block, []).append((s.index, r0, c0, r1 - 1, c1 - 1))
            # what the block read, beyond the grid too (for the next incremental recalc)
            top, left = int(r.min()), int(c.min())
            bottom, right = int(r.max()) + ref.h - 1, int(c.max()) + ref.w - 1
            boxes = self._dyn_boxes.setdefault(self._current_block, {})
            box = boxes.get(s.index)
            boxes[s.index] = [top, left, bottom, right] if box is None else \
                [min(box[0], top), min(box[1], left), max(box[2], bottom), max(box[3], right)]
        if r0 >= r1 or c0 >= c1:
            return
        box = st[r0:r1, c0:c1]
        if not box.any():
            return
        if r.ndim == 0 and c.ndim == 0:
            cells = np.argwhere(box != READY) + (r0, c0)
        else:
            shape = np.broadcast_shapes(r.shape, c.shape)
            copies = int(np.prod(shape))
            limits.require_cells(copies * ref.h * ref.w, f"reading {ref.h:,} x {ref.w:,} cells"
                                 + (f" for each of {copies:,} cells" if copies > 1 else ""), bytes_per_cell=40)
            rr = np.broadcast_to(r, shape)[..., None, None] + np.arange(ref.h)[:, None]
            cc = np.broadcast_to(c, shape)[..., None, None] + np.arange(ref.w)[None, :]
            rr, cc = (x.ravel() for x in np.broadcast_arrays(rr, cc))
            ok = (rr >= 0) & (cc >= 0) & (rr < R) & (cc < C)
            rr, cc = rr[ok], cc[ok]
            waiting = st[rr, cc] != READY
            if not waiting.any():
                return
            cells = np.unique(np.stack([rr[waiting], cc[waiting]], axis=1), axis=0)
        for rr_, cc_ in cells.tolist():
            code = st[rr_, cc_]
            if code == READY:
                continue
            bid = int(s.owner[rr_, cc_])
            if code == IN_BLOCK:
                raise _BlockCycle(bid)
            if code == IN_CELL:
                if self.blocks[bid].unit in self._iterating:
                    continue            # iterative calculation: the cell's latest value
                raise CircularReferenceError("circular reference: " + self._cycle_text(s.index, rr_, cc_))
            if self._pull_depth >= PULL_DEPTH:
                raise _Deferred(bid, rr_, cc_)
            self._pull(bid, rr_, cc_)

    def _cycle_text(self, sheet: int, r: int, c: int) -> str:
        """The chain of cells being evaluated from (sheet, r, c) back to itself."""
        stack = self._cell_stack
        start = max((i for i, key in enumerate(stack) if key == (sheet, r, c)), default=0)
        chain = stack[start:] + [(sheet, r, c)]
        return " -> ".join(f"{self.sheets[si].name}!{cell_name(rr, cc)}" for si, rr, cc in chain) + \
            " (each cell uses the next)"

    def _pull(self, bid: int, r: int, c: int) -> None:
        """Evaluate a pending cell that is being read out of planning order:
        its whole block when that is safe, else just the cell (whose own
        reads are then checked and pulled in turn)."""
        b = self.blocks[bid]
        uid = b.unit
        unit = self.units[uid]
        self._pull_depth += 1
        try:
            if (not unit.cellwise and uid not in self._running and bid not in self._interrupted
                    and all(self._unit_done[p] for p in unit.preds)):
                self._eval_unit(uid)
            elif b.array is not None:
                self._eval_array(b)
            else:
                hits = np.flatnonzero((b.rows == r) & (b.cols == c))
                self._eval_cell(b, int(hits[0]))
        finally:
            self._pull_depth -= 1

    # --- reading and editing --------------------------------------------------------------

    def _state(self, sheet: str) -> SheetState:
        s = self.sheet_state(sheet)
        if s is None:
            raise UserError(f"no sheet named {sheet!r}")
        return s

    def value(self, sheet: str, ref: str | tuple[int, int]):
        """A computed value: float, str, bool, None (empty) or ExcelError."""
        s = self._state(sheet)
        row, col = ref if isinstance(ref, tuple) else _cell(ref)
        return s.vals.get(row, col)

    def values(self, sheet: str, area: str) -> np.ndarray:
        """Numbers of a rectangle (NaN where a cell is not a number)."""
        from ..refs import parse_area
        a = parse_area(area.replace("$", ""))
        s = self._state(sheet)
        s.vals.ensure(a.r1 + 1, a.c1 + 1)
        block = s.vals.num[a.r0:a.r1 + 1, a.c0:a.c1 + 1]
        kind = s.vals.kind[a.r0:a.r1 + 1, a.c0:a.c1 + 1]
        return np.where(kind == NUM, block, np.nan)

    def set_value(self, sheet: str, ref: str | tuple[int, int], value) -> None:
        """Change a constant (call recalc() afterwards)."""
        s = self._by_name.get(sheet.casefold()) or self._state(sheet)
        row, col = ref if ref.__class__ is tuple else _cell(ref)
        owner = s.owner
        rows, cols = owner.shape
        if 0 <= row < rows and 0 <= col < cols:
            if owner.item(row, col) >= 0:
                raise UserError(f"{sheet}!{cell_name(row, col)} holds a formula, not a constant")
            vals = s.vals       # the value grids are as large as owner: nothing grows
            vals.kind[row, col], vals.num[row, col], vals.obj[row, col] = encode(value)
        else:
            if row < 0 or col < 0 or row >= MAX_ROWS or col >= MAX_COLS:
                raise UserError(f"{sheet}: no cell at row {row + 1}, column {col + 1}")
            s.vals.set(row, col, value)
            self._grow_state(s)
        edits = self._edits
        if edits is not None:       # _edited written out: the edit path, where each call counts
            edits.append((s.index, row, col, row, col))
            if len(edits) > 256:
                self._edits = None

    def set_numbers(self, sheet: str, area: str, block: np.ndarray) -> None:
        """Overwrite a rectangle of constants with numbers (the Solver's inner loop)."""
        from ..refs import parse_area
        a = parse_area(area.replace("$", ""))
        s = self._state(sheet)
        s.vals.ensure(a.r1 + 1, a.c1 + 1)
        self._grow_state(s)
        if (s.owner[a.r0:a.r1 + 1, a.c0:a.c1 + 1] >= 0).any():
            raise UserError(f"{sheet}!{area} contains formulas; only constants can be set")
        self._edited(s.index, a.r0, a.c0, a.r1, a.c1)
        s.vals.num[a.r0:a.r1 + 1, a.c0:a.c1 + 1] = np.asarray(block, dtype=np.float64).reshape(a.height, a.width)
        s.vals.kind[a.r0:a.r1 + 1, a.c0:a.c1 + 1] = NUM
        s.vals.obj[a.r0:a.r1 + 1, a.c0:a.c1 + 1] = None

    def _edited(self, sheet: int, r0: int, c0: int, r1: int, c1: int) -> None:
        """Remember a changed rectangle of constants: the next recalc only
        calculates what depends on it."""
        if self._edits is not None:
            self._edits.append((sheet, r0, c0, r1, c1))
            if len(self._edits) > 256:      # many scattered edits: a full recalculation is simpler
                self._edits = None

    def _grow_state(self, s: SheetState) -> None:
        R, C = s.vals.num.shape
        if s.owner.shape != (R, C):
            self.settled = False        # the state grids are smaller now: the general path remakes them
            owner = np.full((R, C), -1, dtype=np.int32)
            mask = np.zeros((R, C), dtype=bool)
            r, c = s.owner.shape
            owner[:r, :c] = s.owner
            mask[:r, :c] = s.formula_mask
            s.owner, s.formula_mask = owner, mask

    # --- facts for reports -------------------------------------------------------------------

    def kept_cached_blocks(self) -> list[Block]:
        return list(self._frozen)


def _calls_subtotal(b: Block) -> bool:
    """Whether the block's formula calls SUBTOTAL or AGGREGATE anywhere."""
    text = b.text.upper()
    if b.tree is None or ("SUBTOTAL" not in text and "AGGREGATE" not in text):
        return False
    return any(isinstance(n, Call) and n.name in ("SUBTOTAL", "AGGREGATE") for n in walk(b.tree))


def _cell(ref: str) -> tuple[int, int]:
    a = parse_cell(ref.replace("$", ""))
    return a.row, a.col



def _bounded(r0, c0, r1, c1) -> tuple[int, int, int, int]:
    """A read region with whole-row/column extents as the sheet's limits."""
    return (0 if r0 is None else r0, 0 if c0 is None else c0,
            MAX_ROWS if r1 is None else r1, MAX_COLS if c1 is None else c1)


def _put_scalar(vals: ValueGrid, r: int, c: int, v, has_text: bool) -> None:
    """A compiled closure's result (a finite float or a bool) into a cell."""
    if v is True or v is False:
        vals.num[r, c], vals.kind[r, c] = float(v), BOOL
    else:
        vals.num[r, c], vals.kind[r, c] = v, NUM
    if has_text:
        vals.obj[r, c] = None


def _index_reader(index: dict, wide: list, uid: int, box: tuple) -> None:
    """Note in a column index, (sheet, column) -> units, that a unit reads a
    rectangle; one too wide to index goes on the list checked every time."""
    t, _, c0, _, c1 = box
    if c1 - c0 >= WIDE_READ:
        wide.append(uid)
        return
    for c in range(c0, c1 + 1):
        readers = index.setdefault((t, c), [])
        if not readers or readers[-1] != uid:
            readers.append(uid)


def _any_meets(boxes: list, changed: list) -> bool:
    """Whether any of a unit's read rectangles overlaps a changed one."""
    for t, r0, c0, r1, c1 in boxes:
        for et, er0, ec0, er1, ec1 in changed:
            if t == et and r0 <= er1 and er0 <= r1 and c0 <= ec1 and ec0 <= c1:
                return True
    return False
