"""The conv lesson's inputs: a 28 x 28 digit, the filters of both layers, the
dense weights, the dropout probability and the dropout draws.

* the digit: ``--image`` (a PNG, or a CSV of 28 x 28 numbers in 0..1) or, by
  default, a 7 of the handwritten-digits set scikit-learn ships (8 x 8, re-typed
  in ``data/``), upsampled to 20 x 20 and centred in 28 x 28 as MNIST digits are;
* layer 1: the lesson's horizontal- and vertical-edge detectors, or ``--filters``;
* layer 2 (a filter per output map spanning both channels) and the dense weights:
  drawn from ``--seed`` (uniform like Excel's RAND(), filters in -1..1), or ``--filters``;
* the dropout draws: one RAND() per cell of each conv2 map, drawn from the seed.

PNG files are decoded here (zlib only): 8- and 16-bit grey, grey+alpha, RGB,
RGBA and palette images, not interlaced; dark ink on a light page or light on
dark, either way the digit comes out as high values on 0.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ...errors import UserError
from ...userfiles import read_text

SIZE = 28                  # the digit is 28 x 28, as MNIST's
K = 3                      # every filter is 3 x 3
MAPS = 2                   # two maps in each layer
DIGIT = Path(__file__).with_name("data") / "digit_7_8x8.csv"

# the lesson's layer-1 filters: a horizontal edge (top row +1, bottom row -1) and a vertical one
HORIZONTAL = np.array([[1.0, 1.0, 1.0], [0.0, 0.0, 0.0], [-1.0, -1.0, -1.0]])
VERTICAL = HORIZONTAL.T.copy()


@dataclass(frozen=True)
class ConvInputs:
    """Everything the sheets hold as constants.

    image     (28, 28) numbers in 0..1
    filters1  (2, 3, 3): layer 1, one filter per map
    filters2  (2, 2, 3, 3): layer 2, [output map, input channel]
    weights   (2, 12, 12): the dense layer's weights, one block per pooled map
              (12 x 13 in the faithful rebuild, whose maps are a column wider)
    draws     (2, 24, 24): the dropout sheet's RAND() draws, one per conv2 cell (12 x 12 with stride 2)
    p         the dropout probability
    """
    image: np.ndarray
    filters1: np.ndarray
    filters2: np.ndarray
    weights: np.ndarray
    draws: np.ndarray
    p: float = 0.5
    seed: int | None = 0
    stride: int = 1               # 2: a stride-two layer-2 convolution instead of max-pooling
    live_rand: bool = False       # keep =RAND() in the sheet (the lesson's way) instead of stored draws
    faithful: bool = False        # the lesson's own quirks (see sheet.py)
    source: str = ""              # where the digit came from, for the sheet's note
    notes: list = field(default_factory=list)


def conv_shapes(stride: int = 1, faithful: bool = False) -> dict[str, tuple[int, int]]:
    """The size of each map: conv1 26 x 26; conv2 24 x 24 (stride 2: 12 x 12; the lesson's
    file: 24 x 25, one column past the conv1 map); pooled 12 x 12 (12 x 13)."""
    c1 = SIZE - K + 1
    wide = 1 if faithful else 0
    if stride == 2:
        c2 = ((c1 - K) // 2 + 1, (c1 - K) // 2 + 1)
        return {"conv1": (c1, c1), "conv2": c2, "pooled": c2}
    c2 = (c1 - K + 1, c1 - K + 1 + wide)
    return {"conv1": (c1, c1), "conv2": c2, "pooled": (c2[0] // 2, (c2[1] + 1) // 2)}


# --- the digit -------------------------------------------------------------------------------------


def default_image() -> tuple[np.ndarray, str]:
    """scikit-learn's digit 7 (8 x 8, 0..16), bilinearly upsampled to 20 x 20 and centred in 28 x 28."""
    small = np.loadtxt(DIGIT, delimiter=",", comments="#") / 16.0
    return pad_center(resize(small, 20), SIZE), "a handwritten 7 (scikit-learn's digits, upsampled)"


