"""Which language a public page answers in: the URL's prefix, the reader's Accept-Language on
`/`, the page's default; the links between the languages; the cache keeping them apart."""

from __future__ import annotations

import re

import pytest

from incidents.models import Page
from statuspage import public_cache
from statuspage.public import language, negotiation

from .conftest import reset_read_path

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def _html_tag(response) -> str:
    return re.search(r"<html[^>]*>", response.text).group(0)


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (None, None),
        ("", None),
        ("de-DE,de;q=0.9,en;q=0.8", "de"),
        ("en-US,en;q=0.9,de;q=0.8", "en"),
        ("fr-CH, fr;q=0.9, en;q=0.8", "fr"),
        ("pt-BR", "pt-br"),
        ("pt", "pt-br"),
        ("zh-CN,zh;q=0.9", "zh-hans"),
        ("zh-Hans-CN", "zh-hans"),
        ("zh-TW", None),
        ("sv-SE, de;q=0.5", "de"),
        ("de;q=0.5, ja", "ja"),
        ("ja;q=0, ar;q=0.1", "ar"),
        ("*", None),
        ("xx, he;q=abc", None),
        ("iw", "he"),
    ],
)
def test_accept_language_picks_ours(header, code):
    assert language.from_accept_language(header) == code


def test_prefix_split():
    assert language.split_prefix("/de/history") == ("de", "/history")
    assert language.split_prefix("/zh-hans/") == ("zh-hans", "/")
    assert language.split_prefix("/dependencies") == (None, "/dependencies")
    assert language.split_prefix("/history") == (None, "/history")


def test_prefixed_pages_are_in_their_language(client, site):
    for path in ("/de/", "/de/history", "/de/uptime"):
        response = client.get(path, HTTP_ACCEPT=BROWSER)
        assert response.status_code == 200, path
        assert 'lang="de"' in _html_tag(response) and 'dir="ltr"' in _html_tag(response)
    for path in (
        f"/de/incidents/{site['open'].public_id}",
        f"/de/maintenance/{site['maintenance'].public_id}",
    ):
        assert 'lang="de"' in _html_tag(client.get(path)), path


def test_right_to_left_languages_say_so(client, site):
    for code, tag in (("ar", "ar"), ("he", "he"), ("ja", "ja"), ("zh-hans", "zh-Hans")):
        html = _html_tag(client.get(f"/{code}/history"))
        assert f'lang="{tag}"' in html
        assert ('dir="rtl"' in html) == (code in ("ar", "he"))


def test_unknown_prefix_and_untranslated_paths_are_404(client, site):
    assert client.get("/xx/history").status_code == 404
    assert client.get("/de/api/v2/summary.json").status_code == 404
    assert client.get("/de/dashboard/").status_code == 404
    assert client.get("/de/index.md").status_code == 404
    redirect = client.get("/de")
    assert (redirect.status_code, redirect["Location"]) == (301, "/de/")


def test_front_page_follows_accept_language_and_says_vary(client, site):
    german = client.get("/", HTTP_ACCEPT=BROWSER, HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")
    english = client.get("/", HTTP_ACCEPT=BROWSER, HTTP_ACCEPT_LANGUAGE="en-GB")
    none = client.get("/", HTTP_ACCEPT=BROWSER)
    assert 'lang="de"' in _html_tag(german)
    assert 'lang="en"' in _html_tag(english) and 'lang="en"' in _html_tag(none)
    for response in (german, english, none):
        assert "Accept-Language" in response["Vary"]
        assert "Set-Cookie" not in response
    assert german["ETag"] != english["ETag"]
    # The explicit addresses do not negotiate.
    explicit = client.get("/de/", HTTP_ACCEPT=BROWSER, HTTP_ACCEPT_LANGUAGE="ja")
    assert 'lang="de"' in _html_tag(explicit)
    assert "Accept-Language" not in explicit["Vary"]
    history = client.get("/history", HTTP_ACCEPT_LANGUAGE="de")
    assert 'lang="en"' in _html_tag(history)
    assert "Accept-Language" not in history.get("Vary", "")


def test_page_default_language_serves_unprefixed_addresses(client, site):
    Page.objects.update(language="fr")
    reset_read_path()
    assert 'lang="fr"' in _html_tag(client.get("/history"))
    assert 'lang="fr"' in _html_tag(client.get("/", HTTP_ACCEPT=BROWSER))
    # A reader whose browser asks for English still gets it on `/`, and at /en/ always.
    assert 'lang="en"' in _html_tag(client.get("/", HTTP_ACCEPT=BROWSER, HTTP_ACCEPT_LANGUAGE="en"))
    assert 'lang="en"' in _html_tag(client.get("/en/history"))


def test_switcher_and_hreflang_alternates(client, site):
    text = client.get("/de/history?page=1").text
    alternates = dict(re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)"', text))
    assert alternates["en"].endswith("/history?page=1")
    assert alternates["de"].endswith("/de/history?page=1")
    assert alternates["zh-Hans"].endswith("/zh-hans/history?page=1")
    assert len(alternates) == 13 and "x-default" not in alternates
    switcher = re.search(r'<nav class="languages".*?</nav>', text, re.S).group(0)
    assert 'href="/fr/history?page=1"' in switcher
    assert 'href="/de/history?page=1" hreflang="de" lang="de" aria-current="true"' in switcher
    # Links to the other translated pages and the feeds keep the reader's language; the rest
    # do not.
    assert 'href="/de/uptime"' in text and 'href="/de/history.atom"' in text
    assert re.search(r'(?:href|src)="/static/', text) and "/de/static/" not in text
    front = client.get("/de/", HTTP_ACCEPT=BROWSER).text
    front_alternates = dict(
        re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)"', front)
    )
    assert front_alternates["x-default"].endswith("/")
    assert front_alternates["en"].endswith("/en/")  # the default, without negotiation
    assert 'href="/de/history"' in front


