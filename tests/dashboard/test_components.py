"""Components and groups (admin): create, edit, reorder; the audit log and its filters."""

from __future__ import annotations

import re
from datetime import date

from incidents import selectors, services
from incidents.models import AuditEntry, Component, ComponentGroup


def test_admin_creates_a_grouped_component(admin_client, page):
    admin_client.post("/dashboard/groups/new/", {"name": "Core", "collapsed": "on"})
    group = ComponentGroup.objects.get()
    assert group.collapsed
    response = admin_client.post(
        "/dashboard/components/new/",
        {
            "name": "API",
            "group": group.pk,
            "showcase": "",
            "only_show_if_degraded": "on",
            "start_date": "2026-01-05",
        },
    )
    assert response.status_code == 302
    component = Component.objects.get()
    assert component.group == group
    assert (component.showcase, component.only_show_if_degraded) == (False, True)
    assert component.start_date == date(2026, 1, 5)
    assert AuditEntry.objects.filter(action="component.create", actor="ada").exists()


def test_admin_edits_a_component(admin_client, api):
    url = f"/dashboard/components/{api.pk}/edit/"
    assert 'value="API"' in admin_client.get(url).content.decode()
    admin_client.post(url, {"name": "Public API", "description": "REST", "showcase": "on"})
    api.refresh_from_db()
    assert (api.name, api.description) == ("Public API", "REST")


def test_a_blank_name_is_a_form_error(admin_client, api):
    response = admin_client.post(f"/dashboard/components/{api.pk}/edit/", {"name": "  "})
    assert response.status_code == 400
    api.refresh_from_db()
    assert api.name == "API"


def test_a_bad_date_is_a_form_error(admin_client, page):
    response = admin_client.post(
        "/dashboard/components/new/", {"name": "X", "start_date": "2026-13-45"}
    )
    assert response.status_code == 400
    assert not Component.objects.exists()


def test_group_edit(admin_client, page):
    admin_client.post("/dashboard/groups/new/", {"name": "Core"})
    group = ComponentGroup.objects.get()
    admin_client.post(f"/dashboard/groups/{group.pk}/edit/", {"name": "Backend"})
    group.refresh_from_db()
    assert group.name == "Backend"


def _order():
    return [e.group.name if e.is_group else e.name for e in selectors.component_tree().entries]


def test_moving_entries_up_and_down_changes_page_order(admin_client, make_component):
    api, web = make_component("API"), make_component("Web")
    db = make_component("DB")
    assert _order() == ["API", "Web", "DB"]
    admin_client.post(f"/dashboard/order/component/{db.pk}/up/")
    assert _order() == ["API", "DB", "Web"]
    admin_client.post(f"/dashboard/order/component/{api.pk}/down/")
    assert _order() == ["DB", "API", "Web"]
    # Moving the first one up is a no-op, not an error.
    admin_client.post(f"/dashboard/order/component/{db.pk}/up/")
    assert _order() == ["DB", "API", "Web"]
    assert web.pk  # unchanged, still listed


def test_components_in_a_group_move_among_their_siblings(admin_client, make_component):
    admin_client.post("/dashboard/groups/new/", {"name": "Core"})
    group = ComponentGroup.objects.get()
    a = make_component("A", group=group)
    b = make_component("B", group=group)
    admin_client.post(f"/dashboard/order/component/{b.pk}/up/")
    names = [c.name for c in selectors.component_tree().groups[0].components]
    assert names == ["B", "A"]
    assert a.pk


def test_groups_move_among_top_level_entries(admin_client, make_component):
    make_component("Loose")
    admin_client.post("/dashboard/groups/new/", {"name": "Core"})
    # The new group ties with the component at position 1; a group sorts first on a tie.
    assert _order() == ["Core", "Loose"]
    group = ComponentGroup.objects.get()
    admin_client.post(f"/dashboard/order/group/{group.pk}/down/")
    assert _order() == ["Loose", "Core"]
    admin_client.post(f"/dashboard/order/group/{group.pk}/up/")
    assert _order() == ["Core", "Loose"]


