"""sheetnet.xlsx.scan against a plain ElementTree reading of the same XML.

The reference below is deliberately naive (a DOM walk, float(), str
concatenation); the fast scanner must agree with it exactly -- bit for bit
on numbers -- on real workbooks, on openpyxl output and on generated sheets
full of odd-but-legal XML.  Each scan also runs with small chunks on two
threads and with the vectorised attribute parser forced on, so that every
code path meets the same reference.
"""

from __future__ import annotations

import glob
import io
import math
import os
import random
import re
import struct
import zipfile
import xml.etree.ElementTree as ET
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from sheetnet.xlsx import scan as S
from sheetnet.xlsx.scan import (F_ARRAY, F_DATATABLE, F_NORMAL, F_SHARED, T_BOOL, T_DATE, T_ERROR,
                                T_FORMULA_STRING, T_INLINE_STRING, T_NUMBER, T_SHARED_STRING, ScanError,
                                parse_shared_strings, scan_sheet_data)

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STRICT = "http://purl.oclc.org/ooxml/spreadsheetml/main"
LESSONS = "/work/shared/lesson-workbooks"

# ---------------------------------------------------------------------------
# The reference reading
# ---------------------------------------------------------------------------

TYPES = {"n": T_NUMBER, "s": T_SHARED_STRING, "str": T_FORMULA_STRING, "b": T_BOOL, "e": T_ERROR,
         "inlineStr": T_INLINE_STRING, "d": T_DATE}
KINDS = {"normal": F_NORMAL, "shared": F_SHARED, "array": F_ARRAY, "dataTable": F_DATATABLE}


@dataclass
class Ref:
    rows: list = field(default_factory=list)
    cols: list = field(default_factory=list)
    types: list = field(default_factory=list)
    styles: list = field(default_factory=list)
    has_value: list = field(default_factory=list)
    numbers: list = field(default_factory=list)
    texts: dict = field(default_factory=dict)
    formulas: list = field(default_factory=list)   # (cell, kind, text, ref, si, ca)
    elements: list = field(default_factory=list)   # the <c> elements
    prefix: bytes = b""


