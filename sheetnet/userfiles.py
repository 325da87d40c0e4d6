"""Reading a text file a user names (ratings, x,y data) with one-line errors."""

from __future__ import annotations

import math
import os
import re
import stat

from . import limits
from .errors import UserError

# A number a user writes in a text file or on the command line: plain ASCII
# decimals, as a workbook holds them.  Python's float() would also take
# '1_000', other scripts' digits, 'nan' and 'infinity'.
DECIMAL = re.compile(r"[ \t]*[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?[ \t]*")

TEXT_BYTES_IN_MEMORY = 8    # a text file's bytes, decoded text and parsed rows held at once, per byte


def require_regular_file(path: str, what: str) -> None:
    """A path a user named as input must be a regular file: a folder, a
    device (/dev/zero never ends), a FIFO (blocks until someone writes) or a
    socket is refused before it is opened."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(mode):
        raise UserError(f"{path}: is a folder, not {what}")
    if not stat.S_ISREG(mode):
        kind = "a FIFO" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) \
            else "a socket" if stat.S_ISSOCK(mode) else "not a regular file"
        raise UserError(f"{path}: is {kind}, not {what}")


def read_text(path: str, what: str = "a text file") -> str:
    """The file's text (UTF-8, a BOM allowed).  A missing file, a folder, a
    device or FIFO, an unreadable, binary or non-UTF-8 file is a UserError
    naming the file (and the line, where there is one); a file too big for
    the memory budget is refused before it is read."""
    name = str(path)
    require_regular_file(name, what)
    limits.require(os.path.getsize(name) * TEXT_BYTES_IN_MEMORY, f"{name}: reading it")
    try:
        with open(name, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise UserError(f"{name}: cannot read it ({e.strerror or e})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[:e.start].count(b"\n") + 1
        raise UserError(f"{name}:{line}: not UTF-8 text (is this {what}?)") from None
    if "\x00" in text:
        line = text[:text.index("\x00")].count("\n") + 1
        raise UserError(f"{name}:{line}: binary data (NUL byte); expected {what}")
    return text


# --- delimited text: what Excel's "Save as CSV / Text" writes in any locale ------------------
#
# The separator is told by the first non-blank line: a tab, then "::" (MovieLens'
# ratings.dat), then ";" (Excel's CSV where the decimal separator is a comma, as in
# most of Europe), then ",", else runs of spaces.  With any separator but ",", a
# number may use a decimal comma ("1,5" is 1.5): that is how such exports write
# them.  Thousands separators are never accepted ("1.000" is one, not a thousand).

WHITESPACE = None            # the separator value meaning "runs of spaces or tabs"

_SEPARATOR_NAMES = {"\t": "tab", "::": "'::'", ";": "';'", ",": "','", WHITESPACE: "spaces"}


def separator_of(line: str) -> str | None:
    """The separator a delimited file uses, from its first non-blank line."""
    for sep in ("\t", "::", ";", ","):
        if sep in line:
            return sep
    return WHITESPACE


def separator_name(sep: str | None) -> str:
    return _SEPARATOR_NAMES[sep]


def split_rows(name: str, lines: list[str], sep: str | None) -> tuple[list[list[str]], list[int]]:
    """Non-blank lines split into stripped fields, with their 1-based line numbers.  "," and
    ";" files follow CSV quoting (a quoted field may hold the separator)."""
    rows, numbers = [], []
    if sep in (",", ";"):
        import csv
        reader = csv.reader(lines, delimiter=sep, strict=True)
        try:
            for fields in reader:
                if fields and any(f.strip() for f in fields):
                    rows.append([f.strip() for f in fields])
                    numbers.append(reader.line_num)
        except csv.Error as e:
            raise UserError(f"{name}:{reader.line_num}: malformed CSV ({e})") from None
        return rows, numbers
    for i, ln in enumerate(lines, start=1):
        if ln.strip():
            rows.append([f.strip() for f in ln.split(sep)] if sep is not WHITESPACE else ln.split())
            numbers.append(i)
    return rows, numbers


def decimal_point(texts: list[str], sep: str | None) -> list[str]:
    """Decimal commas as points, where the separator allows them ("1,5" -> "1.5")."""
    if sep == ",":
        return texts
    return [t.replace(",", ".", 1) if t.count(",") == 1 and "." not in t else t for t in texts]


def finite_decimal(text: str) -> float | None:
    """`text` as a finite number when it is a plain decimal (DECIMAL), else None."""
    if not DECIMAL.fullmatch(text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None
