"""manage.py import_statuspage against a local server speaking Statuspage's /api/v2/ shapes."""

import contextlib
import json
import re
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import CommandError, call_command

from incidents.models import (
    Component,
    ComponentGroup,
    ComponentStatusChange,
    Incident,
    Maintenance,
    Page,
)
from tests.conftest import RECORDED_EVENTS

T0 = datetime(2026, 9, 1, 12, tzinfo=UTC)


def ts(dt):
    return dt.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def component(id_, name, group_id=None, status="operational", position=1):
    return {
        "id": id_,
        "name": name,
        "status": status,
        "created_at": ts(T0 - timedelta(days=200)),
        "updated_at": ts(T0),
        "position": position,
        "description": None,
        "showcase": True,
        "start_date": None,
        "group_id": group_id,
        "page_id": "pagepagepage",
        "group": False,
        "only_show_if_degraded": False,
    }


def update(id_, status, at, body, affected=None):
    return {
        "id": id_,
        "status": status,
        "body": body,
        "incident_id": "x",
        "created_at": ts(at),
        "updated_at": ts(at),
        "display_at": ts(at),
        "affected_components": affected,
        "deliver_notifications": True,
        "custom_tweet": None,
        "tweet_id": None,
    }


def incident(id_, name, status, updates, impact="none", **extra):
    return {
        "id": id_,
        "name": name,
        "status": status,
        "impact": impact,
        "created_at": updates[-1]["created_at"],
        "updated_at": updates[0]["updated_at"],
        "started_at": updates[-1]["display_at"],
        "monitoring_at": None,
        "resolved_at": updates[0]["display_at"]
        if status in ("resolved", "postmortem", "completed")
        else None,
        "shortlink": "https://stspg.io/x",
        "page_id": "pagepagepage",
        "incident_updates": updates,
        "components": [],
        **extra,
    }


SOURCE_PAGE = {
    "id": "pagepagepage",
    "name": "Example Status",
    "url": "https://status.example.com",
    "time_zone": "America/Los_Angeles",
    "updated_at": "2026-09-01T05:00:00.000-07:00",
}


