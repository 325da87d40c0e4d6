"""The collab lesson's cross-check rows: one-hot encodings and activations,
embedding look-ups, the dotprod and bias predictions and RMSEs, the rating-row
predictions and RMSE, and the word vectors -- each as the sheet (read by role),
the numpy mirror and torch, with the tolerance that judges it.

Inputs: the default ``sheetnet build collab`` inputs with biases drawn from the
same seed (:func:`~.inputs.crosscheck_inputs`).
"""

from __future__ import annotations

import numpy as np

from ...crosscheck import EPS32, EPS64, F32_INPUT, MIRROR, SHEET, TORCH, RowSet, Setting, Tol, arr, declare, num

declare("collab", "onehot", Tol(0.0), Tol(0.0),
        "a one-hot matrix holds 0s and 1s, exact in every dtype: IF($K3=O$2,1,0), F.one_hot and the mirror's "
        "comparison must agree exactly")
declare("collab", "embedding", Tol(0.0), Tol(0.0, 2 * EPS32),
        "a look-up copies the row and a one-hot product adds exact zeros to it: exact in float64 "
        "(measured 0; TF32 must stay off for CUDA matmuls, torch's default). float32 differs from the "
        "float64 sheet only by rounding each weight once (measured 4.7e-8 relative)")
declare("collab", "prediction", Tol(0.0, 16 * EPS64), Tol(0.0, 2e-6),
        "a 5-term dot product plus biases: torch's matmul/sum order and fused multiply-adds differ from "
        "Excel's left-to-right MMULT/SUMPRODUCT by an ulp of the largest term (measured 3.2e-16 relative). "
        + F32_INPUT + " (measured 2.3e-7)")
declare("collab", "rmse", Tol(0.0, 64 * EPS64), Tol(0.0, 2e-6),
        "a root mean square of ~200 errors: torch sums pairwise, Excel left to right, and pred - rating "
        "cancels the digits the two share (measured 2.8e-16 relative). " + F32_INPUT + " (measured 1.5e-7)")

ORDER_WHY = ("numpy's matmul (BLAS) and sum (pairwise) add the products and squares in their own order, "
             "the engine's MMULT/SUMPRODUCT/AVERAGE left to right: an ulp of the largest term, as for "
             "torch in float64 (its tolerance's float64 part).  Relative bounds of predictions and RMSEs "
             "are taken of the largest sum of |terms| (sum |u_k m_k| + |biases|, and the ratings for an "
             "RMSE), not of the result, which may be small where the terms cancel")


def term_scale(U, Mt, user_bias=None, movie_bias=None) -> float:
    """The largest sum of |terms| of a prediction, sum_k |U[u,k] M[m,k]| (+ |biases|): the
    magnitude whose ulp the rounding of a dot product is measured in, even where the terms
    cancel and the prediction itself is small."""
    T = np.abs(np.asarray(U, dtype=np.float64)) @ np.abs(np.asarray(Mt, dtype=np.float64)).T
    if user_bias is not None:
        T = T + np.abs(np.asarray(user_bias, dtype=np.float64))[:, None]
    if movie_bias is not None:
        T = T + np.abs(np.asarray(movie_bias, dtype=np.float64))[None, :]
    return float(np.max(T, initial=0.0))


