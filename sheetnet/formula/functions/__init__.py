"""The function library.

Each function is registered with the way Excel evaluates its arguments, one
letter per argument (the last letter repeats for the rest):

* ``v`` a value: a reference is implicitly intersected outside array formulas
* ``a`` an array: the argument is evaluated in array context (SUMPRODUCT, MMULT ...)
* ``x`` as given: references stay references (SUM ignores text in ranges but
  converts text typed as an argument, so it must know which it got)
* ``p`` position only: the reference's cells are not read (OFFSET's base,
  ROW, COLUMN) -- the planner does not treat them as dependencies

Lazy functions (IF, IFERROR, CHOOSE) receive the argument trees and evaluate
only what they need.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..batch import Batch, RefVal, deref, intersect
from ..values import Arr


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    impl: Callable
    modes: str
    min_args: int
    max_args: int | None
    lazy: bool = False
    volatile: bool = False

    def mode(self, i: int) -> str:
        return self.modes[min(i, len(self.modes) - 1)] if self.modes else "v"


FUNCTIONS: dict[str, FunctionSpec] = {}


def function(*names: str, modes: str = "v", min_args: int = 0, max_args: int | None = None,
             lazy: bool = False, volatile: bool = False):
    """Register an implementation under one or more names (aliases such as
    CEILING.MATH's _xlfn. form are registered by their bare name)."""

    def register(impl):
        for name in names:
            FUNCTIONS[name.upper()] = FunctionSpec(name.upper(), impl, modes, min_args, max_args, lazy, volatile)
        return impl

    return register


class Context:
    """What a function implementation may use: the batch of cells, the
    evaluator (for lazy arguments) and the engine (RNG, pulls)."""

    __slots__ = ("ev", "batch", "arr")

    def __init__(self, ev, batch: Batch, arr: bool):
        self.ev, self.batch, self.arr = ev, batch, arr

    @property
    def engine(self):
        return self.ev.engine

    @property
    def nd(self) -> int:
        """Number of dimensions of every Arr here (batch dims + 2)."""
        return self.batch.ndim + 2

    def unit_shape(self) -> tuple[int, ...]:
        return (1,) * self.nd

    def deref(self, v) -> Arr:
        return deref(v, self.batch, self.ev.engine) if isinstance(v, RefVal) else v

    def scalar(self, v) -> Arr:
        """A value parameter received as-is ("x"/"p" mode) read as one value."""
        if isinstance(v, RefVal):
            if self.arr:
                return deref(v, self.batch, self.ev.engine)
            return intersect(v, self.batch, self.ev.engine)
        return v

    def operand(self, node, arr: bool | None = None) -> Arr:
        return self.ev.operand(node, self.batch, self.arr if arr is None else arr)

    def sub(self, mask: np.ndarray) -> "Context":
        """The same call restricted to the batch cells where mask is true."""
        return Context(self.ev, self.batch.subset(mask), self.arr)


# Register the families (imports have the side effect of registering).
from . import lambdas, logic, lookup, mathfns, references, stats, subtotal  # noqa: E402,F401
