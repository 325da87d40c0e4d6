"""A VBA project's streams ([MS-OVBA] 2.2, 2.3) from module source text.

The compound file holds::

    PROJECT          text: the modules, the project's name, protection, workspace
    PROJECTwm        each module's name in the code page and in UTF-16
    VBA/dir          (compressed) the project's records: code page, references, modules
    VBA/_VBA_PROJECT 7 bytes: no p-code ("version 0xFFFF": compile from source)
    VBA/<module>     (compressed) each module's source, its Attribute lines first

Document modules (the workbook's and each sheet's code-behind) are named by
the code names written in workbook.xml / the sheets' ``sheetPr``; Excel pairs
them by name.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from .cfb import compound_file
from .compression import compress

CODE_PAGE = 1252
_ENCODING = "cp1252"
# Excel's type-library class ids for the workbook and a worksheet: a document
# module's VB_Base says which object it is the code of.
WORKBOOK_BASE = "0{00020819-0000-0000-C000-000000000046}"
WORKSHEET_BASE = "0{00020820-0000-0000-C000-000000000046}"
# OLE Automation (stdole), the reference every Office project carries
_STDOLE = "*\\G{00020430-0000-0000-C000-000000000046}#2.0#0#C:\\Windows\\System32\\stdole2.tlb#OLE Automation"


@dataclass(frozen=True)
class Module:
    """A module: `name`, its `code` (the source after the Attribute lines),
    and for a document module its `base` (WORKBOOK_BASE or WORKSHEET_BASE)."""

    name: str
    code: str
    base: str | None = None

    def source(self) -> str:
        """The stored text: Attribute lines, then the code, CRLF line ends."""
        if self.base is None:
            attrs = [f'Attribute VB_Name = "{self.name}"']
        else:
            attrs = [f'Attribute VB_Name = "{self.name}"', f'Attribute VB_Base = "{self.base}"',
                     "Attribute VB_GlobalNameSpace = False", "Attribute VB_Creatable = False",
                     "Attribute VB_PredeclaredId = True", "Attribute VB_Exposed = True",
                     "Attribute VB_TemplateDerived = False", "Attribute VB_Customizable = True"]
        code = self.code.replace("\r\n", "\n")
        lines = attrs + (code.rstrip("\n").split("\n") if code.strip() else [])
        return "\r\n".join(lines) + "\r\n"


def _record(rid: int, data: bytes) -> bytes:
    return rid.to_bytes(2, "little") + len(data).to_bytes(4, "little") + data


def _u16(v: int) -> bytes:
    return v.to_bytes(2, "little")


def _u32(v: int) -> bytes:
    return v.to_bytes(4, "little")


def _dir_stream(name: str, modules: list[Module]) -> bytes:
    """The dir stream's records, uncompressed ([MS-OVBA] 2.3.4.2)."""
    text = name.encode(_ENCODING)
    info = (_record(0x0001, _u32(1))                     # SysKind: 32-bit Windows
            + _record(0x0002, _u32(0x409))               # LCID
            + _record(0x0014, _u32(0x409))               # LCIDINVOKE
            + _record(0x0003, _u16(CODE_PAGE))
            + _record(0x0004, text)                      # project name
            + _record(0x0005, b"") + _record(0x0040, b"")     # doc string, and in UTF-16
            + _record(0x0006, b"") + _record(0x003D, b"")     # help file, twice
            + _record(0x0007, _u32(0))                   # help context
            + _record(0x0008, _u32(0))                   # lib flags
            + _u16(0x0009) + _u32(4) + _u32(1) + _u16(0)      # version 1.0 (size field 4, then 6 bytes)
            + _record(0x000C, b"") + _record(0x003C, b""))    # constants, and in UTF-16
    libid = _STDOLE.encode(_ENCODING)
    refs = (_record(0x0016, b"stdole") + _record(0x003E, "stdole".encode("utf-16-le"))
            + _record(0x000D, _u32(len(libid)) + libid + _u32(0) + _u16(0)))
    mods = _record(0x000F, _u16(len(modules))) + _record(0x0013, _u16(0xFFFF))
    for m in modules:
        mb, mu = m.name.encode(_ENCODING), m.name.encode("utf-16-le")
        mods += (_record(0x0019, mb) + _record(0x0047, mu)          # name
                 + _record(0x001A, mb) + _record(0x0032, mu)        # stream name
                 + _record(0x001C, b"") + _record(0x0048, b"")      # doc string
                 + _record(0x0031, _u32(0))                         # source at offset 0: no p-code cache
                 + _record(0x001E, _u32(0))                         # help context
                 + _record(0x002C, _u16(0xFFFF))                    # cookie
                 + _record(0x0022 if m.base else 0x0021, b"")       # document / procedural
                 + _record(0x002B, b""))                            # end of module
    return info + refs + mods + _record(0x0010, b"")


def _encrypt(project_id: str, data: bytes, seed: int) -> str:
    """[MS-OVBA] 2.4.3.2 data encryption (the PROJECT stream's CMG, DPB and GC
    values), hex-encoded.  `seed` fixed: the same project gives the same bytes."""
    version, key = 2, sum(project_id.encode(_ENCODING)) & 0xFF
    out = [seed, seed ^ version, seed ^ key]
    unencrypted, enc1, enc2 = key, seed ^ key, seed ^ version
    ignored = (seed & 6) // 2
    for byte in bytes(ignored) + len(data).to_bytes(4, "little") + data:
        enc = byte ^ ((enc2 + unencrypted) & 0xFF)
        out.append(enc)
        enc2, enc1, unencrypted = enc1, enc, byte
    return bytes(out).hex().upper()


def _project_stream(name: str, project_id: str, modules: list[Module]) -> bytes:
    lines = [f'ID="{project_id}"']
    for m in modules:
        lines.append(f"Document={m.name}/&H00000000" if m.base else f"Module={m.name}")
    lines += [f'Name="{name}"', 'HelpContextID="0"', 'VersionCompatible32="393222000"',
              f'CMG="{_encrypt(project_id, bytes(4), 0x11)}"',       # protection: none
              f'DPB="{_encrypt(project_id, bytes(1), 0x12)}"',          # password: none
              f'GC="{_encrypt(project_id, bytes([0xFF]), 0x13)}"',         # visible
              "", "[Host Extender Info]", "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000",
              "", "[Workspace]"]
    lines += [f"{m.name}=0, 0, 0, 0, C" for m in modules]
    return ("\r\n".join(lines) + "\r\n").encode(_ENCODING)


def vba_project_bin(modules: list[Module], name: str = "VBAProject") -> bytes:
    """The bytes of ``xl/vbaProject.bin`` holding `modules` (deterministic: the
    project id is derived from the project's name and modules)."""
    names = [m.name for m in modules]
    if len({n.casefold() for n in names}) != len(names):
        raise ValueError(f"module names repeat: {names}")
    project_id = "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, "sheetnet-vba:" + name + ":" + ",".join(names))).upper() + "}"
    wm = b"".join(m.name.encode(_ENCODING) + b"\0" + m.name.encode("utf-16-le") + b"\0\0" for m in modules) + b"\0\0"
    vba = {"dir": compress(_dir_stream(name, modules)),
           "_VBA_PROJECT": b"\xcc\x61\xff\xff\x00\x00\x00"}
    for m in modules:
        vba[m.name] = compress(m.source().encode(_ENCODING))
    return compound_file({"VBA": vba, "PROJECT": _project_stream(name, project_id, modules), "PROJECTwm": wm})
