"""Statistical: continuous distributions and their inverses -- normal,
lognormal, exponential, gamma, beta, chi-squared, Student's t, F, Weibull --
under their current and legacy names, with GAMMA, GAMMALN(.PRECISE),
FISHER(INV), PHI, GAUSS and CONFIDENCE(.NORM/.T).

Each is one vectorised numpy/scipy.special expression (numpy_forms.py), NaN
where Excel gives #NUM!; the functions a Solver model may differentiate
through (the normal family, lognormal, exponential, Weibull, GAMMALN,
FISHER, PHI, GAUSS) have torch forms.

Excel's rules, as its cached values show them: degrees of freedom are
truncated to integers (CHISQ.DIST(x, 3.34) uses 3; at least 1, else
#NUM!); a "cumulative" flag picks the CDF, else the density.
"""

from __future__ import annotations

import math

import numpy as np

from .numpy_forms import LazyModule, exact_value, numpy_elementwise, where
from .registry import Category, elementwise

sp = LazyModule("scipy.special")

STATISTICAL = Category.STATISTICAL
SQRT_2PI = math.sqrt(2 * math.pi)


def _torch():
    import torch
    return torch


def _ndtr_torch(z):
    """The normal CDF as 0.5 erfc(-z/sqrt 2): torch.special.ndtr loses its
    relative accuracy in the lower tail (0 already at z = -10)."""
    return 0.5 * _torch().special.erfc(-z / math.sqrt(2))


# --- normal ------------------------------------------------------------------------------------

def _norm_dist(x, mean, sd, cumulative):
    """NORM.DIST: the normal CDF (cumulative) or density; standard_dev <= 0: #NUM!."""
    z = (x - mean) / np.where(sd > 0, sd, 1.0)
    value = np.where(cumulative != 0, sp.ndtr(z), np.exp(-0.5 * z * z) / (SQRT_2PI * sd))
    return where(sd > 0, value)


def _norm_dist_torch(x, mean, sd, cumulative):
    torch = _torch()
    z = (x - mean) / sd
    return torch.where(torch.as_tensor(cumulative) != 0, _ndtr_torch(z), torch.exp(-0.5 * z * z) / (SQRT_2PI * sd))


NORM_DIST_ARGS = "x: number, mean: number, standard_dev: number, cumulative: boolean"
numpy_elementwise("NORM.DIST", category=STATISTICAL, prefix="_xlfn.", args=NORM_DIST_ARGS,
                  torch=_norm_dist_torch)(_norm_dist)
numpy_elementwise("NORMDIST", category=STATISTICAL, args=NORM_DIST_ARGS, torch=_norm_dist_torch)(_norm_dist)


def _norm_inv(p, mean, sd):
    """NORM.INV: the normal quantile; p outside (0, 1) or standard_dev <= 0: #NUM!."""
    return where((p > 0) & (p < 1) & (sd > 0), mean + sd * sp.ndtri(p))


def _norm_inv_torch(p, mean, sd):
    return mean + sd * _torch().special.ndtri(p)


NORM_INV_ARGS = "probability: number, mean: number, standard_dev: number"
numpy_elementwise("NORM.INV", category=STATISTICAL, prefix="_xlfn.", args=NORM_INV_ARGS,
                  torch=_norm_inv_torch)(_norm_inv)
numpy_elementwise("NORMINV", category=STATISTICAL, args=NORM_INV_ARGS, torch=_norm_inv_torch)(_norm_inv)


@numpy_elementwise("NORM.S.DIST", category=STATISTICAL, prefix="_xlfn.", args="z: number, cumulative: boolean",
                   torch=lambda z, c: _norm_dist_torch(z, 0.0, 1.0, c))
def _norm_s_dist(z, cumulative):
    """NORM.S.DIST: the standard normal CDF or density."""
    return _norm_dist(z, 0.0, 1.0, cumulative)


@numpy_elementwise("NORMSDIST", category=STATISTICAL, args="z: number",
                   torch=lambda z: _ndtr_torch(z))
def _normsdist(z):
    """NORMSDIST: the standard normal CDF."""
    return sp.ndtr(z)


def _norm_s_inv(p):
    """NORM.S.INV: the standard normal quantile; p outside (0, 1): #NUM!."""
    return where((p > 0) & (p < 1), sp.ndtri(p))


numpy_elementwise("NORM.S.INV", category=STATISTICAL, prefix="_xlfn.", args="probability: number",
                  torch=lambda p: _torch().special.ndtri(p))(_norm_s_inv)
