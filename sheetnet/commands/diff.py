"""`sheetnet diff A.xlsx B.xlsx`: the cells whose formulas or stored values differ."""

from __future__ import annotations

import json
import math

from .. import validate
from ..errors import UserError


def _run(args) -> int:
    from ..diff import diff_books, format_diff
    from ..xlsx.reader import read_workbook
    if not (math.isfinite(args.rtol) and args.rtol >= 0):
        raise UserError(f"--rtol {args.rtol}: must be a finite number >= 0")
    if args.max < 1:
        raise UserError(f"--max {args.max}: must be 1 or more")
    d = diff_books(read_workbook(args.a), read_workbook(args.b), rtol=args.rtol)
    d.path_a, d.path_b = args.a, args.b
    print(json.dumps(d.to_json(), indent=1) if args.json else format_diff(d, limit=args.max))
    return 0 if d.same else 1


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "diff", help="list the cells whose formulas or stored values differ between two workbooks",
        description="Compare two workbooks cell by cell -- a lesson workbook and a student's copy, say: every "
                    "cell whose formula or stored value differs, sheet by sheet (formula, value, added or "
                    "removed), and sheets only one file has. Numbers compare within --rtol. Exit status: 0 "
                    "when the workbooks are the same, 1 when they differ, 2 when one cannot be read.")
    p.add_argument("a", metavar="A.xlsx")
    p.add_argument("b", metavar="B.xlsx")
    p.add_argument("--json", action="store_true",
                   help="one object: a, b, same, sheets_only_in_a, sheets_only_in_b, count, cells [{sheet, cell, "
                        "change, formula_a, formula_b, value_a, value_b}]")
    p.add_argument("--rtol", type=validate.finite_float, default=1e-9, help="relative tolerance for numbers (default 1e-9)")
    p.add_argument("--max", type=validate.int_range(), default=50, metavar="N", help="cells listed per sheet (default 50)")
    p.set_defaults(run=_run)
