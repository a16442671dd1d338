"""manage.py seed_demo: a realistic page, seeded once."""

from django.core.management import call_command

from incidents.models import (
    Component,
    ComponentGroup,
    ComponentStatusChange,
    Incident,
    Maintenance,
)
from incidents.selectors import component_tree, status_summary, uptime_daily


def _counts():
    return [
        m.objects.count()
        for m in (ComponentGroup, Component, Incident, Maintenance, ComponentStatusChange)
    ]


def test_seed_demo_builds_the_demo_page(page):
    call_command("seed_demo")
    assert ComponentGroup.objects.count() == 3
    assert Component.objects.count() == 12
    assert Incident.objects.filter(status="identified").count() == 1  # one live incident
    assert Incident.objects.filter(status="resolved").count() >= 10
    assert Maintenance.objects.filter(status="scheduled").count() == 1
    assert Maintenance.objects.filter(status="completed").count() == 1
    assert status_summary() == ("major", "Partial System Outage")
    page.refresh_from_db()
    tree = component_tree()
    uptime = uptime_daily(tree.components, page=page)
    levels = [d.level for u in uptime.values() for d in u.days]
    assert any(level and level > 0 for level in levels)  # history shows in the bars
    ap_south = Component.objects.get(name="AP South")
    assert not uptime[ap_south.id].days[0].has_data  # started 40 days ago


def test_seed_demo_is_idempotent(page):
    call_command("seed_demo")
    before = _counts()
    call_command("seed_demo")
    assert _counts() == before
