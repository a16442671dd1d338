"""Bad addresses and bad answers: a clear error, nothing half-written; failing polls back off;
loopback and private addresses are refused unless UPSTREAM_ALLOWED_NETWORKS allows them."""

from __future__ import annotations

import json
import random
from datetime import timedelta
from ipaddress import ip_network

import pytest
from django.utils import timezone

from incidents.enums import ComponentStatus
from incidents.models import AuditEntry, Incident
from incidents.services import ServiceError
from statuspage.upstream import rules, services
from statuspage.upstream.models import Provider
from tests.upstream.conftest import outage

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://status.example.com", r"http\(s\) address"),
        ("not a url", r"http\(s\) address"),
        ("https://user:pw@status.example.com", "user name or password"),
    ],
)
def test_bad_addresses_are_refused(url, message, operator):
    with pytest.raises(ServiceError, match=message):
        services.provider_add(url=url, actor=operator)
    assert not Provider.objects.exists()


def test_loopback_is_refused_by_default(provider_server, operator, settings):
    settings.UPSTREAM_ALLOWED_NETWORKS = []
    with pytest.raises(ServiceError, match="private or reserved address"):
        services.provider_add(url=provider_server.url, actor=operator)
    assert provider_server.requests == []  # refused before connecting
    assert not Provider.objects.exists()
    assert not AuditEntry.objects.filter(action="upstream.add").exists()


def test_another_allowed_network_does_not_open_loopback(provider_server, operator, settings):
    settings.UPSTREAM_ALLOWED_NETWORKS = [ip_network("10.0.0.0/8")]
    with pytest.raises(ServiceError, match="private or reserved address"):
        services.provider_add(url=provider_server.url, actor=operator)


def test_a_name_that_does_not_resolve(operator):
    with pytest.raises(ServiceError, match="Could not resolve"):
        services.provider_add(url="http://status.invalid", actor=operator)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html>hello</html>", "Not JSON"),
        (b'{"page": {}}', "no component list"),
        (b'{"components": [], "incidents": 5}', "incidents is not a list"),
        (b"[1, 2]", "no component list"),
    ],
)
def test_bad_json_is_refused_on_adding(body, message, provider_server, operator):
    provider_server.serve(body, "application/json")
    with pytest.raises(ServiceError, match=message):
        services.provider_add(url=provider_server.url, actor=operator)
    assert not Provider.objects.exists()


def test_http_errors_and_missing_pages_say_so(provider_server, operator):
    with pytest.raises(ServiceError, match="HTTP 404"):
        services.provider_add(url=provider_server.url + "/nothing/here", actor=operator)
    provider_server.fail_with = 503
    with pytest.raises(ServiceError, match="HTTP 503"):
        services.provider_add(url=provider_server.url, actor=operator)


def test_redirects_are_followed_and_checked(provider_server, operator, settings):
    provider = services.provider_add(url=provider_server.url + "/moved.json", actor=operator)
    assert provider.snapshot["page"] == "GitHub"


def test_answers_over_the_size_cap_are_refused(provider_server, operator, settings):
    settings.UPSTREAM_MAX_BYTES = 100
    with pytest.raises(ServiceError, match="too large"):
        services.provider_add(url=provider_server.url, actor=operator)


