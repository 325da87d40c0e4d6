"""The syntax of real Excel workbooks: structured (Table) references, @,
A1#, LET/LAMBDA, 3-D and external references -- parse, render, parse."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetnet.errors import FormulaSyntaxError
from sheetnet.formula.ast import (Apply, AreaRef, Binary, Call, CellRef, External, Missing, Name, Number,
                                  Ref3D, StructRef)
from sheetnet.formula.parser import parse
from sheetnet.formula.render import parenthesize, render, render_for_file

ANCHOR = (4, 3)


@pytest.mark.parametrize("text, tree", [
    ("Table134[[#This Row],[Survived]]", StructRef("Table134", ("#This Row",), "Survived")),
    ("Table1[@Col]", StructRef("Table1", ("#This Row",), "Col")),
    ("Table1[@[Unit Price]]", StructRef("Table1", ("#This Row",), "Unit Price")),
    ("[@Qty]", StructRef(None, ("#This Row",), "Qty")),
    ("Table1[[#Headers],[A]:[C]]", StructRef("Table1", ("#Headers",), "A", "C")),
    ("Table1[[#Headers],[#Data],[A]]", StructRef("Table1", ("#Headers", "#Data"), "A")),
    ("Table1[#All]", StructRef("Table1", ("#All",))),
    ("Table1[#totals]", StructRef("Table1", ("#Totals",))),
    ("Table1[]", StructRef("Table1")),
    ("T[[a'[1']]]", StructRef("T", (), "a[1]")),
    ("T['#Count]", StructRef("T", (), "#Count")),
    ("T[[#This Row], [x]:[y]]", StructRef("T", ("#This Row",), "x", "y")),
])
def test_structured_references(text, tree):
    assert parse(text) == tree
    assert parse(render(tree)) == tree


def test_at_is_single_and_a1_hash_is_anchorarray():
    assert parse("@A1:A10+1") == Binary("+", Call("SINGLE", (AreaRef(None, 0, 0, 9, 0, False, False, False, False),),
                                                  "_xlfn."), Number(1.0))
    assert render(parse("=SUM(B2#)"), (0, 0)) == "SUM(_xlfn.ANCHORARRAY(B2))"
    assert parse("_xlfn.SINGLE(A1:A3)") == parse("@A1:A3")


def test_lambda_syntax():
    tree = parse("_xlfn.LAMBDA(_xlpm.x,_xlpm.y,_xlpm.x*_xlpm.y)(3,)")
    assert isinstance(tree, Apply) and tree.args == (Number(3.0), Missing())
    let = parse("_xlfn.LET(_xlpm.f,_xlfn.LAMBDA(_xlpm.x,_xlpm.x+1),_xlpm.f(2))")
    assert let.args[2] == Call("F", (Number(2.0),), "_xlpm.")
    assert parse("CountWords(F1)") == Call("COUNTWORDS", (CellRef(None, 0, 5, False, False),))


def test_3d_and_external_references():
    assert parse("SUM(Jan:Mar!B2)").args[0] == Ref3D("Jan", "Mar", CellRef(None, 1, 1, False, False))
    assert parse("'Q 1:Q 4'!A1:B2", (0, 0)).first == "Q 1"
    assert parse("[1]Sheet1!$A$1") == External("1", CellRef("Sheet1", 0, 0, True, True))
    assert parse("[2]!rate") == External("2", Name("rate"))
    for text in ("Jan:Mar!B2", "'Q 1:Q 4'!A1:B2", "[1]Sheet1!$A$1", "'[1]My data'!A1", "[2]!rate"):
        assert render(parse(text)) == text


@pytest.mark.parametrize("bad", ["T[[#Nope]]", "T[[a]:[b]:[c]]", "T[a", "[1]Sheet1", "[]", "#", "T[[#This Row],[a],[b]]"])
def test_bad_new_syntax_is_one_clear_error(bad):
    with pytest.raises(FormulaSyntaxError):
        parse(bad)


def test_file_form_adds_excel_markers():
    assert render_for_file(parse("IFNA(A1,0)+XOR(1,0)+CEILING.MATH(2)")) == \
        "_xlfn.IFNA(A1,0)+_xlfn.XOR(1,0)+_xlfn.CEILING.MATH(2)"
    assert render_for_file(parse("SORT(FILTER(A1:A3,A1:A3>1))")) == \
        "_xlfn._xlws.SORT(_xlfn._xlws.FILTER(A1:A3,A1:A3>1))"
    assert render_for_file(parse("LET(x,1,f,LAMBDA(y,x+y),f(2))")) == \
        "_xlfn.LET(_xlpm.x,1,_xlpm.f,_xlfn.LAMBDA(_xlpm.y,_xlpm.x+_xlpm.y),_xlpm.F(2))"
    assert render_for_file(parse("[@Price]*2"), (1, 1), "Sales") == "Sales[[#This Row],[Price]]*2"
    assert render_for_file(parse("SUM(A1:A3)+x")) == "SUM(A1:A3)+x"     # a defined name stays bare


# --- generated trees ----------------------------------------------------------------

column_names = st.text(alphabet=st.sampled_from("ab AZ19_#'[]:,.@$-"), min_size=1, max_size=6).filter(
    lambda s: s.strip() == s and s.strip())
item_sets = st.sampled_from([(), ("#All",), ("#Data",), ("#Headers",), ("#Totals",), ("#This Row",),
                             ("#Headers", "#Data"), ("#Data", "#Totals")])


@st.composite
def struct_refs(draw):
    items = draw(item_sets)
    table = draw(st.sampled_from([None, "Table1", "Sales_2024", "T"]))
    col1 = draw(st.one_of(st.none(), column_names)) if items else draw(column_names)
    col2 = draw(st.one_of(st.none(), column_names)) if col1 is not None else None
    if table is None and not items and col1 is None:
        col1 = "x"
    return StructRef(table, items, col1, col2)


params = st.sampled_from(["x", "y", "acc", "_xlpm.v"])


def _let_lambda(children):
    @st.composite
    def let(draw):
        pairs = draw(st.lists(st.tuples(params, children), min_size=1, max_size=3))
        args = []
        for name, value in pairs:
            args += [Name(name), value]
        return Call("LET", tuple(args + [draw(st.one_of(children, params.map(Name)))]), draw(st.sampled_from(["", "_xlfn."])))

    @st.composite
    def lam(draw):
        names = draw(st.lists(params, min_size=0, max_size=3, unique_by=lambda n: n.replace("_xlpm.", "")))
        fn = Call("LAMBDA", tuple(Name(n) for n in names) + (draw(children),), "_xlfn.")
        if draw(st.booleans()):
            return fn
        args = draw(st.lists(st.one_of(children, st.just(Missing())), max_size=len(names)))
        if args == [Missing()]:          # f() is no arguments, not one empty one
            args = []
        return Apply(fn, tuple(args))

    return st.one_of(
        let(), lam(),
        st.builds(lambda a, b: Binary("*", a, b), children, children),
        st.builds(lambda a: Call("SUM", (a,)), children),
        st.builds(lambda a, f: Call("MAP", (a, Call("LAMBDA", (Name("v"), f), "_xlfn.")), "_xlfn."), children, children),
        st.builds(lambda a: Call("SINGLE", (a,), "_xlfn."), struct_refs()),
    )


leaves = st.one_of(struct_refs(), params.map(Name), st.integers(0, 99).map(lambda i: Number(float(i))),
                   st.just(CellRef(None, -1, 0, False, False)))
trees = st.recursive(leaves, _let_lambda, max_leaves=10)


@settings(max_examples=300, deadline=None)
@given(struct_refs())
def test_structured_reference_round_trip(tree):
    assert parse(render(tree, ANCHOR), ANCHOR) == tree


@settings(max_examples=300, deadline=None)
@given(trees)
def test_let_lambda_round_trip(tree):
    canonical = parenthesize(tree)
    assert parse(render(canonical, ANCHOR), ANCHOR) == canonical
    stored = render_for_file(canonical, ANCHOR, "Table1")
    assert render_for_file(parse(stored, ANCHOR), ANCHOR, "Table1") == stored
