"""Financial: bonds with an odd (short or long) first or last coupon period
-- ODDFPRICE, ODDFYIELD, ODDLPRICE, ODDLYIELD.

The formulas are Excel's (its documentation's, with the conventions of
financial_daycount.py): the odd period is cut into quasi-coupon periods of
12/frequency months, each counted as the fraction of a normal period
(NL: its actual length with actual/actual, the coupon period E otherwise)
that it covers.  Yields are the price functions solved for the yield.
"""

from __future__ import annotations

import math

from .financial_daycount import (Basis, Day, basis_argument, coupon_count, coupon_dates, date_argument, days_360_us,
                                 frequency_argument, number_argument, require, security, step_dates)
from .financial_securities import solve_yield

ACTUAL_ACTUAL = 1


def _nonnegative_days(basis: Basis, a: Day, b: Day) -> float:
    return max(basis.days(a, b), 0.0)


def _quasi_coupons(first: Day, settlement: Day, months: int) -> float:
    """Whole quasi-coupon periods from settlement to the first coupon, on the
    schedule of the first coupon's day of month (month ends kept)."""
    month_end = first.month_end
    if not month_end and first.m != 2 and first.d > 28:     # a 29th or 30th short of the month end
        month_end = settlement.month_end
    start = settlement.add_months(0, month_end)
    count = 1.0 if settlement < start else 0.0
    front = start.add_months(months, month_end)
    while front < first:
        front = front.add_months(months, month_end)
        count += 1
    return count


def odd_first_price(settlement: Day, maturity: Day, issue: Day, first: Day, rate: float, yld: float,
                    redemption: float, frequency: int, basis: Basis) -> float:
    m = frequency
    months = 12 // m
    e = basis.coupon_days(settlement, first, m)
    coupon = 100 * rate / m
    base = 1 + yld / m
    dfc = _nonnegative_days(basis, issue, first)
    if dfc < e:                                   # a short first period
        n = coupon_count(settlement, maturity, m)
        dsc = _nonnegative_days(basis, settlement, first)
        a = _nonnegative_days(basis, issue, settlement)
        y = dsc / e
        price = redemption / math.pow(base, n - 1 + y) + coupon * dfc / e / math.pow(base, y)
        for k in range(2, int(n) + 1):
            price += coupon / math.pow(base, k - 1 + y)
        return price - a / e * coupon
    # a long first period: its quasi-coupon periods, latest first
    periods = coupon_count(issue, first, m)
    late = first
    dcnl = anl = 0.0
    for index in range(int(periods), 0, -1):
        early = late.add_months(-months)
        nl = _nonnegative_days(basis, early, late) if basis.basis == ACTUAL_ACTUAL else e
        dci = nl if index > 1 else _nonnegative_days(basis, issue, late)
        a = _nonnegative_days(basis, max(issue, early), min(settlement, late))
        dcnl += dci / nl
        anl += a / nl
        late = early
    if basis.basis in (2, 3):
        dsc = _nonnegative_days(basis, settlement, coupon_dates(settlement, first, m)[1])
    else:
        dsc = e - basis.days(coupon_dates(settlement, first, m)[0], settlement)
    nq = _quasi_coupons(first, settlement, months)
    n = coupon_count(first, maturity, m)
    y = dsc / e
    price = redemption / math.pow(base, y + nq + n) + coupon * dcnl / math.pow(base, nq + y)
    for k in range(1, int(n) + 1):
        price += coupon / math.pow(base, k + nq + y)
    return price - coupon * anl


ODDF_ARGS = ("settlement: any, maturity: any, issue: any, first_coupon: any, rate: any, {}: any, "
             "redemption: any, frequency: any, [basis: any]")


def _odd_first_arguments(system, settlement, maturity, issue, first_coupon, rate, second, redemption, frequency,
                         basis):
    s, m = Day(date_argument(settlement, system), system), Day(date_argument(maturity, system), system)
    i, first = Day(date_argument(issue, system), system), Day(date_argument(first_coupon, system), system)
    r, x, red = number_argument(rate), number_argument(second), number_argument(redemption)
    f = frequency_argument(frequency)
    b = Basis(basis_argument(basis))
    require(m > first > s > i and r >= 0 and x >= 0 and red > 0)
    return s, m, i, first, r, x, red, f, b


