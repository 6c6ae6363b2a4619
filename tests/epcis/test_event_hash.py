"""The event hash against the reference implementation (``epcis-event-hash-generator``)."""

import copy
import json
from pathlib import Path

import pytest
from epcis_event_hash_generator import hash_generator, json_to_py
from pyld import jsonld

from items.epcis.event_hash import event_hash, event_pre_hash
from items.epcis.validation import event_list_of
from items.epcis.vocabulary import CONTEXT_URLS, standard_context

DOCUMENTS = Path(__file__).parent / "documents"
VALID = sorted((DOCUMENTS / "valid").glob("*.json"))
# Documents the reference itself cannot hash: it fails on a bizTransaction without a type
# (IndexError) and on a context it cannot expand.
REFERENCE_FAILS = {
    "Combination_of_different_event.json",
    "TransactionEvent.json",
    "TransformationEvent_all_possible_fields.json",
}


def _local_loader(url, options=None):
    """The reference resolves the context through PyLD: the local copy, never the network."""
    if url in CONTEXT_URLS:
        return {
            "contentType": "application/ld+json",
            "contextUrl": None,
            "documentUrl": url,
            "document": standard_context(),
        }
    raise jsonld.JsonLdError(
        f"{url} is not available offline",
        "jsonld.LoadDocumentError",
        code="loading document failed",
    )


@pytest.fixture
def reference():
    previous = jsonld.get_document_loader()
    jsonld.set_document_loader(_local_loader)
    json_to_py._namespaces.clear()  # the reference keeps namespaces across documents

    def pre_hashes(document):
        events = json_to_py.event_list_from_epcis_document_json(copy.deepcopy(document))
        return hash_generator.derive_prehashes_from_events(events)

    yield pre_hashes
    jsonld.set_document_loader(previous)
    json_to_py._namespaces.clear()


@pytest.mark.parametrize("path", VALID, ids=[path.name for path in VALID])
def test_event_hash_matches_the_reference(reference, path):
    document = json.loads(path.read_text())
    events = event_list_of(document)
    if path.name in REFERENCE_FAILS:
        with pytest.raises((IndexError, jsonld.JsonLdError)):
            reference(document)
        # Ours still hashes every event, deterministically.
        hashes = [event_hash(event, context=document["@context"]) for event in events]
        assert hashes == [event_hash(event, context=document["@context"]) for event in events]
        return
    expected = reference(document)
    assert [event_pre_hash(event, context=document["@context"]) for event in events] == expected
    for event, pre_hash in zip(events, expected, strict=True):
        assert (
            event_hash(event, context=document["@context"])
            == (hash_generator.calculate_hashes_from_pre_hashes([pre_hash])[0])
        )


def test_hash_ignores_key_order_and_record_time():
    document = json.loads((DOCUMENTS / "valid" / "ObjectEvent.json").read_text())
    event = event_list_of(document)[0]
    jumbled = dict(reversed(list(event.items()))) | {"recordTime": "2030-01-01T00:00:00Z"}
    assert event_hash(jumbled, context=document["@context"]) == event_hash(
        event, context=document["@context"]
    )


def test_hash_sees_urn_and_digital_link_as_the_same_epc():
    base = {
        "type": "ObjectEvent",
        "eventTime": "2026-07-22T06:45:00+02:00",
        "eventTimeZoneOffset": "+02:00",
        "action": "OBSERVE",
        "bizStep": "shipping",
    }
    as_urn = base | {"epcList": ["urn:epc:id:sgtin:9521141.001234.2017"]}
    as_link = base | {
        "epcList": ["https://id.gs1.org/01/09521141012345/21/2017"],
        "bizStep": "https://ref.gs1.org/cbv/BizStep-shipping",
        "eventTime": "2026-07-22T04:45:00.000Z",
    }
    assert event_hash(as_urn) == event_hash(as_link)
    assert event_hash(as_urn) != event_hash(
        base | {"epcList": ["urn:epc:id:sgtin:9521141.001234.2018"]}
    )


