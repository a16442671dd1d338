"""A SIGTERM that reaches the process running a batch (an RQ work horse) stops the batch after
the message in hand: what went out is recorded, the rest is released uncounted. In-process,
so it runs in both CI modes; the real worker processes are in test_workers.py."""

from __future__ import annotations

import signal
import threading

import pytest

from incidents import services
from incidents.enums import ComponentStatus
from notifications.models import Delivery, DeliveryState, Event
from notifications.services import delivery
from notifications.services.delivery import batch
from tests.faults.support import SmtpSink


class _TermAfter(SmtpSink):
    """Signals the main thread once `after` messages have arrived."""

    def __init__(self, after: int):
        super().__init__()
        self.after = after
        self.main = threading.main_thread().ident

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        answer = await super().handle_DATA(server, session, envelope)
        if self.received() == self.after:
            signal.pthread_kill(self.main, signal.SIGTERM)
        return answer


@pytest.fixture(autouse=True)
def _default_sigterm():
    """As in an RQ work horse. (An in-process RQ worker run by an earlier test may have left
    its own handler installed.)"""
    previous = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    yield
    signal.signal(signal.SIGTERM, previous)


@pytest.fixture
def term_sink(settings):
    sink = _TermAfter(after=3).start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
    yield sink
    sink.stop()


def test_sigterm_mid_batch_records_the_sent_and_releases_the_rest(
    term_sink, email_subscribers, operator, api, settings, monkeypatch
):
    resent = []
    # Once the batch is wound up the signal is raised again; here it is only recorded.
    monkeypatch.setattr(batch.os, "kill", lambda pid, sig: resent.append(sig))
    settings.NOTIFY_BATCH_SIZE = 10
    email_subscribers(10)
    services.incident_create(
        name="Checkout errors",
        body="Investigating.",
        component_statuses={api: ComponentStatus.MAJOR_OUTAGE},
        actor=operator,
    )
    event = Event.objects.get()
    counts = delivery.batch_deliver(event_id=event.id)
    rows = Delivery.objects.filter(event=event)
    sent = rows.filter(state=DeliveryState.SENT)
    # The message in flight when the signal came is finished and recorded, nothing after it.
    assert counts["sent"] == sent.count() == term_sink.received() == 3
    released = rows.filter(state=DeliveryState.PENDING)
    assert released.count() == 7
    assert set(released.values_list("attempts", flat=True)) == {0}
    assert not rows.filter(state=DeliveryState.SENDING).exists()
    assert resent == [signal.SIGTERM]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_a_batch_without_a_signal_sends_everything(
    sink, email_subscribers, operator, api, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
    settings.NOTIFY_BATCH_SIZE = 10
    email_subscribers(4)
    services.incident_create(
        name="Checkout errors",
        body="Investigating.",
        component_statuses={api: ComponentStatus.MAJOR_OUTAGE},
        actor=operator,
    )
    event = Event.objects.get()
    assert delivery.batch_deliver(event_id=event.id)["sent"] == 4
    assert sink.received() == 4
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
