"""A cold render of / runs the same number of queries for 10 and for 100 components."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents import services
from tests.public.conftest import reset_read_path


def _populate(count: int, operator, make_component):
    groups = [services.component_group_create(name=f"G{n}", actor=operator) for n in range(3)]
    components = [
        make_component(f"C{n}", group=groups[n % 4] if n % 4 < 3 else None, description="d")
        for n in range(count)
    ]
    now = timezone.now()
    # At least one open and one resolved incident: an empty queryset skips its prefetches.
    for n in range(max(2, count // 10)):
        incident = services.incident_create(
            name=f"I{n}",
            body="b",
            actor=operator,
            component_statuses={components[n]: "partial_outage"},
            at=now - timedelta(days=n % 5, hours=1),
        )
        if n % 2:
            services.incident_resolve(incident=incident, body="r", actor=operator)
    services.maintenance_schedule(
        name="M",
        scheduled_for=now + timedelta(days=1),
        scheduled_until=now + timedelta(days=1, hours=1),
        components=components[: count // 2],
        actor=operator,
    )


def _cold_render_queries(client) -> int:
    reset_read_path()
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/").status_code == 200
    return len(ctx.captured_queries)


def test_cold_render_query_count_is_independent_of_size(client, page, operator, make_component):
    _populate(10, operator, make_component)
    small = _cold_render_queries(client)
    _populate(90, operator, make_component)
    large = _cold_render_queries(client)
    assert small == large
    # 21: the link to the system-metrics charts asks whether there is anything to chart;
    # 22: the uptime bars ask whether monitors measure any component (and a 23rd reads their
    # failing hours when some do).
    assert small <= 22


def test_other_pages_have_fixed_query_counts(client, page, operator, make_component):
    _populate(10, operator, make_component)
    paths = ["/history", "/uptime", "/history.atom", "/maintenance.ics"]
    small = [_cold_render_queries_for(client, p) for p in paths]
    _populate(60, operator, make_component)
    large = [_cold_render_queries_for(client, p) for p in paths]
    assert small == large


def _cold_render_queries_for(client, path) -> int:
    reset_read_path()
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx.captured_queries)


def _other_pages(count: int, operator) -> None:
    """`count` more pages, each with a group, a component in an open incident and a window."""
    from incidents.models import Page

    for n in range(count):
        other = Page.objects.create(name=f"P{n}", slug=f"p{n}", time_zone="Etc/UTC")
        group = services.component_group_create(name=f"P{n} group", actor=operator, page=other)
        component = services.component_create(name=f"P{n} API", actor=operator, group=group)
        services.incident_create(
            name=f"P{n} outage",
            body="b",
            actor=operator,
            component_statuses={component: "major_outage"},
        )


def test_cold_render_costs_the_same_with_one_page_or_a_hundred(
    client, page, operator, make_component
):
    _populate(10, operator, make_component)
    paths = ["/", "/history", "/api/v2/summary.json", "/history.atom"]
    alone = {}
    for path in paths:
        reset_read_path()
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(path).status_code == 200
        alone[path] = len(ctx.captured_queries)
    _other_pages(99, operator)
    for path in paths:
        reset_read_path()
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(path)
        assert response.status_code == 200
        assert len(ctx.captured_queries) == alone[path], path
        # And none of the other pages' objects shows on the default page.
        assert b"P7 outage" not in response.content
        assert b"P7 API" not in response.content
