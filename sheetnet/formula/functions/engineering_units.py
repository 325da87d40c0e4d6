"""The units CONVERT knows, as Excel lists them: per quantity, each unit's
size in the quantity's base unit, and whether it takes a metric prefix.

The sizes are Excel's, not the latest standards': its atomic mass unit is
1.660538782E-24 g and its electron volt 1.602176487E-19 J (CODATA 2006), its
mm of mercury exactly 133.322 Pa.  Which units take a prefix is Excel's
choice too (it takes "Muk_pt" and "Mmph" but not "Mmi", "Mly" but not "Mly2").
"""

from __future__ import annotations

# Metric prefixes; "e" is Excel's second spelling of deka.  A squared or cubed
# unit takes the prefix's square or cube ("Mm2" is 1E12 m2).
PREFIXES = {
    "Y": 1e24, "Z": 1e21, "E": 1e18, "P": 1e15, "T": 1e12, "G": 1e9, "M": 1e6, "k": 1e3, "h": 1e2,
    "da": 1e1, "e": 1e1, "d": 1e-1, "c": 1e-2, "m": 1e-3, "u": 1e-6, "n": 1e-9, "p": 1e-12,
    "f": 1e-15, "a": 1e-18, "z": 1e-21, "y": 1e-24,
}
# Binary prefixes, for the information units only
BINARY_PREFIXES = {
    "Yi": 2.0 ** 80, "Zi": 2.0 ** 70, "Ei": 2.0 ** 60, "Pi": 2.0 ** 50, "Ti": 2.0 ** 40,
    "Gi": 2.0 ** 30, "Mi": 2.0 ** 20, "ki": 2.0 ** 10,
}

_INCH = 0.0254
_LIGHT_YEAR = 9460730472580800.0
_SURVEY_FOOT = 1200 / 3937
_POUND_FORCE = 4.4482216152605
_US_GALLON = 0.003785411784

# quantity -> {unit: (size in the base unit, takes a prefix, power of the prefix)}
# The power is 2 for areas and 3 for volumes built from a length ("Mm2").
UNITS: dict[str, dict[str, tuple[float, bool, int]]] = {}


def _add(quantity: str, names: str, size: float, prefixed: bool = False, power: int = 1) -> None:
    for name in names.split():
        UNITS.setdefault(quantity, {})[name] = (size, prefixed, power)


# mass (base: gram)
_add("mass", "g", 1.0, True)
_add("mass", "sg", _POUND_FORCE / 0.3048 * 1000)
_add("mass", "lbm", 453.59237)
_add("mass", "u", 1.660538782e-24, True)
_add("mass", "ozm", 453.59237 / 16)
_add("mass", "grain", 0.06479891)
_add("mass", "cwt shweight", 45359.237)
_add("mass", "uk_cwt lcwt", 50802.34544)
_add("mass", "stone", 6350.29318)
_add("mass", "ton", 907184.74)
_add("mass", "brton LTON uk_ton", 1016046.9088)

# distance (base: meter)
_add("distance", "m", 1.0, True)
_add("distance", "mi", 1609.344)
_add("distance", "Nmi", 1852.0)
_add("distance", "in", _INCH)
_add("distance", "ft", 0.3048)
_add("distance", "yd", 0.9144)
_add("distance", "ang", 1e-10, True)
_add("distance", "ell", 1.143)
_add("distance", "ly", _LIGHT_YEAR, True)
_add("distance", "parsec pc", 3.0856775812815532e16, True)
_add("distance", "Picapt Pica", _INCH / 72)
_add("distance", "pica", _INCH / 6)
_add("distance", "survey_mi", 5280 * _SURVEY_FOOT)

# time (base: second)
_add("time", "yr", 365.25 * 86400)
_add("time", "day d", 86400.0)
_add("time", "hr", 3600.0)
_add("time", "mn min", 60.0)
_add("time", "sec s", 1.0, True)

# pressure (base: pascal)
_add("pressure", "Pa p", 1.0, True)
_add("pressure", "atm at", 101325.0, True)
_add("pressure", "mmHg", 133.322, True)
_add("pressure", "psi", _POUND_FORCE / (_INCH * _INCH))
_add("pressure", "Torr", 101325 / 760)

