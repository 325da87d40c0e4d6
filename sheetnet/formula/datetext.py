"""Dates and times written as text, read the way Excel (en-US) reads them
when text meets arithmetic ("2024-01-10"+0 is 45301, "14:30" is 0.604...),
and the 1900 date system's serial numbers.

Serial numbers count days from 1900-01-01 (1) and keep Lotus 1-2-3's
fictitious 29 February 1900 (60), so every date from 1 March 1900 on is
one more than the plain day count from 1899-12-31.

Dates without a year ("1/10", "10-Jan") mean the current year in Excel:
they are not read here (a result must not depend on the day it is computed).
"""

from __future__ import annotations

import re
from datetime import date

MONTHS = {m: i + 1 for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))}
_MONTH_NAMES = {name: i + 1 for i, name in enumerate(
    ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"))}
_EPOCH = date(1899, 12, 31).toordinal()
_MONTH = r"(?P<mon>[A-Za-z]{3,9})"
_YEAR = r"(?P<y>\d{4}|\d{2})"
_DATE_FORMS = [
    re.compile(r"(?P<y>\d{4})[-/](?P<m>\d{1,2})[-/](?P<d>\d{1,2})"),            # 2024-01-10, 2024/1/10
    re.compile(rf"(?P<m>\d{{1,2}})[-/](?P<d>\d{{1,2}})[-/]{_YEAR}"),             # 1/10/2024, 1-10-24
    re.compile(rf"(?P<d>\d{{1,2}})[- ]{_MONTH}[- ]{_YEAR}"),                     # 10-Jan-2024, 10 January 24
    re.compile(rf"{_MONTH} (?P<d>\d{{1,2}}),? {_YEAR}"),                          # Jan 10, 2024
]
_TIME = re.compile(r"(?P<h>\d{1,2}):(?P<mi>\d{1,2})(?::(?P<s>\d{1,2}(?:\.\d*)?))?(?: ?(?P<ampm>[AaPp][Mm]))?"
                   r"|(?P<h12>\d{1,2}) ?(?P<ampm2>[AaPp][Mm])")


def serial(year: int, month: int, day: int) -> int | None:
    """The 1900-system serial of a valid date from 1900-01-01 to 9999-12-31."""
    if (year, month, day) == (1900, 2, 29):
        return 60
    try:
        n = date(year, month, day).toordinal() - _EPOCH
    except ValueError:
        return None
    if n < 1 or year > 9999:
        return None
    return n + 1 if n >= 60 else n


def _month(name: str) -> int | None:
    key = name.lower()
    return _MONTH_NAMES.get(key) or (MONTHS.get(key) if len(key) == 3 else None)


def _year(text: str) -> int:
    y = int(text)
    if len(text) == 2:
        y += 2000 if y < 30 else 1900
    return y


def _date_part(text: str) -> int | None:
    for form in _DATE_FORMS:
        m = form.fullmatch(text)
        if m is None:
            continue
        groups = m.groupdict()
        month = int(groups["m"]) if groups.get("m") else _month(groups["mon"])
        if month is None:
            return None
        return serial(_year(groups["y"]), month, int(groups["d"]))
    return None


def _time_part(text: str) -> float | None:
    m = _TIME.fullmatch(text)
    if m is None:
        return None
    if m.group("h12") is not None:
        hours, minutes, seconds, ampm = int(m.group("h12")), 0, 0.0, m.group("ampm2")
    else:
        hours, minutes = int(m.group("h")), int(m.group("mi"))
        seconds, ampm = float(m.group("s") or 0), m.group("ampm")
    if ampm:
        if not 1 <= hours <= 12:
            return None
        hours = hours % 12 + (12 if ampm.lower() == "pm" else 0)
    if minutes > 59 or seconds >= 60:
        return None
    return (hours * 3600 + minutes * 60 + seconds) / 86400


def parse_date_time(text: str) -> float | None:
    """A date, a time, or a date and a time (in that order, a space apart)
    as a serial number; None when the text is neither."""
    if not text or text != text.strip():
        return None
    d = _date_part(text)
    if d is not None:
        return float(d)
    t = _time_part(text)
    if t is not None:
        return t
    head, sep, tail = text.rpartition(" ")
    if sep and tail:
        # "2024-01-10 14:30", "Jan 10, 2024 2:30 PM"
        for split in (text.rfind(" ", 0, len(head)), len(head)):
            if split <= 0:
                continue
            d, t = _date_part(text[:split]), _time_part(text[split + 1:])
            if d is not None and t is not None:
                return d + t
    return None
