"""Statistical: spread and shape of a sample -- VAR/STDEV in every form
(.S/.P, the legacy names, the A forms), AVEDEV, DEVSQ, KURT, SKEW, SKEW.P,
GEOMEAN, HARMEAN, STANDARDIZE.

The variance family is vectorised over a batch (two passes: the mean, then
squared deviations from it, each summed left to right) and has scalar and
torch forms, so a Solver model may differentiate through STDEV.  The A forms
read text and booleans in ranges (samples.a_rule) and have no torch form:
the replay's masks follow the aggregate rule.
"""

from __future__ import annotations

import math

import numpy as np

from ..values import E_DIV0, Arr, numeric_result
from .registry import Category, elementwise, function
from .samples import a_rule, collect, line_sum, moments, per_sample

STATISTICAL = Category.STATISTICAL
VALUES = "number: numbers, [number: numbers]..."


def _cat_parts(parts):
    """The (values, counts) parts of an aggregate's torch form as one pair of
    tensors (batch dimensions broadcast)."""
    import torch
    batch = torch.broadcast_shapes(*(t.shape[:-1] for t, _ in parts))
    ts = [t.expand(*batch, t.shape[-1]) for t, _ in parts]
    ms = [m.expand(*batch, m.shape[-1]) for _, m in parts]
    return torch.cat(ts, dim=-1), torch.cat(ms, dim=-1)


def _variance(ddof: int, root: bool, a: bool):
    def impl(ctx, *args) -> Arr:
        c = collect(ctx, args)
        if a:
            c = a_rule(c)
        n, _, ss = moments(c)
        with np.errstate(all="ignore"):
            v = ss / (n - ddof)
            if root:
                v = np.sqrt(v)
        err = np.where(n - ddof <= 0, E_DIV0, 0).astype(np.uint8)[..., None, None]
        first = c.first_error()
        if first is not None:
            err = np.where(first != 0, first, err).astype(np.uint8)
        return numeric_result(v[..., None, None], err)

    def scalar(values: list[float]) -> float:
        n = len(values)
        mean = 0.0
        for x in values:                          # left to right, as the batch form
            mean += x
        mean = mean / n if n else 0.0
        total = 0.0
        for x in values:
            total += (x - mean) * (x - mean)
        v = total / (n - ddof) if n > ddof else 1 / 0
        return math.sqrt(v) if root else v

    def torch_form(parts):
        t, m = _cat_parts(parts)
        n = m.sum(dim=-1)
        mean = (t * m).sum(dim=-1) / n
        dev = (t - mean[..., None]) * m
        v = (dev * dev).sum(dim=-1) / (n - ddof)
        return v.sqrt() if root else v

    what = ("standard deviation" if root else "variance") + (" of a population" if ddof == 0 else
                                                             " of a sample")
    impl.__doc__ = (f"The {what}" + ("; in ranges text counts as 0 and booleans as 0/1" if a else "")
                    + f"; fewer than {ddof + 1} values: #DIV/0!.")
    return impl, scalar, (None if a else torch_form)


def _register(names, prefix, ddof, root, a=False):
    impl, scalar, torch_form = _variance(ddof, root, a)
    function(*names, category=STATISTICAL, args=VALUES, prefix=prefix, scalar=scalar, torch=torch_form)(impl)


_register(["STDEV"], "", 1, True)
_register(["STDEV.S"], "_xlfn.", 1, True)
_register(["STDEVP"], "", 0, True)
_register(["STDEV.P"], "_xlfn.", 0, True)
_register(["VAR"], "", 1, False)
_register(["VAR.S"], "_xlfn.", 1, False)
_register(["VARP"], "", 0, False)
_register(["VAR.P"], "_xlfn.", 0, False)
_register(["STDEVA"], "", 1, True, a=True)
_register(["STDEVPA"], "", 0, True, a=True)
_register(["VARA"], "", 1, False, a=True)
_register(["VARPA"], "", 0, False, a=True)


# --- deviations and shape ----------------------------------------------------------------

def _mean(x: np.ndarray) -> float:
    return line_sum(x) / x.size


def _devsq(x: np.ndarray) -> float:
    if x.size == 0:
        raise ValueError("no numbers")
    d = x - _mean(x)
    return line_sum(d * d)


def _avedev(x: np.ndarray) -> float:
    if x.size == 0:
        raise ValueError("no numbers")
    return line_sum(np.abs(x - _mean(x))) / x.size


def _standardised_powers(x: np.ndarray, ddof: int, power: int) -> float:
    """sum(((x - mean) / sd) ** power) with the sample (ddof 1) or population sd."""
    n = x.size
    d = x - _mean(x)
    var = line_sum(d * d) / (n - ddof)
    if var == 0:
        raise ZeroDivisionError
    z = d / math.sqrt(var)
    return line_sum(z ** power)


