"""``/api/circuits/{id}/post-actions``: whether and how the circuit's webhooks are called, the
webhooks themselves and their deliveries, in the earlier engine's shapes. Owner or
ManagePermissions."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from circuits import selectors, services
from circuits.api.serializers.post_actions import (
    PostActionEnvelopeSerializer,
    PostActionSettingsInputSerializer,
    PostActionSettingsSerializer,
    WebhookDeliveryEngineSerializer,
    WebhookDeliveryListSerializer,
    WebhookEnvelopeSerializer,
    WebhookInputSerializer,
    WebhookMessageSerializer,
    WebhookTestSerializer,
    WebhookUpdateInputSerializer,
    webhook_representation,
)
from circuits.api.views.base import CircuitScopedViewSet
from circuits.configs import POST_ACTION_TRIGGERS
from circuits.models import WebhookConfig
from circuits.permissions import Permission
from circuits.services.webhooks import (
    webhook_create,
    webhook_delete,
    webhook_test_send,
    webhook_update,
)
from defarm.api.envelopes import success_data, success_with


class PostActionViewSet(CircuitScopedViewSet):
    @extend_schema(
        summary="A circuit's post-action settings and webhooks",
        description="`data` is null while neither settings nor webhooks exist. Needs "
        "ManagePermissions.",
        responses=PostActionEnvelopeSerializer,
    )
    def retrieve(self, request: Request, circuit_id: str) -> Response:
        circuit = selectors.circuit_with_webhooks(
            circuit=self.circuit(Permission.MANAGE_PERMISSIONS)
        )
        if circuit.post_action_settings is None and not circuit.webhook_rows:
            return success_data(None)
        return success_data(PostActionSettingsSerializer(circuit).data)

    @extend_schema(
        summary="Change a circuit's post-action settings",
        description="`enabled` false calls none of the circuit's webhooks; `trigger_events` "
        "(empty: every webhook's own events) keeps only those events; the two include flags "
        "add the item's data as the circuit holds it and its active storage records to the "
        "payload. The webhooks are kept. Needs ManagePermissions.",
        request=PostActionSettingsInputSerializer,
        responses=PostActionEnvelopeSerializer,
        examples=[
            OpenApiExample(
                "Pushes and tokenizations",
                request_only=True,
                value={
                    "enabled": True,
                    "trigger_events": ["ItemPushed", "item_tokenized"],
                    "include_storage_details": True,
                    "include_item_metadata": True,
                },
            )
        ],
    )
    def update(self, request: Request, circuit_id: str) -> Response:
        circuit = self.circuit(Permission.MANAGE_PERMISSIONS)
        body = self.body(PostActionSettingsInputSerializer)
        circuit = services.circuit_set_post_action_settings(
            circuit=circuit, actor=request.user, post_action_settings=dict(body)
        )
        circuit = selectors.circuit_with_webhooks(circuit=circuit)
        return success_data(
            PostActionSettingsSerializer(circuit).data, message="Post-action settings updated"
        )


WEBHOOK_EXAMPLE = OpenApiExample(
    "An ERP called with a bearer token",
    request_only=True,
    value={
        "name": "ERP",
        "url": "https://erp.example.com/hooks/defarm",
        "method": "POST",
        "auth_type": "BearerToken",
        "auth_credentials": "erp-token",
        "enabled": True,
        "trigger_events": ["ItemPushed", "ItemApproved"],
    },
)


class PostActionWebhookViewSet(CircuitScopedViewSet):
    """``/api/circuits/{id}/post-actions/webhooks[/{webhook_id}[/test]]`` and
    ``.../post-actions/deliveries``: the circuit's webhooks (``webhook_configs``) and what was
    sent to them (``webhook_deliveries``). Owner or ManagePermissions; credentials are never
    answered."""

    def webhook(self) -> WebhookConfig:
        circuit = self.circuit(Permission.MANAGE_PERMISSIONS)
        return selectors.circuit_webhook_get(circuit=circuit, webhook_id=self.kwargs["webhook_id"])

    @extend_schema(
        summary="Add a webhook to a circuit",
        description="Called with a JSON POST for each post-action event it subscribes to "
        "(`trigger_events`, default all four), retried with back-off on failure. The URL must "
        "be http(s) and resolve to public addresses. Needs ManagePermissions.",
        request=WebhookInputSerializer,
        responses=WebhookEnvelopeSerializer,
        examples=[WEBHOOK_EXAMPLE],
    )
    def create(self, request: Request, circuit_id: str) -> Response:
        circuit = self.circuit(Permission.MANAGE_PERMISSIONS)
        body = dict(self.body(WebhookInputSerializer))
        body.setdefault("trigger_events", list(POST_ACTION_TRIGGERS))
        webhook = webhook_create(circuit=circuit, user=request.user, **body)
        return success_data(webhook_representation(webhook), message="Webhook created successfully")

    @extend_schema(summary="Read one webhook of a circuit", responses=WebhookEnvelopeSerializer)
    def retrieve(self, request: Request, circuit_id: str, webhook_id: str) -> Response:
        return success_data(webhook_representation(self.webhook()))

    @extend_schema(
        summary="Change a webhook",
        description="Only the fields sent change; credentials are replaced when `auth_type` "
        "or `auth_credentials` is sent and kept otherwise. Needs ManagePermissions.",
        request=WebhookUpdateInputSerializer,
        responses=WebhookMessageSerializer,
        examples=[
            OpenApiExample(
                "Pause a webhook", request_only=True, value={"enabled": False, "name": "ERP"}
            )
        ],
    )
    def update(self, request: Request, circuit_id: str, webhook_id: str) -> Response:
        webhook = self.webhook()
        changes = dict(self.body(WebhookUpdateInputSerializer, instance=webhook))
        webhook_update(webhook=webhook, user=request.user, changes=changes)
        return success_with(message="Webhook updated successfully")

    @extend_schema(
        summary="Delete a webhook",
        description="Its deliveries go with it. Needs ManagePermissions.",
        responses=WebhookMessageSerializer,
    )
    def destroy(self, request: Request, circuit_id: str, webhook_id: str) -> Response:
        webhook_delete(webhook=self.webhook(), user=request.user)
        return success_with(message="Webhook deleted successfully")

    @extend_schema(
        summary="Send a test delivery to a webhook now",
        description="One real POST of a `webhook_test` payload, recorded as a delivery "
        "(`delivery.status` Delivered, or Failed with the receiver's answer or the error; a "
        "test is not retried). Needs ManagePermissions.",
        request=None,
        responses=WebhookTestSerializer,
    )
    def test(self, request: Request, circuit_id: str, webhook_id: str) -> Response:
        webhook = self.webhook()
        delivery = webhook_test_send(webhook=webhook, user=request.user)
        return success_with(
            message="Webhook test initiated",
            webhook={"id": str(webhook.webhook_id), "name": webhook.name, "url": webhook.url},
            delivery=WebhookDeliveryEngineSerializer(delivery).data,
        )

    @extend_schema(
        summary="Deliveries of a circuit's webhooks, newest first",
        description="`count` is the number in this answer; `X-Total-Count` the number "
        "matching, `Link` the neighbouring pages. Needs ManagePermissions.",
        parameters=[
            OpenApiParameter(
                "webhook_id",
                OpenApiTypes.UUID,
                description="DeFarm: only the deliveries of this webhook.",
            )
        ],
        responses=WebhookDeliveryListSerializer,
    )
    def deliveries(self, request: Request, circuit_id: str) -> Response:
        circuit = self.circuit(Permission.MANAGE_PERMISSIONS)
        webhook_id = request.query_params.get("webhook_id")
        if webhook_id:
            webhook_id = selectors.circuit_webhook_get(
                circuit=circuit, webhook_id=webhook_id
            ).webhook_id
        deliveries = selectors.circuit_webhook_deliveries_list(
            circuit=circuit, webhook_id=webhook_id or None
        )
        page = self.paginate_queryset(deliveries)
        data = WebhookDeliveryEngineSerializer(page, many=True).data
        response = success_data(data, count=len(data))
        for header, value in self.paginator.get_headers().items():
            response[header] = value
        return response
