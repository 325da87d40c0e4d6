"""Which hidden rows of a worksheet a filter hides, and which are hidden by hand.

A file marks both the same way, <row hidden="1">; SUBTOTAL tells them apart
(1-11 leave out only the rows a filter hides, 101-111 every hidden row).  A
hidden row counts as filtered here when it lies below the header of an
AutoFilter range -- the sheet's <autoFilter>, or a Table's -- that filters
on some column (<filterColumn>): those are the rows Excel's filter hides.
A row hidden by hand inside a filtered range cannot be told from a filtered
one in the file; it counts as filtered.
"""

from __future__ import annotations

import re

import numpy as np

from ..refs import parse_area

_AUTO_FILTER = re.compile(rb"<(?:\w+:)?autoFilter\b([^>]*?)(/>|>(.*?)</(?:\w+:)?autoFilter>)", re.DOTALL)
_REF = re.compile(rb"""\bref\s*=\s*["']([^"']+)["']""")
_FILTER_COLUMN = re.compile(rb"<(?:\w+:)?filterColumn\b")


def filtered_ranges(xml: bytes) -> list[tuple[int, int]]:
    """(first, last) 0-based data rows (below the header) of each AutoFilter
    in this XML (a worksheet's, outside its cells; or a table part) that
    filters on some column."""
    out = []
    for m in _AUTO_FILTER.finditer(xml):
        ref = _REF.search(m.group(1))
        if ref is None or not _FILTER_COLUMN.search(m.group(3) or b""):
            continue
        try:
            area = parse_area(ref.group(1).decode("ascii"))
        except (ValueError, UnicodeDecodeError):
            continue
        out.append((area.r0 + 1, area.r1))
    return out


def outside_cells(xml: bytes) -> bytes:
    """A worksheet's XML less its <sheetData> (where no AutoFilter can be)."""
    start = xml.find(b"<sheetData")
    stop = xml.rfind(b"</sheetData>")
    if start < 0 or stop < start:
        return xml if start < 0 else xml[:start]
    return xml[:start] + xml[stop:]


def split_hidden(hidden: np.ndarray, ranges: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """(hidden by hand, hidden by a filter) of the hidden rows."""
    by_filter = np.zeros(len(hidden), dtype=bool)
    for first, last in ranges:
        by_filter |= (hidden >= first) & (hidden <= last)
    return hidden[~by_filter], hidden[by_filter]
