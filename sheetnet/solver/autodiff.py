"""Exact gradients of a Solver objective through the formula graph.

The engine's plan is replayed with torch tensors, but only where it matters:

* *active* blocks (active.py) are those that depend on the changing cells and
  on which the objective depends; every other cell is a constant;
* inside an active block's formula, every subtree that does not touch an
  active cell (a MATCH into a constant id list, an IF test on the ratings)
  is evaluated once by the numpy engine -- with its exact semantics -- and
  reused at every iteration;
* references are compiled once into gathers over the active cells' own
  tensors (cells.py): an OFFSET look-up into a factor table is one
  ``index_select`` of rows, a SUMPRODUCT over the row beside it a view;
* what remains (arithmetic, MMULT, SUMPRODUCT, SUMXMY2, SQRT, EXP, the
  aggregates ...) runs in torch as whole-block tensor operations, in the
  order the engine evaluated them, and autograd gives the gradient.  IF,
  IFERROR, the SUM family, MMULT, SUMPRODUCT and SUMXMY2 have optimised forms
  here (constants cached per call site, products of whole blocks); every
  other function runs its registration's torch form (formula/functions).

Anything outside that differentiable vocabulary raises ``Unsupported`` and
the solver falls back to finite differences, as Excel's GRG does.
"""

from __future__ import annotations


import numpy as np

from ..errors import ERR_BASE
from ..formula.ast import (AreaRef, ArrayLit, Binary, Bool, Call, CellRef, ErrorLit, Missing, Name, Number,
                           Paren, Percent, Text, Unary, walk)
from ..formula.batch import Batch, RefVal, deref, intersect
from ..formula.evaluator import Evaluator
from ..formula.functions import FUNCTIONS
from ..formula.functions.torchforms import TorchUnsupported, merge_kinds
from ..formula.values import Arr
from ..store import BOOL, NUM
from ..engine.plan import read_region, reference_reads
from .active import Unsupported, active_part
from .cells import CellSpace, TVal
from .products import matmul, sumproduct

try:
    import torch
except ImportError:          # the solver then uses finite differences
    torch = None

__all__ = ["TorchReplay", "Unsupported", "TVal"]


class TRef:
    """A reference; `gather` is its compiled read (cells.py), made on first use."""

    __slots__ = ("sheet", "r", "c", "h", "w", "gather")

    def __init__(self, sheet: int, r, c, h: int, w: int):
        self.sheet, self.r, self.c, self.h, self.w = sheet, r, c, h, w
        self.gather = None


_COMPARE = {"=": "eq", "<>": "ne", "<": "lt", ">": "gt", "<=": "le", ">=": "ge"}


