"""The lessons' quantities in every form, compared: ``sheetnet crosscheck``.

A generic comparer of forms over rows.  Each lesson (``sheetnet/lessons/<name>/rows.py``)
turns its quantities into :class:`Row` objects, one per quantity, holding

* **the sheet** -- the lesson's workbook, generated in memory with its default
  seeded inputs and evaluated by sheetnet's engine (the formula text a student
  opens in a spreadsheet application), read by role;
* **the mirror** -- the lesson's numpy reading of those formulas, float64;
* **torch** -- the lesson's idiomatic PyTorch reference on the requested device
  and dtype (``nn.Embedding``, ``torch.optim``, ``F.cross_entropy``, ``F.conv2d`` ...),

and this module judges every row the same way and reports it::

    report = crosscheck(["collab", "graddesc"], device="cpu", dtype="float64")
    report.ok, [r.to_json() for r in report.rows]

How a row is judged
-------------------
A row holds two or more *forms* of one quantity (arrays of one shape; a sheet
form may appear twice, e.g. the one-hot product and the OFFSET look-up).
Every pair of forms is compared, ``max |u - v|`` over the quantity's cells
(a NaN against a number counts as an infinite difference, NaN against NaN
as none):

* pairs of **float64 forms** (sheet vs mirror, sheet vs sheet) must agree
  within the row's *mirror bound* -- 0 for nearly everything: the mirrors
  perform the sheets' operations in the sheets' order, so the engine and the
  mirror agree bit for bit.  A row that is not exact says why
  (:attr:`Row.mirror_why`);
* pairs involving **torch** must agree within the row's entry of the one
  tolerance catalogue, :data:`TOLERANCES` (each lesson declares its entries
  with :func:`declare`, each with its written reason).  A bound is ``atol +
  rtol * max|sheet value|``, or ``atol + rtol * Row.scale`` where the row states
  a better magnitude (e.g. the largest sum of |terms| of a dot product, whose
  result may be small where the terms cancel).  Rows whose sheet and mirror
  need not agree bit for bit (numpy's BLAS and pairwise sums) take the float64
  part of an entry as their mirror bound (:attr:`Row.mirror_key`).

``Row.max_abs_diff`` is the largest of all those pairwise gaps (the row's
worst disagreement among the forms); ``Row.tolerance`` is the torch bound
(the looser of the two; the mirror bound is reported beside it);
``Row.ok`` holds when both kinds of pair are within their own bound.
"""

from __future__ import annotations

import contextlib
import math
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from .errors import UserError

DEFAULT_EPOCHS = 5          # lessons that iterate (graddesc): reset + the lesson's somesteps
MAX_EPOCHS = 100
SEED = 0

SHEET, MIRROR, TORCH = "sheet", "mirror", "torch"
DTYPES = ("float64", "float32")
EPS64 = float(np.finfo(np.float64).eps)     # 2.2e-16
EPS32 = float(np.finfo(np.float32).eps)     # 1.2e-7


@dataclass(frozen=True)
class Setting:
    """What a lesson's rows are computed for: the torch device and dtype, and
    (for lessons that iterate) the number of epochs."""

    device: object
    dtype: str = "float64"
    epochs: int = DEFAULT_EPOCHS


# --------------------------------------------------------------------------- the tolerance catalogue

@dataclass(frozen=True)
class Tol:
    atol: float
    rtol: float = 0.0

    def bound(self, ref=None) -> float:
        """``atol + rtol * max|ref|`` (just ``atol`` without reference values)."""
        if self.rtol == 0.0 or ref is None:
            return self.atol
        ref = np.asarray(ref, dtype=np.float64)
        scale = float(np.max(np.abs(ref[np.isfinite(ref)]), initial=0.0))
        return self.atol + self.rtol * scale


@dataclass(frozen=True)
class Tolerance:
    """How far a torch value may be from the sheet's float64 value, per dtype, and why.

    The figures were measured on the lesson's own data and then given a margin
    of about ten; they are not loosened to make a test pass -- a torch
    configuration that differs from the sheet by more is a different algorithm
    and gets a custom one instead (e.g. the graddesc lesson's optimisers)."""

    lesson: str
    key: str
    float64: Tol
    float32: Tol
    why: str

    def for_dtype(self, dtype) -> Tol:
        return self.float64 if _dtype_key(dtype) == "float64" else self.float32

    def bound(self, ref=None, dtype="float64") -> float:
        return self.for_dtype(dtype).bound(ref)


