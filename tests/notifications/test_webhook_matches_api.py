"""A webhook carries the same incident and component objects as the public API (as Statuspage's
do): what a real local receiver got is compared, field by field, with /api/v2 at the same moment,
on a UTC page and on one whose offset is not zero."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from jsonschema import Draft202012Validator
from standardwebhooks.webhooks import Webhook

from incidents import services
from incidents.enums import ComponentStatus
from incidents.models import Page
from notifications import jobs
from notifications.models import Channel, Event
from tests.api import schemas

pytestmark = pytest.mark.django_db

ZONES = ["Etc/UTC", "America/New_York"]
# What a webhook's incident carries beyond the API's (reference, section 2).
INCIDENT_EXTRAS = {
    "backfilled",
    "impact_override",
    "postmortem_body",
    "postmortem_published_at",
    "scheduled_for",
    "scheduled_until",
    "scheduled_remind_prior",
    "scheduled_auto_in_progress",
    "scheduled_auto_completed",
}


@pytest.fixture
def layout(make_component, operator):
    """A group (first on the page) holding EU West, then API on its own: API's stored position
    is 1 among ungrouped components, but it is the page's second top-level entry."""
    regions = services.component_group_create(name="Regions", actor=operator)
    eu = make_component("EU West", group=regions, description="Frankfurt")
    api = make_component("API")
    return {"regions": regions, "eu": eu, "api": api}


@pytest.fixture
def hook(request, receiver, make_subscriber):
    """A webhook subscriber at a live loopback receiver, on a page in the zone asked for."""
    Page.objects.update(time_zone=request.param)
    sub = make_subscriber(channel=Channel.WEBHOOK, address=receiver.url)

    def received() -> list[dict]:
        """Deliver the latest event, then every verified body the receiver got, in order."""
        jobs.deliver_batch(Event.objects.latest("id").id, 0)
        out = []
        for request in receiver.requests:
            headers = {k.lower(): v for k, v in request["headers"].items()}
            out.append(Webhook(sub.secret).verify(request["body"], headers))
        return out

    return received


def api_get(client, path: str) -> dict:
    response = client.get(f"/api/v2/{path}")
    assert response.status_code == 200, response.content
    return response.json()


def differences(webhook: dict, api: dict) -> dict:
    """Every key of the API object whose value the webhook's object does not share."""
    return {
        key: {"webhook": webhook.get(key, "<absent>"), "api": value}
        for key, value in api.items()
        if webhook.get(key, "<absent>") != value
    }


