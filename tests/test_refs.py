"""A1 <-> (row, col) <-> R1C1 address arithmetic."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetnet.refs import (MAX_COLS, MAX_ROWS, cell_name, col_index, col_letters, from_r1c1, parse_area,
                           parse_cell, quote_sheet, split_sheet, to_r1c1)

rows = st.integers(0, MAX_ROWS - 1)
cols = st.integers(0, MAX_COLS - 1)


def test_known_columns():
    assert [col_letters(c) for c in (0, 25, 26, 51, 52, 701, 702, 16383)] == \
        ["A", "Z", "AA", "AZ", "BA", "ZZ", "AAA", "XFD"]
    assert col_index("xfd") == 16383
    with pytest.raises(ValueError):
        col_index("XFE")


def test_known_cells():
    assert parse_cell("$B$3").row == 2 and parse_cell("$B$3").col == 1
    assert cell_name(2, 1, row_abs=True, col_abs=False) == "B$3"
    assert parse_area("$D$5:B3").a1 == "B3:D5"
    assert to_r1c1(2, 1, False, True, (4, 4)) == "R[-2]C2"
    assert split_sheet("'it''s here'!A1:B2") == ("it's here", "A1:B2")
    assert quote_sheet("dotprod") == "dotprod"
    for needs_quotes in ("my sheet", "A1", "R1C1", "2019", "it's"):
        assert quote_sheet(needs_quotes).startswith("'")


@settings(max_examples=300, deadline=None)
@given(rows, cols, st.booleans(), st.booleans())
def test_a1_round_trip(row, col, row_abs, col_abs):
    text = cell_name(row, col, row_abs, col_abs)
    a = parse_cell(text)
    assert (a.row, a.col, a.row_abs, a.col_abs) == (row, col, row_abs, col_abs)
    assert col_index(col_letters(col)) == col


@settings(max_examples=300, deadline=None)
@given(rows, cols, st.booleans(), st.booleans(), rows, cols)
def test_r1c1_round_trip(row, col, row_abs, col_abs, arow, acol):
    text = to_r1c1(row, col, row_abs, col_abs, (arow, acol))
    a = from_r1c1(text, (arow, acol))
    assert (a.row, a.col, a.row_abs, a.col_abs) == (row, col, row_abs, col_abs)


@settings(max_examples=100, deadline=None)
@given(st.text(min_size=1, max_size=12).filter(lambda s: "!" not in s and "'" not in s[:1] or True))
def test_sheet_quoting_round_trip(name):
    sheet, rest = split_sheet(quote_sheet(name) + "!A1")
    assert (sheet, rest) == (name, "A1")
