"""Arguments read the way SUM, AVERAGE, MAX, AND ... read them ("numbers"
parameters): inside a range or an array only numbers count (text, booleans
and blanks are skipped); a value typed directly as an argument is converted
(TRUE is 1, "3" is 3, "abc" is #VALUE!).  Errors propagate either way.
"""

from __future__ import annotations

import numpy as np

from ...errors import ERR_BASE
from ...store import NUM
from ..batch import RefVal
from ..values import Arr, numbers, seq_sum


class Collected:
    """All argument values of one call, flattened: shape batch + (k,).

    num     the numbers (0.0 where not a number)
    counts  whether each value counts as a number under the aggregate rule
    err     error codes (0 = none)
    kind    the values' kinds
    direct  whether each value was typed as an argument (not read from a
            range or an array)
    text    the strings (object array), None when there are none
    """

    __slots__ = ("num", "counts", "err", "kind", "direct", "text")

    def __init__(self, num, counts, err, kind, direct, text=None):
        self.num, self.counts, self.err, self.kind, self.direct = num, counts, err, kind, direct
        self.text = text

    def first_error(self) -> np.ndarray | None:
        """Per batch element, the first error in argument order (0 = none)."""
        has = self.err != 0
        if not has.any():
            return None
        pos = np.argmax(has, axis=-1)
        code = np.take_along_axis(self.err, pos[..., None], axis=-1)[..., 0]
        return np.where(has.any(axis=-1), code, 0).astype(np.uint8)[..., None, None]

    def total(self, values: np.ndarray) -> np.ndarray:
        """Sum of `values` where they count, left to right: shape batch + (1, 1)."""
        return seq_sum(np.where(self.counts, values, 0.0))[..., None, None]


def collect(ctx, args) -> Collected:
    parts, has_text = [], False
    for v in args:
        if isinstance(v, RefVal) or (isinstance(v, Arr) and v.hw != (1, 1)):
            a = ctx.deref(v)
            k = a.kinds()
            num = a.num
            counts = k == NUM
            err = np.where(k >= ERR_BASE, k, 0).astype(np.uint8)
            direct = np.zeros(k.shape, bool)
        else:
            a = v
            k = a.kinds()
            num, e = numbers(a)
            err = np.zeros(num.shape, np.uint8) if e is None else e
            counts = err == 0
            direct = np.ones(k.shape, bool)
        flat = a.shape[:-2] + (-1,)
        parts.append([np.reshape(np.asarray(x), flat) if np.ndim(x) else x
                      for x in (num, counts, err, k, direct)] + [a])
        has_text = has_text or a.obj is not None
    batch = np.broadcast_shapes(*(p[0].shape[:-1] for p in parts))

    def cat(i):
        return np.concatenate([np.broadcast_to(p[i], batch + p[i].shape[-1:]) for p in parts], axis=-1)

    text = None
    if has_text:       # strings only when some argument holds text (most sums hold none)
        for p in parts:
            p[5] = np.reshape(p[5].strings(), p[5].shape[:-2] + (-1,))
        text = cat(5)
    return Collected(cat(0), cat(1), cat(2), cat(3), cat(4), text)
