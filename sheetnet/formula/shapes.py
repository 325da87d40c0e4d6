"""Group formula cells by R1C1 shape before parsing them.

Files written by LibreOffice, openpyxl, XlsxWriter, pandas or Google Sheets
give every cell its formula in full (``=MATCH(O3,$A$3:$A$1002,0)``,
``=MATCH(O4,$A$3:$A$1002,0)`` ...) where Excel writes one shared formula.
Parsing 1.4 million such texts one by one costs minutes; they are 14 distinct
shapes.  This module finds the shapes with whole-buffer passes, so that each
shape is parsed once:

1. Every run of digits in every text is cut out (one C-level regex
   substitution over all texts joined): what is left, the *template*
   (``MATCH(O·,$A$·:$A$·,0)``), is the same for two cells of one shape --
   column letters, functions, operators and strings are all in it.
2. The digit runs themselves are read as numbers with numpy.
3. For each distinct template the parser says, on one representative, which
   digit runs are row numbers of references, and whether relative or
   absolute.  A relative row is keyed by its offset from the cell's row
   (O3 in row 3 and O4 in row 4 are both "this row"); every other run (an
   absolute row, a number, digits in a string or a sheet name) by its
   exact text.  A template with a relative column reference is keyed by
   the cell's column too (its letters are fixed in the template, so only
   cells of one column share its shape).
4. Cells with equal keys have one R1C1 formula: one group, one parse.

Nothing here guesses: a cell whose digit runs would read differently from
its representative's (a row past 1,048,576, more than 7 digits) or whose
template the parser rejects is left on its own and parsed by itself.
"""

from __future__ import annotations

import itertools
import re

import numpy as np

from ..errors import FormulaSyntaxError
from ..refs import MAX_ROWS
from .ast import AreaRef, CellRef, walk
from .parser import parse, reference_rows

_DIGITS = re.compile(r"[0-9]+")        # ASCII digits only: what numpy reads below
_LITERAL, _REL_ROW, _ABS_ROW = 0, 1, 2
_MAX_DIGITS = 18                    # int64 holds 18 decimal digits exactly


def group_by_shape(texts: list[str], rows: np.ndarray, cols: np.ndarray) -> list[np.ndarray]:
    """Partition formula cells (texts, without '=', written in cells rows[i],
    cols[i]) into groups of one R1C1 shape.  Returns index arrays, each
    ascending; the first index of a group is its representative."""
    n = len(texts)
    if n == 0:
        return []
    rows = np.asarray(rows, np.int64)
    cols = np.asarray(cols, np.int64)
    template_of, values, lengths, counts = _all_templates_and_runs(texts)
    starts = np.concatenate([[0], np.cumsum(counts)])
    order = np.argsort(template_of, kind="stable")
    bounds = np.flatnonzero(np.diff(template_of[order])) + 1
    groups: list[np.ndarray] = []
    for members in np.split(order, bounds):
        groups.extend(_split_template(texts, members, rows, cols, values, lengths, starts, counts))
    groups.sort(key=lambda g: int(g[0]))
    return groups


_CHUNK = 1 << 17                    # texts per pass: bounds the temporary arrays


def _all_templates_and_runs(texts: list[str]):
    """_templates_and_runs over all texts, a chunk at a time; each text's
    template as a number: the index of the first text with that template
    (equal numbers, byte-for-byte equal templates).  Only the distinct
    templates are kept: a million texts are a few dozen templates, not a
    million bytes objects."""
    ids: dict[bytes, int] = {}
    template_of, values, lengths, counts = [], [], [], []
    for i in range(0, len(texts), _CHUNK):
        chunk = texts[i:i + _CHUNK]
        templates, v, ln, c = _templates_and_runs("\x00".join(chunk), len(chunk))
        template_of.append(np.fromiter(map(ids.setdefault, templates, itertools.count(i)),
                                       np.int64, len(chunk)))
        del templates
        values.append(v)
        lengths.append(ln)
        counts.append(c)
    return (np.concatenate(template_of), np.concatenate(values), np.concatenate(lengths),
            np.concatenate(counts))