class TorchReplay:
    def __init__(self, problem, device="cpu", targets=()):
        """`targets`: other cells (sheet, row, col) the solve reads besides
        the objective -- the cells of general constraints (see `cells`)."""
        if torch is None:
            raise Unsupported("torch is not installed")
        self.problem = problem
        self.device = torch.device(device)
        engine = problem.engine
        self.engine = engine
        self.blocks = engine.blocks
        self.numpy_eval = Evaluator(engine)
        part = active_part(problem, targets)
        self.active_ids = part.ids
        self.active = part.mask
        self.schedule = part.schedule
        self.objective_depends = part.objective_depends
        self.space = CellSpace(engine, problem.variables, part, self.device)
        self.constants: dict = {}       # (node, call site, arr) -> TVal of a constant subtree
        self.refs: dict = {}            # (node, call site[, arr]) -> TRef
        self.sites: dict = {}           # (node, call site, tag) -> whatever a function keeps between calls
        self._touch_cache: dict = {}
        self._batches: dict = {}
        s, r, c = problem.objective
        self._objective = TRef(s, r, c, 1, 1)
        self._targets = [TRef(t, tr, tc, 1, 1) for t, tr, tc in targets]

    # --- evaluation at x ----------------------------------------------------------------------

    def objective(self, x: np.ndarray, want_grad: bool = True):
        """(objective value, gradient or None) at x."""
        xt = torch.tensor(np.asarray(x, dtype=np.float64), dtype=torch.float64, device=self.device)
        if want_grad:
            xt.requires_grad_(True)
        with torch.set_grad_enabled(want_grad):
            value = self.forward(xt)
        f = float(value.detach())
        if not want_grad:
            return f, None
        if value.requires_grad:
            value.backward()
            grad = xt.grad.cpu().numpy() if xt.grad is not None else np.zeros_like(x)
        else:
            grad = np.zeros(len(x))
        return f, np.array(grad, dtype=np.float64)

    def forward(self, xt):
        """The objective as a 0-d tensor of xt (a flat tensor of the changing cells)."""
        self.space.start(xt)
        for bid, pos in self.schedule:
            self._run(self.blocks[bid], pos)
        return self._deref(self._objective, None).t.reshape(())

    def cells(self, x: np.ndarray, want_jacobian: bool = True):
        """(values of the target cells, their Jacobian m x n or None) at x."""
        xt = torch.tensor(np.asarray(x, dtype=np.float64), dtype=torch.float64, device=self.device)
        if want_jacobian:
            xt.requires_grad_(True)
        with torch.set_grad_enabled(want_jacobian):
            self.forward(xt)
            values = torch.stack([self._deref(t, None).t.reshape(()) for t in self._targets])
        out = values.detach().cpu().numpy().astype(np.float64)
        if not want_jacobian:
            return out, None
        jac = np.zeros((len(out), len(x)))
        for i in range(len(out)):
            if values[i].requires_grad:
                (g,) = torch.autograd.grad(values[i], xt, retain_graph=i + 1 < len(out), allow_unused=True)
                if g is not None:
                    jac[i] = g.cpu().numpy()
        return out, jac

    def mismatch_with_engine(self, rtol: float, atol: float) -> str | None:
        """After an evaluation at the engine's own x: the first active cell whose
        replayed value differs from the engine's, or None."""
        return self.space.mismatch(rtol, atol)

    def _batch(self, b, pos: int) -> Batch:
        key = (b.id, pos)
        batch = self._batches.get(key)
        if batch is None:
            s = self.engine.sheets[b.sheet]
            if b.array is not None:
                batch = Batch.cells(s, [b.array.r0], [b.array.c0])
            elif pos >= 0:
                batch = Batch.cells(s, [int(b.rows[pos])], [int(b.cols[pos])])
            elif b.rect is not None:
                batch = Batch.rectangle(s, *b.rect)
            else:
                batch = Batch.cells(s, b.rows, b.cols)
            self._batches[key] = batch
        return batch

    def _run(self, b, pos: int) -> None:
        batch = self._batch(b, pos)
        if b.array is not None:
            val = self._value(self._eval(b.tree, batch, True, (b.id, -1)), batch, arr=True)
            a = b.array
            t = val.t[0]
            h, w = t.shape
            if (h, w) != (a.height, a.width):
                t = t.expand(a.height if h == 1 else h, a.width if w == 1 else w)
                if tuple(t.shape) != (a.height, a.width):
                    raise Unsupported(f"array formula at {a.a1} does not fill its range exactly")
            self.space.write_block(b.id, t.reshape(-1))
            return
        context = b.array_context      # one-cell array formulas of one shape: array context
        val = self._value(self._eval(b.tree, batch, context, (b.id, pos)), batch, arr=context)
        t = val.t[..., 0, 0]
        if pos >= 0:
            self.space.write_cell(b.id, int(b.rows[pos]), int(b.cols[pos]), t.reshape(()))
        else:
            self.space.write_block(b.id, t.expand(batch.shape).reshape(-1))

    # --- formula nodes ------------------------------------------------------------------------

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
        return any(_returns_reference(n) for n in walk(node))

    def _eval(self, node, batch: Batch, arr: bool, key):
        """TVal or TRef.  Constant subtrees come from the numpy engine, once."""
        ckey = (id(node), key, arr)
        hit = self.constants.get(ckey)
        if hit is not None:
            return hit
        if not isinstance(node, (CellRef, AreaRef, Name)) and not self._touches_active(node, batch, key):
            val = self.numpy_eval.value(node, batch, arr)
            if isinstance(val, RefVal):
                val = deref(val, batch, self.engine) if arr else intersect(val, batch, self.engine)
            out = self._from_arr(val)
            self.constants[ckey] = out
            return out
        return self._dispatch(node, batch, arr, key)

    def _dispatch(self, node, batch, arr, key):
        t = type(node)
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
        if t in (Number, Text, Bool, ErrorLit, Missing, ArrayLit):
            return self._from_arr(self.numpy_eval.value(node, batch, arr))
        raise Unsupported(f"{t.__name__} on the way to the objective")

    def _ref(self, node, batch) -> TRef:
        ref = self.numpy_eval.value(node, batch, False)      # positions only, nothing is read
        if not isinstance(ref, RefVal):
            raise Unsupported("a reference that is an error")
        return TRef(ref.sheet.index, ref.r, ref.c, ref.h, ref.w)

    def _deref(self, ref: TRef, batch: Batch | None) -> TVal:
        if ref.gather is None:
            r = np.asarray(ref.r, dtype=np.int64)
            c = np.asarray(ref.c, dtype=np.int64)
            if r.ndim == 0 and c.ndim == 0:
                nd = batch.ndim if batch is not None else 0
                r = r.reshape((1,) * nd)
                c = c.reshape((1,) * nd)
            r4 = r[..., None, None] + np.arange(ref.h)[:, None]
            c4 = c[..., None, None] + np.arange(ref.w)[None, :]
            ref.gather = self.space.gather(ref.sheet, r4, c4)
        return ref.gather.read()

    def _value(self, v, batch, arr: bool) -> TVal:
        if isinstance(v, TRef):
            if not arr and (v.h, v.w) != (1, 1):
                raise Unsupported("implicit intersection of a range on the way to the objective")
            return self._deref(v, batch)
        return v

    def _operand(self, node, batch, arr, key) -> TVal:
        return self._value(self._eval(node, batch, arr, key), batch, arr)

    def _site(self, node, key, tag, make):
        """Something a call site computes once from constants (masks, counts)."""
        skey = (id(node), key, tag)
        hit = self.sites.get(skey)
        if hit is None:
            hit = self.sites[skey] = make()
        return hit

    def _merged_kinds(self, node, key, a: TVal, b: TVal):
        """Kinds of an elementwise result, merged once per call site (the
        operands' kinds are the same objects at every evaluation)."""
        if a.kind is None and b.kind is None:
            return None
        skey = (id(node), key, "kinds")
        hit = self.sites.get(skey)
        if hit is None or hit[0] is not a.kind or hit[1] is not b.kind:
            hit = self.sites[skey] = (a.kind, b.kind, _merge_kinds(a, b))
        return hit[2]

    def _tensor(self, a):
        return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float64)).to(self.device)

    def _from_arr(self, v) -> TVal:
        if not isinstance(v, Arr):
            raise Unsupported("a constant that is not a value")
        kind = v.kind
        return TVal(self._tensor(np.asarray(v.num, dtype=np.float64)), None if kind is None else np.asarray(kind),
                    const=True)

    # --- operators ----------------------------------------------------------------------------

    def _binary(self, node, batch, arr, key) -> TVal:
        a = self._operand(node.left, batch, arr, key)
        b = self._operand(node.right, batch, arr, key)
        op = node.op
        kind = self._merged_kinds(node, key, a, b)
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
        if op in _COMPARE:
            with torch.no_grad():
                mask = getattr(torch, _COMPARE[op])(a.t, b.t)
            shape = tuple(mask.shape)
            kinds = self._site(node, key, ("bools", shape), lambda: np.full(shape, BOOL, np.uint8))
            return TVal(mask.to(torch.float64), kinds, a.const and b.const)
        raise Unsupported(f"operator {op} on the way to the objective")

    # --- functions ----------------------------------------------------------------------------

    def _call(self, node: Call, batch, arr, key):
        name = node.name
        args = node.args
        if name == "IF":
            return self._if(node, batch, arr, key)
        if _returns_reference(node):
            return self._reference_function(node, batch, arr, key)
        if name == "IFERROR":
            return self._operand(args[0], batch, arr, key)
        if name == "MMULT":
            a = self._operand(args[0], batch, True, key)
            b = self._operand(args[1], batch, True, key)
            if a.kind is not None or b.kind is not None:
                raise Unsupported("MMULT over non-numbers")
            return TVal(matmul(a, b))
        if name == "SUMPRODUCT":
            vals = []
            for i, a in enumerate(args):
                v = self._operand(a, batch, True, key)
                if v.kind is not None:
                    mask = self._site(node, key, ("numbers", i),
                                      lambda: self._tensor(v.kind == NUM))
                    v = TVal(v.t * mask, None, v.const)
                vals.append(v)
            return TVal(sumproduct(vals))
        if name == "SUMXMY2":
            a = self._operand(args[0], batch, True, key)
            b = self._operand(args[1], batch, True, key)
            d = a.t - b.t
            if a.kind is not None or b.kind is not None:
                both = self._site(node, key, "both", lambda: self._tensor(np.broadcast_to(
                    _numbers(a.kind) & _numbers(b.kind), tuple(d.shape))))
                d = d * both
            return TVal((d * d).sum(dim=(-2, -1), keepdim=True))
        if name in ("SUM", "SUMSQ", "AVERAGE", "COUNT", "MAX", "MIN"):
            return self._aggregate(node, batch, arr, key)
        return self._registered(node, batch, arr, key)

    def _registered(self, node: Call, batch, arr, key) -> TVal:
        """Any other function, through its registration's torch form (see
        formula/functions/registry.py for the calling conventions)."""
        spec = FUNCTIONS.get(node.name)
        if spec is None or spec.torch is None:
            raise Unsupported(f"{node.name} on the way to the objective")
        args = node.args
        try:
            if spec.lazy:
                out = spec.torch(*[_Thunk(self, a, batch, arr, key) for a in args])
            elif spec.aggregate:
                parts = []
                for a in args:
                    v = self._eval(a, batch, arr, key)
                    if isinstance(v, TRef):
                        v = self._deref(v, batch)
                        include = v.kind is None or v.kind == NUM
                    elif v.hw == (1, 1) and v.kind is not None and ((v.kind >= ERR_BASE) | (v.kind == 2)).any():
                        raise Unsupported(f"{node.name} of text or an error")
                    else:
                        include = True if v.hw == (1, 1) else (v.kind is None or v.kind == NUM)
                    flat = tuple(v.t.shape[:-2]) + (-1,)
                    mask = np.broadcast_to(np.asarray(include), tuple(v.t.shape)).reshape(flat)
                    parts.append((v.t.reshape(flat), self._tensor(mask)))
                return TVal(spec.torch(parts)[..., None, None])
            elif spec.elementwise:
                vals = [self._operand(a, batch, arr, key) for a in args]
                return TVal(spec.torch(*[v.t for v in vals]), self._elementwise_kinds(node, key, vals))
            else:
                out = spec.torch(*[self._operand(a, batch, arr or spec.mode(i) == "a", key)
                                   for i, a in enumerate(args)])
        except TorchUnsupported as exc:
            raise Unsupported(f"{node.name}: {exc}") from None
        return out if isinstance(out, TVal) else TVal(*out)

    def _elementwise_kinds(self, node, key, vals: list):
        """The arguments' kinds merged, once per call site while they stay the
        same objects (kinds are constants of the replay)."""
        kinds = tuple(v.kind for v in vals)
        if all(k is None for k in kinds[1:]):
            return kinds[0]
        skey = (id(node), key, "kinds")
        hit = self.sites.get(skey)
        if hit is None or any(a is not b for a, b in zip(hit[0], kinds)):
            merged = kinds[0]
            for k in kinds[1:]:
                merged = merge_kinds(merged, k)
            hit = self.sites[skey] = (kinds, merged)
        return hit[1]

    def _if(self, node: Call, batch, arr, key) -> TVal:
        args = node.args
        cond = self._operand(args[0], batch, arr, key)
        if cond.kind is not None and ((cond.kind >= ERR_BASE).any() or (cond.kind == 2).any()):
            raise Unsupported("an IF test that is text or an error")
        if cond.const:
            mask = cond.cached("mask", lambda: cond.t != 0)
            every = cond.cached("all", lambda: bool(mask.all()))
            none = cond.cached("none", lambda: not bool(mask.any()))
        else:
            with torch.no_grad():
                mask = cond.t != 0
            every, none = bool(mask.all()), not bool(mask.any())

        def branch(i):
            if i < len(args):
                return self._operand(args[i], batch, arr, key)
            return TVal(torch.zeros((1,) * (batch.ndim + 2), dtype=torch.float64, device=self.device),
                        np.full((1,) * (batch.ndim + 2), BOOL, np.uint8), const=True)

        if every:
            return branch(1)
        if none:
            return branch(2)
        yes, no = branch(1), branch(2)
        return TVal(torch.where(mask, yes.t, no.t), self._merged_kinds(node, key, yes, no))

    def _aggregate(self, node, batch, arr, key) -> TVal:
        name = node.name
        parts = []
        for i, a in enumerate(node.args):
            v = self._eval(a, batch, arr, key)
            was_ref = isinstance(v, TRef)
            if was_ref:
                v = self._deref(v, batch)
            elif v.hw == (1, 1) and v.kind is not None and ((v.kind >= ERR_BASE) | (v.kind == 2)).any():
                raise Unsupported(f"{name} of text or an error")
            flat = tuple(v.t.shape[:-2]) + (-1,)

            def include(v=v, was_ref=was_ref, flat=flat):
                keep = True if (not was_ref and v.hw == (1, 1)) else (v.kind is None or v.kind == NUM)
                mask = np.broadcast_to(np.asarray(keep), tuple(v.t.shape)).astype(np.float64).reshape(flat)
                return (None if mask.all() else self._tensor(mask)), mask.sum(axis=-1)

            mask, count = self._site(node, key, ("include", i), include)
            parts.append((v.t.reshape(flat), mask, count))
        if name == "COUNT":
            return TVal(self._site(node, key, "count", lambda: self._tensor(sum(p[2] for p in parts))[..., None, None]))
        if name in ("MAX", "MIN"):
            big = float("inf") if name == "MIN" else float("-inf")
            cat = torch.cat([t if m is None else torch.where(m > 0, t, torch.full_like(t, big)) for t, m, _ in parts],
                            dim=-1)
            red = cat.max(dim=-1).values if name == "MAX" else cat.min(dim=-1).values
            return TVal(red[..., None, None])
        total = None
        for t, m, _ in parts:
            term = t * t if name == "SUMSQ" else t
            if m is not None:
                term = term * m
            s = term.sum(dim=-1)
            total = s if total is None else total + s
        if name == "AVERAGE":
            total = total / self._site(node, key, "count", lambda: self._tensor(sum(p[2] for p in parts)))
        return TVal(total[..., None, None])

    def _reference_function(self, node: Call, batch, arr, key) -> TRef:
        """OFFSET / INDEX with constant offsets: a reference computed like the
        engine computes it (the numpy evaluator gives the positions)."""
        ckey = (id(node), key, arr)
        cached = self.refs.get(ckey)
        if cached is not None:
            return cached
        if any(self._touches_active(a, batch, key) for a in node.args[1:]):
            raise Unsupported(f"{node.name} with offsets that depend on the changing cells")
        ref = self.numpy_eval.value(node, batch, arr)
        if not isinstance(ref, RefVal) or ref.err is not None:
            raise Unsupported(f"{node.name} that gives an error")
        out = self.refs[ckey] = TRef(ref.sheet.index, ref.r, ref.c, ref.h, ref.w)
        return out


