"""Date & time: serial dates in the workbook's date system (sheetnet/dates.py
has the calendar, the 1900 system's phantom 29 February and the 1904
system).  Date arguments accept date text ("2024-02-29") as Excel does."""

from __future__ import annotations

import math

from ...dates import SECONDS_PER_DAY, DateSystem, time_of_day
from ...errors import ExcelError
from .registry import Category
from .workbook_dates import NUM_ERROR, dated, day_of, serial_of

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
