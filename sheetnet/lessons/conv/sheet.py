"""Building the conv workbook: one digit pushed by hand through a tiny CNN, on
two sheets laid out as the lesson's conv-example.xlsx.

* ``conv-example``: the digit; layer 1, two 3 x 3 filters, each output cell a
  single-cell array formula ``{=MAX(0,SUM(A2:C4*$AD$11:$AF$13))}`` --
  convolution and ReLU in one; layer 2, whose filters span both channels,
  ``{=MAX(0,SUM(AH3:AJ5*$BI$11:$BK$13)+SUM(AH32:AJ34*$BI$15:$BK$17))}``;
  2 x 2 max-pooling ``=MAX(BM4:BN5)`` (one value every other cell); the dense
  output ``=SUMPRODUCT(weights 1, pooled 1)+SUMPRODUCT(weights 2, pooled 2)``.
* ``conv-example (dropout)``: the same network with dropout between layer 2
  and the pool: a draw per cell (stored values from the seed, or ``=RAND()``
  with ``live_rand``), the dropout "filter" ``=IF(rand>($GD$1+0.001), rand, 0)``
  with p in GD1, the kept activations ``=IF(mask=0, 0, conv2)`` -- no 1/(1-p)
  rescaling, unlike torch's dropout -- and per map the cell count, the number
  of zeros in the mask and the realised dropout rate.

Colour scales show the digit and every map as pictures.  ``faithful=True`` keeps
the lesson's quirks: its layer-2 maps are 24 x 25 (one column reaches past the
layer-1 map into blank cells), so the pooled maps are 12 x 13, and the dropout
sheet's rate divides the zeros by 26*26 rather than by the map's 24 x 25 cells.
"""

from __future__ import annotations

from ...book import Book, Sheet
from ...refs import Area, cell_name, span
from ...style import DATA, LABEL, NOTE, PARAMETER, RESULT, TITLE, ColorScale, Style
from .. import Built, Roles
from .inputs import MAPS, ConvInputs
from .layout import DROPOUT, PLAIN, ConvLayout, Grid, conv_layout

PIXEL = Style(number_format="0.0", align="center")
FILTER = Style(fill="FFF2CC", border=True, number_format="0.00")
WEIGHT = Style(fill="FFF2CC", number_format="0.0")


def build_book(inputs: ConvInputs) -> Built:
    """Both sheets for `inputs`, and their roles."""
    book, roles = Book(), Roles()
    for name in (PLAIN, DROPOUT):
        lay = conv_layout(name, inputs.stride, inputs.faithful)
        _sheet(book.add_sheet(name), roles, lay, inputs)
    return Built(book, roles)


def _put(s: Sheet, grid: Grid, values, style: Style | None = None) -> None:
    for i, j, cell in grid.cells():
        s.set_value(cell, float(values[i][j]))
    if style is not None:
        s.style(grid.area, style)


def _array_cells(s: Sheet, grid: Grid, text) -> None:
    """A single-cell array formula in every cell of the map: text(i, j) -> formula."""
    for i, j, (r, c) in grid.cells():
        s.set_array_formula(Area(r, c, r, c), text(i, j))


