"""Serializer fields shared by every app's API."""

from rest_framework import exceptions, serializers


class CallerIdField(serializers.CharField):
    """A user id that the earlier engine's clients send in a body (``user_id``,
    ``requester_id``, ``approver_id``, ``owner_id``). Identity comes only from the credentials:
    the value is accepted (and changes nothing) when it names the caller, and refused with 403
    when it names anyone else."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("max_length", 255)
        kwargs.setdefault(
            "help_text",
            "Optional; must be the caller's own user id (identity comes from the credentials).",
        )
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        request = self.context.get("request")
        caller = getattr(getattr(request, "user", None), "pk", None)
        if value and value != caller:
            raise exceptions.PermissionDenied(
                f"{self.field_name} names another user; the caller is taken from the credentials."
            )
        return value
