"""Everything DeFarm holds about one person, for a data-subject report (GDPR art. 15, CCPA).

Every table with a foreign key to the user is found from the models themselves, so a table
added later is covered without a change here; tables that name users in text columns (the
V1 schema keeps several user ids without a foreign key) are listed in ``TEXT_REFERENCES``.
Secret columns (password and key hashes) are never included.
"""

import base64
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db import models
from django.db.models import Q

from accounts.models import ApiKeyUsage, User
from audit.models import SecurityIncident
from defarm.admin_site.display import SECRET_COLUMNS, SECRET_JSON_COLUMNS, mask_secrets

DEFARM_APPS = ("accounts", "items", "circuits", "adapters", "audit")

# (app label, model name, columns holding a user id without a foreign key)
TEXT_REFERENCES: list[tuple[str, str, tuple[str, ...]]] = [
    ("circuits", "CircuitItem", ("added_by",)),
    ("circuits", "CircuitOperation", ("requester_id", "approver_id")),
    ("circuits", "CircuitPendingItem", ("pushed_by",)),
    ("circuits", "Activity", ("performed_by",)),
    ("adapters", "AdapterConfig", ("created_by",)),
    ("adapters", "StorageHistory", ("triggered_by_id",)),
    ("audit", "AdminAction", ("target_id",)),
    ("audit", "AuditEvent", ("user_id", "subject_user_id")),
]
# Other reports' content (a recall names other people) is listed by its summary only.
EXCLUDED_COLUMNS = SECRET_COLUMNS | {"encrypted_data", "content"}


def json_value(value: Any) -> Any:
    if isinstance(value, (uuid.UUID, Decimal)):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (bytes, memoryview)):
        return base64.b64encode(bytes(value)).decode()
    return value


def row_as_json(row: models.Model) -> dict[str, Any]:
    """The row's columns as JSON values; secret columns left out, secrets inside JSON
    settings (circuit passwords, adapter credentials) masked."""
    values = {}
    for field in row._meta.concrete_fields:
        if field.name in EXCLUDED_COLUMNS or field.attname in EXCLUDED_COLUMNS:
            continue
        value = json_value(getattr(row, field.attname))
        values[field.attname] = mask_secrets(value) if field.name in SECRET_JSON_COLUMNS else value
    return values


def _user_conditions(model: type[models.Model], user: User) -> Q | None:
    conditions = Q()
    found = False
    for field in model._meta.concrete_fields:
        if field.is_relation and field.related_model is User:
            conditions |= Q(**{field.attname: user.pk})
            found = True
    for app_label, model_name, columns in TEXT_REFERENCES:
        if model._meta.app_label == app_label and model.__name__ == model_name:
            for column in columns:
                conditions |= Q(**{column: user.pk})
                found = True
    return conditions if found else None


def user_personal_data(*, user: User) -> dict[str, list[dict[str, Any]]]:
    """``{table: [row, ...]}`` of every row by or about ``user``, ordered by primary key."""
    sections: dict[str, list[dict[str, Any]]] = {}
    for model in apps.get_models():
        if model._meta.app_label not in DEFARM_APPS:
            continue
        table = model._meta.db_table
        if model is User:
            sections[table] = [row_as_json(user)]
            continue
        conditions = _user_conditions(model, user)
        if conditions is None:
            continue
        rows = model.objects.filter(conditions).order_by("pk")
        sections[table] = [row_as_json(row) for row in rows]
    sections[ApiKeyUsage._meta.db_table] = [
        row_as_json(row) for row in ApiKeyUsage.objects.filter(key__user=user).order_by("pk")
    ]
    incident_ids = {row["incident_id"] for row in sections.get("security_incidents", [])}
    for incident in SecurityIncident.objects.order_by("pk"):
        if user.pk in (incident.affected_users or []) and str(incident.pk) not in incident_ids:
            sections.setdefault("security_incidents", []).append(row_as_json(incident))
    return dict(sorted(sections.items()))
