"""Webhook and chat deliveries to local HTTP receivers, signatures checked with
the standardwebhooks package; quarantine; the SSRF guard."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from incidents import services
from incidents.enums import ComponentStatus
from notifications import jobs
from notifications.models import (
    Channel,
    Delivery,
    DeliveryState,
    Event,
    Subscriber,
    SubscriberState,
)
from notifications.netguard import is_public
from notifications.services.delivery import endpoint_failure_record
from notifications.transports import Reply, TransportError
from notifications.transports.webhook import post_json


def _incident(operator, component):
    return services.incident_create(
        name="API errors",
        body="Errors on the API.",
        component_statuses={component: ComponentStatus.MAJOR_OUTAGE},
        actor=operator,
    )


def _deliver(event=None):
    event = event or Event.objects.latest("id")
    return jobs.deliver_batch(event.id, 0)


def test_webhook_payload_is_statuspage_shaped_and_signed(receiver, make_subscriber, api, operator):
    sub = make_subscriber(channel=Channel.WEBHOOK, address=receiver.url)
    incident = _incident(operator, api)
    _deliver()
    [request] = receiver.requests
    headers = {k.lower(): v for k, v in request["headers"].items()}
    payload = Webhook(sub.secret).verify(request["body"], headers)
    assert set(payload) == {"meta", "page", "incident"}
    assert payload["meta"]["unsubscribe"].startswith("https://status.example.test/unsubscribe/")
    assert payload["incident"]["id"] == incident.public_id
    assert payload["incident"]["status"] == "investigating"
    assert payload["incident"]["incident_updates"][0]["body"] == "Errors on the API."
    assert payload["incident"]["components"][0]["id"] == api.public_id
    assert payload["incident"]["created_at"].endswith("Z")
    assert payload["page"]["status_indicator"] == "critical"
    assert Delivery.objects.get().provider_id == "HTTP 204"


def test_meta_unsubscribe_of_a_received_payload_is_a_working_unsubscribe_page(
    client, receiver, make_subscriber, api, operator
):
    from urllib.parse import urlsplit

    sub = make_subscriber(channel=Channel.WEBHOOK, address=receiver.url)
    incident = _incident(operator, api)
    _deliver()
    [request] = receiver.requests
    headers = {k.lower(): v for k, v in request["headers"].items()}
    url = Webhook(sub.secret).verify(request["body"], headers)["meta"]["unsubscribe"]
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == "https://status.example.test"
    page = client.get(parts.path)
    assert page.status_code == 200
    assert b"<form" in page.content and b'method="post"' in page.content.lower()
    sub.refresh_from_db()
    assert sub.state == SubscriberState.ACTIVE  # a GET only asks
    assert client.post(parts.path).status_code == 200
    sub.refresh_from_db()
    assert sub.state == SubscriberState.UNSUBSCRIBED
    services.incident_resolve(incident=incident, body="Fixed.", actor=operator)
    _deliver()
    assert len(receiver.requests) == 1
    assert Delivery.objects.filter(subscriber=sub).count() == 1


def test_a_wrong_secret_fails_verification(receiver, make_subscriber, api, operator):
    make_subscriber(channel=Channel.WEBHOOK, address=receiver.url)
    _incident(operator, api)
    _deliver()
    [request] = receiver.requests
    headers = {k.lower(): v for k, v in request["headers"].items()}
    other = "whsec_" + "A" * 32
    with pytest.raises(Exception, match="(?i)signature"):
        Webhook(other).verify(request["body"], headers)


def test_webhook_id_is_stable_across_retries(receiver, make_subscriber, api, operator):
    make_subscriber(channel=Channel.WEBHOOK, address=receiver.url)
    _incident(operator, api)
    receiver.status = 503
    _deliver()
    assert Delivery.objects.get().state == DeliveryState.PENDING
    receiver.status = 200
    Delivery.objects.update(next_attempt_at=timezone.now())
    _deliver()
    ids = [r["headers"]["webhook-id"] for r in receiver.requests]
    assert len(ids) == 2 and ids[0] == ids[1]
    row = Delivery.objects.get()
    assert row.state == DeliveryState.SENT and row.attempts == 2


def test_gone_endpoint_fails_at_once(receiver, make_subscriber, api, operator):
    make_subscriber(channel=Channel.WEBHOOK, address=receiver.url)
    _incident(operator, api)
    receiver.status = 410
    _deliver()
    row = Delivery.objects.get()
    assert row.state == DeliveryState.FAILED and row.last_error == "HTTP 410"


def test_redirect_counts_as_failure(receiver, make_subscriber, api, operator):
    make_subscriber(channel=Channel.WEBHOOK, address=receiver.url)
    _incident(operator, api)
    receiver.status = 302
    _deliver()
    assert Delivery.objects.get().last_error == "HTTP 302"
    assert len(receiver.requests) == 1


def test_nine_failures_in_an_hour_leave_it_active_the_tenth_quarantines_and_emails(
    receiver, smtp_sink, make_subscriber, api, operator, run_jobs
):
    sub = make_subscriber(channel=Channel.WEBHOOK, address=receiver.url)
    receiver.status = 500
    incident = _incident(operator, api)
    for n in range(9):
        services.incident_update_post(
            incident=incident, status="identified", body=f"u{n}", actor=operator
        )
    events = list(Event.objects.order_by("id"))
    assert len(events) == 10
    for event in events[:9]:
        run_jobs(_deliver, event)
    sub.refresh_from_db()
    assert sub.state == SubscriberState.ACTIVE and sub.failure_count == 9
    assert smtp_sink.messages == []
    run_jobs(_deliver, events[9])
    sub.refresh_from_db()
    assert sub.state == SubscriberState.QUARANTINED and sub.quarantined_at
    assert len(receiver.requests) == 10
    [notice] = smtp_sink.messages
    assert notice["To"] == "ops@example.test"
    assert "quarantined" in notice["Subject"]
    assert "HTTP 500" in notice.get_content()
    # A quarantined endpoint gets no rows for later events.
    services.incident_resolve(incident=incident, body="Fixed.", actor=operator)
    assert not Delivery.objects.filter(event=Event.objects.latest("id")).exists()


def test_failures_older_than_an_hour_do_not_count(
    receiver, smtp_sink, make_subscriber, api, operator, run_jobs
):
    sub = make_subscriber(channel=Channel.WEBHOOK, address=receiver.url)
    long_ago = (timezone.now() - timedelta(minutes=61)).timestamp()
    # Nine failures a little over an hour ago...
    type(sub).objects.filter(pk=sub.pk).update(failure_times=[long_ago] * 9, failure_count=9)
    receiver.status = 500
    _incident(operator, api)
    run_jobs(_deliver)
    sub.refresh_from_db()
    # ...and one now: one failure in the last hour.
    assert sub.state == SubscriberState.ACTIVE and sub.failure_count == 1
    assert smtp_sink.messages == []


NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


def _fail_at(sub, minutes_ago: float) -> bool:
    at = NOW - timedelta(minutes=minutes_ago)
    return endpoint_failure_record(subscriber_id=sub.id, message="HTTP 500", at=at)


def test_ten_failures_within_any_hour_quarantine_even_across_a_window_edge(make_subscriber):
    """1 failure 72 min ago, 8 at 22 min, 1 at 11 min, 1 now: ten within the last hour. A
    window fixed at the first failure would have restarted 11 minutes ago and seen two."""
    sub = make_subscriber(channel=Channel.WEBHOOK, address="https://hooks.example.test/x")
    assert not _fail_at(sub, 72)
    assert not any(_fail_at(sub, 22) for _ in range(8))
    assert not _fail_at(sub, 11)
    sub.refresh_from_db()
    assert sub.state == SubscriberState.ACTIVE and sub.failure_count == 9
    assert _fail_at(sub, 0)
    sub.refresh_from_db()
    assert sub.state == SubscriberState.QUARANTINED


def test_failures_spread_thinner_than_ten_an_hour_never_quarantine(make_subscriber):
    sub = make_subscriber(channel=Channel.WEBHOOK, address="https://hooks.example.test/x")
    # One failure every 7 minutes for five hours: never more than 9 in any hour.
    assert not any(_fail_at(sub, minutes) for minutes in range(300, -1, -7))
    sub.refresh_from_db()
    assert sub.state == SubscriberState.ACTIVE
    assert sub.failure_count == 9 and len(sub.failure_times) == 9


def test_resubscribing_starts_the_count_afresh(make_subscriber, receiver):
    from notifications.services.subscriptions import subscriber_subscribe

    sub = make_subscriber(channel=Channel.WEBHOOK, address=receiver.url)
    for _ in range(10):
        _fail_at(sub, 0)
    subscriber_subscribe(channel="webhook", address=receiver.url, contact_email="o@x.test")
    sub.refresh_from_db()
    assert sub.failure_times == [] and sub.failure_count == 0


@pytest.mark.parametrize(
    "channel,check",
    [
        (Channel.SLACK, lambda b: b["blocks"][0]["text"]["text"].startswith("*New incident")),
        (Channel.DISCORD, lambda b: b["embeds"][0]["title"].startswith("New incident")),
        (Channel.TEAMS, lambda b: b["attachments"][0]["content"]["type"] == "AdaptiveCard"),
    ],
)
def test_chat_subscribers_get_their_native_format(
    receiver, make_subscriber, api, operator, channel, check
):
    make_subscriber(channel=channel, address=receiver.url)
    _incident(operator, api)
    _deliver()
    [request] = receiver.requests
    assert check(json.loads(request["body"]))


HOSTILE = "<!channel> <@U024BE7LH> & <https://evil.example|Status page> > @everyone <@&1>"


def _named_incident(operator, component, name, body):
    return services.incident_create(
        name=name,
        body=body,
        component_statuses={component: ComponentStatus.MAJOR_OUTAGE},
        actor=operator,
    )


def test_slack_text_is_escaped_so_a_name_cannot_ping_or_disguise_a_link(
    receiver, make_subscriber, api, operator
):
    make_subscriber(channel=Channel.SLACK, address=receiver.url)
    _named_incident(operator, api, HOSTILE, body=f"Body {HOSTILE}")
    _deliver()
    [request] = receiver.requests
    body = json.loads(request["body"])
    title, text, context = body["blocks"]
    parsed = [body["text"], title["text"]["text"], context["elements"][0]["text"]]
    # Nothing Slack parses keeps a raw control character of the name.
    for value in parsed:
        assert "<" not in value and ">" not in value
    assert title["text"] == {
        "type": "mrkdwn",
        "text": "*New incident: &lt;!channel&gt; &lt;@U024BE7LH&gt; &amp; "
        "&lt;https://evil.example|Status page&gt; &gt; @everyone &lt;@&amp;1&gt;*",
        "verbatim": True,
    }
    assert body["text"].startswith("New incident: &lt;!channel&gt;")
    assert context["elements"][0]["verbatim"] is True
    # plain_text is shown as typed (Slack parses nothing in it), so it is not escaped.
    assert text["text"] == {"type": "plain_text", "text": f"Body {HOSTILE}"}


def test_slack_escaping_handles_ampersands_first():
    from notifications.transports.chat import slack_escape

    assert slack_escape("a &lt; b <c> & d") == "a &amp;lt; b &lt;c&gt; &amp; d"


def test_discord_and_teams_carry_mention_text_inertly(receiver, make_subscriber, api, operator):
    make_subscriber(channel=Channel.DISCORD, address=f"{receiver.url}?d")
    make_subscriber(channel=Channel.TEAMS, address=f"{receiver.url}?t")
    _named_incident(operator, api, HOSTILE, body="<at>General</at>")
    _deliver()
    bodies = {r["path"]: json.loads(r["body"]) for r in receiver.requests}
    discord, teams = bodies["/hook?d"], bodies["/hook?t"]
    # Discord: no content (embeds never ping) and no mention type allowed to parse.
    assert discord["content"] is None
    assert discord["allowed_mentions"] == {"parse": []}
    assert discord["embeds"][0]["title"] == f"New incident: {HOSTILE}"
    # Teams: a mention needs an msteams entity naming the user; none is sent.
    card = teams["attachments"][0]["content"]
    assert "msteams" not in card and "entities" not in json.dumps(card)
    assert card["body"][1]["text"] == "<at>General</at>"


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",  # noqa: S104 - an address under test, not a bind
        "::1",
        "fc00::1",
        "fd00:ec2::254",
        "fe80::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "64:ff9b::a9fe:a9fe",
        "64:ff9b::7f00:1",
        "2002:7f00:1::",
    ],
)
def test_private_and_reserved_addresses_are_refused(address):
    assert not is_public(address)


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700::1111", "64:ff9b::808:808"])
def test_public_addresses_are_allowed(address):
    assert is_public(address)


def test_hostname_resolving_to_loopback_is_refused_at_connect_time(settings, receiver):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    url = receiver.url.replace("127.0.0.1", "localhost")
    with pytest.raises(TransportError) as info:
        post_json(url, b"{}", {})
    assert info.value.permanent
    assert "private" in info.value.message
    assert receiver.requests == []


@dataclass
class FakeDns:
    answers: dict = field(default_factory=dict)  # {"host": ["ip", ...]}
    asked: list = field(default_factory=list)  # (host, port) of each lookup answered


@pytest.fixture
def dns(monkeypatch):
    """Answers for chosen names. The guard asks socket.getaddrinfo (its one seam) when the
    connection opens; other names resolve as usual."""
    import socket

    fake = FakeDns()
    real = socket.getaddrinfo

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):  # noqa: A002
        if host not in fake.answers:
            return real(host, port, family, type, proto, flags)
        fake.asked.append((host, port))
        return [
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (ip, port, 0, 0))
            if ":" in ip
            else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port))
            for ip in fake.answers[host]
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return fake


@pytest.mark.parametrize(
    "answer",
    [["10.0.0.5"], ["::ffff:169.254.169.254"], ["10.0.0.5", "::ffff:169.254.169.254"]],
)
def test_a_public_name_resolving_to_a_private_address_is_refused_at_connect_time(
    settings, dns, answer
):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    dns.answers["hooks.example.test"] = answer
    with pytest.raises(TransportError) as info:
        post_json("https://hooks.example.test/status", b"{}", {})
    assert info.value.permanent
    assert info.value.message == "hooks.example.test resolves to a private or reserved address"
    # The name was judged by what it resolved to when the connection was being opened.
    assert dns.asked == [("hooks.example.test", 443)]


def test_a_subscriber_whose_name_resolves_privately_fails_with_a_clear_error(
    settings, dns, client, make_subscriber, api, operator, run_jobs
):
    """The name passes the subscribe form (only literals can be judged there) and the send
    is refused once it resolves to the metadata address."""
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    dns.answers["hooks.example.test"] = ["::ffff:169.254.169.254"]
    response = run_jobs(
        client.post,
        "/subscribe",
        {
            "channel": "webhook",
            "address": "https://hooks.example.test/status",
            "contact_email": "ops@example.test",
        },
    )
    assert response.status_code == 200
    sub = Subscriber.objects.get(channel=Channel.WEBHOOK)
    assert sub.state == SubscriberState.UNCONFIRMED  # its test delivery was refused too
    Subscriber.objects.filter(pk=sub.pk).update(
        state=SubscriberState.ACTIVE, confirmed_at=timezone.now()
    )
    _incident(operator, api)
    assert _deliver()["failed"] == 1
    row = Delivery.objects.get()
    assert row.state == DeliveryState.FAILED and row.attempts == 1
    assert row.last_error == "hooks.example.test resolves to a private or reserved address"
    assert dns.asked.count(("hooks.example.test", 443)) == 2


def test_private_endpoint_delivery_fails_without_the_test_setting(
    settings, receiver, make_subscriber, api, operator
):
    make_subscriber(channel=Channel.WEBHOOK, address=receiver.url)
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    _incident(operator, api)
    _deliver()
    row = Delivery.objects.get()
    assert row.state == DeliveryState.FAILED
    assert receiver.requests == []


def test_maintenance_payload_carries_the_schedule(receiver, make_subscriber, api, operator):
    from datetime import timedelta

    sub = make_subscriber(channel=Channel.WEBHOOK, address=receiver.url, components=[api])
    start = timezone.now() + timedelta(days=1)
    services.maintenance_schedule(
        name="DB upgrade",
        scheduled_for=start,
        scheduled_until=start + timedelta(hours=2),
        components=[api],
        remind_before_minutes=60,
        actor=operator,
    )
    _deliver()
    [request] = receiver.requests
    headers = {k.lower(): v for k, v in request["headers"].items()}
    incident = Webhook(sub.secret).verify(request["body"], headers)["incident"]
    assert incident["impact"] == "maintenance"
    assert incident["status"] == "scheduled"
    assert incident["scheduled_for"] and incident["scheduled_until"]
    assert incident["scheduled_remind_prior"] is True


def test_a_hanging_endpoint_times_out_and_is_retried(settings, make_subscriber, api, operator):
    import socket
    import threading

    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    accepted = []
    threading.Thread(target=lambda: accepted.append(server.accept()), daemon=True).start()
    port = server.getsockname()[1]
    make_subscriber(channel=Channel.WEBHOOK, address=f"http://127.0.0.1:{port}/hook")
    _incident(operator, api)
    assert _deliver()["retry"] == 1
    row = Delivery.objects.get()
    assert row.state == DeliveryState.PENDING and row.last_error == "Connection timed out"
    server.close()


class _SilentServer:
    """Accepts connections and never answers; records how many were open at once.

    Serial sending opens one at a time (each closes on its timeout before the next opens), so a
    peak of 3 proves the three hanging endpoints were waited on together, with no clock involved.
    """

    def __init__(self):
        import selectors
        import socket
        import threading

        self._selector = selectors.DefaultSelector()
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen()
        self._listener.setblocking(False)
        self._selector.register(self._listener, selectors.EVENT_READ)
        self.port = self._listener.getsockname()[1]
        self.open = 0
        self.peak = 0
        self.accepted = 0
        # How long each connection stayed open, as this server saw it, in closing order.
        self.held: list[float] = []
        self._opened: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        import selectors
        import time

        while not self._stop.is_set():
            for key, _ in self._selector.select(timeout=0.05):
                if key.fileobj is self._listener:
                    conn, _ = self._listener.accept()
                    conn.setblocking(False)
                    self._selector.register(conn, selectors.EVENT_READ)
                    self._opened[conn.fileno()] = time.monotonic()
                    self.accepted += 1
                    self.open += 1
                    self.peak = max(self.peak, self.open)
                elif not key.fileobj.recv(65536):  # the client gave up: its timeout
                    opened = self._opened.pop(key.fileobj.fileno())
                    self.held.append(time.monotonic() - opened)
                    self._selector.unregister(key.fileobj)
                    key.fileobj.close()
                    self.open -= 1

    def close(self):
        self._stop.set()
        self._thread.join()
        self._listener.close()


def test_hanging_endpoints_do_not_hold_up_healthy_ones(
    settings, receiver, make_subscriber, api, operator
):
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    settings.NOTIFY_HTTP_CONCURRENCY = 4
    silent = _SilentServer()
    try:
        for n in range(3):
            make_subscriber(channel=Channel.WEBHOOK, address=f"http://127.0.0.1:{silent.port}/{n}")
        make_subscriber(channel=Channel.WEBHOOK, address=receiver.url)
        _incident(operator, api)
        outcome = _deliver()
    finally:
        silent.close()
    assert outcome["sent"] == 1 and outcome["retry"] == 3
    assert len(receiver.requests) == 1
    assert silent.peak == 3  # waited on together, not one timeout after another


def _silent_server():
    """Accepts connections (in the listen backlog) and never answers."""
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    return server


def test_a_batch_job_tops_up_its_window_past_hanging_endpoints(
    settings, receiver, make_subscriber, api, operator
):
    """The first batch is nothing but hanging endpoints; the job still reaches the healthy
    rows of later batches while those hang, instead of waiting for them first."""
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    settings.NOTIFY_BATCH_SIZE = 2
    settings.NOTIFY_HTTP_CONCURRENCY = 3
    silent = [_silent_server() for _ in range(2)]
    for n, server in enumerate(silent):
        make_subscriber(
            channel=Channel.WEBHOOK, address=f"http://127.0.0.1:{server.getsockname()[1]}/{n}"
        )
    for n in range(5):
        make_subscriber(channel=Channel.WEBHOOK, address=f"{receiver.url}?n={n}")
    _incident(operator, api)
    outcome = _deliver()
    assert outcome == {"sent": 5, "retry": 2, "failed": 0, "dead": 0}
    assert sorted(r["path"] for r in receiver.requests) == [f"/hook?n={n}" for n in range(5)]
    # One attempt recorded per row; the hanging ones wait for their retry.
    assert set(Delivery.objects.values_list("attempts", flat=True)) == {1}
    hanging = Delivery.objects.filter(state=DeliveryState.PENDING)
    assert hanging.count() == 2
    assert set(hanging.values_list("last_error", flat=True)) == {"Connection timed out"}
    for server in silent:
        server.close()


def _dripping_server():
    """Answers 204, but one header byte every 0.4 s: each read is within the socket
    timeout, the whole answer takes about 4 s."""
    import socket
    import threading
    import time

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()

    def drip():
        conn, _ = server.accept()
        with conn:
            conn.recv(65536)
            try:
                for byte in b"HTTP/1.1 204 No Content\r\nX-Slow: " + b"a" * 10:
                    conn.sendall(bytes([byte]))
                    time.sleep(0.4 if byte == ord("a") else 0)
                conn.sendall(b"\r\nContent-Length: 0\r\n\r\n")
            except OSError:
                pass

    threading.Thread(target=drip, daemon=True).start()
    return server


def test_a_dripping_endpoint_is_cut_at_the_total_timeout(settings, make_subscriber, api, operator):
    """Each byte comes within the socket timeout, so only a deadline on the whole POST ends
    it: the answer would complete (2xx) after about 4 s, the timeout is 1 s."""
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    server = _dripping_server()
    make_subscriber(
        channel=Channel.WEBHOOK, address=f"http://127.0.0.1:{server.getsockname()[1]}/hook"
    )
    _incident(operator, api)
    assert _deliver()["retry"] == 1
    row = Delivery.objects.get()
    assert row.state == DeliveryState.PENDING and row.last_error == "Connection timed out"
    server.close()


def test_first_sends_are_claimed_before_retries(make_subscriber, api, operator):
    """A retry that is due (a hanging endpoint's, say) must not queue ahead of rows never
    tried, even with a lower id."""
    from notifications.services.delivery import deliveries_claim

    for n in range(3):
        make_subscriber(channel=Channel.WEBHOOK, address=f"https://hooks.example.test/{n}")
    _incident(operator, api)
    event = Event.objects.latest("id")
    retry, *fresh = Delivery.objects.filter(event=event).order_by("id")
    now = timezone.now()
    Delivery.objects.filter(pk=retry.pk).update(attempts=1, next_attempt_at=now)
    Delivery.objects.exclude(pk=retry.pk).update(next_attempt_at=now - timedelta(minutes=1))
    claimed = deliveries_claim(event_id=event.id, limit=2, channels=[Channel.WEBHOOK])
    assert claimed == sorted(row.pk for row in fresh)
    assert deliveries_claim(event_id=event.id, limit=2) == [retry.pk]


def test_an_unexpected_send_error_fails_its_row_only(receiver, make_subscriber, api, operator):
    make_subscriber(channel=Channel.WEBHOOK, address="http://127.0.0.1:99999/hook")
    make_subscriber(channel=Channel.WEBHOOK, address=receiver.url)
    _incident(operator, api)
    assert _deliver() == {"sent": 1, "retry": 1, "failed": 0, "dead": 0}
    assert len(receiver.requests) == 1
    odd = Delivery.objects.get(state=DeliveryState.PENDING)
    assert odd.last_error == "Could not send: ValueError"


def test_the_confirmation_post_has_the_same_total_timeout(settings):
    """Outside a delivery batch (the test POST that confirms a webhook) a timer cuts the
    POST instead: the dripping answer would be a 204 after about 4 s."""
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    server = _dripping_server()
    with pytest.raises(TransportError, match="Connection timed out"):
        post_json(f"http://127.0.0.1:{server.getsockname()[1]}/hook", b"{}", {})
    server.close()


def _backlogged_server():
    """A listener whose accept queue is full and never drained: the kernel drops further
    SYNs, so a connect to it never completes (a firewall that drops packets, on loopback)."""
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    address = server.getsockname()
    fillers = []
    for _ in range(8):
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(address)
        fillers.append(filler)
    return server, fillers


def test_a_connect_that_never_completes_ends_at_the_connect_timeout(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 30
    settings.WEBHOOK_CONNECT_TIMEOUT_SECONDS = 0.5
    settings.WEBHOOK_FIRST_BYTE_TIMEOUT_SECONDS = 30
    server, fillers = _backlogged_server()
    try:
        with pytest.raises(TransportError, match=r"^Connect timed out after 0\.5 s$"):
            post_json(f"http://127.0.0.1:{server.getsockname()[1]}/hook", b"{}", {})
    finally:
        for sock in [server, *fillers]:
            sock.close()


def test_a_connect_is_cut_by_what_is_left_of_the_total(settings):
    """A connect in progress has no socket the total's abort could shut down: its own
    timeout is cut to what is left of the total instead (0.5 s, not 30 s)."""
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.5
    settings.WEBHOOK_CONNECT_TIMEOUT_SECONDS = 30
    import time

    server, fillers = _backlogged_server()
    started = time.monotonic()
    try:
        with pytest.raises(TransportError, match=r"^Connection timed out$"):
            post_json(f"http://127.0.0.1:{server.getsockname()[1]}/hook", b"{}", {})
    finally:
        for sock in [server, *fillers]:
            sock.close()
    # Not a speed check: uncut, the connect would have run its full 30 s.
    assert time.monotonic() - started < 15


def test_an_endpoint_that_accepts_and_never_answers_ends_at_the_first_byte_timeout(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 30
    settings.WEBHOOK_CONNECT_TIMEOUT_SECONDS = 30
    settings.WEBHOOK_FIRST_BYTE_TIMEOUT_SECONDS = 0.5
    silent = _SilentServer()
    try:
        with pytest.raises(TransportError, match=r"^No answer within 0\.5 s$"):
            post_json(f"http://127.0.0.1:{silent.port}/hook", b"{}", {})
    finally:
        silent.close()
    assert silent.accepted == 1  # connected: the connect timeout was not the one that fired


def test_a_dripping_endpoint_within_the_first_byte_timeout_is_cut_by_the_total(settings):
    """Bytes every 0.4 s never trip a 0.9 s first-byte (silence) timeout; the total does."""
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    settings.WEBHOOK_CONNECT_TIMEOUT_SECONDS = 1
    settings.WEBHOOK_FIRST_BYTE_TIMEOUT_SECONDS = 0.9
    server = _dripping_server()
    with pytest.raises(TransportError, match=r"^Connection timed out$"):
        post_json(f"http://127.0.0.1:{server.getsockname()[1]}/hook", b"{}", {})
    server.close()


@pytest.mark.parametrize("channel", [Channel.WEBHOOK, Channel.SLACK])
def test_a_hanging_endpoint_frees_its_slot_before_the_total_timeout(
    settings, receiver, make_subscriber, api, operator, channel
):
    """One send slot, three endpoints that accept and never answer, then a healthy one. Each
    hanging connection is closed at the first-byte timeout, long before the 10 s total, and
    the one slot goes to the next endpoint: the silent server never sees two connections
    open at once, sees all three, and each closed well before the total."""
    settings.WEBHOOK_TIMEOUT_SECONDS = 10
    settings.WEBHOOK_FIRST_BYTE_TIMEOUT_SECONDS = 0.5
    settings.NOTIFY_HTTP_CONCURRENCY = 1
    silent = _SilentServer()
    try:
        for n in range(3):
            make_subscriber(channel=channel, address=f"http://127.0.0.1:{silent.port}/{n}")
        make_subscriber(channel=channel, address=receiver.url)
        _incident(operator, api)
        outcome = _deliver()
    finally:
        silent.close()
    assert outcome == {"sent": 1, "retry": 3, "failed": 0, "dead": 0}
    assert len(receiver.requests) == 1
    assert (silent.accepted, silent.peak) == (3, 1)
    assert len(silent.held) == 3 and max(silent.held) < settings.WEBHOOK_TIMEOUT_SECONDS
    hanging = Delivery.objects.filter(state=DeliveryState.PENDING)
    assert set(hanging.values_list("last_error", flat=True)) == {"No answer within 0.5 s"}


def test_a_refused_connect_is_a_connection_failure_not_a_timeout(settings):
    import socket

    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))  # bound, never listening: the kernel refuses at once
    try:
        with pytest.raises(TransportError, match=r"^Connection failed: .*refused"):
            post_json(f"http://127.0.0.1:{closed.getsockname()[1]}/hook", b"{}", {})
    finally:
        closed.close()


def test_failures_recorded_in_one_group_count_as_if_recorded_one_by_one(make_subscriber):
    """The window edge of the test above, in one group (one flush of a batch): each failure
    is judged against the hour before it, so the 72-minute-old one drops out only when the
    failure a full hour after it is counted, and the tenth in the hour quarantines once."""
    from notifications.services.delivery import endpoint_failures_record

    sub = make_subscriber(channel=Channel.WEBHOOK, address="https://hooks.example.test/x")
    other = make_subscriber(channel=Channel.WEBHOOK, address="https://hooks.example.test/y")
    minutes = [72, *[22] * 8, 11]
    group = [(sub.id, f"HTTP 50{n % 3}", NOW - timedelta(minutes=m)) for n, m in enumerate(minutes)]
    group.insert(3, (other.id, "HTTP 500", NOW - timedelta(minutes=22)))
    assert endpoint_failures_record(group) == []
    sub.refresh_from_db()
    assert sub.state == SubscriberState.ACTIVE and sub.failure_count == 9
    assert min(sub.failure_times) == (NOW - timedelta(minutes=22)).timestamp()
    again = [(sub.id, "HTTP 503", NOW), (sub.id, "HTTP 504", NOW), (other.id, "x", NOW)]
    assert endpoint_failures_record(again) == [sub.id]
    sub.refresh_from_db()
    other.refresh_from_db()
    assert sub.state == SubscriberState.QUARANTINED and sub.failure_count == 10
    assert other.state == SubscriberState.ACTIVE and other.failure_count == 2


def test_ten_failures_in_one_group_quarantine_and_tell_the_contact_once(
    smtp_sink, make_subscriber, run_jobs
):
    from notifications.services.delivery import endpoint_failures_record

    sub = make_subscriber(channel=Channel.WEBHOOK, address="https://hooks.example.test/x")
    group = [(sub.id, f"HTTP {500 + n}", NOW + timedelta(seconds=n)) for n in range(12)]
    assert run_jobs(endpoint_failures_record, group) == [sub.id]
    sub.refresh_from_db()
    assert sub.state == SubscriberState.QUARANTINED
    assert (
        sub.failure_count == 10 and sub.failure_times[0] == (NOW + timedelta(seconds=2)).timestamp()
    )
    [notice] = smtp_sink.messages
    assert "HTTP 509" in notice.get_content()  # the failure that crossed the line


def _answering_server(answer: bytes):
    """Reads one request and writes `answer` as it is, then closes: answers no HTTP server
    library would write."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()

    def serve():
        conn, _ = server.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(answer)

    threading.Thread(target=serve, daemon=True).start()
    return server, f"http://127.0.0.1:{server.getsockname()[1]}/hook"


def test_a_chunked_answer_is_read_for_the_log(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    server, url = _answering_server(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n7;x=y\r\n, world\r\n0\r\n\r\n"
    )
    with server:
        assert post_json(url, b"{}", {}) == Reply(code="HTTP 200", text="hello, world")


def test_only_the_start_of_a_large_answer_is_read(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    body = b"x" * 5000
    server, url = _answering_server(
        b"HTTP/1.1 500 Oops\r\nContent-Length: 5000\r\n\r\n" + body[:3000]
    )
    with server, pytest.raises(TransportError) as info:
        post_json(url, b"{}", {})
    assert info.value.message == "HTTP 500"
    assert info.value.reply.text == "x" * 299 + "…"


@pytest.mark.parametrize(
    "answer,message",
    [
        (b"", "Connection failed: Remote end closed connection without response"),
        (
            b"SSH-2.0-OpenSSH_9.6\r\n\r\n",
            "Connection failed: Bad status line: 'SSH-2.0-OpenSSH_9.6'",
        ),
        (b"HTTP/1.1 204 No Co", "Connection failed: Remote end closed connection without response"),
    ],
)
def test_an_answer_that_is_not_http_is_a_connection_failure(settings, answer, message):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    server, url = _answering_server(answer)
    with server, pytest.raises(TransportError) as info:
        post_json(url, b"{}", {})
    assert info.value.message == message and not info.value.permanent


def test_the_request_is_what_a_receiver_expects(receiver):
    post_json(receiver.url + "?a=1", b'{"x":1}', {"webhook-id": "msg_1"})
    [request] = receiver.requests
    assert request["path"] == "/hook?a=1" and request["body"] == b'{"x":1}'
    headers = request["headers"]
    port = receiver.url.split(":")[2].split("/")[0]
    assert headers["Host"] == f"127.0.0.1:{port}"
    assert headers["Content-Type"] == "application/json"
    assert headers["Content-Length"] == "7" and headers["webhook-id"] == "msg_1"
    assert headers["User-Agent"] == "statuspage-notifications/1.0"


def test_only_http_and_https_urls_are_posted_to():
    with pytest.raises(TransportError, match="Not an http") as info:
        post_json("ftp://hooks.example.test/x", b"{}", {})
    assert info.value.permanent


@pytest.fixture
def tls_receiver(tmp_path, settings):
    """An HTTPS endpoint on loopback with a self-signed certificate for `localhost`: the
    answer of a receiver whose certificate nobody vouches for."""
    import datetime as dt
    import socket
    import ssl
    import threading

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    start = dt.datetime(2020, 1, 1, tzinfo=UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=36500))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    handshakes = []

    def serve():
        conn, _ = server.accept()
        try:
            with context.wrap_socket(conn, server_side=True) as tls:
                handshakes.append("done")
                tls.recv(65536)
                tls.sendall(b"HTTP/1.1 204 No Content\r\n\r\n")
        except (ssl.SSLError, OSError):
            handshakes.append("refused by the client")

    threading.Thread(target=serve, daemon=True).start()
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    yield f"https://localhost:{server.getsockname()[1]}/hook", handshakes, tmp_path / "cert.pem"
    server.close()


def test_an_https_endpoint_whose_certificate_is_not_trusted_fails_with_a_tls_error(
    tls_receiver,
):
    url, handshakes, _cert = tls_receiver
    with pytest.raises(TransportError) as info:
        post_json(url, b"{}", {})
    assert info.value.message == "TLS error: CERTIFICATE_VERIFY_FAILED"
    assert not info.value.permanent


def test_an_https_endpoint_with_a_trusted_certificate_is_posted_to(tls_receiver, monkeypatch):
    import ssl

    from notifications.transports import webhook

    url, handshakes, cert = tls_receiver
    # The process-wide verifying context, trusting this test's certificate authority only.
    monkeypatch.setattr(webhook, "_TLS", ssl.create_default_context(cafile=str(cert)))
    assert post_json(url, b"{}", {}) == Reply(code="HTTP 204", text="")
    assert handshakes == ["done"]
