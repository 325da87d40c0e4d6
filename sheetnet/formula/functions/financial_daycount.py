"""Day-count bases and coupon schedules of Excel's bond functions (COUP*,
PRICE, YIELD, ACCRINT, ODDF*, ...), and how those functions read their
arguments.

A basis says how days are counted between two dates and how long a year is:

    0  US (NASD) 30/360     30-day months; the last day of February and 31sts
                            count as the 30th by the NASD rules
    1  actual/actual        calendar days; a year of 365 or 366 days
    2  actual/360           calendar days over 360
    3  actual/365           calendar days over 365
    4  European 30/360      31sts count as the 30th

Excel's conventions here are not those of YEARFRAC in every corner: the
length of a coupon period ("E") is 360/freq for the 30/360 bases and
actual/360, 365/freq for actual/365 and the actual length for
actual/actual; in a denominator actual/360 counts days the 30/360 US way;
with basis 0 the days from
settlement to the next coupon are the period's 30/360 length (both ends
adjusted) less the days since the previous coupon (start adjusted only).
These are the conventions of the ExcelFinancialFunctions library
(fsprojects), which reproduces Excel; Excel's cached values decide.

Coupon dates run back from maturity in steps of 12/frequency months, each
step keeping the day (or the month's last day when maturity is the last day
of its month, or when the day does not exist in the month).

Dates are whole days (arguments are truncated) in the workbook's system;
days between two dates are the difference of their serials.
"""

from __future__ import annotations

import math

from ...dates import DateSystem, days_in_month
from ...errors import ExcelError
from .registry import Category
from .workbook_dates import NUM_ERROR, dated, day_of, integer_of, toolpak_number

FINANCIAL = Category.FINANCIAL
FREQUENCIES = (1, 2, 4)
BASES = (0, 1, 2, 3, 4)


# --- reading arguments ----------------------------------------------------------------------

class Refused(Exception):
    """An argument that makes the function an Excel error."""

    def __init__(self, error: ExcelError):
        super().__init__(error.name)
        self.error = error


def _checked(x):
    if isinstance(x, ExcelError):
        raise Refused(x)
    return x


def date_argument(value, system: DateSystem) -> int:
    """A date argument: a whole day in the system's range (booleans #VALUE!)."""
    return _checked(day_of(value, system, booleans=False))


def number_argument(value) -> float:
    """A number argument as the Analysis ToolPak reads it (booleans #VALUE!)."""
    x = _checked(toolpak_number(value))
    if not math.isfinite(x):
        raise Refused(NUM_ERROR)
    return x


def frequency_argument(value) -> int:
    n = _checked(integer_of(value, booleans=False))
    if n not in FREQUENCIES:
        raise Refused(NUM_ERROR)
    return n


def basis_argument(value) -> int:
    """An omitted basis (None) is 0; a basis outside 0..4 is #NUM!."""
    n = 0 if value is None else _checked(integer_of(value, booleans=False))
    if n not in BASES:
        raise Refused(NUM_ERROR)
    return n


def require(condition: bool) -> None:
    """#NUM! unless the arguments satisfy `condition`."""
    if not condition:
        raise Refused(NUM_ERROR)


def security(*names: str, args: str, prefix: str = ""):
    """Register ``fn(system, *values)`` (dated, single values): a Refused
    raised inside is the function's result."""
    def register(fn):
        def guarded(system, *values):
            try:
                return fn(system, *values)
            except Refused as refused:
                return refused.error
        guarded.__doc__, guarded.__module__, guarded.__name__ = fn.__doc__, fn.__module__, fn.__name__
        dated(*names, category=FINANCIAL, args=args, prefix=prefix)(guarded)
        return fn
    return register


# --- the calendar ---------------------------------------------------------------------------

class Day:
    """A whole day: its serial and its (year, month, day) in a date system."""

    __slots__ = ("serial", "y", "m", "d", "system")

    def __init__(self, serial: int, system: DateSystem):
        self.serial, self.system = serial, system
        self.y, self.m, self.d = system.ymd(serial)

    @classmethod
    def of(cls, y: int, m: int, d: int, system: DateSystem) -> "Day":
        return cls(system.serial(y, m, d), system)

    def __sub__(self, other: "Day") -> int:
        return self.serial - other.serial

    def __lt__(self, other: "Day") -> bool:
        return self.serial < other.serial

    def __le__(self, other: "Day") -> bool:
        return self.serial <= other.serial

    def __gt__(self, other: "Day") -> bool:
        return self.serial > other.serial

    def __ge__(self, other: "Day") -> bool:
        return self.serial >= other.serial

    def __eq__(self, other) -> bool:
        return isinstance(other, Day) and self.serial == other.serial

    def __hash__(self) -> int:
        return hash(self.serial)

    @property
    def month_end(self) -> bool:
        return self.d == days_in_month(self.y, self.m)

    @property
    def february_end(self) -> bool:
        return self.m == 2 and self.month_end

    def add_months(self, months: int, month_end: bool = False) -> "Day":
        """`months` later (earlier when negative): the same day, or the month's
        last day when it has fewer days, or always when `month_end`."""
        y, m0 = divmod(self.y * 12 + self.m - 1 + months, 12)
        last = days_in_month(y, m0 + 1)
        return Day.of(y, m0 + 1, last if month_end else min(self.d, last), self.system)


