"""Database: DSUM, DAVERAGE, DCOUNT, DCOUNTA, DGET, DMAX, DMIN, DPRODUCT,
DSTDEV, DSTDEVP, DVAR, DVARP -- a statistic of one column (the field) over
the records of a database range that meet a criteria range.

Excel's rules, as DATABASE/*.xlsx show them:

* the database's first row holds the column labels; there must be at least
  one record below it (else #VALUE!);
* field: a number is a 1-based column (truncated: 6.5 is 6; TRUE is 1), text
  names a label (case-insensitively; labels that are numbers or booleans
  compare as their text, "1" or "TRUE"; the first match wins); anything
  else, or a column outside the database: #VALUE!;
* criteria: a label row and rows of conditions.  A record meets a row when
  it meets every non-empty condition in it (a condition under a label that
  names no column meets nothing); it meets the criteria when it meets any
  row; an entirely empty row is met by every record.  Conditions read as
  COUNTIF's (criteria.py), except that a bare text matches the text that
  *begins* with it ("Berlin" matches "Berlino"; "=Berlin" is exact);
* the statistic reads the field's cells of the matching records as the
  aggregate functions read a range (numbers only; DCOUNTA: every non-empty
  cell); none: DAVERAGE #DIV/0!, DSUM/DMAX/DMIN/DPRODUCT 0, DSTDEV/DVAR
  #DIV/0!; DGET: the one matching record's cell, none #VALUE!, more #NUM!.
"""

from __future__ import annotations

import math

import numpy as np

from ...errors import ERR_BASE
from ...store import BLANK, BOOL, NUM, STR
from ..values import E_DIV0, E_NUM, E_VALUE, Arr, to_text
from .criteria import criterion_values, parse_criterion
from .registry import Category, function
from .samples import line_sum
from .workbook_dates import system_of

DATABASE = Category.DATABASE
ARGS = "database: reference, field: any, criteria: reference"


def _labels(kind: np.ndarray, num: np.ndarray, text: np.ndarray) -> list[str | None]:
    """A label row as casefolded text (None for an empty cell or an error)."""
    out = []
    for k, x, s in zip(kind.tolist(), num.tolist(), text.tolist()):
        t = to_text(k, x, s) if k != BLANK and k < ERR_BASE else None
        out.append(t.casefold() if isinstance(t, str) else None)
    return out


def _column(field, labels: list) -> tuple[int, int]:
    """(0-based column the field names, error code): one of them is 0 / -1."""
    kind, value = field
    if kind >= ERR_BASE:
        return -1, kind
    if kind in (NUM, BOOL):
        i = math.trunc(value)
        return (i - 1, 0) if 1 <= i <= len(labels) else (-1, E_VALUE)
    if kind == STR:
        key = value.casefold()
        return (labels.index(key), 0) if key in labels else (-1, E_VALUE)
    return -1, E_VALUE


def _matching(db: tuple, crit: tuple, system) -> np.ndarray | int:
    """Which records (rows 1.. of the database) meet the criteria, or an error code."""
    dk, dn, ds = db
    ck, cn, cs = crit
    labels = _labels(dk[0], dn[0], ds[0])
    records = dk.shape[0] - 1
    if ck.shape[0] < 2:
        return E_VALUE
    columns = []
    for label in _labels(ck[0], cn[0], cs[0]):
        columns.append(labels.index(label) if label is not None and label in labels else None)
    values = criterion_values(Arr(cn, ck, cs))
    met = np.zeros(records, bool)
    for r in range(1, ck.shape[0]):
        row = np.ones(records, bool)
        for c, col in enumerate(columns):
            k = ck[r, c]
            if k == BLANK or (k == STR and cs[r, c] == ""):
                continue
            if col is None:
                row[:] = False
                break
            test = parse_criterion(values[r, c], database=True, system=system)
            row &= test.test(dk[1:, col], dn[1:, col], ds[1:, col])
        met |= row
    return met


