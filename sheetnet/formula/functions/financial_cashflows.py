"""Financial: series of cash flows -- NPV, IRR, MIRR, XNPV, XIRR, FVSCHEDULE.

NPV discounts its values from the end of the first period (value i at
(1+rate)^i); IRR is NPV's root counted from period 0.  Values in ranges and
arrays follow the aggregate rule (only numbers count: text, booleans and
empty cells are skipped, not read as 0); XNPV and XIRR instead need every
value and date to be a number.

IRR and XIRR solve by Newton's method from the guess (0.1 by default);
IRR's guess must exceed -1 (#VALUE!), and values all of one sign have no
rate (#NUM!).  NPV has a torch form: a Solver model may vary its rate or
its cash flows.
"""

from __future__ import annotations

import math

import numpy as np

from ...errors import ExcelError
from ...store import NUM
from ..values import E_DIV0, Arr, numbers, numeric_result, seq_sum
from .aggregate import collect
from .per_call import Whole, per_call
from .registry import Category, function
from .torchforms import TorchUnsupported
from .workbook_dates import NUM_ERROR, VALUE_ERROR

FINANCIAL = Category.FINANCIAL
DIV0_ERROR = ExcelError("#DIV/0!")


# --- NPV ----------------------------------------------------------------------------------

def _npv_torch(rate, *flows):
    import torch
    r = rate.t
    if rate.kind is not None:
        raise TorchUnsupported("NPV's rate is not a number")
    values, counted = [], []
    for v in flows:
        flat = v.t.reshape(v.t.shape[:-2] + (-1,))
        mask = torch.ones_like(flat) if v.kind is None else \
            torch.from_numpy((np.asarray(v.kind) == NUM).reshape(np.shape(v.kind)[:-2] + (-1,)).astype(np.float64))
        values.append(flat)
        counted.append(mask.expand_as(flat).to(flat.dtype))
    batch = torch.broadcast_shapes(r.shape[:-2], *(x.shape[:-1] for x in values))
    values = torch.cat([x.expand(batch + x.shape[-1:]) for x in values], dim=-1)
    counted = torch.cat([m.expand(batch + m.shape[-1:]) for m in counted], dim=-1)
    periods = torch.cumsum(counted, dim=-1)
    base = (1 + r).reshape(batch + (1,)) if r.dim() > 2 else (1 + r).reshape((1,) * len(batch) + (1,))
    total = (counted * values / base ** periods).sum(dim=-1)
    return total[..., None, None], None


@function("NPV", category=FINANCIAL, args="rate: number, value: numbers, [value: numbers]...", torch=_npv_torch)
def NPV(ctx, rate, *flows) -> Arr:
    """NPV(rate, value1, ...) = sum of value_i / (1+rate)^i over the values
    that count (numbers; text, booleans and empty cells in ranges skipped);
    rate -1 is #DIV/0!; an error in the rate or any value propagates."""
    r, rate_err = numbers(rate)
    c = collect(ctx, flows)
    periods = np.cumsum(c.counts, axis=-1)
    r_flat = r.reshape(r.shape[:-2] + (1,))
    with np.errstate(all="ignore"):
        terms = np.where(c.counts, c.num / np.power(1 + r_flat, periods), 0.0)
        total = seq_sum(terms)[..., None, None]
    err = c.first_error()
    if rate_err is not None:
        err = rate_err if err is None else np.where(rate_err != 0, rate_err, err)
    divide = (r == -1)
    if divide.any():
        code = np.where(divide, E_DIV0, 0).astype(np.uint8)
        err = code if err is None else np.where(err != 0, err, code)
    return numeric_result(total, err)


# --- reading whole arguments ----------------------------------------------------------------

def _counted_numbers(arguments):
    """The numbers of the arguments by the aggregate rule, or the first error."""
    out = []
    for a in arguments:
        values = a.values if isinstance(a, Whole) else (a,)
        for v in values:
            if isinstance(v, ExcelError):
                return v
            if isinstance(v, float):
                out.append(v)
            elif not (isinstance(a, Whole) and a.from_range) and v is not None:
                return VALUE_ERROR          # a typed-in non-number (the range rule skips it)
    return out


def _strict_numbers(whole: Whole, not_number: ExcelError, empty_is_zero: bool = False):
    """Every value must be a number (XNPV, XIRR): the first error, or `not_number`."""
    out = []
    for v in whole.values:
        if isinstance(v, ExcelError):
            return v
        if v is None and empty_is_zero:
            v = 0.0
        if not isinstance(v, float):
            return not_number
        out.append(v)
    return out


