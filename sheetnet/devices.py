"""Devices, dtypes and the tolerance table of the PyTorch references.

Every torch reference in :mod:`sheetnet.torchref` takes ``device`` and
``dtype`` arguments.  ``float64`` is the default: the lesson's sheets are IEEE
doubles, so float64 torch can agree with them to a few units in the last place
(or exactly).  ``float32`` is offered because it is what people train in; its
tolerances are looser and are stated separately, never borrowed.

Tolerances
----------
A tolerance here is what a comparison of a torch value with the sheet's value
(sheetnet's engine on the workbook, or the numpy mirror, both float64) may
differ by.  Each entry gives, per dtype, an absolute and a relative part; the
bound for a set of reference values ``ref`` is::

    atol + rtol * max(|ref|)

so one number per quantity can be reported (``sheetnet crosscheck`` prints it
beside the max abs difference).  Each entry says *why* it is not zero.  The
figures were measured on the lesson's own data and then given a margin of about
ten; they are not loosened to make a test pass -- a torch configuration that
differs from the sheet by more is a different algorithm and gets a custom
optimiser instead (see :mod:`sheetnet.torchref.optim`).

    >>> tolerance("collab", "embedding", "float64").bound([3.0])
    0.0
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import UserError

try:                                   # the package degrades gracefully without torch:
    import torch                       # the tolerance table stays importable
except ImportError:                    # pragma: no cover - exercised only without torch
    torch = None

DTYPES = ("float64", "float32")
EPS64 = float(np.finfo(np.float64).eps)     # 2.2e-16
EPS32 = float(np.finfo(np.float32).eps)     # 1.2e-7


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


# --------------------------------------------------------------------------- tolerances

@dataclass(frozen=True)
class Tol:
    atol: float
    rtol: float = 0.0

    def bound(self, ref=None) -> float:
        """``atol + rtol * max|ref|`` (just ``atol`` without reference values)."""
        if self.rtol == 0.0 or ref is None:
            return self.atol
        ref = np.asarray(ref, dtype=np.float64)
        scale = float(np.max(np.abs(ref[np.isfinite(ref)]), initial=0.0))
        return self.atol + self.rtol * scale


@dataclass(frozen=True)
class Tolerance:
    """How far a torch value may be from the sheet's float64 value, per dtype, and why."""

    lesson: str
    quantity: str
    float64: Tol
    float32: Tol
    why: str

    def for_dtype(self, dtype) -> Tol:
        return self.float64 if _dtype_key(dtype) == "float64" else self.float32

    def bound(self, ref=None, dtype="float64") -> float:
        return self.for_dtype(dtype).bound(ref)


def _dtype_key(dtype) -> str:
    text = str(dtype).replace("torch.", "").lower()
    if text in ("float64", "double", "f64"):
        return "float64"
    if text in ("float32", "float", "f32"):
        return "float32"
    raise UserError(f"unknown dtype {dtype!r} (use float64 or float32)")


_F32_INPUT = ("float32 rounds every float64 input once (relative 6e-8) and computes in 24-bit "
              "arithmetic; the bound is that rounding carried through the formula with a margin")

TOLERANCES: dict[tuple[str, str], Tolerance] = {}


def _add(lesson, quantity, f64: Tol, f32: Tol, why: str) -> None:
    TOLERANCES[(lesson, quantity)] = Tolerance(lesson, quantity, f64, f32, why)


# Measured on the lesson's workbooks (float64 / float32 torch against Excel's cached values), see
# tests/test_torchref_lesson.py; each bound is about ten times the worst measured difference, or a
# few ulps where torch agreed exactly.

# collab: one-hot x W, look-ups, dot products, RMSE
_add("collab", "embedding", Tol(0.0), Tol(0.0, 2 * EPS32),
     "a look-up copies the row and a one-hot product adds exact zeros to it: exact in float64 "
     "(measured 0; TF32 must stay off for CUDA matmuls, torch's default). float32 differs from the "
     "float64 sheet only by rounding each weight once (measured 4.7e-8 relative)")
_add("collab", "prediction", Tol(0.0, 16 * EPS64), Tol(0.0, 2e-6),
     "a 5-term dot product plus biases: torch's matmul/sum order and fused multiply-adds differ from "
     "Excel's left-to-right MMULT/SUMPRODUCT by an ulp of the largest term (measured 3.2e-16 relative). "
     + _F32_INPUT + " (measured 2.3e-7)")
