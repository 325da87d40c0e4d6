"""Excel's serial dates: day numbers in the 1900 and 1904 date systems.

A date is a number of days, a time the fraction of a day after it.

* 1900 system (Excel's default): serial 1 is 1900-01-01 and serial 0 is
  "1900-01-00".  Excel keeps Lotus 1-2-3's mistake of treating 1900 as a leap
  year: serial 60 is the non-existent 1900-02-29, so every serial from 61 on
  (1900-03-01) is one more than the days since 1899-12-31.  YEAR, MONTH and
  DAY of 60 are 1900, 2, 29 and DATE(1900,2,29) is 60.
* 1904 system (old Mac workbooks, ``<workbookPr date1904="1"/>``): serial 0
  is 1904-01-01, no quirk.

Both end at 9999-12-31.  The calendar arithmetic is on plain integers
(days since 0000-03-01, proleptic Gregorian), so that DATE's month and day
overflows (DATE(2024,14,-3)) can be normalised without Python's date range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

SECONDS_PER_DAY = 86400
MAX_YEAR = 9999


def days_from_civil(y: int, m: int, d: int) -> int:
    """Days from 1970-01-01 to y-m-d (proleptic Gregorian; any integers,
    month 1..12, day counted from the first of the month)."""
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    mp = (m + 9) % 12
    doy = (153 * mp + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def civil_from_days(z: int) -> tuple[int, int, int]:
    """The inverse of `days_from_civil`: (year, month, day)."""
    z += 719468
    era = (z if z >= 0 else z - 146096) // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (m <= 2), m, d


def is_leap_year(y: int) -> bool:
    return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)


def days_in_month(y: int, m: int) -> int:
    if m == 2:
        return 29 if is_leap_year(y) else 28
    return 30 if m in (4, 6, 9, 11) else 31


_DAY_1899_12_31 = days_from_civil(1899, 12, 31)
_DAY_1904_01_01 = days_from_civil(1904, 1, 1)
_DAY_1900_03_01 = days_from_civil(1900, 3, 1)


@dataclass(frozen=True)
class DateSystem:
    """One of Excel's two date systems (`DATE_1900`, `DATE_1904`)."""

    base_year: int              # 1900 or 1904

    @property
    def max_serial(self) -> int:
        """The serial of 9999-12-31 (2958465 in the 1900 system)."""
        return self.serial(MAX_YEAR, 12, 31)

    def serial(self, y: int, m: int, d: int) -> int:
        """The serial of a real calendar date (any integers: day d of the
        month counted from its first; may fall outside the valid range)."""
        z = days_from_civil(y, m, 1) + d - 1
        if self.base_year == 1904:
            return z - _DAY_1904_01_01
        # 1900: before 1900-03-01 serials count from 1899-12-31, after it
        # they are one more (the phantom 1900-02-29 is serial 60)
        return z - _DAY_1899_12_31 + (z >= _DAY_1900_03_01)

    def ymd(self, serial: int) -> tuple[int, int, int]:
        """(year, month, day) of a whole serial in the valid range; the 1900
        system's serial 0 is (1900, 1, 0) and 60 is (1900, 2, 29)."""
        if self.base_year == 1904:
            return civil_from_days(_DAY_1904_01_01 + serial)
        if serial == 0:
            return 1900, 1, 0
        if serial == 60:
            return 1900, 2, 29
        return civil_from_days(_DAY_1899_12_31 + serial - (serial > 60))

    def valid(self, serial: float) -> bool:
        return 0 <= serial < self.max_serial + 1

    def weekday(self, serial: int) -> int:
        """0 = Monday ... 6 = Sunday, as Excel counts them (in the 1900
        system serials before 61 are one day off the real calendar, and Excel
        keeps them so: serial 1, 1900-01-01, is a Sunday)."""
        if self.base_year == 1904:
            return (serial + 4) % 7          # 1904-01-01 was a Friday
        return (serial + 5) % 7              # serial 0 is "Saturday"

    def date_from_parts(self, y: int, m: int, d: int) -> int | None:
        """DATE(y, m, d) on whole numbers; None where Excel gives #NUM!.

        Years 0..1899 mean 1900..3799; months outside 1..12 move the year
        (after which the year must lie in 1900..9999 -- or 1904..9999); days
        outside the month move the date; the result must be a valid serial."""
        if y < 0 or y > MAX_YEAR:
            return None
        if y < 1900:
            y += 1900
        y, m0 = divmod(y * 12 + (m - 1), 12)
        if y < self.base_year or y > MAX_YEAR:
            return None
        # counted in serials from the month's first, so that the 1900 system's
        # phantom 29 February is a day like any other: DATE(1900,3,0) is 60
        s = self.serial(y, m0 + 1, 1) + d - 1
        return s if 0 <= s <= self.max_serial else None


DATE_1900 = DateSystem(1900)
DATE_1904 = DateSystem(1904)


def date_system(calc_props: dict | None) -> DateSystem:
    """The workbook's system from its ``workbookPr`` attributes (as the reader
    keeps them in ``Book.calc_props``)."""
    flag = (calc_props or {}).get("workbookPr.date1904", "0")
    return DATE_1904 if str(flag).strip().lower() in ("1", "true") else DATE_1900


def whole_days(serial: float) -> int:
    """The day part of a serial (times are after the day's start)."""
    return math.floor(serial)


def time_of_day(serial: float) -> tuple[int, int, int]:
    """(hour, minute, second) of a serial's time, rounded to the nearest
    second as Excel's HOUR/MINUTE/SECOND do (23:59:59.6 is 0:00:00)."""
    frac = serial - math.floor(serial)
    seconds = math.floor(frac * SECONDS_PER_DAY + 0.5) % SECONDS_PER_DAY
    h, rest = divmod(seconds, 3600)
    return h, rest // 60, rest % 60