def test_bad_move_requests_are_404(admin_client, api):
    assert admin_client.post(f"/dashboard/order/widget/{api.pk}/up/").status_code == 404
    assert admin_client.post(f"/dashboard/order/component/{api.pk}/sideways/").status_code == 404
    assert admin_client.post("/dashboard/order/component/9999/up/").status_code == 404


def test_responder_sees_components_without_edit_controls(responder_client, api):
    html = responder_client.get("/dashboard/components/").content.decode()
    assert "API" in html and "/edit/" not in html


def test_audit_log_filters_by_actor_type_action_and_date(viewer_client, api, make_component):
    AuditEntry.objects.create(
        actor="bob",
        via="api",
        action="incident.create",
        object_type="incident",
        object_id="x",
        object_repr="Outage",
    )
    html = viewer_client.get("/dashboard/audit/?actor=bob").content.decode()
    assert "Outage" in html and "component.create" not in html
    html = viewer_client.get("/dashboard/audit/?object_type=component").content.decode()
    assert "component.create" in html and "Outage" not in html
    html = viewer_client.get("/dashboard/audit/?action=incident").content.decode()
    assert "Outage" in html and "component.create" not in html
    html = viewer_client.get("/dashboard/audit/?date_from=2000-01-01&date_to=2000-01-02")
    assert "Nothing yet." in html.content.decode()


def test_audit_log_bad_filters_are_400(viewer_client, page):
    response = viewer_client.get("/dashboard/audit/?date_from=yesterday&object_type=nope")
    assert response.status_code == 400


def test_audit_log_pages(viewer_client, page):
    AuditEntry.objects.bulk_create(
        AuditEntry(
            actor="bot",
            via="api",
            action="x",
            object_type="t",
            object_id=str(i),
            object_repr=f"obj{i}",
        )
        for i in range(60)
    )
    first = viewer_client.get("/dashboard/audit/").content.decode()
    assert "Page 1 of 2" in first
    assert viewer_client.get("/dashboard/audit/?page=2").status_code == 200
    assert viewer_client.get("/dashboard/audit/?page=abc").status_code == 200


def test_audit_dates_at_the_end_of_the_calendar_are_form_errors(viewer_client, page):
    response = viewer_client.get("/dashboard/audit/?date_to=9999-12-31&date_from=0001-01-01")
    assert response.status_code == 400
    assert "Give a date between" in response.content.decode()


def test_component_start_date_far_away_is_a_form_error(admin_client, page):
    response = admin_client.post(
        "/dashboard/components/new/", {"name": "X", "start_date": "0001-01-01"}
    )
    assert response.status_code == 400
    assert not Component.objects.exists()


def _diff_cells(html: str) -> list[str]:
    cells = re.findall(r'<td class="diff"[^>]*>(.*?)</td>', html, re.DOTALL)
    return [re.sub(r"\s+", " ", cell).strip() for cell in cells]


def test_audit_log_shows_before_and_after_of_the_changed_fields_only(viewer_client, api, operator):
    services.component_update(component=api, actor=operator, name="Public API")
    html = viewer_client.get("/dashboard/audit/?action=component.update").content.decode()
    [cell] = _diff_cells(html)
    assert cell == (
        '<div>name: <span class="before">API</span> → <span class="after">Public API</span></div>'
    )


def test_audit_log_shows_created_values_and_removed_objects(viewer_client, make_component):
    spare = make_component("Spare")
    services.component_delete(component=spare, actor=services.SYSTEM)
    html = viewer_client.get("/dashboard/audit/").content.decode()
    rows = re.findall(r"<tr>(.*?)</tr>", html.split("<tbody>", 1)[1], re.DOTALL)
    deleted = next(r for r in rows if "component.delete" in r)
    created = next(r for r in rows if "component.create" in r and "Spare" in r)
    [removed] = _diff_cells(f"<tr>{deleted}</tr>")
    assert removed.startswith('<div class="before">removed: {') and "Spare" in removed
    [made] = _diff_cells(f"<tr>{created}</tr>")
    assert '<div>name: <span class="after">Spare</span></div>' in made
    assert 'class="before"' not in made
