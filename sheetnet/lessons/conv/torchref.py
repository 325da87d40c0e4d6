"""The conv lesson's network in idiomatic PyTorch::

    conv1 = F.relu(F.conv2d(image[None, None], filters1[:, None]))      # (1, 2, 26, 26)
    conv2 = F.relu(F.conv2d(conv1, filters2, stride=stride))            # (1, 2, 24, 24)
    pooled = F.max_pool2d(conv2, 2)                                     # (1, 2, 12, 12)
    out = F.linear(pooled.flatten(), weights.flatten())                 # one dense output

``F.conv2d`` is a cross-correlation, as the sheet's ``SUM(window*filter)``.
Dropout uses the sheet's own mask: the sheet keeps a cell when its draw beats
p + 0.001 and does **not** rescale what it keeps, where ``F.dropout`` (and
``nn.Dropout`` in training) multiplies the kept cells by 1/(1 - p) so that the
expected activation does not change; :func:`network` returns the sheet's form
(``conv2 * keep``) and :func:`scaled_dropout` torch's, which differ by exactly
that factor.  ``extra_cols`` pads conv1 on the right for the lesson file's
24 x 25 layer-2 maps; ``F.max_pool2d(..., ceil_mode=True)`` then pools the odd
column the way the sheet's MAX of a half-empty window does.
"""

from __future__ import annotations

import numpy as np

from ...devices import as_tensor, require_torch, to_numpy

torch = require_torch()
F = torch.nn.functional


def network(inputs, device="cpu", dtype="float64") -> dict[str, np.ndarray]:
    """Every map of both sheets, as :func:`~.mirror.network` names them, computed with torch."""
    t = lambda a: as_tensor(a, device, dtype)        # noqa: E731
    wide = 1 if inputs.faithful else 0
    conv1 = F.relu(F.conv2d(t(inputs.image)[None, None], t(inputs.filters1)[:, None]))
    conv2 = F.relu(F.conv2d(F.pad(conv1, (0, wide)), t(inputs.filters2), stride=inputs.stride))
    keep = t(inputs.draws > inputs.p + 0.001)[None]
    kept = conv2 * keep

    def pool(x):
        return F.max_pool2d(x, 2, ceil_mode=True) if inputs.stride == 1 else x

    def linear(x):
        return F.linear(x.flatten()[None], t(inputs.weights).flatten()[None])[0, 0]

    mask = torch.where(keep.bool(), t(inputs.draws)[None], torch.zeros_like(keep))
    zeros = (mask == 0).sum(dim=(-2, -1)).to(conv2.dtype)
    cells = 26 * 26 if inputs.faithful else mask[0, 0].numel()
    return {k: to_numpy(v[0] if v.dim() == 4 else v) for k, v in dict(
        conv1=conv1, conv2=conv2, pool=pool(conv2), dense=linear(pool(conv2)), mask=mask, kept=kept,
        pool_dropout=pool(kept), dense_dropout=linear(pool(kept)), rate=zeros[0] / cells).items()}


def scaled_dropout(inputs, device="cpu", dtype="float64") -> np.ndarray:
    """torch's dropout with the sheet's mask: ``conv2 * keep / (1 - p)`` (what ``F.dropout``
    computes for that mask), 1/(1 - p) times the sheet's kept maps."""
    out = network(inputs, device, dtype)
    keep = inputs.draws > inputs.p + 0.001
    return out["conv2"] * keep / (1.0 - inputs.p)
