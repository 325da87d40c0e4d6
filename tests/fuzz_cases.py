"""A seeded generator of damaged and hostile inputs for every command.

Each case is a command line plus the files it reads, written into a folder
of its own, and what must happen:

* ``must_fail`` cases are broken by construction (a listed sheet whose part
  is gone, a number Excel would never write, a formula past Excel's limits,
  an option out of range ...): they must end with exit 2 and one error line --
  exit 0 would be an "OK" about something that was not checked;
* the others (random byte flips, grammatical but odd values, random formulas
  within Excel's limits) may succeed or fail, but never with a traceback;

and for every case: no hang, bounded memory, inputs unchanged, no output
file after a failure, no temporary left behind (see test_fuzz_hostile.py).
The same seed gives the same cases.
"""

from __future__ import annotations

import io
import os
import random
import re
import string
import zipfile
from dataclasses import dataclass, field

from hostile_inputs import (CONTENT_TYPES, HEAD, PKG_REL_NS, docx, parts, patch_zip_entries, sheet_xml, write_zip)

LIMIT_CELLS = (2 << 30) // 32          # the default budget's grid, in cells (limits.GRID_BYTES_PER_CELL)


@dataclass
class Case:
    kind: str                  # e.g. "package/drop-sheet-part", "options/train-collab --lr"
    argv: list
    inputs: list = field(default_factory=list)      # files that must stay byte for byte the same
    outputs: list = field(default_factory=list)     # must not exist after a failure
    must_fail: bool = True
    codes: tuple = (2,)        # exit codes allowed (must_fail: 2 only)
    timeout: int = 60
    folder: str = ""           # the case's own folder (its working directory)


# --------------------------------------------------------------------------- the base workbook

