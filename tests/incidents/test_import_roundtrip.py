"""Round trip: this app's own /api/v2/, served live, imported into a second, empty database."""

import json
import os
import subprocess
import sys
import urllib.request
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from incidents import services

pytestmark = pytest.mark.django_db(transaction=True)

SUMMARY_IN_SECOND_DB = """
import json, django
django.setup()
from django.test import Client
print(json.dumps(Client().get("/api/v2/summary.json").json()))
print(json.dumps(Client().get("/api/v2/incidents.json").json()))
"""


def _manage(env, *args, code=None):
    command = [sys.executable, "-c", code] if code else [sys.executable, "manage.py", *args]
    result = subprocess.run(
        command,
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def _comparable(summary):
    """What must survive the trip: ids, names, statuses, structure and the update timeline."""
    return {
        "status": summary["status"],
        "components": [
            {
                k: c[k]
                for k in (
                    "id",
                    "name",
                    "status",
                    "group",
                    "group_id",
                    "position",
                    "only_show_if_degraded",
                    "components",
                )
                if k in c
            }
            for c in summary["components"]
        ],
        "incidents": [
            {
                "id": i["id"],
                "name": i["name"],
                "status": i["status"],
                "impact": i["impact"],
                "updates": [(u["id"], u["status"], u["body"]) for u in i["incident_updates"]],
            }
            for i in summary["incidents"]
        ],
        "maintenance": [
            (m["id"], m["name"], m["status"]) for m in summary["scheduled_maintenances"]
        ],
    }


# The importer runs in another process, on the machine's clock: so does this test.
@pytest.mark.real_clock
def test_export_from_one_database_and_import_into_another(live_server, page, operator, tmp_path):
    group = services.component_group_create(name="Regions", actor=operator)
    eu = services.component_create(name="EU West", group=group, actor=operator)
    api = services.component_create(name="API", actor=operator)
    old = services.incident_create(
        name="Old outage",
        body="Down",
        actor=operator,
        component_statuses={api: "major_outage"},
        at=timezone.now() - timedelta(days=3),
    )
    services.incident_resolve(
        incident=old,
        body="Fixed",
        actor=operator,
        at=timezone.now() - timedelta(days=3) + timedelta(hours=1),
    )
    live = services.incident_create(
        name="EU slow",
        body="Looking",
        actor=operator,
        component_statuses={eu: "degraded_performance"},
    )
    services.incident_update_post(
        incident=live, status="identified", body="Found it", actor=operator
    )
    start = timezone.now() + timedelta(days=2)
    services.maintenance_schedule(
        name="Upgrade",
        scheduled_for=start,
        scheduled_until=start + timedelta(hours=1),
        components=[api],
        actor=operator,
    )

    with urllib.request.urlopen(f"{live_server.url}/api/v2/summary.json") as response:  # noqa: S310
        exported = json.loads(response.read())

    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "SECRET_KEY": "x",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'second.sqlite3'}",
        "DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "statuspage.settings",
        "ALLOWED_HOSTS": "testserver",
    }
    _manage(env, "migrate", "--no-input")
    _manage(env, "import_statuspage", live_server.url)
    summary_line, incidents_line = _manage(env, code=SUMMARY_IN_SECOND_DB).splitlines()[-2:]
    imported = json.loads(summary_line)

    assert _comparable(imported) == _comparable(exported)
    assert [i["name"] for i in json.loads(incidents_line)["incidents"]] == ["EU slow", "Old outage"]
    # Importing again changes nothing.
    _manage(env, "import_statuspage", live_server.url)
    again = json.loads(_manage(env, code=SUMMARY_IN_SECOND_DB).splitlines()[-2])
    assert _comparable(again) == _comparable(imported)
