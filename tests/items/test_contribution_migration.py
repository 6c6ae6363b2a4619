"""The migration that brings contributions gives every existing global item its base layer,
in one set-based statement, leaving local items alone."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("items", "0003_alter_item_status")]
AFTER = [("items", "0004_item_contributions")]


@pytest.mark.django_db(transaction=True)
def test_existing_items_get_their_creators_or_an_adopted_base_layer():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps.get_model("items", "Item")
    old.objects.create(dfid="DFID-20240926-000001-2488", item_hash="a", created_at_ts=10)
    old.objects.create(dfid="DFID-20240926-000002-2489", item_hash="b", created_by_id="user-1")
    old.objects.create(dfid="LID-5b1c", item_hash="c", created_by_id="user-1")
    try:
        executor = MigrationExecutor(connection)
        executor.migrate(AFTER)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT dfid, contributor_id, is_base, enriched_data, created_at_ts, "
                "adopted_at_ts FROM item_contributions ORDER BY dfid"
            )
            rows = cursor.fetchall()
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    assert [(dfid, who, bool(base), data) for dfid, who, base, data, _, _ in rows] == [
        ("DFID-20240926-000001-2488", None, True, None),
        ("DFID-20240926-000002-2489", "user-1", True, None),
    ]
    assert rows[0][4] == 10 and all(adopted for *_, adopted in rows)
