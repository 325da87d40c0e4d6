"""Criteria as SUMIF, COUNTIF, AVERAGEIF and their *IFS forms (and the D*
database functions) read them: a number, a boolean, or text such as ">=5",
"<>x", "a*" (wildcards * ? with ~ escaping), "" (empty cells)."""

from __future__ import annotations

import re

import numpy as np

from ...store import BLANK, BOOL, NUM, STR
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
    """Which cells of a range meet one criterion (a float, a bool or a str)."""
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
    """Criterion values per element as Python objects (float/str/bool; "" for
    an empty cell; None for an error, which matches nothing)."""
    k, x, s = a.kinds(), a.num, a.strings()
    out = np.empty(k.shape, dtype=object)
    for idx in np.ndindex(k.shape):
        kk = k[idx]
        out[idx] = (float(x[idx]) if kk == NUM else s[idx] if kk == STR else bool(x[idx]) if kk == BOOL
                    else "" if kk == BLANK else None)
    return out
