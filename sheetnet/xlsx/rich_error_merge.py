"""Making room for #SPILL!/#CALC! values in a copy of an existing workbook.

`sheetnet solve` patches values into the user's own file, whose
xl/metadata.xml and rich data may already describe other things (dynamic
arrays, pictures in cells, linked data types, errors Excel stored).  A newer
error reuses a value-metadata entry that already says it; otherwise one rich
value, future-metadata block and value-metadata block is appended per error
kind -- existing entries keep their positions, so every vm/cm and rvb index
already in the file still means what it meant.  Parts the file lacks are
created with their relationship and content type.  Edits are made on the
bytes (the existing prefixes, mc:Ignorable lists and extensions survive).
"""

from __future__ import annotations

import posixpath
import re
from typing import Callable
from xml.etree import ElementTree as ET

from ..errors import UserError
from .append import _insert_before
from .rich_error_parts import (RICHDATA_NS, ERROR_STRUCTURE, METADATA_CONTENT, METADATA_REL, RICH_VALUE_TYPE, STRUCTURES_PART,
                               TYPES_PART, VALUES_PART, RichErrors, error_rich_value, metadata_xml,
                               rich_value_block, rich_value_types_xml, rich_values_xml, structures_xml)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def rich_error_vms(pkg, known: dict[int, int], needed: set[int],
                   read: Callable[[str], bytes]) -> tuple[dict[int, int], dict[str, bytes]]:
    """({error code: vm} for every code in `needed`, {part name: new bytes}).

    `known` is what the file already says ({vm: error code}, rich_errors.py);
    `read` gives a part's current bytes (other edits of this copy included)."""
    vm_of: dict[int, int] = {}
    for vm, code in sorted(known.items()):
        vm_of.setdefault(code, vm)
    missing = sorted(code for code in needed if code not in vm_of)
    if not missing:
        return {code: vm_of[code] for code in needed}, {}
    return _Merge(pkg, read).add(missing, vm_of)


class _Merge:
    def __init__(self, pkg, read):
        self.pkg, self.read = pkg, read
        self.wb_part = pkg.workbook_part()
        self.folder = posixpath.dirname(self.wb_part)
        self.rels = pkg.relationships(self.wb_part)
        self.out: dict[str, bytes] = {}
        self.new_rels: list[tuple[str, str, str]] = []     # (relationship type, part name, content type)

    def _related(self, rtype: str) -> str | None:
        return next((t for rt, t in self.rels.values() if rt == rtype and self.pkg.has(t)), None)

    def add(self, missing: list[int], vm_of: dict[int, int]) -> tuple[dict[int, int], dict[str, bytes]]:
        first_value = self._rich_values(missing)
        meta = self._related(METADATA_REL)
        if meta is None:
            rich = RichErrors()
            for code in missing:
                rich.vm(code)
            self._new_part("metadata.xml", metadata_xml(False, rich, first_value).encode(), METADATA_REL,
                           METADATA_CONTENT)
            first_vm = 1
        else:
            self.out[meta], first_vm = _extend_metadata(self.read(meta), first_value, len(missing), meta,
                                                        self.pkg.path)
        for j, code in enumerate(missing):
            vm_of[code] = first_vm + j
        self._relate()
        return vm_of, self.out

    def _rich_values(self, missing: list[int]) -> int:
        """Append a rich value per error to the rich data (made if absent);
        the 0-based index of the first."""
        values, structures = self._related(VALUES_PART[1]), self._related(STRUCTURES_PART[1])
        if values is None and structures is None:
            self._new_part(VALUES_PART[0], rich_values_xml(missing).encode(), *VALUES_PART[1:])
            self._new_part(STRUCTURES_PART[0], structures_xml().encode(), *STRUCTURES_PART[1:])
            if self._related(TYPES_PART[1]) is None:
                self._new_part(TYPES_PART[0], rich_value_types_xml().encode(), *TYPES_PART[1:])
            return 0
        if values is None or structures is None:
            raise UserError(f"{self.pkg.path}: the workbook's rich data has values without structures or the "
                            f"other way round; cannot add #SPILL!/#CALC! values to it (re-save it with Excel)")
        s_xml, v_xml = self.read(structures), self.read(values)
        kinds = [(s.get("t"), [k.get("n") for k in s if _local(k.tag) == "k"])
                 for s in _parse(s_xml, structures, self.pkg.path) if _local(s.tag) == "s"]
        try:
            structure = kinds.index(("_error", ["errorType", "subType"]))
        except ValueError:
            structure = len(kinds)
            self.out[structures] = _append_children(s_xml, "rvStructures", ERROR_STRUCTURE, 1, structures,
                                                    self.pkg.path)
        first = sum(1 for rv in _parse(v_xml, values, self.pkg.path) if _local(rv.tag) == "rv")
        self.out[values] = _append_children(v_xml, "rvData", "".join(error_rich_value(c, structure)
                                                                     for c in missing),
                                            len(missing), values, self.pkg.path)
        return first

    def _new_part(self, name: str, data: bytes, rtype: str, ctype: str) -> None:
        stem, ext = posixpath.splitext(posixpath.join(self.folder, name))
        part, n = stem + ext, 1
        while self.pkg.has(part) or part in self.out:
            n += 1
            part = f"{stem}{n}{ext}"
        self.out[part] = data
        self.new_rels.append((rtype, part, ctype))

    def _relate(self) -> None:
        """Relationships from the workbook and content types for the new parts."""
        if not self.new_rels:
            return
        rels_part = posixpath.join(self.folder, "_rels", posixpath.basename(self.wb_part) + ".rels")
        rels = self.read(rels_part)
        ids = set(re.findall(rb'\sId="([^"]+)"', rels))
        entries, overrides, k = [], [], 0
        for rtype, part, ctype in self.new_rels:
            k += 1
            while f"rIdRich{k}".encode() in ids:
                k += 1
            target = posixpath.relpath(part, self.folder)
            entries.append(f'<Relationship Id="rIdRich{k}" Type="{rtype}" Target="{target}"/>')
            overrides.append(f'<Override PartName="/{part}" ContentType="{ctype}"/>')
        self.out[rels_part] = _insert_before(rels, rb"</(?:\w+:)?Relationships>", "".join(entries), rels_part,
                                             self.pkg.path)
        types = self.read("[Content_Types].xml")
        self.out["[Content_Types].xml"] = _insert_before(types, rb"</(?:\w+:)?Types>", "".join(overrides),
                                                         "[Content_Types].xml", self.pkg.path)