_add("collab", "rmse", Tol(0.0, 64 * EPS64), Tol(0.0, 2e-6),
     "a root mean square of ~200 errors: torch sums pairwise, Excel left to right, and pred - rating "
     "cancels the digits the two share (measured 2.8e-16 relative). " + _F32_INPUT + " (measured 1.5e-7)")

# graddesc: per-row gradients, finite differences, optimiser trajectories
_add("graddesc", "gradient", Tol(0.0, 4 * EPS64), Tol(0.0, 4e-6),
     "de/db = 2(ax + b - y), de/da = x de/db: autograd evaluates the sheet's operations in the sheet's "
     "order (measured: identical); the allowance covers a fused multiply-add in ax + b on other "
     "hardware. float32 loses digits in the residual ax + b - y (y up to 228; measured 3.9e-7)")
_add("graddesc", "finite_difference", Tol(1e-9), Tol(1.0),
     "(e(p + h) - e(p)) / h with h = 0.01 is evaluated in the sheet's order (measured: identical in "
     "float64); what may differ is a rounding of e, and one ulp of e (up to 2.3e4 here) divided by h "
     "is 3.6e-10. In float32 that ulp / h is 0.2 (measured 0.16): a float32 forward difference with "
     "h = 0.01 has no more than two or three correct digits")
_add("graddesc", "parameters", Tol(0.0, 1e-13), Tol(0.0, 5e-5),
     "a, b after up to 5 epochs (header and new b/new a columns): torch's SGD adds -lr g with "
     "alpha (a fused multiply-add), Adam uses lerp and addcdiv, and torch's float64 sqrt is not "
     "correctly rounded (1 ulp off for ~1.3% of inputs): each row differs by an ulp and 145 rows "
     "carry it (measured up to 6.5e-15 relative, Adam at lr = 1). float32 accumulates 24-bit "
     "rounding over 145 steps (measured 4.4e-6 for Adam)")
_add("graddesc", "parameters_long", Tol(0.0, 5e-11), Tol(0.0, 1e-3),
     "a, b after the workbook's saved runs (adam: 20 epochs, adam_ann: 25 epochs, where the fit is "
     "nearly exact and the residuals cancel): the same ulps amplified (measured 3.4e-12 relative; "
     "the float64 numpy replay itself is 8e-14 from Excel's values there); float32 1.1e-4")
_add("graddesc", "state", Tol(0.0, 1e-13), Tol(0.0, 5e-5),
     "optimiser state (momentum m, RMSProp/Adam v up to 4e7) after up to 5 epochs, relative to the "
     "state's largest value: the same roundings as the parameters (measured 1e-14); float32 2e-6")
_add("graddesc", "error", Tol(0.0, 16 * EPS64), Tol(0.0, 2e-6),
     "sqrt of the summed squared errors of 29 rows (basic F33): the sum's order differs "
     "(measured exact to the 9 digits the lesson logs); float32 measured 1.8e-7")

# entropy: softmax, sigmoid, cross-entropy (natural and base 10)
_add("entropy", "softmax", Tol(4 * EPS64), Tol(4 * EPS32),
     "torch.softmax subtracts the maximum before exp and divides once: a probability (<= 1) differs "
     "from EXP(s)/SUM(EXP(s)) by an ulp (measured 1.1e-16; float32 1.5e-8)")
_add("entropy", "sigmoid", Tol(4 * EPS64), Tol(4 * EPS32),
     "torch.sigmoid computes 1/(1 + exp(-s)); the sheet e/(1 + e): the same value rounded "
     "differently (measured 1.1e-16; float32 2.1e-8)")
_add("entropy", "cross_entropy", Tol(16 * EPS64), Tol(2e-6),
     "natural log divided by ln 10 versus Excel's base-10 LOG: two roundings versus one on a loss "
     "<= 2 (measured 5.6e-17); F.binary_cross_entropy and F.nll_loss add only a sign. float32 "
     "rounds p, so log(1 - p) moves by ulp(p)/(1 - p) (measured 1.2e-7)")


def tolerance(lesson: str, quantity: str, dtype="float64") -> Tol:
    """The :class:`Tol` of one lesson quantity for ``dtype`` (see :data:`TOLERANCES`)."""
    try:
        return TOLERANCES[(lesson, quantity)].for_dtype(dtype)
    except KeyError:
        known = ", ".join(f"{l}/{q}" for l, q in TOLERANCES)
        raise KeyError(f"no tolerance for {lesson}/{quantity} (known: {known})") from None