# --- solving for a rate --------------------------------------------------------------------
#
# Excel documents IRR and XIRR as Newton iterations from the guess.  Its
# cached values show where it lands: IRR(-20,5,5,-10,5) is -0.4489 although
# Newton on NPV from 0.1 jumps below -100 %, and IRR's values match Newton on
# the same equation multiplied out, sum v_i (1+r)^(n-i) = 0, there.  So: Newton
# on NPV from the guess; then Newton on the multiplied-out form; then, where
# neither converges above -100 %, the root nearest the guess bracketed on a
# grid and bisected (XIRR -0.9977 for flows that need it).  Excel stops
# short of the root (its documented accuracy is 1E-7 for IRR, 1E-8 for
# XIRR); sheetnet returns the root to 1E-10.  Excel's XIRR is in fact no
# Newton iteration: its cached results lie on bisection lattices (the same
# multiple of 2^-28 from the guesses 1 and 0.1), 1E-9..2E-8 off the root --
# not reproduced (no bracket and stopping rule tried matched them exactly).

NEWTON_ITERATIONS = 100
RATE_TOLERANCE = 1e-10


def _newton(f_df, start: float, to_rate=lambda x: x):
    """A root by Newton's method on f_df(x) -> (f, f') from x = start, as a
    rate (to_rate(x) > -1), or None."""
    x = start
    for _ in range(NEWTON_ITERATIONS):
        try:
            f, df = f_df(x)
            step = f / df
        except (ArithmeticError, ValueError):
            return None
        x -= step
        if not math.isfinite(x):
            return None
        r = to_rate(x)
        if r <= -1 or not math.isfinite(r):
            return None
        if abs(step) <= RATE_TOLERANCE * max(1.0, abs(x)):
            return r
    return None


# a grid of rates to bracket a root on: towards -100 % and towards large rates
_GRID = sorted({-1 + 10.0 ** -k for k in range(1, 13)} | {k / 20 for k in range(-19, 41)} |
               {2.0 ** k for k in range(1, 21)})


def _bracketed(f, guess: float):
    """The root of f nearest the guess among the grid's sign changes, or None."""
    from scipy.optimize import brentq
    values = []
    for r in _GRID:
        try:
            values.append((r, f(r)))
        except (ArithmeticError, ValueError):
            continue
    roots = []
    for (a, fa), (b, fb) in zip(values, values[1:]):
        if math.isfinite(fa) and math.isfinite(fb) and (fa == 0 or fa * fb < 0):
            roots.append(a if fa == 0 else brentq(f, a, b, xtol=1e-15, rtol=1e-15, maxiter=500))
    return min(roots, key=lambda r: abs(r - guess)) if roots else None


def solve_rate(f_df, guess: float, alternatives=()):
    """The rate where f is 0: Newton from the guess on f_df, on each
    alternative (f_df, start, to_rate) in turn, then a bracketed root."""
    r = _newton(f_df, guess)
    for alt_f_df, start, to_rate in alternatives:
        if r is None:
            r = _newton(alt_f_df, start, to_rate)
    if r is None:
        r = _bracketed(lambda x: f_df(x)[0], guess)
    return r


def _has_both_signs(flows) -> bool:
    return any(v > 0 for v in flows) and any(v < 0 for v in flows)


# --- IRR ------------------------------------------------------------------------------------

def _irr_npv(flows: list[float]):
    """NPV from period 0 and its derivative in r."""
    def f_df(r: float):
        x = 1 / (1 + r)
        f = df = 0.0
        power = 1.0
        for i, v in enumerate(flows):
            f += v * power
            df -= i * v * power * x
            power *= x
        return f, df
    return f_df


def _irr_future(flows: list[float]):
    """The same equation times (1+r)^n, sum v_i (1+r)^(n-i), in x = 1 + r (Horner)."""
    def f_df(x: float):
        f = df = 0.0
        for v in flows:
            df = df * x + f
            f = f * x + v
        return f, df
    return f_df


@per_call("IRR", category=FINANCIAL, args="values: reference, [guess: number = 0.1]")
def IRR(values: Whole, guess: float = 0.1):
    """IRR(values, [guess]): the rate at which the values' NPV (from period
    0) is 0; only numbers count; guess <= -1 is #VALUE!; no sign change, or
    no root above -100 %, is #NUM!."""
    if isinstance(guess, ExcelError):
        return guess
    flows = _counted_numbers([values])
    if isinstance(flows, ExcelError):
        return flows
    if guess <= -1:
        return VALUE_ERROR
    if not _has_both_signs(flows):
        return NUM_ERROR
    r = solve_rate(_irr_npv(flows), guess, [(_irr_future(flows), 1 + guess, lambda x: x - 1)])
    return NUM_ERROR if r is None else r


# --- MIRR -----------------------------------------------------------------------------------

