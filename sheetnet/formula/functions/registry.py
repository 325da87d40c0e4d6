"""One registration per Excel function.

A registration says everything the three evaluators and the tools need:

* its name(s) and the prefix Excel writes before it in a file (``_xlfn.``
  for functions newer than the 2007 file format, ``_xlfn._xlws.`` for SORT
  and FILTER) -- the parser strips prefixes, a writer adds them back;
* its category, as Excel's function library groups them (`Category`);
* its parameters, as a signature string (`parse_signature`): each
  parameter's type fixes how the evaluator hands the argument over (a value,
  an array, a reference as given, a position) and how blanks, text, booleans
  and errors are coerced;
* volatility and laziness;
* its implementations: the batch form (numpy, over a whole block of cells:
  `function`) or a plain-Python form of one value lifted element by element
  (`elementwise`, with an optional vectorised numpy form); optional scalar
  form for the compiled recurrence path (engine/scalar.py) and torch form for
  exact Solver gradients (solver/autodiff.py).  A function without a torch
  form makes `solve` fall back to finite differences.

CONTRIBUTING.md ("Adding an Excel function") is the guide, with examples.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Callable

MAX_ARGS = 255


class Category(str, Enum):
    """Excel's function categories (the names of the reference-workbook folders)."""

    MATH = "MATH_AND_TRIGONOMETRY"
    STATISTICAL = "STATISTICAL"
    LOOKUP = "LOOKUP_AND_REFERENCE"
    LOGICAL = "LOGICAL"
    INFORMATION = "INFORMATION"
    TEXT = "TEXT"
    DATE_TIME = "DATE_AND_TIME"
    FINANCIAL = "FINANCIAL"
    ENGINEERING = "ENGINEERING"
    DATABASE = "DATABASE"
    DYNAMIC_ARRAY = "DYNAMIC_ARRAY"
    WEB = "WEB"
    CUBE = "CUBE"
    COMPATIBILITY = "COMPATIBILITY"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Category.MATH: "Math & trig", Category.STATISTICAL: "Statistical",
    Category.LOOKUP: "Lookup & reference", Category.LOGICAL: "Logical",
    Category.INFORMATION: "Information", Category.TEXT: "Text", Category.DATE_TIME: "Date & time",
    Category.FINANCIAL: "Financial", Category.ENGINEERING: "Engineering", Category.DATABASE: "Database",
    Category.DYNAMIC_ARRAY: "Dynamic array", Category.WEB: "Web", Category.CUBE: "Cube",
    Category.COMPATIBILITY: "Compatibility",
}


# --- parameter types ------------------------------------------------------------------
#
# type       how the evaluator passes it (kind)          coercion of each value
# number     one value (a range is implicitly intersected blank 0, TRUE 1, "3" 3, other text
#            outside array formulas; elementwise over an   #VALUE!, errors propagate
#            array inside them)
# integer    as number                                    as number, then truncated toward zero
# strict_number  as number                                as number, but booleans are #VALUE! and an
#                                                          omitted argument is #N/A (the Analysis
#                                                          ToolPak's functions: QUOTIENT, MROUND ...)
# text       as number                                    number as General text, TRUE/FALSE, blank ""
# boolean    as number                                    non-zero TRUE, "TRUE"/"FALSE", other text #VALUE!
# any        as number                                    none: the value as it is (errors included)
# array      the whole array (array context)              none
# numbers    as given: a range stays a reference          Excel's aggregate rule: in a range or array
#                                                          only numbers count (text, booleans, blanks
#                                                          skipped); a typed-in value is coerced as number
# reference  as given (a reference or a value)            none: the function decides
# position   a reference whose cells are not read         none (ROW, OFFSET's base: no dependency)
# lazy       the unevaluated argument (function is lazy)  none: evaluated on demand (IF, CHOOSE)

VALUE, ARRAY, AS_GIVEN, POSITION, LAZY = "value", "array", "as given", "position", "lazy"
PARAM_TYPES = {
    "number": VALUE, "integer": VALUE, "strict_number": VALUE, "text": VALUE, "boolean": VALUE, "any": VALUE,
    "array": ARRAY, "numbers": AS_GIVEN, "reference": AS_GIVEN, "position": POSITION, "lazy": LAZY,
}
_MODE_LETTER = {VALUE: "v", ARRAY: "a", AS_GIVEN: "x", POSITION: "p", LAZY: "v"}


