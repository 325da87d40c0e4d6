"""Reading and writing the .xlsx (Office Open XML) parts of a workbook."""