def test_dashboard_and_api_stay_english(client, admin_client, site):
    summary = client.get("/api/v2/status.json", HTTP_ACCEPT_LANGUAGE="de")
    assert summary.json()["status"]["description"] == "Partial System Outage"
    Page.objects.update(language="de")
    assert client.get("/api/v2/status.json").json()["status"]["description"] == (
        "Partial System Outage"
    )
    dashboard = admin_client.get("/dashboard/settings/", HTTP_ACCEPT_LANGUAGE="de")
    assert 'name="language"' in dashboard.text


def test_page_settings_change_the_default_language(admin_client, page):
    from tests.dashboard.test_admin_pages import _settings

    assert admin_client.post("/dashboard/settings/", _settings(language="ja")).status_code == 302
    assert Page.objects.get().language == "ja"
    assert admin_client.post("/dashboard/settings/", _settings(language="xx")).status_code == 400
    assert Page.objects.get().language == "ja"
    # A form without the field (an older page) keeps the language.
    assert admin_client.post("/dashboard/settings/", _settings()).status_code == 302
    assert Page.objects.get().language == "ja"


def test_cache_keys_keep_the_languages_apart(client, site):
    """Fails if the language is dropped from a document's key: `/de/` rendered first must not
    be what `/` (English) answers, nor the German `/` what an English reader gets."""
    de = client.get("/de/", HTTP_ACCEPT=BROWSER)
    en = client.get("/", HTTP_ACCEPT=BROWSER, HTTP_ACCEPT_LANGUAGE="en")
    assert de["ETag"] != en["ETag"]
    de_negotiated = client.get("/", HTTP_ACCEPT=BROWSER, HTTP_ACCEPT_LANGUAGE="de")
    assert 'lang="de"' in _html_tag(de_negotiated)
    assert 'lang="en"' in _html_tag(client.get("/", HTTP_ACCEPT=BROWSER, HTTP_ACCEPT_LANGUAGE="en"))
    ends = ("#html.de", "#html.en", "/de/?#html")
    keys = [k for k in public_cache.local.items if k.endswith(ends)]
    assert len(keys) == 3


def test_negotiated_variant_names_the_language():
    headers = {"Accept": BROWSER, "Accept-Language": "de"}
    variant = negotiation.front_page_in_reader_language(headers.get)
    assert (variant.name, variant.vary) == ("html.de", "Accept, Accept-Language")
    markdown = negotiation.front_page_in_reader_language(
        {"Accept": "text/markdown", "Accept-Language": "de"}.get
    )
    assert markdown == negotiation.MARKDOWN