def base_parts() -> dict[str, bytes]:
    """A small workbook with a bit of everything a reader meets: numbers,
    shared and inline strings, booleans, errors, shared formulas, an array
    formula, a defined name used by a formula, a second sheet."""
    cells = [
        '<c r="A1"><v>2</v></c>', '<c r="B1" t="s"><v>0</v></c>', '<c r="C1" t="b"><v>1</v></c>',
        '<c r="D1" t="e"><v>#N/A</v></c>', '<c r="E1" t="inlineStr"><is><t>inline</t></is></c>',
        '<c r="A2"><v>3.5</v></c>', '<c r="B2"><f>A1*rate</f><v>0.2</v></c>',
        '<c r="A3"><f t="shared" ref="A3:A6" si="0">A2+1</f><v>4.5</v></c>',
        '<c r="A4"><f t="shared" si="0"/><v>5.5</v></c>', '<c r="A5"><f t="shared" si="0"/><v>6.5</v></c>',
        '<c r="A6"><f t="shared" si="0"/><v>7.5</v></c>',
        '<c r="C3"><f t="array" ref="C3:C4">A3:A4*2</f><v>9</v></c>', '<c r="C4"><v>11</v></c>',
        '<c r="D3" t="str"><f>B1&amp;"!"</f><v>text!</v></c>', '<c r="D4"><f>SUM(Data!A1:A3)</f><v>6</v></c>',
    ]
    data = sheet_xml([f'<c r="A{i}"><v>{i}</v></c>' for i in range(1, 4)])
    return parts({"S": sheet_xml(cells), "Data": data}, shared=["text"],
                 names='<definedName name="rate">0.1</definedName>')


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(zipfile.ZipInfo(name, (2000, 1, 1, 0, 0, 0)), data, compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


SHEET = "xl/worksheets/sheet1.xml"
WORKBOOK = "xl/workbook.xml"
SST = "xl/sharedStrings.xml"

# values Excel never writes in a numeric <v> (must fail) and odd but grammatical ones (may pass)
BAD_NUMBERS = ["1_000", "NaN", "nan", "inf", "-Infinity", "1e", "\u0663", "0x10", "--1", "1,5", "1.2.3", "+-1",
               "\u00a012", "\u0661\u0662\u0663"]
ODD_NUMBERS = ["1e309", "-1e309", "1e99999999999", "4.9e-324", "1e-400", "+7", ".5", "5.", "  8  ", "1E+308", "-0",
               "123456789012345678901234567890", "0.30000000000000004"]
BAD_REFS = ["XFE1", "A0", "A1048577", "1A", "A", "AAAA1", "A-1", "\u0100\u01001", "XFD1048577", "A 1"]
HOSTILE_TEXT = ["", " ", "-1", "0", "1e308", "1e309", "nan", "inf", "-inf", "abc", "99999999999999999999",
                "1_0", "\u0663", "0x10", "'", "\"", "<", "&", "%s", "\n", "A" * 300]


# --------------------------------------------------------------------------- workbook damage

def _sub_once(rng: random.Random, text: str, pattern: str, repl) -> str | None:
    hits = list(re.finditer(pattern, text))
    if not hits:
        return None
    m = rng.choice(hits)
    return text[:m.start()] + (repl(m) if callable(repl) else repl) + text[m.end():]


def _package_damage(rng: random.Random, members: dict[str, bytes]):
    """(kind, members or raw bytes, must_fail, zip patch) for one random damage."""
    sheet = members[SHEET].decode()
    book = members[WORKBOOK].decode()
    choice = rng.randrange(24)
    m = dict(members)
    if choice == 0:
        m.pop(SHEET)
        return "drop listed sheet part", m, True, None
    if choice == 1:
        m[SHEET] = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 300)))
        return "garbage sheet part", m, True, None
    if choice == 2:
        m.pop("xl/_rels/workbook.xml.rels")
        return "drop workbook relationships", m, True, None
    if choice == 3:
        m.pop(SST)
        return "drop shared strings (still referenced)", m, True, None
    if choice == 4:
        value = rng.choice(BAD_NUMBERS)
        m[SHEET] = _sub_once(rng, sheet, r'(?<=<c r="A[12]"><v>)[^<]*', value).encode()
        return f"number {value!r}", m, True, None
    if choice == 5:
        value = rng.choice(ODD_NUMBERS)
        m[SHEET] = _sub_once(rng, sheet, r'(?<=<c r="A[12]"><v>)[^<]*', value).encode()
        return f"odd number {value!r}", m, False, None
    if choice == 6:
        value = rng.choice(["2", "-1", "0.5", "true", "", "1e0x"])
        m[SHEET] = sheet.replace('<c r="C1" t="b"><v>1</v>', f'<c r="C1" t="b"><v>{value}</v>').encode()
        return f"boolean {value!r}", m, value != "", None
    if choice == 7:
        value = rng.choice(["#BOGUS!", "#n/a!", "#", "DIV/0", "#VALUE", "#REF"])
        m[SHEET] = sheet.replace("<v>#N/A</v>", f"<v>{value}</v>").encode()
        return f"error literal {value!r}", m, True, None
    if choice == 8:
        value = rng.choice(["1", "7", "-1", "0.5", "99999999999"])
        m[SHEET] = sheet.replace('<c r="B1" t="s"><v>0</v>', f'<c r="B1" t="s"><v>{value}</v>').encode()
        return f"shared string index {value!r}", m, True, None
    if choice == 9:
        ref = rng.choice(BAD_REFS)
        m[SHEET] = _sub_once(rng, sheet, r'(?<=<c r=")[A-Z]+[0-9]+', ref).encode()
        return f"cell reference {ref!r}", m, True, None
    if choice == 10:
        tag = rng.choice(["</c>", "</row>", "</v>", "</f>", "</sheetData>"])
        m[SHEET] = _sub_once(rng, sheet, re.escape(tag), "").encode()
        return f"missing {tag}", m, True, None
    if choice == 11:
        m[SHEET] = sheet.replace('<c r="A2">', '<c r="A2" r="A2">', 1).encode()
        return "repeated attribute", m, True, None
    if choice == 12:
        m[SHEET] = sheet.replace('<row r="2">', '<row r="2"><!-- note -->', 1).encode()
        return "comment in sheetData", m, True, None
    if choice == 13:
        what = rng.choice(["name", "r:id", "duplicate", "none", "root", "localSheetId", "malformed", "xxe",
                           "laughs"])
        if what == "name":
            book = re.sub(r' name="S"', "", book, count=1)
        elif what == "r:id":
            book = book.replace('r:id="rId1"', 'r:id="rId99"')
        elif what == "duplicate":
            book = book.replace('name="Data"', 'name="s"')
        elif what == "none":
            book = re.sub(r"<sheets>.*</sheets>", "<sheets></sheets>", book)
        elif what == "root":
            book = book.replace("<workbook ", "<notebook ").replace("</workbook>", "</notebook>")
        elif what == "localSheetId":
            book = book.replace('<definedName name="rate">', f'<definedName name="rate" localSheetId="'
                                f'{rng.choice(["abc", "-1", "1.5", "", " 0"])}">')
        elif what == "malformed":
            book = book[:rng.randrange(len(book))]
        elif what == "xxe":
            book = book.replace(HEAD, HEAD + '<!DOCTYPE workbook [<!ENTITY e SYSTEM "file:///etc/passwd">]>', 1)
            book = book.replace('name="S"', 'name="&e;"')
        else:
            lol = '<!DOCTYPE workbook [<!ENTITY a "aaaaaaaaaa">' + "".join(
                f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9)) + "]>"
            book = book.replace(HEAD, HEAD + lol, 1).replace('name="S"', 'name="&j;"')
        m[WORKBOOK] = book.encode()
        return f"workbook {what}", m, True, None
    if choice == 14:
        m[SST] = members[SST].replace(b"<si><t>text</t></si>", rng.choice(
            [b"<si>text</si>", b"<si><t>text</si>", b"<si><t>&bogus;</t></si>", b""]))
        return "damaged shared strings", m, True, None
    if choice == 15:
        return "encrypted entry", m, True, dict(flag_bits=1, only=SHEET)
    if choice == 16:
        method = rng.choice([9, 12, 14, 95, 98, 99])
        return f"compression method {method}", m, True, dict(method=method, only=SHEET)
    if choice == 17:
        return "unread entry with method 99", m, False, dict(method=99, only="[Content_Types].xml")
    if choice == 18:
        r, c = _far_cell(rng)
        from sheetnet.refs import cell_name
        ref = cell_name(r, c)
        extra = f'<row r="{r + 1}"><c r="{ref}"><v>1</v></c></row>'
        m[SHEET] = sheet.replace("</sheetData>", extra + "</sheetData>").encode()
        return f"far cell {ref}", m, (r + 1) * (c + 1) > LIMIT_CELLS, None
    if choice == 19:
        r, c = _far_cell(rng)
        from sheetnet.refs import cell_name
        ref = f"C3:{cell_name(max(r, 3), max(c, 2))}"
        m[SHEET] = sheet.replace('ref="C3:C4"', f'ref="{ref}"').encode()
        return f"array formula over {ref}", m, (max(r, 3) + 1) * (max(c, 2) + 1) > LIMIT_CELLS, None
    if choice == 20:
        formula, must = random_formula(rng)
        m[SHEET] = sheet.replace("<f>A1*rate</f>", f"<f>{_xml_escape(formula)}</f>").encode()
        return f"formula ({len(formula)} chars)", m, must, None
    if choice == 21:
        loop = rng.randrange(1, 5)
        names = "".join(f'<definedName name="loop_{i}">loop_{(i + 1) % loop}+1</definedName>' for i in range(loop))
        m[WORKBOOK] = book.replace("<definedNames>", "<definedNames>" + names).encode()
        m[SHEET] = sheet.replace("<f>A1*rate</f>", "<f>A1*loop_0</f>").encode()
        return f"names in a loop of {loop}", m, True, None
    if choice == 22:
        raw = zip_bytes(m)
        return "truncated zip", raw[:rng.randrange(len(raw) - 1)], True, None
    raw = bytearray(zip_bytes(m))
    for _ in range(rng.randrange(1, 9)):
        raw[rng.randrange(len(raw))] = rng.randrange(256)
    return "random byte flips", bytes(raw), False, None


