"""Error values Excel stores as rich values.

Errors newer than the file format (#CALC!, #SPILL!, #BLOCKED! ...) are
written as ``<c t="e" vm="1"><v>#VALUE!</v></c>``: the text older readers
understand, and a value-metadata index (vm, 1-based) that leads, through
xl/metadata.xml (valueMetadata -> futureMetadata XLRICHVALUE -> rvb i), to a
rich value of structure ``_error`` in xl/richData/rdrichvalue.xml whose
``errorType`` names the real error.  Reading only the text would turn
Excel's #CALC! into #VALUE!.
"""

from __future__ import annotations

import re

import numpy as np

from ..errors import ERROR_CODES
from .package import Package

_SHEET_METADATA = "/sheetMetadata"
_RICH_VALUE = "/rdRichValue"
_RICH_VALUE_STRUCTURE = "/rdRichValueStructure"
# the errorType of an _error rich value: those sheetnet has a value for
# (the numbering of Excel's rich-data error types: 8 #SPILL!, 13 #CALC! ...)
ERROR_TYPES = {1: "#NULL!", 2: "#DIV/0!", 3: "#VALUE!", 4: "#REF!", 5: "#NAME?", 6: "#NUM!", 7: "#N/A",
               8: "#SPILL!", 13: "#CALC!"}
_VM = re.compile(rb"""[ \t\r\n]vm[ \t\r\n]*=[ \t\r\n]*["']([0-9]{1,9})["']""")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def rich_value_errors(pkg: Package, rels) -> dict[int, int]:
    """vm (value-metadata index, 1-based) -> sheetnet's error code, for the
    vm values that lead to an _error rich value of a known error type.
    Empty when the workbook has no such metadata (or it does not add up:
    then the stored text stands)."""
    paths = [next((t for rtype, t in rels.values() if rtype.endswith(kind)), None)
             for kind in (_SHEET_METADATA, _RICH_VALUE, _RICH_VALUE_STRUCTURE)]
    if any(p is None or not pkg.has(p) for p in paths):
        return {}
    metadata, values, structures = (pkg.xml(p) for p in paths)
    # the key position of errorType in each structure that is an _error
    error_key = {}
    for k, s in enumerate(el for el in structures if _local(el.tag) == "s"):
        if s.get("t") == "_error":
            keys = [x.get("n") for x in s if _local(x.tag) == "k"]
            if "errorType" in keys:
                error_key[k] = keys.index("errorType")
    errors = []                                   # per rich value: its error code, or None
    for rv in (el for el in values if _local(el.tag) == "rv"):
        code = None
        try:
            at = error_key.get(int(rv.get("s", "-1")))
            if at is not None:
                fields = [x.text for x in rv if _local(x.tag) == "v"]
                name = ERROR_TYPES.get(int(fields[at]))
                code = ERROR_CODES[name] if name else None
        except (ValueError, IndexError, TypeError):
            code = None
        errors.append(code)
    kids = [el for el in metadata]
    types = [el.get("name") for k in kids if _local(k.tag) == "metadataTypes" for el in k]
    rich = next((k for k in kids if _local(k.tag) == "futureMetadata" and k.get("name") == "XLRICHVALUE"), None)
    value_meta = next((k for k in kids if _local(k.tag) == "valueMetadata"), None)
    if rich is None or value_meta is None:
        return {}
    rich_index = []                               # per futureMetadata bk: its rich value's index
    for bk in (el for el in rich if _local(el.tag) == "bk"):
        rvb = next((x for x in bk.iter() if _local(x.tag) == "rvb"), None)
        rich_index.append(int(rvb.get("i")) if rvb is not None and (rvb.get("i") or "").isdigit() else -1)
    out = {}
    for vm, bk in enumerate((el for el in value_meta if _local(el.tag) == "bk"), start=1):
        for rc in bk:
            try:
                if types[int(rc.get("t", "0")) - 1] != "XLRICHVALUE":
                    continue
                i = rich_index[int(rc.get("v", "-1"))]
                code = errors[i] if i >= 0 else None
            except (ValueError, IndexError):
                continue
            if code is not None:
                out[vm] = code
    return out


def cells_with_rich_errors(xml: bytes, scan, error_type: int, vm_errors: dict[int, int]) -> dict[int, int]:
    """Cell index -> error code, for the error cells of a scanned sheet whose
    start tag carries a vm that leads to a rich-value error.  Error cells are
    few: their start tags are read one by one."""
    out = {}
    for i in np.flatnonzero(scan.types == error_type).tolist():
        start = int(scan.c_span[i, 0])
        tag = xml[start:xml.find(b">", start) + 1]
        m = _VM.search(tag)
        if m and int(m.group(1)) in vm_errors:
            out[i] = vm_errors[int(m.group(1))]
    return out
