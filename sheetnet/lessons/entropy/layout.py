"""Where every quantity of the entropy workbook lives.

The layout depends only on the sizes (classes K, images N, binary rows R)
and on ``faithful``.  For the lesson's 5 classes, 2 images and 5 rows the
``softmax``, ``entropy`` and ``log_entropy`` sheets put every one of the
lesson's cells at the lesson's address; other sizes extend the same pattern
(image i's block starts at column 5*(i-1), the "binary" columns follow the
last block).  The default workbook adds cells in places the lesson leaves
empty (below the softmax blocks, to the right of the entropy tables).

``Layout.roles()`` names each area by (sheet, name), e.g. ``("softmax",
"softmax.2")`` (image 2's softmax column), ``("entropy", "bce_sum")``,
``("cross_entropy", "loss")``; the same keys index
:func:`~sheetnet.lessons.entropy.mirror.book_values`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...refs import area
from .. import Roles

SOFTMAX, ENTROPY, LOG_ENTROPY, CROSS_ENTROPY = "softmax", "entropy", "log_entropy", "cross_entropy"
SHEETS = (SOFTMAX, ENTROPY, LOG_ENTROPY, CROSS_ENTROPY)
BLOCK = 5             # columns per image on the softmax sheet: label, output, exp, softmax, gap


@dataclass(frozen=True)
class Layout:
    n_classes: int
    n_images: int
    n_rows: int               # rows of the entropy and log_entropy tables
    faithful: bool = False

    # ---- softmax sheet (0-based rows/cols; (first, last) pairs are inclusive) ----
    def image_col(self, i: int) -> int:
        """Column of image i's labels (i is 1-based); output, exp, softmax follow."""
        return BLOCK * (i - 1)

    class_rows = property(lambda self: (2, 1 + self.n_classes))
    sum_row = property(lambda self: 2 + self.n_classes)

    def binary_col(self, i: int) -> int:
        return BLOCK * self.n_images + i - 1

    # the numerically safe block below each image's naive one
    safe_title_row = property(lambda self: self.n_classes + 4)
    max_row = property(lambda self: self.n_classes + 5)
    safe_header_row = property(lambda self: self.n_classes + 6)
    safe_rows = property(lambda self: (self.n_classes + 7, 2 * self.n_classes + 6))
    safe_sum_row = property(lambda self: 2 * self.n_classes + 7)
    softmax_note_row = property(lambda self: 2 * self.n_classes + 9)

    # ---- entropy / log_entropy sheets ----------------------------------------
    rows = property(lambda self: (1, self.n_rows))
    factor_row = property(lambda self: self.n_rows + 2)

    # ---- cross_entropy sheet: images are rows ----------------------------------
    HEAD_ROW, CLASS_ROW, FIRST_IMAGE_ROW = 1, 2, 3

    @property
    def ce_cols(self) -> dict[str, int]:
        """First column of each block (blocks of K columns: scores, exp,
        probs, logp, targets)."""
        K = self.n_classes
        return {"scores": 1, "max": 1 + K, "exp": 2 + K, "exp_sum": 2 + 2 * K, "probs": 3 + 2 * K,
                "logp": 3 + 3 * K, "targets": 3 + 4 * K, "idx": 3 + 5 * K, "true_class": 4 + 5 * K,
                "p_true": 5 + 5 * K, "loss": 6 + 5 * K, "loss_onehot": 7 + 5 * K, "loss_other": 8 + 5 * K}

    ce_rows = property(lambda self: (self.FIRST_IMAGE_ROW, self.FIRST_IMAGE_ROW + self.n_images - 1))
    ce_mean_row = property(lambda self: self.FIRST_IMAGE_ROW + self.n_images)
    ce_ratio_row = property(lambda self: self.ce_mean_row + 2)

    # ---- roles -----------------------------------------------------------------
    def roles(self) -> Roles:
        """Every named area of the book (constants and formulas alike)."""
        roles = Roles()
        K = self.n_classes
        r0, r1 = self.class_rows
        for i in range(1, self.n_images + 1):
            c = self.image_col(i)
            put = lambda key, *a: roles.add(SOFTMAX, f"{key}.{i}", area(*a))   # noqa: E731
            put("scores", r0, c + 1, r1, c + 1)
            put("exp", r0, c + 2, r1, c + 2)
            put("exp_sum", self.sum_row, c + 2)
            put("softmax", r0, c + 3, r1, c + 3)
            put("softmax_sum", self.sum_row, c + 3)
            put("sigmoid", r0, self.binary_col(i), r1, self.binary_col(i))
            if not self.faithful:
                s0, s1 = self.safe_rows
                put("max", self.max_row, c + 1)
                put("shifted", s0, c + 1, s1, c + 1)
                put("safe_exp", s0, c + 2, s1, c + 2)
                put("safe_exp_sum", self.safe_sum_row, c + 2)
                put("safe_softmax", s0, c + 3, s1, c + 3)
                put("safe_softmax_sum", self.safe_sum_row, c + 3)

        a, b = self.rows
        ent = {"y": 1, "p": 2, "bce_sum": 3, "bce_if": 4}
        if not self.faithful:
            ent.update({"bce_other": 6, "ratio": 7})
        for key, c in ent.items():
            roles.add(ENTROPY, key, area(a, c, b, c))
        if not self.faithful:
            roles.add(ENTROPY, "ln_10", area(self.factor_row, 7))

        le = {"y": 1, "y_other": 2, "p": 3, "logp": 4, "logq": 5, "nll": 6, "idx": 7, "idx_pred": 8}
        if not self.faithful:
            le.update({"idx_pred_index": 9, "nll_lookup": 10})
        for key, c in le.items():
            roles.add(LOG_ENTROPY, key, area(a, c, b, c))

        cols = self.ce_cols
        f0, f1 = self.ce_rows
        for key in ("scores", "exp", "probs", "logp", "targets"):
            roles.add(CROSS_ENTROPY, key, area(f0, cols[key], f1, cols[key] + K - 1))
        for key in ("max", "exp_sum", "idx", "true_class", "p_true", "loss", "loss_onehot", "loss_other"):
            roles.add(CROSS_ENTROPY, key, area(f0, cols[key], f1, cols[key]))
        for key in ("loss", "loss_onehot", "loss_other"):
            roles.add(CROSS_ENTROPY, f"mean_{key}", area(self.ce_mean_row, cols[key]))
        roles.add(CROSS_ENTROPY, "mean_ratio", area(self.ce_ratio_row, cols["loss"]))
        return roles

    def natural_and_base10(self, log: str) -> dict[str, tuple[tuple[str, str], tuple[str, str]]]:
        """Loss roles in each base, whichever base the book was built with:
        {"bce": (natural role, base-10 role), "ce": ..., "ce_mean": ...}."""
        pair = lambda main, other: (main, other) if log == "natural" else (other, main)   # noqa: E731
        return {"bce": pair((ENTROPY, "bce_if"), (ENTROPY, "bce_other")),
                "ce": pair((CROSS_ENTROPY, "loss"), (CROSS_ENTROPY, "loss_other")),
                "ce_mean": pair((CROSS_ENTROPY, "mean_loss"), (CROSS_ENTROPY, "mean_loss_other"))}


def log_of(book) -> str:
    """"natural" or "base10": the log a generated book's losses use (from its bce_if role's formula)."""
    cell = Roles.from_book(book)[ENTROPY, "bce_if"].area
    text = book[ENTROPY].formula_at((cell.r0, cell.c0)) or ""
    return "natural" if "LN(" in text.upper() else "base10"