def _far_cell(rng: random.Random) -> tuple[int, int]:
    """A cell position, log-uniform over Excel's grid, spanning either at most
    2 million cells (a legitimate sheet, checked in seconds) or more than 100
    million (far past the default budget: refused).  Sizes in between are
    legitimate work that takes a minute or more -- a question of speed, not of
    hostile input, so the fuzzer leaves them out."""
    while True:
        r = min(int(2 ** rng.uniform(0, 20.01)) - 1, 1_048_575)
        c = min(int(2 ** rng.uniform(0, 14.01)) - 1, 16_383)
        if not 2_000_000 < (r + 1) * (c + 1) <= 100_000_000:
            return r, c


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --------------------------------------------------------------------------- formulas

FUNCTIONS = ["SUM", "IF", "MMULT", "OFFSET", "INDEX", "MATCH", "ROUND", "SQRT", "LN", "EXP", "SUMPRODUCT",
             "AVERAGE", "MAX", "CHOOSE", "IFERROR", "TRANSPOSE", "ABS", "POWER", "LOG", "COUNT", "NOSUCHFN"]
ATOMS = ["A1", "A2", "$A$1", "A1:A6", "Data!A1:A3", "1", "0", "-1", "1e308", "1e-308", "\"x\"", "TRUE",
         "#N/A", "rate", "A1:XFD1048576", "A:A", "1:1", "9.99e307", "1048576", "16384", "\"\"", "{1,2;3,4}"]


