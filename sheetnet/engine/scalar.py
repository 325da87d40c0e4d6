"""A fast path for recurrences: formulas evaluated one cell at a time.

Cells of a recurrence (each row using the previous one: the optimiser sheets)
cannot be vectorised, and pushing one-element numpy arrays through the
general evaluator costs hundreds of microseconds a cell.  Here a block's
formula is compiled once into nested Python closures over plain floats --
IEEE doubles, one rounding per operation, exactly what numpy computes -- for
the common vocabulary of such sheets: arithmetic, comparisons, names, and
every function whose registration carries a scalar form (IF, SQRT, EXP, LN,
LOG, ROUND ..., small SUM/SUMSQ/AVERAGE/COUNT/MAX/MIN ranges; see
formula/functions/registry.py).

Whenever a cell meets anything else at run time -- a blank, text, an error,
a cell not evaluated yet, a division by zero, an overflow -- the closure
raises ``Fallback`` and the engine evaluates that cell with the general
evaluator, so results are identical either way.
"""

from __future__ import annotations

import math
import operator
from functools import partial

import numpy as np

from ..formula import crmath
from ..formula.ast import AreaRef, Binary, Call, CellRef, Name, Number, Paren, Percent, Unary
from ..formula.functions import FUNCTIONS
from ..store import NUM

_pow_scalar = crmath.scalar(crmath.power)
_READY = 0
# ranges up to this size are read as Python floats (a list of 4,096 takes
# ~0.1 ms, still well under the general evaluator's fixed cost for one cell)
SCALAR_RANGE_CELLS = 4096
# what a scalar form raises where Excel gives an error (math.sqrt(-1), 1/0,
# exp(1000)): the general evaluator then says which
_DOMAIN_ERRORS = (ArithmeticError, ValueError)


class Fallback(Exception):
    """This cell needs the general evaluator."""


class NotCompilable(Exception):
    """This formula uses something outside the fast path's vocabulary."""


def compile_block(tree, engine, sheet_index: int):
    """A function (row, col) -> float | bool for the block's formula, or None."""
    try:
        return _Compiler(engine, sheet_index).node(tree)
    except NotCompilable:
        return None