numpy_elementwise("NORMSINV", category=STATISTICAL, args="probability: number",
                  torch=lambda p: _torch().special.ndtri(p))(_norm_s_inv)


@numpy_elementwise("PHI", category=STATISTICAL, prefix="_xlfn.", args="x: number",
                   torch=lambda x: _torch().exp(-0.5 * x * x) / SQRT_2PI)
def _phi(x):
    """PHI: the standard normal density."""
    return np.exp(-0.5 * x * x) / SQRT_2PI


@numpy_elementwise("GAUSS", category=STATISTICAL, prefix="_xlfn.", args="z: number",
                   torch=lambda z: exact_value(_ndtr_torch(z) - 0.5, _gauss, z))
def _gauss(z):
    """GAUSS: the probability that a standard normal value lies between the
    mean and z standard deviations from it.  Excel computes it as
    NORM.S.DIST(z) - 0.5 (GAUSS(1E-7) shows the cancellation), and so does
    sheetnet."""
    return sp.ndtr(z) - 0.5


# --- lognormal ---------------------------------------------------------------------------------

def _lognorm_dist(x, mean, sd, cumulative):
    """LOGNORM.DIST: the lognormal CDF or density; x <= 0 or standard_dev <= 0: #NUM!."""
    ok = (x > 0) & (sd > 0)
    z = (np.log(np.where(ok, x, 1.0)) - mean) / np.where(ok, sd, 1.0)
    value = np.where(cumulative != 0, sp.ndtr(z), np.exp(-0.5 * z * z) / (SQRT_2PI * sd * x))
    return where(ok, value)


def _lognorm_dist_torch(x, mean, sd, cumulative):
    torch = _torch()
    z = (torch.log(x) - mean) / sd
    return torch.where(torch.as_tensor(cumulative) != 0, _ndtr_torch(z), torch.exp(-0.5 * z * z) / (SQRT_2PI * sd * x))


numpy_elementwise("LOGNORM.DIST", category=STATISTICAL, prefix="_xlfn.", args=NORM_DIST_ARGS,
                  torch=_lognorm_dist_torch)(_lognorm_dist)


@numpy_elementwise("LOGNORMDIST", category=STATISTICAL, args="x: number, mean: number, standard_dev: number",
                   torch=lambda x, m, s: _lognorm_dist_torch(x, m, s, 1.0))
def _lognormdist(x, mean, sd):
    """LOGNORMDIST: the lognormal CDF."""
    return _lognorm_dist(x, mean, sd, 1.0)


def _lognorm_inv(p, mean, sd):
    """LOGNORM.INV: the lognormal quantile; p outside (0, 1) or standard_dev <= 0: #NUM!."""
    return np.exp(_norm_inv(p, mean, sd))


def _lognorm_inv_torch(p, mean, sd):
    return _torch().exp(_norm_inv_torch(p, mean, sd))


numpy_elementwise("LOGNORM.INV", category=STATISTICAL, prefix="_xlfn.", args=NORM_INV_ARGS,
                  torch=_lognorm_inv_torch)(_lognorm_inv)
numpy_elementwise("LOGINV", category=STATISTICAL, args=NORM_INV_ARGS, torch=_lognorm_inv_torch)(_lognorm_inv)


# --- exponential and Weibull -------------------------------------------------------------------

def _expon_dist(x, lam, cumulative):
    """EXPON.DIST: the exponential CDF or density; x < 0 or lambda <= 0: #NUM!."""
    value = np.where(cumulative != 0, -np.expm1(-lam * x), lam * np.exp(-lam * x))
    return where((x >= 0) & (lam > 0), value)


def _expon_dist_torch(x, lam, cumulative):
    torch = _torch()
    return torch.where(torch.as_tensor(cumulative) != 0, -torch.expm1(-lam * x), lam * torch.exp(-lam * x))


EXPON_ARGS = "x: number, lambda: number, cumulative: boolean"
numpy_elementwise("EXPON.DIST", category=STATISTICAL, prefix="_xlfn.", args=EXPON_ARGS,
                  torch=_expon_dist_torch)(_expon_dist)
numpy_elementwise("EXPONDIST", category=STATISTICAL, args=EXPON_ARGS, torch=_expon_dist_torch)(_expon_dist)


