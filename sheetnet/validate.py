"""Checking a command's options before any work starts.

Two kinds of helpers:

* argparse types (``seed``, ``finite_float``, ``int_range(...)`` ...): a bad
  value is refused while the command line is parsed, as one line naming the
  option (see cli.OneLineParser);
* checks of where output goes (``output_file``, ``output_folder``): the
  folder exists and takes a new file, the name is not too long, the suffix
  matches what is written, nothing written is one of the command's inputs.

Everything here raises UserError (or argparse's type error): one line.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import tempfile

from .errors import UserError
from .userfiles import DECIMAL

MAX_SEED = 2**32 - 1           # numpy and torch both take seeds in this range


# --------------------------------------------------------------------------- argparse types

# A number on the command line is a plain ASCII decimal, as in a workbook
# (userfiles.DECIMAL; Python's int() and float() would also take '1_000',
# other scripts' digits and Unicode spaces).  inf and nan are let through
# here so that finite_float can say what is wrong with them.
_INTEGER = re.compile(r"[ \t]*[+-]?[0-9]+[ \t]*")
_NON_FINITE = re.compile(r"[ \t]*[+-]?(inf(inity)?|nan)[ \t]*", re.IGNORECASE)
_GRAMMAR = {int: _INTEGER.fullmatch, float: lambda text: DECIMAL.fullmatch(text) or _NON_FINITE.fullmatch(text)}


def _number(text: str, kind, what: str):
    if not _GRAMMAR[kind](text):
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}")
    return kind(text)


def int_range(lo: int | None = None, hi: int | None = None):
    """An argparse type: a whole number in [lo, hi] (None: unbounded).
    argparse puts "argument --NAME:" before the message."""
    def parse(text: str) -> int:
        value = _number(text, int, "a whole number")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            bounds = (f"from {lo:,} to {hi:,}" if lo is not None and hi is not None
                      else f"at least {lo:,}" if lo is not None else f"at most {hi:,}")
            raise argparse.ArgumentTypeError(f"must be {bounds} (got {text})")
        return value
    return parse


seed = int_range(0, MAX_SEED)


def finite_float(text: str) -> float:
    """An argparse type: a finite number (no inf, no nan)."""
    value = _number(text, float, "a number")
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def float_range(lo: float | None = None, hi: float | None = None, open_lo: bool = False, open_hi: bool = False):
    """An argparse type: a finite number in the range (open or closed at each end)."""
    def parse(text: str) -> float:
        value = finite_float(text)
        low_ok = lo is None or (value > lo if open_lo else value >= lo)
        high_ok = hi is None or (value < hi if open_hi else value <= hi)
        if not (low_ok and high_ok):
            left = "" if lo is None else f"{'>' if open_lo else '>='} {lo:g}"
            right = "" if hi is None else f"{'<' if open_hi else '<='} {hi:g}"
            raise argparse.ArgumentTypeError(f"must be {' and '.join(p for p in (left, right) if p)} (got {text})")
        return value
    return parse


def ordered_pair(values, option: str) -> tuple[float, float]:
    """A LO HI pair (two finite numbers, already parsed) with LO < HI."""
    lo, hi = values
    if not lo < hi:
        raise UserError(f"{option} {lo:g} {hi:g}: needs LO < HI")
    return lo, hi


# --------------------------------------------------------------------------- outputs

def _name_max(folder: str) -> int:
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        return 255


def same_file(a: str, b: str) -> bool:
    if os.path.abspath(a) == os.path.abspath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def writable_folder(folder: str, shown: str) -> None:
    """`folder` exists, is a folder, and a file can be created in it (tried:
    permissions alone do not tell, e.g. for root on a read-only mount)."""
    if not os.path.exists(folder):
        raise UserError(f"{shown}: the folder {folder} does not exist")
    if not os.path.isdir(folder):
        raise UserError(f"{shown}: {folder} is not a folder")
    probe = None
    try:
        fd, probe = tempfile.mkstemp(prefix=".sheetnet-probe-", dir=folder)
        os.close(fd)
    except OSError as exc:
        raise UserError(f"{shown}: cannot write into {folder} ({exc.strerror or exc})") from None
    finally:                        # even when interrupted right here
        if probe is not None and os.path.exists(probe):
            os.unlink(probe)


def output_file(path: str, suffixes: tuple[str, ...], inputs=(), option: str = "--out") -> str:
    """Check an output file before the work that produces it: a name of
    usable length with one of `suffixes` (what is written decides the
    suffix: Excel refuses a workbook whose suffix does not match its content),
    not a folder, not one of `inputs`, in a folder that takes a new file."""
    if not path or not os.path.basename(path):
        raise UserError(f"{option} {path!r}: name a file")
    shown = f"{option} {path}" if len(path) <= 80 else f"{option} {path[:77]}..."
    if not path.lower().endswith(tuple(s.lower() for s in suffixes)):
        raise UserError(f"{shown}: the file name must end with {' or '.join(suffixes)} (that is what is written)")
    folder = os.path.dirname(os.path.abspath(path))
    if len(os.fsencode(os.path.basename(path))) > _name_max(folder):
        raise UserError(f"{shown}: the file name is too long ({len(os.path.basename(path))} characters; "
                        f"at most {_name_max(folder)})")
    if os.path.isdir(path):
        raise UserError(f"{shown}: is a folder; name a file")
    for source in inputs:
        if source and same_file(path, source):
            raise UserError(f"{shown}: that is an input of this command ({source}); name another file")
    writable_folder(folder, shown)
    return path


def output_folder(path: str, files: tuple[str, ...], inputs=(), option: str = "--out") -> str:
    """Check an output folder (made if missing, inside an existing folder)
    and the files to be written into it, as output_file does."""
    if not path:
        raise UserError(f"{option}: name a folder")
    shown = f"{option} {path}" if len(path) <= 80 else f"{option} {path[:77]}..."
    if os.path.exists(path) and not os.path.isdir(path):
        raise UserError(f"{shown}: exists and is not a folder")
    parent = os.path.dirname(os.path.abspath(path))
    if len(os.fsencode(os.path.basename(os.path.abspath(path)))) > _name_max(parent):
        raise UserError(f"{shown}: the folder name is too long")
    for name in files:
        target = os.path.join(path, name)
        for source in inputs:
            if source and same_file(target, source):
                raise UserError(f"{shown}: it would overwrite {target}, an input of this command; "
                                f"choose another folder")
    writable_folder(path if os.path.isdir(path) else parent, shown)
    return path
