"""EPCIS 2.0 queries: SimpleEventQuery parameters, per-resource routes, query documents."""

import json
from pathlib import Path

import jsonschema
import pytest

from items.epcis.vocabulary import RESOURCES
from tests.epcis.test_capture import DOCUMENTS, capture, load

QUERIES = DOCUMENTS / "query"

pytestmark = pytest.mark.django_db


def events_of(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]


def _simple_event_query_parameters(path: Path) -> dict:
    """A SimpleEventQuery file as GET parameters (lists pipe-delimited, as the REST binding)."""
    query = load(path)
    query.pop("@context")
    return {
        name: "|".join(value) if isinstance(value, list) else str(value)
        for name, value in query.items()
    }


@pytest.fixture
def captured(auth_client):
    for name in ("ObjectEvent.json", "AggregationEvent.json", "TransformationEvent.json"):
        assert capture(auth_client, load(DOCUMENTS / "valid" / name)).status_code == 202
    single = {
        "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],
        "type": "ObjectEvent",
        "eventTime": "2026-07-22T06:45:00+02:00",
        "eventTimeZoneOffset": "+02:00",
        "action": "OBSERVE",
        "epcList": ["https://id.gs1.org/01/09521141012345/21/2017"],
        "quantityList": [
            {"epcClass": "https://id.gs1.org/01/09521141012345/10/L1", "quantity": 20}
        ],
        "bizStep": "shipping",
        "disposition": "in_transit",
        "bizLocation": {"id": "https://id.gs1.org/414/9521141123452"},
    }
    assert auth_client.post("/epcis/events", data=single, format="json").status_code == 202


def test_simple_event_query_document_finds_what_it_names(auth_client, captured):
    parameters = _simple_event_query_parameters(QUERIES / "Queries__SimpleEventQuery.json")
    found = events_of(auth_client.get("/epcis/events", parameters))
    assert [event["eventTime"] for event in found] == ["2026-07-22T06:45:00+02:00"]


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("Queries__Invalid__Query_with_invalid_values.json", "GE_eventTime"),
        ("Queries__Invalid__Query_with_unknown_parameter.json", "GE_eventDate"),
    ],
)
def test_invalid_simple_event_queries_are_refused(auth_client, name, reason):
    response = auth_client.get("/epcis/events", _simple_event_query_parameters(QUERIES / name))
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "epcisException:QueryParameterException"
    assert reason in problem["detail"]


@pytest.mark.parametrize(
    "path",
    sorted(p for p in QUERIES.glob("*.json") if not p.name.startswith("Queries__")),
    ids=lambda path: path.name,
)
def test_query_documents_are_captured_or_refused_as_named(auth_client, path):
    response = capture(auth_client, load(path))
    if path.name.startswith("Invalid__"):
        assert response.status_code == 400
        assert response.json()["type"] == "epcisException:ValidationException"
    else:
        assert response.status_code == 202, response.content
        assert response.json()["success"] is True


def _sensor_alert_document() -> dict:
    """SensorData_with_combined_events: its ninth event's sensor reports are an error and an
    alarm, named by ``exception`` alone (no measurement ``type``)."""
    document = load(QUERIES / "SensorData_with_combined_events.json")
    event = document["epcisBody"]["queryResults"]["resultsBody"]["eventList"][8]
    reports = event["sensorElementList"][0]["sensorReport"]
    assert all("type" not in report and "exception" in report for report in reports)
    return document


def test_sensor_alert_report_without_measurement_type_is_captured(auth_client):
    response = capture(auth_client, _sensor_alert_document())
    assert response.status_code == 202, response.content
    assert response.json()["success"] is True
    found = events_of(auth_client.get("/epcis/events", {"EQ_bizStep": "sensor_reporting"}))
    reports = [
        report
        for event in found
        for element in event.get("sensorElementList", [])
        for report in element["sensorReport"]
        if "exception" in report and "type" not in report
    ]
    assert {report["exception"] for report in reports} == {
        "gs1:ERROR_CONDITION",
        "gs1:ALARM_CONDITION",
    }


