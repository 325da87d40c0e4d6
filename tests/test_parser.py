"""Formula text -> tree -> text."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetnet.errors import FormulaSyntaxError
from sheetnet.formula.ast import (AreaRef, ArrayLit, Binary, Bool, Call, CellRef, ErrorLit, Missing, Name,
                                  Number, Paren, Percent, Text, Unary)
from sheetnet.formula.parser import parse
from sheetnet.formula.render import parenthesize, render, render_r1c1
from sheetnet.refs import name_chars

ANCHOR = (20, 10)


def test_lesson_formulas_round_trip():
    cases = [
        ("IF(H2=\"\",0,MMULT($B25:$F25,H$19:H$23))", (24, 7)),
        ("OFFSET($B$3,$L3,M$2)", (2, 12)),
        ("-B2*LOG(C2)-(1-B2)*LOG(1-C2)", (1, 3)),
        ("(((C4+0.01)+A4*D4)-B4)^2", (3, 6)),
        ("avg_grad2/prev_grad2", (33, 13)),
        ("movielens_1hot!#REF!", (0, 0)),
        ("SUM(A:A,3:5,'my sheet'!B2)", (0, 0)),
        ("{1,-2;\"a\",TRUE}", (0, 0)),
        ("_xlfn.CEILING.MATH(A1,0.5)", (0, 0)),
        ("SUM((A1,B2:C3))", (0, 0)),
        ("A1:C3 B2:D4", (0, 0)),
        ("IF(A1,,2)", (0, 0)),
        ("-2^2%", (0, 0)),
    ]
    for text, anchor in cases:
        assert render(parse("=" + text, anchor), anchor) == text


def test_filled_cells_share_one_tree():
    """The key the evaluator groups cells by: one R1C1 formula."""
    a = parse("OFFSET($B$3,$L3,M$2)", (2, 12))
    b = parse("OFFSET($B$3,$L40,P$2)", (39, 15))
    assert a == b and hash(a) == hash(b)
    assert render_r1c1(a) == "OFFSET(R3C2,RC12,R2C)"


def test_precedence():
    # unary minus binds tighter than ^ in Excel: -2^2 is 4
    assert parse("-2^2") == Binary("^", Unary("-", Number(2.0)), Number(2.0))
    # operators are left-associative, ^ included: 2^3^2 is 64
    assert parse("2^3^2") == Binary("^", Binary("^", Number(2.0), Number(3.0)), Number(2.0))
    assert parse("1+2*3") == Binary("+", Number(1.0), Binary("*", Number(2.0), Number(3.0)))
    assert parse("1&2=3") == Binary("=", Binary("&", Number(1.0), Number(2.0)), Number(3.0))


@pytest.mark.parametrize("bad", ["=", "=1+", "=SUM(1,2", "=(1", "=1)", "={1,2;3}", "=\"abc", "=1 2", "=@"])
def test_syntax_errors_say_where(bad):
    with pytest.raises(FormulaSyntaxError) as err:
        parse(bad)
    assert "position" in str(err.value) or "end" in str(err.value)


# --- generated trees -------------------------------------------------------------------

sheets = st.sampled_from([None, None, None, "data", "my sheet", "it's", "A1", "2019"])
names = st.sampled_from(["rate", "lr", "avg_grad2", "x.y", "_hidden", "momentum"])
functions = st.sampled_from(["SUM", "IF", "OFFSET", "MMULT", "LOG", "XYZ", "CEILING.MATH"])
numbers = st.floats(min_value=0, max_value=1e300, allow_nan=False, allow_infinity=False)
texts = st.text(max_size=8)
errors = st.sampled_from(["#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!"])


@st.composite
def cell_refs(draw):
    row, col = draw(st.integers(0, 300)), draw(st.integers(0, 80))
    row_abs, col_abs = draw(st.booleans()), draw(st.booleans())
    return CellRef(draw(sheets), row if row_abs else row - ANCHOR[0], col if col_abs else col - ANCHOR[1],
                   row_abs, col_abs)


@st.composite
def area_refs(draw):
    shape = draw(st.sampled_from(["cells", "cells", "cols", "rows"]))
    parts = []
    for _ in range(2):
        row, col = draw(st.integers(0, 300)), draw(st.integers(0, 80))
        ra, ca = draw(st.booleans()), draw(st.booleans())
        parts.append((row if ra else row - ANCHOR[0], col if ca else col - ANCHOR[1], ra, ca))
    (r1, c1, r1a, c1a), (r2, c2, r2a, c2a) = parts
    if shape == "cols":
        return AreaRef(draw(sheets), None, c1, None, c2, False, c1a, False, c2a)
    if shape == "rows":
        return AreaRef(draw(sheets), r1, None, r2, None, r1a, False, r2a, False)
    return AreaRef(draw(sheets), r1, c1, r2, c2, r1a, c1a, r2a, c2a)


literal = st.one_of(numbers.map(Number), texts.map(Text), st.booleans().map(Bool), errors.map(ErrorLit))
array_item = st.one_of(numbers.map(Number), numbers.map(lambda x: Unary("-", Number(x))),
                       texts.map(Text), st.booleans().map(Bool), errors.map(ErrorLit))


@st.composite
def array_lits(draw):
    h, w = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    return ArrayLit(tuple(tuple(draw(array_item) for _ in range(w)) for _ in range(h)))


leaves = st.one_of(literal, cell_refs(), area_refs(), names.map(Name), array_lits(),
                   st.builds(Name, names, st.sampled_from(["data", "my sheet"])))
references = st.one_of(cell_refs(), area_refs())


def _extend(children):
    def call(args):
        return args

    return st.one_of(
        st.builds(Unary, st.sampled_from(["-", "+"]), children),
        st.builds(Percent, children),
        st.builds(Binary, st.sampled_from(["+", "-", "*", "/", "^", "&", "=", "<>", "<", ">", "<=", ">="]),
                  children, children),
        st.builds(Paren, children),
        st.builds(lambda name, args: Call(name, tuple(args)), functions,
                  st.lists(st.one_of(children, st.just(Missing())), max_size=4)
                  .filter(lambda a: not (len(a) == 1 and isinstance(a[0], Missing)))),
        st.builds(lambda a, b: Binary(" ", a, b), references, references),
        st.builds(lambda a, b: Paren(Binary(",", a, b)), references, references),
        st.builds(lambda a, b: Binary(":", Call("INDEX", (a,)), b), references, references),
    )


trees = st.recursive(leaves, _extend, max_leaves=12)


@settings(max_examples=400, deadline=None)
@given(trees)
def test_parse_render_round_trip(tree):
    canonical = parenthesize(tree)          # the parentheses its text needs
    assert parse(render(canonical, ANCHOR), ANCHOR) == canonical


@settings(max_examples=200, deadline=None)
@given(trees)
def test_parenthesize_is_idempotent(tree):
    once = parenthesize(tree)
    assert parenthesize(once) == once


EVERY_CHARACTER = "".join(map(chr, range(0x110000)))


@pytest.mark.parametrize("ascii_chars", [r"A-Za-z_", r"\w.", r"A-Za-z_\\", r"\w.?\\", r"\w.(!\[", r"\w.(",
                                         r"A-Za-z_!\\", r"A-Za-z0-9_."])
@pytest.mark.parametrize("flags", [0, re.IGNORECASE])
def test_name_characters_are_the_class_with_the_bmp_range(ascii_chars, flags):
    """name_chars(x) matches exactly the characters [x\\u00a1-\\uffff] matches,
    with and without IGNORECASE, over every code point."""
    fast = re.findall(name_chars(ascii_chars), EVERY_CHARACTER, flags)
    slow = re.findall("[" + ascii_chars + "\u00a1-\uffff]", EVERY_CHARACTER, flags)
    assert fast == slow
