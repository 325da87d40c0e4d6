"""Excel Solver models, solved with scipy or torch: exact gradients through
the formula graph (torch autograd) when the model allows, finite differences
like Excel's GRG otherwise.

The names below are loaded on first use, so that `sheetnet --help` and the
command-line parser never import torch or scipy."""

from __future__ import annotations

import importlib

_EXPORTS = {"Problem": "problem", "problem_from_book": "problem", "SolveResult": "run", "solve": "run"}

__all__ = list(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