def _weibull_dist(x, alpha, beta, cumulative):
    """WEIBULL.DIST: the Weibull CDF or density; x < 0, alpha <= 0 or beta <= 0: #NUM!."""
    ok = (x >= 0) & (alpha > 0) & (beta > 0)
    t = (x / np.where(ok, beta, 1.0)) ** alpha
    density = alpha / beta * (x / np.where(ok, beta, 1.0)) ** (alpha - 1) * np.exp(-t)
    return where(ok, np.where(cumulative != 0, -np.expm1(-t), density))


def _weibull_dist_torch(x, alpha, beta, cumulative):
    torch = _torch()
    t = (x / beta) ** alpha
    return torch.where(torch.as_tensor(cumulative) != 0, -torch.expm1(-t), alpha / beta * (x / beta) ** (alpha - 1) * torch.exp(-t))


WEIBULL_ARGS = "x: number, alpha: number, beta: number, cumulative: boolean"
numpy_elementwise("WEIBULL.DIST", category=STATISTICAL, prefix="_xlfn.", args=WEIBULL_ARGS,
                  torch=_weibull_dist_torch)(_weibull_dist)
numpy_elementwise("WEIBULL", category=STATISTICAL, args=WEIBULL_ARGS, torch=_weibull_dist_torch)(_weibull_dist)


# --- gamma ---------------------------------------------------------------------------------

def _gamma_density(x, alpha, beta):
    """x^(alpha-1) e^(-x/beta) / (beta^alpha Gamma(alpha)), in logs (xlogy: 0 * log 0 = 0)."""
    return np.exp(sp.xlogy(alpha - 1, x) - x / beta - alpha * np.log(beta) - sp.gammaln(alpha))


def _gamma_dist(x, alpha, beta, cumulative):
    """GAMMA.DIST: the gamma CDF or density; x < 0, alpha <= 0 or beta <= 0: #NUM!."""
    ok = (x >= 0) & (alpha > 0) & (beta > 0)
    a, b = np.where(ok, alpha, 1.0), np.where(ok, beta, 1.0)
    value = np.where(cumulative != 0, sp.gammainc(a, x / b), _gamma_density(x, a, b))
    return where(ok, value)


GAMMA_DIST_ARGS = "x: number, alpha: number, beta: number, cumulative: boolean"
numpy_elementwise("GAMMA.DIST", category=STATISTICAL, prefix="_xlfn.", args=GAMMA_DIST_ARGS)(_gamma_dist)
numpy_elementwise("GAMMADIST", category=STATISTICAL, args=GAMMA_DIST_ARGS)(_gamma_dist)


def _gamma_inv(p, alpha, beta):
    """GAMMA.INV: the gamma quantile; p outside [0, 1), alpha <= 0 or beta <= 0: #NUM!."""
    ok = (p >= 0) & (p < 1) & (alpha > 0) & (beta > 0)
    return where(ok, beta * sp.gammaincinv(np.where(ok, alpha, 1.0), np.where(ok, p, 0.5)))


GAMMA_INV_ARGS = "probability: number, alpha: number, beta: number"
numpy_elementwise("GAMMA.INV", category=STATISTICAL, prefix="_xlfn.", args=GAMMA_INV_ARGS)(_gamma_inv)
numpy_elementwise("GAMMAINV", category=STATISTICAL, args=GAMMA_INV_ARGS)(_gamma_inv)


@numpy_elementwise("GAMMA", category=STATISTICAL, prefix="_xlfn.", args="number: number")
def _gamma(x):
    """GAMMA: the gamma function; 0 and negative integers: #NUM!."""
    return where((x > 0) | (x != np.floor(x)), sp.gamma(x))


def _gammaln(x):
    """GAMMALN: the natural logarithm of the gamma function; x <= 0: #NUM!."""
    return where(x > 0, sp.gammaln(np.where(x > 0, x, 1.0)))


def _gammaln_torch(x):
    return exact_value(_torch().lgamma(x), _gammaln, x)


numpy_elementwise("GAMMALN", category=STATISTICAL, args="x: number", torch=_gammaln_torch)(_gammaln)
numpy_elementwise("GAMMALN.PRECISE", category=STATISTICAL, prefix="_xlfn.", args="x: number",
                  torch=_gammaln_torch)(_gammaln)


# --- beta ----------------------------------------------------------------------------------

