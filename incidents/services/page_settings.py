"""Editing the page's own settings (name, URL, time zone, uptime weights and thresholds) and
its branding (logo, favicon, colours, custom CSS, footer links)."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from incidents import branding
from incidents.errors import ServiceError
from incidents.models import Page, PageHost, validate_host
from incidents.services.common import (
    Actor,
    PageRef,
    audit_record,
    audit_snapshot,
    page_lock,
    public_changed,
)

PAGE_FIELDS = (
    "name",
    "url",
    "time_zone",
    "language",
    "partial_outage_weight",
    "degraded_weight",
    "uptime_thresholds_minutes",
    "notify_component_changes",
    "logo_url",
    "logo",
    "favicon",
    "accent_color",
    "status_colors",
    "custom_css",
    "footer_links",
    "visibility",
)
# Set through `logo_image` / `favicon_image` (checked bytes) or cleared with "": never a name
# from outside, which could point at any stored file.
IMAGE_FIELDS = {"logo": branding.LOGO, "favicon": branding.FAVICON}


def page_update(
    page_ref: PageRef | None = None,
    /,
    *,
    actor: Actor,
    logo_image: bytes | None = None,
    favicon_image: bytes | None = None,
    **fields: object,
) -> Page:
    """Change page settings; the model's validators and constraints are the rules.

    `logo_image` / `favicon_image` are uploaded files' bytes: decoded and checked here, stored
    only once every other value is valid, so a refused change writes nothing and leaves the
    old images in place. `page_ref` names the page (None: the default page). `hosts`, when
    given, replaces the host names the page answers on."""
    hosts = fields.pop("hosts", None)
    if hosts is not None and not isinstance(hosts, list):
        raise ServiceError("hosts must be a list of host names.", field="hosts")
    unknown = set(fields) - set(PAGE_FIELDS)
    if unknown:
        raise ServiceError(f"Cannot change {', '.join(sorted(unknown))} here.")
    for name in IMAGE_FIELDS:
        if fields.get(name, "") != "":
            raise ServiceError(f"Upload the {name}; it cannot be named.", field=name)
    images = _checked_images(logo=logo_image, favicon=favicon_image)
    wanted_hosts = None if hosts is None else _checked_hosts(hosts)
    with transaction.atomic():
        page = page_lock(page_ref)
        before = _audit_values(page)
        if wanted_hosts is not None:
            before["hosts"] = _hosts_of(page)
            _hosts_set(page, wanted_hosts)
        for name, value in fields.items():
            setattr(page, name, value)
        try:
            page.full_clean()
        except ValidationError as exc:
            field, messages = next(iter(exc.message_dict.items()))
            raise ServiceError(" ".join(messages), field=field) from None
        for name, image in images.items():
            try:
                setattr(page, name, branding.store_image(image))
            except OSError:
                raise ServiceError(
                    f"The {name} could not be stored; try again.", field=name
                ) from None
        page.updated_at = timezone.now()
        page.save()
        after = _audit_values(page)
        if wanted_hosts is not None:
            after["hosts"] = wanted_hosts
        # Only what changed: custom CSS alone may be 20 KB, repeated in every entry otherwise.
        changed = [k for k in after if after[k] != before[k]]
        audit_record(
            actor=actor,
            action="page.update",
            obj=page,
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed},
        )
        public_changed(page=page)
    return page


def page_create(*, actor: Actor, name: str, slug: str, hosts: list[str] | None = None) -> Page:
    """A new, empty page (no components yet) served at `/p/<slug>/` and on `hosts`.

    It starts with the default page's time zone and language; everything else is the model's
    defaults, changed afterwards in the page settings."""
    name, slug = (name or "").strip(), (slug or "").strip().lower()
    if not name:
        raise ServiceError("Give the page a name.", field="name")
    wanted_hosts = _checked_hosts(hosts or [])
    with transaction.atomic():
        template = page_lock(None) if Page.objects.exists() else None
        page = Page(
            name=name,
            slug=slug,
            time_zone=template.time_zone if template else "UTC",
            language=template.language if template else "en",
            # As decimals: the model's float defaults fail its own decimal-places check.
            partial_outage_weight=Decimal("0.3"),
            degraded_weight=Decimal("0"),
        )
        if Page.objects.filter(slug=slug).exists():
            raise ServiceError("Another page has this slug.", field="slug")
        try:
            page.full_clean()
        except ValidationError as exc:
            field, messages = next(iter(exc.message_dict.items()))
            raise ServiceError(" ".join(messages), field=field) from None
        page.save()
        _hosts_set(page, wanted_hosts)
        audit_record(
            actor=actor,
            action="page.create",
            obj=page,
            after={"name": name, "slug": slug, "hosts": wanted_hosts},
        )
        public_changed(page=page)
    return page


def _checked_hosts(hosts: list[str]) -> list[str]:
    """Host names as a Host header carries them: lowercase, without port, each once."""
    out: list[str] = []
    for raw in hosts:
        host = str(raw).strip().lower()
        try:
            validate_host(host)
        except ValidationError as exc:
            raise ServiceError(" ".join(exc.messages), field="hosts") from None
        if host not in out:
            out.append(host)
    return out


def _hosts_of(page: Page) -> list[str]:
    return list(page.hosts.order_by("id").values_list("host", flat=True))


def _hosts_set(page: Page, hosts: list[str]) -> None:
    taken = (
        PageHost.objects.filter(host__in=hosts).exclude(page=page).values_list("host", flat=True)
    )
    if taken:
        raise ServiceError(f"Another page answers on {sorted(taken)[0]}.", field="hosts")
    page.hosts.exclude(host__in=hosts).delete()
    kept = set(page.hosts.values_list("host", flat=True))
    PageHost.objects.bulk_create(PageHost(page=page, host=h) for h in hosts if h not in kept)


def _checked_images(**uploads: bytes | None) -> dict[str, branding.CheckedImage]:
    images = {}
    for name, data in uploads.items():
        if data is None:
            continue
        try:
            images[name] = branding.check_image(data, IMAGE_FIELDS[name])
        except ValidationError as exc:
            raise ServiceError(" ".join(exc.messages), field=name) from None
    return images


def _audit_values(page: Page) -> dict[str, object]:
    return {
        k: str(v) if k.endswith("weight") else v
        for k, v in audit_snapshot(page, PAGE_FIELDS).items()
    }
