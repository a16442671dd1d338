"""Shared model bases and field checks: public ids, time zones, and the text rule of every
save."""

from __future__ import annotations

import re
import secrets
import zoneinfo
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.base import ModelBase

from incidents.errors import ServiceError

_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def new_public_id() -> str:
    """A 12-char lowercase base36 id, the form Statuspage clients expect (about 62 bits)."""
    return "".join(secrets.choice(_BASE36) for _ in range(12))


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"{value!r} is not an IANA time zone name.") from None


# Markdown bodies and descriptions: far beyond any real update, small enough to render.
MAX_TEXT_LENGTH = 100_000


# C0 controls but tab, line feed and carriage return (typed text has those), and DEL: XML 1.0
# cannot carry most of them (one in an update would break both feeds for every reader), SMS
# and email headers mangle them, and nobody types them on purpose. Lone surrogates (a JSON
# "\ud800") cannot be encoded as UTF-8 at all.
_FORBIDDEN_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def text_problem(value: str) -> str | None:
    """What is wrong with a text value's characters, or None: the one rule for all input."""
    match = _FORBIDDEN_CHARACTER.search(value)
    if match is None:
        return None
    code = ord(match.group())
    if 0xD800 <= code <= 0xDFFF:
        return f"contains an invalid character (a lone surrogate, U+{code:04X})"
    name = " (NUL)" if code == 0 else ""
    return f"contains a control character (U+{code:04X}{name})"


def check_text_fields(obj: models.Model) -> None:
    """Refuse text the database would refuse (or should not hold) with a ServiceError naming
    the field: over-long values (SQLite does not enforce max_length, PostgreSQL fails with a
    DataError), control characters other than tab and newlines, and lone surrogates (see
    text_problem). Every write path, the API included, then answers a clear 4xx instead of a
    500, and the service's transaction leaves nothing half-written."""
    for field in obj._meta.concrete_fields:
        if not isinstance(field, models.CharField | models.TextField):
            continue
        value = getattr(obj, field.attname)
        if not isinstance(value, str):
            continue
        limit = field.max_length or MAX_TEXT_LENGTH
        label = str(field.verbose_name).capitalize()
        if len(value) > limit:
            raise ServiceError(
                f"{label} is too long ({len(value)} characters; at most {limit}).",
                field=field.name,
            )
        problem = text_problem(value)
        if problem is not None:
            raise ServiceError(f"{label} {problem}.", field=field.name)


class CheckedModel(models.Model):
    """Text fields are checked on every save (see check_text_fields)."""

    class Meta:
        abstract = True

    def save(
        self,
        *,
        force_insert: bool | tuple[ModelBase, ...] = False,
        force_update: bool = False,
        using: str | None = None,
        update_fields: Iterable[str] | None = None,
    ) -> None:
        check_text_fields(self)
        super().save(
            force_insert=force_insert,
            force_update=force_update,
            using=using,
            update_fields=update_fields,
        )


class PublicIdModel(CheckedModel):
    public_id = models.CharField(max_length=12, unique=True, default=new_public_id, editable=False)

    class Meta:
        abstract = True
