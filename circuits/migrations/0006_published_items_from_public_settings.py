"""Move each circuit's ``public_settings.published_items`` list into circuit_published_items
(in the list's order) and drop the key from the JSON; the reverse puts the lists back."""

from django.db import migrations

BATCH = 1000


def lists_to_rows(apps, schema_editor):
    Circuit = apps.get_model("circuits", "Circuit")
    CircuitPublishedItem = apps.get_model("circuits", "CircuitPublishedItem")
    circuits = Circuit.objects.filter(public_settings__isnull=False).only("pk", "public_settings")
    for circuit in circuits.iterator(chunk_size=BATCH):
        settings = circuit.public_settings
        if not isinstance(settings, dict) or "published_items" not in settings:
            continue
        published = settings.pop("published_items") or []
        dfids = list(dict.fromkeys(dfid for dfid in published if isinstance(dfid, str)))
        CircuitPublishedItem.objects.bulk_create(
            [
                CircuitPublishedItem(
                    circuit_id=circuit.pk,
                    item_id=dfid,
                    published_at_ts=settings.get("public_since_ts") or 0,
                )
                for dfid in dfids
            ],
            batch_size=BATCH,
        )
        Circuit.objects.filter(pk=circuit.pk).update(public_settings=settings)


def rows_to_lists(apps, schema_editor):
    Circuit = apps.get_model("circuits", "Circuit")
    CircuitPublishedItem = apps.get_model("circuits", "CircuitPublishedItem")
    circuits = Circuit.objects.filter(public_settings__isnull=False).only("pk", "public_settings")
    for circuit in circuits.iterator(chunk_size=BATCH):
        settings = circuit.public_settings
        if not isinstance(settings, dict):
            continue
        settings["published_items"] = list(
            CircuitPublishedItem.objects.filter(circuit_id=circuit.pk)
            .order_by("id")
            .values_list("item_id", flat=True)
        )
        Circuit.objects.filter(pk=circuit.pk).update(public_settings=settings)


class Migration(migrations.Migration):
    dependencies = [("circuits", "0005_published_items")]

    operations = [migrations.RunPython(lists_to_rows, rows_to_lists)]
