"""conv: convolutions, max-pooling, a dense layer and dropout, by hand, on one digit.

    sheetnet build conv [--image digit.png|digit.csv] [--filters FILE] [--stride 2]
                        [--dropout P] [--seed S] [--live-rand] [--out PATH]

The lesson's forms: :mod:`.inputs` (the digit, filters, weights, draws; a PNG
reader), :mod:`.sheet` (the two sheets; :mod:`.layout` says where each map
lives), :mod:`.mirror` (numpy), :mod:`.torchref` (F.conv2d, F.relu,
F.max_pool2d, F.linear), :mod:`.rows` (the cross-check); :mod:`.faithful`
reads the lesson's original workbook for the faithful rebuild.
"""

from __future__ import annotations

import argparse

from .. import Built, Lesson
from .inputs import ConvInputs, read_filters, read_image, seeded_inputs
from .rows import rows
from ..readable import Guide
from .sheet import build_book

__all__ = ["LESSON", "ConvInputs", "build_book", "seeded_inputs"]

DESCRIPTION = """\
The lesson's convolution workbook: one 28 x 28 digit pushed by hand through a
tiny CNN, on two sheets laid out as the lesson's conv-example.xlsx.

  conv-example            the digit; layer 1: two 3 x 3 filters (horizontal and
                          vertical edges), each cell {=MAX(0,SUM(window*filter))};
                          layer 2: filters spanning both channels; 2 x 2 max-pooling;
                          a dense output, SUMPRODUCT of weights and pooled maps
  conv-example (dropout)  the same with dropout after layer 2: a random number per
                          cell, the mask (the number if it beats p, else 0), the kept
                          activations (no 1/(1-p) rescaling, unlike torch) and the
                          realised dropout rate per map

Colour scales show the digit and every map as pictures.  Default digit: a 7 from
scikit-learn's handwritten digits (shipped with sheetnet), upsampled.  The dropout
draws are drawn from --seed and stored as values (--live-rand keeps =RAND(), as the
lesson does: every recalculation draws a new mask)."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--image", metavar="FILE",
                   help="the digit: a PNG (resampled to 28 x 28, grey) or a CSV of 28 x 28 numbers in 0..1")
    p.add_argument("--filters", metavar="FILE",
                   help="3 x 3 filters, a row of 3 numbers a line: 6 rows (layer 1's two filters) or 18 "
                        "(then layer 2's four); default: the lesson's edge detectors, layer 2 from --seed")
    p.add_argument("--stride", type=int, default=1, choices=(1, 2),
                   help="2: a stride-two second convolution instead of max-pooling (default 1)")
    p.add_argument("--dropout", type=float, default=0.5, metavar="P", help="dropout probability (default 0.5)")
    p.add_argument("--seed", type=int, default=0, metavar="S",
                   help="seed of layer 2's filters, the dense weights and the dropout draws (0)")
    p.add_argument("--live-rand", action="store_true",
                   help="keep =RAND() in the dropout sheet (a new mask on every recalculation) instead of "
                        "the stored draws")
    # Rebuild the original lesson workbook's formulas from its own inputs (tests, comparisons).
    p.add_argument("--faithful-from", metavar="XLSX", help=argparse.SUPPRESS)


def build(args: argparse.Namespace) -> Built:
    if getattr(args, "faithful_from", None):
        from .faithful import inputs_from_workbook
        return build_book(inputs_from_workbook(args.faithful_from))
    image, source = (read_image(args.image), f"read from {args.image}") if args.image else (None, "")
    filters1, filters2 = read_filters(args.filters) if args.filters else (None, None)
    return build_book(seeded_inputs(image, source, filters1, filters2, p=args.dropout, seed=args.seed,
                                    stride=args.stride, live_rand=args.live_rand))


LESSON = Lesson(
    name="conv",
    help="conv_example.xlsx: convolutions, ReLU, max-pooling, a dense layer and dropout on one digit",
    description=DESCRIPTION,
    default_out="workbooks/conv_example.xlsx",
    add_arguments=add_arguments,
    build=build,
    rows=rows,
    guide=Guide(
        teaches=("A convolutional network by hand on one handwritten digit: two 3 x 3 filters with ReLU, a "
                 "second layer whose filters span both channels, 2 x 2 max-pooling and a dense output.",
                 "The dropout sheet: the same network with a random mask between layer 2 and the pooling."),
        edit=("The yellow filter weights beside each layer (layer 1: two 3 x 3 filters; layer 2: two per "
              "output map) and the dense layer's weights.",
              "The digit's pixels (a colour-scaled block on the left) -- paint your own digit.",
              "The dropout sheet: the dropout probability p in its yellow cell."),
        watch=("Every map is colour-scaled, so the activations show as pictures: edges in layer 1, "
               "corners and strokes in layer 2, the pooled maps half the size.",
               "The dense output (orange): one number from the whole picture."),
        run=("Nothing to run: every cell recalculates as you edit.",
             "With --live-rand the dropout mask is =RAND(): a new mask on every recalculation (F9).")),
)