def _templates_and_runs(joined: str, n: int):
    """The template of each text (bytes: every digit run replaced by one
    \\x01), and every digit run in order: its value (runs of up to 18 digits;
    longer ones get -1), its length, and how many runs each text has."""
    raw = np.frombuffer(joined.encode("utf-8"), np.uint8)
    digit = (raw >= 48) & (raw <= 57)
    first = digit.copy()
    first[1:] &= ~digit[:-1]
    begin = np.flatnonzero(first)
    last = digit.copy()
    last[:-1] &= ~digit[1:]
    end = np.flatnonzero(last) + 1
    lengths = (end - begin).astype(np.int32)
    del last, end
    keep = ~digit | first
    del digit
    template_bytes = np.where(first, np.uint8(1), raw)[keep].tobytes()
    del keep, first
    templates = template_bytes.split(b"\x00")
    del template_bytes
    text_of = np.searchsorted(np.flatnonzero(raw == 0), begin)
    counts = np.bincount(text_of, minlength=n).astype(np.int32)
    del text_of
    values = np.zeros(len(begin), np.int64)
    longest = int(lengths.max()) if len(lengths) else 0
    for k in range(min(longest, _MAX_DIGITS)):
        more = np.flatnonzero(lengths > k)
        values[more] = values[more] * 10 + (raw[begin[more] + k].astype(np.int64) - 48)
    values[lengths > _MAX_DIGITS] = -1
    return templates, values, lengths, counts


def _roles(text: str):
    """For a representative text: each digit run's role (literal, relative
    row, absolute row), and whether any reference has a relative column;
    None when the text does not parse."""
    try:
        tree = parse(text)
        row_spans = {(a, b): absolute for a, b, absolute in reference_rows(text)}
    except FormulaSyntaxError:
        return None
    runs = [(m.start(), m.end()) for m in _DIGITS.finditer(text)]
    roles = [(_ABS_ROW if row_spans[r] else _REL_ROW) if r in row_spans else _LITERAL for r in runs]
    if len(row_spans) != sum(role != _LITERAL for role in roles):
        return None
    rel_col = any((isinstance(x, CellRef) and not x.col_abs)
                  or (isinstance(x, AreaRef) and x.c1 is not None and not (x.c1_abs and x.c2_abs))
                  for x in walk(tree))
    return np.array(roles, np.int8), rel_col


def _split_template(texts, members, rows, cols, values, lengths, starts, counts) -> list[np.ndarray]:
    """The cells of one template, grouped by their keys (see module doc)."""
    if len(members) == 1:
        return [members]
    rep = int(members[0])
    found = _roles(texts[rep])
    k = int(counts[rep])
    if found is None or len(found[0]) != k:
        return [members[i:i + 1] for i in range(len(members))]      # each parsed on its own
    roles, rel_col = found
    idx = starts[members][:, None] + np.arange(k)[None, :]           # members x runs
    v, ln = values[idx], lengths[idx]
    rel = roles == _REL_ROW
    key = np.where(rel, v - rows[members][:, None], v)
    keys = [key, np.where(rel, 0, ln)]
    if rel_col:
        keys.append(cols[members][:, None])
    table = np.concatenate(keys, axis=1) if keys else np.zeros((len(members), 0), np.int64)
    # a row part that would not read as a row (past the sheet, > 7 digits) parses differently
    odd = ((roles != _LITERAL) & ((v < 1) | (v > MAX_ROWS) | (ln > 7))).any(axis=1) | (v < 0).any(axis=1)
    out = [members[odd][i:i + 1] for i in range(int(odd.sum()))]
    keep = members[~odd]
    if len(keep):
        out.extend(keep[part] for part in _equal_rows(table[~odd]))
    return out


def _equal_rows(table: np.ndarray) -> list[np.ndarray]:
    """Indices of the rows of an int64 table grouped by equal rows (in
    ascending order within each group)."""
    if table.shape[1] == 0 or (table == table[0]).all():
        return [np.arange(len(table))]
    code = np.zeros(len(table), np.int64)
    span = 1
    for column in table.T:
        values, inverse = np.unique(column, return_inverse=True)
        if span * len(values) >= 1 << 62:          # too many combinations to pack: compare whole rows
            _, inverse = np.unique(table, axis=0, return_inverse=True)
            code = inverse.ravel()
            break
        code = code * len(values) + inverse.ravel()
        span *= len(values)
    sort = np.argsort(code, kind="stable")
    return np.split(sort, np.flatnonzero(np.diff(code[sort])) + 1)