@dataclass(frozen=True)
class Param:
    name: str
    type: str                   # a key of PARAM_TYPES
    optional: bool = False
    default: object = None      # what the lifting passes when an optional argument is omitted

    @property
    def kind(self) -> str:
        return PARAM_TYPES[self.type]


_MEMBER = re.compile(r'(?:[^,"]|"[^"]*")+')     # comma-separated, quoted defaults kept whole
_PARAM = re.compile(r"^\s*(\w[\w.]*)\s*:\s*(\w+)\s*(?:=\s*(\S.*?))?\s*$")


def parse_signature(text: str) -> tuple[tuple[Param, ...], int]:
    """``"number: number, [digits: integer = 0]"`` -> (params, repeat).

    Parameters are ``name: type`` with an optional ``= default`` (a number,
    TRUE/FALSE or a "text"); ``[...]`` marks optional ones; a bracketed group
    followed by ``...`` repeats up to Excel's 255 arguments, e.g.
    ``"number: numbers, [number: numbers]..."`` (SUM) or
    ``"test: boolean, value: any, [test: boolean, value: any]..."`` (IFS).
    `repeat` is the size of that trailing group (0: none)."""
    params: list[Param] = []
    repeat = 0
    for group, optional, repeated in _groups(text):
        if repeat:
            raise ValueError(f"signature {text!r}: a repeated group must come last")
        members = [p for p in _MEMBER.findall(group) if p.strip()]
        for member in members:
            m = _PARAM.match(member)
            if m is None or m.group(2) not in PARAM_TYPES:
                raise ValueError(f"signature {text!r}: cannot read parameter {member.strip()!r} "
                                 f"(types: {', '.join(PARAM_TYPES)})")
            if not optional and any(p.optional for p in params):
                raise ValueError(f"signature {text!r}: a required parameter after an optional one")
            params.append(Param(m.group(1), m.group(2), optional, _default(m.group(3))))
        if repeated:
            repeat = len(members)
    return tuple(params), repeat


def _groups(text: str):
    """(text, optional, repeated) for each top-level part of a signature."""
    i, n = 0, len(text)
    plain = []
    while i < n:
        ch = text[i]
        if ch == "[":
            if "".join(plain).strip(" ,"):
                yield "".join(plain), False, False
            plain = []
            j = text.index("]", i)
            rest = text[j + 1:].lstrip()
            repeated = rest.startswith("...")
            yield text[i + 1:j], True, repeated
            i = j + 1
            if repeated:
                i = text.index("...", i) + 3
        else:
            plain.append(ch)
            i += 1
    if "".join(plain).strip(" ,"):
        yield "".join(plain), False, False


def _default(text: str | None):
    if text is None:
        return None
    if text.upper() in ("TRUE", "FALSE"):
        return text.upper() == "TRUE"
    if text.startswith('"') and text.endswith('"'):
        return text[1:-1]
    return float(text)


@dataclass(frozen=True)
class FunctionSpec:
    """Everything known about one Excel function (one entry per name)."""

    name: str
    impl: Callable              # batch form: impl(ctx, *args) -> Arr | RefVal (lazy: impl(ctx, nodes))
    category: Category
    params: tuple[Param, ...]
    repeat: int = 0
    prefix: str = ""
    volatile: bool = False
    lazy: bool = False
    reference: bool = False     # may return a reference (OFFSET, INDEX): its result is a position
    python: Callable | None = None   # plain-Python form of one value (elementwise registrations)
    scalar: Callable | None = None   # form for engine/scalar.py (see _scalar_conventions below)
    torch: Callable | None = None    # form for solver/autodiff.py; None: finite differences

    @property
    def min_args(self) -> int:
        return sum(1 for p in self.params if not p.optional)

    @property
    def max_args(self) -> int:
        return MAX_ARGS if self.repeat else len(self.params)

    def param(self, i: int) -> Param:
        """The parameter the i-th argument (0-based) binds to."""
        n = len(self.params)
        if i < n or not self.repeat:
            return self.params[min(i, n - 1)]
        start = n - self.repeat
        return self.params[start + (i - start) % self.repeat]

    def mode(self, i: int) -> str:
        """How the evaluator passes argument i: "v" a value, "a" an array,
        "x" as given, "p" a position only."""
        if not self.params:
            return "v"
        return _MODE_LETTER[self.param(i).kind]

    @property
    def elementwise(self) -> bool:
        """Every parameter is one value: the torch form maps tensors to a tensor."""
        return bool(self.params) and all(p.kind == VALUE for p in self.params)

    @property
    def aggregate(self) -> bool:
        """Every parameter follows the aggregate rule (SUM, MAX ...)."""
        return bool(self.params) and all(p.type == "numbers" for p in self.params)

    @property
    def qualified_name(self) -> str:
        """The name as Excel writes it in a file (with its prefix)."""
        return self.prefix + self.name

    @property
    def signature(self) -> str:
        parts = []
        for p in self.params:
            text = f"{p.name}: {p.type}"
            parts.append(f"[{text}]" if p.optional else text)
        if self.repeat:
            parts.append("...")
        return f"{self.name}({', '.join(parts)})"