def random_formula(rng: random.Random) -> tuple[str, bool]:
    """(formula text, must_fail): nesting and length sometimes past Excel's
    limits (must fail), otherwise random but within them (may pass)."""
    shape = rng.randrange(6)
    if shape == 0:                     # nesting past 64
        depth = rng.randrange(65, 700)
        fn = rng.choice(["SUM(", "(", "ABS(", "IF(1,"])
        close = {"SUM(": ")", "(": ")", "ABS(": ")", "IF(1,": ",0)"}[fn]
        return fn * depth + "1" + close * depth, len(fn * depth) > 0
    if shape == 1:                     # a chain past 8,192 characters
        return "+".join(["A1"] * rng.randrange(2800, 5000)), True
    if shape == 2:                     # a long chain within the limit
        return "+".join(["A1"] * rng.randrange(1, 2700)), False
    if shape == 3:                     # garbage text
        chars = string.ascii_letters + string.digits + "()+-*/^&=<>,;:!$#%\"'{}[]@ "
        text = "".join(rng.choice(chars) for _ in range(rng.randrange(1, 60)))
        return text, False
    depth = rng.randrange(1, 12)

    def expr(d):
        if d == 0 or rng.random() < 0.25:
            return rng.choice(ATOMS)
        if rng.random() < 0.4:
            return f"{expr(d - 1)}{rng.choice(['+', '-', '*', '/', '^', '&', '=', '<'])}{expr(d - 1)}"
        fn = rng.choice(FUNCTIONS)
        return f"{fn}({','.join(expr(d - 1) for _ in range(rng.randrange(1, 6)))})"
    return expr(depth), False


def package_case(rng: random.Random, folder: str, base: dict[str, bytes], files: dict) -> Case:
    kind, members, must_fail, patch = _package_damage(rng, base)
    path = os.path.join(folder, "book.xlsx")
    if isinstance(members, bytes):
        with open(path, "wb") as fh:
            fh.write(members)
    else:
        write_zip(path, members)
    if patch:
        patch_zip_entries(path, **patch)
    if rng.random() < 0.2:          # the other reader of workbooks: diff against the intact book
        # diff reads but does not calculate: damage only calculation finds may pass it
        must_fail = must_fail and not kind.startswith(("formula", "names in a loop"))
        return Case(f"package/{kind} (diff)", ["diff", files["book"], path], inputs=[path, files["book"]],
                    must_fail=must_fail, codes=(2,) if must_fail else (0, 1, 2))
    return Case(f"package/{kind}", ["check", path], inputs=[path], must_fail=must_fail,
                codes=(2,) if must_fail else (0, 1, 2))


