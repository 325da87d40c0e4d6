"""Financial: the time value of money -- PV, FV, PMT, NPER, RATE, IPMT, PPMT,
CUMIPMT, CUMPRINC, ISPMT -- and the rate conversions NOMINAL, EFFECT,
PDURATION, RRI.  Cash flows (NPV, IRR ...) are in financial_cashflows.py,
depreciation in financial_depreciation.py, securities in
financial_securities.py and the coupon schedule in financial_coupons.py.

All follow Excel's sign convention (money paid out is negative) and its
annuity equation, for a rate r per period, n periods, payment p, present
value pv, future value fv and `type` t (0: payments at the end of each
period, anything else: at the start):

    pv (1+r)^n + p (1 + r t) ((1+r)^n - 1) / r + fv = 0     (r != 0)
    pv + p n + fv = 0                                        (r  = 0)

PV, FV and PMT have torch forms: a Solver model may vary the rate or the
number of periods through them.
"""

from __future__ import annotations

import math

from .registry import Category, elementwise
from .workbook_dates import NUM_ERROR

FINANCIAL = Category.FINANCIAL


def _when(t: float) -> float:
    """`type`: 0 for payments at the end of the period, 1 (any non-zero) at its start."""
    return 0.0 if t == 0 else 1.0


def _growth(r: float, n: float) -> float:
    """(1 + r)^n: #DIV/0! for 0 to a negative power, #NUM! for a negative base
    to a fractional one, as Excel's power."""
    if 1 + r == 0 and n < 0:
        raise ZeroDivisionError("0 to a negative power")
    return math.pow(1 + r, n)


def fv(r: float, n: float, p: float, pv: float = 0.0, t: float = 0.0) -> float:
    if r == 0:
        return -(pv + p * n)
    g = _growth(r, n)
    return -(pv * g + p * (1 + r * _when(t)) * (g - 1) / r)


def pv(r: float, n: float, p: float, fv_: float = 0.0, t: float = 0.0) -> float:
    if r == 0:
        return -(fv_ + p * n)
    g = _growth(r, n)
    return -(fv_ + p * (1 + r * _when(t)) * (g - 1) / r) / g


def pmt(r: float, n: float, pv_: float, fv_: float = 0.0, t: float = 0.0) -> float:
    if r == 0:
        return -(pv_ + fv_) / n
    g = _growth(r, n)
    return -(pv_ * g + fv_) * r / ((1 + r * _when(t)) * (g - 1))


# --- torch forms: the same equations on tensors --------------------------------------------

def _torch_args(args, defaults):
    import torch
    values = list(args) + [None] * (len(defaults) - len(args))
    ref = args[0]
    return [torch.as_tensor(d, dtype=ref.dtype) if v is None else v for v, d in zip(values, defaults)]


def _torch_growth(r, n):
    """(1+r)^n, with r = 0 kept apart so that its gradient stays finite."""
    import torch
    safe = torch.where(r == 0, torch.ones_like(r), r)
    return safe, torch.where(r == 0, torch.ones_like(r), (1 + safe) ** n)


def _torch_payments(p, r, safe, g, n, t):
    """p (1 + r t)((1+r)^n - 1)/r (p n where r = 0), multiplied left to right
    as the numpy form does: p * (1 + r t) first, so that a zero payment stays
    0 even where (1 + r t)((1+r)^n - 1) overflows."""
    import torch
    return torch.where(r == 0, p * n, p * (1 + safe * (t != 0)) * (g - 1) / safe)


def _fv_torch(*args):
    r, n, p, pv_, t = _torch_args(args, (0.0, 0.0, 0.0, 0.0, 0.0))
    safe, g = _torch_growth(r, n)
    return -(pv_ * g + _torch_payments(p, r, safe, g, n, t))


def _pv_torch(*args):
    r, n, p, fv_, t = _torch_args(args, (0.0, 0.0, 0.0, 0.0, 0.0))
    safe, g = _torch_growth(r, n)
    return -(fv_ + _torch_payments(p, r, safe, g, n, t)) / g


def _pmt_torch(*args):
    r, n, pv_, fv_, t = _torch_args(args, (0.0, 0.0, 0.0, 0.0, 0.0))
    safe, g = _torch_growth(r, n)
    import torch
    return torch.where(r == 0, -(pv_ + fv_) / n, -(pv_ * g + fv_) * safe / ((1 + safe * (t != 0)) * (g - 1)))


# --- the annuity ---------------------------------------------------------------------------

@elementwise("FV", category=FINANCIAL, torch=_fv_torch,
             args="rate: number, nper: number, pmt: number, [pv: number = 0], [type: number = 0]")
def FV(rate: float, nper: float, payment: float, present: float, when: float) -> float:
    """FV(rate, nper, pmt, [pv], [type]): the value after nper periods."""
    return fv(rate, nper, payment, present, when)


