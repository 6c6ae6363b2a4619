"""``/api/circuits/{id}/post-actions``: whether and how the circuit's webhooks are called, in
the earlier engine's shapes. Owner or ManagePermissions, as the webhooks themselves."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from circuits import selectors, services
from circuits.api.serializers.post_actions import (
    PostActionEnvelopeSerializer,
    PostActionSettingsInputSerializer,
    PostActionSettingsSerializer,
)
from circuits.api.views.base import CircuitScopedViewSet
from circuits.permissions import Permission
from defarm.api.envelopes import success_data


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