def _sheet(s: Sheet, roles: Roles, lay: ConvLayout, inputs: ConvInputs) -> None:
    name, stride = lay.sheet, lay.stride
    add = lambda role, a: roles.add(name, role, a)     # noqa: E731
    s.set_value((0, 0), "Input (28 x 28)")
    _put(s, lay.input, inputs.image, PIXEL)
    add("input", lay.input.area)
    if inputs.source:
        s.notes[(1, 0)] = f"The digit: {inputs.source}. Type other numbers (0..1) and every layer follows."

    # layer 1: two 3 x 3 filters, convolution and ReLU in each cell
    for m in range(MAPS):
        f = lay.filters1[m]
        s.set_value((f.top - 2, f.left), f"filter {m + 1} of layer 1")
        _put(s, f, inputs.filters1[m], FILTER)
        add(f"filter1.{m + 1}", f.area)
        _array_cells(s, lay.conv1[m], lambda i, j, f=f: f"MAX(0,SUM({span_of(lay.input.window(i, j, 3, 3))}*"
                                                          f"{f.area.absolute}))")
        add(f"conv1.{m + 1}", lay.conv1[m].area)
    c1 = lay.conv1[0]
    s.set_value((0, c1.left), f"Conv1 ({c1.rows} x {c1.cols}): filter, then ReLU = MAX(0, ...)")
    s.notes[(c1.top, c1.left)] = ("Each cell multiplies a 3 x 3 window of the digit by the filter, adds the nine "
                                  "products (SUM of an array: an array formula) and keeps it only if positive.")

    # layer 2: each output map reads both channels, a 3 x 3 slice of its filter per channel
    for o in range(MAPS):
        for ch in range(MAPS):
            f = lay.filters2[o][ch]
            if ch == 0:
                s.set_value((f.top - 2, f.left), f"filter {o + 1} of layer 2 (a 3 x 3 slice per channel)")
            _put(s, f, inputs.filters2[o][ch], FILTER)
            add(f"filter2.{o + 1}.{ch + 1}", f.area)

        def conv2(i, j, o=o):
            terms = "+".join(f"SUM({span_of(lay.conv1[ch].window(stride * i, stride * j, 3, 3))}*"
                             f"{lay.filters2[o][ch].area.absolute})" for ch in range(MAPS))
            return f"MAX(0,{terms})"
        _array_cells(s, lay.conv2[o], conv2)
        add(f"conv2.{o + 1}", lay.conv2[o].area)
    c2 = lay.conv2[0]
    kind = "stride 2" if stride == 2 else "both channels"
    s.set_value((0, c2.left), f"Conv2 ({c2.rows} x {c2.cols}, {kind})" +
                (" - before dropout" if lay.dropout else ""))
    if stride == 2:
        s.notes[(c2.top, c2.left)] = ("A stride-two convolution instead of max-pooling: the filter moves two cells "
                                      "at a time, so the map is half the size.")

    if lay.dropout:
        _dropout(s, roles, lay, inputs)

    if lay.pool is not None:
        src = lay.kept if lay.dropout else lay.conv2
        for m in range(MAPS):
            for i, j, cell in lay.pool[m].cells():
                s.set_formula(cell, f"=MAX({span_of(src[m].window(2 * i, 2 * j, 2, 2))})")
            add(f"pool.{m + 1}", lay.pool[m].area)
        s.set_value((0, lay.pool[0].left), "Maxpool (2 x 2)")
        s.notes[lay.pool[0].at(0, 0)] = "The largest of a 2 x 2 window, written where the window starts."

    # the dense layer: one output, a SUMPRODUCT per map
    for m in range(MAPS):
        _put(s, lay.weights[m], inputs.weights[m], WEIGHT)
        add(f"weights.{m + 1}", lay.weights[m].area)
    w0 = lay.weights[0]
    s.set_value((0, w0.left), "Dense weights")
    s.set_value((1, w0.left), "NB: MNIST would need 10 such sets of weights, one per class")
    s.style(Area(1, w0.left, 1, w0.left), NOTE)
    src = lay.pooled
    s.set_formula(lay.dense, "=" + "+".join(f"SUMPRODUCT({lay.weights[m].area.a1},{src[m].area.a1})"
                                              for m in range(MAPS)))
    s.style(Area(*lay.dense, *lay.dense), RESULT)
    add("dense", Area(*lay.dense, *lay.dense))
    s.set_value((0, lay.dense[1]), "Dense activation")
    s.set_value((1, lay.dense[1]), "NB: MNIST would have 10 activations, and a softmax")
    s.style(Area(1, lay.dense[1], 1, lay.dense[1]), NOTE)
    s.style(Area(0, 0, 0, lay.dense[1]), TITLE)

    # the pictures: a colour scale per map (the two conv2 maps share one, as in the lesson)
    scales = [(lay.input,), (lay.conv1[0],), (lay.conv1[1],), tuple(lay.conv2)]
    if lay.dropout:
        scales += [(g,) for maps in (lay.rand, lay.mask, lay.kept) for g in maps]
    if lay.pool is not None:
        scales += [(g,) for g in lay.pool]
    s.color_scales.extend(ColorScale(tuple(g.area for g in grids)) for grids in scales)
    for c in range(lay.dense[1]):
        s.col_widths[c] = 3.2
    for f in (*lay.filters1, *lay.filters2[0], *lay.filters2[1]):
        for c in range(f.left, f.left + 3):
            s.col_widths[c] = 5.0
    s.col_widths[lay.dense[1]] = 12.0
    s.freeze = (1, 0)