def test_sensor_report_without_type_or_exception_is_refused(auth_client):
    document = _sensor_alert_document()
    event = document["epcisBody"]["queryResults"]["resultsBody"]["eventList"][8]
    del event["sensorElementList"][0]["sensorReport"][1]["exception"]
    response = capture(auth_client, document)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "epcisException:ValidationException"
    assert problem["detail"] == (
        "event 8: sensorElementList[0].sensorReport[1]: 'type' is a required property"
    )
    assert events_of(auth_client.get("/epcis/events")) == []


@pytest.mark.parametrize(
    ("parameters", "count"),
    [
        ({"eventType": "ObjectEvent"}, 3),
        ({"eventType": "ObjectEvent|AggregationEvent"}, 4),
        ({"EQ_action": "OBSERVE"}, 4),
        ({"EQ_bizStep": "shipping"}, 2),
        ({"EQ_bizStep": "urn:epcglobal:cbv:bizstep:shipping"}, 2),
        ({"EQ_bizStep": "https://ref.gs1.org/cbv/BizStep-shipping"}, 2),
        ({"EQ_disposition": "in_transit"}, 2),
        ({"MATCH_epc": "https://id.gs1.org/01/09521141012345/21/2017"}, 1),
        ({"MATCH_epc": "urn:epc:id:sgtin:9521141.001234.2017"}, 1),
        ({"MATCH_anyEPC": "https://id.gs1.org/00/106141412345678908"}, 1),
        ({"MATCH_parentID": "urn:epc:id:sscc:0614141.1234567890"}, 1),
        ({"MATCH_inputEPC": "urn:epc:id:sgtin:4012345.011122.25"}, 1),
        ({"MATCH_outputEPC": "urn:epc:id:sgtin:4012345.077889.25"}, 1),
        ({"MATCH_epcClass": "https://id.gs1.org/01/09521141012345/10/L1"}, 1),
        ({"GE_quantity": "10", "LT_quantity": "21"}, 3),
        ({"EQ_bizLocation": "https://id.gs1.org/414/9521141123452"}, 1),
        ({"GE_eventTime": "2026-01-01T00:00:00Z"}, 1),
        ({"LT_eventTime": "2026-01-01T00:00:00Z"}, 4),
        ({"EQ_bizTransaction_po": "http://transaction.acme.com/po/12345678"}, 2),
        ({"EQ_bizTransaction_desadv": "urn:epcglobal:cbv:bt:0614141073467:1152"}, 1),
        ({"eventType": "AssociationEvent"}, 0),
    ],
)
def test_simple_event_query_parameters(auth_client, captured, parameters, count):
    assert len(events_of(auth_client.get("/epcis/events", parameters))) == count


def test_order_limit_and_pages(auth_client, captured):
    times = [
        e["eventTime"]
        for e in events_of(
            auth_client.get("/epcis/events", {"orderBy": "eventTime", "orderDirection": "DESC"})
        )
    ]
    assert times[0] == "2026-07-22T06:45:00+02:00" and len(times) == 5

    limited = auth_client.get("/epcis/events", {"orderBy": "eventTime", "eventCountLimit": 2})
    assert len(events_of(limited)) == 2 and "Link" not in limited

    first = auth_client.get("/epcis/events", {"perPage": 4})
    assert len(events_of(first)) == 4
    next_url = first["Link"].split("<")[1].split(">")[0]
    second = auth_client.get(next_url)
    assert len(events_of(second)) == 1 and "Link" not in second


def test_page_token_of_another_query_is_refused(auth_client, captured):
    first = auth_client.get("/epcis/events", {"perPage": 1})
    token = first["Link"].split("nextPageToken=")[1].split(">")[0]
    response = auth_client.get(f"/epcis/events?perPage=1&EQ_action=ADD&nextPageToken={token}")
    assert response.status_code == 400
    forged = auth_client.get("/epcis/events?nextPageToken=abc")
    assert forged.status_code == 400


