import pytest
from django.core.cache import cache

from statuspage import public_cache


@pytest.fixture(autouse=True)
def cold_public_cache(settings, tmp_path):
    """Each test starts with empty caches and its own snapshot directory."""
    settings.PUBLIC_SNAPSHOT_DIR = tmp_path / "snapshots"
    public_cache.local.clear()
    cache.clear()
    yield
    public_cache.local.clear()
    cache.clear()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a write as if committed: the generation is published on commit, and the briefly
    memoised one forgotten, so the next read sees the change (as it would within 0.5 s)."""
    from contextlib import contextmanager

    @contextmanager
    def run():
        with django_capture_on_commit_callbacks(execute=True):
            yield
        public_cache.local.generation.clear()

    return run
