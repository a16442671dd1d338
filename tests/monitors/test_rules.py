"""The monitor rules as a table: a region's count, the monitor's verdict from its regions,
slots, and the JSON paths."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from statuspage.monitors.rules import (
    RegionCount,
    json_path_missing,
    json_path_value,
    json_text,
    monitor_verdict,
    region_after,
    slot_of,
)

U, UP, DEG, DOWN = "unknown", "up", "degraded", "down"


@pytest.mark.parametrize(
    ("before", "ok", "degraded", "after"),
    [
        (RegionCount(0, 0, U), False, False, RegionCount(1, 0, U)),
        (RegionCount(1, 0, U), False, False, RegionCount(2, 0, DOWN)),
        (RegionCount(1, 0, UP), True, True, RegionCount(2, 0, DEG)),
        (RegionCount(2, 0, DOWN), True, False, RegionCount(0, 1, DOWN)),
        (RegionCount(0, 1, DOWN), True, False, RegionCount(0, 2, UP)),
        (RegionCount(0, 5, UP), False, False, RegionCount(1, 0, UP)),
        (RegionCount(3, 0, DEG), False, False, RegionCount(4, 0, DOWN)),
    ],
)
def test_region_after_with_two_failures_and_two_successes(before, ok, degraded, after):
    assert (
        region_after(
            before, ok=ok, degraded=degraded, failures_before_down=2, successes_before_up=2
        )
        == after
    )


@pytest.mark.parametrize(
    ("current", "regions", "required", "verdict"),
    [
        (U, [DOWN], 1, DOWN),
        (UP, [DOWN, UP, UP], 2, UP),  # one flaky vantage point changes nothing
        (UP, [DOWN, DOWN, UP], 2, DOWN),
        (UP, [DOWN, DEG, UP], 2, DEG),
        (DOWN, [UP, DOWN, U], 2, DOWN),  # not yet two up
        (DOWN, [UP, UP, DOWN], 2, UP),
        (U, [], 1, U),
    ],
)
def test_monitor_verdict_k_of_n(current, regions, required, verdict):
    assert monitor_verdict(current, regions, required) == verdict


def test_slots_are_fixed_windows_across_a_year_end_and_29_february():
    new_year = datetime(2027, 1, 1, tzinfo=UTC)
    assert slot_of(new_year, 60) - slot_of(datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC), 60) == 1
    leap = datetime(2028, 2, 29, 12, 0, 30, tzinfo=UTC)
    assert slot_of(leap, 60) == slot_of(datetime(2028, 2, 29, 12, 0, 0, tzinfo=UTC), 60)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("a.b", "1"),
        ("list.1.ok", "true"),
        ("list.-1.ok", "true"),
        ("n", "null"),
        ("f", "false"),
        ("s", "up"),
    ],
)
def test_json_paths(path, expected):
    document = {
        "a": {"b": 1},
        "list": [{"ok": False}, {"ok": True}],
        "n": None,
        "f": False,
        "s": "up",
    }
    assert json_text(json_path_value(document, path)) == expected


@pytest.mark.parametrize("path", ["a.c", "list.2.ok", "list.x", "s.0"])
def test_json_paths_that_lead_nowhere(path):
    document = {"a": {"b": 1}, "list": [{}, {}], "s": "up"}
    assert json_path_missing(json_path_value(document, path))
