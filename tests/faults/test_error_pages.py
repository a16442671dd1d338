"""The last-resort error answer (statuspage/errors.py), without any real outage: a view that
raises is enough. Runs in both CI modes."""

from __future__ import annotations

import pytest
from django.db import OperationalError
from django.test import Client

from statuspage.errors import DATABASE_DOWN, SERVER_ERROR


def _client() -> Client:
    return Client(raise_request_exception=False)


@pytest.mark.urls("tests.faults.error_urls")
@pytest.mark.parametrize(
    ("path", "exc", "status", "message"),
    [
        ("/dashboard/boom", OperationalError("connection refused"), 503, DATABASE_DOWN),
        ("/dashboard/boom", RuntimeError("bug"), 500, SERVER_ERROR),
    ],
)
def test_errors_get_a_short_human_page_never_a_trace(path, exc, status, message):
    from tests.faults import error_urls

    error_urls.RAISE = exc
    response = _client().get(path)
    text = response.content.decode()
    assert response.status_code == status
    assert message in text
    assert "Traceback" not in text and type(exc).__name__ not in text
    assert (response.get("Retry-After") == "30") == (status == 503)


@pytest.mark.urls("tests.faults.error_urls")
@pytest.mark.django_db  # /api/ addresses are a page's: the page routes are read first
def test_api_errors_are_json():
    from tests.faults import error_urls

    error_urls.RAISE = OperationalError("connection refused")
    response = _client().get("/api/boom")
    assert response.status_code == 503
    assert response.json() == {"error": DATABASE_DOWN}
