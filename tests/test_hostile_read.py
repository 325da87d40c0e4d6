"""`sheetnet check` on damaged, odd and hostile workbooks (issue 13).

Every input is built here from scratch (tests/hostile_inputs.py).  Each case
of the issue's list is one test: a traceback it used to end in, an "OK" it
used to give about a file it had not checked, or a hang or memory blow-up.
What must happen instead: one line `sheetnet: error: FILE: ...` naming the
sheet and cell where there is one, exit 2 (1 where the file was checked and
differs), quickly and in bounded memory.
"""

from __future__ import annotations

import os
import threading

import pytest

from hostile_inputs import (cell, docx, file_digest, many_big_sheets, one_formula_book, package, patch_zip_entries,
                            sheet_xml, sheets_bomb)
from sheetnet.cli import main


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def refused(capsys, path, *fragments, argv=("check",)):
    """Run the command on `path`: one error line naming the file and every fragment, exit 2, file unchanged."""
    before = file_digest(path)
    code, out, err = run(capsys, *argv, path)
    assert code == 2, (out, err)
    assert err.startswith(f"sheetnet: error: {path}") and err.count("\n") == 1, err
    for fragment in fragments:
        assert fragment in err, err
    assert "Traceback" not in err and "OK" not in out
    assert file_digest(path) == before
    return err


def checked(capsys, path, code_wanted=0):
    code, out, err = run(capsys, "check", path)
    assert code == code_wanted, (out, err)
    assert "Traceback" not in err
    return out, err


# --------------------------------------------------------------------------- the zip package

def test_entry_flagged_encrypted(tmp_path, capsys):
    path = patch_zip_entries(package(tmp_path / "enc.xlsx"), flag_bits=1, only="xl/worksheets/sheet1.xml")
    refused(capsys, path, "part xl/worksheets/sheet1.xml is encrypted")


def test_entry_compressed_with_deflate64(tmp_path, capsys):
    path = patch_zip_entries(package(tmp_path / "d64.xlsx"), method=9, only="xl/worksheets/sheet1.xml")
    refused(capsys, path, "compressed with Deflate64")


def test_word_document_renamed_xlsx(tmp_path, capsys):
    refused(capsys, docx(tmp_path / "letter.xlsx"), "word/document.xml is not a workbook")


def test_many_sheets_that_inflate_past_the_budget_together(tmp_path, capsys):
    """58 sheets x 46 MiB from a 10.8 MB zip: each part is under every per-part
    limit; the whole is refused from the declared sizes, before reading any."""
    path = sheets_bomb(tmp_path / "bomb.xlsx")
    refused(capsys, path, "its sheets expand to 2.6 GiB of XML", "--max-memory")


def test_the_package_budget_follows_max_memory(tmp_path, capsys):
    path = many_big_sheets(tmp_path / "two.xlsx", sheets=2, cells_per_sheet=200_000)     # 2 x ~7 MiB of XML
    refused(capsys, path, "reading them needs about", "past the memory budget of 32.0 MiB",
            argv=("check", "--max-memory", "32M"))


@pytest.mark.parametrize("kind", ["device", "fifo"])
def test_not_a_regular_file(tmp_path, capsys, kind):
    """/dev/zero used to grow to 7.5 GB; a FIFO blocked forever."""
    if kind == "device":
        path = "/dev/zero"
        if not os.path.exists(path):
            pytest.skip("no /dev/zero here")
    else:
        path = str(tmp_path / "pipe.xlsx")
        os.mkfifo(path)
    done = []
    worker = threading.Thread(target=lambda: done.append(main(["check", path])), daemon=True)
    worker.start()
    worker.join(timeout=20)
    assert done == [2], "check hung on a FIFO or device"
    err = capsys.readouterr().err
    assert f"{path}: is a {'device' if kind == 'device' else 'FIFO'}, not a workbook" in err


# --------------------------------------------------------------------------- the workbook part

