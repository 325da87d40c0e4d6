"""`sheetnet build conv`: the workbook's maps equal the numpy mirror and torch,
the lesson's properties (a one-hot kernel shifts, max-pooling a constant gives
it back, dropout keeps about 1 - p), the options, the digit readers and bad input."""

from __future__ import annotations

import struct
import zipfile
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetnet.cli import main
from sheetnet.crosscheck import Setting, judge
from sheetnet.engine import Engine
from sheetnet.lessons import Roles, all_lessons
from sheetnet.lessons.conv import mirror as M
from sheetnet.lessons.conv.inputs import (HORIZONTAL, SIZE, default_image, read_filters, read_image, read_png,
                                          seeded_inputs)
from sheetnet.lessons.conv.layout import DROPOUT, PLAIN
from sheetnet.lessons.conv.sheet import build_book
from sheetnet.xlsx.reader import read_workbook

FAST = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def sheet_maps(inputs):
    """The recalculated workbook for `inputs` and a reader of its roles."""
    built = build_book(inputs)
    engine = Engine(built.book, volatile="cached").recalc()
    return built, lambda sheet, role: built.roles.values(engine, sheet, role)


# --- the default workbook ----------------------------------------------------------------------------


def test_lesson_is_registered_and_builds(tmp_path, capsys):
    lesson = all_lessons()["conv"]
    assert lesson.default_out == "workbooks/conv_example.xlsx" and lesson.rows is not None
    out = tmp_path / "conv.xlsx"
    assert main(["build", "conv", "--out", str(out)]) == 0
    assert main(["check", str(out)]) == 0
    book = read_workbook(str(out))
    assert [s.name for s in book.sheets] == ["Start here", PLAIN, DROPOUT]
    roles = Roles.from_book(book)
    # the lesson's addresses: the digit in A2:AB29, conv1 in AH3/AH32 and AI3/AI36, the dense output in EN4, II4
    assert roles[PLAIN, "input"].area.a1 == "A2:AB29" and roles[PLAIN, "conv1.1"].area.a1 == "AH3:BG28"
    assert roles[PLAIN, "conv1.2"].area.a1 == "AH32:BG57" and roles[DROPOUT, "conv1.2"].area.a1 == "AI36:BH61"
    assert roles[PLAIN, "conv2.1"].area.a1 == "BM4:CJ27"            # 24 x 24 (the lesson's file: 24 x 25)
    assert roles[PLAIN, "dense"].area.a1 == "EN4" and roles[DROPOUT, "dense"].area.a1 == "II4"
    assert roles[DROPOUT, "p"].area.a1 == "GD1" and book[DROPOUT].value("GD1") == 0.5
    assert book[PLAIN].formula_at("AH3") == "{=MAX(0,SUM(A2:C4*$AD$11:$AF$13))}"
    assert book[PLAIN].formula_at("BM4") == "{=MAX(0,SUM(AH3:AJ5*$BI$11:$BK$13)+SUM(AH32:AJ34*$BI$15:$BK$17))}"
    assert book[DROPOUT].formula_at("DZ4") == "=IF(CU4>($GD$1+0.001), CU4, 0)"
    assert book[DROPOUT].formula_at("FA30") == "=COUNT(DZ4:EW27)"
    # colour scales on the digit and every map, as the lesson's file has them
    xml = zipfile.ZipFile(out).read("xl/worksheets/sheet2.xml").decode()     # sheet1: Start here
    for sqref in ("A2:AB29", "AH3:BG28", "AH32:BG57", "BM4:CJ27 BM33:CJ56", "CM4:DI26", "CM33:DI55"):
        assert f'<conditionalFormatting sqref="{sqref}"><cfRule type="colorScale"' in xml, sqref
    assert zipfile.ZipFile(out).read("xl/worksheets/sheet3.xml").decode().count('type="colorScale"') == 12