def _parse(xml: bytes, part: str, path: str) -> ET.Element:
    try:
        return ET.fromstring(xml)
    except ET.ParseError as exc:
        raise UserError(f"{path}: part {part} is not well-formed XML ({exc})") from None


def _root_prefix(xml: bytes) -> str:
    m = re.search(rb"<(?![?!])(\w+:)?\w", xml)
    return (m.group(1) or b"").decode() if m else ""


def _prefixed(text: str, prefix: str) -> str:
    """`text` (elements in the part's default namespace) for a part whose
    elements carry `prefix`; already prefixed names (xlrd:rvb) stay."""
    return re.sub(r"<(/?)(\w+)(?=[\s/>])", lambda m: f"<{m.group(1)}{prefix}{m.group(2)}", text) if prefix else text


def _start_tag(xml: bytes, prefix: str, local: str, name: str | None = None, start: int = 0):
    attr = rf'(?=[^>]*\sname="{name}")' if name else ""
    return re.compile(rf"<{re.escape(prefix)}{local}\b{attr}[^>]*?(/?)>".encode()).search(xml, start)


def _bump_count(tag: bytes, added: int) -> bytes:
    return re.sub(rb'(\scount=")(\d+)(")', lambda m: m.group(1) + str(int(m.group(2)) + added).encode() + m.group(3),
                  tag, count=1)


def _append_children(xml: bytes, local: str, children: str, added: int, part: str, path: str,
                     name: str | None = None) -> bytes:
    """`children` appended as the last children of the first <local> element
    (with name=`name`), its count attribute raised by `added`."""
    prefix = _root_prefix(xml)
    m = _start_tag(xml, prefix, local, name)
    if m is None:
        raise UserError(f"{path}: part {part} is not what an .xlsx holds there")
    body = _prefixed(children, prefix).encode("utf-8")
    tag = _bump_count(xml[m.start():m.end()], added)
    if m.group(1):                                      # <x .../>: open it
        tag = tag[:-2].rstrip() + b">"
        return xml[:m.start()] + tag + body + f"</{prefix}{local}>".encode() + xml[m.end():]
    close = xml.find(f"</{prefix}{local}>".encode(), m.end())
    if close < 0:
        raise UserError(f"{path}: part {part} is not well-formed XML (<{local}> is not closed)")
    return xml[:m.start()] + tag + xml[m.end():close] + body + xml[close:]