@pytest.mark.parametrize("what, build, message", [
    ("sheet without a name", dict(sheet_tags='<sheet sheetId="1" r:id="rId1"/>'), "sheet 1 in xl/workbook.xml has no name"),
    ("sheet without r:id", dict(sheet_tags='<sheet name="S" sheetId="1"/>'), "sheet 'S' has no r:id"),
    ("zero sheets", dict(sheet_tags=""), "the workbook lists no sheets"),
    ("listed sheet, part missing", dict(drop=["xl/worksheets/sheet1.xml"]),
     "sheet 'S' is listed in the workbook but its part xl/worksheets/sheet1.xml is missing"),
    ("workbook relationships missing", dict(drop=["xl/_rels/workbook.xml.rels"]), "sheet 'S' cannot be found"),
    ("two sheets of one name", dict(sheet_tags='<sheet name="S" sheetId="1" r:id="rId1"/>'
                                                '<sheet name="s" sheetId="2" r:id="rId1"/>'), "two sheets named 's'"),
    ("localSheetId not a number", dict(names='<definedName name="x" localSheetId="abc">S!$A$1</definedName>'),
     "localSheetId='abc', not a sheet number"),
    ("garbage worksheet part", dict(replace={"xl/worksheets/sheet1.xml": b"\x00\x01garbage"}),
     "sheet 'S' (xl/worksheets/sheet1.xml) is damaged: it is not a worksheet"),
    ("empty worksheet part", dict(replace={"xl/worksheets/sheet1.xml": b""}), "it is not a worksheet"),
])
def test_damaged_workbook_structure(tmp_path, capsys, what, build, message):
    refused(capsys, package(tmp_path / "book.xlsx", **build), message)


# --------------------------------------------------------------------------- values Excel would never write

@pytest.mark.parametrize("what, cells, shared, message", [
    ("underscore in a number", [cell("A1", "1_000"), cell("B1", "1000", "A1")], None, "number '1_000' is not valid"),
    ("Arabic-Indic digits", [cell("A1", "\u0661\u0662"), cell("B1", "12", "A1")], None, "is not valid"),
    ("NaN as a number", [cell("A1", "NaN")], None, "number 'NaN' is not valid"),
    ("boolean 2", [cell("A1", "2", t="b"), cell("B1", "2", "A1")], None, "S!A1 is a boolean cell holding 2"),
    ("unknown error literal", [cell("A1", "#BOGUS!", t="e"), cell("B1", "#BOGUS!", "A1", t="e")], None,
     "S!A1 holds the error value '#BOGUS!'"),
    ("shared string index past the end", [cell("A1", "3", t="s")], ["x"], "S!A1 refers to shared string 3"),
    ("shared string index not whole", [cell("A1", "0.5", t="s")], ["x"], "S!A1 refers to shared string 0.5"),
    ("damaged shared string", [cell("A1", "1", t="s"), cell("B1", "", "A1", t="str")],
     "<si><t>x</t></si><si>broken</si>", "shared strings are damaged (text outside any <t> element ('broken'))"),
])
def test_values_outside_the_file_format(tmp_path, capsys, what, cells, shared, message):
    refused(capsys, package(tmp_path / "v.xlsx", {"S": sheet_xml(cells)}, shared=shared), message)


@pytest.mark.parametrize("what, data, message", [
    ("explicit column past XFD", '<row r="1"><c r="XFE1"><v>1</v></c></row>', "cell reference 'XFE1' is not valid"),
    ("counted on past XFD", '<row r="1"><c r="XFD1"><v>1</v></c><c><v>2</v></c></row>',
     "row 1, column 16,385 lies outside Excel's grid"),
    ("counted on past row 1,048,576", '<row r="1048576"><c><v>1</v></c></row><row><c><v>2</v></c></row>',
     "row 1,048,577, column 1 lies outside Excel's grid"),
])
def test_cells_outside_excels_grid(tmp_path, capsys, what, data, message):
    refused(capsys, package(tmp_path / "g.xlsx", {"S": sheet_xml(data)}), message)


def test_cached_infinity_is_itself_the_finding(tmp_path, capsys):
    """A cached 1e309 used to match any computed value."""
    path = package(tmp_path / "inf.xlsx", {"S": sheet_xml([cell("A1", 2), cell("B1", "1e309", "A1*3")])})
    out, _ = checked(capsys, path, code_wanted=1)
    assert "MISMATCH S!B1: cached inf, computed 6.0 (the file stores a number no cell can hold)" in out


