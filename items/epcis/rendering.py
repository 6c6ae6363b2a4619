"""EPCIS events as the standard's documents: what queries answer and subscriptions deliver."""

from datetime import UTC
from typing import Any

from django.conf import settings
from django.utils import timezone

from items.epcis.identifiers import IdentifierError, gs1_key_parse, key_to_dl, key_to_urn
from items.epcis.models import EpcisEvent
from items.epcis.vocabulary import CONTEXT_URL

EPCIS_VERSION = "2.0.0"
CBV_VERSION = "2.0.0"
EPC_FORMATS = ("No_Preference", "Always_GS1_Digital_Link", "Always_EPC_URN", "Never_Translates")
DEFAULT_EPC_FORMAT = "Always_GS1_Digital_Link"


def iso_timestamp(moment) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


_EPC_FIELDS = ("epcList", "childEPCs", "inputEPCList", "outputEPCList")
_CLASS_LISTS = ("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList")


def _translate(value: str, epc_format: str) -> str:
    key = gs1_key_parse(value)
    if key is None:
        return value
    if epc_format == "Always_GS1_Digital_Link":
        return key_to_dl(key)
    if epc_format == "Always_EPC_URN":
        try:
            return key_to_urn(
                key,
                company_prefix_length=key.company_prefix_length
                or settings.EPCIS_COMPANY_PREFIX_LENGTH,
            )
        except IdentifierError:
            return value
    return value


def event_rendered(event: EpcisEvent, *, epc_format: str) -> dict[str, Any]:
    """The event as stored, its EPCs in the format asked for, with the namespaces its document
    defined (an event-level ``@context``)."""
    body = dict(event.event)
    if epc_format in ("Always_GS1_Digital_Link", "Always_EPC_URN"):
        if isinstance(body.get("parentID"), str):
            body["parentID"] = _translate(body["parentID"], epc_format)
        for name in _EPC_FIELDS:
            if isinstance(body.get(name), list):
                body[name] = [
                    _translate(epc, epc_format) if isinstance(epc, str) else epc
                    for epc in body[name]
                ]
        for name in _CLASS_LISTS:
            if isinstance(body.get(name), list):
                body[name] = [
                    {**element, "epcClass": _translate(element["epcClass"], epc_format)}
                    if isinstance(element, dict) and isinstance(element.get("epcClass"), str)
                    else element
                    for element in body[name]
                ]
    context = event.context if isinstance(event.context, list) else [event.context]
    namespaces = [entry for entry in context if isinstance(entry, dict)]
    if namespaces:
        body = {"@context": namespaces, **body}
    return body


def query_document(
    events: list[dict[str, Any]],
    *,
    query_name: str = "SimpleEventQuery",
    subscription_id: str | None = None,
) -> dict[str, Any]:
    results: dict[str, Any] = {"queryName": query_name}
    if subscription_id is not None:
        results["subscriptionID"] = subscription_id
    results["resultsBody"] = {"eventList": events}
    return {
        "@context": [CONTEXT_URL],
        "type": "EPCISQueryDocument",
        "schemaVersion": "2.0",
        "creationDate": iso_timestamp(timezone.now()),
        "epcisBody": {"queryResults": results},
    }
