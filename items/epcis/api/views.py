"""DeFarm's EPCIS 2.0 interface (the standard's REST binding) under ``/epcis/``."""

import hashlib
import json
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db.models import prefetch_related_objects
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from defarm.api.parsers import JSONParser
from items.epcis import selectors
from items.epcis.api import serializers
from items.epcis.api.problems import (
    PROBLEM_CONTENT_TYPE,
    EpcisProblem,
    no_such_resource_problem,
    problem_exception_handler,
    query_parameter_problem,
    validation_problem,
)
from items.epcis.export import item_epcis_document
from items.epcis.models import CaptureErrorBehaviour, CaptureJob
from items.epcis.rendering import (
    CBV_VERSION,
    EPC_FORMATS,
    EPCIS_VERSION,
    event_rendered,
    iso_timestamp,
    query_document,
)
from items.epcis.services import (
    SIMPLE_EVENT_QUERY,
    CaptureRefused,
    NamedQueryExists,
    capture_job_run,
    named_query_create,
    named_query_delete,
    single_event_document,
)
from items.epcis.validation import event_list_of, query_definition_errors
from items.epcis.vocabulary import CONTEXT_URL, EVENT_TYPES
from items.selectors import item_get_visible

CAPTURE_LIMIT = 10_000
_TOKEN_SALT = "epcis.nextPageToken"


class JSONLDParser(JSONParser):
    media_type = "application/ld+json"


def _capture_file_size_limit() -> int:
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


class EpcisView(APIView):
    """Common to every EPCIS route: JSON and JSON-LD bodies, problem-details errors, the
    standard's version headers (a request naming another major version is refused)."""

    parser_classes = [JSONParser, JSONLDParser]

    def get_exception_handler(self):
        return problem_exception_handler

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        for header, name in (("GS1-EPCIS-Version", "EPCIS"), ("GS1-CBV-Version", "CBV")):
            wanted = request.headers.get(header)
            if wanted and not wanted.strip().startswith("2."):
                raise EpcisProblem(
                    exception_type="epcisException:NotAcceptableException",
                    title="Version not supported",
                    detail=f"{header}: {wanted!r}; this server speaks {name} 2.0.",
                    status_code=status.HTTP_406_NOT_ACCEPTABLE,
                )
        epc_format = request.headers.get("GS1-EPC-Format")
        if epc_format and epc_format not in EPC_FORMATS:
            raise EpcisProblem(
                exception_type="epcisException:NotAcceptableException",
                title="EPC format not supported",
                detail=f"GS1-EPC-Format: {epc_format!r} is not one of {', '.join(EPC_FORMATS)}.",
                status_code=status.HTTP_406_NOT_ACCEPTABLE,
            )

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["GS1-EPCIS-Version"] = EPCIS_VERSION
        response["GS1-CBV-Version"] = CBV_VERSION
        response["GS1-EPCIS-Min"] = EPCIS_VERSION
        response["GS1-EPCIS-Max"] = EPCIS_VERSION
        response["GS1-EPC-Format"] = request.headers.get("GS1-EPC-Format") or (
            "Always_GS1_Digital_Link"
        )
        response["GS1-EPCIS-Capture-Limit"] = str(CAPTURE_LIMIT)
        response["GS1-EPCIS-Capture-File-Size-Limit"] = str(_capture_file_size_limit())
        response["GS1-Capture-Error-Behaviour"] = "rollback,proceed"
        return response


# --- capture -------------------------------------------------------------------------------


def _error_behaviour(request) -> str:
    value = (request.headers.get("GS1-Capture-Error-Behaviour") or "rollback").strip().lower()
    if value not in CaptureErrorBehaviour.values:
        raise validation_problem(
            f"GS1-Capture-Error-Behaviour: {value!r} is not one of rollback, proceed."
        )
    return value


