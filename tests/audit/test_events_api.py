"""The engine's audit event routes: recorded as the caller, read as far as the caller may."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from audit.services.incidents import incident_create
from audit.services.reports import compliance_report_create
from circuits.permissions import Permission
from tests.audit.conftest import BASE, record
from tests.circuits.factories import CircuitFactory, member_of
from tests.conftest import client_for

EVENT = {
    "event_type": "Data",
    "action": "export",
    "resource": "item",
    "resource_id": "DFID-1",
    "outcome": "SUCCESS",
    "severity": "low",
    "details": {"format": "csv"},
    "metadata": {"device_id": "tablet-7", "session_duration": 90},
    "compliance": {"gdpr": True},
}


def test_event_is_recorded_as_the_caller(auth_client, user):
    response = auth_client.post(f"{BASE}/events", EVENT, HTTP_USER_AGENT="farm-app/1.0")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["success"] is True
    event = AuditEvent.objects.get(pk=body["data"]["event_id"])
    assert event.user_id == user.pk
    assert (event.event_type, event.outcome, event.severity) == ("Data", "Success", "Low")
    assert event.metadata["device_id"] == "tablet-7"
    assert event.metadata["user_agent"] == "farm-app/1.0"
    assert event.metadata["ip_address"] == "127.0.0.1"
    assert event.compliance == {"gdpr": True, "ccpa": None, "hipaa": None, "sox": None}


def test_body_user_id_naming_the_caller_is_ignored_another_is_refused(
    auth_client, user, other_user
):
    same = auth_client.post(f"{BASE}/events/", {**EVENT, "user_id": user.pk})
    assert same.status_code == 200
    response = auth_client.post(f"{BASE}/events", {**EVENT, "user_id": other_user.pk})
    assert response.status_code == 403
    assert response.json()["error"] == "permission_denied"
    assert not AuditEvent.objects.filter(user_id=other_user.pk, action="export").exists()


def test_anonymous_callers_get_401(api_client):
    for path in ("events", "events/security", "events/data-access", "events/query", "events/sync"):
        assert api_client.post(f"{BASE}/{path}", {}).status_code == 401
    for path in ("events/verify", f"events/{uuid.uuid4()}", "events/user/someone"):
        assert api_client.get(f"{BASE}/{path}").status_code == 401


@pytest.mark.parametrize("bad", [{"event_type": "nope"}, {"severity": "urgent"}, {"outcome": ""}])
def test_unknown_enum_spellings_are_400(auth_client, bad):
    response = auth_client.post(f"{BASE}/events", {**EVENT, **bad})
    assert response.status_code == 400
    assert response.json()["error"] == "validation_error"


def test_circuit_events_need_membership(auth_client, other_user):
    circuit = CircuitFactory(owner=other_user)
    response = auth_client.post(f"{BASE}/events", {**EVENT, "circuit_id": str(circuit.pk)})
    assert response.status_code == 404


def test_security_event_opens_an_incident_when_serious(auth_client, user):
    low = auth_client.post(
        f"{BASE}/events/security",
        {
            "action": "login",
            "resource": "auth",
            "outcome": "failure",
            "severity": "medium",
            "details": {},
        },
    )
    assert low.status_code == 200
    assert low.json()["data"]["incident_id"] is None
    high = auth_client.post(
        f"{BASE}/events/security",
        {
            "action": "data leak detected",
            "resource": "export",
            "outcome": "blocked",
            "severity": "high",
            "details": {"rows": 12},
        },
    )
    data = high.json()["data"]
    assert data["incident_id"] is not None
    from audit.models import SecurityIncident

    incident = SecurityIncident.objects.get(pk=data["incident_id"])
    assert incident.category == "DataBreach"
    assert incident.related_event_ids == [data["event_id"]]
    assert AuditEvent.objects.get(pk=data["event_id"]).event_type == "Security"
    critical = auth_client.post(
        f"{BASE}/events/security",
        {
            "action": "x",
            "resource": "y",
            "outcome": "success",
            "severity": "critical",
            "details": {},
        },
    )
    assert critical.json()["data"]["incident_id"] is not None


def test_data_access_severity_follows_classification(auth_client):
    response = auth_client.post(
        f"{BASE}/events/data-access",
        {
            "action": "read",
            "resource": "contract",
            "resource_id": "C-1",
            "outcome": "success",
            "data_classification": "confidential",
            "compliance_flags": {"gdpr": True},
        },
    )
    event = AuditEvent.objects.get(pk=response.json()["data"]["event_id"])
    assert (event.event_type, event.severity, event.resource_id) == ("Data", "High", "C-1")
    assert event.details == {"data_classification": "confidential", "resource_id": "C-1"}


def _ids(response) -> list[str]:
    return [row["event_id"] for row in response.json()["data"]]


def test_query_sees_own_rows_staff_sees_all(
    auth_client, other_client, staff_client, user, other_user
):
    mine = record(user.pk)
    theirs = record(other_user.pk)
    about_me = record(other_user.pk, subject_user_id=user.pk)
    assert set(_ids(auth_client.post(f"{BASE}/events/query", {}))) == {
        str(mine.pk),
        str(about_me.pk),
    }
    assert str(theirs.pk) not in _ids(auth_client.post(f"{BASE}/events/query", {}))
    refused = auth_client.post(f"{BASE}/events/query", {"user_id": other_user.pk})
    assert refused.status_code == 403
    everything = staff_client.post(f"{BASE}/events/query", {})
    assert {str(mine.pk), str(theirs.pk), str(about_me.pk)} <= set(_ids(everything))


def test_query_filters_sort_and_pages(staff_client, user):
    rows = [
        record(user.pk, severity="High", outcome="Failure", event_type="Security", action="a"),
        record(user.pk, severity="Low", action="b", compliance={"gdpr": True}),
        record(user.pk, severity="Critical", action="c", resource="circuit"),
        record(user.pk, severity="Medium", action="d"),
    ]
    ask = lambda **body: staff_client.post(f"{BASE}/events/query", {"user_id": user.pk, **body})  # noqa: E731
    by_severity = ask(sort_by="severity", sort_order="asc")
    assert [e["severity"] for e in by_severity.json()["data"]] == [
        "low",
        "medium",
        "high",
        "critical",
    ]
    assert _ids(ask(event_types=["security"])) == [str(rows[0].pk)]
    assert _ids(ask(outcomes=["FAILURE"])) == [str(rows[0].pk)]
    assert _ids(ask(actions=["b", "c"], sort_order="asc")) == [str(rows[1].pk), str(rows[2].pk)]
    assert _ids(ask(resources=["circuit"])) == [str(rows[2].pk)]
    assert _ids(ask(compliance={"gdpr": True})) == [str(rows[1].pk)]
    assert _ids(ask(severities=["critical", "high"], sort_order="asc")) == [
        str(rows[0].pk),
        str(rows[2].pk),
    ]
    page = ask(limit=2, offset=1, sort_order="asc")
    assert _ids(page) == [str(rows[1].pk), str(rows[2].pk)]
    assert page["X-Total-Count"] == "4"
    assert 'rel="next"' in page["Link"] and 'rel="prev"' in page["Link"]
    future = ask(start_date=4102444800)
    assert future.json()["data"] == []
    assert ask(sort_by="name").status_code == 400


def test_query_answer_shape(auth_client, user):
    record(user.pk, details={"k": "v"}, metadata={"location": "Goiás"}, signature="sig")
    [row] = auth_client.post(f"{BASE}/events/query", {}).json()["data"]
    assert row["user_id"] == user.pk
    assert row["event_type"] == "user" and row["outcome"] == "success" and row["severity"] == "low"
    assert isinstance(row["timestamp"], int)
    assert row["details"] == {"k": "v"} and row["signature"] == "sig"
    assert row["metadata"]["location"] == "Goiás"
    assert set(row["metadata"]) == {
        "user_agent",
        "ip_address",
        "location",
        "device_id",
        "session_duration",
    }
    assert set(row["compliance"]) == {"gdpr", "ccpa", "hipaa", "sox"}
    assert row["sequence"] == 1 and len(row["entry_hash"]) == 64


def test_circuit_auditors_read_the_circuit_trail(user, other_user):
    circuit = CircuitFactory(owner=other_user)
    member = member_of(circuit, role="Member", user=user)
    in_circuit = record(other_user.pk, circuit_id=circuit.pk)
    outside = record(other_user.pk)
    client = client_for(member)
    assert _ids(client.post(f"{BASE}/events/query", {})) == []
    membership = circuit.members.get(member=member)
    membership.permissions = [*membership.permissions, Permission.AUDIT]
    membership.save()
    seen = _ids(client.post(f"{BASE}/events/query", {"circuit_id": str(circuit.pk)}))
    assert str(in_circuit.pk) in seen and str(outside.pk) not in seen
    detail = client.get(f"{BASE}/events/{in_circuit.pk}")
    assert detail.status_code == 200
    assert client.get(f"{BASE}/events/{outside.pk}").status_code == 404
    of_user = _ids(client.get(f"{BASE}/events/user/{other_user.pk}"))
    assert of_user == [str(in_circuit.pk)]


def test_event_detail(auth_client, other_client, staff_client, user):
    event = record(user.pk)
    own = auth_client.get(f"{BASE}/events/{event.pk}/")
    assert own.status_code == 200
    assert own.json()["data"]["event_id"] == str(event.pk)
    assert other_client.get(f"{BASE}/events/{event.pk}").status_code == 404
    assert staff_client.get(f"{BASE}/events/{event.pk}").status_code == 200
    assert auth_client.get(f"{BASE}/events/not-a-uuid").status_code == 400


def test_user_events(auth_client, other_client, staff_client, user):
    rows = [record(user.pk, severity="High"), record(user.pk, event_type="Security")]
    own = auth_client.get(f"{BASE}/events/user/{user.pk}")
    assert _ids(own) == [str(rows[1].pk), str(rows[0].pk)]
    assert own["X-Total-Count"] == "2"
    assert _ids(auth_client.get(f"{BASE}/events/user/{user.pk}?severity=high")) == [str(rows[0].pk)]
    assert _ids(auth_client.get(f"{BASE}/events/user/{user.pk}?event_type=SECURITY&limit=1")) == [
        str(rows[1].pk)
    ]
    assert _ids(other_client.get(f"{BASE}/events/user/{user.pk}")) == []
    assert len(_ids(staff_client.get(f"{BASE}/events/user/{user.pk}"))) == 2
    assert auth_client.get(f"{BASE}/events/user/{user.pk}?severity=urgent").status_code == 400


def test_sync_imports_once(auth_client, staff_client, user, other_user):
    event_id = str(uuid.uuid4())
    event = {
        "event_id": event_id,
        "timestamp": 1727308800,
        "user_id": user.pk,
        "event_type": "user",
        "action": "offline_weighing",
        "resource": "item",
        "outcome": "success",
        "severity": "low",
        "details": {"kg": 412},
    }
    first = auth_client.post(f"{BASE}/events/sync", {"events": [event]})
    assert first.status_code == 200
    assert first.json() == {"success": True, "data": {"imported": 1, "skipped": 0}}
    again = auth_client.post(f"{BASE}/events/sync", {"events": [event]})
    assert again.json()["data"] == {"imported": 0, "skipped": 1}
    stored = AuditEvent.objects.get(pk=event_id)
    assert int(stored.timestamp.timestamp()) == 1727308800
    foreign = {**event, "event_id": str(uuid.uuid4()), "user_id": other_user.pk}
    assert auth_client.post(f"{BASE}/events/sync", {"events": [foreign]}).status_code == 403
    assert staff_client.post(f"{BASE}/events/sync", {"events": [foreign]}).status_code == 200


def test_export_json_answers_raw_events_and_is_recorded(auth_client, user):
    record(user.pk, severity="High")
    response = auth_client.post(f"{BASE}/export/json", {"severities": ["high"]})
    assert response.status_code == 200
    [row] = response.json()["data"]
    assert row["severity"] == "High" and row["event_type"] == "User" and row["outcome"] == "Success"
    assert row["timestamp"].endswith("Z")
    export = AuditEvent.objects.get(action="audit.export")
    assert export.user_id == user.pk and export.details["rows"] == 1


def test_verify_names_the_altered_row(staff_client, auth_client, user):
    rows = [record(user.pk, action=f"n{n}") for n in range(4)]
    assert auth_client.get(f"{BASE}/events/verify").status_code == 403
    ok = staff_client.get(f"{BASE}/events/verify").json()["data"]
    assert ok["valid"] is True and ok["first_broken"] is None
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_events SET resource = %s WHERE event_id = %s",
            ["tampered", rows[1].pk.hex if connection.vendor == "sqlite" else str(rows[1].pk)],
        )
    broken = staff_client.get(f"{BASE}/events/verify").json()["data"]
    assert broken["valid"] is False
    assert broken["first_broken"]["event_id"] == str(rows[1].pk)
    assert broken["first_broken"]["sequence"] == rows[1].sequence


def test_list_query_counts_do_not_grow_with_rows(staff_client, user):
    calls = {
        "query": lambda: staff_client.post(f"{BASE}/events/query", {}),
        "export": lambda: staff_client.post(f"{BASE}/export/json", {}),
        "user": lambda: staff_client.get(f"{BASE}/events/user/{user.pk}"),
        "compliance": lambda: staff_client.post(
            f"{BASE}/compliance/events", {"start_date": 0, "end_date": 4102444800}
        ),
        "dashboard": lambda: staff_client.get(f"{BASE}/dashboard/metrics"),
        "incidents": lambda: staff_client.get(f"{BASE}/incidents"),
        "compliance incidents": lambda: staff_client.post(
            f"{BASE}/compliance/incidents", {"start_date": 0, "end_date": 4102444800}
        ),
        "reports": lambda: staff_client.get(f"{BASE}/compliance/reports"),
    }

    def counts() -> dict[str, int]:
        measured = {}
        for name, call in calls.items():
            with CaptureQueriesContext(connection) as captured:
                assert call().status_code == 200
            measured[name] = len(captured)
        return measured

    def rows(count: int) -> None:
        for _ in range(count):
            record(user.pk, compliance={"gdpr": True})
            incident_create(
                reporter=user, title="t", description="d", severity="Low", category="DataBreach"
            )
            compliance_report_create(
                requester=user, report_type="AuditTrail", period_start_ts=0, period_end_ts=10
            )

    rows(3)
    few = counts()
    rows(27)
    assert counts() == few
