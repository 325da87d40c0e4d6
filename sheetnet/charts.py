"""Chart specifications a lesson builder attaches to a sheet; the writer turns
them into native Excel charts (DrawingML) with cached values, so they draw
in Excel, LibreOffice and viewers without recalculating."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Series:
    name: str                      # legend text
    values: str                    # e.g. "summary!$C$3:$C$13"
    categories: str | None = None  # x values, e.g. "summary!$A$3:$A$13"


@dataclass
class Chart:
    title: str
    series: list[Series] = field(default_factory=list)
    anchor: str = "A1"             # top-left cell of the chart
    width: int = 9                 # in columns
    height: int = 16               # in rows
    kind: str = "line"             # "line" (categories on x) or "scatter" (numbers on x)
    x_title: str | None = None
    y_title: str | None = None
    log_y: bool = False
