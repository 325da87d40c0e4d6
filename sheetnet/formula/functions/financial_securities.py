"""Financial: securities -- accrued interest (ACCRINT, ACCRINTM), bonds
priced from their yield and back (PRICE, YIELD, DURATION, MDURATION),
discounted securities (DISC, PRICEDISC, YIELDDISC, INTRATE, RECEIVED),
securities paying at maturity (PRICEMAT, YIELDMAT) and Treasury bills
(TBILLPRICE, TBILLYIELD, TBILLEQ).

Dates and day counts are those of financial_daycount.py; every function
takes its dates truncated (booleans #VALUE!), needs settlement before
maturity and a basis 0..4 (#NUM! otherwise).  Prices are per 100 of face
value.
"""

from __future__ import annotations

import math

from ...dates import DateSystem
from .financial_daycount import (Basis, Day, Refused, basis_argument, coupon_count, coupon_dates, date_argument,
                                 days_360_us, frequency_argument, number_argument, require, security, step_dates)
from .workbook_dates import NUM_ERROR

ACTUAL_360, ACTUAL_365 = 2, 3


def _day(value, system: DateSystem) -> Day:
    return Day(date_argument(value, system), system)


def _calc_method(value) -> bool:
    """ACCRINT's calc_method: TRUE (omitted, empty) accrues from issue,
    FALSE from the first interest date; numbers as booleans."""
    if value is None:
        return True
    if isinstance(value, str):
        upper = value.strip().upper()
        if upper in ("TRUE", "FALSE"):
            return upper == "TRUE"
        return bool(number_argument(value))
    if isinstance(value, bool):
        return value
    return bool(number_argument(value))


# --- accrued interest ------------------------------------------------------------------------

def accrued_interest(issue: Day, first: Day, settlement: Day, rate: float, par: float, frequency: int,
                     basis: Basis, from_issue: bool) -> float:
    """ACCRINT: par * rate/frequency * the coupon periods accrued, each
    (quasi-)period counted as the fraction of it that is accrued.

    The periods run back from the first interest date in steps of
    12/frequency months (month ends kept when the first interest date is
    one).  The period holding settlement counts the days from its start (or
    issue) to settlement, over the length of the regular period ending at
    the first interest date (with actual/actual too, even when settlement
    is later); earlier whole periods count 1 each when accruing from issue
    (0 otherwise); the period holding issue counts from issue."""
    months = 12 // frequency
    month_end = first.month_end
    regular = first.add_months(-months, month_end)       # the period ending at the first interest date
    if settlement > first and from_issue:
        start = step_dates(first, settlement, months, month_end)[1]
    else:
        start = regular
    accrual_start = issue if issue > start else start
    total = basis.days(accrual_start, settlement) / basis.coupon_days(regular, first, frequency)
    end = start
    while end > issue:
        begin = end.add_months(-months, month_end)
        if issue <= begin:
            total += 1.0 if from_issue else 0.0
        else:
            if basis.basis == 0:
                days = days_us(issue, end)
                length = days_us(begin, end, both=True)
            else:
                days = basis.days(issue, end)
                length = 365 / frequency if basis.basis == ACTUAL_365 else basis.days(begin, end, numerator=False)
            total += days / length
        end = begin
    return par * rate / frequency * total


def days_us(a: Day, b: Day, both: bool = False) -> float:
    return float(days_360_us(a, b, both))


@security("ACCRINT", args="issue: any, first_interest: any, settlement: any, rate: any, par: any, frequency: any, "
                          "[basis: any], [calc_method: any]")
def ACCRINT(system, issue, first_interest, settlement, rate, par, frequency, basis=None, calc_method=None):
    """ACCRINT(issue, first_interest, settlement, rate, par, frequency,
    [basis], [calc_method]): interest accrued on a periodic-coupon security
    up to settlement, from issue (calc_method TRUE, the default) or from
    the first interest date (FALSE); rate and par must be positive and
    issue before settlement."""
    i, first, s = _day(issue, system), _day(first_interest, system), _day(settlement, system)
    r, p = number_argument(rate), number_argument(par)
    f = frequency_argument(frequency)
    b = Basis(basis_argument(basis))
    from_issue = _calc_method(calc_method)
    require(r > 0 and p > 0 and i < s)
    return accrued_interest(i, first, s, r, p, f, b, from_issue)


