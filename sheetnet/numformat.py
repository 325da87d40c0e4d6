"""Excel's number-format language: the text a value shows under a format
code, as TEXT computes it (and as a cell displays it, at any column width).

    format_value(1234.5, "#,##0.00")                 -> "1,234.50"
    format_value(-12, "#,##0_);(#,##0)")             -> "(12)"
    format_value(45351.75, "yyyy-mm-dd hh:mm AM/PM") -> "2024-02-29 06:00 PM"

What is understood:
* up to four sections ``positive;negative;zero;text`` (two: the negative
  one shows the number without its sign; one: a minus is added when the shown
  number is not zero), and ``[>=100]``-style conditions;
* digit placeholders ``0`` (a digit or 0), ``#`` (a digit or nothing), ``?``
  (a digit or a space), the decimal point, ``,`` between placeholders
  (thousands grouping) or after the last one (each divides by 1000), ``%``
  (times 100), scientific ``E+0``/``E-00`` (engineering when the mantissa's
  integer part is several placeholders starting with ``#``), fractions
  ``# ?/?``, ``# ??/16``;
* ``General`` (Excel's 11-character General: 0.333333333, 1.23457E+11);
* dates and times: ``y yy yyyy``, ``m mm mmm mmmm mmmmm``, ``d dd ddd
  dddd``, ``h hh``, ``m mm`` (minutes after an hour or before seconds),
  ``s ss``, ``.0 .00 .000`` after seconds, ``[h] [mm] [ss]`` (elapsed),
  ``AM/PM am/pm A/P a/p``; the 1900 (with its 29-Feb-1900) or 1904 system;
* literals: ``"text"``, ``\\c``, ``_c`` (a space as wide as c), ``*c``
  (the fill to the column width: nothing, as TEXT shows it), characters that
  stand for themselves (``$ - + / ( ) : space`` ...), ``[$€-407]`` (the
  currency symbol); ``[Red]``-style colours and locale tags are ignored;
* ``@`` in a text section.

Numbers are first rounded to 15 significant digits, as Excel shows them, and
rounded half away from zero.  A date outside 0..9999-12-31, or a section that
mixes date parts with digit placeholders ("mm###"), raises `FormatError`
(TEXT gives #VALUE!).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Context, Decimal
from functools import lru_cache

from .dates import DATE_1900, SECONDS_PER_DAY, DateSystem

MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
               "October", "November", "December"]
DAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_DECIMAL = Context(prec=400, Emax=10**6, Emin=-10**6)
GENERAL_WIDTH = 11          # characters Excel's General shows, besides a minus sign


class FormatError(ValueError):
    """A value or format code that Excel's TEXT refuses (#VALUE!)."""


# --- tokens -----------------------------------------------------------------------------

@dataclass
class Token:
    kind: str          # lit, digit, point, comma, percent, exp, slash, date, elapsed, ampm, subsec, general, text
    text: str = ""


@dataclass
class Section:
    tokens: list[Token]
    condition: tuple[str, float] | None = None
    is_date: bool = False
    has_text: bool = False

    @property
    def is_general(self) -> bool:
        return any(t.kind == "general" for t in self.tokens)


@dataclass
class Format:
    sections: list[Section] = field(default_factory=list)


_CONDITION = re.compile(r"^(<=|>=|<>|<|>|=)\s*(-?[\d.]+(?:[eE][-+]?\d+)?)$")
_ELAPSED = re.compile(r"^(h+|m+|s+)$", re.IGNORECASE)
_LITERAL_CHARS = set("$-+/():!^&'~{}<>= ")


def _split_sections(code: str) -> list[str]:
    parts, cur, i = [], [], 0
    while i < len(code):
        ch = code[i]
        if ch == '"':
            j = code.find('"', i + 1)
            j = len(code) if j < 0 else j
            cur.append(code[i:j + 1])
            i = j + 1
            continue
        if ch in "\\_*" and i + 1 < len(code):
            cur.append(code[i:i + 2])
            i += 2
            continue
        if ch == ";":
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
        i += 1
    parts.append("".join(cur))
    return parts


