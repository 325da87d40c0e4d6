"""The number-format engine (sheetnet/numformat.py): Excel's format codes.
Excel's own TEXT results over 350 number/format pairs are checked by
tests/test_reference_workbooks.py (TEXT.xlsx); these cover the rest of the
language."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetnet.dates import DATE_1904
from sheetnet.numformat import FormatError, format_value, general


@pytest.mark.parametrize("value, code, text", [
    (1234.5, "#,##0.00", "1,234.50"),
    (-1234.5, "#,##0.00", "-1,234.50"),
    (-12, "#,##0_);(#,##0)", "(12)"),
    (12, "#,##0_);(#,##0)", "12 "),
    (0, "0.0;-0.0;\"zero\"", "zero"),
    (-0.001, "0.00", "0.00"),                      # no minus on a zero shown
    (-0.001, "0.00;(0.00)", "(0.00)"),             # the negative section still chosen
    ("abc", "0;0;0;\"[\"@\"]\"", "[abc]"),
    ("abc", "0.00", "abc"),
    (0.125, "0.0%", "12.5%"),
    (1234567, "#,##0,", "1,235"),                  # a trailing comma divides by 1000
    (1234567, "0.0,,\" M\"", "1.2 M"),
    (12345.678, "0.00E+00", "1.23E+04"),
    (0.000123, "0.0E-0", "1.2E-4"),
    (12345, "##0.0E+0", "12.3E+3"),                # engineering notation
    (2.675, "0.00", "2.68"),                       # 15 significant digits, half away from zero
    (5, "000", "005"),
    (5.5, "??.??", " 5.5 "),
    (1.5, "# ?/?", "1 1/2"),
    (0.75, "?/??", "3/4 "),
    (2.3, "# ??/16", "2  5/16"),
    (3, "# ?/?", "3    "),
    (150, "[>=100]\"big\";[<0]\"neg\";0", "big"),
    (5, "[Red][>=100]\"big\";[Blue]0", "5"),
    (7, "[$€-407] 0", "€ 7"),
    (7, "\\$0\\!", "$7!"),
    (7, "0*-", "7"),
    (1234.5, "General", "1234.5"),
    (-1234.5, "\"Total: \"General", "Total: -1234.5"),
])
def test_number_formats(value, code, text):
    assert format_value(value, code) == text


@pytest.mark.parametrize("serial, code, text", [
    (45351.75, "yyyy-mm-dd hh:mm:ss AM/PM", "2024-02-29 06:00:00 PM"),
    (45351.75, "d mmm yy h:mm am/pm", "29 Feb 24 6:00 pm"),
    (45351.0, "dddd, mmmm d", "Thursday, February 29"),
    (45351.0, "mmmmm", "F"),
    (45351.5, "h A/P", "12 P"),
    (0.5 + 1 / 86400 * 0.4, "hh:mm:ss", "12:00:00"),
    (0.999999, "hh:mm:ss", "00:00:00"),            # rounded to the second, on to midnight
    (1.5, "[h]:mm", "36:00"),
    (0.0625, "[mm]:ss", "90:00"),
    (0.5 + 0.25 / 86400, "hh:mm:ss.00", "12:00:00.25"),
    (0, "m/d/yyyy", "1/0/1900"),
    (60, "m/d/yyyy", "2/29/1900"),                 # Excel's phantom leap day
    (61, "dddd", "Thursday"),
    (2958465, "yyyy-mm-dd", "9999-12-31"),
])
def test_date_formats(serial, code, text):
    assert format_value(serial, code) == text


def test_date_formats_in_the_1904_system_and_out_of_range():
    assert format_value(0, "yyyy-mm-dd", DATE_1904) == "1904-01-01"
    for bad in (-1, 2958466):
        with pytest.raises(FormatError):
            format_value(bad, "yyyy")
    with pytest.raises(FormatError):
        format_value(5, "mm###")


@pytest.mark.parametrize("x, text", [
    (0.333333333333, "0.333333333"), (12345.6789, "12345.6789"), (123456789012, "1.23457E+11"),
    (25000000000, "25000000000"), (-2.5e-9, "-2.5E-09"), (-1e-8, "-0.00000001"), (1e100, "1E+100"),
    (0.000123456789, "0.000123457"), (99999999999.7, "1E+11"), (1e-300, "1E-300"),
])
def test_general_shows_eleven_characters(x, text):
    assert general(x) == text


@given(st.floats(-1e300, 1e300, allow_nan=False))
@settings(max_examples=200, deadline=None)
def test_general_never_exceeds_its_width_and_keeps_the_value(x):
    text = general(x)
    assert len(text.lstrip("-")) <= 11
    if x != 0:
        assert float(text) == pytest.approx(x, rel=6e-5) or abs(x) < 1e-9 and abs(float(text)) < 1e-9
