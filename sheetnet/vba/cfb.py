"""A compound file (CFB, [MS-CFB] version 3) writer: the container of a VBA project.

:func:`compound_file` takes a tree -- ``{name: bytes}`` for a stream,
``{name: {...}}`` for a storage -- and returns the file's bytes.  Layout:
512-byte sectors holding, in this order, the FAT, the directory, the mini FAT,
the mini stream (every stream under 4096 bytes, in 64-byte mini sectors) and the
larger streams.  Siblings in the directory form a balanced red-black tree in the
format's name order.  Timestamps and class ids are zero: the same tree gives the
same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SECTOR = 512
MINI_SECTOR = 64
MINI_CUTOFF = 4096
FREE, END_OF_CHAIN, FAT_SECTOR = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
NO_STREAM = 0xFFFFFFFF
_STORAGE, _STREAM, _ROOT = 1, 2, 5
_RED, _BLACK = 0, 1


@dataclass
class _Entry:
    name: str
    kind: int
    data: bytes = b""
    children: list["_Entry"] = field(default_factory=list)
    left: int = NO_STREAM
    right: int = NO_STREAM
    child: int = NO_STREAM
    color: int = _BLACK
    start: int = END_OF_CHAIN
    size: int = 0
    index: int = 0


def _order(name: str) -> tuple[int, str]:
    """[MS-CFB] 2.6.4: shorter names first, then by upper-cased name."""
    return len(name), name.upper()


def _entries(tree: dict) -> list[_Entry]:
    """Every entry, root first (depth first), each storage's children sorted."""
    root = _Entry("Root Entry", _ROOT)
    flat = [root]

    def add(parent: _Entry, items: dict) -> None:
        for name in sorted(items, key=_order):
            if len(name) > 31:
                raise ValueError(f"compound file names are at most 31 characters: {name!r}")
            value = items[name]
            entry = (_Entry(name, _STORAGE, start=0) if isinstance(value, dict)
                     else _Entry(name, _STREAM, bytes(value)))
            entry.index = len(flat)
            flat.append(entry)
            parent.children.append(entry)
            if isinstance(value, dict):
                add(entry, value)

    add(root, tree)
    for entry in flat:
        entry.child = _balanced(entry.children)
    return flat


def _balanced(nodes: list[_Entry], level: int = 0, levels: int = 0, perfect: bool = True) -> int:
    """Root index of a balanced tree over the sorted `nodes` (halves differ by at
    most one node, so every level but the last is full).  When the last level is
    not full its nodes are red, the rest black: every path from the root to an
    empty child then meets the same number of black nodes, as a red-black tree must."""
    if level == 0:
        levels, perfect = len(nodes).bit_length(), (len(nodes) + 1) & len(nodes) == 0
    if not nodes:
        return NO_STREAM
    mid = len(nodes) // 2
    node = nodes[mid]
    node.color = _RED if (level == levels - 1 and not perfect) else _BLACK
    node.left = _balanced(nodes[:mid], level + 1, levels, perfect)
    node.right = _balanced(nodes[mid + 1:], level + 1, levels, perfect)
    return node.index


def _chain(fat: list[int], first: int, count: int) -> None:
    """Sectors first .. first+count-1 as one chain in `fat`."""
    for i in range(first, first + count - 1):
        fat[i] = i + 1
    fat[first + count - 1] = END_OF_CHAIN


def _sectors(n_bytes: int, size: int) -> int:
    return (n_bytes + size - 1) // size


def _dir_entry(e: _Entry) -> bytes:
    name = (e.name + "\0").encode("utf-16-le") if e.kind else b""
    return (name.ljust(64, b"\0") + len(name).to_bytes(2, "little") + bytes([e.kind, e.color])
            + e.left.to_bytes(4, "little") + e.right.to_bytes(4, "little") + e.child.to_bytes(4, "little")
            + bytes(16) + bytes(4) + bytes(16)                 # class id, state bits, created/modified
            + e.start.to_bytes(4, "little") + e.size.to_bytes(8, "little"))


