"""Torch forms of the look-ups (XLOOKUP, VLOOKUP, HLOOKUP, LOOKUP), so that
`solve` differentiates through a value found in a table.

A look-up is a gather: where the value is found does not change under a
small change of the values (its gradient is zero almost everywhere), what is
found does.  So the positions are computed with the batch forms' own search
on the current values, detached, and the answer is a gather from the return
array's tensor: the gradient flows to the element found, exactly.

The replay carries numbers and kinds, not texts: XLOOKUP searches the
engine's own value of a look-up value or array that does not change (texts
included); keys that are text and change, the key column of a VLOOKUP table
holding text, an answer that is a whole row, or a mode that is not the same
number in every cell are left to finite differences (TorchUnsupported).
"""

from __future__ import annotations

import numpy as np

from ...errors import ERR_BASE
from ...store import BLANK, BOOL, NUM, STR
from ..values import E_NA, Arr
from .torchforms import TorchUnsupported


def as_arr(v, rows: slice = slice(None), cols: slice = slice(None)) -> Arr:
    """(Part of) a replay value (tensor + kinds) as the batch forms' Arr, for
    searching; text is refused (the replay does not carry it)."""
    num = v.t.detach().cpu().numpy()[..., rows, cols]
    kind = None
    if v.kind is not None:
        kind = np.broadcast_to(v.kind, tuple(v.t.shape))[..., rows, cols]
        if (kind == STR).any():
            raise TorchUnsupported("a look-up of text")
    return Arr(num, kind)


def searched(thunk, array: bool = False) -> Arr:
    """What a lazy look-up searches: the engine's own value (texts included)
    when the argument does not change, else the replay's numbers."""
    fixed = thunk.constant(array) if hasattr(thunk, "constant") else None
    return fixed if fixed is not None else as_arr(thunk(array=array))


def positions(pos: np.ndarray, err: np.ndarray | None) -> np.ndarray:
    """match_positions' answer in gathered's coding: an error code c as -c - 2."""
    if err is None:
        return pos
    return np.where(err != 0, -err.astype(np.int64) - 2, pos)


def constant(thunk, default: float) -> float:
    """A mode argument: one number for every cell, else unsupported."""
    if thunk is None or thunk.omitted:
        return default
    v = thunk()
    x = v.t.detach().cpu().numpy()
    if (v.kind is not None and ((v.kind != NUM) & (v.kind != BOOL)).any()) or x.size == 0 or not (x == x.flat[0]).all():
        raise TorchUnsupported("a look-up mode that is not one number")
    return float(x.flat[0])


def gathered(ret, flat_pos: np.ndarray, fallback=None):
    """The elements of `ret` (a replay value, batch + (h, w)) at flat
    positions `flat_pos` (batch + (1, 1); -1: not found, below -1: the error
    code c as -c - 2): (tensor batch + (1, 1), kinds or None).  Not found is
    `fallback`'s value (a replay value) when given, else #N/A."""
    import torch
    t = ret.t
    h, w = t.shape[-2:]
    shape = tuple(np.broadcast_shapes(tuple(t.shape[:-2]), flat_pos.shape[:-2]))
    src = t.reshape(tuple(t.shape[:-2]) + (h * w,)).expand(shape + (h * w,))
    idx = np.broadcast_to(np.maximum(flat_pos, 0), shape + (1, 1)).reshape(shape + (1,))
    out = torch.gather(src, -1, torch.from_numpy(np.array(idx, dtype=np.int64)).to(t.device)).reshape(shape + (1, 1))
    kinds = np.full(shape + (1, 1), NUM, np.uint8)
    if ret.kind is not None:
        kind_src = np.broadcast_to(ret.kind, shape + (h, w)).reshape(shape + (h * w,))
        kinds = np.take_along_axis(kind_src, idx, -1).reshape(shape + (1, 1))
        kinds = np.where(kinds == BLANK, NUM, kinds)          # an empty cell found shows as 0
    pos = np.broadcast_to(flat_pos, shape + (1, 1))
    missing = pos == -1
    if missing.any():
        if fallback is None:
            out = torch.where(torch.from_numpy(np.array(missing)).to(t.device), torch.zeros_like(out), out)
            kinds = np.where(missing, E_NA, kinds)
        else:
            fb_kind = np.full((1, 1), NUM, np.uint8) if fallback.kind is None else fallback.kind
            if fallback.t.shape[-2:] != (1, 1) or (fb_kind == STR).any():
                raise TorchUnsupported("an if_not_found that is not one number")
            out = torch.where(torch.from_numpy(np.array(missing)).to(t.device), fallback.t.expand(out.shape), out)
            kinds = np.where(missing, np.broadcast_to(fb_kind, kinds.shape), kinds)
    failed = pos < -1
    if failed.any():
        out = torch.where(torch.from_numpy(np.array(failed)).to(t.device), torch.zeros_like(out), out)
        kinds = np.where(failed, -pos - 2, kinds).astype(np.uint8)
    if (kinds >= ERR_BASE).any() or (kinds != NUM).any():
        return out, kinds.astype(np.uint8)
    return out, None