def test_non_finite_pairs_are_findings_without_numpy_warnings(tmp_path, capsys):
    """Identical inf/NaN pairs were reported as mismatches with a numpy
    RuntimeWarning; now every cached non-finite number is a finding, quietly."""
    import warnings
    cells = [cell("A1", "1e309"), cell("B1", "1e309", "A1"), cell("C1", "-1e309", "-A1"), cell("D1", "1e309", "A1*0")]
    path = package(tmp_path / "inf.xlsx", {"S": sheet_xml(cells)})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out, _ = checked(capsys, path, code_wanted=1)
    assert "3 formula cell(s) differ" in out and out.count("(the file stores a number no cell can hold)") == 3


def test_constant_infinity_is_num_error(tmp_path, capsys):
    """A constant too large for a double is #NUM! (no cell holds infinity): formulas see the error."""
    path = package(tmp_path / "inf.xlsx", {"S": sheet_xml([cell("A1", "1e309"), cell("B1", "#NUM!", "A1*3", t="e")])})
    checked(capsys, path, code_wanted=0)


# --------------------------------------------------------------------------- formulas at and past Excel's limits

def test_a_long_valid_formula_is_calculated(tmp_path, capsys):
    """=A1+A2+...+A496 (2,371 characters; Excel allows 8,192) used to end in RecursionError."""
    formula = "+".join(f"A{i}" for i in range(1, 497))
    cells = [cell(f"A{i}", i) for i in range(1, 497)]
    path = package(tmp_path / "chain.xlsx", {"S": sheet_xml([cells[0], cell("B1", 496 * 497 // 2, formula)]
                                                             + cells[1:])})
    out, _ = checked(capsys, path)
    assert "OK" in out


@pytest.mark.parametrize("formula, cached", [
    ("+".join(["A1"] * 2730), 2730.0),                 # 8,189 characters: a tree 2,729 levels deep
    ("-" * 8190 + "A1", 1.0),                          # 8,192 characters, 8,190 signs deep
    ("SUM(" * 64 + "A1" + ")" * 64, 1.0),              # Excel's 64 levels of nesting
    ("(" * 64 + "A1" + ")" * 64, 1.0),
])
def test_formulas_at_excels_limits_are_calculated(tmp_path, capsys, formula, cached):
    assert len(formula) <= 8192
    path = package(tmp_path / "deep.xlsx", {"S": sheet_xml([cell("A1", 1), cell("B1", cached, formula)])})
    out, _ = checked(capsys, path)
    assert "OK" in out


@pytest.mark.parametrize("formula, message", [
    ("(" * 500 + "1" + ")" * 500, "more than 64 levels of nested parentheses"),
    ("IF(1," * 400 + "1" + ",0)" * 400, "more than 64 levels of nested functions"),
    ("SUM(" * 2000 + "1" + ")" * 2000, "is 10,001 characters long; Excel allows at most 8,192"),
    ("+".join(["1"] * 4500), "is 8,999 characters long"),
])
def test_formulas_past_excels_limits_are_named(tmp_path, capsys, formula, message):
    """These used to end in RecursionError; Excel itself refuses them.  The
    cell keeps its cached value, everything else is checked, exit 2."""
    path = one_formula_book(tmp_path / "f.xlsx", formula)
    code, out, err = run(capsys, "check", path)
    assert code == 2 and "Traceback" not in err
    assert err.startswith("sheetnet: error: ") and err.count("\n") == 1
    assert f"S!B1: " in err and message in err


def test_names_nesting_past_the_depth_limit(tmp_path, capsys):
    """Names add their own depth when evaluated; past sheetnet's limit, one line."""
    signs = "-" * 8190
    names = f'<definedName name="a">{signs}b</definedName><definedName name="b">{signs}1</definedName>'
    path = package(tmp_path / "n.xlsx", {"S": sheet_xml([cell("B1", 1, signs + "a")])}, names=names)
    refused(capsys, path, "S!B1: the formula, with the defined names it uses, nests 24,573 levels deep")


def test_names_referring_to_each_other_in_a_loop(tmp_path, capsys):
    names = ('<definedName name="a">b+1</definedName><definedName name="b">c</definedName>'
             '<definedName name="c">a</definedName>')
    path = package(tmp_path / "loop.xlsx", {"S": sheet_xml([cell("A1", 1), cell("B1", 0, "a")])}, names=names)
    refused(capsys, path, "circular reference: defined names refer to each other in a loop: a -> b -> c -> a")


def test_round_to_1e10_digits(tmp_path, capsys):
    """ROUND(1,1e10) raised decimal.InvalidOperation (fixed in the function library, issue 10)."""
    path = one_formula_book(tmp_path / "r.xlsx", "ROUND(1,1e10)", cached="1")
    code, out, err = run(capsys, "check", path)
    assert "Traceback" not in err and "internal error" not in err, err
    assert code == 0, err


# --------------------------------------------------------------------------- memory

def test_far_flung_cells_are_refused_before_the_grid_is_made(tmp_path, capsys):
    """A 1.6 KB file holding only A1 and XFD24000 used to grow to 3 GB and ask for 11.7 GiB."""
    data = '<row r="1"><c r="A1"><v>1</v></c></row><row r="24000"><c r="XFD24000"><v>1</v></c></row>'
    path = package(tmp_path / "far.xlsx", {"S": sheet_xml(data)})
    assert os.path.getsize(path) < 2000
    refused(capsys, path, "sheet 'S' reaches XFD24000: its grid of 24,000 x 16,384 cells needs about 11.7 GiB",
            "--max-memory")


@pytest.mark.parametrize("formula, message", [
    ("SUM(A2:XFD1048576)", "sheet 'S': S!B1 reads as far as XFD1048576, so its grid of 1,048,576 x 16,384 cells"),
    ("SUM(OFFSET(A1,0,0,1048576,16384))", "S!B1: reading 1,048,576 x 16,384 cells needs about 640.0 GiB"),
    ("SUM(MMULT(C1:C100000,TRANSPOSE(C1:C100000)))", "S!B1: evaluating it needs more memory than sheetnet may use"),
])
def test_huge_intermediates_are_refused_naming_the_cell(tmp_path, capsys, formula, message):
    refused(capsys, one_formula_book(tmp_path / "m.xlsx", formula), message, "--max-memory")


def test_whole_sheet_array_formula(tmp_path, capsys):
    data = '<row r="1"><c r="A1"><v>1</v></c><c r="B1"><f t="array" ref="B1:XFD1048576">A1*2</f><v>2</v></c></row>'
    refused(capsys, package(tmp_path / "a.xlsx", {"S": sheet_xml(data)}),
            "sheet 'S' reaches XFD1048576: its grid of 1,048,576 x 16,384 cells")


def test_array_formula_range_past_the_cells_written(tmp_path, capsys):
    """An array formula's range reaching past the cells the file wrote is read as blanks there."""
    data = '<row r="1"><c r="A1"><v>1</v></c><c r="B1"><f t="array" ref="B1:C2">A1*2</f><v>2</v></c></row>'
    out, err = checked(capsys, package(tmp_path / "a.xlsx", {"S": sheet_xml(data)}))
    assert "OK" in out and "3 formula cell(s) carry no cached value" in out


def test_a_long_chain_of_offset_reads_is_followed_without_recursion(tmp_path, capsys):
    """B1 = OFFSET(B2,0,0)+1, B2 = OFFSET(B3,0,0)+1 ... 2,500 cells: each read
    pulls in the next cell, one inside the other (it ended in RecursionError);
    pulls past 100 deep are deferred and evaluated from the top."""
    n = 2500
    rows = "".join(f'<row r="{r}"><c r="B{r}"><f>OFFSET(B{r + 1},0,0)+1</f><v>{n - r + 2}</v></c></row>'
                   for r in range(1, n + 1))
    path = package(tmp_path / "chain.xlsx", {"S": sheet_xml(rows + f'<row r="{n + 1}"><c r="B{n + 1}"><v>1</v></c></row>')})
    out, _ = checked(capsys, path)
    assert "OK" in out and f"{n:>9} {n:>9} {n:>9}" in out
