"""`sheetnet build <lesson>`: generate a lesson workbook."""

from __future__ import annotations

import argparse
import os
import sys
import time

from .. import validate
from ..errors import UserError
from ..lessons import all_lessons


def _inputs(args) -> list[str]:
    """Every file named on the command line (ratings, a workbook to rebuild
    ...): the output must not be one of them."""
    return [v for k, v in vars(args).items() if k != "out" and isinstance(v, str) and os.path.isfile(v)]


def _write(lesson, args) -> int:
    from ..xlsx.writer import write_workbook
    out = args.out or lesson.default_out
    for name, (lo, hi) in _ranges(args):
        validate.ordered_pair((lo, hi), name)
    validate.output_file(out, (".xlsx",), _inputs(args))     # before building: a big book takes a while
    t0 = time.perf_counter()
    try:
        built = lesson.build(args)
    except UserError as exc:           # say which lesson's options led there
        raise type(exc)(f"build {lesson.name}: {exc}") from None
    t1 = time.perf_counter()
    for note in built.notes:
        print(f"{lesson.name}: {note}")
    book = built.book
    write_workbook(book, out)
    t2 = time.perf_counter()
    cells = sum(s.formula_count() for s in book.sheets)
    print(f"{out}: {len(book.sheets)} sheets, {cells:,} formula cells, "
          f"{os.path.getsize(out) / 1024:,.0f} KiB (built {t1 - t0:.2f} s, calculated and written {t2 - t1:.2f} s)")
    return 0


def _build_all(args) -> int:
    for lesson in all_lessons().values():
        defaults = lesson.default_args()
        defaults.out = None
        _write(lesson, defaults)
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "build", help="generate a lesson workbook (.xlsx with live formulas and correct cached values)",
        description="Generate a lesson workbook: live formulas with the values sheetnet computed cached in "
                    "the file, styles, notes and (where the lesson has one) the Excel Solver model. Output "
                    "is deterministic: the same arguments give the same bytes.")
    lessons = p.add_subparsers(dest="lesson", metavar="LESSON")
    for name, lesson in all_lessons().items():
        lp = lessons.add_parser(name, help=lesson.help, description=lesson.description,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
        lesson.add_arguments(lp)
        _checked_types(lp)
        lp.add_argument("--out", metavar="PATH", help=f"output file (default {lesson.default_out})")
        lp.set_defaults(run=lambda args, b=lesson: _write(b, args))
    lessons.add_parser("all", help="every lesson workbook with default settings").set_defaults(run=_build_all)
    p.set_defaults(run=lambda args: (p.print_help(file=sys.stderr), 2)[1])


def _checked_types(parser: argparse.ArgumentParser) -> None:
    """The rules every lesson's options follow, applied where the command line
    is parsed: a number is finite (no inf, no nan) and a seed is a whole
    number from 0 to 2**32 - 1."""
    for action in parser._actions:
        if action.dest == "seed":
            action.type = validate.seed
        elif action.type is float:
            action.type = validate.finite_float


def _ranges(args):
    """(option, (lo, hi)) for the LO HI options given (e.g. --sigmoid-range)."""
    for key, value in vars(args).items():
        if key.endswith("_range") and isinstance(value, (list, tuple)) and len(value) == 2:
            yield "--" + key.replace("_", "-"), value
