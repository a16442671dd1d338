"""Table tests of the status rules (incidents/rules.py)."""

import pytest

from incidents.rules import (
    component_blend,
    effective_component_status,
    impact_for_statuses,
    incident_current_impact,
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


# Statuspage's top-level status (incidents/rules.py cites the sources): one component maps
# directly; two or more are blended, not the worst of them.
@pytest.mark.parametrize(
    "components, indicator, description",
    [
        # No components: operational.
        ([], "none", "All Systems Operational"),
        # One component: its status maps directly.
        ([OP], "none", "All Systems Operational"),
        ([MAINT], "maintenance", "Service Under Maintenance"),
        ([DEG], "minor", "Partially Degraded Service"),
        ([PART], "major", "Partial System Outage"),
        ([MAJOR], "critical", "Major System Outage"),
        # Two or more, row by row:
        ([OP, OP, OP], "none", "All Systems Operational"),
        # all in major outage
        ([MAJOR, MAJOR], "critical", "Major System Outage"),
        ([MAJOR] * 9, "critical", "Major System Outage"),
        # some in major outage, or all in partial outage
        ([MAJOR, OP], "major", "Partial System Outage"),
        ([MAJOR, PART], "major", "Partial System Outage"),
        ([MAJOR, DEG, MAINT], "major", "Partial System Outage"),
        ([MAJOR] * 8 + [OP], "major", "Partial System Outage"),
        ([PART, PART], "major", "Partial System Outage"),
        # some in partial outage
        ([PART, OP], "minor", "Minor Service Outage"),
        ([PART, DEG], "minor", "Minor Service Outage"),
        ([PART, PART, MAINT], "minor", "Minor Service Outage"),
        # all degraded
        ([DEG, DEG], "minor", "Degraded System Service"),
        ([DEG] * 5, "minor", "Degraded System Service"),
        # some degraded
        ([DEG, OP], "minor", "Partially Degraded Service"),
        ([DEG, MAINT], "minor", "Partially Degraded Service"),
        # maintenance, when nothing is degraded or out
        ([OP, MAINT], "maintenance", "Service Under Maintenance"),
        ([MAINT, MAINT], "maintenance", "Service Under Maintenance"),
    ],
)
def test_component_blend(components, indicator, description):
    assert component_blend(components) == (indicator, description)
    assert page_status(components) == (indicator, description)


def test_five_of_nine_in_major_outage_is_a_partial_system_outage():
    """A recorded Statuspage page: 5 of 9 components in major_outage read `major`."""
    components = [MAJOR] * 5 + [OP] * 4
    assert page_status(components) == ("major", "Partial System Outage")


@pytest.mark.parametrize(
    "components, incident_impacts, indicator, description",
    [
        # An unresolved incident raises the indicator to at least its impact.
        ([OP], ["minor"], "minor", "Minor Service Outage"),
        ([OP], ["major"], "major", "Partial System Outage"),
        ([OP], ["critical"], "critical", "Major System Outage"),
        ([MAINT], ["minor"], "minor", "Minor Service Outage"),
        ([], ["major"], "major", "Partial System Outage"),
        ([MAJOR, OP], ["critical"], "critical", "Major System Outage"),
        ([DEG, DEG], ["major"], "major", "Partial System Outage"),
        # ... but never lowers it, and an impact of none (or maintenance) changes nothing.
        ([MAJOR], ["minor"], "critical", "Major System Outage"),
        ([DEG], ["minor"], "minor", "Partially Degraded Service"),
        ([DEG, DEG], ["minor"], "minor", "Degraded System Service"),
        ([MAJOR, OP], ["minor"], "major", "Partial System Outage"),
        ([OP], ["none"], "none", "All Systems Operational"),
        ([OP, MAINT], ["maintenance"], "maintenance", "Service Under Maintenance"),
        ([PART], ["none", "critical"], "critical", "Major System Outage"),
    ],
)
def test_open_incidents_raise_the_blend(components, incident_impacts, indicator, description):
    assert page_status(components, incident_impacts) == (indicator, description)


@pytest.mark.parametrize(
    "override, imposed, expected",
    [
        (None, [], "none"),
        (None, [MAJOR], "critical"),
        (None, [DEG, PART], "major"),
        # Recovered components: the incident's impact now is none (its peak stays recorded).
        (None, [OP, OP], "none"),
        ("minor", [MAJOR], "minor"),  # the operator's override wins
        ("critical", [OP], "critical"),
    ],
)
def test_incident_current_impact(override, imposed, expected):
    assert incident_current_impact(override, imposed) == expected


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
    "base, imposed, in_window, expected",
    [
        (OP, [], False, MAINT),
        (MAJOR, [], False, MAINT),  # maintenance by hand stands in for the own status
        (DEG, [], True, MAINT),
        (OP, [PART], False, PART),  # open incidents still show through
        (MAJOR, [DEG], True, DEG),
        (OP, [OP], False, MAINT),
    ],
)
def test_effective_status_under_maintenance_by_hand(base, imposed, in_window, expected):
    assert effective_component_status(base, imposed, in_window, True) == expected


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
