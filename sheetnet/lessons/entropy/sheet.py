"""Build the softmax / cross-entropy workbook.

Four sheets:

* ``softmax``: per image, its class outputs, EXP, softmax = exp / sum and the
  sigmoid "binary" column e / (1 + e), as in the lesson; below each image the
  numerically safe softmax (subtract the image's MAX first).
* ``entropy``: binary cross-entropy as -y*log p - (1-y)*log(1-p) and as
  -IF(y=1, log p, log(1-p)); beside it the same loss in the other base and
  the ratio, which is always ln 10.
* ``log_entropy``: the same loss as a one-hot dot product and as a look-up of
  the true class's log-probability (MATCH, then OFFSET as in the lesson, and
  INDEX).
* ``cross_entropy``: images as rows (PyTorch's layout): the safe softmax of
  each image's outputs, log-probabilities, one-hot targets, MATCH for the
  true class, its probability by INDEX, the loss by look-up and by one-hot
  dot product, in both bases, and the means.

``log="base10"`` uses Excel's LOG, as the lesson does; ``"natural"`` uses LN,
as PyTorch does.  ``faithful=True`` keeps only the lesson's own cells and
formulas on the first three sheets (approximate MATCH included).
"""

from __future__ import annotations

import numpy as np

from ...book import Book
from ...errors import UserError
from ...refs import cell_name, col_letters, span
from ...style import DATA, HEADER, LABEL, NOTE, NUMBER, RESULT, TITLE, Style
from .. import Built
from .inputs import EntropyInputs
from .layout import CROSS_ENTROPY, ENTROPY, LOG_ENTROPY, SOFTMAX, Layout
from .mirror import EXP_LIMIT, LOGS

PROB = Style(fill="E2EFDA", border=True, number_format="0.00")


# ----------------------------------------------------------------------- the book --

def build_book(inputs: EntropyInputs, log: str = "natural", faithful: bool = False) -> Built:
    """The workbook for `inputs` and its roles; the engine computes its values
    when it is written (or call ``Engine(built.book).recalc()``)."""
    if log not in LOGS:
        raise UserError(f"--log must be natural or base10, not {log!r}")
    if faithful and log != "base10":
        raise UserError("the faithful (lesson as taught) workbook uses base-10 LOG: use log='base10'")
    lay = Layout(*inputs.layout_sizes, faithful=faithful)
    book = Book()
    for name, make in ((SOFTMAX, _softmax_sheet), (ENTROPY, _entropy_sheet),
                       (LOG_ENTROPY, _log_entropy_sheet), (CROSS_ENTROPY, _cross_entropy_sheet)):
        make(book.add_sheet(name), inputs, lay, log)
    return Built(book, lay.roles())


def _fn(log: str) -> str:
    return "LN" if log == "natural" else "LOG"


def _base_words(log: str) -> str:
    return "LN, the natural log, as PyTorch does" if log == "natural" else "LOG, base 10, as the lesson does"