def _column(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


def _sheet_data(root):
    for el in root.iter():
        if el.tag in (f"{{{MAIN}}}sheetData", f"{{{STRICT}}}sheetData", "sheetData"):
            return el
    return None


def reference(xml: bytes) -> Ref:
    out = Ref()
    sheet_data = _sheet_data(ET.fromstring(xml))
    if sheet_data is None:
        return out
    ns = sheet_data.tag[:-len("sheetData")]
    out.prefix = re.search(rb"<([\w.-]+:)?sheetData[\s/>]", xml).group(1) or b""
    row_no = -1
    for row in sheet_data:
        if row.tag != ns + "row":
            continue
        row_no = int(row.get("r")) - 1 if row.get("r") else row_no + 1
        col = -1
        for c in row:
            if c.tag != ns + "c":
                continue
            if c.get("r"):
                letters, digits = re.fullmatch(r"([A-Za-z]+)(\d+)", c.get("r")).groups()
                r, col = int(digits) - 1, _column(letters)
            else:
                r, col = row_no, col + 1
            i = len(out.rows)
            t = TYPES[c.get("t", "n")]
            v, f, inline = c.find(ns + "v"), c.find(ns + "f"), c.find(ns + "is")
            out.rows.append(r)
            out.cols.append(col)
            out.types.append(t)
            out.styles.append(int(c.get("s", 0)))
            out.elements.append(c)
            has = inline is not None if t == T_INLINE_STRING else bool(v is not None and v.text)
            out.has_value.append(has)
            out.numbers.append(float(v.text) if has and t in (T_NUMBER, T_SHARED_STRING, T_BOOL) else math.nan)
            if t == T_INLINE_STRING and has:
                out.texts[i] = "".join(t_el.text or "" for t_el in _runs(inline, ns))
            elif has and t in (T_FORMULA_STRING, T_ERROR, T_DATE):
                out.texts[i] = v.text
            if f is not None:
                out.formulas.append((i, KINDS[f.get("t", "normal")], f.text, f.get("ref"),
                                     int(f.get("si", -1)), f.get("ca") in ("1", "true")))
    return out


def _runs(holder, ns):
    """The <t> of an <is>/<si>: plain, or inside rich-text runs; not phonetic runs."""
    for child in holder:
        if child.tag == ns + "t":
            yield child
        elif child.tag == ns + "r":
            yield from (t for t in child if t.tag == ns + "t")


def reference_shared_strings(xml: bytes) -> list[str]:
    root = ET.fromstring(xml)
    ns = root.tag[:-len("sst")]
    return ["".join(t.text or "" for t in _runs(si, ns)) for si in root if si.tag == ns + "si"]


# ---------------------------------------------------------------------------
# Comparing
# ---------------------------------------------------------------------------

@contextmanager
def configured(chunk_bytes=None, threads=None, few=None, number_block=None):
    saved = S._CHUNK_BYTES, S._THREADS, S._FEW, S._NUMBER_BLOCK
    S._CHUNK_BYTES = chunk_bytes or saved[0]
    S._THREADS = threads or saved[1]
    S._FEW = saved[2] if few is None else few
    S._NUMBER_BLOCK = number_block or saved[3]
    try:
        yield
    finally:
        S._CHUNK_BYTES, S._THREADS, S._FEW, S._NUMBER_BLOCK = saved


def scan_every_way(xml: bytes):
    """The scan with default settings, after checking that small chunks on two
    threads with the always-vectorised attribute parser, numbers parsed a
    few at a time, give the same."""
    base = scan_sheet_data(xml)
    with configured(chunk_bytes=max(400, len(xml) // 6), threads=2, few=0, number_block=3):
        other = scan_sheet_data(xml)
    for name in base.__dataclass_fields__:
        a, b = getattr(base, name), getattr(other, name)
        if isinstance(a, np.ndarray):
            assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), name
        else:
            assert a == b, name
    return base


def same_numbers(got: np.ndarray, want) -> bool:
    want = np.array(want, np.float64)
    return bool((np.isnan(got) == np.isnan(want)).all()
                and (got.view(np.int64) == want.view(np.int64))[~np.isnan(want)].all())


def canonical(el):
    return el.tag, sorted(el.attrib.items()), el.text, [canonical(c) + (c.tail,) for c in el]


def assert_matches_reference(xml: bytes):
    got = scan_every_way(xml)
    want = reference(xml)
    assert got.rows.dtype == np.int32 and got.cols.dtype == np.int32 and got.types.dtype == np.uint8
    assert got.rows.tolist() == want.rows
    assert got.cols.tolist() == want.cols
    assert got.types.tolist() == want.types
    assert got.styles.tolist() == want.styles
    assert got.has_value.tolist() == want.has_value
    assert same_numbers(got.numbers, want.numbers)
    assert got.texts == want.texts
    formulas = list(zip(got.f_cell.tolist(), got.f_kind.tolist(), got.f_text, got.f_ref, got.f_si.tolist(),
                        got.f_ca.tolist()))
    assert formulas == want.formulas
    _check_spans(xml, got, want)
    return got


def _check_spans(xml: bytes, got, want: Ref):
    """c_spans hold exactly the cells' elements, in order and without overlap
    (all of them parsed at once, wrapped in an element declaring the
    namespace); v_spans hold the text of each cell's <v>."""
    p = want.prefix
    head = xml[:xml.find(b"<" + p + b"sheetData")]
    found = (m for tag in S._START_TAG.finditer(head)
             for m in re.finditer(rb"""xmlns(:[\w.-]+)?\s*=\s*("[^"]*"|'[^']*')""", tag.group()))
    declarations = b" ".join({m.group(1): m.group(0) for m in found}.values())     # the innermost of each
    spans = got.c_span.tolist()
    assert all(a < b <= c for (a, b), (c, _) in zip(spans, spans[1:]))
    pieces = [xml[a:b] for a, b in spans]
    assert all(piece.startswith(b"<" + p + b"c") and piece.endswith(b">") for piece in pieces)
    parsed = list(ET.fromstring(b"<w " + declarations + b">" + b"".join(pieces) + b"</w>"))
    assert [canonical(el) for el in parsed] == [canonical(el) for el in want.elements]
    for i, ((a, b), (vs, ve)) in enumerate(zip(spans, got.v_span.tolist())):
        v = want.elements[i].find(want.elements[i].tag[:-1] + "v")
        if vs < 0:
            assert v is None or not v.text
            continue
        assert a < vs <= ve < b and xml[vs - 1:vs] == b">" and xml[ve:ve + 3 + len(p)] == b"</" + p + b"v"
        assert S._unescape(xml[vs:ve].decode()) == (v.text or "")


# ---------------------------------------------------------------------------
# Small hand-written sheets
# ---------------------------------------------------------------------------

def sheet(body: str, root_attrs: str = f'xmlns="{MAIN}"', prefix: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<{prefix}worksheet {root_attrs}>'
            f'<{prefix}sheetData>{body}</{prefix}sheetData></{prefix}worksheet>').encode()


def test_typical_excel_cells():
    got = assert_matches_reference(sheet(
        '<row r="1" spans="1:3" ht="14.65" thickBot="1"><c r="A1" s="50" t="s"><v>14</v></c><c r="B1" s="51"/>'
        '<c r="C1"><f>A1+1</f><v>15</v></c></row>'
        '<row r="2"><c r="A2" s="64"><f t="shared" ref="A2:C2" si="0">P2+1</f><v>3</v></c>'
        '<c r="B2" s="64"><f t="shared" si="0"/><v>4</v></c><c r="C2"><f t="shared" si="0"/><v>0.1207943531</v></c>'
        '</row>'))
    assert got.f_text == ["A1+1", "P2+1", None, None] and got.f_ref == [None, "A2:C2", None, None]
    assert got.numbers[5] == 0.1207943531


def test_namespace_prefix():
    xml = sheet('<x:row r="3"><x:c r="A3" t="str"><x:f>"a"&amp;"b"</x:f><x:v>ab</x:v></x:c><x:c><x:v>2</x:v></x:c>'
                '</x:row>', root_attrs=f'xmlns:x="{MAIN}" xmlns:r="urn:r"', prefix="x:")
    got = assert_matches_reference(xml)
    assert got.rows.tolist() == [2, 2] and got.cols.tolist() == [0, 1] and got.texts == {0: "ab"}


def test_strict_namespace_and_foreign_elements():
    xml = sheet('<row><c><v>1</v><extLst><ext uri="{X}"><y:c xmlns:y="urn:y"><y:v>9</y:v></y:c></ext></extLst></c>'
                '</row>', root_attrs=f'xmlns="{STRICT}"')
    got = assert_matches_reference(xml)
    assert got.numbers.tolist() == [1.0]


def test_no_sheet_data():
    for xml in (b'<worksheet xmlns="%s"><dimension ref="A1"/></worksheet>' % MAIN.encode(),
                sheet("").replace(b"<sheetData></sheetData>", b"<sheetData/>"), sheet("")):
        got = scan_sheet_data(xml)
        assert len(got.rows) == 0 and got.c_span.shape == (0, 2) and got.f_text == [] and got.texts == {}
        assert got.rows.dtype == np.int32 and got.numbers.dtype == np.float64


def test_cells_and_rows_without_r():
    got = assert_matches_reference(sheet(
        '<row><c><v>1</v></c><c/><c r="E1"/><c></c></row><row/><row r="7"><c><v>2</v></c></row><row><c/></row>'))
    assert got.rows.tolist() == [0, 0, 0, 0, 6, 7] and got.cols.tolist() == [0, 1, 4, 5, 0, 0]


def test_attribute_order_spacing_quotes_and_extras():
    got = assert_matches_reference(sheet(
        "<row r='2'><c s=\"3\" t=\"s\" r=\"B2\"><v>0</v></c><c  cm='1'\tr = 'C2'\n s=\"12\"  vm=\"2\" ph=\"1\" >"
        "<v>7</v></c><c r=\"D2\" t=\"b\"/></row>"))
    assert got.styles.tolist() == [3, 12, 0] and got.types.tolist() == [T_SHARED_STRING, T_NUMBER, T_BOOL]


def test_gt_in_attribute_values_and_spaced_end_tags():
    got = assert_matches_reference(sheet(
        '<row r="1" x="a>b"><c r="A1" foo="1>0" s="4"><v>1</v ></c ><c r="B1" t="str"><f x=">">"a"</f ><v>a</v></c>'
        '</row >'))
    assert got.styles.tolist() == [4, 0] and got.f_text == ['"a"'] and got.c_span[0, 1] == got.c_span[1, 0]


def test_pretty_printed():
    body = "".join(f'\n  <row r="{r}">\n    <c r="A{r}" s="1">\n      <v>{r / 3!r}</v>\n    </c>\n'
                   f'    <c r="B{r}">\n      <f>A{r}*2</f>\n      <v>\n {r}\n </v>\n    </c>\n  </row>'
                   for r in range(1, 60))
    got = assert_matches_reference(sheet(body + "\n"))
    assert got.numbers[::2].tolist() == [r / 3 for r in range(1, 60)] and got.numbers[1] == 1.0


def test_empty_values():
    got = assert_matches_reference(sheet(
        '<row r="1"><c r="A1"/><c r="B1"></c><c r="C1"><v/></c><c r="D1"><v></v></c><c r="E1" t="str"><v></v></c>'
        '</row>'))
    assert not got.has_value.any() and np.isnan(got.numbers).all() and got.texts == {}
    assert got.v_span.tolist()[:3] == [[-1, -1]] * 3 and got.v_span[3, 0] == got.v_span[3, 1] > 0


def test_entities_raw_gt_and_preserved_space():
    got = assert_matches_reference(sheet(
        '<row r="1"><c r="A1" t="str"><f>IF(B1&gt;0,"&lt;&amp;&quot;&apos;","x")</f><v>a &amp; b&#10;&#x41;></v></c>'
        '<c r="B1" t="inlineStr"><is><t xml:space="preserve">  two  spaces &lt;</t></is></c>'
        '<c r="C1" t="str"><f>A1>3</f><v>line\r\nbreak</v></c></row>'))
    assert got.f_text[0] == """IF(B1>0,"<&"'","x")"""
    assert got.texts == {0: "a & b\nA>", 1: "  two  spaces <", 2: "line\nbreak"}


def test_inline_rich_text_and_phonetics():
    got = assert_matches_reference(sheet(
        '<row r="1"><c r="A1" t="inlineStr"><is><r><rPr><b/><color rgb="FFFF0000"/><rFont val="Arial"/></rPr>'
        '<t>bold</t></r><r><t xml:space="preserve"> plain</t></r><rPh sb="0" eb="1"><t>ふりがな</t></rPh>'
        '<phoneticPr fontId="1"/></is></c><c r="B1" t="inlineStr"><is/></c><c r="C1" t="inlineStr"><is><t/></is></c>'
        '<c r="D1" t="inlineStr"/></row>'))
    assert got.texts == {0: "bold plain", 1: "", 2: ""} and got.has_value.tolist() == [True, True, True, False]


def test_formula_kinds():
    got = assert_matches_reference(sheet(
        '<row r="1"><c r="A1"><f t="array" ref="A1:B2">MMULT(C1:D2,E1:F2)</f><v>1</v></c>'
        '<c r="B1"><f t="dataTable" ref="B1:B3" dt2D="0" dtr="1" r1="A1"/><v>2</v></c>'
        '<c r="C1"><f ca="1">RAND()</f><v>0.5</v></c><c r="D1"><f/></c><c r="E1"><f></f></c>'
        '<c r="F1"><f t="normal" ca="true" aca="false">NOW()&lt;1</f></c></row>'))
    assert got.f_kind.tolist() == [F_ARRAY, F_DATATABLE, F_NORMAL, F_NORMAL, F_NORMAL, F_NORMAL]
    assert got.f_ca.tolist() == [False, False, True, False, False, True]
    assert got.f_text == ["MMULT(C1:D2,E1:F2)", None, "RAND()", None, None, "NOW()<1"]


def test_bools_errors_dates():
    got = assert_matches_reference(sheet(
        '<row r="1"><c r="A1" t="b"><v>1</v></c><c r="B1" t="b"><v>0</v></c><c r="C1" t="e"><v>#DIV/0!</v></c>'
        '<c r="D1" t="e"><f>1/0</f><v>#DIV/0!</v></c><c r="E1" t="d"><v>2024-02-29T12:00:00</v></c></row>'))
    assert got.numbers[:2].tolist() == [1.0, 0.0]
    assert got.texts == {2: "#DIV/0!", 3: "#DIV/0!", 4: "2024-02-29T12:00:00"}


def test_extreme_references():
    got = assert_matches_reference(sheet(
        '<row r="1048576"><c r="A1048576"><v>1</v></c><c r="XFD1048576"><v>2</v></c><c r="xfc1048576"/></row>'))
    assert got.rows.tolist() == [1048575] * 3 and got.cols.tolist() == [0, 16383, 16382]


@pytest.mark.parametrize("text", [
    "1.5E-3", "-2.2250738585072014E-308", "1E+308", "1e308", "-0", "0.1", "-1.7976931348623157E+308", "5e-324",
    "4.9406564584124654E-324", "123456789012345678", "1234567890123456789", "12345678901234567890", "0.000001",
    "1.0", "+1", ".5", "5.", " 7 ", "3.14159E2", "9007199254740993", "0.30000000000000004", "1.2345678901234567E-5",
    "0.1000000000000000055511151231257827",
    # a zero integer part adds no digit: 19 after the point are read directly
    # (Excel's small values); a wrapped integer part must not pass for zero
    "0.0022270665600416144", "-0.00024622295663522475", "0000000000000000000.5", "00000000000000000000.25",
    "18446744073709551616.5", "0.99999999999999999999"])
def test_number_formats(text):
    got = assert_matches_reference(sheet(f'<row r="1"><c r="A1"><v>{text}</v></c></row>'))
    assert got.numbers[0] == float(text)


@pytest.mark.parametrize("text", ["nan", "inf", "-Infinity", "1_000", "\u0661\u0662", "\u00a07", "1e", "--1", "0x10"])
def test_numbers_outside_the_decimal_grammar_are_refused(text):
    """Python's float() reads all of these; no spreadsheet writes them."""
    with pytest.raises(ScanError, match="number .* is not valid"):
        scan_sheet_data(sheet(f'<row r="1"><c r="A1"><v>{text}</v></c></row>'))


@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=60))
@settings(max_examples=100, deadline=None)
def test_repr_round_trips_bit_for_bit(values):
    body = "".join(f'<c r="A{i + 1}"><v>{v!r}</v></c>' for i, v in enumerate(values))
    got = scan_sheet_data(sheet(f'<row r="1">{body}</row>'))
    assert struct.pack(f"{len(values)}d", *values) == got.numbers.tobytes()


