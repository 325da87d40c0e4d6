"""Every function with more than one form (the numpy batch form, the compiled
scalar path's form, the torch form for Solver gradients) gives the same
numbers in each, on random inputs.

* scalar path: wherever it returns a number, the batch form gives that
  number; wherever the batch form gives an error, the scalar path falls
  back (raises or returns a non-number) -- so the engine's answer never
  depends on the path a cell took;
* torch: wherever the batch form gives a number, the torch form gives it too.

Numbers agree to 1e-12 relative: numpy, Python's math module and torch may
use different (correctly rounded to within an ulp) implementations.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetnet.formula.batch import Batch
from sheetnet.formula.functions import FUNCTIONS
from sheetnet.formula.functions.context import Context
from sheetnet.formula.values import Arr
from sheetnet.store import BOOL, NUM

torch = pytest.importorskip("torch")

RTOL = 1e-12
TINY = float(np.finfo(np.float64).tiny)      # 2.2e-308, the smallest normal double
N = 12                       # values per example, evaluated as one batch
SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# lazy functions take unevaluated arguments: the Solver and engine tests run their forms
# (the look-ups': tests/test_functions_lookup.py, against finite differences of the engine)
LAZY_COVERED_ELSEWHERE = {"IF", "IFERROR", "XLOOKUP", "VLOOKUP", "HLOOKUP"}

numbers = st.one_of(st.floats(-1e3, 1e3, allow_nan=False),
                    st.sampled_from([0.0, 1.0, -1.0, 0.5, -0.5, 2.675, 1e-9, 709.0, 710.0, -1e300, 1e300]))
integers = st.integers(-6, 6)


def _ctx(n: int) -> Context:
    return Context(None, Batch.cells(None, np.zeros(n, np.int64), np.zeros(n, np.int64)), False)


def _close(a: float, b: float, scale: float = 0.0) -> bool:
    """Equal to RTOL relative to the larger of the two (or to `scale`, the
    size of the terms of a sum, which may cancel).  Below the smallest normal
    double every value is an underflow artefact (one path flushes a density
    of 1e-320 to 0, another keeps a subnormal), so differences there are equal."""
    return a == b or abs(a - b) <= max(RTOL * max(abs(a), abs(b), scale), TINY)


def _multi_path(kind) -> list[str]:
    out = []
    for name, spec in sorted(FUNCTIONS.items()):
        forms = sum(f is not None for f in (spec.scalar, spec.torch)) + 1
        if forms > 1 and name not in LAZY_COVERED_ELSEWHERE and kind(spec):
            out.append(name)
    return out


def test_every_function_with_several_forms_is_covered_here():
    covered = set(_multi_path(lambda s: s.elementwise)) | set(_multi_path(lambda s: s.aggregate)) | set(ARRAY_SHAPES)
    several = {n for n, s in FUNCTIONS.items() if s.scalar is not None or s.torch is not None}
    assert several - covered == LAZY_COVERED_ELSEWHERE, "give the new function's arrays a shape in ARRAY_SHAPES"


def _column_strategy(spec, nargs):
    cols = [st.lists(integers if spec.params[i].type == "integer" else numbers, min_size=N, max_size=N)
            for i in range(nargs)]
    return st.tuples(*cols)


@pytest.mark.parametrize("name", _multi_path(lambda s: s.elementwise))
@given(data=st.data())
@SETTINGS
def test_elementwise_forms_agree(name, data):
    spec = FUNCTIONS[name]
    nargs = data.draw(st.integers(spec.min_args, len(spec.params)))
    cols = data.draw(_column_strategy(spec, nargs))
    arrays = [np.asarray(c, dtype=np.float64) for c in cols]
    batch = spec.impl(_ctx(N), *[Arr(x[:, None, None]) for x in arrays]) if arrays else spec.impl(_ctx(N))
    num = np.broadcast_to(batch.num, (N, 1, 1))[:, 0, 0]
    kind = np.broadcast_to(batch.kinds(), (N, 1, 1))[:, 0, 0]
    if spec.scalar is not None:
        for i in range(N):
            try:
                z = spec.scalar(*[float(x[i]) for x in arrays])
            except (ArithmeticError, ValueError):
                continue                                # the general evaluator takes over
            if isinstance(z, bool):
                assert kind[i] == BOOL and bool(num[i]) == z, (name, i)
            elif isinstance(z, (int, float)) and math.isfinite(z):
                assert kind[i] == NUM and _close(num[i], float(z)), (name, [x[i] for x in arrays], num[i], z)
    if spec.torch is not None:
        t = spec.torch(*[torch.from_numpy(x[:, None, None].copy()) for x in arrays])
        tz = np.broadcast_to(t.detach().numpy(), (N, 1, 1))[:, 0, 0]
        with np.errstate(over="ignore"):          # noise near the largest double: an infinite scale
            scale = _rounding_noise(spec, arrays, num) / RTOL
        for i in np.flatnonzero(kind == NUM):
            assert _close(num[i], float(tz[i]), scale[i]), (name, [x[i] for x in arrays], num[i], tz[i])


NUDGE = 2.0 ** -48            # a few units in the last place of every input


def _rounding_noise(spec, arrays, num) -> np.ndarray:
    """How far the batch form's value moves when its real-valued inputs move
    by a few ulps, times 16: the scale at which two correct evaluation orders
    may differ.  A result that cancels to nearly 0 (FV(5,-1,5,5) is
    -(5/6) + 5/6) has no correct last bits, and the numpy and torch forms
    may legitimately round its terms differently."""
    spread = np.zeros(N)
    for sign in (1.0, -1.0):
        nudged = [x if spec.params[i].type == "integer" else x * (1.0 + sign * NUDGE)
                  for i, x in enumerate(arrays)]
        with np.errstate(all="ignore"):
            moved = np.broadcast_to(spec.impl(_ctx(N), *[Arr(x[:, None, None]) for x in nudged]).num,
                                    (N, 1, 1))[:, 0, 0]
            gap = np.abs(moved - num)
        spread = np.maximum(spread, np.where(np.isfinite(gap), gap, 0.0))
    with np.errstate(over="ignore"):
        return 16.0 * spread


@pytest.mark.parametrize("name", _multi_path(lambda s: s.aggregate))
@given(values=st.lists(st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=6), min_size=1, max_size=3))
@SETTINGS
def test_aggregate_forms_agree(name, values):
    """SUM-style functions over ranges of numbers (one batch element; each
    list is one range argument)."""
    spec = FUNCTIONS[name]
    ranges = [np.asarray(v, dtype=np.float64) for v in values]
    args = [Arr(r.reshape(1, 1, -1)) for r in ranges]
    batch = spec.impl(_ctx(1), *args)
    kind, num = int(batch.kinds().flat[0]), float(batch.num.flat[0])
    flat = [float(x) for r in ranges for x in r]
    scale = sum(x * x + abs(x) for x in flat)        # the size of the terms any of them sums
    if spec.scalar is not None:
        try:
            z = spec.scalar(flat)
        except (ArithmeticError, ValueError):
            z = None
        if z is not None and math.isfinite(z):
            assert kind == NUM and _close(num, z, scale), (name, flat, num, z)
    if spec.torch is not None and kind == NUM:
        parts = [(torch.from_numpy(r.reshape(1, -1).copy()), torch.ones(1, r.size, dtype=torch.float64))
                 for r in ranges]
        assert _close(num, float(spec.torch(parts).reshape(-1)[0]), scale), name


class _TorchValue:
    def __init__(self, x: np.ndarray):
        self.t, self.kind = torch.from_numpy(x.copy()), None


# the argument shapes of array functions with a torch form: (h, w) per argument
ARRAY_SHAPES = {
    "SUMPRODUCT": lambda h, w, k: [(h, w), (h, w), (h, w)],
    "SUMXMY2": lambda h, w, k: [(h, w), (h, w)],
    "MMULT": lambda h, w, k: [(h, k), (k, w)],
    "TRANSPOSE": lambda h, w, k: [(h, w)],
    "NPV": lambda h, w, k: [(1, 1), (h, w), (k, 1)],
    "LOOKUP": lambda h, w, k: [(1, 1), (k, 1), (k, 1)],
}


@pytest.mark.parametrize("name", sorted(ARRAY_SHAPES))
@given(dims=st.tuples(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4)), data=st.data())
@SETTINGS
def test_array_forms_agree(name, dims, data):
    spec = FUNCTIONS[name]
    shapes = ARRAY_SHAPES[name](*dims)
    arrays = [np.asarray(data.draw(st.lists(st.floats(-1e3, 1e3), min_size=h * w, max_size=h * w)),
                         dtype=np.float64).reshape(1, h, w) for h, w in shapes]
    batch = spec.impl(_ctx(1), *[Arr(a) for a in arrays])
    out = spec.torch(*[_TorchValue(a) for a in arrays])
    t = out[0] if isinstance(out, tuple) else out.t
    expected = np.broadcast_to(batch.num, tuple(t.shape))
    # sums of products: the tolerance scales with the size of the terms
    scale = float(np.prod([np.abs(a).max() for a in arrays])) * max(dims) * 4
    np.testing.assert_allclose(t.detach().numpy(), expected, rtol=RTOL, atol=RTOL * scale)
