"""Text: regular expressions -- REGEXTEST, REGEXEXTRACT, REGEXREPLACE.

Excel's patterns are PCRE2's; sheetnet runs them on Python's `re` after
translating what differs:

* named groups ``(?<name>...)`` / ``(?'name'...)`` become ``(?P<name>...)``,
  back-references ``\\k<name>`` ``\\k{name}`` ``\\k'name'`` ``\\g{n}`` become
  Python's;
* ``\\z`` (end of text) is Python's ``\\Z``; PCRE's ``\\Z`` (end, or before a
  final line break) becomes ``(?=\\n?\\Z)``;
* ``\\h`` / ``\\H`` (horizontal space), ``\\R`` (any line break);
* POSIX classes inside brackets (``[[:alpha:]]``, ``[[:digit:]]`` ...) as
  ASCII ranges;
* replacements: ``$1``, ``${1}``, ``${name}``, ``$0`` / ``$&`` (the match),
  ``$$`` (a dollar) become Python's ``\\g<...>``.

Not available in Python's engine, and #VALUE! here (as a pattern Excel
refuses is): Unicode properties ``\\p{...}``, ``\\X``, ``\\K``, recursion
``(?R)``, callouts and backtracking verbs ``(*SKIP)``.  Character classes
``\\w`` ``\\d`` ``\\s`` follow Python (Unicode-aware), where PCRE2 without
its UCP option keeps them to ASCII.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ...errors import ExcelError
from .array_results import lift_array
from .registry import Category, elementwise, function, parse_signature
from .text import VALUE_ERROR, checked_length

TEXT = Category.TEXT
NA_ERROR = ExcelError("#N/A")

_POSIX = {
    "alpha": "a-zA-Z", "digit": "0-9", "alnum": "a-zA-Z0-9", "upper": "A-Z", "lower": "a-z",
    "space": r" \t\n\r\f\v", "blank": r" \t", "xdigit": "0-9A-Fa-f", "word": r"\w",
    "punct": re.escape("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"), "cntrl": r"\x00-\x1f\x7f",
    "print": r"\x20-\x7e", "graph": r"\x21-\x7e", "ascii": r"\x00-\x7f",
}
_UNSUPPORTED = re.compile(r"\\[pPXK]|\(\?R\)|\(\?\d+\)|\(\*[A-Z]")


class PatternError(ValueError):
    """A pattern Python's engine cannot run (or that is not a pattern)."""


@lru_cache(maxsize=256)
def compile_pattern(pattern: str, ignore_case: bool) -> re.Pattern:
    """A PCRE2 pattern as a compiled Python regular expression."""
    if _UNSUPPORTED.search(pattern):
        raise PatternError(f"unsupported PCRE construct in {pattern!r}")
    out, i, n, in_class = [], 0, len(pattern), False
    while i < n:
        ch = pattern[i]
        if ch == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            if not in_class and nxt == "k" and i + 2 < n and pattern[i + 2] in "<{'":
                close = {"<": ">", "{": "}", "'": "'"}[pattern[i + 2]]
                j = pattern.index(close, i + 3)
                out.append(f"(?P={pattern[i + 3:j]})")
                i = j + 1
                continue
            if not in_class and nxt == "g" and i + 2 < n and pattern[i + 2] == "{":
                j = pattern.index("}", i + 3)
                ref = pattern[i + 3:j]
                out.append(f"(?P={ref})" if not ref.lstrip("-").isdigit() else f"\\{ref}")
                i = j + 1
                continue
            out.append({"z": r"\Z", "Z": r"(?=\n?\Z)", "h": r"[ \t\xa0]", "H": r"[^ \t\xa0]",
                        "R": r"(?:\r\n|[\n\r\x0b\x0c\x85])"}.get(nxt, "\\" + nxt)
                       if not in_class or nxt not in "zZR" else "\\" + nxt)
            i += 2
            continue
        if in_class:
            if pattern.startswith("[:", i):
                j = pattern.find(":]", i + 2)
                name = pattern[i + 2:j] if j > 0 else ""
                if name in _POSIX:
                    out.append(_POSIX[name])
                    i = j + 2
                    continue
            if ch == "]" and out and out[-1] not in ("[", "[^"):
                in_class = False
            out.append(ch)
            i += 1
            continue
        if ch == "[":
            in_class = True
            if pattern.startswith("[^", i):
                out.append("[^")
                i += 2
            else:
                out.append("[")
                i += 1
            if i < n and pattern[i] == "]":          # a leading ] is a literal
                out.append(r"\]")
                i += 1
            continue
        if pattern.startswith("(?<", i) and i + 3 < n and pattern[i + 3] not in "=!":
            out.append("(?P<")
            i += 3
            continue
        if pattern.startswith("(?'", i):
            j = pattern.index("'", i + 3)
            out.append(f"(?P<{pattern[i + 3:j]}>")
            i = j + 1
            continue
        out.append(ch)
        i += 1
    try:
        return re.compile("".join(out), re.IGNORECASE if ignore_case else 0)
    except (re.error, ValueError) as exc:
        raise PatternError(str(exc)) from None


