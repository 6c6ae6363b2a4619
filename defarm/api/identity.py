"""Identity comes from credentials only. The earlier engine's clients still send who they are
in the body (``owner_id``, ``requester_id``, ``approver_id``, ``admin_id``, ``user_id``): such
a field is accepted and ignored when it names the caller, and refused (403) otherwise."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers


def caller_named_check(*, request, field: str, value: str | None) -> None:
    """403 when ``value`` (a user id or username sent by the client) names someone other than
    the authenticated caller; nothing when it is empty or names the caller."""
    if value in (None, ""):
        return
    user = request.user
    if value in (user.pk, user.get_username()):
        return
    raise exceptions.PermissionDenied(
        f"{field} names another user; the caller is taken from the credentials."
    )


@extend_schema_field(
    {
        "type": "string",
        "nullable": True,
        "description": "Optional, ignored: the caller comes from the credentials. Naming "
        "another user is refused (403).",
    }
)
class CallerIdField(serializers.CharField):
    """An optional body field naming the caller (``requester_id`` ...); 403 when it names
    someone else. Its value is dropped from the validated data."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("write_only", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        caller_named_check(request=self.context["request"], field=self.field_name, value=value)
        return value


class CallerIdentitySerializer(serializers.Serializer):
    """Base for request bodies: identity fields the engine's clients send are checked against
    the caller and removed from ``validated_data``."""

    identity_fields: tuple[str, ...] = ()

    def get_fields(self):
        fields = super().get_fields()
        for name in self.identity_fields:
            fields[name] = CallerIdField()
        return fields

    def validate(self, attrs):
        attrs = super().validate(attrs)
        for name in self.identity_fields:
            attrs.pop(name, None)
        return attrs