_DIGITS = st.text("0123456789", min_size=1, max_size=22)
_EXPONENT = st.tuples(st.sampled_from(["E", "e", "E+", "E-", "e-"]), st.integers(0, 330))


@given(st.lists(st.tuples(st.booleans(), _DIGITS, st.one_of(st.none(), _DIGITS), st.one_of(st.none(), _EXPONENT)),
                min_size=1, max_size=40))
@settings(max_examples=100, deadline=None)
def test_decimal_strings_round_like_float(parts):
    texts = [("-" if neg else "") + whole + ("." + frac if frac is not None else "")
             + (f"{e[0]}{e[1]}" if e else "") for neg, whole, frac, e in parts]
    body = "".join(f'<c r="A{i + 1}"><v>{t}</v></c>' for i, t in enumerate(texts))
    got = scan_sheet_data(sheet(f'<row r="1">{body}</row>'))
    want = np.array([float(t) for t in texts])
    assert same_numbers(got.numbers, want)


def test_hard_roundings():
    """Decimal values exactly halfway between doubles, or within a hair of it."""
    texts = ["9007199254740993", "9007199254740992.5", "0.500000000000000166533453693773481063544750213623046875",
             "2.2250738585072011e-308", "1.00000000000000011102230246251565404236316680908203125",
             "1.00000000000000011102230246251565404236316680908203124", "7.1362384635297994E-10",
             "3.9999999999999996", "0.29999999999999998889776975374843459576368331909179688"]
    body = "".join(f'<c r="A{i + 1}"><v>{t}</v></c>' for i, t in enumerate(texts))
    assert same_numbers(scan_sheet_data(sheet(f'<row r="1">{body}</row>')).numbers, [float(t) for t in texts])


