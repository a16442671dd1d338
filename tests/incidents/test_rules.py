"""Table tests of the status rules (incidents/rules.py)."""

import pytest

from incidents.rules import (
    effective_component_status,
    impact_for_statuses,
    page_status,
    uptime_level,
)

OP, MAINT, DEG, PART, MAJOR = (
    "operational",
    "under_maintenance",
    "degraded_performance",
    "partial_outage",
    "major_outage",
)


@pytest.mark.parametrize(
    "components, incident_impacts, indicator, description",
    [
        ([], [], "none", "All Systems Operational"),
        ([OP, OP], [], "none", "All Systems Operational"),
        ([OP, MAINT], [], "maintenance", "Service Under Maintenance"),
        ([OP, DEG], [], "minor", "Partially Degraded Service"),
        ([MAINT, DEG], [], "minor", "Partially Degraded Service"),
        ([DEG, PART], [], "major", "Partial System Outage"),
        ([PART, MAJOR, MAINT], [], "critical", "Major System Outage"),
        # An unresolved incident raises the indicator to at least its impact.
        ([OP], ["minor"], "minor", "Minor Service Outage"),
        ([OP], ["major"], "major", "Partial System Outage"),
        ([OP], ["critical"], "critical", "Major System Outage"),
        ([MAINT], ["minor"], "minor", "Minor Service Outage"),
        # ... but never lowers it, and an impact of none changes nothing.
        ([MAJOR], ["minor"], "critical", "Major System Outage"),
        ([DEG], ["minor"], "minor", "Partially Degraded Service"),
        ([OP], ["none"], "none", "All Systems Operational"),
        ([PART], ["none", "critical"], "critical", "Major System Outage"),
    ],
)
def test_page_status_rollup(components, incident_impacts, indicator, description):
    assert page_status(components, incident_impacts) == (indicator, description)


@pytest.mark.parametrize(
    "base, imposed, in_maintenance, expected",
    [
        (OP, [], False, OP),
        (DEG, [], False, DEG),  # a manual status stands on its own
        (OP, [PART], False, PART),
        (OP, [DEG, MAJOR], False, MAJOR),  # overlapping incidents: the worst wins
        (OP, [], True, MAINT),
        (DEG, [], True, DEG),  # an outage stays visible during maintenance
        (OP, [MAJOR], True, MAJOR),
        (OP, [OP], True, MAINT),
        (PART, [DEG], False, PART),
    ],
)
def test_effective_component_status(base, imposed, in_maintenance, expected):
    assert effective_component_status(base, imposed, in_maintenance) == expected


@pytest.mark.parametrize(
    "statuses, previous, expected",
    [
        ([], "none", "none"),
        ([OP], "none", "none"),
        ([DEG], "none", "minor"),
        ([DEG, PART], "none", "major"),
        ([MAJOR], "minor", "critical"),
        ([OP], "major", "major"),  # recovery does not lower the recorded impact
    ],
)
def test_incident_impact_is_the_worst_reached(statuses, previous, expected):
    assert impact_for_statuses(statuses, previous=previous) == expected


@pytest.mark.parametrize(
    "minutes, level",
    [(0, 0), (0.5, 1), (20, 1), (20.5, 2), (40, 2), (41, 3), (60, 3), (61, 4), (1440, 4)],
)
def test_uptime_level_counts_thresholds_exceeded(minutes, level):
    assert uptime_level(minutes * 60, (0, 20, 40, 60)) == level
