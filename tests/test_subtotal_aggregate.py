"""SUBTOTAL and AGGREGATE as Excel computes them: nested subtotals left out,
rows hidden by hand or by a filter, AGGREGATE's options and its array form;
hidden rows read from and written to .xlsx files."""

import math
import zipfile

import numpy as np
import pytest

from sheetnet.book import Book
from sheetnet.engine import Engine
from sheetnet.errors import ExcelError
from sheetnet.xlsx.hidden_rows import filtered_ranges, split_hidden
from sheetnet.xlsx.reader import read_workbook
from sheetnet.xlsx.scan import scan_sheet_data
from sheetnet.xlsx.writer import write_workbook


def _calc(cells: dict, formulas: dict, hidden=(), filtered=()) -> Engine:
    book = Book()
    s = book.add_sheet("S")
    for ref, v in cells.items():
        s.set_value(ref, v)
    for ref, f in formulas.items():
        s.set_formula(ref, f)
    s.hide_rows(hidden)
    s.hide_rows(filtered, by_filter=True)
    return Engine(book).recalc()


def _text(v) -> object:
    return str(v) if isinstance(v, ExcelError) else v


# --- Microsoft's documentation examples (typed in) -----------------------------------------

def test_subtotal_documentation_example():
    e = _calc({"A2": 120, "A3": 10, "A4": 150, "A5": 23},
              {"B1": "SUBTOTAL(9,A2:A5)", "B2": "SUBTOTAL(1,A2:A5)"})
    assert e.value("S", "B1") == 303
    assert e.value("S", "B2") == 75.75


def test_aggregate_documentation_example():
    a = ["#DIV/0!", 72, 30, "#NUM!", 31, 96, 32, 81, 33, 53, 34]
    b = [82, 65, 95, 63, 53, 71, 55, 83, 100, 91, 89]
    cells = {f"B{i + 1}": v for i, v in enumerate(b)}
    cells.update({f"A{i + 1}": v for i, v in enumerate(a) if not isinstance(v, str)})
    formulas = {"A1": "1/0", "A4": "SQRT(-1)",
                "D1": "AGGREGATE(4,6,A1:A11)", "D2": "AGGREGATE(14,6,A1:A11,3)",
                "D3": "AGGREGATE(15,6,A1:A11)", "D4": "AGGREGATE(12,6,A1:A11,B1:B11)", "D5": "MAX(A1:A2)"}
    e = _calc(cells, formulas)
    assert [_text(e.value("S", f"D{r}")) for r in range(1, 6)] == [96, 72, "#VALUE!", 68, "#DIV/0!"]


# --- nested subtotals -------------------------------------------------------------------------

def test_nested_subtotals_are_counted_once():
    e = _calc({f"A{r}": r for r in range(1, 7)},
              {"A7": "SUBTOTAL(9,A1:A3)", "A8": "2*SUBTOTAL(9,A4:A6)", "A9": "AGGREGATE(9,0,A1:A3)",
               "B1": "SUBTOTAL(9,A1:A9)", "B2": "SUM(A1:A9)", "B3": "AGGREGATE(9,4,A1:A9)",
               "B4": "AGGREGATE(3,0,A1:A9)", "B5": "SUBTOTAL(3,A1:A9)"})
    assert e.value("S", "B1") == 21                    # the three subtotal cells left out
    assert e.value("S", "B2") == 21 + 6 + 30 + 6
    assert e.value("S", "B3") == 21 + 6 + 30 + 6       # option 4 keeps them
    assert e.value("S", "B4") == 6 and e.value("S", "B5") == 6


def test_running_subtotals_filled_down():
    formulas = {f"B{r}": f"SUBTOTAL(9,A$1:A{r})" for r in range(1, 6)}
    formulas.update({f"C{r}": f"SUBTOTAL(9,B$1:B{r})" for r in range(1, 6)})
    e = _calc({f"A{r}": r for r in range(1, 6)}, formulas)
    assert [e.value("S", f"B{r}") for r in range(1, 6)] == [1, 3, 6, 10, 15]
    assert [e.value("S", f"C{r}") for r in range(1, 6)] == [0] * 5


# --- hidden rows ------------------------------------------------------------------------------