def source_page():
    group = component("grp000000001", "Regions") | {"group": True, "components": ["cmpeuwest001"]}
    components = [
        group,
        component("cmpeuwest001", "EU West", "grp000000001"),
        component("cmpapi000001", "API", status="partial_outage", position=2),
    ]
    change = [
        {
            "code": "cmpapi000001",
            "name": "API",
            "old_status": "operational",
            "new_status": "major_outage",
        }
    ]
    back = [
        {
            "code": "cmpapi000001",
            "name": "API",
            "old_status": "major_outage",
            "new_status": "operational",
        }
    ]
    incidents = [
        incident(
            "inc00000live",
            "Live one",
            "investigating",
            [
                update(
                    "upd0000live0",
                    "investigating",
                    T0 + timedelta(days=5),
                    "Looking",
                    [
                        {
                            "code": "cmpapi000001",
                            "name": "API",
                            "old_status": "operational",
                            "new_status": "partial_outage",
                        }
                    ],
                )
            ],
            impact="major",
        ),
        incident(
            "inc00000pm01",
            "With postmortem",
            "postmortem",
            [
                update("upd000000pm3", "resolved", T0 + timedelta(hours=3), "Fixed", back),
                update("upd000000pm2", "identified", T0 + timedelta(hours=1), "Found it"),
                update("upd000000pm1", "investigating", T0, "API down", change),
            ],
            impact="critical",
            postmortem_body="Root cause: a bad deploy.",
            postmortem_published_at=ts(T0 + timedelta(days=1)),
            # The source's own times, which are not those of its first update.
            created_at=ts(T0 - timedelta(minutes=5)),
            started_at=ts(T0 - timedelta(minutes=10)),
        ),
    ]
    for n in range(55):  # more than one page of history
        at = T0 - timedelta(days=60 - n)
        incidents.append(
            incident(
                f"old{n:09d}",
                f"Old {n}",
                "resolved",
                [
                    update(f"uo{n:010d}", "resolved", at + timedelta(minutes=30), "Done"),
                    update(f"ui{n:010d}", "investigating", at, "Slow"),
                ],
                impact="minor",
            )
        )
    window = T0 + timedelta(days=2)
    eu = {"code": "cmpeuwest001", "name": "EU West"}
    eu_down = [eu | {"old_status": "operational", "new_status": "under_maintenance"}]
    eu_back = [eu | {"old_status": "under_maintenance", "new_status": "operational"}]
    maintenances = [
        incident(
            "mnt000000old",
            "Past window",
            "completed",
            [
                update("mu0000000004", "completed", window + timedelta(hours=1), "Done", eu_back),
                update("mu0000000003", "verifying", window + timedelta(minutes=40), "Checking")
                | {"deliver_notifications": False},
                update("mu0000000002", "in_progress", window, "Started", eu_down),
                update("mu0000000001", "scheduled", window - timedelta(days=1), "Planned"),
            ],
            impact="maintenance",
            scheduled_for=ts(window),
            scheduled_until=ts(window + timedelta(hours=2)),
            started_at=ts(window),
            components=[component("cmpeuwest001", "EU West", "grp000000001")],
        ),
        incident(
            "mnt000000new",
            "Next window",
            "scheduled",
            [update("mu0000000010", "scheduled", T0, "Planned")],
            impact="maintenance",
            scheduled_for=ts(datetime.now(UTC) + timedelta(days=3)),
            scheduled_until=ts(datetime.now(UTC) + timedelta(days=3, hours=1)),
        ),
    ]
    return {
        "components.json": {"page": SOURCE_PAGE, "components": components},
        "incidents.json": incidents,
        "scheduled-maintenances.json": maintenances,
    }


