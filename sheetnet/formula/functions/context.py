"""What a batch implementation receives besides its arguments."""

from __future__ import annotations

from ..batch import Batch, RefVal, deref, intersect
from ..values import Arr


class Context:
    """The batch of cells, the evaluator (for lazy arguments) and the engine
    (random numbers, pulls)."""

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
        """An argument received as given ("reference"/"position" types) read as one value."""
        if isinstance(v, RefVal):
            if self.arr:
                return deref(v, self.batch, self.ev.engine)
            return intersect(v, self.batch, self.ev.engine)
        return v

    def operand(self, node, arr: bool | None = None) -> Arr:
        return self.ev.operand(node, self.batch, self.arr if arr is None else arr)
