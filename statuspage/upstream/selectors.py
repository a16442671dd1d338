"""Reads of upstream providers, for the dashboard and the public pages."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, QuerySet

from incidents.selectors.shared import shared
from statuspage.upstream.models import ComponentLink, MirroredIncident, Provider


@dataclass(frozen=True)
class Source:
    """Who reported a mirrored incident, and where to read it there."""

    provider: str
    link: str


def providers() -> QuerySet[Provider]:
    return Provider.objects.annotate(mapped=Count("links"))


def provider_links(provider: Provider) -> dict[str, ComponentLink]:
    """{upstream component id: its link}."""
    links = ComponentLink.objects.filter(provider=provider).select_related("component")
    return {link.upstream_id: link for link in links}


@shared
def incident_sources(incident_ids: Iterable[int]) -> dict[int, Source]:
    """{incident id: Source} for those of these incidents that mirror a provider's (one
    query, whatever the number of incidents)."""
    rows = MirroredIncident.objects.filter(incident_id__in=list(incident_ids)).values_list(
        "incident_id", "provider__name", "link", "provider__page_url"
    )
    return {pk: Source(provider=name, link=link or page) for pk, name, link, page in rows}
