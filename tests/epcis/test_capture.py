"""EPCIS 2.0 capture: every valid document is stored and found again, every invalid one is
refused with problem details and leaves nothing behind."""

import copy
import json
from pathlib import Path

import pytest

from items.epcis.models import CaptureJob, EpcisEvent, EpcisEventEpc
from items.epcis.validation import event_list_of

DOCUMENTS = Path(__file__).parent / "documents"
VALID = sorted((DOCUMENTS / "valid").glob("*.json"))
INVALID = sorted((DOCUMENTS / "invalid").glob("*.json"))

# What each invalid document must be refused for (a word of the problem's detail).
INVALID_REASONS = {
    "Combination_of_events_with_missing_mandatory_fields.json": "required property",
    "Combination_of_multiple_invalid_fields.json": "transforming",
    "EPCISDocument_without_context.json": "@context",
    "ObjectEvent_with_ilmd_field_without_namespace.json": "ilmd.materialType",
    "ObjectEvent_with_invalid_action.json": "CREATE",
    "ObjectEvent_with_invalid_certificationInfo.json": "certificationInfo",
    "ObjectEvent_with_non_standard_bizStep.json": "bizStep",
    "ObjectEvent_with_non_standard_bizStep_in_second_event.json": "event 1: bizStep",
    "ObjectEvent_with_non_standard_disposition.json": "disposition",
    "ObjectEvent_with_unknown_field_in_quantityList.json": "weight",
    "ObjectEvent_without_action_and_eventTime.json": "eventTime",
}

pytestmark = pytest.mark.django_db


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def capture(client, document, **headers):
    return client.post(
        "/epcis/capture",
        data=json.dumps(document),
        content_type="application/ld+json",
        **{f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()},
    )


def query(client, **parameters):
    return client.get("/epcis/events", parameters, HTTP_GS1_EPC_FORMAT="Never_Translates")


def _found_events(response) -> list[dict]:
    assert response.status_code == 200, response.content
    document = response.json()
    assert document["type"] == "EPCISQueryDocument"
    return document["epcisBody"]["queryResults"]["resultsBody"]["eventList"]


def _without_server_fields(event: dict, sent: dict) -> dict:
    """``event`` without what the server sets (``recordTime``; ``eventID`` when none was sent)
    and the namespaces it carries for JSON-LD."""
    event = {k: v for k, v in event.items() if k not in ("@context", "recordTime")}
    if "eventID" not in sent:
        event.pop("eventID")
    return event


def _as_sent(sent: dict) -> dict:
    return {k: v for k, v in sent.items() if k != "recordTime"}


def _own_field_query(event: dict, event_id: str) -> dict:
    """A SimpleEventQuery made of the event's own fields."""
    parameters = {"eventType": event["type"], "EQ_eventID": event_id}
    if "action" in event:
        parameters["EQ_action"] = event["action"]
    if "bizStep" in event:
        parameters["EQ_bizStep"] = event["bizStep"]
    if "disposition" in event:
        parameters["EQ_disposition"] = event["disposition"]
    if isinstance(event.get("readPoint"), dict):
        parameters["EQ_readPoint"] = event["readPoint"]["id"]
    if isinstance(event.get("bizLocation"), dict):
        parameters["EQ_bizLocation"] = event["bizLocation"]["id"]
    if event.get("epcList"):
        parameters["MATCH_epc"] = event["epcList"][0]
    if event.get("parentID"):
        parameters["MATCH_parentID"] = event["parentID"]
    if event.get("inputEPCList"):
        parameters["MATCH_inputEPC"] = event["inputEPCList"][0]
    if event.get("outputEPCList"):
        parameters["MATCH_outputEPC"] = event["outputEPCList"][0]
    return parameters


@pytest.mark.parametrize("path", VALID, ids=[path.name for path in VALID])
def test_valid_document_is_captured_and_each_event_found_by_its_own_fields(auth_client, path):
    document = load(path)
    response = capture(auth_client, copy.deepcopy(document))

    assert response.status_code == 202, response.content
    job = response.json()
    assert response["Location"] == f"/epcis/capture/{job['captureID']}"
    assert job["success"] is True and job["running"] is False and job["errors"] == []
    state = auth_client.get(response["Location"])
    assert state.status_code == 200 and state.json()["success"] is True

    sent_events = event_list_of(document)
    stored = {event.event_id: event for event in EpcisEvent.objects.all()}
    assert len(stored) == len({e.get("eventID") or id(e) for e in sent_events})
    for sent in sent_events:
        row = next(
            row
            for row in stored.values()
            if _without_server_fields(row.event, sent) == _as_sent(sent)
        )
        found = _found_events(query(auth_client, **_own_field_query(sent, row.event_id)))
        assert len(found) == 1, (sent, found)
        assert _without_server_fields(found[0], sent) == _as_sent(sent)
        assert found[0]["eventID"] == row.event_id
        if "eventID" not in sent:
            assert row.event_id.startswith("ni:///sha-256;")
            assert row.event_id.endswith("?ver=CBV2.0")