def test_hidden_and_filtered_rows():
    cells = {f"A{r}": 10 ** (r - 1) for r in range(1, 6)}       # 1, 10, 100, 1000, 10000
    formulas = {"C1": "SUBTOTAL(9,A1:A5)", "C2": "SUBTOTAL(109,A1:A5)", "C3": "AGGREGATE(9,4,A1:A5)",
                "C4": "AGGREGATE(9,5,A1:A5)", "C5": "SUBTOTAL(102,A1:A5)", "C6": "AGGREGATE(9,0,A1:A5)"}
    e = _calc(cells, formulas, hidden=[1], filtered=[3])
    assert e.value("S", "C1") == 10111          # 1-11: only the filtered row left out
    assert e.value("S", "C2") == 10101          # 101-111: both
    assert e.value("S", "C3") == 11111          # option 4: nothing left out
    assert e.value("S", "C4") == 10101
    assert e.value("S", "C5") == 3
    assert e.value("S", "C6") == 11111          # options without hidden rows keep filtered ones


def test_more_hidden_rows_than_the_range_has():
    e = _calc({f"A{r}": 2 ** (r - 1) for r in range(1, 6)},
              {"C1": "SUBTOTAL(109,A1:A5)", "C2": "SUBTOTAL(9,A1:A5)", "C3": "AGGREGATE(9,5,A1:A5)"},
              hidden=range(3, 1000), filtered=[1])
    assert [e.value("S", f"C{r}") for r in (1, 2, 3)] == [5, 29, 5]


def test_hidden_columns_do_not_matter_and_rows_can_be_shown_again():
    book = Book()
    s = book.add_sheet("S")
    s.set_values("A1", [[1, 2, 4]])
    s.set_formula("A2", "SUBTOTAL(109,A1:C1)")
    s.hide_rows([0])
    assert Engine(book).recalc().value("S", "A2") == 0
    s.show_rows([0])
    assert Engine(book).recalc().value("S", "A2") == 7
    s.hide_rows([5], by_filter=True)
    s.hide_rows([5])
    assert (s.hidden_rows, s.filtered_rows) == ({5}, set())


# --- AGGREGATE's options, arguments and array form --------------------------------------------

def test_aggregate_error_options_and_bad_arguments():
    cells = {"A1": 4, "A3": 2, "A4": "text", "A5": 8}
    formulas = {"A2": "NA()",
                "C1": "AGGREGATE(9,6,A1:A5)", "C2": "AGGREGATE(9,4,A1:A5)", "C3": "AGGREGATE(2,0,A1:A5)",
                "C4": "AGGREGATE(3,6,A1:A5)", "C5": "AGGREGATE(20,6,A1:A5)", "C6": "AGGREGATE(9,8,A1:A5)",
                "C7": "AGGREGATE(14,6,A1:A5)", "C8": "AGGREGATE(0,6,A1:A5)", "C9": "AGGREGATE(9.9,6.9,A1:A5)",
                "C10": "AGGREGATE(NA(),6,A1:A5)", "C11": "AGGREGATE(14,6,A1:A5,1,2)",
                "C12": "AGGREGATE(19,6,A1:A5,4)", "C13": "AGGREGATE(13,6,A1:A5)"}
    e = _calc(cells, formulas)
    got = [_text(e.value("S", f"C{r}")) for r in range(1, 14)]
    assert got == [14, "#N/A", 3, 4, "#VALUE!", "#VALUE!", "#VALUE!", "#VALUE!", 14, "#N/A", "#VALUE!",
                   "#NUM!", "#N/A"]


def test_aggregate_array_form_reads_a_computed_array():
    cells = {f"A{r}": v for r, v in enumerate([5, 3, 9, 1, 7], start=1)}
    cells.update({f"B{r}": v for r, v in enumerate(["x", "y", "x", "x", "y"], start=1)})
    formulas = {"D1": 'AGGREGATE(14,6,A1:A5/(B1:B5="x"),1)', "D2": 'AGGREGATE(15,6,A1:A5/(B1:B5="x"),1)',
                "D3": "AGGREGATE(16,4,A1:A5,0.5)", "D4": "AGGREGATE(17,4,A1:A5,1)",
                "D5": "AGGREGATE(18,4,A1:A5,0.5)", "D6": "AGGREGATE(7,4,A1:A5)", "D7": "AGGREGATE(11,4,A1:A5)"}
    e = _calc(cells, formulas, hidden=[2])
    assert e.value("S", "D1") == 9 and e.value("S", "D2") == 1
    assert e.value("S", "D3") == 5 and e.value("S", "D4") == 3 and e.value("S", "D5") == 5
    assert e.value("S", "D6") == pytest.approx(math.sqrt(10)) and e.value("S", "D7") == 8


