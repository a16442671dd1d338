"""Every /api/v2/ document against schemas written from the reference, on a dataset covering
groups, only_show_if_degraded, open and resolved incidents, a postmortem, every maintenance
state and more than one page of history; plus the semantics a schema cannot state."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from incidents.enums import OPEN_INCIDENT_STATUSES
from incidents.models import Page
from tests.api import schemas
from tests.api.conftest import HISTORY

pytestmark = pytest.mark.django_db

# Paged lists (components.json is not one: it holds every component, as summary.json does).
LISTS = {
    "incidents.json": "incidents",
    "incidents/unresolved.json": "incidents",
    "scheduled-maintenances.json": "scheduled_maintenances",
    "scheduled-maintenances/upcoming.json": "scheduled_maintenances",
    "scheduled-maintenances/active.json": "scheduled_maintenances",
}


def get(client, path: str, **params):
    response = client.get(f"/api/v2/{path}", params)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()


def validate(schema: dict, document: dict) -> None:
    Draft202012Validator.check_schema(schema)
    errors = sorted(Draft202012Validator(schema).iter_errors(document), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


def all_pages(client, path: str, key: str) -> list[dict]:
    """Page like the clients do: until an empty list."""
    items, number = [], 1
    while True:
        document = get(client, path, page=number)
        validate(schemas.ENDPOINTS[path], document)
        if not document[key]:
            return items
        assert len(document[key]) <= 50
        items.extend(document[key])
        number += 1
        assert number < 20, "paging never ended"


@pytest.mark.parametrize("path", sorted(schemas.ENDPOINTS))
def test_endpoint_matches_reference_schema(client, dataset, path):
    validate(schemas.ENDPOINTS[path], get(client, path))


@pytest.mark.parametrize("path", sorted(LISTS))
def test_list_pages_until_empty_and_every_page_conforms(client, dataset, path):
    items = all_pages(client, path, LISTS[path])
    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids)), "an item appeared on two pages"


def test_every_endpoint_conforms_on_a_page_with_an_offset(client, dataset):
    """Timestamps carry the page's offset (New York: -05:00 or -04:00), still with milliseconds."""
    Page.objects.update(time_zone="America/New_York")
    for path, schema in sorted(schemas.ENDPOINTS.items()):
        document = get(client, path)
        validate(schema, document)
        assert document["page"]["updated_at"][-6:] in ("-05:00", "-04:00"), path
    incident = get(client, f"incidents/{dataset['open_incident'].public_id}.json")
    validate(schemas.INCIDENT_DETAIL, incident)
    assert incident["incident"]["started_at"][-6:] in ("-05:00", "-04:00")


def test_schemas_reject_a_wrong_document(client, dataset):
    """The schemas can fail: a missing key, a timestamp without milliseconds, an int id."""
    document = get(client, "summary.json")
    schema = schemas.ENDPOINTS["summary.json"]
    broken = [
        {**document, "page": {k: v for k, v in document["page"].items() if k != "updated_at"}},
        {**document, "page": {**document["page"], "updated_at": "2026-01-05T10:02:11Z"}},
        {**document, "components": [{**document["components"][0], "id": 7}]},
    ]
    for candidate in broken:
        assert list(Draft202012Validator(schema).iter_errors(candidate))


def test_groups_are_flat_rows_with_child_ids_and_positions_restart(client, dataset):
    rows = get(client, "components.json")["components"]
    by_id = {row["id"]: row for row in rows}
    group = by_id[dataset["regions"].public_id]
    assert group["group"] is True and group["group_id"] is None
    assert group["components"] == [dataset["eu"].public_id, dataset["us"].public_id]
    children = [by_id[child] for child in group["components"]]
    assert [c["group_id"] for c in children] == [group["id"]] * 2
    assert [c["position"] for c in children] == [1, 2]
    top = [row for row in rows if row["group_id"] is None]
    assert [row["position"] for row in top] == list(range(1, len(top) + 1))
    # The group is as bad as its worst child (EU West is in a partial outage).
    assert group["status"] == "partial_outage"