@pytest.mark.parametrize("path", INVALID, ids=[path.name for path in INVALID])
def test_invalid_document_is_refused_with_problem_details_and_nothing_stored(auth_client, path):
    response = capture(auth_client, load(path))

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "epcisException:ValidationException"
    assert problem["status"] == 400
    assert INVALID_REASONS[path.name] in problem["detail"], problem["detail"]
    assert not EpcisEvent.objects.exists()
    assert not EpcisEventEpc.objects.exists()
    assert not CaptureJob.objects.exists()


def test_every_invalid_document_has_its_reason_listed():
    assert {path.name for path in INVALID} == set(INVALID_REASONS)


def test_proceed_stores_the_valid_events_and_reports_the_refused_one(auth_client):
    document = load(
        DOCUMENTS / "invalid" / "ObjectEvent_with_non_standard_bizStep_in_second_event.json"
    )

    response = capture(auth_client, document, **{"GS1-Capture-Error-Behaviour": "proceed"})

    assert response.status_code == 202
    job = response.json()
    assert job["success"] is False and job["captureErrorBehaviour"] == "proceed"
    assert job["storedCount"] == 1
    [error] = job["errors"]
    assert error["type"] == "epcisException:ValidationException"
    assert error["eventIndex"] == 1 and "transforming" in error["detail"]
    assert EpcisEvent.objects.count() == 1


def test_proceed_still_refuses_a_document_error(auth_client):
    document = load(DOCUMENTS / "invalid" / "EPCISDocument_without_context.json")
    response = capture(auth_client, document, **{"GS1-Capture-Error-Behaviour": "proceed"})
    assert response.status_code == 400
    assert not CaptureJob.objects.exists()


def test_unknown_error_behaviour_is_refused(auth_client):
    response = capture(auth_client, load(VALID[0]), **{"GS1-Capture-Error-Behaviour": "sometimes"})
    assert response.status_code == 400
    assert "GS1-Capture-Error-Behaviour" in response.json()["detail"]


def test_identical_recapture_is_not_stored_twice(auth_client):
    document = load(DOCUMENTS / "valid" / "AssociationEvent.json")  # events without eventID
    first = capture(auth_client, document).json()
    second = capture(auth_client, document).json()

    assert first["storedCount"] == 2 and first["duplicateCount"] == 0
    assert second["storedCount"] == 0 and second["duplicateCount"] == 2
    assert EpcisEvent.objects.count() == 2


def test_the_same_event_captured_by_two_parties_is_stored_for_each(auth_client, other_client):
    document = load(DOCUMENTS / "valid" / "ObjectEvent.json")
    capture(auth_client, document)
    capture(other_client, document)
    events = len(event_list_of(document))
    assert EpcisEvent.objects.filter(owner=auth_client.user).count() == events
    assert EpcisEvent.objects.filter(owner=other_client.user).count() == events


def test_capture_answers_the_standard_headers(auth_client):
    response = capture(auth_client, load(VALID[0]))
    assert response["GS1-EPCIS-Version"] == "2.0.0"
    assert response["GS1-CBV-Version"] == "2.0.0"
    assert int(response["GS1-EPCIS-Capture-Limit"]) > 0
    assert int(response["GS1-EPCIS-Capture-File-Size-Limit"]) > 0


def test_capture_limit_is_enforced(auth_client, monkeypatch):
    monkeypatch.setattr("items.epcis.api.views.CAPTURE_LIMIT", 1)
    response = capture(auth_client, load(DOCUMENTS / "valid" / "AssociationEvent.json"))
    assert response.status_code == 413
    assert response.json()["type"] == "epcisException:CaptureLimitExceededException"
    assert not EpcisEvent.objects.exists()


def test_unsupported_epcis_version_is_refused(auth_client):
    response = capture(auth_client, load(VALID[0]), **{"GS1-EPCIS-Version": "1.2"})
    assert response.status_code == 406
    assert response.json()["type"] == "epcisException:NotAcceptableException"


def test_plain_json_is_accepted_too(auth_client):
    response = auth_client.post("/epcis/capture", data=load(VALID[0]), format="json")
    assert response.status_code == 202


