"""The search behind XLOOKUP and XMATCH: one key in one vector, with Excel's
match modes (exact, exact or next smaller, exact or next larger, wildcard)
and search modes (first to last, last to first, binary ascending, binary
descending).

Values are ordered as Excel orders them when it searches: numbers < text <
logicals, text compared without regard to case; an empty cell sorts after
every value (a whole-column look-up ends in empty cells) and equals an empty
look-up value, which is how XLOOKUP(, L:L, M:M) finds the first empty row.
Errors in the vector never match.

What Excel's cached values show, and this module does:

* the linear "next smaller/larger" modes pick the extreme candidate across
  types by that order (next larger of 10 over {5, "ala", TRUE} is "ala"),
  (next smaller of FALSE over {5, "ala", TRUE} is "ala"), and among equal
  candidates the first met in the search direction;
* a binary search is a real bisection, so on unsorted data it lands where
  Excel lands: ascending finds the leftmost position not below the key (the
  first of equal values), descending is the ascending search of the reversed
  vector (the last of equal values);
* wildcards (match mode 2) and regular expressions (3, searched anywhere in
  the text, case-sensitive, as REGEXTEST) apply to text cells only, and not
  with binary search (#VALUE!, checked by the callers).
"""

from __future__ import annotations

import numpy as np

from ...store import BLANK, BOOL, NUM, STR
from .criteria import wildcard
from .text_regex import compile_pattern

EXACT, SMALLER, LARGER, WILDCARD, REGEX = 0, -1, 1, 2, 3
MATCH_MODES = (EXACT, SMALLER, LARGER, WILDCARD, REGEX)
FIRST, LAST, BINARY_UP, BINARY_DOWN = 1, -1, 2, -2
SEARCH_MODES = (FIRST, LAST, BINARY_UP, BINARY_DOWN)

# Excel's order of types when it searches; empty cells after everything, errors apart
_RANK = np.full(256, 5, dtype=np.int8)
_RANK[NUM], _RANK[STR], _RANK[BOOL], _RANK[BLANK] = 1, 2, 3, 4
_ERROR_RANK = 5


class Vector:
    """One look-up vector: kinds, numbers and case-folded texts, length n."""

    __slots__ = ("kind", "num", "raw", "text", "rank", "n", "_first")

    def __init__(self, kind: np.ndarray, num: np.ndarray, text: np.ndarray | None):
        self.kind = np.asarray(kind).reshape(-1)
        self.num = np.asarray(num, dtype=np.float64).reshape(-1)
        self.n = self.kind.size
        folded = np.empty(self.n, dtype=object)
        self.raw = np.asarray(text).reshape(-1) if text is not None else folded
        for j in np.flatnonzero(self.kind == STR):
            folded[j] = self.raw[j].casefold()
        self.text = folded
        self.rank = _RANK[self.kind]
        self._first = {}

    def position_of(self, key: "Key", last: bool) -> int:
        """An exact match by hashing (a block of cells searching one vector
        builds the table once): the first (last) position equal to the key."""
        table = self._first.get(last)
        if table is None:
            table = {}
            order = range(self.n - 1, -1, -1) if not last else range(self.n)
            for j in order:             # later writes win: visit the wanted one last
                r = int(self.rank[j])
                if r != _ERROR_RANK:
                    table[(r, self.text[j] if r == 2 else None if r == 4 else float(self.num[j]))] = j
            self._first[last] = table
        r = key.rank
        return table.get((r, key.text if r == 2 else None if r == 4 else key.num), -1)


class Key:
    """The look-up value: kind, number, case-folded text."""

    __slots__ = ("kind", "num", "raw", "text", "rank")

    def __init__(self, kind: int, num: float, text):
        self.kind, self.num = int(kind), float(num)
        self.raw = text if self.kind == STR else None
        self.text = text.casefold() if self.kind == STR else None
        self.rank = int(_RANK[self.kind])


