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
