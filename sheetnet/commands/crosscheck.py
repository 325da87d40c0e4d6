"""`sheetnet crosscheck`: every lesson quantity from the sheet (the engine on the
generated workbook), the numpy mirror and PyTorch, compared within stated
tolerances (see sheetnet.crosscheck)."""

from __future__ import annotations

import argparse
import json

from ..errors import UserError
from ..lessons import LESSONS

DESCRIPTION = """\
Build each lesson's workbook in memory with its default seeded inputs, evaluate it
with sheetnet's engine, compute the same quantities with the numpy mirror and with
PyTorch (--device, --dtype), and print one row per quantity: the forms compared,
the largest disagreement among them, the tolerance and a verdict.  Pairs of
float64 forms (sheet, mirror) must agree exactly unless the row says why not;
pairs involving torch within the tolerance the lesson states for the quantity
and dtype (--explain prints the reasons).

Exit status: 0 when every row agrees, 1 when some row does not, 2 for bad
input (an unknown lesson, --device cuda without a GPU, no PyTorch)."""


def _run(args) -> int:
    from ..crosscheck import DEFAULT_EPOCHS, crosscheck, format_table, parse_lessons
    from ..devices import require_torch, resolve_device, resolve_dtype

    lessons = parse_lessons(args.lesson)
    require_torch()
    resolve_device(args.device)            # a clear line before any work: no CUDA, unknown device
    resolve_dtype(args.dtype)
    epochs = DEFAULT_EPOCHS if args.epochs is None else _epochs(args.epochs)
    report = crosscheck(lessons, device=args.device, dtype=args.dtype, epochs=epochs)
    if args.json:
        print(json.dumps(report.to_json(), indent=1))
    else:
        print(format_table(report, explain=args.explain))
    return 0 if report.ok else 1


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "crosscheck", help="compare every lesson quantity: the sheet (engine), the numpy mirror and PyTorch",
        description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--lesson", default="all", metavar="LESSON",
                   help=f"{', '.join(LESSONS)} or all (default all); a comma-separated list works too")
    p.add_argument("--device", default="cpu", help="torch device: cpu (default), cuda, cuda:N or auto")
    p.add_argument("--dtype", default="float64", help="torch dtype: float64 (default) or float32")
    p.add_argument("--epochs", default=None, metavar="N",
                   help="graddesc: epochs after reset, 0 to 100 (default 5, the lesson's somesteps; past 5, "
                        "torch runs each epoch from the sheet's state going into it, so the 5-epoch "
                        "tolerances hold: end to end, adam_ann's trajectories part ways near the optimum)")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object: ok, device, dtype, rows (each with lesson, quantity, "
                        "max_abs_diff, tolerance, ok, forms, ...)")
    p.add_argument("--explain", action="store_true", help="print the reason behind every tolerance used")
    p.set_defaults(run=_run)


def _epochs(text: str) -> int:
    """--epochs as a whole number (checked here, not by argparse, so a bad value is one line)."""
    try:
        return int(text)
    except ValueError:
        raise UserError(f"--epochs {text}: expected a whole number") from None


__all__ = ["register"]
