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
    page = Page.objects.get()
    assert cache.get(common.generation_cache_key(page.pk)) == page.generation


def test_a_copy_of_the_page_read_before_a_change_never_writes_its_counters_back(page, operator):
    """The generation keys every public cache and the publisher's change log, the history
    version the cached finished days: saving a copy read earlier must not move either back
    (a second public change would otherwise reuse a generation number)."""
    from django.db.models import F

    stale = Page.objects.get()
    services.component_create(name="Search", actor=operator)
    Page.objects.update(history_version=F("history_version") + 1)
    generation, history = Page.objects.values_list("generation", "history_version").get()
    stale.name = "Renamed"
    stale.save()
    assert Page.objects.values_list("name", "generation", "history_version").get() == (
        "Renamed",
        generation,
        history,
    )
    services.component_create(name="Billing", actor=operator)  # the next number is new
    assert Page.objects.values_list("generation", flat=True).get() == generation + 1
