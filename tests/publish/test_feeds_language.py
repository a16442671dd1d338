"""The published copy holds each offered language's feeds (`de/history.atom`, reached from the
German pages' links), the same bytes the origin serves, and none for a language not offered."""

from __future__ import annotations

from incidents.models import Page
from statuspage.publish.handler import Renderer
from statuspage.publish.render import render_site


def test_each_offered_languages_feeds_are_published_as_the_origin_serves_them(site):
    page = Page.objects.get()
    rendered = render_site(public_url=page.url).rendered
    origin = Renderer(host=page.url.split("://")[1], secure=page.url.startswith("https"))
    for key in ("de/history.atom", "de/history.rss", "de/maintenance.ics", "history.atom"):
        assert key in rendered, key
        answer = origin.get("/" + key)
        assert rendered[key].body == answer.body, key
        assert rendered[key].content_type == answer["Content-Type"], key
    assert b'xml:lang="de"' in rendered["de/history.atom"].body
    assert b'xml:lang="en"' in rendered["history.atom"].body
    # French is not offered here (tests/publish/conftest.py): no French feed leaves the origin.
    assert not [key for key in rendered if key.startswith("fr/")]
