"""Workbooks a teacher can print and hand out: the finishing every lesson workbook gets.

`sheetnet build` calls :func:`make_readable` on every lesson's book after the
engine has calculated it, so each rule is decided by the values the sheet
shows, for every lesson alike:

* **number formats** -- each vertical run of numbers in a column without a
  format of its own gets one from its values: whole numbers as such, otherwise
  about five significant digits at the run's largest magnitude, scientific
  where the run spans more than four decades or sits below 0.01;
* **column widths** -- wide enough for every number as formatted (so nothing
  shows ``###``, whatever the font) and for short labels, never narrower than
  the builder asked;
* **wrapped headers** -- a header (a filled, bold text cell) longer than its
  column wraps, and its row grows to show every line;
* **page setup** -- landscape, fit to one page wide, the frozen header rows and
  columns (or the first header row) repeated on every page;
* **a "Start here" sheet** first, from the lesson's :class:`Guide`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from ..book import Book, Sheet
from ..refs import Area, col_letters
from ..store import NUM, STR
from ..style import NOTE, PageSetup, Style, TITLE

DEFAULT_WIDTH = 8.43                  # Excel's default column width (characters of '0')
MAX_TEXT_WIDTH = 25                   # a label that cannot spill and is wider than this wraps instead
HEADER_MIN_WIDTH = 9
LINE_HEIGHT = 15.0                    # points per line of 11-point Calibri


@dataclass(frozen=True)
class Guide:
    """What the "Start here" sheet says: one line per item."""

    teaches: tuple[str, ...]          # what the workbook teaches
    edit: tuple[str, ...]             # which cells to edit (sheet and cells, what they are)
    watch: tuple[str, ...]            # what to watch change
    run: tuple[str, ...]              # how to run Solver, the macros, or what recalculates by itself


# --- number formats ---------------------------------------------------------------------------

def number_format(values: np.ndarray) -> str:
    """A format for a run of numbers: whole numbers as they are, otherwise ~5 significant digits
    at the largest magnitude, scientific over more than four decades or below 0.01."""
    v = values[np.isfinite(values)]
    if v.size == 0:
        return "General"
    big = float(np.max(np.abs(v)))
    if np.all(v == np.round(v)) and big < 1e15:
        return "#,##0" if big >= 10_000 else "0"
    nonzero = np.abs(v[v != 0])
    small = float(np.min(nonzero)) if nonzero.size else big
    if big < 0.01 or big >= 1e7 or (small > 0 and big / small > 1e4 and small < 0.01):
        return "0.00E+00"
    if big >= 1000:
        return "#,##0.0"
    if big >= 100:
        return "0.00"
    if big >= 1:
        return "0.0000"
    return "0.00000"


def display_width(x: float, fmt: str) -> int:
    """Characters `x` takes in format `fmt` (the few formats this module and the builders use)."""
    if not math.isfinite(x):
        return 7
    if fmt in ("General", None):
        text = f"{x:.10g}"
        return min(len(text), 11)
    if "E" in fmt:
        digits = len(fmt.split(".")[1].split("E")[0]) if "." in fmt else 0
        return len(f"{x:.{digits}E}")                # 1.23E-04, as Excel writes it
    decimals = len(fmt.split(".")[1].rstrip("%")) if "." in fmt else 0
    text = f"{x:,.{decimals}f}" if "," in fmt else f"{x:.{decimals}f}"
    return len(text) + (1 if fmt.endswith("%") else 0)


def _style_grid(sheet: Sheet, shape) -> np.ndarray:
    grid = np.empty(shape, dtype=object)
    for area, style in sheet.styles:
        grid[area.r0:area.r1 + 1, area.c0:area.c1 + 1] = style
    return grid


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of each run of True in a 1-D mask."""
    padded = np.r_[False, mask, False].astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


def _widest(vals: np.ndarray, fmt: str) -> int:
    """The widest of `vals` in `fmt`: the largest magnitude, and the most negative."""
    v = vals[np.isfinite(vals)]
    if v.size == 0:
        return 7 if vals.size else 0
    return max(display_width(float(v[np.argmax(np.abs(v))]), fmt), display_width(float(v.min()), fmt))


