"""Reading a text file a user names (ratings, x,y data) with one-line errors."""

from __future__ import annotations

from .errors import UserError


def read_text(path: str, what: str = "a text file") -> str:
    """The file's text (UTF-8, a BOM allowed).  A missing file, a folder, an
    unreadable, binary or non-UTF-8 file is a UserError naming the file (and
    the line, where there is one)."""
    name = str(path)
    try:
        with open(name, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise UserError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise UserError(f"{name}: is a folder, not {what}") from None
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
