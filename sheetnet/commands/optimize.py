"""`sheetnet optimize`: run the lesson's optimisers (spreadsheet semantics, the
numpy mirror in sheetnet.lessons.graddesc.mirror) on the lesson's data or an x,y CSV and compare
them: a table per epoch, a CSV, a PNG plot and the macro-free workbook."""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import math
import os
import sys

import numpy as np

from .. import validate
from ..errors import UserError
from ..progress import Progress
from ..userfiles import decimal_point, finite_decimal, read_text, separator_name, separator_of, split_rows

DEFAULT_OUT = "optimize_out"
MAX_WORKBOOK_CELLS = 300_000
OUTPUTS = ("optimize.csv", "optimize.png", "graddesc.xlsx")
# matplotlib works out axis limits and ticks with differences and multiples of
# the values shown; past this magnitude they overflow, so such runs get no plot
PLOT_LIMIT = 1e100


def read_xy_csv(path: str) -> tuple[np.ndarray, np.ndarray]:
    """x,y rows separated by ',', ';', a tab or spaces (decimal commas where the separator is
    not ','; see sheetnet.userfiles.separator_of); a first line that is not two numbers is
    taken as a header.  Any other line that is not exactly two finite numbers is an error
    naming it."""
    text = read_text(path, "an x,y CSV file")
    lines = text.replace("\r\n", "\n").split("\n")
    first = next((ln for ln in lines if ln.strip()), "")
    sep = separator_of(first)
    rows, numbers = split_rows(str(path), lines, sep)
    xs, ys = [], []
    for i, (row, lineno) in enumerate(zip(rows, numbers)):
        fields = decimal_point(row, sep)
        pair = _two_numbers(fields)
        if pair is None:
            if i == 0 and len(fields) == 2 and not any(_is_number(f) for f in fields):
                continue                     # a header such as "x,y"
            shown = lines[lineno - 1].strip()
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            raise UserError(f"{path} line {lineno}: expected two numbers x,y separated by "
                            f"{separator_name(sep)}, got {shown!r}")
        xs.append(pair[0])
        ys.append(pair[1])
    if not xs:
        raise UserError(f"{path}: no x,y data rows")
    return np.array(xs, dtype=np.float64), np.array(ys, dtype=np.float64)


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _two_numbers(fields: list[str]) -> tuple[float, float] | None:
    """Two finite plain decimals (no '1_000', 'nan', other scripts' digits), else None."""
    if len(fields) != 2:
        return None
    x, y = finite_decimal(fields[0]), finite_decimal(fields[1])
    return None if x is None or y is None else (x, y)


# --- running ------------------------------------------------------------------------------

def run_all(x, y, optimizers, epochs: int, lrs: dict[str, float], warmup: bool = True, progress=None, **variants):
    """{optimiser: a Run of the graddesc lesson's numpy mirror}; `progress` (a Progress) advances
    by one per optimiser."""
    from ..lessons.graddesc import mirror as optim
    runs = {}
    for opt in optimizers:
        if progress is not None:
            progress.update(0, note=opt)
        hp = optim.lesson_hyper(opt, lr=lrs.get(opt), **{k: v for k, v in variants.items() if v is not None})
        runs[opt] = optim.run(opt, x, y, epochs, hp, warmup=warmup)
        if progress is not None:
            progress.update(1)
    return runs


def to_json(runs) -> dict:
    out = {}
    for opt, r in runs.items():
        items = [{"epoch": rec.epoch, "a": rec.a, "b": rec.b, "error": rec.error} for rec in r.records]
        if r.diverged_at is not None:
            items.append({"epoch": r.diverged_at, "a": None, "b": None, "error": None, "diverged": True})
        out[opt] = items
    return out


