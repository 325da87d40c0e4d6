"""What date functions share: the workbook's date system and Excel's reading
of a value as a date serial.

Most DATE_AND_TIME functions (and TEXT, VALUE, DATEVALUE) depend on the date
system the workbook declares (1900, or 1904 with ``<workbookPr
date1904="1"/>``, kept by the reader in ``Book.calc_props``).  `dated`
registers a plain-Python function of one value per parameter whose first
argument is that system; it is lifted element by element like an
`elementwise` registration, once per system.
"""

from __future__ import annotations

import math

from ...dates import DATE_1900, DATE_1904, SECONDS_PER_DAY, DateSystem, date_system
from ...datetext import parse_date_time
from ...errors import ExcelError
from ..values import parse_number_text
from .lifting import lift
from .registry import Category, function, parse_signature

VALUE_ERROR = ExcelError("#VALUE!")
NUM_ERROR = ExcelError("#NUM!")


def system_of(ctx) -> DateSystem:
    """The date system of the workbook being evaluated (1900 without one)."""
    engine = getattr(ctx.ev, "engine", None)
    book = getattr(engine, "book", None)
    return date_system(getattr(book, "calc_props", None))


def dated(*names: str, category: Category = Category.DATE_TIME, args: str, prefix: str = "",
          volatile: bool = False):
    """Register ``fn(system, *values)``: parameters typed as in `elementwise`
    (number, integer, text, boolean, any), lifted element by element."""
    params, repeat = parse_signature(args)
    if repeat:
        raise ValueError(f"{names[0]}: dated parameters are single values, not repeated")

    def register(fn):
        lifted = {}
        for system in (DATE_1900, DATE_1904):
            def bound(*values, _system=system):
                return fn(_system, *values)
            bound.__doc__, bound.__module__ = fn.__doc__, fn.__module__
            lifted[system] = lift(bound, params)

        def impl(ctx, *arguments):
            return lifted[system_of(ctx)](ctx, *arguments)

        impl.__doc__, impl.__module__ = fn.__doc__, fn.__module__
        function(*names, category=category, args=args, prefix=prefix, volatile=volatile)(impl)
        return fn

    return register


def serial_of(value, system: DateSystem, booleans: bool = True):
    """A value (an "any" parameter) read as a date serial, as Excel reads a
    date argument: numbers as they are, TRUE 1, blank 0, text as a number or
    as a date/time ("2024-02-29", "6:00"); other text #VALUE!; errors are
    returned as they are.  The Analysis ToolPak's functions (EDATE, EOMONTH,
    YEARFRAC, WORKDAY ...) refuse booleans: ``booleans=False`` makes them
    #VALUE!."""
    if isinstance(value, ExcelError):
        return value
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return float(value) if booleans else VALUE_ERROR
    if isinstance(value, str):
        x = parse_number_text(value)
        if x is not None:
            return x
        parsed = parse_date_time(value, system)
        return VALUE_ERROR if parsed is None else parsed[0]
    return float(value)


def day_of(value, system: DateSystem, booleans: bool = True):
    """A date argument as a whole day in the system's range, or #NUM! outside
    0..9999-12-31 (errors and #VALUE! passed on).  Excel reads a serial's date
    after rounding its time to the nearest second: 46000.999999 is the day
    46001 (DAYS360 and YEAR see it so; DAYS subtracts the plain integers)."""
    x = serial_of(value, system, booleans)
    if isinstance(x, ExcelError):
        return x
    if not math.isfinite(x) or not system.valid(x):
        return NUM_ERROR
    return min(whole_day(x), system.max_serial)


def whole_day(serial: float) -> int:
    """The day of a serial whose time is rounded to the nearest second."""
    return math.floor(serial + 0.5 / SECONDS_PER_DAY)


def integer_of(value, booleans: bool = True):
    """A count argument (months, days, a basis) truncated toward zero: as
    a number parameter, but the Analysis ToolPak's functions refuse booleans."""
    x = serial_of(value, DATE_1900, booleans)
    if isinstance(x, ExcelError):
        return x
    if not math.isfinite(x):
        return NUM_ERROR
    return math.trunc(x)


def toolpak_number(value):
    """A number argument of an Analysis ToolPak function (EDATE, DOLLARDE ...):
    as a number parameter (text converted, dates too), but booleans are
    #VALUE!; errors are returned as they are."""
    return serial_of(value, DATE_1900, booleans=False)
