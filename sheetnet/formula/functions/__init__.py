"""Excel's function library.

Every module of this package registers the functions of one category (or
part of one) with `registry.function` or `registry.elementwise`; importing
the package imports them all, so adding a function touches one file and no
central list.  CONTRIBUTING.md ("Adding an Excel function") is the guide.

Infrastructure modules: registry (specs, signatures, categories), lifting
(batch forms of plain-Python functions), context (what a batch form
receives), aggregate (the SUM-style reading of arguments), criteria (SUMIF-
style criteria), torchforms (what torch forms share with the Solver).
"""

from __future__ import annotations

import importlib
import pkgutil

from .context import Context
from .registry import FUNCTIONS, Category, FunctionSpec, by_category, elementwise, function

__all__ = ["FUNCTIONS", "Category", "Context", "FunctionSpec", "by_category", "elementwise", "function"]


def _register_all() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        importlib.import_module(f"{__name__}.{info.name}")


_register_all()
