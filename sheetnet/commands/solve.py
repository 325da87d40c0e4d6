"""`sheetnet solve`: run a workbook's Excel Solver model with scipy."""

from __future__ import annotations

import json
import os
import sys

from .. import validate
from ..errors import UserError


def _default_out(path: str) -> str:
    root, ext = os.path.splitext(path)
    return f"{root}.solved{ext}"


def _run(args) -> int:
    from ..progress import Progress
    from ..solver import problem_from_book, solve
    from ..xlsx.patch import write_patched
    from ..xlsx.reader import read_workbook

    if args.in_place and args.out:
        raise UserError("--out and --in-place exclude each other")
    out = args.file if args.in_place else (args.out or _default_out(args.file))
    if not args.in_place and validate.same_file(out, args.file):
        raise UserError(f"{out}: that is the input file; pass --in-place to overwrite it")
    # the copy keeps the input's content type (and VBA project): its suffix must say the same
    suffix = os.path.splitext(args.file)[1].lower()
    suffixes = (suffix,) if suffix in (".xlsx", ".xlsm") else (".xlsx", ".xlsm")
    validate.output_file(out, suffixes, () if args.in_place else (args.file,),
                         option="--in-place" if args.in_place else "--out")
    book = read_workbook(args.file)
    problem = problem_from_book(book, args.sheet, args.file)
    if not args.json:
        print(f"{args.file}: Solver model on {problem.model.sheet!r}: {problem.model.goal} {problem.objective_text} "
              f"over {problem.size} changing cells ({', '.join(v.text for v in problem.variables)})")
    with Progress(f"solving {problem.model.sheet}", enabled=None if not args.json else False) as bar:
        result = solve(problem, progress=bar, exact=not args.finite_differences)
    written = write_patched(book, args.file, out)
    if args.json:
        data = result.to_json()
        data["out"] = out
        data["cells_written"] = written
        print(json.dumps(data, indent=1))
    else:
        print(f"  objective {result.objective}: {result.objective_start:.6f} -> {result.objective_final:.6f} "
              f"in {result.iterations} iterations, {result.seconds:.2f} s ({result.gradient})")
        if not result.converged:
            print(f"  note: the optimiser stopped without converging: {result.message}")
        print(f"  wrote {out} ({written} cells updated)")
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "solve", help="run a workbook's Excel Solver model (solver_* names) with scipy",
        description="Read a sheet's Excel Solver model from its hidden solver_* names (objective, goal, "
                    "changing cells), minimise or maximise it with scipy's L-BFGS-B, and write the solved "
                    "changing cells and every recomputed cached value to a new file (FILE.solved.xlsx by "
                    "default; the input is only overwritten with --in-place). Gradients are exact -- the "
                    "formula graph is differentiated with torch autograd -- when the model's formulas allow, "
                    "else finite differences as Excel's GRG uses.")
    p.add_argument("file", metavar="FILE", help=".xlsx/.xlsm workbook with a Solver model")
    p.add_argument("--sheet", help="the sheet whose model to run (needed when several sheets have one)")
    p.add_argument("--out", metavar="PATH", help="output file (default FILE.solved.xlsx)")
    p.add_argument("--in-place", action="store_true", help="overwrite the input file")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object: sheet, objective_start, objective_final, iterations, seconds, ...")
    p.add_argument("--finite-differences", action="store_true",
                   help="use finite differences even when exact gradients are available")
    p.set_defaults(run=_run)


__all__ = ["register", "sys"]
