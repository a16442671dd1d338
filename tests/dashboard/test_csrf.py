"""CSRF protection on the dashboard's writes: a signed-in responder's browser tricked into posting
from another site (no token) is refused with 403 and nothing is written; the same post from
the dashboard's own form (with its token) goes through."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from incidents.models import AuditEntry, Incident


@pytest.fixture
def csrf_client(responder, page):
    client = Client(enforce_csrf_checks=True)
    client.force_login(responder)
    return client


def _token(client, path: str) -> str:
    html = client.get(path).content.decode()
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def _declaration(api, web) -> dict:
    return {
        "name": "Forged",
        "status": "investigating",
        "body": "Not us.",
        "notify": "on",
        f"component_{api.pk}": "major_outage",
        f"component_{web.pk}": "major_outage",
    }


def test_declaring_without_a_token_is_403_and_writes_nothing(csrf_client, api, web):
    audit_before = AuditEntry.objects.count()
    response = csrf_client.post("/dashboard/incidents/new/", _declaration(api, web))
    assert response.status_code == 403
    assert not Incident.objects.exists()
    api.refresh_from_db()
    assert api.status == "operational"
    assert AuditEntry.objects.count() == audit_before


def test_declaring_with_the_form_s_token_goes_through(csrf_client, api, web):
    data = _declaration(api, web) | {
        "csrfmiddlewaretoken": _token(csrf_client, "/dashboard/incidents/new/")
    }
    response = csrf_client.post("/dashboard/incidents/new/", data)
    assert response.status_code == 302
    assert Incident.objects.get().name == "Forged"


def test_board_status_change_without_a_token_is_403_and_writes_nothing(csrf_client, api):
    audit_before = AuditEntry.objects.count()
    response = csrf_client.post(
        f"/dashboard/components/{api.pk}/status/", {"status": "major_outage"}
    )
    assert response.status_code == 403
    api.refresh_from_db()
    assert (api.status, api.base_status) == ("operational", "operational")
    assert AuditEntry.objects.count() == audit_before


def test_board_status_change_with_the_board_s_token_goes_through(csrf_client, api):
    token = _token(csrf_client, "/dashboard/")
    response = csrf_client.post(
        f"/dashboard/components/{api.pk}/status/",
        {"status": "major_outage", "confirmed": "on", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    api.refresh_from_db()
    assert api.status == "major_outage"


def test_a_token_from_another_browser_is_refused(csrf_client, responder, api):
    other = Client(enforce_csrf_checks=True)
    other.force_login(responder)
    foreign = _token(other, "/dashboard/")
    response = csrf_client.post(
        f"/dashboard/components/{api.pk}/status/",
        {"status": "major_outage", "csrfmiddlewaretoken": foreign},
    )
    assert response.status_code == 403
    api.refresh_from_db()
    assert api.status == "operational"