@elementwise("PV", category=FINANCIAL, torch=_pv_torch,
             args="rate: number, nper: number, pmt: number, [fv: number = 0], [type: number = 0]")
def PV(rate: float, nper: float, payment: float, future: float, when: float) -> float:
    """PV(rate, nper, pmt, [fv], [type]): the value now of the payments and fv."""
    return pv(rate, nper, payment, future, when)


@elementwise("PMT", category=FINANCIAL, torch=_pmt_torch,
             args="rate: number, nper: number, pv: number, [fv: number = 0], [type: number = 0]")
def PMT(rate: float, nper: float, present: float, future: float, when: float) -> float:
    """PMT(rate, nper, pv, [fv], [type]): the payment per period; nper 0 or a
    rate of -100 % or less is #NUM! (PV and FV take such rates)."""
    if nper == 0 or rate <= -1:
        return NUM_ERROR
    return pmt(rate, nper, present, future, when)


@elementwise("NPER", category=FINANCIAL,
             args="rate: number, pmt: number, pv: number, [fv: number = 0], [type: number = 0]")
def NPER(rate: float, payment: float, present: float, future: float, when: float) -> float:
    """NPER(rate, pmt, pv, [fv], [type]): the number of periods; #NUM! when
    no number of periods solves the equation (a logarithm of a negative)."""
    if rate == 0:
        if payment == 0:
            return NUM_ERROR
        return -(present + future) / payment
    t = _when(when)
    a = payment * (1 + rate * t) - future * rate
    b = payment * (1 + rate * t) + present * rate
    return math.log(a / b) / math.log(1 + rate)


# --- interest and principal of one period --------------------------------------------------

def _interest(r: float, per: float, n: float, pv_: float, fv_: float, t: float) -> float:
    """The interest part of payment `per` (1-based)."""
    p = pmt(r, n, pv_, fv_, t)
    if _when(t) and per == 1:
        return 0.0
    if _when(t):
        return (fv(r, per - 2, p, pv_, 1) - p) * r
    return fv(r, per - 1, p, pv_, 0) * r


def _period_checked(per: float, n: float) -> None:
    if per < 1 or per >= n + 1:
        raise ValueError("period outside 1 .. nper")


@elementwise("IPMT", category=FINANCIAL,
             args="rate: number, per: number, nper: number, pv: number, [fv: number = 0], [type: number = 0]")
def IPMT(rate: float, per: float, nper: float, present: float, future: float, when: float) -> float:
    """IPMT(rate, per, nper, pv, [fv], [type]): the interest in payment `per`."""
    _period_checked(per, nper)
    return _interest(rate, per, nper, present, future, when)


@elementwise("PPMT", category=FINANCIAL,
             args="rate: number, per: number, nper: number, pv: number, [fv: number = 0], [type: number = 0]")
def PPMT(rate: float, per: float, nper: float, present: float, future: float, when: float) -> float:
    """PPMT(rate, per, nper, pv, [fv], [type]) = PMT - IPMT."""
    _period_checked(per, nper)
    return pmt(rate, nper, present, future, when) - _interest(rate, per, nper, present, future, when)


def _principal_sum(r: float, n: float, p: float, t: float, start: int, end: int) -> float:
    """The principal repaid by payments start..end of a loan repaid to 0:
    payment k repays p (1+r)^-(n-k+1) (the whole first payment when payments
    are at the start), summed in closed form with expm1/log1p so that a
    stretch of tiny principal parts keeps its digits (p - interest, both
    near p, would not: CUMPRINC(0.7, 36, 8000, 2, 10, 1) is -0.00476)."""
    total = 0.0
    if t and start == 1:
        total, start = p, 2
    if start > end:
        return total
    growth = math.log1p(r)
    count = end - start + 1
    # sum of v^(n-k+1), k = start..end, v = 1/(1+r): v^(n-end+1) (1 - v^count) / (1 - v)
    first = math.exp(-(n - end + 1) * growth)
    return total + p * first * math.expm1(-count * growth) / math.expm1(-growth)


def _cumulative(rate: float, nper: float, present: float, start: float, end: float, when: float,
                principal: bool) -> float:
    start, end = math.ceil(start), math.trunc(end)
    if rate <= 0 or nper <= 0 or present <= 0 or start < 1 or end < start or end > nper or when not in (0, 1):
        raise ValueError("CUMIPMT/CUMPRINC arguments out of range")
    p = pmt(rate, nper, present, 0.0, when)
    repaid = _principal_sum(rate, nper, p, when, start, end)
    return repaid if principal else p * (end - start + 1) - repaid


@elementwise("CUMIPMT", category=FINANCIAL,
             args="rate: strict_number, nper: strict_number, pv: strict_number, start_period: strict_number, "
                  "end_period: strict_number, type: strict_number")