def _dtype_key(dtype) -> str:
    text = str(dtype).replace("torch.", "").lower()
    if text in ("float64", "double", "f64"):
        return "float64"
    if text in ("float32", "float", "f32"):
        return "float32"
    raise UserError(f"unknown dtype {dtype!r} (use float64 or float32)")


#: The one tolerance catalogue: (lesson, key) -> Tolerance, declared by each lesson's rows module.
TOLERANCES: dict[tuple[str, str], Tolerance] = {}

#: The float32 part of many entries: why it is not the float64 one.
F32_INPUT = ("float32 rounds every float64 input once (relative 6e-8) and computes in 24-bit "
             "arithmetic; the bound is that rounding carried through the formula with a margin")


def declare(lesson: str, key: str, f64: Tol, f32: Tol, why: str) -> Tolerance:
    """Add one entry to :data:`TOLERANCES` (a lesson's rows module does this for each of its keys)."""
    if (lesson, key) in TOLERANCES:
        raise ValueError(f"tolerance {lesson}/{key} is declared twice")
    TOLERANCES[(lesson, key)] = entry = Tolerance(lesson, key, f64, f32, why)
    return entry


def tolerance_entry(lesson: str, key: str) -> Tolerance:
    """The :class:`Tolerance` of a row (every lesson's declarations are loaded first)."""
    from .lessons import all_lessons
    all_lessons()
    entry = TOLERANCES.get((lesson, key))
    if entry is None:
        raise KeyError(f"no tolerance for {lesson}/{key}")
    return entry


def tolerance(lesson: str, key: str, dtype="float64") -> Tol:
    """The :class:`Tol` of one catalogue entry for ``dtype``."""
    return tolerance_entry(lesson, key).for_dtype(dtype)


# --------------------------------------------------------------------------- rows

@dataclass
class Form:
    """One form of a quantity: ``kind`` is sheet, mirror or torch; ``name`` says which computation."""

    name: str
    kind: str
    values: np.ndarray

    def __post_init__(self):
        self.values = np.asarray(self.values, dtype=np.float64).ravel()    # forms compare cell for cell


@dataclass
class Row:
    lesson: str
    quantity: str
    cells: str                      # where the workbook holds it
    forms: list[Form]
    tolerance_key: str              # key into TOLERANCES, with the lesson
    mirror_bound: float = 0.0       # bound for pairs of float64 forms (sheet, mirror)
    mirror_key: str | None = None   # or: the float64 part of this tolerance entry, scaled by the sheet values
    mirror_why: str = "the mirror performs the sheet's operations in the sheet's order: bit for bit"
    shown: str = ""                 # a short summary of the sheet's value
    scale: float | None = None      # the reference magnitude of relative bounds (default max |sheet value|)
    dtype: str = "float64"
    # filled by judge()
    sheet_mirror_diff: float = 0.0
    torch_diff: float = 0.0
    torch_bound: float = 0.0
    max_abs_diff: float = 0.0
    ok: bool = False
    worst_pair: tuple[str, str] | None = None

    @property
    def tolerance(self) -> float:
        return self.torch_bound

    @property
    def why(self) -> str:
        return tolerance_entry(self.lesson, self.tolerance_key).why

    def forms_text(self) -> str:
        return ", ".join(f.name for f in self.forms)

    def to_json(self) -> dict:
        return {"lesson": self.lesson, "quantity": self.quantity, "max_abs_diff": _finite(self.max_abs_diff),
                "tolerance": self.tolerance, "ok": self.ok,
                "forms": [{"name": f.name, "kind": f.kind} for f in self.forms],
                "cells": self.cells, "sheet_value": self.shown, "values": int(self.forms[0].values.size),
                "sheet_mirror_diff": _finite(self.sheet_mirror_diff), "sheet_mirror_tolerance": self.mirror_bound,
                "torch_diff": _finite(self.torch_diff), "torch_tolerance": self.torch_bound,
                "tolerance_key": f"{self.lesson}/{self.tolerance_key}", "worst_pair": list(self.worst_pair or ()),
                "dtype": self.dtype}


