"""The function registry: signatures, categories, prefixes as Excel writes
them, the element-wise lifting's coercions, and `check --list-functions`."""

import html
import json
import math
import re
import zipfile
from collections import Counter, defaultdict

import numpy as np
import pytest

from sheetnet.book import Book
from sheetnet.cli import main
from sheetnet.engine import Engine
from sheetnet.errors import ExcelError
from sheetnet.formula.functions import FUNCTIONS, Category, elementwise
from sheetnet.formula.functions.registry import MAX_ARGS, PARAM_TYPES, parse_signature
from sheetnet.refbooks import reference_books, shared_dir


def test_signature_types_optional_defaults_and_repeats():
    params, repeat = parse_signature("number: number, [num_digits: integer = 0]")
    assert [(p.name, p.type, p.optional, p.default) for p in params] == [
        ("number", "number", False, None), ("num_digits", "integer", True, 0.0)]
    assert repeat == 0
    params, repeat = parse_signature("test: boolean, value: any, [test: boolean, value: any]...")
    assert [p.type for p in params] == ["boolean", "any", "boolean", "any"] and repeat == 2
    params, _ = parse_signature('text: text, [sep: text = ","], [flag: boolean = TRUE]')
    assert [p.default for p in params] == [None, ",", True]


@pytest.mark.parametrize("bad", ["x", "x: colour", "[a: number], b: number", "[a: number]..., b: number"])
def test_unreadable_signatures_are_refused(bad):
    with pytest.raises(ValueError):
        parse_signature(bad)


def test_argument_binding_follows_the_repeating_group():
    spec = FUNCTIONS["SUM"]
    assert (spec.min_args, spec.max_args) == (1, MAX_ARGS)
    assert [spec.param(i).type for i in range(4)] == ["numbers"] * 4
    assert spec.mode(7) == "x"
    offset = FUNCTIONS["OFFSET"]
    assert (offset.min_args, offset.max_args) == (3, 5)
    assert offset.mode(0) == "p" and offset.mode(4) == "v" and offset.reference


def test_every_registration_is_complete():
    for name, spec in FUNCTIONS.items():
        assert name == spec.name == name.upper()
        assert isinstance(spec.category, Category), name
        assert callable(spec.impl), name
        assert spec.min_args <= spec.max_args <= MAX_ARGS, name
        assert all(p.type in PARAM_TYPES for p in spec.params), name
        assert spec.prefix in ("", "_xlfn.", "_xlfn._xlws."), name
        assert spec.lazy == any(p.type == "lazy" for p in spec.params), name


def test_a_name_cannot_be_registered_twice():
    with pytest.raises(ValueError, match="registered twice"):
        elementwise("SQRT", category=Category.MATH, args="number: number")(math.sqrt)


_FORMULA = re.compile(rb"<f[^>]*>([^<]*)</f>")
_CALL = re.compile(r'"[^"]*"|((?:_xlfn\.|_xlws\.)*)([A-Za-z][A-Za-z0-9.]*)\(')


def _prefixes_excel_wrote():
    """{function: {prefix: count}} over every formula the reference workbooks
    hold, read straight from their sheet XML (string literals skipped)."""
    shared = shared_dir()
    if shared is None:
        pytest.skip("../shared (reference workbooks) not found beside the project")
    seen = defaultdict(Counter)
    for book in reference_books(shared):
        with zipfile.ZipFile(book.path) as z:
            for member in z.namelist():
                if member.startswith("xl/worksheets/") and member.endswith(".xml"):
                    for f in _FORMULA.findall(z.read(member)):
                        for m in _CALL.finditer(html.unescape(f.decode("utf-8"))):
                            if m.group(2):
                                seen[m.group(2).upper()][m.group(1).lower()] += 1
    return seen


def test_prefixes_are_the_ones_excel_writes():
    """Excel's own files decide: every registered function that appears in
    the reference workbooks carries the prefix Excel wrote before it."""
    seen = _prefixes_excel_wrote()
    checked = 0
    for name, spec in FUNCTIONS.items():
        if name in seen:
            assert set(seen[name]) == {spec.prefix.lower()}, (name, dict(seen[name]))
            checked += 1
    assert checked >= 50


# --- the element-wise lifting, through formulas ---------------------------------------

