"""Fast reader for a worksheet's ``<sheetData>`` and for the shared-strings part.

Why not an XML parser: a large sheet has millions of cells (~5 tags each) and
any parser that builds or visits elements one by one from Python needs
seconds (lxml's iterparse: ~12 s for 1.7 M cells).  Here the XML is a numpy
byte array and every step works on all tags of a kind at once:

1. ``<sheetData>`` is cut at ``<row`` boundaries into ~4 MB chunks (the
   arrays of one chunk stay in the CPU cache, which makes element-wise work
   several times faster), scanned by two threads -- numpy releases the GIL;
2. every ``<`` of a chunk is classified by the three bytes after it through a
   lookup table; elements are matched with their end tags and parents by
   counting (``cumsum``) -- no tree is ever built;
3. start tags repeat byte for byte (every ``<f t="shared" si="3"/>`` of a
   column), so tags are grouped by their text and each distinct text is
   parsed once per document, by a small regex parser; only the ``r="B7"``
   that differs in every ``<c>`` is decoded per tag, eight bytes at a time as
   64-bit integers ("SWAR").  Tags that fit no group (attributes in an odd
   order, say) go through a vectorised attribute parser that advances all of
   them in lock-step, one attribute per round -- about twice as slow;
4. numeric ``<v>`` texts become float64 with a vectorised, correctly rounded
   decimal conversion; the rare numbers it cannot settle go through ``float``;
5. texts (formulas, strings, errors) are sliced, decoded and un-escaped in
   bulk, only for the elements that have them.

Every vectorised decoder has a scalar twin for what it cannot read (long
values, character references such as ``t="&#115;"``), so odd but legal XML
is read right, only slower.  Layouts outside what this handles raise
:class:`ScanError` rather than being misread: comments, CDATA sections and
processing instructions inside ``<sheetData>``, and documents not encoded in
UTF-8.
"""

from __future__ import annotations

import codecs
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
# np.unique asks np.ma.is_masked (numpy >= 2.3), and numpy imports numpy.ma
# lazily on that first call: tens of milliseconds in the middle of the first
# workbook read.  Imported here with the scanner instead.
import numpy.ma  # noqa: F401  (imported for its side effect)

# cell type codes (the `t` attribute of <c>)
T_NUMBER, T_SHARED_STRING, T_FORMULA_STRING, T_BOOL, T_ERROR, T_INLINE_STRING, T_DATE = range(7)
# formula kinds (the `t` attribute of <f>)
F_NORMAL, F_SHARED, F_ARRAY, F_DATATABLE = range(4)

_MAIN_NAMESPACES = (b"http://schemas.openxmlformats.org/spreadsheetml/2006/main",
                    b"http://purl.oclc.org/ooxml/spreadsheetml/main")
