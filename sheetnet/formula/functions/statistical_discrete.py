"""Statistical: discrete distributions -- binomial (with BINOM.DIST.RANGE
and BINOM.INV), negative binomial, Poisson, hypergeometric -- under their
current and legacy names, and PERMUT, PERMUTATIONA.

Counts are truncated to integers (Excel's rule: BINOM.DIST(2.9, ...) is
BINOM.DIST(2, ...)).  Probabilities come from scipy (Boost's accurate
binomial and hypergeometric terms); each function is one vectorised
expression (numpy_forms.py), NaN where Excel gives #NUM!.
"""

from __future__ import annotations

import math

import numpy as np

from .numpy_forms import LazyModule, numpy_elementwise, where
from .registry import Category, elementwise

sp = LazyModule("scipy.special")
stats = LazyModule("scipy.stats")

STATISTICAL = Category.STATISTICAL


# --- binomial ----------------------------------------------------------------------------------

def _binom_dist(s, n, p, cumulative):
    """BINOM.DIST: the binomial probability of s successes in n trials (or of
    at most s); s outside [0, n] or p outside [0, 1]: #NUM!."""
    ok = (s >= 0) & (s <= n) & (p >= 0) & (p <= 1)
    s, n, p = np.where(ok, s, 0.0), np.where(ok, n, 0.0), np.where(ok, p, 0.5)
    return where(ok, np.where(cumulative != 0, stats.binom.cdf(s, n, p), stats.binom.pmf(s, n, p)))


BINOM_ARGS = "number_s: integer, trials: integer, probability_s: number, cumulative: boolean"
numpy_elementwise("BINOM.DIST", category=STATISTICAL, prefix="_xlfn.", args=BINOM_ARGS)(_binom_dist)
numpy_elementwise("BINOMDIST", category=STATISTICAL, args=BINOM_ARGS)(_binom_dist)


@numpy_elementwise("BINOM.DIST.RANGE", category=STATISTICAL, prefix="_xlfn.",
                   args="trials: integer, probability_s: number, number_s: integer, [number_s2: integer]")
def _binom_dist_range(n, p, s, s2=None):
    """BINOM.DIST.RANGE: the probability of s to s2 successes (s2 omitted:
    exactly s) in n trials; s < 0, s > n, s2 < s, s2 > n or p outside
    [0, 1]: #NUM!."""
    s2 = s if s2 is None else s2
    ok = (s >= 0) & (s <= n) & (s2 >= s) & (s2 <= n) & (p >= 0) & (p <= 1)
    s, s2, n, p = (np.where(ok, v, d) for v, d in ((s, 0.0), (s2, 0.0), (n, 0.0), (p, 0.5)))
    between = stats.binom.cdf(s2, n, p) - np.where(s > 0, stats.binom.cdf(s - 1, n, p), 0.0)
    return where(ok, np.where(s == s2, stats.binom.pmf(s, n, p), between))


def _binom_inv(n: int, p: float, alpha: float) -> float:
    """The smallest number of successes whose cumulative binomial probability
    reaches alpha; n < 0, p outside [0, 1) or alpha outside (0, 1): #NUM!."""
    if n < 0 or not 0 <= p < 1 or not 0 < alpha < 1:
        raise ValueError("outside BINOM.INV's domain")
    k = float(stats.binom.ppf(alpha, n, p))
    if not math.isfinite(k):
        k = float(n)
    k = min(max(k, 0.0), float(n))
    # ppf may be one off where the cdf sits on alpha to rounding: step to the exact answer
    while k > 0 and stats.binom.cdf(k - 1, n, p) >= alpha:
        k -= 1
    while k < n and stats.binom.cdf(k, n, p) < alpha:
        k += 1
    return k


BINOM_INV_ARGS = "trials: integer, probability_s: number, alpha: number"
elementwise("BINOM.INV", category=STATISTICAL, prefix="_xlfn.", args=BINOM_INV_ARGS)(_binom_inv)
elementwise("CRITBINOM", category=STATISTICAL, args=BINOM_INV_ARGS)(_binom_inv)


# --- negative binomial -------------------------------------------------------------------------

@numpy_elementwise("NEGBINOM.DIST", category=STATISTICAL, prefix="_xlfn.",
                   args="number_f: integer, number_s: integer, probability_s: number, cumulative: boolean")
