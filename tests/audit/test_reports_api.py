"""Compliance reports from real data: data-subject, recall, audit trail, incidents, SOX."""

import pytest

from accounts.services.staff import credits_adjust
from adapters.models import StorageHistory
from audit.models import AuditEvent, ComplianceReport
from circuits.models import CircuitMember
from circuits.permissions import Permission
from circuits.services import circuit_push
from items.services import item_enrich, item_merge_into, item_split
from tests.accounts.factories import NotificationFactory, UserFactory
from tests.audit.conftest import BASE, record
from tests.circuits.factories import CircuitFactory, item_for, member_of
from tests.conftest import client_for

PERIOD = {"start_date": 0, "end_date": 4102444800}


def _report(client, report_id: str) -> dict:
    response = client.get(f"{BASE}/compliance/reports/{report_id}")
    assert response.status_code == 200, response.content
    return response.json()["data"]


def test_gdpr_report_holds_every_row_about_the_user_and_nothing_about_others(
    auth_client, user, other_user
):
    mine = item_for(user)
    theirs = item_for(other_user)
    circuit = CircuitFactory(owner=user)
    NotificationFactory(user=user, title="For me")
    NotificationFactory(user=other_user, title="Not for me")
    by_me = record(user.pk, action="my action")
    about_me = record(other_user.pk, subject_user_id=user.pk, event_type="Data", action="read")
    not_me = record(other_user.pk, action="their action")

    response = auth_client.post(f"{BASE}/compliance/reports/gdpr", PERIOD)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["report_type"] == "gdpr" and body["format"] == "json"
    assert body["start_date"] == 0 and isinstance(body["created_at"], int)
    assert body["total_events"] == 2
    assert body["summary"] == "Compliance report for 2 events"
    assert body["compliance_status"] == "attention_required"  # read by someone else
    [finding] = body["findings"]
    assert finding["evidence"] == [str(about_me.pk)]
    data = body["report"]["data"]
    assert data["user_accounts"][0]["user_id"] == user.pk
    assert "password" not in data["user_accounts"][0]
    assert [row["dfid"] for row in data["items"]] == [mine.dfid]
    assert [row["circuit_id"] for row in data["circuits"]] == [str(circuit.pk)]
    assert [row["title"] for row in data["notifications"]] == ["For me"]
    assert {row["event_id"] for row in data["audit_events"]} >= {str(by_me.pk), str(about_me.pk)}
    assert data["credit_balances"][0]["user_id"] == user.pk
    text = response.content.decode()
    assert f'"{other_user.username}"' not in text and other_user.email not in text
    assert theirs.dfid not in text and str(not_me.pk) not in text and "Not for me" not in text
    stored = ComplianceReport.objects.get(pk=body["report_id"])
    assert stored.subject_user == user and stored.report_type == "GDPR"
    assert AuditEvent.objects.filter(action="report.GDPR", user_id=user.pk).exists()


def test_gdpr_report_of_another_user_is_staff_only(auth_client, staff_client, other_user):
    refused = auth_client.post(
        f"{BASE}/compliance/reports/gdpr", {**PERIOD, "user_id": other_user.pk}
    )
    assert refused.status_code == 403
    done = staff_client.post(
        f"{BASE}/compliance/reports/gdpr", {**PERIOD, "user_id": other_user.pk}
    )
    assert done.status_code == 200
    assert done.json()["report"]["subject_user_id"] == other_user.pk
    read = AuditEvent.objects.get(action="report.GDPR", subject_user_id=other_user.pk)
    assert read.event_type == "Data"  # staff reading someone's personal data is recorded


@pytest.fixture
def recall_setup(db, django_capture_on_commit_callbacks):
    owner, partner, enricher = UserFactory(), UserFactory(), UserFactory()
    first = CircuitFactory(owner=owner, name="Valley co-op")
    second = CircuitFactory(owner=partner, name="Port exporters")
    member_of(first, role="Member", user=enricher)
    member_of(second, role="Member", user=owner)
    item = item_for(owner)
    source = item_for(owner)
    with django_capture_on_commit_callbacks(execute=True):
        circuit_push(circuit=first, user=owner, dfid=item.dfid)
        circuit_push(circuit=second, user=owner, dfid=item.dfid)
    item_enrich(user=owner, item=item, enriched_data={"weight_kg": 410})
    item_enrich(user=enricher, item=item, enriched_data={"vaccinated": True})
    item_merge_into(user=owner, primary=item, secondary=source)
    item = type(item).objects.get(pk=item.pk)
    _original, split_off = item_split(
        user=owner, item=item, identifiers=[canonical_of(item, exclude_first=True)]
    )
    StorageHistory.objects.create(
        item=item,
        adapter_type="local",
        storage_location={"Local": {"id": "abc"}},
        triggered_by="manual",
        triggered_by_id=owner.pk,
    )
    return {
        "owner": owner,
        "partner": partner,
        "enricher": enricher,
        "circuits": {first.pk, second.pk},
        "item": item,
        "source": source,
        "split_off": split_off,
    }


