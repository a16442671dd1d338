"""Incident templates: admins write them (rendered in a sandbox), responders declare from them."""

from __future__ import annotations

import pytest

from incidents import templating
from incidents.models import IncidentTemplate


def _template_data(api, **extra):
    data = {
        "name": "API down",
        "title": "{{ components }} unavailable",
        "body": "Requests to {{ components }} on {{ page }} fail since {{ now }}.",
        "status": "identified",
        "components": [api.pk],
        "component_status": "major_outage",
    }
    data.update(extra)
    return data


def test_admin_creates_a_template_and_responder_declares_from_it(
    admin_client, responder_client, api, page
):
    response = admin_client.post("/dashboard/templates/new/", _template_data(api))
    assert response.status_code == 302
    template = IncidentTemplate.objects.get()
    html = responder_client.get(f"/dashboard/incidents/new/?template={template.pk}").content
    html = html.decode()
    assert 'value="API unavailable"' in html
    assert f"Requests to API on {page.name} fail since" in html
    assert '<option value="identified" selected>' in html
    assert '<option value="major_outage" selected>' in html


@pytest.mark.parametrize(
    "title",
    [
        "{{ components.__class__.__mro__ }}",  # sandbox: no access to Python internals
        "{{ 'x' * 100000000 }}",  # no huge values
        "{{ nonsense }}",  # undefined names are errors, not blanks
        "{% if %}",  # syntax
        "{% for i in range(99999999) %}x{% endfor %}",  # loops are bounded
        "{% for i in range(900) %}{% for j in range(900) %}{% endfor %}{% endfor %}",
        "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",  # no recursion
        "{{ 'a'.center(999999999) }}",  # no padding a value to a huge size
        "{{ '{:>999999999}'.format(1) }}",
        "{{ 'a'|center(999999999) }}",
        "{{ 'a'|indent(999999999, true) }}",
        "{{ 1 / 0 }}",  # any failure of the template's own is a form error
        "{{ components\x07 }}",  # control characters are refused where text enters
    ],
)
def test_unsafe_or_broken_templates_are_refused_with_a_form_error(admin_client, api, title):
    response = admin_client.post("/dashboard/templates/new/", _template_data(api, title=title))
    assert response.status_code == 400
    assert "errorlist" in response.content.decode()
    assert not IncidentTemplate.objects.exists()


@pytest.mark.parametrize(
    ("source", "output"),
    [
        ("{{ page|upper }}: {{ components.split(', ')|join(' / ') }}", "STATUS: API / Web"),
        ("{% for c in components %}{{ c }}{% endfor %}", "API, Web"),
        ("{% for i in range(3) %}{{ i }}{% endfor %}", "012"),
        ("{{ components|truncate(6, true, '', 0) }}", "API, W"),
    ],
)
def test_what_a_message_needs_still_renders(source, output):
    context = {"page": "Status", "components": "API, Web", "now": ""}
    assert templating.render_sandboxed(source, context) == output


def test_sandbox_render_refuses_attribute_escape():
    with pytest.raises(templating.TemplateRenderError):
        templating.render_sandboxed("{{ ''.__class__.__mro__[1].__subclasses__() }}", {})


def test_duplicate_template_names_are_refused(admin_client, api):
    admin_client.post("/dashboard/templates/new/", _template_data(api))
    response = admin_client.post("/dashboard/templates/new/", _template_data(api, name="api DOWN"))
    assert response.status_code == 400
    assert "A template has that name already." in response.content.decode()


def test_admin_edits_and_deletes_a_template(admin_client, api):
    admin_client.post("/dashboard/templates/new/", _template_data(api))
    template = IncidentTemplate.objects.get()
    url = f"/dashboard/templates/{template.pk}/edit/"
    assert "API down" in admin_client.get(url).content.decode()
    admin_client.post(url, _template_data(api, name="API down", title="API is down"))
    template.refresh_from_db()
    assert template.title == "API is down"
    admin_client.post(f"/dashboard/templates/{template.pk}/delete/")
    assert not IncidentTemplate.objects.exists()


def test_template_broken_later_is_reported_on_the_declare_page(responder_client, api):
    template = IncidentTemplate.objects.create(name="t", title="{{ gone }}", body="b")
    response = responder_client.get(f"/dashboard/incidents/new/?template={template.pk}")
    assert response.status_code == 200
    assert "Template error" in response.content.decode()


def test_unknown_template_is_404(responder_client, page):
    assert responder_client.get("/dashboard/incidents/new/?template=999").status_code == 404
