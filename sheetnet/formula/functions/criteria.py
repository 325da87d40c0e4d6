"""Criteria as SUMIF, COUNTIF, AVERAGEIF, their *IFS forms and the D*
database functions read them: a number, a boolean, an error, or text such as
">=5", "<>x", "a*" (wildcards * ? with ~ escaping), "" (empty cells).

Excel's rules, as its cached values show them (STATISTICAL/COUNTIF.xlsx,
COUNTIFS.xlsx and MATH_AND_TRIGONOMETRY/SUMIFS.xlsx decide):

* a criterion that is a number (typed, or text such as "=23" or "23") matches
  numbers equal to it *and* text that reads as that number ("23"); "<>23"
  excludes only the numbers (the text "23" is "not equal"); "<", ">" ...
  compare numbers only;
* a criterion read from an **empty cell** is the number 0 (it does not match
  empty cells);
* TRUE/FALSE (a boolean, or the text "true", any case) matches booleans only;
* an error value, or text naming one ("#N/A"), matches errors of that kind
  only (not the text "#N/A");
* "" matches empty cells and cells holding the empty text; "=" matches
  empty cells only; "<>" matches every cell that is not empty (an empty
  text from a formula counts as not empty);
* text after an operator that reads as a date or time (">=2024-07-01",
  "<6:00") compares as its serial (in the workbook's date system);
* other text matches text, case-insensitively, with wildcards; "<>" matches
  everything else (numbers and empty cells included); "<", ">" ... order
  text case-insensitively and never match numbers;
* "<", ">", "<=", ">=" with nothing after them match nothing;
* an empty cell meets only the "<>" forms and "" / "=".

Whole columns and rows count every cell, the empty ones beyond the used
grid included (COUNTIF(A:A, "<>x") is about a million); a reference too big
to read whole (batch.FULL_SIZE_CELLS) is read as its part inside the grid:
`unseen_cells` says how many cells that leaves out, `Criterion.blank`
whether they meet a criterion.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ...dates import DATE_1900, DateSystem
from ...datetext import parse_date_time
from ...errors import ERR_BASE, ERROR_CODES, ExcelError, error_from_code
from ...store import BLANK, BOOL, NUM, STR
from ..batch import RefVal
from ..values import Arr, parse_number_text
from .workbook_dates import system_of

_CRITERION = re.compile(r"^(<=|>=|<>|<|>|=)?(.*)$", re.S)
_ORDER = {"<": np.less, ">": np.greater, "<=": np.less_equal, ">=": np.greater_equal}


def wildcard(pattern: str) -> re.Pattern:
    """Excel wildcards: * any run, ? one character, ~ escapes the next."""
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "~" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "*" else "." if ch == "?" else re.escape(ch))
        i += 1
    return re.compile("".join(out), re.S | re.IGNORECASE)


def _on_text(kind: np.ndarray, text: np.ndarray, predicate: Callable[[str], bool]) -> np.ndarray:
    """predicate over the text cells (False elsewhere), evaluated once per
    distinct string: big ranges repeat a few labels."""
    hit = np.zeros(kind.shape, bool)
    sel = kind == STR
    if not sel.any():
        return hit
    strings = text[sel]
    uniq, inverse = np.unique(strings.astype(str), return_inverse=True)
    hit[sel] = np.fromiter((predicate(s) for s in uniq), bool, len(uniq))[inverse.reshape(-1)]
    return hit


@dataclass(frozen=True)
class Criterion:
    """One compiled criterion: `test(kind, num, text)` says which cells of a
    range meet it; `blank` whether an empty cell does."""

    test: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
    blank: bool


def _number_criterion(op: str, x: float) -> Criterion:
    if op == "=":
        def test(kind, num, text):
            numeric_text = _on_text(kind, text, lambda s: parse_number_text(s) == x)
            return ((kind == NUM) & (num == x)) | numeric_text
        return Criterion(test, False)
    if op == "<>":
        return Criterion(lambda kind, num, text: ~((kind == NUM) & (num == x)), True)
    cmp = _ORDER[op]
    return Criterion(lambda kind, num, text: (kind == NUM) & cmp(num, x), False)


def _boolean_criterion(op: str, b: bool) -> Criterion:
    if op == "=":
        return Criterion(lambda kind, num, text: (kind == BOOL) & ((num != 0) == b), False)
    if op == "<>":
        return Criterion(lambda kind, num, text: ~((kind == BOOL) & ((num != 0) == b)), True)
    cmp = _ORDER[op]
    return Criterion(lambda kind, num, text: (kind == BOOL) & cmp(num, float(b)), False)


def _error_criterion(op: str, code: int) -> Criterion:
    if op == "<>":
        return Criterion(lambda kind, num, text: kind != code, True)
    if op == "=":
        return Criterion(lambda kind, num, text: kind == code, False)
    return Criterion(lambda kind, num, text: np.zeros(kind.shape, bool), False)


def _text_criterion(op: str, operand: str, bare: bool, database: bool) -> Criterion:
    if operand == "":
        if op == "<>":
            return Criterion(lambda kind, num, text: kind != BLANK, False)
        if bare:                                   # "": empty cells and empty text
            return Criterion(lambda kind, num, text: (kind == BLANK) | _on_text(kind, text, lambda s: s == ""),
                             True)
        if op == "=":                              # "=": empty cells only
            return Criterion(lambda kind, num, text: kind == BLANK, True)
        return Criterion(lambda kind, num, text: np.zeros(kind.shape, bool), False)   # "<" ...: nothing
    if bare and database:
        # the D functions (as Excel's advanced filter) read a bare text as "begins with"
        operand += "*"
    if op in ("=", "<>"):
        if any(ch in operand for ch in "*?~"):
            rx = wildcard(operand)
            match = lambda s: rx.fullmatch(s) is not None       # noqa: E731
        else:
            key = operand.casefold()
            match = lambda s: s.casefold() == key                # noqa: E731
        if op == "=":
            return Criterion(lambda kind, num, text: _on_text(kind, text, match), False)
        return Criterion(lambda kind, num, text: ~_on_text(kind, text, match), True)
    key = operand.casefold()
    order = {"<": lambda s: s.casefold() < key, ">": lambda s: s.casefold() > key,
             "<=": lambda s: s.casefold() <= key, ">=": lambda s: s.casefold() >= key}[op]
    return Criterion(lambda kind, num, text: _on_text(kind, text, order), False)


_compiled: dict = {}


def parse_criterion(value, database: bool = False, system: DateSystem = DATE_1900) -> Criterion:
    """Compile one criterion value: a float, a bool, a str, an ExcelError,
    or None (an empty cell, which Excel reads as the number 0).  Text after
    an operator that reads as a date or time (">=2024-07-01") compares as its
    serial in the workbook's date `system`.  `database`: the D functions'
    reading (a bare text matches the text that begins with it)."""
    key = (type(value).__name__, value if not isinstance(value, ExcelError) else value.code, database, system)
    c = _compiled.get(key)
    if c is None:
        c = _compile(value, database, system)
        if len(_compiled) > 4096:
            _compiled.clear()
        _compiled[key] = c
    return c


def _compile(value, database: bool, system: DateSystem) -> Criterion:
    if value is None:
        return _number_criterion("=", 0.0)
    if isinstance(value, ExcelError):
        return _error_criterion("=", value.code)
    if isinstance(value, bool):
        return _boolean_criterion("=", value)
    if isinstance(value, (int, float)):
        return _number_criterion("=", float(value))
    op, operand, bare = split_criterion(value)
    x = criterion_number(operand, system)
    if x is not None:
        return _number_criterion(op, x)
    if operand.upper() in ("TRUE", "FALSE"):
        return _boolean_criterion(op, operand.upper() == "TRUE")
    if operand.upper() in ERROR_CODES:
        return _error_criterion(op, ERROR_CODES[operand.upper()])
    return _text_criterion(op, operand, bare, database)


def split_criterion(text: str) -> tuple[str, str, bool]:
    """(operator, operand, bare): ">=5" is (">=", "5", False), "abc" is ("=", "abc", True)."""
    m = _CRITERION.match(text)
    return m.group(1) or "=", m.group(2), m.group(1) is None


def criterion_number(operand: str, system: DateSystem) -> float | None:
    """The number a criterion's text (after its operator) stands for: a
    number, or a date or time as its serial; None for other text."""
    x = parse_number_text(operand)
    if x is None and operand == operand.strip():
        dated = parse_date_time(operand, system)
        x = None if dated is None else dated[0]
    return x


def criterion_values(a: Arr) -> np.ndarray:
    """Criterion values per element as Python objects: float, str, bool,
    ExcelError, or None for an empty cell."""
    k, x, s = a.kinds(), a.num, a.strings()
    out = np.empty(k.shape, dtype=object)
    for idx in np.ndindex(k.shape):
        kk = int(k[idx])
        out[idx] = (float(x[idx]) if kk == NUM else s[idx] if kk == STR else bool(x[idx]) if kk == BOOL
                    else None if kk == BLANK else error_from_code(kk))
    return out


# --- ranges ------------------------------------------------------------------------------------

def unseen_cells(ref: RefVal, read: Arr) -> int:
    """Cells of a reference that its values do not hold: a whole column of
    more than batch.FULL_SIZE_CELLS cells (A:Z) is read as the part inside
    the used grid; the rest is empty, and COUNTIF(A:Z, "") still counts it."""
    return ref.h * ref.w - read.hw[0] * read.hw[1]


def same_size_ranges(refs: list) -> list | None:
    """The criteria ranges of one call, or None when one is not a reference
    or their sizes differ (#VALUE!)."""
    if not all(isinstance(r, RefVal) for r in refs):
        return None
    if len({(r.h, r.w) for r in refs}) != 1:
        return None
    return refs


def resized(ref: RefVal, h: int, w: int) -> RefVal:
    """The same top-left corner, h x w cells (SUMIF's sum range takes the
    criteria range's size)."""
    return RefVal(ref.sheet, ref.r, ref.c, h, w, ref.dynamic)


def _common_size(values: list[Arr]) -> list[Arr]:
    """Ranges read at different sizes (whole columns of big sheets, read as
    their parts inside the grid) padded with empty cells to one size."""
    h = max(v.hw[0] for v in values)
    w = max(v.hw[1] for v in values)
    out = []
    for v in values:
        if v.hw == (h, w):
            out.append(v)
            continue
        batch = v.shape[:-2]
        num, kind = np.zeros(batch + (h, w)), np.zeros(batch + (h, w), np.uint8)
        num[..., :v.hw[0], :v.hw[1]] = v.num
        kind[..., :v.hw[0], :v.hw[1]] = v.kinds()
        obj = None
        if v.obj is not None:
            obj = np.empty(batch + (h, w), object)
            obj[..., :v.hw[0], :v.hw[1]] = v.obj
        out.append(Arr(num, kind, obj))
    return out


class Hit:
    """The cells of a range that meet a call's criteria: a mask over the
    range, or their flat positions in reading order (from the index)."""

    __slots__ = ("mask", "rows")

    def __init__(self, mask: np.ndarray | None = None, rows: np.ndarray | None = None):
        self.mask, self.rows = mask, rows

    @property
    def count(self) -> int:
        return int(self.rows.size) if self.rows is not None else int(np.count_nonzero(self.mask))

    def take(self, a: np.ndarray) -> np.ndarray:
        """a's cells (shape (h, w) like the range) that meet the criteria, in reading order."""
        return a.ravel()[self.rows] if self.rows is not None else a[self.mask]


# a batch of at least this many results over batch-invariant ranges reads
# them through criteria_index.RangeIndex (tests set it to compare the paths)
INDEX_MIN_RESULTS = 32


class Matches:
    """Which cells meet every (range, criterion) pair of one *IFS call, for
    each element of the result.

    Build it with `Matches.of(ctx, ranges, criteria)` (None: the ranges'
    sizes differ or one is not a reference, #VALUE!).  The result has shape
    `shape` = batch + (h, w), where (h, w) is the criteria's own array shape
    (1 x 1 unless a criterion is an array, as in COUNTIF(A:A, {"a","b"})).
    `each()` yields (result index, batch index, `Hit`, whether the unseen
    empty cells of whole columns meet every criterion); `unseen` is their
    number.  Masks are cached per distinct criterion, so a block of cells
    that repeats a few criteria reads each range once per criterion; a big
    block over ranges that are the same for all its cells goes through an
    index (criteria_index.py): a look-up per cell instead of a scan.
    """

    def __init__(self, ctx, ranges: list[RefVal], values: list[Arr], crits: list[np.ndarray]):
        self.ctx = ctx
        self.ranges = ranges
        self.values = values
        self.crits = crits
        nd = ctx.nd - 2
        hws = [c.shape[-2:] for c in crits]
        self.hw = (max(h for h, _ in hws), max(w for _, w in hws))
        batch = np.broadcast_shapes(*(v.shape[:nd] for v in values), *(c.shape[:nd] for c in crits))
        self.shape = batch + self.hw
        self.unseen = unseen_cells(ranges[0], values[0])
        self.system = system_of(ctx)
        self._cache: dict = {}
        self.index = None
        invariant = all(all(d == 1 for d in v.shape[:nd]) for v in values)
        if invariant and int(np.prod(self.shape)) >= INDEX_MIN_RESULTS:
            from .criteria_index import RangeIndex
            flat = [(v.kinds().reshape(v.shape[nd:]), v.num.reshape(v.shape[nd:]),
                     None if v.obj is None else v.obj.reshape(v.shape[nd:])) for v in values]
            places = [(r.sheet.name if hasattr(r.sheet, "name") else id(r.sheet), _plain(r.r), _plain(r.c))
                      for r in ranges]
            same_as = [places.index(p) for p in places]
            self.index = RangeIndex(flat, same_as, self.system)

    @classmethod
    def of(cls, ctx, ranges: list, criteria: list[Arr]) -> "Matches | None":
        ranges = same_size_ranges(ranges)
        if ranges is None:
            return None
        values = _common_size([ctx.deref(r) for r in ranges])
        crits = [criterion_values(c) for c in criteria]
        if any(not _stretches(c.shape[-2:], [x.shape[-2:] for x in crits]) for c in crits):
            crits = [_pad_na(c, crits) for c in crits]
        return cls(ctx, ranges, values, crits)

    def each(self):
        nd = len(self.shape) - 2
        # each criterion's value per result element, in the order ndindex visits them
        per_element = [np.broadcast_to(c, self.shape).ravel().tolist() for c in self.crits]
        for n, idx in enumerate(np.ndindex(self.shape)):
            b = idx[:nd]
            chosen = [values[n] for values in per_element]
            if self.index is not None:
                rows = self.index.select(chosen)
                if rows is not None:
                    yield idx, b, Hit(rows=rows), False       # plain criteria never meet empty cells
                    continue
            mask, blank = None, True
            for k, (val, c) in enumerate(zip(self.values, chosen)):
                m, cb = self._mask(k, val, b, c)
                mask = m if mask is None else (mask & m)
                blank = blank and cb
            yield idx, b, Hit(mask=mask), blank

    def _mask(self, k: int, val: Arr, b: tuple, c) -> tuple[np.ndarray, bool]:
        nd = len(b)
        pos = tuple(i if val.shape[d] > 1 else 0 for d, i in enumerate(b))
        key = (k, pos, type(c).__name__, c if not isinstance(c, ExcelError) else c.code)
        hit = self._cache.get(key)
        if hit is None:
            crit = parse_criterion(c, system=self.system)
            kind = val.kinds()[pos] if val.kind is not None else np.full(val.shape[nd:], NUM, np.uint8)
            text = val.obj[pos] if val.obj is not None else np.empty(val.shape[nd:], object)
            hit = (crit.test(kind, val.num[pos], text), crit.blank)
            self._cache[key] = hit
        return hit


def _plain(x):
    return int(x) if np.ndim(x) == 0 else int(np.asarray(x).ravel()[0])


def _stretches(hw, hws) -> bool:
    return all(x in (1, max(h[d] for h in hws)) for d, x in enumerate(hw))


def _pad_na(crit: np.ndarray, crits: list[np.ndarray]) -> np.ndarray:
    """Criteria arrays of different sizes: cells beyond the smaller are #N/A."""
    h = max(c.shape[-2] for c in crits)
    w = max(c.shape[-1] for c in crits)
    ch, cw = crit.shape[-2:]
    th, tw = (h if ch != 1 else 1), (w if cw != 1 else 1)
    out = np.full(crit.shape[:-2] + (th, tw), ExcelError("#N/A"), dtype=object)
    out[..., :ch, :cw] = crit
    return out


def conditional_numbers(ctx, target, ranges: list, criteria: list[Arr]):
    """SUMIFS-style reading: the numbers of `target` (a reference the size of
    the criteria ranges) where every criterion holds, for each result element.

    Returns None when a range is not a reference or the sizes differ
    (#VALUE!); else (shape, items) with items yielding (result index,
    matched numbers in reading order, the first error among the matched
    target cells or 0).  Text, booleans and empty cells of the target are
    skipped, as SUMIFS, AVERAGEIFS, MAXIFS and MINIFS skip them."""
    refs = same_size_ranges([target] + list(ranges))
    if refs is None:
        return None
    matches = Matches.of(ctx, refs[1:], criteria)
    if matches is None:
        return None
    tgt = ctx.deref(refs[0])
    tkind = tgt.kinds()
    flat: dict = {}

    answered: dict = {}

    def items():
        for idx, b, hit, _ in matches.each():
            pos = tuple(i if tgt.shape[d] > 1 else 0 for d, i in enumerate(b))
            # the index hands out one rows array per distinct criteria: read the target once for it
            key = (pos, id(hit.rows)) if hit.rows is not None else None
            if key is not None and key in answered:
                yield (idx,) + answered[key][1:]
                continue
            if pos not in flat:                 # the target read once per distinct rectangle
                flat[pos] = (np.ascontiguousarray(tkind[pos]), np.ascontiguousarray(tgt.num[pos]))
            kind, num = (hit.take(a) for a in flat[pos])
            bad = kind >= ERR_BASE
            item = (idx, num[kind == NUM], int(kind[bad][0]) if bad.any() else 0)
            if key is not None:
                answered[key] = (hit.rows,) + item[1:]      # keeps rows alive: its id stays unique
            yield item

    return matches.shape, items()
