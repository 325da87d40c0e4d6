"""Text read as a number the way VALUE (and TEXT's value argument) reads it,
as Excel (English, US) recognises typed entries: "1,234.5", "(12)", "$12",
"12€", "40%", "1E-5", "1 1/2", and dates and times ("2024-02-29", "6:00").

Stricter than the arithmetic coercion (values.parse_number_text): thousands
separators must stand between groups of three digits ("12,34" is not a
number).
"""

from __future__ import annotations

import math
import re

from .dates import DATE_1900, DateSystem
from .datetext import parse_date_time

CURRENCY = "$€£¥"
_NUMBER = re.compile(
    rf"^(?P<sign>[+-]?)\s*(?P<cur1>[{CURRENCY}]?)\s*(?P<sign2>[+-]?)"
    r"(?P<int>\d{1,3}(?:,\d{3})+|\d*)(?P<frac>\.\d*)?(?P<exp>[eE][+-]?\d+)?"
    rf"\s*(?P<cur2>[{CURRENCY}]?)\s*(?P<pct>%?)$")
_MIXED_FRACTION = re.compile(r"^(?P<sign>[+-]?)(?P<whole>\d+)\s+(?P<num>\d+)/(?P<den>\d+)$")


def parse_value_text(text: str, system: DateSystem = DATE_1900) -> float | None:
    """The number a text stands for, or None (VALUE gives #VALUE!)."""
    t = text.strip()
    if not t:
        return None
    negative = False
    if t.startswith("(") and t.endswith(")"):
        t, negative = t[1:-1].strip(), True
    x = _plain_number(t)
    if x is None:
        x = _mixed_fraction(t)
    if x is None and not negative:
        parsed = parse_date_time(t, system)
        x = None if parsed is None else parsed[0]
    if x is None or not math.isfinite(x):
        return None
    return -x if negative else x


def _plain_number(t: str) -> float | None:
    m = _NUMBER.match(t)
    if m is None or (m["cur1"] and m["cur2"]) or (m["sign"] and m["sign2"]):
        return None
    digits = m["int"].replace(",", "") + (m["frac"] or "")
    if not any(ch.isdigit() for ch in digits):
        return None
    x = float(digits + (m["exp"] or ""))
    if m["pct"]:
        x /= 100
    return -x if "-" in (m["sign"] + m["sign2"]) else x


def _mixed_fraction(t: str) -> float | None:
    m = _MIXED_FRACTION.match(t)
    if m is None or int(m["den"]) == 0 or int(m["num"]) >= int(m["den"]):
        return None
    x = int(m["whole"]) + int(m["num"]) / int(m["den"])
    return -x if m["sign"] == "-" else x