@pytest.fixture
def scratch_function():
    """A Python-form function registered for one test: ZZTEST(x, n, t, b)."""
    calls = []

    def ZZTEST(x: float, n: int, t: str, b: bool):
        calls.append((x, n, t, b))
        if x == 13:
            return 1 / (x - 13)
        if x < 0:
            return math.sqrt(x)
        if t == "error":
            return ExcelError("#N/A")
        return f"{x:g}|{n}|{t}|{b}"

    elementwise("ZZTEST", category=Category.MATH,
                args='x: number, [n: integer = 7], [t: text = "d"], [b: boolean = FALSE]')(ZZTEST)
    yield calls
    del FUNCTIONS["ZZTEST"]


def _eval(formula: str, cells: dict | None = None):
    book = Book()
    s = book.add_sheet("s")
    for ref, v in (cells or {}).items():
        s.set_value(ref, v)
    s.set_formula("Z1", formula)
    return Engine(book).recalc().value("s", "Z1")


def test_lifting_coerces_each_argument_by_its_type(scratch_function):
    assert _eval('ZZTEST(2.5, -3.9, 12, TRUE)') == "2.5|-3|12|True"
    assert _eval('ZZTEST("4", TRUE, FALSE, "true")') == "4|1|FALSE|True"
    assert _eval("ZZTEST(A1, A1, A1, A1)", {"A1": None}) == "0|0||False"
    assert _eval("ZZTEST(1)") == "1|7|d|False"                  # defaults of omitted arguments


def test_lifting_errors_left_to_right_and_python_exceptions(scratch_function):
    assert _eval('ZZTEST("abc", 1/0)') == ExcelError("#VALUE!")
    assert _eval('ZZTEST(1, 1/0, NA())') == ExcelError("#DIV/0!")
    assert _eval("ZZTEST(13)") == ExcelError("#DIV/0!")         # ZeroDivisionError
    assert _eval("ZZTEST(-1)") == ExcelError("#NUM!")           # ValueError
    assert _eval('ZZTEST(1, 1, "error")') == ExcelError("#N/A")
    assert _eval('ZZTEST(1, 1, "x", "maybe")') == ExcelError("#VALUE!")
    assert len(scratch_function) == 3                          # errors in arguments never call it


def test_lifting_pairs_arrays_and_pads_with_na(scratch_function):
    book = Book()
    s = book.add_sheet("s")
    s.set_formula("A1", "INDEX(ZZTEST({1,2}, {4,5,6}), 1, 2)")
    s.set_formula("B1", "INDEX(ZZTEST({1,2}, {4,5,6}), 1, 3)")
    s.set_formula("C1", "INDEX(ZZTEST({1;2}, {4,5}), 2, 2)")
    e = Engine(book).recalc()
    assert e.value("s", "A1") == "2|5|d|False"
    assert e.value("s", "B1") == ExcelError("#N/A")
    assert e.value("s", "C1") == "2|5|d|False"


def test_list_functions_by_category(capsys):
    assert main(["check", "--list-functions"]) == 0
    out = capsys.readouterr().out
    assert "Math & trig" in out and "SUMPRODUCT" in out and "Logical" in out
    assert main(["check", "--list-functions", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    names = {f["name"]: f for specs in data.values() for f in specs}
    assert set(names) == set(FUNCTIONS)
    assert names["XOR"]["prefix"] == "_xlfn." and names["SQRT"]["torch"] and names["RAND"]["volatile"]
    assert data["LOGICAL"][0]["signature"].startswith("AND(")


def test_check_without_files_is_one_line_error(capsys):
    assert main(["check"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sheetnet: error:") and err.count("\n") == 1


def test_round_trips_through_python_form_and_numpy_form_agree():
    """A function registered with both forms gives the same numbers either way."""
    x = np.array([0.5, 2.0, 9.0, 1e-3])
    from sheetnet.formula.functions.lifting import lift
    from sheetnet.formula.values import Arr
    spec = FUNCTIONS["SQRT"]

    class Ctx:
        nd = 3

    lifted = lift(spec.python, spec.params)(Ctx(), Arr(x[:, None, None]))
    vectorised = spec.impl(Ctx(), Arr(x[:, None, None]))
    np.testing.assert_array_equal(lifted.num, vectorised.num)
