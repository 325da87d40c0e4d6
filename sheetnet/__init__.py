"""sheetnet: recompute spreadsheets with Excel's semantics, generate the
lesson workbooks, and cross-check every quantity against numpy and PyTorch."""

__version__ = "0.1.0"
