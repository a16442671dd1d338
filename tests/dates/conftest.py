"""Date logic at the instants that break naive code: tests/conftest.py's EDGES (DST changes in
New York and Berlin, a month end, a year end, 29 February, UTC+14) through every layer that
turns an instant into a day or a month."""

import pytest

from statuspage import public_cache


@pytest.fixture(autouse=True)
def _fresh_read_path(settings, tmp_path):
    settings.PUBLIC_SNAPSHOT_DIR = tmp_path / "snapshots"
    public_cache.local.clear()
    public_cache._written.clear()


# The management API's fixtures (keys, an authenticated client), for its date ranges.
from tests.api.v1.conftest import make_key, page_url, v1  # noqa: E402, F401

# The dashboard's personas, for the maintenance form (times typed in the page's zone).
from tests.dashboard.conftest import responder, responder_client  # noqa: E402, F401

# Subscribers as the notification tests make them.
from tests.notifications.conftest import make_subscriber  # noqa: E402, F401
