"""Where every block of the two conv sheets lives: the lesson's own addresses
(conv-example.xlsx), for the 28 x 28 digit and 3 x 3 filters.

Each map is a :class:`Grid`: a rectangle of cells, or -- for the pooled maps
and their dense weights -- every other cell of one, so that each pooled value
sits where its 2 x 2 window starts and the picture keeps the conv map's shape.
With ``stride=2`` the second layer is a stride-two convolution (a compact
12 x 12 map) and there is no pooling block; the dense layer reads conv2.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...refs import Area
from .inputs import K, SIZE, conv_shapes

PLAIN, DROPOUT = "conv-example", "conv-example (dropout)"
SHEETS = (PLAIN, DROPOUT)


@dataclass(frozen=True)
class Grid:
    """rows x cols cells from (top, left), `step` apart."""

    top: int
    left: int
    rows: int
    cols: int
    step: int = 1

    @property
    def area(self) -> Area:
        return Area(self.top, self.left, self.top + (self.rows - 1) * self.step,
                    self.left + (self.cols - 1) * self.step)

    def at(self, i: int, j: int) -> tuple[int, int]:
        return self.top + i * self.step, self.left + j * self.step

    def window(self, i: int, j: int, h: int, w: int) -> Area:
        """The h x w cells from the map's cell (i, j) (a compact map)."""
        r, c = self.at(i, j)
        return Area(r, c, r + h - 1, c + w - 1)

    def cells(self):
        for i in range(self.rows):
            for j in range(self.cols):
                yield i, j, self.at(i, j)


@dataclass(frozen=True)
class ConvLayout:
    sheet: str
    stride: int
    input: Grid
    filters1: tuple[Grid, Grid]
    filters2: tuple[tuple[Grid, Grid], tuple[Grid, Grid]]     # [output map][input channel]
    conv1: tuple[Grid, Grid]
    conv2: tuple[Grid, Grid]
    pool: tuple[Grid, Grid] | None          # None with stride 2
    weights: tuple[Grid, Grid]
    dense: tuple[int, int]
    rand: tuple[Grid, Grid] | None = None   # the dropout sheet only
    mask: tuple[Grid, Grid] | None = None
    kept: tuple[Grid, Grid] | None = None
    rates: tuple[tuple[int, int], tuple[int, int]] | None = None   # (row, column) of each map's total pixels
    p: tuple[int, int] | None = None

    @property
    def dropout(self) -> bool:
        return self.rand is not None

    @property
    def pooled(self) -> tuple[Grid, Grid]:
        """What the dense layer reads: the pooled maps, or (stride 2) conv2 after dropout."""
        if self.pool is not None:
            return self.pool
        return self.kept if self.dropout else self.conv2


def conv_layout(sheet: str, stride: int = 1, faithful: bool = False) -> ConvLayout:
    """The lesson's positions: the plain sheet's layer-1 maps start in AH3 and AH32, the
    dropout sheet's in AI3 and AI36, and so on (0-based numbers below)."""
    shapes = conv_shapes(stride, faithful)
    c1, c2, pooled = shapes["conv1"], shapes["conv2"], shapes["pooled"]
    drop = sheet == DROPOUT
    tops1 = (2, 35) if drop else (2, 31)                # conv1 maps
    tops2 = (3, 36) if drop else (3, 32)                # conv2 maps and everything after them
    ftops = (10, 41) if drop else (10, 37)              # the layer-1 filter of map 1 and of map 2
    left1, left2 = (34, 68) if drop else (33, 64)       # conv1 and conv2 columns
    fcol1, fcol2 = 29, (62 if drop else 60)             # the filters' columns
    pool_left, weights_left, dense = (189, 216, (3, 242)) if drop else (90, 117, (3, 143))
    step = 2 if stride == 1 else 1                      # pooled values every other cell, as the lesson

    def maps(tops, left, shape, every=1):
        return tuple(Grid(t, left, shape[0], shape[1], every) for t in tops)

    common = dict(
        sheet=sheet, stride=stride, input=Grid(1, 0, SIZE, SIZE),
        filters1=tuple(Grid(t, fcol1, K, K) for t in ftops),
        filters2=tuple((Grid(t, fcol2, K, K), Grid(t + K + 1, fcol2, K, K)) for t in ftops),
        conv1=maps(tops1, left1, c1), conv2=maps(tops2, left2, c2),
        pool=maps(tops2, pool_left, pooled, step) if stride == 1 else None,
        weights=maps(tops2, weights_left, pooled, step), dense=dense)
    if not drop:
        return ConvLayout(**common)
    return ConvLayout(**common, rand=maps(tops2, 98, c2), mask=maps(tops2, 129, c2), kept=maps(tops2, 160, c2),
                      rates=tuple((t + 26, 156) for t in tops2), p=(0, 185))

