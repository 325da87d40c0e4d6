"""The `sheetnet` command."""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
import textwrap

from . import __version__, limits, validate
from .errors import UserError

DESCRIPTION = """\
sheetnet recomputes spreadsheets with Excel's semantics, generates the
deep-learning lesson workbooks (collaborative filtering, gradient descent,
softmax/cross-entropy) with live formulas and correct cached values, and
cross-checks every quantity against numpy and PyTorch."""


def _check(args) -> int:
    if args.list_functions:
        return _list_functions(args.json)
    if not args.files:
        raise UserError("check: name at least one workbook (or use --list-functions)")
    from .check import check_file, format_report
    reports, failed_inputs = [], []
    for path in args.files:
        try:
            reports.append(check_file(path, rtol=args.rtol, atol=args.atol))
        except UserError as exc:
            failed_inputs.append((path, str(exc)))
            if not args.json:
                print(f"sheetnet: error: {exc}", file=sys.stderr)
    if args.json:
        out = {"files": [r.to_json() for r in reports],
               "errors": [{"path": p, "error": e} for p, e in failed_inputs],
               "ok": not failed_inputs and all(r.ok and not r.unsupported for r in reports)}
        print(json.dumps(out, indent=1))
    else:
        for r in reports:
            print(format_report(r, worst=args.worst))
    if any(not r.ok for r in reports):
        return 1
    incomplete = [r for r in reports if r.unsupported]
    for r in incomplete:
        if not args.json:
            names = ", ".join(f"{k} x{v}" for k, v in sorted(r.unsupported.items()))
            where = f"; first unparsable formula: {r.unparsed[0]}" if r.unparsed else ""
            print(f"sheetnet: error: {r.path}: {sum(r.unsupported.values())} formula cell(s) use what sheetnet "
                  f"cannot calculate ({names}); they kept their stored values and the rest was checked{where}",
                  file=sys.stderr)
    return 2 if failed_inputs or incomplete else 0


class OneLineParser(argparse.ArgumentParser):
    """argparse, with a bad option ending as the one line every sheetnet error
    is (`sheetnet: error: ...`, exit 2) instead of usage text and a message."""

    def error(self, message):
        # "argument --lr: must be > 0 (got -1)" reads as sheetnet's other messages: "--lr -1: must be > 0"
        m = re.fullmatch(r"argument (\S+?)(?:/\S+)?: (.*) \(got (.*)\)", message, re.S)
        if m:
            message = f"{m.group(1)} {m.group(3)}: {m.group(2)}"
        command = self.prog.removeprefix("sheetnet").strip()
        self.exit(2, f"sheetnet: error: {command + ': ' if command else ''}{message} (see {self.prog} --help)\n")


def _size(text: str) -> int:
    try:
        return limits.parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _add_common_options(parser: argparse.ArgumentParser) -> None:
    """--max-memory on the program and on every (sub)command, so it may be
    written before or after the command name."""
    parser.add_argument("--max-memory", type=_size, default=argparse.SUPPRESS, metavar="SIZE",
                        help="memory this command may use (default 2G, or $SHEETNET_MAX_MEMORY): work "
                             "estimated to need more is refused with one line, e.g. a sheet whose cells lie "
                             "far apart; 512M, 4G, 16G ...")
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):
                _add_common_options(sub)