def test_every_map_equals_the_mirror_bit_for_bit_and_torch_within_tolerance():
    rows = [judge(r) for r in all_lessons()["conv"].rows(Setting("cpu"))]
    assert all(r.ok for r in rows), [(r.quantity, r.max_abs_diff, r.tolerance) for r in rows if not r.ok]
    assert all(r.sheet_mirror_diff == 0.0 for r in rows)
    assert {r.quantity for r in rows} >= {"conv1", "conv2", "dropout_mask", "dropout_kept", "maxpool",
                                          "maxpool_after_dropout", "dense", "dense_dropout", "realised_dropout_rate"}


@pytest.mark.parametrize("stride,live", [(2, False), (1, True)])
def test_stride_two_and_live_rand(stride, live):
    inputs = seeded_inputs(p=0.3, seed=5, stride=stride, live_rand=live)
    built, v = sheet_maps(inputs)
    want = M.network(inputs)
    for sheet in (PLAIN, DROPOUT):
        got = np.stack([v(sheet, f"conv2.{m}") for m in (1, 2)])
        np.testing.assert_array_equal(got, want["conv2"])
    assert want["conv2"].shape == ((2, 12, 12) if stride == 2 else (2, 24, 24))
    assert (("pool.1" in Roles.from_book(built.book).on(PLAIN)) is (stride == 1))
    assert v(PLAIN, "dense")[0, 0] == want["dense"] and v(DROPOUT, "dense")[0, 0] == want["dense_dropout"]
    rand = built.book[DROPOUT].formula_at(built.roles[DROPOUT, "rand.1"].area.a1.split(":")[0])
    assert (rand == "=RAND()") is live


# --- properties ---------------------------------------------------------------------------------------


@settings(max_examples=25, **FAST)
@given(st.integers(0, 2), st.integers(0, 2), st.integers(0, 10**6))
def test_a_one_hot_kernel_is_a_shift(a, b, seed):
    """Convolution with a kernel holding one 1 at (a, b) reads the input shifted by (a, b): the mirror and torch."""
    from sheetnet.lessons.conv import torchref as T
    image = np.random.default_rng(seed).random((SIZE, SIZE))
    kernel = np.zeros((3, 3))
    kernel[a, b] = 1.0
    out = M.conv2d(image[None], kernel[None, None])[0]
    np.testing.assert_array_equal(out, image[a:a + SIZE - 2, b:b + SIZE - 2])
    inputs = seeded_inputs(image, filters1=np.stack([kernel, kernel]), seed=seed % 7)
    np.testing.assert_array_equal(T.network(inputs)["conv1"][0], image[a:a + SIZE - 2, b:b + SIZE - 2])


def test_a_one_hot_kernel_is_a_shift_in_the_sheet():
    image = np.random.default_rng(3).random((SIZE, SIZE))
    kernels = np.zeros((2, 3, 3))
    kernels[0, 2, 1] = kernels[1, 0, 2] = 1.0
    _, v = sheet_maps(seeded_inputs(image, filters1=kernels))
    np.testing.assert_array_equal(v(PLAIN, "conv1.1"), image[2:, 1:27])
    np.testing.assert_array_equal(v(DROPOUT, "conv1.2"), image[0:26, 2:])


