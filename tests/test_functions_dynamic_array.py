"""The dynamic-array functions (SEQUENCE, SORT, SORTBY, UNIQUE, FILTER,
TOCOL/TOROW, CHOOSECOLS/CHOOSEROWS, HSTACK/VSTACK, EXPAND, TAKE/DROP,
WRAPROWS/WRAPCOLS) through spilled formulas: hand-computed values, and
hypothesis properties for their laws (SORT is an ordered permutation, TAKE
and DROP recompose the array, TOCOL undoes WRAPROWS, UNIQUE is idempotent).
Excel's own cached values are checked by tests/test_reference_workbooks.py."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sheetnet.book import Book
from sheetnet.engine import Engine
from sheetnet.errors import ExcelError

NA, CALC, VALUE = ExcelError("#N/A"), ExcelError("#CALC!"), ExcelError("#VALUE!")
ERRORS = [ExcelError(e) for e in ("#N/A", "#DIV/0!", "#NAME?", "#VALUE!", "#NUM!", "#REF!", "#NULL!")]
ERROR_FORMULA = {"#N/A": "=NA()", "#DIV/0!": "=1/0", "#NAME?": "=nosuchname", "#VALUE!": '="a"+1',
                 "#NUM!": "=SQRT(-1)", "#REF!": "=INDEX(X1:X2,3)", "#NULL!": "=X1:X2 Y1:Y2"}


def _col(i: int) -> str:
    return "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[i]


def _put(s, rows: list[list]) -> None:
    """Values into the sheet from A1 (None leaves a cell empty; errors as formulas)."""
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            ref = f"{_col(c)}{r + 1}"
            if isinstance(v, ExcelError):
                s.set_formula(ref, ERROR_FORMULA[v.name])
            elif v is not None:
                s.set_value(ref, v)


def spilled(formula: str, rows: list[list] | None = None) -> list[list]:
    """The array a dynamic-array formula in Z1 spills, as rows of values."""
    b = Book()
    s = b.add_sheet("s")
    _put(s, rows or [])
    group = s.spill("Z1", formula)
    e = Engine(b).recalc()
    area = group.array
    return [[e.value("s", (r, c)) for c in range(area.c0, area.c1 + 1)]
            for r in range(area.r0, area.r1 + 1)]


def column(n: int) -> str:
    return f"A1:A{n}"


# --- hand-computed values -------------------------------------------------------------

def test_sequence_fills_row_by_row():
    assert spilled("=SEQUENCE(2,3,10,-2)") == [[10, 8, 6], [4, 2, 0]]
    assert spilled("=SEQUENCE(,3)") == [[1, 2, 3]]
    assert spilled('=SEQUENCE("2")') == [[1], [2]]
    assert spilled("=SEQUENCE(0)") == [[CALC]]
    assert spilled("=SEQUENCE(-1)") == [[VALUE]]
    assert spilled("=SEQUENCE(1/0)") == [[ExcelError("#DIV/0!")]]
    assert spilled("=SEQUENCE(1E300)") == spilled("=EXPAND(1,1,20000)") == [[ExcelError("#NUM!")]]


def test_sizes_that_differ_per_cell_and_per_lambda_element():
    b = Book()
    s = b.add_sheet("s")
    s.set_values("A1", [[3], [1], [2]])
    s.fill("B1:B3", "=SUM(SEQUENCE(A1,2))")
    s.fill("C1:C3", "=LET(k, A1, ROWS(UNIQUE(SEQUENCE(k))))")
    mapped = s.spill("E1", "=MAP(SEQUENCE(3), LAMBDA(n, SUM(SEQUENCE(n))))")
    e = Engine(b).recalc()
    assert [e.value("s", f"B{i}") for i in range(1, 4)] == [21, 3, 10]
    assert [e.value("s", f"C{i}") for i in range(1, 4)] == [3, 1, 2]
    assert mapped.array.a1 == "E1:E3" and [e.value("s", f"E{i}") for i in range(1, 4)] == [1, 3, 6]


def test_sort_several_keys_and_directions():
    data = [[1, "b"], [2, "a"], [1, "a"], [3, "B"]]
    assert spilled("=SORT(A1:B4,{1,2},{1,-1})", data) == [[1, "b"], [1, "a"], [2, "a"], [3, "B"]]
    assert spilled("=SORT(A1:B4,2,-1)", data) == [[1, "b"], [3, "B"], [2, "a"], [1, "a"]]
    assert spilled("=SORT({3,1,2},1,1,TRUE)") == [[1, 2, 3]]
    assert spilled("=SORT(A1:B4,3)", data) == [[VALUE]]
    assert spilled("=SORT(A1:B4,1,0)", data) == [[VALUE]]


def test_sortby_rows_and_columns():
    assert spilled("=SORTBY(A1:A3,B1:B3,-1)", [["x", 1], ["y", 3], ["z", 2]]) == [["y"], ["z"], ["x"]]
    assert spilled("=SORTBY({1,2,3},{3,1,2})") == [[2, 3, 1]]
    assert spilled("=SORTBY(A1:A3,B1:B2)", [["x", 1], ["y", 3], ["z", 2]]) == [[VALUE]]


def test_unique_and_filter():
    names = [["Ann"], ["bob"], ["ANN"], ["Cy"], ["Bob"]]
    assert spilled("=UNIQUE(A1:A5)", names) == [["Ann"], ["bob"], ["Cy"]]
    assert spilled("=UNIQUE(A1:A5,,TRUE)", names) == [["Cy"]]
    assert spilled("=UNIQUE({1,2,1},TRUE)") == [[1, 2]]
    data = [[1, True], [2, False], [3, 1]]
    assert spilled("=FILTER(A1:A3,B1:B3)", data) == [[1], [3]]
    assert spilled('=FILTER(A1:A3,A1:A3>5,"none")', data) == [["none"]]
    assert spilled("=FILTER(A1:A3,A1:A3>5)", data) == [[CALC]]
    assert spilled("=FILTER({1,2,3},{0,1,1})") == [[2, 3]]
    assert spilled("=FILTER(A1:A3,A1:A2>0)", data) == [[VALUE]]


def test_reshaping():
    grid = [[1, 2, 3], [4, 5, 6]]
    assert spilled("=TOCOL(A1:C2,0,TRUE)", grid) == [[1], [4], [2], [5], [3], [6]]
    assert spilled("=TOROW(A1:C3,1)", grid) == [[1, 2, 3, 4, 5, 6]]
    assert spilled("=CHOOSECOLS(A1:C2,-1,{1,1})", grid) == [[3, 1, 1], [6, 4, 4]]
    assert spilled("=CHOOSEROWS(A1:C2,3)", grid) == [[VALUE]]
    assert spilled("=VSTACK(A1:C1,A2:B2)", grid) == [[1, 2, 3], [4, 5, NA]]
    assert spilled('=EXPAND(A1:B1,2,,"-")', grid) == [[1, 2], ["-", "-"]]
    assert spilled("=EXPAND(A1:C2,1)", grid) == [[VALUE]]
    assert spilled("=TAKE(A1:C2,-1,2)", grid) == [[4, 5]]
    assert spilled("=TAKE(A1:C2,-1,-2)", grid) == [[5, 6]]
    assert spilled("=TAKE(A1:C2,,-1)", grid) == [[3], [6]]
    assert spilled("=DROP(A1:C2,0,-2)", grid) == [[1], [4]]
    assert spilled("=DROP(A1:C2,2)", grid) == [[CALC]]
    assert spilled("=WRAPCOLS({1,2,3,4,5},2,0)") == [[1, 3, 5], [2, 4, 0]]
    assert spilled("=WRAPROWS(A1:C2,2)", grid) == [[VALUE]]
    assert spilled("=WRAPROWS({1,2},0)") == [[ExcelError("#NUM!")]]


# --- laws -----------------------------------------------------------------------------

values = st.one_of(st.integers(-5, 5).map(float), st.sampled_from(["a", "B", "b", "c", "A", "", "10"]),
                   st.booleans(), st.sampled_from(ERRORS), st.none())
LAWS = settings(max_examples=40, deadline=None)


def _excel_order(v):
    """Excel's sort order, written independently of the implementation:
    numbers, text (case-insensitive), FALSE, TRUE, errors (ERROR.TYPE order)."""
    if isinstance(v, bool):
        return (2, v)
    if isinstance(v, float):
        return (0, v)
    if isinstance(v, str):
        return (1, v.casefold())
    names = ["#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"]
    return (3, names.index(v.name))


@given(st.lists(values, min_size=1, max_size=12), st.booleans())
@LAWS
def test_sort_is_an_ordered_stable_permutation(items, descending):
    out = [r[0] for r in spilled(f"=SORT({column(len(items))},1,{-1 if descending else 1})",
                                 [[v] for v in items])]
    present = [v for v in items if v is not None]
    expected = sorted(present, key=_excel_order, reverse=descending) + [0.0] * (len(items) - len(present))
    assert out == expected


@given(st.integers(1, 5), st.integers(1, 3), st.data())
@LAWS
def test_take_and_drop_recompose_the_array(h, w, data):
    grid = [[float(r * 10 + c) for c in range(w)] for r in range(h)]
    k = data.draw(st.integers(-h, h))
    ref = f"A1:{_col(w - 1)}{h}"
    if k in (0, h, -h):
        return
    parts = f"TAKE({ref},{k}),DROP({ref},{k})" if k > 0 else f"DROP({ref},{k}),TAKE({ref},{k})"
    assert spilled(f"=VSTACK({parts})", grid) == grid
    j = data.draw(st.integers(1, w))
    if j < w:
        assert spilled(f"=HSTACK(TAKE({ref},,{j}),DROP({ref},,{j}))", grid) == grid


@given(st.lists(st.one_of(st.integers(-9, 9).map(float), st.sampled_from(["x", "y"])), min_size=1, max_size=14),
       st.integers(1, 5))
@LAWS
def test_tocol_undoes_wraprows(items, k):
    n = len(items)
    padded = items + [NA] * (-n % min(k, n))
    assert [r[0] for r in spilled(f"=TOCOL(WRAPROWS({column(n)},{k}))", [[v] for v in items])] == padded
    assert [r[0] for r in spilled(f"=TOCOL(WRAPCOLS({column(n)},{k}),2,TRUE)", [[v] for v in items])] == items


@given(st.lists(st.lists(st.sampled_from([1.0, 2.0, "a", "A", "b", True]), min_size=2, max_size=2),
                min_size=1, max_size=8))
@LAWS
def test_unique_is_idempotent_and_keeps_first_occurrences(rows):
    ref = f"A1:B{len(rows)}"
    once = spilled(f"=UNIQUE({ref})", rows)
    assert spilled(f"=UNIQUE(UNIQUE({ref}))", rows) == once

    def key(row):
        return tuple((type(v).__name__, v.casefold() if isinstance(v, str) else v) for v in row)

    firsts = {}
    for row in rows:
        firsts.setdefault(key(row), row)
    assert once == list(firsts.values())


# --- a #CALC! as Excel stores it ----------------------------------------------------

_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_RICH = "http://schemas.microsoft.com/office/2017/06/relationships"
_PARTS = {
    "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>',
    "_rels/.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    f'xmlns:r="{_RELS}"><sheets><sheet name="s" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_RELS}/sheetMetadata" Target="metadata.xml"/>'
    f'<Relationship Id="rId3" Type="{_RICH}/rdRichValue" Target="richData/rdrichvalue.xml"/>'
    f'<Relationship Id="rId4" Type="{_RICH}/rdRichValueStructure" Target="richData/rdrichvaluestructure.xml"/>'
    '</Relationships>',
    "xl/worksheets/sheet1.xml": '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<sheetData><row r="1"><c r="A1" t="e" vm="1"><v>#VALUE!</v></c><c r="B1" t="e" vm="2"><v>#VALUE!</v></c>'
    '<c r="C1" t="e"><v>#VALUE!</v></c><c r="D1"><f>ERROR.TYPE(A1)</f><v>14</v></c></row></sheetData></worksheet>',
    "xl/metadata.xml": '<metadata xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:xlrd="http://schemas.microsoft.com/office/spreadsheetml/2017/richdata">'
    '<metadataTypes count="1"><metadataType name="XLRICHVALUE"/></metadataTypes>'
    '<futureMetadata name="XLRICHVALUE" count="2"><bk><extLst><ext><xlrd:rvb i="0"/></ext></extLst></bk>'
    '<bk><extLst><ext><xlrd:rvb i="1"/></ext></extLst></bk></futureMetadata>'
    '<valueMetadata count="2"><bk><rc t="1" v="0"/></bk><bk><rc t="1" v="1"/></bk></valueMetadata></metadata>',
    "xl/richData/rdrichvalue.xml": '<rvData xmlns="http://schemas.microsoft.com/office/spreadsheetml/2017/richdata">'
    '<rv s="0"><v>13</v><v>3</v></rv><rv s="0"><v>8</v><v>0</v></rv></rvData>',
    "xl/richData/rdrichvaluestructure.xml": '<rvStructures '
    'xmlns="http://schemas.microsoft.com/office/spreadsheetml/2017/richdata"><s t="_error">'
    '<k n="errorType" t="i"/><k n="subType" t="i"/></s></rvStructures>',
}


def test_newer_errors_stored_as_rich_values_are_read_as_themselves(tmp_path):
    import zipfile

    from sheetnet.xlsx.reader import read_workbook

    path = tmp_path / "rich.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        for name, text in _PARTS.items():
            z.writestr(name, text)
    e = Engine(read_workbook(str(path))).recalc()
    assert [e.value("s", c) for c in ("A1", "B1", "C1", "D1")] == [CALC, ExcelError("#SPILL!"), VALUE, 14]


def test_randarray_draws_from_the_seeded_generator():
    b = Book()
    s = b.add_sheet("s")
    g = s.spill("A1", "=RANDARRAY(4,3,-2,5,TRUE)")
    s.spill("E1", "=RANDARRAY(2)")
    s.set_formula("G1", "=RANDARRAY(1,1,3,2)")
    s.set_formula("G2", "=RANDARRAY(0)")
    Engine(b).recalc()              # learns the spill ranges (a resized spill is calculated again)
    draws = []
    for _ in range(2):
        e = Engine(b, seed=7).recalc()
        draws.append([e.value("s", f"{c}{r}") for r in range(1, 5) for c in "ABC"] + [e.value("s", "E1"),
                                                                                     e.value("s", "E2")])
        assert e.value("s", "G1") == VALUE and e.value("s", "G2") == CALC
    assert g.array.a1 == "A1:C4" and draws[0] == draws[1]
    assert all(v == int(v) and -2 <= v <= 5 for v in draws[0][:12])
    assert all(0 <= v < 1 for v in draws[0][12:])
