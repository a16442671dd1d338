"""Dashboard personas: a viewer, a responder, an admin, an outsider (signed in, no role), and
an anonymous visitor. Each `*_client` is a test client signed in as that persona."""

from __future__ import annotations

import functools

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.test import Client

from statuspage.dashboard.models import Membership, Role

# Subscriber screens use the notification tests' real parts (SMTP sink, subscribers, jobs).
from tests.notifications.conftest import make_subscriber, run_jobs, smtp_sink  # noqa: F401

PASSWORD = "correct horse battery staple 42"


@functools.cache
def _password_hash() -> str:
    # Argon2 is slow by design; hash the shared persona password once per run.
    return make_password(PASSWORD)


def _user(username: str, role: Role | None, **extra):
    user = get_user_model().objects.create(
        username=username, email=f"{username}@example.com", password=_password_hash(), **extra
    )
    if role is not None:
        Membership.objects.create(user=user, role=role)
    return user


@pytest.fixture
def viewer(db):
    return _user("vera", Role.VIEWER)


@pytest.fixture
def responder(db):
    return _user("rhea", Role.RESPONDER)


@pytest.fixture
def admin_user(db):
    return _user("ada", Role.ADMIN)


@pytest.fixture
def outsider(db):
    return _user("otto", None)


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def viewer_client(viewer, page):
    return _client_for(viewer)


@pytest.fixture
def responder_client(responder, page):
    return _client_for(responder)


@pytest.fixture
def admin_client(admin_user, page):
    return _client_for(admin_user)


@pytest.fixture
def anon_client(page):
    return Client()
