"""`sheetnet build graddesc`: the gradient-descent lesson as a macro-free workbook.

The lesson's workbook (graddesc.xlsm) runs each epoch with a VBA macro that
pastes values back to the top of the sheet.  Here every epoch is a block of
live formulas (:mod:`.sheet`); the numbers equal the macros' -- the numpy
mirror, :mod:`.mirror` -- bit for bit.  :mod:`.inputs` holds the data and
options, :mod:`.torchref` the optimisers in PyTorch, :mod:`.rows` the cross-check.
"""

from __future__ import annotations

import argparse
import math

import numpy as np

from ... import limits
from ...errors import UserError
from .. import Built, Lesson
from .macrobook import build_macro_book
from .inputs import (DEFAULT_EPOCHS, LESSON_INTERCEPT, LESSON_SLOPE, check_sizes, generate_data,
                     lesson_data, parse_lr, parse_optimizers)
from .mirror import OPTIMIZERS, Hyper, lesson_hyper
from .rows import rows
from ..readable import Guide
from .sheet import WARMUP_PASSES, build_book, split_epochs

__all__ = ["LESSON", "DEFAULT_EPOCHS", "WARMUP_PASSES", "build_book", "generate_data", "lesson_data", "parse_lr",
           "parse_optimizers", "make_workbook", "split_epochs"]


def make_workbook(x, y, epochs: int = DEFAULT_EPOCHS, optimizers=OPTIMIZERS,
                  lrs: dict[str, float] | None = None, data_note: str = "",
                  generator: tuple[float, float] | None = None, randbetween: bool = False) -> Built:
    """The workbook for data x, y with the lesson's hyperparameters, `lrs` overriding learning rates."""
    hypers: dict[str, Hyper] = {opt: lesson_hyper(opt, lr=(lrs or {}).get(opt)) for opt in optimizers}
    return build_book(x, y, epochs, optimizers, hypers, data_note=data_note, generator=generator,
                      randbetween=randbetween)


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS, metavar="N",
                   help=f"epochs after reset, each a block of live formulas (default {DEFAULT_EPOCHS})")
    p.add_argument("--seed", type=int, default=None, metavar="S",
                   help="draw x (integers 1..100) with this seed instead of the lesson's 29 values")
    p.add_argument("--points", type=int, default=None, metavar="P",
                   help="number of data points to draw (default 29; implies --seed 0 unless given)")
    p.add_argument("--slope", type=float, default=LESSON_SLOPE, metavar="A", help="y = A*x + B: A (default 2)")
    p.add_argument("--intercept", type=float, default=LESSON_INTERCEPT, metavar="B", help="B (default 30)")
    p.add_argument("--lr", nargs="+", action="extend", default=[], metavar="NAME=VALUE",
                   help="learning rates, e.g. --lr adam=0.1 sgd=2e-4 (a bare VALUE sets every optimiser); "
                        "defaults are the lesson's: sgd 1e-4, momentum 1e-4, rmsprop 0.02, adam 1, adam_ann 1")
    p.add_argument("--optimizers", default=None, metavar="LIST",
                   help=f"comma-separated subset of {','.join(OPTIMIZERS)} (default all)")
    p.add_argument("--randbetween", action="store_true",
                   help="add live =RANDBETWEEN(1,100) columns for a fresh draw to the data sheet")
    p.add_argument("--macros", action="store_true",
                   help="the lesson as taught: an .xlsm whose optimiser sheets hold one epoch, stepped by VBA "
                        "buttons (Reset, One step, Five steps; adam_ann anneals its lr); --out must end with "
                        ".xlsm (default workbooks/graddesc.xlsm)")