def format_table(runs, epochs: int) -> str:
    names = list(runs)
    width = 12
    head1 = f"{'':>5} " + " ".join(f"{n:^{3 * width + 2}}" for n in names)
    head2 = f"{'epoch':>5} " + " ".join(f"{'a':>{width}} {'b':>{width}} {'error':>{width}}" for _ in names)
    lines = [head1.rstrip(), head2]
    for k in range(epochs + 1):
        cells = []
        for n in names:
            r = runs[n]
            if k < len(r.records):
                rec = r.records[k]
                cells.append(f"{rec.a:>{width}.6g} {rec.b:>{width}.6g} {rec.error:>{width}.6g}")
            elif r.diverged_at is not None and k == r.diverged_at:
                cells.append(f"{'diverged (a, b or error not finite)':^{3 * width + 2}}")
            else:
                cells.append(" " * (3 * width + 2))
        lines.append((f"{k:>5} " + " ".join(cells)).rstrip())
    lines.append("")
    lines.append(format_summary(runs))
    return "\n".join(lines)


def format_summary(runs) -> str:
    """One line per optimiser: where it ended (or when it diverged)."""
    lines = []
    for n in runs:
        r = runs[n]
        if r.diverged_at is not None:
            lines.append(f"{n}: it diverged at epoch {r.diverged_at} (lr {r.records[-1].lr if r.records else '?'})")
        else:
            last = r.records[-1]
            lines.append(f"{n}: after {last.epoch} epochs a = {last.a:.7g}, b = {last.b:.7g}, "
                         f"error = {last.error:.6g}")
    return "\n".join(lines)


def write_csv(runs, path: str) -> None:
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["optimizer", "epoch", "a", "b", "error", "lr", "status"])
        for opt, r in runs.items():
            for rec in r.records:
                w.writerow([opt, rec.epoch, repr(rec.a), repr(rec.b), repr(rec.error), repr(rec.lr), "ok"])
            if r.diverged_at is not None:
                w.writerow([opt, r.diverged_at, "", "", "", "", "diverged"])


def too_large_to_plot(runs, x, y) -> float | None:
    """The largest magnitude a plot would show, when it is past PLOT_LIMIT."""
    values = [v for r in runs.values() for rec in r.records for v in (rec.a, rec.b, rec.error)]
    values += [float(np.max(np.abs(x))), float(np.max(np.abs(y)))]
    largest = max((abs(v) for v in values if math.isfinite(v)), default=0.0)
    return largest if largest > PLOT_LIMIT else None


def write_png(runs, x, y, path: str, title: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fit_a, fit_b = np.polyfit(x, y, 1) if np.ptp(x) > 0 else (math.nan, float(np.mean(y)))
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.6), dpi=100)
    fig.suptitle(title, fontsize=11)
    for opt, r in runs.items():
        ep = [rec.epoch for rec in r.records]
        label = opt if r.diverged_at is None else f"{opt} (diverged at epoch {r.diverged_at})"
        err = np.array([rec.error for rec in r.records])
        err = np.where(err > 0, err, np.nan)
        for ax, values in ((axes[0], err), (axes[1], [rec.b for rec in r.records]),
                           (axes[2], [rec.a for rec in r.records])):
            line, = ax.plot(ep, values, marker="o", markersize=3, label=label)
            if r.diverged_at is not None and ep:
                ax.plot(ep[-1], values[-1], marker="x", markersize=10, color=line.get_color())
    axes[0].set_yscale("log")
    axes[0].set_title("error per epoch (log scale)")
    axes[0].set_ylabel("sqrt of summed squared error")
    axes[1].set_title("b (intercept) per epoch")
    axes[2].set_title("a (slope) per epoch")
    if math.isfinite(fit_b):
        axes[1].axhline(fit_b, color="grey", linestyle="--", linewidth=1, label=f"least squares b = {fit_b:.4g}")
    if math.isfinite(fit_a):
        axes[2].axhline(fit_a, color="grey", linestyle="--", linewidth=1, label=f"least squares a = {fit_a:.4g}")
    # a diverged run would squash every other line into one: keep the a and b axes on the runs that
    # did not diverge (and the least-squares line); a diverged line then leaves the axis
    if any(r.diverged_at is not None for r in runs.values()):
        for ax, key, fit in ((axes[1], "b", fit_b), (axes[2], "a", fit_a)):
            vals = [getattr(rec, key) for r in runs.values() if r.diverged_at is None for rec in r.records]
            vals += [fit] if math.isfinite(fit) else []
            if vals:
                lo, hi = min(vals), max(vals)
                pad = 0.08 * (hi - lo) if hi > lo else max(1.0, abs(hi) * 0.1)
                ax.set_ylim(lo - pad, hi + pad)
                ax.text(0.02, 0.02, "diverged runs leave the axis", transform=ax.transAxes, fontsize=8,
                        color="grey")
        errs = [rec.error for r in runs.values() if r.diverged_at is None for rec in r.records if rec.error > 0]
        if errs:
            axes[0].set_ylim(min(errs) / 3, max(errs) * 30)
            axes[0].text(0.02, 0.96, "diverged runs leave the axis", transform=axes[0].transAxes, fontsize=8,
                         color="grey", va="top")
    for ax in axes:
        ax.set_xlabel("epoch")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)


