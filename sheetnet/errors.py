"""Excel's error values and sheetnet's own user-facing errors."""

from __future__ import annotations

# Error values as Excel writes them.  The integer codes are sheetnet's kind
# codes for error cells (see formula/values.py): every code >= ERR_BASE is an
# error, and the lowest code wins nowhere -- errors propagate left to right.
ERROR_CODES = {
    "#NULL!": 16,
    "#DIV/0!": 17,
    "#VALUE!": 18,
    "#REF!": 19,
    "#NAME?": 20,
    "#NUM!": 21,
    "#N/A": 22,
    "#GETTING_DATA": 23,
    "#SPILL!": 24,
    "#CALC!": 25,
}
ERROR_NAMES = {code: name for name, code in ERROR_CODES.items()}
ERR_BASE = 16


class ExcelError:
    """An error value such as #DIV/0!, as a cell holds it (not a Python exception)."""

    __slots__ = ("name",)
    _interned: dict[str, "ExcelError"] = {}

    def __new__(cls, name: str):
        key = name.upper()
        if key not in ERROR_CODES:
            raise ValueError(f"not an Excel error value: {name!r}")
        inst = cls._interned.get(key)
        if inst is None:
            inst = super().__new__(cls)
            inst.name = key
            cls._interned[key] = inst
        return inst

    @property
    def code(self) -> int:
        return ERROR_CODES[self.name]

    def __repr__(self) -> str:
        return f"ExcelError({self.name!r})"

    def __str__(self) -> str:
        return self.name

    def __reduce__(self):
        return (ExcelError, (self.name,))


def error_from_code(code: int) -> ExcelError:
    return ExcelError(ERROR_NAMES[code])


DIV0 = ExcelError("#DIV/0!")
NA = ExcelError("#N/A")
VALUE = ExcelError("#VALUE!")
REF = ExcelError("#REF!")
NAME = ExcelError("#NAME?")
NUM = ExcelError("#NUM!")
NULL = ExcelError("#NULL!")


class UserError(Exception):
    """A problem the user caused (bad file, bad argument, circular reference).

    The CLI prints str(error) as one line and exits with `exit_code`; it never
    shows a traceback for these.  Messages name the file, sheet and cell
    whenever they are known.
    """

    exit_code = 2


class FormulaSyntaxError(UserError):
    """A formula's text cannot be parsed."""


class CircularReferenceError(UserError):
    """Cells that depend on themselves; the message lists the cycle."""

