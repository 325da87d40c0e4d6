"""Text functions: the laws between them (pieces reassemble, TEXT/VALUE
round trips, CHAR/CODE, TEXTJOIN/TEXTSPLIT) and behaviours the reference
workbooks do not show.  Excel's own values are checked by
tests/test_reference_workbooks.py; the number-format engine by
tests/test_numformat.py."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetnet.book import Book
from sheetnet.engine import Engine
from sheetnet.errors import ExcelError
from sheetnet.formula.functions.text_regex import compile_pattern, python_replacement

from formulas import eval_all

SETTINGS = settings(max_examples=20, deadline=None)
VALUE = ExcelError("#VALUE!")
# printable BMP text without quotes (formulas quote it); astral characters are
# two UTF-16 units in Excel, and cutting one in two is not reassembled here
plain_text = st.text(st.characters(min_codepoint=32, max_codepoint=0xFFFF, blacklist_categories=("Cs",),
                                   blacklist_characters='"'), max_size=12)


def _eval(formula: str, cells: dict | None = None):
    return eval_all([formula], cells)[0]


def _q(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def test_concat_joins_ranges_and_concatenate_single_values():
    cells = {"A1": "a", "B1": 1.5, "A2": True, "B2": None}
    assert _eval("_xlfn.CONCAT(A1:B2, \"!\")", cells) == "a1.5TRUE!"
    assert _eval("CONCATENATE(A1,,B1)", cells) == "a1.5"          # an omitted text argument is ""
    assert _eval("CONCAT(A1,1/0,NA())", cells) == ExcelError("#DIV/0!")
    assert _eval("CONCAT(A1,A1)", {"A1": "x" * 20000}) == VALUE          # beyond 32767 characters


@given(plain_text, st.integers(0, 14))
@SETTINGS
def test_left_mid_right_reassemble_the_text(text, k):
    t = _q(text)
    got = eval_all([f"LEFT({t},{k})&MID({t},{k}+1,LEN({t}))", f"LEFT({t},{k})&RIGHT({t},MAX(LEN({t})-{k},0))",
                     f"LEN({t})"])
    assert got == [text, text, float(len(text))]


@given(plain_text, plain_text)
@SETTINGS
def test_find_and_substitute_agree_with_python(a, b):
    text, find = _q(a + b + a), _q(b)
    got = eval_all([f"FIND({find},{text})" if b else "1", f"SUBSTITUTE({text},{find},\"\")" if b else "1",
                     f"EXACT({text},{text}&\"\")"])
    if b:
        assert got[0] == float((a + b + a).find(b) + 1)
        assert got[1] == (a + b + a).replace(b, "")
    assert got[2] is True


def test_char_and_code_are_inverse_over_the_code_page():
    codes = list(range(1, 256))
    got = eval_all([f"CODE(CHAR({n}))" for n in codes] + ["CHAR(0)", "CHAR(256)", 'CODE("")', 'CODE("€")'])
    assert got[:255] == [float(n) for n in codes]
    assert got[255:] == [VALUE, VALUE, VALUE, 128.0]


@given(st.integers(1, 0x10FFFF).filter(lambda n: not 0xD800 <= n <= 0xDFFF))
@SETTINGS
def test_unichar_and_unicode_are_inverse(n):
    assert eval_all([f"UNICODE(UNICHAR({n}))", f"LEN(UNICHAR({n}))"]) == [float(n), 1.0 if n < 0x10000 else 2.0]


@given(st.floats(-1e9, 1e9, allow_nan=False), st.sampled_from(["0", "0.00", "#,##0.000", "0.0000%", "$#,##0.00"]))
@SETTINGS
def test_value_reads_back_what_text_writes(x, code):
    places = {"0": 0, "0.00": 2, "#,##0.000": 3, "0.0000%": 6, "$#,##0.00": 2}[code]
    got = _eval(f'VALUE(TEXT({x!r},"{code}"))')
    # Excel rounds a half away from zero (TEXT(0.0078125,"0.0000%") is 0.7813%), Python's round to even
    expected = float(Decimal(repr(x)).quantize(Decimal(10) ** -places, ROUND_HALF_UP))
    assert got == pytest.approx(expected, rel=1e-12, abs=10.0 ** -places * 1e-6)


@given(st.floats(-1e12, 1e12, allow_nan=False).filter(lambda x: x == 0 or abs(x) > 1e-9))
@SETTINGS
def test_value_of_general_text_keeps_six_significant_digits(x):
    assert _eval(f'VALUE(TEXT({x!r},"General"))') == pytest.approx(x, rel=5e-6, abs=1e-9)


@given(st.lists(st.text(st.characters(min_codepoint=97, max_codepoint=122), min_size=1, max_size=5),
                min_size=1, max_size=6))
@SETTINGS
def test_textsplit_undoes_textjoin(parts):
    cells = {f"A{i}": p for i, p in enumerate(parts, 1)}
    book = Book()
    s = book.add_sheet("s")
    for ref, v in cells.items():
        s.set_value(ref, v)
    s.set_formula("B1", f'_xlfn.TEXTJOIN(";",TRUE,A1:A{len(parts)})')
    s.set_array_formula(f"C1:{chr(ord('C') + len(parts) - 1)}1", '_xlfn.TEXTSPLIT(B1,";")')
    e = Engine(book).recalc()
    assert [e.value("s", f"{chr(ord('C') + i)}1") for i in range(len(parts))] == parts


def test_text_cutting_at_delimiters():
    got = eval_all(['_xlfn.TEXTBEFORE("a-b-c","-",-1)', '_xlfn.TEXTAFTER("a-b-c","-",2)',
                     '_xlfn.TEXTAFTER("a-b-c","x")', '_xlfn.TEXTAFTER("a-b-c","x",1,0,0,"none")',
                     '_xlfn.TEXTAFTER("a-b-c","-",0)', '_xlfn.TEXTAFTER("aXb","x",1,1)',
                     '_xlfn.TEXTSPLIT("a,b;c",",",";")', '_xlfn.TEXTSPLIT("a","")'])
    assert got == ["a-b", "c", ExcelError("#N/A"), "none", VALUE, "b", "a", VALUE]


def test_numbers_as_text():
    got = eval_all(["FIXED(1234.567)", "FIXED(1234.567,-2)", "FIXED(-1234.567,1,TRUE)", "DOLLAR(-1234.567)",
                     'NUMBERVALUE("1.234,5",",",".")', 'NUMBERVALUE("50%%")', 'NUMBERVALUE("1,5.3")', 'NUMBERVALUE("1.5,3")',
                     'VALUE("(1,234.5)")', 'VALUE("12,34")', 'VALUE("1 1/2")', 'VALUE("6:00")', "VALUE(TRUE)",
                     '_xlfn.VALUETOTEXT("x",1)', '_xlfn.ARRAYTOTEXT({1,"a";TRUE,2},1)', '_xlfn.ARRAYTOTEXT({1,"a"})'])
    assert got == ["1,234.57", "1,200", "-1234.6", "($1,234.57)", 1234.5, 0.005, 15.3, VALUE, -1234.5, VALUE, 1.5,
                   0.25, VALUE, '"x"', '{1,"a";TRUE,2}', "1, a"]


@given(st.floats(-1e6, 1e6, allow_nan=False), st.integers(1, 40))
@SETTINGS
def test_dollarde_undoes_dollarfr(x, fraction):
    x = round(x, 6)
    assert _eval(f"DOLLARDE(DOLLARFR({x!r},{fraction}),{fraction})") == pytest.approx(x, rel=1e-12, abs=1e-9)


def test_case_and_cleaning():
    got = eval_all(['PROPER("that\'s 2nd GO")', 'UPPER("straße")', 'TRIM("  a   b  ")', 'CLEAN("a"&CHAR(7)&"b")',
                     'SEARCH("b?","abc")', 'SEARCH("~*","a*b")', 'SEARCH("a~","xa")', 'REPT("ab",3)', "REPT(\"a\",-1)",
                     'T(1)', 'SUBSTITUTE("aaa","a","b",2)', 'REPLACE("abcdef",2,3,"X")'])
    assert got == ["That'S 2Nd Go", "STRAßE", "a b", "ab", 2.0, 2.0, 2.0, "ababab", VALUE, "", "aba", "aXef"]


def test_pcre_patterns_and_replacements_translate_to_python():
    assert compile_pattern("(?<y>\\d{4})-\\k<y>", False).fullmatch("2024-2024")
    assert compile_pattern("[[:alpha:]]+\\z", False).search("ab1cd")
    assert compile_pattern("a\\hb", False).fullmatch("a\tb")
    assert python_replacement("${last}, $1 $$ $&") == r"\g<last>, \g<1> $ \g<0>"
    got = eval_all(['_xlfn.REGEXREPLACE("JamesBond","([A-Z][a-z]+)([A-Z][a-z]+)","$2, $1 $2")',
                     '_xlfn.REGEXREPLACE("a-b-c","-","+",-1)', '_xlfn.REGEXTEST("ABC","b",1)',
                     '_xlfn.REGEXTEST("abc","\\p{L}")', '_xlfn.REGEXEXTRACT("a1b22","[0-9]+")',
                     '_xlfn.REGEXEXTRACT("abc","[0-9]")'])
    assert got == ["Bond, James Bond", "a-b+c", True, VALUE, "1", ExcelError("#N/A")]
