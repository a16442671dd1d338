"""Atlassian's published description of Statuspage's management API, driven through ours.

statuspage_shapes/operations.json lists every operation of that description, each with a body
holding every documented field (and the older field names its earlier description and older
clients use). Each runs with and without the `.json` suffix its description writes, and each
body both as JSON and as a Rails-style form (`incident[components][<id>]=...`,
`incident[component_ids][]=...`), as clients send them. Nothing may answer 404 or HTML: each
gets what the file expects (the operation done, 405 for page settings, or a JSON 501 naming a
feature this app does not offer), and docs/api.md names every such difference.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from incidents import services
from statuspage.access.models import Role

pytestmark = pytest.mark.django_db

SHAPES = json.loads((Path(__file__).parent / "statuspage_shapes" / "operations.json").read_text())
OPERATIONS = SHAPES["operations"]


def rails_form(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """A body as Rails-style form pairs, the way Statuspage clients encode one."""
    if isinstance(value, dict):
        return [
            pair
            for k, v in value.items()
            for pair in rails_form(v, f"{prefix}[{k}]" if prefix else k)
        ]
    if isinstance(value, list):
        return [pair for item in value for pair in rails_form(item, prefix + "[]")]
    if isinstance(value, bool):
        return [(prefix, "true" if value else "false")]
    return [(prefix, "" if value is None else str(value))]


def _cases():
    for index, op in enumerate(OPERATIONS):
        encodings = ("json", "form") if "body" in op else ("none",)
        for suffix in ("", ".json"):
            for encoding in encodings:
                label = f"{index:03} {op['method']} {op['path']}{suffix} {encoding}"
                yield pytest.param(op, suffix, encoding, id=label)


@pytest.fixture
def ids(objects, page):
    """The ids the operations name, fresh for each call."""
    start = timezone.now() + timedelta(days=2)
    window = services.maintenance_schedule(
        name="Later",
        scheduled_for=start,
        scheduled_until=start + timedelta(hours=1),
        components=[],
        actor=services.SYSTEM,
    )
    now = timezone.now()
    return {
        **objects,
        "maintenance_id": window.public_id,
        "past_time": now.isoformat(),  # after the incident began, before the call
        "past_day": (now - timedelta(days=2)).date().isoformat(),
        "range_start": (now - timedelta(days=20)).date().isoformat(),
        "recent_unix": str(int(now.timestamp()) - 60),
    }


def _fill(text: str, ids: dict[str, str]) -> str:
    for name, value in ids.items():
        text = text.replace("{" + name + "}", value)
    return text


@pytest.mark.parametrize(("op", "suffix", "encoding"), list(_cases()))
def test_every_documented_operation_answers_without_404_or_html(v1, ids, op, suffix, encoding):
    client = v1(Role.ADMIN)
    url = "/api/v1" + _fill(op["path"], ids) + suffix
    if op.get("query"):
        url += "?" + urlencode({k: _fill(str(v), ids) for k, v in op["query"].items()})
    method = op["method"].lower()
    if encoding == "none":
        auth = f"OAuth {client.key}"
        response = client.client.generic(op["method"], url, HTTP_AUTHORIZATION=auth)
    else:
        body = json.loads(_fill(json.dumps(op["body"]), ids))
        data = urlencode(rails_form(body)) if encoding == "form" else body
        response = getattr(client, method)(url, data, form=encoding == "form")
    assert response.status_code == op["expect"], (url, encoding, response.content[:400])
    assert b"<html" not in response.content.lower()
    if response.status_code == 204:
        assert not response.content
        return
    assert response["Content-Type"] == "application/json"
    data = response.json()
    if response.status_code >= 400:
        assert data["error"]
    if response.status_code == 501:
        assert "not implemented" in data["error"]


def test_the_file_covers_every_operation_of_the_description():
    """Each (method, path) once at least, and no operation of ours documented twice there."""
    seen = {(op["method"], op["path"]) for op in OPERATIONS}
    assert len(seen) >= 100
    assert all(op["expect"] in (200, 201, 204, 405, 501) for op in OPERATIONS)