def _tokenize(text: str) -> Section:
    tokens: list[Token] = []
    condition = None
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        low = ch.lower()
        if ch == '"':
            j = text.find('"', i + 1)
            j = n if j < 0 else j
            tokens.append(Token("lit", text[i + 1:j]))
            i = j + 1
        elif ch == "\\":
            tokens.append(Token("lit", text[i + 1:i + 2]))
            i += 2
        elif ch == "_":
            tokens.append(Token("lit", " "))
            i += 2
        elif ch == "*":
            i += 2                                   # fill to the column width: nothing in TEXT
        elif ch == "[":
            j = text.find("]", i)
            if j < 0:
                raise FormatError(f"unclosed [ in {text!r}")
            inner = text[i + 1:j]
            m = _CONDITION.match(inner.strip())
            if _ELAPSED.match(inner):
                tokens.append(Token("elapsed", inner.lower()))
            elif m:
                condition = (m.group(1), float(m.group(2)))
            elif inner.startswith("$"):
                symbol = inner[1:].split("-", 1)[0]      # [$€-407]: the symbol; [$-409]: a locale
                if symbol:
                    tokens.append(Token("lit", symbol))
            # otherwise a colour ([Red], [Color10]) or another tag: nothing shown
            i = j + 1
        elif text[i:i + 7].lower() == "general":
            tokens.append(Token("general"))
            i += 7
        elif text[i:i + 5].lower() == "am/pm":
            tokens.append(Token("ampm", text[i:i + 5]))
            i += 5
        elif text[i:i + 3].lower() == "a/p":
            tokens.append(Token("ampm", text[i:i + 3]))
            i += 3
        elif low in "ymdhs":
            j = i
            while j < n and text[j].lower() == low:
                j += 1
            tokens.append(Token("date", low * (j - i)))
            i = j
        elif low == "e" and i + 1 < n and text[i + 1] in "+-":
            tokens.append(Token("exp", text[i:i + 2]))
            i += 2
        elif ch in "0#?":
            tokens.append(Token("digit", ch))
            i += 1
        elif ch == ".":
            tokens.append(Token("point", "."))
            i += 1
        elif ch == ",":
            tokens.append(Token("comma", ","))
            i += 1
        elif ch == "%":
            tokens.append(Token("percent", "%"))
            i += 1
        elif ch == "/":
            tokens.append(Token("slash", "/"))
            i += 1
        elif ch == "@":
            tokens.append(Token("text"))
            i += 1
        else:
            tokens.append(Token("lit", ch))
            i += 1
    section = Section(tokens, condition)
    section.is_date = any(t.kind in ("date", "elapsed", "ampm") for t in tokens)
    section.has_text = any(t.kind == "text" for t in tokens)
    if section.is_date:
        _prepare_date(section)
    return section


@lru_cache(maxsize=512)
def parse_format(code: str) -> Format:
    return Format([_tokenize(part) for part in _split_sections(code)])


# --- choosing a section -----------------------------------------------------------------

def _holds(condition, x: float) -> bool:
    op, limit = condition
    return {"<": x < limit, "<=": x <= limit, ">": x > limit, ">=": x >= limit, "=": x == limit,
            "<>": x != limit}[op]


def _number_section(fmt: Format, x: float) -> tuple[Section, bool]:
    """(section, whether the minus sign is added by the format)."""
    numeric = [s for s in fmt.sections[:3]] or [Section([])]
    if any(s.condition for s in numeric):
        for s in numeric:
            if s.condition is None or _holds(s.condition, x):
                # Excel shows a negative number's sign unless the section is
                # the one made for negatives ([<0] or the second)
                own_sign = s.condition is not None and s.condition[0] in ("<", "<=") and s.condition[1] <= 0
                return s, x < 0 and not own_sign
        return numeric[-1], x < 0
    if x > 0 or len(numeric) == 1:
        return numeric[0], x < 0
    if x < 0:
        return numeric[1], False
    return (numeric[2] if len(numeric) > 2 else numeric[0]), False


# --- the entry point --------------------------------------------------------------------