# --- the command ------------------------------------------------------------------------------

def _run(args) -> int:
    from ..lessons.graddesc import lesson_data, parse_lr, parse_optimizers
    from ..xlsx.package import atomic_output
    optimizers = parse_optimizers(args.optimizers)
    lrs = parse_lr(args.lr, optimizers)
    out = validate.output_folder(args.out, OUTPUTS, inputs=(args.data,))
    if args.data:
        x, y = read_xy_csv(args.data)
        source = f"{args.data} ({x.size} points)"
    else:
        x, y = lesson_data()
        source = "the lesson's 29 points (y = 2x + 30)"
    variants = dict(copy_updated=args.copy_updated or None, rmsprop_current=args.rmsprop_current or None,
                    bias_correction=args.bias_correction or None, eps=args.eps)
    long_run = args.epochs * x.size * len(optimizers) > 200_000         # about a second or more
    with Progress(f"optimize: {args.epochs:,} epochs", total=len(optimizers), summary=long_run,
                  enabled=None if not args.json else False) as bar:
        runs = run_all(x, y, optimizers, args.epochs, lrs, warmup=not args.no_warmup, progress=bar, **variants)
        bar.note = ""
    os.makedirs(out, exist_ok=True)
    notes = []
    # every output goes to a temporary beside it and takes its name only when
    # all were written: a failure (or Ctrl-C) leaves none of them half-done
    staged = contextlib.ExitStack()
    with staged:
        written = []

        def stage(name):
            path = os.path.join(out, name)
            written.append(path)
            return staged.enter_context(atomic_output(path))

        write_csv(runs, stage("optimize.csv"))
        huge = too_large_to_plot(runs, x, y)
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            notes.append("PNG not written: matplotlib is not installed (pip install 'sheetnet[plot]')")
        else:
            if huge is not None:
                notes.append(f"PNG not written: values as large as {huge:.3g} cannot be plotted")
            else:
                write_png(runs, x, y, stage("optimize.png"), f"sheetnet optimize: {source}")
        _stage_workbook(args, x, y, optimizers, lrs, variants, source, stage, notes)
    if args.json:
        print(json.dumps(to_json(runs), indent=1, allow_nan=False))
    else:
        print(f"data: {source}; epoch 0 = {'reset' if not args.no_warmup else 'the initial state'}; "
              f"error = sqrt of the epoch's summed squared errors")
        print(format_summary(runs) if args.summary else format_table(runs, args.epochs))
        print("wrote " + ", ".join(written))
    for n in notes:
        print(f"sheetnet: note: {n}", file=sys.stderr)
    return 0


