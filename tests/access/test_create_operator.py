"""`manage.py create_operator`."""

from __future__ import annotations

from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from statuspage.access.models import Membership


def test_creates_an_operator_with_role_and_argon2_password(db):
    call_command("create_operator", "carol", "--role", "responder", "--password", "a long pass 99")
    user = get_user_model().objects.get(username="carol")
    assert user.check_password("a long pass 99") and user.password.startswith("argon2")
    assert Membership.objects.get(user=user).role == "responder"


def test_rerunning_changes_the_role(db):
    call_command("create_operator", "carol", "--password", "a long pass 99")
    call_command("create_operator", "carol", "--role", "admin", "--password", "a long pass 99")
    assert Membership.objects.get(user__username="carol").role == "admin"


def test_prompts_for_the_password_twice(db):
    with mock.patch("getpass.getpass", autospec=True, side_effect=["a long pass 99"] * 2):
        call_command("create_operator", "dave", "--role", "viewer")
    assert get_user_model().objects.get(username="dave").check_password("a long pass 99")


def test_weak_password_or_mismatch_is_refused(db):
    with pytest.raises(CommandError, match="too common|too short"):
        call_command("create_operator", "eve", "--password", "password")
    with (
        mock.patch("getpass.getpass", autospec=True, side_effect=["a long pass 99", "other"]),
        pytest.raises(CommandError, match="differ"),
    ):
        call_command("create_operator", "eve")
    with pytest.raises(CommandError, match="no-input"):
        call_command("create_operator", "eve", "--no-input")
    assert not get_user_model().objects.filter(username="eve").exists()
