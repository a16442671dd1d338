"""Static files as deployed: collectstatic, then hashed, compressed, long-cached responses."""

import gzip
from pathlib import Path

import brotli
import pytest
from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.test import override_settings

SOURCE = Path(__file__).resolve().parents[2] / "statuspage/dashboard/static/dashboard/dashboard.css"
IMMUTABLE = "max-age=315360000, public, immutable"


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    """The production setup: collectstatic into a fresh STATIC_ROOT, manifest storage. Once per
    module: compressing the admin's files takes a while."""
    root = tmp_path_factory.mktemp("static")
    with override_settings(
        STATIC_ROOT=root,
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
        },
        WHITENOISE_USE_FINDERS=False,
    ):
        call_command("collectstatic", "--no-input", verbosity=0)
        assert (root / "staticfiles.json").exists()
        yield root


def _body(response) -> bytes:
    body = b"".join(response.streaming_content)
    response.close()
    return body


def test_hashed_file_is_served_compressed_with_far_future_caching(client, collected, db):
    url = staticfiles_storage.url("dashboard/dashboard.css")
    assert (
        url.startswith("/static/dashboard/dashboard.") and url != "/static/dashboard/dashboard.css"
    )

    response = client.get(url, HTTP_ACCEPT_ENCODING="br, gzip")
    assert response.status_code == 200
    assert response["Content-Encoding"] == "br"
    assert response["Cache-Control"] == IMMUTABLE
    assert "Accept-Encoding" in response["Vary"]
    assert brotli.decompress(_body(response)) == SOURCE.read_bytes()

    response = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip" and response["Cache-Control"] == IMMUTABLE
    assert gzip.decompress(_body(response)) == SOURCE.read_bytes()

    response = client.get(url)
    assert not response.has_header("Content-Encoding")
    assert _body(response) == SOURCE.read_bytes()


def test_unhashed_name_is_not_cached_for_long(client, collected, db):
    response = client.get("/static/dashboard/dashboard.css")
    assert response.status_code == 200
    assert "immutable" not in response["Cache-Control"]
    _body(response)


def test_pages_reference_the_hashed_names(client, collected, db):
    html = client.get("/dashboard/login/").content.decode()
    for name in ("dashboard/dashboard.css", "dashboard/dashboard.js"):
        hashed = staticfiles_storage.url(name)
        assert hashed != f"/static/{name}"
        assert f'"{hashed}"' in html
        assert f'"/static/{name}"' not in html


def test_without_collectstatic_files_are_found_in_the_apps(client, db):
    # Development and the test suite run without a manifest: same files, unhashed names.
    from statuspage import settings as configured

    if configured.STATIC_MANIFEST.exists():
        pytest.skip("collectstatic has been run in this checkout")
    assert configured.STORAGES["staticfiles"]["BACKEND"].endswith(".StaticFilesStorage")
    with override_settings(
        STORAGES=configured.STORAGES,
        STATIC_ROOT=configured.STATIC_ROOT,
        WHITENOISE_USE_FINDERS=configured.WHITENOISE_USE_FINDERS,
    ):
        url = staticfiles_storage.url("dashboard/dashboard.css")
        assert url == "/static/dashboard/dashboard.css"
        response = client.get(url)
        assert response.status_code == 200 and _body(response) == SOURCE.read_bytes()
