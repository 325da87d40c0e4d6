"""`sheetnet check`: recompute every formula cell of a workbook and compare
with the value the file stores.

RAND/RANDBETWEEN cells (volatile) and cells using functions sheetnet lacks
keep the values the file stored, so everything computed from them is still
verified; they are reported, not compared.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import numpy as np

from .engine import Engine
from .errors import ERR_BASE, UserError, error_from_code
from .refs import cell_name
from .store import BLANK, BOOL, NUM, STR
from .xlsx.reader import read_workbook

DEFAULT_RTOL = 1e-9
DEFAULT_ATOL = 1e-12
MAX_LISTED = 1000       # mismatches listed per file in --json (the count is always exact)


@dataclass
class Mismatch:
    sheet: str
    cell: str
    cached: object
    computed: object
    abs_err: float | None = None
    rel_err: float | None = None
    note: str | None = None       # why, when the numbers alone do not say


@dataclass
class SheetReport:
    name: str
    cells: int = 0            # formula cells
    compared: int = 0
    matched: int = 0
    mismatched_count: int = 0
    mismatched: list = field(default_factory=list)
    volatile: int = 0
    external: int = 0         # read another workbook ([1]Sheet1!A1): kept their cached values
    no_cached_value: int = 0
    unsupported: dict = field(default_factory=dict)


@dataclass
class FileReport:
    path: str
    sheets: list = field(default_factory=list)
    seconds: dict = field(default_factory=dict)
    rtol: float = DEFAULT_RTOL
    atol: float = DEFAULT_ATOL
    unparsed: list = field(default_factory=list)     # "Sheet!A1: why" of formulas sheetnet cannot parse

    def total(self, attr: str) -> int:
        return sum(getattr(s, attr) for s in self.sheets)

    @property
    def unsupported(self) -> dict:
        out: dict[str, int] = {}
        for s in self.sheets:
            for k, v in s.unsupported.items():
                out[k] = out.get(k, 0) + v
        return out

    @property
    def ok(self) -> bool:
        return self.total("mismatched_count") == 0

    def to_json(self) -> dict:
        mismatched = [asdict(m) for s in self.sheets for m in s.mismatched][:MAX_LISTED]
        for m in mismatched:
            m["cached"], m["computed"] = _jsonable(m["cached"]), _jsonable(m["computed"])
            if m["note"] is None:
                del m["note"]
        return {
            "path": self.path,
            "ok": self.ok,
            "cells": self.total("cells"),
            "compared": self.total("compared"),
            "matched": self.total("matched"),
            "mismatched_count": self.total("mismatched_count"),
            "mismatched": mismatched,
            "volatile": self.total("volatile"),
            "external": self.total("external"),
            "no_cached_value": self.total("no_cached_value"),
            "unsupported": self.unsupported,
            "unparsed": self.unparsed[:MAX_LISTED],
            "rtol": self.rtol,
            "atol": self.atol,
            "seconds": self.seconds,
            "unparsed": [{"sheet": s, "cell": c, "error": e} for s, c, e in self.unparsed],
            "sheets": [{k: v for k, v in asdict(s).items() if k != "mismatched"} for s in self.sheets],
        }


def _jsonable(v):
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, float):
        return v if np.isfinite(v) else str(v)
    return str(v)


def _decode(kind: int, num: float, obj):
    if kind == NUM:
        return float(num)
    if kind == STR:
        return obj
    if kind == BOOL:
        return bool(num)
    if kind == BLANK:
        return None
    return error_from_code(int(kind))


def check_file(path: str, rtol: float = DEFAULT_RTOL, atol: float = DEFAULT_ATOL,
               outcomes: dict | None = None) -> FileReport:
    """Read, plan, recalculate, compare.  UserErrors (bad file, circular
    reference) propagate for the caller to report.

    `outcomes`, when given, receives every formula cell's verdict:
    (sheet, "A1") -> "matched" | "mismatched: Excel X, sheetnet Y" | "volatile"
    | "no cached value" | "unsupported: NAME,..." (what the reference-workbook tests and
    scripts/reference_coverage.py count)."""
    report = FileReport(path, rtol=rtol, atol=atol)
    t0 = time.perf_counter()
    book = read_workbook(path)
    t1 = time.perf_counter()
    stored = {}
    for sheet in book.sheets:
        rr, cc = _formula_cells(sheet)
        v = sheet.values
        stored[sheet.name] = (rr, cc, v.kind[rr, cc].copy(), v.num[rr, cc].copy(), v.obj[rr, cc].copy())
    try:
        engine = Engine(book, volatile="cached", unsupported="cached")
        t2 = time.perf_counter()
        engine.recalc()
    except UserError as exc:       # circular references: name the file too
        raise type(exc)(f"{path}: {exc}") from None
    t3 = time.perf_counter()
    report.unparsed = [f"{sheet}!{cell_name(r, c)}: {why}" for sheet, (r, c), why in engine.parse_failures]
    frozen = _frozen_masks(engine)
    for sheet in book.sheets:
        rr, cc, ck, cn, co = stored[sheet.name]
        report.sheets.append(_compare_sheet(sheet, engine, rr, cc, ck, cn, co, frozen, rtol, atol, outcomes))
    t4 = time.perf_counter()
    report.seconds = {"read": t1 - t0, "plan": t2 - t1, "recalc": t3 - t2, "compare": t4 - t3, "total": t4 - t0}
    return report


def _formula_cells(sheet) -> tuple[np.ndarray, np.ndarray]:
    parts = [g.footprint() for g in sheet.groups]
    if not parts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return (np.concatenate([p[0] for p in parts]).astype(np.int64),
            np.concatenate([p[1] for p in parts]).astype(np.int64))


def _frozen_masks(engine: Engine) -> dict:
    """Per sheet: cells that kept their stored value, and why."""
    out = {}
    for b in engine.kept_cached_blocks():
        s = engine.sheets[b.sheet]
        rr, cc = b.footprint()
        entry = out.setdefault(s.name, {})
        if b.tree is None:
            reason = "(formula sheetnet cannot parse)"
        elif b.external:
            reason = "external"
        elif b.unsupported:
            reason = ",".join(b.unsupported)
        else:
            reason = "volatile"
        for r, c in zip(rr.tolist(), cc.tolist()):
            entry[(r, c)] = reason
    return out


def _compare_sheet(sheet, engine, rr, cc, ck, cn, co, frozen, rtol, atol, outcomes=None) -> SheetReport:
    rep = SheetReport(sheet.name, cells=len(rr))
    vals = engine.sheet_state(sheet.name).vals
    k, x, o = vals.kind[rr, cc], vals.num[rr, cc], vals.obj[rr, cc]
    skip = np.zeros(len(rr), dtype=bool)
    reasons = frozen.get(sheet.name, {})
    if reasons:
        for i, key in enumerate(zip(rr.tolist(), cc.tolist())):
            reason = reasons.get(key)
            if reason is None:
                continue
            skip[i] = True
            if reason == "volatile":
                rep.volatile += 1
            elif reason == "external":
                rep.external += 1
            else:
                for name in reason.split(","):
                    rep.unsupported[name] = rep.unsupported.get(name, 0) + 1
    for feature, cells in sheet.unsupported_features.items():
        rep.unsupported[feature] = rep.unsupported.get(feature, 0) + cells
    no_cache = (ck == BLANK) & ~skip
    rep.no_cached_value = int(no_cache.sum())
    use = ~skip & ~no_cache
    rep.compared = int(use.sum())
    same_kind = k == ck
    close = np.zeros(len(rr), dtype=bool)
    # A cell cannot hold infinity or NaN (Excel shows #NUM!): a cached one --
    # 1e309 in the file -- is itself the finding, whatever was computed.
    finite = np.isfinite(cn) & np.isfinite(x)
    num = same_kind & (ck == NUM) & finite
    close[num] = np.abs(x[num] - cn[num]) <= atol + rtol * np.abs(cn[num])
    boolean = same_kind & (ck == BOOL)
    close[boolean] = x[boolean] == cn[boolean]
    err = same_kind & (ck >= ERR_BASE)
    close[err] = True
    text = np.flatnonzero(same_kind & (ck == STR))
    for i in text.tolist():
        close[i] = o[i] == co[i]
    bad = np.flatnonzero(use & ~close)
    rep.matched = rep.compared - len(bad)
    rep.mismatched_count = len(bad)
    items, details = [], {}
    for i in bad.tolist():
        cached = _decode(ck[i], cn[i], co[i])
        computed = _decode(k[i], x[i], o[i])
        details[i] = f"mismatched: Excel {format_value(cached)}, sheetnet {format_value(computed)}"
        m = Mismatch(sheet.name, cell_name(int(rr[i]), int(cc[i])), cached, computed)
        if ck[i] == NUM and not np.isfinite(cn[i]):
            m.note = "the file stores a number no cell can hold"
        elif k[i] == NUM and not np.isfinite(x[i]):
            m.note = "computed a number no cell can hold"
        elif ck[i] == NUM and k[i] == NUM:
            m.abs_err = float(abs(x[i] - cn[i]))
            m.rel_err = float(m.abs_err / abs(cn[i])) if cn[i] != 0 else float("inf")
        items.append(m)
    if outcomes is not None:
        _record_outcomes(outcomes, sheet.name, rr, cc, reasons, ck == BLANK, details)
    # worst first: type mismatches, then by relative error
    items.sort(key=lambda m: (m.rel_err is not None, -(m.rel_err or 0.0)))
    rep.mismatched = items[:MAX_LISTED]
    return rep


def _record_outcomes(outcomes: dict, sheet: str, rr, cc, reasons: dict, no_cache, mismatches: dict) -> None:
    """One verdict per formula cell; a cell without a cached value is that
    first (nothing can match it), whatever else holds."""
    for i, (r, c) in enumerate(zip(rr.tolist(), cc.tolist())):
        reason = reasons.get((r, c))
        if no_cache[i]:
            verdict = "no cached value"
        elif reason == "volatile":
            verdict = "volatile"
        elif reason is not None:
            verdict = f"unsupported: {reason}"
        else:
            verdict = mismatches.get(i, "matched")
        outcomes[(sheet, cell_name(r, c))] = verdict


def format_value(v) -> str:
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, str):
        return repr(v)
    if v is None:
        return "(empty)"
    return str(v)


def format_report(rep: FileReport, worst: int = 5) -> str:
    lines = [f"{rep.path}  (read {rep.seconds['read']:.2f} s, plan {rep.seconds['plan']:.2f} s, "
             f"recalc {rep.seconds['recalc']:.2f} s, compare {rep.seconds['compare']:.2f} s)"]
    head = f"  {'sheet':<20} {'formulas':>9} {'compared':>9} {'matched':>9} {'mismatched':>10} {'volatile':>9}"
    lines.append(head + "  unsupported")
    for s in rep.sheets:
        uns = ", ".join(f"{k} x{v}" for k, v in sorted(s.unsupported.items())) or "-"
        lines.append(f"  {s.name[:20]:<20} {s.cells:>9} {s.compared:>9} {s.matched:>9} "
                     f"{s.mismatched_count:>10} {s.volatile:>9}  {uns}")
    lines.append(f"  {'all':<20} {rep.total('cells'):>9} {rep.total('compared'):>9} {rep.total('matched'):>9} "
                 f"{rep.total('mismatched_count'):>10} {rep.total('volatile'):>9}")
    external = rep.total("external")
    if external:
        lines.append(f"  {external} formula cell(s) read other workbooks (external references) and kept "
                     "their cached values")
    no_cache = rep.total("no_cached_value")
    if no_cache:
        lines.append(f"  {no_cache} formula cell(s) carry no cached value and were not compared")
    for s in rep.sheets:
        for m in s.mismatched[:worst]:
            detail = f" (abs {m.abs_err:.3g}, rel {m.rel_err:.3g})" if m.abs_err is not None else \
                f" ({m.note})" if m.note else ""
            lines.append(f"  MISMATCH {m.sheet}!{m.cell}: cached {format_value(m.cached)}, "
                         f"computed {format_value(m.computed)}{detail}")
        if s.mismatched_count > worst:
            lines.append(f"  ... and {s.mismatched_count - worst} more mismatches on {s.name}")
    if not rep.ok:
        verdict = f"FAILED: {rep.total('mismatched_count')} formula cell(s) differ from their cached values"
    elif rep.unsupported:
        verdict = (f"INCOMPLETE: {sum(rep.unsupported.values())} formula cell(s) could not be recalculated "
                   f"(unsupported: {', '.join(sorted(rep.unsupported))}); every other one matches")
    else:
        verdict = "OK: every formula cell with a cached value matches"
    lines.append(f"  {verdict} (rtol {rep.rtol:g}, atol {rep.atol:g})")
    return "\n".join(lines)
