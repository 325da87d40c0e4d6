"""An index of criteria ranges for the *IFS functions over big ranges.

COUNTIF($A$2:$A$100001, A2) filled down 100,000 rows compares every cell of
the range for every formula: 10^10 comparisons.  When the criteria ranges are
the same for every cell of a batch (absolute references) and the criteria
are plain -- equality with a number, a boolean, an error or a text without
wildcards, or a numeric bound such as ">="&B2 -- the rows can be grouped
once by their cells' keys, each group's rows sorted by the bounded range's
numbers, and every formula answered by a dictionary look-up and a binary
search.

The keys follow criteria.py's rules exactly (a number matches numbers and
text that reads as it; text matches case-insensitively; booleans and errors
match their own kind); any other criterion (wildcards, "<>", "", text
ordering) makes `select` return None and the caller falls back to masks.
"""

from __future__ import annotations

import numpy as np

from ...errors import ERR_BASE, ERROR_CODES, ExcelError
from ...store import BLANK, BOOL, NUM, STR
from ..values import parse_number_text
from .criteria import criterion_number, split_criterion

ORDER = ("<", ">", "<=", ">=")


_classified: dict = {}


def classify(value, system):
    """("eq", key), ("order", op, x), or None for a criterion the index does
    not answer (memoised: a filled block repeats its criteria)."""
    key = (type(value).__name__, value.code if isinstance(value, ExcelError) else value, system)
    if key not in _classified:
        if len(_classified) > 65536:
            _classified.clear()
        _classified[key] = _classify(value, system)
    return _classified[key]


def _classify(value, system):
    if value is None:                                  # an empty criterion cell: the number 0
        return ("eq", ("n", 0.0))
    if isinstance(value, ExcelError):
        return ("eq", ("e", value.code))
    if isinstance(value, bool):
        return ("eq", ("b", value))
    if isinstance(value, (int, float)):
        return ("eq", ("n", float(value)))
    op, operand, _ = split_criterion(value)
    x = criterion_number(operand, system)
    if x is not None:
        if op == "=":
            return ("eq", ("n", x))
        return ("order", op, x) if op in ORDER else None
    if op != "=" or operand == "" or any(ch in operand for ch in "*?~"):
        return None
    word = operand.upper()
    if word in ("TRUE", "FALSE"):
        return ("eq", ("b", word == "TRUE"))
    if word in ERROR_CODES:
        return ("eq", ("e", ERROR_CODES[word]))
    return ("eq", ("s", operand.casefold()))


def _cell_keys(kind: np.ndarray, num: np.ndarray, text: np.ndarray | None) -> list:
    """Each cell's equality key (None for an empty cell), in reading order."""
    kind, num = kind.ravel(), num.ravel()
    text = text.ravel() if text is not None else None
    keys: list = [None] * kind.size
    for i in np.flatnonzero(kind == NUM).tolist():
        keys[i] = ("n", float(num[i]))
    for i in np.flatnonzero(kind == BOOL).tolist():
        keys[i] = ("b", bool(num[i]))
    for i in np.flatnonzero(kind >= ERR_BASE).tolist():
        keys[i] = ("e", int(kind[i]))
    if text is not None:
        where = np.flatnonzero(kind == STR)
        if where.size:
            uniq, inverse = np.unique(text[where].astype(str), return_inverse=True)   # a few labels, repeated
            parsed = [parse_number_text(u) for u in uniq.tolist()]
            distinct = [("n", x) if x is not None else ("s", u.casefold()) for u, x in zip(uniq.tolist(), parsed)]
            for i, j in zip(where.tolist(), inverse.reshape(-1).tolist()):
                keys[i] = distinct[j]
    return keys


class RangeIndex:
    """The criteria ranges of one *IFS call, read once: `select` answers a
    tuple of criterion values with the flat positions (ascending: reading
    order) of the cells meeting all of them, or None."""

    def __init__(self, values: list, same_as: list[int], system):
        # values: (kind, num, text) per range, each (h, w); same_as[k]: the
        # first range with the same cells as range k (COUNTIFS(B:B, ">1", B:B, "<5"))
        self.values = values
        self.same_as = same_as
        self.system = system
        self._keys: dict[int, list] = {}
        self._groups: dict = {}
        self._answers: dict = {}          # a block repeats a few criteria: answer each once

    def keys(self, k: int) -> list:
        if k not in self._keys:
            kind, num, text = self.values[k]
            self._keys[k] = _cell_keys(kind, num, text)
        return self._keys[k]

    def select(self, crits: list) -> np.ndarray | None:
        key = tuple((type(c).__name__, c.code if isinstance(c, ExcelError) else c) for c in crits)
        if key not in self._answers:
            self._answers[key] = self._select(crits)
        return self._answers[key]

    def _select(self, crits: list) -> np.ndarray | None:
        eq: dict[int, tuple] = {}
        bounds: dict[int, list] = {}
        for k, value in enumerate(crits):
            c = classify(value, self.system)
            if c is None:
                return None
            r = self.same_as[k]
            if c[0] == "eq":
                if eq.get(r, c[1]) != c[1]:
                    return np.zeros(0, np.int64)           # two different values: nothing
                eq[r] = c[1]
            else:
                bounds.setdefault(r, []).append(c[1:])
        if len(bounds) > 1:
            return None
        order = next(iter(bounds), None)
        group = self._group(tuple(sorted(eq)), order).get(tuple(eq[r] for r in sorted(eq)))
        if group is None:
            return np.zeros(0, np.int64)
        rows, sorted_values = group
        if order is None:
            return rows
        lo, hi = 0, rows.size
        for op, x in bounds[order]:
            if op in (">", ">="):
                lo = max(lo, int(np.searchsorted(sorted_values, x, side="right" if op == ">" else "left")))
            else:
                hi = min(hi, int(np.searchsorted(sorted_values, x, side="left" if op == "<" else "right")))
        return np.sort(rows[lo:hi]) if lo < hi else np.zeros(0, np.int64)

    def _group(self, eq_ranges: tuple, order) -> dict:
        """key tuple -> (rows, None) in reading order, or, with a bounded
        range, (rows sorted by its numbers, those numbers) over its number cells."""
        spec = (eq_ranges, order)
        if spec in self._groups:
            return self._groups[spec]
        n = self.values[0][0].size
        lists: dict = {}
        if eq_ranges:
            columns = [self.keys(r) for r in eq_ranges]
            filled = np.ones(n, bool)                  # whole columns are mostly empty: skip those rows
            for r in eq_ranges:
                filled &= self.values[r][0].ravel() != BLANK
            for i in np.flatnonzero(filled).tolist():
                lists.setdefault(tuple(col[i] for col in columns), []).append(i)
        else:
            lists[()] = np.arange(n, dtype=np.int64)
        out = {}
        if order is None:
            for kt, rows in lists.items():
                out[kt] = (np.asarray(rows, np.int64), None)
        else:
            kind, num, _ = self.values[order]
            kind, num = kind.ravel(), num.ravel()
            for kt, rows in lists.items():
                r = np.asarray(rows, np.int64)
                r = r[kind[r] == NUM]
                vals = num[r]
                perm = np.argsort(vals, kind="stable")
                out[kt] = (r[perm], vals[perm])
        self._groups[spec] = out
        return out

