"""What torch forms share with the Solver's replay (solver/autodiff.py).

Torch forms import torch inside their bodies: torch is optional and slow to
import, and only `sheetnet solve` needs it.
"""

from __future__ import annotations

import numpy as np

from ...errors import ERR_BASE
from ...store import BLANK, NUM


class TorchUnsupported(Exception):
    """A torch form met a case it does not model: the Solver uses finite differences."""


def merge_kinds(ka: np.ndarray | None, kb: np.ndarray | None) -> np.ndarray | None:
    """Kinds of an elementwise result of two values: the left error wins, then
    the right one's kinds; blanks count as numbers (None = all numbers)."""
    if ka is None and kb is None:
        return None
    ka = np.full((1,), NUM, np.uint8) if ka is None else ka
    kb = np.full((1,), NUM, np.uint8) if kb is None else kb
    shape = np.broadcast_shapes(ka.shape, kb.shape)
    ka, kb = np.broadcast_to(ka, shape), np.broadcast_to(kb, shape)
    out = np.where(ka >= ERR_BASE, ka, kb)
    return np.where(out == BLANK, NUM, out).astype(np.uint8)