@settings(max_examples=25, **FAST)
@given(st.floats(0, 1e6, allow_subnormal=False), st.sampled_from([(24, 24), (24, 25), (6, 4)]))
def test_max_pool_of_a_constant_map_is_that_constant(c, shape):
    from sheetnet.lessons.conv import torchref as T
    x = np.full((2,) + shape, c)
    pooled = M.maxpool2d(x)
    assert pooled.shape == (2, shape[0] // 2, (shape[1] + 1) // 2) and (pooled == c).all()
    t = T.F.max_pool2d(T.torch.as_tensor(x)[None], 2, ceil_mode=True)[0].numpy()
    assert (t == c).all()


def test_max_pool_of_a_constant_map_in_the_sheet():
    """A constant digit and filters that see only its centre give constant conv2 maps; the sheet's pooled
    cells are that constant."""
    kernel = np.zeros((3, 3))
    kernel[1, 1] = 1.0
    inputs = seeded_inputs(np.full((SIZE, SIZE), 0.25), filters1=np.stack([kernel, kernel]),
                           filters2=np.array([[kernel, kernel], [kernel, 2 * kernel]]))
    _, v = sheet_maps(inputs)
    for m, c in ((1, 0.5), (2, 0.75)):
        pooled = v(PLAIN, f"pool.{m}")[::2, ::2]
        assert pooled.shape == (12, 12) and (pooled == c).all()


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_dropout_keeps_about_one_minus_p_over_seeds(p):
    """Over 40 seeds the mask keeps (1 - p - 0.001) of the cells on average, within 4 standard errors."""
    kept = [1.0 - M.realised_rate(M.dropout_mask(seeded_inputs(p=p, seed=s).draws, p)).mean() for s in range(40)]
    n = 40 * 2 * 24 * 24
    assert abs(np.mean(kept) - (1 - p - 0.001)) <= 4 * np.sqrt(p * (1 - p) / n)


@pytest.mark.parametrize("p,seed", [(0.5, 0), (0.9, 3)])
def test_the_sheets_realised_rate_cells_equal_the_masks(p, seed):
    inputs = seeded_inputs(p=p, seed=seed)
    _, v = sheet_maps(inputs)
    for m in (1, 2):
        mask = v(DROPOUT, f"mask.{m}")
        zeros = int((mask == 0).sum())
        assert v(DROPOUT, f"zeros.{m}")[0, 0] == zeros and v(DROPOUT, f"total.{m}")[0, 0] == mask.size
        assert v(DROPOUT, f"rate.{m}")[0, 0] == zeros / mask.size
        np.testing.assert_array_equal(mask, M.dropout_mask(inputs.draws[m - 1], p))
        kept = v(DROPOUT, f"kept.{m}")
        assert ((kept == 0) | (mask != 0)).all() and (kept[mask == 0] == 0).all()


# --- inputs ----------------------------------------------------------------------------------------


def test_default_digit():
    image, source = default_image()
    assert image.shape == (SIZE, SIZE) and image.min() == 0.0 and 0.9 < image.max() <= 1.0
    assert (image[:4] == 0).all() and (image[:, -4:] == 0).all() and "scikit-learn" in source


def test_default_digit_is_scikit_learns():
    datasets = pytest.importorskip("sklearn.datasets")
    from sheetnet.lessons.conv.inputs import DIGIT
    digits = datasets.load_digits()
    assert digits.target[7] == 7
    np.testing.assert_array_equal(np.loadtxt(DIGIT, delimiter=",", comments="#"), digits.images[7])


def _png(path, pixels: np.ndarray, ctype: int, filters=(0,), depth: int = 8, palette=None):
    """A minimal PNG writer (rows filtered with the given filter types in turn)."""
    h, w = pixels.shape[:2]
    raw = pixels.astype(">u2" if depth == 16 else np.uint8).reshape(h, -1).view(np.uint8)
    bpp = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[ctype] * depth // 8
    out, prev = b"", np.zeros(raw.shape[1], np.int64)
    for y in range(h):
        kind = filters[y % len(filters)]
        line = raw[y].astype(np.int64)
        left = np.concatenate([np.zeros(bpp, np.int64), line[:-bpp]])
        upleft = np.concatenate([np.zeros(bpp, np.int64), prev[:-bpp]])
        if kind == 0:
            pred = 0
        elif kind == 1:
            pred = left
        elif kind == 2:
            pred = prev
        elif kind == 3:
            pred = (left + prev) // 2
        else:
            p = left + prev - upleft
            pa, pb, pc = abs(p - left), abs(p - prev), abs(p - upleft)
            pred = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, prev, upleft))
        out += bytes([kind]) + ((line - pred) & 255).astype(np.uint8).tobytes()
        prev = line

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, ctype, 0, 0, 0))
    if palette is not None:
        data += chunk(b"PLTE", bytes(np.asarray(palette, np.uint8).ravel()))
    path.write_bytes(data + chunk(b"IDAT", zlib.compress(out)) + chunk(b"IEND", b""))