def max_abs_diff(u, v) -> float:
    """``max |u - v|``; NaN against NaN counts as equal, NaN against a number as infinitely far."""
    u = np.asarray(u, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    if u.shape != v.shape:
        raise ValueError(f"forms of different shapes {u.shape} and {v.shape}")
    if u.size == 0:
        return 0.0
    nu, nv = np.isnan(u), np.isnan(v)
    if (nu != nv).any():
        return math.inf
    both = ~nu
    with np.errstate(invalid="ignore"):
        d = np.abs(u[both] - v[both])
    d = np.where(u[both] == v[both], 0.0, d)          # inf == inf counts as equal
    return float(np.max(d, initial=0.0)) if not np.isnan(d).any() else math.inf


def judge(row: Row) -> Row:
    """Compare every pair of the row's forms and set its gaps, bound and verdict."""
    entry = tolerance_entry(row.lesson, row.tolerance_key)
    sheet = next((f.values for f in row.forms if f.kind == SHEET), row.forms[0].values)
    ref = sheet if row.scale is None else [row.scale]
    row.torch_bound = entry.for_dtype(row.dtype).bound(ref)
    if row.mirror_key is not None:
        row.mirror_bound = tolerance_entry(row.lesson, row.mirror_key).float64.bound(ref)
    exact_gap, torch_gap, worst, worst_pair = 0.0, 0.0, -1.0, None
    forms = row.forms
    for i in range(len(forms)):
        for j in range(i + 1, len(forms)):
            d = max_abs_diff(forms[i].values, forms[j].values)
            if TORCH in (forms[i].kind, forms[j].kind):
                torch_gap = max(torch_gap, d)
            else:
                exact_gap = max(exact_gap, d)
            if d > worst:
                worst, worst_pair = d, (forms[i].name, forms[j].name)
    row.sheet_mirror_diff, row.torch_diff = exact_gap, torch_gap
    row.max_abs_diff = max(exact_gap, torch_gap)
    row.worst_pair = worst_pair
    row.ok = bool(exact_gap <= row.mirror_bound and torch_gap <= row.torch_bound)
    return row


def _finite(x: float):
    """JSON has no inf/nan: a non-finite gap is reported as null (and its row fails)."""
    return x if math.isfinite(x) else None


class RowSet(list):
    """A lesson's rows as it builds them: ``rows.add(quantity, cells, key, forms, ...)``.

    ``cells``: where the workbook holds the quantity -- text, or the
    :class:`~sheetnet.lessons.Cells` of its roles; ``forms``: ``(name, kind,
    values)`` triples; ``defaults(key)`` gives keyword arguments every row of
    that tolerance key starts from (a lesson's usual mirror bound, say)."""

    def __init__(self, lesson: str, setting: Setting, defaults=None):
        super().__init__()
        self.lesson, self.setting, self.defaults = lesson, setting, defaults

    def add(self, quantity: str, cells, key: str, forms, shown: str = "", **extra) -> Row:
        if not isinstance(cells, str):
            cells = ", ".join(str(c) for c in cells)
        if self.defaults is not None:
            extra = {**self.defaults(key), **extra}
        row = Row(self.lesson, quantity, cells, [Form(n, k, v) for n, k, v in forms], key, shown=shown,
                  dtype=self.setting.dtype, **extra)
        self.append(row)
        return row


def arr(*parts) -> np.ndarray:
    """Flatten and join the parts of one form (e.g. the user and the movie block)."""
    return np.concatenate([np.asarray(p, dtype=np.float64).ravel() for p in parts])


def num(x: float) -> str:
    """A row's short summary of one number."""
    return f"{x:.6g}"



# --------------------------------------------------------------------------- running it

@contextlib.contextmanager
def _no_tf32(device):
    """float32 CUDA matmuls in full precision while the cross-check runs (TF32 rounds inputs to 10 bits)."""
    import torch
    if getattr(device, "type", str(device)) != "cuda":
        yield
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        saved = torch.backends.cuda.matmul.allow_tf32
        torch.backends.cuda.matmul.allow_tf32 = False
    try:
        yield
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.backends.cuda.matmul.allow_tf32 = saved


def checked_lessons() -> list[str]:
    """The lessons that publish cross-check rows, in registry order."""
    from .lessons import all_lessons
    return [name for name, lesson in all_lessons().items() if lesson.rows is not None]


def parse_lessons(text: str | None) -> list[str]:
    """"all" / "collab" / "collab,entropy" -> lesson names in the usual order; one UserError line otherwise."""
    LESSONS = checked_lessons()
    text = (text or "all").strip().lower()
    if text == "all":
        return list(LESSONS)
    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [n for n in names if n not in LESSONS]
    if unknown or not names:
        raise UserError(f"--lesson {text}: unknown lesson {unknown[0] if unknown else repr(text)} "
                        f"(choose from {', '.join(LESSONS)} or all)")
    return [n for n in LESSONS if n in names]


@dataclass
class Report:
    rows: list[Row]
    device: str
    dtype: str
    epochs: int
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.rows)

    def to_json(self) -> dict:
        return {"ok": self.ok, "device": self.device, "dtype": self.dtype, "epochs": self.epochs,
                "seconds": self.seconds, "rows": [r.to_json() for r in self.rows]}


