"""Audiences of an audience-specific page (docs/pages.md, "Audiences"): who sees which
components. Every write bumps the page's generation: the read path keeps each audience's
rules and documents per generation (statuspage/audience_documents.py)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.validators import validate_email, validate_slug
from django.db import IntegrityError, transaction

from incidents.errors import ServiceError
from incidents.models import Audience, Component
from incidents.services.common import (
    Actor,
    PageRef,
    audit_record,
    audit_snapshot,
    page_lock,
    public_changed,
)

AUDIENCE_FIELDS = (
    "name",
    "slug",
    "position",
    "emails",
    "domains",
    "claim_name",
    "claim_value",
    "members",
)
_DOMAIN = re.compile(
    r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+"
)
MAX_RULES = 1000  # addresses, domains or members per audience


def _clean_list(values: object, field: str) -> list[str]:
    if values is None:
        return []
    if not isinstance(values, list | tuple):
        raise ServiceError(f"{field} must be a list.", field=field)
    if len(values) > MAX_RULES:
        raise ServiceError(f"At most {MAX_RULES} entries in {field}.", field=field)
    out: list[str] = []
    for raw in values:
        value = str(raw).strip().lower()
        if field == "domains":
            value = value.lstrip("@")
        if not value or value in out:
            continue
        if len(value) > 254:
            raise ServiceError(f"{value[:40]}… is too long.", field=field)
        if field == "emails":
            try:
                validate_email(value)
            except ValidationError:
                raise ServiceError(f"{value!r} is not an email address.", field=field) from None
        if field == "domains" and not _DOMAIN.fullmatch(value):
            raise ServiceError(f"{value!r} is not a domain (e.g. example.com).", field=field)
        out.append(value)
    return out


def _clean(fields: dict[str, object]) -> dict[str, object]:
    unknown = set(fields) - set(AUDIENCE_FIELDS)
    if unknown:
        raise ServiceError(f"Cannot set {', '.join(sorted(unknown))} on an audience.")
    cleaned = dict(fields)
    for name in ("emails", "domains", "members"):
        if name in cleaned:
            cleaned[name] = _clean_list(cleaned[name], name)
    for name in ("name", "slug", "claim_name", "claim_value"):
        if name in cleaned:
            cleaned[name] = str(cleaned[name] or "").strip()
    if "name" in cleaned and not cleaned["name"]:
        raise ServiceError("An audience needs a name.", field="name")
    if "slug" in cleaned:
        try:
            validate_slug(str(cleaned["slug"]))
        except ValidationError:
            raise ServiceError(
                "The slug is letters, digits, hyphens and underscores.", field="slug"
            ) from None
    if "position" in cleaned:
        try:
            cleaned["position"] = int(str(cleaned["position"]))
        except ValueError:
            raise ServiceError("The position is a whole number.", field="position") from None
        if not 0 <= int(str(cleaned["position"])) <= 1_000_000:
            raise ServiceError("The position is between 0 and 1000000.", field="position")
    return cleaned


def audience_save(
    *,
    actor: Actor,
    audience: Audience | None = None,
    page: PageRef | None = None,
    components: Iterable[Component] | None = None,
    **fields: object,
) -> Audience:
    """Create (audience=None, on `page`) or update an audience. Its components must be of its
    own page; `components` None leaves them as they are."""
    cleaned = _clean(fields)
    chosen = None if components is None else list(components)
    with transaction.atomic():
        locked = page_lock(audience.page_id if audience is not None else page)
        creating = audience is None
        if audience is None:
            if not cleaned.get("name") or not cleaned.get("slug"):
                raise ServiceError("An audience needs a name and a slug.", field="name")
            audience = Audience(page=locked)
        if chosen is not None and any(c.page_id != audience.page_id for c in chosen):
            raise ServiceError(
                "An audience names components of its own page only.", field="components"
            )
        before = None if creating else audit_snapshot(audience, AUDIENCE_FIELDS)
        for name, value in cleaned.items():
            setattr(audience, name, value)
        try:
            with transaction.atomic():
                audience.save()
        except IntegrityError:
            raise ServiceError(
                "Another audience of this page has that slug.", field="slug"
            ) from None
        if chosen is not None:
            audience.components.set(chosen)
        audit_record(
            actor=actor,
            action="audience.create" if creating else "audience.update",
            obj=audience,
            before=before,
            after=audit_snapshot(audience, AUDIENCE_FIELDS),
        )
        public_changed(page=audience.page_id)
    return audience


def audience_delete(*, actor: Actor, audience: Audience) -> None:
    """Remove an audience: its readers and subscribers then belong to none (and see and hear
    nothing of the page until an admin places them again)."""
    with transaction.atomic():
        page_lock(audience.page_id)
        audit_record(
            actor=actor, action="audience.delete", obj=audience, before={"name": audience.name}
        )
        page_id = audience.page_id
        audience.delete()
        public_changed(page=page_id)