def _beta_dist(x, alpha, beta, cumulative, lo, hi):
    """BETA.DIST: the beta CDF or density on [A, B] (default [0, 1]); x
    outside [A, B], A = B, alpha <= 0 or beta <= 0: #NUM!."""
    ok = (alpha > 0) & (beta > 0) & (lo < hi) & (x >= lo) & (x <= hi)
    width = np.where(ok, hi - lo, 1.0)
    y = (x - lo) / width
    a, b = np.where(ok, alpha, 1.0), np.where(ok, beta, 1.0)
    density = np.exp(sp.xlogy(a - 1, y) + sp.xlog1py(b - 1, -y) - sp.betaln(a, b)) / width
    return where(ok, np.where(cumulative != 0, sp.betainc(a, b, np.clip(y, 0, 1)), density))


numpy_elementwise("BETA.DIST", category=STATISTICAL, prefix="_xlfn.",
                  args="x: number, alpha: number, beta: number, cumulative: boolean, [A: number = 0], "
                       "[B: number = 1]")(_beta_dist)


@numpy_elementwise("BETADIST", category=STATISTICAL,
                   args="x: number, alpha: number, beta: number, [A: number = 0], [B: number = 1]")
def _betadist(x, alpha, beta, lo, hi):
    """BETADIST: the beta CDF on [A, B]."""
    return _beta_dist(x, alpha, beta, 1.0, lo, hi)


def _beta_inv(p, alpha, beta, lo, hi):
    """BETA.INV: the beta quantile on [A, B]; p outside (0, 1), A >= B, alpha
    <= 0 or beta <= 0: #NUM!."""
    ok = (p > 0) & (p < 1) & (alpha > 0) & (beta > 0) & (lo < hi)
    a, b = np.where(ok, alpha, 1.0), np.where(ok, beta, 1.0)
    return where(ok, lo + (hi - lo) * sp.betaincinv(a, b, np.where(ok, p, 0.5)))


BETA_INV_ARGS = "probability: number, alpha: number, beta: number, [A: number = 0], [B: number = 1]"
numpy_elementwise("BETA.INV", category=STATISTICAL, prefix="_xlfn.", args=BETA_INV_ARGS)(_beta_inv)
numpy_elementwise("BETAINV", category=STATISTICAL, args=BETA_INV_ARGS)(_beta_inv)


# --- chi-squared ---------------------------------------------------------------------------

def _df_ok(df):
    return (df >= 1) & (df <= 1e10)


def _chisq_dist(x, df, cumulative):
    """CHISQ.DIST: the chi-squared CDF or density (df truncated, 1 .. 10^10); x < 0: #NUM!."""
    ok = (x >= 0) & _df_ok(df)
    k = np.where(ok, df, 1.0) / 2
    return where(ok, np.where(cumulative != 0, sp.gammainc(k, x / 2), _gamma_density(x, k, 2.0)))


numpy_elementwise("CHISQ.DIST", category=STATISTICAL, prefix="_xlfn.",
                  args="x: number, deg_freedom: integer, cumulative: boolean")(_chisq_dist)


def _chisq_dist_rt(x, df):
    """CHISQ.DIST.RT: the chi-squared right tail; x < 0 or df < 1: #NUM!."""
    ok = (x >= 0) & _df_ok(df)
    return where(ok, sp.gammaincc(np.where(ok, df, 1.0) / 2, x / 2))


CHISQ_ARGS = "x: number, deg_freedom: integer"
numpy_elementwise("CHISQ.DIST.RT", category=STATISTICAL, prefix="_xlfn.", args=CHISQ_ARGS)(_chisq_dist_rt)
numpy_elementwise("CHIDIST", category=STATISTICAL, args=CHISQ_ARGS)(_chisq_dist_rt)


@numpy_elementwise("CHISQ.INV", category=STATISTICAL, prefix="_xlfn.",
                   args="probability: number, deg_freedom: integer")
def _chisq_inv(p, df):
    """CHISQ.INV: the chi-squared quantile; p outside [0, 1) or df < 1: #NUM!."""
    ok = (p >= 0) & (p < 1) & _df_ok(df)
    return where(ok, 2 * sp.gammaincinv(np.where(ok, df, 1.0) / 2, np.where(ok, p, 0.5)))


def _chisq_inv_rt(p, df):
    """CHISQ.INV.RT: the chi-squared right-tail quantile; p outside (0, 1] or df < 1: #NUM!."""
    ok = (p > 0) & (p <= 1) & _df_ok(df)
    return where(ok, 2 * sp.gammainccinv(np.where(ok, df, 1.0) / 2, np.where(ok, p, 0.5)))