@security("ACCRINTM", args="issue: any, settlement: any, rate: any, par: any, [basis: any]")
def ACCRINTM(system, issue, settlement, rate, par, basis=None):
    """ACCRINTM(issue, settlement, rate, par, [basis]) = par rate days/year:
    the interest of a security paying at maturity (settlement)."""
    i, s = _day(issue, system), _day(settlement, system)
    r, p = number_argument(rate), number_argument(par)
    b = Basis(basis_argument(basis))
    require(r > 0 and p > 0 and i < s)
    return p * r * b.days(i, s) / b.year_days(i, s)


# --- periodic-coupon bonds ----------------------------------------------------------------

def _price_factors(settlement: Day, maturity: Day, frequency: int, basis: Basis):
    """(N coupons left, A days accrued, E days in the period, DSC days to the next coupon)."""
    n = coupon_count(settlement, maturity, frequency)
    pcd, _ = coupon_dates(settlement, maturity, frequency)
    a = basis.days(pcd, settlement)
    e = basis.coupon_days(settlement, maturity, frequency)
    return n, a, e, e - a


def bond_price(settlement: Day, maturity: Day, rate: float, yld: float, redemption: float, frequency: int,
               basis: Basis) -> float:
    """PRICE: the coupons and redemption discounted at the yield, less the
    accrued interest; one coupon left: simple interest over the period."""
    n, a, e, dsc = _price_factors(settlement, maturity, frequency, basis)
    coupon = 100 * rate / frequency
    accrued = coupon * a / e
    if n == 1:
        return (redemption + coupon) / (1 + dsc / e * yld / frequency) - accrued
    base = 1 + yld / frequency
    coupons = 0.0
    for k in range(1, int(n) + 1):
        coupons += coupon / math.pow(base, k - 1 + dsc / e)
    return redemption / math.pow(base, n - 1 + dsc / e) + coupons - accrued


def solve_yield(price_of, target: float, guess: float) -> float:
    """The yield at which price_of(yield) equals target: Newton's method with
    a central-difference slope (step 1E-7) from the guess until a step is
    below 1E-7 (Excel's documented precision), at most 20 steps; if that
    fails or changes sign, the root bracketed and bisected."""
    f = lambda y: price_of(y) - target          # noqa: E731
    h = YIELD_PRECISION
    y = guess
    for _ in range(YIELD_ITERATIONS + 1):
        slope = (f(y + h) - f(y - h)) / (2 * h)
        if slope == 0 or not math.isfinite(slope):
            break
        step = f(y) / slope
        y -= step
        if not math.isfinite(y):
            break
        if abs(step) < h:
            if (y > 0) == (guess > 0):
                return y
            break
    from scipy.optimize import brentq
    low, high = -1 + h, max(guess, 0.0) + 1.0
    while f(low) * f(high) > 0:
        high *= 2
        if high > 1e6:
            raise Refused(NUM_ERROR)
    return brentq(f, low, high, xtol=1e-15, rtol=1e-15, maxiter=500)


YIELD_PRECISION = 1e-7
YIELD_ITERATIONS = 20


def _bond_arguments(system, settlement, maturity, rate, second, redemption, frequency, basis):
    s, m = _day(settlement, system), _day(maturity, system)
    r, x, red = number_argument(rate), number_argument(second), number_argument(redemption)
    f = frequency_argument(frequency)
    b = Basis(basis_argument(basis))
    require(s < m)
    return s, m, r, x, red, f, b


BOND_ARGS = "settlement: any, maturity: any, rate: any, {}: any, redemption: any, frequency: any, [basis: any]"


@security("PRICE", args=BOND_ARGS.format("yld"))
def PRICE(system, settlement, maturity, rate, yld, redemption, frequency, basis=None):
    """PRICE(settlement, maturity, rate, yld, redemption, frequency, [basis]):
    the price per 100 of a bond paying periodic coupons; rate < 0, yld < 0 or
    redemption <= 0 is #NUM!."""
    s, m, r, y, red, f, b = _bond_arguments(system, settlement, maturity, rate, yld, redemption, frequency, basis)
    require(r >= 0 and y >= 0 and red > 0)
    return bond_price(s, m, r, y, red, f, b)


