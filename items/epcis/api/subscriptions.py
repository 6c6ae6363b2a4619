"""EPCIS query subscriptions (``/epcis/queries/{queryName}/subscriptions``), the standard's
webhook subscriptions: each the caller's own, seen and deleted only by them."""

import uuid
from typing import Any

from drf_spectacular.utils import (
    OpenApiCallback,
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import status
from rest_framework.response import Response

from items.epcis.api import serializers
from items.epcis.api.problems import (
    PROBLEM_CONTENT_TYPE,
    EpcisProblem,
    no_such_resource_problem,
    query_parameter_problem,
)
from items.epcis.api.views import EpcisView, _link_next, _named_query_get, _page
from items.epcis.models import QuerySubscription
from items.epcis.rendering import DEFAULT_EPC_FORMAT
from items.epcis.services import SIMPLE_EVENT_QUERY
from items.epcis.subscriptions import (
    SubscriptionRefused,
    subscription_create,
    subscription_delete,
    subscriptions_of,
)
from items.epcis.validation import date_time_parse

SUBSCRIPTION_FIELDS = frozenset(
    ("dest", "signatureToken", "stream", "schedule", "reportIfEmpty", "initialRecordTime")
)


def subscription_problem(detail: str) -> EpcisProblem:
    return EpcisProblem(
        exception_type="epcisException:SubscriptionControlsException",
        title="Subscription refused",
        detail=detail,
        status_code=status.HTTP_400_BAD_REQUEST,
    )


def _subscribable_query(request, query_name: str):
    if query_name == SIMPLE_EVENT_QUERY:
        raise subscription_problem(
            "Subscriptions are to named queries: save the query with POST /epcis/queries, then "
            "subscribe to /epcis/queries/{name}/subscriptions."
        )
    return _named_query_get(request, query_name)


def _subscription_arguments(body: Any) -> dict[str, Any]:
    """The request body as ``subscription_create`` arguments, or a problem naming the field."""
    if not isinstance(body, dict):
        raise subscription_problem("The body is a JSON object with dest and stream or schedule.")
    unknown = sorted(set(body) - SUBSCRIPTION_FIELDS)
    if unknown:
        raise subscription_problem(f"{unknown[0]}: not a field of a query subscription.")
    for name in ("stream", "reportIfEmpty"):
        if name in body and not isinstance(body[name], bool):
            raise subscription_problem(f"{name}: true or false.")
    initial = body.get("initialRecordTime")
    moment = None
    if initial is not None:
        moment = date_time_parse(initial) if isinstance(initial, str) else None
        if moment is None:
            raise subscription_problem(
                f"initialRecordTime: {initial!r} is not an RFC 3339 date-time."
            )
    return {
        "dest": body.get("dest"),
        "signature_token": body.get("signatureToken"),
        "stream": body.get("stream", False),
        "schedule": body.get("schedule"),
        "report_if_empty": body.get("reportIfEmpty", False),
        "initial_record_time": moment,
    }


_SUBSCRIPTION_DOC = (
    "Deliveries: the worker POSTs `EPCISQueryDocument`s (at most 500 events each, "
    "`queryResults.subscriptionID` set) to `dest` with `GS1-EPCIS-Version`, `GS1-CBV-Version`, "
    "`GS1-EPC-Format` (the one asked for when subscribing) and, with a `signatureToken`, "
    "`GS1-Signature: sha256=<hex>`: the HMAC-SHA256 of the request body keyed with the "
    "token. A delivery not answered 2xx is retried with back-off (30 s doubling, 5 attempts). "
    "`dest` must be an http(s) URL resolving only to public addresses (checked again at "
    "every attempt, no redirects followed)."
)


class SubscriptionsView(EpcisView):
    @extend_schema(
        tags=["EPCIS"],
        summary="List a query's subscriptions",
        operation_id="epcis_queries_subscriptions_list",
        description="The caller's active subscriptions to one of their named queries, oldest "
        "first; `perPage` per page, the next page in the `Link` header. The `signatureToken` "
        "is never answered.",
        parameters=[
            OpenApiParameter("perPage", int, description="Subscriptions per page (1-1000)."),
            OpenApiParameter("nextPageToken", str, description="From the previous `Link`."),
        ],
        responses={
            200: serializers.SubscriptionSerializer(many=True),
            (404, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                serializers.EpcisProblemSerializer,
                description="`epcisException:NoSuchNameException`: the caller has no such query.",
            ),
        },
    )
    def get(self, request, query_name: str):
        unknown = set(request.query_params) - {"perPage", "nextPageToken"}
        if unknown:
            raise query_parameter_problem(f"{sorted(unknown)[0]}: not a parameter of this route.")
        query = _subscribable_query(request, query_name)
        subscriptions = subscriptions_of(user=request.user, query=query)
        page, next_token = _page(
            request, subscriptions.order_by("created_at", "id"), {"query": query.name}
        )
        response = Response(serializers.SubscriptionSerializer(page, many=True).data)
        _link_next(request, response, next_token)
        return response

    @extend_schema(
        tags=["EPCIS"],
        summary="Subscribe to a named query",
        description="A webhook subscription to one of the caller's named queries. Either "
        "`stream: true`, every newly captured event that matches the query and that the "
        "caller may see, sent once its capture has committed; or a `schedule` (the standard's "
        "cron-like fields `second`, `minute`, `hour`, `dayOfMonth`, `month`, `dayOfWeek` "
        "(1 Monday ... 7 Sunday), each a number, a range `[low-high]`, a step `start/step` or "
        "a comma-separated list; UTC), each run sending the matching events recorded since "
        "the previous one, or an empty document when there are none and `reportIfEmpty` is "
        "true. Time fields left out under a coarser one given are 0 "
        '(`{"hour": "1", "minute": "5"}`: daily at 01:05:00). `initialRecordTime` (default: '
        "now) is where the first delivery starts; for a stream subscription an earlier one "
        "sends the events recorded since then at once. " + _SUBSCRIPTION_DOC,
        request=serializers.SubscriptionRequestSerializer,
        callbacks=[
            OpenApiCallback(
                name="querySubscriptionResults",
                path="{$request.body#/dest}",
                decorator=extend_schema(
                    summary="Query results sent to the subscriber",
                    description="An `EPCISQueryDocument` (at most 500 events), POSTed by "
                    "DeFarm's worker with `GS1-EPCIS-Version`, `GS1-CBV-Version`, "
                    "`GS1-EPC-Format` and, with a `signatureToken`, `GS1-Signature: "
                    "sha256=<hex HMAC-SHA256 of the body keyed with the token>`. Answer 2xx; "
                    "anything else is retried.",
                    request=serializers.QueryDocumentSerializer,
                    responses={200: OpenApiResponse(description="Received.")},
                ),
            )
        ],
        examples=[
            OpenApiExample(
                "Stream",
                value={
                    "dest": "https://client.example.com/queryCallback",
                    "signatureToken": "13df38d8275b13f05704629e5f1cf3d45d6132d5",
                    "stream": True,
                },
                request_only=True,
            ),
            OpenApiExample(
                "Daily at 01:05",
                value={
                    "dest": "https://client.example.com/queryCallback",
                    "reportIfEmpty": True,
                    "schedule": {"hour": "1", "minute": "5"},
                },
                request_only=True,
            ),
        ],
        responses={
            201: OpenApiResponse(
                serializers.SubscriptionSerializer,
                description="Subscribed; `Location` names the subscription.",
            ),
            (400, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                serializers.EpcisProblemSerializer,
                description="`epcisException:SubscriptionControlsException`: no `stream` nor "
                "`schedule` (or both), a schedule field out of range, a `dest` that is not a "
                "public http(s) URL, an unknown field.",
            ),
            (404, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                serializers.EpcisProblemSerializer,
                description="`epcisException:NoSuchNameException`: the caller has no such query.",
            ),
        },
    )
    def post(self, request, query_name: str):
        query = _subscribable_query(request, query_name)
        arguments = _subscription_arguments(request.data)
        try:
            subscription = subscription_create(
                owner=request.user,
                query=query,
                epc_format=request.headers.get("GS1-EPC-Format") or DEFAULT_EPC_FORMAT,
                **arguments,
            )
        except SubscriptionRefused as refusal:
            raise subscription_problem(str(refusal)) from None
        subscription.query = query
        return Response(
            serializers.SubscriptionSerializer(subscription).data,
            status=status.HTTP_201_CREATED,
            headers={
                "Location": f"/epcis/queries/{query.name}/subscriptions/{subscription.pk}",
            },
        )


def _subscription_get(request, query_name: str, subscription_id: str) -> QuerySubscription:
    query = _subscribable_query(request, query_name)
    try:
        return subscriptions_of(user=request.user, query=query).get(pk=uuid.UUID(subscription_id))
    except (QuerySubscription.DoesNotExist, ValueError):
        raise no_such_resource_problem(
            f"No subscription {subscription_id!r} to query {query_name!r}."
        ) from None


class SubscriptionDetailView(EpcisView):
    @extend_schema(
        tags=["EPCIS"],
        summary="Get a subscription",
        description="One of the caller's subscriptions (is it still active, when was "
        "`dest` last answered 2xx: `lastNotifiedAt`; `minRecordTime`: where the next scheduled "
        "run starts).",
        responses={
            200: serializers.SubscriptionSerializer,
            (404, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                serializers.EpcisProblemSerializer,
                description="No such query or subscription of the caller's.",
            ),
        },
    )
    def get(self, request, query_name: str, subscription_id: str):
        subscription = _subscription_get(request, query_name, subscription_id)
        return Response(serializers.SubscriptionSerializer(subscription).data)

    @extend_schema(
        tags=["EPCIS"],
        summary="Unsubscribe",
        description="Deletes one of the caller's subscriptions; deliveries not sent yet are "
        "dropped.",
        responses={
            204: OpenApiResponse(description="Unsubscribed."),
            (404, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                serializers.EpcisProblemSerializer,
                description="No such query or subscription of the caller's.",
            ),
        },
    )
    def delete(self, request, query_name: str, subscription_id: str):
        subscription_delete(subscription=_subscription_get(request, query_name, subscription_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
