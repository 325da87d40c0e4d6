"""The conv lesson's cross-check rows: every activation map of both sheets --
conv1, conv2, the dropout mask, the kept maps, the pooled maps, the dense
outputs and the realised dropout rates -- as the sheet (read by role), the
numpy mirror and torch (F.conv2d, F.relu, F.max_pool2d, F.linear, the sheet's
own dropout mask), and torch's 1/(1-p)-scaled dropout against the sheet's.

Inputs: the default ``sheetnet build conv`` inputs (the upsampled digit, the
lesson's edge filters, layer 2 and the dense weights from seed 0, p = 0.5).
"""

from __future__ import annotations

import numpy as np

from ...crosscheck import EPS32, EPS64, MIRROR, SHEET, TORCH, RowSet, Setting, Tol, arr, declare, num

declare("conv", "conv", Tol(0.0, 4 * EPS64), Tol(0.0, 8 * EPS32),
        "a 3 x 3 (layer 2: 2 x 3 x 3) sum of products: F.conv2d adds them in its own order, with fused "
        "multiply-adds, where the sheet adds left to right, row by row -- an ulp or so of the largest sum of "
        "|terms| of either layer (the row's scale, 44 for the default digit); layer 2, the kept and pooled "
        "maps carry layer 1's ulps through |w2|. Measured 8.9e-16 (0.1 ulp of the scale). float32 rounds the "
        "digit, the filters and every product and sum to 24 bits: measured 6.3e-7 (1.4e-8 of the scale)")
declare("conv", "dense", Tol(0.0, 16 * EPS64), Tol(0.0, 16 * EPS32),
        "F.linear's dot product of 288 weights and pooled values against the sheet's two SUMPRODUCTs added "
        "left to right, relative to the sum of |w x| plus the maps' scale (the pooled values carry the "
        "convolutions' ulps): measured 4.3e-14 (1.3 ulps of that scale); float32 3e-6 (1.9e-8 of it)")
declare("conv", "mask", Tol(0.0), Tol(0.0, EPS32),
        "the dropout mask holds the stored draw or 0 and the realised rate counts its zeros: torch compares "
        "the same draws with p + 0.001, so float64 is exact; float32 rounds each draw once (half an ulp)")

KEEP_WHY = ("torch's dropout keeps the same cells but multiplies them by 1/(1-p): divided back by 1/(1-p) it is "
            "the sheet's map (the row compares the sheet's kept cells times 1/(1-p) with torch's)")


def term_scale(inputs, conv1_abs=None) -> float:
    """The largest sum of |terms| in either layer: the magnitude whose ulps F.conv2d's order moves."""
    from .mirror import conv2d
    s1 = conv2d(np.abs(inputs.image)[None], np.abs(inputs.filters1)[:, None])
    s2 = conv2d(s1, np.abs(inputs.filters2), inputs.stride, 1 if inputs.faithful else 0)
    return float(max(s1.max(initial=0.0), s2.max(initial=0.0)))


def rows(setting: Setting, inputs=None) -> RowSet:
    """The conv rows for ``inputs`` (default :func:`~.inputs.seeded_inputs`): the workbook is
    built from them and evaluated."""
    from ...engine import Engine
    from . import mirror as M
    from . import torchref as T
    from .inputs import seeded_inputs
    from .layout import DROPOUT, PLAIN
    from .sheet import build_book

    inputs = seeded_inputs() if inputs is None else inputs
    built = build_book(inputs)
    engine, roles = Engine(built.book, volatile="cached").recalc(), built.roles
    want = M.network(inputs)
    got = T.network(inputs, setting.device, setting.dtype)
    out = RowSet("conv", setting)
    step = 2 if inputs.stride == 1 else 1                # pooled values every other cell

    def sheet(name, role, every=1):
        return roles.values(engine, name, role)[::every, ::every]

    def both(name, role, every=1):
        return arr(*[sheet(name, f"{role}.{m}", every) for m in (1, 2)])

    def cells(name, role):
        return [roles[name, f"{role}.{m}"] for m in (1, 2)]

    scale = term_scale(inputs)
    for role in ("conv1", "conv2"):
        out.add(role, cells(PLAIN, role) + cells(DROPOUT, role), "conv",
                [(f"sheet {PLAIN}", SHEET, both(PLAIN, role)), (f"sheet {DROPOUT}", SHEET, both(DROPOUT, role)),
                 ("mirror", MIRROR, want[role]), ("F.relu(F.conv2d)", TORCH, got[role])],
                shown=f"2x{want[role].shape[1]}x{want[role].shape[2]} values", scale=scale)
    out.add("dropout_mask", cells(DROPOUT, "mask"), "mask",
            [("sheet IF(rand>p+0.001)", SHEET, both(DROPOUT, "mask")), ("mirror", MIRROR, want["mask"]),
             ("torch where(draw>p+0.001)", TORCH, got["mask"])], shown=f"p = {inputs.p:g}")
    out.add("dropout_kept", cells(DROPOUT, "kept"), "conv",
            [("sheet IF(mask=0,0,conv2)", SHEET, both(DROPOUT, "kept")), ("mirror", MIRROR, want["kept"]),
             ("conv2*mask", TORCH, got["kept"])], shown="no 1/(1-p)", scale=scale)
    out.add("dropout_scaled_like_torch", cells(DROPOUT, "kept"), "conv",
            [("sheet kept/(1-p)", SHEET, both(DROPOUT, "kept") / (1.0 - inputs.p)),
             ("mirror kept/(1-p)", MIRROR, want["kept"] / (1.0 - inputs.p)),
             ("F.dropout's scaling, the sheet's mask", TORCH, T.scaled_dropout(inputs, setting.device, setting.dtype))],
            shown=f"x {1 / (1 - inputs.p):g}", scale=scale / (1.0 - inputs.p), mirror_why=KEEP_WHY)
    rate = arr(*[sheet(DROPOUT, f"rate.{m}") for m in (1, 2)])
    out.add("realised_dropout_rate", cells(DROPOUT, "rate"), "mask",
            [("sheet COUNTIF/COUNT", SHEET, rate), ("mirror", MIRROR, want["rate"]),
             ("torch (mask == 0).sum()", TORCH, got["rate"])], shown=f"{rate[0]:.4f}, {rate[1]:.4f}")
    if inputs.stride == 1:
        out.add("maxpool", cells(PLAIN, "pool"), "conv",
                [("sheet MAX", SHEET, both(PLAIN, "pool", step)), ("mirror", MIRROR, want["pool"]),
                 ("F.max_pool2d", TORCH, got["pool"])], shown=f"2x{want['pool'].shape[1]}x{want['pool'].shape[2]}",
                scale=scale)
        out.add("maxpool_after_dropout", cells(DROPOUT, "pool"), "conv",
                [("sheet MAX", SHEET, both(DROPOUT, "pool", step)), ("mirror", MIRROR, want["pool_dropout"]),
                 ("F.max_pool2d", TORCH, got["pool_dropout"])], shown="", scale=scale)
    dense_scale = float(np.abs(inputs.weights).ravel() @ np.abs(want["pool"]).ravel()) + scale
    for name, key in ((PLAIN, "dense"), (DROPOUT, "dense_dropout")):
        value = float(sheet(name, "dense")[0, 0])
        out.add(key, [roles[name, "dense"]], "dense",
                [("sheet SUMPRODUCT", SHEET, [value]), ("mirror", MIRROR, [want[key]]),
                 ("F.linear", TORCH, [float(got[key])])], shown=num(value), scale=dense_scale)
    return out
