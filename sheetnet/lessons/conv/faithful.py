"""The lesson's conv-example.xlsx as inputs for the faithful rebuild.

Reads, at run time, only the numbers the sheets start from -- the digit, the
filters, the dense weights, p and the dropout sheet's stored RAND() draws --
never its formulas; ``build_book(inputs_from_workbook(path))`` then writes the
lesson's formulas at the lesson's addresses (quirks included), and every
formula cell can be compared with the value Excel stored there.
"""

from __future__ import annotations

import numpy as np

from ...errors import UserError
from .inputs import MAPS, ConvInputs
from .layout import DROPOUT, PLAIN, Grid, conv_layout


def _numbers(sheet, grid: Grid) -> np.ndarray:
    out = np.zeros((grid.rows, grid.cols))
    for i, j, cell in grid.cells():
        v = sheet.value(cell)
        out[i, j] = v if isinstance(v, (int, float)) and not isinstance(v, bool) else 0.0
    return out


def inputs_from_workbook(path: str) -> ConvInputs:
    from ...xlsx.reader import read_workbook
    book = read_workbook(path)
    for name in (PLAIN, DROPOUT):
        if book.find_sheet(name) is None:
            raise UserError(f"{path}: no sheet named {name!r}; expected the lesson's conv-example.xlsx")
    plain, drop = conv_layout(PLAIN, faithful=True), conv_layout(DROPOUT, faithful=True)
    s, d = book[PLAIN], book[DROPOUT]
    return ConvInputs(
        image=_numbers(s, plain.input),
        filters1=np.stack([_numbers(s, f) for f in plain.filters1]),
        filters2=np.array([[_numbers(s, f) for f in pair] for pair in plain.filters2]),
        weights=np.stack([_numbers(s, w) for w in plain.weights]),
        draws=np.stack([_numbers(d, r) for r in drop.rand[:MAPS]]),
        p=float(d.value(drop.p)), seed=None, live_rand=True, faithful=True, source=f"the lesson's digit ({path})")
