"""ADDRESS: a cell's address as text, in A1 or R1C1 style."""

from __future__ import annotations

from ...errors import ExcelError
from ...refs import MAX_COLS, MAX_ROWS, col_letters, quote_sheet
from .omitted_arguments import by_arity
from .registry import Category

# abs_num: (row absolute, column absolute)
_ABSOLUTE = {1: (True, True), 2: (True, False), 3: (False, True), 4: (False, False)}


@by_arity("ADDRESS", category=Category.LOOKUP,
          args="row_num: integer, column_num: integer, [abs_num: integer = 1], [a1: boolean = TRUE], "
               "[sheet_text: text]")
def ADDRESS(row: int, col: int, abs_num: int = 1, a1: bool = True, sheet: str | None = None):
    """ADDRESS(row, column, [abs_num], [a1], [sheet_text]): "$C$2", "C$2",
    "$C2", "C2" for abs_num 1-4; R1C1 style writes a relative part in
    brackets (R[2]C3).  A row or column outside the sheet or abs_num outside
    1-4 is #VALUE!.  A given sheet_text is quoted as a formula would quote it
    ('A Wird One$'!$A$1); an empty one still writes the "!", as Excel does."""
    row_abs_col_abs = _ABSOLUTE.get(int(abs_num))
    if row_abs_col_abs is None or not 1 <= row <= MAX_ROWS or not 1 <= col <= MAX_COLS:
        return ExcelError("#VALUE!")
    row_abs, col_abs = row_abs_col_abs
    if a1:
        text = f"{'$' if col_abs else ''}{col_letters(col - 1)}{'$' if row_abs else ''}{row}"
    else:
        text = (f"R{row}" if row_abs else f"R[{row}]") + (f"C{col}" if col_abs else f"C[{col}]")
    if sheet is None:
        return text
    return f"{quote_sheet(sheet) if sheet else ''}!{text}"