def test_only_show_if_degraded_component_is_listed_while_operational(client, dataset):
    rows = {row["id"]: row for row in get(client, "components.json")["components"]}
    us = rows[dataset["us"].public_id]
    assert us["status"] == "operational" and us["only_show_if_degraded"] is True


def test_incidents_newest_first_across_pages_and_updates_newest_first(client, dataset):
    items = all_pages(client, "incidents.json", "incidents")
    assert len(items) == HISTORY + 1
    started = [i["started_at"] for i in items]
    assert started == sorted(started, reverse=True)
    assert items[0]["id"] == dataset["open_incident"].public_id
    updates = items[0]["incident_updates"]
    assert [u["status"] for u in updates] == ["monitoring", "investigating"]
    assert updates[0]["affected_components"] == [
        {
            "code": dataset["eu"].public_id,
            "name": "EU West",
            "old_status": "degraded_performance",
            "new_status": "partial_outage",
        }
    ]
    assert items[0]["components"][0]["id"] == dataset["eu"].public_id
    assert items[0]["monitoring_at"] is not None and items[0]["resolved_at"] is None
    postmortem = next(i for i in items if i["id"] == dataset["postmortem"].public_id)
    assert postmortem["status"] == "postmortem" and postmortem["resolved_at"] is not None


def test_unresolved_lists_open_incidents_only(client, dataset):
    items = get(client, "incidents/unresolved.json")["incidents"]
    assert [i["id"] for i in items] == [dataset["open_incident"].public_id]
    assert all(i["status"] in OPEN_INCIDENT_STATUSES for i in items)


def test_maintenance_lists_cover_every_state(client, dataset):
    everything = all_pages(client, "scheduled-maintenances.json", "scheduled_maintenances")
    assert {m["status"] for m in everything} == {
        "scheduled",
        "in_progress",
        "verifying",
        "completed",
    }
    upcoming = get(client, "scheduled-maintenances/upcoming.json")["scheduled_maintenances"]
    assert [m["id"] for m in upcoming] == [dataset["scheduled"].public_id]
    active = get(client, "scheduled-maintenances/active.json")["scheduled_maintenances"]
    assert {m["id"] for m in active} == {
        dataset["in_progress"].public_id,
        dataset["verifying"].public_id,
    }
    cancelled = next(m for m in everything if m["id"] == dataset["cancelled"].public_id)
    assert cancelled["status"] == "completed" and cancelled["resolved_at"] is not None


def test_summary_holds_open_incidents_and_active_plus_upcoming_maintenance(client, dataset):
    summary = get(client, "summary.json")
    assert summary["status"] == {"indicator": "major", "description": "Partial System Outage"}
    assert [i["id"] for i in summary["incidents"]] == [dataset["open_incident"].public_id]
    assert {m["status"] for m in summary["scheduled_maintenances"]} == {
        "scheduled",
        "in_progress",
        "verifying",
    }
    assert get(client, "status.json")["status"] == summary["status"]


def test_one_incident_and_one_maintenance_by_id(client, dataset):
    incident = get(client, f"incidents/{dataset['open_incident'].public_id}.json")
    validate(schemas.INCIDENT_DETAIL, incident)
    assert incident["incident"]["name"] == "EU latency"
    maintenance = get(client, f"incidents/{dataset['verifying'].public_id}.json")
    validate(schemas.INCIDENT_DETAIL, maintenance)
    assert maintenance["incident"]["scheduled_for"] is not None


@pytest.mark.parametrize("path", ["incidents/zzzzzzzzzzzz.json", "incidents/NOPE.json", "x.json"])
def test_unknown_ids_and_paths_answer_json_404(client, dataset, path):
    response = client.get(f"/api/v2/{path}")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "error" in response.json()
