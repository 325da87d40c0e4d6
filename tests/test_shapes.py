"""Grouping per-cell formula texts by R1C1 shape before parsing them: a group
never mixes shapes, and the cells of one shape in one column (what filling
down writes) are one group.  (A shape filled across columns can come out as
one group per column -- its column letters differ -- and the planner merges
those by their parsed trees.)"""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetnet.errors import FormulaSyntaxError
from sheetnet.formula.parser import parse
from sheetnet.formula.render import render
from sheetnet.formula.shapes import group_by_shape

# formulas as written in their first cell (row 5, column F)
SHAPES = [
    "MATCH(O6,$A$3:$A$1002,0)", "OFFSET($A$2,$R6,F$1)", "SUMPRODUCT(T6:X6,Y6:AC6)", "(AD6-Q6)^2",
    "SUM(A:A)+B6", "SUM($1:$3)+2:4", "LOG10(A6)*1.05", "LOG10(A6)*1.5", "\"row 6: \"&A6", "Sheet2!A6+'My 2'!B$6",
    "A6+A1048576", "IF(A6>3,\"x1\",\"y22\")", "E6*2", "[@Qty]*Sales[[#This Row],[Price2]]", "A6&\"\u0663\"",
    "=broken(", "SUM(F6:F7)", "R6C6", "A6+007", "A6+7",
]


def _truth(texts, rows, cols):
    """Group by parsing every text (what the reader did before): the tree,
    or the text itself for those that do not parse."""
    keys = {}
    for i, (t, r, c) in enumerate(zip(texts, rows, cols)):
        try:
            key = parse(t, (int(r), int(c)))
        except FormulaSyntaxError:
            key = ("unparsable", i)
        keys.setdefault(key, []).append(i)
    return sorted(tuple(v) for v in keys.values())


def parse_or_none(text, r, c):
    try:
        return parse(text, (int(r), int(c)))
    except FormulaSyntaxError:
        return None


def _cells(draw_shapes, positions):
    texts, rows, cols = [], [], []
    for shape, (r, c) in zip(draw_shapes, positions):
        try:
            texts.append(render(parse(shape, (5, 5)), (r, c)))
        except FormulaSyntaxError:
            texts.append(shape)
        rows.append(r)
        cols.append(c)
    return texts, np.array(rows), np.array(cols)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(SHAPES), st.integers(0, 40), st.integers(0, 30)), min_size=1, max_size=60))
def test_groups_are_those_parsing_would_give(cells):
    texts, rows, cols = _cells([s for s, _, _ in cells], [(r, c) for _, r, c in cells])
    groups = group_by_shape(texts, rows, cols)
    truth = _truth(texts, rows, cols)
    shape_of = {i: k for k, members in enumerate(truth) for i in members}
    for g in groups:                                   # never two shapes in one group
        assert len({shape_of[i] for i in g.tolist()}) == 1
        assert list(g) == sorted(g)
    assert sorted(i for g in groups for i in g.tolist()) == list(range(len(texts)))
    by_column = {}                                     # one shape in one column: one group
    for g in groups:
        for i in g.tolist():
            by_column.setdefault((shape_of[i], int(cols[i])), set()).add(int(g[0]))
    parsable = {k for k, members in enumerate(truth) if not isinstance(parse_or_none(texts[members[0]], rows[members[0]], cols[members[0]]), type(None))}
    assert all(len(reps) == 1 for (k, _), reps in by_column.items() if k in parsable)


def test_texts_that_differ_only_in_digits_are_told_apart():
    texts = ["LOG10(A2)*1.05", "LOG10(A3)*1.5", "\"a1\"&A4", "\"a2\"&A5", "A1048576+A6", "A1048577+A7",
             "A8+1", "A9+1"]
    rows = np.array([1, 2, 3, 4, 5, 6, 7, 8])
    cols = np.zeros(8, np.int64)
    groups = sorted(tuple(g.tolist()) for g in group_by_shape(texts, rows, cols))
    assert groups == [(0,), (1,), (2,), (3,), (4,), (5,), (6, 7)]


def test_a_filled_column_is_one_group():
    n = 5000
    texts = [f"MATCH(O{r + 1},$A$3:$A$1002,0)*OFFSET($H$2,$S{r + 1},Y$1)" for r in range(2, 2 + n)]
    groups = group_by_shape(texts, np.arange(2, 2 + n), np.full(n, 17))
    assert len(groups) == 1 and len(groups[0]) == n
