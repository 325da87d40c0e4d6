"""`sheetnet build graddesc --macros`: the .xlsm with the project's VBA (GradDesc.bas) and its
buttons.  The VBA project is read back by oletools (an independent reader); LibreOffice runs
the macros (reset + five steps on every optimiser sheet) and its cells equal the numpy mirror
bit for bit."""

import re
import zipfile
from pathlib import Path

import numpy as np
import pytest

from sheetnet.cli import main
from sheetnet.engine import Engine
from sheetnet.lessons import lesson
from sheetnet.lessons.graddesc.inputs import lesson_data
from sheetnet.lessons.graddesc.macrobook import BUTTONS, MODULE_NAME, vba_source
from sheetnet.lessons.graddesc.mirror import OPTIMIZERS, SHEET_NAMES, reset, somesteps, sweep
from sheetnet.refs import Area
from sheetnet.vba.cfb import compound_file
from sheetnet.vba.compression import compress
from sheetnet.xlsx.writer import write_workbook

olevba = pytest.importorskip("oletools.olevba", reason="oletools (the test extra) reads VBA projects back")

SWEEP_COLUMNS = ("b", "a", "pred", "err2", "g_b", "g_a", "e_bh", "fd_b", "e_ah", "fd_a", "m_b", "m_a", "v_b",
                 "v_a", "new_b", "new_a")


@pytest.fixture(scope="module")
def built():
    found = lesson("graddesc")
    return found.workbook(found.default_args(["--macros"]))


@pytest.fixture(scope="module")
def xlsm(built, tmp_path_factory):
    path = tmp_path_factory.mktemp("macros") / "graddesc.xlsm"
    write_workbook(built.book, str(path), recalc=False)
    return path


@pytest.mark.parametrize("data", [b"", b"a", b"abcabcabcabd" * 900, bytes(range(256)) * 40,
                                  np.random.default_rng(0).bytes(8192)])
def test_compression_is_read_back_by_oletools(data):
    assert olevba.decompress_stream(bytearray(compress(data))) == data


def test_the_compound_file_is_read_back_by_olefile():
    olefile = pytest.importorskip("olefile")
    tree = {f"s{i:02d}": bytes([i]) * (i * 700) for i in range(12)}       # small (mini stream) and large
    tree["deeper"] = {"inner": b"x" * 5000, "empty": b""}
    ole = olefile.OleFileIO(compound_file(tree))
    for name, data in tree.items():
        if isinstance(data, bytes):
            assert ole.openstream(name).read() == data
    assert ole.openstream("deeper/inner").read() == b"x" * 5000 and ole.get_size("deeper/empty") == 0


def _decrypt(text: str) -> tuple[int, int, bytes]:
    """[MS-OVBA] 2.4.3.3 data decryption of a PROJECT stream value: (version, project key, data)."""
    b = bytes.fromhex(text)
    seed, enc2, enc1 = b[0], b[1], b[2]
    unencrypted, out = seed ^ enc1, []
    for enc in b[3:]:
        byte = enc ^ ((enc2 + unencrypted) & 0xFF)
        out.append(byte)
        enc2, enc1, unencrypted = enc1, enc, byte
    ignored = (seed & 6) // 2
    length = int.from_bytes(bytes(out[ignored:ignored + 4]), "little")
    assert len(out) == ignored + 4 + length
    return seed ^ b[1], seed ^ b[2], bytes(out[ignored + 4:])


def test_project_protection_values_decrypt_like_excels(xlsm):
    """CMG/DPB/GC (protection none, no password, visible) decrypt with the project key (the sum
    of the ID's bytes) as the values Excel wrote in the lesson's file do."""
    olefile = pytest.importorskip("olefile")
    books = [xlsm] + [p for p in [Path(__file__).parents[1].parent / "shared" / "lesson-workbooks" / "graddesc.xlsm"]
                      if p.exists()]
    for book in books:
        with zipfile.ZipFile(book) as z:
            text = olefile.OleFileIO(z.read("xl/vbaProject.bin")).openstream("PROJECT").read().decode("cp1252")
        key = sum(re.search(r'ID="(\{[^}]+\})"', text).group(1).encode()) & 0xFF
        values = {k: _decrypt(re.search(k + r'="([0-9A-F]+)"', text).group(1)) for k in ("CMG", "DPB", "GC")}
        assert values == {"CMG": (2, key, bytes(4)), "DPB": (2, key, bytes(1)), "GC": (2, key, b"\xff")}, book


def test_the_xlsm_is_deterministic(built, xlsm, tmp_path):
    again = tmp_path / "again.xlsm"
    write_workbook(built.book, str(again), recalc=False)
    assert again.read_bytes() == xlsm.read_bytes()


