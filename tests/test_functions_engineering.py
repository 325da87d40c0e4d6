"""Engineering functions: the laws between them (base conversions round trip
over the whole 10-digit range, COMPLEX/IMREAL/IMAGINARY round trip, CONVERT
there and back, complex arithmetic against Python's) and behaviours the
reference workbooks do not show.  Excel's own values are checked by
tests/test_reference_workbooks.py."""

from __future__ import annotations

import cmath
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from sheetnet.errors import ExcelError
from sheetnet.formula.functions.engineering_complex import complex_text, parse_complex
from sheetnet.formula.functions.engineering_units import UNITS

from formulas import eval_all

SETTINGS = settings(max_examples=25, deadline=None)
NUM = ExcelError("#NUM!")
NA = ExcelError("#N/A")


# --- number bases ---------------------------------------------------------------------------

@given(st.integers(-2 ** 39, 2 ** 39 - 1))
@SETTINGS
def test_dec2hex_and_hex2dec_round_trip_over_the_ten_digit_range(n):
    hex_text, back = eval_all([f"DEC2HEX({n})", f"HEX2DEC(DEC2HEX({n}))"])
    assert back == float(n)
    assert len(hex_text) <= 10 and (n >= 0 or len(hex_text) == 10)
    assert int(hex_text, 16) == n % 16 ** 10           # two's complement over 10 digits


@given(st.integers(-512, 511), st.integers(-2 ** 29, 2 ** 29 - 1))
@SETTINGS
def test_binary_and_octal_round_trip_through_every_base(b, o):
    got = eval_all([f"BIN2DEC(DEC2BIN({b}))", f"HEX2DEC(BIN2HEX(DEC2BIN({b})))",
                     f"OCT2DEC(DEC2OCT({o}))", f"OCT2DEC(HEX2OCT(OCT2HEX(DEC2OCT({o}))))"])
    assert got == [float(b), float(b), float(o), float(o)]


def test_base_ranges_and_places():
    got = eval_all(["DEC2BIN(512)", "DEC2BIN(-513)", "DEC2OCT(2^29)", "DEC2HEX(2^39)",
                     "DEC2BIN(5,8)", "DEC2BIN(5,2)", "DEC2BIN(-1,1)", "DEC2BIN(-1,11)", "DEC2HEX(255,A1)",
                     "HEX2DEC(\"8000000000\")", "BIN2DEC(\"12\")", "HEX2DEC(TRUE)"])
    assert got == [NUM, NUM, NUM, NUM, "00000101", NUM, "1111111111", NUM, NUM,
                   -549755813888.0, NUM, ExcelError("#VALUE!")]


def test_bit_functions_bounds():
    got = eval_all(["BITAND(2^48-1,2^47)", "BITOR(2^48,1)", "BITLSHIFT(1,47)", "BITLSHIFT(1,48)",
                     "BITRSHIFT(2^47,-1)", "BITXOR(5,1.5)"])
    assert got == [2.0 ** 47, NUM, 2.0 ** 47, NUM, NUM, NUM]


# --- complex numbers ------------------------------------------------------------------------

finite = st.integers(-10 ** 7, 10 ** 7).map(lambda n: n / 1000)


@given(finite, finite, st.sampled_from(["i", "j"]))
@SETTINGS
def test_complex_imreal_imaginary_round_trip(re_, im, suffix):
    text, real, imag = eval_all([f'COMPLEX({re_!r},{im!r},"{suffix}")', "IMREAL(Z1)", "IMAGINARY(Z1)"])
    assert (real, imag) == (re_, im)
    v = parse_complex(text)
    assert v.z == complex(re_, im) and (v.suffix == suffix or im == 0)


@given(finite, finite, finite, finite)
@SETTINGS
def test_complex_arithmetic_is_pythons_to_15_digits(a, b, c, d):
    z, w = complex(a, b), complex(c, d)
    cells = {"A1": complex_text(z), "A2": complex_text(w)}
    got = eval_all(["IMSUM(A1,A2)", "IMSUB(A1,A2)", "IMPRODUCT(A1:A2)", "IMDIV(A1,A2)"], cells)
    expected = [z + w, z - w, z * w, z / w if w else None]
    for text, want in zip(got, expected):
        if want is None:
            assert text == NUM
            continue
        value = parse_complex(text).z
        scale = max(abs(want), abs(z) * abs(w), abs(z) + abs(w), 1e-300)
        assert abs(value - want) <= 1e-13 * scale


@given(st.floats(-3, 3), st.floats(-3, 3))
@SETTINGS
def test_complex_functions_agree_with_cmath(x, y):
    z = complex(x, y)
    names = {"IMSIN": cmath.sin, "IMCOS": cmath.cos, "IMEXP": cmath.exp, "IMSQRT": cmath.sqrt,
             "IMSINH": cmath.sinh, "IMCOSH": cmath.cosh}
    got = eval_all([f'{n}("{complex_text(z)}")' for n in names])
    for (name, fn), text in zip(names.items(), got):
        want = fn(parse_complex(complex_text(z)).z)
        assert abs(parse_complex(text).z - want) <= 1e-13 * max(1.0, abs(want)), name


def test_complex_text_forms():
    got = eval_all(['COMPLEX(0,1,"j")', 'COMPLEX(1,-1)', 'IMSUM("i","j")', 'IMREAL("3+4k")', 'IMABS("3+4i")',
                     'IMPOWER("2i",2)', 'IMPOWER(0,0)', 'IMARGUMENT(0)', 'COMPLEX(1,2,"I")', 'IMSUM(A1:A3)'],
                    {"A1": "1+i", "A2": 2.0})
    assert got[:9] == ["j", "1-i", ExcelError("#VALUE!"), NUM, 5.0, "-4+4.89858719658941E-16i", NUM, ExcelError("#DIV/0!"),
                       ExcelError("#VALUE!")]
    assert got[9] == "3+i"


# --- CONVERT --------------------------------------------------------------------------------

units = st.sampled_from([(q, u) for q, table in UNITS.items() for u in table])


@given(units, st.data(), st.floats(-1e6, 1e6, allow_nan=False))
@SETTINGS
def test_convert_there_and_back_is_the_identity(unit, data, x):
    quantity, a = unit
    b = data.draw(st.sampled_from(sorted(UNITS[quantity])))
    there, back = eval_all([f'CONVERT({x!r},"{a}","{b}")', f'CONVERT(Z1,"{b}","{a}")'])
    assert math.isclose(back, x, rel_tol=1e-12, abs_tol=1e-9)


def test_convert_prefixes_and_refusals():
    got = eval_all(['CONVERT(1,"km","m")', 'CONVERT(1,"kibyte","bit")', 'CONVERT(1,"Mm2","m2")',
                     'CONVERT(1,"kmi","m")', 'CONVERT(1,"m","s")', 'CONVERT(1,"kim","m")', 'CONVERT(100,"C","F")',
                     'CONVERT(1,"dam","m")', 'CONVERT(TRUE,"m","m")'])
    assert got[:6] == [1000.0, 8192.0, 1e12, NA, NA, NA]
    assert math.isclose(got[6], 212.0) and math.isclose(got[7], 10.0)
    assert got[8] == ExcelError("#VALUE!")
