"""The graddesc lesson's inputs: the 29 points (or points drawn from a seed),
the learning rates and the choice of optimisers, checked."""

from __future__ import annotations

import math

import numpy as np

from ...errors import UserError
from .mirror import OPTIMIZERS, canonical_name

DEFAULT_EPOCHS = 10
MAX_POINTS = 1000
MAX_EPOCHS = 200

# The lesson's 29 data points: x as its optimiser sheets hold them (a frozen
# copy of one RANDBETWEEN(1, 100) draw), y = 2x + 30.
LESSON_X = (14, 86, 28, 51, 28, 29, 72, 62, 84, 15, 42, 62, 47, 35, 9, 38, 44, 99, 13, 21, 28, 20, 8, 64,
            99, 70, 27, 17, 8)
LESSON_SLOPE = 2.0
LESSON_INTERCEPT = 30.0


def lesson_data() -> tuple[np.ndarray, np.ndarray]:
    """The lesson's 29 points as float64 arrays (x, y), y = 2x + 30."""
    x = np.array(LESSON_X, dtype=np.float64)
    return x, LESSON_INTERCEPT + x * LESSON_SLOPE


def generate_data(seed: int | None, points: int | None, slope: float, intercept: float):
    """x: the lesson's 29 x values when neither seed nor points is given, else
    `points` integers drawn uniformly from 1..100 (like RANDBETWEEN(1,100))
    with numpy's default_rng(seed) (seed 0 when only points is given);
    y = intercept + x*slope, as the lesson's data sheet computes it."""
    if seed is None and points is None:
        x = np.array(LESSON_X, dtype=np.float64)
    else:
        n = 29 if points is None else points
        x = np.random.default_rng(0 if seed is None else seed).integers(1, 101, size=n).astype(np.float64)
    return x, intercept + x * slope


def parse_lr(items, optimizers=OPTIMIZERS) -> dict[str, float]:
    """["adam=0.1", "sgd=2e-4"] or ["0.1"] (every optimiser) -> {optimiser: lr}."""
    out: dict[str, float] = {}
    for item in items or []:
        for part in str(item).split(","):
            part = part.strip()
            if not part:
                continue
            name, sep, value = part.rpartition("=")
            try:
                lr = float(value)
            except ValueError:
                raise UserError(f"--lr {part}: expected NAME=VALUE with a number, e.g. adam=0.1") from None
            if not math.isfinite(lr) or lr <= 0:
                raise UserError(f"--lr {part}: the learning rate must be a positive number")
            targets = [canonical_name(name)] if sep else list(optimizers)
            for t in targets:
                out[t] = lr
    return out


def parse_optimizers(text: str | None) -> list[str]:
    if not text:
        return list(OPTIMIZERS)
    names = [canonical_name(p) for p in text.split(",") if p.strip()]
    if not names:
        raise UserError("--optimizers: name at least one optimiser")
    seen = []
    for n in names:
        if n not in seen:
            seen.append(n)
    return [n for n in OPTIMIZERS if n in seen]


def check_sizes(epochs: int, points: int | None) -> None:
    if epochs < 0:
        raise UserError(f"--epochs {epochs}: must be 0 or more")
    if epochs > MAX_EPOCHS:
        raise UserError(f"--epochs {epochs}: at most {MAX_EPOCHS} in a workbook (every epoch is a block of "
                        f"live formulas); use `sheetnet optimize` for longer runs")
    if points is not None and not 1 <= points <= MAX_POINTS:
        raise UserError(f"--points {points}: must be between 1 and {MAX_POINTS}")
