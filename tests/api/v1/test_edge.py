"""Under /api/ nothing answers HTML: unknown paths, wrong methods and Django's own refusals are
JSON errors, and no request meets the CSRF check (keys authenticate, not cookies)."""

from __future__ import annotations

import pytest
from django.test import Client

from statuspage.access.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def strict():
    """A client that, like a real one, sends no CSRF token and gets Django's CSRF checks."""
    return Client(enforce_csrf_checks=True)


def _json_error(response, status: int) -> dict:
    assert response.status_code == status, response.content[:200]
    assert response["Content-Type"] == "application/json"
    assert b"<html" not in response.content.lower()
    data = response.json()
    assert data["error"]
    return data


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nothing/here",
        "/api/v1/pages/abc/nothing.json",
        "/api/v2/nothing.json",
        "/api/v3/components.json",
        "/api/",
    ],
)
def test_unknown_paths_are_a_json_404_for_every_method(strict, page, method, path):
    response = getattr(strict, method)(
        path, "x=1", content_type="application/x-www-form-urlencoded"
    )
    _json_error(response, 404)


def test_a_key_authenticated_post_never_meets_the_csrf_check(strict, make_key, page, settings):
    key = make_key(Role.ADMIN)
    # A session cookie, as a browser that is logged in to the dashboard would also send.
    strict.cookies["csrftoken"] = "x" * 32
    response = strict.post(
        f"/api/v1/pages/{page.public_id}/components.json",
        "component[name]=Edge",
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=f"OAuth {key}",
    )
    assert response.status_code == 201, response.content[:300]
    assert response.json()["name"] == "Edge"


def test_a_keyless_post_gets_the_apis_401_not_a_csrf_page(strict, page):
    response = strict.post(f"/api/v1/pages/{page.public_id}/incidents.json", {"a": "b"})
    data = _json_error(response, 401)
    assert "OAuth" in data["error"]


def test_wrong_method_on_v2_is_a_json_405_with_allow(strict, page):
    response = strict.post("/api/v2/summary.json")
    _json_error(response, 405)
    assert set(response["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD"}
    assert response["Access-Control-Allow-Origin"] == "*"


def test_wrong_method_on_v1_is_a_json_405_with_allow(make_key, page):
    key = make_key(Role.ADMIN)
    response = Client().post(
        f"/api/v1/pages/{page.public_id}/incidents/unresolved.json",
        HTTP_AUTHORIZATION=f"OAuth {key}",
    )
    _json_error(response, 405)
    assert response["Allow"] == "GET"


def test_wrong_method_on_the_openapi_document_is_a_json_405(strict):
    response = strict.delete("/api/v1/openapi.json")
    _json_error(response, 405)
    assert "GET" in response["Allow"]


def test_a_disallowed_host_is_a_json_400(page, settings):
    settings.ALLOWED_HOSTS = ["status.example.com"]
    response = Client().get("/api/v2/summary.json", HTTP_HOST="evil.example.net")
    _json_error(response, 400)


def test_html_pages_elsewhere_keep_their_csrf_check(strict, page):
    # The exemption is for /api/ only: the dashboard's login form still needs its token.
    response = strict.post("/dashboard/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
