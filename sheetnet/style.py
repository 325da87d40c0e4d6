"""Cell styles a builder can attach to areas of a sheet (the writer turns
them into styles.xml)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Style:
    bold: bool = False
    italic: bool = False
    color: str | None = None          # font colour, "RRGGBB"
    fill: str | None = None           # background, "RRGGBB"
    number_format: str | None = None  # e.g. "0.000", "0.00E+00"
    align: str | None = None          # "center", "left", "right"
    border: bool = False              # thin box around each cell
    wrap: bool = False


@dataclass(frozen=True)
class ColorScale:
    """A two-colour scale conditional format: each cell of `areas` coloured
    from `low` (at the areas' smallest number) to `high` (at their largest),
    as Excel's "Color Scales" menu writes it.  Colours are "RRGGBB"."""
    areas: tuple                      # Areas sharing one scale (one min and max over all of them)
    low: str = "FCFCFF"
    high: str = "F8696B"


@dataclass(frozen=True)
class PageSetup:
    """How a sheet prints: orientation and Excel's "fit to N pages wide" (0 tall = as many as
    needed).  Print titles are the defined name _xlnm.Print_Titles (sheetnet.lessons.readable)."""
    landscape: bool = True
    fit_width: int = 1
    fit_height: int = 0

# The house styles the lesson builders share.
HEADER = Style(bold=True, fill="D9E1F2", align="center", border=True)
LABEL = Style(bold=True)
TITLE = Style(bold=True, color="1F3864")
PARAMETER = Style(fill="FFF2CC", border=True, number_format="0.0000")      # Solver / optimiser changes these
DATA = Style(fill="E2EFDA", border=True)                                   # given data
RESULT = Style(bold=True, fill="FCE4D6", border=True, number_format="0.000000")
NOTE = Style(italic=True, color="595959")
NUMBER = Style(number_format="0.0000")
