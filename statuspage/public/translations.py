"""Operator-written translations on the public pages: an incident's or window's name and an
update's body in the reader's language (the active one), else the original, which is in the
page's default language. Pure functions: the translations ride on the objects already loaded."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from babel import Locale, UnknownLocaleError
from django.utils import translation

from incidents.languages import LANGUAGES, bcp47, translated

_NATIVE = dict(LANGUAGES)


@dataclass(frozen=True)
class Shown:
    """What a reader gets: `text`, and when it is a translation, the `original` and its
    language (`source`, a code) so the page can say so and offer the original."""

    text: str
    original: str | None = None
    source: str | None = None

    @property
    def source_tag(self) -> str:
        return bcp47(self.source or "en")

    @property
    def source_name(self) -> str:
        """The original's language named in the reader's: "Englisch" on a German page."""
        return language_name(self.source or "en", translation.get_language() or "en")


def name(obj) -> str:
    """An incident's or window's name in the reader's language, else the original."""
    return translated(obj.translations, translation.get_language(), "name") or obj.name


def body(update, page) -> Shown:
    """An update's body in the reader's language, else the original (page's language)."""
    reader = translation.get_language()
    if reader == page.language:
        return Shown(update.body)
    text = translated(update.translations, reader, "body")
    if text is None:
        return Shown(update.body)
    return Shown(text, original=update.body, source=page.language)


@functools.lru_cache(maxsize=256)
def language_name(code: str, reader: str) -> str:
    try:
        locale = Locale.parse(translation.to_locale(reader))
    except (UnknownLocaleError, ValueError):
        return _NATIVE.get(code, code)
    key = translation.to_locale(code)
    names = locale.languages
    return names.get(key) or names.get(key.split("_")[0]) or _NATIVE.get(code, code)