def test_max_event_count_refuses_a_too_large_answer(auth_client, captured):
    response = auth_client.get("/epcis/events", {"maxEventCount": 2})
    assert response.status_code == 413
    assert response.json()["type"] == "epcisException:QueryTooLargeException"


def test_epc_format_header(auth_client, captured):
    parameters = {"MATCH_parentID": "urn:epc:id:sscc:0614141.1234567890"}
    as_links = events_of(auth_client.get("/epcis/events", parameters))[0]
    assert as_links["parentID"] == "https://id.gs1.org/00/106141412345678908"
    assert as_links["childEPCs"][0] == "https://id.gs1.org/01/10614141073464/21/2017"
    as_urns = events_of(
        auth_client.get("/epcis/events", parameters, HTTP_GS1_EPC_FORMAT="Always_EPC_URN")
    )[0]
    assert as_urns["parentID"] == "urn:epc:id:sscc:0614141.1234567890"
    assert as_urns["childEPCs"][0] == "urn:epc:id:sgtin:0614141.107346.2017"
    as_sent = events_of(
        auth_client.get("/epcis/events", parameters, HTTP_GS1_EPC_FORMAT="Never_Translates")
    )[0]
    assert as_sent["parentID"] == "urn:epc:id:sscc:0614141.1234567890"
    wrong = auth_client.get("/epcis/events", parameters, HTTP_GS1_EPC_FORMAT="Sometimes")
    assert wrong.status_code == 406


def test_answers_are_valid_epcis_query_documents(auth_client, captured):
    schema = json.loads((RESOURCES / "EPCIS-JSON-Schema.json").read_text())
    document = auth_client.get("/epcis/events").json()
    jsonschema.validate(document, schema)
    assert len(document["epcisBody"]["queryResults"]["resultsBody"]["eventList"]) == 5


def test_epc_resource_route(auth_client, captured):
    # The ObjectEvent names it as a URN, the AggregationEvent as a Digital Link.
    found = events_of(auth_client.get("/epcis/epcs/urn:epc:id:sgtin:0614141.107346.2017/events"))
    assert {event["type"] for event in found} == {"ObjectEvent", "AggregationEvent"}
    encoded = "https%3A%2F%2Fid.gs1.org%2F01%2F09521141012345%2F21%2F2017"
    assert len(events_of(auth_client.get(f"/epcis/epcs/{encoded}/events"))) == 1


def test_collections(auth_client, captured):
    assert "ObjectEvent" in auth_client.get("/epcis/eventTypes").json()["member"]
    steps = auth_client.get("/epcis/bizSteps").json()
    assert steps["type"] == "Collection"
    assert {"shipping", "receiving", "commissioning"} <= set(steps["member"])
    assert "in_transit" in auth_client.get("/epcis/dispositions").json()["member"]
    assert (
        "https://id.gs1.org/414/9521141123452"
        in (auth_client.get("/epcis/bizLocations").json()["member"])
    )
    assert auth_client.get("/epcis/readPoints").json()["member"]
    assert auth_client.get("/epcis/bizSteps", {"x": 1}).status_code == 400


def test_others_events_are_not_visible(auth_client, other_client, staff_client, captured):
    assert events_of(other_client.get("/epcis/events")) == []
    assert other_client.get("/epcis/bizSteps").json()["member"] == []
    assert len(events_of(staff_client.get("/epcis/events"))) == 5


def test_anonymous_query_is_refused(api_client):
    response = api_client.get("/epcis/events")
    assert response.status_code == 401
    assert response.json()["type"] == "epcisException:SecurityException"


def test_events_query_count_does_not_grow(auth_client, captured, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):
        response = auth_client.get(
            "/epcis/events", {"MATCH_anyEPC": "urn:epc:id:sscc:0614141.1234567890"}
        )
    assert response.status_code == 200
    with django_assert_max_num_queries(5):
        response = auth_client.get("/epcis/events")
    assert len(events_of(response)) == 5