def _softmax_sheet(sh, inputs: EntropyInputs, lay: Layout, log: str) -> None:
    N = lay.n_images
    r0, r1 = lay.class_rows
    total = lay.sum_row
    for i in range(1, N + 1):
        c = lay.image_col(i)
        sh.set_value((0, c + 1), f"Image {i}")
        sh.set_values((1, c + 1), [["output", "exp", "softmax"]])
        sh.set_values((r0, c), [[name] for name in inputs.classes])
        sh.set_values((r0, c + 1), inputs.scores[:, i - 1:i])
        sh.fill(span(r0, c + 2, r1, c + 2), f"=EXP({cell_name(r0, c + 1)})")
        sh.fill(span(r0, c + 3, r1, c + 3), f"={cell_name(r0, c + 2)}/{cell_name(total, c + 2, True, True)}")
        sh.set_formula((total, c + 2), f"=SUM({span(r0, c + 2, r1, c + 2)})")
        sh.set_formula((total, c + 3), f"=SUM({span(r0, c + 3, r1, c + 3)})")
        b = lay.binary_col(i)
        sh.set_value((1, b), f"Image {i}")
        sh.fill(span(r0, b, r1, b), f"={cell_name(r0, c + 2)}/(1+{cell_name(r0, c + 2)})")
        sh.style(span(0, c + 1, 1, c + 3), HEADER)
        sh.style(span(r0, c, r1, c), LABEL)
        sh.style(span(r0, c + 1, r1, c + 1), DATA)
        sh.style(span(r0, c + 2, total, c + 3), NUMBER)
        sh.style(span(r0, c + 3, r1, c + 3), RESULT)
        sh.col_widths.update({c: 10, c + 1: 12, c + 2: 11, c + 3: 11, c + 4: 3})
    b0, b1 = lay.binary_col(1), lay.binary_col(N)
    sh.set_value((0, b0), "binary")
    sh.style(span(0, b0, 1, b1), HEADER)
    sh.style(span(r0, b0, r1, b1), NUMBER)
    sh.col_widths.update({c: 10 for c in range(b0, b1 + 1)})
    if lay.faithful:
        return

    s0, s1 = lay.safe_rows
    sh.set_value((lay.safe_title_row, 0),
                 "Numerically safe softmax: subtract the image's largest output before EXP")
    sh.style(span(lay.safe_title_row, 0, lay.safe_title_row, 0), TITLE)
    for i in range(1, N + 1):
        c = lay.image_col(i)
        mx = (lay.max_row, c + 1)
        sh.set_value((lay.max_row, c), "max")
        sh.set_formula(mx, f"=MAX({span(r0, c + 1, r1, c + 1)})")
        sh.set_values((lay.safe_header_row, c + 1), [["output - max", "exp", "softmax"]])
        sh.set_values((s0, c), [[name] for name in inputs.classes])
        sh.fill(span(s0, c + 1, s1, c + 1), f"={cell_name(r0, c + 1)}-{cell_name(*mx, True, True)}")
        sh.fill(span(s0, c + 2, s1, c + 2), f"=EXP({cell_name(s0, c + 1)})")
        sh.fill(span(s0, c + 3, s1, c + 3), f"={cell_name(s0, c + 2)}/{cell_name(lay.safe_sum_row, c + 2, True, True)}")
        sh.set_formula((lay.safe_sum_row, c + 2), f"=SUM({span(s0, c + 2, s1, c + 2)})")
        sh.set_formula((lay.safe_sum_row, c + 3), f"=SUM({span(s0, c + 3, s1, c + 3)})")
        sh.style(span(lay.max_row, c + 1, lay.safe_sum_row, c + 3), NUMBER)
        sh.style(span(lay.max_row, c, lay.max_row, c), LABEL)
        sh.style(span(lay.safe_header_row, c + 1, lay.safe_header_row, c + 3), HEADER)
        sh.style(span(s0, c, s1, c), LABEL)
        sh.style(span(s0, c + 3, s1, c + 3), RESULT)
    sh.notes[(lay.safe_header_row, 3)] = (
        f"EXP overflows above {EXP_LIMIT:.2f}, so the naive softmax gives #NUM! for a large output; "
        "after subtracting the max the largest exponent is EXP(0) = 1 and the result is the same.")
    notes = [
        f"Why subtract the max: EXP(x) is larger than the largest double for x above {EXP_LIMIT:.2f} "
        "(ln of 1.8E308), so the naive softmax above breaks (#NUM!) for outputs like 800.",
        "Softmax does not change when the same number is added to every output of an image, so "
        "subtracting the image's max gives the same probabilities, and the largest exponent is EXP(0) = 1.",
        "Try it: type 800 into an output cell. The naive exp and softmax show #NUM!; the safe block "
        "still sums to 1.",
        "The binary column e/(1+e) is the sigmoid: it treats each class on its own, so it does not "
        "sum to 1 and, unlike softmax, changes when a constant is added to the outputs.",
    ]
    for k, text in enumerate(notes):
        sh.set_value((lay.softmax_note_row + k, 0), text)
    sh.style(span(lay.softmax_note_row, 0, lay.softmax_note_row + len(notes) - 1, 0), NOTE)
    sh.notes[(1, lay.binary_col(1))] = "Sigmoid: e/(1+e) = 1/(1+EXP(-output)), one class at a time."