def compare(vec: Vector, key: Key) -> np.ndarray:
    """Each element against the key: -1 below, 0 equal, 1 above (int8)."""
    out = np.sign(vec.rank.astype(np.int16) - key.rank).astype(np.int8)
    same = vec.rank == key.rank
    if key.rank == _ERROR_RANK:
        out[same] = 1                       # errors are never equal to anything
    elif key.kind == STR:
        for j in np.flatnonzero(same):
            t = vec.text[j]
            out[j] = (t > key.text) - (t < key.text)
    elif key.kind in (NUM, BOOL):
        v = vec.num[same]
        out[same] = np.sign(v - key.num).astype(np.int8)
    return out                              # BLANK: every empty cell is equal


def find(vec: Vector, key: Key, match_mode: int, search_mode: int) -> int:
    """0-based position of the match in `vec`, -1 when there is none."""
    if vec.n == 0:
        return -1
    if search_mode in (BINARY_UP, BINARY_DOWN):
        return _binary(vec, key, match_mode, descending=search_mode == BINARY_DOWN)
    if match_mode == EXACT or (match_mode == WILDCARD and not (key.kind == STR and any(c in key.text for c in "*?~"))):
        return vec.position_of(key, last=search_mode == LAST) if key.rank != _ERROR_RANK else -1
    order = np.arange(vec.n) if search_mode == FIRST else np.arange(vec.n - 1, -1, -1)
    if match_mode == WILDCARD and key.kind == STR:
        rx = wildcard(key.text)
        return next((int(j) for j in order if vec.kind[j] == STR and rx.fullmatch(vec.text[j])), -1)
    if match_mode == REGEX:
        if key.kind != STR:
            return -1
        rx = compile_pattern(key.raw, ignore_case=False)     # PatternError: the caller's #VALUE!
        return next((int(j) for j in order if vec.kind[j] == STR and rx.search(vec.raw[j])), -1)
    cmp = compare(vec, key)
    hits = order[cmp[order] == 0]
    if hits.size:
        return int(hits[0])
    if match_mode not in (SMALLER, LARGER):
        return -1
    valid = vec.rank < 4                    # empty cells and errors are never "next"
    candidates = order[valid[order] & (cmp[order] == match_mode)]
    return _extreme(vec, candidates, largest=match_mode == SMALLER)


def _extreme(vec: Vector, candidates: np.ndarray, largest: bool) -> int:
    """The largest (smallest) of the candidates by Excel's order; the first
    of equal ones in the order given."""
    if candidates.size == 0:
        return -1
    ranks = vec.rank[candidates]
    best_rank = ranks.max() if largest else ranks.min()
    pool = candidates[ranks == best_rank]
    if best_rank == _RANK[STR]:
        texts = [vec.text[j] for j in pool]
        target = max(texts) if largest else min(texts)
        return int(pool[texts.index(target)])
    values = vec.num[pool]
    return int(pool[np.argmax(values) if largest else np.argmin(values)])


def _binary(vec: Vector, key: Key, match_mode: int, descending: bool) -> int:
    """A bisection for the leftmost position not below the key (of the
    reversed vector when descending), then the match mode's answer."""
    cmp = compare(vec, key)
    if descending:
        cmp = cmp[::-1]
    lo, hi = 0, vec.n
    while lo < hi:
        mid = (lo + hi) // 2
        if cmp[mid] < 0:
            lo = mid + 1
        else:
            hi = mid
    if lo < vec.n and cmp[lo] == 0:
        found = lo
    elif match_mode == SMALLER:
        found = lo - 1
    elif match_mode == LARGER and lo < vec.n and cmp[lo] > 0 and vec.rank[vec.n - 1 - lo if descending else lo] < 4:
        found = lo                          # never an empty cell past the data
    else:
        found = -1
    if found < 0:
        return -1
    return vec.n - 1 - found if descending else found
