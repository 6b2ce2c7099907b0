"""Which characters text may hold, checked where text enters (pure, no I/O).

Two rules, one for single-line values and one for free text:

- a **line** (ids, names, titles, aliases, codes, URLs, external ids, path and query
  parameters) holds no control character: not C0 (U+0000 to U+001F, tab and newline
  included), DEL (U+007F), C1 (U+0080 to U+009F), nor the line and paragraph separators
  U+2028/U+2029;
- **text** (descriptions, summaries, rationales, evidence, the keys and strings of data kept
  from an import) may also hold tab, newline, carriage return and U+2028/U+2029, which are line
  breaks there.

Neither may hold an unpaired surrogate (not Unicode text: no database can store it). Format
characters (U+200B to U+200F, bidirectional marks and isolates) stay allowed: names written right
to left need them. The rules are regular expressions that pydantic runs natively, so reading
stored records costs next to nothing; :func:`describe` turns a refusal into a sentence that
names the character.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Annotated, Any

import orjson
from pydantic import Field

#: Control characters refused in a line (C0, DEL, C1, U+2028/U+2029).
LINE_PATTERN = r"^[^\x00-\x1F\x7F-\x9F\u2028\u2029]*$"
#: Control characters refused in free text (as a line, but tab, LF, CR, U+2028/U+2029 pass).
TEXT_PATTERN = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$"

_NOT_IN_LINE = re.compile(r"[\x00-\x1F\x7F-\x9F\u2028\u2029\uD800-\uDFFF]")
_NOT_IN_TEXT = re.compile(r"[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F\uD800-\uDFFF]")

#: A single-line string: no control character (see the module docstring).
Line = Annotated[str, Field(pattern=LINE_PATTERN)]
#: Free text: control characters refused, but for tab, newline, CR and U+2028/U+2029.
Text = Annotated[str, Field(pattern=TEXT_PATTERN)]


def forbidden(value: str, *, multiline: bool = False) -> str | None:
    """The first character the rule refuses in ``value``, or None. Pure."""
    found = (_NOT_IN_TEXT if multiline else _NOT_IN_LINE).search(value)
    return found.group() if found else None


def why(char: str) -> str:
    """Why a refused character is refused, naming its code point."""
    if "\ud800" <= char <= "\udfff":
        return f"contains an unpaired surrogate (U+{ord(char):04X}), which is not Unicode text"
    return f"contains the control character U+{ord(char):04X}, which is not allowed here"


def check_line(value: Any) -> Any:
    """Refuse a string that breaks the line rule (a ``BeforeValidator`` for URLs, whose
    parser would otherwise drop or escape control characters silently); other values pass."""
    if isinstance(value, str) and (char := forbidden(value)) is not None:
        raise ValueError(why(char))
    return value


_C1_UTF8 = re.compile(rb"\xc2[\x80-\x9f]")
_C0 = (b"000", b"001")  # after "\\u": U+0000 to U+001F


def _suspect(encoded: bytes) -> bool:
    """Whether orjson's output may hold a refused character or a non-finite number (written
    ``null``): plain byte searches first (fast), then only the escapes orjson writes for
    control characters (``\\u0000``-``\\u001f``, ``\\b``, ``\\f``; an escaped backslash is
    skipped). A suspect is then checked exactly by the slower walk."""
    if b"\x7f" in encoded or b"null" in encoded:
        return True
    if b"\xc2" in encoded and _C1_UTF8.search(encoded):
        return True
    at = encoded.find(b"\\")
    while at >= 0:
        escaped = encoded[at + 1 : at + 2]
        if escaped in (b"b", b"f") or (escaped == b"u" and encoded[at + 2 : at + 5] in _C0):
            return True
        at = encoded.find(b"\\", at + 2)
    return False


def check_json(value: Any) -> Any:
    """Refuse free JSON data (a payload's opaque ``extra``) holding a key or string that breaks
    the text rule, or a number that is not finite. Pure."""
    problem = json_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def json_problem(value: Any, encoded: bytes | None = None) -> str | None:
    """Why free JSON data breaks the rules of :func:`check_json` (naming where), or None;
    ``encoded`` is the value as orjson wrote it, when the caller has it already."""
    try:
        if not _suspect(orjson.dumps(value) if encoded is None else encoded):
            return None
    except TypeError:  # an unpaired surrogate, a key that is not a string
        pass
    return _walk(value, "")


def _walk(value: Any, where: str) -> str | None:
    if isinstance(value, str):
        char = forbidden(value, multiline=True)
        return None if char is None else f"{where or 'a value'} {why(char)}"
    if isinstance(value, float):
        return None if math.isfinite(value) else f"{where or 'a value'} is not a finite number"
    if isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str) and (char := forbidden(key, multiline=True)) is not None:
                return f"a key in {where or 'the data'} {why(char)}"
            if (problem := _walk(item, f"{where}.{key}" if where else str(key))) is not None:
                return problem
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            if (problem := _walk(item, f"{where}[{index}]")) is not None:
                return problem
    return None


def describe(error: Mapping[str, Any]) -> str | None:
    """A readable message for a pydantic error raised by these rules, else None."""
    kind = error.get("type")
    given = error.get("input")
    if kind == "string_unicode":
        return "contains an unpaired surrogate, which is not Unicode text"
    if kind != "string_pattern_mismatch" or not isinstance(given, str):
        return None
    pattern = (error.get("ctx") or {}).get("pattern")
    if pattern not in (LINE_PATTERN, TEXT_PATTERN):
        return None
    char = forbidden(given, multiline=pattern == TEXT_PATTERN)
    return why(char) if char is not None else None


def visible(text: str) -> str:
    """``text`` with every character the line rule refuses written as an escape (for error
    messages that quote what a caller sent)."""
    return _NOT_IN_LINE.sub(lambda m: m.group().encode("unicode_escape").decode(), text)