def _entropy_sheet(sh, inputs: EntropyInputs, lay: Layout, log: str) -> None:
    L = _fn(log)
    a, b = lay.rows
    first = inputs.classes[0]
    sh.set_values((0, 1), [[f"is{first[:1].upper()}{first[1:]}", "Preds"]])
    sh.set_values((a, 1), inputs.y.reshape(-1, 1))
    sh.set_values((a, 2), inputs.p.reshape(-1, 1))
    sh.fill(span(a, 3, b, 3), f"=-B{a + 1}*{L}(C{a + 1})-(1-B{a + 1})*{L}(1-C{a + 1})")
    sh.fill(span(a, 4, b, 4), f"=-IF(B{a + 1}=1,{L}(C{a + 1}),{L}(1-C{a + 1}))")
    sh.style(span(0, 1, 0, 2), HEADER)
    sh.style(span(a, 1, b, 1), DATA)
    sh.style(span(a, 2, b, 2), PROB)
    sh.style(span(a, 3, b, 4), RESULT)
    sh.col_widths.update({3: 22, 4: 22})
    if lay.faithful:
        return
    other = "base10" if log == "natural" else "natural"
    O = _fn(other)
    sh.set_values((0, 3), [[f"-y*{L}(p)-(1-y)*{L}(1-p)", f"-IF(y=1,{L}(p),{L}(1-p))", None,
                            f"-IF(y=1,{O}(p),{O}(1-p))", "natural / base 10"]])
    sh.fill(span(a, 6, b, 6), f"=-IF(B{a + 1}=1,{O}(C{a + 1}),{O}(1-C{a + 1}))")
    nat, b10 = ("E", "G") if log == "natural" else ("G", "E")
    sh.fill(span(a, 7, b, 7), f"={nat}{a + 1}/{b10}{a + 1}")
    f = lay.factor_row
    sh.set_value((f, 6), "ln 10")
    sh.set_formula((f, 7), "=LN(10)")
    sh.style(span(0, 3, 0, 7), HEADER)
    sh.style(span(a, 6, b, 6), RESULT)
    sh.style(span(a, 7, b, 7), NUMBER)
    sh.style(span(f, 6, f, 6), LABEL)
    sh.style(span(f, 7, f, 7), RESULT)
    sh.notes[(f, 7)] = "Natural-log loss = base-10 loss x ln 10: Excel's LOG is base 10, PyTorch's log is natural."
    notes = [
        f"The two loss columns use {_base_words(log)}; the column after the gap uses {_base_words(other)}.",
        "Excel's LOG is base 10; PyTorch's binary_cross_entropy uses the natural log, so its loss is the "
        "base-10 loss times ln 10 = 2.302585 (0.30103 x 2.302585 = 0.693147 for p = 0.5).",
        "Both forms give the same loss: with y = 1 only -log(p) is left, with y = 0 only -log(1-p).",
    ]
    for k, text in enumerate(notes):
        sh.set_value((f + 2 + k, 1), text)
    sh.style(span(f + 2, 1, f + 1 + len(notes), 1), NOTE)
    sh.col_widths.update({6: 22, 7: 16})


def _log_entropy_sheet(sh, inputs: EntropyInputs, lay: Layout, log: str) -> None:
    L = _fn(log)
    a, b = lay.rows
    cap = lambda s: s[:1].upper() + s[1:]
    c0, c1 = cap(inputs.classes[0]), cap(inputs.classes[1])
    sh.set_values((0, 1), [[f"is{c0}", f"is{c1}", "Preds", f"logPred{c0}", f"logPred{c1}", "NLL", "idx",
                            "idxPred"]])
    n = a + 1          # the first row's number in A1 notation
    sh.set_values((a, 1), inputs.y.reshape(-1, 1))
    sh.fill(span(a, 2, b, 2), f"=1-B{n}")
    sh.set_values((a, 3), inputs.p.reshape(-1, 1))
    sh.fill(span(a, 4, b, 4), f"={L}(D{n})")
    sh.fill(span(a, 5, b, 5), f"={L}(1-D{n})")
    sh.fill(span(a, 6, b, 6), f"=-B{n}*E{n}-C{n}*F{n}")
    match = f"=MATCH(1,B{n}:C{n})" if lay.faithful else f"=MATCH(1,B{n}:C{n},0)"
    sh.fill(span(a, 7, b, 7), match)
    sh.fill(span(a, 8, b, 8), f"=OFFSET(D{n},0,H{n})")
    sh.style(span(0, 1, 0, 8), HEADER)
    sh.style(span(a, 1, b, 1), DATA)
    sh.style(span(a, 3, b, 3), PROB)
    sh.style(span(a, 4, b, 5), NUMBER)
    sh.style(span(a, 6, b, 6), RESULT)
    sh.style(span(a, 8, b, 8), NUMBER)
    sh.col_widths.update({4: 12, 5: 12, 6: 11, 8: 10})
    if lay.faithful:
        return
    sh.set_values((0, 9), [["idxPred (INDEX)", "NLL (look-up)"]])
    sh.fill(span(a, 9, b, 9), f"=INDEX(E{n}:F{n},H{n})")
    sh.fill(span(a, 10, b, 10), f"=-J{n}")
    sh.style(span(0, 9, 0, 10), HEADER)
    sh.style(span(a, 9, b, 9), NUMBER)
    sh.style(span(a, 10, b, 10), RESULT)
    sh.notes[(0, 7)] = ("MATCH(1, row, 0) is an exact match; the lesson's MATCH(1, row) is an approximate "
                        "match that assumes a sorted row.")
    notes = [
        "NLL multiplies every log-probability by its one-hot target and adds them up; the look-up reads "
        "only the true class's log-probability: the same number, without the multiplications.",
        "idx uses MATCH(1, row, 0), an exact match. The lesson's MATCH(1, row) (approximate) expects a row "
        "sorted in ascending order; on {1, 0} it finds the 1 only by accident of its binary search.",
        "OFFSET(D, 0, idx) counts idx columns right of Preds; INDEX(logPred row, idx) picks the same cell "
        "directly and, unlike OFFSET, is not volatile.",
        f"Logs here use {_base_words(log)}.",
    ]
    for k, text in enumerate(notes):
        sh.set_value((b + 2 + k, 1), text)
    sh.style(span(b + 2, 1, b + 1 + len(notes), 1), NOTE)
    sh.col_widths.update({9: 15, 10: 14})


