"""A circuit's post-action settings and webhooks as the earlier engine answered them
(``PostActionSettings``, ``WebhookConfig``). Credentials are never shown."""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from circuits.api.serializers.fields import rfc3339
from circuits.configs import POST_ACTION_TRIGGERS
from circuits.models import Circuit, WebhookConfig
from circuits.services.webhooks import webhook_retry_settings

# The engine's PostActionTrigger names beside DeFarm's.
TRIGGER_NAMES = {
    "item_pushed": "ItemPushed",
    "item_approved": "ItemApproved",
    "item_tokenized": "ItemTokenized",
    "item_published": "ItemPublished",
}
_TRIGGERS_BY_SPELLING = {
    **{trigger: trigger for trigger in POST_ACTION_TRIGGERS},
    **{name.lower(): trigger for trigger, name in TRIGGER_NAMES.items()},
}
AUTH_TYPE_NAMES = {
    "none": "None",
    "bearer": "BearerToken",
    "api_key": "ApiKey",
    "basic": "BasicAuth",
}


@extend_schema_field(
    {
        "type": "string",
        "enum": [*POST_ACTION_TRIGGERS, *TRIGGER_NAMES.values()],
        "description": "item_pushed or ItemPushed (any case), and so on.",
    }
)
class TriggerEventField(serializers.CharField):
    default_error_messages = {
        "unknown": "Unknown trigger event '{value}' (known: "
        + ", ".join(POST_ACTION_TRIGGERS)
        + ")."
    }

    def to_internal_value(self, data) -> str:
        text = super().to_internal_value(data).strip()
        trigger = _TRIGGERS_BY_SPELLING.get(text.lower())
        if trigger is None:
            self.fail("unknown", value=text)
        return trigger


class PostActionSettingsInputSerializer(serializers.Serializer):
    """The engine's ``UpdatePostActionSettingsRequest``."""

    enabled = serializers.BooleanField()
    trigger_events = serializers.ListField(child=TriggerEventField())
    include_storage_details = serializers.BooleanField(required=False, default=False)
    include_item_metadata = serializers.BooleanField(required=False, default=False)


def webhook_representation(webhook: WebhookConfig) -> dict[str, Any]:
    """The engine's ``WebhookConfig`` of a DeFarm webhook; ``auth_credentials`` is always
    null (``has_credentials`` tells whether some are set)."""
    retry = webhook_retry_settings(webhook)
    config = webhook.auth_config or {}
    return {
        "id": str(webhook.webhook_id),
        "name": webhook.name,
        "url": webhook.url,
        "method": "Post",
        "headers": {},
        "auth_type": AUTH_TYPE_NAMES.get(webhook.auth_type or "none", "None"),
        "auth_credentials": None,
        "has_credentials": any(k != "signing_secret" and v for k, v in config.items()),
        "enabled": webhook.enabled,
        "trigger_events": [TRIGGER_NAMES.get(t, t) for t in webhook.trigger_events or []],
        "retry_config": {
            "max_retries": retry["max_attempts"],
            "initial_delay_ms": retry["base_delay_seconds"] * 1000,
            "max_delay_ms": retry["max_delay_seconds"] * 1000,
            "backoff_multiplier": 2.0,
        },
        "created_at": rfc3339(webhook.created_at_ts),
        "updated_at": rfc3339(webhook.updated_at_ts),
    }


class WebhookEngineSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    url = serializers.CharField()
    method = serializers.CharField(help_text="Post (DeFarm always POSTs).")
    headers = serializers.DictField(child=serializers.CharField())
    auth_type = serializers.CharField(help_text="None, BearerToken, ApiKey or BasicAuth.")
    auth_credentials = serializers.CharField(allow_null=True, help_text="Always null.")
    has_credentials = serializers.BooleanField()
    enabled = serializers.BooleanField()
    trigger_events = serializers.ListField(child=serializers.CharField())
    retry_config = serializers.DictField()
    created_at = serializers.CharField(help_text="RFC 3339.")
    updated_at = serializers.CharField(help_text="RFC 3339.")


