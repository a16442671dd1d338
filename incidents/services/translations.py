"""Operator-written translations of what readers and subscribers see: an incident's or a
window's name, an update's body. Stored on the object as {"de": {"name": "..."}}; the original
text is in the page's default language and is never a translation of itself."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from incidents.errors import ServiceError
from incidents.events import Touched
from incidents.languages import CODES
from incidents.models import (
    Incident,
    IncidentUpdate,
    Maintenance,
    MaintenanceUpdate,
    Page,
    text_problem,
)
from incidents.services.common import Actor, audit_record, page_lock, public_changed

# The same ceilings as the originals' (the API's and the incident form's).
LIMITS = {"name": 200, "body": 50_000}

T = TypeVar("T", bound=Incident | IncidentUpdate | Maintenance | MaintenanceUpdate)
TranslationsInput = Mapping[str, Mapping[str, object] | None]


def translation_languages(page: Page) -> frozenset[str]:
    """The languages a translation may be written in: those the install offers its readers
    (settings.PUBLIC_LANGUAGES), but the page's own, which the original is written in."""
    return (frozenset(settings.PUBLIC_LANGUAGES) & CODES) - {page.language}


def translated_field(obj: Incident | IncidentUpdate | Maintenance | MaintenanceUpdate) -> str:
    """The text of `obj` a translation replaces."""
    return "name" if isinstance(obj, Incident | Maintenance) else "body"


def translations_set(*, obj: T, translations: TranslationsInput, actor: Actor) -> T:
    """Set translations of `obj`: each language given replaces that language's text, None
    removes it, languages not given stay. Readers see the change at once (generation bump);
    nobody is notified."""
    with transaction.atomic():
        page, touched = _owner(obj)
        page_lock(page.pk)
        obj.refresh_from_db(fields=["translations"])  # as it is under the lock
        field = translated_field(obj)
        merged = dict(obj.translations or {})
        for code, entry in _validated(translations, field, page).items():
            if entry is None:
                merged.pop(code, None)
            else:
                merged[code] = entry
        before = {"translations": obj.translations}
        obj.translations = {code: merged[code] for code in sorted(merged)}
        obj.updated_at = timezone.now()
        obj.save(update_fields=["translations", "updated_at"])
        audit_record(
            actor=actor,
            action=f"{obj._meta.model_name}.translate",
            obj=obj,
            before=before,
            after={"translations": obj.translations},
        )
        public_changed(touched, page=page.pk)
    return obj


def _owner(
    obj: Incident | IncidentUpdate | Maintenance | MaintenanceUpdate,
) -> tuple[Page, Touched]:
    if isinstance(obj, IncidentUpdate):
        return obj.incident.page, Touched(incidents=(obj.incident.public_id,))
    if isinstance(obj, MaintenanceUpdate):
        return obj.maintenance.page, Touched(maintenance=(obj.maintenance.public_id,))
    if isinstance(obj, Incident):
        return obj.page, Touched(incidents=(obj.public_id,), listings=True)
    return obj.page, Touched(maintenance=(obj.public_id,), listings=True)


def _validated(translations: object, field: str, page: Page) -> dict[str, dict[str, str] | None]:
    if not isinstance(translations, Mapping):
        raise ServiceError(
            'Translations are an object of languages, e.g. {"de": {...}}.', field="translations"
        )
    allowed = translation_languages(page)
    out: dict[str, dict[str, str] | None] = {}
    for code, entry in translations.items():
        where = f"translations.{str(code)[:20]}"
        if code == page.language:
            raise ServiceError(
                f"{code!r} is the page's own language: edit the original text instead.",
                field=where,
            )
        if code not in allowed:
            offered = ", ".join(sorted(allowed)) or "none"
            raise ServiceError(
                f"{str(code)[:20]!r} is not a language this page offers ({offered}).", field=where
            )
        out[code] = None if entry is None else _entry(entry, field, where)
    return out


def _entry(entry: object, field: str, where: str) -> dict[str, str]:
    if not isinstance(entry, Mapping) or set(entry) != {field}:
        raise ServiceError(f'A translation here is {{"{field}": "..."}}.', field=where)
    text = entry[field]
    if not isinstance(text, str) or not text.strip():
        raise ServiceError(f"The translated {field} is empty.", field=f"{where}.{field}")
    problem = text_problem(text)
    if problem is not None:
        raise ServiceError(f"The translated {field} {problem}.", field=f"{where}.{field}")
    limit = LIMITS[field]
    if len(text.strip()) > limit:
        raise ServiceError(
            f"The translated {field} is too long (at most {limit} characters).",
            field=f"{where}.{field}",
        )
    return {field: text.strip()}