def _list_functions(as_json: bool) -> int:
    """The functions sheetnet calculates, by Excel's categories."""
    from .formula.functions import by_category
    groups = by_category()
    if as_json:
        print(json.dumps({c.value: [{"name": s.name, "prefix": s.prefix, "signature": s.signature,
                                     "volatile": s.volatile, "scalar_path": s.scalar is not None,
                                     "torch": s.torch is not None} for s in specs]
                          for c, specs in groups.items()}, indent=1))
        return 0
    total = sum(len(specs) for specs in groups.values())
    print(f"sheetnet calculates {total} Excel functions:")
    for category, specs in groups.items():
        print(f"\n{category.label} ({len(specs)})")
        print(textwrap.fill(", ".join(s.name for s in specs), width=100, initial_indent="  ",
                            subsequent_indent="  "))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="sheetnet", description=DESCRIPTION,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"sheetnet {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser(
        "check", help="recompute every formula of workbooks and compare with their stored values",
        description="Recompute every formula cell of each workbook with Excel's semantics and compare it "
                    "with the value the file stores (what Excel computed when it last saved). Prints a "
                    "per-sheet summary; exits 0 only when every formula cell was recalculated and matches: 1 when some "
                    "differ, 2 when a file cannot be checked completely (missing, damaged, circular "
                    "references, functions sheetnet lacks -- those cells keep their stored values and "
                    "everything else is still checked). RAND/RANDBETWEEN cells are "
                    "reported as volatile and keep their stored values, so everything computed from them is "
                    "still verified; cells using functions sheetnet lacks are reported as unsupported.")
    p.add_argument("files", nargs="*", metavar="FILE", help=".xlsx or .xlsm workbook(s)")
    p.add_argument("--list-functions", action="store_true",
                   help="print the Excel functions sheetnet calculates, by category (with --json: one object)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the tables")
    p.add_argument("--rtol", type=validate.float_range(0, None), default=1e-9,
                   help="relative tolerance (default 1e-9)")
    p.add_argument("--atol", type=validate.float_range(0, None), default=1e-12,
                   help="absolute tolerance (default 1e-12)")
    p.add_argument("--worst", type=validate.int_range(0, None), default=5, metavar="N",
                   help="mismatches shown per sheet (default 5)")
    p.set_defaults(run=_check)
    _register_commands(sub)
    _add_common_options(parser)
    return parser


def _register_commands(sub) -> None:
    """Every module of sheetnet.commands adds its own subcommand(s)."""
    import importlib
    import pkgutil

    from . import commands
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda i: i.name):
        importlib.import_module(f"{commands.__name__}.{info.name}").register(sub)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that every clean-up on the way out runs
    (a half-written output's temporary file is removed)."""


def _terminate(signum, frame):
    raise Terminated()


INTERNAL_ERROR = 70     # a bug in sheetnet (EX_SOFTWARE): the only exit that is not a user's problem


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:          # a bad option (one line already printed), --help, --version
        return exc.code if isinstance(exc.code, int) else 2
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    limits.set_budget(getattr(args, "max_memory", None))
    previous = signal.signal(signal.SIGTERM, _terminate) if _in_main_thread() else None
    try:
        with limits.memory_cap(), limits.deep_recursion():
            return args.run(args)
    except UserError as exc:
        print(f"sheetnet: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except Terminated:
        print("sheetnet: terminated", file=sys.stderr)
        return 128 + signal.SIGTERM
    except KeyboardInterrupt:
        print("sheetnet: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except MemoryError as exc:
        # an allocation past the budget that no estimate foresaw (the estimates
        # name the file, sheet and cell; this names the command)
        print(f"sheetnet: error: {args.command}: ran out of memory ({exc or 'an allocation failed'}); the "
              f"memory budget is {limits.format_bytes(limits.budget())}, raise it with --max-memory",
              file=sys.stderr)
        return 2
    except Exception as exc:
        # Last resort: a bug.  The fuzz suite counts these and expects none.
        if os.environ.get("SHEETNET_DEBUG"):
            raise
        print(f"sheetnet: internal error: {type(exc).__name__}: {exc} (a bug in sheetnet; "
              f"SHEETNET_DEBUG=1 shows where)", file=sys.stderr)
        return INTERNAL_ERROR
    finally:
        limits.set_budget(None)
        package = sys.modules.get("sheetnet.xlsx.package")     # loaded by every command that writes
        if package is not None:
            package.remove_temporaries()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _in_main_thread() -> bool:
    import threading
    return threading.current_thread() is threading.main_thread()


if __name__ == "__main__":
    sys.exit(main())