# Events of the plain shape (strings, lists of strings, objects holding only an id): their
# pre-hash string is built directly, without the general tree walk.
PLAIN_DOCUMENT = {
    "@context": [
        "https://ref.gs1.org/standards/epcis/epcis-context.jsonld",
        {"ex": "https://example.com/voc/"},
    ],
    "type": "EPCISDocument",
    "schemaVersion": "2.0",
    "creationDate": "2026-11-30T00:00:00Z",
    "epcisBody": {
        "eventList": [
            {
                "type": "ObjectEvent",
                "eventTime": "2026-01-01T00:00:07+00:00",
                "eventTimeZoneOffset": "+00:00",
                "action": "OBSERVE",
                "epcList": ["urn:epc:id:sgtin:9521141.012345.a-7"],
                "bizStep": "shipping",
                "readPoint": {"id": "urn:epc:id:sgln:9521141.12345.0"},
            },
            {
                "type": "ObjectEvent",
                "eventTime": "2026-07-22T06:45:00.1234+02:00",
                "eventTimeZoneOffset": "+02:00",
                "action": "ADD",
                "epcList": [
                    "urn:epc:id:sgtin:9521141.012345.b",
                    "https://id.gs1.org/01/09521141012345/21/a",
                    "urn:epc:id:sscc:9521141.0000000001",
                    "urn:epc:id:sgtin:9521141.012345.b",
                ],
                "bizStep": "urn:epcglobal:cbv:bizstep:receiving",
                "disposition": "in_progress",
                "readPoint": {"id": "https://id.gs1.org/414/9521141123452"},
                "bizLocation": {"id": "urn:epc:id:sgln:9521141.12345.7"},
                "eventID": "ni:///sha-256;00?ver=CBV2.0",
                "recordTime": "2026-07-22T06:45:01Z",
            },
            {
                "type": "AggregationEvent",
                "eventTime": "2026-03-01T10:00:00Z",
                "eventTimeZoneOffset": "-05:00",
                "parentID": "urn:epc:id:sscc:9521141.0000000002",
                "childEPCs": ["urn:epc:id:sgtin:9521141.012345.2", "urn:epc:id:giai:9521141.1"],
                "action": "ADD",
                "bizStep": "https://ref.gs1.org/cbv/BizStep-packing",
                "disposition": "https://ref.gs1.org/cbv/Disp-in_progress",
            },
            {
                "type": "TransformationEvent",
                "eventTime": "2026-03-02T10:00:00.5Z",
                "eventTimeZoneOffset": "+01:00",
                "inputEPCList": ["urn:epc:id:sgtin:9521141.012345.9"],
                "outputEPCList": ["urn:epc:id:sgtin:9521141.012345.10"],
                "transformationID": "urn:epc:id:gdti:9521141.00001.9",
                "bizStep": "ex:mixing",
                "epcList": [],
            },
        ]
    },
}


def test_plain_events_match_the_reference_and_the_general_walk(reference):
    from items.epcis.event_hash import _namespaces_of, _plain_pre_hash, _walked_pre_hash

    context = PLAIN_DOCUMENT["@context"]
    events = event_list_of(PLAIN_DOCUMENT)
    namespaces = _namespaces_of(context)
    plain = [_plain_pre_hash(event, namespaces) for event in events]
    assert None not in plain
    assert plain == [_walked_pre_hash(event, namespaces) for event in events]
    assert plain == reference(PLAIN_DOCUMENT)
    assert [event_pre_hash(event, context=context) for event in events] == plain


def test_plain_shape_only_for_plain_events():
    from items.epcis.event_hash import _plain_pre_hash

    event = event_list_of(PLAIN_DOCUMENT)[0]
    assert _plain_pre_hash(event, {}) is not None
    for changed in (
        {"readPoint": {"id": "urn:epc:id:sgln:9521141.12345.0", "ex:note": "x"}},
        {"epcList": [{"id": "urn:epc:id:sgtin:9521141.012345.a-7"}]},
        {"bizStep": 7},
        {"ex:field": "value"},
        {"quantityList": []},
    ):
        assert _plain_pre_hash(event | changed, {}) is None


@pytest.mark.parametrize("path", VALID, ids=[path.name for path in VALID])
def test_plain_shape_equals_the_general_walk_on_valid_events(path):
    from items.epcis.event_hash import _namespaces_of, _plain_pre_hash, _walked_pre_hash

    document = json.loads(path.read_text())
    for event in event_list_of(document) or []:
        namespaces = _namespaces_of(document.get("@context")) | _namespaces_of(
            event.get("@context")
        )
        plain = _plain_pre_hash(event, namespaces)
        if plain is not None:
            assert plain == _walked_pre_hash(event, namespaces)


def test_event_hash_of_sensor_alert_reports_matches_the_reference(reference):
    """Sensor reports naming only an ``exception`` (no measurement ``type``) hash as the
    reference hashes them."""
    document = json.loads(
        (DOCUMENTS / "query" / "SensorData_with_combined_events.json").read_text()
    )
    events = event_list_of(document)
    assert "type" not in events[8]["sensorElementList"][0]["sensorReport"][0]
    # The reference reads EPCISDocuments only: the same events and context as one.
    expected = reference(
        {
            "@context": document["@context"],
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": document["creationDate"],
            "epcisBody": {"eventList": events},
        }
    )
    assert [event_pre_hash(event, context=document["@context"]) for event in events] == expected
