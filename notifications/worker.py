"""The RQ worker the project runs (settings.RQ["WORKER_CLASS"]).

RQ's worker forks a work horse for every job, and the horse forgets whatever it loaded. A
horse that sends a batch of emails first imports the URL configuration (every view module,
for the links' `reverse`), the delivery code and the email templates, which cost about half a
second of CPU per batch, more than building and sending its 500 messages. Loaded once in the
worker before its first fork, they are every horse's for free.

The URL resolver keeps one reverse table per language (the public site's URLs carry a language
prefix) and builds each on that language's first `reverse`; so does the translation machinery
with each language's catalogs, and Babel with each locale's data (dates, numbers). A horse
publishing the site in 13 languages built 12 more of each on every job, about half a second of
its commit-to-visible: they are built here too.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import cast

from babel import Locale
from django.conf import settings
from django.template.loader import get_template
from django.urls import get_resolver
from django.utils import translation
from rq import Worker as RqWorker

log = logging.getLogger(__name__)

# Template folders compiled before the first fork: the notifications' own, and the public
# site's and the widget's, which the publish job renders whole after every change
# (docs/publishing.md).
PRELOADED = ("notifications", "public", "widget")


def preload() -> list[str]:
    """Load what every notification job (and the publish job) needs; returns the templates it
    compiled."""
    import notifications.jobs  # noqa: F401 - imports the delivery code with it

    # Populates the resolver: its reverse lookups import the whole URL configuration. Then
    # each language's reverse table and catalogs, which the first reverse() in it would build.
    resolver = get_resolver()
    resolver._populate()  # noqa: SLF001 - what the first reverse() would do
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            resolver.reverse_dict  # noqa: B018 - the property builds the language's table
        # Babel loads a locale's data (and its parents') on first use and keeps it.
        Locale.parse(translation.to_locale(code)).percent_formats  # noqa: B018
    compiled = []
    folders = cast("list[Path]", settings.TEMPLATES[0]["DIRS"])
    for folder in folders:
        root = Path(folder)
        for path in sorted(p for area in PRELOADED for p in (root / area).rglob("*")):
            if path.is_file():
                name = path.relative_to(root).as_posix()
                get_template(name)
                compiled.append(name)
    return compiled


class Worker(RqWorker):
    def work(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        try:
            preload()
        except Exception:  # noqa: BLE001 - a job loads what it needs itself anyway
            log.exception("worker preload failed; jobs load what they need themselves")
        return super().work(*args, **kwargs)
