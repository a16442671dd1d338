"""SMS length rules: what one message may cost, and how a text is made to fit.

An SMS is billed per segment. A text made only of GSM-7 characters takes 160 septets in one
segment, or 153 per segment once split (the rest carries the concatenation header); the
characters of GSM-7's extension table (`{ } [ ] ~ ^ | \\ €`) take two septets and never
straddle two segments. One character outside GSM-7 switches the whole text to UCS-2: 70
UTF-16 code units in one segment, 67 per segment once split, a surrogate pair never split.

Every notification SMS stays within MAX_SEGMENTS. Typographic characters operators often type
(curly quotes, dashes, ellipsis, special spaces) and accented Latin letters that GSM-7 lacks
are replaced by their GSM-7 look-alikes first, so a stray "’" or "ł" does not halve the
room. What does not fit gives way in order: the affected components' list (to a count), then
the title (cut at a word, with "...") down to MIN_TITLE characters, then the count, then
the rest of the title. The page name is cut by the template.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

MAX_SEGMENTS = 2
# Shorter than this, a title says less than the components' count it would make room for.
MIN_TITLE = 20

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

_REPLACEMENTS = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u2013": "-",
    "\u2014": "-",
    "\u2026": "...",
    "\u00a0": " ",
    "\u202f": " ",
    "\u2009": " ",
    "\t": " ",
}


@dataclass(frozen=True)
class Length:
    """What a text costs as an SMS: its encoding, its length in that encoding's units
    (septets or UTF-16 code units) and its segments."""

    encoding: str  # "GSM-7" or "UCS-2"
    units: int
    segments: int


def _replacement(char: str) -> str:
    if char in GSM7_BASIC or char in GSM7_EXTENSION:
        return char
    if char in _REPLACEMENTS:
        return _REPLACEMENTS[char]
    # "ł", "ş", "ő": the letter without its accent, if that is GSM-7 (NFKD splits the
    # accent off; "ł" has no decomposition and stays, so the text goes UCS-2).
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    return base if base and all(c in GSM7_BASIC for c in base) else char


def gsm_safe(text: str) -> str:
    """`text` with the characters that have a GSM-7 look-alike replaced by it."""
    if all(c in GSM7_BASIC for c in text):
        return text  # the common case, checked fast
    return "".join(_replacement(c) for c in text)


def is_gsm7(text: str) -> bool:
    return all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)


def _pack(widths: list[int], single: int, per_segment: int) -> int:
    """Segments needed for characters of these widths: one if they all fit in `single`,
    else `per_segment` each, a character never split across two."""
    total = sum(widths)
    if total <= single:
        return 1 if total else 0
    segments, used = 1, 0
    for width in widths:
        if used + width > per_segment:
            segments, used = segments + 1, 0
        used += width
    return segments


def measure(text: str) -> Length:
    if is_gsm7(text):
        widths = [2 if c in GSM7_EXTENSION else 1 for c in text]
        return Length("GSM-7", sum(widths), _pack(widths, 160, 153))
    widths = [2 if ord(c) > 0xFFFF else 1 for c in text]
    return Length("UCS-2", sum(widths), _pack(widths, 70, 67))


def fits(text: str) -> bool:
    return measure(text).segments <= MAX_SEGMENTS


def cut(text: str, limit: int) -> str:
    """`text` in at most `limit` characters, cut at a word with "..." if it was longer."""
    if len(text) <= limit:
        return text
    if limit < 4:
        return ""
    head = text[: limit - 3]
    if " " in head.strip():
        head = head.rstrip().rsplit(" ", 1)[0]
    return head.rstrip(" ,.;:-") + "..."


def components_summary(names: list[str], shown: int) -> str:
    """The first `shown` names and how many more: "API, Web and 3 more", or "5 components"."""
    if shown >= len(names):
        return ", ".join(names)
    rest = len(names) - shown
    if shown == 0:
        return f"{len(names)} component{'s' if len(names) > 1 else ''}"
    return f"{', '.join(names[:shown])} and {rest} more"


def fit(render: Callable[[str, str], str], title: str, components: list[str]) -> str:
    """The fullest text `render(title, components)` that fits MAX_SEGMENTS."""
    for shown in range(len(components), -1, -1):
        text = render(title, components_summary(components, shown))
        if fits(text):
            return text
    # The title cut, first down to MIN_TITLE with the count, then to nothing without it.
    count = components_summary(components, 0) if components else ""
    passes = ((count, min(MIN_TITLE, len(title))), ("", 0)) if count else (("", 0),)
    for listed, shortest in passes:
        for limit in range(len(title) - 1, shortest - 1, -1):
            text = render(cut(title, limit), listed)
            if fits(text):
                return text
    # Nothing fits (a public URL of hundreds of characters): the shortest text still goes.
    return render(cut(title, 0), "")
