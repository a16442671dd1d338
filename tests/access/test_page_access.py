"""Roles per page: an operator's role on a page is the higher of their install-wide role and
their role on that page; a key sees the pages it is scoped to, capped by its owner's roles."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from incidents.models import Page
from incidents.services import Actor, ServiceError
from statuspage.access import selectors, services
from statuspage.access.models import Membership, PageMembership, Role, Scope

ACTOR = Actor(label="test", via="test")


@pytest.fixture
def other_page(page) -> Page:
    return Page.objects.create(name="Other", slug="other", time_zone="Etc/UTC")


def user(name: str):
    return get_user_model().objects.create_user(name, f"{name}@example.com", "pw")


def test_a_page_role_applies_on_that_page_only(page, other_page):
    vera = user("vera")
    PageMembership.objects.create(user=vera, page=other_page, role=Role.ADMIN)
    assert selectors.role_of(vera, other_page) is Role.ADMIN
    assert selectors.role_of(vera, page) is None
    assert selectors.role_of(vera) is None
    assert selectors.has_any_role(vera)
    assert list(selectors.pages_of(vera)) == [other_page]


def test_the_higher_of_install_wide_and_page_role_counts(page, other_page):
    rita = user("rita")
    Membership.objects.create(user=rita, role=Role.VIEWER)
    PageMembership.objects.create(user=rita, page=other_page, role=Role.RESPONDER)
    assert selectors.role_of(rita, page) is Role.VIEWER
    assert selectors.role_of(rita, other_page) is Role.RESPONDER
    assert list(selectors.pages_of(rita)) == [page, other_page]


def test_owners_are_admins_everywhere(page, other_page):
    olga = user("olga")
    Membership.objects.create(user=olga, role=Role.VIEWER, owner=True)
    assert selectors.is_owner(olga)
    assert selectors.role_of(olga, other_page) is Role.ADMIN
    assert not selectors.is_owner(user("nobody"))


def test_a_key_sees_its_pages_capped_by_its_owner(page, other_page):
    vera = user("vera")
    PageMembership.objects.create(user=vera, page=other_page, role=Role.ADMIN)
    key, raw = services.api_key_create(
        actor=ACTOR, owner=vera, name="k", scopes=[Scope.READ, Scope.COMPONENTS]
    )
    assert key.all_pages
    assert selectors.api_key_find(raw) == key
    assert list(selectors.key_pages(key)) == [other_page]
    assert selectors.key_page(key, page.public_id) is None
    assert selectors.key_allows(key, Scope.COMPONENTS, other_page)
    assert not selectors.key_allows(key, Scope.READ, page)


def test_a_key_scoped_to_one_page_does_not_see_another(page, other_page):
    rita = user("rita")
    Membership.objects.create(user=rita, role=Role.ADMIN)
    key, _raw = services.api_key_create(
        actor=ACTOR, owner=rita, name="k", scopes=[Scope.READ], pages=[page]
    )
    assert not key.all_pages
    assert list(selectors.key_pages(key)) == [page]
    assert selectors.key_page(key, other_page.public_id) is None
    assert selectors.key_page(key, page.public_id) == page


def test_a_key_cannot_reach_a_page_its_owner_has_no_role_on(page, other_page):
    vera = user("vera")
    PageMembership.objects.create(user=vera, page=other_page, role=Role.ADMIN)
    with pytest.raises(ServiceError, match="no role on one of the chosen pages"):
        services.api_key_create(
            actor=ACTOR, owner=vera, name="k", scopes=[Scope.READ], pages=[page]
        )


def test_page_role_set_gives_and_removes(page, other_page):
    vera = user("vera")
    services.page_role_set(user=vera, page=other_page, role=Role.RESPONDER, actor=ACTOR)
    assert selectors.role_of(vera, other_page) is Role.RESPONDER
    services.page_role_set(user=vera, page=other_page, role=None, actor=ACTOR)
    assert selectors.role_of(vera, other_page) is None


def test_create_api_key_takes_pages(page, other_page, capsys):
    rita = user("rita")
    Membership.objects.create(user=rita, role=Role.ADMIN)
    call_command("create_api_key", "rita", "--name", "ci", "--page", "other")
    raw = capsys.readouterr().out.strip()
    key = selectors.api_key_find(raw)
    assert list(selectors.key_pages(key)) == [other_page]
    with pytest.raises(CommandError, match="No page 'nope'"):
        call_command("create_api_key", "rita", "--name", "ci", "--page", "nope")
