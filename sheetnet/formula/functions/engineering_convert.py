"""Engineering: CONVERT(number, from_unit, to_unit) over the units of
engineering_units.py.

A unit name is matched exactly (case matters: "Pa" pascal, "pt" pint) and
otherwise as a prefix followed by a unit that takes one ("km", "Mm2",
"kibyte"); an unknown unit or units of different quantities is #N/A.
Temperatures convert through kelvin (C, F, K, Rankine, Reaumur).  The number
is read as the Analysis ToolPak reads numbers (booleans #VALUE!).
"""

from __future__ import annotations

from ...errors import NA
from .engineering_units import BINARY_PREFIXES, PREFIXES, UNITS
from .registry import Category, elementwise

ENGINEERING = Category.ENGINEERING

_INDEX = {name: (quantity, size, prefixed, power)
          for quantity, units in UNITS.items() for name, (size, prefixed, power) in units.items()}


def find_unit(name: str):
    """(quantity, unit name, scale in the quantity's base unit) or None."""
    found = _INDEX.get(name)
    if found is not None:
        return found[0], name, found[1]
    for table in (PREFIXES, BINARY_PREFIXES):
        for prefix, factor in table.items():
            if not name.startswith(prefix) or len(name) == len(prefix):
                continue
            found = _INDEX.get(name[len(prefix):])
            if found is None or not found[2]:
                continue
            quantity, size, _, power = found
            if table is BINARY_PREFIXES and quantity != "information":
                continue
            return quantity, name[len(prefix):], size * factor ** power
    return None


# temperature scales: kelvin = (x + offset) * factor
_TEMPERATURE = {"C": (273.15, 1.0), "cel": (273.15, 1.0), "F": (459.67, 5 / 9), "fah": (459.67, 5 / 9),
                "K": (0.0, 1.0), "kel": (0.0, 1.0), "Rank": (0.0, 5 / 9), "Reau": (218.52, 1.25)}


def _to_kelvin(x: float, unit: str, scale: float) -> float:
    offset, factor = _TEMPERATURE[unit]
    return (x * scale + offset) * factor


def _from_kelvin(k: float, unit: str, scale: float) -> float:
    offset, factor = _TEMPERATURE[unit]
    return (k / factor - offset) / scale


@elementwise("CONVERT", category=ENGINEERING, args="number: strict_number, from_unit: text, to_unit: text")
def CONVERT(x: float, from_unit: str, to_unit: str):
    """CONVERT(x, from, to): x in unit `from` expressed in unit `to`."""
    a, b = find_unit(from_unit), find_unit(to_unit)
    if a is None or b is None or a[0] != b[0]:
        return NA
    if a[0] == "temperature":
        return _from_kelvin(_to_kelvin(x, a[1], a[2]), b[1], b[2])
    return x * a[2] / b[2]