@security("ODDFPRICE", args=ODDF_ARGS.format("yld"))
def ODDFPRICE(system, settlement, maturity, issue, first_coupon, rate, yld, redemption, frequency, basis=None):
    """ODDFPRICE(settlement, maturity, issue, first_coupon, rate, yld,
    redemption, frequency, [basis]): the price per 100 of a bond with an odd
    first period; needs maturity > first_coupon > settlement > issue, and the
    first coupon on maturity's schedule (#NUM! otherwise)."""
    s, m, i, first, r, y, red, f, b = _odd_first_arguments(system, settlement, maturity, issue, first_coupon, rate,
                                                           yld, redemption, frequency, basis)
    months = 12 // f
    month_end = m.month_end
    pcd, _ = step_dates(m.add_months(-months, month_end), first, -months, month_end)
    require(pcd == first)
    return odd_first_price(s, m, i, first, r, y, red, f, b)


@security("ODDFYIELD", args=ODDF_ARGS.format("pr"))
def ODDFYIELD(system, settlement, maturity, issue, first_coupon, rate, pr, redemption, frequency, basis=None):
    """ODDFYIELD(...): the yield at which ODDFPRICE is pr."""
    s, m, i, first, r, p, red, f, b = _odd_first_arguments(system, settlement, maturity, issue, first_coupon, rate,
                                                           pr, redemption, frequency, basis)
    require(p > 0)
    years = b.days(s, m)
    excess = p - 100
    guess = (r * years * 100 - excess) / (excess / 4 + years * excess / 2 + years * 100)
    return solve_yield(lambda yld: odd_first_price(s, m, i, first, r, yld, red, f, b), p, guess)


def _odd_last_sums(settlement: Day, maturity: Day, last: Day, frequency: int, basis: Basis):
    """Over the quasi-coupon periods from the last interest date to maturity:
    sums of (days in the odd period, days accrued, days to maturity) / NL."""
    months = 12 // frequency
    periods = coupon_count(last, maturity, frequency)

    def days(a: Day, b: Day) -> float:
        if basis.basis == 0:
            return max(float(days_360_us(a, b, both=True)), 0.0)
        return _nonnegative_days(basis, a, b)

    early = last
    dcnl = anl = dscnl = 0.0
    for index in range(1, int(periods) + 1):
        late = early.add_months(months)
        nl = days(early, late)
        dci = nl if index < periods else days(early, maturity)
        if late < settlement:
            a = dci
        elif early < settlement:
            a = _nonnegative_days(basis, early, settlement)
        else:
            a = 0.0
        dsc = _nonnegative_days(basis, max(settlement, early), min(maturity, late))
        dcnl += dci / nl
        anl += a / nl
        dscnl += dsc / nl
        early = late
    return dcnl, anl, dscnl


ODDL_ARGS = "settlement: any, maturity: any, last_interest: any, rate: any, {}: any, redemption: any, " \
            "frequency: any, [basis: any]"


def _odd_last_arguments(system, settlement, maturity, last_interest, rate, second, redemption, frequency, basis):
    s, m = Day(date_argument(settlement, system), system), Day(date_argument(maturity, system), system)
    last = Day(date_argument(last_interest, system), system)
    r, x, red = number_argument(rate), number_argument(second), number_argument(redemption)
    f = frequency_argument(frequency)
    b = Basis(basis_argument(basis))
    require(m > s > last and r >= 0 and x >= 0 and red > 0)
    return s, m, last, r, x, red, f, b


@security("ODDLPRICE", args=ODDL_ARGS.format("yld"))
def ODDLPRICE(system, settlement, maturity, last_interest, rate, yld, redemption, frequency, basis=None):
    """ODDLPRICE(settlement, maturity, last_interest, rate, yld, redemption,
    frequency, [basis]): the price per 100 of a bond with an odd last period."""
    s, m, last, r, y, red, f, b = _odd_last_arguments(system, settlement, maturity, last_interest, rate, yld,
                                                      redemption, frequency, basis)
    dcnl, anl, dscnl = _odd_last_sums(s, m, last, f, b)
    coupon = 100 * r / f
    return (dcnl * coupon + red) / (dscnl * y / f + 1) - anl * coupon


@security("ODDLYIELD", args=ODDL_ARGS.format("pr"))
def ODDLYIELD(system, settlement, maturity, last_interest, rate, pr, redemption, frequency, basis=None):
    """ODDLYIELD(...): the yield of a bond with an odd last period (in closed form)."""
    s, m, last, r, p, red, f, b = _odd_last_arguments(system, settlement, maturity, last_interest, rate, pr,
                                                      redemption, frequency, basis)
    require(p > 0)
    dcnl, anl, dscnl = _odd_last_sums(s, m, last, f, b)
    coupon = 100 * r / f
    invested = anl * coupon + p
    return (dcnl * coupon + red - invested) / invested * f / dscnl
