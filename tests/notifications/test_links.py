"""The manage and unsubscribe links' token, signed once per message in a fan-out."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.core import signing

from notifications import links


@pytest.mark.parametrize("value", ["b00000000042", "x", "ünïcode-id", 'quote"d'])
@pytest.mark.parametrize("salt", ["notifications.manage", "notifications.confirm"])
def test_a_token_is_djangos_signing_dumps_string(value, salt, settings):
    at = datetime(2026, 11, 18, 12, 0, 0, tzinfo=UTC)
    with time_machine.travel(at, tick=False):
        assert links.signed(value, salt) == signing.dumps(value, salt=salt)
    settings.SECRET_KEY = "another-secret-of-sufficient-length-for-the-checks-0123456789"
    with time_machine.travel(at, tick=False):
        token = links.signed(value, salt)
        assert token == signing.dumps(value, salt=salt)
    assert signing.loads(token, salt=salt) == value


def test_a_manage_token_is_read_back_and_not_across_salts(make_subscriber):
    sub = make_subscriber()
    token = links.manage_token(sub)
    assert links.read_manage_token(token) == (sub.page_id, sub.public_id)
    assert links.read_confirm_token(token) is None
