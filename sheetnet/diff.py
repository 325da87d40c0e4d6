"""What changed between two workbooks, cell by cell: formulas and stored values.

What a teacher runs on a student's copy of a lesson workbook: which parameter
cells were edited, which formulas were typed over or rewritten, which results
moved.  Formulas compare by meaning of position (the same formula filled down a
column is the same in both files even when one was re-entered); values compare
as Excel stored them -- numbers within a relative tolerance, text and errors
exactly; an empty cell equals a missing one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .book import Book, Sheet
from .refs import cell_name
from .store import BLANK, NUM, decode


@dataclass
class CellChange:
    sheet: str
    cell: str
    formula_a: str | None
    formula_b: str | None
    value_a: object
    value_b: object

    @property
    def what(self) -> str:
        """formula (and value), value, added or removed."""
        empty_a = self.formula_a is None and self.value_a is None
        empty_b = self.formula_b is None and self.value_b is None
        if empty_a:
            return "added"
        if empty_b:
            return "removed"
        return "formula" if self.formula_a != self.formula_b else "value"

    def to_json(self) -> dict:
        return {"sheet": self.sheet, "cell": self.cell, "change": self.what,
                "formula_a": self.formula_a, "formula_b": self.formula_b,
                "value_a": _jsonable(self.value_a), "value_b": _jsonable(self.value_b)}


@dataclass
class BookDiff:
    path_a: str
    path_b: str
    only_in_a: list[str] = field(default_factory=list)
    only_in_b: list[str] = field(default_factory=list)
    changes: list[CellChange] = field(default_factory=list)

    @property
    def same(self) -> bool:
        return not (self.only_in_a or self.only_in_b or self.changes)

    def to_json(self) -> dict:
        return {"a": self.path_a, "b": self.path_b, "same": self.same, "sheets_only_in_a": self.only_in_a,
                "sheets_only_in_b": self.only_in_b, "count": len(self.changes),
                "cells": [c.to_json() for c in self.changes]}


def _jsonable(v):
    if isinstance(v, (bool, int, float, str)) or v is None:
        return v
    return str(v)             # Excel errors as their text, "#DIV/0!"


def _formula_keys(sheet: Sheet, shape) -> tuple[np.ndarray, list]:
    """Per cell the index of its formula's key (0 = no formula) and the keys: the position-independent
    tree (R1C1), so one formula filled over a block compares equal cell by cell."""
    grid = np.zeros(shape, dtype=np.int64)
    owner = sheet._owner_grid() if sheet.groups else None
    keys: list = [None]
    if owner is not None:
        h, w = min(owner.shape[0], shape[0]), min(owner.shape[1], shape[1])
        grid[:h, :w] = owner[:h, :w]
        for g in sheet.groups:
            try:
                key = g.ast if g.array is None else ("array", g.text, g.array)
            except Exception:          # a formula sheetnet cannot parse: its text and place
                key = ("text", g.text, g.anchor)
            keys.append(key)
    return grid, keys


def _padded(sheet: Sheet, shape):
    v = sheet.values
    kind = np.zeros(shape, np.uint8)
    num = np.zeros(shape)
    obj = np.empty(shape, object)
    h, w = min(v.shape[0], shape[0]), min(v.shape[1], shape[1])
    kind[:h, :w], num[:h, :w], obj[:h, :w] = v.kind[:h, :w], v.num[:h, :w], v.obj[:h, :w]
    return kind, num, obj


def diff_sheets(a: Sheet, b: Sheet, rtol: float = 1e-9) -> list[CellChange]:
    shape = (max(a.values.shape[0], b.values.shape[0]), max(a.values.shape[1], b.values.shape[1]))
    ka, na, oa = _padded(a, shape)
    kb, nb, ob = _padded(b, shape)
    fa, keys_a = _formula_keys(a, shape)
    fb, keys_b = _formula_keys(b, shape)
    both_num = (ka == NUM) & (kb == NUM)
    with np.errstate(all="ignore"):
        close = np.abs(na - nb) <= rtol * np.maximum(np.abs(na), np.abs(nb))
    differ = (ka != kb) | (both_num & ~close) | ((ka != NUM) & (ka != BLANK) & ((na != nb) | (oa != ob)))
    has_formula = (fa != 0) | (fb != 0)
    differ |= has_formula & ((fa == 0) != (fb == 0))
    for r, c in zip(*np.nonzero(has_formula & ~differ)):        # both have formulas: compare them
        if keys_a[fa[r, c]] != keys_b[fb[r, c]]:
            differ[r, c] = True
    changes = []
    for r, c in zip(*np.nonzero(differ)):
        r, c = int(r), int(c)
        changes.append(CellChange(a.name, cell_name(r, c), a.formula_at((r, c)) if fa[r, c] else None,
                                  b.formula_at((r, c)) if fb[r, c] else None,
                                  decode(int(ka[r, c]), float(na[r, c]), oa[r, c]),
                                  decode(int(kb[r, c]), float(nb[r, c]), ob[r, c])))
    return changes


def diff_books(a: Book, b: Book, rtol: float = 1e-9) -> BookDiff:
    out = BookDiff(a.path or "A", b.path or "B")
    out.only_in_a = [s.name for s in a.sheets if b.find_sheet(s.name) is None]
    out.only_in_b = [s.name for s in b.sheets if a.find_sheet(s.name) is None]
    for s in a.sheets:
        other = b.find_sheet(s.name)
        if other is not None:
            out.changes.extend(diff_sheets(s, other, rtol))
    return out


def _show(formula, value) -> str:
    text = repr(value) if isinstance(value, str) else "(empty)" if value is None else str(value)
    return f"{formula}  [{text}]" if formula else text


def format_diff(d: BookDiff, limit: int = 50) -> str:
    lines = [f"{d.path_a} -> {d.path_b}"]
    for name in d.only_in_a:
        lines.append(f"  sheet {name!r}: only in {d.path_a}")
    for name in d.only_in_b:
        lines.append(f"  sheet {name!r}: only in {d.path_b}")
    by_sheet: dict[str, list[CellChange]] = {}
    for c in d.changes:
        by_sheet.setdefault(c.sheet, []).append(c)
    for sheet, changes in by_sheet.items():
        lines.append(f"  sheet {sheet!r}: {len(changes)} cell(s) differ")
        for c in changes[:limit]:
            if c.what == "value" and c.formula_a is not None:      # a result moved: its formula once
                change = f"{c.formula_a}  [{_show(None, c.value_a)} -> {_show(None, c.value_b)}]"
            else:
                change = f"{_show(c.formula_a, c.value_a)}  ->  {_show(c.formula_b, c.value_b)}"
            lines.append(f"    {c.cell:<8} {c.what:<8} {change}")
        if len(changes) > limit:
            lines.append(f"    ... and {len(changes) - limit} more (--max N, or --json for all)")
    if d.same:
        lines.append("  the same: every sheet, formula and stored value")
    else:
        lines.append(f"{len(d.changes)} cell(s) differ in {len(by_sheet)} sheet(s)"
                     + (f"; {len(d.only_in_a) + len(d.only_in_b)} sheet(s) in one file only"
                        if d.only_in_a or d.only_in_b else ""))
    return "\n".join(lines)
