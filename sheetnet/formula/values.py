"""Batched Excel values and the operators on them.

An ``Arr`` is a batch of 2-D Excel values with shape ``batch + (h, w)``: the
batch dimensions run over the cells a formula is being evaluated for (a whole
filled block at once), the last two are Excel's own array shape (1 x 1 for a
scalar, 15 x 5 for an embedding table).  A value that is the same for every
cell of the batch has size-1 batch dimensions and numpy broadcasting does the
rest.

Each Arr is three parallel arrays (see store.py): ``num`` float64, ``kind``
uint8 (None when every element is a plain number -- the fast path most blocks
take), ``obj`` (strings; None when there are none).  Invariant: ``num`` is
0.0 wherever the kind is not NUM or BOOL.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ERR_BASE, ERROR_CODES
from ..store import BLANK, BOOL, NUM, STR
from ..datetext import parse_date_time
from . import crmath

E_DIV0 = ERROR_CODES["#DIV/0!"]
E_VALUE = ERROR_CODES["#VALUE!"]
E_REF = ERROR_CODES["#REF!"]
E_NAME = ERROR_CODES["#NAME?"]
E_NUM = ERROR_CODES["#NUM!"]
E_NA = ERROR_CODES["#N/A"]
E_NULL = ERROR_CODES["#NULL!"]
E_SPILL = ERROR_CODES["#SPILL!"]
E_CALC = ERROR_CODES["#CALC!"]


class Arr:
    __slots__ = ("num", "kind", "obj")

    def __init__(self, num: np.ndarray, kind: np.ndarray | None = None, obj: np.ndarray | None = None):
        self.num = num
        self.kind = kind
        self.obj = obj

    def __repr__(self) -> str:
        return f"Arr(shape={self.num.shape}, all_num={self.kind is None})"

    @property
    def shape(self) -> tuple[int, ...]:
        return self.num.shape

    @property
    def hw(self) -> tuple[int, int]:
        return self.num.shape[-2], self.num.shape[-1]

    def kinds(self) -> np.ndarray:
        """The kind array, materialised when the fast path left it implicit."""
        if self.kind is None:
            return np.full(self.num.shape, NUM, dtype=np.uint8)
        return self.kind

    def strings(self) -> np.ndarray:
        if self.obj is None:
            return np.empty(self.num.shape, dtype=object)
        return self.obj

    def index(self, key) -> "Arr":
        """Apply the same numpy index to all three arrays."""
        return Arr(self.num[key], None if self.kind is None else self.kind[key],
                   None if self.obj is None else self.obj[key])

    def broadcast(self, shape: tuple[int, ...]) -> "Arr":
        return Arr(np.broadcast_to(self.num, shape),
                   None if self.kind is None else np.broadcast_to(self.kind, shape),
                   None if self.obj is None else np.broadcast_to(self.obj, shape))

    def first(self) -> "Arr":
        """The top-left element of each batch item (what a one-cell formula shows)."""
        return self.index((..., slice(0, 1), slice(0, 1)))

    def has_errors(self) -> bool:
        return self.kind is not None and bool((self.kind >= ERR_BASE).any())


def scalar(value, ndim: int) -> Arr:
    """A Python constant as an Arr broadcastable over any batch."""
    from ..store import encode
    kind, num, obj = encode(value)
    shape = (1,) * ndim
    return Arr(np.full(shape, num), None if kind == NUM else np.full(shape, kind, np.uint8),
               np.full(shape, obj, dtype=object) if kind == STR else None)


def error(code: int, shape: tuple[int, ...]) -> Arr:
    return Arr(np.zeros(shape), np.full(shape, code, dtype=np.uint8))


def booleans(mask: np.ndarray) -> Arr:
    return Arr(mask.astype(np.float64), np.full(mask.shape, BOOL, dtype=np.uint8))


# --- coercion ---------------------------------------------------------------

_CURRENCY = "$€£¥"


def parse_number_text(text: str) -> float | None:
    """Excel's reading of text as a number ("3", " 1,000 ", "50%", "1E3",
    "$10", "€100"); None when it is not one."""
    t = text.strip()
    if not t:
        return None
    sign = ""
    if t[0] in "+-" and len(t) > 1 and t[1] in _CURRENCY:
        sign, t = t[0], t[1:]
    if t[0] in _CURRENCY:
        t = sign + t[1:].strip()
    elif t[-1] in _CURRENCY:
        t = sign + t[:-1].strip()
    if not t:
        return None
    scale = 1.0
    if t.endswith("%"):
        t, scale = t[:-1].strip(), 0.01
    t = t.replace(",", "")
    try:
        x = float(t)
    except ValueError:
        return None
    if not math.isfinite(x) or t.lower() in ("inf", "nan", "infinity", "+inf", "-inf"):
        return None
    return x * scale


def parse_value_text(text: str) -> float | None:
    """Text as arithmetic reads it: a number (parse_number_text), else a date
    or a time ("2024-01-10", "14:30": sheetnet/datetext.py) as a serial of the
    1900 date system; None when it is neither (then it is #VALUE!)."""
    x = parse_number_text(text)
    if x is not None or text != text.strip():
        return x          # Excel reads " 2024-01-10 " as no date (while " 10 " is 10)
    parsed = parse_date_time(text)
    return None if parsed is None else parsed[0]


def numbers(a: Arr) -> tuple[np.ndarray, np.ndarray | None]:
    """Coerce for arithmetic: blanks are 0, booleans 0/1, numeric text its
    number, other text #VALUE!, errors stay errors.  Returns (num, err) where
    err is None or a uint8 array of error codes (0 = fine)."""
    if a.kind is None:
        return a.num, None
    k = a.kind
    num = a.num
    err = None
    if a.obj is not None:
        is_text = k == STR
        if is_text.any():
            num = np.array(num, dtype=np.float64, copy=True)
            err = np.zeros(k.shape, dtype=np.uint8)
            for idx in zip(*np.nonzero(is_text)):
                x = parse_value_text(a.obj[idx])
                if x is None:
                    err[idx] = E_VALUE
                else:
                    num[idx] = x
    bad = k >= ERR_BASE
    if bad.any():
        err = np.where(bad, k, 0 if err is None else err).astype(np.uint8)
    return num, err


def first_error(e1: np.ndarray | None, e2: np.ndarray | None) -> np.ndarray | None:
    """Left operand's error wins, as in Excel."""
    if e1 is None:
        return e2
    if e2 is None:
        return e1
    return np.where(e1 != 0, e1, e2).astype(np.uint8)


def numeric_result(z: np.ndarray, err: np.ndarray | None = None) -> Arr:
    """Wrap a computed float array: non-finite results become #NUM!, `err`
    (codes, 0 = none) overrides."""
    finite = np.isfinite(z)
    all_finite = bool(finite.all())
    if err is None and all_finite:
        return Arr(z)
    kind = np.full(z.shape, NUM, dtype=np.uint8)
    if not all_finite:
        kind[~finite] = E_NUM
    if err is not None:
        err = np.broadcast_to(err, z.shape)
        kind = np.where(err != 0, err, kind).astype(np.uint8)
    if not (kind >= ERR_BASE).any():
        return Arr(z)
    return Arr(np.where(kind == NUM, z, 0.0), kind)


def truthy(a: Arr) -> tuple[np.ndarray, np.ndarray | None]:
    """Read as a condition: numbers non-zero, blanks FALSE, "TRUE"/"FALSE" text,
    other text #VALUE!.  Returns (mask, err)."""
    if a.kind is None:
        return a.num != 0, None
    k = a.kind
    mask = a.num != 0
    err = None
    if a.obj is not None:
        is_text = k == STR
        if is_text.any():
            err = np.zeros(k.shape, dtype=np.uint8)
            mask = mask.copy()
            for idx in zip(*np.nonzero(is_text)):
                word = a.obj[idx].strip().upper()
                if word in ("TRUE", "FALSE"):
                    mask[idx] = word == "TRUE"
                else:
                    err[idx] = E_VALUE
    bad = k >= ERR_BASE
    if bad.any():
        err = np.where(bad, k, 0 if err is None else err).astype(np.uint8)
    return mask, err


# --- shape alignment ----------------------------------------------------------

def align(a: Arr, b: Arr) -> tuple[Arr, Arr]:
    """Excel pairs arrays element by element; a 1-row/1-column array stretches,
    and cells beyond the smaller of two mismatched arrays are #N/A."""
    (ha, wa), (hb, wb) = a.hw, b.hw
    if (ha == hb or ha == 1 or hb == 1) and (wa == wb or wa == 1 or wb == 1):
        return a, b
    h, w = max(ha, hb), max(wa, wb)
    return pad(a, h, w), pad(b, h, w)


def align_all(*arrs: Arr) -> list[Arr]:
    """`align` for any number of arrays: all padded to the largest (h, w)
    (a dimension of 1 stretches; elements beyond an array's size are #N/A)."""
    sizes = {a.hw for a in arrs}
    if len(sizes) <= 1:
        return list(arrs)
    h = max(hw[0] for hw in sizes)
    w = max(hw[1] for hw in sizes)
    return [pad(a, h, w) for a in arrs]


def pad(a: Arr, h: int, w: int) -> Arr:
    """Grow the trailing (h, w) to at least the given size, filling with #N/A
    (a dimension of 1 stretches instead)."""
    ha, wa = a.hw
    th = h if ha != 1 else 1
    tw = w if wa != 1 else 1
    if (th, tw) == (ha, wa):
        return a
    batch = a.shape[:-2]
    num = np.zeros(batch + (th, tw))
    kind = np.full(batch + (th, tw), E_NA, dtype=np.uint8)
    num[..., :ha, :wa] = a.num
    kind[..., :ha, :wa] = a.kinds()
    obj = None
    if a.obj is not None:
        obj = np.empty(batch + (th, tw), dtype=object)
        obj[..., :ha, :wa] = a.obj
    return Arr(num, kind, obj)


# --- operators ----------------------------------------------------------------

def arithmetic(op: str, a: Arr, b: Arr) -> Arr:
    a, b = align(a, b)
    x, ex = numbers(a)
    y, ey = numbers(b)
    err = first_error(ex, ey)
    with np.errstate(all="ignore"):
        if op == "+":
            z = x + y
        elif op == "-":
            z = x - y
        elif op == "*":
            z = x * y
        elif op == "/":
            z = x / y
            zero = y == 0
            if np.any(zero):
                err = first_error(err, np.where(zero, E_DIV0, 0).astype(np.uint8))
        elif op == "^":
            z = power(x, y)
            # Excel: 0^0 is #NUM!, 0^negative is #DIV/0!
            zero_base = x == 0
            if np.any(zero_base):
                special = np.where(zero_base & (y == 0), E_NUM, np.where(zero_base & (y < 0), E_DIV0, 0))
                err = first_error(err, special.astype(np.uint8))
        else:
            raise ValueError(op)
    return numeric_result(z, err)


def power(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """x^y correctly rounded (crmath): the same bits on every CPU and whatever
    block a cell is evaluated in.  Squares (the common case) are x*x, which
    equals a correctly rounded pow(x, 2)."""
    x, y = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    if y.size and np.all(y == 2.0):
        return x * x
    if y.size and np.all(y == 1.0):
        return x.copy()
    return crmath.power(x, y)


def negate(a: Arr) -> Arr:
    x, err = numbers(a)
    return numeric_result(-x, err)


def percent(a: Arr) -> Arr:
    x, err = numbers(a)
    return numeric_result(x / 100.0, err)


_COMPARE = {
    "=": np.equal, "<>": np.not_equal, "<": np.less,
    ">": np.greater, "<=": np.less_equal, ">=": np.greater_equal,
}
# Excel orders values of different types: numbers < text < logicals.
_RANK = {NUM: 1, STR: 2, BOOL: 3}


def compare(op: str, a: Arr, b: Arr) -> Arr:
    a, b = align(a, b)
    fn = _COMPARE[op]
    if a.kind is None and b.kind is None:
        return booleans(fn(a.num, b.num))
    shape = np.broadcast_shapes(a.shape, b.shape)
    ka = np.broadcast_to(a.kinds(), shape)
    kb = np.broadcast_to(b.kinds(), shape)
    xa = np.broadcast_to(a.num, shape)
    xb = np.broadcast_to(b.num, shape)
    # A blank takes the type of the other side (0, "" or FALSE).
    ta = np.where(ka == BLANK, np.where((kb == BLANK) | (kb >= ERR_BASE), NUM, kb), ka)
    tb = np.where(kb == BLANK, np.where((ka == BLANK) | (ka >= ERR_BASE), NUM, ka), kb)
    rank = np.vectorize(lambda t: _RANK.get(int(t), 0), otypes=[np.int8])
    ra, rb = rank(ta), rank(tb)
    result = np.where(ra == rb, fn(xa, xb), fn(ra, rb))
    both_text = (ta == STR) & (tb == STR)
    if both_text.any():
        sa = np.broadcast_to(a.strings(), shape)
        sb = np.broadcast_to(b.strings(), shape)
        result = result.copy()
        for idx in zip(*np.nonzero(both_text)):
            u = (sa[idx] or "").casefold()
            v = (sb[idx] or "").casefold()
            result[idx] = fn((u > v) - (u < v), 0)
    err = first_error(np.where(ka >= ERR_BASE, ka, 0).astype(np.uint8),
                      np.where(kb >= ERR_BASE, kb, 0).astype(np.uint8))
    out = booleans(result)
    if err.any():
        out.kind = np.where(err != 0, err, BOOL).astype(np.uint8)
        out.num = np.where(err != 0, 0.0, out.num)
    return out


def number_text(x: float) -> str:
    """A number as text the way Excel's General format converts it in "&" and
    TEXT contexts: up to 15 significant digits, scientific outside 1E-9..1E15."""
    if x == 0:
        return "0"
    mantissa, exp = f"{x:.14E}".split("E")
    e = int(exp)
    if -10 < e < 15:
        digits = max(0, 14 - e)
        text = f"{float(f'{x:.14E}'):.{digits}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}E{'+' if e >= 0 else '-'}{abs(e):02d}"


def to_text(kind: int, num: float, obj) -> str | int:
    """Text of one element for "&"; an error returns its code."""
    if kind == STR:
        return obj
    if kind == BLANK:
        return ""
    if kind == BOOL:
        return "TRUE" if num else "FALSE"
    if kind == NUM:
        return number_text(num)
    return int(kind)


def concat(a: Arr, b: Arr) -> Arr:
    a, b = align(a, b)
    shape = np.broadcast_shapes(a.shape, b.shape)
    ka, kb = np.broadcast_to(a.kinds(), shape), np.broadcast_to(b.kinds(), shape)
    xa, xb = np.broadcast_to(a.num, shape), np.broadcast_to(b.num, shape)
    sa, sb = np.broadcast_to(a.strings(), shape), np.broadcast_to(b.strings(), shape)
    kind = np.full(shape, STR, dtype=np.uint8)
    obj = np.empty(shape, dtype=object)
    for idx in np.ndindex(shape):
        u = to_text(ka[idx], xa[idx], sa[idx])
        v = to_text(kb[idx], xb[idx], sb[idx])
        if isinstance(u, int):
            kind[idx] = u
        elif isinstance(v, int):
            kind[idx] = v
        else:
            obj[idx] = u + v
    return Arr(np.zeros(shape), kind, obj)


def select(mask: np.ndarray, a: Arr, b: Arr) -> Arr:
    """Elementwise mask ? a : b, broadcasting all three."""
    a, b = align(a, b)
    shape = np.broadcast_shapes(mask.shape, a.shape, b.shape)
    num = np.where(mask, a.num, b.num)
    kind = None
    if a.kind is not None or b.kind is not None:
        kind = np.where(mask, a.kinds(), b.kinds()).astype(np.uint8)
    obj = None
    if a.obj is not None or b.obj is not None:
        obj = np.where(mask, a.strings(), b.strings())
    out = Arr(np.broadcast_to(num, shape),
              None if kind is None else np.broadcast_to(kind, shape),
              None if obj is None else np.broadcast_to(obj, shape))
    return out


def with_errors(a: Arr, err: np.ndarray | None) -> Arr:
    """Overlay error codes (0 = keep) on a value."""
    if err is None or not err.any():
        return a
    shape = np.broadcast_shapes(a.shape, err.shape)
    err = np.broadcast_to(err, shape)
    kind = np.where(err != 0, err, np.broadcast_to(a.kinds(), shape)).astype(np.uint8)
    num = np.where(err != 0, 0.0, np.broadcast_to(a.num, shape))
    obj = None if a.obj is None else np.where(err != 0, None, np.broadcast_to(a.obj, shape))
    return Arr(num, kind, obj)


def left_to_right(values: list[float]) -> float:
    """The sum of Python floats strictly left to right, as seq_sum adds (and
    not as Python 3.12's sum() does, compensated); 0.0 for none; the first
    value as it is (-0.0 stays -0.0)."""
    it = iter(values)
    total = next(it, 0.0)
    for v in it:
        total += v
    return total


def seq_sum(x: np.ndarray) -> np.ndarray:
    """Sum over the last axis strictly left to right, as a spreadsheet adds
    (numpy's own sum is pairwise and can differ in the last bit)."""
    n = x.shape[-1]
    if n == 0:
        return np.zeros(x.shape[:-1])
    if n <= 64:
        acc = x[..., 0].copy()
        for i in range(1, n):
            acc += x[..., i]
        return acc
    return np.cumsum(x, axis=-1)[..., -1]