def test_non_json_body_is_a_problem(auth_client):
    response = auth_client.post("/epcis/capture", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"] == "epcisException:ValidationException"


def test_single_event_capture(auth_client):
    event = {
        "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],
        "type": "ObjectEvent",
        "eventTime": "2026-07-22T06:45:00+02:00",
        "eventTimeZoneOffset": "+02:00",
        "action": "ADD",
        "epcList": ["urn:epc:id:sgtin:9521141.001234.2017"],
        "bizStep": "commissioning",
    }
    response = auth_client.post("/epcis/events", data=event, format="json")
    assert response.status_code == 202, response.content
    stored = EpcisEvent.objects.get()
    assert stored.biz_step == "commissioning"
    assert stored.epcs.get().epc == "https://id.gs1.org/01/09521141012345/21/2017"


def test_single_event_without_context_is_refused(auth_client):
    response = auth_client.post(
        "/epcis/events",
        data={"type": "ObjectEvent", "action": "ADD", "epcList": []},
        format="json",
    )
    assert response.status_code == 400
    assert "@context" in response.json()["detail"]


def test_anonymous_capture_is_a_security_problem(api_client, db):
    response = capture(api_client, load(VALID[0]))
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"] == "epcisException:SecurityException"


def test_capture_jobs_are_the_callers_own(auth_client, other_client, staff_client):
    job = capture(auth_client, load(VALID[0])).json()

    assert auth_client.get("/epcis/capture").json()[0]["captureID"] == job["captureID"]
    assert other_client.get("/epcis/capture").json() == []
    missing = other_client.get(f"/epcis/capture/{job['captureID']}")
    assert missing.status_code == 404
    assert missing.json()["type"] == "epcisException:NoSuchResourceException"
    assert staff_client.get(f"/epcis/capture/{job['captureID']}").status_code == 200
    assert auth_client.get("/epcis/capture/not-a-uuid").status_code == 404


def test_capture_job_list_query_count_does_not_grow(
    auth_client, user, django_assert_max_num_queries
):
    for path in VALID[:6]:
        capture(auth_client, load(path))
    with django_assert_max_num_queries(6):
        response = auth_client.get("/epcis/capture")
    assert len(response.json()) == 6


def test_capture_jobs_are_paged_with_next_page_token(auth_client):
    for path in VALID[:3]:
        capture(auth_client, load(path))
    first = auth_client.get("/epcis/capture", {"perPage": 2})
    assert len(first.json()) == 2
    token = first["Link"].split("nextPageToken=")[1].split(">")[0]
    second = auth_client.get(f"/epcis/capture?perPage=2&nextPageToken={token}")
    assert len(second.json()) == 1 and "Link" not in second


def test_body_over_the_file_size_limit_is_a_capture_limit_problem(auth_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = capture(auth_client, load(VALID[0]))
    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"] == "epcisException:CaptureLimitExceededException"
    assert not EpcisEvent.objects.exists()


def test_capture_in_chunks_stores_each_new_event_once_with_its_epcs(auth_client, monkeypatch):
    from items.epcis import services

    monkeypatch.setattr(services, "_STORE_CHUNK", 2)

    def event(serial: int, second: int) -> dict:
        return {
            "type": "ObjectEvent",
            "eventTime": f"2026-01-01T00:00:{second:02d}Z",
            "eventTimeZoneOffset": "+00:00",
            "action": "OBSERVE",
            "epcList": [f"urn:epc:id:sgtin:9521141.012345.{serial}"],
            "bizStep": "shipping",
            "bizTransactionList": [
                {"type": "po", "bizTransaction": f"urn:epcglobal:cbv:bt:{serial}"}
            ],
        }

    document = load(VALID[0])
    document["epcisBody"] = {"eventList": [event(1, 1), event(2, 2)]}
    assert capture(auth_client, document).json()["storedCount"] == 2
    # Five events: one stored before, one twice in the document, three new.
    document["epcisBody"] = {
        "eventList": [event(3, 3), event(1, 1), event(4, 4), event(3, 3), event(5, 5)]
    }
    job = capture(auth_client, document).json()
    assert job["storedCount"] == 3 and job["duplicateCount"] == 2
    assert EpcisEvent.objects.count() == 5
    rows = EpcisEventEpc.objects.order_by("epc")
    assert [row.epc.rsplit("/", 1)[-1] for row in rows] == ["1", "2", "3", "4", "5"]
    assert all(row.item_id for row in rows)
    assert len({row.event_id for row in rows}) == 5
    for stored in EpcisEvent.objects.all():
        [transaction] = stored.biz_transactions.all()
        assert transaction.transaction.endswith(f":{stored.epcs.get().epc.rsplit('/', 1)[-1]}")