class _Thunk:
    """A lazy function's argument for its torch form: ``thunk()`` evaluates it
    as the call evaluates its arguments, ``thunk(array=True)`` as an array
    (a look-up's table: a range read whole); ``omitted`` says the formula
    left it empty (XLOOKUP(x, a, b, , 1)); ``constant()`` gives the engine's
    own value of an argument that does not change."""

    __slots__ = ("replay", "node", "batch", "arr", "key")

    def __init__(self, replay, node, batch, arr, key):
        self.replay, self.node, self.batch, self.arr, self.key = replay, node, batch, arr, key

    @property
    def omitted(self) -> bool:
        return isinstance(self.node, Missing)

    def __call__(self, array: bool = False):
        return self.replay._operand(self.node, self.batch, self.arr or array, self.key)

    def constant(self, array: bool = False):
        """The argument as the engine evaluates it (an Arr, texts included)
        when it does not depend on the changing cells, once per call site;
        None when it does (a look-up's keys: XLOOKUP by a product's name)."""
        replay = self.replay
        if replay._touches_active(self.node, self.batch, self.key):
            return None
        arr = self.arr or array
        ckey = (id(self.node), self.key, arr, "engine value")
        hit = replay.constants.get(ckey)
        if hit is None:
            val = replay.numpy_eval.value(self.node, self.batch, arr)
            if isinstance(val, RefVal):
                val = deref(val, self.batch, replay.engine) if arr else intersect(val, self.batch, replay.engine)
            hit = replay.constants[ckey] = val
        return hit


def _numbers(kind):
    return np.ones(1, bool) if kind is None else kind == NUM


def _merge_kinds(a: TVal, b: TVal):
    return merge_kinds(a.kind, b.kind)


def _returns_reference(node) -> bool:
    """A call whose result is a reference computed at run time (OFFSET, INDEX)."""
    spec = FUNCTIONS.get(node.name) if isinstance(node, Call) else None
    return spec is not None and spec.reference