@pytest.mark.parametrize("body, message", [
    ('<row r="1"><c r="A0"/></row>', "cell reference '"),
    ('<row r="1"><c r="1A"/></row>', "cell reference '"),
    ('<row r="1"><c r="XFE1"/></row>', "cell reference '"),
    ('<row r="1"><c r="A1"><v>abc</v></c></row>', "number 'abc' is not valid"),
    ('<row r="1"><c r="A1" t="zz"/></row>', "cell type 'zz' is not valid"),
    ('<row r="1"><c r="A1"><v>1</v></row>', "not properly closed"),
    ('<row r="1"><!-- note --><c r="A1"/></row>', "comments"),
    ('<row r="1"><c r="A1" t="str"><v><![CDATA[x]]></v></c></row>', "comments"),
    ('<row r="1"><c r="A1" s="x1"/></row>', "style index 'x1' is not valid"),
    ('<row r="0"><c/></row>', "row number '0' is not valid"),
    ('<row spans="1:2" r="1048577"/>', "row number '1048577' is not valid"),
    ('<row r="1"><c r="A1" t="str"><v>a & b</v></c></row>', "bare '&'"),
    ('<row r="1"><c r="A1" t="str"><v>&nbsp;</v></c></row>', "undefined entity"),
    ('<row r="1"><c r="A1"><v>1</v><v>2</v></c></row>', "two <v>"),
    ('<row r="1"><c r="A1" r="B1"/></row>', "repeated attribute"),
    ('<c r="A1"/>', "outside a <row>"),
    ('<row r="1"><c r="A1"><v>1<b/></v></c></row>', "unexpected markup"),
])
def test_malformed_sheets_raise(body, message):
    with pytest.raises(ScanError, match=re.escape(message)):
        scan_sheet_data(sheet(body))
    with pytest.raises(ScanError, match=re.escape(message)), configured(few=0):
        scan_sheet_data(sheet(body * 30 if body.startswith("<row") else body))


