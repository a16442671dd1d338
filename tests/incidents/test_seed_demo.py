"""manage.py seed_demo: a realistic page, seeded once."""

import io
import re

from django.contrib.auth.hashers import check_password
from django.core.management import call_command

from incidents.models import (
    Audience,
    Component,
    ComponentGroup,
    ComponentStatusChange,
    Incident,
    Maintenance,
    Page,
)
from incidents.selectors import component_tree, status_summary, uptime_daily


def _counts():
    return [
        m.objects.count()
        for m in (ComponentGroup, Component, Incident, Maintenance, ComponentStatusChange)
    ]


def test_seed_demo_builds_the_demo_page(page):
    call_command("seed_demo")
    assert ComponentGroup.objects.filter(page=page).count() == 3
    assert Component.objects.filter(page=page).count() == 12
    ours = Incident.objects.filter(page=page)
    assert ours.filter(status="identified").count() == 1  # one live incident
    assert ours.filter(status="resolved").count() >= 10
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


def test_seed_demo_adds_a_private_page_and_a_page_for_two_audiences(page, settings):
    from statuspage.readers.selectors import settings_of

    settings.DEBUG = False  # the password is then a random one, shown in the output
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    internal, customers = Page.objects.get(slug="internal"), Page.objects.get(slug="customers")
    assert (internal.visibility, customers.visibility) == ("private", "audience")
    password = re.search(r"with the password (\S+)", out.getvalue())[1]
    assert len(password) >= 12
    assert check_password(password, settings_of(internal.pk).password_hash)
    assert settings_of(customers.pk).magic_link_allowed.split() == [
        "enterprise.example",
        "eu.example",
    ]
    audiences = {
        a.slug: sorted(a.components.values_list("name", flat=True))
        for a in Audience.objects.filter(page=customers)
    }
    assert audiences == {
        "enterprise": ["Dedicated API", "Single Sign-On"],
        "eu": ["EU Region", "Single Sign-On"],
    }
    assert Component.objects.filter(page=internal).count() == 4
    assert page.visibility == "public"


def test_the_internal_page_opens_with_the_password_shown(page, client, settings):
    settings.DEBUG = True
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "with the password internal" in out.getvalue()
    assert client.get("/p/internal/").status_code == 302
    signed = client.post(
        "/p/internal/readers/password", {"password": "internal", "next": "/p/internal/"}
    )
    assert signed.status_code == 302
    body = client.get("/p/internal/").content.decode()
    assert "Build servers" in body and "Build queue backed up" in body