def _negbinom_dist(f, s, p, cumulative):
    """NEGBINOM.DIST: the probability of f failures before the s-th success
    (or of at most f); f < 0, s < 1 or p outside (0, 1): #NUM!."""
    ok = (f >= 0) & (s >= 1) & (p > 0) & (p < 1)
    f, s, p = np.where(ok, f, 0.0), np.where(ok, s, 1.0), np.where(ok, p, 0.5)
    return where(ok, np.where(cumulative != 0, stats.nbinom.cdf(f, s, p), stats.nbinom.pmf(f, s, p)))


@numpy_elementwise("NEGBINOMDIST", category=STATISTICAL,
                   args="number_f: integer, number_s: integer, probability_s: number")
def _negbinomdist(f, s, p):
    """NEGBINOMDIST: the probability of f failures before the s-th success."""
    return _negbinom_dist(f, s, p, 0.0)


# --- Poisson -----------------------------------------------------------------------------------

def _poisson_dist(x, mean, cumulative):
    """POISSON.DIST: the Poisson probability of x events (or of at most x);
    x < 0 (before truncation: -1E-6 too) or mean < 0: #NUM!."""
    ok = (x >= 0) & (mean >= 0)
    x, mean = np.trunc(np.where(ok, x, 0.0)), np.where(ok, mean, 1.0)
    pmf = np.exp(sp.xlogy(x, mean) - mean - sp.gammaln(x + 1))
    return where(ok, np.where(cumulative != 0, sp.pdtr(x, mean), pmf))


POISSON_ARGS = "x: number, mean: number, cumulative: boolean"
numpy_elementwise("POISSON.DIST", category=STATISTICAL, prefix="_xlfn.", args=POISSON_ARGS)(_poisson_dist)
numpy_elementwise("POISSON", category=STATISTICAL, args=POISSON_ARGS)(_poisson_dist)


# --- hypergeometric ------------------------------------------------------------------------------

def _hypgeom_dist(s, n, k, pop, cumulative):
    """HYPGEOM.DIST: the probability of s successes in a sample of n drawn
    from a population of pop holding k successes (or of at most s);
    impossible arguments (s > n, s > k, n > pop, k > pop, s < n - pop + k ...): #NUM!."""
    ok = ((s >= 0) & (s <= n) & (s <= k) & (n > 0) & (n <= pop) & (k > 0) & (k <= pop) & (pop > 0)
          & (s >= n - pop + k))
    s, n, k, pop = (np.where(ok, v, 1.0) for v in (s, n, k, pop))
    return where(ok, np.where(cumulative != 0, stats.hypergeom.cdf(s, pop, k, n),
                              stats.hypergeom.pmf(s, pop, k, n)))


numpy_elementwise("HYPGEOM.DIST", category=STATISTICAL, prefix="_xlfn.",
                  args="sample_s: integer, number_sample: integer, population_s: integer, number_pop: integer, "
                       "cumulative: boolean")(_hypgeom_dist)


@numpy_elementwise("HYPGEOMDIST", category=STATISTICAL,
                   args="sample_s: integer, number_sample: integer, population_s: integer, number_pop: integer")
def _hypgeomdist(s, n, k, pop):
    """HYPGEOMDIST: the probability of s successes in the sample."""
    return _hypgeom_dist(s, n, k, pop, 0.0)


# --- permutations ------------------------------------------------------------------------------

@elementwise("PERMUT", category=STATISTICAL, args="number: integer, number_chosen: integer")
def PERMUT(n: int, k: int) -> float:
    """n! / (n - k)!: ordered choices of k among n; n < k or k < 0: #NUM!."""
    if k < 0 or n < k or n < 0:
        raise ValueError("PERMUT needs 0 <= k <= n")
    return float(math.perm(n, k)) if n < 10_000 else math.exp(sp.gammaln(n + 1) - sp.gammaln(n - k + 1))


@elementwise("PERMUTATIONA", category=STATISTICAL, prefix="_xlfn.", args="number: integer, number_chosen: integer")
def PERMUTATIONA(n: int, k: int) -> float:
    """n ** k: ordered choices of k among n with repetition; n or k < 0: #NUM!."""
    if n < 0 or k < 0:
        raise ValueError("PERMUTATIONA needs n, k >= 0")
    return float(n) ** k
