"""Date & time: serial dates in the workbook's date system (sheetnet/dates.py
has the calendar, the 1900 system's phantom 29 February and the 1904
system).  Date arguments accept date text ("2024-02-29") as Excel does."""

from __future__ import annotations

import datetime
import math

from ...dates import MAX_YEAR, SECONDS_PER_DAY, DateSystem, days_in_month, is_leap_year, time_of_day
from ...datetext import parse_date_time
from ...errors import ExcelError
from .registry import Category
from .workbook_dates import NUM_ERROR, VALUE_ERROR, dated, day_of, integer_of, serial_of

DATE_TIME = Category.DATE_TIME

# Excel refuses time components beyond a 16-bit integer (TIME(32768,0,0) is #NUM!)
_TIME_LIMIT = 32767


# --- building dates and times ----------------------------------------------------------

@dated("DATE", args="year: integer, month: integer, day: integer")
def DATE(system: DateSystem, year: int, month: int, day: int):
    """DATE(y, m, d): years 0..1899 are 1900..3799; months and days outside
    their ranges carry into the year and month (DATE(2024,14,0) is
    2025-01-31); #NUM! outside 1900-01-00 .. 9999-12-31."""
    serial = system.date_from_parts(year, month, day)
    return NUM_ERROR if serial is None else float(serial)


@dated("TIME", args="hour: integer, minute: integer, second: integer")
def TIME(system: DateSystem, hour: int, minute: int, second: int):
    """TIME(h, m, s): the fraction of a day; components carry over (minute
    90 is 1:30) and whole days are dropped; a negative total is #NUM!.

    Excel takes the fraction as x - INT(x) of the total in days, so
    TIME(23,120,0) is 1.0416666666666667 - 1 = 0.04166666666666674, not the
    3600/86400 a remainder in seconds would give."""
    if max(abs(hour), abs(minute), abs(second)) > _TIME_LIMIT:
        return NUM_ERROR
    total = hour * 3600 + minute * 60 + second
    if total < 0:
        return NUM_ERROR
    days = total / SECONDS_PER_DAY
    return days - math.floor(days)


# --- parts of a date -------------------------------------------------------------------

def _date_part(index: int):
    def part(system: DateSystem, serial):
        day = day_of(serial, system)
        if isinstance(day, ExcelError):
            return day
        return float(system.ymd(day)[index])
    return part


dated("YEAR", args="serial_number: any")(_date_part(0))
dated("MONTH", args="serial_number: any")(_date_part(1))
dated("DAY", args="serial_number: any")(_date_part(2))


def _time_part(index: int):
    """HOUR / MINUTE / SECOND: of the time rounded to the nearest second."""
    def part(system: DateSystem, serial):
        x = serial_of(serial, system)
        if isinstance(x, ExcelError):
            return x
        if x < 0:
            return NUM_ERROR
        return float(time_of_day(x)[index])
    return part


dated("HOUR", args="serial_number: any")(_time_part(0))
dated("MINUTE", args="serial_number: any")(_time_part(1))
dated("SECOND", args="serial_number: any")(_time_part(2))


# --- text to dates and times ------------------------------------------------------------

@dated("DATEVALUE", args="date_text: text")
def DATEVALUE(system: DateSystem, text: str):
    """DATEVALUE(text): the date's serial, its time ignored ("2024-02-29
    06:00" is 45351); text without a date, or not a date, is #VALUE!."""
    parsed = parse_date_time(text, system)
    if parsed is None or not parsed[1]:
        return VALUE_ERROR
    return float(math.floor(parsed[0]))


@dated("TIMEVALUE", args="time_text: text")
def TIMEVALUE(system: DateSystem, text: str):
    """TIMEVALUE(text): the time as a fraction of a day, whole days dropped
    ("24:00" is 0, "30:00" is 0.25); a date alone is 0."""
    parsed = parse_date_time(text, system)
    if parsed is None:
        return VALUE_ERROR
    return parsed[0] - math.floor(parsed[0])


# --- differences ----------------------------------------------------------------------

