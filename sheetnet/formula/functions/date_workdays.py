"""Date & time: working days -- NETWORKDAYS, WORKDAY and their .INTL forms.

A week's weekend is a mask of seven days (Monday first); holidays are a
range or array of dates.  Counting is arithmetic (whole weeks, then the
remainder, then the holidays that fall on working days), so that a span of
decades costs no more than a week; WORKDAY searches the counting function.
"""

from __future__ import annotations

import bisect

from ...dates import DateSystem
from ...errors import ExcelError
from ...store import BLANK, decode
from ..values import Arr
from .registry import Category, function, parse_signature
from .whole_argument import lift_with_whole
from .workbook_dates import NUM_ERROR, VALUE_ERROR, day_of, integer_of, system_of

DATE_TIME = Category.DATE_TIME

# WEEKEND codes of the .INTL forms: 1..7 two days (Saturday+Sunday,
# Sunday+Monday, ... Friday+Saturday), 11..17 one day (Sunday, Monday ...
# Saturday); masks are Monday first
_WEEKEND_CODES = {
    **{k: tuple((d in ((k + 4) % 7, (k + 5) % 7)) for d in range(7)) for k in range(1, 8)},
    **{k: tuple(d == (k - 5) % 7 for d in range(7)) for k in range(11, 18)},
}
SATURDAY_SUNDAY = _WEEKEND_CODES[1]


def weekend_mask(value):
    """The WEEKEND argument: a code or a text of seven 0/1 (Monday first);
    an unknown code is #NUM!, a bad text or no working day #VALUE!."""
    if isinstance(value, ExcelError):
        return value
    if value is None:
        return SATURDAY_SUNDAY
    if isinstance(value, str) and not value.strip().lstrip("-").isdigit():
        if len(value) != 7 or set(value) - {"0", "1"} or value == "1111111":
            return VALUE_ERROR
        return tuple(ch == "1" for ch in value)
    code = integer_of(value)
    if isinstance(code, ExcelError):
        return code
    return _WEEKEND_CODES.get(code, NUM_ERROR)


class Calendar:
    """Working days of one weekend mask and holiday list."""

    def __init__(self, system: DateSystem, weekend: tuple, holidays: list[int]):
        self.system = system
        self.weekend = weekend
        self.per_week = 7 - sum(weekend)
        # holidays matter only on working days; each counts once
        self.holidays = sorted({h for h in holidays if self.is_workday_by_week(h)})

    def is_workday_by_week(self, day: int) -> bool:
        return not self.weekend[self.system.weekday(day)]

    def is_workday(self, day: int) -> bool:
        if not self.is_workday_by_week(day):
            return False
        i = bisect.bisect_left(self.holidays, day)
        return not (i < len(self.holidays) and self.holidays[i] == day)

    def count(self, a: int, b: int) -> int:
        """Working days in a..b (both included, a <= b)."""
        weeks, rest = divmod(b - a + 1, 7)
        n = weeks * self.per_week
        start = self.system.weekday(a)
        n += sum(not self.weekend[(start + i) % 7] for i in range(rest))
        n -= bisect.bisect_right(self.holidays, b) - bisect.bisect_left(self.holidays, a)
        return n

    def shift(self, start: int, days: int) -> int:
        """The day `days` working days after (before, when negative) start."""
        if days == 0:
            return start
        step = 1 if days > 0 else -1
        wanted = abs(days)
        # far enough to hold that many working days, whatever the holidays
        reach = (wanted // self.per_week + 2) * 7 + len(self.holidays) * 7 // max(self.per_week, 1) + 7
        lo, hi = 1, reach
        while lo < hi:                      # the smallest distance holding `wanted` working days
            mid = (lo + hi) // 2
            a, b = (start + 1, start + mid) if step > 0 else (start - mid, start - 1)
            if self.count(a, b) >= wanted:
                hi = mid
            else:
                lo = mid + 1
        return start + step * lo


def _holiday_days(h: Arr | None, system: DateSystem):
    """The holidays of one batch element: whole days, or the error Excel gives
    (an error inside propagates; text that is no date is #VALUE!; blanks are
    skipped)."""
    if h is None:
        return []
    days = []
    for k, x, s in zip(h.kinds().reshape(-1).tolist(), h.num.reshape(-1).tolist(), h.strings().reshape(-1).tolist()):
        if k == BLANK:
            continue
        d = day_of(decode(k, x, s), system, booleans=False)
        if isinstance(d, ExcelError):
            return d
        days.append(d)
    return days


def _networkdays(system, start, end, weekend, holidays):
    """NETWORKDAYS(.INTL)(start, end, [weekend], [holidays]): working days from
    start to end, both counted (negative when end is before start)."""
    a = day_of(start, system, booleans=False)
    if isinstance(a, ExcelError):
        return a
    b = day_of(end, system, booleans=False)
    if isinstance(b, ExcelError):
        return b
    mask = weekend_mask(weekend)
    if isinstance(mask, ExcelError):
        return mask
    if holidays is None:
        holidays = []
    if isinstance(holidays, ExcelError):
        return holidays
    cal = Calendar(system, mask, holidays)
    return float(cal.count(a, b) if a <= b else -cal.count(b, a))


def _workday(system, start, days, weekend, holidays):
    """WORKDAY(.INTL)(start, days, [weekend], [holidays]): the working day
    `days` working days after start (before it when negative)."""
    a = day_of(start, system, booleans=False)
    if isinstance(a, ExcelError):
        return a
    n = integer_of(days, booleans=False)
    if isinstance(n, ExcelError):
        return n
    mask = weekend_mask(weekend)
    if isinstance(mask, ExcelError):
        return mask
    if holidays is None:
        holidays = []
    if isinstance(holidays, ExcelError):
        return holidays
    if abs(n) > system.max_serial:
        return NUM_ERROR
    day = Calendar(system, mask, holidays).shift(a, n)
    return float(day) if system.valid(day) else NUM_ERROR


def _registered(compute, value_args: str, weekend: bool):
    """The batch form of compute(system, start, x, weekend, holidays): the
    holidays (the last argument) read whole, the others lifted."""
    params, _ = parse_signature(value_args)

    def impl(ctx, *args):
        system = system_of(ctx)
        if weekend:
            def fn(start, x, mask, holidays):
                return compute(system, start, x, mask, holidays)
        else:
            def fn(start, x, holidays):
                return compute(system, start, x, None, holidays)
        return lift_with_whole(fn, params, len(params), lambda a: _holiday_days(a, system))(ctx, *args)

    impl.__doc__ = compute.__doc__
    return impl


function("NETWORKDAYS", category=DATE_TIME, args="start_date: any, end_date: any, [holidays: reference]")(
    _registered(_networkdays, "start_date: any, end_date: any", weekend=False))
function("NETWORKDAYS.INTL", category=DATE_TIME, prefix="_xlfn.",
         args="start_date: any, end_date: any, [weekend: any], [holidays: reference]")(
    _registered(_networkdays, "start_date: any, end_date: any, [weekend: any]", weekend=True))
function("WORKDAY", category=DATE_TIME, args="start_date: any, days: any, [holidays: reference]")(
    _registered(_workday, "start_date: any, days: any", weekend=False))
function("WORKDAY.INTL", category=DATE_TIME, prefix="_xlfn.",
         args="start_date: any, days: any, [weekend: any], [holidays: reference]")(
    _registered(_workday, "start_date: any, days: any, [weekend: any]", weekend=True))
