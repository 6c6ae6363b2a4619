"""Every existing user with a ``workspace_id`` gets that personal workspace, owned by them,
with them as its Owner member (two set-based statements). When several users share one
``workspace_id``, the first created (then the lowest user id) owns it; the others get no
membership from the collision. Users whose ``workspace_id`` is NULL are skipped here: they get
theirs from ``workspace_personal_ensure`` the first time their workspaces are read."""

import json

from django.db import migrations

# The defaults as of this migration (accounts.models.workspace_default_settings).
DEFAULT_SETTINGS = {
    "default_circuit_permissions": {},
    "default_event_visibility": "Private",
    "encryption_enabled": True,
    "retention_policy_days": 365,
    "max_members": 100,
    "allow_public_circuits": False,
}


def personal_workspaces_create(apps, schema_editor):
    connection = schema_editor.connection
    settings_sql = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO workspaces (workspace_id, name, description, owner_id, settings,
                                    created_at_ts, updated_at_ts)
            SELECT u.workspace_id, u.username, '', u.user_id, {settings_sql},
                   u.created_at_ts, u.created_at_ts
            FROM user_accounts u
            WHERE u.workspace_id IS NOT NULL
              AND NOT EXISTS (
                SELECT 1 FROM user_accounts first
                WHERE first.workspace_id = u.workspace_id
                  AND (first.created_at_ts < u.created_at_ts
                       OR (first.created_at_ts = u.created_at_ts AND first.user_id < u.user_id)))
              AND NOT EXISTS (SELECT 1 FROM workspaces w WHERE w.workspace_id = u.workspace_id)
            """,
            [json.dumps(DEFAULT_SETTINGS)],
        )
        cursor.execute(
            """
            INSERT INTO workspace_members (workspace_id, user_id, role, joined_at_ts)
            SELECT w.workspace_id, w.owner_id, 'Owner', w.created_at_ts
            FROM workspaces w
            WHERE NOT EXISTS (
                SELECT 1 FROM workspace_members m
                WHERE m.workspace_id = w.workspace_id AND m.user_id = w.owner_id)
            """
        )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0010_workspaces")]

    operations = [
        migrations.RunPython(personal_workspaces_create, migrations.RunPython.noop),
    ]
