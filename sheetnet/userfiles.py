"""Reading a text file a user names (ratings, x,y data) with one-line errors."""

from __future__ import annotations

import os
import stat

from . import limits
from .errors import UserError

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