def not_a_workbook_case(rng: random.Random, folder: str) -> Case:
    choice = rng.randrange(7)
    path = os.path.join(folder, "input.xlsx")
    if choice == 0:
        open(path, "wb").close()
        kind = "empty file"
    elif choice == 1:
        with open(path, "wb") as fh:
            fh.write(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 5000))))
        kind = "random bytes"
    elif choice == 2:
        with open(path, "w") as fh:
            fh.write("a,b\n1,2\n")
        kind = "a CSV named .xlsx"
    elif choice == 3:
        docx(path)
        kind = "a Word document"
    elif choice == 4:
        os.mkfifo(path)
        return Case("input/FIFO", ["check", path], timeout=20)
    elif choice == 5:
        os.mkdir(path)
        return Case("input/folder", ["check", path])
    else:
        return Case("input/device", ["check", "/dev/zero"], timeout=20)
    return Case(f"input/{kind}", ["check", path], inputs=[path])


# --------------------------------------------------------------------------- option sets

# numbers on the command line: ASCII decimals only (no '1_0', no other scripts' digits)
_INT = re.compile(r"[ \t]*[+-]?[0-9]+[ \t]*")
_FLOAT = re.compile(r"[ \t]*[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?[ \t]*")


def _int_ok(text: str, lo, hi) -> bool:
    if not _INT.fullmatch(text):
        return False
    value = int(text)
    return (lo is None or value >= lo) and (hi is None or value <= hi)


def _float_ok(text: str, lo, hi, open_lo=False) -> bool:
    if not _FLOAT.fullmatch(text):
        return False
    value = float(text)
    if value != value or value in (float("inf"), float("-inf")):
        return False
    return (lo is None or (value > lo if open_lo else value >= lo)) and (hi is None or value <= hi)


SEED = ("int", 0, 2**32 - 1)
# command -> (fixed argv, {option: (kind, lo, hi[, open_lo]), ...}); every other option at its default.
# Valid values drawn for these stay small, so a valid set is quick to run.
OPTION_SPECS = {
    "check": (["check", "{book}"], {"--rtol": ("float", 0, None), "--atol": ("float", 0, None),
                                    "--worst": ("int", 0, None)}),
    "build collab": (["build", "collab", "--out", "{out}"], {"--seed": SEED, "--factors": ("int", 1, 40),
                                                             "--users": ("int", 1, 15), "--movies": ("int", 1, 15)}),
    "build graddesc": (["build", "graddesc", "--out", "{out}"], {"--seed": SEED, "--epochs": ("int", 0, 4),
                                                                 "--points": ("int", 1, 30),
                                                                 "--slope": ("float", -1e6, 1e6),
                                                                 "--intercept": ("float", -1e6, 1e6)}),
    "build entropy": (["build", "entropy", "--out", "{out}"], {"--seed": SEED, "--images": ("int", 1, 50)}),
    "optimize": (["optimize", "--out", "{outdir}", "--no-workbook"], {"--epochs": ("int", 0, 10),
                                                                      "--eps": ("float", 0, None)}),
    "train-collab": (["train-collab", "--ratings", "{ratings}", "--epochs", "1"],
                     {"--seed": SEED, "--wd": ("float", 0, 10), "--valid-pct": ("float", 0, 0.9, True),
                      "--threads": ("int", 0, 4), "--factors": ("int", 1, 50), "--batch-size": ("int", 1, None)}),
    "solve": (["solve", "{model}", "--out", "{out}"], {"--seed": SEED}),
    "diff": (["diff", "{book}", "{book}"], {"--rtol": ("float", 0, None), "--max": ("int", 1, None)}),
}


# options whose range above is only where valid values are drawn: any finite
# number is theirs to take or refuse (graddesc refuses a slope whose y overflows)
SOFT_BOUNDS = {("build graddesc", "--slope"), ("build graddesc", "--intercept")}