def format_value(value, code: str, system: DateSystem = DATE_1900) -> str:
    """The text of a value (float, bool, str or None) under a format code."""
    fmt = parse_format(code)
    if isinstance(value, str):
        return _format_text(fmt, value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    x = 0.0 if value is None else float(value)
    section, add_minus = _number_section(fmt, x)
    if section.is_date:
        return _format_date(section, x, system)
    if section.is_general and not any(t.kind in ("digit", "point") for t in section.tokens):
        # General shows its own minus, except in the section made for negatives
        shown = x if add_minus else abs(x)
        return "".join(general(shown) if t.kind == "general" else _literal(t) for t in section.tokens)
    return _format_number(section, abs(x), add_minus)


def _format_text(fmt: Format, text: str) -> str:
    section = None
    if len(fmt.sections) >= 4:
        section = fmt.sections[3]
    elif fmt.sections and fmt.sections[0].has_text:
        section = fmt.sections[0]
    if section is None:
        return text
    return "".join(text if t.kind == "text" else _literal(t) for t in section.tokens)


def _literal(t: Token) -> str:
    """A token shown as itself where no number fills it."""
    if t.kind in ("lit", "point", "comma", "percent", "slash"):
        return t.text
    if t.kind == "exp":
        return t.text
    return ""


# --- General ----------------------------------------------------------------------------

def _decimal(x: float) -> Decimal:
    """The number as Excel shows it: 15 significant digits."""
    return Decimal(f"{x:.15g}")


def _round(d: Decimal, places: int) -> Decimal:
    return d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP, context=_DECIMAL)


def round_shown(x: float, places: int) -> float:
    """x rounded as Excel rounds what it shows: the 15-digit value, half away
    from zero, at `places` decimals (negative: left of the point)."""
    return float(_round(_decimal(x), places))


def _plain(d: Decimal, places: int) -> str:
    """A non-negative Decimal rounded to `places` decimals, in plain notation."""
    return f"{_round(d, places):f}"


def general(x: float) -> str:
    """Excel's General format at the standard column width: as many digits as
    fit in 11 characters (12 with a minus), scientific when plain notation
    would lose the number's digits (1.23457E+11, 2.5E-09) -- the text TEXT(x,
    "General") gives.  (Typed into a formula with "&", a number shows up to 15
    digits instead: values.number_text.)"""
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    d = _decimal(abs(x))
    e = d.adjusted()
    if -10 < e < GENERAL_WIDTH:
        if e >= 0:
            text = _plain(d, max(0, GENERAL_WIDTH - 2 - e))
            if len(text.split(".")[0]) <= GENERAL_WIDTH:
                return sign + _strip_zeros(text)
        else:
            text = _strip_zeros(_plain(d, GENERAL_WIDTH - 2))
            exact = _strip_zeros(_plain(d, GENERAL_WIDTH + 1))
            if e >= -5 or text == exact:      # 0.000123457 is fine, 0.0000000025 is not
                if text != "0":
                    return sign + text
    return sign + _scientific_general(d)


def _strip_zeros(text: str) -> str:
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _scientific_general(d: Decimal) -> str:
    e = d.adjusted()
    for places in range(5, -1, -1):
        mantissa = _round(d.scaleb(-e), places)
        exp = e
        if mantissa >= 10:
            mantissa, exp = mantissa / 10, e + 1
        exp_text = f"{'+' if exp >= 0 else '-'}{abs(exp):02d}"
        text = f"{_strip_zeros(f'{mantissa:f}')}E{exp_text}"
        if len(text) <= GENERAL_WIDTH:
            return text
    return text


# --- numbers ----------------------------------------------------------------------------

def _format_number(section: Section, x: float, add_minus: bool) -> str:
    tokens = section.tokens
    if any(t.kind == "slash" for t in tokens) and _is_fraction(tokens):
        body, nonzero = _format_fraction(tokens, x)
        return ("-" if add_minus and nonzero else "") + body
    percents = sum(t.kind == "percent" for t in tokens)
    exp_at = next((i for i, t in enumerate(tokens) if t.kind == "exp"), None)
    mantissa_tokens = tokens if exp_at is None else tokens[:exp_at]
    point_at = next((i for i, t in enumerate(mantissa_tokens) if t.kind == "point"), None)
    int_end = point_at if point_at is not None else len(mantissa_tokens)
    digit_positions = [i for i in range(int_end) if tokens[i].kind == "digit"]
    frac_places = sum(1 for t in mantissa_tokens[int_end:] if t.kind == "digit")
    grouping, scale_commas = _commas(tokens[:int_end], digit_positions)
    scale_commas += _trailing_commas(mantissa_tokens[int_end:])
    d = _decimal(x) * (Decimal(100) ** percents) / (Decimal(1000) ** scale_commas)

    exponent_text = ""
    if exp_at is not None:
        d, exponent_text = _scientific(d, tokens, exp_at, digit_positions, frac_places)
    rounded = _round(d, frac_places)
    int_digits, _, frac_digits = f"{rounded:f}".partition(".")
    int_digits = int_digits.lstrip("0")
    frac_digits = frac_digits.ljust(frac_places, "0")
    nonzero = rounded != 0

    out = []
    int_text = _fill_integer(tokens[:int_end], digit_positions, int_digits, grouping)
    out.append(int_text)
    out.append(_fill_fraction(mantissa_tokens[int_end:], frac_digits))
    if exp_at is not None:
        out.append(exponent_text)
    text = "".join(out)
    return ("-" if add_minus and nonzero else "") + text