def test_fast_path_serves_each_language_its_own_copy(site, django_assert_num_queries):
    """Each address and each negotiated language of `/` is learned once, then replayed by
    the fast path without Django: `/de/` never answers `/`, nor German `/` an English one."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    from statuspage import public_fast_path
    from tests.public.test_fast_path import _call, _django_must_not_run, _environ

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        django = public_fast_path.fast_path(WSGIHandler())
        requests = {
            "de-prefix": ("/de/", {}),
            "en-plain": ("/", {"HTTP_ACCEPT_LANGUAGE": "en-US"}),
            "de-negotiated": ("/", {"HTTP_ACCEPT_LANGUAGE": "de-DE,de;q=0.9"}),
            "nothing": ("/", {}),
            "ja-history": ("/ja/history", {}),
            "history": ("/history", {"HTTP_ACCEPT_LANGUAGE": "ja"}),
        }
        first = {
            name: _call(django, _environ(path, HTTP_ACCEPT=BROWSER, **extra))
            for name, (path, extra) in requests.items()
        }
        fast = public_fast_path.fast_path(_django_must_not_run)
        for name, (path, extra) in requests.items():
            with django_assert_num_queries(0):
                hit, body = _call(fast, _environ(path, HTTP_ACCEPT=BROWSER, **extra))
            assert hit.status == "200 OK", name
            assert body == first[name][1], name
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    lang = {
        name: re.search(rb'<html lang="([^"]+)"', body).group(1)
        for name, (_, body) in first.items()
    }
    assert lang == {
        "de-prefix": b"de",
        "en-plain": b"en",
        "de-negotiated": b"de",
        "nothing": b"en",
        "ja-history": b"ja",
        "history": b"en",
    }
    assert first["en-plain"][1] == first["nothing"][1]
    assert "Accept-Language" in first["de-negotiated"][0].headers["Vary"]
    assert "Accept-Language" not in first["de-prefix"][0].headers["Vary"]


def test_uptime_days_cached_in_one_language_are_not_shown_in_another(client, site):
    """The finished days' cells are cached across renders (statuspage/public/finished_days.py):
    per language, or the German page would repeat the English page's day summaries."""
    english = client.get("/", HTTP_ACCEPT=BROWSER).text
    german = client.get("/de/", HTTP_ACCEPT=BROWSER).text
    summaries = re.compile(r'<span class="sum">([^<]*)</span>')
    assert any("no data" in s or "no downtime" in s for s in summaries.findall(english))
    german_days = summaries.findall(german)
    assert german_days and not any("no data" in s or "no downtime" in s for s in german_days)
    assert any("keine Daten" in s or "keine Ausfallzeit" in s for s in german_days)


def test_an_install_offers_fewer_languages(client, site, settings):
    """PUBLIC_LANGUAGES: the others have no link, no hreflang, no prefix and no negotiation;
    the page's default is offered whatever the list says."""
    settings.PUBLIC_LANGUAGES = ["de"]
    reset_read_path()
    text = client.get("/de/history").text
    alternates = dict(re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)"', text))
    assert set(alternates) == {"en", "de"}
    switcher = re.search(r'<nav class="languages".*?</nav>', text, re.S).group(0)
    assert "/fr/" not in switcher and 'href="/history"' in switcher
    for path in ("/fr/", "/fr/history", "/ja/uptime"):
        assert client.get(path, HTTP_ACCEPT=BROWSER).status_code == 404, path
    assert client.get("/en/history").status_code == 200  # the page's default
    front = client.get("/", HTTP_ACCEPT=BROWSER, HTTP_ACCEPT_LANGUAGE="fr, de;q=0.5")
    assert 'lang="de"' in _html_tag(front)
    front = client.get("/", HTTP_ACCEPT=BROWSER, HTTP_ACCEPT_LANGUAGE="ja")
    assert 'lang="en"' in _html_tag(front)


def test_accept_language_chooses_among_the_offered(settings):
    settings.PUBLIC_LANGUAGES = ["en", "pt-br"]
    assert language.from_accept_language("de-DE, pt;q=0.5") == "pt-br"
    assert language.from_accept_language("de-DE") is None


def test_public_languages_setting_is_checked():
    from django.core.exceptions import ImproperlyConfigured

    from statuspage.env import Env

    codes = ("en", "de", "pt-br")
    assert Env({"PUBLIC_LANGUAGES": "EN, pt-BR"}).subset("PUBLIC_LANGUAGES", codes) == [
        "en",
        "pt-br",
    ]
    assert Env({}).subset("PUBLIC_LANGUAGES", codes) == list(codes)
    with pytest.raises(ImproperlyConfigured, match="klingon"):
        Env({"PUBLIC_LANGUAGES": "en, klingon"}).subset("PUBLIC_LANGUAGES", codes)


def test_one_language_has_no_switcher(client, site, settings):
    settings.PUBLIC_LANGUAGES = ["en"]
    reset_read_path()
    text = client.get("/history").text
    assert 'class="languages"' not in text and "hreflang" not in text
    assert client.get("/de/history").status_code == 404
