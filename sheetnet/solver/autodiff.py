"""Exact gradients of a Solver objective through the formula graph.

The engine's plan is replayed with torch tensors, but only where it matters:

* *active* blocks are those that depend on the changing cells (statically,
  or through OFFSET/INDEX as recorded during a recalculation) and on which
  the objective depends; every other cell is a constant;
* inside an active block's formula, every subtree that does not touch an
  active cell (a MATCH into a constant id list, an IF test on the ratings)
  is evaluated once by the numpy engine -- with its exact semantics -- and
  reused at every iteration;
* what remains (references to active cells, arithmetic, MMULT, SUMPRODUCT,
  SUMXMY2, SQRT, EXP, OFFSET into the factor tables ...) runs in torch, in
  the order the engine evaluated it, and autograd gives the gradient.

Anything outside that differentiable vocabulary raises ``Unsupported`` and
the solver falls back to finite differences, as Excel's GRG does.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from ..errors import ERR_BASE
from ..formula.ast import (AreaRef, ArrayLit, Binary, Bool, Call, CellRef, ErrorLit, Missing, Name, Number,
                           Paren, Percent, Text, Unary)
from ..formula.batch import Batch, RefVal
from ..formula.evaluator import Evaluator
from ..formula.functions import FUNCTIONS
from ..formula.functions.torchforms import TorchUnsupported, merge_kinds
from ..formula.values import Arr
from ..store import BLANK, BOOL, NUM
from ..engine.plan import read_region, reference_reads

try:
    import torch
except ImportError:          # the solver then uses finite differences
    torch = None


class Unsupported(Exception):
    """The objective's active formulas use something the torch replay does not model."""


class TVal:
    """A batch of numeric values: torch tensor of shape batch + (h, w) and the
    (constant) kinds as a numpy array, None meaning all numbers."""

    __slots__ = ("t", "kind")

    def __init__(self, t, kind=None):
        self.t, self.kind = t, kind

    @property
    def hw(self):
        return tuple(self.t.shape[-2:])


class TRef:
    """A reference; `gather` caches (index tensor, kinds) once it has been read."""

    __slots__ = ("sheet", "r", "c", "h", "w", "gather")

    def __init__(self, sheet: int, r, c, h: int, w: int):
        self.sheet, self.r, self.c, self.h, self.w = sheet, r, c, h, w
        self.gather = None


def _returns_reference(node) -> bool:
    """A call whose result is a reference computed at run time (OFFSET, INDEX)."""
    spec = FUNCTIONS.get(node.name) if isinstance(node, Call) else None
    return spec is not None and spec.reference