def test_the_xlsm_holds_the_projects_vba_verbatim(xlsm):
    with zipfile.ZipFile(xlsm) as z:
        types = z.read("[Content_Types].xml").decode()
        workbook = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
        sheets = {n: z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/sheet")}
    assert 'PartName="/xl/workbook.xml" ContentType="application/vnd.ms-excel.sheet.macroEnabled.main+xml"' in types
    assert 'ContentType="application/vnd.ms-office.vbaProject"' in types and "vbaProject.bin" in rels
    assert '<workbookPr codeName="ThisWorkbook"/>' in workbook
    code_names = sorted(re.search(r'<sheetPr codeName="([^"]+)"', x).group(1) for x in sheets.values())
    parser = olevba.VBA_Parser(str(xlsm))
    modules = {name.rsplit(".", 1)[0]: code for _, _, name, code in parser.extract_macros()}
    # one document module per sheet (named by its code name) and ThisWorkbook, then GradDesc
    assert sorted(modules) == sorted(code_names + ["ThisWorkbook", MODULE_NAME])
    assert modules[MODULE_NAME].replace("\r\n", "\n") == vba_source()


def test_every_optimiser_sheet_has_the_buttons(built):
    source = vba_source()
    public = set(re.findall(r"^Public Sub (\w+)\(\)", source, re.M))
    for opt in OPTIMIZERS:
        sheet = built.book[SHEET_NAMES[opt]]
        assert [(b.text, b.macro) for b in sheet.buttons] == [(t, f"{MODULE_NAME}.{s}") for t, s in BUTTONS]
        assert {b.macro.split(".")[1] for b in sheet.buttons} <= public


def _expected(opt, state, x, y):
    """{role: value} the sheet holds in `state`: its state row, every data row and the error."""
    sw = sweep(opt, state, x, y)
    out = {"state.b": state.b, "state.a": state.a, "state.lr": state.lr, "error": sw.error}
    if opt in ("momentum", "adam", "adam_ann"):
        out.update({"state.m_b": state.m[0], "state.m_a": state.m[1]})
    if opt in ("rmsprop", "adam", "adam_ann"):
        out.update({"state.v_b": state.v[0], "state.v_a": state.v[1]})
    if opt == "adam_ann":
        avg = float(np.sqrt(state.v[0]) + np.sqrt(state.v[1]))
        out.update({"state.prev": state.prev_grad2, "state.avg": avg, "state.gradrat": avg / state.prev_grad2})
    for key in SWEEP_COLUMNS:
        out[f"rows.{key}"] = getattr(sw, key)
    return out


def _compare(built, opt, state, read) -> tuple[int, float]:
    """Cells compared and the largest difference; asserts they are equal, bit for bit."""
    x, y = lesson_data()
    sheet = SHEET_NAMES[opt]
    roles = built.roles.on(sheet)
    count, worst = 0, 0.0
    for role, want in _expected(opt, state, x, y).items():
        if role not in roles:
            continue
        got = read(sheet, roles[role]).ravel()
        want = np.atleast_1d(np.asarray(want, dtype=np.float64))
        assert got.shape == want.shape, (sheet, role)
        assert np.array_equal(got, want), (sheet, role, got, want)
        count += want.size
        worst = max(worst, float(np.max(np.abs(got - want))))
    return count, worst


def test_the_sheet_opens_in_the_state_reset_leaves(built):
    engine = Engine(built.book)
    x, y = lesson_data()
    for opt in OPTIMIZERS:
        count, _ = _compare(built, opt, reset(opt, x, y), lambda s, a: engine.values(s, a.a1))
        assert count >= 29 * 10


@pytest.mark.libreoffice
def test_libreoffice_presses_reset_and_five_steps_as_the_mirror(built, xlsm, libreoffice):
    # press the buttons (the scripts LibreOffice bound to the shapes' clicks): Reset after One
    # step shows that Reset resets (the file opens in the reset state), then Five steps
    presses = ("Reset", "One step", "Reset", "Five steps")
    calls = [(SHEET_NAMES[opt], f"button:{caption}") for opt in OPTIMIZERS for caption in presses]
    result = libreoffice.recalculate(xlsm, macros=calls, timeout=300)

    def read(sheet: str, area: Area) -> np.ndarray:
        rows = result.sheets[sheet]
        return np.array([[rows[r][c] if r < len(rows) and c < len(rows[r]) else None
                          for c in range(area.c0, area.c1 + 1)] for r in range(area.r0, area.r1 + 1)],
                        dtype=np.float64)

    x, y = lesson_data()
    total = 0
    for opt in OPTIMIZERS:
        after = somesteps(opt, reset(opt, x, y), x, y, n=5)[-1]
        count, worst = _compare(built, opt, after, read)
        assert worst == 0.0
        total += count
    assert total > 5 * 29 * 10
    print(f"\nLibreOffice ran reset + five steps on {len(OPTIMIZERS)} sheets: {total} cells equal the mirror "
          f"bit for bit (max |difference| 0)")
    # the lesson's figures (LESSONS.md): after reset + 5 epochs
    roles = {opt: built.roles.on(SHEET_NAMES[opt]) for opt in OPTIMIZERS}
    b = {opt: float(read(SHEET_NAMES[opt], roles[opt]["state.b"])[0, 0]) for opt in OPTIMIZERS}
    assert (round(b["sgd"], 6), round(b["rmsprop"], 6), round(b["adam"], 6)) == (1.275463, 3.189068, 24.960098)


def test_macros_want_an_xlsm_and_no_epochs(tmp_path, capsys):
    for argv, fragment in ((["--out", tmp_path / "g.xlsx"], "must end with .xlsm"),
                           (["--epochs", "3", "--out", tmp_path / "g.xlsm"], "--epochs does not apply")):
        code = main(["build", "graddesc", "--macros", *map(str, argv)])
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 2 and len(err) == 1 and err[0].startswith("sheetnet: error: ") and fragment in err[0], err
    assert not list(tmp_path.iterdir())
