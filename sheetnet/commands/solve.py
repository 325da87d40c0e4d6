"""`sheetnet solve`: run a workbook's Excel Solver model."""

from __future__ import annotations

import json
import os
import sys

from .. import validate
from ..errors import UserError


def _default_out(path: str) -> str:
    root, ext = os.path.splitext(path)
    return f"{root}.solved{ext}"


def _say_plan(plan) -> None:
    """What the solve will do, on stderr (so --json output stays one object):
    finite differences and their expected cost."""
    if not plan.exact:
        per = plan.seconds_per_evaluation
        print(f"sheetnet: note: gradients by {plan.gradient}: {plan.evaluations_per_gradient} recalculations "
              f"per iteration at {per:.3g} s each, about {_duration(per * plan.evaluations_per_gradient)} an "
              f"iteration -- about {_duration(plan.estimate_seconds)} for a typical 100 iterations "
              f"(with torch installed the gradients are exact and take one evaluation)", file=sys.stderr)


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.2g} s" if seconds < 10 else f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _run(args) -> int:
    from ..progress import Progress
    from ..lessons.solver_limits import excel_limit_problems
    from ..solver import problem_from_book, solve
    from ..solver.constraints import read_constraints
    from ..solver.defaults import DEFAULT_MAX_ITER
    from ..solver.report import answer_report, report_rows, report_sheet_name, sheet_xml
    from ..xlsx.patch import write_patched
    from ..xlsx.reader import read_workbook

    if args.in_place and args.out:
        raise UserError("--out and --in-place exclude each other")
    for option, value in (("--max-iter", args.max_iter), ("--tol", args.tol), ("--gtol", args.gtol),
                          ("--lr", args.lr)):
        if value is not None and not value > 0:
            raise UserError(f"{option} must be positive (got {value:g})")
    out = args.file if args.in_place else (args.out or _default_out(args.file))
    if not args.in_place and validate.same_file(out, args.file):
        raise UserError(f"{out}: that is the input file; pass --in-place to overwrite it")
    # the copy keeps the input's content type (and VBA project): its suffix must say the same
    suffix = os.path.splitext(args.file)[1].lower()
    suffixes = (suffix,) if suffix in (".xlsx", ".xlsm") else (".xlsx", ".xlsm")
    validate.output_file(out, suffixes, () if args.in_place else (args.file,),
                         option="--in-place" if args.in_place else "--out")
    if args.device != "cpu":
        from ..devices import resolve_device
        resolve_device(args.device)          # no CUDA here: one clear line before any work
    book = read_workbook(args.file)
    problem = problem_from_book(book, args.sheet, args.file)
    constraints = read_constraints(problem)
    # sheetnet has no such limits, but a model past Excel's will not run in Excel: say so
    notes = [line for model, line in excel_limit_problems(book) if model.sheet == problem.model.sheet]
    if not args.json:
        print(f"{args.file}: Solver model on {problem.model.sheet!r}: {problem.model.goal} {problem.objective_text} "
              f"over {problem.size} changing cells ({', '.join(v.text for v in problem.variables)})"
              + (f", {len(constraints)} constraint(s)" if constraints else ""))
    for line in notes:
        print(f"sheetnet: note: {line}", file=sys.stderr)
    steps = (args.max_iter or DEFAULT_MAX_ITER["adam"]) if args.method == "adam" else None   # adam: a known length
    with Progress(f"solving {problem.model.sheet}", total=steps, enabled=None if not args.json else False) as bar:
        result = solve(problem, method=args.method, max_iterations=args.max_iter, tol=args.tol, seed=args.seed,
                       device=args.device, lr=args.lr, progress=bar, exact=not args.finite_differences,
                       on_plan=_say_plan, gtol=args.gtol)
    report = answer_report(problem, result, constraints)
    extra = []
    if not args.no_report:
        name = report_sheet_name([s.name for s in book.sheets])
        extra.append((name, sheet_xml(report_rows(report, result, os.path.basename(args.file)))))
    written = write_patched(book, args.file, out, add_sheets=extra)
    if args.json:
        data = result.to_json()
        data.update(out=out, cells_written=written, notes=notes, report_sheet=extra[0][0] if extra else None,
                    report=report)
        print(json.dumps(data, indent=1))
    else:
        print(f"  objective {result.objective}: {result.objective_start:.6f} -> {result.objective_final:.6f} "
              f"in {result.iterations} iterations, {result.seconds:.2f} s ({result.method}, {result.gradient}"
              f"{', ' + result.device if result.device != 'cpu' else ''})")
        if result.interrupted:
            print("  interrupted (Ctrl-C): writing the best point found so far")
        elif not result.converged:
            print(f"  note: the optimiser stopped without converging: {result.message}")
        binding = [c for c in report["constraints"] if c["status"] != "Not Binding"]
        if report["constraints"]:
            print(f"  constraints: {len(report['constraints'])} cell(s), "
                  f"{sum(c['status'] == 'Binding' for c in binding)} binding, "
                  f"{sum(c['status'] == 'Violated' for c in binding)} violated")
        print(f"  wrote {out} ({written} cells updated" + (f", answer report on sheet {extra[0][0]!r})" if extra
                                                           else ")"))
    return 130 if result.interrupted else 0


