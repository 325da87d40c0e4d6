"""PyTorch references for every lesson quantity: the fourth form (sheet,
engine, mirror, **torch**) that ``sheetnet crosscheck`` compares.

Modules (each needs torch; :mod:`.devices` imports without it):

* :mod:`.devices`   -- ``resolve_device("cpu"|"cuda"|"cuda:N"|"auto")``,
  ``resolve_dtype("float64"|"float32")``, ``available_devices()`` and the
  per-quantity tolerance table ``TOLERANCES`` / ``tolerance(lesson, quantity, dtype)``.
* :mod:`.collab`    -- ``one_hot_matmul`` vs ``embedding_lookup`` vs
  ``index_lookup``; ``DotProductBias`` (nn.Module over nn.Embedding, optional
  sigmoid y_range); ``crosstab_predictions``/``crosstab_rmse`` for the
  ``dotprod``/``bias`` sheets; ``fit`` (AdamW + one-cycle) for MovieLens.
* :mod:`.gradients` -- the line loss's gradient by autograd, analytically,
  by forward and central differences (h = 0.01), and ``gradcheck``.
* :mod:`.optim`     -- torch.optim configurations and small Optimizer
  subclasses reproducing the five optimiser sheets, run with the sheets'
  reset warm-up and copy-back rule: ``train_sheet(sheet, x, y, epochs)``.
* :mod:`.softmax`   -- softmax, sigmoid, binary and categorical
  cross-entropy in their sheet forms and torch's, natural log or base 10.

:data:`QUANTITIES` lists, per lesson quantity, the torch function that
computes it and the tolerance entry that judges it -- the wiring
``sheetnet crosscheck`` needs.  Everything takes numpy arrays / floats and
returns numpy arrays / floats, ``device="cpu"`` and ``dtype="float64"`` by
default.
"""

from __future__ import annotations

from dataclasses import dataclass

from .devices import (TOLERANCES, Tol, Tolerance, available_devices, cuda_available, resolve_device,
                      resolve_dtype, tolerance)


@dataclass(frozen=True)
class Quantity:
    lesson: str             # collab | graddesc | entropy
    name: str               # the crosscheck row's "quantity"
    function: str           # sheetnet.torchref.<module>.<function> computing it
    tolerance: str          # key into TOLERANCES: (lesson, tolerance)
    sheet_cells: str        # where the lesson's workbook holds it

    def tol(self, dtype="float64") -> Tol:
        return tolerance(self.lesson, self.tolerance, dtype)


QUANTITIES: tuple[Quantity, ...] = (
    Quantity("collab", "onehot_activations", "collab.one_hot_matmul", "embedding",
             "movielens_1hot AE3:AI208, BA3:BE208 (MMULT(onehot, W))"),
    Quantity("collab", "embedding_activations", "collab.embedding_lookup", "embedding",
             "movielens_emb activations (OFFSET look-ups)"),
    Quantity("collab", "dotprod_predictions", "collab.crosstab_predictions", "prediction",
             "dotprod H25:V39"),
    Quantity("collab", "dotprod_rmse", "collab.crosstab_rmse", "rmse", "dotprod V41"),
    Quantity("collab", "bias_predictions", "collab.crosstab_predictions(user_bias=, item_bias=)", "prediction",
             "bias H26:V40"),
    Quantity("collab", "bias_rmse", "collab.crosstab_rmse", "rmse", "bias objective"),
    Quantity("collab", "rating_predictions", "collab.predict", "prediction",
             "movielens_1hot / movielens_emb prediction column"),
    Quantity("collab", "rating_rmse", "collab.rmse", "rmse", "movielens_1hot BH210"),
    Quantity("graddesc", "gradient", "gradients.gradients_autograd", "gradient",
             "de/db, de/da columns of every optimiser sheet"),
    Quantity("graddesc", "finite_difference", "gradients.gradients_forward_difference", "finite_difference",
             "basic H (est de/db), J (est de/da)"),
    Quantity("graddesc", "parameters", "optim.train_sheet(sheet).a/.b/.rows['new_b'|'new_a']", "parameters",
             "header b, a and the new b/new a columns of each optimiser sheet"),
    Quantity("graddesc", "state", "optim.train_sheet(sheet).state/.rows['m_b'...]", "state",
             "the m/v columns and the pasted state row"),
    Quantity("graddesc", "error", "optim.train_sheet('basic').error", "error", "basic F33 and its log C38:C42"),
    Quantity("entropy", "softmax", "softmax.softmax", "softmax", "softmax D3:D7, I3:I7"),
    Quantity("entropy", "sigmoid", "softmax.sigmoid", "sigmoid", "softmax K3:L7"),
    Quantity("entropy", "binary_cross_entropy", "softmax.binary_cross_entropy(base=10)", "cross_entropy",
             "entropy D2:E6"),
    Quantity("entropy", "nll", "softmax.cross_entropy_from_probs(base=10)", "cross_entropy",
             "log_entropy E:G, I"),
)

__all__ = ["QUANTITIES", "Quantity", "TOLERANCES", "Tol", "Tolerance", "available_devices", "cuda_available",
           "resolve_device", "resolve_dtype", "tolerance"]
