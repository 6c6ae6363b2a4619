"""The shape of the EPCIS queries on PostgreSQL: each reads an index that keeps its cost
independent of how many events are stored (``bench/epcis_scale.py`` measures it at 10,000 and
1,000,000 events)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from items.epcis import selectors

pytestmark = pytest.mark.django_db

START = datetime(2026, 1, 1, tzinfo=UTC)


def _event(number: int) -> dict:
    return {
        "type": "ObjectEvent",
        "eventTime": (START + timedelta(minutes=number)).isoformat(),
        "eventTimeZoneOffset": "+00:00",
        "action": "OBSERVE",
        "epcList": [f"https://id.gs1.org/01/09521141012345/21/{number}"],
        "bizStep": "shipping",
    }


@pytest.fixture
def stored(auth_client, other_client):
    for client in (auth_client, other_client):
        document = {
            "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": "2026-11-30T00:00:00Z",
            "epcisBody": {"eventList": [_event(number) for number in range(30)]},
        }
        response = client.post("/epcis/capture", data=document, format="json")
        assert response.status_code == 202, response.content


def _plan(user, parameters: dict) -> str:
    """The plan of the first page of the query, with sequential and bitmap scans ruled out (a
    table of a few rows would otherwise be read whole, or an index skipped through, whatever
    indexes fit)."""
    query = selectors.simple_event_query_parse(parameters)
    page = selectors.events_query(user=user, query=query)[: selectors.DEFAULT_PER_PAGE + 1]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE epcis_events")
        cursor.execute("ANALYZE epcis_event_epcs")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
    return page.explain()


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("query plans are PostgreSQL's")


def test_query_by_epc_reads_the_epc_index(postgresql, user, stored):
    for name in ("MATCH_epc", "MATCH_anyEPC"):
        plan = _plan(user, {name: "urn:epc:id:sgtin:9521141.001234.12"})
        assert "epcis_epcs_epc_role_idx" in plan, plan
        assert "Seq Scan" not in plan, plan


def test_time_window_reads_a_time_index(postgresql, user, stored):
    window = {
        "GE_eventTime": (START + timedelta(minutes=10)).isoformat(),
        "LT_eventTime": (START + timedelta(minutes=20)).isoformat(),
    }
    plan = _plan(user, window)
    assert "epcis_events_time_idx" in plan or "epcis_events_any_time_idx" in plan, plan
    assert "Seq Scan" not in plan, plan


def test_time_window_of_everyone_reads_the_time_index(postgresql, staff_user, stored):
    """Staff see every party's events: the window is a range of the time index, not a scan of
    every event."""
    window = {
        "GE_eventTime": (START + timedelta(minutes=10)).isoformat(),
        "LT_eventTime": (START + timedelta(minutes=20)).isoformat(),
    }
    plan = _plan(staff_user, window)
    assert "epcis_events_any_time_idx" in plan, plan
    plan = _plan(staff_user, {"GE_recordTime": START.isoformat(), "orderBy": "recordTime"})
    assert "epcis_events_any_record_idx" in plan, plan


def test_time_window_of_a_circuit_member_reads_the_time_index(
    postgresql, user, other_user, auth_client, stored
):
    """A caller who sees events through a circuit: the window is a range of the time index
    (each candidate event probed for the circuit through its own EPC rows), not a scan of the
    owners' indexes over every stored event."""
    from circuits.services import circuit_push
    from items.models import Item
    from tests.circuits.factories import CircuitFactory, member_of

    circuit = CircuitFactory(owner=other_user)
    item = (
        Item.objects.filter(
            identifiers__namespace="gs1",
            identifiers__value="https://id.gs1.org/01/09521141012345/21/12",
        )
        .distinct()
        .get()
    )
    circuit_push(circuit=circuit, user=other_user, dfid=item.dfid)
    member_of(circuit, user=user)
    window = {
        "GE_eventTime": (START + timedelta(minutes=10)).isoformat(),
        "LT_eventTime": (START + timedelta(minutes=20)).isoformat(),
    }
    plan = _plan(user, window)
    assert "epcis_events_any_time_idx" in plan, plan
    found = auth_client.get("/epcis/events", window).json()["epcisBody"]["queryResults"]
    # The caller's ten events of the window, and the circuit partner's one about the item.
    assert len(found["resultsBody"]["eventList"]) == 11