def _stage_workbook(args, x, y, optimizers, lrs, variants, source, stage, notes) -> None:
    """The lesson's workbook for this run, when the run follows the lesson's rules and is small enough."""
    from ..lessons.graddesc import WARMUP_PASSES as warmup_total, make_workbook
    from ..lessons.graddesc.inputs import MAX_EPOCHS as max_epochs
    cells = x.size * 16 * sum(args.epochs + 1 + warmup_total[o] for o in optimizers)
    if args.no_workbook:
        return
    if any(v for v in variants.values()) or args.no_warmup:
        notes.append("workbook not written: it follows the lesson's rules, and variant flags were given")
    elif args.epochs > max_epochs or cells > MAX_WORKBOOK_CELLS:
        notes.append(f"workbook not written: {args.epochs} epochs x {x.size} points is about {cells:,} "
                     f"formula cells (the limit is {MAX_WORKBOOK_CELLS:,} cells and {max_epochs} epochs)")
    else:
        from ..xlsx.writer import write_workbook
        gen = (2.0, 30.0) if not args.data else None
        built = make_workbook(x, y, args.epochs, optimizers, lrs, data_note=f"data: {source}", generator=gen)
        write_workbook(built.book, stage("graddesc.xlsx"))


def register(subparsers) -> None:
    from ..lessons.graddesc.mirror import OPTIMIZERS
    p = subparsers.add_parser(
        "optimize", help="compare the lesson's optimisers (SGD, momentum, RMSProp, Adam, Adam+annealing)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Run the gradient-descent lesson's optimisers with the spreadsheet's exact semantics (its reset\n"
            "warm-up, the copy-back of the last row's inputs between epochs, RMSProp's lagged average,\n"
            "Adam without bias correction or epsilon, adam_ann's annealing) on the lesson's 29 points or an\n"
            "x,y CSV.  Prints a table of a, b and error per epoch for each optimiser (epoch 0 = after\n"
            "reset), and writes DIR/optimize.csv, DIR/optimize.png (error per epoch on a log scale, a and\n"
            "b trajectories) and DIR/graddesc.xlsx (the macro-free workbook).  A run whose a, b or error\n"
            "stops being a finite number is reported as diverged, with the epoch."))
    p.add_argument("--optimizers", default=None, metavar="LIST",
                   help=f"comma-separated, from {','.join(OPTIMIZERS)} (default all)")
    p.add_argument("--epochs", type=validate.int_range(0, 100_000), default=10, metavar="N",
                   help="epochs after reset (default 10, at most 100000)")
    p.add_argument("--lr", nargs="+", action="extend", default=[], metavar="NAME=VALUE",
                   help="learning rates, e.g. --lr adam=0.1 sgd=2e-4 (a bare VALUE sets all); defaults are the "
                        "lesson's: sgd 1e-4, momentum 1e-4, rmsprop 0.02, adam 1, adam_ann 1")
    p.add_argument("--data", metavar="CSV", help="x,y points, one per line (an optional header line)")
    p.add_argument("--out", default=DEFAULT_OUT, metavar="DIR", help=f"output folder (default {DEFAULT_OUT})")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object: optimiser -> [{epoch, a, b, error}, ...] (a diverged run ends "
                        "with {epoch, a: null, b: null, error: null, diverged: true})")
    p.add_argument("--summary", action="store_true",
                   help="print one line per optimiser (where it ended) instead of the table of every epoch; "
                        "the CSV still has every epoch")
    p.add_argument("--no-workbook", action="store_true", help="do not write the workbook")
    v = p.add_argument_group("variants (the lesson's behaviour is the default; these runs get no workbook)")
    v.add_argument("--no-warmup", action="store_true", help="start from m = 0, v = 10000 without reset's passes")
    v.add_argument("--copy-updated", action="store_true",
                   help="copy back the last row's updated parameters between epochs")
    v.add_argument("--rmsprop-current", action="store_true", help="RMSProp divides by the current row's average")
    v.add_argument("--bias-correction", action="store_true", help="Adam with bias correction")
    v.add_argument("--eps", type=validate.float_range(0, None), default=None,
                   help="Adam: add EPS to the square root")
    p.set_defaults(run=_run)