def resize(image: np.ndarray, size: int) -> np.ndarray:
    """Bilinear resampling of a 2-D image to size x size (corners aligned)."""
    h, w = image.shape
    ys, xs = np.linspace(0, h - 1, size), np.linspace(0, w - 1, size)
    y0, x0 = np.floor(ys).astype(int), np.floor(xs).astype(int)
    y1, x1 = np.minimum(y0 + 1, h - 1), np.minimum(x0 + 1, w - 1)
    fy, fx = (ys - y0)[:, None], (xs - x0)[None, :]
    top = image[y0][:, x0] * (1 - fx) + image[y0][:, x1] * fx
    bottom = image[y1][:, x0] * (1 - fx) + image[y1][:, x1] * fx
    return top * (1 - fy) + bottom * fy


def pad_center(image: np.ndarray, size: int) -> np.ndarray:
    out = np.zeros((size, size))
    r, c = (size - image.shape[0]) // 2, (size - image.shape[1]) // 2
    out[r:r + image.shape[0], c:c + image.shape[1]] = image
    return out


def read_image(path: str) -> np.ndarray:
    """A PNG (any size: resampled to 28 x 28, grey, ink high) or a CSV of 28 x 28 numbers in 0..1."""
    name = str(path)
    try:
        with open(name, "rb") as f:
            head = f.read(8)
    except FileNotFoundError:
        raise UserError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise UserError(f"{name}: is a folder, not an image") from None
    except OSError as e:
        raise UserError(f"{name}: cannot read it ({e.strerror or e})") from None
    if head == b"\x89PNG\r\n\x1a\n":
        grey = read_png(name)
        if grey.shape != (SIZE, SIZE):
            grey = resize(grey, SIZE)
        # ink is the minority: dark digits on a light page are inverted to light on dark
        return np.clip(1.0 - grey if np.median(grey) > 0.5 else grey, 0.0, 1.0)
    return read_csv_image(name)


def read_csv_image(name: str) -> np.ndarray:
    rows = []
    for i, line in enumerate(read_text(name, "a 28 x 28 CSV of pixel values").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            rows.append([float(x) for x in line.replace(";", ",").split(",")])
        except ValueError:
            raise UserError(f"{name}:{i}: expected {SIZE} numbers separated by commas") from None
        if len(rows[-1]) != SIZE:
            raise UserError(f"{name}:{i}: {len(rows[-1])} numbers; a row of the digit has {SIZE}")
    if len(rows) != SIZE:
        raise UserError(f"{name}: {len(rows)} rows of numbers; the digit has {SIZE} (a 28 x 28 grid)")
    image = np.array(rows)
    if not np.isfinite(image).all() or image.min() < 0 or image.max() > 1:
        raise UserError(f"{name}: pixel values must be numbers from 0 to 1")
    return image


def read_png(name: str) -> np.ndarray:
    """A PNG as grey values in 0..1 (alpha composited on white)."""
    data = Path(name).read_bytes()
    pos, chunks, idat = 8, {}, []
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IDAT":
            idat.append(body)
        else:
            chunks.setdefault(kind, body)
        pos += 12 + length
    if len(chunks.get(b"IHDR", b"")) != 13:
        raise UserError(f"{name}: damaged PNG (no complete header)")
    w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}.get(ctype)
    if channels is None or depth not in (8, 16) and not (ctype == 3 and depth == 8) or interlace:
        raise UserError(f"{name}: a PNG of colour type {ctype}, {depth}-bit{', interlaced' if interlace else ''}; "
                        "use an 8- or 16-bit, non-interlaced grey, RGB(A) or palette PNG")
    if not 1 <= w <= 4096 or not 1 <= h <= 4096:
        raise UserError(f"{name}: {w} x {h} pixels; at most 4096 x 4096")
    try:
        raw = zlib.decompress(b"".join(idat))
    except zlib.error:
        raise UserError(f"{name}: damaged PNG (its image data does not decompress)") from None
    bpp = channels * depth // 8
    stride = w * bpp
    if len(raw) < h * (stride + 1):
        raise UserError(f"{name}: truncated PNG ({len(raw)} bytes of pixels, {h * (stride + 1)} needed)")
    pixels = _unfilter(np.frombuffer(raw, np.uint8)[:h * (stride + 1)].reshape(h, stride + 1), bpp)
    if depth == 16:
        values = pixels.reshape(h, w * channels, 2).astype(np.float64) @ [256.0, 1.0] / 65535.0
    else:
        values = pixels.astype(np.float64) / 255.0
    values = values.reshape(h, w, channels)
    if ctype == 3:
        palette = np.frombuffer(chunks.get(b"PLTE", b""), np.uint8).reshape(-1, 3) / 255.0
        index = pixels.reshape(h, w)
        if index.max(initial=0) >= len(palette):
            raise UserError(f"{name}: palette PNG with pixels outside its palette")
        values = palette[index]
    grey = values[..., :3].mean(axis=-1) if values.shape[-1] >= 3 else values[..., 0]
    if ctype in (4, 6):            # alpha: on a white page
        alpha = values[..., -1]
        grey = grey * alpha + (1.0 - alpha)
    return grey


