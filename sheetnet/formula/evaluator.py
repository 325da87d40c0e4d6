"""Evaluate a formula tree for a batch of cells with Excel's semantics.

Array context: inside a legacy array formula ({=...}) and inside arguments
that Excel evaluates as arrays (SUMPRODUCT's, MMULT's, MATCH's lookup array
...), a range is its whole array and operators work element by element.
Elsewhere a multi-cell range used as one value is implicitly intersected with
the formula's row or column.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..errors import ERROR_CODES
from ..refs import MAX_COLS, MAX_ROWS
from .ast import (Apply, AreaRef, ArrayLit, Binary, Bool, Call, CellRef, ErrorLit, External, Missing,
                  Name, Number, Paren, Percent, Ref3D, StructRef, Text, Unary)
from .batch import Batch, NotVectorizable, RefVal, deref, intersect
from .closures import OMITTED, Lambda, param_key
from .functions import FUNCTIONS, Context
from .functions.excel_names import is_excel_function
from .values import (E_CALC, E_NA, E_NAME, E_NULL, E_REF, E_VALUE, Arr, arithmetic, compare, concat, error,
                     negate, percent, scalar)

# Functions that accept a 3-D reference (Sheet1:Sheet3!A1): it counts as one
# range argument per sheet.
THREE_D_FUNCTIONS = frozenset({
    "SUM", "AVERAGE", "AVERAGEA", "COUNT", "COUNTA", "MAX", "MAXA", "MIN", "MINA", "PRODUCT",
    "STDEV", "STDEVA", "STDEVP", "STDEVPA", "STDEV.S", "STDEV.P", "VAR", "VARA", "VARP", "VARPA",
    "VAR.S", "VAR.P"})


class RefList:
    """A 3-D reference evaluated: one RefVal per sheet, in workbook order."""

    __slots__ = ("refs",)

    def __init__(self, refs: list):
        self.refs = refs


class Evaluator:
    """Stateless walker; the engine supplies sheets, names, pulls and the RNG."""

    def __init__(self, engine):
        self.engine = engine

    # --- entry points ---------------------------------------------------------

    def value(self, node, batch: Batch, arr: bool) -> Arr | RefVal:
        """Evaluate to an Arr or (for reference expressions) a RefVal."""
        return self._dispatch[type(node)](self, node, batch, arr)

    def operand(self, node, batch: Batch, arr: bool) -> Arr:
        """A value for an operator or a value parameter: references read as
        arrays in array context, intersected otherwise."""
        v = self.value(node, batch, arr)
        if isinstance(v, RefVal):
            return deref(v, batch, self.engine) if arr else intersect(v, batch, self.engine)
        return v if isinstance(v, Arr) else _not_a_value(v, batch)

    def array(self, node, batch: Batch) -> Arr:
        """An argument Excel evaluates as an array."""
        v = self.value(node, batch, True)
        if isinstance(v, RefVal):
            return deref(v, batch, self.engine)
        return v if isinstance(v, Arr) else _not_a_value(v, batch)

    def reference(self, node, batch: Batch, arr: bool) -> RefVal | Arr:
        """A reference argument; non-references come back as (error) Arrs."""
        v = self.value(node, batch, arr)
        if isinstance(v, RefVal):
            return v
        if isinstance(v, Arr) and v.has_errors():
            return v
        return error(E_VALUE, (1,) * batch.ndim + (1, 1))

    def apply(self, fn, args: tuple, batch: Batch, arr: bool):
        """Call a LAMBDA value with argument trees (Missing leaves a parameter omitted)."""
        if not isinstance(fn, Lambda):
            return error(E_VALUE, (1,) * batch.ndim + (1, 1))
        return self.call_lambda(fn, [OMITTED if isinstance(a, Missing) else self.value(a, batch, arr)
                                     for a in args], batch, arr)

    def call_lambda(self, fn: Lambda, values: list, batch: Batch, arr: bool):
        """Call a LAMBDA value with evaluated arguments (OMITTED for left-out ones)."""
        # too many arguments, or too few for the required (non-_xlop.)
        # parameters, is #VALUE!; an argument left empty, as in (1,), is omitted
        if len(values) > len(fn.params) or not all(fn.optional[len(values):]):
            return error(E_VALUE, (1,) * batch.ndim + (1, 1))
        values = list(values) + [OMITTED] * (len(fn.params) - len(values))
        env = dict(fn.env or {})
        env.update(zip(fn.params, values))
        return self.value(fn.body, batch.with_env(env), arr)

    # --- nodes ------------------------------------------------------------------

    def _number(self, node: Number, batch, arr):
        return Arr(np.full((1,) * batch.ndim + (1, 1), node.value))

    def _literal(self, node, batch, arr):
        return scalar(node.value, batch.ndim + 2)

    def _error(self, node: ErrorLit, batch, arr):
        return error(ERROR_CODES[node.code], (1,) * batch.ndim + (1, 1))

    def _missing(self, node, batch, arr):
        # An omitted argument counts as 0 / "" where a function accepts it.
        return Arr(np.zeros((1,) * batch.ndim + (1, 1)))

    def _sheet(self, name: str | None, batch: Batch):
        if name is None:
            return batch.sheet
        sheet = self.engine.sheet_state(name)
        return sheet

    def _cell(self, node: CellRef, batch: Batch, arr):
        sheet = self._sheet(node.sheet, batch)
        if sheet is None:
            return error(E_REF, (1,) * batch.ndim + (1, 1))
        r = node.row if node.row_abs else batch.rows + node.row
        c = node.col if node.col_abs else batch.cols + node.col
        ref = RefVal(sheet, r, c, 1, 1, affine=not (node.row_abs and node.col_abs))
        return self._checked(ref, batch)

    def _area(self, node: AreaRef, batch: Batch, arr):
        sheet = self._sheet(node.sheet, batch)
        if sheet is None:
            return error(E_REF, (1,) * batch.ndim + (1, 1))
        if node.r1 is None:           # whole columns: all 1,048,576 rows (see batch.FULL_SIZE_CELLS)
            r1, r2 = 0, MAX_ROWS - 1
            r1_abs = r2_abs = True
        else:
            r1 = node.r1 if node.r1_abs else batch.rows + node.r1
            r2 = node.r2 if node.r2_abs else batch.rows + node.r2
            r1_abs, r2_abs = node.r1_abs, node.r2_abs
        if node.c1 is None:           # whole rows: all 16,384 columns
            c1, c2 = 0, MAX_COLS - 1
            c1_abs = c2_abs = True
        else:
            c1 = node.c1 if node.c1_abs else batch.cols + node.c1
            c2 = node.c2 if node.c2_abs else batch.cols + node.c2
            c1_abs, c2_abs = node.c1_abs, node.c2_abs
        top, bottom = _ordered(r1, r2)
        left, right = _ordered(c1, c2)
        h = bottom - top + 1
        w = right - left + 1
        if not (_uniform(h) and _uniform(w)):
            # mixed $ corners ($A$1:A5 filled down): each cell's range differs
            h, w = np.asarray(h), np.asarray(w)
            if h.size != 1 and np.any(h != h.flat[0]) or w.size != 1 and np.any(w != w.flat[0]):
                raise NotVectorizable("ranges of different sizes")
            h, w = int(h.flat[0]), int(w.flat[0])
        affine = (r1_abs == r2_abs) and (c1_abs == c2_abs) and not (r1_abs and c1_abs)
        ref = RefVal(sheet, top, left, int(h), int(w), affine=affine)
        return self._checked(ref, batch)

    def _checked(self, ref: RefVal, batch: Batch):
        """References shifted off the sheet (a formula filled past row 1) are #REF!;
        in cell-by-cell mode reads pull in cells not evaluated yet."""
        r, c = ref.r, ref.c
        if not (_uniform(r) and _uniform(c)):
            rr, cc = np.asarray(r), np.asarray(c)
            if rr.min() < 0 or cc.min() < 0 or rr.max() + ref.h > MAX_ROWS or cc.max() + ref.w > MAX_COLS:
                if batch.size == 1:
                    return error(E_REF, (1,) * batch.ndim + (1, 1))
                raise NotVectorizable("reference off the sheet for some cells")
        elif r < 0 or c < 0:
            return error(E_REF, (1,) * batch.ndim + (1, 1))
        if self.engine.checking_reads:
            self.engine.ensure_rects(ref, batch)
        return ref

    def _name(self, node: Name, batch: Batch, arr):
        if batch.env and node.sheet is None:
            key = param_key(node.name)
            if key in batch.env:
                v = batch.env[key]
                return Arr(np.zeros((1,) * batch.ndim + (1, 1))) if v is OMITTED else v
        if node.name.casefold().startswith(("_xlpm.", "_xlop.")):
            return error(E_NAME, (1,) * batch.ndim + (1, 1))
        tree = self.engine.name_tree(node.name, node.sheet or batch.sheet.name)
        if tree is None:
            return error(E_NAME, (1,) * batch.ndim + (1, 1))
        return self.value(tree, batch, arr)

    def _paren(self, node: Paren, batch, arr):
        return self.value(node.expr, batch, arr)

    def _unary(self, node: Unary, batch, arr):
        v = self.operand(node.operand, batch, arr)
        return negate(v) if node.op == "-" else v

    def _percent(self, node: Percent, batch, arr):
        return percent(self.operand(node.operand, batch, arr))

    def _binary(self, node: Binary, batch, arr):
        op = node.op
        if op in (":", " ", ","):
            return self._reference_op(node, batch, arr)
        a = self.operand(node.left, batch, arr)
        b = self.operand(node.right, batch, arr)
        if op in ("+", "-", "*", "/", "^"):
            return arithmetic(op, a, b)
        if op == "&":
            return concat(a, b)
        return compare(op, a, b)

    def _reference_op(self, node: Binary, batch, arr):
        left = self.value(node.left, batch, arr)
        right = self.value(node.right, batch, arr)
        if not (isinstance(left, RefVal) and isinstance(right, RefVal)):
            return error(E_VALUE, (1,) * batch.ndim + (1, 1))
        if left.sheet is not right.sheet:
            return error(E_VALUE, (1,) * batch.ndim + (1, 1))
        if not all(_uniform(x) for x in (left.r, left.c, right.r, right.c)):
            if batch.size != 1:
                raise NotVectorizable("reference operator on per-cell references")
            left = RefVal(left.sheet, int(np.asarray(left.r).flat[0]), int(np.asarray(left.c).flat[0]),
                          left.h, left.w, left.dynamic)
            right = RefVal(right.sheet, int(np.asarray(right.r).flat[0]), int(np.asarray(right.c).flat[0]),
                           right.h, right.w, right.dynamic)
        lr, lc, lr2, lc2 = left.r, left.c, left.r + left.h - 1, left.c + left.w - 1
        rr, rc, rr2, rc2 = right.r, right.c, right.r + right.h - 1, right.c + right.w - 1
        dynamic = left.dynamic or right.dynamic
        if node.op == ":":            # the bounding rectangle of both
            top, bottom = min(lr, rr), max(lr2, rr2)
            lft, rgt = min(lc, rc), max(lc2, rc2)
            return RefVal(left.sheet, top, lft, bottom - top + 1, rgt - lft + 1, dynamic)
        if node.op == " ":            # the intersection
            top, bottom = max(lr, rr), min(lr2, rr2)
            lft, rgt = max(lc, rc), min(lc2, rc2)
            if top > bottom or lft > rgt:
                return error(E_NULL, (1,) * batch.ndim + (1, 1))
            return RefVal(left.sheet, top, lft, bottom - top + 1, rgt - lft + 1, dynamic)
        # A union of areas is only meaningful to a few functions (SUM, COUNT ...);
        # sheetnet does not model multi-area references.
        return error(E_VALUE, (1,) * batch.ndim + (1, 1))

    def _array_lit(self, node: ArrayLit, batch: Batch, arr):
        h, w = len(node.rows), len(node.rows[0])
        cells = [self.value(x, batch, True) for row in node.rows for x in row]
        num = np.array([c.num.flat[0] for c in cells]).reshape(h, w)
        kind = np.array([c.kinds().flat[0] for c in cells], dtype=np.uint8).reshape(h, w)
        obj = np.array([c.strings().flat[0] for c in cells], dtype=object).reshape(h, w)
        shape = (1,) * batch.ndim + (h, w)
        all_num = bool((kind == 1).all())
        return Arr(num.reshape(shape), None if all_num else kind.reshape(shape),
                   obj.reshape(shape) if any(isinstance(x, str) for x in obj.flat) else None)

    def _callable(self, node: Call, batch: Batch):
        """What a call that is not a built-in function names: a LET/LAMBDA
        parameter holding a LAMBDA, or a defined name (a named LAMBDA)."""
        if batch.env:
            v = batch.env.get(param_key(node.name))
            if v is not None:
                return v
        if node.prefix.casefold().startswith(("_xlpm.", "_xlop.")):
            return None
        tree = self.engine.name_tree(node.name, batch.sheet.name)
        if tree is None:
            return None
        return self.value(tree, batch.with_env({}) if batch.env else batch, False)

    def _call(self, node: Call, batch: Batch, arr):
        spec = FUNCTIONS.get(node.name)
        if spec is None or node.prefix.casefold().startswith(("_xlpm.", "_xlop.")):
            fn = self._callable(node, batch)
            if fn is not None:
                return self.apply(fn, node.args, batch, arr)
            if spec is None or node.prefix:
                if spec is None and is_excel_function(node.name, node.prefix):
                    self.engine.note_unsupported(node.name, batch.size)
                return error(E_NAME, (1,) * batch.ndim + (1, 1))
        nargs = len(node.args)
        if nargs < spec.min_args or (spec.max_args is not None and nargs > spec.max_args):
            return error(E_VALUE, (1,) * batch.ndim + (1, 1))
        ctx = Context(self, batch, arr)
        if spec.lazy:
            return spec.impl(ctx, node.args)
        args = []
        for i, a in enumerate(node.args):
            mode = spec.mode(i)
            if isinstance(a, Ref3D):
                if spec.name not in THREE_D_FUNCTIONS:
                    return error(E_VALUE, (1,) * batch.ndim + (1, 1))
                refs = self.value(a, batch, arr)
                if not isinstance(refs, RefList):
                    return refs
                args.extend(refs.refs)
                continue
            if isinstance(a, Missing) and spec.param(i).type == "text":
                # an omitted text argument is the empty text: SUBSTITUTE(A1,"x",), CONCATENATE(A1,,B1)
                args.append(scalar("", batch.ndim + 2))
            elif isinstance(a, Missing) and spec.param(i).type == "strict_number":
                # the Analysis ToolPak's functions answer an empty argument with #N/A
                args.append(error(E_NA, (1,) * batch.ndim + (1, 1)))
            elif mode == "v":
                args.append(self.operand(a, batch, arr))
            elif mode == "a":
                # an omitted array argument (MMULT(,)) is #VALUE!, not 0
                args.append(error(E_VALUE, (1,) * batch.ndim + (1, 1)) if isinstance(a, Missing)
                            else self.array(a, batch))
            elif mode == "p" and isinstance(a, (CellRef, AreaRef)):
                args.append(self._position(a, batch, arr))
            else:   # "x" (reference or value, as given) and "p" (position only)
                args.append(self.value(a, batch, arr))
        return spec.impl(ctx, *args)

    def _position(self, node, batch: Batch, arr: bool):
        """A reference whose cells are not read (ROW's, CELL("col", ...)'s):
        nothing is pulled in, so a formula may name its own cell."""
        saved, self.engine.checking_reads = self.engine.checking_reads, False
        try:
            return self.value(node, batch, arr)
        finally:
            self.engine.checking_reads = saved

    def _apply(self, node: Apply, batch: Batch, arr):
        return self.apply(self.value(node.callee, batch, arr), node.args, batch, arr)

    def _struct(self, node: StructRef, batch: Batch, arr):
        """A table reference as the rectangle it names; [#This Row] is the
        formula's own row of the table (#VALUE! outside the data rows)."""
        table = self.engine.table_for(node.table, batch)
        unit = (1,) * batch.ndim + (1, 1)
        if table is None:
            return error(E_REF, unit)
        sheet = self.engine.sheet_state(table.sheet)
        cols = table.columns_of(node.col1, node.col2)
        rows = table.rows_of(node.items)
        if sheet is None or cols is None or rows is None:
            return error(E_REF, unit)
        c0, w = cols[0], cols[1] - cols[0] + 1
        if not node.this_row:
            return self._checked(RefVal(sheet, rows[0], c0, rows[1] - rows[0] + 1, w), batch)
        first, last = table.data_rows
        inside = (batch.rows >= first) & (batch.rows <= last)
        if inside.all():
            return self._checked(RefVal(sheet, batch.rows, c0, 1, w, affine=True), batch)
        if not inside.any():
            return error(E_VALUE, unit)
        r = np.broadcast_to(np.where(inside, batch.rows, first), batch.shape)
        err = np.broadcast_to(np.where(inside, 0, E_VALUE).astype(np.uint8), batch.shape)
        return self._checked(RefVal(sheet, r, c0, 1, w, err=err), batch)

    def _ref3d(self, node: Ref3D, batch: Batch, arr):
        """Sheet1:Sheet3!A1:B2: the rectangle on every sheet of the span."""
        span = self.engine.sheet_span(node.first, node.last)
        if span is None:
            return error(E_REF, (1,) * batch.ndim + (1, 1))
        refs = []
        for name in span:
            v = self.value(replace(node.ref, sheet=name), batch, arr)
            if not isinstance(v, RefVal):
                return v
            refs.append(v)
        return RefList(refs)

    def _external(self, node: External, batch: Batch, arr):
        # never evaluated in `check` (such cells keep their cached values);
        # elsewhere a linked workbook is simply not available
        return error(E_REF, (1,) * batch.ndim + (1, 1))

    _dispatch = {
        Number: _number, Text: _literal, Bool: _literal, ErrorLit: _error, Missing: _missing,
        CellRef: _cell, AreaRef: _area, Name: _name, Paren: _paren, Unary: _unary,
        Percent: _percent, Binary: _binary, ArrayLit: _array_lit, Call: _call, Apply: _apply,
        StructRef: _struct, Ref3D: _ref3d, External: _external,
    }


def _not_a_value(v, batch: Batch) -> Arr:
    """A LAMBDA that was never called is #CALC! where a value is needed; a
    3-D reference outside the functions that take one is #VALUE!."""
    code = E_CALC if isinstance(v, Lambda) else E_VALUE
    return error(code, (1,) * batch.ndim + (1, 1))


def _uniform(x) -> bool:
    return isinstance(x, (int, np.integer))


def _ordered(a, b):
    """Excel normalises a rectangle whose corners were written backwards."""
    if _uniform(a) and _uniform(b):
        return (a, b) if a <= b else (b, a)
    return np.minimum(a, b), np.maximum(a, b)