@dated("DAYS", prefix="_xlfn.", args="end_date: any, start_date: any")
def DAYS(system: DateSystem, end, start):
    """DAYS(end, start) = INT(end) - INT(start); dates outside the range are #NUM!."""
    days = []
    for v in (end, start):
        x = serial_of(v, system)
        if isinstance(x, ExcelError):
            return x
        if not system.valid(x):
            return NUM_ERROR
        days.append(math.floor(x))
    return float(days[0] - days[1])


def _excel_days_in_month(system: DateSystem, y: int, m: int) -> int:
    """Month lengths as Excel's calendar has them (February 1900: 29 days in
    the 1900 system)."""
    if system.base_year == 1900 and (y, m) == (1900, 2):
        return 29
    return days_in_month(y, m)


@dated("DAYS360", args="start_date: any, end_date: any, [method: boolean = FALSE]")
def DAYS360(system: DateSystem, start, end, european: bool):
    """DAYS360(start, end, [method]): days in a 360-day year of twelve 30-day months.

    US (method FALSE): a start on the last day of its month is the 30th;
    an end on the 31st is the 30th when the start is (then) the 30th.
    Excel's DAYS360 does not move an end on the last day of February (the
    NASD rule YEARFRAC's basis 0 applies): DAYS360(2024-02-29, 2025-02-28)
    is 358.  European (TRUE): 31sts are 30ths."""
    a = day_of(start, system)
    if isinstance(a, ExcelError):
        return a
    b = day_of(end, system)
    if isinstance(b, ExcelError):
        return b
    (y1, m1, d1), (y2, m2, d2) = system.ymd(a), system.ymd(b)
    if european:
        d1, d2 = min(d1, 30), min(d2, 30)
    else:
        if d1 >= _excel_days_in_month(system, y1, m1):
            d1 = 30
        if d2 == 31 and d1 == 30:
            d2 = 30
    return float((y2 - y1) * 360 + (m2 - m1) * 30 + d2 - d1)


def _yearfrac_actual(system: DateSystem, a: int, b: int) -> float:
    """Basis 1 (actual/actual), Excel's way: within a year, over the length of
    the year that holds a 29 February between the dates (366) or 365; over
    more years, over the average length of the calendar years spanned."""
    (y1, m1, d1), (y2, m2, d2) = system.ymd(a), system.ymd(b)
    if y1 == y2 or (y2 == y1 + 1 and (m1, d1) >= (m2, d2)):
        if y1 == y2:
            leap = is_leap_year(y1)
        elif is_leap_year(y1):
            leap = m1 <= 2
        else:
            leap = is_leap_year(y2) and (m2, d2) >= (2, 29)
        return (b - a) / (366 if leap else 365)
    span = system.serial(y2 + 1, 1, 1) - system.serial(y1, 1, 1)
    return (b - a) / (span / (y2 - y1 + 1))


def _yearfrac_30_360_us(system: DateSystem, a: int, b: int) -> float:
    """Basis 0: US (NASD) 30/360: the last day of February counts as the 30th
    (at the end only when the start is one too), 31sts as 30ths (at the end
    only when the start is a 30th or 31st)."""
    (y1, m1, d1), (y2, m2, d2) = system.ymd(a), system.ymd(b)
    start_feb_end = m1 == 2 and d1 >= _excel_days_in_month(system, y1, 2)
    end_feb_end = m2 == 2 and d2 >= _excel_days_in_month(system, y2, 2)
    if start_feb_end and end_feb_end:
        d2 = 30
    if start_feb_end:
        d1 = 30
    if d2 == 31 and d1 >= 30:
        d2 = 30
    if d1 == 31:
        d1 = 30
    return ((y2 - y1) * 360 + (m2 - m1) * 30 + d2 - d1) / 360


def _yearfrac_30_360_eu(system: DateSystem, a: int, b: int) -> float:
    (y1, m1, d1), (y2, m2, d2) = system.ymd(a), system.ymd(b)
    return ((y2 - y1) * 360 + (m2 - m1) * 30 + min(d2, 30) - min(d1, 30)) / 360


