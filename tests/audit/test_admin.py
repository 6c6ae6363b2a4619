"""The admin console: the trail is read-only, incidents move through the services."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent, SecurityIncident
from audit.services.incidents import incident_create
from tests.accounts.factories import StaffFactory
from tests.audit.conftest import record

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_browser(staff_user, client):
    client.force_login(staff_user)
    return client


def _action(client, action: str, incidents, **data):
    return client.post(
        reverse("admin:audit_securityincident_changelist"),
        {"action": action, "_selected_action": [str(i.pk) for i in incidents], **data},
    )


def test_audit_rows_are_read_only(staff_browser, user):
    row = record(user.pk)
    page = staff_browser.get(reverse("admin:audit_auditevent_change", args=[row.pk]))
    assert page.status_code == 200
    assert b'name="action"' not in page.content  # no editable field
    delete = staff_browser.post(reverse("admin:audit_auditevent_delete", args=[row.pk]))
    assert delete.status_code == 403
    assert AuditEvent.objects.filter(pk=row.pk).exists()


def test_incidents_are_assigned_resolved_and_closed_through_the_services(
    staff_browser, staff_user, user
):
    incident = incident_create(
        reporter=user, title="Leak", description="d", severity="High", category="DataBreach"
    )
    handler = StaffFactory()
    form = _action(staff_browser, "assign", [incident])
    assert b'name="assignee"' in form.content
    assert (
        _action(staff_browser, "assign", [incident], apply="1", assignee=handler.pk).status_code
        == 302
    )
    incident.refresh_from_db()
    assert incident.assigned_to == handler and incident.assigned_by == staff_user
    assert (
        _action(
            staff_browser, "resolve", [incident], apply="1", resolution="Rotated keys."
        ).status_code
        == 302
    )
    incident.refresh_from_db()
    assert incident.status == "Resolved" and incident.resolution == "Rotated keys."
    assert _action(staff_browser, "close", [incident]).status_code == 302
    incident.refresh_from_db()
    assert incident.status == "Closed" and incident.closed_by == staff_user
    assert set(
        AuditEvent.objects.filter(resource_id=str(incident.pk)).values_list("action", flat=True)
    ) == {"incident.opened", "incident.assigned", "incident.resolved", "incident.closed"}
    assert not SecurityIncident.objects.exclude(pk=incident.pk).exists()