class _Compiler:
    def __init__(self, engine, sheet_index: int):
        self.engine = engine
        self.sheet_index = sheet_index
        self.depth = 0

    def sheet(self, name):
        if name is None:
            return self.engine.sheets[self.sheet_index]
        s = self.engine.sheet_state(name)
        if s is None:
            raise NotCompilable
        return s

    def node(self, n):
        t = type(n)
        if t is Number:
            v = n.value
            return lambda r, c: v
        if t is Paren:
            return self.node(n.expr)
        if t is CellRef:
            return self.cell(n)
        if t is Unary:
            f = self.number(n.operand)
            if n.op == "-":
                return lambda r, c: -f(r, c)
            return f
        if t is Percent:
            f = self.number(n.operand)
            return lambda r, c: f(r, c) / 100.0
        if t is Binary:
            return self.binary(n)
        if t is Call:
            return self.call(n)
        if t is Name:
            self.depth += 1
            if self.depth > 20:
                raise NotCompilable
            tree = self.engine.name_tree(n.name, n.sheet or self.engine.sheets[self.sheet_index].name)
            if tree is None:
                raise NotCompilable
            out = self.node(tree)
            self.depth -= 1
            return out
        raise NotCompilable

    def number(self, n):
        """A sub-formula that must give a number (booleans fall back: Excel
        orders them above all numbers in comparisons).  Numbers, cell reads
        and arithmetic never give a boolean here: they need no check."""
        f = self.node(n)
        if _numeric(n):
            return f

        def g(r, c):
            v = f(r, c)
            if v is True or v is False:
                raise Fallback
            return v
        return g

    def cell(self, n: CellRef):
        sheet = self.sheet(n.sheet)
        engine = self.engine
        row, col, row_abs, col_abs = n.row, n.col, n.row_abs, n.col_abs

        def read(r, c):
            rr = row if row_abs else r + row
            cc = col if col_abs else c + col
            vals = sheet.vals
            R, C = vals.num.shape
            # .item: a Python number straight away, no numpy scalar
            if not (0 <= rr < R and 0 <= cc < C) or vals.kind.item(rr, cc) != NUM or \
                    (not engine.settled and sheet.state.item(rr, cc) != _READY):
                raise Fallback
            return vals.num.item(rr, cc)
        return read

    def area_cells(self, n: AreaRef, as_array: bool = False):
        """A reader of a small range's numbers in row-major order (a list, or
        with as_array a numpy array, for ranges of any size)."""
        if n.r1 is None or n.c1 is None:
            raise NotCompilable
        sheet = self.sheet(n.sheet)
        engine = self.engine
        r1, c1, r2, c2 = n.r1, n.c1, n.r2, n.c2
        r1a, c1a, r2a, c2a = n.r1_abs, n.c1_abs, n.r2_abs, n.c2_abs

        def read(r, c):
            top, bottom = (r1 if r1a else r + r1), (r2 if r2a else r + r2)
            left, right = (c1 if c1a else c + c1), (c2 if c2a else c + c2)
            top, bottom = min(top, bottom), max(top, bottom)
            left, right = min(left, right), max(left, right)
            if (bottom - top + 1) * (right - left + 1) > SCALAR_RANGE_CELLS and not as_array:
                raise Fallback
            vals = sheet.vals
            R, C = vals.num.shape
            if top < 0 or left < 0 or bottom >= R or right >= C:
                raise Fallback
            if not engine.settled and sheet.state[top:bottom + 1, left:right + 1].any():
                raise Fallback
            kinds = vals.kind[top:bottom + 1, left:right + 1]
            if kinds.tobytes() != _NUM_BYTE * kinds.size:
                raise Fallback      # blanks/text are skipped by SUM: the general path knows how
            block = vals.num[top:bottom + 1, left:right + 1]
            return block.ravel() if as_array else block.ravel().tolist()
        return read

    def range_total(self, n: AreaRef, average: bool):
        """SUM or AVERAGE of one range of numbers in one numpy pass: cumsum adds
        left to right, exactly as the general evaluator's seq_sum does.  A
        range in one column -- a column's total, the edit path's commonest
        range -- is read as a strided view, without a copy and without
        area_cells' two-axis bookkeeping (worth 2 us on a user's first edit)."""
        if n.c1 is None or n.c2 is None or n.c1_abs != n.c2_abs or n.c1 != n.c2 or n.r1 is None:
            read = self.area_cells(n, as_array=True)

            def total(r, c):
                x = read(r, c)
                z = float(np.cumsum(x)[-1])
                return _checked(z / len(x) if average else z)
            return total
        sheet = self.sheet(n.sheet)
        engine = self.engine
        r1, r2, r1a, r2a, col, col_abs = n.r1, n.r2, n.r1_abs, n.r2_abs, n.c1, n.c1_abs

        def column_total(r, c):
            top, bottom = (r1 if r1a else r + r1), (r2 if r2a else r + r2)
            if top > bottom:
                top, bottom = bottom, top
            cc = col if col_abs else c + col
            vals = sheet.vals
            R, C = vals.num.shape
            if top < 0 or cc < 0 or bottom >= R or cc >= C:
                raise Fallback
            rows = slice(top, bottom + 1)
            # every one a number (blanks and text: the general path), and calculated;
            # the kinds compared as bytes: one copy and a memcmp, 4x faster than != and any()
            if vals.kind[rows, cc].tobytes() != _NUM_BYTE * (bottom - top + 1) or \
                    (not engine.settled and sheet.state[rows, cc].any()):
                raise Fallback
            z = float(_running_sum(vals.num[rows, cc])[-1])
            return _checked(z / (bottom - top + 1) if average else z)
        return column_total

    def binary(self, n: Binary):
        op = n.op
        a, b = self.number(n.left), self.number(n.right)
        arith = _ARITHMETIC_OPS.get(op)
        if arith is not None:
            def arithmetic(r, c):
                z = arith(a(r, c), b(r, c))
                if z - z != 0.0:        # 0.0 exactly when z is finite (inf - inf, nan - nan: nan)
                    raise Fallback
                return z
            return arithmetic
        if op == "/":
            def div(r, c):
                x, y = a(r, c), b(r, c)
                if y == 0:
                    raise Fallback
                z = x / y
                if not math.isfinite(z):
                    raise Fallback
                return z
            return div
        if op == "^":
            if isinstance(n.right, Number) and n.right.value == 2:
                def square(r, c):
                    x = a(r, c)
                    z = x * x
                    if z - z != 0.0:
                        raise Fallback
                    return z
                return square

            def power(r, c):
                x, y = a(r, c), b(r, c)
                if x == 0 and y <= 0:
                    raise Fallback
                if y == 2:
                    z = x * x
                elif y == 1:
                    z = x
                else:
                    try:
                        z = _pow_scalar(x, y)             # correctly rounded, as the batch path
                    except (OverflowError, ValueError):
                        raise Fallback from None
                if not math.isfinite(z):
                    raise Fallback
                return z
            return power
        compare = {"=": lambda x, y: x == y, "<>": lambda x, y: x != y, "<": lambda x, y: x < y,
                   ">": lambda x, y: x > y, "<=": lambda x, y: x <= y, ">=": lambda x, y: x >= y}.get(op)
        if compare is None:
            raise NotCompilable          # & and reference operators
        return lambda r, c: compare(a(r, c), b(r, c))

    def call(self, n: Call):
        """A function with a scalar form in its registration (see
        formula/functions/registry.py for the conventions)."""
        spec = FUNCTIONS.get(n.name)
        args = n.args
        if spec is None or spec.scalar is None or not spec.min_args <= len(args) <= spec.max_args:
            raise NotCompilable
        form = spec.scalar
        if spec.lazy:
            thunks = [self.node(a) for a in args]

            def lazy(r, c):
                try:
                    z = form(*[partial(t, r, c) for t in thunks])
                except _DOMAIN_ERRORS:
                    raise Fallback from None
                return _checked(z)
            return lazy
        if n.name in ("SUM", "AVERAGE") and len(args) == 1 and isinstance(args[0], AreaRef):
            return self.range_total(args[0], n.name == "AVERAGE")
        if spec.aggregate:
            readers = []
            for a in args:
                if isinstance(a, AreaRef):
                    readers.append(self.area_cells(a))
                else:
                    f = self.number(a)
                    readers.append(lambda r, c, f=f: [f(r, c)])

            def aggregate(r, c):
                values = []
                for read in readers:
                    values.extend(read(r, c))
                try:
                    z = form(values)
                except _DOMAIN_ERRORS:
                    raise Fallback from None
                return _checked(z)
            return aggregate
        if spec.elementwise:
            fs = [self.number(a) for a in args]
            if len(fs) == 1:
                f0 = fs[0]

                def unary(r, c):
                    x = f0(r, c)
                    try:
                        z = form(x)
                    except _DOMAIN_ERRORS:
                        raise Fallback from None
                    return _checked(z)
                return unary

            def elementwise(r, c):
                xs = [f(r, c) for f in fs]
                try:
                    z = form(*xs)
                except _DOMAIN_ERRORS:
                    raise Fallback from None
                return _checked(z)
            return elementwise
        raise NotCompilable


_ARITHMETIC = frozenset("+-*/^")
_ARITHMETIC_OPS = {"+": operator.add, "-": operator.sub, "*": operator.mul}
_running_sum = np.add.accumulate        # np.cumsum, without its Python wrapper
_NUM_BYTE = bytes([NUM])


def _numeric(n) -> bool:
    """Whether a compiled sub-formula can only give a float (or raise Fallback)."""
    t = type(n)
    if t is Paren:
        return _numeric(n.expr)
    # signs, percentages and arithmetic check their operands themselves
    return t is Number or t is CellRef or t is Unary or t is Percent or (t is Binary and n.op in _ARITHMETIC)


def _checked(z):
    """A scalar form's result as the fast path may keep it: a finite float or
    a bool; anything else (text, an error, an exception) needs the general
    evaluator."""
    if z.__class__ is float and z - z == 0.0:      # finite
        return z
    if z is True or z is False:
        return z
    if z.__class__ is int and -2 ** 1023 < z < 2 ** 1023:
        return float(z)
    raise Fallback
