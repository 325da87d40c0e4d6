"""Laws of the math & trig, logical and information functions, checked on
random inputs through the engine (the reference-workbook tests pin Excel's
own values; these pin the structure between functions)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetnet.book import Book
from sheetnet.engine import Engine
from sheetnet.errors import CircularReferenceError, ExcelError
from sheetnet.dates import DATE_1900
from sheetnet.formula.values import parse_value_text

SETTINGS = settings(max_examples=40, deadline=None)


def evaluate(*formulas: str, cells: dict | None = None) -> list:
    """Each formula in its own cell of one sheet (row 1 onwards, column Z)."""
    book = Book()
    s = book.add_sheet("s")
    for ref, v in (cells or {}).items():
        s.set_value(ref, v)
    for i, f in enumerate(formulas):
        s.set_formula(f"Z{i + 1}", f)
    e = Engine(book).recalc()
    return [e.value("s", f"Z{i + 1}") for i in range(len(formulas))]


@given(n=st.integers(0, 3999), form=st.integers(0, 4))
@SETTINGS
def test_arabic_reads_every_roman_form_back(n, form):
    roman, back = evaluate(f"ROMAN({n},{form})", f"ARABIC(ROMAN({n},{form}))")
    assert back == n
    assert len(roman) <= len(evaluate(f"ROMAN({n},0)")[0])     # each form is at most as long as the classic


@given(a=st.integers(1, 10**6), b=st.integers(1, 10**6))
@SETTINGS
def test_gcd_times_lcm_is_the_product(a, b):
    g, lcm = evaluate(f"GCD({a},{b})", f"LCM({a},{b})")
    assert g * lcm == a * b and a % g == 0 and b % g == 0


@given(n=st.floats(-1e6, 1e6), d=st.floats(-1e3, 1e3).filter(lambda d: abs(d) > 1e-3))
@SETTINGS
def test_mod_takes_the_divisor_sign_and_stays_below_it(n, d):
    m, q = evaluate(f"MOD({n!r},{d!r})", f"QUOTIENT({n!r},{d!r})")
    assert m == 0 or (m > 0) == (d > 0)
    assert abs(m) <= abs(d)
    assert q == math.trunc(n / d)


@given(x=st.floats(-1e6, 1e6))
@SETTINGS
def test_even_and_odd_round_away_from_zero_to_the_nearest(x):
    even, odd = evaluate(f"EVEN({x!r})", f"ODD({x!r})")
    assert even % 2 == 0 and abs(even) >= abs(x) and abs(even) - abs(x) <= 2
    assert odd % 2 == 1 and abs(odd) >= abs(x) and abs(odd) - abs(x) <= 2


@given(n=st.integers(0, 60), k=st.integers(0, 60))
@SETTINGS
def test_combin_is_symmetric_and_combina_counts_multisets(n, k):
    if k > n:
        n, k = k, n
    c, c_sym, ca = evaluate(f"COMBIN({n},{k})", f"COMBIN({n},{n - k})", f"COMBINA({n + 1},{k})")
    assert c == c_sym == float(math.comb(n, k))
    assert ca == float(math.comb(n + k, k))


@given(x=st.floats(0, 1e6), m=st.floats(0.01, 1e3))
@SETTINGS
def test_mround_is_the_nearest_multiple(x, m):
    (r,) = evaluate(f"MROUND({x!r},{m!r})")
    assert abs(r - x) <= m / 2 * (1 + 1e-9)
    assert math.isclose(r / m, round(r / m), abs_tol=1e-6)


@given(n=st.integers(0, 2**53 - 1), radix=st.integers(2, 36))
@SETTINGS
def test_decimal_reads_base_back(n, radix):
    (back,) = evaluate(f"DECIMAL(BASE({n},{radix}),{radix})")
    assert back == n


@given(x=st.floats(-1e5, 1e5))
@SETTINGS
def test_trigonometric_identities(x):
    s, c, t, deg = evaluate(f"SIN({x!r})", f"COS({x!r})", f"TAN({x!r})", f"DEGREES(RADIANS({x!r}))")
    assert math.isclose(s * s + c * c, 1.0, rel_tol=1e-12)
    assert math.isclose(deg, x, rel_tol=1e-12, abs_tol=1e-12)
    if abs(c) > 1e-6:
        assert math.isclose(t, s / c, rel_tol=1e-9)


def test_trigonometry_stops_where_excel_does():
    big, big_negative, below = evaluate("SIN(2^27)", "COS(-2^27)", "SIN(2^27-1)")
    assert big == big_negative == ExcelError("#NUM!") and isinstance(below, float)


def test_round_with_any_digit_count_is_never_an_exception():
    assert evaluate("ROUND(1,1E10)", "ROUND(1,-1E10)", "ROUNDUP(1.5,400)", "ROUNDDOWN(-2.5,-400)",
                    "ROUND(1E300,-299)") == [1.0, 0.0, 1.5, 0.0, 1e300]


@given(a=st.booleans(), b=st.booleans(), c=st.booleans())
@SETTINGS
def test_de_morgan_and_parity(a, b, c):
    args = ",".join(str(v).upper() for v in (a, b, c))
    nots = ",".join(f"NOT({str(v).upper()})" for v in (a, b, c))
    and_, or_, xor, nor = evaluate(f"AND({args})", f"OR({args})", f"XOR({args})", f"NOT(OR({nots}))")
    assert and_ == (a and b and c) == nor
    assert or_ == (a or b or c)
    assert xor == ((a + b + c) % 2 == 1)


def test_logical_functions_read_typed_text_as_excel_does():
    assert evaluate('OR("TRUE")', 'AND("true",1)', 'XOR("",TRUE)', 'OR("1")', "XOR(A1:A2)",
                    cells={"A1": "TRUE"}) == [True, True, True, ExcelError("#VALUE!"), ExcelError("#VALUE!")]


@given(d=st.dates(min_value=__import__("datetime").date(1900, 3, 1)))
@SETTINGS
def test_date_text_in_arithmetic_is_the_serial(d):
    n = float(DATE_1900.serial(d.year, d.month, d.day))
    assert parse_value_text(d.isoformat()) == n
    assert parse_value_text(f"{d.month}/{d.day}/{d.year}") == n
    assert evaluate(f'"{d.isoformat()}"+0', f'SIGN("{d.isoformat()}")') == [n, 1.0]


def test_text_as_arithmetic_reads_it():
    assert [parse_value_text(t) for t in ("1900-02-29", "€100", "100€", "-$3", "14:30", " 2024-01-10 ", "x")] == \
        [60.0, 100.0, 100.0, -3.0, 14.5 / 24, None, None]


def test_a_branch_not_taken_is_no_cycle():
    """=CHOOSE(2, A1, "x") in A1 is no circular reference in Excel (the branch
    naming the cell is never evaluated); one that is taken still is."""
    assert evaluate('CHOOSE(2,Z1,"not a cycle")', "IF(FALSE,Z2,3)") == ["not a cycle", 3.0]
    book = Book()
    book.add_sheet("s").set_formula("A1", "CHOOSE(1,A1,2)")
    with pytest.raises(CircularReferenceError, match="s!A1 -> s!A1"):
        Engine(book).recalc()
