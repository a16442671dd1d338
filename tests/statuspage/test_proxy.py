"""Behind a reverse proxy: the client's address comes from X-Forwarded-For only when trusted, for
the /metrics allow-list and every per-address limit alike."""

import pytest


@pytest.fixture
def metrics_open_to_loopback_only(settings, page):
    import ipaddress

    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network("127.0.0.1/32")]


def test_forwarded_for_is_ignored_unless_trusted(client, settings, metrics_open_to_loopback_only):
    settings.TRUST_X_FORWARDED_FOR = False
    # A client cannot claim an address: the header is not read.
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert response.status_code == 403
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert response.status_code == 200


def test_trusted_proxy_passes_the_client_address(client, settings, metrics_open_to_loopback_only):
    settings.TRUST_X_FORWARDED_FOR = True
    # Through the proxy (REMOTE_ADDR is the proxy), an outside client is not loopback.
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert response.status_code == 403
    # Only the last entry counts: the one the proxy wrote, not what the client prepended.
    response = client.get(
        "/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="127.0.0.1, 203.0.113.9"
    )
    assert response.status_code == 403
    response = client.get("/metrics", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert response.status_code == 200
    # Garbage leaves the proxy's own address in place.
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="not-an-ip")
    assert response.status_code == 200


# Every per-address limit reads the same address as /metrics (notifications.ratelimit's
# client_address): behind the proxy, clients are told apart; without it, the header is ignored.


def _sign_in(client, forwarded: str):
    return client.post(
        "/dashboard/login/",
        {"username": "nobody", "password": "wrong"},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR=forwarded,
    )


def test_sign_in_locks_the_forwarded_client_not_the_proxy(client, settings, db):
    settings.TRUST_X_FORWARDED_FOR = True
    settings.DASHBOARD_LOGIN_IP_FAILURE_LIMIT = 2
    settings.DASHBOARD_LOGIN_FAILURE_LIMIT = 100
    for _ in range(2):
        _sign_in(client, "203.0.113.9")
    assert b"Too many failed" in _sign_in(client, "203.0.113.9").content
    # Another client behind the same proxy is not locked out with it.
    assert b"Too many failed" not in _sign_in(client, "203.0.113.10").content


def test_sign_in_ignores_a_forwarded_header_that_is_not_trusted(client, settings, db):
    settings.TRUST_X_FORWARDED_FOR = False
    settings.DASHBOARD_LOGIN_IP_FAILURE_LIMIT = 2
    settings.DASHBOARD_LOGIN_FAILURE_LIMIT = 100
    # A client that writes a fresh "address" into the header each time is still one address.
    for n in range(2):
        _sign_in(client, f"203.0.113.{n}")
    assert b"Too many failed" in _sign_in(client, "203.0.113.99").content


def _subscribe(client, n: int, forwarded: str):
    return client.post(
        "/subscribe",
        {"channel": "email", "address": f"p{n}@example.test"},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR=forwarded,
    )


def test_subscribe_limit_counts_the_forwarded_client(client, settings, page):
    settings.TRUST_X_FORWARDED_FOR = True
    settings.SUBSCRIBE_RATE_PER_IP_HOUR = 1
    assert _subscribe(client, 1, "203.0.113.9").status_code == 200
    assert _subscribe(client, 2, "203.0.113.9").status_code == 429
    assert _subscribe(client, 3, "203.0.113.10").status_code == 200
    settings.TRUST_X_FORWARDED_FOR = False
    assert _subscribe(client, 4, "203.0.113.11").status_code == 200
    assert _subscribe(client, 5, "203.0.113.12").status_code == 429
