"""Redis goes away while an operator posts an update: the post succeeds, the operator is told
the notifications wait for the queue, and when Redis is back the relay sends exactly what
was waiting, nothing that had already gone out."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rq import SimpleWorker

from incidents import services
from incidents.enums import ComponentStatus
from incidents.models import Incident
from notifications.models import Delivery, DeliveryState, Event
from notifications.services import outbox_relay
from statuspage.access.models import Membership, Role
from statuspage.dashboard.views.common import QUEUE_DOWN_WARNING

pytestmark = pytest.mark.redis


def _drain() -> None:
    """A burst worker in this process (it sees the test's uncommitted rows)."""
    import django_rq

    queues = [django_rq.get_queue(name) for name in ("notifications", "default")]
    SimpleWorker(queues, connection=queues[0].connection).work(burst=True)


@pytest.fixture
def responder_client(page):
    user = get_user_model().objects.create(username="rhea", email="rhea@example.test")
    Membership.objects.create(user=user, role=Role.RESPONDER)
    client = Client()
    client.force_login(user)
    return client


def test_an_update_posted_while_redis_is_down_is_sent_once_when_it_is_back(
    private_redis,
    sink,
    email_subscribers,
    responder_client,
    operator,
    api,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
    # Redis is the cache too in production: it goes down with the queue.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": private_redis.url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    subscribers = email_subscribers(12)
    # An earlier event, delivered while Redis was up.
    with django_capture_on_commit_callbacks(execute=True):
        services.incident_create(
            name="Checkout errors",
            body="Investigating.",
            component_statuses={api: ComponentStatus.MAJOR_OUTAGE},
            actor=operator,
        )
    _drain()
    earlier = Delivery.objects.filter(event=Event.objects.get())
    before = {
        row["id"]: row
        for row in earlier.values("id", "state", "provider_id", "attempts", "sent_at")
    }
    assert {row["state"] for row in before.values()} == {DeliveryState.SENT}
    assert len(sink.ids) == subscribers

    private_redis.stop()
    incident = Incident.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = responder_client.post(
            f"/dashboard/incidents/{incident.public_id}/update/",
            {
                "status": "identified",
                "body": "Found the bad deploy.",
                f"component_{api.pk}": ComponentStatus.MAJOR_OUTAGE,
                "notify": "on",
            },
            follow=True,
        )
    assert response.status_code == 200
    assert response.redirect_chain[-1][1] == 302
    html = response.content.decode()
    assert "Update posted." in html
    assert QUEUE_DOWN_WARNING in html
    assert incident.updates.count() == 2
    waiting = Delivery.objects.exclude(id__in=before)
    assert waiting.count() == subscribers
    assert set(waiting.values_list("state", flat=True)) == {DeliveryState.PENDING}

    private_redis.start()
    assert outbox_relay()["enqueued"] == 1
    _drain()
    assert set(waiting.values_list("state", flat=True)) == {DeliveryState.SENT}
    # The earlier event's rows were not touched, and each message reached the sink once.
    after = {
        row["id"]: row
        for row in earlier.values("id", "state", "provider_id", "attempts", "sent_at")
    }
    assert after == before
    assert len(sink.ids) == 2 * subscribers
    assert set(sink.ids.values()) == {1}
    # With the queue back, the dashboard no longer warns.
    page = responder_client.get(f"/dashboard/incidents/{incident.public_id}/")
    assert QUEUE_DOWN_WARNING not in page.content.decode()