def crosscheck(lessons=None, device="cpu", dtype="float64", epochs: int = DEFAULT_EPOCHS) -> Report:
    """Every quantity of ``lessons`` (default all) in its forms, judged (see the module docstring)."""
    from .devices import dtype_name, require_torch, resolve_device, resolve_dtype
    from .lessons import lesson

    require_torch()
    dev = resolve_device(device)
    dtype = dtype_name(resolve_dtype(dtype))
    if not 0 <= epochs <= MAX_EPOCHS:
        raise UserError(f"--epochs {epochs}: must be between 0 and {MAX_EPOCHS}")
    setting = Setting(dev, dtype, epochs)
    rows, seconds = [], {}
    with _no_tf32(dev):
        for name in (checked_lessons() if lessons is None else lessons):
            t0 = time.perf_counter()
            rows += [judge(r) for r in lesson(name).rows(setting)]
            seconds[name] = round(time.perf_counter() - t0, 3)
    return Report(rows, str(dev), dtype, epochs, seconds)


def _fmt(x: float) -> str:
    if x == 0:
        return "0"
    if math.isinf(x):
        return "inf"
    return f"{x:.2g}"


def format_table(report: Report, explain: bool = False) -> str:
    """The report as a text table: lesson, quantity, forms compared, sheet value,
    sheet-vs-mirror gap, max abs diff, tolerance, verdict."""
    head = ("lesson", "quantity", "forms compared", "sheet value", "sheet-mirror", "max abs diff", "tolerance",
            "verdict")
    body = []
    for r in report.rows:
        verdict = "ok" if r.ok else "FAIL"
        if not r.ok:
            if r.sheet_mirror_diff > r.mirror_bound:
                verdict += f" (sheet/mirror {_fmt(r.sheet_mirror_diff)} > {_fmt(r.mirror_bound)})"
            else:
                verdict += f" ({' vs '.join(r.worst_pair or ())})"
        body.append((r.lesson, r.quantity, r.forms_text(), r.shown, _fmt(r.sheet_mirror_diff),
                     _fmt(r.max_abs_diff), _fmt(r.tolerance), verdict))
    widths = [max(len(str(line[i])) for line in [head] + body) for i in range(len(head))]
    widths[2] = min(widths[2], 76)

    def line(cells):
        out = []
        for i, (c, w) in enumerate(zip(cells, widths)):
            c = str(c)
            if i == 2 and len(c) > w:
                c = c[:w - 3] + "..."
            out.append(c.rjust(w) if i in (4, 5, 6) else c.ljust(w))
        return "  ".join(out).rstrip()

    lines = [f"sheetnet crosscheck: device {report.device}, {report.dtype}, --epochs {report.epochs}",
             line(head), line(["-" * w for w in widths])]
    lines += [line(b) for b in body]
    failed = [r for r in report.rows if not r.ok]
    took = sum(report.seconds.values())
    if failed:
        lines.append(f"FAIL: {len(failed)} of {len(report.rows)} rows disagree beyond their tolerance "
                     f"({took:.1f} s)")
    else:
        lines.append(f"OK: all {len(report.rows)} rows agree within their tolerances ({took:.1f} s)")
    if explain:
        lines.append("")
        lines.append("tolerances (for pairs involving torch; sheet and mirror pairs must agree exactly unless noted):")
        seen = set()
        for r in report.rows:
            key = (r.lesson, r.tolerance_key)
            if key not in seen:
                seen.add(key)
                tol = tolerance_entry(*key).for_dtype(report.dtype)
                lines.append(f"  {r.lesson}/{r.tolerance_key} ({report.dtype}: atol {tol.atol:.3g}, "
                             f"rtol {tol.rtol:.3g}): {r.why}")
        groups: dict[tuple[str, str], list[Row]] = {}
        for r in report.rows:
            if r.mirror_bound:
                groups.setdefault((r.lesson, r.mirror_why), []).append(r)
        if groups:
            lines.append("sheet vs mirror, where the float64 forms need not agree bit for bit:")
        for (lesson, why), rows in groups.items():
            which = ", ".join(f"{r.quantity} ({_fmt(r.mirror_bound)})" for r in rows)
            lines.append(f"  {lesson} {which}: {why}")
    return "\n".join(lines)


__all__ = ["DEFAULT_EPOCHS", "Form", "Report", "Row", "RowSet", "Setting", "TOLERANCES", "Tol", "Tolerance",
           "arr", "checked_lessons", "crosscheck", "declare", "format_table", "judge", "max_abs_diff", "num",
           "parse_lessons", "tolerance", "tolerance_entry"]
