"""Date & time functions: the serial-date laws (DATE/YEAR/MONTH/DAY round
trip over the whole range, the 1900 system's phantom 29 February, the 1904
system), TIME/HOUR/MINUTE/SECOND, and date text.  Excel's own values are
checked by tests/test_reference_workbooks.py; these are the laws between
the functions."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetnet.book import Book
from sheetnet.dates import DATE_1900, DATE_1904, civil_from_days, days_from_civil
from sheetnet.datetext import parse_date_time
from sheetnet.engine import Engine
from sheetnet.errors import ExcelError

SETTINGS = settings(max_examples=25, deadline=None)
NUM = ExcelError("#NUM!")


def _column(formulas: list[str], values: list, date1904: bool = False) -> list:
    """Each formula evaluated in its own row, with the value of its row in A."""
    book = Book()
    if date1904:
        book.calc_props["workbookPr.date1904"] = "1"
    s = book.add_sheet("s")
    for i, v in enumerate(values, 1):
        s.set_value(f"A{i}", v)
    for i, f in enumerate(formulas, 1):
        s.set_formula(f"B{i}", f)
    e = Engine(book).recalc()
    return [e.value("s", f"B{i}") for i in range(1, len(formulas) + 1)]


def _eval(formula: str, date1904: bool = False):
    return _column([formula], [None], date1904)[0]


def test_civil_days_are_the_proleptic_gregorian_calendar():
    for d in (datetime.date(1, 1, 1), datetime.date(1899, 12, 30), datetime.date(2024, 2, 29),
              datetime.date(9999, 12, 31)):
        z = days_from_civil(d.year, d.month, d.day)
        assert z == (d - datetime.date(1970, 1, 1)).days
        assert civil_from_days(z) == (d.year, d.month, d.day)


def test_the_1900_system_keeps_lotus_phantom_leap_day():
    assert DATE_1900.ymd(0) == (1900, 1, 0)
    assert DATE_1900.ymd(59) == (1900, 2, 28)
    assert DATE_1900.ymd(60) == (1900, 2, 29)
    assert DATE_1900.ymd(61) == (1900, 3, 1)
    assert DATE_1900.max_serial == 2958465
    assert DATE_1904.max_serial == 2957003
    assert DATE_1900.date_from_parts(1900, 2, 29) == 60
    assert DATE_1900.date_from_parts(1900, 3, 0) == 60
    assert DATE_1900.date_from_parts(1900, 2, 30) == 61
    assert DATE_1900.date_from_parts(1900, 1, 0) == 0
    assert DATE_1900.date_from_parts(1900, 1, -1) is None
    # Excel's WEEKDAY: serial 1 (1900-01-01) is a Sunday in Excel's count
    assert DATE_1900.weekday(1) == 6 and DATE_1900.weekday(45351) == 3      # 2024-02-29: Thursday
    assert DATE_1904.weekday(0) == 4                                         # 1904-01-01: Friday


@given(st.lists(st.integers(0, 2958465), min_size=1, max_size=40))
@SETTINGS
def test_date_of_year_month_day_is_the_serial(serials):
    formulas = [f"DATE(YEAR(A{i}),MONTH(A{i}),DAY(A{i}))" for i in range(1, len(serials) + 1)]
    fractions = [s + 0.75 for s in serials]                 # a time of day changes nothing
    assert _column(formulas, fractions) == [float(s) for s in serials]


@given(st.lists(st.integers(0, 2957003), min_size=1, max_size=20))
@SETTINGS
def test_the_round_trip_holds_in_the_1904_system(serials):
    formulas = [f"DATE(YEAR(A{i}),MONTH(A{i}),DAY(A{i}))" for i in range(1, len(serials) + 1)]
    assert _column(formulas, serials, date1904=True) == [float(s) for s in serials]


def test_the_round_trip_is_exact_around_the_phantom_day():
    for s in range(0, 400):
        assert DATE_1900.date_from_parts(*DATE_1900.ymd(s)) == s, s


@given(st.integers(1900, 9999), st.integers(-30, 30), st.integers(-100, 100))
@SETTINGS
def test_date_carries_months_and_days_as_the_calendar_does(y, m, d):
    serial = DATE_1900.date_from_parts(y, m, d)
    yy, mm = divmod(y * 12 + m - 1, 12)
    if not 1900 <= yy <= 9999 or serial is None:
        return
    first = datetime.date(yy, mm + 1, 1)
    real = first + datetime.timedelta(days=d - 1)
    if real >= datetime.date(1900, 3, 1):
        # days carried from a month before March 1900 also count the phantom
        # 29-Feb-1900 (DATE(1900,2,29) is serial 60, not 1-Mar-1900's 61)
        phantom = 1 if first < datetime.date(1900, 3, 1) else 0
        assert serial == (real - datetime.date(1899, 12, 30)).days - phantom


def test_date_edges_and_coercions():
    assert _eval("DATE(2024,2,29)") == 45351.0
    assert _eval("DATE(124,2,29)") == 45351.0               # years below 1900 are added to 1900
    assert _eval("DATE(2024,14,0)") == _eval("DATE(2025,1,31)")
    assert _eval("DATE(9999,12,31)") == 2958465.0
    assert _eval("DATE(9999,13,1)") == NUM and _eval("DATE(-1,1,1)") == NUM and _eval("DATE(0,0,1)") == NUM
    assert _eval('DATE("2024",2.9,29.9)') == 45351.0          # text numbers, truncated parts
    assert _eval("DATE(1904,1,1)", date1904=True) == 0.0
    assert _eval("DATE(1903,12,31)", date1904=True) == NUM
    assert _eval("YEAR(0)") == 1900.0 and _eval("DAY(0)") == 0.0 and _eval("YEAR(0)", date1904=True) == 1904.0
    assert _eval("YEAR(-1)") == NUM and _eval("YEAR(2958466)") == NUM
    assert _eval('YEAR("2024-02-29")') == 2024.0 and _eval('MONTH("29-Feb-2024")') == 2.0
    assert _eval('DAY("abc")') == ExcelError("#VALUE!")


@given(st.integers(0, 23), st.integers(0, 59), st.integers(0, 59))
@SETTINGS
def test_hour_minute_second_of_time_are_its_parts(h, m, s):
    assert _column([f"HOUR(TIME({h},{m},{s}))", f"MINUTE(TIME({h},{m},{s}))", f"SECOND(TIME({h},{m},{s}))"],
                   [None] * 3) == [float(h), float(m), float(s)]


def test_time_carries_and_rounds_as_excel():
    assert _eval("TIME(23,120,0)") == 1.0416666666666667 - 1     # x - INT(x), as Excel
    assert _eval("TIME(0,0,-1)") == NUM and _eval("TIME(32768,0,0)") == NUM
    assert _eval("TIME(24,0,0)") == 0.0
    assert _eval("SECOND(0.0014236111111110006)") == 3.0         # 122.99999999999 s is 123 s
    assert _eval("HOUR(0.99999999)") == 0.0                      # rounds to midnight
    assert _eval("HOUR(-0.5)") == NUM
    assert _eval('HOUR("6:45 PM")') == 18.0


@pytest.mark.parametrize("text, expected", [
    ("2024-02-29", 45351.0), ("2/29/2024", 45351.0), ("29-Feb-2024", 45351.0), ("February 29, 2024", 45351.0),
    ("29 Feb 24", 45351.0), ("1/2/30", 10960.0), ("29-Feb-1900", 60.0), ("1-Mar-1900", 61.0),
    ("Feb 2024", 45323.0), ("6:00", 0.25), ("6 PM", 0.75), ("12:00 AM", 0.0), ("30:00", 1.25),
    ("2024-02-29 06:00", 45351.25), ("2/29/2024 6:00 PM", 45351.75),
])
def test_date_text_is_read_as_excel_reads_it(text, expected):
    assert parse_date_time(text)[0] == expected


@pytest.mark.parametrize("text", ["", "abc", "2/30/2024", "13/1/2024", "29-Feb-2023", "6:60", "13:00 PM",
                                  "1/2/2024 25:00", "2024"])
def test_text_that_is_no_date_is_refused(text):
    assert parse_date_time(text) is None


def test_a_1904_workbook_is_read_and_computed_in_the_1904_system(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    from openpyxl.utils.datetime import CALENDAR_MAC_1904
    from sheetnet.xlsx.reader import read_workbook
    wb = openpyxl.Workbook()
    wb.epoch = CALENDAR_MAC_1904
    ws = wb.active
    ws.title = "s"
    ws["A1"] = "=DATE(1904,1,2)"
    ws["A2"] = "=YEAR(0)"
    wb.save(tmp_path / "mac.xlsx")
    e = Engine(read_workbook(str(tmp_path / "mac.xlsx"))).recalc()
    assert (e.value("s", "A1"), e.value("s", "A2")) == (1.0, 1904.0)


def _date(serial: int) -> datetime.date:
    return datetime.date(1899, 12, 30) + datetime.timedelta(days=serial)


_modern = st.integers(7000, 2958465 - 7000)      # 1919..9980: months and weeks away from 1900


@given(st.lists(_modern, min_size=1, max_size=10))
@SETTINGS
def test_weekdays_and_iso_weeks_follow_the_calendar(serials):
    n = len(serials)
    got = _column([f"WEEKDAY(A{i})" for i in range(1, n + 1)] + [f"WEEKDAY(A{i},2)" for i in range(1, n + 1)]
                  + [f"ISOWEEKNUM(A{i})" for i in range(1, n + 1)] + [f"WEEKNUM(A{i},21)" for i in range(1, n + 1)],
                  serials)
    days = [_date(s) for s in serials]
    assert got[:n] == [float(d.isoweekday() % 7 + 1) for d in days]
    assert got[n:2 * n] == [float(d.isoweekday()) for d in days]
    assert got[2 * n:3 * n] == got[3 * n:] == [float(d.isocalendar()[1]) for d in days]


@given(_modern, st.integers(-60, 60), st.integers(1, 17).filter(lambda k: k <= 7 or k >= 11))
@SETTINGS
def test_networkdays_and_workday_agree_with_counting_days(start, days, weekend):
    mask = {k: {(k + 4) % 7, (k + 5) % 7} for k in range(1, 8)} | {k: {(k - 5) % 7} for k in range(11, 18)}
    holiday = start + 3
    formulas = [f"WORKDAY.INTL({start},{days},{weekend},{holiday})",
                f"NETWORKDAYS.INTL({start},{start + days},{weekend},{holiday})"]
    end, count = _column(formulas, [None, None])
    working = [d for d in range(min(start, start + days), max(start, start + days) + 1)
               if _date(d).weekday() not in mask[weekend] and d != holiday]
    assert count == (len(working) if days >= 0 else -len(working))
    step, d, left = (1 if days > 0 else -1), start, abs(days)
    while left:
        d += step
        if _date(d).weekday() not in mask[weekend] and d != holiday:
            left -= 1
    assert end == float(d)


@given(_modern, st.integers(-200, 200))
@SETTINGS
def test_edate_and_eomonth_move_by_calendar_months(start, months):
    edate, eomonth = _column([f"EDATE({start},{months})", f"EOMONTH({start},{months})"], [None, None])
    d = _date(start)
    y, m = divmod(d.year * 12 + d.month - 1 + months, 12)
    last = (datetime.date(y + (m == 11), (m + 1) % 12 + 1, 1) - datetime.timedelta(days=1)).day
    assert _date(int(edate)) == datetime.date(y, m + 1, min(d.day, last))
    assert _date(int(eomonth)) == datetime.date(y, m + 1, last)


@given(_modern, _modern)
@SETTINGS
def test_day_counts(a, b):
    got = _column([f"DAYS({b},{a})", f'DATEDIF({min(a, b)},{max(a, b)},"D")', f"YEARFRAC({a},{b},3)",
                   f"YEARFRAC({a},{b},2)", f"DAYS360({a},{b},TRUE)", f'DATEDIF({min(a, b)},{max(a, b)},"M")'],
                  [None] * 6)
    assert got[:4] == [float(b - a), float(abs(b - a)), abs(b - a) / 365, abs(b - a) / 360]
    d1, d2 = _date(a), _date(b)
    assert got[4] == (d2.year - d1.year) * 360 + (d2.month - d1.month) * 30 + min(d2.day, 30) - min(d1.day, 30)
    lo, hi = sorted((d1, d2))
    assert got[5] == (hi.year - lo.year) * 12 + hi.month - lo.month - (hi.day < lo.day)


def test_yearfrac_actual_and_us_bases_as_excel():
    got = _column(["YEARFRAC(DATE(2024,1,31),DATE(2024,2,29),0)", "YEARFRAC(DATE(2023,3,3),DATE(2024,2,28),1)",
                   "YEARFRAC(DATE(2022,2,2),DATE(2024,2,29),1)", "YEARFRAC(1,2,5)", "YEARFRAC(TRUE,2)",
                   "DAYS360(DATE(2024,2,29),DATE(2025,2,28))"], [None] * 6)
    assert got == [29 / 360, 362 / 365, 757 / (1096 / 3), NUM, ExcelError("#VALUE!"), 358.0]


def test_date_and_time_text():
    got = _column(['DATEVALUE("2024-02-29 06:00")', 'DATEVALUE("6:00")', 'TIMEVALUE("24:00")', 'TIMEVALUE("6:30 PM")',
                   'TIMEVALUE("2024-01-01")', "DATEVALUE(45000)"], [None] * 6)
    assert got == [45351.0, ExcelError("#VALUE!"), 0.0, 0.7708333333333334, 0.0, ExcelError("#VALUE!")]


def test_today_and_now_are_volatile_and_agree():
    from sheetnet.formula.functions import FUNCTIONS
    assert FUNCTIONS["TODAY"].volatile and FUNCTIONS["NOW"].volatile
    today, now = _column(["TODAY()", "NOW()"], [None, None])
    assert today == float(int(now)) or now - today < 1.0001
    assert _date(int(today)) in (datetime.date.today(), datetime.date.today() - datetime.timedelta(days=1))


def test_holidays_can_differ_from_cell_to_cell():
    book = Book()
    s = book.add_sheet("s")
    for r, v in enumerate([45293, 45294, 45295, None, None], 1):        # Tue..Thu 2-4 Jan 2024
        s.set_value(f"A{r}", v)
    s.fill("B1:B3", "WORKDAY(45292,1,A1:A2)")                            # from Monday 1 Jan 2024
    e = Engine(book).recalc()
    assert [e.value("s", f"B{r}") for r in (1, 2, 3)] == [45295.0, 45293.0, 45293.0]
