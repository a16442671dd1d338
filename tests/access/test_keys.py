"""statuspage.access: finding a key reads only; authenticating also records its use, at most
once a minute; operators are the users who hold a role."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model

from incidents.services import Actor, ServiceError
from statuspage.access import selectors, services
from statuspage.access.models import ApiKey, Membership, Role, Scope

ACTOR = Actor(label="test", via="test")


@pytest.fixture
def responder(db):
    user = get_user_model().objects.create_user("rita", "rita@example.com", "pw")
    Membership.objects.create(user=user, role=Role.RESPONDER)
    return user


@pytest.fixture
def key_and_raw(responder):
    return services.api_key_create(
        actor=ACTOR, owner=responder, name="deploys", scopes=[Scope.READ, Scope.INCIDENTS]
    )


def test_finding_a_key_does_not_record_its_use(key_and_raw):
    key, raw = key_and_raw
    assert selectors.api_key_find(raw) == key
    assert ApiKey.objects.get(pk=key.pk).last_used_at is None


def test_authenticating_records_the_use_once_a_minute(key_and_raw, clock):
    key, raw = key_and_raw
    first = services.api_key_authenticate(raw).last_used_at
    clock.shift(timedelta(seconds=30))
    services.api_key_authenticate(raw)
    assert ApiKey.objects.get(pk=key.pk).last_used_at == first
    clock.shift(timedelta(seconds=61))
    services.api_key_authenticate(raw)
    assert ApiKey.objects.get(pk=key.pk).last_used_at > first


@pytest.mark.parametrize("raw", ["", "short", "A" * 40, "\x00" * 40])
def test_malformed_keys_are_not_looked_up(raw, key_and_raw, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert selectors.api_key_find(raw) is None


def test_a_key_stops_working_when_its_owner_loses_the_role(key_and_raw, responder):
    key, raw = key_and_raw
    Membership.objects.filter(user=responder).delete()
    responder.refresh_from_db()
    assert selectors.api_key_find(raw) is None


def test_operators_are_members_and_superusers_only(responder):
    User = get_user_model()
    User.objects.create_user("outsider", "o@example.com", "pw")
    User.objects.create_superuser("root", "root@example.com", "pw")
    assert [u.username for u in selectors.operators()] == ["rita", "root"]


def test_the_owner_role_caps_the_scopes_a_key_may_hold(responder):
    with pytest.raises(ServiceError) as exc:
        services.api_key_create(
            actor=ACTOR, owner=responder, name="too much", scopes=[Scope.COMPONENTS]
        )
    assert exc.value.field == "scopes"
