"""The committed generation in the shared cache (incidents/services/common.py): every web node
reads it there, so an older value must never be left over a newer one."""

from __future__ import annotations

from django.core.cache import cache

from incidents import services
from incidents.models import Page
from incidents.services import common


def test_an_older_generation_set_last_does_not_hide_a_newer_one(
    transactional_db, operator, monkeypatch
):
    # Real commits: each callback runs when its own transaction commits.
    class OtherNodeCommitsMeanwhile:
        """The first commit's callback has read its generation and is about to set it when
        a second commit (on another node) commits and sets the newer one first."""

        def __init__(self):
            self.interleaved = False

        def set(self, key, value, timeout=None):
            if not self.interleaved:
                self.interleaved = True
                services.incident_create(name="second", body="b", actor=operator)
            cache.set(key, value, timeout)

        def delete(self, key):
            cache.delete(key)

    monkeypatch.setattr(common, "cache", OtherNodeCommitsMeanwhile())
    services.incident_create(name="first", body="b", actor=operator)
    assert cache.get(common.GENERATION_CACHE_KEY) == Page.objects.get().generation