def compound_file(tree: dict) -> bytes:
    """The compound file holding `tree` ({name: bytes | {...}})."""
    entries = _entries(tree)
    streams = [e for e in entries if e.kind == _STREAM]
    small = [e for e in streams if len(e.data) < MINI_CUTOFF]
    large = [e for e in streams if len(e.data) >= MINI_CUTOFF]
    # the mini stream: small streams back to back in 64-byte mini sectors
    mini_fat: list[int] = []
    mini = bytearray()
    for e in small:
        e.size = len(e.data)
        if not e.data:
            continue
        count = _sectors(len(e.data), MINI_SECTOR)
        e.start = len(mini_fat)
        mini_fat.extend([FREE] * count)
        _chain(mini_fat, e.start, count)
        mini += e.data.ljust(count * MINI_SECTOR, b"\0")
    root = entries[0]
    n_dir = _sectors(len(entries) * 128, SECTOR)
    n_minifat = _sectors(len(mini_fat) * 4, SECTOR)
    n_mini = _sectors(len(mini), SECTOR)
    n_large = sum(_sectors(len(e.data), SECTOR) for e in large)
    others = n_dir + n_minifat + n_mini + n_large
    n_fat = 1
    while n_fat * (SECTOR // 4) < n_fat + others:
        n_fat += 1
    if n_fat > 109:
        raise ValueError("compound file too large for a header-only FAT list (7 MB)")
    fat = [FREE] * (n_fat * (SECTOR // 4))
    for i in range(n_fat):
        fat[i] = FAT_SECTOR
    next_sector = n_fat
    dir_start = next_sector
    _chain(fat, dir_start, n_dir)
    next_sector += n_dir
    minifat_start = next_sector if n_minifat else END_OF_CHAIN
    if n_minifat:
        _chain(fat, next_sector, n_minifat)
        next_sector += n_minifat
    if n_mini:
        root.start, root.size = next_sector, len(mini)
        _chain(fat, next_sector, n_mini)
        next_sector += n_mini
    body = bytearray()
    for e in large:
        count = _sectors(len(e.data), SECTOR)
        e.start, e.size = next_sector, len(e.data)
        _chain(fat, next_sector, count)
        next_sector += count
        body += e.data.ljust(count * SECTOR, b"\0")
    directory = b"".join(_dir_entry(e) for e in entries)
    unused = _dir_entry(_Entry("", 0, color=_RED, start=0))            # an unallocated directory slot
    directory = directory + unused * (n_dir * 4 - len(entries))
    minifat_bytes = b"".join(v.to_bytes(4, "little") for v in mini_fat)
    minifat_bytes += FREE.to_bytes(4, "little") * (n_minifat * (SECTOR // 4) - len(mini_fat))
    difat = [*range(n_fat)] + [FREE] * (109 - n_fat)
    header = (bytes.fromhex("D0CF11E0A1B11AE1") + bytes(16)
              + (0x003E).to_bytes(2, "little") + (0x0003).to_bytes(2, "little")   # minor, major version 3
              + (0xFFFE).to_bytes(2, "little")                                       # little-endian
              + (9).to_bytes(2, "little") + (6).to_bytes(2, "little")                # 512, 64-byte sectors
              + bytes(6) + bytes(4)                                                   # reserved, dir sectors (v3: 0)
              + n_fat.to_bytes(4, "little") + dir_start.to_bytes(4, "little") + bytes(4)
              + MINI_CUTOFF.to_bytes(4, "little") + minifat_start.to_bytes(4, "little")
              + n_minifat.to_bytes(4, "little") + END_OF_CHAIN.to_bytes(4, "little") + bytes(4)
              + b"".join(v.to_bytes(4, "little") for v in difat))
    assert len(header) == SECTOR
    fat_bytes = b"".join(v.to_bytes(4, "little") for v in fat)
    return bytes(header + fat_bytes + directory + minifat_bytes + bytes(mini).ljust(n_mini * SECTOR, b"\0") + body)
