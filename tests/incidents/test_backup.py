"""manage.py backup / restore on the database under test (SQLite, or PostgreSQL in CI)."""

import time

import pytest
from django.core.management import CommandError, call_command

from incidents import services
from incidents.models import Component, Incident, Page

pytestmark = pytest.mark.django_db(transaction=True)


def test_restore_brings_back_exactly_what_was_backed_up(tmp_path, page, operator):
    api = services.component_create(name="API", actor=operator)
    services.incident_create(
        name="Before", body="b", actor=operator, component_statuses={api: "partial_outage"}
    )
    path = tmp_path / "status.backup"
    call_command("backup", str(path))
    assert path.stat().st_size > 0

    services.incident_create(name="After", body="b", actor=operator)
    services.component_create(name="Web", actor=operator)
    call_command("restore", str(path), yes=True)

    assert list(Incident.objects.values_list("name", flat=True)) == ["Before"]
    assert list(Component.objects.values_list("name", "status")) == [("API", "partial_outage")]
    # The counter moved past anything a cache may hold from before the restore.
    assert Page.objects.get().generation >= int(time.time() * 1000) - 60_000


def test_backup_refuses_to_overwrite_and_restore_needs_a_real_backup(tmp_path, page, operator):
    services.component_create(name="API", actor=operator)
    existing = tmp_path / "taken"
    existing.write_text("x")
    with pytest.raises(CommandError, match="exists"):
        call_command("backup", str(existing))
    with pytest.raises(CommandError):
        call_command("restore", str(existing), yes=True)
    with pytest.raises(CommandError, match="does not exist"):
        call_command("restore", str(tmp_path / "missing"), yes=True)
    assert Component.objects.filter(name="API").exists()  # nothing was destroyed
