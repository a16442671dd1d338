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
