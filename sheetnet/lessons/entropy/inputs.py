"""The entropy lesson's inputs: class names, each image's scores, the binary
rows (y, p) and the true classes -- seeded, or read from the lesson's workbook."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...errors import UserError
from .layout import BLOCK, ENTROPY, SOFTMAX

LESSON_CLASSES = ("cat", "dog", "plane", "fish", "building")
MAX_IMAGES = 1000     # the softmax sheet spends 6 columns per image (Excel has 16,384)
MAX_CLASSES = 1000
MAX_SCORES = 20_000   # classes x images: about 12 formula cells each, a workbook that builds in well under a minute


@dataclass(frozen=True)
class EntropyInputs:
    """The numbers a student would type in.

    classes   K class names (the softmax rows, the cross_entropy columns)
    scores    (K, N) model outputs, one column per image
    y, p      R binary targets (0/1: "is it the first class?") and predicted
              probabilities, strictly between 0 and 1 (entropy, log_entropy)
    targets   N true-class indices, 0-based (cross_entropy's one-hot rows)
    """
    classes: tuple[str, ...]
    scores: np.ndarray
    y: np.ndarray
    p: np.ndarray
    targets: np.ndarray

    def __post_init__(self):
        classes = tuple(str(c) for c in self.classes)
        object.__setattr__(self, "classes", check_classes(classes))
        scores = np.asarray(self.scores, dtype=np.float64)
        if scores.ndim != 2 or scores.shape[0] != len(classes):
            raise UserError(f"scores must be a {len(classes)} x N array (a row per class), not {scores.shape}")
        check_images(scores.shape[1])
        check_size(len(classes), scores.shape[1])
        if not np.isfinite(scores).all():
            raise UserError("scores must be finite numbers")
        y = np.asarray(self.y, dtype=np.float64).ravel()
        p = np.asarray(self.p, dtype=np.float64).ravel()
        if y.size < 1 or y.shape != p.shape:
            raise UserError(f"y and p must be equally long and not empty ({y.size} and {p.size} given)")
        if not np.isin(y, (0.0, 1.0)).all():
            raise UserError("binary targets y must be 0 or 1")
        if not ((p > 0) & (p < 1)).all():
            raise UserError("probabilities p must lie strictly between 0 and 1 (LOG(0) is an error)")
        targets = np.asarray(self.targets).ravel()
        if targets.shape != (scores.shape[1],) or not np.issubdtype(targets.dtype, np.integer) \
                or (targets < 0).any() or (targets >= len(classes)).any():
            raise UserError(f"targets must be {scores.shape[1]} class indices from 0 to {len(classes) - 1}")
        for name, value in (("scores", scores), ("y", y), ("p", p), ("targets", targets.astype(np.int64))):
            value.setflags(write=False)
            object.__setattr__(self, name, value)

    @property
    def layout_sizes(self) -> tuple[int, int, int]:
        return len(self.classes), self.scores.shape[1], self.y.size


def check_classes(classes) -> tuple[str, ...]:
    """Class names as given, or a UserError saying what is wrong with them."""
    classes = tuple(classes)
    if not classes:
        raise UserError("--classes is empty: give at least two class names separated by commas, e.g. cat,dog")
    for i, name in enumerate(classes, start=1):
        if not name.strip():
            raise UserError(f"--classes: class {i} has an empty name")
    if len(classes) < 2:
        raise UserError(f"--classes: give at least two class names (got only {classes[0]!r}); "
                        "softmax chooses between classes")
    if len(classes) > MAX_CLASSES:
        raise UserError(f"--classes: at most {MAX_CLASSES} classes (got {len(classes)})")
    seen: dict[str, str] = {}
    for name in classes:
        key = name.strip().casefold()
        if key in seen:
            raise UserError(f"--classes: {name!r} appears twice (class names must differ; "
                            "spreadsheets compare text ignoring case)")
        seen[key] = name
    return classes


def check_images(n: int) -> int:
    if n < 1:
        raise UserError(f"--images must be at least 1 (got {n})")
    if n > MAX_IMAGES:
        raise UserError(f"--images must be at most {MAX_IMAGES} (got {n}): the softmax sheet gives each "
                        "image its own columns")
    return n


def check_size(classes: int, images: int) -> None:
    if classes * images > MAX_SCORES:
        raise UserError(f"{classes} classes x {images} images is {classes * images:,} outputs; at most "
                        f"{MAX_SCORES:,}: use fewer images or classes")


def parse_classes(text: str) -> tuple[str, ...]:
    """"cat, dog,plane" -> ("cat", "dog", "plane"), checked."""
    names = tuple(part.strip() for part in text.split(",")) if text.strip() else ()
    return check_classes(names)


def seeded_inputs(classes=LESSON_CLASSES, images: int = 4, seed: int = 0) -> EntropyInputs:
    """Inputs drawn from a seeded generator: outputs ~ N(0, 2) to 2 decimals,
    one binary row per image with p in [0.02, 0.98], a random true class per
    image."""
    classes = check_classes(tuple(classes))
    check_images(images)
    check_size(len(classes), images)
    if seed < 0:
        raise UserError(f"--seed must be 0 or more (got {seed})")
    rng = np.random.default_rng(seed)
    K = len(classes)
    scores = np.round(rng.normal(0.0, 2.0, size=(K, images)), 2)
    y = rng.permutation(np.arange(images) % 2 == 0).astype(np.float64)   # half of them 1
    p = np.round(rng.uniform(0.02, 0.98, size=images), 2)
    targets = rng.integers(0, K, size=images)
    return EntropyInputs(classes, scores, y, p, targets)


def inputs_from_workbook(path: str, targets=None) -> EntropyInputs:
    """The lesson workbook's own inputs: class names and outputs from its
    softmax sheet, isCat and Preds from its entropy sheet.  The lesson has no
    multi-class targets: image i's true class defaults to class i."""
    from ...xlsx.reader import read_workbook
    book = read_workbook(path)
    sm, ent = book[SOFTMAX], book[ENTROPY]
    classes = []
    while isinstance(sm.value((2 + len(classes), 0)), str):
        classes.append(sm.value((2 + len(classes), 0)))
    K = len(classes)
    images = []
    while sm.value((0, BLOCK * len(images) + 1)) == f"Image {len(images) + 1}":
        c = BLOCK * len(images) + 1
        images.append([sm.value((2 + k, c)) for k in range(K)])
    y, p = [], []
    row = 1
    while isinstance(ent.value((row, 1)), (int, float)):
        y.append(ent.value((row, 1)))
        p.append(ent.value((row, 2)))
        row += 1
    if targets is None:
        targets = np.arange(len(images)) % K
    return EntropyInputs(tuple(classes), np.array(images, dtype=np.float64).T, y, p, np.asarray(targets))
