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

from incidents.models import Component, ComponentGroup, ComponentStatusChange, Incident, Maintenance

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
        "resolved_at": updates[0]["display_at"] if status == "resolved" else None,
        "shortlink": "https://stspg.io/x",
        "page_id": "pagepagepage",
        "incident_updates": updates,
        "components": [],
        **extra,
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
    maintenances = [
        incident(
            "mnt000000old",
            "Past window",
            "completed",
            [
                update("mu0000000003", "completed", window + timedelta(hours=1), "Done"),
                update("mu0000000002", "in_progress", window, "Started"),
                update("mu0000000001", "scheduled", window - timedelta(days=1), "Planned"),
            ],
            impact="maintenance",
            scheduled_for=ts(window),
            scheduled_until=ts(window + timedelta(hours=2)),
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
        "components.json": {"components": components},
        "incidents.json": incidents,
        "scheduled-maintenances.json": maintenances,
    }


@contextlib.contextmanager
def serving(data):
    """A local server answering the /api/v2/ documents in `data` (lists paged by 50)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            parts = urlsplit(self.path)
            name = parts.path.removeprefix("/api/v2/")
            if name == "components.json":
                body = data[name]
            elif name in ("incidents.json", "scheduled-maintenances.json"):
                page = int(parse_qs(parts.query).get("page", ["1"])[0])
                key = "incidents" if name == "incidents.json" else "scheduled_maintenances"
                body = {key: data[name][(page - 1) * 50 : page * 50]}
            else:
                self.send_error(404)
                return
            payload = json.dumps(body).encode()
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
