"""`sheetnet build entropy`: the softmax / cross-entropy lesson workbook.

Python API::

    from sheetnet.lessons.entropy import build_book, seeded_inputs, inputs_from_workbook
    from sheetnet.lessons.entropy import mirror

    inputs = inputs_from_workbook("../shared/lesson-workbooks/entropy_example.xlsx")
    built = build_book(inputs, log="base10")           # or "natural"; faithful=True for the lesson as taught
    built.roles["cross_entropy", "loss"]               # -> Cells(sheet, name, area) ...
    expected = mirror.book_values(inputs, log="base10")  # the same keys, numpy values

The lesson's forms: :mod:`.inputs`, :mod:`.sheet` (:mod:`.layout` says where
each quantity lives), :mod:`.mirror`, :mod:`.torchref`, :mod:`.rows`.
"""

from __future__ import annotations

import argparse

from .. import Lesson
from .inputs import (LESSON_CLASSES, EntropyInputs, check_images, inputs_from_workbook, parse_classes,
                     seeded_inputs)
from .layout import SHEETS, Layout, log_of
from .rows import rows
from ..readable import Guide
from .sheet import build_book

__all__ = ["LESSON", "EntropyInputs", "LESSON_CLASSES", "Layout", "SHEETS", "build_book",
           "inputs_from_workbook", "log_of", "seeded_inputs"]

DESCRIPTION = """\
Generate the softmax / cross-entropy workbook of the lesson:

  softmax        class outputs per image, EXP, softmax = exp/sum, the sigmoid
                 "binary" column, and the numerically safe softmax (subtract
                 the max first: EXP overflows above 709.78)
  entropy        binary cross-entropy as -y*log p-(1-y)*log(1-p) and as
                 -IF(y=1,log p,log(1-p)), in both log bases, ratio ln 10
  log_entropy    the same as a one-hot dot product and as a look-up
                 (MATCH(1,row,0), then OFFSET / INDEX)
  cross_entropy  images as rows: softmax, then -log of the true class's
                 probability by look-up, and the mean over the images

--log base10 uses Excel's LOG as the lesson does (every loss is PyTorch's
divided by ln 10); --log natural uses LN and matches torch.nn.functional's
binary_cross_entropy and cross_entropy.  Inputs are drawn from --seed."""


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--classes", default=",".join(LESSON_CLASSES), metavar="NAMES",
                   help=f"comma-separated class names (default {','.join(LESSON_CLASSES)})")
    p.add_argument("--images", type=int, default=4, metavar="N", help="number of images (default 4)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="seed of the drawn inputs (default 0)")
    p.add_argument("--log", choices=("natural", "base10"), default="natural",
                   help="natural: LN, as PyTorch (default); base10: Excel's LOG, as the lesson")


def _build(args: argparse.Namespace):
    classes = parse_classes(args.classes)
    check_images(args.images)
    return build_book(seeded_inputs(classes, args.images, args.seed), log=args.log)


LESSON = Lesson(
    name="entropy",
    help="softmax and cross-entropy (LOG base 10 as in the lesson, or LN as in PyTorch)",
    description=DESCRIPTION,
    default_out="workbooks/entropy_example.xlsx",
    add_arguments=_add_arguments,
    build=_build,
    rows=rows,
    guide=Guide(
        teaches=("softmax turns scores into probabilities; cross-entropy scores them against the right "
                 "answer -- binary (entropy, log_entropy) and multi-class (cross_entropy).",
                 "The lesson's LOG is base 10: every loss here is shown in both bases, the factor ln 10 apart."),
        edit=("softmax: the yellow scores of each image (try one above 710: the naive softmax overflows, the "
              "safe one does not).",
              "entropy / log_entropy: the green targets and the yellow predictions p.",
              "cross_entropy: the yellow scores and the green one-hot targets."),
        watch=("The softmax columns (they sum to 1) and the sigmoid beside them.",
               "The losses: small when the prediction for the right class is near 1, large when near 0."),
        run=("Nothing to run: every cell recalculates as you edit.",)),
)
