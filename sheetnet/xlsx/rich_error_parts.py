"""Writing the error values newer than the file format the way Excel does.

A cell may only hold the classic errors literally, so Excel stores a #SPILL!
or #CALC! as ``<c t="e" vm="N"><v>#VALUE!</v></c>``: vm is a 1-based index
into xl/metadata.xml's valueMetadata, whose block names (through the
XLRICHVALUE future metadata) a rich value in xl/richData/rdrichvalue.xml of
the ``_error`` structure holding the real errorType.  The reader's side is
rich_errors.py; this module builds the parts for a new workbook.

One rich value per error kind, given out in the order the cells first use
it, so the same book always gives the same bytes.  The subType is 0, what
Excel writes for an error typed into a cell: sheetnet does not track why an
array came out empty or could not spill.
"""

from __future__ import annotations

from .rich_errors import ERROR_TYPES

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RICHDATA_NS = "http://schemas.microsoft.com/office/spreadsheetml/2017/richdata"
RICHDATA2_NS = "http://schemas.microsoft.com/office/spreadsheetml/2017/richdata2"
DYNAMIC_ARRAY_NS = "http://schemas.microsoft.com/office/spreadsheetml/2017/dynamicarray"
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

# the code of each error a rich value carries, and back
RICH_ERROR_CODES = {code: error_type for error_type, code in ERROR_TYPES.items()}
SUBTYPE = 0

_RELS = "http://schemas.microsoft.com/office/2017/06/relationships/"
# (part name under xl/, relationship type, content type), in the order Excel lists them
VALUES_PART = ("richData/rdrichvalue.xml", _RELS + "rdRichValue", "application/vnd.ms-excel.rdrichvalue+xml")
STRUCTURES_PART = ("richData/rdrichvaluestructure.xml", _RELS + "rdRichValueStructure",
                   "application/vnd.ms-excel.rdrichvaluestructure+xml")
TYPES_PART = ("richData/rdRichValueTypes.xml", _RELS + "rdRichValueTypes",
              "application/vnd.ms-excel.rdrichvaluetypes+xml")
METADATA_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sheetMetadata"
METADATA_CONTENT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheetMetadata+xml"

ERROR_STRUCTURE = '<s t="_error"><k n="errorType" t="i"/><k n="subType" t="i"/></s>'
RICH_VALUE_TYPE = ('<metadataType name="XLRICHVALUE" minSupportedVersion="120000" copy="1" pasteAll="1" '
                   'pasteValues="1" merge="1" splitFirst="1" rowColShift="1" clearFormats="1" clearComments="1" '
                   'assign="1" coerce="1"/>')
_DYNAMIC_ARRAY_TYPE = ('<metadataType name="XLDAPR" minSupportedVersion="120000" copy="1" pasteAll="1" '
                       'pasteValues="1" merge="1" splitFirst="1" rowColShift="1" clearFormats="1" '
                       'clearComments="1" assign="1" coerce="1" cellMeta="1"/>')
_DYNAMIC_ARRAY_FUTURE = ('<futureMetadata name="XLDAPR" count="1"><bk><extLst>'
                         '<ext uri="{bdbb8cdc-fa1e-496e-a857-3c3f30c029c3}">'
                         '<xda:dynamicArrayProperties fDynamic="1" fCollapsed="0"/></ext></extLst></bk>'
                         '</futureMetadata>')
_RICH_VALUE_EXT = "{3e2802c4-a4d2-4d8b-9148-e3be6c30e623}"

# The reserved keys of rdRichValueTypes.xml and their flags: _Self is never
# saved, none of them takes part in comparing calculated values.
_KEY_FLAGS = (("_Self", ("ExcludeFromFile", "ExcludeFromCalcComparison")),) + tuple(
    (key, ("ExcludeFromCalcComparison",)) for key in (
        "_DisplayString", "_Flags", "_Format", "_SubLabel", "_Attribution", "_Icon", "_Display",
        "_CanonicalPropertyNames", "_ClassificationId"))


