"""Many pages per install (docs/pages.md): every page-owned object belongs to one page, reads
name the page, writes stay on their page, and each page has its own public generation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from incidents import selectors, services
from incidents.enums import ComponentStatus
from incidents.models import Page, PageHost, PublicChange
from statuspage import public_cache


@pytest.fixture
def other(page):
    return Page.objects.create(name="Other", slug="other", time_zone="Europe/Berlin")


@pytest.fixture
def both(page, other, operator):
    """The same kinds of objects on both pages, named after their page."""
    made = {}
    for owner, label in ((page, "A"), (other, "B")):
        group = services.component_group_create(name=f"group {label}", actor=operator, page=owner)
        component = services.component_create(
            name=f"component {label}", actor=operator, group=group
        )
        incident = services.incident_create(
            name=f"incident {label}",
            body="Looking.",
            actor=operator,
            component_statuses={component: ComponentStatus.MAJOR_OUTAGE},
        )
        window = services.maintenance_schedule(
            name=f"window {label}",
            scheduled_for=timezone.now() + timedelta(days=1),
            scheduled_until=timezone.now() + timedelta(days=1, hours=1),
            components=[component],
            actor=operator,
        )
        template = services.incident_template_save(
            actor=operator, page=owner, name="Outage", title="Down", body="Down."
        )
        made[label] = (group, component, incident, window, template)
    return made


def _names(objects) -> set[str]:
    return {o.name for o in objects}


def test_objects_follow_their_page(page, other, both):
    group, component, incident, window, template = both["B"]
    assert {group.page_id, component.page_id, incident.page_id, window.page_id} == {other.pk}
    assert template.page_id == other.pk
    assert both["A"][1].page_id == page.pk


@pytest.mark.parametrize("ref", ["default", "page", "id"])
def test_reads_of_one_page_never_show_another_pages_objects(page, other, both, ref):
    a = {"default": None, "page": page, "id": page.pk}[ref]
    tree = selectors.component_tree(a)
    assert {g.group.name for g in tree.groups} == {"group A"}
    assert {c.name for g in tree.groups for c in g.components} == {"component A"}
    assert _names(selectors.incidents_unresolved(a)) == {"incident A"}
    assert _names(selectors.incidents_recent(page=a)) == {"incident A"}
    assert _names(selectors.incidents_matching(page=a)) == {"incident A"}
    assert _names(selectors.maintenance_upcoming(a)) == {"window A"}
    assert _names(selectors.maintenance_recent(page=a)) == {"window A"}
    assert _names(selectors.maintenance_matching(page=a)) == {"window A"}
    assert _names(selectors.incident_templates(a)) == {"Outage"}
    assert selectors.incident_templates(a).get().page_id == page.pk
    b_incident, b_window = both["B"][2], both["B"][3]
    assert selectors.incident_get(b_incident.public_id, a) is None
    assert selectors.maintenance_get(b_window.public_id, a) is None
    ids = selectors.public_ids(a)
    assert b_incident.public_id not in ids.incidents
    assert both["B"][1].public_id not in ids.components
    assert ids.incidents == [both["A"][2].public_id]


def test_reads_of_the_other_page_show_its_objects_only(other, both):
    tree = selectors.component_tree(other)
    assert [g.group.name for g in tree.groups] == ["group B"]
    assert _names(selectors.incidents_unresolved(other)) == {"incident B"}
    assert _names(selectors.maintenance_upcoming(other.pk)) == {"window B"}
    assert selectors.incident_get(both["B"][2].public_id, other) is not None
    assert selectors.incident_get(both["A"][2].public_id, other) is None


def test_the_status_summary_counts_the_pages_own_components_and_incidents(page, other, operator):
    services.component_create(name="B down", actor=operator, page=other)
    broken = Page.objects.get(pk=other.pk).components.get()
    services.component_status_set(
        component=broken, status=ComponentStatus.MAJOR_OUTAGE, actor=operator
    )
    services.component_create(name="A fine", actor=operator, page=page)
    assert selectors.status_summary(page=page)[0] == "none"
    assert selectors.status_summary(page=other)[0] == "critical"


def test_the_default_page_is_the_oldest(page, other):
    assert selectors.page_default() == page
    assert selectors.page_get() == page
    assert selectors.page_get(other.pk) == other
    assert str(selectors.page_time_zone(other)) == "Europe/Berlin"


def test_a_write_bumps_its_own_pages_generation_only(page, other, operator):
    before_a = Page.objects.get(pk=page.pk).generation
    before_b = Page.objects.get(pk=other.pk).generation
    services.component_create(name="B", actor=operator, page=other)
    assert Page.objects.get(pk=page.pk).generation == before_a
    assert Page.objects.get(pk=other.pk).generation == before_b + 1
    change = PublicChange.objects.order_by("-id").first()
    assert change is not None and change.page_id == other.pk


def test_a_change_naming_no_page_bumps_every_page(page, other):
    before = dict(Page.objects.values_list("id", "generation"))
    services.public_changed()
    after = dict(Page.objects.values_list("id", "generation"))
    assert after == {pk: generation + 1 for pk, generation in before.items()}


def test_public_documents_of_two_pages_never_share_a_cache_key(page, other):
    public_cache.local.clear()
    Page.objects.filter(pk=other.pk).update(generation=Page.objects.get(pk=page.pk).generation)
    assert public_cache.document_version(page.pk) != public_cache.document_version(other.pk)
    assert public_cache.document_version() == public_cache.document_version(page.pk)


def test_an_incident_may_not_cover_another_pages_component(page, other, operator):
    foreign = services.component_create(name="B", actor=operator, page=other)
    with pytest.raises(services.ServiceError):
        services.incident_create(
            name="x",
            body="y",
            actor=operator,
            page=page,
            component_statuses={foreign: ComponentStatus.MAJOR_OUTAGE},
        )
    assert not page.incidents.exists()
    incident = services.incident_create(name="x", body="y", actor=operator, page=page)
    with pytest.raises(services.ServiceError):
        services.incident_update_post(
            incident=incident,
            status="identified",
            body="z",
            actor=operator,
            component_statuses={foreign: ComponentStatus.MAJOR_OUTAGE},
        )
    foreign.refresh_from_db()
    assert foreign.status == ComponentStatus.OPERATIONAL


def test_maintenance_groups_and_templates_keep_to_their_page(page, other, operator):
    foreign = services.component_create(name="B", actor=operator, page=other)
    with pytest.raises(services.ServiceError):
        services.maintenance_schedule(
            name="w",
            scheduled_for=timezone.now() + timedelta(hours=1),
            scheduled_until=timezone.now() + timedelta(hours=2),
            components=[foreign],
            actor=operator,
            page=page,
        )
    group = services.component_group_create(name="g", actor=operator, page=page)
    with pytest.raises(services.ServiceError):
        services.component_group_set_members(group=group, components=[foreign], actor=operator)
    with pytest.raises(services.ServiceError):
        services.component_create(name="c", actor=operator, group=group, page=other)
    with pytest.raises(services.ServiceError):
        services.incident_template_save(
            actor=operator, page=page, components=[foreign], name="t", title="t", body="b"
        )
    assert not page.maintenances.exists()
    foreign.refresh_from_db()
    assert foreign.group_id is None


def test_template_names_are_unique_per_page(page, other, operator):
    services.incident_template_save(actor=operator, page=page, name="Outage", title="t", body="b")
    services.incident_template_save(actor=operator, page=other, name="Outage", title="t", body="b")
    assert selectors.incident_template_name_taken("outage", page=page)
    assert not selectors.incident_template_name_taken("other", page=other)
    with pytest.raises(IntegrityError), transaction.atomic():
        services.incident_template_save(
            actor=operator, page=other, name="Outage", title="t", body="b"
        )


def test_hosts_are_lowercase_names_unique_across_pages(page, other):
    PageHost.objects.create(page=page, host="status.example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        PageHost.objects.create(page=other, host="status.example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        PageHost.objects.create(page=other, host="Other.Example.com")
    for bad in ("Status.example.com", "status.example.com:8000", "-x.example", "a b", ""):
        with pytest.raises(ValidationError):
            PageHost(page=other, host=bad).full_clean()
    PageHost(page=other, host="other.example.com").full_clean()
    assert selectors.page_by_host("status.example.com") == page
    assert selectors.page_by_host("other.example.com") is None


def test_slugs_are_unique(page, other):
    with pytest.raises(IntegrityError), transaction.atomic():
        Page.objects.create(name="Again", slug="other", time_zone="UTC")
    assert selectors.page_by_slug("other") == other
