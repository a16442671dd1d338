"""Which language a public page is in, and the links between its languages.

The language is in the URL, so a cached page is one document per language and needs no cookie:
`/de/history` is the history in German; an unprefixed URL is the page's default language
(Page.language), except the front page `/`, which answers in the reader's language
(Accept-Language, among ours) and says `Vary: Accept-Language` (statuspage/public/negotiation.py).
`/<default>/` is the front page in the default language without negotiation: the switcher's link
for a reader who prefers another language than the browser's.

PublicLanguageMiddleware takes the prefix off the path the URL resolver reads (`path_info`),
only for the pages below; `request.path` keeps it, so the public cache keys (built from
`request.path`) and the WSGI fast path (which sees the raw path) tell the languages apart.

An install may offer fewer languages (settings.PUBLIC_LANGUAGES): the others have no switcher
link, no hreflang, no prefix (404) and are never negotiated; the page's default always is.
"""

from __future__ import annotations

import contextvars
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import Http404, HttpRequest, HttpResponsePermanentRedirect
from django.http.response import HttpResponseBase
from django.urls import Resolver404, get_script_prefix, resolve, reverse
from django.utils import translation

from incidents.languages import CODES, LANGUAGES, RIGHT_TO_LEFT, bcp47

# The translated pages: the only URLs a language prefix may precede. The front page's prefixed
# form has its own pattern (public/urls.py), so it never negotiates.
TRANSLATED = frozenset(
    {
        "public-index",
        "public-history",
        "public-uptime",
        "public-incident",
        "public-maintenance",
        "public-system-metrics",
        "public-system-metrics-period",
    }
)
# The subscribe form's addresses take a prefix too (/de/subscribe): the language the form is
# in and the subscription's. They are not documents of the site (no switcher, no hreflang).
SUBSCRIBE = frozenset({"notifications-subscribe", "notifications-sms-code"})
# The feeds take a prefix too (/de/history.atom): the same entries in another language, linked
# from that language's pages (<link rel=alternate>). Documents of their own: no switcher.
FEEDS = frozenset({"public-history-atom", "public-history-rss", "public-maintenance-ics"})
_PREFIXED = TRANSLATED | SUBSCRIBE | FEEDS
_PREFIX = re.compile(r"^/(" + "|".join(re.escape(c) for c in sorted(CODES)) + r")(/.*)?$")

# "/de" while a page renders in a language other than the page's default, else "": links
# between the translated pages keep the reader's language (see `url`).
_link_prefix: contextvars.ContextVar[str] = contextvars.ContextVar("link_prefix", default="")


def split_prefix(path: str) -> tuple[str | None, str]:
    """("de", "/history") for "/de/history"; (None, path) without a language prefix."""
    match = _PREFIX.match(path)
    if match is None:
        return None, path
    return match.group(1), match.group(2) or ""


