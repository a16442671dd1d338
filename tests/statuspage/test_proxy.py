"""Behind a reverse proxy: the client's address comes from X-Forwarded-For only when trusted."""

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