def CUMIPMT(rate, nper, present, start, end, when):
    """CUMIPMT(rate, nper, pv, start, end, type): interest paid from period
    start to end; rate, nper, pv > 0, 1 <= start <= end <= nper and type 0
    or 1, else #NUM!."""
    return _cumulative(rate, nper, present, start, end, when, False)


@elementwise("CUMPRINC", category=FINANCIAL,
             args="rate: strict_number, nper: strict_number, pv: strict_number, start_period: strict_number, "
                  "end_period: strict_number, type: strict_number")
def CUMPRINC(rate, nper, present, start, end, when):
    """CUMPRINC(rate, nper, pv, start, end, type): principal repaid from period start to end."""
    return _cumulative(rate, nper, present, start, end, when, True)


@elementwise("ISPMT", category=FINANCIAL, args="rate: number, per: number, nper: number, pv: number")
def ISPMT(rate: float, per: float, nper: float, present: float) -> float:
    """ISPMT(rate, per, nper, pv) = pv rate (per/nper - 1): the interest of a
    loan repaid in equal parts of principal (per counted from 0)."""
    return present * rate * (per / nper - 1)


# --- the rate -------------------------------------------------------------------------------

# Excel documents 20 iterations, but its cached values need more: RATE(300,
# -200, 8000) converges after 27 Newton steps from 0.1 and Excel finds it,
# RATE(3300, -200, 8000) needs 239 and Excel gives #NUM!.  50 (IronCalc's
# choice too) is consistent with both.  An iterate at or below -100 % ends in
# #NUM! (RATE(10, -1200, 2000) has its only roots there).
RATE_ITERATIONS = 50
RATE_TOLERANCE = 1e-7


@elementwise("RATE", category=FINANCIAL,
             args="nper: number, pmt: number, pv: number, [fv: number = 0], [type: number = 0], "
                  "[guess: number = 0.1]")
def RATE(nper: float, payment: float, present: float, future: float, when: float, guess: float) -> float:
    """RATE(nper, pmt, pv, [fv], [type], [guess]): the rate per period, by
    Newton's method on the annuity equation from `guess`, until a step is
    below 1E-7; #NUM! when that does not happen within 50 steps."""
    t = _when(when)
    r = guess
    for _ in range(RATE_ITERATIONS):
        if r == 0:
            f = present + payment * nper + future
            df = present * nper + payment * (nper * (nper - 1) / 2 + t * nper)   # d/dr at 0
        else:
            g = _growth(r, nper)
            dg = nper * _growth(r, nper - 1)
            f = present * g + payment * (1 + r * t) * (g - 1) / r + future
            df = present * dg + payment * (t * (g - 1) / r + (1 + r * t) * (dg * r - (g - 1)) / (r * r))
        if df == 0:
            return NUM_ERROR
        step = f / df
        r -= step
        if r <= -1:
            return NUM_ERROR
        if abs(step) < RATE_TOLERANCE:
            return r
    return NUM_ERROR


# --- rate conversions -----------------------------------------------------------------------

@elementwise("EFFECT", category=FINANCIAL, args="nominal_rate: strict_number, npery: strict_number")
def EFFECT(nominal: float, npery: float) -> float:
    """EFFECT(nominal, npery) = (1 + nominal/npery)^npery - 1, npery truncated;
    nominal <= 0 or npery < 1 is #NUM!."""
    n = math.trunc(npery)
    if nominal <= 0 or n < 1:
        return NUM_ERROR
    return math.pow(1 + nominal / n, n) - 1


@elementwise("NOMINAL", category=FINANCIAL, args="effect_rate: strict_number, npery: strict_number")
def NOMINAL(effect: float, npery: float) -> float:
    """NOMINAL(effect, npery) = npery ((1 + effect)^(1/npery) - 1), the inverse of EFFECT."""
    n = math.trunc(npery)
    if effect <= 0 or n < 1:
        return NUM_ERROR
    return n * (math.pow(1 + effect, 1 / n) - 1)


@elementwise("PDURATION", category=FINANCIAL, prefix="_xlfn.", args="rate: number, pv: number, fv: number")
def PDURATION(rate: float, present: float, future: float) -> float:
    """PDURATION(rate, pv, fv) = (ln fv - ln pv) / ln(1 + rate): periods for
    pv to grow to fv; any argument <= 0 is #NUM!."""
    if rate <= 0 or present <= 0 or future <= 0:
        return NUM_ERROR
    return (math.log(future) - math.log(present)) / math.log(1 + rate)


@elementwise("RRI", category=FINANCIAL, prefix="_xlfn.", args="nper: number, pv: number, fv: number")
def RRI(nper: float, present: float, future: float) -> float:
    """RRI(nper, pv, fv) = (fv/pv)^(1/nper) - 1: the equivalent rate of
    growth; nper <= 0 or pv = 0 is #NUM!."""
    if nper <= 0 or present == 0:
        return NUM_ERROR
    return math.pow(future / present, 1 / nper) - 1