CHISQ_INV_ARGS = "probability: number, deg_freedom: integer"
numpy_elementwise("CHISQ.INV.RT", category=STATISTICAL, prefix="_xlfn.", args=CHISQ_INV_ARGS)(_chisq_inv_rt)
numpy_elementwise("CHIINV", category=STATISTICAL, args=CHISQ_INV_ARGS)(_chisq_inv_rt)


# --- Student's t ---------------------------------------------------------------------------

def _t_density(x, df):
    return np.exp(sp.gammaln((df + 1) / 2) - sp.gammaln(df / 2) - 0.5 * np.log(df * np.pi)
                  - (df + 1) / 2 * np.log1p(x * x / df))


@numpy_elementwise("T.DIST", category=STATISTICAL, prefix="_xlfn.",
                   args="x: number, deg_freedom: integer, cumulative: boolean")
def _t_dist(x, df, cumulative):
    """T.DIST: Student's t CDF or density (df truncated, >= 1 else #NUM!)."""
    ok = df >= 1
    d = np.where(ok, df, 1.0)
    return where(ok, np.where(cumulative != 0, sp.stdtr(d, x), _t_density(x, d)))


T_ARGS = "x: number, deg_freedom: integer"


@numpy_elementwise("T.DIST.2T", category=STATISTICAL, prefix="_xlfn.", args=T_ARGS)
def _t_dist_2t(x, df):
    """T.DIST.2T: the two-tailed t probability; x < 0 or df < 1: #NUM!."""
    ok = (x >= 0) & (df >= 1)
    return where(ok, 2 * sp.stdtr(np.where(ok, df, 1.0), -x))


@numpy_elementwise("T.DIST.RT", category=STATISTICAL, prefix="_xlfn.", args=T_ARGS)
def _t_dist_rt(x, df):
    """T.DIST.RT: the right-tailed t probability; df < 1: #NUM!."""
    ok = df >= 1
    return where(ok, sp.stdtr(np.where(ok, df, 1.0), -x))


@numpy_elementwise("TDIST", category=STATISTICAL, args="x: number, deg_freedom: integer, tails: integer")
def _tdist(x, df, tails):
    """TDIST: the one- or two-tailed t probability; x < 0, df < 1 or tails not 1 or 2: #NUM!."""
    ok = (x >= 0) & (df >= 1) & ((tails == 1) | (tails == 2))
    return where(ok, tails * sp.stdtr(np.where(ok, df, 1.0), -x))


@numpy_elementwise("T.INV", category=STATISTICAL, prefix="_xlfn.", args="probability: number, deg_freedom: integer")
def _t_inv(p, df):
    """T.INV: the left-tailed t quantile; p outside (0, 1) or df < 1: #NUM!."""
    ok = (p > 0) & (p < 1) & (df >= 1)
    return where(ok, sp.stdtrit(np.where(ok, df, 1.0), np.where(ok, p, 0.5)))


def _t_inv_2t(p, df):
    """T.INV.2T: the two-tailed t quantile; p outside (0, 1] or df < 1: #NUM!."""
    ok = (p > 0) & (p <= 1) & (df >= 1)
    return where(ok, -sp.stdtrit(np.where(ok, df, 1.0), np.where(ok, p, 1.0) / 2))


T_INV_ARGS = "probability: number, deg_freedom: integer"
numpy_elementwise("T.INV.2T", category=STATISTICAL, prefix="_xlfn.", args=T_INV_ARGS)(_t_inv_2t)
numpy_elementwise("TINV", category=STATISTICAL, args=T_INV_ARGS)(_t_inv_2t)


# --- F ---------------------------------------------------------------------------------------

def _f_ok(x, d1, d2):
    return (x >= 0) & (d1 >= 1) & (d2 >= 1) & (d1 <= 1e10) & (d2 <= 1e10)


@numpy_elementwise("F.DIST", category=STATISTICAL, prefix="_xlfn.",
                   args="x: number, deg_freedom1: integer, deg_freedom2: integer, cumulative: boolean")
def _f_dist(x, d1, d2, cumulative):
    """F.DIST: the F CDF or density (degrees truncated, >= 1); x < 0: #NUM!."""
    ok = _f_ok(x, d1, d2)
    a, b = np.where(ok, d1, 1.0), np.where(ok, d2, 1.0)
    density = np.exp(0.5 * (a * np.log(a) + b * np.log(b)) + sp.xlogy(a / 2 - 1, x)
                     - (a + b) / 2 * np.log(b + a * x) - sp.betaln(a / 2, b / 2))
    return where(ok, np.where(cumulative != 0, sp.fdtr(a, b, x), density))