def _valid_value(rng: random.Random, spec) -> str:
    kind, lo, hi = spec[:3]
    lo = 0 if lo is None else lo
    hi = lo + 100 if hi is None else hi
    if kind == "int":
        return str(rng.randint(int(lo), int(min(hi, lo + 1000))))
    return repr(rng.uniform(lo if len(spec) < 4 else lo + 1e-3, min(hi, lo + 100)))


def _value_ok(text: str, spec) -> bool:
    kind, lo, hi = spec[:3]
    return _int_ok(text, lo, hi) if kind == "int" else _float_ok(text, lo, hi, *spec[3:])


def option_case(rng: random.Random, folder: str, files: dict) -> Case:
    command = rng.choice(list(OPTION_SPECS))
    fixed, specs = OPTION_SPECS[command]
    out, outdir = os.path.join(folder, "out.xlsx"), os.path.join(folder, "out")
    argv = [a.format(out=out, outdir=outdir, **files) for a in fixed]
    hostile = rng.random() < (0.97 if command in ("train-collab", "solve") else 0.85)
    chosen = rng.sample(list(specs), rng.randrange(1, len(specs) + 1))
    bad = rng.choice(chosen) if hostile else None
    must_fail = soft = False
    for option in chosen:
        if option == bad:
            value = rng.choice(HOSTILE_TEXT)
            if (command, option) in SOFT_BOUNDS and _value_ok(value, (specs[option][0], None, None)):
                soft = True             # finite but past the drawn range: may build, may be refused
            else:
                must_fail = must_fail or not _value_ok(value, specs[option])
        else:
            value = _valid_value(rng, specs[option])
        argv += [option, value] if not value.startswith("-") else [f"{option}={value}"]
    outputs = [out, outdir] if "{out}" in " ".join(fixed) or "{outdir}" in " ".join(fixed) else []
    inputs = [v for v in files.values() if v in argv]
    # a valid set must work: exit 0 (check's own verdict on its book is 0 too)
    return Case(f"options/{command} {bad or 'valid'}", argv, inputs=inputs,
                outputs=outputs if must_fail or soft else [],
                must_fail=must_fail, codes=(2,) if must_fail else (0, 2) if soft else (0,), timeout=120)


def output_place_case(rng: random.Random, folder: str, files: dict) -> Case:
    command = rng.choice(["build collab", "solve", "optimize"])
    plain = os.path.join(folder, "plain.txt")
    with open(plain, "w") as fh:
        fh.write("x")
    os.mkdir(os.path.join(folder, "existing.xlsx"))
    places = {
        "missing folder": os.path.join(folder, "missing", "x.xlsx"),
        "inside a file": os.path.join(plain, "x.xlsx"),
        "unwritable": "/proc/sheetnet-fuzz.xlsx",
        "a folder": os.path.join(folder, "existing.xlsx"),
        "300 characters": os.path.join(folder, "b" * 300 + ".xlsx"),
        "wrong suffix": os.path.join(folder, "x.csv"),
        "an input": files["model"] if command == "solve" else files["ratings"],
    }
    what = rng.choice(list(places))
    target = places[what]
    if command == "build collab":
        argv = ["build", "collab", "--ratings", files["ratings"], "--out", target]
    elif command == "solve":
        argv = ["solve", files["model"], "--out", target]
    else:
        if what == "an input":
            target = os.path.dirname(files["xy"])
            argv = ["optimize", "--data", files["xy"], "--out", target, "--epochs", "2"]
        elif what in ("wrong suffix", "a folder"):     # a folder is what optimize writes into: these are fine
            return Case("outputs/optimize into a new folder", ["optimize", "--epochs", "2", "--no-workbook",
                                                              "--out", os.path.join(folder, "new")],
                        must_fail=False, codes=(0,))
        else:
            argv = ["optimize", "--epochs", "2", "--out", target[:-5] if target.endswith(".xlsx") else target]
    inputs = [f for f in files.values() if f in argv]
    return Case(f"outputs/{command} {what}", argv, inputs=inputs, timeout=120)


