"""The lesson's quantities in three forms, compared: ``sheetnet crosscheck``.

For every lesson quantity (an embedding look-up, a prediction block, an
optimiser's trajectory, a cross-entropy ...) this module computes

* **the sheet** -- the lesson's workbook, generated in memory with its default
  seeded inputs and evaluated by sheetnet's engine (the same formula text a
  student opens in a spreadsheet application);
* **the mirror** -- the numpy reading of those formulas (``sheetnet.lessons.*.mirror``,
  ``sheetnet.optim``), float64;
* **torch** -- the idiomatic PyTorch reference (``sheetnet.torchref``) on the
  requested device and dtype (``nn.Embedding``, ``torch.optim``, ``F.cross_entropy`` ...),

and reports, per row, the largest disagreement among all the forms and
whether it is within the stated tolerance::

    report = crosscheck(["collab", "graddesc", "entropy"], device="cpu", dtype="float64")
    report.ok, [r.to_json() for r in report.rows]

How a row is judged
-------------------
A row holds two or more *forms* of one quantity (arrays of one shape; a sheet
form may appear twice, e.g. the one-hot product and the OFFSET look-up).
Every pair of forms is compared, ``max |u - v|`` over the quantity's cells
(a NaN against a number counts as an infinite difference, NaN against NaN
as none):

* pairs of **float64 forms** (sheet vs mirror, sheet vs sheet) must agree
  within the row's *mirror bound* -- 0 for nearly everything: the mirrors
  perform the sheets' operations in the sheets' order, so the engine and the
  mirror agree bit for bit.  A row that is not exact says why
  (:attr:`Row.mirror_why`);
* pairs involving **torch** must agree within the torch tolerance of
  :mod:`sheetnet.torchref.devices` (``tolerance(lesson, key, dtype)``, each
  with its written reason), or a row-specific entry of :data:`EXTRA_TOLERANCES`
  here (same format, same kind of reason).  A bound is ``atol + rtol *
  max|sheet value|``, or ``atol + rtol * Row.scale`` where the row states
  a better magnitude: predictions and RMSEs use the largest sum of |terms|
  of a dot product (the result may be small where the terms cancel), the
  forward-difference rows the scale of their rounding (see ``fd_rounding``).
  Rows whose sheet and mirror need not agree bit for bit (numpy's BLAS and
  pairwise sums) take the float64 part of the same entry as their mirror
  bound (:attr:`Row.mirror_key`).

``Row.max_abs_diff`` is the largest of all those pairwise gaps (the row's
worst disagreement among the three forms); ``Row.tolerance`` is the torch
bound (the looser of the two; the mirror bound is reported beside it);
``Row.ok`` holds when both kinds of pair are within their own bound.

Inputs
------
* collab: the default ``sheetnet build collab`` inputs (the lesson's 15 x 15
  ratings, 5 factors from seed 0).  The builder starts the bias sheet's biases
  at 0, which would make the bias rows repeat the dot-product rows, so the
  biases are drawn here from the same seed (N(0, 0.25^2)).
* graddesc: the lesson's 29 points with the lesson's hyperparameters, reset
  + ``epochs`` epochs (default 5, the lesson's ``somesteps``: the published
  figures b = 1.275463 / 3.189068 / 24.960098 are those).  Trajectories are
  end to end: each form runs its own reset and epochs.  The gradient rows
  evaluate every form at the sheet's own row inputs (a, b of every row of
  every epoch block), so they compare the gradient formula, not trajectories.
* entropy: the default seeded inputs (5 classes, 4 images, seed 0), built
  with Excel's base-10 LOG as in the lesson; the workbook also carries every
  loss in the natural base, so both bases are checked.
"""

from __future__ import annotations

import contextlib
import math
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from .errors import UserError
from .torchref.devices import EPS32, EPS64, TOLERANCES, Tol, Tolerance

LESSONS = ("collab", "graddesc", "entropy")
DEFAULT_EPOCHS = 5          # graddesc: reset + the lesson's somesteps
MAX_EPOCHS = 50
SEED = 0

SHEET, MIRROR, TORCH = "sheet", "mirror", "torch"


# --------------------------------------------------------------------------- tolerances

#: Tolerances for rows the torchref table has no entry for (same format:
#: per dtype an absolute and a relative part, and why it is not zero).
EXTRA_TOLERANCES: dict[tuple[str, str], Tolerance] = {}


def _extra(lesson, quantity, f64: Tol, f32: Tol, why: str) -> None:
    EXTRA_TOLERANCES[(lesson, quantity)] = Tolerance(lesson, quantity, f64, f32, why)


_extra("collab", "onehot", Tol(0.0), Tol(0.0),
       "a one-hot matrix holds 0s and 1s, exact in every dtype: IF($K3=O$2,1,0), F.one_hot and the mirror's "
       "comparison must agree exactly")
_extra("graddesc", "fd_rounding", Tol(0.0, 4 * EPS64), Tol(0.0, 4 * EPS32),
       "relative to S = (max e + 2 (max|r| + h max(1, |x|)) M) / h + max|est|, where e = r^2, r = a x + b - y "
       "and M is the largest term of a residual (|y|, |b| + h, (|a| + h)|x|): (e(p + h) - e(p))/h keeps the "
       "rounding of each e (half an ulp) and of each residual (an ulp or so of M, which moves e by 2|r| times "
       "it), h divides both, and the quotient is rounded once more -- at most about 1.5 eps S per form, 3 eps S "
       "between two. A worst case, not a measurement: on the lesson's data (h = 0.01) it is 7e-9 where 3.7e-10 "
       "is measured (torchref's finite_difference entry, 1e-9, holds only for that data and h). Applies to "
       "the estimates and to their excess over the analytic gradient (h and h x^2)")
_extra("graddesc", "error_trajectory", Tol(0.0, 1e-12), Tol(0.0, 3e-4),
       "the error of each epoch (SQRT(SUM(err^2))) when each form computes it on its own trajectory: the "
       "residuals a x + b - y carry the parameters' differences (up to 1e-13 relative, see parameters) "
       "times x, and the error moves by at most their norm; relative to the run's largest error, measured "
       "6e-14 (adam_ann, 5 epochs of the lesson's data; basic/momentum/rmsprop 2e-16). float32 measured "
       "2.6e-5 (adam_ann)")
_extra("graddesc", "error_long", Tol(0.0, 5e-11), Tol(0.0, 1e-3),
       "the error over more than 5 epochs, each form on its own trajectory: it inherits the trajectories' "
       "amplified ulps (parameters_long), relative to the run's largest error; measured 7.1e-13 for "
       "adam_ann after 10 epochs of the lesson's data, float32 3e-4")