def _commas(int_tokens: list[Token], digit_positions: list[int]) -> tuple[bool, int]:
    """(thousands grouping, how many times the number is divided by 1000)."""
    if not digit_positions:
        return False, 0
    first, last = digit_positions[0], digit_positions[-1]
    grouping = any(t.kind == "comma" for t in int_tokens[first:last])
    scale = 0
    for t in int_tokens[last + 1:]:
        if t.kind == "comma":
            scale += 1
        elif t.kind != "lit" or t.text.strip():
            break
    return grouping, scale


def _trailing_commas(tokens: list[Token]) -> int:
    """Commas right after the last decimal placeholder ("0.0,,"): each
    divides by 1000."""
    last = max((i for i, t in enumerate(tokens) if t.kind == "digit"), default=None)
    if last is None:
        return 0
    n = 0
    for t in tokens[last + 1:]:
        if t.kind != "comma":
            break
        n += 1
    return n


def _fill_integer(int_tokens: list[Token], digit_positions: list[int], digits: str, grouping: bool) -> str:
    """The integer part: digits fill the placeholders from the right, the
    leftmost placeholder takes any digits left over."""
    if not digit_positions:
        return "".join(_literal(t) for t in int_tokens if t.kind != "comma")
    first, last = digit_positions[0], digit_positions[-1]
    placeholders = [int_tokens[i].text for i in digit_positions]
    shown = []                                   # per placeholder, right to left
    remaining = digits
    for k, p in enumerate(reversed(placeholders)):
        if k == len(placeholders) - 1:           # the leftmost: everything left
            chunk = remaining if remaining else {"0": "0", "?": " ", "#": ""}[p]
        elif remaining:
            chunk, remaining = remaining[-1], remaining[:-1]
        else:
            chunk = {"0": "0", "?": " ", "#": ""}[p]
        shown.append(chunk)
    shown.reverse()
    inner_literals = any(t.kind == "lit" for t in int_tokens[first:last])
    if grouping and not inner_literals:
        body = _group("".join(shown))
        middle = body
    else:
        pieces, k = [], 0
        for t in int_tokens[first:last + 1]:
            if t.kind == "digit":
                pieces.append(shown[k])
                k += 1
            elif t.kind != "comma":
                pieces.append(_literal(t))
        middle = "".join(pieces)
    before = "".join(_literal(t) for t in int_tokens[:first] if t.kind != "comma")
    after = "".join(_literal(t) for t in int_tokens[last + 1:] if t.kind != "comma")
    return before + middle + after


def _group(text: str) -> str:
    """Thousands separators between the digits (spaces from ? kept in front)."""
    lead = len(text) - len(text.lstrip(" "))
    digits = text[lead:]
    groups = []
    while len(digits) > 3:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    if digits:
        groups.insert(0, digits)
    return " " * lead + ",".join(groups)


def _fill_fraction(tokens: list[Token], digits: str) -> str:
    """After the decimal point: 0 a digit, # a digit unless the rest are zeros,
    ? a digit or a space."""
    last_nonzero = max((i for i, ch in enumerate(digits) if ch != "0"), default=-1)
    out, k = [], 0
    for t in tokens:
        if t.kind == "digit":
            ch = digits[k] if k < len(digits) else "0"
            if k > last_nonzero:
                ch = {"0": "0", "#": "", "?": " "}[t.text]
            out.append(ch)
            k += 1
        elif t.kind == "percent":
            out.append("%")
        elif t.kind != "comma":                  # commas after the point only scale
            out.append(_literal(t))
    return "".join(out)