def text_input_case(rng: random.Random, folder: str) -> Case:
    path = os.path.join(folder, "data.csv")
    choice = rng.randrange(6)
    lines = ["x,y"]
    if choice == 0:
        lines += [f"{rng.choice(HOSTILE_TEXT)},{rng.choice(HOSTILE_TEXT)}" for _ in range(rng.randrange(1, 8))]
        content, kind = "\n".join(lines).encode(), "hostile values"
    elif choice == 1:
        content, kind = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400))), "binary"
    elif choice == 2:
        content, kind = b"x,y\n1,2\x00\n", "a NUL byte"
    elif choice == 3:
        content, kind = b"", "empty"
    elif choice == 4:
        content, kind = b"x,y\n1,2,3\n", "three columns"
    else:
        big = rng.choice(["1e308", "-1.7e308", "1e307", "1.7976931348623157e308"])
        content, kind = f"x,y\n1,{big}\n2,{big}\n".encode(), "values near the largest double"
        with open(path, "wb") as fh:
            fh.write(content)
        return Case(f"text/{kind}", ["optimize", "--data", path, "--out", os.path.join(folder, "out"),
                                     "--epochs", "3"], inputs=[path], must_fail=False, codes=(0,))
    with open(path, "wb") as fh:
        fh.write(content)
    valid = choice == 0 and all(_float_ok(v, None, None) for line in lines[1:] for v in line.split(","))
    return Case(f"text/{kind}", ["optimize", "--data", path, "--out", os.path.join(folder, "out"), "--epochs", "3",
                                 "--no-workbook"],
                inputs=[path], outputs=[] if valid else [os.path.join(folder, "out")], must_fail=not valid,
                codes=(0,) if valid else (2,))


# --------------------------------------------------------------------------- shared inputs and the mix

def shared_files(folder: str) -> dict:
    """Files option and output cases read: a checkable book, a Solver model,
    a small ratings file, an x,y CSV."""
    os.makedirs(folder, exist_ok=True)
    book = write_zip(os.path.join(folder, "book.xlsx"), base_parts())
    names = ('<definedName name="solver_opt" localSheetId="0" hidden="1">S!$B$1</definedName>'
             '<definedName name="solver_adj" localSheetId="0" hidden="1">S!$A$1</definedName>')
    model = write_zip(os.path.join(folder, "model.xlsx"), parts(
        {"S": sheet_xml(['<c r="A1"><v>2</v></c>', '<c r="B1"><f>(A1-1)^2+3</f><v>4</v></c>'])}, names=names))
    rng = random.Random(0)
    ratings = os.path.join(folder, "u.data")
    with open(ratings, "w") as fh:
        fh.writelines(f"{rng.randint(1, 30)}\t{rng.randint(1, 20)}\t{rng.randint(1, 5)}\t0\n" for _ in range(600))
    xy_folder = os.path.join(folder, "xy")
    os.makedirs(xy_folder)
    xy = os.path.join(xy_folder, "optimize.csv")
    with open(xy, "w") as fh:
        fh.write("x,y\n1,32\n2,34\n3,36\n")
    return {"book": book, "model": model, "ratings": ratings, "xy": xy}


def generate(seed: int, count: int, root: str):
    """`count` cases from `seed`, each in a folder under `root` (made here)."""
    rng = random.Random(seed)
    base = base_parts()
    files = shared_files(os.path.join(root, "shared"))
    for i in range(count):
        folder = os.path.join(root, f"case{i:05d}")
        os.makedirs(folder)
        roll = rng.random()
        if roll < 0.55:
            case = package_case(rng, folder, base, files)
        elif roll < 0.63:
            case = not_a_workbook_case(rng, folder)
        elif roll < 0.85:
            case = option_case(rng, folder, files)
        elif roll < 0.93:
            case = output_place_case(rng, folder, files)
        else:
            case = text_input_case(rng, folder)
        case.folder = folder
        yield case


__all__ = ["Case", "generate", "random_formula", "base_parts", "CONTENT_TYPES", "PKG_REL_NS"]