def _skew(x: np.ndarray) -> float:
    n = x.size
    if n < 3:
        raise ZeroDivisionError
    return n / ((n - 1) * (n - 2)) * _standardised_powers(x, 1, 3)


def _skew_p(x: np.ndarray) -> float:
    if x.size < 1:
        raise ZeroDivisionError
    return _standardised_powers(x, 0, 3) / x.size


def _kurt(x: np.ndarray) -> float:
    n = x.size
    if n < 4:
        raise ZeroDivisionError
    s4 = _standardised_powers(x, 1, 4)
    return n * (n + 1) / ((n - 1) * (n - 2) * (n - 3)) * s4 - 3 * (n - 1) ** 2 / ((n - 2) * (n - 3))


def _geomean(x: np.ndarray) -> float:
    if x.size == 0 or (x <= 0).any():
        raise ValueError("GEOMEAN needs positive numbers")
    return math.exp(line_sum(np.log(x)) / x.size)


def _harmean(x: np.ndarray) -> float:
    if x.size == 0 or (x <= 0).any():
        raise ValueError("HARMEAN needs positive numbers")
    with np.errstate(over="ignore"):
        total = line_sum(1.0 / x)
    if not math.isfinite(total):        # the reciprocal of a subnormal overflows: #NUM!, as Excel
        raise ValueError("HARMEAN: a reciprocal overflows")
    return x.size / total


def _sample_function(name: str, fn, doc: str, prefix: str = "", scalar=None, torch=None):
    def impl(ctx, *args) -> Arr:
        return per_sample(collect(ctx, args), fn)
    impl.__doc__ = doc
    function(name, category=STATISTICAL, args=VALUES, prefix=prefix, scalar=scalar, torch=torch)(impl)


def _devsq_torch(parts):
    t, m = _cat_parts(parts)
    mean = (t * m).sum(dim=-1) / m.sum(dim=-1)
    dev = (t - mean[..., None]) * m
    return (dev * dev).sum(dim=-1)


def _avedev_torch(parts):
    t, m = _cat_parts(parts)
    n = m.sum(dim=-1)
    mean = (t * m).sum(dim=-1) / n
    return ((t - mean[..., None]).abs() * m).sum(dim=-1) / n


def _geomean_torch(parts):
    import torch
    t, m = _cat_parts(parts)
    safe = torch.where(m > 0, t, torch.ones_like(t))
    return torch.exp((safe.log() * m).sum(dim=-1) / m.sum(dim=-1))


def _harmean_torch(parts):
    import torch
    t, m = _cat_parts(parts)
    safe = torch.where(m > 0, t, torch.ones_like(t))
    return m.sum(dim=-1) / ((1.0 / safe) * m).sum(dim=-1)


def _array_scalar(fn):
    """An aggregate's scalar form from its numpy form of one sample."""
    return lambda values: fn(np.asarray(values, dtype=np.float64))


_sample_function("DEVSQ", _devsq, "The sum of squared deviations from the mean; no numbers: #NUM!.",
                 scalar=_array_scalar(_devsq), torch=_devsq_torch)
_sample_function("AVEDEV", _avedev, "The mean absolute deviation from the mean; no numbers: #NUM!.",
                 scalar=_array_scalar(_avedev), torch=_avedev_torch)
_sample_function("SKEW", _skew, "The sample skewness; fewer than 3 numbers or no spread: #DIV/0!.")
_sample_function("SKEW.P", _skew_p, "The population skewness; no spread: #DIV/0!.", prefix="_xlfn.")
_sample_function("KURT", _kurt, "The sample excess kurtosis; fewer than 4 numbers or no spread: #DIV/0!.")
_sample_function("GEOMEAN", _geomean, "The geometric mean; a number <= 0 (or none): #NUM!.",
                 scalar=_array_scalar(_geomean), torch=_geomean_torch)
_sample_function("HARMEAN", _harmean, "The harmonic mean; a number <= 0 (or none): #NUM!.",
                 scalar=_array_scalar(_harmean), torch=_harmean_torch)


@elementwise("STANDARDIZE", category=STATISTICAL, args="x: number, mean: number, standard_dev: number",
             numpy=lambda x, m, s: np.where(s > 0, (x - m) / np.where(s > 0, s, 1.0), np.nan),
             torch=lambda x, m, s: (x - m) / s)
def STANDARDIZE(x: float, mean: float, sd: float) -> float:
    """(x - mean) / standard_dev; standard_dev <= 0: #NUM!."""
    if sd <= 0:
        raise ValueError("standard_dev must be positive")
    return (x - mean) / sd

