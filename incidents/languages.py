"""The languages the public site speaks: one list, read by the settings (LANGUAGES), the page's
default-language field and the public site's URL prefixes. No Django imports: settings load it."""

from __future__ import annotations

# (code as in URLs and Django, name in the language itself). English is the source language.
LANGUAGES: tuple[tuple[str, str], ...] = (
    ("en", "English"),
    ("de", "Deutsch"),
    ("fr", "Français"),
    ("es", "Español"),
    ("pt-br", "Português (Brasil)"),
    ("it", "Italiano"),
    ("nl", "Nederlands"),
    ("pl", "Polski"),
    ("tr", "Türkçe"),
    ("ja", "日本語"),
    ("zh-hans", "简体中文"),
    ("ar", "العربية"),
    ("he", "עברית"),
)
CODES = frozenset(code for code, _ in LANGUAGES)
DEFAULT = "en"
RIGHT_TO_LEFT = frozenset({"ar", "he"})


def validate_language(value: str) -> None:
    if value not in CODES:
        from django.core.exceptions import ValidationError

        raise ValidationError(f"{value!r} is not one of the page's languages.")


def bcp47(code: str) -> str:
    """The tag for `<html lang>`, `hreflang` and JavaScript's Intl: "pt-BR", "zh-Hans"."""
    head, _, tail = code.partition("-")
    if not tail:
        return head
    return f"{head}-{tail.upper() if len(tail) == 2 else tail.title()}"


def translated(translations: object, code: str | None, field: str) -> str | None:
    """The operator's `field` text in language `code` from a `translations` value
    ({"de": {"body": "..."}}), or None when there is none (the original stands)."""
    if not code or not isinstance(translations, dict):
        return None
    entry = translations.get(code)
    if not isinstance(entry, dict):
        return None
    value = entry.get(field)
    return value if isinstance(value, str) and value else None
