"""Excel Tables: the model, structured references evaluated, written and read
back, and LibreOffice agreeing on a generated Table workbook."""

import pytest

from sheetnet.book import Book
from sheetnet.check import check_file
from sheetnet.engine import Engine
from sheetnet.errors import ExcelError, UserError
from sheetnet.xlsx.reader import read_workbook
from sheetnet.xlsx.writer import write_workbook

ROWS = [("apple", 2.5, 4), ("pear", 1.25, 10), ("plum", 3.0, 7), ("fig", 0.5, 0)]


def sales_book() -> Book:
    """A table with calculated columns ([@Col] references), a totals row and
    formulas outside it that use every kind of structured reference."""
    b = Book()
    s = b.add_sheet("data")
    s.set_values("A1", [["Fruit", "Price", "Qty", "Total", "Share"]])
    s.set_values("A2", [list(r) for r in ROWS])
    b.add_table("data", "A1:E6", "Sales", totals={"Total": "sum", "Qty": "max"})
    b.calculated_column("Sales", "Total", "=[@Price]*[@Qty]")
    b.calculated_column("Sales", "Share", "=Sales[[#This Row],[Total]]/SUM(Sales[Total])")
    s.set_formula("G1", "=SUM(Sales[Qty])")
    s.set_formula("G2", "=Sales[[#Totals],[Total]]")
    s.set_formula("G3", "=SUM(Sales[[Price]:[Qty]])")
    s.set_formula("G4", "=ROWS(Sales[#All])+ROWS(Sales[])*10")
    s.set_formula("G5", "=COUNTA(Sales[#Headers])")
    s.set_formula("G6", "=SUMPRODUCT(Sales[Price],Sales[Qty])")
    s.set_formula("G7", "=INDEX(Sales[Fruit],MATCH(MAX(Sales[Total]),Sales[Total],0))")
    s.set_formula("G8", "=Sales[@Price]")            # outside the data rows: #VALUE!
    s.set_formula("G9", "=Sales[[#Headers],[Qty]]")
    return b


def test_structured_references_evaluate():
    e = Engine(sales_book()).recalc()
    totals = [p * q for _, p, q in ROWS]
    assert [e.value("data", f"D{r}") for r in range(2, 6)] == totals
    assert e.value("data", "E3") == pytest.approx(totals[1] / sum(totals), rel=1e-15)
    assert e.value("data", "D6") == sum(totals)           # SUBTOTAL(109, Sales[Total])
    assert e.value("data", "C6") == 10                    # SUBTOTAL(104, Sales[Qty])
    assert e.value("data", "G1") == 21
    assert e.value("data", "G2") == sum(totals)
    assert e.value("data", "G3") == sum(p + q for _, p, q in ROWS)
    assert e.value("data", "G4") == 6 + 4 * 10
    assert e.value("data", "G5") == 5
    assert e.value("data", "G6") == sum(totals)
    assert e.value("data", "G7") == "plum"
    assert e.value("data", "G8") == ExcelError("#VALUE!")
    assert e.value("data", "G9") == "Qty"


def test_calculated_column_is_one_vectorised_block():
    e = Engine(sales_book())
    d = [b for b in e.blocks if b.sheet == 0 and 3 in b.cols.tolist() and b.size == 4]
    assert len(d) == 1 and d[0].rect == (1, 3, 4, 1) and not e.units[d[0].unit].cellwise


def test_written_table_reads_back_and_checks(tmp_path):
    path = tmp_path / "tables.xlsx"
    write_workbook(sales_book(), path)
    book = read_workbook(str(path))
    (t,) = book.tables
    assert (t.name, t.sheet, t.area.a1, t.header_rows, t.totals_rows) == ("Sales", "data", "A1:E6", 1, 1)
    assert [c.name for c in t.columns] == ["Fruit", "Price", "Qty", "Total", "Share"]
    assert t.columns[3].formula == "Sales[[#This Row],[Price]]*Sales[[#This Row],[Qty]]"
    assert t.columns[3].totals_function == "sum"
    report = check_file(str(path))
    assert report.ok and report.total("compared") == report.total("cells") == 19
    write_workbook(book, tmp_path / "again.xlsx")           # the writer keeps a table it read
    assert read_workbook(str(tmp_path / "again.xlsx")).tables[0].columns == t.columns


def test_table_mistakes_are_user_errors():
    b = Book()
    s = b.add_sheet("s")
    s.set_values("A1", [["a", "a"]])
    with pytest.raises(UserError, match="repeated column names"):
        b.add_table("s", "A1:B3", "T")
    with pytest.raises(UserError, match="not a valid table name"):
        b.add_table("s", "A1:B3", "A1", columns=["x", "y"])
    b.add_table("s", "A1:B3", "T", columns=["x", "y"])
    with pytest.raises(UserError, match="overlap"):
        b.add_table("s", "B2:C4", "U", columns=["p", "q"])
    with pytest.raises(UserError, match="no column"):
        b.calculated_column("T", "z", "=1")


@pytest.mark.libreoffice
def test_libreoffice_agrees_on_a_table_workbook(libreoffice, tmp_path):
    """LibreOffice recalculates the generated file (calculated columns with
    [@Col], totals row, Table[Col] aggregates) to the same values.  Left out,
    where LibreOffice 7.4 differs from Excel: Sales[#All] and a [#This Row]
    reference outside the table (#NAME? where Excel says 6 and #VALUE!), and
    COUNTA(Sales[#Headers]) (1 where Excel counts the 5 header cells)."""
    path = tmp_path / "tables.xlsx"
    book = sales_book()
    for ref in ("G4", "G5", "G8"):
        book["data"].set_value(ref, None)
    write_workbook(book, path)
    lo = libreoffice.recalculate(path)
    e = Engine(read_workbook(str(path))).recalc()
    cells = [(r, c) for r in range(1, 6) for c in (2, 3, 4)] + [(r, 6) for r in (0, 1, 2, 5, 6, 8)]
    for r, c in cells:
        ours, theirs = e.value("data", (r, c)), lo.value("data", r, c)
        if isinstance(ours, float):
            assert theirs == pytest.approx(ours, rel=1e-12), (r, c)
        else:
            assert str(theirs) == str(ours), (r, c)