def _capture(request, document: Any) -> Response:
    if isinstance(document, dict):
        events = event_list_of(document)
        if events is not None and len(events) > CAPTURE_LIMIT:
            raise EpcisProblem(
                exception_type="epcisException:CaptureLimitExceededException",
                title="Capture limit exceeded",
                detail=f"The document has {len(events)} events; at most {CAPTURE_LIMIT} per "
                "capture (GS1-EPCIS-Capture-Limit).",
                status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
    try:
        job = capture_job_run(
            owner=request.user, document=document, error_behaviour=_error_behaviour(request)
        )
    except CaptureRefused as refused:
        raise validation_problem(refused.errors.first()) from refused
    location = f"/epcis/capture/{job.id}"
    return Response(
        serializers.CaptureJobSerializer(job).data,
        status=status.HTTP_202_ACCEPTED,
        headers={"Location": location},
    )


_DOCUMENT_EXAMPLE = {
    "@context": [CONTEXT_URL, {"example": "http://ns.example.com/epcis/"}],
    "type": "EPCISDocument",
    "schemaVersion": "2.0",
    "creationDate": "2026-07-22T10:30:00Z",
    "epcisBody": {
        "eventList": [
            {
                "type": "ObjectEvent",
                "eventTime": "2026-07-22T06:45:00+02:00",
                "eventTimeZoneOffset": "+02:00",
                "action": "ADD",
                "epcList": ["https://id.gs1.org/01/09521141012345/21/2017"],
                "bizStep": "commissioning",
                "disposition": "active",
                "readPoint": {"id": "https://id.gs1.org/414/9521141123452"},
            }
        ]
    },
}

_CAPTURE_HEADERS = [
    OpenApiParameter(
        "GS1-Capture-Error-Behaviour",
        str,
        OpenApiParameter.HEADER,
        enum=["rollback", "proceed"],
        description="`rollback` (default): any invalid event refuses the whole document. "
        "`proceed`: the valid events are stored and the job lists the refused ones.",
    ),
    OpenApiParameter("GS1-EPCIS-Version", str, OpenApiParameter.HEADER),
    OpenApiParameter("GS1-CBV-Version", str, OpenApiParameter.HEADER),
]
_RESPONSE_HEADERS_DOC = (
    "Every answer carries `GS1-EPCIS-Version`, `GS1-CBV-Version`, `GS1-EPCIS-Capture-Limit` "
    "(events per capture), `GS1-EPCIS-Capture-File-Size-Limit` (bytes) and "
    "`GS1-Capture-Error-Behaviour`. Errors are RFC 7807 problem details "
    "(`application/problem+json`) whose `type` is the standard's `epcisException:...`."
)


class CaptureView(EpcisView):
    @extend_schema(
        tags=["EPCIS"],
        summary="List capture jobs",
        description="The caller's capture jobs, newest first (staff: everyone's). "
        + _RESPONSE_HEADERS_DOC,
        parameters=[
            OpenApiParameter("perPage", int, description="Jobs per page (1-1000, default 100)."),
            OpenApiParameter("nextPageToken", str, description="Token of the next page."),
        ],
        responses={200: serializers.CaptureJobSerializer(many=True)},
    )
    def get(self, request):
        unknown = set(request.query_params) - {"perPage", "nextPageToken"}
        if unknown:
            raise query_parameter_problem(f"{sorted(unknown)[0]}: not a parameter of this route.")
        jobs = selectors.capture_jobs_visible_to(user=request.user)
        page, next_token = _page(request, jobs, {})
        response = Response(serializers.CaptureJobSerializer(page, many=True).data)
        _link_next(request, response, next_token)
        return response

    @extend_schema(
        tags=["EPCIS"],
        summary="Capture an EPCIS document",
        description="Validates an `EPCISDocument` (or `EPCISQueryDocument`) against the "
        "official EPCIS 2.0 JSON Schema and the Core Business Vocabulary rules, stores its "
        "events as the caller's and answers 202 with the capture job (`Location` names it). "
        "Events without an `eventID` get the standard event hash "
        "(`ni:///sha-256;...?ver=CBV2.0`); an event already captured by the caller (same "
        "`eventID`) is not stored twice. " + _RESPONSE_HEADERS_DOC,
        parameters=_CAPTURE_HEADERS,
        request={
            "application/json": OpenApiTypes.OBJECT,
            "application/ld+json": OpenApiTypes.OBJECT,
        },
        examples=[
            OpenApiExample("EPCISDocument", value=_DOCUMENT_EXAMPLE, request_only=True),
        ],
        responses={
            202: OpenApiResponse(
                serializers.CaptureJobSerializer,
                description="Captured; `Location: /epcis/capture/{captureID}`.",
            ),
            (400, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                serializers.EpcisProblemSerializer,
                description="`epcisException:ValidationException`: the document (or, with "
                "`rollback`, one of its events) is invalid; nothing was stored.",
            ),
            (413, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                serializers.EpcisProblemSerializer,
                description="`epcisException:CaptureLimitExceededException`: more events than "
                "`GS1-EPCIS-Capture-Limit` or a body over the file size limit.",
            ),
        },
    )
    def post(self, request):
        return _capture(request, request.data)


class CaptureDetailView(EpcisView):
    @extend_schema(
        tags=["EPCIS"],
        summary="Get a capture job",
        description="State and errors of one of the caller's capture jobs. "
        + _RESPONSE_HEADERS_DOC,
        responses={200: serializers.CaptureJobSerializer},
    )
    def get(self, request, capture_id: str):
        try:
            job = selectors.capture_jobs_visible_to(user=request.user).get(pk=uuid.UUID(capture_id))
        except (CaptureJob.DoesNotExist, ValueError):
            raise no_such_resource_problem(f"No capture job {capture_id!r}.") from None
        return Response(serializers.CaptureJobSerializer(job).data)


# --- query ---------------------------------------------------------------------------------


def _fingerprint(parameters: dict[str, Any]) -> str:
    text = json.dumps(parameters, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _parameters_of(request) -> dict[str, Any]:
    """Query parameters as name -> value (list when repeated)."""
    parameters: dict[str, Any] = {}
    for name in request.query_params:
        values = request.query_params.getlist(name)
        parameters[name] = values if len(values) > 1 else values[0]
    return parameters


def _per_page(request) -> int:
    raw = request.query_params.get("perPage")
    if raw is None:
        return selectors.DEFAULT_PER_PAGE
    try:
        value = int(raw)
    except ValueError:
        raise query_parameter_problem(f"perPage: {raw!r} is not an integer.") from None
    if value < 1:
        raise query_parameter_problem("perPage: must be at least 1.")
    return min(value, selectors.MAX_PER_PAGE)


def _token_offset(request, parameters: dict[str, Any]) -> int:
    token = request.query_params.get("nextPageToken")
    if not token:
        return 0
    try:
        content = signing.loads(token, salt=_TOKEN_SALT, max_age=24 * 3600)
    except signing.BadSignature:
        raise query_parameter_problem("nextPageToken: not a token this server issued.") from None
    if content.get("q") != _fingerprint(parameters):
        raise query_parameter_problem(
            "nextPageToken: the token belongs to a query with other parameters."
        )
    return int(content.get("o", 0))


def _page(request, queryset, parameters: dict[str, Any], *, limit: int | None = None):
    """One page of ``queryset`` and the token of the next (``None`` on the last page)."""
    per_page = _per_page(request)
    offset = _token_offset(request, parameters)
    end = offset + per_page
    if limit is not None:
        end = min(end, limit)
    rows = list(queryset[offset : end + 1]) if end > offset else []
    more = len(rows) > end - offset and (limit is None or end < limit)
    rows = rows[: end - offset]
    token = (
        signing.dumps({"o": end, "q": _fingerprint(parameters)}, salt=_TOKEN_SALT) if more else None
    )
    return rows, token


def _link_next(request, response: Response, token: str | None) -> None:
    if token is None:
        return
    query = request.query_params.copy()
    query["nextPageToken"] = token
    url = request.build_absolute_uri(request.path) + "?" + query.urlencode()
    response["Link"] = f'<{url}>; rel="next"'
    response["GS1-Next-Page-Token-Expires"] = iso_timestamp(timezone.now() + timedelta(days=1))


_QUERY_PARAMETERS = [
    OpenApiParameter(
        "eventType", str, description="Event types, `|`-separated (e.g. `ObjectEvent`)."
    ),
    OpenApiParameter("GE_eventTime", OpenApiTypes.DATETIME),
    OpenApiParameter("LT_eventTime", OpenApiTypes.DATETIME),
    OpenApiParameter("GE_recordTime", OpenApiTypes.DATETIME),
    OpenApiParameter("LT_recordTime", OpenApiTypes.DATETIME),
    OpenApiParameter("EQ_action", str, description="`ADD`, `OBSERVE` or `DELETE`, `|`-separated."),
    OpenApiParameter("EQ_bizStep", str, description="Bare CBV names or URIs, `|`-separated."),
    OpenApiParameter("EQ_disposition", str, description="Bare CBV names or URIs."),
    OpenApiParameter("EQ_readPoint", str, description="Read point ids (URN or Digital Link)."),
    OpenApiParameter("EQ_bizLocation", str, description="Business location ids."),
    OpenApiParameter("EQ_eventID", str),
    OpenApiParameter("MATCH_epc", str, description="EPCs in `epcList` / `childEPCs`."),
    OpenApiParameter("MATCH_parentID", str),
    OpenApiParameter("MATCH_inputEPC", str),
    OpenApiParameter("MATCH_outputEPC", str),
    OpenApiParameter("MATCH_anyEPC", str, description="EPCs in any role."),
    OpenApiParameter("MATCH_epcClass", str),
    OpenApiParameter("MATCH_inputEPCClass", str),
    OpenApiParameter("MATCH_outputEPCClass", str),
    OpenApiParameter("MATCH_anyEPCClass", str),
    OpenApiParameter("EQ_quantity", float),
    OpenApiParameter("GT_quantity", float),
    OpenApiParameter("GE_quantity", float),
    OpenApiParameter("LT_quantity", float),
    OpenApiParameter("LE_quantity", float),
    OpenApiParameter(
        "EQ_bizTransaction_po",
        str,
        description="`EQ_bizTransaction_<type>` for any business transaction type (`po`, "
        "`inv`, a URI...): events naming one of these transactions of that type.",
    ),
    OpenApiParameter("orderBy", str, enum=["eventTime", "recordTime"]),
    OpenApiParameter("orderDirection", str, enum=["ASC", "DESC"]),
    OpenApiParameter("eventCountLimit", int, description="At most this many events in all."),
    OpenApiParameter(
        "maxEventCount", int, description="Refuse (413) when more events than this match."
    ),
    OpenApiParameter("perPage", int, description="Events per page (1-1000, default 100)."),
    OpenApiParameter("nextPageToken", str, description="From the `Link` of the previous page."),
    OpenApiParameter(
        "GS1-EPC-Format",
        str,
        OpenApiParameter.HEADER,
        enum=list(EPC_FORMATS),
        description="How EPCs are written in the answer (default `Always_GS1_Digital_Link`; "
        "`Never_Translates` / `No_Preference`: as captured). URNs need the GS1 Company "
        "Prefix length: the captured URN's, else `EPCIS_COMPANY_PREFIX_LENGTH`.",
    ),
]


def _events_answer(
    request, parameters: dict[str, Any], *, query_name: str = SIMPLE_EVENT_QUERY
) -> Response:
    try:
        query = selectors.simple_event_query_parse(
            {k: v for k, v in parameters.items() if k not in ("perPage", "nextPageToken")}
        )
    except selectors.QueryParameterError as error:
        raise query_parameter_problem(str(error)) from None
    events = selectors.events_query(user=request.user, query=query)
    if query.max_event_count is not None and (
        events[: query.max_event_count + 1].count() > query.max_event_count
    ):
        raise EpcisProblem(
            exception_type="epcisException:QueryTooLargeException",
            title="Query too large",
            detail=f"More than maxEventCount={query.max_event_count} events match.",
            status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    fingerprint_parameters = {
        k: v for k, v in parameters.items() if k not in ("perPage", "nextPageToken")
    }
    page, token = _page(request, events, fingerprint_parameters, limit=query.event_count_limit)
    epc_format = request.headers.get("GS1-EPC-Format") or "Always_GS1_Digital_Link"
    document = query_document(
        [event_rendered(event, epc_format=epc_format) for event in page], query_name=query_name
    )
    response = Response(document)
    _link_next(request, response, token)
    return response


_QUERY_RESPONSES = {
    200: OpenApiResponse(
        serializers.QueryDocumentSerializer, description="An `EPCISQueryDocument`."
    ),
    (400, PROBLEM_CONTENT_TYPE): OpenApiResponse(
        serializers.EpcisProblemSerializer,
        description="`epcisException:QueryParameterException`: an unknown parameter or a "
        "value it does not take.",
    ),
}


class EventsView(EpcisView):
    @extend_schema(
        tags=["EPCIS"],
        summary="Query events (SimpleEventQuery)",
        description="The events the caller may see that match every given parameter, as an "
        "`EPCISQueryDocument`; `perPage` events per page, the next page in the `Link` header "
        "(`nextPageToken`). " + _RESPONSE_HEADERS_DOC,
        parameters=_QUERY_PARAMETERS,
        responses=_QUERY_RESPONSES,
    )
    def get(self, request):
        return _events_answer(request, _parameters_of(request))

    @extend_schema(
        tags=["EPCIS"],
        summary="Capture one event",
        description="One EPCIS event with its own `@context`, captured as a one-event document "
        "(same validation, identity and answer as `POST /epcis/capture`). " + _RESPONSE_HEADERS_DOC,
        parameters=_CAPTURE_HEADERS,
        request={
            "application/json": OpenApiTypes.OBJECT,
            "application/ld+json": OpenApiTypes.OBJECT,
        },
        examples=[
            OpenApiExample(
                "ObjectEvent",
                value={"@context": [CONTEXT_URL], **_DOCUMENT_EXAMPLE["epcisBody"]["eventList"][0]},
                request_only=True,
            )
        ],
        responses={
            202: OpenApiResponse(serializers.CaptureJobSerializer, description="Captured."),
            (400, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                serializers.EpcisProblemSerializer, description="Invalid event."
            ),
        },
    )
    def post(self, request):
        return _capture(request, single_event_document(request.data))


class EventDetailView(EpcisView):
    @extend_schema(
        tags=["EPCIS"],
        operation_id="epcis_event_retrieve",
        summary="Get one event",
        description="The event with this `eventID` (URL-encoded) as an `EPCISQueryDocument`, "
        "when the caller may see it (404 otherwise). Two parties may capture events with the "
        "same `eventID`: the document holds each one the caller may see. " + _RESPONSE_HEADERS_DOC,
        parameters=[_QUERY_PARAMETERS[-1]],
        responses={
            **_QUERY_RESPONSES,
            (404, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                serializers.EpcisProblemSerializer,
                description="`epcisException:NoSuchResourceException`: no such event the "
                "caller may see.",
            ),
        },
    )
    def get(self, request, event_id: str):
        if request.query_params:
            name = sorted(request.query_params)[0]
            raise query_parameter_problem(f"{name}: this route takes no parameters.")
        events = list(selectors.event_by_id(user=request.user, event_id=event_id))
        if not events:
            raise no_such_resource_problem(f"No event {event_id!r}.")
        epc_format = request.headers.get("GS1-EPC-Format") or "Always_GS1_Digital_Link"
        return Response(
            query_document([event_rendered(event, epc_format=epc_format) for event in events])
        )


class EpcEventsView(EpcisView):
    @extend_schema(
        tags=["EPCIS"],
        summary="Events naming an EPC",
        description="The events naming `epc` (URN or Digital Link, URL-encoded) in any role, "
        "as an `EPCISQueryDocument`; the SimpleEventQuery parameters narrow them further.",
        parameters=_QUERY_PARAMETERS,
        responses=_QUERY_RESPONSES,
    )
    def get(self, request, epc: str):
        parameters = _parameters_of(request)
        if "MATCH_anyEPC" in parameters:
            raise query_parameter_problem("MATCH_anyEPC: the EPC is given by the path.")
        return _events_answer(request, {**parameters, "MATCH_anyEPC": epc})


class _CollectionView(EpcisView):
    column = ""

    def members(self, values: list[str]) -> list[str]:
        return values

    def get(self, request):
        if request.query_params:
            name = sorted(request.query_params)[0]
            raise query_parameter_problem(f"{name}: this route takes no parameters.")
        values = selectors.distinct_values(user=request.user, column=self.column)
        return Response(
            {"@context": [CONTEXT_URL], "type": "Collection", "member": self.members(values)}
        )


def _collection_schema(summary: str, description: str):
    return extend_schema(
        tags=["EPCIS"],
        summary=summary,
        description=description,
        responses={200: serializers.CollectionSerializer},
    )


class EventTypesView(_CollectionView):
    column = "event_type"

    def members(self, values: list[str]) -> list[str]:
        return sorted(set(EVENT_TYPES) | set(values))

    @_collection_schema(
        "EPCIS event types", "The five standard event types and any other type captured."
    )
    def get(self, request):
        return super().get(request)


class BizStepsView(_CollectionView):
    column = "biz_step"

    @_collection_schema(
        "Business steps in use",
        "The business steps of the events the caller may see (standard ones as bare names).",
    )
    def get(self, request):
        return super().get(request)


class DispositionsView(_CollectionView):
    column = "disposition"

    @_collection_schema("Dispositions in use", "The dispositions of the events the caller may see.")
    def get(self, request):
        return super().get(request)


class ReadPointsView(_CollectionView):
    column = "read_point"

    @_collection_schema(
        "Read points in use",
        "The read points of the events the caller may see (GS1 keys as Digital Links).",
    )
    def get(self, request):
        return super().get(request)


class BizLocationsView(_CollectionView):
    column = "biz_location"

    @_collection_schema(
        "Business locations in use",
        "The business locations of the events the caller may see (GS1 keys as Digital Links).",
    )
    def get(self, request):
        return super().get(request)


# --- export --------------------------------------------------------------------------------


class ItemExportView(EpcisView):
    @extend_schema(
        tags=["EPCIS"],
        summary="Export an item's history as EPCIS",
        description="The item's history as the caller may see it, as an `EPCISDocument` that "
        "validates against the official EPCIS 2.0 schema (and can be captured elsewhere): "
        "creation as commissioning, circuit pushes and pulls as shipping and receiving, "
        "merges and splits as transformations, status changes as disposition changes, farm "
        "records as observations, then the EPCIS events captured about the item's GS1 keys. "
        "DFIDs are written as `{DEFARM_EPCIS_URI_BASE}/dfid/{dfid}`.",
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="An `EPCISDocument`."),
        },
    )
    def get(self, request, dfid: str):
        if request.query_params:
            name = sorted(request.query_params)[0]
            raise query_parameter_problem(f"{name}: this route takes no parameters.")
        item = item_get_visible(user=request.user, dfid=dfid)
        prefetch_related_objects([item], "identifiers")
        return Response(item_epcis_document(user=request.user, item=item))


# --- named queries -------------------------------------------------------------------------


def _named_query_get(request, query_name: str):
    query = selectors.named_queries_of(user=request.user).filter(name=query_name).first()
    if query is None:
        raise EpcisProblem(
            exception_type="epcisException:NoSuchNameException",
            title="No such query",
            detail=f"No query named {query_name!r}.",
            status_code=status.HTTP_404_NOT_FOUND,
        )
    return query


def _query_validation_problem(detail: str) -> EpcisProblem:
    return EpcisProblem(
        exception_type="epcisException:QueryValidationException",
        title="Invalid query",
        detail=detail,
        status_code=status.HTTP_400_BAD_REQUEST,
    )


_QUERY_EXAMPLE = {
    "name": "ShippedLastMonth",
    "query": {
        "eventType": ["ObjectEvent"],
        "EQ_bizStep": ["shipping"],
        "GE_eventTime": "2026-06-01T00:00:00Z",
    },
}


class QueriesView(EpcisView):
    @extend_schema(
        tags=["EPCIS"],
        summary="List named queries",
        description="The caller's saved queries (`SimpleEventQuery` itself is always there, "
        "at `/epcis/events`).",
        responses={200: serializers.NamedQuerySerializer(many=True)},
    )
    def get(self, request):
        if request.query_params:
            name = sorted(request.query_params)[0]
            raise query_parameter_problem(f"{name}: this route takes no parameters.")
        queries = selectors.named_queries_of(user=request.user)[: selectors.MAX_PER_PAGE]
        return Response(serializers.NamedQuerySerializer(queries, many=True).data)

    @extend_schema(
        tags=["EPCIS"],
        summary="Create a named query",
        description="Saves a SimpleEventQuery (validated against the standard's query schema) "
        "under a name of the caller's; run it at `/epcis/queries/{name}/events`.",
        request=serializers.NamedQuerySerializer,
        examples=[OpenApiExample("Named query", value=_QUERY_EXAMPLE, request_only=True)],
        responses={
            201: OpenApiResponse(serializers.NamedQuerySerializer, description="Created."),
            (400, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                serializers.EpcisProblemSerializer,
                description="`epcisException:QueryValidationException`.",
            ),
            (409, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                serializers.EpcisProblemSerializer,
                description="`epcisException:ResourceAlreadyExistsException`: the name is taken.",
            ),
        },
    )
    def post(self, request):
        body = request.data if isinstance(request.data, dict) else {}
        name, query = body.get("name"), body.get("query")
        if not isinstance(name, str) or not name.strip() or len(name) > 255:
            raise _query_validation_problem("name: a query name of 1 to 255 characters.")
        errors = query_definition_errors(query)
        if errors:
            raise _query_validation_problem(errors[0])
        try:
            selectors.simple_event_query_parse(
                {key: value for key, value in query.items() if key != "@context"}
            )
        except selectors.QueryParameterError as error:
            raise _query_validation_problem(str(error)) from None
        try:
            saved = named_query_create(owner=request.user, name=name.strip(), query=query)
        except NamedQueryExists:
            raise EpcisProblem(
                exception_type="epcisException:ResourceAlreadyExistsException",
                title="Query exists",
                detail=f"A query named {name!r} exists already.",
                status_code=status.HTTP_409_CONFLICT,
            ) from None
        return Response(
            serializers.NamedQuerySerializer(saved).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": f"/epcis/queries/{saved.name}"},
        )


class QueryDetailView(EpcisView):
    @extend_schema(
        tags=["EPCIS"],
        summary="Get a named query",
        description="One of the caller's saved queries.",
        responses={200: serializers.NamedQuerySerializer},
    )
    def get(self, request, query_name: str):
        return Response(
            serializers.NamedQuerySerializer(_named_query_get(request, query_name)).data
        )

    @extend_schema(
        tags=["EPCIS"],
        summary="Delete a named query",
        description="Deletes one of the caller's saved queries.",
        responses={204: OpenApiResponse(description="Deleted.")},
    )
    def delete(self, request, query_name: str):
        named_query_delete(query=_named_query_get(request, query_name))
        return Response(status=status.HTTP_204_NO_CONTENT)


class QueryEventsView(EpcisView):
    @extend_schema(
        tags=["EPCIS"],
        summary="Run a named query",
        description="The events matching the saved query, as an `EPCISQueryDocument` "
        "(`perPage` / `nextPageToken` page it; `SimpleEventQuery` takes the parameters of "
        "`GET /epcis/events`).",
        parameters=[
            OpenApiParameter("perPage", int, description="Events per page (1-1000)."),
            OpenApiParameter("nextPageToken", str),
        ],
        responses=_QUERY_RESPONSES,
    )
    def get(self, request, query_name: str):
        if query_name == SIMPLE_EVENT_QUERY:
            return _events_answer(request, _parameters_of(request))
        unknown = set(request.query_params) - {"perPage", "nextPageToken"}
        if unknown:
            raise query_parameter_problem(
                f"{sorted(unknown)[0]}: a named query takes only perPage and nextPageToken."
            )
        saved = _named_query_get(request, query_name)
        parameters = {key: value for key, value in saved.query.items() if key != "@context"}
        extra = {
            k: request.query_params[k]
            for k in ("perPage", "nextPageToken")
            if k in request.query_params
        }
        return _events_answer(request, {**parameters, **extra}, query_name=saved.name)