def days_360(a: Day, b: Day, d1: int, d2: int) -> int:
    return (b.y - a.y) * 360 + (b.m - a.m) * 30 + d2 - d1


def days_360_us(a: Day, b: Day, both: bool = False) -> int:
    """US (NASD) 30/360 days from a to b; `both` also moves an end on the last
    day of February (and any 31st) to the 30th whatever the start."""
    d1, d2 = a.d, b.d
    if b.february_end and (a.february_end or both):
        d2 = 30
    if d2 == 31 and (d1 >= 30 or both):
        d2 = 30
    if d1 == 31:
        d1 = 30
    if a.february_end:
        d1 = 30
    return days_360(a, b, d1, d2)


def days_360_eu(a: Day, b: Day) -> int:
    return days_360(a, b, min(a.d, 30), min(b.d, 30))


# --- coupon schedule ------------------------------------------------------------------------

def step_dates(start: Day, end: Day, months: int, month_end: bool):
    """Walk from `start` by `months` until reaching or passing `end`:
    (the date reached, the one before it)."""
    front, trailing = start, end
    while (front < end) if months > 0 else (front > end):
        trailing = front
        front = front.add_months(months, month_end)
    return front, trailing


def coupon_dates(settlement: Day, maturity: Day, frequency: int) -> tuple[Day, Day]:
    """(previous coupon date, next coupon date) around settlement, counted
    back from maturity."""
    return step_dates(maturity, settlement, -12 // frequency, maturity.month_end)


def coupon_count(settlement: Day, maturity: Day, frequency: int) -> float:
    """The coupons payable between settlement and maturity."""
    pcd, _ = coupon_dates(settlement, maturity, frequency)
    months = (maturity.y - pcd.y) * 12 + maturity.m - pcd.m
    return months * frequency / 12


class Basis:
    """One day-count basis (see the module docstring)."""

    def __init__(self, basis: int):
        self.basis = basis

    def days(self, a: Day, b: Day, numerator: bool = True) -> float:
        """Days from a to b as the basis counts them (in a denominator
        actual/360 counts the 30/360 US way)."""
        k = self.basis
        if k == 0:
            return float(days_360_us(a, b))
        if k == 4:
            return float(days_360_eu(a, b))
        if k == 2 and not numerator:
            return float(days_360_us(a, b))
        return float(b - a)

    def year_days(self, a: Day, b: Day) -> float:
        """The length of a year between a and b."""
        k = self.basis
        if k == 3:
            return 365.0
        if k != 1:
            return 360.0
        if not _within_a_year(a, b):
            years = b.y - a.y + 1
            return (Day.of(b.y + 1, 1, 1, a.system) - Day.of(a.y, 1, 1, a.system)) / years
        return 366.0 if _counts_as_leap(a, b) else 365.0

    def coupon_days(self, settlement: Day, maturity: Day, frequency: int) -> float:
        """E: the length of the coupon period that holds settlement."""
        if self.basis in (0, 2, 4):
            return 360 / frequency
        if self.basis == 3:
            return 365 / frequency
        pcd, ncd = coupon_dates(settlement, maturity, frequency)
        return float(ncd - pcd)

    def days_before_settlement(self, settlement: Day, maturity: Day, frequency: int) -> float:
        """COUPDAYBS: from the previous coupon date to settlement."""
        pcd, _ = coupon_dates(settlement, maturity, frequency)
        if self.basis == 0:
            return float(days_360_us(pcd, settlement))
        if self.basis == 4:
            return float(days_360_eu(pcd, settlement))
        return float(settlement - pcd)

    def days_to_next_coupon(self, settlement: Day, maturity: Day, frequency: int) -> float:
        """COUPDAYSNC: from settlement to the next coupon date."""
        pcd, ncd = coupon_dates(settlement, maturity, frequency)
        if self.basis == 0:
            return float(days_360_us(pcd, ncd, both=True) - days_360_us(pcd, settlement))
        if self.basis == 4:
            return float(days_360_eu(settlement, ncd))
        return float(ncd - settlement)


def _within_a_year(a: Day, b: Day) -> bool:
    return a.y == b.y or (b.y == a.y + 1 and (a.m > b.m or (a.m == b.m and a.d >= b.d)))


def _leap(y: int) -> bool:
    return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)


def _counts_as_leap(a: Day, b: Day) -> bool:
    """Actual/actual over at most a year: a 366-day year when both dates are
    in one leap year, the end is 29 February, or a 29 February lies between."""
    if a.y == b.y and _leap(a.y):
        return True
    if b.m == 2 and b.d == 29:
        return True
    if a.y == b.y:
        return False
    if _leap(a.y):
        return a.m <= 2
    if _leap(b.y):
        return b.m > 2
    return False
