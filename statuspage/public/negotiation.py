"""Which form of the front page a request gets: the HTML page, or the Markdown status
(/index.md) for AI agents and terminals. Pure functions of the request's headers: the view and
the WSGI fast path (statuspage/public_cache/) both call `front_page`, so they always agree.

The rules, in order:
1. The client names `text/markdown` and rates it at least as high as `text/html`, or it
   refuses `text/html` (q=0) while taking Markdown: Markdown.
2. The client names `text/html` (every browser does, also for `Accept: text/html, */*`): HTML.
3. Neither is named (`*/*`, `text/*`, no Accept at all): the program decides. curl, Wget,
   HTTPie and xh get Markdown, which reads well in a terminal; everything else gets HTML
   (link-preview robots, monitors checking the page, scripts that scrape it).

Only in case 3 does the answer depend on User-Agent, so only those answers say
`Vary: Accept, User-Agent`; the others say `Vary: Accept`, and a shared cache keys browsers'
pages on their few Accept values instead of on every browser version.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from statuspage.public import language
from statuspage.public_cache import Variant

MARKDOWN = Variant("md", "Accept")
HTML = Variant("html", "Accept")
MARKDOWN_FOR_PROGRAM = Variant("md", "Accept, User-Agent")
HTML_FOR_PROGRAM = Variant("html", "Accept, User-Agent")

# The command-line HTTP clients whose users read the answer in a terminal.
TERMINAL_CLIENTS = re.compile(r"(?:curl|wget2?|httpie|xh)/", re.IGNORECASE)

_Ranges = list[tuple[str, float]]


def parse_accept(header: str | None) -> _Ranges:
    """The media ranges of an Accept header with their q-values, lowercased. No header (or an
    empty one) accepts anything, as RFC 9110 says; a malformed entry is skipped."""
    if header is None or not header.strip():
        return [("*/*", 1.0)]
    ranges: _Ranges = []
    for part in header.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        media = media.lower()
        kind, slash, sub = media.partition("/")
        if not slash or not kind or not sub or (kind == "*" and sub != "*"):
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = -1.0
        if q >= 0:
            ranges.append((media, q))
    return ranges


def quality(ranges: _Ranges, media: str) -> float:
    """The q-value of `media` (type/subtype): from the most specific range matching it."""
    kind = media.partition("/")[0]
    best: tuple[int, float] = (-1, 0.0)
    for candidate, q in ranges:
        if candidate == media:
            specificity = 2
        elif candidate == f"{kind}/*":
            specificity = 1
        elif candidate == "*/*":
            specificity = 0
        else:
            continue
        if specificity > best[0]:
            best = (specificity, q)
    return best[1]


def _named(ranges: _Ranges, media: str) -> float | None:
    """The q-value the client gave `media` by name, None when it did not name it."""
    values = [q for candidate, q in ranges if candidate == media]
    return max(values) if values else None


def front_page(header: Callable[[str], str | None]) -> Variant:
    """The front page's form for a request; `header` reads a request header by name."""
    decided = _by_accept(header("Accept"))
    if isinstance(decided, Variant):
        return decided
    agent = header("User-Agent") or ""
    if decided and TERMINAL_CLIENTS.match(agent.strip()):
        return MARKDOWN_FOR_PROGRAM
    return HTML_FOR_PROGRAM


# Browsers send a handful of Accept values, each on every request: the answer for each is
# remembered (the fast path serves a cached `/` in tens of microseconds; parsing a browser's
# Accept takes several). Bounded, so odd values cost a parse each, never memory.
@functools.lru_cache(maxsize=256)
def _by_accept(accept: str | None) -> Variant | bool:
    """The form Accept alone decides (rules 1 and 2), or else whether Markdown is acceptable
    at all (then the User-Agent decides, rule 3)."""
    ranges = parse_accept(accept)
    q_markdown, q_html = quality(ranges, "text/markdown"), quality(ranges, "text/html")
    named_markdown = _named(ranges, "text/markdown")
    if named_markdown and named_markdown >= q_html:
        return MARKDOWN
    if q_html == 0 and q_markdown > 0:
        return MARKDOWN
    if _named(ranges, "text/html"):
        return HTML
    return q_markdown > 0


def front_page_in_reader_language(header: Callable[[str], str | None]) -> Variant:
    """`/`: the form as `front_page` chooses it and, for HTML, the reader's language
    (Accept-Language among ours; "" for none: the page's default). Each language is its own
    document, and the answer says `Vary: Accept-Language` too: a shared cache keeps one copy per
    header value, the origin one per language (statuspage/public/language.py)."""
    form = front_page(header)
    if form.name != HTML.name:
        return form  # the Markdown status is not translated
    code = language.from_accept_language(header("Accept-Language")) or ""
    return _language_variant(form.name, form.vary, code)


# Keyed on strings, whose hashes Python keeps: a Variant's is computed again on every call.
@functools.lru_cache(maxsize=64)
def _language_variant(name: str, vary: str, code: str) -> Variant:
    return Variant(f"{name}.{code}", f"{vary}, Accept-Language")
