"""LAMBDA values: a function written in a formula, with the names it captured.

``LET(x, 2, x*y)`` and ``LAMBDA(x, y, x*y)(2, 3)`` bind names to values for
part of a formula.  The evaluator keeps such bindings on the batch
(``Batch.env``: casefolded name without Excel's ``_xlpm.`` marker -> value);
a LAMBDA evaluates to a ``Lambda`` that remembers the bindings in force where
it was written, and calling it adds its parameters to them.
"""

from __future__ import annotations

from dataclasses import dataclass

from .ast import Name, Node

# Excel writes LET/LAMBDA names as _xlpm.x, optional LAMBDA parameters as _xlop.x.
_PARAM_PREFIXES = ("_xlpm.", "_xlop.")


def param_key(name: str) -> str:
    """The key a LET/LAMBDA name is bound under: x, _xlpm.x and _XLPM.X alike."""
    low = name.casefold()
    for prefix in _PARAM_PREFIXES:
        if low.startswith(prefix):
            return low[len(prefix):]
    return low


class _Omitted:
    """The value of a LAMBDA parameter the call left out (see ISOMITTED)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "OMITTED"


OMITTED = _Omitted()


@dataclass(frozen=True)
class Lambda:
    """A LAMBDA's parameters (keys), which of them are optional, its body
    and the bindings it closed over."""

    params: tuple[str, ...]
    optional: tuple[bool, ...]
    body: Node
    env: dict | None

    @classmethod
    def from_args(cls, args: tuple[Node, ...], env: dict | None) -> "Lambda | None":
        """LAMBDA(p1, p2, ..., body); None when a parameter is not a plain name."""
        *params, body = args
        keys, optional = [], []
        for p in params:
            if not isinstance(p, Name) or p.sheet is not None:
                return None
            keys.append(param_key(p.name))
            optional.append(p.name.casefold().startswith("_xlop."))
        if len(set(keys)) != len(keys):
            return None
        return cls(tuple(keys), tuple(optional), body, env)

    def subset(self, mask, shape) -> "Lambda":
        """The same function for part of the batch (its captured values cut down)."""
        if not self.env:
            return self
        from .batch import _subset_value
        return Lambda(self.params, self.optional, self.body,
                      {k: _subset_value(v, mask, shape) for k, v in self.env.items()})