class TorchReplay:
    def __init__(self, problem):
        if torch is None:
            raise Unsupported("torch is not installed")
        self.problem = problem
        engine = problem.engine
        self.engine = engine
        self.blocks = engine.blocks
        self.numpy_eval = Evaluator(engine)
        self._mark_active()
        self.kinds = {s.index: s.vals.kind.copy() for s in engine.sheets}
        self.base = {s.index: torch.from_numpy(s.vals.num.copy()) for s in engine.sheets}
        self.constants: dict = {}
        self._touch_cache: dict = {}
        self.refs: dict = {}
        self.grids: dict = {}

    # --- which blocks matter ----------------------------------------------------------

    def _reads(self, b):
        return list(b.reads) + list(self.engine.dynamic_reads.get(b.id, ()))

    def _mark_active(self) -> None:
        engine = self.engine
        active = {s.index: np.zeros(s.vals.num.shape, dtype=bool) for s in engine.sheets}
        for v in self.problem.variables:
            a = v.area
            active[v.sheet][a.r0:a.r1 + 1, a.c0:a.c1 + 1] = True
        depends = set()
        changed = True
        while changed:                   # dynamic reads can point "backwards" in block order
            changed = False
            for b in self.blocks:
                if b.id in depends or b.tree is None:
                    continue
                if any(active[t][r0:r1 + 1, c0:c1 + 1].any() for (t, r0, c0, r1, c1) in self._reads(b)):
                    depends.add(b.id)
                    rr, cc = b.footprint()
                    active[b.sheet][rr, cc] = True
                    changed = True
        s, r, c = self.problem.objective
        owner = int(engine.sheets[s].owner[r, c])
        needed = set()
        stack = [owner] if owner >= 0 else []
        while stack:
            bid = stack.pop()
            if bid in needed:
                continue
            needed.add(bid)
            for (t, r0, c0, r1, c1) in self._reads(self.blocks[bid]):
                ids = np.unique(engine.sheets[t].owner[r0:r1 + 1, c0:c1 + 1])
                stack.extend(int(i) for i in ids if i >= 0 and int(i) not in needed)
        self.active_ids = depends & needed
        self.active = active
        self.objective_depends = owner in depends
        seen = set()
        self.schedule = []
        for bid, pos in engine.eval_log:
            if bid in self.active_ids and (bid, pos) not in seen:
                seen.add((bid, pos))
                self.schedule.append((bid, pos))
        for bid in self.active_ids:
            b = self.blocks[bid]
            rr, cc = b.footprint()
            kinds = engine.sheets[b.sheet].vals.kind[rr, cc]
            if (kinds != NUM).any():
                raise Unsupported(f"cell {b.where([x.name for x in engine.sheets])}'s formula gives "
                                  f"non-numbers on the way to the objective")


    # --- forward pass ---------------------------------------------------------------------

    def objective(self, x: np.ndarray, want_grad: bool = True):
        """(objective value, gradient or None) at x."""
        xt = torch.tensor(x, dtype=torch.float64, requires_grad=want_grad)
        grids = dict(self.base)
        i = 0
        for v in self.problem.variables:
            a = v.area
            n = a.size
            rr, cc = np.mgrid[a.r0:a.r1 + 1, a.c0:a.c1 + 1]
            grids[v.sheet] = grids[v.sheet].index_put(
                (torch.from_numpy(rr.ravel()), torch.from_numpy(cc.ravel())), xt[i:i + n])
            i += n
        self.grids = grids
        for bid, pos in self.schedule:
            self._run(self.blocks[bid], pos)
        s, r, c = self.problem.objective
        value = self.grids[s][r, c]
        if not want_grad:
            return float(value.detach()), None
        if value.requires_grad:
            value.backward()
            grad = xt.grad.numpy().copy() if xt.grad is not None else np.zeros_like(x)
        else:
            grad = np.zeros_like(x)
        return float(value.detach()), grad

    def active_values(self) -> dict:
        """Current torch values of every active cell: {(sheet, r, c): float}."""
        out = {}
        for bid in self.active_ids:
            b = self.blocks[bid]
            rr, cc = b.footprint()
            vals = self.grids[b.sheet][torch.from_numpy(rr), torch.from_numpy(cc)].detach().numpy()
            for r, c, v in zip(rr.tolist(), cc.tolist(), vals.tolist()):
                out[(b.sheet, r, c)] = v
        return out

    def _run(self, b, pos: int) -> None:
        s = self.engine.sheets[b.sheet]
        if b.array is not None:
            batch = Batch.cells(s, [b.array.r0], [b.array.c0])
            val = self._value(self._eval(b.tree, batch, True, (b.id, -1)), batch, arr=True)
            a = b.array
            t = val.t[0]
            h, w = t.shape
            if (h, w) != (a.height, a.width):
                t = t.expand(a.height if h == 1 else h, a.width if w == 1 else w)
                if tuple(t.shape) != (a.height, a.width):
                    raise Unsupported(f"array formula at {a.a1} does not fill its range exactly")
            rr, cc = np.mgrid[a.r0:a.r1 + 1, a.c0:a.c1 + 1]
            self._write(b.sheet, rr.ravel(), cc.ravel(), t.reshape(-1))
            return
        if pos >= 0:
            batch = Batch.cells(s, [int(b.rows[pos])], [int(b.cols[pos])])
        elif b.rect is not None:
            batch = Batch.rectangle(s, *b.rect)
        else:
            batch = Batch.cells(s, b.rows, b.cols)
        val = self._value(self._eval(b.tree, batch, False, (b.id, pos)), batch, arr=False)
        t = val.t[..., 0, 0].expand(batch.shape)
        rows = np.broadcast_to(batch.rows, batch.shape).ravel()
        cols = np.broadcast_to(batch.cols, batch.shape).ravel()
        self._write(b.sheet, rows, cols, t.reshape(-1))

    def _write(self, sheet: int, rows, cols, values) -> None:
        self.grids[sheet] = self.grids[sheet].index_put(
            (torch.from_numpy(np.array(rows, dtype=np.int64)), torch.from_numpy(np.array(cols, dtype=np.int64))),
            values)

    # --- evaluation -------------------------------------------------------------------------

    def _touches_active(self, node, batch: Batch, key=None) -> bool:
        """Whether a subtree may read an active cell (cached per call site: the
        answer does not change between iterations)."""
        ckey = (id(node), key)
        hit = self._touch_cache.get(ckey)
        if hit is None:
            hit = self._touch_cache[ckey] = self._compute_touches(node, batch)
        return hit

    def _compute_touches(self, node, batch: Batch) -> bool:
        if _returns_reference(node):
            return True
        name_tree = lambda n: self.engine.name_tree(n.name, n.sheet or batch.sheet.name)  # noqa: E731
        rows = np.asarray(batch.rows)
        cols = np.asarray(batch.cols)
        rmin, rmax, cmin, cmax = int(rows.min()), int(rows.max()), int(cols.min()), int(cols.max())
        for ref in reference_reads(node, name_tree):
            target = batch.sheet.index if ref.sheet is None else self.engine._sheet_index(ref.sheet)
            if target is None:
                continue
            r0, c0, r1, c1 = read_region(ref, rmin, rmax, cmin, cmax)
            mask = self.active[target]
            r0 = 0 if r0 is None else max(r0, 0)
            c0 = 0 if c0 is None else max(c0, 0)
            r1 = mask.shape[0] - 1 if r1 is None else r1
            c1 = mask.shape[1] - 1 if c1 is None else c1
            if mask[r0:r1 + 1, c0:c1 + 1].any():
                return True
        for n in _subtrees(node):
            if _returns_reference(n):
                return True
        return False

    def _eval(self, node, batch: Batch, arr: bool, key):
        """TVal or TRef.  Constant subtrees come from the numpy engine, once."""
        ckey = (id(node), key, arr)
        if ckey in self.constants:
            return self.constants[ckey]
        if not isinstance(node, (CellRef, AreaRef, Name)) and not self._touches_active(node, batch, key):
            val = self.numpy_eval.value(node, batch, arr)
            if isinstance(val, RefVal):
                from ..formula.batch import deref, intersect
                val = deref(val, batch, self.engine) if arr else intersect(val, batch, self.engine)
            out = _from_arr(val)
            self.constants[ckey] = out
            return out
        return self._dispatch(node, batch, arr, key)

    def _dispatch(self, node, batch, arr, key):
        t = type(node)
        if t is Number:
            return TVal(torch.full((1,) * (batch.ndim + 2), node.value, dtype=torch.float64))
        if t in (CellRef, AreaRef):
            ckey = (id(node), key)
            ref = self.refs.get(ckey)
            if ref is None:
                ref = self.refs[ckey] = self._ref(node, batch)
            return ref
        if t is Name:
            tree = self.engine.name_tree(node.name, node.sheet or batch.sheet.name)
            if tree is None:
                raise Unsupported(f"unknown name {node.name}")
            return self._eval(tree, batch, arr, key)
        if t is Paren:
            return self._eval(node.expr, batch, arr, key)
        if t is Unary:
            v = self._operand(node.operand, batch, arr, key)
            return TVal(-v.t, v.kind) if node.op == "-" else v
        if t is Percent:
            v = self._operand(node.operand, batch, arr, key)
            return TVal(v.t / 100.0, v.kind)
        if t is Binary:
            return self._binary(node, batch, arr, key)
        if t is Call:
            return self._call(node, batch, arr, key)
        if t in (Text, Bool, ErrorLit, Missing, ArrayLit):
            return _from_arr(self.numpy_eval.value(node, batch, arr))
        raise Unsupported(f"{t.__name__} on the way to the objective")

    def _ref(self, node, batch) -> TRef:
        ref = self.numpy_eval.value(node, batch, False)      # positions only, nothing is read
        if not isinstance(ref, RefVal):
            raise Unsupported("a reference that is an error")
        return TRef(ref.sheet.index, ref.r, ref.c, ref.h, ref.w)

    def _deref(self, ref: TRef, batch: Batch) -> TVal:
        grid = self.grids[ref.sheet]
        if ref.gather is not None:
            index, kind = ref.gather
            return TVal(grid.reshape(-1)[index], kind)
        R, C = grid.shape
        r = np.asarray(ref.r, dtype=np.int64)
        c = np.asarray(ref.c, dtype=np.int64)
        if r.ndim == 0 and c.ndim == 0:
            r = r.reshape((1,) * batch.ndim)
            c = c.reshape((1,) * batch.ndim)
        r4 = r[..., None, None] + np.arange(ref.h)[:, None]
        c4 = c[..., None, None] + np.arange(ref.w)[None, :]
        if r4.min() < 0 or c4.min() < 0 or r4.max() >= R or c4.max() >= C:
            raise Unsupported("a reference outside the calculated area")
        flat = np.broadcast_to(r4 * C + c4, np.broadcast_shapes(r4.shape, c4.shape))
        index = torch.from_numpy(np.array(flat, dtype=np.int64))
        kind = np.take(self.kinds[ref.sheet].reshape(-1), flat)
        if (kind >= ERR_BASE).any():
            raise Unsupported("an error value on the way to the objective")
        kind = None if (kind == NUM).all() else kind
        ref.gather = (index, kind)
        return TVal(grid.reshape(-1)[index], kind)

    def _value(self, v, batch, arr: bool) -> TVal:
        if isinstance(v, TRef):
            if not arr and (v.h, v.w) != (1, 1):
                raise Unsupported("implicit intersection of a range on the way to the objective")
            return self._deref(v, batch)
        return v

    def _operand(self, node, batch, arr, key) -> TVal:
        return self._value(self._eval(node, batch, arr, key), batch, arr)

    def _binary(self, node, batch, arr, key) -> TVal:
        a = self._operand(node.left, batch, arr, key)
        b = self._operand(node.right, batch, arr, key)
        op = node.op
        kind = _merge_kinds(a, b)
        if op == "+":
            return TVal(a.t + b.t, kind)
        if op == "-":
            return TVal(a.t - b.t, kind)
        if op == "*":
            return TVal(a.t * b.t, kind)
        if op == "/":
            return TVal(a.t / b.t, kind)
        if op == "^":
            if node.right.__class__ is Number and node.right.value == 2:
                return TVal(a.t * a.t, kind)
            return TVal(torch.pow(a.t, b.t), kind)
        if op in ("=", "<>", "<", ">", "<=", ">="):
            x, y = a.t.detach().numpy(), b.t.detach().numpy()
            fn = {"=": np.equal, "<>": np.not_equal, "<": np.less, ">": np.greater,
                  "<=": np.less_equal, ">=": np.greater_equal}[op]
            mask = fn(x, y)
            return TVal(torch.from_numpy(mask.astype(np.float64)), np.full(mask.shape, BOOL, np.uint8))
        raise Unsupported(f"operator {op} on the way to the objective")

    def _call(self, node: Call, batch, arr, key):
        """A function call through its registration's torch form (see
        formula/functions/registry.py for the calling conventions)."""
        spec = FUNCTIONS.get(node.name)
        if spec is not None and spec.reference:
            return self._reference_function(node, batch, arr, key)
        if spec is None or spec.torch is None:
            raise Unsupported(f"{node.name} on the way to the objective")
        args = node.args
        try:
            if spec.lazy:
                out = spec.torch(*[partial(self._operand, a, batch, arr, key) for a in args])
            elif spec.aggregate:
                return TVal(spec.torch(self._aggregate_parts(node.name, args, batch, arr, key))[..., None, None])
            elif spec.elementwise:
                vals = [self._operand(a, batch, arr, key) for a in args]
                kind = vals[0].kind
                for v in vals[1:]:
                    kind = merge_kinds(kind, v.kind)
                return TVal(spec.torch(*[v.t for v in vals]), kind)
            else:
                vals = [self._operand(a, batch, arr or spec.mode(i) == "a", key) for i, a in enumerate(args)]
                out = spec.torch(*vals)
        except TorchUnsupported as exc:
            raise Unsupported(f"{node.name}: {exc}") from None
        return out if isinstance(out, TVal) else TVal(*out)

    def _aggregate_parts(self, name, args, batch, arr, key) -> list:
        """The (values, include) tensors of SUM-style arguments: a range
        includes its numbers, a typed-in value itself."""
        parts = []
        for a in args:
            v = self._eval(a, batch, arr, key)
            if isinstance(v, TRef):
                v = self._deref(v, batch)
                include = v.kind is None or v.kind == NUM
            else:
                include = True if v.hw == (1, 1) else (v.kind is None or v.kind == NUM)
                if v.hw == (1, 1) and v.kind is not None and ((v.kind >= ERR_BASE) | (v.kind == 2)).any():
                    raise Unsupported(f"{name} of text or an error")
            mask = np.broadcast_to(np.asarray(include), tuple(v.t.shape)).astype(np.float64)
            flat = tuple(v.t.shape[:-2]) + (-1,)
            parts.append((v.t.reshape(flat), torch.from_numpy(mask.reshape(flat))))
        return parts

    def _reference_function(self, node: Call, batch, arr, key) -> TRef:
        """OFFSET / INDEX with constant offsets: a reference computed like the
        engine computes it (the numpy evaluator gives the positions)."""
        args = node.args
        ckey = (id(node), key, arr)
        cached = self.refs.get(ckey)
        if cached is not None:
            return cached
        if any(self._touches_active(a, batch, key) for a in args[1:]):
            raise Unsupported(f"{node.name} with offsets that depend on the changing cells")
        ref = self.numpy_eval.value(node, batch, arr)
        if not isinstance(ref, RefVal) or ref.err is not None:
            raise Unsupported(f"{node.name} that gives an error")
        out = self.refs[ckey] = TRef(ref.sheet.index, ref.r, ref.c, ref.h, ref.w)
        return out


def _from_arr(v) -> TVal:
    if not isinstance(v, Arr):
        raise Unsupported("a constant that is not a value")
    kind = v.kind
    if kind is not None and (kind == BLANK).all():
        kind = kind.copy()
    return TVal(torch.from_numpy(np.ascontiguousarray(np.asarray(v.num, dtype=np.float64))),
                None if kind is None else np.asarray(kind))


def _merge_kinds(a: TVal, b: TVal):
    return merge_kinds(a.kind, b.kind)


def _subtrees(node):
    from ..formula.ast import walk
    return walk(node)