def register(subparsers) -> None:
    from ..solver.defaults import ADAM_WINDOW, DEFAULT_ADAM_LR, DEFAULT_GTOL, DEFAULT_MAX_ITER, DEFAULT_TOL, METHODS

    p = subparsers.add_parser(
        "solve", help="run a workbook's Excel Solver model (solver_* names) with scipy or torch",
        description="Read a sheet's Excel Solver model from its hidden solver_* names (objective, goal, "
                    "changing cells, constraints), minimise or maximise it, and write the solved changing cells, "
                    "every recomputed cached value and an answer report sheet to a new file (FILE.solved.xlsx by "
                    "default; the input is only overwritten with --in-place). Gradients are exact -- the "
                    "formula graph is differentiated with torch autograd -- when the model's formulas allow, "
                    "else finite differences as Excel's GRG uses (said at the start, with an estimate of how "
                    "long they take). On a terminal a progress bar shows the objective at every iteration; "
                    "Ctrl-C stops and writes the best point found so far (exit status 130).")
    p.add_argument("file", metavar="FILE", help=".xlsx/.xlsm workbook with a Solver model")
    p.add_argument("--sheet", help="the sheet whose model to run (needed when several sheets have one)")
    p.add_argument("--out", metavar="PATH", help="output file (default FILE.solved.xlsx)")
    p.add_argument("--in-place", action="store_true", help="overwrite the input file")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object: sheet, objective_start, objective_final, iterations, seconds, "
                        "the answer report ...")
    p.add_argument("--method", choices=METHODS, default="lbfgs",
                   help="lbfgs: scipy's L-BFGS-B (default; SLSQP when constraints are on formula cells); "
                        "adam: full-batch Adam with the collab lesson's one-cycle learning-rate schedule")
    p.add_argument("--max-iter", type=validate.int_range(), metavar="N",
                   help=f"iterations at most (default {DEFAULT_MAX_ITER['lbfgs']} for lbfgs; for adam the "
                        f"length of the one-cycle schedule, {DEFAULT_MAX_ITER['adam']})")
    p.add_argument("--tol", type=validate.finite_float, metavar="T",
                   help=f"stop when an iteration lowers the objective by less than T x max(|objective|, 1) "
                        f"(lbfgs: scipy's ftol, default {DEFAULT_TOL['lbfgs']:.2g}; adam: over the last "
                        f"{ADAM_WINDOW} steps, default {DEFAULT_TOL['adam']:g})")
    p.add_argument("--gtol", type=validate.finite_float, metavar="G",
                   help=f"lbfgs: stop when no component of the projected gradient exceeds G (scipy's pgtol, "
                        f"default {DEFAULT_GTOL:g}); smaller goes further along a flat valley")
    p.add_argument("--lr", type=validate.finite_float, metavar="LR",
                   help=f"adam: the peak learning rate of the one cycle (default {DEFAULT_ADAM_LR})")
    p.add_argument("--seed", type=validate.seed, metavar="S",
                   help="start from random changing cells, uniform in [0, 1) from seed S (as the lesson's "
                        "RAND() start; Excel Solver's random seed), instead of the values in the file")
    p.add_argument("--device", default="cpu", metavar="DEV",
                   help="where the torch replay runs: cpu (default) or cuda[:N]")
    p.add_argument("--no-report", action="store_true", help="do not add the answer report sheet")
    p.add_argument("--finite-differences", action="store_true",
                   help="use finite differences even when exact gradients are available")
    p.set_defaults(run=_run)


__all__ = ["register", "sys"]