def test_input_and_output_classes_are_matched_apart(auth_client, captured):
    in_class = {"MATCH_inputEPCClass": "urn:epc:class:lgtin:4012345.011111.4444"}
    assert len(events_of(auth_client.get("/epcis/events", in_class))) == 1
    out_class = {"MATCH_outputEPCClass": "urn:epc:class:lgtin:4012345.011111.4444"}
    assert events_of(auth_client.get("/epcis/events", out_class)) == []


def _named(name: str, path: Path) -> dict:
    query = load(path)
    return {"name": name, "query": query}


def test_named_query_from_the_simple_event_query_document(auth_client, captured):
    body = _named("shipped", QUERIES / "Queries__SimpleEventQuery.json")
    created = auth_client.post("/epcis/queries", data=body, format="json")
    assert created.status_code == 201, created.content
    assert created["Location"] == "/epcis/queries/shipped"

    found = events_of(auth_client.get("/epcis/queries/shipped/events"))
    assert [event["eventTime"] for event in found] == ["2026-07-22T06:45:00+02:00"]
    document = auth_client.get("/epcis/queries/shipped/events").json()
    assert document["epcisBody"]["queryResults"]["queryName"] == "shipped"
    assert [q["name"] for q in auth_client.get("/epcis/queries").json()] == ["shipped"]
    assert auth_client.get("/epcis/queries/shipped").json()["query"]["EQ_bizStep"]

    again = auth_client.post("/epcis/queries", data=body, format="json")
    assert again.status_code == 409
    assert again.json()["type"] == "epcisException:ResourceAlreadyExistsException"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("Queries__Invalid__Query_with_invalid_values.json", "not-a-date"),
        ("Queries__Invalid__Query_with_unknown_parameter.json", "GE_eventDate"),
    ],
)
def test_invalid_named_queries_are_refused(auth_client, name, reason):
    response = auth_client.post("/epcis/queries", data=_named("bad", QUERIES / name), format="json")
    assert response.status_code == 400
    problem = response.json()
    assert problem["type"] == "epcisException:QueryValidationException"
    assert reason in problem["detail"]
    assert auth_client.get("/epcis/queries").json() == []


def test_named_queries_are_the_callers_own(auth_client, other_client, captured):
    body = {"name": "mine", "query": {"eventType": ["ObjectEvent"]}}
    assert auth_client.post("/epcis/queries", data=body, format="json").status_code == 201
    missing = other_client.get("/epcis/queries/mine/events")
    assert missing.status_code == 404
    assert missing.json()["type"] == "epcisException:NoSuchNameException"
    assert other_client.delete("/epcis/queries/mine").status_code == 404
    assert other_client.post("/epcis/queries", data=body, format="json").status_code == 201
    assert auth_client.delete("/epcis/queries/mine").status_code == 204
    assert auth_client.get("/epcis/queries/mine").status_code == 404


def test_simple_event_query_is_always_there(auth_client, captured):
    found = events_of(
        auth_client.get("/epcis/queries/SimpleEventQuery/events", {"EQ_bizStep": "shipping"})
    )
    assert len(found) == 2
    body = {"name": "SimpleEventQuery", "query": {}}
    assert auth_client.post("/epcis/queries", data=body, format="json").status_code == 409


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/epcis/no-such-resource", "/epcis/epcs/%0Aurn:epc:id:sgtin:1.2.3%0A/events/"]
)
def test_a_path_no_route_matches_is_a_problem_details_404(auth_client, path):
    response = auth_client.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"] == "epcisException:NoSuchResourceException"


@pytest.mark.django_db
def test_outside_epcis_a_path_no_route_matches_keeps_the_api_error_shape(auth_client):
    response = auth_client.get("/api/no-such-resource")

    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