class PostActionSettingsSerializer(serializers.Serializer):
    """The engine's ``PostActionSettings``: the circuit's settings and its webhooks."""

    enabled = serializers.BooleanField()
    webhooks = WebhookEngineSerializer(many=True)
    trigger_events = serializers.ListField(
        child=serializers.CharField(), help_text="ItemPushed, ItemApproved ..."
    )
    include_storage_details = serializers.BooleanField()
    include_item_metadata = serializers.BooleanField()

    def to_representation(self, circuit: Circuit) -> dict[str, Any]:
        settings = circuit.post_action_settings or {}
        return {
            "enabled": bool(settings.get("enabled", True)),
            "webhooks": [webhook_representation(w) for w in circuit.webhook_rows],
            "trigger_events": [
                TRIGGER_NAMES.get(t, t) for t in settings.get("trigger_events") or []
            ],
            "include_storage_details": bool(settings.get("include_storage_details")),
            "include_item_metadata": bool(settings.get("include_item_metadata")),
        }


class PostActionEnvelopeSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    message = serializers.CharField(required=False)
    data = PostActionSettingsSerializer(allow_null=True)


# --- Webhooks under /post-actions/webhooks -----------------------------------------------------

# The engine's WebhookAuthType spellings (and DeFarm's) beside DeFarm's stored auth types.
_AUTH_TYPES_BY_SPELLING = {
    "none": "none",
    "bearertoken": "bearer",
    "bearer": "bearer",
    "apikey": "api_key",
    "api_key": "api_key",
    "basicauth": "basic",
    "basic": "basic",
    "customheader": "custom_header",
}


class WebhookInputSerializer(serializers.Serializer):
    """The engine's ``CreateWebhookRequest`` / ``UpdateWebhookRequest`` plus DeFarm's own
    settings (``trigger_events``, ``retry_config``, ``signing_secret``).

    ``validated_data`` holds the arguments of ``webhook_create`` / the changes of
    ``webhook_update``: the engine's ``auth_type`` + ``auth_credentials`` (and ``headers`` for
    ``CustomHeader``) become DeFarm's ``auth_type`` + ``auth_config``."""

    name = serializers.CharField(max_length=255)
    url = serializers.CharField()
    method = serializers.CharField(
        required=False,
        allow_null=True,
        help_text="POST (any case). DeFarm sends every delivery with POST; PUT and PATCH are "
        "refused.",
    )
    headers = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        required=False,
        allow_null=True,
        help_text="Only with auth_type CustomHeader: exactly one header, sent with every "
        "delivery (its value is kept as a credential).",
    )
    auth_type = serializers.CharField(
        required=False,
        allow_null=True,
        help_text="None, BearerToken, ApiKey (sent as X-API-Key), BasicAuth "
        "(auth_credentials 'user:password') or CustomHeader (the one header in headers).",
    )
    auth_credentials = serializers.CharField(
        required=False, allow_null=True, write_only=True, help_text="Never returned."
    )
    enabled = serializers.BooleanField(required=False, default=True)
    trigger_events = serializers.ListField(
        child=TriggerEventField(),
        required=False,
        allow_empty=False,
        help_text="DeFarm: the events this webhook is called for (default all four).",
    )
    retry_config = serializers.DictField(
        required=False,
        help_text="DeFarm: {max_attempts, base_delay_seconds, max_delay_seconds}.",
    )
    signing_secret = serializers.CharField(
        required=False,
        allow_null=True,
        write_only=True,
        help_text="DeFarm: signs each delivery (HMAC-SHA256 of '<X-DeFarm-Timestamp>.<body>' "
        "in X-DeFarm-Signature). Never returned.",
    )

    def validate_method(self, value: str | None) -> str | None:
        if value is not None and value.strip().upper() in {"PUT", "PATCH"}:
            raise serializers.ValidationError("DeFarm sends webhook deliveries with POST only.")
        return value

    def validate_auth_type(self, value: str | None) -> str | None:
        if value is None:
            return None
        auth_type = _AUTH_TYPES_BY_SPELLING.get(value.strip().lower())
        if auth_type is None:
            raise serializers.ValidationError(
                "Choose one of None, BearerToken, ApiKey, BasicAuth, CustomHeader."
            )
        return auth_type

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs.pop("method", None)
        headers = attrs.pop("headers", None) or {}
        credentials = attrs.pop("auth_credentials", None)
        auth_type = attrs.pop("auth_type", None)
        signing_secret = attrs.pop("signing_secret", None)
        if headers and auth_type != "custom_header":
            raise serializers.ValidationError(
                {"headers": ["Headers are sent only with auth_type CustomHeader."]}
            )
        if auth_type is None and credentials is None and signing_secret is None:
            return attrs  # credentials unchanged
        if auth_type is None:
            instance = self.instance
            auth_type = instance.auth_type if instance is not None else "none"
            auth_type = auth_type or "none"
        if auth_type == "custom_header":
            if len(headers) != 1:
                raise serializers.ValidationError(
                    {"headers": ["CustomHeader takes exactly one header: {name: value}."]}
                )
            [(header_name, value)] = headers.items()
            auth_type, config = "api_key", {"header_name": header_name, "api_key": value}
        elif auth_type == "bearer":
            config = {"token": credentials} if credentials else {}
        elif auth_type == "api_key":
            config = {"api_key": credentials} if credentials else {}
        elif auth_type == "basic":
            username, colon, password = (credentials or "").partition(":")
            if credentials and not colon:
                raise serializers.ValidationError(
                    {"auth_credentials": ["BasicAuth credentials are 'user:password'."]}
                )
            config = {"username": username, "password": password} if credentials else {}
        else:
            config = {}
        if (
            credentials is None
            and auth_type != "none"
            and self.instance is not None
            and auth_type == self.instance.auth_type
            and not headers
        ):
            # Same type, no new credentials: keep the stored ones.
            config = {
                key: value
                for key, value in (self.instance.auth_config or {}).items()
                if key != "signing_secret"
            }
        if signing_secret:
            config["signing_secret"] = signing_secret
        elif signing_secret is None and self.instance is not None:
            kept = (self.instance.auth_config or {}).get("signing_secret")
            if kept:
                config["signing_secret"] = kept
        attrs["auth_type"] = auth_type
        attrs["auth_config"] = config
        return attrs