def _scientific(d: Decimal, tokens, exp_at, digit_positions, frac_places):
    """The mantissa (a Decimal) and the exponent's text."""
    n_int = max(len(digit_positions), 1)
    engineering = n_int > 1 and tokens[digit_positions[0]].text == "#"
    if d == 0:
        e = 0
    else:
        e = d.adjusted()
        e = (e // n_int) * n_int if engineering else e - (n_int - 1) if n_int > 1 else e
    mantissa = d.scaleb(-e)
    rounded = _round(mantissa, frac_places)
    limit = Decimal(10) ** (n_int if not engineering else n_int)
    if rounded != 0 and rounded >= limit:
        step = n_int if engineering else 1
        e += step
        mantissa = d.scaleb(-e)
    exp_token = tokens[exp_at].text
    exp_digits = [t for t in tokens[exp_at + 1:] if t.kind == "digit"]
    width = sum(1 for t in exp_digits if t.text == "0") or 1
    sign = "-" if e < 0 else ("+" if exp_token[1] == "+" else "")
    body = f"{exp_token[0]}{sign}{abs(e):0{width}d}"
    body += "".join(_literal(t) for t in tokens[exp_at + 1:] if t.kind != "digit")
    return mantissa, body


def _is_fraction(tokens: list[Token]) -> bool:
    i = next(i for i, t in enumerate(tokens) if t.kind == "slash")
    before = any(t.kind == "digit" for t in tokens[:i])
    after = any(t.kind == "digit" or (t.kind == "lit" and t.text.isdigit()) for t in tokens[i + 1:])
    return before and after


def _format_fraction(tokens: list[Token], x: float) -> tuple[str, bool]:
    """"# ?/?"-style fractions: a whole part (when the format has one) and the
    nearest fraction with a denominator of the placeholders' digits (or the
    fixed denominator written)."""
    slash = next(i for i, t in enumerate(tokens) if t.kind == "slash")
    num_start = slash
    while num_start > 0 and tokens[num_start - 1].kind == "digit":
        num_start -= 1
    whole_tokens = tokens[:num_start]
    has_whole = any(t.kind == "digit" for t in whole_tokens)
    num_tokens = tokens[num_start:slash]
    den_tokens = tokens[slash + 1:]
    den_digits = [t for t in den_tokens if t.kind == "digit"]
    fixed = "".join(t.text for t in den_tokens if t.kind == "lit" and t.text.isdigit())
    whole = math.floor(x) if has_whole else 0
    rest = x - whole
    if fixed:
        den = int(fixed)
        num = int(_round(Decimal(repr(rest * den)), 0))
    else:
        num, den = _best_fraction(rest, 10 ** max(len(den_digits), 1) - 1)
    if num == den and has_whole:
        whole, num = whole + 1, 0
    nonzero = whole != 0 or num != 0
    whole_digits = str(whole) if whole else ""
    positions = [i for i, t in enumerate(whole_tokens) if t.kind == "digit"]
    if has_whole:
        whole_text = _fill_integer(whole_tokens, positions, whole_digits if (whole or num) else "", False)
        if not whole and not num:
            whole_text = _fill_integer(whole_tokens, positions, "0", False)
    else:
        whole_text = "".join(_literal(t) for t in whole_tokens)
    if num == 0 and has_whole:
        blank = " " * (len(num_tokens) + 1 + max(len(den_digits), len(fixed)))
        return whole_text + blank, nonzero
    num_text = _pad_left(str(num), num_tokens)
    den_text = fixed if fixed else _pad_right(str(den), den_digits)
    tail = "".join(_literal(t) for t in den_tokens if t.kind != "digit" and not (t.kind == "lit" and t.text.isdigit()))
    return whole_text + num_text + "/" + den_text + tail, nonzero


def _pad_left(digits: str, placeholders: list[Token]) -> str:
    out = digits
    for t in placeholders[len(digits):]:
        out = {"0": "0", "?": " ", "#": ""}[t.text] + out
    return out


def _pad_right(digits: str, placeholders: list[Token]) -> str:
    out = digits
    for t in placeholders[len(digits):]:
        out += {"0": "0", "?": " ", "#": ""}[t.text]
    return out


def _best_fraction(x: float, max_den: int) -> tuple[int, int]:
    """The fraction nearest x with a denominator up to max_den (ties: the
    smaller denominator)."""
    best = (round(x), 1)
    best_err = abs(x - best[0])
    for den in range(1, max_den + 1):
        num = round(x * den)
        err = abs(x - num / den)
        if err < best_err - 1e-15:
            best, best_err = (num, den), err
    return best


# --- dates and times --------------------------------------------------------------------

def _prepare_date(section: Section) -> None:
    """Tell minutes from months, find fractions of seconds, refuse digit
    placeholders outside them."""
    tokens = section.tokens
    parts = [i for i, t in enumerate(tokens) if t.kind in ("date", "elapsed")]
    for k, i in enumerate(parts):
        t = tokens[i]
        if t.kind == "date" and t.text[0] == "m" and len(t.text) <= 2:
            prev = tokens[parts[k - 1]] if k > 0 else None
            nxt = tokens[parts[k + 1]] if k + 1 < len(parts) else None
            after_hour = prev is not None and prev.text[0] == "h"
            before_second = nxt is not None and nxt.text[0] == "s"
            if after_hour or before_second:
                t.kind = "minute"
    merged: list[Token] = []
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if t.kind == "point" and merged and any(m.kind in ("date", "elapsed") and m.text[0] == "s"
                                                  for m in merged[-1:]) and i + 1 < len(tokens) \
                and tokens[i + 1].kind == "digit" and tokens[i + 1].text == "0":
            j = i + 1
            while j < len(tokens) and tokens[j].kind == "digit" and tokens[j].text == "0":
                j += 1
            merged.append(Token("subsec", "0" * (j - i - 1)))
            i = j
            continue
        if t.kind in ("digit", "exp", "percent"):
            raise FormatError("a date format with digit placeholders")
        if t.kind == "comma":
            t = Token("lit", ",")
        elif t.kind == "point":
            t = Token("lit", ".")
        elif t.kind == "slash":
            t = Token("lit", "/")
        merged.append(t)
        i += 1
    section.tokens = merged


def _format_date(section: Section, x: float, system: DateSystem) -> str:
    if x < 0 or x >= system.max_serial + 1:
        raise FormatError("a date outside 1900..9999")
    tokens = section.tokens
    places = max((len(t.text) for t in tokens if t.kind == "subsec"), default=0)
    unit = 10 ** places
    # rounded to what is shown: whole seconds, or the fraction of a second written
    total = math.floor(x * SECONDS_PER_DAY * unit + 0.5)
    day, rest = divmod(total, SECONDS_PER_DAY * unit)
    if day > system.max_serial:
        raise FormatError("a date outside 1900..9999")
    seconds, fraction = divmod(rest, unit)
    hour, minute, second = seconds // 3600, seconds // 60 % 60, seconds % 60
    y, m, d = system.ymd(day)
    weekday = system.weekday(day)
    twelve = any(t.kind == "ampm" for t in tokens)
    out = []
    for t in tokens:
        k, s = t.kind, t.text
        if k == "date":
            c = s[0]
            if c == "y":
                out.append(f"{y % 100:02d}" if len(s) <= 2 else f"{y:04d}")
            elif c == "m":
                out.append(str(m) if len(s) == 1 else f"{m:02d}" if len(s) == 2 else
                           MONTH_NAMES[m - 1][:3] if len(s) == 3 else
                           MONTH_NAMES[m - 1][0] if len(s) == 5 else MONTH_NAMES[m - 1])
            elif c == "d":
                out.append(str(d) if len(s) == 1 else f"{d:02d}" if len(s) == 2 else
                           DAY_NAMES[weekday][:3] if len(s) == 3 else DAY_NAMES[weekday])
            elif c == "h":
                h = (hour % 12 or 12) if twelve else hour
                out.append(str(h) if len(s) == 1 else f"{h:02d}")
            elif c == "s":
                out.append(str(second) if len(s) == 1 else f"{second:02d}")
        elif k == "minute":
            out.append(str(minute) if len(s) == 1 else f"{minute:02d}")
        elif k == "elapsed":
            c = s[0]
            value = {"h": day * 24 + hour, "m": (day * 24 + hour) * 60 + minute,
                     "s": ((day * 24 + hour) * 60 + minute) * 60 + second}[c]
            out.append(f"{value:0{len(s)}d}")
        elif k == "subsec":
            out.append("." + f"{fraction:0{places}d}"[:len(s)])
        elif k == "ampm":
            pm = hour >= 12
            if s.lower() == "am/pm":
                word = "PM" if pm else "AM"
                out.append(word if s[0].isupper() else word.lower())
            else:
                letter = s[2] if pm else s[0]
                out.append(letter)
        else:
            out.append(_literal(t))
    return "".join(out)