_extra("entropy", "softmax_sum", Tol(8 * EPS64), Tol(8 * EPS32),
       "a sum of K probabilities is 1 only up to rounding: each probability carries half an ulp and each of "
       "the K - 1 additions another, about K eps at worst for K <= 8 (5 classes here; the sheet's SUM, "
       "numpy's and torch's each round their own way)")
_extra("entropy", "cross_entropy_logits", Tol(16 * EPS64, 4 * EPS64), Tol(2e-6, 4 * EPS32),
       "-log of the true class's softmax probability (the sheet) versus F.cross_entropy's log-softmax "
       "(s - max - log(sum exp)): the probability is rounded before its log, which adds an ulp of 1 to the "
       "loss, and the loss itself (up to ~7 here) is rounded to its own ulp -- hence a relative part. "
       "float32 rounds the scores (up to 5 here) once: ulp(5) in the loss")
_extra("entropy", "ln10", Tol(0.0, 8 * EPS64), Tol(0.0, 8 * EPS32),
       "ln 10 = 2.302585...: LN(10), math.log(10) and torch.log(10.) round it alike; a ratio natural / base-10 "
       "of the same probability's logs carries each log's rounding (an ulp, relative) and the division's, "
       "and a ratio of two means adds the sums' roundings (up to N - 1 ulps for N positive losses): a few "
       "ulps of ln 10, relative. float32: the same in 24-bit arithmetic")


def tolerance_entry(lesson: str, key: str) -> Tolerance:
    """The :class:`Tolerance` of a row: torchref's table first, then :data:`EXTRA_TOLERANCES`."""
    entry = TOLERANCES.get((lesson, key)) or EXTRA_TOLERANCES.get((lesson, key))
    if entry is None:
        raise KeyError(f"no tolerance for {lesson}/{key}")
    return entry


# --------------------------------------------------------------------------- rows

@dataclass
class Form:
    """One form of a quantity: ``kind`` is sheet, mirror or torch; ``name`` says which computation."""

    name: str
    kind: str
    values: np.ndarray

    def __post_init__(self):
        self.values = np.asarray(self.values, dtype=np.float64).ravel()    # forms compare cell for cell


@dataclass
class Row:
    lesson: str
    quantity: str
    cells: str                      # where the workbook holds it
    forms: list[Form]
    tolerance_key: str              # key into the torch tolerance tables
    mirror_bound: float = 0.0       # bound for pairs of float64 forms (sheet, mirror)
    mirror_key: str | None = None   # or: the float64 part of this tolerance entry, scaled by the sheet values
    mirror_why: str = "the mirror performs the sheet's operations in the sheet's order: bit for bit"
    shown: str = ""                 # a short summary of the sheet's value
    scale: float | None = None      # the reference magnitude of relative bounds (default max |sheet value|)
    dtype: str = "float64"
    # filled by judge()
    sheet_mirror_diff: float = 0.0
    torch_diff: float = 0.0
    torch_bound: float = 0.0
    max_abs_diff: float = 0.0
    ok: bool = False
    worst_pair: tuple[str, str] | None = None

    @property
    def tolerance(self) -> float:
        return self.torch_bound

    @property
    def why(self) -> str:
        return tolerance_entry(self.lesson, self.tolerance_key).why

    def forms_text(self) -> str:
        return ", ".join(f.name for f in self.forms)

    def to_json(self) -> dict:
        return {"lesson": self.lesson, "quantity": self.quantity, "max_abs_diff": _finite(self.max_abs_diff),
                "tolerance": self.tolerance, "ok": self.ok,
                "forms": [{"name": f.name, "kind": f.kind} for f in self.forms],
                "cells": self.cells, "sheet_value": self.shown, "values": int(self.forms[0].values.size),
                "sheet_mirror_diff": _finite(self.sheet_mirror_diff), "sheet_mirror_tolerance": self.mirror_bound,
                "torch_diff": _finite(self.torch_diff), "torch_tolerance": self.torch_bound,
                "tolerance_key": f"{self.lesson}/{self.tolerance_key}", "worst_pair": list(self.worst_pair or ()),
                "dtype": self.dtype}