def rows(setting: Setting, inputs=None) -> RowSet:
    """The collab rows for ``inputs`` (default :func:`~.inputs.crosscheck_inputs`): the
    workbook is built from them and evaluated."""
    from ...devices import require_torch, to_numpy
    from ...engine import Engine
    from ...errors import UserError
    from . import mirror as M
    from . import torchref as T
    from .inputs import crosscheck_inputs
    from .sheet import build_workbook

    torch = require_torch()
    F = torch.nn.functional
    inputs = crosscheck_inputs() if inputs is None else inputs
    built = build_workbook(inputs)
    roles = built.roles
    if ("dotprod", "rmse") not in roles or ("movielens_1hot", "rmse") not in roles:   # pragma: no cover
        raise UserError("collab: the workbook left out a sheet: " + "; ".join(built.notes))
    engine = Engine(built.book).recalc()

    def cells(*keys):
        return [roles[k] for k in keys]

    def sheet(*keys) -> np.ndarray:
        return arr(*[roles.values(engine, *k) for k in keys])

    r = inputs.ratings
    users, items = r.user, r.movie                      # 0-based, with repeats
    table = r.crosstab()
    UW, MW = inputs.user_factors, np.asarray(inputs.movie_factors).T      # N x K, M x K
    dev = setting.device
    kw = dict(device=dev, dtype=setting.dtype)
    out = RowSet("collab", setting, lambda key: dict(mirror_key=key, mirror_why=ORDER_WHY)
                 if key in ("prediction", "rmse") else {})
    OH, EM, DP, BS, WD = "movielens_1hot", "movielens_emb", "dotprod", "bias", "word_emb"

    # one-hot encodings
    t_onehot = [to_numpy(F.one_hot(torch.as_tensor(idx, device=dev), n)) for idx, n in
                ((users, r.n_users), (items, r.n_movies))]
    onehots = ((OH, "user_onehot"), (OH, "movie_onehot"))
    out.add("onehot_matrix", cells(*onehots), "onehot",
            [("sheet IF", SHEET, sheet(*onehots)),
             ("mirror", MIRROR, arr(M.one_hot(users + 1, r.n_users), M.one_hot(items + 1, r.n_movies))),
             ("F.one_hot", TORCH, arr(*t_onehot))],
            shown=f"{r.n_ratings}x{r.n_users + r.n_movies} of 0/1")

    acts = ((OH, "user_activations"), (OH, "movie_activations"))
    sheet_mmult = sheet(*acts)
    out.add("onehot_activations", cells(*acts), "embedding",
            [("sheet MMULT", SHEET, sheet_mmult),
             ("mirror", MIRROR, arr(M.one_hot_activations(M.one_hot(users + 1, r.n_users), UW),
                                    M.one_hot_activations(M.one_hot(items + 1, r.n_movies), MW))),
             ("F.one_hot@W", TORCH, arr(T.one_hot_matmul(users, UW, **kw), T.one_hot_matmul(items, MW, **kw)))],
            shown=f"{r.n_ratings}x{2 * inputs.n_factors} values")
    looks = ((EM, "user_activations"), (EM, "movie_activations"))
    out.add("embedding_activations", cells(*looks), "embedding",
            [("sheet OFFSET", SHEET, sheet(*looks)),
             ("sheet MMULT", SHEET, sheet_mmult),
             ("mirror", MIRROR, arr(M.lookup(UW, users + 1), M.lookup(MW, items + 1))),
             ("nn.Embedding", TORCH, arr(T.embedding_lookup(users, UW, **kw), T.embedding_lookup(items, MW, **kw))),
             ("W[idx]", TORCH, arr(T.index_lookup(users, UW, **kw), T.index_lookup(items, MW, **kw)))],
            shown=f"{r.n_ratings}x{2 * inputs.n_factors} values")

    # the crosstab sheets
    m_pred = M.predictions(UW, inputs.movie_factors, table)
    t_pred = T.crosstab_predictions(table, UW, MW, **kw)
    scale = term_scale(UW, MW)
    rated = r.rating
    out.add("dotprod_predictions", cells((DP, "predictions")), "prediction",
            [("sheet MMULT", SHEET, sheet((DP, "predictions"))), ("mirror", MIRROR, m_pred),
             ("U@M.T", TORCH, t_pred)], shown=f"{r.n_users}x{r.n_movies} values", scale=scale)
    s_rmse = float(sheet((DP, "rmse"))[0])
    out.add("dotprod_rmse", cells((DP, "rmse")), "rmse",
            [("sheet", SHEET, [s_rmse]), ("mirror", MIRROR, [M.rmse(table, m_pred)]),
             ("F.mse_loss", TORCH, [T.crosstab_rmse(table, t_pred, **kw)])], shown=num(s_rmse),
            scale=max(scale, float(np.max(np.abs(rated))), s_rmse))

    bU, bM = inputs.bias_user_factors, inputs.bias_movie_factors
    m_bpred = M.bias_predictions(bU, bM, inputs.user_bias, inputs.movie_bias, table)
    # The generated sheet writes IF(rating="",0,MMULT(..)+movie bias+user bias): the biases sit inside
    # the IF, so unrated cells are 0.  The torch reference's mask_blank=True models the lesson's original,
    # which adds the biases outside the IF; here the full prediction is masked the generated sheet's way.
    t_bfull = T.crosstab_predictions(table, bU, np.asarray(bM).T, inputs.user_bias, inputs.movie_bias,
                                     mask_blank=False, **kw)
    t_bpred = np.where(np.isnan(table), 0.0, t_bfull)
    b_scale = term_scale(bU, np.asarray(bM).T, inputs.user_bias, inputs.movie_bias)
    out.add("bias_predictions", cells((BS, "predictions")), "prediction",
            [("sheet", SHEET, sheet((BS, "predictions"))), ("mirror", MIRROR, m_bpred),
             ("U@M.T+biases", TORCH, t_bpred)], shown=f"{r.n_users}x{r.n_movies} values", scale=b_scale)
    s_brmse = float(sheet((BS, "rmse"))[0])
    out.add("bias_rmse", cells((BS, "rmse")), "rmse",
            [("sheet", SHEET, [s_brmse]), ("mirror", MIRROR, [M.rmse(table, m_bpred)]),
             ("F.mse_loss", TORCH, [T.crosstab_rmse(table, t_bpred, **kw)])], shown=num(s_brmse),
            scale=max(b_scale, float(np.max(np.abs(rated))), s_brmse))

    # the rating-row sheets
    m_oh = M.onehot_sheet(users + 1, items + 1, UW, MW, r.rating)
    m_em = M.emb_sheet(users + 1, items + 1, UW, MW, r.rating)
    t_rows = T.predict(UW, MW, users, items, **kw)
    out.add("rating_predictions", cells((OH, "predictions"), (EM, "predictions")), "prediction",
            [("sheet 1hot", SHEET, sheet((OH, "predictions"))), ("sheet emb", SHEET, sheet((EM, "predictions"))),
             ("mirror 1hot", MIRROR, m_oh["predictions"]), ("mirror emb", MIRROR, m_em["predictions"]),
             ("DotProductBias", TORCH, t_rows)], shown=f"{r.n_ratings} values", scale=scale)
    s_r1, s_r2 = float(sheet((OH, "rmse"))[0]), float(sheet((EM, "rmse"))[0])
    out.add("rating_rmse", cells((OH, "rmse"), (EM, "rmse")), "rmse",
            [("sheet 1hot", SHEET, [s_r1]), ("sheet emb", SHEET, [s_r2]),
             ("mirror 1hot", MIRROR, [m_oh["rmse"]]), ("mirror emb", MIRROR, [m_em["rmse"]]),
             ("F.mse_loss", TORCH, [T.rmse(t_rows, r.rating, **kw)])], shown=num(s_r1),
            scale=max(scale, float(np.max(np.abs(rated))), s_r1))

    ids = M.word_ids(inputs.text, inputs.vocabulary)
    out.add("word_vectors", cells((WD, "word_vectors")), "embedding",
            [("sheet OFFSET", SHEET, sheet((WD, "word_vectors"))),
             ("mirror", MIRROR, M.word_vectors(inputs.embeddings, ids)),
             ("nn.Embedding", TORCH, T.embedding_lookup(ids - 1, inputs.embeddings, **kw))],
            shown=f"{len(ids)}x{inputs.embeddings.shape[1]} values")
    return out