def _after_last(xml: bytes, prefix: str, locals_: tuple[str, ...]) -> int:
    """Where an element that follows every `locals_` element of the root goes
    (schema order); just inside the root when there is none."""
    names = "|".join(locals_)
    p = re.escape(prefix)
    ends = [m.end() for m in re.finditer(rf"</{p}(?:{names})>|<{p}(?:{names})\b[^>]*/>".encode(), xml)]
    if ends:
        return max(ends)
    root = _start_tag(xml, prefix, "metadata")
    return root.end()


def _declare_xlrd(xml: bytes, prefix: str) -> tuple[bytes, bool]:
    """The metadata part with the xlrd prefix bound on its root, as Excel
    writes it; False when the root binds xlrd to something else (each block
    then declares its own)."""
    root = _start_tag(xml, prefix, "metadata")
    tag = xml[root.start():root.end()]
    bound = re.search(rb'\sxmlns:xlrd="([^"]*)"', tag)
    if bound is not None:
        return xml, bound.group(1) == RICHDATA_NS.encode()
    end = root.end() - (2 if root.group(1) else 1)
    return xml[:end] + f' xmlns:xlrd="{RICHDATA_NS}"'.encode() + xml[end:], True


_BEFORE_FUTURE = ("metadataTypes", "metadataStrings", "mdxMetadata", "futureMetadata")


def _extend_metadata(xml: bytes, first_value: int, n: int, part: str, path: str) -> tuple[bytes, int]:
    """xl/metadata.xml with `n` more XLRICHVALUE value-metadata entries naming
    rich values first_value.. ; the vm of the first."""
    root = _parse(xml, part, path)
    kids = list(root)
    prefix = _root_prefix(xml)
    types = next((k for k in kids if _local(k.tag) == "metadataTypes"), None)
    names = [t.get("name") for t in types] if types is not None else []
    if types is None:
        at = _start_tag(xml, prefix, "metadata").end()
        xml = xml[:at] + _prefixed(f'<metadataTypes count="1">{RICH_VALUE_TYPE}</metadataTypes>',
                                   prefix).encode() + xml[at:]
    elif "XLRICHVALUE" not in names:
        xml = _append_children(xml, "metadataTypes", RICH_VALUE_TYPE, 1, part, path)
    if "XLRICHVALUE" not in names:
        names.append("XLRICHVALUE")
    type_index = names.index("XLRICHVALUE") + 1
    future = next((k for k in kids if _local(k.tag) == "futureMetadata" and k.get("name") == "XLRICHVALUE"), None)
    first_block = 0 if future is None else sum(1 for b in future if _local(b.tag) == "bk")
    xml, declared = _declare_xlrd(xml, prefix)
    blocks = "".join(rich_value_block(first_value + j, declare=not declared) for j in range(n))
    if future is None:
        at = _after_last(xml, prefix, _BEFORE_FUTURE)
        xml = xml[:at] + _prefixed(f'<futureMetadata name="XLRICHVALUE" count="{n}">{blocks}</futureMetadata>',
                                   prefix).encode() + xml[at:]
    else:
        xml = _append_children(xml, "futureMetadata", blocks, n, part, path, name="XLRICHVALUE")
    values = next((k for k in kids if _local(k.tag) == "valueMetadata"), None)
    first_vm = 1 + (0 if values is None else sum(1 for b in values if _local(b.tag) == "bk"))
    entries = "".join(f'<bk><rc t="{type_index}" v="{first_block + j}"/></bk>' for j in range(n))
    if values is None:
        at = _after_last(xml, prefix, _BEFORE_FUTURE + ("cellMetadata",))
        xml = xml[:at] + _prefixed(f'<valueMetadata count="{n}">{entries}</valueMetadata>', prefix).encode() + xml[at:]
    else:
        xml = _append_children(xml, "valueMetadata", entries, n, part, path)
    return xml, first_vm