class WebhookUpdateInputSerializer(WebhookInputSerializer):
    """Every field optional: only those sent change."""

    name = serializers.CharField(max_length=255, required=False)
    url = serializers.CharField(required=False)
    enabled = serializers.BooleanField(required=False)


class WebhookEnvelopeSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    message = serializers.CharField(required=False)
    data = WebhookEngineSerializer()


class WebhookMessageSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    message = serializers.CharField()


class WebhookDeliveryEngineSerializer(serializers.Serializer):
    """The engine's ``WebhookDelivery`` of a DeFarm delivery row."""

    id = serializers.UUIDField(source="delivery_id")
    webhook_id = serializers.UUIDField()
    circuit_id = serializers.UUIDField(source="webhook.circuit_id")
    trigger_event = serializers.SerializerMethodField(
        help_text="ItemPushed, ItemApproved, ItemTokenized, ItemPublished or webhook_test."
    )
    payload = serializers.JSONField()
    status = serializers.CharField(help_text="Pending, Delivered, Failed or Retrying.")
    attempts = serializers.IntegerField(source="attempt_count")
    response_code = serializers.IntegerField(source="http_status_code", allow_null=True)
    response_body = serializers.CharField(allow_null=True)
    created_at = serializers.SerializerMethodField(help_text="RFC 3339.")
    delivered_at = serializers.SerializerMethodField(help_text="RFC 3339 or null.")
    error_message = serializers.CharField(allow_null=True)
    next_retry_at = serializers.SerializerMethodField(help_text="RFC 3339 or null.")

    def get_trigger_event(self, delivery) -> str:
        return TRIGGER_NAMES.get(delivery.trigger_event, delivery.trigger_event)

    def get_created_at(self, delivery) -> str:
        return rfc3339(delivery.created_at_ts)

    def get_delivered_at(self, delivery) -> str | None:
        return rfc3339(delivery.delivered_at_ts)

    def get_next_retry_at(self, delivery) -> str | None:
        return rfc3339(delivery.next_retry_at_ts)


class WebhookDeliveryListSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    data = WebhookDeliveryEngineSerializer(many=True)
    count = serializers.IntegerField()


class WebhookTestWebhookSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    url = serializers.CharField()


class WebhookTestSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    message = serializers.CharField()
    webhook = WebhookTestWebhookSerializer()
    delivery = WebhookDeliveryEngineSerializer(
        help_text="DeFarm: the test delivery as sent (status Delivered or Failed)."
    )
