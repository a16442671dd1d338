"""DNS monitors that name their resolver, asked of a real DNS server on loopback
(tests/monitors/dnsserver.py) whose answers change on command: each record type, an expected
value, NXDOMAIN, SERVFAIL, a resolver that stops answering, and the guard on the resolver's
address."""

from __future__ import annotations

import pytest

from statuspage.monitors.models import MonitorResult

from .conftest import status_of
from .dnsserver import DROP, NXDOMAIN, SERVFAIL

pytestmark = pytest.mark.django_db

NAME = "api.status-test.example"


def _result() -> MonitorResult:
    return MonitorResult.objects.first()


@pytest.mark.parametrize(
    ("record_type", "records", "detail"),
    [
        ("A", ["192.0.2.10", "198.51.100.7"], "Resolves to 192.0.2.10, 198.51.100.7"),
        ("AAAA", ["2001:db8::10"], "Resolves to 2001:db8::10"),
        ("CNAME", ["edge.cdn.example."], "CNAME: edge.cdn.example"),
        ("MX", ["10 mx1.example.", "20 mx2.example."], "MX: 10 mx1.example, 20 mx2.example"),
        ("NS", ["ns1.example."], "NS: ns1.example"),
        ("TXT", ['"v=spf1 -all"'], "TXT: 'v=spf1 -all'"),
    ],
)
def test_each_record_type_is_asked_of_the_named_resolver(
    settings, dns_server, make_monitor, tick, record_type, records, detail
):
    # Documentation ranges are reserved, not public: allowed here so they are shown.
    settings.MONITOR_ALLOWED_NETWORKS = ["127.0.0.0/8", "192.0.2.0/24", "198.51.100.0/24"]
    settings.MONITOR_ALLOWED_NETWORKS += ["2001:db8::/32"]
    dns_server.set(NAME, record_type, *records)
    make_monitor(
        kind="dns", host=NAME, dns_resolver=dns_server.address, dns_record_type=record_type
    )
    tick()
    result = _result()
    assert (result.ok, result.detail) == (True, detail)
    assert dns_server.questions >= 1


@pytest.mark.parametrize(
    ("record_type", "records", "expected", "ok"),
    [
        ("A", ["192.0.2.10"], "192.0.2.10", True),
        ("A", ["192.0.2.100"], "192.0.2.10", False),
        ("AAAA", ["2001:db8:0::10"], "2001:db8::10", True),
        ("CNAME", ["Edge.CDN.example."], "edge.cdn.example", True),
        ("MX", ["10 mx1.example."], "mx1.example.", True),
        ("MX", ["10 mx1.example."], "10 mx1.example", True),
        ("MX", ["10 mx1.example."], "mx2.example", False),
        ("TXT", ['"google-site-verification=abc"'], "site-verification=abc", True),
        ("TXT", ['"v=spf1 -all"'], "v=DMARC1", False),
    ],
)
def test_an_expected_value_must_be_in_the_answer(
    settings, dns_server, make_monitor, tick, record_type, records, expected, ok
):
    settings.MONITOR_ALLOWED_NETWORKS = ["127.0.0.0/8", "192.0.2.0/24", "2001:db8::/32"]
    dns_server.set(NAME, record_type, *records)
    make_monitor(
        kind="dns",
        host=NAME,
        dns_resolver=dns_server.address,
        dns_record_type=record_type,
        keyword=expected,
    )
    tick()
    result = _result()
    assert result.ok is ok, result.detail
    if not ok:
        assert result.detail.startswith(f"No {record_type} record matches {expected!r}")


@pytest.mark.parametrize(
    ("mode", "detail"),
    [
        (NXDOMAIN, f"{NAME} does not resolve (NXDOMAIN)"),
        (SERVFAIL, f"The resolver failed for {NAME} (SERVFAIL)"),
        (DROP, "The resolver did not answer within 1 s"),
    ],
)
def test_a_name_that_stops_resolving_fails_with_its_reason(
    dns_server, make_monitor, tick, mode, detail
):
    dns_server.set(NAME, "A", "127.0.0.5")
    make_monitor(kind="dns", host=NAME, dns_resolver=dns_server.address, timeout_seconds=1)
    tick()
    assert _result().detail == "Resolves to 127.0.0.5"
    dns_server.answer_with(NAME, mode)
    tick()
    result = _result()
    assert (result.ok, result.detail) == (False, detail)


def test_a_name_without_records_of_the_type_fails(dns_server, make_monitor, tick):
    dns_server.set(NAME, "A", "127.0.0.5")
    make_monitor(kind="dns", host=NAME, dns_resolver=dns_server.address, dns_record_type="MX")
    tick()
    assert _result().detail == f"{NAME} has no MX record"


def test_the_component_follows_the_name_down_and_back(dns_server, make_monitor, tick, api):
    dns_server.set(NAME, "A", "127.0.0.5")
    make_monitor(
        kind="dns",
        host=NAME,
        dns_resolver=dns_server.address,
        failures_before_down=2,
        successes_before_up=2,
        timeout_seconds=1,
    )
    tick()
    assert status_of(api) == "operational"
    dns_server.answer_with(NAME, NXDOMAIN)
    tick()
    assert status_of(api) == "operational"  # one failure is not enough
    tick()
    assert status_of(api) == "major_outage"
    dns_server.answer_with(NAME, DROP)
    tick()
    assert status_of(api) == "major_outage"
    assert "did not answer" in _result().detail
    dns_server.set(NAME, "A", "127.0.0.5")
    tick()
    assert status_of(api) == "major_outage"  # one success is not enough
    tick()
    assert status_of(api) == "operational"


def test_private_answers_are_counted_not_shown_nor_matched(
    settings, dns_server, make_monitor, tick
):
    dns_server.set(NAME, "A", "10.1.2.3", "192.0.2.10")
    settings.MONITOR_ALLOWED_NETWORKS = ["127.0.0.0/8", "192.0.2.0/24"]
    make_monitor(kind="dns", host=NAME, dns_resolver=dns_server.address, keyword="10.1.2.3")
    tick()
    result = _result()
    assert not result.ok
    assert "10.1.2.3" not in result.detail.replace("'10.1.2.3'", "")
    assert result.detail.endswith("(192.0.2.10, 1 private)")


def test_a_resolver_on_loopback_is_refused_unless_the_install_allows_it(
    settings, dns_server, make_monitor, tick
):
    dns_server.set(NAME, "A", "192.0.2.10")
    make_monitor(kind="dns", host=NAME, dns_resolver=dns_server.address)
    settings.MONITOR_ALLOWED_NETWORKS = []
    tick()
    result = _result()
    assert not result.ok
    assert result.detail.startswith("Resolver refused: 127.0.0.1 resolves to a private")
    assert dns_server.questions == 0  # not one packet left


def test_a_resolver_named_by_host_name_is_resolved_and_judged(
    settings, dns_server, make_monitor, tick
):
    dns_server.set(NAME, "A", "127.0.0.5")
    make_monitor(kind="dns", host=NAME, dns_resolver=f"localhost:{dns_server.port}")
    tick()
    assert _result().detail == "Resolves to 127.0.0.5"
    settings.MONITOR_ALLOWED_NETWORKS = []
    tick()
    assert _result().detail.startswith("Resolver refused: localhost resolves to a private")
    assert dns_server.questions == 1
