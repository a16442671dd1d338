"""/api/v1 subscribers: create per channel, filters, count, unsubscribe, resend, scopes."""

from __future__ import annotations

import pytest

from incidents.models import AuditEntry
from notifications.models import Subscriber
from statuspage.access.models import Role

pytestmark = pytest.mark.django_db


def _add(client, page_url, **fields):
    response = client.post(page_url("subscribers"), {"subscriber": fields})
    assert response.status_code == 201, response.content
    return response.json()


def test_create_each_channel(v1, page_url, api):
    client = v1()
    mail = _add(client, page_url, email="ann@example.test", skip_confirmation_notification=True)
    assert (mail["mode"], mail["email"], mail["state"]) == ("email", "ann@example.test", "active")
    assert mail["skip_confirmation_notification"] is True
    sms = _add(client, page_url, phone_number="+14155550100", component_ids=[api.public_id])
    assert (sms["mode"], sms["phone_number"], sms["state"]) == (
        "sms",
        "+14155550100",
        "unconfirmed",
    )
    assert [c["id"] for c in sms["components"]] == [api.public_id]
    hook = _add(
        client,
        page_url,
        endpoint="https://hooks.example.test/x",
        email="ops@example.test",
        skip_confirmation_notification="true",
    )
    assert (hook["mode"], hook["endpoint"], hook["email"]) == (
        "webhook",
        "https://hooks.example.test/x",
        "ops@example.test",
    )
    slack = _add(
        client,
        page_url,
        type="slack",
        endpoint="https://hooks.slack.test/x",
        skip_confirmation_notification=True,
    )
    assert slack["mode"] == "slack"
    entry = AuditEntry.objects.filter(action="subscriber.create").first()
    assert entry.via == "api"
    assert Subscriber.objects.get(public_id=mail["id"]).created_via == "api"


def test_form_body(v1, page_url):
    response = v1().post(
        page_url("subscribers"),
        {
            "subscriber[email]": "form@example.test",
            "subscriber[skip_confirmation_notification]": "1",
        },
        form=True,
    )
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({}, "email"),
        ({"email": "not-an-address"}, "email"),
        ({"phone_number": "12"}, "phone_number"),
        ({"endpoint": "https://hooks.example.test/x"}, "email"),
        ({"endpoint": "http://127.0.0.1/x", "email": "a@example.test"}, "endpoint"),
        ({"email": "a@example.test", "component_ids": ["nosuchcomp00"]}, "component_ids"),
        ({"email": "a@example.test", "type": "pigeon"}, "type"),
    ],
)
def test_create_refuses_bad_input(v1, page_url, fields, field):
    response = v1().post(page_url("subscribers"), {"subscriber": fields})
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"], response.json()
    assert not Subscriber.objects.exists()


def test_already_subscribed_is_422(v1, page_url):
    client = v1()
    _add(client, page_url, email="ann@example.test", skip_confirmation_notification=True)
    response = client.post(page_url("subscribers"), {"subscriber": {"email": "ann@EXAMPLE.test"}})
    assert response.status_code == 422
    assert "already subscribed" in response.json()["error"]


def test_list_filters_count_and_pages(v1, page_url):
    client = v1()
    for n in range(3):
        _add(client, page_url, email=f"a{n}@example.test", skip_confirmation_notification=True)
    _add(client, page_url, email="pending@example.test")
    _add(client, page_url, phone_number="+14155550100", skip_confirmation_notification=True)
    viewer = v1(Role.VIEWER)
    assert len(viewer.get(page_url("subscribers")).json()) == 4  # active by default
    emails = viewer.get(page_url("subscribers"), {"type": "email", "state": "all"}).json()
    assert len(emails) == 4
    pending = viewer.get(page_url("subscribers"), {"state": "unconfirmed"}).json()
    assert [s["email"] for s in pending] == ["pending@example.test"]
    assert [s["email"] for s in viewer.get(page_url("subscribers"), {"q": "a1@"}).json()] == [
        "a1@example.test"
    ]
    assert len(viewer.get(page_url("subscribers"), {"limit": 2, "page": 2}).json()) == 2
    assert viewer.get(page_url("subscribers/count")).json() == {"count": 4}
    assert viewer.get(page_url("subscribers/count"), {"type": "sms"}).json() == {"count": 1}
    assert viewer.get(page_url("subscribers"), {"type": "pigeon"}).status_code == 400
    assert viewer.get(page_url("subscribers"), {"state": "sleepy"}).status_code == 400


def test_get_delete_resend(v1, page_url):
    client = v1()
    pending = _add(client, page_url, email="pending@example.test")
    active = _add(client, page_url, email="on@example.test", skip_confirmation_notification=True)
    assert client.get(page_url(f"subscribers/{active['id']}")).json()["id"] == active["id"]
    response = client.post(page_url(f"subscribers/{pending['id']}/resend_confirmation"))
    assert response.status_code == 200, response.content
    response = client.post(page_url(f"subscribers/{active['id']}/resend_confirmation"))
    assert response.status_code == 422
    response = client.delete(page_url(f"subscribers/{active['id']}"))
    assert response.status_code == 200
    assert response.json()["state"] == "unsubscribed"
    assert AuditEntry.objects.filter(action="subscriber.remove", via="api").exists()
    for method, path in (
        ("get", "subscribers/nosuchsub000"),
        ("delete", "subscribers/nosuchsub000"),
        ("post", "subscribers/nosuchsub000/resend_confirmation"),
    ):
        assert getattr(client, method)(page_url(path)).status_code == 404


def test_scopes(v1, page_url):
    responder = v1(Role.RESPONDER)
    response = responder.post(page_url("subscribers"), {"subscriber": {"email": "x@example.test"}})
    assert response.status_code == 403
    assert v1(Role.VIEWER).get(page_url("subscribers")).status_code == 200
    assert not Subscriber.objects.exists()
