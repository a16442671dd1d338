"""The worker loads what every notification job needs before it forks its work horses."""

from __future__ import annotations

import subprocess
import sys

from django.conf import settings
from django.utils.translation import to_locale
from django_rq.workers import get_worker_class

from notifications import worker

PROBE = """
import django, sys
django.setup()
from django.urls import get_resolver
from notifications.worker import preload
names = preload()
print(get_resolver()._populated, "statuspage.urls" in sys.modules, len(names))
print(" ".join(sorted(get_resolver()._reverse_dict)))
from babel import localedata
print(" ".join(sorted(localedata._cache)))
"""


def test_the_project_runs_the_preloading_worker():
    assert settings.RQ["WORKER_CLASS"] == "notifications.worker.Worker"
    assert get_worker_class() is worker.Worker


def test_preload_loads_the_urls_and_compiles_every_notification_and_public_template():
    # A fresh interpreter: this test process has long loaded the URLs.
    done = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        check=True,
        env={"SECRET_KEY": "x", "DJANGO_SETTINGS_MODULE": "statuspage.settings", "PATH": ""},
    )
    first, languages, locales = done.stdout.splitlines()
    populated, imported, count = first.split()
    assert populated == "True" and imported == "True"
    # Every language's reverse table is built before the fork: a horse publishing the site in
    # every language would otherwise build them again on each job.
    assert languages.split() == sorted(code for code, _ in settings.LANGUAGES)
    # And so is every language's Babel locale data (dates, numbers), which Babel loads lazily.
    assert {to_locale(code) for code, _ in settings.LANGUAGES} <= set(locales.split())
    root = settings.TEMPLATES[0]["DIRS"][0]
    expected = [p for area in worker.PRELOADED for p in (root / area).rglob("*") if p.is_file()]
    assert int(count) == len(expected)
    names = worker.preload()
    assert "notifications/email/body.html" in names
    # The publish job renders the public site and the widget whole after every change.
    assert {"public/index.html", "widget/frame.html"} <= set(names)


def test_the_worker_preloads_before_its_first_job_and_works_if_that_fails(monkeypatch):
    from rq import Worker as RqWorker

    calls = []
    monkeypatch.setattr(RqWorker, "work", lambda self, **kwargs: calls.append("work") or True)
    monkeypatch.setattr(worker, "preload", lambda: calls.append("preload") or [])
    # Not initialised: RQ's own `work`, which would need Redis, is replaced.
    rq_worker = worker.Worker.__new__(worker.Worker)
    assert rq_worker.work(burst=True) is True
    assert calls == ["preload", "work"]

    def broken():
        raise ImportError("a module that cannot load")

    monkeypatch.setattr(worker, "preload", broken)
    calls.clear()
    assert rq_worker.work(burst=True) is True
    assert calls == ["work"]