_DOLLAR = re.compile(r"\$(?:(\$)|(&)|\{(\w+)\}|(\d+))")


def python_replacement(replacement: str) -> str:
    """A PCRE2 replacement ($1, ${name}, $&, $$) as a Python template."""
    out, last = [], 0
    for m in _DOLLAR.finditer(replacement):
        out.append(replacement[last:m.start()].replace("\\", "\\\\"))
        if m.group(1):
            out.append("$")
        elif m.group(2):
            out.append(r"\g<0>")
        else:
            out.append(rf"\g<{m.group(3) or m.group(4)}>")
        last = m.end()
    out.append(replacement[last:].replace("\\", "\\\\"))
    return "".join(out)


def _pattern(pattern: str, case: int):
    if case not in (0, 1):
        return VALUE_ERROR
    try:
        return compile_pattern(pattern, case == 1)
    except PatternError:
        return VALUE_ERROR


@elementwise("REGEXTEST", category=TEXT, prefix="_xlfn.",
             args="text: text, pattern: text, [case_sensitivity: integer = 0]")
def REGEXTEST(text: str, pattern: str, case: int):
    """REGEXTEST(text, pattern, [case]): whether the pattern matches anywhere
    (case 0 counts case, 1 ignores it)."""
    rx = _pattern(pattern, case)
    if isinstance(rx, ExcelError):
        return rx
    return rx.search(text) is not None


@elementwise("REGEXREPLACE", category=TEXT, prefix="_xlfn.",
             args="text: text, pattern: text, replacement: text, [occurrence: integer = 0], "
                  "[case_sensitivity: integer = 0]")
def REGEXREPLACE(text: str, pattern: str, replacement: str, occurrence: int, case: int):
    """REGEXREPLACE(text, pattern, replacement, [occurrence], [case]): every
    match replaced (occurrence 0), or only the n-th (from the end when
    negative); $1 / ${name} insert groups."""
    rx = _pattern(pattern, case)
    if isinstance(rx, ExcelError):
        return rx
    template = python_replacement(replacement)
    try:
        if occurrence == 0:
            return checked_length(rx.sub(template, text))
        matches = list(rx.finditer(text))
        k = occurrence - 1 if occurrence > 0 else len(matches) + occurrence
        if not 0 <= k < len(matches):
            return text
        m = matches[k]
        return checked_length(text[:m.start()] + m.expand(template) + text[m.end():])
    except (re.error, IndexError):
        return VALUE_ERROR


def _extract(text: str, pattern: str, mode: int, case: int):
    """REGEXEXTRACT(text, pattern, [mode], [case]): mode 0 the first match,
    1 every match (a row), 2 the first match's groups (a row); no match #N/A."""
    if mode not in (0, 1, 2):
        return VALUE_ERROR
    rx = _pattern(pattern, case)
    if isinstance(rx, ExcelError):
        return rx
    if mode == 0:
        m = rx.search(text)
        return NA_ERROR if m is None else m.group(0)
    if mode == 1:
        found = [m.group(0) for m in rx.finditer(text)]
        return [found] if found else NA_ERROR
    m = rx.search(text)
    if m is None:
        return NA_ERROR
    groups = [g if g is not None else "" for g in m.groups()] or [m.group(0)]
    return [groups]


_EXTRACT_ARGS = "text: text, pattern: text, [return_mode: integer = 0], [case_sensitivity: integer = 0]"
function("REGEXEXTRACT", category=TEXT, prefix="_xlfn.", args=_EXTRACT_ARGS)(
    lift_array(_extract, parse_signature(_EXTRACT_ARGS)[0]))