# force (base: newton)
_add("force", "N", 1.0, True)
_add("force", "dyn dy", 1e-5, True)
_add("force", "lbf", _POUND_FORCE)
_add("force", "pond", 0.00980665, True)

# energy (base: joule)
_add("energy", "J", 1.0, True)
_add("energy", "e", 1e-7, True)
_add("energy", "c", 4.184, True)
_add("energy", "cal", 4.1868, True)
_add("energy", "eV ev", 1.602176487e-19, True)
_add("energy", "HPh hh", 2684519.537696173)
_add("energy", "Wh wh", 3600.0, True)
_add("energy", "flb", _POUND_FORCE * 0.3048)
_add("energy", "BTU btu", 1055.05585262)

# power (base: watt)
_add("power", "HP h", 745.6998715822702)
_add("power", "PS", 735.49875)
_add("power", "W w", 1.0, True)

# magnetism (base: tesla)
_add("magnetism", "T", 1.0, True)
_add("magnetism", "ga", 1e-4, True)

# speed (base: meter per second)
_add("speed", "admkn", 6080 * 0.3048 / 3600)
_add("speed", "kn", 1852 / 3600)
_add("speed", "m/h m/hr", 1 / 3600, True)
_add("speed", "m/s m/sec", 1.0, True)
_add("speed", "mph", 1609.344 / 3600, True)

# information (base: bit); these also take the binary prefixes
_add("information", "bit", 1.0, True)
_add("information", "byte", 8.0, True)

# area (base: square meter)
_add("area", "uk_acre", 4046.8564224)
_add("area", "us_acre", 43560 * _SURVEY_FOOT ** 2)
_add("area", "ar", 100.0, True)
_add("area", "ha", 10000.0)
_add("area", "Morgen", 2500.0)
for _names, _side, _prefixed in (("ang", 1e-10, True), ("ft", 0.3048, False), ("in", _INCH, False),
                                 ("ly", _LIGHT_YEAR, False), ("m", 1.0, True), ("mi", 1609.344, False),
                                 ("Nmi", 1852.0, False), ("Picapt Pica", _INCH / 72, False),
                                 ("yd", 0.9144, False)):
    for _name in _names.split():
        _add("area", f"{_name}2 {_name}^2", _side ** 2, _prefixed, 2)

# volume (base: cubic meter)
_add("volume", "tsp", _US_GALLON / 768)
_add("volume", "tspm", 5e-6)
_add("volume", "tbs", _US_GALLON / 256)
_add("volume", "oz", _US_GALLON / 128)
_add("volume", "cup", _US_GALLON / 16)
_add("volume", "pt us_pt", _US_GALLON / 8)
_add("volume", "uk_pt", 0.00056826125, True)
_add("volume", "qt", _US_GALLON / 4)
_add("volume", "uk_qt", 0.0011365225)
_add("volume", "gal", _US_GALLON)
_add("volume", "uk_gal", 0.00454609)
_add("volume", "l L lt", 0.001, True)
_add("volume", "barrel", 42 * _US_GALLON)
_add("volume", "bushel", 0.03523907016688)
_add("volume", "GRT regton", 100 * 0.3048 ** 3)
_add("volume", "MTON", 40 * 0.3048 ** 3)
for _names, _side, _prefixed in (("ang", 1e-10, True), ("ft", 0.3048, False), ("in", _INCH, False),
                                 ("ly", _LIGHT_YEAR, False), ("m", 1.0, True), ("mi", 1609.344, False),
                                 ("yd", 0.9144, False), ("Nmi", 1852.0, False), ("Picapt Pica", _INCH / 72, False)):
    for _name in _names.split():
        _add("volume", f"{_name}3 {_name}^3", _side ** 3, _prefixed, 3)

# temperature: not proportional -- sizes are unused, engineering_convert.py
# converts through kelvin (only K/kel take a prefix)
_add("temperature", "C cel", 1.0)
_add("temperature", "F fah", 1.0)
_add("temperature", "K kel", 1.0, True)
_add("temperature", "Rank", 1.0)
_add("temperature", "Reau", 1.0)
