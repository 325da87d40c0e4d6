"""A1 / R1C1 address arithmetic.

Rows and columns are 0-based integers everywhere inside sheetnet; only the
text forms ("B3", "R3C2", "'my sheet'!A1:B2") are 1-based, as Excel shows them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_ROWS = 1_048_576
MAX_COLS = 16_384

_CELL_RE = re.compile(r"^(\$?)([A-Za-z]{1,3})(\$?)([0-9]{1,7})$")
_R1C1_RE = re.compile(r"^R(\[-?\d+\]|\d+)?C(\[-?\d+\]|\d+)?$", re.IGNORECASE)
# "Any character from U+00A1 to U+FFFF", the non-ASCII characters Excel allows
# in names, written as the complement of what it leaves out and without case
# folding.  re builds a 64K-entry bitmap for a positive range that wide: about
# 10 ms per character class, ~0.15 s of every command's start over the
# parser's classes.  This form compiles in under a millisecond and matches the
# same characters (tests/test_parser.py checks every code point).
_BMP_NON_ASCII = r"(?-i:[^\x00-\xa0\U00010000-\U0010ffff])"


def name_chars(ascii_chars: str) -> str:
    """A regex matching one character of the class `ascii_chars` (class syntax
    without the brackets) or any character from U+00A1 to U+FFFF."""
    return rf"(?:[{ascii_chars}]|{_BMP_NON_ASCII})"


# A sheet name needs quotes unless it is a plain identifier that cannot be
# mistaken for a cell reference.
_PLAIN_SHEET_RE = re.compile("^" + name_chars(r"A-Za-z_") + name_chars(r"A-Za-z0-9_.") + "*$")


def col_letters(col: int) -> str:
    """0 -> "A", 25 -> "Z", 26 -> "AA"."""
    if not 0 <= col < MAX_COLS:
        raise ValueError(f"column index {col} outside 0..{MAX_COLS - 1}")
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def col_index(letters: str) -> int:
    """"A" -> 0, "XFD" -> 16383 (case-insensitive)."""
    col = 0
    for ch in letters.upper():
        if not "A" <= ch <= "Z":
            raise ValueError(f"not a column name: {letters!r}")
        col = col * 26 + (ord(ch) - 64)
    if not 1 <= col <= MAX_COLS:
        raise ValueError(f"column {letters!r} is beyond XFD")
    return col - 1


@dataclass(frozen=True, slots=True)
class CellAddress:
    """One cell, with the $ flags it was written with."""

    row: int
    col: int
    row_abs: bool = False
    col_abs: bool = False

    @property
    def a1(self) -> str:
        return cell_name(self.row, self.col, self.row_abs, self.col_abs)


@dataclass(frozen=True, slots=True)
class Area:
    """An inclusive rectangle of cells: rows r0..r1, columns c0..c1."""

    r0: int
    c0: int
    r1: int
    c1: int

    @property
    def height(self) -> int:
        return self.r1 - self.r0 + 1

    @property
    def width(self) -> int:
        return self.c1 - self.c0 + 1

    @property
    def size(self) -> int:
        return self.height * self.width

    @property
    def a1(self) -> str:
        first = cell_name(self.r0, self.c0)
        return first if self.size == 1 else f"{first}:{cell_name(self.r1, self.c1)}"

    @property
    def absolute(self) -> str:
        """"$H$2:$V$16" ("$V$41" for one cell)."""
        first = cell_name(self.r0, self.c0, True, True)
        return first if self.size == 1 else f"{first}:{cell_name(self.r1, self.c1, True, True)}"

    def contains(self, row: int, col: int) -> bool:
        return self.r0 <= row <= self.r1 and self.c0 <= col <= self.c1

    def cells(self):
        """Row-major (row, col) pairs, the order Excel fills an area in."""
        for r in range(self.r0, self.r1 + 1):
            for c in range(self.c0, self.c1 + 1):
                yield r, c

    def offset(self, rows: int = 0, cols: int = 0) -> "Area":
        """The same shape moved down `rows` and right `cols`."""
        return Area(self.r0 + rows, self.c0 + cols, self.r1 + rows, self.c1 + cols)

    def cell(self, i: int = 0, j: int = 0) -> "Area":
        """The one-cell area at row i, column j of this one (0-based, from its top-left)."""
        return Area(self.r0 + i, self.c0 + j, self.r0 + i, self.c0 + j)


def area(r0: int, c0: int, r1: int | None = None, c1: int | None = None) -> Area:
    """The area from (r0, c0) to (r1, c1), 0-based and inclusive; one cell without r1, c1."""
    return Area(r0, c0, r0 if r1 is None else r1, c0 if c1 is None else c1)


def span(r0: int, c0: int, r1: int, c1: int, absolute: bool = False) -> str:
    """Range text that always names both corners: "B3:B7", "$B$3:$B$3"."""
    return f"{cell_name(r0, c0, absolute, absolute)}:{cell_name(r1, c1, absolute, absolute)}"


def absolute_ref(a: Area, sheet: str | None = None) -> str:
    """"$H$2:$V$16", or qualified with its sheet: "dotprod!$H$2:$V$16", "'my sheet'!$A$1"."""
    return qualified(sheet, a.absolute)


def cell_name(row: int, col: int, row_abs: bool = False, col_abs: bool = False) -> str:
    """(2, 1) -> "B3"; with flags -> "$B$3"."""
    if not 0 <= row < MAX_ROWS:
        raise ValueError(f"row index {row} outside 0..{MAX_ROWS - 1}")
    return f"{'$' if col_abs else ''}{col_letters(col)}{'$' if row_abs else ''}{row + 1}"


def parse_cell(text: str) -> CellAddress:
    """"$B$3" -> CellAddress(2, 1, True, True)."""
    m = _CELL_RE.match(text.strip())
    if not m:
        raise ValueError(f"not a cell reference: {text!r}")
    row = int(m.group(4)) - 1
    if not 0 <= row < MAX_ROWS:
        raise ValueError(f"row of {text!r} is outside 1..{MAX_ROWS}")
    return CellAddress(row, col_index(m.group(2)), bool(m.group(3)), bool(m.group(1)))


def is_cell_name(text: str) -> bool:
    """True when text is a valid A1 cell reference (bounds included)."""
    try:
        parse_cell(text)
    except ValueError:
        return False
    return True


def parse_area(text: str) -> Area:
    """"B3", "B3:D5" or "$D$5:B3" (corners in any order) -> Area."""
    first, _, second = text.strip().partition(":")
    a = parse_cell(first)
    b = parse_cell(second) if second else a
    return Area(min(a.row, b.row), min(a.col, b.col), max(a.row, b.row), max(a.col, b.col))


def split_sheet(text: str) -> tuple[str | None, str]:
    """"'my sheet'!A1:B2" -> ("my sheet", "A1:B2"); "A1" -> (None, "A1")."""
    text = text.strip()
    if text.startswith("'"):
        end = 1
        while True:
            end = text.index("'", end)
            if end + 1 < len(text) and text[end + 1] == "'":
                end += 2
                continue
            break
        sheet = text[1:end].replace("''", "'")
        rest = text[end + 1:]
        if not rest.startswith("!"):
            raise ValueError(f"expected '!' after the sheet name in {text!r}")
        return sheet, rest[1:]
    if "!" in text:
        sheet, _, rest = text.rpartition("!")
        return sheet, rest
    return None, text


def quote_sheet(name: str) -> str:
    """Quote a sheet name for use in a formula when Excel would."""
    if _PLAIN_SHEET_RE.match(name) and not is_cell_name(name) and not _R1C1_RE.match(name) \
            and name.upper() not in ("TRUE", "FALSE"):
        return name
    return "'" + name.replace("'", "''") + "'"


def qualified(sheet: str | None, ref: str) -> str:
    return ref if sheet is None else f"{quote_sheet(sheet)}!{ref}"


# --- R1C1 -----------------------------------------------------------------

def r1c1_part(axis: str, value: int, absolute: bool) -> str:
    """One half of an R1C1 address: absolute -> "R3", relative -> "R[-1]" / "R"."""
    if absolute:
        return f"{axis}{value + 1}"
    return axis if value == 0 else f"{axis}[{value}]"


def to_r1c1(row: int, col: int, row_abs: bool, col_abs: bool, anchor: tuple[int, int]) -> str:
    """A cell seen from `anchor` (row, col): absolute parts as 1-based numbers,
    relative parts as offsets. to_r1c1(2, 1, False, True, (4, 4)) -> "R[-2]C2"."""
    r = row if row_abs else row - anchor[0]
    c = col if col_abs else col - anchor[1]
    return r1c1_part("R", r, row_abs) + r1c1_part("C", c, col_abs)


def from_r1c1(text: str, anchor: tuple[int, int]) -> CellAddress:
    """Inverse of to_r1c1: "R[-2]C2" seen from (4, 4) -> CellAddress(2, 1, False, True)."""
    m = _R1C1_RE.match(text.strip())
    if not m:
        raise ValueError(f"not an R1C1 reference: {text!r}")

    def part(token: str | None, base: int) -> tuple[int, bool]:
        if token is None:
            return base, False
        if token.startswith("["):
            return base + int(token[1:-1]), False
        return int(token) - 1, True

    row, row_abs = part(m.group(1), anchor[0])
    col, col_abs = part(m.group(2), anchor[1])
    if not (0 <= row < MAX_ROWS and 0 <= col < MAX_COLS):
        raise ValueError(f"{text!r} seen from {cell_name(*anchor)} is outside the sheet")
    return CellAddress(row, col, row_abs, col_abs)
