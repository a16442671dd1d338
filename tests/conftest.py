"""Fixtures shared by every test: the page, a few components, an operator actor, a clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from incidents import services
from incidents.models import Page
from incidents.services import Actor


@pytest.fixture
def page(db) -> Page:
    return Page.objects.get()


@pytest.fixture
def operator() -> Actor:
    return Actor(label="alice", via="dashboard")


@pytest.fixture
def make_component(db, operator):
    def make(name: str, **kwargs):
        kwargs.setdefault("created_at", datetime(2026, 1, 1, tzinfo=UTC))
        return services.component_create(name=name, actor=operator, **kwargs)

    return make


@pytest.fixture
def api(make_component):
    return make_component("API")


@pytest.fixture
def web(make_component):
    return make_component("Web")
