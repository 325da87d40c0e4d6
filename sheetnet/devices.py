"""Devices and dtypes for the lessons' PyTorch references.

Every torch reference (``sheetnet/lessons/*/torchref.py``) takes ``device`` and
``dtype`` arguments.  ``float64`` is the default: the lesson's sheets are IEEE
doubles, so float64 torch can agree with them to a few units in the last place
(or exactly).  ``float32`` is offered because it is what people train in; its
tolerances (``sheetnet.crosscheck``) are looser and stated separately.
This module imports without torch; ``require_torch`` says what is missing.
"""

from __future__ import annotations

import numpy as np

from .errors import UserError

try:                                   # sheetnet works without torch: only the
    import torch                       # references and the cross-check need it
except ImportError:                    # pragma: no cover - exercised only without torch
    torch = None

def require_torch():
    """The torch module, or one clear UserError line when it is not installed."""
    if torch is None:
        raise UserError("PyTorch is not installed: pip install -e '.[torch]' (pinned torch==2.13.0; "
                        "see README for the CUDA build)")
    return torch


def cuda_available() -> bool:
    return torch is not None and torch.cuda.is_available()


def available_devices() -> list[str]:
    """``["cpu"]``, plus ``"cuda"`` where torch sees a CUDA device (for test parametrisation)."""
    return ["cpu"] + (["cuda"] if cuda_available() else [])


def resolve_device(name=None, option: str = "--device"):
    """``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"auto"`` (CUDA when available) -> ``torch.device``.

    Asking for CUDA where there is none is a :class:`UserError` naming why, never
    a silent fall-back to the CPU.
    """
    t = require_torch()
    if isinstance(name, t.device):
        name = str(name)
    text = (name or "cpu").strip().lower()
    if text == "auto":
        return t.device("cuda" if cuda_available() else "cpu")
    if text == "cpu":
        return t.device("cpu")
    if text == "cuda" or text.startswith("cuda:"):
        if not t.cuda.is_available():
            if t.version.cuda is None:
                why = f"torch {t.__version__} was built without CUDA"
            else:
                why = f"torch {t.__version__} (CUDA {t.version.cuda}) finds no usable GPU"
            raise UserError(f"{option} {name}: no CUDA device is available ({why}); use {option} cpu")
        index = text.partition(":")[2]
        if index:
            if not index.isdigit() or int(index) >= t.cuda.device_count():
                raise UserError(f"{option} {name}: there are {t.cuda.device_count()} CUDA device(s) "
                                f"(cuda:0 .. cuda:{t.cuda.device_count() - 1})")
        return t.device(text)
    raise UserError(f"{option} {name}: unknown device (use cpu, cuda, cuda:N or auto)")


def resolve_dtype(name=None, option: str = "--dtype"):
    """``"float64"`` (default) or ``"float32"`` -> ``torch.dtype``."""
    t = require_torch()
    if name is None:
        return t.float64
    if isinstance(name, t.dtype):
        if name in (t.float64, t.float32):
            return name
        raise UserError(f"{option} {name}: only float64 and float32 are supported")
    text = str(name).strip().lower()
    aliases = {"float64": t.float64, "double": t.float64, "f64": t.float64,
               "float32": t.float32, "float": t.float32, "f32": t.float32}
    if text not in aliases:
        raise UserError(f"{option} {name}: unknown dtype (use float64 or float32)")
    return aliases[text]


def dtype_name(dtype) -> str:
    """``torch.float64`` / ``"double"`` ... -> ``"float64"`` or ``"float32"``."""
    t = require_torch()
    return "float64" if resolve_dtype(dtype) == t.float64 else "float32"


def as_tensor(values, device=None, dtype=None):
    """A numpy array, list or float as a tensor on ``device`` in ``dtype`` (float64 by default)."""
    t = require_torch()
    return t.as_tensor(np.array(values, dtype=np.float64), device=resolve_device(device)).to(resolve_dtype(dtype))


def to_numpy(tensor) -> np.ndarray:
    """A tensor as a float64 numpy array (detached, on the CPU)."""
    return tensor.detach().to("cpu", copy=True).double().numpy()
