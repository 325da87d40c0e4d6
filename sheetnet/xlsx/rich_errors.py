"""The error values newer than the file format, as Excel stores them.

An .xlsx cell can only hold the seven classic errors, so Excel writes a
#CALC! (an empty array: FILTER with nothing kept, SEQUENCE(0)) or a #SPILL!
as ``<c t="e" vm="1"><v>#VALUE!</v></c>``: the ``vm`` attribute points into
xl/metadata.xml's valueMetadata, whose XLRICHVALUE future metadata names a
rich value (xl/richData/rdrichvalue.xml) of the ``_error`` structure
(rdrichvaluestructure.xml) carrying the real ``errorType``.  Its numbers are
ERROR.TYPE's minus one (8 #SPILL!, 13 #CALC!: Excel's own files, ERROR.TYPE.xlsx).
"""

from __future__ import annotations

from ..errors import ERROR_CODES

_RICH_VALUE = "/rdRichValue"
_RICH_STRUCTURE = "/rdRichValueStructure"
_SHEET_METADATA = "/sheetMetadata"
# errorType -> the error sheetnet knows; the others (#FIELD!, #BLOCKED! ...) stay #VALUE!
ERROR_TYPES = {8: ERROR_CODES["#SPILL!"], 13: ERROR_CODES["#CALC!"]}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _part(pkg, rels, suffix: str):
    target = next((t for rtype, t in rels.values() if rtype.endswith(suffix)), None)
    return pkg.xml(target) if target is not None and pkg.has(target) else None


def rich_error_codes(pkg, rels) -> dict[int, int]:
    """{vm value (1-based): error code} for the value metadata that says a
    cell's error is one of the newer ones sheetnet knows."""
    meta = _part(pkg, rels, _SHEET_METADATA)
    if meta is None:
        return {}
    values = _part(pkg, rels, _RICH_VALUE)
    structures = _part(pkg, rels, _RICH_STRUCTURE)
    if values is None or structures is None:
        return {}
    kinds = [(s.get("t"), [k.get("n") for k in s if _local(k.tag) == "k"])
             for s in structures if _local(s.tag) == "s"]
    errors = []                 # per rich value: its error code, or None
    for rv in (el for el in values if _local(el.tag) == "rv"):
        errors.append(_error_of(rv, kinds))
    kids = {_local(el.tag): el for el in meta}
    types = [el.get("name") for el in kids["metadataTypes"]] if "metadataTypes" in kids else []
    rich_blocks = []            # XLRICHVALUE future metadata: the rich value each block names
    for el in meta:
        if _local(el.tag) == "futureMetadata" and el.get("name") == "XLRICHVALUE":
            for bk in (b for b in el if _local(b.tag) == "bk"):
                rvb = next((x for x in bk.iter() if _local(x.tag) == "rvb"), None)
                rich_blocks.append(None if rvb is None else rvb.get("i"))
    out = {}
    value_meta = kids.get("valueMetadata")
    for vm, bk in enumerate(value_meta if value_meta is not None else [], start=1):
        for rc in bk:
            try:
                if types[int(rc.get("t", "0")) - 1] != "XLRICHVALUE":
                    continue
                code = errors[int(rich_blocks[int(rc.get("v", "0"))])]
            except (ValueError, IndexError, TypeError):
                continue            # metadata that does not say: the cached #VALUE! stays
            if code is not None:
                out[vm] = code
    return out


def _error_of(rv, kinds) -> int | None:
    try:
        kind, keys = kinds[int(rv.get("s", "-1"))]
    except (ValueError, IndexError):
        return None
    if kind != "_error" or "errorType" not in keys:
        return None
    texts = [v.text for v in rv if _local(v.tag) == "v"]
    try:
        return ERROR_TYPES.get(int(texts[keys.index("errorType")]))
    except (ValueError, IndexError, TypeError):
        return None
