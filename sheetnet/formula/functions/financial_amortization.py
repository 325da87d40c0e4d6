"""Financial: the French accounting system's depreciation -- AMORLINC
(linear) and AMORDEGRC (declining, with a coefficient set by the asset's
life).

Both prorate the first period: the days from purchase to the end of the
first period (counted by the basis, 0, 1, 3 or 4 -- actual/360 is #NUM!)
over the days of the purchase year (366 in a leap year with basis 1), a
29 February (or 28th) in a leap year with basis 1 or 3 counting as the
28th.  The asset's life is ceil(1/rate) periods, one more when the first
period is prorated; a period past it depreciates nothing.

No reference workbook uses these functions, so Excel's cached values cannot
decide their corners here: the rules below are those of the
ExcelFinancialFunctions library (fsprojects), built against Excel by trial
and error (as financial_daycount.py's are), and they give Microsoft's
documented examples (AMORDEGRC ... = 776, AMORLINC ... = 360).  LibreOffice's
AMORDEGRC differs (other coefficient bounds, no #NUM! for a life of 4..5).
"""

from __future__ import annotations

import math

from ...dates import DateSystem
from .financial_daycount import (Basis, Day, basis_argument, date_argument, number_argument, require, security)

ACTUAL_ACTUAL, ACTUAL_360, ACTUAL_365 = 1, 2, 3
AMOR_ARGS = ("cost: any, date_purchased: any, first_period: any, salvage: any, period: any, rate: any, "
             "[basis: any]")


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _round_half_away(x: float) -> float:
    """To a whole number, halves away from 0, after rounding to 13 digits
    (so 329.4999999999999 from a product rounds as 329.5 does)."""
    x = round(x, 13)
    return math.copysign(math.floor(abs(x) + 0.5), x)


def _first_period(cost: float, purchased: Day, first_end: Day, salvage: float, rate: float, life: float,
                  basis: int) -> tuple[float, float]:
    """(the first period's depreciation, the asset's life in periods): a
    prorated first period adds one period to the life; a first period of no
    days depreciates a whole period."""
    def feb_28(day: Day) -> Day:
        if basis in (ACTUAL_ACTUAL, ACTUAL_365) and _leap(day.y) and day.m == 2 and day.d >= 28:
            return Day.of(day.y, 2, 28, day.system)
        return day

    if basis == ACTUAL_ACTUAL:
        year_days = 366.0 if _leap(purchased.y) else 365.0
    else:
        year_days = 365.0 if basis == ACTUAL_365 else 360.0
    prorated = Basis(basis).days(feb_28(purchased), feb_28(first_end)) / year_days * rate * cost
    first = prorated if prorated != 0 else cost * rate
    return min(first, cost - salvage), (life if prorated == 0 else life + 1)


def _read(system: DateSystem, cost, purchased, first_end, salvage, period, rate, basis):
    c, s = number_argument(cost), number_argument(salvage)
    p, r = number_argument(period), number_argument(rate)
    bought, first = Day(date_argument(purchased, system), system), Day(date_argument(first_end, system), system)
    b = basis_argument(basis)
    require(c >= 0 and s >= 0 and s < c and p >= 0 and r >= 0 and bought < first and b != ACTUAL_360)
    return c, bought, first, s, p, r, b


def _life(rate: float) -> float:
    return math.inf if rate == 0 else math.ceil(1 / rate)


@security("AMORLINC", args=AMOR_ARGS)
def AMORLINC(system, cost, date_purchased, first_period, salvage, period, rate, basis=None):
    """AMORLINC(cost, date_purchased, first_period, salvage, period, rate,
    [basis]): cost*rate a period, the first period prorated, until the
    depreciable cost - salvage is spent (the last period takes the rest)."""
    c, bought, first_end, s, p, r, b = _read(system, cost, date_purchased, first_period, salvage, period, rate,
                                             basis)
    life = _life(r)
    if p > life:
        return 0.0
    first, _ = _first_period(c, bought, first_end, s, r, life, b)
    if p == 0:
        return first
    depreciation, available = r * c, c - s - first
    counted = 1.0
    while counted <= p:
        depreciation = min(depreciation, available)
        available = max(available - depreciation, 0.0)
        counted += 1
    return depreciation


def _coefficient(life: float) -> float:
    """The declining coefficient of an asset life of ceil(1/rate) periods."""
    if 3 <= life <= 4:
        return 1.5
    if 5 <= life <= 6:
        return 2.0
    return 2.5 if life > 6 else 1.0


@security("AMORDEGRC", args=AMOR_ARGS)
def AMORDEGRC(system, cost, date_purchased, first_period, salvage, period, rate, basis=None):
    """AMORDEGRC(cost, date_purchased, first_period, salvage, period, rate,
    [basis]): declining balance at rate times the coefficient (1.5 for a
    life of 3..4 periods, 2 for 5..6, 2.5 beyond), the first period
    prorated; the period before the last takes half the remaining value, the
    last all of it; rounded to whole units.  A life 1/rate of 0..3 or 4..5
    is #NUM!, as Microsoft documents."""
    c, bought, first_end, s, p, r, b = _read(system, cost, date_purchased, first_period, salvage, period, rate,
                                             basis)
    exact_life = math.inf if r == 0 else 1 / r
    require(not (0 <= exact_life <= 3) and not (4 <= exact_life <= 5))
    life = _life(r)
    if p > life:
        return 0.0
    rate_now = r * _coefficient(life)
    first, life = _first_period(c, bought, first_end, s, rate_now, life, b)
    first = _round_half_away(first)
    if p == 0:
        return first
    depreciation, remaining = 0.0, c - first
    counted = 1.0
    while counted <= p:
        counted += 1
        second_to_last = abs(life - counted - 2) < 1e-10
        step = remaining * 0.5 if second_to_last else rate_now * remaining
        if second_to_last:
            rate_now = 1.0
        depreciation = max(remaining - s, 0.0) if remaining < s else step
        remaining -= depreciation
    return _round_half_away(depreciation)