def _f_dist_rt(x, d1, d2):
    """F.DIST.RT: the F right tail; x < 0 or degrees < 1: #NUM!."""
    ok = _f_ok(x, d1, d2)
    return where(ok, sp.fdtrc(np.where(ok, d1, 1.0), np.where(ok, d2, 1.0), x))


F_ARGS = "x: number, deg_freedom1: integer, deg_freedom2: integer"
numpy_elementwise("F.DIST.RT", category=STATISTICAL, prefix="_xlfn.", args=F_ARGS)(_f_dist_rt)
numpy_elementwise("FDIST", category=STATISTICAL, args=F_ARGS)(_f_dist_rt)


@numpy_elementwise("F.INV", category=STATISTICAL, prefix="_xlfn.",
                   args="probability: number, deg_freedom1: integer, deg_freedom2: integer")
def _f_inv(p, d1, d2):
    """F.INV: the F quantile; p outside [0, 1) or degrees < 1: #NUM!."""
    ok = (p >= 0) & (p < 1) & _f_ok(0.0, d1, d2)
    return where(ok, sp.fdtri(np.where(ok, d1, 1.0), np.where(ok, d2, 1.0), np.where(ok, p, 0.5)))


def _f_inv_rt(p, d1, d2):
    """F.INV.RT: the F right-tail quantile; p outside (0, 1] or degrees < 1: #NUM!."""
    ok = (p > 0) & (p <= 1) & _f_ok(0.0, d1, d2)
    a, b = np.where(ok, d1, 1.0), np.where(ok, d2, 1.0)
    # x = (d2/d1) (1/u - 1) with u the beta(d2/2, d1/2) quantile of p: exact in the far tail
    u = sp.betaincinv(b / 2, a / 2, np.where(ok, p, 0.5))
    return where(ok, b / a * (1 / u - 1))


F_INV_ARGS = "probability: number, deg_freedom1: integer, deg_freedom2: integer"
numpy_elementwise("F.INV.RT", category=STATISTICAL, prefix="_xlfn.", args=F_INV_ARGS)(_f_inv_rt)
numpy_elementwise("FINV", category=STATISTICAL, args=F_INV_ARGS)(_f_inv_rt)


# --- Fisher transformation, confidence intervals ---------------------------------------------

@numpy_elementwise("FISHER", category=STATISTICAL, args="x: number", torch=lambda x: _torch().atanh(x))
def _fisher(x):
    """FISHER: atanh(x); x outside (-1, 1): #NUM!."""
    ok = (x > -1) & (x < 1)
    return where(ok, np.arctanh(np.where(ok, x, 0.0)))


@numpy_elementwise("FISHERINV", category=STATISTICAL, args="y: number", torch=lambda y: _torch().tanh(y))
def _fisherinv(y):
    """FISHERINV: tanh(y)."""
    return np.tanh(y)


def _confidence_norm(alpha, sd, size):
    """CONFIDENCE.NORM: the half-width of the normal confidence interval for
    a mean; alpha outside (0, 1), standard_dev <= 0 or size < 1: #NUM!."""
    ok = (alpha > 0) & (alpha < 1) & (sd > 0) & (size >= 1)
    return where(ok, sp.ndtri(1 - np.where(ok, alpha, 0.5) / 2) * sd / np.sqrt(np.where(ok, size, 1.0)))


CONFIDENCE_ARGS = "alpha: number, standard_dev: number, size: integer"
numpy_elementwise("CONFIDENCE.NORM", category=STATISTICAL, prefix="_xlfn.", args=CONFIDENCE_ARGS)(_confidence_norm)
numpy_elementwise("CONFIDENCE", category=STATISTICAL, args=CONFIDENCE_ARGS)(_confidence_norm)


@elementwise("CONFIDENCE.T", category=STATISTICAL, prefix="_xlfn.", args=CONFIDENCE_ARGS)
def CONFIDENCE_T(alpha: float, sd: float, size: int) -> float:
    """The half-width of Student's t confidence interval for a mean; alpha
    outside (0, 1), standard_dev <= 0 or size < 1: #NUM!; size 1: #DIV/0!."""
    if not (0 < alpha < 1 and sd > 0 and size >= 1):
        raise ValueError("outside CONFIDENCE.T's domain")
    if size == 1:
        raise ZeroDivisionError
    return float(-sp.stdtrit(size - 1, alpha / 2) * sd / math.sqrt(size))