def _dropout(s: Sheet, roles: Roles, lay: ConvLayout, inputs: ConvInputs) -> None:
    name = lay.sheet
    p_cell = cell_name(*lay.p, True, True)
    s.set_value((lay.p[0], lay.p[1] - 1), "p =")
    s.set_value(lay.p, float(inputs.p))
    s.style(Area(*lay.p, *lay.p), PARAMETER)
    s.set_value((lay.p[0], lay.p[1] - 4), "Dropout probability (0 to 0.9)")
    roles.add(name, "p", Area(*lay.p, *lay.p))
    s.notes[lay.p] = ("The chance that a cell is dropped. Change it and every mask, the realised rates and the "
                      "dense output follow.")
    for m in range(MAPS):
        rand, mask, kept, conv2 = lay.rand[m], lay.mask[m], lay.kept[m], lay.conv2[m]
        if inputs.live_rand:
            s.fill(rand.area, "=RAND()")
            # the draws as the cells' current values: Engine(volatile="cached") keeps them
            s.values.set_block(rand.top, rand.left, inputs.draws[m])
        else:
            _put(s, rand, inputs.draws[m])
        roles.add(name, f"rand.{m + 1}", rand.area)
        r, c = mask.at(0, 0)
        s.fill(mask.area, f"=IF({cell_name(*rand.at(0, 0))}>({p_cell}+0.001), {cell_name(*rand.at(0, 0))}, 0)")
        roles.add(name, f"mask.{m + 1}", mask.area)
        s.fill(kept.area, f"=IF({cell_name(r, c)}=0, 0, {cell_name(*conv2.at(0, 0))})")
        roles.add(name, f"kept.{m + 1}", kept.area)
        tr, tc = lay.rates[m]
        s.set_values((tr, tc - 1), [["Total pixels ="], ["Zeros in the mask ="], ["Realised dropout ="]])
        s.style(Area(tr, tc - 1, tr + 2, tc - 1), LABEL)
        # the lesson counts 26*26 cells (its titles' size); the map has mask.rows x mask.cols
        s.set_formula((tr, tc), "=26*26" if inputs.faithful else f"=COUNT({mask.area.a1})")
        s.set_formula((tr + 1, tc), f"=COUNTIF({mask.area.a1},0)")
        s.set_formula((tr + 2, tc), f"={cell_name(tr + 1, tc)}/{cell_name(tr, tc)}")
        s.style(Area(tr + 2, tc, tr + 2, tc), RESULT)
        for role, row in (("total", tr), ("zeros", tr + 1), ("rate", tr + 2)):
            roles.add(name, f"{role}.{m + 1}", Area(row, tc, row, tc))
    s.set_value((0, lay.rand[0].left), "A random number for each cell" +
                (" (=RAND(): new on every recalculation)" if inputs.live_rand else
                 f" (drawn from seed {inputs.seed}; stored)"))
    s.set_value((0, lay.mask[0].left), 'The dropout "filter": the number if it beats p, else 0')
    s.set_value((0, lay.kept[0].left), "Conv2 after dropout: 0 where the mask is 0 (no 1/(1-p) rescaling)")
    s.style(Area(0, lay.rand[0].left, 0, lay.rand[0].left), DATA)


def span_of(a: Area) -> str:
    """Range text naming both corners ("A2:C4")."""
    return span(a.r0, a.c0, a.r1, a.c1)
