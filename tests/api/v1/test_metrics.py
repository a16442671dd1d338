"""Statuspage's metrics API: the page's own provider, metrics under a component, data points
one at a time, as a list, and in bulk (JSON and Rails-style forms), all into the rollups."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from statuspage.access.models import Role
from statuspage.monitors.models import Metric, MetricPoint, Resolution, Rollup

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(v1):
    return v1(Role.ADMIN)


@pytest.fixture
def base(page):
    return f"/api/v1/pages/{page.public_id}"


@pytest.fixture
def metric(client, base, api):
    response = client.post(
        f"{base}/metrics_providers/{client.get(f'{base}/metrics_providers').json()[0]['id']}"
        "/metrics",
        {"metric": {"name": "Queue depth", "suffix": "jobs", "component_id": api.public_id}},
    )
    assert response.status_code == 201, response.content
    return Metric.objects.get(public_id=response.json()["id"])


def _now() -> int:
    return int(timezone.now().timestamp())


def _day_total(metric) -> tuple[int, float]:
    rows = Rollup.objects.filter(metric=metric, resolution=Resolution.DAY)
    return sum(r.count for r in rows), sum(r.total for r in rows)


def test_the_page_has_one_self_provider_and_pull_providers_are_not_implemented(client, base):
    providers = client.get(f"{base}/metrics_providers").json()
    assert [p["type"] for p in providers] == ["Self"]
    again = client.post(f"{base}/metrics_providers", {"metrics_provider": {"type": "Self"}})
    assert again.status_code == 201 and again.json()["id"] == providers[0]["id"]
    datadog = client.post(
        f"{base}/metrics_providers", {"metrics_provider": {"type": "Datadog", "api_key": "k"}}
    )
    assert datadog.status_code == 501 and "Datadog" in datadog.json()["error"]
    assert client.get(f"{base}/metrics_providers/000000000000").status_code == 404


def test_a_metric_needs_the_component_it_is_shown_under(client, base):
    provider = client.get(f"{base}/metrics_providers").json()[0]["id"]
    response = client.post(
        f"{base}/metrics_providers/{provider}/metrics", {"metric": {"name": "X"}}
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {"component_id": [response.json()["error"]]}
    assert not Metric.objects.exists()


def test_one_point_is_answered_in_statuspages_shape_and_rolled_up(client, base, metric):
    stamp = _now() - 30
    response = client.post(
        f"{base}/metrics/{metric.public_id}/data.json", {"data": {"timestamp": stamp, "value": 4.5}}
    )
    assert response.status_code == 201
    assert response.json() == {"data": {"timestamp": stamp, "value": 4.5}}
    assert _day_total(metric) == (1, 4.5)
    shown = client.get(f"{base}/metrics/{metric.public_id}").json()
    assert shown["most_recent_data_at"] == datetime.fromtimestamp(stamp, tz=UTC).isoformat()


def test_a_resent_point_is_counted_once(client, base, metric):
    url = f"{base}/metrics/{metric.public_id}/data"
    point = {"timestamp": _now() - 30, "value": 2}
    client.post(url, {"data": point})
    client.post(url, {"data": [point, {"timestamp": point["timestamp"] + 1, "value": 3}]})
    assert MetricPoint.objects.filter(metric=metric).count() == 2
    assert _day_total(metric) == (2, 5.0)


def test_bulk_data_as_json_and_as_a_rails_form(client, base, metric, api):
    other = Metric.objects.create(component=api, name="Errors")
    stamp = _now() - 120
    response = client.post(
        f"{base}/metrics/data",
        {
            "data": {
                metric.public_id: [
                    {"timestamp": stamp, "value": 1},
                    {"timestamp": stamp + 60, "value": 3},
                ],
                other.public_id: [{"timestamp": stamp, "value": 7}],
            }
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()[other.public_id] == [{"timestamp": stamp, "value": 7.0}]
    form = (
        f"data[{metric.public_id}][][timestamp]={stamp + 5}&data[{metric.public_id}][][value]=10"
        f"&data[{metric.public_id}][][timestamp]={stamp + 6}&data[{metric.public_id}][][value]=20"
    )
    assert client.post(f"{base}/metrics/data", form, form=True).status_code == 201
    assert _day_total(metric) == (4, 34.0)
    assert _day_total(other) == (1, 7.0)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"timestamp": "soon", "value": 1}, "data.0.timestamp"),
        ({"timestamp": 0, "value": 1}, "data.0.timestamp"),
        ({"timestamp": None, "value": "NaN"}, "data.0.timestamp"),
        ({"timestamp": "NOW", "value": 1, "extra": 1}, "data.0"),
        ("12", "data.0"),
    ],
)
def test_a_bad_point_is_a_422_naming_it_and_nothing_is_kept(client, base, metric, data, field):
    if isinstance(data, dict) and data.get("timestamp") == "NOW":
        data["timestamp"] = _now()
    response = client.post(f"{base}/metrics/{metric.public_id}/data", {"data": [data]})
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"]
    assert not MetricPoint.objects.exists() and not Rollup.objects.exists()


def test_an_unknown_metric_in_bulk_refuses_the_whole_request(client, base, metric):
    stamp = _now() - 10
    response = client.post(
        f"{base}/metrics/data",
        {"data": {metric.public_id: [{"timestamp": stamp, "value": 1}], "nosuchmetric": []}},
    )
    assert response.status_code == 422
    assert not MetricPoint.objects.exists()
    assert client.post(f"{base}/metrics/data", {"data": []}).status_code == 422
    assert client.post(f"{base}/metrics/data", {"points": {}}).status_code == 422


def test_reset_forgets_points_and_rollups_and_delete_removes_the_metric(client, base, metric):
    url = f"{base}/metrics/{metric.public_id}"
    client.post(f"{url}/data", {"data": {"timestamp": _now() - 5, "value": 1}})
    assert client.delete(f"{url}/data").status_code == 204
    assert not Rollup.objects.exists() and not MetricPoint.objects.exists()
    assert client.delete(url).status_code == 200
    assert client.get(url).status_code == 404


def test_points_older_than_28_days_are_refused(client, base, metric):
    old = int((timezone.now() - timedelta(days=29)).timestamp())
    response = client.post(
        f"{base}/metrics/{metric.public_id}/data", {"data": {"timestamp": old, "value": 1}}
    )
    assert response.status_code == 422


def test_a_viewer_reads_metrics_but_cannot_push(v1, base, metric):
    viewer = v1(Role.VIEWER)
    assert viewer.get(f"{base}/metrics").json()[0]["id"] == metric.public_id
    pushed = viewer.post(
        f"{base}/metrics/{metric.public_id}/data", {"data": {"timestamp": _now(), "value": 1}}
    )
    assert pushed.status_code == 403
