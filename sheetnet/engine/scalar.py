"""A fast path for recurrences: formulas evaluated one cell at a time.

Cells of a recurrence (each row using the previous one: the optimiser sheets)
cannot be vectorised, and pushing one-element numpy arrays through the
general evaluator costs hundreds of microseconds a cell.  Here a block's
formula is compiled once into nested Python closures over plain floats --
IEEE doubles, one rounding per operation, exactly what numpy computes -- for
the common vocabulary of such sheets (arithmetic, comparisons, IF, SQRT,
EXP, LN, LOG, small SUM/SUMSQ/AVERAGE/COUNT/MAX/MIN ranges, names).

Whenever a cell meets anything else at run time -- a blank, text, an error,
a cell not evaluated yet, a division by zero, an overflow -- the closure
raises ``Fallback`` and the engine evaluates that cell with the general
evaluator, so results are identical either way.
"""

from __future__ import annotations

import math

from ..formula.ast import AreaRef, Binary, Call, CellRef, Name, Number, Paren, Percent, Unary
from ..store import NUM

_READY = 0


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
        orders them above all numbers in comparisons)."""
        f = self.node(n)

        def g(r, c):
            v = f(r, c)
            if v is True or v is False:
                raise Fallback
            return v
        return g

    def cell(self, n: CellRef):
        sheet = self.sheet(n.sheet)
        row, col, row_abs, col_abs = n.row, n.col, n.row_abs, n.col_abs

        def read(r, c):
            rr = row if row_abs else r + row
            cc = col if col_abs else c + col
            vals = sheet.vals
            R, C = vals.num.shape
            if not (0 <= rr < R and 0 <= cc < C) or sheet.state[rr, cc] != _READY or vals.kind[rr, cc] != NUM:
                raise Fallback
            return float(vals.num[rr, cc])
        return read

    def area_cells(self, n: AreaRef):
        """A reader of a small range's numbers in row-major order."""
        if n.r1 is None or n.c1 is None:
            raise NotCompilable
        sheet = self.sheet(n.sheet)
        r1, c1, r2, c2 = n.r1, n.c1, n.r2, n.c2
        r1a, c1a, r2a, c2a = n.r1_abs, n.c1_abs, n.r2_abs, n.c2_abs

        def read(r, c):
            top, bottom = (r1 if r1a else r + r1), (r2 if r2a else r + r2)
            left, right = (c1 if c1a else c + c1), (c2 if c2a else c + c2)
            top, bottom = min(top, bottom), max(top, bottom)
            left, right = min(left, right), max(left, right)
            if (bottom - top + 1) * (right - left + 1) > 256:
                raise Fallback
            vals = sheet.vals
            R, C = vals.num.shape
            if top < 0 or left < 0 or bottom >= R or right >= C:
                raise Fallback
            if sheet.state[top:bottom + 1, left:right + 1].any():
                raise Fallback
            kinds = vals.kind[top:bottom + 1, left:right + 1]
            if (kinds != NUM).any():
                raise Fallback      # blanks/text are skipped by SUM: the general path knows how
            return vals.num[top:bottom + 1, left:right + 1].ravel().tolist()
        return read

    def binary(self, n: Binary):
        op = n.op
        a, b = self.number(n.left), self.number(n.right)
        if op == "+":
            return _finite(lambda r, c: a(r, c) + b(r, c))
        if op == "-":
            return _finite(lambda r, c: a(r, c) - b(r, c))
        if op == "*":
            return _finite(lambda r, c: a(r, c) * b(r, c))
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
                return _finite(lambda r, c: _square(a(r, c)))

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
                        z = math.pow(x, y)
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
        name, args = n.name, n.args
        if name == "IF" and len(args) in (2, 3):
            test = self.node(args[0])
            yes = self.node(args[1])
            no = self.node(args[2]) if len(args) == 3 else (lambda r, c: False)

            def if_(r, c):
                return yes(r, c) if test(r, c) else no(r, c)
            return if_
        one = {"SQRT": (math.sqrt, lambda x: x >= 0), "EXP": (math.exp, None), "LN": (math.log, lambda x: x > 0),
               "LOG10": (math.log10, lambda x: x > 0), "ABS": (abs, None)}
        if name in one and len(args) == 1:
            fn, ok = one[name]
            f = self.number(args[0])

            def unary(r, c):
                x = f(r, c)
                if ok is not None and not ok(x):
                    raise Fallback
                try:
                    z = fn(x)
                except OverflowError:
                    raise Fallback from None
                if not math.isfinite(z):
                    raise Fallback
                return z
            return unary
        if name == "LOG" and len(args) == 1:
            return self.call(Call("LOG10", args))
        if name in ("SUM", "SUMSQ", "AVERAGE", "COUNT", "MAX", "MIN") and args:
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
                if name == "COUNT":
                    return float(len(values))
                if name in ("MAX", "MIN"):
                    return (max if name == "MAX" else min)(values) if values else 0.0
                total = 0.0
                first = True
                for v in values:               # left to right, as the sheet adds
                    term = v * v if name == "SUMSQ" else v
                    total = term if first else total + term
                    first = False
                if name == "AVERAGE":
                    if not values:
                        raise Fallback
                    return total / len(values)
                return total
            return aggregate
        raise NotCompilable


def _square(x: float) -> float:
    return x * x


def _finite(f):
    def g(r, c):
        z = f(r, c)
        if not math.isfinite(z):
            raise Fallback
        return z
    return g
