"""manage.py reader_access: who may read a page, from the command line; bad input is a clear
error that changes nothing."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.hashers import check_password
from django.core.management import call_command
from django.core.management.base import CommandError

from incidents.models import Page
from statuspage.readers.selectors import settings_of


@pytest.fixture
def internal(db, page):
    return Page.objects.create(name="Internal", slug="internal", time_zone="Etc/UTC")


def test_it_makes_a_page_private_with_a_password_from_the_environment(internal, monkeypatch):
    monkeypatch.setenv("READER_PW", "correct horse")
    out = io.StringIO()
    call_command(
        "reader_access", "Internal", visibility="private", password_env="READER_PW", stdout=out
    )
    internal.refresh_from_db()
    assert internal.visibility == "private"
    row = settings_of(internal.pk)
    assert check_password("correct horse", row.password_hash) and row.epoch == 1
    assert "Internal (internal) is private." in out.getvalue()
    # What is not given stays: the networks, then the addresses.
    call_command("reader_access", "internal", network=["10.0.0.0/8"], stdout=io.StringIO())
    call_command("reader_access", "internal", allow=["example.com"], stdout=io.StringIO())
    row = settings_of(internal.pk)
    assert (row.ip_allowlist, row.magic_link_allowed) == ("10.0.0.0/8", "example.com")
    assert check_password("correct horse", row.password_hash) and row.epoch == 1


@pytest.mark.parametrize(
    ("args", "options", "message"),
    [
        (["nowhere"], {}, "No page with the slug 'nowhere'. Pages: "),
        (["internal"], {"network": ["10.0.0.300/8"]}, "10.0.0.300/8"),
        (["internal"], {"password_env": "UNSET_READER_PW"}, "UNSET_READER_PW is empty"),
    ],
)
def test_bad_input_is_a_clear_error_that_changes_nothing(internal, args, options, message):
    with pytest.raises(CommandError, match=message.replace(".", r"\.")):
        call_command("reader_access", *args, visibility="private", **options)
    internal.refresh_from_db()
    assert internal.visibility == "public"
    assert settings_of(internal.pk).pk is None