_YEARFRAC = {
    0: _yearfrac_30_360_us,
    1: _yearfrac_actual,
    2: lambda system, a, b: (b - a) / 360,
    3: lambda system, a, b: (b - a) / 365,
    4: _yearfrac_30_360_eu,
}


def year_fraction(system: DateSystem, a: int, b: int, basis: int) -> float:
    """The fraction of a year between two whole-day serials (a <= b) by a day
    count basis 0..4 -- shared with the financial functions."""
    return _YEARFRAC[basis](system, a, b)


@dated("YEARFRAC", args="start_date: any, end_date: any, [basis: any = 0]")
def YEARFRAC(system: DateSystem, start, end, basis):
    """YEARFRAC(start, end, [basis]): the dates in either order; basis 0 US
    30/360, 1 actual/actual, 2 actual/360, 3 actual/365, 4 European 30/360;
    another basis is #NUM!."""
    a = day_of(start, system, booleans=False)
    if isinstance(a, ExcelError):
        return a
    b = day_of(end, system, booleans=False)
    if isinstance(b, ExcelError):
        return b
    k = integer_of(basis, booleans=False)
    if isinstance(k, ExcelError):
        return k
    if k not in _YEARFRAC:
        return NUM_ERROR
    a, b = min(a, b), max(a, b)
    return year_fraction(system, a, b, k)