@contextlib.contextmanager
def serving(data, faults=None, component_pages=False):
    """A local server answering the /api/v2/ documents in `data` (incident and maintenance
    lists paged by 50; components too with `component_pages`, else all at once). `faults` maps
    "name?page=N" to what that request gets instead: an HTTP status, "garbage" (not JSON) or
    "drop" (the connection closed without an answer)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            parts = urlsplit(self.path)
            name = parts.path.removeprefix("/api/v2/")
            page = int(parse_qs(parts.query).get("page", ["1"])[0])
            fault = (faults or {}).get(f"{name}?page={page}")
            if fault == "drop":
                self.close_connection = True
                return
            if isinstance(fault, int):
                self.send_error(fault)
                return
            if name == "components.json":
                body = data[name]
                if component_pages:
                    body = body | {"components": body["components"][(page - 1) * 50 : page * 50]}
            elif name in ("incidents.json", "scheduled-maintenances.json"):
                key = "incidents" if name == "incidents.json" else "scheduled_maintenances"
                body = {key: data[name][(page - 1) * 50 : page * 50]}
            else:
                self.send_error(404)
                return
            payload = b"<html>oops" if fault == "garbage" else json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


@pytest.fixture
def statuspage_url():
    with serving(source_page()) as url:
        yield url


def test_import_rebuilds_components_history_and_current_state(page, statuspage_url):
    call_command("import_statuspage", statuspage_url)
    eu, api = Component.objects.get(public_id="cmpeuwest001"), Component.objects.get(name="API")
    assert eu.group == ComponentGroup.objects.get(public_id="grp000000001")
    assert api.public_id == "cmpapi000001"
    assert Incident.objects.count() == 57  # every page was fetched
    live = Incident.objects.get(public_id="inc00000live")
    assert live.status == "investigating" and api.status == "partial_outage"
    pm = Incident.objects.get(public_id="inc00000pm01")
    assert pm.status == "postmortem" and pm.postmortem_body == "Root cause: a bad deploy."
    assert [u.public_id for u in pm.updates.all()] == [
        "upd000000pm3",
        "upd000000pm2",
        "upd000000pm1",
    ]
    # The status log is rebuilt at the source's times, so uptime bars show the outage.
    outage = ComponentStatusChange.objects.filter(component=api, new_status="major_outage").get()
    assert outage.at == T0 and outage.source == "incident"
    past = Maintenance.objects.get(public_id="mnt000000old")
    assert past.status == "completed" and past.started_at is not None
    assert Maintenance.objects.get(public_id="mnt000000new").status == "scheduled"
    eu.refresh_from_db()
    assert eu.status == "operational"


def _bar_redraws(err: str, label: str) -> list[tuple[int, int, int]]:
    """(filled, done, total) of each redraw of the `label` progress bar, in order."""
    return [
        (len(filled), int(done), int(total))
        for filled, done, total in re.findall(rf"\r{label}: \[(#*)\.*\] (\d+)/(\d+)", err)
    ]


def test_import_is_idempotent(page, statuspage_url, capsys):
    call_command("import_statuspage", statuspage_url)
    first = capsys.readouterr()
    counts = [m.objects.count() for m in (Component, Incident, Maintenance, ComponentStatusChange)]
    # The progress goes to stderr, the report to stdout.
    # One redraw per fetched page of 50, ending on the full count.
    assert "\rfetching incidents: 50\rfetching incidents: 57\n" in first.err
    assert re.search(r"\rfetching scheduled_maintenances: \d+\n", first.err)
    redraws = _bar_redraws(first.err, "replaying history")
    total = redraws[-1][2]
    assert redraws[-1] == (30, total, total) and first.err.endswith(f"{total}/{total}\n")
    # Redrawn as it fills, not once per step: at most one redraw per # and the last step.
    assert [r[0] for r in redraws] == sorted({r[0] for r in redraws})
    assert len(redraws) <= 31 < total
    assert "replaying" not in first.out and "Import finished." in first.out
    assert "imported 57 incident(s)" in first.out

    call_command("import_statuspage", statuspage_url + "/api/v2/")
    again = capsys.readouterr()
    assert [
        m.objects.count() for m in (Component, Incident, Maintenance, ComponentStatusChange)
    ] == counts
    assert "skipped 57 incident (already imported)" in again.out
    assert not re.search(r"^imported", again.out, re.MULTILINE)
    # Nothing left to replay: the re-run fetches, and draws no replay bar.
    assert re.search(r"\rfetching incidents: \d+\n", again.err)
    assert "replaying history" not in again.err


def test_import_reports_unreachable_and_bad_urls(db):
    with pytest.raises(CommandError, match="could not be reached"):
        call_command("import_statuspage", "http://127.0.0.1:1", timeout=2)
    with pytest.raises(CommandError, match="must start with http"):
        call_command("import_statuspage", "ftp://example.com")


def test_updates_without_a_usable_time_are_reported_not_fatal(page, capsys):
    """An update whose display_at is missing or no timestamp cannot be placed in the status
    log: the import reports it and replays the rest (it used to end in a TypeError, comparing
    None with the other updates' times)."""
    data = source_page()
    pm = next(i for i in data["incidents.json"] if i["id"] == "inc00000pm01")
    pm["incident_updates"][1]["display_at"] = None  # "identified"
    old = data["incidents.json"][2]
    old["incident_updates"][0]["display_at"] = "2026-13-01T00:00:00Z"  # its resolution
    window = next(m for m in data["scheduled-maintenances.json"] if m["id"] == "mnt000000new")
    window["incident_updates"][0]["display_at"] = None  # its only update
    with serving(data) as url:
        call_command("import_statuspage", url)
    out = capsys.readouterr().out
    assert "Import finished." in out
    assert "problem: incident inc00000pm01: update upd000000pm2 has no valid display_at" in out
    assert f"problem: incident {old['id']}: update uo0000000000 has no valid display_at" in out
    assert "problem: maintenance mnt000000new: update mu0000000010 has no valid display_at" in out
    replayed = Incident.objects.get(public_id="inc00000pm01")
    assert [u.public_id for u in replayed.updates.all()] == ["upd000000pm3", "upd000000pm1"]
    assert replayed.status == "postmortem"
    assert Incident.objects.get(public_id=old["id"]).status == "investigating"
    assert Maintenance.objects.get(public_id="mnt000000new").status == "scheduled"


def test_import_refuses_a_source_answering_json_that_is_no_object(db):
    """A document that is JSON but not an object (a list, a number) is refused with the URL,
    like a document that is not JSON at all (it used to end in a TypeError)."""
    data = source_page() | {"components.json": [{"id": "cmpapi000001"}]}
    with serving(data) as url, pytest.raises(CommandError, match="did not return a JSON object"):
        call_command("import_statuspage", url)


def test_import_keeps_the_source_record_of_every_update_and_time(page, statuspage_url):
    call_command("import_statuspage", statuspage_url)
    page.refresh_from_db()
    assert (page.public_id, page.name, page.url, page.time_zone) == (
        "pagepagepage",
        "Example Status",
        "https://status.example.com",
        "America/Los_Angeles",
    )
    assert page.updated_at == T0  # 05:00 in Los Angeles
    pm = Incident.objects.get(public_id="inc00000pm01")
    assert pm.created_at == T0 - timedelta(minutes=5)
    assert pm.started_at == T0 - timedelta(minutes=10)
    first = pm.updates.get(public_id="upd000000pm1")
    assert (first.display_at, first.created_at, first.deliver_notifications) == (T0, T0, True)
    assert first.affected_components == [
        {
            "code": "cmpapi000001",
            "name": "API",
            "old_status": "operational",
            "new_status": "major_outage",
        }
    ]
    # Every one of the four updates of the window, with its id, status, time and changes.
    window = T0 + timedelta(days=2)
    past = Maintenance.objects.get(public_id="mnt000000old")
    assert [
        (u.public_id, u.status, u.display_at, u.created_at, u.deliver_notifications)
        for u in past.updates.all()
    ] == [
        (
            "mu0000000004",
            "completed",
            window + timedelta(hours=1),
            window + timedelta(hours=1),
            True,
        ),
        (
            "mu0000000003",
            "verifying",
            window + timedelta(minutes=40),
            window + timedelta(minutes=40),
            False,
        ),
        ("mu0000000002", "in_progress", window, window, True),
        ("mu0000000001", "scheduled", window - timedelta(days=1), window - timedelta(days=1), True),
    ]
    assert past.updates.get(public_id="mu0000000002").affected_components[0]["new_status"] == (
        "under_maintenance"
    )
    assert past.created_at == window - timedelta(days=1)
    assert (past.started_at, past.completed_at) == (window, window + timedelta(hours=1))
    # The status log still comes from the replay: the window put EU West under maintenance.
    eu = Component.objects.get(public_id="cmpeuwest001")
    assert list(
        ComponentStatusChange.objects.filter(component=eu).values_list("new_status", "at")
    ) == [("under_maintenance", window), ("operational", window + timedelta(hours=1))]


def test_import_sends_no_notification_for_imported_history(page, statuspage_url, settings):
    from notifications.models import Channel, Delivery, Event, Subscriber, SubscriberState

    Subscriber.objects.create(
        channel=Channel.EMAIL,
        address="ann@example.test",
        state=SubscriberState.ACTIVE,
        confirmed_at=T0,
    )
    Page.objects.update(notify_component_changes=True)
    call_command("import_statuspage", statuspage_url)
    assert Incident.objects.count() == 57
    assert (Event.objects.count(), Delivery.objects.count()) == (0, 0)
    # Each replayed step announces itself, marked as not to be sent.
    settings.STATUSPAGE_EVENT_HANDLER = "tests.conftest.record_event"
    RECORDED_EVENTS.clear()
    Incident.objects.all().delete()
    Maintenance.objects.all().delete()
    call_command("import_statuspage", statuspage_url)
    assert len(RECORDED_EVENTS) > 57
    assert [e.kind for e in RECORDED_EVENTS if e.notify] == []


def test_components_beyond_fifty_on_a_source_that_pages_them(page):
    data = source_page()
    rows = data["components.json"]["components"]
    rows += [component(f"cmpmany{n:05d}", f"Many {n}", position=3 + n) for n in range(60)]
    with serving(data, component_pages=True) as url:
        call_command("import_statuspage", url)
    assert Component.objects.count() == 62


def _nothing_written():
    return [
        m.objects.count()
        for m in (Component, ComponentGroup, Incident, Maintenance, ComponentStatusChange)
    ] == [0, 0, 0, 0, 0] and Page.objects.get().public_id != "pagepagepage"


@pytest.mark.parametrize(
    ("faults", "message"),
    [
        ({"incidents.json?page=2": "garbage"}, r"incidents.json\?page=2.* did not return JSON"),
        ({"scheduled-maintenances.json?page=1": 404}, r"scheduled-maintenances.json.* HTTP 404"),
        ({"incidents.json?page=2": "drop"}, r"incidents.json\?page=2.* could not be reached"),
    ],
)
def test_a_source_failing_mid_way_leaves_nothing_written(page, faults, message):
    with serving(source_page(), faults) as url, pytest.raises(CommandError, match=message):
        call_command("import_statuspage", url)
    assert _nothing_written()


def test_data_of_the_wrong_shape_is_refused_and_rolled_back(page):
    """A listing whose objects lack what the import needs (here an update without a status,
    met after the components and dozens of incidents were written) ends in a clear error and
    nothing of the import is kept."""
    data = source_page()
    del data["incidents.json"][-1]["incident_updates"][0]["status"]
    with serving(data) as url, pytest.raises(CommandError, match="nothing was written"):
        call_command("import_statuspage", url)
    assert _nothing_written()
    bad_list = source_page()
    bad_list["incidents.json"][3] = {"name": "no id"}
    with serving(bad_list) as url, pytest.raises(CommandError, match="not a list of objects"):
        call_command("import_statuspage", url)
    assert _nothing_written()


def test_page_settings_kept_on_request_or_when_refused(page, capsys):
    before = (page.public_id, page.name, page.url, page.time_zone, page.updated_at)
    with serving(source_page()) as url:
        call_command("import_statuspage", url, keep_page_settings=True)
    page.refresh_from_db()
    assert (page.public_id, page.name, page.url, page.time_zone) == before[:4]
    assert Incident.objects.count() == 57

    data = source_page()
    data["components.json"]["page"] = SOURCE_PAGE | {"time_zone": "Mars/Olympus"}
    with serving(data) as url:
        call_command("import_statuspage", url)
    page.refresh_from_db()
    assert (page.public_id, page.name, page.time_zone) == before[:2] + before[3:4]
    out = capsys.readouterr().out
    assert "problem: page settings not imported" in out and "Import finished." in out


def test_a_component_under_maintenance_at_the_source_stays_under_maintenance(page, capsys):
    """No running window here explains it: it is imported as maintenance set by hand (it used
    to come in operational), over an operational status to return to when it ends."""
    data = source_page()
    eu = next(c for c in data["components.json"]["components"] if c["id"] == "cmpeuwest001")
    eu["status"] = "under_maintenance"
    with serving(data) as url:
        call_command("import_statuspage", url)
    assert "Import finished." in capsys.readouterr().out
    imported = Component.objects.get(public_id="cmpeuwest001")
    assert (imported.status, imported.base_status, imported.maintenance_by_hand) == (
        "under_maintenance",
        "operational",
        True,
    )
