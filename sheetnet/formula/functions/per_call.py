"""Batch forms of plain-Python functions that read some arguments whole.

NPV's values, IRR's cash flows, XNPV's dates, IMSUM's numbers: each call
reads ranges or arrays as a whole, next to single-value arguments (a rate, a
guess).  `lift_calls` makes the batch form of ``fn(*arguments)`` called once
per cell of the batch:

* an argument of a single-value type (number, integer, text, boolean, any)
  arrives coerced as `lifting.lift` coerces it (its first element when it is
  an array), or as the ExcelError it holds -- errors are not propagated
  for the function (NPV decides when its rate's error wins);
* an argument of type "reference" or "array" arrives as a `Whole`: its
  values as Python values (None, float, str, bool, ExcelError) row by row,
  its shape, and whether it came from a range or an array (where Excel's
  aggregate rule skips text and booleans) or was typed in as one value.

Omitted optional arguments are not passed (fn sees fewer arguments).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...errors import error_from_code
from ...store import decode
from ..batch import RefVal
from ..values import Arr
from .lifting import _build, _python_value, call, coerce
from .registry import VALUE, FunctionSpec, Param, function, parse_signature


@dataclass(frozen=True)
class Whole:
    """A range or array argument read whole, for one call."""

    values: tuple            # Python values, row by row
    shape: tuple[int, int]
    from_range: bool         # a reference or an array (not one typed-in value)

    def rows(self) -> list[list]:
        h, w = self.shape
        return [list(self.values[i * w:(i + 1) * w]) for i in range(h)]


def _single(ctx, a, p: Param):
    """Per batch element: the argument's first element, coerced (or its error)."""
    a = ctx.scalar(a) if isinstance(a, RefVal) else a
    a = a.first()
    values, err = coerce(a, p.type)
    batch = a.shape[:-2]

    def at(index):
        i = tuple(j if n > 1 else 0 for j, n in zip(index, batch)) + (0, 0)
        if err is not None and err[i]:
            return error_from_code(int(err[i]))
        return _python_value(values[i], p)
    return batch, at


def _whole(ctx, a):
    from_range = isinstance(a, RefVal) or a.hw != (1, 1)
    arr: Arr = ctx.deref(a)
    kinds, nums, strings = arr.kinds(), arr.num, arr.strings()
    batch = arr.shape[:-2]

    def at(index):
        i = tuple(j if n > 1 else 0 for j, n in zip(index, batch))
        k, x, s = kinds[i], nums[i], strings[i]
        values = tuple(decode(int(kk), float(xx), ss) for kk, xx, ss in zip(k.ravel(), x.ravel(), s.ravel()))
        return Whole(values, arr.hw, from_range)
    return batch, at


def lift_calls(fn, spec_params: tuple[Param, ...], repeat: int = 0):
    """The batch form of ``fn(*arguments)``, one call per batch element."""
    probe = FunctionSpec("", None, None, spec_params, repeat)   # only for param(i)

    def impl(ctx, *args):
        readers, batches = [], []
        for i, a in enumerate(args):
            p = probe.param(i)
            batch, at = _single(ctx, a, p) if p.kind == VALUE else _whole(ctx, a)
            readers.append(at)
            batches.append(batch)
        batch = np.broadcast_shapes(*batches) if batches else ctx.unit_shape()[:-2]
        results = [call(fn, [at(index) for at in readers]) for index in np.ndindex(batch)]
        return _build(results, batch + (1, 1))

    impl.__doc__, impl.__module__ = fn.__doc__, fn.__module__
    return impl


def per_call(*names: str, category, args: str, prefix: str = "", torch=None, scalar=None):
    """Register ``fn(*arguments)`` (see the module docstring) under `names`."""
    params, repeat = parse_signature(args)

    def register(fn):
        function(*names, category=category, args=args, prefix=prefix, torch=torch,
                 scalar=scalar)(lift_calls(fn, params, repeat))
        return fn

    return register
