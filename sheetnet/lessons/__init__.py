"""The lessons, and the one shape every lesson has.

A lesson is a package ``sheetnet/lessons/<name>/`` holding its four forms side
by side::

    inputs.py    the lesson's numbers, options and readers (what a student types in)
    sheet.py     the builder: inputs -> Built(book, roles); the workbook's live formulas
    mirror.py    numpy, a few lines per quantity, reading like the maths (quirks included)
    torchref.py  the idiomatic PyTorch form, device- and dtype-aware
    rows.py      the cross-check rows: each quantity's forms, its tolerance and the reason

and its ``__init__`` defines ``LESSON``, a :class:`Lesson`: the command-line
options, ``build(args) -> Built`` and ``rows(setting) -> [Row]``.  ``sheetnet
build``, ``sheetnet crosscheck`` and the tests discover lessons through
:data:`LESSONS` -- adding a lesson is its own folder plus one name there.

Cells are found by **role**, never by column letters or labels: a builder
publishes ``role -> (sheet, area)`` as :class:`Roles`, and every role is written
into the workbook as a defined name local to its sheet (Excel's Name box shows
them; ``Roles.from_book`` reads them back from any generated file).
"""

from __future__ import annotations

import argparse
import importlib
import re
from dataclasses import dataclass, field
from typing import Callable, Iterator

import numpy as np

from ..book import Book
from ..refs import Area, absolute_ref, is_cell_name, parse_area, split_sheet

#: Every lesson, in the order `build all` and `crosscheck` take them.  A new
#: lesson's only line outside its own folder is its name here.
LESSONS = ("collab", "graddesc", "entropy", "conv")

# Excel's rule for defined names: a letter, "_" or "\" first, then letters,
# digits, "_" and "."; never a cell address ("exp1") or R1C1 ("r", "c", "R1C1").
_NAME_RE = re.compile(r"^[A-Za-z_\\][A-Za-z0-9_.]*$")
_R1C1_NAME_RE = re.compile(r"^[RrCc](\d*|[RrCc]\d*|\d+[Cc]\d*)$")


@dataclass(frozen=True)
class Cells:
    """Where one role lives: a sheet and a rectangle on it."""

    sheet: str
    name: str
    area: Area

    @property
    def ref(self) -> str:
        """Absolute and qualified: "dotprod!$H$25:$V$39"."""
        return absolute_ref(self.area, self.sheet)

    def __str__(self) -> str:
        return f"{self.sheet} {self.area.a1}"


class Roles:
    """``(sheet, name) -> Cells``: the cells a lesson publishes, in the order it added them."""

    def __init__(self, cells=()):
        self._cells: dict[tuple[str, str], Cells] = {}
        for c in cells:
            self.add(c.sheet, c.name, c.area)

    def add(self, sheet: str, name: str, area: Area) -> Cells:
        if not _NAME_RE.match(name) or is_cell_name(name) or _R1C1_NAME_RE.match(name):
            raise ValueError(f"role {name!r} on {sheet!r} is not a valid Excel name")
        key = (sheet, name)
        if key in self._cells:
            raise ValueError(f"role {name!r} on {sheet!r} is published twice")
        self._cells[key] = cell = Cells(sheet, name, area)
        return cell

    def __getitem__(self, key: tuple[str, str]) -> Cells:
        try:
            return self._cells[key]
        except KeyError:
            raise KeyError(f"no role {key[1]!r} on sheet {key[0]!r}") from None

    def __contains__(self, key) -> bool:
        return key in self._cells

    def __iter__(self) -> Iterator[Cells]:
        return iter(self._cells.values())

    def __len__(self) -> int:
        return len(self._cells)

    def on(self, sheet: str) -> dict[str, Area]:
        """name -> Area for one sheet's roles."""
        return {c.name: c.area for c in self if c.sheet == sheet}

    def values(self, engine, sheet: str, name: str) -> np.ndarray:
        """A role's computed numbers (2-D, NaN where a cell holds no number)."""
        return engine.values(sheet, self[sheet, name].area.a1)

    def write(self, book: Book) -> None:
        """Every role as a defined name local to its sheet."""
        for c in self:
            book.define_name(c.name, c.ref, scope=c.sheet)

    @classmethod
    def from_book(cls, book: Book) -> "Roles":
        """The roles of a generated workbook (also one read back from its file): every sheet-local
        name that refers to one rectangle of its own sheet, Solver's hidden names aside."""
        roles = cls()
        for n in book.names:
            if n.scope is None or n.name.lower().startswith("solver_"):
                continue
            sheet, text = split_sheet(n.refers_to)
            if sheet is None or sheet.casefold() != n.scope.casefold():
                continue
            try:
                roles.add(n.scope, n.name, parse_area(text.replace("$", "")))
            except ValueError:
                continue
        return roles


@dataclass
class Built:
    """A lesson workbook and where its quantities live.  Building one writes
    its roles into the book as defined names."""

    book: Book
    roles: Roles
    notes: list[str] = field(default_factory=list)   # one line each, printed by `sheetnet build`
    guide: object | None = None                      # a "Start here" Guide other than the lesson's

    def __post_init__(self):
        self.roles.write(self.book)


@dataclass(frozen=True)
class Lesson:
    name: str                                          # `sheetnet build <name>`, `crosscheck --lesson <name>`
    help: str                                          # one line for --help
    description: str                                   # the subcommand's --help text
    default_out: str                                   # e.g. "workbooks/collab_filter.xlsx"
    add_arguments: Callable[[argparse.ArgumentParser], None]
    build: Callable[[argparse.Namespace], Built]       # parsed arguments -> the workbook and its roles
    rows: Callable[..., list] | None = None            # crosscheck rows: rows(setting) -> [crosscheck.Row]
    guide: object | None = None                        # readable.Guide: the workbook's "Start here" sheet
    heatmaps: tuple[str, ...] = ()                     # roles shown as colour scales (ratings, one-hot ...)

    def workbook(self, args: argparse.Namespace) -> Built:
        """The workbook as `sheetnet build` writes it: built, calculated, then made readable and
        printable (number formats, widths, wrapped headers, page setup, "Start here")."""
        from ..engine import Engine
        from .readable import make_readable
        from ..style import ColorScale
        built = self.build(args)
        for c in built.roles:
            if c.name in self.heatmaps:
                built.book[c.sheet].color_scales.append(ColorScale((c.area,)))
        Engine(built.book).recalc()
        make_readable(built.book, f"{self.name}: {self.help}", built.guide or self.guide)
        return built

    def default_args(self, argv=()) -> argparse.Namespace:
        """The lesson's options as `sheetnet build <name> ARGV` parses them."""
        parser = argparse.ArgumentParser(add_help=False)
        self.add_arguments(parser)
        return parser.parse_args(list(argv))


def lesson(name: str) -> Lesson:
    return importlib.import_module(f"{__name__}.{name}").LESSON


def all_lessons() -> dict[str, Lesson]:
    """name -> Lesson for every registered lesson, in :data:`LESSONS` order."""
    return {name: lesson(name) for name in LESSONS}
