"""Criteria as SUMIF, COUNTIF, AVERAGEIF and their *IFS forms (and the D*
database functions) read them: a number, a boolean, or text such as ">=5",
"<>x", "a*" (wildcards * ? with ~ escaping), "" (empty cells)."""

from __future__ import annotations

import re

import numpy as np

from ...errors import ExcelError
from ...store import BLANK, BOOL, NUM, STR, decode
from ..batch import RefVal
from ..values import Arr, parse_number_text

_CRITERION = re.compile(r"^(<=|>=|<>|<|>|=)?(.*)$", re.S)


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


def criterion_mask(criterion, kind: np.ndarray, num: np.ndarray, text: np.ndarray) -> np.ndarray:
    """Which cells of a range meet one criterion (a float, a bool, a str, or
    an ExcelError: the cells holding that error)."""
    if isinstance(criterion, ExcelError):
        return kind == criterion.code
    if isinstance(criterion, bool):
        return (kind == BOOL) & ((num != 0) == criterion)
    if isinstance(criterion, float):
        return (kind == NUM) & (num == criterion)
    m = _CRITERION.match(criterion)
    op, operand = m.group(1) or "=", m.group(2)
    value = parse_number_text(operand)
    if value is not None:
        cmp = {"=": np.equal, "<>": np.not_equal, "<": np.less, ">": np.greater,
               "<=": np.less_equal, ">=": np.greater_equal}[op]
        hit = (kind == NUM) & cmp(num, value)
        return hit | (kind != NUM) if op == "<>" else hit
    if operand.upper() in ("TRUE", "FALSE") and op in ("=", "<>"):
        hit = (kind == BOOL) & ((num != 0) == (operand.upper() == "TRUE"))
        return ~hit if op == "<>" else hit
    if op in ("=", "<>"):
        if operand == "":
            hit = kind == BLANK
        else:
            rx = wildcard(operand)
            hit = np.zeros(kind.shape, bool)
            for idx in zip(*np.nonzero(kind == STR)):
                hit[idx] = rx.fullmatch(text[idx]) is not None
        return ~hit if op == "<>" else hit
    # text ordering comparisons
    key = operand.casefold()
    hit = np.zeros(kind.shape, bool)
    for idx in zip(*np.nonzero(kind == STR)):
        v = text[idx].casefold()
        hit[idx] = {"<": v < key, ">": v > key, "<=": v <= key, ">=": v >= key}[op]
    return hit


def python_criteria(a: Arr) -> np.ndarray:
    """Criterion values per element as Python objects: float, str, bool, or
    ExcelError; an empty cell is the number 0 (COUNTIF(range, empty cell)
    counts zeros, not empty cells, in Excel)."""
    k, x, s = a.kinds(), a.num, a.strings()
    out = np.empty(k.shape, dtype=object)
    for idx in np.ndindex(k.shape):
        out[idx] = 0.0 if k[idx] == BLANK else decode(int(k[idx]), float(x[idx]), s[idx])
    return out


def each_criterion(ctx, rng, crit: Arr):
    """(position, criterion, the range's cells as (kind, num, text)) for every
    batch cell and every element of the criteria (an array of criteria gives
    an array of results: SUMIF(A1:A9, {"x","y"}) is two sums).  Positions are
    batch + (h, w) index tuples of the result; `shape` is the result shape."""
    src = ctx.deref(rng)
    crits = python_criteria(crit)
    shape = np.broadcast_shapes(src.shape[:-2], crits.shape[:-2]) + crits.shape[-2:]
    ks, xs, ss = src.kinds(), src.num, src.strings()

    def at(arr, idx):
        return arr[tuple(i if arr.shape[d] > 1 else 0 for d, i in enumerate(idx))]

    def items():
        for idx in np.ndindex(shape):
            b = idx[:-2]
            yield idx, at(crits, idx), (at(ks, b), at(xs, b), at(ss, b))

    return shape, items()


def all_criteria(ctx, pairs):
    """The *IFS functions' matching: `pairs` of (range, criteria); every
    range must be a reference of one size (else None is returned: #VALUE!).
    Returns (shape, items): items are (position, mask over the ranges' cells
    or the ExcelError given as a criterion), for every batch cell and every
    element of the criteria (arrays of criteria broadcast together)."""
    ranges = [r for r, _ in pairs]
    if not all(isinstance(r, RefVal) for r in ranges) or len({(r.h, r.w) for r in ranges}) != 1:
        return None, None
    cells = [ctx.deref(r) for r in ranges]
    crits = [python_criteria(c if ctx.arr else c.first()) for _, c in pairs]
    batch = np.broadcast_shapes(*(a.shape[:-2] for a in cells), *(c.shape[:-2] for c in crits))
    shape = batch + np.broadcast_shapes(*(c.shape[-2:] for c in crits))
    parts = [(a.kinds(), a.num, a.strings()) for a in cells]

    def at(arr, idx):
        return arr[tuple(i if arr.shape[d] > 1 else 0 for d, i in enumerate(idx))]

    def items():
        for idx in np.ndindex(shape):
            mask = None
            for (ks, xs, ss), crit in zip(parts, crits):
                c = at(crit, idx)
                if isinstance(c, ExcelError):
                    mask = c
                    break
                b = idx[:-2]
                m = criterion_mask(c, at(ks, b), at(xs, b), at(ss, b))
                mask = m if mask is None else mask & m
            yield idx, mask

    return shape, items()
