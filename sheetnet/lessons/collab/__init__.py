"""collab_filter: collaborative filtering in a spreadsheet -- matrix
factorisation with Excel Solver, one-hot products versus embedding look-ups.

    sheetnet build collab [--ratings FILE] [--users N --movies M] [--factors K]
                          [--seed S] [--sigmoid-range LO HI] [--out PATH]

The lesson's forms: :mod:`.inputs` (factors, biases, words; :mod:`.ratings`
reads MovieLens files and chooses users and movies), :mod:`.sheet` (the
workbook; :mod:`.layout` says which cells hold what), :mod:`.mirror` (numpy),
:mod:`.torchref` (nn.Embedding, the dot-product model and its training loop),
:mod:`.rows` (the cross-check); :mod:`.faithful` reads the lesson's original
workbook as inputs for the faithful rebuild.
"""

from __future__ import annotations

import argparse

from ...errors import UserError
from .. import Built, Lesson
from .inputs import CollabInputs, crosscheck_inputs, initial_inputs
from .layout import CollabLayout, collab_layout
from .ratings import Ratings, lesson_ratings, read_ratings, select_top
from .rows import rows
from ..readable import Guide
from .sheet import DEFAULT_MAX_CELLS, build_workbook

__all__ = ["LESSON", "build", "CollabInputs", "CollabLayout", "build_workbook", "initial_inputs",
           "crosscheck_inputs", "collab_layout", "Ratings", "read_ratings", "select_top", "lesson_ratings"]

DESCRIPTION = """\
The lesson's collab_filter workbook, five sheets with live formulas:

  dotprod         ratings crosstab, movie and user factor blocks, predictions
                  (MMULT, 0 where there is no rating) and the RMSE Solver minimises
  movielens_1hot  one row per rating: MATCH to indices, one-hot blocks, MMULT
                  activations, SUMPRODUCT prediction, squared error, RMSE
  movielens_emb   the same with OFFSET look-ups instead of one-hot products
  bias            dotprod plus a bias per user and per movie
  word_emb        the look-up idea on a short text

Default data: the lesson's 15 x 15 MovieLens ratings; factors start at random
from --seed.  --ratings reads MovieLens ratings.csv (userId,movieId,rating
[,timestamp], with header) or u.data (tab-separated, no header) and keeps the
--users and --movies with the most ratings.  Every model sheet carries an Excel
Solver model (Data > Solver opens filled in; `sheetnet solve` reads it too).
Sheets that would be huge (dotprod and bias are users x movies cells, the
one-hot sheet rows x (users + movies)) are left out above --max-cells;
movielens_emb is always built.
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--ratings", metavar="FILE",
                   help="MovieLens ratings.csv or u.data (default: the lesson's 15 x 15 ratings)")
    p.add_argument("--users", type=int, default=15, metavar="N", help="users with the most ratings to keep (15)")
    p.add_argument("--movies", type=int, default=15, metavar="M", help="movies with the most ratings to keep (15)")
    p.add_argument("--factors", type=int, default=5, metavar="K", help="factors per user and movie (5)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="seed of the random starting factors (0)")
    p.add_argument("--sigmoid-range", type=float, nargs=2, metavar=("LO", "HI"),
                   help="pass predictions through LO + (HI - LO) * sigmoid(x), e.g. 0 5.5")
    p.add_argument("--max-cells", type=int, default=DEFAULT_MAX_CELLS, metavar="CELLS",
                   help=f"leave out dotprod/bias and movielens_1hot above this many formula cells "
                        f"({DEFAULT_MAX_CELLS:,})")
    # Rebuild the original lesson workbook's formulas from its own inputs (tests, comparisons).
    p.add_argument("--faithful-from", metavar="XLSX", help=argparse.SUPPRESS)


def build(args: argparse.Namespace) -> Built:
    """Parsed `sheetnet build collab` arguments -> the workbook, its roles and what was left out."""
    if getattr(args, "faithful_from", None):
        from .faithful import inputs_from_workbook
        return build_workbook(inputs_from_workbook(args.faithful_from), faithful=True)
    for flag, value in (("--users", args.users), ("--movies", args.movies), ("--factors", args.factors)):
        if value < 1:
            raise UserError(f"{flag} must be at least 1 (got {value})")
    if args.max_cells < 0:
        raise UserError(f"--max-cells must not be negative (got {args.max_cells})")
    data = read_ratings(args.ratings) if args.ratings else lesson_ratings()
    ratings = select_top(data, args.users, args.movies)
    inputs = initial_inputs(ratings, factors=args.factors, seed=args.seed)
    sig = tuple(args.sigmoid_range) if args.sigmoid_range else None
    return build_workbook(inputs, sigmoid_range=sig, max_cells=args.max_cells)


LESSON = Lesson(
    name="collab",
    help="collab_filter.xlsx: matrix factorisation, one-hot vs embeddings, Solver",
    description=DESCRIPTION,
    default_out="workbooks/collab_filter.xlsx",
    add_arguments=add_arguments,
    build=build,
    rows=rows,
    guide=Guide(
        teaches=("Collaborative filtering as matrix factorisation: each user and each movie gets 5 latent "
                 "factors, a prediction is their dot product, and Excel's Solver fits the factors to the ratings.",
                 "bias adds one number per user and per movie; movielens_1hot and movielens_emb show that an "
                 "embedding look-up (OFFSET) is exactly a one-hot vector times the factor table (MMULT).",
                 "word_emb: the same look-up on a short text."),
        edit=("dotprod / bias: the yellow factor blocks (movie factors above the predictions, user factors to "
              "their left) -- or leave them to Solver.",
              "The green ratings crosstab at the top: change a rating and the RMSE moves.",
              "movielens_1hot / movielens_emb: the yellow factor tables on the left."),
        watch=("The RMSE cell (orange, bottom right of dotprod and bias): the error Solver minimises.",
               "The predictions block, coloured like the ratings above it: after Solver they look alike.",
               "The one-hot blocks (coloured 1s) and the activations beside them: the same numbers as "
               "movielens_emb's look-ups."),
        run=("Data > Solver opens with each sheet's model filled in (objective: the RMSE; changing cells: the "
             "factors): press Solve.  Excel's built-in Solver takes at most 200 changing cells.",
             "Without Excel: `sheetnet solve collab_filter.xlsx --sheet dotprod` does the same, exactly.")),
    heatmaps=("ratings", "predictions", "user_onehot", "movie_onehot"),
)
