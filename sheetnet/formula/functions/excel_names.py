"""Which names are Excel's functions: Excel's published list, kept as data
(data/excel_function_names.txt).  A call of a name sheetnet does not implement is
"unsupported" when the name is an Excel function -- `check` keeps the cell's
cached value -- and #NAME? otherwise, as in Excel (=SUMM(A1:A3) is #NAME?)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

_LIST = Path(__file__).parent / "data" / "excel_function_names.txt"
# prefixes Excel writes before functions it knows but an older file format did
# not (_xlfn.), and before add-in and VBA functions (_xludf.): all are real
_EXCEL_PREFIXES = ("_xlfn.", "_xludf.")


@lru_cache(maxsize=1)
def excel_function_names() -> frozenset[str]:
    names = set()
    for line in _LIST.read_text(encoding="utf-8").splitlines():
        names.update(line.split("#", 1)[0].split())
    return frozenset(names)


def is_excel_function(name: str, prefix: str = "") -> bool:
    """Whether Excel knows the function (by name, or because Excel wrote the
    prefix saying so)."""
    return name.upper() in excel_function_names() or prefix.casefold().startswith(_EXCEL_PREFIXES)