@security("YIELD", args=BOND_ARGS.format("pr"))
def YIELD(system, settlement, maturity, rate, pr, redemption, frequency, basis=None):
    """YIELD(settlement, maturity, rate, pr, redemption, frequency, [basis]):
    the yield at which PRICE is pr (directly with one coupon left)."""
    s, m, r, price, red, f, b = _bond_arguments(system, settlement, maturity, rate, pr, redemption, frequency, basis)
    require(r >= 0 and price > 0 and red > 0)
    n, a, e, dsr = _price_factors(s, m, f, b)
    if n <= 1:
        invested = price / 100 + a / e * r / f
        return (red / 100 + r / f - invested) / invested * f * e / dsr
    return solve_yield(lambda y: bond_price(s, m, r, y, red, f, b), price, 0.05)


def _duration(system, settlement, maturity, coupon, yld, frequency, basis, modified: bool):
    s, m = _day(settlement, system), _day(maturity, system)
    c, y = number_argument(coupon), number_argument(yld)
    f = frequency_argument(frequency)
    b = Basis(basis_argument(basis))
    require(s < m and c >= 0 and y >= 0)
    n = coupon_count(s, m, f)
    e = b.coupon_days(s, m, f)
    x1 = (e - b.days_before_settlement(s, m, f)) / e
    base = 1 + y / f
    last = x1 + n - 1
    weighted = last * 100 / math.pow(base, last)
    total = 100 / math.pow(base, last)
    for k in range(1, int(n) + 1):
        t = k - 1 + x1
        cash = 100 * c / f / math.pow(base, t)
        weighted += cash * t
        total += cash
    d = weighted / total / f
    return d / base if modified else d


DURATION_ARGS = "settlement: any, maturity: any, coupon: any, yld: any, frequency: any, [basis: any]"


@security("DURATION", args=DURATION_ARGS)
def DURATION(system, settlement, maturity, coupon, yld, frequency, basis=None):
    """DURATION(settlement, maturity, coupon, yld, frequency, [basis]): the
    Macaulay duration in years."""
    return _duration(system, settlement, maturity, coupon, yld, frequency, basis, False)


@security("MDURATION", args=DURATION_ARGS)
def MDURATION(system, settlement, maturity, coupon, yld, frequency, basis=None):
    """MDURATION(...) = DURATION / (1 + yld/frequency)."""
    return _duration(system, settlement, maturity, coupon, yld, frequency, basis, True)


# --- discounted securities ---------------------------------------------------------------------

def _discount_arguments(system, settlement, maturity, x, y, basis):
    s, m = _day(settlement, system), _day(maturity, system)
    a, c = number_argument(x), number_argument(y)
    b = Basis(basis_argument(basis))
    require(s < m)
    return s, m, a, c, b, b.days(s, m), b.year_days(s, m)


DISCOUNT_ARGS = "settlement: any, maturity: any, {}: any, {}: any, [basis: any]"


@security("DISC", args=DISCOUNT_ARGS.format("pr", "redemption"))
def DISC(system, settlement, maturity, pr, redemption, basis=None):
    """DISC(settlement, maturity, pr, redemption, [basis]) = (1 - pr/redemption) year/days."""
    s, m, p, red, b, days, year = _discount_arguments(system, settlement, maturity, pr, redemption, basis)
    require(p > 0 and red > 0)
    return (1 - p / red) * year / days


@security("PRICEDISC", args=DISCOUNT_ARGS.format("discount", "redemption"))
def PRICEDISC(system, settlement, maturity, discount, redemption, basis=None):
    """PRICEDISC(settlement, maturity, discount, redemption, [basis]) = redemption (1 - discount days/year)."""
    s, m, d, red, b, days, year = _discount_arguments(system, settlement, maturity, discount, redemption, basis)
    require(d > 0 and red > 0)
    return red - d * red * days / year


@security("YIELDDISC", args=DISCOUNT_ARGS.format("pr", "redemption"))
def YIELDDISC(system, settlement, maturity, pr, redemption, basis=None):
    """YIELDDISC(settlement, maturity, pr, redemption, [basis]) = (redemption - pr)/pr year/days."""
    s, m, p, red, b, days, year = _discount_arguments(system, settlement, maturity, pr, redemption, basis)
    require(p > 0 and red > 0)
    return (red - p) / p * year / days


@security("INTRATE", args=DISCOUNT_ARGS.format("investment", "redemption"))
def INTRATE(system, settlement, maturity, investment, redemption, basis=None):
    """INTRATE(settlement, maturity, investment, redemption, [basis]) =
    (redemption - investment)/investment year/days."""
    s, m, inv, red, b, days, year = _discount_arguments(system, settlement, maturity, investment, redemption, basis)
    require(inv > 0 and red > 0)
    return (red - inv) / inv * year / days


