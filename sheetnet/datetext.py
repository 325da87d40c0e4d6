"""Reading dates and times written as text, as Excel (English, US) does in
DATEVALUE, TIMEVALUE, VALUE and wherever a function expecting a date is given
text: "2024-02-29", "2/29/2024", "29-Feb-2024", "February 29, 2024",
"6:00", "6:00:30.5 PM", "6 pm", "2024-02-29 06:00" ...

`parse_date_time` returns the serial (days, with the time as the fraction)
and which parts the text had; None when Excel would not read it (then the
function gives #VALUE!).

What Excel accepts and this follows:
* numeric dates month first (m/d/yyyy, m-d-yy), ISO year first
  (yyyy-m-d, yyyy/m/d); month names, full or abbreviated (d-mmm-yyyy,
  "mmm d, yyyy", "d mmmm yyyy"); a two-digit year is 2000-2029 below 30 and
  1930-1999 from 30; a date without a year is in the current year;
  "mmm yyyy" is the month's first day;
* times h:mm, h:mm:ss, h:mm:ss.fff, with AM/PM (also "6 PM"); minutes and
  seconds below 60; hours of a time alone may exceed 24 ("30:00" is 1.25);
* a date followed by a time.
The 1900 system accepts 29-Feb-1900 (serial 60), Excel's phantom day.
"""

from __future__ import annotations

import datetime
import re

from .dates import DATE_1900, DateSystem, days_in_month

MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december"]
_MONTH_BY_NAME = {**{m: i + 1 for i, m in enumerate(MONTHS)}, **{m[:3]: i + 1 for i, m in enumerate(MONTHS)},
                  "sept": 9}

_TIME = re.compile(
    r"(?:^|\s+)(?P<h>\d{1,4})(?::(?P<m>\d{1,2})(?::(?P<s>\d{1,2}(?:\.\d*)?))?)?\s*(?P<ampm>[ap]\.?m?\.?)?$",
    re.IGNORECASE)
_TIME_ONLY_MS = re.compile(r"^(?P<m>\d{1,2}):(?P<s>\d{1,2}\.\d*)$")   # mm:ss.0 (a minutes-and-seconds value)
_ISO = re.compile(r"^(\d{4})([-/])(\d{1,2})\2(\d{1,2})$")
_NUMERIC = re.compile(r"^(\d{1,2})([-/])(\d{1,2})(?:\2(\d{1,4}))?$")
_WORD_DATE = re.compile(r"^[A-Za-z0-9]+(?:[\s,./-]+[A-Za-z0-9]+)*$")


def parse_date_time(text: str, system: DateSystem = DATE_1900, today: datetime.date | None = None):
    """(serial, has_date, has_time) or None."""
    t = text.strip()
    if not t:
        return None
    date_part, time_value = _split_time(t)
    if time_value is None and date_part is None:
        return None
    serial = 0
    if date_part:
        serial = _parse_date(date_part, system, today)
        if serial is None:
            return None
    if time_value is not None and date_part and time_value >= 1:
        return None                      # "1/2/2024 25:00" is not a date
    return serial + (time_value or 0.0), bool(date_part), time_value is not None


def _split_time(t: str):
    """(date text or None, time as a fraction of a day or None); (None, None)
    when the text ends in something that looks like a time but is not one."""
    ms = _TIME_ONLY_MS.match(t)
    if ms:
        minutes, seconds = int(ms["m"]), float(ms["s"])
        if minutes >= 60 or seconds >= 60:
            return None, None
        return None, (minutes * 60 + seconds) / 86400
    m = _TIME.search(t)
    if m is None or (m["m"] is None and m["ampm"] is None):
        return t, None                   # a time needs a colon or AM/PM: a date alone
    head = t[:m.start()].strip() or None
    h, minutes, seconds = int(m["h"]), int(m["m"] or 0), float(m["s"] or 0)
    if minutes >= 60 or seconds >= 60:
        return None, None
    if m["ampm"]:
        if h > 12:
            return None, None
        h = h % 12 + (12 if m["ampm"][0].lower() == "p" else 0)
    return head, (h * 3600 + minutes * 60 + seconds) / 86400


def _year(text: str) -> int:
    y = int(text)
    if len(text) <= 2:
        return y + (2000 if y < 30 else 1900)
    return y


def _parse_date(t: str, system: DateSystem, today: datetime.date | None) -> int | None:
    today = today or datetime.date.today()
    iso = _ISO.match(t)
    if iso:
        return _serial(system, int(iso[1]), int(iso[3]), int(iso[4]))
    num = _NUMERIC.match(t)
    if num:
        a, b, c = int(num[1]), int(num[3]), num[4]
        if c is not None:
            return _serial(system, _year(c), a, b)
        if b > 31 or (b > days_in_month(today.year, a) if 1 <= a <= 12 else False):
            # "1/2024", "1-95": a month of a year, its first day
            return _serial(system, _year(num[3]), a, 1) if b > 31 or len(num[3]) <= 2 else None
        return _serial(system, today.year, a, b)
    if not _WORD_DATE.match(t):
        return None
    tokens = re.findall(r"[A-Za-z]+|\d+", t)
    words = [w for w in tokens if w.isalpha()]
    if len(words) != 1 or words[0].lower() not in _MONTH_BY_NAME:
        return None
    month = _MONTH_BY_NAME[words[0].lower()]
    where = tokens.index(words[0])
    numbers = [w for w in tokens if w.isdigit()]
    if len(numbers) == 2:
        if where == 0:                       # "Feb 29, 2024"
            day, year = numbers
        elif where == 1:                     # "29-Feb-2024", "29 February 2024"
            day, year = numbers
        else:
            return None
        if len(day) > 2:
            return None
        return _serial(system, _year(year), month, int(day))
    if len(numbers) == 1:
        n = numbers[0]
        if len(n) <= 2 and 1 <= int(n) <= 31:    # "29-Feb", "Feb 29": this year
            return _serial(system, today.year, month, int(n))
        return _serial(system, _year(n), month, 1)   # "Feb 2024", "Feb-2024"
    return None


def _serial(system: DateSystem, y: int, m: int, d: int) -> int | None:
    """The serial of a calendar date Excel accepts in text (1900-02-29 included)."""
    if not (1 <= m <= 12) or y > 9999 or y < system.base_year:
        return None
    if system.base_year == 1900 and (y, m, d) == (1900, 2, 29):
        return 60
    if not 1 <= d <= days_in_month(y, m):
        return None
    return system.serial(y, m, d)
