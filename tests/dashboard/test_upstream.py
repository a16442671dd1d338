"""The upstream providers screens: add by address or from the catalogue, map components,
settings, poll now, stop following; refusals are form errors (400), nothing stored."""

from __future__ import annotations

import pytest

from incidents.enums import ComponentStatus
from incidents.models import AuditEntry
from statuspage.upstream.catalogue import CATALOGUE
from statuspage.upstream.models import ComponentLink, Provider
from tests.upstream.conftest import outage, provider_server  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def added(admin_client, provider_server):  # noqa: F811
    response = admin_client.post("/dashboard/upstream/", {"url": provider_server.url})
    provider = Provider.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/dashboard/upstream/{provider.pk}/"
    return provider


def test_the_list_offers_the_catalogue(admin_client):
    html = admin_client.get("/dashboard/upstream/").content.decode()
    for name, url in CATALOGUE:
        assert f'<option value="{url}">{name}</option>' in html
    assert "No providers yet." in html


def test_adding_by_address_is_audited_and_listed(added, admin_client):
    assert added.name == "GitHub"
    assert AuditEntry.objects.get(action="upstream.add").via == "dashboard"
    html = admin_client.get("/dashboard/upstream/").content.decode()
    assert "GitHub" in html and "OK" in html


def test_adding_nothing_or_something_broken_is_a_form_error(admin_client, provider_server):  # noqa: F811
    response = admin_client.post("/dashboard/upstream/", {})
    assert response.status_code == 400
    assert "Choose a provider or enter a status page address." in response.content.decode()
    provider_server.serve(b"oops", "application/json")
    response = admin_client.post("/dashboard/upstream/", {"url": provider_server.url})
    assert response.status_code == 400
    assert "Not JSON" in response.content.decode()
    assert not Provider.objects.exists()


def test_mapping_makes_a_component_follow(added, admin_client, api, provider_server):  # noqa: F811
    provider_server.serve_json(outage())
    response = admin_client.post(
        f"/dashboard/upstream/{added.pk}/", {"mapping": "1", "up_1": str(api.pk)}
    )
    assert response.status_code == 302
    link = ComponentLink.objects.get()
    assert (link.upstream_name, link.component) == ("Actions", api)
    admin_client.post(f"/dashboard/upstream/{added.pk}/poll/")
    api.refresh_from_db()
    assert api.status == ComponentStatus.MAJOR_OUTAGE
    html = admin_client.get(f"/dashboard/upstream/{added.pk}/").content.decode()
    assert f'<option value="{api.pk}" selected>API</option>' in html


def test_one_component_cannot_follow_two(added, admin_client, api):
    response = admin_client.post(
        f"/dashboard/upstream/{added.pk}/",
        {"mapping": "1", "up_0": str(api.pk), "up_1": str(api.pk)},
    )
    assert response.status_code == 400
    assert "A local component can follow one upstream component." in response.content.decode()
    assert not ComponentLink.objects.exists()


def test_settings_and_a_failed_poll(added, admin_client, provider_server):  # noqa: F811
    response = admin_client.post(
        f"/dashboard/upstream/{added.pk}/",
        {
            "settings": "1",
            "name": "GitHub.com",
            "enabled": "on",
            "show_incidents": "on",
            "interval_seconds": "120",
        },
    )
    assert response.status_code == 302
    added.refresh_from_db()
    assert (added.name, added.interval_seconds, added.notify_subscribers) == (
        "GitHub.com",
        120,
        False,
    )
    response = admin_client.post(
        f"/dashboard/upstream/{added.pk}/", {"settings": "1", "name": "x", "interval_seconds": "5"}
    )
    assert response.status_code == 400
    provider_server.fail_with = 502
    response = admin_client.post(f"/dashboard/upstream/{added.pk}/poll/", follow=True)
    assert "Poll failed: HTTP 502 Bad Gateway." in response.content.decode()


def test_stop_following(added, admin_client):
    response = admin_client.post(f"/dashboard/upstream/{added.pk}/delete/")
    assert response.status_code == 302
    assert not Provider.objects.exists()
