"""Compare workbooks pairwise (BEFORE AFTER [BEFORE AFTER ...]): every zip part
byte for byte, and every cell of every sheet (value and kind; formula text as
sheetnet renders it) through sheetnet's reader; defined names: BEFORE's must
all be in AFTER.  Exit 0 when no cell, formula or value differs and the only
part that differs is xl/workbook.xml (names added).

    python scripts/compare_workbooks.py old/collab.xlsx new/collab.xlsx old/graddesc.xlsx new/graddesc.xlsx
"""

import sys
import zipfile

import numpy as np

from sheetnet.xlsx.reader import read_workbook


def parts(path):
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def cells(book):
    out = {}
    for s in book.sheets:
        v = s.values
        for r, c in zip(*np.nonzero(v.kind != 0)):
            out[(s.name, int(r), int(c), "value")] = (int(v.kind[r, c]), float(v.num[r, c]), v.obj[r, c])
        for g in s.groups:
            for r, c in zip(*(x.tolist() for x in g.footprint())):
                same = g.array is None or (r, c) == g.anchor
                out[(s.name, r, c, "formula")] = s.formula_at((r, c)) if same else "(array)"
    return out


def main(paths) -> int:
    ok = True
    for before, after in zip(paths[0::2], paths[1::2]):
        pb, pa = parts(before), parts(after)
        changed = sorted(n for n in set(pb) | set(pa) if pb.get(n) != pa.get(n))
        bb, ba = read_workbook(before), read_workbook(after)
        cb, ca = cells(bb), cells(ba)
        diff = sorted(k for k in set(cb) | set(ca) if cb.get(k) != ca.get(k))
        nb = {(n.name, n.scope, n.refers_to) for n in bb.names}
        na = {(n.name, n.scope, n.refers_to) for n in ba.names}
        print(f"{before} -> {after}: {len(pb)} parts, differing: {changed or 'none'}; {len(cb):,} cells and "
              f"formulas compared, {len(diff)} differ; names {len(nb)} -> {len(na)} "
              f"({len(na - nb)} added, {len(nb - na)} removed or changed)")
        for k in diff[:10]:
            print("   ", k, cb.get(k), ca.get(k))
        ok &= not diff and not (nb - na) and all(n == "xl/workbook.xml" for n in changed)
    print("OK: no cell, formula or value differs; only names were added" if ok else "DIFFERENCES")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
