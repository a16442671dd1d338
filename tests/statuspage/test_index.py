"""The placeholder status page renders the demo components, cached and cookie-free."""

from django.core.management import call_command

from incidents import services


def test_index_shows_components_and_overall_status(client, api, operator):
    services.incident_create(
        name="API down", body="b", actor=operator, component_statuses={api: "major_outage"}
    )
    response = client.get("/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "API down" in body and "Major System Outage" in body
    assert response["ETag"] and "public" in response["Cache-Control"]
    assert "Set-Cookie" not in response.headers


def test_index_renders_the_seeded_demo(client, page):
    call_command("seed_demo")
    body = client.get("/").content.decode()
    assert "Acme Cloud" in body and "EU West" in body and "Database upgrade" in body


def test_unknown_paths_are_real_404s(client, page):
    assert client.get("/no-such-page").status_code == 404
