"""The lesson workbooks.  Each lesson is a package here whose ``__init__``
defines ``BUILDER``, a :class:`LessonBuilder`; ``sheetnet build <name>``
discovers them."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
from dataclasses import dataclass
from typing import Callable

from ..book import Book


@dataclass(frozen=True)
class LessonBuilder:
    name: str                                   # `sheetnet build <name>`
    help: str                                   # one line for --help
    description: str                            # the subcommand's --help text
    default_out: str                            # e.g. "workbooks/collab_filter.xlsx"
    add_arguments: Callable[[argparse.ArgumentParser], None]
    build: Callable[[argparse.Namespace], Book]  # parsed arguments -> a Book ready to write


def builders() -> dict[str, LessonBuilder]:
    """Every lesson package's BUILDER, by name, in a stable order."""
    found = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if not info.ispkg:
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        builder = getattr(module, "BUILDER", None)
        if isinstance(builder, LessonBuilder):
            found[builder.name] = builder
    return found