def test_per_cell_function_numbers_are_evaluated_cell_by_cell():
    cells = {f"A{r}": r for r in range(1, 5)}
    cells.update({f"B{r}": r for r in range(1, 5)})     # function numbers 1..4
    formulas = {f"C{r}": f"AGGREGATE(B{r},4,A$1:A$4)" for r in range(1, 5)}
    formulas.update({f"D{r}": f"SUBTOTAL(B{r}+100,A$1:A$4)" for r in range(1, 5)})
    e = _calc(cells, formulas, hidden=[0])
    assert [e.value("S", f"C{r}") for r in range(1, 5)] == [2.5, 4, 4, 4]
    assert [e.value("S", f"D{r}") for r in range(1, 5)] == [3, 3, 3, 4]


# --- hidden rows in files -----------------------------------------------------------------------

_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def test_scanner_reads_hidden_rows_explicit_and_implicit():
    xml = (f'<worksheet {_NS}><sheetData><row r="1"><c r="A1"><v>1</v></c></row>'
           '<row hidden="1" r="3"><c r="A3"><v>1</v></c></row><row hidden="true"><c><v>2</v></c></row>'
           '<row r="9" hidden="0" s="1" customFormat="1"/></sheetData></worksheet>').encode()
    assert scan_sheet_data(xml).hidden_rows.tolist() == [2, 3]


def test_rows_a_filter_hides_are_told_from_rows_hidden_by_hand():
    sheet = (f'<worksheet {_NS}><sheetPr filterMode="1"/><sheetData/>'
             '<autoFilter ref="A3:C10"><filterColumn colId="1"><filters><filter val="x"/></filters>'
             '</filterColumn></autoFilter></worksheet>').encode()
    idle_table = b'<table ref="E1:F9"><autoFilter ref="E1:F9"/></table>'
    ranges = filtered_ranges(sheet) + filtered_ranges(idle_table)
    assert ranges == [(3, 9)]
    by_hand, by_filter = split_hidden(np.array([0, 2, 4, 9, 12]), ranges)
    assert by_hand.tolist() == [0, 2, 12] and by_filter.tolist() == [4, 9]


def test_hidden_rows_round_trip_through_a_file(tmp_path):
    book = Book()
    s = book.add_sheet("S")
    s.set_values("A1", [[1], [2], [3], [4]])
    s.set_formula("B1", "SUBTOTAL(109,A1:A4)")
    s.hide_rows([1, 9])
    s.hide_rows([2], by_filter=True)
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    write_workbook(book, first)
    write_workbook(book, second)
    assert first.read_bytes() == second.read_bytes()
    xml = zipfile.ZipFile(first).read("xl/worksheets/sheet1.xml").decode()
    assert '<row r="2" hidden="1">' in xml and '<row r="10" hidden="1"/>' in xml
    back = read_workbook(str(first))
    # written without an AutoFilter, a filtered row reads back as hidden by hand
    assert back["S"].hidden_rows == {1, 2, 9} and back["S"].filtered_rows == set()
    assert Engine(back).recalc().value("S", "B1") == 5


def test_scanner_reads_hidden_on_many_long_row_tags():
    """Row tags too long to group by their text go through the vectorised
    attribute parser, which must compare a six-letter name."""
    hidden = ' hidden="1"'
    rows = "".join(f'<row r="{r}" spans="1:1" ht="20.25" customHeight="1"{hidden if r % 3 == 0 else ""}>'
                   f'<c r="A{r}"><v>{r}</v></c></row>' for r in range(1, 61))
    xml = f"<worksheet {_NS}><sheetData>{rows}</sheetData></worksheet>".encode()
    assert scan_sheet_data(xml).hidden_rows.tolist() == [r - 1 for r in range(3, 61, 3)]
