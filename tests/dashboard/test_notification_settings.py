"""The page's notification sender form: admins only, saved with an audit entry, the secret
generated (never typed) and kept out of the audit log, bad values refused with a 400."""

from __future__ import annotations

import pytest

from incidents.models import AuditEntry, Page
from notifications import senders
from notifications.models import PageNotificationSettings

pytestmark = pytest.mark.django_db

URL = "/dashboard/settings/notifications/"


def test_only_admins_open_it(viewer_client, responder_client, admin_client):
    assert viewer_client.get(URL).status_code == 403
    assert responder_client.post(URL, {"from_name": "X"}).status_code == 403
    assert admin_client.get(URL).status_code == 200
    assert not PageNotificationSettings.objects.exists()


def test_an_admin_sets_the_pages_sender(admin_client, page):
    response = admin_client.post(
        URL,
        {
            "from_name": "Acme Status",
            "from_email": "status@acme.test",
            "reply_to": "help@acme.test",
            "sms_from_number": "+15005550010",
            "sms_messaging_service_sid": "",
            "webhook_secret_action": "new",
        },
    )
    assert response.status_code == 302
    row = PageNotificationSettings.objects.get(page=Page.objects.order_by("id").first())
    assert row.webhook_secret.startswith("whsec_")
    sender = senders.sender_for(None)
    assert sender.from_email == "Acme Status <status@acme.test>"
    assert sender.reply_to == "help@acme.test" and sender.sms_from_number == "+15005550010"
    assert sender.webhook_secret == row.webhook_secret
    entry = AuditEntry.objects.get(action="page.notification_settings_updated")
    assert row.webhook_secret not in str(entry.after)
    html = admin_client.get(URL).content.decode()
    assert "Acme Status &lt;status@acme.test&gt;" in html and row.webhook_secret in html
    # Kept unless asked: saving again does not change the secret.
    admin_client.post(URL, {"from_name": "Acme", "webhook_secret_action": "keep"})
    row.refresh_from_db()
    assert row.webhook_secret == sender.webhook_secret and row.from_email == ""


def test_bad_values_are_refused(admin_client, page):
    response = admin_client.post(
        URL,
        {
            "from_email": "not an address",
            "sms_from_number": "5550010",
            "sms_messaging_service_sid": "MGxyz",
            "webhook_secret_action": "keep",
        },
    )
    assert response.status_code == 400
    assert not PageNotificationSettings.objects.exists()