def rich_value_block(rich_value: int, declare: bool = False) -> str:
    """One XLRICHVALUE future-metadata block naming rich value `rich_value`
    (0-based); `declare` puts the xlrd namespace on the element itself, for a
    metadata part whose root does not declare it."""
    ns = f' xmlns:xlrd="{RICHDATA_NS}"' if declare else ""
    return f'<bk><extLst><ext uri="{_RICH_VALUE_EXT}"><xlrd:rvb{ns} i="{rich_value}"/></ext></extLst></bk>'


def error_rich_value(code: int, structure: int) -> str:
    return f'<rv s="{structure}"><v>{RICH_ERROR_CODES[code]}</v><v>{SUBTYPE}</v></rv>'


def rich_value_types_xml() -> str:
    keys = "".join(f'<key name="{key}">' + "".join(f'<flag name="{flag}" value="1"/>' for flag in flags) + "</key>"
                   for key, flags in _KEY_FLAGS)
    return (_XML_HEAD + f'<rvTypesInfo xmlns="{RICHDATA2_NS}" '
            'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" mc:Ignorable="x" '
            f'xmlns:x="{MAIN_NS}"><global><keyFlags>{keys}</keyFlags></global></rvTypesInfo>')


def rich_values_xml(codes: list[int], structure: int = 0) -> str:
    body = "".join(error_rich_value(code, structure) for code in codes)
    return _XML_HEAD + f'<rvData xmlns="{RICHDATA_NS}" count="{len(codes)}">{body}</rvData>'


def structures_xml() -> str:
    return _XML_HEAD + f'<rvStructures xmlns="{RICHDATA_NS}" count="1">{ERROR_STRUCTURE}</rvStructures>'


class RichErrors:
    """The vm number of each newer error a workbook's cells hold, given out
    on first use (1, 2, ...)."""

    def __init__(self):
        self.codes: list[int] = []          # error code of vm 1, 2, ...

    def __bool__(self) -> bool:
        return bool(self.codes)

    def vm(self, code: int) -> int:
        if code not in self.codes:
            self.codes.append(code)
        return self.codes.index(code) + 1

    def parts(self) -> list[tuple[str, str, str, str]]:
        """[(part name under xl/, xml, relationship type, content type)] of the rich data."""
        return [(VALUES_PART[0], rich_values_xml(self.codes), *VALUES_PART[1:]),
                (STRUCTURES_PART[0], structures_xml(), *STRUCTURES_PART[1:]),
                (TYPES_PART[0], rich_value_types_xml(), *TYPES_PART[1:])]


def metadata_xml(dynamic: bool, rich: RichErrors | None = None, first_rich_value: int = 0) -> str:
    """xl/metadata.xml: dynamic arrays (cell metadata 1, cm="1") and/or the
    newer errors (value metadata 1..n, vm="n", naming rich values
    first_rich_value, first_rich_value + 1, ...), as Excel writes them."""
    codes = rich.codes if rich else []
    types = ([_DYNAMIC_ARRAY_TYPE] if dynamic else []) + ([RICH_VALUE_TYPE] if codes else [])
    ns = (f' xmlns:xlrd="{RICHDATA_NS}"' if codes else "") + (f' xmlns:xda="{DYNAMIC_ARRAY_NS}"' if dynamic else "")
    out = [_XML_HEAD, f'<metadata xmlns="{MAIN_NS}"{ns}>',
           f'<metadataTypes count="{len(types)}">{"".join(types)}</metadataTypes>']
    if dynamic:
        out.append(_DYNAMIC_ARRAY_FUTURE)
    if codes:
        out.append(f'<futureMetadata name="XLRICHVALUE" count="{len(codes)}">'
                   + "".join(rich_value_block(first_rich_value + i) for i in range(len(codes))) + "</futureMetadata>")
    if dynamic:
        out.append('<cellMetadata count="1"><bk><rc t="1" v="0"/></bk></cellMetadata>')
    if codes:
        t = len(types)                      # XLRICHVALUE is the last type
        out.append(f'<valueMetadata count="{len(codes)}">'
                   + "".join(f'<bk><rc t="{t}" v="{i}"/></bk>' for i in range(len(codes))) + "</valueMetadata>")
    out.append("</metadata>")
    return "".join(out)