def _unfilter(rows: np.ndarray, bpp: int) -> np.ndarray:
    """Undo PNG's per-row filters (none, sub, up, average, Paeth)."""
    h, n = rows.shape[0], rows.shape[1] - 1
    out = np.zeros((h, n), np.int64)
    for y in range(h):
        kind, line = rows[y, 0], rows[y, 1:].astype(np.int64)
        up = out[y - 1] if y else np.zeros(n, np.int64)
        if kind in (0, 2):
            out[y] = (line + (up if kind == 2 else 0)) & 255
            continue
        if kind not in (1, 3, 4):
            raise UserError(f"damaged PNG: row {y} has an unknown filter type {kind}")
        cur = out[y]
        for x in range(n):
            left = cur[x - bpp] if x >= bpp else 0
            if kind == 1:
                pred = left
            elif kind == 3:
                pred = (left + up[x]) // 2
            else:
                ul = up[x - bpp] if x >= bpp else 0
                p = left + up[x] - ul
                pa, pb, pc = abs(p - left), abs(p - up[x]), abs(p - ul)
                pred = left if pa <= pb and pa <= pc else up[x] if pb <= pc else ul
            cur[x] = (line[x] + pred) & 255
    return out.astype(np.uint8)


# --- filters and weights ---------------------------------------------------------------------------


def read_filters(path: str) -> tuple[np.ndarray, np.ndarray | None]:
    """A text file of 3 x 3 filters, one row of 3 numbers a line (blank lines and # comments
    ignored): 6 rows = layer 1's two filters; 18 rows = those, then layer 2's four
    (output map 1 from channels 1 and 2, then output map 2 from channels 1 and 2)."""
    name = str(path)
    rows = []
    for i, line in enumerate(read_text(name, "a filters file").splitlines(), start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        try:
            row = [float(x) for x in text.replace(";", ",").replace(",", " ").split()]
        except ValueError:
            raise UserError(f"{name}:{i}: expected 3 numbers") from None
        if len(row) != K or not np.isfinite(row).all():
            raise UserError(f"{name}:{i}: expected 3 finite numbers, got {text!r}")
        rows.append(row)
    if len(rows) not in (2 * K, 6 * K):
        raise UserError(f"{name}: {len(rows)} rows of 3 numbers; give 6 (layer 1's two filters) or 18 "
                        "(then layer 2's four)")
    block = np.array(rows).reshape(-1, K, K)
    return block[:2], (block[2:].reshape(MAPS, MAPS, K, K) if len(block) > 2 else None)


def seeded_inputs(image=None, source: str = "", filters1=None, filters2=None, p: float = 0.5, seed: int = 0,
                  stride: int = 1, live_rand: bool = False) -> ConvInputs:
    """Inputs for `sheetnet build conv`: the given digit (default :func:`default_image`), filters
    (default: the lesson's edge detectors; layer 2 drawn from `seed`), dense weights and dropout
    draws drawn from `seed`."""
    if not 0.0 <= p < 1.0:
        raise UserError(f"--dropout {p:g}: the dropout probability must be at least 0 and below 1")
    if stride not in (1, 2):
        raise UserError(f"--stride {stride}: 1 (max-pooling after layer 2) or 2 (a stride-two layer 2 instead)")
    if seed < 0:
        raise UserError(f"--seed {seed}: must be 0 or more")
    if image is None:
        image, source = default_image()
    rng = np.random.default_rng([seed, 4])
    shapes = conv_shapes(stride)
    drawn2 = rng.uniform(-1.0, 1.0, (MAPS, MAPS, K, K))
    weights = rng.random((MAPS,) + shapes["pooled"])
    draws = rng.random((MAPS,) + shapes["conv2"])
    return ConvInputs(np.asarray(image, np.float64),
                      np.stack([HORIZONTAL, VERTICAL]) if filters1 is None else np.asarray(filters1, np.float64),
                      drawn2 if filters2 is None else np.asarray(filters2, np.float64),
                      weights, draws, float(p), seed, stride, live_rand, source=source)