def validate(schema: dict, document: dict) -> None:
    errors = sorted(Draft202012Validator(schema).iter_errors(document), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


def offset_of(zone: str) -> str:
    """The suffix a timestamp written now in `zone` ends with ("Z" or "-05:00")."""
    offset = timezone.now().astimezone(ZoneInfo(zone)).utcoffset() or timedelta(0)
    if not offset:
        return "Z"
    minutes = int(offset.total_seconds()) // 60
    return f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


@pytest.mark.parametrize("hook", ZONES, indirect=True)
def test_incident_webhook_carries_the_api_incident(client, hook, layout, operator):
    incident = services.incident_create(
        name="EU latency",
        body="We are investigating.",
        actor=operator,
        component_statuses={
            layout["eu"]: ComponentStatus.DEGRADED_PERFORMANCE,
            layout["api"]: ComponentStatus.PARTIAL_OUTAGE,
        },
    )
    [payload] = hook()
    api = api_get(client, f"incidents/{incident.public_id}.json")["incident"]
    assert differences(payload["incident"], api) == {}
    assert set(payload["incident"]) - set(api) == INCIDENT_EXTRAS
    assert [c["id"] for c in api["components"]] == [layout["eu"].public_id, layout["api"].public_id]
    validate(schemas.WEBHOOK_INCIDENT, payload)


@pytest.mark.parametrize("hook", ZONES, indirect=True)
def test_a_later_update_webhook_still_matches_the_api(client, hook, layout, operator, clock):
    incident = services.incident_create(
        name="EU latency",
        body="Looking.",
        actor=operator,
        component_statuses={layout["eu"]: ComponentStatus.PARTIAL_OUTAGE},
        notify=False,
    )
    clock.shift(timedelta(minutes=7, milliseconds=250))
    services.incident_update_post(
        incident=incident,
        status="monitoring",
        body="A fix is out.",
        actor=operator,
        component_statuses={layout["eu"]: ComponentStatus.DEGRADED_PERFORMANCE},
    )
    [payload] = hook()
    api = api_get(client, f"incidents/{incident.public_id}.json")["incident"]
    assert differences(payload["incident"], api) == {}
    assert [u["status"] for u in payload["incident"]["incident_updates"]] == [
        "monitoring",
        "investigating",
    ]


@pytest.mark.parametrize("hook", ZONES, indirect=True)
def test_maintenance_webhook_carries_the_api_maintenance(client, hook, layout, operator):
    start = timezone.now() + timedelta(days=1)
    window = services.maintenance_schedule(
        name="DB upgrade",
        scheduled_for=start,
        scheduled_until=start + timedelta(hours=2),
        components=[layout["api"], layout["eu"]],
        remind_before_minutes=60,
        actor=operator,
    )
    [payload] = hook()
    api = api_get(client, f"incidents/{window.public_id}.json")["incident"]
    assert differences(payload["incident"], api) == {}
    assert set(payload["incident"]) - set(api) == INCIDENT_EXTRAS - {
        "scheduled_for",
        "scheduled_until",
    }
    assert payload["incident"]["scheduled_remind_prior"] is True
    validate(schemas.WEBHOOK_INCIDENT, payload)


@pytest.mark.parametrize("hook", ZONES, indirect=True)
def test_component_webhook_carries_the_api_component(client, hook, layout, operator, page):
    Page.objects.update(notify_component_changes=True)
    services.component_status_set(
        component=layout["api"], status=ComponentStatus.MAJOR_OUTAGE, actor=operator, notify=True
    )
    [payload] = hook()
    rows = {row["id"]: row for row in api_get(client, "components.json")["components"]}
    api = rows[layout["api"].public_id]
    assert differences(payload["component"], api) == {}
    assert set(payload["component"]) == set(api)
    update = payload["component_update"]
    assert update["component_id"] == api["id"]
    assert (update["old_status"], update["new_status"]) == ("operational", "major_outage")
    # The change is the component's last edit: one instant, written the same way.
    assert update["created_at"] == api["updated_at"]
    validate(schemas.WEBHOOK_COMPONENT, payload)


@pytest.mark.parametrize("hook", ZONES, indirect=True)
def test_webhook_page_and_meta_agree_with_the_api(client, hook, layout, operator, request):
    zone = request.node.callspec.params["hook"]
    services.incident_create(
        name="Errors",
        body="Looking.",
        actor=operator,
        component_statuses={layout["api"]: ComponentStatus.MAJOR_OUTAGE},
    )
    [payload] = hook()
    status = api_get(client, "status.json")
    assert payload["page"] == {
        "id": status["page"]["id"],
        "status_indicator": status["status"]["indicator"],
        "status_description": status["status"]["description"],
    }
    assert payload["meta"]["generated_at"].endswith(offset_of(zone))
    assert status["page"]["updated_at"].endswith(offset_of(zone))


@pytest.mark.parametrize("hook", ["Etc/UTC"], indirect=True)
def test_the_webhook_schemas_can_fail(hook, layout, operator):
    """Not vacuous: a missing extra, a raw position, a timestamp without milliseconds and a
    numeric component_update id are each refused."""
    services.incident_create(
        name="Errors",
        body="Looking.",
        actor=operator,
        component_statuses={layout["api"]: ComponentStatus.MAJOR_OUTAGE},
    )
    [payload] = hook()
    incident = payload["incident"]
    broken = [
        {**payload, "incident": {k: v for k, v in incident.items() if k != "backfilled"}},
        {
            **payload,
            "incident": {**incident, "components": [{**incident["components"][0], "position": 0}]},
        },
        {**payload, "meta": {**payload["meta"], "generated_at": "2026-01-05T10:02:11Z"}},
    ]
    for candidate in broken:
        assert list(Draft202012Validator(schemas.WEBHOOK_INCIDENT).iter_errors(candidate))
    change = {
        "id": "1",
        "component_id": layout["api"].public_id,
        "old_status": "operational",
        "new_status": "major_outage",
        "created_at": "2026-01-05T10:02:11.123Z",
        "component_type": "Component",
    }
    validator = Draft202012Validator(schemas.COMPONENT_UPDATE)
    assert list(validator.iter_errors(change))
    assert not list(validator.iter_errors({**change, "id": "00000000000z"}))