@security("RECEIVED", args=DISCOUNT_ARGS.format("investment", "discount"))
def RECEIVED(system, settlement, maturity, investment, discount, basis=None):
    """RECEIVED(settlement, maturity, investment, discount, [basis]) =
    investment / (1 - discount days/year)."""
    s, m, inv, d, b, days, year = _discount_arguments(system, settlement, maturity, investment, discount, basis)
    factor = d * days / year
    require(inv > 0 and d > 0 and factor < 1)
    return inv / (1 - factor)


# --- securities paying interest at maturity ----------------------------------------------------

def _maturity_factors(system, settlement, maturity, issue, rate, second, basis):
    s, m, i = _day(settlement, system), _day(maturity, system), _day(issue, system)
    r, x = number_argument(rate), number_argument(second)
    b = Basis(basis_argument(basis))
    require(s < m and i < s and i < m and r >= 0)
    year = b.year_days(i, s)
    return r, x, year, b.days(i, m), b.days(i, s), year


MATURITY_ARGS = "settlement: any, maturity: any, issue: any, rate: any, {}: any, [basis: any]"


@security("PRICEMAT", args=MATURITY_ARGS.format("yld"))
def PRICEMAT(system, settlement, maturity, issue, rate, yld, basis=None):
    """PRICEMAT(settlement, maturity, issue, rate, yld, [basis]): the price
    per 100 of a security paying its interest at maturity."""
    r, y, year, dim, a, _ = _maturity_factors(system, settlement, maturity, issue, rate, yld, basis)
    require(y >= 0)
    return (100 + dim / year * r * 100) / (1 + (dim - a) / year * y) - a / year * r * 100


@security("YIELDMAT", args=MATURITY_ARGS.format("pr"))
def YIELDMAT(system, settlement, maturity, issue, rate, pr, basis=None):
    """YIELDMAT(settlement, maturity, issue, rate, pr, [basis]): its yield."""
    r, p, year, dim, a, _ = _maturity_factors(system, settlement, maturity, issue, rate, pr, basis)
    require(p > 0)
    return (dim / year * r + 1 - p / 100 - a / year * r) / (p / 100 + a / year * r) * (year / (dim - a))


# --- Treasury bills ------------------------------------------------------------------------------

def _bill(system, settlement, maturity, x):
    """(settlement, maturity, days between, x): maturity at most a year after settlement."""
    s, m = _day(settlement, system), _day(maturity, system)
    value = number_argument(x)
    require(s < m and m <= s.add_months(12))
    return s, m, float(m - s), value


BILL_ARGS = "settlement: any, maturity: any, {}: any"


@security("TBILLPRICE", args=BILL_ARGS.format("discount"))
def TBILLPRICE(system, settlement, maturity, discount):
    """TBILLPRICE(settlement, maturity, discount) = 100 (1 - discount days/360);
    discount <= 0, a price <= 0 or more than a year to maturity is #NUM!."""
    s, m, days, d = _bill(system, settlement, maturity, discount)
    price = 100 * (1 - d * days / 360)
    require(d > 0 and price > 0)
    return price


@security("TBILLYIELD", args=BILL_ARGS.format("pr"))
def TBILLYIELD(system, settlement, maturity, pr):
    """TBILLYIELD(settlement, maturity, pr) = (100 - pr)/pr 360/days."""
    s, m, days, p = _bill(system, settlement, maturity, pr)
    require(p > 0)
    return (100 - p) / p * 360 / days


@security("TBILLEQ", args=BILL_ARGS.format("discount"))
def TBILLEQ(system, settlement, maturity, discount):
    """TBILLEQ(settlement, maturity, discount): the bond-equivalent yield,
    365 d / (360 - d days) up to 182 days, the compounding form beyond."""
    s, m, days, d = _bill(system, settlement, maturity, discount)
    require(d > 0)
    if days <= 182:
        return 365 * d / (360 - d * days)
    price = (100 - d * 100 * days / 360) / 100
    year = 366.0 if days == 366 else 365.0
    inside = (days / year) ** 2 - (2 * days / year - 1) * (1 - 1 / price)
    require(inside >= 0 and 2 * days / year - 1 != 0)
    return 2 * (math.sqrt(inside) - days / year) / (2 * days / year - 1)
