"""The management API's edge: keys (hashed, revocable, capped by the owner's role), scopes,
rate limit, body parsing, and the error shape."""

from __future__ import annotations

import hashlib
import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client, RequestFactory

from statuspage.access.models import ApiKey, Membership, Role, Scope
from statuspage.access.selectors import key_allows
from statuspage.access.services import api_key_revoke
from statuspage.api.v1.http import ApiError, _parse_body, parse_form

pytestmark = pytest.mark.django_db


def test_no_key_is_401_with_challenge(page_url):
    response = Client().get(page_url())
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("OAuth")
    assert "Authorization: OAuth" in response.json()["error"]
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    "header",
    ["OAuth nonsense", "OAuth " + "a" * 40, "Basic Zm9vOmJhcg==", "OAuth"],
)
def test_bad_key_is_401(page_url, header):
    response = Client().get(page_url(), HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert "error" in response.json()


def test_oauth_header_bearer_and_query_parameter_all_work(page, page_url, make_key):
    raw = make_key(Role.VIEWER)
    client = Client()
    for response in (
        client.get(page_url(), HTTP_AUTHORIZATION=f"OAuth {raw}"),
        client.get(page_url(), HTTP_AUTHORIZATION=f"Bearer {raw}"),
        client.get(page_url(), {"api_key": raw}),
    ):
        assert response.status_code == 200, response.content
        assert response.json()["id"] == page.public_id
    listing = client.get("/api/v1/pages", HTTP_AUTHORIZATION=f"OAuth {raw}")
    assert [p["id"] for p in listing.json()] == [page.public_id]


def test_key_is_stored_as_a_digest_and_last_use_recorded(page_url, make_key):
    raw = make_key(Role.VIEWER)
    key = ApiKey.objects.get(prefix=raw[:8])
    assert key.digest == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in json.dumps(list(ApiKey.objects.values()), default=str)
    assert key.last_used_at is None
    Client().get(page_url(), HTTP_AUTHORIZATION=f"OAuth {raw}")
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_a_key_with_the_right_prefix_but_wrong_secret_is_refused(page_url, make_key):
    raw = make_key(Role.VIEWER)
    forged = raw[:8] + ("b" if raw[8] == "a" else "a") + raw[9:]
    assert Client().get(page_url(), HTTP_AUTHORIZATION=f"OAuth {forged}").status_code == 401


def test_revoked_key_and_removed_owner_are_refused(page_url, make_key):
    raw = make_key(Role.VIEWER)
    key = ApiKey.objects.get(prefix=raw[:8])
    auth = {"HTTP_AUTHORIZATION": f"OAuth {raw}"}
    assert Client().get(page_url(), **auth).status_code == 200
    api_key_revoke(actor=_actor(), key=key)
    assert Client().get(page_url(), **auth).status_code == 401

    raw2 = make_key(Role.VIEWER)
    Membership.objects.filter(user__api_keys__prefix=raw2[:8]).delete()
    assert Client().get(page_url(), HTTP_AUTHORIZATION=f"OAuth {raw2}").status_code == 401


def test_scope_missing_is_403(page_url, make_key):
    raw = make_key(Role.RESPONDER, scopes=[Scope.INCIDENTS])
    response = Client().get(page_url(), HTTP_AUTHORIZATION=f"OAuth {raw}")
    assert response.status_code == 403
    assert "read" in response.json()["error"]


def test_owner_role_caps_the_key_at_every_request(make_key):
    raw = make_key(Role.ADMIN)
    key = ApiKey.objects.get(prefix=raw[:8])
    assert key_allows(key, Scope.COMPONENTS)
    Membership.objects.filter(user=key.owner).update(role=Role.RESPONDER)
    key.owner.refresh_from_db()
    assert not key_allows(key, Scope.COMPONENTS)
    assert key_allows(key, Scope.INCIDENTS)


def test_wrong_page_id_and_unknown_endpoint_are_404_json(make_key):
    raw = make_key(Role.VIEWER)
    auth = {"HTTP_AUTHORIZATION": f"OAuth {raw}"}
    assert Client().get("/api/v1/pages/zzzzzzzzzzzz", **auth).status_code == 404
    response = Client().get("/api/v1/nothing/here", **auth)
    assert response.status_code == 404
    assert response.json() == {"error": "No such endpoint."}


def test_method_not_allowed_is_405_with_allow(page_url, make_key):
    raw = make_key(Role.ADMIN)
    response = Client().post(
        page_url(), "{}", content_type="application/json", HTTP_AUTHORIZATION=f"OAuth {raw}"
    )
    assert response.status_code == 405
    assert response["Allow"] == "GET, PATCH"


def test_rate_limit_is_per_key_with_retry_after(settings, page_url, make_key):
    settings.API_RATE_LIMIT_PER_MINUTE = 3
    first, second = make_key(Role.VIEWER), make_key(Role.VIEWER)
    codes = [
        Client().get(page_url(), HTTP_AUTHORIZATION=f"OAuth {first}").status_code for _ in range(4)
    ]
    assert codes == [200, 200, 200, 429]
    limited = Client().get(page_url(), HTTP_AUTHORIZATION=f"OAuth {first}")
    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert "Rate limit" in limited.json()["error"]
    assert Client().get(page_url(), HTTP_AUTHORIZATION=f"OAuth {second}").status_code == 200


# --- bodies --------------------------------------------------------------------------------


def test_form_bodies_nest_like_statuspage_clients_send_them():
    pairs = [
        ("incident[name]", "DB down"),
        ("incident[component_ids][]", "a1"),
        ("incident[component_ids][]", "b2"),
        ("incident[components][a1]", "major_outage"),
        ("incident[deliver_notifications]", "true"),
    ]
    assert parse_form(pairs) == {
        "incident": {
            "name": "DB down",
            "component_ids": ["a1", "b2"],
            "components": {"a1": "major_outage"},
            "deliver_notifications": "true",
        }
    }


@pytest.mark.parametrize(
    "pairs",
    [
        [("incident[name", "x")],
        [("incident[name]", "x"), ("incident[name][]", "y")],
        [("incident[]", "x"), ("incident[name]", "y")],
        # A list of objects (Rails' `data[][x]`) cannot also be an object.
        [("incident[][x]", "y"), ("incident[name]", "z")],
        [("incident[][]", "y")],
    ],
)
def test_malformed_form_field_names_are_400(pairs):
    with pytest.raises(ApiError) as info:
        parse_form(pairs)
    assert info.value.status == 400


@pytest.mark.parametrize(
    ("raw", "content_type", "status"),
    [
        (b"{not json", "application/json", 400),
        (b"[1, 2]", "application/json", 400),
        (b"<xml/>", "application/xml", 415),
        (b"incident%5Bname=x", "application/x-www-form-urlencoded", 400),
        (b"\xff\xfe=1", "application/x-www-form-urlencoded", 400),
        (b"[" * 100000 + b"]" * 100000, "application/json", 400),
    ],
)
def test_bad_bodies_are_clear_4xx(raw, content_type, status):
    request = RequestFactory().generic("POST", "/", raw, content_type=content_type)
    with pytest.raises(ApiError) as info:
        _parse_body(request)
    assert info.value.status == status


def test_oversized_body_is_413(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    request = RequestFactory().generic(
        "POST", "/", json.dumps({"incident": {"body": "x" * 5000}}), content_type="application/json"
    )
    with pytest.raises(ApiError) as info:
        _parse_body(request)
    assert info.value.status == 413


# --- keys from the command line ----------------------------------------------------------


def _actor():
    from incidents.services import Actor

    return Actor(label="test", via="test")


def test_create_api_key_command_prints_a_working_key_once(page_url):
    user = get_user_model().objects.create_user("ci", "ci@example.com", "pw")
    Membership.objects.create(user=user, role=Role.RESPONDER)
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "create_api_key",
        "ci",
        "--name",
        "deploys",
        "--scopes",
        "read,incidents:write",
        stdout=out,
        stderr=err,
    )
    raw = out.getvalue().strip()
    assert len(raw) == 40 and "not shown again" in err.getvalue()
    key = ApiKey.objects.get(prefix=raw[:8])
    assert key.scopes == ["incidents:write", "read"] and key.owner == user
    assert Client().get(page_url(), HTTP_AUTHORIZATION=f"OAuth {raw}").status_code == 200


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ghost", "--name", "x"], "No user"),
        (["ci", "--name", "x", "--scopes", "read,everything"], "Choose scopes"),
        (["ci", "--name", " "], "name"),
        (["ci", "--name", "x", "--scopes", "components:write"], "cannot hold"),
    ],
)
def test_create_api_key_command_refuses_bad_input(args, message):
    user = get_user_model().objects.create_user("ci", "ci@example.com", "pw")
    Membership.objects.create(user=user, role=Role.RESPONDER)
    with pytest.raises(CommandError, match=message):
        call_command("create_api_key", *args, stdout=io.StringIO(), stderr=io.StringIO())
    assert not ApiKey.objects.exists()
