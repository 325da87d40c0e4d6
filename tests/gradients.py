"""The Solver tests' shared check: the torch replay's objective equals the
engine's, and its gradient equals central finite differences of the engine."""

import numpy as np
import pytest


def check_gradient(problem, replay, x, coords=None, rel=1e-6):
    """Objective to 1e-12, and each gradient component in `coords` (all by
    default) to `rel` of a central difference with a step of 1e-6 (relative
    to the coordinate where that is larger); the problem is left at x."""
    f, g = replay.objective(x)
    assert f == pytest.approx(problem.evaluate(x), rel=1e-12)
    for i in range(len(x)) if coords is None else coords:
        e = np.zeros_like(x)
        e[i] = 1e-6 * max(1.0, abs(x[i]))
        fd = (problem.evaluate(x + e) - problem.evaluate(x - e)) / (2 * e[i])
        assert g[i] == pytest.approx(fd, rel=rel, abs=1e-8), i
    problem.evaluate(x)
    return g