def _families(sheet: Sheet, styles: np.ndarray, is_num: np.ndarray) -> np.ndarray:
    """Which cells share one format: a formula filled over a block is one family; constants of one
    style (the ratings, the x values) are one; unstyled constants go by vertical run."""
    R, C = is_num.shape
    fam = np.zeros((R, C), dtype=np.int64)                 # 0: not a number
    if sheet.groups:
        owner = sheet._owner_grid()[:R, :C]
        fam[owner > 0] = owner[owner > 0]
    next_id = len(sheet.groups) + 1
    style_ids: dict[int, int] = {}
    for r, c in np.argwhere(is_num & (fam == 0)).tolist():
        st = styles[r, c]
        if st is not None:
            key = id(st)
            if key not in style_ids:
                style_ids[key] = next_id
                next_id += 1
            fam[r, c] = style_ids[key]
    for c in np.flatnonzero((is_num & (fam == 0)).any(axis=0)).tolist():
        for r0, r1 in _runs(is_num[:, c] & (fam[:, c] == 0)):
            fam[r0:r1, c] = next_id
            next_id += 1
    fam[~is_num] = 0
    return fam


def _decimals(v: np.ndarray) -> int | None:
    """The decimals (up to 3) that show every value exactly (ratings 3.5 -> 1), or None."""
    for d in range(4):
        if np.all(np.abs(v * 10 ** d - np.round(v * 10 ** d)) < 1e-9 * np.maximum(1, np.abs(v * 10 ** d))):
            return d
    return None


def format_numbers(sheet: Sheet) -> dict[int, int]:
    """Give every unformatted family of numbers one format; returns column -> widest number."""
    v = sheet.values
    styles = _style_grid(sheet, v.shape)
    is_num = v.kind == NUM
    own = np.empty(v.shape, dtype=object)
    for area, style in sheet.styles:
        own[area.r0:area.r1 + 1, area.c0:area.c1 + 1] = style.number_format
    free = is_num & np.equal(own, None)
    fam = _families(sheet, styles, is_num)
    fmt_grid = np.empty(v.shape, dtype=object)
    fmt_grid[is_num] = own[is_num]
    for f in np.unique(fam[free]).tolist():
        cells = free & (fam == f)
        vals = v.num[cells]
        fmt = number_format(vals)
        d = _decimals(vals[np.isfinite(vals)]) if fmt not in ("0", "#,##0", "0.00E+00") else None
        if d is not None and d < len(fmt.split(".")[-1]) and np.all(np.abs(vals[np.isfinite(vals)]) < 1e7):
            fmt = "0" if d == 0 else "0." + "0" * d
        fmt_grid[cells] = fmt
    widths: dict[int, int] = {}
    for c in np.flatnonzero(is_num.any(axis=0)).tolist():
        col_fmt, col_val = fmt_grid[:, c], v.num[:, c]
        for f in set(col_fmt[is_num[:, c]].tolist()):
            widths[c] = max(widths.get(c, 0), _widest(col_val[is_num[:, c] & (col_fmt == f)], f or "General"))
        # paint the free cells: one area per vertical stretch of one format and one existing style
        col_free = free[:, c]
        for r0, r1 in _runs(col_free):
            i = r0
            while i < r1:
                j = i
                while j + 1 < r1 and col_fmt[j + 1] == col_fmt[i] and styles[j + 1, c] is styles[i, c]:
                    j += 1
                if col_fmt[i] != "General":
                    sheet.style(Area(i, c, j, c), replace(styles[i, c] or Style(), number_format=col_fmt[i]))
                i = j + 1
    return widths


# --- widths, wrapping, printing ---------------------------------------------------------------

def _is_header(style) -> bool:
    return style is not None and style.fill is not None and style.bold


def fit_columns(sheet: Sheet, number_widths: dict[int, int]) -> None:
    """Widths from the numbers and the labels; long headers wrap and their rows grow."""
    v = sheet.values
    R, C = v.shape
    styles = _style_grid(sheet, (R, C))
    occupied = (v.kind != 0)
    for g in sheet.groups:
        rr, cc = g.footprint()
        occupied[rr, cc] = True
    want: dict[int, float] = {c: w + 2.0 for c, w in number_widths.items()}
    texts = np.argwhere(v.kind == STR)
    headers = []
    for r, c in texts.tolist():
        text = str(v.obj[r, c])
        style = styles[r, c]
        if _is_header(style):
            headers.append((r, c, text))
            want[c] = max(want.get(c, 0.0), min(len(text) + 2.0, float(HEADER_MIN_WIDTH + 3)))
            continue
        neighbour = c + 1 < C and occupied[r, c + 1]
        if neighbour:                     # it cannot spill to the right: the column holds a short label
            want[c] = max(want.get(c, 0.0), min(len(text) * (1.1 if style and style.bold else 1.0) + 1.0,
                                                 float(MAX_TEXT_WIDTH)))
    for c, w in want.items():
        w = round(max(w, sheet.col_widths.get(c, 0.0)), 2)
        if w > DEFAULT_WIDTH or c in sheet.col_widths:
            sheet.col_widths[c] = w
    for r, c, text in headers:
        width = sheet.col_widths.get(c, DEFAULT_WIDTH)
        if len(text) + 1 > width:
            sheet.style(Area(r, c, r, c), replace(styles[r, c], wrap=True))
            lines = _lines(text, width)
            sheet.row_heights[r] = max(sheet.row_heights.get(r, LINE_HEIGHT), LINE_HEIGHT * lines)
    # labels that cannot spill and are longer than MAX_TEXT_WIDTH wrap too
    for r, c in texts.tolist():
        text = str(v.obj[r, c])
        if _is_header(styles[r, c]) or not (c + 1 < C and occupied[r, c + 1]):
            continue
        width = sheet.col_widths.get(c, DEFAULT_WIDTH)
        if len(text) + 1 > width:
            sheet.style(Area(r, c, r, c), replace(styles[r, c] or Style(), wrap=True))
            sheet.row_heights[r] = max(sheet.row_heights.get(r, LINE_HEIGHT), LINE_HEIGHT * _lines(text, width))