def test_a_failing_provider_backs_off_and_keeps_its_state(
    provider_server, operator, make_component
):
    provider = services.provider_add(url=provider_server.url, actor=operator)
    actions = make_component("GitHub Actions")
    services.provider_map(provider=provider, mapping={"br0l2tvcx85d": actions}, actor=operator)
    provider_server.serve_json(outage())
    services.provider_poll_now(provider=provider)
    delays = []
    for body in (b"{not json", None, None):
        if body is None:
            provider_server.fail_with = 500
        else:
            provider_server.serve(body, "application/json")
        now = timezone.now()
        assert services.provider_poll_now(provider=provider) == "failed"
        provider.refresh_from_db()
        delays.append((provider.next_poll_at - now).total_seconds())
    assert provider.failures == 3
    assert provider.last_error == "HTTP 500 Internal Server Error."
    # Exponential: each wait within [interval x 2^n / 2, interval x 2^n] (jittered).
    for n, delay in enumerate(delays, start=1):
        ceiling = min(300 * 2**n, rules.MAX_BACKOFF_SECONDS)
        assert ceiling / 2 - 1 <= delay <= ceiling + 1
    # The bad answer changed nothing: the outage and its incident stand as last seen.
    actions.refresh_from_db()
    assert actions.status == ComponentStatus.MAJOR_OUTAGE
    assert Incident.objects.get().is_open
    assert provider.snapshot["components"][1]["status"] == "major_outage"
    # Back: one good poll clears the failures.
    provider_server.serve_json(outage())
    assert services.provider_poll_now(provider=provider) == "ok"
    provider.refresh_from_db()
    assert (provider.failures, provider.last_error) == (0, "")


def test_control_characters_are_dropped(provider_server, operator, make_component):
    provider = services.provider_add(url=provider_server.url, actor=operator)
    actions = make_component("GitHub Actions")
    services.provider_map(provider=provider, mapping={"br0l2tvcx85d": actions}, actor=operator)
    data = outage()
    data["incidents"][0]["name"] = "Bad\x00 \ud800name"
    data["incidents"][0]["incident_updates"][0]["body"] = "Bad \x00\x01byte"
    provider_server.serve_json(data)
    assert services.provider_poll_now(provider=provider) == "ok"
    incident = Incident.objects.get()
    assert incident.name == "GitHub: Bad name"
    assert incident.updates.get().body.startswith("Bad byte")


def test_a_poll_the_domain_refuses_is_a_failure_with_nothing_kept(
    provider_server, operator, make_component
):
    provider = services.provider_add(url=provider_server.url, actor=operator)
    actions = make_component("GitHub Actions")
    services.provider_map(provider=provider, mapping={"br0l2tvcx85d": actions}, actor=operator)
    # A stored answer the domain refuses (as an older parser might have kept): re-applied on
    # the next 304, it fails the poll and leaves nothing half-written.
    snapshot = outage()
    snapshot = services.parse.parse_summary(json.dumps(snapshot).encode())
    snapshot["incidents"][0]["body"] = "Bad \x01 byte"
    snapshot["components"][1]["status"] = "major_outage"
    Provider.objects.filter(pk=provider.pk).update(snapshot=snapshot)
    assert services.provider_poll_now(provider=provider) == "failed"
    provider.refresh_from_db()
    assert "control character" in provider.last_error
    assert not Incident.objects.exists()
    actions.refresh_from_db()
    assert actions.status == ComponentStatus.OPERATIONAL  # rolled back with the incident


def test_backoff_rule():
    rng = random.Random(7)
    on_time = [rules.next_poll_delay(interval=300, failures=0, rng=rng) for _ in range(50)]
    assert all(270 <= d <= 330 for d in on_time)
    assert len(set(on_time)) > 1  # jittered
    for failures, ceiling in ((1, 600), (2, 1200), (3, 2400), (4, 3600), (40, 3600)):
        delay = rules.next_poll_delay(interval=300, failures=failures, rng=rng)
        assert ceiling / 2 <= delay <= ceiling
    # An interval longer than the cap is not shortened by failing.
    assert rules.next_poll_delay(interval=7200, failures=1, rng=rng) >= 3600


def test_due_providers_only_are_polled(provider_server, operator, clock):
    provider = services.provider_add(url=provider_server.url, actor=operator)
    assert services.providers_poll_due() == {"not_modified": 1}
    assert services.providers_poll_due() == {}
    clock.shift(timedelta(seconds=400))
    assert services.providers_poll_due() == {"not_modified": 1}
    Provider.objects.filter(pk=provider.pk).update(enabled=False)
    clock.shift(timedelta(seconds=400))
    assert services.providers_poll_due() == {}
