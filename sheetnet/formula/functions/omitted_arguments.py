"""Functions that tell an omitted optional argument from an empty cell.

`elementwise` hands an omitted optional argument over as its default, and an
empty cell as its coerced value -- for an "any" parameter both can be None.
A few Excel functions treat the two differently: DEC2BIN(2.7) is "10" but
DEC2BIN(2.7, A1) with A1 empty is #NUM! (places 0); ERF(7) is erf(7) but
ERF(7, A1) is erf(0) - erf(7).  `by_arity` registers such a function: it is
called with the arguments actually given (fewer when some are omitted), each
lifted element by element as `elementwise` lifts it.
"""

from __future__ import annotations

from typing import Callable

from .lifting import lift
from .registry import Category, function, parse_signature


def by_arity(*names: str, category: Category, args: str, prefix: str = "", torch: Callable | None = None):
    """Register ``fn(*values)`` called with as many values as the formula gives."""
    params, repeat = parse_signature(args)
    if repeat:
        raise ValueError(f"{names[0]}: by_arity parameters are single values, not repeated")
    required = sum(1 for p in params if not p.optional)

    def register(fn):
        lifted = {n: lift(fn, params[:n]) for n in range(required, len(params) + 1)}

        def impl(ctx, *arguments):
            return lifted[len(arguments)](ctx, *arguments)

        impl.__doc__, impl.__module__ = fn.__doc__, fn.__module__
        function(*names, category=category, args=args, prefix=prefix, torch=torch)(impl)
        return fn

    return register