@dated("DATEDIF", args="start_date: any, end_date: any, unit: text")
def DATEDIF(system: DateSystem, start, end, unit: str):
    """DATEDIF(start, end, unit): whole years "Y", months "M", days "D"; "MD"
    days ignoring months and years, "YM" months ignoring years, "YD" days
    ignoring years; start after end, or another unit, is #NUM!."""
    a = day_of(start, system)
    if isinstance(a, ExcelError):
        return a
    b = day_of(end, system)
    if isinstance(b, ExcelError):
        return b
    if a > b:
        return NUM_ERROR
    (y1, m1, d1), (y2, m2, d2) = system.ymd(a), system.ymd(b)
    months = (y2 - y1) * 12 + m2 - m1 - (d2 < d1)
    unit = unit.strip().upper()
    if unit == "Y":
        return float(months // 12)
    if unit == "M":
        return float(months)
    if unit == "D":
        return float(b - a)
    if unit == "YM":
        return float(months % 12)
    if unit == "MD":
        # from the start's day in the end's previous month, carried over as
        # DATE carries it (Excel's documented quirk: it can be negative)
        if d2 >= d1:
            return float(d2 - d1)
        before = system.date_from_parts(y2, m2 - 1, d1)
        return NUM_ERROR if before is None else float(b - before)
    if unit == "YD":
        anniversary = system.date_from_parts(y2, m1, d1)
        if anniversary is not None and anniversary > b:
            anniversary = system.date_from_parts(y2 - 1, m1, d1)
        return NUM_ERROR if anniversary is None else float(b - anniversary)
    return NUM_ERROR


# --- moving by months -------------------------------------------------------------------

def _add_months(system: DateSystem, start, months, end_of_month: bool):
    a = day_of(start, system, booleans=False)
    if isinstance(a, ExcelError):
        return a
    n = integer_of(months, booleans=False)
    if isinstance(n, ExcelError):
        return n
    y, m, d = system.ymd(a)
    y, m0 = divmod(y * 12 + (m - 1) + n, 12)
    if not system.base_year <= y <= MAX_YEAR:
        return NUM_ERROR
    last = _excel_days_in_month(system, y, m0 + 1)
    serial = system.date_from_parts(y, m0 + 1, last if end_of_month else min(d, last))
    return NUM_ERROR if serial is None else float(serial)


@dated("EDATE", args="start_date: any, months: any")
def EDATE(system: DateSystem, start, months):
    """EDATE(start, months): the same day `months` later (truncated toward
    zero), or the month's last day when it is shorter; booleans are #VALUE!."""
    return _add_months(system, start, months, False)


@dated("EOMONTH", args="start_date: any, months: any")
def EOMONTH(system: DateSystem, start, months):
    """EOMONTH(start, months): the last day of the month `months` later."""
    return _add_months(system, start, months, True)


# --- days of the week -------------------------------------------------------------------

# WEEKDAY's return types: the weekday (0 = Monday) that is numbered 1, and
# whether numbering starts at 0 (type 3: Monday is 0)
_WEEKDAY_TYPES = {1: (6, 1), 2: (0, 1), 3: (0, 0), **{11 + k: (k, 1) for k in range(7)}}


@dated("WEEKDAY", args="serial_number: any, [return_type: any = 1]")
def WEEKDAY(system: DateSystem, serial, return_type):
    """WEEKDAY(date, [type]): 1 (default) Sunday=1..Saturday=7, 2 Monday=1,
    3 Monday=0, 11..17 Monday..Sunday=1; another type is #NUM!.  Dates before
    1900-03-01 follow Excel's calendar (serial 1 is a Sunday)."""
    day = day_of(serial, system)
    if isinstance(day, ExcelError):
        return day
    kind = integer_of(return_type)
    if isinstance(kind, ExcelError):
        return kind
    if kind not in _WEEKDAY_TYPES:
        return NUM_ERROR
    first, base = _WEEKDAY_TYPES[kind]
    return float((system.weekday(day) - first) % 7 + base)


def _iso_week(system: DateSystem, day: int) -> int:
    """The ISO 8601 week of a day: weeks start on Monday and week 1 holds the
    year's first Thursday."""
    thursday = day - system.weekday(day) + 3
    y = system.ymd(thursday)[0] if thursday >= 0 else system.base_year
    first = system.date_from_parts(y, 1, 1)
    return (thursday - first) // 7 + 1


@dated("ISOWEEKNUM", prefix="_xlfn.", args="date: any")
def ISOWEEKNUM(system: DateSystem, date):
    """ISOWEEKNUM(date): the ISO 8601 week number (1..53)."""
    day = day_of(date, system)
    if isinstance(day, ExcelError):
        return day
    return float(_iso_week(system, day))


# WEEKNUM's return types: the weekday a week starts on (0 = Monday)
_WEEKNUM_STARTS = {1: 6, 2: 0, 11: 0, 12: 1, 13: 2, 14: 3, 15: 4, 16: 5, 17: 6}


@dated("WEEKNUM", args="serial_number: any, [return_type: any = 1]")
def WEEKNUM(system: DateSystem, serial, return_type):
    """WEEKNUM(date, [type]): week 1 is the one holding 1 January, weeks
    starting on Sunday (type 1), Monday (2, 11), ... Sunday (17); type 21 is
    the ISO week; another type is #NUM!."""
    day = day_of(serial, system, booleans=False)
    if isinstance(day, ExcelError):
        return day
    kind = integer_of(return_type, booleans=False)
    if isinstance(kind, ExcelError):
        return kind
    if kind == 21:
        return float(_iso_week(system, day))
    if kind not in _WEEKNUM_STARTS:
        return NUM_ERROR
    y = system.ymd(day)[0] if day > 0 else system.base_year
    jan1 = max(system.date_from_parts(y, 1, 1), 0)
    offset = (system.weekday(jan1) - _WEEKNUM_STARTS[kind]) % 7
    return float((day - jan1 + offset) // 7 + 1)


# --- now --------------------------------------------------------------------------------

def _now_serial(system: DateSystem) -> float:
    now = datetime.datetime.now()
    seconds = now.hour * 3600 + now.minute * 60 + now.second + now.microsecond / 1e6
    return system.serial(now.year, now.month, now.day) + seconds / SECONDS_PER_DAY


@dated("TODAY", args="", volatile=True)
def TODAY(system: DateSystem):
    """TODAY(): today's serial (volatile: recomputed at every recalculation,
    not compared by `check`)."""
    return float(math.floor(_now_serial(system)))


@dated("NOW", args="", volatile=True)
def NOW(system: DateSystem):
    """NOW(): the current date and time as a serial (volatile)."""
    return _now_serial(system)
