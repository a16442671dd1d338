"""Incident templates: operators' prepared incidents, checked by rendering them when saved."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from incidents.errors import ServiceError
from incidents.models import Component, IncidentTemplate
from incidents.services.common import Actor, PageRef, audit_record, audit_snapshot
from incidents.templating import TemplateRenderError, render_sandboxed, template_context

TEMPLATE_FIELDS = ("name", "title", "body", "status", "component_status")


def incident_template_save(
    *,
    actor: Actor,
    template: IncidentTemplate | None = None,
    components: Iterable[Component] = (),
    page: PageRef | None = None,
    **fields: str,
) -> IncidentTemplate:
    """Create (template=None) or update an incident template. Its title and body must render
    with sample values, so a typo is refused here rather than when an incident is declared."""
    unknown = set(fields) - set(TEMPLATE_FIELDS)
    if unknown:
        raise ServiceError(f"Cannot set {', '.join(sorted(unknown))} on a template.")
    components = list(components)
    sample = template_context("Example", [c.name for c in components] or ["API"])
    for name in ("title", "body"):
        try:
            render_sandboxed(fields.get(name, ""), sample)
        except TemplateRenderError as exc:
            raise ServiceError(str(exc), field=name) from None
    with transaction.atomic():
        creating = template is None
        if template is None:
            template = IncidentTemplate()
            if page is not None:
                template.page_id = page if isinstance(page, int) else page.pk
        if any(c.page_id != template.page_id for c in components):
            raise ServiceError(
                "A template names components of its own page only.", field="components"
            )
        before = None if creating else audit_snapshot(template, TEMPLATE_FIELDS)
        for name, value in fields.items():
            setattr(template, name, value)
        template.save()
        template.components.set(components)
        audit_record(
            actor=actor,
            action="incident_template.create" if creating else "incident_template.update",
            obj=template,
            before=before,
            after=audit_snapshot(template, TEMPLATE_FIELDS),
        )
    return template


def incident_template_delete(*, actor: Actor, template: IncidentTemplate) -> None:
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="incident_template.delete",
            obj=template,
            before={"name": template.name},
        )
        template.delete()
