"""Financial: depreciation of an asset -- SLN, SYD, DB, DDB, VDB.

cost, salvage and life describe the asset; period (or per) is the period
whose depreciation is wanted, in the same unit as life.
"""

from __future__ import annotations

import math

from .registry import Category, elementwise
from .workbook_dates import NUM_ERROR

FINANCIAL = Category.FINANCIAL


@elementwise("SLN", category=FINANCIAL, args="cost: number, salvage: number, life: number")
def SLN(cost: float, salvage: float, life: float) -> float:
    """SLN(cost, salvage, life) = (cost - salvage) / life: straight line."""
    return (cost - salvage) / life


@elementwise("SYD", category=FINANCIAL, args="cost: number, salvage: number, life: number, per: number")
def SYD(cost: float, salvage: float, life: float, per: float) -> float:
    """SYD(cost, salvage, life, per): sum-of-years' digits,
    (cost - salvage)(life - per + 1) 2 / (life (life + 1)); per outside
    0 < per <= life, or life <= 0, is #NUM!."""
    if life <= 0 or per <= 0 or per > life:
        return NUM_ERROR
    return (cost - salvage) * (life - per + 1) * 2 / (life * (life + 1))


@elementwise("DB", category=FINANCIAL,
             args="cost: number, salvage: number, life: number, period: number, [month: number = 12]")
def DB(cost: float, salvage: float, life: float, period: float, month: float) -> float:
    """DB(cost, salvage, life, period, [month]): fixed-declining balance at
    the rate 1 - (salvage/cost)^(1/life) rounded to 3 decimals; the first
    period has `month` months (1..12), the period after the last the rest of
    the year; month and period are truncated (DB(12,10,4,4.5,2) is period 4's).  #NUM! for month outside 1..12, life or period
    below 1, period past life + 1, or a negative cost or salvage."""
    month, period = math.trunc(month), math.trunc(period)
    if month < 1 or month > 12 or life < 1 or period < 1 or period > life + 1 or cost < 0 or salvage < 0:
        return NUM_ERROR
    if cost == 0:
        return 0.0
    rate = 1 - math.pow(salvage / cost, 1 / life)
    rate = math.floor(rate * 1000 + 0.5) / 1000
    first = cost * rate * month / 12
    if period == 1:
        return first
    # after the first period the book value falls by the rate each period
    remaining = cost - first
    if period > life:                           # the months left after the last whole year
        return remaining * math.pow(1 - rate, math.floor(life) - 1) * rate * (12 - month) / 12
    return remaining * math.pow(1 - rate, period - 2) * rate


def double_declining(cost: float, salvage: float, life: float, period: float, factor: float) -> float:
    """The DDB depreciation of `period` in closed form: the book value falls
    by a factor (1 - factor/life) per period and never below salvage."""
    rate = factor / life
    if rate >= 1:
        rate = 1.0
        before = cost if period == 1 else 0.0
    else:
        before = cost * math.pow(1 - rate, period - 1)
    after = cost * math.pow(1 - rate, period)
    depreciation = before - salvage if after < salvage else before - after
    return max(depreciation, 0.0)


@elementwise("DDB", category=FINANCIAL,
             args="cost: number, salvage: number, life: number, period: number, [factor: number = 2]")
def DDB(cost: float, salvage: float, life: float, period: float, factor: float) -> float:
    """DDB(cost, salvage, life, period, [factor]): double-declining balance
    (factor 2 by default); #NUM! for factor <= 0, period outside 1..life,
    cost or salvage below 0."""
    if factor <= 0 or life <= 0 or period < 1 or period > life or cost < 0 or salvage < 0:
        return NUM_ERROR
    return double_declining(cost, salvage, life, period, factor)


MAX_VDB_PERIODS = 10 ** 6       # period by period: beyond a million periods, #NUM! (a practical limit)


def _vdb_span(cost, salvage, life, start, end, factor, no_switch):
    """Depreciation from start to end (fractions of periods prorated), by
    declining balance, switching to straight line over the remaining life
    when that gives more (unless no_switch)."""
    total = 0.0
    value = cost
    switched = False
    straight = 0.0
    first, last = math.floor(start), math.ceil(end)
    for i in range(1, last + 1):
        if switched:
            step = straight
        else:
            step = min(value * factor / life, max(value - salvage, 0.0))
            remaining = life - (i - 1)
            line = (value - salvage) / remaining if remaining > 0 else 0.0
            if not no_switch and line > step:
                switched, straight, step = True, line, line
        if i > first:
            share = 1.0
            if i == first + 1 and start > first:
                share -= start - first
            if i == last and end < last:
                share -= last - end
            total += step * share
        value -= step
    return total


@elementwise("VDB", category=FINANCIAL,
             args="cost: number, salvage: number, life: number, start_period: number, end_period: number, "
                  "[factor: number = 2], [no_switch: boolean = FALSE]")
def VDB(cost, salvage, life, start, end, factor, no_switch):
    """VDB(cost, salvage, life, start, end, [factor], [no_switch]): declining
    balance between two (fractional) periods, switching to straight line
    when that is larger (unless no_switch); #NUM! for start > end, end >
    life, negatives or factor <= 0."""
    if start < 0 or end < start or end > life or life <= 0 or cost < 0 or salvage < 0 or factor <= 0:
        return NUM_ERROR
    if end > MAX_VDB_PERIODS:
        return NUM_ERROR
    return _vdb_span(cost, salvage, life, start, end, factor, no_switch)