def canonical_of(item, *, exclude_first: bool) -> dict:
    rows = list(item.identifiers.order_by("value"))
    row = rows[-1] if exclude_first else rows[0]
    return {"namespace": row.namespace, "key": row.key, "value": row.value}


def test_recall_report_lists_every_circuit_holder_event_and_related_item(recall_setup):
    owner = recall_setup["owner"]
    item = recall_setup["item"]
    client = client_for(owner)
    response = client.post(f"{BASE}/compliance/reports/food-safety", {**PERIOD, "dfid": item.dfid})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["report_type"] == "food_safety" and body["format"] == "pdf"
    recall = body["report"]["recall"]
    assert {c["circuit_id"] for c in recall["circuits"]} == {
        str(c) for c in recall_setup["circuits"]
    }
    for circuit in recall["circuits"]:
        assert [d["dfid"] for d in circuit["dfids"]] == [item.dfid]
        assert circuit["operations"][0]["operation_type"] == "Push"
    holders = {h["user_id"]: h for h in recall["holders"]}
    assert {owner.pk, recall_setup["enricher"].pk} <= set(holders)
    assert "enricher" in holders[recall_setup["enricher"].pk]["roles"]
    assert "enricher" in holders[owner.pk]["roles"]
    assert "email" not in holders[owner.pk]  # e-mail addresses are for staff
    related = {i["dfid"]: i["direction"] for i in recall["items"]}
    assert related == {
        item.dfid: "self",
        recall_setup["source"].dfid: "upstream",
        recall_setup["split_off"].dfid: "downstream",
    }
    enrichers = {e["created_by"] for e in recall["events"] if e["event_type"] == "Enriched"}
    assert enrichers == {owner.pk, recall_setup["enricher"].pk}
    types = {e["event_type"] for e in recall["events"]}
    assert {"Created", "PushedToCircuit", "Enriched", "Merged", "Split"} <= types
    [location] = recall["storage_locations"]
    assert location["storage_location"] == {"Local": {"id": "abc"}}
    assert body["total_events"] == len(recall["events"])


def test_recall_report_authorization(recall_setup, staff_client):
    item = recall_setup["item"]
    url = f"{BASE}/compliance/reports/food-safety"
    enricher = client_for(recall_setup["enricher"])  # a member without Audit
    assert enricher.post(url, {**PERIOD, "dfid": item.dfid}).status_code == 403
    stranger = client_for(UserFactory())
    assert stranger.post(url, {**PERIOD, "dfid": item.dfid}).status_code == 404
    membership = CircuitMember.objects.get(member=recall_setup["enricher"])
    membership.permissions = [*membership.permissions, Permission.AUDIT]
    membership.save()
    assert enricher.post(url, {**PERIOD, "dfid": item.dfid}).status_code == 200
    staff = staff_client.post(url, {**PERIOD, "dfid": item.dfid})
    holders = staff.json()["report"]["recall"]["holders"]
    assert all("email" in holder for holder in holders)
    assert AuditEvent.objects.filter(action="report.FoodSafety", event_type="Data").exists()


def test_food_safety_without_item_summarises_the_period(auth_client, user):
    item_for(user)
    response = auth_client.post(f"{BASE}/compliance/reports/food-safety", PERIOD)
    assert response.status_code == 200
    report = response.json()["report"]
    assert report["items_created"] == 1 and report["events_by_type"] == {"Created": 1}


def test_create_list_and_get_reports(auth_client, other_client, staff_client, user):
    record(user.pk, severity="Critical", outcome="Blocked")
    body = {
        "report_type": "audit-trail",
        "period_start": 0,
        "period_end": 4102444800,
        "scope": {"resource_types": [], "event_types": [], "regulations": ["SOX"]},
        "export_format": "JSON",
        "include_evidence": True,
    }
    created = auth_client.post(f"{BASE}/compliance/reports", body)
    assert created.status_code == 200, created.content
    report_id = created.json()["data"]["report_id"]
    report = _report(auth_client, report_id)
    assert report["report_type"] == "AuditTrail" and report["export_format"] == "Json"
    assert report["status"] == "Completed" and report["period_start"] == "1970-01-01T00:00:00Z"
    assert report["compliance_status"] == "non_compliant"
    assert report["findings"][0]["finding_type"] == "serious_failures"
    assert report["findings"][0]["evidence"]
    assert len(report["content"]["events"]) == 1 and "chain" not in report["content"]
    listed = auth_client.get(f"{BASE}/compliance/reports").json()["data"]
    assert [row["report_id"] for row in listed] == [report_id]
    assert "content" not in listed[0]
    assert other_client.get(f"{BASE}/compliance/reports").json()["data"] == []
    assert other_client.get(f"{BASE}/compliance/reports/{report_id}").status_code == 404
    staff_view = _report(staff_client, report_id)
    assert staff_view["report_id"] == report_id
    by_type = staff_client.get(f"{BASE}/compliance/reports?report_type=gdpr-data-subject")
    assert by_type.json()["data"] == []

    staff_trail = staff_client.post(f"{BASE}/compliance/reports", body).json()["data"]
    assert _report(staff_client, staff_trail["report_id"])["content"]["chain"]["valid"] is True


