"""The calculation engine: plan a Book once, recalculate it many times."""

from .engine import Engine

__all__ = ["Engine"]