_CHUNK_BYTES = 1 << 22          # big enough to amortise Python overhead, small enough for the cache
_THREADS = min(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
_COL_BITS = 14                  # a cell is packed as row << _COL_BITS | col
_MAX_ROW, _MAX_COL = 1 << 20, 1 << _COL_BITS


class ScanError(ValueError):
    """The sheet XML is malformed, or written in a layout the scanner refuses."""


@dataclass
class SheetScan:
    """The cells of a sheet as columns, in document order.

    A cell has a value when it has a <v> with text (an empty <v></v> or
    <v/> is no value) or, for T_INLINE_STRING, an <is> (possibly holding
    an empty string).  `texts` holds the values of the text types;
    `numbers` those of the others.  `c_span` and `v_span` are byte offsets
    into the scanned XML, for splicing new cached values into it."""
    rows: np.ndarray        # int32, 0-based row of each <c>, in document order
    cols: np.ndarray        # int32, 0-based column
    types: np.ndarray       # uint8, T_* (absent t -> T_NUMBER)
    styles: np.ndarray      # int32, the s attribute (0 when absent)
    cm: np.ndarray          # int32, the cm attribute (cell metadata: 1-based; 0 when absent)
    vm: np.ndarray          # int32, the vm attribute (value metadata: a newer error's real kind; 0 when absent)
    has_value: np.ndarray   # bool (see above)
    numbers: np.ndarray     # float64 value of T_NUMBER, T_BOOL (0/1), T_SHARED_STRING (the index); else NaN
    texts: dict             # cell index -> value of T_FORMULA_STRING / T_ERROR / T_INLINE_STRING / T_DATE cells
    f_cell: np.ndarray      # int32 index into the cell arrays, one entry per <f>, document order
    f_kind: np.ndarray      # uint8 F_*
    f_text: list            # formula text, None when the <f> element is empty (shared followers)
    f_has_text: np.ndarray  # bool, f_text is not None
    f_ref: list             # the ref attribute or None
    f_si: np.ndarray        # int32, the si attribute, -1 when absent
    f_ca: np.ndarray        # bool, ca="1"
    c_span: np.ndarray      # int64 (n, 2): start of "<c", end just after "</c>" or "/>"
    v_span: np.ndarray      # int64 (n, 2): the text of <v>...</v>; (-1, -1) without one (or for <v/>)
    hidden_rows: np.ndarray  # int32, 0-based rows whose <row> says hidden="1", ascending


# --------------------------------------------------------------------------
# Bytes as numpy arrays
# --------------------------------------------------------------------------

# numpy scalars rather than Python ints: numpy 1.x would promote uint64 (op) int to float64
_ONES = np.uint64(0x0101010101010101)          # one in every byte of a 64-bit word
_LOW7 = np.uint64(0x7F7F7F7F7F7F7F7F)
_HIGH = np.uint64(0x8080808080808080)
_ZEROS = np.uint64(0x3030303030303030)         # '0' in every byte
_ABOVE_NINE = np.uint64(0x7676767676767676)    # added to 0..127: the high bit is set from 10 up
_PAD = 128                          # zero bytes after a chunk: reads past its end stay in bounds


class _Bytes:
    """A slice of the document copied into an aligned numpy buffer.

    Positions are local to the slice (``base`` maps them back).  A '<' is
    put just after the end as a sentinel tag, then zero padding, so reads
    past the end stay in bounds; a zero byte matches nothing the scanner
    looks for."""

    def __init__(self, xml: bytes, start: int, stop: int):
        n = stop - start
        u8 = np.empty((n + _PAD + 7) // 8 * 8, np.uint8)
        u8[:n] = np.frombuffer(xml, np.uint8, n, start)
        u8[n] = 60
        u8[n + 1:] = 0
        self.xml, self.base, self.size, self.u8 = xml, start, n, u8
        self._shifted = [u8[k:] for k in range(16)]    # byte(pos, k) reads pos + k without an addition
        self._words = u8.view("<u8")
        self._next_words = [self._words[k:] for k in range(5)]    # the same for words

    def byte(self, pos: np.ndarray, k: int = 0) -> np.ndarray:
        return self._shifted[k].take(pos)

    def word(self, pos: np.ndarray) -> np.ndarray:
        """The 8 bytes from each position as a little-endian uint64 (first byte lowest)."""
        return self.words(pos, 1)[0]

    def words(self, pos: np.ndarray, count: int) -> list:
        """`count` consecutive 8-byte words from each position.

        Built from aligned loads: numpy gathers from unaligned views are
        several times slower."""
        shift = ((pos & 7) << 3).view(np.uint64)
        back = 64 - shift
        i = pos >> 3
        aligned = [self._next_words[k].take(i) if k < 5 else self._words.take(i + k) for k in range(count + 1)]
        out = []
        for k in range(count):             # in place: as few word-sized temporaries as possible
            word = aligned[k]
            word >>= shift
            high = aligned[k + 1] << back  # x << 64 is 0
            word |= high
            out.append(word)
        return out

    def text(self, start: int, stop: int) -> str:
        return self.xml[self.base + start:self.base + stop].decode("utf-8", "replace")

    def where(self, pos) -> str:
        return f"byte {self.base + int(pos)}"


def _first_flagged(flags: np.ndarray) -> np.ndarray:
    """Index (0-8) of the lowest byte whose high bit is set; 8 when none is."""
    return (_popcount((flags - 1) & ~flags) >> 3).astype(np.int64)


def _popcount_swar(x: np.ndarray) -> np.ndarray:
    """Bits set in each uint64, for numpy < 2 (which has no bitwise_count)."""
    x = x - ((x >> 1) & 0x5555555555555555)
    x = (x & 0x3333333333333333) + ((x >> 2) & 0x3333333333333333)
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0F
    return (x * _ONES) >> 56


_popcount = getattr(np, "bitwise_count", _popcount_swar)


def _first_match(w: np.ndarray, pattern) -> np.ndarray:
    """Index (0-8) of the first byte of each word equal to the byte repeated in `pattern`."""
    x = w ^ pattern
    return _first_flagged(~(((x & _LOW7) + _LOW7) | x) & _HIGH)     # high bit set exactly on zero bytes


def _find(ch: _Bytes, pos: np.ndarray, char, limit: int = 64) -> np.ndarray:
    """Offset from each position to the next occurrence of `char` (a byte value,
    or one per position).  Eight bytes per step; past `limit`, bytes.find."""
    pattern = np.asarray(char, np.uint64) * _ONES
    off = _first_match(ch.word(pos), pattern)
    todo = np.flatnonzero(off == 8)
    for _ in range(limit // 8 - 1):
        if not todo.size:
            return off
        step = _first_match(ch.word(pos.take(todo) + off.take(todo)),
                            pattern if pattern.ndim == 0 else pattern.take(todo))
        off[todo] += step
        todo = todo.compress(step == 8)
    chars = np.broadcast_to(np.asarray(char), pos.shape)
    for t in todo.tolist():            # a long value: leave it to bytes.find
        start = ch.base + int(pos[t])
        hit = ch.xml.find(bytes([int(chars[t])]), start, ch.base + ch.size)
        if hit < 0:
            raise ScanError(f"unterminated attribute value at {ch.where(pos[t])}")
        off[t] = hit - start
    return off


def _digits8(w: np.ndarray):
    """(count, value) of the ASCII digits that start each 8-byte word.

    SWAR: the digits are moved to the top of the word (so the missing ones
    read as leading zeros) and combined pairwise 1+1 -> 2 -> 4 -> 8 digits
    with three multiplications."""
    x = w ^ _ZEROS                                          # '0'..'9' -> 0..9
    nondigit = x & _LOW7                                    # in place from here on: few temporaries
    nondigit += _ABOVE_NINE
    nondigit |= x
    nondigit &= _HIGH                                       # high bit on bytes > 9
    count = _first_flagged(nondigit)
    shift = 8 - count
    shift <<= 3
    x <<= shift.view(np.uint64)
    x *= 2561                                               # 10*hi + lo in every 16 bits
    x >>= 8
    x &= 0x00FF00FF00FF00FF
    x *= 6553601                                            # 100*hi + lo in every 32 bits
    x >>= 16
    x &= 0x0000FFFF0000FFFF
    x *= 42949672960001                                     # 10000*hi + lo
    x >>= 32
    return count, x.view(np.int64)


class _Decoder:
    """Reads attribute values (or <v> numbers: attribute=False) of one kind:
    `fast(ch, start, stop)` is vectorised and returns (values, unread) where
    `unread` marks what it could not settle -- long values, or values written
    with character references (t="&#115;" is legal XML) -- and `slow(text)`
    parses one XML-unescaped value, returning None when it is invalid."""

    def __init__(self, fast, slow, what: str, attribute: bool = True):
        self.fast, self.slow, self.what, self.attribute = fast, slow, what, attribute

    def many(self, ch: _Bytes, start, stop) -> np.ndarray:
        values, unread = self.fast(ch, start, stop)
        for i in np.flatnonzero(unread).tolist():
            values[i] = self.one(ch, int(start[i]), int(stop[i]))
        return values

    def one(self, ch: _Bytes, start: int, stop: int):
        raw = ch.text(start, stop)
        value = self.slow(_unescape(raw, self.attribute))
        if value is None:
            raise ScanError(f"{self.what} {raw!r} is not valid at {ch.where(start)}")
        return value

    def each(self, ch: _Bytes, start, stop) -> np.ndarray:
        """many() for integer values, one by one when there are few (numpy's
        per-call overhead would dominate)."""
        if len(start) >= _FEW:
            return self.many(ch, start, stop)
        return np.array([self.one(ch, s, e) for s, e in zip(start.tolist(), stop.tolist())], np.int64)


def _uints(ch: _Bytes, start, stop):
    """Unsigned decimal integers of up to 8 digits at [start, stop)."""
    count, value = _digits8(ch.word(start))
    length = stop - start
    return value, (count != length) | (length == 0)


def _uint(text: str):
    return int(text) if text.isascii() and text.isdigit() else None


# --------------------------------------------------------------------------
# Tags
# --------------------------------------------------------------------------

_OTHER, _BAD = 0, 1
_ROW, _C, _F, _V, _IS, _T, _R, _RPH, _SI = range(2, 11)
_END = 16           # code of an end tag = _END + code of its start tag
_CHECK = 64         # the table matched a prefix of a longer name; the rest needs checking
_NAMES = {_ROW: b"row", _C: b"c", _F: b"f", _V: b"v", _IS: b"is", _T: b"t", _R: b"r", _RPH: b"rPh",
          _SI: b"si"}
_WS = b" \t\r\n"
_IS_WS = np.zeros(256, bool)
_IS_WS[list(_WS)] = True


def _tag_table() -> np.ndarray:
    """Lookup table: the three bytes after '<' (b1 << 16 | b2 << 8 | b3) -> tag code.

    For an unprefixed document the three bytes are read as they are; for a
    prefixed one they are rebuilt without the prefix (see _Tags).  b3 varies
    fastest, so the entries that ignore it are contiguous and building the
    16 MB table touches only a few of its pages."""
    table = np.zeros((256, 256, 256), np.uint8)     # indexed [b1, b2, b3]
    table[ord("!")] = _BAD                          # comment, CDATA, DOCTYPE
    table[ord("?")] = _BAD                          # processing instruction
    for code, name in _NAMES.items():
        for tag, tag_code, ends in ((name, code, _WS + b"/>"), (b"/" + name, _END + code, _WS + b">")):
            if len(tag) >= 3:
                table[tag[0], tag[1], tag[2]] = tag_code | _CHECK
                continue
            for d in ends:
                key = tag + bytes([d])
                table[key[0], key[1], key[2] if len(key) == 3 else slice(None)] = tag_code
    return table.ravel()


_TAGS = _tag_table()


class _Tags:
    """Every tag of a chunk: `lt` (position of its '<') and `code` (see _NAMES).

    The last entry is the chunk's sentinel '<' (code _OTHER), so that "the
    tag after" lookups never run off the arrays."""

    def __init__(self, ch: _Bytes, prefix: bytes):
        self.ch, self.prefix = ch, prefix
        self.lt = lt = np.flatnonzero(ch.u8[:ch.size + 1] == 60)
        first = ch.byte(lt, 1)
        if prefix:
            key = self._prefixed_key(lt, first)
        else:
            key = first.astype(np.int32)        # built in place: one tag-sized array, not five
            key <<= 8
            key |= ch.byte(lt, 2)
            key <<= 8
            key |= ch.byte(lt, 3)
        code = _TAGS.take(key)
        if prefix:
            code[(first == 33) | (first == 63)] = _BAD
        self._check_names(code)
        if (code == _BAD).any():
            raise ScanError(f"comments, CDATA sections and processing instructions are not supported "
                            f"inside sheet data ({ch.where(lt[np.argmax(code == _BAD)])})")
        self.code = code
        self._counts = {}

    def name_at(self, idx: np.ndarray) -> np.ndarray:
        """Where the element name of tags idx starts (after '<', '/' and the prefix)."""
        return self.lt.take(idx) + 1 + (self.ch.byte(self.lt.take(idx), 1) == 47) + len(self.prefix)

    def _prefixed_key(self, lt, first):
        """Table key of each tag as if written without the namespace prefix; tags
        of other namespaces get key 0, which matches nothing."""
        ch, prefix = self.ch, self.prefix
        end = first == 47
        head = lt + 1 + end
        ok = np.ones(len(lt), bool)
        for j, b in enumerate(prefix):
            ok &= ch.byte(head, j) == b
        n0, n1, n2 = (ch.byte(head + len(prefix), k).astype(np.int32) for k in range(3))
        key = np.where(end, (47 << 16) | (n0 << 8) | n1, (n0 << 16) | (n1 << 8) | n2)
        key[~ok] = 0
        return key

    def _check_names(self, code):
        """Finish the names the table only matched by their first bytes (row, rPh...)."""
        cand = np.flatnonzero(code >= _CHECK)
        if not cand.size:
            return
        for c in np.unique(code.take(cand)).tolist():
            idx = cand.compress(code.take(cand) == c)
            base = c & ~_CHECK
            name = _NAMES[base % _END]
            at = self.name_at(idx)
            ok = np.ones(len(idx), bool)
            for j, b in enumerate(name):
                ok &= self.ch.byte(at, j) == b
            after = self.ch.byte(at, len(name))
            ok &= _IS_WS.take(after) | (after == 62) | ((after == 47) & (base < _END))
            code[idx] = np.where(ok, base, _OTHER)

    def of(self, code: int) -> np.ndarray:
        """Indices of the tags with this code."""
        return np.flatnonzero(self.code == code)

    def _count_before(self, code: int) -> np.ndarray:
        """For each tag, how many tags of `code` start at or before it (int32:
        a part is at most 1 GiB and a tag takes 3 bytes or more, so counts
        stay below 2**31; these arrays, one entry per tag, are the scan's
        biggest after the positions)."""
        if code not in self._counts:
            self._counts[code] = np.cumsum(self.code == code, dtype=np.int32)
        return self._counts[code]

    def after_names(self, idx: np.ndarray, code: int) -> np.ndarray:
        """Position just after the element name of start tags idx (of element `code`)."""
        return self.lt.take(idx) + (1 + len(self.prefix) + len(_NAMES[code]))

    def start_tags(self, idx: np.ndarray, code: int, cache: dict, names=(), leading=None) -> _StartTags:
        """The start tags idx (all of element `code`) with their attributes parsed."""
        return _StartTags(self.ch, self.after_names(idx, code), self.lt.take(idx + 1), names,
                          cache.setdefault(code, {}), leading)

    def plain_start_tags(self, idx: np.ndarray, code: int):
        """(gt, empty) of start tags whose attributes are not needed; the common
        attribute-less '<v>' is settled from the byte after the name."""
        gt = self.after_names(idx, code)
        empty = np.zeros(len(idx), bool)
        odd = np.flatnonzero(self.ch.byte(gt) != 62)
        if odd.size:
            gt[odd], empty[odd], _ = _attributes(self.ch, gt.take(odd), ())
        return gt, empty

    def end_tag_gt(self, idx: np.ndarray, code: int) -> np.ndarray:
        """Position of the '>' of end tags idx ('</c>', or '</c  >')."""
        p = self.lt.take(idx) + (2 + len(self.prefix) + len(_NAMES[code]))
        while True:
            ws = _IS_WS.take(self.ch.byte(p))
            if not ws.any():
                return p
            p = p + ws

    def closing(self, idx: np.ndarray, empty: np.ndarray, code: int) -> np.ndarray:
        """Index of the end tag closing each of the elements idx (its own index
        when written empty), checking that they neither nest nor stay open."""
        ends = self.of(_END + code)
        opened = idx.compress(~empty)
        n = min(len(opened), len(ends))
        bad = (ends[:n] < opened[:n]) | np.append(ends[:n - 1] > opened[1:n], False) if n else np.zeros(0, bool)
        if bad.any() or len(ends) != len(opened):
            k = int(np.argmax(bad)) if bad.any() else n
            at = self.lt[opened[k]] if k < len(opened) else self.lt[ends[k]]
            raise ScanError(f"<{_NAMES[code].decode()}> not properly closed near {self.ch.where(at)}")
        last = idx.copy()
        last[~empty] = ends
        nested = last[:-1] > idx[1:]
        if nested.any():
            raise ScanError(f"nested <{_NAMES[code].decode()}> near "
                            f"{self.ch.where(self.lt[idx[np.argmax(nested) + 1]])}")
        return last

    def owners(self, children: np.ndarray, parent_code: int, parent_last: np.ndarray) -> np.ndarray:
        """Index of the enclosing `parent_code` element of each child tag, -1 when
        the child is not inside one."""
        owner = self._count_before(parent_code).take(children) - 1
        inside = np.flatnonzero(owner >= 0)
        outside = children.take(inside) > parent_last.take(owner.take(inside))
        owner[inside.compress(outside)] = -1
        return owner

    def text_spans(self, idx: np.ndarray, code: int, parsed: _StartTags | None = None):
        """Text content [start, stop) of text-only elements idx (<v>, <f>, <t>),
        and whether each was written empty (<v/>: start == stop).  `parsed`:
        their start tags when already parsed."""
        gt, empty = (parsed.gt, parsed.empty) if parsed else self.plain_start_tags(idx, code)
        start = gt + 1
        after = idx + 1
        stop = np.where(empty, start, self.lt.take(after))
        wrong = ~empty & (self.code.take(after) != _END + code)
        if wrong.any():
            raise ScanError(f"unexpected markup inside <{_NAMES[code].decode()}> at "
                            f"{self.ch.where(self.lt[idx[np.argmax(wrong)]])}")
        return start, stop, empty


# --------------------------------------------------------------------------
# Attributes
# --------------------------------------------------------------------------

_SIGNATURE = 24                        # tags up to 24 bytes (after a leading r) are grouped by their text
_KEEP = np.array([[(1 << (8 * min(max(n - 8 * k, 0), 8))) - 1 for k in range(_SIGNATURE // 8)]
                  for n in range(_SIGNATURE + 1)], np.uint64)   # [n, k]: the bytes of word k among the first n
_HASH = (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9)
_HASH_BITS = 12
_FEW = 24                              # fewer lone tags than this: parse them one by one


class _StartTags:
    """The start tags of one kind of element, with their attributes parsed.

    Tags of a sheet repeat byte for byte (each follower of a shared formula
    in a column is <f t="shared" si="3"/>; most <c> differ only in r), so
    tags are grouped by their text and each distinct text is parsed once
    per document (`cache`: text -> parse): `group` is the index of the
    representative a tag copies, -1 for ("lone") tags parsed on their own.
    An r="..." written first (<c>, <row>), different in every tag, is
    decoded separately by `leading` and left out of the comparison.
    Attribute values that repeat with the text (style, type, si...) are
    decoded once per group by `values`."""

    def __init__(self, ch: _Bytes, pos, limit, names, cache: dict, leading=None):
        self.ch = ch
        self.lead = leading(ch, pos) if leading else None       # (value, end of value; -1 absent)
        if self.lead is not None:
            pos = np.where(self.lead[1] >= 0, self.lead[1] + 1, pos)
        self.pos = pos
        length = np.minimum(limit - pos, _SIGNATURE)    # compared bytes: up to the next '<' at most
        # a tag without (further) attributes ends right here, at '>' or '/>':
        # only those bytes are compared, not the text that follows -- else
        # every <f> of per-cell formulas, its formula text differing, would
        # be a group of its own, parsed one by one
        at = ch.byte(pos)
        length = np.where(at == 62, np.minimum(length, 1),
                          np.where((at == 47) & (ch.byte(pos, 1) == 62), np.minimum(length, 2), length))
        group, self.reps = _group_identical(ch, pos, length)
        rep_pos = pos.take(self.reps)
        parsed = [_cached_parse(ch, int(p), int(n), names, cache)
                  for p, n in zip(rep_pos.tolist(), length.take(self.reps).tolist())]
        fits = np.array([p is not None for p in parsed] + [False])
        self.group = np.where(fits.take(group), group, -1)
        parsed = [p or (0, False, {}) for p in parsed]
        self._rep_spans = {name: (np.array([p[2].get(name, (-1, -1))[0] for p in parsed] + [-1], np.int64),
                                  np.array([p[2].get(name, (-1, -1))[1] for p in parsed] + [-1], np.int64))
                           for name in names}              # relative to the tag; extra entry for group -1
        self.gt = pos + np.array([p[0] for p in parsed] + [0], np.int64).take(self.group)
        self.empty = np.array([p[1] for p in parsed] + [False]).take(self.group)
        self.lone = np.flatnonzero(self.group < 0)
        gt, self.empty[self.lone], self._lone_spans = _attributes(ch, pos.take(self.lone), names)
        self.gt[self.lone] = gt

    def span(self, name: bytes):
        """(start, stop) of the attribute's value in every tag, -1 where absent."""
        rel_start, rel_stop = (a.take(self.group) for a in self._rep_spans[name])
        start = np.where(rel_start >= 0, self.pos + rel_start, -1)
        stop = np.where(rel_start >= 0, self.pos + rel_stop, -1)
        start[self.lone], stop[self.lone] = self._lone_spans[name]
        return start, stop

    def values(self, name: bytes, decoder: _Decoder, default) -> np.ndarray:
        """The attribute's value in every tag, `default` where absent; read
        once per group."""
        rel_start, rel_stop = self._rep_spans[name]
        used = np.flatnonzero(rel_start[:-1] >= 0)
        table = np.full(len(rel_start), default, np.int64)
        if used.size:
            at = self.pos.take(self.reps.take(used))
            table[used] = decoder.each(self.ch, at + rel_start.take(used), at + rel_stop.take(used))
        out = table.take(self.group)
        start, stop = self._lone_spans[name]
        has = np.flatnonzero(start >= 0)
        if has.size:
            out[self.lone.take(has)] = decoder.each(self.ch, start.take(has), stop.take(has))
        return out

    def leading_or(self, name: bytes, decoder: _Decoder, default) -> np.ndarray:
        """values(name, ...) merged with the leading attribute's values."""
        out = self.values(name, decoder, default)
        if self.lead is None:
            return out
        lead = self.lead[1] >= 0
        if (self._rep_spans[name][0] >= 0).any() or (self._lone_spans[name][0] >= 0).any():
            both = lead & (self.span(name)[0] >= 0)
            if both.any():
                raise ScanError(f"repeated attribute {name.decode()!r} near {self.ch.where(self.pos[np.argmax(both)])}")
        return np.where(lead, self.lead[0], out)


def _group_identical(ch: _Bytes, pos, length):
    """Group the tags by their first `length` bytes (≤ 24).  Returns (group,
    reps): each tag's group and one representative tag per group; tags that
    lost a hash collision get group -1."""
    words = ch.words(pos, -(-int(length.max(initial=1)) // 8))     # only as many words as needed
    keep = _KEEP.take(length, 0)
    code = length.view(np.uint64)
    for k, w in enumerate(words):
        w &= keep[:, k]
        code = code ^ w * _HASH[k]
    bucket = (code >> (64 - _HASH_BITS)).view(np.int64)
    slot = np.full(1 << _HASH_BITS, -1, np.int64)
    slot[bucket] = np.arange(len(pos))          # one tag per bucket survives: the representative
    reps = slot.compress(slot >= 0)
    slot[bucket.take(reps)] = np.arange(len(reps))
    group = slot.take(bucket)
    rep = reps.take(group)
    same = length == length.take(rep)
    for w in words:
        same &= w == w.take(rep)
    return np.where(same, group, -1), reps


_ATTRIBUTE = re.compile(rb"[ \t\r\n]*([^\s=/>]+)[ \t\r\n]*=[ \t\r\n]*(?:\"([^\"<]*)\"|'([^'<]*)')")
_TAG_END = re.compile(rb"[ \t\r\n]*(/?)>")


def _cached_parse(ch: _Bytes, pos: int, length: int, names, cache: dict):
    """Parse of the tag at pos (positions relative to it) when it ends within
    its first `length` bytes -- then every tag with these bytes parses the
    same -- else None.  Parses are shared by identical texts through `cache`."""
    start = ch.base + pos
    # keyed by the names asked for too: a <row s="1"> and a <c s="1"> read different attributes
    text = (ch.xml[start:start + length], names)
    if text not in cache:
        gt, empty, spans = _parse_tag(ch.xml, start, names)
        cache[text] = (gt - start, empty, {k: (s - start, e - start) for k, (s, e) in spans.items()}) \
            if gt - start < length else None
    return cache[text]


def _parse_tag(xml: bytes, pos: int, names):
    """One start tag, from just after its element name: (position of '>',
    empty, {name: value span}) -- the regex twin of _attributes."""
    spans = {}
    while m := _ATTRIBUTE.match(xml, pos):
        name = m.group(1)
        if name in names:
            if name in spans:
                raise ScanError(f"repeated attribute {name.decode()!r} at byte {m.start(1)}")
            g = 2 if m.group(2) is not None else 3
            spans[name] = (m.start(g), m.end(g))
        pos = m.end()
    m = _TAG_END.match(xml, pos)
    if not m:
        raise ScanError(f"malformed tag at byte {pos}")
    return m.end() - 1, bool(m.group(1)), spans


def _attributes(ch: _Bytes, pos: np.ndarray, names=()):
    """Parse the start tags whose element names end at `pos`.

    Returns (gt, empty, spans): the position of each tag's '>', whether the
    tag is written '<x .../>', and for each requested attribute name a
    (start, stop) pair of int64 arrays locating its value (-1 when absent).
    All tags advance together, one attribute per round; a few tags are
    parsed one by one instead (numpy's per-call overhead would dominate)."""
    n = len(pos)
    gt = np.zeros(n, np.int64)
    empty = np.zeros(n, bool)
    spans = {name: (np.full(n, -1, np.int64), np.full(n, -1, np.int64)) for name in names}
    if n < _FEW:
        for i, p in enumerate(pos.tolist()):
            g, empty[i], found = _parse_tag(ch.xml, ch.base + p, names)
            gt[i] = g - ch.base
            for name, (s, e) in found.items():
                spans[name][0][i], spans[name][1][i] = s - ch.base, e - ch.base
        return gt, empty, spans
    rows, p = np.arange(n), pos
    while rows.size:
        c = ch.byte(p)
        ws = _IS_WS.take(c)
        while ws.any():                       # attributes are separated by whitespace
            p = p + ws
            c = ch.byte(p)
            ws = _IS_WS.take(c)
        done = (c == 62) | (c == 47)
        if done.any():
            fin = np.flatnonzero(done)
            slash = c.take(fin) == 47
            at = p.take(fin) + slash
            if (ch.byte(at) != 62).any():
                raise ScanError(f"malformed tag near {ch.where(at[np.argmax(ch.byte(at) != 62)])}")
            gt[rows.take(fin)] = at
            empty[rows.take(fin)] = slash
            keep = np.flatnonzero(~done)
            rows, p = rows.take(keep), p.take(keep)
        if rows.size:
            p = _next_attribute(ch, rows, p, spans)
    return gt, empty, spans


def _next_attribute(ch: _Bytes, rows, p, spans):
    """Read one `name="value"` at each position p; record the wanted ones in
    spans; return the positions just after the values."""
    # the first bytes: where a short name's '=' is, and enough to compare the wanted names
    b = [ch.byte(p, k) for k in range(max([4, *(len(name) for name in spans)]))]
    eq = np.where(b[1] == 61, 1, np.where(b[2] == 61, 2, np.where(b[3] == 61, 3, 0)))
    long_names = np.flatnonzero(eq == 0)
    if long_names.size:
        eq[long_names] = _find(ch, p.take(long_names) + 4, 61) + 4
    quote = ch.byte(p + eq + 1)
    odd = ((quote != 34) & (quote != 39)) | _IS_WS.take(ch.byte(p + eq - 1)) | (b[0] == 61)
    start = p + eq + 2
    for i in np.flatnonzero(odd).tolist():     # spaces around '=' (legal, never written): one by one
        m = _ATTRIBUTE.match(ch.xml, ch.base + int(p[i]), ch.base + ch.size)
        if not m:
            raise ScanError(f"malformed attribute at {ch.where(p[i])}")
        eq[i] = len(m.group(1)) if len(m.group(1)) <= 3 else -1
        g = 2 if m.group(2) is not None else 3
        start[i], quote[i] = m.start(g) - ch.base, ch.xml[m.start(g) - 1]
    stop = start + _find(ch, start, quote)
    for name, (s, e) in spans.items():
        hit = eq == len(name)
        for k, byte in enumerate(name):
            hit &= b[k] == byte
        idx = np.flatnonzero(hit)
        if idx.size:
            target = rows.take(idx)
            if (s.take(target) >= 0).any():
                raise ScanError(f"repeated attribute {name.decode()!r} near {ch.where(p[idx[0]])}")
            s[target] = start.take(idx)
            e[target] = stop.take(idx)
    return stop + 1


def _choices(options: dict, what: str) -> _Decoder:
    """Decoder of attribute values taken from `options` {bytes (≤ 9 ASCII bytes): code}."""
    def fast(ch: _Bytes, start, stop):
        length = stop - start
        first = ch.word(start)
        second = ch.byte(start, 8)
        code = np.full(len(start), -1, np.int64)
        for value, c in options.items():
            head = int.from_bytes(value[:8].ljust(8, b"\0"), "little")
            hit = (length == len(value)) & ((first & ((1 << (8 * min(len(value), 8))) - 1)) == head)
            if len(value) > 8:
                hit &= second == value[8]
            code[hit] = c
        return code, code < 0
    return _Decoder(fast, lambda text: options.get(text.encode()), what)


_CELL_TYPE = _choices({b"n": T_NUMBER, b"s": T_SHARED_STRING, b"str": T_FORMULA_STRING, b"b": T_BOOL,
                       b"e": T_ERROR, b"inlineStr": T_INLINE_STRING, b"d": T_DATE}, "cell type")
_FORMULA_KIND = _choices({b"normal": F_NORMAL, b"shared": F_SHARED, b"array": F_ARRAY, b"dataTable": F_DATATABLE},
                         "formula type")
_CA_FLAG = _choices({b"1": 1, b"true": 1, b"0": 0, b"false": 0}, "ca flag")
_HIDDEN_FLAG = _choices({b"1": 1, b"true": 1, b"0": 0, b"false": 0}, "hidden flag")
_STYLE = _Decoder(_uints, _uint, "style index")
_SHARED_INDEX = _Decoder(_uints, _uint, "shared formula index")
_METADATA_INDEX = _Decoder(_uints, _uint, "cell metadata index")


def _row_numbers(ch: _Bytes, start, stop):
    values, unread = _uints(ch, start, stop)
    return values, unread | (values < 1) | (values > _MAX_ROW)


def _row_number(text: str):
    value = _uint(text)
    return value if value is not None and 1 <= value <= _MAX_ROW else None


_ROW_NUMBER = _Decoder(_row_numbers, _row_number, "row number")
_R_IS = int.from_bytes(b' r="', "little")


_LETTER = np.zeros(256, np.int64)                    # 'A'/'a' -> 1 ... 'Z'/'z' -> 26, else 0
_LETTER[65:91] = _LETTER[97:123] = np.arange(1, 27)
_FIRST, _SECOND = np.meshgrid(_LETTER, _LETTER, indexing="ij")
_TWO_LETTERS = np.where(_FIRST == 0, 0, np.where(_SECOND == 0, (1 << 16) | _FIRST, (2 << 16) | (_FIRST * 26 + _SECOND)))
_TWO_LETTERS = _TWO_LETTERS.T.ravel()                 # [b0 | b1 << 8] -> letter count << 16 | column value


def _column_letters(w):
    """(count 0-3, 0-based column) of the letters starting each word (first byte lowest)."""
    pair = _TWO_LETTERS.take((w & 0xFFFF).view(np.int64))
    count, col = pair >> 16, pair & 0xFFFF
    third = _LETTER.take(((w >> 16) & 0xFF).view(np.int64)) * (count == 2)
    return count + (third > 0), np.where(third > 0, col * 26 + third, col) - 1


def _ref_at(ch: _Bytes, start):
    """(row << _COL_BITS | col, length, valid) of the cell references like
    "XFD1048576" that start at each position (0-based row and column)."""
    letters, col = _column_letters(ch.word(start))
    count, row = _digits8(ch.word(start + letters))
    valid = (letters > 0) & (count > 0) & (row >= 1) & (row <= _MAX_ROW) & (col < _MAX_COL)
    return (row - 1) << _COL_BITS | col, letters + count, valid


def _cell_refs(ch: _Bytes, start, stop):
    """Cell references at [start, stop), packed as 0-based row << _COL_BITS | col."""
    ref, length, valid = _ref_at(ch, start)
    return ref, ~valid | (start + length != stop)


def _cell_ref(text: str):
    """One cell reference, packed; None when invalid."""
    m = re.fullmatch(r"([A-Za-z]{1,3})([0-9]{1,7})", text)
    if not m:
        return None
    col = 0
    for letter in m.group(1).upper():
        col = col * 26 + ord(letter) - 64
    row = int(m.group(2))
    return (row - 1) << _COL_BITS | (col - 1) if 1 <= row <= _MAX_ROW and col <= _MAX_COL else None


_CELL_REF = _Decoder(_cell_refs, _cell_ref, "cell reference")


def _leading_ref(ch: _Bytes, pos):
    """(reference, position of the closing quote) of each <c> whose first
    attribute is a cell reference (' r="B7"'); -1 where there is none or it
    does not read cleanly (the general parser then takes it).  One 16-byte
    read per tag: ' r="', up to ten characters, '"'."""
    w0, w1 = ch.words(pos, 2)
    letters, col = _column_letters(w0 >> 32)
    shift = ((letters + 4) << 3).view(np.uint64)
    count, row = _digits8((w0 >> shift) | (w1 << (64 - shift)))
    end = pos + 4 + letters + count
    ok = (((w0 & 0xFFFFFFFF) == _R_IS) & (letters > 0) & (count > 0) & (row <= _MAX_ROW) & (col < _MAX_COL)
          & (row >= 1) & (ch.byte(end) == 34))
    return np.where(ok, (row - 1) << _COL_BITS | col, -1), np.where(ok, end, -1)


def _leading_row(ch: _Bytes, pos):
    """(row number, position of the closing quote) of each <row> whose first
    attribute is r (' r="7"'); -1 where there is none (see _leading_ref)."""
    count, value = _digits8(ch.word(pos + 4))
    end = pos + 4 + count
    ok = (((ch.word(pos) & 0xFFFFFFFF) == _R_IS) & (count > 0) & (value >= 1) & (value <= _MAX_ROW)
          & (ch.byte(end) == 34))
    return np.where(ok, value, -1), np.where(ok, end, -1)


# --------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------

_POW10 = (10 ** np.arange(20, dtype=np.uint64)).view(np.int64)     # wraps past 10**18, as uint64 would
_POW10F = 10.0 ** np.arange(23)                     # exact doubles up to 1e22
_SPLIT = 134217729.0                                 # 2**27 + 1: Veltkamp's splitter
_POW10F_HI = _POW10F * _SPLIT - (_POW10F * _SPLIT - _POW10F)
_POW10F_LO = _POW10F - _POW10F_HI
_EXACT = 1 << 53


_NUMBER_BLOCK = 1 << 13         # numbers parsed at a time (see _numbers)


def _numbers(ch: _Bytes, start, stop):
    """Parse the decimal numbers at [start, stop) (<v> texts).

    Returns (values, unsure): `unsure` marks the entries this vectorised path
    did not settle (odd syntax, more than 19 digits, extreme exponents), left
    to ``float`` (see _NUMBER).  A block of numbers at a time: the parse
    makes a few dozen temporaries, and for a block they stay in the CPU
    cache and reuse the memory the previous block freed -- made for all of
    a chunk's numbers at once they are megabytes of fresh memory, whose page
    faults cost more than the parse (measured on a 17,000-number sheet)."""
    n = len(start)
    if n <= _NUMBER_BLOCK:
        return _number_block(ch, start, stop)
    values, unsure = np.empty(n, np.float64), np.empty(n, bool)
    for a in range(0, n, _NUMBER_BLOCK):
        b = a + _NUMBER_BLOCK
        values[a:b], unsure[a:b] = _number_block(ch, start[a:b], stop[a:b])
    return values, unsure


def _number_block(ch: _Bytes, start, stop):
    """_numbers() for one block."""
    neg = ch.byte(start) == 45
    p = start + neg if neg.any() else start
    m, digits = _digit_run(ch, p, 1)
    p = p + digits
    dot = ch.byte(p) == 46
    widest = int((stop - p).max()) - 1 if len(p) else 0       # the longest fraction there can be
    frac_m, frac = _digit_run(ch, p + 1, min(3, max(1, -(-widest // 8))))
    frac = np.where(dot, frac, 0)
    m_int = m
    m = np.where(dot, m * _POW10.take(np.minimum(frac, 19)) + frac_m, m)
    # at most 19 digits, so that m cannot wrap; a zero integer part (read
    # without wrapping: at most 19 zeros) adds none
    # ("0.0022270665600416144", as Excel writes small values, has 19 after it)
    ok = (digits + frac > 0) & (np.where(dot & (m_int == 0) & (digits <= 19), frac, digits + frac) <= 19)
    p = p + dot + frac
    exp10 = -frac
    e = np.flatnonzero((ch.byte(p) | 0x20) == 101)      # 'e' or 'E'
    if e.size:
        pe = p.take(e) + 1
        sign = ch.byte(pe)
        pe = pe + (sign == 43) + (sign == 45)
        count, value = _digits8(ch.word(pe))
        exp10[e] += np.where(sign == 45, -value, value)
        p[e] = pe + count
        ok[e] &= (count > 0) & (count < 8)
    ok &= p == stop
    values, exact = _scale(m.view(np.uint64), exp10)
    return np.where(neg, -values, values) if neg.any() else values, ~(ok & exact)


def _digit_run(ch: _Bytes, p, words: int):
    """(value, length) of the run of digits at each position (the value wraps
    past 19 digits).  The first `words` words are read for every position,
    the rest only where the run goes on."""
    length, value = _digits8(ch.word(p)) if words == 1 else (None, None)
    if words > 1:
        going = np.ones(len(p), bool)
        for w in ch.words(p, words):
            count, v = _digits8(w)
            if length is None:
                length, value = count, v
            else:
                value = np.where(going, value * _POW10.take(count) + v, value)
                length = np.where(going, length + count, length)
            going &= count == 8
    more = np.flatnonzero(length == 8 * words)
    while more.size:
        count, v = _digits8(ch.word(p.take(more) + length.take(more)))
        value[more] = value.take(more) * _POW10.take(count) + v
        length[more] += count
        more = more.compress(count == 8)
    return value, length


def _scale(m: np.ndarray, exp10: np.ndarray):
    """Correctly rounded float64 of m * 10**exp10 (m: uint64), and whether it
    was settled here.

    m ≤ 2**53 with |exp10| ≤ 22: both factors are exact doubles, so one IEEE
    multiplication or division rounds correctly (Clinger's fast path).
    Longer mantissas (17-digit Excel output) with 10**-22 ≤ scale < 1 go
    through _refine; the rest is left to the caller."""
    k = np.minimum(np.abs(exp10), 22)
    mf = m.astype(np.float64)
    scale = _POW10F.take(k)
    values = np.where(exp10 < 0, mf / scale, mf * scale)
    exact = ((k == np.abs(exp10)) & (m <= _EXACT)) | (exp10 == 0)   # uint64 -> float64 rounds correctly
    big = np.flatnonzero(~exact & (exp10 < 0) & (exp10 >= -22))
    if big.size:
        values[big], exact[big] = _refine(m.take(big), k.take(big))
    return values, exact


def _refine(m: np.ndarray, k: np.ndarray):
    """m / 10**k correctly rounded for m > 2**53, with double-double arithmetic.

    q = fl(fl(m) / P) is within two ulps of X = m / P.  The residual m - q*P is
    computed (nearly) exactly with Dekker's product; it tells how many ulps
    to move q.  When X lies within 1e-9 ulp of a rounding boundary the answer
    is reported unsettled instead of guessed."""
    mh = m.astype(np.float64)
    ml = (m - mh.astype(np.uint64)).view(np.int64).astype(np.float64)     # m = mh + ml exactly
    p, p_hi, p_lo = _POW10F.take(k), _POW10F_HI.take(k), _POW10F_LO.take(k)
    q = mh / p
    t = q * _SPLIT
    q_hi = t - (t - q)
    q_lo = q - q_hi
    prod = q * p
    prod_err = ((q_hi * p_hi - prod) + q_hi * p_lo + q_lo * p_hi) + q_lo * p_lo    # q*p = prod + prod_err
    residual = ((mh - prod) + ml) - prod_err                                       # m - q*p
    ulp = np.spacing(q)
    steps = residual / (ulp * p)                                                   # (X - q) in ulps of q
    j = np.rint(steps)
    settled = (np.abs(j) <= 1) & (np.abs(np.abs(steps - j) - 0.5) > 1e-9)
    power_of_two = (q.view(np.uint64) & ((1 << 52) - 1)) == 0
    settled &= ~(power_of_two & (steps < 0))   # the ulp below a power of two is half as large
    return q + j * ulp, settled


# --------------------------------------------------------------------------
# Texts
# --------------------------------------------------------------------------

_ENTITY = re.compile(r"&(#[0-9]+|#x[0-9a-fA-F]+|[A-Za-z_:][\w.:-]*)?(;?)")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


def _entity(m: re.Match) -> str:
    name, semi = m.group(1), m.group(2)
    if name is None or not semi:
        raise ScanError(f"a bare '&' in text near {m.string[max(0, m.start() - 20):m.end() + 20]!r}")
    if name[0] != "#":
        if name not in _NAMED:
            raise ScanError(f"undefined entity &{name};")
        return _NAMED[name]
    code = int(name[2:], 16) if name[1] == "x" else int(name[1:])
    if not (0 < code <= 0x10FFFF) or 0xD800 <= code <= 0xDFFF:
        raise ScanError(f"invalid character reference &{name};")
    return chr(code)


def _unescape(text: str, attribute: bool = False) -> str:
    """XML text, or an attribute value, as a parser reports it: line ends
    normalised (in attribute values every literal tab or line end becomes a
    space), then entities decoded."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if attribute and ("\n" in text or "\t" in text):
        text = text.replace("\n", " ").replace("\t", " ")
    if "&" in text:
        text = _ENTITY.sub(_entity, text)
    return text


_DECODE_CHUNK = 1 << 17


def _decode(xml: bytes, start: np.ndarray, stop: np.ndarray, attribute: bool = False) -> list[str]:
    """The texts (or attribute values) at [start, stop) of the document,
    decoded and un-escaped.

    Joined with NUL (which XML text cannot contain) so that decoding and
    un-escaping run once over all of them."""
    texts: list[str] = []
    for a in range(0, len(start), _DECODE_CHUNK):      # a chunk at a time: bounded temporaries
        pieces = [xml[s:e] for s, e in zip(start[a:a + _DECODE_CHUNK].tolist(), stop[a:a + _DECODE_CHUNK].tolist())]
        try:
            joined = b"\0".join(pieces).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ScanError(f"text is not valid UTF-8 ({exc.reason})") from None
        part = _unescape(joined, attribute).split("\0")
        if len(part) != len(pieces):
            raise ScanError("a NUL character in text (not allowed in XML)")
        texts.extend(part)
    return texts


# --------------------------------------------------------------------------
# Locating sheetData
# --------------------------------------------------------------------------

_START_TAG = re.compile(rb"""<[^!?/](?:[^>"']|"[^"]*"|'[^']*')*>""")
_NS_DECL = re.compile(rb"xmlns(?::([A-Za-z_][\w.-]*))?[ \t\r\n]*=[ \t\r\n]*([\"'])(.*?)\2", re.S)
_ENCODING = re.compile(rb"<\?xml[^>]*encoding[ \t\r\n]*=[ \t\r\n]*[\"']([A-Za-z0-9._-]+)[\"']")


def _check_encoding(xml: bytes) -> None:
    """Refuse documents not in UTF-8 (any name Python knows for it will do)."""
    if xml[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise ScanError("UTF-16 documents are not supported")
    m = _ENCODING.match(xml.lstrip(b"\xef\xbb\xbf"))
    if m:
        try:
            utf8 = codecs.lookup(m.group(1).decode()).name == "utf-8"
        except LookupError:
            utf8 = False
        if not utf8:
            raise ScanError(f"encoding {m.group(1).decode()!r} is not supported (only UTF-8)")


def _compiled(make, key: bytes) -> re.Pattern:
    """The pattern make(key) compiled, once per process (_PATTERNS); those a
    read always needs are compiled with the module (see below), not in the
    middle of the first workbook read, where compiling costs ~0.1 ms each."""
    pattern = _PATTERNS.get((make, key))
    if pattern is None:
        pattern = _PATTERNS[make, key] = re.compile(make(key))
    return pattern


_PATTERNS: dict = {}


def _element_pattern(local: bytes) -> bytes:
    """The start tag of element `local`, with or without a namespace prefix."""
    return rb"<([A-Za-z_][\w.-]*:)?" + local + rb"(?=[ \t\r\n/>])"


def _element(xml: bytes, local: bytes):
    """Find the element `local` of the main spreadsheetml namespace.

    Returns (prefix, content_start, content_stop) -- content empty for
    '<x/>' -- or None when the document has no such element."""
    _check_encoding(xml)
    for m in _compiled(_element_pattern, local).finditer(xml):
        prefix = m.group(1) or b""
        gt = xml.find(b">", m.end())
        if gt < 0:
            raise ScanError(f"unterminated <{local.decode()}> tag")
        if not _is_main_prefix(xml[:gt + 1], prefix):
            continue
        if xml[gt - 1] == 47:            # '/>': the element is empty
            return prefix, gt + 1, gt + 1
        close = xml.rfind(b"</" + prefix + local, gt + 1)     # from the end: the closing tag is near it
        after = xml[close + 2 + len(prefix + local):][:1]
        if close < 0 or after not in (b" ", b"\t", b"\r", b"\n", b">"):
            raise ScanError(f"<{local.decode()}> is not closed")
        return prefix, gt + 1, close
    return None


def _is_main_prefix(head: bytes, prefix: bytes) -> bool:
    """Whether `prefix` ("" or "x:") is bound to the main namespace in `head`
    (the document up to the element).  Unprefixed names in a document that
    declares no default namespace are taken as spreadsheetml too."""
    bound = {(m.group(1) or b""): m.group(3)
             for tag in _START_TAG.finditer(head) for m in _NS_DECL.finditer(tag.group())}
    name = prefix.rstrip(b":")
    return bound[name] in _MAIN_NAMESPACES if name in bound else not prefix


# --------------------------------------------------------------------------
# Sheet data
# --------------------------------------------------------------------------

def scan_sheet_data(xml: bytes) -> SheetScan:
    """Columnar view of the cells of a worksheet part (xl/worksheets/sheetN.xml)."""
    found = _element(xml, b"sheetData")
    if found is None and _element(xml, b"worksheet") is None:
        raise ScanError("it is not a worksheet (no <worksheet> element)")
    if found is None or found[1] == found[2]:
        return _assemble(xml, [])
    prefix, start, stop = found
    bounds = _chunks(xml, start, stop, prefix)
    cache: dict = {}                 # tag text -> parse, shared by the chunks (see _StartTags)
    if _THREADS > 1 and len(bounds) > 2:
        with ThreadPoolExecutor(_THREADS) as pool:
            parts = list(pool.map(lambda b: _scan_chunk(xml, b[0], b[1], prefix, cache), bounds))
    else:
        parts = [_scan_chunk(xml, a, b, prefix, cache) for a, b in bounds]
    return _assemble(xml, parts)


def _chunks(xml: bytes, start: int, stop: int, prefix: bytes):
    """Cut [start, stop) before '<row' tags, about _CHUNK_BYTES apart, so that
    every chunk holds whole rows."""
    row = b"<" + prefix + b"row"
    bounds, a = [], start
    while stop - a > _CHUNK_BYTES:
        cut = xml.find(row, a + _CHUNK_BYTES, stop)
        while cut >= 0 and xml[cut + len(row)] not in b" \t\r\n/>":
            cut = xml.find(row, cut + 1, stop)
        if cut < 0:
            break
        bounds.append((a, cut))
        a = cut
    bounds.append((a, stop))
    return bounds


@dataclass
class _Part:
    """What one chunk yields.  Cell, row and formula indices are chunk-local,
    byte positions are document positions."""
    row_r: np.ndarray           # explicit 1-based row number of each <row>, 0 when absent
    row_hidden: np.ndarray      # bool, hidden="1" on each <row>
    cell_row: np.ndarray        # index of the <row> holding each cell
    rows: np.ndarray            # 0-based row of each cell, -1 when only its <row> can tell
    cols: np.ndarray
    types: np.ndarray
    styles: np.ndarray
    cm: np.ndarray
    vm: np.ndarray
    has_value: np.ndarray
    numbers: np.ndarray
    c_start: np.ndarray
    c_stop: np.ndarray
    v_start: np.ndarray
    v_stop: np.ndarray
    text: tuple                 # (cell, start, stop) of the text pieces: one per <v>, or per <t> of an inline string
    f_cell: np.ndarray
    f_kind: np.ndarray
    f_si: np.ndarray
    f_ca: np.ndarray
    f_text: tuple               # (formula index, start, stop) of the non-empty <f>
    f_ref: tuple                # (formula index, start, stop) of the ref attributes


def _scan_chunk(xml: bytes, start: int, stop: int, prefix: bytes, cache: dict) -> _Part:
    ch = _Bytes(xml, start, stop)
    tags = _Tags(ch, prefix)
    row_r, row_hidden, row_last = _rows(tags, cache)
    cells = tags.of(_C)
    c_last, cell = _cells(ch, tags, cells, row_last, cache)
    values = _cell_values(ch, tags, cells, c_last, cell["types"])
    formulas = _formulas(ch, tags, c_last, cache)
    return _Part(row_r=row_r, row_hidden=row_hidden, **cell, **values, **formulas)


def _rows(tags: _Tags, cache: dict):
    """(explicit row number or 0, hidden, index of the closing tag) of every <row>."""
    rows = tags.of(_ROW)
    row_tags = tags.start_tags(rows, _ROW, cache, (b"r", b"hidden"), _leading_row)
    return (row_tags.leading_or(b"r", _ROW_NUMBER, 0), row_tags.values(b"hidden", _HIDDEN_FLAG, 0).astype(bool),
            tags.closing(rows, row_tags.empty, _ROW))


def _cells(ch: _Bytes, tags: _Tags, cells, row_last, cache: dict):
    """(index of the closing tag, the _Part fields of the <c> tags).  The
    parse of the tags is dropped on return, before the values are read: a
    megabyte less alive at the scan's peak (fresh memory costs page faults)."""
    c_tags = tags.start_tags(cells, _C, cache, (b"r", b"s", b"t", b"cm", b"vm"), _leading_ref)
    c_last = tags.closing(cells, c_tags.empty, _C)
    cell_row = tags.owners(cells, _ROW, row_last)
    if (cell_row < 0).any():
        raise ScanError(f"<c> outside a <row> at {ch.where(tags.lt[cells[np.argmax(cell_row < 0)]])}")
    c_stop = np.where(c_tags.empty, c_tags.gt, tags.end_tag_gt(c_last, _C)) + 1
    ref = c_tags.leading_or(b"r", _CELL_REF, -1)
    return c_last, dict(cell_row=cell_row, rows=np.where(ref >= 0, ref >> _COL_BITS, -1),
                        cols=_implicit_cols(np.where(ref >= 0, ref & (_MAX_COL - 1), -1), cell_row),
                        types=c_tags.values(b"t", _CELL_TYPE, T_NUMBER), styles=c_tags.values(b"s", _STYLE, 0),
                        cm=c_tags.values(b"cm", _METADATA_INDEX, 0), vm=c_tags.values(b"vm", _METADATA_INDEX, 0),
                        c_start=tags.lt.take(cells) + ch.base, c_stop=c_stop + ch.base)


_NUMERIC_TYPE = np.isin(np.arange(7), (T_NUMBER, T_SHARED_STRING, T_BOOL))    # <v> parsed as a number
_TEXT_TYPE = np.isin(np.arange(7), (T_FORMULA_STRING, T_ERROR, T_DATE))       # <v> kept as text


def _cell_values(ch: _Bytes, tags: _Tags, cells, c_last, types) -> dict:
    """has_value, numbers, v spans, and the text pieces of the cells."""
    n = len(cells)
    v = tags.of(_V)
    owner = _single_children(ch, tags, v, c_last, "v")
    start, stop, empty = tags.text_spans(v, _V)
    v_start, v_stop = np.full(n, -1, np.int64), np.full(n, -1, np.int64)
    with_v = owner.compress(~empty)                  # <v/> has no text to point at
    v_start[with_v] = start.compress(~empty) + ch.base
    v_stop[with_v] = stop.compress(~empty) + ch.base
    kind = types.take(owner)
    with_text = (stop > start) & (kind != T_INLINE_STRING)
    has_value = np.zeros(n, bool)
    has_value[owner] = with_text

    numbers = np.full(n, np.nan)
    numeric = np.flatnonzero(with_text & _NUMERIC_TYPE.take(kind))
    if numeric.size:
        s, e = start.take(numeric), stop.take(numeric)
        numbers[owner.take(numeric)] = _NUMBER.many(ch, s, e)

    texty = np.flatnonzero(with_text & _TEXT_TYPE.take(kind))
    text_cell, text_start, text_stop = [owner.take(texty)], [start.take(texty)], [stop.take(texty)]
    if (tags.code == _IS).any():
        inline_cells, cell_of_piece, piece_start, piece_stop = _inline_strings(ch, tags, c_last, types)
        has_value[inline_cells] = True
        text_cell.append(cell_of_piece)
        text_start.append(piece_start)
        text_stop.append(piece_stop)
    return dict(has_value=has_value, numbers=numbers, v_start=v_start, v_stop=v_stop,
                text=(np.concatenate(text_cell), np.concatenate(text_start) + ch.base,
                      np.concatenate(text_stop) + ch.base))


def _single_children(ch, tags: _Tags, idx, c_last, what):
    """Owning cell of each child tag idx, which must be inside a cell, one per cell."""
    owner = tags.owners(idx, _C, c_last)
    if (owner < 0).any():
        raise ScanError(f"<{what}> outside a cell at {ch.where(tags.lt[idx[np.argmax(owner < 0)]])}")
    twice = np.diff(owner) <= 0
    if twice.any():
        raise ScanError(f"a cell with two <{what}> elements at {ch.where(tags.lt[idx[np.argmax(twice) + 1]])}")
    return owner


# What a number in <v> may look like: xsd:double's decimal form, ASCII digits
# only, XML whitespace around it allowed.  Python's float() accepts more
# ("1_000", Arabic-Indic digits, "nan", "infinity", Unicode spaces) -- values
# no spreadsheet application writes.
_DECIMAL = re.compile(r"[ \t\r\n]*([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)[ \t\r\n]*")


def _float(text: str):
    m = _DECIMAL.fullmatch(text)
    return float(m.group(1)) if m else None


_NUMBER = _Decoder(_numbers, _float, "number", attribute=False)


def _inline_strings(ch: _Bytes, tags: _Tags, c_last, types):
    """Cells holding an <is> (inline string), and the spans of their <t> texts."""
    holders = tags.of(_IS)
    owner = _single_children(ch, tags, holders, c_last, "is")
    _, empty = tags.plain_start_tags(holders, _IS)
    piece_holder, start, stop = _run_texts(tags, _IS, tags.closing(holders, empty, _IS))
    piece_cell = owner.take(piece_holder)
    inline = types.take(piece_cell) == T_INLINE_STRING      # an <is> in a cell of another type is ignored
    return (owner.compress(types.take(owner) == T_INLINE_STRING), piece_cell.compress(inline),
            start.compress(inline), stop.compress(inline))


def _run_texts(tags: _Tags, holder_code: int, holder_last):
    """(holder index, start, stop) of the <t> texts inside <is>/<si> holders:
    plain <t> or rich-text runs <r><t>, in document order, excluding the
    phonetic runs <rPh>."""
    t = tags.of(_T)
    holder = tags.owners(t, holder_code, holder_last)
    inside = holder >= 0
    phonetic = tags.of(_RPH)
    if phonetic.size:
        _, empty = tags.plain_start_tags(phonetic, _RPH)
        inside &= tags.owners(t, _RPH, tags.closing(phonetic, empty, _RPH)) < 0
    keep = np.flatnonzero(inside)
    t = t.take(keep)
    start, stop, _ = tags.text_spans(t, _T)
    return holder.take(keep), start, stop


def _formulas(ch: _Bytes, tags: _Tags, c_last, cache: dict) -> dict:
    """Per <f>: owning cell, kind, si, ca, and the spans of its text and ref."""
    f = tags.of(_F)
    owner = _single_children(ch, tags, f, c_last, "f")
    f_tags = tags.start_tags(f, _F, cache, (b"t", b"ref", b"si", b"ca"))
    start, stop, _ = tags.text_spans(f, _F, f_tags)
    text = np.flatnonzero(stop > start)
    ref_start, ref_stop = f_tags.span(b"ref")
    ref = np.flatnonzero(ref_start >= 0)
    return dict(f_cell=owner,
                f_kind=f_tags.values(b"t", _FORMULA_KIND, F_NORMAL),
                f_si=f_tags.values(b"si", _SHARED_INDEX, -1),
                f_ca=f_tags.values(b"ca", _CA_FLAG, 0),
                f_text=(text, start.take(text) + ch.base, stop.take(text) + ch.base),
                f_ref=(ref, ref_start.take(ref) + ch.base, ref_stop.take(ref) + ch.base))


# --------------------------------------------------------------------------
# Assembly
# --------------------------------------------------------------------------

def _assemble(xml: bytes, parts: list[_Part]) -> SheetScan:
    """Join the chunks; resolve rows left implicit; decode texts."""
    cell_base = np.cumsum([0] + [len(p.types) for p in parts]).tolist()
    f_base = np.cumsum([0] + [len(p.f_kind) for p in parts]).tolist()
    n, nf = cell_base[-1], f_base[-1]
    out = {name: np.empty(n, dtype) for name, dtype in (("rows", np.int32), ("cols", np.int32), ("types", np.uint8),
                                                         ("styles", np.int32), ("cm", np.int32), ("vm", np.int32),
                                                         ("has_value", bool),
                                                         ("numbers", np.float64))}
    out.update({name: np.empty(nf, dtype) for name, dtype in (("f_cell", np.int32), ("f_kind", np.uint8),
                                                              ("f_si", np.int32), ("f_ca", bool))})
    c_span, v_span = np.empty((n, 2), np.int64), np.empty((n, 2), np.int64)
    for p, a, b, fa, fb in zip(parts, cell_base, cell_base[1:], f_base, f_base[1:]):
        for name in ("rows", "cols", "types", "styles", "cm", "vm", "has_value", "numbers"):
            out[name][a:b] = getattr(p, name)
        for name in ("f_cell", "f_kind", "f_si", "f_ca"):
            out[name][fa:fb] = getattr(p, name)
        out["f_cell"][fa:fb] += a
        c_span[a:b, 0], c_span[a:b, 1], v_span[a:b, 0], v_span[a:b, 1] = p.c_start, p.c_stop, p.v_start, p.v_stop
        # copied: dropped now, so that a big sheet's texts are decoded without
        # a second copy of every per-cell array alive (peak memory)
        for name in ("rows", "cols", "types", "styles", "cm", "vm", "has_value", "numbers", "c_start", "c_stop",
                     "v_start", "v_stop", "f_cell", "f_kind", "f_si", "f_ca"):
            setattr(p, name, None)

    implicit = np.flatnonzero(out["rows"] < 0)
    if implicit.size:               # cells without r: the number of their <row>
        row_base = np.cumsum([0] + [len(p.row_r) for p in parts])
        cell_row = np.concatenate([p.cell_row + b for p, b in zip(parts, row_base)])
        out["rows"][implicit] = _implicit_rows(np.concatenate([p.row_r for p in parts])).take(cell_row.take(implicit))
    hidden = np.concatenate([p.row_hidden for p in parts] or [np.zeros(0, bool)])
    hidden_rows = np.zeros(0, np.int32)
    if hidden.any():                # rarely any: the row numbers are worked out only then
        row_numbers = _implicit_rows(np.concatenate([p.row_r for p in parts]))
        hidden_rows = np.unique(row_numbers.compress(hidden)).astype(np.int32)
    outside = (out["rows"] >= _MAX_ROW) | (out["cols"] >= _MAX_COL)
    if outside.any():               # counted on from the last explicit r, past XFD or row 1,048,576
        i = int(np.argmax(outside))
        raise ScanError(f"a cell at row {int(out['rows'][i]) + 1:,}, column {int(out['cols'][i]) + 1:,} lies outside "
                        f"Excel's grid (A1:XFD1048576), near byte {int(c_span[i, 0])}")

    def joined(name, base, attribute=False):
        index = np.concatenate([getattr(p, name)[0] + b for p, b in zip(parts, base)] or [np.zeros(0, np.int64)])
        spans = [np.concatenate([getattr(p, name)[k] for p in parts] or [np.zeros(0, np.int64)]) for k in (1, 2)]
        return index, _decode(xml, *spans, attribute)

    texts = _join_pieces(*joined("text", cell_base))
    for i in np.flatnonzero(out["has_value"] & (out["types"] == T_INLINE_STRING)).tolist():
        texts.setdefault(i, "")          # <is/> or <is><t/></is>: an empty string
    text_index, f_text = _spread(nf, *joined("f_text", f_base))
    f_has_text = np.zeros(nf, bool)
    f_has_text[text_index] = True
    _, f_ref = _spread(nf, *joined("f_ref", f_base, True))
    return SheetScan(texts=texts, f_text=f_text, f_has_text=f_has_text, f_ref=f_ref, c_span=c_span, v_span=v_span,
                     hidden_rows=hidden_rows, **out)


def _spread(n: int, index: np.ndarray, values: list):
    """(index, a list of n with values at the (ascending) index, None elsewhere)."""
    if len(index) == n:             # every formula written out in full: the values are the list
        return index, values
    spread = [None] * n
    for i, value in zip(index.tolist(), values):
        spread[i] = value
    return index, spread


def _implicit_rows(row_r: np.ndarray) -> np.ndarray:
    """0-based number of every <row>: its r, or the previous row's plus one."""
    idx = np.arange(len(row_r))
    anchor = np.maximum.accumulate(np.where(row_r > 0, idx, -1)) if len(idx) else idx
    return np.where(anchor >= 0, row_r.take(np.maximum(anchor, 0)) - 1 + idx - anchor, idx)


def _implicit_cols(ref_col: np.ndarray, cell_row: np.ndarray) -> np.ndarray:
    """Column of every cell: its r, or the previous cell's plus one (column A
    for the first cell of a row)."""
    if not len(ref_col):
        return ref_col
    idx = np.arange(len(ref_col))
    row_start = np.r_[True, cell_row[1:] != cell_row[:-1]]
    anchor = np.maximum.accumulate(np.where((ref_col >= 0) | row_start, idx, 0))
    return np.maximum(ref_col.take(anchor), 0) + idx - anchor


def _join_pieces(cell: np.ndarray, pieces: list[str]) -> dict:
    """{cell: text}; cells with several pieces (rich inline strings) get them
    concatenated in order."""
    if len(cell) < 2 or (np.diff(cell) > 0).all():
        return dict(zip(cell.tolist(), pieces))
    texts: dict = {}
    for c, piece in zip(cell.tolist(), pieces):
        texts[c] = texts.get(c, "") + piece
    return texts


# --------------------------------------------------------------------------
# Shared strings
# --------------------------------------------------------------------------

def parse_shared_strings(xml: bytes) -> list[str]:
    """The strings of a shared-strings part (xl/sharedStrings.xml), in order:
    plain <t> or rich-text runs concatenated, phonetic runs left out."""
    found = _element(xml, b"sst")
    if found is None or found[1] == found[2]:
        return []
    prefix, start, stop = found
    ch = _Bytes(xml, start, stop)
    tags = _Tags(ch, prefix)
    items = tags.of(_SI)
    _, empty = tags.plain_start_tags(items, _SI)
    _stray_text(xml[start:stop], prefix)
    holder, s, e = _run_texts(tags, _SI, tags.closing(items, empty, _SI))
    pieces = _decode(xml, s + ch.base, e + ch.base)
    if len(holder) == len(items) and (holder == np.arange(len(items))).all():
        return pieces                    # the usual case: exactly one <t> per item
    strings = [""] * len(items)
    for h, piece in zip(holder.tolist(), pieces):
        strings[h] += piece
    return strings


def _text_element_pattern(prefix: bytes) -> bytes:
    """A whole <t> element (prefixed as the part is)."""
    t = re.escape(b"<" + prefix + b"t")
    return t + rb"(?:[ \t\r\n][^>]*)?(?:/>|>[^<]*</" + re.escape(prefix) + rb"t[ \t\r\n]*>)"


_ANY_TAG = re.compile(rb"<[^>]*>")
for _local in (b"sheetData", b"worksheet", b"sst"):
    _compiled(_element_pattern, _local)
_compiled(_text_element_pattern, b"")


def _stray_text(body: bytes, prefix: bytes) -> None:
    """Refuse text that lies in the shared-strings part outside every <t>
    (e.g. <si>text</si>): a damaged part, whose strings would otherwise be
    read as empty."""
    rest = _ANY_TAG.sub(b"", _compiled(_text_element_pattern, prefix).sub(b"", body))
    stray = rest.strip(b" \t\r\n")
    if stray:
        raise ScanError(f"text outside any <t> element ({stray[:40].decode('utf-8', 'replace')!r})")
