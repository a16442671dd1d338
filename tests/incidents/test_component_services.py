"""Components: creation order, manual status, the append-only log."""

import pytest

from incidents import services
from incidents.models import AuditEntry, ComponentStatusChange
from incidents.selectors import component_tree
from incidents.services import Actor, ServiceError


def test_components_are_placed_last_in_their_group(operator, make_component):
    group = services.component_group_create(name="Core", actor=operator)
    first = make_component("A", group=group)
    second = make_component("B", group=group)
    loose = make_component("Docs")
    assert (first.position, second.position, loose.position) == (1, 2, 1)


def test_manual_status_is_logged_with_its_source_and_actor(api, operator, events):
    services.component_status_set(
        component=api, status="partial_outage", actor=operator, notify=True
    )
    change = ComponentStatusChange.objects.get()
    assert (change.source, change.actor, change.new_status) == ("manual", "alice", "partial_outage")
    assert events[-1].kind == "component.status_changed" and events[-1].status_change_ids


def test_automation_is_recorded_as_automation(api):
    services.component_status_set(
        component=api, status="major_outage", actor=Actor(label="alertmanager", via="automation")
    )
    assert ComponentStatusChange.objects.get().source == "automation"


def test_setting_the_same_status_logs_nothing(api, operator):
    services.component_status_set(component=api, status="operational", actor=operator)
    assert not ComponentStatusChange.objects.exists()
    assert AuditEntry.objects.filter(action="component.status").count() == 1


MONITOR = Actor(label="alertmanager", via="automation")


def _shown(component):
    component.refresh_from_db()
    return component.status, component.base_status, component.maintenance_by_hand


def test_maintenance_by_hand_covers_the_own_status_and_ending_restores_it(api, operator, events):
    services.component_status_set(component=api, status="degraded_performance", actor=operator)
    services.component_status_set(
        component=api, status="under_maintenance", actor=operator, notify=True
    )
    assert _shown(api) == ("under_maintenance", "degraded_performance", True)
    assert events[-1].kind == "component.status_changed"
    services.component_maintenance_end(component=api, actor=operator)
    assert _shown(api) == ("degraded_performance", "degraded_performance", False)
    log = list(ComponentStatusChange.objects.values_list("old_status", "new_status", "source"))
    assert log == [
        ("operational", "degraded_performance", "manual"),
        ("degraded_performance", "under_maintenance", "manual"),
        ("under_maintenance", "degraded_performance", "manual"),
    ]
    audit = AuditEntry.objects.filter(action="component.status").order_by("id").last()
    assert audit.before["maintenance_by_hand"] is True
    assert audit.after["maintenance_by_hand"] is False


def test_an_incident_during_maintenance_by_hand_stays_visible(api, operator):
    services.component_status_set(component=api, status="under_maintenance", actor=operator)
    incident = services.incident_create(
        name="Down", body="Down.", actor=operator, component_statuses={api: "major_outage"}
    )
    assert _shown(api)[0] == "major_outage"
    services.incident_resolve(incident=incident, body="Up.", actor=operator)
    assert _shown(api) == ("under_maintenance", "operational", True)


def test_setting_another_status_by_hand_ends_the_maintenance(api, operator):
    services.component_status_set(component=api, status="under_maintenance", actor=operator)
    services.component_status_set(component=api, status="partial_outage", actor=operator)
    assert _shown(api) == ("partial_outage", "partial_outage", False)


def test_monitoring_neither_starts_nor_ends_maintenance_by_hand(api, operator):
    with pytest.raises(ServiceError, match="Monitoring cannot put"):
        services.component_status_set(component=api, status="under_maintenance", actor=MONITOR)
    assert _shown(api) == ("operational", "operational", False)
    services.component_status_set(component=api, status="under_maintenance", actor=operator)
    # A monitor reporting during the maintenance changes only what lies beneath.
    services.component_status_set(component=api, status="major_outage", actor=MONITOR)
    assert _shown(api) == ("under_maintenance", "major_outage", True)
    services.component_maintenance_end(component=api, actor=operator)
    assert _shown(api) == ("major_outage", "major_outage", False)


def test_ending_maintenance_that_was_not_set_by_hand_is_refused(api, operator):
    with pytest.raises(ServiceError, match="not under maintenance set by hand"):
        services.component_maintenance_end(component=api, actor=operator)
    assert not AuditEntry.objects.filter(action="component.status").exists()


def test_a_component_can_be_created_under_maintenance(operator, make_component):
    component = make_component("Batch", status="under_maintenance")
    assert _shown(component) == ("under_maintenance", "operational", True)
    services.component_maintenance_end(component=component, actor=operator)
    assert _shown(component) == ("operational", "operational", False)


def test_status_changes_are_append_only(api, operator):
    services.component_status_set(component=api, status="partial_outage", actor=operator)
    change = ComponentStatusChange.objects.get()
    change.new_status = "major_outage"
    with pytest.raises(ValueError, match="append-only"):
        change.save()


def test_group_status_is_the_worst_of_its_children(operator, make_component):
    group = services.component_group_create(name="Regions", actor=operator)
    eu = make_component("EU", group=group)
    make_component("US", group=group)
    services.component_status_set(component=eu, status="degraded_performance", actor=operator)
    (node,) = component_tree().groups
    assert node.status == "degraded_performance"


def test_tree_orders_groups_and_loose_components_by_position(operator, make_component):
    make_component("Docs", position=2)
    group = services.component_group_create(name="Core", actor=operator, position=1)
    make_component("API", group=group)
    names = [e.group.name if e.is_group else e.name for e in component_tree().entries]
    assert names == ["Core", "Docs"]


def test_editing_a_component_is_audited_with_before_and_after(api, operator):
    services.component_update(component=api, actor=operator, name="Public API", showcase=False)
    api.refresh_from_db()
    assert (api.name, api.showcase) == ("Public API", False)
    entry = AuditEntry.objects.get(action="component.update")
    assert entry.before["name"] == "API" and entry.after["name"] == "Public API"


def test_editing_refuses_status_and_blank_names(api, operator):
    with pytest.raises(ServiceError, match="Cannot change status"):
        services.component_update(component=api, actor=operator, status="major_outage")
    with pytest.raises(ServiceError, match="needs a name"):
        services.component_update(component=api, actor=operator, name=" ")


def test_editing_a_group(page, operator):
    group = services.component_group_create(name="Core", actor=operator)
    services.component_group_update(group=group, actor=operator, collapsed=True)
    group.refresh_from_db()
    assert group.collapsed is True
    assert AuditEntry.objects.filter(action="component_group.update").exists()


def test_an_unknown_status_is_refused_and_nothing_is_logged(api, operator, events):
    with pytest.raises(ServiceError, match="Unknown component status") as refused:
        services.component_status_set(component=api, status="on_fire", actor=operator)
    assert refused.value.field == "status"
    api.refresh_from_db()
    assert api.status == "operational"
    assert not ComponentStatusChange.objects.exists() and events == []


@pytest.mark.parametrize("name", ["", "   "])
def test_components_and_groups_need_a_name(page, operator, name):
    with pytest.raises(ServiceError, match="needs a name") as refused:
        services.component_create(name=name, actor=operator)
    assert refused.value.field == "name"
    with pytest.raises(ServiceError, match="needs a name") as refused:
        services.component_group_create(name=name, actor=operator)
    assert refused.value.field == "name"
    assert component_tree().entries == []
    assert not AuditEntry.objects.filter(action__startswith="component").exists()
