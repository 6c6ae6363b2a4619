"""Incidents: reported by anyone signed in, read by their reporter and staff, handled by staff."""

import uuid

from audit.models import AuditEvent, SecurityIncident
from tests.accounts.factories import StaffFactory
from tests.audit.conftest import BASE

INCIDENT = {
    "title": "API key posted in a public chat",
    "description": "Pasted in the co-op's group.",
    "severity": "HIGH",
    "category": "data-breach",
    "affected_users": ["user-x"],
    "affected_resources": ["api_key"],
    "related_event_ids": [],
}


def _create(client, **changes) -> str:
    response = client.post(f"{BASE}/incidents", {**INCIDENT, **changes})
    assert response.status_code == 200, response.content
    return response.json()["data"]["incident_id"]


def test_create_and_read(auth_client, other_client, staff_client, user):
    incident_id = _create(auth_client, category="DataBreach")
    incident = SecurityIncident.objects.get(pk=incident_id)
    assert incident.reported_by == user and incident.status == "Open"
    own = auth_client.get(f"{BASE}/incidents/{incident_id}/")
    assert own.status_code == 200
    data = own.json()["data"]
    assert data["severity"] == "high" and data["category"] == "data-breach"
    assert data["status"] == "open" and data["assigned_to"] is None
    assert isinstance(data["created_at"], int) and data["reported_by"] == user.pk
    assert other_client.get(f"{BASE}/incidents/{incident_id}").status_code == 404
    assert staff_client.get(f"{BASE}/incidents/{incident_id}").status_code == 200
    assert auth_client.get(f"{BASE}/incidents/{uuid.uuid4()}").status_code == 404
    assert auth_client.get(f"{BASE}/incidents/nope").status_code == 400
    assert AuditEvent.objects.filter(action="incident.opened", resource_id=incident_id).exists()


def test_create_refuses_unknown_category(auth_client):
    response = auth_client.post(f"{BASE}/incidents", {**INCIDENT, "category": "alien"})
    assert response.status_code == 400


def test_list_filters(auth_client, other_client, staff_client):
    high = _create(auth_client)
    low = _create(auth_client, severity="low")
    theirs = _create(other_client)
    own = auth_client.get(f"{BASE}/incidents").json()["data"]
    assert {row["incident_id"] for row in own} == {high, low}
    everything = staff_client.get(f"{BASE}/incidents")
    assert {high, low, theirs} <= {row["incident_id"] for row in everything.json()["data"]}
    assert everything["X-Total-Count"] == "3"
    only_low = staff_client.get(f"{BASE}/incidents?severity=LOW").json()["data"]
    assert [row["incident_id"] for row in only_low] == [low]
    assert staff_client.get(f"{BASE}/incidents?status=resolved").json()["data"] == []
    assert staff_client.get(f"{BASE}/incidents?status=nope").status_code == 400


def test_assign_resolve_close_by_staff(auth_client, staff_client, staff_user):
    incident_id = _create(auth_client)
    other_staff = StaffFactory()
    url = f"{BASE}/incidents/{incident_id}"
    assert auth_client.put(f"{url}/assign", {"assignee": staff_user.pk}).status_code == 403
    refused = staff_client.put(f"{url}/assign", {"assignee": "nobody"})
    assert refused.status_code == 400
    assigned = staff_client.put(f"{url}/assign", {"assignee": other_staff.username})
    assert assigned.status_code == 200
    assert assigned.json() == {"success": True, "data": {}}
    incident = SecurityIncident.objects.get(pk=incident_id)
    assert incident.assigned_to == other_staff and incident.assigned_by == staff_user
    assert incident.status == "InProgress" and incident.assigned_at_ts
    by_assignee = staff_client.get(f"{BASE}/incidents?assignee={other_staff.pk}").json()["data"]
    assert [row["incident_id"] for row in by_assignee] == [incident_id]

    assert auth_client.put(f"{url}/resolve").status_code == 403
    resolved = staff_client.put(f"{url}/resolve", {"resolution": "Key revoked."})
    assert resolved.status_code == 200
    incident.refresh_from_db()
    assert incident.status == "Resolved" and incident.resolved_by == staff_user
    assert incident.resolution == "Key revoked." and incident.resolved_at_ts
    assert staff_client.put(f"{url}/resolve").status_code == 409

    closed = staff_client.put(f"{url}/close")
    assert closed.status_code == 200
    incident.refresh_from_db()
    assert incident.status == "Closed" and incident.closed_by == staff_user
    assert staff_client.put(f"{url}/assign", {"assignee": staff_user.pk}).status_code == 409
    actions = set(
        AuditEvent.objects.filter(resource_id=incident_id).values_list("action", flat=True)
    )
    assert actions == {
        "incident.opened",
        "incident.assigned",
        "incident.resolved",
        "incident.closed",
    }


def test_anonymous_gets_401(api_client):
    assert api_client.get(f"{BASE}/incidents").status_code == 401
    assert api_client.post(f"{BASE}/incidents", INCIDENT).status_code == 401
    assert api_client.put(f"{BASE}/incidents/{uuid.uuid4()}/resolve").status_code == 401


def test_compliance_incidents_in_period_bare_list(auth_client, staff_client):
    incident_id = _create(auth_client)
    period = {"start_date": 0, "end_date": 4102444800}
    own = auth_client.post(f"{BASE}/compliance/incidents", period)
    assert own.status_code == 200
    assert [row["incident_id"] for row in own.json()] == [incident_id]
    assert own["X-Total-Count"] == "1"
    past = staff_client.post(f"{BASE}/compliance/incidents", {"start_date": 0, "end_date": 10})
    assert past.json() == []


def test_an_unknown_query_parameter_is_refused(staff_client):
    response = staff_client.get(f"{BASE}/incidents?assigned=me")
    assert response.status_code == 400
    assert "assigned" in response.json()["details"]
    assert staff_client.get(f"{BASE}/incidents?assignee=x&page=1&per_page=5").status_code == 200