def _cross_entropy_sheet(sh, inputs: EntropyInputs, lay: Layout, log: str) -> None:
    K, N = lay.n_classes, lay.n_images
    L = _fn(log)
    other = "base10" if log == "natural" else "natural"
    O = _fn(other)
    cols = lay.ce_cols
    f0, f1 = lay.ce_rows
    n = f0 + 1                       # the first image's row number in A1 notation
    letter = {key: col_letters(c) for key, c in cols.items()}
    last = {key: col_letters(cols[key] + K - 1) for key in ("scores", "exp", "probs", "logp", "targets")}
    row_of = lambda key: f"{letter[key]}{n}:{last[key]}{n}"     # a block's cells in the first image's row

    sh.set_value((0, 0), "Multi-class cross-entropy: softmax of each image's outputs (from the softmax sheet), "
                         "then minus the log of the true class's probability, found by look-up")
    sh.style("A1", TITLE)
    heads = {"scores": "output (softmax sheet)", "max": "max", "exp": "exp(output - max)", "exp_sum": "sum",
             "probs": "softmax", "logp": f"{L}(softmax)", "targets": "target (one-hot)", "idx": "idx",
             "true_class": "true class", "p_true": "p(true)", "loss": f"loss -{L}(p)",
             "loss_onehot": "loss (one-hot)", "loss_other": f"loss -{O}(p)"}
    for key, text in heads.items():
        sh.set_value((lay.HEAD_ROW, cols[key]), text)
    for key in ("scores", "exp", "probs", "logp", "targets"):
        sh.set_values((lay.CLASS_ROW, cols[key]), [list(inputs.classes)])
        sh.style(span(lay.HEAD_ROW, cols[key], lay.CLASS_ROW, cols[key] + K - 1), HEADER)
    for key in ("max", "exp_sum", "idx", "true_class", "p_true", "loss", "loss_onehot", "loss_other"):
        sh.style(span(lay.HEAD_ROW, cols[key], lay.CLASS_ROW, cols[key]), HEADER)
    sh.set_values((f0, 0), [[f"image {i}"] for i in range(1, N + 1)])
    sh.style(span(f0, 0, f1, 0), LABEL)

    # the outputs, straight from the softmax sheet (image i's column there is row i here)
    for i in range(1, N + 1):
        src = lay.image_col(i) + 1
        for k in range(K):
            sh.set_formula((f0 + i - 1, cols["scores"] + k), f"=softmax!{cell_name(2 + k, src)}")
    mx = f"${letter['max']}{n}"
    sh.fill(span(f0, cols["max"], f1, cols["max"]), f"=MAX({row_of('scores')})")
    sh.fill(span(f0, cols["exp"], f1, cols["exp"] + K - 1), f"=EXP({letter['scores']}{n}-{mx})")
    sh.fill(span(f0, cols["exp_sum"], f1, cols["exp_sum"]), f"=SUM({row_of('exp')})")
    sh.fill(span(f0, cols["probs"], f1, cols["probs"] + K - 1),
            f"={letter['exp']}{n}/${letter['exp_sum']}{n}")
    sh.fill(span(f0, cols["logp"], f1, cols["logp"] + K - 1), f"={L}({letter['probs']}{n})")
    sh.set_values((f0, cols["targets"]), (inputs.targets[:, None] == np.arange(K)).astype(np.float64))
    idx = f"{letter['idx']}{n}"
    sh.fill(span(f0, cols["idx"], f1, cols["idx"]), f"=MATCH(1,{row_of('targets')},0)")
    names = span(lay.CLASS_ROW, cols["scores"], lay.CLASS_ROW, cols["scores"] + K - 1, absolute=True)
    sh.fill(span(f0, cols["true_class"], f1, cols["true_class"]), f"=INDEX({names},{idx})")
    sh.fill(span(f0, cols["p_true"], f1, cols["p_true"]), f"=INDEX({row_of('probs')},{idx})")
    p_true = f"{letter['p_true']}{n}"
    sh.fill(span(f0, cols["loss"], f1, cols["loss"]), f"=-{L}({p_true})")
    sh.fill(span(f0, cols["loss_onehot"], f1, cols["loss_onehot"]),
            f"=-SUMPRODUCT({row_of('targets')},{row_of('logp')})")
    sh.fill(span(f0, cols["loss_other"], f1, cols["loss_other"]), f"=-{O}({p_true})")

    m = lay.ce_mean_row
    sh.set_value((m, 0), "mean")
    for key in ("loss", "loss_onehot", "loss_other"):
        c = cols[key]
        sh.set_formula((m, c), f"=AVERAGE({span(f0, c, f1, c)})")
    nat, b10 = ("loss", "loss_other") if log == "natural" else ("loss_other", "loss")
    r = lay.ce_ratio_row
    sh.set_value((r, cols["loss"] - 1), "natural / base 10")
    sh.set_formula((r, cols["loss"]), f"={letter[nat]}{m + 1}/{letter[b10]}{m + 1}")
    sh.notes[(r, cols["loss"])] = "Always ln 10 = 2.302585 (entropy sheet): the two bases differ by this factor only."

    sh.style(span(f0, cols["scores"], f1, cols["scores"] + K - 1), NUMBER)
    sh.style(span(f0, cols["max"], f1, cols["logp"] + K - 1), NUMBER)
    sh.style(span(f0, cols["probs"], f1, cols["probs"] + K - 1), RESULT)
    sh.style(span(f0, cols["targets"], f1, cols["targets"] + K - 1), DATA)
    sh.style(span(f0, cols["p_true"], f1, cols["p_true"]), NUMBER)
    sh.style(span(f0, cols["loss"], m, cols["loss_other"]), RESULT)
    sh.style(span(m, 0, m, 0), LABEL)
    sh.style(span(r, cols["loss"] - 1, r, cols["loss"] - 1), LABEL)
    sh.style(span(r, cols["loss"], r, cols["loss"]), RESULT)
    sh.col_widths.update({c: 10 for c in range(cols["loss_other"] + 1)})
    sh.col_widths.update({cols[k]: 13 for k in ("true_class", "loss", "loss_onehot", "loss_other")})
    sh.col_widths[cols["loss"] - 1] = 16
    sh.freeze = (lay.FIRST_IMAGE_ROW, 1)

    notes = [
        f"Rows are images and columns classes, as PyTorch's (N, C) scores. The losses use {_base_words(log)}; "
        f"the last loss column uses {_base_words(other)}.",
        "With LN, the mean loss is PyTorch's F.cross_entropy(scores, idx - 1) and "
        "F.nll_loss(F.log_softmax(scores, 1), idx - 1); with LOG it is that divided by ln 10.",
        "The look-up reads one probability per image; the one-hot form multiplies all of them by 0 or 1 "
        "and adds: the same loss.",
        "idx is MATCH(1, one-hot row, 0): exact match, so it does not depend on the order of the row.",
    ]
    for k, text in enumerate(notes):
        sh.set_value((r + 2 + k, 0), text)
    sh.style(span(r + 2, 0, r + 1 + len(notes), 0), NOTE)
