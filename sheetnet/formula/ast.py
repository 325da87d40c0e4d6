"""The formula syntax tree.

References are stored *position-independently*: a relative row or column is
an offset from the cell that holds the formula (the anchor), an absolute one is
a 0-based index.  That is R1C1 notation in tree form, so the 1,030 cells of
``=OFFSET($B$3,$L3,M$2)`` filled over a block all parse to one equal, hashable
tree — the key by which the evaluator groups cells into vectorised blocks.

Literal numbers are never negative: ``-1`` is ``Unary('-', Number(1.0))``.
Parentheses the author wrote are kept as ``Paren`` nodes so that text
round-trips; ``render`` never has to invent any.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class Node:
    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Number(Node):
    value: float


@dataclass(frozen=True, slots=True)
class Text(Node):
    value: str


@dataclass(frozen=True, slots=True)
class Bool(Node):
    value: bool


@dataclass(frozen=True, slots=True)
class ErrorLit(Node):
    """An error literal such as #N/A; with `sheet`, a dangling ``Sheet!#REF!``."""

    code: str
    sheet: str | None = None


@dataclass(frozen=True, slots=True)
class Missing(Node):
    """An omitted argument, as in IF(A1,,2)."""


@dataclass(frozen=True, slots=True)
class CellRef(Node):
    sheet: str | None
    row: int            # offset from the anchor row unless row_abs
    col: int            # offset from the anchor column unless col_abs
    row_abs: bool
    col_abs: bool


@dataclass(frozen=True, slots=True)
class AreaRef(Node):
    """A rectangle of cells.  Whole columns (A:C) have rows None; whole rows
    (3:5) have columns None.  Each corner part is an offset unless its _abs."""

    sheet: str | None
    r1: int | None
    c1: int | None
    r2: int | None
    c2: int | None
    r1_abs: bool
    c1_abs: bool
    r2_abs: bool
    c2_abs: bool


@dataclass(frozen=True, slots=True)
class Name(Node):
    """A defined name; `sheet` when written sheet-qualified (Sheet1!rate)."""

    name: str
    sheet: str | None = None


@dataclass(frozen=True, slots=True)
class StructRef(Node):
    """A structured reference into an Excel Table: ``Table1[[#This Row],[Price]]``.

    `table` is None for the short form written inside a table (``[@Price]``),
    which means the table holding the formula.  `items` are the special item
    specifiers in canonical spelling (see TABLE_ITEMS); none means ``#Data``.
    `col1`/`col2` are the (unescaped) column names of a column or a column
    range; col1 None means every column."""

    table: str | None
    items: tuple[str, ...] = ()
    col1: str | None = None
    col2: str | None = None

    @property
    def this_row(self) -> bool:
        return "#This Row" in self.items


# The special items of a structured reference, as Excel spells them in files.
TABLE_ITEMS = ("#All", "#Data", "#Headers", "#Totals", "#This Row")


@dataclass(frozen=True, slots=True)
class Ref3D(Node):
    """A 3-D reference ``Sheet1:Sheet3!A1:B2``: the same cells on every sheet
    from `first` to `last` in workbook order (`ref` carries no sheet)."""

    first: str
    last: str
    ref: Node


@dataclass(frozen=True, slots=True)
class External(Node):
    """A reference into another workbook, as Excel stores it: ``[1]Sheet1!A1``
    (`book` is the external-link index as written) or ``[1]!Name``."""

    book: str
    ref: Node


@dataclass(frozen=True, slots=True)
class Call(Node):
    """A function call.  `name` is upper-case without Excel's future-function
    prefix; `prefix` keeps it ("_xlfn." ...) so the text round-trips."""

    name: str
    args: tuple[Node, ...]
    prefix: str = ""


@dataclass(frozen=True, slots=True)
class Apply(Node):
    """Calling the value of an expression: ``LAMBDA(x,x+1)(5)``."""

    callee: Node
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Unary(Node):
    op: str             # "-" or "+"
    operand: Node


@dataclass(frozen=True, slots=True)
class Percent(Node):
    operand: Node


@dataclass(frozen=True, slots=True)
class Binary(Node):
    """An operator between two operands.  Chains such as A1+A2+...+A2000 are
    deep on the left (operators associate to the left); hashing and
    comparing walk that spine in a loop, not by recursion, so Excel's
    longest formulas never reach Python's recursion limit."""

    op: str             # + - * / ^ & = <> < > <= >= : (range) " " (intersection) , (union)
    left: Node
    right: Node
    _hash: int | None = field(default=None, init=False, repr=False, compare=False)

    def __hash__(self) -> int:
        if self._hash is not None:
            return self._hash
        spine = [self]
        while type(spine[-1].left) is Binary and spine[-1].left._hash is None:
            spine.append(spine[-1].left)
        for node in reversed(spine):
            object.__setattr__(node, "_hash", hash(("Binary", node.op, hash(node.left), hash(node.right))))
        return self._hash

    def __eq__(self, other) -> bool:
        if type(other) is not Binary:
            return NotImplemented
        a, b = self, other
        while True:
            if a is b:
                return True
            if a.op != b.op or (a._hash is not None and b._hash is not None and a._hash != b._hash) \
                    or a.right != b.right:
                return False
            if type(a.left) is not Binary or type(b.left) is not Binary:
                return a.left == b.left
            a, b = a.left, b.left


@dataclass(frozen=True, slots=True)
class Paren(Node):
    expr: Node


@dataclass(frozen=True, slots=True)
class ArrayLit(Node):
    """An array constant {1,2;3,4}: rows of literal nodes."""

    rows: tuple[tuple[Node, ...], ...]


# Binding powers (higher binds tighter), Excel's order: reference operators,
# negation, percent, exponent, * /, + -, &, comparisons.
COMPARISONS = ("=", "<>", "<", ">", "<=", ">=")
BINARY_POWER = {
    ":": 90, " ": 85, ",": 80,
    "^": 50,
    "*": 40, "/": 40,
    "+": 30, "-": 30,
    "&": 20,
    **{op: 10 for op in COMPARISONS},
}
PERCENT_POWER = 60
UNARY_POWER = 70
SINGLE_POWER = 85           # @ takes a range (A1:A9) but not an intersection
SPILL_POWER = 95            # A1# binds tighter than any operator


def walk(node: Node):
    """Every node of the tree, parents before children."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        if isinstance(n, Call):
            stack.extend(reversed(n.args))
        elif isinstance(n, Apply):
            stack.extend(reversed(n.args))
            stack.append(n.callee)
        elif isinstance(n, (Ref3D, External)):
            stack.append(n.ref)
        elif isinstance(n, Binary):
            stack.append(n.right)
            stack.append(n.left)
        elif isinstance(n, (Unary, Percent)):
            stack.append(n.operand)
        elif isinstance(n, Paren):
            stack.append(n.expr)
        elif isinstance(n, ArrayLit):
            for row in reversed(n.rows):
                stack.extend(reversed(row))

