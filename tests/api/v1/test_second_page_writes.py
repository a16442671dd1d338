"""/api/v1 writes on a page other than the default one: subscribers are created on that page,
with that page's components only (the same address may subscribe to two pages); metrics carry
that page's metrics provider."""

from __future__ import annotations

import pytest

from incidents import services
from incidents.models import Page
from notifications.models import Subscriber
from tests.api.v1.conftest import ApiClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def page_b(page):
    return Page.objects.create(name="Shop", slug="shop", time_zone="Etc/UTC")


@pytest.fixture
def shop_component(page_b):
    return services.component_create(name="Checkout", actor=services.SYSTEM, page=page_b)


def _url(page: Page) -> str:
    return f"/api/v1/pages/{page.public_id}/subscribers"


def test_a_subscriber_created_on_a_second_page_belongs_to_it(
    make_key, page, page_b, shop_component
):
    client = ApiClient(make_key())
    body = {
        "subscriber": {
            "email": "ann@example.test",
            "component_ids": [shop_component.public_id],
            "skip_confirmation_notification": True,
        }
    }
    response = client.post(_url(page_b), body)
    assert response.status_code == 201, response.content
    sub = Subscriber.objects.get(public_id=response.json()["id"])
    assert sub.page_id == page_b.pk
    assert list(sub.components.all()) == [shop_component]
    # Listed and counted on that page, not on the default one.
    assert [s["id"] for s in client.get(_url(page_b)).json()] == [sub.public_id]
    assert client.get(f"{_url(page_b)}/count").json() == {"count": 1}
    assert client.get(f"/api/v1/pages/{page.public_id}/subscribers/count").json() == {"count": 0}


def test_the_same_address_subscribes_to_two_pages(make_key, page, page_b):
    client = ApiClient(make_key())
    body = {"subscriber": {"email": "ann@example.test", "skip_confirmation_notification": True}}
    assert client.post(_url(page), body).status_code == 201
    assert client.post(_url(page_b), body).status_code == 201
    # On one page, once: a second active subscription of the address there is refused.
    again = client.post(_url(page_b), body)
    assert again.status_code == 422
    assert sorted(Subscriber.objects.values_list("page_id", flat=True)) == sorted(
        [page.pk, page_b.pk]
    )


def test_a_component_of_another_page_is_refused(make_key, page, page_b, api):
    client = ApiClient(make_key())
    body = {"subscriber": {"email": "ann@example.test", "component_ids": [api.public_id]}}
    response = client.post(_url(page_b), body)
    assert response.status_code == 422
    assert "component_ids" in response.json()["errors"]
    assert not Subscriber.objects.exists()


def test_a_metric_on_a_second_page_names_that_page_s_provider(make_key, page_b, shop_component):
    from statuspage.api.v1.metrics import provider_id

    client = ApiClient(make_key())
    provider = provider_id(page_b)
    base = f"/api/v1/pages/{page_b.public_id}"
    body = {"metric": {"name": "Latency", "component_id": shop_component.public_id}}
    response = client.post(f"{base}/metrics_providers/{provider}/metrics", body)
    assert response.status_code == 201, response.content
    assert response.json()["metrics_provider_id"] == provider
    listed = client.get(f"{base}/metrics").json()
    assert [m["metrics_provider_id"] for m in listed] == [provider]
