"""Syntax tree -> formula text, in A1 notation (as seen from an anchor cell)
or R1C1 notation (position-independent, the way Excel groups filled cells).

``render`` never invents parentheses: the parser keeps the ones the author
wrote, and ``parenthesize`` adds exactly those a hand-built tree needs, so
``parse(render(p)) == p`` for every ``p = parenthesize(t)``.
"""

from __future__ import annotations

from ..refs import MAX_COLS, MAX_ROWS, col_letters, quote_sheet, r1c1_part
from .closures import param_key
from .prefixes import file_prefix
from .ast import (BINARY_POWER, PERCENT_POWER, UNARY_POWER, Apply, AreaRef, ArrayLit, Binary, Bool,
                  Call, CellRef, ErrorLit, External, Missing, Name, Node, Number, Paren, Percent, Ref3D,
                  StructRef, Text, Unary)


def number_text(value: float) -> str:
    """Shortest text that reads back as the same double (Excel style: 25000, 0.01, 1E-20)."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(value).upper().replace("E+", "E+")


def _sheet_prefix(sheet: str | None) -> str:
    return "" if sheet is None else quote_sheet(sheet) + "!"


def quote_sheet_span(first: str, last: str) -> str:
    """Sheet1:Sheet3, or 'Jan 1:Mar 3' when either name needs quotes."""
    a, b = quote_sheet(first), quote_sheet(last)
    if a.startswith("'") or b.startswith("'"):
        return "'" + first.replace("'", "''") + ":" + last.replace("'", "''") + "'"
    return a + ":" + b


def _row_a1(value: int | None, absolute: bool, anchor_row: int) -> str | None:
    row = value if absolute else anchor_row + value
    if not 0 <= row < MAX_ROWS:
        return None
    return f"{'$' if absolute else ''}{row + 1}"


def _col_a1(value: int | None, absolute: bool, anchor_col: int) -> str | None:
    col = value if absolute else anchor_col + value
    if not 0 <= col < MAX_COLS:
        return None
    return f"{'$' if absolute else ''}{col_letters(col)}"


class _A1:
    """Renders references as seen from the anchor cell."""

    def __init__(self, anchor: tuple[int, int]):
        self.anchor = anchor

    def cell(self, node: CellRef) -> str:
        row = _row_a1(node.row, node.row_abs, self.anchor[0])
        col = _col_a1(node.col, node.col_abs, self.anchor[1])
        if row is None or col is None:         # shifted off the sheet
            return _sheet_prefix(node.sheet) + "#REF!"
        return _sheet_prefix(node.sheet) + col + row

    def area(self, node: AreaRef) -> str:
        ar, ac = self.anchor
        if node.r1 is None:                    # whole columns
            parts = (_col_a1(node.c1, node.c1_abs, ac), _col_a1(node.c2, node.c2_abs, ac))
        elif node.c1 is None:                  # whole rows
            parts = (_row_a1(node.r1, node.r1_abs, ar), _row_a1(node.r2, node.r2_abs, ar))
        else:
            parts = tuple(
                None if (c is None or r is None) else c + r
                for c, r in ((_col_a1(node.c1, node.c1_abs, ac), _row_a1(node.r1, node.r1_abs, ar)),
                             (_col_a1(node.c2, node.c2_abs, ac), _row_a1(node.r2, node.r2_abs, ar))))
        if None in parts:
            return _sheet_prefix(node.sheet) + "#REF!"
        return _sheet_prefix(node.sheet) + parts[0] + ":" + parts[1]


class _R1C1:
    def cell(self, node: CellRef) -> str:
        return _sheet_prefix(node.sheet) + r1c1_part("R", node.row, node.row_abs) \
            + r1c1_part("C", node.col, node.col_abs)

    def area(self, node: AreaRef) -> str:
        if node.r1 is None:
            text = r1c1_part("C", node.c1, node.c1_abs) + ":" + r1c1_part("C", node.c2, node.c2_abs)
        elif node.c1 is None:
            text = r1c1_part("R", node.r1, node.r1_abs) + ":" + r1c1_part("R", node.r2, node.r2_abs)
        else:
            text = (r1c1_part("R", node.r1, node.r1_abs) + r1c1_part("C", node.c1, node.c1_abs) + ":"
                    + r1c1_part("R", node.r2, node.r2_abs) + r1c1_part("C", node.c2, node.c2_abs))
        return _sheet_prefix(node.sheet) + text


_COLUMN_ESCAPES = str.maketrans({ch: "'" + ch for ch in "[]#'"})
# characters that make Excel write a column name in its own brackets: Table1[[Unit Price]]
_BRACKETED = set(" \t\n\r,:.[]#'\"{}$^&*+=-<>/@")


def _column(name: str) -> str:
    return name.translate(_COLUMN_ESCAPES)


def structured_text(node: StructRef) -> str:
    """Table1[Col], Table1[[#This Row],[Col]], Table1[[#Headers],[A]:[C]] ...
    (the long form Excel stores in files; the UI's @ is #This Row)."""
    parts = [f"[{item}]" for item in node.items]
    if node.col1 is not None:
        cols = f"[{_column(node.col1)}]"
        if node.col2 is not None:
            cols += f":[{_column(node.col2)}]"
        parts.append(cols)
    table = node.table or ""
    if not parts:
        return table + "[]"
    if len(parts) == 1 and node.col2 is None:
        if node.items:
            return f"{table}[{node.items[0]}]"
        if not any(ch in _BRACKETED for ch in node.col1):
            return f"{table}[{_column(node.col1)}]"
    return f"{table}[{','.join(parts)}]"


def _external_text(node: External, refs) -> str:
    inner = _render(node.ref, refs)
    if inner.startswith("'"):             # '[1]My sheet'!A1: the index goes inside the quotes
        return "'[" + node.book + "]" + inner[1:]
    if isinstance(node.ref, Name) and node.ref.sheet is None:
        return "[" + node.book + "]!" + inner
    return "[" + node.book + "]" + inner


class _FileForm:
    """Rendering as Excel stores formulas in a file: newer functions with their
    _xlfn. marker, LET/LAMBDA names as _xlpm.x, a table's own short
    references ([@Col]) with the table's name."""

    def __init__(self, table: str | None):
        self.table = table


def _render(node: Node, refs, form: _FileForm | None = None, bound: frozenset = frozenset()) -> str:
    t = type(node)
    if t is CellRef:
        return refs.cell(node)
    if t is AreaRef:
        return refs.area(node)
    if t is Number:
        return number_text(node.value)
    if t is Text:
        return '"' + node.value.replace('"', '""') + '"'
    if t is Bool:
        return "TRUE" if node.value else "FALSE"
    if t is ErrorLit:
        return _sheet_prefix(node.sheet) + node.code
    if t is Missing:
        return ""
    if t is Name:
        if form is not None and node.sheet is None and param_key(node.name) in bound:
            return _param_text(node.name)
        return _sheet_prefix(node.sheet) + node.name
    if t is Call:
        return _call_text(node, refs, form, bound)
    if t is Unary:
        return node.op + _render(node.operand, refs, form, bound)
    if t is Percent:
        return _render(node.operand, refs, form, bound) + "%"
    if t is Binary:                         # a left-deep chain in a loop: A1+A2+...+A2000
        spine = [node]
        while type(spine[-1].left) is Binary:
            spine.append(spine[-1].left)
        parts = [_render(spine[-1].left, refs, form, bound)]
        for n in reversed(spine):
            parts.append(n.op)
            parts.append(_render(n.right, refs, form, bound))
        return "".join(parts)
    if t is Paren:
        return "(" + _render(node.expr, refs, form, bound) + ")"
    if t is ArrayLit:
        return "{" + ";".join(",".join(_render(x, refs) for x in row) for row in node.rows) + "}"
    if t is StructRef:
        if form is not None and node.table is None and form.table is not None:
            node = StructRef(form.table, node.items, node.col1, node.col2)
        return structured_text(node)
    if t is Apply:
        return _render(node.callee, refs, form, bound) + "(" + ",".join(
            _render(a, refs, form, bound) for a in node.args) + ")"
    if t is Ref3D:
        inner = _render(node.ref, refs, form, bound)
        return quote_sheet_span(node.first, node.last) + "!" + inner
    if t is External:
        return _external_text(node, refs)
    raise TypeError(f"cannot render {node!r}")


def _param_text(name: str) -> str:
    return name if name.casefold().startswith(("_xlpm.", "_xlop.")) else "_xlpm." + name


def _call_text(node: Call, refs, form: _FileForm | None, bound: frozenset) -> str:
    prefix = node.prefix
    args = node.args
    if form is None:
        texts = [_render(a, refs, form, bound) for a in args]
        return prefix + node.name + "(" + ",".join(texts) + ")"
    if node.name.casefold() in bound and not prefix:
        prefix = "_xlpm."                   # calling a LAMBDA held by a LET/LAMBDA name
    elif not prefix.casefold().startswith(("_xlpm.", "_xlop.")):
        prefix = file_prefix(node.name) or ("_xludf." if prefix.casefold() == "_xludf." else "")
    texts = []
    if node.name in ("LET", "LAMBDA") and prefix.startswith("_xlfn."):
        scope = set(bound)
        for i, a in enumerate(args):
            is_name = isinstance(a, Name) and a.sheet is None and i < len(args) - 1
            if is_name and (node.name == "LAMBDA" or i % 2 == 0):
                texts.append(_param_text(a.name))
                if node.name == "LET":
                    scope.add(param_key(a.name))
                continue
            if node.name == "LAMBDA" and i == len(args) - 1:
                scope |= {param_key(p.name) for p in args[:-1] if isinstance(p, Name)}
            texts.append(_render(a, refs, form, frozenset(scope)))
    else:
        texts = [_render(a, refs, form, bound) for a in args]
    return prefix + node.name + "(" + ",".join(texts) + ")"


def render(node: Node, anchor: tuple[int, int] = (0, 0)) -> str:
    """A1 text (without '=') of the tree as written in the cell at `anchor`."""
    return _render(node, _A1(anchor))


def render_for_file(node: Node, anchor: tuple[int, int] = (0, 0), table: str | None = None) -> str:
    """A1 text as Excel stores it in a file (see _FileForm); `table` names the
    table holding the cell, for its short references."""
    return _render(node, _A1(anchor), _FileForm(table))


def render_r1c1(node: Node) -> str:
    """R1C1 text (without '='): the same for every cell of a filled block."""
    return _render(node, _R1C1())


def parenthesize(node: Node, union_ok: bool = True) -> Node:
    """Insert the Paren nodes a hand-built tree needs for its text to parse back
    to the same tree (Excel operators are left-associative; unary minus binds
    tighter than ^; a union must sit inside parentheses unless it is the whole
    formula).  `union_ok` says whether a bare union may stand here."""

    def wrap(child: Node, needed: bool) -> Node:
        return Paren(child) if needed else child

    def power(n: Node) -> int:
        if isinstance(n, Binary):
            return BINARY_POWER[n.op]
        if isinstance(n, Percent):
            return PERCENT_POWER
        return 1000

    t = type(node)
    if t is Binary:
        p = BINARY_POWER[node.op]
        left = parenthesize(node.left, node.op == ",")
        right = parenthesize(node.right, False)
        left = wrap(left, isinstance(left, Binary) and power(left) < p)
        right = wrap(right, isinstance(right, Binary) and power(right) <= p)
        return wrap(Binary(node.op, left, right), node.op == "," and not union_ok)
    if t is Unary:
        operand = parenthesize(node.operand, False)
        needed = isinstance(operand, Percent) or (
            isinstance(operand, Binary) and (power(operand) < UNARY_POWER or operand.op == ","))
        return Unary(node.op, wrap(operand, needed))
    if t is Percent:
        operand = parenthesize(node.operand, False)
        needed = isinstance(operand, Binary) and (power(operand) < PERCENT_POWER or operand.op == ",")
        return Percent(wrap(operand, needed))
    if t is Paren:
        return Paren(parenthesize(node.expr, True))
    if t is Call:
        return Call(node.name, tuple(parenthesize(a, False) for a in node.args), node.prefix)
    if t is Apply:
        callee = parenthesize(node.callee, False)
        if not isinstance(callee, (Call, Apply, Paren)):
            callee = Paren(callee)
        return Apply(callee, tuple(parenthesize(a, False) for a in node.args))
    return node