def _build(args: argparse.Namespace):
    macros = getattr(args, "macros", False)
    if macros and args.epochs != DEFAULT_EPOCHS:
        raise UserError("--macros: the buttons run the epochs (each sheet holds one); --epochs does not apply")
    check_sizes(args.epochs, args.points)
    for v, flag in ((args.slope, "--slope"), (args.intercept, "--intercept")):
        if not math.isfinite(v):
            raise UserError(f"{flag} must be a finite number")
    optimizers = parse_optimizers(getattr(args, "optimizers", None))
    lrs = parse_lr(args.lr, optimizers)
    with np.errstate(over="ignore", invalid="ignore"):
        x, y = generate_data(args.seed, args.points, args.slope, args.intercept)
    if not np.isfinite(y).all():            # the sheet would be #NUM! from its data on
        raise UserError(f"--slope {args.slope:g} --intercept {args.intercept:g}: y = A*x + B overflows for "
                        f"x = {x[~np.isfinite(y)][0]:g} (|y| must stay below 1.8e308)")
    # every epoch is a block of formulas per point and optimiser, evaluated cell by cell: measured
    # ~700 bytes a formula cell while building, calculating and writing (870,000 cells: 616 MB)
    cells = x.size * 16 * sum(args.epochs + 1 + WARMUP_PASSES[o] for o in optimizers)
    limits.require_cells(cells, f"--points {x.size} --epochs {args.epochs}: a workbook of {cells:,} formula cells",
                         bytes_per_cell=700)
    if args.seed is None and args.points is None:
        note = "x: the lesson's own 29 values (its frozen copy of one RANDBETWEEN(1,100) draw)"
    else:
        note = (f"x: {x.size} integers drawn from 1..100 with seed "
                f"{0 if args.seed is None else args.seed} (numpy default_rng)")
    if macros:
        hypers = {opt: lesson_hyper(opt, lr=lrs.get(opt)) for opt in optimizers}
        return build_macro_book(x, y, optimizers, hypers, data_note=note, generator=(args.slope, args.intercept),
                                randbetween=args.randbetween)
    return make_workbook(x, y, args.epochs, optimizers, lrs, data_note=note,
                         generator=(args.slope, args.intercept), randbetween=args.randbetween)


LESSON = Lesson(
    name="graddesc",
    help="gradient descent: SGD, momentum, RMSProp, Adam, Adam with annealing -- every epoch live",
    description=(
        "The lesson's gradient-descent workbook without macros: fit y = a*x + b one point at a time with\n"
        "five optimisers (sheets basic, momentum, rmsprop, adam, adam_ann).  Each sheet holds the reset\n"
        "warm-up passes and epochs 0..N as blocks of live formulas, each epoch starting from the previous\n"
        "one by the lesson's copy-back rule (the inputs of the last row, the optimiser state after it);\n"
        "adam_ann's learning-rate annealing is formulas too.  Hyperparameters are named cells: change\n"
        "lr, beta or beta_1/beta_2 and every epoch recalculates.  A summary sheet charts a, b and the\n"
        "error per epoch."),
    default_out="workbooks/graddesc.xlsx",
    add_arguments=_add_arguments,
    build=_build,
    rows=rows,
    guide=Guide(
        teaches=("Fitting y = a x + b one point at a time with SGD, momentum, RMSProp, Adam and Adam with "
                 "learning-rate annealing -- each optimiser on its own sheet.",
                 "Every epoch is a block of live formulas: the next block starts from the previous one's last "
                 "row, as the lesson's macro does when you press 'one step'."),
        edit=("data: a and b (yellow) -- y is computed from them -- or any x.",
              "Each optimiser sheet: the yellow learning rate and betas at the top, b start and a start.",
              "An epoch's lr cell (yellow) to change the rate from that epoch on."),
        watch=("b (intercept) and a (slope) in each epoch's header row: they head for 30 and 2.",
               "The error row under each block (sqrt of the summed squared errors) and the summary sheet's "
               "charts of a, b and the error per epoch for all five optimisers."),
        run=("Nothing to run: every cell recalculates as you edit, in any spreadsheet application.",
             "The lesson's macro buttons (reset, one step, five steps) are the epoch blocks here: reset is "
             "epoch 0, each block below is one more press of 'one step'.")),
)