def test_popcount_fallback_for_numpy_1():
    values = np.random.default_rng(0).integers(0, 2**63, 1000, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    values = np.append(values, np.array([0, 2**64 - 1], np.uint64))
    assert S._popcount_swar(values).tolist() == [bin(v).count("1") for v in values.tolist()]


def test_other_encodings_refused():
    with pytest.raises(ScanError, match="encoding"):
        scan_sheet_data(sheet("").replace(b"UTF-8", b"windows-1252"))
    with pytest.raises(ScanError, match="UTF-16"):
        scan_sheet_data(sheet("").decode().encode("utf-16"))


# ---------------------------------------------------------------------------
# Generated sheets
# ---------------------------------------------------------------------------

_ALPHABET = ("abcXYZ019 ;#=/.,:-+*()[]!?%$_{}|~^`@\\" "<>&\"'\n\r\t"      # XML syntax, line ends
             "\u00a0\u0085\u00e9\u00df\u20ac\u2028\u65e5\u672c\ufeff\U0001f600\U00010348")   # beyond ASCII
_TEXT = st.text(_ALPHABET, max_size=12)
_SPELLINGS = {"&": ["&amp;", "&#38;"], "<": ["&lt;", "&#60;", "&#x3C;"], ">": [">", "&gt;"],
              '"': ['"', "&quot;"], "'": ["'", "&apos;"], "\r": ["\r", "&#13;"]}


def _escape(rnd, text: str, quote: str | None = None) -> str:
    """XML-escape text, choosing among the legal spellings at random (rnd: a
    hypothesis-controlled random.Random, far cheaper than a draw per character)."""
    out = []
    for ch in text:
        options = _SPELLINGS.get(ch) or [ch] * 4 + [f"&#{ord(ch)};", f"&#x{ord(ch):x};"]
        if quote and ch == quote:
            options = [o for o in options if o != quote]
        if quote and ch in "\n\r\t":
            options = [f"&#{ord(ch)};"]        # raw white space in attributes is normalised to spaces
        out.append(rnd.choice(options))
    return "".join(out)


def _letters(col: int) -> str:
    s = ""
    col += 1
    while col:
        col, r = divmod(col - 1, 26)
        s = chr(65 + r) + s
    return s


def _attributes(rnd, pairs) -> str:
    """' name="value"' pairs in a random order and spelling."""
    pairs = list(pairs)
    if rnd.random() < 0.5:
        rnd.shuffle(pairs)
    out = []
    for name, value in pairs:
        quote = rnd.choice(['"', '"', "'"])
        space = rnd.choice([" ", " ", " ", "\n", "\t", "  ", "\r\n "])
        eq = rnd.choice(["=", "=", "=", " = "])
        out.append(f"{space}{name}{eq}{quote}{_escape(rnd, value, quote)}{quote}")
    return "".join(out) + rnd.choice(["", "", " "])


_NUMBER_TEXT = st.one_of(st.floats(allow_nan=False, allow_infinity=False).map(repr),
                         st.integers(-10**20, 10**20).map(str),
                         st.floats(-1e300, 1e300).map(lambda x: f"{x:.16E}"),
                         st.sampled_from(["1.5E-3", "-2.2250738585072014E-308", "1E+308", "0", "-0", "1e-5"]))
_VALUES = {"n": _NUMBER_TEXT, "s": st.integers(0, 10**6).map(str), "b": st.sampled_from(["0", "1"]),
           "e": st.sampled_from(["#DIV/0!", "#N/A", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!"]),
           "d": st.just("2024-01-31T00:00:00"), "str": _TEXT}


@st.composite
def _cell(draw, ref: str | None, p: str):
    rnd = draw(st.randoms(use_true_random=True))
    kind = draw(st.sampled_from(["n", "s", "str", "b", "e", "inlineStr", "d", "blank"]))
    attrs = [("r", ref)] if ref else []
    if rnd.random() < 0.5:
        attrs.append(("s", str(rnd.randrange(70000))))
    if kind != "blank" and (kind != "n" or rnd.random() < 0.5):
        attrs.append(("t", kind))
    attrs += [(extra, "1") for extra in ("cm", "vm", "ph") if rnd.random() < 0.1]
    children = ""
    formula = draw(st.sampled_from([None, None, "normal", "master", "follower", "array", "table", "empty"]))
    if formula and kind != "inlineStr":
        text = _escape(rnd, draw(_TEXT))
        f_attrs = {"master": [("t", "shared"), ("ref", "A1:B9"), ("si", str(rnd.randrange(999)))],
                   "follower": [("t", "shared"), ("si", str(rnd.randrange(999)))],
                   "array": [("t", "array"), ("ref", "C3:D4")],
                   "table": [("t", "dataTable"), ("ref", "A1:A3"), ("dt2D", "1"), ("r1", "B1")]}.get(formula, [])
        if formula in ("follower", "table", "empty"):
            text = ""
        if rnd.random() < 0.25:
            f_attrs.append(("ca", rnd.choice(["1", "0", "true", "false"])))
        f_attrs = _attributes(rnd, f_attrs)
        children += f"<{p}f{f_attrs}/>" if not text and rnd.random() < 0.5 else f"<{p}f{f_attrs}>{text}</{p}f>"
    shape = rnd.choice(["value", "value", "none", "self-closed", "empty"])
    if kind == "inlineStr":
        runs = draw(st.lists(_TEXT, max_size=3))
        if runs and rnd.random() < 0.5:
            body = "".join(f"<{p}r>{f'<{p}rPr><{p}b/></{p}rPr>' if rnd.random() < 0.5 else ''}"
                           f'<{p}t xml:space="preserve">{_escape(rnd, r)}</{p}t></{p}r>' for r in runs)
        else:
            body = f"<{p}t>{_escape(rnd, ''.join(runs))}</{p}t>" if runs else ""
        if rnd.random() < 0.2:
            body += f'<{p}rPh sb="0" eb="1"><{p}t>{_escape(rnd, draw(_TEXT))}</{p}t></{p}rPh>'
        if shape != "none":
            children += f"<{p}is>{body}</{p}is>" if body or shape != "self-closed" else f"<{p}is/>"
    elif shape == "value" and kind in _VALUES:
        children += f"<{p}v>{_escape(rnd, draw(_VALUES[kind]))}</{p}v>"
    elif shape == "self-closed":
        children += f"<{p}v/>"
    elif shape == "empty":
        children += f"<{p}v></{p}v>"
    if rnd.random() < 0.1:
        children += f'<{p}extLst><{p}ext uri="{{1}}"><q:c xmlns:q="urn:q"><q:v>5</q:v></q:c></{p}ext></{p}extLst>'
    pad = rnd.choice(["", "", "\n  "])
    head = _attributes(rnd, attrs)
    if not children and rnd.random() < 0.5:
        return f"{pad}<{p}c{head}/>"
    return f"{pad}<{p}c{head}>{children}</{p}c>"


@st.composite
def sheets(draw, max_rows=6, max_cells=6):
    rnd = draw(st.randoms(use_true_random=True))
    p = rnd.choice(["", "", "x:"])
    ns = rnd.choice([MAIN, MAIN, STRICT])
    rows, row_no = [], 0
    for _ in range(draw(st.integers(0, max_rows))):
        row_no += rnd.randint(1, 3)
        explicit = rnd.random() < 0.5
        cells, col = [], -1
        for _ in range(draw(st.integers(0, max_cells))):
            col += rnd.randint(1, 2)
            cells.append(draw(_cell(f"{_letters(col)}{row_no}" if explicit and rnd.random() < 0.5 else None, p)))
        attrs = ([("r", str(row_no))] if explicit else []) + [("spans", "1:9"), ("ht", "14.25")][:rnd.randint(0, 2)]
        head = _attributes(rnd, attrs)
        rows.append(f"<{p}row{head}>{''.join(cells)}</{p}row>" if cells or rnd.random() < 0.5 else f"<{p}row{head}/>")
    declarations = f'xmlns="{ns}"' if not p else f'xmlns:{p[:-1]}="{ns}" xmlns="urn:other"'
    return sheet("".join(rows), root_attrs=declarations, prefix=p)


@given(sheets())
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example])
def test_generated_sheets(xml):
    assert_matches_reference(xml)


@given(sheets(max_rows=4, max_cells=4), st.lists(st.tuples(st.floats(0, 1), st.sampled_from(list(b'<>/"\'= \nrstvf0&;#.-E')),
                                                   st.integers(0, 5)), min_size=1, max_size=3))
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_mutated_sheets(xml, mutations):
    """Damaged documents: when ElementTree still reads one, the scanner agrees
    with the reference or refuses it with ScanError (a value the schema does
    not allow); otherwise it may read what it can (it checks the XML only as
    far as it reads it) but fails with nothing but ScanError."""
    data = bytearray(xml)
    for where, byte, cut in mutations:
        i = int(where * (len(data) - 1))
        data[i:i + cut] = bytes([byte])
    try:
        reference(bytes(data))
    except Exception:
        try:
            scan_every_way(bytes(data))
        except ScanError:
            pass
        return
    try:
        assert_matches_reference(bytes(data))
    except ScanError:
        pass


@given(st.data())
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_generated_repetitive_sheets(data):
    """Many rows built from a few cell texts: exercises grouping identical
    tags and, with odd attribute orders, the vectorised parser."""
    p = ""
    templates = data.draw(st.lists(_cell(None, p), min_size=1, max_size=4))
    leading_r = data.draw(st.booleans())
    rows = []
    for r in range(1, 41):
        cells = []
        for c in range(data.draw(st.integers(1, 8))):
            cell = templates[(r + c) % len(templates)]
            if leading_r:
                cell = cell.replace("<c", f'<c r="{_letters(c)}{r}"', 1)
            cells.append(cell)
        rows.append(f'<row r="{r}">{"".join(cells)}</row>')
    assert_matches_reference(sheet("".join(rows)))


# ---------------------------------------------------------------------------
# Shared strings
# ---------------------------------------------------------------------------

def test_shared_strings():
    xml = (f'<sst xmlns="{MAIN}" count="5" uniqueCount="5"><si><t>plain</t></si>'
           '<si><t xml:space="preserve"> a &amp; b </t></si><si><r><rPr><b/></rPr><t>bo</t></r><r><t>ld</t></r>'
           '<rPh sb="0" eb="1"><t>ゆ</t></rPh><phoneticPr fontId="1"/></si><si/><si><t/></si></sst>').encode()
    assert parse_shared_strings(xml) == ["plain", " a & b ", "bold", "", ""] == reference_shared_strings(xml)
    prefixed = xml.replace(b"<", b"<x:").replace(b"<x:/", b"</x:").replace(b'xmlns="', b'xmlns:x="')
    assert parse_shared_strings(prefixed) == reference_shared_strings(prefixed)
    assert parse_shared_strings(f'<sst xmlns="{MAIN}"/>'.encode()) == []


@given(st.lists(st.lists(_TEXT, min_size=1, max_size=3), max_size=30), st.randoms(use_true_random=True))
@settings(max_examples=60, deadline=None)
def test_generated_shared_strings(items, rnd):
    body = ""
    for runs in items:
        if len(runs) == 1:
            body += f"<si><t>{_escape(rnd, runs[0])}</t></si>"
        else:
            body += "<si>" + "".join(f"<r><t>{_escape(rnd, r)}</t></r>" for r in runs) + "</si>"
    xml = f'<?xml version="1.0"?>\n<sst xmlns="{MAIN}">{body}</sst>'.encode()
    assert parse_shared_strings(xml) == reference_shared_strings(xml)


# ---------------------------------------------------------------------------
# Real workbooks
# ---------------------------------------------------------------------------

def _workbook_parts():
    for path in sorted(glob.glob(os.path.join(LESSONS, "*.xls[xm]"))):
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                if re.fullmatch(r"xl/worksheets/sheet\d+\.xml|xl/sharedStrings\.xml", name):
                    yield pytest.param(path, name, id=f"{os.path.basename(path)}:{name}")


@pytest.mark.skipif(not os.path.isdir(LESSONS), reason="lesson workbooks not available")
@pytest.mark.parametrize("path, name", list(_workbook_parts()))
def test_lesson_workbooks(path, name):
    with zipfile.ZipFile(path) as z:
        xml = z.read(name)
    if name.endswith("sharedStrings.xml"):
        assert parse_shared_strings(xml) == reference_shared_strings(xml)
    else:
        assert_matches_reference(xml)


def test_openpyxl_workbook():
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["name", "x", "y", "flag", "sum"])
    for i in range(1, 60):
        ws.append([f"item {i} <&>", i * 0.1, -i / 7, i % 2 == 0, f"=B{i + 1}+C{i + 1}"])
    ws["G1"] = "=SUM(B2:B60)"
    ws["G2"] = "#N/A"
    ws["G3"] = 1e-320
    ws["G4"] = "=IF(B2>0,\"yes\",\"no\")"
    ws["H1"].value = "  padded  "
    buf = io.BytesIO()
    wb.save(buf)
    with zipfile.ZipFile(buf) as z:
        xml = z.read("xl/worksheets/sheet1.xml")
        strings = z.read("xl/sharedStrings.xml") if "xl/sharedStrings.xml" in z.namelist() else None
    got = assert_matches_reference(xml)
    at = {(r, c): i for i, (r, c) in enumerate(zip(got.rows.tolist(), got.cols.tolist()))}
    if strings is None:         # openpyxl 3.1 writes inline strings
        assert got.types[at[0, 0]] == T_INLINE_STRING and got.texts[at[1, 0]] == "item 1 <&>"
        assert got.texts[at[0, 7]] == "  padded  "
    else:
        shared = parse_shared_strings(strings)
        assert shared == reference_shared_strings(strings)
        assert shared[int(got.numbers[at[0, 0]])] == "name"
    assert got.numbers[at[1, 1]] == 0.1 and got.numbers[at[2, 6]] == 1e-320 and got.types[at[1, 3]] == T_BOOL
    assert got.f_text[list(got.f_cell).index(at[1, 4])] == "B2+C2" and 'IF(B2>0,"yes","no")' in got.f_text


def test_numbers_parsed_in_blocks_match_one_pass():
    """A chunk's numbers are parsed _NUMBER_BLOCK at a time; across block
    edges the values (and the ones left to float()) are those of one pass."""
    rnd = random.Random(7)
    forms = [lambda: repr(rnd.gauss(0, 1)), lambda: repr(rnd.gauss(0, 1e-3)), lambda: str(rnd.randrange(-10**6, 10**6)),
             lambda: f"{rnd.random():.19f}", lambda: f"{rnd.uniform(-1, 1):.3E}", lambda: "12345678901234567890.5"]
    texts = [rnd.choice(forms)() for _ in range(S._NUMBER_BLOCK + 500)]
    xml = sheet('<row r="1">' + "".join(f'<c r="A{i + 1}"><v>{t}</v></c>' for i, t in enumerate(texts)) + "</row>")
    blocks = scan_sheet_data(xml).numbers
    with configured(number_block=10**9):
        one_pass = scan_sheet_data(xml).numbers
    assert blocks.tobytes() == one_pass.tobytes()
    assert same_numbers(blocks, [float(t) for t in texts])
