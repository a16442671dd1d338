"""Admin pages: page settings and operators."""

from __future__ import annotations

import re
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core import mail

from incidents.models import AuditEntry, Page
from statuspage.access.models import Membership


def _settings(**extra):
    data = {
        "name": "Acme",
        "url": "https://status.acme.test",
        "time_zone": "Europe/Berlin",
        "partial_outage_weight": "0.5",
        "degraded_weight": "0.1",
        "uptime_thresholds": "0, 10, 30, 60",
    }
    data.update(extra)
    return data


def test_admin_changes_page_settings(admin_client, page):
    response = admin_client.post("/dashboard/settings/", _settings())
    assert response.status_code == 302
    page = Page.objects.get()
    assert (page.name, page.time_zone) == ("Acme", "Europe/Berlin")
    assert page.partial_outage_weight == Decimal("0.5")
    assert page.uptime_thresholds_minutes == [0, 10, 30, 60]
    entry = AuditEntry.objects.get(action="page.update")
    assert entry.after["name"] == "Acme" and entry.after["degraded_weight"] == "0.1"


def test_page_settings_switch_component_change_notifications_on_and_off(admin_client, page):
    assert 'name="notify_component_changes"' in admin_client.get("/dashboard/settings/").text
    admin_client.post("/dashboard/settings/", _settings(notify_component_changes="on"))
    assert Page.objects.get().notify_component_changes is True
    form = admin_client.get("/dashboard/settings/").text
    [checkbox] = re.findall(r'<input[^>]*name="notify_component_changes"[^>]*>', form)
    assert "checked" in checkbox
    entry = AuditEntry.objects.filter(action="page.update").latest("id")
    assert entry.before["notify_component_changes"] is False
    assert entry.after["notify_component_changes"] is True
    # An unticked checkbox is absent from the POST: that switches it off again.
    admin_client.post("/dashboard/settings/", _settings())
    assert Page.objects.get().notify_component_changes is False


def test_bad_page_settings_are_form_errors(admin_client, page):
    response = admin_client.post(
        "/dashboard/settings/",
        _settings(time_zone="Mars/Olympus", partial_outage_weight="3", uptime_thresholds="9, 1"),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Select a valid choice" in html and "four ascending" in html
    assert Page.objects.get().time_zone != "Mars/Olympus"


def test_admin_adds_an_operator_who_gets_a_password_link(admin_client):
    response = admin_client.post(
        "/dashboard/operators/",
        {"username": "newbie", "email": "n@example.com", "role": "responder"},
    )
    assert response.status_code == 302
    user = get_user_model().objects.get(username="newbie")
    assert user.dashboard_membership.role == "responder"
    # The invitation is a password-reset mail; nobody knows the random initial password.
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["n@example.com"]
    assert "/dashboard/password-reset/" in mail.outbox[0].body


def test_taken_username_is_a_form_error(admin_client, viewer):
    response = admin_client.post(
        "/dashboard/operators/", {"username": "vera", "email": "v2@example.com", "role": "viewer"}
    )
    assert response.status_code == 400
    assert "That username is taken." in response.content.decode()


def test_admin_changes_and_removes_a_role(admin_client, viewer):
    admin_client.post(f"/dashboard/operators/{viewer.pk}/role/", {"role": "responder"})
    assert Membership.objects.get(user=viewer).role == "responder"
    admin_client.post(f"/dashboard/operators/{viewer.pk}/role/", {"role": ""})
    assert not Membership.objects.filter(user=viewer).exists()
    assert AuditEntry.objects.filter(action="operator.role").count() == 2


def test_admin_cannot_change_their_own_role(admin_client, admin_user):
    admin_client.post(f"/dashboard/operators/{admin_user.pk}/role/", {"role": "viewer"})
    assert Membership.objects.get(user=admin_user).role == "admin"
    html = admin_client.get("/dashboard/operators/").content.decode()
    assert "Ask another admin" in html


def test_bad_role_is_refused(admin_client, viewer):
    admin_client.post(f"/dashboard/operators/{viewer.pk}/role/", {"role": "emperor"})
    assert Membership.objects.get(user=viewer).role == "viewer"
