"""A button on a sheet that runs a VBA macro when clicked.

Written as a DrawingML shape with the macro assigned (``<xdr:sp macro=...>``),
which Excel runs on a click and LibreOffice imports as the shape's assigned
macro.  `area` is the cells the button covers.
"""

from __future__ import annotations

from dataclasses import dataclass

from .refs import Area


@dataclass(frozen=True)
class Button:
    text: str       # the caption
    macro: str      # a public Sub of the workbook's VBA project, e.g. "GradDesc.OneStep"
    area: Area      # the cells it covers
