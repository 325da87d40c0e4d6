"""Planning a workbook's evaluation.

1. Blocks: every set of cells holding the same position-independent formula
   (one R1C1 formula) on a sheet is one block -- evaluated as one numpy
   operation when possible.
2. Static reads: the rectangle each block reads through each reference,
   over all its cells (OFFSET's base, ROW's argument ... are positions, not
   reads; OFFSET's targets are only known at run time and are pulled in then).
3. The block graph and its strongly connected components.  A component of
   one block that does not read itself is evaluated vectorised; a recurrence
   (a block reading itself, e.g. each row using the previous one, or several
   blocks feeding each other) is evaluated cell by cell in a topological
   order of its cells.  Cells that really depend on themselves are refused
   with a message naming the cycle.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import limits
from ..errors import CircularReferenceError, FormulaSyntaxError
from ..formula.ast import (Apply, AreaRef, ArrayLit, Binary, Call, CellRef, External, Name, Node, Paren,
                           Percent, Ref3D, StructRef, Unary, walk)
from ..formula.functions import FUNCTIONS
from ..formula.functions.excel_names import is_excel_function
from ..formula.shapes import group_by_shape
from ..refs import Area, cell_name


@dataclass
class Block:
    id: int
    sheet: int                      # index into the engine's sheet states
    tree: Node | None               # None when the text could not be parsed
    text: str
    rows: np.ndarray                # cells (int64); for array formulas the anchor only
    cols: np.ndarray
    array: Area | None = None
    rect: tuple[int, int, int, int] | None = None   # (r0, c0, bh, bw) when the cells fill a rectangle
    group: object = None            # the book's FormulaGroup, for array formulas
    dynamic: bool = False           # a dynamic-array (spilling) formula
    volatile: bool = False
    unsupported: tuple[str, ...] = ()
    external: bool = False          # reads another workbook ([1]Sheet1!A1): keeps its cached value
    reads: list = field(default_factory=list)        # [(sheet index, r0, c0, r1, c1)] over all cells
    preds: set = field(default_factory=set)
    unit: int = -1
    has_text: bool = False          # its last results included strings
    # one-cell legacy array formulas ({=...}) of one shape: evaluated in array
    # context, each cell showing its result's top-left element
    array_context: bool = False

    @property
    def size(self) -> int:
        return len(self.rows)

    def footprint(self) -> tuple[np.ndarray, np.ndarray]:
        if self.array is None:
            return self.rows, self.cols
        a = self.array
        rr, cc = np.mgrid[a.r0:a.r1 + 1, a.c0:a.c1 + 1]
        return rr.ravel(), cc.ravel()

    def where(self, sheet_names: list[str], pos: int = 0) -> str:
        return f"{sheet_names[self.sheet]}!{cell_name(int(self.rows[pos]), int(self.cols[pos]))}"


@dataclass
class Unit:
    """What is evaluated in one go: one vectorised block, or a recurrence of
    cells (`order`: (block id, position) in a valid evaluation order)."""

    blocks: list[int]
    cellwise: bool
    preds: set = field(default_factory=set)
    order: list = field(default_factory=list)
    # cells that really depend on themselves, calculated by iteration where
    # the workbook enables it (<calcPr iterate="1">); `order` is then reading order
    iterative: bool = False


def make_blocks(sheets, parse_failures: list, name_tree=None) -> list[Block]:
    """Group formula cells by sheet and formula tree.  `name_tree(name,
    sheet)` gives a defined name's tree (or None): the functions a formula
    uses include those of the names it uses, and a call of a defined name
    (a named LAMBDA) is no unsupported function."""
    blocks: list[Block] = []
    for si, sheet in enumerate(sheets):
        merged: dict = {}
        one_cell_arrays: dict = {}
        _share_trees([g for g in sheet.groups if _one_cell_array(g)])
        for g in sheet.groups:
            try:
                tree = g.ast
            except FormulaSyntaxError as exc:
                parse_failures.append((sheet.name, g.anchor, str(exc)))
                tree = None
            if tree is not None and _one_cell_array(g):
                one_cell_arrays.setdefault(tree_key(tree), (tree, []))[1].append(g)
                continue
            if g.array is not None or tree is None:
                blocks.append(Block(len(blocks), si, tree, g.text, g.rows.astype(np.int64),
                                    g.cols.astype(np.int64), g.array, group=g if g.array is not None else None,
                                    dynamic=g.dynamic))
                continue
            merged.setdefault(tree_key(tree), (tree, []))[1].append(g)
        for context, by_tree in ((False, merged), (True, one_cell_arrays)):
            for tree, groups in by_tree.values():
                rows = np.concatenate([g.rows for g in groups]).astype(np.int64)
                cols = np.concatenate([g.cols for g in groups]).astype(np.int64)
                blocks.append(Block(len(blocks), si, tree, groups[0].text, rows, cols, array_context=context))
    for b in blocks:
        if b.array is None and b.size > 1:
            r0, r1, c0, c1 = b.rows.min(), b.rows.max(), b.cols.min(), b.cols.max()
            if (r1 - r0 + 1) * (c1 - c0 + 1) == b.size:
                b.rect = (int(r0), int(c0), int(r1 - r0 + 1), int(c1 - c0 + 1))
        elif b.array is None:
            b.rect = (int(b.rows[0]), int(b.cols[0]), 1, 1)
        if b.tree is not None:
            nodes, defined = _nodes_with_names(b.tree, sheets[b.sheet].name, name_tree)
            calls = [n for n in nodes if isinstance(n, Call)]
            names = {n.name for n in calls}
            b.volatile = any(FUNCTIONS[n].volatile for n in names if n in FUNCTIONS)
            params = {n.name for n in calls if n.prefix.casefold().startswith(("_xlpm.", "_xlop."))}
            # a name Excel does not know either is no unsupported function: it is #NAME? there and here
            b.unsupported = tuple(sorted({n.name for n in calls if n.name not in FUNCTIONS and n.name not in params
                                          and n.name not in defined and is_excel_function(n.name, n.prefix)}))
            b.external = any(isinstance(n, External) for n in nodes)
    return blocks


def _one_cell_array(g) -> bool:
    """A legacy array formula ({=...}) over one cell: older workbooks (and
    the conv lesson's) hold thousands, one per cell.  Those of one R1C1
    shape make one block, calculated vectorised in array context."""
    a = g.array
    return a is not None and not g.dynamic and a.r0 == a.r1 and a.c0 == a.c1


def _share_trees(groups: list) -> None:
    """Parse each R1C1 shape among these formulas once (formula/shapes.py):
    the others of that shape take its tree.  A shape that does not parse is
    left alone (each of its formulas is then parsed, and reported, by itself)."""
    if len(groups) < 2:
        return
    rows = np.array([g.rows[0] for g in groups], np.int64)
    cols = np.array([g.cols[0] for g in groups], np.int64)
    for members in group_by_shape([g.text for g in groups], rows, cols):
        try:
            tree = groups[members[0]].ast
        except FormulaSyntaxError:
            continue
        for i in members[1:].tolist():
            if groups[i]._ast is None:
                groups[i]._ast = tree


def tree_key(tree: Node) -> tuple:
    """A flat key, equal exactly for equal trees, built in one loop: hashing a
    tree itself recurses once per level, and a formula Excel accepts (8,192
    characters of A1+A2+...) can be thousands of levels deep."""
    key = []
    for n in walk(tree):
        t = type(n)
        if t is Call:
            key.append((t, n.name, n.prefix, len(n.args)))
        elif t is Apply:
            key.append((t, len(n.args)))
        elif t is Binary or t is Unary:
            key.append((t, n.op))
        elif t is Paren or t is Percent:
            key.append(t)
        elif t is ArrayLit:
            key.append((t, tuple(len(row) for row in n.rows)))
        elif t is Ref3D or t is External:     # shallow: a sheet range or book around one reference
            key.append((t, n.first, n.last) if t is Ref3D else (t, n.book))
        else:                       # leaves: references, names, literals
            key.append(n)
    return tuple(key)


def tree_depth(tree: Node, name_depth=None) -> int:
    """Levels of the deepest path through a tree, counted in one loop;
    `name_depth(node)` is added at each defined name (the depth of its own
    formula, which evaluation descends into)."""
    deepest = 0
    stack = [(tree, 1)]
    while stack:
        n, d = stack.pop()
        if name_depth is not None and isinstance(n, Name):
            d += name_depth(n)
        deepest = max(deepest, d)
        if isinstance(n, Call):
            children = n.args
        elif isinstance(n, Apply):
            children = (n.callee, *n.args)
        elif isinstance(n, (Ref3D, External)):
            children = (n.ref,)
        else:
            children = _children(n)
        for child in children:
            stack.append((child, d + 1))
    return deepest


def _nodes_with_names(tree: Node, sheet: str, name_tree) -> tuple[list, set]:
    """Every node of a formula and of the defined names it uses or calls
    (each name once), and the upper-case names called that are defined names."""
    nodes, called_defined, seen = [], set(), set()
    pending = [tree]
    while pending:
        for n in walk(pending.pop()):
            nodes.append(n)
            if name_tree is None:
                continue
            if isinstance(n, Name) and not n.name.casefold().startswith(("_xlpm.", "_xlop.")):
                key, scope = (n.name.casefold(), n.sheet), n.sheet or sheet
            elif isinstance(n, Call) and not n.prefix and n.name not in FUNCTIONS:
                key, scope = (n.name.casefold(), None), sheet
            else:
                continue
            target = name_tree(n.name if isinstance(n, Name) else n.name, scope)
            if isinstance(n, Call) and target is not None:
                called_defined.add(n.name)
            if key not in seen and target is not None:
                seen.add(key)
                pending.append(target)
    return nodes, called_defined


def reference_reads(tree: Node, name_tree, expand=None, conditional: bool = True):
    """Yield the reference nodes whose cells a formula reads, with the tree of
    any defined name expanded; position-only arguments are skipped.
    `expand(node)` turns a table reference or a 3-D reference into the plain
    references it stands for (a list; empty when it reads nothing here).
    With ``conditional=False`` only what is read whatever the values: of a
    lazy function (IF, CHOOSE, IFERROR ...) only the first argument."""
    stack = [tree]
    seen_names = set()
    while stack:
        n = stack.pop()
        if isinstance(n, (CellRef, AreaRef)):
            yield n
        elif isinstance(n, (StructRef, Ref3D)):
            if expand is not None:
                stack.extend(expand(n))
        elif isinstance(n, External):
            continue
        elif isinstance(n, Name):
            key = (n.name.casefold(), n.sheet)
            if key not in seen_names:
                seen_names.add(key)
                t = name_tree(n)
                if t is not None:
                    stack.append(t)
        elif isinstance(n, Call):
            spec = FUNCTIONS.get(n.name)
            for i, a in enumerate(n.args):
                if spec is not None and not spec.lazy and spec.mode(i) == "p":
                    continue
                if spec is not None and spec.lazy and i > 0 and not conditional:
                    continue
                stack.append(a)
            if spec is None and not n.prefix:          # a named LAMBDA: what its body reads
                key = (n.name.casefold(), None)
                if key not in seen_names:
                    seen_names.add(key)
                    t = name_tree(Name(n.name))
                    if t is not None:
                        stack.append(t)
        elif isinstance(n, Apply):
            stack.append(n.callee)
            stack.extend(n.args)
        else:
            stack.extend(_children(n))


def _children(n: Node) -> tuple:
    if isinstance(n, Binary):
        return (n.left, n.right)
    if isinstance(n, (Unary, Percent)):
        return (n.operand,)
    if isinstance(n, Paren):
        return (n.expr,)
    if isinstance(n, ArrayLit):
        return tuple(x for row in n.rows for x in row)
    return ()


def read_region(ref, rmin: int, rmax: int, cmin: int, cmax: int):
    """The rectangle a reference reads for host cells spanning the given rows
    and columns: (r0, c0, r1, c1) with None for whole-column/row extents."""

    def span(value, absolute, lo, hi):
        return (value, value) if absolute else (lo + value, hi + value)

    if isinstance(ref, CellRef):
        r = span(ref.row, ref.row_abs, rmin, rmax)
        c = span(ref.col, ref.col_abs, cmin, cmax)
        return r[0], c[0], r[1], c[1]
    if ref.r1 is None:
        rows = (None, None)
    else:
        a, b = span(ref.r1, ref.r1_abs, rmin, rmax), span(ref.r2, ref.r2_abs, rmin, rmax)
        rows = (min(a[0], b[0]), max(a[1], b[1]))
    if ref.c1 is None:
        cols = (None, None)
    else:
        a, b = span(ref.c1, ref.c1_abs, cmin, cmax), span(ref.c2, ref.c2_abs, cmin, cmax)
        cols = (min(a[0], b[0]), max(a[1], b[1]))
    return rows[0], cols[0], rows[1], cols[1]


def strongly_connected(n: int, succ: list[list[int]]) -> list[list[int]]:
    """Tarjan's algorithm without recursion.  Components come out with every
    component after all components it depends on (edges point to predecessors)."""
    index = [-1] * n
    low = [0] * n
    on_stack = [False] * n
    stack: list[int] = []
    out: list[list[int]] = []
    counter = 0
    for root in range(n):
        if index[root] != -1:
            continue
        work = [(root, 0)]
        while work:
            v, i = work.pop()
            if i == 0:
                index[v] = low[v] = counter
                counter += 1
                stack.append(v)
                on_stack[v] = True
            recurse = False
            edges = succ[v]
            while i < len(edges):
                w = edges[i]
                i += 1
                if index[w] == -1:
                    work.append((v, i))
                    work.append((w, 0))
                    recurse = True
                    break
                if on_stack[w]:
                    low[v] = min(low[v], index[w])
            if recurse:
                continue
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack[w] = False
                    comp.append(w)
                    if w == v:
                        break
                out.append(comp)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[v])
    return out


def reading_order(unit_blocks: list[Block]) -> list[tuple[int, int]]:
    """The cells of some blocks in reading order (sheet, row, column): the
    order an iterative calculation goes through a cycle in."""
    cells = []
    for b in unit_blocks:
        if b.array is not None:
            cells.append((b.sheet, int(b.rows[0]), int(b.cols[0]), b.id, 0))
            continue
        cells.extend((b.sheet, r, c, b.id, pos) for pos, (r, c) in enumerate(zip(b.rows.tolist(), b.cols.tolist())))
    cells.sort()
    return [(bid, pos) for _, _, _, bid, pos in cells]


# Working out the order of a recurrence's cells takes Python objects per cell
# (its key, its set of predecessors, its successors): measured ~650 bytes.
RECURRENCE_BYTES_PER_CELL = 700


def cell_order(unit_blocks: list[Block], sheet_names: list[str], name_tree,
               expand_for=None) -> list[tuple[int, int]]:
    """A topological order of the cells of a recurrence, from each cell's exact
    references; raises CircularReferenceError naming a cycle if there is none."""
    cells = sum(b.array.size if b.array is not None else b.size for b in unit_blocks)
    limits.require(cells * RECURRENCE_BYTES_PER_CELL,
                   f"{unit_blocks[0].where(sheet_names)}: {cells:,} formula cells that feed each other (evaluated "
                   f"one by one, in an order worked out cell by cell); ordering them")
    nodes: list[tuple[int, int]] = []
    where: dict[tuple[int, int, int], int] = {}
    for b in unit_blocks:
        if b.array is not None:
            node = len(nodes)
            nodes.append((b.id, 0))
            rr, cc = b.footprint()
            for r, c in zip(rr.tolist(), cc.tolist()):
                where[(b.sheet, r, c)] = node
            continue
        for pos, (r, c) in enumerate(zip(b.rows.tolist(), b.cols.tolist())):
            where[(b.sheet, r, c)] = len(nodes)
            nodes.append((b.id, pos))
    block_by_id = {b.id: b for b in unit_blocks}
    preds = _cell_preds(nodes, where, block_by_id, sheet_names, name_tree, expand_for, conditional=True)
    order = _topological(preds)
    if order is None:
        # A cycle may run only through arguments a lazy function does not
        # evaluate (B40: =CHOOSE(2, B40, "x") is no cycle in Excel): order by
        # what is always read; the cells read conditionally are pulled in when
        # read, and a cycle that is really taken shows then.
        preds = _cell_preds(nodes, where, block_by_id, sheet_names, name_tree, expand_for, conditional=False)
        order = _topological(preds)
    if order is None:
        left = _stuck(preds)
        raise CircularReferenceError("circular reference: " + _describe_cycle(left, preds, nodes, block_by_id, sheet_names))
    # Prefer reading order among independent cells: stable and easy to follow.
    return [nodes[n] for n in order]


def _cell_preds(nodes, where, block_by_id, sheet_names, name_tree, expand_for, conditional: bool) -> list[set[int]]:
    """Each cell's predecessors among the recurrence's cells, from its exact references."""
    all_keys = np.array(list(where.keys()), dtype=np.int64) if where else np.zeros((0, 3), np.int64)
    all_nodes = np.array(list(where.values()), dtype=np.int64)
    preds: list[set[int]] = [set() for _ in nodes]
    sheet_index = {name.casefold(): i for i, name in enumerate(sheet_names)}
    for node, (bid, pos) in enumerate(nodes):
        b = block_by_id[bid]
        if b.tree is None:
            continue
        r, c = int(b.rows[pos]), int(b.cols[pos])
        expand = expand_for(b) if expand_for is not None else None
        for ref in reference_reads(b.tree, lambda n, s=b.sheet: name_tree(n, sheet_names[s]), expand, conditional):
            target = b.sheet if ref.sheet is None else sheet_index.get(ref.sheet.casefold())
            if target is None:
                continue
            r0, c0, r1, c1 = read_region(ref, r, r, c, c)
            if r0 is None:
                r0, r1 = 0, 1 << 30
            if c0 is None:
                c0, c1 = 0, 1 << 30
            if (r1 - r0 + 1) * (c1 - c0 + 1) <= 256:
                for rr in range(r0, r1 + 1):
                    for cc in range(c0, c1 + 1):
                        hit = where.get((target, rr, cc))
                        if hit is not None:
                            preds[node].add(hit)
            else:
                inside = ((all_keys[:, 0] == target) & (all_keys[:, 1] >= r0) & (all_keys[:, 1] <= r1)
                          & (all_keys[:, 2] >= c0) & (all_keys[:, 2] <= c1))
                preds[node].update(all_nodes[inside].tolist())
    return preds


def _topological(preds: list[set[int]]) -> list[int] | None:
    """Kahn's algorithm (a self-reference is a cycle too); None when a cycle remains."""
    succs: list[list[int]] = [[] for _ in preds]
    indeg = [0] * len(preds)
    for node, ps in enumerate(preds):
        for p in ps:
            succs[p].append(node)
            indeg[node] += 1
    ready = [n for n in range(len(preds)) if indeg[n] == 0]
    order: list[int] = []
    while ready:
        n = ready.pop()
        order.append(n)
        for s in succs[n]:
            indeg[s] -= 1
            if indeg[s] == 0:
                ready.append(s)
    return order if len(order) == len(preds) else None


def _stuck(preds: list[set[int]]) -> set[int]:
    """The cells Kahn's algorithm cannot order: those on or after a cycle."""
    indeg = [len(ps) for ps in preds]
    succs: list[list[int]] = [[] for _ in preds]
    for node, ps in enumerate(preds):
        for p in ps:
            succs[p].append(node)
    ready = [n for n in range(len(preds)) if indeg[n] == 0]
    while ready:
        n = ready.pop()
        for s in succs[n]:
            indeg[s] -= 1
            if indeg[s] == 0:
                ready.append(s)
    return {n for n in range(len(preds)) if indeg[n] > 0}


def _describe_cycle(left: set[int], preds: list[set[int]], nodes, blocks, sheet_names) -> str:
    """Walk predecessors inside the stuck set until a cell repeats."""
    start = min(left)
    path, seen = [start], {start: 0}
    cur = start
    while True:
        nxt = min(p for p in preds[cur] if p in left)
        if nxt in seen:
            cycle = path[seen[nxt]:] + [nxt]
            break
        seen[nxt] = len(path)
        path.append(nxt)
        cur = nxt

    def name(n):
        bid, pos = nodes[n]
        return blocks[bid].where(sheet_names, pos)

    return " -> ".join(name(n) for n in cycle) + " (each cell uses the next)"


FIXED, RELATIVE, HALF_FIXED = 0, 1, 2


def reading_rules(ref) -> tuple[tuple, tuple]:
    """How a reference's rows and columns follow the cell that holds it, as
    axis_span needs them (worked out once per plan): per axis
    (FIXED, _, _) when every cell reads the same rows (absolute ends, or
    whole columns); (RELATIVE, largest offset, smallest offset) when both
    ends move with the cell; (HALF_FIXED, fixed end, offset of the moving end)."""
    if isinstance(ref, CellRef):
        axes = ((ref.row, ref.row_abs, ref.row, ref.row_abs), (ref.col, ref.col_abs, ref.col, ref.col_abs))
    else:
        axes = ((ref.r1, ref.r1_abs, ref.r2, ref.r2_abs), (ref.c1, ref.c1_abs, ref.c2, ref.c2_abs))
    rules = []
    for first, first_abs, last, last_abs in axes:
        if first is None or (first_abs and last_abs):
            rules.append((FIXED, 0, 0))
        elif not first_abs and not last_abs:
            rules.append((RELATIVE, max(first, last), min(first, last)))
        else:
            rules.append((HALF_FIXED, *((first, last) if first_abs else (last, first))))
    return rules[0], rules[1]


def axis_span(rule: tuple, lo: int, hi: int) -> tuple:
    """The host positions (first, last; None: no bound) along one axis whose
    reference, by its rule (see reading_rules), meets lo..hi."""
    kind, a, b = rule
    if kind == RELATIVE:
        # a cell at x reads x+smallest .. x+largest: that meets lo..hi when x is in
        return lo - a, hi - b
    if kind == HALF_FIXED:
        # one end fixed at a, the other at x+b: min(a, x+b) <= hi and max(a, x+b) >= lo
        return None if a >= lo else lo - b, None if a <= hi else hi - b
    return None, None