def _database_function(reduce, doc: str):
    """reduce(kinds, numbers, texts) of the field's matching cells -> float,
    an error code, or (kind, num, text) for DGET."""
    def impl(ctx, database, field, criteria) -> Arr:
        db, cr = ctx.deref(database), ctx.deref(criteria)
        nd = ctx.nd - 2
        batch = np.broadcast_shapes(db.shape[:nd], cr.shape[:nd], field.shape[:nd])
        num = np.zeros(batch + (1, 1))
        kind = np.full(batch + (1, 1), NUM, np.uint8)
        obj = np.empty(batch + (1, 1), object)
        system = system_of(ctx)
        fk, fn, fs = field.kinds(), field.num, field.strings()
        for idx in np.ndindex(batch):
            def at(a):
                return a[tuple(i if a.shape[d] > 1 else 0 for d, i in enumerate(idx))]
            dbi = (at(db.kinds()), at(db.num), at(db.strings()))
            cri = (at(cr.kinds()), at(cr.num), at(cr.strings()))
            k0 = int(at(fk)[0, 0])
            f = (k0, at(fs)[0, 0] if k0 == STR else float(at(fn)[0, 0]))
            with np.errstate(all="ignore"):
                out = _evaluate(dbi, f, cri, system, reduce)
            if isinstance(out, float) and not math.isfinite(out):
                out = E_NUM
            if isinstance(out, tuple):
                kind[idx], num[idx], obj[idx] = out
            elif isinstance(out, int):
                kind[idx] = out
            else:
                num[idx] = out
        has_text = (kind == STR).any()
        return Arr(num, kind, obj if has_text else None)
    impl.__doc__ = doc
    return impl


def _evaluate(db, field, crit, system, reduce):
    dk, dn, ds = db
    if dk.shape[0] < 2:
        return E_VALUE
    col, code = _column(field, _labels(dk[0], dn[0], ds[0]))
    if code:
        return code
    met = _matching(db, crit, system)
    if isinstance(met, int):
        return met
    return reduce(dk[1:, col][met], dn[1:, col][met], ds[1:, col][met])


def _numbers(kind, num):
    bad = kind >= ERR_BASE
    if bad.any():
        return int(kind[bad][0])
    return num[kind == NUM]


def _with_numbers(fn):
    def reduce(kind, num, text):
        x = _numbers(kind, num)
        return x if isinstance(x, int) else fn(x)
    return reduce


def _sum(x: np.ndarray) -> float:
    return line_sum(x)


def _variance(ddof: int, root: bool):
    def fn(x: np.ndarray):
        if x.size <= ddof:
            return E_DIV0
        d = x - _sum(x) / x.size
        v = _sum(d * d) / (x.size - ddof)
        return math.sqrt(v) if root else v
    return fn


def _dget(kind, num, text):
    if kind.size == 0:
        return E_VALUE
    if kind.size > 1:
        return E_NUM
    k = int(kind[0])
    if k == BLANK:
        return (NUM, 0.0, None)
    return (k, float(num[0]) if k in (NUM, BOOL) else 0.0, text[0] if k == STR else None)


_FUNCTIONS = {
    "DSUM": (_with_numbers(_sum), "The sum of the field's numbers in the matching records."),
    "DAVERAGE": (_with_numbers(lambda x: _sum(x) / x.size if x.size else E_DIV0),
                 "The mean of the field's numbers in the matching records; none: #DIV/0!."),
    "DCOUNT": (lambda k, n, t: float(np.count_nonzero(k == NUM)),
               "How many of the matching records hold a number in the field."),
    "DCOUNTA": (lambda k, n, t: float(np.count_nonzero(k != BLANK)),
                "How many of the matching records hold anything in the field."),
    "DMAX": (_with_numbers(lambda x: float(x.max()) if x.size else 0.0),
             "The largest of the field's numbers in the matching records; none: 0."),
    "DMIN": (_with_numbers(lambda x: float(x.min()) if x.size else 0.0),
             "The smallest of the field's numbers in the matching records; none: 0."),
    "DPRODUCT": (_with_numbers(lambda x: float(np.cumprod(x)[-1]) if x.size else 0.0),
                 "The product of the field's numbers in the matching records; none: 0."),
    "DSTDEV": (_with_numbers(_variance(1, True)), "The sample standard deviation of the field's numbers."),
    "DSTDEVP": (_with_numbers(_variance(0, True)), "The population standard deviation of the field's numbers."),
    "DVAR": (_with_numbers(_variance(1, False)), "The sample variance of the field's numbers."),
    "DVARP": (_with_numbers(_variance(0, False)), "The population variance of the field's numbers."),
    "DGET": (_dget, "The field of the one matching record; none: #VALUE!, more than one: #NUM!."),
}
for _name, (_reduce, _doc) in _FUNCTIONS.items():
    function(_name, category=DATABASE, args=ARGS)(_database_function(_reduce, _doc))