@per_call("MIRR", category=FINANCIAL, args="values: reference, finance_rate: number, reinvest_rate: number")
def MIRR(values: Whole, finance_rate: float, reinvest_rate: float):
    """MIRR(values, finance_rate, reinvest_rate): negative flows discounted at
    the finance rate, positive ones compounded at the reinvestment rate:
    (-FV(positives) / PV(negatives))^(1/(n-1)) - 1; #DIV/0! without a
    negative flow, -1 without a positive one."""
    for x in (finance_rate, reinvest_rate):
        if isinstance(x, ExcelError):
            return x
    flows = _counted_numbers([values])
    if isinstance(flows, ExcelError):
        return flows
    n = len(flows)
    if not any(v < 0 for v in flows) or n < 2:
        return DIV0_ERROR
    positive = negative = 0.0
    for i, v in enumerate(flows):
        if v > 0:
            positive += v * math.pow(1 + reinvest_rate, n - 1 - i)
        elif v < 0:
            negative += v / math.pow(1 + finance_rate, i)
    return math.pow(-positive / negative, 1 / (n - 1)) - 1


# --- XNPV, XIRR -----------------------------------------------------------------------------

DAYS_PER_YEAR = 365


def _dated_flows(values: Whole, dates: Whole, not_number: ExcelError, empty_is_zero: bool = False):
    flows = _strict_numbers(values, not_number, empty_is_zero)
    if isinstance(flows, ExcelError):
        return flows
    days = _strict_numbers(dates, not_number)
    if isinstance(days, ExcelError):
        return days
    if len(flows) != len(days):
        return NUM_ERROR
    days = [math.trunc(d) for d in days]
    if any(d < 0 for d in days) or any(d < days[0] for d in days):
        return NUM_ERROR
    return flows, [(d - days[0]) / DAYS_PER_YEAR for d in days]


def _xnpv(r: float, flows, years) -> float:
    return sum(v / math.pow(1 + r, t) for v, t in zip(flows, years))


@per_call("XNPV", category=FINANCIAL, args="rate: number, values: reference, dates: reference")
def XNPV(rate: float, values: Whole, dates: Whole):
    """XNPV(rate, values, dates) = sum of value_i / (1+rate)^((date_i - date_1)/365);
    every value and date must be a number (#NUM! otherwise, or for a date
    before the first one, or counts that differ, or a negative rate); dates
    are truncated."""
    if isinstance(rate, ExcelError):
        return rate
    dated = _dated_flows(values, dates, NUM_ERROR)
    if isinstance(dated, ExcelError):
        return dated
    if rate < 0:
        return NUM_ERROR                # Excel: XNPV(-0.3, ...) is #NUM!
    return _xnpv(rate, *dated)


@per_call("XIRR", category=FINANCIAL, args="values: reference, dates: reference, [guess: number = 0.1]")
def XIRR(values: Whole, dates: Whole, guess: float = 0.1):
    """XIRR(values, dates, [guess]): the rate at which XNPV is 0; empty cells
    among the values are 0, other non-numbers #VALUE!; no sign change, or no
    root above -100 %, #NUM!."""
    if isinstance(guess, ExcelError):
        return guess
    dated = _dated_flows(values, dates, VALUE_ERROR, empty_is_zero=True)
    if isinstance(dated, ExcelError):
        return dated
    flows, years = dated
    if guess <= -1:
        return VALUE_ERROR
    if not _has_both_signs(flows):
        return NUM_ERROR

    def f_df(r: float):
        f = df = 0.0
        for v, t in zip(flows, years):
            d = math.pow(1 + r, t)
            f += v / d
            df -= t * v / (d * (1 + r))
        return f, df

    def in_log(x: float):       # the same in x = ln(1 + r): never crosses -100 %
        f = df = 0.0
        for v, t in zip(flows, years):
            e = v * math.exp(-x * t)
            f += e
            df -= t * e
        return f, df

    r = solve_rate(f_df, guess, [(in_log, math.log1p(guess), math.expm1)])
    return NUM_ERROR if r is None else r


# --- FVSCHEDULE -----------------------------------------------------------------------------

@per_call("FVSCHEDULE", category=FINANCIAL, args="principal: number, schedule: reference")
def FVSCHEDULE(principal: float, schedule: Whole):
    """FVSCHEDULE(principal, schedule) = principal * product of (1 + rate_i);
    empty cells in the schedule are 0 %, text is #VALUE!."""
    if isinstance(principal, ExcelError):
        return principal
    total = principal
    for v in schedule.values:
        if isinstance(v, ExcelError):
            return v
        if v is None:
            continue
        if not isinstance(v, float):
            return VALUE_ERROR
        total *= 1 + v
    return total
