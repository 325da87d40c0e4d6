"""`sheetnet build <lesson>`: generate a lesson workbook."""

from __future__ import annotations

import argparse
import os
import sys
import time

from .. import validate
from ..errors import UserError
from ..progress import Progress
from ..lessons import all_lessons
from ..lessons.solver_limits import EXCEL_MAX_CHANGING, EXCEL_MAX_CONSTRAINTS, apply_excel_limits


def _inputs(args) -> list[str]:
    """Every file named on the command line (ratings, a workbook to rebuild
    ...): the output must not be one of them."""
    return [v for k, v in vars(args).items() if k != "out" and isinstance(v, str) and os.path.isfile(v)]


def _write(lesson, args) -> int:
    macros = getattr(args, "macros", False)              # graddesc --macros: an .xlsm with VBA buttons
    suffix = ".xlsm" if macros else ".xlsx"
    out = args.out or os.path.splitext(lesson.default_out)[0] + suffix
    for name, (lo, hi) in _ranges(args):
        validate.ordered_pair((lo, hi), name)
    validate.output_file(out, (suffix,), _inputs(args))     # before building: a big book takes a while
    t0 = time.perf_counter()
    with Progress(f"build {lesson.name}", total=2) as bar:      # a 100,000-rating book takes a while
        bar.update(0, note="building and calculating")
        try:
            built = lesson.workbook(args)
        except UserError as exc:           # say which lesson's options led there
            raise type(exc)(f"build {lesson.name}: {exc}") from None
        t1 = time.perf_counter()
        bar.update(1, note="writing")
        _finish(lesson, built, args, out)
        bar.update(1, note="")
    t2 = time.perf_counter()
    book = built.book
    cells = sum(s.formula_count() for s in book.sheets)
    # the one-line summary (also off a terminal)
    print(f"{out}: {len(book.sheets)} sheets, {cells:,} formula cells, "
          f"{os.path.getsize(out) / 1024:,.0f} KiB (built and calculated {t1 - t0:.2f} s, written {t2 - t1:.2f} s)")
    return 0


def _finish(lesson, built, args, out: str) -> None:
    """Excel's Solver limits, the builder's notes, then the file."""
    from ..xlsx.writer import write_workbook
    try:
        limits = apply_excel_limits(built.book, refuse=getattr(args, "solver_limit", False))
    except UserError as e:
        raise UserError(f"{out}: {e}") from None
    for note in built.notes:
        print(f"{lesson.name}: {note}")
    for line in limits:
        print(f"sheetnet: warning: {out}: {line}", file=sys.stderr)
    write_workbook(built.book, out, recalc=False)      # calculated by lesson.workbook


def _build_all(args) -> int:
    """Every lesson with its default settings, into one folder (made if missing), each under
    its default file name: `build all --out DIR` works from any directory."""
    folder = args.out or os.path.dirname(next(iter(all_lessons().values())).default_out)
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise UserError(f"{folder}: not a folder (build all --out takes a folder)")
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as e:
        raise UserError(f"{folder}: cannot make the folder ({e.strerror or e})") from None
    for lesson in all_lessons().values():
        defaults = lesson.default_args()
        defaults.out = os.path.join(folder, os.path.basename(lesson.default_out))
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
        lp.add_argument("--solver-limit", action="store_true",
                        help=f"refuse (exit 2) a Solver model past Excel's built-in Solver limits "
                             f"({EXCEL_MAX_CHANGING} changing cells, {EXCEL_MAX_CONSTRAINTS} constraints) "
                             f"instead of warning and writing a note on its objective cell")
        lp.set_defaults(run=lambda args, b=lesson: _write(b, args))
    every = lessons.add_parser("all", help="every lesson workbook with default settings",
                               description="Build every lesson workbook with its default settings into one "
                                           "folder (workbooks/ unless --out; made if missing).")
    every.add_argument("--out", metavar="DIR", help="output folder (default workbooks)")
    every.set_defaults(run=_build_all)
    p.set_defaults(run=lambda args: (p.print_help(file=sys.stderr), 2)[1])


def _checked_types(parser: argparse.ArgumentParser) -> None:
    """The rules every lesson's options follow, applied where the command line
    is parsed: a number is a plain decimal and finite (no inf, no nan, no
    '1_000'), and a seed is a whole number from 0 to 2**32 - 1."""
    for action in parser._actions:
        if action.dest == "seed":
            action.type = validate.seed
        elif action.type is float:
            action.type = validate.finite_float
        elif action.type is int:
            action.type = validate.int_range()


def _ranges(args):
    """(option, (lo, hi)) for the LO HI options given (e.g. --sigmoid-range)."""
    for key, value in vars(args).items():
        if key.endswith("_range") and isinstance(value, (list, tuple)) and len(value) == 2:
            yield "--" + key.replace("_", "-"), value
