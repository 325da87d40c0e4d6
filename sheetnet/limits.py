"""Excel's own limits, and the memory sheetnet allows itself.

Excel's limits are enforced where a file is read: a sheet has at most
1,048,576 rows and 16,384 columns (A1:XFD1048576), a formula at most 8,192
characters and 64 levels of nested functions and parentheses.

The memory budget (``--max-memory``, default 2 GiB; the environment variable
``SHEETNET_MAX_MEMORY`` sets it too) is what a command may use.  Work whose
size is known before it starts -- a sheet's value grid, a recurrence's
dependency graph, the cells a reference or an array formula covers -- is
estimated first and refused with one line when the estimate does not fit
(:func:`require`).  The `sheetnet` program also sets the budget as the
process's data limit, so an allocation nobody estimated fails with a
MemoryError (reported in one line) instead of pushing the machine into swap.
"""

from __future__ import annotations

import os
import re
import sys
from contextlib import contextmanager

from .errors import UserError
from .refs import MAX_COLS, MAX_ROWS  # noqa: F401  (Excel's grid, kept with the other limits)

MAX_FORMULA_CHARS = 8_192
MAX_NESTING = 64

# A formula of at most MAX_FORMULA_CHARS characters makes a tree at most that
# deep (every operator and call costs a character); the defined names it uses
# add their own depth when evaluated.  MAX_DEPTH bounds the sum, and the
# recursive walkers (evaluation, rendering, the Solver's replay: a handful of
# Python frames per level, Python frames that take no C stack) get a
# recursion limit covering it.  Trees are never hashed recursively (see
# engine.plan.tree_key).
MAX_DEPTH = 2 * MAX_FORMULA_CHARS
RECURSION_LIMIT = 6 * MAX_DEPTH + 2_000

DEFAULT_BUDGET = 2 << 30
SMALL_BYTES = 32 << 20     # estimates below this are not checked (see require)
GRID_BYTES_PER_CELL = 32   # a cell of a checked sheet: value grid 17 B, engine owner/state/mask 6 B, copies on growth


class MemoryBudgetError(UserError):
    """Work that would need more memory than the budget allows.  `cell` is
    set once the message names the cell whose evaluation needed it."""

    cell: str | None = None


_budget: int | None = None
_baseline: int | None = None    # data the process held when the command started (see memory_cap)


def parse_size(text: str) -> int:
    """'512M', '4G', '1.5GiB', '2000000000' -> bytes (K/M/G/T are powers of 1024)."""
    m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]*)?)\s*([kmgt]?)(?:i?b)?\s*", str(text), re.IGNORECASE)
    if not m:
        raise ValueError(f"{text!r} is not a size such as 512M, 4G or 1.5GiB")
    value = float(m.group(1)) * 1024 ** " kmgt".index(m.group(2).lower() or " ")
    if not 1 <= value < 1 << 62:
        raise ValueError(f"{text!r} is not a usable size")
    return int(value)


def format_bytes(n: float) -> str:
    for unit, size in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{int(n)} bytes"


def budget() -> int:
    """The memory budget in bytes: set_budget's, else SHEETNET_MAX_MEMORY, else 2 GiB."""
    if _budget is not None:
        return _budget
    env = os.environ.get("SHEETNET_MAX_MEMORY")
    if env:
        try:
            return parse_size(env)
        except ValueError as exc:
            raise UserError(f"SHEETNET_MAX_MEMORY: {exc}") from None
    return DEFAULT_BUDGET


def set_budget(nbytes: int | None) -> None:
    """Set the budget for this process (None: back to the environment/default)."""
    global _budget
    _budget = nbytes


def _in_use() -> int:
    """Memory this process has already reserved for data (Linux: VmData), 0 where unknown."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[5]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def require(nbytes: float, what: str) -> None:
    """Refuse (MemoryBudgetError) work estimated to need `nbytes` more than
    what is left of the budget.  `what` says what the memory is for."""
    if nbytes < SMALL_BYTES:       # not worth a look at the process (the process limit still holds)
        return
    limit = budget()
    # within a command, what it already holds counts; a program using sheetnet
    # as a library has each estimate compared with the budget on its own
    used = 0 if _baseline is None else max(_in_use() - _baseline, 0)
    if nbytes <= limit - used:
        return
    suggestion = max(limit * 2, 1 << (int(nbytes + used) - 1).bit_length())
    raise MemoryBudgetError(f"{what} needs about {format_bytes(nbytes)}, past the memory budget of "
                            f"{format_bytes(limit)} (raise it with --max-memory, e.g. "
                            f"--max-memory {suggestion >> 30 or 1}G)")


def require_cells(cells: float, what: str, bytes_per_cell: float = GRID_BYTES_PER_CELL) -> None:
    require(cells * bytes_per_cell, what)


@contextmanager
def deep_recursion():
    """Let the recursive tree walkers reach the depth of the deepest formula
    Excel allows (see RECURSION_LIMIT); the previous limit comes back after."""
    before = sys.getrecursionlimit()
    if before < RECURSION_LIMIT:
        sys.setrecursionlimit(RECURSION_LIMIT)
    try:
        yield
    finally:
        if sys.getrecursionlimit() != before:
            sys.setrecursionlimit(before)


@contextmanager
def memory_cap():
    """For the length of a command: the budget, on top of what the process
    already holds, becomes its data limit (the soft limit, put back after),
    where the platform has one.  An allocation nobody estimated then fails
    with MemoryError instead of exhausting the machine."""
    global _baseline
    before_baseline = _baseline
    _baseline = _in_use()
    try:
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    except (ImportError, ValueError, OSError):
        resource = None
    limit = _baseline + budget()
    if resource is not None and hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    capped = False
    if resource is not None and (soft == resource.RLIM_INFINITY or soft > limit):
        try:
            resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))
            capped = True
        except (ValueError, OSError):
            pass
    try:
        yield
    finally:
        _baseline = before_baseline
        if capped:
            resource.setrlimit(resource.RLIMIT_DATA, (soft, hard))