def _lines(text: str, width: float) -> int:
    """Lines a text needs when wrapped at `width` characters (whole words)."""
    per_line = max(int(width) - 1, 4)
    lines, used = 1, 0
    for word in text.split():
        n = len(word)
        if used and used + 1 + n > per_line:
            lines, used = lines + 1, n
        else:
            used += n + (1 if used else 0)
        while used > per_line:
            lines, used = lines + 1, used - per_line
    return lines


def print_titles(book: Book, sheet: Sheet) -> None:
    """Landscape, one page wide, the header rows/columns on every page (_xlnm.Print_Titles)."""
    sheet.page = PageSetup(landscape=True, fit_width=1, fit_height=0)
    rows = cols = 0
    if sheet.freeze:
        rows, cols = sheet.freeze
    else:
        styles = _style_grid(sheet, sheet.values.shape)
        for r in range(min(6, sheet.values.shape[0])):
            if any(_is_header(s) for s in styles[r]):
                rows = r + 1
                break
    q = "'" + sheet.name.replace("'", "''") + "'"
    parts = []
    if cols:
        parts.append(f"{q}!$A:${col_letters(cols - 1)}")
    if rows:
        parts.append(f"{q}!$1:${rows}")
    if parts:
        book.define_name("_xlnm.Print_Titles", ",".join(parts), scope=sheet.name)


# --- the "Start here" sheet ---------------------------------------------------------------------

START = "Start here"
_SECTIONS = (("What it teaches", "teaches"), ("Cells to edit", "edit"), ("What to watch", "watch"),
             ("Solver, macros, recalculation", "run"))


def start_sheet(book: Book, title: str, guide: Guide) -> Sheet:
    """The first sheet: the lesson in a few lines, then one line per sheet of the book."""
    s = book.add_sheet(START)
    book.sheets.insert(0, book.sheets.pop())
    s["A1"] = title
    s.style("A1", replace(TITLE, wrap=False))
    row = 2
    for heading, key in _SECTIONS:
        row += 1
        s[f"A{row}"] = heading
        s.style(f"A{row}", Style(bold=True, color="1F3864"))
        for line in getattr(guide, key):
            row += 1
            s[f"A{row}"] = "\u2022 " + line
            s.style(f"A{row}", Style(wrap=True))
            s.row_heights[row - 1] = LINE_HEIGHT * _lines("\u2022 " + line, 105)   # ~105 letters fit in 90 '0's
    row += 2
    s[f"A{row}"] = "The sheets"
    s.style(f"A{row}", Style(bold=True, color="1F3864"))
    for other in book.sheets[1:]:
        row += 1
        title = other.value("A1")                 # a sheet's title, where its A1 holds one (not a label)
        described = isinstance(title, str) and len(title) > 20
        s[f"A{row}"] = "\u2022 " + other.name + (": " + title if described else "")
    row += 2
    s[f"A{row}"] = ("Colours: yellow cells are parameters to edit, green cells are data, orange cells are "
                    "results; every other number is a live formula.")
    s.style(f"A{row}", NOTE)
    s.col_widths[0] = 90.0
    s.page = PageSetup(landscape=False, fit_width=1, fit_height=0)
    return s


def make_readable(book: Book, title: str | None = None, guide: Guide | None = None) -> None:
    """Formats, widths, wrapped headers and page setup on every sheet, then the "Start here" sheet
    (when the lesson has a guide).  The book must be calculated (its values decide the formats)."""
    for sheet in book.sheets:
        widths = format_numbers(sheet)
        fit_columns(sheet, widths)
        print_titles(book, sheet)
    if guide is not None and book.find_sheet(START) is None:
        start_sheet(book, title or "Start here", guide)
