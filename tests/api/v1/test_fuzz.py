"""Property-based fuzzing of every /api/v1 operation from its OpenAPI document (schemathesis,
in-process through the WSGI app): no input may produce a 5xx, and every response must match
the documented status codes and schemas. Derandomized, so a run is the same every time."""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from incidents import services
from statuspage.access.models import Role
from statuspage.api.v1 import openapi

# Small enough for every CI run; set FUZZ_EXAMPLES higher for a deeper local run.
EXAMPLES_PER_OPERATION = int(os.environ.get("FUZZ_EXAMPLES", "4"))


@pytest.fixture(autouse=True)
def _fuzz_settings(settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 1_000_000
    settings.ALLOWED_HOSTS = ["localhost"]


@pytest.fixture(autouse=True)
def _keep_test_connection():
    """The bare WSGI handler closes the database connection around each request; inside the
    test's transaction that would lose the test data (Django's test client does the same)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_ids(page, make_component):
    """Real ids, so that some generated calls reach past the 404 of an unknown id."""
    group = services.component_group_create(name="G", actor=services.SYSTEM)
    component = make_component("API", group=group)
    incident = services.incident_create(
        name="Down", body="x", actor=services.SYSTEM, component_statuses={component: "major_outage"}
    )
    return {
        "page_id": page.public_id,
        "component_id": component.public_id,
        "group_id": group.public_id,
        "incident_id": incident.public_id,
        "update_id": incident.updates.get().public_id,
    }


# The document is what GET /api/v1/openapi.json serves (test_openapi checks they agree);
# loading it from the module needs no database at collection time.
@pytest.fixture
def fuzz_key(make_key) -> str:
    return make_key(Role.ADMIN)


schema = schemathesis.openapi.from_dict(openapi.document())
schema.app = get_wsgi_application()


@schema.parametrize()
@hypothesis_settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.django_db
def test_no_input_breaks_the_api(case, fuzz_key, fuzz_ids):
    case.path_parameters = dict(case.path_parameters or {})
    for name in case.path_parameters:
        value = str(case.path_parameters[name])
        # The page always; other ids real for about half of the examples.
        if name == "page_id" or (name in fuzz_ids and len(value) % 2):
            case.path_parameters[name] = fuzz_ids[name]
    case.call_and_validate(
        headers={"Authorization": f"OAuth {fuzz_key}"},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
