"""Formula text -> syntax tree: a tokenizer and a Pratt parser.

``parse("=OFFSET($B$3,$L3,M$2)", anchor=(2, 12))`` gives a tree whose relative
references are offsets from the anchor cell (see ast.py).  Errors raise
FormulaSyntaxError with the position of the problem.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..errors import FormulaSyntaxError
from ..limits import MAX_FORMULA_CHARS, MAX_NESTING, deep_recursion
from ..refs import MAX_COLS, MAX_ROWS, col_index, name_chars
from .ast import (BINARY_POWER, PERCENT_POWER, SINGLE_POWER, SPILL_POWER, TABLE_ITEMS, UNARY_POWER,
                  Apply, AreaRef, ArrayLit, Binary, Bool, Call, CellRef, ErrorLit, External, Missing,
                  Name, Node, Number, Paren, Percent, Ref3D, StructRef, Text, Unary)

_SHEET_NAME = name_chars(r"A-Za-z_") + name_chars(r"\w.") + "*"
_SHEET = rf"(?:'(?P<qsheet>(?:[^']|'')+)'|(?P<sheet>{_SHEET_NAME})(?::(?P<sheet2>{_SHEET_NAME}))?)!"
_NAME_FIRST = name_chars(r"A-Za-z_\\")          # a defined name's first character
_NAME_REST = name_chars(r"\w.?\\")              # and the rest
_END = "(?!" + name_chars(r"\w.(!\[") + ")"   # a reference must not run on into a name, a call or a table
_NAME_END = "(?!" + name_chars(r"\w.(") + ")"
_CELL = r"\$?[A-Za-z]{1,3}\$?\d{1,7}"

_TOKEN_RE = re.compile(
    r"(?P<ws>\s+)"
    r"|(?P<string>\"(?:[^\"]|\"\")*\")"
    r"|(?P<error>#(?:NULL!|DIV/0!|VALUE!|REF!|NAME\?|NUM!|N/A|GETTING_DATA|SPILL!|CALC!))"
    rf"|(?P<ref>(?:{_SHEET})?(?:"
    rf"(?P<area>{_CELL}:{_CELL}){_END}"
    rf"|(?P<cell>{_CELL}){_END}"
    rf"|(?P<cols>\$?[A-Za-z]{{1,3}}:\$?[A-Za-z]{{1,3}}){_END}"
    rf"|(?P<rows>\$?\d{{1,7}}:\$?\d{{1,7}}){_END}"
    r"|(?P<referr>#REF!)"
    rf"|(?P<qname>{_NAME_FIRST}{_NAME_REST}*){_NAME_END}"
    r"))"
    r"|(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<func>(?:_xlfn\.|_xlws\.|_xlpm\.|_xludf\.)*[A-Za-z_\\][\w.]*)\("
    rf"|(?P<name>{_NAME_FIRST}{_NAME_REST}*)"
    r"|(?P<op><>|<=|>=|[-+*/^&=<>%:,;(){}@#])",
    re.IGNORECASE,
)
# Excel's markers in stored formula text: _xlfn. (functions newer than the
# file format), _xlws. (worksheet-only), _xludf. (user-defined, e.g. VBA)
_PREFIX_RE = re.compile(r"((?:_xlfn\.|_xlws\.|_xlpm\.|_xludf\.)*)(.*)", re.IGNORECASE | re.S)
_CELL_PARTS = re.compile(r"(\$?)([A-Za-z]{1,3})(\$?)(\d{1,7})")

_EXTERNAL_RE = re.compile(r"\[(\d+)\](?=" + name_chars(r"A-Za-z_!\\") + ")")       # [1]Sheet1!A1, [1]!Name: a linked workbook
_EXTERNAL_NAME_RE = re.compile(rf"!({_NAME_FIRST}{_NAME_REST}*)")
_QUOTED_EXTERNAL_RE = re.compile(r"\[(\d+)\](.*)", re.S)   # '[1]My sheet'!A1
_TABLE_ITEMS = {item.casefold(): item for item in TABLE_ITEMS}

# Token kinds after tokenizing.
NUM, STR, BOOL, ERR, REF, NAME, FUNC, OP, WS, EOF = range(10)
_OPERAND_END = {REF, NAME}          # tokens after which a space may mean intersection
_OPERAND_START = {REF, NAME, FUNC}


class _Token:
    __slots__ = ("kind", "value", "pos")

    def __init__(self, kind: int, value, pos: int):
        self.kind, self.value, self.pos = kind, value, pos

    def is_op(self, *ops: str) -> bool:
        return self.kind == OP and self.value in ops


def _axis(dollar: str, index: int, anchor: int) -> tuple[int, bool]:
    """A reference part as stored in the tree: absolute index or offset."""
    return (index, True) if dollar else (index - anchor, False)


def _cell_parts(text: str, anchor: tuple[int, int]):
    m = _CELL_PARTS.fullmatch(text)
    row_index = int(m.group(4)) - 1
    col = col_index(m.group(2))       # raises ValueError past XFD
    if not 0 <= row_index < MAX_ROWS:
        raise ValueError(text)
    row, row_abs = _axis(m.group(3), row_index, anchor[0])
    col, col_abs = _axis(m.group(1), col, anchor[1])
    return row, col, row_abs, col_abs


def _reference(m: re.Match, anchor: tuple[int, int]) -> Node | None:
    """The node for a matched reference token, or None when the text only
    looks like a reference (e.g. a column past XFD): then it is a name."""
    sheet = m.group("qsheet")
    last = m.group("sheet2")
    book = None
    if sheet is not None:
        sheet = sheet.replace("''", "'")
        ext = _QUOTED_EXTERNAL_RE.fullmatch(sheet)
        if ext:
            book, sheet = ext.group(1), ext.group(2)
        if ":" in sheet:          # sheet names cannot hold ':', so 'Jan:Mar'!A1 is 3-D
            sheet, last = sheet.split(":", 1)
    else:
        sheet = m.group("sheet")
    node = _plain_reference(m, sheet if last is None else None, anchor)
    if node is None or last is None or not isinstance(node, (CellRef, AreaRef)):
        if node is not None and last is not None:
            return None
    else:
        node = Ref3D(sheet, last, node)
    if node is not None and book is not None:
        node = External(book, node)
    return node


def _plain_reference(m: re.Match, sheet: str | None, anchor: tuple[int, int]) -> Node | None:
    try:
        if m.group("cell"):
            return CellRef(sheet, *_cell_parts(m.group("cell"), anchor))
        if m.group("area"):
            a, b = m.group("area").split(":")
            r1, c1, r1a, c1a = _cell_parts(a, anchor)
            r2, c2, r2a, c2a = _cell_parts(b, anchor)
            return AreaRef(sheet, r1, c1, r2, c2, r1a, c1a, r2a, c2a)
        if m.group("cols"):
            a, b = m.group("cols").split(":")
            c1, c1a = _axis("$" if a.startswith("$") else "", col_index(a.lstrip("$")), anchor[1])
            c2, c2a = _axis("$" if b.startswith("$") else "", col_index(b.lstrip("$")), anchor[1])
            return AreaRef(sheet, None, c1, None, c2, False, c1a, False, c2a)
        if m.group("rows"):
            a, b = m.group("rows").split(":")
            ra, rb = int(a.lstrip("$")) - 1, int(b.lstrip("$")) - 1
            if not (0 <= ra < MAX_ROWS and 0 <= rb < MAX_ROWS):
                raise ValueError(a)
            r1, r1a = _axis("$" if a.startswith("$") else "", ra, anchor[0])
            r2, r2a = _axis("$" if b.startswith("$") else "", rb, anchor[0])
            return AreaRef(sheet, r1, None, r2, None, r1a, False, r2a, False)
    except ValueError:
        return None
    if m.group("referr"):
        return ErrorLit("#REF!", sheet)
    return Name(m.group("qname"), sheet)


_DIGITS = re.compile(r"\d+")


def _note_rows(m: re.Match, node, rows: list) -> None:
    """Record where the row numbers of a reference token are in the text
    (start, end, absolute): the digits of its cell, area or row-range part."""
    if node is None or isinstance(node, Name) or isinstance(node, ErrorLit):
        return
    for group in ("cell", "area", "rows"):
        if m.group(group):
            base = m.start(group)
            for d in _DIGITS.finditer(m.group(group)):
                rows.append((base + d.start(), base + d.end(), d.start() > 0 and m.group(group)[d.start() - 1] == "$"))
            return


def tokenize(text: str, anchor: tuple[int, int] = (0, 0), rows: list | None = None) -> list[_Token]:
    """Tokens of formula text.  `rows`, when given, receives (start, end,
    absolute) for the row number of every cell, area and row reference."""
    tokens: list[_Token] = []
    pos, end = 0, len(text)
    book = None                # "[1]" just read: the next reference is into that workbook
    while pos < end:
        if text[pos] == "[":
            ext = _EXTERNAL_RE.match(text, pos)
            if ext and book is None:
                book, pos = ext.group(1), ext.end()
                if text.startswith("!", pos):          # [1]!Name: a name of the linked workbook
                    m = _EXTERNAL_NAME_RE.match(text, pos)
                    if m is None:
                        raise FormulaSyntaxError(f"expected a name at position {pos + 2} in ={text}")
                    tokens.append(_Token(REF, External(book, Name(m.group(1))), pos))
                    book, pos = None, m.end()
                continue
            node, after = _structured(text, pos, None)
            tokens.append(_Token(REF, node, pos))
            pos = after
            continue
        m = _TOKEN_RE.match(text, pos)
        if m is None:
            shown = text if len(text) <= 200 else text[:200] + "..."
            raise FormulaSyntaxError(f"unexpected {text[pos]!r} at position {pos + 1} in ={shown}")
        kind = m.lastgroup
        value = m.group(kind)
        after = m.end()
        if book is not None and kind not in ("ref", "qsheet", "sheet", "sheet2", "area", "cell", "cols", "rows",
                                             "referr", "qname"):
            raise FormulaSyntaxError(f"expected a reference after [{book}] at position {pos + 1} in ={text}")
        if kind == "ws":
            tokens.append(_Token(WS, value, pos))
        elif kind == "string":
            tokens.append(_Token(STR, value[1:-1].replace('""', '"'), pos))
        elif kind == "error":
            tokens.append(_Token(ERR, value.upper(), pos))
        elif kind in ("ref", "qsheet", "sheet", "sheet2", "area", "cell", "cols", "rows", "referr", "qname"):
            node = _reference(m, anchor)
            if rows is not None:
                _note_rows(m, node, rows)
            if book is not None:
                if node is None or (isinstance(node, Name) and node.sheet is None):
                    raise FormulaSyntaxError(f"expected a sheet reference after [{book}] at position {pos + 1} "
                                             f"in ={text}")
                node = node if isinstance(node, External) else External(book, node)
                book = None
                tokens.append(_Token(REF, node, pos))
            elif node is None or (isinstance(node, Name) and node.sheet is None):
                # not a reference after all: a table, a plain name or a boolean
                word = m.group(0)
                if text.startswith("[", after) and isinstance(node, Name):
                    node, after = _structured(text, after, word)
                    tokens.append(_Token(REF, node, pos))
                elif word.upper() in ("TRUE", "FALSE"):
                    tokens.append(_Token(BOOL, word.upper() == "TRUE", pos))
                else:
                    tokens.append(_Token(NAME, Name(word), pos))
            else:
                tokens.append(_Token(REF, node, pos))
        elif kind == "number":
            tokens.append(_Token(NUM, float(value), pos))
        elif kind == "func":
            tokens.append(_Token(FUNC, value, pos))
        elif kind == "name":
            if text.startswith("[", after):
                node, after = _structured(text, after, value)
                tokens.append(_Token(REF, node, pos))
            elif value.upper() in ("TRUE", "FALSE"):
                tokens.append(_Token(BOOL, value.upper() == "TRUE", pos))
            else:
                tokens.append(_Token(NAME, Name(value), pos))
        elif value == "#" and not (tokens and (tokens[-1].kind == REF or tokens[-1].is_op(")"))):
            raise FormulaSyntaxError(f"unexpected '#' at position {pos + 1} in ={text}")
        else:
            tokens.append(_Token(OP, value, pos))
        pos = after
    if book is not None:
        raise FormulaSyntaxError(f"formula ends after [{book}] in ={text}")
    tokens.append(_Token(EOF, None, end))
    return _resolve_spaces(tokens)


def _structured(text: str, pos: int, table: str | None) -> tuple[StructRef, int]:
    """The structured reference whose brackets open at text[pos]: Table1[Col],
    [@Col], Table1[[#Headers],[A]:[C]] ...  Returns the node and the position
    after its closing bracket."""

    def fail(what: str, at: int):
        raise FormulaSyntaxError(f"{what} at position {at + 1} in ={text}")

    def name_until_bracket(i: int) -> tuple[str, int, bool]:
        """A column name or item up to its unescaped ']' (an apostrophe escapes
        the next character: '[ '] '# ''), and whether it is a special item
        (an unescaped '#' first)."""
        special = text.startswith("#", i)
        out = []
        while i < len(text):
            ch = text[i]
            if ch == "'":
                if i + 1 >= len(text):
                    break
                out.append(text[i + 1])
                i += 2
                continue
            if ch == "]":
                return "".join(out), i + 1, special
            if ch == "[":
                fail("unexpected '[' in a table column name", i)
            out.append(ch)
            i += 1
        fail("unclosed '[' in a table reference", pos)

    items: list[str] = []
    columns: list[str] = []

    def add(word: str, at: int, special: bool):
        if special:
            item = _TABLE_ITEMS.get(word.casefold())
            if item is None:
                fail(f"unknown table item {word!r}", at)
            if columns:
                fail("table items must come before the columns", at)
            items.append(item)
        else:
            columns.append(word)

    def bracket_list(i: int) -> int:
        """[x],[y]:[z] ... up to the outer ']'; returns the position after it."""
        range_open = False
        while True:
            if text.startswith("[", i):
                word, i, special = name_until_bracket(i + 1)
                add(word, i, special)
                if range_open and len(columns) != 2:
                    fail("a column range joins two columns", i)
                range_open = False
            else:
                fail("expected '[' in a table reference", i)
            while text.startswith(" ", i):
                i += 1
            if text.startswith(",", i):
                i += 1
                while text.startswith(" ", i):
                    i += 1
                continue
            if text.startswith(":", i):
                if len(columns) != 1:
                    fail("a column range starts with one column", i)
                range_open = True
                i += 1
                continue
            if text.startswith("]", i):
                return i + 1
            fail("expected ',', ':' or ']' in a table reference", i)

    i = pos + 1
    if text.startswith("]", i):                   # Table1[]: the data
        end = i + 1
    elif text.startswith("@", i):                 # [@Col], [@[Col]], [@[A]:[C]], [@]
        items.append("#This Row")
        i += 1
        if text.startswith("]", i):
            end = i + 1
        elif text.startswith("[", i):
            end = bracket_list(i)
        else:
            word, end, _ = name_until_bracket(i)
            add(word, i, False)
    elif text.startswith("[", i):
        end = bracket_list(i)
    else:
        word, end, special = name_until_bracket(i)
        add(word, i, special)
    if len(columns) > 2 or len(items) > 2:
        fail("too many parts in a table reference", pos)
    if len(columns) == 2 and not text[pos:end].count(":"):
        fail("two columns must be joined by ':'", pos)
    if not columns and not items and table is None:
        fail("empty table reference", pos)
    col1 = columns[0] if columns else None
    col2 = columns[1] if len(columns) == 2 else None
    return StructRef(table, tuple(items), col1, col2), end


def _resolve_spaces(tokens: list[_Token]) -> list[_Token]:
    """Whitespace is insignificant except between two reference operands,
    where Excel reads it as the intersection operator (A1:C3 B2:D4)."""
    out: list[_Token] = []
    for i, tok in enumerate(tokens):
        if tok.kind != WS:
            out.append(tok)
            continue
        prev = out[-1] if out else None
        nxt = tokens[i + 1]
        prev_ok = prev is not None and (prev.kind in _OPERAND_END or prev.is_op(")"))
        next_ok = nxt.kind in _OPERAND_START or nxt.is_op("(")
        if prev_ok and next_ok:
            out.append(_Token(OP, " ", tok.pos))
    return out


def _check_length(text: str) -> None:
    if len(text) > MAX_FORMULA_CHARS:
        raise FormulaSyntaxError(f"the formula is {len(text):,} characters long; Excel allows at most "
                                 f"{MAX_FORMULA_CHARS:,}")


def _check_nesting(tokens: list[_Token]) -> None:
    """Excel's nesting limit, checked before parsing so that the parser's
    recursion stays shallow: at most 64 levels of nested functions (and as
    many of parentheses)."""
    calls = parens = 0
    open_calls: list[bool] = []          # for each open '(': whether it opened a function call
    for tok in tokens:
        if tok.kind == FUNC or tok.is_op("("):
            is_call = tok.kind == FUNC
            open_calls.append(is_call)
            calls += is_call
            parens += not is_call
            if calls > MAX_NESTING or parens > MAX_NESTING:
                what = "functions" if calls > MAX_NESTING else "parentheses"
                raise FormulaSyntaxError(f"more than {MAX_NESTING} levels of nested {what} at position "
                                         f"{tok.pos + 1}; Excel allows at most {MAX_NESTING}")
        elif tok.is_op(")") and open_calls:
            if open_calls.pop():
                calls -= 1
            else:
                parens -= 1


class _Parser:
    def __init__(self, text: str, anchor: tuple[int, int], rows: list | None = None):
        self.text = text
        _check_length(text)
        self.tokens = tokenize(text, anchor, rows)
        if text.count("(") > MAX_NESTING:     # else it cannot nest that deep
            _check_nesting(self.tokens)
        self.i = 0

    def peek(self) -> _Token:
        return self.tokens[self.i]

    def take(self) -> _Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def fail(self, tok: _Token, what: str):
        where = f"at position {tok.pos + 1}" if tok.kind != EOF else "at the end"
        shown = self.text if len(self.text) <= 200 else self.text[:200] + "..."
        raise FormulaSyntaxError(f"{what} {where} in ={shown}")

    def expect(self, op: str):
        tok = self.take()
        if not tok.is_op(op):
            self.fail(tok, f"expected {op!r}")

    def parse(self) -> Node:
        if self.peek().kind == EOF:
            self.fail(self.peek(), "empty formula")
        node = self.expr(0, union=True)
        if self.peek().kind != EOF:
            self.fail(self.peek(), f"unexpected {self.peek().value!r}")
        return node

    def expr(self, min_power: int, union: bool = False) -> Node:
        left = self.prefix()
        while True:
            tok = self.peek()
            if tok.kind != OP:
                break
            if tok.value == "%":
                if PERCENT_POWER <= min_power:
                    break
                self.take()
                left = Percent(left)
                continue
            if tok.value == "#":             # A1#: the spill range anchored at A1
                self.take()
                left = Call("ANCHORARRAY", (left,), "_xlfn.")
                continue
            if tok.value == "(" and isinstance(left, (Call, Apply, Paren)):
                self.take()                  # LAMBDA(x,x+1)(5): call the value on the left
                left = Apply(left, self.arguments())
                continue
            power = BINARY_POWER.get(tok.value)
            if power is None or power <= min_power or (tok.value == "," and not union):
                break
            self.take()
            left = Binary(tok.value, left, self.expr(power, union))
        return left

    def prefix(self) -> Node:
        tok = self.take()
        kind = tok.kind
        if kind == NUM:
            return Number(tok.value)
        if kind == STR:
            return Text(tok.value)
        if kind == BOOL:
            return Bool(tok.value)
        if kind == ERR:
            return ErrorLit(tok.value)
        if kind in (REF, NAME):
            return tok.value
        if kind == FUNC:
            return self.call(tok.value)
        if tok.is_op("-", "+"):
            signs = [tok.value]              # a run of signs (--A1) is read in a loop, not by recursion
            while self.peek().is_op("-", "+"):
                signs.append(self.take().value)
            node = self.expr(UNARY_POWER)
            for sign in reversed(signs):
                node = Unary(sign, node)
            return node
        if tok.is_op("@"):                   # implicit intersection, stored as _xlfn.SINGLE
            return Call("SINGLE", (self.expr(SINGLE_POWER),), "_xlfn.")
        if tok.is_op("("):
            inner = self.expr(0, union=True)
            self.expect(")")
            return Paren(inner)
        if tok.is_op("{"):
            return self.array()
        self.fail(tok, "expected a value" if kind != EOF else "formula ends early")

    def call(self, word: str) -> Call:
        m = _PREFIX_RE.match(word)
        prefix, word = m.group(1), m.group(2)
        return Call(word.upper(), self.arguments(word.upper()), prefix)

    def arguments(self, what: str = "") -> tuple[Node, ...]:
        """Arguments after an opening '(', through the closing ')'."""
        args: list[Node] = []
        if self.peek().is_op(")"):
            self.take()
            return ()
        while True:
            if self.peek().is_op(",", ")"):
                args.append(Missing())
            else:
                args.append(self.expr(0))
            tok = self.take()
            if tok.is_op(")"):
                return tuple(args)
            if not tok.is_op(","):
                self.fail(tok, f"expected ',' or ')' in {what}(")

    def array(self) -> ArrayLit:
        rows: list[tuple[Node, ...]] = []
        row: list[Node] = []
        while True:
            row.append(self.array_item())
            tok = self.take()
            if tok.is_op(","):
                continue
            rows.append(tuple(row))
            row = []
            if tok.is_op(";"):
                continue
            if tok.is_op("}"):
                break
            self.fail(tok, "expected ',', ';' or '}' in an array constant")
        if len({len(r) for r in rows}) != 1:
            self.fail(tok, "array constant rows differ in length")
        return ArrayLit(tuple(rows))

    def array_item(self) -> Node:
        tok = self.take()
        if tok.is_op("-", "+") and self.peek().kind == NUM:
            return Unary(tok.value, Number(self.take().value))
        if tok.kind == NUM:
            return Number(tok.value)
        if tok.kind == STR:
            return Text(tok.value)
        if tok.kind == BOOL:
            return Bool(tok.value)
        if tok.kind == ERR:
            return ErrorLit(tok.value)
        self.fail(tok, "array constants hold only numbers, text, TRUE/FALSE and errors")


def reference_rows(text: str) -> list[tuple[int, int, bool]]:
    """Where the row numbers of the references in formula text are: (start,
    end, absolute) spans of the digits, in text order.  Raises
    FormulaSyntaxError when the text does not parse."""
    rows: list = []
    _Parser(text, (0, 0), rows).parse()
    return rows


def parse(text: str, anchor: tuple[int, int] = (0, 0)) -> Node:
    """Parse formula text (with or without the leading '=') written in the
    cell at `anchor` (0-based row, col)."""
    return _parse_cached(text[1:] if text.startswith("=") else text, anchor)


@lru_cache(maxsize=65536)
def _parse_cached(text: str, anchor: tuple[int, int]) -> Node:
    if len(text) <= _SHALLOW:
        return _Parser(text, anchor).parse()
    with deep_recursion():
        return _Parser(text, anchor).parse()


# The parser takes at most ~8 frames per level of nesting (precedence
# climbing, then a call or parenthesis); a formula this short cannot nest
# deep enough to come near Python's default recursion limit.
_SHALLOW = 200



__all__ = ["parse", "tokenize", "MAX_COLS"]