@pytest.mark.parametrize("report_type", ["security-incident", "sox-financial"])
def test_staff_only_report_types(auth_client, staff_client, staff_user, user, report_type):
    credits_adjust(admin=staff_user, user=user, amount=50, reason="goodwill")
    body = {"report_type": report_type, "period_start": 0, "period_end": 4102444800}
    assert auth_client.post(f"{BASE}/compliance/reports", body).status_code == 403
    created = staff_client.post(f"{BASE}/compliance/reports", body)
    assert created.status_code == 200, created.content
    report = _report(staff_client, created.json()["data"]["report_id"])
    if report_type == "sox-financial":
        assert report["content"]["staff_actions"][0]["target_id"] == user.pk
        assert report["findings"][0]["finding_type"] == "staff_changes"
    else:
        assert report["content"] == {"incidents": []}


def test_data_subject_report_type_and_bad_periods(auth_client, user):
    body = {"report_type": "CCPA-consumer", "period_start": 10, "period_end": 5}
    assert auth_client.post(f"{BASE}/compliance/reports", body).status_code == 400
    body["period_end"] = 4102444800
    created = auth_client.post(f"{BASE}/compliance/reports", body).json()["data"]
    report = _report(auth_client, created["report_id"])
    assert report["content"]["regulation"] == "CCPA"
    assert report["scope"]["user_id"] == user.pk
    assert (
        auth_client.post(
            f"{BASE}/compliance/reports", {**body, "report_type": "weekly"}
        ).status_code
        == 400
    )


def test_compliance_events_bare_list(auth_client, other_client, user):
    flagged = record(user.pk, compliance={"hipaa": False})
    compliance = record(user.pk, event_type="Compliance")
    record(user.pk)
    response = auth_client.post(f"{BASE}/compliance/events", PERIOD)
    assert [row["event_id"] for row in response.json()] == [str(flagged.pk), str(compliance.pk)]
    assert other_client.post(f"{BASE}/compliance/events", PERIOD).json() == []


def test_dashboard_metrics_count_what_the_caller_sees(auth_client, staff_client, user, other_user):
    for _ in range(5):
        record(user.pk, event_type="Security", outcome="Failure", severity="High")
    record(user.pk, compliance={"gdpr": True})
    record(other_user.pk, severity="Critical")
    mine = auth_client.get(f"{BASE}/dashboard/metrics").json()["data"]
    assert mine["total_events"] == 6 and mine["events_last_24h"] == 6
    assert mine["compliance_status"]["gdpr_events"] == 1
    assert mine["top_users"] == [{"user_id": user.pk, "event_count": 6, "risk_score": 0.4167}]
    assert [a["anomaly_type"] for a in mine["anomalies"]] == ["repeated_failures"]
    assert mine["security_incidents"] == {"open": 0, "critical": 0, "resolved": 0}
    everything = staff_client.get(f"{BASE}/dashboard/metrics").json()["data"]
    assert everything["total_events"] >= 7
    assert "critical_event" in {a["anomaly_type"] for a in everything["anomalies"]}


def test_erasure_route_is_staff_only_and_keeps_the_chain(auth_client, staff_client, other_user):
    record(other_user.pk, metadata={"ip_address": "10.9.9.9"})
    assert (
        auth_client.post(f"{BASE}/compliance/erasure", {"user_id": other_user.pk}).status_code
        == 403
    )
    done = staff_client.post(f"{BASE}/compliance/erasure", {"user_id": other_user.pk})
    assert done.status_code == 200, done.content
    assert done.json()["data"]["audit_rows"] >= 1
    assert staff_client.get(f"{BASE}/events/verify").json()["data"]["valid"] is True
    assert (
        not AuditEvent.objects.filter(user_id=other_user.pk)
        .exclude(action__startswith="staff.")
        .exists()
    )
    missing = staff_client.post(f"{BASE}/compliance/erasure", {"user_id": "nobody"})
    assert missing.status_code == 404


def test_anonymous_gets_401(api_client):
    for path in (
        "compliance/reports",
        "compliance/reports/gdpr",
        "compliance/reports/food-safety",
        "compliance/events",
        "compliance/incidents",
        "compliance/erasure",
        "export/json",
    ):
        assert api_client.post(f"{BASE}/{path}", {}).status_code == 401
    assert api_client.get(f"{BASE}/dashboard/metrics").status_code == 401
    assert api_client.get(f"{BASE}/compliance/reports").status_code == 401
