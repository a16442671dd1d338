"""The preview of a change agrees with the page after the change is made."""

from __future__ import annotations

import pytest

from incidents import selectors, services
from incidents.preview import status_preview

pytestmark = pytest.mark.django_db


@pytest.fixture
def nine(operator):
    return [services.component_create(name=f"C{n}", actor=operator) for n in range(9)]


def _after(operator, **kwargs):
    services.incident_create(name="Outage", body="x", actor=operator, **kwargs)
    return selectors.status_summary()


def test_a_new_incident_on_five_of_nine_previews_what_the_page_then_reads(nine, operator):
    imposed = {c.id: "major_outage" for c in nine[:5]}
    preview = status_preview(imposed)
    # The components alone blend to "Partial System Outage"; the incident's own impact
    # (critical, from major outages) raises the page, as it will once declared.
    assert (preview.indicator, preview.description) == ("critical", "Major System Outage")
    assert status_preview(imposed, impact_override="major").description == ("Partial System Outage")
    assert [(c.name, c.old, c.new) for c in preview.changes] == [
        (f"C{n}", "operational", "major_outage") for n in range(5)
    ]
    after = _after(operator, component_statuses={c: "major_outage" for c in nine[:5]})
    assert after == (preview.indicator, preview.description)


def test_an_override_raises_the_preview_like_the_page(nine, operator):
    preview = status_preview({nine[0].id: "degraded_performance"}, impact_override="critical")
    after = _after(
        operator, component_statuses={nine[0]: "degraded_performance"}, impact_override="critical"
    )
    assert after == (preview.indicator, preview.description) == ("critical", "Major System Outage")


def test_updating_and_resolving_an_open_incident(nine, operator):
    incident = services.incident_create(
        name="Outage", body="x", actor=operator, component_statuses={nine[0]: "major_outage"}
    )
    lighter = status_preview({nine[0].id: "degraded_performance"}, incident=incident)
    assert lighter.indicator == "minor"
    assert [(c.name, c.new) for c in lighter.changes] == [("C0", "degraded_performance")]
    closing = status_preview({}, incident=incident, resolving=True)
    assert (closing.indicator, closing.description) == ("none", "All Systems Operational")
    services.incident_resolve(incident=incident, body="Fixed.", actor=operator)
    assert selectors.status_summary() == (closing.indicator, closing.description)