def max_abs_diff(u, v) -> float:
    """``max |u - v|``; NaN against NaN counts as equal, NaN against a number as infinitely far."""
    u = np.asarray(u, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    if u.shape != v.shape:
        raise ValueError(f"forms of different shapes {u.shape} and {v.shape}")
    if u.size == 0:
        return 0.0
    nu, nv = np.isnan(u), np.isnan(v)
    if (nu != nv).any():
        return math.inf
    both = ~nu
    with np.errstate(invalid="ignore"):
        d = np.abs(u[both] - v[both])
    d = np.where(u[both] == v[both], 0.0, d)          # inf == inf counts as equal
    return float(np.max(d, initial=0.0)) if not np.isnan(d).any() else math.inf


def judge(row: Row) -> Row:
    """Compare every pair of the row's forms and set its gaps, bound and verdict."""
    entry = tolerance_entry(row.lesson, row.tolerance_key)
    sheet = next((f.values for f in row.forms if f.kind == SHEET), row.forms[0].values)
    ref = sheet if row.scale is None else [row.scale]
    row.torch_bound = entry.for_dtype(row.dtype).bound(ref)
    if row.mirror_key is not None:
        row.mirror_bound = tolerance_entry(row.lesson, row.mirror_key).float64.bound(ref)
    exact_gap, torch_gap, worst, worst_pair = 0.0, 0.0, -1.0, None
    forms = row.forms
    for i in range(len(forms)):
        for j in range(i + 1, len(forms)):
            d = max_abs_diff(forms[i].values, forms[j].values)
            if TORCH in (forms[i].kind, forms[j].kind):
                torch_gap = max(torch_gap, d)
            else:
                exact_gap = max(exact_gap, d)
            if d > worst:
                worst, worst_pair = d, (forms[i].name, forms[j].name)
    row.sheet_mirror_diff, row.torch_diff = exact_gap, torch_gap
    row.max_abs_diff = max(exact_gap, torch_gap)
    row.worst_pair = worst_pair
    row.ok = bool(exact_gap <= row.mirror_bound and torch_gap <= row.torch_bound)
    return row


def _arr(*parts) -> np.ndarray:
    """Flatten and join the parts of one form (e.g. the user and the movie block)."""
    return np.concatenate([np.asarray(p, dtype=np.float64).ravel() for p in parts])


def _finite(x: float):
    """JSON has no inf/nan: a non-finite gap is reported as null (and its row fails)."""
    return x if math.isfinite(x) else None


def _num(x: float) -> str:
    return f"{x:.6g}"


# --------------------------------------------------------------------------- collab

def default_collab_inputs(seed: int = SEED):
    """The default ``sheetnet build collab`` inputs, with the bias sheet's biases drawn from ``seed``."""
    from dataclasses import replace

    from .lessons.collab import initial_inputs, lesson_ratings, select_top

    inputs = initial_inputs(select_top(lesson_ratings(), 15, 15), factors=5, seed=seed)
    rng = np.random.default_rng([seed, 2])
    return replace(inputs, user_bias=rng.normal(0.0, 0.25, inputs.ratings.n_users),
                   movie_bias=rng.normal(0.0, 0.25, inputs.ratings.n_movies))


def _term_scale(U, Mt, user_bias=None, movie_bias=None) -> float:
    """The largest sum of |terms| of a prediction, sum_k |U[u,k] M[m,k]| (+ |biases|): the
    magnitude whose ulp the rounding of a dot product is measured in, even where the terms
    cancel and the prediction itself is small."""
    T = np.abs(np.asarray(U, dtype=np.float64)) @ np.abs(np.asarray(Mt, dtype=np.float64)).T
    if user_bias is not None:
        T = T + np.abs(np.asarray(user_bias, dtype=np.float64))[:, None]
    if movie_bias is not None:
        T = T + np.abs(np.asarray(movie_bias, dtype=np.float64))[None, :]
    return float(np.max(T, initial=0.0))


def collab_rows(device, dtype: str, inputs=None) -> list[Row]:
    """The collab rows for ``inputs`` (a :class:`~sheetnet.lessons.collab.CollabInputs`;
    default :func:`default_collab_inputs`): the workbook is built from them and evaluated."""

    from .engine import Engine
    from .lessons.collab import build_workbook
    from .lessons.collab import mirror as M
    from .torchref import collab as T
    from .torchref.devices import require_torch, to_numpy

    torch = require_torch()
    inputs = default_collab_inputs() if inputs is None else inputs
    made = build_workbook(inputs)
    lay = made.layout
    if lay.dotprod is None or lay.onehot is None or lay.bias is None:    # pragma: no cover - lesson sizes
        raise UserError("collab: the workbook left out a sheet: " + "; ".join(made.skipped))
    engine = Engine(made.book).recalc()

    def sheet(lay_part, area) -> np.ndarray:
        return engine.values(lay_part.sheet, area.a1)

    r = inputs.ratings
    users, items = r.user, r.movie                      # 0-based, with repeats
    table = r.crosstab()
    UW, MW = inputs.user_factors, np.asarray(inputs.movie_factors).T      # N x K, M x K
    oh, em, dp, bs, wd = lay.onehot, lay.emb, lay.dotprod, lay.bias, lay.words
    kw = dict(device=device, dtype=dtype)
    rows: list[Row] = []

    order_why = ("numpy's matmul (BLAS) and sum (pairwise) add the products and squares in their own order, "
                 "the engine's MMULT/SUMPRODUCT/AVERAGE left to right: an ulp of the largest term, as for "
                 "torch in float64 (its tolerance's float64 part).  Relative bounds of predictions and RMSEs "
                 "are taken of the largest sum of |terms| (sum |u_k m_k| + |biases|, and the ratings for an "
                 "RMSE), not of the result, which may be small where the terms cancel")

    def add(quantity, cells, key, forms, shown="", **extra):
        if key in ("prediction", "rmse"):
            extra.setdefault("mirror_key", key)
            extra.setdefault("mirror_why", order_why)
        rows.append(Row("collab", quantity, cells, [Form(n, k, np.asarray(v, dtype=np.float64)) for n, k, v in forms],
                        key, shown=shown, dtype=dtype, **extra))

    # one-hot encodings
    F = torch.nn.functional
    t_onehot = [to_numpy(F.one_hot(torch.as_tensor(idx, device=device), n)) for idx, n in
                ((users, r.n_users), (items, r.n_movies))]
    add("onehot_matrix", f"{oh.sheet} {oh.user_onehot.a1}, {oh.movie_onehot.a1}", "onehot",
        [("sheet IF", SHEET, _arr(sheet(oh, oh.user_onehot), sheet(oh, oh.movie_onehot))),
         ("mirror", MIRROR, _arr(M.one_hot(users + 1, r.n_users), M.one_hot(items + 1, r.n_movies))),
         ("F.one_hot", TORCH, _arr(*t_onehot))],
        shown=f"{r.n_ratings}x{r.n_users + r.n_movies} of 0/1")

    sheet_mmult = _arr(sheet(oh, oh.user_activations), sheet(oh, oh.movie_activations))
    add("onehot_activations", f"{oh.sheet} {oh.user_activations.a1}, {oh.movie_activations.a1}", "embedding",
        [("sheet MMULT", SHEET, sheet_mmult),
         ("mirror", MIRROR, _arr(M.one_hot_activations(M.one_hot(users + 1, r.n_users), UW),
                                          M.one_hot_activations(M.one_hot(items + 1, r.n_movies), MW))),
         ("F.one_hot@W", TORCH, _arr(T.one_hot_matmul(users, UW, **kw), T.one_hot_matmul(items, MW, **kw)))],
        shown=f"{r.n_ratings}x{2 * inputs.n_factors} values")
    add("embedding_activations", f"{em.sheet} {em.user_activations.a1}, {em.movie_activations.a1}", "embedding",
        [("sheet OFFSET", SHEET, _arr(sheet(em, em.user_activations), sheet(em, em.movie_activations))),
         ("sheet MMULT", SHEET, sheet_mmult),
         ("mirror", MIRROR, _arr(M.lookup(UW, users + 1), M.lookup(MW, items + 1))),
         ("nn.Embedding", TORCH, _arr(T.embedding_lookup(users, UW, **kw), T.embedding_lookup(items, MW, **kw))),
         ("W[idx]", TORCH, _arr(T.index_lookup(users, UW, **kw), T.index_lookup(items, MW, **kw)))],
        shown=f"{r.n_ratings}x{2 * inputs.n_factors} values")

    # the crosstab sheets
    m_pred = M.predictions(UW, inputs.movie_factors, table)
    t_pred = T.crosstab_predictions(table, UW, MW, **kw)
    scale = _term_scale(UW, MW)
    rated = r.rating
    add("dotprod_predictions", f"{dp.sheet} {dp.predictions.a1}", "prediction",
        [("sheet MMULT", SHEET, sheet(dp, dp.predictions)), ("mirror", MIRROR, m_pred), ("U@M.T", TORCH, t_pred)],
        shown=f"{r.n_users}x{r.n_movies} values", scale=scale)
    s_rmse = engine.value(dp.sheet, (dp.rmse.r0, dp.rmse.c0))
    add("dotprod_rmse", f"{dp.sheet} {dp.rmse.a1}", "rmse",
        [("sheet", SHEET, [s_rmse]), ("mirror", MIRROR, [M.rmse(table, m_pred)]),
         ("F.mse_loss", TORCH, [T.crosstab_rmse(table, t_pred, **kw)])], shown=_num(s_rmse),
        scale=max(scale, float(np.max(np.abs(rated))), s_rmse))

    bU, bM = inputs.bias_user_factors, inputs.bias_movie_factors
    m_bpred = M.bias_predictions(bU, bM, inputs.user_bias, inputs.movie_bias, table)
    # The generated sheet writes IF(rating="",0,MMULT(..)+movie bias+user bias): the biases sit inside
    # the IF, so unrated cells are 0.  torchref's mask_blank=True models the lesson's original, which
    # adds the biases outside the IF; here the full prediction is masked the generated sheet's way.
    t_bfull = T.crosstab_predictions(table, bU, np.asarray(bM).T, inputs.user_bias, inputs.movie_bias,
                                     mask_blank=False, **kw)
    t_bpred = np.where(np.isnan(table), 0.0, t_bfull)
    b_scale = _term_scale(bU, np.asarray(bM).T, inputs.user_bias, inputs.movie_bias)
    add("bias_predictions", f"{bs.sheet} {bs.predictions.a1}", "prediction",
        [("sheet", SHEET, sheet(bs, bs.predictions)), ("mirror", MIRROR, m_bpred),
         ("U@M.T+biases", TORCH, t_bpred)], shown=f"{r.n_users}x{r.n_movies} values", scale=b_scale)
    s_brmse = engine.value(bs.sheet, (bs.rmse.r0, bs.rmse.c0))
    add("bias_rmse", f"{bs.sheet} {bs.rmse.a1}", "rmse",
        [("sheet", SHEET, [s_brmse]), ("mirror", MIRROR, [M.rmse(table, m_bpred)]),
         ("F.mse_loss", TORCH, [T.crosstab_rmse(table, t_bpred, **kw)])], shown=_num(s_brmse),
        scale=max(b_scale, float(np.max(np.abs(rated))), s_brmse))

    # the rating-row sheets
    m_oh = M.onehot_sheet(users + 1, items + 1, UW, MW, r.rating)
    m_em = M.emb_sheet(users + 1, items + 1, UW, MW, r.rating)
    t_rows = T.predict(UW, MW, users, items, **kw)
    add("rating_predictions", f"{oh.sheet} {oh.predictions.a1}, {em.sheet} {em.predictions.a1}", "prediction",
        [("sheet 1hot", SHEET, sheet(oh, oh.predictions)), ("sheet emb", SHEET, sheet(em, em.predictions)),
         ("mirror 1hot", MIRROR, m_oh["predictions"]), ("mirror emb", MIRROR, m_em["predictions"]),
         ("DotProductBias", TORCH, t_rows)], shown=f"{r.n_ratings} values", scale=scale)
    s_r1 = engine.value(oh.sheet, (oh.rmse.r0, oh.rmse.c0))
    s_r2 = engine.value(em.sheet, (em.rmse.r0, em.rmse.c0))
    add("rating_rmse", f"{oh.sheet} {oh.rmse.a1}, {em.sheet} {em.rmse.a1}", "rmse",
        [("sheet 1hot", SHEET, [s_r1]), ("sheet emb", SHEET, [s_r2]),
         ("mirror 1hot", MIRROR, [m_oh["rmse"]]), ("mirror emb", MIRROR, [m_em["rmse"]]),
         ("F.mse_loss", TORCH, [T.rmse(t_rows, r.rating, **kw)])], shown=_num(s_r1),
        scale=max(scale, float(np.max(np.abs(rated))), s_r1))

    ids = M.word_ids(inputs.text, inputs.vocabulary)
    add("word_vectors", f"{wd.sheet} {wd.word_vectors.a1}", "embedding",
        [("sheet OFFSET", SHEET, engine.values(wd.sheet, wd.word_vectors.a1)),
         ("mirror", MIRROR, M.word_vectors(inputs.embeddings, ids)),
         ("nn.Embedding", TORCH, T.embedding_lookup(ids - 1, inputs.embeddings, **kw))],
        shown=f"{len(ids)}x{inputs.embeddings.shape[1]} values")
    return rows


# --------------------------------------------------------------------------- graddesc

def _mirror_epochs(opt: str, x, y, hp, epochs: int):
    """The numpy macros: reset, then the sweep and onestep of each epoch.  Returns the
    state going into each epoch block and each block's sweep."""
    from . import optim as O

    states, sweeps = [], []
    state = O.reset(opt, x, y, hp)
    for k in range(epochs + 1):
        states.append(state)
        sweeps.append(O.sweep(opt, state, x, y, hp))
        if k < epochs:
            state = O.onestep(opt, state, x, y, hp)
    return states, sweeps


def graddesc_rows(device, dtype: str, epochs: int = DEFAULT_EPOCHS, x=None, y=None, hypers=None,
                  workbook=None) -> list[Row]:
    """The graddesc rows for data ``x``, ``y`` (default the lesson's 29 points) and
    ``hypers`` ({optimiser: :class:`~sheetnet.optim.Hyper`}, default the lesson's, for
    every optimiser).  ``workbook=(engine, layout)``: an already recalculated
    workbook of those data and hyperparameters (set through its cells), else one
    is built with them."""
    from . import optim as O
    from .engine import Engine
    from .lessons.graddesc import build_book
    from .refs import col_index
    from .torchref import gradients as G
    from .torchref import optim as TO

    if x is None or y is None:
        x, y = O.lesson_data()
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    hypers = dict(hypers) if hypers is not None else {opt: O.lesson_hyper(opt) for opt in O.OPTIMIZERS}
    for opt, hp in hypers.items():
        if opt == "adam_ann" and (hp.anneal_ratio, hp.anneal_factor) != (2.0, 4.0):
            raise ValueError("torchref's train_sheet anneals with the lesson's cut_ratio 2 and cut_factor 4")
    if workbook is None:
        book, layout = build_book(x, y, epochs, tuple(hypers), hypers)
        engine = Engine(book).recalc()
    else:
        engine, layout = workbook
        if layout.epochs != epochs or layout.points != x.size:
            raise ValueError(f"the workbook has {layout.epochs} epochs of {layout.points} points, "
                             f"not {epochs} of {x.size}")
    kw = dict(device=device, dtype=dtype)
    rows: list[Row] = []
    long = epochs > DEFAULT_EPOCHS          # the tolerances measured on the workbook's longer runs
    p_key = "parameters_long" if long else "parameters"
    s_key = "parameters_long" if long else "state"

    def add(quantity, cells, key, forms, shown="", **extra):
        rows.append(Row("graddesc", quantity, cells,
                        [Form(n, k, np.asarray(v, dtype=np.float64)) for n, k, v in forms], key,
                        shown=shown, dtype=dtype, **extra))

    grids, blocks = {}, {}
    for opt, lay in layout.sheets.items():
        last = max(b.footer for b in lay.blocks)
        grids[opt] = engine.values(lay.sheet, f"A1:R{last + 1}")
        blocks[opt] = lay.epoch_blocks()

    def rows_of(opt, key) -> np.ndarray:
        """(epochs + 1, P): a column over every epoch block's data rows."""
        c = col_index(layout.sheets[opt].columns[key])
        return np.array([grids[opt][b.first:b.last + 1, c] for b in blocks[opt]])

    def header(opt, key) -> np.ndarray:
        c = col_index(layout.sheets[opt].columns[key])
        return np.array([grids[opt][b.header, c] for b in blocks[opt]])

    def footer(opt) -> np.ndarray:
        c = col_index(layout.sheets[opt].columns["err2"])
        return np.array([grids[opt][b.footer, c] for b in blocks[opt]])

    # --- gradients at the sheet's own row inputs, every row of every optimiser sheet
    X = np.broadcast_to(x, (epochs + 1, x.size))
    Y = np.broadcast_to(y, (epochs + 1, y.size))
    sb, sa, mb, ma, tb, ta = [], [], [], [], [], []
    for opt in layout.sheets:
        b_in, a_in = rows_of(opt, "b"), rows_of(opt, "a")
        sb.append(rows_of(opt, "g_b"))
        sa.append(rows_of(opt, "g_a"))
        g = O.analytic_gradient(b_in, a_in, X, Y)
        mb.append(g[0])
        ma.append(g[1])
        t = G.gradients_autograd(a_in, b_in, X, Y, **kw)
        tb.append(t[0])
        ta.append(t[1])
    n_sheets = len(layout.sheets)
    add("gradient", "de/db, de/da columns of every epoch block of every optimiser sheet", "gradient",
        [("sheet", SHEET, _arr(*sb, *sa)), ("mirror", MIRROR, _arr(*mb, *ma)),
         ("autograd", TORCH, _arr(*tb, *ta))], shown=f"{2 * n_sheets * (epochs + 1) * x.size} values")

    if "sgd" in layout.sheets:
        cols = layout.sheets["sgd"].columns
        b_in, a_in = rows_of("sgd", "b"), rows_of("sgd", "a")
        h = hypers["sgd"].h
        m_fd = O.forward_difference(b_in, a_in, X, Y, h)
        t_fd = G.gradients_forward_difference(a_in, b_in, X, Y, h=h, **kw)
        # the roundings of e and of the residuals, divided by h, set the scale of every fd row
        e_max = float(np.nanmax(np.abs(_arr(rows_of("sgd", "err2"), rows_of("sgd", "e_bh"), rows_of("sgd", "e_ah")))))
        r_max = float(np.nanmax(np.abs(a_in * X + b_in - Y)))
        terms = max(float(np.nanmax(np.abs(Y))), float(np.nanmax(np.abs(b_in))) + h,
                    (float(np.nanmax(np.abs(a_in))) + h) * float(np.max(np.abs(x))))
        est = float(np.nanmax(np.abs(_arr(rows_of("sgd", "fd_b"), rows_of("sgd", "fd_a")))))
        fd_scale = (e_max + 2 * (r_max + h * max(1.0, float(np.max(np.abs(x))))) * terms) / h + est
        fd = dict(scale=fd_scale, mirror_bound=tolerance_entry("graddesc", "fd_rounding").float64.bound([fd_scale]))
        add("forward_difference", f"basic {cols['fd_b']}, {cols['fd_a']} (est de/db, de/da)", "fd_rounding",
            [("sheet", SHEET, _arr(rows_of("sgd", "fd_b"), rows_of("sgd", "fd_a"))),
             ("mirror", MIRROR, _arr(*m_fd)), ("torch", TORCH, _arr(*t_fd))],
            shown=f"h = {h:g}", **fd,
            mirror_why="the mirror evaluates the sheet's order, but the bound is the fd rounding's (see fd_rounding)")
        t_g = G.gradients_autograd(a_in, b_in, X, Y, **kw)
        excess_why = ("the identity is exact in real numbers; the sheet's est - de/db carries the forward "
                      "difference's rounding (see fd_rounding)")
        add("fd_excess_b = h", f"basic {cols['xs_b']} (est de/db - de/db)", "fd_rounding",
            [("sheet", SHEET, rows_of("sgd", "xs_b")),
             ("identity", MIRROR, np.broadcast_to(O.forward_difference_error(X, h)[0], X.shape)),
             ("torch fd-autograd", TORCH, t_fd[0] - t_g[0])],
            shown=f"{h:g}", mirror_why=excess_why, **fd)
        add("fd_excess_a = h*x^2", f"basic {cols['xs_a']} (est de/da - de/da)", "fd_rounding",
            [("sheet", SHEET, rows_of("sgd", "xs_a")),
             ("identity", MIRROR, O.forward_difference_error(X, h)[1]),
             ("torch fd-autograd", TORCH, t_fd[1] - t_g[1])],
            shown=f"{h * x.min() ** 2:g} .. {h * x.max() ** 2:g}", mirror_why=excess_why, **fd)

    # --- each optimiser end to end: reset + epochs, in the three forms
    impl = {"sgd": "optim.SGD", "momentum": "optim.SGD(momentum)", "rmsprop": "LaggedRMSprop",
            "adam": "optim.Adam(eps=0)", "adam_ann": "optim.Adam+GradRatioAnnealing"}
    for opt, lay in layout.sheets.items():
        hp = hypers[opt]
        sheet = lay.sheet
        states, sweeps = _mirror_epochs(opt, x, y, hp, epochs)
        run = TO.train_sheet(sheet, x, y, epochs, lr=hp.lr, beta1=hp.beta1, beta2=hp.beta2, v_init=hp.v_init,
                             **kw)
        tname = impl[opt]
        a_sheet, b_sheet = header(opt, "a"), header(opt, "b")
        add(f"{sheet}.parameters", f"{sheet} a, b of each epoch's header and every row's new a, new b", p_key,
            [("sheet", SHEET, _arr(a_sheet, b_sheet, rows_of(opt, "new_a"), rows_of(opt, "new_b"))),
             ("mirror", MIRROR, _arr([s.a for s in states], [s.b for s in states], [w.new_a for w in sweeps],
                                     [w.new_b for w in sweeps])),
             (tname, TORCH, _arr(run.a, run.b, run.rows["new_a"], run.rows["new_b"]))],
            shown=f"b {b_sheet[-1]:.6f}, a {a_sheet[-1]:.6f}")
        keys = [k for k in ("m_b", "m_a", "v_b", "v_a") if k in lay.columns]
        if keys:
            add(f"{sheet}.state", f"{sheet} {', '.join(keys)} of each header and row", s_key,
                [("sheet", SHEET, _arr(*[header(opt, k) for k in keys], *[rows_of(opt, k) for k in keys])),
                 ("mirror", MIRROR, _arr(*[[(s.m if k[0] == "m" else s.v)[0 if k.endswith("b") else 1]
                                            for s in states] for k in keys],
                                         *[[getattr(w, k) for w in sweeps] for k in keys])),
                 (tname, TORCH, _arr(*[run.state[k] for k in keys], *[run.rows[k] for k in keys]))],
                shown=f"{len(keys)} x {(epochs + 1) * (x.size + 1)} values")
        if opt == "adam_ann":
            add(f"{sheet}.lr", f"{sheet} {lay.columns['lr']} of each header (annealed)", p_key,
                [("sheet", SHEET, header(opt, "lr")), ("mirror", MIRROR, [s.lr for s in states]),
                 (tname, TORCH, run.lr)], shown=f"{header(opt, 'lr')[-1]:g}")
        err = footer(opt)
        e_key = "error_long" if long else "error" if opt == "sgd" else "error_trajectory"
        add(f"{sheet}.error", f"{sheet} {lay.columns['err2']} of each footer (SQRT(SUM(err^2)))", e_key,
            [("sheet", SHEET, err), ("mirror", MIRROR, [w.error for w in sweeps]), (tname, TORCH, run.error)],
            shown=f"{err[-1]:.6f}")
    return rows


# --------------------------------------------------------------------------- entropy

def entropy_rows(device, dtype: str, inputs=None) -> list[Row]:
    """The entropy rows for ``inputs`` (an :class:`~sheetnet.lessons.entropy.EntropyInputs`,
    default ``seeded_inputs()``: 5 classes, 4 images, seed 0), in a base-10 workbook."""
    from .engine import Engine
    from .lessons.entropy import Layout, build_book, seeded_inputs
    from .lessons.entropy import mirror as M
    from .torchref import softmax as T
    from .torchref.devices import as_tensor, require_torch, to_numpy

    torch = require_torch()
    F = torch.nn.functional
    inputs = seeded_inputs(seed=SEED) if inputs is None else inputs
    book = build_book(inputs, log="base10")
    engine = Engine(book).recalc()
    lay = Layout.of(book)
    roles = lay.roles()
    want = M.book_values(inputs, "base10")
    kw = dict(device=device, dtype=dtype)
    K, N = inputs.scores.shape
    rows: list[Row] = []

    def v(key) -> np.ndarray:
        return engine.values(roles[key].sheet, roles[key].area)

    def cells(*keys) -> str:
        return ", ".join(f"{roles[k].sheet} {roles[k].area}" for k in keys)

    kernels_why = ("EXP, LN and LOG: numpy picks a SIMD kernel or the C library's function by CPU and array "
                   "layout, and the engine's evaluation of a block may take the other one; each is within an "
                   "ulp, so the two agree bit for bit on some machines and to an ulp on others (measured on "
                   "another x86-64 machine: 2.8e-17 on a probability, 5.6e-17 on a sigmoid) -- the float64 "
                   "part of the row's tolerance")

    def add(quantity, where, key, forms, shown="", **extra):
        extra.setdefault("mirror_key", key)
        extra.setdefault("mirror_why", kernels_why)
        rows.append(Row("entropy", quantity, where, [Form(n, k, np.asarray(val, dtype=np.float64))
                                                     for n, k, val in forms], key, shown=shown, dtype=dtype,
                        **extra))

    imgs = range(1, N + 1)
    S = inputs.scores                                  # (K, N): a column per image
    naive = [f"softmax.softmax.{i}" for i in imgs]
    safe = [f"softmax.safe_softmax.{i}" for i in imgs]
    add("softmax", cells(naive[0], naive[-1]), "softmax",
        [("sheet EXP/SUM", SHEET, _arr(*[v(k) for k in naive])),
         ("mirror", MIRROR, _arr(*[want[k] for k in naive])),
         ("torch.softmax", TORCH, T.softmax(S, dim=0, **kw).T),
         ("torch exp/sum", TORCH, T.softmax_by_exp(S, dim=0, **kw).T)],
        shown=f"{K}x{N} values")
    add("safe_softmax", cells(safe[0], safe[-1], "cross_entropy.probs"), "softmax",
        [("sheet EXP(s-MAX)", SHEET, _arr(*[v(k) for k in safe], v("cross_entropy.probs"))),
         ("mirror", MIRROR, _arr(*[want[k] for k in safe], want["cross_entropy.probs"])),
         ("torch.softmax", TORCH, _arr(T.softmax(S, dim=0, **kw).T, T.softmax(S.T, dim=1, **kw)))],
        shown=f"2x{K}x{N} values")
    sums = [f"softmax.softmax_sum.{i}" for i in imgs] + [f"softmax.safe_softmax_sum.{i}" for i in imgs]
    t_soft = T.softmax(S, dim=0, **kw)
    add("softmax_sums_to_1", cells(sums[0], sums[-1]), "softmax_sum",
        [("sheet SUM", SHEET, _arr(*[v(k) for k in sums])), ("mirror", MIRROR, _arr(*[want[k] for k in sums])),
         ("1", MIRROR, np.ones(2 * N)),
         ("torch", TORCH, _arr(t_soft.sum(axis=0), t_soft.sum(axis=0)))],
        shown=f"{2 * N} sums", mirror_why="a sum of rounded probabilities is 1 only up to its roundings (see its "
                                          "tolerance)")
    sig = [f"softmax.sigmoid.{i}" for i in imgs]
    add("sigmoid", cells(sig[0], sig[-1]), "sigmoid",
        [("sheet e/(1+e)", SHEET, _arr(*[v(k) for k in sig])), ("mirror", MIRROR, _arr(*[want[k] for k in sig])),
         ("torch.sigmoid", TORCH, T.sigmoid(S, **kw).T)], shown=f"{K}x{N} values")

    # binary cross-entropy, both forms, both bases
    y, p = inputs.y, inputs.p
    add("bce_base10", cells("entropy.bce_sum", "entropy.bce_if"), "cross_entropy",
        [("sheet sum", SHEET, v("entropy.bce_sum")),
         ("sheet IF", SHEET, v("entropy.bce_if")),
         ("mirror sum", MIRROR, M.binary_cross_entropy(y, p, "base10")),
         ("mirror IF", MIRROR, M.binary_cross_entropy_if(y, p, "base10")),
         ("F.bce", TORCH, T.binary_cross_entropy(p, y, "torch", base=10, **kw)),
         ("torch sum", TORCH, T.binary_cross_entropy(p, y, "sum", base=10, **kw)),
         ("torch IF", TORCH, T.binary_cross_entropy(p, y, "where", base=10, **kw))],
        shown=f"{y.size} values")
    add("bce_natural", cells("entropy.bce_other"), "cross_entropy",
        [("sheet IF LN", SHEET, v("entropy.bce_other")),
         ("mirror", MIRROR, M.binary_cross_entropy_if(y, p, "natural")),
         ("F.binary_cross_entropy", TORCH, T.binary_cross_entropy(p, y, "torch", **kw))],
        shown=f"{y.size} values")

    # the binary loss as two classes: one-hot dot product and look-up
    two = T.binary_as_two_classes(p)
    t2 = np.stack([y, 1.0 - y], axis=1)
    target2 = (y == 0).astype(np.int64)                 # class 0 = "is the first class"
    add("nll_onehot_vs_lookup", cells("log_entropy.nll", "log_entropy.nll_lookup"), "cross_entropy",
        [("sheet 1hot", SHEET, v("log_entropy.nll")),
         ("sheet INDEX", SHEET, v("log_entropy.nll_lookup")),
         ("sheet OFFSET", SHEET, -v("log_entropy.idx_pred")),
         ("mirror 1hot", MIRROR, M.cross_entropy_onehot(t2, two, "base10")),
         ("mirror INDEX", MIRROR, M.cross_entropy_lookup(t2, two, "base10")),
         ("F.nll_loss", TORCH, T.cross_entropy_from_probs(two, target2, "nll_loss", base=10, **kw))],
        shown=f"{y.size} values")

    # multi-class cross-entropy from the scores
    St, tgt = S.T, np.array(inputs.targets)       # a writable copy for torch
    T1 = M.onehot(tgt, K)
    probs = want["cross_entropy.probs"]
    t_ce = T.cross_entropy_from_logits(St, tgt, "cross_entropy", **kw)
    t_nll = T.cross_entropy_from_logits(St, tgt, "nll_loss", **kw)
    add("ce_base10", cells("cross_entropy.loss", "cross_entropy.loss_onehot"), "cross_entropy_logits",
        [("sheet INDEX", SHEET, v("cross_entropy.loss")),
         ("sheet 1hot", SHEET, v("cross_entropy.loss_onehot")),
         ("mirror INDEX", MIRROR, M.cross_entropy_lookup(T1, probs, "base10")),
         ("mirror 1hot", MIRROR, M.cross_entropy_onehot(T1, probs, "base10")),
         ("F.cross_entropy", TORCH, t_ce / T.LN10)],
        shown=f"{N} values")
    add("ce_natural", cells("cross_entropy.loss_other"), "cross_entropy_logits",
        [("sheet INDEX", SHEET, v("cross_entropy.loss_other")),
         ("mirror", MIRROR, M.cross_entropy_lookup(T1, probs, "natural")),
         ("mirror from scores", MIRROR, M.cross_entropy(St, T1, "natural")),
         ("F.cross_entropy", TORCH, t_ce), ("F.nll_loss", TORCH, t_nll)],
        shown=f"{N} values")
    ts = as_tensor(St, device, dtype)
    tt = torch.as_tensor(tgt, device=ts.device)
    t_mean = float(F.cross_entropy(ts, tt))
    s_mean = v("cross_entropy.mean_loss_other")
    add("ce_mean_natural", cells("cross_entropy.mean_loss_other"), "cross_entropy_logits",
        [("sheet AVERAGE", SHEET, s_mean), ("mirror", MIRROR, want["cross_entropy.mean_loss_other"]),
         ("F.cross_entropy", TORCH, [t_mean])], shown=_num(float(s_mean.ravel()[0])))
    s_m10 = _arr(v("cross_entropy.mean_loss"), v("cross_entropy.mean_loss_onehot"))
    add("ce_mean_base10", cells("cross_entropy.mean_loss", "cross_entropy.mean_loss_onehot"), "cross_entropy_logits",
        [("sheet AVERAGE", SHEET, s_m10),
         ("mirror", MIRROR, _arr(want["cross_entropy.mean_loss"], want["cross_entropy.mean_loss_onehot"])),
         ("F.cross_entropy", TORCH, [t_mean / T.LN10] * 2)], shown=_num(float(s_m10[0])))

    # the ln 10 factor between the bases: torch's own natural and base-10 logs of the same numbers
    tp, ty = as_tensor(p, device, dtype), as_tensor(y, device, dtype)
    t_nat = -torch.where(ty == 1, torch.log(tp), torch.log(1 - tp))
    t_b10 = -torch.where(ty == 1, torch.log10(tp), torch.log10(1 - tp))
    p_true = torch.softmax(ts, dim=1).gather(1, tt[:, None])
    t_ratios = _arr(to_numpy(torch.log(torch.tensor(10.0, dtype=ts.dtype, device=ts.device))),
                    to_numpy(t_nat / t_b10),
                    [float((-torch.log(p_true)).mean() / (-torch.log10(p_true)).mean())])
    keys = ("entropy.ln10", "entropy.ratio", "cross_entropy.mean_ratio")
    add("ln10_factor", cells(*keys), "ln10",
        [("sheet", SHEET, _arr(*[v(k) for k in keys])),
         ("mirror", MIRROR, _arr(*[want[k] for k in keys])),
         ("math.log(10)", MIRROR, np.full(2 + y.size, math.log(10.0))),
         ("torch log/log10", TORCH, t_ratios)],
        shown=_num(float(v("entropy.ln10").ravel()[0])),
        mirror_why="a ratio of two separately rounded losses is within a few ulps of ln 10")
    return rows


# --------------------------------------------------------------------------- running it

@contextlib.contextmanager
def _no_tf32(device):
    """float32 CUDA matmuls in full precision while the cross-check runs (TF32 rounds inputs to 10 bits)."""
    import torch
    if getattr(device, "type", str(device)) != "cuda":
        yield
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        saved = torch.backends.cuda.matmul.allow_tf32
        torch.backends.cuda.matmul.allow_tf32 = False
    try:
        yield
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.backends.cuda.matmul.allow_tf32 = saved


def parse_lessons(text: str | None) -> list[str]:
    """"all" / "collab" / "collab,entropy" -> lesson names in the usual order; one UserError line otherwise."""
    text = (text or "all").strip().lower()
    if text == "all":
        return list(LESSONS)
    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [n for n in names if n not in LESSONS]
    if unknown or not names:
        raise UserError(f"--lesson {text}: unknown lesson {unknown[0] if unknown else repr(text)} "
                        f"(choose from {', '.join(LESSONS)} or all)")
    return [n for n in LESSONS if n in names]


@dataclass
class Report:
    rows: list[Row]
    device: str
    dtype: str
    epochs: int
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.rows)

    def to_json(self) -> dict:
        return {"ok": self.ok, "device": self.device, "dtype": self.dtype, "epochs": self.epochs,
                "seconds": self.seconds, "rows": [r.to_json() for r in self.rows]}


