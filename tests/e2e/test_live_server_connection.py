"""The live server and a browser test share one database connection on SQLite's in-memory test
database (tests/conftest.py, `live_server`): with two, a write the test makes while the server
reads the same table fails at once with "database table is locked"."""

from __future__ import annotations

import pytest
from django.db import connections

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_clock]


def test_browser_test_writes_through_the_servers_connection(live_server, new_page):
    shared = live_server.thread.connections_override
    if connections["default"].vendor != "sqlite":
        assert shared == {}  # each server thread has its own PostgreSQL connection
        return
    new_page.goto(f"{live_server.url}/")  # Playwright now runs in this test's thread
    assert shared["default"] is connections["default"]