# The forms beside the batch one follow conventions fixed by the parameters
# (CONTRIBUTING.md shows each):
#
# scalar (engine/scalar.py, plain floats, one cell):
#   elementwise  scalar(*floats) -> float | bool; raising ValueError,
#                OverflowError or ZeroDivisionError, or returning anything
#                else, sends the cell to the general evaluator
#   aggregate    scalar(values: list[float]) -> float (ranges of numbers only)
#   lazy         scalar(*thunks) -> float | bool; thunk() evaluates an argument
# torch (solver/autodiff.py):
#   elementwise  torch(*tensors) -> tensor (result kinds: the arguments', merged)
#   aggregate    torch(parts) -> tensor of the batch shape; parts: one
#                (values, include) pair of tensors per argument, shape batch + (k,)
#   lazy         torch(*thunks) -> value; thunk() gives an evaluated argument
#   otherwise    torch(*values) -> value or (tensor, kinds); each value has .t
#                (tensor, batch + (h, w)) and .kind (uint8 kinds, None = all numbers)
#   Raise torchforms.TorchUnsupported for a case the form does not model.

FUNCTIONS: dict[str, FunctionSpec] = {}


def _register(names, spec_fields: dict) -> None:
    for name in names:
        key = name.upper()
        if key in FUNCTIONS:
            raise ValueError(f"Excel function {key} is registered twice "
                             f"(in {FUNCTIONS[key].impl.__module__} and {spec_fields['impl'].__module__})")
        FUNCTIONS[key] = FunctionSpec(key, **spec_fields)


def function(*names: str, category: Category, args: str = "", prefix: str = "", volatile: bool = False,
             lazy: bool = False, reference: bool = False, scalar: Callable | None = None,
             torch: Callable | None = None):
    """Register a batch implementation ``impl(ctx, *args)`` under one or more
    names (each name gets the same prefix; register twice when they differ)."""
    params, repeat = parse_signature(args)

    def register(impl):
        _register(names, dict(impl=impl, category=category, params=params, repeat=repeat, prefix=prefix,
                              volatile=volatile, lazy=lazy, reference=reference, scalar=scalar, torch=torch))
        return impl

    return register


def elementwise(*names: str, category: Category, args: str, prefix: str = "", numpy: Callable | None = None,
                torch: Callable | None = None, scalar_path: bool = True):
    """Register a plain-Python function of one value per parameter (types
    number, integer, text, boolean, any); it is lifted element by element over
    a batch (`lifting.lift`), or `numpy` (the same function over float arrays,
    number/integer parameters only) is used when given.  The Python form is
    also the scalar path's form when every parameter is numeric
    (`scalar_path=False` opts out)."""
    params, repeat = parse_signature(args)
    if repeat or any(p.kind != VALUE for p in params):
        raise ValueError(f"{names[0]}: elementwise parameters are single values, not repeated")
    from .lifting import lift, lift_numpy, scalar_form

    def register(fn):
        impl = lift_numpy(numpy, params) if numpy is not None else lift(fn, params)
        numeric = all(p.type in ("number", "integer", "strict_number") for p in params)
        _register(names, dict(impl=impl, category=category, params=params, prefix=prefix, python=fn,
                              scalar=scalar_form(fn, params) if (numeric and scalar_path) else None,
                              torch=torch))
        return fn

    return register


def by_category() -> dict[Category, list[FunctionSpec]]:
    out: dict[Category, list[FunctionSpec]] = {}
    for spec in sorted(FUNCTIONS.values(), key=lambda s: s.name):
        out.setdefault(spec.category, []).append(spec)
    return dict(sorted(out.items(), key=lambda kv: list(Category).index(kv[0])))
