"""Webhooks of a circuit: ``/api/circuits/{circuit_id}/webhooks``. Owner or ManagePermissions
only; credentials are write-only (answers show ``auth_type`` and ``has_credentials``)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from circuits.models import WebhookConfig, WebhookDelivery
from circuits.permissions import Permission, circuit_get_for_member
from circuits.services.webhooks import (
    DEFAULT_RETRY_CONFIG,
    MAX_BASE_DELAY_SECONDS,
    MAX_DELAY_SECONDS,
    WebhookAuthType,
    WebhookTrigger,
    webhook_create,
    webhook_delete,
    webhook_test_send,
    webhook_update,
)


class RetryConfigSerializer(serializers.Serializer):
    max_attempts = serializers.IntegerField(
        min_value=1, max_value=10, default=DEFAULT_RETRY_CONFIG["max_attempts"]
    )
    base_delay_seconds = serializers.IntegerField(
        min_value=1,
        max_value=MAX_BASE_DELAY_SECONDS,
        default=DEFAULT_RETRY_CONFIG["base_delay_seconds"],
    )
    max_delay_seconds = serializers.IntegerField(
        min_value=1, max_value=MAX_DELAY_SECONDS, default=DEFAULT_RETRY_CONFIG["max_delay_seconds"]
    )


class WebhookSerializer(serializers.ModelSerializer):
    circuit_id = serializers.UUIDField(read_only=True)
    trigger_events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookTrigger.choices), allow_empty=False
    )
    auth_type = serializers.ChoiceField(
        choices=WebhookAuthType.choices, default=WebhookAuthType.NONE
    )
    auth_config = serializers.DictField(
        child=serializers.CharField(),
        write_only=True,
        required=False,
        allow_null=True,
        help_text=(
            "Credentials, never returned: bearer {token}, api_key {api_key, header_name?}, "
            "basic {username, password}; any type may add signing_secret (HMAC-SHA256 of "
            "'<X-DeFarm-Timestamp>.<body>' in X-DeFarm-Signature)."
        ),
    )
    has_credentials = serializers.SerializerMethodField()
    has_signing_secret = serializers.SerializerMethodField()
    retry_config = RetryConfigSerializer(required=False)

    class Meta:
        model = WebhookConfig
        fields = [
            "webhook_id",
            "circuit_id",
            "name",
            "url",
            "trigger_events",
            "enabled",
            "auth_type",
            "auth_config",
            "has_credentials",
            "has_signing_secret",
            "retry_config",
            "created_at_ts",
            "updated_at_ts",
        ]
        read_only_fields = ["webhook_id", "circuit_id", "created_at_ts", "updated_at_ts"]

    def get_has_credentials(self, webhook: WebhookConfig) -> bool:
        config = webhook.auth_config or {}
        return any(key != "signing_secret" and value for key, value in config.items())

    def get_has_signing_secret(self, webhook: WebhookConfig) -> bool:
        return bool((webhook.auth_config or {}).get("signing_secret"))


class WebhookDeliverySerializer(serializers.ModelSerializer):
    webhook_id = serializers.UUIDField(read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "delivery_id",
            "webhook_id",
            "trigger_event",
            "payload",
            "status",
            "http_status_code",
            "response_body",
            "error_message",
            "attempt_count",
            "next_retry_at_ts",
            "delivered_at_ts",
            "created_at_ts",
        ]
        read_only_fields = fields


CIRCUIT_ID = OpenApiParameter("circuit_id", str, OpenApiParameter.PATH)


@extend_schema_view(
    list=extend_schema(summary="List a circuit's webhooks", parameters=[CIRCUIT_ID]),
    create=extend_schema(summary="Add a webhook to a circuit", parameters=[CIRCUIT_ID]),
    retrieve=extend_schema(summary="Read a webhook", parameters=[CIRCUIT_ID]),
    partial_update=extend_schema(
        summary="Change some fields of a webhook", parameters=[CIRCUIT_ID]
    ),
    update=extend_schema(summary="Replace a webhook's settings", parameters=[CIRCUIT_ID]),
    destroy=extend_schema(summary="Delete a webhook", parameters=[CIRCUIT_ID]),
)
class WebhookViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = WebhookSerializer
    lookup_field = "webhook_id"
    queryset = WebhookConfig.objects.none()

    def get_circuit(self):
        if not hasattr(self, "_circuit"):
            self._circuit = circuit_get_for_member(
                user=self.request.user,
                circuit_id=self.kwargs["circuit_id"],
                permission=Permission.MANAGE_PERMISSIONS,
            )
        return self._circuit

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.get_circuit()  # 404/403 before anything in the request body is looked at

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WebhookConfig.objects.none()
        return WebhookConfig.objects.filter(circuit=self.get_circuit()).order_by(
            "-created_at_ts", "webhook_id"
        )

    def get_object(self):
        import uuid

        try:
            uuid.UUID(str(self.kwargs["webhook_id"]))
        except ValueError:
            from rest_framework.exceptions import NotFound

            raise NotFound("Webhook not found.") from None
        return super().get_object()

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = webhook_create(
            circuit=self.get_circuit(), user=self.request.user, **data
        )

    def perform_update(self, serializer):
        serializer.instance = webhook_update(
            webhook=serializer.instance,
            user=self.request.user,
            changes=dict(serializer.validated_data),
        )

    def perform_destroy(self, instance):
        webhook_delete(webhook=instance, user=self.request.user)

    @extend_schema(
        summary="List a webhook's deliveries, newest first",
        parameters=[CIRCUIT_ID],
        responses=WebhookDeliverySerializer(many=True),
    )
    @action(detail=True, methods=["get"], serializer_class=WebhookDeliverySerializer)
    def deliveries(self, request, circuit_id=None, webhook_id=None):
        webhook = self.get_object()
        deliveries = (
            WebhookDelivery.objects.filter(webhook=webhook)
            .select_related("webhook")
            .order_by("-created_at_ts", "-created_at", "delivery_id")
        )
        page = self.paginate_queryset(deliveries)
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)

    @extend_schema(
        summary="Send a test delivery to a webhook now",
        parameters=[CIRCUIT_ID],
        request=None,
        responses={201: WebhookDeliverySerializer},
    )
    @action(detail=True, methods=["post"], serializer_class=WebhookDeliverySerializer)
    def test(self, request, circuit_id=None, webhook_id=None):
        delivery = webhook_test_send(webhook=self.get_object(), user=request.user)
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_201_CREATED)
