"""The public page of a circuit (``GET /api/circuits/{id}/public``), as the earlier engine
answered it inside ``{"success": true, "data": ...}``."""

from typing import Any

from rest_framework import serializers

from circuits.api.serializers.fields import rfc3339


class PublicEventSerializer(serializers.Serializer):
    event_id = serializers.UUIDField()
    dfid = serializers.CharField()
    event_type = serializers.CharField()
    source = serializers.CharField()
    visibility = serializers.CharField()
    timestamp = serializers.CharField(help_text="RFC 3339.")
    metadata = serializers.JSONField()


class PublishedItemSerializer(serializers.Serializer):
    dfid = serializers.CharField()
    events = PublicEventSerializer(many=True)


class PublicCircuitSerializer(serializers.Serializer):
    """Branding, counts and the published items with their Public events. A protected
    circuit shows its items only with its password (``requires_password``); a scheduled one
    only from its date (``is_currently_accessible``)."""

    circuit_id = serializers.UUIDField()
    public_name = serializers.CharField()
    public_description = serializers.CharField(allow_null=True)
    primary_color = serializers.CharField(allow_null=True)
    secondary_color = serializers.CharField(allow_null=True)
    logo_url = serializers.CharField(allow_null=True)
    tagline = serializers.CharField(allow_null=True)
    footer_text = serializers.CharField(allow_null=True)
    banner_url = serializers.CharField(allow_null=True)
    website_url = serializers.CharField(allow_null=True)
    contact_email = serializers.CharField(allow_null=True)
    member_count = serializers.IntegerField()
    items_count = serializers.IntegerField()
    events_count = serializers.IntegerField()
    access_mode = serializers.CharField(help_text="public, protected or scheduled.")
    requires_password = serializers.BooleanField()
    is_currently_accessible = serializers.BooleanField()
    published_items = serializers.ListField(child=serializers.CharField())
    published_items_with_events = PublishedItemSerializer(many=True)
    auto_publish_pushed_items = serializers.BooleanField()
    show_encrypted_events = serializers.BooleanField()
    auto_approve_members = serializers.BooleanField()
    public_since = serializers.CharField(allow_null=True, help_text="RFC 3339.")
    created_at = serializers.CharField(help_text="RFC 3339.")
    recent_activity = serializers.ListField(child=serializers.DictField())

    def to_representation(self, public) -> dict[str, Any]:
        settings = public.settings
        circuit = public.circuit
        items = [
            {
                "dfid": item.dfid,
                "events": [
                    {
                        "event_id": str(event.event_id),
                        "dfid": item.dfid,
                        "event_type": event.event_type,
                        "source": event.created_by_id or "",
                        "visibility": event.visibility,
                        "timestamp": rfc3339(event.timestamp),
                        "metadata": event.metadata or {},
                    }
                    for event in item.public_events
                ],
            }
            for item in public.items
        ]
        branding = (
            "primary_color",
            "secondary_color",
            "logo_url",
            "tagline",
            "footer_text",
            "banner_url",
            "website_url",
            "contact_email",
        )
        return {
            "circuit_id": str(circuit.circuit_id),
            "public_name": settings.get("public_name") or circuit.name,
            "public_description": settings.get("public_description") or circuit.description,
            **{name: settings.get(name) for name in branding},
            "member_count": public.member_count,
            "items_count": len(items),
            "events_count": sum(len(item["events"]) for item in items),
            "access_mode": settings.get("access_mode"),
            "requires_password": settings.get("access_mode") == "protected",
            "is_currently_accessible": public.accessible,
            "published_items": [item["dfid"] for item in items],
            "published_items_with_events": items,
            "auto_publish_pushed_items": bool(settings.get("auto_publish_pushed_items")),
            "show_encrypted_events": bool(settings.get("show_encrypted_events")),
            "auto_approve_members": bool(settings.get("auto_approve_members")),
            "public_since": rfc3339(settings.get("public_since_ts")),
            "created_at": rfc3339(circuit.created_at_ts),
            "recent_activity": [],
        }


class PublicCircuitEnvelopeSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    data = PublicCircuitSerializer()