class PublicLanguageMiddleware:
    """Everything answers in English (the dashboard, the API, errors) unless a public view
    activates the page's language; a language prefix is taken off the translated pages' paths.
    The language is reset after every request, so a thread never carries one to the next."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        code, rest = split_prefix(request.path_info)
        if code is not None:
            if rest == "":
                # "/de": the front page's address is "/de/".
                return HttpResponsePermanentRedirect(request.path + "/")
            if rest == "/":
                # Left as it is: "/de/" has its own pattern (no Accept-Language negotiation).
                request.public_language = code  # type: ignore[attr-defined]
            elif _translated(rest):
                request.path_info = rest
                request.public_language = code  # type: ignore[attr-defined]
        token = _link_prefix.set("")
        try:
            with translation.override(settings.LANGUAGE_CODE):
                return self.get_response(request)
        finally:
            _link_prefix.reset(token)


def _translated(path: str) -> bool:
    try:
        match = resolve(path)
    except Resolver404:
        return False
    return match.url_name in _PREFIXED


@functools.cache
def install_offer() -> frozenset[str]:
    """settings.PUBLIC_LANGUAGES as a set, built once (it is read on every request; the
    Accept-Language memo keys on it) and again only when a test overrides the setting."""
    return frozenset(settings.PUBLIC_LANGUAGES)


@receiver(setting_changed)
def _forget_offer(*, setting: str, **kwargs: object) -> None:
    if setting == "PUBLIC_LANGUAGES":
        install_offer.cache_clear()


def offered(page) -> frozenset[str]:
    """The languages `page` is shown in: the install's offer and the page's default."""
    return install_offer() | {page.language}


def activate(request: HttpRequest, page, code: str | None = None) -> str:
    """Put the rest of the request in the language of the page being rendered: `code` (the
    front page's negotiated one), else the URL's prefix, else the page's default. A prefix
    (or `/de/`) naming a language the install does not offer is a page that does not exist."""
    prefixed = getattr(request, "public_language", None)
    if prefixed is not None and code in (None, prefixed) and prefixed not in offered(page):
        raise Http404("This page is not offered in that language.")
    code = code or prefixed or page.language
    if code not in offered(page):
        code = page.language if page.language in CODES else settings.LANGUAGE_CODE
    translation.activate(code)
    _link_prefix.set("" if code == page.language else f"/{code}")
    return code


def url(name: str, *args, **kwargs) -> str:
    """reverse(), keeping the reader's language on links between translated pages. Under a
    page prefix reverse() carries it (statuspage/page_routing.py): the language follows it
    (`/p/<slug>/de/history`)."""
    path = reverse(name, *args, **kwargs)
    prefix = _link_prefix.get()
    if not prefix or name not in _PREFIXED:
        return path
    script = get_script_prefix().rstrip("/")
    return script + prefix + path[len(script) :]


def code() -> str:
    """The active language's code ("pt-br"): what the subscribe form posts."""
    return translation.get_language() or settings.LANGUAGE_CODE


def html_lang() -> str:
    return bcp47(translation.get_language() or settings.LANGUAGE_CODE)


def html_dir() -> str:
    return "rtl" if translation.get_language() in RIGHT_TO_LEFT else "ltr"


@dataclass(frozen=True)
class Alternate:
    code: str
    tag: str  # BCP 47, for hreflang and lang
    name: str  # in the language itself
    href: str
    current: bool


def alternates(request, page) -> list[Alternate]:
    """The page being shown in each language (the switcher and the hreflang links); none on
    pages that are not translated."""
    match = getattr(request, "resolver_match", None)
    if match is None or match.url_name not in TRANSLATED | {"public-index-in"}:
        return []
    # The path as the URLconf saw it, with its language prefix (path_info lost it) but not
    # the page's or the deployment's (the script prefix, added back to each link).
    script = get_script_prefix().rstrip("/")
    path = split_prefix(request.path[len(script) :])[1] or "/"
    query = request.META.get("QUERY_STRING", "")
    active = translation.get_language()
    shown = offered(page)
    if len(shown) < 2:
        return []  # one language: nothing to switch to
    links = []
    for code, name in LANGUAGES:
        if code not in shown:
            continue
        # The default's address is unprefixed, but for the front page's, which would
        # negotiate: there, the default's explicit one.
        href = script + (path if code == page.language and path != "/" else f"/{code}{path}")
        if query and path != "/":
            href += "?" + query
        links.append(Alternate(code, bcp47(code), name, href, code == active))
    return links


# --- Accept-Language -----------------------------------------------------------------------

# Browsers' tags that name one of our languages by another spelling.
_ALIASES = {"pt": "pt-br", "zh": "zh-hans", "zh-cn": "zh-hans", "zh-sg": "zh-hans", "iw": "he"}
_TRADITIONAL = re.compile(r"^zh-(hant|tw|hk|mo)")


def _ours(tag: str, codes: frozenset[str]) -> str | None:
    tag = tag.lower()
    if _TRADITIONAL.match(tag):
        return None
    for candidate in (tag, "-".join(tag.split("-")[:2]), tag.split("-")[0]):
        candidate = _ALIASES.get(candidate, candidate)
        if candidate in codes:
            return candidate
    return None


def from_accept_language(header: str | None) -> str | None:
    """The offered language (settings.PUBLIC_LANGUAGES) the reader rates highest (first among
    equals), None when none is acceptable: then the page's default answers."""
    if not header:
        return None
    return _best(header, install_offer())


@functools.lru_cache(maxsize=512)
def _best(header: str, codes: frozenset[str]) -> str | None:
    # Bounded memo: browsers send few distinct values, each on every request.
    best: tuple[float, int, str] | None = None
    for position, part in enumerate(header.split(",")):
        tag, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        code = _ours(tag, codes) if tag and tag != "*" else None
        if code is None or q <= 0:
            continue
        if best is None or q > best[0]:
            best = (q, position, code)
    return best[2] if best else None