@pytest.mark.parametrize("ctype", [0, 2, 3, 4, 6])
def test_png_reader_every_filter_and_colour_type(tmp_path, ctype):
    grey = np.random.default_rng(ctype).integers(0, 256, (9, 7))
    if ctype == 0:
        px = grey
    elif ctype == 2:
        px = np.stack([grey] * 3, axis=-1)
    elif ctype == 3:
        px, palette = grey, np.stack([np.arange(256)] * 3, axis=-1)
    elif ctype == 4:
        px = np.stack([grey, np.full_like(grey, 255)], axis=-1)
    else:
        px = np.stack([grey] * 3 + [np.full_like(grey, 255)], axis=-1)
    path = tmp_path / "x.png"
    _png(path, px, ctype, filters=(0, 1, 2, 3, 4), palette=palette if ctype == 3 else None)
    np.testing.assert_allclose(read_png(str(path)), grey / 255.0, rtol=0, atol=1e-12)


def test_png_sixteen_bit_and_a_digit_as_a_teacher_draws_it(tmp_path):
    path = tmp_path / "g16.png"
    grey = np.random.default_rng(1).integers(0, 65536, (5, 4))
    _png(path, grey, 0, filters=(1, 4), depth=16)
    np.testing.assert_allclose(read_png(str(path)), grey / 65535.0, atol=1e-12)
    # dark ink on white, 56 x 56: resampled to 28 x 28 and inverted so the ink is high
    page = np.full((56, 56), 255)
    page[10:46, 26:30] = 0
    _png(tmp_path / "seven.png", page, 0)
    image = read_image(str(tmp_path / "seven.png"))
    assert image.shape == (SIZE, SIZE) and image[14, 14] == pytest.approx(1.0) and image[2, 2] == 0.0


def test_build_from_png_csv_and_filters(tmp_path):
    image = np.round(np.random.default_rng(2).random((SIZE, SIZE)), 3)
    csv = tmp_path / "digit.csv"
    csv.write_text("\n".join(",".join(f"{x:g}" for x in row) for row in image) + "\n")
    np.testing.assert_array_equal(read_image(str(csv)), image)
    filters = tmp_path / "filters.txt"
    filters.write_text("# layer 1\n" + "\n".join(" ".join(str(v) for v in row) for row in np.vstack(
        [HORIZONTAL, -HORIZONTAL] + [np.eye(3)] * 4)) + "\n")
    f1, f2 = read_filters(str(filters))
    assert f1.shape == (2, 3, 3) and f2.shape == (2, 2, 3, 3) and (f2[1, 1] == np.eye(3)).all()
    out = tmp_path / "c.xlsx"
    assert main(["build", "conv", "--image", str(csv), "--filters", str(filters), "--dropout", "0.2", "--seed", "9",
                 "--out", str(out)]) == 0
    book = read_workbook(str(out))
    assert book[PLAIN].value("A2") == image[0, 0] and book[PLAIN].value("AD13") == -1.0
    assert book[PLAIN].value("AD11") == 1.0 and book[PLAIN].value("AD38") == -1.0 and book[DROPOUT].value("GD1") == 0.2


@pytest.mark.parametrize("args,message", [
    (["--image", "missing.png"], "no such file"),
    (["--dropout", "1"], "--dropout 1"),
    (["--dropout", "-0.1"], "--dropout -0.1"),
    (["--seed", "-2"], "--seed -2"),
])
def test_bad_options_are_one_line_exit_2(args, message, tmp_path, capsys):
    out = tmp_path / "x.xlsx"
    assert main(["build", "conv", *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and err.startswith("sheetnet: error: ")
    assert not out.exists()


def test_bad_files_are_one_line_exit_2(tmp_path, capsys):
    cases = {"short.csv": ("0,1\n", "a row of the digit has 28"),
             "range.csv": ("\n".join([",".join(["2"] * 28)] * 28), "from 0 to 1"),
             "broken.png": (b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x0dIHDR" + b"\x00" * 10, "PNG"),
             "filters.txt": ("1 2 3\n4 5\n", "filters.txt:2")}
    for name, (content, message) in cases.items():
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        flag = "--filters" if name.endswith(".txt") else "--image"
        assert main(["build", "conv", flag, str(path), "--out", str(tmp_path / "x.xlsx")]) == 2, name
        err = capsys.readouterr().err.strip()
        assert message in err and len(err.splitlines()) == 1, (name, err)