def crosscheck(lessons=LESSONS, device="cpu", dtype="float64", epochs: int = DEFAULT_EPOCHS) -> Report:
    """Every quantity of ``lessons`` in its three forms, judged (see the module docstring)."""
    from .torchref.devices import dtype_name, require_torch, resolve_device, resolve_dtype

    require_torch()
    dev = resolve_device(device)
    dtype = dtype_name(resolve_dtype(dtype))
    if not 0 <= epochs <= MAX_EPOCHS:
        raise UserError(f"--epochs {epochs}: must be between 0 and {MAX_EPOCHS}")
    makers = {"collab": lambda: collab_rows(dev, dtype),
              "graddesc": lambda: graddesc_rows(dev, dtype, epochs),
              "entropy": lambda: entropy_rows(dev, dtype)}
    rows, seconds = [], {}
    with _no_tf32(dev):
        for lesson in lessons:
            t0 = time.perf_counter()
            rows += [judge(r) for r in makers[lesson]()]
            seconds[lesson] = round(time.perf_counter() - t0, 3)
    return Report(rows, str(dev), dtype, epochs, seconds)


def _fmt(x: float) -> str:
    if x == 0:
        return "0"
    if math.isinf(x):
        return "inf"
    return f"{x:.2g}"


def format_table(report: Report, explain: bool = False) -> str:
    """The report as a text table: lesson, quantity, forms compared, sheet value,
    sheet-vs-mirror gap, max abs diff, tolerance, verdict."""
    head = ("lesson", "quantity", "forms compared", "sheet value", "sheet-mirror", "max abs diff", "tolerance",
            "verdict")
    body = []
    for r in report.rows:
        verdict = "ok" if r.ok else "FAIL"
        if not r.ok:
            if r.sheet_mirror_diff > r.mirror_bound:
                verdict += f" (sheet/mirror {_fmt(r.sheet_mirror_diff)} > {_fmt(r.mirror_bound)})"
            else:
                verdict += f" ({' vs '.join(r.worst_pair or ())})"
        body.append((r.lesson, r.quantity, r.forms_text(), r.shown, _fmt(r.sheet_mirror_diff),
                     _fmt(r.max_abs_diff), _fmt(r.tolerance), verdict))
    widths = [max(len(str(line[i])) for line in [head] + body) for i in range(len(head))]
    widths[2] = min(widths[2], 76)

    def line(cells):
        out = []
        for i, (c, w) in enumerate(zip(cells, widths)):
            c = str(c)
            if i == 2 and len(c) > w:
                c = c[:w - 3] + "..."
            out.append(c.rjust(w) if i in (4, 5, 6) else c.ljust(w))
        return "  ".join(out).rstrip()

    lines = [f"sheetnet crosscheck: device {report.device}, {report.dtype}"
             + (f", graddesc reset + {report.epochs} epochs" if any(r.lesson == "graddesc" for r in report.rows)
                else ""),
             line(head), line(["-" * w for w in widths])]
    lines += [line(b) for b in body]
    failed = [r for r in report.rows if not r.ok]
    took = sum(report.seconds.values())
    if failed:
        lines.append(f"FAIL: {len(failed)} of {len(report.rows)} rows disagree beyond their tolerance "
                     f"({took:.1f} s)")
    else:
        lines.append(f"OK: all {len(report.rows)} rows agree within their tolerances ({took:.1f} s)")
    if explain:
        lines.append("")
        lines.append("tolerances (for pairs involving torch; sheet and mirror pairs must agree exactly unless noted):")
        seen = set()
        for r in report.rows:
            key = (r.lesson, r.tolerance_key)
            if key not in seen:
                seen.add(key)
                tol = tolerance_entry(*key).for_dtype(report.dtype)
                lines.append(f"  {r.lesson}/{r.tolerance_key} ({report.dtype}: atol {tol.atol:.3g}, "
                             f"rtol {tol.rtol:.3g}): {r.why}")
        groups: dict[tuple[str, str], list[Row]] = {}
        for r in report.rows:
            if r.mirror_bound:
                groups.setdefault((r.lesson, r.mirror_why), []).append(r)
        if groups:
            lines.append("sheet vs mirror, where the float64 forms need not agree bit for bit:")
        for (lesson, why), rows in groups.items():
            which = ", ".join(f"{r.quantity} ({_fmt(r.mirror_bound)})" for r in rows)
            lines.append(f"  {lesson} {which}: {why}")
    return "\n".join(lines)


__all__ = ["EXTRA_TOLERANCES", "Form", "LESSONS", "Report", "Row", "collab_rows", "crosscheck", "entropy_rows",
           "format_table", "graddesc_rows", "judge", "max_abs_diff", "parse_lessons", "tolerance_entry"]
